"""gluon.nn: blocks, naming, printing, layers against PyTorch and MXNet 1.9.1, training."""

import inspect
import io
import re
import warnings
from contextlib import redirect_stdout

import numpy
import pytest
import torch

import ndgrad
from ndgrad import autograd, init, np
from ndgrad.gluon import Trainer, loss as gloss, nn
from ndgrad.gluon.block import HybridBlock
from ndgrad.testing import assert_allclose, check_grad


def _number(block):
    return int(re.fullmatch(r'[a-z]+(\d+)', block.name).group(1))


def _t(x):
    return torch.tensor(numpy.asarray(x), dtype=torch.float64, requires_grad=True)


# --- blocks: registration, naming, containers ------------------------------------------


def test_names_count_per_class_and_prefix_parameters():
    a, b = nn.Dense(2), nn.Dense(3)
    assert _number(b) == _number(a) + 1
    assert a.weight.name == a.name + '_weight' and a.bias.name == a.name + '_bias'
    assert a.act is None and nn.Dense(2, activation='relu').act.name.endswith('_relu')
    assert nn.Conv2D(1, 1).name.startswith('conv') and nn.MaxPool2D().name.startswith('pool')
    assert gloss.L2Loss().name.startswith('l2loss')


def test_name_scope_names_children_after_parent():
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(2), nn.Dense(2))
    assert [c.name for c in net] == [net.prefix + 'dense0', net.prefix + 'dense1']
    assert list(net.collect_params()) == [
        net.prefix + n for n in ('dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias')
    ]


def test_attributes_register_children_and_parameters():
    class Net(nn.Block):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Dense(4, activation='relu')
            self.out = nn.Dense(1)
            self.scale = self.params.get('scale', shape=(1,), init='ones')

        def forward(self, x):
            return self.out(self.hidden(x)) * self.scale.data()

    net = Net()
    assert list(net._children) == ['hidden', 'out']
    assert sorted(net._collect_params_with_prefix()) == [
        'hidden.bias',
        'hidden.weight',
        'out.bias',
        'out.weight',
        'scale',
    ]
    assert len(net.collect_params('.*weight')) == 2
    net.initialize()
    assert net(np.ones((2, 3))).shape == (2, 1)
    with pytest.raises(TypeError, match='Changing attribute type'):
        net.hidden = 3


def test_assigning_children_before_init_is_refused():
    class Early(nn.Block):
        def __init__(self):
            self.dense = nn.Dense(2)
            super().__init__()

    with pytest.raises(RuntimeError, match=r'call super\(\).__init__'):
        Early()


def test_unregistered_container_warns():
    class Net(nn.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2)]

    with pytest.warns(UserWarning, match='unregistered container'):
        Net().collect_params()


def test_sequential_indexing_len_iteration_and_slices():
    net = nn.Sequential()
    layers = [nn.Dense(4), nn.Dropout(0.5), nn.Dense(2)]
    net.add(*layers)
    assert len(net) == 3 and net[0] is layers[0] and net[-1] is layers[2]
    assert list(net) == layers
    sub = net[:2]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[:2]


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match='forward'):
        nn.Block()(np.ones(1))
    with pytest.raises(NotImplementedError, match='hybrid_forward'):
        HybridBlock()(np.ones(1))


def test_hybridize_is_accepted_and_changes_nothing():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, activation='tanh'), nn.Dense(1))
    net.initialize()
    x = np.random.uniform(size=(2, 4))
    before = net(x)
    net.hybridize()
    assert net[0]._active
    assert_allclose(net(x), before)
    plain = nn.Sequential()
    plain.add(nn.Dense(1))
    with pytest.warns(UserWarning, match='HybridSequential'):
        plain.hybridize()


def test_hybrid_forward_gets_ndgrad_and_parameter_arrays():
    class Scale(HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(2,), init=init.Constant(3.0))

        def hybrid_forward(self, F, x, w):
            assert F is ndgrad
            return F.np.tanh(x) * w

    block = Scale()
    block.initialize()
    assert_allclose(block(np.zeros(2)), [0.0, 0.0])


def test_deferred_shape_needs_infer_shape():
    class Unknown(HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(-1,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    block = Unknown()
    block.initialize()
    with pytest.raises(ValueError, match='cannot infer the shapes'):
        block(np.ones(2))


def test_hooks_and_apply():
    net = nn.Sequential()
    net.add(nn.Dense(2), nn.Dense(1))
    net.initialize()
    seen = []
    handle = net[0].register_forward_hook(lambda b, i, o: seen.append(o.shape))
    pre = net[1].register_forward_pre_hook(lambda b, i: seen.append(i[0].shape))
    net(np.ones((3, 4)))
    assert seen == [(3, 2), (3, 2)]
    handle.detach()
    pre.detach()
    net(np.ones((3, 4)))
    assert len(seen) == 2
    names = []
    net.apply(lambda b: names.append(type(b).__name__))
    assert names == ['Dense', 'Dense', 'Sequential']


def test_shared_parameters():
    shared = nn.Dense(8, activation='relu')
    net = nn.Sequential()
    net.add(
        nn.Dense(8, activation='relu'),
        shared,
        nn.Dense(8, activation='relu', params=shared.params),
        nn.Dense(10),
    )
    net.initialize()
    net(np.random.uniform(size=(2, 20)))
    assert net[1].weight is net[2].weight
    net[1].weight.data()[0, 0] = 100
    assert net[2].weight.data()[0, 0] == 100


# --- printing, as MXNet 1.9.1 prints -----------------------------------------------------


def test_repr_matches_mxnet():
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    # (MXNet 1.9.1's print(net))
    assert repr(net) == (
        'Sequential(\n  (0): Dense(-1 -> 256, Activation(relu))\n  (1): Dense(-1 -> 10, linear)\n)'
    )
    expected = {  # repr(layer) in MXNet 1.9.1
        nn.Conv2D(
            6, kernel_size=5, padding=2, activation='sigmoid'
        ): 'Conv2D(-1 -> 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), '
        'Activation(sigmoid))',
        nn.Conv2D(
            6, kernel_size=3, strides=2, use_bias=False, groups=2, dilation=2
        ): 'Conv2D(-1 -> 6, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), groups=2, '
        'bias=False)',
        nn.MaxPool2D(
            3, strides=2, padding=1
        ): 'MaxPool2D(size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=False, '
        'global_pool=False, pool_type=max, layout=NCHW)',
        nn.GlobalAvgPool2D(): 'GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), '
        'ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)',
        nn.AvgPool1D(3): 'AvgPool1D(size=(3,), stride=(3,), padding=(0,), ceil_mode=False, '
        'global_pool=False, pool_type=avg, layout=NCW)',
        nn.BatchNorm(): 'BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, '
        'use_global_stats=False, in_channels=-1)',
        nn.BatchNorm(
            in_channels=3, scale=False
        ): 'BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=True, '
        'use_global_stats=False, in_channels=3)',
        nn.LayerNorm(): 'LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=-1)',
        nn.Embedding(10, 4): 'Embedding(10 -> 4, float32)',
        nn.Flatten(): 'Flatten',
        nn.Dropout(0.5): 'Dropout(p = 0.5, axes=())',
        nn.Activation('tanh'): 'Activation(tanh)',
        nn.Lambda('tanh'): 'Lambda(tanh)',
        nn.LeakyReLU(0.1): 'LeakyReLU(0.1)',
        nn.PReLU(): 'PReLU(\n\n)',
        gloss.L2Loss(): 'L2Loss(batch_axis=0, w=1.0)',
        gloss.SoftmaxCrossEntropyLoss(): 'SoftmaxCrossEntropyLoss(batch_axis=0, w=None)',
    }
    for layer, text in expected.items():
        assert repr(layer) == text


def test_channels_last_convolution_repr_reads_the_input_channels():
    # MXNet 1.9.1 prints a kernel size as the input channels: (4, 3, 3, 2) read at [1]
    layer = nn.Conv2D(4, 3, layout='NHWC', in_channels=2)
    assert repr(layer).startswith('Conv2D(2 -> 4, kernel_size=(3, 3)')
    assert repr(nn.Conv1D(4, 3, layout='NWC')).startswith('Conv1D(-1 -> 4,')


def test_convolution_signatures_are_mxnets():
    conv = list(inspect.signature(nn.Conv2D).parameters)
    assert conv[:7] == [
        'channels',
        'kernel_size',
        'strides',
        'padding',
        'dilation',
        'groups',
        'layout',
    ]
    transposed = list(inspect.signature(nn.Conv2DTranspose).parameters)
    assert transposed == conv[:4] + ['output_padding'] + conv[4:]
    layer = nn.Conv1DTranspose(3, 4, 2, 1, 1, 1, 1, 'NCW', in_channels=5)
    assert layer._kwargs['adj'] == (1,) and layer._kwargs['stride'] == (2,)
    with pytest.raises(TypeError, match='output_padding'):
        nn.Conv2D(4, 3, output_padding=1)


def test_transposed_convolution_repr_reads_in_to_out():
    # MXNet 1.9.1 prints 'Conv2DTranspose(3 -> -1, ...)': the mapping reversed
    layer = nn.Conv2DTranspose(3, 4, strides=2, padding=1, in_channels=5)
    assert repr(layer).startswith('Conv2DTranspose(5 -> 3, kernel_size=(4, 4)')


SUMMARY = """\
--------------------------------------------------------------------------------
        Layer (type)                                Output Shape         Param #
================================================================================
               Input                                (1, 1, 5, 5)               0
            Conv2D-1                                (1, 2, 3, 3)              20
         BatchNorm-2                                (1, 2, 3, 3)               8
             Dense-3                                      (1, 3)              57
================================================================================
Parameters in forward computation graph, duplicate included
   Total params: 85
   Trainable params: 81
   Non-trainable params: 4
Shared params in forward computation graph: 0
Unique parameters in model: 85
--------------------------------------------------------------------------------
"""


def test_summary_matches_mxnet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(2, 3), nn.BatchNorm(), nn.Dense(3))
    net.initialize()
    out = io.StringIO()
    with redirect_stdout(out):
        net.summary(np.ones((1, 1, 5, 5)))
    assert out.getvalue() == SUMMARY  # (MXNet 1.9.1's summary of the same network)


# --- deferred initialization ---------------------------------------------------------------


def test_deferred_initialization_of_dense():
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    net.initialize()
    assert net[0].weight.shape == (256, -1)
    with pytest.raises(
        ndgrad.gluon.DeferredInitializationError,
        match=r"Parameter '.*_weight' has not been initialized yet because "
        r'initialization was deferred',
    ):
        net[0].weight.data()
    net(np.random.uniform(size=(2, 20)))
    assert net[0].weight.shape == (256, 20) and net[1].weight.shape == (10, 256)
    data = net[0].weight.data()
    assert data.dtype == numpy.float32 and float(abs(data).max()) <= 0.07
    assert float(abs(net[0].bias.data()).max()) == 0


def test_not_initialized_error():
    layer = nn.Dense(2, in_units=3)
    with pytest.raises(RuntimeError, match=r'has not been initialized\. Note that you should'):
        layer(np.ones((1, 3)))


# --- layers against PyTorch ---------------------------------------------------------------


def _dense(units, x_shape, flatten=True, activation=None):
    layer = nn.Dense(units, activation=activation, flatten=flatten, dtype='float64')
    layer.initialize(init.Normal(1.0))
    layer.bias.set_data(np.random.normal(size=(units,)))  # (the value it will start with)
    x = np.random.normal(size=x_shape).astype('float64')
    layer(x)  # (infers in_units)
    return layer, x


@pytest.mark.parametrize(
    'x_shape, flatten', [((4, 3), True), ((2, 3, 5), True), ((2, 3, 5), False), ((1, 1), True)]
)
def test_dense_matches_torch(x_shape, flatten):
    layer, x = _dense(3, x_shape, flatten, activation='tanh')
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward()
    tx, tw, tb = _t(x), _t(layer.weight.data()), _t(layer.bias.data())
    ty = torch.tanh(
        torch.nn.functional.linear(tx.reshape(x_shape[0], -1) if flatten else tx, tw, tb)
    )
    ty.sum().backward()
    assert_allclose(y, ty.detach().numpy(), rtol=1e-9, atol=1e-14)
    assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-14)
    assert_allclose(layer.weight.grad(), tw.grad.numpy(), rtol=1e-9, atol=1e-14)
    assert_allclose(layer.bias.grad(), tb.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_dense_derivatives_to_second_order():
    layer, x = _dense(2, (3, 2, 2), activation='sigmoid')
    check_grad(
        lambda x, w, b: layer.hybrid_forward(ndgrad, x, w, b),
        [x, layer.weight.data(), layer.bias.data()],
        order=2,
    )


def test_conv2d_matches_torch():
    layer = nn.Conv2D(4, kernel_size=3, strides=2, padding=1, groups=2, activation='relu')
    layer.initialize(init.Xavier())
    x = np.random.normal(size=(2, 2, 7, 6)).astype('float32')
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward()
    assert layer.weight.shape == (4, 1, 3, 3)
    tx, tw, tb = (
        torch.tensor(numpy.asarray(a), requires_grad=True)
        for a in (x, layer.weight.data(), layer.bias.data())
    )
    ty = torch.relu(torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1, groups=2))
    ty.sum().backward()
    assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert_allclose(layer.weight.grad(), tw.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_layers_derivatives_to_second_order():
    layer = nn.Conv1D(2, kernel_size=2, in_channels=2, activation='tanh')
    layer.cast('float64')
    layer.initialize(init.Normal(1.0))
    x = np.random.normal(size=(1, 2, 3))
    check_grad(
        lambda x, w, b: layer.hybrid_forward(ndgrad, x, w, b),
        [x, layer.weight.data(), layer.bias.data()],
        order=2,
    )


def test_conv_transpose_matches_torch():
    layer = nn.Conv2DTranspose(
        3, kernel_size=3, strides=2, padding=1, output_padding=1, in_channels=2
    )
    layer.initialize(init.Normal(1.0))
    x = np.random.normal(size=(1, 2, 3, 3)).astype('float32')
    tw, tb = (torch.tensor(numpy.asarray(a)) for a in (layer.weight.data(), layer.bias.data()))
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(numpy.asarray(x)), tw, tb, stride=2, padding=1, output_padding=1
    )
    assert_allclose(layer(x), expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    'block, fn',
    [
        (
            nn.MaxPool2D(3, strides=2, padding=1),
            lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1),
        ),
        (nn.AvgPool2D(2), lambda t: torch.nn.functional.avg_pool2d(t, 2)),
        (nn.MaxPool1D(2), lambda t: torch.nn.functional.max_pool1d(t.flatten(2), 2)),
        (
            nn.AvgPool1D(3, strides=1, padding=1),
            lambda t: torch.nn.functional.avg_pool1d(t.flatten(2), 3, 1, 1),
        ),
        (nn.GlobalAvgPool2D(), lambda t: t.mean((2, 3), keepdim=True)),
        (nn.GlobalMaxPool2D(), lambda t: t.amax((2, 3), keepdim=True)),
    ],
)
def test_pooling_matches_torch(block, fn):
    x = numpy.random.default_rng(1).standard_normal((2, 3, 6, 6))
    if block.name.startswith('pool') and len(block._kwargs['kernel']) == 1:
        x = x.reshape(2, 3, 36)
    t = torch.tensor(x, requires_grad=True)
    expected = fn(t)
    expected.sum().backward()
    a = np.array(x)
    a.attach_grad()
    with autograd.record():
        y = block(a)
    y.backward()
    assert_allclose(y, expected.detach().numpy(), rtol=1e-9, atol=1e-14)
    assert_allclose(a.grad, t.grad.numpy(), rtol=1e-9, atol=1e-14)


BN_X = [[[1.0, 2.0, 0.5], [3.0, -1.0, 2.0]], [[0.0, 0.0, 1.0], [2.0, 2.0, -2.0]]]
# MXNet 1.9.1: the output of a BatchNorm() in training mode on BN_X, the running statistics
# after that step and the prediction-mode output afterwards
BN_TRAIN = [
    [
        [0.361153781414032, 1.8057689666748047, -0.361153781414032],
        [1.0954434871673584, -1.0954434871673584, 0.5477217435836792],
    ],
    [
        [-1.0834612846374512, -1.0834612846374512, 0.361153781414032],
        [0.5477217435836792, 0.5477217435836792, -1.6431652307510376],
    ],
]
BN_MEAN, BN_VAR = (
    [0.07500001788139343, 0.10000002384185791],
    [0.9479166269302368, 1.2333333492279053],
)
BN_PRED = [
    [
        [0.9500672817230225, 1.9771671295166016, 0.4365174174308777],
        [2.611295461654663, -0.9904913306236267, 1.7108485698699951],
    ],
    [
        [-0.07703250646591187, -0.07703250646591187, 0.9500672817230225],
        [1.7108485698699951, 1.7108485698699951, -1.8909379243850708],
    ],
]


def test_batch_norm_matches_mxnet():
    bn = nn.BatchNorm()
    bn.initialize()
    x = np.array(BN_X)
    with autograd.record():
        y = bn(x)
    assert_allclose(y, BN_TRAIN, rtol=1e-5)
    # (MXNet updates the running statistics in its backward pass; ndgrad in the forward)
    assert_allclose(bn.running_mean.data(), BN_MEAN, rtol=1e-5)
    assert_allclose(bn.running_var.data(), BN_VAR, rtol=1e-5)
    assert_allclose(bn(x), BN_PRED, rtol=1e-5)
    with autograd.train_mode():
        assert_allclose(bn(x), BN_TRAIN, rtol=1e-5)


def test_batch_norm_gradients_match_torch():
    bn = nn.BatchNorm(in_channels=2)
    bn.cast('float64')
    bn.initialize()
    bn.gamma.set_data(np.array([1.5, -0.5]))
    bn.beta.set_data(np.array([0.1, 0.2]))
    x = np.random.normal(size=(4, 2, 3)).astype('float64')
    x.attach_grad()
    w = np.random.normal(size=(4, 2, 3)).astype('float64')
    with autograd.record():
        y = (bn(x) * w).sum()
    y.backward()
    tx, tg, tb = _t(x), _t(bn.gamma.data()), _t(bn.beta.data())
    ty = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5)
    (ty * torch.tensor(numpy.asarray(w))).sum().backward()
    assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(bn.gamma.grad(), tg.grad.numpy(), rtol=1e-10)
    assert_allclose(bn.beta.grad(), tb.grad.numpy(), rtol=1e-10)
    with autograd.train_mode():
        check_grad(
            lambda x, g, b: bn.hybrid_forward(
                ndgrad, x, g, b, bn.running_mean.data(), bn.running_var.data()
            ),
            [x[:2], bn.gamma.data(), bn.beta.data()],
            order=2,
        )


def test_layer_norm_matches_torch():
    ln = nn.LayerNorm(in_channels=3)
    ln.cast('float64')
    ln.initialize()
    ln.gamma.set_data(np.array([1.0, 2.0, -1.0]))
    x = np.random.normal(size=(2, 3)).astype('float64')
    expected = torch.nn.functional.layer_norm(
        _t(x), (3,), _t(ln.gamma.data()), _t(ln.beta.data()), eps=1e-5
    )
    assert_allclose(ln(x), expected.detach().numpy(), rtol=1e-10)
    check_grad(
        lambda x, g, b: ln.hybrid_forward(ndgrad, x, g, b),
        [x, ln.gamma.data(), ln.beta.data()],
        order=2,
    )


def test_embedding_flatten_activation_lambda():
    emb = nn.Embedding(5, 2)
    emb.initialize()
    rows = emb(np.array([[4, 0], [1, 1]]))
    assert rows.shape == (2, 2, 2)
    assert_allclose(rows[1, 0], emb.weight.data()[1])
    assert nn.Flatten()(np.zeros((2, 3, 4))).shape == (2, 12)
    x = np.array([-1.0, 0.5])
    assert_allclose(nn.Activation('sigmoid')(x), torch.sigmoid(_t(x)).detach().numpy(), rtol=1e-6)
    assert_allclose(nn.Lambda('tanh')(x), numpy.tanh([-1.0, 0.5]), rtol=1e-6)
    assert_allclose(nn.HybridLambda('relu')(x), [0.0, 0.5])
    assert_allclose(nn.HybridLambda(lambda F, x: F.np.exp(x))(x), numpy.exp([-1.0, 0.5]), rtol=1e-6)
    with pytest.raises(ValueError, match='not found'):
        nn.Lambda('no_such_function')


def test_dropout_drops_only_in_training():
    layer = nn.Dropout(0.5)
    x = np.ones((100, 100))
    assert_allclose(layer(x), x)
    with autograd.record():
        y = layer(x)
    kept = numpy.asarray(y) != 0
    assert 0.4 < kept.mean() < 0.6
    assert_allclose(numpy.asarray(y)[kept], 2.0)


# --- saving and loading ----------------------------------------------------------------


def test_save_and_load_parameters(tmp_path):
    def mlp():
        net = nn.Sequential()
        net.add(nn.Dense(4, activation='relu'), nn.Dense(2))
        return net

    net = mlp()
    net.initialize()
    x = np.random.uniform(size=(3, 5))
    y = net(x)
    path = str(tmp_path / 'mlp.params')
    net.save_parameters(path)
    assert sorted(numpy.load(path).files) == ['0.bias', '0.weight', '1.bias', '1.weight']
    clone = mlp()
    clone.load_parameters(path)
    assert_allclose(clone(x), y)
    held = clone[0].weight.data()
    clone.load_parameters(path)  # loading again writes in place
    assert clone[0].weight.data() is held
    other = nn.Sequential()
    other.add(nn.Dense(4))
    with pytest.raises(ValueError, match='is not present'):
        other.load_parameters(path)
    other.load_parameters(path, ignore_extra=True)
    assert_allclose(other[0].weight.data(), net[0].weight.data())
    single = nn.Dense(2, in_units=3)
    single.initialize()
    single.save_parameters(path)  # (names without a '.': 'weight', 'bias')
    again = nn.Dense(2, in_units=3)
    again.load_parameters(path)
    assert_allclose(again.weight.data(), single.weight.data())


# --- training -------------------------------------------------------------------------------


def _train(net, x, y, loss, steps, lr):
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': lr, 'momentum': 0.9})
    losses = []
    for _ in range(steps):
        with autograd.record():
            value = loss(net(x), y)
        value.backward()
        trainer.step(x.shape[0])
        losses.append(float(value.mean()))
    return losses


def test_mlp_learns():
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype('float32')
    y = (x[:, 0] * x[:, 1] > 0).astype('int32')
    net = nn.Sequential()
    net.add(nn.Dense(16, activation='relu'), nn.Dense(2))
    net.initialize(init.Xavier())
    losses = _train(net, np.array(x), np.array(y), gloss.SoftmaxCrossEntropyLoss(), 60, 0.5)
    assert losses[-1] < 0.5 * losses[0]


def test_small_cnn_learns():
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((16, 1, 8, 8)).astype('float32')
    y = (x[:, 0, :4].sum((1, 2)) > x[:, 0, 4:].sum((1, 2))).astype('int32')
    net = nn.Sequential()
    net.add(
        nn.Conv2D(4, kernel_size=3, padding=1, activation='relu'),
        nn.BatchNorm(),
        nn.MaxPool2D(2),
        nn.Conv2D(4, kernel_size=3, activation='relu'),
        nn.GlobalAvgPool2D(),
        nn.Flatten(),
        nn.Dense(2),
    )
    net.initialize(init.Xavier())
    losses = _train(net, np.array(x), np.array(y), gloss.SoftmaxCrossEntropyLoss(), 30, 0.1)
    assert losses[-1] < 0.6 * losses[0]


def test_lenet_layer_shapes():
    net = nn.Sequential()
    net.add(
        nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='sigmoid'),
        nn.AvgPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=5, activation='sigmoid'),
        nn.AvgPool2D(pool_size=2, strides=2),
        nn.Dense(120, activation='sigmoid'),
        nn.Dense(84, activation='sigmoid'),
        nn.Dense(10),
    )
    x = np.random.uniform(size=(1, 1, 28, 28))
    net.initialize()
    shapes = []
    for layer in net:
        x = layer(x)
        shapes.append(x.shape)
    assert shapes == [
        (1, 6, 28, 28),
        (1, 6, 14, 14),
        (1, 16, 10, 10),
        (1, 16, 5, 5),
        (1, 120),
        (1, 84),
        (1, 10),
    ]


@pytest.mark.skipif(ndgrad.npx.num_gpus() > 0, reason='a GPU is present')
def test_gpu_context_is_refused_without_a_gpu():
    with pytest.raises(RuntimeError, match='gpu\\(0\\)'):
        nn.Dense(1, in_units=1).initialize(ctx='gpu(0)')
    layer = nn.Dense(1, in_units=1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        layer.initialize(ctx=ndgrad.npx.cpu())
    assert layer.weight.list_ctx() == [ndgrad.npx.cpu()]


# --- the d2l book's idioms (chapter 5) ----------------------------------------------------


def test_custom_layer_with_its_own_parameters():
    class MyDense(nn.Block):
        def __init__(self, units, in_units, **kwargs):
            super().__init__(**kwargs)
            self.weight = self.params.get('weight', shape=(in_units, units))
            self.bias = self.params.get('bias', shape=(units,))

        def forward(self, x):
            linear = np.dot(x, self.weight.data(ctx=x.ctx)) + self.bias.data(ctx=x.ctx)
            return ndgrad.npx.relu(linear)

    dense = MyDense(units=3, in_units=5)
    assert list(dense.params) == [dense.prefix + 'weight', dense.prefix + 'bias']
    assert repr(dense.params).splitlines()[1] == (
        f"  Parameter {dense.prefix}weight (shape=(5, 3), dtype=<class 'numpy.float32'>)"
    )
    dense.initialize()
    # (parameters without an initializer of their own take the global one, bias included)
    assert float(abs(dense.bias.data()).max()) > 0
    assert dense(np.random.uniform(size=(2, 5))).shape == (2, 3)


def test_constant_parameter_in_a_block():
    class FixedHidden(nn.Block):
        def __init__(self):
            super().__init__()
            self.rand_weight = self.params.get_constant(
                'rand_weight', np.random.uniform(size=(4, 4))
            )
            self.dense = nn.Dense(4, activation='relu')

        def forward(self, x):
            return np.dot(self.dense(x), self.rand_weight.data()).sum()

    net = FixedHidden()
    net.initialize()
    with autograd.record():
        y = net(np.ones((2, 4)))
    y.backward()
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    before = net.rand_weight.data().asnumpy()
    trainer.step(1)
    assert_allclose(net.rand_weight.data(), before)


def test_nested_blocks_collect_every_parameter():
    def block1():
        net = nn.Sequential()
        net.add(nn.Dense(8, activation='relu'), nn.Dense(4, activation='relu'))
        return net

    rgnet = nn.Sequential()
    inner = nn.Sequential()
    for _ in range(3):
        inner.add(block1())
    rgnet.add(inner, nn.Dense(2))
    rgnet.initialize()
    rgnet(np.ones((1, 5)))
    assert len(rgnet.collect_params()) == 14
    assert rgnet[0][1][0].bias.data().shape == (8,)
    assert len(rgnet.collect_params('.*bias')) == 7


def test_cast_and_symbolic_features_refused():
    net = nn.Sequential()
    net.add(nn.Dense(2, in_units=3), nn.BatchNorm(in_channels=2))
    net.initialize()
    net.cast('float64')
    assert net(np.ones((4, 3), dtype='float64')).dtype == numpy.float64
    with pytest.raises(NotImplementedError, match='no symbolic graphs'):
        net[0].weight.var()
    with pytest.raises(NotImplementedError, match='save_parameters'):
        net[1].export('model')


@pytest.mark.parametrize(
    'block, fn',
    [
        (nn.Activation('relu'), torch.relu),
        (nn.Activation('tanh'), torch.tanh),
        (nn.Activation('softrelu'), torch.nn.functional.softplus),
        (nn.Activation('softsign'), torch.nn.functional.softsign),
        (nn.LeakyReLU(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
        (nn.ELU(0.5), lambda t: torch.nn.functional.elu(t, 0.5)),
        (nn.SELU(), torch.nn.functional.selu),
        (nn.GELU(), torch.nn.functional.gelu),
        (nn.Swish(2.0), lambda t: t * torch.sigmoid(2 * t)),
    ],
    ids=lambda b: repr(b)[:20],
)
def test_activations_match_torch(block, fn):
    x = np.array([-2.0, -0.3, 0.4, 1.5])
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward()
    t = _t(x)
    fn(t).sum().backward()
    assert_allclose(y, fn(t).detach().numpy(), rtol=1e-6, atol=1e-7)
    assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_prelu_learns_its_slope_like_torch():
    layer = nn.PReLU(in_channels=2)
    layer.initialize()
    x = np.array([[-1.0, 2.0], [-3.0, -0.5]])
    with autograd.record():
        y = layer(x)
    y.backward()
    ta, tx = _t([0.25, 0.25]), _t(x)
    torch.nn.functional.prelu(tx, ta).sum().backward()
    assert_allclose(y, [[-0.25, 2.0], [-0.75, -0.125]])
    assert_allclose(layer.alpha.grad(), ta.grad.numpy())


def test_embedding_and_conv2d_derivatives_to_second_order():
    emb = nn.Embedding(4, 2)
    emb.cast('float64')
    emb.initialize()
    index = np.array([[3, 0], [3, 1]])
    check_grad(lambda w: emb.hybrid_forward(ndgrad, index, w) ** 2, [emb.weight.data()], order=2)
    conv = nn.Conv2D(2, kernel_size=2, strides=1, padding=1, in_channels=1, activation='sigmoid')
    conv.cast('float64')
    conv.initialize(init.Normal(1.0))
    x = np.random.normal(size=(1, 1, 2, 2))
    check_grad(
        lambda x, w, b: conv.hybrid_forward(ndgrad, x, w, b),
        [x, conv.weight.data(), conv.bias.data()],
        order=2,
    )


@pytest.mark.parametrize(
    ('make', 'message'),
    [
        (lambda: nn.Conv2D(4, 3, layout='NCW'), "Conv2D: layout must be NCHW or NHWC, got 'NCW'"),
        (lambda: nn.Conv1D(4, 3, layout='NHWC'), "Conv1D: layout must be NCW or NWC, got 'NHWC'"),
        (
            lambda: nn.Conv2DTranspose(4, 3, layout='NCW'),
            "Conv2DTranspose: layout must be NCHW, got 'NCW'",
        ),
        (lambda: nn.MaxPool2D(layout='NCW'), "MaxPool2D: layout must be NCHW or NHWC, got 'NCW'"),
        (lambda: nn.AvgPool1D(layout='NCHW'), "AvgPool1D: layout must be NCW or NWC, got 'NCHW'"),
    ],
)
def test_a_layout_of_another_rank_is_refused_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()

"""gluon.Trainer and its optimizers: update formulas against MXNet 1.9.1 and PyTorch."""

import numpy
import pytest
import torch

from ndgrad import autograd, init, np, npx
from ndgrad.gluon import Parameter, Trainer, nn, optimizer as opt, utils
from ndgrad.testing import assert_allclose

W0 = numpy.array([[0.5, -1.2, 2.0], [0.1, 0.0, -0.3]], dtype='float32')
GRADS = [
    numpy.array([[1.0, -2.0, 0.5], [3.0, 0.2, -0.7]], dtype='float32'),
    numpy.array([[-0.5, 1.5, 2.5], [0.3, -4.0, 1.0]], dtype='float32'),
    numpy.array([[0.2, 0.2, -1.0], [-2.0, 0.5, 0.1]], dtype='float32'),
]
# MXNet 1.9.1: a float32 Parameter holding W0, gluon.Trainer([param], name, params) and
# trainer.step(2) after each gradient of GRADS; the weight after the three steps
MXNET = [
    (
        'sgd',
        {'learning_rate': 0.1},
        [[0.465000004, -1.18500006, 1.89999998], [0.0349999964, 0.164999992, -0.320000023]],
    ),
    (
        'sgd',
        {'learning_rate': 0.1, 'wd': 0.01, 'clip_gradient': 0.6},
        [[0.463576436, -1.20646358, 1.9591161], [0.0848352388, 0.0249599889, -0.319120854]],
    ),
    (
        'sgd',
        {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.05},
        [[0.388858676, -1.04950655, 1.68998921], [-0.234871715, 0.327089757, -0.297185123]],
    ),
    (
        'nag',
        {'learning_rate': 0.1, 'momentum': 0.9},
        [[0.376800001, -1.07835007, 1.67027509], [-0.266499996, 0.460109949, -0.324635029]],
    ),
    (
        'adam',
        {'learning_rate': 0.01, 'wd': 0.1},
        [[0.48188892, -1.18603599, 1.97526014], [0.0812366083, 0.00175186293, -0.293032169]],
    ),
    (
        'adam',
        {'learning_rate': 0.01, 'clip_gradient': 0.3, 'wd': 0.1},
        [[0.485124826, -1.19064593, 1.9773798], [0.0793794096, -0.00601783814, -0.291247874]],
    ),
    (
        'adagrad',
        {'learning_rate': 0.1, 'wd': 0.05},
        [[0.420423657, -1.15076196, 1.81009436], [0.0448833629, -0.0120143807, -0.286198527]],
    ),
    (
        'rmsprop',
        {'learning_rate': 0.01, 'wd': 0.05},
        [[0.474120617, -1.18740702, 1.94692433], [0.0836716145, -0.00415847637, -0.296108037]],
    ),
    (
        'rmsprop',
        {'learning_rate': 0.01, 'centered': True, 'gamma2': 0.8},
        [[0.439201891, -1.1567409, 1.87091112], [0.0311382543, -0.0259510949, -0.269097507]],
    ),
    (
        'adadelta',
        {'wd': 0.05},
        [[0.42298016, -1.02957571, 1.70002532], [0.0835266635, 0.00183712086, -0.260964811]],
    ),
]


def _run(name, params, grads=GRADS, batch_size=2):
    w = Parameter('w_weight', shape=W0.shape)
    w.initialize(init.Constant(W0))
    held = w.data()
    trainer = Trainer([w], name, params)
    for g in grads:
        with autograd.record():
            y = (w.data() * np.array(g)).sum()  # (gradient g)
        y.backward()
        trainer.step(batch_size)
    assert w.data() is held  # updated in place
    return numpy.asarray(held)


@pytest.mark.parametrize('name, params, expected', MXNET, ids=lambda c: str(c)[:40])
def test_updates_match_mxnet(name, params, expected):
    assert_allclose(_run(name, params), expected, rtol=1e-6, atol=1e-7)


def test_nag_weight_decay_uses_the_weight_before_the_step():
    # MXNet 1.9.1's nag_mom_update writes the new weight before computing the momentum's
    # weight-decay term from the same memory, so its momentum uses the updated weight
    # (its result here: [[0.359722972, ...]]). ndgrad uses the weight the step started
    # from, as PyTorch's SGD(nesterov=True) does.
    t = torch.tensor(W0, requires_grad=True)
    sgd = torch.optim.SGD([t], lr=0.1, momentum=0.9, weight_decay=0.05, nesterov=True)
    for g in GRADS:
        t.grad = torch.tensor(g / 2)
        sgd.step()
    got = _run('nag', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.05})
    assert_allclose(got, t.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    'name, params, make',
    [
        (
            'sgd',
            {'learning_rate': 0.1, 'momentum': 0.8, 'wd': 0.01},
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, weight_decay=0.01),
        ),
        (
            'adam',
            {'learning_rate': 0.01, 'wd': 0.1},
            lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, eps=1e-8),
        ),
        (
            'rmsprop',
            {'learning_rate': 0.01, 'gamma1': 0.9},
            lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8),
        ),
    ],
)
def test_updates_match_torch(name, params, make):
    t = torch.tensor(W0.astype('float64'), requires_grad=True)
    optimizer = make([t])
    for g in GRADS:
        t.grad = torch.tensor(g.astype('float64') / 2)
        optimizer.step()
    # (Adam and RMSProp place epsilon slightly differently: agreement to ~1e-5)
    assert_allclose(_run(name, params), t.detach().numpy(), rtol=2e-5, atol=2e-6)


def test_lr_mult_wd_mult_and_learning_rate():
    net = nn.Dense(1, in_units=2)
    net.initialize(init.One())
    net.collect_params('.*bias').setattr('wd_mult', 0)
    net.weight.lr_mult = 2.0
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 0.5})
    assert trainer.learning_rate == 0.1
    with autograd.record():
        y = net(np.array([[1.0, 2.0]])).sum()
    y.backward()
    trainer.step(1)
    # weight: 1 - 0.2·(x + 0.5·1); bias: 0 - 0.1·1 (no decay)
    assert_allclose(net.weight.data(), [[0.7, 0.5]], rtol=1e-6)
    assert_allclose(net.bias.data(), [-0.1], rtol=1e-6)
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5 and trainer.optimizer.lr == 0.5


def test_stale_gradients():
    a, b = Parameter('a', shape=(1,), init='ones'), Parameter('b', shape=(1,), init='ones')
    a.initialize()
    b.initialize()
    trainer = Trainer([a, b], 'sgd', {'learning_rate': 1.0})
    for _ in range(2):
        with autograd.record():
            y = 2 * a.data() + b.data()
        y.backward()
        trainer.step(1)
    assert_allclose(a.data(), [-3.0])
    with autograd.record():
        y = 2 * a.data()  # b unused
    y.backward()
    with pytest.raises(
        UserWarning,
        match=r'Gradient of Parameter `b` on context cpu\(0\) has '
        r'not been updated by backward since last `step`',
    ):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)  # b skipped
    assert_allclose(b.data(), [-1.0])


def test_trainer_arguments():
    w = Parameter('w', shape=(1,))
    with pytest.raises(ValueError, match='First argument must be a list or dict of Parameters'):
        Trainer(w, 'sgd')
    with pytest.raises(ValueError, match="Cannot find optimizer 'nope'"):
        Trainer([w], 'nope')
    with pytest.raises(ValueError, match='optimizer_params must be None'):
        Trainer([w], opt.SGD(), {'learning_rate': 1.0})
    trainer = Trainer({'w': w, 'again': w}, opt.Adam(learning_rate=0.5))
    assert trainer.learning_rate == 0.5 and len(trainer._params) == 1
    assert opt.create('sgd').learning_rate == 0.01


def test_save_and_load_states(tmp_path):
    w = Parameter('w', shape=(2,), init='ones')
    w.initialize()
    trainer = Trainer([w], 'adam', {'learning_rate': 0.1})
    with autograd.record():
        y = (w.data() ** 2).sum()
    y.backward()
    trainer.step(1)
    path = str(tmp_path / 'trainer.states')
    trainer.save_states(path)
    other = Trainer([w], 'adam', {'learning_rate': 0.1})
    other.load_states(path)
    assert other.optimizer._index_update_count == {0: 1}
    assert_allclose(other._states[0][0], trainer._states[0][0])


def test_split_and_load():
    x = np.arange(10.0).reshape(5, 2)
    assert utils.split_and_load(x, ['cpu(0)'])[0] is x
    parts = utils.split_and_load(x, ['cpu(0)'] * 2, even_split=False)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]
    assert_allclose(parts[1], [[6.0, 7.0], [8.0, 9.0]])
    with pytest.raises(ValueError, match='cannot be evenly split into 2 slices'):
        utils.split_and_load(x, ['cpu(0)'] * 2)
    cols = utils.split_data(x, 2, batch_axis=1)
    assert [c.shape for c in cols] == [(5, 1), (5, 1)]
    if npx.num_gpus() == 0:
        with pytest.raises(RuntimeError, match='gpu\\(0\\)'):
            utils.split_and_load(x, ['gpu(0)'])


def test_clip_global_norm_matches_torch():
    grads = [numpy.array([3.0, -4.0]), numpy.array([[1.0], [2.0]])]
    tensors = [torch.tensor(g, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    norm = torch.nn.utils.clip_grad_norm_(tensors, 2.0)
    arrays = [np.array(g) for g in grads]
    assert abs(utils.clip_global_norm(arrays, 2.0) - float(norm)) < 1e-12
    for a, t in zip(arrays, tensors):  # (PyTorch divides by norm + 1e-6, MXNet by + 1e-8)
        assert_allclose(a, t.grad.numpy(), rtol=1e-6)
    small = [np.array([0.1])]
    utils.clip_global_norm(small, 1.0)
    assert_allclose(small[0], [0.1])
    with (
        pytest.warns(UserWarning, match='nan or inf is detected'),
        numpy.errstate(invalid='ignore'),
    ):  # (inf · 0)
        utils.clip_global_norm([np.array([numpy.inf])], 1.0)

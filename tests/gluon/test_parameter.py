"""gluon.Parameter and ParameterDict."""

import numpy
import pytest

from ndgrad import autograd, init, np, npx
from ndgrad.gluon import Constant, DeferredInitializationError, Parameter, ParameterDict
from ndgrad.testing import assert_allclose


def test_repr_and_shape_like_mxnet():
    # MXNet 1.9.1: repr(gluon.Parameter('w_weight', shape=(2, 3)))
    assert (
        repr(Parameter('w_weight', shape=(2, 3)))
        == "Parameter w_weight (shape=(2, 3), dtype=<class 'numpy.float32'>)"
    )
    assert Parameter('w', shape=(4, 0)).shape == (4, -1)
    assert Parameter('b', shape=3).shape == (3,)
    assert repr(Constant('c', [[1, 2], [3, 4]])) == 'Constant c (shape=(2, 2), dtype=float32)'


def test_data_and_grad():
    w = Parameter('w', shape=(2,), init=init.Constant(2.0))
    w.initialize()
    assert_allclose(w.data(), [2.0, 2.0])
    with autograd.record():
        y = (w.data() ** 2).sum()
    y.backward()
    assert_allclose(w.grad(), [4.0, 4.0])
    assert w.list_data() == [w.data()] and w.list_grad() == [w.grad()]
    assert w.list_ctx() == [npx.cpu()] and w.data(npx.cpu()) is w.data()
    w.zero_grad()
    assert_allclose(w.grad(), [0.0, 0.0])


def test_grad_req_add_and_null():
    w = Parameter('w', shape=(1,), grad_req='add', init='ones')
    w.initialize()
    for _ in range(2):
        with autograd.record():
            y = 3 * w.data()
        y.backward()
    assert_allclose(w.grad(), [6.0])
    w.grad_req = 'null'
    with pytest.raises(RuntimeError, match="because grad_req='null'"):
        w.grad()
    w.grad_req = 'write'
    assert_allclose(w.grad(), [0.0])
    with pytest.raises(ValueError, match='grad_req must be one of'):
        w.grad_req = 'sometimes'


def test_uninitialized_and_deferred_errors():
    w = Parameter('w', shape=(2,))
    with pytest.raises(RuntimeError, match="Parameter 'w' has not been initialized"):
        w.data()
    d = Parameter('d', shape=(2, -1), allow_deferred_init=True)
    d.initialize()
    with pytest.raises(DeferredInitializationError, match='initialization was deferred'):
        d.data()
    assert d.list_ctx() == [npx.cpu()]
    with pytest.raises(
        ValueError, match="Cannot initialize Parameter 'e' because it has invalid shape"
    ):
        Parameter('e', shape=(2, -1)).initialize()


def test_double_initialization_warns_and_force_reinit_keeps_the_array():
    w = Parameter('w', shape=(2,), init='zeros')
    w.initialize()
    held = w.data()
    with pytest.warns(UserWarning, match="Parameter 'w' is already initialized, ignoring"):
        w.initialize()
    w.initialize(init.One(), force_reinit=True)
    assert w.data() is held
    assert_allclose(held, [1.0, 1.0])


def test_set_data_writes_in_place():
    w = Parameter('w', shape=(2,), init='zeros')
    w.initialize()
    held = w.data()
    w.set_data(w.data() + 1)
    assert_allclose(held, [1.0, 1.0])
    with pytest.raises(ValueError, match='incompatible'):
        w.set_data(np.ones(3))


def test_cast():
    w = Parameter('w', shape=(2,), init='ones')
    w.initialize()
    w.cast('float64')
    assert w.data().dtype == numpy.float64 and w.grad().dtype == numpy.float64


def test_constant_has_no_gradient():
    c = Constant('c', [1.0, 2.0])
    c.initialize()
    assert c.grad_req == 'null'
    with pytest.warns(UserWarning, match='does not support grad_req'):
        c.grad_req = 'write'
    assert c.grad_req == 'null'
    assert_allclose(c.data(), [1.0, 2.0])


def test_parameter_dict_get_shares_and_checks():
    params = ParameterDict('net_')
    w = params.get('weight', shape=(2, 0))
    assert params.get('weight', shape=(2, 3)) is w and w.shape == (2, 3)
    with pytest.raises(ValueError, match='desired attribute does not match'):
        params.get('weight', shape=(4, 3))
    shared = ParameterDict('net_', shared=params)
    assert shared.get('weight') is w
    c = params.get_constant('const', [1.0, 2.0])
    assert params.get_constant('const') is c
    with pytest.raises(KeyError, match="No constant named 'net_other'"):
        params.get_constant('other')
    assert list(params) == ['net_weight', 'net_const'] and len(params) == 2
    assert repr(params).startswith('net_ (\n  Parameter net_weight (shape=(2, 3)')


def test_parameter_dict_initialize_setattr_zero_grad(tmp_path):
    params = ParameterDict('p_')
    params.get('weight', shape=(2,))
    params.get('bias', shape=(2,), init='zeros')
    params.initialize(init.One())
    assert_allclose(params['p_weight'].data(), [1.0, 1.0])
    assert_allclose(params['p_bias'].data(), [0.0, 0.0])
    params.setattr('wd_mult', 0.0)
    assert all(p.wd_mult == 0.0 for p in params.values())
    params['p_weight'].grad()[:] = 5
    params.zero_grad()
    assert_allclose(params['p_weight'].grad(), [0.0, 0.0])
    path = str(tmp_path / 'p.params')
    params.save(path, strip_prefix='p_')
    assert sorted(numpy.load(path).files) == ['bias', 'weight']
    params['p_weight'].set_data(np.array([7.0, 7.0]))
    params.load(path, restore_prefix='p_')
    assert_allclose(params['p_weight'].data(), [1.0, 1.0])
    q = ParameterDict('q_')
    q.get('weight', shape=(2,))
    with pytest.raises(ValueError, match="Parameter 'q_weight' is missing in file"):
        q.load(path)
    assert params.list_ctx() == [npx.cpu()]


def test_dense_and_sparse_storage_only():
    with pytest.raises(ValueError, match='ndgrad arrays are dense'):
        Parameter('w', shape=(2,), stype='row_sparse')


def test_frozen_layer_keeps_its_values_while_the_rest_trains():
    from ndgrad.gluon import Trainer, nn

    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2, activation='relu'), nn.Dense(1, in_units=3))
    net.initialize(init.Normal(1.0))
    net[0].collect_params().setattr('grad_req', 'null')
    frozen, trained = net[0].weight.data().asnumpy(), net[1].weight.data().asnumpy()
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    for _ in range(2):
        with autograd.record():
            y = net(np.array([[1.0, -1.0], [0.5, 2.0]])).sum()
        y.backward()
        trainer.step(2)
    assert_allclose(net[0].weight.data(), frozen)
    assert not numpy.allclose(numpy.asarray(net[1].weight.data()), trained)


def test_grad_req_add_with_trainer_and_zero_grad():
    from ndgrad.gluon import Trainer

    w = Parameter('w', shape=(1,), grad_req='add', init='ones')
    w.initialize()
    trainer = Trainer([w], 'sgd', {'learning_rate': 1.0})
    for _ in range(2):  # two backward passes accumulate into one step
        with autograd.record():
            y = 2 * w.data()
        y.backward()
    trainer.step(1)
    assert_allclose(w.data(), [-3.0])
    w.zero_grad()
    assert_allclose(w.grad(), [0.0])

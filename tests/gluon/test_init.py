"""ndgrad.init: initializers and Gluon's default initialization, as MXNet 1.9.1 does them."""

import io
import json
from contextlib import redirect_stdout

import numpy
import pytest

from ndgrad import init, np
from ndgrad.gluon import nn
from ndgrad.testing import assert_allclose


def _filled(initializer, shape, name='x_weight'):
    arr = np.zeros(shape)
    initializer(init.InitDesc(name), arr)
    return numpy.asarray(arr)


def test_constant_zero_one():
    assert_allclose(_filled(init.Constant(42), (2, 2)), numpy.full((2, 2), 42.0))
    assert_allclose(_filled(init.Constant([1.0, 2.0]), (3, 2)), [[1.0, 2.0]] * 3)
    assert_allclose(_filled(init.Zero(), (2,)), [0.0, 0.0])
    assert_allclose(_filled(init.One(), (2,)), [1.0, 1.0])
    assert isinstance(init.create('zeros'), init.Zero)
    assert isinstance(init.create('ones'), init.One)


def test_uniform_and_normal_statistics():
    u = _filled(init.Uniform(), (200, 200))
    assert u.min() >= -0.07 and u.max() <= 0.07 and abs(u.std() - 0.07 / 3**0.5) < 1e-3
    n = _filled(init.Normal(sigma=0.5), (200, 200))
    assert abs(n.mean()) < 0.01 and abs(n.std() - 0.5) < 0.01
    assert _filled(init.Normal(), (3,)).dtype == numpy.float32


@pytest.mark.parametrize(
    'rnd_type, factor_type, magnitude',
    [('uniform', 'avg', 3), ('gaussian', 'in', 2), ('uniform', 'out', 6)],
)
def test_xavier_scale(rnd_type, factor_type, magnitude):
    shape = (64, 32, 3, 3)
    fan_in, fan_out = 32 * 9, 64 * 9
    factor = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    scale = (magnitude / factor) ** 0.5
    w = _filled(init.Xavier(rnd_type, factor_type, magnitude), shape)
    if rnd_type == 'uniform':
        assert abs(w).max() <= scale
        assert abs(w.std() - scale / 3**0.5) < 0.02 * scale
    else:
        assert abs(w.std() - scale) < 0.02 * scale


def test_msra_prelu_is_gaussian_xavier():
    prelu = init.MSRAPrelu(factor_type='in', slope=0.0)
    assert prelu.rnd_type == 'gaussian' and prelu.magnitude == 2.0
    w = _filled(prelu, (100, 400))
    assert abs(w.std() - (2 / 400) ** 0.5) < 0.002


def test_xavier_refuses_vectors():
    with pytest.raises(ValueError, match='Xavier initializer cannot be applied to vector'):
        _filled(init.Xavier(), (3,))
    with pytest.raises(ValueError, match="rnd_type must be 'uniform' or 'gaussian'"):
        init.Xavier(rnd_type='normal')


def test_name_endings_choose_the_method():
    normal = init.Normal(1.0)
    assert_allclose(_filled(normal, (2,), 'dense0_bias'), [0.0, 0.0])
    assert_allclose(_filled(normal, (2,), 'bn_gamma'), [1.0, 1.0])
    assert_allclose(_filled(normal, (2,), 'bn_beta'), [0.0, 0.0])
    with pytest.raises(ValueError, match='Unknown initialization pattern for x_moving'):
        _filled(normal, (2,), 'x_moving')
    desc = init.InitDesc('anything', {'__init__': init.Constant(3)})
    arr = np.zeros(2)
    normal(desc, arr)
    assert_allclose(arr, [3.0, 3.0])


def test_dumps_matches_mxnet():
    # (MXNet 1.9.1's dumps())
    assert json.loads(init.Xavier().dumps()) == [
        'xavier',
        {'rnd_type': 'uniform', 'factor_type': 'avg', 'magnitude': 3},
    ]
    assert init.Normal(0.5).dumps() == '["normal", {"sigma": 0.5}]'
    assert json.loads(init.MSRAPrelu().dumps()) == [
        'msraprelu',
        {'factor_type': 'avg', 'slope': 0.25},
    ]
    assert isinstance(init.create(init.Normal(0.5).dumps()), init.Normal)


def test_custom_initializer_fills_weights_only():
    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            data[:] = np.random.uniform(-10, 10, data.shape)
            data *= np.abs(data) >= 5

    net = nn.Sequential()
    net.add(nn.Dense(8, activation='relu'), nn.Dense(2))
    out = io.StringIO()
    with redirect_stdout(out):
        net.initialize(MyInit())
        net(np.ones((1, 4)))
    lines = out.getvalue().splitlines()
    # MXNet 1.9.1 prints 'Init denseK_weight (8, 4)' and 'Init denseK+1_weight (2, 8)' only:
    # biases keep their own initializer, 'zeros'
    assert lines == [f'Init {net[0].weight.name} (8, 4)', f'Init {net[1].weight.name} (2, 8)']
    w = numpy.asarray(net[0].weight.data())
    assert ((w == 0) | (abs(w) >= 5)).all()
    assert_allclose(net[0].bias.data(), numpy.zeros(8))


def test_reinitialize_one_layer_keeps_bias_initializer():
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
    net.initialize()
    held = net[1].weight.data()
    net[1].initialize(init=init.Constant(42), force_reinit=True)
    # MXNet 1.9.1: weight all 42, bias still 0
    assert_allclose(net[1].weight.data(), numpy.full((2, 3), 42.0))
    assert_allclose(net[1].bias.data(), [0.0, 0.0])
    assert net[1].weight.data() is held


def test_verbose_initialization_prints():
    net = nn.Dense(2, in_units=2)
    out = io.StringIO()
    with redirect_stdout(out):
        net.initialize(init.One(), verbose=True)
    assert out.getvalue().startswith(f'Initialized {net.weight.name} as ')

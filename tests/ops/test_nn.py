"""npx's neural-network ops: values against NumPy references, first and second
derivatives in both modes against central differences, float32 kept float32;
then exact values at ties and kinks, and the errors bad input gets."""

import math
import warnings

import numpy
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from ndgrad import autograd, np, npx
from ndgrad.testing import check_grad
from tests.ops.harness import SHAPES_UNARY, Case, run_case

SHAPES_2D = [(1, 3), (2, 3)]


def _away_from_zero(lo=0.2, hi=2.0):
    def make(rng, shapes):
        return [rng.uniform(lo, hi, s) * rng.choice([-1.0, 1.0], s) for s in shapes]

    return make


# --- NumPy references -------------------------------------------------------------------


def ref_softmax(x, axis=-1):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - numpy.log(numpy.exp(s).sum(axis=axis, keepdims=True))


def ref_sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def ref_softplus(x):
    return numpy.log1p(numpy.exp(x))


def ref_erf(x):
    return numpy.vectorize(math.erf, otypes=[float])(x)


def ref_gelu(x):
    return 0.5 * x * (1 + ref_erf(x / math.sqrt(2)))


def ref_pick(x, index, axis=-1, keepdims=False):
    index = numpy.expand_dims(numpy.asarray(index, dtype=int), axis)
    out = numpy.take_along_axis(x, index, axis)
    return out if keepdims else numpy.squeeze(out, axis)


def ref_normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / numpy.sqrt(var + eps)


def ref_layer_norm(x, gamma, beta, axis=-1, eps=1e-5):
    shape = [1] * x.ndim
    shape[axis] = -1
    return ref_normalize(x, axis, eps) * gamma.reshape(shape) + beta.reshape(shape)


def ref_batch_norm(x, gamma, beta, axis=1, eps=1e-5):
    others = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = -1
    return ref_normalize(x, others, eps) * gamma.reshape(shape) + beta.reshape(shape)


def ref_selu(x):
    a, lam = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return lam * numpy.where(x > 0, x, a * numpy.expm1(numpy.minimum(x, 0)))


def _train(fn):
    """`fn` called in training mode."""

    def wrapped(*args):
        with autograd.train_mode():
            return fn(*args)

    return wrapped


def _seeded(fn, seed=3):
    """`fn` with NumPy's global generator reseeded first: the same dropout mask each call."""

    def wrapped(*args):
        numpy.random.seed(seed)
        return fn(*args)

    return wrapped


def _dropout_ref(shape, p, seed=3, axes=()):
    numpy.random.seed(seed)
    mask_shape = [1 if i in axes else s for i, s in enumerate(shape)]
    return (numpy.random.random_sample(mask_shape) >= p) / (1 - p)


LABELS = numpy.array([2.0, 0.0])  # float labels, as MXNet's are
LENGTHS = numpy.array([2, 3])

CASES = (
    [
        Case(f'relu/{s}', npx.relu, lambda x: numpy.maximum(x, 0), [s], make=_away_from_zero())
        for s in SHAPES_UNARY
    ]
    + [Case(f'sigmoid/{s}', npx.sigmoid, ref_sigmoid, [s], domain=(-4, 4)) for s in SHAPES_UNARY]
    + [Case(f'softplus/{s}', npx.softplus, ref_softplus, [s], domain=(-4, 4)) for s in SHAPES_UNARY]
    # softmax and log_softmax along every kind of axis
    + [
        Case(
            f'softmax/{s}/axis{a}',
            lambda x, a=a: npx.softmax(x, axis=a),
            lambda x, a=a: ref_softmax(x, a),
            [s],
        )
        for s, a in [
            ((3,), -1),
            ((1,), 0),
            ((2, 3), -1),
            ((2, 3), 0),
            ((2, 1, 3), 1),
            ((2, 2, 3), -2),
        ]
    ]
    + [
        Case(
            f'log_softmax/{s}/axis{a}',
            lambda x, a=a: npx.log_softmax(x, axis=a),
            lambda x, a=a: ref_log_softmax(x, a),
            [s],
        )
        for s, a in [
            ((3,), -1),
            ((1,), 0),
            ((2, 3), -1),
            ((2, 3), 0),
            ((2, 1, 3), 1),
            ((2, 2, 3), -2),
        ]
    ]
    + [
        Case(
            'softmax/temperature',
            lambda x: npx.softmax(x, temperature=2.0),
            lambda x: ref_softmax(x / 2),
            [(2, 3)],
        ),
        Case(
            'log_softmax/temperature',
            lambda x: npx.log_softmax(x, axis=0, temperature=0.5),
            lambda x: ref_log_softmax(x * 2, 0),
            [(2, 3)],
        ),
        Case(
            'softmax/use_length',
            lambda x: npx.softmax(x, np.array(LENGTHS), use_length=True),
            lambda x: numpy.where(
                numpy.arange(3) < LENGTHS[:, None],
                ref_softmax(numpy.where(numpy.arange(3) < LENGTHS[:, None], x, -numpy.inf)),
                0,
            ),
            [(2, 3)],
        ),
        Case(
            'log_softmax/use_length',
            lambda x: npx.log_softmax(x, np.array(LENGTHS), use_length=True),
            lambda x: numpy.where(
                numpy.arange(3) < LENGTHS[:, None],
                ref_log_softmax(numpy.where(numpy.arange(3) < LENGTHS[:, None], x, -numpy.inf)),
                0,
            ),
            [(2, 3)],
        ),
        Case(
            'softmax/use_length/axis0',
            lambda x: npx.softmax(x, np.array([1, 2, 2]), axis=0, use_length=True),
            lambda x: ref_softmax(
                numpy.where(numpy.arange(2)[:, None] < [1, 2, 2], x, -numpy.inf), 0
            ),
            [(2, 3)],
        ),
        Case('softmax/dtype', lambda x: npx.softmax(x, dtype='float64'), ref_softmax, [(2, 3)]),
        Case(
            'softmax-cross-entropy',
            lambda z: -npx.pick(npx.log_softmax(z), np.array(LABELS)).mean(),
            lambda z: -ref_pick(ref_log_softmax(z), LABELS).mean(),
            [(2, 3)],
            domain=(-3, 3),
        ),
        Case(
            'softmax-cross-entropy/axis0',
            lambda z: -npx.pick(npx.log_softmax(z, axis=0), np.array([1, 0, 1]), axis=0).sum(),
            lambda z: -ref_pick(ref_log_softmax(z, 0), [1, 0, 1], axis=0).sum(),
            [(2, 3)],
        ),
    ]
    # pick
    + [
        Case(
            'pick/axis-1',
            lambda x: npx.pick(x, np.array([2.0, 0.0])),
            lambda x: ref_pick(x, [2, 0]),
            [(2, 3)],
        ),
        Case(
            'pick/axis0',
            lambda x: npx.pick(x, np.array([1, 0, 1]), axis=0),
            lambda x: ref_pick(x, [1, 0, 1], axis=0),
            [(2, 3)],
        ),
        Case(
            'pick/axis1-of-3d/keepdims',
            lambda x: npx.pick(x, np.array([[0, 1, 0], [1, 1, 0]]), axis=1, keepdims=True),
            lambda x: ref_pick(x, [[0, 1, 0], [1, 1, 0]], axis=1, keepdims=True),
            [(2, 2, 3)],
        ),
        Case('pick/1d', lambda x: npx.pick(x, np.array(2)), lambda x: x[2], [(3,)]),
        Case(
            'pick/size1-axis', lambda x: npx.pick(x, np.array([0, 0])), lambda x: x[:, 0], [(2, 1)]
        ),
        Case(
            'pick/broadcast-index',
            lambda x: npx.pick(x, np.array([1]), axis=-1),
            lambda x: x[:, 1],
            [(2, 3)],
        ),
        Case(
            'pick/clip',
            lambda x: npx.pick(x, np.array([5, -2])),
            lambda x: x[[0, 1], [2, 0]],
            [(2, 3)],
        ),
        Case(
            'pick/wrap',
            lambda x: npx.pick(x, np.array([4, -1]), mode='wrap'),
            lambda x: x[[0, 1], [1, 2]],
            [(2, 3)],
        ),
        Case(
            'pick/axis-none',
            lambda x: npx.pick(x, np.array(4), axis=None),
            lambda x: x.reshape(-1)[4],
            [(2, 3)],
        ),
    ]
    # topk values (random inputs: no ties)
    + [
        Case(
            'topk/value',
            lambda x: npx.topk(x, k=2, ret_typ='value'),
            lambda x: -numpy.sort(-x, axis=-1)[..., :2],
            [(2, 4)],
        ),
        Case(
            'topk/value/axis0/ascend',
            lambda x: npx.topk(x, axis=0, k=2, ret_typ='value', is_ascend=True),
            lambda x: numpy.sort(x, axis=0)[:2],
            [(3, 2)],
        ),
        Case(
            'topk/value/all',
            lambda x: npx.topk(x, k=0, ret_typ='value'),
            lambda x: -numpy.sort(-x),
            [(4,)],
        ),
        Case(
            'topk/value/axis-none',
            lambda x: npx.topk(x, axis=None, k=3, ret_typ='value'),
            lambda x: -numpy.sort(-x.reshape(-1))[:3],
            [(2, 3)],
        ),
        Case(
            'topk/both',
            lambda x: npx.topk(x, k=1, ret_typ='both')[0],
            lambda x: x.max(axis=-1, keepdims=True),
            [(2, 3)],
        ),
    ]
    # batch_dot
    + [
        Case(
            f'batch_dot/{ta}{tb}',
            lambda a, b, ta=ta, tb=tb: npx.batch_dot(a, b, transpose_a=ta, transpose_b=tb),
            lambda a, b, ta=ta, tb=tb: numpy.matmul(
                a.swapaxes(-1, -2) if ta else a, b.swapaxes(-1, -2) if tb else b
            ),
            [(2, 3, 2) if ta else (2, 2, 3), (2, 1, 3) if tb else (2, 3, 1)],
        )
        for ta in (False, True)
        for tb in (False, True)
    ]
    + [Case('batch_dot/broadcast', npx.batch_dot, numpy.matmul, [(1, 2, 3), (2, 3, 2)])]
    # activations
    + [
        Case(f'activation/{t}', lambda x, t=t: npx.activation(x, act_type=t), ref, [s], **kw)
        for t, ref, s, kw in [
            ('relu', lambda x: numpy.maximum(x, 0), (2, 3), dict(make=_away_from_zero())),
            ('sigmoid', ref_sigmoid, (2, 3), {}),
            ('tanh', numpy.tanh, (), {}),
            ('softrelu', ref_softplus, (3,), {}),
            ('softsign', lambda x: x / (1 + abs(x)), (2, 3), dict(make=_away_from_zero())),
            ('log_sigmoid', lambda x: -ref_softplus(-x), (3,), {}),
            ('mish', lambda x: x * numpy.tanh(ref_softplus(x)), (3,), {}),
        ]
    ]
    + [
        Case(
            'leaky_relu/leaky',
            lambda x: npx.leaky_relu(x, slope=0.1),
            lambda x: numpy.where(x > 0, x, 0.1 * x),
            [(2, 3)],
            make=_away_from_zero(),
        ),
        Case(
            'leaky_relu/default-slope',
            npx.leaky_relu,
            lambda x: numpy.where(x > 0, x, 0.25 * x),
            [()],
            make=_away_from_zero(),
        ),
        Case(
            'leaky_relu/prelu',
            lambda x, g: npx.leaky_relu(x, g, act_type='prelu'),
            lambda x, g: numpy.where(x > 0, x, g[:, None] * x),
            [(2, 3, 2), (3,)],
            make=lambda rng, s: [_away_from_zero()(rng, s[:1])[0], rng.uniform(0, 1, s[1])],
        ),
        Case(
            'leaky_relu/prelu-shared',
            lambda x, g: npx.leaky_relu(x, g, act_type='prelu'),
            lambda x, g: numpy.where(x > 0, x, g * x),
            [(2, 3), (1,)],
            make=lambda rng, s: [_away_from_zero()(rng, s[:1])[0], rng.uniform(0, 1, s[1])],
        ),
        Case(
            'leaky_relu/rrelu-predict',
            lambda x: npx.leaky_relu(x, act_type='rrelu'),
            lambda x: numpy.where(x > 0, x, (0.125 + 0.334) / 2 * x),
            [(3,)],
            make=_away_from_zero(),
        ),
        Case(
            'leaky_relu/elu',
            lambda x: npx.leaky_relu(x, act_type='elu', slope=0.7),
            lambda x: numpy.where(x > 0, x, 0.7 * numpy.expm1(numpy.minimum(x, 0))),
            [(2, 3)],
            make=_away_from_zero(),
        ),
        Case(
            'leaky_relu/selu',
            lambda x: npx.leaky_relu(x, act_type='selu'),
            ref_selu,
            [(2, 3)],
            make=_away_from_zero(),
        ),
        Case('leaky_relu/gelu', lambda x: npx.leaky_relu(x, act_type='gelu'), ref_gelu, [(3,)]),
        Case('gelu/erf', npx.gelu, ref_gelu, [(2, 3)], domain=(-3, 3)),
        Case('gelu/0d', npx.gelu, ref_gelu, [()]),
        Case(
            'gelu/tanh',
            lambda x: npx.gelu(x, approximation='tanh'),
            lambda x: 0.5 * x * (1 + numpy.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
            [(2, 3)],
        ),
    ]
    # normalization
    + [
        Case(
            f'layer_norm/{s}/axis{a}',
            lambda x, g, b, a=a: npx.layer_norm(x, g, b, axis=a),
            lambda x, g, b, a=a: ref_layer_norm(x, g, b, a),
            [s, (s[a],), (s[a],)],
        )
        for s, a in [((4,), -1), ((2, 3), -1), ((3, 2), 0), ((2, 3, 2), 1), ((2, 1, 3), -1)]
    ]
    + [
        Case(
            'layer_norm/eps',
            lambda x, g, b: npx.layer_norm(x, g, b, eps=0.1),
            lambda x, g, b: ref_layer_norm(x, g, b, eps=0.1),
            [(2, 3), (3,), (3,)],
        )
    ]
    + [
        Case(
            f'batch_norm/train/{s}/axis{a}',
            _train(
                lambda x, g, b, a=a: npx.batch_norm(
                    x, g, b, np.zeros(g.shape[0]), np.ones(g.shape[0]), axis=a
                )
            ),
            lambda x, g, b, a=a: ref_batch_norm(x, g, b, a),
            [s, (s[a],), (s[a],)],
        )
        for s, a in [
            ((3, 2), 1),
            ((2, 3, 2), 1),
            ((2, 2, 3), -1),
            ((3, 2), 0),
            ((1, 2, 3), 1),
            ((2, 1, 3), 1),
        ]
    ]
    + [
        Case(
            'batch_norm/predict',
            lambda x, g, b: npx.batch_norm(x, g, b, np.array([0.5, -1.0]), np.array([2.0, 0.5])),
            lambda x, g, b: (
                (x - [[0.5], [-1.0]]) / numpy.sqrt(numpy.array([[2.0], [0.5]]) + 1e-5) * g[:, None]
                + b[:, None]
            ),
            [(3, 2, 2), (2,), (2,)],
        ),
        Case(
            'batch_norm/use_global_stats',
            _train(
                lambda x, g, b: npx.batch_norm(
                    x, g, b, np.array([0.5, -1.0]), np.array([2.0, 0.5]), use_global_stats=True
                )
            ),
            lambda x, g, b: (
                (x - [[0.5], [-1.0]]) / numpy.sqrt(numpy.array([[2.0], [0.5]]) + 1e-5) * g[:, None]
                + b[:, None]
            ),
            [(3, 2, 2), (2,), (2,)],
        ),
        Case(
            'batch_norm/fix_gamma',
            _train(
                lambda x, b: npx.batch_norm(
                    x, np.array([5.0, 5.0]), b, np.zeros(2), np.ones(2), fix_gamma=True
                )
            ),
            lambda x, b: ref_batch_norm(x, numpy.ones(2), b),
            [(3, 2), (2,)],
        ),
    ]
    # masking, shapes, dropout
    + [
        Case(
            'sequence_mask/axis0',
            lambda x: npx.sequence_mask(x, np.array(LENGTHS), use_sequence_length=True),
            lambda x: x * (numpy.arange(3)[:, None] < LENGTHS)[..., None],
            [(3, 2, 2)],
        ),
        Case(
            'sequence_mask/axis1/value',
            lambda x: npx.sequence_mask(x, np.array(LENGTHS), True, value=-1.0, axis=1),
            lambda x: numpy.where(numpy.arange(3) < LENGTHS[:, None], x, -1.0),
            [(2, 3)],
        ),
        Case(
            'sequence_mask/off',
            lambda x: npx.sequence_mask(x, np.array(LENGTHS)),
            lambda x: x,
            [(3, 2)],
        ),
        Case(
            'reshape_like',
            lambda x: npx.reshape_like(x, np.zeros((3, 2))),
            lambda x: x.reshape(3, 2),
            [(2, 3)],
        ),
        Case(
            'reshape_like/ranges',
            lambda x: npx.reshape_like(
                x, np.zeros((5, 3, 2, 7)), lhs_begin=1, lhs_end=2, rhs_begin=1, rhs_end=3
            ),
            lambda x: x.reshape(2, 3, 2),
            [(2, 6)],
        ),
        Case(
            'dropout/train',
            _train(_seeded(lambda x: npx.dropout(x, p=0.4))),
            lambda x: x * _dropout_ref(x.shape, 0.4),
            [(3, 4)],
        ),
        Case(
            'dropout/axes',
            _train(_seeded(lambda x: npx.dropout(x, p=0.5, axes=(0,)))),
            lambda x: x * _dropout_ref(x.shape, 0.5, axes=(0,)),
            [(3, 4)],
        ),
        Case(
            'dropout/always',
            _seeded(lambda x: npx.dropout(x, p=0.3, mode='always')),
            lambda x: x * _dropout_ref(x.shape, 0.3),
            [(5,)],
        ),
        Case('dropout/predict', lambda x: npx.dropout(x, p=0.3), lambda x: x, [(2, 3)]),
    ]
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


# --- values at ties, kinks and special points ---------------------------------------


def _grad(f, x):
    x = np.array(x, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()


def test_relu_gradient_at_zero_is_zero():
    numpy.testing.assert_array_equal(_grad(npx.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_leaky_relu_gradient_at_zero_is_the_slope():
    numpy.testing.assert_array_equal(
        _grad(lambda x: npx.leaky_relu(x, slope=0.1), [0.0, 1.0]), [0.1, 1.0]
    )


def test_leaky_relu_of_integers_is_float():
    out = npx.leaky_relu(np.array([-4, 2], dtype='int64'), slope=0.25)
    assert out.dtype.kind == 'f' and out.asnumpy().tolist() == [-1.0, 2.0]


def test_sigmoid_and_softplus_extremes_are_finite_and_silent():
    x = np.array([-1000.0, 0.0, 1000.0])
    with numpy.errstate(over='raise', divide='raise', invalid='raise'):
        numpy.testing.assert_array_equal(npx.sigmoid(x).asnumpy(), [0.0, 0.5, 1.0])
        numpy.testing.assert_allclose(npx.softplus(x).asnumpy(), [0.0, math.log(2), 1000.0])
        numpy.testing.assert_array_equal(_grad(npx.sigmoid, [-1000.0, 1000.0]), [0.0, 0.0])


def test_softmax_is_stable_for_large_logits():
    out = npx.softmax(np.array([1000.0, 1000.0], dtype='float64'))
    numpy.testing.assert_array_equal(out.asnumpy(), [0.5, 0.5])
    numpy.testing.assert_array_equal(
        npx.log_softmax(np.array([0.0, -1000.0], dtype='float64')).asnumpy(), [0.0, -1000.0]
    )


def test_softmax_with_length_zeroes_masked_entries_and_their_gradient():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = npx.softmax(x, np.array([1, 2]), use_length=True)
        total = (y * np.array([1.0, 2.0, 3.0])).sum()
    total.backward()
    e = math.e
    numpy.testing.assert_allclose(y.asnumpy(), [[1, 0, 0], [1 / (1 + e), e / (1 + e), 0]])
    assert x.grad.asnumpy()[0].tolist() == [0.0, 0.0, 0.0]
    assert x.grad.asnumpy()[1, 2] == 0.0


def test_log_softmax_with_length_is_zero_and_passes_no_gradient_past_the_length():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = npx.log_softmax(x, np.array([1, 2]), use_length=True)
    y.backward()
    assert y.asnumpy()[0].tolist() == [0.0, 0.0, 0.0]
    s = ref_softmax(numpy.array([4.0, 5.0]))
    numpy.testing.assert_allclose(x.grad.asnumpy(), [[0, 0, 0], [*(1 - 2 * s), 0]])


def test_softmax_rows_of_length_zero_are_zero_without_warnings():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype='float64')
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with autograd.record():
            y = npx.softmax(x, np.array([0, 2]), use_length=True)
            z = npx.log_softmax(x, np.array([0, 2]), use_length=True)
            total = y.sum() + z.sum()
        total.backward()
    assert y.asnumpy()[0].tolist() == [0.0, 0.0] and z.asnumpy()[0].tolist() == [0.0, 0.0]
    # rows of y sum to 0 and 1 (constants); row 1 of z gives 1 - 2·softmax
    numpy.testing.assert_allclose(
        x.grad.asnumpy(), [[0, 0], 1 - 2 * ref_softmax(numpy.array([3.0, 4.0]))]
    )


def test_softmax_cross_entropy_second_order():
    """The Hessian of mean cross-entropy is (diag(p) - ppᵀ)/n per row: exact check."""
    z = numpy.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]])
    labels = np.array([2.0, 1.0])
    x = np.array(z)
    x.attach_grad()
    with autograd.record():
        loss = -npx.pick(npx.log_softmax(x), labels).mean()
        (g,) = autograd.grad(loss, [x], create_graph=True)
        (g * np.array([[1.0, 0, 0], [0, 0, 0]])).sum().backward()
    p = ref_softmax(z)
    numpy.testing.assert_allclose(g.asnumpy(), (p - numpy.eye(3)[[2, 1]]) / 2)
    hessian_row = (numpy.diag(p[0]) - numpy.outer(p[0], p[0]))[0] / 2
    numpy.testing.assert_allclose(x.grad.asnumpy()[0], hessian_row)
    numpy.testing.assert_allclose(x.grad.asnumpy()[1], 0)


def test_softmax_cross_entropy_float32_stays_float32():
    x = np.random.normal(size=(4, 5))
    x.attach_grad()
    with autograd.record():
        loss = -npx.pick(npx.log_softmax(x), np.array([0.0, 4.0, 2.0, 2.0])).mean()
    loss.backward()
    assert loss.dtype == numpy.float32 and x.grad.dtype == numpy.float32


def test_pick_gradient_scatters_to_the_picked_entries():
    grad = _grad(lambda x: npx.pick(x, np.array([1, 1, 0])).sum() * 1.0, numpy.zeros((3, 2)))
    numpy.testing.assert_array_equal(grad, [[0, 1], [0, 1], [1, 0]])


def test_topk_return_types():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, 4.0, 5.0]])
    idx = npx.topk(x, k=2)
    assert idx.dtype == numpy.float32
    numpy.testing.assert_array_equal(idx.asnumpy(), [[0, 2], [1, 3]])  # ties: lower first
    numpy.testing.assert_array_equal(
        npx.topk(x, k=2, ret_typ='mask').asnumpy(), [[1, 0, 1, 0], [0, 1, 0, 1]]
    )
    values, indices = npx.topk(x, k=1, ret_typ='both', is_ascend=True, dtype='int32')
    numpy.testing.assert_array_equal(values.asnumpy(), [[1.0], [0.0]])
    assert indices.dtype == numpy.int32 and indices.asnumpy().tolist() == [[1], [0]]
    numpy.testing.assert_array_equal(npx.topk(x, axis=None, k=3).asnumpy(), [5, 7, 6])


def test_topk_value_gradient_goes_to_the_selected_tie():
    grad = _grad(lambda x: npx.topk(x, k=1, ret_typ='value').sum(), [2.0, 5.0, 5.0])
    numpy.testing.assert_array_equal(grad, [0.0, 1.0, 0.0])


def test_one_hot():
    out = npx.one_hot(np.array([1.0, 0.0, 3.0, -1.0]), 3)
    assert out.dtype == numpy.float32
    numpy.testing.assert_array_equal(out.asnumpy(), [[0, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0]])
    out = npx.one_hot(np.array([[2]], dtype='int32'), 3, on_value=5, off_value=-1, dtype='int64')
    assert out.dtype == numpy.int64 and out.asnumpy().tolist() == [[[-1, -1, 5]]]


def test_one_hot_and_arange_like_carry_no_gradient():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        assert npx.one_hot(x, 3)._node is None
        assert npx.arange_like(x)._node is None


def test_arange_like():
    x = np.zeros((2, 3))
    numpy.testing.assert_array_equal(npx.arange_like(x).asnumpy(), numpy.arange(6.0).reshape(2, 3))
    numpy.testing.assert_array_equal(
        npx.arange_like(x, start=1, step=2, axis=1).asnumpy(), [1, 3, 5]
    )
    numpy.testing.assert_array_equal(npx.arange_like(x, repeat=2, axis=-1).asnumpy(), [0, 0, 1])
    assert npx.arange_like(np.zeros(3, dtype='float64')).dtype == numpy.float64


def test_batch_norm_float32_training_values():
    x = np.random.normal(size=(4, 3))
    g, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0])
    with autograd.train_mode():
        out = npx.batch_norm(x, g, b, np.zeros(3), np.ones(3))
    assert out.dtype == numpy.float32
    ref = ref_batch_norm(x.asnumpy().astype(float), g.asnumpy(), b.asnumpy())
    numpy.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-5)


def test_layer_norm_of_a_constant_row_is_beta():
    out = npx.layer_norm(np.full((2, 3), 7.0), np.ones(3), np.array([1.0, 2.0, 3.0]))
    numpy.testing.assert_array_equal(out.asnumpy(), [[1, 2, 3], [1, 2, 3]])


def test_dropout_p1_zeroes_everything_p0_is_identity():
    x = np.ones((2, 3))
    with autograd.train_mode():
        numpy.testing.assert_array_equal(npx.dropout(x, p=1.0).asnumpy(), numpy.zeros((2, 3)))
        assert npx.dropout(x, p=0.0) is x


def test_dropout_keeps_the_expected_fraction_and_scale():
    x = np.ones(20000)
    with autograd.train_mode():
        y = npx.dropout(x, p=0.25).asnumpy()
    assert set(numpy.unique(y).tolist()) <= {0.0, numpy.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert y.dtype == numpy.float32


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    'call, error, words',
    [
        (lambda: npx.pick(np.zeros((2, 3)), np.array([0.5, 1.0])), IndexError, 'whole numbers'),
        (lambda: npx.pick(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, 'does not match'),
        (
            lambda: npx.pick(np.zeros((2, 3)), np.array([0, 1]), axis=2),
            numpy.exceptions.AxisError,
            'axis 2',
        ),
        (lambda: npx.pick(np.zeros((2, 3)), np.array([0, 1]), mode='raise'), ValueError, 'wrap'),
        (lambda: npx.softmax(np.zeros((2, 3)), 0), TypeError, 'axis=0'),
        (lambda: npx.softmax(np.zeros((2, 3)), use_length=True), ValueError, 'length='),
        (lambda: npx.softmax(np.zeros((2, 3)), axis=3), numpy.exceptions.AxisError, 'axis'),
        (lambda: npx.activation(np.zeros(2), act_type='swish'), ValueError, 'softrelu'),
        (lambda: npx.leaky_relu(np.zeros(2), act_type='prelu'), ValueError, 'gamma'),
        (lambda: npx.leaky_relu(np.zeros(2), act_type='bogus'), ValueError, 'elu'),
        (lambda: npx.gelu(np.zeros(2), approximation='x'), ValueError, 'tanh'),
        (lambda: npx.topk(np.zeros(3), k=4), ValueError, 'larger'),
        (lambda: npx.topk(np.zeros(3), ret_typ='values'), ValueError, 'ret_typ'),
        (lambda: npx.batch_dot(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, 'np.matmul'),
        (lambda: npx.batch_dot(np.zeros((2, 2, 3)), np.zeros((2, 2, 3))), ValueError, ''),
        (lambda: npx.reshape_like(np.zeros(6), np.zeros((4, 2))), ValueError, 'sizes differ'),
        (
            lambda: npx.sequence_mask(np.zeros((3, 2)), np.array([1, 2, 3]), True),
            ValueError,
            'shape (2,)',
        ),
        (lambda: npx.sequence_mask(np.zeros((3, 2)), None, True), ValueError, 'sequence_length'),
        (
            lambda: npx.sequence_mask(np.zeros((3, 2)), np.array([1, 2]), True, axis=2),
            ValueError,
            'axis',
        ),
        (lambda: npx.dropout(np.zeros(2), p=1.5), ValueError, 'probability'),
        (lambda: npx.dropout(np.zeros(2), mode='test'), ValueError, 'always'),
        (lambda: npx.layer_norm(np.zeros((2, 3)), np.ones(2), np.zeros(3)), ValueError, 'gamma'),
        (
            lambda: npx.layer_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), output_mean_var=True),
            NotImplementedError,
            'np.mean',
        ),
        (
            lambda: npx.batch_norm(
                np.zeros((2, 3)), np.ones(3), np.zeros(3), np.zeros(2), np.ones(3)
            ),
            ValueError,
            'running_mean',
        ),
        (lambda: npx.one_hot(np.array([1.5]), 3), IndexError, 'whole numbers'),
        (lambda: npx.one_hot(np.array([1]), -1), ValueError, 'depth'),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)


def test_second_order_of_gelu_by_hand():
    # d²/dx² x·Φ(x) = φ(x)·(2 - x²)
    x = numpy.array([-1.0, 0.3, 2.0])
    check_grad(npx.gelu, [x], order=3)
    xs = np.array(x)
    xs.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(npx.gelu(xs).sum(), [xs], create_graph=True)
        total = g.sum()
    total.backward()
    phi = numpy.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    numpy.testing.assert_allclose(xs.grad.asnumpy(), phi * (2 - x * x), rtol=1e-12)


def test_forward_mode_sums_tangents_of_different_ranks():
    """x·v + v with v = reshape(g) reaches `add` twice: once lifted by the
    elementwise multiply, once as is. The engine aligns them before summing."""
    x = numpy.random.default_rng(0).uniform(-1, 1, (3, 2, 2))
    check_grad(
        lambda g: np.array(x) * g.reshape(2, 1) + g.reshape(2, 1),
        [numpy.array([0.5, -1.0])],
        order=2,
    )


@pytest.mark.parametrize('module', ['ndgrad.rules.nn', 'ndgrad.rules.special', 'ndgrad.npx'])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(module),
        extraglobs={'np': np, 'npx': npx, 'autograd': autograd},
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0 and result.attempted > 0


EMBED_INDEX = numpy.array([[2, 0, 2], [1, 7, -1]])


@pytest.mark.parametrize(
    'case',
    [
        Case(
            'embedding',
            lambda w: npx.embedding(np.array(EMBED_INDEX.astype(float)), w, 3, 2),
            lambda w: w[numpy.clip(EMBED_INDEX, 0, 2)],
            [(3, 2)],
        ),
        Case('batch_flatten', npx.batch_flatten, lambda x: x.reshape(2, -1), [(2, 3, 1)]),
    ],
    ids=str,
)
def test_layer_op(case):
    run_case(case)


def test_embedding_gradient_adds_repeated_rows():
    grad = _grad(lambda w: npx.embedding(np.array([2, 0, 2]), w).sum(), numpy.zeros((3, 2)))
    numpy.testing.assert_array_equal(grad, [[1, 1], [0, 0], [2, 2]])


def test_npx_namespace():
    for name in (
        'relu',
        'sigmoid',
        'softmax',
        'log_softmax',
        'pick',
        'one_hot',
        'topk',
        'batch_dot',
        'activation',
        'leaky_relu',
        'gelu',
        'erf',
        'erfinv',
        'gamma',
        'gammaln',
        'digamma',
        'polygamma',
        'softplus',
        'dropout',
        'layer_norm',
        'batch_norm',
        'sequence_mask',
        'reshape_like',
        'arange_like',
        'embedding',
        'batch_flatten',
        'waitall',
    ):
        assert callable(getattr(npx, name)), name
        assert getattr(npx, name).__doc__, name
    assert not hasattr(npx, 'CONFIG')
    assert npx.waitall() is None


# --- any shape and axis ------------------------------------------------------------------

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def _array_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    values = numpy.random.default_rng(draw(st.integers(0, 1000))).uniform(-2, 2, shape)
    return values, axis


@FAST
@given(_array_and_axis(), st.booleans())
def test_softmax_family_and_pick_on_any_axis(case, keepdims):
    x, axis = case
    index = numpy.random.default_rng(0).integers(
        0, x.shape[axis], numpy.delete(x.shape, axis % x.ndim)
    )
    numpy.testing.assert_allclose(
        npx.softmax(np.array(x), axis=axis).asnumpy(), ref_softmax(x, axis)
    )
    numpy.testing.assert_allclose(
        npx.pick(np.array(x), index, axis=axis, keepdims=keepdims).asnumpy(),
        ref_pick(x, index, axis, keepdims),
    )
    check_grad(
        lambda v: npx.pick(npx.log_softmax(v, axis=axis), index, axis=axis, keepdims=keepdims),
        [x],
        order=1,
    )
    check_grad(lambda v: npx.softmax(v, axis=axis), [x], order=1)


@FAST
@given(_array_and_axis())
def test_layer_norm_on_any_axis(case):
    x, axis = case
    size = x.shape[axis]
    gamma, beta = numpy.linspace(0.5, 1.5, size), numpy.linspace(-1, 1, size)
    out = npx.layer_norm(np.array(x), np.array(gamma), np.array(beta), axis=axis)
    numpy.testing.assert_allclose(
        out.asnumpy(), ref_layer_norm(x, gamma, beta, axis), rtol=1e-6, atol=1e-9
    )
    check_grad(lambda v, g, b: npx.layer_norm(v, g, b, axis=axis), [x, gamma, beta], order=1)


def test_an_array_with_a_gradient_passed_by_keyword_keeps_its_gradient():
    x = np.array([1.0, -2.0])
    x.attach_grad()
    with autograd.record():
        y = npx.relu(data=x) * 3.0
    y.backward()
    assert x.grad.asnumpy().tolist() == [3.0, 0.0]
    assert npx.relu(data=x).asnumpy().tolist() == [1.0, 0.0]  # outside record: just values


@pytest.mark.parametrize(
    'shape, axis', [((200, 10), -1), ((10, 200), 0), ((3, 7, 40), 1), ((64, 33), 1), ((5, 4), -1)]
)
def test_softmax_family_on_many_short_rows(shape, axis):
    # long batches of short rows take the transposed reduction path
    z = numpy.random.default_rng(0).standard_normal(shape) * 5
    numpy.testing.assert_allclose(
        npx.softmax(np.array(z), axis=axis).asnumpy(), ref_softmax(z, axis), rtol=1e-5, atol=1e-7
    )
    numpy.testing.assert_allclose(
        npx.log_softmax(np.array(z), axis=axis).asnumpy(),
        ref_log_softmax(z, axis),
        rtol=1e-5,
        atol=1e-6,
    )
    labels = numpy.argmin(z, axis=axis)
    expected = -numpy.take_along_axis(
        ref_log_softmax(z, axis), numpy.expand_dims(labels, axis), axis
    ).mean()
    got = npx.softmax_cross_entropy(np.array(z, dtype='float64'), labels, axis=axis)
    numpy.testing.assert_allclose(float(got), expected, rtol=1e-10)

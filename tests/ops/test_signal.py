"""Signals, samples and polynomials (ndgrad/rules/signal.py): values against NumPy, first and
second derivatives in both modes against central differences, float32 gradients kept."""

import warnings

import numpy
import pytest

from ndgrad import autograd, func, np
from tests.ops.harness import Case, run_case

XP = numpy.array([-1.6, -0.7, 0.1, 0.4, 1.3])  # sample points of interp, sorted


def _knots(rng, shapes):
    """Sorted, well separated coordinates for each shape (1-D)."""
    return [numpy.cumsum(rng.uniform(0.4, 1.0, s)) - 1.0 for s in shapes]


def _field_and_coordinates(rng, shapes):
    return [rng.uniform(-2, 2, shapes[0])] + _knots(rng, shapes[1:])


CONVOLUTIONS = [
    Case(
        f'{name}/{mode}/{sa}x{sv}',
        lambda a, v, f=f, mode=mode: f(a, v, mode),
        lambda a, v, r=r, mode=mode: r(a, v, mode),
        [sa, sv],
    )
    for name, f, r in [
        ('convolve', np.convolve, numpy.convolve),
        ('correlate', np.correlate, numpy.correlate),
    ]
    for mode in ('full', 'same', 'valid')
    for sa, sv in [((5,), (3,)), ((2,), (5,)), ((4,), (4,)), ((1,), (3,))]
] + [Case('convolve/0d', lambda a, v: np.convolve(a, v), numpy.convolve, [(), (2,)])]

CASES = CONVOLUTIONS + [
    Case('convolve/default', lambda a, v: np.convolve(a, v), numpy.convolve, [(4,), (2,)]),
    Case('correlate/default', lambda a, v: np.correlate(a, v), numpy.correlate, [(4,), (2,)]),
    # interp: in x and fp (and in left/right when they are arrays)
    Case(
        'interp',
        lambda x, fp: np.interp(x, XP, fp),
        lambda x, fp: numpy.interp(x, XP, fp),
        [(2, 4), (5,)],
        domain=[(-2.5, 2.5), (-2.0, 2.0)],
    ),
    Case(
        'interp/0d',
        lambda x, fp: np.interp(x, XP, fp),
        lambda x, fp: numpy.interp(x, XP, fp),
        [(), (5,)],
        domain=[(-0.6, 0.0), (-2.0, 2.0)],
    ),
    Case(
        'interp/left-right',
        lambda x, fp, lo, hi: np.interp(x, XP, fp, left=lo, right=hi),
        lambda x, fp, lo, hi: numpy.interp(x, XP, fp, left=lo, right=hi),
        [(6,), (5,), (), ()],
        domain=[(-2.5, 2.5), (-2.0, 2.0), (-1, 1), (-1, 1)],
    ),
    Case(
        'interp/period',
        lambda x, fp: np.interp(x, XP, fp, period=2.5),
        lambda x, fp: numpy.interp(x, XP, fp, period=2.5),
        [(7,), (5,)],
        domain=[(-4.0, 4.0), (-2.0, 2.0)],
    ),
    Case(
        'interp/one-point',
        lambda x, fp: np.interp(x, XP[:1], fp),
        lambda x, fp: numpy.interp(x, XP[:1], fp),
        [(4,), (1,)],
    ),
    # trapezoid: in y, x and dx
    Case('trapezoid', lambda y: np.trapezoid(y), numpy.trapezoid, [(2, 4)]),
    Case('trapezoid/x', lambda y, x: np.trapezoid(y, x), numpy.trapezoid, [(2, 4), (4,)]),
    Case(
        'trapezoid/x-nd-axis0',
        lambda y, x: np.trapezoid(y, x, axis=0),
        lambda y, x: numpy.trapezoid(y, x, axis=0),
        [(3, 2), (3, 2)],
    ),
    Case(
        'trapezoid/dx',
        lambda y, dx: np.trapezoid(y, dx=dx, axis=0),
        lambda y, dx: numpy.trapezoid(y, dx=dx, axis=0),
        [(3, 1, 2), ()],
    ),
    Case('trapezoid/size-1', lambda y: np.trapezoid(y), numpy.trapezoid, [(3, 1)]),
    # cross: both inputs, broadcasting and axis arguments
    Case('cross', lambda a, b: np.cross(a, b), numpy.cross, [(3,), (3,)]),
    Case('cross/broadcast', lambda a, b: np.cross(a, b), numpy.cross, [(2, 1, 3), (4, 3)]),
    Case(
        'cross/axes',
        lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
        lambda a, b: numpy.cross(a, b, axisa=0, axisb=1, axisc=0),
        [(3, 2), (2, 3)],
    ),
    Case(
        'cross/axis',
        lambda a, b: np.cross(a, b, axis=0),
        lambda a, b: numpy.cross(a, b, axis=0),
        [(3, 2), (3, 1)],
    ),
    Case('cross/3x2', lambda a, b: np.cross(a, b), numpy.cross, [(2, 3), (2, 2)]),
    # polynomials
    Case('polyval', lambda p, x: np.polyval(p, x), numpy.polyval, [(4,), (2, 3)]),
    Case('polyval/0d', lambda p, x: np.polyval(p, x), numpy.polyval, [(3,), ()]),
    Case('polyval/constant', lambda p, x: np.polyval(p, x), numpy.polyval, [(1,), (2,)]),
    Case('vander', lambda x: np.vander(x), numpy.vander, [(4,)]),
    Case(
        'vander/N-increasing',
        lambda x: np.vander(x, 3, increasing=True),
        lambda x: numpy.vander(x, 3, increasing=True),
        [(5,)],
    ),
    Case('vander/size-1', lambda x: np.vander(x, 2), lambda x: numpy.vander(x, 2), [(1,)]),
]

X_FIT = numpy.linspace(-1.0, 1.0, 7)
W_FIT = numpy.linspace(0.5, 1.5, 7)
CASES += [
    Case(
        'polyfit', lambda y: np.polyfit(X_FIT, y, 2), lambda y: numpy.polyfit(X_FIT, y, 2), [(7,)]
    ),
    Case(
        'polyfit/weights-2d',
        lambda y: np.polyfit(X_FIT, y, 3, w=W_FIT),
        lambda y: numpy.polyfit(X_FIT, y, 3, w=W_FIT),
        [(7, 2)],
    ),
    Case(
        'polyfit/residuals',
        lambda y: np.polyfit(X_FIT, y, 1, full=True)[1],
        lambda y: numpy.polyfit(X_FIT, y, 1, full=True)[1],
        [(7,)],
    ),
]

# gradient: the field and its coordinates, edge orders 1 and 2
for order in (1, 2):
    CASES += [
        Case(
            f'gradient/1d/edge{order}',
            lambda f, o=order: np.gradient(f, edge_order=o),
            lambda f, o=order: numpy.gradient(f, edge_order=o),
            [(5,)],
        ),
        Case(
            f'gradient/2d-stacked/edge{order}',
            lambda f, o=order: np.stack(np.gradient(f, 0.5, edge_order=o)),
            lambda f, o=order: numpy.stack(numpy.gradient(f, 0.5, edge_order=o)),
            [(3, 4)],
        ),
        Case(
            f'gradient/axis-coordinates/edge{order}',
            lambda f, x, o=order: np.gradient(f, x, axis=-1, edge_order=o),
            lambda f, x, o=order: numpy.gradient(f, x, axis=-1, edge_order=o),
            [(2, 5), 5],
            make=_field_and_coordinates,
        ),
        Case(
            f'gradient/per-axis-spacing/edge{order}',
            lambda f, x, o=order: np.stack(np.gradient(f, x, 2.0, edge_order=o)),
            lambda f, x, o=order: numpy.stack(numpy.gradient(f, x, 2.0, edge_order=o)),
            [(4, 3), 4],
            make=_field_and_coordinates,
        ),
        Case(
            f'gradient/size-1-axis/edge{order}',
            lambda f, o=order: np.gradient(f, axis=0, edge_order=o),
            lambda f, o=order: numpy.gradient(f, axis=0, edge_order=o),
            [(4, 1)],
        ),
    ]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)  # (NumPy's 2-vector cross)
        run_case(case)


# --- values beyond the harness ------------------------------------------------------------


def test_convolve_and_correlate_match_numpy_for_every_length_pair():
    rng = numpy.random.default_rng(1)
    for n in range(1, 6):
        for m in range(1, 6):
            a, v = rng.standard_normal(n), rng.standard_normal(m)
            for mode in ('full', 'same', 'valid'):
                numpy.testing.assert_allclose(
                    np.convolve(a, v, mode).asnumpy(), numpy.convolve(a, v, mode), atol=1e-12
                )
                numpy.testing.assert_allclose(
                    np.correlate(a, v, mode).asnumpy(), numpy.correlate(a, v, mode), atol=1e-12
                )


def test_convolve_jacobians_batched_and_second_order_cross_term():
    a, v = numpy.array([1.0, -2.0, 0.5]), numpy.array([0.3, 2.0])
    jac = func.jacrev(lambda a, v: np.convolve(a, v), argnums=(0, 1))(a, v)
    toeplitz_v = numpy.array([[0.3, 0, 0], [2.0, 0.3, 0], [0, 2.0, 0.3], [0, 0, 2.0]])
    numpy.testing.assert_allclose(jac[0], toeplitz_v)
    # d2/da dv of sum(w * conv(a, v)) is the constant w-correlation matrix
    w = numpy.array([1.0, 2.0, 3.0, 4.0])
    mixed = func.jacfwd(
        func.grad(lambda a, v: (w * np.convolve(a, v)).sum(), argnums=0), argnums=1
    )(a, v)
    expected = numpy.array([[w[i + j] for j in range(2)] for i in range(3)])
    numpy.testing.assert_allclose(mixed, expected)


def test_interp_matches_numpy_at_and_beyond_the_sample_points():
    fp = numpy.array([0.0, 2.0, -1.0, 3.0, 1.0])
    x = numpy.concatenate([XP, [-5.0, 5.0, numpy.nan]])
    numpy.testing.assert_array_equal(np.interp(x, XP, fp).asnumpy(), numpy.interp(x, XP, fp))


def test_polyfit_matches_numpy_full_output():
    y = numpy.sin(3 * X_FIT)
    got, expected = np.polyfit(X_FIT, y, 3, full=True), numpy.polyfit(X_FIT, y, 3, full=True)
    for g, e in zip(got, expected):
        numpy.testing.assert_allclose(numpy.asarray(g), e, rtol=1e-10, atol=1e-12)


def test_polyfit_poorly_conditioned_warns_as_numpy():
    with pytest.warns(numpy.exceptions.RankWarning):
        np.polyfit(numpy.ones(4), numpy.arange(4.0), 2)


def test_gradient_of_integers_and_numpy_dtypes():
    f = numpy.array([1, 4, 9, 16])
    got = np.gradient(f)
    assert got.dtype == numpy.float64
    numpy.testing.assert_array_equal(got.asnumpy(), numpy.gradient(f))
    f32 = numpy.linspace(0.0, 1.0, 5, dtype=numpy.float32)
    assert np.gradient(f32, numpy.linspace(0.0, 2.0, 5)).dtype == numpy.float32


def test_results_are_recorded():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = np.trapezoid(np.polyval(np.array([1.0, 0.0, 0.0]), x))  # integral of x**2 samples
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [1.0, 4.0, 3.0])


@pytest.mark.parametrize(
    'call, error, match',
    [
        (lambda: np.convolve(np.ones((2, 2)), np.ones(2)), ValueError, '1-D'),
        (lambda: np.convolve(np.ones(0), np.ones(2)), ValueError, 'a cannot be empty'),
        (lambda: np.correlate(np.array(1.0), np.ones(2)), ValueError, 'too small depth'),
        (lambda: np.correlate(np.ones(3), np.ones(2), mode='circular'), ValueError, "'full'"),
        (lambda: np.interp(np.ones(2), numpy.ones(3), np.ones(2)), ValueError, 'same length'),
        (lambda: np.interp(np.ones(2), numpy.ones(0), np.ones(0)), ValueError, 'empty'),
        (lambda: np.interp(np.ones(2), XP, np.ones(5), period=0), ValueError, 'period'),
        (lambda: np.trapezoid(np.array(1.0)), ValueError, '1-D'),
        (lambda: np.gradient(np.ones(2), edge_order=2), ValueError, 'too small'),
        (lambda: np.gradient(np.ones(4), edge_order=3), ValueError, 'edge_order'),
        (lambda: np.gradient(np.ones((3, 3)), 1.0, 2.0, 3.0), TypeError, 'spacing'),
        (lambda: np.gradient(np.ones(3), numpy.ones(4)), ValueError, 'match the length'),
        (lambda: np.cross(np.ones(4), np.ones(3)), ValueError, 'dimension must be 2 or 3'),
        (lambda: np.polyval(np.ones((2, 2)), 1.0), ValueError, '1-D'),
        (lambda: np.polyfit(numpy.ones(3), np.ones(3), -1), ValueError, 'deg >= 0'),
        (lambda: np.polyfit(numpy.ones(3), np.ones(4), 1), TypeError, 'same length'),
        (lambda: np.polyfit(X_FIT, np.ones(7), 1, cov=True), NotImplementedError, 'cov'),
        (lambda: np.vander(np.ones((2, 2))), ValueError, 'one-dimensional'),
    ],
)
def test_unsupported_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()

"""Special functions: derivatives to second order (third for the gamma family's
chain) through the op table, values against the standard library, known
constants and (when installed) mpmath, and NumPy's behaviour at poles."""

import functools
import math
import warnings

import numpy
import pytest

from ndgrad import autograd, np, npx
from ndgrad.testing import check_grad
from tests.ops.harness import SHAPES_UNARY, Case, run_case

EULER_GAMMA = 0.57721566490153286061
ZETA3 = 1.2020569031595942854


# --- references independent of ndgrad's algorithms --------------------------------------


def ref_erf(x):
    return numpy.vectorize(math.erf, otypes=[float])(x)


def ref_erfinv(y):
    """Newton on math.erf from 0: monotone convergence, erf being concave for x > 0."""
    a, x = numpy.abs(y), numpy.zeros_like(y)
    for _ in range(60):
        x = x - (ref_erf(x) - a) / (2 / math.sqrt(math.pi) * numpy.exp(-x * x))
    return numpy.copysign(x, y)


def ref_polygamma(n, x, terms=1000):
    """Direct summation of ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + N) - ..., then three asymptotic terms."""
    x = numpy.asarray(x, dtype=float)
    y = x + terms
    if n == 0:
        head = -sum(1 / (x + k) for k in range(terms))
        return head + numpy.log(y) - 1 / (2 * y) - 1 / (12 * y**2) + 1 / (120 * y**4)
    head = sum((x + k) ** -(n + 1) for k in range(terms))
    tail = y**-n / n + y ** -(n + 1) / 2 + (n + 1) * y ** -(n + 2) / 12
    return (-1) ** (n + 1) * math.factorial(n) * (head + tail)


def cases(name, fn, ref, domains, shapes=((2, 3),)):
    return [
        Case(f'{name}/{lo},{hi}/{s}', fn, ref, [s], domain=(lo, hi))
        for lo, hi in domains
        for s in shapes
    ]


CASES = (
    cases('erf', npx.erf, ref_erf, [(-2.4, 2.4)], SHAPES_UNARY)
    + cases('erf', npx.erf, ref_erf, [(2.6, 3.5), (-3.5, -2.6)])
    + cases('erfinv', npx.erfinv, ref_erfinv, [(-0.95, 0.95)], SHAPES_UNARY)
    + cases('gammaln', npx.gammaln, numpy.vectorize(math.lgamma), [(0.3, 5.0)], SHAPES_UNARY)
    + cases('gammaln', npx.gammaln, numpy.vectorize(math.lgamma), [(-2.9, -2.6), (0.85, 1.15)])
    + cases('gamma', npx.gamma, numpy.vectorize(math.gamma), [(0.3, 4.0)], SHAPES_UNARY)
    + cases('gamma', npx.gamma, numpy.vectorize(math.gamma), [(-0.9, -0.2), (-1.8, -1.2)])
    + cases('digamma', npx.digamma, lambda x: ref_polygamma(0, x), [(0.3, 5.0)], SHAPES_UNARY)
    + cases('digamma', npx.digamma, lambda x: ref_polygamma(0, x), [(-1.8, -1.2), (1.4, 1.5)])
    + [
        Case(
            f'polygamma/{n}/{lo},{hi}',
            lambda x, n=n: npx.polygamma(n, x),
            lambda x, n=n: ref_polygamma(n, x),
            [(3,)],
            domain=(lo, hi),
        )
        for n, (lo, hi) in [
            (1, (0.5, 4.0)),
            (2, (0.5, 4.0)),
            (3, (1.0, 3.0)),
            (1, (-0.8, -0.2)),
            (2, (-1.8, -1.2)),
        ]
    ]
    + [
        Case(
            'polygamma/0d',
            lambda x: npx.polygamma(1, x),
            lambda x: ref_polygamma(1, x),
            [()],
            domain=(0.5, 2.0),
        ),
        Case(
            'softplus-of-erf',
            lambda x: npx.softplus(npx.erf(x)),
            lambda x: numpy.log1p(numpy.exp(ref_erf(x))),
            [(3,)],
        ),
    ]
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


def test_the_gamma_family_differentiates_to_third_order():
    x = [numpy.array([0.7, 1.6, 3.2])]
    check_grad(npx.digamma, x, order=3)
    check_grad(npx.gammaln, x, order=3)
    check_grad(lambda x: npx.polygamma(2, x), x, order=3, rtol=1e-4)


def _grad(f, values):
    x = np.array(values, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()


def test_derivatives_are_the_next_function_of_the_chain():
    x = numpy.array([0.4, 1.0, 2.5, -1.5])
    numpy.testing.assert_array_equal(_grad(npx.gammaln, x), npx.digamma(np.array(x)).asnumpy())
    numpy.testing.assert_array_equal(_grad(npx.digamma, x), npx.polygamma(1, np.array(x)).asnumpy())
    numpy.testing.assert_allclose(
        _grad(npx.gamma, x), numpy.vectorize(math.gamma)(x) * ref_polygamma(0, x), rtol=1e-12
    )
    numpy.testing.assert_allclose(_grad(npx.erfinv, [0.0]), [math.sqrt(math.pi) / 2])
    numpy.testing.assert_allclose(_grad(npx.erf, [0.0]), [2 / math.sqrt(math.pi)])


# --- values -----------------------------------------------------------------------------


def _values(fn, x):
    return fn(np.array(numpy.asarray(x, dtype='float64'))).asnumpy()


GRID = numpy.concatenate([numpy.linspace(-6, 6, 1201), [1e-300, -1e-20, 5e-9, 2.5, 2.4999999]])


def test_erf_against_math():
    numpy.testing.assert_allclose(_values(npx.erf, GRID), ref_erf(GRID), rtol=2e-15, atol=0)


def test_erf_limits():
    numpy.testing.assert_array_equal(
        _values(npx.erf, [numpy.inf, -numpy.inf, 0.0, -0.0, 30.0]), [1, -1, 0, -0.0, 1]
    )
    assert numpy.isnan(_values(npx.erf, [numpy.nan])[0])


def test_erfinv_inverts_erf():
    y = numpy.linspace(-0.99, 0.99, 397)  # well conditioned; next to ±1 see below
    numpy.testing.assert_allclose(_values(npx.erfinv, y), ref_erfinv(y), rtol=1e-13)
    numpy.testing.assert_allclose(
        _values(npx.erfinv, [0.5, 1e-300, -0.999]),
        [0.4769362762044698733814, 1e-300 * math.sqrt(math.pi) / 2, -2.3267537655135244939],
        rtol=1e-13,
    )


def test_erfinv_next_to_one():
    y = 1 - numpy.array([2.0**-53, 1e-15, 1e-12, 1e-9])
    x = _values(npx.erfinv, y)
    numpy.testing.assert_allclose(numpy.vectorize(math.erfc)(x), 1 - y, rtol=1e-13)


def test_gammaln_against_math():
    x = numpy.concatenate(
        [
            numpy.linspace(0.01, 170, 3001),
            10.0 ** numpy.arange(-300, 300, 7.0),
            numpy.linspace(0.8, 2.2, 141),
            -numpy.linspace(0.05, 30, 600) - 0.003,
        ]
    )
    expected = numpy.vectorize(math.lgamma)(x)
    far_from_zeros = numpy.abs(expected) > 0.05  # the negative axis's zeros: absolute accuracy
    got = _values(npx.gammaln, x)
    numpy.testing.assert_allclose(got[far_from_zeros], expected[far_from_zeros], rtol=1e-13)
    numpy.testing.assert_allclose(got[~far_from_zeros], expected[~far_from_zeros], atol=1e-14)
    # next to 1 and 2 math.lgamma keeps only absolute accuracy; these are mpmath's values
    near_one_and_two = numpy.array([1 + 1e-9, 1 - 3e-12, 2 + 1e-10, 2 - 1e-7])
    numpy.testing.assert_allclose(
        _values(npx.gammaln, near_one_and_two),
        [
            -5.772157118381039e-10,
            1.7316727715139697e-12,
            4.2278437011204657e-11,
            -4.2278430309861296e-08,
        ],
        rtol=1e-14,
    )


def test_gamma_against_math():
    x = numpy.concatenate([numpy.linspace(-20, 171, 4000) + 0.0001, [1e-300, 0.5, 170.6]])
    numpy.testing.assert_allclose(_values(npx.gamma, x), numpy.vectorize(math.gamma)(x), rtol=1e-12)
    numpy.testing.assert_array_equal(_values(npx.gamma, [1, 2, 3, 4, 5, 6]), [1, 1, 2, 6, 24, 120])


def test_digamma_and_polygamma_known_values():
    psi = _values(npx.digamma, [1.0, 0.5, 2.0, 11.0, -0.5, 1e-8, 1e300])
    # -γ, -γ - 2 log 2, 1 - γ, H(10) - γ, ψ(1.5) = ψ(0.5) + 2, about -1/x - γ, about log x
    expected = [
        -0.5772156649015329,
        -1.9635100260214235,
        0.42278433509846713,
        2.351752589066721,
        0.03648997397857652,
        -100000000.57721564,
        690.7755278982137,
    ]
    numpy.testing.assert_allclose(psi, expected, rtol=2e-15)
    pg = numpy.array(
        [
            _values(functools.partial(npx.polygamma, n), [v])[0]
            for n, v in [(1, 1.0), (1, 0.5), (2, 1.0), (3, 1.0), (1, -0.5), (4, 1e5)]
        ]
    )
    # ψ'(x + 1) = ψ'(x) - 1/x²; ψ⁽⁴⁾(x) ~ -(3!/x⁴ + 4!/(2x⁵) + 5!/(12x⁶)) for large x
    numpy.testing.assert_allclose(
        pg,
        [
            math.pi**2 / 6,
            math.pi**2 / 2,
            -2 * ZETA3,
            math.pi**4 / 15,
            math.pi**2 / 2 + 4,
            -(6e-20 + 1.2e-24 + 1e-29),
        ],
        rtol=1e-13,
    )


def test_digamma_next_to_its_positive_root():
    mpmath = pytest.importorskip('mpmath')
    mpmath.mp.dps = 40
    root = 1.4616321449683622  # the double nearest the root; ψ there is about -9e-17
    x = root + numpy.array([0.0, 4.4e-16, 1e-12, -1e-9, 1e-5, -0.099, 0.11])
    expected = [float(mpmath.digamma(mpmath.mpf(float(v)))) for v in x]
    numpy.testing.assert_allclose(_values(npx.digamma, x), expected, rtol=1e-12)


def test_polygamma_broadcasts_an_array_of_orders():
    out = npx.polygamma(
        np.array([[0], [1], [2]], dtype='int64'), np.array([1.0, 2.0], dtype='float64')
    )
    assert out.shape == (3, 2)
    numpy.testing.assert_allclose(
        out.asnumpy(), [[ref_polygamma(n, v) for v in (1.0, 2.0)] for n in range(3)], rtol=1e-12
    )


def test_against_mpmath():
    mpmath = pytest.importorskip('mpmath')
    mpmath.mp.dps = 30
    rng = numpy.random.default_rng(5)
    x = numpy.concatenate([rng.uniform(0, 30, 200), 10 ** rng.uniform(-10, 2, 50)])
    xn = -rng.uniform(0, 20, 200)
    checks = [
        (npx.digamma, mpmath.digamma, x, 1e-13),
        (lambda v: npx.polygamma(1, v), lambda v: mpmath.polygamma(1, v), x, 1e-14),
        (lambda v: npx.polygamma(5, v), lambda v: mpmath.polygamma(5, v), x, 1e-14),
        (lambda v: npx.polygamma(2, v), lambda v: mpmath.polygamma(2, v), xn, 1e-12),
        (npx.gammaln, lambda v: mpmath.loggamma(v).real, x, 1e-13),
        (npx.erfinv, mpmath.erfinv, rng.uniform(-1, 1, 200), 1e-13),
    ]
    for fn, ref, values, rtol in checks:
        expected = numpy.array([float(ref(mpmath.mpf(float(v)))) for v in values])
        numpy.testing.assert_allclose(_values(fn, values), expected, rtol=rtol)


# --- poles, domain errors, dtypes -------------------------------------------------------


@pytest.mark.parametrize(
    'fn, x, expected, warning',
    [
        (
            npx.gammaln,
            [0.0, -1.0, -2.0, numpy.inf, numpy.nan],
            [numpy.inf] * 4 + [numpy.nan],
            'divide by zero encountered in gammaln',
        ),
        (npx.gamma, [0.0, -0.0], [numpy.inf, -numpy.inf], 'divide by zero encountered in gamma'),
        (
            npx.gamma,
            [-1.0, -numpy.inf],
            [numpy.nan, numpy.nan],
            'invalid value encountered in gamma',
        ),
        (npx.gamma, [172.0, numpy.inf], [numpy.inf, numpy.inf], 'overflow encountered in gamma'),
        (
            npx.digamma,
            [0.0, -0.0],
            [-numpy.inf, numpy.inf],
            'divide by zero encountered in digamma',
        ),
        (
            npx.digamma,
            [-1.0, -numpy.inf],
            [numpy.nan, numpy.nan],
            'invalid value encountered in digamma',
        ),
        (
            lambda x: npx.polygamma(1, x),
            [0.0, -3.0],
            [numpy.inf, numpy.inf],
            'divide by zero encountered in polygamma',
        ),
        (
            lambda x: npx.polygamma(2, x),
            [0.0],
            [-numpy.inf],
            'divide by zero encountered in polygamma',
        ),
        (npx.erfinv, [1.0, -1.0], [numpy.inf, -numpy.inf], 'divide by zero encountered in erfinv'),
        (
            npx.erfinv,
            [1.5, -2.0, numpy.nan],
            [numpy.nan] * 3,
            'invalid value encountered in erfinv',
        ),
    ],
)
def test_poles_and_domain_errors_behave_as_numpy(fn, x, expected, warning):
    with pytest.warns(RuntimeWarning, match=warning):
        out = fn(np.array(x, dtype='float64')).asnumpy()
    numpy.testing.assert_array_equal(out, expected)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with numpy.errstate(all='ignore'):
            fn(np.array(x, dtype='float64'))
    with numpy.errstate(all='raise'), pytest.raises(FloatingPointError, match=warning):
        fn(np.array(x, dtype='float64'))


def test_warnings_point_at_the_callers_line():
    with pytest.warns(RuntimeWarning) as record:
        npx.digamma(np.array([0.0]))
    assert record[0].filename == __file__


def test_regular_values_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with numpy.errstate(all='raise'):
            for fn in (npx.erf, npx.erfinv, npx.gamma, npx.gammaln, npx.digamma):
                fn(np.array([-0.5, 0.25, 0.9], dtype='float64'))
            npx.gammaln(np.array([-100.5, 1e300], dtype='float64'))


def test_dtypes():
    for fn, whole in (
        (npx.erf, 0),
        (npx.erfinv, 0),
        (npx.gamma, 1),
        (npx.gammaln, 1),
        (npx.digamma, 1),
    ):
        assert fn(np.array([0.5])).dtype == numpy.float32
        assert fn(np.array([0.5], dtype='float64')).dtype == numpy.float64
        assert fn(np.array([whole], dtype='int32')).dtype == numpy.float64
    assert npx.polygamma(1, np.array([0.5])).dtype == numpy.float32


def test_bad_input():
    with pytest.raises(TypeError, match='real numbers'):
        npx.erf(np.array([1j]))
    with pytest.raises(ValueError, match='whole number'):
        npx.polygamma(1.5, np.array([1.0]))
    with pytest.raises(ValueError, match='whole number'):
        npx.polygamma(-1, np.array([1.0]))

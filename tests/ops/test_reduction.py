"""The reduction family: values against NumPy, first and second derivatives in
both modes against central differences, float32 gradients kept float32."""

import warnings

import numpy
import pytest

from ndgrad import autograd, func, np, npx
from ndgrad.testing import check_grad, numerical_jacobian
from tests.ops.harness import Case, run_case

# (shape, axis, keepdims): 0-d, size-1 axes, negative axes, tuples and None
AXES = [
    ((), None, False),
    ((3,), 0, False),
    ((2, 3), None, True),
    ((2, 3), -1, False),
    ((2, 1, 3), (0, 2), False),
    ((2, 1, 3), 1, True),
    ((3, 2), 0, True),
]
FEW_AXES = [((3,), None, False), ((2, 3), 1, True), ((2, 1, 3), (0, -1), False)]


def reductions(name, fn, ref, variants=AXES, **kw):
    """`fn(x, axis=, keepdims=)` for each (shape, axis, keepdims) variant."""
    return [
        Case(
            f'{name}/{s}/axis={a}/keepdims={k}',
            lambda x, a=a, k=k: fn(x, axis=a, keepdims=k),
            lambda x, a=a, k=k: ref(x, axis=a, keepdims=k),
            [s],
            **kw,
        )
        for s, a, k in variants
    ]


def _with_nans(rng, shapes):
    x = rng.uniform(-2.0, 2.0, shapes[0])
    x.reshape(-1)[::3] = numpy.nan  # a NaN in every slice of the shapes used below
    return [x]


def _with_nans_last(rng, shapes):
    x = rng.uniform(-2.0, 2.0, shapes[0])
    x[..., 0] = numpy.nan
    return [x]


NAN_AXES = [((4,), None, False), ((2, 3), 1, True), ((2, 3), -1, False)]


def _cumulative(name, fn, ref, shapes_axes, **kw):
    return [
        Case(
            f'{name}/{s}/axis={a}',
            lambda x, a=a: fn(x, axis=a),
            lambda x, a=a: ref(x, axis=a),
            [s],
            **kw,
        )
        for s, a in shapes_axes
    ]


SCAN_AXES = [((), None), ((4,), 0), ((2, 3), None), ((2, 3), 1), ((2, 1, 3), -3), ((3, 2), -1)]
POSITIVE = (0.5, 1.5)

CASES = (
    reductions('sum', np.sum, numpy.sum)
    + reductions('mean', np.mean, numpy.mean)
    + reductions('prod', np.prod, numpy.prod, domain=POSITIVE)
    + reductions('prod/signed', np.prod, numpy.prod, FEW_AXES)
    + reductions('max', np.max, numpy.max)
    + reductions('min', np.min, numpy.min)
    + reductions('amax', np.amax, numpy.amax, FEW_AXES)
    + reductions('amin', np.amin, numpy.amin, FEW_AXES)
    + reductions('ptp', np.ptp, numpy.ptp, AXES[1:])
    + reductions('var', np.var, numpy.var)
    + reductions('std', np.std, numpy.std, FEW_AXES)
    + reductions(
        'logsumexp',
        np.logsumexp,
        lambda x, axis, keepdims: numpy.log(numpy.sum(numpy.exp(x), axis, keepdims=keepdims)),
    )
    + reductions(
        'npx.logsumexp',
        npx.logsumexp,
        lambda x, axis, keepdims: numpy.log(numpy.sum(numpy.exp(x), axis, keepdims=keepdims)),
        FEW_AXES,
    )
    + reductions('nansum', np.nansum, numpy.nansum, NAN_AXES, make=_with_nans)
    + reductions('nanmean', np.nanmean, numpy.nanmean, NAN_AXES, make=_with_nans)
    + reductions('nanmax', np.nanmax, numpy.nanmax, NAN_AXES, make=_with_nans)
    + reductions('nanmin', np.nanmin, numpy.nanmin, NAN_AXES, make=_with_nans)
    + reductions('nanvar', np.nanvar, numpy.nanvar, NAN_AXES, make=_with_nans)
    + reductions('nanstd', np.nanstd, numpy.nanstd, NAN_AXES, make=_with_nans)
    + reductions('nanprod', np.nanprod, numpy.nanprod, NAN_AXES, make=_with_nans)
    + reductions('nanmedian', np.nanmedian, numpy.nanmedian, NAN_AXES, make=_with_nans)
    + reductions(
        'nanvar/ddof',
        lambda x, **k: np.nanvar(x, ddof=1, **k),
        lambda x, **k: numpy.nanvar(x, ddof=1, **k),
        NAN_AXES[1:],
        make=_with_nans_last,
    )
    + reductions('nanvar/no-nan', np.nanvar, numpy.nanvar)
    + reductions('nanprod/no-nan', np.nanprod, numpy.nanprod)
    + reductions('nanmedian/no-nan', np.nanmedian, numpy.nanmedian, AXES[1:])
    + [
        Case(
            f'nanquantile/q={q}/axis={a}/keepdims={k}/{m}',
            lambda x, q=q, a=a, k=k, m=m: np.nanquantile(x, q, axis=a, keepdims=k, method=m),
            lambda x, q=q, a=a, k=k, m=m: numpy.nanquantile(x, q, axis=a, keepdims=k, method=m),
            [s],
            make=_with_nans,
        )
        for s, q, a, k, m in [
            ((5,), 0.3, None, False, 'linear'),
            ((2, 5), [0.1, 0.5, 0.95], 1, False, 'linear'),
            ((3, 4), [[0.2], [0.8]], 0, True, 'linear'),
            ((2, 3, 2), [0.45], (0, 2), True, 'linear'),
            ((6,), [0.3, 0.7], None, False, 'lower'),
            ((6,), [0.3, 0.7], None, False, 'higher'),
            ((6,), [0.3, 0.7], None, False, 'nearest'),
            ((2, 6), [0.3, 0.4], 1, False, 'midpoint'),
        ]
    ]
    + [
        Case(
            'nanpercentile',
            lambda x: np.nanpercentile(x, [25, 60], axis=0),
            lambda x: numpy.nanpercentile(x, [25, 60], axis=0),
            [(5, 2)],
            make=_with_nans,
        ),
        Case(
            'nanquantile/differentiable-q',
            lambda x, q: np.nanquantile(x, q, axis=-1),
            lambda x, q: numpy.nanquantile(x, q, axis=-1),
            [(2, 5), (3,)],
            make=lambda rng, s: [_with_nans_last(rng, s)[0], numpy.array([0.1, 0.4, 0.85])],
        ),
    ]
    + reductions('nansum/no-nan', np.nansum, numpy.nansum, FEW_AXES)
    + reductions('nanmax/no-nan', np.nanmax, numpy.nanmax, FEW_AXES)
    + reductions('median', np.median, numpy.median, AXES[1:])
    + reductions(
        'median/even',
        np.median,
        numpy.median,
        [((4,), None, False), ((2, 4), -1, True), ((2, 2, 3), (0, 1), False)],
    )
    + reductions(
        'median/nan', np.median, numpy.median, [((2, 3), 1, False)], make=_with_nans_last, order=0
    )  # NaN: values only (gradient in test_ties)
    + [
        Case(
            f'var/ddof={d}',
            lambda x, d=d: np.var(x, axis=1, ddof=d),
            lambda x, d=d: numpy.var(x, axis=1, ddof=d),
            [(2, 4)],
        )
        for d in (1, 2)
    ]
    + [
        Case(
            'var/correction',
            lambda x: np.var(x, correction=1),
            lambda x: numpy.var(x, correction=1),
            [(5,)],
        ),
        Case(
            'std/ddof',
            lambda x: np.std(x, axis=0, ddof=1, keepdims=True),
            lambda x: numpy.std(x, axis=0, ddof=1, keepdims=True),
            [(3, 2)],
        ),
        Case(
            'var/dtype',
            lambda x: np.var(x, dtype='float64'),
            lambda x: numpy.var(x, dtype='float64'),
            [(4,)],
        ),
        Case(
            'sum/dtype',
            lambda x: np.sum(x, dtype='float64'),
            lambda x: numpy.sum(x, dtype='float64'),
            [(4,)],
        ),
        Case(
            'sum/where',
            lambda x: np.sum(x, axis=1, where=numpy.array([True, False, True])),
            lambda x: numpy.sum(x, axis=1, where=numpy.array([True, False, True])),
            [(2, 3)],
        ),
        Case(
            'sum/initial',
            lambda x: np.sum(x, axis=0, initial=2.0),
            lambda x: numpy.sum(x, axis=0, initial=2.0),
            [(2, 3)],
        ),
        Case(
            'mean/where',
            lambda x: np.mean(x, axis=0, where=numpy.array([[True], [False], [True]])),
            lambda x: numpy.mean(x, axis=0, where=numpy.array([[True], [False], [True]])),
            [(3, 2)],
        ),
        Case(
            'mean/where-all',
            lambda x: np.mean(x, where=numpy.array([True, False, True])),
            lambda x: numpy.mean(x, where=numpy.array([True, False, True])),
            [(2, 3)],
        ),
        Case('mean/method', lambda x: x.mean(axis=0), lambda x: x.mean(axis=0), [(2, 3)]),
        Case(
            'std/method', lambda x: x.std(axis=1, ddof=1), lambda x: x.std(axis=1, ddof=1), [(2, 3)]
        ),
        Case('var/method', lambda x: x.var(), lambda x: x.var(), [(2, 3)]),
        Case('max/method', lambda x: x.max(axis=-1), lambda x: x.max(axis=-1), [(2, 3)]),
        Case('prod/method', lambda x: x.prod(axis=0), lambda x: x.prod(axis=0), [(2, 3)]),
        Case('ptp/method', lambda x: x.ptp(axis=0), lambda x: numpy.ptp(x, axis=0), [(2, 3)]),
    ]
    # average: plain, full weights, 1-D weights along an axis (differentiable in both)
    + [
        Case(
            'average/plain',
            lambda x: np.average(x, axis=0),
            lambda x: numpy.average(x, axis=0),
            [(3, 2)],
        ),
        Case(
            'average/weights',
            lambda x, w: np.average(x, weights=w),
            lambda x, w: numpy.average(x, weights=w),
            [(2, 3), (2, 3)],
            domain=[(-2.0, 2.0), (0.5, 2.0)],
        ),
        Case(
            'average/weights-axis',
            lambda x, w: np.average(x, axis=(0, 2), weights=w),
            lambda x, w: numpy.average(x, axis=(0, 2), weights=w),
            [(2, 1, 3), (2, 1, 3)],
            domain=[(-2.0, 2.0), (0.5, 2.0)],
        ),
        Case(
            'average/1d-weights',
            lambda x, w: np.average(x, axis=0, weights=w),
            lambda x, w: numpy.average(x, axis=0, weights=w),
            [(3, 2), (3,)],
            domain=[(-2.0, 2.0), (0.5, 2.0)],
        ),
        Case(
            'average/1d-weights-keepdims',
            lambda x, w: np.average(x, axis=-1, weights=w, keepdims=True),
            lambda x, w: numpy.average(x, axis=-1, weights=w, keepdims=True),
            [(2, 3), (3,)],
            domain=[(-2.0, 2.0), (0.5, 2.0)],
        ),
    ]
    + _cumulative('cumsum', np.cumsum, numpy.cumsum, SCAN_AXES)
    + _cumulative('cumprod', np.cumprod, numpy.cumprod, SCAN_AXES)
    + [
        Case('cumsum/method', lambda x: x.cumsum(axis=0), lambda x: x.cumsum(axis=0), [(3, 2)]),
        Case('cumprod/method', lambda x: x.cumprod(), lambda x: x.cumprod(), [(2, 2)]),
    ]
    # zeros: products never divide by an input (one zero, two zeros in a slice)
    + [
        Case(
            'prod/one-zero',
            lambda x: np.prod(x, axis=1),
            lambda x: numpy.prod(x, axis=1),
            [(2, 3)],
            inputs=[[[1.5, 0.0, -2.0], [0.5, 2.0, 3.0]]],
        ),
        Case(
            'prod/two-zeros',
            lambda x: np.prod(x, axis=-1),
            lambda x: numpy.prod(x, axis=-1),
            [(2, 4)],
            inputs=[[[0.0, 1.5, 0.0, -2.0], [0.5, 0.0, 3.0, 1.2]]],
        ),
        Case(
            'prod/zero-all-axes', np.prod, numpy.prod, [(2, 2)], inputs=[[[0.0, 1.5], [-2.0, 0.7]]]
        ),
        Case(
            'prod/zero-axis-tuple',
            lambda x: np.prod(x, axis=(0, 2), keepdims=True),
            lambda x: numpy.prod(x, axis=(0, 2), keepdims=True),
            [(2, 2, 2)],
            inputs=[[[[0.0, 1.5], [1.1, 0.9]], [[-2.0, 0.7], [0.0, 0.0]]]],
        ),
        Case(
            'cumprod/one-zero',
            lambda x: np.cumprod(x, axis=1),
            lambda x: numpy.cumprod(x, axis=1),
            [(2, 4)],
            inputs=[[[1.5, 0.0, -2.0, 1.1], [0.5, 2.0, 3.0, 0.0]]],
        ),
        Case(
            'cumprod/two-zeros',
            lambda x: np.cumprod(x, axis=0),
            lambda x: numpy.cumprod(x, axis=0),
            [(5, 2)],
            inputs=[[[0.0, 1.5], [1.2, 0.0], [0.0, 0.7], [-1.1, 1.3], [0.8, 0.0]]],
        ),
        Case(
            'cumprod/zero-flattened',
            np.cumprod,
            numpy.cumprod,
            [(2, 3)],
            inputs=[[[1.5, 2.0, -0.5], [0.0, 1.2, 0.9]]],
        ),
    ]
    # sort: along an axis, flattened, 0-d rows of size 1
    + [
        Case(
            f'sort/{s}/axis={a}',
            lambda x, a=a: np.sort(x, axis=a),
            lambda x, a=a: numpy.sort(x, axis=a),
            [s],
        )
        for s, a in [((4,), -1), ((2, 3), 0), ((2, 3), None), ((3, 1), 1), ((2, 2, 3), 1)]
    ]
    + [Case('sort/auction', lambda x: np.sort(x)[-2], lambda x: numpy.sort(x)[-2], [(5,)])]
    # order statistics
    + [
        Case(
            f'quantile/q={q}/axis={a}/keepdims={k}/{m}',
            lambda x, q=q, a=a, k=k, m=m: np.quantile(x, q, axis=a, keepdims=k, method=m),
            lambda x, q=q, a=a, k=k, m=m: numpy.quantile(x, q, axis=a, keepdims=k, method=m),
            [s],
        )
        for s, q, a, k, m in [
            ((5,), 0.3, None, False, 'linear'),
            ((2, 5), [0.1, 0.5, 0.95], 1, False, 'linear'),
            ((3, 4), [[0.2], [0.8]], 0, True, 'linear'),
            ((2, 3, 2), 0.45, (0, 2), False, 'linear'),
            ((2, 5), [0.0, 1.0], -1, True, 'linear'),
            ((6,), [0.3, 0.7], None, False, 'lower'),
            ((6,), [0.3, 0.7], None, False, 'higher'),
            ((6,), [0.3, 0.7], None, False, 'nearest'),
            ((2, 6), [0.3, 0.4], 1, False, 'midpoint'),
        ]
    ]
    + [
        Case(
            'percentile',
            lambda x: np.percentile(x, [25, 60], axis=0),
            lambda x: numpy.percentile(x, [25, 60], axis=0),
            [(5, 2)],
        ),
        Case(
            'quantile/differentiable-q',
            lambda x, q: np.quantile(x, q, axis=-1),
            lambda x, q: numpy.quantile(x, q, axis=-1),
            [(2, 5), (3,)],
            make=lambda rng, s: [rng.uniform(-2, 2, s[0]), numpy.array([0.1, 0.4, 0.85])],
        ),
    ]
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


# --- values and behaviour of non-differentiable reductions and edge cases -----------------


@pytest.mark.parametrize(
    'name,kwargs',
    [
        ('argmax', {}),
        ('argmin', {'axis': 0}),
        ('argsort', {'axis': -1}),
        ('all', {'axis': 1}),
        ('any', {}),
        ('count_nonzero', {'axis': 0}),
    ],
)
def test_non_differentiable_reductions_are_values(name, kwargs):
    data = numpy.array([[0.0, 2.0, -1.0], [3.0, 0.0, 0.5]])
    x = np.array(data)
    x.attach_grad()
    with autograd.record():
        y = getattr(np, name)(x, **kwargs)
    numpy.testing.assert_array_equal(numpy.asarray(y), getattr(numpy, name)(data, **kwargs))
    assert y._node is None


@pytest.mark.parametrize(
    'method,kwargs',
    [('argsort', {}), ('all', {}), ('any', {'axis': 0}), ('nonzero', {}), ('argmax', {'axis': 1})],
)
def test_non_differentiable_methods(method, kwargs):
    data = numpy.array([[0.0, 2.0, -1.0], [3.0, 0.0, 0.5]])
    got = getattr(np.array(data), method)(**kwargs)
    expected = getattr(data, method)(**kwargs)
    if isinstance(expected, tuple):
        for g, e in zip(got, expected):
            numpy.testing.assert_array_equal(numpy.asarray(g), e)
    else:
        numpy.testing.assert_array_equal(numpy.asarray(got), expected)


def test_round_and_clip_methods():
    data = numpy.array([1.26, -0.74, 3.5])
    numpy.testing.assert_array_equal(np.array(data).round(1).asnumpy(), data.round(1))
    numpy.testing.assert_array_equal(np.array(data).clip(0, 2).asnumpy(), data.clip(0, 2))


def test_sort_method_returns_a_sorted_copy():
    """MXNet's ``x.sort()`` returns the sorted array and leaves `x` as it was."""
    x = np.array([3.0, 1.0, 2.0])
    numpy.testing.assert_array_equal(x.sort().asnumpy(), [1.0, 2.0, 3.0])
    numpy.testing.assert_array_equal(x.asnumpy(), [3.0, 1.0, 2.0])


def test_average_returned_and_errors():
    a = numpy.arange(6.0).reshape(2, 3)
    w = numpy.array([1.0, 2.0, 3.0])
    avg, total = np.average(np.array(a), axis=1, weights=np.array(w), returned=True)
    e_avg, e_total = numpy.average(a, axis=1, weights=w, returned=True)
    numpy.testing.assert_allclose(avg.asnumpy(), e_avg)
    numpy.testing.assert_allclose(total.asnumpy(), e_total)
    avg, count = np.average(np.array(a), axis=0, returned=True)
    numpy.testing.assert_allclose(count.asnumpy(), [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match='Axis must be specified'):
        np.average(np.array(a), weights=np.array(w))
    with pytest.raises(ValueError, match='consistent'):
        np.average(np.array(a), axis=0, weights=np.array(w))
    with pytest.raises(ZeroDivisionError, match='sum to zero'):
        np.average(np.array(a), axis=1, weights=np.array([1.0, -1.0, 0.0]))


def test_quantile_rejects_bad_q_and_methods():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r'range \[0, 1\]'):
        np.quantile(x, 1.5)
    with pytest.raises(ValueError, match=r'range \[0, 100\]'):
        np.percentile(x, -1)
    with pytest.raises(ValueError, match='method'):
        np.quantile(x, 0.5, method='weibull')
    with pytest.raises(TypeError, match='out='):
        np.median(x, out=x)


def test_var_with_too_few_degrees_of_freedom_warns_as_numpy():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        got = np.var(np.array([1.0, 2.0]), ddof=2)
    messages = [str(w.message) for w in caught]
    assert got.item() == numpy.inf
    assert any('Degrees of freedom' in m for m in messages)
    assert any('divide by zero' in m for m in messages)
    with pytest.raises(ValueError, match='simultaneously'):
        np.var(np.array([1.0, 2.0]), ddof=1, correction=1)


def test_median_of_an_empty_array_is_nan_with_numpy_warning():
    with pytest.warns(RuntimeWarning):
        assert numpy.isnan(np.median(np.array(numpy.zeros(0))).item())


def test_logsumexp_is_stable_and_in_both_namespaces():
    x = numpy.array([1000.0, 1000.0, -numpy.inf])
    numpy.testing.assert_allclose(np.logsumexp(np.array(x)).item(), 1000.0 + numpy.log(2.0))
    numpy.testing.assert_allclose(npx.logsumexp(np.array(x)).item(), 1000.0 + numpy.log(2.0))
    with pytest.warns(RuntimeWarning, match='divide by zero'):
        assert np.logsumexp(np.array([-numpy.inf, -numpy.inf])).item() == -numpy.inf
    assert np.logsumexp(np.array([numpy.inf, 1.0])).item() == numpy.inf
    assert np.logsumexp(np.array([[1.0, 2.0]], dtype='float32'), axis=1).dtype == numpy.float32


def test_sort_rejects_order():
    with pytest.raises(ValueError, match='structured'):
        np.sort(np.array([1.0, 2.0]), order='x')


def test_max_rejects_initial_at_once():
    with pytest.raises(TypeError):
        np.max(np.array([1.0, 2.0]), initial=3.0)


@pytest.mark.parametrize(
    'name,call',
    [
        ('median', lambda m, a: m.median(a, axis=1)),
        ('quantile', lambda m, a: m.quantile(a, 0.3, axis=1)),
        ('quantile/list', lambda m, a: m.quantile(a, [0.3, 0.5])),
        ('quantile/midpoint', lambda m, a: m.quantile(a, 0.3, method='midpoint')),
        ('percentile', lambda m, a: m.percentile(a, 30)),
        ('var', lambda m, a: m.var(a, axis=0)),
        ('std', lambda m, a: m.std(a, ddof=1)),
        ('average', lambda m, a: m.average(a, axis=1, weights=numpy.ones(4, 'float32'))),
        ('ptp', lambda m, a: m.ptp(a)),
        ('sort', lambda m, a: m.sort(a, axis=0)),
        ('cumprod', lambda m, a: m.cumprod(a)),
        ('nanmean', lambda m, a: m.nanmean(a)),
    ],
)
def test_float32_results_match_numpy_dtypes(name, call):
    a = numpy.random.default_rng(0).uniform(size=(3, 4)).astype('float32')
    assert call(np, np.array(a)).dtype == numpy.asarray(call(numpy, a)).dtype, name


@pytest.mark.parametrize('name', ['sum', 'mean', 'prod', 'cumsum', 'max'])
def test_out_into_an_ndgrad_array_is_a_type_error(name):
    x = np.array([1.0, 2.0])
    out = np.zeros(2 if name == 'cumsum' else ())
    with pytest.raises(TypeError, match='out'):
        getattr(np, name)(x, out=out)


# --- std and var where a slice is constant (zero variance) --------------------------------

CONSTANT_ROWS = numpy.array([[2.0, 2.0, 2.0], [1.0, 3.0, 0.5], [-1.0, -1.0, -1.0]])


@pytest.mark.parametrize(
    'name,fn',
    [
        ('std', lambda x: np.std(x, axis=1)),
        ('std/ddof', lambda x: np.std(x, axis=1, ddof=1)),
        ('std/keepdims', lambda x: np.std(x, axis=-1, keepdims=True)),
        ('std/all-constant', lambda x: np.std(x[0])),
        ('std/method', lambda x: x.std(axis=1)),
        ('var', lambda x: np.var(x, axis=1)),
    ],
)
def test_zero_variance_gradient_is_zero_and_matches_central_differences(name, fn):
    check_grad(fn, [CONSTANT_ROWS], order=1)  # (central differences of std there are 0)
    x = np.array(CONSTANT_ROWS)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    g = x.grad.asnumpy()
    assert numpy.isfinite(g).all()
    if name.startswith('std'):
        assert (g[0] == 0).all() and (g[2] == 0).all()


@pytest.mark.parametrize('ddof', [0, 1])
def test_zero_variance_second_derivative_of_std_is_finite(ddof):
    """0 on the constant rows (the convention), the true Hessian on the others."""
    f = lambda x: np.std(x, axis=1, ddof=ddof).sum()  # noqa: E731
    for hessian in (func.hessian(f), func.jacrev(func.grad(f)), func.jacfwd(func.jacfwd(f))):
        h = numpy.asarray(hessian(CONSTANT_ROWS))
        assert numpy.isfinite(h).all()
        assert (h[0] == 0).all() and (h[2] == 0).all()
        row = CONSTANT_ROWS[1]
        expected = numerical_jacobian(
            lambda r: func.grad(lambda r: np.std(r, ddof=ddof))(r), [row], 0
        )
        numpy.testing.assert_allclose(h[1, :, 1, :], expected, rtol=1e-5, atol=1e-7)
    x = np.array(CONSTANT_ROWS)
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(f(x), [x], create_graph=True)
        s = (g * np.array(numpy.arange(9.0).reshape(3, 3))).sum()
    s.backward()
    assert numpy.isfinite(x.grad.asnumpy()).all() and (x.grad.asnumpy()[0] == 0).all()


def test_std_keeps_nan_and_float32():
    assert numpy.isnan(np.std(np.array([numpy.nan, 1.0])).item())
    assert np.std(np.array([1.0, 1.0])).dtype == numpy.float32
    assert func.grad(lambda x: np.std(x))(np.array([1.0, 1.0])).tolist() == [0.0, 0.0]


def test_nan_order_statistics_of_all_nan_slices_are_nan_with_numpy_warning():
    x = numpy.array([[numpy.nan, numpy.nan], [1.0, 2.0]])
    for name in ('nanmedian', 'nanquantile'):
        args = () if name == 'nanmedian' else (0.5,)
        with pytest.warns(RuntimeWarning, match='All-NaN slice'):
            got = getattr(np, name)(np.array(x), *args, axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            expected = getattr(numpy, name)(x, *args, axis=1)
        numpy.testing.assert_array_equal(got.asnumpy(), expected)
    with pytest.warns(RuntimeWarning, match='All-NaN slice'):
        g = func.grad(lambda v: np.nansum(np.nanmedian(v, axis=1)))(np.array(x))
    numpy.testing.assert_array_equal(g.asnumpy(), [[0.0, 0.0], [0.5, 0.5]])


def test_nanvar_with_too_few_numbers_warns_and_gives_nan_as_numpy():
    x = numpy.array([[1.0, numpy.nan], [2.0, 3.0]])
    with pytest.warns(RuntimeWarning, match='Degrees of freedom'):
        got = np.nanvar(np.array(x), axis=1, ddof=1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        numpy.testing.assert_array_equal(got.asnumpy(), numpy.nanvar(x, axis=1, ddof=1))


def test_nan_functions_reject_unsupported_arguments():
    x = np.array([1.0, numpy.nan])
    with pytest.raises(NotImplementedError, match='weights'):
        np.nanquantile(x, 0.5, weights=np.ones(2))
    with pytest.raises(NotImplementedError, match='initial'):
        np.nanprod(x, initial=2.0)
    with pytest.raises(TypeError, match='out='):
        np.nanstd(x, out=numpy.zeros(()))
    with pytest.raises(ValueError, match='Quantiles'):
        np.nanquantile(x, 1.5)


@pytest.mark.parametrize('reduce', [np.sum, np.mean])
def test_a_where_mask_may_be_an_ndgrad_array(reduce):
    mask = np.array([True, False, True])
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = reduce(x * x, where=mask)
    y.backward()
    numpy_reduce = getattr(numpy, reduce.__name__)
    assert float(y) == numpy_reduce(numpy.array([1.0, 4.0, 9.0]), where=mask.asnumpy())
    weight = 1.0 if reduce is np.sum else 0.5
    numpy.testing.assert_allclose(x.grad.asnumpy(), weight * 2 * numpy.array([1.0, 0.0, 3.0]))
    assert float(reduce(x, where=mask)) == numpy_reduce(x.asnumpy(), where=mask.asnumpy())

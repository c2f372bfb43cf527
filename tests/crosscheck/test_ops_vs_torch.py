"""Every differentiable np, np.linalg and npx function against torch, op by op.

Each row maps an ndgrad call to its torch equivalent (composed from torch ops
where torch has none) and an input generator; `engines.check` compares, in
float64 on several seeds: values, gradients for a random head gradient
(``backward`` and ``autograd.grad(create_graph=True)``), Hessian-vector
products (reverse over reverse, and ``func.hvp``), forward-mode tangents
(``func.jvp``) and, on the first seed, whole Jacobians (``func.jacrev`` and
``func.jacfwd``). Random inputs keep away from ties and kinks, where
derivatives are subgradient conventions.

`COVERED` lists the public names the table exercises and `NOT_COMPARED` the
differentiable ones it leaves out, with the reason; a test keeps both in step
with ``ndgrad._primitive.exports``.
"""

import functools
import math
import os

import numpy
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from ndgrad import autograd, np, npx
from ndgrad._primitive import exports
from tests.crosscheck.engines import Op, away_from_zero, check, distinct, then, uniform

torch = pytest.importorskip('torch')

from tests.crosscheck.conv_rows import CONV  # noqa: E402  (imports torch: after the skip)
from tests.crosscheck.signal_rows import SIGNAL  # noqa: E402  (imports torch: after the skip)

T = torch
F = torch.nn.functional
TL = torch.linalg
inf = math.inf


def ints(values):
    return lambda rng: numpy.asarray(values)


def mask(shape, p=0.5):
    return lambda rng: rng.uniform(size=shape) < p


# --- elementwise ----------------------------------------------------------------------

UNARY = [
    # name, ndgrad, torch, input maker
    ('sin', np.sin, T.sin, uniform),
    ('cos', np.cos, T.cos, uniform),
    ('tan', np.tan, T.tan, lambda *s: uniform(*s, lo=-1.2, hi=1.2)),
    ('arcsin', np.arcsin, T.asin, lambda *s: uniform(*s, lo=-0.9, hi=0.9)),
    ('arccos', np.arccos, T.acos, lambda *s: uniform(*s, lo=-0.9, hi=0.9)),
    ('arctan', np.arctan, T.atan, uniform),
    ('sinh', np.sinh, T.sinh, uniform),
    ('cosh', np.cosh, T.cosh, uniform),
    ('tanh', np.tanh, T.tanh, uniform),
    ('arcsinh', np.arcsinh, T.asinh, uniform),
    ('arccosh', np.arccosh, T.acosh, lambda *s: uniform(*s, lo=1.1, hi=3.0)),
    ('arctanh', np.arctanh, T.atanh, lambda *s: uniform(*s, lo=-0.9, hi=0.9)),
    ('exp', np.exp, T.exp, uniform),
    ('exp2', np.exp2, T.exp2, uniform),
    ('expm1', np.expm1, T.expm1, uniform),
    ('log', np.log, T.log, lambda *s: uniform(*s, lo=0.2, hi=3.0)),
    ('log2', np.log2, T.log2, lambda *s: uniform(*s, lo=0.2, hi=3.0)),
    ('log10', np.log10, T.log10, lambda *s: uniform(*s, lo=0.2, hi=3.0)),
    ('log1p', np.log1p, T.log1p, lambda *s: uniform(*s, lo=-0.7, hi=2.0)),
    ('sqrt', np.sqrt, T.sqrt, lambda *s: uniform(*s, lo=0.2, hi=3.0)),
    ('cbrt', np.cbrt, lambda x: T.sign(x) * x.abs() ** (1 / 3), away_from_zero),
    ('square', np.square, T.square, uniform),
    ('reciprocal', np.reciprocal, T.reciprocal, away_from_zero),
    ('negative', np.negative, T.negative, uniform),
    ('positive', np.positive, T.positive, uniform),
    ('absolute', np.absolute, T.abs, away_from_zero),
    ('abs', np.abs, T.abs, away_from_zero),
    ('deg2rad', np.deg2rad, T.deg2rad, uniform),
    ('rad2deg', np.rad2deg, T.rad2deg, uniform),
    ('radians', np.radians, T.deg2rad, uniform),
    ('degrees', np.degrees, T.rad2deg, uniform),
    ('sinc', np.sinc, T.sinc, away_from_zero),
    ('copy', np.copy, T.clone, uniform),
    ('erf', npx.erf, T.erf, uniform),
    ('erfinv', npx.erfinv, T.erfinv, lambda *s: uniform(*s, lo=-0.95, hi=0.95)),
    ('gamma', npx.gamma, lambda x: T.exp(T.lgamma(x)), lambda *s: uniform(*s, lo=0.2, hi=4.0)),
    ('gammaln', npx.gammaln, T.lgamma, lambda *s: uniform(*s, lo=0.2, hi=4.0)),
    ('digamma', npx.digamma, T.digamma, lambda *s: uniform(*s, lo=0.2, hi=4.0)),
    ('relu', npx.relu, T.relu, away_from_zero),
    ('sigmoid', npx.sigmoid, T.sigmoid, lambda *s: uniform(*s, lo=-5, hi=5)),
    ('softplus', npx.softplus, F.softplus, lambda *s: uniform(*s, lo=-5, hi=5)),
]


def unary_rows():
    rows = []
    for name, fn, ref, make in UNARY:
        for shape in [(2, 3), (), (1, 3, 1)]:
            rows.append(Op(f'{name}/{shape}', fn, ref, make(shape), seeds=(0, 1)))
    return rows


def _gamma_sign(x):
    odd = T.remainder(T.ceil(-x), 2) == 1
    return T.where((x < 0) & odd, -T.ones_like(x), T.ones_like(x))


MORE_ELEMENTWISE = (
    [
        Op(
            'gamma/negative',
            npx.gamma,
            lambda x: _gamma_sign(x) * T.exp(T.lgamma(x)),
            uniform((2, 3), lo=-2.9, hi=-0.1),
        ),
        Op('gammaln/negative', npx.gammaln, T.lgamma, uniform((2, 3), lo=-2.9, hi=-2.1)),
        Op('erf/wide', npx.erf, T.erf, uniform((7,), lo=-6, hi=6)),
        Op('sigmoid/wide', npx.sigmoid, T.sigmoid, uniform((7,), lo=-40, hi=40)),
        Op('softplus/wide', npx.softplus, F.softplus, uniform((7,), lo=-40, hi=40)),
    ]
    + [
        Op(
            f'polygamma/n={n}',
            functools.partial(npx.polygamma, n),
            functools.partial(T.polygamma, n),
            uniform((2, 3), lo=0.3, hi=4.0),
            rtol=1e-6,
        )
        for n in (0, 1, 2, 3)
    ]
    + [
        Op(
            'astype/float64',
            lambda x: np.astype(x, 'float64'),
            lambda x: x.to(T.float64),
            uniform((2, 3)),
        ),
        Op(
            'astype/method-float32',
            lambda x: x.astype('float32'),
            lambda x: x.to(T.float32),
            uniform((2, 3)),
            rtol=1e-6,
            atol=1e-7,
        ),
        Op(
            'nan_to_num',
            lambda x: np.nan_to_num(x, nan=0.5, posinf=3.0, neginf=-3.0),
            lambda x: T.nan_to_num(x, nan=0.5, posinf=3.0, neginf=-3.0),
            lambda rng: [
                numpy.where(
                    rng.uniform(size=(3, 4)) < 0.3,
                    rng.choice([numpy.nan, numpy.inf, -numpy.inf], size=(3, 4)),
                    rng.uniform(-2, 2, (3, 4)),
                )
            ],
            fwd=False,
        ),
        Op(
            'nan_to_num/default',
            lambda x: np.nan_to_num(x),
            T.nan_to_num,
            lambda rng: [
                numpy.where(rng.uniform(size=(3, 4)) < 0.3, numpy.nan, rng.uniform(-2, 2, (3, 4)))
            ],
        ),
        Op(
            'clip/scalars',
            lambda x: np.clip(x, -0.5, 0.7),
            lambda x: T.clamp(x, -0.5, 0.7),
            uniform((3, 4)),
        ),
        Op(
            'clip/lower-only',
            lambda x: np.clip(x, -0.5, None),
            lambda x: T.clamp(x, min=-0.5),
            uniform((3, 4)),
        ),
        Op(
            'clip/array-bounds',
            lambda x, lo, hi: np.clip(x, lo, hi),
            lambda x, lo, hi: T.clamp(x, lo, hi),
            uniform((3, 4), (4,), (3, 1), lo=[-2, -1.5, 0.5], hi=[2, -0.5, 1.5]),
        ),
        Op(
            'clip/method',
            lambda x: x.clip(-0.5, 0.7),
            lambda x: T.clamp(x, -0.5, 0.7),
            uniform((5,)),
        ),
        Op(
            'where',
            lambda c, x, y: np.where(c, x, y),
            lambda c, x, y: T.where(c, x, y),
            then(
                lambda rng: [],
                mask((2, 3)),
                lambda rng: rng.uniform(-1, 1, (2, 3)),
                lambda rng: rng.uniform(-1, 1, (3,)),
            ),
        ),
        Op(
            'where/scalar-branch',
            lambda c, x: np.where(c, x, 0.25),
            lambda c, x: T.where(c, x, 0.25),
            then(lambda rng: [], mask((3, 1)), lambda rng: rng.uniform(-1, 1, (3, 4))),
        ),
        Op(
            'heaviside',
            np.heaviside,
            lambda x, h: (
                T.where(x > 0, 1.0, T.where(x == 0, h, 0.0))
                .to(T.float64)
                .expand(T.broadcast_shapes(x.shape, h.shape))
                + 0 * h
            ),
            lambda rng: [rng.choice([-1.0, 0.0, 1.5], size=(2, 4)), rng.uniform(0, 1, (4,))],
        ),
        Op(
            'relu/method-chain',
            lambda x: npx.relu(x) * x,
            lambda x: T.relu(x) * x,
            away_from_zero((4,)),
        ),
    ]
)


def t_sinc_accurate(x):
    """sinc with its Taylor series below |x| = 0.1: torch.sinc's derivative cancels
    there (about 1e-8 off by half), ndgrad's does not."""
    z = (math.pi * x) ** 2
    series = sum((-1) ** k * z**k / math.factorial(2 * k + 1) for k in range(9))
    small = x.abs() < 0.1
    return T.where(small, series, T.sinc(T.where(small, 1.0, x)))


def t_logaddexp(base):
    """max + log(1 + b^-|x - y|) / log b: torch.logaddexp's second derivative overflows
    to NaN when x and y are far apart (ndgrad's is the exact, tiny value)."""

    def ref(x, y):
        x, y = T.broadcast_tensors(x, y)
        d = (x - y).abs()
        return T.maximum(x, y) + T.log1p(base**-d) / math.log(base)

    return ref


ACCURACY = [
    Op(
        'sinc/near-zero',
        np.sinc,
        t_sinc_accurate,
        lambda rng: [numpy.array([1e-8, -1e-5, 3e-3, 0.0, 0.09, -0.2, 1.5])],
    ),
    # torch's pow masks the base's gradient where the exponent is 0, which drops the
    # mixed second derivative d²(x^y)/dx dy = 1/x there; exp(y log x) keeps it
    Op(
        'power/exponent-zero',
        np.power,
        lambda x, y: T.exp(y * T.log(x)),
        lambda rng: [rng.uniform(0.3, 2, (2, 3)), numpy.array([0.0, 1.5, 0.0])],
    ),
    Op(
        'logaddexp/far-apart',
        np.logaddexp,
        t_logaddexp(math.e),
        lambda rng: [
            numpy.array([-1000.0, 1000.0, 0.3, 50.0]),
            numpy.array([1000.0, -1000.0, -0.1, -50.0]),
        ],
    ),
    Op(
        'logaddexp2/far-apart',
        np.logaddexp2,
        t_logaddexp(2.0),
        lambda rng: [
            numpy.array([-1000.0, 1000.0, 0.3, 50.0]),
            numpy.array([1000.0, -1000.0, -0.1, -50.0]),
        ],
    ),
]

BINARY = [
    ('add', np.add, T.add, uniform),
    ('subtract', np.subtract, T.subtract, uniform),
    ('multiply', np.multiply, T.multiply, uniform),
    ('divide', np.divide, T.divide, away_from_zero),
    ('true_divide', np.true_divide, T.true_divide, away_from_zero),
    ('power', np.power, T.pow, lambda *s: uniform(*s, lo=[0.3, -2], hi=[2.0, 2])),
    (
        'float_power',
        np.float_power,
        T.float_power,
        lambda *s: uniform(*s, lo=[0.3, -2], hi=[2.0, 2]),
    ),
    ('maximum', np.maximum, T.maximum, uniform),
    ('minimum', np.minimum, T.minimum, uniform),
    ('fmax', np.fmax, T.fmax, uniform),
    ('fmin', np.fmin, T.fmin, uniform),
    ('arctan2', np.arctan2, T.atan2, away_from_zero),
    ('hypot', np.hypot, T.hypot, away_from_zero),
    ('logaddexp', np.logaddexp, T.logaddexp, uniform),
    ('logaddexp2', np.logaddexp2, T.logaddexp2, uniform),
    ('copysign', np.copysign, T.copysign, away_from_zero),
    ('fmod', np.fmod, T.fmod, lambda *s: uniform(*s, lo=[-5, 0.7], hi=[5, 1.3])),
    ('remainder', np.remainder, T.remainder, lambda *s: uniform(*s, lo=[-5, 0.7], hi=[5, 1.3])),
    ('mod', np.mod, T.remainder, lambda *s: uniform(*s, lo=[-5, -1.3], hi=[5, -0.7])),
]

BINARY_SHAPES = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((1,), (2, 1, 3)),
]


def binary_rows():
    rows = []
    for name, fn, ref, make in BINARY:
        for shapes in BINARY_SHAPES:
            rows.append(Op(f'{name}/{shapes[0]}-{shapes[1]}', fn, ref, make(*shapes), seeds=(0,)))
    return rows


OPERATORS = [
    Op('operator +', lambda x, y: x + y, lambda x, y: x + y, uniform((2, 3), (3,))),
    Op('operator - reflected', lambda x: 2.0 - x, lambda x: 2.0 - x, uniform((2, 3))),
    Op('operator * scalar', lambda x: x * 3.0, lambda x: x * 3.0, uniform((2, 3))),
    Op('operator / reflected', lambda x: 2.0 / x, lambda x: 2.0 / x, away_from_zero((2, 3))),
    Op('operator ** int', lambda x: x**3, lambda x: x**3, uniform((2, 3))),
    Op('operator ** half', lambda x: x**0.5, lambda x: x**0.5, uniform((4,), lo=0.2)),
    Op('operator ** reflected', lambda x: 2.0**x, lambda x: 2.0**x, uniform((4,))),
    Op(
        'operator ** arrays',
        lambda x, y: x**y,
        lambda x, y: x**y,
        uniform((2, 3), (2, 1), lo=[0.3, -2], hi=[2, 2]),
    ),
    Op(
        'operator % ',
        lambda x, y: x % y,
        lambda x, y: x % y,
        uniform((2, 3), (3,), lo=[-5, 0.7], hi=[5, 1.3]),
    ),
    Op(
        'operator neg/abs/pos',
        lambda x: -abs(x) + (+x),
        lambda x: -abs(x) + (+x),
        away_from_zero((2, 3)),
    ),
    Op('operator @', lambda a, b: a @ b, lambda a, b: a @ b, uniform((2, 3), (3, 4))),
    Op(
        'operator chain',
        lambda x, y: (x * y - x / (1 + y * y)) ** 2,
        lambda x, y: (x * y - x / (1 + y * y)) ** 2,
        uniform((3,), (2, 3)),
    ),
]


# --- reductions -----------------------------------------------------------------------


def _dims(axis):
    return axis if isinstance(axis, tuple) else (axis,)


def t_reduce(fn):
    """A torch reduction taking numpy's axis=None/int/tuple and keepdims."""

    def reduce(x, axis=None, keepdims=False):
        if axis is None:
            out = fn(x.reshape(-1), 0, False)
            return out.reshape((1,) * x.dim()) if keepdims else out
        return fn(x, _dims(axis), keepdims)

    return reduce


t_sum = t_reduce(lambda x, d, k: T.sum(x, d, keepdim=k))
t_mean = t_reduce(lambda x, d, k: T.mean(x, d, keepdim=k))
t_amax = t_reduce(lambda x, d, k: T.amax(x, d, keepdim=k))
t_amin = t_reduce(lambda x, d, k: T.amin(x, d, keepdim=k))
t_logsumexp = t_reduce(lambda x, d, k: T.logsumexp(x, d, keepdim=k))
t_nansum = t_reduce(lambda x, d, k: T.nansum(x, d, keepdim=k))
t_nanmean = t_reduce(lambda x, d, k: T.nanmean(x, d, keepdim=k))


def t_prod(x, axis=None, keepdims=False):
    if axis is None:
        out = T.prod(x.reshape(-1))
        return out.reshape((1,) * x.dim()) if keepdims else out
    out = x
    for a in sorted((d % x.dim() for d in _dims(axis)), reverse=True):
        out = T.prod(out, a, keepdim=True)
    return out if keepdims else out.squeeze(tuple(d % x.dim() for d in _dims(axis)))


def t_var(x, axis=None, ddof=0, keepdims=False):
    dims = None if axis is None else _dims(axis)
    return T.var(x, dim=dims, correction=ddof, keepdim=keepdims)


def t_nanmax(x, axis=None, keepdims=False):
    return t_amax(T.where(T.isnan(x), -inf, x), axis, keepdims)


def t_nanmin(x, axis=None, keepdims=False):
    return t_amin(T.where(T.isnan(x), inf, x), axis, keepdims)


def with_nans(shape, p=0.3):
    """NaNs scattered in distinct values, no slice of the last two axes all NaN (where
    ndgrad gives the NaNs a zero gradient and torch a NaN one)."""

    def make(rng):
        x = distinct(shape)(rng)[0]
        nans = rng.uniform(size=shape) < p
        nans[..., 0, :] = False
        nans[..., :, 0] = False
        x[nans] = numpy.nan
        return [x]

    return make


REDUCE_AXES = [(None, False), (0, False), (-1, True), ((0, 2), False), ((2, 0), True), (1, False)]


def _reducing(fn, axis, keepdims):
    return lambda x: fn(x, axis=axis, keepdims=keepdims)


def reduction_rows():
    rows = []
    table = [
        ('sum', np.sum, t_sum, uniform),
        ('mean', np.mean, t_mean, uniform),
        ('max', np.max, t_amax, distinct),
        ('amax', np.amax, t_amax, distinct),
        ('min', np.min, t_amin, distinct),
        ('amin', np.amin, t_amin, distinct),
        ('prod', np.prod, t_prod, lambda s: uniform(s, lo=0.5, hi=1.5)),
        ('logsumexp', np.logsumexp, t_logsumexp, uniform),
        ('npx.logsumexp', npx.logsumexp, t_logsumexp, uniform),
        (
            'ptp',
            np.ptp,
            lambda x, axis=None, keepdims=False: (
                t_amax(x, axis, keepdims) - t_amin(x, axis, keepdims)
            ),
            distinct,
        ),
        ('nansum', np.nansum, t_nansum, with_nans),
        ('nanmean', np.nanmean, t_nanmean, with_nans),
        ('nanmax', np.nanmax, t_nanmax, with_nans),
        ('nanmin', np.nanmin, t_nanmin, with_nans),
        ('var', np.var, t_var, uniform),
        (
            'std',
            np.std,
            lambda x, axis=None, keepdims=False: T.sqrt(t_var(x, axis, 0, keepdims)),
            uniform,
        ),
        (
            'average',
            np.average,
            lambda x, axis=None, keepdims=False: t_mean(x, axis, keepdims),
            uniform,
        ),
    ]
    for name, fn, ref, make in table:
        for axis, keepdims in REDUCE_AXES:
            if name.startswith('nan') and isinstance(axis, tuple):
                continue
            shape = (2, 3, 4) if axis != 1 else (2, 1, 3)
            if name == 'std' and axis == 1:  # the std of one entry sits on sqrt's kink at 0
                shape = (2, 2, 3)
            if name.startswith('nan') and axis is not None:
                shape = (3, 5, 2) if axis != 1 else (2, 1, 3)
            rows.append(
                Op(
                    f'{name}/axis={axis}{"-keepdims" if keepdims else ""}',
                    _reducing(fn, axis, keepdims),
                    _reducing(ref, axis, keepdims),
                    make(shape),
                    seeds=(0,),
                )
            )
    return rows


def t_quantile(x, q, axis=None, keepdims=False):
    qt = T.tensor(q, dtype=x.dtype)
    if axis is None:
        out = T.quantile(x.reshape(-1), qt)
        return out.reshape(qt.shape + (1,) * x.dim()) if keepdims else out
    out = T.quantile(x, qt, dim=axis, keepdim=keepdims)
    return out


def t_cumprod(x, axis=None):
    return T.cumprod(x.reshape(-1), 0) if axis is None else T.cumprod(x, axis)


def t_cumsum(x, axis=None):
    return T.cumsum(x.reshape(-1), 0) if axis is None else T.cumsum(x, axis)


def t_average(a, w, axis=None):
    if w.dim() == 1 and a.dim() > 1:
        shape = [1] * a.dim()
        shape[axis] = -1
        w = w.reshape(shape)
    return t_sum(a * w, axis) / t_sum(w.expand_as(a), axis)


def zeros_in(shape, count):
    def make(rng):
        x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, count, replace=False)] = 0.0
        return [x]

    return make


REDUCTIONS_MORE = [
    Op('sum/0d', np.sum, t_sum, uniform(())),
    Op('sum/method', lambda x: x.sum(axis=1), lambda x: x.sum(1), uniform((2, 3))),
    Op('mean/size-1-axis', lambda x: np.mean(x, axis=1), lambda x: x.mean(1), uniform((3, 1))),
    Op('max/0d', np.max, t_amax, uniform(())),
    Op('max/method', lambda x: x.max(axis=0), lambda x: x.amax(0), distinct((3, 2))),
    Op('prod/one-zero', lambda x: np.prod(x, axis=1), lambda x: T.prod(x, 1), zeros_in((3, 4), 2)),
    Op('prod/two-zeros', lambda x: np.prod(x), lambda x: T.prod(x), zeros_in((2, 3), 2)),
    Op(
        'prod/zeros-axis0',
        lambda x: np.prod(x, axis=0),
        lambda x: T.prod(x, 0),
        zeros_in((4, 3), 3),
    ),
    Op('cumsum', lambda x: np.cumsum(x, axis=1), lambda x: T.cumsum(x, 1), uniform((2, 4))),
    Op('cumsum/flat', lambda x: np.cumsum(x), t_cumsum, uniform((2, 3))),
    Op('cumsum/method', lambda x: x.cumsum(axis=0), lambda x: x.cumsum(0), uniform((3, 2))),
    Op(
        'cumprod',
        lambda x: np.cumprod(x, axis=-1),
        lambda x: T.cumprod(x, -1),
        uniform((2, 4), lo=0.5, hi=1.5),
    ),
    Op('cumprod/flat', lambda x: np.cumprod(x), t_cumprod, uniform((2, 3), lo=-1.5, hi=1.5)),
    Op(
        'cumprod/with-zero',
        lambda x: np.cumprod(x, axis=1),
        lambda x: T.cumprod(x, 1),
        zeros_in((2, 5), 2),
    ),
    Op(
        'var/ddof',
        lambda x: np.var(x, axis=0, ddof=1),
        lambda x: T.var(x, 0, correction=1),
        uniform((4, 3)),
    ),
    Op(
        'std/ddof-keepdims',
        lambda x: np.std(x, axis=-1, ddof=1, keepdims=True),
        lambda x: T.std(x, -1, correction=1, keepdim=True),
        uniform((2, 4)),
    ),
    Op(
        'std/correction',
        lambda x: np.std(x, correction=1),
        lambda x: T.std(x, correction=1),
        uniform((2, 3)),
    ),
    Op('var/method', lambda x: x.var(), lambda x: T.var(x, correction=0), uniform((5,))),
    Op(
        'average/weights',
        lambda a, w: np.average(a, weights=w),
        lambda a, w: (a * w).sum() / w.sum(),
        uniform((2, 3), (2, 3), lo=[-2, 0.5], hi=[2, 2]),
    ),
    Op(
        'average/weights-axis',
        lambda a, w: np.average(a, axis=1, weights=w),
        lambda a, w: t_average(a, w, 1),
        uniform((2, 3), (3,), lo=[-2, 0.5], hi=[2, 2]),
    ),
    Op(
        'average/returned',
        lambda a, w: np.average(a, axis=0, weights=w, returned=True),
        lambda a, w: (t_average(a, w, 0), t_sum(w[:, None].expand_as(a), 0)),
        uniform((3, 2), (3,), lo=[-2, 0.5], hi=[2, 2]),
    ),
    Op(
        'median', lambda x: np.median(x), lambda x: T.quantile(x.reshape(-1), 0.5), distinct((3, 4))
    ),
    Op(
        'median/axis-odd',
        lambda x: np.median(x, axis=1),
        lambda x: T.quantile(x, 0.5, dim=1),
        distinct((2, 5)),
    ),
    Op(
        'median/axis-keepdims',
        lambda x: np.median(x, axis=0, keepdims=True),
        lambda x: T.quantile(x, 0.5, dim=0, keepdim=True),
        distinct((4, 3)),
    ),
    Op(
        'quantile',
        lambda x: np.quantile(x, 0.3, axis=-1),
        lambda x: t_quantile(x, 0.3, axis=-1),
        distinct((2, 6)),
    ),
    Op(
        'quantile/q-array',
        lambda x: np.quantile(x, numpy.array([0.1, 0.5, 0.77])),
        lambda x: t_quantile(x, [0.1, 0.5, 0.77]),
        distinct((7,)),
    ),
    Op(
        'quantile/keepdims-flat',
        lambda x: np.quantile(x, 0.6, keepdims=True),
        lambda x: t_quantile(x, 0.6, keepdims=True),
        distinct((2, 3)),
    ),
    Op(
        'percentile',
        lambda x: np.percentile(x, 35.0, axis=0),
        lambda x: t_quantile(x, 0.35, axis=0),
        distinct((5, 2)),
    ),
    Op('diff', lambda x: np.diff(x), T.diff, uniform((2, 5))),
    Op(
        'diff/n2-axis0',
        lambda x: np.diff(x, n=2, axis=0),
        lambda x: T.diff(x, n=2, dim=0),
        uniform((5, 2)),
    ),
    Op(
        'diff/prepend-append',
        lambda x, p, a: np.diff(x, prepend=p, append=a),
        lambda x, p, a: T.diff(x, prepend=p, append=a),
        uniform((2, 4), (2, 1), (2, 2)),
    ),
    Op('ediff1d', lambda x: np.ediff1d(x), lambda x: T.diff(x.reshape(-1)), uniform((2, 3))),
    Op(
        'ediff1d/ends',
        lambda x, b, e: np.ediff1d(x, to_end=e, to_begin=b),
        lambda x, b, e: T.cat([b.reshape(-1), T.diff(x.reshape(-1)), e.reshape(-1)]),
        uniform((4,), (2,), ()),
    ),
    Op('sort', lambda x: np.sort(x), lambda x: T.sort(x).values, distinct((3, 4))),
    Op('sort/axis0', lambda x: np.sort(x, axis=0), lambda x: T.sort(x, 0).values, distinct((4, 3))),
    Op(
        'sort/flat',
        lambda x: np.sort(x, axis=None),
        lambda x: T.sort(x.reshape(-1)).values,
        distinct((2, 3)),
    ),
]


# --- shapes and indexing --------------------------------------------------------------


def t_pad(
    x,
    widths,
    mode='constant',
    constant_values=0.0,
    reflect_type='even',
    stat_length=None,
    end_values=0.0,
):
    """numpy.pad composed from torch ops, one axis after the other as NumPy does."""
    for axis, (before, after) in enumerate(widths):
        n = x.shape[axis]
        if mode == 'constant':
            shape = list(x.shape)
            parts = []
            if before:
                shape[axis] = before
                parts.append(T.full(shape, constant_values, dtype=x.dtype))
            parts.append(x)
            if after:
                shape[axis] = after
                parts.append(T.full(shape, constant_values, dtype=x.dtype))
            x = T.cat(parts, axis)
        elif mode in ('edge', 'wrap', 'reflect', 'symmetric'):
            picks = T.from_numpy(numpy.pad(numpy.arange(n), (before, after), mode))
            y = T.index_select(x, axis, picks)
            if reflect_type == 'odd' and mode in ('reflect', 'symmetric'):
                first, last = x.narrow(axis, 0, 1), x.narrow(axis, n - 1, 1)
                middle = y.narrow(axis, before, n)
                lo = 2 * first - y.narrow(axis, 0, before)
                hi = 2 * last - y.narrow(axis, before + n, after)
                y = T.cat([lo, middle, hi], axis)
            x = y
        elif mode == 'mean':
            k = n if stat_length is None else stat_length
            lo = x.narrow(axis, 0, k).mean(axis, keepdim=True)
            hi = x.narrow(axis, n - k, k).mean(axis, keepdim=True)
            reps = [1] * x.dim()
            reps_lo, reps_hi = list(reps), list(reps)
            reps_lo[axis], reps_hi[axis] = before, after
            x = T.cat([lo.repeat(reps_lo), x, hi.repeat(reps_hi)], axis)
        elif mode == 'linear_ramp':
            first, last = x.narrow(axis, 0, 1), x.narrow(axis, n - 1, 1)
            shape = [1] * x.dim()
            shape[axis] = -1
            up = (T.arange(before, dtype=x.dtype) / before).reshape(shape) if before else None
            down = (T.arange(1, after + 1, dtype=x.dtype) / after).reshape(shape) if after else None
            parts = []
            if before:
                parts.append(end_values + (first - end_values) * up)
            parts.append(x)
            if after:
                parts.append(last + (end_values - last) * down)
            x = T.cat(parts, axis)
        else:
            raise ValueError(mode)
    return x


def _pad_op(name, shape, widths, mode, **kw):
    full = numpy.broadcast_to(numpy.asarray(widths), (len(shape), 2)).tolist()
    return Op(
        f'pad/{name}',
        lambda x: np.pad(x, widths, mode, **kw),
        lambda x: t_pad(x, full, mode, **kw),
        uniform(shape),
        seeds=(0, 1),
    )


PADS = [
    _pad_op('constant', (2, 3), ((1, 2), (0, 1)), 'constant'),
    _pad_op('constant-value', (3,), 2, 'constant', constant_values=1.5),
    _pad_op('edge', (2, 3), ((1, 1), (2, 0)), 'edge'),
    _pad_op('wrap', (3, 4), ((1, 2), (2, 1)), 'wrap'),
    _pad_op('reflect', (3, 4), ((2, 1), (1, 2)), 'reflect'),
    _pad_op('reflect-odd', (4,), ((2, 3),), 'reflect', reflect_type='odd'),
    _pad_op('symmetric', (3, 4), ((1, 3), (2, 2)), 'symmetric'),
    _pad_op('symmetric-odd', (2, 4), ((1, 0), (2, 3)), 'symmetric', reflect_type='odd'),
    _pad_op('mean', (3, 4), ((1, 2), (2, 1)), 'mean'),
    _pad_op('mean-stat-length', (5,), ((2, 1),), 'mean', stat_length=2),
    _pad_op('linear_ramp', (3, 4), ((2, 1), (1, 3)), 'linear_ramp'),
    _pad_op('linear_ramp-end', (4,), ((3, 2),), 'linear_ramp', end_values=2.0),
]


def t_take(a, idx, axis=None):
    if axis is None:
        return a.reshape(-1)[idx]
    return a[(slice(None),) * (axis % a.dim()) + (idx,)]


def perm_index(shape, axis, n):
    """Distinct indices into an axis of length n (no repeated writes)."""

    def make(rng):
        out = numpy.empty(shape, dtype=numpy.int64)
        moved = numpy.moveaxis(out, axis, -1)
        for pos in numpy.ndindex(moved.shape[:-1]):
            moved[pos] = rng.permutation(n)[: moved.shape[-1]]
        return out

    return make


def t_setitem(x, v, index):
    y = x.clone()
    y[index] = v
    return y


def nd_setitem(x, v, index):
    y = x * 1.0
    y[index] = v
    return y


def t_rot90(m, k=1, axes=(0, 1)):
    return T.rot90(m, k, list(axes))


def t_repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = a.reshape(-1), 0
    return T.repeat_interleave(a, T.as_tensor(repeats), dim=axis)


def t_choose(a, *choices):
    shape = T.broadcast_shapes(a.shape, *(c.shape for c in choices))
    stacked = T.stack([c.expand(shape) for c in choices])
    return T.gather(stacked, 0, a.expand(shape).unsqueeze(0)).squeeze(0)


def t_compress(cond, a, axis=None):
    if axis is None:
        a, axis = a.reshape(-1), 0
    return T.index_select(a, axis, T.nonzero(cond).reshape(-1))


SHAPES = [
    Op('reshape', lambda x: np.reshape(x, (3, -1)), lambda x: x.reshape(3, -1), uniform((2, 3))),
    Op('reshape/method', lambda x: x.reshape(6), lambda x: x.reshape(6), uniform((2, 3))),
    Op(
        'reshape/F-order',
        lambda x: np.reshape(x, (3, 2), order='F'),
        lambda x: x.T.reshape(2, 3).T,
        uniform((2, 3)),
    ),
    Op('ravel', np.ravel, T.ravel, uniform((2, 3))),
    Op('flatten', lambda x: x.flatten(), T.flatten, uniform((2, 1, 3))),
    Op('transpose', np.transpose, lambda x: x.permute(2, 1, 0), uniform((2, 3, 4))),
    Op(
        'transpose/axes',
        lambda x: np.transpose(x, (1, 2, 0)),
        lambda x: x.permute(1, 2, 0),
        uniform((2, 3, 4)),
    ),
    Op('transpose/T', lambda x: x.T, lambda x: x.T, uniform((2, 3))),
    Op(
        'swapaxes',
        lambda x: np.swapaxes(x, 0, -1),
        lambda x: T.swapaxes(x, 0, -1),
        uniform((2, 3, 4)),
    ),
    Op(
        'moveaxis',
        lambda x: np.moveaxis(x, (0, 1), (-1, 0)),
        lambda x: T.movedim(x, (0, 1), (-1, 0)),
        uniform((2, 3, 4)),
    ),
    Op(
        'expand_dims',
        lambda x: np.expand_dims(x, (0, -1)),
        lambda x: x.unsqueeze(0).unsqueeze(-1),
        uniform((2, 3)),
    ),
    Op('squeeze', np.squeeze, T.squeeze, uniform((1, 3, 1))),
    Op(
        'squeeze/axis',
        lambda x: np.squeeze(x, axis=-1),
        lambda x: x.squeeze(-1),
        uniform((1, 3, 1)),
    ),
    Op(
        'broadcast_to',
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        lambda x: x.expand(2, 3, 4),
        uniform((3, 1)),
    ),
    Op(
        'broadcast_arrays',
        lambda x, y: np.broadcast_arrays(x, y),
        lambda x, y: T.broadcast_tensors(x, y),
        uniform((2, 1), (3,)),
    ),
    Op('atleast_1d', np.atleast_1d, T.atleast_1d, uniform(())),
    Op('atleast_2d', np.atleast_2d, T.atleast_2d, uniform((3,))),
    Op('atleast_3d', np.atleast_3d, T.atleast_3d, uniform((3,))),
    Op('atleast_3d/2d', np.atleast_3d, T.atleast_3d, uniform((2, 3))),
    Op(
        'atleast_2d/several',
        lambda x, y: np.atleast_2d(x, y),
        lambda x, y: T.atleast_2d((x, y)),
        uniform((), (3,)),
    ),
    Op(
        'concatenate',
        lambda x, y: np.concatenate([x, y], axis=1),
        lambda x, y: T.cat([x, y], 1),
        uniform((2, 3), (2, 1)),
    ),
    Op(
        'concatenate/flat',
        lambda x, y: np.concatenate([x, y], axis=None),
        lambda x, y: T.cat([x.reshape(-1), y.reshape(-1)]),
        uniform((2, 3), (4,)),
    ),
    Op(
        'stack',
        lambda x, y, z: np.stack([x, y, z], axis=-1),
        lambda x, y, z: T.stack([x, y, z], -1),
        uniform((2, 3), (2, 3), (2, 3)),
    ),
    Op(
        'hstack', lambda x, y: np.hstack([x, y]), lambda x, y: T.hstack([x, y]), uniform((3,), (2,))
    ),
    Op(
        'vstack',
        lambda x, y: np.vstack([x, y]),
        lambda x, y: T.vstack([x, y]),
        uniform((3,), (2, 3)),
    ),
    Op(
        'dstack',
        lambda x, y: np.dstack([x, y]),
        lambda x, y: T.dstack([x, y]),
        uniform((2, 3), (2, 3, 2)),
    ),
    Op(
        'column_stack',
        lambda x, y: np.column_stack([x, y]),
        lambda x, y: T.column_stack([x, y]),
        uniform((3,), (3, 2)),
    ),
    Op(
        'split',
        lambda x: np.split(x, 3, axis=1),
        lambda x: T.tensor_split(x, 3, 1),
        uniform((2, 6)),
    ),
    Op(
        'split/indices',
        lambda x: np.split(x, [1, 3]),
        lambda x: T.tensor_split(x, [1, 3]),
        uniform((5, 2)),
    ),
    Op(
        'array_split',
        lambda x: np.array_split(x, 3, axis=-1),
        lambda x: T.tensor_split(x, 3, -1),
        uniform((2, 7)),
    ),
    Op('hsplit', lambda x: np.hsplit(x, 2), lambda x: T.hsplit(x, 2), uniform((3, 4))),
    Op('vsplit', lambda x: np.vsplit(x, [1]), lambda x: T.vsplit(x, [1]), uniform((3, 2))),
    Op('dsplit', lambda x: np.dsplit(x, 2), lambda x: T.dsplit(x, 2), uniform((2, 1, 4))),
    Op('unstack', np.unstack, T.unbind, uniform((3, 2))),
    Op(
        'unstack/axis',
        lambda x: np.unstack(x, axis=-1),
        lambda x: T.unbind(x, -1),
        uniform((2, 1, 3)),
    ),
    Op('unstack/1d', np.unstack, T.unbind, uniform((4,))),
    Op('iterate', lambda x: tuple(x), T.unbind, uniform((3, 2))),
    Op('flip', lambda x: np.flip(x, axis=1), lambda x: T.flip(x, (1,)), uniform((2, 3))),
    Op('flip/all', np.flip, lambda x: T.flip(x, tuple(range(x.dim()))), uniform((2, 3, 2))),
    Op('fliplr', np.fliplr, T.fliplr, uniform((2, 3))),
    Op('flipud', np.flipud, T.flipud, uniform((3, 2))),
    Op('rot90', np.rot90, t_rot90, uniform((2, 3))),
    Op(
        'rot90/k-axes',
        lambda x: np.rot90(x, 3, axes=(2, 0)),
        lambda x: t_rot90(x, 3, (2, 0)),
        uniform((2, 3, 4)),
    ),
    Op('rot90/k=-2', lambda x: np.rot90(x, -2), lambda x: t_rot90(x, -2), uniform((3, 2))),
    Op('roll', lambda x: np.roll(x, 2, axis=1), lambda x: T.roll(x, 2, 1), uniform((2, 5))),
    Op('roll/flat', lambda x: np.roll(x, -4), lambda x: T.roll(x, -4), uniform((2, 3))),
    Op(
        'roll/several',
        lambda x: np.roll(x, (1, -1), axis=(0, 2)),
        lambda x: T.roll(x, (1, -1), (0, 2)),
        uniform((3, 2, 4)),
    ),
    Op('tile', lambda x: np.tile(x, (2, 1, 3)), lambda x: T.tile(x, (2, 1, 3)), uniform((2, 3))),
    Op('tile/int', lambda x: np.tile(x, 3), lambda x: T.tile(x, (3,)), uniform((2,))),
    Op('repeat', lambda x: np.repeat(x, 2, axis=1), lambda x: t_repeat(x, 2, 1), uniform((2, 3))),
    Op('repeat/flat', lambda x: np.repeat(x, 3), lambda x: t_repeat(x, 3), uniform((2, 2))),
    Op(
        'repeat/counts',
        lambda x: np.repeat(x, [1, 0, 3], axis=0),
        lambda x: t_repeat(x, [1, 0, 3], 0),
        uniform((3, 2)),
    ),
    Op(
        'meshgrid',
        lambda x, y: np.meshgrid(x, y),
        lambda x, y: T.meshgrid(x, y, indexing='xy'),
        uniform((3,), (2,)),
    ),
    Op(
        'meshgrid/ij',
        lambda x, y, z: np.meshgrid(x, y, z, indexing='ij'),
        lambda x, y, z: T.meshgrid(x, y, z, indexing='ij'),
        uniform((3,), (2,), (2,)),
    ),
    Op('tril', np.tril, T.tril, uniform((3, 3))),
    Op('tril/k-stacked', lambda x: np.tril(x, 1), lambda x: T.tril(x, 1), uniform((2, 3, 4))),
    Op('triu', lambda x: np.triu(x, -1), lambda x: T.triu(x, -1), uniform((3, 4))),
    Op('diag/vector', lambda v: np.diag(v, 1), lambda v: T.diag(v, 1), uniform((3,))),
    Op('diag/matrix', lambda a: np.diag(a, -1), lambda a: T.diag(a, -1), uniform((3, 4))),
    Op('diagonal', lambda a: np.diagonal(a), lambda a: T.diagonal(a, 0, 0, 1), uniform((3, 4))),
    Op(
        'diagonal/offset-axes',
        lambda a: np.diagonal(a, offset=-1, axis1=-1, axis2=0),
        lambda a: T.diagonal(a, -1, -1, 0),
        uniform((3, 2, 3)),
    ),
    Op('trace', np.trace, T.trace, uniform((3, 3))),
    Op(
        'trace/offset-axes',
        lambda a: np.trace(a, 1, 2, 0),
        lambda a: T.diagonal(a, 1, 2, 0).sum(-1),
        uniform((3, 2, 4)),
    ),
    Op(
        'reshape_like',
        lambda x, y: npx.reshape_like(x, y),
        lambda x, y: x.reshape(y.shape),
        uniform((6,), (2, 3)),
    ),
    Op(
        'reshape_like/partial',
        lambda x, y: npx.reshape_like(x, y, lhs_begin=1, lhs_end=2, rhs_begin=0, rhs_end=2),
        lambda x, y: x.reshape(2, 2, 3, 5),
        uniform((2, 6, 5), (2, 3)),
    ),
]

INDEXING = [
    Op('getitem/int', lambda x: x[1], lambda x: x[1], uniform((3, 4))),
    Op('getitem/slices', lambda x: x[1:, ::2], lambda x: x[1:, ::2], uniform((3, 5))),
    Op('getitem/negative-step', lambda x: x[::-2], lambda x: T.flip(x, (0,))[::2], uniform((5, 2))),
    Op(
        'getitem/ellipsis-newaxis',
        lambda x: x[..., None, 1],
        lambda x: x[..., None, 1],
        uniform((2, 3, 4)),
    ),
    Op(
        'getitem/int-array-repeats',
        lambda x, i: x[i],
        lambda x, i: x[i],
        then(uniform((4, 2)), ints([0, 3, 3, 1, 0])),
    ),
    Op(
        'getitem/two-int-arrays',
        lambda x, i, j: x[i, :, j],
        lambda x, i, j: x[i, :, j],
        then(uniform((3, 2, 4)), ints([[0, 2], [2, 2]]), ints([1, 3])),
    ),
    Op(
        'getitem/bool-mask',
        lambda x, m: x[m],
        lambda x, m: x[m],
        then(uniform((3, 4)), mask((3, 4))),
    ),
    Op(
        'getitem/bool-rows',
        lambda x, m: x[m, 1:],
        lambda x, m: x[m, 1:],
        then(uniform((4, 3)), ints([True, False, True, True])),
    ),
    Op('getitem/0d', lambda x: x[()] * x[...], lambda x: x[()] * x[...], uniform(())),
    Op(
        'setitem/slice',
        lambda x, v: nd_setitem(x, v, (slice(0, 2), 1)),
        lambda x, v: t_setitem(x, v, (slice(0, 2), 1)),
        uniform((3, 4), (2,)),
    ),
    Op(
        'setitem/broadcast-value',
        lambda x, v: nd_setitem(x, v, (Ellipsis, slice(1, 3))),
        lambda x, v: t_setitem(x, v, (Ellipsis, slice(1, 3))),
        uniform((3, 4), (1, 2)),
    ),
    Op(
        'setitem/int-array',
        lambda x, v, i: nd_setitem(x, v, i),
        lambda x, v, i: t_setitem(x, v, i),
        then(uniform((4, 2), (2, 2)), ints([2, 0])),
    ),
    Op(
        'setitem/bool-mask',
        lambda x, m: nd_setitem(x, 0.5 * x[m] ** 2, m),
        lambda x, m: t_setitem(x, 0.5 * x[m] ** 2, m),
        then(uniform((3, 3)), mask((3, 3))),
    ),
    Op(
        'take/flat',
        lambda a, i: np.take(a, i),
        t_take,
        then(uniform((2, 3)), ints([[5, 0], [2, 2]])),
    ),
    Op(
        'take/axis',
        lambda a, i: np.take(a, i, axis=1),
        lambda a, i: t_take(a, i, 1),
        then(uniform((2, 4, 2)), ints([3, 0, 3])),
    ),
    Op(
        'take/wrap',
        lambda a: np.take(a, [-1, 4, 7], axis=0, mode='wrap'),
        lambda a: a[[2, 1, 1]],
        uniform((3, 2)),
    ),
    Op(
        'take/clip',
        lambda a: np.take(a, [-1, 4, 1], mode='clip'),
        lambda a: a.reshape(-1)[[0, 4, 1]],
        uniform((3, 2)),
    ),
    Op(
        'take_along_axis',
        lambda a, i: np.take_along_axis(a, i, axis=1),
        lambda a, i: T.take_along_dim(a, i, 1),
        then(uniform((3, 4)), lambda rng: rng.integers(0, 4, (3, 5))),
    ),
    Op(
        'take_along_axis/broadcast',
        lambda a, i: np.take_along_axis(a, i, axis=0),
        lambda a, i: T.take_along_dim(a, i, 0),
        then(uniform((3, 4)), lambda rng: rng.integers(0, 3, (2, 1))),
    ),
    Op(
        'put_along_axis',
        lambda a, v, i: np.put_along_axis(a, i, v, axis=1),
        lambda a, v, i: T.scatter(a, 1, i, v),
        then(uniform((3, 5), (3, 2)), perm_index((3, 2), 1, 5)),
    ),
    Op(
        'put_along_axis/axis0',
        lambda a, v, i: np.put_along_axis(a, i, v, axis=0),
        lambda a, v, i: T.scatter(a, 0, i, v),
        then(uniform((4, 3), (2, 3)), perm_index((2, 3), 0, 4)),
    ),
    Op(
        'choose',
        lambda a, x, y, z: np.choose(a, [x, y, z]),
        t_choose,
        lambda rng: [rng.integers(0, 3, (2, 3)), *uniform((2, 3), (3,), (2, 1))(rng)],
        wrt=(1, 2, 3),
    ),
    Op(
        'compress',
        lambda c, a: np.compress(c, a, axis=1),
        lambda c, a: t_compress(c, a, 1),
        lambda rng: [numpy.array([True, False, True, True]), rng.uniform(-1, 1, (2, 4))],
        wrt=(1,),
    ),
    Op(
        'compress/flat',
        lambda c, a: np.compress(c, a),
        t_compress,
        lambda rng: [numpy.array([False, True, True]), rng.uniform(-1, 1, (2, 3))],
        wrt=(1,),
    ),
]


# --- linear algebra -------------------------------------------------------------------


def well_conditioned(*shapes):
    def make(rng):
        out = []
        for s in shapes:
            x = rng.uniform(-1, 1, size=s)
            if len(s) >= 2 and s[-1] == s[-2]:
                x = x + 3 * numpy.eye(s[-1])
            out.append(x)
        return out

    return make


def spread(*shapes):
    """Square matrices whose symmetric parts have well separated eigenvalues."""

    def make(rng):
        return [
            rng.uniform(-0.3, 0.3, size=s) + numpy.diag(numpy.arange(s[-1]) * 1.5) for s in shapes
        ]

    return make


def separated_singular(*shapes):
    """Matrices with well separated singular values: U diag(s) Vᵀ from random
    orthogonal factors."""

    def make(rng):
        out = []
        for s in shapes:
            m, n = s[-2:]
            k = min(m, n)
            batch = s[:-2]
            u = numpy.linalg.qr(rng.standard_normal(batch + (m, m)))[0][..., :k]
            v = numpy.linalg.qr(rng.standard_normal(batch + (n, n)))[0][..., :k]
            sv = numpy.arange(k, 0, -1) * 1.0 + rng.uniform(0, 0.3, batch + (k,))
            out.append((u * sv[..., None, :]) @ numpy.swapaxes(v, -1, -2))
        return out

    return make


def sym(a, xp):
    n = a.shape[-1]
    eye = numpy.eye(n) if xp is np else T.eye(n, dtype=a.dtype)
    return (a + xp.swapaxes(a, -1, -2)) * 0.5 + (n + 1.0) * eye


def eig_input(a, xp):
    return (a + xp.swapaxes(a, -1, -2)) * 0.5


def gauge_free(u, xp):
    """Products of entries of one column: unchanged when the column flips sign."""
    return u * u[..., :1, :]


def t_lstsq(a, b):
    x = TL.pinv(a) @ (b if b.dim() > 1 else b[:, None])
    r = ((a @ x - (b if b.dim() > 1 else b[:, None])) ** 2).sum(-2)
    if b.dim() == 1:
        x, r = x[:, 0], r
    return x, r, TL.svdvals(a)


def nd_lstsq(a, b):
    x, res, _rank, sv = np.linalg.lstsq(a, b)
    return x, res, sv


def t_tensordot(axes):
    return lambda a, b: T.tensordot(a, b, dims=axes)


def t_norm(x, ord=None, axis=None, keepdims=False):
    if axis is None and ord is None:
        return TL.vector_norm(x.reshape(-1), 2).reshape((1,) * x.dim() if keepdims else ())
    return TL.norm(x, ord, axis, keepdims)


def _norm_op(name, shape, make=uniform, **kw):
    return Op(
        f'norm/{name}',
        lambda x: np.linalg.norm(x, **kw),
        lambda x: t_norm(x, **kw),
        make(shape),
        seeds=(0, 1),
    )


NORMS = (
    [
        _norm_op('default', (2, 3)),
        _norm_op('default-0d', (), away_from_zero),
        _norm_op('default-keepdims', (2, 1, 3), keepdims=True),
        _norm_op('vector', (3,)),
        _norm_op('axis-keepdims', (2, 3), axis=0, keepdims=True),
        _norm_op('size-1-axis', (2, 1), away_from_zero, axis=1),
    ]
    + [
        _norm_op(
            f'vector-ord{o}',
            (2, 3),
            distinct if o in (inf, -inf) else away_from_zero,
            ord=o,
            axis=1,
        )
        for o in (1, 2, inf, -inf, 3, 0.5, -1, -2.5)
    ]
    + [
        _norm_op(
            f'matrix-ord{o}', (3, 3), separated_singular if o in ('nuc', 2, -2) else distinct, ord=o
        )
        for o in ('fro', 'nuc', 1, -1, 2, -2, inf, -inf)
    ]
    + [
        _norm_op(f'matrix-ord{o}-axes', (2, 3, 2), distinct, ord=o, axis=(2, 0))
        for o in ('fro', 1, -inf)
    ]
    + [
        Op(
            'vector_norm',
            lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3),
            lambda x: TL.vector_norm(x, 3, (0, 2)),
            away_from_zero((2, 2, 3)),
        ),
        Op(
            'vector_norm/default',
            lambda x: np.linalg.vector_norm(x),
            TL.vector_norm,
            uniform((2, 3)),
        ),
        Op(
            'vector_norm/keepdims-inf',
            lambda x: np.linalg.vector_norm(x, ord=inf, axis=1, keepdims=True),
            lambda x: TL.vector_norm(x, inf, 1, True),
            distinct((3, 4)),
        ),
        Op(
            'matrix_norm/2',
            lambda x: np.linalg.matrix_norm(x, ord=2),
            lambda x: TL.matrix_norm(x, 2),
            separated_singular((2, 3, 2)),
        ),
        Op(
            'matrix_norm/nuc',
            lambda x: np.linalg.matrix_norm(x, ord='nuc'),
            lambda x: TL.matrix_norm(x, 'nuc'),
            separated_singular((2, 2, 3)),
        ),
        Op(
            'matrix_norm/fro-keepdims',
            lambda x: np.linalg.matrix_norm(x, keepdims=True),
            lambda x: TL.matrix_norm(x, keepdim=True),
            uniform((2, 2, 3)),
        ),
    ]
)

LINALG = (
    [
        Op('matmul/2d', np.matmul, T.matmul, uniform((2, 3), (3, 4))),
        Op('matmul/vec-mat', np.matmul, T.matmul, uniform((3,), (3, 2))),
        Op('matmul/mat-vec', np.matmul, T.matmul, uniform((2, 3), (3,))),
        Op('matmul/vec-vec', np.matmul, T.matmul, uniform((3,), (3,))),
        Op('matmul/broadcast', np.matmul, T.matmul, uniform((2, 1, 2, 3), (3, 3, 2))),
        Op('dot/0d', np.dot, lambda a, b: a * b, uniform((), (2, 3))),
        Op('dot/vec-vec', np.dot, T.dot, uniform((3,), (3,))),
        Op('dot/mat-mat', np.dot, T.mm, uniform((2, 3), (3, 2))),
        Op('dot/nd-vec', np.dot, T.matmul, uniform((2, 2, 3), (3,))),
        Op(
            'dot/nd-nd',
            np.dot,
            lambda a, b: T.tensordot(a, b, ([-1], [-2])),
            uniform((2, 3), (2, 3, 2)),
        ),
        Op('dot/method', lambda a, b: a.dot(b), T.matmul, uniform((2, 3), (3,))),
        Op(
            'vdot',
            np.vdot,
            lambda a, b: T.dot(a.reshape(-1), b.reshape(-1)),
            uniform((2, 3), (3, 2)),
        ),
        Op('inner/vec', np.inner, T.inner, uniform((3,), (3,))),
        Op('inner/nd', np.inner, T.inner, uniform((2, 3), (2, 1, 3))),
        Op('inner/0d', np.inner, T.inner, uniform((), (2,))),
        Op('outer', np.outer, T.outer, uniform((3,), (2,))),
        Op(
            'outer/flattens',
            np.outer,
            lambda a, b: T.outer(a.reshape(-1), b.reshape(-1)),
            uniform((2, 2), (3,)),
        ),
        Op('tensordot/2', np.tensordot, t_tensordot(2), uniform((2, 3, 2), (3, 2))),
        Op(
            'tensordot/pairs',
            lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 1])),
            t_tensordot(([1, 0], [0, 1])),
            uniform((2, 3), (3, 2, 2)),
        ),
        Op(
            'tensordot/0',
            lambda a, b: np.tensordot(a, b, axes=0),
            t_tensordot(0),
            uniform((2,), (3,)),
        ),
        Op('kron', np.kron, T.kron, uniform((2, 2), (2, 3))),
        Op('kron/mixed', np.kron, T.kron, uniform((2,), (2, 2))),
        Op('trace', np.trace, T.trace, uniform((3, 3))),
        Op(
            'multi_dot',
            lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
            lambda a, b, c, d: TL.multi_dot([a, b, c, d]),
            uniform((2,), (2, 3), (3, 2), (2,)),
        ),
        Op(
            'multi_dot/matrices',
            lambda a, b, c: np.linalg.multi_dot([a, b, c]),
            lambda a, b, c: TL.multi_dot([a, b, c]),
            uniform((3, 1), (1, 3), (3, 2)),
        ),
        Op('batch_dot', npx.batch_dot, T.bmm, uniform((2, 3, 4), (2, 4, 2))),
        Op(
            'batch_dot/transposes',
            lambda a, b: npx.batch_dot(a, b, transpose_a=True, transpose_b=True),
            lambda a, b: T.bmm(a.transpose(1, 2), b.transpose(1, 2)),
            uniform((2, 4, 3), (2, 2, 4)),
        ),
    ]
    + [
        Op(
            f'einsum/{spec}',
            (lambda s: lambda *xs: np.einsum(s, *xs))(spec),
            (lambda s: lambda *xs: T.einsum(s, *xs))(spec),
            uniform(*shapes),
            seeds=(0,),
        )
        for spec, shapes in [
            ('ij,jk->ik', [(2, 3), (3, 2)]),
            ('i,i->', [(3,), (3,)]),
            ('ii->i', [(3, 3)]),
            ('ii', [(3, 3)]),
            ('bij,bjk->bik', [(2, 2, 3), (2, 3, 2)]),
            ('...ij,...jk->...ik', [(2, 2, 3), (3, 2)]),
            ('ij->ji', [(2, 3)]),
            ('i,j->ij', [(3,), (2,)]),
            ('ij,jk', [(2, 3), (3, 2)]),
            ('ij->', [(2, 3)]),
            ('iij->j', [(2, 2, 3)]),
            ('ii,i->i', [(3, 3), (3,)]),
            ('ij,ij->ij', [(2, 1), (2, 3)]),
            ('ij,jk,kl->il', [(2, 3), (3, 2), (2, 2)]),
            ('i...->...', [(2, 3)]),
            ('abc,cd,db->a', [(2, 3, 2), (2, 3), (3, 3)]),
        ]
    ]
    + [
        Op(
            'einsum/sublists',
            lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
            lambda a, b: T.einsum(a, [0, 1], b, [1, 2], [0, 2]),
            uniform((2, 3), (3, 2)),
        ),
        Op('inv', np.linalg.inv, TL.inv, well_conditioned((3, 3))),
        Op('inv/stacked', np.linalg.inv, TL.inv, well_conditioned((2, 2, 2))),
        Op('pinv/tall', np.linalg.pinv, TL.pinv, separated_singular((3, 2)), rtol=1e-6),
        Op('pinv/wide-stacked', np.linalg.pinv, TL.pinv, separated_singular((2, 2, 3)), rtol=1e-6),
        Op('det', np.linalg.det, TL.det, uniform((3, 3))),
        Op('det/stacked', np.linalg.det, TL.det, uniform((2, 2, 2))),
        Op('det/1x1', np.linalg.det, TL.det, uniform((1, 1))),
        Op('slogdet', lambda a: np.linalg.slogdet(a), TL.slogdet, uniform((3, 3))),
        Op('slogdet/stacked', lambda a: np.linalg.slogdet(a), TL.slogdet, uniform((2, 2, 2))),
        Op('solve/vector', np.linalg.solve, TL.solve, well_conditioned((3, 3), (3,))),
        Op('solve/matrix', np.linalg.solve, TL.solve, well_conditioned((3, 3), (3, 2))),
        Op(
            'solve/stacked-a-vector-b', np.linalg.solve, TL.solve, well_conditioned((2, 2, 2), (2,))
        ),
        Op('solve/broadcast', np.linalg.solve, TL.solve, well_conditioned((2, 1, 2, 2), (3, 2, 2))),
        Op(
            'lstsq/tall-vector',
            nd_lstsq,
            t_lstsq,
            lambda rng: [separated_singular((4, 2))(rng)[0], rng.uniform(-1, 1, (4,))],
            rtol=1e-6,
        ),
        Op(
            'lstsq/tall-matrix',
            nd_lstsq,
            t_lstsq,
            lambda rng: [separated_singular((4, 3))(rng)[0], rng.uniform(-1, 1, (4, 2))],
            rtol=1e-6,
        ),
        Op(
            'lstsq/wide',
            lambda a, b: np.linalg.lstsq(a, b)[0],
            lambda a, b: t_lstsq(a, b)[0],
            lambda rng: [separated_singular((2, 3))(rng)[0], rng.uniform(-1, 1, (2,))],
            rtol=1e-6,
        ),
        Op(
            'lstsq/wide-singular-values',
            lambda a, b: np.linalg.lstsq(a, b)[3],
            lambda a, b: TL.svdvals(a),
            lambda rng: [separated_singular((2, 3))(rng)[0], rng.uniform(-1, 1, (2,))],
            rtol=1e-6,
        ),
    ]
    + [
        Op(
            f'matrix_power/{n}',
            lambda a, n=n: np.linalg.matrix_power(a, n),
            lambda a, n=n: TL.matrix_power(a, n),
            well_conditioned((2, 2, 2)),
            seeds=(0,),
        )
        for n in (0, 1, 2, 3, 5, -2)
    ]
    + [
        Op(
            'cholesky',
            lambda a: np.linalg.cholesky(sym(a, np)),
            lambda a: TL.cholesky(sym(a, T)),
            uniform((3, 3), lo=-1, hi=1),
        ),
        Op(
            'cholesky/stacked-upper',
            lambda a: np.linalg.cholesky(sym(a, np), upper=True),
            lambda a: TL.cholesky(sym(a, T), upper=True),
            uniform((2, 3, 3), lo=-1, hi=1),
        ),
        Op(
            'qr/tall',
            lambda a: tuple(np.linalg.qr(a)),
            lambda a: tuple(TL.qr(a)),
            separated_singular((4, 2)),
            rtol=1e-6,
        ),
        Op(
            'qr/square',
            lambda a: tuple(np.linalg.qr(a)),
            lambda a: tuple(TL.qr(a)),
            well_conditioned((3, 3)),
            rtol=1e-6,
        ),
        Op(
            'qr/wide',
            lambda a: tuple(np.linalg.qr(a)),
            lambda a: tuple(TL.qr(a)),
            separated_singular((2, 3)),
            rtol=1e-6,
        ),
        Op(
            'qr/stacked',
            lambda a: tuple(np.linalg.qr(a)),
            lambda a: tuple(TL.qr(a)),
            separated_singular((2, 3, 2)),
            rtol=1e-6,
        ),
        Op(
            'qr/r-mode',
            lambda a: np.linalg.qr(a, mode='r'),
            lambda a: TL.qr(a, mode='reduced')[1],
            separated_singular((3, 2)),
            rtol=1e-6,
        ),
        Op(
            'qr/complete-square',
            lambda a: tuple(np.linalg.qr(a, mode='complete')),
            lambda a: tuple(TL.qr(a, mode='complete')),
            well_conditioned((3, 3)),
            rtol=1e-6,
        ),
        Op(
            'eigh/eigenvalues',
            lambda a: np.linalg.eigh(eig_input(a, np)).eigenvalues,
            lambda a: TL.eigh(eig_input(a, T)).eigenvalues,
            spread((3, 3)),
        ),
        Op(
            'eigh/eigenvectors',
            lambda a: gauge_free(np.linalg.eigh(eig_input(a, np))[1], np),
            lambda a: gauge_free(TL.eigh(eig_input(a, T))[1], T),
            spread((3, 3)),
            rtol=1e-6,
        ),
        Op(
            'eigh/stacked-upper',
            lambda a: tuple(
                f(x)
                for f, x in zip(
                    (lambda w: w, lambda v: gauge_free(v, np)),
                    np.linalg.eigh(eig_input(a, np), UPLO='U'),
                )
            ),
            lambda a: tuple(
                f(x)
                for f, x in zip(
                    (lambda w: w, lambda v: gauge_free(v, T)), TL.eigh(eig_input(a, T), UPLO='U')
                )
            ),
            spread((2, 3, 3)),
            rtol=1e-6,
        ),
        Op(
            'eigh/lower-triangle-only',
            lambda a: np.linalg.eigh(a)[0] + 0 * a[0, 0],
            lambda a: TL.eigh(a)[0],
            spread((3, 3)),
        ),
        Op(
            'eigvalsh',
            lambda a: np.linalg.eigvalsh(eig_input(a, np)),
            lambda a: TL.eigvalsh(eig_input(a, T)),
            spread((2, 3, 3)),
        ),
        Op(
            'eigvalsh/upper-triangle-only',
            lambda a: np.linalg.eigvalsh(a, UPLO='U'),
            lambda a: TL.eigvalsh(a, UPLO='U'),
            spread((3, 3)),
        ),
        Op('svdvals', np.linalg.svdvals, TL.svdvals, separated_singular((2, 3))),
        Op(
            'svd/values-only',
            lambda a: np.linalg.svd(a, compute_uv=False),
            lambda a: TL.svdvals(a),
            separated_singular((2, 3, 2)),
        ),
        Op(
            'svd/reduced-gauge-free',
            lambda a: (
                lambda u, s, vh: (
                    gauge_free(u, np),
                    s,
                    gauge_free(np.swapaxes(vh, -1, -2), np),
                    u @ vh,
                )
            )(*np.linalg.svd(a, full_matrices=False)),
            lambda a: (lambda u, s, vh: (gauge_free(u, T), s, gauge_free(vh.mT, T), u @ vh))(
                *TL.svd(a, full_matrices=False)
            ),
            separated_singular((3, 2)),
            rtol=1e-6,
        ),
        Op(
            'svd/wide-stacked',
            lambda a: (
                lambda u, s, vh: (gauge_free(u, np), s, gauge_free(np.swapaxes(vh, -1, -2), np))
            )(*np.linalg.svd(a, full_matrices=False)),
            lambda a: (lambda u, s, vh: (gauge_free(u, T), s, gauge_free(vh.mT, T)))(
                *TL.svd(a, full_matrices=False)
            ),
            separated_singular((2, 2, 3)),
            rtol=1e-6,
        ),
        Op(
            'svd/square-full',
            lambda a: (
                lambda u, s, vh: (gauge_free(u, np), s, gauge_free(np.swapaxes(vh, -1, -2), np))
            )(*np.linalg.svd(a)),
            lambda a: (lambda u, s, vh: (gauge_free(u, T), s, gauge_free(vh.mT, T)))(*TL.svd(a)),
            separated_singular((3, 3)),
            rtol=1e-6,
        ),
    ]
    + NORMS
)


# --- neural-network ops ---------------------------------------------------------------


def t_softmax_len(x, length, axis, log=False):
    axis = axis - x.dim() if axis >= 0 else axis
    steps = T.arange(x.shape[axis]).reshape((-1,) + (1,) * (-axis - 1))
    kept = steps < length.unsqueeze(axis)
    z = T.where(kept, x, -inf)
    out = T.log_softmax(z, axis) if log else T.softmax(z, axis)
    return T.where(kept, out, 0.0)  # MXNet: 0 past the length, and no gradient from there


def t_pick(x, index, axis=-1, keepdims=False, mode='clip'):
    n = x.shape[axis]
    index = index.clamp(0, n - 1) if mode == 'clip' else index % n
    out = T.gather(x, axis, index.unsqueeze(axis))
    return out if keepdims else out.squeeze(axis)


def t_layer_norm(x, g, b, axis=-1, eps=1e-5):
    mean = x.mean(axis, keepdim=True)
    var = ((x - mean) ** 2).mean(axis, keepdim=True)
    shape = [1] * x.dim()
    shape[axis] = -1
    return (x - mean) / T.sqrt(var + eps) * g.reshape(shape) + b.reshape(shape)


def nd_train(fn):
    def wrapped(*args):
        with autograd.train_mode():
            return fn(*args)

    return wrapped


def nd_predict(fn):
    """`fn` in prediction mode, even inside ``record()`` (which trains by default)."""

    def wrapped(*args):
        with autograd.predict_mode():
            return fn(*args)

    return wrapped


def nd_dropout(x):
    numpy.random.seed(11)
    with autograd.train_mode():
        return npx.dropout(x, p=0.3)


def t_dropout(x):
    keep = numpy.random.RandomState(11).random_sample(tuple(x.shape)) >= 0.3
    return x * T.tensor(keep / 0.7)


def positive(*shapes):
    return uniform(*shapes, lo=0.5, hi=1.5)


NN = [
    Op(
        f'activation/{name}',
        (lambda a: lambda x: npx.activation(x, act_type=a))(name),
        ref,
        away_from_zero((2, 3)),
        seeds=(0, 1),
    )
    for name, ref in [
        ('relu', T.relu),
        ('sigmoid', T.sigmoid),
        ('tanh', T.tanh),
        ('softrelu', F.softplus),
        ('softsign', F.softsign),
        ('log_sigmoid', F.logsigmoid),
        ('mish', F.mish),
    ]
] + [
    Op('gelu', npx.gelu, F.gelu, uniform((2, 3), lo=-3, hi=3)),
    Op(
        'gelu/tanh',
        lambda x: npx.gelu(x, approximation='tanh'),
        lambda x: F.gelu(x, approximate='tanh'),
        uniform((2, 3), lo=-3, hi=3),
    ),
    Op(
        'leaky_relu',
        lambda x: npx.leaky_relu(x, slope=0.1),
        lambda x: F.leaky_relu(x, 0.1),
        away_from_zero((2, 3)),
    ),
    Op(
        'leaky_relu/prelu',
        lambda x, g: npx.leaky_relu(x, g, act_type='prelu'),
        F.prelu,
        then(away_from_zero((2, 3, 2)), lambda rng: rng.uniform(0.1, 0.5, (3,))),
    ),
    Op(
        'leaky_relu/prelu-scalar',
        lambda x, g: npx.leaky_relu(x, g, act_type='prelu'),
        F.prelu,
        then(away_from_zero((4,)), lambda rng: rng.uniform(0.1, 0.5, (1,))),
    ),
    Op(
        'leaky_relu/elu',
        lambda x: npx.leaky_relu(x, act_type='elu', slope=0.7),
        lambda x: F.elu(x, 0.7),
        away_from_zero((2, 3)),
    ),
    Op(
        'leaky_relu/selu',
        lambda x: npx.leaky_relu(x, act_type='selu'),
        F.selu,
        away_from_zero((2, 3)),
    ),
    Op('leaky_relu/gelu', lambda x: npx.leaky_relu(x, act_type='gelu'), F.gelu, uniform((2, 3))),
    Op(
        'leaky_relu/rrelu-predict',
        nd_predict(lambda x: npx.leaky_relu(x, act_type='rrelu')),
        lambda x: F.rrelu(x, 0.125, 0.334, training=False),
        away_from_zero((2, 3)),
    ),
    Op('softmax', npx.softmax, lambda x: T.softmax(x, -1), uniform((2, 4))),
    Op(
        'softmax/axis0-temperature',
        lambda x: npx.softmax(x, axis=0, temperature=2.5),
        lambda x: T.softmax(x / 2.5, 0),
        uniform((3, 2, 2)),
    ),
    Op(
        'softmax/length',
        lambda x, n: npx.softmax(x, n, use_length=True),
        lambda x, n: t_softmax_len(x, n, -1),
        then(uniform((3, 5)), ints([1, 5, 3])),
    ),
    Op(
        'softmax/length-axis0',
        lambda x, n: npx.softmax(x, n, axis=0, use_length=True),
        lambda x, n: t_softmax_len(x, n, 0),
        then(uniform((4, 2)), ints([2, 4])),
    ),
    Op('log_softmax', npx.log_softmax, lambda x: T.log_softmax(x, -1), uniform((2, 4))),
    Op(
        'log_softmax/axis1',
        lambda x: npx.log_softmax(x, axis=1),
        lambda x: T.log_softmax(x, 1),
        uniform((2, 3, 2)),
    ),
    Op(
        'log_softmax/length',
        lambda x, n: npx.log_softmax(x, n, use_length=True),
        lambda x, n: t_softmax_len(x, n, -1, log=True),
        then(uniform((2, 4)), ints([4, 2])),
    ),
    Op(
        'softmax_cross_entropy',
        lambda x, y: npx.softmax_cross_entropy(x, y),
        F.cross_entropy,
        then(uniform((3, 4)), ints([0, 3, 1])),
    ),
    Op(
        'softmax_cross_entropy/sum',
        lambda x, y: npx.softmax_cross_entropy(x, y, reduction='sum'),
        lambda x, y: F.cross_entropy(x, y, reduction='sum'),
        then(uniform((2, 5)), ints([4, 0])),
    ),
    Op(
        'softmax_cross_entropy/none-axis1',
        lambda x, y: npx.softmax_cross_entropy(x, y, axis=1, reduction='none'),
        lambda x, y: F.cross_entropy(x, y, reduction='none'),
        then(uniform((2, 3, 2)), ints([[0, 2], [1, 1]])),
    ),
    Op('pick', lambda x, i: npx.pick(x, i), t_pick, then(uniform((3, 4)), ints([0, 3, 1]))),
    Op(
        'pick/axis0-keepdims',
        lambda x, i: npx.pick(x, i, axis=0, keepdims=True),
        lambda x, i: t_pick(x, i, 0, True),
        then(uniform((3, 2, 2)), ints([[2, 0], [1, 1]])),
    ),
    Op(
        'pick/wrap',
        lambda x, i: npx.pick(x, i, mode='wrap'),
        lambda x, i: t_pick(x, i, mode='wrap'),
        then(uniform((2, 3)), ints([-1, 4])),
    ),
    Op(
        'pick/clip',
        lambda x, i: npx.pick(x, i, mode='clip'),
        t_pick,
        then(uniform((2, 3)), ints([-1, 4])),
    ),
    Op(
        'topk/value',
        lambda x: npx.topk(x, k=2, ret_typ='value'),
        lambda x: T.topk(x, 2, -1).values,
        distinct((3, 4)),
    ),
    Op(
        'topk/ascend-axis0',
        lambda x: npx.topk(x, axis=0, k=2, ret_typ='value', is_ascend=True),
        lambda x: T.topk(x, 2, 0, largest=False).values,
        distinct((4, 3)),
    ),
    Op(
        'topk/both',
        lambda x: npx.topk(x, k=3, ret_typ='both', dtype='int64'),
        lambda x: list(T.topk(x, 3, -1)),
        distinct((2, 5)),
    ),
    Op(
        'layer_norm',
        npx.layer_norm,
        lambda x, g, b: F.layer_norm(x, (4,), g, b, 1e-5),
        uniform((3, 4), (4,), (4,)),
    ),
    Op(
        'layer_norm/axis0-eps',
        lambda x, g, b: npx.layer_norm(x, g, b, axis=0, eps=0.1),
        lambda x, g, b: t_layer_norm(x, g, b, 0, 0.1),
        uniform((3, 2, 2), (3,), (3,)),
    ),
    Op(
        'batch_norm/train',
        nd_train(lambda x, g, b, m, v: npx.batch_norm(x, g, b, m, v)),
        lambda x, g, b, m, v: F.batch_norm(x, m.clone(), v.clone(), g, b, True, 0.1, 1e-5),
        then(
            uniform((4, 3, 2), (3,), (3,)),
            lambda rng: rng.uniform(-1, 1, (3,)),
            lambda rng: rng.uniform(0.5, 2, (3,)),
        ),
        wrt=(0, 1, 2),
    ),
    Op(
        'batch_norm/train-axis-last',
        nd_train(lambda x, g, b, m, v: npx.batch_norm(x, g, b, m, v, axis=-1, eps=1e-3)),
        lambda x, g, b, m, v: F.batch_norm(
            x.reshape(-1, 2), m.clone(), v.clone(), g, b, True, 0.1, 1e-3
        ).reshape(x.shape),
        then(
            uniform((3, 2, 2), (2,), (2,)),
            lambda rng: rng.uniform(-1, 1, (2,)),
            lambda rng: rng.uniform(0.5, 2, (2,)),
        ),
        wrt=(0, 1, 2),
    ),
    Op(
        'batch_norm/predict',
        nd_predict(lambda x, g, b, m, v: npx.batch_norm(x, g, b, m, v)),
        lambda x, g, b, m, v: F.batch_norm(x, m, v, g, b, False, 0.1, 1e-5),
        then(
            uniform((4, 3), (3,), (3,)),
            lambda rng: rng.uniform(-1, 1, (3,)),
            lambda rng: rng.uniform(0.5, 2, (3,)),
        ),
        wrt=(0, 1, 2),
    ),
    Op(
        'batch_norm/fix-gamma',
        nd_train(lambda x, g, b, m, v: npx.batch_norm(x, g, b, m, v, fix_gamma=True)),
        lambda x, g, b, m, v: F.batch_norm(
            x, m.clone(), v.clone(), T.ones_like(b), b, True, 0.1, 1e-5
        ),
        then(
            uniform((4, 3), (3,), (3,)),
            lambda rng: rng.uniform(-1, 1, (3,)),
            lambda rng: rng.uniform(0.5, 2, (3,)),
        ),
        wrt=(0, 1, 2),
    ),
    Op(
        'dropout/predict',
        nd_predict(lambda x: npx.dropout(x, p=0.4)),
        lambda x: F.dropout(x, 0.4, training=False),
        uniform((2, 3)),
    ),
    Op('dropout/train-seeded-mask', nd_dropout, t_dropout, uniform((3, 4))),
    Op(
        'embedding',
        lambda i, w: npx.embedding(i, w, 4, 3),
        lambda i, w: F.embedding(i.long().clamp(0, 3), w),
        lambda rng: [numpy.array([[0.0, 3.0, 3.0], [5.0, -1.0, 2.0]]), rng.uniform(-1, 1, (4, 3))],
        wrt=(1,),
    ),
    Op(
        'embedding/int-indices',
        lambda i, w: npx.embedding(i, w),
        lambda i, w: F.embedding(i, w),
        then(lambda rng: [rng.integers(0, 5, (4,))], lambda rng: rng.uniform(-1, 1, (5, 2))),
        wrt=(1,),
    ),
    Op('batch_flatten', npx.batch_flatten, lambda x: x.reshape(x.shape[0], -1), uniform((2, 3, 2))),
    Op(
        'sequence_mask',
        lambda x, n: npx.sequence_mask(x, n, True, value=-1.0),
        lambda x, n: T.where((T.arange(3)[:, None] < n[None, :])[..., None], x, -1.0),
        then(uniform((3, 2, 2)), ints([1, 3])),
    ),
    Op(
        'sequence_mask/axis1',
        lambda x, n: npx.sequence_mask(x, n, True, axis=1),
        lambda x, n: T.where(T.arange(4)[None, :] < n[:, None], x, 0.0),
        then(uniform((2, 4)), ints([2, 4])),
    ),
]


def _times(step):
    """x·step(x): a piecewise-constant op must act as a constant (zero derivative)."""
    return lambda x: x * step(x)


PIECEWISE_CONSTANT = [
    Op(f'{name}/as-constant', _times(fn), _times(ref), uniform((2, 3), lo=-3, hi=3))
    for name, fn, ref in [
        ('floor', np.floor, T.floor),
        ('ceil', np.ceil, T.ceil),
        ('trunc', np.trunc, T.trunc),
        ('fix', np.fix, T.trunc),
        ('rint', np.rint, T.round),
        ('round', np.round, T.round),
        ('around', np.around, T.round),
        ('sign', np.sign, T.sign),
        ('floor_divide', lambda x: np.floor_divide(x, 0.7), lambda x: T.floor(x / 0.7)),
    ]
] + [
    Op(
        'argmax/as-index',
        lambda x: x[np.argmax(x)] * x,
        lambda x: x[T.argmax(x)] * x,
        distinct((5,)),
    ),
    Op(
        'greater/as-mask',
        lambda x, y: np.where(np.greater(x, y), x * y, x - y),
        lambda x, y: T.where(x > y, x * y, x - y),
        uniform((2, 3), (3,)),
    ),
]

# --- graphs: fan-out through views and identities, in-place updates under record(),
# NumPy functions called on ndgrad arrays, a loop --------------------------------------


def graph_views(x, xp):
    y = x.T
    return y @ x + x.T @ x + xp.reshape(x, (-1,)).sum() * x[0, 0]


def graph_fanout_nd(x):
    a, b = x[0], x[0]
    return a * b + np.broadcast_to(a, (3,) + a.shape).sum(0) + np.squeeze(np.expand_dims(a, 0))


def graph_fanout_th(x):
    a, b = x[0], x[0]
    return a * b + a.expand((3,) + a.shape).sum(0) + a.unsqueeze(0).squeeze()


def graph_identities_nd(x):
    c, p, a = np.copy(x), +x, x.astype('float64')
    return c * p + a * a * c + np.positive(c)


def graph_identities_th(x):
    c, p, a = x.clone(), +x, x.to(T.float64)
    return c * p + a * a * c + c


def graph_same_arguments(x, xp):
    return (
        xp.maximum(x, x * 0.5)
        + xp.matmul(x, x)
        + xp.multiply(x, x)
        + (x - x)
        + xp.hypot(x, x)
        + x / x
    )


def graph_inplace_nd(x):
    y = x * 1.0
    y += x
    y *= x
    y -= np.sin(x)
    y /= 2.0 + x * x
    return y


def graph_inplace_th(x):
    return (((x * 1.0 + x) * x) - T.sin(x)) / (2.0 + x * x)


def graph_setitem_nd(x):
    y = x * 1.0
    y[0] += x[1] * 2
    y[:, 1] = y[:, 0] ** 2  # (writes a column that the power's saved input does not overlap)
    y = y.copy()  # in place, the masked write would overwrite that saved column
    y[y > 0.5] *= 3.0
    return y


def graph_setitem_th(x):
    y = x.clone()
    y[0] = y[0] + x[1] * 2
    v = y[:, 0] ** 2
    y = y.clone()
    y[:, 1] = v
    m = y > 0.5
    v = y[m] * 3.0
    y = y.clone()
    y[m] = v
    return y


def graph_split_nd(x):
    s = np.split(x, 2, axis=1)
    return s[0] * s[1] + np.stack(s).sum(0) + np.hstack(s)[:, ::-1][:, :2]


def graph_split_th(x):
    s = T.tensor_split(x, 2, 1)
    return s[0] * s[1] + T.stack(s).sum(0) + T.hstack(s).flip(1)[:, :2]


def graph_reshapes_nd(x):
    u = x.reshape(2, 6)
    v = u.T.reshape(3, 4)
    return (v * x.reshape(3, 4)).sum(1, keepdims=True) * v + np.transpose(u)[::2].sum()


def graph_reshapes_th(x):
    u = x.reshape(2, 6)
    v = u.T.reshape(3, 4)
    return (v * x.reshape(3, 4)).sum(1, keepdim=True) * v + u.T[::2].sum()


def graph_entropy_nd(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    return np.sum(p * np.log(p)) + np.einsum('ij,ij->i', p, x).sum() + np.trace(p @ p.T)


def graph_entropy_th(x):
    e = T.exp(x - x.amax(-1, keepdim=True))
    p = e / e.sum(-1, keepdim=True)
    return T.sum(p * T.log(p)) + T.einsum('ij,ij->i', p, x).sum() + T.trace(p @ p.T)


def graph_numpy_calls_nd(x):
    """NumPy's own functions on ndgrad arrays dispatch to ndgrad's."""
    return (
        numpy.sum(numpy.sin(x) * numpy.exp(x), axis=0)
        + numpy.linalg.norm(x, axis=0)
        + numpy.cumsum(x, axis=0)[-1]
    )


def graph_numpy_calls_th(x):
    return T.sum(T.sin(x) * T.exp(x), 0) + TL.vector_norm(x, dim=0) + T.cumsum(x, 0)[-1]


def graph_loop(x, xp):
    r = x
    for _ in range(5):
        r = xp.tanh(r @ x.T @ x) * 0.5 + r
    return r


def both(fn):
    """(ndgrad, torch) versions of a function written once against a namespace."""
    return (lambda *a: fn(*a, np)), (lambda *a: fn(*a, T))


GRAPHS = [
    Op('graph/views', *both(graph_views), uniform((3, 3))),
    Op('graph/fan-out-getitem', graph_fanout_nd, graph_fanout_th, uniform((2, 4))),
    Op('graph/identities', graph_identities_nd, graph_identities_th, uniform((2, 3))),
    Op('graph/same-argument-twice', *both(graph_same_arguments), away_from_zero((3, 3))),
    Op('graph/in-place-operators', graph_inplace_nd, graph_inplace_th, uniform((2, 3))),
    Op('graph/setitem-chain', graph_setitem_nd, graph_setitem_th, uniform((3, 3))),
    Op('graph/split-stack', graph_split_nd, graph_split_th, uniform((3, 4))),
    Op('graph/reshape-views', graph_reshapes_nd, graph_reshapes_th, uniform((12,))),
    Op('graph/entropy', graph_entropy_nd, graph_entropy_th, uniform((3, 4))),
    Op('graph/numpy-functions', graph_numpy_calls_nd, graph_numpy_calls_th, uniform((3, 4))),
    Op('graph/loop', *both(graph_loop), uniform((3, 3), lo=-0.5, hi=0.5)),
]

# --- more argument variants: mixed advanced indices, empty and size-1 axes, tuple axes,
# quantile methods, float indices as MXNet passes them ------------------------------------


def _norm_params(c):
    return then(
        uniform((4, c, 2), (c,), (c,)),
        lambda rng: rng.uniform(-1, 1, (c,)),
        lambda rng: rng.uniform(0.5, 2, (c,)),
    )


VARIANTS = (
    [
        Op(
            'getitem/advanced-separated',
            lambda x, i, j: x[i, :, j],
            lambda x, i, j: x[i, :, j],
            then(uniform((3, 2, 4)), ints([0, -1]), ints([1, -3])),
        ),
        Op(
            'getitem/advanced-after-slice',
            lambda x, i: x[:, i, 1:],
            lambda x, i: x[:, i, 1:],
            then(uniform((3, 4, 3)), ints([[0, 2], [3, -1]])),
        ),
        Op(
            'getitem/bool-and-int',
            lambda x, m, i: x[m, i],
            lambda x, m, i: x[m, i],
            then(uniform((3, 4)), ints([True, False, True]), ints([0, 3])),
        ),
        Op('getitem/negative-ints', lambda x: x[-1, -2], lambda x: x[-1, -2], uniform((3, 4))),
        Op(
            'getitem/ellipsis-advanced',
            lambda x, i: x[..., i],
            lambda x, i: x[..., i],
            then(uniform((2, 3, 4)), ints([[0, 1], [3, 3]])),
        ),
        Op(
            'getitem/newaxis-advanced',
            lambda x, i: x[None, i, None],
            lambda x, i: x[None, i, None],
            then(uniform((4, 2)), ints([1, 1, 0])),
        ),
        Op(
            'setitem/advanced-separated',
            lambda x, v, i, j: nd_setitem(x, v, (i, slice(None), j)),
            lambda x, v, i, j: t_setitem(x, v, (i, slice(None), j)),
            then(uniform((3, 2, 4), (2, 2)), ints([0, 2]), ints([1, -1])),
        ),
        Op(
            'setitem/0d-value',
            lambda x, v: nd_setitem(x, v, (slice(None), 0)),
            lambda x, v: t_setitem(x, v, (slice(None), 0)),
            uniform((3, 2), ()),
        ),
        Op(
            'setitem/step',
            lambda x, v: nd_setitem(x, v, slice(None, None, 2)),
            lambda x, v: t_setitem(x, v, slice(None, None, 2)),
            uniform((5, 2), (3, 1)),
        ),
        Op(
            'take/negative',
            lambda a, i: np.take(a, i, axis=-1),
            lambda a, i: a[..., i],
            then(uniform((2, 4)), ints([-1, -4, 2])),
        ),
        Op(
            'einsum/ellipsis-both',
            lambda a, b: np.einsum('...i,...i->...', a, b),
            lambda a, b: T.einsum('...i,...i->...', a, b),
            uniform((2, 1, 3), (4, 3)),
        ),
        Op(
            'einsum/trace-times-matrix',
            lambda a, b: np.einsum('ii,jk->jk', a, b),
            lambda a, b: T.einsum('ii,jk->jk', a, b),
            uniform((3, 3), (2, 2)),
        ),
        Op(
            'einsum/cycle',
            lambda a, b, c, d: np.einsum('ab,bc,cd,da->', a, b, c, d),
            lambda a, b, c, d: T.einsum('ab,bc,cd,da->', a, b, c, d),
            uniform((2, 3), (3, 2), (2, 2), (2, 2)),
        ),
        Op(
            'tensordot/1',
            lambda a, b: np.tensordot(a, b, 1),
            t_tensordot(1),
            uniform((2, 3), (3, 4)),
        ),
        Op(
            'tensordot/negative-pairs',
            lambda a, b: np.tensordot(a, b, ([-1, 0], [0, -1])),
            t_tensordot(([-1, 0], [0, -1])),
            uniform((2, 3, 4), (4, 3, 2)),
        ),
        Op(
            'solve/stacked-column',
            np.linalg.solve,
            TL.solve,
            well_conditioned((2, 3, 3), (2, 3, 1)),
        ),
        Op(
            'norm/axes-of-a-matrix',
            lambda x: np.linalg.norm(x, axis=(0, 1)),
            lambda x: TL.matrix_norm(x, 'fro', (0, 1)),
            uniform((3, 2)),
        ),
        Op(
            'norm/vector-keepdims',
            lambda x: np.linalg.norm(x, 2, keepdims=True),
            lambda x: TL.vector_norm(x, 2, keepdim=True),
            uniform((4,)),
        ),
        Op(
            'pick/float-index',
            lambda x, i: npx.pick(x, i),
            lambda x, i: t_pick(x, i.long()),
            lambda rng: [rng.uniform(-1, 1, (3, 4)), numpy.array([0.0, 3.0, 1.0])],
            wrt=(0,),
        ),
        Op(
            'pick/negative-axis-keepdims',
            lambda x, i: npx.pick(x, i, axis=-2, keepdims=True),
            lambda x, i: t_pick(x, i, -2, True),
            then(uniform((2, 3, 2)), ints([[0, 2], [1, 1]])),
        ),
        Op(
            'softmax/temperature-length',
            lambda x, n: npx.softmax(x, n, temperature=0.5, use_length=True),
            lambda x, n: t_softmax_len(x / 0.5, n, -1),
            then(uniform((2, 4)), ints([3, 1])),
        ),
        Op(
            'softmax/dtype',
            lambda x: npx.softmax(x, dtype='float64'),
            lambda x: T.softmax(x, -1),
            uniform((2, 3)),
        ),
        Op(
            'log_softmax/3d-axis1-length',
            lambda x, n: npx.log_softmax(x, n, axis=1, use_length=True),
            lambda x, n: t_softmax_len(x, n, 1, log=True),
            then(uniform((2, 4, 3)), ints([[4, 2, 1], [3, 3, 4]])),
        ),
        Op(
            'batch_norm/global-stats-in-training',
            nd_train(lambda x, g, b, m, v: npx.batch_norm(x, g, b, m, v, use_global_stats=True)),
            lambda x, g, b, m, v: F.batch_norm(x, m, v, g, b, False, 0.1, 1e-5),
            _norm_params(3),
            wrt=(0, 1, 2),
        ),
        Op(
            'layer_norm/3d-axis1',
            lambda x, g, b: npx.layer_norm(x, g, b, axis=1),
            lambda x, g, b: t_layer_norm(x, g, b, 1),
            uniform((2, 3, 2), (3,), (3,)),
        ),
        Op(
            'leaky_relu/prelu-4d',
            lambda x, g: npx.leaky_relu(x, g, act_type='prelu'),
            F.prelu,
            then(away_from_zero((2, 3, 2, 2)), lambda rng: rng.uniform(0.1, 0.5, (3,))),
        ),
        Op(
            'clip/upper-only',
            lambda x: np.clip(x, None, 0.3),
            lambda x: T.clamp(x, max=0.3),
            uniform((5,)),
        ),
        Op(
            'clip/min-max-keywords',
            lambda x: np.clip(x, min=-0.3, max=0.3),
            lambda x: T.clamp(x, -0.3, 0.3),
            uniform((5,)),
        ),
        Op(
            'where/broadcast-condition',
            lambda c, x, y: np.where(c, x, y),
            lambda c, x, y: T.where(c, x, y),
            then(
                lambda rng: [],
                mask((3, 1)),
                lambda rng: rng.uniform(-1, 1, (1, 4)),
                lambda rng: rng.uniform(-1, 1, ()),
            ),
        ),
        Op(
            'diff/prepend-scalar',
            lambda x: np.diff(x, prepend=0.5),
            lambda x: T.diff(x, prepend=T.full(x.shape[:-1] + (1,), 0.5, dtype=x.dtype)),
            uniform((2, 3)),
        ),
        Op(
            'cumsum/negative-axis',
            lambda x: np.cumsum(x, axis=-2),
            lambda x: T.cumsum(x, -2),
            uniform((3, 2, 2)),
        ),
        Op(
            'mean/empty-axis-tuple',
            lambda x: np.mean(x, axis=()),
            lambda x: x * 1.0,
            uniform((2, 3)),
        ),
        Op(
            'sum/empty-axis-tuple', lambda x: np.sum(x, axis=()), lambda x: x * 1.0, uniform((2, 3))
        ),
        Op(
            'var/axis-tuple-ddof',
            lambda x: np.var(x, axis=(0, 2), ddof=1),
            lambda x: T.var(x, (0, 2), correction=1),
            uniform((2, 3, 2)),
        ),
        Op(
            'std/axis-tuple-keepdims',
            lambda x: np.std(x, axis=(1, 2), keepdims=True),
            lambda x: T.std(x, (1, 2), correction=0, keepdim=True),
            uniform((2, 3, 2)),
        ),
        Op(
            'median/axis-tuple',
            lambda x: np.median(x, axis=(0, 2)),
            lambda x: T.quantile(x.permute(1, 0, 2).reshape(3, -1), 0.5, dim=1),
            distinct((2, 3, 2)),
        ),
    ]
    + [
        Op(
            f'quantile/method-{method}',
            (lambda m: lambda x: np.quantile(x, 0.3, method=m))(method),
            (lambda m: lambda x: T.quantile(x, 0.3, interpolation=m))(method),
            distinct((7,)),
        )
        for method in ('lower', 'higher', 'midpoint', 'nearest')
    ]
    + [
        Op(
            'average/axis-tuple',
            lambda a, w: np.average(a, axis=(0, 1), weights=w),
            lambda a, w: (a * w).sum((0, 1)) / w.sum((0, 1)),
            uniform((2, 3, 2), (2, 3, 2), lo=[-1, 0.5], hi=[1, 2]),
        ),
        Op(
            'logsumexp/axis-tuple-keepdims',
            lambda x: np.logsumexp(x, axis=(0, 2), keepdims=True),
            lambda x: T.logsumexp(x, (0, 2), keepdim=True),
            uniform((2, 3, 2)),
        ),
        Op(
            'prod/axis-tuple',
            lambda x: np.prod(x, axis=(0, 2)),
            lambda x: x.prod(2).prod(0),
            uniform((2, 3, 2)),
        ),
        Op(
            'repeat/counts-flat',
            lambda x: np.repeat(x, [1, 2, 0, 3]),
            lambda x: T.repeat_interleave(x.reshape(-1), T.tensor([1, 2, 0, 3])),
            uniform((2, 2)),
        ),
        Op(
            'tile/fewer-reps',
            lambda x: np.tile(x, (2,)),
            lambda x: T.tile(x, (2,)),
            uniform((2, 3)),
        ),
        Op(
            'roll/shift-past-length',
            lambda x: np.roll(x, 7, axis=-1),
            lambda x: T.roll(x, 7, -1),
            uniform((2, 3)),
        ),
        Op(
            'squeeze/axis-tuple',
            lambda x: np.squeeze(x, axis=(0, 2)),
            lambda x: x.squeeze((0, 2)),
            uniform((1, 3, 1, 2)),
        ),
        Op(
            'moveaxis/negative',
            lambda x: np.moveaxis(x, -1, 0),
            lambda x: T.movedim(x, -1, 0),
            uniform((2, 3, 4)),
        ),
        Op(
            'broadcast_to/0d',
            lambda x: np.broadcast_to(x, (2, 3)),
            lambda x: x.expand(2, 3),
            uniform(()),
        ),
        Op(
            'stack/0d-negative-axis',
            lambda x, y: np.stack([x, y], axis=-1),
            lambda x, y: T.stack([x, y], -1),
            uniform((), ()),
        ),
        Op(
            'concatenate/empty-part',
            lambda x, y: np.concatenate([x, y], axis=0),
            lambda x, y: T.cat([x, y], 0),
            uniform((0, 3), (2, 3)),
        ),
        Op('matmul/empty-contraction', np.matmul, T.matmul, uniform((2, 0), (0, 3))),
        Op('sum/empty', lambda x: np.sum(x, axis=0), lambda x: T.sum(x, 0), uniform((0, 3))),
        Op('prod/empty', lambda x: np.prod(x, axis=0), lambda x: T.prod(x, 0), uniform((0, 3))),
        Op('max/size-1-axis', lambda x: np.max(x, axis=1), lambda x: T.amax(x, 1), uniform((3, 1))),
        Op(
            'cumprod/size-1-axis',
            lambda x: np.cumprod(x, axis=1),
            lambda x: T.cumprod(x, 1),
            uniform((3, 1)),
        ),
        Op('inv/batch-of-one', np.linalg.inv, TL.inv, well_conditioned((1, 2, 2))),
        Op('det/empty-batch', np.linalg.det, TL.det, uniform((0, 2, 2))),
        Op('kron/3d', np.kron, T.kron, uniform((2, 1, 2), (1, 3, 2))),
        Op(
            'outer/0d',
            np.outer,
            lambda a, b: T.outer(a.reshape(-1), b.reshape(-1)),
            uniform((), (3,)),
        ),
        Op('inner/3d-2d', np.inner, T.inner, uniform((2, 2, 3), (4, 3))),
        Op('vdot/vectors', np.vdot, T.vdot, uniform((3,), (3,))),
        Op(
            'trace/non-square-offset',
            lambda a: np.trace(a, -1),
            lambda a: T.diagonal(a, -1).sum(),
            uniform((4, 3)),
        ),
        Op('diag/far-offset', lambda v: np.diag(v, -3), lambda v: T.diag(v, -3), uniform((2,))),
        Op(
            'diag/offset-past-matrix',
            lambda a: np.diag(a, 3),
            lambda a: T.diag(a, 3),
            uniform((2, 4)),
        ),
        Op(
            'tril/offset-past-matrix',
            lambda a: np.tril(a, -5),
            lambda a: T.tril(a, -5),
            uniform((3, 3)),
        ),
        Op(
            'matrix_power/stacked-inverse',
            lambda a: np.linalg.matrix_power(a, -1),
            lambda a: TL.matrix_power(a, -1),
            well_conditioned((2, 3, 3)),
        ),
        Op(
            'eigh/2x2',
            lambda a: np.linalg.eigh(eig_input(a, np))[0],
            lambda a: TL.eigh(eig_input(a, T))[0],
            spread((2, 2)),
        ),
        Op(
            'qr/one-column',
            lambda a: tuple(np.linalg.qr(a)),
            lambda a: tuple(TL.qr(a)),
            uniform((3, 1)),
        ),
        Op(
            'svd/one-row-values',
            lambda a: np.linalg.svd(a, compute_uv=False),
            TL.svdvals,
            uniform((1, 3)),
        ),
        Op(
            'lstsq/square',
            lambda a, b: np.linalg.lstsq(a, b)[0],
            lambda a, b: TL.solve(a, b),
            well_conditioned((3, 3), (3,)),
        ),
    ]
)

# --- np.random: draws are NumPy's (same seed, same numbers) and constants; choice and
# permutation of an array are gathers -----------------------------------------------------


def seeded(nd_fn, draw):
    """(ndgrad, torch) pair: `nd_fn` after seeding NumPy's global generator; torch gets
    the draw `draw()` makes from the same seed."""

    def on_nd(*args):
        numpy.random.seed(5)
        return nd_fn(*args)

    def on_th(*args):
        numpy.random.seed(5)
        return draw(*args)

    return on_nd, on_th


def nd_shuffled(x):
    y = x * 1.0
    np.random.shuffle(y)
    return y * x


RANDOM = [
    Op(
        'random.permutation',
        *seeded(
            lambda x: np.random.permutation(x) * x,
            lambda x: x[T.from_numpy(numpy.random.permutation(x.shape[0]))] * x,
        ),
        uniform((5, 2)),
    ),
    Op(
        'random.choice',
        *seeded(
            lambda x: np.random.choice(x, size=(3, 4)),
            lambda x: x[T.from_numpy(numpy.random.choice(x.shape[0], (3, 4)))],
        ),
        uniform((4,)),
    ),
    Op(
        'random.choice/p',
        *seeded(
            lambda x: np.random.choice(x, size=6, p=[0.1, 0.6, 0.3]),
            lambda x: x[T.from_numpy(numpy.random.choice(3, 6, True, [0.1, 0.6, 0.3]))],
        ),
        uniform((3,)),
    ),
    Op(
        'random.shuffle',
        *seeded(nd_shuffled, lambda x: x[T.from_numpy(numpy.random.permutation(x.shape[0]))] * x),
        uniform((4, 3)),
    ),
    Op(
        'random.normal/reparameterized',
        *seeded(
            lambda mu, sigma: mu + sigma * np.random.normal(size=(2, 3), dtype='float64'),
            lambda mu, sigma: mu + sigma * T.from_numpy(numpy.random.normal(size=(2, 3))),
        ),
        uniform((3,), (2, 1), lo=[-1, 0.5], hi=[1, 2]),
    ),
]

ALL = (
    unary_rows()
    + MORE_ELEMENTWISE
    + binary_rows()
    + OPERATORS
    + reduction_rows()
    + REDUCTIONS_MORE
    + PADS
    + SHAPES
    + INDEXING
    + LINALG
    + NN
    + PIECEWISE_CONSTANT
    + ACCURACY
    + GRAPHS
    + VARIANTS
    + RANDOM
    + SIGNAL
    + CONV
)
CASES = [(op, seed) for op in ALL for seed in op.seeds]


# Differentiable public functions the table leaves out, with the reason.
NOT_COMPARED = {
    ('np', name): 'complex inputs: compared with PyTorch in tests/ops/test_complex.py'
    for name in ('angle', 'conj', 'conjugate', 'imag', 'real')
} | {
    ('linalg', name): 'complex results: compared with torch.linalg.eig/eigvals in '
    'tests/ops/test_decompositions.py'
    for name in ('eig', 'eigvals')
}


def covered_names():
    """(namespace, name) of the public functions the rows exercise: a row named
    'name/variant' covers `name` ('npx.name' for npx's own where np has the name)."""
    names = set()
    for op in ALL:
        prefix = op.name.split('/')[0]
        if prefix.startswith('npx.'):
            names.add(('npx', prefix[4:]))
            continue
        for namespace in ('np', 'linalg', 'npx'):
            if prefix in exports(namespace):
                names.add((namespace, prefix))
                break
    return names


def test_every_differentiable_export_is_compared():
    covered = covered_names()
    missing = []
    for namespace in ('np', 'linalg', 'npx'):
        for name, fn in sorted(exports(namespace).items()):
            if (
                getattr(fn, 'differentiable', True)
                and (namespace, name) not in covered
                and (namespace, name) not in NOT_COMPARED
            ):
                missing.append(f'{namespace}.{name}')
    assert not missing, (
        f'differentiable functions with no torch cross-check row: '
        f'{missing}; add a row (or a reason to NOT_COMPARED)'
    )


@pytest.mark.parametrize('op,seed', CASES, ids=[f'{op.name}-{seed}' for op, seed in CASES])
def test_op_matches_torch(op, seed):
    check(op, seed)


# --- unseen shapes --------------------------------------------------------------------

# CROSSCHECK_EXAMPLES=500 for a longer hunt
FAST = settings(
    max_examples=int(os.environ.get('CROSSCHECK_EXAMPLES', 25)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(
    st.sampled_from(BINARY),
    hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    st.integers(0, 2**16),
)
def test_binary_broadcasting_matches_torch(row, shapes, seed):
    name, fn, ref, make = row
    check(Op(f'{name}/{shapes.input_shapes}', fn, ref, make(*shapes.input_shapes)), seed)


REDUCERS = [
    ('sum', np.sum, t_sum, uniform),
    ('mean', np.mean, t_mean, uniform),
    ('max', np.max, t_amax, distinct),
    ('min', np.min, t_amin, distinct),
    ('prod', np.prod, t_prod, lambda s: uniform(s, lo=0.5, hi=1.5)),
    ('logsumexp', np.logsumexp, t_logsumexp, uniform),
    ('var', np.var, lambda x, axis=None, keepdims=False: t_var(x, axis, 0, keepdims), uniform),
    (
        'norm',
        lambda x, axis=None, keepdims=False: np.linalg.vector_norm(x, axis=axis, keepdims=keepdims),
        lambda x, axis=None, keepdims=False: TL.vector_norm(x, 2, axis, keepdims),
        away_from_zero,
    ),
]


@FAST
@given(
    st.sampled_from(REDUCERS),
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
    st.data(),
    st.booleans(),
    st.integers(0, 2**16),
)
def test_reductions_on_any_axes_match_torch(row, shape, data, keepdims, seed):
    name, fn, ref, make = row
    axes = st.none()
    if shape:
        axes = (
            axes
            | hnp.valid_tuple_axes(len(shape), min_size=1)
            | st.integers(-len(shape), len(shape) - 1)
        )
    axis = data.draw(axes)
    if name == 'norm' and isinstance(axis, tuple):
        axis = tuple(a % len(shape) for a in axis)
    check(
        Op(
            f'{name}/{shape}/axis={axis}/keepdims={keepdims}',
            lambda x: fn(x, axis=axis, keepdims=keepdims),
            lambda x: ref(x, axis=axis, keepdims=keepdims),
            make(shape),
        ),
        seed,
    )


@FAST
@given(
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4).flatmap(
        lambda shape: st.tuples(st.just(shape), hnp.basic_indices(shape, allow_newaxis=True))
    ),
    st.integers(0, 2**16),
)
def test_basic_indexing_matches_torch_gather(shape_index, seed):
    """Any basic index (slices with any step, ints, None, Ellipsis): torch gathers the
    same entries by their flat positions."""
    shape, index = shape_index
    positions = numpy.arange(int(numpy.prod(shape, dtype=int))).reshape(shape)[index]
    positions = numpy.array(positions)

    def ref(x):
        return x.reshape(-1)[T.from_numpy(positions.reshape(-1))].reshape(positions.shape)

    check(Op(f'getitem/{shape}/{index!r}', lambda x: x[index], ref, uniform(shape)), seed)

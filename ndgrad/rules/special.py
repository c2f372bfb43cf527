"""Special functions in NumPy alone: erf, erfinv, gamma, gammaln, digamma, polygamma.

Each is a primitive whose derivative is written with another primitive, so every
order of derivative exists: erf' = 2/√π·exp(-x²), erfinv' = √π/2·exp(erfinv²),
gammaln' = digamma, gamma' = gamma·digamma, digamma' = polygamma(1, ·) and
polygamma(n, ·)' = polygamma(n + 1, ·).

>>> from ndgrad import np, npx
>>> npx.gammaln(np.array([1., 2., 3., 4.]))  # log(0!), log(1!), log(2!), log(3!)
array([0.       , 0.       , 0.6931472, 1.7917595])

Values are computed in float64 (float16/float32 inputs give results of their own
dtype) to about 1e-14 relative, except next to the zeros of gammaln and digamma
on the negative axis, where the accuracy is absolute. Poles and points outside
the domain give inf or nan with NumPy's floating-point warnings (controlled by
``numpy.errstate``), as SciPy's functions of the same names return them.
"""

import bisect
import math
import sys
import warnings
from fractions import Fraction

import numpy

from .._primitive import op

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2
_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# --- helpers ----------------------------------------------------------------------------


def _as_float64(x, name):
    """`x` as float64, and the dtype of the result (the input's float dtype, or float64)."""
    x = numpy.asarray(x)
    kind = x.dtype.kind
    if kind == 'c':
        raise TypeError(f'{name} is defined for real numbers only, got dtype {x.dtype}')
    if kind not in 'fiub':
        raise TypeError(f'{name} needs a numeric array, got dtype {x.dtype}')
    dtype = x.dtype if kind == 'f' else numpy.dtype(numpy.float64)
    return x.astype(numpy.float64, copy=False), dtype


def _done(out, dtype):
    return out.astype(dtype, copy=False)


def _signal(kind, name, count):
    """Report a pole ('divide') or a domain error ('invalid') as NumPy's ufuncs do,
    following the caller's ``numpy.errstate``."""
    if not count:
        return
    text = {'divide': 'divide by zero', 'invalid': 'invalid value', 'over': 'overflow'}[kind]
    mode = numpy.geterr()[kind]
    if mode == 'ignore':
        return
    if mode == 'raise':
        raise FloatingPointError(f'{text} encountered in {name}')
    frame, level = sys._getframe(), 1  # point the warning at the caller's line
    while frame is not None and frame.f_globals.get('__name__', '').startswith('ndgrad'):
        frame, level = frame.f_back, level + 1
    warnings.warn(f'{text} encountered in {name}', RuntimeWarning, stacklevel=level)


def _bernoulli_even(count):
    """B_2, B_4, ..., B_2count as floats (computed exactly, then rounded)."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(math.comb(m + 1, j) * b[j] for j in range(m)) / (m + 1))
    return [float(b[2 * k]) for k in range(1, count + 1)]


_B2K = _bernoulli_even(16)


def _sinpi_cospi(x):
    """sin(πx) and cos(πx), with the argument reduced exactly (no loss for large x)."""
    n = numpy.round(x)
    r = x - n  # exact, in [-1/2, 1/2]
    odd = numpy.mod(n, 2) != 0
    s, c = numpy.sin(numpy.pi * r), numpy.sin(numpy.pi * (0.5 - numpy.abs(r)))  # c = 0 at ±1/2
    return numpy.where(odd, -s, s), numpy.where(odd, -c, c)


def _horner(coefficients, z):
    """Σ coefficients[k]·z**k."""
    p = numpy.full_like(z, coefficients[-1])
    for c in coefficients[-2::-1]:
        p *= z
        p += c
    return p


# --- erf and erfinv ---------------------------------------------------------------------

# erf(x) = 2/√π · x·exp(-x²) · Σ (2x²)^n / (1·3·…·(2n+1)): positive terms, no cancellation.
_ERF_SERIES = [1.0]
for _n in range(1, 60):
    _ERF_SERIES.append(_ERF_SERIES[-1] * 2 / (2 * _n + 1))
# the degree that reaches 1e-17 for each bound on x² (the tail after it is smaller still)
_ERF_DEGREE_LIMITS = [
    min(((1e-17 / c) ** (1 / n) if n else math.inf), n / 2) for n, c in enumerate(_ERF_SERIES)
]
_ERF_SPLIT = 2.5  # the series below, erfc's continued fraction above
# continued-fraction depths for erfc at |x| >= bound (measured: 5e-16 relative, plus margin)
_ERFC_BOUNDS = [2.5, 3.0, 3.5, 4.0, 5.0, 6.0]
_ERFC_DEPTHS = [44, 33, 28, 23, 19, 16]


def _erf_small(x):
    """erf for |x| < 2.5."""
    z = x * x
    degree = bisect.bisect_left(_ERF_DEGREE_LIMITS, float(z.max(initial=0.0))) + 1
    return _TWO_OVER_SQRT_PI * x * numpy.exp(-z) * _horner(_ERF_SERIES[: degree + 1], z)


def _erfc_large(a):
    """erfc for a >= 2.5, by its continued fraction (Laplace)."""
    depth = _ERFC_DEPTHS[max(bisect.bisect_right(_ERFC_BOUNDS, float(a.min())) - 1, 0)]
    f = a.copy()
    for k in range(depth, 0, -1):
        numpy.divide(k / 2, f, out=f)
        f += a
    return numpy.exp(-a * a) / (math.sqrt(math.pi) * f)


def _erf64(x):
    a = numpy.abs(x)
    small = a < _ERF_SPLIT
    if small.all():
        return _erf_small(x)
    out = numpy.sign(x)  # ±1 beyond 6 (erfc < 2e-17), nan stays nan
    if small.any():
        out[small] = _erf_small(x[small])
    mid = (a >= _ERF_SPLIT) & (a < 6)
    if mid.any():
        out[mid] = numpy.sign(x[mid]) * (1 - _erfc_large(a[mid]))
    return out


def _erf(x):
    """The error function 2/√π ∫₀ˣ e^(-t²) dt.

    >>> npx.erf(np.array([0., 0.5]))
    array([0.       , 0.5204999])
    """
    x, dtype = _as_float64(x, 'erf')
    with numpy.errstate(all='ignore'):
        return _done(_erf64(numpy.atleast_1d(x)).reshape(x.shape), dtype)


def _erfinv(y):
    """The inverse of erf on (-1, 1); ±inf at ±1, nan outside.

    >>> npx.erfinv(np.array([0., 0.5]))
    array([0.        , 0.47693628])
    """
    y, dtype = _as_float64(y, 'erfinv')
    shape = y.shape
    y = numpy.atleast_1d(y)
    with numpy.errstate(all='ignore'):
        a = numpy.abs(y)
        inside = a < 1
        out = numpy.where(a == 1, numpy.inf, numpy.nan)
        if inside.any():
            out[inside] = _erfinv_inside(a[inside])
        out = numpy.copysign(out, y)
    _signal('divide', 'erfinv', numpy.count_nonzero(a == 1))
    _signal('invalid', 'erfinv', numpy.count_nonzero(a > 1))
    return _done(out.reshape(shape), dtype)


def _erfinv_inside(a):
    """erfinv for 0 <= a < 1: Winitzki's closed form (about 1e-3), then Halley steps.

    Beyond 2.5 the residual is formed from erfc and the exact 1 - a, so that the
    result stays accurate up to a = 1 - 2**-53.
    """
    log1ma2 = numpy.log((1 - a) * (1 + a))
    t = 2 / (math.pi * 0.147) + log1ma2 / 2
    x = numpy.sqrt(numpy.sqrt(t * t - log1ma2 / 0.147) - t)
    for _ in range(3):
        far = x >= _ERF_SPLIT
        residual = numpy.empty_like(x)
        near = ~far
        residual[near] = _erf_small(x[near]) - a[near]
        if far.any():
            residual[far] = (1 - a[far]) - _erfc_large(x[far])
        slope = _TWO_OVER_SQRT_PI * numpy.exp(-x * x)
        x = x - residual / (slope + x * residual)
    return x


op(
    'erf',
    _erf,
    lambda xp, g, ans, x: g * (_TWO_OVER_SQRT_PI * xp.exp(-(x * x))),
    jvp='elementwise',
    export='npx',
)
op(
    'erfinv',
    _erfinv,
    lambda xp, g, ans, y: g * (_HALF_SQRT_PI * xp.exp(ans * ans)),
    jvp='elementwise',
    save='output',
    export='npx',
)


# --- the gamma family -------------------------------------------------------------------

_SHIFT = 10.0  # recurrences lift x to at least this before the asymptotic series


def _stirling(y):
    """log Γ(y) for y >= 10."""
    inv, inv2 = 1 / y, 1 / (y * y)
    series = _horner([b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_B2K[:9])], inv2)
    return (y - 0.5) * numpy.log(y) - y + _HALF_LOG_2PI + inv * series


def _lift(x, bound):
    """(mask of x < bound, the whole number of steps that takes all of those to >= bound).

    The recurrences below then shift every such entry by the same number of steps:
    whole-array operations, no per-step masks.
    """
    return x < bound, math.ceil(bound)


def _zeta_values(count):
    """ζ(2), …, ζ(count + 1) (the Hurwitz zeta at 1)."""
    return [float(_hurwitz(k, numpy.array([1.0]))[0]) for k in range(2, count + 2)]


_LGAMMA1 = None  # Taylor coefficients of log Γ(1 + z), made on first use


def _lgamma_near_one(z):
    """log Γ(1 + z) for |z| <= 0.3: -γz + Σ_{k>=2} (-1)^k ζ(k)/k · z^k."""
    global _LGAMMA1
    if _LGAMMA1 is None:
        zetas = _zeta_values(29)
        _LGAMMA1 = [0.0, -_EULER_GAMMA] + [(-1) ** k * zetas[k - 2] / k for k in range(2, 31)]
    return _horner(_LGAMMA1, z)


def _lgamma_positive(x):
    """log Γ(x) for x > 0."""
    out = numpy.empty_like(x)
    near1, near2 = numpy.abs(x - 1) <= 0.3, numpy.abs(x - 2) <= 0.3
    rest = ~(near1 | near2)
    if near1.any():
        out[near1] = _lgamma_near_one(x[near1] - 1)
    if near2.any():
        z = x[near2] - 2
        out[near2] = numpy.log1p(z) + _lgamma_near_one(z)
    if rest.any():
        # log Γ(x) = log Γ(x + m) - log(x·(x+1)·…·(x+m-1))
        y = x[rest]
        low, steps = _lift(y, _SHIFT)
        log_product = numpy.zeros_like(y)
        if low.any():
            small = y[low]
            product = small.copy()
            for k in range(1, steps):
                product *= small + k
            log_product[low] = numpy.log(product)
            y[low] = small + steps
        out[rest] = _stirling(y) - log_product
    return out


def _gammaln64(x):
    """log|Γ(x)| for a float64 array of at least one dimension; counts the poles."""
    out = numpy.full_like(x, numpy.inf)  # poles, and ±inf
    positive = (x > 0) & (x < numpy.inf)
    out[positive] = _lgamma_positive(x[positive])
    negative = (x < 0) & (x > -numpy.inf) & (x != numpy.floor(x))
    if negative.any():
        xn = x[negative]
        s, _ = _sinpi_cospi(xn)
        out[negative] = math.log(math.pi) - numpy.log(numpy.abs(s)) - _lgamma_positive(1 - xn)
    out[numpy.isnan(x)] = numpy.nan
    return out


def _is_pole(x):
    return (x <= 0) & (x == numpy.floor(x))


def _gammaln(x):
    """log |Γ(x)|; inf at the poles 0, -1, -2, ...

    >>> npx.gammaln(np.array([0.5]))   # log √π
    array([0.5723649])
    """
    x, dtype = _as_float64(x, 'gammaln')
    flat = numpy.atleast_1d(x)
    with numpy.errstate(all='ignore'):
        out = _gammaln64(flat)
    _signal('divide', 'gammaln', numpy.count_nonzero(_is_pole(flat)))
    return _done(out.reshape(x.shape), dtype)


_FACTORIALS = numpy.array([float(math.factorial(n)) for n in range(23)])


def _gamma(x):
    """Γ(x); exact factorials at 1, 2, ..., 23.

    >>> npx.gamma(np.array([5., 0.5]))   # 4!, √π
    array([24.       ,  1.7724539])
    """
    x, dtype = _as_float64(x, 'gamma')
    flat = numpy.atleast_1d(x)
    with numpy.errstate(all='ignore'):
        magnitude = numpy.exp(_gammaln64(flat))
        odd = (flat < 0) & (numpy.mod(numpy.floor(flat), 2) != 0)
        out = numpy.where(odd, -magnitude, magnitude)
        whole = (flat >= 1) & (flat <= len(_FACTORIALS)) & (flat == numpy.floor(flat))
        if whole.any():  # (n - 1)! exactly, as a float holds it
            out[whole] = _FACTORIALS[flat[whole].astype(numpy.int64) - 1]
        zero, negative_pole = flat == 0, _is_pole(flat) & (flat < 0)
        out[zero] = numpy.copysign(numpy.inf, flat[zero])
        out[negative_pole | (flat == -numpy.inf)] = numpy.nan
    _signal('divide', 'gamma', numpy.count_nonzero(zero))
    _signal('invalid', 'gamma', numpy.count_nonzero(negative_pole | (flat == -numpy.inf)))
    _signal('over', 'gamma', numpy.count_nonzero(numpy.isinf(out) & numpy.isfinite(flat) & ~zero))
    return _done(out.reshape(x.shape), dtype)


# ψ is 0 at the double nearest its positive root: ψ(_PSI_ROOT) = _PSI_AT_ROOT exactly to
# double precision; next to the root ψ is summed as a Taylor series around it.
_PSI_ROOT = 1.4616321449683622
_PSI_AT_ROOT = -9.2412655217294275e-17
_PSI_TAYLOR = None


def _digamma_near_root(d):
    global _PSI_TAYLOR
    if _PSI_TAYLOR is None:
        root = numpy.array([_PSI_ROOT])
        _PSI_TAYLOR = [_PSI_AT_ROOT] + [
            float(_polygamma_positive(k, root)[0]) / math.factorial(k) for k in range(1, 20)
        ]
    return _horner(_PSI_TAYLOR, d)


def _digamma_positive(x):
    """ψ(x) for x > 0: recurrence up to 10, then the asymptotic series."""
    out = numpy.empty_like(x)
    root = numpy.abs(x - _PSI_ROOT) < 0.1
    if root.any():
        out[root] = _digamma_near_root(x[root] - _PSI_ROOT)
    rest = ~root
    y = x[rest]  # ψ(x) = ψ(x + m) - Σ_{k<m} 1/(x + k)
    low, steps = _lift(y, _SHIFT)
    total = numpy.zeros_like(y)
    if low.any():
        small = y[low]
        total[low] = sum(1 / (small + k) for k in range(steps))
        y[low] = small + steps
    inv2 = 1 / (y * y)
    series = _horner([b / (2 * k + 2) for k, b in enumerate(_B2K[:8])], inv2)
    out[rest] = numpy.log(y) - 0.5 / y - inv2 * series - total
    return out


def _hurwitz(s, x):
    """ζ(s, x) = Σ_k (x + k)^-s for a whole number s >= 2 and x > 0 (Euler–Maclaurin)."""
    y = x.copy()  # ζ(s, x) = Σ_{k<m} (x + k)^-s + ζ(s, x + m)
    low, steps = _lift(y, max(_SHIFT, s + 6.0))
    total = numpy.zeros_like(y)
    if low.any():
        small = y[low]
        total[low] = sum((small + k) ** -s for k in range(steps))
        y[low] = small + steps
    inv, inv2 = 1 / y, 1 / (y * y)
    # Σ_j B_2j/(2j)! · s(s+1)…(s+2j-2) · y^(-s-2j+1)
    terms, rising = [], Fraction(1)
    for j, b in enumerate(_B2K, start=1):
        rising *= (s + 2 * j - 2) if j == 1 else (s + 2 * j - 3) * (s + 2 * j - 2)
        terms.append(b * float(rising / math.factorial(2 * j)))
    tail = y ** (1 - s) * (1 / (s - 1) + inv / 2 + inv2 * _horner(terms, inv2))
    return total + tail


def _polygamma_positive(n, x):
    """ψ⁽ⁿ⁾(x) for x > 0."""
    if n == 0:
        return _digamma_positive(x)
    try:
        scale = float(math.factorial(n))
    except OverflowError:
        scale = math.inf
    return (scale if n % 2 else -scale) * _hurwitz(n + 1, x)


_COT_DERIVATIVES = {0: numpy.array([0.0, 1.0])}


def _cot_derivative(n):
    """Coefficients of the polynomial P with d^n/du^n cot(u) = P(cot u)."""
    if n not in _COT_DERIVATIVES:
        p = numpy.polynomial.polynomial
        _COT_DERIVATIVES[n] = -p.polymul([1.0, 0.0, 1.0], p.polyder(_cot_derivative(n - 1)))
    return _COT_DERIVATIVES[n]


def _polygamma64(n, x):
    """ψ⁽ⁿ⁾(x); poles as SciPy gives them (digamma: ∓inf at ±0, nan at negative integers;
    n odd: inf; n even: -inf)."""
    out = numpy.empty_like(x)
    positive = x > 0
    finite_positive = positive & (x < numpy.inf)
    out[finite_positive] = _polygamma_positive(n, x[finite_positive])
    out[x == numpy.inf] = numpy.inf if n == 0 else 0.0
    negative = (x < 0) & (x > -numpy.inf) & (x != numpy.floor(x))
    if negative.any():
        # reflection: ψ⁽ⁿ⁾(x) = (-1)^n ψ⁽ⁿ⁾(1 - x) - π^(n+1) cot⁽ⁿ⁾(πx)
        xn = x[negative]
        s, c = _sinpi_cospi(xn)
        cot = numpy.polynomial.polynomial.polyval(c / s, _cot_derivative(n))
        out[negative] = (-1) ** n * _polygamma_positive(n, 1 - xn) - math.pi ** (n + 1) * cot
    poles = _is_pole(x)
    if n == 0:
        out[poles] = numpy.nan
        zero = x == 0
        out[zero] = -numpy.copysign(numpy.inf, x[zero])
    else:
        out[poles] = numpy.inf if n % 2 else -numpy.inf
    out[(x == -numpy.inf) | numpy.isnan(x)] = numpy.nan
    return out


def _polygamma_kernel(n, x, name):
    x, dtype = _as_float64(x, name)
    n = numpy.asarray(n)
    if n.dtype.kind == 'f' and numpy.all(n == numpy.floor(n)):
        n = n.astype(numpy.int64)
    if n.dtype.kind not in 'iu' or numpy.any(n < 0):
        raise ValueError(f'{name}: the order n must be a whole number >= 0, got {n}')
    if n.ndim:
        n, x = numpy.broadcast_arrays(n, x)
    flat = numpy.atleast_1d(x)
    with numpy.errstate(all='ignore'):
        if n.ndim:
            out = numpy.empty_like(flat)
            nflat = numpy.atleast_1d(n)
            for k in numpy.unique(nflat):
                where = nflat == k
                out[where] = _polygamma64(int(k), flat[where])
        else:
            out = _polygamma64(int(n), flat)
    poles = _is_pole(flat)
    if n.ndim == 0 and int(n) == 0:
        _signal('divide', name, numpy.count_nonzero(flat == 0))
        _signal('invalid', name, numpy.count_nonzero(poles & (flat != 0)))
    else:
        _signal('divide', name, numpy.count_nonzero(poles))
    return _done(out.reshape(x.shape), dtype)


def _digamma(x):
    """ψ(x) = d/dx log Γ(x).

    >>> npx.digamma(np.array([1.]))   # -γ
    array([-0.5772157])
    """
    return _polygamma_kernel(0, x, 'digamma')


def _polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (`n` a whole number >= 0, or an array
    of them that broadcasts against `x`).

    >>> npx.polygamma(1, np.array([1.]))   # π²/6
    array([1.644934])
    """
    return _polygamma_kernel(n, x, 'polygamma')


op('gammaln', _gammaln, lambda xp, g, ans, x: g * xp.digamma(x), jvp='elementwise', export='npx')
op(
    'gamma',
    _gamma,
    lambda xp, g, ans, x: g * (ans * xp.digamma(x)),
    jvp='elementwise',
    save='both',
    export='npx',
)
op(
    'digamma',
    _digamma,
    lambda xp, g, ans, x: g * xp.polygamma(1, x),
    jvp='elementwise',
    export='npx',
)
op(
    'polygamma',
    _polygamma,
    (None, lambda xp, g, ans, n, x: g * xp.polygamma(n + 1, x)),
    jvp='elementwise',
    export='npx',
)

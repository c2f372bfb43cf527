"""Elementwise ops. Broadcasting is undone by the engine, so each rule is the
derivative times `g`, in the output's shape.

Conventions where a derivative does not exist (each a valid subgradient):
``abs'(0) = 0``; `maximum`, `minimum`, `fmax`, `fmin` give half of the gradient to
each side where the inputs are equal; `clip` passes the gradient to `a` on the
closed interval ``[a_min, a_max]`` (bounds included) and to a bound only where
`a` lies strictly outside it; ``sinc'(0) = 0``; `hypot` and `arctan2` give 0 at
the origin; ``sqrt'(0)`` and ``cbrt'(0)`` are inf, as NumPy's ``1/0``. For
``x ** y``, d/dx is ``y * x**(y-1)`` (right for a negative base and an integer
exponent) and d/dy is ``x**y * log(x)``: 0 at ``x == 0``, NaN for ``x < 0``, where
``x ** y`` is not differentiable in `y`. `mod`, `remainder` and `fmod` have slope 1
in the dividend between their jumps.

Called with NumPy's ``where=mask`` (``np.add(x, 1, where=mask)``), an op's entries
where the mask does not hold are 0 (NumPy leaves them uninitialised), or those of a
NumPy ``out=`` array: constants, with no gradient (see `ndgrad.rules._ufunc`).

>>> from ndgrad import autograd, np
>>> x = np.array([1., 2.]); x.attach_grad()
>>> with autograd.record():
...     y = np.maximum(x, 2.)
>>> y.backward(); x.grad
array([0. , 0.5])
"""

import functools
import math

import numpy

from .._backend import kind
from .._primitive import RAW, REC as P, composite, identity, op
from ._util import as_data, times_into

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_DEG = math.pi / 180.0


def _is_number(y):
    return isinstance(y, (int, float, numpy.generic))


# --- arithmetic --------------------------------------------------------------------------

op('add', numpy.add, (identity, identity), jvp=(identity, identity), save='shapes')
op(
    'subtract',
    numpy.subtract,
    (identity, lambda xp, g, ans, x, y: -g),
    jvp='elementwise',
    save='shapes',
)
op(
    'multiply',
    numpy.multiply,
    (lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x),
    jvp='elementwise',
)
op(
    'divide',
    numpy.divide,
    (lambda xp, g, ans, x, y: g / y, lambda xp, g, ans, x, y: -g * x / (y * y)),
    jvp='elementwise',
)
op('negative', numpy.negative, lambda xp, g, ans, x: -g, jvp='elementwise', save='shapes')


@functools.wraps(numpy.copy)
def _copy(a, *args, **kwargs):
    # (Dask has no numpy.copy: it would compute the array; its own copy stays lazy)
    if type(a) is numpy.ndarray or kind(a) != 'dask':
        return numpy.copy(a, *args, **kwargs)
    return a.copy()


op('copy', _copy, identity, jvp='elementwise', save='shapes')
op('positive', numpy.positive, identity, jvp='elementwise', save='shapes')
op(
    'reciprocal',
    numpy.reciprocal,
    lambda xp, g, ans, x: -g * (ans * ans),
    jvp='elementwise',
    save='output',
)
op('square', numpy.square, lambda xp, g, ans, x: g * (2 * x), jvp='elementwise')


@composite()
def true_divide(x1, x2):
    """``x1 / x2`` (NumPy's alias of `divide`)."""
    return P.divide(x1, x2)


# --- powers --------------------------------------------------------------------------------


def _power_rules(name):
    """d/dx = ``y * x**(y-1)`` (right for a negative base and an integer exponent; 0
    where ``y == 0``, as ``x**0 == 1``). d/dy = ``x**y * log(x)`` for ``x > 0``, 0 at
    ``x == 0`` and nan (NumPy's log of a negative number) for ``x < 0``."""

    def dx(xp, g, ans, x, y):
        power = getattr(xp, name)
        if _is_number(y):
            return xp.zeros_like(g) if y == 0 else g * (y * power(x, y - 1))
        return g * (y * power(xp.where((x == 0) & (y == 0), 1, x), y - 1))

    def dy(xp, g, ans, x, y):
        return g * (getattr(xp, name)(x, y) * xp.log(xp.where(x == 0, 1, x)))

    return dx, dy


op('power', numpy.power, _power_rules('power'), jvp='elementwise')
op('float_power', numpy.float_power, _power_rules('float_power'), jvp='elementwise')
op('sqrt', numpy.sqrt, lambda xp, g, ans, x: g / (2 * ans), jvp='elementwise', save='output')
op(
    'cbrt',
    numpy.cbrt,
    lambda xp, g, ans, x: g / (3 * (ans * ans)),
    jvp='elementwise',
    save='output',
)

# --- exponentials and logarithms ---------------------------------------------------------

op('exp', numpy.exp, lambda xp, g, ans, x: g * ans, jvp='elementwise', save='output')
op('exp2', numpy.exp2, lambda xp, g, ans, x: g * (ans * _LN2), jvp='elementwise', save='output')
op('expm1', numpy.expm1, lambda xp, g, ans, x: g * (ans + 1), jvp='elementwise', save='output')
op('log', numpy.log, lambda xp, g, ans, x: g / x, jvp='elementwise')
op('log2', numpy.log2, lambda xp, g, ans, x: g / (x * _LN2), jvp='elementwise')
op('log10', numpy.log10, lambda xp, g, ans, x: g / (x * _LN10), jvp='elementwise')
op('log1p', numpy.log1p, lambda xp, g, ans, x: g / (1 + x), jvp='elementwise')


def _logaddexp_rules(exp):
    """d/dx and d/dy of ``log(exp(x) + exp(y))`` in the base of `exp` ('exp' or 'exp2'):
    each input's share of the sum, ``exp(input - ans)``."""

    def dx(xp, g, ans, x, y):
        return g * getattr(xp, exp)(x - ans)

    def dy(xp, g, ans, x, y):
        return g * getattr(xp, exp)(y - ans)

    return dx, dy


for _name, _exp in (('logaddexp', 'exp'), ('logaddexp2', 'exp2')):
    op(_name, getattr(numpy, _name), _logaddexp_rules(_exp), jvp='elementwise', save='both')

# --- trigonometric and hyperbolic ------------------------------------------------------------

op('sin', numpy.sin, lambda xp, g, ans, x: g * xp.cos(x), jvp='elementwise')
op('cos', numpy.cos, lambda xp, g, ans, x: -g * xp.sin(x), jvp='elementwise')
op('tan', numpy.tan, lambda xp, g, ans, x: g * (1 + ans * ans), jvp='elementwise', save='output')
op('arcsin', numpy.arcsin, lambda xp, g, ans, x: g / xp.sqrt((1 - x) * (1 + x)), jvp='elementwise')
op('arccos', numpy.arccos, lambda xp, g, ans, x: -g / xp.sqrt((1 - x) * (1 + x)), jvp='elementwise')
op('arctan', numpy.arctan, lambda xp, g, ans, x: g / (1 + x * x), jvp='elementwise')
op('sinh', numpy.sinh, lambda xp, g, ans, x: g * xp.cosh(x), jvp='elementwise')
op('cosh', numpy.cosh, lambda xp, g, ans, x: g * xp.sinh(x), jvp='elementwise')


def _tanh_vjp(xp, g, ans, x):
    if xp is not RAW or not ans.ndim:  # (NumPy computes a 0-d array's square as a scalar)
        return g * (1 - ans * ans)
    d = numpy.multiply(ans, ans)  # 1 - ans², then the product, in one new buffer
    return times_into(g, numpy.subtract(1, d, out=d))


op('tanh', numpy.tanh, _tanh_vjp, jvp='elementwise', save='output')
op('arcsinh', numpy.arcsinh, lambda xp, g, ans, x: g / xp.sqrt(x * x + 1), jvp='elementwise')
op(
    'arccosh',
    numpy.arccosh,
    lambda xp, g, ans, x: g / xp.sqrt((x - 1) * (x + 1)),
    jvp='elementwise',
)
op('arctanh', numpy.arctanh, lambda xp, g, ans, x: g / ((1 - x) * (1 + x)), jvp='elementwise')
op('deg2rad', numpy.deg2rad, lambda xp, g, ans, x: g * _DEG, jvp='elementwise', save='shapes')
op('rad2deg', numpy.rad2deg, lambda xp, g, ans, x: g * (1 / _DEG), jvp='elementwise', save='shapes')


def _squared_norm(xp, x, y):
    """``x**2 + y**2`` with 1 where it is 0: the rules of arctan2 and hypot give 0 at
    the origin instead of 0/0."""
    r2 = x * x + y * y
    return xp.where(r2 == 0, 1, r2)


op(
    'arctan2',
    numpy.arctan2,
    (
        lambda xp, g, ans, y, x: g * x / _squared_norm(xp, x, y),
        lambda xp, g, ans, y, x: -g * y / _squared_norm(xp, x, y),
    ),
    jvp='elementwise',
)
op(
    'hypot',
    numpy.hypot,
    (
        lambda xp, g, ans, x, y: g * x / xp.where(ans == 0, 1, ans),
        lambda xp, g, ans, x, y: g * y / xp.where(ans == 0, 1, ans),
    ),
    jvp='elementwise',
    save='both',
)


@composite()
def degrees(x):
    """Radians to degrees (NumPy's alias of `rad2deg`)."""
    return P.rad2deg(x)


@composite()
def radians(x):
    """Degrees to radians (NumPy's alias of `deg2rad`)."""
    return P.deg2rad(x)


# sinc'(x) = (cos(pi x) - sinc(x)) / x cancels badly near 0, where its Taylor series
# (odd powers, coefficients (-1)^k 2k pi^2k / (2k+1)!) is used instead: exact to every
# order at 0 (sinc'(0) = 0, sinc''(0) = -pi^2/3).
_SINC_SERIES = [
    (-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1) for k in range(1, 6)
]
_SINC_SMALL = 0.1


def _sinc_slope_series(xp, x):
    z = x * x
    acc = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        acc = c + z * acc
    return x * acc


def _sinc_vjp(xp, g, ans, x):
    small = numpy.abs(numpy.asarray(x)) < _SINC_SMALL
    if not small.any():
        return g * ((xp.cos(math.pi * x) - ans) / x)
    if small.all():
        return g * _sinc_slope_series(xp, x)
    safe = xp.where(small, 1, x)
    far = (xp.cos(math.pi * safe) - xp.sinc(safe)) / safe
    return g * xp.where(small, _sinc_slope_series(xp, x), far)


op('sinc', numpy.sinc, _sinc_vjp, jvp='elementwise', save='both')

# --- signs, extremes, selection ----------------------------------------------------------------


def _absolute_vjp(xp, g, ans, x):
    """``g * sign(x)``; for complex `x`, ``g * conj(x) / |x|`` (0 at 0), written
    without `sign`, whose derivative is not 0 off the real line."""
    if x.dtype.kind != 'c':
        return g * xp.sign(x)
    zero = x == 0
    safe = xp.where(zero, 1, x)
    return g * xp.where(zero, 0, xp.conj(safe) / xp.absolute(safe))


op('absolute', numpy.absolute, _absolute_vjp, jvp='elementwise')
# copysign is flat in y and heaviside in x: their gradient there is a zero that
# backward writes (a missing one would leave an earlier pass's gradient in x.grad)
op(
    'copysign',
    numpy.copysign,
    (
        lambda xp, g, ans, x, y: g * (xp.sign(x) * xp.sign(ans)),
        lambda xp, g, ans, x, y: xp.zeros_like(g),
    ),
    jvp='elementwise',
    save='both',
)
op(
    'heaviside',
    numpy.heaviside,
    (lambda xp, g, ans, x, h0: xp.zeros_like(g), lambda xp, g, ans, x, h0: g * (x == 0)),
    jvp='elementwise',
)
op(
    'maximum',
    numpy.maximum,
    (
        lambda xp, g, ans, x, y: g * (x > y) + (g * 0.5) * (x == y),
        lambda xp, g, ans, x, y: g * (y > x) + (g * 0.5) * (x == y),
    ),
    jvp='elementwise',
)
op(
    'minimum',
    numpy.minimum,
    (
        lambda xp, g, ans, x, y: g * (x < y) + (g * 0.5) * (x == y),
        lambda xp, g, ans, x, y: g * (y < x) + (g * 0.5) * (x == y),
    ),
    jvp='elementwise',
)
# fmax/fmin ignore a NaN: the other input, the one returned, gets the gradient
op(
    'fmax',
    numpy.fmax,
    (
        lambda xp, g, ans, x, y: g * ((x > y) | xp.isnan(y)) + (g * 0.5) * (x == y),
        lambda xp, g, ans, x, y: g * ((y > x) | xp.isnan(x)) + (g * 0.5) * (x == y),
    ),
    jvp='elementwise',
)
op(
    'fmin',
    numpy.fmin,
    (
        lambda xp, g, ans, x, y: g * ((x < y) | xp.isnan(y)) + (g * 0.5) * (x == y),
        lambda xp, g, ans, x, y: g * ((y < x) | xp.isnan(x)) + (g * 0.5) * (x == y),
    ),
    jvp='elementwise',
)


def _clip_x(xp, g, ans, x, lo, hi):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is None else inside & (x <= hi)
    return g if inside is None else g * inside


def _clip_lo(xp, g, ans, x, lo, hi):
    below = x < lo
    return g * (below if hi is None else below & (lo <= hi))


def _clip_hi(xp, g, ans, x, lo, hi):
    return g * ((x if lo is None else xp.maximum(x, lo)) > hi)


op('clip', numpy.clip, (_clip_x, _clip_lo, _clip_hi), jvp='elementwise', export=None)


@composite()
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """`a` limited to ``[a_min, a_max]`` (either bound may be None; ``min=``/``max=``
    are NumPy 2's spellings). Differentiable in `a` and in array bounds.

    The gradient passes to `a` where ``a_min <= a <= a_max`` (bounds included), and
    to a bound where `a` lies strictly beyond it.

    >>> np.clip(np.array([-2., 0.5, 3.]), -1, 1)
    array([-1. ,  0.5,  1. ])
    """
    if out is not None:
        raise TypeError(
            'np.clip(..., out=...) is not supported: assign the result instead '
            '(y = np.clip(a, lo, hi))'
        )
    if min is not None or max is not None:
        if a_min is not None or a_max is not None:
            raise ValueError(
                'Passing `min` or `max` keyword argument when `a_min` and '
                '`a_max` are provided is forbidden.'
            )
        a_min, a_max = min, max
    return P.clip(a, a_min, a_max)


op(
    'where',
    numpy.where,
    (
        None,
        lambda xp, g, ans, c, x, y: xp.where(c, g, 0),
        lambda xp, g, ans, c, x, y: xp.where(c, 0, g),
    ),
    jvp='elementwise',
    export=None,
)


@composite()
def where(condition, x=None, y=None):
    """`x` where `condition` holds, else `y` (differentiable in both). With only
    `condition`, the indices where it holds (as ``np.nonzero``).

    >>> np.where(np.array([True, False]), np.array([1., 2.]), 0.)
    array([1., 0.])
    """
    if x is None and y is None:
        return P.nonzero(condition)
    if x is None or y is None:
        raise ValueError('either both or neither of x and y should be given')
    return P.where(condition, x, y)


op(
    'nan_to_num',
    numpy.nan_to_num,
    lambda xp, g, ans, x, *args, **kw: g * xp.isfinite(x),
    jvp='elementwise',
)
op(
    'astype',
    lambda x, dtype, copy=True: as_data(x).astype(dtype, copy=copy),
    lambda xp, g, ans, x, dtype, copy=True: g,
    jvp='elementwise',
    save='shapes',
)


@composite(name='abs')
def abs_(x):
    """Absolute value (alias of `absolute`); its derivative at 0 is 0."""
    return P.absolute(x)


# --- remainders: slope 1 in the dividend, minus the integer quotient in the divisor ---------


def _quotient(xp, x, y, ans):
    """The integer ``n`` with ``x == n * y + ans``, exactly as the kernel chose it."""
    return xp.rint((x - ans) / y)


for _name in ('remainder', 'fmod'):
    op(
        _name,
        getattr(numpy, _name),
        (lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: -g * _quotient(xp, x, y, ans)),
        jvp='elementwise',
        save='both',
    )


@composite()
def mod(x1, x2):
    """``x1 % x2`` with the sign of `x2` (NumPy's alias of `remainder`). Its derivative
    is 1 in `x1` and ``-floor(x1 / x2)`` in `x2`, away from the jumps."""
    return P.remainder(x1, x2)


# --- piecewise constant: the output carries no gradient ------------------------------------
# sign, floor, ceil, trunc, rint, fix, round/around and floor_divide have derivative 0
# wherever it exists; their results are constants for autograd.

op('sign', numpy.sign, differentiable=False)
for _name in ('floor', 'ceil', 'trunc', 'rint', 'fix', 'round', 'around', 'floor_divide'):
    op(_name, getattr(numpy, _name), differentiable=False)

"""Signals, samples and polynomials: convolve, correlate, interp, trapezoid, gradient,
cross, polyval, polyfit, vander.

`convolve` and `correlate` rest on one primitive, the full linear convolution along
the last axis, whose derivatives are convolutions again (so they work to any order);
the others are compositions of differentiable ops. Each is differentiable in every
float input named in its docstring, almost everywhere (`interp` has kinks at the
sample points).

>>> from ndgrad import func, np
>>> np.convolve(np.array([1., 2., 3.]), np.array([0., 1., 0.5]))
array([0. , 1. , 2.5, 4. , 1.5])
>>> func.grad(lambda v: np.convolve(np.array([1., 2.]), v).sum())(np.array([1., 1.]))
array([3., 3.])
"""

import warnings

import numpy
from numpy.lib.stride_tricks import sliding_window_view

from .._ndarray import ndarray, wrap
from .._primitive import REC as P, composite, op
from ._util import as_array, as_ndgrad
from .shape import moveaxis


def _values(a):
    return a._data if type(a) is ndarray else numpy.asarray(a)


def _along(a, axis, index):
    """``a[..., index, ...]`` with `index` applied along `axis` (negative)."""
    return P.getitem(a, index=(Ellipsis, index) + (slice(None),) * (-axis - 1))


# --- the full linear convolution: one primitive ------------------------------------------------


def _convolve_full(x, w):
    """``out[..., k] = sum_i x[..., i] * w[..., k - i]``, the leading axes broadcast."""
    x, w = numpy.asarray(x), numpy.asarray(w)
    if x.ndim == 1 and w.ndim == 1:
        return numpy.convolve(x, w)
    m = w.shape[-1]
    padded = numpy.pad(x, [(0, 0)] * (x.ndim - 1) + [(m - 1, m - 1)])
    windows = sliding_window_view(padded, m, axis=-1)
    return numpy.einsum('...km,...m->...k', windows, w[..., ::-1])


def _convolve_vjp(other_index):
    """The gradient for one input: the valid correlation of `g` with the other input,
    a full convolution with it reversed, cut to this input's length."""

    def rule(xp, g, ans, x, w):
        this, other = (w, x) if other_index == 0 else (x, w)
        full = xp.convolve_full(g, xp.flip(other, axis=-1))
        start = other.shape[-1] - 1
        return xp.getitem(full, index=(Ellipsis, slice(start, start + this.shape[-1])))

    return rule


op(
    'convolve_full',
    _convolve_full,
    (_convolve_vjp(1), _convolve_vjp(0)),
    (
        lambda xp, t, ans, x, w: xp.convolve_full(t, w),
        lambda xp, t, ans, x, w: xp.convolve_full(x, t),
    ),
    export=None,
)


_MODES = ('full', 'same', 'valid')


def _vector(a, name, fn):
    a = as_array(a)
    if a.ndim == 0 and fn == 'correlate':  # (NumPy's convolve takes numbers, correlate not)
        raise ValueError('object of too small depth for desired array')
    if a.ndim > 1:
        raise ValueError(f'np.{fn}: `{name}` must be 1-D, got shape {a.shape}')
    if a.size == 0:
        raise ValueError(f'{name} cannot be empty')
    return P.reshape(a, (1,)) if a.ndim == 0 else a


def _cut(full, n, m, mode, fn, same_offset):
    """The part of the full result (length n + m - 1) NumPy's `mode` keeps."""
    if mode not in _MODES:
        raise ValueError(
            f'np.{fn}: mode must be one of {", ".join(map(repr, _MODES))}, got {mode!r}'
        )
    if mode == 'full':
        return full
    short, long = min(n, m), max(n, m)
    start, length = (same_offset, long) if mode == 'same' else (short - 1, long - short + 1)
    return P.getitem(full, index=slice(start, start + length))


@composite()
def convolve(a, v, mode='full'):
    """The discrete linear convolution of two 1-D sequences, ``mode`` 'full', 'same' or
    'valid' as in NumPy; differentiable in both.

    >>> np.convolve(np.array([1., 2., 3.]), np.array([1., 1.]), mode='valid')
    array([3., 5.])
    """
    a, v = _vector(a, 'a', 'convolve'), _vector(v, 'v', 'convolve')
    n, m = a.shape[0], v.shape[0]
    return _cut(P.convolve_full(a, v), n, m, mode, 'convolve', (min(n, m) - 1) // 2)


@composite()
def correlate(a, v, mode='valid'):
    """The cross-correlation ``c[k] = sum_n a[n + k] * v[n]`` of two real 1-D sequences,
    ``mode`` 'valid' (default), 'same' or 'full' as in NumPy; differentiable in both.

    >>> np.correlate(np.array([1., 2., 3.]), np.array([0., 1.]), mode='full')
    array([1., 2., 3., 0.])
    """
    a, v = _vector(a, 'a', 'correlate'), _vector(v, 'v', 'correlate')
    n, m = a.shape[0], v.shape[0]
    short = min(n, m)
    offset = (short - 1) // 2 if n >= m else short // 2
    return _cut(P.convolve_full(a, P.flip(v, axis=-1)), n, m, mode, 'correlate', offset)


# --- interp -----------------------------------------------------------------------------------


@composite()
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the samples ``(xp, fp)`` at `x`, as NumPy's;
    differentiable in `x` and `fp` (and in `xp`, `left`, `right` when they are
    recorded arrays), except at the sample points themselves.

    >>> np.interp(np.array([0.5, 3.]), np.array([0., 1., 2.]), np.array([0., 10., 20.]))
    array([ 5., 20.])
    """
    x, xp, fp = as_array(x), as_array(xp), as_array(fp)
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError('np.interp: xp and fp must be 1-D sequences')
    if xp.shape[0] != fp.shape[0]:
        raise ValueError('fp and xp are not of the same length.')
    if xp.shape[0] == 0:
        raise ValueError('array of sample points is empty')
    if period is not None:
        if period == 0:
            raise ValueError('period must be a non-zero value')
        period = abs(period)
        left = right = None
        x = P.remainder(x, period)
        points = numpy.remainder(_values(xp), period)
        order = numpy.argsort(points, kind='stable')
        fp = P.getitem(fp, index=order)
        xp = numpy.concatenate(
            [points[order][-1:] - period, points[order], points[order][:1] + period]
        )
        fp = P.concatenate(_along(fp, -1, slice(-1, None)), fp, _along(fp, -1, slice(0, 1)), axis=0)
    points, where = _values(xp), _values(x)
    if points.shape[0] == 1:
        inside = _along(fp, -1, 0) * P.ones_like(x)
    else:
        lo = numpy.clip(numpy.searchsorted(points, where, side='right') - 1, 0, points.shape[0] - 2)
        x0, x1 = P.getitem(xp, index=lo), P.getitem(xp, index=lo + 1)
        f0, f1 = P.getitem(fp, index=lo), P.getitem(fp, index=lo + 1)
        inside = f0 + (f1 - f0) / (x1 - x0) * (x - x0)
        inside = P.where(where == points[-1], f1, inside)  # (NumPy's exact end value)
    below = _along(fp, -1, 0) if left is None else left
    above = _along(fp, -1, -1) if right is None else right
    return P.where(where < points[0], below, P.where(where > points[-1], above, inside))


# --- trapezoid, gradient ------------------------------------------------------------------------


@composite()
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule, with sample points `x`
    (1-D along `axis`, or shaped like `y`) or spacing `dx`; differentiable in `y`, `x`
    and `dx`.

    >>> np.trapezoid(np.array([1., 2., 3.]), x=np.array([0., 1., 3.]))
    array(6.5)
    """
    y = as_array(y)
    if y.ndim == 0:
        raise ValueError('np.trapezoid: y must be at least 1-D')
    axis = _axis(axis, y.ndim) - y.ndim
    if x is None:
        d = dx
    else:
        x = as_array(x)
        if x.ndim == 1:
            d = P.getitem(x, index=slice(1, None)) - P.getitem(x, index=slice(None, -1))
            d = P.reshape(d, d.shape + (1,) * (-axis - 1))
        else:
            d = _along(x, axis, slice(1, None)) - _along(x, axis, slice(None, -1))
    pairs = _along(y, axis, slice(1, None)) + _along(y, axis, slice(None, -1))
    return P.sum(d * pairs / 2.0, axis=axis)


def _axis(axis, ndim):
    if not -ndim <= axis < ndim:
        raise numpy.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _spacing(h, n, name):
    """One axis's spacing: a scalar step, or its sample coordinates (length n)."""
    h = as_array(h)
    if h.ndim == 0:
        return h, None
    if h.ndim != 1:
        raise ValueError(f'np.{name}: distances must be either scalars or 1d')
    if h.shape[0] != n:
        raise ValueError(
            f'np.{name}: when 1d, distances must match the length of the corresponding dimension'
        )
    return None, P.getitem(h, index=slice(1, None)) - P.getitem(h, index=slice(None, -1))


def _derivative(f, axis, step, dx, edge_order):
    """df/dx along `axis` (negative) by second-order central differences inside and
    one-sided ones of `edge_order` at the ends (NumPy's formulas)."""

    def at(index):
        return _along(f, axis, index)

    def lane(v):  # a 1-D coefficient vector laid along `axis`
        return P.reshape(v, v.shape + (1,) * (-axis - 1))

    if dx is None:
        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * step)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / step
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / step
        else:
            first = (-1.5 * at(slice(0, 1)) + 2.0 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / step
            last = (
                0.5 * at(slice(-3, -2)) - 2.0 * at(slice(-2, -1)) + 1.5 * at(slice(-1, None))
            ) / step
        return P.concatenate(first, inner, last, axis=axis)
    dx1, dx2 = P.getitem(dx, index=slice(None, -1)), P.getitem(dx, index=slice(1, None))
    a = lane(-dx2 / (dx1 * (dx1 + dx2)))
    b = lane((dx2 - dx1) / (dx1 * dx2))
    c = lane(dx1 / (dx2 * (dx1 + dx2)))
    inner = a * at(slice(None, -2)) + b * at(slice(1, -1)) + c * at(slice(2, None))
    h = [P.getitem(dx, index=k) for k in (0, 1, -2, -1)]
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / h[0]
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / h[3]
    else:
        d1, d2 = h[0], h[1]
        first = (
            -(2.0 * d1 + d2) / (d1 * (d1 + d2)) * at(slice(0, 1))
            + (d1 + d2) / (d1 * d2) * at(slice(1, 2))
            - d1 / (d2 * (d1 + d2)) * at(slice(2, 3))
        )
        d1, d2 = h[2], h[3]
        last = (
            d2 / (d1 * (d1 + d2)) * at(slice(-3, -2))
            - (d2 + d1) / (d1 * d2) * at(slice(-2, -1))
            + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * at(slice(-1, None))
        )
    return P.concatenate(first, inner, last, axis=axis)


@composite()
def gradient(f, *varargs, axis=None, edge_order=1):
    """The gradient of sampled `f` along each axis (or `axis`), as NumPy's: central
    differences inside, one-sided ones of ``edge_order`` 1 or 2 at the ends. `varargs`
    give the spacing: one scalar for every axis, or one scalar or 1-D coordinate array
    per axis. Differentiable in `f` and in the spacing. A tuple for several axes.

    >>> np.gradient(np.array([1., 4., 9., 16.]))
    array([3., 4., 6., 7.])
    """
    f = as_ndgrad(f)
    if f.ndim == 0:
        raise ValueError('np.gradient: f must be at least 1-D')
    axes = (
        tuple(range(f.ndim))
        if axis is None
        else ((axis,) if numpy.ndim(axis) == 0 else tuple(axis))
    )
    axes = tuple(_axis(a, f.ndim) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError('np.gradient: repeated axis')
    if len(varargs) == 0:
        varargs = (1.0,) * len(axes)
    elif len(varargs) == 1 and numpy.ndim(_values(varargs[0])) == 0:
        varargs = varargs * len(axes)
    elif len(varargs) != len(axes):
        raise TypeError('np.gradient: give one spacing for every axis, one scalar for all, or none')
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if f.dtype.kind in 'iub':
        f = P.astype(f, numpy.float64)
    out = []
    for a, h in zip(axes, varargs):
        n = f.shape[a]
        if n < edge_order + 1:
            raise ValueError(
                'Shape of array too small to calculate a numerical gradient, '
                'at least (edge_order + 1) elements are required.'
            )
        step, dx = _spacing(h, n, 'gradient')
        df = _derivative(f, a - f.ndim, step, dx, edge_order)
        out.append(df if df.dtype == f.dtype else P.astype(df, f.dtype))  # (NumPy's dtype)
    return out[0] if len(out) == 1 else tuple(out)


# --- cross ------------------------------------------------------------------------------------


@composite()
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors: the z component) along `axisa`
    and `axisb`, broadcast over the other axes, the result's vectors along `axisc`
    (``axis`` sets all three); differentiable in both.

    >>> np.cross(np.array([1., 0., 0.]), np.array([0., 1., 0.]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_array(a), as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError('np.cross: the inputs must be at least 1-D arrays of vectors')
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError('incompatible dimensions for cross product\n(dimension must be 2 or 3)')
    ax = [_along(a, -1, k) for k in range(a.shape[-1])]
    bx = [_along(b, -1, k) for k in range(b.shape[-1])]
    z = ax[0] * bx[1] - ax[1] * bx[0]
    if len(ax) == 2 and len(bx) == 2:
        return z
    zero = 0.0 * ax[0]
    a2 = ax[2] if len(ax) == 3 else zero
    b2 = bx[2] if len(bx) == 3 else 0.0 * bx[0]
    result = P.stack(ax[1] * b2 - a2 * bx[1], a2 * bx[0] - ax[0] * b2, z, axis=-1)
    return moveaxis(result, -1, axisc)


# --- polynomials ------------------------------------------------------------------------------


@composite()
def polyval(p, x):
    """The polynomial with coefficients `p` (highest power first) at `x`, by Horner's
    rule; differentiable in `p` and `x`.

    >>> np.polyval(np.array([1., 0., -1.]), np.array([2., 3.]))
    array([3., 8.])
    """
    p, x = as_array(p), as_array(x)
    if p.ndim != 1:
        raise ValueError('np.polyval: p must be a 1-D sequence of coefficients')
    y = P.zeros_like(x)
    for k in range(p.shape[0]):
        y = y * x + P.getitem(p, index=k)
    return y


@composite()
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of `x`: columns the powers ``x**(N-1), ..., x, 1`` (or
    increasing); differentiable in `x`.

    >>> np.vander(np.array([2., 3.]), 3)
    array([[4., 2., 1.],
           [9., 3., 1.]])
    """
    x = as_array(x)
    if x.ndim != 1:
        raise ValueError('x must be a one-dimensional array or sequence.')
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError('N must be non-negative')
    columns, power = [], P.ones_like(x)
    for k in range(n):
        columns.append(power)
        if k + 1 < n:
            power = power * x
    if not columns:
        return P.zeros((x.shape[0], 0), dtype=x.dtype)
    if not increasing:
        columns.reverse()
    return P.stack(*columns, axis=1)


def _polyfit_points(x, y, deg, cov):
    """`x` (NumPy floats), `y` and `deg` of `polyfit`, checked as NumPy checks them."""
    if cov:
        raise NotImplementedError(
            'np.polyfit(..., cov=True) is not supported; compute the '
            'covariance from the residuals, or call numpy.polyfit on '
            'x.asnumpy() for constants'
        )
    deg = int(deg)
    if deg < 0:
        raise ValueError('expected deg >= 0')
    xs = numpy.asarray(_values(x), dtype=float)
    y = as_array(y)
    if xs.ndim != 1:
        raise TypeError('expected 1D vector for x')
    if xs.size == 0:
        raise TypeError('expected non-empty vector for x')
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError('expected 1D or 2D array for y')
    if xs.shape[0] != y.shape[0]:
        raise TypeError('expected x and y to have same length')
    return xs, y, deg


@composite()
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """The least-squares polynomial fit of degree `deg` to the points ``(x, y)``
    (weights `w`), as NumPy's; differentiable in `y` (the coefficients are linear in
    it). `y` may hold several data sets as columns. ``full=True`` also gives the
    residuals (differentiable), the rank, the singular values and `rcond`.

    >>> np.polyfit(np.array([0., 1., 2.]), np.array([1., 3., 5.]), 1)  # NumPy's float64
    array([2., 1.], dtype=float64)
    """
    xs, y, deg = _polyfit_points(x, y, deg, cov)
    order = deg + 1
    if rcond is None:
        rcond = len(xs) * numpy.finfo(xs.dtype).eps
    lhs = numpy.vander(xs, order)
    weights = None
    if w is not None:
        weights = numpy.asarray(_values(w), dtype=float)
        if weights.ndim != 1:
            raise TypeError('expected a 1-d array for weights')
        if weights.shape[0] != y.shape[0]:
            raise TypeError('expected w and y to have the same length')
        lhs = lhs * weights[:, None]
        y = y * (weights if y.ndim == 1 else weights[:, None])
    scale = numpy.sqrt((lhs * lhs).sum(axis=0))
    lhs = lhs / scale
    # the coefficients are a fixed linear map of y: lstsq is linear in its right side
    solve, _, rank, singular = numpy.linalg.lstsq(lhs, numpy.eye(len(xs)), rcond)
    if rank != order and not full:
        warnings.warn(
            'Polyfit may be poorly conditioned', numpy.exceptions.RankWarning, stacklevel=3
        )
    scaled = P.matmul(solve, y)
    c = scaled / (scale if y.ndim == 1 else scale[:, None])
    if not full:
        return c
    residual = P.matmul(lhs, scaled) - y
    resids = P.sum(residual * residual, axis=0)
    if rank != order or len(xs) <= order:  # (lstsq gives no residuals then)
        resids = wrap(numpy.zeros(0, resids.dtype))
    elif resids.ndim == 0:
        resids = P.reshape(resids, (1,))
    return c, resids, rank, singular, rcond

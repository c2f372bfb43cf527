"""Reductions, scans and sorting.

Subgradient conventions: `max`, `min` (and `amax`, `amin`, `nanmax`, `nanmin`,
`ptp`) split the gradient evenly among the elements tied for the extreme; `sort`
gives tied elements the average of the gradients of the sorted positions they
occupy, so `median` and `quantile` split evenly too. Every such split sums to
the gradient that reached the output (a valid subgradient). `prod` and
`cumprod` never divide by an input that is zero. `std` of a slice whose elements
are all equal (zero variance, where ``sqrt`` has no derivative) has gradient 0, to
every order: std is convex and 0 is its smallest subgradient there, which central
differences also give (`var`'s gradient there is 0 by itself).

>>> from ndgrad import autograd, np
>>> x = np.array([1., 3., 3.]); x.attach_grad()
>>> with autograd.record():
...     y = np.max(x)
>>> y.backward(); x.grad
array([0. , 0.5, 0.5])
"""

import math
import warnings

import numpy

from .._primitive import RAW, REC as P, composite, op
from ._util import (
    as_data,
    inverse_permutation,
    kept_shape,
    neg_axis,
    negative_axes,
    no_out,
    reduced_size,
    unreduce,
)


def _kept(xp, ans, x_shape, axes):
    """The reduction's output with size-1 axes where the input was reduced."""
    return xp.reshape(ans, kept_shape(x_shape, axes))


def _flip(xp, v, axis):
    """`v` reversed along `axis` (negative)."""
    return xp.getitem(v, index=(Ellipsis, slice(None, None, -1)) + (slice(None),) * (-axis - 1))


def _take(xp, v, axis, index):
    """``v[..., index, ...]`` with `index` (a slice) applied along `axis` (negative)."""
    return xp.getitem(v, index=(Ellipsis, index) + (slice(None),) * (-axis - 1))


def _shift(xp, v, d, axis, forward):
    """`v` moved `d` places along `axis`, zeros filling in: forward gives
    ``out[i] = v[i - d]``, backward ``out[i] = v[i + d]``."""
    zeros = xp.zeros(v.shape[: v.ndim + axis] + (d,) + v.shape[v.ndim + axis + 1 :], v.dtype)
    if forward:
        return xp.concatenate(zeros, _take(xp, v, axis, slice(None, -d)), axis=axis)
    return xp.concatenate(_take(xp, v, axis, slice(d, None)), zeros, axis=axis)


def _has_zero(value):
    return not numpy.all(numpy.asarray(value))


# --- sum, mean, nansum, nanmean -----------------------------------------------------------


def _sum_vjp(
    xp, g, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    g = unreduce(xp, g, ans, x.shape, axis, keepdims)[0]
    return g if where is None else xp.where(where, g, 0)


def _sum_jvp(
    xp, t, ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    axes = negative_axes(axis, x.ndim)
    if where is not None:
        t = xp.where(where, t, 0)
    return xp.sum(t, axis=axes, keepdims=keepdims)


def _mean_weights(x, axis, where, dtype):
    """Each element's weight in a mean over `where`: 1/count inside, 0 outside."""
    inside = numpy.broadcast_to(numpy.asarray(where), x.shape)
    count = numpy.sum(inside, axis=negative_axes(axis, x.ndim), keepdims=True)
    return (inside / numpy.maximum(count, 1)).astype(dtype)


def _mean_vjp(xp, g, ans, x, axis=None, dtype=None, out=None, keepdims=False, where=None):
    if axis is None and where is None:  # (a loss: the engine broadcasts g to x's shape)
        return g / math.prod(x.shape)  # (x: a `Meta`, whose size is a Python property)
    g = unreduce(xp, g, ans, x.shape, axis, keepdims)[0]
    if where is None:
        return g / reduced_size(x.shape, axis)
    return g * _mean_weights(x, axis, where, ans.dtype)


def _mean_jvp(xp, t, ans, x, axis=None, dtype=None, out=None, keepdims=False, where=None):
    axes = negative_axes(axis, x.ndim)
    if where is None:
        return xp.mean(t, axis=axes, keepdims=keepdims)
    return xp.sum(t * _mean_weights(x, axis, where, ans.dtype), axis=axes, keepdims=keepdims)


# (NumPy's float and complex dtypes whose sum and mean are plain ``add.reduce``)
_REDUCED = frozenset(numpy.dtype(t) for t in ['f8', 'f4', 'c16', 'c8'])


def _plain(a, dtype, out, where, initial=None):
    """Whether numpy.sum and numpy.mean of `a` are just ``add.reduce`` (and a division):
    a NumPy array of a `_REDUCED` dtype, none of the other keywords."""
    return (
        type(a) is numpy.ndarray
        and a.dtype in _REDUCED
        and dtype is None
        and out is None
        and where is None
        and initial is None
    )


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """numpy.sum, calling ``add.reduce`` directly where that is all it does (its Python
    layers cost more than summing a small array)."""
    if _plain(a, dtype, out, where, initial):
        return numpy.add.reduce(a, axis, None, None, keepdims)
    more = _given(initial=initial, where=where)
    return numpy.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **more)


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """numpy.mean, as the sum divided by the count where that is what it computes
    (float input: NumPy divides complex sums in another precision).

    >>> float(_mean(numpy.array([1.0, 2.0])))
    1.5
    """
    if _plain(a, dtype, out, where) and a.dtype.kind == 'f' and a.size:
        total = numpy.add.reduce(a, axis, None, None, keepdims)
        return total / (a.size // total.size)
    more = _given(where=where)
    return numpy.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **more)


def _given(**keywords):
    """The keywords given a value (NumPy's reductions take no None for `where` or
    `initial`: left out, they have their defaults)."""
    return {name: value for name, value in keywords.items() if value is not None}


op('sum', _sum, _sum_vjp, _sum_jvp, save='shapes')
op('mean', _mean, _mean_vjp, _mean_jvp, save='shapes')


def _nansum(a, axis=None, dtype=None, keepdims=False):
    return numpy.nansum(a, axis=axis, dtype=dtype, keepdims=keepdims)


def _nanmean(a, axis=None, dtype=None, keepdims=False):
    return numpy.nanmean(a, axis=axis, dtype=dtype, keepdims=keepdims)


def _present(xp, x, axes, dtype):
    """The non-NaN mask of `x` and the number of non-NaN elements per reduced slice
    (at least 1: an all-NaN slice gets no gradient)."""
    present = xp.logical_not(xp.isnan(x))
    return present, xp.astype(xp.maximum(xp.sum(present, axis=axes, keepdims=True), 1), dtype)


def _nansum_vjp(xp, g, ans, x, axis=None, dtype=None, keepdims=False):
    g = unreduce(xp, g, ans, x.shape, axis, keepdims)[0]
    return xp.where(xp.isnan(x), 0, g)


def _nansum_jvp(xp, t, ans, x, axis=None, dtype=None, keepdims=False):
    return xp.sum(xp.where(xp.isnan(x), 0, t), axis=negative_axes(axis, x.ndim), keepdims=keepdims)


def _nanmean_vjp(xp, g, ans, x, axis=None, dtype=None, keepdims=False):
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    present, count = _present(xp, x, axes, g.dtype)
    return xp.where(present, g / count, 0)


def _nanmean_jvp(xp, t, ans, x, axis=None, dtype=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    present, count = _present(xp, x, axes, t.dtype)
    return xp.sum(xp.where(present, t / count, 0), axis=axes, keepdims=keepdims)


op('nansum', _nansum, _nansum_vjp, _nansum_jvp)
op('nanmean', _nanmean, _nanmean_vjp, _nanmean_jvp)

# --- max, min and the NaN-ignoring ones: ties split the gradient evenly --------------------


def _extreme_kernel(reduce):
    """NumPy's `reduce` (max, min, nanmax or nanmin) taking the primitive's arguments."""

    def kernel(a, axis=None, keepdims=False):
        return reduce(a, axis=axis, keepdims=keepdims)

    return kernel


def _share(xp, x, ans, axes, dtype):
    """Each element's share of the gradient: 1/k for the k elements equal to the
    extreme (NaNs share a NaN result), 0 for the others."""
    extreme = _kept(xp, ans, x.shape, axes)
    tied = xp.equal(x, extreme)
    if numpy.isnan(numpy.asarray(ans)).any():
        tied = tied | (xp.isnan(x) & xp.isnan(extreme))
    return tied, xp.astype(xp.sum(tied, axis=axes, keepdims=True), dtype)


def _extreme_vjp(xp, g, ans, x, axis=None, keepdims=False):
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    tied, count = _share(xp, x, ans, axes, g.dtype)
    return (g / count) * tied


def _extreme_jvp(xp, t, ans, x, axis=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    tied, count = _share(xp, x, ans, axes, t.dtype)
    return xp.sum(t * tied / count, axis=axes, keepdims=keepdims)


for _name, _reduce in (
    ('max', numpy.max),
    ('min', numpy.min),
    ('nanmax', numpy.nanmax),
    ('nanmin', numpy.nanmin),
):
    op(_name, _extreme_kernel(_reduce), _extreme_vjp, _extreme_jvp, save='both')


@composite()
def amax(a, axis=None, keepdims=False):
    """The maximum (NumPy's alias of `max`); ties split the gradient evenly."""
    return P.max(a, axis=axis, keepdims=keepdims)


@composite()
def amin(a, axis=None, keepdims=False):
    """The minimum (NumPy's alias of `min`); ties split the gradient evenly."""
    return P.min(a, axis=axis, keepdims=keepdims)


@composite()
def ptp(a, axis=None, keepdims=False):
    """Peak to peak, ``max - min``.

    >>> np.ptp(np.array([[1., 5.], [2., 2.]]), axis=1)
    array([4., 0.])
    """
    return P.max(a, axis=axis, keepdims=keepdims) - P.min(a, axis=axis, keepdims=keepdims)


# --- products: no division by an input that may be zero -------------------------------------


def _exclusive_cumprod(xp, v, axis):
    """``out[i] = prod(v[:i])`` along `axis` (negative): no division."""
    if v.shape[axis] == 0:
        return v
    ones = xp.ones(v.shape[: v.ndim + axis] + (1,) + v.shape[v.ndim + axis + 1 :], v.dtype)
    return xp.concatenate(
        ones, _take(xp, xp.cumprod(v, axis=axis), axis, slice(None, -1)), axis=axis
    )


def _others_product(xp, x, axes):
    """The product of all other elements of each reduced slice, for every element."""
    nd = x.ndim
    reduced = [a + nd for a in axes]
    kept = [i for i in range(nd) if i not in reduced]
    perm = tuple(kept + reduced)
    v = x if perm == tuple(range(nd)) else xp.transpose(x, perm)
    moved = v.shape
    v = xp.reshape(v, moved[: len(kept)] + (-1,))
    prod = _exclusive_cumprod(xp, v, -1) * _flip(
        xp, _exclusive_cumprod(xp, _flip(xp, v, -1), -1), -1
    )
    prod = xp.reshape(prod, moved)
    if perm == tuple(range(nd)):
        return prod
    return xp.transpose(prod, inverse_permutation(perm))


def _exact(xp, ans):
    """Whether a product rule must not divide by an input: one is zero, or the rule is
    itself being differentiated (``prod / x`` differentiates to a difference of two
    nearly equal terms over ``x ** 2``, all rounding error where x is tiny)."""
    return xp is not RAW or _has_zero(ans)


def _prod_factor(xp, ans, x, axes):
    """d prod / d x: ``prod / x`` in a plain pass where nothing is zero, else the products
    of the others."""
    if _exact(xp, ans):
        return _others_product(xp, x, axes)
    return _kept(xp, ans, x.shape, axes) / x


def _prod(a, axis=None, dtype=None, keepdims=False):
    return numpy.prod(a, axis=axis, dtype=dtype, keepdims=keepdims)


def _prod_vjp(xp, g, ans, x, axis=None, dtype=None, keepdims=False):
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    return g * _prod_factor(xp, ans, x, axes)


def _prod_jvp(xp, t, ans, x, axis=None, dtype=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    return xp.sum(t * _prod_factor(xp, ans, x, axes), axis=axes, keepdims=keepdims)


op('prod', _prod, _prod_vjp, _prod_jvp, save='both')

# --- scans ---------------------------------------------------------------------------------


def _scan_axis(x, axis):
    """The scan axis, negative (-1 for axis None, which scans `x` flattened)."""
    return -1 if axis is None else neg_axis(axis, x.ndim)


def _flat(xp, v, x, axis):
    """`v` (batch + x.shape) flattened behind its batch axes when axis is None."""
    if axis is None:
        return xp.reshape(v, v.shape[: v.ndim - x.ndim] + (-1,))
    return v


def _reverse_cumsum(xp, g, axis):
    return _flip(xp, xp.cumsum(_flip(xp, g, axis), axis=axis), axis)


def _cumsum_vjp(xp, g, ans, x, axis=None, dtype=None):
    a = _scan_axis(x, axis)
    return xp.reshape(_reverse_cumsum(xp, g, a), g.shape[: g.ndim - ans.ndim] + x.shape)


def _cumsum_jvp(xp, t, ans, x, axis=None, dtype=None):
    return xp.cumsum(_flat(xp, t, x, axis), axis=_scan_axis(x, axis))


op('cumsum', numpy.cumsum, _cumsum_vjp, _cumsum_jvp, save='shapes')


def _linear_scan(xp, a, b, axis, forward):
    """``h[i] = b[i] + a[i] * h[i -+ 1]`` along `axis` (h = 0 beyond the ends), by
    recursive doubling: log2(n) steps of products and sums, never a division."""
    n = b.shape[axis]
    d = 1
    while d < n:
        b = b + a * _shift(xp, b, d, axis, forward)
        if 2 * d < n:
            a = a * _shift(xp, a, d, axis, forward)
        d *= 2
    return b


def _cumprod_vjp(xp, g, ans, x, axis=None, dtype=None):
    """dL/dx[i] = sum over k >= i of g[k] * prod(x[j] for j <= k, j != i)."""
    a = _scan_axis(x, axis)
    v = _flat(xp, x, x, axis)
    if not _exact(xp, ans):
        out = _reverse_cumsum(xp, g * ans, a) / v
    else:
        # prod(x[:i]) * h[i], where h[i] = g[i] + x[i+1] * h[i+1]
        nxt = _shift(xp, v, 1, a, forward=False)
        out = _exclusive_cumprod(xp, v, a) * _linear_scan(xp, nxt, g, a, forward=False)
    return xp.reshape(out, g.shape[: g.ndim - ans.ndim] + x.shape)


def _cumprod_jvp(xp, t, ans, x, axis=None, dtype=None):
    """dy[k] = sum over i <= k of t[i] * prod(x[j] for j <= k, j != i)."""
    a = _scan_axis(x, axis)
    v, t = _flat(xp, x, x, axis), _flat(xp, t, x, axis)
    if not _exact(xp, ans):
        return ans * xp.cumsum(t / v, axis=a)
    # u[k] = t[k] * prod(x[:k]) + x[k] * u[k-1]
    return _linear_scan(xp, v, t * _exclusive_cumprod(xp, v, a), a, forward=True)


op('cumprod', numpy.cumprod, _cumprod_vjp, _cumprod_jvp, save='both')

# --- sort: a permutation, with ties averaged ---------------------------------------------------


class _Order:
    """How `sort` permuted `x` along `axis` (moved last), and its runs of ties."""

    def __init__(self, x, axis):
        x = numpy.asarray(x)
        self.ndim = x.ndim
        self.axis = axis
        moved = numpy.moveaxis(x, axis, -1)
        self.perm = numpy.argsort(moved, axis=-1)  # any sorting order: ties are averaged
        ordered = numpy.take_along_axis(moved, self.perm, axis=-1)
        new_run = ordered[..., 1:] != ordered[..., :-1]
        self.runs = None
        if not new_run.all():
            flags = numpy.concatenate(
                [numpy.ones(new_run.shape[:-1] + (1,), bool), new_run], axis=-1
            ).ravel()
            starts = numpy.flatnonzero(flags)
            self.runs = (
                starts,
                numpy.diff(numpy.append(starts, flags.size)),
                numpy.cumsum(flags) - 1,
            )

    def average_ties(self, v):
        """`v` (sorted order, axis last) with each run of ties replaced by its mean."""
        if self.runs is None:
            return v
        starts, lengths, run_of = self.runs
        flat = v.reshape(v.shape[: v.ndim - self.ndim] + (-1,))
        means = numpy.add.reduceat(flat, starts, axis=-1) / lengths.astype(v.dtype)
        return means[..., run_of].reshape(v.shape)

    def index(self, v):
        return self.perm.reshape((1,) * (v.ndim - self.ndim) + self.perm.shape)


def _unsort(g, order):
    """The gradient of `x` from that of ``sort(x)``: ties averaged, then un-permuted."""
    g = order.average_ties(numpy.moveaxis(numpy.asarray(g), order.axis, -1))
    out = numpy.empty_like(g)
    numpy.put_along_axis(out, order.index(g), g, axis=-1)
    return numpy.moveaxis(out, -1, order.axis)


def _sort_tangent(t, order):
    """The tangent of ``sort(x)`` from that of `x`: permuted, then ties averaged."""
    t = numpy.moveaxis(numpy.asarray(t), order.axis, -1)
    t = order.average_ties(numpy.take_along_axis(t, order.index(t), axis=-1))
    return numpy.moveaxis(t, -1, order.axis)


def _linear_rules(name, transpose):
    """The vjp and jvp of the op `name`, linear in its input, whose transpose is the op
    `transpose`."""

    def vjp(xp, g, ans, t, order):
        return getattr(xp, transpose)(g, order=order)

    def jvp(xp, t, ans, x, order):
        return getattr(xp, name)(t, order=order)

    return vjp, jvp


# both are linear in their input, and each other's transpose
for _name, _kernel, _transpose in (
    ('unsort', _unsort, 'sort_tangent'),
    ('sort_tangent', _sort_tangent, 'unsort'),
):
    op(_name, _kernel, *_linear_rules(_name, _transpose), save='shapes', export=None)


def _sort(a, axis=-1):
    return numpy.sort(a, axis=axis)


def _sort_axis(x, axis):
    return neg_axis(axis, x.ndim)


op(
    'sort',
    _sort,
    lambda xp, g, ans, x, axis=-1: xp.unsort(g, order=_Order(x, _sort_axis(x, axis))),
    lambda xp, t, ans, x, axis=-1: xp.sort_tangent(t, order=_Order(x, _sort_axis(x, axis))),
    export=None,
)


@composite()
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """A sorted copy of `a` along `axis` (None: flattened first).

    Its gradient routes each sorted position's gradient back to the element that
    landed there; tied elements share the gradients of their positions evenly.

    >>> np.sort(np.array([3., 1., 2.]))
    array([1., 2., 3.])
    """
    if order is not None:
        raise ValueError(
            'order= sorts structured arrays by field, which ndgrad arrays do '
            'not have: sort a plain array instead'
        )
    if axis is None:
        return P.sort(P.reshape(a, (-1,)), axis=-1)
    return P.sort(a, axis=axis)


# --- order statistics: median, quantile, percentile ----------------------------------------


def _shape(a):
    return a.shape if hasattr(a, 'shape') else numpy.shape(a)


def _sorted_last(a, axis):
    """`a` with the reduced axes flattened into one last axis, sorted along it."""
    shape = _shape(a)
    nd = len(shape)
    axes = [x + nd for x in negative_axes(axis, nd)]
    kept = [i for i in range(nd) if i not in axes]
    if kept + axes != list(range(nd)):
        a = P.transpose(a, tuple(kept + axes))
    a = P.reshape(a, tuple(shape[i] for i in kept) + (-1,))
    return P.sort(a, axis=-1), tuple(axes), shape


def _nan_if_any(s, result, extra):
    """NumPy's order statistics are NaN for a slice holding a NaN (sorted last)."""
    last = numpy.asarray(s)[..., -1]
    if not numpy.isnan(last).any():
        return result
    return P.where(numpy.reshape(numpy.isnan(last), last.shape + (1,) * extra), numpy.nan, result)


def _finish(result, qdim, axes, shape, keepdims):
    """Move the quantile axes in front (NumPy's layout) and restore kept axes."""
    nd = result.ndim
    if qdim:
        result = P.transpose(result, tuple(range(nd - qdim, nd)) + tuple(range(nd - qdim)))
    if keepdims:
        result = P.reshape(
            result, result.shape[:qdim] + kept_shape(shape, tuple(a - len(shape) for a in axes))
        )
    return result


@composite()
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along `axis`: the middle element, or the mean of the two middle
    elements of an even count (each gets half the gradient). Tied elements share
    the gradient evenly.

    >>> np.median(np.array([4., 1., 3., 2.]))
    array(2.5)
    """
    no_out(out, 'median')
    s, axes, shape = _sorted_last(a, axis)
    n = s.shape[-1]
    if n == 0:
        return P.mean(a, axis=axis, keepdims=keepdims)  # NaN with NumPy's warning
    half = n // 2
    if n % 2:
        result = P.getitem(s, index=(Ellipsis, half))
    else:
        result = (
            P.getitem(s, index=(Ellipsis, half - 1)) + P.getitem(s, index=(Ellipsis, half))
        ) * 0.5
    return _finish(_nan_if_any(s, result, 0), 0, axes, shape, keepdims)


_METHODS = ('linear', 'lower', 'higher', 'midpoint', 'nearest')


def _quantile(a, q, axis, method, keepdims, scale, name, skipna=False, out=None, weights=None):
    no_out(out, name)
    if weights is not None:
        raise NotImplementedError(f'np.{name}(..., weights=...) is not supported')
    if method not in _METHODS:
        raise ValueError(
            f'np.{name} supports method= {", ".join(map(repr, _METHODS))}; got {method!r}'
        )
    q_raw = numpy.asarray(q, dtype=float) / scale
    if not (numpy.all(q_raw >= 0) and numpy.all(q_raw <= 1)):
        limit = '[0, 1]' if scale == 1 else '[0, 100]'
        raise ValueError(
            f'{"Quantiles" if scale == 1 else "Percentiles"} must be in the range {limit}'
        )
    s, axes, shape = _sorted_last(a, axis)
    n = s.shape[-1]
    if n == 0:
        raise IndexError(f'np.{name} of an empty slice: there is no element to choose')
    if skipna:  # per slice, how many numbers it holds (NaNs sort last)
        n = _numbers(s, q_raw.ndim)
    virtual = q_raw * (n - 1)
    lo = _position(numpy.floor(virtual))
    hi = numpy.minimum(lo + 1, numpy.maximum(n - 1, 0))

    def at(index):
        if skipna:  # a position per slice and quantile
            return P.getitem(s, index=_per_slice(s.shape[:-1], q_raw.ndim) + (index,))
        return P.getitem(s, index=(Ellipsis, index if index.ndim else int(index)))

    def fraction(value):
        # a Python number q keeps a float32 input float32, as in NumPy
        if type(q) not in (int, float):
            return value
        return float(value) if numpy.ndim(value) == 0 else numpy.asarray(value, s.dtype)

    if method == 'lower':
        result = at(lo)
    elif method == 'higher':
        result = at(_position(numpy.ceil(virtual)))
    elif method == 'nearest':
        result = at(_position(numpy.around(virtual)))
    elif method == 'midpoint':
        result = at(lo) + (at(hi) - at(lo)) * fraction(numpy.where(virtual == lo, 0.0, 0.5))
    else:
        # a gradient reaches q when it is a recorded array
        gamma = (q / scale) * (n - 1) - lo if hasattr(q, '_node') else fraction(virtual - lo)
        below = at(lo)
        result = below + (at(hi) - below) * gamma
    result = _nan_if_empty(n, result) if skipna else _nan_if_any(s, result, q_raw.ndim)
    return _finish(result, q_raw.ndim, axes, shape, keepdims)


def _position(v):
    return numpy.maximum(v, 0).astype(numpy.intp)


def _numbers(s, qdim):
    """The count of non-NaN elements of each sorted slice, with `qdim` trailing axes."""
    count = numpy.logical_not(numpy.isnan(numpy.asarray(s))).sum(axis=-1)
    return count.reshape(count.shape + (1,) * qdim)


def _per_slice(kept, qdim):
    """Index arrays picking each slice of a `kept`-shaped stack (then `qdim` axes)."""
    nd = len(kept)
    return tuple(
        numpy.arange(k).reshape((1,) * i + (k,) + (1,) * (nd - i - 1 + qdim))
        for i, k in enumerate(kept)
    )


def _nan_if_empty(n, result):
    """NaN, with NumPy's warning, for slices with no number."""
    if not (n == 0).any():
        return result
    warnings.warn('All-NaN slice encountered', RuntimeWarning, stacklevel=5)
    return P.where(n == 0, numpy.nan, result)


def _quantile_function(name, scale, skipna, doc):
    """The public `name`: `_quantile` with `q` in ``[0, scale]``, NaNs skipped or not."""

    def quantile_like(a, q, axis=None, out=None, overwrite_input=False,
                      method='linear', keepdims=False, *, weights=None):  # fmt: skip
        return _quantile(
            a, q, axis, method, keepdims, scale, name, skipna=skipna, out=out, weights=weights
        )

    quantile_like.__name__ = quantile_like.__qualname__ = name
    quantile_like.__doc__ = doc
    return composite()(quantile_like)


quantile = _quantile_function(
    'quantile',
    1,
    False,
    """The `q`-th quantiles (``0 <= q <= 1``) along `axis`, by NumPy's methods
    'linear' (default: interpolating between the two nearest sorted elements, also
    differentiable in `q`), 'lower', 'higher', 'midpoint' and 'nearest'.

    >>> np.quantile(np.array([1., 2., 3., 4.]), 0.5)
    array(2.5)
    """,
)
percentile = _quantile_function(
    'percentile',
    100,
    False,
    """The `q`-th percentiles (``0 <= q <= 100``); see `quantile`.

    >>> np.percentile(np.array([1., 2., 3., 4.]), 50)
    array(2.5)
    """,
)
nanquantile = _quantile_function(
    'nanquantile',
    1,
    True,
    """`quantile` ignoring NaNs (NaN for a slice of NaNs only).

    >>> np.nanquantile(np.array([1., np.nan, 3.]), 0.5)
    array(2.)
    """,
)
nanpercentile = _quantile_function(
    'nanpercentile',
    100,
    True,
    """`percentile` ignoring NaNs.

    >>> np.nanpercentile(np.array([1., np.nan, 3.]), 50)
    array(2.)
    """,
)


@composite()
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`median` ignoring NaNs.

    >>> np.nanmedian(np.array([4., np.nan, 1., 2.]))
    array(2.)
    """
    no_out(out, 'nanmedian')
    return _quantile(a, 0.5, axis, 'linear', keepdims, 1, 'nanmedian', skipna=True)


# --- moments -----------------------------------------------------------------------------


def _moment_input(a, dtype, ddof, correction):
    """`a` cast to `dtype`, and `ddof` (or NumPy 2's `correction`, its other name)."""
    if correction is not None:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    if dtype is not None:
        a = P.astype(a, dtype)
    return a, ddof


@composite()
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """The variance, ``sum((a - mean)**2) / (n - ddof)`` (``correction`` is NumPy 2's
    name for `ddof`).

    >>> np.var(np.array([1., 2., 3., 4.]), ddof=1)
    array(1.6666666)
    """
    no_out(out, 'var')
    a, ddof = _moment_input(a, dtype, ddof, correction)
    n = reduced_size(_shape(a), axis)
    deviation = a - P.mean(a, axis=axis, keepdims=True)
    total = P.sum(P.square(deviation), axis=axis, keepdims=keepdims)
    if n - ddof <= 0:
        warnings.warn('Degrees of freedom <= 0 for slice', RuntimeWarning, stacklevel=3)
    return total / max(n - ddof, 0)


@composite()
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """The standard deviation, ``sqrt(var(a, axis, ddof=ddof))``. Where every element
    of a slice is equal its gradient is 0 (a subgradient; see the module's docstring).

    >>> np.std(np.array([1., 3.]))
    array(1.)
    """
    no_out(out, 'std')
    return _root(
        var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, correction=correction)
    )


@composite()
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """`var` ignoring NaNs (which get gradient 0).

    >>> np.nanvar(np.array([1., np.nan, 3.]))
    array(1.)
    """
    no_out(out, 'nanvar')
    a, ddof = _moment_input(a, dtype, ddof, correction)
    values = numpy.asarray(a)
    present = numpy.logical_not(numpy.isnan(values))
    kind = values.dtype if values.dtype.kind == 'f' else numpy.dtype(numpy.float64)
    n = present.sum(axis=axis, keepdims=True).astype(kind)  # (a constant: counts)
    mean = P.sum(P.where(present, a, 0), axis=axis, keepdims=True) / n
    deviation = P.where(present, a - mean, 0)
    total = P.sum(P.square(deviation), axis=axis, keepdims=keepdims)
    dof = present.sum(axis=axis, keepdims=keepdims) - ddof
    if numpy.any(dof <= 0):
        warnings.warn('Degrees of freedom <= 0 for slice.', RuntimeWarning, stacklevel=3)
    return total / numpy.where(dof > 0, dof, numpy.nan).astype(total.dtype)


@composite()
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None):
    """`std` ignoring NaNs.

    >>> np.nanstd(np.array([1., np.nan, 3.]))
    array(1.)
    """
    no_out(out, 'nanstd')
    return _root(
        nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, correction=correction)
    )


@composite()
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """`prod` treating NaNs as 1 (they get gradient 0).

    >>> np.nanprod(np.array([2., np.nan, 3.]))
    array(6.)
    """
    no_out(out, 'nanprod')
    if initial is not None or where is not None:
        raise NotImplementedError('np.nanprod(..., initial=, where=) is not supported')
    return P.prod(P.where(P.isnan(a), 1, a), axis=axis, dtype=dtype, keepdims=keepdims)


def _root(v):
    """``sqrt(v)`` for ``v >= 0``, with derivatives 0 (not ``sqrt'(0) = inf``) where
    ``v == 0``: sqrt runs on 1 there, and its result and gradient are masked out.

    >>> func.grad(lambda v: _root(v).sum())(np.array([0., 4.]))
    array([0.  , 0.25])
    """
    nonzero = v != 0  # (NaN and inf pass: their sqrt is theirs)
    return P.where(nonzero, P.sqrt(P.where(nonzero, v, 1)), 0)


@composite()
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The weighted mean ``sum(a * w) / sum(w)`` along `axis` (the plain mean without
    `weights`); differentiable in `a` and `weights`. `weights` has the shape of `a`,
    or is 1-D along an integer `axis`. ``returned=True`` also gives ``sum(w)``.

    >>> np.average(np.array([1., 3.]), weights=np.array([3., 1.]))
    array(1.5)
    """
    shape = _shape(a)
    if weights is None:
        avg = P.mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        count = reduced_size(shape, axis)
        return avg, P.full_like(avg, count)
    w_shape = _shape(weights)
    if w_shape != shape:
        if axis is None:
            raise TypeError('Axis must be specified when shapes of a and weights differ.')
        if len(w_shape) != 1:
            raise TypeError('1D weights expected when shapes of a and weights differ.')
        if isinstance(axis, (tuple, list)) or w_shape[0] != shape[axis]:
            raise ValueError(
                'Shape of weights must be consistent with shape of a along specified axis.'
            )
        axis = axis - len(shape) if axis >= 0 else axis
        weights = P.reshape(weights, w_shape + (1,) * (-axis - 1))
    total = P.sum(weights, axis=axis, keepdims=keepdims and w_shape == shape)
    if numpy.any(numpy.asarray(total) == 0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = P.sum(a * weights, axis=axis, keepdims=keepdims) / total
    if returned and total.shape != avg.shape:
        total = P.broadcast_to(total, avg.shape)
    return (avg, total) if returned else avg


# --- logsumexp --------------------------------------------------------------------------


def _logsumexp(a, axis=None, keepdims=False):
    a = as_data(a)
    top = numpy.max(a, axis=axis, keepdims=True)
    top = numpy.where(numpy.isfinite(top), top, 0)
    total = numpy.sum(numpy.exp(a - top), axis=axis, keepdims=keepdims)
    return numpy.log(total) + (top if keepdims else numpy.reshape(top, numpy.shape(total)))


def _logsumexp_vjp(xp, g, ans, x, axis=None, keepdims=False):
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    return g * xp.exp(x - _kept(xp, ans, x.shape, axes))


def _logsumexp_jvp(xp, t, ans, x, axis=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    return xp.sum(t * xp.exp(x - _kept(xp, ans, x.shape, axes)), axis=axes, keepdims=keepdims)


op('logsumexp', _logsumexp, _logsumexp_vjp, _logsumexp_jvp, save='both', export='npx')


@composite(name='logsumexp')
def logsumexp_(a, axis=None, keepdims=False):
    """``log(sum(exp(a), axis))`` computed without overflow; its gradient is the
    softmax of `a` along `axis`. NumPy itself has no logsumexp (SciPy has
    ``scipy.special.logsumexp``); ndgrad offers the same function as
    ``np.logsumexp`` and ``npx.logsumexp``.

    >>> np.logsumexp(np.array([0., 0.]))
    array(0.6931472)
    """
    return P.logsumexp(a, axis=axis, keepdims=keepdims)

"""Helpers shared by derivative rules. All are batch-transparent: `g` may carry
extra leading axes (the batch axes of a vectorized Jacobian)."""

import functools

import numpy

from .._backend import kind
from .._graph import PerInput  # noqa: F401  (rules of variadic ops)
from .._ndarray import ndarray, wrap


def times_into(g, d):
    """``g * d`` for `d`, a NumPy buffer the rule has just made (plain backward passes
    only): written into `d` where the product fits it, so a large activation's
    gradient costs one new buffer instead of two.

    >>> d = numpy.array([1., 2.]); times_into(numpy.array([3., 3.]), d) is d
    True
    """
    if g.shape == d.shape and g.dtype == d.dtype:
        return numpy.multiply(g, d, out=d)
    return g * d


def batch_shape(g, ans):
    """The leading batch axes of `g`, a gradient (or tangent) shaped like `ans`."""
    return g.shape[: g.ndim - len(ans.shape)]


def negative_axes(axis, ndim):
    """`axis` (None, int or tuple) as a sorted tuple of negative axes of an ndim array."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    return tuple(sorted(a - ndim if a >= 0 else a for a in (int(a) for a in axis)))


def kept_shape(shape, axis):
    """`shape` with the reduced axes (negative, from `negative_axes`) set to 1."""
    ndim = len(shape)
    return tuple(1 if i - ndim in axis else s for i, s in enumerate(shape))


def unreduce(xp, g, ans, x_shape, axis, keepdims):
    """Give the gradient of a reduction size-1 axes where the input was reduced.

    The engine then broadcasts it to the input's shape.
    """
    axes = negative_axes(axis, len(x_shape))
    if keepdims:
        return g, axes
    return xp.reshape(g, batch_shape(g, ans) + kept_shape(x_shape, axes)), axes


def neg_axis(axis, ndim):
    """`axis` of an ndim array as a negative axis (batch-transparent)."""
    return axis - ndim if axis >= 0 else axis


def reduced_size(shape, axis):
    """How many elements of `shape` a reduction over `axis` (None, int or tuple) combines.

    >>> reduced_size((2, 3, 4), (0, -1))
    8
    """
    n = 1
    for a in negative_axes(axis, len(shape)):
        n *= shape[a]
    return n


def inverse_permutation(perm):
    """The permutation that undoes `perm` (``transpose(transpose(x, perm), inverse)``).

    >>> inverse_permutation((2, 0, 1))
    (1, 2, 0)
    """
    return tuple(int(i) for i in numpy.argsort(perm))


def as_array(a):
    """`a` itself if an ndgrad array, else as a NumPy array (no history either way)."""
    return a if type(a) is ndarray else numpy.asarray(a)


def as_data(a):
    """`a` as a data array: NumPy's ``asarray``, but Dask and CuPy arrays kept as they are
    (a Dask array is not computed).

    >>> as_data([1, 2])
    array([1, 2])
    """
    if type(a) is numpy.ndarray:
        return a
    return a if kind(a) != 'numpy' else numpy.asarray(a)


def as_ndgrad(a):
    """`a` as an ndgrad array (a constant when it is not one already)."""
    return a if type(a) is ndarray else wrap(numpy.asarray(a))


def no_out(out, name):
    """Refuse NumPy's ``out=`` on a composite op, which returns a new array instead.

    >>> no_out(None, 'median')
    >>> no_out(numpy.zeros(1), 'median')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: np.median(..., out=...) is not supported: assign the result instead ...
    """
    if out is not None:
        raise TypeError(
            f'np.{name}(..., out=...) is not supported: assign the result instead '
            f'(y = np.{name}(...))'
        )


def lanes(shape, axis, keep=True):
    """Index arrays enumerating every axis of `shape` but `axis` (non-negative), split
    into those before and after it: with an index array ``i`` along `axis`,
    ``before + (i,) + after`` reads ``x[..., i, ...]`` lane by lane. They broadcast
    against an ``i`` of `shape`'s rank (`keep`) or of one less. Read-only: shared
    between calls (cached for shapes of modest size).

    >>> before, after = lanes((2, 3), 1)
    >>> before[0].ravel().tolist(), after
    ([0, 1], ())
    """
    if sum(shape) <= 1 << 16:
        return _cached_lanes(shape, axis, keep)
    return _lanes(shape, axis, keep)


def _lanes(shape, axis, keep):
    rank = len(shape) if keep else len(shape) - 1
    ranges = []
    for i, n in enumerate(shape):
        if i != axis:
            at = i if keep or i < axis else i - 1  # its position among the index's axes
            r = numpy.arange(n).reshape((n,) + (1,) * (rank - 1 - at))
            r.flags.writeable = False
            ranges.append(r)
    return tuple(ranges[:axis]), tuple(ranges[axis:])


_cached_lanes = functools.lru_cache(maxsize=128)(_lanes)

"""Shape and data movement: reshaping, joining, splitting, tiling, flipping, padding.

A few linear primitives (reshape, transpose, broadcast_to, concatenate, stack,
split, flip, roll, constant pad) carry the rules; the rest of NumPy's functions
are composed from them and from indexing. Rules are batch-transparent: shapes
come from the saved input, with the batch axes of `g` kept in front.

>>> x = np.arange(6.).reshape(2, 3); x.attach_grad()
>>> with autograd.record():
...     y = (np.tile(x, (2, 1)) * np.arange(12.).reshape(4, 3)).sum()
>>> y.backward(); x.grad
array([[ 6.,  8., 10.],
       [12., 14., 16.]])
"""

import itertools

import numpy
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from .._backend import kind
from .._ndarray import ndarray, wrap
from .._primitive import REC as P, composite, op
from ._util import (
    PerInput,
    as_array,
    as_ndgrad,
    batch_shape,
    inverse_permutation,
    neg_axis,
    negative_axes,
    no_out,
)
from .reduction import median


def _slab(axis, ndim, item):
    """An index taking `item` (an int or a slice) along negative `axis` (batch-safe)."""
    ax = neg_axis(axis, ndim)
    return (Ellipsis, item) + (slice(None),) * (-ax - 1)


# --- reshape, transpose, broadcast_to ------------------------------------------------------------


def _reshape_vjp(xp, g, ans, x, shape):
    return xp.reshape(g, batch_shape(g, ans) + x.shape)


def _reshape_jvp(xp, t, ans, x, shape):
    return xp.reshape(t, t.shape[: t.ndim - x.ndim] + ans.shape)


def _perm(axes, ndim):
    return tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)


def _transpose_vjp(xp, g, ans, x, axes=None):
    perm = _perm(axes, x.ndim)
    nb = g.ndim - x.ndim
    return xp.transpose(g, tuple(range(nb)) + tuple(nb + i for i in inverse_permutation(perm)))


def _transpose_jvp(xp, t, ans, x, axes=None):
    nb = t.ndim - x.ndim
    return xp.transpose(t, tuple(range(nb)) + tuple(nb + i for i in _perm(axes, x.ndim)))


def _broadcast_to_jvp(xp, t, ans, x, shape):
    nb, pad = t.ndim - x.ndim, len(shape) - x.ndim
    if nb and pad:  # new axes go between the batch axes and the input's axes
        t = xp.reshape(t, t.shape[:nb] + (1,) * pad + t.shape[nb:])
    return xp.broadcast_to(t, t.shape[:nb] + tuple(shape))


def _reshape(x, shape):
    # (a NumPy array's or scalar's own method: numpy.reshape's Python layers cost more
    # than a small array's reshape, on every reduction's backward)
    if type(x) is numpy.ndarray or isinstance(x, numpy.generic):
        return x.reshape(shape)
    return numpy.reshape(x, shape)


_NUMBERS = (numpy.number, numpy.bool_)  # (NumPy scalars whose buffer is their value)


def _broadcast_to(x, shape):
    """numpy.broadcast_to; a single NumPy element (a loss's gradient on its way back to
    the elements of a sum or mean) as a read-only view of stride 0, without
    numpy.broadcast_to's Python layers (3x its cost)."""
    if (
        ((type(x) is numpy.ndarray and x.size == 1) or isinstance(x, _NUMBERS))
        and type(shape) is tuple
        and x.ndim <= len(shape)
        and -1 not in shape  # (which numpy.ndarray reads as "as long as the buffer")
    ):
        view = numpy.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return numpy.broadcast_to(x, shape)


op(
    'reshape',
    _reshape,
    _reshape_vjp,
    _reshape_jvp,
    save='shapes',
    export=None,
)
op('transpose', numpy.transpose, _transpose_vjp, _transpose_jvp, save='shapes', export=None)
op(
    'broadcast_to',
    _broadcast_to,
    lambda xp, g, ans, x, shape: g,
    _broadcast_to_jvp,
    save='shapes',
    export=None,
)
op(
    'swapaxes',
    numpy.swapaxes,
    lambda xp, g, ans, x, a, b: xp.swapaxes(g, neg_axis(a, x.ndim), neg_axis(b, x.ndim)),
    lambda xp, t, ans, x, a, b: xp.swapaxes(t, neg_axis(a, x.ndim), neg_axis(b, x.ndim)),
    save='shapes',
    export=None,
)
op(
    'expand_dims',
    numpy.expand_dims,
    lambda xp, g, ans, x, axis: xp.reshape(g, g.shape[: g.ndim - ans.ndim] + x.shape),
    lambda xp, t, ans, x, axis: xp.reshape(t, t.shape[: t.ndim - x.ndim] + ans.shape),
    save='shapes',
    export=None,
)
op(
    'squeeze',
    numpy.squeeze,
    lambda xp, g, ans, x, axis=None: xp.reshape(g, g.shape[: g.ndim - ans.ndim] + x.shape),
    lambda xp, t, ans, x, axis=None: xp.reshape(t, t.shape[: t.ndim - x.ndim] + ans.shape),
    save='shapes',
    export=None,
)


@composite()
def reshape(a, shape=None, order='C', *, newshape=None, copy=None):
    """`a` with a new shape (one dimension may be -1); ``order='F'`` reads and
    writes the elements in column-major order.

    >>> np.reshape(np.arange(6.), (2, -1))
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    shape = shape if newshape is None else newshape
    if shape is None:
        raise TypeError("reshape() missing required argument 'shape'")
    shape = (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
    if order == 'A':
        order = 'F' if numpy.isfortran(numpy.asarray(a)) else 'C'
    if order == 'F':
        return P.transpose(P.reshape(P.transpose(a), shape[::-1]))
    if order != 'C':
        raise ValueError(f"order must be one of 'C', 'F', 'A', not {order!r}")
    return P.reshape(a, shape)


@composite()
def ravel(a, order='C'):
    """`a` flattened to one dimension.

    >>> np.ravel(np.ones((2, 2)))
    array([1., 1., 1., 1.])
    """
    return reshape(a, (-1,), order=order)


@composite()
def transpose(a, axes=None):
    """`a` with its axes permuted (reversed by default).

    >>> np.transpose(np.ones((2, 3))).shape
    (3, 2)
    """
    return P.transpose(a, None if axes is None else tuple(axes))


@composite()
def moveaxis(a, source, destination):
    """`a` with the axes `source` moved to `destination`, the others in order.

    >>> np.moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = as_array(a)
    source = normalize_axis_tuple(source, a.ndim, 'source')
    destination = normalize_axis_tuple(destination, a.ndim, 'destination')
    if len(source) != len(destination):
        raise ValueError(
            '`source` and `destination` arguments must have the same number of elements'
        )
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return P.transpose(a, tuple(order))


@composite()
def swapaxes(a, axis1, axis2):
    """`a` with two axes interchanged.

    >>> np.swapaxes(np.zeros((2, 3)), 0, 1).shape
    (3, 2)
    """
    return P.swapaxes(a, axis1, axis2)


@composite()
def expand_dims(a, axis):
    """`a` with new size-1 axes at `axis` (an int or a tuple).

    >>> np.expand_dims(np.zeros(3), 0).shape
    (1, 3)
    """
    return P.expand_dims(a, axis)


@composite()
def squeeze(a, axis=None):
    """`a` without its size-1 axes (or only those in `axis`).

    >>> np.squeeze(np.zeros((1, 3, 1))).shape
    (3,)
    """
    return P.squeeze(a, axis)


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, (int, numpy.integer)) else tuple(shape)


@composite()
def broadcast_to(array, shape, subok=False):
    """`array` broadcast to `shape` (a read-only view); its gradient sums the copies.

    >>> np.broadcast_to(np.array([1., 2.]), (2, 2))
    array([[1., 2.],
           [1., 2.]])
    """
    return P.broadcast_to(array, _shape_tuple(shape))


@composite()
def broadcast_arrays(*args, subok=False):
    """The arrays broadcast against each other (a tuple, as NumPy 2 returns).

    >>> [a.shape for a in np.broadcast_arrays(np.zeros(3), np.zeros((2, 1)))]
    [(2, 3), (2, 3)]
    """
    args = [as_ndgrad(a) for a in args]
    shape = numpy.broadcast_shapes(*(a.shape for a in args))
    return tuple(a if a.shape == shape else P.broadcast_to(a, shape) for a in args)


def _atleast(arys, ndim, pad):
    out = []
    for a in arys:
        a = as_ndgrad(a)
        if a.ndim < ndim:
            a = P.reshape(a, pad(a.shape))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


@composite()
def atleast_1d(*arys):
    """The inputs with at least one dimension (0-d becomes shape (1,)).

    >>> np.atleast_1d(np.array(2.)).shape
    (1,)
    """
    return _atleast(arys, 1, lambda s: (1,))


@composite()
def atleast_2d(*arys):
    """The inputs with at least two dimensions: (n,) becomes (1, n).

    >>> np.atleast_2d(np.zeros(3)).shape
    (1, 3)
    """
    return _atleast(arys, 2, lambda s: (1,) * (2 - len(s)) + s)


@composite()
def atleast_3d(*arys):
    """The inputs with at least three dimensions: (n,) becomes (1, n, 1), (m, n)
    becomes (m, n, 1).

    >>> np.atleast_3d(np.zeros(3)).shape
    (1, 3, 1)
    """
    return _atleast(arys, 3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


# --- joining --------------------------------------------------------------------------------------


def _concat_index(i, xs, axis):
    ndim = xs[0].ndim
    ax = neg_axis(axis, ndim)
    start = sum(x.shape[ax] for x in xs[:i])
    return _slab(ax, ndim, slice(start, start + xs[i].shape[ax]))


def _stack_index(i, xs, axis):
    ndim = xs[0].ndim + 1
    return _slab(neg_axis(axis, ndim), ndim, i)


def _slab_rules(slab_index):
    """vjp and jvp rules of a join op whose input i fills ``slab_index(i, xs, axis)`` of
    the output: the vjp reads that slab of g; the jvp puts input i's tangent there, with
    zeros elsewhere."""

    def vjp(i):
        def rule(xp, g, ans, *xs, axis=0):
            return xp.getitem(g, index=slab_index(i, xs, axis))

        return rule

    def jvp(i):
        def rule(xp, t, ans, *xs, axis=0):
            return xp.scatter(
                t, index=slab_index(i, xs, axis), shape=ans.shape, nbatch=t.ndim - xs[i].ndim
            )

        return rule

    return PerInput(vjp), PerInput(jvp)


op(
    'concatenate',
    lambda *xs, axis=0: numpy.concatenate(xs, axis=axis),
    *_slab_rules(_concat_index),
    save='shapes',
    export=None,
)


def _stack(*xs, axis=0):
    """numpy.stack; along the first axis one numpy.array call, ten times faster for many
    small arrays (summing an array's elements one by one stacks a gradient per element);
    Dask and CuPy arrays are stacked by their own numpy.stack."""
    if xs and axis in (0, -1 - numpy.ndim(xs[0])) and kind(xs[0]) == 'numpy':
        try:
            out = numpy.array(xs)
        except ValueError:  # shapes that differ: numpy.stack's message says so
            out = None
        if out is not None and out.shape[1:] == numpy.shape(xs[0]):
            return out
    return numpy.stack(xs, axis=axis)


op('stack', _stack, *_slab_rules(_stack_index), save='shapes', export=None)


def _joinable(arrays, dtype):
    arrays = [as_array(a) for a in arrays]
    if dtype is not None:
        arrays = [P.astype(a, dtype) for a in arrays]
    return arrays


@composite(sequence='arrays')
def concatenate(arrays, axis=0, out=None, dtype=None, casting='same_kind'):
    """Join arrays along an existing axis (``axis=None`` flattens them first).

    >>> np.concatenate([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    no_out(out, 'concatenate')
    arrays = _joinable(arrays, dtype)
    if axis is None:
        return P.concatenate(*[P.reshape(a, (-1,)) for a in arrays], axis=0)
    return P.concatenate(*arrays, axis=axis)


@composite(sequence='arrays')
def stack(arrays, axis=0, out=None, *, dtype=None, casting='same_kind'):
    """Join same-shaped arrays along a new axis.

    >>> np.stack([np.zeros(2), np.ones(2)], axis=1)
    array([[0., 1.],
           [0., 1.]])
    """
    no_out(out, 'stack')
    return P.stack(*_joinable(arrays, dtype), axis=axis)


def _sequence(tup, name):
    if not isinstance(tup, (list, tuple, ndarray, numpy.ndarray)):
        raise TypeError(
            f'np.{name} needs a sequence of arrays (a list or a tuple), not {type(tup).__name__}'
        )
    return list(tup)


@composite(sequence='tup')
def vstack(tup, *, dtype=None, casting='same_kind'):
    """Stack arrays row-wise: 1-d arrays become rows.

    >>> np.vstack([np.zeros(2), np.ones(2)]).shape
    (2, 2)
    """
    arrays = atleast_2d(*_sequence(tup, 'vstack'))
    return concatenate(arrays if isinstance(arrays, tuple) else [arrays], 0, dtype=dtype)


@composite(sequence='tup')
def hstack(tup, *, dtype=None, casting='same_kind'):
    """Stack arrays column-wise (along the first axis for 1-d arrays).

    >>> np.hstack([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    arrays = atleast_1d(*_sequence(tup, 'hstack'))
    arrays = arrays if isinstance(arrays, tuple) else [arrays]
    return concatenate(arrays, 0 if arrays and arrays[0].ndim == 1 else 1, dtype=dtype)


@composite(sequence='tup')
def dstack(tup):
    """Stack arrays along the third axis.

    >>> np.dstack([np.zeros((2, 2)), np.ones((2, 2))]).shape
    (2, 2, 2)
    """
    arrays = atleast_3d(*_sequence(tup, 'dstack'))
    return concatenate(arrays if isinstance(arrays, tuple) else [arrays], 2)


@composite(sequence='tup')
def column_stack(tup):
    """Stack 1-d arrays as columns of a 2-d array (2-d arrays as they are).

    >>> np.column_stack([np.zeros(3), np.ones(3)]).shape
    (3, 2)
    """
    arrays = []
    for a in _sequence(tup, 'column_stack'):
        a = as_ndgrad(a)
        arrays.append(P.reshape(a, (-1, 1)) if a.ndim < 2 else a)
    return concatenate(arrays, 1)


# --- splitting ------------------------------------------------------------------------------------


def _split(x, pieces, axis):
    return tuple(x[_slab(axis, x.ndim, piece)] for piece in pieces)


def _tiles(pieces, n):
    """Whether the pieces cover ``range(n)`` in order, without overlap."""
    stop = 0
    for piece in pieces:
        start, end, _ = piece.indices(n)
        if start != stop:
            return False
        stop = max(start, end)
    return stop == n


def _split_vjp(xp, g, ans, x, pieces, axis):
    ax = neg_axis(axis, x.ndim)
    if _tiles(pieces, x.shape[ax]):
        return xp.concatenate(*g, axis=ax)
    nb = g[0].ndim - x.ndim  # every piece has x's ndim
    total = None
    for gi, piece in zip(g, pieces):
        part = xp.scatter(gi, index=_slab(ax, x.ndim, piece), shape=x.shape, nbatch=nb)
        total = part if total is None else total + part
    return total


def _split_jvp(xp, t, ans, x, pieces, axis):
    return tuple(xp.getitem(t, index=_slab(axis, x.ndim, piece)) for piece in pieces)


# nout=None: the kernel returns a tuple whose length depends on the arguments
op('split', _split, _split_vjp, _split_jvp, save='shapes', nout=None, export=None)


def _unstack(x, axis):
    moved = numpy.moveaxis(x, axis, 0)
    return tuple(moved[i, ...] for i in range(moved.shape[0]))


# one node for all the slices (iteration under record() uses it): a gradient reaching a
# slice is kept in that slice's slot until the stack of them all is needed
op(
    'unstack',
    _unstack,
    lambda xp, g, ans, x, axis: xp.stack(*g, axis=axis),
    lambda xp, t, ans, x, axis: xp.unstack(t, axis),
    save='shapes',
    nout=None,
    export=None,
)


@composite()
def unstack(x, /, *, axis=0):
    """The slices of `x` along `axis`, as a tuple (iterating an array gives the same).

    >>> [a.shape for a in np.unstack(np.zeros((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    x = as_array(x)
    if x.ndim == 0:
        raise ValueError('Input array must be at least 1-d.')
    return P.unstack(x, normalize_axis_index(axis, x.ndim) - x.ndim)


def _split_pieces(n, indices_or_sections, equal):
    if numpy.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError('number sections must be larger than 0.')
        each, extra = divmod(n, sections)
        if equal and extra:
            raise ValueError('array split does not result in an equal division')
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = numpy.cumsum([0] + sizes).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    return tuple(slice(a, b) for a, b in itertools.pairwise(bounds))


def _do_split(ary, indices_or_sections, axis, equal):
    ary = as_array(ary)
    axis = normalize_axis_index(axis, ary.ndim)
    pieces = _split_pieces(ary.shape[axis], indices_or_sections, equal)
    return list(P.split(ary, pieces, axis - ary.ndim))


@composite()
def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given indices (a list).

    >>> [p.shape for p in np.split(np.zeros(6), 3)]
    [(2,), (2,), (2,)]
    """
    return _do_split(ary, indices_or_sections, axis, equal=True)


@composite()
def array_split(ary, indices_or_sections, axis=0):
    """Like `split`, but an int need not divide the axis evenly.

    >>> [p.shape for p in np.array_split(np.zeros(5), 2)]
    [(3,), (2,)]
    """
    return _do_split(ary, indices_or_sections, axis, equal=False)


def _split_along(ary, indices_or_sections, name, min_ndim, axis):
    ary = as_array(ary)
    if ary.ndim < min_ndim:
        raise ValueError(f'{name} only works on arrays of {min_ndim} or more dimensions')
    return _do_split(ary, indices_or_sections, axis(ary.ndim), equal=True)


@composite()
def hsplit(ary, indices_or_sections):
    """Split along the columns (the first axis of a 1-d array).

    >>> [p.shape for p in np.hsplit(np.zeros((2, 4)), 2)]
    [(2, 2), (2, 2)]
    """
    return _split_along(ary, indices_or_sections, 'hsplit', 1, lambda nd: 1 if nd > 1 else 0)


@composite()
def vsplit(ary, indices_or_sections):
    """Split along the rows (axis 0).

    >>> [p.shape for p in np.vsplit(np.zeros((4, 2)), 2)]
    [(2, 2), (2, 2)]
    """
    return _split_along(ary, indices_or_sections, 'vsplit', 2, lambda nd: 0)


@composite()
def dsplit(ary, indices_or_sections):
    """Split along the third axis.

    >>> [p.shape for p in np.dsplit(np.zeros((1, 1, 4)), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    return _split_along(ary, indices_or_sections, 'dsplit', 3, lambda nd: 2)


# --- copies: tile, repeat -------------------------------------------------------------------------


@composite()
def tile(A, reps):
    """`A` repeated `reps` times along each axis; the gradient sums the copies.

    >>> np.tile(np.array([1., 2.]), 2)
    array([1., 2., 1., 2.])
    """
    A = as_array(A)
    reps = _shape_tuple(reps)
    d = max(len(reps), A.ndim)
    shape = (1,) * (d - A.ndim) + A.shape
    reps = (1,) * (d - len(reps)) + reps
    if all(r == 1 for r in reps):
        return P.copy(P.reshape(A, shape))
    # (s1, s2) -> (1, s1, 1, s2) -> broadcast to (r1, s1, r2, s2) -> (r1*s1, r2*s2)
    spread = sum(((1, s) for s in shape), ())
    copies = sum(((r, s) for r, s in zip(reps, shape)), ())
    tiled = P.broadcast_to(P.reshape(A, spread), copies)
    return P.reshape(tiled, tuple(r * s for r, s in zip(reps, shape)))


@composite()
def repeat(a, repeats, axis=None):
    """Each element of `a` repeated (along `axis`, or of the flattened `a`).

    >>> np.repeat(np.array([1., 2.]), 2)
    array([1., 1., 2., 2.])
    """
    a = as_array(a)
    if axis is None:
        a, axis = P.reshape(a, (-1,)), 0
    axis = normalize_axis_index(axis, a.ndim)
    counts = numpy.asarray(repeats._data if type(repeats) is ndarray else repeats)
    if counts.dtype.kind == 'f':
        if not numpy.array_equal(counts, counts.astype(numpy.intp)):
            raise TypeError('repeats must hold whole numbers')
        counts = counts.astype(numpy.intp)
    n = a.shape[axis]
    if counts.size == 1:
        r = int(counts.reshape(()))
        if r < 0:
            raise ValueError('repeats may not contain negative values.')
        # (..., n, ...) -> (..., n, 1, ...) -> broadcast to (..., n, r, ...) -> (..., n*r, ...)
        spread = a.shape[: axis + 1] + (1,) + a.shape[axis + 1 :]
        copies = a.shape[: axis + 1] + (r,) + a.shape[axis + 1 :]
        out = P.broadcast_to(P.reshape(a, spread), copies)
        return P.reshape(out, a.shape[:axis] + (n * r,) + a.shape[axis + 1 :])
    picks = numpy.repeat(numpy.arange(n), counts)
    return P.getitem(a, index=_slab(axis - a.ndim, a.ndim, picks))


# --- flips and rolls ------------------------------------------------------------------------------


def _flip_rule(xp, g, ans, x, axis=None):
    return xp.flip(g, axis=negative_axes(axis, x.ndim))


def _roll_axes(axis, ndim):
    if isinstance(axis, (tuple, list)):
        return tuple(neg_axis(normalize_axis_index(a, ndim), ndim) for a in axis)
    return neg_axis(normalize_axis_index(axis, ndim), ndim)


def _roll_vjp(xp, g, ans, x, shift, axis):
    back = tuple(-int(s) for s in shift) if isinstance(shift, (tuple, list)) else -int(shift)
    return xp.roll(g, back, axis=_roll_axes(axis, x.ndim))


def _roll_jvp(xp, t, ans, x, shift, axis):
    return xp.roll(t, shift, axis=_roll_axes(axis, x.ndim))


op('flip', numpy.flip, _flip_rule, _flip_rule, save='shapes')
op('roll', numpy.roll, _roll_vjp, _roll_jvp, save='shapes', export=None)


@composite()
def fliplr(m):
    """`m` with its columns (axis 1) reversed.

    >>> np.fliplr(np.array([[1., 2.]]))
    array([[2., 1.]])
    """
    m = as_array(m)
    if m.ndim < 2:
        raise ValueError('Input must be >= 2-d.')
    return P.flip(m, axis=1)


@composite()
def flipud(m):
    """`m` with its rows (axis 0) reversed.

    >>> np.flipud(np.array([1., 2.]))
    array([2., 1.])
    """
    m = as_array(m)
    if m.ndim < 1:
        raise ValueError('Input must be >= 1-d.')
    return P.flip(m, axis=0)


@composite()
def roll(a, shift, axis=None):
    """Elements shifted along `axis` (of the flattened array if None), wrapping around.

    >>> np.roll(np.array([1., 2., 3.]), 1)
    array([3., 1., 2.])
    """
    a = as_array(a)
    shift = tuple(int(s) for s in shift) if numpy.ndim(shift) else int(shift)
    if axis is None:
        return P.reshape(P.roll(P.reshape(a, (-1,)), shift=shift, axis=0), a.shape)
    axis = tuple(int(x) for x in axis) if numpy.ndim(axis) else int(axis)
    return P.roll(a, shift=shift, axis=axis)


@composite()
def rot90(m, k=1, axes=(0, 1)):
    """`m` rotated by 90 degrees `k` times in the plane of `axes`.

    >>> np.rot90(np.array([[1., 2.], [3., 4.]]))
    array([[2., 4.],
           [1., 3.]])
    """
    m = as_array(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError('len(axes) must be 2.')
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise ValueError('Axes must be different.')
    if not (-m.ndim <= axes[0] < m.ndim and -m.ndim <= axes[1] < m.ndim):
        raise ValueError(f'Axes={axes} out of range for array of ndim={m.ndim}.')
    k %= 4
    if k == 0:
        return P.getitem(m, index=Ellipsis)
    if k == 2:
        return P.flip(m, axis=axes)
    perm = list(range(m.ndim))
    a0, a1 = axes[0] % m.ndim, axes[1] % m.ndim
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return P.transpose(P.flip(m, axis=axes[1]), tuple(perm))
    return P.flip(P.transpose(m, tuple(perm)), axis=axes[1])


# --- differences and grids ------------------------------------------------------------------------

_NOVALUE = object()


def _edge(value, a, axis):
    """`prepend`/`append` of diff: a scalar or 0-d becomes a slab of size 1 along axis."""
    value = as_ndgrad(value)
    if value.ndim == 0:
        shape = a.shape[:axis] + (1,) + a.shape[axis + 1 :]
        value = P.broadcast_to(value, shape)
    return value


@composite()
def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """The n-th discrete difference along `axis`: ``a[1:] - a[:-1]``, n times.

    >>> np.diff(np.array([1., 4., 9.]))
    array([3., 5.])
    """
    a = as_ndgrad(a)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f'order must be non-negative but got {n!r}')
    if a.ndim == 0:
        raise ValueError('diff requires input that is at least one dimensional')
    axis = normalize_axis_index(axis, a.ndim)
    parts = []
    if prepend is not _NOVALUE:
        parts.append(_edge(prepend, a, axis))
    parts.append(a)
    if append is not _NOVALUE:
        parts.append(_edge(append, a, axis))
    if len(parts) > 1:
        a = concatenate(parts, axis)
    ax = axis - a.ndim
    for _ in range(n):
        hi = P.getitem(a, index=_slab(ax, a.ndim, slice(1, None)))
        lo = P.getitem(a, index=_slab(ax, a.ndim, slice(None, -1)))
        a = P.not_equal(hi, lo) if a.dtype == bool else hi - lo
    return a


@composite()
def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened array, with optional
    values before and after.

    >>> np.ediff1d(np.array([1., 4., 9.]), to_begin=0.)
    array([0., 3., 5.])
    """
    ary = P.reshape(as_array(ary), (-1,))
    parts = [P.getitem(ary, index=slice(1, None)) - P.getitem(ary, index=slice(None, -1))]
    if to_begin is not None:
        parts.insert(0, P.astype(P.reshape(as_array(to_begin), (-1,)), ary.dtype))
    if to_end is not None:
        parts.append(P.astype(P.reshape(as_array(to_end), (-1,)), ary.dtype))
    return parts[0] if len(parts) == 1 else concatenate(parts)


@composite()
def meshgrid(*xi, copy=True, sparse=False, indexing='xy'):
    """Coordinate arrays from coordinate vectors (a tuple, as NumPy 2 returns).

    >>> [g.shape for g in np.meshgrid(np.zeros(3), np.zeros(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ('xy', 'ij'):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    ones = (1,) * ndim
    out = [P.reshape(as_array(x), ones[:i] + (-1,) + ones[i + 1 :]) for i, x in enumerate(xi)]
    if indexing == 'xy' and ndim > 1:
        out[0] = P.reshape(out[0], (1, -1) + ones[2:])
        out[1] = P.reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        out = list(broadcast_arrays(*out))
    if copy:
        out = [P.copy(x) for x in out]
    return tuple(out)


# --- padding --------------------------------------------------------------------------------------


def _pad_vjp(xp, g, ans, x, pad_width, constant_values=0):
    interior = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape))
    return xp.getitem(g, index=(Ellipsis,) + interior)


def _pad_jvp(xp, t, ans, x, pad_width, constant_values=0):
    nb = t.ndim - x.ndim
    return xp.pad_constant(t, ((0, 0),) * nb + tuple(pad_width))


def _pad_constant(x, pad_width, constant_values=0):
    widths = numpy.asarray(pad_width, dtype=numpy.intp).reshape(-1, 2)
    if not widths.size:  # a 0-d array has nothing to pad
        return numpy.array(x, copy=True)
    return numpy.pad(x, widths, 'constant', constant_values=constant_values)


op('pad_constant', _pad_constant, _pad_vjp, _pad_jvp, save='shapes', export=None)


def _pad_copy_vjp(xp, g, ans, x, pad_width, mode):
    """Fold each padded axis back: the interior, plus each padded entry added to
    the entry it copies (folds of different axes commute)."""
    nd, nb = x.ndim, g.ndim - x.ndim
    core = list(ans.shape)
    for k, (n, (before, after)) in enumerate(zip(x.shape, pad_width)):
        if not before and not after:
            continue
        inner = xp.getitem(g, index=_slab(k - nd, nd, slice(before, before + n)))
        core[k] = n
        outside = numpy.r_[0:before, before + n : before + n + after]
        picks = numpy.pad(numpy.arange(n), (before, after), mode)[outside]
        edges = xp.getitem(g, index=_slab(k - nd, nd, outside))
        g = inner + xp.scatter(edges, index=_slab(k - nd, nd, picks), shape=tuple(core), nbatch=nb)
    return g


def _pad_copy_jvp(xp, t, ans, x, pad_width, mode):
    return xp.pad_copy(t, ((0, 0),) * (t.ndim - x.ndim) + tuple(pad_width), mode=mode)


op(
    'pad_copy',
    lambda x, pad_width, mode: numpy.pad(x, pad_width, mode),
    _pad_copy_vjp,
    _pad_copy_jvp,
    save='shapes',
    export=None,
)

_GATHER_MODES = ('edge', 'reflect', 'symmetric', 'wrap')
_MODES = (
    'constant',
    'edge',
    'linear_ramp',
    'maximum',
    'mean',
    'median',
    'minimum',
    'reflect',
    'symmetric',
    'wrap',
    'empty',
)
_MODE_KWARGS = {
    'constant': {'constant_values'},
    'edge': set(),
    'wrap': set(),
    'reflect': {'reflect_type'},
    'symmetric': {'reflect_type'},
    'mean': {'stat_length'},
    'linear_ramp': {'end_values'},
    'maximum': {'stat_length'},
    'minimum': {'stat_length'},
    'median': {'stat_length'},
}


def _pairs(value, ndim, name, integral=True):
    if isinstance(value, dict):  # {axis: width or (before, after)}
        pairs = [(0, 0)] * ndim
        for axis, width in value.items():
            pairs[axis] = _pairs(width, 1, name, integral)[0]
        value = pairs
    arr = numpy.asarray(value._data if type(value) is ndarray else value)
    if integral:
        if arr.dtype.kind not in 'iu':
            if arr.dtype.kind == 'f' and numpy.array_equal(arr, numpy.round(arr)):
                arr = arr.astype(numpy.intp)
            else:
                raise TypeError(f'`{name}` must be of integral type.')
        if (arr < 0).any():
            raise ValueError("index can't contain negative values")
    try:
        pairs = numpy.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(
            f'`{name}` of shape {arr.shape} does not broadcast to ({ndim}, 2): '
            f'give one (before, after) pair per axis'
        ) from None
    return tuple((p[0].item(), p[1].item()) for p in pairs)


_STAT_MODES = ('maximum', 'minimum', 'median')


def _pad_stat(a, widths, stat, mode):
    """`pad` by a statistic of each lane's first and last `stat` entries (default: all),
    axis after axis as NumPy does; the gradient flows through the statistic (ties in
    max, min and median share it)."""
    for axis, (n, (before, after)) in enumerate(zip(a.shape, widths)):
        if not before and not after:
            continue
        if n == 0:
            raise ValueError(
                f"can't extend empty axis {axis} using modes other than 'constant' or 'empty'"
            )
        ax = axis - a.ndim
        lengths = (n, n) if stat is None else tuple(min(k, n) for k in stat[axis])
        if 0 in lengths:
            raise ValueError('stat_length of 0 yields no value for padding')
        parts = []
        for width, part in ((before, slice(0, lengths[0])), (after, slice(n - lengths[1], n))):
            lane = P.getitem(a, index=_slab(ax, a.ndim, part))
            if mode == 'median':
                value = median(lane, axis=axis, keepdims=True)
            else:
                value = (P.max if mode == 'maximum' else P.min)(lane, axis=axis, keepdims=True)
            parts.append(P.broadcast_to(value, a.shape[:axis] + (width,) + a.shape[axis + 1 :]))
        a = P.concatenate(parts[0], a, parts[1], axis=axis)
    return a


def _along(a, axis, matrix):
    """``matrix @ a`` along `axis` (a linear map of each 1-d lane)."""
    moved = P.swapaxes(a, axis, -1)
    return P.swapaxes(P.matmul(moved, numpy.ascontiguousarray(matrix.T)), axis, -1)


@composite()
def pad(array, pad_width, mode='constant', **kwargs):
    """`array` padded with `pad_width` ``(before, after)`` entries per axis.

    Modes 'constant', 'edge', 'reflect', 'symmetric' and 'wrap' (any
    ``reflect_type``), 'mean', 'linear_ramp', 'maximum', 'minimum' and 'median' are
    differentiable: the gradient of the interior is the interior slice, plus the
    contributions of the entries that copy (or average, or are the extreme or median
    of) it. Gradients do not flow into ``constant_values`` or
    ``end_values``.

    >>> np.pad(np.array([1., 2.]), 1, mode='edge')
    array([1., 1., 2., 2.])
    """
    a = as_array(array)
    if mode not in _MODES:
        raise ValueError(f"mode '{mode}' is not supported")
    if mode not in _MODE_KWARGS:
        raise NotImplementedError(
            f'np.pad mode {mode!r} is not differentiable in ndgrad; use one of '
            f'{", ".join(sorted(_MODE_KWARGS))}, or pad x.asnumpy() to get a constant'
        )
    unknown = set(kwargs) - _MODE_KWARGS[mode]
    if unknown:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unknown}")
    widths = _pairs(pad_width, a.ndim, 'pad_width')
    if a.dtype.kind not in 'fc':  # nothing to differentiate: NumPy's values exactly
        raw = a._data if type(a) is ndarray else a
        return wrap(numpy.pad(raw, widths or 0, mode, **kwargs))
    if mode == 'constant':
        values = kwargs.get('constant_values', 0)
        values = values._data if type(values) is ndarray else values
        return P.pad_constant(a, widths, constant_values=values)
    end_values = _pairs(kwargs.pop('end_values', 0), a.ndim, 'end_values', integral=False)
    stat = kwargs.pop('stat_length', None)
    stat = None if stat is None else _pairs(stat, a.ndim, 'stat_length')
    if mode in _GATHER_MODES and kwargs.get('reflect_type', 'even') == 'even':
        return P.pad_copy(a, widths, mode=mode) if a.ndim else P.copy(a)
    if mode in _STAT_MODES:
        return _pad_stat(a, widths, stat, mode)
    for axis, (n, width) in enumerate(zip(a.shape, widths)):
        if width == (0, 0):
            continue
        # a linear map of each lane: the padding of the identity's columns
        options = dict(kwargs)
        if mode == 'mean' and stat is not None:
            options['stat_length'] = (stat[axis], (1, 1))
        if mode == 'linear_ramp':
            options['end_values'] = 0
        matrix = numpy.pad(
            numpy.eye(n, dtype=a.dtype if a.dtype.kind in 'fc' else float),
            (width, (0, 0)),
            mode,
            **options,
        )
        a = _along(a, axis, matrix)
        if mode == 'linear_ramp' and end_values[axis] != (0, 0):
            ramp = numpy.pad(numpy.zeros(n, matrix.dtype), width, mode, end_values=end_values[axis])
            a = a + ramp.reshape(ramp.shape + (1,) * (a.ndim - axis - 1))
    return a


# --- not differentiable ---------------------------------------------------------------------------

op('unique', numpy.unique, differentiable=False)

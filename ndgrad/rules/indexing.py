"""Indexing: reading ``x[index]``, its adjoint (scattering a gradient back), and
``x[index] = value``; the gathers built on them (take, take_along_axis, ...).

Every NumPy index works: ints, slices (any step), None, Ellipsis, integer arrays
(repeated indices accumulate their gradients), boolean masks, and mixtures.
Basic indices scatter with a plain assignment; ``numpy.add.at`` is used only for
integer arrays, where an index may repeat.

The internal primitives take ``nbatch``: the number of leading batch axes of the
array (a vectorized Jacobian's), which the index leaves untouched and which stay
in front of the result even where NumPy moves the advanced-index axes first
(``x[idx, :, 0]``).

>>> x = np.arange(4.); x.attach_grad()
>>> with autograd.record():
...     y = x[np.array([0, 0, 3])].sum()
>>> y.backward(); x.grad
array([2., 0., 0., 1.])
"""

import numpy

from .._ndarray import ndarray
from .._primitive import REC as P, composite, op
from ._util import as_array, lanes, neg_axis, no_out

# --- the index itself --------------------------------------------------------------------------


def _index_array(a):
    """An index as a NumPy array. ndgrad float arrays of whole numbers (what
    ``np.array([0, 2])`` makes under MXNet's float32 default) become integers."""
    if type(a) is not ndarray:
        return numpy.asarray(a)
    data = a._data
    if data.dtype.kind == 'f':
        as_int = data.astype(numpy.intp)
        if not numpy.array_equal(as_int, data):
            raise IndexError(
                'arrays used as indices must hold whole numbers (or booleans); '
                f'got values such as {data[as_int != data].flat[0]}'
            )
        return as_int
    return data


def raw_index(index):
    """`index` with ndgrad arrays and lists replaced by NumPy arrays."""
    if type(index) is tuple:
        return tuple(_index_array(i) if type(i) in (ndarray, list) else i for i in index)
    return _index_array(index) if type(index) in (ndarray, list) else index


def _items(index):
    items = index if type(index) is tuple else (index,)
    return tuple(numpy.asarray(i) if type(i) is list else i for i in items)


def _has_int_array(index):
    return any(isinstance(i, numpy.ndarray) and i.dtype.kind in 'iu' for i in _items(index))


def advanced_layout(index):
    """``(moved, ndim)``: whether NumPy puts the advanced-index axes in front of the
    result (advanced indices separated by a slice, None or Ellipsis; ints count as
    advanced once an array is present), and how many axes they make."""
    kinds, ndim = [], 0
    for i in _items(index):
        if isinstance(i, (bool, numpy.bool_)):
            kinds.append(True)
            ndim = max(ndim, 1)
        elif isinstance(i, numpy.ndarray):
            kinds.append(True)
            ndim = max(ndim, 1 if i.dtype == bool else i.ndim)
        elif isinstance(i, (int, numpy.integer)):
            kinds.append(None)
        else:
            kinds.append(False)
    if True not in kinds:
        return False, 0
    where = [k for k, kind in enumerate(kinds) if kind is not False]
    return where[-1] - where[0] + 1 != len(where), ndim


def _batched(index, nbatch):
    return (slice(None),) * nbatch + _items(index) if nbatch else index


def target_shape(shape, index):
    """The shape of ``x[index]`` for an array `x` of `shape` (cheap: no values)."""
    probe = numpy.broadcast_to(numpy.zeros((), numpy.int8), shape)
    return probe[index].shape


def _batch_to(order, a, nbatch, index):
    """Move `a`'s batch axes between the front ('front') and where NumPy puts them
    ('numpy': after moved advanced axes)."""
    if not nbatch:
        return a
    moved, adv = advanced_layout(index)
    if not moved or not adv:
        return a
    front, numpy_pos = list(range(nbatch)), list(range(adv, adv + nbatch))
    if order == 'front':
        return numpy.moveaxis(a, numpy_pos, front)
    return numpy.moveaxis(a, front, numpy_pos)


def winners(index, shape):
    """Where ``x[index] = v`` repeats a position, only the last write lands: a boolean
    mask (shaped like ``x[index]``) of the writes that land, or None if all do."""
    if not _has_int_array(index):
        return None
    probe = numpy.full(shape, -1, dtype=numpy.intp)
    tshape = target_shape(shape, index)
    ids = numpy.arange(int(numpy.prod(tshape)), dtype=numpy.intp).reshape(tshape)
    probe[index] = ids
    mask = probe[index] == ids
    return None if mask.all() else mask


# --- kernels -------------------------------------------------------------------------------------


def _getitem(x, index, nbatch=0):
    if not nbatch:
        return x[index]
    return _batch_to('front', x[_batched(index, nbatch)], nbatch, index)


def _one_axis(index, nbatch):
    """``(axis, picks)`` if `index` picks a 1-d integer array along one axis (the
    other items full slices or an Ellipsis), else None. `axis` counts the batch."""
    items = _items(index)
    where = [k for k, i in enumerate(items) if isinstance(i, numpy.ndarray)]
    if len(where) != 1:
        return None
    k = where[0]
    picks = items[k]
    if picks.ndim != 1 or picks.dtype.kind not in 'iu':
        return None
    rest = items[:k] + items[k + 1 :]
    if not all(i is Ellipsis or i == slice(None) for i in rest) or rest.count(Ellipsis) > 1:
        return None
    if Ellipsis in items[:k]:
        return k - len(items), picks
    return nbatch + k, picks


def _firsts(sorted_picks):
    first = numpy.empty(len(sorted_picks), dtype=bool)
    first[:1] = True
    numpy.not_equal(sorted_picks[1:], sorted_picks[:-1], out=first[1:])
    return first


def add_at(out, index, g, nbatch=0):
    """``out[batch, index] += g`` where repeated indices accumulate.

    Picking along one axis (``x[idx]``, take, repeat, pad) sorts the picks: with
    few repeats it adds the first pick of each run, then the next, with plain
    fancy assignments; with many it sums the runs (``numpy.add.reduceat``). Both
    are several times faster than ``numpy.add.at``, used for other indices.
    """
    full = _batched(index, nbatch)
    g = _batch_to('numpy', g, nbatch, index)
    if not _has_int_array(index):
        out[full] += g
        return
    along = _one_axis(index, nbatch)
    if along is None:
        numpy.add.at(out, full, g)
        return
    axis, picks = along
    if not picks.size:
        return
    if g.ndim < out.ndim:
        g = numpy.broadcast_to(g, out[full].shape)
    n = out.shape[axis]
    picks = numpy.where(picks < 0, picks + n, picks)
    order = numpy.argsort(picks, kind='stable')
    picks = picks[order]
    first = _firsts(picks)
    at = [slice(None)] * out.ndim
    if len(picks) > 2 * numpy.count_nonzero(first):  # many repeats: sum each run
        at[axis] = picks[first]
        runs = numpy.add.reduceat(
            numpy.take(g, order, axis=axis), numpy.flatnonzero(first), axis=axis
        )
        out[tuple(at)] += runs
        return
    for _ in range(8):  # few repeats: one pick of each run at a time, no repeats
        at[axis] = picks[first]
        out[tuple(at)] += numpy.take(g, order[first], axis=axis)
        if first.all():
            return
        order, picks = order[~first], picks[~first]
        first = _firsts(picks)
    at[axis] = picks
    numpy.add.at(out, tuple(at), numpy.take(g, order, axis=axis))


def _scatter(g, index, shape, nbatch=0, accumulate=True):
    """Zeros of ``batch + shape`` with `g` put at `index`: added (the adjoint of
    getitem, repeated indices accumulate) or assigned (the last write lands)."""
    g = numpy.asarray(g)
    out = numpy.zeros(g.shape[:nbatch] + tuple(shape), dtype=g.dtype)
    if accumulate and _has_int_array(index):
        add_at(out, index, g, nbatch)
    else:
        out[_batched(index, nbatch)] = _batch_to('numpy', g, nbatch, index)
    return out


def _setitem(x, value, index, nbatch=0):
    """A copy of `x` with ``x[index] = value`` (a scalar `value` when ``nbatch``)."""
    out = numpy.array(x, copy=True)
    out[_batched(index, nbatch)] = value
    return out


# --- rules ---------------------------------------------------------------------------------------


def _extra(g, ans):
    return g.ndim - len(ans.shape)


def _getitem_vjp(xp, g, ans, x, index, nbatch=0):
    nb = _extra(g, ans) + nbatch
    return xp.scatter(g, index=index, shape=x.shape[nbatch:], nbatch=nb)


def _getitem_accumulate(acc, g, ans, x, index, nbatch=0):
    """The vjp added straight into the input's accumulator (a plain backward pass):
    ``acc[index] += g`` costs no zeros array and no second add."""
    nb = _extra(g, ans) + nbatch
    if not nb and type(index) is int:  # x[i], as iterating over x does
        acc[index] += g
    else:
        add_at(acc, index, g, nb)


def _getitem_jvp(xp, t, ans, x, index, nbatch=0):
    return xp.getitem(t, index=index, nbatch=t.ndim - x.ndim + nbatch)


def _masked(xp, gv, index, shape, accumulate=False):
    mask = None if accumulate else winners(index, shape)
    return gv if mask is None else gv * mask


def _scatter_vjp(xp, g, ans, x, index, shape, nbatch=0, accumulate=True):
    gv = xp.getitem(g, index=index, nbatch=_extra(g, ans) + nbatch)
    return _masked(xp, gv, index, shape, accumulate)


def _scatter_jvp(xp, t, ans, x, index, shape, nbatch=0, accumulate=True):
    return xp.scatter(
        t, index=index, shape=shape, nbatch=t.ndim - x.ndim + nbatch, accumulate=accumulate
    )


def _setitem_x_vjp(xp, g, ans, x, value, index, nbatch=0):
    return xp.setitem(g, 0, index=index, nbatch=_extra(g, ans) + nbatch)


def _setitem_value_vjp(xp, g, ans, x, value, index, nbatch=0):
    gv = xp.getitem(g, index=index, nbatch=_extra(g, ans) + nbatch)
    return _masked(xp, gv, index, x.shape[nbatch:])


def _setitem_x_jvp(xp, t, ans, x, value, index, nbatch=0):
    return xp.setitem(t, 0, index=index, nbatch=t.ndim - x.ndim + nbatch)


def _setitem_value_jvp(xp, t, ans, x, value, index, nbatch=0):
    shape = x.shape[nbatch:]
    target = target_shape(shape, index)
    nb = t.ndim - value.ndim
    core = t.shape[nb:]
    core = core[max(len(core) - len(target), 0) :]
    t = xp.reshape(t, t.shape[:nb] + (1,) * (len(target) - len(core)) + core)
    t = xp.broadcast_to(t, t.shape[:nb] + target)
    return xp.scatter(t, index=index, shape=shape, nbatch=nb, accumulate=False)


op(
    'getitem',
    _getitem,
    _getitem_vjp,
    _getitem_jvp,
    save='shapes',
    export=None,
    accumulate=_getitem_accumulate,
)
op('scatter', _scatter, _scatter_vjp, _scatter_jvp, save='shapes', export=None)
op(
    'setitem',
    _setitem,
    (_setitem_x_vjp, _setitem_value_vjp),
    (_setitem_x_jvp, _setitem_value_jvp),
    save='shapes',
    export=None,
)


# --- gathers built on indexing ----------------------------------------------------------------


def _axis_index(idx, axis, ndim):
    """An index that applies `idx` along `axis` of an ndim array (batch-safe)."""
    if not -ndim <= axis < ndim:
        raise numpy.exceptions.AxisError(axis, ndim)
    return (Ellipsis, idx) + (slice(None),) * (-neg_axis(axis, ndim) - 1)


def _wrap_mode(idx, n, mode):
    if mode == 'wrap':
        return numpy.mod(idx, n) if n else idx
    if mode == 'clip':
        return numpy.clip(idx, 0, max(n - 1, 0))
    if mode != 'raise':
        raise ValueError(f"mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return idx


@composite()
def take(a, indices, axis=None, out=None, mode='raise'):
    """Elements of `a` at `indices` along `axis` (of the flattened `a` if None).

    >>> np.take(np.array([4., 5., 6.]), [0, 2, 2])
    array([4., 6., 6.])
    """
    no_out(out, 'take')
    a = as_array(a)
    if axis is None:
        a, axis = P.reshape(a, (-1,)), 0
    idx = _index_array(indices)
    if idx.dtype.kind not in 'iu':
        raise TypeError(f'np.take needs integer indices; got an array of dtype {idx.dtype}')
    idx = _wrap_mode(idx, a.shape[axis] if -a.ndim <= axis < a.ndim else 0, mode)
    return P.getitem(a, index=_axis_index(idx, axis, a.ndim))


def _along_axis_index(shape, indices, axis):
    """The integer-array index that picks ``indices`` along `axis` of each lane."""
    ndim = len(shape)
    if indices.ndim != ndim:
        raise ValueError('`indices` and `arr` must have the same number of dimensions')
    if indices.dtype.kind not in 'iu':
        raise IndexError('`indices` must be an integer array')
    before, after = lanes(tuple(shape), axis)
    return before + (indices,) + after


def _along_axis(arr, indices, axis):
    arr = as_array(arr)
    indices = _index_array(indices)
    if axis is None:
        if indices.ndim != 1:
            raise ValueError('when axis=None, `indices` must have a single dimension.')
        arr, axis = P.reshape(arr, (-1,)), 0
    if not -arr.ndim <= axis < arr.ndim:
        raise numpy.exceptions.AxisError(axis, arr.ndim)
    return arr, _along_axis_index(arr.shape, indices, axis % arr.ndim)


@composite()
def take_along_axis(arr, indices, axis=-1):
    """Pick ``indices`` along `axis` in each 1-d lane (as returned by argsort).

    >>> x = np.array([[3., 1.], [0., 2.]])
    >>> np.take_along_axis(x, np.argsort(x, axis=1), axis=1)
    array([[1., 3.],
           [0., 2.]])
    """
    arr, index = _along_axis(arr, indices, axis)
    return P.getitem(arr, index=index)


@composite()
def put_along_axis(arr, indices, values, axis):
    """A copy of `arr` with `values` put at ``indices`` along `axis`.

    Unlike NumPy's (which writes into `arr` and returns None), this returns the
    new array and leaves `arr` unchanged. Where an index repeats, the last value
    lands (and only it receives a gradient).

    >>> np.put_along_axis(np.zeros((2, 2)), np.array([[1], [0]]), 5., axis=1)
    array([[0., 5.],
           [5., 0.]])
    """
    shape = numpy.shape(arr)
    flat, index = _along_axis(arr, indices, axis)
    out = P.setitem(flat, values, index=index)
    return P.reshape(out, shape) if axis is None else out


@composite(sequence='choices')
def choose(a, choices, out=None, mode='raise'):
    """``choices[a[i]][i]`` for each position i (all broadcast together).

    >>> np.choose(np.array([0, 1, 0]), [np.array([1., 2., 3.]), np.array([7., 8., 9.])])
    array([1., 8., 3.])
    """
    no_out(out, 'choose')
    a = _index_array(a)
    if a.dtype.kind not in 'iu':
        raise TypeError(f'np.choose needs integer indices `a`; got dtype {a.dtype}')
    choices = [as_array(c) for c in choices]
    n = len(choices)
    shape = numpy.broadcast_shapes(a.shape, *(c.shape for c in choices))
    if mode == 'raise':
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError('invalid entry in choice array')
    else:
        a = _wrap_mode(a, n, mode)
    stacked = P.stack(
        *[c if c.shape == shape else P.broadcast_to(c, shape) for c in choices], axis=0
    )
    ndim = len(shape)
    index = (numpy.broadcast_to(a, shape),) + tuple(
        numpy.arange(s).reshape((1,) * d + (s,) + (1,) * (ndim - d - 1))
        for d, s in enumerate(shape)
    )
    return P.getitem(stacked, index=index)


@composite()
def compress(condition, a, axis=None, out=None):
    """The slices of `a` along `axis` where `condition` (1-d) is true.

    >>> np.compress([True, False, True], np.array([1., 2., 3.]))
    array([1., 3.])
    """
    no_out(out, 'compress')
    cond = numpy.asarray(condition._data if type(condition) is ndarray else condition)
    if cond.ndim != 1:
        raise ValueError('condition must be a 1-d array')
    a = as_array(a)
    if axis is None:
        a, axis = P.reshape(a, (-1,)), 0
    if not -a.ndim <= axis < a.ndim:
        raise numpy.exceptions.AxisError(axis, a.ndim)
    n = a.shape[axis]
    picked = numpy.flatnonzero(cond)
    if picked.size and picked[-1] >= n:
        raise IndexError(f'index {picked[-1]} is out of bounds for axis {axis} with size {n}')
    mask = numpy.zeros(n, dtype=bool)
    mask[picked] = True
    return P.getitem(a, index=_axis_index(mask, axis, a.ndim))

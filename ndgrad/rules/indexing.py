"""Indexing: reading ``x[index]`` and its adjoint, scattering a gradient back.

Repeated integer indices accumulate (``numpy.add.at``); basic indices (ints,
slices, None, Ellipsis) take a plain assignment, which is much faster.
"""
import numpy

from .._primitive import op
from ._util import batched_index


def is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, numpy.integer))
               for i in items)


def _getitem(x, index):
    return x[index]


def _scatter(g, index, shape, nbatch):
    """Zeros of ``batch + shape`` with `g` added at `index` (the adjoint of getitem)."""
    g = numpy.asarray(g)
    out = numpy.zeros(g.shape[:nbatch] + tuple(shape), dtype=g.dtype)
    full = batched_index(index, nbatch)
    if is_basic(index):
        out[full] = g
    else:
        numpy.add.at(out, full, g)
    return out


def _setitem(x, value, index):
    out = numpy.array(x, copy=True)
    out[index] = value
    return out


def _scatter_vjp(xp, g, ans, x, index, shape, nbatch):
    return xp.getitem(g, index=batched_index(index, g.ndim - len(shape)))


def _scatter_jvp(xp, t, ans, x, index, shape, nbatch):
    return xp.scatter(t, index=index, shape=shape, nbatch=nbatch + t.ndim - x.ndim)


def _setitem_value_jvp(xp, t, ans, x, value, index):
    nb = t.ndim - value.ndim
    zeros = xp.zeros(t.shape[:nb] + ans.shape, t.dtype)
    return xp.setitem(zeros, t, index=batched_index(index, nb))


op('getitem', _getitem,
   lambda xp, g, ans, x, index:
       xp.scatter(g, index=index, shape=x.shape, nbatch=g.ndim - ans.ndim),
   lambda xp, t, ans, x, index: xp.getitem(t, index=batched_index(index, t.ndim - x.ndim)),
   save='shapes', export=None)
op('scatter', _scatter, _scatter_vjp, _scatter_jvp, save='shapes', export=None)
op('setitem', _setitem,
   (lambda xp, g, ans, x, value, index:
        xp.setitem(g, 0, index=batched_index(index, g.ndim - ans.ndim)),
    lambda xp, g, ans, x, value, index:
        xp.getitem(g, index=batched_index(index, g.ndim - ans.ndim))),
   jvp=(lambda xp, t, ans, x, value, index:
            xp.setitem(t, 0, index=batched_index(index, t.ndim - ans.ndim)),
        _setitem_value_jvp),
   save='shapes', export=None)

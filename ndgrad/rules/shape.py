"""Shape and data movement. Rules are batch-transparent: shapes are taken from
the saved input, with the batch axes of `g` kept in front."""
import numpy

from .._primitive import REC as P, composite, op
from ._util import batch_shape


def _reshape_vjp(xp, g, ans, x, shape, **kw):
    return xp.reshape(g, batch_shape(g, ans) + x.shape)


def _reshape_jvp(xp, t, ans, x, shape, **kw):
    return xp.reshape(t, t.shape[:t.ndim - x.ndim] + ans.shape)


def _perm(axes, ndim):
    return tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)


def _transpose_vjp(xp, g, ans, x, axes=None):
    perm = _perm(axes, x.ndim)
    nb = g.ndim - x.ndim
    inverse = tuple(int(i) for i in numpy.argsort(perm))
    return xp.transpose(g, tuple(range(nb)) + tuple(nb + i for i in inverse))


def _transpose_jvp(xp, t, ans, x, axes=None):
    nb = t.ndim - x.ndim
    return xp.transpose(t, tuple(range(nb)) + tuple(nb + i for i in _perm(axes, x.ndim)))


op('reshape', lambda x, shape, order='C': numpy.reshape(x, shape, order=order),
   _reshape_vjp, _reshape_jvp, save='shapes')
op('transpose', numpy.transpose, _transpose_vjp, _transpose_jvp, save='shapes')


def _broadcast_to_jvp(xp, t, ans, x, shape):
    nb, pad = t.ndim - x.ndim, len(shape) - x.ndim
    if nb and pad:  # new axes go between the batch axes and the input's axes
        t = xp.reshape(t, t.shape[:nb] + (1,) * pad + t.shape[nb:])
    return xp.broadcast_to(t, t.shape[:nb] + tuple(shape))


op('broadcast_to', numpy.broadcast_to, lambda xp, g, ans, x, shape: g, _broadcast_to_jvp,
   save='shapes')


def _concat_rule(i):
    def vjp(xp, g, ans, *xs, axis=0):
        ax = (axis if axis < 0 else axis - xs[0].ndim)
        start = sum(x.shape[ax] for x in xs[:i])
        index = (Ellipsis, slice(start, start + xs[i].shape[ax])) + (slice(None),) * (-ax - 1)
        return xp.getitem(g, index=index)
    return vjp


def _concatenate(*xs, axis=0):
    return numpy.concatenate(xs, axis=axis)


class _PerInput(tuple):
    """Rules for a variadic op: the same rule builder for every input position."""

    def __new__(cls, make):
        self = super().__new__(cls)
        self.make = make
        self.cache = {}
        return self

    def __getitem__(self, i):
        rule = self.cache.get(i)
        if rule is None:
            rule = self.cache[i] = self.make(i)
        return rule


op('concatenate', _concatenate, _PerInput(_concat_rule), save='shapes')


def _stack(*xs, axis=0):
    return numpy.stack(xs, axis=axis)


def _stack_rule(i):
    def vjp(xp, g, ans, *xs, axis=0):
        ax = axis if axis < 0 else axis - (xs[0].ndim + 1)
        return xp.getitem(g, index=(Ellipsis, i) + (slice(None),) * (-ax - 1))
    return vjp


op('stack', _stack, _PerInput(_stack_rule), save='shapes')


op('swapaxes', numpy.swapaxes,
   lambda xp, g, ans, x, a, b: xp.swapaxes(g, _neg(a, x.ndim), _neg(b, x.ndim)),
   lambda xp, t, ans, x, a, b: xp.swapaxes(t, _neg(a, x.ndim), _neg(b, x.ndim)),
   save='shapes')
op('expand_dims', numpy.expand_dims,
   lambda xp, g, ans, x, axis: xp.reshape(g, g.shape[:g.ndim - ans.ndim] + x.shape),
   lambda xp, t, ans, x, axis: xp.reshape(t, t.shape[:t.ndim - x.ndim] + ans.shape),
   save='shapes')
op('squeeze', numpy.squeeze,
   lambda xp, g, ans, x, axis=None: xp.reshape(g, g.shape[:g.ndim - ans.ndim] + x.shape),
   lambda xp, t, ans, x, axis=None: xp.reshape(t, t.shape[:t.ndim - x.ndim] + ans.shape),
   save='shapes')


def _neg(axis, ndim):
    return axis - ndim if axis >= 0 else axis


@composite()
def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (``axis=None`` flattens them first)."""
    if axis is None:
        return P.concatenate(*[P.reshape(a, (-1,)) for a in arrays], axis=0)
    return P.concatenate(*arrays, axis=axis)


@composite()
def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    return P.stack(*arrays, axis=axis)


@composite()
def reshape(a, shape=None, order='C', *, newshape=None):
    """`a` with a new shape (one dimension may be -1)."""
    return P.reshape(a, shape if newshape is None else newshape, order=order)


@composite()
def transpose(a, axes=None):
    """`a` with its axes permuted (reversed by default)."""
    return P.transpose(a, axes)


@composite()
def expand_dims(a, axis):
    return P.expand_dims(a, axis)


@composite()
def squeeze(a, axis=None):
    return P.squeeze(a, axis)


@composite()
def swapaxes(a, axis1, axis2):
    return P.swapaxes(a, axis1, axis2)

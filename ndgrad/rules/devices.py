"""Copies between devices (MXNet's ``x.as_in_ctx(ctx)``, ``x.copyto(ctx)``,
``np.array(x, ctx=ctx)``): a recorded op whose gradient is copied back to the device the
values came from, so that a loss computed on a GPU reaches parameters on the host.

The op is installed as the array methods ``as_in_ctx`` (alias ``as_in_context``) and
``copyto``.

>>> from ndgrad import autograd, np, npx
>>> x = np.array([1.0, 2.0])
>>> x.attach_grad()
>>> with autograd.record():
...     y = x.copyto(npx.cpu())
...     loss = (y * y).sum()
>>> loss.backward()
>>> x.grad
array([2., 4.])
"""

from .._backend import as_context, context_of, to_context
from .._ndarray import ndarray
from .._primitive import REGISTRY, op


def _to_ctx(data, ctx, source, copy=False):
    """`data` on context `ctx` (`source`: the context it is on, for the derivative); a
    copy where `copy` even if it is there already."""
    moved = to_context(data, ctx)
    return moved.copy() if copy and moved is data else moved


def _back(xp, g, ans, x, ctx, source, copy=False):
    return xp.to_ctx(g, ctx=source, source=ctx)


def _forth(xp, t, ans, x, ctx, source, copy=False):
    return xp.to_ctx(t, ctx=ctx, source=source)


op('to_ctx', _to_ctx, _back, _forth, save='shapes', export=None)
_TO_CTX = REGISTRY['to_ctx']


def as_in_ctx(self, ctx):
    """This array on `ctx` (``npx.cpu()``, ``npx.gpu(i)``): itself where it is there
    already, else a copy there; under ``autograd.record()`` the gradient flows back
    across the copy."""
    ctx, source = as_context(ctx), context_of(self._data)
    if ctx == source:
        return self
    return _TO_CTX(self, ctx=ctx, source=source)


def copyto(self, other):
    """A copy on `other` (a context), recorded as `as_in_ctx`, or these values written
    into `other` (an array)."""
    if isinstance(other, ndarray):
        other[...] = self
        return other
    return _TO_CTX(self, ctx=as_context(other), source=context_of(self._data), copy=True)


ndarray.as_in_ctx = ndarray.as_in_context = as_in_ctx
ndarray.copyto = copyto

"""Reductions. Ties in max/min split the gradient evenly among the tied elements."""
import numpy

from .._primitive import op
from ._util import unreduce, kept_shape, negative_axes


def _sum_vjp(xp, g, ans, x, axis=None, dtype=None, keepdims=False):
    return unreduce(xp, g, ans, x.shape, axis, keepdims)[0]


def _sum_jvp(xp, t, ans, x, axis=None, dtype=None, keepdims=False):
    return xp.sum(t, axis=negative_axes(axis, x.ndim), keepdims=keepdims)


def _count(x, axis):
    n = 1
    for a in negative_axes(axis, x.ndim):
        n *= x.shape[a]
    return n


def _mean_vjp(xp, g, ans, x, axis=None, dtype=None, keepdims=False):
    return unreduce(xp, g, ans, x.shape, axis, keepdims)[0] / _count(x, axis)


def _mean_jvp(xp, t, ans, x, axis=None, dtype=None, keepdims=False):
    return xp.mean(t, axis=negative_axes(axis, x.ndim), keepdims=keepdims)


def _extreme_vjp(xp, g, ans, x, axis=None, keepdims=False):
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    tied = xp.equal(x, xp.reshape(ans, kept_shape(x.shape, axes)))
    count = xp.astype(xp.sum(tied, axis=axes, keepdims=True), g.dtype)
    return (g / count) * tied


def _extreme_jvp(xp, t, ans, x, axis=None, keepdims=False):
    axes = negative_axes(axis, x.ndim)
    tied = xp.equal(x, xp.reshape(ans, kept_shape(x.shape, axes)))
    count = xp.astype(xp.sum(tied, axis=axes, keepdims=True), t.dtype)
    return xp.sum(t * tied / count, axis=axes, keepdims=keepdims)


op('sum', numpy.sum, _sum_vjp, _sum_jvp, save='shapes')
op('mean', numpy.mean, _mean_vjp, _mean_jvp, save='shapes')
op('max', numpy.max, _extreme_vjp, _extreme_jvp, save='both')
op('min', numpy.min, _extreme_vjp, _extreme_jvp, save='both')

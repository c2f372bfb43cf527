"""Neural-network ops of `npx`, with direct rules where composing would cost
speed or memory (softmax, log_softmax)."""
import numpy

from .._primitive import op


def _relu(x):
    return numpy.maximum(x, 0)


def _sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def _softmax(x, axis=-1):
    e = numpy.exp(x - numpy.max(x, axis=axis, keepdims=True))
    return e / numpy.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    shifted = x - numpy.max(x, axis=axis, keepdims=True)
    return shifted - numpy.log(numpy.sum(numpy.exp(shifted), axis=axis, keepdims=True))


def _neg(axis, ndim):
    return axis - ndim if axis >= 0 else axis


def _softmax_vjp(xp, g, ans, x, axis=-1):
    gy = g * ans
    return gy - ans * xp.sum(gy, axis=_neg(axis, x.ndim), keepdims=True)


def _log_softmax_vjp(xp, g, ans, x, axis=-1):
    return g - xp.exp(ans) * xp.sum(g, axis=_neg(axis, x.ndim), keepdims=True)


def _log_softmax_jvp(xp, t, ans, x, axis=-1):
    return t - xp.sum(xp.exp(ans) * t, axis=_neg(axis, x.ndim), keepdims=True)


op('relu', _relu, lambda xp, g, ans, x: g * (x > 0), jvp='elementwise', export='npx')
op('sigmoid', _sigmoid, lambda xp, g, ans, x: g * ans * (1 - ans), jvp='elementwise',
   save='output', export='npx')
op('softmax', _softmax, _softmax_vjp, _softmax_vjp, save='both', export='npx')
op('log_softmax', _log_softmax, _log_softmax_vjp, _log_softmax_jvp, save='both',
   export='npx')

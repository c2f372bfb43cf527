"""Elementwise ops. Broadcasting is undone by the engine, so each rule is the
derivative times `g`, in the output's shape."""
import numpy

from .._primitive import REC as P, composite, op


def _where_positive_log(xp, x):
    return xp.log(xp.where(x > 0, x, 1))


op('add', numpy.add, (lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: g),
   jvp=(lambda xp, t, ans, x, y: t, lambda xp, t, ans, x, y: t), save='shapes')
op('subtract', numpy.subtract, (lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: -g),
   jvp='elementwise', save='shapes')
op('multiply', numpy.multiply,
   (lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x), jvp='elementwise')
op('divide', numpy.divide,
   (lambda xp, g, ans, x, y: g / y, lambda xp, g, ans, x, y: -g * x / (y * y)),
   jvp='elementwise')
op('negative', numpy.negative, lambda xp, g, ans, x: -g, jvp='elementwise', save='shapes')
op('copy', numpy.copy, lambda xp, g, ans, x: g, jvp='elementwise', save='shapes')
op('positive', numpy.positive, lambda xp, g, ans, x: g, jvp='elementwise', save='shapes')
op('power', numpy.power,
   (lambda xp, g, ans, x, y: g * y * xp.power(x, y - 1),
    lambda xp, g, ans, x, y: g * xp.where(x > 0, xp.power(x, y) * _where_positive_log(xp, x), 0)),
   jvp='elementwise')
op('exp', numpy.exp, lambda xp, g, ans, x: g * ans, jvp='elementwise', save='output')
op('log', numpy.log, lambda xp, g, ans, x: g / x, jvp='elementwise')
op('sqrt', numpy.sqrt, lambda xp, g, ans, x: g / (2 * ans), jvp='elementwise', save='output')
op('square', numpy.square, lambda xp, g, ans, x: g * (2 * x), jvp='elementwise')
op('sin', numpy.sin, lambda xp, g, ans, x: g * xp.cos(x), jvp='elementwise')
op('cos', numpy.cos, lambda xp, g, ans, x: -g * xp.sin(x), jvp='elementwise')
op('tanh', numpy.tanh, lambda xp, g, ans, x: g * (1 - ans * ans), jvp='elementwise',
   save='output')
op('absolute', numpy.absolute, lambda xp, g, ans, x: g * xp.sign(x), jvp='elementwise')
op('sign', numpy.sign, differentiable=False)
op('maximum', numpy.maximum,
   (lambda xp, g, ans, x, y: g * (x > y) + (g * 0.5) * (x == y),
    lambda xp, g, ans, x, y: g * (y > x) + (g * 0.5) * (x == y)), jvp='elementwise')
op('minimum', numpy.minimum,
   (lambda xp, g, ans, x, y: g * (x < y) + (g * 0.5) * (x == y),
    lambda xp, g, ans, x, y: g * (y < x) + (g * 0.5) * (x == y)), jvp='elementwise')
op('where', numpy.where,
   (None, lambda xp, g, ans, c, x, y: xp.where(c, g, 0), lambda xp, g, ans, c, x, y: xp.where(c, 0, g)),
   jvp='elementwise')
op('astype', lambda x, dtype, copy=True: numpy.asarray(x).astype(dtype, copy=copy),
   lambda xp, g, ans, x, dtype, copy=True: g, jvp='elementwise', save='shapes')


@composite(name='abs')
def abs_(x):
    """Absolute value (alias of `absolute`); its derivative at 0 is 0."""
    return P.absolute(x)

"""Random numbers (``np.random``): NumPy's generators with MXNet's float32 default.

Draws are constants: gradients do not flow into the parameters of a distribution.
"""
import numpy as _numpy

from .._ndarray import wrap
from .._state import CONFIG

__all__ = ['seed', 'normal', 'uniform', 'randint', 'rand', 'randn']


def _float(values, dtype):
    return wrap(_numpy.asarray(values, dtype=CONFIG.float_dtype if dtype is None else dtype))


def seed(seed=None):
    """Seed the generator so that later draws repeat."""
    _numpy.random.seed(seed)


def normal(loc=0.0, scale=1.0, size=None, dtype=None):
    """Samples of N(loc, scale²); ``size=None`` gives a 0-d array."""
    return _float(_numpy.random.normal(loc, scale, size), dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=None):
    return _float(_numpy.random.uniform(low, high, size), dtype)


def randint(low, high=None, size=None, dtype=int):
    return wrap(_numpy.asarray(_numpy.random.randint(low, high, size, dtype=dtype)))


def rand(*shape):
    return _float(_numpy.random.rand(*shape), None)


def randn(*shape):
    return _float(_numpy.random.randn(*shape), None)

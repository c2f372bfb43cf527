"""NumPy's API on ndgrad arrays: every function records itself under
``autograd.record()`` and has derivatives of any order where mathematics allows.

>>> from ndgrad import np
>>> np.sin(np.zeros(3))
array([0., 0., 0.])
"""

import numpy as _numpy

from .. import rules as _rules  # noqa: F401  (registers the primitives)
from .._ndarray import ndarray as ndarray
from .._primitive import exports as _exports
from . import fft as fft, linalg as linalg, random as random
from ._creation import *  # noqa: F403

for _name, _fn in _exports('np').items():
    if _name not in globals():
        globals()[_name] = _fn

pi = _numpy.pi
e = _numpy.e
inf = _numpy.inf
nan = _numpy.nan
newaxis = None
float16, float32, float64 = _numpy.float16, _numpy.float32, _numpy.float64
int8, int16, int32, int64 = _numpy.int8, _numpy.int16, _numpy.int32, _numpy.int64
uint8, bool_ = _numpy.uint8, _numpy.bool_
dtype = _numpy.dtype
finfo, iinfo = _numpy.finfo, _numpy.iinfo

"""MXNet's extensions to NumPy (``npx``): neural-network ops and settings.

>>> from ndgrad import np, npx
>>> npx.relu(np.array([-1., 2.]))
array([0., 2.])
"""
import numpy as _numpy

from . import numpy as _np  # noqa: F401  (registers the primitives)
from ._primitive import exports as _exports
from ._state import CONFIG

globals().update(_exports('npx'))


def set_np(shape=True, array=True, dtype=False):
    """MXNet's switch to NumPy semantics; ndgrad always has them.

    ``dtype=True`` makes new arrays use NumPy's defaults (float64, int64) instead
    of MXNet's float32.
    """
    CONFIG.numpy_defaults = bool(dtype)
    CONFIG.float_dtype = _numpy.dtype(_numpy.float64 if dtype else _numpy.float32)


def reset_np():
    """Back to MXNet's float32 defaults."""
    set_np()


def is_np_default_dtype():
    return CONFIG.numpy_defaults


def cpu(device_id=0):
    """The only device ndgrad computes on (kept so MXNet code runs unchanged)."""
    return 'cpu(0)'


def num_gpus():
    return 0

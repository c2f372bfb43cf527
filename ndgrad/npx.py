"""MXNet's extensions to NumPy (``npx``): neural-network ops, special functions
and settings, with MXNet's signatures.

* activations: relu, sigmoid, softplus, activation, leaky_relu, gelu
* softmax, log_softmax; pick, one_hot, topk (the softmax cross-entropy is
  ``-npx.pick(npx.log_softmax(z), labels).mean()``)
* layers: batch_dot, dropout, layer_norm, batch_norm, embedding, sequence_mask
* shapes: reshape_like, arange_like, batch_flatten
* special functions: erf, erfinv, gamma, gammaln, digamma, polygamma
* settings: set_np, reset_np, is_np_default_dtype, cpu, num_gpus, waitall

dropout and batch_norm act in training mode (inside ``autograd.record()`` or
``autograd.train_mode()``); the rules live in ``ndgrad.rules.nn`` and
``ndgrad.rules.special``.

>>> from ndgrad import np, npx
>>> npx.relu(np.array([-1., 2.]))
array([0., 2.])
"""
import numpy as _numpy

from . import numpy as _np  # noqa: F401  (registers the primitives)
from ._primitive import exports as _exports
from ._state import CONFIG as _CONFIG

globals().update(_exports('npx'))


def set_np(shape=True, array=True, dtype=False):
    """MXNet's switch to NumPy semantics; ndgrad always has them.

    ``dtype=True`` makes new arrays use NumPy's defaults (float64, int64) instead
    of MXNet's float32.
    """
    _CONFIG.numpy_defaults = bool(dtype)
    _CONFIG.float_dtype = _numpy.dtype(_numpy.float64 if dtype else _numpy.float32)


def reset_np():
    """Back to MXNet's float32 defaults."""
    set_np()


def is_np_default_dtype():
    """Whether new arrays use NumPy's default dtypes (after ``set_np(dtype=True)``)."""
    return _CONFIG.numpy_defaults


def cpu(device_id=0):
    """The only device ndgrad computes on (kept so MXNet code runs unchanged)."""
    return 'cpu(0)'


def num_gpus():
    """How many GPUs ndgrad can use: none."""
    return 0


def waitall():
    """Wait for all pending computation: ndgrad computes eagerly, so nothing to wait for."""

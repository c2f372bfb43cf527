"""MXNet's extensions to NumPy (``npx``): neural-network ops, special functions
and settings, with MXNet's signatures.

* activations: relu, sigmoid, softplus, activation, leaky_relu, gelu
* softmax, log_softmax; pick, one_hot, topk (the softmax cross-entropy is
  ``-npx.pick(npx.log_softmax(z), labels).mean()``)
* layers: batch_dot, dropout, layer_norm, batch_norm, embedding, sequence_mask
* shapes: reshape_like, arange_like, batch_flatten
* special functions: erf, erfinv, gamma, gammaln, digamma, polygamma
* convolution, deconvolution, pooling
* settings: set_np, reset_np, is_np_default_dtype, cpu, gpu, num_gpus,
  current_context, waitall;
  save, load

dropout and batch_norm act in training mode (inside ``autograd.record()`` or
``autograd.train_mode()``); the rules live in ``ndgrad.rules.nn`` and
``ndgrad.rules.special``.

>>> from ndgrad import np, npx
>>> npx.relu(np.array([-1., 2.]))
array([0., 2.])
"""

import numpy as _numpy

from . import (
    _backend,
    numpy as _np,  # (also registers the primitives)
)
from ._ndarray import raw as _raw
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
    """The CPU context, ``cpu(0)`` (NumPy and Dask data live there).

    >>> cpu(), cpu() == 'cpu(0)'
    (cpu(0), True)
    """
    return _backend.Context('cpu', device_id)


def gpu(device_id=0):
    """The context of GPU `device_id` (arrays there hold CuPy arrays); RuntimeError saying
    what is missing (CuPy, or the GPU) where there is none."""
    return _backend.gpu(device_id)


def num_gpus():
    """How many GPUs CuPy sees: 0 without CuPy or without a GPU."""
    return _backend.num_gpus()


def current_context():
    """The context arrays are created on: the innermost ``with ctx:`` block's, else
    ``cpu(0)``.

    >>> current_context()
    cpu(0)
    """
    return _backend.current_context()


def save(file, arr):
    """Save an array, a list of arrays or a dict of them to `file` (NumPy's ``.npz``).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'x')
    >>> save(path, {'w': _np.ones(2)}); load(path)
    {'w': array([1., 1.])}
    """
    if isinstance(arr, dict):
        values = {str(k): _raw(v) for k, v in arr.items()}
    else:
        items = arr if isinstance(arr, (list, tuple)) else [arr]
        values = {f'__list{k}': _raw(v) for k, v in enumerate(items)}
        values['__single'] = _numpy.array(not isinstance(arr, (list, tuple)))
    with open(file, 'wb') as f:
        _numpy.savez(f, **values)


def load(file):
    """What `save` wrote: an array, a list of arrays or a dict of them."""
    with _numpy.load(file) as data:
        names = list(data.files)
        if '__single' not in names:
            return {k: _np.array(data[k]) for k in names}
        items = [_np.array(data[f'__list{k}']) for k in range(len(names) - 1)]
        return items[0] if data['__single'] else items


def waitall():
    """Wait for all pending computation: every Dask array ops made that is still alive is
    computed (in one call); NumPy and CuPy compute as each op is called."""
    _backend.waitall()

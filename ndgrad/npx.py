"""MXNet's extensions to NumPy (``npx``): neural-network ops, special functions
and settings, with MXNet's signatures.

* activations: relu, sigmoid, softplus, activation, leaky_relu, gelu
* softmax, log_softmax; pick, one_hot, topk (the softmax cross-entropy is
  ``-npx.pick(npx.log_softmax(z), labels).mean()``)
* layers: batch_dot, dropout, layer_norm, batch_norm, embedding, sequence_mask
* shapes: reshape_like, arange_like, batch_flatten
* special functions: erf, erfinv, gamma, gammaln, digamma, polygamma
* convolution, deconvolution, pooling
* settings: set_np, reset_np, is_np_default_dtype, cpu, gpu, num_gpus, waitall;
  save, load

dropout and batch_norm act in training mode (inside ``autograd.record()`` or
``autograd.train_mode()``); the rules live in ``ndgrad.rules.nn`` and
``ndgrad.rules.special``.

>>> from ndgrad import np, npx
>>> npx.relu(np.array([-1., 2.]))
array([0., 2.])
"""

import numpy as _numpy

from . import numpy as _np  # (also registers the primitives)
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
    """The only device ndgrad computes on (kept so MXNet code runs unchanged)."""
    return 'cpu(0)'


def gpu(device_id=0):
    """A GPU context: ndgrad computes on the CPU only, so this raises RuntimeError."""
    raise RuntimeError(
        f'ndgrad computes on the CPU only: there is no gpu({device_id}) (npx.num_gpus() is '
        f'0). Use npx.cpu(), or d2l.try_gpu(), which falls back to the CPU.'
    )


def num_gpus():
    """How many GPUs ndgrad can use: none."""
    return 0


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
    """Wait for all pending computation: ndgrad computes eagerly, so nothing to wait for."""

"""NumPy calling ndgrad: ``numpy.sin(x)``, ``numpy.sum(x)`` on ndgrad arrays run the ndgrad
function of that name, so they record under ``autograd.record()``.

These are the array's ``__array_ufunc__`` and ``__array_function__`` (NEP 13, NEP 18).

>>> import numpy
>>> from ndgrad import np
>>> numpy.sin(np.zeros(2))
array([0., 0.])
"""
import numpy

from ._ndarray import ndarray
from ._primitive import COMPOSITES, REGISTRY, exports

_REDUCE = {'add': 'sum', 'multiply': 'prod', 'maximum': 'max', 'minimum': 'min'}
_METADATA = {'shape', 'ndim', 'size', 'iscomplexobj', 'isrealobj', 'may_share_memory',
             'shares_memory', 'result_type', 'can_cast', 'min_scalar_type', 'array_repr',
             'array_str', 'array2string'}  # about the array or its display: no gradient


_EXPORTS = {}  # namespace -> (registry sizes, exports), rebuilt when ops are added


def _ndgrad_function(namespace, name):
    """The public ndgrad function `name` of `namespace` ('np' or 'linalg'), or None."""
    if namespace is None:
        return None
    sizes = (len(REGISTRY), len(COMPOSITES))
    cached = _EXPORTS.get(namespace)
    if cached is None or cached[0] != sizes:
        cached = _EXPORTS[namespace] = (sizes, exports(namespace))
    return cached[1].get(name)


def _not_implemented(qualname):
    return TypeError(
        f'{qualname} is not implemented for ndgrad arrays, so it cannot be recorded or '
        f'differentiated. Use the ndgrad function of that name if there is one '
        f'(from ndgrad import np), or pass x.asnumpy() to get a plain NumPy result '
        f'(a constant: no gradient flows through it).')


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``numpy.sin(x)`` runs ``np.sin(x)``: recorded under ``autograd.record()``."""
    if kwargs.get('out') is not None:
        raise TypeError(f'numpy.{ufunc.__name__}(..., out=...) is not supported with ndgrad '
                        f'arrays: assign the result instead (y = np.{ufunc.__name__}(...))')
    kwargs.pop('out', None)
    name = ufunc.__name__ if method == '__call__' else _REDUCE.get(ufunc.__name__)
    if method == 'reduce' and name is not None:
        kwargs.setdefault('axis', 0)
        return _ndgrad_function('np', name)(*inputs, **kwargs)
    fn = _ndgrad_function('np', name) if method == '__call__' else None
    if fn is None:
        suffix = '' if method == '__call__' else f'.{method}'
        raise _not_implemented(f'numpy.{ufunc.__name__}{suffix}')
    return fn(*inputs, **kwargs)


def array_function(self, func, types, args, kwargs):
    """``numpy.sum(x)``, ``numpy.linalg.norm(x)`` run the ndgrad function of that name."""
    if not all(issubclass(t, (ndarray, numpy.ndarray)) for t in types):
        return NotImplemented
    name, module = func.__name__, func.__module__
    if type(kwargs.get('out')) is ndarray:  # else numpy would call back here, endlessly
        raise TypeError(f'{module}.{name}(..., out=...) cannot write into an ndgrad array: '
                        f'assign the result instead (y = np.{name}(...))')
    if module == 'numpy' and name in _METADATA:
        return func(*_raw_args(args), **kwargs)
    namespace = {'numpy': 'np', 'numpy.linalg': 'linalg'}.get(module)
    fn = _ndgrad_function(namespace, name)
    if fn is None:
        raise _not_implemented(f'{module}.{name}')
    return fn(*args, **kwargs)


def _raw_args(args):
    return [a._data if type(a) is ndarray else a for a in args]

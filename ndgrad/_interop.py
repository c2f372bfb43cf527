"""NumPy calling ndgrad: the array's ``__array_ufunc__`` and ``__array_function__`` (NEP 13,
NEP 18), so ndgrad arrays go wherever NumPy arrays go.

* A NumPy function or ufunc that ndgrad has runs ndgrad's function of that name
  (``numpy.sin(x)``, ``numpy.sum(x)``, ``numpy.linalg.norm(x)``): an ndgrad array comes
  back, recorded under ``autograd.record()``.
* One that ndgrad lacks (``numpy.apply_along_axis``, ``numpy.add.accumulate``), or a call with
  ``out=`` a NumPy array (``a += x`` on a NumPy ``a``), runs NumPy on the values and gives
  NumPy's result unchanged (NumPy arrays: the result may be complex, a tuple, a scalar,
  which ndgrad arrays do not all represent, and it carries no gradient anyway).
* That is refused with a TypeError naming the function only where a gradient would be
  lost: an operand carries recorded history (a variable or a recorded result, while
  recording).

>>> import numpy
>>> from ndgrad import np
>>> numpy.sin(np.zeros(2))
array([0., 0.])
>>> numpy.apply_along_axis(sum, 0, np.ones((2, 3))).tolist()  # NumPy's result
[2.0, 2.0, 2.0]
>>> a = numpy.zeros(2); a += np.ones(2); a
array([1., 1.])
"""

import numpy

from ._ndarray import ndarray
from ._primitive import COMPOSITES, REGISTRY, exports
from ._state import recording

_REDUCE = {'add': 'sum', 'multiply': 'prod', 'maximum': 'max', 'minimum': 'min'}
_METADATA = {
    'shape',
    'ndim',
    'size',
    'iscomplexobj',
    'isrealobj',
    'may_share_memory',
    'shares_memory',
    'result_type',
    'can_cast',
    'min_scalar_type',
    'array_repr',
    'array_str',
    'array2string',
}  # about the array or its display: no gradient


_EXPORTS = {}  # namespace -> (registry sizes, exports), rebuilt when ops are added


_NAMESPACES = {'numpy': 'np', 'numpy.linalg': 'linalg', 'numpy.fft': 'fft'}


def _ndgrad_function(namespace, name):
    """The public ndgrad function `name` of `namespace` ('np', 'linalg' or 'fft'), or
    None."""
    if namespace is None:
        return None
    sizes = (len(REGISTRY), len(COMPOSITES))
    cached = _EXPORTS.get(namespace)
    if cached is None or cached[0] != sizes:
        cached = _EXPORTS[namespace] = (sizes, exports(namespace))
    return cached[1].get(name)


def carries_history(value):
    """Whether `value` (an array, or a list/tuple/dict holding arrays) holds an ndgrad
    array whose gradient the current recording would follow: a variable or a recorded
    result, while recording (``record()`` or a ``func`` transform).

    >>> carries_history([np.ones(2), 1.0])
    False
    """
    if not recording():
        return False
    return _holds_node(value)


def _holds_node(value):
    if type(value) is ndarray:
        return value._node is not None
    if type(value) in (list, tuple):
        return any(_holds_node(v) for v in value)
    if type(value) is dict:
        return any(_holds_node(v) for v in value.values())
    return False


def values(value):
    """`value` with every ndgrad array in it (through lists, tuples, dicts) replaced by
    its NumPy values, read-only (as ``numpy.asarray(x)`` gives them: a NumPy function
    returning a view of them cannot write into the array's memory unseen).

    >>> type(values((np.ones(1), [2.0]))[0])
    <class 'numpy.ndarray'>
    """
    if type(value) is ndarray:
        return value.__array__()
    if type(value) in (list, tuple):
        return type(value)(values(v) for v in value)
    if type(value) is dict:
        return {k: values(v) for k, v in value.items()}
    return value


def _not_implemented(qualname):
    return TypeError(
        f'{qualname} is not implemented for ndgrad arrays and an operand carries recorded '
        f'history, so its gradient would be lost. Use the ndgrad function of that name if '
        f'there is one (from ndgrad import np), or pass x.asnumpy() (or compute under '
        f'autograd.pause()) to get a plain NumPy result: a constant, no gradient flows '
        f'through it.'
    )


def _out_error(qualname, name):
    return TypeError(
        f'{qualname}(..., out=...) cannot record a result written into a NumPy '
        f'array, and an operand carries recorded history, so its gradient would '
        f'be lost: assign the result instead (y = np.{name}(...)), or pass '
        f'x.asnumpy() to use the values as a constant'
    )


def _ndgrad_out(out):
    outs = out if type(out) is tuple else (out,)
    return any(type(o) is ndarray for o in outs)


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``numpy.sin(x)`` runs ``np.sin(x)``: recorded under ``autograd.record()``."""
    name = ufunc.__name__
    qualname = f'numpy.{name}' + ('' if method == '__call__' else f'.{method}')
    out = kwargs.get('out')
    if out is not None:
        if _ndgrad_out(out):  # (NumPy would call back here, endlessly)
            raise TypeError(
                f'{qualname}(..., out=...) cannot write into an ndgrad array: '
                f'assign the result instead (y = np.{name}(...))'
            )
        if carries_history(inputs):
            raise _out_error(qualname, name)
        return getattr(ufunc, method)(*values(inputs), **values(kwargs))
    kwargs.pop('out', None)
    fn = None
    if method == '__call__':
        fn = _ndgrad_function('np', name)
    elif method == 'reduce' and name in _REDUCE:
        kwargs.setdefault('axis', 0)
        fn = _ndgrad_function('np', _REDUCE[name])
    if fn is not None:
        return fn(*inputs, **kwargs)
    if carries_history(inputs) or carries_history(kwargs):
        raise _not_implemented(qualname)
    return getattr(ufunc, method)(*values(inputs), **values(kwargs))


def array_function(self, func, types, args, kwargs):
    """``numpy.sum(x)``, ``numpy.linalg.norm(x)`` run the ndgrad function of that name;
    NumPy functions ndgrad lacks run on the values where no gradient would be lost."""
    if not all(issubclass(t, (ndarray, numpy.ndarray)) for t in types):
        return NotImplemented
    name, module = func.__name__, func.__module__
    out = kwargs.get('out')
    if out is not None and _ndgrad_out(out):  # (NumPy would call back here, endlessly)
        raise TypeError(
            f'{module}.{name}(..., out=...) cannot write into an ndgrad array: '
            f'assign the result instead (y = np.{name}(...))'
        )
    if module == 'numpy' and name in _METADATA:
        return func(*values(args), **values(kwargs))
    fn = _ndgrad_function(_NAMESPACES.get(module), name)
    live = carries_history(args) or carries_history(kwargs)
    if fn is not None and out is None:
        if live:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:  # (an option ndgrad lacks: NumPy's values lose nothing)
            return func(*values(args), **values(kwargs))
    if live:
        raise (
            _out_error(f'{module}.{name}', name)
            if fn is not None
            else _not_implemented(f'{module}.{name}')
        )
    return func(*values(args), **values(kwargs))

"""The ndarray's operators and methods, each a call of the matching np function."""

import warnings

import numpy

from . import _backend, _interop, numpy as np
from ._errors import GradientLostWarning, InPlaceModificationError
from ._ndarray import ndarray, wrap
from ._primitive import REGISTRY, SCALARS, _wrap_out, renewed
from ._state import recording
from ._writes import CLOCK, holds_variable, is_stale, mark_written, written_within
from .rules.indexing import raw_index as _raw_index

_add, _sub, _mul, _div = np.add, np.subtract, np.multiply, np.divide
_pow, _matmul, _neg = np.power, np.matmul, np.negative
_getitem, _setitem, _unstack = REGISTRY['getitem'], REGISTRY['setitem'], REGISTRY['unstack']


def __getitem__(self, index):
    if type(index) is not int:
        index = _raw_index(index)
    if not recording() or self._node is None:
        return _wrap_out(self._data[index])
    return _getitem.record((self,), {'index': index})


def __iter__(self):
    if self._data.ndim == 0:
        raise TypeError('iteration over a 0-d array')
    if recording() and self._node is not None:
        return iter(_unstack(self, -self._data.ndim))  # one recorded op for all the rows
    return (self[i] for i in range(self._data.shape[0]))


def assign(self, index, value):
    """``x[index] = value``, in place as in NumPy (views and aliases of x see it); under
    ``record()`` x's history becomes the assignment."""
    index = _raw_index(index)
    if recording() and _recorded_write(self, value):
        target, node = self, self._node
        if (
            node is not None
            and is_stale(self._data, node)
            and written_within(self._data, node.version, index)
        ):
            # (``y[i] += v``: the view y[i] was written, then y[i] is assigned; what
            # made y's history stale is exactly what this assignment replaces)
            target = wrap(self._data, renewed(node))
        write_recorded(self, _setitem(target, value, index=index), index)
        return
    if self._node is not None and self._node.prim is not None:
        _unrecorded_write(self)
    data = self._data
    if type(data) is not numpy.ndarray and _backend.kind(data) == 'dask':
        data = self._data = data.copy()  # (new values: graphs that saved the old keep them)
    data[index] = value._data if type(value) is ndarray else value
    mark_written(data, index)


def _unrecorded_write(target):
    """Outside ``record()`` a write into an op's result is not recorded: the array becomes
    a constant (arrays sharing its memory whose history it breaks raise at backward)."""
    node = target._node
    if node.out is not None:
        raise InPlaceModificationError(
            f"cannot modify this array in place: the backward pass of '{node.name}', "
            f'which produced it, still needs its value. Modify a copy (y = y.copy()) or '
            f'call backward first.'
        )
    target._node = None


def _recorded_write(target, value):
    """Whether writing `value` into `target` under record() must be recorded; a variable
    cannot be written into there."""
    node = target._node
    recorded = node is not None or (type(value) is ndarray and value._node is not None)
    if (node is not None and node.prim is None) or (recorded and holds_variable(target._data)):
        raise InPlaceModificationError(
            'cannot modify a variable (an array with an attached gradient), or a view of '
            'one, in place inside autograd.record(): the write would change the input of '
            'the function being recorded. Update parameters outside the record() block '
            '(e.g. after backward), or compute a new array (x2 = x + 1).'
        )
    return recorded


def write_recorded(target, result, index=None):
    """Under ``record()``: the values of `result`, the recorded out-of-place op, written
    into `target`'s memory (at `index`, or all of it; its views and aliases see them,
    as in NumPy), and `result`'s history becomes `target`'s. Graphs that saved the old
    values of that memory raise InPlaceModificationError at backward; the op itself
    keeps a copy."""
    data = target._data
    if type(data) is not numpy.ndarray:
        _backend.writable(data, 'an in-place write')
    op = result._node
    if op is not None and op.versions is not None and op.inputs is not None:
        old = None
        for k, value in enumerate(op.inputs):
            if value is data:  # the op saved the values about to be overwritten
                old = data.copy() if old is None else old
                op.inputs[k], op.versions[k] = old, None
    if (
        op is not None
        and result.dtype != data.dtype
        and numpy.can_cast(result.dtype, data.dtype, 'same_kind')
    ):
        result = np.astype(result, data.dtype)  # (the history of the values as stored)
    node = result._node
    if node is None:
        warnings.warn(
            f'assigning values with recorded history into an array of dtype {data.dtype}: '
            f'integer and boolean arrays carry no gradient, so derivatives through these '
            f'values are lost. Assign into a floating-point array (np.zeros(n)) instead.',
            GradientLostWarning,
            stacklevel=3,
        )
    if index is None:
        try:
            numpy.copyto(data, result._data, casting='same_kind')
        except TypeError as exc:  # (NumPy's rule: no float results in an integer array)
            raise TypeError(
                f'cannot store the result, of dtype {result.dtype}, in place in an array of '
                f'dtype {data.dtype} (NumPy casts in-place results with same_kind). Use a '
                f'floating-point array, or assign a new one: c = c + x.'
            ) from exc
    else:
        data[index] = result._data[index]
    mark_written(data, index)
    if node is not None:
        node.version = CLOCK[0]  # (its output now lives in target's memory, written now)
    target._node = node


__setitem__ = assign


def _operator(prim, reflected=False):
    """``x op other`` calling the primitive `prim` directly: its recording path under
    ``record()``, else its bare kernel (the common operators' per-call overhead)."""

    def method(self, other):
        if recording():
            return prim.binary(other, self) if reflected else prim.binary(self, other)
        a, b = self._data, other._data if type(other) is ndarray else other
        try:
            out = prim.fn(b, a) if reflected else prim.fn(a, b)
        except Exception as error:  # (free unless raised: another backend's operands?)
            out = prim._retry([b, a] if reflected else [a, b], {}, error)
        if type(out) is numpy.ndarray:
            return wrap(out)
        return wrap(numpy.asarray(out)) if type(out) in SCALARS else _wrap_out(out)

    return method


__add__, __radd__ = _operator(_add), _operator(_add, reflected=True)
__sub__, __rsub__ = _operator(_sub), _operator(_sub, reflected=True)
__mul__, __rmul__ = _operator(_mul), _operator(_mul, reflected=True)
__truediv__, __rtruediv__ = _operator(_div), _operator(_div, reflected=True)
__pow__, __rpow__ = _operator(_pow), _operator(_pow, reflected=True)
__matmul__, __rmatmul__ = _operator(_matmul), _operator(_matmul, reflected=True)


def _calling(function, reflected=False):
    """The method ``x op other`` as ``function(x, other)``, or ``function(other, x)``
    where `reflected`: one call of `function`, as a method written out would make."""
    if reflected:
        return lambda self, other: function(other, self)
    return lambda self, other: function(self, other)


def _calling_unary(function):
    """The method ``op x`` as ``function(x)``."""
    return lambda self: function(self)


__floordiv__ = _calling(np.floor_divide)
__rfloordiv__ = _calling(np.floor_divide, reflected=True)
__mod__, __rmod__ = _calling(np.mod), _calling(np.mod, reflected=True)
__eq__, __ne__ = _calling(np.equal), _calling(np.not_equal)
__lt__, __le__ = _calling(np.less), _calling(np.less_equal)
__gt__, __ge__ = _calling(np.greater), _calling(np.greater_equal)
__and__, __or__ = _calling(np.bitwise_and), _calling(np.bitwise_or)
__xor__ = _calling(np.bitwise_xor)
__neg__, __pos__ = _calling_unary(_neg), _calling_unary(np.positive)
__abs__, __invert__ = _calling_unary(np.absolute), _calling_unary(np.invert)


def _inplace(fn):
    def method(self, other):
        if recording() and _recorded_write(self, other):
            write_recorded(self, fn(self, other))
            return self
        # (a variable keeps its gradient buffer: ``w -= lr * w.grad``; the write count
        # flags graphs that saved the old values)
        result = fn(self, other)._data
        if self._node is not None and self._node.prim is not None:
            _unrecorded_write(self)
        if type(self._data) is not numpy.ndarray and _backend.kind(self._data) == 'dask':
            # (immutable: new values; ``w -= lr * w.grad`` on a Dask parameter)
            self._data = result.astype(self._data.dtype, casting='same_kind')
            return self
        numpy.copyto(self._data, result, casting='same_kind')
        mark_written(self._data)
        return self

    return method


__iadd__, __isub__ = _inplace(_add), _inplace(_sub)
__imul__, __itruediv__ = _inplace(_mul), _inplace(_div)


def _non_default(axis, dtype=None, keepdims=False):
    """A reduction method's keywords less those at their defaults: each keyword passed
    on costs the op, its node and its rules a dictionary entry."""
    given = {} if axis is None else {'axis': axis}
    if dtype is not None:
        given['dtype'] = dtype
    if keepdims:
        given['keepdims'] = keepdims
    return given


def sum(self, axis=None, dtype=None, keepdims=False):
    return np.sum(self, **_non_default(axis, dtype, keepdims))


def mean(self, axis=None, dtype=None, keepdims=False):
    return np.mean(self, **_non_default(axis, dtype, keepdims))


def max(self, axis=None, keepdims=False):
    return np.max(self, **_non_default(axis, keepdims=keepdims))


def min(self, axis=None, keepdims=False):
    return np.min(self, **_non_default(axis, keepdims=keepdims))


def prod(self, axis=None, dtype=None, keepdims=False):
    return np.prod(self, **_non_default(axis, dtype, keepdims))


def argmax(self, axis=None):
    return np.argmax(self, axis=axis)


def argmin(self, axis=None):
    return np.argmin(self, axis=axis)


def dot(self, other):
    return np.dot(self, other)


def astype(self, dtype, copy=True):
    return np.astype(self, dtype, copy=copy)


def copy(self):
    return np.copy(self)


def flatten(self):
    return np.reshape(self, (-1,))


def ravel(self):
    return np.reshape(self, (-1,))


def squeeze(self, axis=None):
    return np.squeeze(self, axis)


def swapaxes(self, a, b):
    return np.swapaxes(self, a, b)


def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.std(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
    return np.var(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)


def ptp(self, axis=None, keepdims=False):
    return np.ptp(self, axis=axis, keepdims=keepdims)


def cumsum(self, axis=None, dtype=None):
    return np.cumsum(self, axis=axis, dtype=dtype)


def cumprod(self, axis=None, dtype=None):
    return np.cumprod(self, axis=axis, dtype=dtype)


def clip(self, min=None, max=None):
    return np.clip(self, min, max)


def round(self, decimals=0):
    return np.round(self, decimals)


def argsort(self, axis=-1, kind=None, order=None):
    return np.argsort(self, axis=axis, kind=kind, order=order)


def all(self, axis=None, keepdims=False):
    return np.all(self, axis=axis, keepdims=keepdims)


def any(self, axis=None, keepdims=False):
    return np.any(self, axis=axis, keepdims=keepdims)


def nonzero(self):
    return np.nonzero(self)


def repeat(self, repeats, axis=None):
    return np.repeat(self, repeats, axis=axis)


def asscalar(self):
    """The value of a one-element array as a Python number (MXNet's ``asscalar``)."""
    if self.size != 1:
        raise ValueError(
            f'asscalar() needs an array of one element, got shape {self.shape}: '
            f'use x.item(i) for one element or x.tolist() for all'
        )
    self._warn_if_recorded('x.asscalar()')
    return self._data.item()


def sort(self, axis=-1, kind=None, order=None):
    """A sorted copy, as MXNet's ``ndarray.sort`` (NumPy's sorts in place instead)."""
    return np.sort(self, axis=axis, kind=kind, order=order)


def reshape(self, *shape, order='C'):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return np.reshape(self, tuple(shape), order=order)


def transpose(self, *axes):
    if (len(axes) == 1 and isinstance(axes[0], (tuple, list))) or axes == (None,):
        axes = axes[0]
    return np.transpose(self, axes or None)


T = property(lambda self: np.transpose(self))


_METHODS = (
    '__getitem__',
    '__setitem__',
    '__iter__',
    '__add__',
    '__radd__',
    '__sub__',
    '__rsub__',
    '__mul__',
    '__rmul__',
    '__truediv__',
    '__rtruediv__',
    '__floordiv__',
    '__rfloordiv__',
    '__mod__',
    '__rmod__',
    '__pow__',
    '__rpow__',
    '__matmul__',
    '__rmatmul__',
    '__neg__',
    '__pos__',
    '__abs__',
    '__eq__',
    '__ne__',
    '__lt__',
    '__le__',
    '__gt__',
    '__ge__',
    '__invert__',
    '__and__',
    '__or__',
    '__xor__',
    '__iadd__',
    '__isub__',
    '__imul__',
    '__itruediv__',
    'sum',
    'mean',
    'max',
    'min',
    'prod',
    'argmax',
    'argmin',
    'dot',
    'astype',
    'copy',
    'flatten',
    'ravel',
    'squeeze',
    'swapaxes',
    'reshape',
    'transpose',
    'T',
    'std',
    'var',
    'ptp',
    'cumsum',
    'cumprod',
    'clip',
    'round',
    'argsort',
    'sort',
    'all',
    'any',
    'nonzero',
    'repeat',
    'asscalar',
)
for _name in _METHODS:
    _method = globals()[_name]
    if getattr(_method, '__name__', None) in ('<lambda>', 'method'):  # (made by a factory:
        # its own name for help() and reprs)
        _method.__name__, _method.__qualname__ = _name, f'ndarray.{_name}'
    setattr(ndarray, _name, _method)
ndarray.__array_ufunc__ = _interop.array_ufunc
ndarray.__array_function__ = _interop.array_function

"""Array creation with MXNet's defaults: float32 unless NumPy's are asked for
(``npx.set_np(dtype=True)``). NumPy arrays passed in keep their dtype."""

from collections.abc import Callable
from typing import Any, Literal

import numpy

from .._backend import kind, on_context
from .._ndarray import ndarray, raw, wrap
from .._primitive import REC, _holds_graph, stack_nested
from .._state import CONFIG, recording
from .._typing import ArrayLike, DTypeLike, ShapeLike

# (what users see are the signatures in __init__.pyi; `Any` below marks values handed on
# to NumPy's overloads unchanged, which check them)

__all__ = [
    'arange',
    'array',
    'asarray',
    'empty',
    'empty_like',
    'eye',
    'full',
    'full_like',
    'identity',
    'linspace',
    'ones',
    'ones_like',
    'zeros',
    'zeros_like',
]


def _float(dtype: DTypeLike | None) -> DTypeLike:
    return CONFIG.float_dtype if dtype is None else dtype


def _default_dtype(data: numpy.ndarray[Any, Any]) -> numpy.ndarray[Any, Any]:
    """Python numbers and lists become the default float dtype (MXNet's convention)."""
    if CONFIG.numpy_defaults or data.dtype.kind not in 'iuf':
        return data
    return data.astype(CONFIG.float_dtype)


def array(
    object: Any, dtype: DTypeLike | None = None, copy: bool = True, ndmin: int = 0, ctx: Any = None
) -> ndarray:
    """An array from data. ``np.array([1, 2])`` is float32, as in MXNet. A Dask or CuPy
    array is wrapped as it is (a Dask array is not computed; a CuPy one is copied).
    ``ctx``: the context to create it on (``npx.gpu(0)``).

    >>> np.array([1, 2, 3])
    array([1., 2., 3.])
    """
    if ctx is not None:
        return array(object, dtype, copy, ndmin).as_in_ctx(ctx)  # (recorded: a copy)
    if recording() and _recorded(object):
        # recorded arrays (or lists of them) keep their gradients: stacked and copied
        listed = type(object) is not ndarray
        out = stack_nested(object) if listed else object
        out = REC.copy(out) if copy or not listed else out
        if dtype is None and listed and not CONFIG.numpy_defaults:
            dtype = CONFIG.float_dtype  # (a list: MXNet's default dtype, as below)
        if dtype is not None and out.dtype != dtype:
            out = REC.astype(out, dtype)
        if ndmin > out.ndim:
            out = REC.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
        return out  # type: ignore[no-any-return]  # (REC's ops are not annotated yet)
    if type(object) is ndarray:
        data = object._data
    elif type(object) is not numpy.ndarray and kind(object) != 'numpy':
        data = object  # (Dask: an immutable graph, never copied; CuPy: copied below)
        copy = copy and kind(object) != 'dask'
    else:
        data = numpy.asarray(object, dtype=dtype)
        if dtype is None and not isinstance(object, numpy.ndarray) and not _is_numpy_scalar(object):
            data = _default_dtype(data)
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    elif copy or data is object:  # (a NumPy array's memory is copied: NumPy writes into
        data = data.copy()  # it could not be seen, as MXNet's arrays were their own)
    if ndmin > data.ndim:
        data = data.reshape((1,) * (ndmin - data.ndim) + data.shape)
    return wrap(on_context(data, None))


def _recorded(value: object) -> bool:
    """Whether `value` is, or a (nested) list of, arrays with recorded history."""
    if type(value) is ndarray:
        return value._node is not None
    return type(value) in (list, tuple) and _holds_graph(value)


def _is_numpy_scalar(value: object) -> bool:
    return isinstance(value, numpy.generic)


def asarray(a: ArrayLike, dtype: DTypeLike | None = None, ctx: Any = None) -> ndarray:
    """`a` as an ndgrad array: `a` itself if it is one; NumPy data is copied, as by
    `array`, since writes by NumPy into shared memory could not be seen; Dask and CuPy
    arrays are wrapped as they are (a Dask array is not computed)."""
    if type(a) is ndarray and (dtype is None or a.dtype == dtype) and ctx is None:
        return a
    return array(a, dtype=dtype, copy=False, ctx=ctx)


def _filled(kernel: Callable[..., Any], values: str) -> Callable[..., ndarray]:
    """NumPy's creation function `kernel` (``numpy.zeros``, ...) with MXNet's default
    dtype and a context to create the array on."""

    def create(
        shape: ShapeLike,
        dtype: DTypeLike | None = None,
        order: Literal['C', 'F'] = 'C',
        ctx: Any = None,
    ) -> ndarray:
        return wrap(on_context(kernel(shape, _float(dtype), order), ctx))

    create.__name__ = create.__qualname__ = kernel.__name__
    create.__doc__ = (
        f'A new array of `shape` {values}, of the default float dtype unless `dtype` is given.'
    )
    return create


zeros = _filled(numpy.zeros, 'filled with 0')
ones = _filled(numpy.ones, 'filled with 1')
empty = _filled(numpy.empty, 'whose values are not initialized')


def full(
    shape: ShapeLike,
    fill_value: ArrayLike,
    dtype: DTypeLike | None = None,
    order: Literal['C', 'F'] = 'C',
    ctx: Any = None,
) -> ndarray:
    fill_value = raw(fill_value)
    if dtype is None and isinstance(fill_value, (bool, numpy.bool_)):
        dtype = numpy.bool_
    return wrap(on_context(numpy.full(shape, fill_value, _float(dtype), order), ctx))


def _like(fn: Callable[..., Any]) -> Callable[..., ndarray]:
    def like(a: ArrayLike, dtype: DTypeLike | None = None, *args: Any, **kwargs: Any) -> ndarray:
        return wrap(fn(numpy.asarray(a), dtype, *args, **kwargs))

    like.__name__ = fn.__name__
    like.__doc__ = f"Like NumPy's {fn.__name__}: shape (and dtype) of `a`."
    return like


zeros_like = _like(numpy.zeros_like)
ones_like = _like(numpy.ones_like)
empty_like = _like(numpy.empty_like)


def full_like(a: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None) -> ndarray:
    return wrap(numpy.full_like(numpy.asarray(a), fill_value, dtype))


def arange(
    start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, ctx: Any = None
) -> ndarray:
    """Evenly spaced values; float32 by default, as in MXNet.

    >>> np.arange(4)
    array([0., 1., 2., 3.])
    """
    data = (
        numpy.arange(start, stop, step, dtype=dtype)
        if stop is not None
        else numpy.arange(start, step=step, dtype=dtype)
    )
    return wrap(on_context(data if dtype is not None else _default_dtype(data), ctx))


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: Any = False,
    dtype: Any = None,
    axis: int = 0,
) -> ndarray | tuple[ndarray, Any]:
    result = numpy.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    data, step = result if retstep else (result, None)
    data = wrap(data if dtype is not None else _default_dtype(data))
    return (data, step) if retstep else data


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike | None = None) -> ndarray:
    return wrap(numpy.eye(N, M, k, dtype=_float(dtype)))


def identity(n: int, dtype: DTypeLike | None = None) -> ndarray:
    return wrap(numpy.identity(n, dtype=_float(dtype)))

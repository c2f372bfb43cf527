"""The array type: a NumPy array, the graph node that produced it, and its gradient."""

from __future__ import annotations

import operator
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import numpy

from . import _backend
from ._errors import GradientLostWarning
from ._graph import Leaf
from ._state import CONFIG, recording
from ._writes import mark_variable

if TYPE_CHECKING:
    from ._typing import ArrayLike, Axis, DTypeLike, GradReq, ShapeLike

    class _ArrayAttribute(Protocol):
        """An attribute installed on the class at import whose value is an array."""

        def __get__(self, instance: object, owner: type | None = None, /) -> ndarray: ...


_new = object.__new__


def wrap(data: numpy.ndarray[Any, Any], node: Any = None) -> ndarray:
    """Wrap a NumPy array (no copy) as an ndgrad array recorded by `node`."""
    a = _new(ndarray)
    a._data = data
    a._node = node
    return a


def raw(value: Any) -> Any:
    """The NumPy value behind an ndgrad array; anything else unchanged."""
    return value._data if type(value) is ndarray else value


def _data_attribute(name: str) -> Any:
    """A read-only property of the array: the attribute `name` of its NumPy data."""
    return property(operator.attrgetter(f'_data.{name}'), doc=f"NumPy's ``{name}`` of the values.")


_S = TypeVar('_S', float, int, complex)
_DTYPE_SUFFIX = re.compile(r',\s*dtype=[\w.]+\)$')


class ndarray:
    """An n-dimensional array that can take part in automatic differentiation.

    >>> from ndgrad import autograd, np
    >>> x = np.arange(4); x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * np.dot(x, x)
    >>> y.backward(); x.grad
    array([ 0.,  4.,  8., 12.])
    """

    __slots__ = ('__weakref__', '_data', '_node')
    __array_priority__ = 1000.0
    _data: numpy.ndarray[tuple[int, ...], numpy.dtype[Any]]
    _node: Any  # (a graph node of ndgrad._graph, or None)

    if TYPE_CHECKING:
        # Installed on the class at import by ndgrad._methods (each calls the matching np
        # function): declared here for type checkers only.
        __array_ufunc__: Callable[..., Any]
        __array_function__: Callable[..., Any]

        def __getitem__(self, index: Any) -> ndarray: ...
        def __setitem__(self, index: Any, value: ArrayLike) -> None: ...
        def __iter__(self) -> Iterator[ndarray]: ...
        def __add__(self, other: ArrayLike) -> ndarray: ...
        def __radd__(self, other: ArrayLike) -> ndarray: ...
        def __sub__(self, other: ArrayLike) -> ndarray: ...
        def __rsub__(self, other: ArrayLike) -> ndarray: ...
        def __mul__(self, other: ArrayLike) -> ndarray: ...
        def __rmul__(self, other: ArrayLike) -> ndarray: ...
        def __truediv__(self, other: ArrayLike) -> ndarray: ...
        def __rtruediv__(self, other: ArrayLike) -> ndarray: ...
        def __floordiv__(self, other: ArrayLike) -> ndarray: ...
        def __rfloordiv__(self, other: ArrayLike) -> ndarray: ...
        def __mod__(self, other: ArrayLike) -> ndarray: ...
        def __rmod__(self, other: ArrayLike) -> ndarray: ...
        def __pow__(self, other: ArrayLike) -> ndarray: ...
        def __rpow__(self, other: ArrayLike) -> ndarray: ...
        def __matmul__(self, other: ArrayLike) -> ndarray: ...
        def __rmatmul__(self, other: ArrayLike) -> ndarray: ...
        def __neg__(self) -> ndarray: ...
        def __pos__(self) -> ndarray: ...
        def __abs__(self) -> ndarray: ...
        def __invert__(self) -> ndarray: ...
        def __and__(self, other: ArrayLike) -> ndarray: ...
        def __or__(self, other: ArrayLike) -> ndarray: ...
        def __xor__(self, other: ArrayLike) -> ndarray: ...
        # (elementwise, as NumPy's: an array of booleans, not one bool as object's)
        def __eq__(self, other: object) -> ndarray: ...  # type: ignore[override]
        def __ne__(self, other: object) -> ndarray: ...  # type: ignore[override]
        def __lt__(self, other: ArrayLike) -> ndarray: ...
        def __le__(self, other: ArrayLike) -> ndarray: ...
        def __gt__(self, other: ArrayLike) -> ndarray: ...
        def __ge__(self, other: ArrayLike) -> ndarray: ...
        def __iadd__(self, other: ArrayLike) -> ndarray: ...
        def __isub__(self, other: ArrayLike) -> ndarray: ...
        def __imul__(self, other: ArrayLike) -> ndarray: ...
        def __itruediv__(self, other: ArrayLike) -> ndarray: ...

        def sum(
            self, axis: Axis = None, dtype: DTypeLike | None = None, keepdims: bool = False
        ) -> ndarray: ...
        def mean(
            self, axis: Axis = None, dtype: DTypeLike | None = None, keepdims: bool = False
        ) -> ndarray: ...
        def max(self, axis: Axis = None, keepdims: bool = False) -> ndarray: ...
        def min(self, axis: Axis = None, keepdims: bool = False) -> ndarray: ...
        def prod(
            self, axis: Axis = None, dtype: DTypeLike | None = None, keepdims: bool = False
        ) -> ndarray: ...
        def argmax(self, axis: int | None = None) -> ndarray: ...
        def argmin(self, axis: int | None = None) -> ndarray: ...
        def dot(self, other: ArrayLike) -> ndarray: ...
        def astype(self, dtype: DTypeLike, copy: bool = True) -> ndarray: ...
        def copy(self) -> ndarray: ...
        def flatten(self) -> ndarray: ...
        def ravel(self) -> ndarray: ...
        def squeeze(self, axis: Axis = None) -> ndarray: ...
        def swapaxes(self, a: int, b: int) -> ndarray: ...
        def reshape(self, *shape: ShapeLike, order: str = 'C') -> ndarray: ...
        def transpose(self, *axes: ShapeLike | None) -> ndarray: ...
        @property
        def T(self) -> ndarray: ...
        def std(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            ddof: int = 0,
            keepdims: bool = False,
        ) -> ndarray: ...

        var = std  # (the same parameters)

        def ptp(self, axis: Axis = None, keepdims: bool = False) -> ndarray: ...
        def cumsum(self, axis: int | None = None, dtype: DTypeLike | None = None) -> ndarray: ...
        def cumprod(self, axis: int | None = None, dtype: DTypeLike | None = None) -> ndarray: ...
        def clip(self, min: ArrayLike | None = None, max: ArrayLike | None = None) -> ndarray: ...
        def round(self, decimals: int = 0) -> ndarray: ...
        def argsort(
            self, axis: int | None = -1, kind: str | None = None, order: str | None = None
        ) -> ndarray: ...
        def sort(
            self, axis: int | None = -1, kind: str | None = None, order: str | None = None
        ) -> ndarray: ...
        def all(self, axis: Axis = None, keepdims: bool = False) -> ndarray: ...
        def any(self, axis: Axis = None, keepdims: bool = False) -> ndarray: ...
        def nonzero(self) -> Sequence[ndarray]: ...
        def repeat(self, repeats: ArrayLike, axis: int | None = None) -> ndarray: ...
        def asscalar(self) -> Any: ...

        # (installed by ndgrad.rules.complex)
        real: ClassVar[_ArrayAttribute]
        imag: ClassVar[_ArrayAttribute]
        conj: Callable[..., ndarray]
        conjugate: Callable[..., ndarray]

        # (installed by ndgrad.rules.devices: recorded copies between devices)
        as_in_ctx: Callable[..., ndarray]
        as_in_context: Callable[..., ndarray]
        copyto: Callable[..., ndarray]

    def __init__(self, data: ArrayLike) -> None:
        # (Dask and CuPy data are kept as they are; NumPy's are copied: NumPy writes into
        # shared memory would go unseen)
        self._data = numpy.array(data) if _backend.kind(data) == 'numpy' else data  # type: ignore[assignment]
        self._node = None

    def _values(self) -> numpy.ndarray[Any, Any]:
        """The values as a NumPy array (Dask data computed, CuPy data copied to the host)."""
        data = self._data
        return data if type(data) is numpy.ndarray else _backend.to_numpy(data)

    # --- gradients -------------------------------------------------------------
    def attach_grad(self, grad_req: GradReq = 'write', stype: str | None = None) -> None:
        """Allocate a zero gradient buffer, filled by later backward passes.

        ``grad_req`` is 'write' (backward overwrites ``grad``), 'add' (backward
        accumulates into it) or 'null' (no gradient). Attaching a gradient to an
        array computed under ``autograd.record()`` detaches it from that history.
        """
        if grad_req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        if stype not in (None, 'default'):
            raise ValueError('ndgrad arrays are dense: only stype=None is supported')
        if grad_req == 'null':
            self._node = None
            return
        if self._data.dtype.kind not in 'fc':
            raise TypeError(
                f'cannot attach a gradient to an array of dtype {self._data.dtype}: gradients '
                f'are defined for floating-point and complex arrays only. Convert it first, e.g. '
                f"x = x.astype('float32'), or create it with a float dtype."
            )
        grad = wrap(numpy.zeros_like(self._data))
        node = self._node
        if type(node) is Leaf and node.grad is not None:
            # already a variable: graphs recorded from it fill the new buffer
            node.grad, node.grad_req = grad, grad_req
            return
        self._node = Leaf(self._data.shape, self._data.dtype, grad, grad_req)
        mark_variable(self._data)

    @property
    def grad(self) -> ndarray | None:
        """The gradient buffer made by `attach_grad` (None for other arrays)."""
        node = self._node
        return None if node is None else node.grad

    @property
    def grad_req(self) -> str:
        node = self._node
        if node is None or node.prim is not None:
            return 'null'
        return node.grad_req  # type: ignore[no-any-return]  # (graph nodes are untyped)

    def detach(self) -> ndarray:
        """The same values (shared memory) with no recorded history."""
        return wrap(self._data)

    def backward(
        self, out_grad: ArrayLike | None = None, retain_graph: bool = False, train_mode: bool = True
    ) -> None:
        """Compute the gradient of this array with respect to every variable it depends on.

        A non-scalar array is treated as ``sum(self * out_grad)`` with ``out_grad``
        of ones by default: the sum of the per-element gradients. ``out_grad`` is
        the head gradient dL/dself and must have this array's shape.
        """
        # (autograd imports this module, so it is looked up here, not imported per call)
        sys.modules['ndgrad.autograd'].backward(self, out_grad, retain_graph, train_mode)

    # --- NumPy-like attributes ---------------------------------------------------
    shape: tuple[int, ...] = _data_attribute('shape')
    ndim: int = _data_attribute('ndim')
    size: int = _data_attribute('size')
    dtype: numpy.dtype[Any] = _data_attribute('dtype')
    itemsize: int = _data_attribute('itemsize')
    nbytes: int = _data_attribute('nbytes')

    @property
    def ctx(self) -> _backend.Context:
        """The context the values live on: ``cpu(0)``, or ``gpu(i)`` for CuPy data."""
        return _backend.context_of(self._data)

    context = device = ctx

    def asnumpy(self) -> numpy.ndarray[Any, Any]:
        """A NumPy copy of the values (Dask data computed, CuPy data copied to the host)."""
        data = self._data
        if type(data) is not numpy.ndarray:
            return _backend.to_numpy(data).copy()  # type: ignore[no-any-return]
        return data.copy()  # type: ignore[no-any-return]  # (Any in NumPy's 3.10 stubs)

    def item(self, *args: int) -> Any:
        self._warn_if_recorded('x.item()')
        return self._values().item(*args)

    def tolist(self) -> Any:
        return self._values().tolist()

    def as_nd_ndarray(self) -> ndarray:
        return self

    as_np_ndarray = as_nd_ndarray

    def wait_to_read(self) -> None:
        """Wait until the values are computed: a Dask array's graph is run and its
        values kept (persisted: later ops start from them); NumPy data is computed
        already."""
        if type(self._data) is not numpy.ndarray:
            self._data = _backend.persist(self._data)

    # --- Python protocols ---------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError('len() of unsized object: this is a 0-d array')
        return self._data.shape[0]

    def __bool__(self) -> bool:
        return bool(self._data)

    def _warn_if_recorded(self, what: str, stacklevel: int = 3) -> None:
        if recording() and self._node is not None:
            warnings.warn(
                f'{what} on an array with recorded history inside autograd.record() gives a '
                f'Python number, which carries no gradient: derivatives through it are lost. '
                f'Keep the value an array (use np.* functions instead of math.*), or '
                f'compute it under autograd.pause() to say you mean a constant.',
                GradientLostWarning,
                stacklevel=stacklevel,
            )

    def _scalar(self, convert: Callable[[Any], _S]) -> _S:
        if self._data.size != 1:
            raise TypeError(
                f'only size-1 arrays can be converted to Python scalars; this array has '
                f'shape {self._data.shape}. Functions from the math module (math.exp, '
                f'math.sin, ...) take one number: use the array functions of ndgrad '
                f'(np.exp(x), np.sin(x), ...), which work elementwise and keep the gradient.'
            )
        self._warn_if_recorded(f'{convert.__name__}(x)', stacklevel=4)  # (via __float__)
        return convert(self._values().reshape(()).item())

    def __float__(self) -> float:
        return self._scalar(float)

    def __int__(self) -> int:
        return self._scalar(int)

    def __complex__(self) -> complex:
        return self._scalar(complex)

    def __index__(self) -> int:
        return operator.index(self._values())

    def __array__(
        self, dtype: DTypeLike | None = None, copy: bool | None = None
    ) -> numpy.ndarray[Any, Any]:
        """The NumPy values: a read-only view (writes through NumPy could not be counted,
        and a graph may have saved these values); `asnumpy` gives a writeable copy."""
        data = self._values()
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        if copy:
            return data.copy()  # type: ignore[no-any-return]  # (Any in NumPy's 3.10 stubs)
        if data.flags.writeable:
            data = data.view()
            data.flags.writeable = False
        return data

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        text = _DTYPE_SUFFIX.sub(')', numpy.array_repr(self._values()))
        dtype = self._data.dtype
        if dtype != CONFIG.float_dtype and dtype != numpy.bool_:
            text = text[:-1] + f', dtype={dtype})'
        return text

    def __str__(self) -> str:
        return str(self._values())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._values().item(), spec)
        return format(str(self), spec)

    def __reduce__(self) -> tuple[type[ndarray], tuple[numpy.ndarray[Any, Any]]]:
        return (ndarray, (self._data,))

    def __copy__(self) -> ndarray:
        return wrap(self._data.copy())

    def __deepcopy__(self, memo: dict[int, Any]) -> ndarray:
        return wrap(self._data.copy())

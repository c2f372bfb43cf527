"""Types for annotations: what ndgrad's functions accept (the stubs of `ndgrad.numpy`
and `ndgrad.npx` use them).

>>> from ndgrad import np
>>> from ndgrad._typing import ArrayLike
>>> def double(x: ArrayLike) -> np.ndarray:
...     return np.multiply(x, 2)
>>> double(np.array([0.5, 1.5]))
array([1., 3.])
"""

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

import numpy
import numpy.typing

from ._ndarray import ndarray

__all__ = ['ArrayLike', 'Axis', 'DTypeLike', 'GradReq', 'PyTree', 'Scalar', 'Scope', 'ShapeLike']

Scalar: TypeAlias = float | int | complex | bool | numpy.generic
# An ndgrad array, a NumPy array, a number, or (nested) sequences of these.
ArrayLike: TypeAlias = ndarray | numpy.ndarray[Any, Any] | Scalar | Sequence['ArrayLike']
ShapeLike: TypeAlias = int | Sequence[int]
Axis: TypeAlias = int | Sequence[int] | None
DTypeLike: TypeAlias = numpy.typing.DTypeLike
# Nested tuples, lists and dicts of arrays and numbers, as `ndgrad.func` takes and returns
# them (their leaves may be of any type, so the structure is not checked).
PyTree: TypeAlias = Any
# How backward treats a variable's gradient buffer: overwrite it, add to it, or none.
GradReq: TypeAlias = Literal['write', 'add', 'null']

_F = TypeVar('_F', bound=Callable[..., Any])


class Scope(Protocol):
    """What `autograd.record()`, `pause()`, `train_mode()` and `predict_mode()` return: a
    context manager that sets the autograd flags for a block, or a function decorator."""

    def __enter__(self) -> None: ...
    def __exit__(self, *exc: object) -> None: ...
    def __call__(self, fn: _F) -> _F: ...

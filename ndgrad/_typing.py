"""Types for annotations: what ndgrad's functions accept (the stubs of `ndgrad.numpy`
and `ndgrad.npx` use them).

>>> from ndgrad import np
>>> from ndgrad._typing import ArrayLike
>>> def double(x: ArrayLike) -> np.ndarray:
...     return np.multiply(x, 2)
>>> double(np.array([0.5, 1.5]))
array([1., 3.])
"""

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy
import numpy.typing

from ._ndarray import ndarray

__all__ = ['ArrayLike', 'Axis', 'DTypeLike', 'Scalar', 'ShapeLike']

Scalar: TypeAlias = float | int | complex | bool | numpy.generic
# An ndgrad array, a NumPy array, a number, or (nested) sequences of these.
ArrayLike: TypeAlias = ndarray | numpy.ndarray[Any, Any] | Scalar | Sequence['ArrayLike']
ShapeLike: TypeAlias = int | Sequence[int]
Axis: TypeAlias = int | Sequence[int] | None
DTypeLike: TypeAlias = numpy.typing.DTypeLike

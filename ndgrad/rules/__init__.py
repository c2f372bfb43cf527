"""Derivative rules, one module per family. Importing this registers every primitive.

To add an op, add one `op(...)` entry to the module of its family; see
`ndgrad._primitive` for what a rule receives and must return.
"""
from . import (creation, elementwise, reduction, shape, indexing, einsum, linalg,  # noqa: F401
               inverses, decompositions, nn, losses, special, conv)
from . import signal, conditioning, complex, fft  # noqa: F401
from . import _ufunc
from .._primitive import REGISTRY as _REGISTRY

_ufunc.install(_REGISTRY)  # NumPy's where=, out=, dtype= on the elementwise ops

"""Derivative rules, one module per family. Importing this registers every primitive.

To add an op, add one `op(...)` entry to the module of its family; see
`ndgrad._primitive` for what a rule receives and must return.
"""

from .._primitive import REGISTRY as _REGISTRY
from . import (  # noqa: F401
    _ufunc,
    complex,
    conditioning,
    conv,
    creation,
    decompositions,
    devices,
    einsum,
    elementwise,
    fft,
    indexing,
    inverses,
    linalg,
    losses,
    nn,
    reduction,
    shape,
    signal,
    special,
)

_ufunc.install(_REGISTRY)  # NumPy's where=, out=, dtype= on the elementwise ops

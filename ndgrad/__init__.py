"""ndgrad: automatic differentiation of NumPy code, with MXNet's imperative API.

>>> from ndgrad import autograd, np, npx
>>> npx.set_np()
>>> x = np.arange(4); x.attach_grad()
>>> with autograd.record():
...     y = 2 * np.dot(x, x)
>>> y.backward(); x.grad
array([ 0.,  4.,  8., 12.])
"""

from . import (
    _methods,  # noqa: F401  (gives ndarray its operators)
    autograd,
    func,
    npx,
    numpy as np,
)
from ._errors import (
    AutogradError,
    GradientLostWarning,
    GraphFreedError,
    InPlaceModificationError,
    NotRecordedError,
    PhaseDependentLossError,
)
from ._ndarray import ndarray
from ._version import __version__ as __version__

__all__ = [
    'AutogradError',
    'GradientLostWarning',
    'GraphFreedError',
    'InPlaceModificationError',
    'NotRecordedError',
    'PhaseDependentLossError',
    'autograd',
    'func',
    'ndarray',
    'np',
    'npx',
]

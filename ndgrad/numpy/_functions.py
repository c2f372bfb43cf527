"""Public functions whose NumPy signature differs from their primitive's
(sequences of arrays, aliases), and functions composed from primitives."""
from .._primitive import REGISTRY

__all__ = ['concatenate', 'stack', 'abs', 'reshape', 'transpose', 'expand_dims', 'squeeze',
           'swapaxes']

_P = REGISTRY


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (``axis=None`` flattens them first)."""
    if axis is None:
        return _P['concatenate'](*[_P['reshape'](a, (-1,)) for a in arrays], axis=0)
    return _P['concatenate'](*arrays, axis=axis)


def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    return _P['stack'](*arrays, axis=axis)


def reshape(a, shape=None, order='C', *, newshape=None):
    """`a` with a new shape (one dimension may be -1)."""
    return _P['reshape'](a, shape if newshape is None else newshape, order=order)


def transpose(a, axes=None):
    return _P['transpose'](a, axes)


def expand_dims(a, axis):
    return _P['expand_dims'](a, axis)


def squeeze(a, axis=None):
    return _P['squeeze'](a, axis)


def swapaxes(a, axis1, axis2):
    return _P['swapaxes'](a, axis1, axis2)


abs = REGISTRY['absolute']

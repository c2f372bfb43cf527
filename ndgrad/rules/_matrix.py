"""Helpers shared by the linear-algebra rules. Matrix helpers act on the last two
axes and broadcast over the leading ones, so they are batch-transparent."""

import numpy

from .._ndarray import ndarray


def mT(xp, x):
    """The matrix transpose of a stack of matrices (`x`'s own method: NumPy's, without
    its Python wrapper, or the recorded one for a graph array)."""
    return x.swapaxes(-1, -2)


def sym(xp, x):
    """The symmetric part of a stack of square matrices."""
    return (x + mT(xp, x)) * 0.5


def column(xp, x, vector):
    """A stack of vectors as one-column matrices (when `vector`)."""
    return xp.expand_dims(x, -1) if vector else x


def uncolumn(xp, x, vector):
    return xp.squeeze(x, -1) if vector else x


def diag_matrix(v):
    """``v[..., i]`` on the diagonal of ``(..., n, n)`` matrices."""
    n = v.shape[-1]
    return v[..., None, :] * numpy.eye(n, dtype=v.dtype)


def lead(xp, t, core_ndim, ndim):
    """Tangent `t` (batch axes, then `core_ndim` axes) with size-1 axes inserted after
    its batch axes so that its core has `ndim` axes: the batch axes then lead in
    every broadcast against the saved operands."""
    nb = t.ndim - core_ndim
    if nb and ndim > core_ndim:
        t = xp.reshape(t, t.shape[:nb] + (1,) * (ndim - core_ndim) + t.shape[nb:])
    return t


def unused(g):
    """Whether `g` is a constant zero: the engine's filler for an output of a
    multi-output op that got no gradient. Its terms can be skipped (they are zero,
    and may be inf * 0 where eigen/singular values tie)."""
    if type(g) is ndarray:
        if g._node is not None:
            return False
        g = g._data
    return not numpy.any(g)


def gap_inverse(xp, w):
    """``F[..., i, j] = 1 / (w[j] - w[i])``, zero on the diagonal and wherever
    ``w[i] == w[j]`` exactly (a tie has no well-defined eigenvector derivative)."""
    gap = xp.expand_dims(w, -2) - xp.expand_dims(w, -1)
    tie = gap == 0
    return xp.where(tie, 0, 1 / xp.where(tie, 1, gap))


def safe_reciprocal(xp, s):
    return xp.where(s == 0, 0, 1 / xp.where(s == 0, 1, s))


def shape_of(x):
    return tuple(x.shape) if hasattr(x, 'shape') else numpy.shape(x)

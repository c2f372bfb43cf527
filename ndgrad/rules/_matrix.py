"""Helpers shared by the linear-algebra rules. Matrix helpers act on the last two
axes and broadcast over the leading ones, so they are batch-transparent."""

import numpy

from .._errors import PhaseDependentLossError
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


# --- complex matrices -----------------------------------------------------------------
# The engine passes the conjugate of the user's gradient (see "Complex numbers" in
# docs/guide.md). Rules of non-holomorphic ops (those with a conjugate transpose in them:
# factorizations, pseudo-inverses, norms) are written in the user's convention, where
# the complex formula is the real one with each transpose a conjugate transpose, and
# `user_convention` converts at their edges.


def conj(xp, x):
    """`x` conjugated if complex (real arrays pass through, at no cost)."""
    return xp.conj(x) if x.dtype.kind == 'c' else x


def mH(xp, x):
    """The conjugate transpose of a stack of matrices."""
    return conj(xp, mT(xp, x))


def real(xp, x):
    """The real part of `x` if complex: the tangent of a real output (the engine fits
    a single output's tangent to its dtype, not those of a tuple of outputs)."""
    return xp.real(x) if x.dtype.kind == 'c' else x


def herm(xp, x):
    """The Hermitian part of a stack of square matrices (`sym` for real ones)."""
    return (x + mH(xp, x)) * 0.5


def _conj_all(xp, g):
    if type(g) is tuple:
        return tuple(conj(xp, x) for x in g)
    return conj(xp, g)


def user_convention(rule):
    """A vjp rule written for gradients in the user's convention (``dL/dx + i dL/dy``,
    PyTorch's), as the engine's rule: its cotangent(s) and its result conjugated."""

    def engine_rule(xp, g, ans, *args, **kwargs):
        out = rule(xp, _conj_all(xp, g), ans, *args, **kwargs)
        return None if out is None else conj(xp, out)

    engine_rule.__name__ = rule.__name__
    engine_rule.__doc__ = rule.__doc__
    return engine_rule


def check_phase_invariant(vhgv, what):
    """Raise unless ``Im diag(V^H gV)`` (`vhgv`: that diagonal, user convention) is
    about 0, as it is for every loss unchanged when a vector's phase changes."""
    d = vhgv._data if type(vhgv) is ndarray else numpy.asarray(vhgv)
    if d.dtype.kind != 'c' or not d.size:
        return
    tol = numpy.sqrt(numpy.finfo(d.dtype).eps) * max(1.0, float(numpy.max(numpy.abs(d))))
    if numpy.max(numpy.abs(d.imag)) > tol:
        raise PhaseDependentLossError(
            f'{what}: the loss depends on the phase of the complex eigen/singular vectors, '
            f'which are defined only up to a factor e^(i phi) per column (NumPy picks one); '
            f'its gradient is not defined. Use a loss unchanged by that factor (a function '
            f'of the values, of abs(v), of v v^H or of v diag(w) inv(v)).'
        )

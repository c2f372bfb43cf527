"""Linear algebra. 1-D operands of matmul are promoted to matrices as NumPy does,
so one pair of formulas covers every case, batch axes included."""
import numpy

from .._primitive import op
from ._util import unreduce, kept_shape


def _as_matrix(x, vector, row):
    """A 1-D operand as a row (``(1, k)``) or column (``(k, 1)``) matrix."""
    if not vector:
        return x
    return x[None, :] if row else x[:, None]


def _grad_shape(xp, g, a, b):
    """`g` with the axes matmul dropped for 1-D operands put back as size 1."""
    if a.ndim == 1:
        g = xp.expand_dims(g, -1 if b.ndim == 1 else -2)
    if b.ndim == 1:
        g = xp.expand_dims(g, -1)
    return g


def _matmul_vjp_a(xp, g, ans, a, b):
    g = _grad_shape(xp, g, a, b)
    da = xp.matmul(g, xp.swapaxes(_as_matrix(b, b.ndim == 1, False), -1, -2))
    return xp.squeeze(da, -2) if a.ndim == 1 else da


def _matmul_vjp_b(xp, g, ans, a, b):
    g = _grad_shape(xp, g, a, b)
    db = xp.matmul(xp.swapaxes(_as_matrix(a, a.ndim == 1, True), -1, -2), g)
    return xp.squeeze(db, -1) if b.ndim == 1 else db


def _lift(xp, t, x, other, left):
    """A tangent of operand `x` (batch axes in front) shaped for matmul broadcasting:
    promoted to a matrix if 1-D, and padded so its batch axes lead the broadcast axes."""
    nb = t.ndim - x.ndim
    if x.ndim == 1:
        t = xp.expand_dims(t, -2 if left else -1)
    pad = max(other.ndim, 2) - max(x.ndim, 2)
    if pad > 0:
        t = xp.reshape(t, t.shape[:nb] + (1,) * pad + t.shape[nb:])
    return t


def _squeeze_vectors(xp, out, a, b):
    if b.ndim == 1:
        out = xp.squeeze(out, -1)
    if a.ndim == 1:
        out = xp.squeeze(out, -1 if b.ndim == 1 else -2)
    return out


def _matmul_jvp_a(xp, t, ans, a, b):
    product = xp.matmul(_lift(xp, t, a, b, True), _as_matrix(b, b.ndim == 1, False))
    return _squeeze_vectors(xp, product, a, b)


def _matmul_jvp_b(xp, t, ans, a, b):
    product = xp.matmul(_as_matrix(a, a.ndim == 1, True), _lift(xp, t, b, a, False))
    return _squeeze_vectors(xp, product, a, b)


op('matmul', numpy.matmul, (_matmul_vjp_a, _matmul_vjp_b), (_matmul_jvp_a, _matmul_jvp_b))


def _dot(a, b):
    return numpy.dot(a, b)


def _dot_rule(matmul_rule, scalar_rule):
    def rule(xp, g, ans, a, b):
        if a.ndim == 0 or b.ndim == 0:
            return scalar_rule(xp, g, a, b)
        if b.ndim > 2:
            raise NotImplementedError('gradient of dot with a >2-d second operand')
        return matmul_rule(xp, g, ans, a, b)
    return rule


op('dot', _dot,
   (_dot_rule(_matmul_vjp_a, lambda xp, g, a, b: g * b),
    _dot_rule(_matmul_vjp_b, lambda xp, g, a, b: g * a)),
   (_dot_rule(_matmul_jvp_a, lambda xp, t, a, b: t * b),
    _dot_rule(_matmul_jvp_b, lambda xp, t, a, b: t * a)))


def _norm_vjp(xp, g, ans, x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, 'fro') or (ord == 2 and (axis is None and x.ndim > 1)):
        raise NotImplementedError(f'gradient of norm with ord={ord!r}')
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    norm = xp.reshape(ans, kept_shape(x.shape, axes))
    safe = xp.where(norm == 0, 1, norm)
    return g * xp.where(norm == 0, 0, x / safe)


op('norm', numpy.linalg.norm, _norm_vjp, save='both', export='linalg')

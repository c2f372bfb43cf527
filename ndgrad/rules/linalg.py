"""Matrix products, diagonals, triangles and norms.

Matrix rules act on the last two axes and broadcast over the rest, so stacked
matrices and the batch axes of vectorized Jacobians need nothing extra. Rules
call primitives through ``xp``, so every order of derivative comes for free.
Inverses and solves live in `inverses`, factorizations in `decompositions`.
"""

import operator

import numpy

from .._backend import kind
from .._ndarray import raw
from .._primitive import REC as P, composite, op
from ._matrix import conj, lead, mT, shape_of
from ._util import kept_shape, neg_axis, negative_axes, no_out, unreduce
from .einsum import LABELS, einsum_jvp, einsum_vjp

# --- matmul: 1-D operands are promoted to matrices as NumPy does ------------------------


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
    # matrices, or a vector times one matrix (one product for all batch axes, not a stack
    # of them): no axis to restore
    if b.ndim == 2 or (a.ndim != 1 and b.ndim != 1):
        return xp.matmul(g, b.swapaxes(-1, -2))  # (`mT`, inlined: every dense layer)
    g = _grad_shape(xp, g, a, b)
    da = xp.matmul(g, mT(xp, _as_matrix(b, b.ndim == 1, False)))
    return xp.squeeze(da, -2) if a.ndim == 1 else da


def _matmul_vjp_b(xp, g, ans, a, b):
    if a.ndim != 1 and b.ndim != 1:  # matrices: no axis to restore
        return xp.matmul(a.swapaxes(-1, -2), g)  # (`mT`, inlined)
    if b.ndim == 1 and a.ndim == 2:
        return xp.matmul(g, a)
    g = _grad_shape(xp, g, a, b)
    db = xp.matmul(mT(xp, _as_matrix(a, a.ndim == 1, True)), g)
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
    if a.ndim == 1 and b.ndim == 2:
        return xp.matmul(t, b)
    product = xp.matmul(_lift(xp, t, a, b, True), _as_matrix(b, b.ndim == 1, False))
    return _squeeze_vectors(xp, product, a, b)


def _matmul_jvp_b(xp, t, ans, a, b):
    if b.ndim == 1 and a.ndim == 2:
        return xp.matmul(t, mT(xp, a))
    product = xp.matmul(_as_matrix(a, a.ndim == 1, True), _lift(xp, t, b, a, False))
    return _squeeze_vectors(xp, product, a, b)


op(
    'matmul',
    numpy.matmul,
    (_matmul_vjp_a, _matmul_vjp_b),
    (_matmul_jvp_a, _matmul_jvp_b),
    arrays=True,
)


# --- products composed from matmul ----------------------------------------------------


def _prod(sizes):
    n = 1
    for s in sizes:
        n *= s
    return n


@composite()
def tensordot(a, b, axes=2):
    """Sum the products of `a` and `b` over the given axes (NumPy's semantics).

    >>> a, b = np.arange(24.).reshape(3, 4, 2), np.arange(12.).reshape(4, 3)
    >>> np.tensordot(a, b, axes=([1, 0], [0, 1]))
    array([880., 946.])
    """
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    if isinstance(axes, (int, numpy.integer)):
        axes_a, axes_b = list(range(-axes, 0)), list(range(0, axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, (int, numpy.integer)) else list(x) for x in axes)
    if len(axes_a) != len(axes_b):
        raise ValueError('tensordot: shape-mismatch for sum (as many axes of a as of b)')
    axes_a = [x % len(sa) if sa else x for x in axes_a]
    axes_b = [x % len(sb) if sb else x for x in axes_b]
    if any(sa[i] != sb[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError('tensordot: shape-mismatch for sum (summed axes differ in size)')
    free_a = [i for i in range(len(sa)) if i not in axes_a]
    free_b = [i for i in range(len(sb)) if i not in axes_b]
    k = _prod(sa[i] for i in axes_a)
    a2 = P.reshape(_permute(a, free_a + axes_a), (_prod(sa[i] for i in free_a), k))
    b2 = P.reshape(_permute(b, axes_b + free_b), (k, _prod(sb[i] for i in free_b)))
    return P.reshape(P.matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def _permute(x, perm):
    return x if perm == sorted(perm) else P.transpose(x, tuple(perm))


def _dot(a, b, out=None):
    if out is not None:
        no_out(out, 'dot')
    if type(a) is not numpy.ndarray and kind(a) == 'dask' and a.ndim and 1 <= b.ndim <= 2:
        return numpy.matmul(a, b)  # (Dask's dot is a tensordot and a sum: 3 chunks made)
    return numpy.dot(a, b)


def _dot_subscripts(a, b):
    """dot of an N-d `b` as einsum subscripts: a's last axis with b's second-to-last."""
    letters = LABELS[: a.ndim - 1 + b.ndim]
    fa, fb = letters[: a.ndim - 1], letters[a.ndim - 1 : -1]
    k = letters[-1]
    return f'{fa}{k},{fb[:-1]}{k}{fb[-1]}->{fa}{fb}'


def _dot_rule(i, matmul_rule, einsum_rule, forward=False):
    """dot is a product with a 0-d operand, matmul up to a 2-d `b`, else an einsum."""

    def rule(xp, g, ans, a, b, out=None):
        if a.ndim == 0 or b.ndim == 0:
            if forward:  # a tangent of operand i: its batch axes before ans's axes
                g = lead(xp, g, (a, b)[i].ndim, len(ans.shape))
            return g * (b if i == 0 else a)
        if b.ndim <= 2:
            return matmul_rule(xp, g, ans, a, b)
        return einsum_rule(xp, g, ans, a, b, subscripts=_dot_subscripts(a, b))

    return rule


op(
    'dot',
    _dot,
    (_dot_rule(0, _matmul_vjp_a, einsum_vjp(0)), _dot_rule(1, _matmul_vjp_b, einsum_vjp(1))),
    (
        _dot_rule(0, _matmul_jvp_a, einsum_jvp(0), True),
        _dot_rule(1, _matmul_jvp_b, einsum_jvp(1), True),
    ),
    arrays=True,
)


@composite()
def vdot(a, b):
    """The dot product of `a` and `b` flattened, `a` conjugated if complex.

    >>> np.vdot(np.ones((2, 2)), np.ones(4))
    array(4.)
    >>> np.vdot(np.array([1j]), np.array([1j]))   # conj(1j) * 1j
    array(1.+0.j, dtype=complex128)
    """
    if numpy.asarray(raw(a)).dtype.kind == 'c':
        a = P.conj(a)
    return P.matmul(P.reshape(a, (-1,)), P.reshape(b, (-1,)))


@composite()
def inner(a, b):
    """The sum over the last axes of `a` and `b` (a product for 0-d operands).

    >>> a, b = np.ones((2, 3)), np.ones((4, 3))
    >>> np.inner(a, b).shape   # a.shape[:-1] + b.shape[:-1]
    (2, 4)
    """
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        return P.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@composite()
def outer(a, b, out=None):
    """``outer(a, b)[i, j] = a.ravel()[i] * b.ravel()[j]``.

    >>> np.outer(np.arange(3), np.ones(2)).shape
    (3, 2)
    """
    no_out(out, 'outer')
    return P.multiply(P.reshape(a, (-1, 1)), P.reshape(b, (1, -1)))


@composite()
def kron(a, b):
    """The Kronecker product: blocks ``a[i, j] * b``.

    >>> b = np.array([[1., 2.], [3., 4.]])
    >>> np.kron(np.eye(2), b)   # b on the block diagonal
    array([[1., 2., 0., 0.],
           [3., 4., 0., 0.],
           [0., 0., 1., 2.],
           [0., 0., 3., 4.]])
    """
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a2 = P.reshape(a, tuple(x for s in sa for x in (s, 1)))
    b2 = P.reshape(b, tuple(x for s in sb for x in (1, s)))
    return P.reshape(P.multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb)))


# --- diagonals and triangles ----------------------------------------------------------


def _diagonal(a, offset=0, axis1=0, axis2=1):
    return numpy.diagonal(a, offset, axis1, axis2).copy()  # NumPy's is a read-only view


def _embed_diagonal(d, shape, offset=0, axis1=-2, axis2=-1):
    """Zeros of ``batch + shape`` with `d` on the diagonal: the adjoint of `diagonal`
    (`axis1`, `axis2` negative, relative to `shape`)."""
    d = numpy.asarray(d)
    nb = d.ndim - (len(shape) - 1)
    out = numpy.zeros(d.shape[:nb] + tuple(shape), d.dtype)
    view = numpy.moveaxis(out, (axis1, axis2), (-2, -1))
    k = numpy.arange(d.shape[-1])
    view[..., k + max(-offset, 0), k + max(offset, 0)] = d
    return out


def _diagonal_vjp(xp, g, ans, a, offset=0, axis1=0, axis2=1):
    return xp.embed_diagonal(
        g,
        shape=a.shape,
        offset=offset,
        axis1=neg_axis(axis1, a.ndim),
        axis2=neg_axis(axis2, a.ndim),
    )


def _diagonal_jvp(xp, t, ans, a, offset=0, axis1=0, axis2=1):
    return xp.diagonal(
        t, offset=offset, axis1=neg_axis(axis1, a.ndim), axis2=neg_axis(axis2, a.ndim)
    )


op('diagonal', _diagonal, _diagonal_vjp, _diagonal_jvp, save='shapes')
op(
    'embed_diagonal',
    _embed_diagonal,
    lambda xp, g, ans, d, shape, offset=0, axis1=-2, axis2=-1: xp.diagonal(
        g, offset=offset, axis1=axis1, axis2=axis2
    ),
    lambda xp, t, ans, d, shape, offset=0, axis1=-2, axis2=-1: xp.embed_diagonal(
        t, shape=shape, offset=offset, axis1=axis1, axis2=axis2
    ),
    save='shapes',
    export=None,
)


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    no_out(out, 'trace')
    return numpy.trace(a, offset, axis1, axis2, dtype)


def _trace_vjp(xp, g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    n1, n2 = a.shape[axis1], a.shape[axis2]
    k = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    along = xp.broadcast_to(xp.expand_dims(g, -1), g.shape + (k,))
    return xp.embed_diagonal(
        along,
        shape=a.shape,
        offset=offset,
        axis1=neg_axis(axis1, a.ndim),
        axis2=neg_axis(axis2, a.ndim),
    )


def _trace_jvp(xp, t, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return xp.trace(t, offset=offset, axis1=neg_axis(axis1, a.ndim), axis2=neg_axis(axis2, a.ndim))


op('trace', _trace, _trace_vjp, _trace_jvp, save='shapes')


@composite()
def diag(v, k=0):
    """The `k`-th diagonal of a matrix, or a square matrix with vector `v` on it.

    >>> np.diag(np.array([1., 2.]))
    array([[1., 0.],
           [0., 2.]])
    """
    shape = shape_of(v)
    if len(shape) == 1:
        n = shape[0] + abs(k)
        return P.embed_diagonal(v, shape=(n, n), offset=k, axis1=-2, axis2=-1)
    if len(shape) == 2:
        return P.diagonal(v, offset=k)
    raise ValueError('diag: input must be 1- or 2-d')


def _as_rows(xp, t, m, ans):
    """A tangent of a 1-D input of tril/triu as the rows it broadcasts to."""
    if m.ndim != 1:
        return t
    return xp.broadcast_to(xp.expand_dims(t, -2), t.shape[:-1] + ans.shape)


def _triangle_rules(name):
    """The rules of `name` ('tril' or 'triu'): the gradient, and the tangent, keep the
    same triangle."""

    def vjp(xp, g, ans, m, k=0):
        return getattr(xp, name)(g, k=k)

    def jvp(xp, t, ans, m, k=0):
        return getattr(xp, name)(_as_rows(xp, t, m, ans), k=k)

    return vjp, jvp


for _name in ('tril', 'triu'):
    op(_name, getattr(numpy, _name), *_triangle_rules(_name), save='shapes')


# --- norms ----------------------------------------------------------------------------


def _vector_norm_grad(xp, x, norm, ord, axes):
    """d norm / d x (for complex `x`, the engine's ``d/dx_re - i d/dx_im``: conjugated),
    with `norm` keeping the reduced axes as size 1. Zero where the norm is zero; ties
    of ord=±inf share the gradient evenly."""
    if ord == 2:
        return conj(xp, x) / xp.where(norm == 0, 1, norm)
    if x.dtype.kind == 'c':  # conj(x / |x|): differentiable, unlike a real sign
        magnitude = xp.absolute(x)
        sign = conj(xp, x) / xp.where(magnitude == 0, 1, magnitude)
    else:
        sign = xp.sign(x)
    if ord == 1:
        return sign
    if ord == numpy.inf or ord == -numpy.inf:
        tied = xp.equal(xp.absolute(x), norm)
        count = xp.astype(xp.sum(tied, axis=axes, keepdims=True), norm.dtype)
        return sign * tied / count
    scaled = xp.absolute(x) / xp.where(norm == 0, 1, norm)
    return sign * xp.power(scaled, ord - 1)


def _vector_norm_vjp(xp, g, ans, x, axis=None, keepdims=False, ord=2):
    if ord == 0:
        return None  # a count of nonzero entries: piecewise constant
    g, axes = unreduce(xp, g, ans, x.shape, axis, keepdims)
    norm = xp.reshape(ans, kept_shape(x.shape, axes))
    return g * _vector_norm_grad(xp, x, norm, ord, axes)


def _vector_norm_jvp(xp, t, ans, x, axis=None, keepdims=False, ord=2):
    if ord == 0:
        return None
    axes = negative_axes(axis, x.ndim)
    norm = xp.reshape(ans, kept_shape(x.shape, axes))
    return xp.sum(t * _vector_norm_grad(xp, x, norm, ord, axes), axis=axes, keepdims=keepdims)


def _vector_norm(x, axis=None, keepdims=False, ord=2):
    if (axis is None and ord == 2) or isinstance(axis, (int, numpy.integer)):
        # numpy.linalg.norm is several times faster for these
        return numpy.linalg.norm(x, None if axis is None else ord, axis, keepdims)
    return numpy.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)


op('vector_norm', _vector_norm, _vector_norm_vjp, _vector_norm_jvp, save='both', export='linalg')


def _matrix_norm(x, ord, row, col, keepdims):
    """The matrix norms NumPy computes from singular values or absolute sums."""
    nd = len(shape_of(x))
    if ord in (None, 'fro'):
        return P.vector_norm(x, axis=(row, col), keepdims=keepdims, ord=2)
    if ord in ('nuc', 2, -2):
        rest = [i for i in range(nd) if i not in (row, col)]
        s = P.svdvals(P.transpose(x, tuple(rest + [row, col])))
        reduce = P.sum if ord == 'nuc' else P.max if ord == 2 else P.min
        result = reduce(s, axis=-1)
    elif ord in (1, -1, numpy.inf, -numpy.inf):
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        kept -= kept > summed
        reduce = P.max if ord > 0 else P.min
        result = reduce(P.sum(P.absolute(x), axis=summed), axis=kept)
    else:
        raise ValueError(f'Invalid norm order {ord!r} for matrices.')
    if keepdims:
        result = P.reshape(result, kept_shape(shape_of(x), (row - nd, col - nd)))
    return result


@composite(export='linalg')
def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's vector and matrix norms; the gradient is 0 where the norm is 0.

    >>> np.linalg.norm(np.array([3., 4.]))   # 2-norm of the flattened array
    array(5.)
    >>> a = np.array([[3., 0.], [0., 4.]])
    >>> np.linalg.norm(a, 'nuc', axis=(-2, -1))
    array(7.)
    """
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            return P.vector_norm(x, axis=None, keepdims=keepdims, ord=2)
        if nd not in (1, 2):
            raise ValueError('Improper number of dimensions to norm.')
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from None
    if len(axis) == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        return P.vector_norm(x, axis=axis[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axis) == 2:
        row, col = (a % nd if -nd <= a < nd else _axis_error(a, nd) for a in axis)
        if row == col:
            raise ValueError('Duplicate axes given.')
        return _matrix_norm(x, ord, row, col, keepdims)
    raise ValueError('Improper number of dimensions to norm.')


def _axis_error(axis, ndim):
    raise numpy.exceptions.AxisError(axis, ndim)


@composite(export='linalg')
def matrix_norm(x, keepdims=False, ord='fro'):
    """The matrix norm over the last two axes.

    >>> stack = np.stack([np.eye(2), 2 * np.eye(2)])
    >>> np.linalg.matrix_norm(stack, ord='nuc')   # one norm per matrix
    array([2., 4.])
    """
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)

"""Linear algebra: products, diagonals, norms, solves and decompositions.

Matrix rules act on the last two axes and broadcast over the rest, so the
stacked (batched) matrices NumPy accepts, and the batch axes of vectorized
Jacobians, need nothing extra. Each rule is written with ``xp.matmul``,
``xp.swapaxes(., -1, -2)``, ``xp.solve`` and friends, so rules of rules exist
and every order of derivative comes for free.

Conventions (see docs/linalg.md): ``cholesky``, ``eigh`` and ``eigvalsh`` read
one triangle of a symmetric matrix and give the symmetric gradient; ``eigh``
and ``svd`` gradients assume distinct eigen/singular values (pairs that tie
exactly contribute nothing to the eigenvector terms).
"""
import collections
import functools
import operator
import string

import numpy

from .._ndarray import ndarray, raw
from .._primitive import REC as P, composite, op
from ._util import kept_shape, negative_axes, unreduce


# --- helpers shared by the rules ------------------------------------------------------

def _T(xp, x):
    """The matrix transpose of a stack of matrices."""
    return xp.swapaxes(x, -1, -2)


def _sym(xp, x):
    """The symmetric part of a stack of square matrices."""
    return (x + _T(xp, x)) * 0.5


def _col(xp, x, vector):
    """A stack of vectors as one-column matrices (when `vector`)."""
    return xp.expand_dims(x, -1) if vector else x


def _uncol(xp, x, vector):
    return xp.squeeze(x, -1) if vector else x


def _diag_matrix(v):
    """``v[..., i]`` on the diagonal of ``(..., n, n)`` matrices."""
    n = v.shape[-1]
    return v[..., None, :] * numpy.eye(n, dtype=v.dtype)


def _lead(xp, t, core_ndim, ndim):
    """Tangent `t` (batch axes, then `core_ndim` axes) with size-1 axes inserted after
    its batch axes so that its core has `ndim` axes: the batch axes then lead in
    every broadcast against the saved operands."""
    nb = t.ndim - core_ndim
    if nb and ndim > core_ndim:
        t = xp.reshape(t, t.shape[:nb] + (1,) * (ndim - core_ndim) + t.shape[nb:])
    return t


def _unused(g):
    """Whether `g` is a constant zero: the engine's filler for an output of a
    multi-output op that got no gradient. Its terms can be skipped (they are zero,
    and may be inf * 0 where eigen/singular values tie)."""
    if type(g) is ndarray:
        if g._node is not None:
            return False
        g = g._data
    return not numpy.any(g)


def _gap_inverse(xp, w):
    """``F[..., i, j] = 1 / (w[j] - w[i])``, zero on the diagonal and wherever
    ``w[i] == w[j]`` exactly (a tie has no well-defined eigenvector derivative)."""
    gap = xp.expand_dims(w, -2) - xp.expand_dims(w, -1)
    tie = gap == 0
    return xp.where(tie, 0, 1 / xp.where(tie, 1, gap))


def _safe_reciprocal(xp, s):
    return xp.where(s == 0, 0, 1 / xp.where(s == 0, 1, s))


def _shape(x):
    return tuple(x.shape) if hasattr(x, 'shape') else numpy.shape(x)


def _no_out(name, out):
    if out is not None:
        raise TypeError(f'{name}(..., out=...) is not supported: assign the result instead')


class _EachOperand(tuple):
    """The rules of a variadic op: the rule for operand i is ``make(i)``, built once."""

    def __new__(cls, make):
        self = super().__new__(cls)
        self.make = make
        self.cache = {}
        return self

    def __getitem__(self, i):
        rule = self.cache.get(i)
        if rule is None:
            rule = self.cache[i] = self.make(i)
        return rule


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
    g = _grad_shape(xp, g, a, b)
    da = xp.matmul(g, _T(xp, _as_matrix(b, b.ndim == 1, False)))
    return xp.squeeze(da, -2) if a.ndim == 1 else da


def _matmul_vjp_b(xp, g, ans, a, b):
    g = _grad_shape(xp, g, a, b)
    db = xp.matmul(_T(xp, _as_matrix(a, a.ndim == 1, True)), g)
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


# --- einsum: one primitive whose rules are einsums --------------------------------------
# The primitive takes explicit subscripts without '...' ('ab,bc->ac'); the public
# einsum writes the user's subscripts that way. Rules name the batch axes of g or t
# with letters the subscripts do not use.

_LABELS = string.ascii_uppercase + string.ascii_lowercase  # sublist labels 0..51


def _einsum(*operands, subscripts, optimize=False):
    return numpy.einsum(subscripts, *operands, optimize=optimize)


def _parse(subscripts):
    inputs, output = subscripts.split('->')
    return inputs.split(','), output


def _fresh(subscripts, count):
    free = [c for c in _LABELS if c not in subscripts]
    if count > len(free):
        raise ValueError('einsum: too many dimensions for the 52 available subscript letters')
    return free[:count]


def _einsum_vjp(i):
    def vjp(xp, g, ans, *operands, subscripts, optimize=False):
        inputs, output = _parse(subscripts)
        x, target = operands[i], inputs[i]
        batch = ''.join(_fresh(subscripts, g.ndim - len(ans.shape)))
        extra = iter(_fresh(subscripts + batch, len(target)))
        terms = [batch + output] + [s for k, s in enumerate(inputs) if k != i]
        arrays = [g] + [op for k, op in enumerate(operands) if k != i]
        present = set(''.join(terms))
        result, seen = '', set()
        for letter, size in zip(target, x.shape):
            if letter in seen:  # a repeated index: the gradient lives on a diagonal
                new = next(extra)
                terms.append(letter + new)
                arrays.append(numpy.eye(size, dtype=g.dtype))
                result += new
                continue
            seen.add(letter)
            if letter not in present and target.count(letter) == 1:
                terms.append(letter)  # summed in x alone: the gradient is constant along it
                arrays.append(numpy.ones(size, dtype=g.dtype))
            result += letter
        return xp.einsum(*arrays, subscripts=','.join(terms) + '->' + batch + result,
                         optimize=optimize)
    return vjp


def _einsum_jvp(i):
    def jvp(xp, t, ans, *operands, subscripts, optimize=False):
        inputs, output = _parse(subscripts)
        batch = ''.join(_fresh(subscripts, t.ndim - operands[i].ndim))
        terms = [batch + s if k == i else s for k, s in enumerate(inputs)]
        arrays = [t if k == i else op for k, op in enumerate(operands)]
        return xp.einsum(*arrays, subscripts=','.join(terms) + '->' + batch + output,
                         optimize=optimize)
    return jvp


op('einsum', _einsum, _EachOperand(_einsum_vjp), _EachOperand(_einsum_jvp), export=None)


def _sublists(args):
    """``einsum(op0, sublist0, op1, sublist1, ..., [out])`` as subscripts and operands."""
    operands, sublists = list(args[0::2]), list(args[1::2])
    output = None
    if len(args) % 2:
        output = operands.pop()

    def letters(sublist):
        out = ''
        for label in sublist:
            if label is Ellipsis:
                out += '...'
            elif isinstance(label, (int, numpy.integer)) and 0 <= label < len(_LABELS):
                out += _LABELS[label]
            else:
                raise ValueError(f'einsum: subscript labels must be integers in [0, 52) '
                                 f'or Ellipsis, got {label!r}')
        return out
    subscripts = ','.join(letters(s) for s in sublists)
    if output is not None:
        subscripts += '->' + letters(output)
    return subscripts, operands


@functools.lru_cache(maxsize=512)
def _explicit(subscripts, shapes):
    """`subscripts` with '...' replaced by letters and the output written out."""
    subscripts = subscripts.replace(' ', '')
    inputs, arrow, output = subscripts.partition('->')
    terms = inputs.split(',')
    if len(terms) != len(shapes):
        raise ValueError(f'einsum: the subscripts name {len(terms)} operands but '
                         f'{len(shapes)} were given')
    for term in terms + [output]:
        letters = term.replace('...', '', 1)
        if not all(c in _LABELS for c in letters):
            raise ValueError(f"einsum: invalid subscripts {term!r}: use letters a-z, A-Z "
                             f"and at most one '...' per operand")
    counts = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace('...', ''))
        if ('...' in term and named > len(shape)) or ('...' not in term and named != len(shape)):
            raise ValueError(f'einsum: operand with subscripts {term!r} has {len(shape)} '
                             f'dimensions')
        counts.append(len(shape) - named)
    ellipsis = ''.join(_fresh(subscripts, max(counts, default=0)))
    terms = [t.replace('...', ellipsis[len(ellipsis) - n:]) for t, n in zip(terms, counts)]
    if not arrow:
        letters = ''.join(terms)
        output = ellipsis + ''.join(sorted(c for c in set(letters) - set(ellipsis)
                                           if letters.count(c) == 1))
    elif '...' in output:
        output = output.replace('...', ellipsis)
    elif ellipsis:
        raise ValueError("einsum: output has more dimensions than subscripts given in "
                         "einstein sum, but no '...' ellipsis provided to broadcast the "
                         "extra dimensions.")
    return ','.join(terms) + '->' + output


@composite()
def einsum(*operands, out=None, optimize=False):
    """Einstein summation, differentiable in every operand.

    >>> np.einsum('ij,jk->ik', a, b)   # a @ b
    >>> np.einsum('ii', a)             # trace
    """
    _no_out('einsum', out)
    if operands and isinstance(operands[0], str):
        subscripts, operands = operands[0], operands[1:]
    else:
        subscripts, operands = _sublists(operands)
    subscripts = _explicit(subscripts, tuple([_shape(x) for x in operands]))
    return P.einsum(*operands, subscripts=subscripts, optimize=optimize)


# --- products composed from matmul ----------------------------------------------------

def _prod(sizes):
    n = 1
    for s in sizes:
        n *= s
    return n


@composite()
def tensordot(a, b, axes=2):
    """Sum the products of `a` and `b` over the given axes (NumPy's semantics).

    >>> np.tensordot(a, b, axes=([1, 0], [0, 1]))
    """
    sa, sb = tuple(_shape(a)), tuple(_shape(b))
    if isinstance(axes, (int, numpy.integer)):
        axes_a, axes_b = list(range(-axes, 0)), list(range(0, axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, (int, numpy.integer)) else list(x)
                          for x in axes)
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
    _no_out('dot', out)
    return numpy.dot(a, b)


def _dot_subscripts(a, b):
    """dot of an N-d `b` as einsum subscripts: a's last axis with b's second-to-last."""
    letters = _LABELS[:a.ndim - 1 + b.ndim]
    fa, fb = letters[:a.ndim - 1], letters[a.ndim - 1:-1]
    k = letters[-1]
    return f'{fa}{k},{fb[:-1]}{k}{fb[-1]}->{fa}{fb}'


def _dot_rule(i, matmul_rule, einsum_rule, forward=False):
    """dot is a product with a 0-d operand, matmul up to a 2-d `b`, else an einsum."""
    def rule(xp, g, ans, a, b, out=None):
        if a.ndim == 0 or b.ndim == 0:
            if forward:  # a tangent of operand i: its batch axes before ans's axes
                g = _lead(xp, g, (a, b)[i].ndim, len(ans.shape))
            return g * (b if i == 0 else a)
        if b.ndim <= 2:
            return matmul_rule(xp, g, ans, a, b)
        return einsum_rule(xp, g, ans, a, b, subscripts=_dot_subscripts(a, b))
    return rule


op('dot', _dot,
   (_dot_rule(0, _matmul_vjp_a, _einsum_vjp(0)), _dot_rule(1, _matmul_vjp_b, _einsum_vjp(1))),
   (_dot_rule(0, _matmul_jvp_a, _einsum_jvp(0), True),
    _dot_rule(1, _matmul_jvp_b, _einsum_jvp(1), True)))


@composite()
def vdot(a, b):
    """The dot product of `a` and `b` flattened (real arrays)."""
    return P.matmul(P.reshape(a, (-1,)), P.reshape(b, (-1,)))


@composite()
def inner(a, b):
    """The sum over the last axes of `a` and `b` (a product for 0-d operands)."""
    if len(_shape(a)) == 0 or len(_shape(b)) == 0:
        return P.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@composite()
def outer(a, b, out=None):
    """``outer(a, b)[i, j] = a.ravel()[i] * b.ravel()[j]``."""
    _no_out('outer', out)
    return P.multiply(P.reshape(a, (-1, 1)), P.reshape(b, (1, -1)))


@composite()
def kron(a, b):
    """The Kronecker product: blocks ``a[i, j] * b``."""
    sa, sb = tuple(_shape(a)), tuple(_shape(b))
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


def _neg(axis, ndim):
    return axis - ndim if axis >= 0 else axis


def _diagonal_vjp(xp, g, ans, a, offset=0, axis1=0, axis2=1):
    return xp.embed_diagonal(g, shape=a.shape, offset=offset, axis1=_neg(axis1, a.ndim),
                             axis2=_neg(axis2, a.ndim))


def _diagonal_jvp(xp, t, ans, a, offset=0, axis1=0, axis2=1):
    return xp.diagonal(t, offset=offset, axis1=_neg(axis1, a.ndim), axis2=_neg(axis2, a.ndim))


op('diagonal', _diagonal, _diagonal_vjp, _diagonal_jvp, save='shapes')
op('embed_diagonal', _embed_diagonal,
   lambda xp, g, ans, d, shape, offset=0, axis1=-2, axis2=-1:
       xp.diagonal(g, offset=offset, axis1=axis1, axis2=axis2),
   lambda xp, t, ans, d, shape, offset=0, axis1=-2, axis2=-1:
       xp.embed_diagonal(t, shape=shape, offset=offset, axis1=axis1, axis2=axis2),
   save='shapes', export=None)


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no_out('trace', out)
    return numpy.trace(a, offset, axis1, axis2, dtype)


def _trace_vjp(xp, g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    n1, n2 = a.shape[axis1], a.shape[axis2]
    k = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    along = xp.broadcast_to(xp.expand_dims(g, -1), g.shape + (k,))
    return xp.embed_diagonal(along, shape=a.shape, offset=offset, axis1=_neg(axis1, a.ndim),
                             axis2=_neg(axis2, a.ndim))


def _trace_jvp(xp, t, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return xp.trace(t, offset=offset, axis1=_neg(axis1, a.ndim), axis2=_neg(axis2, a.ndim))


op('trace', _trace, _trace_vjp, _trace_jvp, save='shapes')


@composite()
def diag(v, k=0):
    """The `k`-th diagonal of a matrix, or a square matrix with vector `v` on it."""
    shape = _shape(v)
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


op('tril', numpy.tril, lambda xp, g, ans, m, k=0: xp.tril(g, k=k),
   lambda xp, t, ans, m, k=0: xp.tril(_as_rows(xp, t, m, ans), k=k), save='shapes')
op('triu', numpy.triu, lambda xp, g, ans, m, k=0: xp.triu(g, k=k),
   lambda xp, t, ans, m, k=0: xp.triu(_as_rows(xp, t, m, ans), k=k), save='shapes')


# --- norms ----------------------------------------------------------------------------

def _vector_norm_grad(xp, x, norm, ord, axes):
    """d norm / d x, with `norm` keeping the reduced axes as size 1. Zero where the
    norm is zero; ties of ord=±inf share the gradient evenly."""
    if ord == 2:
        return x / xp.where(norm == 0, 1, norm)
    if ord == 1:
        return xp.sign(x)
    if ord == numpy.inf or ord == -numpy.inf:
        tied = xp.equal(xp.absolute(x), norm)
        count = xp.astype(xp.sum(tied, axis=axes, keepdims=True), x.dtype)
        return xp.sign(x) * tied / count
    scaled = xp.absolute(x) / xp.where(norm == 0, 1, norm)
    return xp.sign(x) * xp.power(scaled, ord - 1)


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
    if axis is None and ord == 2 or isinstance(axis, (int, numpy.integer)):
        # numpy.linalg.norm is several times faster for these
        return numpy.linalg.norm(x, None if axis is None else ord, axis, keepdims)
    return numpy.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)


op('vector_norm', _vector_norm, _vector_norm_vjp, _vector_norm_jvp, save='both',
   export='linalg')


def _matrix_norm(x, ord, row, col, keepdims):
    """The matrix norms NumPy computes from singular values or absolute sums."""
    nd = len(_shape(x))
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
        result = P.reshape(result, kept_shape(_shape(x), (row - nd, col - nd)))
    return result


@composite(export='linalg')
def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's vector and matrix norms; the gradient is 0 where the norm is 0.

    >>> np.linalg.norm(x)                    # 2-norm of the flattened array
    >>> np.linalg.norm(a, 'nuc', axis=(-2, -1))
    """
    nd = len(_shape(x))
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
    """The matrix norm over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


# --- inverses, determinants, solves ---------------------------------------------------

def _inv_vjp(xp, g, ans, a):
    inv_t = _T(xp, ans)
    return -xp.matmul(inv_t, xp.matmul(g, inv_t))


op('inv', numpy.linalg.inv, _inv_vjp,
   lambda xp, t, ans, a: -xp.matmul(ans, xp.matmul(t, ans)), save='output', export='linalg')


def _pinv_vjp(xp, g, ans, a, *args, **kwargs):
    p, gt = ans, _T(xp, g)
    pt = _T(xp, p)
    left = xp.matmul(gt, xp.matmul(p, pt))             # (I - A A+) G^T A+ A+^T
    right = xp.matmul(xp.matmul(pt, p), gt)            # A+^T A+ G^T (I - A+ A)
    return (-xp.matmul(pt, xp.matmul(g, pt))
            + left - xp.matmul(a, xp.matmul(p, left))
            + right - xp.matmul(xp.matmul(right, p), a))


def _pinv_jvp(xp, t, ans, a, *args, **kwargs):
    p, tt = ans, _T(xp, t)
    pt = _T(xp, p)
    left = xp.matmul(p, xp.matmul(pt, tt))             # A+ A+^T dA^T (I - A A+)
    right = xp.matmul(tt, xp.matmul(pt, p))            # (I - A+ A) dA^T A+^T A+
    return (-xp.matmul(p, xp.matmul(t, p))
            + left - xp.matmul(xp.matmul(left, a), p)
            + right - xp.matmul(p, xp.matmul(a, right)))


op('pinv', numpy.linalg.pinv, _pinv_vjp, _pinv_jvp, save='both', export='linalg')


def _solve_vjp_b(xp, g, ans, a, b):
    vector = b.ndim == 1
    return _uncol(xp, xp.solve(_T(xp, a), _col(xp, g, vector)), vector)


def _solve_vjp_a(xp, g, ans, a, b):
    vector = b.ndim == 1
    gb = xp.solve(_T(xp, a), _col(xp, g, vector))
    return -xp.matmul(gb, _T(xp, _col(xp, ans, vector)))


def _solve_jvp_a(xp, t, ans, a, b):
    vector = b.ndim == 1
    x = _col(xp, ans, vector)
    t = _lead(xp, t, a.ndim, x.ndim)
    return _uncol(xp, -xp.solve(a, xp.matmul(t, x)), vector)


def _solve_jvp_b(xp, t, ans, a, b):
    vector = b.ndim == 1
    core = b.ndim + vector
    t = _lead(xp, _col(xp, t, vector), core, max(a.ndim, core))
    return _uncol(xp, xp.solve(a, t), vector)


op('solve', numpy.linalg.solve, (_solve_vjp_a, _solve_vjp_b), (_solve_jvp_a, _solve_jvp_b),
   save='both', export='linalg')


def _det_vjp(xp, g, ans, a):
    scale = xp.expand_dims(xp.expand_dims(g * ans, -1), -1)
    return scale * _T(xp, xp.inv(a))


def _det_jvp(xp, t, ans, a):
    return ans * xp.sum(_T(xp, xp.inv(a)) * t, axis=(-2, -1))


op('det', numpy.linalg.det, _det_vjp, _det_jvp, save='both', export='linalg')

SlogdetResult = collections.namedtuple('SlogdetResult', ['sign', 'logabsdet'])


def _slogdet_vjp(xp, g, ans, a):
    return xp.expand_dims(xp.expand_dims(g[1], -1), -1) * _T(xp, xp.inv(a))


def _slogdet_jvp(xp, t, ans, a):
    return None, xp.sum(_T(xp, xp.inv(a)) * t, axis=(-2, -1))


op('slogdet', lambda a: tuple(numpy.linalg.slogdet(a)), _slogdet_vjp, _slogdet_jvp, nout=2,
   export=None)


@composite(export='linalg')
def slogdet(a):
    """Sign and natural log of the absolute determinant (the sign has no gradient)."""
    return SlogdetResult(*P.slogdet(a))


def _lstsq(a, b, rcond=None):
    return tuple(numpy.linalg.lstsq(a, b, rcond=rcond))


def _lstsq_pinv(xp, a, rcond):
    """The pseudo-inverse with lstsq's cutoff for small singular values."""
    if rcond is None:
        rcond = numpy.finfo(a.dtype).eps * max(a.shape[-2:])
    return xp.pinv(a, rcond=rcond)


def _lstsq_parts(xp, ans, a, b):
    vector = b.ndim == 1
    x = _col(xp, ans[0], vector)
    return vector, x, _col(xp, b, vector) - xp.matmul(a, x)


def _lstsq_vjp_a(xp, g, ans, a, b, rcond=None):
    gx, gres, _, gs = g
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    ga = 0
    if not _unused(gx):
        gx = _col(xp, gx, vector)
        p = _lstsq_pinv(xp, a, rcond)
        z = xp.matmul(_T(xp, p), gx)
        projected = gx - xp.matmul(p, xp.matmul(a, gx))   # (I - A+ A) gx
        ga = (-xp.matmul(z, _T(xp, x)) + xp.matmul(r, _T(xp, xp.matmul(p, z)))
              + xp.matmul(xp.matmul(_T(xp, p), x), _T(xp, projected)))
    if ans[1].shape[-1] and not _unused(gres):
        ga = ga - 2 * xp.matmul(r * xp.expand_dims(gres, -2), _T(xp, x))
    if not _unused(gs):
        u, _, vh = xp.svd(a, full_matrices=False)
        ga = ga + xp.matmul(u * xp.expand_dims(gs, -2), vh)
    return None if isinstance(ga, int) else ga


def _lstsq_vjp_b(xp, g, ans, a, b, rcond=None):
    gx, gres = g[0], g[1]
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    gb = 0
    if not _unused(gx):
        p = _lstsq_pinv(xp, a, rcond)
        gb = xp.matmul(_T(xp, p), _col(xp, gx, vector))
    if ans[1].shape[-1] and not _unused(gres):
        gb = gb + 2 * r * xp.expand_dims(gres, -2)
    return None if isinstance(gb, int) else _uncol(xp, gb, vector)


def _lstsq_jvp_a(xp, t, ans, a, b, rcond=None):
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    p = _lstsq_pinv(xp, a, rcond)
    pt, tt = _T(xp, p), _T(xp, t)
    w = xp.matmul(tt, xp.matmul(pt, x))                   # dA^T A+^T x
    dx = (-xp.matmul(p, xp.matmul(t, x)) + xp.matmul(p, xp.matmul(pt, xp.matmul(tt, r)))
          + w - xp.matmul(p, xp.matmul(a, w)))
    dres = -2 * xp.sum(r * xp.matmul(t, x), axis=-2) if ans[1].shape[-1] else None
    u, _, vh = xp.svd(a, full_matrices=False)
    ds = xp.sum(u * xp.matmul(t, _T(xp, vh)), axis=-2)
    return _uncol(xp, dx, vector), dres, None, ds


def _lstsq_jvp_b(xp, t, ans, a, b, rcond=None):
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    t = _col(xp, t, vector)
    dx = xp.matmul(_lstsq_pinv(xp, a, rcond), t)
    dres = 2 * xp.sum(r * t, axis=-2) if ans[1].shape[-1] else None
    return _uncol(xp, dx, vector), dres, None, None


op('lstsq', _lstsq, (_lstsq_vjp_a, _lstsq_vjp_b), (_lstsq_jvp_a, _lstsq_jvp_b), save='both',
   nout=4, export='linalg')


@composite(export='linalg')
def matrix_power(a, n):
    """`a` (a stack of square matrices) to the integer power `n`, by repeated squaring."""
    shape = tuple(_shape(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise numpy.linalg.LinAlgError('Last 2 dimensions of the array must be square')
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError('exponent must be an integer') from None
    if n == 0:
        dtype = numpy.asarray(raw(a)).dtype
        return P.copy(numpy.broadcast_to(numpy.eye(shape[-1], dtype=dtype), shape))
    if n < 0:
        a, n = P.inv(a), -n
    result, power = None, None
    while n:
        power = a if power is None else P.matmul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else P.matmul(result, power)
    return result


def _chain_order(dims):
    """Split points of the cheapest parenthesization of a matrix chain."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(arrays, split, i, j):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return P.matmul(_chain(arrays, split, i, k), _chain(arrays, split, k + 1, j))


@composite(export='linalg')
def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order
    (the first and last may be vectors)."""
    _no_out('multi_dot', out)
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError('Expecting at least two arrays.')
    if len(arrays) == 2:
        return P.dot(arrays[0], arrays[1])
    first, last = len(_shape(arrays[0])) == 1, len(_shape(arrays[-1])) == 1
    if first:
        arrays[0] = P.reshape(arrays[0], (1, -1))
    if last:
        arrays[-1] = P.reshape(arrays[-1], (-1, 1))
    shapes = [tuple(_shape(a)) for a in arrays]
    for shape in shapes:
        if len(shape) != 2:
            raise numpy.linalg.LinAlgError(
                f'{len(shape)}-dimensional array given. Array must be two-dimensional')
    split = _chain_order([s[0] for s in shapes] + [shapes[-1][1]])
    result = _chain(arrays, split, 0, len(arrays) - 1)
    if first and last:
        return P.reshape(result, ())
    if first or last:
        return P.reshape(result, (-1,))
    return result


# --- decompositions -------------------------------------------------------------------

def _lower_half(n, dtype):
    """The mask that keeps a lower triangle and halves its diagonal."""
    return numpy.tri(n, dtype=dtype) - 0.5 * numpy.eye(n, dtype=dtype)


def _cholesky_parts(xp, ans, upper):
    low = _T(xp, ans) if upper else ans
    return low, xp.inv(low), _lower_half(low.shape[-1], low.dtype)


def _cholesky_vjp(xp, g, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    g = _T(xp, g) if upper else g
    inner = xp.matmul(_T(xp, low), g) * half
    return _sym(xp, xp.matmul(_T(xp, low_inv), xp.matmul(inner, low_inv)))


def _cholesky_jvp(xp, t, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    inner = xp.matmul(low_inv, xp.matmul(_sym(xp, t), _T(xp, low_inv))) * half
    dl = xp.matmul(low, inner)
    return _T(xp, dl) if upper else dl


op('cholesky', numpy.linalg.cholesky, _cholesky_vjp, _cholesky_jvp, save='output',
   export='linalg')

QRResult = collections.namedtuple('QRResult', ['Q', 'R'])


def _qr(a, mode='reduced'):
    return tuple(numpy.linalg.qr(a, mode=mode))


def _copyltu(xp, m):
    """The symmetric matrix with `m`'s lower triangle."""
    low = m * numpy.tri(m.shape[-1], k=-1, dtype=m.dtype)
    return low + _T(xp, low) + m * numpy.eye(m.shape[-1], dtype=m.dtype)


def _qr_square_vjp(xp, gq, gr, q, r, q2=None, gq2=None):
    """The gradient of A for A = Q R with R square (A tall or square)."""
    m = xp.matmul(r, _T(xp, gr)) - xp.matmul(_T(xp, gq), q)
    b = gq + xp.matmul(q, _copyltu(xp, m))
    if q2 is not None:  # complete mode: the extra columns rotate least with A
        b = b - xp.matmul(q2, xp.matmul(_T(xp, gq2), q))
    return _T(xp, xp.solve(r, _T(xp, b)))           # b R^-T


def _qr_vjp(xp, g, ans, a, mode='reduced'):
    (gq, gr), (q, r) = g, ans
    m, n = a.shape[-2:]
    k = min(m, n)
    if m > n:
        q2 = gq2 = None
        if q.shape[-1] > k:
            q, q2, gq, gq2 = q[..., :k], q[..., k:], gq[..., :k], gq[..., k:]
            r, gr = r[..., :k, :], gr[..., :k, :]
        return _qr_square_vjp(xp, gq, gr, q, r, q2, gq2)
    if n == k:
        return _qr_square_vjp(xp, gq, gr, q, r)
    y, r1, gr1, gr2 = a[..., k:], r[..., :k], gr[..., :k], gr[..., k:]
    gx = _qr_square_vjp(xp, gq + xp.matmul(y, _T(xp, gr2)), gr1, q, r1)
    return xp.concatenate(gx, xp.matmul(q, gr2), axis=-1)


def _qr_square_jvp(xp, t, q, r):
    c = _T(xp, xp.solve(_T(xp, r), _T(xp, t)))       # dA R^-1
    b = xp.matmul(_T(xp, q), c)
    low = b * numpy.tri(b.shape[-1], k=-1, dtype=b.dtype)
    omega = low - _T(xp, low)
    dq = xp.matmul(q, omega) + c - xp.matmul(q, b)
    return dq, xp.matmul(b - omega, r), c


def _qr_jvp(xp, t, ans, a, mode='reduced'):
    q, r = ans
    m, n = a.shape[-2:]
    k = min(m, n)
    if m > n:
        if q.shape[-1] == k:
            return _qr_square_jvp(xp, t, q, r)[:2]
        q1, q2 = q[..., :k], q[..., k:]
        dq, dr, c = _qr_square_jvp(xp, t, q1, r[..., :k, :])
        dq2 = -xp.matmul(q1, xp.matmul(_T(xp, c), q2))
        zeros = numpy.zeros(t.shape[:t.ndim - a.ndim] + a.shape[:-2] + (m - k, n), t.dtype)
        return xp.concatenate(dq, dq2, axis=-1), xp.concatenate(dr, zeros, axis=-2)
    dq, dr1, _ = _qr_square_jvp(xp, t[..., :k], q, r[..., :k])
    if n == k:
        return dq, dr1
    dr2 = xp.matmul(_T(xp, dq), a[..., k:]) + xp.matmul(_T(xp, q), t[..., k:])
    return dq, xp.concatenate(dr1, dr2, axis=-1)


op('qr', _qr, _qr_vjp, _qr_jvp, save='both', nout=2, export=None)
op('qr_raw', lambda a: tuple(numpy.linalg.qr(a, mode='raw')), nout=2, differentiable=False,
   export=None)


@composite(export='linalg')
def qr(a, mode='reduced'):
    """The QR decomposition: ``mode`` 'reduced', 'complete', 'r' (differentiable) or
    'raw' (constants)."""
    if mode == 'r':
        return P.qr(a, mode='reduced')[1]
    if mode == 'raw':
        return P.qr_raw(a)
    return QRResult(*P.qr(a, mode=mode))


EighResult = collections.namedtuple('EighResult', ['eigenvalues', 'eigenvectors'])


def _eigh_vjp(xp, g, ans, a, UPLO='L'):
    (gw, gv), (w, v) = g, ans
    inner = _diag_matrix(gw)
    if not _unused(gv):
        inner = inner + _gap_inverse(xp, w) * xp.matmul(_T(xp, v), gv)
    return _sym(xp, xp.matmul(v, xp.matmul(inner, _T(xp, v))))


def _eigh_jvp(xp, t, ans, a, UPLO='L'):
    w, v = ans
    m = xp.matmul(_T(xp, v), xp.matmul(_sym(xp, t), v))
    return xp.diagonal(m, axis1=-2, axis2=-1), xp.matmul(v, _gap_inverse(xp, w) * m)


op('eigh', lambda a, UPLO='L': tuple(numpy.linalg.eigh(a, UPLO)), _eigh_vjp, _eigh_jvp,
   save='output', nout=2, export=None)


@composite(export='linalg')
def eigh(a, UPLO='L'):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    return EighResult(*P.eigh(a, UPLO=UPLO))


def _eigvalsh_vjp(xp, g, ans, a, UPLO='L'):
    v = xp.eigh(a, UPLO=UPLO)[1]
    return xp.matmul(v * xp.expand_dims(g, -2), _T(xp, v))


def _eigvalsh_jvp(xp, t, ans, a, UPLO='L'):
    v = xp.eigh(a, UPLO=UPLO)[1]
    return xp.sum(v * xp.matmul(t, v), axis=-2)


op('eigvalsh', numpy.linalg.eigvalsh, _eigvalsh_vjp, _eigvalsh_jvp, export='linalg')

SVDResult = collections.namedtuple('SVDResult', ['U', 'S', 'Vh'])


def _off_kinks(xp, g, s):
    """`g` zeroed where a singular value is exactly 0: a kink, like abs at 0, whose
    gradient is 0 (so the spectral and nuclear norms have gradient 0 at 0)."""
    return xp.where(s == 0, 0, g)


def _svd(a, full_matrices=True, hermitian=False):
    return tuple(numpy.linalg.svd(a, full_matrices=full_matrices, hermitian=hermitian))


def _svd_vjp(xp, g, ans, a, full_matrices=True, hermitian=False):
    (gu, gs, gvh), (u, s, vh) = g, ans
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, vh1 = u[..., :k], vh[..., :k, :]
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(_safe_reciprocal(xp, s), -2)
    f = _gap_inverse(xp, s * s)
    inner, outer = _diag_matrix(_off_kinks(xp, gs, s)), 0
    if not _unused(gu):
        gu1 = gu[..., :k]
        ug = xp.matmul(_T(xp, u1), gu1)
        inner = inner + (f * (ug - _T(xp, ug))) * s_row
        if m > k:
            outer = xp.matmul((gu1 - xp.matmul(u1, ug)) * s_inv, vh1)
            if u.shape[-1] > k:  # full_matrices: extra columns rotate least with A
                u2, gu2 = u[..., k:], gu[..., k:]
                outer = outer - xp.matmul(xp.matmul(u2, xp.matmul(_T(xp, gu2), u1)) * s_inv, vh1)
    if not _unused(gvh):
        gvh1 = gvh[..., :k, :]
        vg = xp.matmul(vh1, _T(xp, gvh1))
        inner = inner + _T(xp, s_row) * (f * (vg - _T(xp, vg)))
        if n > k:
            outer = outer + xp.matmul(u1 * s_inv, gvh1 - xp.matmul(_T(xp, vg), vh1))
            if vh.shape[-2] > k:
                vh2, gvh2 = vh[..., k:, :], gvh[..., k:, :]
                outer = outer - xp.matmul(u1 * s_inv,
                                          xp.matmul(xp.matmul(vh1, _T(xp, gvh2)), vh2))
    return xp.matmul(u1, xp.matmul(inner, vh1)) + outer


def _svd_jvp(xp, t, ans, a, full_matrices=True, hermitian=False):
    u, s, vh = ans
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, vh1 = u[..., :k], vh[..., :k, :]
    v1 = _T(xp, vh1)
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(_safe_reciprocal(xp, s), -2)
    f = _gap_inverse(xp, s * s)
    dp = xp.matmul(_T(xp, u1), xp.matmul(t, v1))
    du = xp.matmul(u1, f * (dp * s_row + _T(xp, s_row) * _T(xp, dp)))
    dv = xp.matmul(v1, f * (_T(xp, s_row) * dp + _T(xp, dp) * s_row))
    if m > k:
        du = du + (xp.matmul(t, v1) - xp.matmul(u1, dp)) * s_inv
        if u.shape[-1] > k:
            du2 = -xp.matmul(u1 * s_inv, xp.matmul(_T(xp, xp.matmul(t, v1)), u[..., k:]))
            du = xp.concatenate(du, du2, axis=-1)
    if n > k:
        dv = dv + (xp.matmul(_T(xp, t), u1) - xp.matmul(v1, _T(xp, dp))) * s_inv
        if vh.shape[-2] > k:
            dv2 = -xp.matmul(v1 * s_inv, xp.matmul(xp.matmul(_T(xp, u1), t), _T(xp, vh[..., k:, :])))
            dv = xp.concatenate(dv, dv2, axis=-1)
    return du, _off_kinks(xp, xp.diagonal(dp, axis1=-2, axis2=-1), s), _T(xp, dv)


op('svd', _svd, _svd_vjp, _svd_jvp, save='both', nout=3, export=None)


def _svdvals_vjp(xp, g, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return xp.matmul(u * xp.expand_dims(_off_kinks(xp, g, s), -2), vh)


def _svdvals_jvp(xp, t, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return _off_kinks(xp, xp.sum(u * xp.matmul(t, _T(xp, vh)), axis=-2), s)


op('svdvals', numpy.linalg.svdvals, _svdvals_vjp, _svdvals_jvp, export='linalg')


@composite(export='linalg')
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition ``a = U @ diag(S) @ Vh`` of stacked matrices.

    >>> u, s, vh = np.linalg.svd(a, full_matrices=False)
    """
    if not compute_uv:
        return P.svdvals(a)
    return SVDResult(*P.svd(a, full_matrices=full_matrices, hermitian=hermitian))

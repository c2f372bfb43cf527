"""Inverses, determinants and solves (np.linalg), for stacked matrices where NumPy
allows them. Exactly singular matrices raise NumPy's LinAlgError: inv and solve in
the forward pass, slogdet in the backward pass (log |det| has no derivative there).
det's gradient, the cofactor matrix, exists everywhere: ``det A^-T``, or from the
SVD at a singular matrix; its higher derivatives come from the minors up to 4 x 4.
"""

import collections
import operator

import numpy

from .._ndarray import raw
from .._primitive import RAW, REC as P, composite, op
from ._matrix import (
    column,
    conj,
    lead,
    mH,
    mT,
    real,
    shape_of,
    uncolumn,
    unused,
    user_convention,
)
from ._util import no_out


def _inv_vjp(xp, g, ans, a):
    inv_t = mT(xp, ans)
    return -xp.matmul(inv_t, xp.matmul(g, inv_t))


op(
    'inv',
    numpy.linalg.inv,
    _inv_vjp,
    lambda xp, t, ans, a: -xp.matmul(ans, xp.matmul(t, ans)),
    save='output',
    export='linalg',
)


@user_convention
def _pinv_vjp(xp, g, ans, a, *args, **kwargs):
    p, gt = ans, mH(xp, g)
    pt = mH(xp, p)
    left = xp.matmul(gt, xp.matmul(p, pt))  # (I - A A+) G^H A+ A+^H
    right = xp.matmul(xp.matmul(pt, p), gt)  # A+^H A+ G^H (I - A+ A)
    return (
        -xp.matmul(pt, xp.matmul(g, pt))
        + left
        - xp.matmul(a, xp.matmul(p, left))
        + right
        - xp.matmul(xp.matmul(right, p), a)
    )


def _pinv_jvp(xp, t, ans, a, *args, **kwargs):
    p, tt = ans, mH(xp, t)
    pt = mH(xp, p)
    left = xp.matmul(p, xp.matmul(pt, tt))  # A+ A+^H dA^H (I - A A+)
    right = xp.matmul(tt, xp.matmul(pt, p))  # (I - A+ A) dA^H A+^H A+
    return (
        -xp.matmul(p, xp.matmul(t, p))
        + left
        - xp.matmul(xp.matmul(left, a), p)
        + right
        - xp.matmul(p, xp.matmul(a, right))
    )


op('pinv', numpy.linalg.pinv, _pinv_vjp, _pinv_jvp, save='both', export='linalg')


def _solve_vjp_b(xp, g, ans, a, b):
    vector = b.ndim == 1
    return uncolumn(xp, xp.solve(mT(xp, a), column(xp, g, vector)), vector)


def _solve_vjp_a(xp, g, ans, a, b):
    vector = b.ndim == 1
    gb = xp.solve(mT(xp, a), column(xp, g, vector))
    return -xp.matmul(gb, mT(xp, column(xp, ans, vector)))


def _solve_jvp_a(xp, t, ans, a, b):
    vector = b.ndim == 1
    x = column(xp, ans, vector)
    t = lead(xp, t, a.ndim, x.ndim)
    return uncolumn(xp, -xp.solve(a, xp.matmul(t, x)), vector)


def _solve_jvp_b(xp, t, ans, a, b):
    vector = b.ndim == 1
    core = b.ndim + vector
    t = lead(xp, column(xp, t, vector), core, max(a.ndim, core))
    return uncolumn(xp, xp.solve(a, t), vector)


op(
    'solve',
    numpy.linalg.solve,
    (_solve_vjp_a, _solve_vjp_b),
    (_solve_jvp_a, _solve_jvp_b),
    save='both',
    export='linalg',
    arrays=True,
)


def _cofactors(xp, ans, a):
    """d det(a) / d a, the cofactor matrix. A plain pass computes ``det(a) a^-T``, or at a
    singular matrix (no inverse, but det still has a derivative) uses the SVD
    ``a = U S V^H``: ``det(U) det(V^H) conj(U) diag(prod of the other s) conj(V^H)``. A
    recorded pass (a higher derivative) uses the minors up to 4 x 4, else ``det(a) a^-T``."""
    if xp is RAW:
        try:
            if numpy.all(ans):
                return ans[..., None, None] * mT(xp, numpy.linalg.inv(a))
        except numpy.linalg.LinAlgError:
            pass
        u, s, vt = numpy.linalg.svd(a)
        sign = numpy.linalg.det(u) * numpy.linalg.det(vt)
        u, vt = numpy.conj(u), numpy.conj(vt)  # a^-T = conj(U) S^-1 conj(V^H): U, V unitary
        return sign[..., None, None] * numpy.matmul(u * _others(s)[..., None, :], vt)
    if a.shape[-1] <= _MINORS:
        return _minor_cofactors(xp, a)
    return xp.expand_dims(xp.expand_dims(ans, -1), -1) * mT(xp, xp.inv(a))


_MINORS = 4  # matrices up to this size differentiate det through minors (exact)


def _minor_cofactors(xp, a):
    """The cofactor matrix from the determinants of the minors: polynomial in `a`, so
    exact and differentiable to every order, singular matrices included."""
    n = a.shape[-1]
    if n == 1:
        return a * 0 + 1
    keep = [numpy.array([k for k in range(n) if k != i]) for i in range(n)]
    parts = [
        (-1) ** (i + j) * xp.det(xp.getitem(a, index=(Ellipsis, keep[i][:, None], keep[j])))
        for i in range(n)
        for j in range(n)
    ]
    return xp.reshape(xp.stack(*parts, axis=-1), a.shape)


def _others(s):
    """``out[..., i] = prod(s[..., j] for j != i)``, without dividing."""
    ones = numpy.ones(s.shape[:-1] + (1,), s.dtype)
    left = numpy.cumprod(numpy.concatenate([ones, s[..., :-1]], -1), -1)
    right = numpy.cumprod(numpy.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
    return left * right


def _det_vjp(xp, g, ans, a):
    return xp.expand_dims(xp.expand_dims(g, -1), -1) * _cofactors(xp, ans, a)


def _det_jvp(xp, t, ans, a):
    return xp.sum(_cofactors(xp, ans, a) * t, axis=(-2, -1))


op('det', numpy.linalg.det, _det_vjp, _det_jvp, save='both', export='linalg')

SlogdetResult = collections.namedtuple('SlogdetResult', ['sign', 'logabsdet'])


def _slogdet_vjp(xp, g, ans, a):
    """``d log det A = tr(A^-1 dA)``: its real part moves logabsdet, its imaginary part
    the phase of a complex sign (``d sign = i sign Im(...)``); a real sign is constant."""
    gs, gl = g
    if ans[0].dtype.kind == 'c':
        gl = gl + 1j * xp.imag(gs * ans[0])
    return xp.expand_dims(xp.expand_dims(gl, -1), -1) * mT(xp, xp.inv(a))


def _slogdet_jvp(xp, t, ans, a):
    dlog = xp.sum(mT(xp, xp.inv(a)) * t, axis=(-2, -1))
    if ans[0].dtype.kind != 'c':
        return None, real(xp, dlog)
    return ans[0] * 1j * xp.imag(dlog), xp.real(dlog)


op(
    'slogdet',
    lambda a: tuple(numpy.linalg.slogdet(a)),
    _slogdet_vjp,
    _slogdet_jvp,
    save='both',
    nout=2,
    export=None,
)


@composite(export='linalg')
def slogdet(a):
    """Sign and natural log of the absolute determinant (a real sign has no gradient;
    a complex one, ``det / |det|``, has).

    >>> a = np.array([[2., 1.], [1., 2.]])
    >>> np.linalg.slogdet(a).logabsdet   # log 3; stable for large matrices
    array(1.0986...)
    """
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
    x = column(xp, ans[0], vector)
    return vector, x, column(xp, b, vector) - xp.matmul(a, x)


@user_convention
def _lstsq_vjp_a(xp, g, ans, a, b, rcond=None):
    gx, gres, _, gs = g
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    ga = 0
    if not unused(gx):
        gx = column(xp, gx, vector)
        p = _lstsq_pinv(xp, a, rcond)
        z = xp.matmul(mH(xp, p), gx)
        projected = gx - xp.matmul(p, xp.matmul(a, gx))  # (I - A+ A) gx
        ga = (
            -xp.matmul(z, mH(xp, x))
            + xp.matmul(r, mH(xp, xp.matmul(p, z)))
            + xp.matmul(xp.matmul(mH(xp, p), x), mH(xp, projected))
        )
    if ans[1].shape[-1] and not unused(gres):
        ga = ga - 2 * xp.matmul(r * xp.expand_dims(gres, -2), mH(xp, x))
    if not unused(gs):
        u, _, vh = xp.svd(a, full_matrices=False)
        ga = ga + xp.matmul(u * xp.expand_dims(gs, -2), vh)
    return None if isinstance(ga, int) else ga


@user_convention
def _lstsq_vjp_b(xp, g, ans, a, b, rcond=None):
    gx, gres = g[0], g[1]
    vector, _, r = _lstsq_parts(xp, ans, a, b)
    gb = 0
    if not unused(gx):
        p = _lstsq_pinv(xp, a, rcond)
        gb = xp.matmul(mH(xp, p), column(xp, gx, vector))
    if ans[1].shape[-1] and not unused(gres):
        gb = gb + 2 * r * xp.expand_dims(gres, -2)
    return None if isinstance(gb, int) else uncolumn(xp, gb, vector)


def _lstsq_jvp_a(xp, t, ans, a, b, rcond=None):
    vector, x, r = _lstsq_parts(xp, ans, a, b)
    p = _lstsq_pinv(xp, a, rcond)
    pt, tt = mH(xp, p), mH(xp, t)
    w = xp.matmul(tt, xp.matmul(pt, x))  # dA^H A+^H x
    dx = (
        -xp.matmul(p, xp.matmul(t, x))
        + xp.matmul(p, xp.matmul(pt, xp.matmul(tt, r)))
        + w
        - xp.matmul(p, xp.matmul(a, w))
    )
    dres = (
        real(xp, -2 * xp.sum(conj(xp, r) * xp.matmul(t, x), axis=-2)) if ans[1].shape[-1] else None
    )
    u, _, vh = xp.svd(a, full_matrices=False)
    ds = real(xp, xp.sum(conj(xp, u) * xp.matmul(t, mH(xp, vh)), axis=-2))
    return uncolumn(xp, dx, vector), dres, None, ds


def _lstsq_jvp_b(xp, t, ans, a, b, rcond=None):
    vector, _, r = _lstsq_parts(xp, ans, a, b)
    t = column(xp, t, vector)
    dx = xp.matmul(_lstsq_pinv(xp, a, rcond), t)
    dres = real(xp, 2 * xp.sum(conj(xp, r) * t, axis=-2)) if ans[1].shape[-1] else None
    return uncolumn(xp, dx, vector), dres, None, None


op(
    'lstsq',
    _lstsq,
    (_lstsq_vjp_a, _lstsq_vjp_b),
    (_lstsq_jvp_a, _lstsq_jvp_b),
    save='both',
    nout=4,
    export='linalg',
    arrays=True,
)


@composite(export='linalg')
def matrix_power(a, n):
    """`a` (a stack of square matrices) to the integer power `n`, by repeated squaring.

    >>> a = np.array([[2., 0.], [0., 4.]])
    >>> np.linalg.matrix_power(a, -2)   # inv(a) @ inv(a)
    array([[0.25  , 0.    ],
           [0.    , 0.0625]])
    """
    shape = tuple(shape_of(a))
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


@composite(export='linalg', sequence='arrays')
def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order
    (the first and last may be vectors).

    >>> x, y = np.ones(2), np.ones(2)
    >>> a, b = np.array([[2., 1.], [1., 2.]]), np.array([[1., 2.], [3., 4.]])
    >>> np.linalg.multi_dot([x, a, b, y])   # x @ a @ b @ y
    array(30.)
    """
    no_out(out, 'linalg.multi_dot')
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError('Expecting at least two arrays.')
    if len(arrays) == 2:
        return P.dot(arrays[0], arrays[1])
    first, last = len(shape_of(arrays[0])) == 1, len(shape_of(arrays[-1])) == 1
    if first:
        arrays[0] = P.reshape(arrays[0], (1, -1))
    if last:
        arrays[-1] = P.reshape(arrays[-1], (-1, 1))
    shapes = [tuple(shape_of(a)) for a in arrays]
    for shape in shapes:
        if len(shape) != 2:
            raise numpy.linalg.LinAlgError(
                f'{len(shape)}-dimensional array given. Array must be two-dimensional'
            )
    split = _chain_order([s[0] for s in shapes] + [shapes[-1][1]])
    result = _chain(arrays, split, 0, len(arrays) - 1)
    if first and last:
        return P.reshape(result, ())
    if first or last:
        return P.reshape(result, (-1,))
    return result

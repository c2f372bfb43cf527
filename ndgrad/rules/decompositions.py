"""Factorizations: cholesky, qr, eigh, eigvalsh, svd, svdvals (np.linalg).

``cholesky``, ``eigh`` and ``eigvalsh`` read one triangle of a symmetric matrix
and give the symmetric gradient. ``eigh`` and ``svd`` gradients assume distinct
eigen/singular values: pairs that tie exactly contribute nothing to the
eigenvector terms, which is right for functions that do not depend on the
choice of basis inside the tied subspace (see docs/linalg.md).
"""

import collections

import numpy

from .._primitive import REC as P, composite, op
from ._matrix import diag_matrix, gap_inverse, mT, safe_reciprocal, sym, unused


def _lower_half(n, dtype):
    """The mask that keeps a lower triangle and halves its diagonal."""
    return numpy.tri(n, dtype=dtype) - 0.5 * numpy.eye(n, dtype=dtype)


def _cholesky_parts(xp, ans, upper):
    low = mT(xp, ans) if upper else ans
    return low, xp.inv(low), _lower_half(low.shape[-1], low.dtype)


def _cholesky_vjp(xp, g, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    g = mT(xp, g) if upper else g
    inner = xp.matmul(mT(xp, low), g) * half
    return sym(xp, xp.matmul(mT(xp, low_inv), xp.matmul(inner, low_inv)))


def _cholesky_jvp(xp, t, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    inner = xp.matmul(low_inv, xp.matmul(sym(xp, t), mT(xp, low_inv))) * half
    dl = xp.matmul(low, inner)
    return mT(xp, dl) if upper else dl


op('cholesky', numpy.linalg.cholesky, _cholesky_vjp, _cholesky_jvp, save='output', export='linalg')

QRResult = collections.namedtuple('QRResult', ['Q', 'R'])


def _qr(a, mode='reduced'):
    return tuple(numpy.linalg.qr(a, mode=mode))


def _copyltu(xp, m):
    """The symmetric matrix with `m`'s lower triangle."""
    low = m * numpy.tri(m.shape[-1], k=-1, dtype=m.dtype)
    return low + mT(xp, low) + m * numpy.eye(m.shape[-1], dtype=m.dtype)


def _qr_square_vjp(xp, gq, gr, q, r, q2=None, gq2=None):
    """The gradient of A for A = Q R with R square (A tall or square)."""
    m = xp.matmul(r, mT(xp, gr)) - xp.matmul(mT(xp, gq), q)
    b = gq + xp.matmul(q, _copyltu(xp, m))
    if q2 is not None:  # complete mode: the extra columns rotate least with A
        b = b - xp.matmul(q2, xp.matmul(mT(xp, gq2), q))
    return mT(xp, xp.solve(r, mT(xp, b)))  # b R^-T


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
    gx = _qr_square_vjp(xp, gq + xp.matmul(y, mT(xp, gr2)), gr1, q, r1)
    return xp.concatenate(gx, xp.matmul(q, gr2), axis=-1)


def _qr_square_jvp(xp, t, q, r):
    c = mT(xp, xp.solve(mT(xp, r), mT(xp, t)))  # dA R^-1
    b = xp.matmul(mT(xp, q), c)
    low = b * numpy.tri(b.shape[-1], k=-1, dtype=b.dtype)
    omega = low - mT(xp, low)
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
        dq2 = -xp.matmul(q1, xp.matmul(mT(xp, c), q2))
        zeros = numpy.zeros(t.shape[: t.ndim - a.ndim] + a.shape[:-2] + (m - k, n), t.dtype)
        return xp.concatenate(dq, dq2, axis=-1), xp.concatenate(dr, zeros, axis=-2)
    dq, dr1, _ = _qr_square_jvp(xp, t[..., :k], q, r[..., :k])
    if n == k:
        return dq, dr1
    dr2 = xp.matmul(mT(xp, dq), a[..., k:]) + xp.matmul(mT(xp, q), t[..., k:])
    return dq, xp.concatenate(dr1, dr2, axis=-1)


op('qr', _qr, _qr_vjp, _qr_jvp, save='both', nout=2, export=None)
op(
    'qr_raw',
    lambda a: tuple(numpy.linalg.qr(a, mode='raw')),
    nout=2,
    differentiable=False,
    export=None,
)


@composite(export='linalg')
def qr(a, mode='reduced'):
    """The QR decomposition: ``mode`` 'reduced', 'complete', 'r' (differentiable) or
    'raw' (constants).

    >>> a = np.array([[2., 1.], [1., 2.]])
    >>> q, r = np.linalg.qr(a)
    >>> np.allclose(q @ r, a)
    array(True)
    """
    if mode == 'r':
        return P.qr(a, mode='reduced')[1]
    if mode == 'raw':
        return P.qr_raw(a)
    return QRResult(*P.qr(a, mode=mode))


EighResult = collections.namedtuple('EighResult', ['eigenvalues', 'eigenvectors'])


def _eigh_vjp(xp, g, ans, a, UPLO='L'):
    (gw, gv), (w, v) = g, ans
    inner = diag_matrix(gw)
    if not unused(gv):
        inner = inner + gap_inverse(xp, w) * xp.matmul(mT(xp, v), gv)
    return sym(xp, xp.matmul(v, xp.matmul(inner, mT(xp, v))))


def _eigh_jvp(xp, t, ans, a, UPLO='L'):
    w, v = ans
    m = xp.matmul(mT(xp, v), xp.matmul(sym(xp, t), v))
    return xp.diagonal(m, axis1=-2, axis2=-1), xp.matmul(v, gap_inverse(xp, w) * m)


op(
    'eigh',
    lambda a, UPLO='L': tuple(numpy.linalg.eigh(a, UPLO)),
    _eigh_vjp,
    _eigh_jvp,
    save='output',
    nout=2,
    export=None,
)


@composite(export='linalg')
def eigh(a, UPLO='L'):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (one triangle is
    read; the gradient is symmetric).

    >>> w, v = np.linalg.eigh(np.array([[2., 1.], [1., 2.]]))
    >>> w
    array([1., 3.])
    """
    return EighResult(*P.eigh(a, UPLO=UPLO))


def _eigvalsh_vjp(xp, g, ans, a, UPLO='L'):
    v = xp.eigh(a, UPLO=UPLO)[1]
    return xp.matmul(v * xp.expand_dims(g, -2), mT(xp, v))


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
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(safe_reciprocal(xp, s), -2)
    f = gap_inverse(xp, s * s)
    inner, outer = diag_matrix(_off_kinks(xp, gs, s)), 0
    if not unused(gu):
        gu1 = gu[..., :k]
        ug = xp.matmul(mT(xp, u1), gu1)
        inner = inner + (f * (ug - mT(xp, ug))) * s_row
        if m > k:
            outer = xp.matmul((gu1 - xp.matmul(u1, ug)) * s_inv, vh1)
            if u.shape[-1] > k:  # full_matrices: extra columns rotate least with A
                u2, gu2 = u[..., k:], gu[..., k:]
                outer = outer - xp.matmul(xp.matmul(u2, xp.matmul(mT(xp, gu2), u1)) * s_inv, vh1)
    if not unused(gvh):
        gvh1 = gvh[..., :k, :]
        vg = xp.matmul(vh1, mT(xp, gvh1))
        inner = inner + mT(xp, s_row) * (f * (vg - mT(xp, vg)))
        if n > k:
            outer = outer + xp.matmul(u1 * s_inv, gvh1 - xp.matmul(mT(xp, vg), vh1))
            if vh.shape[-2] > k:
                vh2, gvh2 = vh[..., k:, :], gvh[..., k:, :]
                outer = outer - xp.matmul(u1 * s_inv, xp.matmul(xp.matmul(vh1, mT(xp, gvh2)), vh2))
    return xp.matmul(u1, xp.matmul(inner, vh1)) + outer


def _svd_jvp(xp, t, ans, a, full_matrices=True, hermitian=False):
    u, s, vh = ans
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, vh1 = u[..., :k], vh[..., :k, :]
    v1 = mT(xp, vh1)
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(safe_reciprocal(xp, s), -2)
    f = gap_inverse(xp, s * s)
    dp = xp.matmul(mT(xp, u1), xp.matmul(t, v1))
    du = xp.matmul(u1, f * (dp * s_row + mT(xp, s_row) * mT(xp, dp)))
    dv = xp.matmul(v1, f * (mT(xp, s_row) * dp + mT(xp, dp) * s_row))
    if m > k:
        du = du + (xp.matmul(t, v1) - xp.matmul(u1, dp)) * s_inv
        if u.shape[-1] > k:
            du2 = -xp.matmul(u1 * s_inv, xp.matmul(mT(xp, xp.matmul(t, v1)), u[..., k:]))
            du = xp.concatenate(du, du2, axis=-1)
    if n > k:
        dv = dv + (xp.matmul(mT(xp, t), u1) - xp.matmul(v1, mT(xp, dp))) * s_inv
        if vh.shape[-2] > k:
            dv2 = -xp.matmul(
                v1 * s_inv, xp.matmul(xp.matmul(mT(xp, u1), t), mT(xp, vh[..., k:, :]))
            )
            dv = xp.concatenate(dv, dv2, axis=-1)
    return du, _off_kinks(xp, xp.diagonal(dp, axis1=-2, axis2=-1), s), mT(xp, dv)


op('svd', _svd, _svd_vjp, _svd_jvp, save='output', nout=3, export=None)


def _svdvals_vjp(xp, g, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return xp.matmul(u * xp.expand_dims(_off_kinks(xp, g, s), -2), vh)


def _svdvals_jvp(xp, t, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return _off_kinks(xp, xp.sum(u * xp.matmul(t, mT(xp, vh)), axis=-2), s)


op('svdvals', numpy.linalg.svdvals, _svdvals_vjp, _svdvals_jvp, export='linalg')


@composite(export='linalg')
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition ``a = U @ diag(S) @ Vh`` of stacked matrices.

    >>> a = np.array([[2., 1.], [1., 2.]])
    >>> u, s, vh = np.linalg.svd(a, full_matrices=False)
    >>> s
    array([3., 1.])
    """
    if not compute_uv:
        return P.svdvals(a)
    return SVDResult(*P.svd(a, full_matrices=full_matrices, hermitian=hermitian))

"""Factorizations: cholesky, qr, eigh, eigvalsh, eig, eigvals, svd, svdvals (np.linalg).

``cholesky``, ``eigh`` and ``eigvalsh`` read one triangle of a symmetric (Hermitian)
matrix and give the symmetric (Hermitian) gradient. Complex rules are the real ones
with conjugate transposes, in the user's convention (`user_convention`); eigen- and
singular vectors of complex matrices are defined up to a phase per column, and a loss
that depends on it raises. ``eigh`` and ``svd`` gradients assume distinct
eigen/singular values: pairs that tie exactly contribute nothing to the
eigenvector terms, which is right for functions that do not depend on the
choice of basis inside the tied subspace (see docs/linalg.md).
"""

import collections

import numpy

from .._primitive import REC as P, composite, op
from ._matrix import (
    check_phase_invariant,
    conj,
    diag_matrix,
    gap_inverse,
    herm,
    mH,
    mT,
    real,
    safe_reciprocal,
    unused,
    user_convention,
)


def _lower_half(n, dtype):
    """The mask that keeps a lower triangle and halves its diagonal."""
    return numpy.tri(n, dtype=dtype) - 0.5 * numpy.eye(n, dtype=dtype)


def _cholesky_parts(xp, ans, upper):
    low = mH(xp, ans) if upper else ans
    return low, xp.inv(low), _lower_half(low.shape[-1], numpy.finfo(low.dtype).dtype)


@user_convention
def _cholesky_vjp(xp, g, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    g = mH(xp, g) if upper else g
    inner = xp.matmul(mH(xp, low), g) * half
    return herm(xp, xp.matmul(mH(xp, low_inv), xp.matmul(inner, low_inv)))


def _cholesky_jvp(xp, t, ans, a, upper=False):
    low, low_inv, half = _cholesky_parts(xp, ans, upper)
    inner = xp.matmul(low_inv, xp.matmul(herm(xp, t), mH(xp, low_inv))) * half
    dl = xp.matmul(low, inner)
    return mH(xp, dl) if upper else dl


op('cholesky', numpy.linalg.cholesky, _cholesky_vjp, _cholesky_jvp, save='output', export='linalg')

QRResult = collections.namedtuple('QRResult', ['Q', 'R'])


def _qr(a, mode='reduced'):
    return tuple(numpy.linalg.qr(a, mode=mode))


def _copyltu(xp, m):
    """The Hermitian matrix with `m`'s strict lower triangle and real diagonal."""
    low = m * numpy.tri(m.shape[-1], k=-1, dtype=numpy.finfo(m.dtype).dtype)
    diagonal = real(xp, m) * numpy.eye(m.shape[-1], dtype=numpy.finfo(m.dtype).dtype)
    return low + mH(xp, low) + diagonal


def _qr_square_vjp(xp, gq, gr, q, r, q2=None, gq2=None):
    """The gradient of A for A = Q R with R square (A tall or square), in the user's
    convention (R's diagonal is real, as LAPACK makes it)."""
    m = xp.matmul(r, mH(xp, gr)) - xp.matmul(mH(xp, gq), q)
    b = gq + xp.matmul(q, _copyltu(xp, m))
    if q2 is not None:  # complete mode: the extra columns rotate least with A
        b = b - xp.matmul(q2, xp.matmul(mH(xp, gq2), q))
    return mH(xp, xp.solve(r, mH(xp, b)))  # b R^-H


@user_convention
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
    gx = _qr_square_vjp(xp, gq + xp.matmul(y, mH(xp, gr2)), gr1, q, r1)
    return xp.concatenate(gx, xp.matmul(q, gr2), axis=-1)


def _qr_square_jvp(xp, t, q, r):
    c = mH(xp, xp.solve(mH(xp, r), mH(xp, t)))  # dA R^-1
    b = xp.matmul(mH(xp, q), c)
    low = b * numpy.tri(b.shape[-1], k=-1, dtype=numpy.finfo(b.dtype).dtype)
    omega = low - mH(xp, low)  # Q^H dQ: skew-Hermitian ...
    if b.dtype.kind == 'c':  # ... with the imaginary diagonal that keeps R's diagonal real
        omega = omega + 1j * xp.imag(b) * numpy.eye(b.shape[-1], dtype=numpy.finfo(b.dtype).dtype)
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
        dq2 = -xp.matmul(q1, xp.matmul(mH(xp, c), q2))
        zeros = numpy.zeros(t.shape[: t.ndim - a.ndim] + a.shape[:-2] + (m - k, n), dr.dtype)
        return xp.concatenate(dq, dq2, axis=-1), xp.concatenate(dr, zeros, axis=-2)
    dq, dr1, _ = _qr_square_jvp(xp, t[..., :k], q, r[..., :k])
    if n == k:
        return dq, dr1
    dr2 = xp.matmul(mH(xp, dq), a[..., k:]) + xp.matmul(mH(xp, q), t[..., k:])
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


@user_convention
def _eigh_vjp(xp, g, ans, a, UPLO='L'):
    (gw, gv), (w, v) = g, ans
    v = _diagonalizing(v)
    inner = diag_matrix(gw)
    if not unused(gv):
        vhgv = xp.matmul(mH(xp, v), gv)
        check_phase_invariant(xp.diagonal(vhgv, axis1=-2, axis2=-1), 'eigh')
        inner = inner + gap_inverse(xp, w) * vhgv
    return herm(xp, xp.matmul(v, xp.matmul(inner, mH(xp, v))))


def _eigh_jvp(xp, t, ans, a, UPLO='L'):
    w, v = ans
    m = xp.matmul(mH(xp, v), xp.matmul(herm(xp, t), v))
    return real(xp, xp.diagonal(m, axis1=-2, axis2=-1)), xp.matmul(v, gap_inverse(xp, w) * m)


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
    """Eigenvalues (ascending) and eigenvectors of symmetric or Hermitian matrices (one
    triangle is read; the gradient is symmetric/Hermitian).

    >>> w, v = np.linalg.eigh(np.array([[2., 1.], [1., 2.]]))
    >>> w
    array([1., 3.])
    """
    return EighResult(*P.eigh(a, UPLO=UPLO))


@user_convention
def _eigvalsh_vjp(xp, g, ans, a, UPLO='L'):
    v = xp.eigh(a, UPLO=UPLO)[1]
    return xp.matmul(v * xp.expand_dims(g, -2), mH(xp, v))


def _eigvalsh_jvp(xp, t, ans, a, UPLO='L'):
    v = xp.eigh(a, UPLO=UPLO)[1]
    return xp.sum(conj(xp, v) * xp.matmul(t, v), axis=-2)


op('eigvalsh', numpy.linalg.eigvalsh, _eigvalsh_vjp, _eigvalsh_jvp, export='linalg')

EigResult = collections.namedtuple('EigResult', ['eigenvalues', 'eigenvectors'])


def _eig(a):
    return tuple(numpy.linalg.eig(a))


def _diagonalizing(v):
    """`v`, the eigenvectors, once checked to diagonalize their matrix: a defective
    matrix (a repeated eigenvalue short of eigenvectors) has no eigen-derivative, and
    NumPy's nearly parallel vectors for it would give a finite but meaningless one."""
    d = v._data if hasattr(v, '_data') else v
    if d.size and numpy.any(numpy.linalg.cond(d) * numpy.sqrt(numpy.finfo(d.dtype).eps) > 1):
        raise numpy.linalg.LinAlgError(
            'eig: the matrix is defective or nearly so (its eigenvectors are numerically '
            'parallel), so its eigenvalues and eigenvectors have no derivative there. '
            'Perturb the matrix, or differentiate a function of it that does not go '
            'through its eigendecomposition.'
        )
    return v


def _eig_vjp(xp, g, ans, a):
    """``V^-T (diag(gw) + E * (V^T gV - V^T conj(V) Re diag(V^T gV))) V^T`` in the engine's
    convention (PyTorch's ``linalg_eig_backward``, conjugated), ``E[i, j] = 1/(w[j] - w[i])``:
    the second term keeps the columns at unit norm; a loss that depends on their phase
    raises."""
    (gw, gv), (w, v) = g, ans
    v = _diagonalizing(v)
    inner = diag_matrix(gw)
    if not unused(gv):
        vtgv = xp.matmul(mT(xp, v), gv)
        diagonal = xp.diagonal(vtgv, axis1=-2, axis2=-1)
        check_phase_invariant(diagonal, 'eig')
        norm_keeping = xp.matmul(mT(xp, v), conj(xp, v)) * xp.expand_dims(real(xp, diagonal), -2)
        inner = inner + gap_inverse(xp, w) * (vtgv - norm_keeping)
    return xp.solve(mT(xp, v), xp.matmul(inner, mT(xp, v)))


def _eig_jvp(xp, t, ans, a):
    w, v = ans
    v = _diagonalizing(v)
    p = xp.solve(v, xp.matmul(t, v))  # V^-1 dA V
    dv = xp.matmul(v, gap_inverse(xp, w) * p)
    # keep each column at unit norm: Re(v^H dv) = 0
    dv = dv - v * xp.expand_dims(real(xp, xp.sum(conj(xp, v) * dv, axis=-2)), -2)
    return xp.diagonal(p, axis1=-2, axis2=-1), dv


op('eig', _eig, _eig_vjp, _eig_jvp, save='output', nout=2, export=None)


@composite(export='linalg')
def eig(a):
    """Eigenvalues and unit-norm eigenvectors (columns) of general square matrices,
    stacked: NumPy's values, real for a real input whose eigenvalues are all real, else
    complex.

    An eigenvector is defined only up to a factor ``e^(i phi)`` (a sign, when real):
    its gradient is that of PyTorch's ``linalg.eig``, right for losses that the factor
    does not change (functions of the eigenvalues, of ``abs(v)``, of
    ``v @ diag(w) @ inv(v)``); a loss that it changes raises ``ValueError``. A real
    input's gradient is real (the real part). Repeated eigenvalues make the eigenvector
    gradient infinite: pairs of exactly equal eigenvalues contribute nothing to it
    (right only for losses blind to the basis of their eigenspace), nearly equal ones
    make it huge. At a defective matrix (a repeated eigenvalue with too few
    eigenvectors; ``V`` is singular up to rounding) the eigenvalues have no derivative
    either: differentiating there raises ``numpy.linalg.LinAlgError`` (the eigenvectors'
    condition number above ``1/sqrt(eps)``).

    >>> w, v = np.linalg.eig(np.array([[2., 1.], [0., 3.]]))
    >>> w
    array([2., 3.])
    >>> np.linalg.eig(np.array([[0., -1.], [1., 0.]])).eigenvalues   # a rotation
    array([0.+1.j, 0.-1.j], dtype=complex64)
    """
    return EigResult(*P.eig(a))


def _eigvals_vjp(xp, g, ans, a):
    """``V^-T diag(g) V^T``: eigenvalues are holomorphic, no conjugate appears."""
    vt = mT(xp, _diagonalizing(xp.eig(a)[1]))
    return xp.solve(vt, xp.expand_dims(g, -1) * vt)


def _eigvals_jvp(xp, t, ans, a):
    v = _diagonalizing(xp.eig(a)[1])
    return xp.diagonal(xp.solve(v, xp.matmul(t, v)), axis1=-2, axis2=-1)


op('eigvals', numpy.linalg.eigvals, _eigvals_vjp, _eigvals_jvp, export='linalg')


SVDResult = collections.namedtuple('SVDResult', ['U', 'S', 'Vh'])


def _off_kinks(xp, g, s):
    """`g` zeroed where a singular value is exactly 0: a kink, like abs at 0, whose
    gradient is 0 (so the spectral and nuclear norms have gradient 0 at 0)."""
    return xp.where(s == 0, 0, g)


def _svd(a, full_matrices=True, hermitian=False):
    return tuple(numpy.linalg.svd(a, full_matrices=full_matrices, hermitian=hermitian))


@user_convention
def _svd_vjp(xp, g, ans, a, full_matrices=True, hermitian=False):
    (gu, gs, gvh), (u, s, vh) = g, ans
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, vh1 = u[..., :k], vh[..., :k, :]
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(safe_reciprocal(xp, s), -2)
    f = gap_inverse(xp, s * s)
    inner, outer = diag_matrix(_off_kinks(xp, gs, s)), 0
    phase = []  # Im diag(U^H gU) + Im diag(V^H gV) is 0 for a loss blind to the phases
    if not unused(gu):
        gu1 = gu[..., :k]
        ug = xp.matmul(mH(xp, u1), gu1)
        inner = inner + (f * (ug - mH(xp, ug))) * s_row
        if ug.dtype.kind == 'c':  # u_i and v_i share a phase: its term, given to u_i
            phase.append(xp.diagonal(ug, axis1=-2, axis2=-1))
            inner = inner + diag_matrix(1j * xp.imag(phase[0]) * s_inv[..., 0, :])
        if m > k:
            outer = xp.matmul((gu1 - xp.matmul(u1, ug)) * s_inv, vh1)
            if u.shape[-1] > k:  # full_matrices: extra columns rotate least with A
                u2, gu2 = u[..., k:], gu[..., k:]
                outer = outer - xp.matmul(xp.matmul(u2, xp.matmul(mH(xp, gu2), u1)) * s_inv, vh1)
    if not unused(gvh):
        gvh1 = gvh[..., :k, :]
        vg = xp.matmul(vh1, mH(xp, gvh1))
        inner = inner + mT(xp, s_row) * (f * (vg - mH(xp, vg)))
        if vg.dtype.kind == 'c':
            phase.append(xp.diagonal(vg, axis1=-2, axis2=-1))
        if n > k:
            outer = outer + xp.matmul(u1 * s_inv, gvh1 - xp.matmul(mH(xp, vg), vh1))
            if vh.shape[-2] > k:
                vh2, gvh2 = vh[..., k:, :], gvh[..., k:, :]
                outer = outer - xp.matmul(u1 * s_inv, xp.matmul(xp.matmul(vh1, mH(xp, gvh2)), vh2))
    if phase:
        check_phase_invariant(sum(p._data if hasattr(p, '_data') else p for p in phase), 'svd')
    return xp.matmul(u1, xp.matmul(inner, vh1)) + outer


def _svd_jvp(xp, t, ans, a, full_matrices=True, hermitian=False):
    u, s, vh = ans
    m, n = a.shape[-2:]
    k = min(m, n)
    u1, vh1 = u[..., :k], vh[..., :k, :]
    v1 = mH(xp, vh1)
    s_row, s_inv = xp.expand_dims(s, -2), xp.expand_dims(safe_reciprocal(xp, s), -2)
    f = gap_inverse(xp, s * s)
    dp = xp.matmul(mH(xp, u1), xp.matmul(t, v1))
    du = xp.matmul(u1, f * (dp * s_row + mT(xp, s_row) * mH(xp, dp)))
    dv = xp.matmul(v1, f * (mT(xp, s_row) * dp + mH(xp, dp) * s_row))
    dp_diagonal = xp.diagonal(dp, axis1=-2, axis2=-1)
    if dp.dtype.kind == 'c':  # the phase u_i and v_i share, given to u_i (as in the vjp)
        du = du + u1 * xp.expand_dims(1j * xp.imag(dp_diagonal), -2) * s_inv
    if m > k:
        du = du + (xp.matmul(t, v1) - xp.matmul(u1, dp)) * s_inv
        if u.shape[-1] > k:
            du2 = -xp.matmul(u1 * s_inv, xp.matmul(mH(xp, xp.matmul(t, v1)), u[..., k:]))
            du = xp.concatenate(du, du2, axis=-1)
    if n > k:
        dv = dv + (xp.matmul(mH(xp, t), u1) - xp.matmul(v1, mH(xp, dp))) * s_inv
        if vh.shape[-2] > k:
            dv2 = -xp.matmul(
                v1 * s_inv, xp.matmul(xp.matmul(mH(xp, u1), t), mH(xp, vh[..., k:, :]))
            )
            dv = xp.concatenate(dv, dv2, axis=-1)
    return du, real(xp, _off_kinks(xp, dp_diagonal, s)), mH(xp, dv)


op('svd', _svd, _svd_vjp, _svd_jvp, save='output', nout=3, export=None)


@user_convention
def _svdvals_vjp(xp, g, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return xp.matmul(u * xp.expand_dims(_off_kinks(xp, g, s), -2), vh)


def _svdvals_jvp(xp, t, ans, a):
    u, s, vh = xp.svd(a, full_matrices=False)
    return _off_kinks(xp, xp.sum(conj(xp, u) * xp.matmul(t, mH(xp, vh)), axis=-2), s)


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

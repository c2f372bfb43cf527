"""Decompositions (ndgrad/rules/decompositions.py): cholesky, qr, eigh, svd against NumPy,
derivatives to second order (gauge-free functions of the factors); then degenerate
spectra, named results, float32 and errors."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import Case, run_case
from tests.ops.matrices import eig_input, gauge_free, grad_of, spread, sym, well_conditioned

L = numpy.linalg


DECOMPOSITIONS = [
    Case(
        'cholesky',
        lambda a: np.linalg.cholesky(sym(a)),
        lambda a: L.cholesky(sym(a, numpy)),
        [(3, 3)],
        domain=(-1, 1),
    ),
    Case(
        'cholesky/stacked',
        lambda a: np.linalg.cholesky(sym(a)),
        lambda a: L.cholesky(sym(a, numpy)),
        [(2, 2, 2)],
        domain=(-1, 1),
    ),
    Case(
        'cholesky/upper',
        lambda a: np.linalg.cholesky(sym(a), upper=True),
        lambda a: L.cholesky(sym(a, numpy), upper=True),
        [(3, 3)],
        domain=(-1, 1),
    ),
    Case('qr/tall-Q', lambda a: np.linalg.qr(a)[0], lambda a: L.qr(a)[0], [(3, 2)]),
    Case('qr/tall-R', lambda a: np.linalg.qr(a).R, lambda a: L.qr(a).R, [(3, 2)]),
    Case(
        'qr/square',
        lambda a: np.linalg.qr(a)[0] * 2 + np.linalg.qr(a)[1],
        lambda a: L.qr(a)[0] * 2 + L.qr(a)[1],
        [(3, 3)],
        make=well_conditioned,
    ),
    Case('qr/wide-Q', lambda a: np.linalg.qr(a)[0], lambda a: L.qr(a)[0], [(2, 3)]),
    Case('qr/wide-R', lambda a: np.linalg.qr(a)[1], lambda a: L.qr(a)[1], [(2, 3)]),
    Case(
        'qr/stacked',
        lambda a: np.linalg.qr(a)[0] @ np.linalg.qr(a)[1][..., :1],
        lambda a: L.qr(a)[0] @ L.qr(a)[1][..., :1],
        [(2, 3, 2)],
    ),
    Case('qr/r-mode', lambda a: np.linalg.qr(a, mode='r'), lambda a: L.qr(a, mode='r'), [(3, 2)]),
    Case(
        'qr/complete-R',
        lambda a: np.linalg.qr(a, mode='complete')[1],
        lambda a: L.qr(a, mode='complete')[1],
        [(3, 2)],
    ),
    Case(
        'qr/complete-Q1',
        lambda a: np.linalg.qr(a, mode='complete')[0][..., :2],
        lambda a: L.qr(a, mode='complete')[0][..., :2],
        [(3, 2)],
    ),
    Case(
        'qr/complete-extra-columns-projector',
        lambda a: (lambda q: q @ np.swapaxes(q, -1, -2))(np.linalg.qr(a, 'complete')[0][..., 2:]),
        lambda a: (lambda q: q @ numpy.swapaxes(q, -1, -2))(L.qr(a, 'complete')[0][..., 2:]),
        [(2, 4, 2)],
    ),
    Case(
        'eigh/eigenvalues',
        lambda a: np.linalg.eigh(eig_input(a)).eigenvalues,
        lambda a: L.eigh(eig_input(a, numpy)).eigenvalues,
        [(3, 3)],
    ),
    Case(
        'eigh/eigenvectors',
        lambda a: gauge_free(np.linalg.eigh(eig_input(a))[1]),
        lambda a: gauge_free(L.eigh(eig_input(a, numpy))[1]),
        [(3, 3)],
        make=spread,
    ),
    Case(
        'eigh/weighted',
        lambda a: np.sum(
            np.linalg.eigh(eig_input(a))[1] ** 2 * np.linalg.eigh(eig_input(a))[0][..., None, :],
            axis=-1,
        ),
        lambda a: numpy.sum(
            L.eigh(eig_input(a, numpy))[1] ** 2 * L.eigh(eig_input(a, numpy))[0][..., None, :],
            axis=-1,
        ),
        [(2, 3, 3)],
        make=spread,
    ),
    Case(
        'eigh/abs-upper',
        lambda a: abs(np.linalg.eigh(eig_input(a), UPLO='U')[1]),
        lambda a: abs(L.eigh(eig_input(a, numpy), UPLO='U')[1]),
        [(2, 2)],
        make=spread,
    ),
    Case(
        'eigvalsh',
        lambda a: np.linalg.eigvalsh(eig_input(a)),
        lambda a: L.eigvalsh(eig_input(a, numpy)),
        [(2, 3, 3)],
        make=spread,
    ),
    Case('svd/values', lambda a: np.linalg.svd(a)[1], lambda a: L.svd(a)[1], [(3, 2)]),
    Case(
        'svd/values-only',
        lambda a: np.linalg.svd(a, compute_uv=False),
        lambda a: L.svd(a, compute_uv=False),
        [(2, 2, 3)],
    ),
    Case('svdvals', lambda a: np.linalg.svdvals(a), L.svdvals, [(2, 3)]),
    Case(
        'svd/reconstruct',
        lambda a: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(
            *np.linalg.svd(a, full_matrices=False)
        ),
        lambda a: a,
        [(3, 2)],
    ),
    Case(
        'svd/polar-tall',
        lambda a: (lambda u, s, vh: u @ vh)(*np.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: u @ vh)(*L.svd(a, full_matrices=False)),
        [(3, 2)],
    ),
    Case(
        'svd/polar-wide-stacked',
        lambda a: (lambda u, s, vh: u @ vh)(*np.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: u @ vh)(*L.svd(a, full_matrices=False)),
        [(2, 2, 3)],
    ),
    Case(
        'svd/U-gauge-free',
        lambda a: (
            gauge_free(np.linalg.svd(a, full_matrices=False).U)
            * np.linalg.svd(a, full_matrices=False).S
        ),
        lambda a: gauge_free(L.svd(a, full_matrices=False).U) * L.svd(a, full_matrices=False).S,
        [(3, 2)],
    ),
    Case(
        'svd/Vh-gauge-free',
        lambda a: gauge_free(np.swapaxes(np.linalg.svd(a, full_matrices=False).Vh, -1, -2)),
        lambda a: gauge_free(numpy.swapaxes(L.svd(a, full_matrices=False).Vh, -1, -2)),
        [(2, 3)],
    ),
    Case(
        'svd/square-abs',
        lambda a: abs(np.linalg.svd(a)[0]) + abs(np.linalg.svd(a)[2]),
        lambda a: abs(L.svd(a)[0]) + abs(L.svd(a)[2]),
        [(2, 2)],
    ),
    Case(
        'svd/full-U-extra-projector',
        lambda a: (lambda u: u @ np.swapaxes(u, -1, -2))(np.linalg.svd(a)[0][..., 2:]),
        lambda a: (lambda u: u @ numpy.swapaxes(u, -1, -2))(L.svd(a)[0][..., 2:]),
        [(4, 2)],
    ),
    Case(
        'svd/full-Vh-extra-projector',
        lambda a: (lambda vh: np.swapaxes(vh, -1, -2) @ vh)(np.linalg.svd(a)[2][..., 2:, :]),
        lambda a: (lambda vh: numpy.swapaxes(vh, -1, -2) @ vh)(L.svd(a)[2][..., 2:, :]),
        [(2, 4)],
    ),
    Case(
        'svd/hermitian',
        lambda a: (lambda u, s, vh: u @ vh + s)(*np.linalg.svd(eig_input(a), hermitian=True)),
        lambda a: (lambda u, s, vh: u @ vh + s)(*L.svd(eig_input(a, numpy), hermitian=True)),
        [(3, 3)],
        make=spread,
    ),
    Case(
        'svd/full-polar',
        lambda a: (lambda u, s, vh: u[..., :2] @ vh)(*np.linalg.svd(a)),
        lambda a: (lambda u, s, vh: u[..., :2] @ vh)(*L.svd(a)),
        [(3, 2)],
    ),
]


@pytest.mark.parametrize('case', DECOMPOSITIONS, ids=str)
def test_decompositions(case):
    run_case(case)


# --- special values, ties, degenerate spectra ------------------------------------------


def test_eigh_with_tied_eigenvalues_gives_finite_invariant_gradients():
    a = numpy.diag([1.0, 1.0, 2.0])
    # eigenvalues only: d sum(w**2) / dA = 2 A
    numpy.testing.assert_allclose(
        grad_of(lambda x: (np.linalg.eigh(x)[0] ** 2).sum(), a), 2 * a, atol=1e-12
    )
    # the projector on the tied eigenspace is smooth; its terms from the tie are dropped
    g = grad_of(lambda x: (np.linalg.eigh(x)[1][:, 2] ** 2 * np.array([1.0, 2.0, 3.0])).sum(), a)
    assert numpy.all(numpy.isfinite(g))
    numpy.testing.assert_allclose(
        grad_of(lambda x: np.linalg.eigvalsh(x).sum(), a), numpy.eye(3), atol=1e-12
    )


def test_svd_singular_values_of_a_rank_deficient_matrix():
    a = numpy.outer([1.0, 2.0, 2.0], [2.0, 1.0])  # rank 1, singular values 3 sqrt(5), 0
    u, s, vh = L.svd(a, full_matrices=False)
    expected = numpy.outer(u[:, 0], vh[0])
    numpy.testing.assert_allclose(
        grad_of(lambda x: np.linalg.svd(x)[1][0], a), expected, atol=1e-12
    )
    assert numpy.all(numpy.isfinite(grad_of(lambda x: np.linalg.norm(x, 'nuc'), a)))


def test_results_are_named_like_numpys():
    a = numpy.array([[2.0, 1.0], [1.0, 3.0]])
    w, v = L.eigh(a)
    got = np.linalg.eigh(np.array(a))
    numpy.testing.assert_allclose(got.eigenvalues.asnumpy(), w)
    numpy.testing.assert_allclose(abs(got.eigenvectors.asnumpy()), abs(v))
    assert set(np.linalg.svd(np.array(a))._fields) == {'U', 'S', 'Vh'}
    assert np.linalg.qr(np.array(a))._fields == ('Q', 'R')
    assert np.linalg.slogdet(np.array(a))._fields == ('sign', 'logabsdet')


def test_values_of_constant_results():
    a = numpy.random.default_rng(1).uniform(-1, 1, (3, 2))
    for got, expected in zip(np.linalg.qr(np.array(a), mode='raw'), L.qr(a, mode='raw')):
        numpy.testing.assert_allclose(got.asnumpy(), expected)
    u, s, vh = np.linalg.svd(np.array(a))  # full_matrices=True by default, as NumPy
    assert u.shape == (3, 3) and vh.shape == (2, 2)
    numpy.testing.assert_allclose(abs(u.asnumpy()), abs(L.svd(a)[0]))
    sq = np.array(a[:2])
    numpy.testing.assert_allclose(np.linalg.matrix_power(sq, 0).asnumpy(), numpy.eye(2))
    numpy.testing.assert_allclose(np.linalg.matrix_power(sq, -1).asnumpy(), L.inv(a[:2]))
    numpy.testing.assert_allclose(np.einsum('ij->j', np.array(a)).asnumpy(), a.sum(0))


def test_float32_stays_float32_through_decompositions():
    a = np.array(numpy.array([[2.0, 1.0], [1.0, 3.0]], dtype=numpy.float32))
    a.attach_grad()
    with autograd.record():
        w, v = np.linalg.eigh(a)
        u, s, vh = np.linalg.svd(a)
        y = (w * v[0]).sum() + (u @ vh).sum() + np.linalg.norm(a, 2) + np.linalg.det(a)
    assert y.dtype == numpy.float32
    y.backward()
    assert a.grad.dtype == numpy.float32


# --- errors: the types NumPy raises, with what to do ---------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda: np.linalg.cholesky(-np.eye(2)), numpy.linalg.LinAlgError),
        (lambda: np.linalg.qr(np.ones((2, 2)), mode='bad'), ValueError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()

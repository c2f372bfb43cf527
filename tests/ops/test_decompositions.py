"""Decompositions (ndgrad/rules/decompositions.py): cholesky, qr, eigh, eig, svd against NumPy,
derivatives to second order (gauge-free functions of the factors); then degenerate
spectra, named results, float32 and errors."""

import numpy
import pytest

from ndgrad import PhaseDependentLossError, autograd, func, np
from tests.ops.harness import Case, run_case
from tests.ops.matrices import eig_input, gauge_free, grad_of, spread, sym, well_conditioned
from tests.ops.test_linalg import assert_matches_pytorch, complex_case

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
    u, _, vh = L.svd(a, full_matrices=False)
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
    u, _, vh = np.linalg.svd(np.array(a))  # full_matrices=True by default, as NumPy
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
        u, _, vh = np.linalg.svd(a)
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


# --- complex matrices: gauge-free functions of the factors ----------------------------


def _herm(lib, z):
    """A Hermitian, positive definite function of a complex square matrix (`lib`: ndgrad's
    np, NumPy or torch)."""
    return (z + z.conj().swapaxes(-1, -2)) * 0.5 + 4 * lib.eye(z.shape[-1])


def _spread(zs):
    """Square matrices with well separated eigenvalues (of their Hermitian parts too)."""
    return [0.3 * z + numpy.diag(numpy.arange(z.shape[-1]) * 1.5) for z in zs]


def _column_products(v, lib, weighted=True):
    """v[i, k] conj(v[j, k]) summed over k, with weights: blind to each column's phase
    (without weights, the projector onto the columns: blind to any basis of them)."""
    weights = numpy.arange(1.0, v.shape[-1] + 1) if weighted else 1.0
    return lib.matmul(v * weights, lib.conj(lib.swapaxes(v, -1, -2)))


def _both(f):
    """`f(lib, *args)` as (ndgrad version, NumPy version)."""
    return (lambda *a: f(np, *a)), (lambda *a: f(numpy, *a))


def _complex_cases(name, f, shapes, make=None):
    return complex_case(name, *_both(f), shapes, make=make)


COMPLEX = [
    _complex_cases('cholesky', lambda lib, z: lib.linalg.cholesky(_herm(lib, z)), [(3, 3)]),
    _complex_cases(
        'cholesky/stacked', lambda lib, z: lib.linalg.cholesky(_herm(lib, z)), [(2, 2, 2)]
    ),
    _complex_cases(
        'cholesky/upper', lambda lib, z: lib.linalg.cholesky(_herm(lib, z), upper=True), [(3, 3)]
    ),
    _complex_cases(
        'qr/tall',
        lambda lib, z: lib.concatenate([lib.linalg.qr(z)[0], lib.linalg.qr(z)[1]], axis=-2),
        [(3, 2)],
    ),
    _complex_cases(
        'qr/square', lambda lib, z: lib.linalg.qr(z)[0] * 2 + lib.linalg.qr(z)[1], [(2, 3, 3)]
    ),
    _complex_cases(
        'qr/wide',
        lambda lib, z: lib.concatenate([lib.linalg.qr(z)[0], lib.linalg.qr(z)[1]], axis=-1),
        [(2, 3)],
    ),
    _complex_cases('qr/r-mode', lambda lib, z: lib.linalg.qr(z, mode='r'), [(3, 2)]),
    _complex_cases(
        'qr/complete-projector',
        lambda lib, z: _column_products(lib.linalg.qr(z, mode='complete')[0][..., 2:], lib, False),
        [(4, 2)],
    ),
    _complex_cases(
        'eigh/eigenvalues',
        lambda lib, z: lib.linalg.eigh(_herm(lib, z)).eigenvalues,
        [(3, 3)],
        _spread,
    ),
    _complex_cases(
        'eigh/abs-eigenvectors',
        lambda lib, z: lib.abs(lib.linalg.eigh(_herm(lib, z)).eigenvectors),
        [(2, 3, 3)],
        _spread,
    ),
    _complex_cases(
        'eigh/column-products',
        lambda lib, z: _column_products(lib.linalg.eigh(_herm(lib, z))[1], lib),
        [(3, 3)],
        _spread,
    ),
    _complex_cases(
        'eigvalsh', lambda lib, z: lib.linalg.eigvalsh(_herm(lib, z)), [(2, 3, 3)], _spread
    ),
    _complex_cases('svdvals', lambda lib, z: lib.linalg.svdvals(z), [(2, 3, 2)]),
    _complex_cases(
        'svd/rank-one-term',
        lambda lib, z: (lambda u, s, vh: u[..., :, :1] * vh[..., :1, :])(*lib.linalg.svd(z)),
        [(3, 2)],
    ),
    _complex_cases(
        'svd/wide-rank-one-term',
        lambda lib, z: (lambda u, s, vh: s[0] * u[:, 1:2] * vh[1:2, :])(*lib.linalg.svd(z)),
        [(2, 3)],
    ),
    _complex_cases(
        'svd/abs-factors',
        lambda lib, z: (lambda u, s, vh: lib.abs(u[..., :2]) * s + lib.abs(vh))(
            *lib.linalg.svd(z, full_matrices=False)
        ),
        [(2, 2, 2)],
    ),
    _complex_cases(
        'svd/complete-projector',
        lambda lib, z: _column_products(lib.linalg.svd(z)[0][:, 2:], lib, False),
        [(4, 2)],
    ),
    _complex_cases('eig/eigenvalues', lambda lib, z: lib.linalg.eig(z)[0], [(3, 3)], _spread),
    _complex_cases(
        'eig/abs-eigenvectors',
        lambda lib, z: lib.abs(lib.linalg.eig(z).eigenvectors),
        [(2, 3, 3)],
        _spread,
    ),
    _complex_cases(
        'eig/function-of-matrix',
        lambda lib, z: (lambda w, v: lib.matmul(v * lib.exp(w)[..., None, :], lib.linalg.inv(v)))(
            *lib.linalg.eig(z)
        ),
        [(3, 3)],
        _spread,
    ),
    _complex_cases('eigvals', lambda lib, z: lib.linalg.eigvals(z), [(2, 3, 3)], _spread),
]

# a real input: real eigenvalues give real eigenvectors, fixed up to a sign that does not
# move under small changes (so they are differentiated as they are); complex ones do not
REAL_EIG = [
    Case(
        'eig/real',
        lambda a: np.concatenate([np.linalg.eig(a)[0][None], np.linalg.eig(a)[1]]),
        lambda a: numpy.concatenate([L.eig(a)[0][None], L.eig(a)[1]]),
        [(3, 3)],
        make=spread,
    ),
    Case('eigvals/real', np.linalg.eigvals, L.eigvals, [(2, 3, 3)], make=spread),
    Case(
        'eig/real-input-complex-eigenvalues',
        lambda a: (lambda w, v: np.concatenate([w.real, w.imag, np.abs(v).ravel()]))(
            *np.linalg.eig(a)
        ),
        lambda a: (lambda w, v: numpy.concatenate([w.real, w.imag, numpy.abs(v).ravel()]))(
            *L.eig(a)
        ),
        [(3, 3)],
        inputs=[[[0.2, -1.0, 0.3], [1.1, 0.1, 0.2], [0.1, 0.4, 2.0]]],
    ),
]


@pytest.mark.parametrize('case', COMPLEX + REAL_EIG, ids=str)
def test_complex_and_eig(case):
    run_case(case)


@pytest.mark.parametrize('dtype', [numpy.complex128, numpy.complex64])
@pytest.mark.parametrize(
    'fn, shape',
    [
        (lambda lib, z: [lib.linalg.cholesky(_herm(lib, z))], (2, 3, 3)),
        (lambda lib, z: [lib.linalg.cholesky(_herm(lib, z), upper=True)], (3, 3)),
        (lambda lib, z: list(lib.linalg.qr(z)), (2, 3, 2)),
        (lambda lib, z: list(lib.linalg.qr(z)), (2, 3)),
        (
            lambda lib, z: [
                lib.linalg.eigvalsh(_herm(lib, z)),
                lib.abs(lib.linalg.eigh(_herm(lib, z))[1]),
            ],
            (2, 3, 3),
        ),
        (
            lambda lib, z: (
                lambda u, s, vh: [s, lib.abs(u), lib.abs(vh), u[..., :1] * vh[..., :1, :]]
            )(*lib.linalg.svd(z, full_matrices=False)),
            (2, 3, 2),
        ),
        (lambda lib, z: [lib.linalg.svdvals(z)], (2, 4)),
        (lambda lib, z: [lib.linalg.eig(z)[0], lib.abs(lib.linalg.eig(z)[1])], (2, 3, 3)),
        (lambda lib, z: [lib.linalg.eigvals(z)], (3, 3)),
    ],
    ids=[
        'cholesky',
        'cholesky-upper',
        'qr-tall',
        'qr-wide',
        'eigh',
        'svd',
        'svdvals',
        'eig',
        'eigvals',
    ],
)
def test_complex_gradients_match_pytorch(fn, shape, dtype):
    """(PyTorch refuses complete QR of a tall matrix, and ignores U's extra columns
    in the gradient of a full SVD: those are checked against central differences.)"""
    assert_matches_pytorch(fn, [shape], dtype)


def test_eig_gradient_of_a_real_matrix_is_real_and_matches_pytorch():
    torch = pytest.importorskip('torch')
    a = numpy.array([[0.2, -1.0, 0.3], [1.1, 0.1, 0.2], [0.1, 0.4, 2.0]])  # 2 complex eigenvalues

    def loss(lib, w, v):
        return (lib.abs(w + 0.5j) ** 2).sum() + (lib.abs(v) ** 3).sum()

    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        y = loss(np, *np.linalg.eig(x))
    y.backward()
    t = torch.tensor(a, requires_grad=True)
    loss(torch, *torch.linalg.eig(t)).backward()
    assert x.grad.dtype == numpy.float64
    numpy.testing.assert_allclose(x.grad.asnumpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize('dtype', [numpy.float64, numpy.float32, numpy.complex128])
def test_eig_results_have_numpys_dtypes(dtype):
    real = numpy.array([[2.0, 1.0], [0.5, 3.0]])
    rotation = numpy.array([[0.0, -1.0], [1.0, 0.0]])
    for a in (real, rotation, numpy.stack([real, rotation])):
        a = a.astype(dtype)
        w, v = np.linalg.eig(np.array(a))
        expected = L.eig(a)
        assert w.dtype == expected.eigenvalues.dtype and v.dtype == expected.eigenvectors.dtype
        assert np.linalg.eigvals(np.array(a)).dtype == L.eigvals(a).dtype
        numpy.testing.assert_allclose(w.asnumpy(), expected.eigenvalues, rtol=1e-6)


@pytest.mark.parametrize(
    'loss, what',
    [
        (lambda z: np.linalg.eig(z)[1].real.sum(), 'eig'),
        (lambda z: np.linalg.eigh(_herm(np, z))[1][0].imag.sum(), 'eigh'),
        (lambda z: np.linalg.svd(z)[0].real.sum(), 'svd'),
    ],
    ids=['eig', 'eigh', 'svd'],
)
def test_loss_depending_on_the_phase_of_complex_eigenvectors_raises(loss, what):
    z = np.array(_spread([numpy.array([[1.0 + 1j, 0.5], [0.2j, -1.0]])])[0])
    z.attach_grad()
    with autograd.record():
        y = loss(z)
    with pytest.raises(PhaseDependentLossError, match=f'{what}: the loss depends on the phase'):
        y.backward()


def test_eig_with_a_repeated_eigenvalue_gives_finite_gradients_of_invariant_losses():
    a = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # eigenvalue 1 twice
    a.attach_grad()
    with autograd.record():
        w, v = np.linalg.eig(a)
        y = (w**2).sum() + (np.abs(v[:, 2]) ** 2).sum()  # trace(a^2), and a unit vector's norm
    y.backward()
    numpy.testing.assert_allclose(a.grad.asnumpy(), 2 * a.asnumpy().T, atol=1e-12)


@pytest.mark.parametrize(
    'loss',
    [
        lambda a: np.linalg.eigvals(a).sum(),
        lambda a: np.linalg.eig(a)[0].sum(),
        lambda a: np.abs(np.linalg.eig(a)[1]).sum(),
    ],
    ids=['eigvals', 'eig-values', 'eig-vectors'],
)
@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_eig_of_a_defective_matrix_raises_instead_of_a_meaningless_gradient(loss, mode):
    a = numpy.array([[1.0, 1.0], [0.0, 1.0]])  # eigenvalue 1 twice, one eigenvector
    with pytest.raises(numpy.linalg.LinAlgError, match='defective'):
        if mode == 'reverse':
            func.grad(loss)(a)
        else:
            func.jvp(loss, (a,), (numpy.ones((2, 2)),))


def test_eig_of_a_nearly_defective_matrix_still_differentiates():
    a = numpy.array([[1.0, 1.0], [0.0, 1.0 + 1e-4]])  # distinct eigenvalues, V well enough
    want = numpy.eye(2)  # d trace(a) / da
    numpy.testing.assert_allclose(func.grad(lambda x: np.linalg.eigvals(x).sum().real)(a), want)


@pytest.mark.parametrize('dtype', [numpy.complex64, numpy.float32])
def test_forward_tangents_of_factors_keep_single_precision(dtype):
    rng = numpy.random.default_rng(0)
    a = rng.normal(size=(3, 3)) + 3 * numpy.eye(3)
    if dtype == numpy.complex64:
        a = a + 1j * rng.normal(size=(3, 3))
    a, t = a.astype(dtype), numpy.ones((3, 3), dtype)
    for f in (
        lambda x: tuple(np.linalg.qr(x[:, :2], mode='complete')),
        lambda x: tuple(np.linalg.svd(x)),
        lambda x: tuple(np.linalg.eigh(_herm(np, x))),
        lambda x: tuple(np.linalg.eig(x)),
        lambda x: tuple(np.linalg.slogdet(x)),
    ):
        outputs, tangents = func.jvp(f, (a,), (t,))
        assert [y.dtype for y in outputs] == [y.dtype for y in tangents]

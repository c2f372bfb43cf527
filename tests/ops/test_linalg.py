"""Linear algebra: values against NumPy, derivatives to second order against central
differences (reverse batched and single, forward), float32 kept; then ties,
degenerate spectra, special values and errors."""
import numpy
import pytest

from ndgrad import autograd, func, np
from tests.ops.harness import Case, run_case

L = numpy.linalg
inf = numpy.inf


def well_conditioned(rng, shapes):
    """Random square matrices plus 3 I (invertible, modest condition number), and
    any other operands uniform in (-1, 1)."""
    out = []
    for shape in shapes:
        x = rng.uniform(-1, 1, size=shape)
        if len(shape) >= 2 and shape[-1] == shape[-2]:
            x = x + 3 * numpy.eye(shape[-1])
        out.append(x)
    return out


def sym(a, xp=np):
    """A symmetric, positive definite function of a square matrix with entries in
    (-1, 1): finite differences of `a` stay symmetric."""
    n = a.shape[-1]
    return (a + xp.swapaxes(a, -1, -2)) * 0.5 + (n + 1.0) * numpy.eye(n)


def spread(rng, shapes):
    """Square matrices whose symmetric parts have well separated eigenvalues."""
    out = []
    for shape in shapes:
        n = shape[-1]
        x = rng.uniform(-0.3, 0.3, size=shape) + numpy.diag(numpy.arange(n) * 1.5)
        out.append(x)
    return out


def eig_input(a, xp=np):
    return (a + xp.swapaxes(a, -1, -2)) * 0.5


def case(name, fn, ref, shapes, **kw):
    return Case(name, fn, ref, shapes, **kw)


def same(f):
    """A case whose ndgrad and NumPy functions are the same code."""
    return f(np), f(numpy)


PRODUCTS = [
    Case('matmul/2d', lambda a, b: np.matmul(a, b), numpy.matmul, [(2, 3), (3, 2)]),
    Case('matmul/vec-mat', lambda a, b: a @ b, numpy.matmul, [(3,), (3, 2)]),
    Case('matmul/mat-vec', lambda a, b: a @ b, numpy.matmul, [(2, 3), (3,)]),
    Case('matmul/vec-vec', lambda a, b: a @ b, numpy.matmul, [(3,), (3,)]),
    Case('matmul/broadcast', lambda a, b: a @ b, numpy.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    Case('dot/0d', lambda a, b: np.dot(a, b), numpy.dot, [(), (2, 3)]),
    Case('dot/vec-vec', lambda a, b: np.dot(a, b), numpy.dot, [(3,), (3,)]),
    Case('dot/mat-mat', lambda a, b: np.dot(a, b), numpy.dot, [(2, 3), (3, 2)]),
    Case('dot/nd-vec', lambda a, b: np.dot(a, b), numpy.dot, [(2, 2, 3), (3,)]),
    Case('dot/nd-nd', lambda a, b: np.dot(a, b), numpy.dot, [(2, 3), (2, 3, 2)]),
    Case('dot/nd-0d', lambda a, b: np.dot(a, b), numpy.dot, [(2, 1, 3), ()]),
    Case('dot/vec-nd', lambda a, b: np.dot(a, b), numpy.dot, [(2,), (3, 2, 2)]),
    Case('dot/3d-3d', lambda a, b: np.dot(a, b), numpy.dot, [(2, 1, 2), (1, 2, 2)]),
    Case('dot/method', lambda a, b: a.dot(b), numpy.dot, [(2, 3), (3,)]),
    Case('vdot', lambda a, b: np.vdot(a, b), numpy.vdot, [(2, 3), (3, 2)]),
    Case('inner/vec', lambda a, b: np.inner(a, b), numpy.inner, [(3,), (3,)]),
    Case('inner/nd', lambda a, b: np.inner(a, b), numpy.inner, [(2, 3), (2, 1, 3)]),
    Case('inner/0d', lambda a, b: np.inner(a, b), numpy.inner, [(), (2,)]),
    Case('outer', lambda a, b: np.outer(a, b), numpy.outer, [(3,), (2,)]),
    Case('outer/flattens', lambda a, b: np.outer(a, b), numpy.outer, [(2, 2), (3,)]),
    Case('tensordot/2', lambda a, b: np.tensordot(a, b), numpy.tensordot, [(2, 3, 2), (3, 2)]),
    Case('tensordot/pairs', lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 1])),
         lambda a, b: numpy.tensordot(a, b, axes=([1, 0], [0, 1])), [(2, 3), (3, 2, 2)]),
    Case('tensordot/negative', lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
         lambda a, b: numpy.tensordot(a, b, axes=(-1, 0)), [(2, 3), (3, 2)]),
    Case('tensordot/0', lambda a, b: np.tensordot(a, b, axes=0),
         lambda a, b: numpy.tensordot(a, b, axes=0), [(2,), (3,)]),
    Case('kron/2d', lambda a, b: np.kron(a, b), numpy.kron, [(2, 2), (2, 3)]),
    Case('kron/mixed', lambda a, b: np.kron(a, b), numpy.kron, [(2,), (2, 2)]),
    Case('kron/0d', lambda a, b: np.kron(a, b), numpy.kron, [(), (3,)]),
]

EINSUM = [
    Case(f'einsum/{spec}', (lambda s: lambda *xs: np.einsum(s, *xs))(spec),
         (lambda s: lambda *xs: numpy.einsum(s, *xs))(spec), shapes)
    for spec, shapes in [
        ('ij,jk->ik', [(2, 3), (3, 2)]),
        ('i,i->', [(3,), (3,)]),
        ('ii->i', [(3, 3)]),
        ('ii', [(3, 3)]),
        ('bij,bjk->bik', [(2, 2, 3), (2, 3, 2)]),
        ('...ij,...jk->...ik', [(2, 2, 3), (3, 2)]),
        ('...ij,...jk', [(1, 2, 3), (2, 3, 2)]),
        ('ij->ji', [(2, 3)]),
        ('i,j->ij', [(3,), (2,)]),
        ('ij,jk', [(2, 3), (3, 2)]),
        ('ij->', [(2, 3)]),
        ('ij->i', [(2, 3)]),
        ('iij->j', [(2, 2, 3)]),
        ('ii,i->i', [(3, 3), (3,)]),
        ('ij,ij->ij', [(2, 1), (2, 3)]),
        ('ij,jk,kl->il', [(2, 3), (3, 2), (2, 2)]),
        ('i...->...', [(2, 3)]),
        ('', [()]),
        (',->', [(), ()]),
    ]
] + [
    Case('einsum/sublists', lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         lambda a, b: numpy.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 2)]),
    Case('einsum/optimize', lambda a, b, c: np.einsum('ij,jk,kl->il', a, b, c, optimize=True),
         lambda a, b, c: numpy.einsum('ij,jk,kl->il', a, b, c, optimize=True),
         [(2, 3), (3, 2), (2, 2)]),
]

DIAGONALS = [
    Case('trace', lambda a: np.trace(a), numpy.trace, [(3, 3)]),
    Case('trace/offset-axes', lambda a: np.trace(a, 1, 2, 0),
         lambda a: numpy.trace(a, 1, 2, 0), [(3, 2, 4)]),
    Case('trace/stacked-negative-offset', lambda a: np.trace(a, -1, -2, -1),
         lambda a: numpy.trace(a, -1, -2, -1), [(2, 3, 3)]),
    Case('trace/beyond-the-matrix', lambda a: np.trace(a, 3), lambda a: numpy.trace(a, 3),
         [(2, 3)]),
    Case('diagonal', lambda a: np.diagonal(a), numpy.diagonal, [(3, 4)]),
    Case('diagonal/offset-axes', lambda a: np.diagonal(a, offset=-1, axis1=-1, axis2=0),
         lambda a: numpy.diagonal(a, offset=-1, axis1=-1, axis2=0), [(3, 2, 3)]),
    Case('diag/vector', lambda v: np.diag(v, 1), lambda v: numpy.diag(v, 1), [(3,)]),
    Case('diag/vector-negative', lambda v: np.diag(v, -2), lambda v: numpy.diag(v, -2), [(2,)]),
    Case('diag/matrix', lambda a: np.diag(a, -1), lambda a: numpy.diag(a, -1), [(3, 4)]),
    Case('tril', lambda a: np.tril(a), numpy.tril, [(3, 3)]),
    Case('tril/stacked-k', lambda a: np.tril(a, 1), lambda a: numpy.tril(a, 1), [(2, 3, 4)]),
    Case('tril/vector', lambda a: np.tril(a, -1), lambda a: numpy.tril(a, -1), [(3,)]),
    Case('triu', lambda a: np.triu(a), numpy.triu, [(3, 3)]),
    Case('triu/stacked-k', lambda a: np.triu(a, -1), lambda a: numpy.triu(a, -1), [(2, 3, 4)]),
    Case('triu/vector', lambda a: np.triu(a, 1), lambda a: numpy.triu(a, 1), [(3,)]),
]


def _norm_case(name, shape, **kw):
    return Case(f'norm/{name}', lambda x: np.linalg.norm(x, **kw),
                lambda x: L.norm(x, **kw), [shape])


NORMS = [
    _norm_case('default', (2, 3)),
    _norm_case('default-0d', ()),
    _norm_case('default-keepdims', (2, 1, 3), keepdims=True),
    _norm_case('vector', (3,)),
    _norm_case('axis-negative', (2, 3), axis=-1),
    _norm_case('axis-keepdims', (2, 3), axis=0, keepdims=True),
    _norm_case('size-1-axis', (2, 1), axis=1),
] + [
    _norm_case(f'vector-ord{ord}', (2, 3), ord=ord, axis=1)
    for ord in (1, 2, inf, -inf, 3, 0.5, -1, -2.5)
] + [
    _norm_case('vector-ord-inf-1d', (4,), ord=inf),
    _norm_case('vector-ord1-keepdims', (2, 3), ord=1, axis=-2, keepdims=True),
] + [
    _norm_case(f'matrix-ord{ord}', (3, 3), ord=ord)
    for ord in ('fro', 'nuc', 1, -1, 2, -2, inf, -inf)
] + [
    _norm_case(f'matrix-ord{ord}-axes', (2, 3, 2), ord=ord, axis=(2, 0))
    for ord in ('fro', 'nuc', 1, 2, -inf)
] + [
    _norm_case('matrix-ord-nuc-keepdims', (3, 2, 2), ord='nuc', axis=(-1, -2), keepdims=True),
    _norm_case('matrix-ord1-keepdims', (2, 3, 2), ord=1, axis=(0, 1), keepdims=True),
    _norm_case('matrix-fro-tuple-1d-axis', (2, 3), axis=(1,)),
    Case('vector_norm', lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3),
         lambda x: L.vector_norm(x, axis=(0, 2), ord=3), [(2, 2, 3)]),
    Case('vector_norm/default', lambda x: np.linalg.vector_norm(x),
         lambda x: L.vector_norm(x), [(2, 3)]),
    Case('matrix_norm', lambda x: np.linalg.matrix_norm(x, ord=2),
         lambda x: L.matrix_norm(x, ord=2), [(2, 3, 2)]),
    Case('matrix_norm/fro-keepdims', lambda x: np.linalg.matrix_norm(x, keepdims=True),
         lambda x: L.matrix_norm(x, keepdims=True), [(2, 2, 3)]),
]

INVERSES = [
    Case('inv', lambda a: np.linalg.inv(a), L.inv, [(3, 3)], make=well_conditioned),
    Case('inv/stacked', lambda a: np.linalg.inv(a), L.inv, [(2, 2, 2)], make=well_conditioned),
    Case('inv/1x1', lambda a: np.linalg.inv(a), L.inv, [(1, 1)], make=well_conditioned),
    Case('pinv/tall', lambda a: np.linalg.pinv(a), L.pinv, [(3, 2)]),
    Case('pinv/wide-stacked', lambda a: np.linalg.pinv(a), L.pinv, [(2, 2, 3)]),
    Case('pinv/square', lambda a: np.linalg.pinv(a), L.pinv, [(2, 2)], make=well_conditioned),
    Case('det', lambda a: np.linalg.det(a), L.det, [(3, 3)]),
    Case('det/stacked', lambda a: np.linalg.det(a), L.det, [(2, 2, 2)]),
    Case('det/1x1', lambda a: np.linalg.det(a), L.det, [(1, 1)]),
    Case('slogdet/logabsdet', lambda a: np.linalg.slogdet(a)[1], lambda a: L.slogdet(a)[1],
         [(3, 3)]),
    Case('slogdet/stacked-signed', lambda a: np.linalg.slogdet(a).sign
         * np.exp(np.linalg.slogdet(a).logabsdet),
         lambda a: L.slogdet(a).sign * numpy.exp(L.slogdet(a).logabsdet), [(2, 2, 2)]),
    Case('solve/vector', lambda a, b: np.linalg.solve(a, b), L.solve, [(3, 3), (3,)],
         make=well_conditioned),
    Case('solve/matrix', lambda a, b: np.linalg.solve(a, b), L.solve, [(3, 3), (3, 2)],
         make=well_conditioned),
    Case('solve/stacked-a-vector-b', lambda a, b: np.linalg.solve(a, b), L.solve,
         [(2, 2, 2), (2,)], make=well_conditioned),
    Case('solve/stacked-b', lambda a, b: np.linalg.solve(a, b), L.solve,
         [(2, 2), (3, 2, 1)], make=well_conditioned),
    Case('solve/broadcast', lambda a, b: np.linalg.solve(a, b), L.solve,
         [(2, 1, 2, 2), (3, 2, 2)], make=well_conditioned),
    Case('lstsq/x-tall-vector', lambda a, b: np.linalg.lstsq(a, b)[0],
         lambda a, b: L.lstsq(a, b)[0], [(4, 2), (4,)]),
    Case('lstsq/x-tall-matrix', lambda a, b: np.linalg.lstsq(a, b)[0],
         lambda a, b: L.lstsq(a, b)[0], [(4, 2), (4, 2)]),
    Case('lstsq/x-wide', lambda a, b: np.linalg.lstsq(a, b)[0],
         lambda a, b: L.lstsq(a, b)[0], [(2, 3), (2,)]),
    Case('lstsq/residuals', lambda a, b: np.linalg.lstsq(a, b)[1],
         lambda a, b: L.lstsq(a, b)[1], [(4, 2), (4, 2)]),
    Case('lstsq/residuals-vector', lambda a, b: np.linalg.lstsq(a, b)[1],
         lambda a, b: L.lstsq(a, b)[1], [(3, 2), (3,)]),
    Case('lstsq/singular-values', lambda a, b: np.linalg.lstsq(a, b)[3],
         lambda a, b: L.lstsq(a, b)[3], [(3, 2), (3,)], wrt=[0]),
    Case('lstsq/all-outputs', lambda a, b: np.sum(np.linalg.lstsq(a, b)[0])
         + np.sum(np.linalg.lstsq(a, b)[1]) * np.sum(np.linalg.lstsq(a, b)[3]),
         lambda a, b: numpy.sum(L.lstsq(a, b)[0])
         + numpy.sum(L.lstsq(a, b)[1]) * numpy.sum(L.lstsq(a, b)[3]), [(3, 2), (3, 2)]),
] + [
    Case(f'matrix_power/{n}', (lambda n: lambda a: np.linalg.matrix_power(a, n))(n),
         (lambda n: lambda a: L.matrix_power(a, n))(n), [(2, 2, 2)], make=well_conditioned)
    for n in (1, 2, 3, 5, -2)
] + [
    Case('multi_dot/vectors', lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
         lambda a, b, c, d: L.multi_dot([a, b, c, d]), [(2,), (2, 3), (3, 2), (2,)]),
    Case('multi_dot/matrices', lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
         lambda a, b, c, d: L.multi_dot([a, b, c, d]), [(3, 1), (1, 3), (3, 2), (2, 1)]),
    Case('multi_dot/three', lambda a, b, c: np.linalg.multi_dot([a, b, c]),
         lambda a, b, c: L.multi_dot([a, b, c]), [(2, 3), (3, 2), (2,)]),
    Case('multi_dot/two', lambda a, b: np.linalg.multi_dot([a, b]),
         lambda a, b: L.multi_dot([a, b]), [(2, 3), (3,)]),
]


def gauge_free(u, k=None):
    """Products of entries of one column: unchanged when the column flips sign."""
    return u * u[..., :1, :]


DECOMPOSITIONS = [
    Case('cholesky', lambda a: np.linalg.cholesky(sym(a)),
         lambda a: L.cholesky(sym(a, numpy)), [(3, 3)], domain=(-1, 1)),
    Case('cholesky/stacked', lambda a: np.linalg.cholesky(sym(a)),
         lambda a: L.cholesky(sym(a, numpy)), [(2, 2, 2)], domain=(-1, 1)),
    Case('cholesky/upper', lambda a: np.linalg.cholesky(sym(a), upper=True),
         lambda a: L.cholesky(sym(a, numpy), upper=True), [(3, 3)], domain=(-1, 1)),
    Case('qr/tall-Q', lambda a: np.linalg.qr(a)[0], lambda a: L.qr(a)[0], [(3, 2)]),
    Case('qr/tall-R', lambda a: np.linalg.qr(a).R, lambda a: L.qr(a).R, [(3, 2)]),
    Case('qr/square', lambda a: np.linalg.qr(a)[0] * 2 + np.linalg.qr(a)[1],
         lambda a: L.qr(a)[0] * 2 + L.qr(a)[1], [(3, 3)], make=well_conditioned),
    Case('qr/wide-Q', lambda a: np.linalg.qr(a)[0], lambda a: L.qr(a)[0], [(2, 3)]),
    Case('qr/wide-R', lambda a: np.linalg.qr(a)[1], lambda a: L.qr(a)[1], [(2, 3)]),
    Case('qr/stacked', lambda a: np.linalg.qr(a)[0] @ np.linalg.qr(a)[1][..., :1],
         lambda a: L.qr(a)[0] @ L.qr(a)[1][..., :1], [(2, 3, 2)]),
    Case('qr/r-mode', lambda a: np.linalg.qr(a, mode='r'), lambda a: L.qr(a, mode='r'),
         [(3, 2)]),
    Case('qr/complete-R', lambda a: np.linalg.qr(a, mode='complete')[1],
         lambda a: L.qr(a, mode='complete')[1], [(3, 2)]),
    Case('qr/complete-Q1', lambda a: np.linalg.qr(a, mode='complete')[0][..., :2],
         lambda a: L.qr(a, mode='complete')[0][..., :2], [(3, 2)]),
    Case('qr/complete-extra-columns-projector',
         lambda a: (lambda q: q @ np.swapaxes(q, -1, -2))(np.linalg.qr(a, 'complete')[0][..., 2:]),
         lambda a: (lambda q: q @ numpy.swapaxes(q, -1, -2))(L.qr(a, 'complete')[0][..., 2:]),
         [(2, 4, 2)]),
    Case('eigh/eigenvalues', lambda a: np.linalg.eigh(eig_input(a)).eigenvalues,
         lambda a: L.eigh(eig_input(a, numpy)).eigenvalues, [(3, 3)]),
    Case('eigh/eigenvectors', lambda a: gauge_free(np.linalg.eigh(eig_input(a))[1]),
         lambda a: gauge_free(L.eigh(eig_input(a, numpy))[1]), [(3, 3)], make=spread),
    Case('eigh/weighted', lambda a: np.sum(np.linalg.eigh(eig_input(a))[1] ** 2
                                          * np.linalg.eigh(eig_input(a))[0][..., None, :], axis=-1),
         lambda a: numpy.sum(L.eigh(eig_input(a, numpy))[1] ** 2
                             * L.eigh(eig_input(a, numpy))[0][..., None, :], axis=-1), [(2, 3, 3)],
         make=spread),
    Case('eigh/abs-upper', lambda a: abs(np.linalg.eigh(eig_input(a), UPLO='U')[1]),
         lambda a: abs(L.eigh(eig_input(a, numpy), UPLO='U')[1]), [(2, 2)], make=spread),
    Case('eigvalsh', lambda a: np.linalg.eigvalsh(eig_input(a)),
         lambda a: L.eigvalsh(eig_input(a, numpy)), [(2, 3, 3)], make=spread),
    Case('svd/values', lambda a: np.linalg.svd(a)[1], lambda a: L.svd(a)[1], [(3, 2)]),
    Case('svd/values-only', lambda a: np.linalg.svd(a, compute_uv=False),
         lambda a: L.svd(a, compute_uv=False), [(2, 2, 3)]),
    Case('svdvals', lambda a: np.linalg.svdvals(a), L.svdvals, [(2, 3)]),
    Case('svd/reconstruct', lambda a: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(
        *np.linalg.svd(a, full_matrices=False)), lambda a: a, [(3, 2)]),
    Case('svd/polar-tall', lambda a: (lambda u, s, vh: u @ vh)(
        *np.linalg.svd(a, full_matrices=False)),
         lambda a: (lambda u, s, vh: u @ vh)(*L.svd(a, full_matrices=False)), [(3, 2)]),
    Case('svd/polar-wide-stacked', lambda a: (lambda u, s, vh: u @ vh)(
        *np.linalg.svd(a, full_matrices=False)),
         lambda a: (lambda u, s, vh: u @ vh)(*L.svd(a, full_matrices=False)), [(2, 2, 3)]),
    Case('svd/U-gauge-free', lambda a: gauge_free(np.linalg.svd(a, full_matrices=False).U)
         * np.linalg.svd(a, full_matrices=False).S,
         lambda a: gauge_free(L.svd(a, full_matrices=False).U)
         * L.svd(a, full_matrices=False).S, [(3, 2)]),
    Case('svd/Vh-gauge-free', lambda a: gauge_free(np.swapaxes(
        np.linalg.svd(a, full_matrices=False).Vh, -1, -2)),
         lambda a: gauge_free(numpy.swapaxes(L.svd(a, full_matrices=False).Vh, -1, -2)),
         [(2, 3)]),
    Case('svd/square-abs', lambda a: abs(np.linalg.svd(a)[0]) + abs(np.linalg.svd(a)[2]),
         lambda a: abs(L.svd(a)[0]) + abs(L.svd(a)[2]), [(2, 2)]),
    Case('svd/full-U-extra-projector',
         lambda a: (lambda u: u @ np.swapaxes(u, -1, -2))(np.linalg.svd(a)[0][..., 2:]),
         lambda a: (lambda u: u @ numpy.swapaxes(u, -1, -2))(L.svd(a)[0][..., 2:]), [(4, 2)]),
    Case('svd/full-Vh-extra-projector',
         lambda a: (lambda vh: np.swapaxes(vh, -1, -2) @ vh)(np.linalg.svd(a)[2][..., 2:, :]),
         lambda a: (lambda vh: numpy.swapaxes(vh, -1, -2) @ vh)(L.svd(a)[2][..., 2:, :]),
         [(2, 4)]),
    Case('svd/hermitian', lambda a: (lambda u, s, vh: u @ vh + s)(
        *np.linalg.svd(eig_input(a), hermitian=True)),
         lambda a: (lambda u, s, vh: u @ vh + s)(*L.svd(eig_input(a, numpy), hermitian=True)),
         [(3, 3)], make=spread),
    Case('svd/full-polar', lambda a: (lambda u, s, vh: u[..., :2] @ vh)(*np.linalg.svd(a)),
         lambda a: (lambda u, s, vh: u[..., :2] @ vh)(*L.svd(a)), [(3, 2)]),
]


@pytest.mark.parametrize('case', PRODUCTS + EINSUM + DIAGONALS, ids=str)
def test_products_and_diagonals(case):
    run_case(case)


@pytest.mark.parametrize('case', NORMS, ids=str)
def test_norms(case):
    run_case(case)


@pytest.mark.parametrize('case', INVERSES, ids=str)
def test_inverses_and_solves(case):
    run_case(case)


@pytest.mark.parametrize('case', DECOMPOSITIONS, ids=str)
def test_decompositions(case):
    run_case(case)


# --- special values, ties, degenerate spectra ------------------------------------------

def grad_of(f, x):
    x = np.array(numpy.asarray(x, dtype=numpy.float64))
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()


@pytest.mark.parametrize('kw', [{}, {'axis': -1}, {'axis': -1, 'ord': 3},
                                {'axis': 0, 'ord': 1}, {'axis': -1, 'ord': inf},
                                {'ord': 'fro'}, {'ord': 'nuc'}, {'ord': 2}, {'ord': -2},
                                {'ord': 1}, {'ord': -inf}], ids=str)
def test_norm_gradient_at_zero_is_zero(kw):
    assert grad_of(lambda x: np.linalg.norm(x, **kw).sum(), numpy.zeros((2, 3))).tolist() \
        == numpy.zeros((2, 3)).tolist()


def test_frobenius_norm_gradient_at_zero_is_zero_and_second_order_finite():
    x = np.zeros((2, 2))
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(np.linalg.norm(x, 'fro'), [x], create_graph=True)
        y = (g * g).sum()
    assert numpy.all(g.asnumpy() == 0)
    y.backward()
    assert numpy.all(numpy.isfinite(x.grad.asnumpy()))


def test_inf_norm_ties_share_the_gradient():
    numpy.testing.assert_array_equal(
        grad_of(lambda x: np.linalg.norm(x, inf), [1.0, -1.0, 0.5]), [0.5, -0.5, 0.0])
    numpy.testing.assert_array_equal(
        grad_of(lambda x: np.linalg.norm(x, -inf), [1.0, -0.5, 0.5]), [0.0, -0.5, 0.5])


def test_matrix_one_norm_ties_share_the_gradient():
    # both columns sum to 3 in absolute value
    numpy.testing.assert_array_equal(
        grad_of(lambda x: np.linalg.norm(x, 1), [[1.0, -2.0], [-2.0, 1.0]]),
        [[0.5, -0.5], [-0.5, 0.5]])


def test_zero_ord_norm_counts_and_has_zero_gradient():
    x = [[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]]
    assert np.linalg.norm(np.array(x), 0, axis=1).tolist() == [2.0, 1.0]
    assert grad_of(lambda x: np.linalg.norm(x, 0, axis=1).sum() + x.sum(), x).tolist() \
        == numpy.ones((2, 3)).tolist()


def test_eigh_with_tied_eigenvalues_gives_finite_invariant_gradients():
    a = numpy.diag([1.0, 1.0, 2.0])
    # eigenvalues only: d sum(w**2) / dA = 2 A
    numpy.testing.assert_allclose(
        grad_of(lambda x: (np.linalg.eigh(x)[0] ** 2).sum(), a), 2 * a, atol=1e-12)
    # the projector on the tied eigenspace is smooth; its terms from the tie are dropped
    g = grad_of(lambda x: (np.linalg.eigh(x)[1][:, 2] ** 2 * np.array([1.0, 2.0, 3.0])).sum(), a)
    assert numpy.all(numpy.isfinite(g))
    numpy.testing.assert_allclose(grad_of(lambda x: np.linalg.eigvalsh(x).sum(), a),
                                  numpy.eye(3), atol=1e-12)


def test_svd_singular_values_of_a_rank_deficient_matrix():
    a = numpy.outer([1.0, 2.0, 2.0], [2.0, 1.0])  # rank 1, singular values 3 sqrt(5), 0
    u, s, vh = L.svd(a, full_matrices=False)
    expected = numpy.outer(u[:, 0], vh[0])
    numpy.testing.assert_allclose(grad_of(lambda x: np.linalg.svd(x)[1][0], a), expected,
                                  atol=1e-12)
    assert numpy.all(numpy.isfinite(grad_of(lambda x: np.linalg.norm(x, 'nuc'), a)))


def test_slogdet_sign_and_lstsq_rank_carry_no_gradient():
    a = numpy.array([[0.0, 2.0], [1.0, 1.0]])  # det -2
    sign, logdet = np.linalg.slogdet(np.array(a))
    assert sign.item() == -1.0 and abs(logdet.item() - numpy.log(2)) < 1e-12
    assert grad_of(lambda x: np.linalg.slogdet(x)[0] + 0 * x.sum(), a).tolist() \
        == [[0.0, 0.0], [0.0, 0.0]]
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        rank = np.linalg.lstsq(x, np.array([1.0, 2.0]))[2]
    assert rank.item() == 2 and rank.dtype.kind == 'i'
    assert getattr(rank, '_node', None) is None


def test_det_second_derivative_is_exact():
    # d/dA det(A) = det(A) A^-T; for 2x2 the Hessian is constant: d^2 det / dA_00 dA_11 = 1
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    a.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(np.linalg.det(a), [a], create_graph=True)
        y = g[0, 0]
    y.backward()
    numpy.testing.assert_allclose(g.asnumpy(), [[3.0, -0.5], [-1.0, 2.0]])
    numpy.testing.assert_allclose(a.grad.asnumpy(), [[0.0, 0.0], [0.0, 1.0]], atol=1e-12)


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


def test_numpy_functions_on_ndgrad_arrays_dispatch_here():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    a.attach_grad()
    with autograd.record():
        y = numpy.linalg.det(a) + numpy.trace(a) + numpy.einsum('ij,ij', a, a)
    y.backward()
    numpy.testing.assert_allclose(a.grad.asnumpy(),
                                  5 * L.inv(a.asnumpy()).T + numpy.eye(2) + 2 * a.asnumpy())


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

@pytest.mark.parametrize('call, error', [
    (lambda: np.einsum('ij,jk->ik', np.ones((2, 3))), ValueError),
    (lambda: np.einsum('ij', np.ones(3)), ValueError),
    (lambda: np.einsum('i1', np.ones((2, 2))), ValueError),
    (lambda: np.einsum('...i->i', np.ones((2, 3))), ValueError),
    (lambda: np.einsum('ij,jk->ik', np.ones((2, 3)), np.ones((2, 3))), ValueError),
    (lambda: np.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=([1], [0])), ValueError),
    (lambda: np.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes=([1, 0], [0])), ValueError),
    (lambda: np.dot(np.ones((2, 3)), np.ones((2, 3))), ValueError),
    (lambda: np.vdot(np.ones(2), np.ones(3)), ValueError),
    (lambda: np.diag(np.ones((2, 2, 2))), ValueError),
    (lambda: np.linalg.norm(np.ones(3), 'fro'), ValueError),
    (lambda: np.linalg.norm(np.ones((2, 2)), 3), ValueError),
    (lambda: np.linalg.norm(np.ones((2, 2, 2)), 2), ValueError),
    (lambda: np.linalg.norm(np.ones((2, 2)), axis=(0, 0)), ValueError),
    (lambda: np.linalg.norm(np.ones((2, 2)), axis=(0, 2)), numpy.exceptions.AxisError),
    (lambda: np.linalg.norm(np.ones((2, 2)), axis=1.5), TypeError),
    (lambda: np.linalg.matrix_power(np.ones((2, 2)), 1.5), TypeError),
    (lambda: np.linalg.matrix_power(np.ones((2, 3)), 2), numpy.linalg.LinAlgError),
    (lambda: np.linalg.multi_dot([np.ones((2, 2, 2)), np.ones((2, 2)), np.ones(2)]),
     numpy.linalg.LinAlgError),
    (lambda: np.linalg.multi_dot([np.ones(2)]), ValueError),
    (lambda: np.linalg.inv(np.zeros((2, 2))), numpy.linalg.LinAlgError),
    (lambda: np.linalg.inv(np.ones((2, 3))), numpy.linalg.LinAlgError),
    (lambda: np.linalg.solve(np.eye(2), np.ones(3)), ValueError),
    (lambda: np.linalg.cholesky(-np.eye(2)), numpy.linalg.LinAlgError),
    (lambda: np.linalg.qr(np.ones((2, 2)), mode='bad'), ValueError),
    (lambda: np.dot(np.ones(2), np.ones(2), out=np.ones(())), TypeError),
])
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize('a, cofactors', [
    ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
     [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]]),
    ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),
])
def test_gradient_of_det_at_a_singular_matrix_is_the_cofactor_matrix(a, cofactors):
    numpy.testing.assert_allclose(grad_of(lambda x: np.linalg.det(x), a), cofactors,
                                  atol=1e-12)
    tangent = numpy.arange(numpy.size(a), dtype=float).reshape(numpy.shape(a))
    _, dy = func.jvp(np.linalg.det, (numpy.array(a),), (tangent,))
    numpy.testing.assert_allclose(dy, (numpy.array(cofactors) * tangent).sum(), atol=1e-12)


def test_second_derivative_of_det_at_a_singular_matrix_is_exact():
    """det(a) = a00 a11 - a01 a10: its Hessian, wherever a is."""
    expected = [[0., 0., 0., 1.], [0., 0., -1., 0.], [0., -1., 0., 0.], [1., 0., 0., 0.]]
    for a in ([[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]):
        hessian = func.hessian(np.linalg.det)(numpy.array(a))
        numpy.testing.assert_allclose(hessian.reshape(4, 4), expected, atol=1e-12)


@pytest.mark.parametrize('f, x, expected', [
    (lambda x: np.dot(x, [1.0, 2.0]), [3.0, 4.0], [1.0, 2.0]),
    (lambda x: np.dot([1.0, 2.0], x), [3.0, 4.0], [1.0, 2.0]),
    (lambda x: np.dot(x, 2.0).sum(), [3.0, 4.0], [2.0, 2.0]),
    (lambda x: (x @ [[1.0], [2.0]]).sum(), [3.0, 4.0], [1.0, 2.0]),
    (lambda x: ([1.0, 2.0] @ x), [3.0, 4.0], [1.0, 2.0]),
    (lambda x: np.linalg.solve([[2.0, 0.0], [0.0, 4.0]], x).sum(), [3.0, 4.0], [0.5, 0.25]),
    (lambda x: np.linalg.solve(x * numpy.eye(2), [2.0, 4.0]).sum(), [1.0, 2.0], [-2.0, -1.0]),
    (lambda x: np.linalg.lstsq([[1.0], [1.0]], x)[0].sum(), [3.0, 4.0], [0.5, 0.5]),
    (lambda x: np.einsum('i,i', x, [1.0, 2.0]), [3.0, 4.0], [1.0, 2.0]),
    (lambda x: np.tensordot(x, [1.0, 2.0], axes=1), [3.0, 4.0], [1.0, 2.0]),
])
def test_constant_operands_may_be_lists_or_scalars(f, x, expected):
    numpy.testing.assert_allclose(grad_of(f, x), expected, atol=1e-12)

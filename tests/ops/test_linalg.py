"""Products, diagonals and norms (ndgrad/rules/linalg.py): values against NumPy,
derivatives to second order against central differences (reverse batched and single,
forward); then ties, special values and errors; then complex operands (central differences
and PyTorch), with the helpers the other linear algebra tests share."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import Case, run_case
from tests.ops.matrices import grad_of

L = numpy.linalg
inf = numpy.inf


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
    Case(
        'tensordot/pairs',
        lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 1])),
        lambda a, b: numpy.tensordot(a, b, axes=([1, 0], [0, 1])),
        [(2, 3), (3, 2, 2)],
    ),
    Case(
        'tensordot/negative',
        lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
        lambda a, b: numpy.tensordot(a, b, axes=(-1, 0)),
        [(2, 3), (3, 2)],
    ),
    Case(
        'tensordot/0',
        lambda a, b: np.tensordot(a, b, axes=0),
        lambda a, b: numpy.tensordot(a, b, axes=0),
        [(2,), (3,)],
    ),
    Case('kron/2d', lambda a, b: np.kron(a, b), numpy.kron, [(2, 2), (2, 3)]),
    Case('kron/mixed', lambda a, b: np.kron(a, b), numpy.kron, [(2,), (2, 2)]),
    Case('kron/0d', lambda a, b: np.kron(a, b), numpy.kron, [(), (3,)]),
]


DIAGONALS = [
    Case('trace', lambda a: np.trace(a), numpy.trace, [(3, 3)]),
    Case(
        'trace/offset-axes',
        lambda a: np.trace(a, 1, 2, 0),
        lambda a: numpy.trace(a, 1, 2, 0),
        [(3, 2, 4)],
    ),
    Case(
        'trace/stacked-negative-offset',
        lambda a: np.trace(a, -1, -2, -1),
        lambda a: numpy.trace(a, -1, -2, -1),
        [(2, 3, 3)],
    ),
    Case(
        'trace/beyond-the-matrix', lambda a: np.trace(a, 3), lambda a: numpy.trace(a, 3), [(2, 3)]
    ),
    Case('diagonal', lambda a: np.diagonal(a), numpy.diagonal, [(3, 4)]),
    Case(
        'diagonal/offset-axes',
        lambda a: np.diagonal(a, offset=-1, axis1=-1, axis2=0),
        lambda a: numpy.diagonal(a, offset=-1, axis1=-1, axis2=0),
        [(3, 2, 3)],
    ),
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
    return Case(
        f'norm/{name}', lambda x: np.linalg.norm(x, **kw), lambda x: L.norm(x, **kw), [shape]
    )


NORMS = (
    [
        _norm_case('default', (2, 3)),
        _norm_case('default-0d', ()),
        _norm_case('default-keepdims', (2, 1, 3), keepdims=True),
        _norm_case('vector', (3,)),
        _norm_case('axis-negative', (2, 3), axis=-1),
        _norm_case('axis-keepdims', (2, 3), axis=0, keepdims=True),
        _norm_case('size-1-axis', (2, 1), axis=1),
    ]
    + [
        _norm_case(f'vector-ord{ord}', (2, 3), ord=ord, axis=1)
        for ord in (1, 2, inf, -inf, 3, 0.5, -1, -2.5)
    ]
    + [
        _norm_case('vector-ord-inf-1d', (4,), ord=inf),
        _norm_case('vector-ord1-keepdims', (2, 3), ord=1, axis=-2, keepdims=True),
    ]
    + [
        _norm_case(f'matrix-ord{ord}', (3, 3), ord=ord)
        for ord in ('fro', 'nuc', 1, -1, 2, -2, inf, -inf)
    ]
    + [
        _norm_case(f'matrix-ord{ord}-axes', (2, 3, 2), ord=ord, axis=(2, 0))
        for ord in ('fro', 'nuc', 1, 2, -inf)
    ]
    + [
        _norm_case('matrix-ord-nuc-keepdims', (3, 2, 2), ord='nuc', axis=(-1, -2), keepdims=True),
        _norm_case('matrix-ord1-keepdims', (2, 3, 2), ord=1, axis=(0, 1), keepdims=True),
        _norm_case('matrix-fro-tuple-1d-axis', (2, 3), axis=(1,)),
        Case(
            'vector_norm',
            lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3),
            lambda x: L.vector_norm(x, axis=(0, 2), ord=3),
            [(2, 2, 3)],
        ),
        Case(
            'vector_norm/default',
            lambda x: np.linalg.vector_norm(x),
            lambda x: L.vector_norm(x),
            [(2, 3)],
        ),
        Case(
            'matrix_norm',
            lambda x: np.linalg.matrix_norm(x, ord=2),
            lambda x: L.matrix_norm(x, ord=2),
            [(2, 3, 2)],
        ),
        Case(
            'matrix_norm/fro-keepdims',
            lambda x: np.linalg.matrix_norm(x, keepdims=True),
            lambda x: L.matrix_norm(x, keepdims=True),
            [(2, 2, 3)],
        ),
    ]
)


@pytest.mark.parametrize('case', PRODUCTS + DIAGONALS, ids=str)
def test_products_and_diagonals(case):
    run_case(case)


@pytest.mark.parametrize('case', NORMS, ids=str)
def test_norms(case):
    run_case(case)


# --- special values, ties, degenerate spectra ------------------------------------------


@pytest.mark.parametrize(
    'kw',
    [
        {},
        {'axis': -1},
        {'axis': -1, 'ord': 3},
        {'axis': 0, 'ord': 1},
        {'axis': -1, 'ord': inf},
        {'ord': 'fro'},
        {'ord': 'nuc'},
        {'ord': 2},
        {'ord': -2},
        {'ord': 1},
        {'ord': -inf},
    ],
    ids=str,
)
def test_norm_gradient_at_zero_is_zero(kw):
    assert (
        grad_of(lambda x: np.linalg.norm(x, **kw).sum(), numpy.zeros((2, 3))).tolist()
        == numpy.zeros((2, 3)).tolist()
    )


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
        grad_of(lambda x: np.linalg.norm(x, inf), [1.0, -1.0, 0.5]), [0.5, -0.5, 0.0]
    )
    numpy.testing.assert_array_equal(
        grad_of(lambda x: np.linalg.norm(x, -inf), [1.0, -0.5, 0.5]), [0.0, -0.5, 0.5]
    )


def test_matrix_one_norm_ties_share_the_gradient():
    # both columns sum to 3 in absolute value
    numpy.testing.assert_array_equal(
        grad_of(lambda x: np.linalg.norm(x, 1), [[1.0, -2.0], [-2.0, 1.0]]),
        [[0.5, -0.5], [-0.5, 0.5]],
    )


def test_zero_ord_norm_counts_and_has_zero_gradient():
    x = [[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]]
    assert np.linalg.norm(np.array(x), 0, axis=1).tolist() == [2.0, 1.0]
    assert (
        grad_of(lambda x: np.linalg.norm(x, 0, axis=1).sum() + x.sum(), x).tolist()
        == numpy.ones((2, 3)).tolist()
    )


def test_numpy_functions_on_ndgrad_arrays_dispatch_here():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    a.attach_grad()
    with autograd.record():
        y = numpy.linalg.det(a) + numpy.trace(a) + numpy.einsum('ij,ij', a, a)
    y.backward()
    numpy.testing.assert_allclose(
        a.grad.asnumpy(), 5 * L.inv(a.asnumpy()).T + numpy.eye(2) + 2 * a.asnumpy()
    )


# --- errors: the types NumPy raises, with what to do ---------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
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
        (lambda: np.dot(np.ones(2), np.ones(2), out=np.ones(())), TypeError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    'f, x, expected',
    [
        (lambda x: np.dot(x, [1.0, 2.0]), [3.0, 4.0], [1.0, 2.0]),
        (lambda x: np.dot([1.0, 2.0], x), [3.0, 4.0], [1.0, 2.0]),
        (lambda x: np.dot(x, 2.0).sum(), [3.0, 4.0], [2.0, 2.0]),
        (lambda x: (x @ [[1.0], [2.0]]).sum(), [3.0, 4.0], [1.0, 2.0]),
        (lambda x: [1.0, 2.0] @ x, [3.0, 4.0], [1.0, 2.0]),
        (lambda x: np.tensordot(x, [1.0, 2.0], axes=1), [3.0, 4.0], [1.0, 2.0]),
    ],
)
def test_constant_operands_may_be_lists_or_scalars(f, x, expected):
    numpy.testing.assert_allclose(grad_of(f, x), expected, atol=1e-12)


# --- complex operands: each given as its real and imaginary parts ---------------------


def parts(y):
    """A complex result as its real and imaginary parts stacked (a real one as is)."""
    if y.dtype.kind != 'c':
        return y
    return (np if isinstance(y, np.ndarray) else numpy).stack([y.real, y.imag])


def complex_case(name, fn, ref, shapes, make=None, **kw):
    """A harness Case for `fn` of complex operands of `shapes`: the case's inputs are
    their real and imaginary parts (`make(rng, shapes)` gives the complex operands),
    its output the result's parts."""

    def join(args):
        return [args[2 * k] + 1j * args[2 * k + 1] for k in range(len(shapes))]

    def make_parts(rng, _):
        made = [rng.uniform(-1, 1, s) + 1j * rng.uniform(-1, 1, s) for s in shapes]
        made = made if make is None else make(made)
        return [p for z in made for p in (z.real, z.imag)]

    return Case(
        f'complex/{name}',
        lambda *a: parts(fn(*join(a))),
        lambda *a: parts(ref(*join(a))),
        [s for s in shapes for _ in 'ri'],
        make=make_parts,
        **kw,
    )


def loss_gradients(fn, values, lib):
    """The gradients (user's convention) of ``sum |y + c|^2`` over the outputs of
    ``fn(lib, *values)``, with `lib` ndgrad's ``np`` or ``torch``."""
    if lib is np:
        xs = [np.array(v) for v in values]
        for x in xs:
            x.attach_grad()
        with autograd.record():
            outs = fn(np, *xs)
            loss = sum((np.abs(y + (0.5 + 0.25j)) ** 2).sum() for y in outs)
        loss.backward()
        return [x.grad.asnumpy() for x in xs]
    xs = [lib.tensor(v, requires_grad=True) for v in values]
    outs = fn(lib, *xs)
    sum(((y + (0.5 + 0.25j)).abs() ** 2).sum() for y in outs).backward()
    return [numpy.zeros_like(v) if x.grad is None else x.grad.numpy() for x, v in zip(xs, values)]


def assert_matches_pytorch(fn, shapes, dtype, make=None, seed=0):
    """`fn(lib, *operands)` (a list of outputs) differentiated by ndgrad and by PyTorch,
    on random complex operands of `shapes` in `dtype`."""
    torch = pytest.importorskip('torch')
    rng = numpy.random.default_rng(seed)
    values = [rng.normal(size=s) + 1j * rng.normal(size=s) for s in shapes]
    values = [v.astype(dtype) for v in (values if make is None else make(values))]
    mine, theirs = loss_gradients(fn, values, np), loss_gradients(fn, values, torch)
    tol = 2e-3 if dtype == numpy.complex64 else 1e-9
    for m, t in zip(mine, theirs):
        assert m.dtype == t.dtype == dtype
        numpy.testing.assert_allclose(m, t, rtol=tol, atol=tol * max(1.0, numpy.abs(t).max()))


COMPLEX = (
    [
        complex_case('matmul', np.matmul, numpy.matmul, [(2, 2, 3), (3, 2)]),
        complex_case('dot', np.dot, numpy.dot, [(2, 3), (3,)]),
        complex_case('vdot', np.vdot, numpy.vdot, [(2, 3), (3, 2)]),
        complex_case('inner', np.inner, numpy.inner, [(2, 3), (3,)]),
        complex_case('outer', np.outer, numpy.outer, [(3,), (2,)]),
        complex_case('tensordot', np.tensordot, numpy.tensordot, [(2, 3, 2), (3, 2)]),
        complex_case(
            'einsum',
            lambda a, b: np.einsum('bij,bjk->bik', a, b),
            lambda a, b: numpy.einsum('bij,bjk->bik', a, b),
            [(2, 2, 3), (2, 3, 2)],
        ),
        complex_case('kron', np.kron, numpy.kron, [(2,), (2, 2)]),
        complex_case(
            'multi_dot',
            lambda a, b, c: np.linalg.multi_dot([a, b, c]),
            lambda a, b, c: L.multi_dot([a, b, c]),
            [(3,), (3, 2), (2, 2)],
        ),
        complex_case(
            'trace/diagonal',
            lambda a: np.trace(a) * np.diag(a),
            lambda a: numpy.trace(a) * numpy.diag(a),
            [(3, 3)],
        ),
    ]
    + [
        complex_case(
            f'norm/{kw}',
            lambda x, kw=kw: np.linalg.norm(x, **kw),
            lambda x, kw=kw: L.norm(x, **kw),
            [shape],
        )
        for shape, kw in [
            ((2, 3), {}),
            ((3,), {'ord': 1}),
            ((2, 3), {'ord': 3, 'axis': -1}),
            ((2, 3), {'ord': -1.5, 'axis': 0, 'keepdims': True}),
            ((3,), {'ord': inf}),
            ((3,), {'ord': -inf}),
            ((3, 2), {'ord': 'fro'}),
            ((3, 2), {'ord': 'nuc'}),
            ((3, 2), {'ord': 2}),
            ((2, 3), {'ord': -2}),
            ((3, 2), {'ord': 1}),
            ((3, 2), {'ord': inf}),
        ]
    ]
    + [
        complex_case(
            'vector_norm/axes',
            lambda x: np.linalg.vector_norm(x, axis=(0, 2)),
            lambda x: L.vector_norm(x, axis=(0, 2)),
            [(2, 1, 3)],
        ),
        complex_case(
            'matrix_norm/stacked',
            lambda x: np.linalg.matrix_norm(x, ord='nuc'),
            lambda x: L.matrix_norm(x, ord='nuc'),
            [(2, 3, 2)],
        ),
    ]
)


@pytest.mark.parametrize('case', COMPLEX, ids=str)
def test_complex(case):
    run_case(case)


@pytest.mark.parametrize('dtype', [numpy.complex128, numpy.complex64])
@pytest.mark.parametrize(
    'fn, shapes',
    [
        (
            lambda lib, a, b: [lib.matmul(a, b), lib.outer(a[0], b[0]), lib.inner(a, b.T)],
            [(2, 3), (3, 2)],
        ),
        (
            lambda lib, a, b: [lib.vdot(a[0], b[:, 0]), lib.einsum('ij,jk->ik', a, b)],
            [(2, 3), (3, 2)],
        ),
        (lambda lib, a, b: [lib.linalg.multi_dot([a, b, a])], [(2, 3), (3, 2)]),
        (
            lambda lib, a, b: [
                lib.linalg.norm(a),
                lib.linalg.vector_norm(a, ord=3, dim=-1)
                if lib is not np
                else lib.linalg.vector_norm(a, ord=3, axis=-1),
                lib.linalg.matrix_norm(b, ord='nuc'),
                lib.linalg.matrix_norm(b, ord=2),
                lib.linalg.matrix_norm(b, ord=1),
            ],
            [(2, 3), (3, 2)],
        ),
    ],
    ids=['products', 'vdot-einsum', 'multi_dot', 'norms'],
)
def test_complex_gradients_match_pytorch(fn, shapes, dtype):
    assert_matches_pytorch(fn, shapes, dtype)

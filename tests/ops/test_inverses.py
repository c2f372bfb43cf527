"""Inverses, solves and determinants (ndgrad/rules/inverses.py): values against NumPy,
derivatives to second order; then singular matrices, exact Hessians and errors; then
complex matrices against central differences and PyTorch."""

import numpy
import pytest

from ndgrad import autograd, func, np
from tests.ops.harness import Case, run_case
from tests.ops.matrices import grad_of, well_conditioned
from tests.ops.test_linalg import assert_matches_pytorch, complex_case

L = numpy.linalg


def _lstsq_result(k):
    """lstsq's result `k` (0 solution, 1 residuals, 3 singular values), in ndgrad and in
    NumPy: a case's function and its reference."""
    return (lambda a, b: np.linalg.lstsq(a, b)[k]), (lambda a, b: L.lstsq(a, b)[k])


INVERSES = (
    [
        Case('inv', lambda a: np.linalg.inv(a), L.inv, [(3, 3)], make=well_conditioned),
        Case('inv/stacked', lambda a: np.linalg.inv(a), L.inv, [(2, 2, 2)], make=well_conditioned),
        Case('inv/1x1', lambda a: np.linalg.inv(a), L.inv, [(1, 1)], make=well_conditioned),
        Case('pinv/tall', lambda a: np.linalg.pinv(a), L.pinv, [(3, 2)]),
        Case('pinv/wide-stacked', lambda a: np.linalg.pinv(a), L.pinv, [(2, 2, 3)]),
        Case('pinv/square', lambda a: np.linalg.pinv(a), L.pinv, [(2, 2)], make=well_conditioned),
        Case('det', lambda a: np.linalg.det(a), L.det, [(3, 3)]),
        Case('det/stacked', lambda a: np.linalg.det(a), L.det, [(2, 2, 2)]),
        Case('det/1x1', lambda a: np.linalg.det(a), L.det, [(1, 1)]),
        Case(
            'slogdet/logabsdet',
            lambda a: np.linalg.slogdet(a)[1],
            lambda a: L.slogdet(a)[1],
            [(3, 3)],
        ),
        Case(
            'slogdet/stacked-signed',
            lambda a: np.linalg.slogdet(a).sign * np.exp(np.linalg.slogdet(a).logabsdet),
            lambda a: L.slogdet(a).sign * numpy.exp(L.slogdet(a).logabsdet),
            [(2, 2, 2)],
        ),
        Case(
            'solve/vector',
            lambda a, b: np.linalg.solve(a, b),
            L.solve,
            [(3, 3), (3,)],
            make=well_conditioned,
        ),
        Case(
            'solve/matrix',
            lambda a, b: np.linalg.solve(a, b),
            L.solve,
            [(3, 3), (3, 2)],
            make=well_conditioned,
        ),
        Case(
            'solve/stacked-a-vector-b',
            lambda a, b: np.linalg.solve(a, b),
            L.solve,
            [(2, 2, 2), (2,)],
            make=well_conditioned,
        ),
        Case(
            'solve/stacked-b',
            lambda a, b: np.linalg.solve(a, b),
            L.solve,
            [(2, 2), (3, 2, 1)],
            make=well_conditioned,
        ),
        Case(
            'solve/broadcast',
            lambda a, b: np.linalg.solve(a, b),
            L.solve,
            [(2, 1, 2, 2), (3, 2, 2)],
            make=well_conditioned,
        ),
        Case('lstsq/x-tall-vector', *_lstsq_result(0), [(4, 2), (4,)]),
        Case('lstsq/x-tall-matrix', *_lstsq_result(0), [(4, 2), (4, 2)]),
        Case('lstsq/x-wide', *_lstsq_result(0), [(2, 3), (2,)]),
        Case('lstsq/residuals', *_lstsq_result(1), [(4, 2), (4, 2)]),
        Case('lstsq/residuals-vector', *_lstsq_result(1), [(3, 2), (3,)]),
        Case(
            'lstsq/singular-values',
            *_lstsq_result(3),
            [(3, 2), (3,)],
            wrt=[0],
        ),
        Case(
            'lstsq/all-outputs',
            lambda a, b: (
                np.sum(np.linalg.lstsq(a, b)[0])
                + np.sum(np.linalg.lstsq(a, b)[1]) * np.sum(np.linalg.lstsq(a, b)[3])
            ),
            lambda a, b: (
                numpy.sum(L.lstsq(a, b)[0])
                + numpy.sum(L.lstsq(a, b)[1]) * numpy.sum(L.lstsq(a, b)[3])
            ),
            [(3, 2), (3, 2)],
        ),
    ]
    + [
        Case(
            f'matrix_power/{n}',
            lambda a, n=n: np.linalg.matrix_power(a, n),
            lambda a, n=n: L.matrix_power(a, n),
            [(2, 2, 2)],
            make=well_conditioned,
        )
        for n in (1, 2, 3, 5, -2)
    ]
    + [
        Case(
            'multi_dot/vectors',
            lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
            lambda a, b, c, d: L.multi_dot([a, b, c, d]),
            [(2,), (2, 3), (3, 2), (2,)],
        ),
        Case(
            'multi_dot/matrices',
            lambda a, b, c, d: np.linalg.multi_dot([a, b, c, d]),
            lambda a, b, c, d: L.multi_dot([a, b, c, d]),
            [(3, 1), (1, 3), (3, 2), (2, 1)],
        ),
        Case(
            'multi_dot/three',
            lambda a, b, c: np.linalg.multi_dot([a, b, c]),
            lambda a, b, c: L.multi_dot([a, b, c]),
            [(2, 3), (3, 2), (2,)],
        ),
        Case(
            'multi_dot/two',
            lambda a, b: np.linalg.multi_dot([a, b]),
            lambda a, b: L.multi_dot([a, b]),
            [(2, 3), (3,)],
        ),
    ]
)


@pytest.mark.parametrize('case', INVERSES, ids=str)
def test_inverses_and_solves(case):
    run_case(case)


# --- special values, ties, degenerate spectra ------------------------------------------


def test_slogdet_sign_and_lstsq_rank_carry_no_gradient():
    a = numpy.array([[0.0, 2.0], [1.0, 1.0]])  # det -2
    sign, logdet = np.linalg.slogdet(np.array(a))
    assert sign.item() == -1.0 and abs(logdet.item() - numpy.log(2)) < 1e-12
    assert grad_of(lambda x: np.linalg.slogdet(x)[0] + 0 * x.sum(), a).tolist() == [
        [0.0, 0.0],
        [0.0, 0.0],
    ]
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


@pytest.mark.parametrize(
    'a, cofactors',
    [
        ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
        (
            [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
            [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]],
        ),
        ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),
    ],
)
def test_gradient_of_det_at_a_singular_matrix_is_the_cofactor_matrix(a, cofactors):
    numpy.testing.assert_allclose(grad_of(lambda x: np.linalg.det(x), a), cofactors, atol=1e-12)
    tangent = numpy.arange(numpy.size(a), dtype=float).reshape(numpy.shape(a))
    _, dy = func.jvp(np.linalg.det, (numpy.array(a),), (tangent,))
    numpy.testing.assert_allclose(dy, (numpy.array(cofactors) * tangent).sum(), atol=1e-12)


def test_second_derivative_of_det_at_a_singular_matrix_is_exact():
    """det(a) = a00 a11 - a01 a10: its Hessian, wherever a is."""
    expected = [
        [0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, -1.0, 0.0],
        [0.0, -1.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
    ]
    for a in ([[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]):
        hessian = func.hessian(np.linalg.det)(numpy.array(a))
        numpy.testing.assert_allclose(hessian.reshape(4, 4), expected, atol=1e-12)


# --- errors: the types NumPy raises, with what to do ---------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda: np.linalg.matrix_power(np.ones((2, 2)), 1.5), TypeError),
        (lambda: np.linalg.matrix_power(np.ones((2, 3)), 2), numpy.linalg.LinAlgError),
        (
            lambda: np.linalg.multi_dot([np.ones((2, 2, 2)), np.ones((2, 2)), np.ones(2)]),
            numpy.linalg.LinAlgError,
        ),
        (lambda: np.linalg.multi_dot([np.ones(2)]), ValueError),
        (lambda: np.linalg.inv(np.zeros((2, 2))), numpy.linalg.LinAlgError),
        (lambda: np.linalg.inv(np.ones((2, 3))), numpy.linalg.LinAlgError),
        (lambda: np.linalg.solve(np.eye(2), np.ones(3)), ValueError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    'f, x, expected',
    [
        (lambda x: np.linalg.solve([[2.0, 0.0], [0.0, 4.0]], x).sum(), [3.0, 4.0], [0.5, 0.25]),
        (lambda x: np.linalg.solve(x * numpy.eye(2), [2.0, 4.0]).sum(), [1.0, 2.0], [-2.0, -1.0]),
        (lambda x: np.linalg.lstsq([[1.0], [1.0]], x)[0].sum(), [3.0, 4.0], [0.5, 0.5]),
    ],
)
def test_constant_operands_may_be_lists_or_scalars(f, x, expected):
    numpy.testing.assert_allclose(grad_of(f, x), expected, atol=1e-12)


# --- complex matrices ------------------------------------------------------------------


def _shifted(zs):
    """Square operands plus (3 + 3i) I: invertible, modestly conditioned."""
    return [
        z + (3 + 3j) * numpy.eye(z.shape[-1]) if z.shape[-1:] == z.shape[-2:-1] else z for z in zs
    ]


COMPLEX = [
    complex_case('inv', np.linalg.inv, L.inv, [(2, 3, 3)], make=_shifted),
    complex_case('det', np.linalg.det, L.det, [(2, 3, 3)]),
    complex_case('det/4x4', np.linalg.det, L.det, [(4, 4)], make=_shifted),
    complex_case(
        'slogdet',
        lambda a: np.concatenate([np.linalg.slogdet(a).sign, np.linalg.slogdet(a).logabsdet]),
        lambda a: numpy.concatenate([L.slogdet(a).sign, L.slogdet(a).logabsdet]),
        [(2, 3, 3)],
    ),
    complex_case('solve/matrix', np.linalg.solve, L.solve, [(2, 3, 3), (3, 2)], make=_shifted),
    complex_case('solve/vector', np.linalg.solve, L.solve, [(3, 3), (3,)], make=_shifted),
    complex_case('pinv/tall', np.linalg.pinv, L.pinv, [(3, 2)]),
    complex_case('pinv/wide', np.linalg.pinv, L.pinv, [(2, 2, 3)]),
    complex_case('lstsq/solution', *_lstsq_result(0), [(4, 2), (4, 2)]),
    complex_case('lstsq/residuals', *_lstsq_result(1), [(4, 2), (4,)]),
    complex_case('lstsq/singular-values', *_lstsq_result(3), [(3, 2), (3,)]),
    complex_case('lstsq/underdetermined', *_lstsq_result(0), [(2, 3), (2,)]),
] + [
    complex_case(
        f'matrix_power/{n}',
        lambda a, n=n: np.linalg.matrix_power(a, n),
        lambda a, n=n: L.matrix_power(a, n),
        [(2, 2, 2)],
        make=_shifted,
    )
    for n in (2, 3, -2)
]


@pytest.mark.parametrize('case', COMPLEX, ids=str)
def test_complex(case):
    run_case(case)


@pytest.mark.parametrize('dtype', [numpy.complex128, numpy.complex64])
@pytest.mark.parametrize(
    'fn, shapes',
    [
        (lambda lib, a, b: [lib.linalg.inv(a), lib.linalg.det(a)], [(3, 3), (3, 2)]),
        (lambda lib, a, b: list(lib.linalg.slogdet(a)), [(2, 3, 3), (3, 2)]),
        (lambda lib, a, b: [lib.linalg.solve(a, b)], [(2, 3, 3), (3, 2)]),
        (lambda lib, a, b: [lib.linalg.pinv(b), lib.linalg.pinv(b.T)], [(3, 3), (3, 2)]),
        (lambda lib, a, b: [lib.linalg.lstsq(b, a)[0]], [(3, 3), (3, 2)]),
        (lambda lib, a, b: [lib.linalg.matrix_power(a, -3)], [(3, 3), (3, 2)]),
    ],
    ids=['inv-det', 'slogdet', 'solve', 'pinv', 'lstsq', 'matrix_power'],
)
def test_complex_gradients_match_pytorch(fn, shapes, dtype):
    assert_matches_pytorch(fn, shapes, dtype, make=_shifted)


def test_complex_det_gradient_at_a_singular_matrix_is_the_conjugate_cofactor_matrix():
    a = numpy.array([[1.0, 1j], [1j, -1.0]])  # det 0
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        y = np.linalg.det(x).real
    y.backward()
    cofactors = numpy.array([[-1.0, -1j], [-1j, 1.0]])
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.conj(cofactors), atol=1e-12)

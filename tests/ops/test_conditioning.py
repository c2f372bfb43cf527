"""linalg.cond and linalg.matrix_rank (ndgrad/rules/conditioning.py): values against NumPy,
cond's derivatives to second order in both modes, matrix_rank a plain integer."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import Case, run_case


def _well_posed(rng, shapes):
    """Matrices with distinct singular values, away from singular."""
    out = []
    for s in shapes:
        a = rng.uniform(-1.0, 1.0, s)
        if s[-1] == s[-2]:
            a = a + 2.5 * numpy.eye(s[-1]) * numpy.arange(1, s[-1] + 1) / s[-1]
        out.append(a)
    return out


NORMS = [None, 2, -2, 'fro', 'nuc', 1, -1, numpy.inf, -numpy.inf]

CASES = [
    Case(
        f'cond/p={p}',
        lambda a, p=p: np.linalg.cond(a, p),
        lambda a, p=p: numpy.linalg.cond(a, p),
        [(3, 3)],
        make=_well_posed,
    )
    for p in NORMS
] + [
    Case(
        'cond/batched',
        lambda a: np.linalg.cond(a),
        numpy.linalg.cond,
        [(2, 3, 3)],
        make=_well_posed,
    ),
    Case(
        'cond/batched-fro',
        lambda a: np.linalg.cond(a, 'fro'),
        lambda a: numpy.linalg.cond(a, 'fro'),
        [(2, 1, 2, 2)],
        make=_well_posed,
    ),
    Case(
        'cond/rectangular',
        lambda a: np.linalg.cond(a),
        numpy.linalg.cond,
        [(2, 4)],
        make=_well_posed,
    ),
    Case(
        'cond/1x1',
        lambda a: np.linalg.cond(a, 1),
        lambda a: numpy.linalg.cond(a, 1),
        [(1, 1)],
        domain=(0.5, 2.0),
    ),
]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


def test_cond_of_a_singular_matrix_is_numpys_constant():
    singular = numpy.array([[1.0, 2.0], [2.0, 4.0]])
    x = np.array(singular)
    x.attach_grad()
    with autograd.record():
        got = np.linalg.cond(x, 'fro')
    assert got._node is None and numpy.isinf(got.asnumpy())
    assert float(np.linalg.cond(singular)) == numpy.linalg.cond(singular)


@pytest.mark.parametrize(
    'a, kwargs',
    [
        (numpy.diag([1.0, 2.0, 0.0]), {}),
        (numpy.ones((3, 4)), {}),
        (numpy.eye(3), {'tol': 2.0}),
        (numpy.stack([numpy.eye(2), numpy.zeros((2, 2))]), {}),
        (numpy.eye(3) * 1e-9, {'rtol': 0.5}),
    ],
)
def test_matrix_rank_matches_numpy_and_carries_no_gradient(a, kwargs):
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        rank = np.linalg.matrix_rank(x, **kwargs)
    assert rank._node is None
    numpy.testing.assert_array_equal(rank.asnumpy(), numpy.linalg.matrix_rank(a, **kwargs))


@pytest.mark.parametrize(
    'call, error, match',
    [
        (lambda: np.linalg.cond(np.ones(3)), numpy.linalg.LinAlgError, 'two-dimensional'),
        (lambda: np.linalg.cond(np.ones((0, 0))), numpy.linalg.LinAlgError, 'empty'),
        (lambda: np.linalg.cond(np.eye(2), 3), ValueError, "'fro'"),
        (lambda: np.linalg.cond(np.ones((2, 3)), 'fro'), numpy.linalg.LinAlgError, 'square'),
    ],
)
def test_cond_rejects_what_numpy_rejects(call, error, match):
    with pytest.raises(error, match=match):
        call()

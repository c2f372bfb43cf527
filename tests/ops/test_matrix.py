"""The helpers shared by the linear-algebra rules (ndgrad/rules/_matrix.py): values against
NumPy on stacks of matrices (batch axes included), and derivatives to second order in both
modes through the ones the rules differentiate (with ``xp`` the ndgrad namespace)."""

import numpy
import pytest

from ndgrad import autograd, np
from ndgrad.rules import _matrix
from tests.ops.harness import Case, run_case


def _spread(rng, shapes):
    """Vectors whose entries are at least 0.5 apart (no ties in `gap_inverse`)."""
    return [
        rng.permutation(numpy.arange(shape[-1]) * 0.7 - 1.0) + rng.uniform(-0.1, 0.1, shape)
        for shape in shapes
    ]


def _away_from_zero(rng, shapes):
    return [rng.uniform(0.3, 2.0, s) * rng.choice([-1.0, 1.0], s) for s in shapes]


CASES = [
    Case('mT', lambda x: _matrix.mT(np, x), lambda x: numpy.swapaxes(x, -1, -2), [(2, 3, 4)]),
    Case(
        'sym',
        lambda x: _matrix.sym(np, x) ** 2,
        lambda x: ((x + numpy.swapaxes(x, -1, -2)) / 2) ** 2,
        [(2, 3, 3)],
    ),
    Case(
        'column/vector',
        lambda x: _matrix.uncolumn(np, _matrix.column(np, x, True) * 2, True),
        lambda x: x * 2,
        [(2, 3)],
    ),
    Case('column/matrix', lambda x: _matrix.column(np, x, False) ** 2, lambda x: x**2, [(3, 2)]),
    Case(
        'diag_matrix',
        lambda v: _matrix.diag_matrix(v) ** 2,
        lambda v: (v[..., None, :] * numpy.eye(v.shape[-1])) ** 2,
        [(2, 3)],
    ),
    Case(
        'gap_inverse',
        lambda w: _matrix.gap_inverse(np, w),
        lambda w: numpy.where(
            numpy.eye(w.shape[-1], dtype=bool),
            0,
            1 / (w[..., None, :] - w[..., :, None] + numpy.eye(w.shape[-1])),
        ),
        [(2, 4)],
        make=_spread,
    ),
    Case(
        'safe_reciprocal',
        lambda s: _matrix.safe_reciprocal(np, s),
        lambda s: 1 / s,
        [(2, 3)],
        make=_away_from_zero,
    ),
]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_values_and_derivatives(case):
    run_case(case)


def test_ties_and_zeros_give_zero_instead_of_inf():
    w = numpy.array([1.0, 1.0, 3.0])
    numpy.testing.assert_array_equal(
        _matrix.gap_inverse(numpy, w), [[0, 0, 0.5], [0, 0, 0.5], [-0.5, -0.5, 0]]
    )
    assert _matrix.safe_reciprocal(numpy, numpy.array([0.0, 4.0])).tolist() == [0.0, 0.25]


def test_lead_inserts_size_1_axes_after_the_batch_axes():
    t = numpy.zeros((5, 3, 2))  # one batch axis, a (3, 2) core
    assert _matrix.lead(numpy, t, 2, 4).shape == (5, 1, 1, 3, 2)
    assert _matrix.lead(numpy, t, 3, 4).shape == (5, 3, 2)  # no batch axes: unchanged
    assert _matrix.lead(numpy, t, 2, 2) is t


def test_unused_recognises_the_engines_zero_filler_only():
    assert _matrix.unused(numpy.zeros((2, 2)))
    assert _matrix.unused(np.zeros(3))
    assert not _matrix.unused(numpy.array([0.0, 1e-300]))
    x = np.zeros(2)
    x.attach_grad()
    with autograd.record():
        y = x * 1.0  # zero, but it has a history: it is used
    assert not _matrix.unused(y)


def test_shape_of_reads_arrays_and_nested_lists():
    assert _matrix.shape_of(np.zeros((2, 3))) == (2, 3)
    assert _matrix.shape_of([[1, 2, 3]]) == (1, 3) and _matrix.shape_of(2.0) == ()

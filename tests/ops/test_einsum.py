"""np.einsum (ndgrad/rules/einsum.py): subscripts, ellipses, repeated indices, sublists
and optimize, values against NumPy and derivatives to second order; then errors."""

import numpy
import pytest

from ndgrad import np
from tests.ops.harness import Case, run_case
from tests.ops.matrices import grad_of

EINSUM = [
    Case(
        f'einsum/{spec}',
        (lambda s: lambda *xs: np.einsum(s, *xs))(spec),
        (lambda s: lambda *xs: numpy.einsum(s, *xs))(spec),
        shapes,
    )
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
    Case(
        'einsum/sublists',
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        lambda a, b: numpy.einsum(a, [0, 1], b, [1, 2], [0, 2]),
        [(2, 3), (3, 2)],
    ),
    Case(
        'einsum/optimize',
        lambda a, b, c: np.einsum('ij,jk,kl->il', a, b, c, optimize=True),
        lambda a, b, c: numpy.einsum('ij,jk,kl->il', a, b, c, optimize=True),
        [(2, 3), (3, 2), (2, 2)],
    ),
]


@pytest.mark.parametrize('case', EINSUM, ids=str)
def test_einsum(case):
    run_case(case)


# --- errors: the types NumPy raises, with what to do ---------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda: np.einsum('ij,jk->ik', np.ones((2, 3))), ValueError),
        (lambda: np.einsum('ij', np.ones(3)), ValueError),
        (lambda: np.einsum('i1', np.ones((2, 2))), ValueError),
        (lambda: np.einsum('...i->i', np.ones((2, 3))), ValueError),
        (lambda: np.einsum('ij,jk->ik', np.ones((2, 3)), np.ones((2, 3))), ValueError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    'f, x, expected',
    [
        (lambda x: np.einsum('i,i', x, [1.0, 2.0]), [3.0, 4.0], [1.0, 2.0]),
    ],
)
def test_constant_operands_may_be_lists_or_scalars(f, x, expected):
    numpy.testing.assert_allclose(grad_of(f, x), expected, atol=1e-12)

"""The non-differentiable primitives (ndgrad/rules/creation.py): array creation, comparisons,
logic and integer results. Values against NumPy for every one of them, MXNet's float32
default, and their results as constants inside differentiable programs (derivatives to
second order in both modes against central differences)."""

import ast
import inspect

import numpy
import pytest

from ndgrad import autograd, np
from ndgrad.rules import creation
from tests.ops.harness import Case, run_case

A = [[0.0, 2.5, -1.0], [3.0, 0.0, 2.5]]
B = [[0.0, 2.5, 1.0], [-3.0, 0.5, 2.5]]
INTS = [[12, 7, 0], [3, 18, 5]]
SPECIAL = [0.0, numpy.inf, -numpy.inf, numpy.nan, -2.0]


def both(name, *args, **kwargs):
    """`name` called on ndgrad arrays and on NumPy arrays with the same arguments."""

    def call(xp):
        # lists become NumPy's arrays first: integers stay integers (ndgrad's np.array
        # of a list of Python numbers gives float32, as MXNet's does)
        wrapped = [xp.array(numpy.asarray(a)) if isinstance(a, list) else a for a in args]
        return getattr(xp, name)(*wrapped, **kwargs)

    return name, lambda: call(np), lambda: call(numpy)


VALUES = [
    both('zeros', (2, 3)),
    both('ones', (2, 1)),
    both('full', (2, 2), 1.5),
    both('empty', (0, 3)),
    both('zeros_like', A),
    both('ones_like', A),
    both('full_like', A, -2.0),
    both('empty_like', [[]]),
    both('arange', 2.0, 11.0, 3.0),
    both('linspace', 0.0, 1.0, 5),
    both('logspace', 0.0, 2.0, 3),
    both('geomspace', 1.0, 8.0, 4),
    both('eye', 3, 4, 1),
    both('identity', 3),
    both('tri', 3, 4, -1),
    both('equal', A, B),
    both('not_equal', A, B),
    both('less', A, B),
    both('less_equal', A, B),
    both('greater', A, B),
    both('greater_equal', A, B),
    both('logical_and', A, B),
    both('logical_or', A, B),
    both('logical_xor', A, B),
    both('logical_not', A),
    both('isnan', SPECIAL),
    both('isinf', SPECIAL),
    both('isfinite', SPECIAL),
    both('isposinf', SPECIAL),
    both('isneginf', SPECIAL),
    both('signbit', [-0.0, 0.0, -1.0]),
    both('argmax', A, axis=1),
    both('argmin', A),
    both('argsort', A, axis=0),
    both('all', A, axis=0),
    both('any', A, axis=1),
    both('count_nonzero', A, axis=0),
    both('nonzero', A),
    both('flatnonzero', A),
    both('argwhere', A),
    both('searchsorted', [0.0, 1.0, 2.5, 4.0], [2.5, -1.0, 5.0], side='right'),
    both('array_equal', A, A),
    both('allclose', A, B),
    both('isclose', A, B),
    both('bitwise_and', INTS, 6),
    both('bitwise_or', INTS, 6),
    both('bitwise_xor', INTS, 6),
    both('invert', INTS),
    both('left_shift', INTS, 2),
    both('right_shift', INTS, 1),
    both('tril_indices', 3, -1),
    both('triu_indices', 3, 1, 4),
    both('diag_indices', 3, 2),
    both('indices', (2, 3)),
    both('unravel_index', [5, 0, 11], (3, 4)),
    both('ravel_multi_index', ([2, 0], [1, 3]), (3, 4)),
    both('gcd', INTS, 4),
    both('lcm', INTS, 4),
    both('bincount', [0, 3, 3, 1]),
    both('digitize', [0.2, 1.5, 3.0], [0.0, 1.0, 2.0]),
    both('histogram', [1.0, 2.0, 2.0, 3.0, 7.5], bins=3),
]


def _flat(result):
    """A result as a list of NumPy arrays (tuples of index arrays, histogram's pair)."""
    if isinstance(result, tuple):
        return [numpy.asarray(r) for r in result]
    return [numpy.asarray(result)]


@pytest.mark.parametrize('name, got, expected', VALUES, ids=[v[0] for v in VALUES])
def test_values_match_numpy(name, got, expected):
    got, expected = _flat(got()), _flat(expected())
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape, f'{name}: shape {g.shape}, NumPy gives {e.shape}'
        assert g.dtype.kind == e.dtype.kind or e.dtype.kind == 'f', (
            f'{name}: dtype {g.dtype}, NumPy gives {e.dtype}'
        )
        numpy.testing.assert_allclose(g, e, rtol=1e-6, equal_nan=True, err_msg=name)


def test_every_primitive_of_the_module_has_a_values_row():
    tree = ast.parse(inspect.getsource(creation))
    loop = next(node for node in tree.body if isinstance(node, ast.For))
    names = {elt.value for elt in loop.iter.elts}
    assert len(names) > 50
    assert names - {v[0] for v in VALUES} == set()


@pytest.mark.parametrize(
    'make',
    [
        lambda: np.zeros((2, 3)),
        lambda: np.ones(4),
        lambda: np.full((2,), 3),
        lambda: np.arange(5),
        lambda: np.linspace(0, 1, 3),
        lambda: np.eye(2),
        lambda: np.identity(2),
        lambda: np.zeros_like(np.array([1, 2])).astype('float32') + np.ones(2),
    ],
)
def test_floating_results_default_to_float32_as_in_mxnet(make):
    assert make().dtype == numpy.float32


def test_dtype_is_honoured():
    assert np.zeros(2, dtype='float64').dtype == numpy.float64
    assert np.arange(3, dtype='int32').dtype == numpy.int32
    assert np.full_like(np.array([1.0, 2.0]), 3, dtype='int64').dtype == numpy.int64


def test_results_computed_while_recording_carry_no_gradient():
    x = np.array([3.0, -1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        mask = np.greater(x, 0)
        order = np.argsort(x)
        like = np.ones_like(x)
        y = (x * x * mask * like).sum() + x[order][0]
    y.backward()
    assert mask.dtype == numpy.bool_ and order.dtype.kind == 'i'
    # d/dx [sum(x² · (x > 0)) + min(x)] = 2x where x > 0, plus 1 at the smallest entry
    assert x.grad.tolist() == [6.0, 1.0, 4.0]


def _away_from_zero(rng, shapes):
    """Values with |x| in [0.3, 2] and random signs: masks and orders stay put under the
    finite-difference steps."""
    return [rng.uniform(0.3, 2.0, s) * rng.choice([-1.0, 1.0], s) for s in shapes]


def _distinct(rng, shapes):
    """Entries at least 0.1 apart: argsort and argmax do not change under the steps."""
    out = []
    for shape in shapes:
        size = int(numpy.prod(shape))
        out.append(rng.permutation(numpy.linspace(-2.0, 2.0, size)).reshape(shape))
    return out


CONSTANTS_IN_PROGRAMS = (
    [
        Case(f'ones_like/{s}', lambda x: x * x * np.ones_like(x), lambda x: x * x, [s])
        for s in [(), (1,), (2, 1, 3)]
    ]
    + [
        Case(f'full_like/{s}', lambda x: np.full_like(x, 3.0) * x**3, lambda x: 3.0 * x**3, [s])
        for s in [(), (2, 3)]
    ]
    + [
        Case(
            'zeros_like/broadcast',
            lambda x, y: x * y + np.zeros_like(y),
            lambda x, y: x * y,
            [(2, 1), (3,)],
        ),
        Case(
            'greater/mask',
            lambda x: x**3 * np.greater(x, 0),
            lambda x: x**3 * (x > 0),
            [(2, 3)],
            make=_away_from_zero,
        ),
        Case(
            'signbit-logical_not/0d',
            lambda x: np.sin(x) * np.logical_not(np.signbit(x)),
            lambda x: numpy.sin(x) * numpy.logical_not(numpy.signbit(x)),
            [()],
            make=_away_from_zero,
        ),
        Case(
            'isfinite/where',
            lambda x: np.where(np.isfinite(x), x, 0.0) ** 2,
            lambda x: numpy.where(numpy.isfinite(x), x, 0.0) ** 2,
            [(1, 3)],
        ),
        Case(
            'argsort/take_along_axis',
            lambda x: np.take_along_axis(x, np.argsort(x, axis=-1), -1) ** 2 * np.arange(1.0, 4.0),
            lambda x: (
                numpy.take_along_axis(x, numpy.argsort(x, axis=-1), -1) ** 2
                * numpy.arange(1.0, 4.0)
            ),
            [(2, 3)],
            make=_distinct,
        ),
        Case(
            'argmax/pick',
            lambda x: x[np.argmax(x)] * x.sum(),
            lambda x: x[numpy.argmax(x)] * x.sum(),
            [(4,)],
            make=_distinct,
        ),
        Case(
            'arange/weights',
            lambda x: np.exp(x) * np.arange(3),
            lambda x: numpy.exp(x) * numpy.arange(3),
            [(2, 3)],
        ),
        Case(
            'linspace/broadcast',
            lambda x: x**2 * np.linspace(0.0, 1.0, 3),
            lambda x: x**2 * numpy.linspace(0.0, 1.0, 3),
            [(2, 1)],
        ),
        Case(
            'eye/matmul',
            lambda x: np.matmul(x, np.eye(3) * 2.0) ** 2,
            lambda x: numpy.matmul(x, numpy.eye(3) * 2.0) ** 2,
            [(2, 3)],
        ),
        Case(
            'tri/mask',
            lambda x: np.tanh(x) * np.tri(3),
            lambda x: numpy.tanh(x) * numpy.tri(3),
            [(3, 3)],
        ),
        Case(
            'count_nonzero/scale',
            lambda x: x * np.count_nonzero(np.greater(x, 0), axis=0),
            lambda x: x * numpy.count_nonzero(x > 0, axis=0),
            [(2, 3)],
            make=_away_from_zero,
        ),
    ]
)


@pytest.mark.parametrize('case', CONSTANTS_IN_PROGRAMS, ids=str)
def test_constants_in_differentiable_programs(case):
    """The results enter as constants: the program's derivatives, to second order in both
    modes, are the ones central differences give."""
    run_case(case)

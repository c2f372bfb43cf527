"""NumPy's ufunc keywords on the elementwise ops (ndgrad/rules/_ufunc.py): ``where=``,
``out=`` and ``dtype=``; unselected entries are constants, to every order, in both modes."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import Case, run_case

MASK = numpy.array([True, False, True])
MASK_2D = numpy.array([[True], [False]])  # broadcast against the output
MASK_LOG = numpy.array([False, False, True])


def _masked(ufunc, mask, *extra):
    """NumPy's `ufunc(..., where=mask)` with the convention that unselected entries are 0."""

    def ref(*xs):
        shape = numpy.broadcast_shapes(*[numpy.shape(x) for x in xs + extra], mask.shape)
        return ufunc(*xs, *extra, out=numpy.zeros(shape), where=mask)

    return ref


WHERE = [
    Case(
        'where=/add-scalar',
        lambda x: np.add(x, 1.0, where=MASK),
        _masked(numpy.add, MASK, 1.0),
        [(2, 3)],
    ),
    Case(
        'where=/add-broadcast',
        lambda x, y: np.add(x, y, where=MASK_2D),
        _masked(numpy.add, MASK_2D),
        [(3,), (2, 1)],
    ),
    Case(
        'where=/subtract',
        lambda x, y: np.subtract(x, y, where=MASK),
        _masked(numpy.subtract, MASK),
        [(2, 3), (3,)],
    ),
    Case(
        'where=/multiply',
        lambda x, y: np.multiply(x, y, where=MASK_2D),
        _masked(numpy.multiply, MASK_2D),
        [(2, 3), (1, 3)],
    ),
    Case(
        'where=/divide',
        lambda x, y: np.divide(x, y, where=MASK),
        _masked(numpy.divide, MASK),
        [(3,), (3,)],
        domain=[(-2.0, 2.0), (0.5, 2.0)],
    ),
    Case(
        'where=/power',
        lambda x, y: np.power(x, y, where=MASK),
        _masked(numpy.power, MASK),
        [(3,), ()],
        domain=[(0.3, 2.0), (-2.0, 2.0)],
    ),
    Case('where=/sin', lambda x: np.sin(x, where=MASK), _masked(numpy.sin, MASK), [(2, 3)]),
    Case('where=/exp', lambda x: np.exp(x, where=MASK_2D), _masked(numpy.exp, MASK_2D), [(3,)]),
    Case(
        'where=/negative',
        lambda x: np.negative(x, where=MASK),
        _masked(numpy.negative, MASK),
        [(3,)],
    ),
    Case(
        'where=/sqrt-saves-output',
        lambda x: np.sqrt(x, where=MASK),
        _masked(numpy.sqrt, MASK),
        [(3,)],
        domain=(0.3, 3.0),
    ),
    Case(
        'where=/maximum',
        lambda x, y: np.maximum(x, y, where=MASK),
        _masked(numpy.maximum, MASK),
        [(3,), (3,)],
    ),
    # the rules never see the unselected inputs: log of negatives, arcsin beyond 1, 1/0
    Case(
        'where=/log-outside-domain',
        lambda x: np.log(x, where=MASK_LOG),
        _masked(numpy.log, MASK_LOG),
        [(3,)],
        inputs=[[-1.0, 0.0, 2.0]],
    ),
    Case(
        'where=/arcsin-outside-domain',
        lambda x: np.arcsin(x, where=MASK),
        _masked(numpy.arcsin, MASK),
        [(3,)],
        inputs=[[0.3, 1.0, -0.5]],
    ),
    Case(
        'where=/reciprocal-of-zero',
        lambda x: np.reciprocal(x, where=MASK),
        _masked(numpy.reciprocal, MASK),
        [(3,)],
        inputs=[[0.5, 0.0, -2.0]],
    ),
    Case('where=/nothing-selected', lambda x: np.sin(x, where=False) + x, lambda x: x, [(3,)]),
    Case('where=/everything-selected', lambda x: np.sin(x, where=True), numpy.sin, [(2, 3)]),
]


@pytest.mark.parametrize('case', WHERE, ids=str)
def test_where_keyword(case):
    """Unselected entries are 0 and constants: values, and derivatives of both orders in
    both modes, against central differences; no warning from NumPy or the rules."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        run_case(case)


def test_where_without_out_never_gives_uninitialised_values():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    for _ in range(20):  # (NumPy would show whatever the allocator left there)
        numpy.random.default_rng(0).standard_normal(10_000)
        y = np.add(x, 1.0, where=numpy.array([True, False, False, True]))
        assert y.tolist() == [2.0, 0.0, 0.0, 5.0]
    assert np.exp(x, where=np.array([False, True, False, True])).tolist() == [
        0.0,
        float(numpy.exp(np.float32(2.0))),
        0.0,
        float(numpy.exp(np.float32(4.0))),
    ]
    assert np.less(x, 2.5, where=[True, True, False, False]).tolist() == [True, True, False, False]


def test_where_gradient_is_zero_where_not_selected():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = np.add(x, 1, where=np.array([True, False]))
    y.backward()
    assert y.tolist() == [2.0, 0.0]
    assert x.grad.tolist() == [1.0, 0.0]


def test_where_with_a_numpy_out_keeps_its_values_as_constants():
    x = np.array([1.0, 2.0, 3.0], dtype='float64')
    x.attach_grad()
    out = numpy.full(3, 7.0)
    with autograd.record():
        y = np.multiply(x, x, out=out, where=MASK)
        z = (y * y).sum()
    z.backward()
    assert y.tolist() == [1.0, 7.0, 9.0] and out.tolist() == [1.0, 7.0, 9.0]
    assert x.grad.tolist() == [4.0, 0.0, 108.0]  # d(x^4)/dx where selected


def test_dtype_keyword_is_recorded():
    x = np.array([1.0, 2.0])  # float32
    x.attach_grad()
    with autograd.record():
        y = np.multiply(x, x, dtype='float64')
    assert y.dtype == numpy.float64
    y.backward()
    assert x.grad.dtype == numpy.float32 and x.grad.tolist() == [2.0, 4.0]

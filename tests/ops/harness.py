"""The generic op test: one table row per op variant, checked for values against
NumPy and for first- and second-order derivatives (reverse mode, batched and
single; forward mode) against central differences in float64.

    CASES = [
        Case('sin', lambda x: np.sin(x), numpy.sin, [(2, 3)]),
        Case('add/broadcast', lambda x, y: x + y, numpy.add, [(2, 1), (3,)]),
        Case('sum/axis', lambda x: np.sum(x, axis=0), lambda x: numpy.sum(x, axis=0), [(3, 2)]),
    ]

    @pytest.mark.parametrize('case', CASES, ids=str)
    def test_op(case):
        run_case(case)
"""

import dataclasses
from collections.abc import Callable, Sequence

import numpy

import ndgrad
from ndgrad import autograd
from ndgrad.testing import check_grad

SHAPES_UNARY = [(), (1,), (3,), (2, 3), (2, 1, 3)]
SHAPES_BINARY = [
    ((), ()),
    ((3,), ()),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((1,), (2, 1, 3)),
    ((2, 3), (2, 3)),
]


@dataclasses.dataclass
class Case:
    """One op variant: `fn` on ndgrad arrays, `ref` the same on NumPy arrays."""

    name: str
    fn: Callable
    ref: Callable
    shapes: Sequence[tuple]
    domain: object = (-2.0, 2.0)  # (lo, hi) for every input, or one per input
    order: int = 2
    modes: tuple = ('rev', 'fwd')
    wrt: Sequence[int] | None = None  # inputs to differentiate (default: all)
    inputs: Sequence | None = None  # explicit inputs instead of random ones
    make: Callable | None = None  # make(rng, shapes) -> inputs (e.g. SPD matrices)
    rtol: float = 1e-5
    atol: float = 1e-6
    float32: bool = True  # check that float32 gradients stay float32

    def __str__(self):
        return self.name


def case_inputs(case, seed=0):
    rng = numpy.random.default_rng(seed)
    if case.inputs is not None:
        return [numpy.array(x, dtype=numpy.float64) for x in case.inputs]
    if case.make is not None:
        return [numpy.asarray(x, dtype=numpy.float64) for x in case.make(rng, case.shapes)]
    domains = case.domain if isinstance(case.domain, list) else [case.domain] * len(case.shapes)
    return [rng.uniform(lo, hi, size=shape) for shape, (lo, hi) in zip(case.shapes, domains)]


def run_case(case, seed=0):
    """Values against NumPy, derivatives against finite differences, float32 kept."""
    xs = case_inputs(case, seed)
    check_value(case, case.fn(*[ndgrad.np.array(x) for x in xs]), xs)
    if case.order:
        check_derivatives(case, case.fn, xs)
    if case.float32 and case.order:
        check_float32(case, xs, case.fn)


def check_value(case, got, xs):
    """`got`, what an ndgrad form of the case gave on `xs`, against NumPy's value."""
    values = [r.asnumpy() for r in got] if isinstance(got, (list, tuple)) else numpy.asarray(got)
    numpy.testing.assert_allclose(
        values,
        case.ref(*xs),
        rtol=1e-6,
        atol=1e-9,
        err_msg=f'{case.name}: value differs from NumPy',
    )


def check_derivatives(case, fn, xs):
    """`fn`'s derivatives (the case's function, or a form of it) at `xs` against central
    differences, to the case's order, in its modes."""
    check_grad(
        fn, xs, order=case.order, modes=case.modes, wrt=case.wrt, rtol=case.rtol, atol=case.atol
    )


def check_float32(case, xs, fn):
    """float32 inputs get float32 gradients from `fn`; returns those gradients (none where
    `fn` records nothing)."""
    positions = range(len(xs)) if case.wrt is None else case.wrt
    arrays = [ndgrad.np.array(x.astype(numpy.float32)) for x in xs]
    for i in positions:
        arrays[i].attach_grad()
    with autograd.record():
        out = fn(*arrays)
    if out._node is None:
        return []
    out.backward()
    for i in positions:
        assert arrays[i].grad.dtype == numpy.float32, (
            f'{case.name}: gradient of a float32 input {i} is {arrays[i].grad.dtype}'
        )
    return [arrays[i].grad for i in positions]

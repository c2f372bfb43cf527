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
    got = case.fn(*[ndgrad.np.array(x) for x in xs])
    expected = case.ref(*xs)
    numpy.testing.assert_allclose(
        numpy.asarray(got),
        expected,
        rtol=1e-6,
        atol=1e-9,
        err_msg=f'{case.name}: value differs from NumPy',
    )
    if case.order:
        check_grad(
            case.fn,
            xs,
            order=case.order,
            modes=case.modes,
            wrt=case.wrt,
            rtol=case.rtol,
            atol=case.atol,
        )
    if case.float32 and case.order:
        _check_float32(case, xs)


def _check_float32(case, xs):
    positions = range(len(xs)) if case.wrt is None else case.wrt
    arrays = [ndgrad.np.array(x.astype(numpy.float32)) for x in xs]
    for i in positions:
        arrays[i].attach_grad()
    with autograd.record():
        out = case.fn(*arrays)
    if out._node is None:
        return
    out.backward()
    for i in positions:
        assert arrays[i].grad.dtype == numpy.float32, (
            f'{case.name}: gradient of a float32 input {i} is {arrays[i].grad.dtype}'
        )

"""The op harness (`tests.ops.harness`) run on another backend: every input of an op is
moved there by a recorded op whose derivative passes the gradient through, so values,
first- and second-order derivatives (reverse and forward mode) of the op itself are
computed on that backend and checked against NumPy and central differences.

The op families run on each backend (`FAMILIES`): elementwise (unary and binary),
reductions, matrix products (matmul, dot, inner, outer, tensordot, ...), einsum, shape
ops, indexing (reads and gathers; in-place writes are refused on Dask inside record()),
and the nn ops of ``npx``.
"""

import ndgrad
from ndgrad._backend import kind
from ndgrad._primitive import Primitive, identity
from tests.ops import (
    test_einsum,
    test_elementwise,
    test_indexing,
    test_linalg,
    test_nn,
    test_reduction,
    test_shape,
)
from tests.ops.harness import case_inputs, check_derivatives, check_float32, check_value

FAMILIES = {
    'elementwise': list(test_elementwise.UNARY + test_elementwise.BINARY),
    'reduction': list(test_reduction.CASES),
    'matmul': list(test_linalg.PRODUCTS),
    'einsum': list(test_einsum.EINSUM),
    'shape': list(test_shape.CASES),
    'indexing': [c for c in test_indexing.CASES if not c.name.startswith(('write/', 'increment/'))],
    'nn': list(test_nn.CASES),
}


def mover(name, convert):
    """A recorded op putting an array's data on a backend (`convert`: NumPy data -> that
    backend's); its derivative passes the gradient through, on the backend."""
    return Primitive(name, convert, vjps=(identity,), jvps=(identity,), save='shapes')


def run_case_on(case, move, backend, after=None):
    """`case` with every input moved by `move` (a `mover`): the value is lazy/on the
    backend and matches NumPy; derivatives to second order match central differences.
    `after` (a recorded op) brings a result back for the comparisons (CuPy's arrays are
    not NumPy's)."""
    xs = list(case_inputs(case))

    def on_backend(*arrays):
        return case.fn(*[move(a) for a in arrays])

    checked = on_backend if after is None else lambda *arrays: after(on_backend(*arrays))

    got = on_backend(*[ndgrad.np.array(x) for x in xs])
    for r in got if isinstance(got, (list, tuple)) else [got]:
        assert kind(r._data) == backend, f'{case.name}: result computed on {kind(r._data)}'
    check_value(case, got, xs)
    if case.order:
        check_derivatives(case, checked, xs)
        for grad in check_float32(case, xs, checked):
            assert kind(grad._data) == 'numpy', f'{case.name}: a NumPy input got {kind(grad._data)}'

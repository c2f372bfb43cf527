"""The op harness (`tests.ops.harness`) run on another backend: every input of an op is
moved there by a recorded op whose derivative passes the gradient through, so values,
first- and second-order derivatives (reverse and forward mode) of the op itself are
computed on that backend and checked against NumPy and central differences.

The op families run on each backend (`FAMILIES`): elementwise (unary and binary),
reductions, matrix products (matmul, dot, inner, outer, tensordot, ...), einsum, shape
ops, indexing (reads and gathers; in-place writes are refused on Dask inside record()),
and the nn ops of ``npx``.
"""

import numpy

import ndgrad
from ndgrad import autograd
from ndgrad._backend import kind
from ndgrad._primitive import Primitive, identity
from ndgrad.testing import check_grad
from tests.ops import (
    test_einsum,
    test_elementwise,
    test_indexing,
    test_linalg,
    test_nn,
    test_reduction,
    test_shape,
)

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
    xs = list(_inputs(case))

    def on_backend(*arrays):
        return case.fn(*[move(a) for a in arrays])

    checked = on_backend if after is None else lambda *arrays: after(on_backend(*arrays))

    got = on_backend(*[ndgrad.np.array(x) for x in xs])
    results = got if isinstance(got, (list, tuple)) else [got]
    for r in results:
        assert kind(r._data) == backend, f'{case.name}: result computed on {kind(r._data)}'
    numpy.testing.assert_allclose(
        numpy.asarray(got) if not isinstance(got, (list, tuple)) else [r.asnumpy() for r in got],
        case.ref(*xs),
        rtol=1e-6,
        atol=1e-9,
        err_msg=f'{case.name}: value differs from NumPy',
    )
    if case.order:
        check_grad(
            checked,
            xs,
            order=case.order,
            modes=case.modes,
            wrt=case.wrt,
            rtol=case.rtol,
            atol=case.atol,
        )
        _check_float32_and_backend(case, xs, checked)


def _inputs(case):
    from tests.ops.harness import case_inputs

    return case_inputs(case)


def _check_float32_and_backend(case, xs, on_backend):
    positions = range(len(xs)) if case.wrt is None else case.wrt
    arrays = [ndgrad.np.array(x.astype(numpy.float32)) for x in xs]
    for i in positions:
        arrays[i].attach_grad()
    with autograd.record():
        out = on_backend(*arrays)
    if out._node is None:
        return
    out.backward()
    for i in positions:
        grad = arrays[i].grad
        assert grad.dtype == numpy.float32, f'{case.name}: gradient {i} is {grad.dtype}'
        assert kind(grad._data) == 'numpy', f'{case.name}: a NumPy input got {kind(grad._data)}'

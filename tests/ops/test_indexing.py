"""Indexing: every NumPy index form read (``x[index]``) and written (``x[index] = v``),
and the gathers built on it (take, take_along_axis, put_along_axis, choose,
compress): values against NumPy, derivatives to second order against central
differences, batched Jacobians against looped ones.
"""

import numpy
import pytest

from ndgrad import InPlaceModificationError, autograd, func, np
from ndgrad.rules import indexing
from ndgrad.testing import check_grad

from .harness import Case, run_case

arr = numpy.array
MASK = arr([True, False, True])
MASK2 = arr([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

# (name, index, shape of x); x is random in (-2, 2)
READS = [
    ('int', 1, (3, 4)),
    ('int/negative', -1, (3, 4)),
    ('ints', (1, 2), (3, 4)),
    ('slice', slice(1, None), (3, 4)),
    ('slice/step', (slice(None), slice(None, None, 2)), (3, 4)),
    ('slice/negative-step', (slice(None, None, -1), slice(3, 0, -2)), (3, 4)),
    ('slice/empty', slice(2, 1), (3, 4)),
    ('None', None, (3, 4)),
    ('None/mixed', (slice(None), None, 1), (3, 4)),
    ('ellipsis', (Ellipsis, 0), (2, 3, 2)),
    ('ellipsis/middle', (0, Ellipsis, 1), (2, 3, 2)),
    ('0d/empty-tuple', (), ()),
    ('0d/ellipsis', Ellipsis, ()),
    ('0d/None', None, ()),
    ('array', arr([0, 2, 2]), (3, 4)),
    ('array/repeated', arr([1, 1, 1, 0]), (3,)),
    ('array/2d', arr([[0, 1], [2, 0]]), (3, 2)),
    ('array/negative', arr([-1, 0]), (3, 2)),
    ('array/empty', arr([], dtype=int), (3, 2)),
    ('array/0d', arr(1), (3, 2)),
    ('list', [2, 0], (3, 4)),
    ('arrays/pair', (arr([0, 2, 2]), arr([1, 3, 1])), (3, 4)),
    ('arrays/broadcast', (arr([[0], [2]]), arr([1, 3, 3])), (3, 4)),
    ('mask', MASK, (3, 4)),
    ('mask/2d', MASK2, (3, 4)),
    ('mask/axis1', (slice(None), arr([True, False])), (3, 2)),
    ('mask/and-int', (MASK, 1), (3, 4)),
    ('mask/and-slice', (slice(1, None), arr([False, True, True, False])), (3, 4)),
    ('bool-scalar', True, (2, 3)),
    ('mixed/array-slice', (arr([0, 2]), slice(1, 3)), (3, 4)),
    ('mixed/slice-array', (slice(None), arr([3, 0, 3])), (3, 4)),
    ('mixed/adjacent-arrays', (slice(None), arr([0, 1]), arr([1, 1])), (2, 2, 3)),
    ('mixed/int-adjacent', (slice(None), 1, arr([0, 2])), (2, 2, 3)),
    # NumPy moves the advanced axes to the front of these results
    ('moved/array-slice-array', (arr([0, 1, 1]), slice(None), arr([2, 0, 2])), (2, 2, 3)),
    ('moved/int-slice-array', (0, slice(None), arr([2, 0])), (2, 2, 3)),
    ('moved/array-None-array', (slice(None), arr([0, 1]), None, arr([1, 0])), (2, 2, 3)),
    ('moved/ellipsis', (slice(None), arr([1, 0]), Ellipsis, arr([2, 2])), (2, 2, 3)),
    ('moved/2d-arrays', (arr([[0, 1], [1, 1]]), slice(1, None), arr([[2], [0]])), (2, 2, 3)),
    ('moved/mask-slice-int', (arr([True, False]), slice(None), 2), (2, 2, 3)),
]


def _read_case(name, index, shape):
    return Case(
        f'read/{name}', lambda x: x[index] * x[index], lambda x: x[index] * x[index], [shape]
    )


# assignments y = x * 1; y[index] = v: (name, index, x shape, v shape)
WRITES = [
    ('int', 1, (3, 4), (4,)),
    ('int/broadcast', 1, (3, 4), ()),
    ('slice', slice(1, None), (3, 4), (4,)),
    ('slice/negative-step', (slice(None, None, -1), 0), (3, 2), (3,)),
    ('ellipsis', (Ellipsis, 1), (2, 3), (2,)),
    ('None', (None, 0), (3, 2), (1, 2)),
    ('0d', (), (), ()),
    ('array', arr([0, 2]), (3, 2), (2, 2)),
    ('array/repeated-last-lands', arr([0, 2, 0]), (3, 2), (3, 2)),
    ('array/repeated-broadcast', arr([1, 1]), (3, 2), (2,)),
    ('arrays/repeated-pairs', (arr([0, 1, 0]), arr([1, 1, 1])), (2, 3), (3,)),
    ('mask', MASK, (3, 2), (2, 2)),
    ('mask/broadcast', MASK2, (3, 4), ()),
    ('mixed', (slice(None), arr([2, 0])), (2, 3), (2, 2)),
    ('moved', (arr([0, 1]), slice(None), arr([2, 0])), (2, 2, 3), (2, 2)),
    ('moved/repeated', (arr([1, 1]), slice(None), arr([0, 0])), (2, 2, 3), (2, 2)),
    ('moved/broadcast', (0, slice(None), arr([2, 0])), (2, 2, 3), (2, 1)),
]


def _assign(index):
    def f(x, v):
        y = x * 1
        y[index] = v * v
        return y * y

    return f


def _assign_ref(index):
    def f(x, v):
        y = x.copy()
        y[index] = v * v
        return y * y

    return f


def _inc(index):
    def f(x, v):
        y = x * 1
        y[index] += v
        return y * y

    return f


def _inc_ref(index):
    def f(x, v):
        y = x.copy()
        y[index] += v
        return y * y

    return f


def _put(x, idx, v, axis):
    out = x.copy()
    numpy.put_along_axis(out, idx, v, axis)
    return out


def sq(name, fn, ref, shapes, **kw):
    return Case(
        name, lambda *a: fn(*a) * fn(*a), lambda *a: numpy.asarray(ref(*a)) ** 2, shapes, **kw
    )


ORDER = arr([[2, 0, 1], [1, 2, 0]])
GATHERS = [
    sq('take', lambda x: np.take(x, [0, 2, 2]), lambda x: numpy.take(x, [0, 2, 2]), [(2, 3)]),
    sq(
        'take/axis',
        lambda x: np.take(x, arr([[1, 0], [1, 1]]), axis=1),
        lambda x: numpy.take(x, arr([[1, 0], [1, 1]]), axis=1),
        [(2, 3)],
    ),
    sq(
        'take/axis-1',
        lambda x: np.take(x, [1, 0], axis=-1),
        lambda x: numpy.take(x, [1, 0], axis=-1),
        [(2, 1, 2)],
    ),
    sq(
        'take/scalar', lambda x: np.take(x, 1, axis=0), lambda x: numpy.take(x, 1, axis=0), [(2, 3)]
    ),
    sq(
        'take/wrap',
        lambda x: np.take(x, [4, -5], mode='wrap'),
        lambda x: numpy.take(x, [4, -5], mode='wrap'),
        [(3,)],
    ),
    sq(
        'take/clip',
        lambda x: np.take(x, [7, -1, 1], mode='clip'),
        lambda x: numpy.take(x, [7, -1, 1], mode='clip'),
        [(3,)],
    ),
    sq(
        'take/ndgrad-float-index',
        lambda x: np.take(x, np.array([2.0, 0.0])),
        lambda x: numpy.take(x, [2, 0]),
        [(3,)],
    ),
    sq(
        'take_along_axis',
        lambda x: np.take_along_axis(x, ORDER, axis=1),
        lambda x: numpy.take_along_axis(x, ORDER, axis=1),
        [(2, 3)],
    ),
    sq(
        'take_along_axis/broadcast',
        lambda x: np.take_along_axis(x, arr([[1, 1, 0]]), axis=0),
        lambda x: numpy.take_along_axis(x, arr([[1, 1, 0]]), axis=0),
        [(2, 3)],
    ),
    sq(
        'take_along_axis/None',
        lambda x: np.take_along_axis(x, arr([5, 0, 0]), axis=None),
        lambda x: numpy.take_along_axis(x, arr([5, 0, 0]), axis=None),
        [(2, 3)],
    ),
    sq(
        'put_along_axis',
        lambda x, v: np.put_along_axis(x, ORDER[:, :1], v, axis=1),
        lambda x, v: _put(x, ORDER[:, :1], v, 1),
        [(2, 3), (2, 1)],
    ),
    sq(
        'put_along_axis/repeated',
        lambda x, v: np.put_along_axis(x, arr([[1, 1]]), v, axis=1),
        lambda x, v: _put(x, arr([[1, 1]]), v, 1),
        [(1, 3), (1, 2)],
    ),
    sq(
        'put_along_axis/scalar',
        lambda x, v: np.put_along_axis(x, arr([[0], [2]]), v, axis=-1),
        lambda x, v: _put(x, arr([[0], [2]]), v, -1),
        [(2, 3), ()],
    ),
    sq(
        'put_along_axis/None',
        lambda x, v: np.put_along_axis(x, arr([4, 1]), v, axis=None),
        lambda x, v: _put(x, arr([4, 1]), v, None),
        [(2, 3), (2,)],
    ),
    sq(
        'choose',
        lambda x, y, z: np.choose(arr([[0, 1, 2], [2, 2, 0]]), [x, y, z]),
        lambda x, y, z: numpy.choose(arr([[0, 1, 2], [2, 2, 0]]), [x, y, z]),
        [(2, 3), (3,), ()],
    ),
    sq(
        'choose/clip',
        lambda x, y: np.choose(arr([-1, 3, 1]), (x, y), mode='clip'),
        lambda x, y: numpy.choose(arr([-1, 3, 1]), (x, y), mode='clip'),
        [(3,), (3,)],
    ),
    sq(
        'choose/wrap',
        lambda x, y: np.choose(arr([-1, 2, 1]), (x, y), mode='wrap'),
        lambda x, y: numpy.choose(arr([-1, 2, 1]), (x, y), mode='wrap'),
        [(3,), (1,)],
    ),
    sq(
        'compress',
        lambda x: np.compress([True, False, True], x, axis=1),
        lambda x: numpy.compress([True, False, True], x, axis=1),
        [(2, 3)],
    ),
    sq(
        'compress/short',
        lambda x: np.compress([False, True], x, axis=0),
        lambda x: numpy.compress([False, True], x, axis=0),
        [(3, 2)],
    ),
    sq(
        'compress/None',
        lambda x: np.compress(arr([1, 0, 0, 1]), x),
        lambda x: numpy.compress(arr([1, 0, 0, 1]), x),
        [(2, 2)],
    ),
]

CASES = (
    [_read_case(*row) for row in READS]
    + [Case(f'write/{n}', _assign(i), _assign_ref(i), [xs, vs]) for n, i, xs, vs in WRITES]
    + [
        Case(f'increment/{n}', _inc(i), _inc_ref(i), [xs, vs])
        for n, i, xs, vs in WRITES
        if n in ('slice', 'array/repeated-last-lands', 'moved')
    ]
    + GATHERS
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


def test_index_forms_read_with_ndgrad_arrays():
    x = numpy.random.default_rng(0).uniform(-2, 2, (3, 4))
    index = (np.array([0.0, 2.0]), np.array([1, 3], dtype='int64'))
    run_case(
        Case(
            'read/ndgrad-index',
            lambda a: a[index] * a[index],
            lambda a: a[[0, 2], [1, 3]] ** 2,
            [(3, 4)],
            inputs=[x],
        )
    )
    mask = np.array(MASK)
    run_case(Case('read/ndgrad-mask', lambda a: a[mask] ** 2, lambda a: a[MASK] ** 2, [(3, 2)]))


# --- the batched kernels equal a loop over the batch ----------------------------------------------


@pytest.mark.parametrize('name, index, shape', READS, ids=[r[0] for r in READS])
def test_batched_gather_and_scatter_match_a_loop(name, index, shape):
    index = indexing.raw_index(index)
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal((2, 3) + shape)
    got = indexing._getitem(x, index, nbatch=2)
    looped = numpy.array([[xb[index] for xb in row] for row in x])
    numpy.testing.assert_array_equal(got, looped)
    g = rng.standard_normal(got.shape)
    scattered = indexing._scatter(g, index, shape, nbatch=2)
    for b in numpy.ndindex(2, 3):
        ref = numpy.zeros(shape)
        numpy.add.at(ref, index, g[b])
        numpy.testing.assert_allclose(scattered[b], ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name, index, shape', READS, ids=[r[0] for r in READS])
def test_advanced_layout_matches_numpy(name, index, shape):
    """Putting one batch axis in front of the index moves the result's batch axis
    exactly where `advanced_layout` says."""
    index = indexing.raw_index(index)
    moved, ndim = indexing.advanced_layout(index)
    x = numpy.zeros((7,) + shape)
    result = x[(slice(None),) + (index if type(index) is tuple else (index,))]
    assert result.shape.index(7) == (ndim if moved else 0) or (result.shape[0] == 7 and not moved)


# --- special values: ties, repeats, exact gradients -----------------------------------------------


def test_repeated_indices_accumulate_and_last_write_lands():
    x = np.array([1.0, 2.0, 3.0])
    v = np.array([10.0, 20.0, 30.0])
    x.attach_grad()
    v.attach_grad()
    with autograd.record():
        y = x * 1
        y[numpy.array([0, 2, 0])] = v
        loss = (y * np.array([1.0, 2.0, 3.0])).sum() + x[np.array([1, 1])].sum()
    loss.backward()
    assert y.tolist() == [30.0, 2.0, 20.0]
    assert x.grad.tolist() == [0.0, 4.0, 0.0]
    assert v.grad.tolist() == [0.0, 3.0, 1.0]


def test_assignment_over_values_an_earlier_node_saved_raises_at_backward():
    """Under record() a write goes into the array's memory, as in NumPy; a node that
    saved the overwritten values cannot give a right gradient any more."""
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 1
        z = y * y  # saves y = [1, 2]
        y[0] = 5.0
        loss = (z + y * 3).sum()
    assert y.tolist() == [5.0, 2.0]
    with pytest.raises(InPlaceModificationError, match="input of 'multiply'"):
        loss.backward()


def test_assignment_beside_values_an_earlier_node_saved():
    """Writes are tracked by region: values saved from other elements stay valid."""
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 1
        z = y[1:] * y[1:]  # saves y[1:]
        y[0] = 5.0 * x[0]
        loss = z.sum() + (y * 3).sum()
    loss.backward()
    assert x.grad.tolist() == [15.0, 7.0, 9.0]


def test_rows_written_from_earlier_rows_in_a_loop():
    """``h[t] = f(h[t - 1])``: each row is read before later rows are written."""
    x = np.array([0.5, -0.3], dtype='float64')
    x.attach_grad()
    with autograd.record():
        h = np.zeros((4, 2), dtype='float64')
        h[0] = x
        for t in range(1, 4):
            h[t] = np.tanh(h[t - 1] * 2.0)
        loss = h.sum()
    loss.backward()
    expected = func.grad(lambda v: _tanh_rows(v))(numpy.array([0.5, -0.3]))
    numpy.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-12)


def _tanh_rows(v):
    rows = [v]
    for _ in range(3):
        rows.append(np.tanh(rows[-1] * 2.0))
    return np.stack(rows).sum()


def test_a_write_through_a_view_reaches_its_base_under_record():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        z = x * 2
        v = z[0:2]
        v[0] = 100.0
        loss = (v * 1).sum()
    assert z.tolist() == [100.0, 4.0, 6.0]
    loss.backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]
    with autograd.record():
        z = x * 2
        v = z[0:2]
        v[0] = 100.0
        loss = z.sum()  # z's history (2x) no longer describes z[0]
    with pytest.raises(InPlaceModificationError, match='modified in place'):
        loss.backward()


def test_augmented_assignment_of_an_element_under_record():
    """``y[i] += v`` writes y[i] in place and then assigns it: right gradient."""
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 3
        y[0] += x[1] ** 2
        y[1:] *= x[0]
    y.backward()
    assert y.tolist() == [7.0, 6.0]
    assert x.grad.tolist() == [3.0 + 3.0 * 2.0, 2.0 * 2.0 + 3.0 * 1.0]


def test_assignment_into_an_op_that_saved_its_output_under_record():
    x = np.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = np.exp(x)
        y[0] = 0.0  # overwrites the output that exp's derivative reads
        loss = y.sum()
    with pytest.raises(InPlaceModificationError, match="output of 'exp'"):
        loss.backward()
    with autograd.record():
        y = np.exp(x).copy()
        y[0] = 0.0
        loss = y.sum()
    loss.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [0.0, numpy.e], rtol=1e-6)


def test_assignment_outside_record_is_in_place():
    w = np.array([1.0, 2.0, 3.0])
    w.attach_grad()
    buffer = w._data
    w[1:] = np.array([0.0, 0.0])
    w[numpy.array([0])] -= 1.0
    assert w._data is buffer and w.tolist() == [0.0, 0.0, 0.0]
    with autograd.record():
        loss = (w * w).sum()
    w[0] = 1.0
    with pytest.raises(InPlaceModificationError):
        loss.backward()


def test_assignment_into_a_variable_under_record_raises():
    w = np.ones(3)
    w.attach_grad()
    with autograd.record(), pytest.raises(InPlaceModificationError, match='outside the record'):
        w[0] = 2.0


def test_float32_index_gradients_stay_float32():
    x = np.ones((3, 4))
    x.attach_grad()
    with autograd.record():
        y = x[numpy.array([0, 0]), 1:].sum() + x[MASK2].sum()
    y.backward()
    assert x.grad.dtype == numpy.float32
    assert x.grad.asnumpy()[0].tolist() == [1.0, 2.0, 3.0, 2.0]


def test_gradient_of_a_gradient_through_a_moved_index():
    def f(x):
        return np.sin(x[numpy.array([0, 1]), :, numpy.array([2, 2])]) * x[0, :, numpy.array([1])]

    check_grad(f, [numpy.random.default_rng(3).uniform(-1, 1, (2, 2, 3))], order=3)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda: np.arange(3.0)[np.array([0.5])], IndexError),
        (lambda: np.arange(3.0)[5], IndexError),
        (lambda: np.arange(3.0)[numpy.array([0, 3])], IndexError),
        (lambda: np.arange(3.0)[numpy.array([True])], IndexError),
        (lambda: np.ones((2, 2))[0, 0, 0], IndexError),
        (lambda: np.take(np.ones(3), [3]), IndexError),
        (lambda: np.take(np.ones(3), numpy.array([0.5])), TypeError),
        (lambda: np.take(np.ones(3), np.array([0.5])), IndexError),
        (lambda: np.take(np.ones(3), numpy.array([True])), TypeError),
        (lambda: np.take(np.ones(3), [0], axis=1), numpy.exceptions.AxisError),
        (lambda: np.take(np.ones(3), [0], mode='nope'), ValueError),
        (lambda: np.take_along_axis(np.ones((2, 2)), arr([0, 1]), axis=1), ValueError),
        (
            lambda: np.take_along_axis(np.ones((2, 2)), arr([[0, 1]]), axis=2),
            numpy.exceptions.AxisError,
        ),
        (
            lambda: np.put_along_axis(np.ones((2, 2)), arr([[0, 1]]), 1.0, axis=-3),
            numpy.exceptions.AxisError,
        ),
        (lambda: np.choose(arr([0, 2]), [np.ones(2), np.ones(2)]), ValueError),
        (lambda: np.choose(arr([0.0, 1.0]), [np.ones(2), np.ones(2)]), TypeError),
        (lambda: np.compress([[True]], np.ones(2)), ValueError),
        (lambda: np.compress([False, False, True], np.ones(2)), IndexError),
        (lambda: np.take(np.ones(2), [0], out=np.ones(1)), TypeError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


def test_recorded_bad_index_raises_before_recording():
    x = np.ones(3)
    x.attach_grad()
    with autograd.record():
        with pytest.raises(IndexError):
            x[numpy.array([4])]
        with pytest.raises(IndexError, match='whole numbers'):
            x[np.array([1.5])]


@pytest.mark.parametrize(
    'index',
    [
        arr([3, 0, 3, 3, -1]),
        (Ellipsis, arr([1, 1, 0])),
        (slice(None), arr([2, -3, 2])),
        (Ellipsis, arr([0, 0]), slice(None)),
        (arr([1, 1]), Ellipsis),
        arr([], dtype=int),
        (arr([0, 1]), arr([1, 1])),
        (slice(1, None), arr([0, 0])),
    ],
    ids=str,
)
@pytest.mark.parametrize('nbatch', [0, 1])
def test_add_at_matches_numpy(index, nbatch):
    """The sort-and-reduceat path for picks along one axis adds like numpy.add.at."""
    rng = numpy.random.default_rng(2)
    shape = (4, 3, 3)
    out = rng.standard_normal((2,) * nbatch + shape)
    g = rng.standard_normal(out[(slice(None),) * nbatch + indexing._items(index)].shape)
    expected = out.copy()
    numpy.add.at(expected, (slice(None),) * nbatch + indexing._items(index), g)
    indexing.add_at(out, index, g, nbatch)
    numpy.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    'picks',
    [
        [2] * 7,  # many repeats: runs summed
        [0] * 10 + list(range(1, 40)),  # a long run among few repeats
        list(range(39, -1, -1)) + [5, 5, -1],  # unsorted, negative
    ],
    ids=['repeats', 'long-run', 'unsorted'],
)
def test_add_at_paths(picks):
    rng = numpy.random.default_rng(4)
    picks = arr(picks)
    out = rng.standard_normal((40, 2))
    g = rng.standard_normal((len(picks), 2))
    expected = out.copy()
    numpy.add.at(expected, picks, g)
    indexing.add_at(out, picks, g)
    numpy.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


def test_docstring_examples():
    import doctest
    import importlib

    module = importlib.import_module('ndgrad.rules.indexing')
    result = doctest.testmod(
        module,
        extraglobs={'np': np, 'autograd': autograd},
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0 and result.attempted > 0

"""The helpers shared by derivative rules (ndgrad/rules/_util.py): axis bookkeeping against
NumPy's own reductions and transposes, buffers reused only where that is safe, lanes that read
an array along one axis, and the helpers the rules differentiate through (to second order)."""

import numpy
import pytest

from ndgrad import np
from ndgrad.rules import _util
from tests.ops.harness import Case, run_case

AXES = [
    ((2, 3, 4), None),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), [2, -3]),
    ((3,), 0),
    ((), None),
    ((2, 1, 3), (1,)),
]


@pytest.mark.parametrize('shape, axis', AXES, ids=str)
def test_axis_bookkeeping_agrees_with_numpys_reductions(shape, axis):
    x = numpy.arange(1.0, numpy.prod(shape) + 1).reshape(shape)
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    axes = _util.negative_axes(axis, len(shape))
    assert axes == tuple(sorted(axes)) and all(a < 0 for a in axes)
    kept = numpy.sum(x, axis=numpy_axis, keepdims=True)
    assert _util.kept_shape(shape, axes) == kept.shape
    assert _util.reduced_size(shape, axis) == x.size // max(kept.size, 1)
    assert all(_util.neg_axis(a % max(len(shape), 1), len(shape)) == a for a in axes)


@pytest.mark.parametrize('shape, axis', AXES, ids=str)
@pytest.mark.parametrize('batch', [(), (5,)])
def test_unreduce_gives_the_gradient_the_inputs_size_1_axes(shape, axis, batch):
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    ans = numpy.sum(numpy.ones(shape), axis=numpy_axis)
    g = numpy.random.default_rng(0).standard_normal(batch + ans.shape)
    out, axes = _util.unreduce(numpy, g, ans, shape, axis, keepdims=False)
    assert axes == _util.negative_axes(axis, len(shape))
    assert _util.batch_shape(g, ans) == batch
    assert out.shape == batch + numpy.sum(numpy.ones(shape), axis=numpy_axis, keepdims=True).shape
    numpy.testing.assert_array_equal(out.reshape(g.shape), g)
    kept = g.reshape(out.shape)
    assert _util.unreduce(numpy, kept, kept, shape, axis, keepdims=True)[0] is kept


@pytest.mark.parametrize('perm', [(0,), (1, 0), (2, 0, 1), (1, 3, 0, 2)], ids=str)
def test_inverse_permutation_undoes_the_transpose(perm):
    x = numpy.arange(numpy.prod(range(2, 2 + len(perm)))).reshape(tuple(range(2, 2 + len(perm))))
    inverse = _util.inverse_permutation(perm)
    assert all(type(i) is int for i in inverse)
    numpy.testing.assert_array_equal(x.transpose(perm).transpose(inverse), x)


def test_times_into_writes_into_the_buffer_only_where_the_product_fits():
    d = numpy.array([1.0, 2.0])
    assert _util.times_into(numpy.array([3.0, 4.0]), d) is d and d.tolist() == [3.0, 8.0]
    d = numpy.array([1.0, 2.0])
    batched = _util.times_into(numpy.ones((2, 2)), d)  # a batch axis: a new array
    assert batched is not d and d.tolist() == [1.0, 2.0] and batched.shape == (2, 2)
    d32 = numpy.array([1.0, 2.0], dtype=numpy.float32)
    assert _util.times_into(numpy.array([2.0, 2.0]), d32) is not d32


def test_as_array_and_as_ndgrad_keep_ndgrad_arrays_and_wrap_the_rest():
    x = np.array([1.0, 2.0])
    assert _util.as_array(x) is x and _util.as_ndgrad(x) is x
    assert type(_util.as_array([1, 2])) is numpy.ndarray
    wrapped = _util.as_ndgrad(numpy.array([1.0, 2.0]))
    assert type(wrapped) is type(x) and wrapped.tolist() == [1.0, 2.0]


def test_no_out_refuses_out_and_says_what_to_do():
    _util.no_out(None, 'median')
    with pytest.raises(TypeError, match=r'assign the result instead \(y = np.median'):
        _util.no_out(numpy.zeros(1), 'median')


def test_per_input_builds_each_rule_once_on_demand():
    built = []
    rules = _util.PerInput(lambda i: built.append(i) or (lambda g: g * i))
    assert rules[3](2) == 6 and rules[3](5) == 15 and rules[0](7) == 0
    assert built == [3, 0]


@pytest.mark.parametrize(
    'shape, axis', [((2, 3), 1), ((2, 3), 0), ((4,), 0), ((2, 3, 4), 1), ((1, 3, 1), 2)], ids=str
)
@pytest.mark.parametrize('keep', [True, False])
def test_lanes_read_along_one_axis_like_take_along_axis(shape, axis, keep):
    x = numpy.random.default_rng(1).standard_normal(shape)
    index = numpy.argsort(x, axis=axis)
    if not keep:
        index = numpy.take(index, 0, axis=axis)
    before, after = _util.lanes(shape, axis, keep)
    got = x[before + (index,) + after]
    expected = numpy.take_along_axis(x, index if keep else numpy.expand_dims(index, axis), axis)
    numpy.testing.assert_array_equal(got, expected if keep else numpy.squeeze(expected, axis))
    assert all(not r.flags.writeable for r in before + after)


def _unreduce_sum(xp, axis):
    """A reduction's gradient route: sum, then unreduce and broadcast back (as the rules do)."""

    def f(x):
        s = xp.sum(x**2, axis=axis)
        g, _ = _util.unreduce(xp, s, s, x.shape, axis, keepdims=False)
        return xp.broadcast_to(g, x.shape) * x

    return f


DIFFERENTIABLE = [
    Case(f'unreduce/{shape}/{axis}', _unreduce_sum(np, axis), _unreduce_sum(numpy, axis), [shape])
    for shape, axis in [((2, 3), 1), ((2, 1, 3), (0, 2)), ((3,), None), ((), None)]
] + [
    Case(
        'times_into/broadcast',
        lambda g, d: _util.times_into(g, d) ** 2,
        lambda g, d: (g * d) ** 2,
        [(2, 3), (3,)],
    ),
]


@pytest.mark.parametrize('case', DIFFERENTIABLE, ids=str)
def test_helpers_differentiate_to_second_order(case):
    run_case(case)

"""The ndarray as a Python and NumPy citizen: printing, dtype defaults, protocols,
NumPy interop (numpy.sin(x) records), indexing and assignment."""

import copy
import math
import pickle

import numpy
import pytest

import ndgrad
from ndgrad import autograd, np, npx

# --- printing --------------------------------------------------------------------------------


def test_repr_hides_only_the_default_float_dtype():
    assert repr(np.array([1.0, 2.0])) == 'array([1., 2.])'
    assert repr(np.array(28.0)) == 'array(28.)'
    assert repr(np.array([1.0, 2.0], dtype='float64')) == 'array([1., 2.], dtype=float64)'
    assert repr(np.array([1, 2], dtype='int32')) == 'array([1, 2], dtype=int32)'
    assert repr(np.arange(3) > 0) == 'array([False,  True,  True])'
    assert repr(np.zeros((2, 2))) == 'array([[0., 0.],\n       [0., 0.]])'


def test_repr_with_numpy_default_dtypes():
    npx.set_np(dtype=True)
    assert repr(np.array([1.0, 2.0])) == 'array([1., 2.])'
    assert repr(np.array([1.0, 2.0], dtype='float32')) == 'array([1., 2.], dtype=float32)'


def test_str_print_and_format(capsys):
    x = np.arange(4)
    print(x)
    assert capsys.readouterr().out == '[0. 1. 2. 3.]\n'
    assert str(np.array(2.0)) == '2.0'
    assert f'{np.array(2.5):.2f}' == '2.50'
    assert f'{x}' == '[0. 1. 2. 3.]'


# --- default dtypes ----------------------------------------------------------------------------


def test_mxnet_defaults_are_float32():
    for made in (
        np.array([1, 2]),
        np.array([1.0, 2.0]),
        np.arange(3),
        np.ones(2),
        np.zeros(2),
        np.linspace(0, 1, 3),
        np.random.normal(size=2),
        np.full(2, 3.0),
    ):
        assert made.dtype == numpy.float32
    assert np.array([True]).dtype == numpy.bool_


def test_numpy_arrays_keep_their_dtype():
    assert np.array(numpy.arange(3)).dtype == numpy.int64
    assert np.array(numpy.ones(2)).dtype == numpy.float64


def test_set_np_dtype_true_gives_numpy_defaults():
    npx.set_np(dtype=True)
    assert npx.is_np_default_dtype()
    assert np.array([1, 2]).dtype == numpy.int64
    assert np.arange(3).dtype == numpy.int64
    for made in (np.array([1.0, 2.0]), np.ones(2), np.zeros(2), np.random.normal(size=2)):
        assert made.dtype == numpy.float64
    npx.set_np()
    assert not npx.is_np_default_dtype()
    assert np.ones(2).dtype == numpy.float32


# --- Python protocols ----------------------------------------------------------------------------


def test_len_and_iter():
    x = np.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and repr(rows[1]) == 'array([2., 3.])'
    with pytest.raises(TypeError, match='0-d'):
        len(np.array(1.0))
    with pytest.raises(TypeError, match='0-d'):
        iter(np.array(1.0))


def test_iteration_is_recorded():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        s = sum(v * v for v in x)
    s.backward()
    assert repr(x.grad) == 'array([0., 2., 4., 6.])'


def test_bool():
    assert bool(np.array([1.0])) is True
    assert bool(np.array(0.0)) is False
    with pytest.raises(ValueError, match='ambiguous'):
        bool(np.arange(3))
    if np.array(2.0) > 1:
        pass
    else:
        pytest.fail('comparison of a 0-d array did not act as a bool')


def test_float_int_complex():
    assert float(np.array([2.5])) == 2.5
    assert int(np.array(3.7)) == 3
    assert complex(np.array(1.0)) == 1 + 0j
    with pytest.raises(TypeError, match=r'np\.exp'):
        float(np.arange(3))
    assert math.exp(np.array(0.0)) == 1.0


def test_index_protocol():
    i = np.array(2, dtype='int64')
    assert [10, 20, 30][i] == 30
    assert list(range(np.array(3, dtype='int32'))) == [0, 1, 2]
    with pytest.raises(TypeError):
        [1, 2, 3][np.array(1.0)]


def test_array_protocol():
    x = np.arange(3)
    got = numpy.asarray(x)
    assert type(got) is numpy.ndarray and got.dtype == numpy.float32
    numpy.testing.assert_array_equal(got, [0.0, 1.0, 2.0])
    assert numpy.asarray(x, dtype='float64').dtype == numpy.float64
    copied = numpy.array(x, copy=True)
    copied[0] = 5
    assert float(x[0]) == 0.0
    numpy.testing.assert_allclose(x, [0, 1, 2])


def test_asnumpy_is_a_copy_and_item_tolist():
    x = np.arange(3)
    a = x.asnumpy()
    a[0] = 7
    assert float(x[0]) == 0.0
    assert np.array([4.0]).item() == 4.0
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_copy_deepcopy_pickle():
    x = np.arange(3)
    x.attach_grad()
    for dup in (copy.copy(x), copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert repr(dup) == 'array([0., 1., 2.])'
        assert dup.grad is None
        dup[0] = 9
        assert float(x[0]) == 0.0


def test_mxnet_compat_attributes():
    x = np.ones((2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6
    assert x.ctx == npx.cpu() == 'cpu(0)'
    assert x.as_np_ndarray() is x
    x.wait_to_read()


# --- NumPy interop: NumPy functions on ndgrad arrays run ndgrad's ------------------------------


def test_numpy_ufunc_dispatches_and_records():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = numpy.sin(x)
        assert type(y) is type(x)
        z = numpy.multiply(y, 2).sum()
    z.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), 2 * numpy.cos(numpy.arange(4.0)), rtol=1e-6)


def test_numpy_function_dispatches_and_records():
    x = np.arange(6).reshape(2, 3)
    x.attach_grad()
    with autograd.record():
        y = numpy.sum(numpy.square(x), axis=0)
        assert type(y) is type(x) and y.shape == (3,)
        total = numpy.sum(y) + numpy.linalg.norm(x)
    total.backward()
    data = numpy.arange(6.0).reshape(2, 3)
    expected = 2 * data + data / numpy.linalg.norm(data)
    numpy.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)


def test_numpy_array_on_the_left_still_records():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = (numpy.array([1.0, 2.0, 3.0]) * x).sum()
    assert type(y) is type(x)
    y.backward()
    assert repr(x.grad) == 'array([1., 2., 3.])'


def test_numpy_reduce_method():
    x = np.arange(6).reshape(2, 3)
    x.attach_grad()
    with autograd.record():
        y = numpy.add.reduce(x)
    assert repr(y) == 'array([3., 5., 7.])'
    y.backward()
    assert repr(x.grad) == 'array([[1., 1., 1.],\n       [1., 1., 1.]])'


def test_numpy_metadata_functions():
    x = np.ones((2, 3))
    assert numpy.shape(x) == (2, 3) and numpy.ndim(x) == 2 and numpy.size(x) == 6
    assert numpy.result_type(x, 1.0) == numpy.float32 and numpy.can_cast(x, 'float64')
    assert numpy.array2string(np.arange(2)) == '[0. 1.]'


@pytest.mark.parametrize(
    'call, name',
    [
        (lambda x: numpy.unwrap(x), 'numpy.unwrap'),
        (lambda x: numpy.add.accumulate(x), 'numpy.add.accumulate'),
        (lambda x: numpy.apply_along_axis(lambda v: v, 0, x), 'numpy.apply_along_axis'),
    ],
)
def test_numpy_function_ndgrad_lacks_raises_only_where_a_gradient_is_lost(call, name):
    x = np.arange(4)
    numpy.testing.assert_allclose(call(x), call(x.asnumpy()))  # constants: NumPy's values
    x.attach_grad()
    with autograd.record(), pytest.raises(TypeError) as info:
        call(x)
    assert name in str(info.value) and 'x.asnumpy()' in str(info.value)
    call(x.asnumpy())  # the suggested way out works


def test_numpy_ufunc_with_out_raises_where_a_gradient_would_be_lost():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record(), pytest.raises(TypeError, match='out='):
        numpy.sin(x, out=numpy.zeros(3))


# --- indexing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'index',
    [
        1,
        -1,
        slice(1, None, 2),
        (1, 2),
        (slice(None), 0),
        (Ellipsis, 1),
        None,
        (None, 0),
        (0, None, slice(1, 3)),
        numpy.array([0, 2, 2]),
        [2, 0],
        (numpy.array([0, 2]), numpy.array([1, 3])),
        numpy.array([True, False, True]),
        (Ellipsis, numpy.array([3, 3, 0])),
    ],
)
def test_indexing_values_and_gradients(index):
    """Values match NumPy; the gradient of sum(w * x[index]) scatters w back, adding
    up at repeated indices."""
    data = numpy.arange(12.0).reshape(3, 4)
    expected = data[index]
    weights = numpy.arange(1.0, expected.size + 1).reshape(expected.shape)
    x = np.array(data)
    x.attach_grad()
    with autograd.record():
        y = (x[index] * weights).sum()
    y.backward()
    ref = numpy.zeros_like(data)
    numpy.add.at(ref, index, weights)
    numpy.testing.assert_array_equal(x[index].asnumpy(), expected)
    numpy.testing.assert_array_equal(x.grad.asnumpy(), ref)


def test_indexing_with_ndgrad_arrays():
    x = np.arange(6)
    x.attach_grad()
    idx = np.array([1, 1, 4], dtype='int64')
    with autograd.record():
        y = x[idx].sum() + x[x > 3].sum()
    y.backward()
    assert repr(x.grad) == 'array([0., 2., 0., 0., 2., 1.])'


def test_repeated_indices_accumulate():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x[numpy.array([0, 0, 0, 2])]
    y.backward()
    assert repr(x.grad) == 'array([3., 0., 1.])'


# --- assignment -----------------------------------------------------------------------------------


def test_setitem_outside_record():
    x = np.arange(6)
    x[0] = 10
    x[numpy.array([1, 2])] = np.array([7.0, 8.0])
    x[x > 7.5] = -1
    x[-2:] = 0
    assert repr(x) == 'array([-1.,  7., -1.,  3.,  0.,  0.])'


def test_setitem_under_record_is_differentiable():
    """y[idx] = v: the overwritten entries of y get no gradient, v gets theirs."""
    x = np.arange(4)
    x.attach_grad()
    v = np.array([10.0, 20.0])
    v.attach_grad()
    with autograd.record():
        y = x * 1
        y[numpy.array([0, 2])] = v * 3
        loss = (y * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    loss.backward()
    assert repr(x.grad) == 'array([0., 2., 0., 4.])'
    assert repr(v.grad) == 'array([3., 9.])'


def test_setitem_with_a_basic_index_under_record():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * 2
        y[1:] = x[0] * 5
    y.backward()
    assert repr(y) == 'array([0., 0., 0.])'
    assert repr(x.grad) == 'array([12.,  0.,  0.])'


# --- values leaving the graph ------------------------------------------------------------------


@pytest.mark.parametrize(
    'leave', [float, lambda v: v.item(), lambda v: __import__('math').exp(v), int]
)
def test_a_python_number_from_a_recorded_array_inside_record_warns(leave):
    x = np.array([1.5])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.warns(ndgrad.GradientLostWarning, match='carries no gradient'):
            leave(y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        leave(y)  # outside record(): a value is what was asked for
        with autograd.record():
            leave(np.array([1.5]))  # a constant: nothing to lose
            with autograd.pause():
                leave(y)


def test_attach_grad_again_between_recording_and_backward_fills_the_new_buffer():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    old = x.grad
    with autograd.record():
        y = (x * x).sum()
    x.attach_grad()
    y.backward()
    assert x.grad is not old
    assert x.grad.tolist() == [2.0, 4.0]
    assert old.tolist() == [0.0, 0.0]
    x.attach_grad('add')
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    y2 = None
    with autograd.record():
        y2 = (x * 3).sum()
    y2.backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_lists_of_recorded_arrays_keep_their_gradients():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        total = (
            np.sum([x[0] ** 2, x[1]])
            + np.array([x[0], x[1] * 3]).sum()
            + np.asarray([[x[0], 1.0], [2.0, x[1]]]).sum()
            + np.array(x * 2).sum()
            + np.mean((x[0], x[1]))
            + (x + [x[1], 0.0]).sum()
        )
    total.backward()
    assert x.grad.tolist() == [
        2.0 + 1.0 + 1.0 + 2.0 + 0.5 + 1.0,
        1.0 + 3.0 + 1.0 + 2.0 + 0.5 + 1.0 + 1.0,
    ]

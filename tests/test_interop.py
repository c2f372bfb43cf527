"""NumPy calling ndgrad (ndgrad/_interop.py): ndgrad's function where it has one, NumPy on the
values where no gradient can be lost, a TypeError naming the function where one would be."""

import numpy
import pytest

from ndgrad import autograd, func, np
from ndgrad._interop import carries_history, values


def variable(values_):
    x = np.array(numpy.asarray(values_, dtype=numpy.float64))
    x.attach_grad()
    return x


# --- out= a NumPy array ------------------------------------------------------------------------


def test_inplace_add_into_numpy_array_computes_the_values():
    a = numpy.zeros(3)
    b = a
    a += np.ones(3)
    assert a is b and type(a) is numpy.ndarray
    numpy.testing.assert_array_equal(a, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    'call',
    [
        lambda x, out: numpy.add(out, x, out=out),
        lambda x, out: numpy.multiply(x, 2.0, out=out),
        lambda x, out: numpy.exp(x, out=(out,)),
    ],
)
def test_ufunc_out_numpy_without_history_matches_numpy(call):
    data = numpy.array([0.5, -1.0, 2.0])
    expected = call(data, numpy.ones(3))
    out = numpy.ones(3)
    result = call(np.array(data), out)
    assert result is out
    numpy.testing.assert_allclose(out, expected)


def test_ufunc_out_with_constants_inside_record_computes():
    out = numpy.zeros(2)
    with autograd.record():
        numpy.add(np.array([1.0, 2.0]), np.array([3.0, 4.0]), out=out)
    numpy.testing.assert_array_equal(out, [4.0, 6.0])


def test_ufunc_out_with_a_variable_outside_record_computes():
    out = numpy.zeros(2)
    numpy.sin(variable([0.0, 0.0]), out=out)
    numpy.testing.assert_array_equal(out, [0.0, 0.0])


@pytest.mark.parametrize('history', ['variable', 'recorded'])
def test_ufunc_out_with_history_inside_record_raises(history):
    x = variable([1.0, 2.0])
    a = numpy.zeros(2)
    with autograd.record():
        operand = x if history == 'variable' else x * 2
        with pytest.raises(TypeError, match=r'numpy\.add.*out=.*gradient would be lost'):
            a += operand
    numpy.testing.assert_array_equal(a, [0.0, 0.0])  # nothing written


def test_ufunc_out_inside_a_transform_raises():
    def f(x):
        buffer = numpy.zeros(2)
        numpy.multiply(x, x, out=buffer)
        return x.sum()

    with pytest.raises(TypeError, match=r'numpy\.multiply'):
        func.grad(f)(numpy.ones(2))


def test_ufunc_out_under_pause_computes():
    x = variable([1.0, 2.0])
    a = numpy.zeros(2)
    with autograd.record(), autograd.pause():
        a += x
    numpy.testing.assert_array_equal(a, [1.0, 2.0])


def test_out_into_an_ndgrad_array_raises():
    with pytest.raises(TypeError, match='cannot write into an ndgrad array'):
        numpy.add(np.ones(2), 1.0, out=np.zeros(2))
    with pytest.raises(TypeError, match='cannot write into an ndgrad array'):
        numpy.sum(np.ones(2), out=np.zeros(()))


def test_function_out_numpy_without_history_computes():
    out = numpy.zeros(())
    assert numpy.sum(np.array([1.0, 2.0]), out=out) is out
    assert out == 3.0


# --- NumPy functions ndgrad lacks -------------------------------------------------------------


@pytest.mark.parametrize(
    'call',
    [
        lambda x: numpy.unwrap(x),
        lambda x: numpy.add.accumulate(x),
        lambda x: numpy.multiply.outer(x, x),
        lambda x: numpy.apply_along_axis(lambda v: v * 2, 0, x),
        lambda x: numpy.modf(x),
        lambda x: numpy.polydiv(x, x[:2]),
        lambda x: numpy.block([[x, x]]),
    ],
)
def test_function_ndgrad_lacks_runs_numpy_on_the_values(call):
    data = numpy.array([0.5, -1.0, 2.0, 3.0])
    expected = call(data)
    got = call(np.array(data))
    if isinstance(expected, tuple):
        assert all(type(g) is numpy.ndarray for g in got)
        for g, e in zip(got, expected):
            numpy.testing.assert_allclose(g, e)
    else:
        assert type(got) is numpy.ndarray
        numpy.testing.assert_allclose(got, expected)


def test_function_ndgrad_lacks_on_constants_inside_record_computes():
    with autograd.record():
        got = numpy.apply_along_axis(sum, 0, np.ones((2, 3)))
    numpy.testing.assert_allclose(got, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    'call, name',
    [
        (lambda x: numpy.apply_along_axis(sum, 0, x), 'numpy.apply_along_axis'),
        (lambda x: numpy.add.accumulate(x), 'numpy.add.accumulate'),
        (lambda x: numpy.block([[x, x]]), 'numpy.block'),
    ],
)
def test_function_ndgrad_lacks_on_history_raises_naming_it(call, name):
    x = variable([1.0, 2.0])
    with autograd.record(), pytest.raises(TypeError) as info:
        call(x)
    message = str(info.value)
    assert name in message and 'gradient would be lost' in message and 'asnumpy' in message


def test_function_ndgrad_lacks_inside_a_transform_raises():
    with pytest.raises(TypeError, match=r'numpy\.apply_along_axis'):
        func.grad(lambda x: numpy.apply_along_axis(sum, 0, x).sum())(numpy.ones(2))


# --- NumPy functions ndgrad has: still ndgrad's, still recorded --------------------------------


@pytest.mark.parametrize(
    'call',
    [
        lambda x: numpy.pad(x, 1, mode='empty'),
        lambda x: numpy.quantile(x, 0.5, method='inverted_cdf', weights=numpy.ones(4)),
    ],
)
def test_option_ndgrad_lacks_on_constants_runs_numpy(call):
    data = numpy.array([0.5, -1.0, 2.0, 3.0])
    got = call(np.array(data))
    assert type(got) is not type(np.ones(1))
    assert numpy.shape(got) == numpy.shape(call(data))
    if numpy.ndim(got) == 0:
        assert got == call(data)


def test_option_ndgrad_lacks_on_a_variable_raises_its_error():
    x = variable([1.0, 2.0])
    with autograd.record(), pytest.raises(NotImplementedError, match='weights'):
        numpy.quantile(x, 0.5, weights=numpy.ones(2))


def test_function_ndgrad_has_is_recorded():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = numpy.sum(numpy.sin(x))
    assert type(y) is type(x)
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos([1.0, 2.0]))


# --- helpers -----------------------------------------------------------------------------------


def test_carries_history_only_while_recording():
    x = variable([1.0])
    assert not carries_history(x)
    with autograd.record():
        assert carries_history(x) and carries_history([1.0, (x,)]) and carries_history({'a': x})
        assert not carries_history(np.ones(1)) and not carries_history([numpy.ones(1)])
        with autograd.pause():
            assert not carries_history(x)


def test_values_unwraps_nested_containers():
    x = np.array([1.0, 2.0])
    got = values({'a': [x, (3.0, x)]})
    assert type(got['a'][0]) is numpy.ndarray and type(got['a'][1]) is tuple
    assert numpy.shares_memory(got['a'][1][1], x._data)


def test_a_numpy_view_of_an_ndgrad_array_is_read_only():
    x = np.array([1.0, 2.0, 3.0])
    view = numpy.trim_zeros(x)  # (NumPy returns a slice of its argument)
    with pytest.raises(ValueError, match='read-only'):
        view[0] = 5.0
    assert x.asnumpy()[0] == 1.0

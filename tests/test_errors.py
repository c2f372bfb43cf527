"""Misuse gets a typed error whose message says what to do instead."""

import math

import numpy
import pytest

import ndgrad
from ndgrad import autograd, np


def test_error_types_form_a_hierarchy():
    for cls in (ndgrad.GraphFreedError, ndgrad.NotRecordedError, ndgrad.InPlaceModificationError):
        assert issubclass(cls, ndgrad.AutogradError)
    assert issubclass(ndgrad.AutogradError, RuntimeError)


def test_attach_grad_on_integers():
    x = np.array([1, 2, 3], dtype='int32')
    with pytest.raises(TypeError, match=r"astype\('float32'\)"):
        x.attach_grad()


def test_attach_grad_bad_arguments():
    with pytest.raises(ValueError, match="'write', 'add' or 'null'"):
        np.ones(2).attach_grad('accumulate')
    with pytest.raises(ValueError, match='stype'):
        np.ones(2).attach_grad(stype='csr')


def test_backward_of_an_unrecorded_array():
    x = np.arange(3)
    x.attach_grad()
    y = x * 2  # outside record()
    with pytest.raises(ndgrad.NotRecordedError, match=r'autograd\.record\(\).*attach_grad'):
        y.backward()


def test_backward_without_any_variable():
    with autograd.record():
        y = np.arange(3) * 2
    with pytest.raises(ndgrad.NotRecordedError):
        y.backward()


def test_second_backward_after_the_graph_was_freed():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    with pytest.raises(ndgrad.GraphFreedError, match=r"'multiply'.*retain_graph=True"):
        y.backward()
    with pytest.raises(ndgrad.GraphFreedError):
        autograd.grad(y, [x])


def test_modifying_a_saved_input_before_backward():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    x[0] = 5.0
    with pytest.raises(ndgrad.InPlaceModificationError, match=r'x = x\.copy\(\)'):
        y.backward()


def test_sgd_step_before_backward_is_detected():
    w = np.ones(3)
    w.attach_grad()
    with autograd.record():
        loss = (w * w).sum()
    w -= 0.1
    with pytest.raises(ndgrad.InPlaceModificationError):
        loss.backward()


def test_modifying_an_output_the_graph_needs():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = np.exp(x)  # exp's derivative is its output
    with pytest.raises(ndgrad.InPlaceModificationError, match="'exp'"):
        y[0] = 1.0  # outside record(): in place, which would corrupt the saved output
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.exp(numpy.arange(3.0)), rtol=1e-6)


def test_assigning_into_a_variable_inside_record():
    w = np.ones(3)
    w.attach_grad()
    with (
        autograd.record(),
        pytest.raises(ndgrad.InPlaceModificationError, match='outside the record'),
    ):
        w[0] = 2.0


def test_head_gradient_shape():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(ValueError, match=r'\(3,\) does not match the shape \(4,\)'):
        y.backward(np.ones(3))


def test_backward_of_something_that_is_not_an_array():
    with pytest.raises(TypeError, match='ndgrad arrays'):
        autograd.backward(numpy.ones(3))


def test_grad_wrt_an_array_that_is_not_a_variable():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = (x * 2).sum()
    with pytest.raises(ValueError, match='attach_grad'):
        autograd.grad(y, [np.ones(3)])


def test_math_functions_on_arrays():
    with pytest.raises(TypeError, match=r'np\.exp\(x\), np\.sin\(x\)'):
        math.exp(np.arange(4))
    with pytest.raises(TypeError, match=r'shape \(2, 2\)'):
        math.sin(np.ones((2, 2)))


def test_numpy_function_ndgrad_does_not_have():
    x = np.arange(4.0)
    x.attach_grad()
    with (
        autograd.record(),
        pytest.raises(TypeError, match=r'numpy\.apply_along_axis .*x\.asnumpy\(\)'),
    ):
        numpy.apply_along_axis(sum, 0, x)


def test_non_integer_float_index():
    with pytest.raises(IndexError, match='whole numbers'):
        np.arange(4)[np.array([0.5])]


def test_len_of_a_scalar():
    with pytest.raises(TypeError, match='0-d'):
        len(np.array(3.0))

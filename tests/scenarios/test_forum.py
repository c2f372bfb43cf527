"""The forum threads' examples, run with ``from ndgrad import autograd, np, npx``.

MXNet 1.x ``nd`` snippets are written with the ``np`` namespace; the PyTorch ones
are translated to the MXNet API they ask about.
"""

import math

import numpy
import pytest

import ndgrad
from ndgrad import autograd, np, npx


def _close(a, expected):
    numpy.testing.assert_allclose(a.asnumpy(), expected, rtol=1e-6)


# --- head gradients ------------------------------------------------------------------------------


def test_head_gradient_dz_dy_computed_elsewhere():
    """``y.backward(dz/dy)`` with dz/dy computed outside autograd gives dz/dx."""
    x = np.array([0.0, 1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    dzdy = np.array([10, 1.0, 0.1, 0.01])
    y.backward(dzdy)
    _close(x.grad, [20.0, 2.0, 0.2, 0.02])


def test_head_gradient_as_a_list_of_numbers():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward([10, 1.0, 0.1, 0.01])
    _close(x.grad, [20.0, 2.0, 0.2, 0.02])
    with autograd.record():
        y = x * 2
    autograd.backward(y, numpy.array([10, 1.0, 0.1, 0.01]))
    _close(x.grad, [20.0, 2.0, 0.2, 0.02])


def test_without_head_gradient_it_is_ones():
    """ "What do I get if I don't pass the head gradient?" The gradient of sum(y)."""
    x = np.array([0.0, 1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward()
    _close(x.grad, [2.0, 2.0, 2.0, 2.0])


def test_head_gradients_section_gives_partial_derivatives():
    """z = v + x with v = u.detach(), u = x * y: z.backward() then u.backward(v.grad)
    overwrites x.grad with du/dx * dz/dv = y = [2, 2, 2, 2], not the total dz/dx."""
    x = np.arange(4)
    x.attach_grad()
    y = np.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        v = u.detach()
        v.attach_grad()
        z = v + x
    z.backward()
    assert repr(x.grad) == 'array([1., 1., 1., 1.])'
    assert repr(y.grad) == 'array([0., 0., 0., 0.])'
    u.backward(v.grad)
    assert repr(x.grad) == 'array([2., 2., 2., 2.])'
    assert repr(y.grad) == 'array([0., 1., 2., 3.])'


def test_head_gradients_total_derivative_with_grad_req_add():
    """Accumulating both passes (grad_req='add') gives the total dz/dx = y + 1 = 3."""
    x = np.arange(4)
    x.attach_grad(grad_req='add')
    y = np.ones(4) * 2
    with autograd.record():
        u = x * y
        v = u.detach()
        v.attach_grad()
        z = v + x
    z.backward()
    u.backward(v.grad)
    assert repr(x.grad) == 'array([3., 3., 3., 3.])'
    with autograd.record():
        total = x * y + x
    (direct,) = autograd.grad(total, [x])
    assert repr(direct) == 'array([3., 3., 3., 3.])'


# --- set_recording with and without detach ------------------------------------------------------


def _x_y():
    x = np.array([1, 2, 3, 4])
    y = np.array([5, 6, 7, 8])
    x.attach_grad()
    return x, y


def test_set_recording_with_detach_treats_u_as_constant():
    x, y = _x_y()
    autograd.set_recording(True)
    u = x * y
    v = u.detach()
    z = v * x
    autograd.set_recording(False)
    z.backward()
    assert repr(x.grad) == 'array([ 5., 12., 21., 32.])'


def test_set_recording_without_detach():
    x, y = _x_y()
    autograd.set_recording(True)
    u = x * y
    z = u * x
    autograd.set_recording(False)
    z.backward()
    assert repr(x.grad) == 'array([10., 24., 42., 64.])'


# --- gradients of intermediates -----------------------------------------------------------------


def test_attach_grad_on_intermediate_cuts_the_graph():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = 2 * x
        z.attach_grad()
        y = np.dot(z, z)
    y.backward()
    assert f'x=>{x.grad} z=>{z.grad}' == 'x=>[0. 0. 0.] z=>[0. 4. 8.]'


def test_copy_before_attach_grad_keeps_dz_dx():
    """The answer on the forum: a copy made before attach_grad still depends on x."""
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = 2 * x
        w = z.copy()
        z.attach_grad()
        y = np.dot(z, z)
    y.backward()
    w.backward()
    assert f'x=>{x.grad} z=>{z.grad}' == 'x=>[2. 2. 2.] z=>[0. 4. 8.]'


def test_gradients_wrt_input_and_intermediate_together():
    """dy/dx = 8x and dy/dz = 2z = 4x, in one pass, with autograd.grad."""
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = 2 * x
        y = np.dot(z, z)
    dx, dz = autograd.grad(y, [x, z])
    assert repr(dx) == 'array([ 0.,  8., 16.])'
    assert repr(dz) == 'array([0., 4., 8.])'
    assert repr(x.grad) == 'array([0., 0., 0.])'  # autograd.grad leaves .grad alone


# --- math.exp ------------------------------------------------------------------------------------


def test_math_exp_on_an_array_explains_np_exp():
    x = np.arange(5)

    def f(a):
        return math.exp(a)

    assert f(1) == pytest.approx(math.e)
    x.attach_grad()
    with autograd.record(), pytest.raises(TypeError) as info:
        f(x)
    message = str(info.value)
    assert 'only size-1 arrays' in message and 'np.exp' in message


def test_np_exp_is_the_fix():
    x = np.arange(5)
    x.attach_grad()
    with autograd.record():
        y = np.exp(x)
    y.backward()
    _close(x.grad, numpy.exp(numpy.arange(5)))


def test_math_exp_of_a_one_element_array_works():
    assert math.exp(np.array([0.0])) == 1.0


# --- plotting sin and its derivative -------------------------------------------------------------


def test_grad_without_attach_grad_is_none():
    """The forum's attempt read x.grad without x.attach_grad(): there is no buffer."""
    x = np.linspace(-numpy.pi, numpy.pi, 100)
    with autograd.record():
        y = np.sin(x)
    assert x.grad is None
    with pytest.raises(ndgrad.NotRecordedError, match='attach_grad'):
        y.backward()


def test_per_element_backward_with_retain_graph_accumulates():
    """The PyTorch loop ``y[i].backward(retain_graph=True)``: with grad_req='add' the
    per-element gradients add up to that of y.sum()."""
    x = np.linspace(-numpy.pi, numpy.pi, 9, dtype='float64')
    x.attach_grad(grad_req='add')
    with autograd.record():
        y = np.sin(x)
        parts = [y[i] for i in range(len(y))]
    for part in parts:
        part.backward(retain_graph=True)
    _close(x.grad, numpy.cos(x.asnumpy()))


def test_jacobian_rows_from_one_hot_head_gradients():
    """Each one-hot head gradient picks one row of the Jacobian."""
    x = np.array([1.0, 2.0, 3.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = x * x * np.array([1.0, 10.0, 100.0], dtype='float64')
    rows = []
    for i in range(3):
        y.backward(numpy.eye(3)[i], retain_graph=True)
        rows.append(x.grad.asnumpy())
    numpy.testing.assert_allclose(numpy.stack(rows), numpy.diag([2.0, 40.0, 600.0]))


# --- second backward (PyTorch thread, exercise 2) ------------------------------------------------


def test_second_backward_with_retain_graph_write_and_add():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    assert repr(x.grad) == 'array([ 0.,  4.,  8., 12.])'  # 'write' overwrites
    x.attach_grad(grad_req='add')
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    assert repr(x.grad) == 'array([ 0.,  8., 16., 24.])'  # 'add' accumulates (PyTorch)


# --- "how does attach_grad work without mxnet?" ----------------------------------------------


def test_works_on_numpy_data():
    data = numpy.array([0.5, 1.5])
    x = np.array(data)
    x.attach_grad()
    with autograd.record():
        y = (np.sin(x) * 2).sum()
    y.backward()
    _close(x.grad, 2 * numpy.cos(data))
    assert x.grad.dtype == numpy.float64  # NumPy arrays keep their dtype


def test_set_np_is_accepted():
    npx.set_np()
    assert np.array([1, 2]).dtype == numpy.float32


# --- docs/guide.md answers these questions; its examples must run as shown ------------------


def test_guide_examples():
    import doctest
    import pathlib

    guide = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'guide.md'
    result = doctest.testfile(str(guide), module_relative=False)
    assert result.attempted >= 40 and result.failed == 0

"""The engine's fast paths (in-place accumulation, accumulate rules) give the same
gradients as the general path."""

import numpy
import pytest

from ndgrad import autograd, func, np, npx
from ndgrad._engine import toposort


def _grad(f, x):
    x = np.array(x)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()


def test_python_sum_over_elements_accumulates_in_place():
    x = numpy.linspace(-2, 2, 7)
    numpy.testing.assert_allclose(_grad(lambda x: sum(np.sin(x)), x), numpy.cos(x), rtol=1e-6)


@pytest.mark.parametrize(
    'index',
    [0, -1, slice(1, 3), (Ellipsis, 1), numpy.array([0, 0, 2]), numpy.array([True, False, True])],
)
def test_getitem_gradient_mixed_with_other_uses(index):
    """The first gradient reaching `h` may be a rule's result (not owned), a getitem's,
    or a broadcast view; all must add up exactly."""
    x = numpy.array([0.5, -1.0, 2.0])
    grad = _grad(
        lambda x: (lambda h: h[index].sum() * 3 + (h * h).sum() + h[index].sum())(np.tanh(x)), x
    )
    h = numpy.tanh(x)
    dh = 2 * h
    picked = numpy.zeros(3)
    numpy.add.at(picked, index, 4.0)
    numpy.testing.assert_allclose(grad, (dh + picked) * (1 - h * h), rtol=1e-6)


@pytest.mark.parametrize(
    'f, derivative', [(np.tanh, lambda y: 1 - y * y), (npx.sigmoid, lambda y: y * (1 - y))]
)
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_activation_gradient_made_in_one_buffer_leaves_its_inputs_alone(f, derivative, dtype):
    """A plain backward pass of tanh or sigmoid writes the derivative and its product with
    the incoming gradient into one new buffer: the head gradient and the saved output
    are untouched, so a second pass through the same graph gives the same result."""
    x = np.array(numpy.linspace(-2, 2, 12).reshape(3, 4).astype(dtype))
    x.attach_grad()
    head = numpy.linspace(0.5, 1.5, 12).reshape(3, 4).astype(dtype)
    g = np.array(head)
    with autograd.record():
        y = f(x)
    out = y.asnumpy()
    expected = head * derivative(out)
    for retain in (True, False):
        y.backward(g, retain_graph=retain)
        numpy.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)
        assert (g.asnumpy() == head).all() and (y.asnumpy() == out).all()


def test_getitem_of_a_leaf_and_of_a_0d_array():
    x = numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(_grad(lambda x: x[0] * x[1] + x[0], x), [3.0, 1.0])
    numpy.testing.assert_allclose(_grad(lambda x: x.sum()[()] * 2, x), [2.0, 2.0])


def test_getitem_under_create_graph_and_batched():
    def f(x):
        return x[0] ** 2 * x[1] + x[1:].sum()

    x = np.array([1.5, -2.0, 3.0])
    numpy.testing.assert_allclose(func.grad(f)(x).asnumpy(), [-6.0, 3.25, 1.0])
    numpy.testing.assert_allclose(
        func.hessian(f)(x).asnumpy(), [[-4.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    )
    jac = func.jacrev(lambda x: np.stack([x[0] * x[2], x[1]]))(x).asnumpy()
    numpy.testing.assert_allclose(jac, [[3.0, 0.0, 1.5], [0.0, 1.0, 0.0]])


def test_toposort_puts_parents_first_and_visits_each_node_once():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 2
        b = a + x
        c = a * b + b
    order = toposort([c._node, b._node])
    assert len(order) == len(set(order)) == 5
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            if parent is not None:
                assert position[parent] < position[node]


# --- a fresh gradient becomes the buffer's memory only where no one can tell -------------


def _leaf(values):
    x = np.array(values)
    x.attach_grad()
    return x


def test_gradient_buffer_keeps_its_identity_and_is_adopted_when_unshared():
    x = _leaf([1.0, 2.0, 3.0])
    buffer = x.grad
    for scale in (1.0, 3.0):
        with autograd.record():
            y = (x * x * scale).sum()
        y.backward()
        assert x.grad is buffer
        numpy.testing.assert_allclose(buffer.asnumpy(), 2 * scale * x.asnumpy())


@pytest.mark.parametrize('alias', [numpy.asarray, lambda g: g[1:], lambda g: g.reshape(3, 1)])
def test_aliases_of_a_gradient_buffer_see_every_backward(alias):
    x = _leaf([1.0, 2.0, 3.0])
    seen = alias(x.grad)  # kept across passes: the buffer must be written in place
    for scale in (1.0, 5.0):
        with autograd.record():
            y = (x * x * scale).sum()
        y.backward()
        numpy.testing.assert_allclose(
            numpy.asarray(seen).ravel(), (2 * scale * x.asnumpy()).ravel()[-numpy.size(seen) :]
        )


def test_head_gradients_and_shared_gradients_are_copied_not_adopted():
    x = _leaf([1.0, 2.0])
    head = np.array([1.0, 1.0])
    with autograd.record():
        y = x + 0  # passes the head gradient through unchanged
    y.backward(head)
    head[0] = 7.0
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 1.0])

    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    with autograd.record():
        y = a + b  # one gradient array reaches both leaves
    y.backward()
    a.grad[0] = 9.0
    numpy.testing.assert_array_equal(b.grad.asnumpy(), [1.0, 1.0])


def test_add_requests_accumulate_into_the_same_memory():
    x = np.array([1.0, 2.0])
    x.attach_grad(grad_req='add')
    seen = numpy.asarray(x.grad)
    for _ in range(3):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    numpy.testing.assert_allclose(seen, 3 * 2 * x.asnumpy())

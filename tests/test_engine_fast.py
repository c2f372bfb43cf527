"""The engine's fast paths (in-place accumulation, accumulate rules) give the same
gradients as the general path."""
import numpy
import pytest

from ndgrad import autograd, func, np
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


@pytest.mark.parametrize('index', [0, -1, slice(1, 3), (Ellipsis, 1),
                                   numpy.array([0, 0, 2]), numpy.array([True, False, True])])
def test_getitem_gradient_mixed_with_other_uses(index):
    """The first gradient reaching `h` may be a rule's result (not owned), a getitem's,
    or a broadcast view; all must add up exactly."""
    x = numpy.array([0.5, -1.0, 2.0])
    grad = _grad(lambda x: (lambda h: h[index].sum() * 3 + (h * h).sum() + h[index].sum())(
        np.tanh(x)), x)
    h = numpy.tanh(x)
    dh = 2 * h
    picked = numpy.zeros(3)
    numpy.add.at(picked, index, 4.0)
    numpy.testing.assert_allclose(grad, (dh + picked) * (1 - h * h), rtol=1e-6)


def test_getitem_of_a_leaf_and_of_a_0d_array():
    x = numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(_grad(lambda x: x[0] * x[1] + x[0], x), [3.0, 1.0])
    numpy.testing.assert_allclose(_grad(lambda x: x.sum()[()] * 2, x), [2.0, 2.0])


def test_getitem_under_create_graph_and_batched():
    f = lambda x: x[0] ** 2 * x[1] + x[1:].sum()
    x = np.array([1.5, -2.0, 3.0])
    numpy.testing.assert_allclose(func.grad(f)(x).asnumpy(), [-6.0, 3.25, 1.0])
    numpy.testing.assert_allclose(func.hessian(f)(x).asnumpy(),
                                  [[-4.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
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

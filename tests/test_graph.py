"""Pictures of the graph and anomaly detection."""
import numpy
import pytest

from ndgrad import autograd, np
from ndgrad.graph import to_dot


def test_dot_shows_ops_variables_shapes_and_edges():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (np.sin(x) * x).sum()
    dot = to_dot(y)
    assert dot.startswith('digraph ndgrad {') and dot.endswith('}')
    for text in ('variable (grad_req=write)', 'sin', 'multiply', 'sum', '2 float32',
                 'scalar float32'):
        assert text in dot
    assert dot.count('->') == 4  # x->sin, sin->multiply, x->multiply, multiply->sum


def test_dot_of_an_unrecorded_array_says_what_to_do():
    with pytest.raises(ValueError, match='autograd.record'):
        to_dot(np.ones(2))


def test_anomaly_mode_names_the_op_and_line_of_a_nan_gradient():
    x = np.array([0.0, 1.0])
    x.attach_grad()
    with autograd.detect_anomaly():
        with autograd.record():
            y = np.sqrt(x).sum()  # d sqrt / dx at 0 is inf
        with pytest.raises(FloatingPointError, match=r"'sqrt' recorded at .*test_graph.py"):
            with numpy.errstate(divide='ignore'):
                y.backward()


def test_anomaly_mode_is_off_by_default_and_gradients_follow_numpy():
    x = np.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = np.sqrt(x).sum()
    with numpy.errstate(divide='ignore'):
        y.backward()
    assert numpy.isinf(x.grad.asnumpy()[0])

"""Pictures of the graph and anomaly detection."""

import shutil

import numpy
import pytest

from ndgrad import autograd, np, npx
from ndgrad.graph import draw, to_dot


def test_dot_shows_ops_variables_shapes_and_edges():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (np.sin(x) * x).sum()
    dot = to_dot(y)
    assert dot.startswith('digraph ndgrad {') and dot.endswith('}')
    for text in (
        'variable (grad_req=write)',
        'sin',
        'multiply',
        'sum',
        '2 float32',
        'scalar float32',
    ):
        assert text in dot
    assert dot.count('->') == 4  # x->sin, sin->multiply, x->multiply, multiply->sum


def test_dot_of_an_unrecorded_array_says_what_to_do():
    with pytest.raises(ValueError, match=r'autograd\.record'):
        to_dot(np.ones(2))


def _labels(dot):
    """The label of each node of the DOT text, with its line breaks."""
    return [
        line.split('label="', 1)[1].rsplit('", shape', 1)[0].replace('\\n', '\n')
        for line in dot.splitlines()
        if 'label="' in line
    ]


def _chapter_x():
    npx.set_np()
    x = np.arange(4)
    x.attach_grad()
    return x


def test_nodes_are_named_after_the_callers_variables_and_constants_shown():
    x = _chapter_x()
    with autograd.record():
        y = 2 * np.dot(x, x)
    labels = _labels(to_dot(y))
    assert 'x\nvariable (grad_req=write)\n4 float32' in labels
    assert 'dot\nscalar float32' in labels  # an unnamed intermediate: its op only
    assert 'y = multiply\nscalar float32' in labels
    assert 'constant 2' in labels


def test_exponent_and_keyword_arguments_are_shown():
    x = _chapter_x()
    with autograd.record():
        cube = x**3
        total = cube.sum(axis=0)
    labels = _labels(to_dot(total))
    assert 'cube = power\n4 float32' in labels and 'constant 3' in labels
    assert 'total = sum(axis=0)\nscalar float32' in labels


def test_names_argument_overrides_the_callers_names():
    x = _chapter_x()
    with autograd.record():
        y = 2 * np.dot(x, x)
    labels = _labels(to_dot(y, names={'loss': y, 'w': x}))
    assert 'loss = multiply\nscalar float32' in labels
    assert 'w\nvariable (grad_req=write)\n4 float32' in labels
    with pytest.raises(TypeError, match="names=\\{'x': x"):
        to_dot(y, names=[('loss', y)])
    with pytest.raises(TypeError, match='must be an ndgrad array'):
        to_dot(y, names={'loss': 3.0})


def test_names_come_from_the_innermost_caller_and_skip_underscored_ones():
    x = _chapter_x()

    def loss_of(w):
        with autograd.record():
            _ = w * 3  # (as Jupyter's output history: not a name to show)
            loss = (w * w).sum()
        return to_dot(loss)

    labels = _labels(loss_of(x))
    assert 'loss = sum\nscalar float32' in labels
    assert 'w\nvariable (grad_req=write)\n4 float32' in labels  # the inner frame's name


def test_values_and_gradients_of_the_chapters_example():
    """y = 2 x.x: 4x arrives at x, 2 at the dot product, 1 at y; the graph is kept."""
    x = _chapter_x()
    with autograd.record():
        y = 2 * np.dot(x, x)
    labels = _labels(to_dot(y, values=True))
    assert (
        'x\nvariable (grad_req=write)\n4 float32\nvalue [0. 1. 2. 3.]\n'
        'grad [ 0.  4.  8. 12.]' in labels
    )
    assert 'dot\nscalar float32\nvalue 14.\ngrad 2.' in labels
    assert 'y = multiply\nscalar float32\nvalue 28.\ngrad 1.' in labels
    assert repr(x.grad) == 'array([0., 0., 0., 0.])'  # the picture leaves .grad alone
    y.backward()  # the graph is still there
    assert repr(x.grad) == 'array([ 0.,  4.,  8., 12.])'


def test_after_backward_only_the_variables_grad_and_named_values_are_left():
    x = _chapter_x()
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    labels = _labels(to_dot(y, values=True))
    assert (
        'x\nvariable (grad_req=write)\n4 float32\nvalue [0. 1. 2. 3.]\n'
        'x.grad [ 0.  4.  8. 12.]' in labels
    )
    assert 'y = multiply\nscalar float32\nvalue 28.\n(freed by backward)' in labels
    assert 'constant (freed by backward)' in labels


def test_intermediate_gradients_with_retain_graph():
    """The forum's y = z.z, z = 2x: dy/dz = 2z and dy/dx = 8x, both on the picture."""
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = 2 * x
        y = np.dot(z, z)
    y.backward(retain_graph=True)
    labels = _labels(to_dot(y, values=True))
    assert 'z = multiply\n3 float32\nvalue [0. 2. 4.]\ngrad [0. 4. 8.]' in labels
    assert any(label.startswith('x\n') and 'grad [ 0.  8. 16.]' in label for label in labels)


def test_detached_array_is_a_named_constant():
    x = _chapter_x()
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    labels = _labels(to_dot(z))
    assert 'u (constant)\n[0. 1. 4. 9.]\n4 float32' in labels
    assert 'z = multiply\n4 float32' in labels
    assert not any(label.startswith('y') for label in labels)  # y is not on z's graph


def test_attach_grad_on_an_intermediate_makes_it_a_variable():
    """The chapter's u.attach_grad() inside record(): x reaches z only through -x."""
    x = _chapter_x()
    y = np.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        u.attach_grad()
        z = 5 * u - x
    dot = to_dot(z, values=True)
    labels = _labels(dot)
    assert (
        'u\nvariable (grad_req=write)\n4 float32\nvalue [0. 2. 4. 6.]\ngrad [5. 5. 5. 5.]' in labels
    )
    assert any(label.startswith('x\n') and 'grad [-1. -1. -1. -1.]' in label for label in labels)
    assert not any(label.startswith('y\n') for label in labels)


def test_each_output_of_a_multi_output_op_is_named_and_gets_its_gradient():
    A = np.array([[2.0, 1.0], [1.0, 3.0]], dtype='float64')
    A.attach_grad()
    with autograd.record():
        w, v = np.linalg.eigh(A)
        s = w.sum() + (v * v).sum()  # trace(A) + 2: its gradient is the identity
    labels = _labels(to_dot(s, values=True))
    assert any(label.startswith('eigh') and '\n2 outputs' in label for label in labels)
    assert any(label.startswith('w = ') and 'grad [1. 1.]' in label for label in labels)
    assert any(label.startswith('v = ') and '2x2 float64' in label for label in labels)
    (label_a,) = [label for label in labels if label.startswith('A\n')]
    grad_a = label_a.split('grad ')[1]  # the identity, up to the signs of rounded zeros
    assert grad_a.replace('-', ' ').split() == ['[[', '1.', '0.]', '[', '0.', '1.]]']


def test_draw_writes_svg_and_png(tmp_path):
    pytest.importorskip('graphviz')
    if shutil.which('dot') is None:
        pytest.skip("Graphviz's dot program is not installed")
    x = _chapter_x()
    with autograd.record():
        y = 2 * np.dot(x, x)
    source = draw(y, path=tmp_path / 'y.svg', values=True)
    svg = (tmp_path / 'y.svg').read_text()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg
    assert 'y = multiply' in svg and 'constant 2' in svg
    assert 'grad [ 0. &#160;4. &#160;8. 12.]' in svg  # (runs of spaces kept as &#160;)
    assert '<svg' in source._repr_image_svg_xml()  # what Jupyter shows inline
    draw(y, path=tmp_path / 'y.png')
    assert (tmp_path / 'y.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_draw_without_the_graphviz_package_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, 'graphviz', None)
    x = _chapter_x()
    with autograd.record():
        y = x * x
    with pytest.raises(ImportError, match=r"pip install -e '\.\[graph\]'"):
        draw(y)


def test_anomaly_mode_names_the_op_and_line_of_a_nan_gradient():
    x = np.array([0.0, 1.0])
    x.attach_grad()
    with autograd.detect_anomaly():
        with autograd.record():
            y = np.sqrt(x).sum()  # d sqrt / dx at 0 is inf
        with (
            pytest.raises(FloatingPointError, match=r"'sqrt' recorded at .*test_graph.py"),
            numpy.errstate(divide='ignore'),
        ):
            y.backward()


def test_anomaly_mode_is_off_by_default_and_gradients_follow_numpy():
    x = np.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = np.sqrt(x).sum()
    with numpy.errstate(divide='ignore'):
        y.backward()
    assert numpy.isinf(x.grad.asnumpy()[0])

"""A reader's notebook of the chapter, cell by cell, and the chapter's exercises.

Only the import is changed (``from ndgrad import autograd, np, npx``). ``x.grad
== 4*x`` shows booleans, as in NumPy.
"""

import math

import numpy
import pytest

import ndgrad
from ndgrad import autograd, np, npx


def f(a):
    """In [15] / In [20]: the control-flow function."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:  # noqa: SIM108  (the chapter's code as printed)
        c = b
    else:
        c = 100 * b
    return c


@pytest.fixture
def x():
    """In [1]-[3]."""
    npx.set_np()
    x = np.arange(4)
    x.attach_grad()
    return x


# --- the notebook's walk through the chapter -------------------------------------------


def test_cells_2_to_10(x):
    assert repr(np.arange(4)) == 'array([0., 1., 2., 3.])'
    assert repr(x.grad) == 'array([0., 0., 0., 0.])'
    with autograd.record():
        y = 2 * np.dot(x, x)
    assert repr(y) == 'array(28.)'
    y.backward()
    assert repr(x.grad) == 'array([ 0.,  4.,  8., 12.])'
    assert repr(x.grad == 4 * x) == 'array([ True,  True,  True,  True])'
    with autograd.record():
        y = x.sum()
    y.backward()
    assert repr(x.grad) == 'array([1., 1., 1., 1.])'


def test_cell_11_non_scalar(x):
    with autograd.record():
        y = x * x
    y.backward()
    u = x.copy()
    u.attach_grad()
    with autograd.record():
        v = (u * u).sum()
    v.backward()
    assert repr(x.grad == u.grad) == 'array([ True,  True,  True,  True])'


def test_cells_12_13_detach_prints(x, capsys):
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    print(x.grad == u)
    print(x.grad)
    y.backward()
    print(x.grad == 2 * x)
    print(x.grad)
    assert capsys.readouterr().out == (
        '[ True  True  True  True]\n[0. 1. 4. 9.]\n[ True  True  True  True]\n[0. 2. 4. 6.]\n'
    )


def test_cell_14_attach_grad_detaches(x):
    y = np.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        u.attach_grad()
        z = 5 * u - x
    z.backward()
    assert repr((x.grad, u.grad, y.grad)) == (
        '(array([-1., -1., -1., -1.]), array([5., 5., 5., 5.]), array([0., 0., 0., 0.]))'
    )


def test_cells_16_17_control_flow():
    a = np.random.normal()
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == 'array(True)'


def test_cell_18_training_mode(capsys):
    print(autograd.is_training())
    with autograd.record():
        print(autograd.is_training())
    assert capsys.readouterr().out == 'False\nTrue\n'


# --- exercise 1: second derivatives --------------------------------------------------------


def _second_derivative(fn, x):
    x.attach_grad()
    with autograd.record():
        y = fn(x)
        (dy,) = autograd.grad(y, [x], create_graph=True)
    dy.backward()
    return dy, x.grad


def test_exercise_1_second_derivative_of_cube():
    x = np.arange(4)
    dy, d2y = _second_derivative(lambda x: x**3, x)
    assert repr(dy) == 'array([ 0.,  3., 12., 27.])'
    assert repr(d2y) == 'array([ 0.,  6., 12., 18.])'  # 6x


@pytest.mark.parametrize(
    'fn, second',
    [
        (np.tanh, lambda v: -2 * numpy.tanh(v) * (1 - numpy.tanh(v) ** 2)),
        (np.sin, lambda v: -numpy.sin(v)),
        (lambda x: np.dot(x, x), lambda v: numpy.full_like(v, 2.0)),
    ],
)
def test_exercise_1_second_derivatives(fn, second):
    values = numpy.linspace(-2, 2, 7)
    _, d2y = _second_derivative(fn, np.array(values, dtype='float64'))
    numpy.testing.assert_allclose(d2y.asnumpy(), second(values), rtol=1e-10, atol=1e-12)


def test_exercise_1_second_derivative_records_a_second_graph():
    """Why it costs more: the first backward pass is itself recorded, node by node,
    so that it can be differentiated; a plain backward records nothing."""
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x) * x
    (plain,) = autograd.grad(y, [x], retain_graph=True)
    assert plain._node is None
    (recorded,) = autograd.grad(y, [x], create_graph=True)
    assert recorded._node is not None and recorded._node.prim is not None


# --- exercise 2: running backward twice ----------------------------------------------------


def test_exercise_2_second_backward_raises_a_clear_error():
    x = np.ones(4) * 2
    x.attach_grad()
    with autograd.record():
        y = 3 * x
    y.backward()
    with pytest.raises(ndgrad.GraphFreedError, match='retain_graph=True'):
        y.backward()


def test_exercise_2_retain_graph(capsys):
    """In [19]: with retain_graph=True the second backward works (and overwrites)."""
    x = np.ones(4) * 2
    x.attach_grad()
    with autograd.record():
        y = 3 * x
    y.backward(retain_graph=True)
    print(x.grad)
    y.backward()
    print(x.grad)
    assert capsys.readouterr().out == '[3. 3. 3. 3.]\n[3. 3. 3. 3.]\n'


# --- exercise 3: control flow with a vector or a matrix ------------------------------------


@pytest.mark.parametrize('shape', [(4,), (3, 2)])
def test_exercise_3_vector_and_matrix(shape):
    """f(a) is k*a with one k for the whole array: backward sums, so a.grad is k."""
    a = np.random.normal(size=shape)
    a.attach_grad()
    with autograd.record():
        d = f(a)
    assert d.shape == shape  # no longer a scalar
    d.backward()
    assert (a.grad == d / a).asnumpy().all()
    assert numpy.unique(a.grad.asnumpy()).size == 1


def test_exercise_3_matrix_repr():
    a = np.array([[0.7740038, 0.4838046], [1.0434403, 0.29956347], [1.1839255, 0.15302546]])
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == (
        'array([[ True,  True],\n       [ True,  True],\n       [ True,  True]])'
    )


def test_exercise_3_head_gradient_d():
    """The forum's ``d.backward(d.detach())``: with head gradient d, a.grad = k*d = k²a."""
    a = np.array([-0.6848, 0.2447, 1.5633], dtype='float64')
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward(d.detach())
    k = (d / a).asnumpy()
    numpy.testing.assert_allclose(a.grad.asnumpy(), k * d.asnumpy())


# --- exercise 4: a control-flow example of our own ----------------------------------------


def halve_until_small(a):
    """Halve while the norm exceeds 1, then cube: a data-dependent loop count n, so
    g(a) = (a / 2**n)**3 and dg/da = 3 a**2 / 8**n."""
    n = 0
    while np.linalg.norm(a) > 1:
        a = a / 2
        n += 1
    return a**3, n


@pytest.mark.parametrize('value', [0.5, 3.0, -40.0])
def test_exercise_4_own_control_flow(value):
    a = np.array([value], dtype='float64')
    a.attach_grad()
    with autograd.record():
        g, n = halve_until_small(a)
    g.backward()
    numpy.testing.assert_allclose(a.grad.asnumpy(), [3 * value**2 / 8**n])


# --- exercise 5: sin(x) and its autograd derivative ----------------------------------------


def test_exercise_5_sin_derivative_is_cos():
    """In [27]: the derivative computed without using that sin' = cos."""
    x = np.linspace(0, 10, 200)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos(x.asnumpy()), atol=1e-6)


def test_exercise_5_python_sum():
    """In [29]: Python's built-in sum over the array's elements works too."""
    x = np.linspace(0, 10, 200)
    x.attach_grad()
    with autograd.record():
        y = sum(np.sin(x))
    assert y.shape == ()
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos(x.asnumpy()), atol=1e-6)


def test_exercise_5_plot_data():
    """The demo's plot data: sin(x) and its autograd derivative side by side."""
    from ndgrad.demo import sin_and_derivative

    xs, ys, dys = sin_and_derivative(num=50)
    assert xs.shape == ys.shape == dys.shape == (50,)
    numpy.testing.assert_allclose(ys, numpy.sin(xs), atol=1e-6)
    numpy.testing.assert_allclose(dys, numpy.cos(xs), atol=1e-6)


def test_exercise_5_plotting_ndgrad_arrays_directly(tmp_path):
    """In [33]: matplotlib takes ndgrad arrays (x, x.grad) as they are."""
    pytest.importorskip('matplotlib')
    from matplotlib.figure import Figure

    x = np.linspace(0, 10, 200)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)
    y.backward()
    fig = Figure(figsize=(8, 8))
    fig.add_subplot(3, 1, 1).plot(x, np.sin(x))
    fig.add_subplot(3, 1, 2).plot(x, x.grad)
    fig.add_subplot(3, 1, 3).plot(x, np.cos(x))
    fig.tight_layout()
    fig.savefig(tmp_path / 'plot.png')
    line = fig.axes[1].lines[0]
    numpy.testing.assert_allclose(line.get_ydata(), numpy.cos(x.asnumpy()), atol=1e-6)


# --- In [23]-[26]: vector y, Python sum ----------------------------------------------------


def test_cells_23_24_broadcast_vector():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = 2 * np.dot(x, x) + 0 * x
    y.backward()
    assert repr(x.grad) == 'array([ 0., 16., 32., 48.])'
    assert repr(y) == 'array([28., 28., 28., 28.])'


def test_cells_25_26_python_sum_of_vector():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = sum(2 * np.dot(x, x) + 0 * x)
    y.backward()
    assert repr(x.grad) == 'array([ 0., 16., 32., 48.])'
    assert repr(y) == 'array(112.)'


# --- exercise 6: the second-price auction ---------------------------------------------------


def _require_sort():
    if not hasattr(np, 'sort'):
        pytest.skip('np.sort is not available in this build of ndgrad')


def test_exercise_6_second_price_auction():
    """The price is the second-highest bid: its gradient is 1 for the runner-up and 0
    for everyone else, the winner included. The winner cannot change the price by
    bidding differently (while staying the winner): bidding one's true value is safe."""
    _require_sort()
    bids = np.array([3.0, 7.5, 5.0, 1.0])
    bids.attach_grad()
    with autograd.record():
        price = np.sort(bids)[-2]
    price.backward()
    assert float(price) == 5.0
    assert repr(bids.grad) == 'array([0., 0., 1., 0.])'
    winner = int(np.argmax(bids))
    assert float(bids.grad[winner]) == 0.0


def test_exercise_6_auction_tie_splits_the_gradient():
    """Two bids tied for second place: the price moves at half the rate of either."""
    _require_sort()
    bids = np.array([4.0, 9.0, 4.0])
    bids.attach_grad()
    with autograd.record():
        price = np.sort(bids)[-2]
    price.backward()
    assert float(price) == 4.0
    assert repr(bids.grad) == 'array([0.5, 0. , 0.5])'  # split evenly, sums to 1


# --- math.exp on an array ---------------------------------------------------------------------


def test_math_exp_of_an_array_says_use_np_exp():
    x = np.arange(5)
    with pytest.raises(TypeError, match=r'np\.exp'):
        math.exp(x)

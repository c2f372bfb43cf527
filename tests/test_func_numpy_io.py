"""ndgrad.func: NumPy in, NumPy out; ndgrad in, ndgrad out; nested transforms keep recording."""

import numpy
import pytest

from ndgrad import autograd, func, np
from ndgrad._ndarray import ndarray

X = numpy.array([0.5, -1.0, 2.0])


def cubes(x):
    return (x**3).sum()


def squares(x):
    return x**2


def is_numpy(value):
    return type(value) is numpy.ndarray or isinstance(value, numpy.floating)


@pytest.mark.parametrize(
    'name, call, expected',
    [
        ('grad', lambda x: func.grad(cubes)(x), 3 * X**2),
        ('value_and_grad', lambda x: func.value_and_grad(cubes)(x)[1], 3 * X**2),
        ('jacrev', lambda x: func.jacrev(squares)(x), numpy.diag(2 * X)),
        ('jacfwd', lambda x: func.jacfwd(squares)(x), numpy.diag(2 * X)),
        ('jacobian', lambda x: func.jacobian(squares)(x), numpy.diag(2 * X)),
        ('hessian', lambda x: func.hessian(cubes)(x), numpy.diag(6 * X)),
        ('vjp', lambda x: func.vjp(squares, x)[1](numpy.ones(3))[0], 2 * X),
        ('jvp', lambda x: func.jvp(squares, (x,), (numpy.ones(3),))[1], 2 * X),
        ('hvp', lambda x: func.hvp(cubes, (x,), (numpy.ones(3),))[1][0], 6 * X),
        ('hvp(f)', lambda x: func.hvp(cubes)(x, numpy.ones(3)), 6 * X),
    ],
)
def test_numpy_in_numpy_out_ndgrad_in_ndgrad_out(name, call, expected):
    got = call(X.copy())
    assert type(got) is numpy.ndarray and got.dtype == numpy.float64, name
    assert got.flags.writeable
    numpy.testing.assert_allclose(got, expected, rtol=1e-12)
    got = call(np.array(X))
    assert type(got) is ndarray and got._node is None, name
    numpy.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-6)


def test_zero_d_results_are_numpy_scalars():
    value, g = func.value_and_grad(lambda x: x**3)(2.0)
    assert type(value) is numpy.float64 and value == 8.0
    assert type(g) is numpy.float64 and g == 12.0
    assert type(func.grad(func.grad(lambda x: x**3))(2.0)) is numpy.float64
    out, tangent = func.jvp(lambda x: x * 3, (numpy.float64(1.0),), (1.0,))
    assert type(out) is numpy.float64 and tangent == 3.0


def test_dtype_follows_the_input():
    g = func.grad(cubes)(X.astype(numpy.float32))
    assert type(g) is numpy.ndarray and g.dtype == numpy.float32
    g = func.grad(cubes)(np.array(X.astype(numpy.float32)))
    assert type(g) is ndarray and g.dtype == numpy.float32
    assert func.grad(lambda x: x * x)(numpy.float32(2.0)).dtype == numpy.float32


def test_value_and_aux_follow_the_rule():
    def f(x):
        y = np.sin(x)
        return (y * y).sum(), {'y': y, 'label': 'sin', 'count': 3}

    (value, aux), g = func.value_and_grad(f, has_aux=True)(X)
    assert type(value) is numpy.float64 and type(aux['y']) is numpy.ndarray
    assert aux['label'] == 'sin' and aux['count'] == 3 and type(g) is numpy.ndarray
    numpy.testing.assert_allclose(aux['y'], numpy.sin(X))
    (value, aux), g = func.value_and_grad(f, has_aux=True)(np.array(X))
    assert type(value) is ndarray and type(aux['y']) is ndarray and type(g) is ndarray


def test_jacobian_aux_and_vjp_outputs_follow_the_rule():
    jac, aux = func.jacrev(lambda x: (x**2, x.sum()), has_aux=True)(X)
    assert type(jac) is numpy.ndarray and type(aux) is numpy.float64
    out, pullback, aux = func.vjp(lambda x: (x**2, x[0]), X, has_aux=True)
    assert type(out) is numpy.ndarray and type(aux) is numpy.float64
    assert type(pullback(np.ones(3))[0]) is numpy.ndarray


def test_mixed_arguments_any_ndgrad_input_gives_ndgrad():
    def f(x, y):
        return (x * y).sum()

    gx, gy = func.grad(f, argnums=(0, 1))(X, np.array(X))
    assert type(gx) is ndarray and type(gy) is ndarray
    gx = func.grad(f)(X, np.array(X))  # only x is differentiated, and it is NumPy
    assert type(gx) is numpy.ndarray


def test_inner_transform_called_by_an_outer_one_returns_ndgrad():
    seen = []

    def inner_grad(x):
        g = func.grad(cubes)(x)
        seen.append(type(g))
        return g

    h = func.jacfwd(inner_grad)(X)
    assert seen == [ndarray] and type(h) is numpy.ndarray
    numpy.testing.assert_allclose(h, numpy.diag(6 * X))
    third = func.grad(func.grad(func.grad(lambda x: x**4)))(2.0)
    assert type(third) is numpy.float64 and third == 48.0


def test_result_with_history_stays_ndgrad_so_no_gradient_is_lost():
    """The inner grad's argument is NumPy, but its result depends on the outer variable."""
    outer = func.grad(lambda x: (x * func.grad(lambda c: (c * x).sum())(X)).sum())
    g = outer(numpy.ones(3))
    numpy.testing.assert_allclose(g, 2 * numpy.ones(3))


def test_inside_record_results_with_history_stay_ndgrad():
    w = np.array([2.0])
    w.attach_grad()
    with autograd.record():
        g = func.grad(lambda c: (c * w).sum())(numpy.ones(1))
        assert type(g) is ndarray
        loss = (g * g).sum()
    loss.backward()
    numpy.testing.assert_allclose(w.grad.asnumpy(), [4.0])


def test_numpy_results_do_not_alias_inputs_or_seeds():
    x = X.copy()
    _, g = func.value_and_grad(lambda v: v.sum())(x)
    g[0] = 7.0
    assert x[0] == X[0]
    u = numpy.ones(3)
    (back,) = func.vjp(lambda v: v, X)[1](u)
    back[0] = 5.0
    assert u[0] == 1.0
    t = numpy.ones(3)
    _, tangent = func.jvp(lambda v: v, (X,), (t,))
    tangent[0] = 5.0
    assert t[0] == 1.0


def test_hvp_function_form_takes_extra_arguments_and_integer_directions():
    def f(x, scale):
        return scale * (x**3).sum()

    got = func.hvp(f)(X, numpy.array([1, 0, 0]), 2.0)
    numpy.testing.assert_allclose(got, [12 * X[0], 0.0, 0.0])
    with pytest.raises(TypeError, match=r'func\.hvp'):
        func.hvp(cubes, X, numpy.ones(3))

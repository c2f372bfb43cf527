"""ndgrad.func: every transform against analytic derivatives and central differences,
to first, second and third order, on pytrees, broadcasting shapes, 0-d arrays and
size-1 axes; the vectorized Jacobians; nesting without perturbation confusion."""

import collections
import time

import numpy
import pytest

from ndgrad import _engine, autograd, func, np, npx
from ndgrad._state import STATE
from ndgrad.testing import check_grad, numerical_jacobian

rng = numpy.random.default_rng(0)
A = rng.standard_normal((3, 4))
V4 = rng.standard_normal(4)


def close(actual, expected, rtol=1e-7, atol=1e-9):
    numpy.testing.assert_allclose(
        numpy.asarray(actual, dtype=numpy.float64),
        numpy.asarray(expected, dtype=numpy.float64),
        rtol=rtol,
        atol=atol,
    )


def num_jac(f, *xs, i=0):
    """Central differences in float64: shape out.shape + xs[i].shape."""
    return numerical_jacobian(f, [numpy.asarray(x, numpy.float64) for x in xs], i)


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


# --- grad / value_and_grad -------------------------------------------------------------


def test_grad_vector_function_matches_analytic_and_numeric():
    x = rng.standard_normal(5)
    f = lambda x: (np.sin(x) * x).sum()  # noqa: E731
    g = func.grad(f)(x)
    close(g, numpy.cos(x) * x + numpy.sin(x))
    close(g, num_jac(f, x), rtol=1e-6)
    assert g.dtype == numpy.float64 and g.shape == (5,)


def test_grad_matrix_argument():
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    g = func.grad(lambda W: np.tanh(np.matmul(W, x)).sum())(W)
    close(g, numpy.outer(1 - numpy.tanh(W @ x) ** 2, x))
    assert g.shape == (3, 4)


@pytest.mark.parametrize(
    'shape_x, shape_b',
    [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 1), (4,)), ((), (3,)), ((2, 1, 3), (1, 4, 1))],
)
def test_grad_with_broadcasting_keeps_each_argument_shape(shape_x, shape_b):
    x, b = rng.standard_normal(shape_x), rng.standard_normal(shape_b)
    f = lambda x, b: (np.exp(x * b) + x / (b * b + 1)).sum()  # noqa: E731
    gx, gb = func.grad(f, argnums=(0, 1))(x, b)
    assert gx.shape == shape_x and gb.shape == shape_b
    close(gx, num_jac(f, x, b, i=0), rtol=1e-6, atol=1e-8)
    close(gb, num_jac(f, x, b, i=1), rtol=1e-6, atol=1e-8)


def test_grad_of_zero_d_and_size_one_axes():
    close(func.grad(lambda x: x * x * x)(numpy.array(2.0)), 12.0)
    x = rng.standard_normal((1, 3, 1))
    g = func.grad(lambda x: (x**2).sum())(x)
    assert g.shape == (1, 3, 1)
    close(g, 2 * x)
    # a size-1 output that is not 0-d is a scalar too
    close(func.grad(lambda x: (x * x).sum(axis=0, keepdims=True))(numpy.ones(3)), 2.0)


def test_argnums_int_tuple_and_negative():
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x, y: (x * x * y).sum()  # noqa: E731
    close(func.grad(f)(x, y), 2 * x * y)
    close(func.grad(f, argnums=1)(x, y), x * x)
    close(func.grad(f, argnums=-1)(x, y), x * x)
    gy, gx = func.grad(f, argnums=(1, 0))(x, y)
    close(gx, 2 * x * y)
    close(gy, x * x)
    (only,) = func.grad(f, argnums=(0,))(x, y)
    close(only, 2 * x * y)


def test_grad_of_pytrees_returns_the_same_structure():
    Point = collections.namedtuple('Point', 'u v')
    params = {
        'W': rng.standard_normal((2, 3)),
        'layers': [rng.standard_normal(3), 0.5],
        'pt': Point(rng.standard_normal(()), numpy.float32(2.0)),
        'none': None,
    }

    def f(p):
        h = np.tanh(np.matmul(p['W'], p['layers'][0])) * p['layers'][1]
        return (h * p['pt'].u).sum() + p['pt'].v ** 2

    g = func.grad(f)(params)
    assert set(g) == {'W', 'layers', 'pt', 'none'} and g['none'] is None
    assert isinstance(g['layers'], list) and isinstance(g['pt'], Point)
    W, x, s, u = params['W'], params['layers'][0], params['layers'][1], params['pt'].u
    t = numpy.tanh(W @ x)
    close(g['W'], numpy.outer((1 - t**2) * s * u, x))
    close(g['layers'][0], W.T @ ((1 - t**2) * s * u))
    close(g['layers'][1], (t * u).sum())
    close(g['pt'].u, (t * s).sum())
    close(g['pt'].v, 4.0)
    assert g['pt'].v.dtype == numpy.float32
    assert g['layers'][1].dtype == numpy.float64  # a Python float is a float64


def test_value_and_grad_and_has_aux():
    x = rng.standard_normal(4)

    def f(x):
        y = np.sin(x)
        return (y * y).sum(), {'y': y, 'n': 3}

    (value, aux), g = func.value_and_grad(f, has_aux=True)(x)
    close(value, (numpy.sin(x) ** 2).sum())
    close(aux['y'], numpy.sin(x))
    assert aux['n'] == 3 and type(aux['y']) is numpy.ndarray and type(value) is numpy.float64
    close(g, 2 * numpy.sin(x) * numpy.cos(x))
    g2, aux2 = func.grad(f, has_aux=True)(x)
    close(g2, g)
    close(aux2['y'], numpy.sin(x))
    value, g3 = func.value_and_grad(lambda x: (x * x).sum())(x)
    close(value, (x * x).sum())
    close(g3, 2 * x)


def test_inputs_may_be_ndgrad_numpy_or_python_floats():
    f = lambda x: x * x  # noqa: E731
    close(func.grad(f)(3.0), 6.0)
    close(func.grad(f)(numpy.float64(3.0)), 6.0)
    close(func.grad(f)(np.array(3.0)), 6.0)
    x = np.array([1.0, 2.0])
    x.attach_grad()  # a variable of the imperative API: its .grad is left alone
    close(func.grad(lambda x: (x * x).sum())(x), [2.0, 4.0])
    close(x.grad, [0.0, 0.0])


def test_float32_stays_float32_in_every_transform():
    x = np.array([0.5, 1.5, 2.0])  # float32 by MXNet's default
    assert x.dtype == numpy.float32
    f = lambda x: (np.sin(x) * x).sum()  # noqa: E731
    h = lambda x: np.tanh(x) * 2  # noqa: E731
    assert func.grad(f)(x).dtype == numpy.float32
    assert func.value_and_grad(f)(x)[0].dtype == numpy.float32
    assert func.jacrev(h)(x).dtype == numpy.float32
    assert func.jacfwd(h)(x).dtype == numpy.float32
    assert func.hessian(f)(x).dtype == numpy.float32
    assert func.jvp(h, (x,), (np.ones(3),))[1].dtype == numpy.float32
    assert func.vjp(h, x)[1](np.ones(3))[0].dtype == numpy.float32
    assert func.hvp(f, (x,), (np.ones(3),))[1][0].dtype == numpy.float32
    assert func.grad(func.grad(lambda x: x**3))(np.array(2.0)).dtype == numpy.float32
    assert func.grad(lambda x: x.sum())(numpy.ones(2, numpy.float16)).dtype == numpy.float16


def test_gradient_is_zero_where_f_does_not_depend_on_the_input():
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    _gx, gy = func.grad(lambda x, y: (x * x).sum(), argnums=(0, 1))(x, y)
    close(gy, numpy.zeros(2))
    close(func.grad(lambda x: 4.0)(x), numpy.zeros(3))
    close(func.jacrev(lambda x: np.ones(2))(x), numpy.zeros((2, 3)))
    close(func.jacfwd(lambda x: np.ones(2))(x), numpy.zeros((2, 3)))
    close(func.jvp(lambda x: np.ones(2), (x,), (x,))[1], numpy.zeros(2))


# --- errors -----------------------------------------------------------------------------


def test_non_scalar_output_says_what_to_use():
    with pytest.raises(ValueError, match=r'jacrev.*vjp'):
        func.grad(lambda x: x * 2)(numpy.ones(3))
    with pytest.raises(ValueError, match=r'shape \(3,\)'):
        func.value_and_grad(lambda x: x * 2)(numpy.ones(3))


@pytest.mark.parametrize(
    'value', [3, numpy.arange(3), np.array([1, 2], dtype='int32'), True, {'a': [1.0, 2]}]
)
def test_integer_inputs_are_a_type_error(value):
    with pytest.raises(TypeError, match='floating-point'):
        func.grad(lambda x: 0.0)(value)
    with pytest.raises(TypeError, match='floating-point'):
        func.jacfwd(lambda x: 0.0)(value)


def test_other_misuse_is_reported_clearly():
    with pytest.raises(ValueError, match='argnums'):
        func.grad(lambda x: x, 1)(1.0)
    with pytest.raises(ValueError, match='repeats'):
        func.grad(lambda x, y: x, (0, 0))(1.0, 2.0)
    with pytest.raises(ValueError, match='has_aux'):
        func.grad(lambda x: x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match='str'):
        func.grad(lambda x: x)('a')
    with pytest.raises(TypeError, match='int64'):
        func.grad(lambda x: (x > 0).sum())(numpy.ones(2))
    with pytest.raises(TypeError, match='tuples'):
        func.jvp(np.sin, numpy.ones(2), numpy.ones(2))
    with pytest.raises(ValueError, match='shape'):
        func.jvp(np.sin, (numpy.ones(2),), (numpy.ones(3),))
    _, pullback = func.vjp(np.sin, numpy.ones(2))
    with pytest.raises(ValueError, match='shape'):
        pullback(numpy.ones(3))


def _sq(v):
    return (v * v).sum()


@pytest.mark.parametrize(
    'call,match',
    [
        (lambda: func.grad(lambda v: (_sq(v), v))(numpy.ones(2)), 'got tuple'),
        (lambda: func.value_and_grad(lambda v: [_sq(v), {'n': v}])(numpy.ones(2)), 'got list'),
        (lambda: func.vjp(lambda v: (v * 2, 'note'), numpy.ones(2)), 'got str'),
        (lambda: func.jacrev(lambda v: (v * 2, 3))(numpy.ones(2)), 'dtype int64'),
        (lambda: func.jacfwd(lambda v: (v * 2, 'label'))(numpy.ones(2)), 'got str'),
    ],
    ids=['grad', 'value_and_grad', 'vjp', 'jacrev', 'jacfwd'],
)
def test_a_pair_returned_without_has_aux_hints_at_it(call, match):
    with pytest.raises(
        TypeError,
        match=match + r'.*If f returns \(output, aux\), pass '
        r'has_aux=True',
    ):
        call()


def test_no_has_aux_hint_where_a_pair_is_not_the_problem():
    with pytest.raises(TypeError) as info:
        func.grad(lambda v: None)(numpy.ones(2))
    assert 'has_aux' not in str(info.value)
    with pytest.raises(TypeError) as info:
        func.vjp(lambda v: (v, v, 'x'), numpy.ones(2))
    assert 'has_aux' not in str(info.value)


def _notes(exc):
    return '\n'.join(getattr(exc, '__notes__', ()))


@pytest.mark.skipif(not hasattr(Exception(), 'add_note'), reason='exception notes: Python 3.11+')
@pytest.mark.parametrize(
    'call,argument',
    [
        (lambda: func.grad(lambda v: (v * v).sum())([1.0, 2.0]), 0),
        (lambda: func.grad(lambda w, v: (v**2).sum(), argnums=1)(1.0, (1.0, 2.0)), 1),
        (lambda: func.vjp(lambda v: v * 2.0, [[1.0], [2.0]]), 0),
        (lambda: func.jacfwd(lambda v: v.sum())([1.0, 2.0]), 0),  # AttributeError
        (lambda: func.jvp(lambda v: v * v, ([1.0, 2.0],), ([1.0, 1.0],)), 0),
    ],
    ids=['grad', 'argnums', 'vjp-nested', 'jacfwd', 'jvp'],
)
def test_a_list_of_numbers_that_f_cannot_take_gets_a_note(call, argument):
    with pytest.raises((TypeError, AttributeError)) as info:
        call()
    note = _notes(info.value)
    assert f'argument {argument} is a ' in note and 'container of separate inputs' in note
    assert 'np.array([...])' in note


def test_a_list_of_numbers_is_still_a_container_and_other_errors_get_no_note():
    g = func.grad(lambda v: v[0] * v[1])([1.0, 2.0])
    assert isinstance(g, list)
    numpy.testing.assert_allclose([float(g[0]), float(g[1])], [2.0, 1.0])
    with pytest.raises(KeyError) as info:
        func.grad(lambda v: {}['k'])(numpy.ones(2))
    assert _notes(info.value) == ''
    with pytest.raises(TypeError) as info:  # a list of arrays is a container by intent
        func.grad(lambda v: (v * v).sum())([numpy.ones(2), numpy.ones(2)])
    assert _notes(info.value) == ''


def test_state_is_restored_even_when_f_raises():
    def bad(x):
        assert autograd.is_recording() and STATE.transform_depth == 1
        raise KeyError('boom')

    with pytest.raises(KeyError):
        func.grad(bad)(1.0)
    assert not autograd.is_recording() and STATE.transform_depth == 0
    with autograd.record():
        func.grad(lambda x: x * x)(1.0)
        assert autograd.is_recording()
    assert STATE.transform_depth == 0
    seen = []
    func.grad(lambda x: seen.append(autograd.is_training()) or x)(1.0)
    with autograd.train_mode():
        func.grad(lambda x: seen.append(autograd.is_training()) or x)(1.0)
    assert seen == [False, True]  # training mode is the caller's


# --- vjp / jvp ----------------------------------------------------------------------------


def f_vec(x, y):
    return np.tanh(np.matmul(A, x)) * y.sum() + np.sin(x[:3])


def test_vjp_matches_jacobian_transpose_and_can_be_called_twice():
    x, y = rng.standard_normal(4), rng.standard_normal(2)
    out, pullback = func.vjp(f_vec, x, y)
    close(out, f_vec(np.array(x), np.array(y)))
    Jx, Jy = num_jac(f_vec, x, y, i=0), num_jac(f_vec, x, y, i=1)
    for _ in range(2):
        u = rng.standard_normal(3)
        gx, gy = pullback(u)
        close(gx, u @ Jx, rtol=1e-6)
        close(gy, u @ Jy, rtol=1e-6)


def test_vjp_with_pytree_output_and_aux():
    x = rng.standard_normal(3)
    out, pullback, aux = func.vjp(lambda x: ((x * 2, {'s': (x * x).sum()}), 'tag'), x, has_aux=True)
    assert aux == 'tag'
    close(out[1]['s'], (x * x).sum())
    (g,) = pullback((numpy.ones(3), {'s': numpy.array(0.5)}))
    close(g, 2 + x)


def test_vjp_result_does_not_alias_the_cotangent():
    u = numpy.ones(3)
    (g,) = func.vjp(np.copy, numpy.zeros(3))[1](u)
    g[0] = 5.0
    assert u[0] == 1.0


def test_jvp_matches_jacobian_times_tangent():
    x, y = rng.standard_normal(4), rng.standard_normal(2)
    tx, ty = rng.standard_normal(4), rng.standard_normal(2)
    out, t = func.jvp(f_vec, (x, y), (tx, ty))
    close(out, f_vec(np.array(x), np.array(y)))
    close(t, num_jac(f_vec, x, y, i=0) @ tx + num_jac(f_vec, x, y, i=1) @ ty, rtol=1e-6)


def test_jvp_is_true_forward_mode_one_pass_no_backward():
    calls = {'backward': 0, 'push': 0}
    real_b, real_p = _engine.backward, _engine.push_tangents

    def b(*a, **k):
        calls['backward'] += 1
        return real_b(*a, **k)

    def p(*a, **k):
        calls['push'] += 1
        return real_p(*a, **k)

    _engine.backward, _engine.push_tangents = b, p
    try:
        func.jvp(lambda x: np.exp(np.sin(x)).sum(), (numpy.ones(3),), (numpy.ones(3),))
    finally:
        _engine.backward, _engine.push_tangents = real_b, real_p
    assert calls == {'backward': 0, 'push': 1}


def test_jvp_with_pytree_primals_and_tangents():
    p = {'a': rng.standard_normal(3), 'b': (rng.standard_normal(()),)}
    t = {'a': numpy.ones(3), 'b': (numpy.array(2.0),)}
    _out, tout = func.jvp(lambda p: [p['a'] * p['b'][0], p['b'][0] ** 2], (p,), (t,))
    close(tout[0], p['b'][0] + p['a'] * 2)
    close(tout[1], 2 * p['b'][0] * 2)


# --- Jacobians ------------------------------------------------------------------------------


@pytest.mark.parametrize('jac', [func.jacrev, func.jacfwd, func.jacobian])
def test_jacobian_of_tanh_matvec_matches_analytic(jac):
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    J = jac(lambda x: np.tanh(np.matmul(W, x)))(x)
    close(J, (1 - numpy.tanh(W @ x) ** 2)[:, None] * W)
    JW = jac(lambda W: np.tanh(np.matmul(W, x)))(W)
    assert JW.shape == (3, 3, 4)
    expected = numpy.einsum('ij,k->ijk', numpy.diag(1 - numpy.tanh(W @ x) ** 2), x)
    close(JW, expected)


@pytest.mark.parametrize('jac', [func.jacrev, func.jacfwd])
@pytest.mark.parametrize('shape', [(), (1,), (2, 3), (3, 1, 2)])
def test_jacobian_shapes_are_out_shape_plus_in_shape(jac, shape):
    x = numpy.abs(rng.standard_normal(shape)) + 0.5
    f = lambda x: np.log(x) * np.reshape(x, (-1,)).sum()  # noqa: E731
    J = jac(f)(x)
    assert J.shape == shape + shape
    close(J, num_jac(f, x), rtol=1e-6, atol=1e-9)
    g = lambda x: np.sum(x * x, axis=-1) if x.ndim else x * x  # noqa: E731
    Jg = jac(g)(x)
    assert Jg.shape == shape[:-1] + shape
    close(Jg, num_jac(g, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize('jac', [func.jacrev, func.jacfwd])
def test_jacobian_with_argnums_tuple_and_pytree_output(jac):
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    out = jac(lambda x, y: {'p': x[:2] * y, 'q': (x * x).sum()}, argnums=(0, 1))(x, y)
    (dp_dx, dp_dy), (dq_dx, dq_dy) = out['p'], out['q']
    close(dp_dx, numpy.hstack([numpy.diag(y), numpy.zeros((2, 1))]))
    close(dp_dy, numpy.diag(x[:2]))
    close(dq_dx, 2 * x)
    close(dq_dy, numpy.zeros(2))
    assert dq_dy.shape == (2,)


def test_jacobian_has_aux():
    J, aux = func.jacrev(lambda x: (x * 3, x.sum()), has_aux=True)(numpy.ones(2))
    close(J, 3 * numpy.eye(2))
    close(aux, 2.0)
    J, aux = func.jacfwd(lambda x: (x * 3, 'a'), has_aux=True)(numpy.ones(2))
    close(J, 3 * numpy.eye(2))
    assert aux == 'a'


def _count_passes():
    calls = {'backward': 0, 'push': 0}
    real_b, real_p = _engine.backward, _engine.push_tangents

    def b(*a, **k):
        calls['backward'] += 1
        return real_b(*a, **k)

    def p(*a, **k):
        calls['push'] += 1
        return real_p(*a, **k)

    return calls, (b, p), (real_b, real_p)


def test_300_by_300_jacobian_is_one_vectorized_pass():
    W, x = rng.standard_normal((300, 300)) / 20, rng.standard_normal(300)
    f = lambda x: np.tanh(np.matmul(W, x))  # noqa: E731
    expected = (1 - numpy.tanh(W @ x) ** 2)[:, None] * W
    calls, fakes, reals = _count_passes()
    _engine.backward, _engine.push_tangents = fakes
    try:
        start = time.perf_counter()
        Jr = func.jacrev(f)(x)
        Jf = func.jacfwd(f)(x)
        elapsed = time.perf_counter() - start
    finally:
        _engine.backward, _engine.push_tangents = reals
    assert calls == {'backward': 1, 'push': 1}
    close(Jr, expected, atol=1e-12)
    close(Jf, expected, atol=1e-12)
    assert elapsed < 2.0  # 300 separate passes would take far longer


# --- second order ------------------------------------------------------------------------


def quartic(x):
    return (x**3).sum() + np.dot(x, np.array(V4)) ** 2


def quartic_hessian(x):
    return numpy.diag(6 * x) + 2 * numpy.outer(V4, V4)


def test_hessian_and_every_composition_of_jacobians_agree():
    x = rng.standard_normal(4)
    H = quartic_hessian(x)
    close(func.hessian(quartic)(x), H)
    close(func.jacfwd(func.jacrev(quartic))(x), H)
    close(func.jacrev(func.jacrev(quartic))(x), H)
    close(func.jacrev(func.jacfwd(quartic))(x), H)
    close(func.jacfwd(func.jacfwd(quartic))(x), H)
    close(func.jacrev(func.grad(quartic))(x), H)


def test_hessian_of_matrix_argument_and_argnums_tuple():
    W, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    f = lambda W, x: (np.matmul(W, x) ** 2).sum()  # noqa: E731
    (HWW, HWx), (HxW, Hxx) = func.hessian(f, argnums=(0, 1))(W, x)
    assert HWW.shape == (2, 3, 2, 3) and HWx.shape == (2, 3, 3) and HxW.shape == (3, 2, 3)
    close(HWW, 2 * numpy.einsum('ik,j,l->ijkl', numpy.eye(2), x, x))
    close(Hxx, 2 * W.T @ W)
    Wx = W @ x
    # d/dW_kl of the gradient 2 W^T W x: entries 2 (W_kj x_l + delta_jl (Wx)_k)
    expected_xW = 2 * (
        numpy.einsum('kj,l->jkl', W, x) + numpy.einsum('jl,k->jkl', numpy.eye(3), Wx)
    )
    close(HxW, expected_xW)
    close(HWx, numpy.transpose(expected_xW, (1, 2, 0)))


def test_hvp_matches_hessian_times_vector():
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    value, (hv,) = func.hvp(quartic, (x,), (v,))
    close(value, (x**3).sum() + (x @ V4) ** 2)
    close(hv, quartic_hessian(x) @ v)
    W, y = rng.standard_normal((2, 2)), rng.standard_normal(2)
    _, (hW, _hy) = func.hvp(
        lambda W, y: (np.matmul(W, y) ** 2).sum(), (W, y), (numpy.ones((2, 2)), numpy.zeros(2))
    )
    close(hW, 2 * numpy.ones((2, 2)) @ numpy.outer(y, y))


# --- higher order and composition ----------------------------------------------------------


@pytest.mark.parametrize('x0', [-1.3, 0.0, 0.7, 2.0])
def test_third_derivative(x0):
    f = lambda x: np.sin(x) * np.exp(x)  # noqa: E731
    close(
        func.grad(func.grad(func.grad(f)))(x0), 2 * numpy.exp(x0) * (numpy.cos(x0) - numpy.sin(x0))
    )
    close(func.grad(func.grad(func.grad(lambda x: x**3)))(x0), 6.0)


def test_third_derivative_of_vector_function_mixed_modes():
    x = rng.standard_normal(3)
    # d^3/dx^3 of sum(sin(x)): diagonal tensor with -cos(x)
    T = func.jacfwd(func.jacrev(func.grad(lambda x: np.sin(x).sum())))(x)
    expected = numpy.zeros((3, 3, 3))
    expected[range(3), range(3), range(3)] = -numpy.cos(x)
    close(T, expected)


def test_transform_outputs_are_differentiable_to_second_order_numerically():
    f = lambda x: (np.sin(x) * x * x).sum()  # noqa: E731
    check_grad(lambda x: func.grad(f)(x), [numpy.array([0.3, -1.2, 2.0])], order=2)
    check_grad(
        lambda x: func.jvp(lambda y: np.exp(y) * y, (x,), (np.ones(2),))[1],
        [numpy.array([0.4, -0.5])],
        order=2,
    )
    check_grad(
        lambda x: func.vjp(lambda y: np.tanh(y) * y, x)[1](np.array([1.0, 2.0]))[0],
        [numpy.array([0.4, -0.5])],
        order=2,
    )
    check_grad(
        lambda x: func.jacrev(lambda y: np.sin(y) * y.sum())(x), [numpy.array([0.4, -0.5])], order=1
    )


def test_no_perturbation_confusion():
    # inner gradient d(x*y)/dy = x, so f(x) = x * x and f'(2) = 4
    close(func.grad(lambda x: x * func.grad(lambda y: x * y)(3.0))(2.0), 4.0)
    # the classic: d/dx [x * d/dy (x + y)] = d/dx [x] = 1 (confusion gives 2)
    close(func.grad(lambda x: x * func.grad(lambda y: x + y)(x))(2.0), 1.0)
    # the same variable passed to both levels stays two variables
    close(func.grad(lambda x: func.grad(lambda y: x * y * y)(x))(3.0), 2 * 3.0 + 2 * 3.0)
    close(
        func.jacfwd(lambda x: x * func.jvp(lambda y: x + y, (x,), (np.ones(()),))[1])(
            numpy.array(2.0)
        ),
        1.0,
    )


def test_grad_of_a_function_that_calls_jvp():
    # g(x) = d/dt f(x + t v) = f'(x) v with f = sum(x^3); grad g = 6 x v
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    g = func.grad(lambda x: func.jvp(lambda y: (y**3).sum(), (x,), (v,))[1])(x)
    close(g, 6 * x * v)


def test_grad_of_a_function_that_calls_vjp():
    x, u = rng.standard_normal(3), rng.standard_normal(3)
    # h(x) = u . J(x) for f = sin(x) * x; grad_x of its sum = u * f''(x)
    g = func.grad(lambda x: func.vjp(lambda y: np.sin(y) * y, x)[1](u)[0].sum())(x)
    close(g, u * (2 * numpy.cos(x) - x * numpy.sin(x)))


def test_transform_of_a_function_that_records_and_calls_autograd_grad():
    def f(x):
        with autograd.record():
            y = x**3
        (dy,) = autograd.grad(y, [x], create_graph=True)
        return dy.sum()

    x = rng.standard_normal(3)
    close(func.grad(f)(x), 6 * x)
    close(func.jacfwd(func.grad(f))(x), numpy.diag(numpy.full(3, 6.0)))
    assert not autograd.is_recording()


def test_transform_inside_record_is_differentiable_by_backward():
    x = np.array([0.5, 1.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        g = func.grad(lambda x: (x**3).sum())(x)  # 3 x^2, recorded
        z = (g * g).sum()  # 9 x^4
    z.backward()
    close(x.grad, 36 * numpy.array([0.5, 1.0]) ** 3)


def test_closed_over_arrays_are_constants():
    c = np.array([1.0, 2.0], dtype='float64')
    c.attach_grad()
    g = func.grad(lambda x: (x * c).sum())(numpy.array([3.0, 4.0]))
    close(g, [1.0, 2.0])
    close(c.grad, [0.0, 0.0])


def test_values_returned_outside_any_transform_carry_no_graph():
    value, g = func.value_and_grad(lambda x: (x * x).sum())(np.ones(2))
    assert value._node is None and g._node is None
    out, _ = func.vjp(np.sin, np.ones(2))
    assert out._node is None
    assert all(a._node is None for a in func.jvp(np.sin, (np.ones(2),), (np.ones(2),)))
    assert func.hessian(lambda x: (x**3).sum())(np.ones(2))._node is None
    # NumPy arguments: NumPy results
    assert type(func.hessian(lambda x: (x**3).sum())(numpy.ones(2))) is numpy.ndarray


# --- autograd additions ---------------------------------------------------------------------


def test_autograd_grad_wrt_input_and_intermediate():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = 2 * x
        y = np.dot(z, z)
    dx, dz = autograd.grad(y, [x, z], retain_graph=True)
    close(dz, 2 * z.asnumpy())  # dy/dz = 2z
    close(dx, 8 * x.asnumpy())  # dy/dx = 8x
    close(x.grad, numpy.zeros(3))  # returned, .grad untouched
    y.backward()  # the graph through z was not cut
    close(x.grad, 8 * x.asnumpy())


def test_stop_gradient():
    x = np.array([1.0, 2.0, 3.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = (x * autograd.stop_gradient(x)).sum()
    y.backward()
    close(x.grad, [1.0, 2.0, 3.0])
    close(func.grad(lambda x: (x * x * autograd.stop_gradient(x)).sum())(numpy.array([2.0])), [8.0])
    close(func.grad(func.grad(lambda x: x * autograd.stop_gradient(x * x)))(3.0), 0.0)
    assert autograd.stop_gradient(numpy.ones(2))._node is None


# --- batched passes through every rule family, to second order in all four modes ----------


def _setitem_fn(x):
    y = np.zeros(4, dtype='float64')
    y[1:3] = x[:2] ** 2
    return (y * x).sum() ** 2


M34 = rng.standard_normal((3, 4))
SECOND_ORDER = {
    'matmul': (
        lambda x: (np.tanh(np.matmul(np.reshape(x, (3, 4)), np.array(M34.T))) ** 2).sum(),
        (12,),
    ),
    'matmul_vector': (lambda x: np.sin(np.matmul(x[:3], np.array(M34))).sum() * x[3], (4,)),
    'dot': (lambda x: np.dot(np.reshape(x, (2, 3)), np.reshape(x, (3, 2))).sum() ** 2, (6,)),
    'sum_axis': (lambda x: (np.sum(np.reshape(x, (2, 3)) ** 2, axis=0) ** 2).sum(), (6,)),
    'mean_keepdims': (
        lambda x: (
            np.exp(np.mean(np.reshape(x, (2, 3)), axis=1, keepdims=True)) * np.reshape(x, (2, 3))
        ).sum(),
        (6,),
    ),
    'max': (lambda x: np.max(np.reshape(x * x, (2, 3)), axis=1).sum() * x.sum(), (6,)),
    'transpose': (
        lambda x: (np.transpose(np.reshape(x, (2, 3))) * np.array(M34[:3, :2])).sum() ** 2,
        (6,),
    ),
    'getitem': (lambda x: (x[1:4] * x[[0, 0, 2]]).sum() ** 2, (5,)),
    'setitem': (_setitem_fn, (4,)),
    'concatenate': (lambda x: (np.concatenate([x, x * x]) ** 2).sum() * x[0], (3,)),
    'stack': (lambda x: (np.stack([x, np.sin(x)], axis=1) ** 3).sum(), (3,)),
    'broadcast_to': (lambda x: (np.broadcast_to(x, (3, 4)) * np.array(M34)).sum() ** 2, (4,)),
    'implicit_broadcast': (
        lambda x: (np.reshape(x, (2, 1)) * np.reshape(x, (1, 2)) ** 2).sum() ** 2,
        (2,),
    ),
    'expand_squeeze': (lambda x: (np.squeeze(np.expand_dims(x, 0) ** 2, 0) * x).sum(), (3,)),
    'swapaxes': (
        lambda x: (
            (np.swapaxes(np.reshape(x, (2, 3)), 0, 1) ** 2 * np.array(M34[:3, :2])).sum() ** 2
        ),
        (6,),
    ),
    'softmax': (lambda x: (npx.softmax(np.reshape(x, (2, 3))) * np.array(M34[:2, :3])).sum(), (6,)),
    'log_softmax': (
        lambda x: (npx.log_softmax(np.reshape(x, (2, 3)), axis=0) * np.array(M34[:2, :3])).sum(),
        (6,),
    ),
    'where_maximum': (
        lambda x: (np.where(x > 0, x**3, np.sin(x)) + np.maximum(x, 0.1) ** 2 * x).sum(),
        (4,),
    ),
    'norm': (lambda x: np.linalg.norm(x) ** 3, (4,)),
    'divide_power_abs': (lambda x: (x / (1 + x * x)).sum() + (np.abs(x) ** 2.5).sum(), (4,)),
    'sigmoid_relu_sqrt_log': (
        lambda x: (npx.sigmoid(x) * npx.relu(x) * np.sqrt(x * x + 1) * np.log(x * x + 2)).sum(),
        (4,),
    ),
}
HESSIANS = {
    'jacfwd(jacrev)': func.hessian,
    'jacrev(jacrev)': lambda f: func.jacrev(func.jacrev(f)),
    'jacrev(jacfwd)': lambda f: func.jacrev(func.jacfwd(f)),
    'jacfwd(jacfwd)': lambda f: func.jacfwd(func.jacfwd(f)),
}


@pytest.mark.parametrize('name', sorted(SECOND_ORDER))
def test_hessians_in_all_four_modes_match_central_differences(name):
    f, shape = SECOND_ORDER[name]
    x = numpy.random.default_rng(1).standard_normal(shape) + 0.3
    g = func.grad(f)(x)
    close(g, num_jac(f, x), rtol=1e-5, atol=1e-6)
    expected = num_jac(lambda x: func.grad(f)(x), x)
    for label, hessian in HESSIANS.items():
        H = hessian(f)(x)
        assert H.shape == shape + shape, label
        numpy.testing.assert_allclose(
            numpy.asarray(H), expected, rtol=1e-5, atol=1e-6, err_msg=label
        )


def test_jvp_result_does_not_alias_the_tangent():
    t = numpy.ones(3)
    _, out = func.jvp(lambda x: x, (numpy.zeros(3),), (t,))
    out[0] = 5.0
    assert t[0] == 1.0


# --- the documentation's examples run as shown ------------------------------------------------


def test_docs_and_docstring_examples():
    import doctest
    import pathlib

    import ndgrad._custom
    import ndgrad.func

    docs = pathlib.Path(__file__).resolve().parent.parent / 'docs' / 'transforms.md'
    result = doctest.testfile(str(docs), module_relative=False)
    assert result.attempted >= 40 and result.failed == 0
    names = {'autograd': autograd, 'func': func, 'np': np}
    for module in (ndgrad.func, ndgrad._custom):
        result = doctest.testmod(module, extraglobs=names)
        assert result.attempted >= 3 and result.failed == 0, module.__name__


def test_forward_mode_fallback_for_a_multi_output_primitive_without_jvp_rules():
    # the engine transposes the vjp rule; with several outputs it needs one cotangent each
    from ndgrad._primitive import Primitive

    halves = Primitive(
        'halves',
        lambda x: (x[..., :1] * 2.0, x[..., 1:] * 3.0),
        vjps=(lambda xp, g, ans, x: xp.concatenate(g[0] * 2.0, g[1] * 3.0, axis=-1),),
        jvps=None,
        save='shapes',
        nout=2,
    )
    f = lambda x: halves(x)[1] * halves(x)[0]  # 6 x0 x[1:]  # noqa: E731
    x = numpy.array([1.0, 2.0, -1.0])
    _, t = func.jvp(f, (x,), (numpy.array([1.0, 0.5, 2.0]),))
    close(t, 6 * x[1:] * 1.0 + 6 * x[0] * numpy.array([0.5, 2.0]))
    close(func.jacfwd(f)(x), [[12.0, 6.0, 0.0], [-6.0, 0.0, 6.0]])
    close(func.hessian(lambda x: (halves(x)[1] ** 2).sum())(x), numpy.diag([0.0, 18.0, 18.0]))


def test_transforms_leave_no_reference_cycles():
    # what a transform saw (arguments, graph, results) is freed when the caller drops
    # it, not at some later garbage collection: a cycle would hold the arrays and the
    # recorded graph until then
    import gc

    A = np.array(numpy.random.default_rng(0).standard_normal((3, 3)))
    x = np.array([0.5, -1.0, 2.0])

    def f(x):
        return np.tanh(A @ x)

    def scalar(p):
        return (np.tanh(A @ p['w']) ** 2).sum() + p['b'][0].sum() + p['b'][1].sum()

    params = {'w': x, 'b': (np.ones(2), np.zeros(1))}
    calls = [
        lambda: func.jacrev(f)(x),
        lambda: func.jacfwd(f)(x),
        lambda: func.hessian(lambda x: (f(x) ** 2).sum())(x),
        lambda: func.grad(scalar)(params),
        lambda: func.value_and_grad(scalar)(params),
        lambda: func.vjp(f, x)[1](np.ones(3)),
        lambda: func.jvp(f, (x,), (np.ones(3),)),
    ]
    enabled = gc.isenabled()
    gc.disable()
    try:
        for call in calls:
            call()
            gc.collect()
            call()
            assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def _traced_peak(fn, *args):
    """fn(*args) and the peak of the memory NumPy and Python allocated during the call."""
    import tracemalloc

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = fn(*args)
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_jacrev_frees_its_identity_seeds_once_used():
    # the m x m identity cotangents die at the first rule, not at the end of the pass:
    # the peak is the Jacobian and one intermediate, not three m x n arrays
    n = 300
    rng = numpy.random.default_rng(0)
    A, x = np.array(rng.standard_normal((n, n))), np.array(rng.standard_normal(n))
    jac = func.jacrev(lambda x: np.tanh(A @ x))
    jac(x)
    J, peak = _traced_peak(jac, x)
    y = numpy.tanh(A.asnumpy() @ x.asnumpy())
    close(J, (1 - y * y)[:, None] * A.asnumpy())
    assert peak < 2.5 * n * n * 8


def test_forward_mode_drops_each_tangent_after_its_last_use():
    # a deep chain: the pass holds a few n x n tangents at a time, not one per op
    n, depth = 200, 40

    def f(x):
        for _ in range(depth):
            x = np.tanh(x) * 1.01
        return x

    x = np.array(numpy.linspace(-1, 1, n))
    jac = func.jacfwd(f)
    jac(x)
    J, peak = _traced_peak(jac, x)
    expected = x.asnumpy()
    d = numpy.ones(n)
    for _ in range(depth):
        d = d * (1 - numpy.tanh(expected) ** 2) * 1.01
        expected = numpy.tanh(expected) * 1.01
    close(J, numpy.diag(d))
    assert peak < 6 * n * n * 8  # (holding every tangent: 2 * depth of them)


def test_vjp_fn_is_not_changed_by_numpy_writes_into_a_primal():
    x = numpy.array([1.0, 2.0])
    _, pullback = func.vjp(lambda v: v * v, x)
    x[0] = 5.0  # NumPy code, after linearizing at x: ndgrad cannot see the write
    numpy.testing.assert_allclose(pullback(numpy.ones(2))[0], [2.0, 4.0])

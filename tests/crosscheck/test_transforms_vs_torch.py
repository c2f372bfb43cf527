"""ndgrad.func against torch.func on non-trivial functions, in float64.

Each function is written twice, once with ndgrad's NumPy API and once with torch
ops; the transforms (grad, value_and_grad, vjp, jvp, jacrev, jacfwd, hessian,
hvp, and their compositions) must give the same values and the same pytree
structures.
"""

import math

import numpy
import pytest

torch = pytest.importorskip('torch')

from ndgrad import func, np, npx  # noqa: E402

T = torch
F = torch.nn.functional
TF = torch.func


# --- helpers --------------------------------------------------------------------------


def nd(x):
    """NumPy leaves of a pytree as ndgrad arrays."""
    return _map(lambda a: np.array(a), x)


def th(x):
    return _map(lambda a: T.tensor(a), x)


def _map(fn, tree):
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(fn, v) for v in tree)
    if isinstance(tree, numpy.ndarray):
        return fn(tree)
    return tree


def assert_same(got, want, what, rtol=1e-9, atol=1e-11):
    """Same pytree structure (dict keys, tuple/list lengths), same leaves."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (
            f'{what}: keys {sorted(got) if isinstance(got, dict) else type(got)}'
        )
        for k in want:
            assert_same(got[k], want[k], f'{what}[{k!r}]', rtol, atol)
        return
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), (
            f'{what}: {type(got).__name__} where torch has a {type(want).__name__} of '
            f'{len(want)} items'
        )
        for k, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f'{what}[{k}]', rtol, atol)
        return
    want = want.detach().numpy() if isinstance(want, T.Tensor) else numpy.asarray(want)
    got = got.asnumpy() if hasattr(got, 'asnumpy') else numpy.asarray(got)
    assert got.shape == want.shape, f'{what}: shape {got.shape}, torch {want.shape}'
    assert got.dtype == numpy.float64, f'{what}: dtype {got.dtype}'
    scale = 1.0 + numpy.max(numpy.abs(want), initial=0.0)
    numpy.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=what)


RNG = numpy.random.default_rng(1234)


def normal(*shape, scale=1.0):
    return numpy.asarray(RNG.standard_normal(shape) * scale)


# --- the functions, in both APIs ------------------------------------------------------


def mlp_layer_nd(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def mlp_layer_th(w, b, x):
    return T.sum(T.tanh(x @ w + b) ** 2)


def mlp_nd(params, x, y):
    h = npx.gelu(x @ params['w1'] + params['b1'])
    out = h @ params['w2'] + params['b2']
    return np.mean((out - y) ** 2)


def mlp_th(params, x, y):
    h = F.gelu(x @ params['w1'] + params['b1'])
    out = h @ params['w2'] + params['b2']
    return T.mean((out - y) ** 2)


LABELS = numpy.array([2, 0, 1, 2])


def xent_nd(w, x):
    logits = x @ w
    logp = npx.log_softmax(logits, axis=-1)
    loss = -np.mean(npx.pick(logp, np.array(LABELS), axis=-1))
    return loss, logits


def xent_th(w, x):
    logits = x @ w
    loss = F.cross_entropy(logits, T.tensor(LABELS))
    return loss, logits


def logdet_nd(a):
    spd = a @ a.T + np.eye(a.shape[0], dtype='float64')
    return np.linalg.slogdet(spd)[1]


def logdet_th(a):
    spd = a @ a.T + T.eye(a.shape[0], dtype=a.dtype)
    return T.linalg.slogdet(spd)[1]


def norms_nd(x, m):
    return (
        np.linalg.norm(x)
        + np.linalg.norm(x, ord=3) * np.linalg.norm(m, 'fro')
        + np.linalg.norm(m, 'nuc')
        + np.linalg.vector_norm(m, ord=1, axis=0).sum()
    )


def norms_th(x, m):
    return (
        T.linalg.vector_norm(x)
        + T.linalg.vector_norm(x, 3) * T.linalg.matrix_norm(m)
        + T.linalg.matrix_norm(m, 'nuc')
        + T.linalg.vector_norm(m, 1, 0).sum()
    )


def pytree_nd(pair, scale, table):
    a, b = pair
    return np.sum(np.sin(a) * b) * scale + np.sum(table['c'] ** 3) / (
        1 + np.sum(table['d'][0] ** 2)
    )


def pytree_th(pair, scale, table):
    a, b = pair
    return T.sum(T.sin(a) * b) * scale + T.sum(table['c'] ** 3) / (1 + T.sum(table['d'][0] ** 2))


def attention_nd(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    return npx.softmax(scores, axis=-1) @ v


def attention_th(q, k, v):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return T.softmax(scores, -1) @ v


def rosenbrock_nd(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_th(x):
    return T.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def layer_nd(x, g, b):
    return npx.layer_norm(np.tanh(x) * np.exp(-x * x), g, b)


def layer_th(x, g, b):
    return F.layer_norm(T.tanh(x) * T.exp(-x * x), (x.shape[-1],), g, b, 1e-5)


def scalar_nd(x):
    return np.sin(x) * np.exp(0.5 * x) + np.log1p(x * x)


def scalar_th(x):
    return T.sin(x) * T.exp(0.5 * x) + T.log1p(x * x)


def two_outputs_nd(a, b):
    return np.tanh(a) @ b, np.sum(a * a, axis=0) * np.cumprod(b[:, 0])[-1]


def two_outputs_th(a, b):
    return T.tanh(a) @ b, T.sum(a * a, 0) * T.cumprod(b[:, 0], 0)[-1]


# --- inputs ---------------------------------------------------------------------------

W, B, X = normal(3, 4), normal(4), normal(5, 3)
PARAMS = {
    'w1': normal(3, 4, scale=0.7),
    'b1': normal(4),
    'w2': normal(4, 2, scale=0.7),
    'b2': normal(2),
}
Y = normal(5, 2)
XW, XX = normal(3, 3), normal(4, 3)
A = normal(3, 3)
VEC, MAT = normal(4), normal(3, 2)
PAIR = (normal(2, 3), normal(3))
TABLE = {'c': normal(2), 'd': [normal(2, 2), normal(1)]}
Q, K, V = normal(2, 3), normal(4, 3), normal(4, 2)
ROS = RNG.uniform(-1.5, 1.5, 4)
LX, LG, LB = normal(2, 4), normal(4), normal(4)


# --- reverse mode ---------------------------------------------------------------------


def test_grad_of_an_mlp_layer_with_argnums_tuple():
    got = func.grad(mlp_layer_nd, argnums=(0, 1))(*nd((W, B, X)))
    want = TF.grad(mlp_layer_th, argnums=(0, 1))(*th((W, B, X)))
    assert_same(got, want, 'grad')


def test_value_and_grad_of_an_mlp_over_a_parameter_dict():
    value, got = func.value_and_grad(mlp_nd)(nd(PARAMS), nd(X), nd(Y))
    want, want_value = TF.grad_and_value(mlp_th)(th(PARAMS), th(X), th(Y))
    assert_same(value, want_value, 'value')
    assert_same(got, want, 'grad')


def test_softmax_cross_entropy_value_and_grad_with_aux():
    (loss, logits), got = func.value_and_grad(xent_nd, has_aux=True)(*nd((XW, XX)))
    want, (want_loss, want_logits) = TF.grad_and_value(xent_th, has_aux=True)(*th((XW, XX)))
    assert_same(loss, want_loss, 'loss')
    assert_same(logits, want_logits, 'aux')
    assert_same(got, want, 'grad')
    g, aux = func.grad(xent_nd, has_aux=True)(*nd((XW, XX)))
    assert_same(g, want, 'grad with aux')
    assert_same(aux, want_logits, 'aux of grad')


def test_vjp_of_two_outputs_with_several_cotangents():
    a, b = normal(3, 2), normal(2, 3)
    out, pullback = func.vjp(two_outputs_nd, *nd((a, b)))
    t_out, t_pullback = TF.vjp(two_outputs_th, *th((a, b)))
    assert_same(out, t_out, 'outputs')
    for _ in range(2):  # a pullback may be called again
        cots = (normal(3, 3), normal(2))
        assert_same(pullback(nd(cots)), t_pullback(th(cots)), 'vjp')


def test_jacrev_of_attention_with_argnums_and_aux():
    jac = func.jacrev(attention_nd, argnums=(0, 2))(*nd((Q, K, V)))
    want = TF.jacrev(attention_th, argnums=(0, 2))(*th((Q, K, V)))
    assert_same(jac, want, 'jacrev')

    def with_aux_nd(q):
        out = attention_nd(q, *nd((K, V)))
        return out, np.sum(out)

    def with_aux_th(q):
        out = attention_th(q, *th((K, V)))
        return out, T.sum(out)

    jac, aux = func.jacrev(with_aux_nd, has_aux=True)(nd(Q))
    want, want_aux = TF.jacrev(with_aux_th, has_aux=True)(th(Q))
    assert_same(jac, want, 'jacrev with aux')
    assert_same(aux, want_aux, 'aux')


def test_grad_of_logdet_of_an_spd_matrix():
    assert_same(func.grad(logdet_nd)(nd(A)), TF.grad(logdet_th)(th(A)), 'grad')
    assert_same(func.hessian(logdet_nd)(nd(A)), TF.hessian(logdet_th)(th(A)), 'hessian')


def test_norms_grad_and_hessian_with_argnums():
    args = (VEC, MAT)
    assert_same(
        func.grad(norms_nd, argnums=(0, 1))(*nd(args)),
        TF.grad(norms_th, argnums=(0, 1))(*th(args)),
        'grad',
    )
    assert_same(
        func.hessian(norms_nd, argnums=(0, 1))(*nd(args)),
        TF.hessian(norms_th, argnums=(0, 1))(*th(args)),
        'hessian blocks',
        rtol=1e-8,
    )


def test_pytree_arguments_and_argnums():
    args = (PAIR, 1.7, TABLE)
    got = func.grad(pytree_nd, argnums=(0, 2))(nd(PAIR), 1.7, nd(TABLE))
    want = TF.grad(pytree_th, argnums=(0, 2))(th(PAIR), 1.7, th(TABLE))
    assert_same(got, want, 'grad')
    assert isinstance(got[1]['d'], list) and isinstance(got[0], tuple)
    jac = func.jacfwd(pytree_nd, argnums=2)(*nd(args))
    assert_same(jac, TF.jacfwd(pytree_th, argnums=2)(*th(args)), 'jacfwd')
    single = func.grad(pytree_nd, argnums=1)(nd(PAIR), numpy.float64(1.7), nd(TABLE))
    want = TF.grad(pytree_th, argnums=1)(th(PAIR), T.tensor(1.7, dtype=T.float64), th(TABLE))
    assert_same(single, want, 'grad wrt a scalar')


# --- forward mode ---------------------------------------------------------------------


def test_jvp_of_two_outputs():
    a, b = normal(3, 2), normal(2, 3)
    ta, tb = normal(3, 2), normal(2, 3)
    out, tangent = func.jvp(two_outputs_nd, nd((a, b)), nd((ta, tb)))
    want_out, want = TF.jvp(two_outputs_th, th((a, b)), th((ta, tb)))
    assert_same(out, want_out, 'outputs')
    assert_same(tangent, want, 'tangents')


def test_jvp_over_a_parameter_dict():
    tangent = _map(lambda a: RNG.standard_normal(a.shape), PARAMS)
    out, got = func.jvp(lambda p: mlp_nd(p, nd(X), nd(Y)), (nd(PARAMS),), (nd(tangent),))
    want_out, want = TF.jvp(lambda p: mlp_th(p, th(X), th(Y)), (th(PARAMS),), (th(tangent),))
    assert_same(out, want_out, 'value')
    assert_same(got, want, 'tangent')


def test_jacfwd_and_jacrev_of_layer_norm_chain():
    args = (LX, LG, LB)
    want = TF.jacrev(layer_th, argnums=(0, 1, 2))(*th(args))
    assert_same(func.jacfwd(layer_nd, argnums=(0, 1, 2))(*nd(args)), want, 'jacfwd')
    assert_same(func.jacrev(layer_nd, argnums=(0, 1, 2))(*nd(args)), want, 'jacrev')


# --- second and higher order ----------------------------------------------------------


def test_hessian_and_hvp_of_rosenbrock():
    v = normal(4)
    assert_same(func.hessian(rosenbrock_nd)(nd(ROS)), TF.hessian(rosenbrock_th)(th(ROS)), 'hessian')
    value, (product,) = func.hvp(rosenbrock_nd, (nd(ROS),), (nd(v),))
    _, want = TF.jvp(TF.grad(rosenbrock_th), (th(ROS),), (th(v),))
    assert_same(product, want, 'hvp')
    assert_same(value, rosenbrock_th(th(ROS)), 'value')


def test_hvp_of_an_mlp_over_a_parameter_dict():
    v = _map(lambda a: RNG.standard_normal(a.shape), PARAMS)
    _, (got,) = func.hvp(lambda p: mlp_nd(p, nd(X), nd(Y)), (nd(PARAMS),), (nd(v),))
    _, want = TF.jvp(TF.grad(lambda p: mlp_th(p, th(X), th(Y))), (th(PARAMS),), (th(v),))
    assert_same(got, want, 'hvp')


def test_jacfwd_of_jacrev_and_jacrev_of_jacrev_of_a_vector_function():
    def f_nd(x):
        return np.stack([np.sum(x**3), np.prod(np.sin(x)), np.linalg.norm(x) * x[0]])

    def f_th(x):
        return T.stack([T.sum(x**3), T.prod(T.sin(x)), T.linalg.vector_norm(x) * x[0]])

    x = normal(3)
    want = TF.jacfwd(TF.jacrev(f_th))(th(x))
    assert_same(func.jacfwd(func.jacrev(f_nd))(nd(x)), want, 'jacfwd(jacrev)')
    assert_same(func.jacrev(func.jacrev(f_nd))(nd(x)), want, 'jacrev(jacrev)')
    assert_same(func.jacrev(func.jacfwd(f_nd))(nd(x)), want, 'jacrev(jacfwd)')
    assert_same(func.jacfwd(func.jacfwd(f_nd))(nd(x)), want, 'jacfwd(jacfwd)')


def test_third_derivatives_grad_of_grad_of_grad():
    for x in (0.3, -1.2, 2.5):
        g3 = func.grad(func.grad(func.grad(scalar_nd)))(x)
        want = TF.grad(TF.grad(TF.grad(scalar_th)))(T.tensor(x, dtype=T.float64))
        assert_same(g3, want, f'third derivative at {x}')
    x = normal(3)
    got = func.jacfwd(func.hessian(lambda v: np.sum(scalar_nd(v) * v[::-1])))(nd(x))
    want = TF.jacfwd(TF.hessian(lambda v: T.sum(scalar_th(v) * v.flip(0))))(th(x))
    assert_same(got, want, 'third-derivative tensor')


def test_grad_through_an_inner_gradient_step():
    """Meta-learning: the loss after one gradient step, differentiated through it."""

    def inner_nd(w):
        return np.sum(np.tanh(nd(XX) @ w) ** 2)

    def inner_th(w):
        return T.sum(T.tanh(th(XX) @ w) ** 2)

    def outer_nd(w):
        return inner_nd(w - 0.1 * func.grad(inner_nd)(w)) + np.sum(w**2)

    def outer_th(w):
        return inner_th(w - 0.1 * TF.grad(inner_th)(w)) + T.sum(w**2)

    assert_same(func.grad(outer_nd)(nd(XW)), TF.grad(outer_th)(th(XW)), 'meta-gradient')
    assert_same(
        func.hessian(outer_nd)(nd(XW)), TF.hessian(outer_th)(th(XW)), 'meta-Hessian', rtol=1e-8
    )


def test_hessian_of_cross_entropy_over_argnums():
    def loss_nd(w, x):
        return xent_nd(w, x)[0]

    def loss_th(w, x):
        return xent_th(w, x)[0]

    got = func.hessian(loss_nd, argnums=(0, 1))(*nd((XW, XX)))
    want = TF.hessian(loss_th, argnums=(0, 1))(*th((XW, XX)))
    assert_same(got, want, 'hessian blocks')


# --- structured outputs ---------------------------------------------------------------


def dict_out_nd(x, y):
    return {'prod': np.outer(x, y), 'mixed': (np.sum(np.exp(x)) * y, np.dot(x[:2], y))}


def dict_out_th(x, y):
    return {'prod': T.outer(x, y), 'mixed': (T.sum(T.exp(x)) * y, T.dot(x[:2], y))}


def test_jacobians_of_a_dict_output_with_argnums():
    x, y = normal(3), normal(2)
    want = TF.jacrev(dict_out_th, argnums=(0, 1))(*th((x, y)))
    assert_same(func.jacrev(dict_out_nd, argnums=(0, 1))(*nd((x, y))), want, 'jacrev')
    assert_same(func.jacfwd(dict_out_nd, argnums=(0, 1))(*nd((x, y))), want, 'jacfwd')


def test_vjp_and_jvp_with_dict_outputs():
    x, y = normal(3), normal(2)
    cot = {'prod': normal(3, 2), 'mixed': (normal(2), normal())}
    _, pullback = func.vjp(dict_out_nd, *nd((x, y)))
    _, t_pullback = TF.vjp(dict_out_th, *th((x, y)))
    assert_same(pullback(nd(cot)), t_pullback(th(cot)), 'vjp')
    tangents = (normal(3), normal(2))
    _, got = func.jvp(dict_out_nd, nd((x, y)), nd(tangents))
    _, want = TF.jvp(dict_out_th, th((x, y)), th(tangents))
    assert_same(got, want, 'jvp')


def test_hvp_with_several_primals_and_jacfwd_with_aux():
    args, vs = (W, B, X), (normal(3, 4), normal(4), normal(5, 3))
    value, got = func.hvp(mlp_layer_nd, nd(args), nd(vs))
    _, want = TF.jvp(TF.grad(mlp_layer_th, argnums=(0, 1, 2)), th(args), th(vs))
    assert_same(value, mlp_layer_th(*th(args)), 'value')
    assert_same(got, want, 'hvp')

    def f_nd(x):
        return np.tanh(x) * x[::-1], np.sum(x)

    def f_th(x):
        return T.tanh(x) * x.flip(0), T.sum(x)

    x = normal(4)
    jac, aux = func.jacfwd(f_nd, has_aux=True)(nd(x))
    want_jac, want_aux = TF.jacfwd(f_th, has_aux=True)(th(x))
    assert_same(jac, want_jac, 'jacfwd with aux')
    assert_same(aux, want_aux, 'aux')


def test_scalar_and_0d_arguments():
    for x in (0.7, numpy.float64(-0.4), numpy.array(1.3)):
        got = func.value_and_grad(scalar_nd)(x)
        want = TF.grad_and_value(scalar_th)(T.tensor(x, dtype=T.float64))
        assert_same(got, want[::-1], f'value_and_grad at {x!r}')
        assert_same(
            func.hessian(scalar_nd)(x),
            TF.hessian(scalar_th)(T.tensor(x, dtype=T.float64)),
            'hessian',
        )
        assert_same(
            func.jacfwd(scalar_nd)(x), TF.jacfwd(scalar_th)(T.tensor(x, dtype=T.float64)), 'jacfwd'
        )

"""Targeted properties of the engine, checked on Hypothesis-built random programs
(see tests/engine/test_graph_properties.py): accumulation over repeated uses, pruning,
linearity in the head gradient, batched passes against loops of single passes,
forward mode as transposed reverse mode, float32 end to end, and threads."""

import threading

import numpy
import pytest
from hypothesis import given, note, settings, strategies as st

from ndgrad import _engine, autograd, func, np
from ndgrad._errors import InPlaceModificationError
from ndgrad._graph import Leaf
from ndgrad._ndarray import wrap
from ndgrad._primitive import Primitive
from ndgrad._state import scope
from ndgrad.testing import numerical_jacobian
from tests.engine.test_graph_properties import (
    SETTINGS,
    _inputs,
    _reference,
    _weights,
    close,
    programs,
)

SEEDS = st.integers(0, 2**16)


def _variables(xs, req='write'):
    out = []
    for x in xs:
        v = np.array(numpy.asarray(x))
        v.attach_grad(req)
        out.append(v)
    return out


def _record(program, variables):
    with autograd.record():
        return program(*variables)


def _grads(program, xs, w, **kwargs):
    """autograd.grad of the program with head gradient `w`, as NumPy arrays."""
    variables = _variables(xs)
    y = _record(program, variables)
    return [g.asnumpy() for g in autograd.grad(y, variables, head_grads=np.array(w), **kwargs)]


# --- accumulation --------------------------------------------------------------------


@settings(max_examples=50, **SETTINGS)
@given(program=programs(), seed=SEEDS)
def test_a_function_used_twice_accumulates_both_uses(program, seed):
    """The same function recorded twice on the same variables, one result reused
    by two ops (a diamond), and two retained backward passes into 'add' buffers."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    w1, w2 = _weights(program.out_shape, seed), _weights(program.out_shape, seed + 7)
    g1, g2 = _grads(program, xs, w1), _grads(program, xs, w2)

    variables = _variables(xs)
    with autograd.record():
        loss = (program(*variables) * w1).sum() + (program(*variables) * w2).sum()
    for g, a, b in zip(autograd.grad(loss, variables), g1, g2):
        close(g, a + b, rtol=1e-10, atol=1e-12, what='two recordings')

    with autograd.record():
        y = program(*variables)
        loss = (y * w1).sum() + (y * w2).sum()
    for g, a, b in zip(autograd.grad(loss, variables), g1, g2):
        close(g, a + b, rtol=1e-10, atol=1e-12, what='one result used twice')

    variables = _variables(xs, 'add')
    y = _record(program, variables)
    y.backward(np.array(w1), retain_graph=True)
    y.backward(np.array(w2))
    for v, a, b in zip(variables, g1, g2):
        close(v.grad, a + b, rtol=1e-10, atol=1e-12, what="'add' over two passes")

    sum_twice = func.grad(
        lambda *a: (program(*a) * w1).sum() + (program(*a) * w2).sum(),
        argnums=tuple(range(len(xs))),
    )(*xs)
    for g, a, b in zip(sum_twice, g1, g2):
        close(g, a + b, rtol=1e-10, atol=1e-12, what='func.grad')


# --- pruning -------------------------------------------------------------------------


class Spy:
    """An identity primitive per input whose rules count their calls."""

    def __init__(self):
        self.vjp_calls = 0
        self.jvp_calls = 0

        def vjp(xp, g, ans, x):
            self.vjp_calls += 1
            return g

        def jvp(xp, t, ans, x):
            self.jvp_calls += 1
            return t

        self.prim = Primitive('spy', lambda x: x.copy(), vjps=(vjp,), jvps=(jvp,), save='shapes')


@settings(max_examples=50, **SETTINGS)
@given(program=programs(), seed=SEEDS, data=st.data())
def test_pruning_never_runs_the_rules_of_other_variables(program, seed, data):
    """autograd.grad wrt some inputs runs no rule on a path to the others only; a
    spied input's rule runs once (its uses are summed first); forward mode from one
    input never touches the others' ops."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    n = len(xs)
    wanted = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    spies = [Spy() for _ in xs]
    variables = _variables(xs)
    with autograd.record():
        y = program(*[s.prim(v) for s, v in zip(spies, variables)])
    w = _weights(program.out_shape, seed)
    grads = autograd.grad(
        y, [variables[i] for i in wanted], head_grads=np.array(w), retain_graph=True
    )
    for i, spy in enumerate(spies):
        assert spy.vjp_calls == (1 if i in wanted else 0), (i, wanted)
        assert spy.jvp_calls == 0
    expected = _grads(program, xs, w)
    for i, g in zip(wanted, grads):
        close(g, expected[i], rtol=1e-12, atol=1e-12)

    # backward fills the buffers of the variables only: still one call per spy
    y.backward(np.array(w), retain_graph=True)
    for i, spy in enumerate(spies):
        assert spy.vjp_calls == (2 if i in wanted else 1) and spy.jvp_calls == 0

    # forward mode seeded at one input
    i = wanted[0]
    _engine.push_tangents([y._node], {variables[i]._node: numpy.ones(xs[i].shape)})
    assert [s.jvp_calls for s in spies] == [int(k == i) for k in range(n)]


# --- linearity in the head gradient --------------------------------------------------


@settings(max_examples=50, **SETTINGS)
@given(
    program=programs(),
    seed=SEEDS,
    a=st.sampled_from([0.0, 1.0, -2.5, 0.125]),
    b=st.sampled_from([1.0, -1.0, 3.0]),
)
def test_backward_is_linear_in_the_head_gradient(program, seed, a, b):
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    g1, g2 = _weights(program.out_shape, seed), _weights(program.out_shape, seed + 3)
    grads1, grads2 = _grads(program, xs, g1), _grads(program, xs, g2)
    combined = _grads(program, xs, a * g1 + b * g2)
    for c, x1, x2 in zip(combined, grads1, grads2):
        close(c, a * x1 + b * x2, rtol=1e-10, atol=1e-12)
    # the same through backward(), reusing one retained graph for the three passes
    variables = _variables(xs)
    y = _record(program, variables)
    y.backward(np.array(g1), retain_graph=True)
    r1 = [v.grad.asnumpy() for v in variables]
    y.backward(np.array(g2), retain_graph=True)
    r2 = [v.grad.asnumpy() for v in variables]
    y.backward(np.array(a * g1 + b * g2))
    for v, x1, x2, e1, e2 in zip(variables, r1, r2, grads1, grads2):
        numpy.testing.assert_array_equal(x1, e1)
        numpy.testing.assert_array_equal(x2, e2)
        close(v.grad, a * x1 + b * x2, rtol=1e-10, atol=1e-12)


# --- batched passes ------------------------------------------------------------------


def _leaves(xs):
    return [
        wrap(numpy.array(x), Leaf(numpy.shape(x), numpy.asarray(x).dtype, None, 'write'))
        for x in xs
    ]


def _recorded(program, leaves):
    with scope(True):
        return program(*leaves)


def _value(g, shape):
    if g is None:
        return numpy.zeros(shape)
    return numpy.asarray(g._data if hasattr(g, '_data') else g)


@settings(max_examples=50, **SETTINGS)
@given(
    program=programs(),
    seed=SEEDS,
    batch=st.sampled_from([(1,), (3,), (2, 2)]),
    create_graph=st.booleans(),
)
def test_batched_backward_equals_a_loop_of_single_backwards(program, seed, batch, create_graph):
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    rng = numpy.random.default_rng(seed)
    seeds = rng.standard_normal(batch + program.out_shape)
    leaves = _leaves(xs)
    y = _recorded(program, leaves)
    head = wrap(seeds) if create_graph else seeds
    batched = _engine.backward(
        [y],
        [head],
        variables=[v._node for v in leaves],
        create_graph=create_graph,
        retain_graph=True,
        nbatch=len(batch),
    )
    for idx in numpy.ndindex(*batch):
        single = _engine.backward(
            [y], [seeds[idx]], variables=[v._node for v in leaves], retain_graph=True
        )
        for b, s, x in zip(batched, single, xs):
            b = _value(b, batch + x.shape)
            assert b.shape == batch + x.shape
            close(b[idx], _value(s, x.shape), rtol=1e-10, atol=1e-12, what=f'batch entry {idx}')


@settings(max_examples=50, **SETTINGS)
@given(
    program=programs(),
    seed=SEEDS,
    batch=st.sampled_from([(), (1,), (3,), (2, 2)]),
    create_graph=st.booleans(),
    data=st.data(),
)
def test_forward_mode_is_transposed_reverse_mode(program, seed, batch, create_graph, data):
    """<u, J v> = <J^T u, v> for random u and (batches of) v, J the program's Jacobian
    with respect to one input, and J v from push_tangents."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    i = data.draw(st.integers(0, len(xs) - 1))
    rng = numpy.random.default_rng(seed)
    u = rng.standard_normal(program.out_shape)
    v = rng.standard_normal(batch + xs[i].shape)
    leaves = _leaves(xs)
    y = _recorded(program, leaves)
    seed_v = wrap(v) if create_graph else v
    (jv,) = _engine.push_tangents(
        [y._node], {leaves[i]._node: seed_v}, create_graph=create_graph, nbatch=len(batch)
    )
    jv = _value(jv, batch + program.out_shape)
    assert jv.shape == batch + program.out_shape
    (jtu,) = _engine.backward([y], [u], variables=[leaves[i]._node])
    jtu = _value(jtu, xs[i].shape)
    n_in, n_out = xs[i].ndim, len(program.out_shape)
    lhs = (jv * u).sum(axis=tuple(range(jv.ndim - n_out, jv.ndim)))
    rhs = (v * jtu).sum(axis=tuple(range(v.ndim - n_in, v.ndim)))
    close(lhs, rhs, rtol=1e-10, atol=1e-10)


# --- float32 -------------------------------------------------------------------------


@settings(max_examples=40, **SETTINGS)
@given(program=programs(max_size=16), seed=SEEDS)
def test_float32_inputs_give_float32_gradients(program, seed):
    """Values, gradients (backward, autograd.grad, func.grad, jacfwd) and second
    derivatives stay float32 and agree with the float64 run to float32 precision."""
    note(program.describe())
    xs64 = _inputs(program, seed)
    _reference(program, xs64)
    xs = [x.astype(numpy.float32) for x in xs64]
    n = len(xs)
    w = _weights(program.out_shape, seed).astype(numpy.float32)
    expected = _grads(program, [x.astype(numpy.float64) for x in xs], w.astype(numpy.float64))
    tol = dict(rtol=2e-3, atol=2e-4)

    variables = _variables(xs)
    y = _record(program, variables)
    assert y.dtype == numpy.float32
    y.backward(np.array(w))
    for v, e in zip(variables, expected):
        assert v.grad.dtype == numpy.float32
        close(v.grad, e, what='backward', **tol)
    y = _record(program, variables)
    for g, e in zip(autograd.grad(y, variables, head_grads=np.array(w)), expected):
        assert g.dtype == numpy.float32
        close(g, e, what='autograd.grad', **tol)

    def loss(*a):
        return (program(*a) * w).sum()

    argnums = tuple(range(n))
    for g, e in zip(func.grad(loss, argnums=argnums)(*xs), expected):
        assert g.dtype == numpy.float32
        close(g, e, what='func.grad', **tol)
    jac = func.jacfwd(program, argnums=argnums)(*xs)
    for j, e in zip(jac, expected):
        assert j.dtype == numpy.float32
        contracted = numpy.tensordot(w, numpy.asarray(j), axes=w.ndim) if w.ndim else w * j
        close(contracted, e, what='jacfwd', **tol)

    hess = func.hessian(loss, argnums=0)(*xs)
    hess64 = func.hessian(lambda *a: (program(*a) * w.astype(numpy.float64)).sum(), argnums=0)(
        *[x.astype(numpy.float64) for x in xs]
    )
    assert hess.dtype == numpy.float32
    close(hess, hess64, what='hessian', rtol=5e-3, atol=1e-3)


@settings(max_examples=30, **SETTINGS)
@given(program=programs(max_size=16), seed=SEEDS, data=st.data())
def test_mixed_precision_inputs_get_gradients_of_their_own_dtype(program, seed, data):
    """float32 and float64 inputs in one program: each gradient has its input's dtype
    (reverse mode, func.grad, jacrev), tangents have the output's (forward mode)."""
    note(program.describe())
    xs64 = _inputs(program, seed)
    _reference(program, xs64)
    dtypes = [
        data.draw(st.sampled_from([numpy.float32, numpy.float64]), label=f'dtype {i}')
        for i in range(len(xs64))
    ]
    xs = [x.astype(d) for x, d in zip(xs64, dtypes)]
    variables = _variables(xs)
    y = _record(program, variables)
    w = _weights(program.out_shape, seed).astype(y.dtype)
    expected = _grads(program, xs64, w.astype(numpy.float64))
    tol = dict(rtol=2e-3, atol=2e-4)
    y.backward(np.array(w), retain_graph=True)
    grads = autograd.grad(y, variables, head_grads=np.array(w))
    by_func = func.grad(lambda *a: (program(*a) * w).sum(), argnums=tuple(range(len(xs))))(*xs)
    jac = func.jacrev(program, argnums=tuple(range(len(xs))))(*xs)
    for v, g, f, j, e, d in zip(variables, grads, by_func, jac, expected, dtypes):
        assert v.grad.dtype == d and g.dtype == d and f.dtype == d and j.dtype == d
        for got in (v.grad, g, f):
            close(got, e, **tol)
    leaves = _leaves(xs)
    out = _recorded(program, leaves)
    for leaf, x in zip(leaves, xs):
        (t,) = _engine.push_tangents([out._node], {leaf._node: numpy.ones(x.shape, x.dtype)})
        if t is not None:
            assert numpy.asarray(t).dtype == out.dtype


# --- threads -------------------------------------------------------------------------


@settings(max_examples=10, **SETTINGS)
@given(a=programs(max_size=12), b=programs(max_size=12), seed=SEEDS)
def test_two_threads_record_and_differentiate_independent_graphs(a, b, seed):
    """Each thread records its own program and differentiates it (backward,
    autograd.grad, func.grad, second order) many times, interleaved with the other
    thread; recording state is per thread."""
    note(a.describe() + '\n' + b.describe())
    jobs = []
    for k, program in enumerate((a, b)):
        xs = _inputs(program, seed + k)
        _reference(program, xs)
        w = _weights(program.out_shape, seed + k)
        jobs.append((program, xs, w, _grads(program, xs, w)))
    barrier = threading.Barrier(2)
    errors = []

    def work(program, xs, w, expected, inside_record):
        try:
            for _ in range(10):
                barrier.wait()  # lockstep: both threads in their passes at once
                assert autograd.is_recording() == inside_record
                variables = _variables(xs)
                with autograd.record():
                    y = program(*variables)
                y.backward(np.array(w))
                for v, e in zip(variables, expected):
                    close(v.grad, e, rtol=1e-10, atol=1e-12, what='backward')
                y = _record(program, variables)
                grads = autograd.grad(y, variables, head_grads=np.array(w))
                for g, e in zip(grads, expected):
                    close(g, e, rtol=1e-10, atol=1e-12, what='autograd.grad')
                loss = lambda *x: (program(*x) * w).sum()  # noqa: E731
                grads = func.grad(loss, argnums=tuple(range(len(xs))))(*xs)
                for g, e in zip(grads, expected):
                    close(g, e, rtol=1e-10, atol=1e-12, what='func.grad')
                func.hvp(loss, tuple(xs), tuple(numpy.ones_like(x) for x in xs))
                assert autograd.is_recording() == inside_record
        except Exception as error:  # re-raised by the main thread
            errors.append(error)
            barrier.abort()

    def recording(*job):
        with autograd.record():  # this thread records; the other must not notice
            work(*job, True)

    threads = [
        threading.Thread(target=work, args=(*jobs[0], False)),
        threading.Thread(target=recording, args=jobs[1]),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    real = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if real:
        raise real[0]
    assert not errors and not any(t.is_alive() for t in threads)
    assert not autograd.is_recording()


# --- gradient buffers that carry a history -------------------------------------------


@settings(max_examples=40, **SETTINGS)
@given(
    program=programs(max_size=12, max_ops=5),
    seed=SEEDS,
    req=st.sampled_from(['write', 'add']),
    passes=st.integers(1, 2),
    then_plain=st.booleans(),
)
def test_grad_buffers_filled_with_create_graph_are_differentiable(
    program, seed, req, passes, then_plain
):
    """After backward(create_graph=True), d/dx sum(x.grad * r) is the Hessian-vector
    product (times the number of passes for 'add'), as central differences of the
    first derivative give it; a later plain pass into a 'write' buffer leaves a
    constant (derivative 0), into an 'add' buffer a constant offset."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    n = len(xs)
    w = _weights(program.out_shape, seed)
    rs = [numpy.random.default_rng(seed + 5 + i).standard_normal(x.shape) for i, x in enumerate(xs)]
    variables = _variables(xs, req)
    for _ in range(passes):
        y = _record(program, variables)
        autograd.backward(y, np.array(w), create_graph=True)
    first = _grads(program, xs, w)
    for v, g in zip(variables, first):
        close(v.grad, passes * g if req == 'add' else g, rtol=1e-10, atol=1e-12)
    if then_plain:
        y = _record(program, variables)
        y.backward(np.array(w))
    factor = 0.0 if then_plain and req == 'write' else passes if req == 'add' else 1.0

    def grad_dot_r(*args):
        gs = func.grad(lambda *a: (program(*a) * w).sum(), argnums=tuple(range(n)))(*args)
        return sum((g * r).sum() for g, r in zip(gs, rs))

    with autograd.record():
        s = sum((v.grad * r).sum() for v, r in zip(variables, rs))
        s = s + sum((v * 0.0).sum() for v in variables)  # a history even if s is constant
    for i, g in enumerate(autograd.grad(s, variables)):
        close(
            g,
            factor * numerical_jacobian(grad_dot_r, xs, i),
            rtol=1e-5,
            atol=1e-6,
            what=f'input {i}',
        )


# --- regressions ---------------------------------------------------------------------


def test_plain_write_backward_after_create_graph_drops_the_old_history_of_grad():
    """A create_graph pass leaves x.grad recorded (3x^2 as a function of x); a later
    plain pass writes constants into it, so differentiating x.grad must give 0,
    not the derivative of the old history (it gave 6x)."""
    x = np.array(numpy.array([1.0, 2.0]))
    x.attach_grad()
    buf = x.grad
    with autograd.record():
        y = x**3
    autograd.backward(y, create_graph=True)
    close(x.grad, [3.0, 12.0], rtol=1e-15)
    with autograd.record():
        z = x * 5.0
    z.backward()
    assert x.grad is buf
    close(x.grad, [5.0, 5.0], rtol=1e-15)
    with autograd.record():
        s = (x.grad * x).sum()
    (gx,) = autograd.grad(s, [x])
    close(gx, [5.0, 5.0], rtol=1e-15)


def test_add_backward_after_create_graph_keeps_differentiating_the_recorded_part():
    """'add': backward(create_graph=True) outside record() recorded the sum of the old
    buffer and the new gradient (x.grad had no history at all: its derivative was
    lost); the recorded 3x^2 plus a constant 5 from a plain pass has derivative 6x."""
    x = np.array(numpy.array([1.0, 2.0]))
    x.attach_grad('add')
    with autograd.record():
        y = x**3
    autograd.backward(y, create_graph=True)
    assert x.grad._node is not None  # the sum 0 + 3x^2 was recorded
    with autograd.record():
        z = x * 5.0
    z.backward()
    close(x.grad, [8.0, 17.0], rtol=1e-15)
    with autograd.record():
        s = x.grad.sum()
    close(autograd.grad(s, [x])[0], [6.0, 12.0], rtol=1e-15)


@pytest.mark.parametrize('create_graph', [False, True])
def test_autograd_grad_results_never_alias_the_head_gradient_or_each_other(create_graph):
    """y = a + b passes the head gradient straight through: the returned gradients
    are new arrays, so updating one changes neither the caller's head gradient nor
    the other gradient."""
    a = np.array(numpy.array([1.0, 2.0]))
    b = np.array(numpy.array([3.0, 4.0]))
    a.attach_grad()
    b.attach_grad()
    w = np.array(numpy.array([1.0, -1.0]))
    for head_grads in (w, None):
        with autograd.record():
            y = a + b
            r = np.reshape(y, (2, 1))
        for head, hg in (
            (y, head_grads),
            (r, None if head_grads is None else np.reshape(head_grads, (2, 1))),
        ):
            ga, gb = autograd.grad(
                head, [a, b], head_grads=hg, create_graph=create_graph, retain_graph=True
            )
            ga[...] = 7.0  # outside record: an in-place update of a returned array
            close(w, [1.0, -1.0], rtol=0)
            close(gb, [1.0, -1.0] if head_grads is not None else [1.0, 1.0], rtol=0)


def test_autograd_grad_of_a_head_with_respect_to_itself_is_a_copy():
    x = np.array(numpy.array([1.0, 2.0]))
    x.attach_grad()
    w = np.array(numpy.array([0.5, 0.25]))
    with autograd.record():
        y = x * 2.0
    (gy,) = autograd.grad(y, [y], head_grads=w)
    gy += 1.0
    close(w, [0.5, 0.25], rtol=0)


@pytest.mark.parametrize(
    'case', ['detached alias', 'reshape', 'slice', 'transpose', 'broadcast_to']
)
def test_inplace_update_through_a_detached_alias_is_detected(case):
    x = np.array(numpy.array([1.0, 2.0]))
    x.attach_grad()
    z = np.array(numpy.array([3.0, 4.0]))
    z.attach_grad()
    d = z.detach()
    with autograd.record():
        if case == 'detached alias':
            y = x * d  # d shares z's memory; multiply saved d's values
        else:
            view = {
                'reshape': lambda: np.reshape(x, (2, 1)),
                'slice': lambda: x[0:2],
                'transpose': lambda: x.T,
                'broadcast_to': lambda: np.broadcast_to(x, (2, 2)),
            }[case]()
            y = np.sin(view)  # sin saved the view, which shares x's memory
    if case == 'detached alias':
        z += 1.0  # changes d, which multiply saved
    else:
        x += 1.0  # changes the view, which sin saved
    try:
        y.backward()
    except InPlaceModificationError:
        return  # detected: the guarantee holds
    # or else the gradient must be the one at the recorded values
    expected = {'detached alias': [3.0, 4.0], 'broadcast_to': 2 * numpy.cos([1.0, 2.0])}
    close(x.grad, expected.get(case, numpy.cos([1.0, 2.0])), rtol=1e-12)


@pytest.mark.parametrize('req', ['write', 'add'])
def test_second_derivative_through_grad_buffers_for_both_grad_reqs(req):
    """d/dx sum(x.grad) after backward(create_graph=True): 6x, twice as much after
    two such passes into an 'add' buffer."""
    x = np.array(numpy.array([1.0, -2.0]))
    x.attach_grad(req)
    for _ in range(2):
        with autograd.record():
            y = x**3
        autograd.backward(y, create_graph=True)
    factor = 2.0 if req == 'add' else 1.0
    close(x.grad, factor * 3 * x.asnumpy() ** 2, rtol=1e-15)
    with autograd.record():
        s = x.grad.sum()
    close(autograd.grad(s, [x])[0], factor * 6 * x.asnumpy(), rtol=1e-15)

"""Arrays backed by Dask: ops build graphs, values are computed only when asked for, and
a backward pass computes every gradient in one ``dask.compute`` call."""

import contextlib

import numpy
import pytest

from ndgrad import autograd, func, np, npx
from ndgrad._backend import check_same, kind

da = pytest.importorskip('dask.array')
dask = pytest.importorskip('dask')
callbacks = pytest.importorskip('dask.callbacks')


class Computes(callbacks.Callback):
    """Counts the graphs Dask runs (one per ``dask.compute`` call)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


@contextlib.contextmanager
def counting():
    with dask.config.set(scheduler='synchronous'), Computes() as c:
        yield c


def _data(seed=0, n=40, d=3):
    rng = numpy.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def test_wrapping_and_ops_compute_nothing():
    X, y = _data()
    with counting() as c:
        x = np.array(da.from_array(X, chunks=(10, 3)))
        x2 = np.asarray(da.from_array(X, chunks=(10, 3)))
        z = np.tanh(x @ np.ones(3)) + x2.sum(axis=1) * 2
        w = np.ones(3, dtype='float64')
        w.attach_grad()
        with autograd.record():
            loss = np.mean((np.dot(x, w) - y) ** 2)
    assert c.count == 0
    assert kind(x._data) == kind(z._data) == kind(loss._data) == 'dask'
    assert z.shape == (40,) and z.dtype == numpy.float64


@pytest.mark.parametrize(
    'ask',
    [
        lambda a: a.asnumpy(),
        lambda a: a.item(),
        lambda a: float(a),
        repr,
        str,
        lambda a: a.wait_to_read(),
        lambda a: npx.waitall(),
    ],
    ids=['asnumpy', 'item', 'float', 'repr', 'str', 'wait_to_read', 'waitall'],
)
def test_values_are_computed_when_asked_for(ask):
    X, _ = _data()
    x = np.array(da.from_array(X, chunks=(10, 3)))
    with counting() as c:
        s = (x * x).sum()
        assert c.count == 0
        ask(s)
        assert c.count == 1
    assert numpy.isclose(float(s), (X * X).sum())


def test_wait_to_read_keeps_the_values():
    X, _ = _data()
    s = (np.array(da.from_array(X, chunks=(10, 3))) ** 2).sum()
    s.wait_to_read()
    with counting() as c:
        value = float(s)
    assert c.count == 1 and numpy.isclose(value, (X**2).sum())  # (from memory: no tasks)
    assert kind(s._data) == 'dask'


def _least_squares(X, y, w, b):
    return np.mean((np.dot(X, w) + b - y) ** 2)


def _reference(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r.mean()


def test_backward_computes_every_gradient_in_one_call():
    X, y = _data()
    x, t = np.array(da.from_array(X, chunks=(10, 3))), np.array(da.from_array(y, chunks=10))
    w = np.array([0.5, -1.0, 2.0], dtype='float64')
    b = np.array(da.from_array(numpy.array(0.3)))  # a Dask parameter
    w.attach_grad()
    b.attach_grad()
    with counting() as c:
        with autograd.record():
            loss = _least_squares(x, t, w, b)
        loss.backward()
        assert c.count == 1
        gw, gb = _reference(X, y, w.asnumpy(), 0.3)
        assert type(w.grad._data) is numpy.ndarray  # a NumPy parameter: a NumPy gradient
        assert kind(b.grad._data) == 'dask'  # a Dask parameter: a Dask gradient
        numpy.testing.assert_allclose(w.grad.asnumpy(), gw, rtol=1e-12)
        numpy.testing.assert_allclose(b.grad.asnumpy(), gb, rtol=1e-12)
        assert c.count == 2  # (b.grad was computed by the backward call: reading it is cheap)


def test_autograd_grad_and_func_grad_compute_once():
    X, y = _data(1)
    x, t = np.array(da.from_array(X, chunks=(10, 3))), np.array(da.from_array(y, chunks=10))
    w0 = numpy.array([1.0, 0.0, -1.0])
    gw, gb = _reference(X, y, w0, 0.5)
    with counting() as c:
        w, b = np.array(w0), np.array(0.5, dtype='float64')
        w.attach_grad()
        b.attach_grad()
        with autograd.record():
            loss = _least_squares(x, t, w, b)
        got = autograd.grad(loss, [w, b])
        assert c.count == 1
        g = func.grad(lambda w, b: _least_squares(x, t, w, b), argnums=(0, 1))(w0, 0.5)
        assert c.count == 2
        value, g2 = func.value_and_grad(lambda w: _least_squares(x, t, w, 0.5))(w0)
        assert c.count == 3
    for a, bb in ((got[0].asnumpy(), gw), (got[1].asnumpy(), gb), (g[0], gw), (g[1], gb)):
        numpy.testing.assert_allclose(a, bb, rtol=1e-12)
    numpy.testing.assert_allclose(g2, gw, rtol=1e-12)
    assert numpy.isclose(float(value), numpy.mean((X @ w0 + 0.5 - y) ** 2))


def test_second_order_through_dask():
    X, _ = _data(2, n=12)
    x = np.array(da.from_array(X, chunks=(4, 3)))
    w = np.array([0.1, 0.2, 0.3], dtype='float64')
    w.attach_grad()
    with autograd.record():
        loss = np.sum(np.tanh(np.dot(x, w)) ** 2)
        (g,) = autograd.grad(loss, [w], create_graph=True)
        h = g.sum()
    h.backward()
    hessian = func.hessian(lambda v: np.sum(np.tanh(np.dot(np.array(X), v)) ** 2))(w.asnumpy())
    numpy.testing.assert_allclose(w.grad.asnumpy(), hessian.sum(axis=0), rtol=1e-10)


def test_numpy_constants_and_numbers_mix_with_dask():
    X, _ = _data()
    x = np.array(da.from_array(X, chunks=(10, 3)))
    out = (x * numpy.array([1.0, 2.0, 3.0]) + 1.5) - np.ones(3)
    assert kind(out._data) == 'dask'
    numpy.testing.assert_allclose(out.asnumpy(), X * [1.0, 2.0, 3.0] + 0.5)


class _OtherDevice:
    """A stand-in for a CuPy array (its type's module is CuPy's): enough to be told apart."""

    __module__ = 'cupy._core.core'

    class device:
        id = 0


def test_mixing_backends_names_both():
    x = da.ones(3)
    with pytest.raises(TypeError, match=r'two backends, Dask and CuPy \(gpu\(0\)\)'):
        check_same([x, numpy.ones(3), _OtherDevice()], 'add')
    check_same([x, numpy.ones(3), 2.0], 'add')  # (NumPy values and numbers go with any)


def test_a_kernel_dask_lacks_names_the_op_and_dask():
    x = np.array(da.from_array(numpy.arange(4.0), chunks=2))
    with pytest.raises(TypeError, match=r'^sort is not supported on Dask arrays'):
        np.sort(x)


def test_in_place_writes_inside_record_are_refused_and_outside_rebind():
    x = np.array(da.from_array(numpy.arange(4.0), chunks=2))
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.raises(TypeError, match='Dask arrays cannot be written in place'):
            y[0] = 5.0
        with pytest.raises(TypeError, match='Dask arrays cannot be written in place'):
            y += 1
        loss = y.sum()
    loss.backward()
    before = y.asnumpy()
    view = y.detach()
    y[1] = 7.0  # outside record(): new values (a Dask array is an immutable graph)
    assert y.asnumpy().tolist() == [0.0, 7.0, 4.0, 6.0]
    assert view.asnumpy().tolist() == before.tolist()
    w = np.array(da.from_array(numpy.ones(2), chunks=1))
    w -= 0.5 * np.ones(2)  # a Dask parameter's update
    assert kind(w._data) == 'dask' and w.asnumpy().tolist() == [0.5, 0.5]
    numpy.testing.assert_allclose(x.grad.asnumpy(), [2.0] * 4)


def test_training_loop_reads_like_numpys():
    rng = numpy.random.default_rng(3)
    X = rng.standard_normal((200, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] > 0).astype(float)
    x, t = np.array(da.from_array(X, chunks=(50, 4))), np.array(da.from_array(y, chunks=50))
    w = np.zeros(4, dtype='float64')
    w.attach_grad()
    losses = []
    for _ in range(5):
        with autograd.record():
            p = npx.sigmoid(np.dot(x, w))
            loss = -np.mean(t * np.log(p + 1e-9) + (1 - t) * np.log(1 - p + 1e-9))
        loss.backward()
        w -= 0.5 * w.grad
        losses.append(float(loss))
    assert type(w._data) is numpy.ndarray
    assert losses == sorted(losses, reverse=True)


class Tasks(callbacks.Callback):
    """The names (key prefixes) of the tasks Dask runs."""

    def __init__(self):
        super().__init__()
        self.names = []

    def _pretask(self, key, dsk, state):
        self.names.append((key[0] if isinstance(key, tuple) else key).rsplit('-', 1)[0])


def _logistic_data(n=4000, d=5, chunk=500):
    rng = numpy.random.default_rng(4)
    X = rng.standard_normal((n, d))
    y = (X[:, 0] + rng.standard_normal(n) > 0).astype(float)
    return da.from_array(X, chunks=(chunk, d)), da.from_array(y, chunks=chunk), numpy.full(d, 0.1)


def _logistic_step(X, y, w):
    x, t, v = np.array(X), np.array(y), np.array(w)
    v.attach_grad()
    with autograd.record():
        p = npx.sigmoid(np.dot(x, v))
        loss = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    loss.backward()
    return float(loss), v.grad.asnumpy()


def _logistic_step_by_hand(X, y, w):
    p = 1 / (1 + da.exp(-(X @ w)))
    loss = -da.mean(y * da.log(p) + (1 - y) * da.log(1 - p))
    return dask.compute(loss, (X.T @ (p - y)) / X.shape[0])


def test_a_reductions_gradient_is_broadcast_in_the_datas_chunks():
    X, y, w = _logistic_data()
    with dask.config.set(scheduler='synchronous'), Tasks() as ours:
        loss, grad = _logistic_step(X, y, w)
    want_loss, want_grad = _logistic_step_by_hand(X, y, w)
    numpy.testing.assert_allclose(grad, want_grad, rtol=1e-12)
    assert numpy.isclose(loss, want_loss, rtol=1e-12)
    # one chunk of the data's length, split again for every op using it, would show here
    assert not [n for n in ours.names if 'rechunk' in n or 'broadcast' in n]


@pytest.mark.parametrize('chunk', [500, 250])
def test_a_gradient_step_runs_as_many_tasks_per_chunk_as_written_by_hand(chunk):
    X, y, w = _logistic_data(chunk=chunk)
    with dask.config.set(scheduler='synchronous'):
        with Tasks() as ours:
            _logistic_step(X, y, w)
        with Tasks() as hand:
            _logistic_step_by_hand(X, y, w)
    # (58 against 58 at 8 chunks. Before 1 - p and 1 - t were computed inside their
    # readers, the sigmoid fused with the product and the seed made a constant: 84.)
    assert len(ours.names) <= len(hand.names) + 2, (len(ours.names), len(hand.names))
    assert not [n for n in ours.names if n.startswith(('subtract', 'sub-'))]


def _graph_computed(X, y, w):
    """The Dask arrays a logistic step's backward pass hands to `_dask_compute.compute`
    (not computed: zeros come back)."""
    captured = []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(
            'ndgrad._dask_compute.compute',
            lambda arrays: captured.append(arrays) or [numpy.zeros(a.shape) for a in arrays],
        )
        _logistic_step(X, y, w)
    return captured[0]


def test_a_losss_seed_is_a_constant_of_the_chunks_tasks():
    from ndgrad._dask_compute import optimized

    X, y, w = _logistic_data()
    captured = [_graph_computed(X, y, w)]

    p = 1 / (1 + da.exp(-(X @ w)))
    hand = [-da.mean(y * da.log(p) + (1 - y) * da.log(1 - p)), (X.T @ (p - y)) / X.shape[0]]
    # (keys every chunk's task reads: w, in both; no seed that all of them would wait for)
    assert _widely_read(optimized(captured[0])) == _widely_read(optimized(hand)) == 1


def _widely_read(graph, chunks=8):
    readers = {}
    for task in graph.values():
        for dep in task.dependencies:
            readers[dep] = readers.get(dep, 0) + 1
    return sum(n >= chunks for n in readers.values())


def test_a_head_gradient_is_seeded_in_the_heads_chunks():
    x = np.array(da.from_array(numpy.arange(8.0), chunks=2))
    w = np.array([3.0], dtype='float64')
    w.attach_grad()
    with dask.config.set(scheduler='synchronous'), Tasks() as ours:
        with autograd.record():
            y = x * w
        y.backward()
    assert not [n for n in ours.names if 'rechunk' in n]
    numpy.testing.assert_allclose(w.grad.asnumpy(), [28.0])


# --- the graph a backward pass computes ------------------------------------------------
def _chunked(shape, dtype=float, chunk=3, seed=5):
    rng = numpy.random.default_rng(seed)
    value = (rng.standard_normal(shape) * 3).astype(dtype)
    chunks = tuple(min(chunk, n) or 1 for n in shape)
    return value, da.from_array(value, chunks=chunks)


EXPRESSIONS = {  # name: (build from arrays of any backend, the shapes and dtypes of the inputs)
    'chain': (lambda a, b: -(a * b) / (1 - a) + numpy.exp(a) * 2, [((7,), float)] * 2),
    'read twice': (lambda a, b: (a * 2) * (a * 2) + b, [((7,), float)] * 2),
    'a temporary read twice': (lambda a, b: (lambda t: t * t + t)(a - b), [((7,), float)] * 2),
    'to bool and back': (lambda a, b: (a > 0) * (b + 1), [((7,), float)] * 2),
    'int then float': (lambda a, b: (a + 1) * 2.5 - b, [((7,), int), ((7,), float)]),
    'int division': (lambda a, b: (a * 2) // 3 + (b - 1) % 4, [((7,), int), ((7,), int)]),
    'float32 with numbers': (lambda a, b: (a * 2.0 + 1) / (b - 0.5), [((7,), 'float32')] * 2),
    'float32 with float64': (lambda a, b: (a * 2) + (b * 2), [((7,), 'float32'), ((7,), float)]),
    'broadcast to more': (lambda a, b: (a * 2) + b * 3, [((7, 1), float), ((7, 4), float)]),
    'size-1 axes': (lambda a, b: numpy.log1p(a * a) - b, [((1, 5, 1), float), ((1, 5, 1), float)]),
    '0-d': (lambda a, b: (a * 2 + 1) * (b - 1), [((), float), ((), float)]),
    'complex': (lambda a, b: (a * 1j + b) * (a - 2j), [((7,), float), ((7,), complex)]),
    'reduced temporaries': (
        lambda a, b: (a * 2).sum(axis=0) + (b - a).max(axis=0),
        [((7, 3), float)] * 2,
    ),
}


@pytest.mark.parametrize('name', sorted(EXPRESSIONS))
def test_a_computed_graph_gives_dasks_values_to_the_bit_and_keeps_its_inputs(name):
    from ndgrad._backend import compute

    build, specs = EXPRESSIONS[name]
    pairs = [_chunked(shape, dtype, seed=i) for i, (shape, dtype) in enumerate(specs)]
    values = [v for v, _ in pairs]
    kept = [v.copy() for v in values]
    lazy = build(*[d for _, d in pairs])
    got = compute([lazy, lazy.sum()])
    plain = dask.compute(lazy, lazy.sum(), scheduler='synchronous')
    for a, b in zip(got, plain):
        assert a.dtype == b.dtype and a.shape == b.shape
        numpy.testing.assert_array_equal(a, b)
    want = build(*values)
    numpy.testing.assert_allclose(got[0], want, rtol=1e-14, strict=True)
    for value, copy in zip(values, kept):  # (inputs are never written into)
        numpy.testing.assert_array_equal(value, copy)


def test_a_gradient_step_computes_most_elementwise_ops_into_temporaries():
    from ndgrad._dask_compute import optimized
    from ndgrad._dask_inplace import Elementwise

    X, y, w = _logistic_data()
    captured = [_graph_computed(X, y, w)]
    ops = [t.func for t in _tasks(optimized(captured[0])) if isinstance(t.func, Elementwise)]
    into = [op for op in ops if op.into is not None]
    # per chunk, 22 elementwise ops of which 14 write into a temporary: the sigmoid 4 (3),
    # the loss 7 (4), its gradient 11 (7); the others read only other tasks' chunks
    assert len(ops) == 22 * 8 and len(into) == 14 * 8, (len(ops), len(into))


def _tasks(graph):
    """Every task of `graph`, those of fused subgraphs and nested calls included."""
    from dask._task_spec import Task, _execute_subgraph

    stack = list(graph.values())
    while stack:
        node = stack.pop()
        if not isinstance(node, Task):
            continue
        yield node
        if node.func is _execute_subgraph:
            stack.extend(node.args[0].values())
        else:
            stack.extend(a for a in node.args if isinstance(a, Task))


def test_an_op_on_other_arrays_runs_as_written():
    from ndgrad._dask_inplace import Elementwise

    masked = numpy.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    op = Elementwise(numpy.add, numpy.add, into=0)
    out = op(masked, 1.0)
    assert type(out) is numpy.ma.MaskedArray and out.mask.tolist() == [False, True, False]
    assert masked.tolist() == [1.0, None, 3.0]  # (not written into)

    class Wrapped:  # (an array type whose + returns an array it does not own)
        def __init__(self, data):
            self.data = data

        def __add__(self, other):
            return self.data

    data = numpy.ones(3)
    result = Elementwise(numpy.add, lambda a, b: a + b, into=None)(Wrapped(data), 1.0)
    assert result is not data and result.tolist() == [1.0] * 3  # (a copy: safe to write into)


def test_a_cheap_op_read_by_two_reductions_is_computed_in_each():
    from ndgrad._dask_compute import compute, optimized

    t = da.from_array(numpy.arange(8.0), chunks=2)
    s = 1 - t
    sums = [(s * 2).sum(), (s**2).sum()]
    assert not [k for k in optimized(sums) if type(k) is tuple and k[0] == s.name]
    assert compute(sums) == (numpy.float64(-40.0), numpy.float64(92.0))
    expensive = numpy.exp(t)  # (not one cheap op: computed once, read by both)
    both = [(expensive * 2).sum(), (expensive**2).sum()]
    assert [k for k in optimized(both) if type(k) is tuple and k[0] == expensive.name]


def test_requested_and_other_backend_arrays_compute_as_dask_does():
    from ndgrad._dask_compute import compute

    t = da.from_array(numpy.arange(4.0), chunks=2)
    s = 1 - t  # (requested itself: kept, not inlined)
    got = compute([s, s * 2])
    numpy.testing.assert_array_equal(got[0], 1 - numpy.arange(4.0))
    numpy.testing.assert_array_equal(got[1], 2 - 2 * numpy.arange(4.0))
    with dask.config.set({'optimization.fuse.active': False}):  # (Dask's fusion off)
        numpy.testing.assert_array_equal(compute([s * 2])[0], got[1])
    bag = pytest.importorskip('dask.bag').from_sequence([1, 2, 3])
    assert compute([bag.sum()]) == (6,)  # (not an array: dask.compute as it is)


UFUNCS = sorted(
    (u for u in vars(numpy).values() if isinstance(u, numpy.ufunc)),
    key=lambda u: u.__name__,
)


_ARITHMETIC = (numpy.add, numpy.subtract, numpy.multiply, numpy.divide, numpy.exp, numpy.log)


@pytest.mark.parametrize(
    'ufunc', [u for u in UFUNCS if u.nout == 1 and u.nin in (1, 2) and not u.signature], ids=str
)
def test_every_ufunc_in_place_gives_its_values_to_the_bit(ufunc):
    from ndgrad._dask_inplace import Elementwise

    rng = numpy.random.default_rng(6)
    shapes = [((n,), (n,)) for n in (1, 2, 3, 7, 8, 17, 33, 1000)] + [
        ((5, 4), (1, 4)),
        ((5, 4), ()),
    ]
    in_place = 0
    for dtype in ('bool', 'uint8', 'int32', 'int64', 'float16', 'float32', 'float64', 'complex128'):
        for big, small in shapes:
            for into in range(ufunc.nin):
                args = [(rng.standard_normal(s) * 3).astype(dtype) for s in (big, small)]
                args = args[: ufunc.nin] if into == 0 else args[::-1][-ufunc.nin :]
                with numpy.errstate(all='ignore'):
                    try:
                        want = ufunc(*args)
                    except (TypeError, ValueError):
                        continue
                    temporary = args[into].copy()
                    got = Elementwise(ufunc, ufunc, into)(
                        *(temporary if i == into else a for i, a in enumerate(args))
                    )
                assert type(got) is type(want) and got.dtype == want.dtype
                numpy.testing.assert_array_equal(got, want)
                if got is temporary:  # (only into an array like the result, never complex)
                    assert want.dtype == temporary.dtype != 'complex128'
                    assert want.shape == temporary.shape
                    in_place += 1
    assert in_place or ufunc not in _ARITHMETIC, ufunc

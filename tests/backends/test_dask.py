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


def test_a_gradient_step_runs_few_more_tasks_than_written_by_hand():
    X, y, w = _logistic_data()
    with dask.config.set(scheduler='synchronous'):
        with Tasks() as ours:
            _logistic_step(X, y, w)
        with Tasks() as hand:
            _logistic_step_by_hand(X, y, w)
    # 84 against 58 here; a reduction's gradient broadcast as one chunk and split again
    # adds 17. (The rest: 1 - p and 1 - t, which the backward pass reads, are tasks of
    # their own, and np.dot's reduction over one chunk is two.)
    assert len(ours.names) <= 1.5 * len(hand.names), (len(ours.names), len(hand.names))


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

"""The behaviour of MXNet's autograd API: gradient buffers, record/pause/modes,
retain_graph, detach, head gradients, autograd.grad, threads, memory."""

import asyncio
import gc
import threading
import weakref

import numpy
import pytest

import ndgrad
from ndgrad import autograd, np


def _square_sum(x):
    with autograd.record():
        y = (x * x).sum()
    return y


# --- gradient buffers -----------------------------------------------------------------------------


def test_grad_req_write_overwrites():
    x = np.arange(4)
    x.attach_grad()
    for _ in range(3):
        _square_sum(x).backward()
    assert repr(x.grad) == 'array([0., 2., 4., 6.])'
    assert x.grad_req == 'write'


def test_grad_req_add_accumulates_across_backward_calls():
    x = np.arange(4)
    x.attach_grad(grad_req='add')
    for _ in range(3):
        _square_sum(x).backward()
    assert repr(x.grad) == 'array([ 0.,  6., 12., 18.])'
    x.grad[:] = 0  # the usual reset between batches
    _square_sum(x).backward()
    assert repr(x.grad) == 'array([0., 2., 4., 6.])'


def test_grad_req_null_means_no_gradient():
    x = np.arange(3)
    x.attach_grad(grad_req='null')
    assert x.grad is None and x.grad_req == 'null'


def test_grad_buffer_keeps_its_identity():
    for req in ('write', 'add'):
        x = np.arange(4)
        x.attach_grad(grad_req=req)
        g = x.grad
        _square_sum(x).backward()
        assert g is x.grad
        assert repr(g) == 'array([0., 2., 4., 6.])'


def test_attach_grad_again_resets_the_buffer():
    x = np.arange(3)
    x.attach_grad()
    _square_sum(x).backward()
    x.attach_grad()
    assert repr(x.grad) == 'array([0., 0., 0.])'


def test_y_equals_x_backward_gives_ones():
    x = np.arange(4)
    x.attach_grad()
    y = x
    y.backward()
    assert repr(x.grad) == 'array([1., 1., 1., 1.])'


def test_unused_variable_gets_zeros():
    x, w = np.arange(3), np.ones(3)
    x.attach_grad()
    w.attach_grad()
    w.grad[:] = 5
    with autograd.record():
        y = (x * 2).sum()
    y.backward()
    assert repr(w.grad) == 'array([5., 5., 5.])'  # not on the graph: untouched
    assert repr(x.grad) == 'array([2., 2., 2.])'


# --- retain_graph, detach -------------------------------------------------------------------------


def test_retain_graph_allows_a_second_backward():
    x = np.arange(3)
    x.attach_grad()
    y = _square_sum(x)
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert repr(x.grad) == 'array([0., 2., 4.])'
    with pytest.raises(ndgrad.GraphFreedError, match='retain_graph=True'):
        y.backward()


def test_detach_shares_values_and_stops_the_gradient():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * x
        c = y.detach()
        z = (c * x).sum()
    assert c._node is None and c.grad is None
    assert numpy.shares_memory(c, y)  # the same values, no copy
    z.backward()
    assert repr(x.grad) == 'array([0., 1., 4.])'


def test_stop_gradient():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = (autograd.stop_gradient(x * x) * x).sum()
    y.backward()
    assert repr(x.grad) == 'array([0., 1., 4.])'


# --- head gradients -------------------------------------------------------------------------------


def test_head_gradient_scales_the_chain_rule():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(np.array([10, 1.0, 0.1, 0.01]))
    numpy.testing.assert_allclose(x.grad.asnumpy(), [0.0, 2.0, 0.4, 0.06], rtol=1e-6)


def test_head_gradient_of_wrong_shape_is_an_error():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    for bad in (np.ones(3), np.ones((4, 1)), np.ones(()), [1.0, 2.0]):
        with pytest.raises(ValueError, match=r'shape'):
            y.backward(bad, retain_graph=True)
    assert repr(x.grad) == 'array([0., 0., 0., 0.])'


def test_several_heads():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        a = x * 2
        b = (x * x).sum()
    autograd.backward([a, b], [np.ones(3), np.array(10.0)])
    assert repr(x.grad) == 'array([ 2., 22., 42.])'
    with autograd.record():
        a = x * 2
        b = (x * x).sum()
    with pytest.raises(ValueError, match='head gradients for 2 heads'):
        autograd.backward([a, b], [np.ones(3)])


def test_head_gradient_dtype_follows_the_head():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward(numpy.array([1.0, 2.0, 3.0]))  # float64 head gradient for a float32 head
    assert x.grad.dtype == numpy.float32
    assert repr(x.grad) == 'array([2., 4., 6.])'


@pytest.mark.parametrize(
    'bad,match',
    [
        ('ones', r'head gradient is a str'),
        ({'a': 1.0}, r'head gradient is a dict'),
        (object(), r'head gradient is a object'),
        ([1.0, None, 2.0, 3.0], r'holds a NoneType'),
        (numpy.array([object()] * 4), r'holds a object \(an array of dtype object\)'),
        (numpy.array(['a', 'b', 'c', 'd']), r'holds values of dtype <U1'),
        (numpy.array([1j, 1.0, 1.0, 1.0]), r'complex.*not differentiable'),
        (numpy.ones(4, numpy.complex64), r'complex'),
    ],
    ids=[
        'str',
        'dict',
        'object',
        'None-in-list',
        'object-array',
        'str-array',
        'complex',
        'complex64',
    ],
)
def test_head_gradient_of_the_wrong_kind_is_a_type_error_naming_it(bad, match):
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(TypeError, match=match):
        y.backward(bad, retain_graph=True)
    with pytest.raises(TypeError, match=match):
        autograd.grad(y, [x], head_grads=bad, retain_graph=True)
    with pytest.raises(TypeError, match=match.replace('head gradient', 'head gradient 1')):
        autograd.backward([y, y], [None, bad], retain_graph=True)
    assert repr(x.grad) == 'array([0., 0., 0., 0.])'


def test_head_gradients_of_numbers_lists_and_none():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * 2
        s = y.sum()
    y.backward([1, 0, 2], retain_graph=True)  # integers: cast to the head's dtype
    assert repr(x.grad) == 'array([2., 0., 4.])'
    y.backward([None], retain_graph=True)  # one head, its default gradient (ones)
    assert repr(x.grad) == 'array([2., 2., 2.])'
    s.backward(numpy.float64(3.0), retain_graph=True)
    assert repr(x.grad) == 'array([6., 6., 6.])'
    autograd.backward([y, s], [None, True])
    assert repr(x.grad) == 'array([4., 4., 4.])'
    with pytest.raises(ValueError, match=r'\(2,\).*\(3,\)'):
        y.backward([1.0, 2.0])


# --- record / pause / modes -----------------------------------------------------------------------


def test_record_sets_recording_and_training():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()


def test_pause_inside_record():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        a = x * 2
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            b = x * 3
        with autograd.pause(train_mode=True):
            assert autograd.is_training()
        assert autograd.is_recording() and autograd.is_training()
        y = (a * b).sum()  # b is a constant
    assert b._node is None
    y.backward()
    assert repr(x.grad) == 'array([ 0.,  6., 12.])'


def test_train_and_predict_mode_leave_recording_alone():
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
    with autograd.record():
        with autograd.predict_mode():
            assert not autograd.is_training() and autograd.is_recording()
        assert autograd.is_training()


def test_set_recording_and_set_training_return_the_previous_state():
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(True) is True
    assert autograd.set_recording(False) is True
    assert autograd.set_training(True) is False
    assert autograd.set_training(False) is True
    assert not autograd.is_recording() and not autograd.is_training()


def test_scopes_restore_state_after_an_exception():
    with pytest.raises(KeyError), autograd.record():
        raise KeyError
    assert not autograd.is_recording() and not autograd.is_training()


def test_scopes_are_also_decorators_and_reentrant():
    @autograd.record()
    def loss(x):
        assert autograd.is_recording() and autograd.is_training()
        return (x * x).sum()

    @autograd.predict_mode()
    def evaluate():
        return autograd.is_training()

    x = np.array([1.0, 2.0])
    x.attach_grad()
    loss(x).backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert loss(x).item() == 5.0  # a second call opens a scope of its own
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert evaluate() is False
        assert autograd.is_training()


def test_recording_state_is_per_thread():
    seen = {}

    def other():
        seen['recording'] = autograd.is_recording()
        seen['training'] = autograd.is_training()
        x = np.arange(3)
        x.attach_grad()
        seen['node'] = (x * 2)._node
        with autograd.record():
            y = (x * x).sum()
        y.backward()
        seen['grad'] = x.grad.asnumpy()

    with autograd.record():
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert autograd.is_recording()
    assert seen['recording'] is False and seen['training'] is False
    assert seen['node'] is None
    numpy.testing.assert_array_equal(seen['grad'], [0.0, 2.0, 4.0])


def test_recording_state_is_per_asyncio_task():
    """A task that records while another awaits does not make the other record."""
    events = {}

    async def recorder(started, done):
        x = np.arange(3)
        x.attach_grad()
        with autograd.record():
            started.set()
            await done.wait()  # the other task runs while this one records
            y = (x * x).sum()
        y.backward()
        events['grad'] = x.grad.asnumpy()

    async def bystander(started, done):
        await started.wait()
        events['recording'] = autograd.is_recording()
        events['training'] = autograd.is_training()
        events['node'] = (np.arange(3) * 2)._node
        done.set()

    async def main():
        started, done = asyncio.Event(), asyncio.Event()
        await asyncio.gather(recorder(started, done), bystander(started, done))

    asyncio.run(main())
    assert events['recording'] is False and events['training'] is False
    assert events['node'] is None
    numpy.testing.assert_array_equal(events['grad'], [0.0, 2.0, 4.0])
    assert not autograd.is_recording()


# --- autograd.grad and mark_variables -------------------------------------------------------------


def test_autograd_grad_returns_and_leaves_buffers_alone():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        z = x * 2
        y = (z * z).sum()
    dx, dz = autograd.grad(y, [x, z])
    assert repr(dx) == 'array([ 0.,  8., 16.])' and repr(dz) == 'array([0., 4., 8.])'
    assert repr(x.grad) == 'array([0., 0., 0.])'


def test_autograd_grad_of_an_unrelated_variable_is_zeros():
    x, w = np.arange(3), np.ones(2)
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = (x * x).sum()
        _ = w * 2
    (dw,) = autograd.grad(y, [w])
    assert type(dw) is ndgrad.ndarray
    assert repr(dw) == 'array([0., 0.])'


def test_autograd_grad_single_variable_and_head_gradient():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = x * x
    (dx,) = autograd.grad(y, x, head_grads=[1.0, 10.0, 100.0])
    assert repr(dx) == 'array([  0.,  20., 400.])'


def test_create_graph_gives_higher_order():
    x = np.array([0.5, 1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = x**4
        (d1,) = autograd.grad(y, [x], create_graph=True)
        (d2,) = autograd.grad(d1, [x], create_graph=True)
    d2.backward()
    values = x.asnumpy()
    numpy.testing.assert_allclose(d1.asnumpy(), 4 * values**3)
    numpy.testing.assert_allclose(d2.asnumpy(), 12 * values**2)
    numpy.testing.assert_allclose(x.grad.asnumpy(), 24 * values)


def test_mark_variables():
    x, y = np.arange(3), np.ones(3)
    gx, gy = np.zeros(3), np.ones(3)
    autograd.mark_variables([x, y], [gx, gy], grad_reqs=['write', 'add'])
    with autograd.record():
        z = (x * y * 2).sum()
    z.backward()
    assert x.grad is gx and y.grad is gy
    assert repr(gx) == 'array([2., 2., 2.])'
    assert repr(gy) == 'array([1., 3., 5.])'  # 'add': 1 + 2x
    with pytest.raises(ValueError, match='does not match'):
        autograd.mark_variables(np.ones(2), np.zeros(3))


def test_mark_variables_writes_into_views_and_numpy_buffers():
    w, b = np.ones(3), np.array([1.0, 2.0])
    flat = np.zeros(5)
    autograd.mark_variables([w, b], [flat[:3], flat[3:]])
    with autograd.record():
        loss = (w * w).sum() + (b * b).sum()
    loss.backward()
    assert repr(flat) == 'array([2., 2., 2., 2., 4.])'
    assert numpy.shares_memory(numpy.asarray(w.grad), numpy.asarray(flat))
    memory = numpy.zeros(5, numpy.float32)
    autograd.mark_variables([w, b], [memory[:3], memory[3:]], grad_reqs='add')
    for _ in range(2):
        with autograd.record():
            loss = (w * w).sum() + (b * b).sum()
        loss.backward()
    numpy.testing.assert_allclose(memory, [4.0, 4.0, 4.0, 4.0, 8.0])


def test_mark_variables_single_variable_and_list_forms():
    x = np.array([1.0, 2.0])
    buf = numpy.zeros(2)
    autograd.mark_variables(x, buf)
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    numpy.testing.assert_allclose(buf, [3.0, 3.0])
    autograd.mark_variables(x, [numpy.zeros(2)])
    assert x.grad is not None


@pytest.mark.parametrize(
    'variables,buffers,kwargs,error,match',
    [
        (2, [np.zeros(2)], {}, ValueError, r'1 gradient buffers for 2 variables'),
        (2, [np.zeros(2)] * 3, {}, ValueError, r'3 gradient buffers for 2 variables'),
        (
            2,
            [np.zeros(2), np.zeros(2, dtype='int32')],
            {},
            TypeError,
            r'buffer 1 has dtype int32.*float',
        ),
        (2, [numpy.zeros(2, numpy.int64), np.zeros(2)], {}, TypeError, r'buffer 0 has dtype int64'),
        (2, [np.zeros(2), np.zeros(3)], {}, ValueError, r'buffer 1 of shape \(3,\).*\(2,\)'),
        (2, [np.zeros(2), [0.0, 0.0]], {}, TypeError, r'buffer 1 is a list'),
        (1, [0.0], {}, TypeError, r'buffer 0 is a float'),
        (2, [np.zeros(2), None], {}, TypeError, r'buffer 1 is a NoneType'),
        (2, [np.zeros(2), numpy.zeros(2, numpy.complex128)], {}, TypeError, r'complex128'),
        (2, [np.zeros(2)] * 2, {'grad_reqs': ['write']}, ValueError, r'1 grad_reqs for 2'),
    ],
    ids=[
        'fewer',
        'more',
        'int',
        'numpy-int',
        'shape',
        'list',
        'number',
        'none',
        'complex',
        'grad-reqs',
    ],
)
def test_mark_variables_checks_its_buffers_at_once(variables, buffers, kwargs, error, match):
    xs = [np.array([1.0, 2.0]) for _ in range(variables)]
    with pytest.raises(error, match=match):
        autograd.mark_variables(xs, list(buffers), **kwargs)
    assert all(x.grad is None for x in xs)  # nothing was changed


def test_mark_variables_rejects_buffers_backward_cannot_write():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    frozen = numpy.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match='read-only'):
        autograd.mark_variables([a], [frozen])
    with pytest.raises(ValueError, match='shares memory with a variable'):
        autograd.mark_variables([a], [a.detach()])
    shared = numpy.zeros(2)
    with pytest.raises(ValueError, match='buffers 0 and 1 share memory'):
        autograd.mark_variables([a, b], [shared, shared])
    autograd.mark_variables([a, b], [shared, shared], grad_reqs='add')  # both add: a sum
    with autograd.record():
        y = (a * b).sum()
    y.backward()
    numpy.testing.assert_allclose(shared, [4.0, 6.0])
    c = np.array([1.0, 2.0])
    c.attach_grad()
    with pytest.raises(ValueError, match='an array of its own'):  # (c.detach() shares c's
        autograd.mark_variables([a], [c])  # memory: no remedy)
    with pytest.raises(ValueError, match='shares memory with a variable'):
        autograd.mark_variables([a], [c.detach()])


# --- training loops -------------------------------------------------------------------------------


def test_training_loop_slice_update():
    w = np.ones(3)
    w.attach_grad()
    for _ in range(3):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w[:] = w - 0.25 * w.grad
    assert repr(w) == 'array([0.125, 0.125, 0.125])'
    assert w.grad is not None and w.grad_req == 'write'


def test_training_loop_inplace_operator_keeps_the_gradient():
    w = np.ones(3)
    w.attach_grad()
    g = w.grad
    for _ in range(3):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w -= 0.25 * w.grad
    assert repr(w) == 'array([0.125, 0.125, 0.125])'
    assert w.grad is g


def test_linear_regression_converges():
    numpy.random.seed(1)
    features = np.random.normal(size=(100, 2))
    true_w = np.array([2.0, -3.4])
    labels = np.dot(features, true_w) + 4.2
    w, b = np.zeros(2), np.zeros(1)
    for p in (w, b):
        p.attach_grad()
    for _ in range(200):
        with autograd.record():
            loss = ((np.dot(features, w) + b - labels) ** 2).mean()
        loss.backward()
        for p in (w, b):
            p[:] = p - 0.1 * p.grad
    numpy.testing.assert_allclose(w.asnumpy(), [2.0, -3.4], atol=1e-3)
    numpy.testing.assert_allclose(b.asnumpy(), [4.2], atol=1e-3)


# --- dtypes ---------------------------------------------------------------------------------------


def test_float32_gradients_stay_float32():
    x = np.arange(4)
    x.attach_grad()
    with autograd.record():
        y = (x * numpy.arange(4.0)).sum() + np.max(x) + np.exp(x).mean()
    assert y.dtype == numpy.float64
    y.backward()
    assert x.grad.dtype == numpy.float32
    with autograd.record():
        y = np.max(x * numpy.float64(2.0))
    (dx,) = autograd.grad(y, [x])
    assert dx.dtype == numpy.float32


def test_float32_second_derivative_stays_float32():
    x = np.arange(3)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x) * numpy.float64(2.0)
        (d1,) = autograd.grad(y, [x], create_graph=True)
    d1.backward()
    assert d1.dtype == numpy.float32 and x.grad.dtype == numpy.float32


def test_float64_variables_get_float64_gradients():
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    assert x.grad.dtype == numpy.float64
    _square_sum(x).backward()
    assert x.grad.dtype == numpy.float64


# --- scale and memory ----------------------------------------------------------------------------


def test_long_chain_has_no_recursion_limit():
    x = np.ones(1)
    x.attach_grad()
    with autograd.record():
        y = x
        for _ in range(100_000):
            y = y * 1.0
    y.backward()
    assert repr(x.grad) == 'array([1.])'


def test_backward_releases_saved_buffers():
    x = np.ones(10_000)
    x.attach_grad()
    with autograd.record():
        big = np.exp(x)
        loss = (big * big).sum()
    ref = weakref.ref(big._data)  # the memory, which is what the graph keeps
    del big
    gc.collect()
    assert ref() is not None  # the graph still needs it
    loss.backward()
    gc.collect()
    assert ref() is None


def test_retain_graph_keeps_saved_buffers_until_the_graph_goes():
    x = np.ones(10_000)
    x.attach_grad()
    with autograd.record():
        big = np.exp(x)
        loss = (big * big).sum()
    ref = weakref.ref(big._data)
    del big
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    del loss
    gc.collect()
    assert ref() is None


def test_only_recorded_under_record():
    x = np.arange(3)
    x.attach_grad()
    assert (x * 2)._node is None
    with autograd.record():
        assert (x * 2)._node is not None
        assert (np.arange(3) * 2)._node is None  # no variable involved


def test_mark_variables_checks_buffers_against_every_variable_marked_before():
    w1, w2, buf = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.zeros(2)
    autograd.mark_variables([w1], [buf])
    autograd.mark_variables([w1], [buf])  # the same variable again: fine
    with pytest.raises(ValueError, match='gradient buffer of another variable'):
        autograd.mark_variables([w2], [buf])
    a = np.array([1.0, 2.0, 3.0, 4.0])
    a.attach_grad()
    with pytest.raises(ValueError, match='gradient buffer of another variable'):
        autograd.mark_variables([w2], [a.grad[:2]])
    with pytest.raises(ValueError, match='shares memory with a variable'):
        autograd.mark_variables([w2], [a[0:2]])
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]

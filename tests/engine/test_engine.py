"""The engine's own guarantees, independent of any particular op table."""

import gc
import weakref

import numpy
import pytest

from ndgrad import _engine, autograd, np
from ndgrad._primitive import Primitive
from ndgrad.testing import check_grad


def _halves(x):
    return x[..., :1] * 2.0, x[..., 1:] * 3.0


# A two-output primitive built outside the registry (so no public name appears).
HALVES = Primitive(
    'halves',
    _halves,
    vjps=(lambda xp, g, ans, x: xp.concatenate(g[0] * 2.0, g[1] * 3.0, axis=-1),),
    jvps=(lambda xp, t, ans, x: (t[..., :1] * 2.0, t[..., 1:] * 3.0),),
    save='shapes',
    nout=2,
)


def test_multi_output_gradients_fill_unused_outputs_with_zeros():
    x = np.array([1.0, 2.0, 4.0])
    x.attach_grad()
    with autograd.record():
        _a, b = HALVES(x)
        y = (b * b).sum()
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [0.0, 36.0, 72.0])


def test_multi_output_to_second_order_and_forward_mode():
    check_grad(
        lambda x: HALVES(x)[0] * HALVES(x)[1][..., :1] ** 2, [numpy.array([0.5, 1.5, 2.0])], order=2
    )


# Two outputs (exp(x), exp(2x)) whose vjp rule reads the saved outputs.
EXPS = Primitive(
    'exps',
    lambda x: (numpy.exp(x), numpy.exp(2 * x)),
    vjps=(lambda xp, g, ans, x: g[0] * ans[0] + g[1] * 2 * ans[1],),
    jvps=(lambda xp, t, ans, x: (t * ans[0], t * 2 * ans[1]),),
    save='output',
    nout=2,
)


def test_multi_output_rules_reading_outputs_differentiate_through_them():
    """Under create_graph the saved outputs of a multi-output op are graph arrays: the
    second derivative of exp(x) + exp(2x) is exp(x) + 4 exp(2x), not its first."""
    check_grad(lambda x: EXPS(x)[0] + EXPS(x)[1], [numpy.array([0.5, -1.0])], order=2)


def test_long_chain_has_no_recursion_limit():
    x = np.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = x
        for _ in range(100_000):
            y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_saved_buffers_are_released_after_backward():
    x = np.ones((100, 100))
    x.attach_grad()
    with autograd.record():
        h = np.tanh(x)  # saves its output
        y = (h * h).sum()
    ref = weakref.ref(h._node)
    del h
    y.backward()
    gc.collect()
    node = ref()
    assert node is None or (node.out is None and node.inputs is None)


def test_retain_graph_keeps_buffers_and_second_pass_matches():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (np.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.asnumpy().copy()
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), first)


def test_only_paths_to_requested_variables_are_computed():
    calls = []
    spy = Primitive(
        'spy',
        lambda w: w * 1.0,
        vjps=(lambda xp, g, ans, w: calls.append('w') or g,),
        save='shapes',
    )
    x, w = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = (x * spy(w)).sum()
    (gx,) = autograd.grad(y, [x])
    assert calls == []
    numpy.testing.assert_allclose(gx.asnumpy(), [3.0, 4.0])


def test_in_place_change_of_a_saved_input_is_detected():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    c = np.array([3.0, 4.0])
    with autograd.record():
        y = (x * c).sum()
    c[0] = 10.0
    with pytest.raises(autograd_error('InPlaceModificationError')):
        y.backward()


def autograd_error(name):
    import ndgrad

    return getattr(ndgrad, name)


def test_batched_backward_equals_looped_backward():
    w = numpy.random.default_rng(1).standard_normal((4, 3))
    x = np.array(numpy.array([0.3, -0.2, 0.5]))
    x.attach_grad()
    with autograd.record():
        y = np.tanh(np.matmul(np.array(w), x))
    seeds = numpy.eye(4)
    (batched,) = _engine.backward([y], [seeds], variables=[x._node], retain_graph=True, nbatch=1)
    for k in range(4):
        (row,) = _engine.backward([y], [seeds[k]], variables=[x._node], retain_graph=True)
        numpy.testing.assert_allclose(batched[k], row, rtol=1e-6)


def test_forward_mode_falls_back_to_the_transposed_vjp():
    upper = numpy.triu(numpy.ones((3, 3)))  # x @ upper is a cumulative sum
    no_jvp = Primitive(
        'no_jvp',
        lambda x: x @ upper,
        vjps=(lambda xp, g, ans, x: xp.matmul(g, upper.T),),
        save='shapes',
    )
    leaf = np.array(numpy.array([0.5, 1.0, 2.0]))
    leaf.attach_grad()
    with autograd.record():
        y = no_jvp(leaf) * 1.0
    (t,) = _engine.push_tangents([y._node], {leaf._node: numpy.array([1.0, 0.0, 0.0])})
    numpy.testing.assert_allclose(t, [1.0, 1.0, 1.0])
    seeds = numpy.eye(3)
    (batched,) = _engine.push_tangents([y._node], {leaf._node: seeds}, nbatch=1)
    numpy.testing.assert_allclose(batched, upper)


def test_write_zeroes_a_reachable_variable_that_received_no_gradient():
    x = np.array([1.0, 0.0])
    x.attach_grad()
    with autograd.record():
        y = (x * 3.0).sum()
    y.backward()
    with autograd.record():
        z = np.where(x, np.ones(2), np.zeros(2)).sum()  # x is only the condition
    z.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0])


def test_write_zeroes_a_variable_behind_an_op_that_received_no_gradient():
    x, w = np.array([1.0, 0.0]), np.array([2.0, 3.0])
    x.attach_grad()
    w.attach_grad()
    for var in (x, w):
        var.grad[:] = 7.0
    with autograd.record():
        cond = (x * 2.0) * w  # reaches z only as the condition of where
        z = (np.where(cond, np.ones(2), np.zeros(2)) + w).sum()
    z.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0])
    numpy.testing.assert_allclose(w.grad.asnumpy(), [1.0, 1.0])  # through the other path


def test_outputs_of_a_multi_output_op_used_several_times_or_not_at_all():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    x.attach_grad()
    with autograd.record():
        a, b, _c = np.split(x, 3)
        y = (a * a).sum() + (a * b).sum() + 2.0 * a.sum()
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [2 + 3 + 2, 4 + 4 + 2, 1, 2, 0, 0])


def test_assignment_outside_record_detaches_a_recorded_array():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2.0
        z = (y + x).sum()  # add saves nothing of y
        w = (y * x).sum()  # multiply saves y's values
    y[0] = 5.0  # y's history (2x) no longer describes y
    with pytest.raises(autograd_error('NotRecordedError')):
        y.backward()
    with pytest.raises(autograd_error('InPlaceModificationError')):
        w.backward(retain_graph=True)
    z.backward()  # z was computed from the old y: dz/dx is still 3
    numpy.testing.assert_allclose(x.grad.asnumpy(), [3.0, 3.0])


# --- threads --------------------------------------------------------------------------------


def test_concurrent_backward_passes_into_one_add_buffer_lose_nothing():
    import threading

    w = np.ones(100_000, dtype='float64')
    w.attach_grad('add')
    threads, passes = 8, 40

    def work():
        for _ in range(passes):
            with autograd.record():
                loss = (w * 1.0).sum()
            loss.backward()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert (w.grad.asnumpy() == threads * passes).all()


def test_detect_anomaly_is_per_thread():
    import threading

    seen = {}

    def other():
        x = np.array([0.0, 1.0])
        x.attach_grad()
        with autograd.record():
            y = np.sqrt(x).sum()
        try:
            with numpy.errstate(divide='ignore'):
                y.backward()  # inf gradient at 0: no anomaly mode in this thread
            seen['raised'] = False
        except FloatingPointError:
            seen['raised'] = True

    with autograd.detect_anomaly():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == {'raised': False}


# --- functions linear in a variable: derivatives of every order --------------------------------


def test_second_derivative_of_a_linear_function_is_zero_through_grad():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    a.attach_grad()
    b.attach_grad()
    v = np.array([5.0, 6.0])
    with autograd.record():
        y = a + b
        g = autograd.grad(y, [a], create_graph=True)[0]
        s = (g * v).sum()
    assert g.tolist() == [1.0, 1.0]
    s.backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, 0.0]
    with autograd.record():
        y = 3 * a
        g = autograd.grad(y, [a, b], create_graph=True)  # b not used: zeros
        s = (g[0] * g[1] + g[0]).sum()
    assert [r.tolist() for r in autograd.grad(s, [a, b])] == [[0.0, 0.0], [0.0, 0.0]]


def test_second_derivative_of_a_linear_function_is_zero_through_grad_buffers():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * 3).sum()
    autograd.backward(y, create_graph=True)
    assert x.grad.tolist() == [3.0, 3.0]
    with autograd.record():
        s = (x.grad * x.grad).sum()
    s.backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_a_constant_result_is_still_not_recorded():
    x = np.array([1.0, 2.0])
    with autograd.record():
        y = (x * 2).sum()  # no variable at all
    with pytest.raises(autograd_error('NotRecordedError'), match='attach_grad'):
        y.backward()
    x.attach_grad()
    with autograd.record():
        i = np.argmax(x * 2)
    with pytest.raises(autograd_error('NotRecordedError'), match='integer and boolean'):
        i.backward()


def test_a_complex_intermediate_of_a_recorded_array_keeps_its_gradient():
    x = np.array([1.0, -2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = np.abs(x * numpy.array([1j, 2.0]))
    assert y.tolist() == [1.0, 4.0]
    y.backward()  # d|x * c|/dx = |c| sign(x), in x's real dtype
    assert x.grad.dtype == numpy.float64 and x.grad.tolist() == [1.0, -2.0]
    with autograd.pause():  # a constant
        assert np.abs(x * numpy.array([1j, 2.0])).tolist() == [1.0, 4.0]


def test_a_gradient_buffer_that_is_a_view_keeps_receiving_gradients():
    flat = numpy.zeros(5)
    a, b = np.array([1.0, 2.0], dtype='float64'), np.array([3.0, 4.0, 5.0], dtype='float64')
    autograd.mark_variables([a, b], [flat[:2], flat[2:]])  # views of one flat array
    for scale in (1.0, 3.0):
        with autograd.record():
            loss = (a * a * scale).sum() + (b * 2).sum()
        loss.backward()  # (a fresh gradient nothing else holds: never swapped in)
        assert flat.tolist() == [2.0 * scale, 4.0 * scale, 2.0, 2.0, 2.0]

"""Arrays on a GPU hold CuPy arrays: the op harness on CuPy, devices, moving and mixing.
Skipped where there is no GPU (or no CuPy)."""

import numpy
import pytest

from ndgrad import autograd, np, npx
from ndgrad._backend import kind, to_numpy
from ndgrad._primitive import REC, Primitive
from ndgrad.gluon import nn
from tests.backends.harness import FAMILIES, run_case_on
from tests.ops.harness import SHAPES_UNARY, Case, run_case

cupy = pytest.importorskip('cupy')
pytestmark = pytest.mark.skipif(npx.num_gpus() == 0, reason='no GPU')


def _to_gpu(x):
    return cupy.asarray(x)


def _to_host(x):
    return to_numpy(x)


# recorded moves between host and GPU 0, each the other's derivative, so the harness
# differentiates the op itself on the GPU and compares on the host
TO_GPU = Primitive('to_gpu', _to_gpu, save='shapes')
TO_HOST = Primitive('to_host', _to_host, save='shapes')
TO_GPU.vjps = TO_GPU.jvps = (lambda xp, g, ans, x: TO_HOST(g) if xp is REC else _to_host(g),)
TO_HOST.vjps = TO_HOST.jvps = (lambda xp, g, ans, x: TO_GPU(g) if xp is REC else _to_gpu(g),)


def _on_gpu_to_host(f):
    return lambda *xs: TO_HOST(f(*xs))


@pytest.mark.parametrize(
    'case', [c for cases in FAMILIES.values() for c in cases], ids=lambda c: c.name
)
def test_op_on_gpu(case):
    run_case_on(case, TO_GPU, 'cupy', after=TO_HOST)


def test_devices_and_moves():
    g = npx.gpu(0)
    assert repr(g) == 'gpu(0)' and npx.num_gpus() >= 1
    x = np.arange(4, ctx=g)
    assert kind(x._data) == 'cupy' and x.ctx == g
    assert x.as_in_ctx(g) is x
    h = x.as_in_ctx(npx.cpu())
    assert type(h._data) is numpy.ndarray and h.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert x.copyto(npx.cpu()).ctx == npx.cpu()
    for make in (np.zeros, np.ones):
        assert make(3, ctx=g).ctx == g
    assert np.full(2, 1.5, ctx=g).ctx == np.array([1, 2], ctx=g).ctx == g
    assert np.random.normal(size=3, ctx=g).ctx == g
    with g:
        assert np.zeros(2).ctx == g
    assert x.asnumpy().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_gradients_on_the_gpu_with_numpy_constants():
    g = npx.gpu(0)
    w = np.array([1.0, 2.0, 3.0], ctx=g)
    w.attach_grad()
    with autograd.record():
        loss = ((w * numpy.array([1.0, 0.5, 2.0]) + 1) ** 2).sum()
    loss.backward()
    assert kind(w.grad._data) == 'cupy'
    numpy.testing.assert_allclose(
        w.grad.asnumpy(), 2 * (w.asnumpy() * [1, 0.5, 2] + 1) * [1, 0.5, 2]
    )


def test_mixing_devices_names_both():
    if npx.num_gpus() < 2:
        pytest.skip('one GPU')
    a, b = np.ones(2, ctx=npx.gpu(0)), np.ones(2, ctx=npx.gpu(1))
    with pytest.raises(TypeError, match=r'gpu\(0\).*gpu\(1\)'):
        a + b


GPU_COPIES = [
    Case(f'{name}/{shape}', fn, ref, [shape])
    for shape in SHAPES_UNARY
    for name, fn, ref in (
        (
            'as_in_ctx/there-and-back',
            lambda x: np.sin(x.as_in_ctx(npx.gpu(0))).as_in_ctx(npx.cpu()) * x,
            lambda x: numpy.sin(x) * x,
        ),
        (
            'copyto/there-and-back',
            lambda x: (x.copyto(npx.gpu(0)) ** 3).copyto(npx.cpu()),
            lambda x: x**3,
        ),
        (
            'array-ctx/there-and-back',
            lambda x: np.array(np.exp(np.array(x, ctx=npx.gpu(0))), ctx=npx.cpu()),
            numpy.exp,
        ),
    )
]


@pytest.mark.parametrize('case', GPU_COPIES, ids=str)
def test_copies_between_host_and_gpu_are_differentiated_through(case):
    run_case(case)


def test_a_gpu_loss_reaches_host_parameters_and_back():
    w = np.array([1.0, -2.0, 3.0])
    v = np.array([0.5, 1.0, 2.0], ctx=npx.gpu(0))
    w.attach_grad()
    v.attach_grad()
    with autograd.record():
        loss = (w.as_in_ctx(npx.gpu(0)) * v).sum() + (v.as_in_ctx(npx.cpu()) ** 2).sum()
    loss.backward()
    assert type(w.grad._data) is numpy.ndarray and kind(v.grad._data) == 'cupy'
    numpy.testing.assert_allclose(w.grad.asnumpy(), [0.5, 1.0, 2.0])
    numpy.testing.assert_allclose(v.grad.asnumpy(), [1.0 + 1.0, -2.0 + 2.0, 3.0 + 4.0])


def test_gluon_parameters_and_trainer_steps_on_the_gpu():
    from tests.backends.test_devices import _trained_dense

    g = npx.gpu(0)
    for optimizer in ('sgd', 'adam'):
        on_gpu, on_cpu = _trained_dense(g, optimizer), _trained_dense(npx.cpu(), optimizer)
        for param in on_gpu.collect_params().values():
            assert param.list_ctx() == [g] and param.data(g).ctx == g
            assert kind(param.data()._data) == kind(param.grad()._data) == 'cupy'
            with pytest.raises(RuntimeError, match='not initialized on context cpu'):
                param.data(npx.cpu())
        numpy.testing.assert_allclose(
            on_gpu.weight.data().asnumpy(), on_cpu.weight.data().asnumpy(), rtol=1e-5
        )
    net = on_gpu
    net.collect_params().reset_ctx(npx.cpu())
    assert net.weight.data().ctx == npx.cpu() and net.weight.grad().ctx == npx.cpu()
    deferred = nn.Dense(2)
    deferred.initialize(ctx=g)
    assert deferred(np.ones((1, 3), ctx=g)).ctx == g and deferred.weight.data().ctx == g


def test_d2l_uses_the_gpu():
    from ndgrad import d2l

    assert d2l.try_gpu() == npx.gpu(0)
    assert d2l.try_all_gpus() == [npx.gpu(i) for i in range(npx.num_gpus())]
    assert d2l.try_gpu(npx.num_gpus()) == npx.cpu()
    assert d2l.to(np.ones(2), d2l.try_gpu()).ctx == npx.gpu(0)

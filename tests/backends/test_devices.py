"""MXNet's device API: contexts, ``ctx=`` on creation, moving arrays, and what a machine
without CuPy or without a GPU says."""

import numpy
import pytest

from ndgrad import autograd, d2l, gluon, init, np, npx
from ndgrad._backend import Context, as_context
from ndgrad.gluon import Trainer, nn


def test_contexts_are_named_and_compare_as_mxnet_names():
    assert repr(npx.cpu()) == str(npx.cpu()) == 'cpu(0)' and npx.cpu() == 'cpu(0)'
    assert repr(Context('gpu', 1)) == 'gpu(1)'
    assert npx.cpu().device_type == 'cpu' and npx.cpu().device_id == 0
    assert npx.current_context() == npx.cpu()
    with npx.cpu() as ctx:
        assert npx.current_context() is ctx
    with pytest.raises(ValueError, match="'cpu' or 'gpu'"):
        Context('tpu')
    with pytest.raises(ValueError, match='unknown context'):
        as_context('fpga(0)')


def test_arrays_say_where_they_are_and_move_on_the_cpu():
    x = np.arange(3, ctx=npx.cpu())
    assert x.ctx == x.device == x.context == npx.cpu()
    assert x.as_in_ctx(npx.cpu()) is x and x.as_in_context('cpu(0)') is x
    y = x.copyto(npx.cpu())
    assert y is not x and y.tolist() == [0.0, 1.0, 2.0]
    for make in (
        lambda: np.array([1, 2], ctx=npx.cpu()),
        lambda: np.zeros(2, ctx='cpu(0)'),
        lambda: np.ones(2, ctx=npx.cpu()),
        lambda: np.full(2, 3.0, ctx=npx.cpu()),
        lambda: np.empty(2, ctx=npx.cpu()),
        lambda: np.random.normal(size=2, ctx=npx.cpu()),
        lambda: np.random.uniform(0, 1, 2, None, npx.cpu()),
    ):
        a = make()
        assert type(a._data) is numpy.ndarray and a.ctx == 'cpu(0)'


@pytest.mark.skipif(npx.num_gpus() > 0, reason='a GPU is present')
def test_without_a_gpu_asking_for_one_says_what_is_missing():
    assert npx.num_gpus() == 0
    try:
        import cupy  # noqa: F401

        missing = 'CuPy sees 0 GPU'
    except ImportError:
        missing = 'needs CuPy, which is not installed'
    with pytest.raises(RuntimeError, match=missing):
        npx.gpu()
    with pytest.raises(RuntimeError, match=missing):
        np.zeros(2, ctx='gpu(0)')
    with pytest.raises(RuntimeError, match=missing):
        np.ones(2).as_in_ctx('gpu(0)')


def _trained_dense(ctx, optimizer='adam'):
    """A Dense layer initialized on `ctx` and trained two steps; its weight as NumPy."""
    net = nn.Dense(2, in_units=3, weight_initializer=init.Constant(0.5))
    net.initialize(ctx=ctx)
    trainer = Trainer(net.collect_params(), optimizer, {'learning_rate': 0.1})
    x = np.array(numpy.arange(6.0).reshape(2, 3), ctx=net.weight.list_ctx()[0])
    for _ in range(2):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        trainer.step(2)
    return net


def test_gluon_parameters_live_on_the_cpu_context_they_are_given():
    for ctx in (None, npx.cpu(), 'cpu(0)', [npx.cpu(), npx.cpu()]):
        net = _trained_dense(ctx)
        for param in net.collect_params().values():
            assert param.list_ctx() == [npx.cpu()]
            assert param.data(npx.cpu()) is param.data() and param.data().ctx == npx.cpu()
            assert type(param.grad('cpu(0)')._data) is numpy.ndarray
        assert net.collect_params().list_ctx() == [npx.cpu()]
    numpy.testing.assert_allclose(
        _trained_dense(npx.cpu()).weight.data().asnumpy(),
        _trained_dense(None).weight.data().asnumpy(),
    )
    deferred = nn.Dense(2)
    deferred.initialize(ctx=npx.cpu())
    assert deferred.weight.list_ctx() == [npx.cpu()]
    deferred(np.ones((1, 3)))
    assert deferred.weight.data().ctx == npx.cpu()
    layer = nn.Dense(1, in_units=1)
    with npx.cpu():
        layer.initialize()  # (the current context)
    assert layer.weight.list_ctx() == [npx.cpu()]


def test_a_parameter_lives_on_one_device():
    param = nn.Dense(1, in_units=1).weight
    with pytest.raises(ValueError, match='lives on one device'):
        param.initialize(ctx=[npx.cpu(), Context('gpu', 0)])
    param.initialize(ctx=npx.cpu())
    with pytest.raises(RuntimeError, match=r'not initialized on context gpu\(1\)'):
        param.data(Context('gpu', 1))
    param.reset_ctx(npx.cpu())
    assert param.list_ctx() == [npx.cpu()]


def test_d2l_devices_without_a_gpu_are_the_cpu():
    if npx.num_gpus():
        pytest.skip('a GPU is present')
    assert d2l.try_gpu() == d2l.try_gpu(1) == npx.cpu()
    assert d2l.try_all_gpus() == [npx.cpu()]
    x = np.ones(2)
    assert d2l.to(x, d2l.try_gpu()) is x
    parts = gluon.utils.split_and_load(np.ones((4, 1)), d2l.try_all_gpus() * 2)
    assert [p.ctx for p in parts] == [npx.cpu()] * 2


@pytest.mark.skipif(npx.num_gpus() > 0, reason='a GPU is present')
def test_gluon_on_a_missing_gpu_says_what_is_missing():
    layer = nn.Dense(1, in_units=1)
    for ask in (
        lambda: layer.initialize(ctx='gpu(0)'),
        lambda: gluon.utils.split_and_load(np.ones(2), ['gpu(0)']),
        lambda: d2l.to(np.ones(2), 'gpu(0)'),
    ):
        with pytest.raises(RuntimeError, match=r'gpu\(0\)'):
            ask()

"""MXNet's device API: contexts, ``ctx=`` on creation, moving arrays, and what a machine
without CuPy or without a GPU says."""

import numpy
import pytest

from ndgrad import np, npx
from ndgrad._backend import Context, as_context


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

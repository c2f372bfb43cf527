"""The device copy op (`ndgrad/rules/devices.py`): ``x.copyto(ctx)``, ``x.as_in_ctx(ctx)``
and ``np.array(x, ctx=ctx)`` are differentiated through, to the array they copied."""

import numpy
import pytest

from ndgrad import autograd, np, npx
from tests.backends.harness import run_case_on
from tests.ops.harness import SHAPES_UNARY, Case, run_case

CPU_COPIES = [
    Case(f'{name}/{shape}', fn, ref, [shape])
    for shape in SHAPES_UNARY
    for name, fn, ref in (
        ('copyto', lambda x: np.sin(x.copyto(npx.cpu())) * x, lambda x: numpy.sin(x) * x),
        ('array-ctx', lambda x: np.array(x, ctx=npx.cpu()) ** 3, lambda x: x**3),
        ('as_in_ctx', lambda x: np.exp(x.as_in_ctx('cpu(0)')), numpy.exp),
    )
]


@pytest.mark.parametrize('case', CPU_COPIES, ids=str)
def test_a_copy_to_a_device_is_differentiated_through(case):
    run_case(case)


@pytest.mark.parametrize('case', CPU_COPIES[:6], ids=str)
def test_a_copy_of_dask_data_stays_lazy_and_differentiable(case):
    pytest.importorskip('dask.array')
    from tests.backends.test_dask_ops import TO_DASK

    run_case_on(case, TO_DASK, 'dask')


def test_copies_under_record_give_the_gradient_to_the_source():
    x = np.array([1.0, -2.0, 3.0])
    x.attach_grad()
    for copy in (
        lambda x: x.copyto(npx.cpu()),
        lambda x: x.as_in_context(npx.cpu()),
        lambda x: np.array(x, ctx='cpu(0)'),
    ):
        with autograd.record():
            y = copy(x)
            loss = (y * y).sum()
        loss.backward()
        assert type(x.grad._data) is numpy.ndarray
        numpy.testing.assert_allclose(x.grad.asnumpy(), [2.0, -4.0, 6.0])
    with autograd.record():
        y = x.copyto(npx.cpu())
    assert y is not x and y._node is not None
    y[0] = 7.0  # (a copy: the source is not written)
    assert x.tolist() == [1.0, -2.0, 3.0]

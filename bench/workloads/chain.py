"""1000 chained ``y = y * 1.0001 + 0.001`` on 4 floats, then the gradient of sum(y):
the per-op overhead of recording and of the backward pass."""

import numpy

from ._base import Workload

W = Workload('chain', '1000 chained y*1.0001+0.001 on 4 floats, fwd+bwd')
STEPS = 1000


def _x():
    return numpy.array([0.5, -1.0, 2.0, 3.0], dtype=numpy.float32)


@W.impl('numpy')
def _numpy(quick):
    x = _x()

    def step():
        y = x
        for _ in range(STEPS):
            y = y * 1.0001 + 0.001
        g = numpy.ones_like(x)
        for _ in range(STEPS):
            g = g * 1.0001
        return g

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np

    x = np.array(_x())
    x.attach_grad()

    def step():
        with autograd.record():
            y = x
            for _ in range(STEPS):
                y = y * 1.0001 + 0.001
            loss = y.sum()
        loss.backward()
        return x.grad

    return step


@W.impl('torch')
def _torch(quick):
    import torch

    x = torch.tensor(_x(), requires_grad=True)

    def step():
        x.grad = None
        y = x
        for _ in range(STEPS):
            y = y * 1.0001 + 0.001
        y.sum().backward()
        return x.grad

    return step


def _f(np):
    def f(x):
        y = x
        for _ in range(STEPS):
            y = y * 1.0001 + 0.001
        return np.sum(y)

    return f


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    x = _x()
    g = autograd.grad(_f(anp))
    return lambda: g(x)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(_x())
    g = jax.jit(jax.grad(_f(jnp)))
    return lambda: g(x).block_until_ready()


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg

    x = mg.tensor(_x())

    def step():
        y = x
        for _ in range(STEPS):
            y = y * 1.0001 + 0.001
        mg.sum(y).backward()
        return x.grad

    return step

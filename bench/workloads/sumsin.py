"""``sum(np.sin(x))`` with Python's built-in sum over 200 elements, then backward:
iteration makes one indexing op and one add per element."""

import numpy

from ._base import Workload

W = Workload('sumsin', "Python's sum(np.sin(x)) over 200 elements, fwd+bwd")
N = 200


def _x():
    return numpy.linspace(-3, 3, N, dtype=numpy.float32)


@W.impl('numpy')
def _numpy(quick):
    x = _x()

    def step():
        sum(numpy.sin(x))
        return numpy.cos(x)

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np

    x = np.array(_x())
    x.attach_grad()

    def step():
        with autograd.record():
            s = sum(np.sin(x))
        s.backward()
        return x.grad

    return step


@W.impl('torch')
def _torch(quick):
    import torch

    x = torch.tensor(_x(), requires_grad=True)

    def step():
        x.grad = None
        sum(torch.sin(x)).backward()
        return x.grad

    return step


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    x = _x()
    g = autograd.grad(lambda x: sum(anp.sin(x)))
    return lambda: g(x)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(_x())
    g = jax.jit(jax.grad(lambda x: sum(jnp.sin(x))))
    return lambda: g(x).block_until_ready()


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg

    x = mg.tensor(_x())

    def step():
        sum(mg.sin(x)).backward()
        return x.grad

    return step

"""The Hessian of ``sum(tanh(W @ x) ** 2)``, 100×100: forward over reverse, or
reverse over reverse, vectorized."""

import numpy

from ._base import Workload, matrix_and_vector, ndgrad_func

W = Workload('hessian', 'Hessian of sum(tanh(W @ x)**2), 100x100')
N = 100


def _data():
    return matrix_and_vector(N, seed=1)


@W.impl('numpy')
def _numpy(quick):
    A, x = _data()

    def step():
        y = numpy.tanh(A @ x)
        s = 1 - y * y
        return A.T @ ((2 * s * s - 4 * y * y * s)[:, None] * A)

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    func = ndgrad_func()
    from ndgrad import np

    A, x = _data()
    A, x = np.array(A), np.array(x)
    hess = func.hessian(lambda x: np.sum(np.tanh(A @ x) ** 2))
    return lambda: hess(x)


@W.impl('torch')
def _torch(quick):
    import torch

    A, x = map(torch.from_numpy, _data())
    hess = torch.func.hessian(lambda x: torch.sum(torch.tanh(A @ x) ** 2))
    return lambda: hess(x)


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    A, x = _data()
    hess = autograd.hessian(lambda x: anp.sum(anp.tanh(anp.dot(A, x)) ** 2))
    return lambda: hess(x)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    A, x = map(jnp.asarray, _data())
    hess = jax.jit(jax.hessian(lambda x: jnp.sum(jnp.tanh(A @ x) ** 2)))
    return lambda: hess(x).block_until_ready()

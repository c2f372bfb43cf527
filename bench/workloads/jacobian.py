"""The full Jacobian of ``tanh(W @ x)``, 200×200, in reverse mode: a vectorized
transform pushes all 200 cotangents through one backward pass."""

import numpy

from ._base import Workload, matrix_and_vector, ndgrad_func

W = Workload('jacobian', 'Jacobian of tanh(W @ x), 200x200')
N = 200


def _data():
    return matrix_and_vector(N, seed=0)


@W.impl('numpy')
def _numpy(quick):
    A, x = _data()

    def step():
        y = numpy.tanh(A @ x)
        return (1 - y * y)[:, None] * A

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    func = ndgrad_func()
    from ndgrad import np

    A, x = _data()
    A, x = np.array(A), np.array(x)
    jac = func.jacrev(lambda x: np.tanh(A @ x))
    return lambda: jac(x)


@W.impl('torch')
def _torch(quick):
    import torch

    A, x = map(torch.from_numpy, _data())
    jac = torch.func.jacrev(lambda x: torch.tanh(A @ x))
    return lambda: jac(x)


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    A, x = _data()
    jac = autograd.jacobian(lambda x: anp.tanh(anp.dot(A, x)))
    return lambda: jac(x)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    A, x = map(jnp.asarray, _data())
    jac = jax.jit(jax.jacrev(lambda x: jnp.tanh(A @ x)))
    return lambda: jac(x).block_until_ready()


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg

    A, x = _data()
    x = mg.tensor(x)

    def step():  # MyGrad has no Jacobian transform: one backward pass per output
        rows = []
        for i in range(N):
            mg.tanh(mg.matmul(A, x))[i].backward()
            rows.append(x.grad)
        return numpy.stack(rows)

    return step

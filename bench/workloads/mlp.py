"""One training step's gradients of an MLP: 128×784 → tanh(256) → 10, softmax
cross-entropy, float32. Dominated by matrix products: overhead must stay small."""

import numpy

from ._base import Workload

W = Workload('mlp', 'MLP step 128x784 -> tanh(256) -> 10, softmax CE, float32, fwd+bwd')
BATCH, IN, HIDDEN, OUT = 128, 784, 256, 10


def _data():
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((BATCH, IN), dtype=numpy.float32)
    y = rng.integers(0, OUT, BATCH)
    params = [
        (rng.standard_normal((IN, HIDDEN), dtype=numpy.float32) * 0.05),
        numpy.zeros(HIDDEN, numpy.float32),
        (rng.standard_normal((HIDDEN, OUT), dtype=numpy.float32) * 0.05),
        numpy.zeros(OUT, numpy.float32),
    ]
    return X, y, params


@W.impl('numpy')
def _numpy(quick):
    X, y, (W1, b1, W2, b2) = _data()
    rows = numpy.arange(BATCH)

    def step():
        h = numpy.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        z = z - z.max(axis=1, keepdims=True)
        e = numpy.exp(z)
        s = e.sum(axis=1, keepdims=True)
        logp = z - numpy.log(s)
        -logp[rows, y].mean()
        dz = e / s
        dz[rows, y] -= 1
        dz /= BATCH
        gW2 = h.T @ dz
        gb2 = dz.sum(axis=0)
        dh = (dz @ W2.T) * (1 - h * h)
        return X.T @ dh, dh.sum(axis=0), gW2, gb2

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np, npx

    X, y, params = _data()
    X = np.array(X)
    params = [np.array(p) for p in params]
    for p in params:
        p.attach_grad()
    W1, b1, W2, b2 = params
    labels = np.array(y)

    def step():
        with autograd.record():
            h = np.tanh(X @ W1 + b1)
            loss = npx.softmax_cross_entropy(h @ W2 + b2, labels)
        loss.backward()
        return [p.grad for p in params]

    return step


@W.impl('torch')
def _torch(quick):
    import torch
    import torch.nn.functional as F

    X, y, params = _data()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    params = [torch.tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2 = params

    def step():
        for p in params:
            p.grad = None
        h = torch.tanh(X @ W1 + b1)
        F.cross_entropy(h @ W2 + b2, y).backward()
        return [p.grad for p in params]

    return step


def _loss(np, X, y):
    rows = numpy.arange(BATCH)

    def loss(params):
        W1, b1, W2, b2 = params
        h = np.tanh(np.dot(X, W1) + b1)
        z = np.dot(h, W2) + b2
        z = z - np.max(z, axis=1, keepdims=True)
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return -np.mean(logp[rows, y])

    return loss


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    X, y, params = _data()
    g = autograd.grad(_loss(anp, X, y))
    return lambda: g(params)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    X, y, params = _data()
    X, y = jnp.asarray(X), jnp.asarray(y)
    params = [jnp.asarray(p) for p in params]

    def loss(params):
        W1, b1, W2, b2 = params
        h = jnp.tanh(X @ W1 + b1)
        logp = jax.nn.log_softmax(h @ W2 + b2)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    g = jax.jit(jax.grad(loss))
    return lambda: jax.block_until_ready(g(params))


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg
    from mygrad.nnet import softmax_crossentropy

    X, y, params = _data()
    params = [mg.tensor(p) for p in params]
    W1, b1, W2, b2 = params

    def step():
        h = mg.tanh(mg.matmul(X, W1) + b1)
        softmax_crossentropy(mg.matmul(h, W2) + b2, y).backward()
        return [p.grad for p in params]

    return step

"""Linear regression trained by minibatch SGD: 100 steps, batch 10, 2 features.
Tiny arrays, so this is the cost of a training loop's bookkeeping."""

import numpy

from ._base import Workload

W = Workload(
    'linreg', 'linear regression, 100 minibatch SGD steps (batch 10, 2 features)', rtol=1e-3
)
N, BATCH, LR = 1000, 10, 0.03


def _data():
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((N, 2), dtype=numpy.float32)
    y = (
        X @ numpy.array([[2.0], [-3.4]], numpy.float32)
        + 4.2
        + rng.normal(0, 0.01, (N, 1)).astype(numpy.float32)
    )
    batches = numpy.split(rng.permutation(N), N // BATCH)
    w0 = rng.normal(0, 0.01, (2, 1)).astype(numpy.float32)
    b0 = numpy.zeros(1, numpy.float32)
    return X, y, batches, w0, b0


@W.impl('numpy')
def _numpy(quick):
    X, y, batches, w0, b0 = _data()

    def step():
        w, b = w0.copy(), b0.copy()
        for idx in batches:
            Xb, yb = X[idx], y[idx]
            err = Xb @ w + b - yb
            w -= LR * (Xb.T @ err) / BATCH
            b -= LR * err.sum(axis=0) / BATCH
        return w, b

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np

    X, y, batches, w0, b0 = _data()
    X, y = np.array(X), np.array(y)

    def step():
        w, b = np.array(w0), np.array(b0)
        w.attach_grad()
        b.attach_grad()
        for idx in batches:
            Xb, yb = X[idx], y[idx]
            with autograd.record():
                loss = (np.dot(Xb, w) + b - yb) ** 2 / 2
            loss.backward()
            for p in (w, b):
                p[:] = p - LR * p.grad / BATCH
        return w, b

    return step


@W.impl('torch')
def _torch(quick):
    import torch

    X, y, batches, w0, b0 = _data()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    batches = [torch.from_numpy(idx) for idx in batches]

    def step():
        w = torch.tensor(w0, requires_grad=True)
        b = torch.tensor(b0, requires_grad=True)
        for idx in batches:
            Xb, yb = X[idx], y[idx]
            ((Xb @ w + b - yb) ** 2 / 2).sum().backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= LR * p.grad / BATCH
                    p.grad.zero_()
        return w.detach(), b.detach()

    return step


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    X, y, batches, w0, b0 = _data()
    g = autograd.grad(
        lambda w, b, Xb, yb: anp.sum((anp.dot(Xb, w) + b - yb) ** 2 / 2), argnum=(0, 1)
    )

    def step():
        w, b = w0, b0
        for idx in batches:
            gw, gb = g(w, b, X[idx], y[idx])
            w = w - LR * gw / BATCH
            b = b - LR * gb / BATCH
        return w, b

    return step


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    X, y, batches, w0, b0 = _data()
    X, y = jnp.asarray(X), jnp.asarray(y)
    batches = [jnp.asarray(idx) for idx in batches]

    @jax.jit
    def update(w, b, idx):
        Xb, yb = X[idx], y[idx]
        gw, gb = jax.grad(lambda w, b: jnp.sum((Xb @ w + b - yb) ** 2 / 2), (0, 1))(w, b)
        return w - LR * gw / BATCH, b - LR * gb / BATCH

    def step():
        w, b = jnp.asarray(w0), jnp.asarray(b0)
        for idx in batches:
            w, b = update(w, b, idx)
        return jax.block_until_ready((w, b))

    return step


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg

    X, y, batches, w0, b0 = _data()

    def step():
        w, b = mg.tensor(w0), mg.tensor(b0)
        for idx in batches:
            Xb, yb = X[idx], y[idx]
            mg.sum((mg.matmul(Xb, w) + b - yb) ** 2 / 2).backward()
            for p in (w, b):
                p.data -= LR * p.grad / BATCH
        return w, b

    return step

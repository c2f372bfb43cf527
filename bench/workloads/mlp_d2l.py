"""The MLP step of `mlp` written as the d2l book writes it, op by op: ``np.dot``, ``tanh``,
``npx.log_softmax``, ``npx.pick``, ``mean`` (no fused loss, no biases), float32. The
hand-written NumPy step computes the same loss and gradients: the floor."""

import numpy

from ._base import Workload
from .mlp import BATCH, _data

W = Workload('mlp_d2l', 'd2l-style MLP step: dot, tanh, dot, log_softmax, pick, mean; fwd+bwd')


@W.impl('numpy')
def _numpy(quick):
    X, y, (W1, _, W2, _) = _data()
    rows = numpy.arange(BATCH)

    def step():
        h = numpy.tanh(numpy.dot(X, W1))
        z = numpy.dot(h, W2)
        z = z - z.max(axis=1, keepdims=True)
        e = numpy.exp(z)
        s = e.sum(axis=1, keepdims=True)
        logp = z - numpy.log(s)
        -logp[rows, y].mean()
        dz = e / s
        dz[rows, y] -= 1
        dz /= BATCH
        dh = numpy.dot(dz, W2.T) * (1 - h * h)
        return numpy.dot(X.T, dh), numpy.dot(h.T, dz)

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np, npx

    X, y, (W1, _, W2, _) = _data()
    X, labels = np.array(X), np.array(y)
    W1, W2 = np.array(W1), np.array(W2)
    W1.attach_grad()
    W2.attach_grad()

    def step():
        with autograd.record():
            z = np.dot(np.tanh(np.dot(X, W1)), W2)
            loss = -npx.pick(npx.log_softmax(z), labels).mean()
        loss.backward()
        return W1.grad, W2.grad

    return step


@W.impl('torch')
def _torch(quick):
    import torch

    X, y, (W1, _, W2, _) = _data()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    W1 = torch.tensor(W1, requires_grad=True)
    W2 = torch.tensor(W2, requires_grad=True)

    def step():
        W1.grad = W2.grad = None
        z = torch.tanh(X @ W1) @ W2
        loss = -torch.log_softmax(z, dim=1).gather(1, y[:, None]).mean()
        loss.backward()
        return W1.grad, W2.grad

    return step

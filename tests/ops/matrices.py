"""Inputs and a gradient helper shared by the linear algebra tests (linalg, inverses,
decompositions, einsum)."""

import numpy

from ndgrad import autograd, np


def well_conditioned(rng, shapes):
    """Random square matrices plus 3 I (invertible, modest condition number), and
    any other operands uniform in (-1, 1)."""
    out = []
    for shape in shapes:
        x = rng.uniform(-1, 1, size=shape)
        if len(shape) >= 2 and shape[-1] == shape[-2]:
            x = x + 3 * numpy.eye(shape[-1])
        out.append(x)
    return out


def sym(a, xp=np):
    """A symmetric, positive definite function of a square matrix with entries in
    (-1, 1): finite differences of `a` stay symmetric."""
    n = a.shape[-1]
    return (a + xp.swapaxes(a, -1, -2)) * 0.5 + (n + 1.0) * numpy.eye(n)


def spread(rng, shapes):
    """Square matrices whose symmetric parts have well separated eigenvalues."""
    out = []
    for shape in shapes:
        n = shape[-1]
        x = rng.uniform(-0.3, 0.3, size=shape) + numpy.diag(numpy.arange(n) * 1.5)
        out.append(x)
    return out


def eig_input(a, xp=np):
    return (a + xp.swapaxes(a, -1, -2)) * 0.5


def gauge_free(u, k=None):
    """Products of entries of one column: unchanged when the column flips sign."""
    return u * u[..., :1, :]


def grad_of(f, x):
    x = np.array(numpy.asarray(x, dtype=numpy.float64))
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    return x.grad.asnumpy()

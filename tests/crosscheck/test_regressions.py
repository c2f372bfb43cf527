"""Regressions found by cross-checking against torch, kept runnable without torch."""

import numpy

from ndgrad import autograd, np, npx


def test_erfinv_keeps_0d_shape():
    y = np.array(0.3, dtype='float64')
    assert npx.erfinv(y).shape == ()
    y.attach_grad()
    with autograd.record():
        x = npx.erfinv(y)
    x.backward()
    assert y.grad.shape == ()
    numpy.testing.assert_allclose(npx.erf(x).asnumpy(), 0.3, rtol=1e-14)
    numpy.testing.assert_allclose(
        y.grad.asnumpy(), numpy.sqrt(numpy.pi) / 2 * numpy.exp(x.asnumpy() ** 2), rtol=1e-14
    )

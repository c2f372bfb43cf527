"""Complex numbers: real, imag, conj, angle, and the ndarray's ``.real``, ``.imag``,
``.conj()``.

The engine passes ``dL/dx - i dL/dy`` (for ``z = x + iy``) between rules, the
conjugate of the gradient users see (see "Complex numbers" in docs/guide.md): in it
a holomorphic op's rule is its real rule (``g * f'(z)``), so those rules need no
conjugation. The ops here are not holomorphic; each rule below is also its forward
rule, the engine keeping the real part where the output is real.

>>> from ndgrad import autograd, np
>>> z = np.array([3. + 4.j]); z.attach_grad()
>>> with autograd.record():
...     loss = np.abs(z).sum()
>>> loss.backward(); z.grad
array([0.6+0.8j], dtype=complex128)
>>> z.conj(), z.real
(array([3.-4.j], dtype=complex128), array([3.], dtype=float64))
"""

import numpy

from .._ndarray import ndarray
from .._primitive import REC as P, composite, identity, op


def _imag_vjp(xp, g, ans, z):
    return g * -1j


def _angle_vjp(xp, g, ans, z, deg=False):
    """``d angle = Im(dz / z)``: the gradient ``-i g / z``; 0 for a real input, whose
    angle is piecewise constant (0 or pi)."""
    if z.dtype.kind != 'c':
        return xp.zeros_like(g)
    h = g * -1j / z
    return h * (180 / numpy.pi) if deg else h


op('real', numpy.real, identity, jvp='elementwise', save='shapes')
op('imag', numpy.imag, _imag_vjp, jvp='elementwise', save='shapes')
op('conj', numpy.conj, lambda xp, g, ans, z: xp.conj(g), jvp='elementwise', save='shapes')
op('angle', numpy.angle, _angle_vjp, jvp='elementwise')


@composite()
def conjugate(x):
    """The complex conjugate (alias of `conj`)."""
    return P.conj(x)


ndarray.real = property(P.real, doc='The real part (differentiable).')
ndarray.imag = property(P.imag, doc='The imaginary part (differentiable).')


def _conj_method(self):
    """The complex conjugate (differentiable)."""
    return P.conj(self)


ndarray.conj = ndarray.conjugate = _conj_method

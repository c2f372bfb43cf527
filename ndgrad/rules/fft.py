"""Discrete Fourier transforms (``np.fft``), differentiable to any order.

Two primitives, the 1-d transforms `fft` and `ifft` along one axis; every other
transform is composed of them (the n-d ones one axis at a time, the real ones
through `real` and slicing), so their derivatives come from these two. A DFT is
linear and its matrix symmetric, so the gradient of ``fft(a, n)`` is ``fft(g)``
cut or zero-padded back to `a`'s length (the engine's convention for complex
gradients needs no conjugation, see `ndgrad.rules.complex`); its forward rule is
the transform itself.

>>> from ndgrad import func, np
>>> np.fft.rfft(np.array([1., 2., 3., 4.]))
array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)
>>> func.grad(lambda x: np.fft.fft(x).real.sum())(np.array([1., 2., 3.]))
array([3., 0., 0.])
"""

import numpy

from .._ndarray import ndarray, wrap
from .._primitive import REC as P, composite, op


def _array(a):
    return a if type(a) is ndarray else wrap(numpy.asarray(a))


def _resize(xp, a, n, axis):
    """`a` cut or zero-padded at the end to length `n` along `axis` (negative)."""
    m = a.shape[axis]
    if n == m:
        return a
    if n < m:
        return xp.getitem(a, index=(Ellipsis, slice(0, n)) + (slice(None),) * (-axis - 1))
    shape = list(a.shape)
    shape[axis] = n - m
    return xp.concatenate(a, numpy.zeros(shape, a.dtype), axis=axis)


def _rules(name):
    """The gradient (the transform of `g`, resized to the input) and the tangent (the
    transform of `t`) of the 1-d transform `name`."""

    def vjp(xp, g, ans, a, n=None, axis=-1, norm=None):
        return _resize(xp, getattr(xp, name)(g, axis=axis, norm=norm), a.shape[axis], axis)

    def jvp(xp, t, ans, a, n=None, axis=-1, norm=None):
        return getattr(xp, name)(t, n=n, axis=axis, norm=norm)

    return vjp, jvp


# the primitives take a negative axis (the rules' batch axes come first)
op(
    '_fft',
    lambda a, n=None, axis=-1, norm=None: numpy.fft.fft(a, n, axis, norm),
    *_rules('_fft'),
    save='shapes',
    export=None,
)
op(
    '_ifft',
    lambda a, n=None, axis=-1, norm=None: numpy.fft.ifft(a, n, axis, norm),
    *_rules('_ifft'),
    save='shapes',
    export=None,
)


def _axis(axis, ndim):
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise numpy.exceptions.AxisError(axis, ndim)
    return axis - ndim if axis >= 0 else axis


def _check_n(n, what='n'):
    if n is not None and int(n) < 1:
        raise ValueError(f'Invalid number of FFT data points ({n}) specified.')
    return None if n is None else int(n)


def _one_d(transform, a, n, axis, norm):
    """The 1-d `transform` (`P._fft` or `P._ifft`) after NumPy's checks of `n` and `axis`."""
    a = _array(a)
    return transform(a, n=_check_n(n), axis=_axis(axis, a.ndim), norm=norm)


@composite(export='fft')
def fft(a, n=None, axis=-1, norm=None):
    """The 1-d discrete Fourier transform (``numpy.fft.fft``).

    >>> np.fft.fft(np.array([1., 0., 0.]))
    array([1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    """
    return _one_d(P._fft, a, n, axis, norm)


@composite(export='fft')
def ifft(a, n=None, axis=-1, norm=None):
    """The 1-d inverse discrete Fourier transform (``numpy.fft.ifft``).

    >>> np.fft.ifft(np.array([3., 0., 0.]))
    array([1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    """
    return _one_d(P._ifft, a, n, axis, norm)


def _half(n):
    return n // 2 + 1


@composite(export='fft')
def rfft(a, n=None, axis=-1, norm=None):
    """The 1-d transform of a real input, its ``n // 2 + 1`` non-negative frequencies.

    >>> np.fft.rfft(np.array([1., 1.]))
    array([2.+0.j, 0.+0.j], dtype=complex64)
    """
    a = _array(a)
    axis = _axis(axis, a.ndim)
    n = a.shape[axis] if n is None else _check_n(n)
    return _resize(P, P._fft(P.real(a), n=n, axis=axis, norm=norm), _half(n), axis)


@composite(export='fft')
def irfft(a, n=None, axis=-1, norm=None):
    """The inverse of `rfft`: `n` real values (``2 * (len - 1)`` by default). The
    imaginary parts of the zero (and, for even `n`, the last) frequency are ignored.

    >>> np.fft.irfft(np.array([2., 0.]))
    array([1., 1.])
    """
    a = _array(a)
    axis = _axis(axis, a.ndim)
    n = 2 * (a.shape[axis] - 1) if n is None else _check_n(n)
    if n < 1:
        raise ValueError(f'Invalid number of data points ({n}) specified')
    # Re(ifft(w * a, n)) with each inner frequency counted twice, for its mirror image
    weights = numpy.full(_half(n), 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    weights = weights.reshape((-1,) + (1,) * (-axis - 1)).astype(  # (keeps float32)
        a.dtype if a.dtype.kind in 'fc' else numpy.float64
    )
    return P.real(P._ifft(_resize(P, a, _half(n), axis) * weights, n=n, axis=axis, norm=norm))


_SWAP = {None: 'forward', 'backward': 'forward', 'forward': 'backward', 'ortho': 'ortho'}


def _swapped(norm):
    if norm not in _SWAP:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return _SWAP[norm]


@composite(export='fft')
def hfft(a, n=None, axis=-1, norm=None):
    """The transform of a signal with Hermitian symmetry, given by its first half: `n`
    real values.

    >>> np.fft.hfft(np.array([1., 0.]))
    array([1., 1.])
    """
    return irfft(P.conj(_array(a)), n, axis, norm=_swapped(norm))


@composite(export='fft')
def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of `hfft`: ``n // 2 + 1`` complex values from a real signal.

    >>> np.fft.ihfft(np.array([1., 1.]))
    array([1.-0.j, 0.-0.j], dtype=complex64)
    """
    return P.conj(rfft(a, n, axis, norm=_swapped(norm)))


def _shape_axes(a, s, axes, last_half=False):
    """NumPy's defaults for `s` and `axes` of an n-d transform, as lists."""
    if axes is None:
        axes = list(range(-(a.ndim if s is None else len(s)), 0))
    axes = [_axis(x, a.ndim) for x in (axes if numpy.ndim(axes) else [axes])]
    if s is None:
        s = [a.shape[x] for x in axes]
        if last_half and axes:
            s[-1] = 2 * (s[-1] - 1)
    elif len(s) != len(axes):
        raise ValueError('Shape and axes have different lengths.')
    return [_check_n(n) for n in s], axes


def _nd(transform, a, s, axes, norm):
    a = _array(a)
    s, axes = _shape_axes(a, s, axes)
    for n, axis in zip(s[::-1], axes[::-1]):
        a = transform(a, n=n, axis=axis, norm=norm)
    return a


@composite(export='fft')
def fftn(a, s=None, axes=None, norm=None):
    """The n-d transform over `axes` (all by default).

    >>> np.fft.fftn(np.ones((2, 2))).real
    array([[4., 0.],
           [0., 0.]])
    """
    return _nd(P._fft, a, s, axes, norm)


@composite(export='fft')
def ifftn(a, s=None, axes=None, norm=None):
    """The n-d inverse transform over `axes` (all by default).

    >>> np.fft.ifftn(np.array([[4., 0.], [0., 0.]])).real
    array([[1., 1.],
           [1., 1.]])
    """
    return _nd(P._ifft, a, s, axes, norm)


def _two_d(name, transform, doc):
    """The public `name`: the n-d `transform` over `axes`, the last two by default."""

    def two_d(a, s=None, axes=(-2, -1), norm=None):
        return transform(a, s, axes, norm)

    two_d.__name__ = two_d.__qualname__ = name
    two_d.__doc__ = doc
    return composite(export='fft')(two_d)


fft2 = _two_d('fft2', fftn, 'The 2-d transform over `axes` (the last two by default).')
ifft2 = _two_d('ifft2', ifftn, 'The 2-d inverse transform over `axes` (the last two by default).')


@composite(export='fft')
def rfftn(a, s=None, axes=None, norm=None):
    """The n-d transform of a real input, halved along the last of `axes`.

    >>> np.fft.rfftn(np.ones((2, 2))).real
    array([[4., 0.],
           [0., 0.]])
    """
    a = _array(a)
    s, axes = _shape_axes(a, s, axes)
    a = rfft(a, s[-1], axes[-1], norm)
    for n, axis in zip(s[-2::-1], axes[-2::-1]):
        a = P._fft(a, n=n, axis=axis, norm=norm)
    return a


@composite(export='fft')
def irfftn(a, s=None, axes=None, norm=None):
    """The inverse of `rfftn`: real values of shape `s` along `axes`.

    >>> np.fft.irfftn(np.array([[4., 0.], [0., 0.]]))
    array([[1., 1.],
           [1., 1.]])
    """
    a = _array(a)
    s, axes = _shape_axes(a, s, axes, last_half=True)
    for n, axis in zip(s[:-1], axes[:-1]):
        a = P._ifft(a, n=n, axis=axis, norm=norm)
    return irfft(a, s[-1], axes[-1], norm)


rfft2 = _two_d('rfft2', rfftn, 'The 2-d transform of a real input.')
irfft2 = _two_d('irfft2', irfftn, 'The inverse of `rfft2`.')


def _shift(x, axes, sign):
    x = _array(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif not numpy.ndim(axes):
        axes = (axes,)
    shift = [sign * (x.shape[a] // 2) for a in axes]
    return P.roll(x, shift=tuple(shift), axis=tuple(axes)) if axes else x


@composite(export='fft')
def fftshift(x, axes=None):
    """The zero frequency moved to the centre (along `axes`, all by default).

    >>> np.fft.fftshift(np.array([0., 1., 2., -2., -1.]))
    array([-2., -1.,  0.,  1.,  2.])
    """
    return _shift(x, axes, 1)


@composite(export='fft')
def ifftshift(x, axes=None):
    """The inverse of `fftshift`.

    >>> np.fft.ifftshift(np.array([-2., -1., 0., 1., 2.]))
    array([ 0.,  1.,  2., -2., -1.])
    """
    return _shift(x, axes, -1)


op('fftfreq', numpy.fft.fftfreq, differentiable=False, export='fft')
op('rfftfreq', numpy.fft.rfftfreq, differentiable=False, export='fft')

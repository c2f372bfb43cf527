"""Discrete Fourier transforms (ndgrad/rules/fft.py): values against NumPy, first and
second derivatives in both modes against central differences, for real inputs and for
complex inputs built from their real and imaginary parts."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import Case, run_case

F, NF = np.fft, numpy.fft


def _parts(y):
    """A complex result as real numbers the harness compares: (real, imag) stacked."""
    if isinstance(y, numpy.ndarray):
        return numpy.stack([y.real, y.imag]) if y.dtype.kind == 'c' else y
    return np.stack([y.real, y.imag]) if y.dtype.kind == 'c' else y


def _real_in(name, fn, ref, shape, **kw):
    """`fn` of a real input."""
    return Case(
        f'{name}/real{shape}{kw or ""}',
        lambda x: _parts(fn(x, **kw)),
        lambda x: _parts(ref(x, **kw)),
        [shape],
    )


def _complex_in(name, fn, ref, shape, **kw):
    """`fn` of the complex input ``re + 1j * im``."""
    return Case(
        f'{name}/complex{shape}{kw or ""}',
        lambda re, im: _parts(fn(re + 1j * im, **kw)),
        lambda re, im: _parts(ref(re + 1j * im, **kw)),
        [shape, shape],
    )


ONE_D = [('fft', F.fft, NF.fft), ('ifft', F.ifft, NF.ifft)]
HALF = [('rfft', F.rfft, NF.rfft), ('ihfft', F.ihfft, NF.ihfft)]
INVERSE_HALF = [('irfft', F.irfft, NF.irfft), ('hfft', F.hfft, NF.hfft)]
N_D = [
    ('fftn', F.fftn, NF.fftn),
    ('ifftn', F.ifftn, NF.ifftn),
    ('fft2', F.fft2, NF.fft2),
    ('ifft2', F.ifft2, NF.ifft2),
]
KWARGS_1D = [{}, {'n': 3}, {'n': 7}, {'norm': 'ortho'}, {'norm': 'forward'}, {'axis': 0}]

CASES = (
    [
        make(name, fn, ref, shape, **kw)
        for name, fn, ref in ONE_D
        for make in (_real_in, _complex_in)
        for shape in [(5,), (1,), (2, 4)]
        for kw in KWARGS_1D
        if 'axis' not in kw or len(shape) > 1
    ]
    + [
        _real_in(name, fn, ref, shape, **kw)
        for name, fn, ref in HALF
        for shape in [(5,), (4,), (1,), (3, 4)]
        for kw in KWARGS_1D
        if 'axis' not in kw or len(shape) > 1
    ]
    + [
        make(name, fn, ref, shape, **kw)
        for name, fn, ref in INVERSE_HALF
        for make in (_real_in, _complex_in)
        for shape in [(3,), (4,), (2, 3)]
        for kw in [{}, {'n': 5}, {'n': 4}, {'n': 2}, {'norm': 'ortho'}, {'norm': 'forward'}]
    ]
    + [
        make(name, fn, ref, shape, **kw)
        for name, fn, ref in N_D
        for make in (_real_in, _complex_in)
        for shape in [(2, 3), (2, 1, 3)]
        for kw in [{}, {'s': (3, 2), 'axes': (-2, -1)}, {'axes': (0, -1)}, {'norm': 'ortho'}]
    ]
    + [
        _real_in('rfftn', F.rfftn, NF.rfftn, shape, **kw)
        for shape in [(2, 3), (3, 4)]
        for kw in [{}, {'s': (3, 2), 'axes': (-2, -1)}, {'axes': (1, 0)}, {'norm': 'ortho'}]
    ]
    + [
        _complex_in('irfftn', F.irfftn, NF.irfftn, shape, **kw)
        for shape in [(2, 3), (3, 4)]
        for kw in [{}, {'s': (3, 4), 'axes': (-2, -1)}, {'axes': (1, 0)}, {'norm': 'forward'}]
    ]
    + [
        _real_in('rfft2', F.rfft2, NF.rfft2, (3, 4)),
        _complex_in('irfft2', F.irfft2, NF.irfft2, (3, 3)),
    ]
    + [
        Case(
            f'{name}/{shape}{kw}',
            lambda x, f=f, kw=kw: f(x, **kw),
            lambda x, r=r, kw=kw: r(x, **kw),
            [shape],
        )
        for name, f, r in [
            ('fftshift', F.fftshift, NF.fftshift),
            ('ifftshift', F.ifftshift, NF.ifftshift),
        ]
        for shape in [(5,), (4,), (2, 3)]
        for kw in [{}, {'axes': 0}, {'axes': (-1,)}]
        if 'axes' not in kw or len(shape) > 1 or kw['axes'] != 0
    ]
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


@pytest.mark.parametrize('name', ['fftfreq', 'rfftfreq'])
def test_frequencies_match_numpy(name):
    for n, d in [(1, 1.0), (6, 0.5), (7, 2.0)]:
        numpy.testing.assert_allclose(getattr(F, name)(n, d), getattr(NF, name)(n, d))


def test_round_trip_gradient_is_identity():
    x = np.array(numpy.arange(6.0))
    x.attach_grad()
    with autograd.record():
        y = F.irfft(F.rfft(x), n=6)
    y.backward(np.array(numpy.arange(6.0) ** 2))
    numpy.testing.assert_allclose(x.grad, numpy.arange(6.0) ** 2, atol=1e-12)


def test_invalid_arguments_raise_like_numpy():
    with pytest.raises(ValueError, match='Invalid number'):
        F.fft(np.ones(3), n=0)
    with pytest.raises(numpy.exceptions.AxisError):
        F.fft(np.ones(3), axis=1)
    with pytest.raises(ValueError, match='Invalid norm'):
        F.hfft(np.ones(3), norm='bad')

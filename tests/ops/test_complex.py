"""Complex numbers: gradients of real losses of complex inputs against PyTorch (the same
convention, the conjugate Wirtinger derivative), holomorphic Jacobians of func against
f'(z), and the derivatives of real, imag, conj, abs and angle in both modes against
central differences (complex inputs built from their real and imaginary parts)."""

import numpy
import pytest

from ndgrad import autograd, func, np
from tests.ops.harness import SHAPES_UNARY, Case, run_case


def _complex(re, im):
    return re + 1j * im


def _unary(name, fn, ref, shapes=SHAPES_UNARY, **kw):
    return [
        Case(
            f'{name}/{shape}',
            lambda re, im: fn(_complex(re, im)),
            lambda re, im: ref(_complex(re, im)),
            [shape, shape],
            **kw,
        )
        for shape in shapes
    ]


def _parts(y):
    mod = numpy if isinstance(y, numpy.ndarray) else np
    return mod.stack([y.real, y.imag])


CASES = (
    _unary('real', lambda z: z.real, numpy.real)
    + _unary('imag', lambda z: np.imag(z), numpy.imag)
    + _unary('conj', lambda z: _parts(np.conj(z)), lambda z: _parts(numpy.conj(z)))
    + _unary(
        'conj/method',
        lambda z: _parts(z.conj() + z.conjugate()),
        lambda z: _parts(2 * numpy.conj(z)),
    )
    + _unary('abs', np.abs, numpy.abs)
    + _unary('angle', np.angle, numpy.angle)
    + _unary('angle/deg', lambda z: np.angle(z, deg=True), lambda z: numpy.angle(z, deg=True))
    + _unary('exp', lambda z: _parts(np.exp(z)), lambda z: _parts(numpy.exp(z)))
    + _unary('log', lambda z: _parts(np.log(z)), lambda z: _parts(numpy.log(z)), domain=(0.5, 2.0))
    + _unary(
        'square+sqrt',
        lambda z: _parts(np.sqrt(z * z + 3)),
        lambda z: _parts(numpy.sqrt(z * z + 3)),
        domain=(0.2, 1.0),
    )
    + _unary(
        'power', lambda z: _parts(z**3 + z**0.5), lambda z: _parts(z**3 + z**0.5), domain=(0.5, 2.0)
    )
    + _unary(
        'sum/prod/mean',
        lambda z: _parts(np.stack([z.sum(), np.prod(z), z.mean()])),
        lambda z: _parts(numpy.stack([z.sum(), numpy.prod(z), z.mean()])),
    )
    + _unary(
        'reshape/getitem/transpose',
        lambda z: _parts(z.reshape(-1)[::2] * np.flip(z.T).reshape(-1)[::2]),
        lambda z: _parts(z.reshape(-1)[::2] * numpy.flip(z.T).reshape(-1)[::2]),
    )
    + [
        case
        for mode in ('constant', 'edge', 'reflect', 'mean', 'linear_ramp')
        for case in _unary(
            f'pad/{mode}',
            lambda z, m=mode: _parts(np.pad(z, 1, mode=m)),
            lambda z, m=mode: _parts(numpy.pad(z, 1, mode=m)),
            shapes=[(3,), (2, 3)],
        )
    ]
    + [
        Case(
            f'{name}/{shapes}',
            lambda a, b, c, d, f=f: _parts(f(_complex(a, b), _complex(c, d))),
            lambda a, b, c, d, f=f: _parts(f(_complex(a, b), _complex(c, d))),
            shapes * 2,
        )
        for name, f in [
            ('multiply', lambda x, y: x * y),
            ('divide', lambda x, y: x / (y + 3)),
            ('subtract', lambda x, y: x - y),
        ]
        for shapes in [[(2, 3), (3,)], [(), (2, 1)]]
    ]
    + [
        Case(
            f'{name}',
            lambda a, b, c, d, f=f: _parts(f(_complex(a, b), _complex(c, d))),
            lambda a, b, c, d, r=r: _parts(r(_complex(a, b), _complex(c, d))),
            [sa, sa, sb, sb],
        )
        for name, f, r, sa, sb in [
            ('matmul', np.matmul, numpy.matmul, (2, 3), (3, 2)),
            ('dot', np.dot, numpy.dot, (3,), (3, 2)),
            (
                'einsum',
                lambda x, y: np.einsum('ij,jk->ik', x, y),
                lambda x, y: numpy.einsum('ij,jk->ik', x, y),
                (2, 3),
                (3, 2),
            ),
        ]
    ]
    + [
        Case(
            'real*complex',
            lambda x, re, im: _parts(x * _complex(re, im)),
            lambda x, re, im: _parts(x * _complex(re, im)),
            [(2, 3), (3,), (3,)],
        )
    ]
)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


def _loss_ndgrad(z, w, m):
    y = np.exp(z * w) / (z + 2) + np.matmul(m, z) * np.conj(z)
    return (
        (np.abs(y) ** 2).sum()
        + np.angle(z).sum()
        + y.imag.sum()
        + np.log(z * z + 1).real.sum()
        + np.prod(z).real
    )


def _loss_torch(torch, z, w, m):
    y = torch.exp(z * w) / (z + 2) + torch.matmul(m, z) * torch.conj(z)
    return (
        (y.abs() ** 2).sum()
        + z.angle().sum()
        + y.imag.sum()
        + torch.log(z * z + 1).real.sum()
        + torch.prod(z).real
    )


@pytest.mark.parametrize('dtype', [numpy.complex128, numpy.complex64])
def test_gradient_matches_pytorch(dtype):
    torch = pytest.importorskip('torch')
    rng = numpy.random.default_rng(1)
    zv = (rng.normal(size=3) + 1j * rng.normal(size=3)).astype(dtype)
    mv = (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))).astype(dtype)
    wv = rng.normal(size=3).astype(numpy.float32 if dtype == numpy.complex64 else numpy.float64)
    z, w, m = np.array(zv), np.array(wv), np.array(mv)
    for v in (z, w, m):
        v.attach_grad()
    with autograd.record():
        loss = _loss_ndgrad(z, w, m)
    loss.backward()
    tz, tw, tm = (torch.tensor(v, requires_grad=True) for v in (zv, wv, mv))
    _loss_torch(torch, tz, tw, tm).backward()
    tol = 1e-4 if dtype == numpy.complex64 else 1e-10
    for mine, theirs in [(z, tz), (w, tw), (m, tm)]:
        assert mine.grad.dtype == theirs.grad.numpy().dtype
        numpy.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=tol, atol=tol)


def test_gradient_descent_on_complex_input_descends():
    target = numpy.array([1 + 2j, -3j])
    z = np.array([0j, 0j])
    z.attach_grad()
    for _ in range(100):
        with autograd.record():
            loss = (np.abs(z - np.array(target)) ** 2).sum()
        loss.backward()
        z -= 0.1 * z.grad
    numpy.testing.assert_allclose(z, target, atol=1e-6)


def test_head_gradient_of_complex_output_matches_pytorch():
    torch = pytest.importorskip('torch')
    zv, v = numpy.array([1 + 2j, 0.5 - 1j]), numpy.array([0.3 - 1j, 2 + 0.5j])
    z = np.array(zv)
    z.attach_grad()
    with autograd.record():
        y = z * z * 3
    y.backward(np.array(v))
    tz = torch.tensor(zv, requires_grad=True)
    (tz * tz * 3).backward(torch.tensor(v))
    numpy.testing.assert_allclose(z.grad, tz.grad.numpy())
    with autograd.record():
        y = z * z * 3
    got = autograd.grad(y, [z], [np.array(v)])[0]
    numpy.testing.assert_allclose(got, tz.grad.numpy())


def test_complex_output_without_head_gradient_explains():
    z = np.array([1 + 1j])
    z.attach_grad()
    with autograd.record():
        y = z * 2
    with pytest.raises(TypeError, match=r'needs a head gradient.*real loss'):
        y.backward()


def test_second_order_gradient_matches_pytorch():
    torch = pytest.importorskip('torch')
    zv = numpy.array([1 + 2j, 0.5 - 1j])
    z = np.array(zv)
    z.attach_grad()
    with autograd.record():
        loss = (np.abs(z**3) ** 2).sum()
        g = autograd.grad(loss, [z], create_graph=True)[0]
        second = (np.abs(g) ** 2).sum()
    second.backward()
    tz = torch.tensor(zv, requires_grad=True)
    (tg,) = torch.autograd.grad((tz**3).abs().pow(2).sum(), [tz], create_graph=True)
    tg.abs().pow(2).sum().backward()
    numpy.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize('jac', [func.jacrev, func.jacfwd], ids=['jacrev', 'jacfwd'])
def test_jacobians_of_holomorphic_functions_are_complex_derivatives(jac):
    z = numpy.array([1 + 1j, -0.5 + 2j])
    got = jac(lambda v: np.exp(v) * v**2)(np.array(z))
    expected = numpy.diag(numpy.exp(z) * (z**2 + 2 * z))
    numpy.testing.assert_allclose(got, expected, rtol=1e-12)


def test_func_grad_is_conjugate_of_backward_gradient():
    z = numpy.array([1 + 1j, 2j])
    got = func.grad(lambda v: (np.abs(v) ** 2).sum())(np.array(z))
    numpy.testing.assert_allclose(got, numpy.conj(2 * z))

"""Convolution, deconvolution and pooling: values against loop-by-loop NumPy references
(and MXNet 1.9.1's outputs, and PyTorch's where installed), first and second derivatives
in both modes against central differences, float32 kept float32; then ties, MXNet's
conventions and the errors bad arguments get."""

import itertools

import numpy
import pytest

from ndgrad import autograd, np, npx
from ndgrad.testing import check_grad
from tests.ops.harness import Case, run_case

# --- loop-by-loop references (one output position at a time) ----------------------------


def ref_conv(x, w, b=None, stride=None, dilate=None, pad=None, groups=1):
    nd = x.ndim - 2
    stride, dilate, pad = stride or (1,) * nd, dilate or (1,) * nd, pad or (0,) * nd
    kernel = w.shape[2:]
    xp = numpy.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilate)]
    out = [(s - e) // st + 1 for s, e, st in zip(xp.shape[2:], extent, stride)]
    f, cg = w.shape[0], w.shape[1]
    y = numpy.zeros((x.shape[0], f) + tuple(out))
    for n, o, pos in itertools.product(range(x.shape[0]), range(f), numpy.ndindex(*out)):
        g = o // (f // groups)
        window = tuple(
            slice(p * st, p * st + e, d) for p, st, e, d in zip(pos, stride, extent, dilate)
        )
        y[(n, o) + pos] = (xp[(n, slice(g * cg, (g + 1) * cg)) + window] * w[o]).sum()
    if b is not None:
        y += b.reshape((-1,) + (1,) * nd)
    return y


def ref_deconv(x, w, b=None, stride=None, pad=None, adj=None, groups=1):
    """Scatter each input element times its filter into the output, then crop."""
    nd = x.ndim - 2
    stride, pad, adj = stride or (1,) * nd, pad or (0,) * nd, adj or (0,) * nd
    kernel = w.shape[2:]
    cin, fg = w.shape[0], w.shape[1]
    full = [(s - 1) * st + k + a for s, st, k, a in zip(x.shape[2:], stride, kernel, adj)]
    y = numpy.zeros((x.shape[0], fg * groups) + tuple(full))
    for n, c, pos in itertools.product(range(x.shape[0]), range(cin), numpy.ndindex(*x.shape[2:])):
        g = c // (cin // groups)
        window = tuple(slice(p * st, p * st + k) for p, st, k in zip(pos, stride, kernel))
        y[(n, slice(g * fg, (g + 1) * fg)) + window] += x[(n, c) + pos] * w[c]
    y = y[(Ellipsis,) + tuple(slice(p, f - p) for p, f in zip(pad, full))]
    if b is not None:
        y = y + b.reshape((-1,) + (1,) * nd)
    return y


def ref_pool(x, kernel, kind='max', stride=None, pad=None, full=False, include_pad=True, p=None):
    nd = x.ndim - 2
    stride, pad = stride or (1,) * nd, pad or (0,) * nd
    size = x.shape[2:]
    rounding = numpy.ceil if full else numpy.floor
    out = [
        int(rounding((s + 2 * q - k) / st)) + 1 for s, k, st, q in zip(size, kernel, stride, pad)
    ]
    y = numpy.zeros(x.shape[:2] + tuple(out))
    for pos in numpy.ndindex(*out):
        lo = [o * st - q for o, st, q in zip(pos, stride, pad)]
        inside = tuple(slice(max(a, 0), min(a + k, s)) for a, k, s in zip(lo, kernel, size))
        values = x[(Ellipsis,) + inside]
        if kind == 'max':
            y[(Ellipsis,) + pos] = values.max(axis=tuple(range(2, x.ndim)))
            continue
        total = (values ** (p or 1)).sum(axis=tuple(range(2, x.ndim)))
        if kind == 'lp':
            total = numpy.cbrt(total) if p == 3 else total ** (1 / p)
        elif kind == 'avg':
            bounds = [
                (a, min(a + k, s + q)) if include_pad else (max(a, 0), min(a + k, s))
                for a, k, s, q in zip(lo, kernel, size, pad)
            ]
            total = total / max(numpy.prod([b - a for a, b in bounds]), 1)
        y[(Ellipsis,) + pos] = total
    return y


def _conv_case(name, x, w, bias=True, **kw):
    stride, dilate, pad = kw.get('stride'), kw.get('dilate'), kw.get('pad')
    groups = kw.get('num_group', 1)
    shapes = [x, w] + ([(w[0],)] if bias else [])

    def fn(x, w, b=None):
        return npx.convolution(
            x, w, b, kernel=w.shape[2:], num_filter=w.shape[0], no_bias=b is None, **kw
        )

    def ref(x, w, b=None):
        return ref_conv(x, w, b, stride, dilate, pad, groups)

    return Case(f'convolution/{name}', fn, ref, shapes)


def _deconv_case(name, x, w, bias=True, **kw):
    groups = kw.get('num_group', 1)
    shapes = [x, w] + ([(w[1] * groups,)] if bias else [])

    def fn(x, w, b=None):
        return npx.deconvolution(
            x, w, b, kernel=w.shape[2:], num_filter=w.shape[1] * groups, no_bias=b is None, **kw
        )

    def ref(x, w, b=None):
        return ref_deconv(x, w, b, kw.get('stride'), kw.get('pad'), kw.get('adj'), groups)

    return Case(f'deconvolution/{name}', fn, ref, shapes)


def _pool_case(
    name,
    shape,
    kernel,
    kind,
    domain=(-2.0, 2.0),
    stride=None,
    pad=None,
    full=False,
    include_pad=True,
    p=None,
):
    kw = dict(
        kernel=kernel,
        pool_type=kind,
        stride=stride,
        pad=pad,
        p_value=p,
        pooling_convention='full' if full else 'valid',
        count_include_pad=include_pad,
    )
    return Case(
        f'pooling/{name}',
        lambda x: npx.pooling(x, **kw),
        lambda x: ref_pool(x, kernel, kind, stride, pad, full, include_pad, p),
        [shape],
        domain=domain,
    )


def _global_case(kind, shape, domain=(-2.0, 2.0), p=None):
    axes = tuple(range(2, len(shape)))
    refs = {
        'max': lambda x: x.max(axis=axes, keepdims=True),
        'avg': lambda x: x.mean(axis=axes, keepdims=True),
        'sum': lambda x: x.sum(axis=axes, keepdims=True),
        'lp': lambda x: ((x**p).sum(axis=axes, keepdims=True)) ** (1 / p),
    }
    return Case(
        f'pooling/global-{kind}/{len(axes)}d',
        lambda x: npx.pooling(
            x, kernel=(9,) * len(axes), pool_type=kind, global_pool=True, p_value=p
        ),
        refs[kind],
        [shape],
        domain=domain,
    )


POSITIVE = (0.5, 2.0)

CASES = [
    _conv_case('1d/stride-pad-groups', (2, 4, 7), (6, 2, 3), stride=(2,), pad=(1,), num_group=2),
    _conv_case('1d/dilate/no_bias', (1, 2, 6), (3, 2, 2), bias=False, dilate=(2,)),
    _conv_case('1d/size-1-axes', (1, 1, 1), (1, 1, 1)),
    _conv_case('2d/plain', (1, 2, 4, 4), (3, 2, 2, 2)),
    _conv_case(
        '2d/stride-pad-dilate', (1, 2, 5, 5), (2, 2, 2, 2), stride=(2, 1), pad=(1, 0), dilate=(1, 2)
    ),
    _conv_case('2d/groups/no_bias', (1, 4, 3, 3), (4, 2, 2, 2), bias=False, num_group=2),
    _conv_case('2d/depthwise', (2, 3, 3, 3), (3, 1, 2, 2), num_group=3, pad=(1, 1)),
    _conv_case('2d/1x1', (2, 3, 2, 1), (2, 3, 1, 1)),
    _conv_case('3d/pad', (1, 1, 2, 3, 2), (2, 1, 2, 2, 2), pad=(1, 0, 1)),
    _deconv_case('1d/stride-pad-adj', (1, 2, 3), (2, 2, 3), stride=(2,), pad=(1,), adj=(1,)),
    _deconv_case(
        '2d/groups/no_bias', (1, 2, 2, 3), (2, 1, 2, 2), bias=False, num_group=2, stride=(2, 1)
    ),
    Case(
        'deconvolution/1d/target_shape',
        lambda x, w: npx.deconvolution(
            x, w, kernel=(3,), stride=(2,), target_shape=(6,), num_filter=2
        ),
        lambda x, w: ref_deconv(x, w, stride=(2,), pad=(1,), adj=(1,)),
        [(1, 1, 3), (1, 2, 3)],
    ),
    _deconv_case('3d/stride', (1, 1, 2, 2, 2), (1, 2, 2, 1, 2), stride=(1, 2, 2)),
    _pool_case('max/2d/2x2-stride2', (1, 2, 4, 4), (2, 2), 'max', stride=(2, 2)),
    _pool_case('max/2d/3x3-pad-overlapping', (1, 1, 4, 4), (3, 3), 'max', pad=(1, 1)),
    _pool_case('max/1d/full', (2, 1, 5), (2,), 'max', stride=(2,), full=True),
    _pool_case('max/3d', (1, 1, 3, 3, 2), (2, 2, 2), 'max'),
    _pool_case('avg/2d/valid', (2, 1, 4, 3), (2, 2), 'avg', stride=(2, 1)),
    _pool_case('avg/2d/pad', (1, 2, 3, 3), (2, 2), 'avg', stride=(2, 2), pad=(1, 1)),
    _pool_case(
        'avg/2d/pad-exclude',
        (1, 2, 3, 3),
        (2, 2),
        'avg',
        stride=(2, 2),
        pad=(1, 1),
        include_pad=False,
    ),
    _pool_case('avg/1d/full', (1, 2, 5), (2,), 'avg', stride=(2,), full=True),
    _pool_case('avg/3d', (1, 1, 2, 2, 3), (1, 2, 2), 'avg'),
    _pool_case(
        'avg/3d/pad-exclude',
        (1, 1, 3, 3, 2),
        (2, 2, 1),
        'avg',
        stride=(2, 1, 1),
        pad=(1, 1, 0),
        include_pad=False,
    ),
    _pool_case('sum/1d/pad-full', (1, 1, 6), (3,), 'sum', stride=(2,), pad=(1,), full=True),
    _pool_case('lp1/2d', (1, 1, 3, 3), (2, 2), 'lp', p=1),
    _pool_case('lp2/2d', (1, 1, 3, 3), (2, 2), 'lp', domain=POSITIVE, p=2),
    _pool_case('lp3/1d', (1, 2, 4), (2,), 'lp', domain=POSITIVE, stride=(2,), p=3),
    _global_case('max', (2, 2, 3, 2)),
    _global_case('avg', (2, 2, 3)),
    _global_case('sum', (1, 2, 2, 1, 2)),
    _global_case('lp', (1, 2, 2, 2), domain=POSITIVE, p=2),
]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


# --- MXNet 1.9.1's outputs --------------------------------------------------------------


def test_convolution_matches_mxnet():
    # npx.convolution in MXNet 1.9.1 on these inputs: kernel (3, 3), stride (2, 1),
    # dilate (1, 2), pad (1, 1), num_group 2
    x = np.array(numpy.arange(200).reshape(2, 4, 5, 5) % 7 - 3.0)
    w = np.array(numpy.arange(72).reshape(4, 2, 3, 3) % 5 - 2.0)
    b = np.array([1.0, -1.0, 0.5, 2.0])
    y = npx.convolution(
        x, w, b, kernel=(3, 3), stride=(2, 1), dilate=(1, 2), pad=(1, 1), num_filter=4, num_group=2
    )
    mxnet = [
        [
            [[-9, -9, -9], [-12, 7, -3], [1, 11, 10]],
            [[-11, 4, 14], [29, 0, -2], [-8, -17, -4]],
            [[9.5, -12.5, -6.5], [-3.5, -8.5, 14.5], [19.5, 6.5, -0.5]],
            [[-1, -2, 3], [9, 36, -3], [-9, -8, -9]],
        ],
        [
            [[-10, -7, 5], [21, 15, 19], [-1, -17, -9]],
            [[18, 5, -2], [-20, -19, -17], [-9, 13, 3]],
            [[-9.5, -6.5, -7.5], [-1.5, 26.5, -1.5], [-7.5, -6.5, -9.5]],
            [[6, 17, 18], [10, -22, -10], [0, -2, 18]],
        ],
    ]
    numpy.testing.assert_allclose(y.asnumpy(), mxnet)


def test_deconvolution_matches_mxnet():
    # npx.deconvolution in MXNet 1.9.1: adj, and target_shape (which sets pad and adj)
    x = np.array(numpy.arange(12).reshape(1, 2, 6) % 5 - 2.0)
    w = np.array(numpy.arange(12).reshape(2, 3, 2) % 4 - 1.5)
    row = [-0.5, 0, 1.5, 0.5, 0, 0.5, 1.5, 0, -0.5, 2.5, 0, -4, -4, 0, 2.5, -0.5]
    y = npx.deconvolution(x, w, kernel=(2,), stride=(3,), pad=(1,), adj=(1,), num_filter=3)
    middle = [-2.5, 0, -0.5, -1.5, 0, -1.5, -0.5, 0, -2.5, 0.5, 0, 4, 4, 0, 0.5, -2.5]
    numpy.testing.assert_allclose(y.asnumpy(), [[row, middle, row]])
    y = npx.deconvolution(x, w, kernel=(2,), stride=(2,), target_shape=(11,), num_filter=3)
    row = [-0.5, 1.5, 0.5, 0.5, 1.5, -0.5, 2.5, -4, -4, 2.5, -0.5]
    numpy.testing.assert_allclose(
        y.asnumpy(), [[row, [-2.5, -0.5, -1.5, -1.5, -0.5, -2.5, 0.5, 4, 4, 0.5, -2.5], row]]
    )


def test_pooling_matches_mxnet_conventions():
    # npx.pooling in MXNet 1.9.1: 'full' windows that run past the padding average to 0,
    # with and without counting the padding; lp with p = 3 keeps the sign
    x = np.array(numpy.arange(1.0, 26.0).reshape(1, 1, 5, 5) - 10)
    kw = dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type='avg', pooling_convention='full')
    numpy.testing.assert_allclose(
        npx.pooling(x, **kw).asnumpy()[0, 0],
        [[-2.25, -3.75, -2.75, 0], [-0.75, 0, 2, 0], [4.25, 10, 12, 0], [0, 0, 0, 0]],
    )
    numpy.testing.assert_allclose(
        npx.pooling(x, count_include_pad=False, **kw).asnumpy()[0, 0],
        [[-9, -7.5, -5.5, 0], [-1.5, 0, 2, 0], [8.5, 10, 12, 0], [0, 0, 0, 0]],
    )
    numpy.testing.assert_allclose(
        npx.pooling(x, kernel=(2, 2), pool_type='lp', p_value=3).asnumpy()[0, 0, 1],
        [-4.344481468200684, 0.0, 4.344481468200684, 5.728654384613037],
        rtol=1e-6,
    )
    numpy.testing.assert_allclose(
        npx.pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg').asnumpy(),
        [[[[-8 / 3, -3, -4 / 3], [1, 3, 3], [4, 7, 16 / 3]]]],
    )
    # a max-pooling window wholly in the padding gives the lowest finite value
    x = np.array(numpy.arange(42).reshape(2, 3, 7) % 5 - 2.0)
    lowest = numpy.finfo(numpy.float64).min
    numpy.testing.assert_array_equal(
        npx.pooling(
            x, kernel=(3,), stride=(4,), pad=(1,), pool_type='max', pooling_convention='full'
        ).asnumpy()[0],
        [[-1, 2, lowest], [1, 0, lowest], [2, 2, lowest]],
    )


def test_defaults_are_mxnets():
    x = np.array(numpy.arange(16.0).reshape(1, 1, 4, 4))
    assert npx.pooling(x, kernel=(2, 2)).shape == (1, 1, 3, 3)  # max, stride 1
    numpy.testing.assert_allclose(npx.pooling(x, kernel=(2, 2)).asnumpy()[0, 0, 0], [5, 6, 7])
    y = npx.convolution(x, np.ones((1, 1, 3, 3)), np.zeros(1), kernel=(3, 3), num_filter=1)
    assert y.shape == (1, 1, 2, 2)


# --- PyTorch as a second reference --------------------------------------------------------


def test_convolution_matches_torch():
    torch = pytest.importorskip('torch')
    rng = numpy.random.default_rng(1)
    x, w, b = (
        rng.standard_normal((2, 6, 9, 8)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(4),
    )
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)
    expected = torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw
    ).numpy()
    got = npx.convolution(
        np.array(x),
        np.array(w),
        np.array(b),
        kernel=(3, 2),
        stride=(2, 1),
        pad=(1, 2),
        dilate=(2, 1),
        num_filter=4,
        num_group=2,
    )
    numpy.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-10, atol=1e-12)


def test_pooling_matches_torch():
    torch = pytest.importorskip('torch')
    x = numpy.random.default_rng(2).standard_normal((2, 3, 7, 6))
    t = torch.tensor(x)
    for kind, ref in [
        ('max', torch.nn.functional.max_pool2d),
        ('avg', torch.nn.functional.avg_pool2d),
    ]:
        got = npx.pooling(np.array(x), kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type=kind)
        numpy.testing.assert_allclose(got.asnumpy(), ref(t, (3, 2), (2, 2), (1, 1)).numpy())


def test_deconvolution_matches_torch():
    torch = pytest.importorskip('torch')
    rng = numpy.random.default_rng(3)
    x, w = rng.standard_normal((2, 6, 4, 3)), rng.standard_normal((6, 2, 3, 3))
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(x),
        torch.tensor(w),
        stride=2,
        padding=1,
        output_padding=1,
        groups=3,
        dilation=(1, 2),
    ).numpy()
    got = npx.deconvolution(
        np.array(x),
        np.array(w),
        kernel=(3, 3),
        stride=(2, 2),
        pad=(1, 1),
        adj=(1, 1),
        dilate=(1, 2),
        num_filter=6,
        num_group=3,
    )
    # (MXNet 1.9.1's forward differs from this with dilate > 1, though its gradient agrees:
    # ndgrad's deconvolution is the transpose of its convolution, as torch's is)
    numpy.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-10, atol=1e-12)


# --- ties, second derivatives, forward mode on a training step -----------------------------


def test_max_pooling_splits_ties_evenly():
    # MXNet 1.9.1 gives the whole gradient to the first of tied elements; a valid
    # subgradient splits it, so the gradients still sum to the gradient of the output
    x = np.array([[[[1.0, 1.0], [1.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]]])
    x.attach_grad()
    with autograd.record():
        y = npx.pooling(x, kernel=(2, 2), pool_type='max')
    y.backward()
    numpy.testing.assert_allclose(
        x.grad.asnumpy(), [[[[1 / 3, 1 / 3], [1 / 3, 0]], [[0.25, 0.25], [0.25, 0.25]]]]
    )


def test_max_pooling_vjp_of_vjp_at_ties():
    # the gradient is linear in the head gradient (its derivative in the head is the
    # tie-splitting map) and locally constant in x (its derivative in x is zero)
    x = np.array([[[1.0, 1.0, 0.0, 3.0]]])
    head = np.array([[[2.0, 5.0]]])
    x.attach_grad()
    head.attach_grad()
    with autograd.record():
        y = npx.pooling(x, kernel=(2,), stride=(2,), pool_type='max')
        (gx,) = autograd.grad(y, [x], head_grads=head, create_graph=True)
        z = (gx * np.array([[[1.0, 2.0, 3.0, 4.0]]])).sum()
    numpy.testing.assert_allclose(gx.asnumpy(), [[[1.0, 1.0, 0.0, 5.0]]])
    z.backward()
    numpy.testing.assert_allclose(head.grad.asnumpy(), [[[1.5, 4.0]]])
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.zeros((1, 1, 4)))


def _lenet_like(x, w1, w2):
    h = npx.sigmoid(npx.convolution(x, w1, kernel=(3, 3), num_filter=2, pad=(1, 1), no_bias=True))
    h = npx.pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    h = npx.convolution(h, w2, kernel=(2, 2), num_filter=1, no_bias=True)
    return npx.pooling(npx.relu(h) + h, kernel=(2, 2), pool_type='max', global_pool=True).sum()


def test_small_network_second_order_both_modes():
    rng = numpy.random.default_rng(4)
    inputs = [
        rng.standard_normal((2, 1, 4, 4)),
        rng.standard_normal((2, 1, 3, 3)),
        rng.standard_normal((1, 2, 2, 2)),
    ]
    check_grad(_lenet_like, inputs, order=2, wrt=[1, 2])


# --- errors -----------------------------------------------------------------------------

X = np.zeros((1, 2, 5, 5))
W = np.zeros((3, 2, 3, 3))
BAD_CALLS = [
    (
        'data must have 3, 4 or 5 axes',
        lambda: npx.convolution(np.zeros((5, 5)), W, kernel=(3, 3), num_filter=3, no_bias=True),
    ),
    (
        'weight must have shape',
        lambda: npx.convolution(X, W, kernel=(2, 2), num_filter=3, no_bias=True),
    ),
    (
        'weight must have shape',
        lambda: npx.convolution(X, W, kernel=(3, 3), num_filter=4, no_bias=True),
    ),
    (
        'num_group=3 must divide',
        lambda: npx.convolution(X, W, kernel=(3, 3), num_filter=3, num_group=3, no_bias=True),
    ),
    (
        'kernel has 1 entries',
        lambda: npx.convolution(X, W, kernel=(3,), num_filter=3, no_bias=True),
    ),
    (
        'stride must be at least 1',
        lambda: npx.convolution(X, W, kernel=(3, 3), stride=(0, 1), num_filter=3, no_bias=True),
    ),
    (
        'does not fit',
        lambda: npx.convolution(
            np.zeros((1, 2, 2, 5)), W, kernel=(3, 3), num_filter=3, no_bias=True
        ),
    ),
    ('no bias given', lambda: npx.convolution(X, W, kernel=(3, 3), num_filter=3)),
    (
        'bias must have shape',
        lambda: npx.convolution(X, W, np.zeros(2), kernel=(3, 3), num_filter=3),
    ),
    (
        "layout 'NHWC' is not supported",
        lambda: npx.convolution(X, W, kernel=(3, 3), num_filter=3, no_bias=True, layout='NHWC'),
    ),
    ('kernel is required', lambda: npx.convolution(X, W, num_filter=3, no_bias=True)),
    ('adj', lambda: npx.deconvolution(X, np.zeros((2, 1, 3, 3)), kernel=(3, 3), adj=(1, 1))),
    (
        'target_shape',
        lambda: npx.deconvolution(X, np.zeros((2, 1, 3, 3)), kernel=(3, 3), target_shape=(20, 20)),
    ),
    ('pool_type must be one of', lambda: npx.pooling(X, kernel=(2, 2), pool_type='mean')),
    ('needs p_value', lambda: npx.pooling(X, kernel=(2, 2), pool_type='lp')),
    (
        "pooling_convention must be 'valid' or 'full'",
        lambda: npx.pooling(X, kernel=(2, 2), pooling_convention='same'),
    ),
    ('does not fit', lambda: npx.pooling(X, kernel=(6, 6))),
    ('kernel is required', lambda: npx.pooling(X)),
]


@pytest.mark.parametrize('message, call', BAD_CALLS, ids=[m for m, _ in BAD_CALLS])
def test_bad_arguments_raise(message, call):
    with pytest.raises((ValueError, TypeError), match=message):
        call()

"""One training step's gradients of d2l's LeNet on a batch of 28×28 images, float32:
conv(6, 5×5, pad 2) → sigmoid → avgpool(2, 2) → conv(16, 5×5) → sigmoid → avgpool(2, 2)
→ dense 120 → sigmoid → dense 84 → sigmoid → dense 10, softmax cross-entropy.
Convolutions and pooling over sliding windows: im2col, matrix products, col2im."""

import numpy
from numpy.lib.stride_tricks import sliding_window_view

from ._base import Workload

BATCH, QUICK_BATCH, CLASSES = 256, 32, 10
W = Workload('lenet', f'LeNet step, batch {BATCH} of 1x28x28, softmax CE, float32, fwd+bwd')
SHAPES = [
    (6, 1, 5, 5),
    (6,),
    (16, 6, 5, 5),
    (16,),
    (400, 120),
    (120,),
    (120, 84),
    (84,),
    (84, CLASSES),
    (CLASSES,),
]


def _data(quick):
    rng = numpy.random.default_rng(0)
    n = QUICK_BATCH if quick else BATCH
    X = rng.standard_normal((n, 1, 28, 28), dtype=numpy.float32)
    y = rng.integers(0, CLASSES, n)
    params = []
    for shape in SHAPES:
        fan_in = numpy.prod(shape[1:]) if len(shape) == 4 else shape[0]
        scale = 0.0 if len(shape) == 1 else (2.0 / fan_in) ** 0.5
        params.append(
            (rng.standard_normal(shape, dtype=numpy.float32) * scale).astype(numpy.float32)
        )
    return X, y, params


# --- hand-written NumPy: forward, then backward by hand -----------------------------------


def _im2col(x, k, pad):
    """(N, C, H, W) -> windows as a (C·k·k, N·Ho·Wo) matrix (rows run along memory)."""
    if pad:
        x = numpy.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, Ho, Wo, k, k)
    n, c, ho, wo = win.shape[:4]
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(c * k * k, n * ho * wo), (n, ho, wo)


def _conv_fwd(x, w, b, pad):
    cols, (n, ho, wo) = _im2col(x, w.shape[-1], pad)
    y = w.reshape(w.shape[0], -1) @ cols  # (F, N·Ho·Wo)
    return y.reshape(-1, n, ho, wo).transpose(1, 0, 2, 3) + b[:, None, None], cols


def _conv_bwd(g, cols, x_shape, w, pad, need_dx):
    f, c, k, _ = w.shape
    gm = g.transpose(1, 0, 2, 3).reshape(f, -1)  # (F, N·Ho·Wo)
    dw = (gm @ cols.T).reshape(w.shape)
    db = gm.sum(axis=1)
    if not need_dx:
        return None, dw, db
    n, _, h, wd = x_shape
    ho, wo = g.shape[2:]
    # windows with the batch axis innermost, so that they add up along long rows
    dcols = w.transpose(2, 3, 1, 0).reshape(-1, f) @ g.transpose(1, 2, 3, 0).reshape(f, -1)
    dcols = dcols.reshape(k, k, c, ho, wo, n)
    dx = numpy.zeros((c, h + 2 * pad, wd + 2 * pad, n), g.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, i : i + ho, j : j + wo] += dcols[i, j]
    return dx[:, pad : pad + h, pad : pad + wd].transpose(3, 0, 1, 2), dw, db


def _avgpool(x):
    return (
        x[:, :, ::2, ::2] + x[:, :, 1::2, ::2] + x[:, :, ::2, 1::2] + x[:, :, 1::2, 1::2]
    ) * 0.25


def _avgpool_bwd(g):
    return numpy.repeat(numpy.repeat(g * 0.25, 2, axis=2), 2, axis=3)


def _sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


@W.impl('numpy')
def _numpy(quick):
    X, y, (c1, cb1, c2, cb2, d1, db1, d2, db2, d3, db3) = _data(quick)
    rows = numpy.arange(len(y))

    def step():
        z1, cols1 = _conv_fwd(X, c1, cb1, 2)
        a1 = _sigmoid(z1)
        p1 = _avgpool(a1)
        z2, cols2 = _conv_fwd(p1, c2, cb2, 0)
        a2 = _sigmoid(z2)
        p2 = _avgpool(a2).reshape(len(y), -1)
        h1 = _sigmoid(p2 @ d1 + db1)
        h2 = _sigmoid(h1 @ d2 + db2)
        z = h2 @ d3 + db3
        e = numpy.exp(z - z.max(axis=1, keepdims=True))
        dz = e / e.sum(axis=1, keepdims=True)
        dz[rows, y] -= 1
        dz /= len(y)
        gd3, gdb3 = h2.T @ dz, dz.sum(axis=0)
        dh2 = (dz @ d3.T) * h2 * (1 - h2)
        gd2, gdb2 = h1.T @ dh2, dh2.sum(axis=0)
        dh1 = (dh2 @ d2.T) * h1 * (1 - h1)
        gd1, gdb1 = p2.T @ dh1, dh1.sum(axis=0)
        dz2 = _avgpool_bwd((dh1 @ d1.T).reshape(a2.shape[0], 16, 5, 5)) * a2 * (1 - a2)
        dp1, gc2, gcb2 = _conv_bwd(dz2, cols2, p1.shape, c2, 0, True)
        dz1 = _avgpool_bwd(dp1) * a1 * (1 - a1)
        _, gc1, gcb1 = _conv_bwd(dz1, cols1, X.shape, c1, 2, False)
        return [gc1, gcb1, gc2, gcb2, gd1, gdb1, gd2, gdb2, gd3, gdb3]

    return step


# --- ndgrad and PyTorch: the same network, written as a user would ----------------------


def lenet_ndgrad(np, npx, X, params):
    """d2l's LeNet forward pass with ndgrad (MXNet's npx API)."""
    c1, cb1, c2, cb2, d1, db1, d2, db2, d3, db3 = params
    h = npx.sigmoid(npx.convolution(X, c1, cb1, kernel=(5, 5), pad=(2, 2), num_filter=6))
    h = npx.pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    h = npx.sigmoid(npx.convolution(h, c2, cb2, kernel=(5, 5), num_filter=16))
    h = npx.pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    h = npx.sigmoid(np.dot(h.reshape(h.shape[0], -1), d1) + db1)
    h = npx.sigmoid(np.dot(h, d2) + db2)
    return np.dot(h, d3) + db3


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np, npx

    X, y, params = _data(quick)
    X, labels = np.array(X), np.array(y)
    params = [np.array(p) for p in params]
    for p in params:
        p.attach_grad()

    def step():
        with autograd.record():
            loss = npx.softmax_cross_entropy(lenet_ndgrad(np, npx, X, params), labels)
        loss.backward()
        return [p.grad for p in params]

    return step


@W.impl('torch')
def _torch(quick):
    import torch
    import torch.nn.functional as F

    X, y, params = _data(quick)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    params = [torch.tensor(p, requires_grad=True) for p in params]
    c1, cb1, c2, cb2, d1, db1, d2, db2, d3, db3 = params

    def step():
        for p in params:
            p.grad = None
        h = F.avg_pool2d(torch.sigmoid(F.conv2d(X, c1, cb1, padding=2)), 2, 2)
        h = F.avg_pool2d(torch.sigmoid(F.conv2d(h, c2, cb2)), 2, 2)
        h = torch.sigmoid(h.reshape(h.shape[0], -1) @ d1 + db1)
        h = torch.sigmoid(h @ d2 + db2)
        F.cross_entropy(h @ d3 + db3, y).backward()
        return [p.grad for p in params]

    return step

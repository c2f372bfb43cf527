"""Convolution and pooling (MXNet's ``npx.convolution``, ``npx.deconvolution`` and
``npx.pooling``), on channel-first layouts (NCW, NCHW, NCDHW).

Two linear primitives carry the sliding windows: `unfold` copies every window of
the last axes of an array out (im2col) and `fold` adds windows back into place
(col2im); each is the other's transpose. The convolution is one primitive (it
saves only its inputs); its derivatives are a transposed convolution (for the
data) and a correlation of the data with the gradient (for the weight), written
with `unfold`, `fold` and `matmul` so that they are differentiable again.
Pooling is composed: the max of the unfolded windows, or their sums (`window_sum`,
whose transpose is `window_spread`, without the windows in memory).

>>> from ndgrad import np, npx
>>> x = np.arange(5.).reshape(1, 1, 5)
>>> npx.convolution(x, np.ones((1, 1, 3)), kernel=(3,), num_filter=1, no_bias=True)
array([[[3., 6., 9.]]])
>>> npx.pooling(x, kernel=(2,), stride=(2,), pool_type='max')
array([[[1., 3.]]])
"""

import math

import numpy
from numpy.lib.stride_tricks import sliding_window_view

from .._ndarray import raw
from .._primitive import RAW, REC as P, composite, op

# --- windows: unfold (im2col) and fold (col2im) -----------------------------------------


def _inside(size, pad):
    """The index of the unpadded part of an array whose last axes were padded by `pad`."""
    return (Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(size, pad))


def _padded(x, pad, fill):
    """`x` with its last ``len(pad)`` axes padded by `pad` ((before, after) per axis)."""
    if not any(lo or hi for lo, hi in pad):
        return x
    size = x.shape[-len(pad) :]
    out = numpy.full(
        x.shape[: -len(pad)] + tuple(s + lo + hi for s, (lo, hi) in zip(size, pad)), fill, x.dtype
    )
    out[_inside(size, pad)] = x
    return out


def _windows(x, kernel, stride, dilate, pad, fill=0.0):
    """A read-only view of the windows of the last ``len(kernel)`` axes of `x`, padded
    by `pad` ((before, after) per axis) with `fill`: shape ``(..., *kernel, *out)``
    (kernel axes first: each kernel position's slab runs along memory)."""
    nd = len(kernel)
    x = _padded(x, pad, fill)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
    view = sliding_window_view(x, extent, axis=tuple(range(x.ndim - nd, x.ndim)))
    view = view[
        (Ellipsis,)
        + tuple(slice(None, None, s) for s in stride)
        + tuple(slice(None, None, d) for d in dilate)
    ]
    lead = view.ndim - 2 * nd
    return view.transpose(
        tuple(range(lead)) + tuple(range(lead + nd, lead + 2 * nd)) + tuple(range(lead, lead + nd))
    )


def _unfold(x, kernel, stride, dilate, pad, fill=0.0):
    """Every window of the last ``len(kernel)`` axes, copied out: ``(..., *kernel, *out)``.

    >>> _unfold(numpy.arange(4.), (2,), (1,), (1,), ((0, 0),)).tolist()
    [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]
    """
    return numpy.ascontiguousarray(_windows(x, kernel, stride, dilate, pad, fill))


def _offsets(kernel, dilate, out, stride):
    """For each kernel position, the strided slices of the padded input it meets."""
    for offset in numpy.ndindex(*kernel):
        yield (
            offset,
            (Ellipsis,)
            + tuple(
                slice(k * d, k * d + (o - 1) * s + 1, s)
                for k, d, o, s in zip(offset, dilate, out, stride)
            ),
        )


def _padded_zeros(lead, size, pad, dtype):
    return numpy.zeros(lead + tuple(s + lo + hi for s, (lo, hi) in zip(size, pad)), dtype)


def _cropped(total, size, pad):
    return numpy.ascontiguousarray(total[_inside(size, pad)])


def _fold(cols, size, stride, dilate, pad):
    """The transpose of `_unfold`: windows ``(..., *kernel, *out)`` added into an array
    whose last axes have the spatial `size`.

    >>> _fold(numpy.ones((2, 3)), (4,), (1,), (1,), ((0, 0),)).tolist()
    [1.0, 2.0, 2.0, 1.0]
    """
    nd = len(size)
    total = _padded_zeros(cols.shape[: -2 * nd], size, pad, cols.dtype)
    for offset, target in _offsets(cols.shape[-2 * nd : -nd], dilate, cols.shape[-nd:], stride):
        total[target] += cols[(Ellipsis,) + offset + (slice(None),) * nd]  # one slab each
    return _cropped(total, size, pad)


def _window_sum(x, kernel, stride, pad):
    """The sum of each window of the last ``len(kernel)`` axes: ``(..., *out)`` (the sum
    of `_unfold` over the kernel axes, without the windows in memory).

    >>> _window_sum(numpy.arange(4.), (2,), (2,), ((0, 0),)).tolist()
    [1.0, 5.0]
    """
    nd = len(kernel)
    x = _padded(x, pad, 0)
    out = tuple((s - k) // st + 1 for s, k, st in zip(x.shape[-nd:], kernel, stride))
    total = None
    for _, source in _offsets(kernel, (1,) * nd, out, stride):
        total = x[source].copy() if total is None else numpy.add(total, x[source], out=total)
    return total


def _window_spread(g, size, kernel, stride, pad):
    """The transpose of `_window_sum`: each value of `g` added to every element of its
    window, onto the spatial `size`.

    >>> _window_spread(numpy.array([1., 5.]), (4,), (2,), (2,), ((0, 0),)).tolist()
    [1.0, 1.0, 5.0, 5.0]
    """
    nd = len(kernel)
    total = _padded_zeros(g.shape[:-nd], size, pad, g.dtype)
    for _, target in _offsets(kernel, (1,) * nd, g.shape[-nd:], stride):
        total[target] += g
    return _cropped(total, size, pad)


def _unfold_vjp(xp, g, ans, x, kernel, stride, dilate, pad, fill=0.0):
    return xp.fold(g, size=x.shape[-len(kernel) :], stride=stride, dilate=dilate, pad=pad)


def _unfold_jvp(xp, t, ans, x, kernel, stride, dilate, pad, fill=0.0):
    return xp.unfold(t, kernel=kernel, stride=stride, dilate=dilate, pad=pad)


def _fold_vjp(xp, g, ans, cols, size, stride, dilate, pad):
    nd = len(size)
    return xp.unfold(g, kernel=cols.shape[-2 * nd : -nd], stride=stride, dilate=dilate, pad=pad)


def _fold_jvp(xp, t, ans, cols, size, stride, dilate, pad):
    return xp.fold(t, size=size, stride=stride, dilate=dilate, pad=pad)


def _window_sum_vjp(xp, g, ans, x, kernel, stride, pad):
    size = x.shape[-len(kernel) :]
    return xp.window_spread(g, size=size, kernel=kernel, stride=stride, pad=pad)


def _window_sum_jvp(xp, t, ans, x, kernel, stride, pad):
    return xp.window_sum(t, kernel=kernel, stride=stride, pad=pad)


def _window_spread_vjp(xp, g, ans, y, size, kernel, stride, pad):
    return xp.window_sum(g, kernel=kernel, stride=stride, pad=pad)


def _window_spread_jvp(xp, t, ans, y, size, kernel, stride, pad):
    return xp.window_spread(t, size=size, kernel=kernel, stride=stride, pad=pad)


op('unfold', _unfold, _unfold_vjp, _unfold_jvp, save='shapes', export=None)
op('fold', _fold, _fold_vjp, _fold_jvp, save='shapes', export=None)
op('window_sum', _window_sum, _window_sum_vjp, _window_sum_jvp, save='shapes', export=None)
op(
    'window_spread',
    _window_spread,
    _window_spread_vjp,
    _window_spread_jvp,
    save='shapes',
    export=None,
)


# --- convolution as matrix products over the unfolded windows ---------------------------
# Layouts: data (*batch, N, C, *S), weight (*batch, F, C/G, *K), output (*batch, N, F, *O);
# the leading batch axes (a vectorized Jacobian's) broadcast through `matmul`.


def _perm(lead, order):
    return tuple(range(lead)) + tuple(lead + i for i in order)


def _patches(xp, x, kernel, stride, dilate, pad, groups):
    """The windows of `x` as matrices ``(*batch, G, C/G·K, N·O)`` (rows of contiguous
    output positions: the copy and the products run along memory), and the shape O."""
    nd = len(kernel)
    if xp is RAW:  # one copy (the reshape below), not two
        cols = _windows(x, kernel, stride, dilate, pad)
    else:
        cols = xp.unfold(x, kernel=kernel, stride=stride, dilate=dilate, pad=pad)
    lead, (n, c), out = (
        cols.shape[: -2 - 2 * nd],
        cols.shape[-2 - 2 * nd : -2 * nd],
        cols.shape[-nd:],
    )
    cols = xp.reshape(cols, lead + (n, groups, c // groups) + kernel + out)
    # (N, G, Cg, *K, *O) -> (G, Cg, *K, N, *O)
    order = (1, 2) + tuple(range(3, 3 + nd)) + (0,) + tuple(range(3 + nd, 3 + 2 * nd))
    cols = xp.transpose(cols, _perm(len(lead), order))
    return xp.reshape(cols, lead + (groups, -1, n * math.prod(out))), out


def _weight_matrix(xp, w, nd, groups):
    """`w` ``(*batch, F, C/G, *K)`` as matrices ``(*batch, G, F/G, C/G·K)``."""
    return xp.reshape(w, w.shape[: -2 - nd] + (groups, w.shape[-2 - nd] // groups, -1))


def _conv(xp, x, w, stride, dilate, pad, groups):
    """Cross-correlation of `x` with the filters `w` (MXNet's convolution, no bias)."""
    nd = len(stride)
    cols, out = _patches(xp, x, w.shape[-nd:], stride, dilate, pad, groups)
    y = xp.matmul(_weight_matrix(xp, w, nd, groups), cols)  # (G, Fg, N·O)
    lead, fg, n = y.shape[:-3], y.shape[-2], x.shape[-2 - nd]
    y = xp.reshape(y, lead + (groups, fg, n) + out)
    y = xp.transpose(y, _perm(len(lead), (2, 0, 1) + tuple(range(3, 3 + nd))))
    return xp.reshape(y, lead + (n, groups * fg) + out)


def _grad_matrix(xp, g, nd, groups):
    """`g` ``(*batch, N, F, *O)`` as matrices ``(*batch, G, F/G, N·O)``."""
    lead, (n, f), out = g.shape[: -2 - nd], g.shape[-2 - nd : -nd], g.shape[-nd:]
    g = xp.reshape(g, lead + (n, groups, f // groups) + out)
    g = xp.transpose(g, _perm(len(lead), (1, 2, 0) + tuple(range(3, 3 + nd))))
    return xp.reshape(g, lead + (groups, f // groups, n * math.prod(out)))


def _conv_weight_grad(xp, x, g, kernel, stride, dilate, pad, groups):
    """The correlation of the data `x` with the output gradient `g`: the weight's gradient."""
    nd = len(kernel)
    cols, _ = _patches(xp, x, kernel, stride, dilate, pad, groups)
    dw = xp.matmul(_grad_matrix(xp, g, nd, groups), xp.swapaxes(cols, -1, -2))
    return xp.reshape(dw, dw.shape[:-3] + (g.shape[-1 - nd], -1) + tuple(kernel))


def _conv_data_grad(xp, g, w, size, stride, dilate, pad, groups):
    """The transposed convolution of `g` with `w` onto spatial `size`: the data's gradient."""
    nd = len(stride)
    if xp is RAW and groups == 1 and g.ndim == w.ndim == nd + 2:
        return _data_grad_kernel(g, w, size, stride, dilate, pad)
    kernel, cg = w.shape[-nd:], w.shape[-1 - nd]
    cols = xp.matmul(
        xp.swapaxes(_weight_matrix(xp, w, nd, groups), -1, -2), _grad_matrix(xp, g, nd, groups)
    )  # (G, Cg·K, N·O)
    lead, n, out = cols.shape[:-3], g.shape[-2 - nd], g.shape[-nd:]
    cols = xp.reshape(cols, lead + (groups, cg) + kernel + (n,) + out)
    # (G, Cg, *K, N, *O) -> (N, G, Cg, *K, *O)
    order = (2 + nd, 0, 1) + tuple(range(2, 2 + nd)) + tuple(range(3 + nd, 3 + 2 * nd))
    cols = xp.transpose(cols, _perm(len(lead), order))
    cols = xp.reshape(cols, lead + (n, groups * cg) + kernel + out)
    return xp.fold(cols, size=tuple(size), stride=stride, dilate=dilate, pad=pad)


def _data_grad_kernel(g, w, size, stride, dilate, pad):
    """`_conv_data_grad` of a plain backward pass (one group, no batch axes), laid out so
    that each kernel position's windows add into place along long stretches of memory
    (the batch axis innermost): 3x faster than `_fold` on a LeNet batch, whose rows are
    short."""
    (n, f), out, (c, *kernel) = g.shape[:2], g.shape[2:], w.shape[1:]
    filters = numpy.moveaxis(w.reshape(f, c, -1), 0, -1).transpose(1, 0, 2)  # (K, C, F)
    rows = numpy.moveaxis(g, 0, -1).reshape(f, -1)  # (F, O·N)
    cols = (filters.reshape(-1, f) @ rows).reshape(tuple(kernel) + (c,) + out + (n,))
    total = numpy.zeros((c,) + tuple(s + lo + hi for s, (lo, hi) in zip(size, pad)) + (n,), g.dtype)
    for offset, target in _offsets(kernel, dilate, out, stride):
        total[(slice(None),) + target[1:]] += cols[offset]
    return _cropped(numpy.moveaxis(total, -1, 0), size, pad)


def _conv_kernel(x, w, stride, dilate, pad, groups):
    return numpy.ascontiguousarray(_conv(RAW, x, w, stride, dilate, pad, groups))


def _conv_vjp_data(xp, g, ans, x, w, stride, dilate, pad, groups):
    return _conv_data_grad(xp, g, w, x.shape[-len(stride) :], stride, dilate, pad, groups)


def _conv_vjp_weight(xp, g, ans, x, w, stride, dilate, pad, groups):
    return _conv_weight_grad(xp, x, g, w.shape[-len(stride) :], stride, dilate, pad, groups)


# bilinear: each input's tangent goes through the same convolution
op(
    'convolution',
    _conv_kernel,
    (_conv_vjp_data, _conv_vjp_weight),
    (
        lambda xp, t, ans, x, w, **kw: _conv(xp, t, w, **kw),
        lambda xp, t, ans, x, w, **kw: _conv(xp, x, t, **kw),
    ),
    export=None,
)


# --- public functions ---------------------------------------------------------------------

_LAYOUTS = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}


def _shape(a):
    return numpy.shape(raw(a))


def _axes_tuple(name, value, nd, what, default, least):
    """`value` (empty, an int, or one int per spatial axis) as a tuple of nd ints >= least."""
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0):
        return (default,) * nd
    if isinstance(value, (int, numpy.integer)):
        value = (value,) * nd
    value = tuple(int(v) for v in value)
    if len(value) != nd:
        raise ValueError(
            f'{name}: {what} has {len(value)} entries, but the data has {nd} '
            f'spatial axes; give one per axis, e.g. {what}={(value[0],) * nd}'
        )
    if any(v < least for v in value):
        raise ValueError(f'{name}: every entry of {what} must be at least {least}, got {value}')
    return value


def _spatial_rank(name, data, layout):
    ndim = len(_shape(data))
    nd = ndim - 2
    if nd not in _LAYOUTS:
        raise ValueError(
            f'{name}: data must have 3, 4 or 5 axes (batch, channels and 1 to 3 '
            f'spatial axes: NCW, NCHW or NCDHW), got shape {_shape(data)}'
        )
    if layout is not None and layout != _LAYOUTS[nd]:
        raise ValueError(
            f'{name}: layout {layout!r} is not supported; ndgrad computes on '
            f'channel-first data ({_LAYOUTS[nd]!r} for this shape): transpose the '
            f'data (np.moveaxis) and leave layout=None'
        )
    return nd


def _geometry(name, data, kernel, stride, dilate, pad, layout):
    nd = _spatial_rank(name, data, layout)
    if kernel is None:
        raise TypeError(f'{name}: kernel is required (one size per spatial axis)')
    kernel = _axes_tuple(name, kernel, nd, 'kernel', 1, 1)
    stride = _axes_tuple(name, stride, nd, 'stride', 1, 1)
    dilate = _axes_tuple(name, dilate, nd, 'dilate', 1, 1)
    pad = _axes_tuple(name, pad, nd, 'pad', 0, 0)
    return nd, kernel, stride, dilate, pad


def _check_fits(name, size, kernel, dilate, pad):
    for s, k, d, p in zip(size, kernel, dilate, pad):
        if s + 2 * p < d * (k - 1) + 1:
            raise ValueError(
                f'{name}: the kernel {kernel} (dilated by {dilate}) does not fit '
                f'in the spatial shape {size} padded by {pad}'
            )


def _groups(name, channels, filters, num_group):
    if num_group < 1 or channels % num_group or filters % num_group:
        raise ValueError(
            f'{name}: num_group={num_group} must divide both the {channels} '
            f'input channels and the {filters} filters'
        )


def _add_bias(name, y, bias, filters, nd):
    if bias is None:
        raise ValueError(f'{name}: no bias given; pass bias= (shape ({filters},)) or no_bias=True')
    if _shape(bias) != (filters,):
        raise ValueError(f'{name}: bias must have shape ({filters},), got {_shape(bias)}')
    return y + P.reshape(bias, (filters,) + (1,) * nd)


@composite(export='npx')
def convolution(data=None, weight=None, bias=None, kernel=None, stride=None, dilate=None,
                pad=None, num_filter=None, num_group=1, workspace=1024, no_bias=False,
                cudnn_tune=None, cudnn_off=False, layout=None):  # fmt: skip
    """MXNet's Convolution: the cross-correlation of `data` ``(N, C, *spatial)`` with
    `weight` ``(num_filter, C // num_group, *kernel)``, plus `bias` ``(num_filter,)``
    unless ``no_bias``. Differentiable to any order in `data`, `weight` and `bias`.

    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> npx.convolution(x, np.ones((2, 1, 2, 2)), np.array([0., 1.]), kernel=(2, 2),
    ...                 stride=(2, 2), num_filter=2)
    array([[[[10., 18.],
             [42., 50.]],
    <BLANKLINE>
            [[11., 19.],
             [43., 51.]]]])
    """
    nd, kernel, stride, dilate, pad = _geometry(
        'convolution', data, kernel, stride, dilate, pad, layout
    )
    shape, wshape = _shape(data), _shape(weight)
    filters = wshape[0] if num_filter is None and wshape else num_filter
    _groups('convolution', shape[1], filters, num_group)
    expected = (filters, shape[1] // num_group) + kernel
    if wshape != expected:
        raise ValueError(
            f'convolution: weight must have shape (num_filter, channels // '
            f'num_group, *kernel) = {expected}, got {wshape}'
        )
    _check_fits('convolution', shape[2:], kernel, dilate, pad)
    y = P.convolution(
        data, weight, stride=stride, dilate=dilate, pad=tuple((p, p) for p in pad), groups=num_group
    )
    return y if no_bias else _add_bias('convolution', y, bias, filters, nd)


@composite(export='npx')
def deconvolution(data=None, weight=None, bias=None, kernel=None, stride=None,
                  dilate=None, pad=None, adj=None, target_shape=None,
                  num_filter=None, num_group=1, workspace=512, no_bias=True,
                  cudnn_tune=None, cudnn_off=False, layout=None):  # fmt: skip
    """MXNet's Deconvolution (transposed convolution): the gradient of `convolution`
    with respect to its data. `weight` is ``(C, num_filter // num_group, *kernel)``;
    each spatial axis grows to ``(n - 1)·stride - 2·pad + dilate·(kernel - 1) + 1 + adj``,
    or to `target_shape` (which then sets `pad` and `adj`, as in MXNet). With
    ``dilate`` > 1, MXNet 1.9.1's forward pass is not the transpose of its convolution
    (its gradient is); this one is, as PyTorch's ``conv_transpose`` is.

    >>> npx.deconvolution(np.array([[[1., 2.]]]), np.ones((1, 1, 2)), kernel=(2,),
    ...                   num_filter=1)
    array([[[1., 3., 2.]]])
    """
    nd, kernel, stride, dilate, pad = _geometry(
        'deconvolution', data, kernel, stride, dilate, pad, layout
    )
    adj = _axes_tuple('deconvolution', adj, nd, 'adj', 0, 0)
    shape, wshape = _shape(data), _shape(weight)
    filters = wshape[1] * num_group if num_filter is None and len(wshape) > 1 else num_filter
    _groups('deconvolution', shape[1], filters, num_group)
    expected = (shape[1], filters // num_group) + kernel
    if wshape != expected:
        raise ValueError(
            f'deconvolution: weight must have shape (channels, num_filter // '
            f'num_group, *kernel) = {expected}, got {wshape}'
        )
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
    full = tuple((n - 1) * s + e for n, s, e in zip(shape[2:], stride, extent))
    if target_shape:
        target = _axes_tuple('deconvolution', target_shape, nd, 'target_shape', 1, 1)
        total = tuple(f - t for f, t in zip(full, target))
        if any(t < 0 for t in total):
            raise ValueError(
                f'deconvolution: target_shape {target} is larger than the full output {full}'
            )
        pad = tuple((t + 1) // 2 for t in total)
        adj = tuple(t % 2 for t in total)
    if any(a >= s for a, s in zip(adj, stride)):
        raise ValueError(
            f'deconvolution: adj {adj} (set by target_shape, or given) must be '
            f'smaller than the stride {stride}'
        )
    size = tuple(f - 2 * p + a for f, p, a in zip(full, pad, adj))
    if any(s < 1 for s in size):
        raise ValueError(f'deconvolution: pad {pad} leaves no output (spatial shape {size})')
    y = _conv_data_grad(
        P,
        data,
        weight,
        size,
        stride,
        dilate,
        tuple((p, max(p - a, 0)) for p, a in zip(pad, adj)),
        num_group,
    )
    return y if no_bias else _add_bias('deconvolution', y, bias, filters, nd)


_POOL_TYPES = ('max', 'avg', 'sum', 'lp')


def _power(x, p):
    if p == 1:
        return x
    if p == 2:
        return x * x
    if p == 3:
        return x * x * x
    return P.power(x, p)


def _root(x, p):
    """MXNet's p-th root of a sum of p-th powers (odd p keep the sign, as MXNet's)."""
    if p == 1:
        return x
    if p == 2:
        return P.sqrt(x)
    if p == 3:
        return P.cbrt(x)
    return P.power(x, 1.0 / p)


def _window_counts(size, kernel, stride, pad, out, include_pad, dtype):
    """How many elements each pooling window averages over, as MXNet counts them: the
    window clipped to the padded input (or to the input, without `include_pad`)."""
    counts = numpy.ones((), dtype)
    for s, k, st, p, o in zip(size, kernel, stride, pad, out):
        start = numpy.arange(o) * st - p
        if include_pad:
            n = numpy.minimum(start + k, s + p) - start
        else:
            n = numpy.minimum(start + k, s) - numpy.maximum(start, 0)
        counts = numpy.multiply.outer(counts, numpy.maximum(n, 1).astype(dtype))
    return counts


def _pool_windows(name, data, kernel, stride, pad, layout, convention):
    """Pooling's spatial size, kernel, stride, pad, output size and the (before, after)
    padding that gives every window of the 'valid' or 'full' `convention` its data."""
    if convention not in ('valid', 'full'):
        raise ValueError(
            f"{name}: pooling_convention must be 'valid' or 'full', got {convention!r}"
        )
    _, kernel, stride, _, pad = _geometry(name, data, kernel, stride, None, pad, layout)
    size = _shape(data)[2:]
    _check_fits(name, size, kernel, (1,) * len(size), pad)
    rounding = math.ceil if convention == 'full' else math.floor
    out = tuple(
        1 + rounding((s + 2 * p - k) / st) for s, k, st, p in zip(size, kernel, stride, pad)
    )
    pads = tuple(
        (p, max(p, (o - 1) * st + k - s - p))
        for s, k, st, p, o in zip(size, kernel, stride, pad, out)
    )
    return size, kernel, stride, pad, out, pads


def _lp_power(name, data, pool_type, p_value):
    """`data` to the power `p_value` for 'lp' pooling, else `data`; `pool_type` checked."""
    if pool_type not in _POOL_TYPES:
        raise ValueError(f'{name}: pool_type must be one of {_POOL_TYPES}, got {pool_type!r}')
    if pool_type != 'lp':
        return data
    if p_value is None or int(p_value) != p_value or p_value < 1:
        raise ValueError(
            f"{name}: pool_type='lp' needs p_value, a positive integer "
            f'(MXNet supports 1, 2 and 3), got {p_value!r}'
        )
    return _power(data, int(p_value))


@composite(export='npx')
def pooling(data=None, kernel=None, pool_type='max', global_pool=False,
            cudnn_off=False, pooling_convention='valid', stride=None, pad=None,
            p_value=None, count_include_pad=None, layout=None):  # fmt: skip
    """MXNet's Pooling over the spatial axes of `data` ``(N, C, *spatial)``: 'max',
    'avg', 'sum' or 'lp' (``(Σ xᵖ)^(1/p)``, `p_value` 1, 2 or 3 as in MXNet) of each
    window; `global_pool` pools each whole channel. ``pooling_convention='full'`` adds
    windows that run over the end (ceil instead of floor). Average pooling divides by
    the window's size within the padded input, or within the input alone when
    ``count_include_pad=False``; a 'full' window wholly in the padding gives 0, or for
    'max' the lowest finite value, as in MXNet.

    Max pooling gives the gradient to the maximum of each window and splits it evenly
    among tied elements (MXNet gives it all to the first), so it is a valid subgradient
    whose second derivative is exact.

    >>> x = np.array([[[[1., 2.], [3., 4.]]]])
    >>> npx.pooling(x, kernel=(2, 2), pool_type='avg')
    array([[[[2.5]]]])
    >>> npx.pooling(x, pool_type='max', global_pool=True)
    array([[[[4.]]]])
    """
    name = 'pooling'
    nd = _spatial_rank(name, data, layout)
    data = _lp_power(name, data, pool_type, p_value)
    axes = tuple(range(-nd, 0))
    if global_pool:
        reduce = P.max if pool_type == 'max' else P.mean if pool_type == 'avg' else P.sum
        pooled = reduce(data, axis=axes, keepdims=True)
        return _root(pooled, int(p_value)) if pool_type == 'lp' else pooled
    size, kernel, stride, pad, out, pads = _pool_windows(
        name, data, kernel, stride, pad, layout, pooling_convention
    )
    dtype = numpy.asarray(raw(data)).dtype
    # as MXNet: a window wholly in the padding ('full') gives the lowest finite value
    fill = (numpy.finfo if dtype.kind == 'f' else numpy.iinfo)(dtype).min
    if pool_type == 'max':
        return P.max(
            P.unfold(data, kernel=kernel, stride=stride, dilate=(1,) * nd, pad=pads, fill=fill),
            axis=tuple(range(-2 * nd, -nd)),
        )
    pooled = P.window_sum(data, kernel=kernel, stride=stride, pad=pads)
    if pool_type == 'lp':
        return _root(pooled, int(p_value))
    if pool_type == 'sum':
        return pooled
    include = True if count_include_pad is None else bool(count_include_pad)
    count_dtype = pooled.dtype if dtype.kind == 'f' else numpy.float64
    return pooled / _window_counts(size, kernel, stride, pad, out, include, count_dtype)

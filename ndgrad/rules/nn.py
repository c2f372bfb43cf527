"""Neural-network ops of `npx` (MXNet's extensions to NumPy).

Direct rules where composing would cost speed or memory (softmax, log_softmax,
pick, standardize, dropout); the rest is composed from primitives. Public
functions keep MXNet's signatures; their docstrings say where ndgrad differs.

>>> from ndgrad import np, npx
>>> z = np.array([[1., 2., 3.]])
>>> -npx.pick(npx.log_softmax(z), np.array([2.])).mean()   # cross-entropy
array(0.407606)
"""

import math

import numpy

from .._ndarray import ndarray, raw, wrap
from .._primitive import RAW, REC as P, composite, op
from .._state import CONFIG, training
from .._writes import mark_written
from ._util import lanes, neg_axis, times_into

# --- helpers ----------------------------------------------------------------------------


def _axis(axis, ndim, name):
    """`axis` checked against `ndim` and made negative, as NumPy reports a bad axis."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise numpy.exceptions.AxisError(axis, ndim, f'{name}: axis')
    return axis - ndim if axis >= 0 else axis  # (`neg_axis`, inlined: every pick and softmax)


_INT64 = numpy.dtype(numpy.int64)


def _whole(values, name):
    """Index-like data (an ndgrad or NumPy array, a list, a number) as int64.

    Float arrays of whole numbers are accepted: MXNet's labels are float32.
    """
    if type(values) is ndarray:
        values = values._data
    if type(values) is numpy.ndarray and values.dtype is _INT64:
        return values  # (labels as most data sets give them; other int64 descriptors below)
    values = numpy.asarray(values)
    if values.dtype.kind == 'f':
        as_int = values.astype(numpy.int64)
        if (as_int != values).any():
            raise IndexError(
                f'{name}: indices must be whole numbers, got values such as '
                f'{values[as_int != values].flat[0]}'
            )
        return as_int
    if values.dtype.kind not in 'iub':
        raise IndexError(
            f'{name}: indices must be integers (or floats holding whole numbers), '
            f'got dtype {values.dtype}'
        )
    return values.astype(numpy.int64, copy=False)


def _float_dtype(data):
    dtype = numpy.asarray(raw(data)).dtype
    return dtype if dtype.kind == 'f' else CONFIG.float_dtype


def _along(xp, v, channel, ndim):
    """A per-channel vector `v` shaped to broadcast along axis `channel` of an ndim array."""
    if v.ndim == 0 or channel == -1:
        return v
    return xp.reshape(v, v.shape + (1,) * (-channel - 1))


# --- activations ----------------------------------------------------------------------


def _relu(data):
    """max(x, 0); its derivative at 0 is 0.

    >>> npx.relu(np.array([-1., 0., 2.]))
    array([0., 0., 2.])
    """
    return numpy.maximum(data, 0)


def _sigmoid(data):
    """1 / (1 + e⁻ˣ), without overflow warnings for large |x|.

    >>> npx.sigmoid(np.array([0.]))
    array([0.5])
    """
    with numpy.errstate(over='ignore', under='ignore'):  # exp(-x) = inf gives the right 0
        return 1 / (1 + numpy.exp(-data))


def _softplus(data):
    """log(1 + eˣ), computed stably (MXNet's 'softrelu'); its derivative is sigmoid.

    >>> npx.softplus(np.array([0.]))
    array([0.6931472])
    """
    return numpy.logaddexp(0, data)


def _sigmoid_vjp(xp, g, ans, x):
    if xp is not RAW or not ans.ndim:
        return g * (ans * (1 - ans))
    d = numpy.subtract(1, ans)  # ans (1 - ans), then the product, in one new buffer
    d *= ans
    return times_into(g, d)


op('relu', _relu, lambda xp, g, ans, x: g * (x > 0), jvp='elementwise', export='npx')
op('sigmoid', _sigmoid, _sigmoid_vjp, jvp='elementwise', save='output', export='npx')
op('softplus', _softplus, lambda xp, g, ans, x: g * xp.sigmoid(x), jvp='elementwise', export='npx')


_ACT_TYPES = ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign', 'log_sigmoid', 'mish')


@composite(export='npx')
def activation(data, act_type='relu'):
    """MXNet's Activation: 'relu', 'sigmoid', 'tanh', 'softrelu' (log(1 + eˣ)),
    'softsign' (x / (1 + |x|)), 'log_sigmoid' or 'mish' (x·tanh(softrelu(x))).

    >>> npx.activation(np.array([-1., 0., 2.]), act_type='softrelu')
    array([0.3132617, 0.6931472, 2.126928 ])
    """
    if act_type == 'relu':
        return P.relu(data)
    if act_type == 'sigmoid':
        return P.sigmoid(data)
    if act_type == 'tanh':
        return P.tanh(data)
    if act_type == 'softrelu':
        return P.softplus(data)
    if act_type == 'softsign':
        return data / (1 + P.absolute(data))
    if act_type == 'log_sigmoid':
        return -P.softplus(-data)
    if act_type == 'mish':
        return data * P.tanh(P.softplus(data))
    raise ValueError(f'activation: act_type must be one of {_ACT_TYPES}, got {act_type!r}')


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


@composite(export='npx')
def gelu(data, approximation='erf'):
    """GELU, x·Φ(x) = x/2·(1 + erf(x/√2)); ``approximation='tanh'`` gives the tanh form.

    (MXNet offers it as ``leaky_relu(data, act_type='gelu')``, which this also serves.)

    >>> npx.gelu(np.array([0., 1.]))
    array([0.       , 0.8413447])
    """
    if approximation == 'erf':
        return data * (0.5 + 0.5 * P.erf(data * _SQRT_HALF))
    if approximation == 'tanh':
        inner = _SQRT_2_OVER_PI * (data + 0.044715 * (data * data * data))
        return data * (0.5 + 0.5 * P.tanh(inner))
    raise ValueError(f"gelu: approximation must be 'erf' or 'tanh', got {approximation!r}")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _scale_negative(data, slope):
    """data·1 where data > 0, data·slope elsewhere (slope a number or an array)."""
    dtype = _float_dtype(data)
    scale = numpy.where(raw(data) > 0, numpy.ones((), dtype), numpy.asarray(slope, dtype))
    return data * scale


def _negative_exp(data, alpha):
    """where(x > 0, x, alpha·(eˣ - 1)), never evaluating eˣ for large positive x."""
    positive = raw(data) > 0
    return P.where(positive, data, alpha * (P.exp(P.where(positive, 0, data)) - 1))


@composite(export='npx')
def leaky_relu(
    data, gamma=None, act_type='leaky', slope=0.25, lower_bound=0.125, upper_bound=0.334
):
    """MXNet's LeakyReLU family, by `act_type`:

    'leaky' x for x > 0 else slope·x; 'prelu' the same with the learned `gamma`
    (one value, or one per channel on axis 1); 'rrelu' a slope drawn uniformly in
    [lower_bound, upper_bound] per element in training mode, their mean otherwise;
    'elu' slope·(eˣ - 1) for x <= 0; 'selu' the self-normalizing ELU; 'gelu' see `gelu`.

    >>> npx.leaky_relu(np.array([-2., 3.]), slope=0.1)
    array([-0.2,  3. ])
    """
    if act_type == 'leaky':
        return _scale_negative(data, slope)
    if act_type == 'prelu':
        if gamma is None:
            raise ValueError("leaky_relu: act_type='prelu' needs the slopes, gamma=")
        positive = raw(data) > 0
        if gamma.ndim and gamma.size > 1 and data.ndim >= 2:
            gamma = _along(P, gamma, neg_axis(1, data.ndim), data.ndim)
        return P.where(positive, data, data * gamma)
    if act_type == 'rrelu':
        if training():
            slope = numpy.random.uniform(lower_bound, upper_bound, data.shape)
        else:
            slope = (lower_bound + upper_bound) / 2
        return _scale_negative(data, slope)
    if act_type == 'elu':
        return _negative_exp(data, slope)
    if act_type == 'selu':
        return _SELU_LAMBDA * _negative_exp(data, _SELU_ALPHA)
    if act_type == 'gelu':
        return gelu(data)
    raise ValueError(
        "leaky_relu: act_type must be 'leaky', 'prelu', 'rrelu', 'elu', "
        f"'selu' or 'gelu', got {act_type!r}"
    )


# --- softmax --------------------------------------------------------------------------


def reduce_along(ufunc, x, axis):
    """``ufunc.reduce(x, axis, keepdims=True)``, fast along a short axis: NumPy reduces a
    short contiguous axis slowly (a batch of 10 logits: 5x slower), so such an axis is
    made the outer one of a contiguous copy first."""
    if type(x) is not numpy.ndarray:  # (Dask, CuPy: their own reductions)
        return (numpy.max if ufunc is numpy.maximum else numpy.sum)(x, axis=axis, keepdims=True)
    n = x.shape[axis]
    if n > 32 or x.size < 64 * n:
        return ufunc.reduce(x, axis=axis, keepdims=True)
    at = axis % x.ndim
    rest = tuple(range(at)) + tuple(range(at + 1, x.ndim))
    outer = numpy.ascontiguousarray(x.transpose((at,) + rest))
    return ufunc.reduce(outer, axis=0).reshape(x.shape[:at] + (1,) + x.shape[at + 1 :])


def _softmax_kernel(x, axis=-1):
    e = numpy.exp(x - reduce_along(numpy.maximum, x, axis))
    e /= reduce_along(numpy.add, e, axis)
    return e


def _log_softmax_kernel(x, axis=-1):
    shifted = x - reduce_along(numpy.maximum, x, axis)
    shifted -= numpy.log(reduce_along(numpy.add, numpy.exp(shifted), axis))
    return shifted


def _softmax_vjp(xp, g, ans, x, axis=-1):
    # the Jacobian diag(s) - s·sᵀ is symmetric: the same formula gives the jvp. (The
    # composites pass a negative axis: no call is made to make it one.)
    axis = axis if axis < 0 else neg_axis(axis, x.ndim)
    gs = g * ans
    return gs - ans * xp.sum(gs, axis=axis, keepdims=True)


def _log_softmax_vjp(xp, g, ans, x, axis=-1):
    axis = axis if axis < 0 else neg_axis(axis, x.ndim)
    return g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(xp, t, ans, x, axis=-1):
    axis = axis if axis < 0 else neg_axis(axis, x.ndim)
    return t - xp.sum(xp.exp(ans) * t, axis=axis, keepdims=True)


op('softmax', _softmax_kernel, _softmax_vjp, _softmax_vjp, save='output', export=None)
op(
    'log_softmax',
    _log_softmax_kernel,
    _log_softmax_vjp,
    _log_softmax_jvp,
    save='output',
    export=None,
)


def _softmax_input(name, data, length, axis, temperature, use_length):
    """The logits a softmax normalizes (divided by `temperature`, -inf past `length`
    along `axis`), `axis` made negative, and the mask of the kept entries (or None)."""
    if not isinstance(axis, (int, numpy.integer)):
        raise TypeError(
            f'{name}: axis must be an int, got {type(axis).__name__}. The second '
            f'positional argument is `length` (as in MXNet): pass axis by keyword'
        )
    if isinstance(length, (int, numpy.integer)):
        raise TypeError(
            f'{name}: length must be an array of lengths, got {length!r}; to '
            f'choose the axis write {name}(data, axis={length!r})'
        )
    axis = _axis(axis, data.ndim, name)
    if temperature is not None and temperature != 1:
        data = data / temperature
    if use_length:
        if length is None:
            raise ValueError(f'{name}: use_length=True needs the lengths, length=')
        lengths = _whole(length, name)
        steps = numpy.arange(data.shape[axis]).reshape((-1,) + (1,) * (-axis - 1))
        kept = steps < numpy.expand_dims(lengths, axis)
        return P.where(kept, data, -numpy.inf), axis, kept
    return data, axis, None


def _cast(out, dtype):
    return out if dtype is None or out.dtype == dtype else P.astype(out, dtype)


@composite(export='npx')
def softmax(data, length=None, axis=-1, temperature=None, use_length=False, dtype=None):
    """exp(x/T) normalized to sum 1 along `axis`.

    With ``use_length=True``, only the first ``length[...]`` entries along `axis`
    take part (the rest are 0 and pass no gradient); `length` has `data`'s shape
    without `axis`.

    >>> npx.softmax(np.array([0., np.log(3.)]))
    array([0.25, 0.75])
    """
    x, axis, kept = _softmax_input('softmax', data, length, axis, temperature, use_length)
    if kept is None:
        out = P.softmax(x, axis=axis)
        return out if dtype is None else _cast(out, dtype)
    with numpy.errstate(invalid='ignore'):  # a row of length 0 is nan here...
        out = P.softmax(x, axis=axis)
    return _cast(P.where(kept, out, 0), dtype)  # ...and 0 here


@composite(export='npx')
def log_softmax(data, length=None, axis=-1, temperature=None, use_length=False, dtype=None):
    """log(softmax(x)), computed stably; same arguments as `softmax`. Entries past
    `length` are 0 (as in MXNet: a mask multiplying the result stays finite) and no
    gradient flows back from them.

    >>> npx.log_softmax(np.array([0., 0.]))
    array([-0.6931472, -0.6931472])
    """
    x, axis, kept = _softmax_input('log_softmax', data, length, axis, temperature, use_length)
    if kept is None:  # (no call where no dtype is given: this is every d2l model's loss)
        out = P.log_softmax(x, axis=axis)
        return out if dtype is None else _cast(out, dtype)
    with numpy.errstate(invalid='ignore'):
        out = P.log_softmax(x, axis=axis)
    return _cast(P.where(kept, out, 0), dtype)


# --- pick, one_hot, topk --------------------------------------------------------------


def _along_axis(index, axis, shape, keep=True):
    """The NumPy index that reads `index` along `axis` of an array of `shape` (its other
    axes enumerated); `index` lines up with the trailing axes, batch axes lead. It has
    `axis` (size 1) where `keep`, else the result has not."""
    ndim = len(shape)
    if not keep:  # (`index` as given: of size 1 along `axis`)
        at = axis % index.ndim
        index = index.reshape(index.shape[:at] + index.shape[at + 1 :])
    rank = ndim if keep else ndim - 1
    before, after = lanes(tuple(shape), axis % ndim, keep)
    if index.ndim != rank:
        index = index.reshape((1,) * (rank - index.ndim) + index.shape)
    return before + (index,) + after


def _pick_kernel(x, index, axis, keepdims):
    return x[_along_axis(index, axis, x.shape, keepdims)]


def _unpick_kernel(g, index, axis, shape):
    """Zeros of ``batch + shape`` with `g` put at `index` along `axis` (pick's adjoint;
    the indices along `axis` are distinct, so assignment is the sum)."""
    out = numpy.zeros(g.shape[: g.ndim - len(shape)] + tuple(shape), dtype=g.dtype)
    out[_along_axis(index, axis, out.shape)] = g
    return out


def _pick_vjp(xp, g, ans, x, index, axis, keepdims):
    if not keepdims:  # (`axis` back as size 1: numpy.expand_dims costs more)
        g = g[(Ellipsis, None) + (slice(None),) * (-1 - axis)]
    return xp.unpick(g, index=index, axis=axis, shape=x.shape)


op(
    'pick',
    _pick_kernel,
    _pick_vjp,
    lambda xp, t, ans, x, index, axis, keepdims: xp.pick(
        t, index=index, axis=axis, keepdims=keepdims
    ),
    save='shapes',
    export=None,
)
op(
    'unpick',
    _unpick_kernel,
    lambda xp, g, ans, x, index, axis, shape: xp.pick(g, index=index, axis=axis, keepdims=True),
    lambda xp, t, ans, x, index, axis, shape: xp.unpick(t, index=index, axis=axis, shape=shape),
    save='shapes',
    export=None,
)


@composite(export='npx')
def pick(data, index, axis=-1, keepdims=False, mode='clip'):
    """``data[..., index[...], ...]``: one element along `axis` for each position of `index`.

    `index` has `data`'s shape without `axis` (size-1 axes broadcast); it may be
    a float array of whole numbers (MXNet's labels; MXNet truncates other floats,
    ndgrad raises IndexError). ``mode='clip'`` clips indices into range,
    ``'wrap'`` wraps them around. ``axis=None`` picks from the flattened `data`.

    >>> npx.pick(np.array([[1., 2.], [3., 4.]]), np.array([1, 0]))
    array([2., 3.])
    """
    if axis is None:
        data, axis = P.reshape(data, (-1,)), -1
    axis = _axis(axis, data.ndim, 'pick')
    index = _whole(index, 'pick')
    n = data.shape[axis]
    if mode == 'clip':
        index = numpy.minimum(numpy.maximum(index, 0), n - 1)
    elif mode == 'wrap':
        index = numpy.mod(index, n)
    else:
        raise ValueError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    if index.ndim == data.ndim - 1:
        cut = index.ndim + axis + 1
        index = index.reshape(index.shape[:cut] + (1,) + index.shape[cut:])
    kept = data.shape[: data.ndim + axis] + (1,) + data.shape[data.ndim + axis + 1 :]
    if index.shape != kept and (
        index.ndim != data.ndim or any(i not in (1, k) for i, k in zip(index.shape, kept))
    ):
        raise ValueError(
            f'pick: index of shape {index.shape} does not match data of shape '
            f'{data.shape} with axis {axis} removed'
        )
    return P.pick(data, index=index, axis=axis, keepdims=keepdims)


def _one_hot(data, depth, on_value=1.0, off_value=0.0, dtype=None):
    """One-hot vectors of length `depth` (a new last axis); out-of-range indices,
    negative ones included, give all-`off_value` rows (as in MXNet). `dtype` is the
    default float dtype unless given (MXNet: always float32).

    >>> npx.one_hot(np.array([1., 0., 5.]), 3)
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    """
    if depth is None or int(depth) < 0:
        raise ValueError(f'one_hot: depth must be a whole number >= 0, got {depth!r}')
    index = _whole(data, 'one_hot')
    hot = index[..., None] == numpy.arange(int(depth))
    dtype = CONFIG.float_dtype if dtype is None else dtype
    return numpy.where(hot, on_value, off_value).astype(dtype)


op('one_hot', _one_hot, differentiable=False, export='npx')


@composite(export='npx')
def topk(data, axis=-1, k=1, ret_typ='indices', is_ascend=False, dtype='float32'):
    """The `k` largest (smallest with ``is_ascend=True``) entries along `axis`.

    `ret_typ`: 'indices' (as `dtype`, float32 by default as in MXNet), 'value'
    (differentiable: the gradient flows to the selected entries), 'both' (a list
    [values, indices]) or 'mask' (data's shape, 1 where selected). ``k < 1``
    selects all; ties keep the lower index first; ``axis=None`` flattens.

    >>> npx.topk(np.array([1., 3., 2.]), k=2, ret_typ='value')
    array([3., 2.])
    """
    if ret_typ not in ('indices', 'value', 'both', 'mask'):
        raise ValueError(
            f"topk: ret_typ must be 'indices', 'value', 'both' or 'mask', got {ret_typ!r}"
        )
    if axis is None:
        data, axis = P.reshape(data, (-1,)), -1
    axis = _axis(axis, data.ndim, 'topk')
    n = data.shape[axis]
    k = n if k < 1 else int(k)
    if k > n:
        raise ValueError(f'topk: k={k} is larger than the {n} entries along axis {axis}')
    values = numpy.asarray(raw(data))
    key = (
        values
        if is_ascend
        else -values.astype(numpy.float64 if values.dtype.kind in 'ub' else values.dtype)
    )
    order = numpy.argsort(key, axis=axis, kind='stable')
    index = order[(Ellipsis, slice(0, k)) + (slice(None),) * (-axis - 1)]
    if ret_typ == 'mask':
        mask = numpy.zeros(values.shape, _float_dtype(data))
        mask[_along_axis(index, axis, mask.shape)] = 1
        return wrap(mask)
    indices = wrap(index.astype(dtype))
    if ret_typ == 'indices':
        return indices
    picked = P.pick(data, index=index, axis=axis, keepdims=True)
    return picked if ret_typ == 'value' else [picked, indices]


# --- linear algebra, shapes -----------------------------------------------------------


@composite(export='npx')
def batch_dot(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    """Matrix products of matching batches: (..., n, k) @ (..., k, m) -> (..., n, m).

    Operands must be at least 3-d (as in MXNet); their batch axes broadcast as in
    `np.matmul` (MXNet requires them equal).

    >>> npx.batch_dot(np.ones((2, 1, 3)), np.ones((2, 3, 1))).shape
    (2, 1, 1)
    """
    if a.ndim < 3 or b.ndim < 3:
        raise ValueError(
            f'batch_dot needs operands of at least 3 dimensions (batch, rows, '
            f'columns), got shapes {a.shape} and {b.shape}; use np.dot or '
            f'np.matmul for matrices'
        )
    if transpose_a:
        a = P.swapaxes(a, -1, -2)
    if transpose_b:
        b = P.swapaxes(b, -1, -2)
    return P.matmul(a, b)


@composite(export='npx')
def reshape_like(lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    """`lhs` reshaped to `rhs`'s shape; with the begin/end arguments, only the axes
    ``lhs_begin:lhs_end`` of `lhs` are replaced by the axes ``rhs_begin:rhs_end`` of `rhs`.

    >>> npx.reshape_like(np.arange(6), np.zeros((2, 3))).shape
    (2, 3)
    """
    lshape, rshape = tuple(lhs.shape), tuple(rhs.shape)
    lb, le = slice(lhs_begin, lhs_end).indices(len(lshape))[:2]
    rb, re = slice(rhs_begin, rhs_end).indices(len(rshape))[:2]
    shape = lshape[:lb] + rshape[rb:re] + lshape[le:]
    if math.prod(shape) != math.prod(lshape):
        raise ValueError(
            f'reshape_like: cannot reshape an array of shape {lshape} into '
            f'shape {shape}: the sizes differ'
        )
    return P.reshape(lhs, shape)


@composite(export='npx')
def batch_flatten(data):
    """`data` as a matrix: the first axis kept, the others flattened into one.

    >>> npx.batch_flatten(np.zeros((2, 3, 4))).shape
    (2, 12)
    """
    return P.reshape(data, (data.shape[0], -1) if data.ndim else (1, 1))


@composite(export='npx')
def embedding(data, weight, input_dim=None, output_dim=None, dtype='float32', sparse_grad=False):
    """Rows of `weight` (input_dim × output_dim) looked up by the indices in `data`:
    shape ``data.shape + (output_dim,)``. Indices are clipped into range, as MXNet
    does; repeated indices add up their gradients. `dtype` and `sparse_grad` are
    accepted and ignored: the result has `weight`'s dtype, the gradient is dense.

    >>> npx.embedding(np.array([2., 0.]), np.arange(6).reshape(3, 2))
    array([[4., 5.],
           [0., 1.]])
    """
    if weight.ndim != 2:
        raise ValueError(
            f'embedding: weight must be a matrix (input_dim, output_dim), got shape {weight.shape}'
        )
    if input_dim is not None and int(input_dim) != weight.shape[0]:
        raise ValueError(f'embedding: input_dim={input_dim} but weight has {weight.shape[0]} rows')
    index = numpy.clip(_whole(data, 'embedding'), 0, weight.shape[0] - 1)
    return P.getitem(weight, index=index)


def _arange_like(data, start=0.0, step=1.0, repeat=1, ctx=None, axis=None):
    """start, start + step, ... shaped like `data` (or along one `axis` of it), each
    value repeated `repeat` times, in `data`'s float dtype (else the default float).
    Not differentiable.

    >>> npx.arange_like(np.zeros((2, 2)), start=1)
    array([[1., 2.],
           [3., 4.]])
    """
    x = numpy.asarray(data)
    dtype = x.dtype if x.dtype.kind == 'f' else CONFIG.float_dtype
    shape = x.shape if axis is None else (x.shape[_axis(axis, x.ndim, 'arange_like')],)
    count = math.prod(shape)
    values = start + step * (numpy.arange(count) // int(repeat))
    return values.reshape(shape).astype(dtype)


op('arange_like', _arange_like, differentiable=False, export='npx')


@composite(export='npx')
def sequence_mask(data, sequence_length=None, use_sequence_length=False, value=0.0, axis=0):
    """Set the steps past each sequence's length to `value`.

    `data` is (time, batch, ...) for ``axis=0`` or (batch, time, ...) for ``axis=1``;
    `sequence_length` has one length per batch entry. Without
    ``use_sequence_length=True`` `data` is returned unchanged.

    >>> npx.sequence_mask(np.ones((3, 2)), np.array([1, 3]), True)
    array([[1., 1.],
           [0., 1.],
           [0., 1.]])
    """
    if not use_sequence_length:
        return data
    if sequence_length is None:
        raise ValueError('sequence_mask: use_sequence_length=True needs sequence_length=')
    if axis not in (0, 1) or data.ndim < 2:
        raise ValueError(
            f'sequence_mask: axis must be 0 (time-major) or 1 (batch-major) '
            f'of an array of at least 2 dimensions, got axis={axis!r} and '
            f'shape {data.shape}'
        )
    lengths = _whole(sequence_length, 'sequence_mask')
    batch = data.shape[1 - axis]
    if lengths.shape != (batch,):
        raise ValueError(
            f'sequence_mask: sequence_length must have shape ({batch},), one '
            f'length per sequence, got {lengths.shape}'
        )
    steps = numpy.arange(data.shape[axis])
    kept = steps[:, None] < lengths[None, :] if axis == 0 else steps[None, :] < lengths[:, None]
    kept = kept.reshape(kept.shape + (1,) * (data.ndim - 2))
    return P.where(kept, data, value)


# --- dropout --------------------------------------------------------------------------

op(
    'dropout',
    lambda x, mask: x * mask,
    lambda xp, g, ans, x, mask: g * mask,
    jvp='elementwise',
    save='shapes',
    export=None,
)


@composite(export='npx')
def dropout(data, p=0.5, mode='training', axes=None, cudnn_off=True):
    """Zero each entry with probability `p` and scale the rest by 1/(1 - p), in
    training mode (``autograd.record()``, ``autograd.train_mode()``); the identity
    in prediction mode. ``mode='always'`` drops in both. The gradient uses the same
    mask. `axes` share one draw along those axes (variational dropout).

    >>> npx.dropout(np.ones(4), p=0.5)   # prediction mode: unchanged
    array([1., 1., 1., 1.])
    """
    if not 0 <= p <= 1:
        raise ValueError(f'dropout: p is a probability in [0, 1], got {p}')
    if mode not in ('training', 'always'):
        raise ValueError(f"dropout: mode must be 'training' or 'always', got {mode!r}")
    if p == 0 or (mode == 'training' and not training()):
        return data
    shape = list(data.shape)
    for a in () if axes is None else (axes,) if isinstance(axes, int) else axes:
        shape[a] = 1
    dtype = _float_dtype(data)
    if p == 1:
        mask = numpy.zeros(shape, dtype)
    else:
        mask = (numpy.random.random_sample(shape) >= p) * numpy.asarray(1 / (1 - p), dtype)
    return P.dropout(data, mask=mask)


# --- normalization --------------------------------------------------------------------


def _moments(x, axes):
    """Mean and (biased) variance of a NumPy array over `axes`, kept as size-1 axes."""
    mean = numpy.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    return mean, numpy.mean(centered * centered, axis=axes, keepdims=True)


def _standardize_kernel(x, axes, eps, moments=None):
    mean, var = _moments(x, axes) if moments is None else moments
    centered = x - mean
    centered *= 1 / numpy.sqrt(var + eps)
    return centered


def _standardize_rule(xp, v, ans, x, axes, eps, moments=None):
    # x̂ = (x - mean)·r has the symmetric Jacobian r·(I - 1/n - x̂x̂ᵀ/n): vjp and jvp agree
    if xp is RAW and moments is not None:
        r = 1 / xp.sqrt(moments[1] + eps)  # the forward pass's statistics: constants here
    else:  # recorded: r must carry its dependence on x
        centered = x - xp.mean(x, axis=axes, keepdims=True)
        r = 1 / xp.sqrt(xp.mean(centered * centered, axis=axes, keepdims=True) + eps)
    return r * (
        v - xp.mean(v, axis=axes, keepdims=True) - ans * xp.mean(v * ans, axis=axes, keepdims=True)
    )


op(
    'standardize',
    _standardize_kernel,
    _standardize_rule,
    _standardize_rule,
    save='both',
    export=None,
)


def _norm_axes(axis, ndim, name):
    """(channel axis, the other axes): both negative."""
    channel = _axis(axis, ndim, name)
    return channel, tuple(a for a in range(-ndim, 0) if a != channel)


def _affine(xhat, gamma, beta, channel, ndim):
    return xhat * _along(P, gamma, channel, ndim) + _along(P, beta, channel, ndim)


def _check_channel_param(name, param, value, size):
    if not hasattr(value, 'shape'):
        raise TypeError(f'{name}: {param} must be an array, got {type(value).__name__}')
    if value.shape != (size,):
        raise ValueError(
            f'{name}: {param} must have shape ({size},), one value per entry '
            f'of the normalized axis, got {value.shape}'
        )


@composite(export='npx')
def layer_norm(data, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    """(x - mean)/sqrt(var + eps)·gamma + beta, statistics taken along `axis`.

    `gamma` and `beta` have shape ``(data.shape[axis],)``. ``output_mean_var`` is
    not supported (compute ``np.mean`` / ``np.var`` of the input instead).

    >>> npx.layer_norm(np.array([[1., 3.]]), np.ones(2), np.zeros(2), eps=0)
    array([[-1.,  1.]])
    """
    if output_mean_var:
        raise NotImplementedError(
            'layer_norm: output_mean_var=True is not supported; '
            'compute np.mean(x, axis) and np.var(x, axis) instead'
        )
    channel = _axis(axis, data.ndim, 'layer_norm')
    for param, value in (('gamma', gamma), ('beta', beta)):
        _check_channel_param('layer_norm', param, value, data.shape[channel])
    moments = _moments(raw(data), (channel,))
    xhat = P.standardize(data, axes=(channel,), eps=eps, moments=moments)
    return _affine(xhat, gamma, beta, channel, data.ndim)


def _update_in_place(running, value):
    """running ← value, in place (MXNet's auxiliary states are updated, not replaced)."""
    target = running._data if hasattr(running, '_data') else running
    numpy.copyto(target, value, casting='same_kind')
    mark_written(target)


@composite(export='npx')
def batch_norm(x, gamma, beta, running_mean, running_var, eps=1e-5, momentum=0.9,
               fix_gamma=False, use_global_stats=False, output_mean_var=False, axis=1,
               cudnn_off=False, min_calib_range=None, max_calib_range=None):  # fmt: skip
    """Batch normalization over every axis but `axis` (the channels).

    In training mode (``autograd.record()``, ``autograd.train_mode()``) the batch's
    mean and (biased) variance normalize `x`, and the running statistics are updated
    in place: ``running = momentum·running + (1 - momentum)·batch``. In prediction
    mode, or with ``use_global_stats=True``, the running statistics normalize `x`.
    No gradient flows into the running statistics.

    Differs from MXNet's operator defaults (eps=1e-3, fix_gamma=True): here eps=1e-5
    and `gamma` is used and learned unless ``fix_gamma=True`` (Gluon's BatchNorm
    defaults). ``output_mean_var`` is not supported.

    >>> x = np.array([[1.], [3.]])
    >>> with autograd.train_mode():
    ...     npx.batch_norm(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), eps=0)
    array([[-1.],
           [ 1.]])
    """
    if output_mean_var:
        raise NotImplementedError('batch_norm: output_mean_var=True is not supported')
    channel, others = _norm_axes(axis, x.ndim, 'batch_norm')
    size = x.shape[channel]
    for param, value in (
        ('gamma', gamma),
        ('beta', beta),
        ('running_mean', running_mean),
        ('running_var', running_var),
    ):
        _check_channel_param('batch_norm', param, value, size)
    if fix_gamma:
        gamma = numpy.ones(size, _float_dtype(x))
    if training() and not use_global_stats:
        mean, var = _moments(raw(x), others)
        _update_in_place(
            running_mean, momentum * raw(running_mean) + (1 - momentum) * mean.reshape(size)
        )
        _update_in_place(
            running_var, momentum * raw(running_var) + (1 - momentum) * var.reshape(size)
        )
        xhat = P.standardize(x, axes=others, eps=eps, moments=(mean, var))
        return _affine(xhat, gamma, beta, channel, x.ndim)
    scale = gamma / numpy.sqrt(raw(running_var) + eps)
    shift = beta - raw(running_mean) * scale
    return x * _along(P, scale, channel, x.ndim) + _along(P, shift, channel, x.ndim)

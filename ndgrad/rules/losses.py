"""Losses fused into one op: cheaper than their composition, same derivatives.

``npx.softmax_cross_entropy(z, y)`` equals ``-npx.pick(npx.log_softmax(z), y).mean()``;
as one op it records one node instead of four, its gradient ``softmax(z) - one_hot(y)``
is one expression, and the log-probabilities of the forward pass give the backward
pass its softmax (``exp(logp)``) without computing it again.

>>> from ndgrad import np, npx
>>> npx.softmax_cross_entropy(np.array([[1., 2., 3.]]), np.array([2]))
array(0.407606)
"""

import numpy

from .._ndarray import ndarray, wrap
from .._primitive import RAW, REC as P, composite, op
from .._state import CONFIG
from ._util import lanes
from .nn import _axis, _log_softmax_kernel, _whole

_max, _sum = numpy.maximum.reduce, numpy.add.reduce
REDUCTIONS = ('mean', 'sum', 'none')


def _reduce(xp, losses, reduction, ndim):
    """The per-example `losses` (the last `ndim` axes; batch axes lead) reduced."""
    if reduction == 'none' or ndim == 0:
        return losses
    axes = tuple(range(-ndim, 0))
    return xp.mean(losses, axis=axes) if reduction == 'mean' else xp.sum(losses, axis=axes)


def _label_index(label, axis, shape):
    """The index that reads ``z[..., label, ...]`` (`label` at `axis`, the other axes
    enumerated), shaped like `label`: computed once, used forward and backward."""
    before, after = lanes(shape, axis % len(shape), keep=False)
    return before + (label,) + after


def _cross_entropy_kernel(z, logp, index, axis, reduction):
    """``-log_softmax(z)[label]``, reduced; `logp` is ``log_softmax(z)``, computed once."""
    losses = -logp[index]
    if reduction == 'none':
        return losses
    total = _sum(losses, axis=None)
    return total / losses.size if reduction == 'mean' else total


def _residual(xp, z, logp, index, axis):
    """``softmax(z) - one_hot(label)``: the gradient of each example's loss."""
    if xp is RAW:  # from the forward pass's log-probabilities, in place
        residual = numpy.exp(logp)
        residual[index] -= 1
        return residual
    # recorded (create_graph): the softmax must carry its dependence on z
    hot = numpy.zeros(z.shape, z.dtype)
    hot[index] = 1
    return xp.softmax(z, axis=axis) - hot


def _cross_entropy_vjp(xp, g, ans, z, logp, index, axis, reduction):
    residual = _residual(xp, z, logp, index, axis)
    if reduction == 'none':
        return residual * xp.expand_dims(g, axis)
    # one number per batch entry: broadcast over every axis of z
    count = z.size // z.shape[axis] if reduction == 'mean' else 1
    if xp is RAW and g.ndim == 0:  # the usual loss.backward(): scale in place
        residual *= float(g) / count
        return residual
    if g.ndim:  # (batch axes)
        g = xp.reshape(g, g.shape + (1,) * z.ndim)
    return residual * (g / count) if count != 1 else residual * g


def _cross_entropy_jvp(xp, t, ans, z, logp, index, axis, reduction):
    losses = xp.sum(_residual(xp, z, logp, index, axis) * t, axis=axis)
    return _reduce(xp, losses, reduction, z.ndim - 1)


# `logp` is a constant input (no gradient of its own): the composite computes it
op(
    'softmax_cross_entropy',
    _cross_entropy_kernel,
    (_cross_entropy_vjp, None),
    (_cross_entropy_jvp, None),
    export=None,
)


@composite(export='npx')
def softmax_cross_entropy(data, label, axis=-1, reduction='mean'):
    """Cross-entropy of ``softmax(data)`` along `axis` against integer class `label`s.

    `label` has `data`'s shape without `axis` (one class index per example; float
    arrays of whole numbers are accepted, as MXNet's labels are float32). The
    per-example losses ``logsumexp(data) - data[label]`` are averaged
    (``reduction='mean'``, as PyTorch's ``cross_entropy``), summed (``'sum'``, as
    MXNet's legacy ``nd.softmax_cross_entropy``) or returned (``'none'``, as Gluon's
    ``SoftmaxCrossEntropyLoss``). The same value as
    ``-npx.pick(npx.log_softmax(data), label).mean()``, computed as one op.

    >>> npx.softmax_cross_entropy(np.array([[1., 2., 3.], [1., 1., 1.]]), np.array([2, 0]),
    ...                           reduction='none')
    array([0.407606 , 1.0986123])
    """
    name = 'softmax_cross_entropy'
    if type(data) is not ndarray:
        data = wrap(numpy.asarray(data))
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    z = data._data
    shape, ndim = z.shape, z.ndim
    if ndim == 0:
        raise ValueError(f'{name}: data must have a class axis; got a 0-d array')
    axis = _axis(axis, ndim, name)
    label = _whole(label, name)
    classes = shape[axis]
    expected = shape[: ndim + axis] + shape[ndim + axis + 1 :]
    if label.shape != expected:
        raise ValueError(
            f'{name}: label of shape {label.shape} does not match data of shape '
            f'{shape} with the class axis {axis} removed: expected one class '
            f'index per example, shape {expected}'
        )
    # one pass checks both ends: as unsigned numbers, negative labels are the largest
    if label.size and not _max(label.view(numpy.uint64), axis=None) < classes:
        bad = label[(label < 0) | (label >= classes)].flat[0]
        raise IndexError(
            f'{name}: label {bad} is out of range for {classes} classes '
            f'(labels must be 0 .. {classes - 1})'
        )
    if z.dtype.kind != 'f':
        data = P.astype(data, CONFIG.float_dtype)
        z = data._data
    return P.softmax_cross_entropy(
        data,
        _log_softmax_kernel(z, axis),
        index=_label_index(label, axis, shape),
        axis=axis,
        reduction=reduction,
    )

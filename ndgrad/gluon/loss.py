"""Gluon's losses (``gluon.loss``): one value per example.

Each loss computes an elementwise loss, multiplies it by ``sample_weight`` (broadcast)
and the scalar `weight`, and averages it over every axis but `batch_axis`, as MXNet
1.9 does. ``loss(pred, label).backward()`` then sums the per-example gradients.
Labels are reshaped to the prediction's shape where the loss compares them entry by
entry ((n,) labels against (n, 1) predictions).

>>> from ndgrad import np
>>> from ndgrad.gluon import loss as gloss
>>> gloss.L2Loss()(np.array([[1.], [2.]]), np.array([0., 0.]))
array([0.5, 2. ])
"""

from numbers import Number

from .. import numpy as _np
from .block import HybridBlock

__all__ = [
    'HingeLoss',
    'HuberLoss',
    'KLDivLoss',
    'L1Loss',
    'L2Loss',
    'LogisticLoss',
    'Loss',
    'SigmoidBCELoss',
    'SigmoidBinaryCrossEntropyLoss',
    'SoftmaxCELoss',
    'SoftmaxCrossEntropyLoss',
    'SquaredHingeLoss',
]


def _as_array(x):
    return x if hasattr(x, 'ndim') and hasattr(x, 'reshape') else _np.array(x)


def _reshape_like(x, y):
    """`x` reshaped to `y`'s shape (they must have as many entries)."""
    x = _as_array(x)
    if x.shape == y.shape:
        return x
    if x.size != y.size:
        raise ValueError(
            f'label of shape {x.shape} cannot be compared entry by entry with '
            f'a prediction of shape {y.shape}: they must have as many entries'
        )
    return _np.reshape(x, y.shape)


def _apply_weighting(loss, weight=None, sample_weight=None):
    if sample_weight is not None:
        loss = loss * sample_weight
    if weight is not None:
        if not isinstance(weight, Number):
            raise TypeError(f'weight must be a number, got {type(weight).__name__}')
        loss = loss * weight
    return loss


class Loss(HybridBlock):
    """Base class of losses: `weight` (a number or None) scales the loss; the mean is
    taken over every axis but `batch_axis`. Subclasses define
    ``hybrid_forward(F, pred, label, ...)`` and end with ``self._batch_mean(loss)``.

    >>> L1Loss()
    L1Loss(batch_axis=0, w=None)
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return f'{self.__class__.__name__}(batch_axis={self._batch_axis}, w={self._weight})'

    def _batch_mean(self, loss):
        """The mean over every axis but the batch axis."""
        if loss.ndim == 0:
            return loss
        batch = self._batch_axis % loss.ndim
        axes = tuple(a for a in range(loss.ndim) if a != batch)
        return _np.mean(loss, axis=axes) if axes else loss

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward')


class _EntrywiseLoss(Loss):
    """A loss comparing `pred` and `label` entry by entry (`label` reshaped to pred's
    shape): subclasses define ``_entrywise(F, pred, label)``, the unweighted loss."""

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        loss = self._entrywise(F, pred, _reshape_like(label, pred))
        return self._batch_mean(_apply_weighting(loss, self._weight, sample_weight))


class L2Loss(_EntrywiseLoss):
    """``weight/2 · (label - pred)²``, averaged per example (weight defaults to 1).

    >>> L2Loss()(np.array([[1., 3.]]), np.array([[0., 0.]]))
    array([2.5])
    """

    def __init__(self, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def _entrywise(self, F, pred, label):
        return F.np.square(label - pred) / 2


class L1Loss(_EntrywiseLoss):
    """``|label - pred|``, averaged per example.

    >>> L1Loss()(np.array([[1., -3.]]), np.array([[0., 0.]]))
    array([2.])
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def _entrywise(self, F, pred, label):
        return F.np.abs(label - pred)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy with labels in {0, 1}: of ``sigmoid(pred)``, computed stably
    from logits (``from_sigmoid=False``), or of `pred` itself, a probability
    (``from_sigmoid=True``). ``pos_weight`` scales the positive examples' term.

    >>> SigmoidBCELoss()(np.array([[0.]]), np.array([[1.]]))
    array([0.6931472])
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(label, pred)
        if not self._from_sigmoid:
            softplus = F.npx.softplus(-F.np.abs(pred))  # log(1 + exp(-|x|))
            if pos_weight is None:
                loss = F.npx.relu(pred) - pred * label + softplus
            else:
                log_weight = 1 + (pos_weight - 1) * label
                loss = pred - pred * label + log_weight * (softplus + F.npx.relu(-pred))
        else:
            eps = 1e-12
            positive = F.np.log(pred + eps) * label
            if pos_weight is not None:
                positive = positive * pos_weight
            loss = -(positive + F.np.log(1.0 - pred + eps) * (1.0 - label))
        return self._batch_mean(_apply_weighting(loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of ``softmax(pred)`` along `axis` against class indices
    (``sparse_label=True``: `label` has pred's shape without `axis`) or against
    probabilities (``sparse_label=False``: `label` has pred's shape).
    ``from_logits=True`` takes `pred` as log-probabilities already.

    >>> SoftmaxCELoss()(np.array([[1., 2., 3.], [1., 1., 1.]]), np.array([2, 0]))
    array([0.407606 , 1.0986123])
    """

    def __init__(
        self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0, **kwargs
    ):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        axis = self._axis % pred.ndim
        if self._sparse_label:
            label = _as_array(label)
            if label.ndim == pred.ndim and label.shape[axis] == 1:
                label = F.np.squeeze(label, axis=axis)
            if self._from_logits:
                loss = -F.npx.pick(pred, label, axis=axis, keepdims=True)
            else:
                loss = F.np.expand_dims(
                    F.npx.softmax_cross_entropy(pred, label, axis=axis, reduction='none'), axis
                )
        else:
            logp = pred if self._from_logits else F.npx.log_softmax(pred, axis=axis)
            loss = -F.np.sum(logp * _reshape_like(label, pred), axis=axis, keepdims=True)
        return self._batch_mean(_apply_weighting(loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label·(log(label) - pred)``, `pred` holding
    log-probabilities (``from_logits=True``, the default) or logits.

    >>> KLDivLoss()(np.array([[0., 0.]]), np.array([[1., 0.]]))
    array([0.])
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.npx.log_softmax(pred, axis=self._axis)
        loss = label * (F.np.log(label + 1e-12) - pred)
        return self._batch_mean(_apply_weighting(loss, self._weight, sample_weight))


class HuberLoss(_EntrywiseLoss):
    """``½/rho·(label - pred)²`` where ``|label - pred| ≤ rho``, else
    ``|label - pred| - rho/2`` (smooth L1), averaged per example.

    >>> HuberLoss()(np.array([[0.5, 3.]]), np.array([[0., 0.]]))
    array([1.3125])
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def _entrywise(self, F, pred, label):
        error = F.np.abs(label - pred)
        return F.np.where(
            error > self._rho, error - 0.5 * self._rho, (0.5 / self._rho) * F.np.square(error)
        )


class HingeLoss(_EntrywiseLoss):
    """``max(0, margin - pred·label)`` for labels in {-1, 1}.

    >>> HingeLoss()(np.array([[0.5]]), np.array([[1.]]))
    array([0.5])
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def _entrywise(self, F, pred, label):
        return F.npx.relu(self._margin - pred * label)


class SquaredHingeLoss(HingeLoss):
    """``max(0, margin - pred·label)²`` for labels in {-1, 1}.

    >>> SquaredHingeLoss()(np.array([[0.5]]), np.array([[1.]]))
    array([0.25])
    """

    def _entrywise(self, F, pred, label):
        return F.np.square(super()._entrywise(F, pred, label))


class LogisticLoss(_EntrywiseLoss):
    """``log(1 + exp(-pred·label))`` for labels in {-1, 1} (``label_format='signed'``)
    or {0, 1} ('binary').

    >>> LogisticLoss()(np.array([[0.]]), np.array([[1.]]))
    array([0.6931472])
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ('signed', 'binary'):
            raise ValueError(f'label_format can only be signed or binary, received {label_format}.')
        self._label_format = label_format

    def _entrywise(self, F, pred, label):
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0  # {-1, 1} to {0, 1}
        return F.npx.relu(pred) - pred * label + F.npx.softplus(-F.np.abs(pred))

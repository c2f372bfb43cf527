"""gluon.loss: values against MXNet 1.9.1 and PyTorch, gradients to second order."""

import numpy
import pytest
import torch
import torch.nn.functional as tf

import ndgrad
from ndgrad import autograd, np, npx
from ndgrad.gluon import loss as gloss
from ndgrad.testing import assert_allclose, check_grad

PRED = [[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]]
LABEL = [2, 0]
PROBS = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
BINARY = [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
# MXNet 1.9.1: gluon.loss.<Loss>(...)(pred, label) on the arrays above (float32)
MXNET = {
    'sce': [0.20167198777198792, 0.33373239636421204],
    'sce_dense': [1.5016721487045288, 1.0437324047088623],
    'sce_logits': [-2.0, -1.5],
    'sce_w': [0.10083599388599396, 0.33373239636421204],
    'bce': [0.3148552477359772, 0.9529417157173157],
    'bce_pos': [0.47848567366600037, 0.9529417157173157],
    'bce_sig': [0.3148552477359772, 0.9529416561126709],
    'l2': [0.7516667246818542, 0.21666665375232697],
    'l1': [1.0333333015441895, 0.5333333611488342],
    'l2_3d': [1.6041666269302368, 1.0833333730697632],
}


def test_values_match_mxnet():
    pred, label, probs, binary = (np.array(a) for a in (PRED, LABEL, PROBS, BINARY))
    got = {
        'sce': gloss.SoftmaxCrossEntropyLoss()(pred, label),
        'sce_dense': gloss.SoftmaxCrossEntropyLoss(sparse_label=False)(pred, probs),
        'sce_logits': gloss.SoftmaxCrossEntropyLoss(from_logits=True)(pred, label),
        'sce_w': gloss.SoftmaxCrossEntropyLoss(weight=0.5)(pred, label, np.array([[1.0], [2.0]])),
        'bce': gloss.SigmoidBCELoss()(pred, binary),
        'bce_pos': gloss.SigmoidBCELoss()(pred, binary, None, np.array([2.0, 1.0, 0.5])),
        'bce_sig': gloss.SigmoidBCELoss(from_sigmoid=True)(npx.sigmoid(pred), binary),
        'l2': gloss.L2Loss()(pred, probs),
        'l1': gloss.L1Loss()(pred, probs),
        'l2_3d': gloss.L2Loss()(
            np.array([[[1.0, 2.0, 0.5], [3.0, -1.0, 2.0]], [[0.0, 0.0, 1.0], [2.0, 2.0, -2.0]]]),
            np.zeros((2, 2, 3)),
        ),
    }
    for key, value in got.items():
        assert value.shape == (2,), key
        assert_allclose(value, MXNET[key], rtol=2e-5, err_msg=key)  # (float32)


def _torch_per_example(values):
    return values.reshape(values.shape[0], -1).mean(1)


P64 = numpy.array(PRED)
PROBS2 = [[0.2, 0.3, 0.5], [0.6, 0.15, 0.25]]  # (no entry equal to P64's: no kink of |x|)
CASES = [  # (loss, label, PyTorch's per-example loss)
    (
        gloss.L2Loss(),
        PROBS2,
        lambda p, y: _torch_per_example(tf.mse_loss(p, y, reduction='none')) / 2,
    ),
    (
        gloss.L2Loss(weight=3.0),
        PROBS2,
        lambda p, y: 1.5 * _torch_per_example(tf.mse_loss(p, y, reduction='none')),
    ),
    (gloss.L1Loss(), PROBS2, lambda p, y: _torch_per_example(tf.l1_loss(p, y, reduction='none'))),
    (
        gloss.HuberLoss(rho=0.5),
        PROBS2,
        lambda p, y: _torch_per_example(tf.smooth_l1_loss(p, y, reduction='none', beta=0.5)),
    ),
    (
        gloss.SoftmaxCrossEntropyLoss(),
        LABEL,
        lambda p, y: tf.cross_entropy(p, y.long(), reduction='none'),
    ),
    (
        gloss.SoftmaxCrossEntropyLoss(sparse_label=False),
        PROBS2,
        lambda p, y: tf.cross_entropy(p, y, reduction='none'),
    ),
    (
        gloss.SoftmaxCrossEntropyLoss(axis=0, batch_axis=1),
        [1, 0, 1],
        lambda p, y: tf.cross_entropy(p.T, y.long(), reduction='none'),
    ),
    (
        gloss.SigmoidBCELoss(),
        BINARY,
        lambda p, y: _torch_per_example(
            tf.binary_cross_entropy_with_logits(p, y, reduction='none')
        ),
    ),
    (
        gloss.SigmoidBCELoss(from_sigmoid=True),
        BINARY,
        lambda p, y: _torch_per_example(
            tf.binary_cross_entropy(torch.sigmoid(p), y, reduction='none')
        ),
    ),
    (
        gloss.HingeLoss(),
        [[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]],
        lambda p, y: _torch_per_example(torch.relu(1 - p * y)),
    ),
    (
        gloss.SquaredHingeLoss(),
        [[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]],
        lambda p, y: _torch_per_example(torch.relu(1 - p * y) ** 2),
    ),
    (
        gloss.LogisticLoss(),
        [[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]],
        lambda p, y: _torch_per_example(tf.softplus(-p * y)),
    ),
    (
        gloss.LogisticLoss(label_format='binary'),
        BINARY,
        lambda p, y: _torch_per_example(
            tf.binary_cross_entropy_with_logits(p, y, reduction='none')
        ),
    ),
    (
        gloss.KLDivLoss(from_logits=False),
        PROBS2,
        lambda p, y: _torch_per_example(tf.kl_div(torch.log_softmax(p, -1), y, reduction='none')),
    ),
]


def _as_function(loss, label):
    """pred -> per-example losses (probabilities from logits for from_sigmoid)."""
    label = np.array(numpy.asarray(label))
    if isinstance(loss, gloss.SigmoidBCELoss) and loss._from_sigmoid:
        return lambda p: loss(npx.sigmoid(p), label)
    return lambda p: loss(p, label)


@pytest.mark.parametrize('loss, label, expected', CASES, ids=lambda c: repr(c)[:30])
def test_value_and_gradient_match_torch(loss, label, expected):
    pred = np.array(P64)
    f = _as_function(loss, label)
    pred.attach_grad()
    with autograd.record():
        value = f(pred)
    value.backward()
    tp = torch.tensor(P64, requires_grad=True)
    tvalue = expected(tp, torch.tensor(numpy.array(label, dtype=float)))
    tvalue.sum().backward()
    assert_allclose(value, tvalue.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(pred.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    'loss, label',
    [(c[0], c[1]) for c in CASES if not isinstance(c[0], (gloss.HingeLoss, gloss.L1Loss))],
    ids=lambda c: repr(c)[:30],
)
def test_gradients_to_second_order(loss, label):
    check_grad(_as_function(loss, label), [P64], order=2)


def test_kinks_have_first_order_gradients():
    # (|x| and max(0, x) are not twice differentiable at their kinks; away from them:)
    for loss, label in ((gloss.L1Loss(), PROBS), (gloss.HingeLoss(), [[1.0, -1.0, 1.0]] * 2)):
        check_grad(_as_function(loss, label), [P64], order=1)


def test_sample_weight_weight_and_batch_axis():
    pred = np.array(P64)
    weighted = gloss.L2Loss(weight=2.0)(pred, np.zeros((2, 3)), np.array([[1.0], [0.0]]))
    assert_allclose(weighted, [numpy.mean(P64[0] ** 2), 0.0], rtol=1e-12)
    per_column = gloss.L1Loss(batch_axis=1)(pred, np.zeros((2, 3)))
    assert_allclose(per_column, numpy.abs(P64).mean(0), rtol=1e-12)
    with pytest.raises(TypeError, match='weight must be a number'):
        gloss.L1Loss(weight=np.array(1.0))(pred, pred)


def test_labels_are_reshaped_like_the_prediction():
    pred = np.array([[1.0], [2.0]])
    assert_allclose(gloss.L2Loss()(pred, np.array([0.0, 0.0])), [0.5, 2.0])
    with pytest.raises(ValueError, match='as many entries'):
        gloss.L2Loss()(pred, np.zeros(3))
    # a class index per example given as an (n, 1) column
    assert_allclose(
        gloss.SoftmaxCELoss()(np.array(P64), np.array([[2], [0]])),
        gloss.SoftmaxCELoss()(np.array(P64), np.array(LABEL)),
    )


def test_losses_are_blocks():
    assert isinstance(gloss.L2Loss(), ndgrad.gluon.HybridBlock)
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss


@pytest.mark.parametrize('shape', [(3,), (1, 1), (2, 1, 3)])
def test_shapes_with_size_one_and_missing_axes(shape):
    pred = numpy.random.default_rng(0).standard_normal(shape)
    label = numpy.zeros(shape)
    value = gloss.L2Loss()(np.array(pred), np.array(label))
    expected = (pred**2 / 2).reshape(shape[0], -1).mean(1)
    assert_allclose(value, expected, rtol=1e-12)
    check_grad(lambda p: gloss.HuberLoss()(p, np.array(label)), [pred], order=2)

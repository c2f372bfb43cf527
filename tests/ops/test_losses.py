"""The fused loss (ndgrad/rules/losses.py): npx.softmax_cross_entropy against its NumPy
reference and its composition, derivatives to second order, float32 kept, and the errors
bad labels get."""

import numpy
import pytest

from ndgrad import autograd, func, np, npx
from tests.ops.harness import Case, run_case
from tests.ops.test_nn import LABELS, ref_log_softmax, ref_pick, ref_softmax

CASES = [
    Case(
        'softmax_cross_entropy',
        lambda z: npx.softmax_cross_entropy(z, np.array(LABELS)),
        lambda z: -ref_pick(ref_log_softmax(z), LABELS).mean(),
        [(2, 3)],
        domain=(-3, 3),
    ),
    Case(
        'softmax_cross_entropy/one-example',
        lambda z: npx.softmax_cross_entropy(z, np.array(1)),
        lambda z: -ref_log_softmax(z)[1],
        [(3,)],
    ),
    Case(
        'softmax_cross_entropy/size-1-batch-sum',
        lambda z: npx.softmax_cross_entropy(z, np.array([0]), reduction='sum'),
        lambda z: -ref_pick(ref_log_softmax(z), [0]).sum(),
        [(1, 4)],
    ),
    Case(
        'softmax_cross_entropy/none-axis0',
        lambda z: (
            npx.softmax_cross_entropy(z, np.array([[1, 0], [0, 1]]), axis=0, reduction='none') ** 2
        ),
        lambda z: ref_pick(ref_log_softmax(z, 0), [[1, 0], [0, 1]], axis=0) ** 2,
        [(2, 2, 2)],
    ),
    Case(
        'softmax_cross_entropy/mean-3d',
        lambda z: npx.softmax_cross_entropy(z, np.array([[2, 0], [1, 1]])),
        lambda z: -ref_pick(ref_log_softmax(z), [[2, 0], [1, 1]]).mean(),
        [(2, 2, 3)],
    ),
]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


def test_softmax_cross_entropy_matches_its_composition_and_stays_finite():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], dtype='float32')
    labels = np.array([2.0, 0.0])  # MXNet's float labels
    for reduction in ('none', 'mean', 'sum'):
        fused = npx.softmax_cross_entropy(z, labels, reduction=reduction)
        composed = -npx.pick(npx.log_softmax(z), labels)
        composed = {'none': composed, 'mean': composed.mean(), 'sum': composed.sum()}[reduction]
        numpy.testing.assert_allclose(fused.asnumpy(), composed.asnumpy(), rtol=1e-6)
        assert fused.dtype == numpy.float32
    z.attach_grad()
    with autograd.record():
        loss = npx.softmax_cross_entropy(z, labels)
    loss.backward()
    assert numpy.isfinite(z.grad.asnumpy()).all()
    numpy.testing.assert_allclose(z.grad.asnumpy()[0], [0.5, 0.0, -0.5], atol=1e-7)
    assert npx.softmax_cross_entropy(np.array([[1, 2]]), np.array([1])).dtype == numpy.float32


def test_softmax_cross_entropy_backward_reuses_nothing_it_changed():
    # the plain backward pass builds its gradient from the forward's log-probabilities:
    # a second pass through the retained graph, and a Jacobian, must see them intact
    z = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, 1.0]], dtype='float64')
    labels = np.array([1, 0])
    z.attach_grad()
    with autograd.record():
        loss = npx.softmax_cross_entropy(z, labels)
    loss.backward(retain_graph=True)
    first = z.grad.asnumpy().copy()
    loss.backward()
    numpy.testing.assert_array_equal(z.grad.asnumpy(), first)
    p = ref_softmax(z.asnumpy(), -1)
    p[[0, 1], [1, 0]] -= 1
    numpy.testing.assert_allclose(first, p / 2, rtol=1e-12)

    def per_example(v):
        return npx.softmax_cross_entropy(v, labels, reduction='none')

    jac = func.jacobian(per_example)(z).asnumpy()
    numpy.testing.assert_allclose(
        jac,
        numpy.stack(
            [numpy.outer([1, 0], p[0]).reshape(2, 3), numpy.outer([0, 1], p[1]).reshape(2, 3)]
        ),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    'call, error, words',
    [
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])),
            IndexError,
            'label 3 is out of range for 3 classes',
        ),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0])),
            IndexError,
            'label -1',
        ),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0])),
            IndexError,
            'whole numbers',
        ),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
            ValueError,
            'one class index per example, shape (2,)',
        ),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([[0], [1]])),
            ValueError,
            'shape (2,)',
        ),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), reduction='avg'),
            ValueError,
            "'mean', 'sum' or 'none'",
        ),
        (lambda: npx.softmax_cross_entropy(np.array(1.0), np.array(0)), ValueError, '0-d'),
        (
            lambda: npx.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), axis=2),
            numpy.exceptions.AxisError,
            'axis',
        ),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)

"""Training and prediction modes: dropout, batch_norm's statistics and rrelu act
in training mode only, whichever way the mode is set."""

import numpy
import pytest

from ndgrad import autograd, np, npx
from ndgrad._errors import InPlaceModificationError


def _dropped(y):
    """Whether dropout changed an array of ones."""
    return not numpy.array_equal(y.asnumpy(), numpy.ones(y.shape))


X = numpy.ones(1000)


# --- dropout ----------------------------------------------------------------------------


def test_dropout_is_the_identity_in_prediction_mode():
    x = np.array(X)
    assert not autograd.is_training()
    assert npx.dropout(x) is x


def test_dropout_drops_inside_record():
    x = np.array(X)
    with autograd.record():
        assert autograd.is_training()
        y = npx.dropout(x, p=0.5)
    assert _dropped(y)
    assert set(numpy.unique(y.asnumpy()).tolist()) == {0.0, 2.0}


def test_record_with_train_mode_false_does_not_drop():
    x = np.array(X)
    x.attach_grad()
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
        y = npx.dropout(x, p=0.5)
        z = (y * 3).sum()
    z.backward()
    assert not _dropped(y)
    numpy.testing.assert_array_equal(x.grad.asnumpy(), numpy.full(X.shape, 3.0))


def test_pause_inside_record_is_prediction_mode_unless_asked():
    x = np.array(X)
    with autograd.record():
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            assert not _dropped(npx.dropout(x))
        with autograd.pause(train_mode=True):
            assert autograd.is_training()
            y = npx.dropout(x)
            assert y._node is None and _dropped(y)
        assert autograd.is_training()


def test_predict_mode_inside_record_keeps_recording():
    x = np.array(X)
    x.attach_grad()
    with autograd.record():
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
            y = npx.dropout(x, p=0.9)
        z = (y * 2).sum()
    z.backward()
    assert not _dropped(y)
    numpy.testing.assert_array_equal(x.grad.asnumpy(), numpy.full(X.shape, 2.0))


def test_train_mode_outside_record_drops_without_recording():
    x = np.array(X)
    x.attach_grad()
    with autograd.train_mode():
        y = npx.dropout(x)
    assert _dropped(y) and y._node is None


def test_dropout_gradient_uses_the_forward_mask():
    x = np.array(numpy.linspace(1, 2, 1000))
    x.attach_grad()
    with autograd.record():
        y = npx.dropout(x, p=0.3)
    y.backward()
    scale = y.asnumpy() / x.asnumpy()
    numpy.testing.assert_allclose(x.grad.asnumpy(), scale, rtol=1e-6)
    assert set(numpy.round(numpy.unique(scale), 5).tolist()) == {0.0, round(1 / 0.7, 5)}


def test_dropout_always_drops_in_prediction_mode():
    assert _dropped(npx.dropout(np.array(X), mode='always'))


def test_dropout_masks_differ_between_calls_and_follow_the_seed():
    x = np.array(X)
    with autograd.train_mode():
        np.random.seed(7)
        a = npx.dropout(x).asnumpy()
        b = npx.dropout(x).asnumpy()
        np.random.seed(7)
        c = npx.dropout(x).asnumpy()
    assert not numpy.array_equal(a, b)
    numpy.testing.assert_array_equal(a, c)


# --- batch_norm -------------------------------------------------------------------------


def _bn_inputs():
    rng = numpy.random.default_rng(0)
    x = np.array(rng.normal(2.0, 3.0, (8, 2, 3)), dtype='float64')
    return x, np.ones(2, dtype='float64'), np.zeros(2, dtype='float64')


def test_batch_norm_training_updates_running_statistics_in_place():
    x, gamma, beta = _bn_inputs()
    mean, var = np.zeros(2, dtype='float64'), np.ones(2, dtype='float64')
    mean_before = mean.asnumpy()
    with autograd.record():
        y = npx.batch_norm(x, gamma, beta, mean, var, momentum=0.9)
    data = x.asnumpy()
    batch_mean, batch_var = data.mean(axis=(0, 2)), data.var(axis=(0, 2))
    numpy.testing.assert_allclose(mean.asnumpy(), 0.1 * batch_mean)
    numpy.testing.assert_allclose(var.asnumpy(), 0.9 + 0.1 * batch_var)
    assert not numpy.array_equal(mean_before, mean.asnumpy())
    numpy.testing.assert_allclose(y.asnumpy().mean(axis=(0, 2)), 0, atol=1e-12)  # batch stats
    numpy.testing.assert_allclose(y.asnumpy().var(axis=(0, 2)), batch_var / (batch_var + 1e-5))


def test_batch_norm_running_statistics_keep_their_identity_and_dtype():
    x, gamma, beta = _bn_inputs()
    mean, var = np.zeros(2), np.ones(2)  # float32, as MXNet's parameters
    data_before = mean._data
    with autograd.train_mode():
        npx.batch_norm(x, gamma, beta, mean, var)
    assert mean._data is data_before and mean.dtype == numpy.float32
    assert var.dtype == numpy.float32 and not numpy.array_equal(var.asnumpy(), numpy.ones(2))


def test_batch_norm_prediction_uses_and_keeps_running_statistics():
    x, gamma, beta = _bn_inputs()
    mean, var = np.array([1.0, -1.0], dtype='float64'), np.array([4.0, 0.25], dtype='float64')
    for context in (autograd.predict_mode, lambda: autograd.record(train_mode=False)):
        with context():
            y = npx.batch_norm(x, gamma, beta, mean, var, eps=0.0)
        expected = (x.asnumpy() - [[1.0], [-1.0]]) / numpy.sqrt([[4.0], [0.25]])
        numpy.testing.assert_allclose(y.asnumpy(), expected)
        numpy.testing.assert_array_equal(mean.asnumpy(), [1.0, -1.0])
        numpy.testing.assert_array_equal(var.asnumpy(), [4.0, 0.25])


def test_batch_norm_use_global_stats_in_training_does_not_update():
    x, gamma, beta = _bn_inputs()
    mean, var = np.zeros(2, dtype='float64'), np.ones(2, dtype='float64')
    with autograd.record():
        npx.batch_norm(x, gamma, beta, mean, var, use_global_stats=True)
    numpy.testing.assert_array_equal(mean.asnumpy(), [0.0, 0.0])


def test_batch_norm_prediction_gradient_is_the_scale():
    x, _, beta = _bn_inputs()
    gamma = np.array([2.0, 3.0], dtype='float64')
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = npx.batch_norm(x, gamma, beta, np.zeros(2), np.array([4.0, 9.0]), eps=0.0)
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.broadcast_to([[1.0], [1.0]], x.shape))


def test_batch_norm_training_gradient_of_the_sum_is_zero():
    x, gamma, beta = _bn_inputs()
    x.attach_grad()
    with autograd.record():
        y = npx.batch_norm(x, gamma, beta, np.zeros(2), np.ones(2))
    y.backward()  # normalized values sum to a constant: no gradient
    numpy.testing.assert_allclose(x.grad.asnumpy(), 0, atol=1e-12)


def test_batch_norm_update_invalidates_graphs_that_saved_the_statistics():
    x, gamma, beta = _bn_inputs()
    mean, var = np.zeros(2, dtype='float64'), np.ones(2, dtype='float64')
    w = np.ones(2, dtype='float64')
    w.attach_grad()
    with autograd.record():
        saved = (w * mean).sum()
        npx.batch_norm(x, gamma, beta, mean, var)
    with pytest.raises(InPlaceModificationError):
        saved.backward()


# --- rrelu --------------------------------------------------------------------------


def test_rrelu_draws_slopes_in_training_and_uses_their_mean_otherwise():
    x = np.array(-numpy.ones(1000), dtype='float64')
    with autograd.train_mode():
        slopes = -npx.leaky_relu(x, act_type='rrelu').asnumpy()
    assert slopes.min() >= 0.125 and slopes.max() <= 0.334 and slopes.std() > 0.01
    numpy.testing.assert_allclose(
        -npx.leaky_relu(x, act_type='rrelu').asnumpy(), (0.125 + 0.334) / 2
    )

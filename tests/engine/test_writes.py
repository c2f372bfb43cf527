"""In-place writes: NumPy's aliasing holds, and no write can make a gradient silently
wrong (every alias route, saved inputs and outputs, stale histories, regions)."""

import numpy
import pytest

from ndgrad import InPlaceModificationError, NotRecordedError, autograd, func, np
from ndgrad._writes import CLOCK, mark_written, written_since, written_within

# --- the region bookkeeping ---------------------------------------------------------------


def test_a_basic_index_write_touches_only_its_region():
    a, before = numpy.zeros((4, 3)), CLOCK[0]
    mark_written(a, (slice(None), 1))
    assert not written_since(a[:, 0], before)
    assert not written_since(a[:, 2:], before)
    assert written_since(a[:, 1], before)
    assert written_since(a[1], before)
    assert written_since(a, before)
    assert not written_since(a[:, 1], CLOCK[0])  # (nothing since that write)


def test_an_advanced_index_write_touches_exactly_its_elements():
    a, before = numpy.zeros((3, 3)), CLOCK[0]
    mark_written(a, numpy.eye(3, dtype=bool))
    assert written_since(a[0], before) and written_since(a[:, 2], before)
    assert not written_since(a[0, 1:], before)
    assert not written_since(a[2, :2], before)


def test_a_write_through_a_view_is_counted_for_the_owner():
    a, before = numpy.zeros(6), CLOCK[0]
    v = a.reshape(2, 3)[1]
    mark_written(v, 0)
    assert written_since(a[3:4], before)
    assert not written_since(a[:3], before)
    assert not written_since(a[4:], before)


def test_written_within_says_whether_an_assignment_replaces_every_write():
    a, before = numpy.zeros((3, 2)), CLOCK[0]
    mark_written(a, 1)
    assert written_within(a, before, 1)
    assert not written_within(a, before, 2)
    assert not written_within(a, before, (slice(None), 0))
    middle = CLOCK[0]
    mark_written(a, 2)
    assert not written_within(a, before, 1)
    assert written_within(a, middle, 2)


def test_writes_older_than_the_log_count_as_touching_everything():
    a, before = numpy.zeros(100), CLOCK[0]
    for i in range(70):
        mark_written(a, i)
    assert written_since(a[99:], before)  # the first writes were dropped from the log
    assert not written_since(a[99:], CLOCK[0] - 60)


# --- writes into values a recorded node saved ----------------------------------------------


def _exp_graph():
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = np.exp(x)  # exp's derivative reads its output
        z = y.sum()
    return x, y, z


ALIASES_OF_Y = {
    'detach': lambda y: y.detach().__setitem__(0, 100.0),
    'slice of a slice': lambda y: y[0:1].__setitem__(0, 100.0),
    'reshape view': lambda y: y.reshape(2, 1).__setitem__((0, 0), 100.0),
    'transpose view': lambda y: y.T.__setitem__(0, 100.0),
    'detached += ': lambda y: y.detach().__iadd__(1.0),
}


@pytest.mark.parametrize('route', ALIASES_OF_Y)
def test_a_write_into_a_saved_output_through_any_alias_raises(route):
    _x, y, z = _exp_graph()
    ALIASES_OF_Y[route](y)
    with pytest.raises(InPlaceModificationError, match="output of 'exp'"):
        z.backward()


@pytest.mark.parametrize('alias', [lambda y: y, lambda y: y.detach(), lambda y: y[:1]])
def test_numpy_views_of_ndgrad_arrays_are_read_only(alias):
    """Writes through NumPy could not be counted: numpy.asarray gives a read-only view
    (as for JAX arrays); asnumpy() gives a writeable copy."""
    x, y, z = _exp_graph()
    with pytest.raises(ValueError, match='read-only'):
        numpy.asarray(alias(y))[0] = 1.0
    with pytest.raises(ValueError, match='read-only'):
        numpy.asarray(x)[0] = 1.0
    copy = y.asnumpy()
    copy[0] = 1.0
    z.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.exp([1.0, 2.0]))


@pytest.mark.parametrize('op', [np.tanh, np.sqrt, np.exp, lambda v: 1 / (1 + np.exp(-v))])
def test_every_op_that_saves_its_output_checks_it(op):
    x = np.array([0.5, 1.5], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = op(x)
        z = (y * y).sum()
    y.detach()[1] = 3.0
    with pytest.raises(InPlaceModificationError):
        z.backward()


def test_a_write_into_a_saved_input_through_a_view_of_a_variable_raises():
    w = np.array([1.0, 2.0, 3.0])
    w.attach_grad()
    with autograd.record():
        loss = (w * w).sum()
    w[1:].detach()[0] = 5.0
    with pytest.raises(InPlaceModificationError, match="input of 'multiply'"):
        loss.backward()


def test_a_write_beside_the_saved_values_keeps_the_gradient():
    w = np.array([1.0, 2.0, 3.0])
    w.attach_grad()
    with autograd.record():
        loss = (w[:2] * w[:2]).sum()
    w.detach()[2] = 5.0  # not read by the graph
    loss.backward()
    assert w.grad.tolist() == [2.0, 4.0, 0.0]


# --- stale histories: values that no longer match their recorded op ------------------------


def test_an_array_modified_through_an_alias_then_used_raises():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2  # multiply saves x, not y
    y.detach()[0] = 100.0
    with autograd.record():
        z = (y + 1).sum()  # y's history (2x) no longer describes y[0]
    with pytest.raises(InPlaceModificationError, match='no longer describes'):
        z.backward()


def test_an_array_modified_through_an_alias_cannot_be_differentiated_itself():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.detach()[0] = 100.0
    with pytest.raises(InPlaceModificationError, match='no longer describes'):
        y.backward()


def test_a_graph_that_read_the_values_before_the_write_still_differentiates():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        z = (y + 1).sum()  # add saves nothing: y's later change does not matter
    y.detach()[0] = 100.0
    z.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_view_of_an_array_written_outside_record_sees_the_write_and_raises():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        v = y[1:]
    y += 1  # outside record(): in place, y becomes a constant
    assert v.tolist() == [5.0, 7.0]
    with pytest.raises(NotRecordedError):
        y.backward()
    with autograd.record():
        s = (v * 1).sum()
    with pytest.raises(InPlaceModificationError):
        s.backward()


# --- in place under record() --------------------------------------------------------------

PURE = {
    '+=': lambda v: 3.0 * v + v * v,
    '-=': lambda v: 3.0 * v - v * v,
    '*=': lambda v: 3.0 * v * v,
    '/=': lambda v: 3.0 * v / (v + 1.0),
}


@pytest.mark.parametrize('update', PURE)
def test_augmented_operators_under_record_write_in_place_and_differentiate(update):
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = x * 3.0
        alias = y.detach()
        if update == '+=':
            y += x * x
        elif update == '-=':
            y -= x * x
        elif update == '*=':
            y *= x
        else:
            y /= x + 1.0
        loss = y.sum()
    assert alias.tolist() == y.tolist()  # the write reached the memory
    numpy.testing.assert_allclose(y.asnumpy(), PURE[update](numpy.array([1.0, 2.0])))
    loss.backward()
    expected = func.grad(lambda v: PURE[update](v).sum())(numpy.array([1.0, 2.0]))
    numpy.testing.assert_allclose(x.grad.asnumpy(), expected)


@pytest.mark.parametrize('update', PURE)
def test_an_augmented_operator_with_a_wider_operand_differentiates(update):
    # float32 *= float64: the result is cast to float32 as it is stored, and the op that
    # read the overwritten values still keeps them (it raised InPlaceModificationError)
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = np.astype(x * 3.0, 'float32')
        getattr(
            y, {'+=': '__iadd__', '-=': '__isub__', '*=': '__imul__', '/=': '__itruediv__'}[update]
        )(x * x if update in '+=-=' else x if update == '*=' else x + 1.0)
        loss = y.sum()
    assert y.dtype == numpy.float32
    loss.backward()
    expected = func.grad(lambda v: PURE[update](v).sum())(numpy.array([1.0, 2.0]))
    numpy.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)


@pytest.mark.parametrize(
    'write',
    [
        lambda x: x.__setitem__(0, 5.0),
        lambda x: x.__iadd__(1.0),
        lambda x: x.__isub__(0.1 * x.grad),
        lambda x: x.__imul__(2.0),
    ],
)
def test_a_variable_cannot_be_written_inside_record(write):
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record(), pytest.raises(InPlaceModificationError, match='outside the record'):
        write(x)
    assert x.tolist() == [1.0, 2.0]
    assert x.grad is not None


def test_a_variable_updated_outside_record_keeps_its_gradient_buffer():
    w = np.array([1.0, 2.0])
    w.attach_grad()
    buffer = w.grad
    for _ in range(2):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w -= 0.25 * w.grad
    assert w.grad is buffer
    assert w.tolist() == [0.25, 0.5]


def test_a_constant_array_filled_from_recorded_values():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        out = np.zeros(4)
        out[:2] = x * 2
        out[2:] = x**2
        loss = (out * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    loss.backward()
    assert x.grad.tolist() == [2.0 + 6.0, 4.0 + 16.0]


def test_a_masked_write_over_saved_values_raises_and_a_copy_fixes_it():
    x = np.array([0.2, 0.9, 0.4])
    x.attach_grad()
    with autograd.record():
        y = x * 1.0
        s = (y**2).sum()  # saves all of y
        y[y > 0.5] = 0.0
        loss = s + y.sum()
    with pytest.raises(InPlaceModificationError):
        loss.backward()
    with autograd.record():
        y = x * 1.0
        s = (y**2).sum()
        y = y.copy()
        y[y > 0.5] = 0.0
        loss = s + y.sum()
    loss.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [1.4, 1.8, 1.8], rtol=1e-6)


def test_an_advanced_index_write_keeps_its_index_not_the_callers():
    a, before = numpy.zeros(10), CLOCK[0]
    index = numpy.array([1, 2])
    mark_written(a, index)
    index[:] = 7  # the caller's index changes afterwards
    assert written_since(a[1:3], before)
    assert not written_since(a[7:8], before)

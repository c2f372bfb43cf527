"""Ties, kinks and special values: the subgradient conventions, with exact values.

Where a function has no derivative, ndgrad picks a valid subgradient:

* `max`/`min`/`amax`/`amin`/`nanmax`/`nanmin` (any axes, keepdims) and `sort` split
  the gradient evenly among tied elements: the shares sum to the gradient that
  reached the output (MXNet gave every tied element the full gradient).
* `maximum`/`minimum`/`fmax`/`fmin` give half to each side at equality (a total of
  1; MyGrad gave 0).
* `median` of an even count gives half to each middle element; ties split evenly.
* ``abs'(0) = 0``, ``sinc'(0) = 0``, ``sqrt'(0) = inf``; `clip` passes the gradient
  to `a` on the closed interval, bounds included.
* The second-price auction: the price ``np.sort(bids)[-2]`` has gradient 1 at the
  second-highest bid; when the two highest bids tie, each gets 1/2.
"""

import functools
import math
import warnings

import numpy
import pytest

from ndgrad import autograd, np, npx


def grad_of(f, *values, dtype='float64'):
    """The gradients of ``f(*arrays).sum()`` for arrays made from `values`."""
    xs = [np.array(numpy.asarray(v, dtype=dtype)) for v in values]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = f(*xs)
    y.backward()
    grads = [x.grad.asnumpy() for x in xs]
    return grads[0] if len(grads) == 1 else grads


def exact(got, expected):
    numpy.testing.assert_array_equal(got, numpy.asarray(expected, dtype=got.dtype))


# --- the second-price auction --------------------------------------------------------------


def test_auction_price_is_the_second_highest_bid():
    bids = np.array([3.0, 7.5, 5.0, 1.0])
    bids.attach_grad()
    with autograd.record():
        price = np.sort(bids)[-2]
    price.backward()
    assert price.item() == 5.0
    exact(bids.grad.asnumpy(), [0, 0, 1, 0])


def test_auction_with_the_two_highest_bids_tied_splits_evenly():
    exact(grad_of(lambda b: np.sort(b)[-2], [5.0, 9.0, 9.0, 1.0]), [0, 0.5, 0.5, 0])


def test_auction_with_a_tie_for_second_place():
    exact(grad_of(lambda b: np.sort(b)[-2], [4.0, 9.0, 4.0]), [0.5, 0, 0.5])


def test_auction_float32():
    g = grad_of(lambda b: np.sort(b)[-2], [5.0, 9.0, 9.0, 1.0], dtype='float32')
    assert g.dtype == numpy.float32
    exact(g, [0, 0.5, 0.5, 0])


# --- max and min: ties split evenly ---------------------------------------------------------

TIED = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
THIRD = 1 / 3


@pytest.mark.parametrize('name', ['max', 'amax', 'nanmax'])
@pytest.mark.parametrize('keepdims', [False, True])
def test_max_ties(name, keepdims):
    fn = getattr(np, name)
    exact(
        grad_of(lambda x: fn(x, axis=1, keepdims=keepdims), TIED),
        [[0, 0.5, 0.5], [THIRD, THIRD, THIRD]],
    )
    exact(
        grad_of(lambda x: fn(x, axis=-1, keepdims=keepdims), TIED),
        [[0, 0.5, 0.5], [THIRD, THIRD, THIRD]],
    )
    exact(grad_of(lambda x: fn(x, axis=None, keepdims=keepdims), TIED), [[0, 0.5, 0.5], [0, 0, 0]])
    exact(grad_of(lambda x: fn(x, axis=0, keepdims=keepdims), TIED), [[0, 1, 1], [1, 0, 0]])
    exact(
        grad_of(lambda x: fn(x, axis=(0, 1), keepdims=keepdims), TIED), [[0, 0.5, 0.5], [0, 0, 0]]
    )


@pytest.mark.parametrize('name', ['min', 'amin', 'nanmin'])
def test_min_ties(name):
    fn = getattr(np, name)
    exact(grad_of(lambda x: fn(x, axis=1), TIED), [[1, 0, 0], [THIRD, THIRD, THIRD]])
    exact(grad_of(lambda x: fn(x), [[2.0, 1.0], [1.0, 1.0]]), [[0, THIRD], [THIRD, THIRD]])


def test_tied_shares_sum_to_one_not_to_the_tie_count():
    """MXNet gave each of k tied elements the full gradient (a total of k)."""
    g = grad_of(lambda x: np.max(x), [7.0, 7.0, 7.0, 7.0])
    assert g.sum() == 1.0
    exact(g, [0.25, 0.25, 0.25, 0.25])


def test_max_keeps_float32():
    for name in ('max', 'min', 'nanmax', 'amax'):
        g = grad_of(functools.partial(getattr(np, name), axis=1), TIED, dtype='float32')
        assert g.dtype == numpy.float32, name
    g = grad_of(lambda x: x.max(), TIED, dtype='float32')
    assert g.dtype == numpy.float32
    exact(g, [[0, 0.5, 0.5], [0, 0, 0]])


def test_max_of_a_slice_with_nan_sends_the_gradient_to_the_nan():
    exact(grad_of(lambda x: np.max(x), [1.0, numpy.nan, 3.0]), [0, 1, 0])


def test_nanmax_ignores_nan():
    exact(
        grad_of(lambda x: np.nanmax(x, axis=1), [[numpy.nan, 2.0, 2.0], [1.0, numpy.nan, 0.5]]),
        [[0, 0.5, 0.5], [1, 0, 0]],
    )
    exact(grad_of(lambda x: np.nanmin(x), [numpy.nan, 2.0, -1.0]), [0, 0, 1])


def test_nanmax_of_an_all_nan_slice_is_nan_and_shares_evenly():
    with pytest.warns(RuntimeWarning, match='All-NaN'):
        g = grad_of(lambda x: np.nanmax(x, axis=1), [[numpy.nan, numpy.nan], [1.0, 2.0]])
    exact(g, [[0.5, 0.5], [0, 1]])


def test_ptp_ties():
    exact(grad_of(lambda x: np.ptp(x), [1.0, 3.0, 3.0, 1.0]), [-0.5, 0.5, 0.5, -0.5])


def test_max_second_derivative_is_zero():
    x = np.array([1.0, 3.0, 3.0])
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(np.max(x), [x], create_graph=True)
        z = (g * x).sum()  # d/dx = g + x * dg/dx, with dg/dx = 0
    z.backward()
    exact(x.grad.asnumpy(), [0, 0.5, 0.5])


# --- maximum / minimum / fmax / fmin: half to each side at equality ----------------------------


@pytest.mark.parametrize('name', ['maximum', 'minimum', 'fmax', 'fmin'])
def test_binary_extremes_split_at_equality(name):
    gx, gy = grad_of(getattr(np, name), [2.0, 1.0, 3.0], [2.0, 2.0, 3.0])
    expected_x = [0.5, 1.0 if name in ('minimum', 'fmin') else 0.0, 0.5]
    exact(gx, expected_x)
    exact(gy, [0.5, 1 - expected_x[1], 0.5])
    assert (gx + gy).tolist() == [1.0, 1.0, 1.0]  # MyGrad: 0 at equality


def test_maximum_of_an_array_with_itself_has_slope_one():
    exact(grad_of(lambda x: np.maximum(x, x), [1.0, -2.0]), [1, 1])


def test_maximum_split_keeps_float32():
    gx, gy = grad_of(np.maximum, [2.0], [2.0], dtype='float32')
    assert gx.dtype == gy.dtype == numpy.float32
    exact(gx, [0.5])


def test_fmax_and_fmin_give_the_gradient_to_the_number_beside_a_nan():
    nan = numpy.nan
    for name in ('fmax', 'fmin'):
        gx, gy = grad_of(getattr(np, name), [nan, 1.0], [2.0, nan])
        exact(gx, [0, 1])
        exact(gy, [1, 0])


# --- kinks of elementwise functions ---------------------------------------------------------


def test_abs_at_zero():
    exact(grad_of(np.abs, [-1.5, 0.0, 2.0]), [-1, 0, 1])
    exact(grad_of(np.absolute, [0.0]), [0])
    exact(grad_of(abs, [-0.0, 0.0]), [0, 0])


def test_clip_passes_the_gradient_on_the_closed_interval():
    exact(grad_of(lambda x: np.clip(x, -0.5, 0.5), [-1.0, -0.5, 0.0, 0.5, 1.0]), [0, 1, 1, 1, 0])
    exact(grad_of(lambda x: x.clip(0.0, None), [-1.0, 0.0, 1.0]), [0, 1, 1])


def test_clip_array_bounds_get_the_gradient_strictly_outside():
    gx, glo, ghi = grad_of(np.clip, [-1.0, 0.0, 0.5, 1.0, 2.0], [0.0] * 5, [1.0] * 5)
    exact(gx, [0, 1, 1, 1, 0])
    exact(glo, [1, 0, 0, 0, 0])
    exact(ghi, [0, 0, 0, 0, 1])


def test_clip_with_inverted_bounds_follows_numpy():
    """NumPy returns a_max everywhere when a_min > a_max: a_max gets the gradient."""
    gx, glo, ghi = grad_of(np.clip, [-1.0, 0.5, 2.0], [1.0] * 3, [0.0] * 3)
    exact(gx, [0, 0, 0])
    exact(glo, [0, 0, 0])
    exact(ghi, [1, 1, 1])


def test_sinc_at_zero():
    x = np.array(numpy.zeros(1))
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(np.sinc(x), [x], create_graph=True)
    exact(g.asnumpy(), [0])
    g.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), [-(math.pi**2) / 3], rtol=1e-14)


def test_sqrt_and_cbrt_slopes_at_zero_are_inf_as_numpy():
    for fn in (np.sqrt, np.cbrt):
        with pytest.warns(RuntimeWarning, match='divide by zero'):
            g = grad_of(fn, [0.0, 4.0])
        assert g[0] == numpy.inf


def test_power_with_a_negative_base_and_integer_exponent():
    exact(grad_of(lambda x: x**3, [-2.0]), [12])
    exact(grad_of(lambda x: x**2, [-2.0]), [-4])
    exact(grad_of(lambda x: np.power(x, -1), [-2.0]), [-0.25])
    exact(grad_of(lambda x: np.power(x, numpy.array([3.0, 2.0])), [-2.0, -2.0]), [12, -4])


def test_power_slope_in_the_exponent():
    """d/dy x**y = x**y log(x): 0 at x == 0, NaN (with NumPy's warning) for x < 0."""
    with pytest.warns(RuntimeWarning, match='invalid value'):
        gx, gy = grad_of(np.power, [0.0, 2.0, -2.0], [2.0, 3.0, 2.0])
    exact(gx, [0, 12, -4])
    assert gy[0] == 0 and gy[1] == pytest.approx(8 * math.log(2.0)) and numpy.isnan(gy[2])


def test_power_with_zero_exponent_is_flat():
    exact(grad_of(lambda x: x**0, [0.0, -3.0, 2.0]), [0, 0, 0])
    gx, gy = grad_of(np.power, [0.0, 2.0], [0.0, 0.0])
    exact(gx, [0, 0])
    exact(gy, [0, math.log(2.0)])


def test_hypot_and_arctan2_at_the_origin():
    gx, gy = grad_of(np.hypot, [0.0, 3.0], [0.0, 4.0])
    exact(gx, [0, 0.6])
    exact(gy, [0, 0.8])
    gy, gx = grad_of(np.arctan2, [0.0], [0.0])
    exact(gx, [0])
    exact(gy, [0])


def test_heaviside_slope_is_in_its_value_at_zero():
    gx, gh = grad_of(np.heaviside, [-1.0, 0.0, 2.0], [0.5, 0.5, 0.5])
    exact(gx, [0, 0, 0])
    exact(gh, [0, 1, 0])


def test_slope_zero_inputs_get_a_written_zero_gradient():
    """Not the gradient of an earlier backward pass left in the buffer."""
    x = np.array(numpy.array([-1.0, 0.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    with autograd.record():
        y = np.heaviside(x, 0.5).sum() + np.copysign(2.0, x).sum()
    y.backward()
    exact(x.grad.asnumpy(), [0, 0, 0])


def test_copysign_at_zero():
    gx, gy = grad_of(np.copysign, [0.0, 2.0, -2.0], [-1.0, -1.0, 1.0])
    exact(gx, [0, -1, -1])
    exact(gy, [0, 0, 0])


def test_piecewise_constant_ops_carry_no_gradient():
    x = np.array([0.5, -1.5])
    x.attach_grad()
    with autograd.record():
        ys = [
            np.floor(x),
            np.ceil(x),
            np.sign(x),
            np.round(x),
            np.trunc(x),
            np.rint(x),
            np.fix(x),
            x // 1.0,
        ]
    assert all(y._node is None for y in ys)


def test_mod_has_slope_one_between_jumps():
    gx, gy = grad_of(np.mod, [5.5, -5.5], [2.0, 2.0])
    exact(gx, [1, 1])
    exact(gy, [-2, 3])  # -floor(x / y)
    gx, gy = grad_of(np.fmod, [5.5, -5.5], [2.0, 2.0])
    exact(gy, [-2, 2])  # -trunc(x / y)


def test_nan_to_num_passes_gradient_only_where_finite():
    exact(grad_of(np.nan_to_num, [1.0, numpy.nan, numpy.inf, -numpy.inf]), [1, 0, 0, 0])


# --- products with zeros ------------------------------------------------------------------


def test_prod_with_one_zero():
    exact(grad_of(np.prod, [2.0, 0.0, 3.0]), [0, 6, 0])


def test_prod_with_two_zeros():
    exact(grad_of(np.prod, [0.0, 2.0, 0.0]), [0, 0, 0])
    exact(
        grad_of(lambda x: np.prod(x, axis=1), [[0.0, 2.0, 0.0], [1.0, 0.0, 4.0]]),
        [[0, 0, 0], [0, 4, 0]],
    )


def test_prod_second_derivative_with_two_zeros():
    """d/dx (d prod / d x0) = (0, x2, x1) with the zeros: x1 * x2 and x0 * x2..."""
    x = np.array([0.0, 2.0, 0.0])
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(np.prod(x), [x], create_graph=True)
        h0 = g[0]
    h0.backward()
    exact(x.grad.asnumpy(), [0, 0, 2])


def test_cumprod_with_zeros():
    # y = (x0, x0 x1, x0 x1 x2); the gradient of sum(y)
    exact(grad_of(np.cumprod, [2.0, 0.0, 3.0]), [1, 8, 0])
    exact(grad_of(np.cumprod, [0.0, 2.0, 0.0]), [3, 0, 0])
    exact(grad_of(lambda x: np.cumprod(x, axis=0), [[2.0, 0.0], [0.0, 3.0]]), [[1, 4], [2, 0]])


def test_cumprod_keeps_float32():
    g = grad_of(np.cumprod, [2.0, 0.0, 3.0], dtype='float32')
    assert g.dtype == numpy.float32
    exact(g, [1, 8, 0])


# --- sort, median, quantile ----------------------------------------------------------------


def test_sort_ties_share_their_positions_gradients():
    x = np.array([1.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = np.sort(x)
    y.backward(np.array([1.0, 0.0]))
    exact(x.grad.asnumpy(), [0.5, 0.5])
    exact(grad_of(lambda x: np.sort(x, axis=0)[0], [[2.0, 1.0], [2.0, 3.0]]), [[0.5, 1], [0.5, 0]])


def test_median_of_an_even_count_averages_the_middle_two():
    exact(grad_of(np.median, [1.0, 4.0, 2.0, 3.0]), [0, 0, 0.5, 0.5])


def test_median_ties_split_evenly():
    exact(grad_of(np.median, [1.0, 2.0, 2.0, 2.0, 3.0]), [0, THIRD, THIRD, THIRD, 0])
    exact(grad_of(np.median, [1.0, 2.0, 2.0, 5.0]), [0, 0.5, 0.5, 0])
    exact(grad_of(np.median, [2.0, 2.0, 2.0, 1.0]), [THIRD, THIRD, THIRD, 0])


def test_median_of_a_slice_with_nan_is_nan_with_no_gradient():
    x = np.array([[1.0, numpy.nan, 2.0], [1.0, 3.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        m = np.median(x, axis=1)
    assert numpy.isnan(m.asnumpy()[0]) and m.asnumpy()[1] == 2.0
    m.backward()
    exact(x.grad.asnumpy(), [[0, 0, 0], [0, 0, 1]])


def test_quantile_interpolates_linearly():
    exact(grad_of(lambda x: np.quantile(x, 0.25), [4.0, 0.0, 3.0, 1.0, 2.0]), [0, 0, 0, 1, 0])
    g = grad_of(lambda x: np.quantile(x, 0.3), [4.0, 0.0, 3.0, 1.0, 2.0])
    numpy.testing.assert_allclose(g, [0, 0, 0, 0.8, 0.2], rtol=1e-12, atol=1e-15)
    g = grad_of(lambda x: np.percentile(x, 30), [4.0, 0.0, 3.0, 1.0, 2.0])
    numpy.testing.assert_allclose(g, [0, 0, 0, 0.8, 0.2], rtol=1e-12, atol=1e-15)


# --- smooth reductions at special values -----------------------------------------------------


def test_logsumexp_gradient_is_the_softmax():
    x = [1.0, 2.0, -numpy.inf]
    for fn in (np.logsumexp, npx.logsumexp):
        g = grad_of(fn, x)
        numpy.testing.assert_allclose(g, [1 / (1 + math.e), math.e / (1 + math.e), 0], rtol=1e-14)


def test_std_of_a_constant_slice_has_a_zero_slope():
    """0, std's smallest subgradient there (not sqrt'(0) * 0 = NaN), without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        g = grad_of(np.std, [2.0, 2.0])
    assert g.tolist() == [0.0, 0.0]

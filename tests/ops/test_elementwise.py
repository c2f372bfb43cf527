"""The elementwise family: values against NumPy, first and second derivatives in
both modes against central differences, float32 gradients kept float32."""

import numpy
import pytest

from ndgrad import autograd, np
from tests.ops.harness import SHAPES_BINARY, SHAPES_UNARY, Case, run_case

SOME_SHAPES = [(), (1,), (2, 3)]


def _away_from_zero(lo=0.3, hi=2.0):
    """Values with |x| in [lo, hi] and random signs: away from kinks at 0."""

    def make(rng, shapes):
        return [rng.uniform(lo, hi, s) * rng.choice([-1.0, 1.0], s) for s in shapes]

    return make


def unary(name, fn, ref, domain=(-2.0, 2.0), shapes=SOME_SHAPES, **kw):
    return [Case(f'{name}/{s}', fn, ref, [s], domain=domain, **kw) for s in shapes]


UNARY = (
    unary('negative', np.negative, numpy.negative, shapes=SHAPES_UNARY)
    + unary('positive', np.positive, numpy.positive)
    + unary('copy', np.copy, numpy.copy)
    + unary('neg-operator', lambda x: -x, numpy.negative)
    + unary('reciprocal', np.reciprocal, numpy.reciprocal, make=_away_from_zero(0.5))
    + unary('square', np.square, numpy.square, shapes=SHAPES_UNARY)
    + unary('sqrt', np.sqrt, numpy.sqrt, domain=(0.3, 3.0), shapes=SHAPES_UNARY)
    + unary('cbrt', np.cbrt, numpy.cbrt, make=_away_from_zero(0.3))
    + unary('exp', np.exp, numpy.exp, shapes=SHAPES_UNARY)
    + unary('exp2', np.exp2, numpy.exp2)
    + unary('expm1', np.expm1, numpy.expm1)
    + unary('log', np.log, numpy.log, domain=(0.3, 3.0), shapes=SHAPES_UNARY)
    + unary('log2', np.log2, numpy.log2, domain=(0.3, 3.0))
    + unary('log10', np.log10, numpy.log10, domain=(0.3, 3.0))
    + unary('log1p', np.log1p, numpy.log1p, domain=(-0.6, 2.0))
    + unary('sin', np.sin, numpy.sin)
    + unary('cos', np.cos, numpy.cos)
    + unary('tan', np.tan, numpy.tan, domain=(-1.2, 1.2))
    + unary('arcsin', np.arcsin, numpy.arcsin, domain=(-0.9, 0.9))
    + unary('arccos', np.arccos, numpy.arccos, domain=(-0.9, 0.9))
    + unary('arctan', np.arctan, numpy.arctan)
    + unary('sinh', np.sinh, numpy.sinh)
    + unary('cosh', np.cosh, numpy.cosh)
    + unary('tanh', np.tanh, numpy.tanh, shapes=SHAPES_UNARY)
    + unary('arcsinh', np.arcsinh, numpy.arcsinh)
    + unary('arccosh', np.arccosh, numpy.arccosh, domain=(1.2, 3.0))
    + unary('arctanh', np.arctanh, numpy.arctanh, domain=(-0.9, 0.9))
    + unary('deg2rad', np.deg2rad, numpy.deg2rad)
    + unary('rad2deg', np.rad2deg, numpy.rad2deg)
    + unary('radians', np.radians, numpy.radians)
    + unary('degrees', np.degrees, numpy.degrees)
    + unary('absolute', np.absolute, numpy.absolute, make=_away_from_zero(), shapes=SHAPES_UNARY)
    + unary('abs', np.abs, numpy.abs, make=_away_from_zero())
    + unary('abs-operator', abs, numpy.abs, make=_away_from_zero())
    + unary('sinc', np.sinc, numpy.sinc, shapes=SHAPES_UNARY)
    + [
        Case(
            'sinc/near-zero',
            np.sinc,
            numpy.sinc,
            [(7,)],
            inputs=[[0.0, 1e-4, -0.03, 0.0999, 0.1001, -0.5, 1.5]],
        )
    ]
    + unary('nan_to_num', np.nan_to_num, numpy.nan_to_num)
    + unary('power/scalar-exponent', lambda x: x**3, lambda x: x**3)
    + unary('power/fractional-exponent', lambda x: x**2.5, lambda x: x**2.5, domain=(0.3, 2.0))
    + unary('power/scalar-base', lambda x: 2.0**x, lambda x: 2.0**x)
    + unary(
        'float_power/scalar',
        lambda x: np.float_power(x, 1.5),
        lambda x: numpy.float_power(x, 1.5),
        domain=(0.3, 2.0),
    )
    + unary(
        'clip/scalar-bounds',
        lambda x: np.clip(x, -0.5, 0.7),
        lambda x: numpy.clip(x, -0.5, 0.7),
        shapes=SHAPES_UNARY,
    )
    + unary(
        'clip/lower-only', lambda x: np.clip(x, -0.5, None), lambda x: numpy.clip(x, -0.5, None)
    )
    + unary('clip/upper-keyword', lambda x: np.clip(x, max=0.3), lambda x: numpy.clip(x, max=0.3))
    + unary('clip/no-bounds', lambda x: np.clip(x, None, None), lambda x: numpy.clip(x, None, None))
    + unary('clip/method', lambda x: x.clip(-0.5, 0.5), lambda x: x.clip(-0.5, 0.5))
    + [
        Case(
            'clip/inverted-bounds',
            lambda x: np.clip(x, 1.0, -1.0),
            lambda x: numpy.clip(x, 1.0, -1.0),
            [(2, 3)],
        )
    ]
)


def binary(name, fn, ref, shapes=SHAPES_BINARY, **kw):
    return [Case(f'{name}/{a}&{b}', fn, ref, [a, b], **kw) for a, b in shapes]


def _mod_inputs(rng, shapes):
    """Dividends (of the broadcast shape) whose quotient stays 0.1 away from the jumps."""
    x_shape, y_shape = shapes
    y = rng.uniform(0.6, 1.5, y_shape) * rng.choice([-1.0, 1.0], y_shape)
    return [(rng.integers(-3, 3, x_shape) + rng.uniform(0.1, 0.9, x_shape)) * y, y]


def _mod_cases(name, fn, ref):
    # the dividend has the broadcast shape
    shapes = [((), ()), ((3,), ()), ((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), (2, 3))]
    return binary(name, fn, ref, shapes=shapes, make=_mod_inputs)


BINARY = (
    binary('add', np.add, numpy.add)
    + binary('add-operator', lambda x, y: x + y, numpy.add)
    + binary('subtract', np.subtract, numpy.subtract)
    + binary('multiply', np.multiply, numpy.multiply)
    + binary('divide', np.divide, numpy.divide, domain=[(-2.0, 2.0), (0.5, 2.0)])
    + binary('true_divide', np.true_divide, numpy.true_divide, domain=[(-2.0, 2.0), (-2.0, -0.5)])
    + binary('power', np.power, numpy.power, domain=[(0.3, 2.0), (-2.0, 2.0)])
    + binary('float_power', np.float_power, numpy.float_power, domain=[(0.3, 2.0), (-2.0, 2.0)])
    + binary('arctan2', np.arctan2, numpy.arctan2, make=_away_from_zero())
    + binary('hypot', np.hypot, numpy.hypot, make=_away_from_zero())
    + binary('maximum', np.maximum, numpy.maximum)
    + binary('minimum', np.minimum, numpy.minimum)
    + binary('fmax', np.fmax, numpy.fmax)
    + binary('fmin', np.fmin, numpy.fmin)
    + binary('logaddexp', np.logaddexp, numpy.logaddexp)
    + binary('logaddexp2', np.logaddexp2, numpy.logaddexp2)
    + binary('copysign', np.copysign, numpy.copysign, make=_away_from_zero())
    + binary('heaviside', np.heaviside, numpy.heaviside, make=_away_from_zero())
    + _mod_cases('mod', np.mod, numpy.mod)
    + _mod_cases('remainder', np.remainder, numpy.remainder)
    + _mod_cases('mod-operator', lambda x, y: x % y, numpy.mod)
    + _mod_cases('fmod', np.fmod, numpy.fmod)
    + [
        Case(
            'power/negative-base-integer-exponent',
            np.power,
            numpy.power,
            [(5,), (5,)],
            inputs=[[-2.0, -1.5, -0.5, 1.5, 2.0], [3.0, 2.0, -1.0, 2.0, -2.0]],
            wrt=[0],
        ),
        Case(
            'power/zero-exponent',
            np.power,
            numpy.power,
            [(3,), (3,)],
            inputs=[[1.5, 0.5, 2.0], [0.0, 0.0, 0.0]],
        ),
        Case(
            'power/zero-exponent-negative-base',
            np.power,
            numpy.power,
            [(3,), (3,)],
            inputs=[[-1.5, -0.5, -2.0], [0.0, 0.0, 0.0]],
            wrt=[0],
        ),
        Case(
            'clip/array-bounds',
            np.clip,
            numpy.clip,
            [(2, 3), (3,), (2, 1)],
            domain=[(-2.0, 2.0), (-1.5, -0.2), (0.2, 1.5)],
        ),
        Case(
            'clip/inverted-array-bounds',
            np.clip,
            numpy.clip,
            [(2, 3), (2, 3), ()],
            make=lambda rng, s: [
                rng.uniform(-2, 2, s[0]),
                rng.uniform(0.5, 1, s[1]),
                numpy.array(-0.5),
            ],
        ),
        Case(
            'where',
            lambda x, y: np.where(numpy.array([True, False, True]), x, y),
            lambda x, y: numpy.where([True, False, True], x, y),
            [(2, 3), (2, 1)],
        ),
        Case(
            'where/scalar-branch',
            lambda x: np.where(numpy.array([[True], [False]]), x, 0.0),
            lambda x: numpy.where([[True], [False]], x, 0.0),
            [(3,)],
        ),
    ]
)


@pytest.mark.parametrize('case', UNARY + BINARY, ids=str)
def test_op(case):
    run_case(case)


# --- piecewise-constant ops: values, and no gradient ------------------------------------

CONSTANT = [
    ('floor', numpy.floor),
    ('ceil', numpy.ceil),
    ('trunc', numpy.trunc),
    ('rint', numpy.rint),
    ('fix', numpy.fix),
    ('round', numpy.round),
    ('around', numpy.around),
    ('sign', numpy.sign),
]


@pytest.mark.parametrize('name,ref', CONSTANT, ids=[n for n, _ in CONSTANT])
def test_piecewise_constant_values_and_no_gradient(name, ref):
    data = numpy.array([-2.5, -1.5, -0.4, 0.0, 0.5, 1.5, 2.7])
    x = np.array(data)
    x.attach_grad()
    with autograd.record():
        y = getattr(np, name)(x)
    numpy.testing.assert_array_equal(y.asnumpy(), ref(data))
    assert y._node is None, f'{name} must not carry a gradient'


def test_round_decimals():
    data = numpy.array([1.234, -5.678])
    numpy.testing.assert_array_equal(np.round(np.array(data), 1).asnumpy(), numpy.round(data, 1))
    numpy.testing.assert_array_equal(np.around(np.array(data), 2).asnumpy(), numpy.around(data, 2))


def test_floor_divide_values_and_no_gradient():
    a, b = numpy.array([7.0, -7.0, 7.5]), numpy.array([2.0, 2.0, -2.0])
    x = np.array(a)
    x.attach_grad()
    with autograd.record():
        y = x // b
    numpy.testing.assert_array_equal(y.asnumpy(), a // b)
    assert y._node is None
    numpy.testing.assert_array_equal(np.floor_divide(np.array(a), b).asnumpy(), a // b)


@pytest.mark.parametrize(
    'name',
    [
        'equal',
        'not_equal',
        'less',
        'less_equal',
        'greater',
        'greater_equal',
        'logical_and',
        'logical_or',
        'logical_xor',
    ],
)
def test_comparisons_and_logic_are_values(name):
    a, b = numpy.array([1.0, 0.0, 3.0]), numpy.array([1.0, 2.0, 0.0])
    numpy.testing.assert_array_equal(
        getattr(np, name)(np.array(a), np.array(b)).asnumpy(), getattr(numpy, name)(a, b)
    )


@pytest.mark.parametrize('name', ['isnan', 'isinf', 'isfinite', 'logical_not'])
def test_predicates_are_values(name):
    a = numpy.array([1.0, numpy.nan, numpy.inf, -numpy.inf, 0.0])
    numpy.testing.assert_array_equal(
        getattr(np, name)(np.array(a)).asnumpy(), getattr(numpy, name)(a)
    )


def test_integer_arithmetic_keeps_numpy_dtypes():
    a = numpy.array([1, 2, 3])
    assert np.reciprocal(np.array(a, dtype='int64')).dtype == numpy.int64
    assert np.mod(np.array(a, dtype='int64'), 2).dtype == numpy.int64
    assert np.float_power(np.array(a, dtype='int64'), 2).dtype == numpy.float64


# --- NumPy's behaviour on bad input and at domain edges ------------------------------------


def test_domain_errors_give_nan_with_numpy_warning():
    with pytest.warns(RuntimeWarning, match='invalid value'):
        y = np.log(np.array([-1.0]))
    assert numpy.isnan(y.asnumpy()).all()
    with pytest.warns(RuntimeWarning, match='divide by zero'):
        y = np.log(np.array([0.0]))
    assert y.asnumpy()[0] == -numpy.inf


def test_where_needs_both_branches_or_none():
    with pytest.raises(ValueError, match='both or neither'):
        np.where(np.array([True]), np.array([1.0]))
    (idx,) = np.where(np.array([0.0, 2.0, 3.0]) > 1)
    numpy.testing.assert_array_equal(numpy.asarray(idx), [1, 2])


def test_clip_rejects_out_and_mixed_bound_spellings():
    x = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match='out='):
        np.clip(x, 0, 1, out=x)
    with pytest.raises(ValueError, match='forbidden'):
        np.clip(x, 0, None, max=1)


def test_numpy_ufuncs_on_ndgrad_arrays_are_recorded():
    x = np.array([0.5, 1.0])
    x.attach_grad()
    with autograd.record():
        y = numpy.hypot(x, 1.0) + numpy.remainder(x, 0.75) + numpy.true_divide(x, 2.0)
    y.backward()
    expected = x.asnumpy() / numpy.hypot(x.asnumpy(), 1.0) + 1.0 + 0.5
    numpy.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)

"""Property tests: Hypothesis draws mutually broadcastable shapes (0-d and size-1
axes included) for the binary elementwise ops, and shapes with axis/keepdims for
the reductions; values, first and second derivatives are checked as in the op
tables. Values come from a drawn seed, in domains away from kinks."""

import numpy
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from ndgrad import np
from tests.ops.harness import Case, run_case

SETTINGS = settings(max_examples=20, deadline=None)
SIGNED = 'signed'  # |x| in [0.3, 2] with random signs: away from 0


def _values(rng, shape, domain):
    if domain == SIGNED:
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return rng.uniform(*domain, shape)


BINARY = {
    'add': (np.add, numpy.add, (-2, 2), (-2, 2)),
    'subtract': (np.subtract, numpy.subtract, (-2, 2), (-2, 2)),
    'multiply': (np.multiply, numpy.multiply, (-2, 2), (-2, 2)),
    'divide': (np.divide, numpy.divide, (-2, 2), SIGNED),
    'power': (np.power, numpy.power, (0.3, 2), (-2, 2)),
    'float_power': (np.float_power, numpy.float_power, (0.3, 2), (-2, 2)),
    'arctan2': (np.arctan2, numpy.arctan2, SIGNED, SIGNED),
    'hypot': (np.hypot, numpy.hypot, SIGNED, SIGNED),
    'maximum': (np.maximum, numpy.maximum, (-2, 2), (-2, 2)),
    'minimum': (np.minimum, numpy.minimum, (-2, 2), (-2, 2)),
    'fmax': (np.fmax, numpy.fmax, (-2, 2), (-2, 2)),
    'fmin': (np.fmin, numpy.fmin, (-2, 2), (-2, 2)),
    'logaddexp': (np.logaddexp, numpy.logaddexp, (-2, 2), (-2, 2)),
    'logaddexp2': (np.logaddexp2, numpy.logaddexp2, (-2, 2), (-2, 2)),
    'copysign': (np.copysign, numpy.copysign, SIGNED, SIGNED),
}


@pytest.mark.parametrize('name', sorted(BINARY))
@SETTINGS
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_binary_broadcasting(name, shapes, seed):
    fn, ref, dx, dy = BINARY[name]
    rng = numpy.random.default_rng(seed)
    xs = [_values(rng, s, d) for s, d in zip(shapes.input_shapes, (dx, dy))]
    run_case(Case(name, fn, ref, shapes.input_shapes, inputs=xs))


def _axis(draw, ndim, single=False):
    """None, an int (either sign), or a tuple of distinct axes (either sign)."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(['none', 'int'] if single else ['none', 'int', 'tuple']))
    sign = st.sampled_from([0, -ndim])
    if kind == 'none':
        return None
    if kind == 'int':
        return draw(st.integers(0, ndim - 1)) + draw(sign)
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a + draw(sign) for a in axes)


def _logsumexp(x, axis=None, keepdims=False):
    return numpy.log(numpy.sum(numpy.exp(x), axis=axis, keepdims=keepdims))


# name: (ndgrad, NumPy, domain, minimum count per reduced slice)
REDUCTIONS = {
    'sum': (np.sum, numpy.sum, (-2, 2), 1),
    'mean': (np.mean, numpy.mean, (-2, 2), 1),
    'prod': (np.prod, numpy.prod, SIGNED, 1),
    'max': (np.max, numpy.max, (-2, 2), 1),
    'min': (np.min, numpy.min, (-2, 2), 1),
    'ptp': (np.ptp, numpy.ptp, (-2, 2), 1),
    'var': (np.var, numpy.var, (-2, 2), 1),
    'std': (np.std, numpy.std, (-2, 2), 2),  # sqrt'(0) at a single element
    'logsumexp': (np.logsumexp, _logsumexp, (-2, 2), 1),
    'median': (np.median, numpy.median, (-2, 2), 1),
    'nansum': (np.nansum, numpy.nansum, (-2, 2), 1),
    'nanmax': (np.nanmax, numpy.nanmax, (-2, 2), 1),
}


@pytest.mark.parametrize('name', sorted(REDUCTIONS))
@SETTINGS
@given(
    data=st.data(),
    shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_reduction_axes(name, data, shape, keepdims, seed):
    fn, ref, domain, least = REDUCTIONS[name]
    axis = _axis(data.draw, len(shape))
    axes = range(len(shape)) if axis is None else numpy.atleast_1d(axis)
    if int(numpy.prod([shape[a] for a in axes])) < least:
        return
    x = _values(numpy.random.default_rng(seed), shape, domain)
    run_case(
        Case(
            name,
            lambda a: fn(a, axis=axis, keepdims=keepdims),
            lambda a: ref(a, axis=axis, keepdims=keepdims),
            [shape],
            inputs=[x],
        )
    )


SCANS = {
    'cumsum': (np.cumsum, numpy.cumsum, (-2, 2)),
    'cumprod': (np.cumprod, numpy.cumprod, SIGNED),
    'sort': (np.sort, numpy.sort, (-2, 2)),
}


@pytest.mark.parametrize('name', sorted(SCANS))
@SETTINGS
@given(
    data=st.data(),
    shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_scans_and_sort_along_an_axis(name, data, shape, seed):
    fn, ref, domain = SCANS[name]
    axis = _axis(data.draw, len(shape), single=True)
    x = _values(numpy.random.default_rng(seed), shape, domain)
    run_case(
        Case(name, lambda a: fn(a, axis=axis), lambda a: ref(a, axis=axis), [shape], inputs=[x])
    )


@SETTINGS
@given(
    data=st.data(),
    shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    q=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_quantile_axes(data, shape, q, keepdims, seed):
    axis = _axis(data.draw, len(shape))
    x = _values(numpy.random.default_rng(seed), shape, (-2, 2))
    run_case(
        Case(
            'quantile',
            lambda a: np.quantile(a, q, axis=axis, keepdims=keepdims),
            lambda a: numpy.quantile(a, q, axis=axis, keepdims=keepdims),
            [shape],
            inputs=[x],
        )
    )

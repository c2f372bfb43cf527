"""MXNet conveniences on top of NumPy's API: the array methods ``x.repeat`` and
``x.asscalar()``, ``np.random.multinomial``, and list-valued ``axis`` wherever NumPy
takes a tuple (MXNet accepts both)."""

import warnings

import numpy
import pytest

from ndgrad import GradientLostWarning, autograd, np
from ndgrad.testing import check_grad

# --- x.repeat ---------------------------------------------------------------------------


@pytest.mark.parametrize('repeats, axis', [(2, None), (2, 1), ([1, 3], 0), (3, -1)])
def test_repeat_method_matches_numpy(repeats, axis):
    x = numpy.arange(6.0).reshape(2, 3)
    got = np.array(x).repeat(repeats, axis=axis)
    numpy.testing.assert_array_equal(got.asnumpy(), x.repeat(repeats, axis=axis))


def test_repeat_method_carries_gradients():
    check_grad(lambda x: (x.repeat(2, axis=0) ** 2).sum(axis=0), [numpy.array([[1.0, 2.0]])])
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (x.repeat(3) * np.arange(9.0)).sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 12.0, 21.0])


# --- x.asscalar() ----------------------------------------------------------------------


@pytest.mark.parametrize('value', [np.array([2.5]), np.array(2.5), np.array([[2.5]])])
def test_asscalar_gives_the_python_number(value):
    got = value.asscalar()
    assert got == 2.5 and type(got) is float


def test_asscalar_of_an_integer_array():
    got = np.array([3], dtype='int64').asscalar()
    assert got == 3 and type(got) is int


def test_asscalar_of_several_elements_raises():
    with pytest.raises(ValueError, match='one element'):
        np.array([1.0, 2.0]).asscalar()


def test_asscalar_of_a_recorded_array_warns():
    x = np.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.warns(GradientLostWarning):
            assert y.asscalar() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert y.asscalar() == 2.0  # outside record(): a plain read


# --- np.random.multinomial ---------------------------------------------------------------


def test_multinomial_shape_dtype_and_totals():
    np.random.seed(0)
    draws = np.random.multinomial(10, [0.2, 0.3, 0.5], size=(4, 2))
    assert draws.shape == (4, 2, 3) and draws.dtype == numpy.int64
    assert (draws.asnumpy().sum(axis=-1) == 10).all() and (draws.asnumpy() >= 0).all()
    one = np.random.multinomial(5, np.array([0.5, 0.5]))
    assert one.shape == (2,) and int(one.asnumpy().sum()) == 5
    assert np.random.multinomial(4, [1.0, 0.0], size=3).asnumpy().tolist() == [[4, 0]] * 3


def test_multinomial_repeats_with_the_seed_and_follows_the_probabilities():
    np.random.seed(7)
    first = np.random.multinomial(20, [0.1, 0.9], size=5).asnumpy()
    np.random.seed(7)
    numpy.testing.assert_array_equal(np.random.multinomial(20, [0.1, 0.9], size=5).asnumpy(), first)
    np.random.seed(1)
    mean = np.random.multinomial(100, [0.25, 0.75], size=400).asnumpy().mean(axis=0)
    numpy.testing.assert_allclose(mean, [25, 75], atol=1.5)


def test_multinomial_bad_probabilities_raise():
    with pytest.raises(ValueError, match='pvals'):
        np.random.multinomial(3, [[0.5, 0.5]])
    with pytest.raises(ValueError, match='pvals'):
        np.random.multinomial(3, [0.5, -0.1, 0.6])


def test_multinomial_of_recorded_probabilities_warns():
    p = np.array([0.5, 0.5])
    p.attach_grad()
    with autograd.record():
        q = p * 1
        with pytest.warns(GradientLostWarning, match='multinomial'):
            np.random.multinomial(2, q)


# --- list-valued axis ------------------------------------------------------------------

LIST_AXIS = [
    'sum',
    'mean',
    'max',
    'min',
    'prod',
    'std',
    'var',
    'ptp',
    'amax',
    'amin',
    'nansum',
    'nanmean',
    'nanmax',
    'nanmin',
    'all',
    'any',
]


@pytest.mark.parametrize('name', LIST_AXIS)
def test_reductions_take_a_list_axis_as_a_tuple(name):
    x = numpy.arange(1.0, 25.0).reshape(2, 3, 4) / 10
    got = getattr(np, name)(np.array(x), axis=[0, 2])
    numpy.testing.assert_allclose(got.asnumpy(), getattr(numpy, name)(x, axis=(0, 2)))


@pytest.mark.parametrize('name', ['sum', 'mean', 'max', 'min', 'prod', 'std', 'var'])
def test_list_axis_methods_and_keepdims(name):
    x = numpy.arange(1.0, 25.0).reshape(2, 3, 4) / 10
    got = getattr(np.array(x), name)(axis=[0, -1], keepdims=True)
    numpy.testing.assert_allclose(
        got.asnumpy(), getattr(numpy, name)(x, axis=(0, -1), keepdims=True)
    )


@pytest.mark.parametrize('name', ['sum', 'mean', 'max', 'std'])
def test_list_axis_gradients(name):
    x = numpy.random.default_rng(0).standard_normal((2, 3, 2))
    check_grad(lambda a: getattr(np, name)(a, axis=[0, 2]), [x])


def test_shape_functions_take_a_list_axis():
    x = np.zeros((1, 3, 1))
    assert np.squeeze(x, axis=[0, 2]).shape == (3,)
    assert np.expand_dims(np.zeros(3), axis=[0, 2]).shape == (1, 3, 1)


@pytest.mark.parametrize('name', ['__add__', '__rsub__', '__eq__', '__neg__', '__iadd__'])
def test_methods_have_their_own_names(name):
    method = getattr(np.ndarray, name)
    assert method.__name__ == name and method.__qualname__ == f'ndarray.{name}'


@pytest.mark.parametrize('name', ['sum', 'mean', 'max', 'min', 'prod'])
@pytest.mark.parametrize(
    'keywords',
    [
        {},
        {'axis': None, 'keepdims': False},
        {'axis': 1},
        {'axis': 0, 'keepdims': True},
        {'axis': -1, 'keepdims': 1},
        {'dtype': 'float64'},
    ],
)
def test_reduction_methods_equal_numpys_with_keywords_given_or_left_out(name, keywords):
    # (the methods pass on only the keywords away from their defaults)
    if 'dtype' in keywords and name in ('max', 'min'):
        pytest.skip('max and min take no dtype')
    x = numpy.arange(1.0, 7.0, dtype='float32').reshape(2, 3)
    got = getattr(np.array(x), name)(**keywords).asnumpy()
    want = getattr(x, name)(**keywords)
    assert got.dtype == want.dtype and got.shape == numpy.shape(want)
    numpy.testing.assert_array_equal(got, want)

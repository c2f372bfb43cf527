"""np.random: NumPy's draws with MXNet's dtypes, shapes, seeding; draws are constants."""

import numpy
import pytest

from ndgrad import autograd, np, npx

FLOAT_DRAWS = [
    (
        'normal',
        lambda **k: np.random.normal(1.0, 2.0, **k),
        lambda **k: numpy.random.normal(1.0, 2.0, **k),
    ),
    (
        'uniform',
        lambda **k: np.random.uniform(-1.0, 3.0, **k),
        lambda **k: numpy.random.uniform(-1.0, 3.0, **k),
    ),
    (
        'standard_normal',
        lambda **k: np.random.standard_normal(**k),
        lambda **k: numpy.random.standard_normal(**k),
    ),
    (
        'exponential',
        lambda **k: np.random.exponential(2.0, **k),
        lambda **k: numpy.random.exponential(2.0, **k),
    ),
    (
        'gamma',
        lambda **k: np.random.gamma(2.0, 3.0, **k),
        lambda **k: numpy.random.gamma(2.0, 3.0, **k),
    ),
    (
        'beta',
        lambda **k: np.random.beta(2.0, 5.0, **k),
        lambda **k: numpy.random.beta(2.0, 5.0, **k),
    ),
]


@pytest.mark.parametrize('name, draw, ref', FLOAT_DRAWS, ids=[d[0] for d in FLOAT_DRAWS])
def test_float_draws_follow_numpy_with_float32_default(name, draw, ref):
    np.random.seed(3)
    got = draw(size=(2, 3))
    numpy.random.seed(3)
    expected = ref(size=(2, 3))
    assert got.shape == (2, 3) and got.dtype == numpy.float32
    numpy.testing.assert_allclose(got.asnumpy(), expected.astype(numpy.float32))
    assert draw().shape == ()
    assert draw(size=4).shape == (4,)
    assert draw(size=(2, 3), dtype='float64').dtype == numpy.float64
    npx.set_np(dtype=True)
    assert draw(size=2).dtype == numpy.float64


def test_seed_repeats_draws():
    np.random.seed(42)
    a = [
        np.random.rand(3),
        np.random.randn(2, 2),
        np.random.randint(0, 10, size=5),
        np.random.choice(10, 3),
        np.random.permutation(5),
        np.random.binomial(10, 0.5, 4),
    ]
    np.random.seed(42)
    b = [
        np.random.rand(3),
        np.random.randn(2, 2),
        np.random.randint(0, 10, size=5),
        np.random.choice(10, 3),
        np.random.permutation(5),
        np.random.binomial(10, 0.5, 4),
    ]
    for x, y in zip(a, b):
        numpy.testing.assert_array_equal(x.asnumpy(), y.asnumpy())
    np.random.seed(43)
    assert not numpy.array_equal(np.random.rand(3).asnumpy(), a[0].asnumpy())


def test_rand_randn_shapes():
    assert np.random.rand().shape == ()
    assert np.random.rand(2, 3).shape == (2, 3)
    assert np.random.randn(4).dtype == numpy.float32
    assert np.random.randn(2, 1, dtype='float64').dtype == numpy.float64


def test_integer_draws():
    np.random.seed(0)
    x = np.random.randint(3, 7, size=(50,))
    assert x.dtype == numpy.int64 and x.asnumpy().min() >= 3 and x.asnumpy().max() < 7
    assert np.random.randint(5).shape == ()
    assert np.random.randint(5, size=2, dtype='int32').dtype == numpy.int32
    counts = np.random.binomial(10, 0.3, size=1000)
    assert counts.dtype == numpy.int64 and 0 <= counts.asnumpy().min() <= 10
    assert abs(counts.asnumpy().mean() - 3.0) < 0.3


def test_parameters_may_be_ndgrad_arrays_and_broadcast():
    loc = np.array([0.0, 100.0, -100.0])
    out = np.random.normal(loc, np.array(0.1))
    assert out.shape == (3,)
    numpy.testing.assert_allclose(out.asnumpy(), [0.0, 100.0, -100.0], atol=1.0)
    assert np.random.uniform(np.zeros((2, 1)), np.ones(3)).shape == (2, 3)
    assert np.random.normal(size=np.array([2, 3], dtype='int64')).shape == (2, 3)


def test_basic_statistics():
    np.random.seed(1)
    n = 20_000
    cases = [
        (np.random.normal(2.0, 3.0, size=n), 2.0, 3.0),
        (np.random.uniform(-1.0, 3.0, size=n), 1.0, 4 / 12**0.5),
        (np.random.standard_normal(n), 0.0, 1.0),
        (np.random.exponential(2.0, size=n), 2.0, 2.0),
        (np.random.gamma(4.0, 0.5, size=n), 2.0, 1.0),
        (np.random.beta(2.0, 2.0, size=n), 0.5, (1 / 20) ** 0.5),
    ]
    for draws, mean, std in cases:
        values = draws.asnumpy().astype(numpy.float64)
        assert abs(values.mean() - mean) < 0.05 * std * 10
        assert abs(values.std() - std) < 0.05 * std
    u = np.random.uniform(-1.0, 3.0, size=n).asnumpy()
    assert u.min() >= -1.0 and u.max() < 3.0
    assert np.random.exponential(size=n).asnumpy().min() >= 0.0


def test_choice():
    np.random.seed(0)
    idx = np.random.choice(5, size=(2, 3))
    assert idx.shape == (2, 3) and idx.dtype == numpy.int64
    assert sorted(np.random.choice(5, 5, replace=False).tolist()) == [0, 1, 2, 3, 4]
    assert np.random.choice(3, size=50, p=np.array([0.0, 1.0, 0.0])).tolist() == [1] * 50
    pool = np.array([10.0, 20.0, 30.0])
    picked = np.random.choice(pool, size=4)
    assert picked.dtype == numpy.float32 and set(picked.tolist()) <= {10.0, 20.0, 30.0}
    numpy.random.seed(5)
    expected = numpy.random.choice(numpy.array([10.0, 20.0, 30.0]), size=4)
    np.random.seed(5)
    assert np.random.choice(pool, size=4).tolist() == expected.tolist()
    with pytest.raises(ValueError):
        np.random.choice(np.ones((2, 2)))
    with pytest.raises(ValueError):
        np.random.choice(3, size=4, replace=False)


def test_choice_and_permutation_of_an_array_are_gathers():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    np.random.seed(0)
    with autograd.record():
        y = (np.random.choice(x, size=6) * 1).sum() + np.random.permutation(x)[0] * 10
    y.backward()
    assert x.grad.sum() == 16.0


def test_permutation_and_shuffle_follow_numpy():
    np.random.seed(7)
    perm = np.random.permutation(6)
    numpy.random.seed(7)
    assert perm.tolist() == numpy.random.permutation(6).tolist()
    data = numpy.arange(12.0).reshape(6, 2)
    x = np.array(data)
    buffer = x._data
    np.random.seed(7)
    np.random.shuffle(x)
    assert x._data is buffer  # in place
    numpy.random.seed(7)
    numpy.random.shuffle(data)
    numpy.testing.assert_array_equal(x.asnumpy(), data)
    shuffled = np.random.permutation(np.arange(4.0))
    assert sorted(shuffled.tolist()) == [0.0, 1.0, 2.0, 3.0]


def test_shuffle_under_record_keeps_the_gradient_right():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        y = x * 1
        np.random.shuffle(y)
        loss = (y * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    loss.backward()
    order = (y.asnumpy() - 1).astype(int)
    expected = numpy.zeros(4)
    expected[order] = [1.0, 2.0, 3.0, 4.0]
    numpy.testing.assert_array_equal(x.grad.asnumpy(), expected)


def test_normal_and_uniform_are_reparameterized():
    import ndgrad

    loc = np.array([1.0, 2.0], dtype='float64')
    loc.attach_grad()
    np.random.seed(5)
    with autograd.record():
        sample = np.random.normal(loc, 2.0) + np.random.uniform(loc, 3 * loc)
    sample.backward()
    np.random.seed(5)
    noise = numpy.random.standard_normal(2), numpy.random.random_sample(2)
    numpy.testing.assert_allclose(
        sample.asnumpy(), loc.asnumpy() + 2.0 * noise[0] + loc.asnumpy() * (1.0 + 2.0 * noise[1])
    )
    numpy.testing.assert_allclose(loc.grad.asnumpy(), 1.0 + 1.0 + 2.0 * noise[1])
    np.random.seed(5)
    assert np.random.normal(loc.detach(), 2.0)._node is None  # constants: plain draws
    with (
        autograd.record(),
        pytest.warns(ndgrad.GradientLostWarning, match='gamma draws are constants'),
    ):
        assert np.random.gamma(loc)._node is None


def test_out_argument():
    out = np.zeros((2, 2))
    result = np.random.uniform(size=(2, 2), out=out)
    assert result is out and (out.asnumpy() > 0).any()
    with pytest.raises(ValueError):
        np.random.uniform(size=3, out=out)


def test_bad_input():
    with pytest.raises(ValueError):
        np.random.normal(0.0, -1.0)
    with pytest.raises(ValueError):
        np.random.randint(5, 3)
    with pytest.raises(TypeError, match='ndgrad array'):
        np.random.shuffle([1, 2, 3])
    with pytest.raises(TypeError):
        np.random.shuffle(np.array(1.0))


def test_docstring_examples():
    import doctest
    import importlib

    module = importlib.import_module('ndgrad.numpy.random')
    result = doctest.testmod(
        module,
        extraglobs={'np': np, 'autograd': autograd},
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0 and result.attempted > 0

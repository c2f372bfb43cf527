"""Random numbers (``np.random``): NumPy's global generator with MXNet's defaults.

Float results are float32 (float64 after ``npx.set_np(dtype=True)``) unless a
``dtype`` is given; ``size=None`` with scalar parameters gives a 0-d array.
Parameters may be ndgrad arrays. The same seed gives the same draws as NumPy's
legacy ``numpy.random`` functions.

`normal` and `uniform` with parameters that carry recorded history are
reparameterized: ``normal(mu, sigma)`` is ``mu + sigma * standard_normal()`` (the
same draws), so gradients reach `mu` and `sigma`. The other distributions' draws
are constants: recorded parameters get a `GradientLostWarning`. `choice` and
`permutation` of an array are gathers of its elements, which do carry gradients
back to the chosen elements.

>>> from ndgrad import np
>>> np.random.seed(0)
>>> np.random.uniform(size=(2,)).dtype
dtype('float32')
"""

import functools as _functools
import inspect as _inspect
import warnings as _warnings

import numpy as _numpy

from .._backend import on_context as _on_context
from .._errors import GradientLostWarning as _GradientLostWarning
from .._ndarray import ndarray as _ndarray, raw as _raw, wrap as _wrap
from .._state import CONFIG as _CONFIG, recording as _recording
from .._writes import mark_written as _mark_written

__all__ = [
    'beta',
    'binomial',
    'choice',
    'exponential',
    'gamma',
    'multinomial',
    'normal',
    'permutation',
    'rand',
    'randint',
    'randn',
    'seed',
    'shuffle',
    'standard_normal',
    'uniform',
]


def _out(values, dtype, out):
    values = _numpy.asarray(values, dtype=dtype)
    if out is None:
        return _wrap(values)
    if type(out) is not _ndarray:
        raise TypeError(f'out must be an ndgrad array, not {type(out).__name__}')
    if out.shape != values.shape:
        raise ValueError(f'out has shape {out.shape}, but the draws have shape {values.shape}')
    out._data[...] = values
    _mark_written(out._data)
    return out


def _float(values, dtype, out=None):
    return _out(values, _CONFIG.float_dtype if dtype is None else dtype, out)


def _recorded(*params):
    """Whether a parameter carries recorded history (inside ``record()``)."""
    return _recording() and any(type(p) is _ndarray and p._node is not None for p in params)


def _draw_shape(size, *params):
    if size is not None:
        size = _size(size)
        return (size,) if isinstance(size, int) else tuple(size)
    return _numpy.broadcast_shapes(*(_numpy.shape(_raw(p)) for p in params))


def _noise(values, dtype, *params):
    """Standard noise in the dtype the draws get (that of the parameters, or the
    default float dtype), as a constant array."""
    if dtype is None:
        dtype = _numpy.result_type(*(p.dtype for p in params if type(p) is _ndarray))
    return _wrap(_numpy.asarray(values, dtype=dtype))


def _reparameterized(draws, dtype, out):
    if dtype is not None and draws.dtype != dtype:
        draws = draws.astype(dtype)
    if out is None:
        return draws
    out[...] = draws
    return out


def _constant_draws(name, *params):
    """Warn where a distribution's recorded parameters get no gradient."""
    if _recorded(*params):
        _warnings.warn(
            f'np.random.{name} draws are constants: no gradient flows into its parameters, '
            f'which carry recorded history. Reparameterize (normal and uniform are: '
            f'mu + sigma * np.random.normal(size=...)), or pass constants '
            f'(p.detach()) to say so.',
            _GradientLostWarning,
            stacklevel=3,
        )


def _size(size):
    if type(size) is _ndarray:
        size = size._data
    if isinstance(size, _numpy.ndarray):
        size = tuple(int(s) for s in size.reshape(-1)) if size.ndim else int(size)
    return size


def seed(seed=None, ctx='all'):
    """Seed the generator so that later draws repeat.

    >>> np.random.seed(1); a = np.random.rand(2)
    >>> np.random.seed(1); bool((a == np.random.rand(2)).all())
    True
    """
    _numpy.random.seed(_raw(seed))


def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples of N(loc, scale²).

    >>> np.random.normal(0., 2., size=(2, 3)).shape
    (2, 3)
    """
    if _recorded(loc, scale):
        noise = _numpy.random.standard_normal(_draw_shape(size, loc, scale))
        return _reparameterized(loc + scale * _noise(noise, dtype, loc, scale), dtype, out)
    return _float(_numpy.random.normal(_raw(loc), _raw(scale), _size(size)), dtype, out)


def standard_normal(size=None, dtype=None, ctx=None, out=None):
    """Samples of N(0, 1).

    >>> np.random.standard_normal(3).shape
    (3,)
    """
    return _float(_numpy.random.standard_normal(_size(size)), dtype, out)


def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples from the half-open interval [low, high).

    >>> float(np.random.uniform(2., 3.)) >= 2.
    True
    """
    if _recorded(low, high):
        unit = _numpy.random.random_sample(_draw_shape(size, low, high))
        return _reparameterized(low + (high - low) * _noise(unit, dtype, low, high), dtype, out)
    return _float(_numpy.random.uniform(_raw(low), _raw(high), _size(size)), dtype, out)


def randint(low, high=None, size=None, dtype=None, ctx=None, out=None):
    """Random integers from [low, high) (from [0, low) without `high`); int64.

    >>> np.random.randint(5, size=3).dtype
    dtype('int64')
    """
    dtype = _numpy.int64 if dtype is None else dtype
    values = _numpy.random.randint(_raw(low), _raw(high), _size(size), dtype=dtype)
    return _out(values, dtype, out)


def rand(*size, **kwargs):
    """Uniform samples from [0, 1) of shape `size`.

    >>> np.random.rand(2, 3).shape
    (2, 3)
    """
    return uniform(size=size or None, **kwargs)


def randn(*size, **kwargs):
    """Standard normal samples of shape `size`.

    >>> np.random.randn(2).shape
    (2,)
    """
    return normal(size=size or None, **kwargs)


def exponential(scale=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples of the exponential distribution with mean `scale`.

    >>> bool((np.random.exponential(2., size=5) >= 0).all())
    True
    """
    _constant_draws('exponential', scale)
    return _float(_numpy.random.exponential(_raw(scale), _size(size)), dtype, out)


def gamma(shape=1.0, scale=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples of the gamma distribution (mean ``shape * scale``).

    >>> np.random.gamma(2., 1., size=(4,)).shape
    (4,)
    """
    _constant_draws('gamma', shape, scale)
    return _float(_numpy.random.gamma(_raw(shape), _raw(scale), _size(size)), dtype, out)


def beta(a, b, size=None, dtype=None, ctx=None, out=None):
    """Samples of the beta distribution on [0, 1].

    >>> np.random.beta(2., 3., size=2).shape
    (2,)
    """
    _constant_draws('beta', a, b)
    return _float(_numpy.random.beta(_raw(a), _raw(b), _size(size)), dtype, out)


def binomial(n, p, size=None, dtype=None, ctx=None, out=None):
    """Numbers of successes in `n` trials of probability `p` (int64 by default).

    >>> int(np.random.binomial(10, 0., size=())) == 0
    True
    """
    _constant_draws('binomial', n, p)
    values = _numpy.random.binomial(_raw(n), _raw(p), _size(size))
    return _out(values, _numpy.int64 if dtype is None else dtype, out)


def choice(a, size=None, replace=True, p=None, ctx=None, out=None):
    """Random samples of ``arange(a)`` (an int) or of the elements of a 1-d array.

    Picking from an array is a gather: gradients reach the picked elements.

    >>> np.random.choice(5, size=3).shape
    (3,)
    """
    p = None if p is None else _numpy.asarray(_raw(p), dtype=_numpy.float64)
    if isinstance(a, (int, _numpy.integer)):
        picks = _numpy.random.choice(int(a), _size(size), replace, p)
        return _out(picks, _numpy.int64, out)
    pool = a if type(a) is _ndarray else _wrap(_numpy.asarray(a))
    if pool.ndim != 1:
        raise ValueError('a must be 1-dimensional (or an int)')
    picks = _numpy.random.choice(pool.shape[0], _size(size), replace, p)
    result = pool[_numpy.asarray(picks)]
    if out is not None:
        return _out(result._data, result.dtype, out)
    return result


def permutation(x):
    """A random permutation of ``arange(x)`` (an int), or a shuffled copy of an
    array along its first axis (a gather: gradients flow back).

    >>> sorted(np.random.permutation(4).tolist())
    [0, 1, 2, 3]
    """
    if isinstance(x, (int, _numpy.integer)):
        return _wrap(_numpy.random.permutation(int(x)).astype(_numpy.int64))
    x = x if type(x) is _ndarray else _wrap(_numpy.asarray(x))
    if x.ndim == 0:
        raise IndexError('x must be an integer or at least 1-dimensional')
    return x[_numpy.random.permutation(x.shape[0])]


def shuffle(x):
    """Shuffle an ndgrad array in place along its first axis; returns None.

    Under ``autograd.record()`` a recorded array is rebound to its shuffled copy
    (the gather is recorded, so gradients flow back).

    >>> x = np.arange(4); np.random.shuffle(x); sorted(x.tolist())
    [0.0, 1.0, 2.0, 3.0]
    """
    if type(x) is not _ndarray:
        raise TypeError(
            f'np.random.shuffle needs an ndgrad array, not {type(x).__name__}; '
            f'convert it first (x = np.array(x))'
        )
    if x.ndim == 0:
        raise TypeError('np.random.shuffle needs an array of at least one dimension')
    # the same draws as numpy.random.shuffle; assignment handles recording
    x[...] = x[_numpy.random.permutation(x.shape[0])]


def multinomial(n, pvals, size=None):
    """How often each of ``len(pvals)`` outcomes comes up in `n` draws with probabilities
    `pvals` (int64, shape ``size + (len(pvals),)``); the draws are constants.

    >>> np.random.multinomial(4, [1.0, 0.0]).tolist()
    [4, 0]
    """
    _constant_draws('multinomial', pvals)
    pvals = _numpy.asarray(_raw(pvals), dtype=_numpy.float64)
    if pvals.ndim != 1:
        raise ValueError(
            f'pvals must be a 1-d sequence of probabilities, not of shape {pvals.shape}'
        )
    if ((pvals < 0) | (pvals > 1)).any():
        raise ValueError(f'pvals must hold probabilities between 0 and 1, got {pvals.tolist()}')
    return _wrap(_numpy.random.multinomial(int(n), pvals, _size(size)).astype(_numpy.int64))


def _placed(fn):
    """`fn` (a draw taking ``ctx=``) with its result on `ctx` (MXNet's ``ctx=``: a GPU's
    draws are made by NumPy and copied there)."""
    position = list(_inspect.signature(fn).parameters).index('ctx')

    @_functools.wraps(fn)
    def draw(*args, **kwargs):
        ctx = args[position] if len(args) > position else kwargs.get('ctx')
        result = fn(*args, **kwargs)
        data = _on_context(result._data, ctx)
        return result if data is result._data else _wrap(data)

    return draw


for _name in __all__:
    if _name != 'seed' and 'ctx' in _inspect.signature(globals()[_name]).parameters:
        globals()[_name] = _placed(globals()[_name])

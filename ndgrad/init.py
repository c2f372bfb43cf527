"""Initializers for Gluon parameters (MXNet's ``mxnet.init``).

An initializer fills an array in place. Gluon calls ``init(InitDesc(name), arr)``; a
parameter created with its own initializer (Dense's bias is created with ``'zeros'``)
uses that one, every other parameter uses the global one given to ``initialize``, whose
``_init_weight`` fills it whatever its name. Custom initializers override
``_init_weight(self, name, arr)`` and write ``arr[:] = ...``.

Random draws come from ``ndgrad.np.random`` (NumPy's global generator): seed it with
``np.random.seed``.

>>> from ndgrad import init, np
>>> w = np.zeros((2, 3))
>>> init.Constant(0.5)(init.InitDesc('dense0_weight'), w)
>>> w
array([[0.5, 0.5, 0.5],
       [0.5, 0.5, 0.5]])
"""

import json
import math

import numpy

from . import numpy as _np

__all__ = [
    'Constant',
    'InitDesc',
    'Initializer',
    'MSRAPrelu',
    'Normal',
    'One',
    'Uniform',
    'Xavier',
    'Zero',
    'alias',
    'create',
    'register',
]

_REGISTRY: dict[str, type] = {}


class InitDesc(str):
    """A parameter's name, with the attributes that choose its initializer
    (``attrs['__init__']``: the parameter's own initializer) and the global one.

    >>> desc = InitDesc('dense0_weight', {'__init__': 'ones'})
    >>> desc, desc.attrs
    ('dense0_weight', {'__init__': 'ones'})
    """

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


def register(klass):
    """Register an Initializer subclass under its lower-case class name, so that
    `create` (and a parameter's ``init='name'``) finds it."""
    return alias(klass.__name__.lower())(klass)


def alias(*names):
    """Register an Initializer subclass under the given names."""

    def reg(klass):
        for name in names:
            _REGISTRY[name.lower()] = klass
        return klass

    return reg


def create(init, **kwargs):
    """The Initializer `init` names: an instance (returned as is), a registered name
    ('zeros', 'ones', 'uniform', 'normal', 'xavier', ...), or MXNet's JSON dump."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if isinstance(init, str):
        if init.startswith('['):
            name, kwargs = json.loads(init)
        else:
            name = init
        try:
            return _REGISTRY[name.lower()](**kwargs)
        except KeyError:
            raise ValueError(
                f'unknown initializer {init!r}; registered: {", ".join(sorted(_REGISTRY))}'
            ) from None
    raise TypeError(
        f'an initializer is an Initializer instance or its registered name, '
        f'not {type(init).__name__}'
    )


def _root_mean_square(x):
    x = numpy.asarray(x, dtype=numpy.float64)
    return str(float(numpy.sqrt(numpy.mean(x * x)))) if x.size else '0.0'


class Initializer:
    """Base class of initializers. ``init(desc, arr)`` fills `arr` in place.

    Subclasses implement ``_init_weight(self, name, arr)``. Called with a name
    that has no ``__init__`` attribute, the name's ending chooses the method, as in
    MXNet: weight → ``_init_weight``, bias and beta → 0, gamma → 1.

    >>> from ndgrad import init, np
    >>> class Halves(init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.5
    >>> w = np.zeros(2); Halves()(init.InitDesc('w_weight'), w); w
    array([0.5, 0.5])
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Print each initialized array's name and a statistic of it (by default
        its root mean square, ``norm(x)/sqrt(size)``, as MXNet prints)."""
        self._verbose = verbose
        self._print_func = print_func or _root_mean_square
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            print(f'Initialized {desc} as {init}: {self._print_func(arr)}')

    def dumps(self):
        """The initializer as MXNet's JSON string: ``'["normal", {"sigma": 0.5}]'``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for ending, method in (
            ('weight', self._init_weight),
            ('bias', self._init_bias),
            ('gamma', self._init_gamma),
            ('beta', self._init_beta),
            ('min', self._init_zero),
            ('max', self._init_one),
        ):
            if desc.endswith(ending):
                method(desc, arr)
                self._verbose_print(desc, ending, arr)
                return
        self._init_default(desc, arr)

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    _init_bias = _init_beta = _init_zero
    _init_gamma = _init_one

    def _init_weight(self, name, arr):
        raise NotImplementedError(f'{type(self).__name__} must implement _init_weight')

    def _init_default(self, name, _):
        raise ValueError(
            f'Unknown initialization pattern for {name}. Default initialization is limited '
            f'to names ending in "weight", "bias", "gamma" (1.0) and "beta" (0.0); give '
            f'the parameter its own initializer (init=...).'
        )

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return f'{type(self).__name__}({args})'


def _fill(arr, values):
    arr[:] = numpy.asarray(values, dtype=arr.dtype)


@alias('zeros')
@register
class Zero(Initializer):
    """Fill with 0 (registered as 'zeros').

    >>> w = np.ones(2); Zero()(InitDesc('w_weight'), w); w
    array([0., 0.])
    """

    _init_weight = Initializer._init_zero


@alias('ones')
@register
class One(Initializer):
    """Fill with 1 (registered as 'ones'), as Gluon fills a BatchNorm's scale.

    >>> from ndgrad import gluon
    >>> gamma = gluon.Parameter('gamma', shape=(2,), init='ones')
    >>> gamma.initialize(); gamma.data()
    array([1., 1.])
    """

    _init_weight = Initializer._init_one


@register
class Constant(Initializer):
    """Fill with `value` (a number or an array broadcast to the parameter's shape).

    >>> w = np.zeros(2); Constant(42)(InitDesc('w_weight'), w); w
    array([42., 42.])
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        _fill(arr, numpy.broadcast_to(numpy.asarray(self.value), arr.shape))

    def dumps(self):
        value = self.value
        value = value.tolist() if hasattr(value, 'tolist') else value
        return json.dumps([self.__class__.__name__.lower(), {'value': value}])


@register
class Uniform(Initializer):
    """Draw uniformly from [-scale, scale] (Gluon's default, scale=0.07).

    >>> w = np.zeros(1000); Uniform(0.1)(InitDesc('w_weight'), w)
    >>> bool(w.min() >= -0.1 and w.max() <= 0.1)
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _fill(arr, _np.random.uniform(-self.scale, self.scale, size=arr.shape))


@register
class Normal(Initializer):
    """Draw from a normal distribution with mean 0 and standard deviation `sigma`.

    >>> w = np.zeros(10000); Normal(0.5)(InitDesc('w_weight'), w)
    >>> round(float(w.std()), 1)
    0.5
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _fill(arr, _np.random.normal(0, self.sigma, size=arr.shape))


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: scale = sqrt(magnitude / factor), where factor
    is fan_in, fan_out or their average (`factor_type` 'in', 'out', 'avg'); draws
    from [-scale, scale] (``rnd_type='uniform'``) or N(0, scale²) ('gaussian').
    fan_in = shape[1]·prod(shape[2:]), fan_out = shape[0]·prod(shape[2:]).

    >>> w = np.zeros((300, 300)); Xavier()(InitDesc('w_weight'), w)
    >>> bool(abs(w).max() <= 0.1)   # sqrt(3 / 300)
    True
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ('uniform', 'gaussian'):
            raise ValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")
        if factor_type not in ('avg', 'in', 'out'):
            raise ValueError(
                f"Xavier: factor_type must be 'avg', 'in' or 'out', got {factor_type!r}"
            )
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(
                f'Xavier initializer cannot be applied to vector {name}. It requires at least 2D.'
            )
        receptive = math.prod(shape[2:])
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}[self.factor_type]
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == 'uniform':
            _fill(arr, _np.random.uniform(-scale, scale, size=shape))
        else:
            _fill(arr, _np.random.normal(0, scale, size=shape))


@register
class MSRAPrelu(Xavier):
    """He/Kaiming initialization for (P)ReLU layers: Gaussian Xavier with
    magnitude 2 / (1 + slope²).

    >>> MSRAPrelu().magnitude
    1.88235294...
    """

    def __init__(self, factor_type='avg', slope=0.25):
        super().__init__('gaussian', factor_type, 2.0 / (1 + slope**2))
        self._kwargs = {'factor_type': factor_type, 'slope': slope}

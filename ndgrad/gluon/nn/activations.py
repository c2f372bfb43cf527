"""Activation layers.

>>> from ndgrad import np
>>> from ndgrad.gluon import nn
>>> nn.Activation('relu')(np.array([-1., 2.]))
array([0., 2.])
"""

from ... import init as _init
from ..block import HybridBlock

__all__ = ['ELU', 'GELU', 'SELU', 'Activation', 'LeakyReLU', 'PReLU', 'Swish']

_QUARTER = _init.Constant(0.25)


class Activation(HybridBlock):
    """Apply an activation function by name: 'relu', 'sigmoid', 'tanh', 'softrelu'
    or 'softsign' (``npx.activation``).

    >>> Activation('sigmoid')
    Activation(sigmoid)
    """

    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.npx.activation(x, act_type=self._act_type)

    def __repr__(self):
        return f'{self.__class__.__name__}({self._act_type})'


class LeakyReLU(HybridBlock):
    """``x`` for x ≥ 0, ``alpha·x`` below.

    >>> LeakyReLU(0.1)(np.array([-1., 2.]))
    array([-0.1,  2. ])
    """

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise ValueError(f'LeakyReLU: slope coefficient alpha must be >= 0, got {alpha}')
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.npx.leaky_relu(x, act_type='leaky', slope=self._alpha)

    def __repr__(self):
        return f'{self.__class__.__name__}({self._alpha})'


class PReLU(HybridBlock):
    """LeakyReLU with a learned slope `alpha` (one, or one per channel of axis 1).

    >>> layer = PReLU(); layer.initialize()
    >>> layer(np.array([-1., 2.]))
    array([-0.25,  2.  ])
    """

    def __init__(self, alpha_initializer=_QUARTER, in_channels=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.npx.leaky_relu(x, gamma=alpha, act_type='prelu')


class ELU(HybridBlock):
    """``x`` for x > 0, ``alpha·(exp(x) - 1)`` below.

    >>> ELU()(np.array([0., 1.]))
    array([0., 1.])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.npx.leaky_relu(x, act_type='elu', slope=self._alpha)


class SELU(HybridBlock):
    """Scaled exponential linear unit.

    >>> SELU()(np.array([0.]))
    array([0.])
    """

    def hybrid_forward(self, F, x):
        return F.npx.leaky_relu(x, act_type='selu')


class GELU(HybridBlock):
    """Gaussian error linear unit, ``x·Φ(x)``.

    >>> GELU()(np.array([0.]))
    array([0.])
    """

    def hybrid_forward(self, F, x):
        return F.npx.leaky_relu(x, act_type='gelu')


class Swish(HybridBlock):
    """``x·sigmoid(beta·x)``.

    >>> Swish()(np.array([0.]))
    array([0.])
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.npx.sigmoid(self._beta * x)

"""Gluon's neural-network layers (``gluon.nn``), as MXNet 1.9 defines them.

>>> from ndgrad import np
>>> from ndgrad.gluon import nn
>>> net = nn.Sequential()
>>> net.add(nn.Dense(8, activation='relu'), nn.Dropout(0.5), nn.Dense(2))
>>> net.initialize()
>>> net(np.ones((4, 3))).shape
(4, 2)
"""

from ..block import Block, HybridBlock
from .activations import *  # noqa: F403
from .activations import __all__ as _activations
from .basic_layers import *  # noqa: F403
from .basic_layers import __all__ as _basic
from .conv_layers import *  # noqa: F403
from .conv_layers import __all__ as _conv

__all__ = ['Block', 'HybridBlock'] + _basic + _activations + _conv

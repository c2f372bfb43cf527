"""Gluon, MXNet 1.9's high-level interface, on ndgrad: blocks and layers (`nn`),
parameters, losses (`loss`), `Trainer` with its optimizers, data loading (`data`) and
helpers (`utils`).

>>> from ndgrad import autograd, np
>>> from ndgrad.gluon import nn, loss, Trainer
>>> net = nn.Sequential(); net.add(nn.Dense(1)); net.initialize()
>>> trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
>>> with autograd.record():
...     l = loss.L2Loss()(net(np.ones((4, 2))), np.zeros(4))
>>> l.backward(); trainer.step(4)
"""

from . import data, loss, nn, optimizer, utils
from .block import Block, HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .trainer import Trainer

__all__ = [
    'Block',
    'Constant',
    'DeferredInitializationError',
    'HybridBlock',
    'Parameter',
    'ParameterDict',
    'Trainer',
    'data',
    'loss',
    'nn',
    'optimizer',
    'utils',
]

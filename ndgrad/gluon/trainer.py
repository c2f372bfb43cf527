"""`Trainer`: applies an optimizer to a set of parameters (MXNet 1.9's ``gluon.Trainer``).

``trainer.step(batch_size)`` rescales each gradient by 1/batch_size and updates the
parameter's array in place (outside any ``record()``), so references to
``param.data()`` stay valid.

>>> from ndgrad import autograd, np
>>> from ndgrad.gluon import nn, Trainer
>>> net = nn.Dense(1, in_units=2, weight_initializer='zeros'); net.initialize()
>>> trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
>>> with autograd.record():
...     loss = net(np.array([[1., 2.]])).sum()
>>> loss.backward(); trainer.step(1)
>>> net.weight.data()
array([[-0.5, -1. ]])
"""

import weakref

import numpy

from .. import autograd, numpy as _np
from .._writes import CLOCK, written_since
from . import optimizer as opt
from .parameter import Parameter, ParameterDict

__all__ = ['Trainer']


def _device_values(array, copy=True):
    """The values the optimizer reads or updates (a copy where `copy`), on the array's
    device: NumPy's on the CPU, CuPy's on a GPU (the optimizers' NumPy calls dispatch
    to CuPy)."""
    data = array._data
    if type(data) is numpy.ndarray or array.ctx.device_type == 'gpu':
        return data.copy() if copy else data
    return array.asnumpy()  # (Dask data: computed)


def _grad_stamp(grad):
    """What tells whether backward wrote `grad` since: its memory (weakly referenced,
    since backward may replace a buffer nothing else holds) and the time."""
    return weakref.ref(grad._data), CLOCK[0]


def _written_after(grad, stamp):
    memory, time = stamp
    return grad._data is not memory() or written_since(grad._data, time)


class Trainer:
    """Applies an Optimizer on a set of Parameters.

    ``Trainer(params, optimizer, optimizer_params=None, kvstore='device',
    compression_params=None, update_on_kvstore=None)``: `params` is a ParameterDict
    (``net.collect_params()``), a dict or a list of Parameters; `optimizer` a name
    ('sgd', 'nag', 'adam', 'adagrad', 'rmsprop', 'adadelta') with `optimizer_params`
    (``{'learning_rate': 0.1, 'wd': 1e-4, 'momentum': 0.9, ...}``), or an Optimizer.
    The kvstore arguments are accepted and unused (one device).

    >>> from ndgrad.gluon import Parameter
    >>> w = Parameter('w', shape=(1,), init='ones'); w.initialize()
    >>> Trainer([w], 'adam', {'learning_rate': 0.01}).learning_rate
    0.01
    """

    def __init__(
        self,
        params,
        optimizer,
        optimizer_params=None,
        kvstore='device',
        compression_params=None,
        update_on_kvstore=None,
    ):
        if isinstance(params, (dict, ParameterDict)):
            params = list(params.values())
        if not isinstance(params, (list, tuple)):
            raise ValueError(
                f'First argument must be a list or dict of Parameters, got {type(params)}.'
            )
        self._params = []
        seen = set()
        for param in params:
            if not isinstance(param, Parameter):
                raise ValueError(
                    f'First argument must be a list or dict of Parameters, got '
                    f'list of {type(param)}.'
                )
            if id(param) not in seen:
                seen.add(id(param))
                self._params.append(param)
                param._trainer = self
        optimizer_params = dict(optimizer_params or {})
        self._scale = float(optimizer_params.get('rescale_grad', 1.0))
        self._init_optimizer(optimizer, optimizer_params)
        self._states = {}
        self._stamps = {}

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise ValueError(
                    'optimizer_params must be None if optimizer is an instance '
                    'of Optimizer instead of str'
                )
            self._optimizer = optimizer
            optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)

    @property
    def optimizer(self):
        """The Optimizer."""
        return self._optimizer

    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr):
        """Set the learning rate of the optimizer."""
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size, ignore_stale_grad=False):
        """One optimization step: gradients are rescaled by 1/batch_size. A parameter
        whose gradient backward did not write since the last step raises UserWarning,
        or is skipped with ``ignore_stale_grad=True``."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum the gradients over devices: one device, so nothing to do."""

    def update(self, batch_size, ignore_stale_grad=False):
        """The update of `step` without `allreduce_grads`."""
        self.step(batch_size, ignore_stale_grad)

    def _update(self, ignore_stale_grad):
        updates = []
        for index, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            grad = param.grad()  # (raises if the parameter is not initialized)
            stamp = self._stamps.get(index)
            if stamp is not None and not _written_after(grad, stamp):
                if not ignore_stale_grad:
                    raise UserWarning(
                        f'Gradient of Parameter `{param.name}` on context {param.list_ctx()[0]} '
                        f'has not been '
                        f'updated by backward since last `step`. This could mean a bug in '
                        f'your model that made it only use a subset of the Parameters '
                        f'(Blocks) for this iteration. If you are intentionally only using a '
                        f'subset, call step with ignore_stale_grad=True to suppress this '
                        f'warning and skip updating of Parameters with stale gradient'
                    )
                continue
            updates.append((index, param, grad))
        with autograd.pause():
            for index, param, grad in updates:
                data = param.data()
                weight, grad = _device_values(data), _device_values(grad, copy=False)
                if index not in self._states:
                    self._states[index] = self._optimizer.create_state(index, weight)
                self._optimizer.update(index, weight, grad, self._states[index])
                data[...] = _np.array(weight) if type(weight) is not numpy.ndarray else weight
                self._stamps[index] = _grad_stamp(param.grad())

    def save_states(self, fname):
        """Save the optimizer's state (momenta, moments, update counts) to `fname`."""
        import pickle

        with open(fname, 'wb') as f:
            pickle.dump(
                {
                    'states': self._states,
                    'counts': self._optimizer._index_update_count,
                    'num_update': self._optimizer.num_update,
                },
                f,
            )

    def load_states(self, fname):
        """Load the state `save_states` saved."""
        import pickle

        with open(fname, 'rb') as f:
            saved = pickle.load(f)
        self._states = saved['states']
        self._optimizer._index_update_count = saved['counts']
        self._optimizer.num_update = saved['num_update']

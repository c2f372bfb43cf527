"""Basic layers: containers, Dense, Dropout, normalization, Embedding, Flatten, Lambda.

>>> from ndgrad import np
>>> from ndgrad.gluon import nn
>>> net = nn.Sequential()
>>> net.add(nn.Dense(3, activation='relu'), nn.Dense(1))
>>> net.initialize()
>>> net(np.ones((2, 4))).shape
(2, 1)
"""

import math
import warnings

from ... import npx as _npx, numpy as _np
from ..block import Block, HybridBlock
from ..utils import indent
from .activations import Activation

__all__ = [
    'BatchNorm',
    'Dense',
    'Dropout',
    'Embedding',
    'Flatten',
    'HybridLambda',
    'HybridSequential',
    'Lambda',
    'LayerNorm',
    'Sequential',
]


class _Stack:
    """What Sequential and HybridSequential share: add, forward, indexing, len, iteration,
    repr."""

    def add(self, *blocks):
        """Append blocks to the stack."""
        for block in blocks:
            self.register_child(block)

    def forward(self, x):
        for block in self._children.values():
            x = block(x)
        return x

    def __repr__(self):
        modstr = '\n'.join(
            f'  ({key}): {indent(repr(block), 2)}' for key, block in self._children.items()
        )
        return f'{self.__class__.__name__}(\n{modstr}\n)'

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if not isinstance(layers, list):
            return layers
        net = type(self)(prefix=self._prefix)
        with net.name_scope():
            net.add(*layers)
        return net

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.values())


class Sequential(_Stack, Block):
    """Stacks Blocks sequentially: the output of each is the input of the next.

    >>> net = Sequential(); net.add(Dense(2, in_units=3), Dense(1)); net
    Sequential(
      (0): Dense(3 -> 2, linear)
      (1): Dense(-1 -> 1, linear)
    )
    """

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(
                f"All children of this Sequential layer '{self.prefix}' are "
                f'HybridBlocks. Consider using HybridSequential for the best '
                f'performance.',
                stacklevel=2,
            )
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """Stacks HybridBlocks sequentially.

    >>> net = HybridSequential(); net.add(Dense(2), Dense(1)); len(net)
    2
    """


def deferred_parameter(block, name, shape, init, **kwargs):
    """`block`'s parameter `name` (`kwargs`: Parameter's other arguments), its unknown
    dimensions (0) inferred at the first call.

    >>> deferred_parameter(HybridSequential(prefix='net_'), 'w', (0, 3), 'ones')
    Parameter net_w (shape=(-1, 3), dtype=<class 'numpy.float32'>)
    """
    return block.params.get(name, shape=shape, init=init, allow_deferred_init=True, **kwargs)


def fully_connected(x, weight, bias=None, flatten=True):
    """``x · weightᵀ + bias``; with `flatten`, x is first reshaped to (batch, -1)."""
    if flatten and x.ndim != 2:
        x = _np.reshape(x, (x.shape[0], -1))
    out = _np.dot(x, _np.transpose(weight))
    return out if bias is None else out + bias


class Dense(HybridBlock):
    """A fully connected layer: ``activation(x · weightᵀ + bias)``, weight of shape
    (units, in_units). `in_units` (default: inferred at the first call) is the size
    of each example, all axes but the first together (``flatten=True``) or the last
    axis (``flatten=False``).

    >>> layer = Dense(2, in_units=3, weight_initializer='ones'); layer.initialize()
    >>> layer(np.ones((1, 3)))
    array([[3., 3.]])
    """

    def __init__(self, units, activation=None, use_bias=True,
                 flatten=True, dtype='float32', weight_initializer=None,
                 bias_initializer='zeros', in_units=0, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = deferred_parameter(
                self, 'weight', (units, in_units), weight_initializer, dtype=dtype
            )
            if use_bias:
                self.bias = deferred_parameter(
                    self, 'bias', (units,), bias_initializer, dtype=dtype
                )
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')
            else:
                self.act = None

    def infer_shape(self, x, *args):
        in_units = math.prod(x.shape[1:]) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F, x, weight, bias=None):
        out = fully_connected(x, weight, bias, self._flatten)
        return out if self.act is None else self.act(out)

    def __repr__(self):
        shape = self.weight.shape
        layout = f'{shape[1] if shape[1] else None} -> {shape[0]}'
        return f'{self.__class__.__name__}({layout}, {self.act if self.act else "linear"})'


class Dropout(HybridBlock):
    """Zero each entry with probability `rate` (scaling the others by 1/(1 - rate))
    in training mode (``autograd.record()``); the identity when predicting. `axes`
    share one draw along them.

    >>> Dropout(0.5)(np.ones(3))   # not recording: unchanged
    array([1., 1., 1.])
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.npx.dropout(x, p=self._rate, axes=self._axes or None)
        return x

    def __repr__(self):
        return f'{self.__class__.__name__}(p = {self._rate}, axes={self._axes})'


def _channel_param(block, name, in_channels, init, learned, differentiable=None):
    """A normalization layer's per-channel parameter of shape ``(in_channels,)``, its
    shape deferred to the first call; ``grad_req='null'`` unless `learned`, and
    differentiable only when `learned` unless `differentiable` says otherwise."""
    return deferred_parameter(
        block,
        name,
        (in_channels,),
        init,
        grad_req='write' if learned else 'null',
        differentiable=learned if differentiable is None else differentiable,
    )


class BatchNorm(HybridBlock):
    """Batch normalization over every axis but `axis` (the channels), with learned
    scale `gamma` and shift `beta` and running statistics for prediction.

    In training mode (``autograd.record()`` or ``autograd.train_mode()``) the batch's
    mean and variance are used and the running ones updated:
    ``running = momentum·running + (1 - momentum)·batch``; when predicting the running
    ones are used. ``scale=False`` fixes gamma at 1, ``center=False`` beta at 0.

    >>> bn = BatchNorm(); bn.initialize()
    >>> bn(np.array([[1.], [3.]]))   # predicting: running mean 0, variance 1
    array([[0.999995],
           [2.999985]])
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, fuse_relu=False, beta_initializer='zeros',
                 gamma_initializer='ones', running_mean_initializer='zeros',
                 running_variance_initializer='ones', in_channels=0, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if fuse_relu:
            raise NotImplementedError(
                'BatchNorm: fuse_relu=True is not supported; add an '
                "Activation('relu') after the layer"
            )
        self._kwargs = {
            'axis': axis,
            'eps': epsilon,
            'momentum': momentum,
            'fix_gamma': not scale,
            'use_global_stats': use_global_stats,
        }
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = _channel_param(self, 'gamma', in_channels, gamma_initializer, scale)
        self.beta = _channel_param(self, 'beta', in_channels, beta_initializer, center)
        self.running_mean = _channel_param(
            self, 'running_mean', in_channels, running_mean_initializer, False
        )
        self.running_var = _channel_param(
            self, 'running_var', in_channels, running_variance_initializer, False
        )

    def infer_shape(self, x, *args):
        channels = x.shape[self._kwargs['axis']]
        for param in (self.gamma, self.beta, self.running_mean, self.running_var):
            param.shape = (channels,)

    def cast(self, dtype):
        if str(dtype) == 'float16':
            dtype = 'float32'
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.npx.batch_norm(x, gamma, beta, running_mean, running_var, **self._kwargs)

    def __repr__(self):
        in_channels = self.gamma.shape[0]
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return (
            f'{self.__class__.__name__}({content}, '
            f'in_channels={in_channels if in_channels else None})'
        )


class LayerNorm(HybridBlock):
    """Layer normalization along `axis`: ``(x - mean)/sqrt(var + epsilon)·gamma + beta``.

    >>> ln = LayerNorm(); ln.initialize()
    >>> ln(np.array([[1., 3.]]))
    array([[-0.999995,  0.999995]])
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-5,
        center=True,
        scale=True,
        beta_initializer='zeros',
        gamma_initializer='ones',
        in_channels=0,
        prefix=None,
        params=None,
    ):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        # (unlike BatchNorm's, a fixed gamma or beta stays differentiable)
        self.gamma = _channel_param(
            self, 'gamma', in_channels, gamma_initializer, scale, differentiable=True
        )
        self.beta = _channel_param(
            self, 'beta', in_channels, beta_initializer, center, differentiable=True
        )

    def infer_shape(self, x, *args):
        channels = x.shape[self._axis]
        self.gamma.shape = (channels,)
        self.beta.shape = (channels,)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.npx.layer_norm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return f'{self.__class__.__name__}({content}, in_channels={self.gamma.shape[0]})'


class Embedding(HybridBlock):
    """Turn integer indices into vectors: row ``i`` of the (input_dim, output_dim) weight.

    >>> emb = Embedding(4, 2, weight_initializer='ones'); emb.initialize()
    >>> emb(np.array([0, 3])).shape
    (2, 2)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        dtype='float32',
        weight_initializer=None,
        sparse_grad=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._kwargs = {
            'input_dim': input_dim,
            'output_dim': output_dim,
            'dtype': dtype,
            'sparse_grad': sparse_grad,
        }
        self.weight = deferred_parameter(
            self, 'weight', (input_dim, output_dim), weight_initializer, dtype=dtype
        )

    def hybrid_forward(self, F, x, weight):
        return F.npx.embedding(
            x, weight, input_dim=self._kwargs['input_dim'], output_dim=self._kwargs['output_dim']
        )

    def __repr__(self):
        return (
            f'{self.__class__.__name__}({self._kwargs["input_dim"]} -> '
            f'{self._kwargs["output_dim"]}, {self._kwargs["dtype"]})'
        )


class Flatten(HybridBlock):
    """Reshape to (batch, -1).

    >>> Flatten()(np.zeros((2, 3, 4))).shape
    (2, 12)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def hybrid_forward(self, F, x):
        return F.npx.batch_flatten(x)

    def __repr__(self):
        return self.__class__.__name__


def _named_function(function):
    """An np or npx function given by name."""
    for namespace in (_np, _npx):
        if hasattr(namespace, function):
            return getattr(namespace, function)
    raise ValueError(f'Function name {function} is not found in ndgrad.np or ndgrad.npx.')


class Lambda(Block):
    """Wrap a function (or the name of an np/npx function) as a Block.

    >>> Lambda(lambda x: x + 1)(np.zeros(2))
    array([1., 1.])
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            self._func_impl = _named_function(function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(
                f'Unrecognized function in lambda: {function} of type {type(function)}'
            )

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return f'{self.__class__.__name__}({self._func_impl.__name__})'


class HybridLambda(HybridBlock):
    """Wrap ``function(F, x, *args)`` (or the name of an np/npx function) as a HybridBlock.

    >>> HybridLambda(lambda F, x: F.npx.relu(x))(np.array([-1., 1.]))
    array([0., 1.])
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            named = _named_function(function)
            self._func = lambda F, *args: named(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(
                f'Unrecognized function in lambda: {function} of type {type(function)}'
            )

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return f'{self.__class__.__name__}({self._func_name})'

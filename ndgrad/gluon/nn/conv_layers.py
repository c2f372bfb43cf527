"""Convolution and pooling layers, calling ``npx.convolution``, ``npx.deconvolution`` and
``npx.pooling`` with MXNet 1.9's arguments. Layouts: NCW / NCHW (channels first) and
NWC / NHWC for convolutions; the input channels are inferred at the first call.

>>> from ndgrad import np
>>> from ndgrad.gluon import nn
>>> nn.Conv2D(6, kernel_size=5, padding=2, activation='sigmoid')
Conv2D(-1 -> 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), Activation(sigmoid))
>>> nn.MaxPool2D(3, strides=2)
MaxPool2D(size=(3, 3), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, \
pool_type=max, layout=NCHW)
"""

import inspect
from numbers import Number

from ..block import HybridBlock
from .activations import Activation
from .basic_layers import deferred_parameter

__all__ = [
    'AvgPool1D',
    'AvgPool2D',
    'Conv1D',
    'Conv1DTranspose',
    'Conv2D',
    'Conv2DTranspose',
    'GlobalAvgPool1D',
    'GlobalAvgPool2D',
    'GlobalMaxPool1D',
    'GlobalMaxPool2D',
    'MaxPool1D',
    'MaxPool2D',
]


def _tuple(value, n, name):
    if isinstance(value, Number):
        return (int(value),) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f'{name} must be a number or a list of {n} ints, got {value}')
    return value


def _npx_op(F, name):
    op = getattr(F.npx, name, None)
    if op is None:
        raise NotImplementedError(f'npx.{name} is not available in this version of ndgrad')
    return op


def _check_layout(name, layout, allowed):
    if layout not in allowed:
        raise ValueError(f'{name}: layout must be {" or ".join(allowed)}, got {layout!r}')


class _Conv(HybridBlock):
    """N-d convolution: weight and bias, then an activation, with MXNet's arguments.

    `kernel_size`, `strides`, `padding` and `dilation` are a number or one per spatial
    axis of `layout`, which is one of the class's `_layouts` (the first by default);
    `in_channels` of 0 is inferred at the first call. A transposed convolution
    (`_ConvTranspose`) takes `output_padding` after `padding`.
    """

    _op_name = 'convolution'
    _layouts: tuple[str, ...]
    _output_padding = None

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout=None, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, prefix=None, params=None):  # fmt: skip
        layout = self._layouts[0] if layout is None else layout
        _check_layout(type(self).__name__, layout, self._layouts)
        n = len(layout) - 2
        kernel_size = _tuple(kernel_size, n, 'kernel_size')
        super().__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._kwargs = {
                'kernel': kernel_size,
                'stride': _tuple(strides, n, 'strides'),
                'dilate': _tuple(dilation, n, 'dilation'),
                'pad': _tuple(padding, n, 'padding'),
                'num_filter': channels,
                'num_group': groups,
                'no_bias': not use_bias,
                'layout': layout,
            }
            if self._output_padding is not None:
                self._kwargs['adj'] = _tuple(self._output_padding, n, 'output_padding')
            self.weight = deferred_parameter(
                self, 'weight', self._weight_shape(in_channels), weight_initializer
            )
            if use_bias:
                self.bias = deferred_parameter(self, 'bias', (channels,), bias_initializer)
            else:
                self.bias = None
            self.act = (
                None if activation is None else Activation(activation, prefix=activation + '_')
            )

    def _weight_shape(self, in_channels):
        kernel, groups = tuple(self._kwargs['kernel']), self._kwargs['num_group']
        per_group = in_channels // groups if in_channels > 0 else 0
        if self._kwargs['layout'].endswith('C'):  # NWC, NHWC
            return (self._channels,) + kernel + (per_group,)
        return (self._channels, per_group) + kernel

    def infer_shape(self, x, *args):
        in_channels = x.shape[self._kwargs['layout'].find('C')]
        self.weight.shape = self._weight_shape(in_channels)

    def hybrid_forward(self, F, x, weight, bias=None):
        op = _npx_op(F, self._op_name)
        out = op(x, weight, bias, **self._kwargs)
        return out if self.act is None else self.act(out)

    def _alias(self):
        return 'conv'

    def __repr__(self):
        kw = self._kwargs
        n = len(kw['kernel'])
        s = (
            f'{self.__class__.__name__}({{mapping}}, kernel_size={kw["kernel"]}, '
            f'stride={kw["stride"]}'
        )
        if kw['pad'] != (0,) * n:
            s += f', padding={kw["pad"]}'
        if kw['dilate'] != (1,) * n:
            s += f', dilation={kw["dilate"]}'
        if kw.get('adj', (0,) * n) != (0,) * n:
            s += f', output_padding={kw["adj"]}'
        if kw['num_group'] != 1:
            s += f', groups={kw["num_group"]}'
        if self.bias is None:
            s += ', bias=False'
        if self.act:
            s += f', {self.act}'
        return s.format(mapping=self._mapping(self.weight.shape)) + ')'

    def _mapping(self, shape):
        """'in -> out' channels for the repr, read from the weight's `shape`."""
        known = shape[-1] if self._kwargs['layout'].endswith('C') else shape[1]  # NWC, NHWC
        return f'{known if known else None} -> {shape[0]}'


def _with_output_padding(signature):
    """A convolution's signature with `output_padding` after `padding`, for help()."""
    params = list(signature.parameters.values())
    at = list(signature.parameters).index('padding') + 1
    extra = inspect.Parameter('output_padding', inspect.Parameter.POSITIONAL_OR_KEYWORD, default=0)
    return signature.replace(parameters=params[:at] + [extra] + params[at:])


class _ConvTranspose(_Conv):
    """N-d transposed convolution (the gradient of a convolution with respect to its
    data); weight (in_channels, channels / groups, *kernel). Arguments as `_Conv`'s, with
    `output_padding` (added to one side of each spatial axis of the output) after
    `padding`, as in MXNet."""

    _op_name = 'deconvolution'

    def __init__(
        self, channels, kernel_size, strides=1, padding=0, output_padding=0, *args, **kwargs
    ):
        self._output_padding = output_padding
        super().__init__(channels, kernel_size, strides, padding, *args, **kwargs)

    __signature__ = _with_output_padding(inspect.signature(_Conv))

    def _weight_shape(self, in_channels):
        kernel, groups = tuple(self._kwargs['kernel']), self._kwargs['num_group']
        return (max(in_channels, 0), self._channels // groups) + kernel

    def _mapping(self, shape):  # (weight: in_channels, channels / groups, *kernel)
        return f'{shape[0]} -> {self._channels}'


class Conv1D(_Conv):
    """1-d convolution over (batch, channels, width) inputs; layout 'NCW' or 'NWC'.

    >>> Conv1D(4, 3, in_channels=2).weight.shape
    (4, 2, 3)
    """

    _layouts = ('NCW', 'NWC')


class Conv2D(_Conv):
    """2-d convolution over (batch, channels, height, width) inputs; layout 'NCHW' or
    'NHWC'.

    >>> Conv2D(4, (3, 2), in_channels=2).weight.shape
    (4, 2, 3, 2)
    """

    _layouts = ('NCHW', 'NHWC')


class Conv1DTranspose(_ConvTranspose):
    """1-d transposed convolution (NCW); weight (in_channels, channels, kernel).

    >>> Conv1DTranspose(4, 3, in_channels=2).weight.shape
    (2, 4, 3)
    """

    _layouts = ('NCW',)


class Conv2DTranspose(_ConvTranspose):
    """2-d transposed convolution (NCHW); weight (in_channels, channels, kh, kw).

    >>> Conv2DTranspose(4, 3, in_channels=2).weight.shape
    (2, 4, 3, 3)
    """

    _layouts = ('NCHW',)


class _Pooling(HybridBlock):
    """Max or average pooling (`_pool_type`) over windows, or over the whole of each
    channel where `_global_pool`; `pool_size` and `padding` span the layout's spatial axes."""

    _pool_type = 'max'
    _global_pool = False

    def __init__(
        self, pool_size, strides, padding, ceil_mode, layout, count_include_pad=None, **kwargs
    ):
        n = len(layout) - 2
        pool_size = _tuple(pool_size, n, 'pool_size')
        super().__init__(**kwargs)
        strides = pool_size if strides is None else strides
        self._kwargs = {
            'kernel': pool_size,
            'stride': _tuple(strides, n, 'strides'),
            'pad': _tuple(padding, n, 'padding'),
            'global_pool': self._global_pool,
            'pool_type': self._pool_type,
            'layout': layout,
            'pooling_convention': 'full' if ceil_mode else 'valid',
        }
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return _npx_op(F, 'pooling')(x, **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return (
            f'{self.__class__.__name__}(size={kw["kernel"]}, stride={kw["stride"]}, '
            f'padding={kw["pad"]}, ceil_mode={kw["pooling_convention"] == "full"}, '
            f'global_pool={kw["global_pool"]}, pool_type={kw["pool_type"]}, '
            f'layout={kw["layout"]})'
        )


class MaxPool1D(_Pooling):
    """Max over windows of `pool_size` along the width (strides default to pool_size).

    >>> MaxPool1D()(np.array([[[1., 3., 2., 0.]]]))
    array([[[3., 2.]]])
    """

    def __init__(
        self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False, **kwargs
    ):
        _check_layout('MaxPool1D', layout, ('NCW', 'NWC'))
        super().__init__(pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool2D(_Pooling):
    """Max over `pool_size` windows of (batch, channels, height, width) inputs.

    >>> MaxPool2D(2)(np.arange(16.).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    def __init__(
        self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW', ceil_mode=False, **kwargs
    ):
        _check_layout('MaxPool2D', layout, ('NCHW', 'NHWC'))
        super().__init__(pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool1D(_Pooling):
    """Mean over windows along the width; padded entries count unless
    ``count_include_pad=False``.

    >>> AvgPool1D()(np.array([[[1., 3., 2., 0.]]]))
    array([[[2., 1.]]])
    """

    _pool_type = 'avg'

    def __init__(
        self,
        pool_size=2,
        strides=None,
        padding=0,
        layout='NCW',
        ceil_mode=False,
        count_include_pad=True,
        **kwargs,
    ):
        _check_layout('AvgPool1D', layout, ('NCW', 'NWC'))
        super().__init__(
            pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs
        )


class AvgPool2D(_Pooling):
    """Mean over `pool_size` windows of (batch, channels, height, width) inputs.

    >>> AvgPool2D(2)(np.arange(16.).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    _pool_type = 'avg'

    def __init__(
        self,
        pool_size=(2, 2),
        strides=None,
        padding=0,
        ceil_mode=False,
        layout='NCHW',
        count_include_pad=True,
        **kwargs,
    ):
        _check_layout('AvgPool2D', layout, ('NCHW', 'NHWC'))
        super().__init__(
            pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs
        )


class GlobalMaxPool1D(_Pooling):
    """Max over the whole width: (batch, channels, 1).

    >>> GlobalMaxPool1D()(np.array([[[1., 3., 2.]]]))
    array([[[3.]]])
    """

    _global_pool = True

    def __init__(self, layout='NCW', **kwargs):
        _check_layout('GlobalMaxPool1D', layout, ('NCW', 'NWC'))
        super().__init__(1, None, 0, True, layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """Max over each whole channel: (batch, channels, 1, 1).

    >>> GlobalMaxPool2D()(np.arange(8.).reshape(1, 2, 2, 2)).shape
    (1, 2, 1, 1)
    """

    _global_pool = True

    def __init__(self, layout='NCHW', **kwargs):
        _check_layout('GlobalMaxPool2D', layout, ('NCHW', 'NHWC'))
        super().__init__(1, None, 0, True, layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """Mean over the whole width: (batch, channels, 1).

    >>> GlobalAvgPool1D()(np.array([[[1., 3., 2.]]]))
    array([[[2.]]])
    """

    _pool_type, _global_pool = 'avg', True

    def __init__(self, layout='NCW', **kwargs):
        _check_layout('GlobalAvgPool1D', layout, ('NCW', 'NWC'))
        super().__init__(1, None, 0, True, layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """Mean over each whole channel: (batch, channels, 1, 1).

    >>> GlobalAvgPool2D()(np.arange(8.).reshape(1, 2, 2, 2))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """

    _pool_type, _global_pool = 'avg', True

    def __init__(self, layout='NCHW', **kwargs):
        _check_layout('GlobalAvgPool2D', layout, ('NCHW', 'NHWC'))
        super().__init__(1, None, 0, True, layout, **kwargs)

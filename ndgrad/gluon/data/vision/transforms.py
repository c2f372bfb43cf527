"""Image transforms of ``gluon.data.vision.transforms``: ToTensor, Resize, Normalize, Compose.

Images are ``(H, W, C)`` arrays (or ``(N, H, W, C)`` batches) until `ToTensor` makes them
``(C, H, W)`` float32 in [0, 1]; `Normalize` works on that layout. Each transform takes an
ndgrad or a NumPy array and returns an ndgrad array. They act on data, not on recorded
values: no gradient flows through them.

>>> from ndgrad import np
>>> from ndgrad.gluon.data.vision import transforms
>>> image = np.full((4, 6, 1), 255, dtype='uint8')
>>> t = transforms.Compose([transforms.Resize(2), transforms.ToTensor(),
...                         transforms.Normalize(0.5, 0.5)])
>>> t(image)
array([[[1., 1.],
        [1., 1.]]])
"""

import numpy

from .... import numpy as _np

__all__ = ['Compose', 'Normalize', 'Resize', 'ToTensor']

# OpenCV's codes, which Gluon's Resize takes
NEAREST, BILINEAR = 0, 1
# OpenCV's fixed-point weights for 8-bit bilinear resizing (INTER_RESIZE_COEF_BITS)
_COEF_BITS = 11


def _values(x):
    return numpy.asarray(x)


def _image_shape_error(name, layout, shape):
    return ValueError(
        f'{name} takes an image of shape {layout} or a batch of them '
        f'(N, {layout[1:]}; got an array of shape {shape}'
    )


class Transform:
    """A callable image transform (``transform(x)`` calls ``forward(x)``)."""

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f'{type(self).__name__} must define forward')

    def __repr__(self):
        args = ', '.join(f'{k.lstrip("_")}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


class Compose(Transform):
    """The transforms applied one after the other.

    >>> Compose([ToTensor()])(np.zeros((2, 2, 3), dtype='uint8')).shape
    (3, 2, 2)
    """

    def __init__(self, transforms):
        self._transforms = list(transforms)
        for t in self._transforms:
            if not callable(t):
                raise TypeError(f'Compose takes callables; got {type(t).__name__}')

    def forward(self, x):
        for t in self._transforms:
            x = t(x)
        return x

    def __repr__(self):
        return 'Compose(\n' + ''.join(f'  {t!r}\n' for t in self._transforms) + ')'


class ToTensor(Transform):
    """``(H, W, C)`` image (uint8 in [0, 255]) to a ``(C, H, W)`` float32 array in [0, 1]
    (``(N, H, W, C)`` to ``(N, C, H, W)``): Gluon divides every dtype by 255.

    >>> ToTensor()(np.full((1, 2, 1), 51, dtype='uint8'))
    array([[[0.2, 0.2]]])
    """

    def forward(self, x):
        x = _values(x)
        if x.ndim not in (3, 4):
            raise _image_shape_error('ToTensor', '(H, W, C)', x.shape)
        out = numpy.moveaxis(x, -1, -3).astype(numpy.float32) / numpy.float32(255)
        return _np.array(out, dtype=numpy.float32)


class Normalize(Transform):
    """``(x - mean) / std`` per channel of a ``(C, H, W)`` (or ``(N, C, H, W)``) float
    array; `mean` and `std` are numbers or one value per channel.

    >>> Normalize((0., 1.), (1., 2.))(np.ones((2, 1, 1)))
    array([[[1.]],
    <BLANKLINE>
           [[0.]]])
    """

    def __init__(self, mean=0.0, std=1.0):
        self._mean = mean
        self._std = std

    def forward(self, x):
        x = _values(x)
        if x.ndim not in (3, 4):
            raise _image_shape_error('Normalize', '(C, H, W)', x.shape)
        if x.dtype.kind != 'f':
            raise TypeError(
                f'Normalize takes a float array (C, H, W); got dtype {x.dtype}. '
                f'Apply ToTensor first.'
            )
        channels = x.shape[-3]
        mean, std = (
            self._per_channel(v, name, channels)
            for v, name in ((self._mean, 'mean'), (self._std, 'std'))
        )
        out = (x - mean.astype(x.dtype)) / std.astype(x.dtype)
        return _np.array(out, dtype=x.dtype)

    @staticmethod
    def _per_channel(value, name, channels):
        value = numpy.asarray(value, dtype=numpy.float64).reshape(-1)
        if value.size not in (1, channels):
            raise ValueError(
                f'Normalize: {name} has {value.size} values but the image has '
                f'{channels} channels; give one value or one per channel'
            )
        return value.reshape(-1, 1, 1)


class Resize(Transform):
    """Resize an ``(H, W, C)`` image (or an ``(N, H, W, C)`` batch) to `size`, as Gluon
    does with OpenCV.

    `size` is ``(width, height)``, or one number for a square; with ``keep_ratio=True``
    one number is the new length of the shorter side, the other side scaled to match
    (rounded down). `interpolation` is OpenCV's code: 1 bilinear (the default, with
    OpenCV's pixel-centre alignment and its 8-bit rounding), 0 nearest.

    >>> Resize((3, 1))(np.array([[[0], [90]]], dtype='uint8'))[..., 0]
    array([[ 0, 45, 90]], dtype=uint8)
    """

    def __init__(self, size, keep_ratio=False, interpolation=BILINEAR):
        if isinstance(size, (tuple, list)):
            if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
                raise ValueError(
                    f'Resize size must be a positive int or (width, height); got {size!r}'
                )
        elif not (isinstance(size, int) and size > 0):
            raise ValueError(f'Resize size must be a positive int or (width, height); got {size!r}')
        if interpolation not in (NEAREST, BILINEAR):
            raise NotImplementedError(
                f'Resize supports interpolation=1 (bilinear) and 0 (nearest); got {interpolation!r}'
            )
        self._size = size
        self._keep_ratio = keep_ratio
        self._interpolation = interpolation

    def output_size(self, height, width):
        """The ``(height, width)`` an image of that size is resized to."""
        if not isinstance(self._size, int):
            return self._size[1], self._size[0]
        if not self._keep_ratio:
            return self._size, self._size
        if height <= width:
            return self._size, int(width * self._size / height)
        return int(height * self._size / width), self._size

    def forward(self, x):
        x = _values(x)
        if x.ndim not in (3, 4):
            raise _image_shape_error('Resize', '(H, W, C)', x.shape)
        height, width = self.output_size(*x.shape[-3:-1])
        if self._interpolation == NEAREST:
            rows = _nearest_indices(x.shape[-3], height)
            cols = _nearest_indices(x.shape[-2], width)
            out = x[..., rows, :, :][..., cols, :]
        elif x.dtype == numpy.uint8:
            out = _bilinear_uint8(x, height, width)
        else:
            out = _bilinear_float(x, height, width)
        return _np.array(out, dtype=x.dtype)


def _nearest_indices(size_in, size_out):
    scale = size_in / size_out
    return numpy.minimum(
        numpy.floor(numpy.arange(size_out) * scale).astype(numpy.int64), size_in - 1
    )


def _linear_taps(size_in, size_out, clamp_weights=True):
    """OpenCV's bilinear sampling along one axis: for each output index the two input
    indices and the weight of the second (pixel centres aligned, indices clamped at the
    edges). OpenCV zeroes the weight of a clamped index along the width but not along
    the height, which changes the 8-bit rounding of the first and last rows."""
    scale = 1.0 / (size_out / size_in)
    pos = ((numpy.arange(size_out) + 0.5) * scale - 0.5).astype(numpy.float32)
    low = numpy.floor(pos).astype(numpy.int64)
    frac = (pos - low).astype(numpy.float32)
    if clamp_weights:
        frac[low < 0] = 0
        frac[low >= size_in - 1] = 0
    high = numpy.clip(low + 1, 0, size_in - 1)
    low = numpy.clip(low, 0, size_in - 1)
    return low, high, frac


def _bilinear_float(x, height, width):
    y0, y1, fy = _linear_taps(x.shape[-3], height)
    x0, x1, fx = _linear_taps(x.shape[-2], width)
    v = x.astype(numpy.float64)
    fy = fy.astype(numpy.float64)[:, None, None]
    rows = v[..., y0, :, :] * (1 - fy) + v[..., y1, :, :] * fy
    fx = fx.astype(numpy.float64)[:, None]
    return rows[..., x0, :] * (1 - fx) + rows[..., x1, :] * fx


def _fixed_weights(frac):
    scale = 1 << _COEF_BITS
    high = numpy.rint(frac * numpy.float32(scale)).astype(numpy.int64)
    low = numpy.rint((numpy.float32(1) - frac) * numpy.float32(scale)).astype(numpy.int64)
    return low, high


def _bilinear_uint8(x, height, width):
    """OpenCV's 8-bit path: weights in 11-bit fixed point, a horizontal pass kept in
    integers, a vertical pass that rounds, so results match it to the bit."""
    y0, y1, fy = _linear_taps(x.shape[-3], height, clamp_weights=False)
    x0, x1, fx = _linear_taps(x.shape[-2], width)
    ax0, ax1 = _fixed_weights(fx)
    by0, by1 = _fixed_weights(fy)
    v = x.astype(numpy.int64)
    cols = v[..., x0, :] * ax0[:, None] + v[..., x1, :] * ax1[:, None]
    top = (by0[:, None, None] * (cols[..., y0, :, :] >> 4)) >> 16
    bottom = (by1[:, None, None] * (cols[..., y1, :, :] >> 4)) >> 16
    return numpy.clip((top + bottom + 2) >> 2, 0, 255).astype(numpy.uint8)

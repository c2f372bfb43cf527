"""MXNet's ``mxnet.image`` helpers on ``(H, W, C)`` image arrays: resizing and cropping.

Reading and decoding image files (``imread``, ``imdecode``) needs an image codec, which
ndgrad does not have: they raise NotImplementedError saying how to load the image instead.

>>> from ndgrad import np
>>> from ndgrad.gluon.data.vision import image
>>> img = np.arange(24, dtype='uint8').reshape(4, 6, 1)
>>> image.fixed_crop(img, 1, 2, 3, 2)[..., 0]
array([[13, 14, 15],
       [19, 20, 21]], dtype=uint8)
"""

import random

from .transforms import BILINEAR, Resize

__all__ = ['center_crop', 'fixed_crop', 'imdecode', 'imread', 'imresize', 'random_crop']


def _no_codec(name):
    raise NotImplementedError(
        f'image.{name} decodes image files, which ndgrad cannot do. Load the image with '
        f'another library and convert it, e.g. np.array(matplotlib.pyplot.imread(path)) or '
        f'np.array(PIL.Image.open(path)): an (H, W, C) uint8 array.'
    )


def imread(filename, *args, **kwargs):
    """Not available: reading an image file needs a decoder (see the module docstring)."""
    _no_codec('imread')


def imdecode(buf, *args, **kwargs):
    """Not available: decoding an image needs a decoder (see the module docstring)."""
    _no_codec('imdecode')


def imresize(src, w, h, interp=BILINEAR):
    """`src` resized to width `w` and height `h` (interp 1: bilinear, 0: nearest).

    >>> imresize(np.zeros((4, 6, 3), dtype='uint8'), 3, 2).shape
    (2, 3, 3)
    """
    return Resize((w, h), interpolation=interp)(src)


def fixed_crop(src, x0, y0, w, h, size=None, interp=BILINEAR):
    """The ``h x w`` region of `src` at column `x0`, row `y0`; resized to `size`
    ``(width, height)`` if given."""
    out = src[y0 : y0 + h, x0 : x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, *size, interp=interp)
    return out


def random_crop(src, size, interp=BILINEAR):
    """A random region of `size` ``(width, height)`` (smaller if `src` is smaller,
    then resized to `size`); returns ``(image, (x0, y0, w, h))``."""
    h, w = src.shape[0], src.shape[1]
    new_w, new_h = min(w, size[0]), min(h, size[1])
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=BILINEAR):
    """The central region of `size` ``(width, height)``; returns ``(image, (x0, y0, w,
    h))``."""
    h, w = src.shape[0], src.shape[1]
    new_w, new_h = min(w, size[0]), min(h, size[1])
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)

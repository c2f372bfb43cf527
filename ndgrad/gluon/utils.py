"""Gluon's helpers: splitting a batch over devices, clipping gradients by their global norm.

A device ("context") is ``npx.cpu()``, ``npx.gpu(i)`` or None (the current context);
`split_and_load` gives one slice of the batch per context, each on its device.

>>> from ndgrad import np, npx
>>> from ndgrad.gluon import utils
>>> [x.shape for x in utils.split_and_load(np.zeros((4, 3)), [npx.cpu(), npx.cpu()])]
[(2, 3), (2, 3)]
"""

import itertools
import math
import warnings

import numpy

from .. import numpy as _np
from .._backend import as_context
from .._ndarray import ndarray

__all__ = ['check_sha1', 'clip_global_norm', 'download', 'split_and_load', 'split_data']


def contexts(ctx):
    """`ctx` (None: the current context; one context or a list of them) as a list of
    contexts. A GPU where there is none raises the RuntimeError of ``npx.gpu()``.

    >>> contexts(None), contexts(['cpu(0)', npx.cpu()])
    ([cpu(0)], [cpu(0), cpu(0)])
    """
    items = list(ctx) if isinstance(ctx, (list, tuple)) else [ctx]
    return [as_context(item) for item in items] or [as_context(None)]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """`data` split into `num_slice` slices along `batch_axis` (a list, even for one).

    >>> [s.shape for s in split_data(np.zeros((5, 2)), 2, even_split=False)]
    [(3, 2), (2, 2)]
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f'data with shape {data.shape} cannot be evenly split into {num_slice} slices '
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or "
            f'set even_split=False to allow uneven partitioning of data.'
        )
    if size < num_slice:
        raise ValueError(
            f'too many slices ({num_slice}) for data of shape {data.shape} '
            f'along axis {batch_axis}: use fewer contexts than examples'
        )
    each, extras = divmod(size, num_slice)
    sizes = [each + 1] * extras + [each] * (num_slice - extras)
    bounds = numpy.cumsum([0] + sizes)
    index = [slice(None)] * data.ndim
    slices = []
    for start, stop in itertools.pairwise(bounds):
        index[batch_axis] = slice(int(start), int(stop))
        slices.append(data[tuple(index)])
    return slices


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """`data` split along `batch_axis` into one slice per context of `ctx_list`.

    >>> len(split_and_load(np.zeros((4, 1)), [npx.cpu()]))
    1
    """
    if not isinstance(data, ndarray):
        data = _np.array(data)
    ctx_list = contexts(ctx_list)
    if len(ctx_list) == 1:
        return [data.as_in_ctx(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_ctx(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale `arrays` in place so that the 2-norm of all their entries together is at
    most `max_norm`; returns that norm before clipping (a float, or a 0-d array when
    ``check_isfinite=False``). A nan or inf norm warns.

    >>> g = [np.array([3., 0.]), np.array([4.])]
    >>> clip_global_norm(g, 1.0)
    5.0
    >>> g[0]
    array([0.6, 0. ])
    """
    if not arrays:
        raise ValueError('clip_global_norm: arrays is empty')
    total = math.sqrt(sum(float(numpy.vdot(a, a)) for a in map(numpy.asarray, arrays)))
    if check_isfinite and not math.isfinite(total):
        warnings.warn(
            UserWarning('nan or inf is detected. Clipping results will be undefined.'), stacklevel=2
        )
    scale = min(max_norm / (total + 1e-8), 1.0)
    for array in arrays:
        array *= scale
    return total if check_isfinite else _np.array(total)


def check_sha1(filename, sha1_hash):
    """Whether the file's SHA-1 digest is `sha1_hash`."""
    import hashlib

    sha1 = hashlib.sha1()
    with open(filename, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download `url` to `path` (a file or a folder; default: the URL's file name in
    the working folder), unless it is there already with the right digest."""
    import os
    import urllib.request

    fname = url.split('/')[-1] if path is None else path
    if os.path.isdir(fname):
        fname = os.path.join(fname, url.split('/')[-1])
    if overwrite or not os.path.exists(fname) or (sha1_hash and not check_sha1(fname, sha1_hash)):
        folder = os.path.dirname(os.path.abspath(fname))
        os.makedirs(folder, exist_ok=True)
        for attempt in range(retries):
            try:
                urllib.request.urlretrieve(url, fname)
                break
            except OSError:
                if attempt == retries - 1:
                    raise
        if sha1_hash and not check_sha1(fname, sha1_hash):
            raise UserWarning(
                f'File {fname} is downloaded but the content hash does not '
                f'match. The repo may be outdated or download may be '
                f'incomplete.'
            )
    return fname


def indent(text, spaces):
    """Every line of `text` but the first indented by `spaces` (MXNet's repr nesting)."""
    lines = text.split('\n')
    return '\n'.join(lines[:1] + [' ' * spaces + line for line in lines[1:]])


def brief_list(items, limit=7):
    """Quoted names joined by commas, the middle elided past `limit`."""
    items = list(items)
    if len(items) > limit:
        return (
            brief_list(items[: limit // 2], limit)
            + ', ..., '
            + brief_list(items[-limit // 2 :], limit)
        )
    return ', '.join(f"'{i}'" for i in items)


class HookHandle:
    """Detaches a forward hook registered on a block (also as a context manager).

    >>> hooks = {}; handle = HookHandle(); handle.attach(hooks, print); handle.detach()
    >>> hooks
    {}
    """

    def __init__(self):
        self._hooks = None
        self._id = None

    def attach(self, hooks, hook):
        if self._hooks is not None:
            raise RuntimeError('The same handle cannot be attached twice.')
        self._id = id(hook)
        hooks[self._id] = hook
        self._hooks = hooks

    def detach(self):
        if self._hooks is not None:
            self._hooks.pop(self._id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()

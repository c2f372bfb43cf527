"""Datasets: indexable collections of samples, as Gluon defines them.

A sample is one item (``SimpleDataset``) or a tuple (``ArrayDataset`` over several arrays:
``(features, label)``). ``transform`` and ``transform_first`` apply a function to each sample
when it is read (``lazy=True``) or once, up front.

>>> from ndgrad import np
>>> from ndgrad.gluon.data import ArrayDataset
>>> ds = ArrayDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 0]))
>>> len(ds), ds[1]
(3, (array([2., 3.]), np.float32(1.0)))
>>> ds.transform_first(lambda x: x * 10)[1][0]
array([20., 30.])
"""

from ..._ndarray import ndarray

__all__ = ['ArrayDataset', 'Dataset', 'SimpleDataset']


class Dataset:
    """The interface of a dataset: ``__getitem__(idx)`` and ``__len__()``."""

    def __getitem__(self, idx):
        raise NotImplementedError(f'{type(self).__name__} must define __getitem__')

    def __len__(self):
        raise NotImplementedError(f'{type(self).__name__} must define __len__')

    def transform(self, fn, lazy=True):
        """A dataset whose samples are ``fn(*sample)`` (``fn(sample)`` for a non-tuple).

        ``lazy=True`` calls `fn` each time a sample is read; ``lazy=False`` transforms
        every sample now and keeps the results.
        """
        if not callable(fn):
            raise TypeError(f'transform takes a function, not {type(fn).__name__}')
        transformed = _LazyTransformDataset(self, fn)
        return transformed if lazy else SimpleDataset([s for s in transformed])

    def transform_first(self, fn, lazy=True):
        """A dataset whose samples have `fn` applied to their first element only (the
        features, leaving the label as it is)."""
        if not callable(fn):
            raise TypeError(f'transform_first takes a function, not {type(fn).__name__}')
        return self.transform(_FirstElement(fn), lazy)

    def filter(self, fn):
        """The samples for which ``fn(sample)`` is true."""
        return SimpleDataset([self[i] for i in range(len(self)) if fn(self[i])])

    def take(self, count):
        """The first `count` samples (all of them when `count` is None or too large)."""
        count = len(self) if count is None else min(count, len(self))
        return self._at(range(count))

    def shard(self, num_shards, index):
        """Shard `index` of `num_shards` nearly equal contiguous parts (the first ones get
        one sample more when the length does not divide evenly)."""
        if not 0 <= index < num_shards:
            raise ValueError(f'shard index {index} out of range for {num_shards} shards')
        each, extra = divmod(len(self), num_shards)
        start = index * each + min(index, extra)
        return self._at(range(start, start + each + (index < extra)))

    def _at(self, indices):
        """The samples at `indices`, read when asked for: sample i is ``self[indices[i]]``."""
        return _LazyTransformDataset(indices, self.__getitem__)


class SimpleDataset(Dataset):
    """A dataset over a list, a NumPy array or an ndgrad array: ``ds[i]`` is ``data[i]``."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class ArrayDataset(Dataset):
    """Several arrays of the same length; sample ``i`` is the tuple of their ``i``-th
    items (or the item itself for one array).

    One-dimensional ndgrad arrays (labels) are kept as NumPy arrays, as Gluon does, so a
    sample's label is a NumPy scalar.
    """

    def __init__(self, *args):
        if not args:
            raise ValueError('ArrayDataset needs at least one array')
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueError(
                    f'all arrays of an ArrayDataset must have the same length: array 0 has '
                    f'length {self._length} while array {i} has {len(data)}'
                )
            if isinstance(data, ndarray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __len__(self):
        return self._length

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)


class _LazyTransformDataset(Dataset):
    """The samples of `data` through `fn` (``fn(*sample)``, ``fn(sample)`` for a
    non-tuple), computed each time one is read."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _FirstElement:
    """`fn` applied to the first element of a sample (picklable, unlike a lambda)."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, first, *rest):
        if rest:
            return (self._fn(first),) + rest
        return self._fn(first)

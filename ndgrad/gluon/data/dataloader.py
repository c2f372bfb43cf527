"""DataLoader: mini-batches of a dataset as ndgrad arrays, as Gluon's DataLoader gives them.

Samples are stacked along a new first axis keeping their dtype (float64 NumPy data stays
float64, uint8 images stay uint8, int32 labels stay int32); tuple samples give one batch per
element, as a list: ``for X, y in loader``.

``num_workers > 0`` reads and transforms the samples of the next batches in that many
threads (not processes), in order, while the current batch is used; ``pin_memory`` is
accepted and ignored (batches are made on the CPU; `as_in_ctx` moves them to a GPU).

>>> from ndgrad import np
>>> from ndgrad.gluon.data import ArrayDataset, DataLoader
>>> X, y = np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 1], dtype='int32')
>>> loader = DataLoader(ArrayDataset(X, y), batch_size=2)
>>> len(loader), [b.shape for b, _ in loader]
(3, [(2, 2), (2, 2), (1, 2)])
>>> next(iter(loader))[1]
array([0, 1], dtype=int32)
"""

import collections
import concurrent.futures

import numpy

from ... import numpy as _np
from ..._ndarray import ndarray
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ['DataLoader', 'default_batchify_fn']


def default_batchify_fn(data):
    """Stack a list of samples into a batch: arrays and numbers into one ndgrad array
    (their dtype kept), tuples element by element into a list of batches."""
    first = data[0]
    if isinstance(first, tuple):
        return [default_batchify_fn(list(column)) for column in zip(*data)]
    if isinstance(first, ndarray):
        stacked = numpy.stack([numpy.asarray(item) for item in data])
    else:
        stacked = numpy.asarray(data)
    return _np.array(stacked, dtype=stacked.dtype)


class DataLoader:
    """Iterate over `dataset` in mini-batches.

    Either give ``batch_size`` (with ``shuffle`` or a ``sampler`` of indices, and
    ``last_batch`` 'keep', 'discard' or 'rollover'), or a ``batch_sampler`` giving lists
    of indices. ``batchify_fn`` turns a list of samples into a batch
    (`default_batchify_fn` by default). ``timeout`` is how many seconds to wait for a
    batch prepared by a worker thread.
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None,
                 num_workers=0, pin_memory=False, pin_device_id=0, prefetch=None,
                 thread_pool=False, timeout=120, try_nopython=None):  # fmt: skip
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('DataLoader needs batch_size (or a batch_sampler)')
            if sampler is None:
                sampler = (
                    RandomSampler(len(dataset)) if shuffle else SequentialSampler(len(dataset))
                )
            elif shuffle:
                raise ValueError(
                    'give either shuffle=True or a sampler, not both: the sampler decides the order'
                )
            batch_sampler = BatchSampler(sampler, batch_size, last_batch or 'keep')
        elif batch_size is not None or shuffle or sampler is not None or last_batch:
            raise ValueError(
                'batch_size, shuffle, sampler and last_batch must not be given '
                'with a batch_sampler: it decides the batches itself'
            )
        if num_workers < 0:
            raise ValueError(f'num_workers must be 0 or more, not {num_workers}')
        self._batch_sampler = batch_sampler
        self._batchify_fn = batchify_fn or default_batchify_fn
        self._num_workers = int(num_workers)
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * num_workers)
        self._timeout = timeout

    def __len__(self):
        return len(self._batch_sampler)

    def _batch(self, indices):
        return self._batchify_fn([self._dataset[i] for i in indices])

    def __iter__(self):
        if self._num_workers == 0:
            for indices in self._batch_sampler:
                yield self._batch(indices)
            return
        yield from self._threaded()

    def _threaded(self):
        pool = concurrent.futures.ThreadPoolExecutor(self._num_workers)
        pending = collections.deque()
        batches = iter(self._batch_sampler)
        try:
            for indices in batches:
                pending.append(pool.submit(self._batch, indices))
                if len(pending) > self._prefetch:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)

    def _result(self, future):
        try:
            return future.result(timeout=self._timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(
                f'a DataLoader worker took more than {self._timeout} s to '
                f'prepare a batch; raise timeout= or check the dataset'
            ) from None

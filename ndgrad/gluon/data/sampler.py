"""Samplers: the order in which a DataLoader reads a dataset, and how it groups it into
batches.

>>> list(BatchSampler(SequentialSampler(5), 2, 'keep'))
[[0, 1], [2, 3], [4]]
>>> list(BatchSampler(SequentialSampler(5), 2, 'discard'))
[[0, 1], [2, 3]]
"""

import numpy

__all__ = ['BatchSampler', 'RandomSampler', 'Sampler', 'SequentialSampler']

LAST_BATCH = ('keep', 'discard', 'rollover')


class Sampler:
    """The interface of a sampler: iterating it gives indices (or lists of them)."""

    def __iter__(self):
        raise NotImplementedError(f'{type(self).__name__} must define __iter__')

    def __len__(self):
        raise NotImplementedError(f'{type(self).__name__} must define __len__')


class SequentialSampler(Sampler):
    """``start, start + 1, ..., start + length - 1``."""

    def __init__(self, length, start=0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``range(length)`` each pass (NumPy's global
    generator: ``np.random.seed`` makes it repeatable)."""

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        return iter(numpy.random.permutation(self._length).tolist())

    def __len__(self):
        return self._length


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`.

    ``last_batch`` says what happens to a last batch with fewer samples: ``'keep'`` it,
    ``'discard'`` it, or ``'rollover'`` its samples into the first batch of the next pass.
    """

    def __init__(self, sampler, batch_size, last_batch='keep'):
        if last_batch not in LAST_BATCH:
            raise ValueError(
                f"last_batch must be 'keep', 'discard' or 'rollover', not {last_batch!r}"
            )
        if not isinstance(batch_size, (int, numpy.integer)) or batch_size < 1:
            raise ValueError(f'batch_size must be a positive integer, not {batch_size!r}')
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = last_batch
        self._prev = []

    def __iter__(self):
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == 'keep':
                yield batch
            elif self._last_batch == 'rollover':
                self._prev = batch

    def __len__(self):
        if self._last_batch == 'keep':
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == 'discard':
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size

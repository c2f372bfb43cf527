"""Gluon's data API: datasets, samplers and the DataLoader (``gluon.data``), and the
vision datasets and transforms (``gluon.data.vision``).

>>> from ndgrad import np
>>> from ndgrad.gluon import data
>>> loader = data.DataLoader(data.ArrayDataset(np.ones((4, 3)), np.zeros(4)), batch_size=2)
>>> [(X.shape, y.shape) for X, y in loader]
[((2, 3), (2,)), ((2, 3), (2,))]
"""

from . import vision
from .dataloader import DataLoader, default_batchify_fn
from .dataset import ArrayDataset, Dataset, SimpleDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    'ArrayDataset',
    'BatchSampler',
    'DataLoader',
    'Dataset',
    'RandomSampler',
    'Sampler',
    'SequentialSampler',
    'SimpleDataset',
    'default_batchify_fn',
    'vision',
]

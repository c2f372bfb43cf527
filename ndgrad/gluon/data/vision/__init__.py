"""Gluon's vision data: the MNIST and Fashion-MNIST datasets and image transforms.

>>> from ndgrad.gluon.data import vision
>>> vision.transforms.ToTensor()(np.zeros((28, 28, 1), dtype='uint8')).shape
(1, 28, 28)
"""

from . import transforms
from .datasets import MNIST, FashionMNIST

__all__ = ['MNIST', 'FashionMNIST', 'transforms']

"""MNIST and Fashion-MNIST, read from Gluon's files.

The four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) live where Gluon keeps them,
``$MXNET_HOME/datasets/<name>`` (``~/.mxnet/datasets/mnist`` and
``~/.mxnet/datasets/fashion-mnist`` by default), so data Gluon downloaded is reused.
A missing file is downloaded from Gluon's repository (``$MXNET_GLUON_REPO`` overrides it)
and its SHA-1 digest checked; files already there are used as they are.

Sample ``i`` is ``(image, label)``: an ``(H, W, 1)`` uint8 array and an int32 0-d array,
as Gluon gives them.
"""

import gzip
import os
import struct

import numpy

from .... import numpy as _np
from ..dataset import Dataset

__all__ = ['MNIST', 'FashionMNIST']

_DEFAULT_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def data_dir():
    """Gluon's data folder: ``$MXNET_HOME``, or ``~/.mxnet``."""
    return os.path.expanduser(os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet')))


def repo_file_url(namespace, filename):
    """The URL of `filename` in Gluon's dataset repository."""
    repo = os.environ.get('MXNET_GLUON_REPO', _DEFAULT_REPO)
    if not repo.endswith('/'):
        repo += '/'
    return f'{repo}gluon/dataset/{namespace}/{filename}'


def read_idx(path, magic):
    """The array stored in an idx file (gzip-compressed) whose header starts with `magic`."""
    with gzip.open(path, 'rb') as f:
        found = struct.unpack('>I', f.read(4))[0]
        if found != magic:
            raise ValueError(
                f'{path} is not an idx file of the expected kind (magic number '
                f'{found}, expected {magic}); remove it to download it again'
            )
        ndim = magic & 0xFF
        shape = struct.unpack(f'>{ndim}I', f.read(4 * ndim))
        data = numpy.frombuffer(f.read(), dtype=numpy.uint8)
    if data.size != numpy.prod(shape):
        raise ValueError(
            f'{path} is truncated: its header says shape {shape} but it holds '
            f'{data.size} values; remove it to download it again'
        )
    return data.reshape(shape)


_SHA1 = {  # per dataset: the digests of (train images, labels), (test images, labels)
    'mnist': (
        ('6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d', '2a80914081dc54586dbdf242f9805a6b8d2a15fc'),
        ('c3a25af1f52dad7f726cce8cacb138654b760d48', '763e7fa3757d93b0cdec073cef058b2004252c17'),
    ),
    'fashion-mnist': (
        ('0cf37b0d40ed5169c6b3aba31069a9770ac9043d', '236021d52f1e40852b06a4c3008d8de8aef1e40b'),
        ('626ed6a7c06dd17c0eec72fa3be1740f146a2863', '17f9ab60e7257a1620f4ad76bbbaf857c3920701'),
    ),
}


def _idx_files(namespace):
    """The four files of an MNIST-like dataset with their SHA-1 digests, as
    ``{train: ((images, sha1), (labels, sha1))}``."""
    train, test = _SHA1[namespace]
    return {
        True: (('train-images-idx3-ubyte.gz', train[0]), ('train-labels-idx1-ubyte.gz', train[1])),
        False: (('t10k-images-idx3-ubyte.gz', test[0]), ('t10k-labels-idx1-ubyte.gz', test[1])),
    }


_MNIST_ROOT = os.path.join(data_dir(), 'datasets', 'mnist')
_FASHION_MNIST_ROOT = os.path.join(data_dir(), 'datasets', 'fashion-mnist')


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28.

    ``transform(image, label)``, if given, is applied to each sample when it is read.
    """

    _name = 'MNIST'
    _namespace = 'mnist'

    def __init__(self, root=_MNIST_ROOT, train=True, transform=None):
        self._root = os.path.expanduser(root)
        self._train = train
        self._transform = transform
        (images, _), (labels, _) = _idx_files(self._namespace)[bool(train)]
        images = read_idx(self._fetch(images), _IMAGES_MAGIC)
        labels = read_idx(self._fetch(labels), _LABELS_MAGIC).astype(numpy.int32)
        if len(images) != len(labels):
            raise ValueError(
                f'{self._root} holds {len(images)} images but {len(labels)} '
                f'labels; remove the files to download them again'
            )
        self._data = _np.array(images[..., None], dtype=numpy.uint8)
        self._label = _np.array(labels, dtype=numpy.int32)

    def _fetch(self, filename):
        path = os.path.join(self._root, filename)
        if os.path.exists(path):
            return path
        files = _idx_files(self._namespace)
        sha1 = dict(files[True] + files[False])[filename]
        url = repo_file_url(self._namespace, filename)
        from ...utils import download

        try:
            return download(url, path=path, sha1_hash=sha1, retries=2)
        except OSError as error:
            names = [name for pair in files.values() for name, _ in pair]
            raise FileNotFoundError(
                f'{self._name}: {path} is missing and could not be downloaded from {url} '
                f'({error}). Put the files {", ".join(names)} in {self._root} '
                f'(or pass root= the folder that has them).'
            ) from None

    def __len__(self):
        return len(self._label)

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28,
    in 10 classes (a drop-in replacement for MNIST)."""

    _name = 'FashionMNIST'
    _namespace = 'fashion-mnist'

    def __init__(self, root=_FASHION_MNIST_ROOT, train=True, transform=None):
        super().__init__(root, train, transform)

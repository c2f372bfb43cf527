"""Small MNIST-format (idx, gzip) files for tests: the datasets read them as Gluon's."""

import gzip
import struct

import numpy

NAMES = {
    True: ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    False: ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
}


def write_idx(folder, train, images, labels):
    """Write uint8 `images` (N, H, W) and `labels` (N,) as the idx files Gluon reads."""
    image_name, label_name = NAMES[train]
    with gzip.open(folder / image_name, 'wb') as f:
        f.write(struct.pack('>IIII', 2051, *images.shape))
        f.write(images.astype(numpy.uint8).tobytes())
    with gzip.open(folder / label_name, 'wb') as f:
        f.write(struct.pack('>II', 2049, len(labels)))
        f.write(labels.astype(numpy.uint8).tobytes())


def random_split(folder, train_size=7, test_size=5, side=28, seed=0):
    """Random train and test files in `folder`; returns {train: (images, labels)}."""
    rng = numpy.random.default_rng(seed)
    written = {}
    for train, n in ((True, train_size), (False, test_size)):
        images = rng.integers(0, 256, (n, side, side), dtype=numpy.uint8)
        labels = rng.integers(0, 10, n, dtype=numpy.uint8)
        write_idx(folder, train, images, labels)
        written[train] = images, labels
    return written

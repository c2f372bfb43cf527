"""MNIST/Fashion-MNIST files and the image transforms, against Gluon (MXNet 1.9.1).

The expected resized images below were produced by MXNet 1.9.1's
``gluon.data.vision.transforms.Resize`` (OpenCV) on ``IMAGE``.
"""

import os
import subprocess

import numpy
import pytest

from ndgrad import np
from ndgrad.gluon.data import DataLoader
from ndgrad.gluon.data.vision import MNIST, FashionMNIST, transforms

from .idx_files import NAMES, random_split

IMAGE = [
    [0, 13, 26, 39, 52],
    [65, 78, 91, 104, 117],
    [130, 143, 156, 169, 182],
    [195, 208, 221, 234, 247],
]
GLUON_RESIZED = {
    ((7, 6), 1): [
        [0, 7, 17, 26, 35, 44, 52],
        [33, 40, 49, 59, 68, 77, 85],
        [76, 83, 92, 102, 111, 120, 128],
        [119, 127, 136, 145, 154, 164, 171],
        [163, 170, 179, 189, 198, 207, 215],
        [195, 202, 212, 221, 230, 239, 247],
    ],
    ((7, 6), 0): [
        [0, 0, 13, 26, 26, 39, 52],
        [0, 0, 13, 26, 26, 39, 52],
        [65, 65, 78, 91, 91, 104, 117],
        [130, 130, 143, 156, 156, 169, 182],
        [130, 130, 143, 156, 156, 169, 182],
        [195, 195, 208, 221, 221, 234, 247],
    ],
    ((3, 2), 1): [[37, 59, 80], [167, 189, 210]],
    ((3, 2), 0): [[0, 13, 39], [130, 143, 169]],
    ((12, 9), 1): [
        [0, 1, 7, 12, 18, 23, 28, 34, 39, 45, 50, 52],
        [11, 12, 18, 23, 29, 34, 39, 45, 50, 56, 61, 63],
        [40, 41, 47, 52, 57, 63, 68, 74, 79, 84, 90, 92],
        [68, 70, 76, 81, 86, 92, 97, 103, 108, 113, 119, 120],
        [98, 99, 105, 110, 115, 121, 126, 132, 137, 142, 148, 150],
        [126, 128, 133, 139, 144, 150, 155, 160, 166, 171, 177, 178],
        [155, 157, 162, 168, 173, 178, 184, 189, 195, 200, 206, 207],
        [184, 186, 191, 196, 202, 207, 213, 218, 223, 229, 235, 236],
        [195, 196, 202, 207, 213, 218, 224, 229, 234, 240, 245, 247],
    ],
}


# --- datasets -------------------------------------------------------------------------------
@pytest.mark.parametrize('cls', [MNIST, FashionMNIST])
@pytest.mark.parametrize('train', [True, False])
def test_reads_gluons_files(tmp_path, cls, train):
    images, labels = random_split(tmp_path)[train]
    ds = cls(root=str(tmp_path), train=train)
    assert len(ds) == len(labels)
    image, label = ds[1]
    assert image.shape == (28, 28, 1) and image.dtype == numpy.uint8
    assert label.shape == () and label.dtype == numpy.int32
    numpy.testing.assert_array_equal(image.asnumpy()[..., 0], images[1])
    assert int(label) == labels[1]


def test_transform_gets_image_and_label(tmp_path):
    random_split(tmp_path)
    ds = MNIST(root=str(tmp_path), transform=lambda x, y: (x.shape, int(y) + 100))
    assert ds[0][0] == (28, 28, 1) and ds[0][1] >= 100


def test_the_books_pipeline_gives_float_images_and_int32_labels(tmp_path):
    written = random_split(tmp_path, train_size=9)
    ds = FashionMNIST(root=str(tmp_path)).transform_first(transforms.ToTensor())
    X, y = next(iter(DataLoader(ds, 4, shuffle=False)))
    assert X.shape == (4, 1, 28, 28) and X.dtype == numpy.float32
    assert y.shape == (4,) and y.dtype == numpy.int32
    numpy.testing.assert_allclose(X.asnumpy()[:, 0], written[True][0][:4] / 255, rtol=1e-6)
    assert y.tolist() == written[True][1][:4].tolist()


def test_default_roots_are_gluons():
    home = os.path.expanduser(os.environ.get('MXNET_HOME', '~/.mxnet'))
    assert MNIST.__init__.__defaults__[0] == os.path.join(home, 'datasets', 'mnist')
    assert FashionMNIST.__init__.__defaults__[0] == os.path.join(home, 'datasets', 'fashion-mnist')


def test_missing_files_name_the_folder_and_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', (tmp_path / 'no-repo').as_uri())
    with pytest.raises(FileNotFoundError) as error:
        FashionMNIST(root=str(tmp_path / 'data'), train=False)
    message = str(error.value)
    assert str(tmp_path / 'data') in message
    for name in NAMES[True] + NAMES[False]:
        assert name in message
    assert 'no-repo/gluon/dataset/fashion-mnist/t10k-images-idx3-ubyte.gz' in message


def test_missing_files_are_downloaded_and_checked(tmp_path, monkeypatch):
    # a local repository laid out as Gluon's: the digest check rejects files that differ
    repo = tmp_path / 'repo'
    folder = repo / 'gluon' / 'dataset' / 'mnist'
    folder.mkdir(parents=True)
    random_split(folder)
    monkeypatch.setenv('MXNET_GLUON_REPO', repo.as_uri())
    with pytest.raises(UserWarning, match='hash does not match'):
        MNIST(root=str(tmp_path / 'data'))
    assert (tmp_path / 'data' / NAMES[True][0]).exists()


def test_a_file_of_the_wrong_kind_is_reported(tmp_path):
    random_split(tmp_path)
    images, labels = NAMES[True]
    os.replace(tmp_path / labels, tmp_path / 'x')
    os.replace(tmp_path / images, tmp_path / labels)
    os.replace(tmp_path / 'x', tmp_path / images)
    with pytest.raises(ValueError, match='not an idx file of the expected kind'):
        MNIST(root=str(tmp_path))


# --- transforms -----------------------------------------------------------------------------
@pytest.mark.parametrize('size, interpolation', sorted(GLUON_RESIZED))
def test_resize_matches_gluon_to_the_bit(size, interpolation):
    image = numpy.array(IMAGE, dtype=numpy.uint8)[..., None]
    out = transforms.Resize(size, interpolation=interpolation)(np.array(image))
    assert out.dtype == numpy.uint8 and out.shape == (size[1], size[0], 1)
    assert out.asnumpy()[..., 0].tolist() == GLUON_RESIZED[size, interpolation]


@pytest.mark.parametrize('size', [(7, 6), (3, 2), (12, 9), (5, 4)])
def test_resize_of_float_images_interpolates_bilinearly(size):
    # bilinear interpolation reproduces a linear function away from the clamped edges
    h, w = 4, 5
    rows, cols = numpy.mgrid[0:h, 0:w]
    image = (3.0 * rows + 2.0 * cols).astype(numpy.float32)[..., None]
    out = transforms.Resize(size)(image).asnumpy()[..., 0]
    assert out.dtype == numpy.float32
    y = numpy.clip((numpy.arange(size[1]) + 0.5) * h / size[1] - 0.5, 0, h - 1)
    x = numpy.clip((numpy.arange(size[0]) + 0.5) * w / size[0] - 0.5, 0, w - 1)
    numpy.testing.assert_allclose(out, 3 * y[:, None] + 2 * x[None, :], rtol=1e-6, atol=1e-5)


def test_resize_keep_ratio_scales_the_short_side_and_rounds_down():
    # Gluon: 21x40 -> 10x19, 40x21 -> 19x10, 7x3 -> 23x10
    for (h, w), expected in [((21, 40), (10, 19)), ((40, 21), (19, 10)), ((7, 3), (23, 10))]:
        out = transforms.Resize(10, keep_ratio=True)(numpy.zeros((h, w, 1), numpy.uint8))
        assert out.shape == expected + (1,)
    assert transforms.Resize((12, 10), keep_ratio=True)(
        numpy.zeros((20, 30, 1), numpy.uint8)
    ).shape == (10, 12, 1)


def test_resize_batches_and_channels():
    batch = numpy.random.randint(0, 255, (3, 4, 5, 2)).astype(numpy.uint8)
    out = transforms.Resize((7, 6))(batch)
    assert out.shape == (3, 6, 7, 2)
    one = transforms.Resize((7, 6))(batch[1, :, :, 1:])
    numpy.testing.assert_array_equal(out.asnumpy()[1, :, :, 1:], one.asnumpy())


@pytest.mark.parametrize(
    'kwargs, error',
    [
        ({'size': 0}, ValueError),
        ({'size': (3,)}, ValueError),
        ({'size': 2.5}, ValueError),
        ({'size': 3, 'interpolation': 3}, NotImplementedError),
    ],
)
def test_resize_misuse(kwargs, error):
    with pytest.raises(error):
        transforms.Resize(**kwargs)


def test_to_tensor_moves_channels_first_and_scales():
    image = numpy.random.randint(0, 256, (4, 5, 3)).astype(numpy.uint8)
    out = transforms.ToTensor()(np.array(image))
    assert out.shape == (3, 4, 5) and out.dtype == numpy.float32
    numpy.testing.assert_allclose(out.asnumpy(), image.transpose(2, 0, 1) / 255, rtol=1e-6)
    assert transforms.ToTensor()(numpy.ones((2, 4, 5, 3), numpy.uint8)).shape == (2, 3, 4, 5)
    with pytest.raises(ValueError, match=r'\(H, W, C\)'):
        transforms.ToTensor()(numpy.ones((4, 4), numpy.uint8))


def test_normalize_per_channel_and_errors():
    x = numpy.ones((3, 2, 2), numpy.float32)
    out = transforms.Normalize((0.1, 0.2, 0.3), (1.0, 2.0, 4.0))(x)
    numpy.testing.assert_allclose(out.asnumpy()[:, 0, 0], [0.9, 0.4, 0.175], rtol=1e-6)
    assert out.dtype == numpy.float32
    with pytest.raises(ValueError, match='2 values but the image has 3 channels'):
        transforms.Normalize((0.0, 0.0), 1.0)(x)
    with pytest.raises(TypeError, match='ToTensor first'):
        transforms.Normalize()(numpy.ones((1, 2, 2), numpy.uint8))


def test_compose_in_order():
    t = transforms.Compose(
        [transforms.Resize(2), transforms.ToTensor(), transforms.Normalize(0.5, 0.5)]
    )
    out = t(numpy.zeros((4, 4, 1), numpy.uint8))
    assert out.shape == (1, 2, 2) and numpy.all(out.asnumpy() == -1)
    with pytest.raises(TypeError, match='callables'):
        transforms.Compose([1])


MXVENV_PYTHON = '/work/mxvenv/bin/python'
ORACLE = """
import sys, numpy; numpy.bool = bool
from mxnet import np, npx
from mxnet.gluon.data.vision import transforms as T
npx.set_np()
image = numpy.load(sys.argv[1])
for i, size in enumerate([(29, 31), (13, 17), (96, 96), (40, 20)]):
    numpy.save(sys.argv[1] + f'.{i}.npy', T.Resize(size)(np.array(image)).asnumpy())
"""


@pytest.mark.skipif(not os.path.exists(MXVENV_PYTHON), reason='needs MXNet 1.9.1 in /work/mxvenv')
def test_resize_matches_mxnet_on_random_images(tmp_path):
    image = numpy.random.randint(0, 256, (28, 28, 3)).astype(numpy.uint8)
    path = str(tmp_path / 'image.npy')
    numpy.save(path, image)
    subprocess.run(
        [MXVENV_PYTHON, '-c', ORACLE, path], check=True, capture_output=True, timeout=120
    )
    for i, size in enumerate([(29, 31), (13, 17), (96, 96), (40, 20)]):
        expected = numpy.load(f'{path}.{i}.npy')
        numpy.testing.assert_array_equal(transforms.Resize(size)(image).asnumpy(), expected)

"""The helpers of *Dive into Deep Learning* (MXNet edition), on ndgrad.

``from ndgrad import d2l`` replaces ``from d2l import mxnet as d2l``: the functions and
classes chapters 2-7 define and reuse (data loading, training loops, plotting, timing) and
the framework aliases (``d2l.tensor``, ``d2l.reduce_sum``, ...) behave as the book's.

Plots: in Jupyter, `Animator` redraws its figure in the cell as training goes, as in the
book; in a terminal it writes the figure to a PNG file (its path printed once; the folder
is ``$NDGRAD_FIGURE_DIR``, by default ``ndgrad-figures`` in the temporary folder) and prints
the latest values on one line per point. matplotlib is imported on first use
(``d2l.plt``). `try_gpu` gives ``npx.gpu(i)`` where CuPy sees that GPU, else ``npx.cpu()``.

>>> from ndgrad import d2l
>>> X, y = d2l.synthetic_data(d2l.tensor([2., -3.4]), 4.2, 100)
>>> X.shape, y.shape
((100, 2), (100, 1))
>>> d2l.accuracy(d2l.tensor([[0.1, 0.9], [0.8, 0.2]]), d2l.tensor([1, 1]))
1.0
"""

import collections  # noqa: F401  (the book's code reaches it as d2l.collections)
import hashlib  # noqa: F401
import math  # noqa: F401
import os
import random  # noqa: F401
import re  # noqa: F401
import sys
import tarfile
import tempfile
import time
import zipfile

import numpy as _numpy

from . import autograd, gluon, init, np, npx
from .gluon import nn
from .gluon.data.vision import transforms
from .gluon.utils import download as _download

d2l = sys.modules[__name__]
nn_Module = nn.Block

USE_MXNET = True
USE_PYTORCH = False
USE_TENSORFLOW = False

DATA_HUB = dict()
DATA_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/'
DATA_DIR = os.path.join('..', 'data')  # where `download` keeps files, as in the book


def __getattr__(name):
    # matplotlib and IPython load on first use: ``d2l.plt``, ``d2l.display``
    if name == 'plt':
        from matplotlib import pyplot

        return pyplot
    if name == 'display':
        from IPython import display

        return display
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


# --- plotting -------------------------------------------------------------------------------
def in_notebook():
    """Whether the code runs in a Jupyter kernel (figures are shown in the cell there)."""
    ipython = sys.modules.get('IPython')
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def use_svg_display():
    """Use the svg format to display a plot in Jupyter (nothing to do in a terminal)."""
    if in_notebook():
        from matplotlib_inline import backend_inline

        backend_inline.set_matplotlib_formats('svg')


def set_figsize(figsize=(3.5, 2.5)):
    """Set the figure size for matplotlib."""
    use_svg_display()
    d2l.plt.rcParams['figure.figsize'] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Set the labels, limits, scales and legend of matplotlib axes."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
         figsize=(3.5, 2.5), axes=None):  # fmt: skip
    """Plot data points: one curve per element of `Y` (or of `X` when `Y` is None)."""
    if legend is None:
        legend = []
    set_figsize(figsize)
    axes = axes if axes else d2l.plt.gca()

    def has_one_axis(X):
        return (hasattr(X, 'ndim') and X.ndim == 1) or (
            isinstance(X, list) and not hasattr(X[0], '__len__')
        )

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(_plottable(x), _plottable(y), fmt)
        else:
            axes.plot(_plottable(y), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


def _plottable(values):
    return values.asnumpy() if hasattr(values, 'asnumpy') else values


def figure_path(stem):
    """A new PNG file name for a figure drawn outside Jupyter."""
    folder = os.environ.get(
        'NDGRAD_FIGURE_DIR', os.path.join(tempfile.gettempdir(), 'ndgrad-figures')
    )
    os.makedirs(folder, exist_ok=True)
    handle, path = tempfile.mkstemp(prefix=f'{stem}-', suffix='.png', dir=folder)
    os.close(handle)
    return path


class Animator:
    """For plotting data in animation: each `add` appends points and redraws.

    In Jupyter the figure is redrawn in the cell; elsewhere it is written to a PNG file
    (path printed at the first `add`) and the new values are printed on one line.
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
                 nrows=1, ncols=1, figsize=(3.5, 2.5)):  # fmt: skip
        if legend is None:
            legend = []
        d2l.use_svg_display()
        self.fig, self.axes = d2l.plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [
                self.axes,
            ]
        self.config_axes = lambda: d2l.set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend
        )
        self.X, self.Y, self.fmts = None, None, fmts
        self.xlabel, self.legend = xlabel, legend
        self.path = None

    def add(self, x, y):
        """Add one point per curve (`y` a number or a sequence; None skips a curve)."""
        if not hasattr(y, '__len__'):
            y = [y]
        n = len(y)
        if not hasattr(x, '__len__'):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x_, y_, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x_, y_, fmt)
        self.config_axes()
        if in_notebook():
            display = d2l.display
            display.display(self.fig)
            display.clear_output(wait=True)
        else:
            self._to_terminal(x, y)

    def _to_terminal(self, x, y):
        if self.path is None:
            self.path = figure_path('animator')
            print(f'Animator: drawing the figure in {self.path}', flush=True)
        self.fig.savefig(self.path)
        names = self.legend or [f'y{i}' for i in range(len(y))]
        values = '  '.join(f'{name} {float(v):.3f}' for name, v in zip(names, y) if v is not None)
        print(f'{self.xlabel or "x"} {float(x[0]):.2f}: {values}', flush=True)


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Plot a list of images in a grid; returns the axes."""
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = d2l.plt.subplots(num_rows, num_cols, figsize=figsize)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(d2l.numpy(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


class Timer:
    """Record multiple running times."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start the timer."""
        self.tik = time.time()

    def stop(self):
        """Stop the timer and record the time in a list."""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        """Return the average time."""
        return sum(self.times) / len(self.times)

    def sum(self):
        """Return the sum of time."""
        return sum(self.times)

    def cumsum(self):
        """Return the accumulated time."""
        return np.array(self.times).cumsum().tolist()


# --- linear regression from scratch ---------------------------------------------------------
def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = d2l.normal(0, 1, (num_examples, len(w)))
    y = d2l.matmul(X, w) + b
    y += d2l.normal(0, 0.01, y.shape)
    return X, d2l.reshape(y, (-1, 1))


def linreg(X, w, b):
    """The linear regression model."""
    return d2l.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Squared loss."""
    return (y_hat - d2l.reshape(y, y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a Gluon data iterator."""
    dataset = gluon.data.ArrayDataset(*data_arrays)
    return gluon.data.DataLoader(dataset, batch_size, shuffle=is_train)


# --- Fashion-MNIST and softmax regression ---------------------------------------------------
def get_fashion_mnist_labels(labels):
    """Return text labels for the Fashion-MNIST dataset."""
    text_labels = [
        't-shirt',
        'trouser',
        'pullover',
        'dress',
        'coat',
        'sandal',
        'shirt',
        'sneaker',
        'bag',
        'ankle boot',
    ]
    return [text_labels[int(i)] for i in labels]


def get_dataloader_workers():
    """How many worker threads prepare batches: none. (The book uses 4 processes; ndgrad's
    DataLoader workers are threads, and per-sample transforms hold the GIL, so on a 2-core
    machine 4 threads read Fashion-MNIST at half the speed of the main thread alone.)"""
    return 0


def load_data_fashion_mnist(batch_size, resize=None):
    """Load the Fashion-MNIST dataset (downloading it when missing) as two DataLoaders."""
    dataset = gluon.data.vision
    trans = [dataset.transforms.ToTensor()]
    if resize:
        trans.insert(0, dataset.transforms.Resize(resize))
    trans = dataset.transforms.Compose(trans)
    try:
        mnist_train = dataset.FashionMNIST(train=True).transform_first(trans)
        mnist_test = dataset.FashionMNIST(train=False).transform_first(trans)
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"{error} Offline, d2l.load_data_digits(batch_size, resize) gives scikit-learn's "
            f'handwritten digits in the same form.'
        ) from None
    return (
        gluon.data.DataLoader(
            mnist_train, batch_size, shuffle=True, num_workers=get_dataloader_workers()
        ),
        gluon.data.DataLoader(
            mnist_test, batch_size, shuffle=False, num_workers=get_dataloader_workers()
        ),
    )


def load_data_digits(batch_size, resize=None):
    """scikit-learn's bundled handwritten digits (1,797 8x8 images, no download), scaled
    to 28x28 uint8 images like Fashion-MNIST's and split 80/20 into training and test
    sets: a stand-in for `load_data_fashion_mnist` that works offline (needs
    scikit-learn). Labels are the digits 0-9.

    >>> train_iter, test_iter = load_data_digits(32)
    >>> X, y = next(iter(test_iter))
    >>> X.shape, X.dtype, y.dtype, len(train_iter), len(test_iter)
    ((32, 1, 28, 28), dtype('float32'), dtype('int32'), 45, 12)
    """
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]

    digits = load_digits()
    images = _numpy.round(digits.images * (255 / 16)).astype(_numpy.uint8)[..., None]
    images = transforms.Resize(28)(images)
    labels = digits.target.astype(_numpy.int32)
    order = _numpy.random.default_rng(0).permutation(len(labels))
    test, train = order[: len(labels) // 5], order[len(labels) // 5 :]
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    train_set, test_set = (
        gluon.data.ArrayDataset(images[part], labels[part]).transform_first(trans)
        for part in (train, test)
    )
    return (
        gluon.data.DataLoader(
            train_set, batch_size, shuffle=True, num_workers=get_dataloader_workers()
        ),
        gluon.data.DataLoader(
            test_set, batch_size, shuffle=False, num_workers=get_dataloader_workers()
        ),
    )


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = d2l.argmax(y_hat, axis=1)
    cmp = d2l.astype(y_hat, y.dtype) == y
    return float(d2l.reduce_sum(d2l.astype(cmp, y.dtype)))


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    for X, y in data_iter:
        metric.add(accuracy(net(X), y), d2l.size(y))
    return metric[0] / metric[1]


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def train_epoch_ch3(net, train_iter, loss, updater):
    """Train a model within one epoch; returns the training loss and accuracy."""
    metric = Accumulator(3)  # Sum of training loss, sum of training accuracy, no. of examples
    if isinstance(updater, gluon.Trainer):
        updater = updater.step
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741  (the book's name)
        l.backward()
        updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.size)
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model (defined in Chapter 3); checks, as the book does, that it learned."""
    animator = Animator(
        xlabel='epoch',
        xlim=[1, num_epochs],
        ylim=[0.3, 0.9],
        legend=['train loss', 'train acc', 'test acc'],
    )
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc


def predict_ch3(net, test_iter, n=6):
    """Predict labels of the first `n` test images and show them with the true ones."""
    X, y = next(iter(test_iter))
    trues = d2l.get_fashion_mnist_labels(y)
    preds = d2l.get_fashion_mnist_labels(d2l.argmax(net(X), axis=1))
    titles = [true + '\n' + pred for true, pred in zip(trues, preds)]
    d2l.show_images(d2l.reshape(X[0:n], (n, 28, 28)), 1, n, titles=titles[0:n])


def evaluate_loss(net, data_iter, loss):
    """Evaluate the loss of a model on the given dataset."""
    metric = d2l.Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        l = loss(net(X), y)  # noqa: E741
        metric.add(d2l.reduce_sum(l), d2l.size(l))
    return metric[0] / metric[1]


# --- data files -------------------------------------------------------------------------------
def download(name, cache_dir=DATA_DIR):
    """Download a file inserted into DATA_HUB (unless it is there with the right digest);
    return the local file name."""
    if name not in DATA_HUB:
        raise KeyError(f'{name} is not in d2l.DATA_HUB; add it as DATA_HUB[{name!r}] = (url, sha1)')
    url, sha1_hash = DATA_HUB[name]
    fname = os.path.join(cache_dir, url.split('/')[-1])
    if not os.path.exists(fname):
        print(f'Downloading {fname} from {url}...')
    return _download(url, path=fname, sha1_hash=sha1_hash)


def download_extract(name, folder=None):
    """Download and extract a zip/tar file."""
    fname = download(name)
    base_dir = os.path.dirname(fname)
    data_dir, ext = os.path.splitext(fname)
    if ext == '.zip':
        opener = zipfile.ZipFile
    elif ext in ('.tar', '.gz'):
        opener = tarfile.open
    else:
        raise ValueError(f'only zip and tar files can be extracted, not {fname}')
    with opener(fname, 'r') as fp:
        fp.extractall(base_dir)
    return os.path.join(base_dir, folder) if folder else data_dir


def download_all():
    """Download all files in the DATA_HUB."""
    for name in DATA_HUB:
        download(name)


DATA_HUB['kaggle_house_train'] = (
    DATA_URL + 'kaggle_house_pred_train.csv',
    '585e9cc93e70b39160e7921475f9bcd7d31219ce',
)
DATA_HUB['kaggle_house_test'] = (
    DATA_URL + 'kaggle_house_pred_test.csv',
    'fa19780a7b011d9b009e8bff8e99922a8ee2eb90',
)


# --- devices, convolutions, modern CNNs --------------------------------------------------------
def try_gpu(i=0):
    """Return gpu(i) if exists, otherwise return cpu() (GPUs need CuPy).

    >>> try_gpu(npx.num_gpus()), try_all_gpus()[-1] in (try_gpu(), npx.cpu())
    (cpu(0), True)
    """
    return npx.gpu(i) if npx.num_gpus() >= i + 1 else npx.cpu()


def try_all_gpus():
    """Return all available GPUs, or [cpu()] if no GPU exists."""
    return [npx.gpu(i) for i in range(npx.num_gpus())] or [npx.cpu()]


def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = d2l.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = d2l.reduce_sum(X[i : i + h, j : j + w] * K)
    return Y


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the accuracy for a model on a dataset, on `device` (that of the model's
    first parameter by default)."""
    if not device:
        device = next(iter(net.collect_params().values())).list_ctx()[0]
    metric = d2l.Accumulator(2)  # No. of correct predictions, no. of predictions
    for X, y in data_iter:
        X, y = d2l.to(X, device), d2l.to(y, device)
        metric.add(d2l.accuracy(net(X), y), d2l.size(y))
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU (defined in Chapter 6): Xavier initialization, softmax
    cross-entropy, minibatch SGD."""
    net.initialize(force_reinit=True, ctx=device, init=init.Xavier())
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    animator = d2l.Animator(
        xlabel='epoch', xlim=[1, num_epochs], legend=['train loss', 'train acc', 'test acc']
    )
    timer, num_batches = d2l.Timer(), len(train_iter)
    for epoch in range(num_epochs):
        metric = d2l.Accumulator(3)  # Sum of training loss, of training accuracy, examples
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            X, y = d2l.to(X, device), d2l.to(y, device)
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y)  # noqa: E741
            l.backward()
            trainer.step(X.shape[0])
            metric.add(l.sum(), d2l.accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
            if (i + 1) % max(num_batches // 5, 1) == 0 or i == num_batches - 1:
                animator.add(epoch + (i + 1) / num_batches, (train_l, train_acc, None))
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch + 1, (None, None, test_acc))
    print(f'loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}')
    print(f'{metric[2] * num_epochs / timer.sum():.1f} examples/sec on {device!s}')


class Residual(nn.Block):
    """The Residual block of ResNet."""

    def __init__(self, num_channels, use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = nn.Conv2D(num_channels, kernel_size=3, padding=1, strides=strides)
        self.conv2 = nn.Conv2D(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2D(num_channels, kernel_size=1, strides=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm()
        self.bn2 = nn.BatchNorm()

    def forward(self, X):
        Y = npx.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        return npx.relu(Y + X)


# --- the framework aliases the book's code calls through d2l ---------------------------------
ones = np.ones
zeros = np.zeros
arange = np.arange
meshgrid = np.meshgrid
sin = np.sin
sinh = np.sinh
cos = np.cos
cosh = np.cosh
tanh = np.tanh
linspace = np.linspace
exp = np.exp
log = np.log
tensor = np.array
normal = np.random.normal
rand = np.random.rand
matmul = np.dot
int32 = np.int32
float32 = np.float32
concat = np.concatenate
stack = np.stack
abs = np.abs
eye = np.eye


def size(a):
    """The number of elements of `a`."""
    return a.size


def transpose(a):
    """`a` with its axes reversed."""
    return a.T


def numpy(x, *args, **kwargs):
    """`x` as a NumPy array."""
    return x.asnumpy(*args, **kwargs)


def reshape(x, *args, **kwargs):
    """`x` with a new shape."""
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    """`x` on a device (``x.as_in_ctx``): itself where it is there already."""
    device = args[0] if args else kwargs.get('ctx', kwargs.get('context'))
    return x.as_in_ctx(device)


def reduce_sum(x, *args, **kwargs):
    """The sum of the elements of `x` (along an axis with ``axis=``)."""
    return x.sum(*args, **kwargs)


def argmax(x, *args, **kwargs):
    """The indices of the maxima of `x`."""
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    """`x` converted to a dtype."""
    return x.astype(*args, **kwargs)

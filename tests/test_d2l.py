"""ndgrad.d2l: the book's helpers behave as ``d2l.mxnet`` (d2l 0.17.6) does."""

import hashlib
import io
import os
import pathlib
import types
import zipfile

import matplotlib
import numpy
import pytest

from ndgrad import autograd, d2l, gluon, np, npx
from ndgrad.gluon import nn
from ndgrad.gluon.data.vision import FashionMNIST

from .gluon.data.idx_files import random_split

matplotlib.use('Agg')

# every alias d2l/mxnet.py 0.17.6 defines (its config.ini aliases)
BOOK_ALIASES = [
    'size',
    'transpose',
    'ones',
    'zeros',
    'arange',
    'meshgrid',
    'sin',
    'sinh',
    'cos',
    'cosh',
    'tanh',
    'linspace',
    'exp',
    'log',
    'tensor',
    'normal',
    'rand',
    'matmul',
    'int32',
    'float32',
    'concat',
    'stack',
    'abs',
    'eye',
    'numpy',
    'reshape',
    'to',
    'reduce_sum',
    'argmax',
    'astype',
]
# the functions and classes chapters 2-7 define in d2l/mxnet.py
BOOK_NAMES = [
    'use_svg_display',
    'set_figsize',
    'set_axes',
    'plot',
    'Timer',
    'synthetic_data',
    'linreg',
    'squared_loss',
    'sgd',
    'load_array',
    'get_fashion_mnist_labels',
    'show_images',
    'get_dataloader_workers',
    'load_data_fashion_mnist',
    'accuracy',
    'evaluate_accuracy',
    'Accumulator',
    'train_epoch_ch3',
    'Animator',
    'train_ch3',
    'predict_ch3',
    'evaluate_loss',
    'download',
    'download_extract',
    'download_all',
    'DATA_HUB',
    'DATA_URL',
    'try_gpu',
    'try_all_gpus',
    'corr2d',
    'evaluate_accuracy_gpu',
    'train_ch6',
    'Residual',
    'autograd',
    'gluon',
    'init',
    'np',
    'npx',
    'nn',
    'transforms',
]


@pytest.fixture(autouse=True)
def _figures_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv('NDGRAD_FIGURE_DIR', str(tmp_path / 'figures'))
    yield
    d2l.plt.close('all')


@pytest.mark.parametrize('name', BOOK_ALIASES + BOOK_NAMES)
def test_the_books_names_exist(name):
    assert hasattr(d2l, name)


def test_aliases_act_as_the_books():
    x = d2l.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert d2l.size(x) == 4 and d2l.transpose(x).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert isinstance(d2l.numpy(x), numpy.ndarray)
    assert d2l.reshape(x, (4,)).shape == (4,) and d2l.reshape(x, -1).shape == (4,)
    assert float(d2l.reduce_sum(x)) == 10 and d2l.reduce_sum(x, axis=0).tolist() == [4.0, 6.0]
    assert d2l.argmax(x, axis=1).tolist() == [1, 1]
    assert d2l.astype(x, 'int32').dtype == numpy.int32
    assert d2l.to(x, d2l.try_gpu()) is x
    assert d2l.matmul(x, x).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    if npx.num_gpus() == 0:
        with pytest.raises(RuntimeError, match='gpu\\(0\\)'):
            d2l.to(x, 'gpu(0)')


def test_matplotlib_loads_on_first_use():
    assert d2l.plt is matplotlib.pyplot
    with pytest.raises(AttributeError, match='no attribute'):
        d2l.no_such_name  # noqa: B018


def test_synthetic_data_is_linear_plus_small_noise():
    w, b = d2l.tensor([2.0, -3.4]), 4.2
    X, y = d2l.synthetic_data(w, b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    noise = y.asnumpy()[:, 0] - (X.asnumpy() @ w.asnumpy() + b)
    assert abs(noise.std() - 0.01) < 0.002 and abs(noise.mean()) < 0.002


def test_linreg_squared_loss_and_sgd():
    X, w, b = d2l.tensor([[1.0, 2.0]]), d2l.tensor([[3.0], [4.0]]), 1.0
    assert d2l.linreg(X, w, b).tolist() == [[12.0]]
    assert d2l.squared_loss(d2l.tensor([[3.0]]), d2l.tensor([1.0])).tolist() == [[2.0]]
    w.attach_grad()
    with autograd.record():
        loss = d2l.squared_loss(d2l.linreg(X, w, b), d2l.tensor([10.0]))
    loss.backward()
    d2l.sgd([w], lr=0.1, batch_size=2)
    # dl/dw = (12 - 10) * X = [2, 4]; step = 0.1 * grad / 2
    numpy.testing.assert_allclose(w.asnumpy()[:, 0], [3 - 0.1, 4 - 0.2], rtol=1e-6)


def test_load_array_batches_and_shuffles():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    ordered = [yb.tolist() for _, yb in d2l.load_array((X, y), 4, is_train=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    shuffled = [v for _, yb in d2l.load_array((X, y), 4) for v in yb.tolist()]
    assert sorted(shuffled) == list(range(10)) and shuffled != list(range(10))


def test_accuracy_counts_correct_predictions():
    y_hat = d2l.tensor([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [0.1, 0.8, 0.1]])
    assert d2l.accuracy(y_hat, d2l.tensor([2, 1, 1], dtype='int32')) == 2.0
    assert d2l.accuracy(d2l.tensor([1.0, 0.0]), d2l.tensor([1.0, 1.0])) == 1.0


def test_accumulator_and_timer():
    metric = d2l.Accumulator(2)
    metric.add(1, np.array(2.0))
    metric.add(3, 4)
    assert metric[0] == 4 and metric[1] == 6
    metric.reset()
    assert metric.data == [0.0, 0.0]
    timer = d2l.Timer()
    timer.stop(), timer.start(), timer.stop()
    assert len(timer.times) == 2 and timer.sum() >= 0
    assert timer.cumsum() == pytest.approx(numpy.cumsum(timer.times).tolist(), rel=1e-5)
    assert timer.avg() == pytest.approx(timer.sum() / 2)


def _separable(n=300, features=10, classes=3, seed=0):
    rng = numpy.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype('float32')
    y = (X @ rng.normal(size=(features, classes))).argmax(axis=1).astype('int32')
    return np.array(X), np.array(y)


def _softmax_net(classes=3, features=10):
    net = nn.Sequential()
    net.add(nn.Dense(classes, in_units=features))
    net.initialize()
    return net


def test_evaluate_accuracy_and_loss():
    X, y = _separable()
    it = d2l.load_array((X, y), 50, is_train=False)

    net = _softmax_net()
    acc = d2l.evaluate_accuracy(net, it)
    expected = float((net(X).asnumpy().argmax(1) == y.asnumpy()).mean())
    assert acc == pytest.approx(expected)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    assert d2l.evaluate_loss(net, it, loss) == pytest.approx(
        float(loss(net(X), y).mean()), rel=1e-5
    )


@pytest.mark.parametrize('updater', ['trainer', 'function'])
def test_train_epoch_ch3_learns(updater):
    X, y = _separable()
    it = d2l.load_array((X, y), 30)
    net = _softmax_net()
    if updater == 'trainer':
        update = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    else:
        params = [p.data() for p in net.collect_params().values()]

        def update(batch_size):
            d2l.sgd(params, 0.5, batch_size)

    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    first = d2l.train_epoch_ch3(net, it, loss, update)
    for _ in range(4):
        last = d2l.train_epoch_ch3(net, it, loss, update)
    assert last[0] < first[0] and last[1] > 0.85


def test_train_ch3_draws_progress_and_checks_learning(capsys, tmp_path):
    X, y = _separable()
    it = d2l.load_array((X, y), 30)
    net = _softmax_net()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0})
    d2l.train_ch3(net, it, it, gluon.loss.SoftmaxCrossEntropyLoss(), 8, trainer)
    out = capsys.readouterr().out
    assert out.count('Animator: drawing the figure in') == 1
    assert out.count('epoch ') == 8 and 'train loss' in out and 'test acc' in out
    png = os.listdir(tmp_path / 'figures')
    assert len(png) == 1 and png[0].endswith('.png')
    assert (tmp_path / 'figures' / png[0]).read_bytes()[:4] == b'\x89PNG'


def test_train_ch3_fails_as_the_book_when_nothing_is_learned():
    X, _ = _separable()
    y = np.array(numpy.random.default_rng(1).integers(0, 3, len(X)).astype('int32'))
    it = d2l.load_array((X, y), 30)
    net = _softmax_net()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
    with pytest.raises(AssertionError):
        d2l.train_ch3(net, it, it, gluon.loss.SoftmaxCrossEntropyLoss(), 2, trainer)


def test_animator_in_a_notebook_displays_the_figure(monkeypatch):
    shown = []
    fake = types.SimpleNamespace(
        display=lambda fig: shown.append(fig), clear_output=lambda wait: shown.append(wait)
    )
    monkeypatch.setattr(d2l, 'in_notebook', lambda: True)
    monkeypatch.setattr(d2l, 'use_svg_display', lambda: None)
    monkeypatch.setattr(d2l, 'display', fake, raising=False)
    animator = d2l.Animator(legend=['a', 'b'])
    animator.add(1, (0.5, None))
    animator.add(2, (0.4, 0.9))
    assert shown == [animator.fig, True, animator.fig, True]
    assert animator.X == [[1, 2], [2]] and animator.Y == [[0.5, 0.4], [0.9]]
    assert animator.path is None


def test_notebook_detection_outside_jupyter():
    assert d2l.in_notebook() is False


def test_plot_and_show_images():
    x = d2l.arange(0, 3, 0.1)
    d2l.plot(x, [d2l.sin(x), d2l.cos(x)], 'x', 'f(x)', legend=['sin', 'cos'])
    lines = d2l.plt.gca().get_lines()
    assert len(lines) == 2
    numpy.testing.assert_allclose(lines[0].get_ydata(), numpy.sin(x.asnumpy()), rtol=1e-6)
    axes = d2l.show_images(np.zeros((4, 5, 5)), 2, 2, titles=['a', 'b', 'c', 'd'])
    assert len(axes) == 4 and axes[3].get_title() == 'd'


def test_fashion_mnist_labels():
    assert d2l.get_fashion_mnist_labels(np.array([0, 9, 3])) == ['t-shirt', 'ankle boot', 'dress']


@pytest.fixture
def fashion_mnist_files(tmp_path, monkeypatch):
    written = random_split(
        tmp_path / 'fashion-mnist' if (tmp_path / 'fashion-mnist').mkdir() is None else None,
        train_size=10,
        test_size=6,
    )
    monkeypatch.setattr(
        FashionMNIST.__init__, '__defaults__', (str(tmp_path / 'fashion-mnist'), True, None)
    )
    return written


@pytest.mark.parametrize('resize, side', [(None, 28), (32, 32)])
def test_load_data_fashion_mnist(fashion_mnist_files, resize, side):
    train_iter, test_iter = d2l.load_data_fashion_mnist(4, resize=resize)
    assert len(train_iter) == 3 and len(test_iter) == 2
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, side, side) and X.dtype == numpy.float32
    assert y.dtype == numpy.int32 and y.tolist() == fashion_mnist_files[False][1][:4].tolist()
    if resize is None:
        numpy.testing.assert_allclose(
            X.asnumpy()[:, 0], fashion_mnist_files[False][0][:4] / 255, rtol=1e-6
        )
    labels = sorted(v for _, yb in train_iter for v in yb.tolist())
    assert labels == sorted(fashion_mnist_files[True][1].tolist())


def test_predict_ch3_titles_true_and_predicted_labels(fashion_mnist_files):
    _, test_iter = d2l.load_data_fashion_mnist(6)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize()
    d2l.predict_ch3(net, test_iter, n=3)
    titles = [ax.get_title() for ax in d2l.plt.gcf().axes]
    trues = d2l.get_fashion_mnist_labels(fashion_mnist_files[False][1][:3])
    assert [t.split('\n')[0] for t in titles] == trues


def test_devices_are_the_gpus_there_else_the_cpu():
    n = npx.num_gpus()
    assert d2l.try_gpu(n) == npx.cpu() and d2l.try_gpu() == (npx.gpu() if n else npx.cpu())
    assert d2l.try_all_gpus() == ([npx.gpu(i) for i in range(n)] or [npx.cpu()])


def test_corr2d_as_in_the_book():
    X = d2l.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = d2l.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert d2l.corr2d(X, K).tolist() == [[19.0, 25.0], [37.0, 43.0]]


def test_residual_shapes_as_in_the_book():
    blk = d2l.Residual(3)
    blk.initialize()
    X = np.random.uniform(size=(4, 3, 6, 6))
    assert blk(X).shape == (4, 3, 6, 6)
    blk = d2l.Residual(6, use_1x1conv=True, strides=2)
    blk.initialize()
    assert blk(X).shape == (4, 6, 3, 3)


def test_train_ch6_and_evaluate_accuracy_gpu(capsys):
    rng = numpy.random.default_rng(0)
    y = rng.integers(0, 2, 64).astype('int32')
    X = rng.normal(size=(64, 1, 6, 6)).astype('float32') * 0.1
    X[y == 1, :, :3] += 1.0  # class 1 is bright in the top half
    it = d2l.load_array((np.array(X), np.array(y)), 16)
    net = nn.Sequential()
    net.add(
        nn.Conv2D(4, kernel_size=3, padding=1, activation='relu'),
        nn.MaxPool2D(pool_size=2),
        nn.Dense(2),
    )
    d2l.train_ch6(net, it, it, 10, 0.5, d2l.try_gpu())
    out = capsys.readouterr().out
    assert 'examples/sec on cpu(0)' in out
    assert d2l.evaluate_accuracy_gpu(net, it) > 0.9


def test_download_checks_the_digest_and_extracts(tmp_path, monkeypatch):
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, 'w') as z:
        z.writestr('kaggle/train.csv', 'a,b\n1,2\n')
    source = tmp_path / 'kaggle.zip'
    source.write_bytes(payload.getvalue())
    sha1 = hashlib.sha1(payload.getvalue()).hexdigest()
    monkeypatch.chdir(tmp_path / '..')
    cache = tmp_path / 'cache'
    monkeypatch.setitem(d2l.DATA_HUB, 'kaggle_zip', (source.as_uri(), sha1))
    fname = d2l.download('kaggle_zip', cache_dir=str(cache))
    assert pathlib.Path(fname).read_bytes() == payload.getvalue()
    monkeypatch.setitem(d2l.DATA_HUB, 'bad', (source.as_uri(), '0' * 40))
    with pytest.raises(UserWarning, match='hash does not match'):
        d2l.download('bad', cache_dir=str(tmp_path / 'other'))
    with pytest.raises(KeyError, match='DATA_HUB'):
        d2l.download('missing')
    monkeypatch.setattr(d2l, 'download', lambda name: fname)
    folder = d2l.download_extract('kaggle_zip', 'kaggle')
    assert (pathlib.Path(folder) / 'train.csv').read_text() == 'a,b\n1,2\n'


def test_in_a_jupyter_kernel_the_animator_draws_svg_in_the_cell(tmp_path):
    pytest.importorskip('nbclient')
    pytest.importorskip('ipykernel')
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'from ndgrad import d2l\n'
            'assert d2l.in_notebook()\n'
            "animator = d2l.Animator(xlabel='epoch', xlim=[1, 3], legend=['loss'])\n"
            'for epoch in range(3):\n'
            '    animator.add(epoch + 1, 1.0 / (epoch + 1))\n'
            'assert animator.path is None'
        )
    ]
    NotebookClient(
        nb, timeout=120, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}
    ).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o['output_type'] == 'error'], outputs
    shown = [o for o in outputs if o['output_type'] == 'display_data']
    # clear_output(wait=True) leaves the last figure, drawn as SVG as in the book
    assert len(shown) == 1 and 'image/svg+xml' in shown[0]['data']
    assert not any(o.get('name') == 'stdout' for o in outputs)


def test_without_the_files_the_error_suggests_the_offline_digits(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', (tmp_path / 'no-repo').as_uri())
    monkeypatch.setattr(FashionMNIST.__init__, '__defaults__', (str(tmp_path), True, None))
    with pytest.raises(FileNotFoundError, match=r'(?s)idx3-ubyte.gz.*load_data_digits'):
        d2l.load_data_fashion_mnist(32)

"""Datasets, samplers and the DataLoader against Gluon's behaviour (MXNet 1.9.1)."""

import threading

import numpy
import pytest

from ndgrad import autograd, np
from ndgrad.gluon import data
from ndgrad.gluon.data import ArrayDataset, DataLoader, SimpleDataset


def test_array_dataset_samples_are_tuples_and_one_dimensional_arrays_become_numpy():
    X, y = np.arange(12).reshape(6, 2), np.array([3, 1, 4, 1, 5, 9], dtype='int32')
    ds = ArrayDataset(X, y)
    assert len(ds) == 6
    features, label = ds[2]
    assert isinstance(features, np.ndarray) and features.tolist() == [4.0, 5.0]
    assert isinstance(label, numpy.int32) and label == 4


def test_array_dataset_of_one_array_gives_items():
    ds = ArrayDataset(numpy.arange(4.0))
    assert ds[3] == 3.0 and not isinstance(ds[3], tuple)


def test_array_dataset_lengths_must_match():
    with pytest.raises(ValueError, match='array 1 has 3'):
        ArrayDataset(numpy.zeros(4), numpy.zeros(3))
    with pytest.raises(ValueError, match='at least one'):
        ArrayDataset()


def test_transform_unpacks_tuples_and_transform_first_keeps_the_label():
    ds = ArrayDataset(numpy.arange(3.0), numpy.array([7, 8, 9]))
    assert ds.transform(lambda x, y: x + y)[1] == 9.0
    assert ds.transform_first(lambda x: x * 10)[2] == (20.0, 9)
    assert SimpleDataset([1, 2]).transform_first(lambda x: -x)[1] == -2


def test_lazy_transform_runs_on_each_read_and_eager_once():
    calls = []

    def fn(x):
        calls.append(x)
        return x

    ds = SimpleDataset([1, 2, 3])
    lazy = ds.transform(fn)
    assert calls == []
    lazy[0], lazy[0]
    assert calls == [1, 1]
    calls.clear()
    eager = ds.transform(fn, lazy=False)
    assert calls == [1, 2, 3] and isinstance(eager, SimpleDataset)
    eager[0]
    assert calls == [1, 2, 3]


def test_transform_needs_a_callable():
    with pytest.raises(TypeError, match='function'):
        SimpleDataset([1]).transform_first(3)


def test_filter_take_shard():
    ds = SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert [ds.take(3)[i] for i in range(len(ds.take(3)))] == [0, 1, 2]
    shards = [ds.shard(3, i) for i in range(3)]
    assert [[s[i] for i in range(len(s))] for s in shards] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ValueError, match='shard index'):
        ds.shard(3, 3)


@pytest.mark.parametrize(
    'last_batch, lengths, second_pass',
    [
        ('keep', [4, 4, 2], [4, 4, 2]),
        ('discard', [4, 4], [4, 4]),
        ('rollover', [4, 4], [4, 4, 4]),
    ],
)
def test_last_batch(last_batch, lengths, second_pass):
    # MXNet: rollover carries the 2 leftover samples into the next pass (12 samples: 3 batches)
    loader = DataLoader(ArrayDataset(numpy.arange(10.0)), 4, last_batch=last_batch)
    assert len(loader) == len(lengths)
    assert [len(b) for b in loader] == lengths
    assert len(loader) == len(second_pass)
    assert [len(b) for b in loader] == second_pass


def test_rollover_puts_the_leftover_samples_first():
    loader = DataLoader(SimpleDataset(list(range(5))), 2, last_batch='rollover')
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
    assert [b.tolist() for b in loader] == [[4, 0], [1, 2], [3, 4]]


@pytest.mark.parametrize(
    'samples, dtype',
    [
        ([numpy.float64(1.5), numpy.float64(2)], 'float64'),  # NumPy data keeps its dtype
        ([1.5, 2.0], 'float64'),  # as Gluon: NumPy's default
        ([1, 2], 'int64'),
        ([numpy.int32(1), numpy.int32(2)], 'int32'),
        ([numpy.ones((2, 2), 'uint8')] * 2, 'uint8'),
        ([np.ones((2, 2))] * 2, 'float32'),
    ],
)
def test_batches_keep_the_dtype_of_the_samples(samples, dtype):
    batch = next(iter(DataLoader(SimpleDataset(samples), 2)))
    assert isinstance(batch, np.ndarray)
    assert batch.dtype == numpy.dtype(dtype)
    assert batch.shape[0] == 2


def test_tuple_samples_give_a_list_of_batches():
    X = numpy.random.rand(5, 3)
    y = numpy.arange(5, dtype='int32')
    batch = next(iter(DataLoader(ArrayDataset(np.array(X, dtype='float32'), y), 4)))
    assert isinstance(batch, list) and len(batch) == 2
    features, labels = batch
    numpy.testing.assert_allclose(features.asnumpy(), X[:4].astype('float32'))
    assert labels.dtype == numpy.int32 and labels.tolist() == [0, 1, 2, 3]


def test_batches_carry_no_history_even_from_recorded_samples():
    x = np.ones((3, 2))
    x.attach_grad()
    with autograd.record():
        samples = [x[i] * 2 for i in range(3)]
    batch = next(iter(DataLoader(SimpleDataset(samples), 3)))
    assert batch.grad is None and batch.tolist() == [[2.0, 2.0]] * 3


def test_shuffle_is_a_permutation_each_pass_and_follows_the_seed():
    loader = DataLoader(SimpleDataset(list(range(20))), 5, shuffle=True)
    np.random.seed(3)
    first = [v for b in loader for v in b.tolist()]
    second = [v for b in loader for v in b.tolist()]
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    np.random.seed(3)
    assert [v for b in loader for v in b.tolist()] == first


def test_sampler_and_batch_sampler():
    ds = SimpleDataset(list(range(6)))
    loader = DataLoader(ds, 2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b.tolist() for b in loader] == [[5, 4], [3, 2], [1, 0]]
    loader = DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert [b.tolist() for b in loader] == [[0, 5], [1]]


@pytest.mark.parametrize(
    'kwargs, match',
    [
        ({}, 'batch_size'),
        ({'batch_size': 2, 'shuffle': True, 'sampler': [0, 1]}, 'shuffle=True or a sampler'),
        ({'batch_sampler': [[0]], 'batch_size': 2}, 'must not be given'),
        ({'batch_size': 2, 'last_batch': 'drop'}, "'keep', 'discard' or 'rollover'"),
        ({'batch_size': 0}, 'positive integer'),
        ({'batch_size': 2, 'num_workers': -1}, 'num_workers'),
    ],
)
def test_misuse_is_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(SimpleDataset([1, 2, 3]), **kwargs)


def test_batchify_fn():
    loader = DataLoader(SimpleDataset([1, 2, 3]), 2, batchify_fn=lambda samples: sum(samples))
    assert list(loader) == [3, 3]


def test_workers_give_the_same_batches_in_order_in_threads():
    seen = set()

    def record_thread(x):
        seen.add(threading.get_ident())
        return x * 2

    ds = SimpleDataset(list(range(50))).transform(record_thread)
    serial = [b.tolist() for b in DataLoader(ds, 7)]
    threaded = [b.tolist() for b in DataLoader(ds, 7, num_workers=3)]
    assert threaded == serial
    assert threading.get_ident() in seen and len(seen) > 1


def test_workers_stop_when_the_loop_stops_early():
    before = threading.active_count()
    loader = DataLoader(SimpleDataset(list(range(100))), 2, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 3:
            break
    import gc

    gc.collect()
    assert threading.active_count() <= before


def test_worker_errors_reach_the_loop():
    def fail(x):
        raise KeyError('bad sample')

    with pytest.raises(KeyError, match='bad sample'):
        list(DataLoader(SimpleDataset([1, 2]).transform(fail), 1, num_workers=2))


def test_a_slow_worker_times_out():
    import time

    def slow(x):
        time.sleep(0.5)
        return x

    with pytest.raises(TimeoutError, match='timeout='):
        list(DataLoader(SimpleDataset([1]).transform(slow), 1, num_workers=1, timeout=0.05))


def test_the_package_exports_gluons_names():
    for name in ('Dataset', 'ArrayDataset', 'SimpleDataset', 'DataLoader', 'vision'):
        assert hasattr(data, name)
    assert data.vision.transforms.ToTensor and data.vision.FashionMNIST and data.vision.MNIST

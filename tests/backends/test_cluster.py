"""Gradients over a Dask array larger than one worker's memory, on a local cluster of two
worker processes: the data never comes to the client, and the gradient matches the same
computation written in Dask by hand."""

import numpy
import pytest

from ndgrad import autograd, np

da = pytest.importorskip('dask.array')
distributed = pytest.importorskip('distributed')

LIMIT = 300e6  # bytes per worker
ROWS, COLS = 4_000_000, 10  # X: 320 MB of float64, more than one worker may hold


def test_least_squares_gradient_over_data_larger_than_a_worker():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=LIMIT,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        rs = da.random.RandomState(0)
        X = rs.standard_normal((ROWS, COLS), chunks=(250_000, COLS))
        y = X @ numpy.arange(COLS, dtype=float) + rs.standard_normal(ROWS, chunks=250_000)
        assert X.nbytes > LIMIT
        x, t = np.array(X), np.array(y)
        w = np.zeros(COLS, dtype='float64')
        w.attach_grad()
        with autograd.record():
            loss = np.mean((np.dot(x, w) - t) ** 2)
        loss.backward()
        assert type(w.grad._data) is numpy.ndarray
        by_hand = (2 / ROWS * (X.T @ (X @ numpy.zeros(COLS) - y))).compute()
        numpy.testing.assert_allclose(w.grad.asnumpy(), by_hand, rtol=1e-10)
        assert client.run(lambda: True)  # (both workers still alive)

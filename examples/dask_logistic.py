"""Logistic regression by gradient descent on a Dask array of 10^7 rows, on a local
cluster, the training loop written exactly as for NumPy data (see docs/scale.md).

    python examples/dask_logistic.py                 # 10^7 x 10, 4 workers, 10 steps
    python examples/dask_logistic.py --rows 1000000 --workers 2 --steps 5
"""

import argparse
import time

import dask.array as da
from distributed import Client, LocalCluster

from ndgrad import autograd, np, npx


def train(x, t, steps, lr):
    """The NumPy loop: x, t may hold NumPy or Dask data."""
    w = np.zeros(x.shape[1], dtype='float64')
    b = np.zeros((), dtype='float64')
    w.attach_grad()
    b.attach_grad()
    for step in range(steps):
        with autograd.record():
            p = npx.sigmoid(np.dot(x, w) + b)
            loss = -np.mean(t * np.log(p + 1e-12) + (1 - t) * np.log(1 - p + 1e-12))
        loss.backward()  # (Dask: loss and gradients in one dask.compute)
        w -= lr * w.grad
        b -= lr * b.grad
        print(f'step {step}: loss {float(loss):.4f}', flush=True)
    return w, b


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--rows', type=int, default=10_000_000)
    parser.add_argument('--cols', type=int, default=10)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--steps', type=int, default=10)
    args = parser.parse_args()
    with (
        LocalCluster(n_workers=args.workers, threads_per_worker=1) as cluster,
        Client(cluster),
    ):
        rs = da.random.RandomState(0)
        X = rs.standard_normal((args.rows, args.cols), chunks=(500_000, args.cols))
        truth = da.arange(args.cols, dtype=float) / args.cols - 0.5
        y = (X @ truth + 0.5 * rs.standard_normal(args.rows, chunks=500_000) > 0).astype(float)
        X, y = X.persist(), y.persist()  # (generated and kept on the workers)
        start = time.perf_counter()
        w, b = train(np.array(X), np.array(y), args.steps, lr=2.0)
        took = time.perf_counter() - start
        print(f'{args.steps} steps in {took:.1f} s ({took / args.steps:.2f} s per step)')
        print('w =', w, 'b =', b)


if __name__ == '__main__':
    main()

"""One gradient step of logistic regression on a Dask array, ndgrad against the same
step written in Dask by hand, on a ``LocalCluster`` of 1, 2 and 4 worker processes.

    python -m bench.dask_step                       # 10^7 rows x 10, workers 1 2 4
    python -m bench.dask_step --rows 2000000 --workers 2 --repeat 3

The data are generated on the workers and persisted before timing (what is timed is
the step: the forward pass, the gradient, and its computation on the cluster). The
ratio ndgrad / by hand (the median of the ratios of runs side by side) is the overhead
of recording and of the backward pass's graph (target: 1.2 or less).
"""

import argparse
import statistics
import time

import numpy


def by_hand(X, y, w):
    """The mean logistic loss and its gradient written in Dask, the gradient derived by
    hand (Xᵀ(σ(Xw) - y)/n), both computed in one call, as a training loop needs them."""
    import dask
    import dask.array as da

    p = 1 / (1 + da.exp(-(X @ w)))
    loss = -da.mean(y * da.log(p) + (1 - y) * da.log(1 - p))
    return dask.compute(loss, (X.T @ (p - y)) / X.shape[0])[1]


def with_ndgrad(X, y, w):
    """The same loss written as in NumPy, differentiated by ndgrad (backward computes the
    loss and the gradient in one call)."""
    from ndgrad import autograd, np, npx

    x, t = np.array(X), np.array(y)
    v = np.array(w)
    v.attach_grad()
    with autograd.record():
        p = npx.sigmoid(np.dot(x, v))
        loss = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    loss.backward()
    return v.grad.asnumpy()


def _time_pairs(first, second, repeat):
    """Median times of `first` and `second` and the median of their ratios, the two run
    in turn (on shared cores the load drifts: a ratio of runs side by side is steadier
    than one of medians taken minutes apart)."""
    first(), second()  # (warm: the workers import and allocate once)
    pairs = []
    for _ in range(repeat):
        times = []
        for fn in (first, second):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        pairs.append(times)
    a, b = zip(*pairs)
    return statistics.median(a), statistics.median(b), statistics.median(y / x for x, y in pairs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=10_000_000)
    parser.add_argument('--cols', type=int, default=10)
    parser.add_argument('--chunk', type=int, default=500_000)
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2, 4])
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args(argv)

    import dask.array as da
    from distributed import Client, LocalCluster

    print(f'{args.rows} x {args.cols} float64 ({args.rows * args.cols * 8 / 1e9:.2f} GB)')
    print('workers  by hand (s)  ndgrad (s)  ratio')
    for n in args.workers:
        with (
            LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            rs = da.random.RandomState(0)
            X = rs.standard_normal((args.rows, args.cols), chunks=(args.chunk, args.cols))
            y = (X[:, 0] + rs.standard_normal(args.rows, chunks=args.chunk) > 0).astype(float)
            X, y = X.persist(), y.persist()
            w = numpy.full(args.cols, 0.1)
            numpy.testing.assert_allclose(with_ndgrad(X, y, w), by_hand(X, y, w), rtol=1e-8)
            hand, ours, ratio = _time_pairs(
                lambda X=X, y=y, w=w: by_hand(X, y, w),
                lambda X=X, y=y, w=w: with_ndgrad(X, y, w),
                args.repeat,
            )
            print(f'{n:7d}  {hand:11.3f}  {ours:10.3f}  {ratio:5.2f}', flush=True)


if __name__ == '__main__':
    main()

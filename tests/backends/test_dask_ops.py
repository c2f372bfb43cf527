"""The op harness on Dask: each op's inputs become Dask arrays of several chunks, its result
must be a Dask array (nothing computed behind the user's back) equal to NumPy's, and its
derivatives, to second order in reverse and forward mode, must match central differences.

The families (`FAMILIES` of tests.backends.harness) less the ops Dask has no kernel for
(`UNSUPPORTED`, documented in docs/architecture.md; each raises a TypeError naming the op
and Dask). A sample of every family runs by default, every case with
``NDGRAD_ALL_BACKEND_CASES=1`` (a few minutes).
"""

import os

import pytest

from tests.backends.harness import FAMILIES, mover, run_case_on

da = pytest.importorskip('dask.array')
dask = pytest.importorskip('dask')

UNSUPPORTED = (  # (name prefixes)
    # sorting and what is built on it
    'sort',
    'median',
    'nanmedian',
    'quantile',
    'nanquantile',
    'percentile',
    'nanpercentile',
    'topk',
    # NumPy's where=, initial= and dtype= on reductions (Dask's have none)
    'sum/where',
    'sum/initial',
    'mean/where',
    'var/dtype',
    # Dask's dot of a 0-d array and an n-d one fails (it indexes the 0-d array's axes)
    'dot/nd-0d',
    'dot/0d',
    # Dask's cumulative sums of a 0-d array with axis=None fail (NumPy flattens it first)
    'cumsum/()/axis=None',
    'cumprod/()/axis=None',
    # Dask's roll needs as many shifts as axes (NumPy broadcasts them: one axis, two shifts)
    'roll/same-axis',
    # padding
    'pad',
    # fancy indexing beyond one index array, boolean masks (unknown sizes), gathers on it
    'read/array/2d',
    'read/array/0d',
    'read/arrays',
    'read/mixed/adjacent-arrays',
    'read/mask',
    'read/bool',
    'read/moved',
    'take',
    'put_along_axis',
    'choose',
    'pick',
    'softmax-cross-entropy',
    # in-place running statistics
    'batch_norm',
)
UNEVEN_RESHAPES = ('reshape', 'reshape/F', 'reshape_like')  # (Dask's reshape cannot)
SAMPLE = 1 if os.environ.get('NDGRAD_ALL_BACKEND_CASES') else 16  # (every 16th case)


def _supported(case):
    return not case.name.startswith(UNSUPPORTED) and case.name not in UNEVEN_RESHAPES


CASES = [
    case for cases in FAMILIES.values() for case in [c for c in cases if _supported(c)][::SAMPLE]
]


def _chunked(x):
    return da.from_array(x, chunks=tuple(max(1, (n + 1) // 2) for n in x.shape))


TO_DASK = mover('to_dask', _chunked)


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op_on_dask(case):
    with dask.config.set(scheduler='synchronous'):
        run_case_on(case, TO_DASK, 'dask')

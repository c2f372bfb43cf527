"""Many Dask arrays computed in one call, with ndgrad's passes over the graph.

The graph is optimized on the client as Dask optimizes it (culling, blockwise fusion into
one task per chunk, linear fusion); then `_dask_inline.inline_cheap` computes cheap shared
elementwise tasks inside their readers, Dask's linear fusion runs again, and
`_dask_inplace.in_place` lets the elementwise ops of each fused task write into the
temporaries they alone read. The graph runs as it is on the scheduler ``dask.compute``
would use (a ``distributed`` client, the configured one, threads). Arrays that are not
Dask arrays of a task graph (Dask's array expressions, a Dask without task specs) are
computed by ``dask.compute`` alone.

>>> import dask.array
>>> x = dask.array.arange(6.0, chunks=3)
>>> compute([(1 - x) * 2, x.sum()])
(array([ 2.,  0., -2., -4., -6., -8.]), np.float64(15.0))
"""

from collections.abc import Sequence
from typing import Any


def compute(arrays: Sequence[Any]) -> tuple[Any, ...]:
    """The values of the Dask `arrays`, computed in one call (tasks shared between them
    run once)."""
    import dask

    graph = optimized(arrays)
    if graph is None:
        return tuple(dask.compute(*arrays))
    from dask.base import get_scheduler

    # (the scheduler dask.compute would use: a distributed client, the configured one, ...)
    schedule = get_scheduler(collections=arrays)
    chunks = schedule(graph, [a.__dask_keys__() for a in arrays])
    done = []
    for a, values in zip(arrays, chunks):
        finalize, extra = a.__dask_postcompute__()  # (the chunks joined into one array)
        done.append(finalize(values, *extra))
    return tuple(done)


def optimized(arrays: Sequence[Any]) -> dict[Any, Any] | None:
    """The graph that computes `arrays`: optimized by Dask, its cheap shared elementwise
    tasks inlined into their readers, and its elementwise ops computing into temporaries;
    None where the arrays are not task graphs these passes know."""
    if not arrays or any(type(a).__module__ != 'dask.array.core' for a in arrays):
        return None
    try:
        from dask._task_spec import convert_legacy_graph, fuse_linear_task_spec
        from dask.highlevelgraph import HighLevelGraph
        from dask.utils import ensure_dict
    except ImportError:  # (a Dask older than task specs, 2024.12)
        return None
    import dask
    from dask.core import flatten

    from ._dask_inline import inline_cheap
    from ._dask_inplace import in_place

    graph = HighLevelGraph.merge(*(a.__dask_graph__() for a in arrays))
    keys = [a.__dask_keys__() for a in arrays]
    # (Dask's own optimization, or the one a user configured with `array_optimize`)
    tasks = arrays[0].__dask_optimize__(graph, keys)
    fuse = dask.config.get('optimization.fuse.active') is not False
    if not isinstance(tasks, dict):  # (fusion turned off: a HighLevelGraph)
        tasks, fuse = ensure_dict(tasks), False
    wanted = set(flatten(keys))
    try:
        tasks = inline_cheap(convert_legacy_graph(tasks), wanted)
        if fuse:  # (a task whose readers were inlined may now be the only input of its reader)
            tasks = fuse_linear_task_spec(tasks, wanted)
        return in_place(tasks)
    except (TypeError, ValueError, AttributeError):
        # (task specs of another shape than these passes know, in another Dask version:
        # the passes build new graphs and change none, so the graph runs as Dask made it)
        return None

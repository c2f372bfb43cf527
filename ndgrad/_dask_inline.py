"""Cheap elementwise tasks of a Dask graph recomputed inside each task that reads them.

Dask fuses an elementwise op into the task that reads it only where one task reads it. In
a gradient, the forward pass's ``1 - p`` or ``1 - t`` is read both by the loss and by its
derivative, so each became a task of its own per chunk, its result kept in memory until
both had run. One arithmetic op (``+ - * /``, negation) on one input costs less than a
task: `inline_cheap` moves it into every task that reads it (into the innermost fused
subgraph that does), where `_dask_inplace` then computes it into a temporary.

>>> import dask.array
>>> from ndgrad._dask_compute import compute, optimized
>>> s = 1 - dask.array.from_array(numpy.arange(4.0), chunks=2)
>>> sums = [(s * 2).sum(), (s ** 2).sum()]
>>> any(key[0] == s.name for key in optimized(sums))   # (no task of its own)
False
>>> compute(sums)
(np.float64(-4.0), np.float64(6.0))
"""

from typing import Any

import numpy

from ._dask_inplace import ufunc_of

_CHEAP = {numpy.add, numpy.subtract, numpy.multiply, numpy.true_divide, numpy.negative}


def inline_cheap(graph: dict[Any, Any], keys: set[Any]) -> dict[Any, Any]:
    """`graph` (an optimized Dask graph of task specs) with each task that is one cheap
    elementwise op on one input, not among `keys` (those computed) and read only by
    tasks, computed inside those tasks instead (a new graph; tasks are not changed)."""
    from dask._task_spec import Task
    from dask.core import reverse_dict

    readers = reverse_dict({key: task.dependencies for key, task in graph.items()})
    out = dict(graph)
    for key, task in graph.items():
        if key in keys or ufunc_of(task) not in _CHEAP or len(task.dependencies) != 1:
            continue
        if not readers[key] or any(type(out.get(r)) is not Task for r in readers[key]):
            continue
        moved = {r: _inline(out[r], task) for r in readers[key]}
        if all(m is not None for m in moved.values()):
            out.update(moved)
            del out[key]
    return out


def _inline(reader: Any, task: Any) -> Any:
    """`reader` (a task) computing `task` itself instead of reading its result; None
    where it cannot (it reads it more than once as an input of its subgraph)."""
    from dask._task_spec import Task, TaskRef, _execute_subgraph

    if reader.func is not _execute_subgraph:
        return reader.substitute({task.key: task})  # (a nested call)
    inner, outkey, names, *inputs = reader.args
    at = [i for i, a in enumerate(inputs) if isinstance(a, TaskRef) and a.key == task.key]
    if len(at) != 1:
        return None
    (i,) = at
    names, inputs = list(names), list(inputs)
    name = names.pop(i)
    del inputs[i]
    renames = {}  # (the task's own input, by the name it has inside the subgraph)
    for dep in task.dependencies:
        found = [n for n, a in zip(names, inputs) if isinstance(a, TaskRef) and a.key == dep]
        if found:
            renames[dep] = found[0]
        else:
            names.append(dep)
            inputs.append(TaskRef(dep))
    task = task.substitute(renames, key=name)
    users = [k for k, t in inner.items() if name in t.dependencies]
    deeper = None
    if len(users) == 1 and getattr(inner[users[0]], 'func', None) is _execute_subgraph:
        deeper = _inline(inner[users[0]], task)
    inner = {**inner, users[0]: deeper} if deeper is not None else {**inner, name: task}
    return Task(reader.key, _execute_subgraph, inner, outkey, tuple(names), *inputs,
                _data_producer=reader.data_producer)  # fmt: skip

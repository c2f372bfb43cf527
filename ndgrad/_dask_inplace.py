"""Elementwise ops of a Dask graph that write into the temporary array they alone read.

Dask fuses a chain of elementwise ops into one task per chunk, but every op in it still
allocates a new chunk-sized array. A chain rule is such a chain (``g * t / p``,
``-g / (1 - p)``, their sum, times ``p (1 - p)``), and on a ``dask.distributed`` worker,
whose allocator gives freed memory back to the system, every new array is paid again in
page faults: the backward pass of a logistic regression spent more time there than in
its arithmetic.

`in_place` rewrites an optimized graph (Dask's task specs, after fusion) so that an
elementwise op (a NumPy ufunc, or ``+ - * / -x`` on arrays) whose argument is a temporary
(the result of another elementwise op of the same task that nothing else reads) writes
its result into that temporary instead of a new array. Inputs of a task (chunks of other
tasks, persisted data) are never written. At run time the op computes in place only
where NumPy would compute an array of that very type, shape and dtype anyway
(``casting='no'``), of booleans, integers or reals, where NumPy's loops give the same
values to the bit in place (checked for every ufunc in tests/backends/test_dask.py);
anything else (other backends, broadcasting to a larger shape, a change of dtype, complex
numbers) runs the op as written.

>>> a, b = numpy.ones(3), numpy.full(3, 2.0)
>>> into = Elementwise(numpy.add, numpy.add, into=0)
>>> out = into(a, b)
>>> out is a, out
(True, array([3., 3., 3.]))
>>> into(numpy.ones(3, dtype=int), b).dtype   # (int64 + float64: a new float64 array)
dtype('float64')
"""

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy

# (operators on NumPy arrays are exactly these ufuncs; ** is not: ndarray.__pow__ takes
# shortcuts such as x ** 2 -> square(x))
_OPERATORS: dict[Any, numpy.ufunc] = {
    operator.add: numpy.add,
    operator.sub: numpy.subtract,
    operator.mul: numpy.multiply,
    operator.truediv: numpy.true_divide,
    operator.neg: numpy.negative,
}
_SCALARS = (int, float, complex, bool)
# (booleans, integers and reals: NumPy's complex multiply gives another last bit in place)
_REAL = 'biuf'


class Elementwise:
    """`original` (a NumPy ufunc, or an operator that is `ufunc` on NumPy arrays) as a
    task calls it, computed by `ufunc` into argument `into` (None: into a new array) where
    that is the same to the bit. Its result on NumPy arguments is always an array of its
    own (never one of its inputs), so another `Elementwise` may write into it in turn."""

    __slots__ = ('into', 'original', 'ufunc')

    def __init__(self, ufunc: numpy.ufunc, original: Callable[..., Any], into: int | None):
        self.ufunc, self.original, self.into = ufunc, original, into

    def __call__(self, *args: Any) -> Any:
        for a in args:
            if type(a) is not numpy.ndarray and not isinstance(a, (*_SCALARS, numpy.generic)):
                result = self.original(*args)  # (another backend: as written)
                return result.copy() if type(result) is numpy.ndarray else result
        if self.into is not None:
            out = args[self.into]
            if (
                type(out) is numpy.ndarray
                and out.ndim
                and out.dtype.kind in _REAL
                and out.flags.writeable
                and numpy.broadcast_shapes(*(numpy.shape(a) for a in args)) == out.shape
            ):
                try:
                    return self.ufunc(*args, out=out, casting='no')
                except TypeError:  # (another dtype: NumPy's own result is a new array)
                    pass
        return self.ufunc(*args)

    def __reduce__(self) -> Any:
        return Elementwise, (self.ufunc, self.original, self.into)

    def __repr__(self) -> str:
        return f'Elementwise({self.ufunc.__name__}, into={self.into})'


def ufunc_of(task: Any) -> numpy.ufunc | None:
    """The ufunc a task computes, if it is elementwise with one result and no keywords."""
    from dask._task_spec import Task

    if type(task) is not Task or task.kwargs:
        return None
    func = task.func
    if isinstance(func, Elementwise):
        return func.ufunc
    if isinstance(func, numpy.ufunc):
        return func if func.nout == 1 else None
    try:
        return _OPERATORS.get(func)
    except TypeError:  # (an unhashable callable)
        return None


def in_place(graph: dict[Any, Any]) -> dict[Any, Any]:
    """`graph` (an optimized Dask graph: keys to task specs) with the elementwise ops of
    each task writing into the temporaries they alone read (a new graph; `graph` and its
    tasks are not changed)."""
    done: dict[int, tuple[Any, Any]] = {}  # (chunks of one op share their subgraph: once)
    return {key: _rewrite(task, Counter(), set(), done) for key, task in graph.items()}


def _subgraph(inner: dict[Any, Any], done: dict[int, tuple[Any, Any]]) -> dict[Any, Any]:
    """The tasks of one fused task, rewritten: a key is a temporary when an elementwise
    op makes it and one task of the subgraph reads it."""
    if id(inner) in done:
        return done[id(inner)][1]
    reads: Counter[Any] = Counter()
    for task in inner.values():
        _count(task, reads)
    made = {key for key, task in inner.items() if ufunc_of(task) is not None}
    out = {key: _rewrite(task, reads, made, done) for key, task in inner.items()}
    done[id(inner)] = (inner, out)  # (`inner` kept alive: its id stays its own)
    return out


def _count(node: Any, reads: Counter[Any]) -> None:
    """Add the keys `node` reads (in its arguments, nested tasks included) to `reads`."""
    from dask._task_spec import Alias, GraphNode, TaskRef

    if isinstance(node, TaskRef):
        reads[node.key] += 1
    elif isinstance(node, Alias):
        reads[node.target] += 1
    elif isinstance(node, GraphNode):
        # (a fused task's own subgraph, a plain dict argument, reads its own keys)
        for a in (*getattr(node, 'args', ()), *getattr(node, 'kwargs', {}).values()):
            _count(a, reads)


def _rewrite(node: Any, reads: Counter[Any], made: set[Any], done: dict[int, Any]) -> Any:
    """`node` with its subgraph (a fused task) or its nested tasks rewritten, and itself
    computed into a temporary argument where it is elementwise and has one."""
    from dask._task_spec import Task, _execute_subgraph

    if type(node) is not Task:
        return node
    if node.func is _execute_subgraph:
        inner, *rest = node.args
        return Task(node.key, _execute_subgraph, _subgraph(inner, done), *rest,
                    _data_producer=node.data_producer)  # fmt: skip
    args = tuple(_rewrite(a, reads, made, done) for a in node.args)
    kwargs = {k: _rewrite(v, reads, made, done) for k, v in node.kwargs.items()}
    ufunc = ufunc_of(node)
    if ufunc is None:
        if all(a is b for a, b in zip(args, node.args)) and all(
            kwargs[k] is v for k, v in node.kwargs.items()
        ):
            return node
        return Task(node.key, node.func, *args, _data_producer=node.data_producer, **kwargs)
    return Task(node.key, Elementwise(ufunc, node.func, _temporary(node, args, reads, made)), *args)


def _temporary(node: Any, args: tuple[Any, ...], reads: Counter[Any], made: set[Any]) -> int | None:
    """The position of an argument of `node` (an elementwise op; `args`, its arguments
    rewritten) that is a temporary only it reads, if there is one."""
    from dask._task_spec import Task, TaskRef

    own: Counter[Any] | None = None
    for i, a in enumerate(args):
        if isinstance(a, Task) and ufunc_of(a) is not None:
            return i  # (a nested op: its result is this op's alone)
        if isinstance(a, TaskRef) and a.key in made:
            if own is None:
                own = Counter()
                _count(node, own)
            if own[a.key] == reads[a.key]:
                return i  # (a temporary no other task of the subgraph reads)
    return None

"""MXNet's gradient buffers: a backward pass's gradients stored into the variables'
``.grad`` as their ``grad_req`` says ('write' overwrites, 'add' accumulates), for
`autograd.backward`.

>>> from ndgrad import autograd, np
>>> x = np.ones(2); x.attach_grad('add')
>>> for _ in range(2):
...     with autograd.record():
...         y = (3 * x).sum()
...     y.backward()
>>> x.grad
array([6., 6.])
"""

import threading
from sys import getrefcount
from types import SimpleNamespace

import numpy

from ._backend import kind, to_numpy
from ._engine import toposort
from ._ndarray import ndarray, wrap
from ._primitive import REC, SCALARS, anchored, renewed
from ._state import scope
from ._writes import mark_written

# Gradients are stored under one lock: concurrent backward passes into a grad_req='add'
# buffer add up instead of losing updates (NumPy's add releases the GIL).
_STORE_LOCK = threading.Lock()


def conj_complex(g):
    """`g` conjugated if it is complex: a complex gradient passes between the user's
    convention (PyTorch's, see "Complex numbers" in docs/guide.md) and the engine's,
    in which the rules of holomorphic ops need no conjugation."""
    if g is None or g.dtype.kind != 'c':
        return g
    return (
        REC.conj(g)
        if type(g) is ndarray and g._node is not None
        else numpy.conj(g._data if type(g) is ndarray else g)
    )


def store(grads, skipped, roots=None):
    """Store `grads` (leaf -> gradient, in the engine's convention; the dict is emptied)
    into the leaves' buffers.

    A 'write' leaf that only non-differentiable positions (`skipped`) lead to gets
    zeros. `roots`: the heads of a create_graph pass (stored gradients keep their
    history, tied to the heads where they have none)."""
    # (every leaf reachable from a skipped position is on the graph; the search is
    # only made where a rule declined a gradient)
    unreached = (
        [
            node
            for node in toposort(skipped)
            if node.prim is None and node not in grads and node.grad_req == 'write'
        ]
        if skipped
        else ()
    )
    with _STORE_LOCK:
        while grads:
            leaf = next(iter(grads))
            if leaf.dtype.kind == 'c':
                grads[leaf] = conj_complex(grads[leaf])
            # (popped into the call, not iterated or named: no reference is left here
            # to the gradient, which `_store` may then adopt)
            _store(leaf, grads.pop(leaf), roots)
        for leaf in unreached:
            _overwrite(leaf.grad, numpy.zeros_like(leaf.grad._data))
            leaf.grad._node = None


def _overwrite(buf, values):
    """`values` (an array of its shape) into the buffer array `buf`, which keeps its
    identity: copied into its memory, or, Dask data being an immutable graph, taken as
    its new data."""
    data = buf._data
    if type(data) is not numpy.ndarray and kind(data) == 'dask':
        buf._data = values
    else:
        numpy.copyto(data, values)
        mark_written(data)


def _store(leaf, g, roots):
    """Write or add a gradient into a leaf's buffer, keeping the buffer's identity."""
    buf = leaf.grad
    if roots is not None:
        _store_recorded(leaf, buf, g, roots)
        return
    if type(g) is ndarray:
        g = g._data
    if type(buf._data) is not numpy.ndarray and kind(buf._data) == 'dask':
        # a Dask buffer is an immutable graph: it takes new values (the buffer array,
        # what users hold, keeps its identity)
        if leaf.grad_req == 'add':
            buf._data = buf._data + g
            if buf._node is not None:
                buf._node = renewed(buf._node)
        else:
            buf._data, buf._node = g, None
        return
    if type(g) is not numpy.ndarray and type(g) not in SCALARS and kind(g) != 'numpy':
        g = to_numpy(g)  # (a NumPy buffer's gradient computed on another backend)
    if leaf.grad_req == 'add':
        numpy.add(buf._data, g, out=buf._data)
        mark_written(buf._data)
        if buf._node is not None:  # a constant added: the recorded part keeps its history
            buf._node = renewed(buf._node)  # (made after the write: current)
        return
    data = buf._data
    if (
        type(g) is numpy.ndarray
        and getrefcount(g) <= _SOLE[0]
        and g.base is None
        and g.shape == data.shape
        and g.dtype == data.dtype
        and g.flags.carray
        and getrefcount(data) <= _SOLE[1]
        and data.base is None
    ):
        # Adopt g instead of copying it (PyTorch's gradient stealing): nothing else holds
        # g (not the head gradient, not an array a rule passed through) and nothing but
        # the buffer holds its old memory (no view, no NumPy alias, and the buffer is no
        # view of other memory, as mark_variables' buffers may be), so the swap cannot
        # be seen; it saves a copy and keeps one array warm in the cache instead of two.
        # (carray: contiguous, aligned and writeable.)
        buf._data = g
    else:
        numpy.copyto(data, g)
        mark_written(data)
    buf._node = None  # constant values: a create_graph pass's history no longer fits


def _store_recorded(leaf, buf, g, roots):
    """`_store` for a create_graph pass: the buffer takes `g`'s history."""
    if leaf.grad_req == 'add':
        with scope(True):  # recorded even outside record(): the sum keeps g's history
            g = REC.add(buf if buf._node is not None else wrap(buf._data), g)
    if g._node is None:
        g = anchored(g, leaf.shape, leaf.dtype, roots)
    _overwrite(buf, g._data)
    buf._node = renewed(g._node)  # (g's history, for the buffer's memory)


def _references(leaf, g, roots):
    """The reference counts `_store` sees for a gradient and a buffer nothing else holds
    (measured in a frame shaped as `_store`'s, not assumed: they differ between Python
    versions)."""
    buf = leaf.grad
    data = buf._data
    return getrefcount(g), getrefcount(data)


_SOLE = _references(
    SimpleNamespace(grad=SimpleNamespace(_data=numpy.empty(0))), numpy.empty(0), None
)

"""Reverse and forward passes over the recorded graph.

The engine knows nothing about particular ops: it schedules the nodes, calls each
node's rules, sums gradients back to each input's shape and dtype (broadcasting is
undone here, once, for every op), accumulates them along the edges, and frees what
it used. It returns gradients; what to do with them (MXNet's ``.grad`` buffers and
``grad_req``) is the `autograd` layer's business.

``nbatch`` leading axes of the head gradients (or seed tangents) are batch axes:
vectorized Jacobians push a whole batch of cotangents through one pass.

>>> from ndgrad import autograd, np
>>> x = np.array([1., 2.]); x.attach_grad()
>>> with autograd.record():
...     y = x * x
>>> backward([y], [np.ones(2)._data], [x._node])
[array([2., 4.], dtype=float32)]
"""

from heapq import heappop, heappush
from itertools import repeat
from operator import is_not

import numpy

from ._backend import broadcast_to, kind, move
from ._checks import check_current, check_finite, check_saved, not_recorded
from ._graph import Leaf, Output
from ._ndarray import ndarray, wrap
from ._primitive import ANY, DEBUG, RAW, REC, identity
from ._state import (
    STATE,
    recording,
    reset_recording,
    reset_training,
    scope,
    set_recording,
    set_training,
    training as is_training,
)
from ._writes import CLOCK


def toposort(roots):
    """Nodes (and multi-output edges) reachable from `roots`, each after its parents.

    The order is that of a depth-first search visiting the first root, and each
    node's first parent, first.
    """
    order, seen = [], set()
    visit, emit = seen.add, order.append
    for root in roots:
        if root in seen:
            continue
        visit(root)
        nodes, parents = [root], [iter(root.parents)]  # the path, and what is left
        while parents:
            for parent in parents[-1]:
                if parent is not None and parent not in seen:
                    visit(parent)
                    nodes.append(parent)
                    parents.append(iter(parent.parents))
                    break
            else:
                parents.pop()
                emit(nodes.pop())
    return order


def _needed(order, targets):
    """The nodes of `order` on a path to one of `targets`."""
    needed = set()
    for node in order:
        if node in targets or any(parent in needed for parent in node.parents):
            needed.add(node)
    return needed


_sum = numpy.add.reduce  # (numpy.sum less its Python wrapper)


def sum_to(xp, g, shape, nbatch=0):
    """Sum `g` (with `nbatch` leading batch axes) down to ``batch + shape``."""
    extra = g.ndim - nbatch - len(shape)
    start = nbatch + extra
    total = _sum if xp is RAW else xp.sum
    if 1 in shape:
        inner = [
            start + i - g.ndim
            for i, size in enumerate(shape)
            if size == 1 and g.shape[start + i] != 1
        ]
        if inner:  # axes broadcast from size 1: summed, kept
            g = total(g, axis=tuple(inner), keepdims=True)
    if extra:  # leading axes broadcasting added: summed away (no reshape needed)
        g = total(g, axis=tuple(range(nbatch - g.ndim, start - g.ndim)))
    return g


def fit(xp, g, shape, dtype, nbatch, node=None):
    """Match `g` to ``batch + shape`` and `dtype`: undo or apply broadcasting, cast.

    Done here, once, for every op: rules return gradients (or tangents) of any
    broadcast-compatible shape. `node`: the node of shape `shape` (a Dask gradient is
    broadcast in the chunks of the data near it, see `_backend.broadcast_to`).
    """
    core = g.shape[nbatch:]
    if core != shape:
        if g.ndim:  # (a single value, a loss's gradient, is only broadcast)
            if len(core) < len(shape):
                g = xp.reshape(g, g.shape[:nbatch] + (1,) * (len(shape) - len(core)) + core)
            g = sum_to(xp, g, shape, nbatch)
        if g.shape[nbatch:] != shape:
            if xp is not ANY or nbatch:
                g = xp.broadcast_to(g, g.shape[:nbatch] + tuple(shape))
            else:
                g = broadcast_to(g, tuple(shape), node)
    if g.dtype != dtype:
        if g.dtype.kind == 'c' and numpy.dtype(dtype).kind != 'c':
            g = xp.real(g)  # a real input's share of a complex gradient
        g = xp.astype(g, dtype)
    return g


def rule_args(node, recorded):
    """The inputs and output(s) as the rules see them: NumPy values, or, in a recorded
    pass, arrays linked to the graph (rules using them are differentiated through)."""
    args, out = node.inputs, node.out
    if recorded:
        args = tuple(
            [
                wrap(value, parent)
                if type(value) is numpy.ndarray or kind(value) != 'numpy'
                else value
                for value, parent in zip(args, node.parents)
            ]
        )
    if out is None:
        return args, node  # a node is the Meta of its output
    if not recorded:
        return args, out
    if type(out) is tuple:
        return args, tuple(
            [wrap(o, Output(node, k) if o.dtype.kind in 'fc' else None) for k, o in enumerate(out)]
        )
    return args, wrap(out, node)


def _plain(values):
    """The namespace of a pass not recorded over `values` (arrays or their data, None):
    NumPy's kernels, or `ANY` where some live on another backend (Dask, CuPy)."""
    for v in values:
        if v is not None:
            data = v._data if type(v) is ndarray else v
            if type(data) is not numpy.ndarray and kind(data) != 'numpy':
                return ANY
    return RAW


def _fill_missing(xp, g, node):
    """Zeros for the outputs of a multi-output op that received no gradient."""
    k, present = next((k, x) for k, x in enumerate(g) if x is not None)
    batch = present.shape[: present.ndim - len(node.shape[k])]
    return tuple(
        xp.zeros(batch + shape, dtype) if x is None else x
        for x, shape, dtype in zip(g, node.shape, node.dtype)
    )


def _add(xp, a, b):
    if a is None:
        return b
    if type(a) is tuple:
        return tuple(y if x is None else x if y is None else x + y for x, y in zip(a, b))
    return a + b


def _unchecked(node):
    """Whether `check_saved` has something to check: the graph was freed, or memory was
    written since the op saved its values (the clock moved)."""
    return node.inputs is None or (
        (node.versions is not None or node.out is not None) and node.version != CLOCK[0]
    )


_NONES = repeat(None)


class _Pass:
    """One backward pass: the gradient waiting at each node (a list, one slot per output,
    for a multi-output node), and a heap of the nodes that hold one, newest first.

    An op's turn comes after every op that used its output has passed its gradient
    on (a node's ``seq`` counts creations downwards), and only nodes some gradient
    reached are visited, so the pass needs no topological sort. Leaves stay out of
    the heap: their gradients are what is left in `grads` at the end.
    """

    __slots__ = (
        'due',
        'finite',
        'found',
        'grads',
        'heap',
        'nbatch',
        'needed',
        'outputs',
        'owned',
        'skipped',
        'targets',
        'xp',
    )

    def __init__(self, heads, head_grads, targets, create_graph, nbatch):
        """Send the head gradients to the heads (the list `head_grads` is consumed: a head
        gradient nothing else holds is freed as soon as its rule used it, so a Jacobian's
        identity seeds do not live through the whole pass)."""
        roots = []
        for head in heads:
            if head._node is None:
                raise not_recorded(head)
            check_current(head)
            roots.append(head._node)
        self.xp = (
            REC
            if create_graph
            else RAW
            if len(heads) == 1 and type(heads[0]._data) is numpy.ndarray
            else _plain(heads)
        )
        self.nbatch, self.targets = nbatch, targets
        self.needed = self.outputs = self.found = None
        if targets is not None:
            self.needed = _needed(toposort(roots), targets)
            self.outputs = {}  # multi-output node -> its outputs among the targets
            for edge in targets:
                if type(edge) is Output:
                    self.outputs.setdefault(edge.node, []).append(edge)
            self.found = {}  # gradients of the targets
        self.grads, self.heap, self.due = {}, [], {}
        self.owned = set()  # accumulators this pass allocated, safe to add into in place
        self.skipped = []  # parents a non-differentiable position passed over
        self.finite = DEBUG.active and STATE.anomaly
        if self.xp is ANY:  # (seeds made by NumPy moved to the heads' backend)
            head_grads[:] = [move(g, h._data) for g, h in zip(head_grads, heads)]
        for root, g in zip(roots, head_grads):
            if self.needed is None or root in self.needed:
                self.send(root, g)
        head_grads.clear()

    def run(self, retain_graph):
        """Take the nodes newest first; call each one's rules on its gradient and send
        each input its share. (One loop, not a call per node: this is the cost of every
        recorded op.)"""
        heap, due, grads, xp, nbatch = self.heap, self.due, self.grads, self.xp, self.nbatch
        needed, targets, plain, send, get = (
            self.needed,
            self.targets,
            xp is RAW,
            self.send,
            grads.get,
        )
        while heap:
            node = due.pop(heappop(heap))
            g = grads.pop(node)
            args, ans = node.inputs, node.out
            if not plain or args is None or node.version != CLOCK[0] or targets is not None:
                args, ans = self.prepare(node, g)
            elif ans is None:
                ans = node  # a node is the Meta of its output
            if type(g) is list:
                g = _fill_missing(xp, g, node)
            kwargs, prim = node.kwargs, node.prim
            rules, accumulate = prim.vjps, prim.accumulate if plain else None
            for i, parent in enumerate(node.parents):
                if parent is None or (needed is not None and parent not in needed):
                    continue
                if (
                    accumulate is not None
                    and accumulate[i] is not None
                    and type(parent) is not Output
                ):
                    accumulate[i](self.accumulator(parent, g), g, ans, *args, **kwargs)
                    continue
                rule = rules[i]
                if rule is identity:
                    gi = g
                elif rule is None:
                    gi = None
                else:  # (``**kwargs`` of an empty MappingProxy costs a dict and a copy)
                    gi = rule(xp, g, ans, *args, **kwargs) if kwargs else rule(xp, g, ans, *args)
                if gi is None:
                    self.skipped.append(parent)
                    continue
                if (gi.dtype is not parent.dtype and gi.dtype != parent.dtype) or (
                    gi.shape[nbatch:] if nbatch else gi.shape
                ) != parent.shape:
                    gi = fit(xp, gi, parent.shape, parent.dtype, nbatch, parent)
                if self.finite:
                    check_finite(node, i, gi)
                if get(parent) is None and type(parent) is not Output:
                    grads[parent] = gi  # (the first gradient to reach it: `send`, inlined)
                    if parent.prim is not None:
                        heappush(heap, parent.seq)
                        due[parent.seq] = parent
                else:
                    send(parent, gi)
            if not retain_graph:  # free what the node saved (`Node.freed` reads it)
                node.inputs = node.versions = node.out = None

    def prepare(self, node, g):
        """Check what `node` saved, keep the gradients reaching the targets among `node`
        and its outputs, and give the inputs and output(s) as its rules see them (see
        `rule_args`)."""
        if _unchecked(node):
            check_saved(node)
        targets = self.targets
        if targets is not None:
            if node in targets:
                self.found[node] = g
            for edge in self.outputs.get(node, ()):
                self.found[edge] = g[edge.index]
        return rule_args(node, self.xp is REC)

    def send(self, edge, g):
        """Add `g` to the gradient waiting at `edge`; schedule its node on first arrival."""
        grads = self.grads
        if type(edge) is Output:  # into the slot of that output
            node, k = edge.node, edge.index
            slots = grads.get(node)
            if slots is None:
                slots = grads[node] = [None] * len(node.shape)
                self.schedule(node)
            slots[k] = _add(self.xp, slots[k], g)
            return
        prev = grads.get(edge)
        if prev is None:
            grads[edge] = g
            if edge.prim is not None:  # (`schedule`, inlined: every head comes this way)
                heappush(self.heap, edge.seq)
                self.due[edge.seq] = edge
        elif self.xp is not RAW or prev.ndim == 0:
            grads[edge] = prev + g
        elif edge in self.owned:
            numpy.add(prev, g, out=prev)
        else:
            grads[edge] = prev + g
            self.owned.add(edge)

    def schedule(self, node):
        heappush(self.heap, node.seq)
        self.due[node.seq] = node

    def accumulator(self, parent, g):
        """`parent`'s gradient as a NumPy array this pass owns, for a rule's
        ``accumulate`` to add into in place (``acc[index] += g``)."""
        acc = self.grads.get(parent)
        if acc is None or parent not in self.owned or type(acc) is not numpy.ndarray:
            fresh = numpy.zeros(g.shape[: self.nbatch] + parent.shape, parent.dtype)
            if acc is None:
                if parent.prim is not None:
                    self.schedule(parent)
            else:
                fresh += acc
            acc = self.grads[parent] = fresh
            self.owned.add(parent)
        return acc


def backward(heads, head_grads, variables, create_graph=False, retain_graph=False, nbatch=0):
    """The gradients of `heads` (ndarrays, seeded with the list `head_grads`, which is
    consumed) with respect to `variables`: a list of nodes or edges, leaves or
    intermediates; None where no gradient reaches one. With `create_graph`, the pass
    is recorded, so its results can be differentiated again."""
    grads = _Pass(heads, head_grads, set(variables), create_graph, nbatch)
    with scope(create_graph):
        grads.run(retain_graph)
    found, left = grads.found, grads.grads
    return [found[v] if v in found else left.get(v) for v in variables]


def backward_to_leaves(heads, head_grads, create_graph=False, retain_graph=False, training=None):
    """The gradient of every leaf the heads depend on, as a dict, and the parents that
    non-differentiable positions passed over (the leaves they lead to got none).
    `training`: the training flag for the pass (None: unchanged)."""
    grads = _Pass(heads, head_grads, None, create_graph, 0)
    # (`scope`'s flags, set inline: a scope object's three Python calls are 2% of a small
    # training step, and every step's backward comes this way)
    rec = None if create_graph is recording() else set_recording(create_graph)
    train = None if training is None or training is is_training() else set_training(training)
    try:
        grads.run(retain_graph)
    finally:
        if rec is not None:
            reset_recording(rec)
        if train is not None:
            reset_training(train)
    return grads.grads, grads.skipped


def push_tangents(outputs, seeds, create_graph=False, nbatch=0):
    """Forward mode over the recorded graph: tangents of `outputs` given `seeds`.

    `seeds` maps nodes (the inputs) to their tangents; the dict is consumed (emptied).
    Returns one tangent per output node (None where the output does not depend on any
    seed). A tangent is dropped as soon as the last op that uses it has run, so a deep
    graph holds a few tangents at a time, not one per op.
    """
    order = toposort(outputs)
    tangents = dict(seeds)
    seeds.clear()
    uses = dict.fromkeys(outputs, 1)  # (the outputs' tangents are kept to the end)
    for node in order:
        for p in node.parents:
            if p is not None:
                uses[p] = uses.get(p, 0) + 1
    with scope(create_graph):
        for node in order:
            if node not in tangents and node.prim is not None:
                ts = [None if p is None else tangents.get(p) for p in node.parents]
                if any(map(is_not, ts, _NONES)):  # (some input moved; no generator frame)
                    t = _tangent(node, ts, create_graph, nbatch)
                    if t is not None:
                        tangents[node] = t
                ts = t = None
            for p in node.parents:  # this op was the last to need these tangents?
                if p is not None:
                    uses[p] -= 1
                    if not uses[p]:
                        tangents.pop(p, None)
    return [tangents.get(node) for node in outputs]


def _tangent(node, ts, create_graph, nbatch):
    """The tangent of `node`'s output(s), given its inputs' tangents `ts`."""
    if type(node) is Output:
        t = ts[0]
        return t[node.index] if t is not None else None
    if _unchecked(node):
        check_saved(node)
    xp = REC if create_graph else _plain(ts)
    args, ans = rule_args(node, create_graph)
    total, rules, kwargs = None, node.prim.jvps, node.kwargs
    for i, t in enumerate(ts):
        if t is None or node.prim.vjps[i] is None:
            continue
        if rules is not None and rules[i] is not None:  # (no ``**`` of an empty proxy)
            ti = rules[i](xp, t, ans, *args, **kwargs) if kwargs else rules[i](xp, t, ans, *args)
        else:
            ti = transpose_vjp(node, i, t, args, ans, create_graph)
        if ti is None:
            continue
        if type(ti) is not tuple:
            # fitted one by one: contributions of different ranks only align once
            # each has its batch axes in front of the output's axes
            ti = fit(xp, ti, node.shape, node.dtype, nbatch)
        total = ti if total is None else _add(xp, total, ti)
    return total


def transpose_vjp(node, i, t, args, ans, create_graph):
    """J·t for input `i` without a JVP rule: the VJP of the (linear) VJP rule.

    ``u -> vjp_i(u)`` is linear in the cotangent ``u``; its VJP with cotangent
    `t` is exactly the Jacobian-vector product.
    """
    parent = node.parents[i]
    batch = t.shape[: t.ndim - len(parent.shape)]
    multi = type(node.dtype) is tuple  # several outputs: one cotangent leaf each
    shapes, dtypes = (node.shape, node.dtype) if multi else ((node.shape,), (node.dtype,))
    leaves = [Leaf(batch + s, d, None, 'write') for s, d in zip(shapes, dtypes)]
    us = tuple(wrap(numpy.zeros(leaf.shape, leaf.dtype), leaf) for leaf in leaves)
    with scope(True):
        h = node.prim.vjps[i](REC, us if multi else us[0], ans, *args, **node.kwargs)
        h = fit(REC, h, parent.shape, parent.dtype, len(batch))
    if type(h) is not ndarray or h._node is None:
        return None
    outs = backward([h], [t], leaves, create_graph=create_graph, retain_graph=create_graph)
    return tuple(outs) if multi else outs[0]

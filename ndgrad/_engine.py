"""Reverse and forward passes over the recorded graph.

The engine knows nothing about particular ops: it orders the graph, calls each
node's rules, sums gradients back to each input's shape and dtype (broadcasting
is undone here, once, for every op), accumulates, and frees what it used.

``nbatch`` leading axes of the head gradients (or seed tangents) are batch axes:
vectorized Jacobians push a whole batch of cotangents through one pass.
"""
import threading
from heapq import heappop, heappush
from sys import getrefcount

import numpy

from ._errors import GraphFreedError, InPlaceModificationError, NotRecordedError
from ._graph import Leaf, Node
from ._ndarray import ndarray, wrap
from ._primitive import (ANCHOR, DEBUG, NO_KWARGS, RAW, REC, SELECT, identity, renewed,
                         select_outputs)
from ._state import STATE
from ._writes import _WRITES, CLOCK, is_stale, mark_written, written_since

# Gradients are stored into leaf buffers under one lock: concurrent backward passes into
# a grad_req='add' buffer add up instead of losing updates (NumPy's add releases the GIL).
_STORE_LOCK = threading.Lock()


def toposort(roots):
    """Nodes reachable from `roots`, each after all of its parents (iterative).

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
        push_node, push_parents = nodes.append, parents.append
        while parents:
            for parent in parents[-1]:
                if parent is not None and parent not in seen:
                    visit(parent)
                    push_node(parent)
                    push_parents(iter(parent.parents))
                    break
            else:
                parents.pop()
                emit(nodes.pop())
    return order


def _needed(order, targets):
    """The nodes of `order` on a path to one of `targets`."""
    needed = set()
    add = needed.add
    for node in order:
        if node in targets:
            add(node)
            continue
        for parent in node.parents:
            if parent in needed:
                add(node)
                break
    return needed


_sum = numpy.add.reduce  # (numpy.sum less its Python wrapper)


def sum_to(xp, g, shape, nbatch=0):
    """Sum `g` (with `nbatch` leading batch axes) down to ``batch + shape``."""
    extra = g.ndim - nbatch - len(shape)
    start = nbatch + extra
    total = _sum if xp is RAW else xp.sum
    if 1 in shape:
        inner = [start + i - g.ndim for i, size in enumerate(shape)
                 if size == 1 and g.shape[start + i] != 1]
        if inner:  # axes broadcast from size 1: summed, kept
            g = total(g, axis=tuple(inner), keepdims=True)
    if extra:  # leading axes broadcasting added: summed away (no reshape needed)
        g = total(g, axis=tuple(range(nbatch - g.ndim, start - g.ndim)))
    return g


def _fit(xp, g, shape, dtype, nbatch):
    """Match `g` to ``batch + shape`` and `dtype`: undo or apply broadcasting, cast.

    Done here, once, for every op: rules return gradients (or tangents) of any
    broadcast-compatible shape.
    """
    core = g.shape[nbatch:]
    if core != shape:
        if len(core) < len(shape):
            g = xp.reshape(g, g.shape[:nbatch] + (1,) * (len(shape) - len(core)) + core)
        g = sum_to(xp, g, shape, nbatch)
        if g.shape[nbatch:] != shape:
            g = xp.broadcast_to(g, g.shape[:nbatch] + tuple(shape))
    if g.dtype != dtype:
        g = xp.astype(g, dtype)
    return g


def _check_finite(node, i, gi):
    """Under ``autograd.detect_anomaly()``: a nan/inf gradient names the op that made it."""
    if not numpy.isfinite(gi._data if type(gi) is ndarray else gi).all():
        where = ''
        if node.site is not None:
            where = f' recorded at {node.site[0]}, line {node.site[1]} (in {node.site[2]})'
        raise FloatingPointError(
            f"the backward pass of '{node.name}'{where} produced nan or inf in the "
            f'gradient of its input {i}. Check that op\'s inputs for values outside its '
            f'domain (log or sqrt of 0 or negatives, division by zero, overflow).')


def _check_saved(node):
    if node.freed:
        raise GraphFreedError(
            f"the graph through '{node.name}' was already used by a backward pass and its "
            f'saved values were freed. To call backward more than once through the same '
            f'graph, pass retain_graph=True to the earlier calls, e.g. '
            f'y.backward(retain_graph=True).')
    for k, saved in enumerate(node.versions or ()):
        if saved is None:
            continue
        entry = _WRITES.get(id(saved[0]))  # (when the memory was last written, first)
        if entry is not None and entry[0] > saved[1] and written_since(node.inputs[k],
                                                                       saved[1]):
            raise InPlaceModificationError(
                f"an input of '{node.name}' (memory of shape {saved[0].shape}) was modified "
                f'in place after the op was recorded (directly, or through a view or a '
                f'detached array sharing its memory), so its gradient would be wrong. Modify '
                f'a copy (x = x.copy()), or finish backward before updating it. (Inside '
                f'record(), build arrays from parts with np.stack or np.concatenate instead '
                f'of writing rows into an array that earlier ops read.)')
    out = node.out
    if out is None:
        return
    for out in out if type(out) is tuple else (out,):
        if not written_since(out, node.version):
            continue
        raise InPlaceModificationError(
            f"the output of '{node.name}' (shape {out.shape}) was modified in place after the "
            f'op was recorded (directly, or through a view or a detached array sharing its '
            f"memory), and the backward pass of '{node.name}' needs its value, so the "
            f'gradient would be wrong. Modify a copy (y = y.copy()), or call backward first.')


def _rule_args(node, recorded):
    """The inputs and output as the rules see them: NumPy values, or graph arrays."""
    inputs = node.inputs
    if recorded:
        args = tuple([wrap(value, parent) if type(value) is numpy.ndarray else value
                      for value, parent in zip(inputs, node.parents)])
    else:
        args = inputs
    out = node.out
    if out is None:
        ans = node  # a node is the Meta of its output
    elif recorded:
        # saved outputs as graph arrays: rules using them are differentiated through the op
        ans = select_outputs(node, out) if type(out) is tuple else wrap(out, node)
    else:
        ans = out
    return args, ans


def _fill_missing(xp, g, node):
    """Zeros for the outputs of a multi-output op that received no gradient."""
    k, present = next((k, x) for k, x in enumerate(g) if x is not None)
    batch = present.shape[:present.ndim - len(node.shape[k])]
    return tuple(xp.zeros(batch + shape, dtype) if x is None else x
                 for x, shape, dtype in zip(g, node.shape, node.dtype))


def _add(xp, a, b):
    if type(a) is tuple:
        return tuple(y if x is None else x if y is None else x + y for x, y in zip(a, b))
    return a + b


def _into_slot(grads, select, g, xp):
    """Add `g`, the gradient of the output that `select` picks from a multi-output op,
    into that output's slot of the op's gradient list; the op if the list is new."""
    op = select.parents[0]
    slots = grads.get(op)
    new = slots is None
    if new:
        slots = grads[op] = [None] * select.kwargs['n']
    k = select.kwargs['index']
    slots[k] = g if slots[k] is None else _add(xp, slots[k], g)
    return op if new else None


def _not_recorded(head):
    dtype = head.dtype
    if dtype.kind not in 'fc':
        return NotRecordedError(
            f'cannot differentiate an array of dtype {dtype}: integer and boolean results '
            f'(argmax, comparisons, astype(int), floor division) carry no gradient. '
            f'Differentiate a floating-point result computed before that step.')
    return NotRecordedError(
        'cannot differentiate an array that has no recorded history: it was computed '
        'outside `with autograd.record():`, or from constants only (no array it depends on '
        'had x.attach_grad() called before recording), or it was modified in place outside '
        'record(), which makes it a constant. Attach gradients to the inputs, then compute '
        'the result inside record().')


def check_current(array):
    """InPlaceModificationError if `array`, to be differentiated, was written in place
    since its op recorded it: its history no longer describes its values."""
    node = array._node
    if node is not None and is_stale(array._data, node):
        raise InPlaceModificationError(
            f"the array being differentiated was modified in place (through a view or a "
            f"detached array sharing its memory) after '{node.name}' computed it, so its "
            f'recorded history no longer describes its values. Differentiate a copy made '
            f'before the modification, or recompute it inside record().')


def anchored(g, shape, dtype, roots):
    """`g` (None: zeros), a create_graph gradient without history of its own, tied to
    the graph of `roots` with a zero derivative (see `ANCHOR`)."""
    if g is None:
        data = numpy.zeros(shape, dtype)
    else:  # (a copy: g may be a head gradient passed straight through)
        data = numpy.array(g._data if type(g) is ndarray else g)
    return wrap(data, Node(ANCHOR, [None, *roots], [], None, NO_KWARGS, None,
                           data.shape, data.dtype))


def backward(heads, head_grads, variables=None, create_graph=False, retain_graph=False,
             nbatch=0, anchor=False):
    """Propagate `head_grads` from `heads` (ndarrays) back through the graph.

    With `variables` (a list of nodes, leaves or intermediates) the gradients
    reaching them are returned and no ``.grad`` buffer is touched; without, every
    leaf with an attached gradient has its buffer written or added to. With
    `create_graph`, stored gradients (and, with `anchor`, returned ones) that have no
    history of their own are `anchored` to the heads.

    The list `head_grads` is consumed (emptied): a head gradient nothing else holds is
    then freed as soon as its rule used it, which keeps a Jacobian's identity seeds
    from living through the whole pass.

    Ops are taken newest first from a heap keyed by ``Node.seq``: an op's turn comes
    after every op that used its output has passed its gradient on, and only ops that
    some gradient reached are visited, so the pass needs no topological sort. Leaves
    stay out of the heap; their gradients are stored at the end.
    """
    roots = []
    for head in heads:
        node = head._node
        if node is None:
            raise _not_recorded(head)
        check_current(head)
        roots.append(node)
    if variables is None:
        # every recorded node descends from a leaf, so all of them lead to a target
        targets = needed = None
    else:
        targets = set(variables)
        needed = _needed(toposort(roots), targets)

    xp = REC if create_graph else RAW
    grads = {}
    ready = []  # heap of the seq of each node holding a gradient, and those nodes by seq
    waiting = {}
    owned = set()  # accumulators this pass allocated, safe to add into in place
    for root, g in zip(roots, head_grads):
        if needed is None or root in needed:
            if root in grads:
                grads[root] = _add(xp, grads[root], g)
            else:
                grads[root] = g
                if root.prim is not None:
                    heappush(ready, root.seq)
                    waiting[root.seq] = root
    head_grads.clear()
    g = None
    results = {}  # the gradients of targets that are not leaves
    skipped = []  # parents a non-differentiable position passed over
    saved_recording = STATE.recording
    STATE.recording = create_graph
    pop, get = grads.pop, grads.get
    finite = DEBUG.active and STATE.anomaly
    try:
        while ready:
            node = waiting.pop(heappop(ready))
            g = pop(node)
            prim = node.prim
            if targets is not None and node in targets:
                results[node] = g
            if node.inputs is None or (node.versions is not None or node.out is not None
                                       ) and node.version != CLOCK[0]:
                _check_saved(node)  # (nothing written since the op: nothing to check)
            if prim is SELECT:  # output k of a multi-output op: into slot k of the op's list
                if needed is None or node.parents[0] in needed:
                    op = _into_slot(grads, node, g, xp)
                    if op is not None:
                        heappush(ready, op.seq)
                        waiting[op.seq] = op
                if not retain_graph:  # free what the node saved
                    node.inputs = node.versions = node.out = None
                continue
            if create_graph:
                args, ans = _rule_args(node, True)
            else:  # _rule_args inlined: this loop is the cost of every recorded op
                args = node.inputs  # saved as NumPy values
                ans = node.out
                if ans is None:
                    ans = node  # a node is the Meta of its output
            if type(g) is list:
                g = _fill_missing(xp, g, node)
            kwargs, vjps = node.kwargs, prim.vjps
            accumulate = None if create_graph else prim.accumulate
            for i, parent in enumerate(node.parents):
                if parent is None or needed is not None and parent not in needed:
                    continue
                if accumulate is not None and accumulate[i] is not None:
                    acc = get(parent)
                    if acc is None or parent not in owned or type(acc) is not numpy.ndarray:
                        fresh = numpy.zeros(g.shape[:nbatch] + parent.shape, parent.dtype)
                        if acc is None:
                            if parent.prim is not None:
                                heappush(ready, parent.seq)
                                waiting[parent.seq] = parent
                        else:
                            fresh += acc
                        acc = grads[parent] = fresh
                        owned.add(parent)
                    accumulate[i](acc, g, ans, *args, **kwargs)
                    continue
                rule = vjps[i]
                if rule is identity:
                    gi = g
                elif rule is None:
                    skipped.append(parent)
                    continue
                else:
                    gi = rule(xp, g, ans, *args, **kwargs) if kwargs else rule(xp, g, ans, *args)
                    if gi is None:
                        skipped.append(parent)
                        continue
                if (gi.dtype is not parent.dtype and gi.dtype != parent.dtype
                        or (gi.shape[nbatch:] if nbatch else gi.shape) != parent.shape):
                    gi = _fit(xp, gi, parent.shape, parent.dtype, nbatch)
                if finite:
                    _check_finite(node, i, gi)
                prev = get(parent)
                if prev is None:
                    kind = parent.prim
                    if kind is SELECT and targets is None:
                        # straight into the op's slot (the select node would only pass
                        # it on): the heap stays small where many outputs are used
                        op = _into_slot(grads, parent, gi, xp)
                        if op is not None:
                            heappush(ready, op.seq)
                            waiting[op.seq] = op
                        continue
                    grads[parent] = gi
                    if kind is not None:  # (leaves wait in `grads` until the end)
                        heappush(ready, parent.seq)
                        waiting[parent.seq] = parent
                elif create_graph or prev.ndim == 0:
                    grads[parent] = _add(xp, prev, gi)
                elif parent in owned:
                    numpy.add(prev, gi, out=prev)
                else:
                    grads[parent] = prev + gi
                    owned.add(parent)
            if not retain_graph:  # free what the node saved (`Node.freed` reads it)
                node.inputs = node.versions = node.out = None
    finally:
        STATE.recording = saved_recording
    g = gi = prev = acc = fresh = None  # only the dicts hold gradients now (see _store)

    # every node left in `grads` is a leaf
    if variables is not None:
        found = [results[v] if v in results else grads.get(v) for v in variables]
        if anchor and create_graph:
            found = [g if type(g) is ndarray and g._node is not None
                     else anchored(g, v.shape, v.dtype, roots) for g, v in zip(found, variables)]
        return found
    # leaves on the graph that every path to them reached through a non-differentiable
    # position: for them 'write' means 0
    unreached = [node for node in toposort(skipped) if node.prim is None
                 and node not in grads and node.grad_req == 'write'] if skipped else ()
    with _STORE_LOCK:
        while grads:
            leaf = next(iter(grads))
            # (the pass keeps no reference to g)
            _store(leaf, grads.pop(leaf), roots if create_graph else None)
        for leaf in unreached:
            numpy.copyto(leaf.grad._data, 0)
            leaf.grad._node = None
            mark_written(leaf.grad._data)
    return None


def _store(leaf, g, roots):
    """Write or add a gradient into a leaf's buffer, keeping the buffer's identity.
    `roots`: the heads of a create_graph pass (the stored gradient keeps its history)."""
    buf = leaf.grad
    if roots is not None:
        if leaf.grad_req == 'add':
            # recorded even outside record(): the sum keeps the gradient's history
            saved, STATE.recording = STATE.recording, True
            try:
                g = REC.add(buf if buf._node is not None else wrap(buf._data), g)
            finally:
                STATE.recording = saved
        if g._node is None:
            g = anchored(g, leaf.shape, leaf.dtype, roots)
        numpy.copyto(buf._data, g._data)
        mark_written(buf._data)
        buf._node = renewed(g._node)  # (g's history, for the buffer's memory)
        return
    if type(g) is ndarray:
        g = g._data
    if leaf.grad_req == 'add':
        numpy.add(buf._data, g, out=buf._data)
        mark_written(buf._data)
        if buf._node is not None:  # a constant added: the recorded part keeps its history
            buf._node = renewed(buf._node)
        return
    elif (type(g) is numpy.ndarray and getrefcount(g) <= _SOLE[0] and g.base is None
          and g.shape == buf._data.shape and g.dtype == buf._data.dtype
          and g.flags.carray and getrefcount(buf._data) <= _SOLE[1]
          and buf._data.base is None):
        # Adopt g instead of copying it (PyTorch's gradient stealing): nothing else holds
        # g (not the head gradient, not an array a rule passed through) and nothing but
        # the buffer holds its old memory (no view, no NumPy alias, and the buffer is no
        # view of other memory, as mark_variables' buffers may be), so the swap cannot
        # be seen; it saves a copy and keeps one array warm in the cache instead of two.
        # (carray: contiguous, aligned and writeable.)
        buf._data = g
        buf._node = None
        return
    else:
        numpy.copyto(buf._data, g)
        buf._node = None  # constant values: a create_graph pass's history no longer fits
    mark_written(buf._data)


class _Holder:
    __slots__ = ('_data',)

    def __init__(self, data):
        self._data = data


def _references(g, buf):
    """The reference counts `_store` sees for a gradient and a buffer nothing else holds
    (measured, not assumed: they differ between Python versions)."""
    return getrefcount(g), getrefcount(buf._data)


_SOLE = _references(numpy.empty(0), _Holder(numpy.empty(0)))


def push_tangents(outputs, seeds, create_graph=False, nbatch=0):
    """Forward mode over the recorded graph: tangents of `outputs` given `seeds`.

    `seeds` maps nodes (the inputs) to their tangents; the dict is consumed (emptied).
    Returns one tangent per output node (None where the output does not depend on any
    seed). A tangent is dropped as soon as the last op that uses it has run, so a deep
    graph holds a few tangents at a time, not one per op.
    """
    order = toposort(outputs)
    xp = REC if create_graph else RAW
    tangents = dict(seeds)
    seeds.clear()
    uses = dict.fromkeys(outputs, 1)  # (the outputs' tangents are kept to the end)
    for node in order:
        for p in node.parents:
            if p is not None:
                uses[p] = uses.get(p, 0) + 1
    saved_recording = STATE.recording
    STATE.recording = create_graph
    try:
        for node in order:
            parents = node.parents
            if node in tangents or node.prim is None:
                ts = None
            else:
                ts = [tangents.get(p) if p is not None else None for p in parents]
            for p in parents:  # this op was the last to need these tangents?
                if p is not None:
                    uses[p] -= 1
                    if not uses[p]:
                        tangents.pop(p, None)
            if ts is None or all(t is None for t in ts):
                continue
            _check_saved(node)
            args, ans = _rule_args(node, create_graph)
            total = None
            for i, t in enumerate(ts):
                if t is None or node.prim.vjps[i] is None:
                    continue
                rules = node.prim.jvps
                if rules is not None and rules[i] is not None:
                    ti = rules[i](xp, t, ans, *args, **node.kwargs)
                else:
                    ti = transpose_vjp(node, i, t, args, ans, create_graph)
                if ti is None:
                    continue
                if type(ti) is not tuple:
                    # fitted one by one: contributions of different ranks only align
                    # once each has its batch axes in front of the output's axes
                    ti = _fit(xp, ti, node.shape, node.dtype, nbatch)
                total = ti if total is None else _add(xp, total, ti)
            ts = t = ti = None
            if total is None:
                continue
            tangents[node] = total
    finally:
        STATE.recording = saved_recording
    return [tangents.get(node) for node in outputs]


def transpose_vjp(node, i, t, args, ans, create_graph):
    """J·t for input `i` without a JVP rule: the VJP of the (linear) VJP rule.

    ``u -> vjp_i(u)`` is linear in the cotangent ``u``; its VJP with cotangent
    `t` is exactly the Jacobian-vector product.
    """
    parent = node.parents[i]
    batch = t.shape[:t.ndim - len(parent.shape)]
    multi = type(node.dtype) is tuple  # several outputs: one cotangent leaf each
    shapes, dtypes = (node.shape, node.dtype) if multi else ((node.shape,), (node.dtype,))
    leaves = [Leaf(batch + s, d, None, 'write') for s, d in zip(shapes, dtypes)]
    us = tuple(wrap(numpy.zeros(leaf.shape, leaf.dtype), leaf) for leaf in leaves)
    saved = STATE.recording
    STATE.recording = True
    try:
        h = node.prim.vjps[i](REC, us if multi else us[0], ans, *args, **node.kwargs)
        h = _fit(REC, h, parent.shape, parent.dtype, len(batch))
    finally:
        STATE.recording = saved
    if type(h) is not ndarray or h._node is None:
        return None
    outs = backward([h], [t], variables=leaves, create_graph=create_graph,
                    retain_graph=create_graph)
    return tuple(outs) if multi else outs[0]

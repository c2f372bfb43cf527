"""What a pass checks before it trusts the graph: that a node's saved values are still
there and unchanged, that a head's history still describes its values, that a
gradient is finite (under ``autograd.detect_anomaly()``). Each failure is a typed
error that says what to do.

>>> from ndgrad import autograd, np
>>> x = np.ones(2); x.attach_grad()
>>> with autograd.record():
...     y = np.exp(x)
>>> y.backward(); y.backward()
Traceback (most recent call last):
    ...
ndgrad._errors.GraphFreedError: the graph through 'exp' was already used by a backward pass ...
"""

import numpy

from ._errors import GraphFreedError, InPlaceModificationError, NotRecordedError
from ._ndarray import ndarray
from ._writes import _WRITES, is_stale, written_since


def check_saved(node):
    """GraphFreedError if a backward pass freed what `node` saved; InPlaceModificationError
    if a saved input or output was written in place since the op read or made it."""
    if node.freed:
        raise GraphFreedError(
            f"the graph through '{node.name}' was already used by a backward pass and its "
            f'saved values were freed. To call backward more than once through the same '
            f'graph, pass retain_graph=True to the earlier calls, e.g. '
            f'y.backward(retain_graph=True).'
        )
    for k, saved in enumerate(node.versions or ()):
        if saved is None:
            continue
        entry = _WRITES.get(id(saved[0]))  # (when the memory was last written, first)
        if entry is not None and entry[0] > saved[1] and written_since(node.inputs[k], saved[1]):
            raise InPlaceModificationError(
                f"an input of '{node.name}' (memory of shape {saved[0].shape}) was modified "
                f'in place after the op was recorded (directly, or through a view or a '
                f'detached array sharing its memory), so its gradient would be wrong. Modify '
                f'a copy (x = x.copy()), or finish backward before updating it. (Inside '
                f'record(), build arrays from parts with np.stack or np.concatenate instead '
                f'of writing rows into an array that earlier ops read.)'
            )
    outs = node.out
    for out in () if outs is None else outs if type(outs) is tuple else (outs,):
        if written_since(out, node.version):
            raise InPlaceModificationError(
                f"the output of '{node.name}' (shape {out.shape}) was modified in place after "
                f'the op was recorded (directly, or through a view or a detached array sharing '
                f"its memory), and the backward pass of '{node.name}' needs its value, so the "
                f'gradient would be wrong. Modify a copy (y = y.copy()), or call backward '
                f'first.'
            )


def check_current(array):
    """InPlaceModificationError if `array`, to be differentiated, was written in place
    since its op recorded it: its history no longer describes its values."""
    node = array._node
    if node is not None and is_stale(array._data, node):
        raise InPlaceModificationError(
            f'the array being differentiated was modified in place (through a view or a '
            f"detached array sharing its memory) after '{node.name}' computed it, so its "
            f'recorded history no longer describes its values. Differentiate a copy made '
            f'before the modification, or recompute it inside record().'
        )


def not_recorded(head):
    """The NotRecordedError for differentiating `head`, which has no history."""
    dtype = head.dtype
    if dtype.kind not in 'fc':
        return NotRecordedError(
            f'cannot differentiate an array of dtype {dtype}: integer and boolean results '
            f'(argmax, comparisons, astype(int), floor division) carry no gradient. '
            f'Differentiate a floating-point result computed before that step.'
        )
    return NotRecordedError(
        'cannot differentiate an array that has no recorded history: it was computed '
        'outside `with autograd.record():`, or from constants only (no array it depends on '
        'had x.attach_grad() called before recording), or it was modified in place outside '
        'record(), which makes it a constant. Attach gradients to the inputs, then compute '
        'the result inside record().'
    )


def check_finite(node, i, gi):
    """Under ``autograd.detect_anomaly()``: a nan/inf gradient names the op that made it."""
    if not numpy.isfinite(gi._data if type(gi) is ndarray else gi).all():
        where = ''
        if node.site is not None:
            where = f' recorded at {node.site[0]}, line {node.site[1]} (in {node.site[2]})'
        raise FloatingPointError(
            f"the backward pass of '{node.name}'{where} produced nan or inf in the "
            f"gradient of its input {i}. Check that op's inputs for values outside its "
            f'domain (log or sqrt of 0 or negatives, division by zero, overflow).'
        )


def recorded_nodes(arrays, message):
    """The recorded nodes of `arrays`, or ValueError(`message`) if one is not an ndgrad
    array with history (a variable, or computed inside ``record()``)."""
    nodes = []
    for array in arrays:
        if not isinstance(array, ndarray) or array._node is None:
            raise ValueError(message)
        nodes.append(array._node)
    return nodes

"""In-place writes: when each memory buffer was written, and where.

A process-wide clock (`CLOCK`) ticks at every in-place write. Each buffer (the array
that owns the memory; views and detached arrays share it) keeps the time of its
writes and the region each touched. A node records the clock when it is made
(``Node.version``) and when it read each value it saves; at backward, a saved value
that a later write overlapped would give a wrong gradient, so the engine raises.
Regions make ``y[:, 1] = y[:, 0] ** 2`` fine: the saved ``y[:, 0]`` was not touched.
Where the clock has not moved since a node was made, nothing needs looking up.

>>> import numpy
>>> a, t = numpy.zeros((3, 3)), CLOCK[0]
>>> mark_written(a, (slice(None), 1))
>>> written_since(a[:, 0], t), written_since(a[:, 1], t), written_since(a[:, 1], CLOCK[0])
(False, True, False)
"""

import threading
import weakref

import numpy
from numpy.lib.stride_tricks import as_strided

CLOCK = [0]  # the time of the latest in-place write anywhere

# owner id -> [time of its last write, weakref to the owner, log of (time, region),
# time of the newest write dropped from the log]; entries leave with their buffer
# (weakref callback), so ids are never confused.
_WRITES = {}
_LOG = 64  # writes remembered per buffer; older ones count as having touched everything
_BASIC = (int, slice, type(None), type(Ellipsis), numpy.integer)
_WHOLE = slice(None)
_TICK = threading.Lock()


def owner(data):
    """The array that owns `data`'s memory (itself unless `data` is a view; a CuPy view's
    owner is a CuPy array; a Dask array has no memory of its own: itself)."""
    array = type(data)
    base = getattr(data, 'base', None) if array is not numpy.ndarray else data.base
    while type(base) is numpy.ndarray or type(base) is array:
        data, base = base, base.base
    return data


def mark_written(data, index=None):
    """Record an in-place write to `data`'s memory: to ``data[index]`` where `index` is
    a basic or advanced index, else to all of `data`."""
    buffer = owner(data)
    whole = data is buffer and (index is None or (type(index) is slice and index == _WHOLE))
    region = None if whole else _region(buffer, data, index)
    with _TICK:
        CLOCK[0] += 1
        time = CLOCK[0]
        entry = _WRITES.get(id(buffer)) or _entry(buffer)
        entry[0] = time
        log = entry[2]
        log.append((time, region))
        if len(log) > _LOG:
            entry[3] = log.pop(0)[0]


def _entry(buffer):
    key = id(buffer)
    entry = _WRITES[key] = [
        0,
        weakref.ref(buffer, lambda _, key=key: _WRITES.pop(key, None)),
        [],
        0,
    ]
    return entry


def written_since(value, time):
    """Whether a write after `time` touched `value`."""
    entry = _WRITES.get(id(owner(value)))
    if entry is None or entry[0] <= time:
        return False
    if entry[3] > time:
        return True  # (writes too old to be in the log: assume they touched it)
    return any(written > time and _overlaps(value, region) for written, region in entry[2])


def written_within(data, time, index):
    """Whether every write to `data`'s memory after `time` lay inside ``data[index]``
    (an assignment to ``data[index]`` then replaces all that was written)."""
    entry = _WRITES.get(id(owner(data)))
    if entry is None or entry[0] <= time:
        return True
    if entry[3] > time:
        return False
    target = _region(owner(data), data, index)
    return target is not None and all(
        written <= time or (region is not None and _contains(target, region))
        for written, region in entry[2]
    )


def _contains(outer, inner):
    if outer[0] == 'view' and inner[0] == 'view':
        return outer == inner
    if outer[0] == 'cells' and inner[0] == 'cells' and outer[4] == inner[4]:
        return bool(numpy.isin(_cells(inner), _cells(outer)).all())
    return False


_VARIABLES = {}  # owner id -> weakref: memory of arrays with an attached gradient


def mark_variable(data):
    """Note that `data`'s memory holds a variable (see `holds_variable`)."""
    buffer = owner(data)
    key = id(buffer)
    if key not in _VARIABLES:
        _VARIABLES[key] = weakref.ref(buffer, lambda _, key=key: _VARIABLES.pop(key, None))


def holds_variable(data):
    """Whether `data` is, or is a view of, the memory of a variable."""
    return id(owner(data)) in _VARIABLES


def is_stale(data, node):
    """Whether `data`, the values that op `node` produced, were written in place since
    (through any alias): the node's history no longer describes them."""
    return node.prim is not None and CLOCK[0] != node.version and written_since(data, node.version)


def _region(buffer, data, index):
    """Where ``data[index]`` lies in `buffer`'s memory: ('view', byte offset, shape,
    strides, itemsize) for a basic index; for an advanced one ('cells', the same of
    `data`, and a copy of the index), its elements found only when a check needs them;
    None for the whole buffer."""
    if (index is None and data is buffer) or type(buffer) is not numpy.ndarray:
        return None  # (the whole buffer; for CuPy's memory, conservatively)
    if not buffer.flags.forc:
        return None
    if index is not None:
        index = index if type(index) is tuple else (index,)
        if not all([isinstance(i, _BASIC) and type(i) is not bool for i in index]):
            index = tuple(
                numpy.array(i) if isinstance(i, (numpy.ndarray, list)) else i for i in index
            )  # (a copy: the caller may change theirs)
            return (
                'cells',
                _address(data) - _address(buffer),
                data.shape,
                data.strides,
                data.itemsize,
                index,
            )
        if Ellipsis not in index:
            index = index + (Ellipsis,)  # a view even where every axis gets an int
        data = data[index]
    if data.size == buffer.size and data.itemsize == buffer.itemsize:
        return None  # (a view as large as its buffer covers all of it: x[:] = ...)
    return 'view', _address(data) - _address(buffer), data.shape, data.strides, data.itemsize


def _address(data):
    return data.__array_interface__['data'][0]


def _byte_offsets(start, shape, strides):
    """The byte offset of every element of an array laid out by `shape` and `strides`
    from byte `start` of its buffer."""
    offsets = numpy.array(start, dtype=numpy.intp)
    for n, stride in zip(shape, strides):
        offsets = offsets[..., None] + numpy.arange(n, dtype=numpy.intp) * stride
    return offsets


def _cells(region):
    """The byte offsets an advanced-index write touched."""
    _, start, shape, strides, _, index = region
    return _byte_offsets(start, shape, strides)[index]


def _overlaps(value, region):
    if region is None:
        return True
    if region[0] == 'cells':
        if region[4] != value.itemsize:
            return True
        start = _address(value) - _address(owner(value))
        return bool(
            numpy.isin(_byte_offsets(start, value.shape, value.strides), _cells(region)).any()
        )
    _, start, shape, strides, itemsize = region
    raw = owner(value).reshape(-1, order='A').view(numpy.uint8)
    written = as_strided(raw[start:], shape + (itemsize,), strides + (1,))
    try:
        return numpy.shares_memory(value, written, max_work=10_000)
    except numpy.exceptions.TooHardError:
        return True

"""Where an array's data lives: NumPy (the default), Dask or CuPy, and MXNet's contexts.

The engine and the rules stay backend-agnostic: kernels are NumPy functions, which
dispatch to Dask and CuPy arrays through NEP 18 (``__array_function__``) and NEP 13
(``__array_ufunc__``). What is not the same on every backend is here, and only code
that already knows its data is not NumPy's calls it (a ``type(data) is numpy.ndarray``
test first keeps NumPy's path as it was):

* `kind` names the backend of a data array (``'numpy'``, ``'dask'``, ``'cupy'``);
* `adopt` takes a kernel's result as an array's data, without computing a Dask array;
* `move` puts a head gradient's seed on the heads' backend (a number next to Dask data
  stays NumPy: a constant of the tasks that read it);
* `broadcast_to` broadcasts a gradient, on Dask in the chunks of the data it goes with;
* `retry` runs a kernel again after it failed on mixed data: NumPy constants and
  numbers are moved onto the other backend; two backends (or two GPUs) in one op
  raise a TypeError naming both; a kernel a backend lacks raises one naming the op;
* `to_numpy`, `compute` bring values to the host (Dask arrays in one call for many, their
  graph rewritten by `_dask_compute` so that its tasks allocate fewer chunks);
* `Context`, `context_of`, `to_context`: MXNet's ``cpu(0)``/``gpu(i)``.

>>> import numpy
>>> kind(numpy.ones(2)), kind(3.0)
('numpy', 'numpy')
>>> Context('gpu', 1), Context('cpu') == 'cpu(0)'
(gpu(1), True)
"""

import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy

_KINDS = {numpy.ndarray: 'numpy'}  # type -> backend name (the module the type comes from)


def kind(data: Any) -> str:
    """The backend of `data`: 'numpy' (NumPy arrays and scalars, Python numbers, lists),
    'dask' or 'cupy'."""
    t = type(data)
    name = _KINDS.get(t)
    if name is None:
        root = t.__module__.partition('.')[0]
        name = _KINDS[t] = root if root in ('dask', 'cupy') else 'numpy'
    if name == 'dask' and _GUARDED[0] is not warnings.filters:
        _no_silent_compute()
    return name


_GUARDED: list[object] = [None]  # the list of warning filters `_no_silent_compute` last added to


def _no_silent_compute() -> None:
    """Make Dask's fallback for a NumPy function it lacks (compute the whole array, call
    NumPy, warn) an error: a kernel Dask lacks then raises one naming the op and Dask
    (`retry`), instead of pulling data larger than memory into one process."""
    warnings.filterwarnings(
        'error',
        message=r'The `numpy\.\w+` function is not implemented by Dask array',
        category=FutureWarning,
    )
    _GUARDED[0] = warnings.filters


def describe(data: Any) -> str:
    """A backend as error messages name it: 'NumPy', 'Dask', 'CuPy (gpu(0))'."""
    name = kind(data)
    if name == 'cupy':
        return f'CuPy (gpu({data.device.id}))'
    if name == 'dask':
        meta = getattr(data, '_meta', None)
        return 'Dask' if meta is None or kind(meta) == 'numpy' else f'Dask of {describe(meta)}'
    return 'NumPy'


def _placement(data: Any) -> str | None:
    """What must agree between the operands of one op: the backend and the device."""
    name = kind(data)
    if name == 'numpy':
        return None
    return describe(data)


# --- adopting results -----------------------------------------------------------------------
# Dask arrays made by ops and not yet computed, by id (`waitall`)
_LAZY: 'weakref.WeakValueDictionary[int, Any]' = weakref.WeakValueDictionary()


def adopt(value: Any) -> Any:
    """A kernel's result as an array's data: NumPy scalars and numbers as NumPy arrays,
    Dask and CuPy arrays as they are (a Dask array is not computed)."""
    if type(value) is numpy.ndarray:
        return value
    name = kind(value)
    if name == 'numpy':
        return numpy.asarray(value)
    if name == 'dask':
        _LAZY[id(value)] = value
    return value


def check_same(values: Iterable[Any], op: str) -> str | None:
    """TypeError if `values` (an op's operands' data) live on two backends or devices;
    NumPy values go with any."""
    first = None
    for v in values:
        if type(v) is numpy.ndarray:
            continue
        place = _placement(v)
        if place is None:
            continue
        if first is None:
            first = place
        elif place != first:
            raise TypeError(
                f'{op}: operands live on two backends, {first} and {place}; an op computes '
                f'on one. Move one first: x.as_in_ctx(ctx), x.asnumpy(), or '
                f'np.array(dask.array.from_array(...)).'
            )
    return first


def retry(op: str, fn: Callable[..., Any], raws: list[Any], kwargs: Any, error: Exception) -> Any:
    """Run `fn` (the kernel of `op`) again after it raised `error` on `raws`: NumPy
    constants moved onto the backend of the others. Re-raises `error` where every operand
    is NumPy's; a TypeError naming both where two backends meet; one naming the op and
    the backend where the backend lacks the kernel."""
    if all(kind(v) == 'numpy' for v in raws):
        raise error
    check_same(raws, op)
    target = next(v for v in raws if kind(v) != 'numpy')
    moved = [onto(v, target) for v in raws]
    try:
        return fn(*moved, **kwargs)
    except Exception as again:
        raise TypeError(
            f'{op} is not supported on {describe(target)} arrays ({type(again).__name__}: '
            f'{again}). Compute it on NumPy values (x.asnumpy()) or write it with ops '
            f'the backend has.'
        ) from again


def move(value: Any, like: Any) -> Any:
    """`value` (a NumPy array or a number) on the backend of `like`, as a head gradient's
    seed goes there: as `onto` puts it, but a number (one element) stays NumPy next to Dask
    data. What is computed from it is then computed on the client, and enters the tasks
    that read it as a constant (`broadcast_to` broadcasts it on the workers, in the data's
    chunks): no task of its own that every chunk's gradient would wait for and fetch."""
    if (
        kind(like) == 'dask'
        and isinstance(value, (numpy.ndarray, numpy.generic))
        and value.size == 1
        and kind(like._meta) == 'numpy'
    ):
        return value
    return onto(value, like)


def onto(value: Any, like: Any) -> Any:
    """`value` (a NumPy array or a number) on the backend of `like` (for Dask: a graph of
    one chunk, so that what is computed from it, broadcast, stays in the graph instead of
    being shipped to the workers as NumPy arrays); anything else unchanged."""
    if kind(value) != 'numpy' or not isinstance(value, (numpy.ndarray, numpy.generic)):
        return value
    name = kind(like)
    if name == 'cupy':
        cupy = sys.modules['cupy']
        with cupy.cuda.Device(like.device.id):
            return cupy.asarray(value)
    if name == 'dask':
        meta = like._meta
        if kind(meta) == 'cupy':
            value = onto(value, meta)
        import dask.array

        # (in `like`'s chunks where it has its shape: a seed then needs no rechunking)
        chunks = like.chunks if value.shape == like.shape else -1
        return dask.array.from_array(value, chunks=chunks)
    return value


# --- gradients broadcast on Dask ------------------------------------------------------------
_NEAR = 4  # how many ops back from a gradient's node `broadcast_to` looks for its chunks


def broadcast_to(g: Any, shape: tuple[int, ...], node: Any) -> Any:
    """`g` (a gradient, on any backend) broadcast to `shape`, the shape of `node`'s output;
    a Dask gradient, or a number (a one-element NumPy gradient, a seed's) next to Dask data,
    split into the chunks of the Dask array of `shape` nearest to `node`.

    Broadcast as Dask broadcasts by default (dims that were size 1 become one chunk), the
    gradient of a reduction (a mean's, a loss's) is one chunk of the data's length that
    every op then combining it with the data splits again: a broadcast task and two
    rechunk tasks per chunk. Broadcast block by block, in the chunks of the data, it is
    fused into the op that uses it: no task of its own. A number is a constant of each
    block's task: no task either, and nothing for the blocks to wait for or fetch.

    >>> broadcast_to(numpy.ones(1), (3,), None)
    array([1., 1., 1.])
    """
    lazy = kind(g) == 'dask'
    chunks = _chunks_near(node, shape) if lazy or g.size == 1 else None
    if not lazy and chunks is None:
        return numpy.broadcast_to(g, shape)
    import dask.array

    if chunks is None:
        return dask.array.broadcast_to(g, shape)
    if lazy:  # (g's blocks must line up with the data's along the axes it is not broadcast on)
        g = g.rechunk(tuple(c if n != 1 else -1 for n, c in zip(g.shape, chunks)))
        meta = g._meta
    else:  # (a number: a constant of each block's task)
        g = numpy.reshape(g, (1,) * len(shape))
        meta = numpy.empty((0,) * len(shape), g.dtype)
    blocks = dask.array.empty(shape, chunks=chunks, dtype=bool)  # (never filled or read)
    return blocks.map_blocks(_broadcast_block, g, dtype=g.dtype, meta=meta)


def _broadcast_block(block: Any, g: Any) -> Any:
    if type(g) is numpy.ndarray and g.size == 1:  # (a number: NumPy loops over it as one)
        return numpy.broadcast_to(g, block.shape)
    # (a copy, not a view with zero strides: NumPy's loops over those are not vectorized,
    # and every op of the backward pass reading the gradient would run several times slower)
    out = numpy.empty_like(g, shape=block.shape)
    out[...] = g
    return out


def _chunks_near(node: Any, shape: tuple[int, ...]) -> Any:
    """The chunks of a Dask array of `shape` saved by `node` (its output or an input) or
    by the ops it was computed from, up to `_NEAR` ops back; None if there is none."""
    level, seen = [node], set()
    for _ in range(_NEAR):
        parents: list[Any] = []
        for n in level:
            if n is None or id(n) in seen:
                continue
            seen.add(id(n))
            out, inputs = getattr(n, 'out', None), getattr(n, 'inputs', None) or ()
            for value in (*(out if type(out) is tuple else (out,)), *inputs):
                if kind(value) == 'dask' and value.shape == shape:
                    return value.chunks
            parents.extend(getattr(n, 'parents', ()))
        level = parents
    return None


# --- values on the host ---------------------------------------------------------------------
def to_numpy(data: Any) -> numpy.ndarray[Any, Any]:
    """The values of `data` as a NumPy array (a Dask array is computed, a CuPy one copied
    to the host)."""
    if type(data) is numpy.ndarray:
        return data
    name = kind(data)
    if name == 'dask':
        return to_numpy(data.compute())
    if name == 'cupy':
        return data.get()
    return numpy.asarray(data)


def compute(values: Sequence[Any]) -> list[Any]:
    """`values` with every Dask array among them computed, in one call (tasks shared
    between them run once; see `_dask_compute`); other values unchanged."""
    lazy = [i for i, v in enumerate(values) if kind(v) == 'dask']
    if not lazy:
        return list(values)
    from ._dask_compute import compute as compute_dask

    done = compute_dask([values[i] for i in lazy])
    out = list(values)
    for i, v in zip(lazy, done):
        out[i] = v if kind(v) != 'numpy' else numpy.asarray(v)
    return out


def gather(grads: Sequence[Any], likes: Sequence[Any]) -> list[Any]:
    """Gradients (raw data; None or arrays with history are left alone) computed in one
    ``dask.compute`` call where they are Dask arrays, each then put on the backend of the
    matching entry of `likes` (the variables' data): a NumPy variable gets a NumPy
    gradient, a Dask one a Dask array of its chunks."""
    lazy = [i for i, g in enumerate(grads) if g is not None and kind(g) == 'dask']
    if not lazy:
        return list(grads)
    done = compute([grads[i] for i in lazy])
    out = list(grads)
    for i, value in zip(lazy, done):
        out[i] = like_of(likes[i], value)
    return out


def persist(data: Any) -> Any:
    """A Dask array's values computed and kept (on the cluster's workers, with a
    distributed client), as a Dask array; other data unchanged."""
    if kind(data) != 'dask':
        return data
    return data.persist()


def waitall() -> None:
    """Compute every Dask array ops made that is still alive, in one call."""
    pending = list(_LAZY.values())
    _LAZY.clear()
    if pending:
        compute(pending)


def like_of(data: Any, value: Any) -> Any:
    """`value` (a computed NumPy array) back on `data`'s backend: a Dask array with
    `data`'s chunks, a CuPy array on its device; NumPy unchanged."""
    name = kind(data)
    if name == 'dask':
        import dask.array

        return dask.array.from_array(value, chunks=data.chunks)
    return onto(value, data)


def writable(data: Any, what: str) -> None:
    """Refuse an in-place write into Dask data inside ``record()`` (`what` names it)."""
    if kind(data) == 'dask':
        raise TypeError(
            f'{what}: Dask arrays cannot be written in place inside autograd.record() (a '
            f'Dask array is an immutable graph, so views and saved values could not see '
            f'the write). Build a new array instead, e.g. y = np.where(mask, value, y).'
        )


# --- MXNet's contexts -----------------------------------------------------------------------
class Context(str):
    """An MXNet device context, ``cpu(0)`` or ``gpu(i)``; equal to its name as a string.
    ``with ctx:`` makes it the default of array creation (`current_context`)."""

    device_type: str
    device_id: int

    def __new__(cls, device_type: str = 'cpu', device_id: int = 0) -> 'Context':
        if device_type not in ('cpu', 'gpu'):
            raise ValueError(f"a context is 'cpu' or 'gpu', not {device_type!r}")
        self = super().__new__(cls, f'{device_type}({int(device_id)})')
        self.device_type, self.device_id = device_type, int(device_id)
        return self

    def __repr__(self) -> str:
        return str(self)

    def __enter__(self) -> 'Context':
        _DEFAULT.stack = [*_stack(), self]
        _ACTIVE[0] += 1
        return self

    def __exit__(self, *exc: object) -> None:
        _DEFAULT.stack = _stack()[:-1]
        _ACTIVE[0] -= 1

    __hash__ = str.__hash__


CPU = Context('cpu', 0)
_DEFAULT = threading.local()
_ACTIVE = [0]  # ``with ctx:`` blocks open in any thread (none: creation looks up nothing)


def _stack() -> list['Context']:
    return getattr(_DEFAULT, 'stack', [])


def current_context() -> Context:
    """The context arrays are created on: the innermost ``with ctx:``, else ``cpu(0)``."""
    stack = _stack()
    return stack[-1] if stack else CPU


def num_gpus() -> int:
    """How many GPUs CuPy sees (0 without CuPy or without a GPU)."""
    try:
        import cupy  # type: ignore[import-not-found]
    except ImportError:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # (CuPy installed, no driver or no device)
        return 0


def gpu(device_id: int = 0) -> Context:
    """The context of GPU `device_id`; RuntimeError saying what is missing where there is
    none."""
    try:
        import cupy  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        raise RuntimeError(
            f'gpu({device_id}) needs CuPy, which is not installed: pip install '
            f"'ndgrad[gpu]' (CuPy for CUDA 12). Use npx.cpu(), or d2l.try_gpu(), which "
            f'falls back to the CPU.'
        ) from None
    count = num_gpus()
    if not 0 <= device_id < count:
        raise RuntimeError(
            f'there is no gpu({device_id}): CuPy sees {count} GPU(s) (npx.num_gpus()). '
            f'Use npx.cpu(), or d2l.try_gpu(), which falls back to the CPU.'
        )
    return Context('gpu', device_id)


def context_of(data: Any) -> Context:
    """The context `data` lives on: ``gpu(i)`` for CuPy data (or Dask of CuPy), else
    ``cpu(0)``."""
    if type(data) is numpy.ndarray:
        return CPU
    name = kind(data)
    if name == 'cupy':
        return Context('gpu', data.device.id)
    if name == 'dask' and kind(data._meta) == 'cupy':
        return Context('gpu', 0)
    return CPU


def as_context(ctx: Any) -> Context:
    """`ctx` (a Context, 'cpu(0)', 'gpu(1)', or None for the current one) as a Context."""
    if ctx is None:
        return current_context()
    if isinstance(ctx, Context):
        return ctx
    text = str(ctx)
    for device_type in ('cpu', 'gpu'):
        if text == device_type or text.startswith(device_type + '('):
            number = text[len(device_type) + 1 : -1] if '(' in text else '0'
            ctx = Context(device_type, int(number))
            return gpu(ctx.device_id) if device_type == 'gpu' else ctx
    raise ValueError(f"unknown context {ctx!r}: use npx.cpu() or npx.gpu(i), e.g. 'gpu(0)'")


def to_context(data: Any, ctx: Any) -> Any:
    """`data` on context `ctx`: copied to the host for ``cpu``, to GPU i for ``gpu(i)``;
    itself where it is there already."""
    ctx = as_context(ctx)
    if context_of(data) == ctx:
        return data
    if ctx.device_type == 'cpu':
        return to_numpy(data)
    import cupy  # type: ignore[import-not-found]

    with cupy.cuda.Device(ctx.device_id):  # (a copy, also from another GPU)
        return cupy.array(to_numpy(data) if kind(data) == 'dask' else data)


def on_context(data: Any, ctx: Any) -> Any:
    """NumPy `data` just created, placed on `ctx` (None: the current context)."""
    if ctx is None and (not _ACTIVE[0] or not _stack()):
        return data
    ctx = as_context(ctx)
    return data if ctx.device_type == 'cpu' else to_context(data, ctx)

"""MXNet's imperative autograd API: record a computation, then differentiate it.

>>> from ndgrad import autograd, np
>>> x = np.array([1., 2.]); x.attach_grad()
>>> with autograd.record():
...     y = (x ** 3).sum()
>>> y.backward(); x.grad          # 3 x**2
array([ 3., 12.])
"""

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy

from . import _backend, _engine, _state
from ._buffers import conj_complex, store
from ._checks import recorded_nodes
from ._graph import BUFFERED
from ._ndarray import ndarray, wrap
from ._primitive import DEBUG, anchored
from ._state import STATE, scope
from ._typing import ArrayLike, GradReq, Scope
from ._writes import holds_variable

__all__ = [
    'Function',
    'backward',
    'custom_vjp',
    'detect_anomaly',
    'grad',
    'is_recording',
    'is_training',
    'mark_variables',
    'pause',
    'predict_mode',
    'record',
    'set_recording',
    'set_training',
    'stop_gradient',
    'train_mode',
]


def record(train_mode: bool = True) -> Scope:
    """Record the operations in this block so that they can be differentiated.

    Also switches to training mode (``train_mode=False`` keeps prediction mode).
    """
    return scope(True, train_mode)


def pause(train_mode: bool = False) -> Scope:
    """Stop recording inside a ``record()`` block (prediction mode by default)."""
    return scope(False, train_mode)


def train_mode() -> Scope:
    """Training mode (dropout drops, batch norm uses batch statistics), recording unchanged."""
    return scope(None, True)


def predict_mode() -> Scope:
    """Prediction mode, recording unchanged."""
    return scope(None, False)


def is_recording() -> bool:
    """Whether operations are being recorded for differentiation."""
    return _state.recording()


def is_training() -> bool:
    """Whether training mode is on (``record()`` turns it on)."""
    return _state.training()


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off; returns the previous state."""
    previous = _state.recording()
    _state.set_recording(bool(is_recording))
    return previous


def set_training(train_mode: bool) -> bool:
    """Turn training mode on or off; returns the previous state."""
    previous = _state.training()
    _state.set_training(bool(train_mode))
    return previous


def mark_variables(
    variables: ndarray | Sequence[ndarray],
    gradients: ArrayLike,
    grad_reqs: GradReq | Sequence[GradReq] = 'write',
) -> None:
    """Make `variables` leaves whose gradients backward writes (or adds) into `gradients`.

    Each buffer is a float array (ndgrad or NumPy) of its variable's shape, and the
    gradient goes into its memory: buffers may be views, e.g. slices of one flat array.

    >>> w, b = np.ones(3), np.ones(2)
    >>> flat = numpy.zeros(5)
    >>> autograd.mark_variables([w, b], [flat[:3], flat[3:]])
    >>> with autograd.record():
    ...     loss = (w * w).sum() + 2 * b.sum()
    >>> loss.backward(); flat
    array([2., 2., 2., 2., 2.])
    """
    variables, gradients = _as_pairs(variables, gradients)
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    elif len(grad_reqs) != len(variables):
        raise ValueError(
            f'mark_variables: got {len(grad_reqs)} grad_reqs for '
            f'{len(variables)} variables; pass one per variable, or one string'
        )
    buffers = [
        _gradient_buffer(var, buf, k) for k, (var, buf) in enumerate(zip(variables, gradients))
    ]
    _check_overlaps(variables, buffers, grad_reqs)
    for var, buf, req in zip(variables, buffers, grad_reqs):
        var.attach_grad(req)
        if var._node is not None:
            var._node.grad = buf


def _as_pairs(variables: Any, gradients: Any) -> tuple[list[ndarray], list[Any]]:
    """`variables` and `gradients` as two lists of one length, or a ValueError."""
    if isinstance(variables, ndarray):
        variables = [variables]
        if not isinstance(gradients, (list, tuple)):
            gradients = [gradients]
    if not isinstance(variables, (list, tuple)) or not isinstance(gradients, (list, tuple)):
        raise TypeError(
            f'mark_variables takes a list of variables and a list of gradient '
            f'buffers, not a {type(variables).__name__} and a '
            f'{type(gradients).__name__}'
        )
    if len(gradients) != len(variables):
        raise ValueError(
            f'mark_variables: got {len(gradients)} gradient buffers for '
            f'{len(variables)} variables; pass one buffer per variable'
        )
    for var in variables:
        if not isinstance(var, ndarray):
            raise TypeError(
                f'mark_variables: a variable is a {type(var).__name__}; '
                f'variables must be ndgrad arrays (np.array(...))'
            )
    return list(variables), list(gradients)


def _gradient_buffer(var: ndarray, buf: Any, k: int) -> ndarray:
    """Gradient buffer `k` as an ndgrad array sharing the caller's memory, or an error
    saying what is wrong with it."""
    what = f'mark_variables: gradient buffer {k}'
    if isinstance(buf, numpy.ndarray):
        data = buf
    elif isinstance(buf, ndarray):
        if buf._node is not None:
            raise ValueError(
                f'{what} is a variable or has recorded history, and backward '
                f'would replace it; pass an array of its own, e.g. '
                f'np.zeros({var.shape})'
            )
        data = buf._data
    else:
        raise TypeError(
            f'{what} is a {type(buf).__name__}; pass a float array of the '
            f"variable's shape, e.g. np.zeros({var.shape})"
        )
    if data.dtype.kind != 'f' and not data.dtype.kind == var.dtype.kind == 'c':
        raise TypeError(
            f'{what} has dtype {data.dtype}; gradients are float: pass a float '
            f"array, e.g. np.zeros({var.shape}, dtype='{var.dtype}')"
        )
    if data.shape != var.shape:
        raise ValueError(
            f'{what} of shape {data.shape} does not match its variable of '
            f'shape {var.shape}; give each variable a buffer of its shape'
        )
    if not data.flags.writeable:
        raise ValueError(f'{what} is read-only; backward writes into it: pass a writeable array')
    return buf if isinstance(buf, ndarray) else wrap(buf)


def _check_overlaps(
    variables: list[ndarray], buffers: list[ndarray], grad_reqs: Sequence[str]
) -> None:
    """A buffer must not share memory with a variable (of this call or any other), nor
    with another buffer that is overwritten ('write'), of this call or of a variable
    marked before: backward would write one gradient over another value."""
    others = [leaf for leaf in BUFFERED if all(leaf is not v._node for v in variables)]
    for k, buf in enumerate(buffers):
        if holds_variable(buf._data) or any(_overlap(buf._data, v._data) for v in variables):
            raise ValueError(
                f'mark_variables: gradient buffer {k} shares memory with a '
                f'variable; backward would overwrite the variable. Give '
                f'each variable a buffer of its own'
            )
        for leaf in others:
            if 'write' in (leaf.grad_req, grad_reqs[k]) and _overlap(buf._data, leaf.grad._data):
                raise ValueError(
                    f'mark_variables: gradient buffer {k} shares memory with '
                    f'the gradient buffer of another variable (grad_req '
                    f"'write'), so one gradient would overwrite the other; "
                    f'give each variable its own memory'
                )
        for j in range(k):
            if 'write' in (grad_reqs[j], grad_reqs[k]) and _overlap(buf._data, buffers[j]._data):
                raise ValueError(
                    f'mark_variables: gradient buffers {j} and {k} share '
                    f'memory, so one gradient would overwrite the other '
                    f"(grad_req 'write'); give each variable its own memory"
                )


def _overlap(a: Any, b: Any) -> bool:
    return numpy.may_share_memory(a, b) and numpy.shares_memory(a, b)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Debug mode: each recorded op remembers the line that called it, and a nan or inf
    gradient in backward raises FloatingPointError naming that op and line.

    Slower; use it to find where a NaN gradient comes from.
    """
    saved = STATE.anomaly
    with DEBUG.lock:
        DEBUG.threads += 1
        DEBUG.active = True
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = saved
        with DEBUG.lock:
            DEBUG.threads -= 1
            DEBUG.active = DEBUG.threads > 0


def stop_gradient(x: ArrayLike) -> ndarray:
    """`x` as a constant: the same values, with no gradient flowing back through it."""
    return x.detach() if isinstance(x, ndarray) else wrap(numpy.asarray(x))


def _as_list(values: Any) -> Any:
    if values is None:
        return None
    return (
        [values]
        if isinstance(values, ndarray) or not isinstance(values, (list, tuple))
        else list(values)
    )


def _single_head_grad(heads: Any, head_grads: Any) -> Any:
    """For one head array, `head_grads` is its one gradient, even a list of numbers."""
    if (
        isinstance(heads, ndarray)
        and head_grads is not None
        and not (
            isinstance(head_grads, (list, tuple))
            and len(head_grads) == 1
            and (head_grads[0] is None or isinstance(head_grads[0], (ndarray, numpy.ndarray)))
        )
    ):
        return [head_grads]
    return head_grads


def _ones(head: ndarray, create_graph: bool) -> Any:
    """The default head gradient: ones of the head's shape and dtype."""
    data = head._data
    dtype = data.dtype
    if dtype.kind == 'c':
        raise TypeError(
            f'backward of a complex array ({dtype}) needs a head gradient: a complex '
            f'output has no gradient of its own (its derivative is not a single number per '
            f'entry), only a real loss made from it does. Differentiate a real loss, e.g. '
            f'np.abs(y).sum() or y.real.sum(), or pass head_grads=dL/dy.'
        )
    if data.ndim == 0:  # a loss (the cheapest way to make a 0-d array)
        g = numpy.array(1, dtype)
    else:
        g = numpy.empty(data.shape, dtype)
        g.fill(1)  # (numpy.ones, less its Python wrapper)
    return wrap(g) if create_graph else g


def _head_grads(heads: Any, head_grads: Any, create_graph: bool) -> list[Any]:
    if head_grads is None:
        head_grads = [None] * len(heads)
    else:
        head_grads = _as_list(head_grads)
        if len(head_grads) != len(heads):
            raise ValueError(f'got {len(head_grads)} head gradients for {len(heads)} heads')
    several = len(heads) > 1
    return [
        _ones(head, create_graph)
        if g is None
        else _head_grad(
            head, g, f'head gradient {k}' if several else 'the head gradient', create_graph
        )
        for k, (head, g) in enumerate(zip(heads, head_grads))
    ]


def _head_grad(head: ndarray, g: Any, what: str, create_graph: bool) -> Any:
    """Head gradient `g` of `head` as the engine takes it, in the head's dtype: a new
    array object for each pass (a pass is told apart by its head gradients, e.g. by the
    memo of a custom function), sharing the caller's memory."""
    value = _real_values(g, what)
    if value.dtype.kind == 'c' and head.dtype.kind != 'c':
        raise TypeError(
            f'{what} is complex ({value.dtype}) but the array being '
            f'differentiated is real ({head.dtype}): an imaginary part is not '
            f'differentiable there; pass a real array'
        )
    if value.shape != head.shape:
        raise ValueError(
            f'head gradient of shape {value.shape} does not match the shape '
            f'{head.shape} of the array being differentiated: out_grad must hold '
            f'dL/dy for every element of y, so it needs the shape of y'
        )
    if create_graph and isinstance(g, ndarray) and g._node is not None:
        g = wrap(g._data, g._node)  # a recorded head gradient keeps its history
        return conj_complex(g)
    if value.dtype != head.dtype:
        value = value.astype(head.dtype)
    elif create_graph:
        value = value.copy()  # (a recorded pass keeps it: the caller may change theirs)
    else:
        value = value.view()
    value = conj_complex(value)
    return wrap(value) if create_graph else value


def _real_values(value: Any, what: str) -> Any:
    """The NumPy array of real numbers that `value` (an array, a number or a list of
    numbers) holds, or a TypeError naming what it is."""
    data = value._data if isinstance(value, ndarray) else value
    if not isinstance(data, numpy.ndarray):
        if not isinstance(data, (int, float, numpy.number, numpy.bool_, list, tuple)):
            raise TypeError(
                f'{what} is a {type(value).__name__}; it must be an array of '
                f'numbers (e.g. np.ones(y.shape)), or None for ones'
            )
        data = numpy.asarray(data)
    kind = data.dtype.kind
    if kind not in 'biufc':
        raise TypeError(
            f'{what} holds {_describe(data)}; it must be an array of '
            f'numbers (e.g. np.ones(y.shape)), or None for ones'
        )
    return data


def _describe(data: numpy.ndarray[Any, Any]) -> str:
    """What a NumPy array of non-numbers holds, for an error message."""
    if data.dtype.kind == 'O':
        for item in data.flat:
            if not isinstance(item, (int, float, numpy.number)):
                return f'a {type(item).__name__} (an array of dtype object)'
    return f'values of dtype {data.dtype}'


def _check_heads(heads: Iterable[object]) -> None:
    for head in heads:
        if not isinstance(head, ndarray):
            raise TypeError(f'can only differentiate ndgrad arrays, not {type(head).__name__}')


def backward(
    heads: ndarray | Sequence[ndarray],
    head_grads: ArrayLike | None = None,
    retain_graph: bool = False,
    train_mode: bool = True,
    create_graph: bool = False,
) -> None:
    """Compute the gradients of `heads` and store them in the variables' ``.grad``.

    `head_grads` are dL/dhead, one per head, each of its head's shape (ones, i.e.
    the gradient of the sum, by default).
    """
    if head_grads is None and type(heads) is ndarray:  # y.backward(), the common case
        # (mypy binds a tuple's targets one by one: `heads` in _ones(...) is still the array)
        heads, grads = [heads], [_ones(heads, create_graph)]  # type: ignore[arg-type]
    else:
        head_grads = _single_head_grad(heads, head_grads)
        heads = _as_list(heads)
        _check_heads(heads)
        grads = _head_grads(heads, head_grads, create_graph)
    found, skipped = _engine.backward_to_leaves(
        heads, grads, create_graph, retain_graph or create_graph, train_mode
    )
    if (
        not create_graph
        and (len(heads) != 1 or type(heads[0]._data) is not numpy.ndarray)
        and _lazy(heads)
    ):  # every gradient in one dask.compute, with the values of small heads (a loss)
        leaves = list(found)
        small = [h for h in heads if h.nbytes <= _SMALL_HEAD and _lazy([h])]
        values = _backend.gather(
            [found[leaf] for leaf in leaves] + [h._data for h in small],
            [_like(x) for x in leaves] + [h._data for h in small],
        )
        found.update(zip(leaves, values))
        for h, value in zip(small, values[len(leaves) :]):
            h._data = value  # (the same values, computed: printing the loss costs nothing)
    store(found, skipped, [head._node for head in heads] if create_graph else None)


def _own_results(variables: Iterable[Any], results: list[Any], grads: list[Any]) -> list[ndarray]:
    """`results` as arrays of their own, zeros for the unreached: a pass may hand a head
    gradient, or one buffer to several variables, straight through (y = a + b), so
    those are copied rather than aliased."""
    out, taken = [], [g._data if isinstance(g, ndarray) else g for g in grads]
    for var, g in zip(variables, results):
        if g is None:
            g = wrap(
                numpy.zeros_like(var._data) if _lazy([var]) else numpy.zeros(var.shape, var.dtype)
            )
        elif _lazy([g]):
            g = g if isinstance(g, ndarray) else wrap(g)  # (Dask, CuPy: never a seed's memory)
        elif not isinstance(g, ndarray):
            g = numpy.asarray(g)
            if not g.flags.writeable or _shares_memory(g, taken):
                g = g.copy()
            g = wrap(g)
        elif g._node is None and _shares_memory(g._data, taken):
            g = wrap(g._data.copy())
        taken.append(g._data)
        out.append(g)
    return out


def grad(
    heads: ndarray | Sequence[ndarray],
    variables: ndarray | Sequence[ndarray],
    head_grads: ArrayLike | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    train_mode: bool = True,
) -> list[ndarray]:
    """The gradients of `heads` with respect to `variables`, returned (``.grad`` untouched).

    `variables` may be leaves or arrays computed inside ``record()`` (intermediates):
    ``autograd.grad(y, [x, z])`` gives dy/dx and dy/dz together. With
    ``create_graph=True`` the result is recorded, so it can be differentiated again.
    """
    head_grads = _single_head_grad(heads, head_grads)
    heads, variables = _as_list(heads), _as_list(variables)
    _check_heads(heads)
    nodes = recorded_nodes(
        variables,
        'autograd.grad: a variable has no gradient attached and was not computed under '
        'autograd.record(). Call x.attach_grad() before recording, or pass an array '
        'computed inside the record() block.',
    )
    if retain_graph is None:
        retain_graph = create_graph
    grads = _head_grads(heads, head_grads, create_graph)
    with scope(None, train_mode):
        # a copy: the engine consumes its list, and the head gradients are used below
        results = _engine.backward(heads, list(grads), nodes, create_graph, retain_graph)
    results = [conj_complex(g) for g in results]
    if not create_graph and _lazy(heads):  # every gradient in one dask.compute
        results = _backend.gather(results, [v._data for v in variables])
    if create_graph:  # (results without history of their own differentiate to zeros)
        roots = [head._node for head in heads]
        results = [
            g
            if type(g) is ndarray and g._node is not None
            else anchored(g, v.shape, v.dtype, roots)
            for g, v in zip(results, nodes)
        ]
    return _own_results(variables, results, grads)


_SMALL_HEAD = 1 << 20  # bytes: heads computed along with the gradients (a loss)


def _lazy(arrays: Iterable[Any]) -> bool:
    """Whether some of `arrays` (ndgrad arrays or their data) hold data of another backend
    than NumPy (Dask, CuPy)."""
    for a in arrays:
        data = a._data if type(a) is ndarray else a
        if type(data) is not numpy.ndarray and _backend.kind(data) != 'numpy':
            return True
    return False


def _like(leaf: Any) -> Any:
    """The data a leaf's gradient goes with: its buffer's (NumPy where it has none)."""
    return leaf.grad._data if leaf.grad is not None else numpy.empty(0)


def _shares_memory(value: Any, others: Iterable[Any]) -> bool:
    return any(numpy.may_share_memory(value, other) for other in others)


from ._custom import Function, custom_vjp  # noqa: E402  (custom gradients)

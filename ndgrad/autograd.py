"""MXNet's imperative autograd API: record a computation, then differentiate it.

>>> from ndgrad import autograd, np
>>> x = np.arange(4); x.attach_grad()
>>> with autograd.record():
...     y = 2 * np.dot(x, x)
>>> y.backward(); x.grad
array([ 0.,  4.,  8., 12.])
"""
import contextlib
import functools

import numpy

from . import _engine
from ._ndarray import ndarray, wrap
from ._primitive import DEBUG
from ._state import STATE

__all__ = ['record', 'pause', 'train_mode', 'predict_mode', 'is_recording', 'is_training',
           'set_recording', 'set_training', 'mark_variables', 'backward', 'grad',
           'stop_gradient', 'Function', 'custom_vjp', 'detect_anomaly']


class _scope:
    """Set the recording and training flags (None: unchanged) for a block, then restore
    them; also a decorator. A class with slots, not a generator: it opens every training
    step's ``record()``."""

    __slots__ = ('recording', 'training', 'saved')

    def __init__(self, recording, training):
        self.recording, self.training = recording, training

    def __enter__(self):
        self.saved = STATE.recording, STATE.training
        if self.recording is not None:
            STATE.recording = self.recording
        if self.training is not None:
            STATE.training = self.training

    def __exit__(self, *exc):
        STATE.recording, STATE.training = self.saved

    def __call__(self, fn):
        @functools.wraps(fn)
        def scoped(*args, **kwargs):
            with _scope(self.recording, self.training):  # one scope per call
                return fn(*args, **kwargs)
        return scoped


def record(train_mode=True):
    """Record the operations in this block so that they can be differentiated.

    Also switches to training mode (``train_mode=False`` keeps prediction mode).
    """
    return _scope(True, train_mode)


def pause(train_mode=False):
    """Stop recording inside a ``record()`` block (prediction mode by default)."""
    return _scope(False, train_mode)


def train_mode():
    """Training mode (dropout drops, batch norm uses batch statistics), recording unchanged."""
    return _scope(None, True)


def predict_mode():
    """Prediction mode, recording unchanged."""
    return _scope(None, False)


def is_recording():
    """Whether operations are being recorded for differentiation."""
    return STATE.recording


def is_training():
    """Whether training mode is on (``record()`` turns it on)."""
    return STATE.training


def set_recording(is_recording):
    """Turn recording on or off; returns the previous state."""
    previous, STATE.recording = STATE.recording, bool(is_recording)
    return previous


def set_training(train_mode):
    """Turn training mode on or off; returns the previous state."""
    previous, STATE.training = STATE.training, bool(train_mode)
    return previous


def mark_variables(variables, gradients, grad_reqs='write'):
    """Make `variables` leaves whose gradients are written into `gradients`."""
    if isinstance(variables, ndarray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    for var, buf, req in zip(variables, gradients, grad_reqs):
        if buf.shape != var.shape:
            raise ValueError(f'gradient buffer of shape {buf.shape} does not match the '
                             f'variable of shape {var.shape}')
        var.attach_grad(req)
        if var._node is not None:
            var._node.grad = buf


@contextlib.contextmanager
def detect_anomaly():
    """Debug mode: each recorded op remembers the line that called it, and a nan or inf
    gradient in backward raises FloatingPointError naming that op and line.

    Slower; use it to find where a NaN gradient comes from.
    """
    saved = DEBUG.sites, DEBUG.finite
    DEBUG.sites = DEBUG.finite = True
    try:
        yield
    finally:
        DEBUG.sites, DEBUG.finite = saved


def stop_gradient(x):
    """`x` as a constant: the same values, with no gradient flowing back through it."""
    return x.detach() if isinstance(x, ndarray) else wrap(numpy.asarray(x))


def _as_list(values):
    if values is None:
        return None
    return [values] if isinstance(values, ndarray) or not isinstance(values, (list, tuple)) \
        else list(values)


def _single_head_grad(heads, head_grads):
    """For one head array, `head_grads` is its one gradient, even a list of numbers."""
    if isinstance(heads, ndarray) and head_grads is not None and not (
            isinstance(head_grads, (list, tuple)) and len(head_grads) == 1
            and isinstance(head_grads[0], (ndarray, numpy.ndarray))):
        return [head_grads]
    return head_grads


def _ones(head, create_graph):
    """The default head gradient: ones of the head's shape and dtype."""
    if head.ndim == 0:  # a loss (the cheapest way to make a 0-d array)
        g = numpy.array(1, head.dtype)
    else:
        g = numpy.empty(head.shape, head.dtype)
        g.fill(1)  # (numpy.ones, less its Python wrapper)
    return wrap(g) if create_graph else g


def _head_grads(heads, head_grads, create_graph):
    if head_grads is None:
        head_grads = [None] * len(heads)
    else:
        head_grads = _as_list(head_grads)
        if len(head_grads) != len(heads):
            raise ValueError(f'got {len(head_grads)} head gradients for {len(heads)} heads')
    out = []
    for head, g in zip(heads, head_grads):
        if g is None:
            out.append(_ones(head, create_graph))
            continue
        value = g._data if isinstance(g, ndarray) else numpy.asarray(g)
        if value.shape != head.shape:
            raise ValueError(
                f'head gradient of shape {value.shape} does not match the shape '
                f'{head.shape} of the array being differentiated: out_grad must hold '
                f'dL/dy for every element of y, so it needs the shape of y')
        if value.dtype != head.dtype:
            value = value.astype(head.dtype)
        if create_graph and isinstance(g, ndarray) and g._node is not None:
            out.append(g)  # a recorded head gradient keeps its history
        else:
            out.append(wrap(value) if create_graph else value)
    return out


def _check_heads(heads):
    for head in heads:
        if not isinstance(head, ndarray):
            raise TypeError(f'can only differentiate ndgrad arrays, not {type(head).__name__}')


def backward(heads, head_grads=None, retain_graph=False, train_mode=True, create_graph=False):
    """Compute the gradients of `heads` and store them in the variables' ``.grad``.

    `head_grads` are dL/dhead, one per head, each of its head's shape (ones, i.e.
    the gradient of the sum, by default).
    """
    if head_grads is None and type(heads) is ndarray:  # y.backward(), the common case
        heads, grads = [heads], [_ones(heads, create_graph)]
    else:
        head_grads = _single_head_grad(heads, head_grads)
        heads = _as_list(heads)
        _check_heads(heads)
        grads = _head_grads(heads, head_grads, create_graph)
    saved, STATE.training = STATE.training, train_mode  # (the engine restores recording)
    try:
        _engine.backward(heads, grads, None, create_graph, retain_graph or create_graph)
    finally:
        STATE.training = saved


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """The gradients of `heads` with respect to `variables`, returned (``.grad`` untouched).

    `variables` may be leaves or arrays computed inside ``record()`` (intermediates):
    ``autograd.grad(y, [x, z])`` gives dy/dx and dy/dz together. With
    ``create_graph=True`` the result is recorded, so it can be differentiated again.
    """
    head_grads = _single_head_grad(heads, head_grads)
    heads, variables = _as_list(heads), _as_list(variables)
    _check_heads(heads)
    nodes = []
    for var in variables:
        if not isinstance(var, ndarray) or var._node is None:
            raise ValueError(
                'autograd.grad: a variable has no gradient attached and was not computed '
                'under autograd.record(). Call x.attach_grad() before recording, or pass an '
                'array computed inside the record() block.')
        nodes.append(var._node)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _head_grads(heads, head_grads, create_graph)
    with _scope(None, train_mode):
        # a copy: the engine consumes its list, and the head gradients are used below
        results = _engine.backward(heads, list(grads), variables=nodes,
                                   create_graph=create_graph, retain_graph=retain_graph)
    # a pass may hand a head gradient, or one buffer to several variables, straight
    # through (y = a + b): results are copied rather than alias those
    out, taken = [], [g._data if isinstance(g, ndarray) else g for g in grads]
    for var, g in zip(variables, results):
        if g is None:
            g = wrap(numpy.zeros(var.shape, var.dtype))
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


def _shares_memory(value, others):
    return any(numpy.may_share_memory(value, other) for other in others)


from ._custom import Function, custom_vjp  # noqa: E402  (custom gradients)

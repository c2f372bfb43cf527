"""Primitives: NumPy kernels that record themselves, and the table of their rules.

Every differentiable op is one `op(...)` entry in a module of ``ndgrad/rules``::

    op('sin', numpy.sin,
       vjp=lambda xp, g, ans, x: g * xp.cos(x),
       jvp='elementwise')

A rule receives ``xp``, the namespace to compute with: `RAW` (the NumPy kernels,
used by a plain backward pass, no recording cost) or `REC` (the recorded
primitives, used with ``create_graph=True`` so the backward pass is itself
differentiable). Rules therefore work to any order. They must accept ``g`` (and
``t``) with extra leading axes: the batch axes of vectorized Jacobians. Use
negative axes and shapes relative to the saved inputs.

``vjp``: one rule per positional input, ``rule(xp, g, ans, *inputs, **kwargs)``
returning the gradient for that input (the engine sums it back to the input's
shape and casts it to its dtype). None marks a non-differentiable position.

``jvp``: per input ``rule(xp, t, ans, *inputs, **kwargs)`` giving that input's
contribution to the output tangent; ``'elementwise'`` reuses the vjp rules (their
Jacobian is diagonal); None makes forward mode fall back to the transpose of the
vjp rule (two reverse passes).

``save``: what the node keeps for its rules: 'inputs' (default), 'output',
'both', or 'shapes' (only the inputs' shapes and dtypes: `Meta` stand-ins).

``arrays=True``: constant operands (lists, numbers) are saved as NumPy arrays, for
rules that read their ``ndim`` or ``shape`` (matrix products, solvers).

``accumulate`` (optional, single-output ops): per input ``rule(acc, g, ans,
*inputs, **kwargs)`` adding that input's gradient into ``acc`` in place, where
``acc`` is the input's gradient accumulator (NumPy, batch axes in front, the
input's shape and dtype). A plain backward pass uses it instead of the vjp rule:
``acc[index] += g`` instead of scattering `g` into zeros and adding those.
"""

import functools
import inspect
import sys
import threading
from types import MappingProxyType

import numpy

from . import _backend
from ._errors import InPlaceModificationError
from ._graph import Meta, Node, Output, PerInput
from ._ndarray import ndarray, wrap
from ._rule_reads import check_save
from ._state import STATE, recording
from ._writes import CLOCK, is_stale, owner


class DEBUG:
    """``autograd.detect_anomaly()``: record where each op was called from, and check
    every gradient for nan/inf. Each thread has its own switch (``STATE.anomaly``);
    `threads` counts the threads that have it on, and `active` says whether any has,
    so that every other op reads one class attribute, not a thread-local one."""

    threads = 0
    active = False
    lock = threading.Lock()


def user_site():
    """(file, line, code) of the innermost caller outside the ndgrad package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get('__name__', '').startswith('ndgrad.'):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


NO_KWARGS = MappingProxyType({})  # the keywords of every node recorded without any
REGISTRY = {}  # primitive name -> Primitive
COMPOSITES = {}  # public name -> function composed of primitives
_SAVES = {
    'inputs': (True, False),
    'output': ('meta', True),
    'both': (True, True),
    'shapes': ('meta', False),
}


def _wrap_out(out):
    if type(out) is numpy.ndarray:
        return wrap(out)
    if type(out) is tuple:
        return tuple(map(_wrap_out, out))
    if type(out) in SCALARS:  # (NumPy's 0-d results: the common case here)
        return wrap(numpy.asarray(out))
    return wrap(_backend.adopt(out))


# NumPy's scalar types and Python's numbers: results NumPy gives as they are (a set, not
# isinstance: one lookup, no call, on the path of every op with a 0-d result)
SCALARS = frozenset(
    {t for t in numpy.sctypeDict.values() if isinstance(t, type) and issubclass(t, numpy.generic)}
    | {float, int, complex, bool}
)


class Primitive:
    """A NumPy kernel that records a graph node when called under ``record()``."""

    def __init__(self, name, fn, vjps=None, jvps=None, save='inputs', nout=1,
                 export=None, accumulate=None, arrays=False):  # fmt: skip
        self.export = export
        self.name = self.__name__ = self.__qualname__ = name
        self.fn = self.__wrapped__ = fn
        self.vjps = vjps
        self.jvps = jvps
        self.save_inputs, self.save_output = _SAVES[save]
        self.nout = nout
        self.accumulate = accumulate
        self.arrays = arrays
        self.__doc__ = getattr(fn, '__doc__', None)
        self.__module__ = 'ndgrad'

    @property
    def differentiable(self):
        return self.vjps is not None

    def __repr__(self):
        return f'<ndgrad primitive {self.name}>'

    keyed = None  # the op called with NumPy's ufunc keywords (see rules/_ufunc.py)

    def __call__(self, *args, **kwargs):
        if kwargs:
            if type(kwargs.get('axis')) is list:  # MXNet's lists, NumPy's tuples
                kwargs['axis'] = tuple(kwargs['axis'])
            if self.keyed is not None:
                return self.keyed(*args, **kwargs)
        if recording():
            return self.record(args, kwargs)
        if kwargs:
            for v in kwargs.values():  # (inline, as in `record`)
                if type(v) is ndarray:
                    kwargs = _raw_keywords(kwargs)
                    break
        try:
            if len(args) == 1:  # (the common case, without building a list)
                a = args[0]
                out = self.fn(a._data if type(a) is ndarray else a, **kwargs)
            else:
                out = self.fn(*[a._data if type(a) is ndarray else a for a in args], **kwargs)
        except Exception as error:  # (free unless raised: another backend's operands?)
            out = self._retry([a._data if type(a) is ndarray else a for a in args], kwargs, error)
        if type(out) is numpy.ndarray:
            return wrap(out)
        if len(args) > 1 and type(out) not in SCALARS:
            _backend.check_same([a._data if type(a) is ndarray else a for a in args], self.name)
        return _wrap_out(out)

    def _retry(self, raws, kwargs, error):
        """The kernel run again on operands of another backend (see `_backend.retry`)."""
        return _backend.retry(self.name, self.fn, raws, kwargs, error)

    def record(self, args, kwargs):
        """Run the kernel on `args` and, where an input has recorded history, record a
        node for it: the path of every recorded op (the arithmetic operators take the
        shortcut `binary`)."""
        if kwargs:
            for v in kwargs.values():  # (inline: keywords are mostly numbers and shapes)
                if type(v) is ndarray:
                    if self.vjps is not None and _has_graph_array(kwargs):
                        args, kwargs = _as_positional(self, args, kwargs)
                    kwargs = _raw_keywords(kwargs)
                    break
        now, raws, parents, live, loose = CLOCK[0], [], [], False, False
        versions = [] if self.save_inputs is True else None
        for a in args:
            if type(a) is ndarray:
                data, node = a._data, a._node
                if node is not None:
                    live = True
                    if node.version != now and is_stale(data, node):
                        node = stale(node)  # (values written since their op made them)
                raws.append(data)
                parents.append(node)
                if versions is not None:  # (when the op read the memory, see `Node`)
                    try:
                        base = data.base
                    except AttributeError:  # (Dask data: immutable, never written)
                        versions.append(None)
                    else:
                        versions.append((data if base is None else owner(data), now))
            elif type(a) in _SEQUENCES and _holds_graph(a):
                return self.record(_stacked_lists(args, {})[0], kwargs)
            else:
                raws.append(a)
                parents.append(None)
                if versions is not None:
                    versions.append(None)
                loose = (
                    loose or type(a) is numpy.ndarray or (self.arrays and not hasattr(a, 'ndim'))
                )
        try:
            out = self.fn(*raws, **kwargs)
        except Exception as error:
            out = self._retry(raws, kwargs, error)
        if not live or self.vjps is None:
            return _wrap_out(out)
        saved = self._saved(args, raws, parents) if loose or versions is None else raws
        if self.nout != 1:
            return self._outputs(parents, saved, versions, kwargs, out)
        if type(out) is not numpy.ndarray:
            if type(out) in SCALARS:
                out = numpy.asarray(out)
            else:
                out = _backend.adopt(out)
                _backend.check_same(raws, self.name)
        if out.dtype.kind not in 'fc':
            return _unrecorded(self, out)
        return wrap(out, self._node(parents, saved, versions, kwargs, out, out.shape, out.dtype))

    def _outputs(self, parents, saved, versions, kwargs, out):
        """The arrays of a multi-output op's results, each linked to the node by the edge
        that names its output (integer and boolean results carry no gradient)."""
        out = tuple(o if type(o) is numpy.ndarray else _backend.adopt(o) for o in out)
        shapes, dtypes = tuple(o.shape for o in out), tuple(o.dtype for o in out)
        node = self._node(parents, saved, versions, kwargs, out, shapes, dtypes)
        return tuple(
            [
                wrap(o, Output(node, k)) if o.dtype.kind in 'fc' else _unrecorded(self, o)
                for k, o in enumerate(out)
            ]
        )

    def _saved(self, args, raws, parents):
        """What the node keeps of its inputs for the rules (after the kernel ran: NumPy's
        kernels treat numbers and 0-d arrays differently): their values (``x[i] = v``
        rebinds x's data), or stand-ins (a parent node is its array's `Meta`) where the
        rules need only shapes; constants as arrays where the rules read them as arrays
        (`arrays`), NumPy ones copied (see `_constant`)."""
        if self.save_inputs is True:
            return [
                v
                if type(a) is ndarray
                else _constant(v)
                if self.arrays or type(v) is numpy.ndarray
                else v
                for a, v in zip(args, raws)
            ]
        return [
            p
            if p is not None
            else Meta(a._data.shape, a._data.dtype)
            if type(a) is ndarray
            else numpy.asarray(a)
            if self.arrays and not hasattr(a, 'ndim')
            else a
            for a, p in zip(args, parents)
        ]

    def binary(self, x, y):
        """`record` for two arguments and no keywords: the arithmetic operators' path,
        the one shortcut (it saves them a fifth of their cost on small arrays); anything
        but arrays and numbers goes the general way."""
        now, tx, ty = CLOCK[0], type(x), type(y)
        if tx is ndarray:
            dx, nx = x._data, x._node
        elif tx is list or tx is tuple:  # (sequences may hold recorded arrays)
            return self.record((x, y), NO_KWARGS)
        else:
            dx, nx = x, None
        if ty is ndarray:
            dy, ny = y._data, y._node
        elif ty is not list and ty is not tuple:
            dy, ny = y, None
        else:
            return self.record((x, y), NO_KWARGS)
        if (nx is None and ny is None) or self.vjps is None or self.nout != 1:
            return self.record((x, y), NO_KWARGS)
        if nx is not None and nx.version != now and is_stale(dx, nx):
            nx = stale(nx)
        if ny is not None and ny.version != now and is_stale(dy, ny):
            ny = stale(ny)
        try:
            out = self.fn(dx, dy)
        except Exception as error:
            out = self._retry([dx, dy], NO_KWARGS, error)
        if type(out) is not numpy.ndarray:
            if type(out) in SCALARS:
                out = numpy.asarray(out)
            else:
                out = _backend.adopt(out)
                _backend.check_same([dx, dy], self.name)
        if out.dtype.kind not in 'fc':
            return _unrecorded(self, out)
        if self.save_inputs is True:  # (`_saved`, inlined: constants kept as `record` does)
            saved, versions = [dx, dy], [None, None]
            try:
                if tx is ndarray:
                    versions[0] = (dx if dx.base is None else owner(dx), now)
                elif self.arrays or tx is numpy.ndarray:
                    saved[0] = _constant(dx)
                if ty is ndarray:
                    versions[1] = (dy if dy.base is None else owner(dy), now)
                elif self.arrays or ty is numpy.ndarray:
                    saved[1] = _constant(dy)
            except AttributeError:  # (Dask data: immutable, never written)
                saved, versions = _immutable_saved(self, tx, ty, dx, dy, now)
        else:
            versions = None
            saved = [
                nx if nx is not None else Meta(dx.shape, dx.dtype) if tx is ndarray else x,
                ny if ny is not None else Meta(dy.shape, dy.dtype) if ty is ndarray else y,
            ]
        kept = out if self.save_output else None
        node = Node(self, [nx, ny], saved, versions, NO_KWARGS, kept, out.shape, out.dtype)
        if DEBUG.active and STATE.anomaly:
            node.site = user_site()
        return wrap(out, node)

    def _node(self, parents, saved, versions, kwargs, out, shape, dtype):
        # the lists built by `record` are kept as they are (never modified afterwards)
        node = Node(
            self, parents, saved, versions, kwargs, out if self.save_output else None, shape, dtype
        )
        if DEBUG.active and STATE.anomaly:
            node.site = user_site()
        return node


_SEQUENCES = (list, tuple)


def _constant(value):
    """A constant operand as a node saves it: as an array, and a NumPy array copied
    unless read-only (NumPy code could write into it unseen before backward)."""
    if type(value) is numpy.ndarray:
        return value.copy() if value.flags.writeable else value
    return value if hasattr(value, 'ndim') else numpy.asarray(value)


def _immutable_saved(prim, tx, ty, dx, dy, now):
    """`binary`'s saved operands and read times where an operand is a Dask array (no
    memory of its own to write: no read time, as for a constant)."""
    saved = [
        _constant(d) if t is not ndarray and (prim.arrays or t is numpy.ndarray) else d
        for t, d in ((tx, dx), (ty, dy))
    ]
    versions = [
        (d if d.base is None else owner(d), now) if t is ndarray and hasattr(d, 'base') else None
        for t, d in ((tx, dx), (ty, dy))
    ]
    return saved, versions


def _unrecorded(prim, out):
    """A non-float, non-complex output of a recorded op: integers and booleans carry
    no gradient."""
    return wrap(out)


def _holds_graph(seq):
    """Whether a (nested) list or tuple holds an array with recorded history."""
    for v in seq:
        if type(v) is ndarray:
            if v._node is not None:
                return True
        elif type(v) in _SEQUENCES and _holds_graph(v):
            return True
    return False


def stack_nested(seq):
    """A (nested) list of arrays and numbers as one recorded array (``np.array([x, y])``
    of recorded arrays keeps their gradients)."""
    parts = [
        stack_nested(v)
        if type(v) in _SEQUENCES
        else v
        if type(v) is ndarray
        else wrap(numpy.asarray(v))
        for v in seq
    ]
    if not parts:
        return wrap(numpy.asarray(seq))
    return REGISTRY['stack'](*parts, axis=0)


def _has_graph_array(kwargs):
    for v in kwargs.values():  # noqa: SIM110  (a loop: no generator frame per recorded op)
        if type(v) is ndarray and v._node is not None:
            return True
    return False


def _raw_keywords(kwargs):
    """`kwargs` with the ndgrad arrays among them (constants such as a ``where`` mask)
    given as their data: a kernel handed an ndgrad array could dispatch back to ndgrad
    through NumPy's protocols, and call itself without end. ``out`` stays as given (a
    write into an ndgrad array is for the kernel to refuse, never to make unseen)."""
    for k, v in kwargs.items():  # (a loop: no generator frame per op)
        if type(v) is ndarray and k != 'out':
            return {
                k: v._data if type(v) is ndarray and k != 'out' else v for k, v in kwargs.items()
            }
    return kwargs


def _as_positional(prim, args, kwargs):
    """Arrays given by keyword (``npx.relu(data=x)``) moved to their positions, so they
    become inputs of the node instead of silently losing their gradient."""
    try:
        bound = inspect.signature(prim.fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        bound = None
    if bound is not None:
        bound.apply_defaults()
        if not _has_graph_array(bound.kwargs):
            return bound.args, bound.kwargs
    name = prim.name
    raise TypeError(
        f'{name}: an array with a gradient was passed by keyword, which '
        f'{name} cannot record. Pass it positionally, e.g. {name}(x).'
    )


def op(
    name,
    fn,
    vjp=None,
    jvp=None,
    *,
    save='inputs',
    nout=1,
    differentiable=True,
    export='np',
    accumulate=None,
    arrays=False,
):
    """Register the primitive `name` computing `fn` with its derivative rules.

    A single rule may be given instead of a tuple for a one-input op.
    ``differentiable=False`` makes an op whose output never carries a gradient.
    ``export`` names the public namespace that offers it under `name`: 'np',
    'linalg', 'random', 'npx', or None for an internal primitive.

    ``save`` is checked against the rules' code here (see `ndgrad._rule_reads`): a
    ValueError names the op and rule when a vjp or jvp rule surely reads the values of
    its output (``ans``) or of an input that `save` does not keep. What the check
    cannot follow (a parameter passed to a helper other than ``xp``'s functions, or
    captured by a nested function) is trusted to the declaration.
    """
    if name in REGISTRY:
        raise ValueError(f'primitive {name!r} is registered twice')
    if callable(vjp):
        vjp = (vjp,)
    if callable(accumulate):
        accumulate = (accumulate,)
    if differentiable:
        keeps_inputs, keeps_output = (k is True for k in _SAVES[save])
        check_save(
            name,
            save,
            keeps_inputs,
            keeps_output,
            {
                'vjp': vjp if type(vjp) is tuple else None,
                'jvp': (jvp,) if callable(jvp) else jvp if type(jvp) is tuple else None,
            },
        )
    if jvp == 'elementwise':
        jvp = tuple(
            rule if rule is None or rule is identity else _elementwise_jvp(rule, i)
            for i, rule in enumerate(vjp)
        )
    elif callable(jvp):
        jvp = (jvp,)
    if not differentiable:
        vjp = jvp = accumulate = None
    elif vjp is None:
        raise ValueError(f'differentiable primitive {name!r} needs vjp rules')
    prim = Primitive(name, fn, vjp, jvp, save, nout, export, accumulate, arrays)
    REGISTRY[name] = prim
    return prim


def identity(xp, g, ans, *inputs, **kwargs):
    """The rule of an input that reaches the output unchanged (``add``'s, for both): the
    gradient (or tangent) passes through. The engine passes it on without the call."""
    return g


def _elementwise_jvp(vjp_rule, i):
    """The jvp of an elementwise op is its vjp rule applied to the tangent, once the
    tangent's batch axes are moved in front of every output axis."""

    def jvp(xp, t, ans, *args, **kwargs):
        x = args[i]
        nb = t.ndim - x.ndim
        missing = len(ans.shape) - x.ndim
        if nb and missing > 0:
            t = xp.reshape(t, t.shape[:nb] + (1,) * missing + t.shape[nb:])
        return vjp_rule(xp, t, ans, *args, **kwargs)

    return jvp


def composite(export='np', name=None, sequence=None):
    """Register a public function composed of primitives (its derivatives come from
    theirs). Exported by `export`'s namespace, ahead of a primitive of the same name.

    Under ``record()`` a list of recorded arrays given for an array argument is
    stacked (its gradients kept); `sequence` names the parameter that takes a
    sequence of arrays (``concatenate``'s `arrays`), whose items are stacked instead.

    >>> @composite()  # doctest: +SKIP
    ... def var(a, axis=None, ddof=0, keepdims=False): ...
    """

    def register(fn):
        key = name or fn.__name__
        if key in COMPOSITES:
            raise ValueError(f'composite {key!r} is registered twice')
        position = (
            None if sequence is None else list(inspect.signature(fn).parameters).index(sequence)
        )

        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            if kwargs and type(kwargs.get('axis')) is list:  # (as `Primitive.__call__`)
                kwargs['axis'] = tuple(kwargs['axis'])
            if recording() and (_holds_list(args) or (kwargs and _holds_list(kwargs.values()))):
                args, kwargs = _stacked_lists(args, kwargs, position, sequence)
            return fn(*args, **kwargs)

        recorded.export = export
        COMPOSITES[key] = recorded
        return recorded

    return register


def _holds_list(values):
    for v in values:  # noqa: SIM110  (a loop: no generator frame per composite call)
        if (type(v) is list or type(v) is tuple) and _holds_graph(v):
            return True
    return False


def _stacked_lists(args, kwargs, position=None, sequence=None):
    """Arguments with their lists of recorded arrays stacked; for the sequence
    argument (at `position`, or keyword `sequence`), its items."""

    def fix(value, is_sequence):
        if type(value) not in _SEQUENCES or not _holds_graph(value):
            return value
        if is_sequence:
            return type(value)(fix(v, False) for v in value)
        return stack_nested(value)

    args = tuple(fix(a, i == position) for i, a in enumerate(args))
    kwargs = {k: fix(v, k == sequence) for k, v in kwargs.items()}
    return args, kwargs


def exports(namespace):
    """The public names of `namespace` ('np', 'linalg', 'random', 'npx'): functions."""
    names = {name: prim for name, prim in REGISTRY.items() if prim.export == namespace}
    names.update({name: fn for name, fn in COMPOSITES.items() if fn.export == namespace})
    return names


def _alias(value):
    return value


# The same values under a new node: `renewed`'s history for memory whose old node no
# longer describes it everywhere (the parts it does not describe are being replaced).
ALIAS = Primitive('alias', _alias, vjps=(identity,), jvps=(identity,), save='shapes')


def renewed(node):
    """A node standing for `node`'s history, made now (so current for values written
    before now)."""
    return Node(ALIAS, [node], [node], None, NO_KWARGS, None, node.shape, node.dtype)


def _stale_rule(xp, g, ans, x, op):
    raise InPlaceModificationError(
        f"the values computed by '{op}' were modified in place (directly, or through a view "
        f'or a detached array sharing their memory) after the op was recorded and before '
        f"another op read them, so '{op}''s recorded history no longer describes them and "
        f'the gradient would be wrong. Recompute the array inside record() after modifying '
        f'it, or modify a copy (y = y.copy()).'
    )


# Stands between an op's node and a later op that read its values after they were
# written in place: differentiating through it raises (see `stale`).
STALE = Primitive('stale', _alias, vjps=(_stale_rule,), jvps=(_stale_rule,), save='shapes')


def stale(node):
    """`node`'s history, for values written since it made them: a node whose derivative
    rules raise InPlaceModificationError, so no gradient flows through stale history."""
    return Node(STALE, [node], [node], None, {'op': node.name}, None, node.shape, node.dtype)


def _anchor(value, *anchors):
    return value


# A constant tied to the graph it was derived from with a zero derivative: a gradient,
# computed with create_graph=True, of a function linear in the variable (its derivative
# is constant) differentiates again to zeros instead of to "no recorded history".
_NONE = PerInput(lambda i: None)  # (no derivative at any input)
ANCHOR = Primitive('anchor', _anchor, vjps=_NONE, jvps=_NONE, save='shapes')


def anchored(g, shape, dtype, roots):
    """`g` (None: zeros), a create_graph gradient without history of its own, tied to
    the graph of `roots` with a zero derivative (see `ANCHOR`)."""
    if g is None:
        data = numpy.zeros(shape, dtype)
    else:  # (a copy: g may be a head gradient passed straight through)
        data = g._data if type(g) is ndarray else g
        data = numpy.array(data) if _backend.kind(data) == 'numpy' else data.copy()
    return wrap(
        data, Node(ANCHOR, [None, *roots], [], None, NO_KWARGS, None, data.shape, data.dtype)
    )


class Namespace:
    """Primitives by name: their NumPy kernels (`RAW`), the recorded ops (`REC`), or the
    kernels moving NumPy constants onto the backend of the other operands (`ANY`, for a
    plain backward pass over Dask or CuPy data)."""

    def __init__(self, recorded, portable=False):
        self._recorded, self._portable = recorded, portable

    def __getattr__(self, name):
        try:
            prim = REGISTRY[name]
        except KeyError:
            raise AttributeError(f'no primitive named {name!r}') from None
        value = prim if self._recorded else _portable(prim) if self._portable else prim.fn
        setattr(self, name, value)
        return value


def _portable(prim):
    """`prim`'s kernel, run again with NumPy constants moved where it fails on operands
    of another backend (see `_backend.retry`)."""
    fn = prim.fn

    @functools.wraps(fn)
    def kernel(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            return prim._retry(list(args), kwargs, error)

    return kernel


RAW = Namespace(recorded=False)
REC = Namespace(recorded=True)
ANY = Namespace(recorded=False, portable=True)

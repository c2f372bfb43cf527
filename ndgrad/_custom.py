"""Functions with user-given derivatives: `Function` (MXNet's API) and `custom_vjp`.

A call runs the user's forward once, unrecorded, and records one graph node for
it; that node's rules call the user's backward (and optional jvp). The backward
receives arrays linked to the graph when a derivative is itself being recorded,
so a backward written with ndgrad ops can be differentiated again.

>>> class Cube(autograd.Function):
...     def forward(self, x):
...         self.save_for_backward(x)
...         return x ** 3
...     def backward(self, dy):
...         x, = self.saved_tensors
...         return 3 * x ** 2 * dy
>>> func.grad(lambda x: Cube()(x).sum())(np.array([1., 2.]))
array([ 3., 12.])
>>> func.grad(func.grad(lambda x: Cube()(x)))(2.)  # through the hand-written backward
np.float64(12.0)
"""

import functools
import weakref

import numpy

from . import _engine
from ._buffers import conj_complex
from ._graph import Leaf, Meta, Output, PerInput
from ._ndarray import ndarray, wrap
from ._primitive import REC, Primitive
from ._state import recording, scope

__all__ = ['Function', 'custom_vjp']

_TAKEN = object()  # in a vjp memo: a gradient already handed to the engine
_SAVE_POLICY = {
    (True, True): 'both',
    (True, False): 'inputs',
    (False, True): 'output',
    (False, False): 'shapes',
}


def _array(value):
    """`value` as an ndgrad array (NumPy arrays and numbers are wrapped, not copied)."""
    return value if isinstance(value, ndarray) else wrap(numpy.asarray(value))


def _read_only(value):
    """`value` as an ndgrad array whose memory cannot be written through it: what the
    user's forward and backward receive (a write would change a variable, or a value
    the graph saved, unseen)."""
    value = _array(value)
    data = value._data.view()
    data.flags.writeable = False
    return wrap(data, value._node)


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _check_kind(value, what, where='', gradient=True):
    """A TypeError unless `value` is an array of numbers (ndgrad or NumPy; real or
    complex) or a number: `what` (e.g. 'backward of Cube') names the code that returned
    it, `where` the position, `gradient` whether it returns gradients (None allowed)."""
    data = value._data if isinstance(value, ndarray) else value
    if isinstance(data, numpy.ndarray):
        if data.dtype.kind in 'biufc':
            return
        found = f'an array of dtype {data.dtype}'
    elif isinstance(data, (int, float, complex, numpy.number, numpy.bool_)):
        return
    else:
        found = f'a {type(value).__name__}'
    tail = ', or None for an input without a gradient' if gradient else ''
    raise TypeError(
        f'{what} returned {found}{where}; it must return ndgrad arrays (np.array(...)){tail}'
    )


def _conj_complex(value):
    """`conj_complex` of an ndgrad array (or None), kept an ndgrad array."""
    value = conj_complex(value)
    return value if value is None or type(value) is ndarray else wrap(value)


def _fitted(tangent, dtype):
    """`tangent` in `dtype`: the real part for a real output."""
    if tangent.dtype == dtype:
        return tangent
    if tangent.dtype.kind == 'c' and numpy.dtype(dtype).kind != 'c':
        tangent = REC.real(tangent)
    return REC.astype(tangent, dtype)


def _per_input(rule):
    """The rules of a custom node: ``rule(i, ...)`` at input position i."""
    return PerInput(lambda i: functools.partial(rule, i))


class _Call:
    """One call of a custom function: its shapes, and the user's derivative code.

    ``user_vjp(gs, outs, ins)`` returns one gradient per input; ``user_jvp(ts, outs,
    ins)`` the output tangent(s) (None: forward mode transposes ``user_vjp``). All
    arguments are tuples of ndgrad arrays, linked to the graph when the derivative
    is being recorded.
    """

    def __init__(self, name, user_vjp, user_jvp, inputs, outputs, single):
        self.name = name
        self.user_vjp = user_vjp
        self.user_jvp = user_jvp
        self.in_shapes = tuple(x.shape for x in inputs)
        self.in_dtypes = tuple(x.dtype for x in inputs)
        self.out_shapes = tuple(y.shape for y in outputs)
        self.out_dtypes = tuple(y.dtype for y in outputs)
        self.single = single
        self.complex = any(d.kind == 'c' for d in self.in_dtypes + self.out_dtypes)
        self.node = None  # weak reference to the recorded node
        self._memo = None  # (cotangent, xp, gradients) of the pass in progress: see vjp

    # --- what the user's code receives -------------------------------------------------
    def _ins(self, args):
        return tuple(a if isinstance(a, Meta) else _read_only(a) for a in args)

    def _outs(self, ans, linked):
        if isinstance(ans, Meta):
            return (None,) * len(self.out_shapes)
        if self.single:
            return (_read_only(ans),)
        node = self.node() if linked and self.node is not None else None
        if node is None:
            return tuple(_read_only(a) for a in ans)
        return tuple(wrap(_read_only(a)._data, Output(node, k)) for k, a in enumerate(ans))

    def _check(self, results, count, shapes, what):
        results = _as_tuple(results)
        if len(results) != count:
            raise ValueError(
                f'{what} of {self.name} returned {len(results)} arrays; it must '
                f'return {count} (None where there is none)'
            )
        checked = []
        for k, (r, shape) in enumerate(zip(results, shapes)):
            if r is None:
                checked.append(None)
                continue
            _check_kind(r, f'{what} of {self.name}', f' at position {k}')
            if not isinstance(r, ndarray):
                if recording():
                    raise TypeError(
                        f'{what} of {self.name} returned a {type(r).__name__} while its own '
                        f'derivative is being recorded (for a second derivative, or for '
                        f'forward mode without a jvp rule): compute it with ndgrad ops '
                        f'(np.*, operators) on the arrays it receives'
                    )
                r = _array(r)
            if r.shape != shape:
                raise ValueError(
                    f'{what} of {self.name} returned an array of shape '
                    f'{r.shape} at position {k}, where shape {shape} is needed'
                )
            checked.append(r)
        return checked

    def _refuse_complex(self, grads):
        """A TypeError for a complex gradient of a function of real arrays only."""
        for k, r in enumerate(grads):
            if r is not None and r.dtype.kind == 'c':
                raise TypeError(
                    f'backward of {self.name} returned a complex array at position {k}, but '
                    f'{self.name} has no complex input or output: its gradients are real'
                )

    def _batched(self, run, seeds, shapes, nb, nresults, result_shapes):
        """`run` on each slice of the `nb` leading batch axes of `seeds`, stacked: the
        user's code sees exactly the shapes it was written for."""
        batch = seeds[0].shape[:nb]
        flat = [REC.reshape(s, (-1,) + shape) for s, shape in zip(seeds, shapes)]
        slices = [run(tuple(s[b] for s in flat)) for b in range(flat[0].shape[0])]
        if not slices:
            return [None] * nresults
        stacked = []
        for k in range(nresults):
            parts = [s[k] for s in slices]
            if all(p is None for p in parts):
                stacked.append(None)
                continue
            dtype = next(p for p in parts if p is not None).dtype
            parts = [wrap(numpy.zeros(result_shapes[k], dtype)) if p is None else p for p in parts]
            stacked.append(REC.reshape(REC.stack(*parts), batch + result_shapes[k]))
        return stacked

    # --- reverse mode --------------------------------------------------------------------
    def grads(self, g, ans, args, linked):
        """The user's gradients (ndgrad arrays or None), one per input."""
        gs = tuple(_array(x) for x in _as_tuple(g))
        ins, outs = self._ins(args), self._outs(ans, linked)
        n = len(self.in_shapes)

        def run(gs):
            gs = tuple(_read_only(_conj_complex(x)) for x in gs)
            results = _writes_refused(f'backward of {self.name}', self.user_vjp, gs, outs, ins)
            checked = self._check(results, n, self.in_shapes, 'backward')
            if not self.complex:
                self._refuse_complex(checked)
            return [_conj_complex(r) for r in checked]

        nb = gs[0].ndim - len(self.out_shapes[0])
        if nb == 0:
            return run(gs)
        return self._batched(run, gs, self.out_shapes, nb, n, self.in_shapes)

    def vjp(self, i, xp, g, ans, *args):
        """The engine's vjp rule for input `i`.

        The user's backward gives every input's gradient at once; a pass asks for them
        one input at a time, with the same cotangent `g`. So the gradients are kept for
        the pass's next inputs, and each is handed out once: asked again (another pass
        through a retained graph, even with the same cotangent), the backward runs
        again. The memo is one tuple, replaced and never modified, so concurrent passes
        through one graph at worst compute it twice.
        """
        memo = self._memo
        if memo is None or memo[0] is not g or memo[1] is not xp or memo[2][i] is _TAKEN:
            memo = (g, xp, self._unasked(self.grads(g, ans, args, xp is REC)))
        grads = memo[2]
        gi, rest = grads[i], grads[:i] + (_TAKEN,) + grads[i + 1 :]
        self._memo = None if all(r is _TAKEN for r in rest) else (g, xp, rest)
        if gi is None or xp is REC:
            return gi
        return gi._data

    def _unasked(self, grads):
        """`grads` as a tuple, with the inputs no pass asks for (constants) marked taken
        at once: the memo ends with the last input a pass can ask for."""
        node = self.node() if self.node is not None else None
        if node is None:
            return tuple(grads)
        return tuple(_TAKEN if parent is None else gi for gi, parent in zip(grads, node.parents))

    # --- forward mode --------------------------------------------------------------------
    def jvp(self, i, xp, t, ans, *args):
        """The engine's jvp rule: input `i`'s contribution to the output tangent(s)."""
        linked = xp is REC
        t = _array(t)
        nb = t.ndim - len(self.in_shapes[i])
        if self.user_jvp is None:
            ts = self._transpose(i, t, nb, ans, args, linked)
        else:
            ts = self._user_tangents(i, t, nb, ans, args, linked)
        if all(x is None for x in ts):
            return None
        if not self.single:  # the engine fits a single tangent, not a tuple
            ts = [x if x is None else _fitted(x, d) for x, d in zip(ts, self.out_dtypes)]
        if not linked:
            ts = [None if x is None else x._data for x in ts]
        return ts[0] if self.single else tuple(ts)

    def _user_tangents(self, i, t, nb, ans, args, linked):
        ins, outs = self._ins(args), self._outs(ans, linked)
        m = len(self.out_shapes)

        def run(ti):
            ts = tuple(
                ti if k == i else wrap(numpy.zeros(shape, dtype))
                for k, (shape, dtype) in enumerate(zip(self.in_shapes, self.in_dtypes))
            )
            return self._check(self.user_jvp(ts, outs, ins), m, self.out_shapes, 'jvp')

        if nb == 0:
            return run(t)
        return self._batched(
            lambda s: run(s[0]), (t,), (self.in_shapes[i],), nb, m, self.out_shapes
        )

    def _transpose(self, i, t, nb, ans, args, linked):
        """J_i t as the vjp of the (linear in g) user backward: no jvp needed."""
        batch = t.shape[:nb]
        leaves = [
            Leaf(batch + shape, dtype, None, 'write')
            for shape, dtype in zip(self.out_shapes, self.out_dtypes)
        ]
        us = tuple(wrap(numpy.zeros(leaf.shape, leaf.dtype), leaf) for leaf in leaves)
        with scope(True):
            h = self.grads(us[0] if self.single else us, ans, args, linked)[i]
        if h is None or h._node is None:
            return [None] * len(leaves)
        seed = t if linked else t._data
        found = _engine.backward([h], [seed], leaves, create_graph=linked, retain_graph=linked)
        return [None if x is None else _array(x) for x in found]


def _paused(forward, inputs):
    """Run the user's forward unrecorded on constant views of `inputs`."""
    with scope(False):
        return _writes_refused('forward', forward, *inputs)


def _writes_refused(what, fn, *args):
    """`fn(*args)`, where a write into the read-only arrays it received says why."""
    try:
        return fn(*args)
    except ValueError as exc:
        if 'read-only' not in str(exc):
            raise
        raise ValueError(
            f'{what} wrote into an array it received (an input, a saved array or an output '
            f'gradient): these are read-only, since the write would change a variable or a '
            f'value the graph needs. Compute a new array instead (dy = dy * 2, not '
            f'dy *= 2).'
        ) from exc


def _own(output, inputs):
    """`output`, copied where it shares memory with an input (a forward returning its
    input, or a view of it): a write into the output must not change the input."""
    data = output._data
    if any(numpy.may_share_memory(data, x._data) for x in inputs):
        return wrap(data.copy())
    return output


def _record(name, inputs, outputs, user_vjp, user_jvp, save_inputs, save_outputs):
    """`outputs`, computed from `inputs` without recording, as outputs of one node."""
    single = not isinstance(outputs, (tuple, list))
    if outputs is None:
        raise TypeError(
            f'forward of {name} returned None: it must return its output '
            f'array, or a tuple of them (is a `return` missing?)'
        )
    for k, o in enumerate(_as_tuple(outputs)):
        if o is None:
            raise TypeError(
                f'forward of {name} returned None at position {k}: every output must be an array'
            )
        _check_kind(o, f'forward of {name}', '' if single else f' at position {k}', False)
    outs = tuple(_own(_array(o), inputs) for o in _as_tuple(outputs))
    if not outs:
        raise ValueError(f'forward of {name} returned no output')
    call = _Call(name, user_vjp, user_jvp, inputs, outs, single or len(outs) == 1)
    raws = outs[0]._data if call.single else tuple(o._data for o in outs)
    prim = Primitive(
        name,
        lambda *args: raws,
        _per_input(call.vjp),
        _per_input(call.jvp),
        _SAVE_POLICY[save_inputs, save_outputs],
        len(outs),
    )
    result = prim(*inputs)
    nodes = [r._node for r in _as_tuple(result) if r._node is not None]
    if nodes:
        node = nodes[0] if call.single else nodes[0].node
        call.node = weakref.ref(node)
    if call.single and not single:
        return (result,)
    return result


class Function:
    """A differentiable function with a hand-written backward (MXNet's API).

    Subclass it with ``forward(self, *inputs)`` returning one array or a tuple, and
    ``backward(self, *output_grads)`` returning one gradient per input (None where
    there is none). Arrays that backward needs go through ``save_for_backward``;
    backward reads them from ``saved_tensors``. Call an instance: ``Cube()(x)``.

    forward runs unrecorded. backward runs on the graph when a second derivative
    is taken, so written with ndgrad ops it is differentiable again; saved inputs
    and outputs are then linked to the graph (other saved arrays are constants).

    Complex inputs and outputs follow the convention of the built-in ops (see
    "Complex numbers" in docs/guide.md): backward receives, for a complex output
    ``y = u + iv``, ``dL/du + i dL/dv``, and returns ``dL/dx + i dL/dy`` for a complex
    input ``x + iy`` (for a real input, its real part is kept). For a holomorphic
    ``f`` that is ``conj(f'(z)) * dy``, as in PyTorch:

    >>> class Square(autograd.Function):
    ...     def forward(self, z):
    ...         self.save_for_backward(z)
    ...         return z * z
    ...     def backward(self, dy):
    ...         z, = self.saved_tensors
    ...         return dy * np.conj(2 * z)
    >>> z = np.array([1. + 2.j]); z.attach_grad()
    >>> with autograd.record():
    ...     loss = np.abs(Square()(z)).sum()     # |z|^2
    >>> loss.backward(); z.grad                  # 2z
    array([2.+4.j], dtype=complex128)
    """

    def forward(self, *inputs):
        raise NotImplementedError(f'{type(self).__name__} must define forward(self, *inputs)')

    def backward(self, *output_grads):
        raise NotImplementedError(
            f'{type(self).__name__} must define backward(self, *output_grads)'
        )

    def save_for_backward(self, *arrays):
        """Keep `arrays` (inputs, outputs or others) for backward's ``saved_tensors``."""
        self._saving = arrays

    @property
    def saved_tensors(self):
        """The arrays given to `save_for_backward` (inside backward: linked to the graph
        when the backward pass is itself recorded)."""
        saved = getattr(self, '_saved', None)
        return getattr(self, '_saving', ()) if saved is None else saved

    def __call__(self, *inputs):
        name = type(self).__name__
        inputs = tuple(_array(x) for x in inputs)
        views = tuple(_read_only(x.detach()) for x in inputs)
        self._saving = ()
        outputs = _paused(self.forward, views)
        outs = _as_tuple(outputs)
        spec = []
        for item in self._saving:
            j = next((j for j, v in enumerate(views) if item is v), None)
            k = next((k for k, o in enumerate(outs) if item is o), None)
            spec.append(
                ('in', j) if j is not None else ('out', k) if k is not None else ('const', item)
            )

        def user_vjp(gs, outs, ins):
            saved = tuple(
                ins[v] if kind == 'in' else outs[v] if kind == 'out' else v for kind, v in spec
            )
            previous, self._saved = getattr(self, '_saved', None), saved
            try:
                return self.backward(*gs)
            finally:
                self._saved = previous

        return _record(
            name,
            inputs,
            outputs,
            user_vjp,
            None,
            any(kind == 'in' for kind, _ in spec),
            any(kind == 'out' for kind, _ in spec),
        )


class custom_vjp:
    """Decorate a function whose derivative you give: its vjp, and optionally its jvp.

    ``vjp(g, ans, *inputs, **kwargs)`` returns one gradient per positional input (a
    tuple, or the gradient alone for one input); ``g`` and ``ans`` are tuples when
    the function returns several arrays. ``jvp(tangents, ans, *inputs, **kwargs)``
    returns the output's tangent; without it forward mode transposes the vjp.
    Keyword arguments are constants passed to all three. Complex gradients follow
    `Function`'s convention (``dL/dx + i dL/dy``); tangents are plain differentials.

    >>> @autograd.custom_vjp
    ... def clip_gradient(x, bound=1.0):
    ...     return x
    >>> @clip_gradient.defvjp
    ... def _(g, ans, x, bound=1.0):
    ...     return np.minimum(np.maximum(g, -bound), bound)
    >>> func.grad(lambda x: (clip_gradient(x) * 3).sum())(np.ones(2))
    array([1., 1.])
    """

    def __init__(self, fn, vjp=None, jvp=None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.vjp = vjp
        self.jvp = jvp

    def defvjp(self, vjp):
        """Set the vjp rule (usable as a decorator)."""
        self.vjp = vjp
        return vjp

    def defjvp(self, jvp):
        """Set the jvp rule (usable as a decorator)."""
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        name = getattr(self.fn, '__name__', 'custom_vjp function')
        if self.vjp is None:
            raise TypeError(f'{name} has no vjp rule: define it with @{name}.defvjp')
        inputs = tuple(_array(x) for x in args)
        outputs = _paused(
            lambda *xs: self.fn(*xs, **kwargs), tuple(_read_only(x.detach()) for x in inputs)
        )
        vjp, jvp = self.vjp, self.jvp

        def user_vjp(gs, outs, ins):
            return vjp(
                gs[0] if len(gs) == 1 else gs, outs[0] if len(outs) == 1 else outs, *ins, **kwargs
            )

        user_jvp = (
            None
            if jvp is None
            else (
                lambda ts, outs, ins: jvp(ts, outs[0] if len(outs) == 1 else outs, *ins, **kwargs)
            )
        )
        return _record(name, inputs, outputs, user_vjp, user_jvp, True, True)

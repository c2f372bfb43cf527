"""Property tests of the engine over random computation graphs.

Hypothesis builds small programs from a pool of smooth ops (elementwise arithmetic
with broadcasting, bounded divisions and exponentials, reductions with and without
keepdims, reshapes, transposes, slices and integer-array gathers, matmul,
concatenate, where with a fixed mask, broadcast_to), on 1-3 inputs of small shapes
(0-d arrays and size-1 axes included). Operands are drawn from every value computed
so far, so intermediates are reused (diamonds, an op applied to one array twice).

For each program the forward values match a NumPy run of the same program, and every
way of differentiating it (``backward``, ``autograd.grad``, ``func.grad``, the
batched reverse Jacobian, forward mode; first and second order) matches central
differences in float64.

A stateful machine then interleaves variables ('write' and 'add'), recording,
backward with and without ``retain_graph``, detach and in-place updates, and checks
the engine's invariants against an independent float64 reference.
"""

import dataclasses

import numpy
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ndgrad import autograd, func, np
from ndgrad._errors import GraphFreedError, InPlaceModificationError
from ndgrad.testing import check_grad, numerical_jacobian

SETTINGS = dict(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# --- random programs ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """One op of a program: `kind` applied to the values at `operands`."""

    kind: str
    operands: tuple
    params: tuple = ()  # (name, value) pairs

    def param(self, name):
        return dict(self.params)[name]


@dataclasses.dataclass(frozen=True)
class Program:
    """Inputs of `shapes`, then `steps`; the output is the last value plus the means of
    every other value no step consumed (so every input reaches the output)."""

    shapes: tuple
    steps: tuple
    out_shape: tuple

    @property
    def size(self):
        return sum(int(numpy.prod(s)) for s in self.shapes)

    def __call__(self, *xs, ns=np, cut=None, trace=None):
        """Run the program with `ns` (ndgrad's ``np`` or NumPy itself). `cut` maps value
        positions to values used instead of computing them; `trace` collects them all."""
        values = list(xs)
        used = set()
        for step in self.steps:
            args = [values[i] for i in step.operands]
            used.update(step.operands)
            value = _apply(ns, step, args)
            values.append(value if cut is None or len(values) not in cut else cut[len(values)])
        if trace is not None:
            trace.extend(values)
        out = values[-1]
        for i, value in enumerate(values[:-1]):
            if i not in used:
                out = out + ns.mean(value)
        return out

    def describe(self):
        return f'inputs {list(self.shapes)}\n' + '\n'.join(
            f'  v{len(self.shapes) + k} = {s.kind}'
            f'{tuple(f"v{i}" for i in s.operands)} {dict(s.params)}'
            for k, s in enumerate(self.steps)
        )


def _apply(ns, step, args):
    kind, p = step.kind, step.param
    if kind == 'add':
        return args[0] + args[1]
    if kind == 'subtract':
        return ns.subtract(args[0], args[1])
    if kind == 'multiply':
        return args[0] * args[1]
    if kind == 'divide':  # by 2 + sin(b) in [1, 3], or 1 + b^2 >= 1
        if p('den') == 'sin':
            return args[0] / (2.0 + ns.sin(args[1]))
        return ns.divide(args[0], 1.0 + ns.square(args[1]))
    if kind == 'sin':
        return ns.sin(args[0])
    if kind == 'tanh':
        return ns.tanh(args[0])
    if kind == 'exp':  # of a bounded value
        return ns.exp(ns.tanh(args[0]))
    if kind == 'square':
        return ns.square(args[0])
    if kind == 'negative':
        return -args[0]
    if kind == 'scale':
        return args[0] * p('c') + p('d')
    if kind == 'sum':
        return ns.sum(args[0], axis=p('axis'), keepdims=p('keepdims'))
    if kind == 'mean':
        return ns.mean(args[0], axis=p('axis'), keepdims=p('keepdims'))
    if kind == 'reshape':
        return ns.reshape(args[0], p('shape'))
    if kind == 'transpose':
        return ns.transpose(args[0], p('axes'))
    if kind == 'swapaxes':
        return ns.swapaxes(args[0], -1, -2)
    if kind == 'getitem':
        return args[0][p('index')]
    if kind == 'take':
        index = numpy.array(p('index'))
        return args[0][(slice(None),) * p('axis') + (index,)]
    if kind == 'matmul':
        b = ns.swapaxes(args[1], -1, -2) if p('transpose_b') else args[1]
        return args[0] @ b
    if kind == 'concatenate':
        return ns.concatenate(args, axis=p('axis'))
    if kind == 'where':
        mask = numpy.random.default_rng(p('seed')).random(p('mask_shape')) < 0.5
        return ns.where(mask, args[0], args[1])
    if kind == 'broadcast_to':
        return ns.broadcast_to(args[0], p('shape'))
    if kind == 'split':  # a multi-output op, some outputs unused
        parts = ns.split(args[0], p('sections'), axis=p('axis'))
        i, j = p('pick')
        return parts[i] if j is None else parts[i] * parts[j]
    if kind == 'stack':
        return ns.stack(args, axis=p('axis'))
    if kind == 'expand_dims':
        return ns.expand_dims(args[0], p('axis'))
    if kind == 'squeeze':
        return ns.squeeze(args[0], p('axis'))
    if kind == 'flip':
        return ns.flip(args[0], p('axis'))
    if kind == 'cumsum':
        return ns.cumsum(args[0], axis=p('axis'))
    if kind == 'repeat':
        return ns.repeat(args[0], p('repeats'), axis=p('axis'))
    if kind == 'tile':
        return ns.tile(args[0], p('reps'))
    if kind == 'pad':
        return ns.pad(args[0], p('width'), mode=p('mode'))
    if kind == 'moveaxis':
        return ns.moveaxis(args[0], p('source'), p('destination'))
    if kind == 'setitem':  # recorded out of place under record(): x[index] = v
        out = ns.copy(args[0])
        out[p('index')] = ns.mean(args[1]) if p('reduce') else args[1]
        return out
    if kind == 'iadd':  # a recorded in-place operator rebinds the array
        out = ns.copy(args[0])
        if p('op') == '+=':
            out += args[1]
        else:
            out *= args[1]
        return out
    raise AssertionError(kind)


def _shape_of(kind, shapes, params=()):
    """The output shape, by running the op on zeros with NumPy (None: invalid)."""
    step = Step(kind, tuple(range(len(shapes))), tuple(params))
    try:
        with numpy.errstate(all='ignore'):
            out = _apply(numpy, step, [numpy.zeros(s) for s in shapes])
    except (ValueError, IndexError, TypeError):
        return None
    return out.shape


def _broadcasts(a, b):
    try:
        numpy.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


UNARY = ['sin', 'tanh', 'exp', 'square', 'negative', 'scale']
BINARY = ['add', 'subtract', 'multiply', 'divide', 'where']
STRUCTURAL = [
    'sum',
    'mean',
    'reshape',
    'transpose',
    'swapaxes',
    'getitem',
    'take',
    'matmul',
    'concatenate',
    'broadcast_to',
]
MORE = [
    'split',
    'stack',
    'expand_dims',
    'squeeze',
    'flip',
    'cumsum',
    'repeat',
    'tile',
    'pad',
    'moveaxis',
    'setitem',
    'iadd',
]
KINDS = UNARY + BINARY + STRUCTURAL + MORE


def _axis_param(draw, ndim):
    """None, (), an int, or a tuple of distinct axes, either sign."""
    if ndim == 0:
        return draw(st.sampled_from([None, ()]))
    choice = draw(st.sampled_from(['none', 'int', 'tuple']))
    if choice == 'none':
        return None
    if choice == 'int':
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=0, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


def _reshape_target(draw, shape):
    size = int(numpy.prod(shape))
    squeezed = tuple(s for s in shape if s != 1)
    options = [
        (size,),
        (-1,),
        (1, size),
        (size, 1),
        shape[::-1],
        squeezed,
        squeezed + (1,),
        (1,) + shape,
    ]
    if size == 1:
        options += [(), (1, 1, 1)]
    if size % 2 == 0 and size > 2:
        options += [(2, size // 2), (size // 2, -1, 1)]
    return draw(st.sampled_from(options))


def _index_param(draw, shape):
    """A basic index: slices (any step sign), integers, None and Ellipsis."""
    items, ellipsis = [], False
    axis = 0
    for _ in range(draw(st.integers(1, len(shape) + 1))):
        choice = draw(st.sampled_from(['slice', 'slice', 'int', 'none', 'ellipsis']))
        if choice == 'none':
            items.append(None)
        elif choice == 'ellipsis':
            if ellipsis:
                continue
            items.append(Ellipsis)
            ellipsis = True
        elif axis < len(shape):
            n = shape[axis]
            if choice == 'int':
                items.append(draw(st.integers(-n, n - 1)))
            else:
                start = draw(st.one_of(st.none(), st.integers(-n, n)))
                stop = draw(st.one_of(st.none(), st.integers(-n - 1, n)))
                items.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -2]))))
            axis += 1
    return items[0] if len(items) == 1 and draw(st.booleans()) else tuple(items)


def _draw_step(draw, shapes, kind):
    """A step of `kind` on values of `shapes` (None when it does not apply)."""
    n = len(shapes)
    pick = st.one_of(st.just(n - 1), st.integers(0, n - 1))  # favour the latest value
    a = draw(pick)
    sa = shapes[a]
    params = ()
    if kind in UNARY:
        if kind == 'scale':
            params = (
                ('c', draw(st.sampled_from([0.5, -1.5, 2.0]))),
                ('d', draw(st.sampled_from([0.0, 0.25]))),
            )
        return Step(kind, (a,), params)
    if kind in BINARY:
        partners = [b for b in range(n) if _broadcasts(sa, shapes[b])]
        b = draw(st.sampled_from(partners))
        if draw(st.booleans()):
            a, b = b, a
        if kind == 'divide':
            params = (('den', draw(st.sampled_from(['sin', 'square']))),)
        if kind == 'where':
            full = numpy.broadcast_shapes(shapes[a], shapes[b])
            mask_shape = tuple(s if draw(st.booleans()) else 1 for s in full)
            mask_shape = mask_shape[draw(st.integers(0, len(mask_shape))) :]
            params = (('mask_shape', mask_shape), ('seed', draw(st.integers(0, 1000))))
        return Step(kind, (a, b), params)
    ndim = len(sa)
    if kind in ('sum', 'mean'):
        params = (('axis', _axis_param(draw, ndim)), ('keepdims', draw(st.booleans())))
        return Step(kind, (a,), params)
    if kind == 'reshape':
        return Step(kind, (a,), (('shape', _reshape_target(draw, sa)),))
    if kind == 'transpose':
        axes = None if draw(st.booleans()) else tuple(draw(st.permutations(range(ndim))))
        return Step(kind, (a,), (('axes', axes),))
    if kind == 'swapaxes':
        return Step(kind, (a,)) if ndim >= 2 else None
    if kind == 'getitem':
        if ndim == 0:
            return None
        return Step(kind, (a,), (('index', _index_param(draw, sa)),))
    if kind == 'take':  # an integer array along one axis, with repeats
        if ndim == 0:
            return None
        axis = draw(st.integers(0, ndim - 1))
        index = tuple(draw(st.lists(st.integers(-sa[axis], sa[axis] - 1), min_size=1, max_size=4)))
        return Step(kind, (a,), (('axis', axis), ('index', index)))
    if kind == 'matmul':
        options = [
            (b, t)
            for b in range(n)
            for t in (False, True)
            if not (t and len(shapes[b]) < 2)
            and _shape_of(kind, [sa, shapes[b]], (('transpose_b', t),)) is not None
        ]
        if not options:
            return None
        b, t = draw(st.sampled_from(options))
        return Step(kind, (a, b), (('transpose_b', t),))
    if kind == 'concatenate':
        if ndim == 0:
            return None
        axis = draw(st.integers(-ndim, ndim - 1))
        partners = [
            b for b in range(n) if _shape_of(kind, [sa, shapes[b]], (('axis', axis),)) is not None
        ]
        others = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2))
        return Step(kind, (a, *others), (('axis', axis),))
    if kind == 'broadcast_to':
        lead = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))
        target = lead + tuple(draw(st.integers(1, 3)) if s == 1 else s for s in sa)
        return Step(kind, (a,), (('shape', target),))
    if kind == 'expand_dims':
        return Step(kind, (a,), (('axis', draw(st.integers(-ndim - 1, ndim))),))
    if kind == 'squeeze':
        ones = [i for i, s in enumerate(sa) if s == 1]
        axis = None if not ones or draw(st.booleans()) else draw(st.sampled_from(ones))
        return Step(kind, (a,), (('axis', axis),))
    if kind == 'moveaxis':
        if ndim == 0:
            return None
        return Step(
            kind,
            (a,),
            (
                ('source', draw(st.integers(-ndim, ndim - 1))),
                ('destination', draw(st.integers(-ndim, ndim - 1))),
            ),
        )
    if kind == 'tile':
        reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=ndim + 1)))
        return Step(kind, (a,), (('reps', reps),))
    if ndim == 0:
        return None  # the remaining ops need an axis
    axis = draw(st.integers(-ndim, ndim - 1))
    if kind == 'split':
        n_axis = sa[axis]
        sections = draw(st.sampled_from([d for d in (1, 2, 3) if n_axis % d == 0]))
        i = draw(st.integers(0, sections - 1))
        j = draw(st.one_of(st.none(), st.integers(0, sections - 1)))
        return Step(kind, (a,), (('sections', sections), ('axis', axis), ('pick', (i, j))))
    if kind == 'stack':
        others = [b for b in range(n) if shapes[b] == sa]
        more = draw(st.lists(st.sampled_from(others), min_size=0, max_size=2))
        return Step(kind, (a, *more), (('axis', draw(st.integers(-ndim - 1, ndim))),))
    if kind in ('flip', 'cumsum'):
        return Step(kind, (a,), (('axis', axis),))
    if kind == 'repeat':
        repeats = draw(
            st.one_of(
                st.integers(1, 2),
                st.lists(st.integers(0, 2), min_size=sa[axis], max_size=sa[axis]).map(tuple),
            )
        )
        return Step(kind, (a,), (('repeats', repeats), ('axis', axis)))
    if kind == 'pad':
        width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in sa)
        mode = draw(st.sampled_from(['constant', 'edge', 'reflect', 'symmetric', 'wrap']))
        return Step(kind, (a,), (('width', width), ('mode', mode)))
    if kind == 'setitem':
        index = _index_param(draw, sa)
        target = _shape_of('getitem', [sa], (('index', index),))
        if target is None:
            return None
        partners = [
            b
            for b in range(n)
            if _broadcasts(target, shapes[b])
            and numpy.broadcast_shapes(target, shapes[b]) == target
        ]
        reduce = not partners or draw(st.booleans())
        b = draw(st.sampled_from(partners)) if not reduce else draw(st.integers(0, n - 1))
        return Step(kind, (a, b), (('index', index), ('reduce', reduce)))
    if kind == 'iadd':
        partners = [
            b
            for b in range(n)
            if _broadcasts(sa, shapes[b]) and numpy.broadcast_shapes(sa, shapes[b]) == sa
        ]
        return Step(
            kind,
            (a, draw(st.sampled_from(partners))),
            (('op', draw(st.sampled_from(['+=', '*=']))),),
        )
    raise AssertionError(kind)


@st.composite
def programs(draw, max_inputs=3, max_ops=6, max_size=24, kinds=KINDS):
    """A random program: 1-`max_inputs` inputs (at most `max_size` elements in all),
    1-`max_ops` steps."""
    n = draw(st.integers(1, max_inputs))
    if draw(st.booleans()):
        shapes = draw(
            mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=3)
        ).input_shapes
    else:
        shapes = tuple(
            draw(st.lists(array_shapes(min_dims=0, max_dims=3, max_side=3), min_size=n, max_size=n))
        )
    assume(sum(int(numpy.prod(s)) for s in shapes) <= max_size)
    shapes = list(shapes)
    steps = []
    target = draw(st.integers(1, max_ops))
    for _ in range(4 * target):
        if len(steps) == target:
            break
        step = _draw_step(draw, shapes, draw(st.sampled_from(kinds)))
        if step is None:
            continue
        out = _shape_of(step.kind, [shapes[i] for i in step.operands], step.params)
        if out is None or 0 in out or int(numpy.prod(out)) > 48:
            continue  # an invalid or empty result, or too large: skip the step
        steps.append(step)
        shapes.append(out)
    assume(steps)
    return Program(tuple(shapes[:n]), tuple(steps), shapes[-1])


def _inputs(program, seed, dtype=numpy.float64):
    rng = numpy.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, s).astype(dtype) for s in program.shapes]


def _reference(program, xs):
    """The program run by NumPy in float64 (assumes its values stay moderate)."""
    with numpy.errstate(all='raise'):
        out = numpy.asarray(program(*[numpy.asarray(x, numpy.float64) for x in xs], ns=numpy))
    assume(numpy.all(numpy.abs(out) < 50))
    return out


def _weights(shape, seed):
    return numpy.random.default_rng(seed + 1).standard_normal(shape)


def close(actual, expected, rtol=1e-5, atol=1e-6, what=''):
    numpy.testing.assert_allclose(
        numpy.asarray(actual, numpy.float64),
        numpy.asarray(expected, numpy.float64),
        rtol=rtol,
        atol=atol,
        err_msg=what,
    )


# --- derivatives of random programs ---------------------------------------------------


@settings(max_examples=100, **SETTINGS)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_forward_values_match_numpy(program, seed):
    note(program.describe())
    xs = _inputs(program, seed)
    expected = _reference(program, xs)
    plain = program(*[np.array(x) for x in xs])
    variables = [np.array(x) for x in xs]
    for v in variables:
        v.attach_grad()
    with autograd.record():
        recorded = program(*variables)
    for out in (plain, recorded):
        assert out.shape == expected.shape and out.dtype == numpy.float64
        close(out, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=80, **SETTINGS)
@given(program=programs(max_size=16), seed=st.integers(0, 2**16))
def test_check_grad_to_second_order(program, seed):
    """Reverse Jacobian (batched), single VJP and forward Jacobian of the program and of
    its reverse-mode derivative, against central differences."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    check_grad(program, xs, order=2, seed=seed)


@settings(max_examples=40, **SETTINGS)
@given(program=programs(max_size=12, max_ops=5), seed=st.integers(0, 2**16))
def test_check_grad_forward_over_forward(program, seed):
    """Second order through forward mode only (the derivative function is a JVP)."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    check_grad(program, xs, order=2, modes=('fwd',), seed=seed)


def _loss(program, w):
    return lambda *xs, **kwargs: (program(*xs, **kwargs) * w).sum()


@settings(max_examples=60, **SETTINGS)
@given(program=programs(max_size=16), seed=st.integers(0, 2**16))
def test_gradient_apis_agree_with_central_differences(program, seed):
    """backward (scalar loss and a head gradient on the raw output), autograd.grad and
    func.grad, then Hessian-vector products through each of them."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    w = _weights(program.out_shape, seed)
    loss = _loss(program, w)
    n = len(xs)
    expected = [numerical_jacobian(loss, xs, i) for i in range(n)]

    # backward of the scalar loss
    variables = [np.array(x) for x in xs]
    for v in variables:
        v.attach_grad()
    bufs = [v.grad for v in variables]
    with autograd.record():
        out = loss(*variables)
    out.backward()
    for v, buf, e in zip(variables, bufs, expected):
        assert v.grad is buf
        close(v.grad, e, what='backward')

    # backward of the raw output with head gradient w
    with autograd.record():
        y = program(*variables)
    y.backward(np.array(w))
    for v, e in zip(variables, expected):
        close(v.grad, e, what='backward with out_grad')

    # autograd.grad
    with autograd.record():
        out = loss(*variables)
    grads = autograd.grad(out, variables)
    for g, e, x in zip(grads, expected, xs):
        assert g.shape == x.shape
        close(g, e, what='autograd.grad')

    # func.grad
    grads = func.grad(loss, argnums=tuple(range(n)))(*xs)
    for g, e in zip(grads, expected):
        close(g, e, what='func.grad')

    # second order: H v by create_graph then backward, by func.grad of func.grad, by hvp
    vs = [numpy.random.default_rng(seed + 2).standard_normal(x.shape) for x in xs]

    def grad_dot_v(*args):
        gs = func.grad(loss, argnums=tuple(range(n)))(*args)
        return sum((g * v).sum() for g, v in zip(gs, vs))

    expected2 = [numerical_jacobian(grad_dot_v, xs, i) for i in range(n)]
    variables = [np.array(x) for x in xs]  # fresh buffers: a variable that the
    for v in variables:  # gradient does not depend on keeps its grad
        v.attach_grad()
    with autograd.record():
        out = loss(*variables)
        gs = autograd.grad(out, variables, create_graph=True)
        gv = sum((g * np.array(v)).sum() for g, v in zip(gs, vs))
    if gv._node is None:  # a graph linear in every input: no second-order history
        for e in expected2:
            close(e, 0.0, what='central differences of a linear program')
    else:
        gv.backward()
        for v, e in zip(variables, expected2):
            close(v.grad, e, what='backward of autograd.grad(create_graph=True)')
    for g, e in zip(func.grad(grad_dot_v, argnums=tuple(range(n)))(*xs), expected2):
        close(g, e, what='func.grad of func.grad')
    _, hv = func.hvp(loss, tuple(xs), tuple(vs))
    for g, e in zip(hv, expected2):
        close(g, e, what='func.hvp')


# --- a stateful machine over variables, graphs, backward, detach and updates -----------

VAR_SHAPES = [(), (2,), (1, 3), (2, 3), (3, 1)]
FINAL = ['sin', 'tanh', 'exp']  # keeps every head in [-1, e]: graphs of graphs stay tame


def _unary(ns, name, a):
    if name == 'sin':
        return ns.sin(a)
    if name == 'tanh':
        return ns.tanh(a)
    if name == 'exp':
        return ns.exp(ns.tanh(a))
    if name == 'square':
        return ns.square(a)
    if name == 'shift':  # x + c: an op that saves no input values
        return a + 0.5
    if name == 'scale':
        return a * 1.5
    raise AssertionError(name)


def _binary(ns, name, a, b):
    if name == 'add':
        return a + b
    if name == 'subtract':
        return a - b
    if name == 'multiply':
        return a * b
    if name == 'divide':
        return a / (2.0 + ns.sin(b))
    raise AssertionError(name)


@dataclasses.dataclass
class Plan:
    """acc = first(source 0); acc = op(acc, [mean of] source k) ...; head = last(acc)."""

    first: str
    terms: list  # (source position, binary op, reduce to a scalar first)
    last: str

    def build(self, ns, sources):
        acc = _unary(ns, self.first, sources[0])
        for k, op_name, reduce in self.terms:
            s = sources[k]
            acc = _binary(ns, op_name, acc, ns.mean(s) if reduce else s)
        return _unary(ns, self.last, acc)


class Var:
    def __init__(self, array, req, history):
        self.array, self.req = array, req
        self.buf = array.grad  # the gradient buffer, whose identity must stay
        self.expected = numpy.zeros(array.shape)  # what the buffer must hold
        self.history = history  # value at each version (in-place update count)

    @property
    def version(self):
        return len(self.history) - 1


class Graph:
    def __init__(self, head, fn, keys, deps, aliases, w):
        self.head = head
        self.fn = fn  # env {(var, version): value} -> float64 head value
        self.keys = keys  # the (var, version) pairs the head is a function of
        self.deps = deps  # graphs whose heads this one was built from (transitive)
        self.aliases = aliases  # variables whose detached aliases are constants here
        self.w = w  # its head gradient
        self.status = 'live'  # its own nodes: 'live', 'freed' or 'unknown'
        self.tainted = False  # an aliased variable was updated in place since


class Const:
    """A detached array: a constant with the value it had when it was used."""

    def __init__(self, array, alias):
        self.array, self.alias = array, alias


def _numeric_grads(fn, env, w, keys, eps=1e-6):
    """d sum(fn(env) * w) / d env[key] for each key, by central differences."""
    out = {}
    for key in keys:
        base = env[key]
        g = numpy.zeros(base.shape)
        for j in range(base.size):
            plus, minus = base.copy(), base.copy()
            plus.flat[j] += eps
            minus.flat[j] -= eps
            hi = (fn({**env, key: plus}) * w).sum()
            lo = (fn({**env, key: minus}) * w).sum()
            g.flat[j] = (hi - lo) / (2 * eps)
        out[key] = g
    return out


class EngineMachine(RuleBasedStateMachine):
    """Interleaves variables, recording, backward (retained or not), detach and updates.

    A model tracks each variable's value per in-place version and what its gradient
    buffer must hold, and each graph's head as a float64 function of the variables'
    versions; gradients are checked against central differences of that function.
    """

    def __init__(self):
        super().__init__()
        self.vars, self.graphs, self.consts = [], [], []

    # -- model helpers -------------------------------------------------------------
    def _env(self):
        return {
            (i, k): value for i, var in enumerate(self.vars) for k, value in enumerate(var.history)
        }

    def _effective(self, graph, requested):
        """The graph's state as a pass to `requested` sees it: the graphs it was built
        from matter only where they lead to a requested variable."""
        states = {graph.status} | {
            self.graphs[d].status
            for d in graph.deps
            if any(i in requested for i, _ in self.graphs[d].keys)
        }
        return 'freed' if 'freed' in states else 'unknown' if 'unknown' in states else 'live'

    def _modified(self, graph):
        return any(self.vars[i].version != k for i, k in graph.keys)

    def _expected_grads(self, graph, w):
        """Per variable the graph depends on: the sum over its versions' gradients."""
        per_key = _numeric_grads(graph.fn, self._env(), w, sorted(graph.keys))
        grads = {}
        for (i, _), g in per_key.items():
            grads[i] = grads.get(i, 0.0) + g
        return grads

    def _after_pass(self, graph, requested, ok, retain):
        """Model what a pass released: everything on a path to the requested
        variables; only part of it if the pass stopped on an error."""
        if retain:
            return
        graph.status = 'freed' if ok else 'unknown'
        for d in graph.deps:
            dep = self.graphs[d]
            if any(i in requested for i, _ in dep.keys) and dep.status != 'freed':
                dep.status = 'freed' if ok else 'unknown'

    # -- rules ---------------------------------------------------------------------
    @initialize(
        shape=st.sampled_from(VAR_SHAPES),
        req=st.sampled_from(['write', 'add']),
        seed=st.integers(0, 1000),
    )
    def first_variable(self, shape, req, seed):
        self.new_variable(shape, req, seed)

    @precondition(lambda self: len(self.vars) < 5)
    @rule(
        shape=st.sampled_from(VAR_SHAPES),
        req=st.sampled_from(['write', 'add']),
        seed=st.integers(0, 1000),
    )
    def new_variable(self, shape, req, seed):
        value = numpy.random.default_rng(seed).uniform(-1.5, 1.5, shape)
        x = np.array(value)
        x.attach_grad(req)
        assert x.grad_req == req and x.grad.shape == shape
        assert x.grad.dtype == numpy.float64 and not x.grad.asnumpy().any()
        self.vars.append(Var(x, req, [value.copy()]))

    @rule(data=st.data())
    def record(self, data):
        draw = data.draw
        kinds = ['var'] + (['graph'] if self.graphs else []) + (['const'] if self.consts else [])
        sources = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(kinds))
            pool = {'var': self.vars, 'graph': self.graphs, 'const': self.consts}[kind]
            sources.append((kind, draw(st.integers(0, len(pool) - 1))))
        acc_shape, terms = self._source_shape(sources[0]), []

        def term(pos, ops, maybe_reduce):
            nonlocal acc_shape
            shape = self._source_shape(sources[pos])
            reduce = not _broadcasts(acc_shape, shape) or (maybe_reduce and draw(st.booleans()))
            if not reduce:
                acc_shape = numpy.broadcast_shapes(acc_shape, shape)
            terms.append((pos, draw(st.sampled_from(ops)), reduce))

        for _ in range(draw(st.integers(0, 3))):  # sources reused: diamonds
            term(
                draw(st.integers(0, len(sources) - 1)),
                ['add', 'subtract', 'multiply', 'divide'],
                True,
            )
        for pos in range(1, len(sources)):  # every source reaches the head
            if all(pos != k for k, _, _ in terms):
                term(pos, ['add', 'multiply'], False)
        plan = Plan(
            draw(st.sampled_from(['sin', 'tanh', 'exp', 'square', 'shift', 'scale'])),
            terms,
            draw(st.sampled_from(FINAL)),
        )

        keys, deps, aliases, fns = set(), set(), set(), []
        arrays = []
        for kind, j in sources:
            if kind == 'var':
                var = self.vars[j]
                keys.add((j, var.version))
                arrays.append(var.array)
                fns.append(lambda env, key=(j, var.version): env[key])
            elif kind == 'graph':
                graph = self.graphs[j]
                keys |= graph.keys
                deps |= {j} | graph.deps
                aliases |= graph.aliases
                arrays.append(graph.head)
                fns.append(graph.fn)
            else:
                const = self.consts[j]
                if const.alias is not None:
                    aliases.add(const.alias)
                arrays.append(const.array)
                value = const.array.asnumpy()
                fns.append(lambda env, value=value: value)
        with autograd.record():
            head = plan.build(np, arrays)

        def fn(env, fns=tuple(fns), plan=plan):
            return plan.build(numpy, [f(env) for f in fns])

        expected = fn(self._env())
        assert head.shape == expected.shape and head.dtype == numpy.float64
        close(head, expected, rtol=1e-12, atol=1e-12, what='recorded forward value')
        if keys:
            assert head._node is not None and head._node.prim is not None
        else:
            assert head._node is None  # only constants: nothing recorded
        w = numpy.random.default_rng(len(self.graphs)).standard_normal(head.shape)
        if head._node is not None:
            graph = Graph(head, fn, keys, deps, aliases, w)
            graph.tainted = any(self.graphs[d].tainted for d in deps)
            self.graphs.append(graph)

    def _source_shape(self, source):
        kind, j = source
        pool = {'var': self.vars, 'graph': self.graphs, 'const': self.consts}[kind]
        return (pool[j].array if kind != 'graph' else pool[j].head).shape

    @precondition(lambda self: any(not g.tainted for g in self.graphs))
    @rule(
        data=st.data(),
        retain=st.booleans(),
        how=st.sampled_from(['method', 'autograd.backward', 'autograd.grad']),
        precheck=st.booleans(),
        create_graph=st.booleans(),
    )
    def backward(self, data, retain, how, precheck, create_graph):
        """A pass (recorded itself with create_graph) through one graph: it raises
        GraphFreedError where the model says a node on its way was released,
        InPlaceModificationError only where a variable was updated since recording,
        and otherwise gives the gradients at the recorded values."""
        if how == 'method':
            create_graph = False  # ndarray.backward has no create_graph
        elif how == 'autograd.backward' and create_graph:
            retain = True  # as autograd.backward does
        # Graphs holding a detached alias of a variable updated in place since raise
        # InPlaceModificationError (test_inplace_update_through_a_detached_alias_is_detected
        # pins that); this model does not track which of their nodes saved the alias.
        index = data.draw(st.sampled_from([k for k, g in enumerate(self.graphs) if not g.tainted]))
        graph = self.graphs[index]
        involved = sorted({i for i, _ in graph.keys})
        if how == 'autograd.grad':
            requested = data.draw(st.lists(st.sampled_from(involved), min_size=1, unique=True))
        else:
            requested = involved
        state, modified = self._effective(graph, requested), self._modified(graph)
        allowed = ()
        if state != 'live':
            allowed += (GraphFreedError,)
        if modified:
            allowed += (InPlaceModificationError,)
        if state == 'freed':
            with pytest.raises(allowed) as info:
                self._pass(graph, how, requested, retain, create_graph)
            event(f'backward: freed graph raised {info.type.__name__}')
            self._after_pass(graph, requested, False, retain)
            return

        exact = None
        if precheck and self._effective(graph, involved) == 'live' and not modified:
            # the engine's own gradients, on a retained pass: the real pass must match
            # them bit for bit (write) or add exactly them (add)
            exact = autograd.grad(
                graph.head,
                [self.vars[i].array for i in involved],
                head_grads=np.array(graph.w),
                retain_graph=True,
            )
            exact = {i: g.asnumpy() for i, g in zip(involved, exact)}
        before = {i: self.vars[i].buf.asnumpy() for i in involved}
        try:
            result = self._pass(graph, how, requested, retain, create_graph)
        except allowed as error:
            event(f'backward: {state} graph, modified={modified}: {type(error).__name__}')
            self._after_pass(graph, requested, False, retain)
            for i in involved:  # a failed pass leaves every buffer alone
                numpy.testing.assert_array_equal(self.vars[i].buf.asnumpy(), before[i])
            return
        event(f'backward: {state} graph, modified={modified}: ok, exact={exact is not None}')
        self._after_pass(graph, requested, True, retain)
        expected = self._expected_grads(graph, graph.w)
        for i in involved:
            var = self.vars[i]
            if how == 'autograd.grad':
                if i in requested:
                    got = result[requested.index(i)]
                    close(got, expected[i], what=f'autograd.grad of variable {i}')
                    if exact is not None:
                        numpy.testing.assert_array_equal(got.asnumpy(), exact[i])
                continue
            if var.req == 'write':
                var.expected = expected[i].copy()
                if exact is not None:
                    numpy.testing.assert_array_equal(var.buf.asnumpy(), exact[i])
            else:
                var.expected = var.expected + expected[i]
                if exact is not None:
                    numpy.testing.assert_array_equal(var.buf.asnumpy(), before[i] + exact[i])

    def _pass(self, graph, how, requested, retain, create_graph):
        w = np.array(graph.w)
        if how == 'method':
            return graph.head.backward(w, retain_graph=retain)
        if how == 'autograd.backward':
            return autograd.backward(
                [graph.head], [w], retain_graph=retain, create_graph=create_graph
            )
        return autograd.grad(
            graph.head,
            [self.vars[i].array for i in requested],
            head_grads=w,
            retain_graph=retain,
            create_graph=create_graph,
        )

    @precondition(lambda self: self.vars or self.graphs)
    @rule(data=st.data())
    def detach(self, data):
        kinds = (['var'] if self.vars else []) + (['graph'] if self.graphs else [])
        kind = data.draw(st.sampled_from(kinds))
        if kind == 'var':
            j = data.draw(st.integers(0, len(self.vars) - 1))
            source, alias = self.vars[j].array, j
        else:
            graph = self.graphs[data.draw(st.integers(0, len(self.graphs) - 1))]
            source, alias = graph.head, None
        d = source.detach()
        assert d._node is None and d.grad is None
        assert numpy.shares_memory(d._data, source._data)
        assert source._node is not None  # the source keeps its history
        self.consts.append(Const(d, alias))

    @precondition(lambda self: self.vars)
    @rule(
        data=st.data(),
        how=st.sampled_from(['+=', '-= lr * grad', '*=', 'setitem']),
        paused=st.booleans(),
    )
    def update_in_place(self, data, how, paused):
        j = data.draw(st.integers(0, len(self.vars) - 1))
        var = self.vars[j]
        x, old = var.array, var.history[-1]
        node = x._node
        if how == '+=':
            new = old + 0.25
        elif how == '-= lr * grad':
            new = old - 0.1 * var.buf.asnumpy()
        elif how == '*=':
            new = old * 0.5
        else:
            new = old.copy()
            new[...] = -0.5
        if paused:  # an update inside record(), paused: the same in-place update
            with autograd.record(), autograd.pause():
                self._update(x, how, var)
        else:
            self._update(x, how, var)
        assert x._node is node and x.grad is var.buf, 'the update replaced the variable'
        close(x, new, rtol=1e-15, atol=0, what='updated value')
        var.history.append(numpy.array(new, numpy.float64))
        for graph in self.graphs:
            if j in graph.aliases:
                graph.tainted = True

    def _update(self, x, how, var):
        if how == '+=':
            x += 0.25
        elif how == '-= lr * grad':
            x -= 0.1 * x.grad
        elif how == '*=':
            x *= 0.5
        else:
            x[...] = -0.5

    @precondition(lambda self: self.vars)
    @rule(data=st.data())
    def zero_grad(self, data):
        var = self.vars[data.draw(st.integers(0, len(self.vars) - 1))]
        var.array.grad[...] = 0
        var.expected = numpy.zeros(var.array.shape)

    @invariant()
    def buffers_hold_their_gradients(self):
        for i, var in enumerate(self.vars):
            assert var.array.grad is var.buf, f'variable {i} lost its gradient buffer'
            assert var.buf.shape == var.array.shape and var.buf.dtype == numpy.float64
            close(var.buf, var.expected, rtol=1e-5, atol=1e-6, what=f'grad of variable {i}')
            numpy.testing.assert_array_equal(var.array.asnumpy(), var.history[-1])


EngineMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, **SETTINGS)
test_engine_machine = EngineMachine.TestCase


@settings(max_examples=50, **SETTINGS)
@given(program=programs(max_size=16), seed=st.integers(0, 2**16), data=st.data())
def test_intermediates_and_several_heads(program, seed, data):
    """autograd.grad with respect to intermediates and inputs at once (an intermediate
    gets the gradient of the loss with it cut free; the inputs still get the total
    derivative), and several heads at once, one computed from the other, or repeated."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    n = len(xs)
    w = _weights(program.out_shape, seed)
    loss = _loss(program, w)
    expected = [numerical_jacobian(loss, xs, i) for i in range(n)]

    variables = [np.array(x) for x in xs]
    for v in variables:
        v.attach_grad()
    trace = []
    with autograd.record():
        out = loss(*variables, trace=trace)
    k = data.draw(st.integers(n, len(trace) - 1), label='intermediate')
    grads = autograd.grad(out, variables + [trace[k]], retain_graph=True)
    for g, e in zip(grads, expected):
        close(g, e, what='input, with an intermediate requested too')
    reference = [numpy.asarray(v._data, numpy.float64) for v in trace]
    cut = numerical_jacobian(
        lambda *a: loss(*[np.array(r) for r in reference[:n]], cut={k: a[0]}), [reference[k]], 0
    )
    assert grads[-1].shape == trace[k].shape
    close(grads[-1], cut, what=f'intermediate v{k}')

    # heads y and z = sum(sin(y) * w2), with head gradients w and 2; y twice
    w2 = _weights(program.out_shape, seed + 11)
    both = lambda *a: loss(*a) + 2 * (np.sin(program(*a)) * w2).sum()  # noqa: E731
    expected = [numerical_jacobian(both, xs, i) for i in range(n)]
    with autograd.record():
        y = program(*variables)
        z = (np.sin(y) * w2).sum()
    order = data.draw(st.booleans(), label='z first')
    heads = [z, y] if order else [y, z]
    hgs = [np.array(2.0), np.array(w)] if order else [np.array(w), np.array(2.0)]
    grads = autograd.grad(heads, variables, head_grads=hgs, retain_graph=True)
    for g, e in zip(grads, expected):
        close(g, e, what='dependent heads')
    autograd.backward([y, y], [np.array(w), np.array(w)])
    for v, e in zip(variables, [numerical_jacobian(loss, xs, i) for i in range(n)]):
        close(v.grad, 2 * e, what='a head given twice')


@settings(max_examples=40, **SETTINGS)
@given(program=programs(max_size=12, max_ops=5), seed=st.integers(0, 2**16))
def test_jacobians_hessians_and_anomaly_mode(program, seed):
    """func.jacrev and func.jacfwd against central differences, func.hessian of the
    weighted loss against central differences of its gradient, and the same
    gradients, bit for bit, under autograd.detect_anomaly()."""
    note(program.describe())
    xs = _inputs(program, seed)
    _reference(program, xs)
    n = len(xs)
    argnums = tuple(range(n))
    expected = [numerical_jacobian(program, xs, i) for i in range(n)]
    for name, jac in (('jacrev', func.jacrev), ('jacfwd', func.jacfwd)):
        for j, e in zip(jac(program, argnums=argnums)(*xs), expected):
            close(j, e, what=name)
    w = _weights(program.out_shape, seed)
    loss = _loss(program, w)
    grad = func.grad(loss, argnums=0)
    close(func.hessian(loss, argnums=0)(*xs), numerical_jacobian(grad, xs, 0), what='hessian')

    plain = func.grad(loss, argnums=argnums)(*xs)
    with autograd.detect_anomaly():
        checked = func.grad(loss, argnums=argnums)(*xs)
        variables = [np.array(x) for x in xs]
        for v in variables:
            v.attach_grad()
        with autograd.record():
            out = loss(*variables)
        out.backward()
    for a, b, v in zip(plain, checked, variables):
        numpy.testing.assert_array_equal(a, b)
        numpy.testing.assert_array_equal(a, v.grad.asnumpy())

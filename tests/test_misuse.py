"""A catalogue of misuses: every entry gives the right answer or a typed error that says
what to do, never a silently wrong gradient.

Each case is one row of the table `CASES`: a short id, the row of docs/errors.md it
illustrates, a function that performs the misuse, and the expected outcome:

* ``ok(want)``: the function returns the right values (checked numerically), and no
  `ndgrad.GradientLostWarning` is issued;
* ``raises(cls, pattern)``: calling the function raises `cls`, whose message (with its
  notes) matches `pattern` (case-insensitively, ``.`` matching newlines);
* ``raises_later(cls, pattern)``: the function performs the misuse without an error and
  returns the step that must raise (a backward pass that would use what was modified);
* ``warns(pattern, want)``: a `GradientLostWarning` matching `pattern` (and the result
  `want`, unless None);
* ``right_or_error(want, cls)``: either of the two, where both are reasonable.
"""

import contextlib
import doctest
import math
import pathlib
import re
import threading
import warnings

import numpy
import pytest

import ndgrad
from ndgrad import autograd, func, gluon, np, npx
from ndgrad._backend import Context

IPE = ndgrad.InPlaceModificationError
GFE = ndgrad.GraphFreedError
NRE = ndgrad.NotRecordedError
GLW = getattr(ndgrad, 'GradientLostWarning', None)

# --- message patterns: each says what went wrong and what to do ------------------------
IN_PLACE = r'(in place|in-place|modified).*(copy|backward|recompute|before)'
IN_RECORD = r'outside\b.*record'
RETAIN = r'retain_graph=True'
INT_DTYPE = r'(?i)\b(integer|int(8|16|32|64)|bool|boolean)\b'
COMPLEX = r'(?i)complex'
READ_ONLY = r'(?i)read-only|read only|not writeable|not writable'


def both(*parts):
    """A pattern matching text that contains every one of `parts` (literal text)."""
    return '(?s)' + ''.join(f'(?=.*{re.escape(p)})' for p in parts)


# --- the harness ---------------------------------------------------------------------
def _values(got):
    if isinstance(got, ndgrad.ndarray):
        return got.asnumpy()
    return numpy.asarray(got)


def assert_close(got, want, where='result'):
    """`got` equals `want` (nested lists/tuples/dicts of arrays), shapes included."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f'{where}: expected a dict, got {type(got).__name__}'
        assert set(got) == set(want), f'{where}: keys {set(got)} != {set(want)}'
        for k in want:
            assert_close(got[k], want[k], f'{where}[{k!r}]')
    elif (
        isinstance(want, (list, tuple))
        and want
        and not isinstance(want[0], (int, float))
        and not isinstance(got, (ndgrad.ndarray, numpy.ndarray))
    ):
        assert isinstance(got, (list, tuple)), (
            f'{where}: expected a sequence, got {type(got).__name__}'
        )
        assert len(got) == len(want), f'{where}: {len(got)} items, expected {len(want)}'
        for k, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f'{where}[{k}]')
    elif want is None or isinstance(want, (bool, str)):
        assert got == want, f'{where}: {got!r} != {want!r}'
    else:
        w = numpy.asarray(want, dtype=float)
        g = _values(got)
        assert g.shape == w.shape, f'{where}: shape {g.shape}, expected {w.shape}'
        numpy.testing.assert_allclose(g.astype(float), w, rtol=1e-5, atol=1e-6, err_msg=where)


def _message(exc):
    return '\n'.join([str(exc)] + list(getattr(exc, '__notes__', ())))


def _no_lost_gradient_warnings():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    if GLW is not None:
        warnings.simplefilter('error', GLW)
    return ctx


class ok:
    def __init__(self, want):
        self.want = want

    def check(self, fn):
        ctx = _no_lost_gradient_warnings()
        try:
            got = fn()
        finally:
            ctx.__exit__(None, None, None)
        assert_close(got, self.want)


class raises:
    """`fn()` raises `cls` (``when='now'``); or `fn()` returns a step that raises
    (``'later'``); or either (``'any'``)."""

    def __init__(self, cls, pattern, when='now'):
        self.cls, self.pattern, self.when = cls, pattern, when

    def check(self, fn):
        if self.when == 'later':
            step = fn()
            assert callable(step), 'the misuse itself must not raise; it returns the step'
            fn = step
        with pytest.raises(self.cls) as info:
            step = fn()
            if self.when == 'any' and callable(step):
                step()
        text = _message(info.value)
        assert re.search(self.pattern, text, re.I | re.S), (
            f'{type(info.value).__name__} message {text!r} does not match {self.pattern!r}'
        )


def raises_later(cls, pattern):
    return raises(cls, pattern, 'later')


def raises_any(cls, pattern):
    return raises(cls, pattern, 'any')


class warns:
    def __init__(self, pattern=r'(?i)gradient', want=None):
        self.pattern, self.want = pattern, want

    def check(self, fn):
        assert GLW is not None, 'ndgrad.GradientLostWarning does not exist'
        assert issubclass(GLW, UserWarning)
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter('always')
            got = fn()
        lost = [w for w in log if issubclass(w.category, GLW)]
        assert lost, f'no GradientLostWarning (got {[str(w.message) for w in log]})'
        assert any(re.search(self.pattern, str(w.message)) for w in lost), (
            f'{[str(w.message) for w in lost]} do not match {self.pattern!r}'
        )
        if self.want is not None:
            assert_close(got, self.want)


class right_or_error:
    """The right values, or a typed error (`cls`) saying what to do."""

    def __init__(self, want, cls):
        self.want, self.cls = want, cls

    def check(self, fn):
        try:
            ctx = _no_lost_gradient_warnings()
            try:
                got = fn()
                if callable(got):
                    got = got()
            finally:
                ctx.__exit__(None, None, None)
        except self.cls as exc:
            assert len(str(exc)) > 20, f'an error without explanation: {exc!r}'
            return
        assert_close(got, self.want)


class lost_or_error:
    """A gradient must not vanish silently: a `GradientLostWarning`, or a typed error
    (`cls`) whose message matches `pattern`, or (where `want` is given) the right values."""

    def __init__(self, cls, pattern=r'.{20}', want=None):
        self.cls, self.pattern, self.want = cls, pattern, want

    def check(self, fn):
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter('always')
            try:
                got = fn()
            except self.cls as exc:
                assert re.search(self.pattern, _message(exc), re.I | re.S), (
                    f'{type(exc).__name__} message {_message(exc)!r} does not say why '
                    f'({self.pattern!r})'
                )
                return
        if GLW is not None and any(issubclass(w.category, GLW) for w in log):
            return
        assert self.want is not None, (
            'the gradient was dropped without a GradientLostWarning or an error'
        )
        assert_close(got, self.want)


CASES = []


def case(id, row, expect, item='-'):
    """Register the decorated function as the catalogue entry `id`: it illustrates the row
    `row` of docs/errors.md and, where there is one, item `item` of the contract."""

    def register(fn):
        CASES.append(pytest.param(fn, expect, id=id))
        fn.row, fn.item = row, item
        return fn

    return register


# --- helpers -------------------------------------------------------------------------
def var(values, req='write', dtype=None):
    x = np.array(values, dtype=dtype) if dtype else np.array(values)
    x.attach_grad(req)
    return x


def grad_of(x, build):
    """x.grad after recording ``build()`` and calling backward on it."""
    with autograd.record():
        y = build()
    y.backward()
    return x.grad


def after(step, x):
    """Run `step`, then give x.grad."""

    def run():
        step()
        return x.grad

    return run


def exp_graph(values=(1.0, 2.0)):
    x = var(list(values))
    with autograd.record():
        y = np.exp(x)
        z = y.sum()
    return x, y, z


E = numpy.exp(numpy.array([1.0, 2.0]))


# ===================================================================================
# 1. Writes into a saved OUTPUT through any alias: InPlaceModificationError at backward
# ===================================================================================
@case('out-exp-detach', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    _x, y, z = exp_graph()
    y.detach()[0] = 100.0
    return z.backward


@case('out-exp-slice', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    _x, y, z = exp_graph()
    y[0:1][0] = 100.0
    return z.backward


@case('out-exp-reshape', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    _x, y, z = exp_graph()
    y.reshape(2, 1)[0, 0] = 100.0
    return z.backward


@case('out-exp-transpose', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = np.exp(x)
        z = y.sum()
    y.T[0, 1] = 100.0
    return z.backward


@case('out-exp-ravel', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = np.exp(x)
        z = y.sum()
    y.ravel()[3] = 100.0
    return z.backward


@case('out-exp-iadd-outside', 'inplace-saved', raises(IPE, IN_PLACE), item='1')
def _():
    _x, y, _z = exp_graph()
    y += 1  # a direct write is refused at once: the graph stays usable


@case('out-exp-imul-outside', 'inplace-saved', raises(IPE, IN_PLACE), item='1')
def _():
    _x, y, _z = exp_graph()
    y *= 2


@case('out-exp-setitem', 'inplace-saved', raises_any(IPE, IN_PLACE), item='1')
def _():
    _x, y, z = exp_graph()
    y[0] = 100.0
    return z.backward


@case('out-exp-grad-api', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x, y, z = exp_graph()
    y.detach()[1] = 0.0
    return lambda: autograd.grad(z, [x])


@case('out-exp-retained', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    _x, y, z = exp_graph()
    z.backward(retain_graph=True)
    y.detach()[0] = 100.0
    return z.backward


@case('out-exp-func-vjp', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    out, pullback = func.vjp(np.exp, np.array([1.0, 2.0]))
    out[0] = 100.0  # the value handed back shares memory with the saved output
    return lambda: pullback(np.ones(2))


@case('out-tanh-detach', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([0.5, 1.0])
    with autograd.record():
        y = np.tanh(x)
        z = y.sum()
    y.detach()[0] = 3.0
    return z.backward


@case('out-sigmoid-slice', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([0.5, 1.0])
    with autograd.record():
        y = npx.sigmoid(x)
        z = y.sum()
    y[1:][0] = 3.0
    return z.backward


@case('out-sqrt-reshape', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([4.0, 9.0])
    with autograd.record():
        y = np.sqrt(x)
        z = y.sum()
    y.reshape(1, 2)[0, 1] = 1.0
    return z.backward


@case('out-softmax-detach', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = npx.softmax(x)
        z = (y * np.array([1.0, 2.0, 3.0])).sum()
    y.detach()[:] = 0.0
    return z.backward


@case('out-log-softmax-isub', 'inplace-saved', raises(IPE, IN_PLACE), item='1')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = npx.log_softmax(x)
        _z = (y * np.array([1.0, 0.0, 0.0])).sum()
    y -= 1


@case('out-exp-refused-write-keeps-graph', 'inplace-saved', ok([math.e, math.e**2]), item='1')
def _():
    x, y, z = exp_graph()
    with contextlib.suppress(IPE):
        y[0] = 1.0
    z.backward()
    return x.grad


@case('out-max-detach', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([1.0, 3.0, 2.0])
    with autograd.record():
        y = x.max()
    y.detach()[()] = 2.0  # now ties with x[2]: the split would change
    return y.backward


@case('out-custom-function', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    class Exp(autograd.Function):
        def forward(self, v):
            out = np.exp(v)
            self.save_for_backward(out)
            return out

        def backward(self, dy):
            (out,) = self.saved_tensors
            return dy * out

    x = var([1.0, 2.0])
    with autograd.record():
        y = Exp()(x)
        z = y.sum()
    y.detach()[0] = 100.0
    return z.backward


@case('out-numpy-asarray-readonly', 'asarray-readonly', raises(ValueError, READ_ONLY), item='12')
def _():
    _x, y, _z = exp_graph()
    numpy.asarray(y)[0] = 100.0


# ===================================================================================
# 1. Writes into a saved INPUT through any alias
# ===================================================================================
def _input_case(build, write, values=(1.0, 2.0)):
    x = var(list(values))
    with autograd.record():
        z = build(x)
    write(x)
    return z.backward


def _set(index, value=5.0):
    def write(a):
        a[index] = value

    return write


@case('in-mul-detach', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(lambda x: (x * x).sum(), lambda x: _set(0)(x.detach()))


@case('in-sin-slice', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(lambda x: np.sin(x).sum(), lambda x: _set(0)(x[0:1]))


@case('in-log-reshape', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(lambda x: np.log(x).sum(), lambda x: _set((0, 0))(x.reshape(2, 1)))


@case('in-pow-ravel', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        z = (x**3).sum()
    x.ravel()[2] = 0.0
    return z.backward


@case('in-dot-transpose', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        z = np.dot(x, x).sum()
    x.T[1, 0] = 0.0
    return z.backward


@case('in-matmul-setitem', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        z = (x @ x).sum()
    x[0] = 0.0  # outside record(): in place
    return z.backward


@case('in-sort-iadd', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(
        lambda x: (np.sort(x) * np.array([1.0, 2.0, 3.0])).sum(),
        lambda x: x.__iadd__(np.array([5.0, 0.0, 0.0])),
        (1.0, 2.0, 3.0),
    )


@case('in-max-isub', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    def write(x):
        x -= 1.0

    return _input_case(lambda x: x.max(), write, (1.0, 3.0, 2.0))


@case('in-divide-imul', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    def write(x):
        x *= 2.0

    return _input_case(lambda x: (1.0 / x).sum(), write)


@case('in-prod-itruediv', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    def write(x):
        x /= 2.0

    return _input_case(lambda x: x.prod(), write)


@case('in-norm-fill', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(lambda x: np.linalg.norm(x), _set(slice(None), 1.0))


@case('in-mul-step-slice', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _input_case(lambda x: (x * x).sum(), lambda x: _set(1)(x[::2]), (1.0, 2.0, 3.0, 4.0))


@case('in-mul-grad-api', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x * x).sum()
    x.detach()[1] = 0.0
    return lambda: autograd.grad(z, [x])


@case('in-func-vjp-ndgrad-primal', 'inplace-saved', ok([2.0, 4.0]), item='1')
def _():
    x = np.array([1.0, 2.0])
    _, pullback = func.vjp(lambda v: v * v, x)
    x[0] = 5.0  # the transform differentiates at the values it was given (a copy)
    return pullback(np.ones(2))[0]


@case('in-custom-function', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    class Square(autograd.Function):
        def forward(self, v):
            self.save_for_backward(v)
            return v * v

        def backward(self, dy):
            (v,) = self.saved_tensors
            return 2 * v * dy

    return _input_case(lambda x: Square()(x).sum(), lambda x: _set(0)(x.detach()))


@case('in-advanced-index-copy', 'inplace-saved', ok([2.0, 4.0]), item='1')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x * x).sum()
    x[[0, 1]][0] = 5.0  # advanced indexing copies: x is untouched
    z.backward()
    return x.grad


@case('in-asnumpy-copy', 'asarray-readonly', ok([2.0, 4.0]), item='12')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x * x).sum()
    x.asnumpy()[0] = 5.0  # a copy
    z.backward()
    return x.grad


@case('in-numpy-asarray-readonly', 'asarray-readonly', raises(ValueError, READ_ONLY), item='12')
def _():
    x = var([1.0, 2.0])
    numpy.asarray(x)[0] = 5.0


@case(
    'in-numpy-asarray-of-detached',
    'asarray-readonly',
    right_or_error([2.0, 4.0], (IPE, ValueError)),
)
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x * x).sum()
    numpy.asarray(x.detach())[0] = 5.0  # x.detach() has no node, but x's memory
    return after(z.backward, x)


@case('in-numpy-asarray-of-view', 'asarray-readonly', right_or_error([2.0, 4.0], (IPE, ValueError)))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x * x).sum()
    numpy.asarray(x[0:1])[0] = 5.0
    return after(z.backward, x)


@case(
    'in-numpy-asarray-of-constant',
    'asarray-readonly',
    right_or_error([1.0, 2.0], (IPE, ValueError)),
)
def _():
    x = var([1.0, 1.0])
    c = np.array([1.0, 2.0])
    with autograd.record():
        z = (x * c).sum()
    numpy.asarray(c)[0] = 100.0  # a constant the graph saved
    return after(z.backward, x)


@case('in-func-vjp-numpy-primal', 'inplace-saved', right_or_error(([2.0, 4.0],), IPE))
def _():
    x = numpy.array([1.0, 2.0])
    _, pullback = func.vjp(lambda v: v * v, x)
    x[0] = 5.0  # the caller's NumPy array, after linearizing at x
    return lambda: pullback(numpy.ones(2))


@case(
    'in-numpy-asarray-of-detached-output',
    'asarray-readonly',
    right_or_error(E.tolist(), (IPE, ValueError)),
)
def _():
    x, y, z = exp_graph()
    numpy.asarray(y.detach())[0] = 100.0  # the issue's first reproducer, through NumPy
    return after(z.backward, x)


@case('in-numpy-constant-operand', 'inplace-saved', right_or_error([1.0, 2.0], IPE))
def _():
    x = var([1.0, 1.0])
    c = numpy.array([1.0, 2.0], numpy.float32)
    with autograd.record():
        z = (x * c).sum()
    c[0] = 100.0  # the caller's NumPy array, saved by multiply
    return after(z.backward, x)


@case('in-not-saved-input-ok', 'inplace-saved', ok([1.0, 1.0]), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = (x + 1).sum()  # add saves nothing
    x[0] = 100.0
    z.backward()
    return x.grad


# ===================================================================================
# 2. Stale history: an op result written after recording
# ===================================================================================
@case('stale-consumed-after-write', 'inplace-stale', raises_later(IPE, IN_PLACE), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
    z.detach()[0] = 100.0
    with autograd.record():
        w = (z * 3).sum()
    return w.backward


@case('stale-consumed-after-setitem', 'inplace-stale', ok([100.0, 4.0]), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
    z[0] = 100.0  # outside record(): in place, and z becomes a constant
    with autograd.record():
        w = (z * x).sum()
    w.backward()
    return x.grad


@case('stale-consumed-after-view-write', 'inplace-stale', raises_later(IPE, IN_PLACE), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
    z[0:1][0] = 100.0
    with autograd.record():
        w = z.sum()
    return w.backward


@case(
    'stale-consumed-after-iadd',
    'inplace-stale',
    raises_later(NRE, r'modified in place outside record'),
    item='2',
)
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
    z += 1  # outside record(): z becomes a constant
    with autograd.record():
        w = (z * 3).sum()
    return w.backward


@case('stale-consumed-before-ok', 'inplace-stale', ok([2.0, 2.0]), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        w = (z + 1).sum()  # consumed before the write, not saved
    z.detach()[0] = 100.0
    w.backward()
    return x.grad


@case('stale-consumed-before-saved', 'inplace-stale', raises_later(IPE, IN_PLACE), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        w = (z * z).sum()
    z.detach()[0] = 100.0
    return w.backward


@case('stale-iadd-outside-views-see-it', 'inplace-stale', ok([3.0, 5.0]), item='1')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
    v = z[0:2]
    z += 1  # outside record(): NumPy semantics, in place
    return v


# ===================================================================================
# 3. In place under record(): NumPy semantics, history becomes the assignment
# ===================================================================================
@case('rec-setitem-intermediate', 'inplace-record', ok([0.0, 5.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z[0] = x[1] * 3
        y = z.sum()
    y.backward()
    return x.grad


@case('rec-setitem-seen-by-detached', 'inplace-record', ok([6.0, 4.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        d = z.detach()
        z[0] = x[1] * 3
    return d


@case('rec-setitem-seen-by-view', 'inplace-record', ok([7.0, 4.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        v = z[0:2]
        z[0] = x[0] * 7
    return v.detach()


@case('rec-iadd-intermediate', 'inplace-record', ok([[3.0, 6.0], [3.0, 3.0]]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        d = z.detach()
        z += x
        y = z.sum()
    y.backward()
    return [d, x.grad]


@case('rec-imul-intermediate', 'inplace-record', ok([4.0, 8.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z *= x
        y = z.sum()
    y.backward()
    return x.grad


@case('rec-isub-intermediate', 'inplace-record', ok([1.0, 1.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z -= x
        y = z.sum()
    y.backward()
    return x.grad


@case('rec-itruediv-intermediate', 'inplace-record', ok([0.0, 0.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z /= x  # 2x / x = 2: derivative 0
        y = z.sum()
    y.backward()
    return x.grad


@case('rec-setitem-slice-of-constant', 'inplace-record', ok([2.0, 3.0]), item='3')
def _():
    x = var([1.0, 2.0])
    c = np.zeros(2)
    with autograd.record():
        c[0] = x[0] * 2
        c[1:] = x[1:] * 3
        y = c.sum()
    y.backward()
    return x.grad


@case('rec-iadd-constant', 'inplace-record', ok([[2.0, 3.0], [4.0, 6.0]]), item='3')
def _():
    x = var([1.0, 2.0])
    c = np.ones(2)
    d = c.detach()
    with autograd.record():
        c += x
        y = (c * c).sum()
    y.backward()
    return [d, x.grad]


@case('rec-loop-saved-view', 'inplace-record', ok([9.0, 4.0, 2.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = np.zeros(3)
        y[0] = x[0]
        for i in range(1, 3):
            y[i] = y[i - 1] * x[i]  # the saved row i - 1 is not what row i overwrites
        s = y.sum()
    s.backward()
    return x.grad


@case('rec-loop-overwrites-saved-row', 'inplace-record', raises_later(IPE, IN_PLACE), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = np.zeros((3, 1))  # (rows of a 2-d array are views; y[i] of a 1-d one a copy)
        y[0] = x[0:1]
        for i in range(1, 3):
            y[i - 1] = y[i - 1] * x[i]  # overwrites the row the multiply saved
        s = y.sum()
    return s.backward


@case('rec-view-write-updates-base', 'inplace-record', ok([100.0, 4.0, 6.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        v = z[0:2]
        v[0] = 100.0
    return z.detach()


@case('rec-view-write-stale-base', 'inplace-record', raises_later(IPE, IN_PLACE), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        v = z[0:2]
        v[0] = 100.0
        s = z.sum()
    return s.backward


@case('rec-view-write-grad-through-view', 'inplace-record', ok([0.0, 2.0, 0.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        v = z[0:2]
        v[0] = 100.0
        s = v.sum()
    s.backward()
    return x.grad


@case(
    'rec-setitem-value-with-history',
    'inplace-record',
    ok([[0.0, 2.0], [[0.0, 1.0], [1.0, 1.0]]]),
    item='3',
)
def _():
    x = var([1.0, 2.0])
    w = var([[5.0, 5.0], [5.0, 5.0]])
    with autograd.record():
        w2 = w * 1
        w2[0, 0] = x[1] * 2
        s = w2.sum()
    s.backward()
    return [x.grad, w.grad]


@case('rec-setitem-after-saved', 'inplace-record', raises_later(IPE, IN_PLACE), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        w = (z * z).sum()  # saves z
        z[0] = x[1] * 3
    return w.backward


@case('rec-setitem-after-use-not-saved', 'inplace-record', ok([2.0, 2.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        w = z.sum()  # sum does not save z
        z[0] = x[1] * 3
    w.backward()
    return x.grad


@case('rec-base-write-stale-view', 'inplace-record', raises_later(IPE, IN_PLACE), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        v = z[0:2]
        z[0] = x[2] * 5  # v sees the new value; its history does not
        s = v.sum()
    return s.backward


@case('rec-detached-write-stale', 'inplace-stale', raises_later(IPE, IN_PLACE), item='2')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z.detach()[0] = 100.0  # a constant write: z's history no longer fits
        s = (z * 3).sum()
    return s.backward


@case('rec-index-iadd', 'inplace-record', ok([[4.0, 4.0], [2.0, 3.0]]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 2
        z[0] += x[1]
        s = z.sum()
    s.backward()
    return [z, x.grad]


@case('rec-setitem-into-int-array', 'inplace-record', lost_or_error(TypeError))
def _():
    x = var([1.5, 2.5])
    c = np.zeros(2, dtype='int32')
    with autograd.record():
        c[0] = x[0] * 3  # truncated to an integer: the gradient through it vanishes
        s = (c * x).sum()
    s.backward()


@case('rec-var-setitem', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        x[0] = 5.0


@case('rec-var-iadd', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        x += 1


@case('rec-var-sgd-step', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        loss = (x * x).sum()
        loss.backward()
        x -= 0.1 * x.grad


@case('rec-var-imul', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        x *= 2


@case('rec-var-itruediv', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        x /= 2


@case('rec-var-setitem-from-history', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        x[0] = x[1] * 2


@case('rec-var-view-write', 'inplace-variable', raises_any(IPE, IN_PLACE + '|' + IN_RECORD))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
        v = x[0:1]
        v[0] = 5.0  # writes x's memory through a recorded view
    return y.backward


@case('rec-var-view-iadd', 'inplace-variable', raises(IPE, IN_RECORD))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x[0:2]  # a recorded view of the variable
        y += 1  # would change the variable itself


@case('rec-var-reshape-write', 'inplace-variable', raises(IPE, IN_RECORD))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x.reshape(2, 1)
        z[0, 0] = 5.0


@case('var-update-outside-record', 'inplace-variable', ok([[0.8, 1.6], [1.0, 1.0]]))
def _():
    x = var([1.0, 2.0])
    g = x.grad
    with autograd.record():
        loss = (x * x).sum()
    loss.backward()
    x -= 0.1 * x.grad  # outside record(): in place, the buffer stays attached
    return [x, [float(g is x.grad), float(x.grad is not None)]]


# ===================================================================================
# Retained and freed graphs
# ===================================================================================
@case('freed-backward-twice', 'graph-freed', raises_later(GFE, RETAIN))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    return y.backward


@case('freed-grad-then-backward', 'graph-freed', raises_later(GFE, RETAIN))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.grad(y, [x])
    return y.backward


@case('freed-grad-twice', 'graph-freed', raises_later(GFE, RETAIN))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.grad(y, [x])
    return lambda: autograd.grad(y, [x])


@case('freed-shared-subgraph', 'graph-freed', raises_later(GFE, RETAIN))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * x
        a = (y * 2).sum()
        b = (y * 3).sum()
    a.backward()
    return b.backward


@case('freed-custom-function', 'graph-freed', raises_later(GFE, RETAIN))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = Cube()(x).sum()
    y.backward()
    return y.backward


@case('retain-twice-write', 'graph-freed', ok([2.0, 4.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case('retain-twice-add', 'graph-freed', ok([4.0, 8.0]))
def _():
    x = var([1.0, 2.0], req='add')
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case('retain-grad-twice', 'graph-freed', ok([[3.0, 12.0], [3.0, 12.0]]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x**3).sum()
    a = autograd.grad(y, [x], retain_graph=True)[0]
    b = autograd.grad(y, [x])[0]
    return [a, b]


@case('create-graph-retains', 'graph-freed', ok([2.0, 4.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.backward(y, create_graph=True)
    y.backward()
    return x.grad


@case('vjp-fn-twice', 'graph-freed', ok([[3.0, 12.0], [3.0, 12.0]]))
def _():
    _, pullback = func.vjp(lambda v: v**3, np.array([1.0, 2.0]))
    return [pullback(np.ones(2))[0], pullback(np.ones(2))[0]]


# ===================================================================================
# Head gradients
# ===================================================================================
def _vec():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 3
    return x, y


@case('head-str', 'head-kind', raises(TypeError, r'\bstr\b'), item='9')
def _():
    _x, y = _vec()
    y.backward('ones')


@case('head-object-array', 'head-kind', raises(TypeError, r'(?i)object'), item='9')
def _():
    _x, y = _vec()
    y.backward(numpy.array([object(), object()]))


@case('head-complex', 'head-kind', raises(TypeError, COMPLEX), item='9')
def _():
    _x, y = _vec()
    y.backward(numpy.array([1j, 1.0]))


@case('head-none-in-list', 'head-kind', raises(TypeError, r'(?-i:None)'), item='9')
def _():
    _x, y = _vec()
    y.backward([1.0, None])


@case('head-grad-api-str', 'head-kind', raises(TypeError, r'\bstr\b'), item='9')
def _():
    x, y = _vec()
    autograd.grad(y, [x], head_grads='ones')


@case('head-dict', 'head-kind', raises(TypeError, r'\bdict\b'), item='9')
def _():
    _x, y = _vec()
    y.backward({'a': 1.0})


@case('head-wrong-shape', 'head-shape', raises(ValueError, both('(3,)', '(2,)')), item='9')
def _():
    _x, y = _vec()
    y.backward(np.ones(3))


@case('head-broadcastable-shape', 'head-shape', raises(ValueError, both('(1,)', '(2,)')), item='9')
def _():
    _x, y = _vec()
    y.backward(np.ones(1))


@case('head-number-for-vector', 'head-shape', raises(ValueError, both('()', '(2,)')), item='9')
def _():
    _x, y = _vec()
    y.backward(2.0)


@case('head-transposed-shape', 'head-shape', raises(ValueError, both('(3, 2)', '(2, 3)')), item='9')
def _():
    x = var(numpy.ones((2, 3)))
    with autograd.record():
        y = x * 2
    y.backward(np.ones((3, 2)))


@case('head-number-for-scalar', 'head-kind', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward(3.0)
    return x.grad


@case('head-list-of-numbers', 'head-kind', ok([3.0, 6.0]))
def _():
    x, y = _vec()
    y.backward([1.0, 2.0])
    return x.grad


@case('head-integer-array', 'head-kind', ok([3.0, 6.0]))
def _():
    x, y = _vec()
    y.backward(np.array([1, 2], dtype='int32'))
    return x.grad


@case('head-float64-numpy', 'head-kind', ok([1.5, 3.0]))
def _():
    x, y = _vec()
    y.backward(numpy.array([0.5, 1.0]))
    return x.grad


@case('head-nested-list-2d', 'head-kind', ok([[2.0, 4.0], [6.0, 8.0]]))
def _():
    x = var([[1.0, 1.0], [1.0, 1.0]])
    with autograd.record():
        y = x * 2
    y.backward([[1.0, 2.0], [3.0, 4.0]])
    return x.grad


@case('head-recorded-array', 'head-kind', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 3
        h = x * 2  # a head gradient with history: its values are used
    y.backward(h)
    return x.grad


@case('heads-list', 'head-kind', ok([5.0, 5.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        a = x * 2
        b = x * 3
    autograd.backward([a, b], [np.ones(2), np.ones(2)])
    return x.grad


@case('heads-none-entry', 'head-kind', ok([2.0, 2.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        a = x * 2
        b = (x * 3).sum()
    autograd.backward([a, b], [None, np.array(0.0)])
    return x.grad


@case('heads-same-array-twice', 'head-kind', ok([2.0, 2.0]))
def _():
    x = var([1.0, 1.0])
    with autograd.record():
        y = x * 1
    autograd.backward([y, y])
    return x.grad


@case('heads-depend-on-each-other', 'head-kind', ok([8.0, 8.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        z = (y * 3).sum()
    autograd.backward([y, z])
    return x.grad


@case('heads-count-mismatch', 'head-shape', raises(ValueError, both('1', '2')))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        a = x * 2
        b = x * 3
    autograd.backward([a, b], [np.ones(2)])


@case('head-not-aliased-by-grad', 'head-kind', ok([[1.0, 1.0], [7.0, 7.0]]))
def _():
    x = var([1.0, 2.0])
    h = np.ones(2)
    with autograd.record():
        y = x + 1
    y.backward(h)
    h[:] = 7.0  # the caller's head gradient, reused: x.grad must not follow it
    return [x.grad, h]


@case('head-numpy-not-aliased-by-grad', 'head-kind', ok([1.0, 1.0]))
def _():
    x = var([1.0, 2.0])
    h = numpy.ones(2, numpy.float32)
    with autograd.record():
        y = x + 1
    y.backward(h)
    h[:] = 7.0
    return x.grad


@case('head-not-aliased-by-grad-api', 'head-kind', ok([1.0, 1.0]))
def _():
    x = var([1.0, 2.0])
    h = np.ones(2)
    with autograd.record():
        y = x * 1
        z = y + 0
    g = autograd.grad(z, [y], head_grads=h)[0]
    h[:] = 7.0
    return g


@case('head-is-the-grad-buffer', 'head-kind', ok([3.0, 3.0]))
def _():
    x = var([1.0, 2.0], req='add')
    x.grad[:] = 1.0
    with autograd.record():
        y = x + x
    y.backward(x.grad)  # dL/dy = 1: 1 + 2 * 1
    return x.grad


@case('backward-of-non-array', 'head-kind', raises(TypeError, r'ndgrad array'))
def _():
    autograd.backward(numpy.ones(3))


@case('backward-of-leaf', 'head-kind', ok([1.0, 1.0]))
def _():
    x = var([1.0, 2.0])
    x.backward()
    return x.grad


# ===================================================================================
# autograd.grad
# ===================================================================================
def _scalar_graph():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    return x, y


@case('grad-float-variable', 'grad-variables', raises((TypeError, ValueError), r'attach_grad'))
def _():
    _x, y = _scalar_graph()
    autograd.grad(y, [1.0])


@case('grad-numpy-variable', 'grad-variables', raises((TypeError, ValueError), r'attach_grad'))
def _():
    _x, y = _scalar_graph()
    autograd.grad(y, [numpy.array([1.0, 2.0])])


@case('grad-constant-variable', 'grad-variables', raises(ValueError, r'attach_grad'))
def _():
    _x, y = _scalar_graph()
    autograd.grad(y, [np.ones(2)])


@case('grad-detached-variable', 'grad-variables', raises(ValueError, r'attach_grad'))
def _():
    x, y = _scalar_graph()
    autograd.grad(y, [x.detach()])


@case('grad-unused-variable', 'grad-variables', ok([[2.0, 4.0], [0.0, 0.0, 0.0]]))
def _():
    x, y = _scalar_graph()
    w = var([1.0, 1.0, 1.0])
    return autograd.grad(y, [x, w])


@case('grad-duplicate-variables', 'grad-variables', ok([[2.0, 4.0], [2.0, 4.0]]))
def _():
    x, y = _scalar_graph()
    return autograd.grad(y, [x, x])


@case('grad-head-as-variable', 'grad-variables', ok([[1.0]]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum().reshape(1)
    return autograd.grad(y, [y])


@case('grad-single-variable', 'grad-variables', ok([[2.0, 4.0]]))
def _():
    x, y = _scalar_graph()
    return autograd.grad(y, x)


@case('grad-intermediate-recorded-later', 'grad-variables', ok([[0.0, 0.0]]))
def _():
    x, y = _scalar_graph()
    with autograd.record():
        later = x * 1  # not on y's graph
    return autograd.grad(y, [later])


@case('grad-leaves-buffers-alone', 'grad-variables', ok([[2.0, 4.0], [0.0, 0.0]]))
def _():
    x, y = _scalar_graph()
    g = autograd.grad(y, [x])[0]
    return [g, x.grad]


@case('grad-head-not-array', 'grad-variables', raises(TypeError, r'ndgrad array'))
def _():
    x = var([1.0])
    autograd.grad(1.0, [x])


@case('grad-second-order', 'grad-variables', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x**3).sum()
        g = autograd.grad(y, [x], create_graph=True)[0]
        s = g.sum()
    s.backward()
    return x.grad


# ===================================================================================
# 6. mark_variables
# ===================================================================================
def _two_vars():
    return np.array([1.0, 2.0]), np.array([3.0, 4.0])


def _loss(a, b):
    with autograd.record():
        return (a * a + b * 3).sum()


@case('mv-views-of-flat-buffer', 'mark-variables', ok([2.0, 4.0, 3.0, 3.0]), item='6')
def _():
    a, b = _two_vars()
    flat = np.zeros(4)
    autograd.mark_variables([a, b], [flat[0:2], flat[2:4]])
    _loss(a, b).backward()
    return flat


@case('mv-numpy-buffer', 'mark-variables', ok([[2.0, 4.0], [3.0, 3.0]]), item='6')
def _():
    a, b = _two_vars()
    ga, gb = numpy.zeros(2), numpy.zeros(2, numpy.float32)
    autograd.mark_variables([a, b], [ga, gb])
    _loss(a, b).backward()
    return [ga, gb]


@case('mv-add-accumulates-into-buffer', 'mark-variables', ok([4.0, 8.0]), item='6')
def _():
    a, b = _two_vars()
    flat = np.zeros(4)
    autograd.mark_variables([a, b], [flat[0:2], flat[2:4]], grad_reqs='add')
    _loss(a, b).backward()
    _loss(a, b).backward()
    return flat[0:2]


@case('mv-grad-is-the-buffer', 'mark-variables', ok(True), item='6')
def _():
    a, b = _two_vars()
    flat = np.zeros(4)
    autograd.mark_variables([a, b], [flat[0:2], flat[2:4]])
    return bool(numpy.shares_memory(numpy.asarray(a.grad), numpy.asarray(flat)))


@case('mv-fewer-buffers', 'mark-variables', raises(ValueError, both('1', '2')), item='6')
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2)])


@case('mv-more-buffers', 'mark-variables', raises(ValueError, both('3', '2')), item='6')
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), np.zeros(2), np.zeros(2)])


@case(
    'mv-int-buffer', 'mark-variables', raises(TypeError, r'(?i)int32.*float|float.*int32'), item='6'
)
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2, dtype='int32'), np.zeros(2)])


@case(
    'mv-numpy-int-buffer',
    'mark-variables',
    raises(TypeError, r'(?i)int64.*float|float.*int64'),
    item='6',
)
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), numpy.zeros(2, numpy.int64)])


@case('mv-wrong-shape', 'mark-variables', raises(ValueError, both('(3,)', '(2,)')), item='6')
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), np.zeros(3)])


@case('mv-list-buffer', 'mark-variables', raises(TypeError, r'\blist\b'), item='6')
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), [0.0, 0.0]])


@case('mv-number-buffer', 'mark-variables', raises(TypeError, r'\bfloat\b'), item='6')
def _():
    a = np.array(1.0)
    autograd.mark_variables([a], [0.0])


@case('mv-bad-grad-req', 'mark-variables', raises(ValueError, r"'write', 'add' or 'null'"))
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), np.zeros(2)], grad_reqs='accumulate')


@case('mv-grad-reqs-count', 'mark-variables', raises(ValueError, both('1', '2')))
def _():
    a, b = _two_vars()
    autograd.mark_variables([a, b], [np.zeros(2), np.zeros(2)], grad_reqs=['write'])


@case('mv-int-variable', 'mark-variables', raises(TypeError, r"astype\('float32'\)"))
def _():
    autograd.mark_variables([np.array([1, 2], dtype='int32')], [np.zeros(2)])


@case('mv-buffer-overlaps-variable', 'mark-variables', raises(ValueError, r'memory'))
def _():
    flat = np.zeros(4)
    a = flat[0:2]
    autograd.mark_variables([a], [flat[0:2]])


@case('mv-buffers-overlap', 'mark-variables', raises(ValueError, r'memory'))
def _():
    a, b = _two_vars()
    flat = np.zeros(3)
    autograd.mark_variables([a, b], [flat[0:2], flat[1:3]])


@case('mv-readonly-buffer', 'mark-variables', raises(ValueError, READ_ONLY))
def _():
    a, _b = _two_vars()
    buf = numpy.zeros(2)
    buf.flags.writeable = False
    autograd.mark_variables([a], [buf])


@case('mv-non-array-variable', 'mark-variables', raises(TypeError, r'\blist\b'))
def _():
    autograd.mark_variables([[1.0, 2.0]], [np.zeros(2)])


@case('mv-single-arrays', 'mark-variables', ok([2.0, 4.0]), item='6')
def _():
    a = np.array([1.0, 2.0])
    g = np.zeros(2)
    autograd.mark_variables(a, g)
    with autograd.record():
        y = (a * a).sum()
    y.backward()
    return g


# ===================================================================================
# attach_grad
# ===================================================================================
@case('ag-int', 'attach-grad', raises(TypeError, r"astype\('float32'\)"))
def _():
    np.array([1, 2], dtype='int32').attach_grad()


@case('ag-bool', 'attach-grad', raises(TypeError, r"astype\('float32'\)"))
def _():
    (np.array([1.0, 2.0]) > 1).attach_grad()


@case('ag-complex', 'attach-grad', ok([0.0, 0.0]))
def _():
    x = np.array(numpy.array([1j, 2.0]))
    x.attach_grad()
    assert x.grad.dtype == numpy.complex128
    return abs(x.grad)


@case('ag-stype-csr', 'attach-grad', raises(ValueError, r'stype'))
def _():
    np.ones(2).attach_grad(stype='csr')


@case('ag-stype-row-sparse', 'attach-grad', raises(ValueError, r'stype'))
def _():
    np.ones(2).attach_grad(stype='row_sparse')


@case('ag-req-unknown', 'attach-grad', raises(ValueError, r"'write', 'add' or 'null'"))
def _():
    np.ones(2).attach_grad('accumulate')


@case('ag-req-none', 'attach-grad', raises(ValueError, r"'write', 'add' or 'null'"))
def _():
    np.ones(2).attach_grad(None)


@case('ag-req-null-then-backward', 'not-recorded', raises_later(NRE, r'attach_grad'))
def _():
    x = var([1.0, 2.0], req='null')
    with autograd.record():
        y = (x * 2).sum()
    return y.backward


@case('ag-reattach-between-record-and-backward', 'attach-grad', ok([2.0, 4.0]), item='11')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    x.attach_grad()  # a fresh buffer: the same variable, filled by this backward
    y.backward()
    return x.grad


@case('ag-reattach-inside-record', 'attach-grad', ok([5.0, 7.0]), item='11')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
        x.attach_grad()
        z = (x * 3).sum()
        s = y + z
    s.backward()
    return x.grad


@case('ag-intermediate-detaches', 'attach-grad', ok([[0.0, 0.0], [2.0, 4.0]]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = x * 1
        z.attach_grad()
        y = (z * z).sum()
    y.backward()
    return [x.grad, z.grad]


@case('ag-0d', 'attach-grad', ok(6.0))
def _():
    x = var(3.0)
    with autograd.record():
        y = x * x
    y.backward()
    return x.grad


@case('ag-float64', 'attach-grad', ok([2.0, 4.0]))
def _():
    x = var([1.0, 2.0], dtype='float64')
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert x.grad.dtype == numpy.float64
    return x.grad


@case('ag-grad-buffer-alias-follows', 'attach-grad', ok([[4.0, 8.0], [4.0, 8.0]]))
def _():
    x = var([1.0, 2.0])
    alias = numpy.asarray(x.grad)
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    with autograd.record():
        y = (x * x * 2).sum()
    y.backward()
    return [alias, x.grad]


@case('ag-grad-identity-kept', 'attach-grad', ok(True))
def _():
    x = var([1.0, 2.0])
    g = x.grad
    for _ in range(2):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    return g is x.grad


@case('ag-user-zeroes-add-buffer', 'attach-grad', ok([2.0, 4.0]))
def _():
    x = var([1.0, 2.0], req='add')
    for _ in range(2):
        x.grad[:] = 0
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    return x.grad


# ===================================================================================
# record / pause / train_mode
# ===================================================================================
@case('nest-pause-not-recorded', 'not-recorded', raises_later(NRE, r'record\(\)'))
def _():
    x = var([1.0, 2.0])
    with autograd.record(), autograd.pause():
        y = x * 2
    return y.backward


@case('nest-record-inside-pause', 'record-nesting', ok([2.0, 2.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record(), autograd.pause(), autograd.record():
        y = (x * 2).sum()
    y.backward()
    return x.grad


@case('nest-flags-restored-after-exception', 'record-nesting', ok([False, False]))
def _():
    try:
        with autograd.record(), autograd.pause(train_mode=True):
            raise KeyError('inside')
    except KeyError:
        pass
    return [autograd.is_recording(), autograd.is_training()]


@case('nest-record-predict', 'record-nesting', ok([True, False]))
def _():
    with autograd.record(train_mode=False):
        return [autograd.is_recording(), autograd.is_training()]


@case('nest-pause-train', 'record-nesting', ok([False, True]))
def _():
    with autograd.record(), autograd.pause(train_mode=True):
        return [autograd.is_recording(), autograd.is_training()]


@case('nest-predict-inside-record', 'record-nesting', ok([True, False, True]))
def _():
    with autograd.record():
        with autograd.predict_mode():
            inner = [autograd.is_recording(), autograd.is_training()]
        return inner + [autograd.is_training()]


@case('nest-set-recording-returns-previous', 'record-nesting', ok([False, True, True]))
def _():
    first = autograd.set_recording(True)
    second = autograd.set_recording(False)
    return [first, second, not autograd.is_recording()]


@case('nest-record-decorator', 'record-nesting', ok([3.0, 3.0]))
def _():
    x = var([1.0, 2.0])

    @autograd.record()
    def loss():
        return (x * 3).sum()

    loss().backward()
    return x.grad


@case('nest-backward-inside-record', 'record-nesting', ok([[2.0, 4.0], True]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
        y.backward()
        still = autograd.is_recording()
    return [x.grad, still]


@case('nest-dropout-predict-mode', 'record-nesting', ok([1.0, 1.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record(train_mode=False):
        y = npx.dropout(x, p=0.5).sum()
    y.backward()
    return x.grad


# ===================================================================================
# custom autograd.Function / custom_vjp
# ===================================================================================
class Cube(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, dy):
        (x,) = self.saved_tensors
        return 3 * x**2 * dy


class Mul(autograd.Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, dy):
        a, b = self.saved_tensors
        return dy * b, dy * a


def _function(backward=None, forward=None):
    """A one-input Function whose forward or backward is replaced."""

    class F(autograd.Function):
        def forward(self, x):
            return x * 2 if forward is None else forward(x)

        def backward(self, dy):
            return dy * 2 if backward is None else backward(dy)

    return F()


def _run_function(f, values=(1.0, 2.0)):
    x = var(list(values))
    with autograd.record():
        y = f(x).sum()
    y.backward()
    return x.grad


@case(
    'fn-forward-returns-none', 'custom-function', raises(TypeError, r'(?is)forward.*None'), item='9'
)
def _():
    _run_function(_function(forward=lambda x: None))


@case('fn-forward-returns-str', 'custom-function', raises(TypeError, r'\bstr\b'))
def _():
    _run_function(_function(forward=lambda x: 'twice'))


@case('fn-backward-count', 'custom-function', raises(ValueError, both('2', '1')))
def _():
    _run_function(_function(backward=lambda dy: (dy, dy)))


@case('fn-backward-shape', 'custom-function', raises(ValueError, both('(3,)', '(2,)')))
def _():
    _run_function(_function(backward=lambda dy: np.ones(3)))


@case('fn-backward-str', 'custom-function', raises(TypeError, r'\bstr\b'), item='9')
def _():
    _run_function(_function(backward=lambda dy: 'grad'))


@case('fn-backward-complex', 'custom-function', raises(TypeError, COMPLEX), item='9')
def _():
    _run_function(_function(backward=lambda dy: numpy.array([1j, 1.0])))


@case('fn-backward-none-is-zero', 'custom-function', ok([0.0, 0.0]))
def _():
    return _run_function(_function(backward=lambda dy: None))


@case('fn-backward-numpy', 'custom-function', ok([5.0, 5.0]))
def _():
    return _run_function(_function(backward=lambda dy: numpy.full(2, 5.0)))


@case('fn-backward-not-defined', 'custom-function', raises(NotImplementedError, r'backward'))
def _():
    class NoBackward(autograd.Function):
        def forward(self, x):
            return x * 2

    _run_function(NoBackward())


@case('fn-save-non-array', 'custom-function', ok([2.5, 2.5]))
def _():
    class Scale(autograd.Function):
        def forward(self, x):
            self.save_for_backward(2.5)
            return x * 2.5

        def backward(self, dy):
            (k,) = self.saved_tensors
            return dy * k

    return _run_function(Scale())


@case('fn-save-twice-last-wins', 'custom-function', ok([2.0, 4.0]))
def _():
    class Square(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x * 100)
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            (x,) = self.saved_tensors
            return 2 * x * dy

    return _run_function(Square())


@case('fn-saved-tensors-empty', 'custom-function', ok([[], [1.0, 1.0]]))
def _():
    seen = []

    class Id(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            seen.extend(self.saved_tensors)
            return dy

    g = _run_function(Id())
    return [seen, g]


@case('fn-instance-called-twice', 'custom-function', ok([[3.0, 12.0], [27.0, 48.0]]))
def _():
    f = Cube()
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = (f(a) + f(b)).sum()
    y.backward()
    return [a.grad, b.grad]


@case('fn-second-order', 'custom-function', ok([6.0, 12.0]))
def _():
    return func.grad(lambda v: func.grad(lambda u: Cube()(u).sum())(v).sum())(np.array([1.0, 2.0]))


@case('fn-retain-twice-constant-input', 'custom-function', ok([[3.0, 8.0], [3.0, 8.0]]), item='4')
def _():
    x = var([1.0, 2.0])
    c = np.array([3.0, 4.0])
    with autograd.record():
        y = Mul()(x, c)
    h = np.array([1.0, 2.0])
    y.backward(h, retain_graph=True)
    first = x.grad.copy()
    y.backward(h, retain_graph=True)
    return [first, x.grad]


@case('fn-grad-twice-constant-input', 'custom-function', ok([[3.0, 8.0], [3.0, 8.0]]), item='4')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = Mul()(x, np.array([3.0, 4.0]))
    h = np.array([1.0, 2.0])
    a = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    b = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    return [a, b]


@case('fn-grad-twice-variable-not-asked', 'custom-function', ok([[3.0, 8.0], [3.0, 8.0]]), item='4')
def _():
    x, w = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = Mul()(x, w)
    h = np.array([1.0, 2.0])
    a = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    b = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    return [a, b]


@case('fn-vjp-fn-twice', 'custom-function', ok([[3.0, 8.0], [3.0, 8.0]]), item='4')
def _():
    _, pullback = func.vjp(lambda v: Mul()(v, np.array([3.0, 4.0])), np.array([1.0, 2.0]))
    h = np.array([1.0, 2.0])
    return [pullback(h)[0], pullback(h)[0]]


@case(
    'fn-retain-twice-same-head-object', 'custom-function', ok([[3.0, 8.0], [6.0, 16.0]]), item='4'
)
def _():
    x = var([1.0, 2.0], req='add')
    with autograd.record():
        y = Mul()(x, np.array([3.0, 4.0]))
    h = np.array([1.0, 2.0])
    y.backward(h, retain_graph=True)
    first = x.grad.copy()
    y.backward(h)
    return [first, x.grad]


@case('fn-forward-returns-input', 'custom-function', right_or_error([1.0, 2.0], IPE))
def _():
    class Id(autograd.Function):
        def forward(self, v):
            return v  # the output must not be an alias of the variable

        def backward(self, dy):
            return dy

    x = var([1.0, 2.0])
    with autograd.record():
        y = Id()(x)
    y[0] = 7.0
    return x


@case('cvjp-retain-twice', 'custom-function', ok([[3.0, 8.0], [3.0, 8.0]]), item='4')
def _():
    @autograd.custom_vjp
    def mul(a, b):
        return a * b

    @mul.defvjp
    def _(g, ans, a, b):
        return g * b, g * a

    x = var([1.0, 2.0])
    with autograd.record():
        y = mul(x, np.array([3.0, 4.0]))
    h = np.array([1.0, 2.0])
    a = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    b = autograd.grad(y, [x], head_grads=h, retain_graph=True)[0]
    return [a, b]


@case('cvjp-no-rule', 'custom-function', raises(TypeError, r'defvjp'))
def _():
    @autograd.custom_vjp
    def f(x):
        return x

    f(np.ones(2))


# ===================================================================================
# ndgrad.func transforms
# ===================================================================================
def _sq(v):
    return (v * v).sum()


@case('func-argnums-out-of-range', 'func-args', raises(ValueError, r'argnums=3'))
def _():
    func.grad(lambda a, b: (a * b).sum(), argnums=3)(np.ones(2), np.ones(2))


@case('func-argnums-repeated', 'func-args', raises(ValueError, r'repeats'))
def _():
    func.grad(lambda a, b: (a * b).sum(), argnums=(0, 0))(np.ones(2), np.ones(2))


@case('func-argnums-not-int', 'func-args', raises((TypeError, ValueError), r'argnums'))
def _():
    func.grad(_sq, argnums='x')(np.ones(2))


@case('func-argnums-negative', 'func-args', ok([3.0, 3.0]))
def _():
    return func.grad(lambda a, b: (a * b).sum(), argnums=-1)(np.full(2, 3.0), np.ones(2))


@case('func-has-aux-missing', 'func-output', raises(TypeError, r'has_aux=True'), item='9')
def _():
    func.grad(lambda v: (_sq(v), v))(np.ones(2))


@case('func-has-aux-missing-vjp', 'func-output', raises(TypeError, r'has_aux=True'), item='9')
def _():
    func.value_and_grad(lambda v: (_sq(v), {'norm': v}))(np.ones(2))


@case('func-has-aux-not-pair', 'func-output', raises(ValueError, r'pair'))
def _():
    func.grad(_sq, has_aux=True)(np.ones(2))


@case('func-has-aux-ok', 'func-output', ok([[2.0, 4.0], [1.0, 2.0]]))
def _():
    g, aux = func.grad(lambda v: (_sq(v), v), has_aux=True)(np.array([1.0, 2.0]))
    return [g, aux]


@case('func-int-array-input', 'func-args', raises(TypeError, r'floating-point'))
def _():
    func.grad(_sq)(np.array([1, 2], dtype='int32'))


@case('func-python-int-input', 'func-args', raises(TypeError, r'3\.0'))
def _():
    func.grad(lambda v: v * v)(3)


@case('func-list-input-fails', 'func-args', raises(TypeError, r'np\.array'), item='9')
def _():
    func.grad(lambda v: (v * v).sum())([1.0, 2.0])


@case('func-list-input-ok', 'func-args', ok([[2.0], [1.0]]))
def _():
    g = func.grad(lambda v: v[0] * v[1])([1.0, 2.0])
    assert isinstance(g, list)
    return [numpy.reshape(_values(a), 1) for a in g]


@case('func-dict-input', 'func-args', ok({'a': 2.0, 'b': 1.0}))
def _():
    return func.grad(lambda d: d['a'] * d['b'])({'a': 1.0, 'b': 2.0})


@case('func-string-input', 'func-args', raises(TypeError, r'\bstr\b'))
def _():
    func.grad(_sq)('1, 2')


@case('func-non-scalar-output', 'func-output', raises(ValueError, r'jacrev'))
def _():
    func.grad(lambda v: v * 2)(np.ones(2))


@case('func-returns-none', 'func-output', raises(TypeError, r'(?-i:None)'))
def _():
    func.grad(lambda v: None)(np.ones(2))


@case('func-returns-int', 'func-output', raises(TypeError, INT_DTYPE))
def _():
    func.grad(lambda v: np.argmax(v))(np.ones(2))


@case('func-returns-complex', 'func-output', raises(TypeError, COMPLEX))
def _():
    func.grad(lambda v: (v * 1j).sum())(np.ones(2))


@case('func-constant-function', 'func-output', ok([0.0, 0.0]))
def _():
    return func.grad(lambda v: np.array(3.0))(np.ones(2))


@case('func-keeps-x-grad', 'func-args', ok([[2.0, 4.0], [0.0, 0.0]]))
def _():
    x = var([1.0, 2.0])
    return [func.grad(_sq)(x), x.grad]


@case('func-grad-inside-record', 'func-args', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        g = func.grad(lambda v: (v**3).sum())(x)
        s = g.sum()
    s.backward()
    return x.grad


@case('func-input-modified-in-place', 'func-args', raises(IPE, r'func\.|transform|new array'))
def _():
    def f(u):
        u += 1  # the differentiated input: a transform has no record() block to leave
        return (u * u).sum()

    func.grad(f)(np.array([1.0, 2.0]))


@case('func-jvp-not-tuples', 'func-args', raises(TypeError, r'\(x,\)'))
def _():
    func.jvp(np.sin, np.ones(2), np.ones(2))


@case('func-jvp-tangent-shape', 'func-args', raises(ValueError, both('(3,)', '(2,)')))
def _():
    func.jvp(np.sin, (np.ones(2),), (np.ones(3),))


@case('func-jvp-tangent-count', 'func-args', raises(ValueError, both('1', '2')))
def _():
    func.jvp(lambda a, b: a * b, (np.ones(2), np.ones(2)), (np.ones(2),))


@case('func-vjp-cotangent-shape', 'func-args', raises(ValueError, both('(3,)', '(2,)')))
def _():
    _, pullback = func.vjp(np.sin, np.ones(2))
    pullback(np.ones(3))


@case('func-vjp-cotangent-count', 'func-args', raises(ValueError, both('2', '1')))
def _():
    _, pullback = func.vjp(np.sin, np.ones(2))
    pullback((np.ones(2), np.ones(2)))


@case('func-vjp-cotangent-str', 'func-args', raises(TypeError, r'\bstr\b'))
def _():
    _, pullback = func.vjp(np.sin, np.ones(2))
    pullback('ones')


# ===================================================================================
# 5. Threads
# ===================================================================================
def _threads(target, n):
    errors = []

    def run(k):
        try:
            target(k)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@case('thread-add-exact', 'threads', ok(True), item='5')
def _():
    x = var(numpy.zeros(100_000), req='add')
    per_thread, n = 25, 4

    def work(_):
        for _ in range(per_thread):
            with autograd.record():
                y = x * 2
            y.backward()

    _threads(work, n)
    return bool((x.grad.asnumpy() == 2 * per_thread * n).all())


@case('thread-independent-graphs', 'threads', ok([[0.0, 2.0, 4.0, 6.0]] * 4), item='5')
def _():
    grads = [None] * 4

    def work(k):
        x = var([0.0, 1.0, 2.0, 3.0])
        for _ in range(20):
            with autograd.record():
                y = (x * x).sum()
            y.backward()
        grads[k] = x.grad.asnumpy()

    _threads(work, 4)
    return grads


@case('thread-recording-per-thread', 'threads', ok([False, True]), item='5')
def _():
    seen = []
    with autograd.record():
        _threads(lambda k: seen.append(autograd.is_recording()), 1)
        seen.append(autograd.is_recording())
    return seen


def _inf_gradient():
    x = var([0.0, 1.0])
    with autograd.record():
        y = np.sqrt(x).sum()
    y.backward()  # d sqrt(x)/dx at 0: inf
    return x.grad


@case('thread-anomaly-per-thread', 'threads', ok([numpy.inf, 0.5]), item='5')
def _():
    entered, done = threading.Event(), threading.Event()

    def other(_):
        with autograd.detect_anomaly():
            entered.set()
            done.wait(5)

    t = threading.Thread(target=other, args=(0,))
    t.start()
    try:
        entered.wait(5)
        return _inf_gradient()  # this thread never entered detect_anomaly
    finally:
        done.set()
        t.join()


@case('thread-anomaly-in-thread', 'threads', raises(FloatingPointError, r"'sqrt'"), item='5')
def _():
    def work(_):
        with autograd.detect_anomaly():
            _inf_gradient()

    _threads(work, 1)


@case('thread-anomaly-not-left-on', 'threads', ok([numpy.inf, 0.5]), item='5')
def _():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a(_):
        with autograd.detect_anomaly():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b(_):
        a_in.wait(5)
        with autograd.detect_anomaly():
            b_in.set()
            a_out.wait(5)

    ts = [threading.Thread(target=f, args=(0,)) for f in (a, b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return _inf_gradient()


# ===================================================================================
# 8. No recorded history; integer and bool results
# ===================================================================================
@case('notrec-outside-record', 'not-recorded', raises_later(NRE, r'record\(\)'), item='8')
def _():
    x = var([1.0, 2.0])
    y = x * 2
    return y.backward


@case('notrec-no-variable', 'not-recorded', raises_later(NRE, r'attach_grad'), item='8')
def _():
    with autograd.record():
        y = np.ones(2) * 2
    return y.backward


@case('notrec-messages-differ', 'not-recorded', ok(True), item='8')
def _():
    x = var([1.0, 2.0])
    outside = x * 2
    with autograd.record():
        constant = np.ones(2) * 2
    messages = []
    for y in (outside, constant):
        try:
            y.backward()
        except NRE as exc:
            messages.append(str(exc))
    # (one message names every cause, since an array does not record how it was made)
    return len(messages) == 2 and all('outside' in m and 'attach_grad' in m for m in messages)


@case('notrec-argmax', 'not-recorded', raises_later(NRE, INT_DTYPE), item='8')
def _():
    x = var([1.0, 3.0, 2.0])
    with autograd.record():
        i = np.argmax(x)
    return i.backward


@case('notrec-comparison', 'not-recorded', raises_later(NRE, INT_DTYPE), item='8')
def _():
    x = var([1.0, 3.0])
    with autograd.record():
        m = x > 2
    return m.backward


@case('notrec-astype-int', 'not-recorded', raises_later(NRE, INT_DTYPE), item='8')
def _():
    x = var([1.5, 3.0])
    with autograd.record():
        k = x.astype('int32')
    return k.backward


@case('notrec-grad-api-int-head', 'not-recorded', raises_later(NRE, INT_DTYPE), item='8')
def _():
    x = var([1.0, 3.0])
    with autograd.record():
        i = np.argmax(x)
    return lambda: autograd.grad(i, [x])


@case('notrec-one-hot', 'not-recorded', raises_later(NRE, r'.'), item='8')
def _():
    with autograd.record():
        h = npx.one_hot(np.array([0, 1]), 3) * 1
    return h.backward


@case('int-astype-roundtrip', 'int-results', ok([1.0, 3.0]))
def _():
    x = var([1.5, 3.25])
    return grad_of(x, lambda: (x.astype('int32').astype('float32') * x).sum())


@case('int-mask-multiply', 'int-results', ok([0.0, 1.0, 1.0]))
def _():
    x = var([1.0, 2.0, 3.0])
    return grad_of(x, lambda: (x * (x > 1)).sum())


@case('int-index-by-argmax', 'int-results', ok([0.0, 1.0, 0.0]))
def _():
    x = var([1.0, 3.0, 2.0])
    return grad_of(x, lambda: x[np.argmax(x)])


@case('int-floor-times-x', 'int-results', ok([1.0, 2.0]))
def _():
    x = var([1.5, 2.5])
    return grad_of(x, lambda: (np.floor(x) * x).sum())


@case('int-where', 'int-results', ok([0.0, 1.0, 1.0]))
def _():
    x = var([1.0, 2.0, 3.0])
    return grad_of(x, lambda: np.where(x > 1, x, np.zeros(3)).sum())


# ===================================================================================
# 7. Complex intermediates: differentiated; a complex result needs a head gradient
# ===================================================================================
@case('cx-abs-times-1j', 'complex', ok([1.0, 1.0]), item='7')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        np.abs(x * 1j).sum().backward()
    return x.grad


@case('cx-complex-scalar', 'complex', raises(TypeError, r'needs a head gradient'), item='7')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * (1 + 2j)
    y.backward()


@case('cx-complex-array', 'complex', ok([1.0, 2.0]), item='7')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        loss = (numpy.array([1j, 2j]) * x).imag.sum()
    loss.backward()
    return x.grad


@case('cx-astype-complex', 'complex', ok([1.0, 1.0]), item='7')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        loss = x.astype('complex64').real.sum()
    loss.backward()
    return x.grad


@case('cx-func-grad', 'complex', raises(TypeError, COMPLEX), item='7')
def _():
    func.grad(lambda v: (v * 1j).sum())(np.ones(2))


@case('cx-outside-record', 'complex', ok([1.0, 2.0]), item='7')
def _():
    x = var([1.0, 2.0])
    return np.abs(x * 1j)


@case('cx-constant-inside-record', 'complex', ok([1.0, 2.0]), item='7')
def _():
    with autograd.record():
        return np.abs(np.array([1.0, 2.0]) * 1j)


# ===================================================================================
# 7. Lists and tuples of recorded arrays given to ops
# ===================================================================================
def _pair():
    return var([1.0, 2.0])


@case('list-sum', 'lists', ok([1.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.sum([x[0], x[1]]))


@case('list-array', 'lists', ok([2.0, 3.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: (np.array([x[0], x[1]]) * np.array([2.0, 3.0])).sum())


@case('list-asarray', 'lists', ok([2.0, 3.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: (np.asarray([x[0], x[1]]) * np.array([2.0, 3.0])).sum())


@case('list-mean', 'lists', ok([0.5, 0.5]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.mean([x[0], x[1]]))


@case('list-dot', 'lists', ok([3.0, 4.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.dot([x[0], x[1]], np.array([3.0, 4.0])))


@case('list-max', 'lists', ok([0.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.max([x[0], x[1]]))


@case('list-prod', 'lists', ok([2.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.prod([x[0], x[1]]))


@case('tuple-sum', 'lists', ok([1.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.sum((x[0], x[1])))


@case('list-with-constants', 'lists', ok([2.0, 4.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: (np.array([[x[0], 1.0], [2.0, x[1]]]) ** 2).sum())


@case('list-nested', 'lists', ok([2.0, 2.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.array([[x[0], x[1]], [x[1], x[0]]]).sum())


@case('list-add-number', 'lists', ok([1.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.add([x[0], x[1]], 1.0).sum())


@case('list-linalg-norm', 'lists', ok([0.6, 0.8]), item='7')
def _():
    x = var([3.0, 4.0])
    return grad_of(x, lambda: np.linalg.norm([x[0], x[1]]))


@case('list-einsum', 'lists', ok([3.0, 4.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.einsum('i,i', [x[0], x[1]], np.array([3.0, 4.0])))


@case('list-tensordot', 'lists', ok([3.0, 4.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.tensordot([x[0], x[1]], np.array([3.0, 4.0]), axes=1))


@case('list-std', 'lists', ok([-0.5, 0.5]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.std([x[0], x[1]]))


@case('list-diag', 'lists', ok([1.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.diag([x[0], x[1]]).sum())


@case('list-vstack-nested', 'lists', ok([2.0, 2.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.vstack([[x[0], x[1]], [x[1], x[0]]]).sum())


@case('list-concatenate-nested', 'lists', ok([1.0, 1.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.concatenate([[x[0]], [x[1]]]).sum())


@case('list-of-vectors-stack', 'lists', ok([2.0, 2.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: np.sum([x, x]))


@case('list-stack-ok', 'lists', ok([1.0, 1.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: np.stack([x[0], x[1]]).sum())


@case('list-concatenate', 'lists', ok([2.0, 2.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: np.concatenate([x, x]).sum())


@case('np-array-of-recorded', 'lists', ok([2.0, 2.0]), item='7')
def _():
    x = _pair()
    return grad_of(x, lambda: (np.array(x) * 2).sum())


@case('builtin-sum', 'lists', ok([1.0, 1.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: sum(x))


@case('builtin-max', 'lists', ok([0.0, 1.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: max(x[0], x[1]))


# ===================================================================================
# 8. Functions linear in a variable: second derivatives are zeros
# ===================================================================================
@case('lin-add-grad-then-backward', 'linear-second-order', ok([[0.0, 0.0], [0.0, 0.0]]), item='8')
def _():
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    v = np.array([5.0, 6.0])
    with autograd.record():
        y = a + b
        g = autograd.grad(y, [a], create_graph=True)[0]
        s = (g * v).sum()
    s.backward()
    return [a.grad, b.grad]


@case('lin-add-grad-of-grad', 'linear-second-order', ok([[0.0, 0.0], [0.0, 0.0]]), item='8')
def _():
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = a + b
        g = autograd.grad(y, [a], create_graph=True)[0]
        s = (g * np.array([5.0, 6.0])).sum()
    return autograd.grad(s, [a, b])


@case('lin-backward-create-graph', 'linear-second-order', ok([0.0, 0.0]), item='8')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (3 * x + 1).sum()
    autograd.backward(y, create_graph=True)
    with autograd.record():
        s = (x.grad * np.array([5.0, 6.0])).sum()
    s.backward()
    return x.grad


@case('lin-scale', 'linear-second-order', ok([0.0, 0.0]), item='8')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        g = autograd.grad((x * 3).sum(), [x], create_graph=True)[0]
        s = g.sum()
    s.backward()
    return x.grad


@case('lin-index-reshape', 'linear-second-order', ok([0.0, 0.0, 0.0, 0.0]), item='8')
def _():
    x = var([1.0, 2.0, 3.0, 4.0])
    with autograd.record():
        y = x.reshape(2, 2).T[0].sum()
        g = autograd.grad(y, [x], create_graph=True)[0]
        s = (g * x.detach()).sum()
    s.backward()
    return x.grad


@case('lin-bilinear-partial', 'linear-second-order', ok([[0.0, 0.0], [5.0, 6.0]]), item='8')
def _():
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = (a * b).sum()
        g = autograd.grad(y, [a], create_graph=True)[0]  # = b
        s = (g * np.array([5.0, 6.0])).sum()
    s.backward()
    return [a.grad, b.grad]


@case('lin-func-hessian', 'linear-second-order', ok([[0.0, 0.0], [0.0, 0.0]]), item='8')
def _():
    return func.hessian(lambda v: (2 * v).sum())(np.array([1.0, 2.0]))


@case('lin-func-grad-of-grad', 'linear-second-order', ok(0.0), item='8')
def _():
    return func.grad(func.grad(lambda v: 3 * v))(2.0)


# ===================================================================================
# 11. Python numbers from recorded arrays inside record(): GradientLostWarning
# ===================================================================================
def _recorded_scalar():
    x = var([2.0])
    with autograd.record():
        y = x * 2
    return x, y


@case('warn-float', 'gradient-lost', warns(want=4.0), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        y = x * 2
        return float(y)


@case('warn-int', 'gradient-lost', warns(want=4), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        y = x * 2
        return int(y)


@case('warn-item', 'gradient-lost', warns(want=4.0), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        y = x * 2
        return y.item()


@case('warn-math-exp', 'gradient-lost', warns(want=math.exp(4.0)), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        return math.exp(x * 2)


@case('warn-math-sqrt-of-loss', 'gradient-lost', warns(want=2.0), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        loss = (x * x).sum()
        return math.sqrt(loss)


@case('warn-float-of-variable', 'gradient-lost', warns(want=2.0), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        return float(x)


@case('warn-inside-func-trace', 'gradient-lost', warns(), item='11')
def _():
    return func.grad(lambda v: np.array(float(v.sum())))(np.ones(2))


@case('nowarn-bool-control-flow', 'gradient-lost', ok([2.0, 2.0]), item='11')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        if y.sum() > 0:  # control flow: no gradient is lost
            y = y * 1
        s = y.sum()
    s.backward()
    return x.grad


@case('nowarn-outside-record', 'gradient-lost', ok(4.0), item='11')
def _():
    _x, y = _recorded_scalar()
    return float(y)


@case('nowarn-inside-pause', 'gradient-lost', ok(4.0), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        y = x * 2
        with autograd.pause():
            return float(y)


@case('nowarn-constant', 'gradient-lost', ok(3.0), item='11')
def _():
    with autograd.record():
        return float(np.array([3.0]))


@case('nowarn-format-for-printing', 'gradient-lost', ok('4.000'), item='11')
def _():
    x = var([2.0])
    with autograd.record():
        y = (x * 2).sum()
        return f'{y:.3f}'


@case('warn-once-per-call-site', 'gradient-lost', ok([2, 2, True]), item='11')
def _():
    x = var([2.0])
    with warnings.catch_warnings(record=True) as log:
        warnings.filterwarnings('default', category=GLW)
        with autograd.record():
            y = x * 2
            for _ in range(3):
                float(y)  # one site: one warning
            for _ in range(3):
                y.item()  # another site: one more
    lost = [w for w in log if w.category is GLW]
    sites = {(w.filename, w.lineno) for w in lost}
    return [len(lost), len(sites), all(w.filename == __file__ for w in lost)]


# ===================================================================================
# NumPy interop
# ===================================================================================
@case('np-ufunc-recorded', 'numpy-interop', ok(numpy.cos([1.0, 2.0])))
def _():
    x = _pair()
    return grad_of(x, lambda: numpy.sin(x).sum())


@case('np-function-recorded', 'numpy-interop', ok([2.0, 4.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: numpy.sum(x * x))


@case('np-linalg-recorded', 'numpy-interop', ok([0.6, 0.8]))
def _():
    x = var([3.0, 4.0])
    return grad_of(x, lambda: numpy.linalg.norm(x))


@case('np-ufunc-reduce', 'numpy-interop', ok([1.0, 1.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: numpy.add.reduce(x))


@case('np-numpy-left-operand', 'numpy-interop', ok([3.0, 4.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: (numpy.array([3.0, 4.0], numpy.float32) * x).sum())


@case('np-numpy-scalar-operand', 'numpy-interop', ok([2.0, 2.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: (numpy.float32(2.0) * x).sum())


@case('np-where', 'numpy-interop', ok([0.0, 1.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: numpy.where(x > 1, x, 0.0).sum())


@case('np-ufunc-out', 'numpy-interop', raises(TypeError, r'assign the result'))
def _():
    x = _pair()
    with autograd.record():
        numpy.exp(x, out=numpy.empty(2, numpy.float32))


@case('np-function-out-ndgrad', 'numpy-interop', raises(TypeError, r'assign the result'))
def _():
    x = _pair()
    numpy.sum(x, out=np.zeros(()))


@case('np-inplace-into-numpy', 'numpy-interop', raises(TypeError, r'assign the result'))
def _():
    x = _pair()
    acc = numpy.zeros(2, numpy.float32)
    with autograd.record():
        acc += x


@case('np-accumulate-not-implemented', 'numpy-interop', raises(TypeError, r'asnumpy'))
def _():
    x = _pair()
    with autograd.record():
        numpy.add.accumulate(x)


@case('np-missing-function', 'numpy-interop', raises(TypeError, r'asnumpy'))
def _():
    x = _pair()
    with autograd.record():
        numpy.apply_along_axis(sum, 0, x)


@case('np-array-copies', 'numpy-interop', ok([[1.0, 2.0], [9.0, 2.0]]))
def _():
    x = _pair()
    c = numpy.array(x)
    c[0] = 9.0
    return [x, c]


@case('np-add-where', 'numpy-interop', ok([[2.0, 0.0], [1.0, 0.0]]), item='10')
def _():
    x = _pair()
    with autograd.record():
        y = np.add(x, 1, where=np.array([True, False]))
    y.backward()
    return [y, x.grad]


# ===================================================================================
# 10. std / var of constant inputs
# ===================================================================================
@case('std-constant-input', 'subgradients', ok([0.0, 0.0, 0.0]), item='10')
def _():
    x = var([2.0, 2.0, 2.0])
    return grad_of(x, lambda: np.std(x))


@case('var-constant-input', 'subgradients', ok([0.0, 0.0, 0.0]), item='10')
def _():
    x = var([2.0, 2.0, 2.0])
    return grad_of(x, lambda: np.var(x))


@case('std-constant-row', 'subgradients', ok([[0.0, 0.0], [-0.5, 0.5]]), item='10')
def _():
    x = var([[2.0, 2.0], [1.0, 3.0]])
    return grad_of(x, lambda: np.std(x, axis=1).sum())


@case('std-constant-second-order-finite', 'subgradients', ok(True), item='10')
def _():
    h = func.hessian(lambda v: np.std(v))(np.array([2.0, 2.0, 2.0]))
    return bool(numpy.isfinite(_values(h)).all())


@case('max-tie-split', 'subgradients', ok([0.0, 0.5, 0.5]))
def _():
    x = var([1.0, 3.0, 3.0])
    return grad_of(x, lambda: x.max())


@case('abs-relu-at-zero', 'subgradients', ok([0.0, 0.0]))
def _():
    x = var([0.0, 0.0])
    return grad_of(x, lambda: (np.abs(x) + npx.relu(x)).sum())


# ===================================================================================
# npx
# ===================================================================================
@case('random-parameter-with-history', 'npx', lost_or_error(NRE, r'random|sampl', want=[1.0, 1.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        s = np.random.normal(x, 1.0, size=2).sum()  # reparameterized: d/dx = 1
    s.backward()
    return x.grad


@case('npx-relu-by-keyword', 'npx', ok([0.0, 1.0]))
def _():
    x = var([-1.0, 2.0])
    return grad_of(x, lambda: npx.relu(data=x).sum())


@case('npx-relu-unknown-keyword', 'npx', raises(TypeError, r'foo'))
def _():
    npx.relu(_pair(), foo=1)


@case('npx-activation-unknown', 'npx', raises(ValueError, r'relu'))
def _():
    npx.activation(_pair(), act_type='bogus')


@case('npx-sce-label-out-of-range', 'npx', raises(IndexError, r'.'))
def _():
    logits = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        npx.softmax_cross_entropy(logits, np.array([0, 2]))


@case('npx-sce-float-labels', 'npx', ok([[0.2689414, -0.2689414], [-0.7310586, 0.7310586]]))
def _():
    logits = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        loss = npx.softmax_cross_entropy(logits, np.array([1.0, 0.0]), reduction='sum')
    loss.backward()
    return logits.grad


@case('npx-pick-recorded', 'npx', ok([[0.0, 1.0], [1.0, 0.0]]))
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    return grad_of(x, lambda: npx.pick(x, np.array([1, 0])).sum())


# ===================================================================================
# Other conversions and debugging
# ===================================================================================
@case('math-on-vector', 'conversions', raises(TypeError, r'np\.exp\(x\)'))
def _():
    math.exp(_pair())


@case('bool-of-vector', 'conversions', raises(ValueError, r'any\(\)|all\(\)'))
def _():
    bool(_pair())


@case('len-of-0d', 'conversions', raises(TypeError, r'0-d'))
def _():
    len(np.array(1.0))


@case('iterate-0d', 'conversions', raises(TypeError, r'0-d'))
def _():
    iter(np.array(1.0))


@case('float-index', 'conversions', raises(IndexError, r'whole numbers'))
def _():
    np.arange(4)[np.array([0.5])]


@case('anomaly-names-the-op', 'anomaly', raises(FloatingPointError, both("'sqrt'", 'line')))
def _():
    with autograd.detect_anomaly():
        _inf_gradient()


@case('detach-in-graph', 'anomaly', ok([2.0, 4.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: (x.detach() * x * 2).sum())


@case('stop-gradient', 'anomaly', ok([1.0, 2.0]))
def _():
    x = _pair()
    return grad_of(x, lambda: (autograd.stop_gradient(x) * x).sum())


# ===================================================================================
# Adversarial additions: unusual aliases, self-overlapping writes, duplicate indices
# ===================================================================================
def _exp_matrix():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = np.exp(x)
        z = (y * np.array([[1.0, 2.0], [3.0, 4.0]])).sum()
    return x, y, z


def _view_write_case(view):
    _x, y, z = _exp_matrix()
    v = view(y)
    v[...] = 0.0
    return z.backward


@case('out-exp-swapaxes', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.swapaxes(y, 0, 1))


@case('out-exp-moveaxis', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.moveaxis(y, 0, 1))


@case('out-exp-flip', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.flip(y, 0))


@case('out-exp-negative-steps', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: y[::-1, ::-1])


@case('out-exp-T-of-T', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: y.T.T)


@case('out-exp-ellipsis', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: y[..., 1])


@case('out-exp-newaxis', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: y[None, 0])


@case('out-exp-expand-squeeze', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.squeeze(np.expand_dims(y, 0)))


@case('out-exp-split-part', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.split(y, 2)[1])


@case('out-exp-iterated-row', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: next(iter(y)))


@case('out-exp-rot90', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: np.rot90(y))


@case('out-exp-astype-no-copy', 'inplace-saved', raises_later(IPE, IN_PLACE), item='1')
def _():
    return _view_write_case(lambda y: y.astype(y.dtype, copy=False))


@case('out-exp-np-asarray-refused', 'inplace-saved', raises(IPE, IN_PLACE), item='1')
def _():
    _x, y, _z = _exp_matrix()
    np.asarray(y)[0, 0] = 0.0  # the same array: refused at once, as y[0, 0] = 0.


@case('out-exp-broadcast-to-readonly', 'inplace-saved', raises(ValueError, READ_ONLY))
def _():
    _x, y, _z = _exp_matrix()
    np.broadcast_to(y, (2, 2))[0, 0] = 0.0


@case('rec-setitem-duplicate-index', 'inplace-record', ok([0.0, 1.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = np.zeros(3)
        z[[0, 0]] = x * 1.0  # NumPy: the last write lands, so x[0] is lost
        s = (z * np.array([1.0, 2.0, 3.0])).sum()
    s.backward()
    return x.grad


@case('rec-iadd-duplicate-index', 'inplace-record', ok([0.0, 1.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        z = np.ones(3) * 1.0
        z[[0, 0]] += x  # z[0] = 1 + x[1], as in NumPy
        s = (z * np.array([1.0, 2.0, 3.0])).sum()
    s.backward()
    return x.grad


@case('rec-setitem-bool-mask-of-itself', 'inplace-record', ok([8.0, 0.0, 0.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 2
        z[z > 3] = 0.0
        s = (z * z).sum()
    s.backward()
    return x.grad


@case('rec-setitem-reversed-self', 'inplace-record', ok([3.0, 2.0, 1.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 1
        z[::-1] = z  # overlapping source and destination
        s = (z * np.array([1.0, 2.0, 3.0])).sum()
    s.backward()
    return x.grad


@case('rec-setitem-shifted-self', 'inplace-record', ok([3.0, 3.0, 0.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 1
        z[1:] = z[:-1]
        s = (z * np.array([1.0, 2.0, 3.0])).sum()
    s.backward()
    return x.grad


@case('rec-iadd-shifted-self', 'inplace-record', ok([3.0, 5.0, 3.0]), item='3')
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        z = x * 1
        z[1:] += z[:-1]
        s = (z * np.array([1.0, 2.0, 3.0])).sum()
    s.backward()
    return x.grad


@case('rec-iadd-own-transpose', 'inplace-record', ok([[2.0, 5.0], [5.0, 8.0]]), item='3')
def _():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        z = x * 1
        z += z.T
        s = (z * np.array([[1.0, 2.0], [3.0, 4.0]])).sum()
    s.backward()
    return x.grad


@case('rec-write-under-pause-is-constant', 'inplace-record', ok([5.0, 4.0]), item='3')
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        with autograd.pause():
            y[0] = 5.0  # unrecorded: y becomes a constant
        s = (y * x).sum()
    s.backward()
    return x.grad


@case('rec-setitem-hessian', 'inplace-record', ok([[4.0, 2.0], [2.0, 2.0]]), item='3')
def _():
    def f(u):
        y = np.zeros(2)
        y[0] = u[0] * u[1]
        y[1] = u[1] ** 2
        y[0] *= u[0]  # y = (u0^2 u1, u1^2)
        return y.sum()

    return func.hessian(f)(np.array([1.0, 2.0]))


@case(
    'rec-setitem-jacrev-jacfwd',
    'inplace-record',
    ok([[[0.0, 3.0, 2.0], [2.0, 0.0, 0.0], [0.0, 4.0, 0.0]]] * 2),
    item='3',
)
def _():
    def f(u):
        out = np.zeros(3)
        out[0] = u[1] * u[2]
        out[1:] = u[:2] ** 2
        return out

    u = np.array([1.0, 2.0, 3.0])
    return [func.jacrev(f)(u), func.jacfwd(f)(u)]


@case('func-write-detached-input', 'func-args', raises(IPE, IN_PLACE))
def _():
    def f(u):
        w = u * 1
        u.detach()[0] = 5.0
        return (w * w).sum()

    func.grad(f)(np.array([1.0, 2.0]))


@case('head-recorded-graph-head-written', 'head-kind', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    hg = np.array([1.0, 1.0])
    with autograd.record():
        g = autograd.grad(x**3, [x], head_grads=hg, create_graph=True)[0]
        s = g.sum()
    hg[0] = 5.0  # a constant head gradient is read when the pass runs (a recorded one
    s.backward()  # keeps its history)
    return x.grad


@case('head-recorded-graph-numpy-head-written', 'head-kind', ok([6.0, 12.0]))
def _():
    x = var([1.0, 2.0])
    hg = numpy.ones(2, 'float32')
    with autograd.record():
        g = autograd.grad(x**3, [x], head_grads=hg, create_graph=True)[0]
        s = g.sum()
    hg[0] = 5.0
    s.backward()
    return x.grad


@case('custom-backward-writes-dy', 'custom-function', raises(ValueError, r'dy = dy \* 2'))
def _():
    class Dbl(autograd.Function):
        def forward(self, v):
            return v * 2

        def backward(self, dy):
            dy *= 2
            return dy

    ct = np.ones(2)
    _, pullback = func.vjp(lambda v: Dbl()(v), np.array([1.0, 2.0]))
    try:
        return pullback(ct)
    finally:
        assert ct.tolist() == [1.0, 1.0]


@case(
    'grad-variables-views-of-each-other',
    'grad-variables',
    ok([[7.0, 11.0, 3.0], [4.0, 8.0], [14.0, 22.0, 6.0]]),
)
def _():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * 2
        v = y[0:2]
        s = (v * v).sum() + (y * 3).sum()
    return autograd.grad(s, [y, v, x])


@case('create-graph-grad-buffer-reused', 'linear-second-order', ok([36.0, 288.0]))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x**3).sum()
    autograd.backward(y, create_graph=True)
    with autograd.record():
        h = (x.grad * x.grad).sum()  # 9 x^4
    h.backward()
    return x.grad


@case('create-graph-grad-buffer-zeroed', 'inplace-saved', raises_later(IPE, IN_PLACE))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x**3).sum()
    autograd.backward(y, create_graph=True)
    with autograd.record():
        h = (x.grad * x.grad).sum()
    x.grad[:] = 0.0  # an optimizer's zero_grad between the two passes
    return h.backward


@case('create-graph-grad-buffer-overwritten', 'inplace-saved', raises_later(IPE, IN_PLACE))
def _():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x**3).sum()
    autograd.backward(y, create_graph=True)
    with autograd.record():
        h = (x.grad * x).sum()
        y2 = (x**2).sum()
    y2.backward()  # writes x.grad in place
    return h.backward


@case(
    'mv-variable-is-view-of-variable',
    'mark-variables',
    ok([[2.0, 4.0, 6.0, 8.0], [10.0, 10.0]]),
    item='6',
)
def _():
    a = var([1.0, 2.0, 3.0, 4.0])
    w = a[0:2]
    autograd.mark_variables([w], [np.zeros(2)])
    with autograd.record():
        s = (a * a).sum() + (w * 10).sum()
    s.backward()
    return [a.grad, w.grad]


@case('thread-concurrent-retained-passes', 'threads', ok(True), item='5')
def _():
    x = var(numpy.linspace(0.1, 1.0, 8).tolist())
    with autograd.record():
        z = np.sin(np.exp(x) * x) * x
    ref = autograd.grad(z, [x], retain_graph=True)[0].asnumpy()
    bad = []

    def work(k):
        for _ in range(5):
            (g,) = autograd.grad(z, [x], head_grads=numpy.full(8, float(k)), retain_graph=True)
            if not numpy.allclose(g.asnumpy(), k * ref):
                bad.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return not bad


# --- memory shared with NumPy, and transforms' inputs ------------------------------------


@case('numpy-asarray-variable-copied', 'inplace-saved', ok([2.0, 4.0]), item='1')
def _():
    a = numpy.array([1.0, 2.0])
    x = np.asarray(a)  # its own memory: NumPy writes into `a` cannot reach it
    x.attach_grad()
    with autograd.record():
        z = (x * x).sum()
    a[0] = 5.0
    z.backward()
    return x.grad


@case('numpy-asarray-constant-copied', 'inplace-saved', ok([1.0, 2.0]), item='1')
def _():
    a = numpy.array([1.0, 2.0])
    x, c = var([1.0, 1.0]), np.asarray(a)
    with autograd.record():
        z = (x * c).sum()
    a[0] = 100.0
    z.backward()
    return x.grad


@case('numpy-ndarray-constructor-copied', 'inplace-saved', ok([2.0, 4.0]), item='1')
def _():
    a = numpy.array([1.0, 2.0])
    x = ndgrad.ndarray(a)
    x.attach_grad()
    with autograd.record():
        z = (x * x).sum()
    a[0] = 5.0
    z.backward()
    return x.grad


@case('func-grad-numpy-input-written-by-f', 'func-args', ok([2.0, 4.0, 6.0]), item='1')
def _():
    a = numpy.array([1.0, 2.0, 3.0])

    def f(u):
        s = (u * u).sum()
        a[0] = 5.0  # the caller's array: the transform differentiates a copy
        return s

    return func.grad(f)(a)


@case('func-input-written-through-view', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    y = np.array([1.0, 2.0, 3.0])

    def f(u):
        u[0:1][0] = 5.0
        return (u * u).sum()

    try:
        return func.grad(f)(y)
    finally:
        assert y.tolist() == [1.0, 2.0, 3.0]


@case('func-input-written-through-reshape', 'inplace-variable', raises(IPE, IN_RECORD), item='3')
def _():
    def f(u):
        u.reshape(3, 1)[0, 0] = 5.0
        return (u * u).sum()

    return func.grad(f)(np.array([1.0, 2.0, 3.0]))


@case('jacfwd-of-a-stale-output', 'inplace-stale', raises(IPE, IN_PLACE), item='2')
def _():
    def g(u):
        out = u * 1
        out[0:2][0] = u[1] * 3  # out's own history (u * 1) no longer describes out[0]
        return out

    return func.jacfwd(g)(np.array([1.0, 2.0, 3.0]))


@case('jvp-of-an-output-written-through-detach', 'inplace-stale', raises(IPE, IN_PLACE), item='2')
def _():
    def g(u):
        out = u * 1
        out.detach()[0] = 7.0
        return out

    return func.jvp(g, (np.array([1.0, 2.0, 3.0]),), (np.array([1.0, 0.0, 0.0]),))


@case(
    'rec-iadd-float-into-int-array',
    'inplace-record',
    raises(TypeError, r'floating-point'),
    item='3',
)
def _():
    x = var([1.0, 2.0])
    c = np.zeros(2, dtype='int32')
    with autograd.record():
        c += x * 2


# --- Dask and GPU arrays ----------------------------------------------------------------
def dask_data(values, chunks=2):
    """An ndgrad array holding a Dask array of `values` (skipped without Dask)."""
    da = pytest.importorskip('dask.array')
    return np.array(da.from_array(numpy.asarray(values, dtype=float), chunks=chunks))


@case('numpy-parameter-times-dask-data', 'backend-mixing', ok([0.0, 1.0, 2.0, 3.0]))
def _():
    w = var([1.0, 2.0, 3.0, 4.0])
    x = dask_data([0.0, 1.0, 2.0, 3.0])
    with autograd.record():
        loss = (w * x).sum()
    assert type(loss._data).__module__.startswith('dask')
    loss.backward()
    assert type(w.grad._data) is numpy.ndarray
    return w.grad


if npx.num_gpus():

    @case('dask-data-plus-gpu-array', 'backend-mixing', raises(TypeError, both('Dask', 'CuPy')))
    def _():
        return dask_data([1.0, 2.0]) + np.ones(2, ctx=npx.gpu(0))


@case('sort-of-dask-data', 'backend-missing-kernel', raises(TypeError, both('sort', 'Dask')))
def _():
    return np.sort(dask_data([3.0, 1.0, 2.0]))


@case(
    'median-of-recorded-dask-data',
    'backend-missing-kernel',
    raises(TypeError, both('sort is not supported on Dask')),
)
def _():
    w = var([1.0, 2.0, 3.0])
    with autograd.record():
        np.median(dask_data([3.0, 1.0, 2.0]) * w)


@case('write-into-dask-data-in-record', 'dask-inplace', raises(TypeError, r'np\.where'))
def _():
    w = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = dask_data([3.0, 1.0, 2.0]) * w
        y[0] = 0.0


@case('increment-dask-data-in-record', 'dask-inplace', raises(TypeError, r'in place.*record'))
def _():
    w = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = dask_data([3.0, 1.0, 2.0]) * w
        y += 1.0


NO_GPU = r'gpu\(\d+\).*npx\.cpu\(\)'


@case('gpu-that-is-not-there', 'no-gpu', raises(RuntimeError, NO_GPU))
def _():
    npx.gpu(npx.num_gpus())


@case('zeros-on-a-gpu-that-is-not-there', 'no-gpu', raises(RuntimeError, NO_GPU))
def _():
    np.zeros(2, ctx=f'gpu({npx.num_gpus()})')


@case('initialize-on-a-gpu-that-is-not-there', 'no-gpu', raises(RuntimeError, NO_GPU))
def _():
    gluon.nn.Dense(1, in_units=1).initialize(ctx=f'gpu({npx.num_gpus()})')


@case('context-of-an-unknown-device', 'no-gpu', raises(ValueError, r"unknown context.*'gpu"))
def _():
    np.ones(2).as_in_ctx('tpu(0)')


@case(
    'parameter-data-on-another-device',
    'parameter-device',
    raises(RuntimeError, both('not initialized on context gpu(0)', 'reset_ctx')),
)
def _():
    layer = gluon.nn.Dense(1, in_units=1)
    layer.initialize(ctx=npx.cpu())
    layer.weight.data(Context('gpu', 0))


@case(
    'parameter-on-two-devices',
    'parameter-device',
    raises(ValueError, both('lives on one device', 'split_and_load')),
)
def _():
    gpu = Context('gpu', 0)  # (stands for a second device on any machine)
    gluon.nn.Dense(1, in_units=1).initialize(ctx=[npx.cpu(), gpu])


# ===================================================================================
@pytest.mark.parametrize('fn, expect', CASES)
def test_misuse(fn, expect):
    expect.check(fn)


def test_catalogue_size_and_ids():
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids)), 'case ids must be unique'
    assert len(ids) >= 120


ERRORS_PAGE = pathlib.Path(__file__).resolve().parent.parent / 'docs' / 'errors.md'


def test_every_row_is_documented():
    """Each case names a row of docs/errors.md, and each row there has cases."""
    rows = set(re.findall(r'`#([a-z0-9-]+)`', ERRORS_PAGE.read_text()))
    used = {p.values[0].row for p in CASES}
    assert used <= rows, f'rows missing from docs/errors.md: {sorted(used - rows)}'
    assert rows <= used, f'rows of docs/errors.md without a case: {sorted(rows - used)}'


def test_errors_page_examples_run():
    result = doctest.testfile(
        str(ERRORS_PAGE),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL,
    )
    assert result.failed == 0

"""Fuzz test: random compositions of differentiable ops against central differences.

How to run
----------
::

    pytest tests/engine/test_fuzz.py                        # 150 programs (seeds 0..149): seconds
    NDGRAD_FUZZ=10000 pytest tests/engine/test_fuzz.py      # 10**4 programs: a few minutes
    NDGRAD_FUZZ=10000 NDGRAD_FUZZ_START=500000 ...          # another range of seeds
    NDGRAD_FUZZ_SEED=1234 pytest tests/engine/test_fuzz.py  # one program: the one a failure named
    python -m tests.engine.test_fuzz 1234                   # print program 1234, then check it
    python -m tests.engine.test_fuzz --stats 2000           # how often each op was drawn and kept
    NDGRAD_FUZZ_KNOWN=1 pytest tests/engine/test_fuzz.py    # also draw the variants in KNOWN
    NDGRAD_FUZZ_EXCLUDE=det,inv pytest ...                  # leave ops out (to look past a bug)

A long run checks every program and then fails once, listing every failing seed (the
first five in full). 10**4 programs take about two minutes on one core; 150 programs
take a few seconds. ``KNOWN`` lists the op variants that show a known bug of ndgrad:
they are not drawn by default, so that the test stays green until the bug is fixed.

What a program is
-----------------
A seeded ``numpy.random.Generator`` (one per seed: a program depends on its seed
only) draws 1-3 float64 inputs of small shapes (0-d arrays, size-1 axes, shapes that
broadcast against each other) and 2-6 ops from a table (``OPS``) that covers the
differentiable families: elementwise unary functions on their domains (with Python
scalars too), binary ones with broadcasting, piecewise-constant ops (their gradient is
zero), where and ufuncs with ``where=``, reductions with axis/keepdims (sum ... prod,
max/min, median, percentiles, std/var, average, norms, logsumexp, trace), cumulative
ops, shape ops, joins (and lists of recorded arrays) and splits, indexing (basic,
integer arrays, boolean masks, take/take_along_axis/put_along_axis/choose/compress/
pick/embedding), assignments and in-place operators under record(), products
(matmul/dot/inner/outer/vdot/kron/tensordot/einsum/batch_dot/multi_dot), softmax,
log_softmax, softmax_cross_entropy, layer_norm, batch_norm, sequence_mask, sort/topk/
argsort gathers and linear algebra (inv, det, slogdet, solve, lstsq, pinv,
matrix_power, qr, cholesky, eigh, svd, matrix norms) on well-conditioned matrices.
Each op's operands are drawn from every value computed so far (intermediates are
reused: diamonds, an op applied to one value twice), and the program's output is its
last value plus the mean of every value no op consumed.

Ops are drawn while the program runs on its concrete inputs, so each op sees its
operands' values: an input outside the op's smooth domain is first mapped into it by
a constant affine map (``v1*0.25+1.5``, shown in the program), and an op whose
operands lie near a kink (abs, relu, maximum, floor, clip, ...) or a tie (max, sort,
median, ...) is not drawn. Every failure is therefore a wrong derivative, not noise.

What is checked
---------------
For each program ``f`` and a random head ``w`` (loss = sum(f * w)) and direction ``t``:

* the recorded forward value equals the plain one;
* first order against central differences of the plain program: ``backward`` (of
  the loss, or of ``f`` with a head gradient), ``autograd.grad``, ``func.grad``,
  ``func.vjp``, ``func.jacrev`` and ``func.jacfwd`` (full Jacobians), ``func.jvp``;
* second order against central differences of the (already checked) first-order
  derivatives along ``t``: ``autograd.grad(create_graph=True)`` then ``backward``,
  ``func.grad`` of ``func.grad``, ``func.hvp``, ``func.hessian``, ``func.jacrev`` of
  ``func.jvp`` (batched reverse over forward) and ``func.jvp`` of ``func.jvp``
  (forward over forward).

When a program fails, each of its ops is checked alone on its operands' values, and
the report names the ops that also fail alone.
"""

import dataclasses
import itertools
import math
import os
import sys
import time
import traceback
import zlib

import numpy
import pytest

from ndgrad import autograd, func, np, npx
from ndgrad._primitive import RAW, REGISTRY

DEFAULT_PROGRAMS = 150
EPS = 1e-6  # central-difference step
RTOL = 1e-5  # tolerances: |got - want| <= ATOL * (1 + max|want|) + RTOL * |want|
ATOL = 2e-6
KINK = 3e-3  # the distance kept from kinks and ties
BOUND = 30.0  # no value of a program exceeds this
MAX_SIZE = 48  # nor has more elements
MAX_INPUT_SIZE = 16  # all inputs together


# Known bugs of ndgrad: the op variant that shows each one, and what is wrong. These
# variants are not drawn unless NDGRAD_FUZZ_KNOWN=1. Delete an entry once its bug is fixed.
KNOWN = {}
# More variants to leave out, to look past a bug: NDGRAD_FUZZ_EXCLUDE=name,name
SKIP = set(filter(None, os.environ.get('NDGRAD_FUZZ_EXCLUDE', '').split(',')))
if not os.environ.get('NDGRAD_FUZZ_KNOWN'):
    SKIP |= set(KNOWN)


def allowed(variant):
    return variant not in SKIP


class Reject(Exception):
    """The op drawn does not apply to the values at hand: draw another."""


# --- programs ---------------------------------------------------------------------------


@dataclasses.dataclass
class Op:
    name: str
    family: str
    fn: object  # fn(*ndgrad arrays, **params) -> one array
    make: object  # make(gen) -> (operand positions, params, per-operand affine maps)


OPS = {}
FAMILIES = {}


def register(name, family, fn, make):
    assert name not in OPS, name
    OPS[name] = Op(name, family, fn, make)
    FAMILIES.setdefault(family, []).append(name)


def _fmt(value):
    if isinstance(value, numpy.ndarray):
        return f'array({value.tolist()!r}{", dtype=bool" if value.dtype == bool else ""})'
    if isinstance(value, float):
        return f'{value:.6g}'
    if isinstance(value, slice):
        return ':'.join('' if x is None else str(x) for x in (value.start, value.stop, value.step))
    if isinstance(value, tuple):
        return '(' + ', '.join(_fmt(v) for v in value) + (',)' if len(value) == 1 else ')')
    if isinstance(value, list):
        return '[' + ', '.join(_fmt(v) for v in value) + ']'
    if value is Ellipsis:
        return '...'
    return repr(value)


@dataclasses.dataclass
class Step:
    op: str
    operands: tuple
    params: dict
    pre: tuple  # per operand: None or (scale, shift), applied before the op

    def __call__(self, *args):
        args = [a if p is None else a * p[0] + p[1] for a, p in zip(args, self.pre)]
        return OPS[self.op].fn(*args, **self.params)

    def describe(self, out):
        names = [
            f'v{i}' if p is None else f'(v{i}*{p[0]:.6g}{p[1]:+.6g})'
            for i, p in zip(self.operands, self.pre)
        ]
        params = ''.join(f', {k}={_fmt(v)}' for k, v in self.params.items())
        return f'v{out} = {self.op}({", ".join(names)}{params})'


@dataclasses.dataclass
class Program:
    seed: object
    inputs: list  # float64 NumPy arrays
    steps: list

    def __call__(self, *xs):
        values = list(xs)
        used = set()
        for step in self.steps:
            values.append(step(*[values[i] for i in step.operands]))
            used.update(step.operands)
        out = values[-1]
        for i, value in enumerate(values[:-1]):
            if i not in used:
                out = out + np.mean(value)
        return out

    def describe(self):
        lines = [
            f'program {self.seed}: inputs '
            + ', '.join(f'v{i}{tuple(x.shape)}' for i, x in enumerate(self.inputs))
        ]
        n = len(self.inputs)
        lines += [f'  {s.describe(n + k)}' for k, s in enumerate(self.steps)]
        return '\n'.join(lines)


def _shapes_broadcast(a, b):
    try:
        numpy.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


class Gen:
    """What an op's maker draws with: the generator and the values so far."""

    def __init__(self, rng, values, origins):
        self.rng, self.values = rng, values
        self.origins = origins  # per value: the name of the op that computed it (or None)

    def pick(self, ok=None):
        """A value's position (often the latest one) among those `ok` accepts."""
        cands = [i for i, v in enumerate(self.values) if ok is None or ok(v)]
        if not cands:
            raise Reject
        if cands[-1] == len(self.values) - 1 and self.rng.random() < 0.4:
            return cands[-1]
        return cands[int(self.rng.integers(len(cands)))]

    def partner(self, shape, into=False):
        """A value broadcasting against `shape` (`into`: to exactly `shape`)."""

        def ok(v):
            if not _shapes_broadcast(v.shape, shape):
                return False
            return not into or numpy.broadcast_shapes(v.shape, shape) == tuple(shape)

        return self.pick(ok)

    def choice(self, options):
        options = list(options)
        if not options:
            raise Reject
        return options[int(self.rng.integers(len(options)))]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    def int(self, lo, hi):
        """An integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def axis(self, ndim):
        if ndim == 0:
            raise Reject
        return self.int(-ndim, ndim - 1)

    def axes(self, ndim, none=True, tuples=True):
        """None, an int, or a tuple of distinct axes (either sign)."""
        kinds = (
            (['none'] if none else []) + (['int'] if ndim else []) + (['tuple'] if tuples else [])
        )
        kind = self.choice(kinds)
        if kind == 'none':
            return None
        if kind == 'int':
            return self.axis(ndim)
        k = self.int(0, ndim)
        axes = self.rng.permutation(ndim)[:k]
        return tuple(int(a) - ndim if self.coin() else int(a) for a in axes)

    def normal(self, shape):
        return numpy.round(self.rng.standard_normal(shape), 3)


# --- domains and kinks ----------------------------------------------------------------


@dataclasses.dataclass
class Dom:
    """Where an op is smooth: inside [lo, hi], `margin` away from its kinks."""

    lo: float = -math.inf
    hi: float = math.inf
    kinks: object = None  # None, a number, or 'int' / 'half' (the (half-)integers)
    margin: float = KINK

    def distance(self, u):
        if self.kinks is None:
            return math.inf
        if self.kinks == 'int':
            return numpy.abs(u - numpy.round(u)).min(initial=math.inf)
        if self.kinks == 'half':
            return numpy.abs(u - 0.5 - numpy.round(u - 0.5)).min(initial=math.inf)
        return numpy.abs(u - self.kinks).min(initial=math.inf)

    def holds(self, u):
        return (u.size == 0 or (self.lo <= u.min() and u.max() <= self.hi)) and self.distance(
            u
        ) >= self.margin


def _apply(v, pre):
    return v if pre is None else v * pre[0] + pre[1]


def _r(x):
    return float(f'{x:.4g}')


def fit(g, v, dom):
    """An affine map (scale, shift) taking `v` into `dom`, or None if `v` is inside."""
    if dom is None or dom.holds(v):
        return None
    lo, hi = v.min(initial=0.0), v.max(initial=0.0)
    spread = hi - lo
    if math.isfinite(dom.lo) or math.isfinite(dom.hi):
        a = dom.lo if math.isfinite(dom.lo) else dom.hi - 4
        b = dom.hi if math.isfinite(dom.hi) else dom.lo + 4
    elif dom.kinks not in (None, 'int', 'half') and dom.margin > 0.05:
        # a singularity at the kink: move to one side of it
        a = dom.kinks + 1.5 * dom.margin
        b = a + 2.0
        if g.coin():
            a, b = 2 * dom.kinks - b, 2 * dom.kinks - a
    else:
        a, b = -2.0, 2.0
    for _ in range(4):
        width = (b - a) * g.rng.uniform(0.3, 0.9)
        start = a + g.rng.uniform(0, (b - a) - width)
        scale = min(width / spread, 3.0) if spread > 0 else 1.0
        if g.coin(0.3):
            scale = -scale
        mid = start + width / 2
        pre = (_r(scale), _r(mid - scale * (lo + hi) / 2))
        if dom.holds(_apply(v, pre)):
            return pre
    raise Reject


def tie_free(v, axis=None, margin=KINK):
    """Whether the entries of each group reduced over `axis` are `margin` apart."""
    v = numpy.asarray(v)
    if axis is None:
        groups = v.reshape(1, -1)
    else:
        axes = (
            sorted({a % v.ndim for a in ((axis,) if isinstance(axis, int) else axis)})
            if v.ndim
            else []
        )
        rest = [i for i in range(v.ndim) if i not in axes]
        k = int(numpy.prod([v.shape[a] for a in axes]))
        groups = numpy.transpose(v, rest + axes).reshape(-1, k)
    if groups.shape[1] < 2:
        return True
    return numpy.diff(numpy.sort(groups, axis=1), axis=1).min() >= margin


def need(condition):
    if not condition:
        raise Reject


# --- elementwise unary ------------------------------------------------------------------


def unary(name, fn, dom=None, family='unary'):
    def make(g):
        a = g.pick()
        return (a,), {}, (fit(g, g.values[a], dom),)

    register(name, family, lambda a: fn(a), make)


POS = Dom(0.2, 10.0)
unary('negative', lambda a: -a)
unary('positive', np.positive)
unary('abs', np.abs, Dom(kinks=0.0))
unary('abs()', abs, Dom(kinks=0.0))
unary('sin', np.sin)
unary('cos', np.cos)
unary('tan', np.tan, Dom(-1.2, 1.2))
unary('arcsin', np.arcsin, Dom(-0.85, 0.85))
unary('arccos', np.arccos, Dom(-0.85, 0.85))
unary('arctan', np.arctan)
unary('sinh', np.sinh, Dom(-3, 3))
unary('cosh', np.cosh, Dom(-3, 3))
unary('tanh', np.tanh)
unary('arcsinh', np.arcsinh)
unary('arccosh', np.arccosh, Dom(1.15, 6))
unary('arctanh', np.arctanh, Dom(-0.85, 0.85))
unary('exp', np.exp, Dom(-4, 2.5))
unary('exp2', np.exp2, Dom(-4, 3.5))
unary('expm1', np.expm1, Dom(-4, 2.5))
unary('log', np.log, POS)
unary('log2', np.log2, POS)
unary('log10', np.log10, POS)
unary('log1p', np.log1p, Dom(-0.8, 10))
unary('sqrt', np.sqrt, Dom(0.15, 10))
unary('cbrt', np.cbrt, Dom(kinks=0.0, margin=0.2))
unary('square', np.square)
unary('reciprocal', np.reciprocal, Dom(kinks=0.0, margin=0.25))
unary('deg2rad', np.deg2rad)
unary('rad2deg', np.rad2deg, Dom(-0.3, 0.3))
unary('sinc', np.sinc, Dom(-2.5, 2.5, kinks=0.0))
unary('nan_to_num', np.nan_to_num)
unary('astype', lambda a: a.astype('float64'))
unary('copy', np.copy)
unary('sigmoid', npx.sigmoid)
unary('relu', npx.relu, Dom(kinks=0.0))
unary('softplus', npx.softplus)
unary('gelu', npx.gelu)
unary('gelu_tanh', lambda a: npx.gelu(a, approximation='tanh'))
unary('leaky_relu', lambda a: npx.leaky_relu(a, slope=0.2), Dom(kinks=0.0))
unary('elu', lambda a: npx.leaky_relu(a, act_type='elu', slope=0.7), Dom(kinks=0.0))
unary('selu', lambda a: npx.leaky_relu(a, act_type='selu'), Dom(kinks=0.0))
unary('gelu_act', lambda a: npx.leaky_relu(a, act_type='gelu'))
unary('softrelu', lambda a: npx.activation(a, act_type='softrelu'))
unary('softsign', lambda a: npx.activation(a, act_type='softsign'), Dom(kinks=0.0))
unary('log_sigmoid', lambda a: npx.activation(a, act_type='log_sigmoid'))
unary('mish', lambda a: npx.activation(a, act_type='mish'))
unary('erf', npx.erf)
unary('erfinv', npx.erfinv, Dom(-0.8, 0.8))
unary('gamma', npx.gamma, Dom(0.4, 3.5))
unary('gammaln', npx.gammaln, Dom(0.3, 8))
unary('digamma', npx.digamma, Dom(0.4, 8))
unary('polygamma1', lambda a: npx.polygamma(1, a), Dom(0.5, 8))


def _power_const(a, p, form):
    if form == '**':
        return a**p
    return (np.power if form == 'power' else np.float_power)(a, p)


def _make_power_const(g):
    p = g.choice([2, 3, -1, -2, 0.5, 1.5, -0.5, 2.5, 1 / 3])
    a = g.pick()
    dom = None if p in (2, 3) else Dom(kinks=0.0, margin=0.3) if p in (-1, -2) else Dom(0.25, 8)
    return (
        (a,),
        {'p': p, 'form': g.choice(['**', 'power', 'float_power'])},
        (fit(g, g.values[a], dom),),
    )


register('power_const', 'unary', _power_const, _make_power_const)


def _scalar_op(a, c, form):
    return {
        'a+c': lambda: a + c,
        'c+a': lambda: c + a,
        'a-c': lambda: a - c,
        'c-a': lambda: c - a,
        'a*c': lambda: a * c,
        'c*a': lambda: c * a,
        'a/c': lambda: a / c,
        'c/a': lambda: c / a,
        'c**a': lambda: c**a,
        'np.add(a,c)': lambda: np.add(a, c),
        'np.multiply(c,a)': lambda: np.multiply(c, a),
        'np.power(c,a)': lambda: np.power(c, a),
        'a%c': lambda: a % c,
    }[form]()


def _make_scalar_op(g):
    form = g.choice(
        [
            'a+c',
            'c+a',
            'a-c',
            'c-a',
            'a*c',
            'c*a',
            'a/c',
            'c/a',
            'c**a',
            'np.add(a,c)',
            'np.multiply(c,a)',
            'np.power(c,a)',
            'a%c',
        ]
    )
    c = g.choice([0.5, -1.25, 2.0, 1.7])
    dom = None
    if form == 'c/a':
        dom = Dom(kinks=0.0, margin=0.3)
    if 'power' in form or '**' in form:
        c, dom = abs(c), Dom(-3, 3)
    if form == 'a%c':
        c, dom = abs(c), Dom(kinks='int')  # a/c away from the integers: see below
    a = g.pick()
    v = g.values[a]
    if form == 'a%c':
        pre = fit(g, v / c, dom)
        pre = None if pre is None else (pre[0], pre[1] * c)
        need(Dom(kinks='int').holds(_apply(v, pre) / c))
    else:
        pre = fit(g, v, dom)
    return (a,), {'c': c, 'form': form}, (pre,)


register('scalar_op', 'unary', _scalar_op, _make_scalar_op)


def _clip(a, lo, hi, form):
    if form == 'method':
        return a.clip(lo, hi)
    return np.clip(a, lo, hi)


def _make_clip(g):
    a = g.pick(lambda v: v.size > 1)
    v = numpy.sort(g.values[a].ravel())
    gaps = numpy.flatnonzero(numpy.diff(v) >= 2 * KINK)  # bounds between two values
    need(gaps.size)
    lo, hi = sorted(_r((v[k] + v[k + 1]) / 2) for k in g.rng.choice(gaps, 2))
    if lo == hi or g.coin(0.2):
        lo = None
    elif g.coin(0.2):
        hi = None
    for bound in (lo, hi):
        need(bound is None or numpy.abs(v - bound).min() >= KINK)
    return (a,), {'lo': lo, 'hi': hi, 'form': g.choice(['np', 'method'])}, (None,)


register('clip', 'unary', _clip, _make_clip)


# piecewise constant (zero gradient) times a smooth partner

PIECEWISE = {
    'floor': (np.floor, 'int'),
    'ceil': (np.ceil, 'int'),
    'trunc': (np.trunc, 'int'),
    'fix': (np.fix, 'int'),
    'rint': (np.rint, 'half'),
    'round': (np.round, 'half'),
    'around': (np.around, 'half'),
    'sign': (np.sign, 0.0),
    'heaviside': (lambda a: np.heaviside(a, 0.5), 0.0),
    'floor_divide': (lambda a: a // 1.0, 'int'),
    'round_method': (lambda a: a.round(), 'half'),
}


def _piecewise(a, b, kind, how):
    k = PIECEWISE[kind][0](a)
    return k * b if how == '*' else k + b


def _make_piecewise(g):
    kind = g.choice(PIECEWISE)
    a = g.pick()
    b = g.partner(g.values[a].shape)
    pre = fit(g, g.values[a], Dom(-2.5, 2.5, kinks=PIECEWISE[kind][1], margin=1e-2))
    return (a, b), {'kind': kind, 'how': g.choice('*+')}, (pre, None)


register('piecewise', 'piecewise', _piecewise, _make_piecewise)


# --- elementwise binary -----------------------------------------------------------------


def binary(name, fn, dom_a=None, dom_b=None, ok=None):
    def make(g):
        a = g.pick()
        b = g.partner(g.values[a].shape)
        if g.coin():
            a, b = b, a
        va, vb = g.values[a], g.values[b]
        pa, pb = fit(g, va, dom_a), fit(g, vb, dom_b)
        if ok is not None:
            for _ in range(4):
                if ok(_apply(va, pa), _apply(vb, pb)):
                    break
                shift = _r(g.rng.uniform(-1, 1))
                pb = (1.0, shift) if pb is None else (pb[0], _r(pb[1] + shift))
                need(dom_b is None or dom_b.holds(_apply(vb, pb)))
            else:
                raise Reject
        return (a, b), {}, (pa, pb)

    register(name, 'binary', fn, make)


def _apart(a, b):
    return numpy.abs(a - b).min(initial=math.inf) >= KINK


def _off_cut(y, x):  # arctan2(y, x): away from the origin and the cut y = 0, x < 0
    y, x = numpy.broadcast_arrays(y, x)
    return numpy.hypot(y, x).min(initial=1) > 0.2 and (numpy.abs(y) >= KINK)[x < 0.1].all()


def _remainder_ok(trunc):
    def ok(a, b):
        q = a / b
        q = numpy.trunc(q) if trunc else numpy.floor(q)
        r = a / b - q
        return (
            numpy.minimum(r, 1 - r).min(initial=1) >= 1e-2
            if not trunc
            else numpy.minimum(numpy.abs(r), 1 - numpy.abs(r)).min(initial=1) >= 1e-2
        )

    return ok


NONZERO = Dom(kinks=0.0, margin=0.3)
binary('add', lambda a, b: a + b)
binary('np.add', np.add)
binary('subtract', lambda a, b: a - b)
binary('np.subtract', np.subtract)
binary('multiply', lambda a, b: a * b)
binary('np.multiply', np.multiply)
binary('divide', lambda a, b: a / b, dom_b=NONZERO)
binary('np.divide', np.divide, dom_b=NONZERO)
binary('true_divide', np.true_divide, dom_b=NONZERO)
binary('power', lambda a, b: a**b, dom_a=Dom(0.3, 3), dom_b=Dom(-2, 2.5))
binary('np.power', np.power, dom_a=Dom(0.3, 3), dom_b=Dom(-2, 2.5))
binary('float_power', np.float_power, dom_a=Dom(0.3, 3), dom_b=Dom(-2, 2.5))
binary('arctan2', np.arctan2, ok=_off_cut)
binary('hypot', np.hypot, ok=lambda a, b: numpy.hypot(a, b).min(initial=1) > 0.2)
binary('logaddexp', np.logaddexp)
binary('logaddexp2', np.logaddexp2)
binary('maximum', np.maximum, ok=_apart)
binary('minimum', np.minimum, ok=_apart)
binary('fmax', np.fmax, ok=_apart)
binary('fmin', np.fmin, ok=_apart)
binary('copysign', np.copysign, dom_a=Dom(kinks=0.0), dom_b=Dom(kinks=0.0))
binary('remainder', np.remainder, dom_b=Dom(0.6, 2), ok=_remainder_ok(False))
binary('mod', lambda a, b: a % b, dom_b=Dom(0.6, 2), ok=_remainder_ok(False))
binary('fmod', np.fmod, dom_b=Dom(0.6, 2), ok=_remainder_ok(True))


def _where_mask(a, b, mask):
    return np.where(mask, a, b)


def _make_where_mask(g):
    a = g.pick()
    b = g.partner(g.values[a].shape)
    full = numpy.broadcast_shapes(g.values[a].shape, g.values[b].shape)
    shape = tuple(s if g.coin() else 1 for s in full)[g.int(0, len(full)) :]
    return (a, b), {'mask': g.rng.random(shape) < 0.5}, (None, None)


def _where_cmp(c, a, b, level, scalar):
    return np.where(c > level, a, 0.25 if scalar else b)


def _make_where_cmp(g):
    c = g.pick()
    a = g.partner(g.values[c].shape)
    b = g.partner(numpy.broadcast_shapes(g.values[c].shape, g.values[a].shape))
    level = _r(g.rng.uniform(-0.5, 0.5))
    need(numpy.abs(g.values[c] - level).min(initial=1) >= KINK)
    return (c, a, b), {'level': level, 'scalar': g.coin(0.2)}, (None, None, None)


register('where_mask', 'where', _where_mask, _make_where_mask)


def _ufunc_where(*args, ufunc, mask):
    return getattr(np, ufunc)(*args, where=mask)


def _make_ufunc_where(g):
    """A ufunc computed only where a mask holds (0 elsewhere, with zero gradient)."""
    ufunc = g.choice(
        ['sin', 'exp', 'tanh', 'log', 'sqrt', 'add', 'multiply', 'subtract', 'divide', 'maximum']
    )
    a = g.pick()
    va = g.values[a]
    if ufunc in ('log', 'sqrt'):  # where=x > 0: the masked-out entries are outside the domain
        need(numpy.abs(va - 0.1).min(initial=1) >= KINK and (va > 0.1).any())
        return (a,), {'ufunc': ufunc, 'mask': va > 0.1}, (None,)
    if ufunc in ('sin', 'exp', 'tanh'):
        shape = tuple(k if g.coin() else 1 for k in va.shape)[g.int(0, va.ndim) :]
        pre = fit(g, va, Dom(-4, 2.5)) if ufunc == 'exp' else None
        return (a,), {'ufunc': ufunc, 'mask': g.rng.random(shape) < 0.6}, (pre,)
    b = g.partner(va.shape)
    vb = g.values[b]
    full = numpy.broadcast_shapes(va.shape, vb.shape)
    shape = tuple(k if g.coin() else 1 for k in full)[g.int(0, len(full)) :]
    pb = fit(g, vb, NONZERO) if ufunc == 'divide' else None
    if ufunc == 'maximum':
        need(_apart(va, vb))
    return (a, b), {'ufunc': ufunc, 'mask': g.rng.random(shape) < 0.6}, (None, pb)


register('ufunc_where', 'where', _ufunc_where, _make_ufunc_where)
register('where_cmp', 'where', _where_cmp, _make_where_cmp)


# --- reductions -------------------------------------------------------------------------


def reduction(name, fn, ties=False, forms=('np',), dom=None):
    def make(g):
        a = g.pick()
        v = g.values[a]
        axis = g.axes(v.ndim)
        if ties:
            need(tie_free(v, axis))
        form = g.choice(forms)
        return (a,), {'axis': axis, 'keepdims': g.coin(), 'form': form}, (fit(g, v, dom),)

    register(name, 'reduction', fn, make)


def _red(np_fn, method=None):
    def fn(a, axis, keepdims, form):
        if form == 'method':
            return getattr(a, method)(axis=axis, keepdims=keepdims)
        return np_fn(a, axis=axis, keepdims=keepdims)

    return fn


reduction('sum', _red(np.sum, 'sum'), forms=('np', 'method'))
reduction('mean', _red(np.mean, 'mean'), forms=('np', 'method'))


def _through_zero(g, v, name):
    """A map into [-1.6, 1.6] that sometimes takes one entry to 0 (up to rounding: the
    entry is 0 or within 1e-15 of it), where the derivatives of products still exist."""
    pre = fit(g, v, Dom(-1.6, 1.6))
    if v.size and allowed(f'{name}_zero') and g.coin(0.3):
        u = _apply(v, pre).ravel()
        pre = (
            1.0 if pre is None else pre[0],
            (0.0 if pre is None else pre[1]) - float(u[g.int(0, u.size - 1)]),
        )
    return pre


def _make_prod(g):
    a = g.pick()
    v = g.values[a]
    return (
        (a,),
        {'axis': g.axes(v.ndim), 'keepdims': g.coin(), 'form': g.choice(['np', 'method'])},
        (_through_zero(g, v, 'prod'),),
    )


register('prod', 'reduction', _red(np.prod, 'prod'), _make_prod)
reduction('max', _red(np.max, 'max'), ties=True, forms=('np', 'method'))
reduction('min', _red(np.min, 'min'), ties=True, forms=('np', 'method'))
reduction('amax', _red(np.amax), ties=True)
reduction('amin', _red(np.amin), ties=True)
reduction('nanmax', _red(np.nanmax), ties=True)
reduction('nanmin', _red(np.nanmin), ties=True)
reduction('nansum', _red(np.nansum))
reduction('nanmean', _red(np.nanmean))
reduction('ptp', _red(np.ptp, 'ptp'), ties=True, forms=('np', 'method'))
reduction('median', _red(np.median), ties=True)
reduction('logsumexp', _red(np.logsumexp))
reduction('npx.logsumexp', _red(npx.logsumexp))


def _stat(a, axis, keepdims, ddof, kind, form):
    if form == 'method':
        return getattr(a, kind)(axis=axis, keepdims=keepdims, ddof=ddof)
    return getattr(np, kind)(a, axis=axis, keepdims=keepdims, ddof=ddof)


def _make_stat(g):
    a = g.pick()
    v = g.values[a]
    axis = g.axes(v.ndim)
    ddof, kind = g.choice([0, 1]), g.choice(['std', 'var'])
    n = v.size // numpy.zeros(v.shape).sum(axis=axis).size  # entries per group
    need(n > ddof and (n > 1 or allowed('std_1')))
    if kind == 'std' and n > 1:
        need(numpy.var(v, axis=axis).min(initial=1) >= 1e-2)
    return (
        (a,),
        {
            'axis': axis,
            'keepdims': g.coin(),
            'ddof': ddof,
            'kind': kind,
            'form': g.choice(['np', 'method']),
        },
        (None,),
    )


register('std/var', 'reduction', _stat, _make_stat)


def _quantile(a, q, axis, keepdims, kind, method):
    fn = np.percentile if kind == 'percentile' else np.quantile
    return fn(
        a, q * 100 if kind == 'percentile' else q, axis=axis, keepdims=keepdims, method=method
    )


def _make_quantile(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    axis = g.choice([None, g.axis(v.ndim)])
    need(tie_free(v, axis))
    q = g.choice([0.3, 0.75, numpy.array([0.1, 0.5, 0.95])])
    return (
        (a,),
        {
            'q': q,
            'axis': axis,
            'keepdims': g.coin(),
            'kind': g.choice(['percentile', 'quantile']),
            'method': g.choice(['linear', 'linear', 'lower', 'higher', 'midpoint']),
        },
        (None,),
    )


register('quantile', 'reduction', _quantile, _make_quantile)


def _average(a, w=None, *, axis, keepdims, weights=None):
    return np.average(a, axis=axis, weights=weights if w is None else w, keepdims=keepdims)


def _make_average(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    axis = g.choice([None, g.axis(v.ndim)])
    wshape = v.shape if axis is None or g.coin() else (v.shape[axis],)
    w = g.pick(lambda u: u.shape == wshape) if g.coin(0.6) else None
    if w is None:
        return (
            (a,),
            {'weights': g.rng.uniform(0.5, 2, wshape).round(3), 'axis': axis, 'keepdims': g.coin()},
            (None,),
        )
    return (a, w), {'axis': axis, 'keepdims': g.coin()}, (None, fit(g, g.values[w], Dom(0.5, 2)))


register('average', 'reduction', _average, _make_average)


def _norm(a, ord, axis, keepdims, kind):
    if kind == 'norm':
        return np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    return np.linalg.vector_norm(a, ord=ord, axis=axis, keepdims=keepdims)


def _make_norm(g):
    a = g.pick()
    v = g.values[a]
    kind = g.choice(['norm', 'vector_norm'])
    if kind == 'norm':
        axis = g.choice([None] + ([g.axis(v.ndim)] if v.ndim else []))
        ords = [None, 2] if axis is None and v.ndim > 1 else [None, 2, 1, 3, math.inf, -math.inf]
        if axis is None and v.ndim != 1:
            ords = [None, 2] if v.ndim == 2 else [None]
    else:
        axis = g.axes(v.ndim)
        ords = [2, 1, 3, math.inf, -math.inf]
    ord = g.choice(ords)
    ax = axis if axis is not None else None
    mags = numpy.abs(v)
    if ord in (1, math.inf, -math.inf, 3):
        need(mags.min(initial=1) >= KINK)
    if ord in (math.inf, -math.inf):
        need(tie_free(mags, ax))
    need(numpy.sqrt((v * v).sum(axis=ax)).min(initial=1) >= 0.05)
    return (a,), {'ord': ord, 'axis': axis, 'keepdims': g.coin(), 'kind': kind}, (None,)


register('norm', 'reduction', _norm, _make_norm)


def _trace(a, offset, axis1, axis2):
    return np.trace(a, offset=offset, axis1=axis1, axis2=axis2)


def _make_trace(g):
    a = g.pick(lambda v: v.ndim >= 2)
    nd = g.values[a].ndim
    axis1, axis2 = (int(x) for x in g.rng.permutation(nd)[:2])
    n = min(g.values[a].shape[axis1], g.values[a].shape[axis2])
    return (a,), {'offset': g.int(-n + 1, n - 1), 'axis1': axis1, 'axis2': axis2}, (None,)


register('trace', 'reduction', _trace, _make_trace)


# --- cumulative ---------------------------------------------------------------------------


def _cum(a, axis, kind, form):
    if form == 'method':
        return getattr(a, kind)(axis=axis)
    return getattr(np, kind)(a, axis=axis)


def _make_cum(g):
    a = g.pick()
    v = g.values[a]
    kind = g.choice(['cumsum', 'cumprod'])
    axis = g.choice([None] + ([g.axis(v.ndim)] if v.ndim else []))
    pre = _through_zero(g, v, 'cumprod') if kind == 'cumprod' else None
    return (a,), {'axis': axis, 'kind': kind, 'form': g.choice(['np', 'method'])}, (pre,)


def _diff(a, n, axis, prepend):
    if prepend is None:
        return np.diff(a, n=n, axis=axis)
    return np.diff(a, n=n, axis=axis, prepend=prepend)


def _make_diff(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    axis = g.axis(v.ndim)
    n = g.choice([1, 1, 2])
    prepend = g.choice([None, None, 0.5])
    need(v.shape[axis] + (prepend is not None) > n)
    return (a,), {'n': n, 'axis': axis, 'prepend': prepend}, (None,)


def _ediff1d(a, to_begin, to_end):
    return np.ediff1d(a, to_begin=to_begin, to_end=to_end)


def _make_ediff1d(g):
    a = g.pick(lambda v: v.size > 1)
    return (
        (a,),
        {
            'to_begin': g.choice([None, numpy.array([0.5])]),
            'to_end': g.choice([None, numpy.array([1.0, -2.0])]),
        },
        (None,),
    )


register('cum', 'cumulative', _cum, _make_cum)
register('diff', 'cumulative', _diff, _make_diff)
register('ediff1d', 'cumulative', _ediff1d, _make_ediff1d)


# --- shape ops ----------------------------------------------------------------------------


def shape_op(name, fn, make_params, ok=None):
    def make(g):
        a = g.pick(ok)
        return (a,), make_params(g, g.values[a].shape), (None,)

    register(name, 'shape', fn, make)


def _reshape_target(g, shape):
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
        (1,) + tuple(shape),
    ]
    if size == 1:
        options += [(), (1, 1, 1)]
    if size % 2 == 0 and size > 2:
        options += [(2, size // 2), (size // 2, -1, 1)]
    return tuple(g.choice(options))


def _reshape(a, shape, form):
    if form == 'method':
        return a.reshape(shape)
    if form == 'method*':
        return a.reshape(*shape) if shape else a.reshape(())
    return np.reshape(a, shape)


shape_op(
    'reshape',
    _reshape,
    lambda g, s: {'shape': _reshape_target(g, s), 'form': g.choice(['np', 'method', 'method*'])},
)
shape_op(
    'ravel',
    lambda a, form: np.ravel(a) if form == 'np' else getattr(a, form)(),
    lambda g, s: {'form': g.choice(['np', 'ravel', 'flatten'])},
)
shape_op('T', lambda a: a.T, lambda g, s: {})


def _transpose(a, axes, form):
    if form == 'method':
        return a.transpose(axes) if axes is not None else a.transpose()
    return np.transpose(a, axes)


shape_op(
    'transpose',
    _transpose,
    lambda g, s: {
        'axes': None if g.coin(0.3) else tuple(int(x) for x in g.rng.permutation(len(s))),
        'form': g.choice(['np', 'method']),
    },
)
shape_op(
    'swapaxes',
    lambda a, a1, a2: np.swapaxes(a, a1, a2),
    lambda g, s: {'a1': g.axis(len(s)), 'a2': g.axis(len(s))},
    ok=lambda v: v.ndim,
)
shape_op(
    'moveaxis',
    lambda a, src, dst: np.moveaxis(a, src, dst),
    lambda g, s: {'src': g.axis(len(s)), 'dst': g.axis(len(s))},
    ok=lambda v: v.ndim,
)
shape_op(
    'expand_dims',
    lambda a, axis: np.expand_dims(a, axis),
    lambda g, s: {
        'axis': g.int(-len(s) - 1, len(s))
        if g.coin(0.7)
        else tuple(int(x) for x in g.rng.permutation(len(s) + 2)[:2])
    },
)


def _squeeze_params(g, s):
    ones = [i for i, k in enumerate(s) if k == 1]
    if not ones or g.coin(0.3):
        return {'axis': None}
    return {'axis': g.choice(ones) if g.coin() else tuple(ones)}


def _make_squeeze(g):
    a = g.pick()
    s = g.values[a].shape
    need(1 in s or g.origins[a] not in ('setitem', 'inplace') or allowed('squeeze_after_assign'))
    return (a,), _squeeze_params(g, s), (None,)


register('squeeze', 'shape', lambda a, axis: np.squeeze(a, axis), _make_squeeze)
shape_op(
    'flip',
    lambda a, axis: np.flip(a, axis),
    lambda g, s: {'axis': g.axes(len(s)) if len(s) else None},
)
shape_op('fliplr', np.fliplr, lambda g, s: {}, ok=lambda v: v.ndim >= 2)
shape_op('flipud', np.flipud, lambda g, s: {}, ok=lambda v: v.ndim >= 1)


def _roll_params(g, s):
    if not s or g.coin(0.3):
        return {'shift': g.int(-3, 3), 'axis': None}
    if g.coin():
        return {'shift': g.int(-3, 3), 'axis': g.axis(len(s))}
    axes = tuple(int(x) for x in g.rng.permutation(len(s))[:2])
    return {'shift': tuple(g.int(-2, 2) for _ in axes), 'axis': axes}


shape_op('roll', lambda a, shift, axis: np.roll(a, shift, axis), _roll_params)
shape_op(
    'rot90',
    lambda a, k, axes: np.rot90(a, k, axes),
    lambda g, s: {'k': g.int(-1, 2), 'axes': tuple(int(x) for x in g.rng.permutation(len(s))[:2])},
    ok=lambda v: v.ndim >= 2,
)


def _broadcast_params(g, s):
    lead = tuple(g.int(1, 3) for _ in range(g.int(0, 1)))
    return {'shape': lead + tuple(g.int(1, 3) if k == 1 else k for k in s)}


shape_op('broadcast_to', lambda a, shape: np.broadcast_to(a, shape), _broadcast_params)
shape_op(
    'tile',
    lambda a, reps: np.tile(a, reps),
    lambda g, s: {'reps': tuple(g.int(1, 2) for _ in range(g.int(1, len(s) + 1)))},
)


def _repeat_params(g, s):
    axis = g.choice([None] + ([g.axis(len(s))] if s else []))
    n = int(numpy.prod(s)) if axis is None else s[axis]
    repeats = g.int(1, 2) if g.coin() else g.rng.integers(0, 3, n)
    return {'repeats': repeats, 'axis': axis}


shape_op('repeat', lambda a, repeats, axis: np.repeat(a, repeats, axis), _repeat_params)


def _pad(a, width, mode):
    if mode == 'constant':
        return np.pad(a, width, mode='constant', constant_values=0.5)
    return np.pad(a, width, mode=mode)


def _pad_params(g, s):
    mode = g.choice(['constant', 'edge', 'reflect', 'symmetric', 'wrap'])
    width = tuple((g.int(0, 2), g.int(0, 2)) for _ in s)
    if mode == 'reflect':
        width = tuple((min(lo, k - 1), min(hi, k - 1)) for (lo, hi), k in zip(width, s))
    if g.coin(0.2) and s:
        width = g.int(0, 1)
        if mode == 'reflect':
            width = min(width, min(s) - 1)
    return {'width': width, 'mode': mode}


shape_op('pad', _pad, _pad_params, ok=lambda v: v.ndim >= 1)
shape_op('atleast', lambda a, k: getattr(np, f'atleast_{k}d')(a), lambda g, s: {'k': g.int(1, 3)})
shape_op(
    'diag',
    lambda a, k: np.diag(a, k),
    lambda g, s: {'k': g.int(-1, 1)},
    ok=lambda v: v.ndim in (1, 2),
)


def _diagonal_params(g, s):
    a1, a2 = (int(x) for x in g.rng.permutation(len(s))[:2])
    n = min(s[a1], s[a2])
    return {'offset': g.int(-n + 1, n - 1), 'axis1': a1, 'axis2': a2}


shape_op(
    'diagonal',
    lambda a, offset, axis1, axis2: np.diagonal(a, offset, axis1, axis2),
    _diagonal_params,
    ok=lambda v: v.ndim >= 2,
)
shape_op(
    'tril/triu',
    lambda a, k, kind: getattr(np, kind)(a, k),
    lambda g, s: {'k': g.int(-1, 1), 'kind': g.choice(['tril', 'triu'])},
    ok=lambda v: v.ndim >= 2,
)
shape_op('batch_flatten', npx.batch_flatten, lambda g, s: {}, ok=lambda v: v.ndim >= 1)


def _reshape_like(a, b):
    return npx.reshape_like(a, b)


def _make_reshape_like(g):
    a = g.pick()
    b = g.pick(lambda v: v.size == g.values[a].size)
    return (a, b), {}, (None, None)


register('reshape_like', 'shape', _reshape_like, _make_reshape_like)


def _broadcast_arrays(a, b, pick):
    x, y = np.broadcast_arrays(a, b)
    return x * y if pick == 'both' else (x if pick == 0 else y)


def _make_broadcast_arrays(g):
    a = g.pick()
    b = g.partner(g.values[a].shape)
    return (a, b), {'pick': g.choice([0, 1, 'both'])}, (None, None)


register('broadcast_arrays', 'shape', _broadcast_arrays, _make_broadcast_arrays)


# --- joins and splits ---------------------------------------------------------------------


def _join(*arrays, kind, axis):
    if kind == 'concatenate':
        return np.concatenate(arrays, axis=axis)
    if kind == 'stack':
        return np.stack(arrays, axis=axis)
    if kind == 'array':
        return np.array(list(arrays), dtype='float64')
    return getattr(np, kind)(arrays)


def _joinable(kind, shapes, axis):
    try:
        if kind == 'array':
            numpy.array([numpy.zeros(s) for s in shapes], dtype='float64')
        elif axis is None:
            getattr(numpy, kind)([numpy.zeros(s) for s in shapes])
        else:
            getattr(numpy, kind)([numpy.zeros(s) for s in shapes], axis=axis)
    except ValueError:
        return False
    return len(set(shapes)) == 1 or kind not in ('array',)


def _make_join(g):
    kind = g.choice(
        ['concatenate', 'concatenate', 'stack', 'hstack', 'vstack', 'dstack', 'column_stack']
        + (['array'] if allowed('array_of_list') else [])
    )
    a = g.pick()
    s = g.values[a].shape
    axis = None
    if kind == 'concatenate':
        axis = g.axis(len(s))
    elif kind == 'stack':
        axis = g.int(-len(s) - 1, len(s))
    others = []
    for _ in range(g.int(1, 2)):
        b = g.pick(
            lambda v: _joinable(kind, [s] + [g.values[o].shape for o in others] + [v.shape], axis)
        )
        others.append(b)
    return (a, *others), {'kind': kind, 'axis': axis}, (None,) * (1 + len(others))


register('join', 'join', _join, _make_join)


def _list_op(a, b, kind):
    if kind == 'sum':
        return np.sum([a, b], axis=0)
    if kind == 'mean':
        return np.mean([a, b])
    if kind == 'max':
        return np.max([a, b], axis=0)
    return np.dot([a, b], b)


def _make_list_op(g):
    a = g.pick(lambda v: v.ndim <= 1)
    b = g.pick(lambda v: v.shape == g.values[a].shape)
    kinds = (
        ['sum', 'mean']
        + (['max'] if _apart(g.values[a], g.values[b]) else [])
        + (['dot'] if g.values[a].ndim == 1 else [])
    )
    return (a, b), {'kind': g.choice(kinds)}, (None, None)


register('list_op', 'join', _list_op, _make_list_op)


def _split(a, kind, sections, axis, pick):
    if kind in ('hsplit', 'vsplit', 'dsplit'):
        parts = getattr(np, kind)(a, sections)
    elif kind == 'unstack':
        parts = np.unstack(a, axis=axis)
    elif kind == 'iterate':
        parts = list(a)
    else:
        parts = getattr(np, kind)(a, sections, axis=axis)
    i, j = pick
    return parts[i] if j is None else parts[i] * parts[j]


def _make_split(g):
    a = g.pick(lambda v: v.ndim >= 1)
    s = g.values[a].shape
    kind = g.choice(['split', 'array_split', 'hsplit', 'vsplit', 'dsplit', 'unstack', 'iterate'])
    axis = g.axis(len(s))
    if kind == 'hsplit':
        axis = 1 if len(s) > 1 else 0
    elif kind in ('vsplit', 'iterate'):
        axis = 0
    elif kind == 'dsplit':
        axis = 2
    need(-len(s) <= axis < len(s) and (kind != 'vsplit' or len(s) >= 2))
    n = s[axis]
    if kind in ('unstack', 'iterate'):
        sections = n
    elif kind == 'array_split':
        sections = g.int(1, 3) if g.coin() else [g.int(0, n)]
    else:
        sections = g.choice([d for d in (1, 2, 3) if n % d == 0])
    count = len(numpy.array_split(numpy.zeros(n), sections))
    need(count > 0)
    i = g.int(0, count - 1)
    j = g.choice([None, g.int(0, count - 1)])
    sizes = [len(p) for p in numpy.array_split(numpy.zeros(n), sections)]
    need(sizes[i] > 0 and (j is None or sizes[j] == sizes[i]))
    return (a,), {'kind': kind, 'sections': sections, 'axis': axis, 'pick': (i, j)}, (None,)


register('split', 'split', _split, _make_split)


# --- indexing -----------------------------------------------------------------------------


def _basic_index(g, shape):
    items, ellipsis, axis = [], False, 0
    for _ in range(g.int(1, len(shape) + 1)):
        kind = g.choice(['slice', 'slice', 'int', 'none', 'ellipsis'])
        if kind == 'none':
            items.append(None)
        elif kind == 'ellipsis':
            if not ellipsis:
                items.append(Ellipsis)
                ellipsis = True
        elif axis < len(shape):
            n = shape[axis]
            if kind == 'int':
                items.append(g.int(-n, n - 1))
            else:
                start = g.choice([None, g.int(-n, n)])
                stop = g.choice([None, g.int(-n - 1, n)])
                items.append(slice(start, stop, g.choice([None, 1, 2, -1, -2])))
            axis += 1
    if not items:
        items = [Ellipsis]
    index = items[0] if len(items) == 1 and g.coin() else tuple(items)
    try:
        numpy.zeros(shape)[index]
    except IndexError:
        raise Reject from None  # (an integer after an Ellipsis counts from the end)
    return index


def _getitem(a, index):
    return a[index]


def _make_basic(g):
    a = g.pick(lambda v: v.ndim > 0)
    return (a,), {'index': _basic_index(g, g.values[a].shape)}, (None,)


def _int_array(g, n, shape):
    return g.rng.integers(-n, n, shape)


def _make_advanced(g):
    a = g.pick(lambda v: v.ndim > 0)
    s = g.values[a].shape
    kind = g.choice(['axis', 'axis', 'pair', 'split', 'mixed', 'list', 'scalar+array'])
    if kind == 'axis':
        axis = g.int(0, len(s) - 1)
        idx = _int_array(g, s[axis], g.choice([(g.int(1, 4),), (2, 2), ()]))
        index = (slice(None),) * axis + (idx,)
    elif kind == 'pair':
        need(len(s) >= 2)
        shapes = g.choice([((3,), (3,)), ((2, 1), (1, 3)), ((2,), ())])
        index = (_int_array(g, s[0], shapes[0]), _int_array(g, s[1], shapes[1]))
    elif kind == 'split':
        need(len(s) >= 3)
        index = (_int_array(g, s[0], (2,)), slice(None), _int_array(g, s[2], (2,)))
    elif kind == 'mixed':
        need(len(s) >= 2)
        index = g.choice(
            [
                (_int_array(g, s[0], (3,)), slice(1, None)),
                (slice(None, None, -1), _int_array(g, s[1], (2,))),
                (None, _int_array(g, s[0], (2,)), Ellipsis),
            ]
        )
    elif kind == 'list':
        index = [int(i) for i in _int_array(g, s[0], (g.int(1, 3),))]
    else:
        need(len(s) >= 2)
        index = (g.int(0, s[0] - 1), _int_array(g, s[1], (2,)))
    return (a,), {'index': index}, (None,)


def _make_boolean(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    kind = g.choice(['full', 'lead', 'axis'])
    if kind == 'full':
        mask = g.rng.random(v.shape) < 0.6
        index = mask
    elif kind == 'lead':
        mask = g.rng.random(v.shape[: g.int(1, v.ndim)]) < 0.6
        index = mask
    else:
        need(v.ndim >= 2)
        mask = g.rng.random(v.shape[1]) < 0.6
        index = (slice(None), mask)
    need(mask.any())
    return (a,), {'index': index}, (None,)


def _mask_cmp(a, c, level):
    return a[c > level]


def _make_mask_cmp(g):
    a = g.pick(lambda v: v.ndim > 0)
    c = g.pick(lambda v: v.shape == g.values[a].shape)
    level = _r(numpy.quantile(g.values[c], g.rng.uniform(0.1, 0.6)))
    need(numpy.abs(g.values[c] - level).min() >= KINK and (g.values[c] > level).any())
    return (a, c), {'level': level}, (None, None)


register('basic_index', 'index', _getitem, _make_basic)
register('advanced_index', 'index', _getitem, _make_advanced)
register('boolean_index', 'index', _getitem, _make_boolean)
register('mask_cmp', 'index', _mask_cmp, _make_mask_cmp)


def _take(a, indices, axis, mode):
    return np.take(a, indices, axis=axis, mode=mode)


def _make_take(g):
    a = g.pick(lambda v: v.size > 0)
    s = g.values[a].shape
    axis = g.choice([None] + ([g.axis(len(s))] if s else []))
    n = g.values[a].size if axis is None else s[axis]
    mode = g.choice(['raise', 'raise', 'wrap', 'clip'])
    lo, hi = (-n, n - 1) if mode == 'raise' else (-n - 2, n + 2)
    idx = g.rng.integers(lo, hi + 1, g.choice([(), (2,), (3,), (2, 2)]))
    if mode == 'clip':
        idx = numpy.abs(idx)  # negative indices clip to 0 in NumPy (no wrap)
    return (a,), {'indices': idx, 'axis': axis, 'mode': mode}, (None,)


def _take_along(a, indices, axis):
    return np.take_along_axis(a, indices, axis=axis)


def _make_take_along(g):
    a = g.pick(lambda v: v.ndim > 0)
    s = g.values[a].shape
    axis = g.axis(len(s))
    shape = list(s)
    shape[axis] = g.int(1, 4)
    return (a,), {'indices': g.rng.integers(-s[axis], s[axis], shape), 'axis': axis}, (None,)


def _put_along(a, b, indices, axis):
    return np.put_along_axis(a, indices, b, axis=axis)


def _make_put_along(g):
    a = g.pick(lambda v: v.ndim > 0)
    s = g.values[a].shape
    axis = g.axis(len(s))
    k = g.int(1, s[axis])
    others = [m for i, m in enumerate(s) if i != axis % len(s)]
    perms = numpy.stack(
        [g.rng.permutation(s[axis])[:k] for _ in range(int(numpy.prod(others)))], axis=-1
    ).reshape((k,) + tuple(others))
    indices = numpy.moveaxis(perms, 0, axis % len(s))  # distinct along the axis
    b = g.pick(
        lambda v: (
            _shapes_broadcast(v.shape, indices.shape)
            and numpy.broadcast_shapes(v.shape, indices.shape) == indices.shape
        )
    )
    return (a, b), {'indices': indices, 'axis': axis}, (None, None)


def _choose(a, b, idx):
    return np.choose(idx, [a, b])


def _make_choose(g):
    a = g.pick()
    b = g.partner(g.values[a].shape)
    shape = numpy.broadcast_shapes(g.values[a].shape, g.values[b].shape)
    return (a, b), {'idx': g.rng.integers(0, 2, shape)}, (None, None)


def _compress(a, condition, axis):
    return np.compress(condition, a, axis=axis)


def _make_compress(g):
    a = g.pick(lambda v: v.ndim > 0)
    s = g.values[a].shape
    axis = g.choice([None, g.axis(len(s))])
    n = g.values[a].size if axis is None else s[axis]
    cond = g.rng.random(g.int(1, n)) < 0.6
    need(cond.any())
    return (a,), {'condition': cond, 'axis': axis}, (None,)


def _pick(a, index, axis, keepdims, mode):
    return npx.pick(a, index, axis=axis, keepdims=keepdims, mode=mode)


def _make_pick(g):
    a = g.pick(lambda v: v.ndim > 0)
    s = g.values[a].shape
    axis = g.axis(len(s))
    shape = tuple(k for i, k in enumerate(s) if i != axis % len(s))
    shape = tuple(1 if g.coin(0.2) else k for k in shape)
    mode = g.choice(['clip', 'wrap'])
    n = s[axis]
    idx = g.rng.integers(0, n, shape) if g.coin() else g.rng.integers(-n, 2 * n, shape)
    return (
        (a,),
        {
            'index': idx.astype(g.choice(['int64', 'float64'])),
            'axis': axis,
            'keepdims': g.coin(),
            'mode': mode,
        },
        (None,),
    )


def _embedding(w, idx):
    return npx.embedding(idx, w)


def _make_embedding(g):
    w = g.pick(lambda v: v.ndim == 2)
    n = g.values[w].shape[0]
    return (w,), {'idx': g.rng.integers(0, n, g.choice([(2,), (2, 2), ()]))}, (None,)


register('take', 'index', _take, _make_take)
register('take_along_axis', 'index', _take_along, _make_take_along)
register('put_along_axis', 'index', _put_along, _make_put_along)
register('choose', 'index', _choose, _make_choose)
register('compress', 'index', _compress, _make_compress)
register('pick', 'index', _pick, _make_pick)
register('embedding', 'index', _embedding, _make_embedding)


def _setitem(a, b, index, value, via):
    out = np.copy(a) if via == 'copy' else a * 1.0 if via == 'mul' else a + 0.0
    out[index] = b if value == 'array' else np.mean(b) if value == 'mean' else 0.75
    return out


def _make_setitem(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    kind = g.choice(['basic', 'basic', 'int', 'bool'])
    if kind == 'basic':
        index = _basic_index(g, v.shape)
    elif kind == 'int':
        axis = g.int(0, v.ndim - 1)
        idx = g.rng.permutation(v.shape[axis])[: g.int(1, v.shape[axis])]
        index = (slice(None),) * axis + (idx,)
    else:
        index = g.rng.random(v.shape) < 0.5
    target = numpy.zeros(v.shape)[index].shape
    need(int(numpy.prod(target)) > 0)
    value = g.choice(['array', 'array', 'mean', 'const'])
    b = (
        g.pick(
            lambda u: (
                _shapes_broadcast(u.shape, target)
                and numpy.broadcast_shapes(u.shape, target) == target
            )
        )
        if value == 'array'
        else g.pick()
    )
    return (
        (a, b),
        {'index': index, 'value': value, 'via': g.choice(['copy', 'mul', 'add'])},
        (None, None),
    )


def _inplace(a, b, op):
    out = a * 1.0
    if op == '+=':
        out += b
    elif op == '-=':
        out -= b
    elif op == '*=':
        out *= b
    else:
        out /= b
    return out


def _make_inplace(g):
    a = g.pick()
    b = g.partner(g.values[a].shape, into=True)
    op = g.choice(['+=', '-=', '*=', '/='])
    pre = fit(g, g.values[b], NONZERO) if op == '/=' else None
    return (a, b), {'op': op}, (None, pre)


register('setitem', 'assign', _setitem, _make_setitem)
register('inplace', 'assign', _inplace, _make_inplace)


# --- products -----------------------------------------------------------------------------


def _valid(fn, *shapes):
    try:
        out = fn(*[numpy.zeros(s) for s in shapes])
    except (ValueError, IndexError):
        return False
    return numpy.size(out) <= MAX_SIZE


def _product(a, b, kind, transpose_b):
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return {
        '@': lambda: a @ b,
        'matmul': lambda: np.matmul(a, b),
        'dot': lambda: np.dot(a, b),
        'a.dot': lambda: a.dot(b),
        'inner': lambda: np.inner(a, b),
        'outer': lambda: np.outer(a, b),
        'vdot': lambda: np.vdot(a, b),
        'kron': lambda: np.kron(a, b),
    }[kind]()


NUMPY_PRODUCTS = {
    '@': numpy.matmul,
    'matmul': numpy.matmul,
    'dot': numpy.dot,
    'a.dot': numpy.dot,
    'inner': numpy.inner,
    'outer': numpy.outer,
    'vdot': lambda a, b: (
        numpy.vdot(a, b)
        if a.size == b.size
        else numpy.zeros(a.size + b.size).reshape(1, -1) @ numpy.zeros(1)
    ),
    'kron': numpy.kron,
}


def _make_product(g):
    kind = g.choice(NUMPY_PRODUCTS)
    fn = NUMPY_PRODUCTS[kind]
    a = g.pick()
    sa = g.values[a].shape
    options = []
    for b, v in enumerate(g.values):
        for t in (False, True):
            if t and (v.ndim < 2 or kind in ('outer', 'vdot', 'kron')):
                continue
            sb = v.shape[:-2] + v.shape[-2:][::-1] if t else v.shape
            if _valid(fn, sa, sb):
                options.append((b, t))
    b, t = g.choice(options)
    return (a, b), {'kind': kind, 'transpose_b': t}, (None, None)


register('product', 'product', _product, _make_product)


def _tensordot(a, b, axes):
    return np.tensordot(a, b, axes=axes)


def _make_tensordot(g):
    a = g.pick()
    sa = g.values[a].shape
    b = g.pick()
    sb = g.values[b].shape
    if g.coin():
        k = g.int(0, min(2, len(sa), len(sb)))
        axes = k
    else:
        pairs = [(i, j) for i in range(len(sa)) for j in range(len(sb)) if sa[i] == sb[j]]
        chosen, used_i, used_j = [], set(), set()
        for i, j in (pairs[int(p)] for p in g.rng.permutation(len(pairs))):
            if i not in used_i and j not in used_j and len(chosen) < 2:
                chosen.append((i, j))
                used_i.add(i)
                used_j.add(j)
        axes = ([i for i, _ in chosen], [j for _, j in chosen])
    need(_valid(lambda x, y: numpy.tensordot(x, y, axes=axes), sa, sb))
    return (a, b), {'axes': axes}, (None, None)


register('tensordot', 'product', _tensordot, _make_tensordot)


def _einsum(*arrays, subscripts):
    return np.einsum(subscripts, *arrays)


def _make_einsum(g):
    a = g.pick()
    letters = iter('abcdefghijklmnopqrstuvwxyz')
    sizes = {}

    def label(shape, pool):
        out = []
        for n in shape:
            reuse = [c for c in pool if sizes[c] == n]
            if reuse and g.coin(0.4):
                c = g.choice(reuse)
            else:
                c = next(letters)
                sizes[c] = n
            out.append(c)
        return out

    la = label(g.values[a].shape, [])
    ops = (a,)
    terms = [la]
    for _ in range(g.choice([0, 1, 1, 2])):
        b = g.pick()
        terms.append(label(g.values[b].shape, list(dict.fromkeys(c for t in terms for c in t))))
        ops += (b,)
    every = list(dict.fromkeys(c for t in terms for c in t))
    if g.coin(0.2):
        subscripts = ','.join(''.join(t) for t in terms)  # implicit output
    elif g.coin(0.2) and all(t for t in terms):
        # '...' for the leading axes of every operand: they broadcast against each other
        lead = [g.int(0, len(t) - 1) for t in terms]
        shapes = [g.values[o].shape[:k] for o, k in zip(ops, lead)]
        need(
            all(_shapes_broadcast(shapes[0], sh) for sh in shapes)
            and _shapes_broadcast(numpy.broadcast_shapes(*shapes), ())
        )
        rest = [t[k:] for t, k in zip(terms, lead)]
        kept = list(dict.fromkeys(c for t in rest for c in t))
        out = [kept[int(i)] for i in g.rng.permutation(len(kept))[: g.int(0, len(kept))]]
        subscripts = ','.join('...' + ''.join(t) for t in rest) + '->...' + ''.join(out)
    else:
        out = [every[int(i)] for i in g.rng.permutation(len(every))[: g.int(0, len(every))]]
        subscripts = ','.join(''.join(t) for t in terms) + '->' + ''.join(out)
    need(_valid(lambda *x: numpy.einsum(subscripts, *x), *[g.values[o].shape for o in ops]))
    return ops, {'subscripts': subscripts}, (None,) * len(ops)


register('einsum', 'product', _einsum, _make_einsum)


def _batch_dot(a, b, transpose_a, transpose_b):
    return npx.batch_dot(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


def _make_batch_dot(g):
    a = g.pick(lambda v: v.ndim == 3)
    ta = g.coin()
    sa = g.values[a].shape
    options = [
        (b, tb)
        for b, v in enumerate(g.values)
        for tb in (False, True)
        if v.ndim == 3
        and _valid(
            numpy.matmul,
            sa[:1] + (sa[2:0:-1] if ta else sa[1:]),
            v.shape[:1] + (v.shape[2:0:-1] if tb else v.shape[1:]),
        )
    ]
    b, tb = g.choice(options)
    return (a, b), {'transpose_a': ta, 'transpose_b': tb}, (None, None)


def _multi_dot(a, form):
    at = np.swapaxes(a, -1, -2)
    return np.linalg.multi_dot([a, at, a] if form == 'aTa' else [at, a, at, a])


register('batch_dot', 'product', _batch_dot, _make_batch_dot)
register(
    'multi_dot',
    'product',
    _multi_dot,
    lambda g: ((g.pick(lambda v: v.ndim == 2),), {'form': g.choice(['aTa', 'tata'])}, (None,)),
)


# --- softmax and normalization ----------------------------------------------------------


def _softmax(a, kind, axis, temperature):
    return getattr(npx, kind)(a, axis=axis, temperature=temperature)


def _make_softmax(g):
    a = g.pick(lambda v: v.ndim > 0)
    return (
        (a,),
        {
            'kind': g.choice(['softmax', 'log_softmax']),
            'axis': g.axis(g.values[a].ndim),
            'temperature': g.choice([None, None, 0.5, 2.0]),
        },
        (None,),
    )


def _softmax_ce(a, label):
    return npx.softmax_cross_entropy(a, label)


def _make_softmax_ce(g):
    a = g.pick(lambda v: v.ndim == 2)
    n, k = g.values[a].shape
    return (a,), {'label': g.rng.integers(0, k, n)}, (None,)


def _affine_operands(g, n):
    """Operand positions for gamma and beta of shape (n,): values when some have that
    shape, else None (a constant)."""
    fits = lambda u: u.shape == (n,)  # noqa: E731
    has = any(fits(u) for u in g.values)
    return [g.pick(fits) if has and g.coin(0.7) else None for _ in range(2)]


def _with_affine(fn):
    """fn(x, gamma, beta, **params), with gamma/beta taken from the operands or consts."""

    def call(x, *arrays, slots, consts, **params):
        arrays = list(arrays)
        gamma, beta = (arrays.pop(0) if slot else const for slot, const in zip(slots, consts))
        return fn(x, gamma, beta, **params)

    return call


def _make_normalization(g, n, x, params):
    gamma, beta = _affine_operands(g, n)
    ops = (x,) + tuple(k for k in (gamma, beta) if k is not None)
    params.update(slots=(gamma is not None, beta is not None), consts=(g.normal(n), g.normal(n)))
    return ops, params, (None,) * len(ops)


def _make_layer_norm(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    axis = g.axis(v.ndim)
    n = v.shape[axis]
    need(n >= 2 and numpy.var(v, axis=axis).min() >= 1e-2)
    return _make_normalization(g, n, a, {'axis': axis})


def _make_batch_norm(g):
    x = g.pick(lambda v: v.ndim >= 2)
    c = g.values[x].shape[1]
    return _make_normalization(
        g,
        c,
        x,
        {'mean': g.normal(c), 'var': g.rng.uniform(0.5, 2, c).round(3), 'fix_gamma': g.coin(0.2)},
    )


def _layer_norm(x, gamma, beta, axis):
    return npx.layer_norm(x, gamma, beta, axis=axis)


def _batch_norm(x, gamma, beta, mean, var, fix_gamma):
    # (use_global_stats: the running statistics normalize, in every mode)
    return npx.batch_norm(
        x, gamma, beta, mean.copy(), var.copy(), use_global_stats=True, fix_gamma=fix_gamma
    )


def _sequence_mask(a, length, axis, value):
    return npx.sequence_mask(a, length, use_sequence_length=True, value=value, axis=axis)


def _make_sequence_mask(g):
    a = g.pick(lambda v: v.ndim >= 2)
    s = g.values[a].shape
    axis = g.choice([0, 1])
    return (
        (a,),
        {
            'length': g.rng.integers(0, s[axis] + 1, s[1 - axis]),
            'axis': axis,
            'value': g.choice([0.0, -1.5]),
        },
        (None,),
    )


register('softmax', 'nn', _softmax, _make_softmax)
register('softmax_cross_entropy', 'nn', _softmax_ce, _make_softmax_ce)
register('layer_norm', 'nn', _with_affine(_layer_norm), _make_layer_norm)
register('batch_norm', 'nn', _with_affine(_batch_norm), _make_batch_norm)
register('sequence_mask', 'nn', _sequence_mask, _make_sequence_mask)


# --- sorting ------------------------------------------------------------------------------


def _sort(a, kind, axis, k, ascend):
    if kind == 'sort':
        return np.sort(a, axis=axis)
    if kind == 'topk':
        return npx.topk(a, axis=axis, k=k, ret_typ='value', is_ascend=ascend)
    if kind == 'unique':
        return np.unique(a)
    if kind == 'argsort':
        return np.take_along_axis(a, np.argsort(a, axis=axis), axis=axis)
    return np.take_along_axis(a, np.expand_dims(np.argmax(a, axis=axis), axis), axis=axis)


def _make_sort(g):
    a = g.pick(lambda v: v.ndim > 0)
    v = g.values[a]
    kind = g.choice(['sort', 'sort', 'topk', 'argsort', 'argmax'])
    axis = g.axis(v.ndim)
    if kind == 'sort' and g.coin(0.2):
        axis = None
    need(tie_free(v, None if kind == 'unique' else axis))
    k = g.int(1, v.shape[axis]) if axis is not None else 1
    return (a,), {'kind': kind, 'axis': axis, 'k': k, 'ascend': g.coin()}, (None,)


register('sort', 'sort', _sort, _make_sort)


# --- linear algebra -----------------------------------------------------------------------


def _matrix(a, prep):
    """The matrix an op works on: `a` itself, or the first m*n entries of `a`."""
    if prep is None:
        return a
    m, n = prep
    return np.reshape(np.ravel(a)[: m * n], (m, n))


def _build(a, prep, kind, s, c):
    """A well-conditioned matrix of `kind` from `a`: ||s*M|| <= 0.45 plus a fixed part."""
    M = _matrix(a, prep) * s
    m, n = M.shape[-2:]
    if kind == 'general':
        return M + c * numpy.eye(n)
    if kind == 'spd':
        return M @ np.swapaxes(M, -1, -2) + c * numpy.eye(n)
    if kind == 'sym':  # eigenvalues near c, c + 1, c + 2: well apart
        return (M + np.swapaxes(M, -1, -2)) * 0.5 + numpy.diag(c + numpy.arange(n))
    E = numpy.zeros((m, n))  # singular values near 1, 2, 3
    E[range(min(m, n)), range(min(m, n))] = numpy.arange(1, min(m, n) + 1) * c
    return M + E


def _make_matrix(g, kind, square=True, tall=False, batch=True):
    """Operand, prep and constants for a matrix of `kind`."""

    def direct(v):
        if v.ndim < 2 or (v.ndim > 2 and not batch) or v.shape[-1] > 3 or v.shape[-2] > 3:
            return False
        m, n = v.shape[-2:]
        return (m == n) if square else (m >= n if tall else True)

    candidates = [i for i, v in enumerate(g.values) if direct(v)]
    if candidates and g.coin(0.7):
        a = g.pick(direct)
        prep = None
        M = g.values[a]
    else:
        a = g.pick(lambda v: v.size >= 4)
        size = g.values[a].size
        shapes = [(2, 2)] + ([(3, 3)] if size >= 9 else [])
        if not square:
            shapes += [(3, 2)] + ([(2, 3)] if not tall else [])
            shapes += [(3, 1), (2, 1)] + ([(1, 3)] if not tall else [])
        prep = g.choice([s for s in shapes if s[0] * s[1] <= size])
        M = g.values[a].ravel()[: prep[0] * prep[1]].reshape(prep)
    norms = numpy.sqrt((M * M).sum(axis=(-1, -2)))
    s = _r(min(0.45 / max(norms.max(), 1e-3), 3.0))
    c = {
        'general': g.choice([1.0, -1.2, 1.5]),
        'spd': g.choice([0.6, 1.0]),
        'sym': g.choice([-1.0, 0.5]),
        'rect': g.choice([1.0, -1.0]),
    }[kind]
    return a, {'prep': prep, 'build': kind, 's': s, 'c': c}


def linalg(name, fn, kind, extra=lambda g, params: {}, square=True, tall=False, batch=True):
    def make(g):
        a, params = _make_matrix(g, kind, square, tall, batch)
        params.update(extra(g, params))
        return (a,), params, (None,)

    register(name, 'linalg', fn, make)


def _lin(op):
    def fn(a, prep, build, s, c, **kw):
        return op(_build(a, prep, build, s, c), **kw)

    return fn


linalg('inv', _lin(np.linalg.inv), 'general')
linalg('det', _lin(np.linalg.det), 'general')


def _det_singular(a, prep, build, s, c):
    A = _build(a, prep, build, s, c)
    A = np.concatenate([A[..., :1, :], A[..., :-1, :]], axis=-2)  # row 0 twice
    return np.linalg.det(A)


def _make_det_singular(g):
    a, params = _make_matrix(g, 'general')
    n = params['prep'][0] if params['prep'] is not None else g.values[a].shape[-1]
    need(n >= 2 and allowed('det_singular'))
    return (a,), params, (None,)


register('det_singular', 'linalg', _det_singular, _make_det_singular)
linalg('slogdet', _lin(lambda A: (lambda r: r[1] + r[0])(np.linalg.slogdet(A))), 'general')
linalg(
    'matrix_power',
    _lin(lambda A, k: np.linalg.matrix_power(A, k)),
    'general',
    lambda g, p: {'k': g.choice([0, 1, 2, 3, -1, -2])},
)
linalg('pinv', _lin(np.linalg.pinv), 'rect', square=False)
linalg(
    'cholesky',
    _lin(lambda A, upper: np.linalg.cholesky(A, upper=upper)),
    'spd',
    lambda g, p: {'upper': g.coin()},
)
linalg('eigvalsh', _lin(np.linalg.eigvalsh), 'sym')
linalg('svdvals', _lin(np.linalg.svdvals), 'rect', square=False)


def _qr(A, part):
    if part == 'mode=r':
        return np.linalg.qr(A, mode='r')
    q, r = np.linalg.qr(A)
    return q if part == 'q' else r if part == 'r' else q * 2.0 + np.sum(r)


linalg(
    'qr',
    _lin(_qr),
    'rect',
    lambda g, p: {'part': g.choice(['q', 'r', 'both', 'mode=r'])},
    square=False,
    tall=True,
)


def _eigh(A, part):
    w, V = np.linalg.eigh(A)
    if part == 'w':
        return w
    if part == 'vv':  # invariant under the eigenvectors' signs
        return V * V
    return (V * np.sin(w)[..., None, :]) @ np.swapaxes(V, -1, -2)


linalg('eigh', _lin(_eigh), 'sym', lambda g, p: {'part': g.choice(['w', 'vv', 'f'])})


def _svd(A, part):
    if part == 's':
        return np.linalg.svd(A, compute_uv=False)
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    if part == 'uu':
        return u * u
    if part == 'vv':
        return vh * vh
    return (u * np.sin(s)[..., None, :]) @ vh


linalg(
    'svd',
    _lin(_svd),
    'rect',
    lambda g, p: {'part': g.choice(['s', 'uu', 'vv', 'usv'])},
    square=False,
)


def _matnorm(A, ord, kind):
    if kind == 'norm':
        return np.linalg.norm(A, ord=ord, axis=(-2, -1))
    return np.linalg.matrix_norm(A, ord=ord)


linalg(
    'matrix_norm',
    _lin(_matnorm),
    'rect',
    lambda g, p: {
        'ord': g.choice(['fro', 'nuc', 2, -2]),
        'kind': g.choice(['norm', 'matrix_norm']),
    },
    square=False,
)


def _make_abs_norm(g):
    a, params = _make_matrix(g, 'general')
    ord = g.choice([1, -1, math.inf, -math.inf])
    # the matrix as NumPy sees it, to keep away from kinks (zero entries, tied sums)
    M = (
        g.values[a]
        if params['prep'] is None
        else g.values[a].ravel()[: params['prep'][0] * params['prep'][1]].reshape(params['prep'])
    )
    A = M * params['s'] + params['c'] * numpy.eye(M.shape[-1])
    need(numpy.abs(A).min() >= KINK)
    sums = numpy.abs(A).sum(axis=-2 if ord in (1, -1) else -1)
    need(tie_free(sums, -1))
    params.update(ord=ord, kind=g.choice(['norm', 'matrix_norm']))
    return (a,), params, (None,)


register('matrix_norm_1inf', 'linalg', _lin(_matnorm), _make_abs_norm)


def _solve(a, b, prep, build, s, c, form):
    A = _build(a, prep, build, s, c)
    B = _matrix(a, prep) if b is None else b
    return np.linalg.solve(A, B)


def _make_solve(g):
    a, params = _make_matrix(g, 'general')
    n = params['prep'][0] if params['prep'] is not None else g.values[a].shape[-1]
    batch = () if params['prep'] is not None else g.values[a].shape[:-2]

    def ok(v):
        if v.ndim == 1 and not batch:
            return v.shape == (n,)
        if v.ndim < 2 or v.shape[-2] != n:
            return False
        return _shapes_broadcast(v.shape[:-2], batch)

    if any(ok(v) for v in g.values) and g.coin(0.7):
        b = g.pick(ok)
        return (a, b), {**params, 'form': 'b'}, (None, None)
    return (a,), {**params, 'form': 'self'}, (None,)


def _solve_call(a, b=None, **params):
    return _solve(a, b, **params)


register('solve', 'linalg', _solve_call, _make_solve)


def _lstsq(a, b, prep, build, s, c, const):
    A = _build(a, prep, build, s, c)
    return np.linalg.lstsq(A, const if b is None else b, rcond=None)[0]


def _make_lstsq(g):
    a, params = _make_matrix(g, 'rect', square=False, tall=True, batch=False)
    m = params['prep'][0] if params['prep'] is not None else g.values[a].shape[0]
    ok = lambda v: v.shape in ((m,), (m, 1), (m, 2))  # noqa: E731
    const = g.normal(g.choice([(m,), (m, 2)]))
    if any(ok(v) for v in g.values) and g.coin(0.6):
        return (a, g.pick(ok)), {**params, 'const': const}, (None, None)
    return (a,), {**params, 'const': const}, (None,)


def _lstsq_call(a, b=None, **params):
    return _lstsq(a, b, **params)


register('lstsq', 'linalg', _lstsq_call, _make_lstsq)

FAMILY_WEIGHTS = {
    'unary': 4,
    'binary': 3,
    'piecewise': 0.5,
    'where': 1,
    'reduction': 3,
    'cumulative': 1,
    'shape': 3,
    'join': 1.5,
    'split': 1,
    'index': 3,
    'assign': 1.5,
    'product': 2,
    'nn': 1.5,
    'sort': 1,
    'linalg': 2.5,
}
assert set(FAMILY_WEIGHTS) == set(FAMILIES), set(FAMILIES) ^ set(FAMILY_WEIGHTS)


# --- drawing a program --------------------------------------------------------------------

INPUT_SHAPES = [
    (),
    (),
    (1,),
    (2,),
    (3,),
    (4,),
    (1, 1),
    (1, 3),
    (3, 1),
    (2, 2),
    (2, 3),
    (3, 2),
    (3, 3),
    (1, 2, 3),
    (2, 1, 3),
    (2, 2, 2),
    (2, 3, 1),
    (1, 3, 3),
    (2, 2, 3),
]


def _draw_inputs(rng):
    n = int(rng.integers(1, 4))
    if rng.random() < 0.4:  # shapes that broadcast against each other
        base = INPUT_SHAPES[int(rng.integers(len(INPUT_SHAPES)))]
        shapes = [
            tuple(
                1 if rng.random() < 0.3 else k for k in base[int(rng.integers(0, len(base) + 1)) :]
            )
            for _ in range(n)
        ]
        shapes[0] = base
    else:
        shapes = [INPUT_SHAPES[int(rng.integers(len(INPUT_SHAPES)))] for _ in range(n)]
    while sum(int(numpy.prod(s)) for s in shapes) > MAX_INPUT_SIZE:
        shapes.pop()
    scale = (0.5, 1.5, 1.5, 3.0)[int(rng.integers(4))]
    return [numpy.round(rng.uniform(-scale, scale, s), 6) for s in shapes]


def _family_table():
    names = list(FAMILY_WEIGHTS)
    weights = numpy.array([FAMILY_WEIGHTS[f] for f in names], float)
    return names, weights / weights.sum()


FAMILY_NAMES, FAMILY_P = _family_table()
STATS = {}  # op name -> [drawn, kept, maker errors, forward errors]
ERRORS = {}  # op name -> the last forward error (see --stats)


def _check_value(value):
    need(value.dtype == numpy.float64 and value.size > 0 and value.size <= MAX_SIZE)
    need(numpy.isfinite(value).all() and numpy.abs(value).max() <= BOUND)


def generate(seed):
    """The program of `seed` (depends on nothing else)."""
    rng = numpy.random.default_rng(seed)
    inputs = _draw_inputs(rng)
    values = [x.copy() for x in inputs]
    origins = [None] * len(values)
    steps = []
    target = int(rng.integers(2, 7))
    for _ in range(25 * target):
        if len(steps) == target:
            break
        family = FAMILY_NAMES[int(rng.choice(len(FAMILY_NAMES), p=FAMILY_P))]
        op = OPS[FAMILIES[family][int(rng.integers(len(FAMILIES[family])))]]
        stat = STATS.setdefault(op.name, [0, 0, 0, 0])
        stat[0] += 1
        try:
            try:
                operands, params, pre = op.make(Gen(rng, values, origins))
            except (ValueError, IndexError, TypeError, ZeroDivisionError):
                stat[2] += 1  # the maker met values it does not handle: a Reject too
                raise Reject from None
            step = Step(op.name, tuple(operands), params, tuple(pre))
            try:
                with numpy.errstate(all='ignore'):
                    value = step(*[np.array(values[i]) for i in step.operands])
            except (ValueError, IndexError, TypeError, numpy.linalg.LinAlgError) as error:
                # a call the maker should not have drawn (`--stats` lists them)
                stat[3] += 1
                ERRORS[op.name] = f'{step.describe("")}: {error!r}'
                raise Reject from None
            value = numpy.array(value.asnumpy(), dtype=value.dtype)
            _check_value(value)
        except Reject:
            continue
        stat[1] += 1
        steps.append(step)
        values.append(value)
        origins.append(op.name)
    program = Program(seed, inputs, steps)
    out = program(*[np.array(x) for x in inputs]).asnumpy()
    if not steps or numpy.abs(out).max(initial=0) > BOUND:
        # nothing applied, or the sum overflowed: take the next stream of this seed
        return generate((seed, 1) if not isinstance(seed, tuple) else seed + (1,))
    return program


# --- checking a program -------------------------------------------------------------------


def _plain(f, xs):
    """f on plain (unrecorded) arrays, as float64 NumPy."""
    return numpy.asarray(f(*[np.array(x) for x in xs]).asnumpy(), numpy.float64)


def _numeric_jacobians(f, xs, y):
    """d f / d xs[i] by central differences: shape ``out.shape + xs[i].shape``."""
    jacs = []
    for i, x in enumerate(xs):
        cols = []
        for j in range(x.size):
            args = list(xs)
            plus, minus = x.copy(), x.copy()
            plus.flat[j] += EPS
            minus.flat[j] -= EPS
            args[i] = plus
            hi = _plain(f, args)
            args[i] = minus
            lo = _plain(f, args)
            cols.append((hi - lo) / (2 * EPS))
        jac = numpy.stack(cols, axis=-1) if cols else numpy.zeros(y.shape + (0,))
        jacs.append(jac.reshape(y.shape + x.shape))
    return jacs


def _directional(fn, xs, ts):
    """d/de fn(xs + e ts) at 0, by central differences; fn returns a tuple of arrays."""
    plus = fn(*[x + EPS * t for x, t in zip(xs, ts)])
    minus = fn(*[x - EPS * t for x, t in zip(xs, ts)])
    return [
        (numpy.asarray(p, numpy.float64) - numpy.asarray(m, numpy.float64)) / (2 * EPS)
        for p, m in zip(plus, minus)
    ]


def _contract(a, b, k):
    """Sum over the last k axes of `a` against the first k of `b` (works for k = 0)."""
    return numpy.tensordot(a, b, axes=k) if k else numpy.multiply.outer(a, b)


def _close(what, got, want):
    got = numpy.asarray(got.asnumpy() if hasattr(got, 'asnumpy') else got, numpy.float64)
    want = numpy.asarray(want, numpy.float64)
    if got.shape != want.shape:
        raise AssertionError(f'{what}: shape {got.shape}, expected {want.shape}')
    scale = 1 + numpy.abs(want).max(initial=0)
    bad = ~(numpy.abs(got - want) <= ATOL * scale + RTOL * numpy.abs(want))
    if bad.any():
        rows = '\n'.join(
            f'      at {tuple(int(k) for k in j)}: expected {want[tuple(j)]!r}, '
            f'got {got[tuple(j)]!r}'
            for j in numpy.argwhere(bad)[:4]
        )
        raise AssertionError(f'{what}: {int(bad.sum())} of {bad.size} entries differ\n{rows}')


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def check(program, salt=7):
    """Every way of differentiating `program`, to first and second order, against central
    differences. Raises AssertionError naming the first that disagrees."""
    f = program
    xs = [numpy.array(x, numpy.float64) for x in program.inputs]
    n = len(xs)
    argnums = tuple(range(n))
    rng = numpy.random.default_rng([zlib.crc32(str(program.seed).encode()), salt])
    y = _plain(f, xs)
    w = numpy.round(rng.standard_normal(y.shape), 3)
    ts = [rng.standard_normal(x.shape) for x in xs]
    norm = math.sqrt(sum((t * t).sum() for t in ts)) or 1.0
    ts = [t / norm for t in ts]
    loss = lambda *a: (f(*a) * w).sum()  # noqa: E731

    jacs = _numeric_jacobians(f, xs, y)
    grads = [_contract(w, j, y.ndim) for j in jacs]
    jt = sum(_contract(j, t, t.ndim) for j, t in zip(jacs, ts))

    # forward value under record() and first order
    variables = [np.array(x) for x in xs]
    for v in variables:
        v.attach_grad()
    with autograd.record():
        out = f(*variables)
        lo = (out * w).sum()
    _close('recorded forward value', out, y)
    if out._node is None:  # recorded nothing (matrix_power(a, 0)): a constant function
        for i, j in enumerate(jacs):
            _close(
                f'the output has no recorded history, so the derivative wrt input {i} '
                f'must be zero, but central differences',
                numpy.zeros(j.shape),
                j,
            )
        for i, g in enumerate(_tuple(func.grad(loss, argnums=argnums)(*xs))):
            _close(f'func.grad (no history): input {i}', g, grads[i])
        return
    if rng.random() < 0.5:
        lo.backward()
        how = 'loss.backward()'
    else:
        out.backward(np.array(w))
        how = 'y.backward(w)'
    for i, v in enumerate(variables):
        _close(f'{how}: grad of input {i}', v.grad, grads[i])
    with autograd.record():
        lo = loss(*variables)
    for i, g in enumerate(autograd.grad(lo, variables)):
        _close(f'autograd.grad: input {i}', g, grads[i])
    for i, g in enumerate(_tuple(func.grad(loss, argnums=argnums)(*xs))):
        _close(f'func.grad: input {i}', g, grads[i])
    _, vjp_fn = func.vjp(f, *xs)
    for i, g in enumerate(vjp_fn(w)):
        _close(f'func.vjp: input {i}', g, grads[i])
    for name, jac in (('jacrev', func.jacrev), ('jacfwd', func.jacfwd)):
        for i, j in enumerate(jac(f, argnums=argnums)(*xs)):
            _close(f'func.{name}: input {i}', j, jacs[i])
    _close('func.jvp', func.jvp(f, tuple(xs), tuple(ts))[1], jt)

    # second order, along ts
    gradient = func.grad(loss, argnums=argnums)
    ht = _directional(lambda *a: [numpy.asarray(g) for g in gradient(*a)], xs, ts)
    variables = [np.array(x) for x in xs]
    for v in variables:
        v.attach_grad()
    with autograd.record():
        lo = loss(*variables)
        gs = autograd.grad(lo, variables, create_graph=True)
        s = sum((g * t).sum() for g, t in zip(gs, ts))
    if s._node is None:  # linear in every input
        for i, h in enumerate(ht):
            _close(f'a program without second-order history: H t, input {i}', h * 0, h)
    else:
        s.backward()
        for i, v in enumerate(variables):
            _close(f'autograd.grad(create_graph=True) then backward: input {i}', v.grad, ht[i])
    gg = func.grad(
        lambda *a: sum((g * t).sum() for g, t in zip(gradient(*a), ts)), argnums=argnums
    )(*xs)
    for i, g in enumerate(_tuple(gg)):
        _close(f'func.grad of func.grad: input {i}', g, ht[i])
    for i, g in enumerate(func.hvp(loss, tuple(xs), tuple(ts))[1]):
        _close(f'func.hvp: input {i}', g, ht[i])
    hess = func.hessian(loss, argnums=argnums)(*xs)
    for i in range(n):
        got = sum(_contract(numpy.asarray(hess[i][j]), ts[j], ts[j].ndim) for j in range(n))
        _close(f'func.hessian: row {i}', got, ht[i])
    jvp_t = lambda *a: func.jvp(f, a, tuple(ts))[1]  # noqa: E731
    for i, j in enumerate(func.jacrev(jvp_t, argnums=argnums)(*xs)):
        _close(
            f'func.jacrev of func.jvp: input {i}, contracted with w',
            _contract(w, numpy.asarray(j), y.ndim),
            ht[i],
        )
    (d2,) = _directional(lambda *a: [numpy.asarray(jvp_t(*a))], xs, ts)
    _close('func.jvp of func.jvp', func.jvp(jvp_t, tuple(xs), tuple(ts))[1], d2)


def _isolate(program):
    """The ops of a failing program that also fail alone, on their operands' values."""
    values = [np.array(x) for x in program.inputs]
    for step in program.steps:
        values.append(step(*[values[i] for i in step.operands]))
    found = []
    for k, step in enumerate(program.steps):
        positions = list(dict.fromkeys(step.operands))
        alone = Step(
            step.op, tuple(positions.index(i) for i in step.operands), step.params, step.pre
        )
        single = Program(
            f'{program.seed}, op v{len(program.inputs) + k} alone',
            [values[i].asnumpy().copy() for i in positions],
            [alone],
        )
        try:
            check(single)
        except Exception as error:
            found.append(f'{single.describe()}\n    {_summary(error)}')
    return found


def _summary(error):
    if isinstance(error, AssertionError):
        return str(error)
    return (
        ''.join(traceback.format_exception_only(type(error), error)).strip()
        + '\n'
        + ''.join(traceback.format_tb(error.__traceback__)[-3:])
    )


def run_seed(seed):
    """None, or the report of `seed`'s failure."""
    program = generate(seed)
    try:
        check(program)
    except Exception as error:
        lines = [
            program.describe(),
            f'  FAILED: {_summary(error)}',
            f'  reproduce: NDGRAD_FUZZ_SEED={seed} pytest tests/engine/test_fuzz.py',
        ]
        try:
            alone = _isolate(program)
        except Exception as e:
            alone = [f'(isolating failed: {e!r})']
        lines += (
            ['  ops that fail alone:'] + [f'  {a}' for a in alone]
            if alone
            else ['  no op fails alone']
        )
        return '\n'.join(lines)
    return None


def _seeds():
    if os.environ.get('NDGRAD_FUZZ_SEED'):
        return [int(os.environ['NDGRAD_FUZZ_SEED'])]
    count = int(os.environ.get('NDGRAD_FUZZ', DEFAULT_PROGRAMS))
    start = int(os.environ.get('NDGRAD_FUZZ_START', 0))
    return range(start, start + count)


def test_random_programs_match_central_differences():
    seeds = _seeds()
    failures = []
    for seed in seeds:
        report = run_seed(seed)
        if report is not None:
            failures.append((seed, report))
            print(report, file=sys.stderr)
    if failures:
        head = '\n\n'.join(report for _, report in failures[:5])
        raise AssertionError(
            f'{len(failures)} of {len(seeds)} random programs failed (seeds '
            f'{[s for s, _ in failures]}):\n\n{head}'
        )


def test_every_family_draws_and_keeps_ops():
    """The table is live: over the default programs every family is drawn and kept."""
    kept = {}
    for seed in range(DEFAULT_PROGRAMS):
        for step in generate(seed).steps:
            kept[OPS[step.op].family] = kept.get(OPS[step.op].family, 0) + 1
    assert set(kept) == set(FAMILIES), set(FAMILIES) - set(kept)


@pytest.mark.parametrize('order', [1, 2])
def test_a_wrong_rule_fails_the_fuzz(monkeypatch, order):
    """The fuzz can fail: with np.tanh's vjp rule off by 1% (in plain backward passes for
    order 1, in recorded ones only for order 2; its jvp rule stays right), the first
    programs that use tanh fail."""
    prim = REGISTRY['tanh']
    rule = prim.vjps[0]

    def wrong(xp, g, ans, x):
        off = 1.01 if (xp is RAW) == (order == 1) else 1.0
        return rule(xp, g, ans, x) * off

    monkeypatch.setattr(prim, 'vjps', (wrong,))
    programs = (generate(seed) for seed in range(DEFAULT_PROGRAMS, 10 * DEFAULT_PROGRAMS))
    using = list(
        itertools.islice((p for p in programs if any(step.op == 'tanh' for step in p.steps)), 3)
    )
    assert using
    first = 'backward|autograd.grad|func.grad|func.vjp|func.jacrev'
    second = 'create_graph|func.grad of func.grad|func.hvp|func.hessian|jacrev of func.jvp'
    for program in using:
        with pytest.raises(AssertionError, match=first if order == 1 else second):
            check(program)


def _main(argv):
    if argv and argv[0] == '--stats':
        count = int(argv[1]) if len(argv) > 1 else 1000
        STATS.clear()
        start = time.perf_counter()
        for seed in range(count):
            generate(seed)
        print(f'{count} programs drawn in {time.perf_counter() - start:.1f}s')
        for name, (drawn, kept, errors, forward) in sorted(
            STATS.items(), key=lambda kv: OPS[kv[0]].family
        ):
            print(
                f'  {OPS[name].family:11s} {name:22s} drawn {drawn:6d}  kept {kept:6d}'
                f'  maker errors {errors}  forward errors {forward}'
            )
        for name, error in ERRORS.items():
            print(f'  forward error of {name}: {error}')
        missing = set(OPS) - {n for n, (_, k, _, _) in STATS.items() if k}
        print('never kept:', sorted(missing))
        return 0
    status = 0
    for arg in argv:
        report = run_seed(int(arg))
        print(report or f'{generate(int(arg)).describe()}\n  ok')
        status |= report is not None
    return status


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))

"""Cross-checking ndgrad against torch: one table row per op variant, compared in
float64 on random inputs for values, first derivatives (reverse mode, plain and
recorded), Hessian-vector products (reverse over reverse and forward over
reverse), forward-mode tangents and whole Jacobians (jacrev and jacfwd, whose
rules see batched cotangents and tangents).

    OPS = [Op('sin', np.sin, torch.sin, uniform((2, 3)))]

Inputs come from ``make(rng)``: a list of NumPy arrays. Float arrays are
differentiated (or those at ``wrt``); the others (indices, conditions) are
passed to both engines as they are (torch gets int64 or bool tensors).
"""

import dataclasses
from collections.abc import Callable, Sequence

import numpy

import ndgrad
from ndgrad import autograd, func

try:
    import torch
except ImportError:  # the tests that use this module skip without torch
    torch = None


# --- inputs ---------------------------------------------------------------------------


def uniform(*shapes, lo=-2.0, hi=2.0):
    """Inputs uniform in (lo, hi), one per shape; lo/hi may be per-input lists."""

    def make(rng):
        los = lo if isinstance(lo, (list, tuple)) else [lo] * len(shapes)
        his = hi if isinstance(hi, (list, tuple)) else [hi] * len(shapes)
        return [rng.uniform(a, b, size=s) for s, a, b in zip(shapes, los, his)]

    return make


def away_from_zero(*shapes, lo=0.3, hi=2.0):
    """Inputs with |x| in (lo, hi) and random signs (no kink at 0 nearby)."""

    def make(rng):
        return [rng.uniform(lo, hi, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]

    return make


def distinct(*shapes, spread=2.0):
    """Inputs whose entries are all distinct and at least 0.05 apart (no ties for
    max/min/sort/median)."""

    def make(rng):
        out = []
        for s in shapes:
            n = int(numpy.prod(s, dtype=int))
            values = (rng.permutation(n) + rng.uniform(0.05, 0.95, size=n)) / max(n, 1)
            out.append(((values - 0.5) * 2 * spread).reshape(s))
        return out

    return make


def then(make, *extra):
    """`make`'s inputs followed by fixed extra inputs (each a function of rng)."""

    def combined(rng):
        return list(make(rng)) + [e(rng) if callable(e) else numpy.asarray(e) for e in extra]

    return combined


# --- the table row --------------------------------------------------------------------


@dataclasses.dataclass
class Op:
    name: str
    nd: Callable  # on ndgrad arrays
    th: Callable  # on torch tensors
    make: Callable  # rng -> list of NumPy arrays
    wrt: Sequence[int] | None = None  # inputs to differentiate (default: float ones)
    order: int = 2  # 1: first derivatives only
    fwd: bool = True  # forward mode (jvp, hvp, jacfwd)
    jac: bool = True  # whole Jacobians on the first seed
    rtol: float = 1e-7
    atol: float = 1e-9
    seeds: Sequence[int] = (0, 1, 2)
    convention: str = ''  # a documented difference from torch's definition, if any

    def __str__(self):
        return self.name


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in _flat(item)]
    return [out]


def _np(value):
    if isinstance(value, ndgrad.ndarray):
        return value.asnumpy()
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy(force=True)
    return numpy.asarray(value)


def close(got, want, what, rtol=1e-7, atol=1e-9):
    got, want = _np(got), _np(want)
    assert got.shape == want.shape, f'{what}: shape {got.shape}, torch has {want.shape}'
    finite = want[numpy.isfinite(want)]
    scale = 1.0 + (numpy.max(numpy.abs(finite)) if finite.size else 0.0)
    numpy.testing.assert_allclose(
        got, want, rtol=rtol, atol=atol * scale, err_msg=what, equal_nan=True
    )


def _torch_inputs(xs, wrt):
    ts = [torch.tensor(x) for x in xs]
    for i in wrt:
        ts[i].requires_grad_(True)
    return ts


def _torch_grad(outputs, inputs, create_graph=False, retain_graph=None):
    """torch.autograd.grad with zeros where nothing flows."""
    live = [o for o in outputs if o.requires_grad]
    if not live:
        return [torch.zeros_like(x) for x in inputs]
    heads = torch.stack([o.sum() for o in live]).sum() if len(live) > 1 else live[0].sum()
    gs = torch.autograd.grad(
        heads,
        inputs,
        create_graph=create_graph,
        allow_unused=True,
        retain_graph=True if retain_graph is None else retain_graph,
    )
    return [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, gs)]


def _substitute(xs, wrt, values):
    args = list(xs)
    for i, v in zip(wrt, values):
        args[i] = v
    return args


def check(op, seed):
    """Every comparison of `op` on the inputs of `seed`."""
    rng = numpy.random.default_rng(seed)
    xs = [numpy.asarray(x) for x in op.make(rng)]
    wrt = (
        list(op.wrt) if op.wrt is not None else [i for i, x in enumerate(xs) if x.dtype.kind == 'f']
    )
    tag = f'{op.name} (seed {seed})'

    # values
    nd_out = _flat(op.nd(*[ndgrad.np.array(x) for x in xs]))
    tx = _torch_inputs(xs, wrt)
    th_out = _flat(op.th(*tx))
    assert len(nd_out) == len(th_out), f'{tag}: {len(nd_out)} outputs, torch {len(th_out)}'
    for k, (a, b) in enumerate(zip(nd_out, th_out)):
        close(a, b, f'{tag}: value of output {k}', op.rtol, op.atol)
    if not op.order:
        return
    floats = [k for k, o in enumerate(th_out) if o.dtype.is_floating_point]
    heads = {k: rng.standard_normal(tuple(th_out[k].shape)) for k in floats}

    # torch: gradient of sum(out * head), then its product with v
    t_in = [tx[i] for i in wrt]
    t_heads = [th_out[k] * torch.tensor(heads[k]) for k in floats]
    t_grad = _torch_grad(t_heads, t_in, create_graph=op.order > 1)
    vs = [rng.standard_normal(xs[i].shape) for i in wrt]

    # ndgrad, reverse mode, plain backward
    arrays = [ndgrad.np.array(x) for x in xs]
    for i in wrt:
        arrays[i].attach_grad()
    with autograd.record():
        outs = _flat(op.nd(*arrays))
    live = [k for k in floats if outs[k]._node is not None]
    if live:
        autograd.backward([outs[k] for k in live], [ndgrad.np.array(heads[k]) for k in live])
    for n, i in enumerate(wrt):
        close(
            arrays[i].grad, t_grad[n], f'{tag}: gradient of input {i} (backward)', op.rtol, op.atol
        )

    # ndgrad, reverse mode, recorded backward, then reverse again
    arrays = [ndgrad.np.array(x) for x in xs]
    for i in wrt:
        arrays[i].attach_grad()
    with autograd.record():
        outs = _flat(op.nd(*arrays))
        live = [k for k in floats if outs[k]._node is not None]
        if live:
            grads = autograd.grad(
                [outs[k] for k in live],
                [arrays[i] for i in wrt],
                head_grads=[ndgrad.np.array(heads[k]) for k in live],
                create_graph=True,
            )
        else:
            grads = [ndgrad.np.zeros(xs[i].shape, dtype=xs[i].dtype) for i in wrt]
        for n, i in enumerate(wrt):
            close(
                grads[n],
                t_grad[n],
                f'{tag}: gradient of input {i} (create_graph)',
                op.rtol,
                op.atol,
            )
        if op.order > 1:
            products = [g * ndgrad.np.array(v) for g, v in zip(grads, vs) if g._node is not None]
            s = sum(ndgrad.np.sum(p) for p in products) if products else None
    if op.order > 1:
        t_hvp = _torch_grad([g * torch.tensor(v) for g, v in zip(t_grad, vs)], t_in)
        if s is not None and s._node is not None:
            nd_hvp = autograd.grad(s, [arrays[i] for i in wrt])
        else:
            nd_hvp = [numpy.zeros(xs[i].shape) for i in wrt]
        for n, i in enumerate(wrt):
            close(
                nd_hvp[n],
                t_hvp[n],
                f'{tag}: Hessian-vector product, input {i} (reverse over reverse)',
                op.rtol,
                op.atol,
            )

    if op.fwd:
        _check_forward(
            op,
            xs,
            wrt,
            floats,
            heads,
            vs,
            t_hvp if op.order > 1 else None,
            rng,
            tag,
            jac=op.jac and seed == op.seeds[0],
        )


def _check_forward(op, xs, wrt, floats, heads, vs, t_hvp, rng, tag, jac):
    const_nd = [ndgrad.np.array(x) for x in xs]
    const_th = [torch.tensor(x) for x in xs]

    def f_nd(*w):
        outs = _flat(op.nd(*_substitute(const_nd, wrt, w)))
        return tuple(outs[k] for k in floats)

    def f_th(*w):
        outs = _flat(op.th(*_substitute(const_th, wrt, w)))
        return tuple(outs[k] for k in floats)

    primals = [xs[i] for i in wrt]
    tangents = [rng.standard_normal(x.shape) for x in primals]
    t_primals = tuple(torch.tensor(p) for p in primals)
    t_tangents = tuple(torch.tensor(t) for t in tangents)
    try:
        _, want = torch.func.jvp(f_th, t_primals, t_tangents)
    except (NotImplementedError, RuntimeError):  # no forward rule in torch: double backward
        _, want = torch.autograd.functional.jvp(f_th, t_primals, t_tangents)
    _, got = func.jvp(
        f_nd,
        tuple(ndgrad.np.array(p) for p in primals),
        tuple(ndgrad.np.array(t) for t in tangents),
    )
    for k, (a, b) in enumerate(zip(got, want)):
        close(a, b, f'{tag}: forward-mode tangent of output {floats[k]}', op.rtol, op.atol)

    if t_hvp is not None:

        def loss(*w):
            outs = f_nd(*w)
            return sum(ndgrad.np.sum(o * ndgrad.np.array(heads[k])) for o, k in zip(outs, floats))

        _, product = func.hvp(
            loss, tuple(ndgrad.np.array(p) for p in primals), tuple(ndgrad.np.array(v) for v in vs)
        )
        for n, i in enumerate(wrt):
            close(
                product[n],
                t_hvp[n],
                f'{tag}: Hessian-vector product, input {i} (forward over reverse, func.hvp)',
                op.rtol,
                op.atol,
            )

    if jac:
        want = _torch_jacobian(f_th, t_primals)
        argnums = tuple(range(len(primals)))
        args = [ndgrad.np.array(p) for p in primals]
        for mode, transform in (('jacrev', func.jacrev), ('jacfwd', func.jacfwd)):
            got = transform(f_nd, argnums=argnums)(*args)
            for k in range(len(floats)):
                for n in range(len(primals)):
                    close(
                        got[k][n],
                        want[k][n],
                        f'{tag}: {mode} block (output {floats[k]}, input {wrt[n]})',
                        op.rtol,
                        op.atol,
                    )


def _torch_jacobian(f, primals):
    """want[k][n]: d output k / d input n, of shape out.shape + in.shape (row by row,
    empty arrays included)."""
    inputs = [p.detach().clone().requires_grad_(True) for p in primals]
    outputs = f(*inputs)
    want = []
    for out in outputs:
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for e in range(flat.numel()):
            gs = (
                _torch_grad([flat[e]], inputs)
                if flat.requires_grad
                else [torch.zeros_like(x) for x in inputs]
            )
            for n, g in enumerate(gs):
                rows[n].append(g.detach())
        want.append(
            [
                torch.stack(r).reshape(tuple(out.shape) + tuple(x.shape))
                if r
                else torch.zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
                for r, x in zip(rows, inputs)
            ]
        )
    return want

"""Cross-check rows for signals, samples and polynomials (ndgrad/rules/signal.py), the NaN
statistics and linalg.cond: each ndgrad call and its torch equivalent."""

import numpy
import torch

from ndgrad import np
from tests.crosscheck.engines import Op, distinct, uniform

T = torch
F = torch.nn.functional


def _cut(full, n, m, mode, same_offset):
    if mode == 'full':
        return full
    short, long = min(n, m), max(n, m)
    start, length = (same_offset, long) if mode == 'same' else (short - 1, long - short + 1)
    return full[start : start + length]


def t_convolve(a, v, mode='full'):
    n, m = a.shape[0], v.shape[0]
    full = F.conv1d(a.view(1, 1, -1), v.flip(0).view(1, 1, -1), padding=m - 1).view(-1)
    return _cut(full, n, m, mode, (min(n, m) - 1) // 2)


def t_correlate(a, v, mode='valid'):
    n, m = a.shape[0], v.shape[0]
    full = F.conv1d(a.view(1, 1, -1), v.view(1, 1, -1), padding=m - 1).view(-1)
    short = min(n, m)
    return _cut(full, n, m, mode, (short - 1) // 2 if n >= m else short // 2)


XP = numpy.array([-1.6, -0.7, 0.1, 0.4, 1.3])


def t_interp(x, fp):
    xp = T.tensor(XP)
    lo = (T.searchsorted(xp, x.detach(), right=True) - 1).clamp(0, len(XP) - 2)
    x0, x1, f0, f1 = xp[lo], xp[lo + 1], fp[lo], fp[lo + 1]
    inside = f0 + (f1 - f0) / (x1 - x0) * (x - x0)
    return T.where(x < xp[0], fp[0], T.where(x > xp[-1], fp[-1], inside))


def t_polyval(p, x):
    y = T.zeros_like(x)
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return y


def t_vander(x):
    """(composed: torch.vander's backward writes a saved tensor in place, so it cannot
    be differentiated twice)"""
    return T.stack([x * x * x, x * x, x, T.ones_like(x)], -1)


def t_cond(a, p):
    """(composed for p other than 2: torch's backward there cannot be differentiated twice)"""
    if p in (None, 2, -2):
        return T.linalg.cond(a, p)
    return T.linalg.matrix_norm(a, p) * T.linalg.matrix_norm(T.linalg.inv(a), p)


X_FIT = numpy.linspace(-1.0, 1.0, 7)


def t_polyfit(y, deg):
    vander = T.vander(T.tensor(X_FIT), deg + 1)
    return T.linalg.lstsq(vander, y.unsqueeze(-1) if y.ndim == 1 else y).solution.squeeze(-1)


def _mask(x):
    return ~T.isnan(x)


def t_nanvar(x, dim=None, ddof=0):
    present = _mask(x)
    dims = tuple(range(x.ndim)) if dim is None else dim
    n = present.sum(dims, keepdim=True)
    mean = T.where(present, x, 0.0).sum(dims, keepdim=True) / n
    total = (T.where(present, x - mean, 0.0) ** 2).sum(dims)
    return total / (n.squeeze(dims) - ddof)


def with_nans(shape):
    """Distinct values with a NaN in each row but never a row of NaNs."""

    def make(rng):
        x = distinct(shape)(rng)[0]
        x[..., rng.integers(1, shape[-1])] = numpy.nan
        return [x]

    return make


def coordinates(field, n):
    """A field and increasing, well separated coordinates along its last axis."""

    def make(rng):
        return [rng.uniform(-2, 2, field), numpy.cumsum(rng.uniform(0.4, 1.0, n))]

    return make


def well_conditioned(shape):
    def make(rng):
        a = rng.uniform(-1, 1, shape)
        return [a + 2.5 * numpy.eye(shape[-1]) * numpy.arange(1, shape[-1] + 1) / shape[-1]]

    return make


SIGNAL = (
    [
        Op(
            f'{name}/{mode}',
            lambda a, v, f=f, mode=mode: f(a, v, mode),
            lambda a, v, t=t, mode=mode: t(a, v, mode),
            uniform((5,), (3,)),
        )
        for name, f, t in (
            ('convolve', np.convolve, t_convolve),
            ('correlate', np.correlate, t_correlate),
        )
        for mode in ('full', 'same', 'valid')
    ]
    + [
        Op(
            'convolve/longer-kernel',
            lambda a, v: np.convolve(a, v, 'same'),
            lambda a, v: t_convolve(a, v, 'same'),
            uniform((2,), (5,)),
        ),
        Op(
            'correlate/longer-kernel',
            lambda a, v: np.correlate(a, v, 'same'),
            lambda a, v: t_correlate(a, v, 'same'),
            uniform((2,), (5,)),
        ),
        Op(
            'interp',
            lambda x, fp: np.interp(x, XP, fp),
            t_interp,
            uniform((2, 4), (5,), lo=[-2.5, -2.0], hi=[2.5, 2.0]),
        ),
        Op(
            'trapezoid',
            lambda y, x: np.trapezoid(y, x),
            lambda y, x: T.trapezoid(y, x),
            uniform((2, 4), (4,)),
        ),
        Op(
            'trapezoid/dx-axis',
            lambda y: np.trapezoid(y, dx=0.3, axis=0),
            lambda y: T.trapezoid(y, dx=0.3, dim=0),
            uniform((3, 2)),
        ),
        Op(
            'gradient',
            lambda f: np.stack(np.gradient(f, 0.5)),
            lambda f: T.stack(T.gradient(f, spacing=0.5)),
            uniform((3, 4)),
        ),
        Op(
            'gradient/coordinates-edge2',
            lambda f, x: np.gradient(f, x, axis=-1, edge_order=2),
            lambda f, x: T.gradient(f, spacing=(x,), dim=-1, edge_order=2)[0],
            coordinates((2, 5), 5),
        ),
        Op(
            'cross',
            lambda a, b: np.cross(a, b),
            lambda a, b: T.linalg.cross(a, b.expand_as(a)),
            uniform((2, 3), (3,)),
        ),
        Op(
            'cross/axis',
            lambda a, b: np.cross(a, b, axis=0),
            lambda a, b: T.linalg.cross(a, b, dim=0),
            uniform((3, 2), (3, 2)),
        ),
        Op('polyval', lambda p, x: np.polyval(p, x), t_polyval, uniform((4,), (2, 3))),
        Op('vander', lambda x: np.vander(x, 4), t_vander, uniform((3,))),
        Op(
            'polyfit',
            lambda y: np.polyfit(X_FIT, y, 2),
            lambda y: t_polyfit(y, 2),
            uniform((7,)),
            rtol=1e-6,
        ),
        Op(
            'polyfit/columns',
            lambda y: np.polyfit(X_FIT, y, 3),
            lambda y: t_polyfit(y, 3),
            uniform((7, 2)),
            rtol=1e-6,
        ),
        Op('nanvar', lambda x: np.nanvar(x, axis=-1), lambda x: t_nanvar(x, -1), with_nans((2, 5))),
        Op(
            'nanvar/ddof',
            lambda x: np.nanvar(x, ddof=1),
            lambda x: t_nanvar(x, None, 1),
            with_nans((2, 4)),
        ),
        Op(
            'nanstd',
            lambda x: np.nanstd(x, axis=-1),
            lambda x: T.sqrt(t_nanvar(x, -1)),
            with_nans((2, 5)),
        ),
        Op(
            'nanprod',
            lambda x: np.nanprod(x, axis=-1),
            lambda x: T.where(T.isnan(x), 1.0, x).prod(-1),
            with_nans((2, 4)),
        ),
        Op(
            'nanmedian',
            lambda x: np.nanmedian(x, axis=-1),
            lambda x: T.nanquantile(x, 0.5, dim=-1),
            with_nans((3, 5)),
        ),
        Op(
            'nanquantile',
            lambda x: np.nanquantile(x, 0.3, axis=-1),
            lambda x: T.nanquantile(x, 0.3, dim=-1),
            with_nans((2, 6)),
        ),
        Op(
            'nanpercentile',
            lambda x: np.nanpercentile(x, 70.0, axis=-1),
            lambda x: T.nanquantile(x, 0.7, dim=-1),
            with_nans((2, 6)),
        ),
    ]
    + [
        Op(
            f'cond/p={p}',
            lambda a, p=p: np.linalg.cond(a, p),
            lambda a, p=p: t_cond(a, p),
            well_conditioned((3, 3)),
            rtol=1e-6,
        )
        for p in (None, -2, 'fro', 'nuc', 1, numpy.inf)
    ]
)

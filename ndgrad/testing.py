"""Checking derivatives against finite differences.

>>> from ndgrad import np
>>> from ndgrad.testing import check_grad
>>> check_grad(lambda x: np.sin(x) * x, [np.array([0.5, 1.0])], order=2)

`check_grad` compares reverse-mode Jacobians (computed as one batched pass, and
as a single vector-Jacobian product) and forward-mode Jacobians with central
differences in float64, then does the same for the derivative itself, up to
`order`.
"""

# mypy: no-warn-return-any
# (until the core is annotated, `wrap` and the engine return Any)
from collections.abc import Callable, Sequence
from typing import Any

import numpy
import numpy.typing

from . import _engine
from ._graph import Leaf
from ._ndarray import ndarray, wrap
from ._state import scope
from ._typing import ArrayLike

__all__ = ['assert_allclose', 'check_grad', 'numerical_jacobian']

Values = numpy.typing.NDArray[Any]
Function = Callable[..., ndarray]  # ndgrad arrays in, one ndgrad array out
Direction = Callable[[tuple[int, ...]], Values]


def assert_allclose(
    actual: ArrayLike,
    desired: ArrayLike,
    rtol: float = 1e-7,
    atol: float = 0,
    err_msg: str = '',
    equal_nan: bool = True,
) -> None:
    """`numpy.testing.assert_allclose` that also accepts ndgrad arrays.

    >>> assert_allclose(np.array([1., 2.]), [1., 2.000000001])
    """
    numpy.testing.assert_allclose(
        numpy.asarray(actual),
        numpy.asarray(desired),
        rtol=rtol,
        atol=atol,
        err_msg=err_msg,
        equal_nan=equal_nan,
    )


def _leaf(value: ArrayLike) -> ndarray:
    data = numpy.asarray(value._data if isinstance(value, ndarray) else value)
    return wrap(data, Leaf(data.shape, data.dtype, None, 'write'))


def _call(f: Function, xs: Sequence[ndarray]) -> ndarray:
    with scope(True):
        out = f(*xs)
    if not isinstance(out, ndarray):
        raise TypeError(f'check_grad: f must return one ndgrad array, got {type(out).__name__}')
    return out


def _value(x: ArrayLike) -> Values:
    return x._data if isinstance(x, ndarray) else numpy.asarray(x)


def numerical_jacobian(f: Function, xs: Sequence[ArrayLike], i: int, eps: float = 1e-6) -> Values:
    """d f / d xs[i] by central differences: shape ``out.shape + xs[i].shape``.

    >>> numerical_jacobian(lambda x: x ** 2, [np.array([1., 2.])], 0).round(6)
    array([[2., 0.],
           [0., 4.]])
    """
    points = [numpy.array(_value(x), dtype=numpy.float64) for x in xs]
    base = points[i]
    columns: list[Values] = []
    for j in range(base.size):
        plus, minus = base.copy(), base.copy()
        plus.flat[j] += eps
        minus.flat[j] -= eps
        hi = _value(f(*[wrap(plus) if k == i else wrap(x) for k, x in enumerate(points)]))
        lo = _value(f(*[wrap(minus) if k == i else wrap(x) for k, x in enumerate(points)]))
        columns.append((numpy.asarray(hi, numpy.float64) - lo) / (2 * eps))
    out_shape = numpy.shape(columns[0]) if columns else numpy.shape(_value(f(*map(wrap, points))))
    jac = numpy.stack(columns, axis=-1) if columns else numpy.zeros(out_shape + (0,))
    return jac.reshape(out_shape + base.shape)


def _reverse_jacobian(f: Function, xs: Sequence[ArrayLike], i: int) -> Values:
    leaves = [_leaf(x) for x in xs]
    out = _call(f, leaves)
    if out._node is None:
        return numpy.zeros(out.shape + leaves[i].shape)
    m = out.size
    seeds = numpy.eye(m, dtype=out.dtype).reshape((m,) + out.shape)
    (g,) = _engine.backward([out], [seeds], [leaves[i]._node], nbatch=1)
    if g is None:
        return numpy.zeros(out.shape + leaves[i].shape)
    return numpy.asarray(_value(g)).reshape(out.shape + leaves[i].shape)


def _single_vjp(f: Function, xs: Sequence[ArrayLike], i: int, u: Values) -> Values:
    leaves = [_leaf(x) for x in xs]
    out = _call(f, leaves)
    if out._node is None:
        return numpy.zeros(leaves[i].shape)
    (g,) = _engine.backward([out], [u.astype(out.dtype)], [leaves[i]._node])
    return numpy.zeros(leaves[i].shape) if g is None else numpy.asarray(_value(g))


def _forward_jacobian(f: Function, xs: Sequence[ArrayLike], i: int) -> Values:
    leaves = [_leaf(x) for x in xs]
    out = _call(f, leaves)
    if out._node is None:
        return numpy.zeros(out.shape + leaves[i].shape)
    n = leaves[i].size
    seeds = numpy.eye(n, dtype=leaves[i].dtype).reshape((n,) + leaves[i].shape)
    (t,) = _engine.push_tangents([out._node], {leaves[i]._node: seeds}, nbatch=1)
    if t is None:
        return numpy.zeros(out.shape + leaves[i].shape)
    t = numpy.asarray(_value(t)).reshape((n,) + out.shape)
    return numpy.moveaxis(t, 0, -1).reshape(out.shape + leaves[i].shape)


def _fixed_direction(seed: int) -> Direction:
    """A random direction per shape that stays the same at every call."""
    return lambda shape: numpy.random.default_rng(seed).standard_normal(shape)


def _derivative_fn(f: Function, i: int, mode: str, direction: Direction) -> Function:
    """x -> (J^T u) or (J v): a differentiable function of the inputs, for the next order."""

    def derivative(*values: ArrayLike) -> ndarray:
        xs = [x if isinstance(x, ndarray) and x._node is not None else _leaf(x) for x in values]
        out = _call(f, xs)
        if out._node is None:
            return wrap(numpy.zeros(xs[i].shape if mode == 'rev' else out.shape))
        if mode == 'rev':
            u = wrap(direction(out.shape).astype(out.dtype))
            (g,) = _engine.backward([out], [u], [xs[i]._node], create_graph=True, retain_graph=True)
            return g if g is not None else wrap(numpy.zeros(xs[i].shape, xs[i].dtype))
        v = wrap(direction(xs[i].shape).astype(xs[i].dtype))
        (t,) = _engine.push_tangents([out._node], {xs[i]._node: v}, create_graph=True)
        return t if t is not None else wrap(numpy.zeros(out.shape, out.dtype))

    return derivative


def _compare(
    name: str, actual: ArrayLike, expected: Values, rtol: float, atol: float, where: str
) -> None:
    got = numpy.asarray(actual, dtype=numpy.float64)
    if got.shape != expected.shape:
        raise AssertionError(f'{where}: {name} has shape {got.shape}, expected {expected.shape}')
    bad = ~numpy.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        idx = [tuple(int(k) for k in i) for i in numpy.argwhere(bad)[:5]]
        rows = '\n'.join(f'    at {j}: expected {expected[j]!r}, got {got[j]!r}' for j in idx)
        raise AssertionError(
            f'{where}: {name} differs from central differences in {int(bad.sum())} of '
            f'{bad.size} entries (rtol={rtol}, atol={atol}):\n{rows}'
        )


def check_grad(
    f: Function,
    inputs: Sequence[ArrayLike],
    order: int = 2,
    modes: Sequence[str] = ('rev', 'fwd'),
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    wrt: Sequence[int] | None = None,
    seed: int = 0,
) -> None:
    """Assert that the derivatives of `f` match central differences, up to `order`.

    `f` takes ndgrad arrays and returns one array. `inputs` are promoted to
    float64 first. `wrt` lists the input positions to check (default: all).
    Raises AssertionError naming the input, the order and mode, and the entries.

    >>> check_grad(lambda x, y: np.dot(x, y) ** 2, [np.ones(3), np.arange(3.)], order=3)
    """
    rng = numpy.random.default_rng(seed)
    points = [numpy.array(_value(x), dtype=numpy.float64) for x in inputs]
    positions = range(len(points)) if wrt is None else wrt
    for mode in modes:
        if mode not in ('rev', 'fwd'):
            raise ValueError(f"modes may contain 'rev' and 'fwd', not {mode!r}")
    fn = f
    for k in range(1, order + 1):
        for i in positions:
            expected = numerical_jacobian(fn, points, i, eps)
            where = f'input {i}, order {k}'
            if 'rev' in modes:
                _compare(
                    'reverse-mode Jacobian',
                    _reverse_jacobian(fn, points, i),
                    expected,
                    rtol,
                    atol,
                    where,
                )
                u = rng.standard_normal(expected.shape[: expected.ndim - points[i].ndim])
                single = _single_vjp(fn, points, i, u)
                batched = numpy.tensordot(u, expected, axes=u.ndim) if u.ndim else u * expected
                _compare('vector-Jacobian product', single, batched, rtol, atol, where)
            if 'fwd' in modes:
                _compare(
                    'forward-mode Jacobian',
                    _forward_jacobian(fn, points, i),
                    expected,
                    rtol,
                    atol,
                    where,
                )
        if k < order:
            mode = 'rev' if 'rev' in modes else 'fwd'
            i = positions[0] if isinstance(positions, (list, tuple)) else 0
            fn = _derivative_fn(fn, i, mode, _fixed_direction(seed + k))

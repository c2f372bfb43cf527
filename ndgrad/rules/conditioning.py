"""How well-posed a matrix is: `linalg.cond` (differentiable) and `linalg.matrix_rank` (an
integer: no derivative).

>>> np.linalg.cond(np.array([[2., 0.], [0., 0.5]]))
array(4.)
"""

import numpy

from .._ndarray import ndarray, wrap
from .._primitive import REC as P, composite, op
from .linalg import norm

op('matrix_rank', numpy.linalg.matrix_rank, differentiable=False, export='linalg')


@composite(export='linalg')
def cond(x, p=None):
    """The condition number of `x` (a matrix or a stack of them) in the norm `p`: None,
    2 or -2 (ratios of singular values), 'fro', 'nuc', 1, -1, inf or -inf (the norm of
    `x` times that of its inverse, square matrices). Differentiable where the norms are
    (distinct extreme singular values for 2 and -2); a singular matrix gives inf, a
    constant, as in NumPy.

    >>> np.linalg.cond(np.array([[1., 1.], [0., 1.]]), 'fro')
    array(3.)
    """
    a = x if type(x) is ndarray else numpy.asarray(x)
    if a.ndim < 2:
        raise numpy.linalg.LinAlgError(
            f'{a.ndim}-dimensional array given. Array must be at least two-dimensional'
        )
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        raise numpy.linalg.LinAlgError('cond is not defined on empty arrays')
    if p is None or p in (2, -2):
        s = P.svdvals(a)
        big, small = s[..., 0], s[..., -1]
        if numpy.any(numpy.asarray(small) == 0):
            return wrap(numpy.asarray(numpy.linalg.cond(_values(a), p)))
        return small / big if p == -2 else big / small
    if p not in ('fro', 'nuc', 1, -1, numpy.inf, -numpy.inf):
        raise ValueError(
            f"np.linalg.cond: p must be None, 2, -2, 1, -1, inf, -inf, 'fro' or 'nuc'; got {p!r}"
        )
    if a.shape[-1] != a.shape[-2]:
        raise numpy.linalg.LinAlgError('Last 2 dimensions of the array must be square')
    values = _values(a)
    try:
        numpy.linalg.inv(values)
    except numpy.linalg.LinAlgError:  # singular: NumPy's inf (or nan), a constant
        return wrap(numpy.asarray(numpy.linalg.cond(values, p)))
    return norm(a, p, axis=(-2, -1)) * norm(P.inv(a), p, axis=(-2, -1))


def _values(a):
    return a._data if type(a) is ndarray else a

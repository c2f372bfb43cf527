"""Non-differentiable primitives: array creation, comparisons, logic, integer results.

Their outputs never carry a gradient. Rules use them through ``xp`` too.
"""
import numpy

from .._primitive import op

for _name in ('zeros', 'ones', 'full', 'empty', 'zeros_like', 'ones_like', 'full_like',
              'empty_like', 'arange', 'linspace', 'logspace', 'geomspace', 'eye', 'identity',
              'tri', 'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal',
              'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'isnan', 'isinf',
              'isfinite', 'isposinf', 'isneginf', 'signbit', 'argmax', 'argmin', 'argsort',
              'all', 'any', 'count_nonzero', 'nonzero', 'flatnonzero', 'argwhere',
              'searchsorted', 'array_equal', 'allclose', 'isclose', 'bitwise_and',
              'bitwise_or', 'bitwise_xor', 'invert', 'left_shift', 'right_shift',
              'tril_indices', 'triu_indices', 'diag_indices', 'indices', 'unravel_index',
              'ravel_multi_index', 'gcd', 'lcm', 'bincount', 'digitize', 'histogram'):
    op(_name, getattr(numpy, _name), differentiable=False)

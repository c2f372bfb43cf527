"""Einstein summation: one primitive whose derivative rules are einsums.

The primitive takes explicit subscripts without '...' ('ab,bc->ac'); the public
`einsum` writes the user's subscripts that way (ellipses become letters). The
VJP for operand i is an einsum of g with the other operands into operand i's
subscripts (identity matrices restore repeated indices, ones the indices summed
in operand i alone); rules name the batch axes of g or t with unused letters.

>>> a, b = np.eye(2), np.array([[1., 2.], [3., 4.]])
>>> np.einsum('ij,jk->ik', a, b)     # a @ b
array([[1., 2.],
       [3., 4.]])
"""

import functools
import string

import numpy

from .._primitive import REC as P, composite, op
from ._matrix import shape_of
from ._util import PerInput, no_out

LABELS = string.ascii_uppercase + string.ascii_lowercase  # sublist labels 0..51


def _einsum(*operands, subscripts, optimize=False):
    return numpy.einsum(subscripts, *operands, optimize=optimize)


def _parse(subscripts):
    inputs, output = subscripts.split('->')
    return inputs.split(','), output


def _fresh(subscripts, count):
    free = [c for c in LABELS if c not in subscripts]
    if count > len(free):
        raise ValueError('einsum: too many dimensions for the 52 available subscript letters')
    return free[:count]


def einsum_vjp(i):
    def vjp(xp, g, ans, *operands, subscripts, optimize=False):
        inputs, output = _parse(subscripts)
        x, target = operands[i], inputs[i]
        batch = ''.join(_fresh(subscripts, g.ndim - len(ans.shape)))
        extra = iter(_fresh(subscripts + batch, len(target)))
        terms = [batch + output] + [s for k, s in enumerate(inputs) if k != i]
        arrays = [g] + [op for k, op in enumerate(operands) if k != i]
        present = set(''.join(terms))
        result, seen = '', set()
        for letter, size in zip(target, x.shape):
            if letter in seen:  # a repeated index: the gradient lives on a diagonal
                new = next(extra)
                terms.append(letter + new)
                arrays.append(numpy.eye(size, dtype=g.dtype))
                result += new
                continue
            seen.add(letter)
            if letter not in present and target.count(letter) == 1:
                terms.append(letter)  # summed in x alone: the gradient is constant along it
                arrays.append(numpy.ones(size, dtype=g.dtype))
            result += letter
        return xp.einsum(
            *arrays, subscripts=','.join(terms) + '->' + batch + result, optimize=optimize
        )

    return vjp


def einsum_jvp(i):
    def jvp(xp, t, ans, *operands, subscripts, optimize=False):
        inputs, output = _parse(subscripts)
        batch = ''.join(_fresh(subscripts, t.ndim - operands[i].ndim))
        terms = [batch + s if k == i else s for k, s in enumerate(inputs)]
        arrays = [t if k == i else op for k, op in enumerate(operands)]
        return xp.einsum(
            *arrays, subscripts=','.join(terms) + '->' + batch + output, optimize=optimize
        )

    return jvp


op('einsum', _einsum, PerInput(einsum_vjp), PerInput(einsum_jvp), export=None)


def _sublists(args):
    """``einsum(op0, sublist0, op1, sublist1, ..., [out])`` as subscripts and operands."""
    operands, sublists = list(args[0::2]), list(args[1::2])
    output = None
    if len(args) % 2:
        output = operands.pop()

    def letters(sublist):
        out = ''
        for label in sublist:
            if label is Ellipsis:
                out += '...'
            elif isinstance(label, (int, numpy.integer)) and 0 <= label < len(LABELS):
                out += LABELS[label]
            else:
                raise ValueError(
                    f'einsum: subscript labels must be integers in [0, 52) '
                    f'or Ellipsis, got {label!r}'
                )
        return out

    subscripts = ','.join(letters(s) for s in sublists)
    if output is not None:
        subscripts += '->' + letters(output)
    return subscripts, operands


@functools.lru_cache(maxsize=512)
def _explicit(subscripts, shapes):
    """`subscripts` with '...' replaced by letters and the output written out."""
    subscripts = subscripts.replace(' ', '')
    inputs, arrow, output = subscripts.partition('->')
    terms = inputs.split(',')
    if len(terms) != len(shapes):
        raise ValueError(
            f'einsum: the subscripts name {len(terms)} operands but {len(shapes)} were given'
        )
    for term in terms + [output]:
        letters = term.replace('...', '', 1)
        if not all(c in LABELS for c in letters):
            raise ValueError(
                f'einsum: invalid subscripts {term!r}: use letters a-z, A-Z '
                f"and at most one '...' per operand"
            )
    counts = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace('...', ''))
        if ('...' in term and named > len(shape)) or ('...' not in term and named != len(shape)):
            raise ValueError(
                f'einsum: operand with subscripts {term!r} has {len(shape)} dimensions'
            )
        counts.append(len(shape) - named)
    ellipsis = ''.join(_fresh(subscripts, max(counts, default=0)))
    terms = [t.replace('...', ellipsis[len(ellipsis) - n :]) for t, n in zip(terms, counts)]
    if not arrow:
        letters = ''.join(terms)
        output = ellipsis + ''.join(
            sorted(c for c in set(letters) - set(ellipsis) if letters.count(c) == 1)
        )
    elif '...' in output:
        output = output.replace('...', ellipsis)
    elif ellipsis:
        raise ValueError(
            'einsum: output has more dimensions than subscripts given in '
            "einstein sum, but no '...' ellipsis provided to broadcast the "
            'extra dimensions.'
        )
    return ','.join(terms) + '->' + output


@composite()
def einsum(*operands, out=None, optimize=False):
    """Einstein summation, differentiable in every operand.

    >>> a, b = np.array([[2., 1.], [1., 2.]]), np.array([[1., 2.], [3., 4.]])
    >>> np.einsum('ij,jk->ik', a, b)   # a @ b
    array([[ 5.,  8.],
           [ 7., 10.]])
    >>> np.einsum('ii', a)             # trace
    array(4.)
    """
    no_out(out, 'einsum')
    if operands and isinstance(operands[0], str):
        subscripts, operands = operands[0], operands[1:]
    else:
        subscripts, operands = _sublists(operands)
    subscripts = _explicit(subscripts, tuple([shape_of(x) for x in operands]))
    return P.einsum(*operands, subscripts=subscripts, optimize=optimize)

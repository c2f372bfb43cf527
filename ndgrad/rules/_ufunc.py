"""NumPy's ufunc keywords on the elementwise ops: ``where=``, ``out=``, ``dtype=``.

``np.add(x, 1, where=mask)`` computes the op only where `mask` holds. NumPy leaves
the other entries uninitialised unless ``out=`` is given; ndgrad sets them to 0.
Either way (0, or the values of a NumPy ``out=`` array) they are constants: they get
no gradient, to every order and in both modes, and the derivative rules never see
their inputs (``np.log(x, where=x > 0)`` has a finite gradient where ``x <= 0``).

>>> x = np.array([1., 2., 3.]); x.attach_grad()
>>> with autograd.record():
...     y = np.multiply(x, x, where=numpy.array([True, False, True]))
>>> y.backward(); y, x.grad
(array([1., 0., 9.]), array([2., 0., 6.]))

A call with keywords runs the op's twin (`Primitive.keyed`): the same op, whose
kernel fills the unselected entries and whose rules mask them.
"""

import numpy

from .._graph import Meta
from .._ndarray import ndarray, raw
from .._primitive import Primitive, identity


def install(registry):
    """Give every elementwise ufunc op of `registry` its twin for keyword calls."""
    for prim in registry.values():
        fn = prim.fn
        if isinstance(fn, numpy.ufunc) and fn.signature is None and fn.nout == 1:
            prim.keyed = _twin(prim)


def _twin(prim):
    """`prim` with NumPy's keywords: a kernel that fills, rules that mask."""
    vjps = jvps = None
    if prim.vjps is not None:
        vjps = tuple(None if r is None else _masked_vjp(r) for r in prim.vjps)
    if prim.jvps is not None:
        jvps = tuple(None if r is None else _masked_jvp(r, i) for i, r in enumerate(prim.jvps))
    twin = Primitive(prim.name, _filled(prim.fn), vjps, jvps, arrays=prim.arrays)
    twin.save_inputs, twin.save_output = prim.save_inputs, prim.save_output
    twin.__doc__ = prim.__doc__
    return twin


def _filled(ufunc):
    """`ufunc`, with 0 where a ``where=`` mask does not hold and no ``out=`` is given."""

    def kernel(*args, out=None, where=True, **kwargs):
        where = raw(where)
        if out is not None:
            return ufunc(*args, out=out, where=where, **kwargs)
        result = ufunc(*args, out=None, where=where, **kwargs)
        if where is not True:
            result = numpy.asarray(result)
            numpy.copyto(result, 0, casting='unsafe', where=numpy.logical_not(where))
        return result

    kernel.__name__ = ufunc.__name__
    return kernel


def _selection(where, ans):
    """The mask broadcast to the output's shape, and the flat index of one selected
    entry (None where none is)."""
    mask = numpy.broadcast_to(numpy.asarray(raw(where), dtype=bool), ans.shape)
    j = int(numpy.argmax(mask))
    return mask, (j if mask.flat[j] else None)


def _at_selected(xp, mask, j, value):
    """`value` (an input or the output) in the output's shape, its unselected entries
    replaced by its entry at the selected position `j`: a point where the rules are
    known to be evaluated, so they give no inf or NaN that masking would turn into NaN
    at the next order. Shape stand-ins take the output's shape; numbers stay."""
    if isinstance(value, Meta):
        return Meta(mask.shape, value.dtype)
    if not isinstance(value, (ndarray, numpy.ndarray)):
        return value
    constant = numpy.broadcast_to(raw(value), mask.shape).flat[j]
    return xp.where(mask, value, constant)


def _masked_vjp(rule):
    """The vjp `rule` of an op called with ``where=``: its value where the mask holds,
    0 elsewhere (as the unselected outputs are constants)."""

    def vjp(xp, g, ans, *args, where=True, **_):
        if where is True:
            return g if rule is identity else rule(xp, g, ans, *args)
        return _masked(rule, xp, g, ans, args, where)

    return vjp


def _masked_jvp(rule, i):
    """The jvp `rule` (for input `i`) of an op called with ``where=``: the tangent's
    batch axes are put in front of all the output's axes (the rule then sees inputs of
    the output's shape), and the result is masked as in `_masked_vjp`."""

    def jvp(xp, t, ans, *args, where=True, **_):
        if where is True:
            return t if rule is identity else rule(xp, t, ans, *args)
        ndim = args[i].ndim
        missing = len(ans.shape) - ndim
        if missing > 0:
            nb = t.ndim - ndim
            t = xp.reshape(t, t.shape[:nb] + (1,) * missing + t.shape[nb:])
        return _masked(rule, xp, t, ans, args, where)

    return jvp


def _masked(rule, xp, s, ans, args, where):
    """`rule` applied to the cotangent or tangent `s` where the mask `where` holds, 0
    elsewhere (None where it holds nowhere)."""
    mask, j = _selection(where, ans)
    if j is None:
        return None
    if rule is not identity:
        args = [_at_selected(xp, mask, j, a) for a in args]
        s = rule(xp, s, _at_selected(xp, mask, j, ans), *args)
    return xp.where(mask, s, 0)

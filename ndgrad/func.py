"""Function transforms: derivatives as functions, composable to any order.

>>> from ndgrad import func, np
>>> f = lambda x: (x ** 3).sum()
>>> func.grad(f)(np.array([1., 2.]))
array([ 3., 12.])
>>> func.grad(func.grad(lambda x: x ** 3))(2.)
np.float64(12.0)

Arguments may be ndgrad arrays, NumPy arrays, Python floats, or nested
tuples/lists/dicts of them; derivatives come back in the same structure, in
each argument's float dtype. Every transform records `f` once and runs one
engine pass per output (reverse) or per input (forward): Jacobians push a whole
identity matrix of cotangents or tangents through the graph in that one pass.

NumPy in, NumPy out: when every differentiated argument is a NumPy array or a
Python number, results (derivatives, values, aux arrays) are NumPy arrays, and
0-d results NumPy scalars, so the transforms plug into SciPy and other NumPy
code. When any differentiated argument is an ndgrad array, results are ndgrad
arrays, so transforms compose. A result that carries recorded history (inside
another transform or ``record()``, where it may be differentiated again) stays
an ndgrad array either way.

>>> import numpy
>>> func.grad(lambda x: (x ** 2).sum())(numpy.array([1., 2.]))
array([2., 4.])
>>> type(func.grad(lambda x: (x ** 2).sum())(numpy.array([1., 2.]))).__module__
'numpy'
"""

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy

from . import _backend, _engine
from ._checks import check_current
from ._graph import Leaf
from ._ndarray import ndarray, wrap
from ._primitive import REC
from ._state import STATE, recording, scope
from ._typing import PyTree
from ._writes import mark_variable

__all__ = ['grad', 'hessian', 'hvp', 'jacfwd', 'jacobian', 'jacrev', 'jvp', 'value_and_grad', 'vjp']


# --- nested containers ---------------------------------------------------------------

_LEAF = None


def tree_flatten(tree: PyTree) -> tuple[list[Any], Any]:
    """The leaves of nested tuples/lists/dicts (None is an empty container), and the
    structure to rebuild them with `tree_unflatten`.

    >>> tree_flatten({'w': 1., 'b': (2., 3.)})[0]
    [1.0, 2.0, 3.0]
    """
    leaves: list[Any] = []
    return leaves, _structure(tree, leaves)


# (module-level recursion, not nested closures: a closure that calls itself is a
# reference cycle, which would keep the arrays it saw alive until a garbage collection)
def _structure(node: PyTree, leaves: list[Any]) -> Any:
    if isinstance(node, dict):
        keys = list(node)
        return (type(node), keys, [_structure(node[k], leaves) for k in keys])
    if isinstance(node, (tuple, list)):
        return (type(node), None, [_structure(child, leaves) for child in node])
    if node is None:
        return (None, None, [])
    leaves.append(node)
    return _LEAF


def tree_unflatten(structure: Any, leaves: Iterable[Any]) -> PyTree:
    """Rebuild what `tree_flatten` took apart, with new leaves."""
    return _build(structure, iter(leaves))


def _build(node: Any, leaves: Iterator[Any]) -> PyTree:
    if node is _LEAF:
        return next(leaves)
    kind, keys, children = node
    if kind is None:
        return None
    values = [_build(child, leaves) for child in children]
    if keys is not None:
        return kind(zip(keys, values))
    if kind is not tuple and issubclass(kind, tuple):  # a namedtuple
        return kind(*values)
    return kind(values)


# --- tracing -------------------------------------------------------------------------


class _Trace:
    """While `f` is traced: recording on, one more transform level; the caller's state
    after. ``nested`` says whether derivatives must themselves be recorded (another
    transform, or the caller's ``record()``, may differentiate them)."""

    def __enter__(self) -> '_Trace':
        self.nested = STATE.transform_depth > 0 or recording()
        self.recording = scope(True)
        self.recording.__enter__()
        STATE.transform_depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.transform_depth -= 1
        self.recording.__exit__()


def _float_value(value: Any, what: str) -> Any:
    """`value` as a NumPy float array, or a TypeError saying how to fix it."""
    data = value._data if isinstance(value, ndarray) else value
    if not isinstance(data, numpy.ndarray) and _backend.kind(data) == 'numpy':
        if not isinstance(data, (int, float, numpy.number, numpy.bool_)):
            raise TypeError(
                f'{what} is a {type(value).__name__}; pass ndgrad or NumPy '
                f'arrays, Python floats, or tuples/lists/dicts of them'
            )
        data = numpy.asarray(data)
    if data.dtype.kind not in 'fc':
        raise TypeError(
            f'{what} has dtype {data.dtype}: derivatives are defined for floating-point '
            f'and complex inputs only. Pass a float, e.g. 3.0 instead of 3, or '
            f"x.astype('float32')."
        )
    return data


def _float_value_shaped(value: Any, shape: tuple[int, ...], what: str, owner: str) -> Any:
    """`_float_value` of a seed, or a ValueError unless it has the `shape` of its `owner`."""
    data = _float_value(value, what)
    if data.shape != shape:
        raise ValueError(
            f'{what} has shape {data.shape} but its {owner} has shape {shape}; they must match'
        )
    return data


def _variable(value: Any, what: str) -> Any:
    """A distinct graph node for a differentiated input.

    An input that already has a node (a variable of an enclosing transform) gets a
    recorded copy, so that nested transforms never confuse their variables; the
    enclosing transform still differentiates through the copy. Any other input is
    copied too, and its memory is a variable's: `f` cannot write into it (through any
    view) unseen, nor change the caller's array, and NumPy code writing into the
    caller's array cannot change the derivative.
    """
    data = _float_value(value, what)
    if isinstance(value, ndarray) and value._node is not None:
        return REC.copy(value)
    data = data.copy()
    mark_variable(data)
    return wrap(data, Leaf(data.shape, data.dtype, None, 'write'))


def _normalize_argnums(argnums: Any, nargs: int, name: str) -> tuple[bool, tuple[int, ...]]:
    single = isinstance(argnums, (int, numpy.integer))
    items = (argnums,) if single else tuple(argnums)
    out = []
    for a in items:
        if not isinstance(a, (int, numpy.integer)) or not -nargs <= a < nargs:
            raise ValueError(
                f'{name}: argnums={argnums!r} does not name a positional '
                f'argument of a call with {nargs} argument(s)'
            )
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f'{name}: argnums={argnums!r} repeats an argument')
    return single, tuple(out)


def _with_variables(
    args: Sequence[Any], argnums: Iterable[int], name: str
) -> tuple[list[Any], list[tuple[list[ndarray], Any]]]:
    """`args` with every leaf of the arguments at `argnums` made a fresh variable
    (copied: see `_variable`).

    Returns the new arguments and, per differentiated argument, its variables and
    its structure.
    """
    args = list(args)
    parts = []
    for a in argnums:
        leaves, structure = tree_flatten(args[a])
        variables = [_variable(leaf, f'{name}: argument {a}') for leaf in leaves]
        args[a] = tree_unflatten(structure, variables)
        parts.append((variables, structure))
    return args, parts


def _split_aux(out: Any, has_aux: bool, name: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ValueError(f'{name}: with has_aux=True, f must return a pair (output, aux)')
    return out[0], out[1]


def _traced(
    f: Callable[..., Any],
    given: Sequence[Any],
    kwargs: dict[str, Any],
    nums: Sequence[int],
    has_aux: bool,
    name: str,
) -> tuple[list[tuple[list[ndarray], Any]], Any, Any, str, bool]:
    """`f` called with fresh variables for the arguments `given` at `nums`: their parts
    (see `_with_variables`), its output and aux, the end of any error message about
    what it returned (`_aux_hint`), and whether the results go back as NumPy values
    (`_plain`)."""
    args, parts = _with_variables(given, nums, name)
    out = _call(f, args, kwargs, given, nums, name)
    hint = _aux_hint(out, has_aux)
    out, aux = _split_aux(out, has_aux, name)
    return parts, out, aux, hint, _plain(given, nums)


def _plain(given: Sequence[Any], nums: Iterable[int]) -> bool:
    """Whether no differentiated argument (at `nums` of `given`) holds an ndgrad array:
    then the transform hands back NumPy values (see `_deliver`)."""
    return not any(isinstance(leaf, ndarray) for a in nums for leaf in tree_flatten(given[a])[0])


def _call(
    f: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    given: Sequence[Any],
    nums: Iterable[int],
    name: str,
) -> Any:
    """``f(*args, **kwargs)``. Where a differentiated argument was given as a list of
    numbers, an exception from `f` gets a note: a list is a container of separate
    inputs (f receives a list of 0-d arrays), np.array([...]) is one array."""
    try:
        return f(*args, **kwargs)
    except Exception as exc:
        lists = [a for a in nums if _numbers_list(given[a])]
        if lists and hasattr(exc, 'add_note'):  # (Python 3.11+)
            kind = type(given[lists[0]]).__name__
            exc.add_note(
                f'{name}: argument {lists[0]} is a {kind} of numbers, which func '
                f'transforms take as a container of separate inputs: f received a '
                f'{kind} of 0-d arrays. To pass one array, give np.array([...]).'
            )
        raise


def _numbers_list(value: Any) -> bool:
    """Whether `value` is a (nested) list or tuple of numbers."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(v, (int, float, numpy.number)) or _numbers_list(v) for v in value)
    )


def _aux_hint(out: Any, has_aux: bool) -> str:
    """The end of an error message about what f returned, when it may be (output, aux)."""
    if not has_aux and isinstance(out, (tuple, list)) and len(out) == 2:
        return '. If f returns (output, aux), pass has_aux=True'
    return ''


def _output(value: object, name: str, hint: str = '') -> ndarray:
    """An output leaf of `f` as an ndgrad float array (`hint` ends an error message)."""
    if not isinstance(value, ndarray):
        if not isinstance(value, (numpy.ndarray, int, float, numpy.number)):
            raise TypeError(
                f'{name}: f must return ndgrad arrays, got {type(value).__name__}{hint}'
            )
        value = wrap(numpy.asarray(value))
    if value.dtype.kind not in 'fc':
        raise TypeError(
            f'{name}: f returned an array of dtype {value.dtype}; only '
            f'floating-point and complex outputs can be differentiated{hint}'
        )
    return value


def _outputs(out: PyTree, name: str, hint: str = '') -> tuple[list[ndarray], Any]:
    leaves, structure = tree_flatten(out)
    return [_output(leaf, name, hint) for leaf in leaves], structure


def _release(tree: PyTree, nested: bool, plain: bool = False) -> PyTree:
    """What a transform hands back: recorded only when an enclosing level needs it, and
    NumPy values for `plain` arguments (see `_deliver`)."""
    if not nested:
        leaves, structure = tree_flatten(tree)
        tree = tree_unflatten(
            structure, [leaf.detach() if isinstance(leaf, ndarray) else leaf for leaf in leaves]
        )
    return _deliver(tree, plain)


def _deliver(tree: PyTree, plain: bool) -> PyTree:
    """`tree` with, when the differentiated arguments were `plain` (NumPy arrays or
    Python numbers), each ndgrad array without recorded history as a writeable NumPy
    array, or a NumPy scalar where 0-d. Arrays with history stay ndgrad arrays: an
    enclosing transform or ``record()`` may differentiate them."""
    if not plain:
        return tree
    leaves, structure = tree_flatten(tree)
    return tree_unflatten(structure, [_as_numpy(leaf) for leaf in leaves])


def _as_numpy(value: Any) -> Any:
    if type(value) is not ndarray or value._node is not None:
        return value
    data = value._data
    if type(data) is not numpy.ndarray and _backend.kind(data) != 'numpy':
        return data  # (Dask or CuPy arguments: results on their backend)
    if data.ndim == 0:
        return data[()]
    return data if data.flags.writeable else data.copy()


def _seed(value: Any, create_graph: bool) -> Any:
    """A cotangent or tangent as the engine wants it: an ndgrad array when the pass is
    recorded, a NumPy array otherwise."""
    if create_graph:
        return value if isinstance(value, ndarray) else wrap(value)
    return value._data if isinstance(value, ndarray) else value


def _result(g: Any, shape: tuple[int, ...], dtype: Any, seeds: Sequence[Any] = ()) -> ndarray:
    """An engine result as an ndgrad array; zeros where nothing reached the variable.

    A pass may hand a seed (a user's cotangent or tangent) straight through, as
    for ``f = lambda x: x``: the result is then copied, never the caller's array.
    """
    if g is None:
        return wrap(numpy.zeros(shape, dtype))
    if isinstance(g, ndarray):
        return g
    if type(g) is not numpy.ndarray and _backend.kind(g) != 'numpy':
        return wrap(g)  # (Dask rebuilt from computed values, CuPy: never a seed's memory)
    g = numpy.asarray(g)  # NumPy turns 0-d results into scalars
    if not g.flags.writeable or any(numpy.may_share_memory(g, s) for s in seeds):
        g = g.copy()
    return wrap(g)


def _pull(
    heads: list[ndarray],
    cotangents: list[Any],
    nodes: list[Any],
    create_graph: bool,
    retain_graph: bool,
    nbatch: int = 0,
) -> Any:
    """The engine's reverse pass, skipping heads that do not depend on anything.

    The list `cotangents` is consumed (emptied), as the engine consumes its head
    gradients: the pass frees each one as soon as its rule used it.
    """
    live = [h._node is not None for h in heads]
    seeds = [_seed(c, create_graph) for c, ok in zip(cotangents, live) if ok]
    cotangents.clear()
    if not seeds:
        return [None] * len(nodes)
    return _engine.backward(
        [h for h, ok in zip(heads, live) if ok],
        seeds,
        variables=nodes,
        create_graph=create_graph,
        retain_graph=retain_graph,
        nbatch=nbatch,
    )


def _push(
    outputs: list[ndarray], seeds: dict[Any, Any], create_graph: bool, nbatch: int = 0
) -> list[Any]:
    """The engine's forward pass, skipping outputs that depend on nothing."""
    for o in outputs:
        check_current(o)
    live = [o._node for o in outputs if o._node is not None]
    tangents = iter(_engine.push_tangents(live, seeds, create_graph, nbatch) if live else ())
    return [next(tangents) if o._node is not None else None for o in outputs]


def _pack(parts: list[tuple[list[ndarray], Any]], single: bool, values: Iterable[Any]) -> Any:
    """Per differentiated argument, its values in its structure (one, or a tuple)."""
    values = iter(values)
    trees = [
        tree_unflatten(structure, [next(values) for _ in variables])
        for variables, structure in parts
    ]
    return trees[0] if single else tuple(trees)


# --- reverse mode --------------------------------------------------------------------


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient of f)`` for a scalar-valued `f`.

    With ``has_aux=True`` `f` returns ``(value, aux)`` and the result is
    ``((value, aux), gradient)``.

    >>> func.value_and_grad(lambda x: (x * x).sum())(np.array([1., 2.]))
    (array(5.), array([2., 4.]))
    """
    return _value_and_grad(f, argnums, has_aux, 'value_and_grad')


def _value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int], has_aux: bool, name: str
) -> Callable[..., tuple[Any, Any]]:
    @functools.wraps(f, updated=())
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        single, nums = _normalize_argnums(argnums, len(args), name)
        with _Trace() as trace:
            parts, out, aux, hint, plain = _traced(f, args, kwargs, nums, has_aux, name)
            out = _output(out, name, hint)
            if out.size != 1:
                raise ValueError(
                    f'{name}: f must return a scalar, but it returned an array of shape '
                    f'{out.shape}. Reduce it first (e.g. f(x).sum()), or use func.jacrev '
                    f'for the whole Jacobian or func.vjp for a vector-Jacobian product.'
                )
            if out.dtype.kind == 'c':
                raise TypeError(
                    f'{name}: f returned a complex number ({out.dtype}), which has no '
                    f'gradient: return a real loss (e.g. np.abs(y), y.real), or use '
                    f'func.jacrev or func.jacfwd for the complex derivative.'
                )
            variables = [v for vs, _ in parts for v in vs]
            grads = _pull(
                [out],
                [numpy.ones(out.shape, out.dtype)],
                [v._node for v in variables],
                trace.nested,
                trace.nested,
            )
            if not trace.nested and _backend.kind(out._data) != 'numpy':
                # the value and every gradient in one dask.compute (shared tasks run once)
                value_data, *grads = _backend.gather(
                    [out._data, *grads], [numpy.empty(0)] + [v._data for v in variables]
                )
                out = wrap(value_data)
            grads = [_result(g, v.shape, v.dtype) for g, v in zip(grads, variables)]
        value = _release(out, trace.nested, plain)
        if has_aux:
            value = (value, _release(aux, trace.nested, plain))
        return value, _deliver(_pack(parts, single, grads), plain)

    return value_and_grad_f


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of a scalar-valued `f` with respect to its argument(s) `argnums`.

    >>> func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(np.ones(2), np.full(2, 3.))
    (array([3., 3.]), array([1., 1.]))
    """
    vg = _value_and_grad(f, argnums, has_aux, 'grad')

    @functools.wraps(f, updated=())
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_f


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangent times the
    Jacobian, one result per primal (a tuple). `vjp_fn` may be called many times.

    >>> out, pullback = func.vjp(np.sin, np.zeros(2))
    >>> pullback(np.array([1., 2.]))
    (array([1., 2.]),)
    """
    name = 'vjp'
    with _Trace() as trace:
        nums = range(len(primals))
        parts, out, aux, hint, plain = _traced(f, primals, {}, nums, has_aux, name)
        heads, out_structure = _outputs(out, name, hint)
    variables = [v for vs, _ in parts for v in vs]

    def vjp_fn(cotangents: PyTree) -> Any:
        leaves, _ = tree_flatten(cotangents)
        if len(leaves) != len(heads):
            raise ValueError(
                f'vjp_fn: got {len(leaves)} cotangent arrays for the '
                f'{len(heads)} outputs of f; pass one per output, in its structure'
            )
        cots = []
        for c, h in zip(leaves, heads):
            data = _float_value_shaped(c, h.shape, 'vjp_fn: a cotangent', 'output')
            # (a new array object per call, on the caller's memory: a pass is told apart
            # by its cotangents, e.g. by the memo of a custom function)
            if isinstance(c, ndarray) and c._node is not None:
                cots.append(
                    wrap(c._data, c._node) if c.dtype == h.dtype else REC.astype(c, h.dtype)
                )
            else:
                cots.append(data.astype(h.dtype, copy=False).view())
        nested = (
            trace.nested
            or STATE.transform_depth > 0
            or recording()
            or any(isinstance(c, ndarray) and c._node is not None for c in cots)
        )
        # a copy: _pull consumes its list, and the cotangents are compared with the results
        grads = _pull(heads, list(cots), [v._node for v in variables], nested, True)
        seeds = [c for c in cots if isinstance(c, numpy.ndarray)]
        return _deliver(
            _pack(
                parts,
                False,
                [_result(g, v.shape, v.dtype, seeds) for g, v in zip(grads, variables)],
            ),
            plain,
        )

    out = tree_unflatten(out_structure, heads)
    if has_aux:
        return (_release(out, trace.nested, plain), vjp_fn, _release(aux, trace.nested, plain))
    return _release(out, trace.nested, plain), vjp_fn


def jacrev(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian of `f` by reverse mode: one vectorized pass per output array.

    Each block has shape ``out.shape + in.shape``. Pick it when outputs are fewer
    than inputs (a 1-output function is one pass whatever the input size).

    >>> func.jacrev(lambda x: x ** 2)(np.array([1., 2.]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _jacobian(f, argnums, has_aux, 'jacrev', _reverse_rows)


def _identity(n: int, dtype: Any, shape: tuple[int, ...]) -> Any:
    """The seeds of a Jacobian: the n x n identity, shaped ``(n,) + shape``."""
    seeds = numpy.zeros(n * n, dtype)
    seeds[:: n + 1] = 1  # (numpy.eye less its Python: half the time for 200 x 200)
    return seeds.reshape((n,) + shape)


def _reverse_rows(heads: list[ndarray], variables: list[ndarray], trace: _Trace) -> list[list[Any]]:
    """Jacobian blocks, one batched backward pass per output array: rows[k][j] is
    d head k / d variable j."""
    nodes = [v._node for v in variables]
    rows = []
    for k, head in enumerate(heads):
        m = head.size
        seeds = [_identity(m, head.dtype, head.shape)]
        last = k == len(heads) - 1
        grads = _pull([head], seeds, nodes, trace.nested, trace.nested or not last, nbatch=1)
        rows.append(
            [
                REC.reshape(_result(g, (m,) + v.shape, v.dtype), head.shape + v.shape)
                for g, v in zip(grads, variables)
            ]
        )
    return rows


def _jacobian(
    f: Callable[..., Any],
    argnums: int | Sequence[int],
    has_aux: bool,
    name: str,
    rows: Callable[[list[ndarray], list[ndarray], _Trace], list[list[Any]]],
) -> Callable[..., Any]:
    """The shell shared by jacrev and jacfwd: variables for the differentiated
    arguments, one trace of `f`, and `rows(heads, variables, trace)` for the blocks."""

    @functools.wraps(f, updated=())
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        single, nums = _normalize_argnums(argnums, len(args), name)
        with _Trace() as trace:
            parts, out, aux, hint, plain = _traced(f, args, kwargs, nums, has_aux, name)
            heads, out_structure = _outputs(out, name, hint)
            variables = [v for vs, _ in parts for v in vs]
            with scope(None if trace.nested else False):  # unnested: the blocks are constants
                blocks = [_pack(parts, single, row) for row in rows(heads, variables, trace)]
        jac = _deliver(tree_unflatten(out_structure, blocks), plain)
        if has_aux:
            return jac, _release(aux, trace.nested, plain)
        return jac

    return jacobian_f


jacobian = jacrev


# --- forward mode --------------------------------------------------------------------


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)`` by forward mode: `f` is recorded once, then the
    tangents are pushed forward through each recorded op's jvp rule.

    >>> func.jvp(np.sin, (np.zeros(2),), (np.array([1., 2.]),))
    (array([0., 0.]), array([1., 2.]))
    """
    name = 'jvp'
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError('jvp: primals and tangents must be tuples, e.g. func.jvp(f, (x,), (v,))')
    if len(primals) != len(tangents):
        raise ValueError(f'jvp: got {len(tangents)} tangents for {len(primals)} primals')
    with _Trace() as trace:
        args, parts = _with_variables(primals, range(len(primals)), name)
        seeds = {}
        for (variables, _), t in zip(parts, tangents):
            t_leaves, _ = tree_flatten(t)
            if len(t_leaves) != len(variables):
                raise ValueError('jvp: each tangent must have the structure of its primal')
            for v, t in zip(variables, t_leaves):
                data = _float_value_shaped(t, v.shape, 'jvp: a tangent', 'primal')
                if trace.nested and isinstance(t, ndarray) and t._node is not None:
                    seeds[v._node] = t if t.dtype == v.dtype else REC.astype(t, v.dtype)
                else:
                    seeds[v._node] = _seed(data.astype(v.dtype, copy=False), trace.nested)
        out = _call(f, args, {}, primals, range(len(primals)), name)
        heads, out_structure = _outputs(out, name)
        given = [t for t in seeds.values() if isinstance(t, numpy.ndarray)]
        tangents_out = [
            _result(t, h.shape, h.dtype, given)
            for t, h in zip(_push(heads, seeds, trace.nested), heads)
        ]
    plain = _plain(primals, range(len(primals)))
    return (
        _release(tree_unflatten(out_structure, heads), trace.nested, plain),
        _deliver(tree_unflatten(out_structure, tangents_out), plain),
    )


def jacfwd(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian of `f` by forward mode: one vectorized pass per input array.

    Each block has shape ``out.shape + in.shape``. Pick it when inputs are fewer
    than outputs.

    >>> func.jacfwd(lambda x: x ** 2)(np.array([1., 2.]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _jacobian(f, argnums, has_aux, 'jacfwd', _forward_rows)


def _forward_rows(heads: list[ndarray], variables: list[ndarray], trace: _Trace) -> list[list[Any]]:
    """Jacobian blocks, one batched forward pass per input array: rows[k][j] is
    d head k / d variable j."""
    columns = []  # columns[j][k]: d head k / d variable j
    for v in variables:
        n = v.size
        # (the dict is the seed's only holder: the engine drops it after its last use)
        seeds = {v._node: _seed(_identity(n, v.dtype, v.shape), trace.nested)}
        ts = _push(heads, seeds, trace.nested, nbatch=1)
        column = []
        for t, h in zip(ts, heads):
            t = _result(t, (n,) + h.shape, h.dtype)
            t = REC.transpose(REC.reshape(t, (n, h.size)))
            column.append(REC.reshape(t, h.shape + v.shape))
        columns.append(column)
    return [[column[k] for column in columns] for k in range(len(heads))]


# --- second order --------------------------------------------------------------------


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Hessian of a scalar-valued `f`: ``jacfwd(jacrev(f))``, forward over reverse.

    >>> func.hessian(lambda x: (x ** 3).sum())(np.array([1., 2.]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(
    f: Callable[..., Any],
    primals: Sequence[Any] | None = None,
    tangents: Sequence[Any] | None = None,
) -> Any:
    """``(f(*primals), H @ tangents)`` for a scalar-valued `f`, without forming the
    Hessian H: forward mode over the gradient. One result per primal (a tuple).

    >>> func.hvp(lambda x: (x ** 3).sum(), (np.array([1., 2.]),), (np.ones(2),))
    (array(9.), (array([ 6., 12.]),))

    Given `f` alone, the function ``(x, v, *args) -> H v``, the Hessian of
    ``f(x, *args)`` with respect to `x` times `v`: SciPy's ``hessp``.

    >>> func.hvp(lambda x: (x ** 3).sum())(np.array([1., 2.]), np.ones(2))
    array([ 6., 12.])
    """
    if primals is None and tangents is None:
        return _hessp(f)
    if not isinstance(primals, (tuple, list)):
        raise TypeError(
            'hvp: primals and tangents must be tuples, e.g. '
            'func.hvp(f, (x,), (v,)); or call func.hvp(f) for the function '
            '(x, v) -> H v'
        )
    both = value_and_grad(f, argnums=tuple(range(len(primals))))
    # (jvp raises the TypeError for tangents=None)
    (value, _), (_, product) = jvp(lambda *p: both(*p), primals, tangents)  # type: ignore[arg-type]
    return value, product


def _hessp(f: Callable[..., Any]) -> Callable[..., Any]:
    """``(x, v, *args, **kwargs) -> H v``, H the Hessian of ``f(x, *args, **kwargs)`` in x."""

    @functools.wraps(f, updated=())
    def hessp_f(x: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(v, numpy.ndarray) and v.dtype.kind in 'biu':  # (SciPy's trust-constr)
            v = v.astype(_float_value(x, 'hvp: x').dtype)
        _, (product,) = hvp(lambda x: f(x, *args, **kwargs), (x,), (v,))
        return product

    return hessp_f

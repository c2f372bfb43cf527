"""Pictures of a recorded graph: DOT text always, rendered images with graphviz.

Arrays are named after the caller's variables (``x``, ``u``, ``y``), constants such as
the ``2`` of ``2 * x`` are shown, and with ``values=True`` each node shows its value and
the gradient that the backward pass sends into it.

>>> from ndgrad import autograd, np
>>> from ndgrad.graph import to_dot
>>> x = np.array([1., 2.]); x.attach_grad()
>>> with autograd.record():
...     y = (2 * x * x).sum()
>>> dot = to_dot(y)
>>> print(dot.splitlines()[0])
digraph ndgrad {
>>> 'x\\\\nvariable' in dot, 'y = sum' in dot, 'constant 2' in dot
(True, True, True)

Drawing needs the ``graphviz`` package and Graphviz's ``dot`` program: from a clone,
``pip install -e '.[graph]'``, plus ``apt-get install graphviz``, ``brew install graphviz``
or ``conda install graphviz``.
"""

import os
import pathlib
import sys
from collections.abc import Mapping
from typing import Any

import numpy

from ._checks import recorded_nodes
from ._engine import toposort
from ._graph import Node
from ._ndarray import ndarray, wrap

NDArray = numpy.ndarray[Any, Any]


# --- the only places that read the engine's node structure ------------------------------------


def _inputs(node: Node) -> list[tuple[Node | None, Any]]:
    """The positional inputs of `node` as ``(parent, kept)`` pairs: ``parent`` is the edge
    that produced that input (None for a constant), ``kept`` is what the node saved of it
    (a value, a shape-only stand-in, or None once a backward pass freed it). The edge to
    one output of a multi-output op reads that op, and keeps nothing."""
    parents = list(node.parents)
    saved = getattr(node, 'inputs', None)
    kept = list(saved) if saved is not None else []
    kept += [None] * (len(parents) - len(kept))
    return list(zip(parents, kept))


def _order(heads: list[Node]) -> list[Node]:
    """The nodes behind `heads`, each after the nodes it reads."""
    order: list[Node] = toposort(heads)
    return order


def _array_of(node: Node, value: NDArray) -> ndarray:
    """An array standing for `node`'s output, to ask `autograd.grad` about it."""
    array: ndarray = wrap(value, node)
    return array


# --- names, values and gradients ---------------------------------------------------------------

_PACKAGE = str(pathlib.Path(__file__).resolve().parent)


def _caller_namespaces() -> list[Mapping[str, Any]]:
    """Locals and globals of the innermost frame outside the ndgrad package's files."""
    frame: Any = sys._getframe(1)
    while frame is not None and str(pathlib.Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE + os.sep
    ):
        frame = frame.f_back
    if frame is None:
        return []
    return [frame.f_locals, frame.f_globals]


def _named_arrays(names: Mapping[str, ndarray] | None) -> list[tuple[str, ndarray]]:
    """``[(name, array)]``: `names` (name -> array) first, then the caller's variables.

    Names starting with ``_`` (Jupyter's output history ``_``, ``_3``) are left out.
    """
    if names is not None and not isinstance(names, dict):
        raise TypeError(
            "graph: names must be a dict from name to array, e.g. names={'x': x, 'loss': loss}"
        )
    found: list[tuple[str, Any]] = list((names or {}).items())
    for space in _caller_namespaces():
        found += [
            (k, v)
            for k, v in list(space.items())
            if isinstance(v, ndarray) and not k.startswith('_')
        ]
    for name, array in found:
        if not isinstance(array, ndarray):
            raise TypeError(
                f'graph: names[{name!r}] must be an ndgrad array, not {type(array).__name__}'
            )
    return found


def _index_names(
    named: list[tuple[str, ndarray]],
) -> tuple[dict[Node, tuple[str, ndarray]], dict[int, str]]:
    """(node -> (name, array), id of NumPy data -> name): the first name found wins."""
    by_node: dict[Node, tuple[str, ndarray]] = {}
    by_data: dict[int, str] = {}
    for name, array in named:
        if array._node is not None:
            by_node.setdefault(array._node, (name, array))
    # a constant is named after an array without history (u of u = y.detach()) first
    for name, array in sorted(named, key=lambda pair: pair[1]._node is not None):
        by_data.setdefault(id(array._data), name)
    return by_node, by_data


def _known_values(
    order: list[Node], by_node: dict[Node, tuple[str, ndarray]]
) -> dict[Node, NDArray]:
    """node -> its output value (NumPy), for what the graph or the caller still holds."""
    values = {node: array._data for node, (_, array) in by_node.items()}
    for node in order:
        if node.prim is not None and isinstance(node.out, numpy.ndarray):
            values.setdefault(node, node.out)
        for parent, kept in _inputs(node):
            if parent is not None and isinstance(kept, numpy.ndarray):
                values.setdefault(parent, kept)
    return values


def _gradients(
    heads: list[Node], order: list[Node], values: dict[Node, NDArray]
) -> dict[Node, NDArray]:
    """node -> d sum(heads) / d node, computed on the recorded graph (kept for later), or
    an empty dict where a backward pass already freed it."""
    if any(node.freed for node in order):
        return {}
    from . import autograd

    def array(node: Node) -> ndarray:
        value = values.get(node)
        return _array_of(node, numpy.zeros(node.shape, node.dtype) if value is None else value)

    targets = [node for node in order if isinstance(node.dtype, numpy.dtype)]  # one output
    grads = autograd.grad([array(h) for h in heads], [array(n) for n in targets], retain_graph=True)
    return {node: numpy.asarray(g) for node, g in zip(targets, grads)}


# --- DOT text ----------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _show(value: Any) -> str:
    return numpy.array2string(
        numpy.asarray(value),
        precision=4,
        threshold=8,
        edgeitems=2,
        max_line_width=48,
        suppress_small=True,
    )


def _shape(meta: Any) -> str:
    return 'x'.join(map(str, meta.shape)) or 'scalar'


def _kwargs(node: Node) -> str:
    shown = [
        f'{k}={v!r}'
        for k, v in (getattr(node, 'kwargs', None) or {}).items()
        if v is not None and v is not False
    ]
    return f'({", ".join(shown)})' if shown else ''


def _node_label(
    node: Node,
    name: str | None,
    value: NDArray | None,
    grad: NDArray | None,
    leaf_grad: ndarray | None,
    values: bool,
) -> str:
    what = 'variable' if node.prim is None else node.name + _kwargs(node)
    lines = [
        f'{name} = {what}'
        if name and node.prim is not None
        else f'{name}\n{what}'
        if name
        else what
    ]
    if node.prim is None and node.grad_req is not None:
        lines[-1] += f' (grad_req={node.grad_req})'
    if isinstance(node.dtype, numpy.dtype):
        lines.append(f'{_shape(node)} {node.dtype}')
    else:  # an op with several outputs, each drawn as its own box
        lines.append(f'{len(node.dtype)} outputs')
    if values:
        if value is not None:
            lines.append(f'value {_show(value)}')
        if grad is not None:
            lines.append(f'grad {_show(grad)}')
        elif leaf_grad is not None:
            lines.append(f'{name or "variable"}.grad {_show(leaf_grad)}')
    if node.site is not None:
        lines.append(f'{node.site[0].rsplit("/", 1)[-1]}:{node.site[1]}')
    if node.freed:
        lines.append('(freed by backward)')
    return '\n'.join(lines)


def _constant_label(kept: Any, by_data: dict[int, str]) -> str:
    name = by_data.get(id(kept))
    if kept is None:
        return 'constant (freed by backward)'
    if not hasattr(kept, 'shape'):  # a Python number or sequence
        text = repr(kept)
        return f'constant {text if len(text) <= 40 else text[:37] + "..."}'
    if not isinstance(kept, (numpy.ndarray, numpy.generic)):  # only its shape was kept
        return f'{name + " (constant)" if name else "constant"}\n{_shape(kept)} {kept.dtype}'
    text = f'{name} (constant)\n' if name else 'constant '
    return f'{text}{_show(kept)}\n{_shape(kept)} {kept.dtype}'


_DOT_HEADER = (
    'digraph ndgrad {',
    '  rankdir=BT;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [color="#555555"];',
)


def _edge_lines(node: Node, ids: dict[Node, str], by_data: dict[int, str]) -> list[str]:
    """The DOT lines of the edges into `node`; each constant input becomes a text node."""
    lines = []
    for k, (parent, kept) in enumerate(_inputs(node)):
        if parent is not None:
            lines.append(f'  {ids[parent]} -> {ids[node]};')
            continue
        const = f'{ids[node]}c{k}'
        lines.append(
            f'  {const} [label="{_quote(_constant_label(kept, by_data))}", '
            f'shape=plaintext, fontcolor="#555555"];'
        )
        lines.append(f'  {const} -> {ids[node]} [style=dashed];')
    return lines


def to_dot(
    *heads: ndarray, names: Mapping[str, ndarray] | None = None, values: bool = False
) -> str:
    """The graph that produced `heads` in Graphviz's DOT language.

    Ops are boxes, variables are ellipses, constants are plain text; each shows its shape
    and dtype (and, under ``autograd.detect_anomaly()``, the line of code that recorded
    it). Arrays are named after the caller's variables; `names` (a dict from name to
    array, ``{'x': x}``) adds or overrides names. With `values`, each node shows its value
    and its gradient, d sum(heads) / d node: computed on the graph, which is kept, while
    no backward pass has freed it; after ``backward()`` only the variables' ``.grad``
    (and the values of named arrays) are left to show. Draw before ``backward()``, or call
    ``backward(retain_graph=True)``, to see every gradient.

    >>> from ndgrad import autograd, np
    >>> x = np.arange(3.); x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * np.dot(x, x)
    >>> 'grad [0. 4. 8.]' in to_dot(y, values=True)
    True
    """
    nodes = recorded_nodes(
        heads,
        'to_dot: pass arrays computed inside autograd.record() from arrays with attach_grad()',
    )
    by_node, by_data = _index_names(_named_arrays(names))
    order = _order(nodes)
    known = _known_values(order, by_node) if values else {}
    grads = _gradients(nodes, order, known) if values else {}
    ids = {node: f'n{k}' for k, node in enumerate(order)}
    lines = list(_DOT_HEADER)
    for node in order:
        name = by_node.get(node, (None,))[0]
        var_grad = node.grad if node.prim is None else None
        label = _node_label(node, name, known.get(node), grads.get(node), var_grad, values)
        shape = 'ellipse' if node.prim is None else 'box'
        style = ', style=filled, fillcolor="#dbe9f6"' if node in nodes else ''
        lines.append(f'  {ids[node]} [label="{_quote(label)}", shape={shape}{style}];')
    for node in order:
        lines += _edge_lines(node, ids, by_data)
    lines.append('}')
    return '\n'.join(lines)


def draw(
    *heads: ndarray,
    path: str | os.PathLike[str] | None = None,
    format: str | None = None,
    names: Mapping[str, ndarray] | None = None,
    values: bool = False,
) -> Any:
    """The picture of the graph as a ``graphviz.Source``, shown inline (SVG) in Jupyter.

    With `path`, also writes the image there, in `format` (default: the suffix of
    `path`, ``'svg'`` or ``'png'``). `names` and `values` are those of `to_dot`. Needs
    the graphviz package and the ``dot`` program: ``pip install -e '.[graph]'`` and
    ``apt-get install graphviz`` (or ``brew install graphviz``, ``conda install
    graphviz``).
    """
    try:
        import graphviz  # type: ignore[import-untyped]
    except ImportError:
        raise ImportError(
            'drawing graphs needs the graphviz package: pip install -e '
            "'.[graph]' from a clone (or pip install graphviz), and Graphviz's "
            "'dot' program; ndgrad.graph.to_dot(y) gives the DOT text "
            'without it'
        ) from None
    source = graphviz.Source(to_dot(*heads, names=names, values=values))
    if path is not None:
        path = pathlib.Path(path)
        format = format or path.suffix.lstrip('.') or 'svg'
        try:
            data = source.pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(
                "drawing graphs needs Graphviz's 'dot' program on the PATH: "
                'apt-get install graphviz, brew install graphviz or conda '
                'install graphviz'
            ) from None
        path.write_bytes(data)
    return source

"""Pictures of a recorded graph: DOT text always, rendered images with graphviz.

>>> from ndgrad import autograd, np
>>> from ndgrad.graph import to_dot
>>> x = np.array([1., 2.]); x.attach_grad()
>>> with autograd.record():
...     y = (x * x).sum()
>>> print(to_dot(y).splitlines()[0])
digraph ndgrad {
"""
from ._engine import toposort
from ._ndarray import ndarray


def _label(node):
    shape = 'x'.join(map(str, node.shape)) if isinstance(node.shape, tuple) and all(
        isinstance(s, int) for s in node.shape) else str(node.shape)
    lines = [node.name, f'{shape or "scalar"} {node.dtype}']
    if node.prim is None and node.grad is not None:
        lines[0] = f'variable (grad_req={node.grad_req})'
    if node.site is not None:
        lines.append(f'{node.site[0].rsplit("/", 1)[-1]}:{node.site[1]}')
    if node.freed:
        lines.append('(freed by backward)')
    return '\\n'.join(lines)


def to_dot(*heads):
    """The graph that produced `heads` in Graphviz's DOT language.

    Ops are boxes, variables are ellipses; each shows its shape and dtype (and,
    under ``autograd.detect_anomaly()``, the line of code that recorded it).
    """
    nodes = []
    for head in heads:
        if not isinstance(head, ndarray) or head._node is None:
            raise ValueError('to_dot: pass arrays computed inside autograd.record() from '
                             'arrays with attach_grad()')
        nodes.append(head._node)
    order = toposort(nodes)
    ids = {node: f'n{k}' for k, node in enumerate(order)}
    lines = ['digraph ndgrad {', '  rankdir=BT;', '  node [fontname="Helvetica", fontsize=10];']
    for node in order:
        shape = 'ellipse' if node.prim is None else 'box'
        style = ', style=filled, fillcolor="#dbe9f6"' if node in nodes else ''
        lines.append(f'  {ids[node]} [label="{_label(node)}", shape={shape}{style}];')
    for node in order:
        for parent in node.parents:
            if parent is not None:
                lines.append(f'  {ids[parent]} -> {ids[node]};')
    lines.append('}')
    return '\n'.join(lines)


def draw(*heads, path=None, format='png'):
    """Render the graph with the `graphviz` package (``pip install 'ndgrad[graph]'``).

    Returns a ``graphviz.Source``; with `path`, also writes ``path.<format>``.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing graphs needs the graphviz package: pip install "
                          "'ndgrad[graph]' (and the Graphviz 'dot' program); "
                          "ndgrad.graph.to_dot(y) gives the DOT text without it") from None
    source = graphviz.Source(to_dot(*heads), format=format)
    if path is not None:
        source.render(path, cleanup=True)
    return source

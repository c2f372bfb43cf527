"""The recorded graph: one `Node` per recorded op, plus leaf nodes for variables.

A node keeps what its derivative rule needs and nothing more: an edge to each input
(for the traversal), the saved inputs and/or outputs (by the primitive's ``save``
policy), the op's keyword arguments, and the outputs' shapes and dtypes.

An edge names the output it comes from: a single-output node stands for its only
output, and output ``k`` of a multi-output node is ``Output(node, k)``. An array's
``_node`` is the edge to the output that made it.
"""

import math
import weakref
from itertools import count

from ._writes import CLOCK

_next_seq = count(0, -1).__next__


class Meta:
    """Shape and dtype of an array whose values a rule does not need."""

    __slots__ = ('dtype', 'shape')

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)


class Node(Meta):
    """A recorded op (``prim`` set) or a leaf variable (``prim`` is None).

    A node is also the `Meta` of the array it produced, so it stands in for that
    array's shape and dtype wherever a rule needs no values (no copy is made).

    ``parents`` holds the edge to each positional input (None for constants).
    ``inputs`` holds the op's positional arguments as values (the NumPy data of
    ndarrays, other arguments as passed) or `Meta` stand-ins where the rule needs no
    values; ``versions`` pairs the memory owner of each saved ndarray input with the
    time (`_writes.CLOCK`) the op read it, so a later write (through the array, a view
    or a detached alias) is detected instead of producing a silently wrong gradient.
    ``version`` is the time the node was made: a later write into its output's memory
    makes its history stale for whoever reads the values next (see
    `_primitive.stale`).
    ``site`` is where the op was recorded, kept only under
    ``autograd.detect_anomaly()``.
    ``seq`` counts creations downwards: a node is created after its parents, so a
    smaller ``seq`` means a later op, and taking nodes smallest first visits each one
    after every op that used it (the backward pass needs no sort).
    """

    __slots__ = (
        '__weakref__',
        'inputs',
        'kwargs',
        'out',
        'parents',
        'prim',
        'seq',
        'site',
        'version',
        'versions',
    )
    grad = grad_req = None  # a variable's gradient buffer and its request (see `Leaf`)

    def __init__(self, prim, parents, inputs, versions, kwargs, out, shape, dtype):
        self.prim = prim
        self.parents = parents
        self.inputs = inputs
        self.versions = versions
        self.kwargs = kwargs
        self.out = out
        self.shape = shape
        self.dtype = dtype
        self.site = None  # (file, line) of the user code that recorded it, in debug mode
        self.seq = _next_seq()
        self.version = CLOCK[0]

    @property
    def freed(self):
        """Whether a backward pass released what the node saved."""
        return self.inputs is None

    @property
    def name(self):
        return self.prim.name if self.prim is not None else 'variable'

    def __repr__(self):
        return f'<Node {self.name} shape={self.shape}>'


class Leaf(Node):
    """A variable: a node without an op, whose gradient backward stores into `grad`
    (an ndarray, or None where the gradient is returned instead) as `grad_req` says:
    'write' or 'add'."""

    __slots__ = ('grad', 'grad_req')

    def __init__(self, shape, dtype, grad, grad_req):
        Node.__init__(self, None, (), (), (), None, None, shape, dtype)
        self.grad = grad
        self.grad_req = grad_req
        if grad is not None:
            BUFFERED.add(self)


BUFFERED = weakref.WeakSet()  # the live variables with a gradient buffer


class Output(Meta):
    """The edge to output `index` of a multi-output `node` (``qr``, ``svd``, ``split``, a
    custom function): the `_node` of that output's array, and the `Meta` of its values.
    Gradients sent along it go to slot `index` of the node's gradient list."""

    __slots__ = ('__weakref__', 'index', 'node')
    grad = grad_req = None

    def __init__(self, node, index):
        self.node, self.index = node, index
        self.shape, self.dtype = node.shape[index], node.dtype[index]

    @property
    def parents(self):  # (for traversals: an output follows its node)
        return (self.node,)

    # what arrays ask of the node that made them
    prim = property(lambda self: self.node.prim)
    name = property(lambda self: f'{self.node.name}[{self.index}]')
    out = property(lambda self: self.node.out)
    freed = property(lambda self: self.node.freed)
    site = property(lambda self: self.node.site)

    @property
    def version(self):
        return self.node.version

    @version.setter
    def version(self, value):
        self.node.version = value

    def __repr__(self):
        return f'<Output {self.index} of {self.node!r}>'


class PerInput(tuple):
    """The rules of an op with any number of inputs: the rule for input i is ``make(i)``,
    built once."""

    def __new__(cls, make):
        self = super().__new__(cls)
        self.make = make
        self.cache = {}
        return self

    def __getitem__(self, i):
        rule = self.cache.get(i)
        if rule is None:
            rule = self.cache[i] = self.make(i)
        return rule

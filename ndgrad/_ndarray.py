"""The array type: a NumPy array, the graph node that produced it, and its gradient."""
import operator
import re
import sys
import warnings

import numpy

from ._errors import GradientLostWarning
from ._graph import Leaf
from ._state import CONFIG, STATE
from ._writes import mark_variable

_new = object.__new__


def wrap(data, node=None):
    """Wrap a NumPy array (no copy) as an ndgrad array recorded by `node`."""
    a = _new(ndarray)
    a._data = data
    a._node = node
    return a


def raw(value):
    """The NumPy value behind an ndgrad array; anything else unchanged."""
    return value._data if type(value) is ndarray else value


_DTYPE_SUFFIX = re.compile(r',\s*dtype=[\w.]+\)$')


class ndarray:
    """An n-dimensional array that can take part in automatic differentiation.

    >>> from ndgrad import autograd, np
    >>> x = np.arange(4); x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * np.dot(x, x)
    >>> y.backward(); x.grad
    array([ 0.,  4.,  8., 12.])
    """

    __slots__ = ('_data', '_node', '__weakref__')
    __array_priority__ = 1000.0

    def __init__(self, data):
        self._data = numpy.array(data)  # (its own memory: NumPy writes would go unseen)
        self._node = None

    # --- gradients -------------------------------------------------------------
    def attach_grad(self, grad_req='write', stype=None):
        """Allocate a zero gradient buffer, filled by later backward passes.

        ``grad_req`` is 'write' (backward overwrites ``grad``), 'add' (backward
        accumulates into it) or 'null' (no gradient). Attaching a gradient to an
        array computed under ``autograd.record()`` detaches it from that history.
        """
        if grad_req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        if stype not in (None, 'default'):
            raise ValueError('ndgrad arrays are dense: only stype=None is supported')
        if grad_req == 'null':
            self._node = None
            return
        if self._data.dtype.kind != 'f':
            raise TypeError(
                f'cannot attach a gradient to an array of dtype {self._data.dtype}: gradients '
                f"are defined for floating-point arrays only. Convert it first, e.g. "
                f"x = x.astype('float32'), or create it with a float dtype.")
        grad = wrap(numpy.zeros_like(self._data))
        node = self._node
        if type(node) is Leaf and node.grad is not None:
            # already a variable: graphs recorded from it fill the new buffer
            node.grad, node.grad_req = grad, grad_req
            return
        self._node = Leaf(self._data.shape, self._data.dtype, grad, grad_req)
        mark_variable(self._data)

    @property
    def grad(self):
        """The gradient buffer made by `attach_grad` (None for other arrays)."""
        node = self._node
        return None if node is None else node.grad

    @property
    def grad_req(self):
        node = self._node
        if node is None or node.prim is not None:
            return 'null'
        return node.grad_req

    def detach(self):
        """The same values (shared memory) with no recorded history."""
        return wrap(self._data)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute the gradient of this array with respect to every variable it depends on.

        A non-scalar array is treated as ``sum(self * out_grad)`` with ``out_grad``
        of ones by default: the sum of the per-element gradients. ``out_grad`` is
        the head gradient dL/dself and must have this array's shape.
        """
        # (autograd imports this module, so it is looked up here, not imported per call)
        sys.modules['ndgrad.autograd'].backward(self, out_grad, retain_graph, train_mode)

    # --- NumPy-like attributes ---------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def ctx(self):
        return 'cpu(0)'

    context = ctx

    def as_in_ctx(self, ctx):
        """This array on `ctx`: ndgrad computes on the CPU, so the array itself."""
        if not str(ctx).startswith('cpu'):
            raise ValueError(f'ndgrad computes on the CPU only; got {ctx!r}. Use npx.cpu().')
        return self

    as_in_context = as_in_ctx

    def copyto(self, other):
        """A copy on `other` (a context), or these values written into `other` (an array)."""
        if isinstance(other, ndarray):
            other[...] = self
            return other
        return wrap(self.as_in_ctx(other)._data.copy())

    def asnumpy(self):
        """A NumPy copy of the values."""
        return self._data.copy()

    def item(self, *args):
        self._warn_if_recorded('x.item()')
        return self._data.item(*args)

    def tolist(self):
        return self._data.tolist()

    def as_nd_ndarray(self):
        return self

    as_np_ndarray = as_nd_ndarray

    def wait_to_read(self):
        """No-op: ndgrad computes eagerly (kept for MXNet code)."""

    # --- Python protocols ---------------------------------------------------------
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError('len() of unsized object: this is a 0-d array')
        return self._data.shape[0]

    def __bool__(self):
        return bool(self._data)

    def _warn_if_recorded(self, what, stacklevel=3):
        if STATE.recording and self._node is not None:
            warnings.warn(
                f'{what} on an array with recorded history inside autograd.record() gives a '
                f'Python number, which carries no gradient: derivatives through it are lost. '
                f'Keep the value an array (use np.* functions instead of math.*), or '
                f'compute it under autograd.pause() to say you mean a constant.',
                GradientLostWarning, stacklevel=stacklevel)

    def _scalar(self, convert):
        if self._data.size != 1:
            raise TypeError(
                f'only size-1 arrays can be converted to Python scalars; this array has '
                f'shape {self._data.shape}. Functions from the math module (math.exp, '
                f'math.sin, ...) take one number: use the array functions of ndgrad '
                f'(np.exp(x), np.sin(x), ...), which work elementwise and keep the gradient.')
        self._warn_if_recorded(f'{convert.__name__}(x)', stacklevel=4)  # (via __float__)
        return convert(self._data.reshape(()).item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __index__(self):
        return operator.index(self._data)

    def __array__(self, dtype=None, copy=None):
        """The NumPy values: a read-only view (writes through NumPy could not be counted,
        and a graph may have saved these values); `asnumpy` gives a writeable copy."""
        data = self._data
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        if copy:
            return data.copy()
        if data.flags.writeable:
            data = data.view()
            data.flags.writeable = False
        return data

    def __hash__(self):
        return id(self)

    def __repr__(self):
        text = _DTYPE_SUFFIX.sub(')', numpy.array_repr(self._data))
        dtype = self._data.dtype
        if dtype != CONFIG.float_dtype and dtype != numpy.bool_:
            text = text[:-1] + f', dtype={dtype})'
        return text

    def __str__(self):
        return str(self._data)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (ndarray, (self._data,))

    def __copy__(self):
        return wrap(self._data.copy())

    def __deepcopy__(self, memo):
        return wrap(self._data.copy())

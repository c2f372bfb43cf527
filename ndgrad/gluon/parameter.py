"""Gluon parameters: named arrays with a gradient, initialized on demand.

A `Parameter` holds one ndgrad array (``data()``) with a gradient buffer attached
(``grad()``) unless ``grad_req='null'``. The same array object is kept for the
parameter's life: initializers, ``set_data``, ``Trainer.step`` and loading write into it
in place, so references a user holds stay valid (``reset_ctx`` to another device makes a
new one). The array lives on the context given to ``initialize`` (``npx.gpu(0)``: a GPU's
memory), one device per parameter. A shape with unknown dimensions (-1,
or 0 as MXNet also accepts) defers initialization to the first forward pass, where the
layer infers them from its input.

>>> from ndgrad import init
>>> w = Parameter('w_weight', shape=(2, 3))
>>> w.initialize(init.One())
>>> w.data()
array([[1., 1., 1.],
       [1., 1., 1.]])
>>> w
Parameter w_weight (shape=(2, 3), dtype=<class 'numpy.float32'>)
"""

import copy
import warnings
from collections import OrderedDict

import numpy

from .. import autograd, init as _init, numpy as _np
from .._ndarray import ndarray
from .utils import brief_list, contexts, indent

__all__ = ['Constant', 'DeferredInitializationError', 'Parameter', 'ParameterDict']

DEFAULT_INIT = _init.Uniform()  # Gluon's default initializer: Uniform(0.07)


class DeferredInitializationError(RuntimeError):
    """A parameter's data was asked for before its deferred initialization finished
    (before the first forward pass inferred its shape)."""


def shape_is_known(shape):
    """Whether every dimension of `shape` is known (none is -1 or 0)."""
    return shape is not None and all(d > 0 for d in shape)


def _one_device(name, ctx):
    """`ctx` (a list of contexts) if they are one device; ValueError if several."""
    if any(c != ctx[0] for c in ctx):
        raise ValueError(
            f"Parameter '{name}': a parameter lives on one device, not on {ctx} (ndgrad "
            f'keeps no copy per device). Initialize on one context, e.g. ctx=npx.gpu(0), '
            f'and split only the batch with gluon.utils.split_and_load.'
        )
    return ctx[:1]


def _as_array(value):
    return value if isinstance(value, ndarray) else _np.array(value)


class Parameter:
    """A Container holding parameters (weights) of Blocks, as MXNet 1.9's
    ``gluon.Parameter``: ``Parameter(name, grad_req='write', shape=None,
    dtype=numpy.float32, lr_mult=1.0, wd_mult=1.0, init=None,
    allow_deferred_init=False, differentiable=True)``.

    >>> b = Parameter('b', shape=2, init='ones'); b.initialize()
    >>> b.data(), b.grad()
    (array([1., 1.]), array([0., 0.]))
    """

    def __init__(self, name, grad_req='write', shape=None, dtype=numpy.float32,
                 lr_mult=1.0, wd_mult=1.0, init=None, allow_deferred_init=False,
                 differentiable=True, stype='default', grad_stype='default'):  # fmt: skip
        for kind, value in (('stype', stype), ('grad_stype', grad_stype)):
            if value != 'default':
                raise ValueError(
                    f"Parameter '{name}': ndgrad arrays are dense, so {kind} "
                    f"must be 'default', got {value!r}"
                )
        self._data = self._grad_req = self._trainer = None
        self._deferred_init = ()
        self._differentiable, self._allow_deferred_init = differentiable, allow_deferred_init
        self._shape = (
            (shape,) if isinstance(shape, int) else (None if shape is None else tuple(shape))
        )
        self.name, self._dtype, self.init = name, dtype, init
        self.lr_mult, self.wd_mult = lr_mult, wd_mult
        self.grad_req = grad_req

    def __repr__(self):
        return f'Parameter {self.name} (shape={self.shape}, dtype={self.dtype})'

    # --- attributes -----------------------------------------------------------------
    @property
    def grad_req(self):
        """'write' (backward overwrites the gradient), 'add' (accumulates: call
        ``zero_grad()`` between steps) or 'null' (no gradient)."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if self._data is not None:
            self._data.attach_grad(req)

    @property
    def dtype(self):
        """The parameter's data type; setting it casts the data."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        """The shape, -1 marking dimensions not known yet."""
        if self._shape is None:
            return None
        return tuple(d if d > 0 else -1 for d in self._shape)

    @shape.setter
    def shape(self, new_shape):
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
            old in (-1, 0, new) for new, old in zip(new_shape, self._shape)
        ):
            raise ValueError(
                f"Parameter '{self.name}': expected shape {self.shape} is "
                f'incompatible with given shape {new_shape}.'
            )
        self._shape = new_shape

    # --- values -------------------------------------------------------------------------
    def _check_initialized(self, ctx=None):
        if self._data is not None:
            if ctx is not None and contexts(ctx)[0] not in self._ctx_list:
                raise RuntimeError(
                    f"Parameter '{self.name}' was not initialized on context {ctx}. It was "
                    f'only initialized on {self._ctx_list}. Move it with '
                    f'reset_ctx({ctx}), or ask for data() on {self._ctx_list[0]}.'
                )
            return
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because "
                f'initialization was deferred. Actual initialization happens during the first '
                f'forward pass. Please pass one batch of data through the network before '
                f'accessing Parameters. You can also avoid deferred initialization by '
                f'specifying in_units, num_features, etc., for network layers.'
            )
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should "
            f'initialize parameters and create Trainer with Block.collect_params() instead '
            f'of Block.params because the later does not include Parameters of nested child '
            f'Blocks'
        )

    def data(self, ctx=None):
        """The parameter's array (the same object every time); `ctx` must be the context
        it lives on, if given."""
        self._check_initialized(ctx)
        return self._data

    def list_data(self):
        """The arrays on every context: ``[data()]``."""
        self._check_initialized()
        return [self._data]

    def grad(self, ctx=None):
        """The gradient buffer that backward fills."""
        if self._data is not None and self._grad_req == 'null':
            raise RuntimeError(
                f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'"
            )
        self._check_initialized(ctx)
        return self._data.grad

    def list_grad(self):
        """The gradient buffers on every context: ``[grad()]``."""
        return [self.grad()]

    def list_ctx(self):
        """The contexts the parameter lives on (one: ``[cpu(0)]`` or ``[gpu(i)]``)."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list)

    def zero_grad(self):
        """Set the gradient to 0 (nothing happens before initialization or without one)."""
        if self._data is None or self._grad_req == 'null':
            return
        self._data.grad[...] = 0

    def set_data(self, data):
        """Write `data` into the parameter's array (in place); before a deferred
        initialization, `data` becomes the initial value."""
        data = _as_array(data)
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        with autograd.pause():
            self._data[...] = data.as_in_ctx(self._ctx_list[0])

    # --- initialization ---------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=DEFAULT_INIT, force_reinit=False):
        """Create and fill the array: with `init`, else the parameter's own ``init``,
        else `default_init`. With unknown dimensions (and ``allow_deferred_init``) this
        waits for the first forward pass. A second call warns and does nothing unless
        ``force_reinit=True`` (which refills the same array)."""
        if self._data is not None and not force_reinit:
            warnings.warn(
                f"Parameter '{self.name}' is already initialized, ignoring. Set "
                f'force_reinit=True to re-initialize.',
                stacklevel=2,
            )
            return
        ctx = _one_device(self.name, contexts(ctx))
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self._shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError(
                f"Cannot initialize Parameter '{self.name}' because it has "
                f'invalid shape: {self.shape}.'
            )
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self._shape):
            raise ValueError(
                f"Cannot initialize Parameter '{self.name}' because it has "
                f'invalid shape: {self.shape}. Please specify in_units, '
                f'in_channels, etc for `Block`s.'
            )
        with autograd.pause():
            if data is None:
                data = _np.zeros(self._shape, dtype=self._dtype)
                _init.create(default_init)(_init.InitDesc(self.name, {'__init__': init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx):
        self._ctx_list = list(ctx)
        data = _as_array(data).as_in_ctx(ctx[0])
        old = self._data
        if old is not None and old.shape == data.shape and old.ctx == ctx[0]:
            old[...] = data  # (reinitialized in place: references stay valid)
        else:
            self._data = _np.array(data, dtype=self._dtype)
            if self._grad_req != 'null':
                self._data.attach_grad(self._grad_req)

    def _load_init(self, data, ctx=None):
        """(Re)initialize from loaded values."""
        if self._shape is not None and (
            len(self._shape) != data.ndim
            or not all(mine in (-1, 0, saved) for mine, saved in zip(self._shape, data.shape))
        ):
            raise ValueError(
                f"Failed loading Parameter '{self.name}' from saved params: "
                f'shape incompatible expected {self.shape} vs saved '
                f'{data.shape}'
            )
        self._shape = tuple(data.shape)
        if numpy.dtype(self._dtype) != data.dtype:
            raise ValueError(
                f"Failed loading Parameter '{self.name}' from saved params: "
                f'dtype incompatible expected {numpy.dtype(self._dtype)} vs '
                f'saved {data.dtype}.'
            )
        if self._data is None:
            ctx = (
                self._deferred_init[1]
                if self._deferred_init
                else _one_device(self.name, contexts(ctx))
            )
            self._deferred_init = ()
            with autograd.pause():
                self._init_impl(data, ctx)
        else:
            self.set_data(data)

    def reset_ctx(self, ctx):
        """Move the parameter (its values and a zero gradient) to the context `ctx`."""
        ctx = _one_device(self.name, contexts(ctx))
        if self._data is None:
            if self._deferred_init:
                self._deferred_init = (self._deferred_init[0], ctx, *self._deferred_init[2:])
            return
        self._ctx_list = ctx
        if self._data.ctx != ctx[0]:
            with autograd.pause():
                self._data = self._data.as_in_ctx(ctx[0])
                if self._grad_req != 'null':
                    self._data.attach_grad(self._grad_req)

    def cast(self, dtype):
        """Cast the data (and gradient) to `dtype`."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = self._data.astype(dtype)
            if self._grad_req != 'null':
                self._data.attach_grad(self._grad_req)

    def var(self):
        raise NotImplementedError(
            'ndgrad has no symbolic graphs: Parameter.var() is not available; use data()'
        )

    def _reduce(self):
        """The values to save: a NumPy copy."""
        return self.data().asnumpy()


class Constant(Parameter):
    """A constant parameter: its values do not change during training
    (``grad_req`` is 'null'; Trainer ignores it) but ``set_data`` can change them.

    >>> c = Constant('c', [[1, 2], [3, 4]]); c.initialize()
    >>> c.data()
    array([[1., 2.],
           [3., 4.]])
    """

    def __init__(self, name, value):
        value = _as_array(value)
        if value.dtype.kind != 'f':
            value = value.astype(_np.zeros(()).dtype)
        self.value = value
        super().__init__(
            name,
            grad_req='null',
            shape=value.shape,
            dtype=value.dtype,
            init=_init.Constant(value.asnumpy()),
        )

    def __repr__(self):
        return f'Constant {self.name} (shape={self.shape}, dtype={self.dtype})'

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn(
                f'Constant parameter "{self.name}" does not support grad_req other '
                f'than "null", and new value "{req}" is ignored.',
                stacklevel=2,
            )
        self._grad_req = 'null'


class ParameterDict:
    """Parameters by name; `get` creates them with the dict's prefix prepended (or
    takes them from the `shared` dict). ``Block.collect_params()`` returns one.

    >>> params = ParameterDict('net_')
    >>> w = params.get('weight', shape=(1, 2))
    >>> params.initialize(); list(params.keys())
    ['net_weight']
    """

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + ' ' if self._prefix else ''
        content = '\n'.join(indent(f'  {v}', 2) for v in self.values())
        return f'{name}(\n{content}\n)'

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """Prepended to the names of the parameters `get` creates."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The parameter ``prefix + name``: found here, in the shared dict, or created
        with `kwargs` (Parameter's arguments). An existing one must agree with them."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
            elif key == 'shape':
                value = (value,) if isinstance(value, int) else tuple(value)
                if len(value) != len(existing) or any(
                    a != b and a > 0 and b > 0 for a, b in zip(value, existing)
                ):
                    self._mismatch(name, key, value, existing)
                param._shape = tuple(b if a in (0, -1) else a for a, b in zip(value, existing))
            elif key == 'dtype':
                if numpy.dtype(value) != numpy.dtype(existing):
                    self._mismatch(name, key, value, existing)
            elif value is not None and value != existing:
                self._mismatch(name, key, value, existing)
        return param

    @staticmethod
    def _mismatch(name, key, value, existing):
        raise ValueError(
            f"Cannot retrieve Parameter '{name}' because desired attribute does "
            f"not match with stored for attribute '{key}': desired '{value}' vs "
            f"stored '{existing}'."
        )

    def get_constant(self, name, value=None):
        """The `Constant` ``prefix + name``, created with `value` if it does not exist."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(
                    f"No constant named '{name}'. Please specify value if you want "
                    f'to create a new constant.'
                )
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise ValueError(f"Parameter '{name}' already exists but it is not a constant.")
            if not numpy.array_equal(param.value.asnumpy(), numpy.asarray(value)):
                raise ValueError(
                    f"Constant '{name}' already exists but it's value doesn't match new value"
                )
        return param

    def update(self, other):
        """Add the parameters of `other` (a name may not name two different ones)."""
        for key, value in other.items():
            if key in self._params and self._params[key] is not value:
                raise ValueError(
                    f'Cannot update self with other because they have different '
                    f"Parameters with the same name '{key}'"
                )
        for key, value in other.items():
            self._params[key] = value

    def initialize(self, init=DEFAULT_INIT, ctx=None, verbose=False, force_reinit=False):
        """Initialize every parameter; `init` is the default for those without their own."""
        if verbose:  # (on a copy: the default initializer is shared)
            init = copy.copy(_init.create(init)).set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient to 0."""
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx):
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts the parameters live on."""
        found = []
        for param in self.values():
            found.extend(c for c in param.list_ctx() if c not in found)
        return found

    def setattr(self, name, value):
        """Set attribute `name` of every parameter, e.g.
        ``net.collect_params('.*bias').setattr('wd_mult', 0)``."""
        for param in self.values():
            setattr(param, name, value)

    def save(self, filename, strip_prefix=''):
        """Save the values to `filename` (NumPy .npz format) by name, `strip_prefix` removed."""
        arrays = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, "
                    f"but Parameter's name '{param.name}' does not start with "
                    f"'{strip_prefix}'."
                )
            arrays[param.name[len(strip_prefix) :]] = param._reduce()
        save_arrays(filename, arrays)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix='', cast_dtype=False, dtype_source='current'):  # fmt: skip
        """Load values saved by `save`."""
        self.load_dict(
            load_arrays(filename), ctx, allow_missing, ignore_extra, restore_prefix, filename
        )

    def load_dict(self, param_dict, ctx=None, allow_missing=False,
                  ignore_extra=False, restore_prefix='', filename=None,
                  cast_dtype=False, dtype_source='current'):  # fmt: skip
        """Load values from a dict of name → array."""
        arrays = {
            restore_prefix + (k[4:] if k.startswith(('arg:', 'aux:')) else k): v
            for k, v in param_dict.items()
        }
        where = f'file: {filename}' if filename else 'param_dict'
        if not allow_missing:
            for name in self.keys():
                if name not in arrays:
                    raise ValueError(
                        f"Parameter '{name[len(restore_prefix) :]}' is missing in "
                        f'{where}, which contains parameters: '
                        f'{brief_list(arrays)}. Set allow_missing=True to '
                        f'ignore missing parameters.'
                    )
        for name, value in arrays.items():
            if name not in self._params:
                if not ignore_extra:
                    raise ValueError(
                        f"Parameter '{name[len(restore_prefix) :]}' loaded from "
                        f'{where} is not present in ParameterDict, choices are: '
                        f'{brief_list(self._params)}. Set ignore_extra to True '
                        f'to ignore.'
                    )
                continue
            self._params[name]._load_init(numpy.asarray(value), ctx)


def save_arrays(filename, arrays):
    """Write a dict of name → array to `filename` in NumPy's .npz format (exactly that
    file name: no extension is added)."""
    with open(filename, 'wb') as f:
        numpy.savez(f, **{k: numpy.asarray(v) for k, v in arrays.items()})


def load_arrays(filename):
    """The dict of name → NumPy array that `save_arrays` wrote."""
    with numpy.load(filename, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}

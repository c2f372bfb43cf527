"""Blocks: the layers and models of Gluon (MXNet 1.9's ``gluon.Block`` and ``HybridBlock``).

A Block registers the Blocks and Parameters assigned to its attributes; its name comes
from its class (``dense0``, ``dense1``, ... counted per process, or inside a parent's
``name_scope()`` per parent) and prefixes its parameters' names (``dense0_weight``).
`HybridBlock` calls ``hybrid_forward(F, x, *args, **params)`` with ``F`` the ndgrad
package (``F.np``, ``F.npx``) and each parameter's array; ``hybridize()`` is accepted
and changes nothing, since ndgrad runs eagerly.

>>> from ndgrad import np
>>> from ndgrad.gluon import nn
>>> class Twice(nn.Block):
...     def forward(self, x):
...         return 2 * x
>>> Twice()(np.array([1., 2.]))
array([2., 4.])
"""

import re
import threading
import warnings
from collections import OrderedDict, defaultdict

import numpy

from .parameter import (
    DEFAULT_INIT,
    DeferredInitializationError,
    Parameter,
    ParameterDict,
    load_arrays,
    save_arrays,
)
from .utils import HookHandle, brief_list, indent

__all__ = ['Block', 'HybridBlock']


class _Names:
    """Per-thread counters of the names given to blocks created outside any
    name_scope (``dense0``, ``dense1``, ...)."""

    local = threading.local()

    @classmethod
    def next(cls, hint):
        counter = getattr(cls.local, 'counter', None)
        if counter is None:
            counter = cls.local.counter = {}
        count = counter.get(hint, 0)
        counter[hint] = count + 1
        return f'{hint}{count}'


class _BlockScope:
    """The scope ``with block.name_scope():`` opens: blocks created inside are named
    after their parent (``sequential0_dense0_``)."""

    current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """The prefix and parameter dict of a new block."""
        current = getattr(_BlockScope.current, 'value', None)
        if current is None:
            if prefix is None:
                prefix = _Names.next(hint) + '_'
            params = (
                ParameterDict(prefix) if params is None else ParameterDict(params.prefix, params)
            )
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f'{hint}{count}_'
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope.current, 'value', None)
        _BlockScope.current.value = self
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        _BlockScope.current.value = self._old_scope


class Block:
    """Base class for all neural network layers and models: subclass it, create
    children and parameters in ``__init__`` and define ``forward``.

    >>> from ndgrad import np
    >>> from ndgrad.gluon import nn
    >>> class MLP(nn.Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.hidden = nn.Dense(4, activation='relu')
    ...         self.out = nn.Dense(2)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x))
    >>> net = MLP(); net.initialize()
    >>> net(np.ones((3, 5))).shape
    (3, 2)
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        modstr = '\n'.join(
            f'  ({key}): {indent(repr(block), 2)}'
            for key, block in self.__dict__.items()
            if isinstance(block, Block)
        )
        return f'{self.__class__.__name__}(\n{modstr}\n)'

    def __setattr__(self, name, value):
        """Registers parameters and child blocks."""
        if isinstance(value, (Block, Parameter)) and '_children' not in self.__dict__:
            raise RuntimeError(
                f'cannot assign the {type(value).__name__} {name!r} before '
                f'Block.__init__ ran: call super().__init__(**kwargs) first in '
                f'{type(self).__name__}.__init__'
            )
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(
                    f'Changing attribute type for {name} from {type(existing)} to '
                    f'{type(value)} is not allowed.'
                )
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise ValueError(
                    f'Overriding Parameter attribute {name} is not allowed. If you '
                    f"want to share parameters between blocks, please set 'params' "
                    f'at Block construction instead.'
                )
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        """The prefix of this block's name and of its parameters' names."""
        return self._prefix

    @property
    def name(self):
        """The block's name: its prefix without the trailing '_'."""
        return self._name

    def name_scope(self):
        """``with self.name_scope():`` names the blocks created inside after this one."""
        return self._scope

    @property
    def params(self):
        """This block's own parameters (not its children's): a ParameterDict."""
        return self._params

    def _check_container_with_block(self):
        children = set(map(id, self._children.values()))

        def unregistered(data):
            if isinstance(data, (list, tuple)):
                return any(unregistered(item) for item in data)
            if isinstance(data, dict):
                return any(unregistered(item) for item in data.values())
            return isinstance(data, Block) and id(data) not in children

        for key, value in self.__dict__.items():
            if (
                isinstance(value, (list, tuple, dict))
                and not key.startswith('__')
                and key != '_children'
                and unregistered(value)
            ):
                warnings.warn(
                    f'"{self.__class__.__name__}.{key}" is an unregistered container with '
                    f'Blocks. Note that Blocks inside the list, tuple or dict will not be '
                    f'registered automatically. Make sure to register them using '
                    f'register_child() or switching to nn.Sequential/nn.HybridSequential '
                    f'instead. ',
                    stacklevel=3,
                )

    def collect_params(self, select=None):
        """The parameters of this block and all its children, as a ParameterDict;
        `select` keeps the names a regular expression matches (``'.*weight'``)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({name: value for name, value in self.params.items() if pattern.match(name)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_with_prefix(self, prefix=''):
        if prefix:
            prefix += '.'
        ret = {prefix + key: value for key, value in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename, deduplicate=False):
        """Save the parameters' values to `filename`, keyed by their place in the
        model (``'0.weight'``, ``'hidden.bias'``), in NumPy's .npz format (the file
        gets exactly that name; ``numpy.load`` reads it)."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            reverse = {value: key for key, value in params.items()}
            params = {key: value for value, key in reverse.items()}
        save_arrays(filename, {key: value._reduce() for key, value in params.items()})

    def load_parameters(
        self,
        filename,
        ctx=None,
        allow_missing=False,
        ignore_extra=False,
        cast_dtype=False,
        dtype_source='current',
    ):
        """Load values saved by `save_parameters` into this model's parameters
        (initializing them if needed)."""
        loaded = load_arrays(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any('.' in name for name in loaded):  # saved by ParameterDict.save
            self.collect_params().load_dict(
                loaded, ctx, allow_missing, ignore_extra, self.prefix, filename
            )
            return
        if not allow_missing:
            names = defaultdict(list)
            for key, value in params.items():
                names[value].append(key)
            for key, value in params.items():
                if not any(k in loaded for k in names[value]):
                    raise ValueError(
                        f"Parameter '{key}' is missing in file '{filename}', "
                        f'which contains parameters: {brief_list(loaded)}. Set '
                        f'allow_missing=True to ignore missing parameters.'
                    )
        for key, value in loaded.items():
            if key not in params:
                if not ignore_extra:
                    raise ValueError(
                        f"Parameter '{key}' loaded from file '{filename}' is not present in "
                        f'ParameterDict, which contains parameters {brief_list(params)}. Set '
                        f'ignore_extra=True to ignore. '
                    )
                continue
            if cast_dtype and dtype_source == 'current':
                value = value.astype(numpy.dtype(params[key].dtype))
            params[key]._load_init(value, ctx)

    def register_child(self, block, name=None):
        """Register `block` as a child (attributes holding Blocks are registered
        automatically)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before each forward; returns a handle to detach it."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, output)`` after each forward; returns a handle."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every child, recursively, then on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=DEFAULT_INIT, ctx=None, verbose=False, force_reinit=False):
        """Initialize the parameters of this block and its children: the same as
        ``self.collect_params().initialize(...)``."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Accepted for MXNet code: ndgrad runs every block eagerly, so this only
        records the flag (on this block and its children)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast every parameter of this block and its children to `dtype`."""
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def __call__(self, *args):
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        out = self.forward(*args)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        return out

    def forward(self, *args):
        """The computation: override it."""
        raise NotImplementedError(f'{type(self).__name__} must define forward(self, *args)')

    def summary(self, *inputs):
        """Print each layer's output shape and parameter count for a forward pass
        on `inputs` (the network must be initialized), as MXNet does."""
        from .nn.basic_layers import HybridSequential, Sequential

        summary = OrderedDict(Input=_summary_entry(inputs))
        seen = set()
        hooks = []

        def hook(block, _, outputs):
            entry = summary[f'{block.__class__.__name__}-{len(summary)}'] = _summary_entry(outputs)
            for param in block.params.values():
                size = param.data().size
                entry['n_params'] += size
                entry['trainable'] += 0 if param.grad_req == 'null' else size
                if param in seen:
                    entry['shared'] += size
                else:
                    seen.add(param)

        def register(block):
            if not isinstance(block, (Sequential, HybridSequential)):
                hooks.append(block.register_forward_hook(hook))

        try:
            self.apply(register)
            self(*inputs)
            _print_summary(summary)
        finally:
            for handle in hooks:
                handle.detach()


def _shape_text(args):
    """The shapes of a layer's inputs or outputs as MXNet's summary prints them."""
    if isinstance(args, (list, tuple)):
        return str(
            [
                _shape_text(a) if isinstance(a, (list, tuple)) else getattr(a, 'shape', a)
                for a in args
            ]
        )[1:-1]
    return str(getattr(args, 'shape', args))


def _summary_entry(outputs):
    return {'output_shape': _shape_text(outputs), 'n_params': 0, 'trainable': 0, 'shared': 0}


def _print_summary(summary):
    """MXNet's summary table of the layers' entries, and the parameter totals."""
    line = '{:>20}  {:>42} {:>15}'
    print('-' * 80)
    print(line.format('Layer (type)', 'Output Shape', 'Param #'))
    print('=' * 80)
    total = trainable = shared = 0
    for layer, entry in summary.items():
        print(line.format(layer, str(entry['output_shape']), entry['n_params']))
        total += entry['n_params']
        trainable += entry['trainable']
        shared += entry['shared']
    print('=' * 80)
    print('Parameters in forward computation graph, duplicate included')
    print('   Total params: ' + str(total))
    print('   Trainable params: ' + str(trainable))
    print('   Non-trainable params: ' + str(total - trainable))
    print('Shared params in forward computation graph: ' + str(shared))
    print('Unique parameters in model: ' + str(total - shared))
    print('-' * 80)


class HybridBlock(Block):
    """A Block whose computation is ``hybrid_forward(F, x, *args, **params)``: `F` is
    the ndgrad package (use ``F.np`` and ``F.npx``) and ``params`` holds the array of
    each registered parameter. Parameters with unknown dimensions are initialized at
    the first call, after ``infer_shape(x, *args)`` (which layers define) sets them.

    >>> from ndgrad import np
    >>> from ndgrad.gluon import nn
    >>> class Scale(nn.HybridBlock):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.w = self.params.get('w', shape=(1,), init='ones')
    ...     def hybrid_forward(self, F, x, w):
    ...         return F.np.tanh(x) * w
    >>> block = Scale(); block.initialize(); block.hybridize()
    >>> block(np.zeros(2))
    array([0., 0.])
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False

    def hybridize(self, active=True, **kwargs):
        """Accepted for MXNet code; ndgrad runs eagerly, so nothing changes but the flag."""
        self._active = active
        super().hybridize(active, **kwargs)

    def infer_shape(self, *args):
        """Set the unknown dimensions of this block's parameters from the inputs:
        layers with deferred initialization override it."""
        unknown = [p.name for p in self._reg_params.values() if p._deferred_init]
        raise ValueError(
            f'{self.name}: cannot infer the shapes of the parameters {unknown} '
            f'from the input. Give their full shapes when creating them, or '
            f'define infer_shape(self, x, *args) to set them.'
        )

    def _params_for(self, x, *args):
        try:
            return {key: value.data() for key, value in self._reg_params.items()}
        except DeferredInitializationError:
            self.infer_shape(x, *args)
            for param in self.params.values():
                param._finish_deferred_init()
            for param in self._reg_params.values():
                param._finish_deferred_init()
            return {key: value.data() for key, value in self._reg_params.items()}

    def forward(self, x, *args):
        import ndgrad

        return self.hybrid_forward(ndgrad, x, *args, **self._params_for(x, *args))

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation: override it."""
        raise NotImplementedError(
            f'{type(self).__name__} must define hybrid_forward(self, F, x, *args, **params)'
        )

    def export(self, path, epoch=0, remove_amp_cast=True):
        raise NotImplementedError(
            'ndgrad has no symbolic graphs to export; save the '
            'parameters with save_parameters instead'
        )

"""Opt-in: make ``import mxnet`` give ndgrad, so MXNet code runs unchanged.

After ``import ndgrad.mxnet_alias``, ``import mxnet as mx``, ``from mxnet import autograd,
gluon, init, np, npx`` and ``from mxnet.gluon import nn, loss`` give ndgrad's modules
(``sys.modules['mxnet.gluon'] is ndgrad.gluon``). Importing ndgrad alone never installs or
shadows anything named ``mxnet``: only importing this module does, and it replaces an
``mxnet`` imported earlier only if it is already this alias.

What the names map to: ``mxnet.np``/``mxnet.numpy`` is ``ndgrad.np``;
``mxnet.npx``/``mxnet.numpy_extension`` is ``ndgrad.npx``; ``mxnet.autograd``,
``mxnet.gluon[.*]``, ``mxnet.init``/``mxnet.initializer`` are ndgrad's; ``mxnet.random`` is
``ndgrad.np.random``; ``mxnet.image`` has the crop and resize helpers; ``mxnet.context``
has ``cpu``, ``gpu`` (CuPy's GPUs; it raises where there is none), ``num_gpus`` and
``current_context``, also reachable as ``mx.cpu()`` etc.

>>> import ndgrad.mxnet_alias
>>> import mxnet as mx
>>> from mxnet import np, gluon
>>> np is ndgrad.np, mx.cpu(), mx.context.num_gpus() >= 0
(True, cpu(0), True)
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

import ndgrad
from ndgrad import npx

__all__ = ['cpu', 'current_context', 'gpu', 'install', 'num_gpus']

MXNET_VERSION = '1.9.1'

# mxnet name -> ndgrad module; names not listed map mxnet.X.Y to ndgrad.X.Y
_TARGETS = {
    'np': 'ndgrad.numpy',
    'numpy': 'ndgrad.numpy',
    'npx': 'ndgrad.npx',
    'numpy_extension': 'ndgrad.npx',
    'autograd': 'ndgrad.autograd',
    'gluon': 'ndgrad.gluon',
    'init': 'ndgrad.init',
    'initializer': 'ndgrad.init',
    'random': 'ndgrad.numpy.random',
    'image': 'ndgrad.gluon.data.vision.image',
}


# --- mxnet.context -------------------------------------------------------------------------
def cpu(device_id=0):
    """The CPU context: where ndgrad computes.

    >>> cpu()
    cpu(0)
    """
    return npx.cpu(device_id)


def gpu(device_id=0):
    """The context of GPU `device_id` (CuPy); RuntimeError where there is none."""
    return npx.gpu(device_id)


def num_gpus():
    """How many GPUs CuPy sees (0 without CuPy or without a GPU).

    >>> num_gpus() >= 0
    True
    """
    return npx.num_gpus()


def current_context():
    """The default context: the innermost ``with ctx:`` block's, else the CPU."""
    return npx.current_context()


def _context_module():
    module = types.ModuleType('mxnet.context', 'Devices: the CPU, and GPUs through CuPy (npx.gpu).')
    for fn in (cpu, gpu, num_gpus, current_context):
        setattr(module, fn.__name__, fn)
    return module


# --- the top-level mxnet module --------------------------------------------------------------
def _top_module():
    module = types.ModuleType('mxnet', 'MXNet names served by ndgrad (ndgrad.mxnet_alias).')
    module.__path__ = []  # a package, so that ``import mxnet.gluon`` is looked up
    module.__version__ = MXNET_VERSION
    module.ndgrad = ndgrad
    module.cpu, module.gpu, module.num_gpus = cpu, gpu, num_gpus
    module.current_context = current_context

    def __getattr__(name):
        if name.startswith('__'):
            raise AttributeError(name)
        try:
            return importlib.import_module(f'mxnet.{name}')
        except ModuleNotFoundError as error:
            raise AttributeError(str(error)) from None

    module.__getattr__ = __getattr__
    return module


def _target(fullname):
    """The ndgrad module (or built module) that serves `fullname` (``mxnet...``)."""
    if fullname == 'mxnet':
        return _top_module()
    first, _, rest = fullname[len('mxnet.') :].partition('.')
    if first == 'context' and not rest:
        return _context_module()
    base = _TARGETS.get(first, f'ndgrad.{first}')
    name = f'{base}.{rest}' if rest else base
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is None or not name.startswith(error.name):
            raise
        raise ModuleNotFoundError(
            f'{fullname} is not provided by ndgrad (the mxnet alias maps it to {name}, '
            f'which does not exist). ndgrad offers mxnet.np, npx, autograd, gluon (nn, loss, '
            f'data, Trainer), init, random, image and context.',
            name=fullname,
        ) from None


class _Loader(importlib.abc.Loader):
    def __init__(self, module):
        self._module = module

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        pass


class MXNetAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``mxnet`` and ``mxnet.*`` as ndgrad modules."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'mxnet' and not fullname.startswith('mxnet.'):
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(_target(fullname)))


def install():
    """Put the finder first on ``sys.meta_path`` (once). A real MXNet imported before
    stays: importing this module then raises ImportError."""
    existing = sys.modules.get('mxnet')
    if existing is not None and getattr(existing, 'ndgrad', None) is not ndgrad:
        raise ImportError(
            'a real mxnet is already imported in this process; import '
            'ndgrad.mxnet_alias before anything imports mxnet, or use mxnet '
            'itself'
        )
    if not any(isinstance(f, MXNetAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MXNetAliasFinder())


install()

"""The libraries a workload can run on, and how to import each one (single-threaded)."""

import importlib

PEERS = ('ndgrad', 'numpy', 'torch', 'jax', 'autograd', 'mygrad')
FLOOR = 'numpy'  # hand-written NumPy: forward and backward written out by hand
LABELS = {
    'ndgrad': 'ndgrad',
    'numpy': 'NumPy (hand)',
    'torch': 'PyTorch',
    'jax': 'JAX (jit)',
    'autograd': 'HIPS autograd',
    'mygrad': 'MyGrad',
}


class Unavailable(Exception):
    """A workload cannot run on a peer (not installed, or no such feature)."""


_cache = {}


def load(peer):
    """Import `peer` once, configured for one thread; raise Unavailable if absent."""
    if peer not in _cache:
        try:
            module = importlib.import_module(peer)
        except ImportError as exc:
            _cache[peer] = exc
        else:
            if peer == 'torch':
                module.set_num_threads(1)
                module.set_num_interop_threads(1)
            _cache[peer] = module
    result = _cache[peer]
    if isinstance(result, Exception):
        raise Unavailable(f'{peer} is not installed')
    return result


def version(peer):
    try:
        module = load(peer)
    except Unavailable:
        return None
    if peer == 'autograd':
        from importlib.metadata import version as dist_version

        return dist_version('autograd')
    return getattr(module, '__version__', '?')

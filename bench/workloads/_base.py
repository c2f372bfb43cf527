"""A workload: one task written for each peer, built per peer into a ``step()``.

``step()`` runs the task once (forward and backward) and returns the gradients,
which the runner compares across peers (outside the timing).
"""

import numpy

from .._peers import Unavailable, load


class Workload:
    def __init__(self, name, title, rtol=1e-3, kind='time'):
        self.name = name
        self.title = title
        self.rtol = rtol
        self.kind = kind
        self.impls = {}

    def impl(self, peer):
        """Decorator: ``builder(quick)`` makes the step function for `peer`."""

        def register(builder):
            self.impls[peer] = builder
            return builder

        return register

    def build(self, peer, quick):
        builder = self.impls.get(peer)
        if builder is None:
            raise Unavailable(f'no {peer} version of this workload')
        load(peer)
        return builder(quick)


def ndgrad_func():
    """ndgrad's function transforms, or Unavailable until they exist."""
    try:
        from ndgrad import func
    except ImportError:
        raise Unavailable('ndgrad.func is not available') from None
    return func


def matrix_and_vector(n, seed):
    """A float32 n×n matrix scaled by 1/√n (so tanh(W @ x) does not saturate) and an n-vector."""
    rng = numpy.random.default_rng(seed)
    return (
        rng.standard_normal((n, n), dtype=numpy.float32) / n**0.5,
        rng.standard_normal(n, dtype=numpy.float32),
    )

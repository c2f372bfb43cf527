"""Exceptions raised by the autograd engine."""


class AutogradError(RuntimeError):
    """A misuse of the autograd API (MXNet raised ``MXNetError`` for these)."""


class GraphFreedError(AutogradError):
    """Backward through a graph whose saved buffers were already released."""


class NotRecordedError(AutogradError):
    """Backward of an array that has no recorded history."""


class InPlaceModificationError(AutogradError):
    """An array that a recorded graph still needs was modified in place."""


class PhaseDependentLossError(ValueError):
    """A loss depends on the arbitrary complex phase of eigen- or singular vectors
    (`np.linalg.eig`, `eigh`, `svd` of complex input), so it has no gradient."""


class GradientLostWarning(UserWarning):
    """A value leaves the recorded graph as a Python number (``float(x)``, ``x.item()``,
    ``math.exp(x)`` inside ``autograd.record()``): derivatives through it are lost."""

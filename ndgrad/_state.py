"""Per-thread autograd flags and the process-wide default float dtype."""
import threading

import numpy


class _State(threading.local):
    """`recording`: ops build a graph. `training`: layers such as dropout act."""

    def __init__(self):
        self.recording = False
        self.training = False
        self.transform_depth = 0  # how many ndgrad.func transforms are active
        self.anomaly = False  # inside autograd.detect_anomaly()


STATE = _State()


class _Config:
    """Process-wide defaults, set by `npx.set_np`."""

    float_dtype = numpy.dtype(numpy.float32)
    numpy_defaults = False  # True after npx.set_np(dtype=True): NumPy's float64/int64


CONFIG = _Config()

"""Per-thread autograd flags, the one way to set them for a block (`scope`), and the
process-wide default float dtype."""

import functools
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


class scope:
    """Set the recording and training flags (None: unchanged) for a block, then restore
    them; also a decorator. A class with slots, not a generator: it opens every training
    step's ``record()``.

    >>> with scope(True, None):
    ...     STATE.recording
    True
    """

    __slots__ = ('recording', 'saved', 'training')

    def __init__(self, recording, training=None):
        self.recording, self.training = recording, training

    def __enter__(self):
        self.saved = STATE.recording, STATE.training
        if self.recording is not None:
            STATE.recording = self.recording
        if self.training is not None:
            STATE.training = self.training

    def __exit__(self, *exc):
        STATE.recording, STATE.training = self.saved

    def __call__(self, fn):
        @functools.wraps(fn)
        def scoped(*args, **kwargs):
            with scope(self.recording, self.training):  # one scope per call
                return fn(*args, **kwargs)

        return scoped


class _Config:
    """Process-wide defaults, set by `npx.set_np`."""

    float_dtype = numpy.dtype(numpy.float32)
    numpy_defaults = False  # True after npx.set_np(dtype=True): NumPy's float64/int64


CONFIG = _Config()

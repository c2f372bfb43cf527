"""The autograd flags, the one way to set them for a block (`scope`), and the
process-wide default float dtype."""

import contextvars
import functools
import threading

import numpy

# `recording`: ops build a graph. `training`: layers such as dropout act. Context
# variables: each thread has its own (a new thread starts with neither), and so has
# each asyncio task (a task recording does not make its neighbours record). Read as
# ``recording()``: the check every op makes, a quarter of a thread-local's cost.
_RECORDING = contextvars.ContextVar('ndgrad.recording', default=False)
_TRAINING = contextvars.ContextVar('ndgrad.training', default=False)
recording, set_recording, reset_recording = _RECORDING.get, _RECORDING.set, _RECORDING.reset
training, set_training, reset_training = _TRAINING.get, _TRAINING.set, _TRAINING.reset


class _State(threading.local):
    """Per-thread debugging and transform state."""

    def __init__(self):
        self.transform_depth = 0  # how many ndgrad.func transforms are active
        self.anomaly = False  # inside autograd.detect_anomaly()


STATE = _State()


class scope:
    """Set the recording and training flags (None: unchanged) for a block, then restore
    them; also a decorator. A class with slots, not a generator: it opens every training
    step's ``record()``. (The backward pass to the leaves sets the same flags inline, in
    `_engine.backward_to_leaves`: a scope's three calls are 2% of a small step.)

    >>> with scope(True, None):
    ...     recording()
    True
    """

    __slots__ = ('recording', 'tokens', 'training')

    def __init__(self, recording, training=None):
        self.recording, self.training = recording, training

    def __enter__(self):
        # (a flag is set only where its value changes: a set costs as much as a call)
        rec, train = self.recording, self.training
        self.tokens = (
            None if rec is None or rec is recording() else set_recording(rec),
            None if train is None or train is training() else set_training(train),
        )

    def __exit__(self, *exc):
        rec, train = self.tokens
        if rec is not None:
            reset_recording(rec)
        if train is not None:
            reset_training(train)

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

"""Timing: per-call medians, peers measured round-robin so drift hits all alike."""

import gc
import statistics
import time


def _batch(fn, number):
    """Seconds per call over `number` back-to-back calls (garbage collector off, as timeit)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number
    finally:
        if enabled:
            gc.enable()


def calibrate(fn, min_time):
    """How many calls make a batch of at least `min_time` seconds (after one warm call)."""
    fn()
    number = 1
    while True:
        elapsed = _batch(fn, number) * number
        if elapsed >= min_time or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-9) * 1.2))


def measure(fns, repeats, min_time):
    """Median seconds per call of each function of `fns` (a dict), with all samples.

    Each round times one batch of every function in turn; `repeats` rounds.
    """
    numbers = {name: calibrate(fn, min_time) for name, fn in fns.items()}
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        gc.collect()
        for name, fn in fns.items():
            samples[name].append(_batch(fn, numbers[name]))
    return {
        name: {'median': statistics.median(s), 'min': min(s), 'samples': s, 'number': numbers[name]}
        for name, s in samples.items()
    }

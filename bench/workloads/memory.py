"""Peak memory of forward + backward through a 50-layer chain ``h = tanh(W @ h)``
(W and h 1000×1000 float32, one shared W), and what stays held afterwards.

Each peer runs in a fresh process (``python -m bench.workloads.memory PEER``) so
that one library's allocations cannot hide another's. See bench/README.md for the
method.
"""

import gc
import json
import os
import sys
import time

import numpy

from ._base import Workload

W = Workload(
    'memory',
    'peak memory, fwd+bwd of 50 layers tanh(W @ h), 1000x1000 float32 '
    '(--quick: 10 layers, 200x200)',
    rtol=1e-2,
    kind='memory',
)


def sizes(quick):
    return (200, 10) if quick else (1000, 50)


def _data(quick):
    n, layers = sizes(quick)
    rng = numpy.random.default_rng(0)
    A = rng.standard_normal((n, n), dtype=numpy.float32) / numpy.float32(n**0.5)
    h0 = rng.standard_normal((n, n), dtype=numpy.float32)
    return A, h0, layers


@W.impl('numpy')
def _numpy(quick):
    A, h0, layers = _data(quick)

    def step():
        hs = [h0]
        for _ in range(layers):
            hs.append(numpy.tanh(A @ hs[-1]))
        g = numpy.ones_like(h0)
        gA = numpy.zeros_like(A)
        while len(hs) > 1:
            h = hs.pop()
            g *= 1 - h * h
            del h
            gA += g @ hs[-1].T
            g = A.T @ g
        return gA

    return step


@W.impl('ndgrad')
def _ndgrad(quick):
    from ndgrad import autograd, np

    A, h0, layers = _data(quick)
    A, h0 = np.array(A), np.array(h0)
    A.attach_grad()

    def forward():
        h = h0
        for _ in range(layers):
            h = np.tanh(A @ h)
        return h.sum()

    def step():
        with autograd.record():
            loss = forward()
        loss.backward()
        return A.grad

    return step


@W.impl('torch')
def _torch(quick):
    import torch

    A, h0, layers = _data(quick)
    A, h0 = torch.from_numpy(A).requires_grad_(), torch.from_numpy(h0)

    def forward():
        h = h0
        for _ in range(layers):
            h = torch.tanh(A @ h)
        return h.sum()

    def step():
        if A.grad is not None:
            A.grad.zero_()
        forward().backward()
        return A.grad

    return step


def _f(np, h0, layers):
    def f(A):
        h = h0
        for _ in range(layers):
            h = np.tanh(np.dot(A, h))
        return np.sum(h)

    return f


@W.impl('autograd')
def _autograd(quick):
    import autograd
    import autograd.numpy as anp

    A, h0, layers = _data(quick)
    g = autograd.grad(_f(anp, h0, layers))
    return lambda: g(A)


@W.impl('jax')
def _jax(quick):
    import jax
    import jax.numpy as jnp

    A, h0, layers = _data(quick)
    A, h0 = jnp.asarray(A), jnp.asarray(h0)
    g = jax.jit(jax.grad(_f(jnp, h0, layers)))
    return lambda: g(A).block_until_ready()


@W.impl('mygrad')
def _mygrad(quick):
    import mygrad as mg

    A, h0, layers = _data(quick)
    A = mg.tensor(A)

    def step():
        h = h0
        for _ in range(layers):
            h = mg.tanh(mg.matmul(A, h))
        mg.sum(h).backward()
        return A.grad

    return step


# --- measuring, in a fresh process -------------------------------------------------


def _rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _reset_peak():
    """Reset the kernel's peak-RSS mark (VmHWM); False where that is not possible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _peak_rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) * 1024
    raise OSError('no VmHWM in /proc/self/status')


def measure(peer, quick):
    """Peak and retained memory of one forward + backward (bytes), in this process."""
    import tracemalloc

    step = W.build(peer, quick)
    step()  # warm-up: lazy imports, compilation, gradient buffers
    gc.collect()
    exact = _reset_peak()  # else the kernel's mark may include start-up (an upper bound)
    before = _rss()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    peak = max(_peak_rss() - before, 0)
    gnorm = float(numpy.linalg.norm(numpy.asarray(result)))
    del result
    retained = _rss() - before
    out = {
        'peak_rss': peak,
        'retained_rss': retained,
        'seconds': seconds,
        'gnorm': gnorm,
        'peak_exact': exact,
    }
    if peer in ('ndgrad', 'numpy', 'autograd', 'mygrad'):  # NumPy reports to tracemalloc
        tracemalloc.start()
        step()  # traced too: a gradient buffer it leaves (replacing an older one) is then known
        gc.collect()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = step()
        del result
        current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.update(traced_peak=traced_peak - base, traced_retained=current - base)
    return out


def run_child(peer, quick):
    """Run `measure` in a fresh interpreter; the dict it measured."""
    import subprocess

    env = dict(os.environ)
    # A fixed mmap threshold: every large buffer is mapped on allocation and unmapped
    # when freed, so RSS follows the live bytes for every library alike.
    env['MALLOC_MMAP_THRESHOLD_'] = '65536'
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    args = [sys.executable, '-m', 'bench.workloads.memory', peer] + (['--quick'] if quick else [])
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=root)
    if proc.returncode != 0:
        raise RuntimeError(
            proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f'exit status {proc.returncode}'
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


if __name__ == '__main__':
    from .._peers import Unavailable

    try:
        print(json.dumps(measure(sys.argv[1], '--quick' in sys.argv[2:])))
    except Unavailable as exc:
        print(json.dumps({'unavailable': str(exc)}))

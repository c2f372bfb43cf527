"""``python -m bench``: run the workloads on ndgrad and its peers, print and save the results.

python -m bench                  # every workload, every installed peer
python -m bench --quick          # few repetitions, small memory workload (CI)
python -m bench --only chain mlp --peers ndgrad,numpy,torch
"""

import argparse
import datetime
import os
import platform
import sys

from . import _peers, report
from ._peers import FLOOR, PEERS, Unavailable
from ._timing import measure
from .workloads import WORKLOADS
from .workloads.memory import run_child


def _arrays(result):
    import numpy

    if isinstance(result, (tuple, list)):
        return [a for r in result for a in _arrays(r)]
    return [numpy.asarray(result, dtype=numpy.float64)]


def _mismatch(result, reference, rtol):
    """Why `result` differs from the floor's gradient, or None if it agrees."""
    import numpy

    got, want = _arrays(result), _arrays(reference)
    if len(got) != len(want):
        return f'{len(got)} gradients instead of {len(want)}'
    for a, b in zip(got, want):
        if a.shape != b.shape:
            return f'gradient of shape {a.shape} instead of {b.shape}'
        scale = max(float(numpy.abs(b).max()), 1e-30)
        err = float(numpy.abs(a - b).max()) / scale
        if not err <= rtol:
            return f'gradient differs from the hand-written one by {err:.2g} (relative)'
    return None


def run_timed(workload, peers, quick, log):
    entries, steps, outputs = {}, {}, {}
    for peer in peers:
        try:
            step = workload.build(peer, quick)
            outputs[peer] = step()
        except Unavailable as exc:
            entries[peer] = {'skipped': str(exc)}
        except Exception as exc:  # a peer failing must not stop the run
            entries[peer] = {'error': f'{type(exc).__name__}: {exc}'.splitlines()[0][:200]}
        else:
            steps[peer] = step
            entries[peer] = {}
    reference = outputs.get(FLOOR)
    if reference is not None:
        for peer, out in outputs.items():
            why = _mismatch(out, reference, workload.rtol)
            if why:
                entries[peer]['mismatch'] = why
    log(f'  timing {", ".join(steps)}')
    timings = measure(steps, repeats=3 if quick else 15, min_time=0.0 if quick else 0.05)
    for peer, t in timings.items():
        entries[peer].update(t)
    return entries


def run_memory(workload, peers, quick, log):
    entries, norms = {}, {}
    for peer in peers:
        log(f'  {peer}')
        try:
            entry = run_child(peer, quick)
        except Exception as exc:
            entry = {'error': str(exc)[:200]}
        if 'unavailable' in entry:
            entry = {'skipped': entry['unavailable']}
        entries[peer] = entry
        if 'gnorm' in entry:
            norms[peer] = entry['gnorm']
    if FLOOR in norms:
        for peer, n in norms.items():
            if abs(n - norms[FLOOR]) > workload.rtol * abs(norms[FLOOR]):
                entries[peer]['mismatch'] = f'gradient norm {n:.6g} instead of {norms[FLOOR]:.6g}'
    return entries


def environment(peers):
    cpu = platform.processor()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    versions = {p: _peers.version(p) for p in peers}
    return {
        'cpu': cpu,
        'python': platform.python_version(),
        'platform': platform.platform(),
        'versions': versions,
        'threads': 1,
        'date': datetime.datetime.now().isoformat(timespec='seconds'),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench', description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick', action='store_true', help='few repetitions and a small memory workload (for CI)'
    )
    parser.add_argument(
        '--only',
        nargs='+',
        metavar='NAME',
        choices=list(WORKLOADS),
        help=f'workloads to run: {", ".join(WORKLOADS)}',
    )
    parser.add_argument(
        '--peers',
        default=','.join(PEERS),
        help=f'comma-separated libraries to compare (default: {",".join(PEERS)})',
    )
    parser.add_argument(
        '--out',
        default=os.path.join(os.path.dirname(__file__), 'results'),
        help='directory for results.json and results.png',
    )
    parser.add_argument('--no-plot', action='store_true', help='skip the PNG')
    args = parser.parse_args(argv)
    peers = [p for p in args.peers.split(',') if p]
    unknown = set(peers) - set(PEERS)
    if unknown:
        parser.error(f'unknown peers: {", ".join(sorted(unknown))}')
    names = args.only or list(WORKLOADS)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = {'environment': environment(peers), 'quick': args.quick, 'workloads': {}}
    for name in names:
        workload = WORKLOADS[name]
        log(f'{name}: {workload.title}')
        run = run_memory if workload.kind == 'memory' else run_timed
        results['workloads'][name] = {
            'title': workload.title,
            'kind': workload.kind,
            'peers': run(workload, peers, args.quick, log),
        }
    env = results['environment']
    print(
        f'{env["cpu"]}, Python {env["python"]}, one thread; versions: '
        + ', '.join(f'{p} {v}' for p, v in env['versions'].items() if v)
    )
    print(report.render(results, peers, names))
    path = report.write_json(results, args.out)
    print(f'\nwrote {path}')
    if not args.no_plot:
        png = report.write_plot(results, peers, args.out)
        print(f'wrote {png}' if png else 'no plot: matplotlib is not installed')
    return 0


if __name__ == '__main__':
    sys.exit(main())

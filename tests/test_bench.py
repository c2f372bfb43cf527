"""The benchmark suite keeps working: its quick mode runs end to end (speed is not judged)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_run(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'bench',
            '--quick',
            '--no-plot',
            '--peers',
            'ndgrad,numpy',
            '--out',
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'Targets' in proc.stdout
    results = json.loads((tmp_path / 'results.json').read_text())
    workloads = results['workloads']
    assert set(workloads) >= {'chain', 'sumsin', 'mlp', 'linreg', 'jacobian', 'hessian', 'memory'}
    for name, res in workloads.items():
        floor = res['peers']['numpy']
        assert 'error' not in floor and 'mismatch' not in floor, (name, floor)
        mine = res['peers']['ndgrad']
        assert 'error' not in mine and 'mismatch' not in mine, (name, mine)
    memory = workloads['memory']['peers']['ndgrad']
    # after backward, nothing the graph saved is still held
    assert memory['traced_retained'] < 0.05 * memory['traced_peak']


def test_missing_peer_is_skipped_with_a_note():
    sys.path.insert(0, ROOT)
    from bench import _peers
    from bench.workloads import WORKLOADS

    _peers._cache['torch'] = ImportError('pretend')
    try:
        try:
            WORKLOADS['chain'].build('torch', quick=True)
        except _peers.Unavailable as exc:
            assert 'not installed' in str(exc)
        else:
            raise AssertionError('expected Unavailable')
    finally:
        del _peers._cache['torch']

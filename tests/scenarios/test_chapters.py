"""The book's chapters 3-7 as scripts (examples/ch*.py): each runs in quick mode with only
the book's imports changed, reaches its stated result and draws its training curves."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / 'examples'

# script -> [(pattern of a printed number, lowest value accepted in quick mode)]
STATED = {
    'ch3_linear_concise.py': [],
    'ch3_softmax_concise.py': [(r'^test accuracy (\S+)$', 0.85)],
    'ch4_mlp.py': [
        (r'^MLP test accuracy (\S+)$', 0.85),
        (r'^MLP with dropout test accuracy (\S+)$', 0.85),
    ],
    'ch5_custom_layers.py': [(r'^test accuracy of the network of custom layers (\S+)$', 0.85)],
    'ch6_lenet.py': [(r'LeNet test accuracy (\S+) >=', 0.80)],
    'ch7_resnet.py': [(r'test accuracy (\S+) >=', 0.80)],
}
CURVES = {
    'ch3_linear_concise.py': 0,
    'ch3_softmax_concise.py': 1,
    'ch4_mlp.py': 4,
    'ch5_custom_layers.py': 1,
    'ch6_lenet.py': 1,
    'ch7_resnet.py': 1,
}


def run_example(script, tmp_path):
    env = dict(
        os.environ,
        NDGRAD_EXAMPLES_QUICK='1',
        MPLBACKEND='Agg',
        NDGRAD_FIGURE_DIR=str(tmp_path / 'figures'),
        # one BLAS thread: threads spinning on a shared 2-core machine cost 10x
        OPENBLAS_NUM_THREADS='1',
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize('script', sorted(STATED))
def test_chapter_reaches_its_stated_result(script, tmp_path):
    out = run_example(script, tmp_path)
    assert re.search(r'^stated results? reached', out, re.M), out[-2000:]
    for pattern, lowest in STATED[script]:
        value = float(re.search(pattern, out, re.M).group(1))
        assert value >= lowest, (pattern, value)
    figures = sorted((tmp_path / 'figures').glob('*.png')) if CURVES[script] else []
    assert len(figures) == CURVES[script]
    assert out.count('Animator: drawing the figure in') == CURVES[script]
    assert all(f.read_bytes()[:4] == b'\x89PNG' for f in figures)


def test_linear_regression_recovers_the_parameters(tmp_path):
    out = run_example('ch3_linear_concise.py', tmp_path)
    errors = re.search(r'error in estimating w: \[(.*)\]', out).group(1).split()
    assert all(abs(float(e)) < 0.01 for e in errors)
    losses = [float(v) for v in re.findall(r'^epoch \d+, loss (\S+)$', out, re.M)]
    assert len(losses) == 3 and losses[-1] < 1e-3 and losses[-1] < losses[0]


def test_examples_use_the_books_imports_only():
    for script in STATED:
        source = (EXAMPLES / script).read_text()
        imports = re.findall(r'^(?:from|import) (\S+)', source, re.M)
        assert set(imports) <= {'os', 'sys', 'tempfile', 'ndgrad', 'ndgrad.gluon'}, imports
        assert 'from ndgrad import d2l' in source

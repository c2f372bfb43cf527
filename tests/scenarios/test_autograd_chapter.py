"""The d2l.ai chapter "Automatic Differentiation", cell by cell.

Each test is one cell of the chapter with only the import changed to
``from ndgrad import autograd, np, npx``; it asserts the output the chapter shows.
Comparisons give booleans (NumPy's semantics) where MXNet 1.x printed 1. and 0.
"""

import numpy
import pytest

from ndgrad import autograd, np, npx


@pytest.fixture
def x():
    """Cells 2.6.1: ``x = np.arange(4)``, ``x.attach_grad()``."""
    npx.set_np()
    x = np.arange(4)
    x.attach_grad()
    return x


def f(a):
    """The control-flow function of section 2.6.4."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:  # noqa: SIM108  (the chapter's code as printed)
        c = b
    else:
        c = 100 * b
    return c


def test_set_np_and_arange():
    npx.set_np()
    x = np.arange(4)
    assert repr(x) == 'array([0., 1., 2., 3.])'
    assert x.dtype == numpy.float32


def test_attach_grad_gives_zeros(x):
    assert repr(x.grad) == 'array([0., 0., 0., 0.])'


def test_record_y(x):
    with autograd.record():
        y = 2 * np.dot(x, x)
    assert repr(y) == 'array(28.)'


def test_backward_gives_4x(x):
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    assert repr(x.grad) == 'array([ 0.,  4.,  8., 12.])'
    assert repr(x.grad == 4 * x) == 'array([ True,  True,  True,  True])'


def test_new_backward_overwrites_grad(x):
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    with autograd.record():
        y = x.sum()
    y.backward()
    assert repr(x.grad) == 'array([1., 1., 1., 1.])'


def test_non_scalar_backward_sums(x):
    with autograd.record():
        y = x * x  # y is a vector
    y.backward()
    u = x.copy()
    u.attach_grad()
    with autograd.record():
        v = (u * u).sum()  # v is a scalar
    v.backward()
    assert repr(x.grad == u.grad) == 'array([ True,  True,  True,  True])'
    assert repr(x.grad) == 'array([0., 2., 4., 6.])'


def test_detach(x):
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    assert repr(x.grad == u) == 'array([ True,  True,  True,  True])'
    assert repr(x.grad) == 'array([0., 1., 4., 9.])'
    y.backward()
    assert repr(x.grad == 2 * x) == 'array([ True,  True,  True,  True])'


def test_attach_grad_on_intermediate_detaches_it(x):
    y = np.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        u.attach_grad()  # Implicitly run u = u.detach()
        z = 5 * u - x
    z.backward()
    assert repr((x.grad, u.grad, y.grad)) == (
        '(array([-1., -1., -1., -1.]), array([5., 5., 5., 5.]), array([0., 0., 0., 0.]))'
    )


@pytest.mark.parametrize('seed', range(5))
def test_control_flow(seed):
    numpy.random.seed(seed)
    a = np.random.normal()
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == 'array(True)'
    assert a.grad.shape == ()


def test_control_flow_both_branches():
    """f is k*a with k a power of two for a > 0, and 100 times that for a < 0."""
    for value, factor in ((0.3, 1), (-0.3, 100)):
        a = np.array(value)
        a.attach_grad()
        with autograd.record():
            d = f(a)
        d.backward()
        k = float(a.grad)
        assert k / factor == 2 ** round(numpy.log2(k / factor))
        assert numpy.isclose(float(d), k * value, rtol=1e-6)


def test_training_mode(capsys):
    print(autograd.is_training())
    with autograd.record():
        print(autograd.is_training())
    assert capsys.readouterr().out == 'False\nTrue\n'


# --- the demo: python -m ndgrad.demo walks this chapter -------------------------------------


def _run_demo(capsys, *argv):
    from ndgrad import demo

    assert demo.main(list(argv)) == 0
    return capsys.readouterr().out


def test_demo_transcript_is_a_passing_doctest(capsys, tmp_path):
    """Every value the demo prints is what its code gives when rerun from scratch."""
    import doctest

    out = _run_demo(capsys, '--out', str(tmp_path / 'plot.png'))
    for title in (
        'simple example',
        'vector',
        'Detaching',
        'control flow',
        'Head gradients',
        'intermediates',
        'Training mode',
        'Second derivative',
        'sin(x)',
    ):
        assert title in out
    test = doctest.DocTestParser().get_doctest(out, {}, 'demo transcript', None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda text: None)
    assert runner.summarize(verbose=False).failed == 0
    assert len(test.examples) > 30


def test_demo_writes_the_png_with_matplotlib(capsys, tmp_path):
    pytest.importorskip('matplotlib')
    path = tmp_path / 'sin.png'
    out = _run_demo(capsys, '--out', str(path))
    assert f'plot written to {path}' in out
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_demo_writes_to_the_current_directory_by_default(capsys, tmp_path, monkeypatch):
    pytest.importorskip('matplotlib')
    monkeypatch.chdir(tmp_path)
    _run_demo(capsys)
    assert (tmp_path / 'sin_derivative.png').is_file()


def test_demo_without_matplotlib_says_how_to_get_the_plot(capsys, tmp_path, monkeypatch):
    import sys

    for name in [m for m in sys.modules if m == 'matplotlib' or m.startswith('matplotlib.')]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'matplotlib', None)  # import matplotlib now fails
    monkeypatch.chdir(tmp_path)
    out = _run_demo(capsys)
    lines = [line for line in out.splitlines() if 'pip install' in line]
    assert len(lines) == 1
    assert 'pip install matplotlib' in lines[0] and "pip install 'ndgrad[plot]'" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_demo_leaves_the_default_dtype_and_flags_alone(capsys, tmp_path):
    npx.set_np(dtype=True)
    _run_demo(capsys, '--out', str(tmp_path / 'p.png'))
    assert np.ones(2).dtype == numpy.float64
    assert not autograd.is_recording() and not autograd.is_training()


def test_demo_docstrings():
    import doctest

    from ndgrad import demo

    assert doctest.testmod(demo).failed == 0


# --- the README: its examples run, its set-up commands are what CI runs -----------------------

ROOT = __import__('pathlib').Path(__file__).resolve().parents[2]


def test_readme_examples():
    import doctest

    result = doctest.testfile(str(ROOT / 'README.md'), module_relative=False)
    assert result.attempted >= 10 and result.failed == 0


def test_readme_set_up_has_exactly_two_commands_and_ci_runs_the_second():
    import re

    text = (ROOT / 'README.md').read_text()
    section = text.split('## Set up', 1)[1]
    commands = re.findall(r'```bash\n(.*?)\n```', section, flags=re.S)
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[plot]' "
        '&& python -m ndgrad.demo',
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' "
        '&& python -m pytest',
    ]
    ci = (ROOT / '.ci' / 'run').read_text().strip().splitlines()
    assert commands[1] in ci  # (verbatim, as a line of its own; release checks follow)


def test_demo_runs_as_a_module(tmp_path):
    """``python -m ndgrad.demo`` and ``python -m ndgrad``, as a user runs them."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND='Agg')
    for module in ('ndgrad.demo', 'ndgrad'):
        out = subprocess.run(
            [sys.executable, '-m', module, '--out', str(tmp_path / 'p.png')],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith('>>> from ndgrad import autograd, np, npx\n')
        assert 'array([ 0.,  4.,  8., 12.])' in out.stdout

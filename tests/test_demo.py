"""python -m ndgrad.demo: the points the chapter makes, printed, and the plot."""

import subprocess
import sys
import time

import pytest

from ndgrad import demo


def _transcript(capsys, tmp_path):
    assert demo.main(['--out', str(tmp_path / 'plot.png')]) == 0
    return capsys.readouterr().out


def test_demo_prints_the_values_the_chapter_reasons_about(capsys, tmp_path):
    out = _transcript(capsys, tmp_path)
    for shown in (
        '>>> u\narray([0., 1., 4., 9.])',
        '>>> d / a\narray(1024.)\n>>> a.grad\narray(1024.)',
        (
            '>>> x.grad, u.grad, y.grad\n(array([-1., -1., -1., -1.]), '
            'array([5., 5., 5., 5.]), array([0., 0., 0., 0.]))'
        ),
    ):
        assert shown in out


def test_demo_shows_the_second_backward_error_and_its_fix(capsys, tmp_path):
    out = _transcript(capsys, tmp_path)
    assert (
        '>>> y.backward()\n>>> y.backward()\nTraceback (most recent call last):\n  ...\n'
        "ndgrad._errors.GraphFreedError: the graph through 'multiply' was already used by a "
        'backward pass'
    ) in out
    assert 'pass retain_graph=True to the earlier calls' in out
    assert (
        '>>> y.backward(retain_graph=True)\n>>> y.backward()\n>>> x.grad\n'
        'array([3., 3., 3., 3.])' in out
    )


def test_demo_shows_the_code_of_the_sin_plot(capsys, tmp_path):
    out = _transcript(capsys, tmp_path)
    assert ">>> x = np.linspace(0, 10, 200, dtype='float64')" in out
    assert '...     y = np.sin(x)\n>>> y.backward()' in out
    assert 'plt.plot(x, x.grad' in out
    assert 'cos' not in out.split('# Exercise')[1].split('# max')[0].replace(
        'without using cos(x)', ''
    )  # the derivative is not computed from cos


def test_run_step_reports_only_the_expected_error_of_the_last_statement():
    with pytest.raises(ZeroDivisionError):
        demo.run_step('1 / 0\n2', {}, raises=ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        demo.run_step('1 / 0', {})
    with pytest.raises(ZeroDivisionError):
        demo.run_step('1 / 0', {}, raises=KeyError)


def test_plot_has_axis_labels():
    pytest.importorskip('matplotlib')
    ax = demo.sin_figure(num=20).axes[0]
    assert ax.get_xlabel() == 'x'
    assert ax.get_ylabel() == 'f(x) and df(x)/dx'
    assert len(ax.lines) == 2


def test_demo_runs_in_under_five_seconds(tmp_path):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, '-m', 'ndgrad.demo', '--out', str(tmp_path / 'p.png')],
        check=True,
        capture_output=True,
    )
    assert time.perf_counter() - start < 5

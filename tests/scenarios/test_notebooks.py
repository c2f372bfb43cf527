"""The notebooks in examples/: each is re-executed, and its outputs are the ones it states.

The notebooks are committed with their outputs. After editing one, execute it and save the
outputs with ``python -m tests.scenarios.test_notebooks examples/NAME.ipynb`` (no name: all).
"""

import os
import pathlib
import shutil
import sys
import time

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / 'examples'
CELL_TIMEOUT = 60  # seconds

# Per notebook, the text each listed cell shows (cells are found by their id).
EXPECTED = {
    'autograd.ipynb': {
        'x': 'array([0., 1., 2., 3.])',
        'grad-zeros': 'array([0., 0., 0., 0.])',
        'record-y': 'array(28.)',
        'x-grad': 'array([ 0.,  4.,  8., 12.])',
        'check-4x': 'array([ True,  True,  True,  True])',
        'overwrite': 'array([1., 1., 1., 1.])',
        'non-scalar': 'array([ True,  True,  True,  True])',
        'detach': 'array([ True,  True,  True,  True])',
        'y-backward': 'array([ True,  True,  True,  True])',
        'attach-intermediate': (
            '(array([-1., -1., -1., -1.]), array([5., 5., 5., 5.]), array([0., 0., 0., 0.]))'
        ),
        'check-k': 'array(True)',
        'k-values': '(array(1.6243454), array(1663.3297), array(1024.), array(1024.))',
        'training': 'False\nTrue\n',
    },
    'exercises.ipynb': {
        'backward-twice': (
            "GraphFreedError: the graph through 'multiply' was already used by a backward pass"
        ),
        'retain-graph': '[3. 3. 3. 3.]\n[3. 3. 3. 3.]\n',
        'retain-graph-add': '[3. 3. 3. 3.]\n[6. 6. 6. 6.]\n',
        'vector-a': 'array([ True,  True,  True,  True])',
        'matrix-trap': 'exact: 3 of 6, allclose: True',
        'auction': '(array(5.), array([0., 0., 1., 0.]))',
        'auction-tie': '(array(4.), array([0.5, 0. , 0.5]))',
        'auction-top-tie': '(array(9.), array([0.5, 0.5, 0. ]))',
        'sin': 'max |x.grad - cos(x)| = 0.0',
        'vector-jacobian': (
            'array([[4096.,    0.,    0.],\n       [   0., 4096.,    0.],\n'
            '       [   0.,    0., 4096.]], dtype=float64)'
        ),
    },
    'forum.ipynb': {
        'head-gradient': 'array([20.  ,  2.  ,  0.2 ,  0.02])',
        'no-head-gradient': 'array([2., 2., 2., 2.])',
        'partial': ('(array([1., 1., 1., 1.]), array([0., 0., 0., 0.]))\narray([2., 2., 2., 2.])'),
        'total': 'array([3., 3., 3., 3.])',
        'set-recording-detach': 'array([ 5., 12., 21., 32.])',
        'set-recording': 'array([10., 24., 42., 64.])',
        'intermediate-cut': 'x=>[0. 0. 0.] z=>[0. 4. 8.]',
        'intermediate-grad': '[array([ 0.,  8., 16.]), array([0., 4., 8.])]',
        'torch-twice': 'array([ 0.,  8., 16., 24.])',
        'detach-head': (
            'k = 1024.0  a.grad / (k * d) = [1. 1. 1.]\narray([1024., 1024., 1024.], dtype=float64)'
        ),
        'jacobian-rows': '[[  2.   0.   0.]\n [  0.  40.   0.]\n [  0.   0. 600.]]\narray(True)',
        'per-element': '(array(True), array(True))',
        'sum-grad': '(array(6.), array([1., 1., 1., 1.]))',
        'conv': 'dL/dw True  dL/dx True',
        'rnn': 'dL/dW True  dL/dU True',
    },
    'from_scratch.ipynb': {
        'digits': '((1500, 64), (297, 64))',
        'final': 'softmax regression: 0.9',  # (each training cell asserts its accuracy)
    },
}


def _text(cell):
    """What a code cell shows as text: its printed output and its result."""
    parts = []
    for out in cell.get('outputs', []):
        if out['output_type'] == 'stream':
            parts.append(out['text'])
        elif out['output_type'] in ('execute_result', 'display_data'):
            parts.append(out['data'].get('text/plain', '') + '\n')
        elif out['output_type'] == 'error':
            parts.append(f'{out["ename"]}: {out["evalue"]}\n')
    return ''.join(parts)


def execute(path):
    """The notebook at `path`, executed in a fresh kernel (a failing cell raises)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault('MPLBACKEND', 'Agg')
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name='python3',
        record_timing=False,
        resources={'metadata': {'path': str(path.parent)}},
    ).execute()
    return nb


def _check(nb, name):
    cells = {cell.get('id'): cell for cell in nb.cells}
    for cell_id, expected in EXPECTED[name].items():
        assert cell_id in cells, f'{name}: no cell {cell_id!r}'
        shown = _text(cells[cell_id])
        assert expected.rstrip('\n') in shown, f'{name}, cell {cell_id!r} shows:\n{shown}'


def _needs_graphviz(nb):
    return any('graph.draw' in cell.source for cell in nb.cells if cell.cell_type == 'code')


@pytest.fixture(scope='module')
def timings():
    spent = {}
    yield spent
    assert sum(spent.values()) < 180, f'the notebooks took {spent} seconds'


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_notebook_runs_and_shows_the_stated_values(name, timings):
    pytest.importorskip('nbclient')
    pytest.importorskip('ipykernel')
    import nbformat

    path = EXAMPLES / name
    committed = nbformat.read(path, as_version=4)
    if _needs_graphviz(committed) and (shutil.which('dot') is None or not _importable('graphviz')):
        pytest.skip("this notebook draws graphs: it needs graphviz and Graphviz's dot")
    if name == 'from_scratch.ipynb':
        pytest.importorskip('sklearn')
    code = [cell for cell in committed.cells if cell.cell_type == 'code']
    assert all(cell.execution_count for cell in code), f'{name} is committed unexecuted'
    _check(committed, name)
    start = time.perf_counter()
    executed = execute(path)
    timings[name] = time.perf_counter() - start
    _check(executed, name)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_committed_notebook_shows_its_pictures(name):
    """A cell ending in a graph picture shows an SVG, one ending in a figure a PNG."""
    import nbformat

    nb = nbformat.read(EXAMPLES / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != 'code':
            continue
        last = cell.source.rstrip().splitlines()[-1]
        kinds = {kind for out in cell.outputs for kind in out.get('data', {})}
        if last.startswith('graph.draw('):
            assert 'image/svg+xml' in kinds, f'{name}, cell {cell.id!r}: no picture'
        elif last == 'fig':
            assert 'image/png' in kinds, f'{name}, cell {cell.id!r}: no figure'


def test_examples_holds_the_notebooks_listed_here():
    assert sorted(path.name for path in EXAMPLES.glob('*.ipynb')) == sorted(EXPECTED)


def _importable(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv):
    """Execute the notebooks named in `argv` (default: all) and save them with outputs."""
    import nbformat

    paths = [pathlib.Path(a).resolve() for a in argv] or sorted(EXAMPLES.glob('*.ipynb'))
    for path in paths:
        start = time.perf_counter()
        nb = execute(path)
        _check(nb, path.name)
        nbformat.write(nb, path)
        print(f'{path.name}: executed and saved in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main(sys.argv[1:])

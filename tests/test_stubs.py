"""The type stubs of the generated namespaces (ndgrad/numpy/*.pyi, ndgrad/npx.pyi) are
generated from the op registry and must be up to date."""

import ast
import doctest
import importlib.util
import inspect
import pathlib

import pytest

from ndgrad import _coverage

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_stubs = _load_tool('gen_stubs')


@pytest.mark.parametrize('namespace', sorted(gen_stubs.STUBS))
def test_committed_stub_matches_the_generator(namespace):
    path = ROOT / gen_stubs.STUBS[namespace]
    committed = path.read_text() if path.exists() else ''
    assert committed == gen_stubs.render(namespace), (
        f'{gen_stubs.STUBS[namespace]} is out of date: run `{gen_stubs.COMMAND}` and commit it'
    )


@pytest.mark.parametrize('namespace', sorted(gen_stubs.STUBS))
def test_stub_declares_every_public_function(namespace):
    tree = ast.parse(gen_stubs.render(namespace))
    declared = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    module = dict(_coverage.NAMESPACES)[namespace]
    assert declared == set(_coverage.public_names(namespace, module))


def test_check_mode_reports_a_stale_stub(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gen_stubs, 'ROOT', tmp_path)
    for relative in gen_stubs.STUBS.values():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
    assert gen_stubs.main(['--check']) == 1
    assert gen_stubs.COMMAND in capsys.readouterr().out
    assert gen_stubs.main([]) == 0
    assert gen_stubs.main(['--check']) == 0
    (tmp_path / gen_stubs.STUBS['npx']).write_text('old\n')
    assert gen_stubs.main(['--check']) == 1
    assert 'ndgrad/npx.pyi' in capsys.readouterr().out


def test_signatures_are_the_functions_own():
    def op(a, b=None, /, axis=None, *rest, keepdims=False, dtype=None, **extra):
        """A made-up op."""

    line = gen_stubs.render_function('np', 'op', op)
    assert line == (
        'def op(a: ArrayLike, b: ArrayLike | None = ..., /, axis: Axis = ..., '
        '*rest: ArrayLike, keepdims: bool = ..., dtype: DTypeLike = ..., '
        '**extra: Any) -> ndarray: ...'
    )


def test_results_that_are_not_one_array():
    assert gen_stubs.render_function('np', 'split', lambda ary, n: ary).endswith(
        '-> Sequence[ndarray]: ...'
    )
    assert gen_stubs.render_function('npx', 'set_np', lambda dtype=False: None) == (
        'def set_np(dtype: bool = ...) -> None: ...'
    )


@pytest.mark.parametrize('table', ['RETURNS', 'PARAMS'])
def test_overrides_name_existing_functions_and_parameters(table):
    for key in getattr(gen_stubs, table):
        namespace, name = key.split('.')
        module = dict(_coverage.NAMESPACES)[namespace]
        assert name in _coverage.public_names(namespace, module), key
        for param in gen_stubs.PARAMS.get(key, {}):
            assert param in inspect.signature(getattr(module, name)).parameters, (key, param)


def test_a_public_name_without_a_rule_is_an_error(monkeypatch):
    from ndgrad import npx

    monkeypatch.setattr(npx, 'answer', 42, raising=False)
    with pytest.raises(TypeError, match=r'ndgrad\.npx\.answer \(of type int\)'):
        gen_stubs.render('npx')


def test_tool_doctests():
    assert doctest.testmod(gen_stubs).failed == 0

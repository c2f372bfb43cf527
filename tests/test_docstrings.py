"""Run every docstring example in the ``ndgrad`` package."""

import doctest
import importlib
import io
import pkgutil

import numpy
import pytest

import ndgrad

SKIP_MODULES = {'ndgrad.demo', 'ndgrad.__main__'}
OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _extra_globals():
    return {
        'np': ndgrad.np,
        'npx': ndgrad.npx,
        'autograd': ndgrad.autograd,
        'func': ndgrad.func,
        'numpy': numpy,
    }


def _collect():
    names = ['ndgrad']
    for info in pkgutil.walk_packages(ndgrad.__path__, prefix='ndgrad.'):
        if info.name in SKIP_MODULES:
            continue
        names.append(info.name)
    finder = doctest.DocTestFinder()
    tests = {}
    for name in sorted(names):
        module = importlib.import_module(name)
        for test in finder.find(module, name, globs={}):
            if test.examples and test.name not in tests:
                tests[test.name] = (module, test)
    return tests


_TESTS = _collect()


@pytest.mark.parametrize('name', sorted(_TESTS))
def test_docstring(name):
    module, test = _TESTS[name]
    test.globs = dict(vars(module))
    test.globs.update(_extra_globals())
    ndgrad.npx.set_np()
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    result = runner.run(test, out=out.write, clear_globs=True)
    if result.failed:
        pytest.fail(out.getvalue(), pytrace=False)

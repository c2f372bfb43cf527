"""docs/coverage.md is generated from the rule tables and must be up to date."""

import doctest

import numpy
import pytest

from ndgrad import _coverage
from ndgrad._primitive import COMPOSITES, REC as P, REGISTRY, Primitive


def test_committed_document_matches_the_generator():
    committed = _coverage.DOC.read_text() if _coverage.DOC.exists() else ''
    assert committed == _coverage.render(), (
        'docs/coverage.md is out of date: run `python -m ndgrad._coverage` and commit it'
    )


def test_check_mode(tmp_path, monkeypatch, capsys):
    stale = tmp_path / 'coverage.md'
    stale.write_text('old\n')
    monkeypatch.setattr(_coverage, 'DOC', stale)
    assert _coverage.main(['--check']) == 1
    assert 'python -m ndgrad._coverage' in capsys.readouterr().out
    assert _coverage.main([]) == 0
    assert _coverage.main(['--check']) == 0
    assert stale.read_text() == _coverage.render()


def test_every_public_function_is_listed():
    text = _coverage.render()
    for name in (
        '`np.sin`',
        '`np.dot`',
        '`np.array`',
        '`np.linalg.norm`',
        '`npx.relu`',
        '`np.random.normal`',
        '`np.argmax`',
    ):
        assert name in text


def test_primitive_rows():
    row = _coverage.classify('np', 'sin')
    assert (row.reverse, row.higher, row.forward) == ('yes', 'any order', 'own jvp rule')
    row = _coverage.classify('np', 'argmax')
    assert (row.reverse, row.forward) == ('—', '—') and 'not differentiable' in row.notes
    row = _coverage.classify('np', 'array')
    assert row.reverse == '—' and 'constant' in row.notes


def _fake_primitive(monkeypatch, name, jvp):
    prim = Primitive(
        name,
        numpy.negative,
        vjps=(lambda xp, g, ans, x: -g,),
        jvps=None if jvp is None else (jvp,),
        save='shapes',
        export='np',
    )
    monkeypatch.setitem(REGISTRY, name, prim)
    return prim


def test_forward_mode_fallback_is_reported(monkeypatch):
    _fake_primitive(monkeypatch, 'zz_nojvp', None)
    _fake_primitive(monkeypatch, 'zz_jvp', lambda xp, t, ans, x: -t)
    assert _coverage.classify('np', 'zz_nojvp').forward == 'via transposed vjp'
    assert _coverage.classify('np', 'zz_jvp').forward == 'own jvp rule'


def test_composite_rows_come_from_the_primitives_they_call(monkeypatch):
    _fake_primitive(monkeypatch, 'zz_nojvp', None)

    def zz_composite(x):
        return P.zz_nojvp(P.sin(x)) + P.argmax(x)

    def zz_constant(x):
        return P.argmax(x)

    for fn in (zz_composite, zz_constant):
        fn.export = 'np'
        monkeypatch.setitem(COMPOSITES, fn.__name__, fn)
    row = _coverage.classify('np', 'zz_composite')
    assert row.reverse == 'yes' and row.forward == 'via transposed vjp (zz_nojvp)'
    assert row.notes == 'composed of `argmax`, `sin`, `zz_nojvp`'
    row = _coverage.classify('np', 'zz_constant')
    assert row.reverse == '—' and row.notes == 'composed of `argmax`; not differentiable'


def test_rules_that_raise_not_implemented_are_flagged(monkeypatch):
    def rule(xp, g, ans, x, mode=None):
        if mode:
            raise NotImplementedError('gradient for this mode')
        return g

    prim = Primitive('zz_partial', numpy.copy, vjps=(rule,), jvps=(rule,), export='np')
    monkeypatch.setitem(REGISTRY, 'zz_partial', prim)
    assert 'NotImplementedError' in _coverage.classify('np', 'zz_partial').notes


def test_module_doctest():
    assert doctest.testmod(_coverage).failed == 0


@pytest.mark.parametrize('namespace', ['np', 'linalg', 'random', 'npx'])
def test_namespaces_are_sorted_and_unique(namespace):
    module = dict(_coverage.NAMESPACES)[namespace]
    names = _coverage.public_names(namespace, module)
    assert names == sorted(set(names))

"""Release metadata: the version in one place, the licence, the changelog, the type marker
and the documentation site's hooks."""

import doctest
import importlib.metadata
import importlib.util
import pathlib
import re

import pytest

import ndgrad
from ndgrad import _version

tomllib = pytest.importorskip('tomllib')  # (Python 3.11 and later)
ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text())


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_version_is_defined_once():
    assert ndgrad.__version__ == _version.__version__
    assert re.fullmatch(r'\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?', ndgrad.__version__)
    assert 'version' in PYPROJECT['project']['dynamic']
    assert 'version' not in PYPROJECT['project']
    attr = PYPROJECT['tool']['setuptools']['dynamic']['version']['attr']
    assert attr == 'ndgrad._version.__version__'
    sources = [
        p
        for p in (ROOT / 'ndgrad').rglob('*.py')
        if re.search(r"^__version__ = '", p.read_text(), re.M)
    ]
    assert sources == [ROOT / 'ndgrad' / '_version.py']


def test_installed_metadata_agrees_when_installed():
    try:
        installed = importlib.metadata.version('ndgrad')
    except importlib.metadata.PackageNotFoundError:
        pytest.skip('ndgrad is not installed (run from the source tree)')
    assert installed == ndgrad.__version__, (
        'the installed metadata is stale: reinstall with `pip install -e .`'
    )


def test_licence_is_apache_2():
    text = (ROOT / 'LICENSE').read_text()
    assert text.split('\n', 4)[1:4] == [
        ' ' * 33 + 'Apache License',
        ' ' * 27 + 'Version 2.0, January 2004',
        ' ' * 24 + 'http://www.apache.org/licenses/',
    ]
    assert 'END OF TERMS AND CONDITIONS' in text
    assert PYPROJECT['project']['license'] == 'Apache-2.0'
    assert PYPROJECT['project']['license-files'] == ['LICENSE']


def test_changelog_has_the_current_version_and_unreleased():
    text = (ROOT / 'CHANGELOG.md').read_text()
    headings = re.findall(r'^## \[([^\]]+)\]', text, re.M)
    assert headings[0] == 'Unreleased'
    assert ndgrad.__version__ in headings, f'CHANGELOG.md has no section for {ndgrad.__version__}'


def test_type_information_ships_with_the_package():
    assert (ROOT / 'ndgrad' / 'py.typed').exists()
    data = PYPROJECT['tool']['setuptools']['package-data']['*']
    assert 'py.typed' in data and '*.pyi' in data


def test_docs_hook_links_and_chart():
    hooks = _load_tool('mkdocs_hooks')
    assert doctest.testmod(hooks).failed == 0
    assert hooks.site_link('../bench/README.md', 'guide.md') == 'benchmarks.md'
    assert hooks.site_link('../coverage.md#np', 'api/index.md') == '../coverage.md#np'
    assert hooks.site_link('https://example.org/a.md', 'guide.md') == 'https://example.org/a.md'
    results, peers = hooks.results_from_readme((ROOT / 'bench' / 'README.md').read_text())
    assert peers[0] == 'ndgrad' and 'chain' in results['workloads']
    chain = results['workloads']['chain']['peers']
    assert chain['ndgrad']['median'] < chain['autograd']['median']
    memory = results['workloads']['memory']['peers']['ndgrad']['peak_rss']
    assert 100 * 2**20 < memory < 1000 * 2**20


def test_quantities_of_the_results_table():
    hooks = _load_tool('mkdocs_hooks')
    assert hooks._quantity('**6.56 ms**') == pytest.approx(6.56e-3)
    assert hooks._quantity('724 µs') == pytest.approx(724e-6)
    assert hooks._quantity('202 MB') == 202 * 2**20
    assert hooks._quantity('—') is None


def test_doctest_fences_for_the_api_reference():
    hooks = _load_tool('mkdocs_hooks')
    text = 'Intro.\n\n    >>> f(1)\n    2\n\nAfter.'
    assert hooks.fence_doctests(text).split('\n') == [
        'Intro.',
        '',
        '```pycon',
        '    >>> f(1)',
        '    2',
        '```',
        '',
        'After.',
    ]

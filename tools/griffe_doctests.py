"""A Griffe extension for the API reference: doctest examples in docstrings are shown as
Python console code (they are plain ``>>>`` lines, which Markdown would read as text).
The fencing itself is `mkdocs_hooks.fence_doctests`."""

import pathlib
import sys

import griffe

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from mkdocs_hooks import fence_doctests


class DoctestFences(griffe.Extension):
    """Fence the doctest examples of every documented object."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None and '>>>' in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)

"""Every example in the package's docstrings runs and shows what it says (doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import research

# every module of every layer (walk_packages descends into the subpackages)
MODULES = sorted(m.name for m in pkgutil.walk_packages(research.__path__, "research."))


@pytest.mark.parametrize("name", [m for m in MODULES if not m.endswith("__main__")])
def test_docstring_examples_run(name, market_store):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_the_examples_exist():
    """The two module examples a reader meets first are doctests (not prose)."""
    for name in ("research.estimation.study", "research.analyses.analysis"):
        finder = doctest.DocTestFinder()
        tests = finder.find(importlib.import_module(name))
        assert sum(len(t.examples) for t in tests) >= 3, name

"""The modules' old flat paths (``research.analysis``, ``research.study``, ...), kept
working until version 0.3 with a warning naming the new one.

Version 0.2 put the modules in subpackages by layer (``research.data``, ``research.stats``,
``research.estimation``, ``research.analyses``, ``research.output``, ``research.cli``,
``research.cases``).  An import finder maps each old name to its new module, so old code
and pickles keep working and are told where to go; the package's own code never uses them
(a test walks its imports).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    **{
        name: f"research.data.{name}"
        for name in (
            "events universe markets identity prices store yahoo adjustment sample quality "
            "returns inputs pairs"
        ).split()
    },
    **{
        name: f"research.stats.{name}"
        for name in "numerics ranks inference pooling dependent headline covariance ols".split()
    },
    **{
        name: f"research.estimation.{name}"
        for name in "windows models cars cohorts engine study results".split()
    },
    **{
        name: f"research.analyses.{name}"
        for name in (
            "analysis requests regression event_design correlation placebo simulation speed"
        ).split()
    },
    **{
        name: f"research.output.{name}"
        for name in (
            "compact report paper export html_report plotting figures regression_text"
        ).split()
    },
    "hk2023": "research.cases.hk2023",
    "cli_data": "research.cli.data",
    "cli_options": "research.cli.options",
}
# modules split in 0.2: the old name finds each of its names in one of these
SPLIT = {
    "analysis": (
        "research.analyses.analysis",
        "research.analyses.regressions",
        "research.analyses.correlation",
    ),
    "inference": ("research.stats.inference", "research.stats.intervals"),
    "engine": (
        "research.estimation.engine",
        "research.estimation.overlap",
        "research.estimation.models",
    ),
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        old = spec.name
        parts = SPLIT.get(old.partition(".")[2], (self.target,))
        warnings.warn(
            f"{old} moved to {' and '.join(parts)} in version 0.2; the old path is "
            "deprecated and goes in 0.3 (or use the top-level API: import research as rs).",
            FutureWarning,
            stacklevel=2,
        )
        if len(parts) == 1:
            return importlib.import_module(self.target)
        return _Union(old, parts)

    def exec_module(self, module) -> None:
        """Nothing to run: the module is the moved one, already imported."""


class _Union(types.ModuleType):
    """An old module split in two or three: each name from the module that now holds it."""

    def __init__(self, name: str, parts: tuple[str, ...]) -> None:
        super().__init__(name, f"The old {name}: " + ", ".join(parts) + ".")
        self._parts = parts
        names: set[str] = set()
        for part in parts:  # `from research.analysis import *` finds every public name
            module = importlib.import_module(part)
            public = getattr(module, "__all__", None)
            names |= set(public if public is not None else (n for n in vars(module) if n[0] != "_"))
        self.__all__ = sorted(names)

    def __getattr__(self, attr: str):
        for part in self._parts:
            module = importlib.import_module(part)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"{self.__name__} has no attribute {attr!r}")


class MovedFinder(importlib.abc.MetaPathFinder):
    """Finds ``research.<old name>`` and hands back the moved module."""

    def find_spec(self, fullname, path=None, target=None):
        """A spec for an old module path, else None (the next finder's turn)."""
        prefix, _, name = fullname.partition(".")
        if prefix != "research" or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(MOVED[name]))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedFinder())

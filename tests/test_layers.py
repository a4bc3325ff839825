"""The package's folders are its layers, and imports only go down (issue 25).

The test reads every module's imports from its source (AST, nothing imported) and fails on
an import circle between modules or subpackages, or on an import into a higher layer.
An import inside a function is lazy: it may reach up only into the output layer, where a
results object's method imports its presenter when called (``res.summary()`` imports
:mod:`research.output.report`); at import time nothing reaches up.  Imports under
``if TYPE_CHECKING:`` are annotations only and not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "research"

# bottom to top; the root modules (errors, config, progress, _moved) are the foundation
LAYERS = ("", "data", "stats", "estimation", "analyses", "output", "cases", "cli")
PRESENTERS = "output"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if module == "research.__main__":
        return len(LAYERS) - 1  # `python -m research` is the command
    return LAYERS.index(parts[1]) if len(parts) > 2 or parts[-1] in LAYERS else 0


def imports(path: Path, known: set[str]) -> list[tuple[str, bool, int]]:
    """(imported module, lazy, line) for every import of the package in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def resolve(node) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names if a.name.startswith("research")]
        if not node.module or not node.module.startswith("research"):
            return []
        found = []
        for alias in node.names:  # `from research.x import y`: y a module, or a name in x
            full = f"{node.module}.{alias.name}"
            found.append(full if full in known else node.module)
        return found

    def visit(node, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other, lazy)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out.extend((m, lazy, child.lineno) for m in resolve(child))
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            visit(child, inner)

    visit(tree, False)
    return out


def graph() -> dict[str, list[tuple[str, bool, int]]]:
    paths = sorted(ROOT.rglob("*.py"))
    known = {module_name(p) for p in paths}
    edges = {}
    for p in paths:
        name = module_name(p)
        edges[name] = [
            (target, lazy, line)
            for target, lazy, line in imports(p, known)
            if target in known and target != name and not name.startswith(target + ".")
        ]
    return edges


def cycles(nodes, edges) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    return found


def test_imports_only_go_down():
    wrong = []
    for source, targets in graph().items():
        for target, lazy, line in targets:
            up = layer(target) > layer(source)
            presenter = lazy and LAYERS[layer(target)] == PRESENTERS
            if up and not presenter:
                when = "lazily" if lazy else "at import time"
                wrong.append(f"{source}:{line} imports {target} {when}")
    assert not wrong, "imports into a higher layer:\n" + "\n".join(wrong)


def test_no_import_circle_between_modules():
    edges = graph()
    # a presenter imported lazily by a results method is the one way up; it does not close
    # a circle (the presenter's own imports of results objects are annotations only)
    down = {
        s: {t for t, lazy, _ in ts if not (lazy and layer(t) > layer(s))} for s, ts in edges.items()
    }
    assert cycles(edges, down) == []


def test_no_import_circle_between_subpackages():
    edges = graph()
    packages: dict[str, set[str]] = {}
    for source, targets in edges.items():
        a = LAYERS[layer(source)]
        for target, lazy, _ in targets:
            b = LAYERS[layer(target)]
            if a != b and not (lazy and layer(target) > layer(source)):
                packages.setdefault(a, set()).add(b)
    assert cycles(set(LAYERS), packages) == []


def test_nothing_imports_the_old_flat_paths():
    from research._moved import MOVED

    old = {f"research.{name}" for name in MOVED}
    found = [
        f"{s}:{line} imports {t}" for s, ts in graph_raw().items() for t, _, line in ts if t in old
    ]
    assert not found, found


def graph_raw() -> dict[str, list[tuple[str, bool, int]]]:
    paths = sorted(ROOT.rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): imports(p, known) for p in paths}


def test_the_old_flat_paths_still_import_with_a_warning():
    """research.analysis and the other flat paths of 0.1 work until 0.3, saying where the
    module went (research/_moved.py).
    """
    import importlib
    import sys

    import research

    sys.modules.pop("research.analysis", None)
    with pytest.warns(FutureWarning, match=r"research\.analysis moved to research\.analyses"):
        old = importlib.import_module("research.analysis")
    assert old.run_study is research.run_study
    # split in 0.2: its names are found where they went
    assert old.run_regressions is research.run_regressions
    sys.modules.pop("research.study", None)
    with pytest.warns(FutureWarning, match=r"research\.estimation\.study"):
        from research.study import EventStudy  # noqa: F401


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: module_name(p))
def test_every_module_says_what_it_holds_in_at_most_about_600_lines(path):
    text = path.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(text)), f"{path.name} has no opening docstring"
    assert len(text.splitlines()) <= 620, f"{module_name(path)}: {len(text.splitlines())} lines"


def test_the_public_api_is_at_the_top():
    """``import research as rs`` reaches every public name, each the object of its module,
    without importing the heavy libraries until one is used.
    """
    import importlib
    import subprocess
    import sys

    import research as rs

    for name, module in rs._PUBLIC.items():
        assert getattr(rs, name) is getattr(importlib.import_module(module), name), name
        assert name in dir(rs)
    cold = subprocess.run(
        [sys.executable, "-c", "import research, sys; print('pandas' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert cold.stdout.strip() == "False"


def test_split_old_paths_find_every_name():
    """research.engine and research.analysis were split in 0.2: their names, star-imports
    included, come from where they went."""
    import importlib
    import sys
    import warnings

    for old in ("research.engine", "research.analysis"):
        sys.modules.pop(old, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        engine = importlib.import_module("research.engine")
        analysis = importlib.import_module("research.analysis")
    from research.estimation.models import fast_fit
    from research.estimation.overlap import overlaps

    assert engine.overlaps is overlaps and engine.fast_fit is fast_fit
    assert {"run_study", "run_regressions", "correlate"} <= set(analysis.__all__)

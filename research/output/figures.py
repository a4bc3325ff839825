"""Figures written deterministically: the same bytes from run to run.

:func:`write_figures` draws a list of :class:`FigureSpec` with the pure functions of
:mod:`research.output.plotting` and writes a 300-dpi PNG and an SVG per figure: the DejaVu Sans
font shipped with matplotlib, no creation dates or software versions in the files, and
a fixed SVG hash salt.  A case study (e.g. :mod:`research.cases.hk2023`, the figures of
docs/figures) supplies the specifications.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FigureSpec", "deterministic_style", "save", "write_figures"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure: file stem, what it shows, the function that draws it."""

    name: str
    caption: str
    build: Callable[[], object]
    needs_history: bool = False  # draws on a long history (not on a short sample)


@contextlib.contextmanager
def deterministic_style() -> Iterator[None]:
    """Fonts and settings that make the output identical from run to run."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    with matplotlib.rc_context(
        {
            "font.family": "DejaVu Sans",
            "svg.hashsalt": "eventstudy",
            "svg.fonttype": "path",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
        }
    ):
        yield


def save(fig, out: Path, name: str) -> list[Path]:
    """Write ``name.png`` (300 dpi) and ``name.svg`` without variable metadata."""
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    fig.savefig(png, dpi=300, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return [png, svg]


def write_figures(
    specs: list[FigureSpec],
    out: Path,
    only: list[str] | None = None,
    skipped: list[str] | None = None,
    skip_history: str = "",
) -> list[Path]:
    """Draw ``specs`` (or those named in ``only``) into ``out``; returns the files written.

    With ``skip_history`` (a reason, e.g. "the data is a short sample"), the figures that
    need a long history are skipped, each with one sentence appended to ``skipped``.
    """
    written: list[Path] = []
    with deterministic_style():
        from research.progress import steps

        chosen = [spec for spec in specs if not only or spec.name in only]
        for spec in steps(chosen, "figures"):
            if spec.needs_history and skip_history:
                if skipped is not None:
                    skipped.append(f"skipped {spec.name}: {skip_history}")
                continue
            written += save(spec.build(), Path(out), spec.name)
    return written

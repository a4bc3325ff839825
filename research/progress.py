"""Progress on standard error for the slow commands: a bar when stderr is a terminal,
nothing otherwise (pipes, files, CI) or under ``eventstudy --quiet``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

QUIET = False  # set by ``eventstudy --quiet``


def shown() -> bool:
    """Whether progress is drawn: standard error is a terminal and not ``--quiet``."""
    return not QUIET and sys.stderr.isatty()


def steps(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items`` while a progress bar on standard error counts them."""
    if not shown():
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    items = list(items) if total is None else items
    total = len(items) if total is None else total
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)

"""The ``eventstudy`` command: a thin typer layer over the API, holding no logic.

:mod:`~research.cli.commands` holds the commands, :mod:`~research.cli.data` the ``data``
subcommands, :mod:`~research.cli.options` the options they share.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # ``eventstudy = "research.cli:main"`` and ``research.cli.app`` resolve lazily, so that
    # importing research.cli.options does not build the whole command
    if name in ("app", "main"):
        import importlib

        return getattr(importlib.import_module("research.cli.commands"), name)
    raise AttributeError(f"module 'research.cli' has no attribute {name!r}")

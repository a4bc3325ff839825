"""Where the package finds its catalogue, universe and price store.

Nothing is read at import time; every function looks at the environment when
it is called, so tests can point the package at temporary folders.

Environment variables
---------------------
EVENTSTUDY_DATA_DIR
    The price store (default: ``data/cache`` in the project folder).
EVENTSTUDY_CATALOGUE
    An event catalogue CSV to use instead of ``data/events.csv``.
EVENTSTUDY_UNIVERSE
    A universe CSV to use instead of ``data/universe.csv``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_data_dir() -> Path:
    """The project's ``data/`` folder holding ``events.csv`` and ``universe.csv``."""
    return PROJECT_ROOT / "data"


def data_home(path: str | os.PathLike[str] | None = None) -> Path:
    """The price store folder.

    Parameters
    ----------
    path
        An explicit folder; when None, ``EVENTSTUDY_DATA_DIR`` or ``data/cache``.
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("EVENTSTUDY_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return project_data_dir() / "cache"


def catalogue_path() -> Path:
    """The event catalogue in use (``EVENTSTUDY_CATALOGUE`` or ``data/events.csv``)."""
    env = os.environ.get("EVENTSTUDY_CATALOGUE")
    return Path(env).expanduser() if env else project_data_dir() / "events.csv"


def universe_path() -> Path:
    """The ticker universe in use (``EVENTSTUDY_UNIVERSE`` or ``data/universe.csv``)."""
    env = os.environ.get("EVENTSTUDY_UNIVERSE")
    return Path(env).expanduser() if env else project_data_dir() / "universe.csv"


# The seed of every random draw (bootstrap, placebo dates) unless one is given: fixed, so
# that a study's output is the same from run to run.
DEFAULT_SEED = 20230620

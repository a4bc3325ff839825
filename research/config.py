"""Where the package finds its catalogue, universe and price store.

Nothing is read at import time; every function looks at the environment when
it is called, so tests can point the package at temporary folders.

Environment variables
---------------------
EVENTSTUDY_DATA_DIR
    The price store (default: ``data/cache`` in a source checkout, else the user's cache
    folder, ``$XDG_CACHE_HOME/market-event-study`` or ``~/.cache/market-event-study``).
EVENTSTUDY_CACHE_DIR
    Computed data shared by every store of the machine (session calendars); default
    ``$XDG_CACHE_HOME/market-event-study`` or ``~/.cache/market-event-study``.
EVENTSTUDY_CATALOGUE
    An event catalogue CSV to use instead of ``data/events.csv``.
EVENTSTUDY_UNIVERSE
    A universe CSV to use instead of ``data/universe.csv``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = Path(__file__).resolve().parent / "data"


def project_data_dir() -> Path:
    """The folder holding ``events.csv`` and ``universe.csv``: the package's own data, so
    that an installed wheel finds them from any directory (the repository's ``data/``
    links to the same files).
    """
    return PACKAGE_DATA


def source_checkout() -> bool:
    """Whether the package runs from a clone of its repository (editable install)."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "research").is_dir()


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
    if source_checkout():
        return PROJECT_ROOT / "data" / "cache"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / DISTRIBUTION


DISTRIBUTION = "market-event-study"  # the name on the package registry (pip install ...)


def cache_home() -> Path:
    """Where computed things that depend on no stored price are kept for every store of the
    machine (the exchanges' session calendars): ``EVENTSTUDY_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/market-event-study`` (``~/.cache/market-event-study``).
    """
    env = os.environ.get("EVENTSTUDY_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / DISTRIBUTION


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

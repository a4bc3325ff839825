"""The ticker universe (``data/universe.csv``): names, markets and groups."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from research import config
from research.errors import EventStudyError, MalformedFileError

COLUMNS = ("ticker", "name", "market", "currency", "group")
PROPERTY_GROUPS = ("mainland-developer", "hk-developer", "reit", "property-services")


def load_universe(path: str | Path | None = None) -> pd.DataFrame:
    """The universe table, indexed by ticker.

    Raises
    ------
    MalformedFileError
        If the file is missing or lacks a column of :data:`COLUMNS`.
    """
    path = Path(path) if path is not None else config.universe_path()
    if not path.is_file():
        raise MalformedFileError(f"Universe file {path} does not exist.")
    stat = path.stat()
    return _read_universe(str(path.resolve()), stat.st_mtime_ns, stat.st_size).copy()


@lru_cache(maxsize=8)
def _read_universe(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The universe file, read once per version of it (its path, time and size)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise MalformedFileError(f"Universe file {path} lacks the column(s) {', '.join(missing)}.")
    return frame.set_index("ticker")


def expand_group(group: str) -> tuple[str, ...]:
    """The groups a group name stands for: ``property`` is every property group, any
    other name itself.
    """
    return PROPERTY_GROUPS if group == "property" else (group,)


def group_tickers(group: str, universe: pd.DataFrame | None = None) -> list[str]:
    """Tickers of a group (``property`` means every property group).

    Raises
    ------
    EventStudyError
        For an unknown group, listing the known ones.
    """
    universe = load_universe() if universe is None else universe
    if group == "property":
        return list(universe.index[universe["group"].isin(PROPERTY_GROUPS)])
    tickers = list(universe.index[universe["group"] == group])
    if not tickers:
        known = sorted(set(universe["group"])) + ["property"]
        raise EventStudyError(f"Unknown group {group!r}: use one of {', '.join(known)}.")
    return tickers


def ticker_group(ticker: str, universe: pd.DataFrame | None = None) -> str:
    """The group of a ticker, ``other`` when it is not in the universe."""
    universe = load_universe() if universe is None else universe
    return str(universe.at[ticker, "group"]) if ticker in universe.index else "other"


def suggest_ticker(ticker: str, known: list[str]) -> str | None:
    """The known ticker a typo most likely meant: another case (``0016.hk``), a missing
    index caret (``HSI`` for ``^HSI``), or the closest spelling (``0016.HX``).
    """
    import difflib

    known = list(dict.fromkeys(known))
    if ticker in known:
        return None
    upper = {k.upper(): k for k in known}
    for cand in (ticker.upper(), "^" + ticker.upper().lstrip("^")):
        if cand in upper:
            return upper[cand]
    close = difflib.get_close_matches(ticker.upper(), list(upper), n=1, cutoff=0.75)
    return upper[close[0]] if close else None

"""A series' identity: the exchange whose sessions and time zone its dates belong to.

The exchange of a series is data, recorded once and carried with it (``shared/DESIGN.md``,
"A series' identity is data").  At import it comes, in this order of authority, from

1. the exchange the user names (``data import --market CODE``), which must not contradict
   the universe or an unambiguous suffix;
2. the universe file (``data/universe.csv``);
3. Yahoo's own metadata on a download (:mod:`research.data.yahoo`);
4. a Yahoo suffix that belongs to one exchange (``.HK``);
5. the series' own trading days, when exactly one exchange's calendar fits them
   (:func:`research.data.markets.recognise_market`), said so in the import notes.

The store records the result (``market`` and ``market_source`` in its metadata); at use
:func:`series_market` reads it back, falling back on the universe and the suffix for
stores written before the exchange was recorded.  A series whose exchange is still not
known is refused with one sentence naming ``--market``, never given a default one.
"""

from __future__ import annotations

import pandas as pd

from research.data.markets import get_market, market_codes, recognise_market, suffix_market
from research.errors import DataError, OptionError


def _universe_market(ticker: str, universe: pd.DataFrame | None) -> str | None:
    if universe is None:
        from research.data.universe import load_universe

        try:
            universe = load_universe()
        except DataError:
            return None
    if ticker in universe.index and str(universe.at[ticker, "market"]):
        return get_market(str(universe.at[ticker, "market"])).code
    return None


def known_market(ticker: str, universe: pd.DataFrame | None = None) -> tuple[str, str] | None:
    """The exchange of a ticker from the universe or an unambiguous suffix, with its
    source, or None.
    """
    code = _universe_market(ticker, universe)
    if code is not None:
        return code, "the universe file"
    code = suffix_market(ticker)
    if code is not None:
        return code, f"its suffix .{ticker.rsplit('.', 1)[1]}"
    return None


def import_market(
    ticker: str,
    dates_by_zone: dict[str, pd.DatetimeIndex] | pd.DatetimeIndex | None,
    requested: str | None = None,
    universe: pd.DataFrame | None = None,
) -> tuple[str, str]:
    """The exchange of a series being imported, and how it became known.

    Parameters
    ----------
    ticker
        The series' ticker (from the file name).
    dates_by_zone
        Its local dates (or, for instants, its dates in each exchange's zone), for
        recognising the exchange from its trading days.
    requested
        The exchange the user named (``--market``).

    Returns
    -------
    (code, source)
        ``("", "")`` when nothing identifies the exchange.

    Raises
    ------
    OptionError
        When ``requested`` is unknown, or contradicts the universe or the suffix.
    """
    known = known_market(ticker, universe)
    if requested:
        code = get_market(requested).code
        if known is not None and get_market(known[0]).calendar != get_market(code).calendar:
            raise OptionError(
                f"--market {code} contradicts {known[1]}, which puts {ticker} on {known[0]}; "
                "leave --market out or import the file under another name."
            )
        return code, "named at import (--market)"
    if known is not None:
        return known
    if dates_by_zone is not None:
        found = recognise_market(dates_by_zone)
        if found is not None:
            return found
    return "", ""


def unknown_market_message(ticker: str, where: str = "") -> str:
    """The one sentence that refuses a series whose exchange is not known."""
    place = f" ({where})" if where else ""
    return (
        f"The exchange of {ticker}{place} is not known (no suffix or universe entry names it, "
        "and its trading days fit no single exchange calendar); import it with --market CODE "
        f"({', '.join(market_codes())})."
    )


def series_market(ticker: str, store=None, universe: pd.DataFrame | None = None) -> str:
    """The exchange of a stored series: as recorded in the store, else the universe or an
    unambiguous suffix.

    Raises
    ------
    DataError
        When none of them knows it (one sentence naming ``--market``).
    """
    if store is not None and ticker in store:
        try:
            recorded = store.info(ticker).market
        except DataError:
            recorded = ""
        if recorded:
            return get_market(recorded).code
    known = known_market(ticker, universe)
    if known is not None:
        return known[0]
    raise DataError(
        f"The exchange of {ticker} is not recorded: re-import its prices with "
        f"`eventstudy data import FILE --market CODE` ({', '.join(market_codes())})."
    )

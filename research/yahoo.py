"""Downloads from Yahoo Finance through yfinance: the only module that imports it (lazily).

yfinance returns an *empty* frame instead of raising when the network is down
or the ticker is unknown, and all-NaN rows for a ticker that failed inside a
multi-ticker call; both are turned into :class:`research.errors.DownloadError`
with a sentence saying what to do.  ``end`` is exclusive, as in yfinance.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from research.errors import DownloadError
from research.prices import ParsedPrices, check_ticker, yfinance_frame_to_prices


def download_one(
    ticker: str,
    start: str,
    end: str,
    retries: int = 3,
    backoff: float = 1.0,
    downloader: Callable[..., pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Daily adjusted prices of one ticker (``auto_adjust=True``), as a price frame.

    Parameters
    ----------
    ticker
        Yahoo ticker.
    start, end
        ``YYYY-MM-DD``; ``end`` is exclusive.
    retries
        Attempts before giving up; waits ``backoff * 2 ** attempt`` seconds between (1, 2,
        4 s by default; 0 waits not at all).
    downloader
        Stand-in for ``yfinance.download`` (tests pass recorded frames).

    Raises
    ------
    DownloadError
        When every attempt returns nothing usable.
    """
    check_ticker(ticker)
    if downloader is None:
        import yfinance

        downloader = yfinance.download
    last_error = "an empty table"
    for attempt in range(retries):
        try:
            data = downloader(
                ticker,
                start=start,
                end=end,
                auto_adjust=True,
                progress=False,
                threads=False,
                multi_level_index=True,
            )
        except Exception as exc:  # yfinance raises many types for network faults
            data = None
            last_error = f"{type(exc).__name__}: {exc}"
        if data is not None and not data.empty:
            frame = yfinance_frame_to_prices(data, ticker)
            if not frame.empty:
                return frame
            last_error = "rows with no prices"
        if attempt + 1 < retries:
            time.sleep(backoff * 2**attempt)
    raise DownloadError(
        f"Yahoo Finance returned {last_error} for {ticker} between {start} and {end} after "
        f"{retries} attempt(s): check the ticker and the network, or import a CSV with "
        "`eventstudy data import`."
    )


def fetch(
    tickers: list[str],
    start: str,
    end: str,
    retries: int = 3,
    on_progress: Callable[[str, str], None] | None = None,
    downloader: Callable[..., pd.DataFrame] | None = None,
    backoff: float = 1.0,
) -> tuple[dict[str, ParsedPrices], dict[str, str]]:
    """Download several tickers; one failure does not stop the others.

    Returns
    -------
    (downloaded, failed)
        Parsed prices by ticker, and the error sentence by failed ticker.
    """
    from research.prices import validate_prices

    done: dict[str, ParsedPrices] = {}
    failed: dict[str, str] = {}
    for ticker in tickers:
        try:
            frame = download_one(ticker, start, end, retries, backoff, downloader)
            validate_prices(frame, f"the download of {ticker}")
            done[ticker] = ParsedPrices(ticker, frame, "yfinance.download", "auto-adjusted")
            status = "ok"
        except DownloadError as exc:
            failed[ticker] = str(exc)
            status = "failed"
        except Exception as exc:  # a malformed download must not abort the batch
            failed[ticker] = f"The download of {ticker} is unusable: {exc}"
            status = "failed"
        if on_progress:
            on_progress(ticker, status)
    return done, failed

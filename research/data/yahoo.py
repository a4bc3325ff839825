"""Downloads from Yahoo Finance through yfinance: the only module that imports it (lazily).

yfinance returns an *empty* frame instead of raising when the network is down
or the ticker is unknown, and all-NaN rows for a ticker that failed inside a
multi-ticker call; it says why only in its log (and sometimes on stdout).  Every
call into yfinance here runs quietly (:func:`_quiet`: its logger, stdout, stderr and
warnings are captured), and what it said decides the outcome:

* the service could not be reached (DNS failure, refused connection, time-out):
  :class:`ServiceUnreachableError` at once, no retry, and :func:`fetch` stops there
  instead of trying every ticker;
* the service answered but had nothing usable for the ticker (unknown or delisted):
  :class:`research.errors.DownloadError` after the retries, and :func:`fetch` goes on
  with the other tickers.

A download also asks Yahoo's chart metadata for the ticker's exchange
(:func:`market_from_metadata`) and time zone; failing to get them leaves the exchange
unknown and never fails the download.  ``end`` is exclusive, as in yfinance.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping

import pandas as pd

from research.data.prices import ParsedPrices, check_ticker, yfinance_frame_to_prices
from research.errors import DownloadError

# Yahoo's ``exchangeName`` -> the package's market code (research/data/markets.json).
YAHOO_EXCHANGES: dict[str, str] = {
    "HKG": "HKEX",
    "SHH": "SSE",
    "SHZ": "SZSE",
    "JPX": "TSE",
    "TYO": "TSE",
    "KSC": "KRX",
    "KOE": "KRX",
    "SES": "SGX",
    "NYQ": "NYSE",
    "ASE": "NYSE",  # NYSE American
    "PCX": "NYSE",  # NYSE Arca
    "NMS": "NASDAQ",
    "NGM": "NASDAQ",
    "NCM": "NASDAQ",
    "NAS": "NASDAQ",
    "LSE": "LSE",
    "IOB": "LSE",
    "GER": "XETRA",
    "ETR": "XETRA",
    "FRA": "XETRA",  # Frankfurt: the same trading days as Xetra
    "PAR": "EURONEXT",
    "TOR": "TSX",
    "ASX": "ASX",
    "BSE": "BSE",
    "NSI": "NSE",
    "TAI": "TWSE",
    "TWO": "TWSE",
}

# An index whose ``exchangeName`` is a data vendor (``^GSPC``: SNP) or another venue
# (``^N225``: OSA) is placed by its time zone, where one exchange of the table keeps it:
# zone -> an ``exchangeName`` above.  Zones with two exchanges (Shanghai, Kolkata) are
# left out: such an index stays unknown unless its exchangeName is in the table.
INDEX_ZONES: dict[str, str] = {
    "Asia/Hong_Kong": "HKG",
    "Asia/Tokyo": "JPX",
    "Asia/Seoul": "KSC",
    "Asia/Singapore": "SES",
    "America/New_York": "NYQ",
    "Europe/London": "LSE",
    "Europe/Berlin": "GER",
    "Europe/Paris": "PAR",
    "America/Toronto": "TOR",
    "Australia/Sydney": "ASX",
    "Asia/Taipei": "TAI",
}

_METADATA_KEYS = (
    "symbol",
    "exchangeName",
    "fullExchangeName",
    "exchangeTimezoneName",
    "instrumentType",
    "quoteType",
)

# What a failure to reach the service looks like, in an exception's class names and in
# the texts yfinance logs (curl_cffi's and requests' messages; lower case).
_OFFLINE_TYPES = frozenset(
    {"ConnectionError", "Timeout", "DNSError", "ProxyError", "NewConnectionError"}
    | {"MaxRetryError", "NameResolutionError", "gaierror"}
)
_OFFLINE_SIGNS = (
    "could not resolve",
    "failed to resolve",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "failed to establish a new connection",
    "connection refused",
    "connection reset",
    "connection aborted",
    "network is unreachable",
    "no route to host",
    "timed out",
    "dnserror",
    "connectionerror",
    "connecttimeout",
    "proxyerror",
    "curl: (5)",
    "curl: (6)",
    "curl: (7)",
    "curl: (28)",
)
_OFFLINE_HINT = (
    "check the network connection, or work offline: import CSV files with "
    "`eventstudy data import PATH` or the embedded sample with `eventstudy data import --sample`"
)


class ServiceUnreachableError(DownloadError):
    """Yahoo Finance could not be reached at all (no network, DNS failure, time-out).

    Attributes
    ----------
    reason : str
        What the connection failure said, shortened.
    downloaded : dict of str to ParsedPrices
        In :func:`fetch`, the tickers downloaded before the failure.
    """

    def __init__(
        self, message: str, reason: str = "", downloaded: dict[str, ParsedPrices] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.downloaded = dict(downloaded or {})


def market_from_metadata(metadata: Mapping[str, object] | None) -> tuple[str, str] | None:
    """The exchange Yahoo's chart metadata names, as a market code with its source.

    Parameters
    ----------
    metadata : Mapping or None
        ``yfinance.Ticker(t).get_history_metadata()`` (keys ``exchangeName``,
        ``instrumentType``, ``exchangeTimezoneName``, ...).

    Returns
    -------
    (code, source) or None
        The code of :data:`YAHOO_EXCHANGES` (``HKEX``) and a sentence saying how it was
        found; None when the metadata does not identify an exchange of the table.  An
        index whose ``exchangeName`` is not in the table is placed by its time zone
        (:data:`INDEX_ZONES`); other securities are not.

    Examples
    --------
    >>> market_from_metadata({"exchangeName": "HKG", "instrumentType": "EQUITY"})
    ('HKEX', 'Yahoo metadata: exchange HKG')
    >>> market_from_metadata(
    ...     {"exchangeName": "SNP", "instrumentType": "INDEX",
    ...      "exchangeTimezoneName": "America/New_York"})
    ('NYSE', 'Yahoo metadata: index on SNP in time zone America/New_York')
    >>> market_from_metadata({}) is None
    True
    """
    if not metadata:
        return None
    name = str(metadata.get("exchangeName") or "").upper()
    if name in YAHOO_EXCHANGES:
        return YAHOO_EXCHANGES[name], f"Yahoo metadata: exchange {name}"
    kind = str(metadata.get("instrumentType") or metadata.get("quoteType") or "").upper()
    zone = str(metadata.get("exchangeTimezoneName") or "")
    if kind == "INDEX" and zone in INDEX_ZONES:
        code = YAHOO_EXCHANGES[INDEX_ZONES[zone]]
        return code, f"Yahoo metadata: index on {name or 'no exchange'} in time zone {zone}"
    return None


def history_metadata(ticker: str) -> Mapping[str, object]:
    """Yahoo's chart metadata of a ticker: ``yfinance.Ticker(ticker).get_history_metadata()``.

    Parameters
    ----------
    ticker : str
        Yahoo ticker.

    Returns
    -------
    Mapping
        yfinance's lazy mapping (reading ``tradingPeriods`` would cost another request:
        :func:`_read_metadata` reads only the keys it needs).
    """
    import yfinance

    return yfinance.Ticker(ticker).get_history_metadata()


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _quiet() -> Iterator[list[str]]:
    """Run a yfinance call without its output: its logger (records collected and yielded,
    not shown), stdout and stderr (it prints some errors) and warnings (pandas').
    """
    logger = logging.getLogger("yfinance")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    recorder = _Recorder()
    logger.handlers = [recorder]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    sink = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            warnings.simplefilter("ignore")
            yield recorder.messages
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])
        if sink.getvalue().strip():  # what it printed: before its log, which says more
            recorder.messages.insert(0, sink.getvalue())


def _short(text: str) -> str:
    """A connection failure's message in a few words (curl's own part where it has one)."""
    found = re.search(r"curl: \(\d+\) (.+?)(?:\. See |\s\(|$)", text)
    text = found.group(1) if found else text
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= 100 else text[:97] + "..."


def _exception_offline(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 5:
        names = {cls.__name__ for cls in type(exc).__mro__}
        if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
            return True
        if names & _OFFLINE_TYPES or any(s in str(exc).lower() for s in _OFFLINE_SIGNS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _unreachable_reason(exc: BaseException | None, messages: list[str]) -> str | None:
    """Why the service could not be reached, or None when it answered."""
    if exc is not None and _exception_offline(exc):
        return _short(f"{type(exc).__name__}: {exc}")
    offline = [m for m in messages if any(s in m.lower() for s in _OFFLINE_SIGNS)]
    # curl's own words ("Could not resolve host: ...") over yfinance's summaries of them
    offline.sort(key=lambda m: "curl: (" not in m)
    return _short(offline[0]) if offline else None


def _said(messages: list[str], ticker: str) -> str:
    """The last error yfinance logged about a ticker, without its prefixes (``$T:``, ``['T']:``)."""
    for message in reversed(messages):
        text = " ".join(message.split())
        if not text or text.endswith("Failed download:"):  # the header of yfinance's list
            continue
        text = re.sub(r"^(\[[^\]]*\]|\$" + re.escape(ticker) + r"):\s*", "", text)
        return text if len(text) <= 100 else text[:97] + "..."
    return ""


def _read_metadata(
    ticker: str, metadata: Callable[[str], Mapping[str, object] | None]
) -> dict[str, object]:
    """The metadata keys the package uses, or {} when they cannot be had (never raises)."""
    with _quiet():
        try:
            found = metadata(ticker)
            if not found:
                return {}
            return {k: found.get(k) for k in _METADATA_KEYS if found.get(k) is not None}
        except Exception:  # a failure to get metadata leaves the exchange unknown
            return {}


def download_parsed(
    ticker: str,
    start: str,
    end: str,
    retries: int = 3,
    backoff: float = 1.0,
    downloader: Callable[..., pd.DataFrame] | None = None,
    metadata: Callable[[str], Mapping[str, object] | None] | None = None,
) -> ParsedPrices:
    """Daily adjusted prices of one ticker (``auto_adjust=True``) with their exchange.

    Parameters
    ----------
    ticker : str
        Yahoo ticker.
    start, end : str
        ``YYYY-MM-DD``; ``end`` is exclusive.
    retries : int
        Attempts before giving up on a ticker the service has nothing usable for; waits
        ``backoff * 2 ** attempt`` seconds between (1, 2, 4 s by default; 0 waits not at
        all).  A connection failure is not retried.
    backoff : float
        Seconds of the first wait.
    downloader : callable, optional
        Stand-in for ``yfinance.download`` (tests pass recorded frames).
    metadata : callable, optional
        ``ticker -> mapping`` standing in for :func:`history_metadata` (Yahoo's chart
        metadata, asked once the prices are in).

    Returns
    -------
    ParsedPrices
        ``market``/``market_source`` from :func:`market_from_metadata` ("" when unknown).

    Raises
    ------
    ServiceUnreachableError
        At the first attempt that cannot reach the service.
    DownloadError
        When every attempt returns nothing usable.
    """
    check_ticker(ticker)
    if downloader is None:
        import yfinance

        downloader = yfinance.download
    if metadata is None:
        metadata = history_metadata
    last_error = "an empty table"
    for attempt in range(retries):
        error: Exception | None = None
        data = None
        with _quiet() as messages:
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
                error = exc
        if isinstance(data, pd.DataFrame) and not data.empty:
            frame = yfinance_frame_to_prices(data, ticker)
            if not frame.empty:
                return _with_metadata(ticker, data, frame, metadata)
            last_error = "rows with no prices"
        else:
            reason = _unreachable_reason(error, messages)
            if reason is not None:
                raise ServiceUnreachableError(
                    f"Yahoo Finance cannot be reached ({reason}) to download {ticker}; "
                    f"{_OFFLINE_HINT}.",
                    reason,
                )
            if error is not None:
                last_error = f"{type(error).__name__}: {_short(str(error))}"
            else:
                said = _said(messages, ticker)
                last_error = f"an empty table (yfinance: {said})" if said else "an empty table"
        if attempt + 1 < retries:
            time.sleep(backoff * 2**attempt)
    raise DownloadError(
        f"Yahoo Finance returned {last_error} for {ticker} between {start} and {end} after "
        f"{retries} attempt(s): check the ticker and the network, or import a CSV with "
        "`eventstudy data import`."
    )


def _with_metadata(
    ticker: str,
    data: pd.DataFrame,
    frame: pd.DataFrame,
    metadata: Callable[[str], Mapping[str, object] | None],
) -> ParsedPrices:
    """The parsed download with the exchange (and, for a tz-aware index, the exchange's
    dates) from the ticker's metadata.
    """
    meta = _read_metadata(ticker, metadata)
    notes: list[str] = []
    zone = meta.get("exchangeTimezoneName")
    if getattr(data.index, "tz", None) is not None:
        if isinstance(zone, str) and zone:
            frame = yfinance_frame_to_prices(data, ticker, timezone=zone)
            notes.append(f"times with a zone converted to {zone} dates (Yahoo metadata)")
        else:
            notes.append(
                "times with a zone and no exchange time zone in Yahoo's metadata: dates taken "
                "in the download's own zone"
            )
    found = market_from_metadata(meta)
    market, source = found if found else ("", "")
    return ParsedPrices(
        ticker,
        frame,
        "yfinance.download",
        "auto-adjusted",
        notes=notes,
        market=market,
        market_source=source,
    )


def download_one(
    ticker: str,
    start: str,
    end: str,
    retries: int = 3,
    backoff: float = 1.0,
    downloader: Callable[..., pd.DataFrame] | None = None,
    metadata: Callable[[str], Mapping[str, object] | None] | None = None,
) -> pd.DataFrame:
    """Daily adjusted prices of one ticker (``auto_adjust=True``), as a price frame.

    The frame of :func:`download_parsed` (see there for the parameters).

    Raises
    ------
    ServiceUnreachableError
        At the first attempt that cannot reach the service.
    DownloadError
        When every attempt returns nothing usable.
    """
    return download_parsed(ticker, start, end, retries, backoff, downloader, metadata).frame


def fetch(
    tickers: list[str],
    start: str,
    end: str,
    retries: int = 3,
    on_progress: Callable[[str, str], None] | None = None,
    downloader: Callable[..., pd.DataFrame] | None = None,
    backoff: float = 1.0,
    metadata: Callable[[str], Mapping[str, object] | None] | None = None,
) -> tuple[dict[str, ParsedPrices], dict[str, str]]:
    """Download several tickers; a ticker the service has nothing for does not stop the
    others, a service that cannot be reached stops the batch at once.

    Parameters
    ----------
    tickers : list of str
        Yahoo tickers.
    start, end : str
        ``YYYY-MM-DD``; ``end`` is exclusive.
    retries, backoff, downloader, metadata
        As in :func:`download_parsed`.
    on_progress : callable, optional
        Called with each ticker and ``"ok"`` or ``"failed"``.

    Returns
    -------
    (downloaded, failed)
        Parsed prices by ticker (with their exchange where Yahoo's metadata names it), and
        the error sentence by failed ticker.

    Raises
    ------
    ServiceUnreachableError
        At the first ticker that cannot reach the service (one sentence naming
        ``eventstudy data import PATH`` and ``--sample``); its ``downloaded`` holds the
        tickers downloaded before.
    """
    from research.data.prices import validate_prices

    done: dict[str, ParsedPrices] = {}
    failed: dict[str, str] = {}
    for position, ticker in enumerate(tickers, start=1):
        try:
            parsed = download_parsed(ticker, start, end, retries, backoff, downloader, metadata)
            validate_prices(parsed.frame, f"the download of {ticker}")
            done[ticker] = parsed
            status = "ok"
        except ServiceUnreachableError as exc:
            if on_progress:
                on_progress(ticker, "failed")
            raise ServiceUnreachableError(
                f"Yahoo Finance cannot be reached ({exc.reason}), so the download stopped at "
                f"{ticker} (ticker {position} of {len(tickers)}); {_OFFLINE_HINT}.",
                exc.reason,
                done,
            ) from None
        except DownloadError as exc:
            failed[ticker] = str(exc)
            status = "failed"
        except Exception as exc:  # a malformed download must not abort the batch
            failed[ticker] = f"The download of {ticker} is unusable: {exc}"
            status = "failed"
        if on_progress:
            on_progress(ticker, status)
    return done, failed

"""Downloads through yfinance, on frames recorded in yfinance's exact output shape.

``yfinance.download(t, auto_adjust=True, multi_level_index=True)`` returns
columns ``MultiIndex([('Close', t), ('High', t), ('Low', t), ('Open', t),
('Volume', t)], names=['Price', 'Ticker'])`` and a tz-naive ``DatetimeIndex``
named ``Date``; on network failure it returns an empty frame (a failed ticker
inside a batch comes back as all-NaN rows).  The recorded values are 0016.HK
closes from the market snapshot (``shared/data/market/0016.HK.csv``).

Offline, yfinance logs and returns an empty frame (``offline``): the log lines below were
recorded from yfinance 1.7 with no network.  The metadata dicts are
``Ticker(t).get_history_metadata()`` as yfinance 1.7 returns them (formatted: timestamps in
the exchange's zone).  No test reaches the network: ``yahoo.history_metadata`` is replaced
by the recorded dicts for every test here.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from research.data import yahoo
from research.data.prices import parse_price_text, yfinance_frame_to_prices
from research.data.store import PriceStore
from research.errors import DownloadError


def _stamp(text: str, zone: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize(zone)


def recorded_metadata(
    symbol: str,
    exchange: str,
    full: str,
    kind: str,
    zone: str,
    short_zone: str,
    gmtoffset: int,
    currency: str,
    name: str,
) -> dict:
    """A ``get_history_metadata()`` result in yfinance's shape (daily chart request)."""
    return {
        "currency": currency,
        "symbol": symbol,
        "exchangeName": exchange,
        "fullExchangeName": full,
        "instrumentType": kind,
        "firstTradeDate": _stamp("2000-01-04 09:30", zone),
        "regularMarketTime": _stamp("2023-06-30 16:08:10", zone),
        "hasPrePostMarketData": kind == "EQUITY" and zone == "America/New_York",
        "gmtoffset": gmtoffset,
        "timezone": short_zone,
        "exchangeTimezoneName": zone,
        "regularMarketPrice": 86.45,
        "fiftyTwoWeekHigh": 87.33,
        "fiftyTwoWeekLow": 84.40,
        "longName": name,
        "shortName": name[:16].upper(),
        "chartPreviousClose": 85.54,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {
                "start": _stamp("2023-06-30 09:00", zone),
                "end": _stamp("2023-06-30 09:30", zone),
            },
            "regular": {
                "start": _stamp("2023-06-30 09:30", zone),
                "end": _stamp("2023-06-30 16:00", zone),
            },
            "post": {
                "start": _stamp("2023-06-30 16:00", zone),
                "end": _stamp("2023-06-30 16:10", zone),
            },
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
        "YF repair?": False,
    }


METADATA = {
    "0016.HK": recorded_metadata(
        "0016.HK", "HKG", "HKSE", "EQUITY", "Asia/Hong_Kong", "HKT", 28800, "HKD",
        "Sun Hung Kai Properties Limited",
    ),
    "0012.HK": recorded_metadata(
        "0012.HK", "HKG", "HKSE", "EQUITY", "Asia/Hong_Kong", "HKT", 28800, "HKD",
        "Henderson Land Development Company Limited",
    ),
    "^HSI": recorded_metadata(
        "^HSI", "HKG", "HKSE", "INDEX", "Asia/Hong_Kong", "HKT", 28800, "HKD", "HANG SENG INDEX"
    ),
    "^GSPC": recorded_metadata(
        "^GSPC", "SNP", "SNP", "INDEX", "America/New_York", "EDT", -14400, "USD", "S&P 500"
    ),
    "^N225": recorded_metadata(
        "^N225", "OSA", "Osaka", "INDEX", "Asia/Tokyo", "JST", 32400, "JPY", "Nikkei 225"
    ),
    "AAPL": recorded_metadata(
        "AAPL", "NMS", "NasdaqGS", "EQUITY", "America/New_York", "EDT", -14400, "USD",
        "Apple Inc.",
    ),
    # exchanges the package has no market for: a crypto pair, an OTC equity in New York
    "BTC-USD": recorded_metadata(
        "BTC-USD", "CCC", "CCC", "CRYPTOCURRENCY", "UTC", "UTC", 0, "USD", "Bitcoin USD"
    ),
    "TCEHY": recorded_metadata(
        "TCEHY", "PNK", "Other OTC", "EQUITY", "America/New_York", "EDT", -14400, "USD",
        "Tencent Holdings Limited",
    ),
}  # fmt: skip


@pytest.fixture(autouse=True)
def _recorded_metadata(monkeypatch):
    """Yahoo's metadata from the recordings; a ticker not recorded gets what yfinance
    returns after a failed request ({'YF repair?': False})."""
    monkeypatch.setattr(yahoo, "history_metadata", lambda t: METADATA.get(t, {"YF repair?": 0}))


OFFLINE_LOG = [  # yfinance 1.7's log with no network (host lookup fails)
    (logging.WARNING, "Cookie/crumb fetch failed (DNSError), continuing without crumb"),
    (
        logging.ERROR,
        "Failed to get ticker '{t}' reason: Failed to perform, curl: (6) Could not resolve host: "
        "query2.finance.yahoo.com (Domain name not found). See "
        "https://curl.se/libcurl/c/libcurl-errors.html first for more details.",
    ),
    (logging.ERROR, "\n1 Failed download:"),
    (
        logging.ERROR,
        "['{t}']: DNSError('Failed to perform, curl: (6) Could not resolve host: "
        "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html first "
        "for more details.')",
    ),
]
UNKNOWN_LOG = [  # the service answered: nothing for this ticker
    (logging.ERROR, "${t}: possibly delisted; no timezone found"),
    (logging.ERROR, "\n1 Failed download:"),
    (logging.ERROR, "['{t}']: possibly delisted; no timezone found"),
]


def empty_download(ticker: str) -> pd.DataFrame:
    """What ``yfinance.download`` returns for a ticker it got nothing for."""
    columns = pd.MultiIndex.from_tuples(
        [(k, ticker) for k in ("Adj Close", "Close", "High", "Low", "Open", "Volume")],
        names=["Price", "Ticker"],
    )
    return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="Date"))


def noisy_failure(log: list[tuple[int, str]]):
    """A stand-in for ``yfinance.download`` failing as yfinance does: it logs, prints,
    warns (pandas' deprecations) and returns an empty frame."""
    calls = []

    def download(ticker, **kwargs):
        calls.append(ticker)
        for level, text in log:
            logging.getLogger("yfinance").log(level, text.replace("{t}", ticker))
        print(f"{ticker}: noise on stdout")
        warnings.warn("The inplace keyword in DataFrame.rename is deprecated", FutureWarning, 2)
        return empty_download(ticker)

    download.calls = calls
    return download


def recorded(ticker: str = "0016.HK") -> pd.DataFrame:
    index = pd.DatetimeIndex(["2023-06-16", "2023-06-19", "2023-06-20", "2023-06-21"], name="Date")
    values = {
        "Close": [89.6958, 89.871, 88.5571, 87.6811],
        "High": [90.5, 90.6, 89.9, 88.9],
        "Low": [88.1, 88.9, 88.0, 87.1],
        "Open": [88.5, 89.9, 89.6, 88.6],
        "Volume": [5_000_000, 4_100_000, 3_900_000, 4_400_000],
    }
    columns = pd.MultiIndex.from_tuples([(k, ticker) for k in values], names=["Price", "Ticker"])
    return pd.DataFrame(np.column_stack(list(values.values())), index=index, columns=columns)


def failed_in_batch(ticker: str) -> pd.DataFrame:
    frame = recorded(ticker)
    return frame * np.nan


def test_recorded_frame_becomes_a_price_frame():
    calls = []

    def fake(ticker, **kwargs):
        calls.append((ticker, kwargs))
        return recorded(ticker)

    frame = yahoo.download_one("0016.HK", "2023-06-16", "2023-06-22", downloader=fake)
    assert list(frame["close"]) == [89.6958, 89.871, 88.5571, 87.6811]
    assert frame.index.name == "date" and frame["adj_close"].isna().all()
    kwargs = calls[0][1]
    assert kwargs["auto_adjust"] is True and kwargs["end"] == "2023-06-22"  # end stays exclusive


@pytest.mark.parametrize(
    "result", [pd.DataFrame(), None, "nan"], ids=["empty", "exception", "all-nan"]
)
def test_nothing_usable_raises_after_the_retries(result):
    attempts = []

    def fake(ticker, **kwargs):
        attempts.append(ticker)
        if result is None:  # the service answered with something yfinance cannot read
            raise KeyError("chart")
        return failed_in_batch(ticker) if isinstance(result, str) else result

    with pytest.raises(DownloadError) as info:
        yahoo.download_one(
            "0016.HK", "2023-06-01", "2023-07-01", retries=3, backoff=0, downloader=fake
        )
    assert len(attempts) == 3
    message = str(info.value)
    assert "0016.HK" in message and "eventstudy data import" in message and "\n" not in message


def test_a_retry_that_succeeds_is_used():
    answers = [pd.DataFrame(), recorded()]
    frame = yahoo.download_one(
        "0016.HK", "2023-06-01", "2023-07-01", backoff=0, downloader=lambda t, **k: answers.pop(0)
    )
    assert len(frame) == 4


def test_batch_reports_progress_and_keeps_going_after_a_failure():
    def fake(ticker, **kwargs):
        return pd.DataFrame() if ticker == "BAD.HK" else recorded(ticker)

    seen = []
    done, failed = yahoo.fetch(
        ["0016.HK", "BAD.HK", "0012.HK"],
        "2023-06-01",
        "2023-07-01",
        retries=1,
        on_progress=lambda t, s: seen.append((t, s)),
        downloader=fake,
        backoff=0,
    )
    assert sorted(done) == ["0012.HK", "0016.HK"] and list(failed) == ["BAD.HK"]
    assert seen == [("0016.HK", "ok"), ("BAD.HK", "failed"), ("0012.HK", "ok")]


def test_cli_fetch_failure_exits_2_and_keeps_the_store(cli, monkeypatch, tmp_path):
    store = PriceStore()
    store.save(parse_price_text("Date,Close\n2023-06-15,88.0\n", "0016.HK"), "csv")
    before = store.info("0016.HK")

    import yfinance

    monkeypatch.setattr(yfinance, "download", lambda *a, **k: pd.DataFrame())
    monkeypatch.setattr(yahoo.time, "sleep", lambda s: None)
    result = cli("data", "fetch", "0016.HK", "--start", "2023-06-01", "--end", "2023-07-01")
    assert result.code == 2
    assert "failed; what was stored before is unchanged" in result.err
    assert "Traceback" not in result.err
    assert store.info("0016.HK") == before


def test_cli_fetch_merges_a_download_into_the_store(cli, monkeypatch):
    store = PriceStore()
    text = "Date,Close\n2023-06-15,88.0\n2023-06-16,89.6958\n"  # the download's basis
    store.save(parse_price_text(text, "0016.HK"), "csv")
    import yfinance

    monkeypatch.setattr(yfinance, "download", lambda t, **k: recorded(t))
    result = cli("data", "fetch", "0016.HK", "--start", "2023-06-16", "--end", "2023-06-22")
    assert result.code == 0, result.err
    frame = store.load("0016.HK")
    assert len(frame) == 5 and frame["close"].iat[0] == 88.0
    info = store.info("0016.HK")
    assert info.source.startswith("yfinance") and "kept 1 stored row(s)" in info.notes[-1]
    assert (info.market, info.market_source) == ("HKEX", "Yahoo metadata: exchange HKG")


@pytest.mark.network
def test_live_download_of_the_hang_seng():
    frame = yahoo.download_one("^HSI", "2023-06-19", "2023-06-22")
    assert frame.at[pd.Timestamp("2023-06-20"), "close"] == pytest.approx(19607.08, abs=0.5)


def test_no_back_off_means_no_waiting(monkeypatch):
    """backoff=0 used to sleep 1 s per retry (0 ** 0 == 1)."""
    slept = []
    monkeypatch.setattr(yahoo.time, "sleep", slept.append)
    with pytest.raises(DownloadError):
        yahoo.download_one(
            "X",
            "2023-01-01",
            "2023-02-01",
            retries=3,
            backoff=0,
            downloader=lambda *a, **k: pd.DataFrame(),
        )
    assert slept == [0, 0]
    slept.clear()
    with pytest.raises(DownloadError):
        yahoo.download_one(
            "X", "2023-01-01", "2023-02-01", retries=3, downloader=lambda *a, **k: pd.DataFrame()
        )
    assert slept == [1, 2]


# -- offline: stop at the first connection failure, quietly ---------------------------------
def _connection_errors():
    from curl_cffi.requests.exceptions import DNSError
    from requests.exceptions import ConnectionError as RequestsConnectionError

    return [
        ConnectionError("Failed to resolve query1.finance.yahoo.com"),
        TimeoutError("timed out"),
        RequestsConnectionError(
            "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Max retries "
            "exceeded (Caused by NameResolutionError: Failed to resolve)"
        ),
        DNSError(
            "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
            "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
        ),
    ]


@pytest.mark.parametrize(
    "error", _connection_errors(), ids=["builtin", "timeout", "requests", "curl"]
)
def test_a_connection_error_is_not_retried(error, monkeypatch):
    slept, attempts = [], []
    monkeypatch.setattr(yahoo.time, "sleep", slept.append)

    def fake(ticker, **kwargs):
        attempts.append(ticker)
        raise error

    with pytest.raises(yahoo.ServiceUnreachableError) as info:
        yahoo.download_one("0016.HK", "2023-06-01", "2023-07-01", retries=3, downloader=fake)
    assert attempts == ["0016.HK"] and slept == []
    message = str(info.value)
    assert "eventstudy data import PATH" in message and "eventstudy data import --sample" in message
    assert isinstance(info.value, DownloadError) and "\n" not in message


def test_fetch_stops_at_the_first_connection_failure(monkeypatch):
    slept = []
    monkeypatch.setattr(yahoo.time, "sleep", slept.append)
    calls, seen = [], []

    def fake(ticker, **kwargs):
        calls.append(ticker)
        if ticker == "0016.HK":
            return recorded(ticker)
        raise ConnectionError("Failed to resolve query1.finance.yahoo.com")

    tickers = ["0016.HK", "0012.HK", "^HSI", "0005.HK"]
    with pytest.raises(yahoo.ServiceUnreachableError) as info:
        yahoo.fetch(
            tickers, "2023-06-01", "2023-07-01", on_progress=lambda t, s: seen.append((t, s)),
            downloader=fake,
        )  # fmt: skip
    assert calls == ["0016.HK", "0012.HK"] and slept == []  # none of the others tried
    assert seen == [("0016.HK", "ok"), ("0012.HK", "failed")]
    assert list(info.value.downloaded) == ["0016.HK"]  # kept for the caller to store
    message = str(info.value)
    assert "stopped at 0012.HK (ticker 2 of 4)" in message
    assert (
        "`eventstudy data import PATH`" in message
        and "`eventstudy data import --sample`" in message
    )
    assert "\n" not in message and message.endswith("`eventstudy data import --sample`.")


def test_offline_yfinance_is_recognised_from_its_log_and_kept_quiet(capsys, monkeypatch):
    """yfinance does not raise offline: it logs the curl error, prints, and returns an
    empty frame; the download stops at once and nothing of it reaches the terminal."""
    monkeypatch.setattr(yahoo.time, "sleep", lambda s: pytest.fail("slept"))
    download = noisy_failure(OFFLINE_LOG)
    with pytest.raises(yahoo.ServiceUnreachableError) as info:
        yahoo.fetch(["^HSI", "0016.HK"], "2023-06-01", "2023-07-01", downloader=download)
    assert download.calls == ["^HSI"]
    assert "(Could not resolve host: query2.finance.yahoo.com)" in str(info.value)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    logger = logging.getLogger("yfinance")
    assert logger.propagate and not any(isinstance(h, yahoo._Recorder) for h in logger.handlers)


def test_an_unknown_ticker_fails_alone_and_quietly(capsys):
    unknown = noisy_failure(UNKNOWN_LOG)

    def fake(ticker, **kwargs):
        return unknown(ticker) if ticker == "NOPE.HK" else recorded(ticker)

    done, failed = yahoo.fetch(
        ["0016.HK", "NOPE.HK", "0012.HK"], "2023-06-01", "2023-07-01", downloader=fake, backoff=0
    )
    assert sorted(done) == ["0012.HK", "0016.HK"] and list(failed) == ["NOPE.HK"]
    assert unknown.calls == ["NOPE.HK"] * 3  # retried: the service answered
    assert "(yfinance: possibly delisted; no timezone found)" in failed["NOPE.HK"]
    assert capsys.readouterr() == ("", "")


def test_cli_fetch_all_offline_is_one_sentence_and_fast(cli, monkeypatch):
    import yfinance

    download = noisy_failure(OFFLINE_LOG)
    monkeypatch.setattr(yfinance, "download", download)
    monkeypatch.setattr(yahoo.time, "sleep", lambda s: pytest.fail("slept"))
    started = time.perf_counter()
    result = cli("data", "fetch", "--all")
    assert time.perf_counter() - started < 5
    assert result.code == 2 and result.out == "" and len(download.calls) == 1
    (line,) = result.err.strip().splitlines()
    assert "Yahoo Finance cannot be reached" in line and "(ticker 1 of 48)" in line
    assert "eventstudy data import --sample" in line and "Traceback" not in line
    assert PriceStore().tickers() == []


def test_cli_fetch_stores_what_came_before_the_connection_failed(cli, monkeypatch):
    import yfinance

    offline = noisy_failure(OFFLINE_LOG)
    monkeypatch.setattr(
        yfinance, "download", lambda t, **k: recorded(t) if t == "0016.HK" else offline(t)
    )
    result = cli("data", "fetch", "0016.HK", "0012.HK", "^HSI", "--start", "2023-06-16")
    assert result.code == 2 and offline.calls == ["0012.HK"]
    assert result.out.startswith("0016.HK") and "stopped at 0012.HK (ticker 2 of 3)" in result.err
    assert PriceStore().tickers() == ["0016.HK"]


# -- the exchange from Yahoo's metadata -----------------------------------------------------
@pytest.mark.parametrize(
    ("ticker", "expected"),
    [
        ("0016.HK", ("HKEX", "Yahoo metadata: exchange HKG")),
        ("^HSI", ("HKEX", "Yahoo metadata: exchange HKG")),
        ("^GSPC", ("NYSE", "Yahoo metadata: index on SNP in time zone America/New_York")),
        ("^N225", ("TSE", "Yahoo metadata: index on OSA in time zone Asia/Tokyo")),
        ("AAPL", ("NASDAQ", "Yahoo metadata: exchange NMS")),
        ("BTC-USD", None),
        ("TCEHY", None),  # an equity on an exchange not in the table: not placed by zone
    ],
)
def test_market_from_recorded_metadata(ticker, expected):
    assert yahoo.market_from_metadata(METADATA[ticker]) == expected


@pytest.mark.parametrize(
    "metadata", [{}, {"YF repair?": False}, None], ids=["empty", "failed", "none"]
)
def test_metadata_that_names_no_exchange(metadata):
    assert yahoo.market_from_metadata(metadata) is None


def test_market_codes_are_the_packages():
    codes = {"HKEX", "SSE", "SZSE", "TSE", "KRX", "SGX", "NYSE", "NASDAQ", "LSE", "XETRA"}
    codes |= {"EURONEXT", "TSX", "ASX", "BSE", "NSE", "TWSE"}
    assert set(yahoo.YAHOO_EXCHANGES.values()) == codes
    assert set(yahoo.INDEX_ZONES.values()) <= set(yahoo.YAHOO_EXCHANGES)


def test_a_download_carries_its_exchange():
    done, failed = yahoo.fetch(
        ["0016.HK", "^GSPC", "XYZ"],
        "2023-06-16",
        "2023-06-22",
        downloader=lambda t, **k: recorded(t),
    )
    assert failed == {}
    assert (done["0016.HK"].market, done["0016.HK"].market_source) == (
        "HKEX",
        "Yahoo metadata: exchange HKG",
    )
    assert done["^GSPC"].market == "NYSE"
    assert (done["XYZ"].market, done["XYZ"].market_source) == ("", "")  # not recorded


def test_metadata_failures_leave_the_exchange_unknown(capsys):
    def broken(ticker):
        logging.getLogger("yfinance").error(f"Failed to get ticker '{ticker}' reason: timed out")
        print("noise")
        raise ConnectionError("timed out")

    parsed = yahoo.download_parsed(
        "0016.HK",
        "2023-06-16",
        "2023-06-22",
        downloader=lambda t, **k: recorded(t),
        metadata=broken,
    )
    assert len(parsed.frame) == 4 and (parsed.market, parsed.market_source) == ("", "")
    assert capsys.readouterr() == ("", "")


def test_lazy_metadata_is_read_without_its_lazy_keys():
    """yfinance's metadata is a lazy mapping: reading ``tradingPeriods`` costs a request."""
    from collections.abc import Mapping

    class Lazy(Mapping):
        def __init__(self, data):
            self.data = data

        def __getitem__(self, key):
            if key == "tradingPeriods":
                raise AssertionError("tradingPeriods read: another request")
            return self.data[key]

        def __iter__(self):
            return iter([*self.data, "tradingPeriods"])

        def __len__(self):
            return len(self.data) + 1

    parsed = yahoo.download_parsed(
        "^HSI",
        "2023-06-16",
        "2023-06-22",
        downloader=lambda t, **k: recorded(t),
        metadata=lambda t: Lazy(METADATA["^HSI"]),
    )
    assert parsed.market == "HKEX"


def utc_recorded(ticker: str = "0016.HK") -> pd.DataFrame:
    """The recorded frame with its bars stamped in UTC: Hong Kong midnight is 16:00 UTC
    the day before."""
    frame = recorded(ticker)
    local = pd.DatetimeIndex(frame.index).tz_localize("Asia/Hong_Kong")
    frame.index = pd.DatetimeIndex(local.tz_convert("UTC"), name="Date")
    return frame


def test_a_utc_indexed_download_gets_hong_kong_dates():
    data = utc_recorded()
    assert str(data.index[0]) == "2023-06-15 16:00:00+00:00"
    parsed = yahoo.download_parsed(
        "0016.HK", "2023-06-16", "2023-06-22", downloader=lambda t, **k: data
    )
    frame = parsed.frame
    assert list(frame.index.strftime("%Y-%m-%d")) == [
        "2023-06-16",
        "2023-06-19",
        "2023-06-20",
        "2023-06-21",
    ]
    assert frame.index.tz is None and list(frame["close"]) == [89.6958, 89.871, 88.5571, 87.6811]
    assert "converted to Asia/Hong_Kong dates" in parsed.notes[0]
    # without the exchange's zone the UTC date would be the day before
    assert yfinance_frame_to_prices(data, "0016.HK").index[0] == pd.Timestamp("2023-06-15")


def test_a_tz_aware_download_without_a_zone_in_the_metadata_says_so():
    parsed = yahoo.download_parsed(
        "0016.HK",
        "2023-06-16",
        "2023-06-22",
        downloader=lambda t, **k: utc_recorded(t),
        metadata=lambda t: {},
    )
    assert parsed.market == "" and "no exchange time zone" in parsed.notes[0]

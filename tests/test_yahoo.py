"""Downloads through yfinance, on frames recorded in yfinance's exact output shape.

``yfinance.download(t, auto_adjust=True, multi_level_index=True)`` returns
columns ``MultiIndex([('Close', t), ('High', t), ('Low', t), ('Open', t),
('Volume', t)], names=['Price', 'Ticker'])`` and a tz-naive ``DatetimeIndex``
named ``Date``; on network failure it returns an empty frame (a failed ticker
inside a batch comes back as all-NaN rows).  The recorded values are 0016.HK
closes from the market snapshot (``shared/data/market/0016.HK.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research import yahoo
from research.errors import DownloadError
from research.prices import parse_price_text
from research.store import PriceStore


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
        if result is None:
            raise ConnectionError("Failed to resolve query1.finance.yahoo.com")
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
    store.save(parse_price_text("Date,Close\n2023-06-15,88.0\n", "0016.HK"), "csv")
    import yfinance

    monkeypatch.setattr(yfinance, "download", lambda t, **k: recorded(t))
    result = cli("data", "fetch", "0016.HK", "--start", "2023-06-16", "--end", "2023-06-22")
    assert result.code == 0, result.err
    frame = store.load("0016.HK")
    assert len(frame) == 5 and frame["close"].iat[0] == 88.0
    assert store.info("0016.HK").source.startswith("yfinance")


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

"""A fetch extends stored prices on the download's adjustment basis (research.data.adjustment).

Yahoo's adjusted prices are rescaled back through all history at every dividend or split.
The stored prices here are 0016.HK's adjusted closes of 2023-06-12..21 from the market
snapshot (``shared/data/market/0016.HK.csv``); the download, in ``yfinance.download``'s
exact shape, is 2023-06-16..30 on a later basis: the snapshot's closes times 0.97, as after
a dividend of 3% of the price.  The true return across the seam is the snapshot's.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from research.data import yahoo
from research.data.adjustment import reconcile
from research.data.prices import PRICE_COLUMNS, ParsedPrices, yfinance_frame_to_prices
from research.data.store import PriceStore
from research.errors import DataError

SNAPSHOT = {  # 0016.HK adjusted closes (shared/data/market/0016.HK.csv)
    "2023-06-12": 90.22135162353516,
    "2023-06-13": 90.1337661743164,
    "2023-06-14": 88.64466094970703,
    "2023-06-15": 88.99504852294922,
    "2023-06-16": 89.69579315185547,
    "2023-06-19": 89.8709716796875,
    "2023-06-20": 88.55706787109375,
    "2023-06-21": 87.68113708496094,
    "2023-06-23": 85.53509521484375,  # 22 June: Tuen Ng Festival
    "2023-06-26": 84.70295715332031,
    "2023-06-27": 86.23584747314453,
    "2023-06-28": 86.89279174804688,
    "2023-06-29": 85.53509521484375,
    "2023-06-30": 86.454833984375,
}
DIVIDEND_FACTOR = 0.97
METADATA = {"exchangeName": "HKG", "exchangeTimezoneName": "Asia/Hong_Kong"}


def closes(first: str, last: str, factor: float = 1.0) -> pd.Series:
    series = pd.Series(SNAPSHOT, dtype=float) * factor
    series.index = pd.DatetimeIndex(series.index, name="date")
    return series.loc[first:last]


def yf_download(close: pd.Series, ticker: str = "0016.HK") -> pd.DataFrame:
    """``yfinance.download(ticker, auto_adjust=True, multi_level_index=True)`` of these
    closes (open, high and low on the same basis)."""
    values = {
        "Close": close.to_numpy(),
        "High": close.to_numpy() * 1.008,
        "Low": close.to_numpy() * 0.99,
        "Open": close.to_numpy() * 0.998,
        "Volume": np.arange(len(close)) * 100_000.0 + 2_000_000.0,
    }
    columns = pd.MultiIndex.from_tuples([(k, ticker) for k in values], names=["Price", "Ticker"])
    index = pd.DatetimeIndex(close.index, name="Date")
    return pd.DataFrame(np.column_stack(list(values.values())), index=index, columns=columns)


def stored(close: pd.Series, ticker: str = "0016.HK") -> PriceStore:
    """A store holding these closes as an earlier fetch left them."""
    frame = yfinance_frame_to_prices(yf_download(close, ticker), ticker)
    store = PriceStore()
    parsed = ParsedPrices(ticker, frame, "yfinance.download", "auto-adjusted", market="HKEX")
    store.save(parsed, "yfinance 2023-06-01..2023-06-22 (end exclusive)")
    return store


def downloaded(close: pd.Series, ticker: str = "0016.HK") -> ParsedPrices:
    return yahoo.download_parsed(
        ticker,
        f"{close.index[0]:%Y-%m-%d}",
        f"{close.index[-1] + pd.Timedelta(days=1):%Y-%m-%d}",
        downloader=lambda t, **k: yf_download(close, t),
        metadata=lambda t: METADATA,
    )


def returns(series: pd.Series) -> pd.Series:
    return series / series.shift(1) - 1


def fingerprint(store: PriceStore, ticker: str) -> tuple[str, str]:
    info = store.info(ticker)
    data = (store.prices_dir / info.file).read_bytes()
    entry = json.loads(store.manifest_path.read_bytes())["tickers"][ticker]
    meta = json.dumps(entry, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest(), hashlib.sha256(meta).hexdigest()


@pytest.fixture(autouse=True)
def network(monkeypatch) -> list[str]:
    """No test reaches Yahoo: yfinance.download records the tickers asked and returns
    nothing unless a test replaces it; the metadata is recorded."""
    import yfinance

    asked: list[str] = []

    def refuse(ticker, **kwargs):
        asked.append(ticker)
        return pd.DataFrame()

    monkeypatch.setattr(yfinance, "download", refuse)
    monkeypatch.setattr(yahoo, "history_metadata", lambda t: METADATA)
    return asked


def test_a_dividend_since_the_last_fetch_rescales_the_stored_rows(cli, monkeypatch):
    store = stored(closes("2023-06-12", "2023-06-21"))
    new = closes("2023-06-16", "2023-06-30", DIVIDEND_FACTOR)
    import yfinance

    monkeypatch.setattr(yfinance, "download", lambda t, **k: yf_download(new, t))
    result = cli("data", "fetch", "0016.HK", "--start", "2023-06-16", "--end", "2023-07-01")
    assert result.code == 0, result.err

    merged = store.load("0016.HK")["close"]
    assert list(merged.index) == list(closes("2023-06-12", "2023-06-30").index)
    r = returns(merged)
    # on the download's dates, the download's own returns
    assert np.allclose(r.loc["2023-06-19":], returns(new).loc["2023-06-19":], rtol=0, atol=1e-12)
    # across the seam (15 -> 16 June) the true return, not a 3% jump
    true = returns(closes("2023-06-12", "2023-06-30"))
    assert abs(r.at[pd.Timestamp("2023-06-16")] - true.at[pd.Timestamp("2023-06-16")]) < 1e-12
    assert np.allclose(r.dropna(), true.dropna(), rtol=0, atol=1e-12)
    # the stored rows are on the download's basis: 0.97 x what was stored
    assert merged.at[pd.Timestamp("2023-06-12")] == pytest.approx(90.22135162353516 * 0.97, 1e-12)
    info = store.info("0016.HK")
    assert "4 stored row(s) before 2023-06-16 rescaled by 0.97" in info.notes[0]
    assert "a dividend or split since the last download" in info.notes[0]
    assert info.market == "HKEX" and info.rows == 14


def test_splicing_without_the_basis_would_jump_at_the_seam():
    """What merging did before: the stored rows kept on their old basis."""
    old = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-21")), "0016.HK")
    new = yfinance_frame_to_prices(yf_download(closes("2023-06-16", "2023-06-30", 0.97)), "X")
    spliced = returns(merge_frames(old, new)["close"]).at[pd.Timestamp("2023-06-16")]
    true = returns(closes("2023-06-12", "2023-06-30")).at[pd.Timestamp("2023-06-16")]
    assert spliced - true == pytest.approx(-0.03 * (1 + true), abs=1e-9)  # the false jump
    merged, _ = reconcile(old, new, "0016.HK")
    assert returns(merged["close"]).at[pd.Timestamp("2023-06-16")] == pytest.approx(true, abs=1e-12)


def test_volume_is_not_rescaled_and_open_high_low_are():
    old = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-21")), "0016.HK")
    new = yfinance_frame_to_prices(yf_download(closes("2023-06-16", "2023-06-30", 0.97)), "X")
    merged, notes = reconcile(old, new, "0016.HK")
    day = pd.Timestamp("2023-06-13")
    assert merged.at[day, "volume"] == old.at[day, "volume"]
    for col in ("open", "high", "low", "close"):
        assert merged.at[day, col] == pytest.approx(old.at[day, col] * 0.97, rel=1e-12)
    assert notes[-1] == "kept 4 stored row(s) outside the download"


def test_stored_rows_after_the_download_are_rescaled_at_their_own_seam():
    old = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-30")), "0016.HK")
    new = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-21", 0.97)), "X")
    merged, notes = reconcile(old, new, "0016.HK")
    true = returns(closes("2023-06-12", "2023-06-30"))
    assert np.allclose(returns(merged["close"]).dropna(), true.dropna(), rtol=0, atol=1e-12)
    assert notes[0].startswith("6 stored row(s) after 2023-06-21 rescaled by 0.97")


def test_the_same_basis_merges_as_before():
    store = stored(closes("2023-06-12", "2023-06-21"))
    info = store.merge_save(downloaded(closes("2023-06-16", "2023-06-30")), "yfinance")
    frame = store.load("0016.HK")
    assert len(frame) == 14 and info.notes == ("kept 4 stored row(s) outside the download",)
    assert frame.at[pd.Timestamp("2023-06-12"), "close"] == SNAPSHOT["2023-06-12"]


def test_a_ratio_that_is_not_constant_keeps_only_the_download():
    store = stored(closes("2023-06-12", "2023-06-21"))
    new = closes("2023-06-16", "2023-06-30", DIVIDEND_FACTOR)
    new.loc["2023-06-20"] *= 0.98  # not the same series up to a factor on the overlap
    info = store.merge_save(downloaded(new), "yfinance")
    frame = store.load("0016.HK")
    assert list(frame.index) == list(new.index)
    assert np.array_equal(frame["close"].to_numpy(), new.to_numpy())
    (note,) = info.notes
    assert note.startswith("replaced the stored prices: on the 4 date(s) both hold")
    assert "not constant (0.9506 to 0.97)" in note
    assert "dropped 4 stored row(s) outside the download (2023-06-16..2023-06-30)" in note


@pytest.mark.parametrize(("spread", "kept"), [(5e-5, True), (5e-4, False)])
def test_the_constant_ratio_tolerance(spread, kept):
    old = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-21")), "0016.HK")
    new_close = closes("2023-06-16", "2023-06-30", DIVIDEND_FACTOR)
    new_close.loc["2023-06-21"] *= 1 + spread
    new = yfinance_frame_to_prices(yf_download(new_close), "0016.HK")
    merged, notes = reconcile(old, new, "0016.HK")
    assert (len(merged) == 14) is kept and ("rescaled" in notes[0]) is kept


def test_a_download_that_does_not_overlap_is_refused_and_nothing_changes():
    store = stored(closes("2023-06-12", "2023-06-21"))
    before = fingerprint(store, "0016.HK")
    with pytest.raises(DataError) as info:
        store.merge_save(downloaded(closes("2023-06-23", "2023-06-30", 0.97)), "yfinance")
    message = str(info.value)
    assert message == (
        "The download of 0016.HK (2023-06-23..2023-06-30) does not overlap its stored prices "
        "(2023-06-12..2023-06-21), so their adjustment bases cannot be matched; fetch from a "
        "start date inside the stored span (e.g. --start 2023-06-21)."
    )
    assert fingerprint(store, "0016.HK") == before


def test_a_download_before_the_stored_span_is_told_to_end_inside_it():
    old = yfinance_frame_to_prices(yf_download(closes("2023-06-19", "2023-06-30")), "0016.HK")
    new = yfinance_frame_to_prices(yf_download(closes("2023-06-12", "2023-06-16")), "0016.HK")
    with pytest.raises(DataError, match=r"end date inside the stored span \(e.g. --end 2023-06-19"):
        reconcile(old, new, "0016.HK")


def test_cli_fetch_from_after_the_stored_span_says_it_cannot_overlap(cli, network):
    store = stored(closes("2023-06-12", "2023-06-21"))
    before = fingerprint(store, "0016.HK")
    result = cli("data", "fetch", "0016.HK", "--start", "2023-06-23", "--end", "2023-07-01")
    assert result.code == 2 and network == []  # said before downloading anything
    assert (
        "0016.HK: The requested span of 0016.HK (2023-06-23..2023-06-30) does not overlap its "
        "stored prices (2023-06-12..2023-06-21)" in result.err
    )
    assert "--start 2023-06-21" in result.err and "Traceback" not in result.err
    assert fingerprint(store, "0016.HK") == before


def test_cli_fetch_goes_on_after_a_ticker_that_does_not_overlap(cli, monkeypatch):
    """Another ticker of the batch is stored; the one whose download shares no date with
    its stored prices (here: Yahoo had only later rows) is left as it was."""
    store = stored(closes("2023-06-12", "2023-06-21"))
    before = fingerprint(store, "0016.HK")
    import yfinance

    def download(ticker, **kwargs):
        span = ("2023-06-23", "2023-06-30") if ticker == "0016.HK" else ("2023-06-12", "2023-06-30")
        return yf_download(closes(*span), ticker)

    monkeypatch.setattr(yfinance, "download", download)
    result = cli("data", "fetch", "0016.HK", "0012.HK", "--start", "2023-06-12")
    assert result.code == 2
    assert (
        "0016.HK: The download of 0016.HK (2023-06-23..2023-06-30) does not overlap" in result.err
    )
    assert "1 of 2 download(s) failed" in result.err
    assert fingerprint(store, "0016.HK") == before
    assert store.info("0012.HK").rows == 14 and store.info("0012.HK").market == "HKEX"


def test_a_stored_adj_close_column_is_matched_through_the_return_price():
    """An imported CSV with an Adj Close column, extended by an auto-adjusted download:
    the adjusted prices are compared, and the seam return is the adjusted one."""
    adjusted = closes("2023-06-12", "2023-06-21")
    old = pd.DataFrame(index=adjusted.index, columns=list(PRICE_COLUMNS), dtype=float)
    old["close"] = adjusted * 1.05  # the raw close, before the dividends adjusted out
    old["adj_close"] = adjusted
    new = yfinance_frame_to_prices(yf_download(closes("2023-06-16", "2023-06-30", 0.97)), "X")
    merged, notes = reconcile(old, new, "0016.HK")
    from research.data.prices import return_price

    r = returns(return_price(merged))
    assert np.allclose(r.dropna(), returns(closes("2023-06-12", "2023-06-30")).dropna(), atol=1e-12)
    assert "rescaled by 0.97" in notes[0]


def merge_frames(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Stored rows outside the new frame's dates, plus every new row (new wins on overlap)."""
    outside = old.loc[(old.index < new.index[0]) | (old.index > new.index[-1])]
    return pd.concat([outside, new]).sort_index()

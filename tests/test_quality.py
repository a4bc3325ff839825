"""Stale and suspicious data: detection on the real snapshot and on constructed series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research import quality
from research.prices import PRICE_COLUMNS


def frame(close, volume):
    idx = pd.bdate_range("2023-01-02", periods=len(close))
    out = pd.DataFrame({c: np.nan for c in PRICE_COLUMNS}, index=idx)
    out["close"], out["volume"] = close, volume
    return out


def test_real_suspensions_snapshot_and_zero_volume_days(market_store):
    sunac = quality.scan(market_store.load("1918.HK"), "1918.HK")
    susp = sunac[(sunac["kind"] == "suspension") & (sunac["start"] == "2022-04-01")].iloc[0]
    assert susp["end"] == pd.Timestamp("2023-04-12")
    hsce = quality.scan(market_store.load("^HSCE"), "^HSCE")
    snap = hsce[hsce["kind"] == "snapshot"]
    assert list(snap["start"]) == [pd.Timestamp("2023-11-08")]  # PROVENANCE: mid-day row
    logan = quality.scan(market_store.load("3380.HK"), "3380.HK")
    assert ((logan["kind"] == "suspension") & (logan["end"] == "2022-08-23")).any()


def test_stale_days_exclude_their_return_and_the_one_after():
    f = frame([10, 10, 10, 10, 10, 10, 12, 12.5], [5, 0, 0, 0, 0, 0, 7, 8])
    flags = quality.scan(f, "X")
    assert list(flags["kind"]) == ["suspension"] and flags["days"].iat[0] == 5
    mask = quality.excluded_returns(flags, f.index, ["X"])["X"].to_numpy()
    # days 1..5 flat with zero volume, and day 6 whose return spans the suspension
    assert mask.tolist() == [False, True, True, True, True, True, True, False]


def test_flat_price_with_volume_is_not_stale_and_jumps_are_flagged():
    f = frame([10, 10, 10, 25, 25.5], [5, 6, 7, 8, 9])
    flags = quality.scan(f, "X")
    assert list(flags["kind"]) == ["jump"]  # log(25/10) = 0.92 > 0.4
    assert flags["start"].iat[0] == f.index[3]


def test_gaps_longer_than_the_calendar_explains():
    sessions = pd.bdate_range("2023-01-02", periods=30)
    dates = sessions.delete(range(10, 17))  # 7 sessions without a row
    gaps = quality.session_gaps(dates, sessions, "X")
    assert len(gaps) == 1 and gaps["days"].iat[0] == 7
    assert gaps["start"].iat[0] == sessions[10] and gaps["end"].iat[0] == sessions[16]
    assert quality.session_gaps(sessions.delete([3, 4]), sessions, "X").empty  # 2 < 5


def test_gaps_are_reported_in_a_study(market_store, tmp_path):
    from research.analysis import run_study
    from research.prices import parse_price_text
    from research.store import PriceStore

    store = PriceStore(tmp_path / "s")
    hsi = market_store.load("^HSI").loc["2022-01-01":"2023-12-29"]
    gappy = market_store.load("0016.HK").loc["2022-01-01":"2023-12-29"]
    gappy = gappy.drop(index=gappy.loc["2022-09-01":"2022-09-20"].index)
    for ticker, f in (("^HSI", hsi), ("GAPPY", gappy)):
        text = f.to_csv(
            index_label="Date", header=["Open", "High", "Low", "Close", "Adj Close", "Volume"]
        )
        store.save(parse_price_text(text, ticker), "test")
    res = run_study(events=("lpr-cut",), tickers=("GAPPY",), benchmarks=("^HSI",), store=store)
    gaps = res.quality[res.quality["kind"] == "gap"]
    assert len(gaps) == 1 and gaps["start"].iat[0] == pd.Timestamp("2022-09-01")
    assert "gap" in res.summary()

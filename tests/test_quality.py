"""Stale and suspicious data: detection on the real snapshot and on constructed series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.data import quality
from research.data.prices import PRICE_COLUMNS


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


def test_flat_price_with_volume_is_not_stale_and_large_moves_are_flagged():
    f = frame([10, 10, 10, 10, 10, 10, 10, 24, 24.5], [5, 6, 7, 8, 9, 5, 6, 8, 9])
    flags = quality.scan(f, "X")
    # log(24/10) = 0.88 > 0.4: persistent and traded, so real news, reported and kept
    assert list(flags["kind"]) == ["large move"] and flags["start"].iat[0] == f.index[7]
    assert not quality.excluded_returns(flags, f.index, ["X"])["X"].any()


@pytest.mark.parametrize(
    ("closes", "volumes", "kind", "fragment", "excluded"),
    [
        # a bad tick: up 150% and straight back the next day -> that day and the next
        ([10] * 7 + [25, 10.2, 10.3], [5] * 10, "jump", "reversed the next day", [7, 8]),
        # an unadjusted 1:2 split: the price halves and stays
        ([10] * 7 + [5, 5.1, 5.05], [5] * 10, "jump", "split ratio of 2", [7]),
        # a move with no trade on a series that trades
        ([10] * 7 + [16, 16.2, 16.1], [5] * 7 + [0, 5, 5], "jump", "no volume", [7]),
        # at the start of a listing
        ([10, 16, 16.2, 16.1, 16.3, 16.4, 16.5, 16.6], [5] * 8, "jump", "start of the series", [1]),
        # beyond a factor of e in one traded day
        ([10] * 7 + [3, 3.05, 3.1], [5] * 10, "jump", "stitched series", [7]),
        # the first trade after a suspension
        ([10] * 3 + [10] * 5 + [5, 5.1], [5] * 3 + [0] * 5 + [9, 9], "resumption", "spans", [8]),
    ],
    ids=["bad-tick", "split", "no-volume", "listing", "extreme", "resumption"],
)
def test_data_errors_are_told_apart_from_real_moves(closes, volumes, kind, fragment, excluded):
    """Item 3 of issue 13: only the signs of a data error keep a large move out of
    estimation; each flag says why."""
    f = frame(closes, volumes)
    flags = quality.scan(f, "X")
    row = flags[flags["kind"] == kind].iloc[0]
    assert fragment in row["action"]
    mask = quality.excluded_returns(flags, f.index, ["X"])["X"].to_numpy()
    assert all(mask[i] for i in excluded)


def test_real_rallies_in_the_snapshot_are_kept(market_store, market_dir):
    """1030.HK on 2022-11-11 (the HSI +7.7% that day) and 1918.HK / 2202.HK in the
    September-October 2024 rally were excluded as 'jumps'; they are real news."""
    for ticker, day in (
        ("1030.HK", "2022-11-11"),
        ("1918.HK", "2024-10-02"),
        ("2202.HK", "2024-10-02"),
    ):
        flags = quality.scan(market_store.load(ticker), ticker)
        row = flags[flags["start"] == pd.Timestamp(day)].iloc[0]
        assert row["kind"] == "large move", (ticker, row["action"])
    flags = quality.scan(market_store.load("1972.HK"), "1972.HK")  # a stitched series in 2012
    assert flags.loc[flags["start"] == pd.Timestamp("2012-01-18"), "kind"].iat[0] == "jump"


def test_sessions_without_a_row_are_gaps():
    sessions = pd.bdate_range("2023-01-02", periods=30)
    dates = sessions.delete(range(10, 17))  # 7 sessions without a row
    gaps = quality.session_gaps(dates, sessions, "X")
    assert len(gaps) == 1 and gaps["days"].iat[0] == 7
    assert gaps["start"].iat[0] == sessions[10] and gaps["end"].iat[0] == sessions[16]
    # every session without a row is missing data, however short the gap
    short = quality.session_gaps(sessions.delete([3, 4]), sessions, "X")
    assert list(short["days"]) == [2] and short["start"].iat[0] == sessions[3]
    assert quality.session_gaps(sessions, sessions, "X").empty


def test_gaps_are_reported_in_a_study(market_store, tmp_path):
    from research.analyses.analysis import run_study
    from research.data.prices import parse_price_text
    from research.data.store import PriceStore

    store = PriceStore(tmp_path / "s")
    hsi = market_store.load("^HSI").loc["2022-01-01":"2023-12-29"]
    gappy = market_store.load("0016.HK").loc["2022-01-01":"2023-12-29"]
    gappy = gappy.drop(index=gappy.loc["2022-09-01":"2022-09-20"].index)
    for ticker, f in (("^HSI", hsi), ("GAPPY", gappy)):
        text = f.to_csv(
            index_label="Date", header=["Open", "High", "Low", "Close", "Adj Close", "Volume"]
        )
        store.save(parse_price_text(text, ticker, market="HKEX"), "test")
    res = run_study(events=("lpr-cut",), tickers=("GAPPY",), benchmarks=("^HSI",), store=store)
    gaps = res.quality[res.quality["kind"] == "gap"]
    assert len(gaps) == 1 and gaps["start"].iat[0] == pd.Timestamp("2022-09-01")
    assert "gap" in res.summary()


def test_a_bad_tick_is_one_flag_and_bonus_issues_are_split_like():
    f = frame([10] * 7 + [16, 10.1, 10.2], [5] * 10)
    flags = quality.scan(f, "X")
    assert list(flags["kind"]) == ["jump"] and flags["days"].iat[0] == 2  # not also "kept"
    f = frame([10] * 7 + [6.67, 6.7, 6.72], [5] * 10)  # 1-for-2 bonus issue, unadjusted
    assert "split ratio of 1.5" in quality.scan(f, "X")["action"].iat[0]

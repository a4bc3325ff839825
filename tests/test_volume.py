"""Abnormal trading volume (``--measure volume``), checked long-hand from the raw CSVs.

The mean-adjusted model of Campbell & Wasley (1996): a stock's abnormal log volume on an
event day is its log volume less its mean log volume over the estimation window (the
sessions -250..-11 of the exchange calendar, days without trading left out).  The
reference below reads the snapshot's CSVs with pandas and the calendar with
exchange_calendars, not the package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _raw_log_volume(market_dir, ticker: str) -> pd.Series:
    raw = pd.read_csv(market_dir / f"{ticker}.csv", skiprows=3, header=None, index_col=0)
    raw.index = pd.to_datetime(raw.index)
    volume = raw[5].astype(float)
    return np.log(volume.where(volume > 0))


def test_mean_adjusted_aav_equals_the_long_hand(cli, market_store, market_dir):
    import exchange_calendars as xcals

    result = cli(
        "run",
        *("--measure", "volume", "--event", "lpr-cut", "--group", "mainland-developer"),
        *("--format", "json"),
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    days = pd.DataFrame(doc["days"])
    assert {"aav", "caav", "kp_cross_sectional_t_p", "corrado_rank_z_p"} <= set(days.columns)
    assert "aar" not in days.columns and doc["measure"] == "volume"
    assert doc["settings"]["model"] == "constant-mean"  # mean-adjusted by default
    securities = pd.DataFrame(doc["securities"])
    assert "av" in securities.columns and "ar" not in securities.columns

    sessions = xcals.get_calendar("XHKG").sessions_in_range("2021-01-01", "2023-07-31")
    day0 = sessions.get_loc(pd.Timestamp("2023-06-20"))
    est = sessions[day0 - 250 : day0 - 10]
    event = sessions[day0 - 1 : day0 + 2]
    universe = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "universe.csv")
    members = universe.loc[universe["group"] == "mainland-developer", "ticker"]
    av = {}
    for ticker in members:
        lv = _raw_log_volume(market_dir, ticker)
        usable = lv.reindex(est).dropna()
        if len(usable) < 120:  # the study's minimum: 1918.HK, suspended, is dropped
            continue
        av[ticker] = lv.reindex(event) - usable.mean()
    frame = pd.DataFrame(av)
    kept = set(securities["security"])
    assert kept == set(frame.columns)  # the same stocks kept and dropped
    ours = days[days["group"] == "mainland-developer"].set_index("day")
    for k, day in enumerate((-1, 0, 1)):
        assert ours.at[day, "aav"] == pytest.approx(frame.iloc[k].mean(), abs=1e-10)
        assert ours.at[day, "n"] == frame.iloc[k].notna().sum()
    assert ours.at[1, "caav"] == pytest.approx(frame.mean(axis=1).sum(), abs=1e-10)


def test_market_model_on_volume_and_a_day_without_trading(cli, market_store):
    """The market model regresses log volume on the market's log volume; the note says
    which series that is.  A zero-volume day is missing, never log 0.
    """
    from research.data.store import PriceStore
    from research.data.universe import load_universe
    from research.data.volume import log_volume, volume_inputs

    store = PriceStore()
    frame = store.load("0823.HK")
    assert frame.loc["2023-02-10", "volume"] == 0  # stale: flat price, no trade
    lv = log_volume(frame, "0823.HK", pd.DatetimeIndex(frame.index))
    assert np.isnan(lv.loc["2023-02-10"]) and np.isfinite(lv.loc["2023-02-09"])
    panel = volume_inputs(["0823.HK"], "HKEX", store, load_universe())
    assert "market log volume" in panel.benchmarks
    assert "mean log volume" in panel.alignment_notes["market log volume"]
    result = cli(
        "run",
        *("--measure", "volume", "--model", "market", "--event", "lpr-cut", "--group", "reit"),
    )
    assert result.code == 0, result.err
    said = " ".join(result.out.split())
    assert "abnormal log volume, market model on the market log volume" in said
    assert "AAV/CAAV" in said and "CAV(-1,+1)" in said


def test_volume_options_that_cannot_apply_are_refused(cli, market_store):
    dimson = cli(
        "run", "--measure", "volume", "--model", "dimson", "--event", "lpr-cut", "--group", "reit"
    )
    assert dimson.code == 2 and "mean-adjusted (constant-mean) or the market" in dimson.err
    t2t = cli(
        "run",
        *("--measure", "volume", "--thin-trading", "trade-to-trade", "--event", "lpr-cut"),
        *("--group", "reit"),
    )
    assert t2t.code == 2 and "a volume study has no return to span" in t2t.err


def test_volume_headline_comes_from_the_volume_evidence():
    """Clustered volume studies lead with the tests that held their size for volume
    (research/stats/volume_evidence.json, written by scripts/volume_size.py): the rank
    test's CAR version does not (log volume is autocorrelated).
    """
    from research.stats.headline import headline_tests, test_notes, volume_evidence

    ev = volume_evidence()
    clustered = headline_tests(True, measure="volume")
    assert clustered == tuple(ev["clustered_headline"])
    assert "corrado_rank_z" not in clustered and ev["worst_size"]["corrado_rank_z"] > 0.07
    for name in clustered:
        assert ev["worst_size"][name] <= ev["band"][1]
    notes = test_notes(True, "volume")
    assert "section 6" in notes["corrado_rank_z"]


def test_errors_say_why_there_is_nothing_to_estimate(cli, market_store):
    """A suspended stock and an index without volume are refused with their real cause,
    not with advice to import prices or lengthen the window (a referee's cases)."""
    suspended = cli("run", "--date", "2022-09-01", "--tickers", "1918.HK")
    assert suspended.code == 2
    said = " ".join(suspended.err.split())
    assert "did not trade then: suspension 2022-04-01..2023-04-12" in said
    assert "choose another date or security" in said
    no_volume = cli("run", "--measure", "volume", "--date", "1998-08-14", "--tickers", "^HSI")
    assert no_volume.code == 2
    said = " ".join(no_volume.err.split())
    assert "has no log volume there" in said and "lengthen" not in said


def test_the_table_of_record_names_the_volume_columns(market_store):
    from research.analyses.analysis import run_study

    frame = run_study(events="lpr-cut", groups="reit", measure="volume").to_frame()
    assert {"log_volume", "av", "cav", "aav", "caav"} <= set(frame.columns)
    assert not {"ret", "ar", "aar"} & set(frame.columns)


def test_volume_benchmarks_that_would_be_ignored_are_refused(cli, market_store):
    base = ("run", "--measure", "volume", "--event", "lpr-cut", "--group", "reit")
    two = cli(*base, "--model", "market", "--benchmark", "^HSI", "--benchmark", "^HSCE")
    assert two.code == 2 and "at most one index" in two.err
    mean = cli(*base, "--benchmark", "^HSI")  # the mean-adjusted model has no regressor
    assert mean.code == 2 and "the mean-adjusted model takes none" in " ".join(mean.err.split())
    one = cli(*base, "--model", "market", "--benchmark", "^HSI")
    assert one.code == 0, one.err
    headline = cli("run", "--measure", "volume")  # the headline study's groups, by volume
    assert headline.code == 0, headline.err
    assert "abnormal log volume, mean-adjusted model" in " ".join(headline.out.split())

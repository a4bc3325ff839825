"""Firm-event pairs: each firm on its own date, pooled in event time (issue 23)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from research.analyses.analysis import run_study
from research.data.pairs import load_pairs
from research.errors import EventStudyError, MalformedFileError

# five Hong Kong stocks, each on its own day (dates of the catalogue's events, one per firm)
FIVE = pd.DataFrame(
    {
        "ticker": ["0688.HK", "1109.HK", "0016.HK", "0012.HK", "0960.HK"],
        "date": [
            "2023-06-13T09:30+08:00",
            "2023-06-15T09:22+08:00",
            "2023-06-20T09:15+08:00",
            "2023-03-06T22:00+08:00",
            "2022-11-14 Asia/Makassar",
        ],
    }
)
DAY0 = ["2023-06-13", "2023-06-15", "2023-06-20", "2023-03-07", "2022-11-14"]


def write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def single_day0_ar(ticker: str, date: str) -> float:
    res = run_study(dates=date, tickers=ticker, benchmarks="^HSI")
    ab = res.abnormal
    return float(ab.loc[ab["day"] == 0, "ar"].iat[0])


def test_five_firms_on_five_dates_pool_in_event_time(cli, market_store, tmp_path):
    path = write(FIVE, tmp_path / "pairs.csv")
    result = cli("run", "--pairs", path, "--benchmark", "^HSI", "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    day0 = next(d for d in doc["days"] if d["day"] == 0)
    assert day0["n"] == 5
    singles = [single_day0_ar(t, d) for t, d in zip(FIVE["ticker"], FIVE["date"], strict=True)]
    # the same firm-event estimated alone or among others: the same numbers, to rounding
    assert day0["aar"] == pytest.approx(np.mean(singles), abs=1e-12)
    # the API gives the same, from a frame or from the file
    for pairs in (FIVE, path):
        res = run_study(pairs=pairs, benchmarks="^HSI")
        row = res.day_tests.set_index("day").loc[0]
        assert row["n"] == 5 and row["aar"] == pytest.approx(np.mean(singles), abs=1e-12)
    # each firm-event on its own session, and the table shows the span of day 0
    sessions = sorted(pd.to_datetime(res.alignment["session"]).dt.strftime("%Y-%m-%d"))
    assert sessions == sorted(DAY0)
    assert row["date"] == pd.Timestamp("2022-11-14")
    assert row["date_last"] == pd.Timestamp("2023-06-20")
    assert "2022-11-14..2023-06-20" in res.summary().as_text(width=200)
    # the windows of 0688.HK (06-12..06-14) and 1109.HK (06-14..06-16) share 06-14: the
    # clustering rule sees overlapping windows around different day 0s, and the study leads
    # with the calendar-time permutation test, as any staggered cohort does
    assert res.staggered and res.headline_tests == ("permutation",)


def test_event_types_and_groups_are_the_units_of_pooling(market_store):
    pairs = FIVE.assign(
        event=["policy", "policy", "policy", "speech", "speech"],
        group=["mainland", "mainland", "hk", "hk", "mainland"],
    )
    res = run_study(pairs=pairs, benchmarks="^HSI")
    day0 = res.day_tests[res.day_tests["day"] == 0].set_index(["event", "group"])["n"]
    assert day0.loc[("policy", "all")] == 3 and day0.loc[("speech", "all")] == 2
    assert day0.loc[("policy", "mainland")] == 2 and day0.loc[("speech", "hk")] == 1


def test_pairs_from_a_spreadsheet(market_store, tmp_path):
    path = tmp_path / "pairs.xlsx"
    sheet = FIVE.assign(date=pd.to_datetime(DAY0))  # Excel cells hold dates, not text
    sheet.to_excel(path, index=False)
    loaded = load_pairs(path)
    assert list(loaded["date"]) == DAY0
    res = run_study(pairs=str(path), benchmarks="^HSI")
    assert res.day_tests.set_index("day").loc[0, "n"] == 5


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (FIVE.drop(columns="date"), "lacks the column(s) date"),
        (pd.concat([FIVE, FIVE.iloc[[1]]]), "lists 1109.HK on 2023-06-15T09:22+08:00"),
        (
            FIVE.assign(ticker=["0688.HK", "", "0016.HK", "0012.HK", "0960.HK"]),
            "no ticker on row 3",
        ),
        (FIVE.iloc[:0], "has no firm-event"),
    ],
    ids=["no-date-column", "duplicate", "empty-ticker", "empty"],
)
def test_malformed_pairs_are_refused_in_one_sentence(frame, message):
    with pytest.raises(MalformedFileError, match=re.escape(message)):
        load_pairs(frame)


def test_unknown_tickers_dates_and_mixtures_are_named(cli, market_store, tmp_path):
    unknown = FIVE.assign(ticker=["NOPE.HK", "1109.HK", "NADA.HK", "0012.HK", "0960.HK"])
    result = cli("run", "--pairs", write(unknown, tmp_path / "u.csv"), "--benchmark", "^HSI")
    assert result.code == 2
    assert "2 tickers of the pairs have no stored prices: NOPE.HK, NADA.HK" in result.err
    late = FIVE.assign(date=["2031-01-05"] * 5)
    result = cli("run", "--pairs", write(late, tmp_path / "late.csv"), "--benchmark", "^HSI")
    assert result.code == 2 and "falls after the last HKEX session" in result.err
    with pytest.raises(EventStudyError, match="either as pairs"):
        run_study(pairs=FIVE, events="lpr-cut")
    with pytest.raises(EventStudyError, match="several benchmarks"):
        run_study(pairs=FIVE.assign(benchmark=["^HSI", "^HSI", "^HSCE", "^HSI", "^HSI"]))
    # one benchmark named on the rows is the study's
    res = run_study(pairs=FIVE.assign(benchmark="^HSCE"))
    assert res.settings.benchmarks == ("^HSCE",)

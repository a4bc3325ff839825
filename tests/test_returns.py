"""Returns on a session grid and the alignment of foreign markets to Hong Kong sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.data.returns import align_foreign_returns, compute_returns, previous_session_returns


def test_simple_and_log_returns_skip_missing_sessions():
    prices = pd.Series(
        [100.0, 110.0, np.nan, 99.0, 108.9], index=pd.bdate_range("2023-06-12", periods=5)
    )
    simple = compute_returns(prices)
    assert simple.iloc[1] == pytest.approx(0.10)
    assert np.isnan(simple.iloc[2]) and np.isnan(simple.iloc[3])  # no return spans the gap
    assert simple.iloc[4] == pytest.approx(0.10)
    log = compute_returns(prices, kind="log")
    assert log.iloc[4] == pytest.approx(np.log(1.1))


def test_new_york_affects_the_next_hong_kong_session_and_juneteenth_is_zero():
    hk = pd.DatetimeIndex(
        ["2023-06-15", "2023-06-16", "2023-06-19", "2023-06-20", "2023-06-21", "2023-06-23"]
    )
    # S&P 500 closes (PROVENANCE.md): no 06-19 row (Juneteenth); 06-22 traded while HK was shut
    spx = pd.Series(
        [4425.84, 4409.59, 4388.71, 4365.69, 4381.89, 4348.33],
        index=pd.DatetimeIndex(
            ["2023-06-15", "2023-06-16", "2023-06-20", "2023-06-21", "2023-06-22", "2023-06-23"]
        ),
    )
    out = previous_session_returns(spx, hk, kind="log")
    log = np.log(spx / spx.shift(1))
    assert np.isnan(out["2023-06-15"]) and np.isnan(out["2023-06-16"])  # before NY's first return
    assert out["2023-06-19"] == pytest.approx(log["2023-06-16"])  # NY Fri -> HK Mon
    assert out["2023-06-20"] == 0.0  # NY closed 06-19: nothing new before HK 06-20
    assert out["2023-06-21"] == pytest.approx(log["2023-06-20"])
    # HK shut 06-22 (Tuen Ng): NY 06-21 and 06-22 both reach HK 06-23, compounded
    assert out["2023-06-23"] == pytest.approx(log["2023-06-21"] + log["2023-06-22"])
    assert out.sum() == pytest.approx(log.loc["2023-06-16":"2023-06-22"].sum())  # nothing lost


def test_same_day_markets_compound_their_sessions_up_to_the_hong_kong_date():
    hk = pd.DatetimeIndex(["2023-06-20", "2023-06-21", "2023-06-23"])
    nikkei = pd.Series(
        [33370.4, 33388.9, 33575.1, 33264.9, 32781.5], index=pd.bdate_range("2023-06-19", periods=5)
    )
    out = align_foreign_returns(nikkei, hk, same_day=True, kind="simple")
    assert out["2023-06-21"] == pytest.approx(33575.1 / 33388.9 - 1)
    assert out["2023-06-23"] == pytest.approx(32781.5 / 33575.1 - 1)  # 06-22 and 06-23 together

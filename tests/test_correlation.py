"""Rolling correlation and beta against long-hand numpy on each window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.correlation import rolling_correlation_beta


def test_rolling_statistics_equal_numpy_on_every_window():
    rng = np.random.default_rng(8)
    idx = pd.bdate_range("2023-01-02", periods=120)
    x = pd.Series(rng.normal(0, 0.01, 120), index=idx)
    y = pd.DataFrame(
        {"a": 0.8 * x + rng.normal(0, 0.01, 120), "b": rng.normal(0, 0.02, 120)}, index=idx
    )
    y.iloc[30, 0] = np.nan  # a missing day: the window uses the days both series have
    corr, beta = rolling_correlation_beta(y, x, window=20, min_periods=15)
    both = pd.concat([y["a"], x], axis=1).dropna()
    for end in (40, 80, 119):
        t = both.index[both.index.get_indexer([idx[end]])[0]]
        pos = both.index.get_loc(t)
        w = both.iloc[pos - 19 : pos + 1].to_numpy()
        assert corr.at[t, "a"] == pytest.approx(np.corrcoef(w[:, 0], w[:, 1])[0, 1], rel=1e-10)
        assert beta.at[t, "a"] == pytest.approx(np.polyfit(w[:, 1], w[:, 0], 1)[0], rel=1e-9)
    assert corr["a"].iloc[:13].isna().all()  # fewer than 15 sessions: no value
    assert np.isnan(corr.at[idx[30], "a"])  # the missing day itself has no value

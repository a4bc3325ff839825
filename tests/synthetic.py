"""Small synthetic data sets the tests build (no market data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def market_model_panel(
    n_secs: int = 12,
    n_days: int = 320,
    seed: int = 7,
    event_day: int = 280,
    missing: float = 0.0,
    shock: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns, one benchmark and an events table (all securities on one day 0).

    Returns follow ``R = a + b Rm + e`` with security-specific a, b, sigma and a
    common factor in ``e`` (so residuals are cross-correlated); ``shock`` is
    added on day 0.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2022-01-03", periods=n_days)
    rm = rng.normal(0.0003, 0.012, n_days)
    common = rng.normal(0, 0.004, n_days)
    alpha = rng.normal(0.0002, 0.0005, n_secs)
    beta = rng.uniform(0.5, 1.6, n_secs)
    sigma = rng.uniform(0.01, 0.03, n_secs)
    eps = rng.standard_t(5, size=(n_days, n_secs)) * sigma / np.sqrt(5 / 3) + common[:, None]
    r = alpha + np.outer(rm, beta) + eps
    r[event_day] += shock
    if missing:
        holes = rng.random(r.shape) < missing
        holes[event_day - 1 : event_day + 2] = False
        r[holes] = np.nan
    names = [f"S{i:02d}" for i in range(n_secs)]
    returns = pd.DataFrame(r, index=dates, columns=names)
    bench = pd.DataFrame({"M": rm}, index=dates)
    events = pd.DataFrame({"security": names, "day0": dates[event_day], "event": "E"})
    return returns, bench, events


def peer_golden_study(data: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The peer's three single-firm events laid end to end on one date grid.

    Event k occupies days 11k .. 11k+10 (8 estimation days, 3 event days);
    each security has returns only in its own stretch, and the single
    benchmark column carries each event's own index returns there.
    """
    keys = sorted(data["events"])
    dates = pd.bdate_range("2024-01-01", periods=11 * len(keys))
    returns = pd.DataFrame(np.nan, index=dates, columns=keys)
    bench = pd.DataFrame({"M": np.nan}, index=dates)
    rows = []
    for k, key in enumerate(keys):
        e = data["events"][key]
        est_index = np.array(e["est_index"])
        est = e["alpha"] + e["beta"] * est_index + np.array(e["est_resid"])
        span = slice(11 * k, 11 * k + 11)
        returns.iloc[span, k] = np.r_[est, e["evt_firm"]]
        bench.iloc[span, 0] = np.r_[est_index, e["evt_index"]]
        rows.append((key, dates[11 * k + 8]))
    events = pd.DataFrame(rows, columns=["security", "day0"]).assign(event="peer")
    return returns, bench, events


# The peer's golden-value keys and the column of this package's day table holding each.
PEER_COLUMNS = {
    "aar": "aar",
    "cross_sectional_t": "cross_sectional_t",
    "patell_z": "patell_z",
    "bmp_t_without_prediction_error_correction": "bmp_t",
    "kolari_pynnonen_t_on_that_bmp": "kolari_pynnonen_t",
    "corrado_rank_z": "corrado_rank_z",
}

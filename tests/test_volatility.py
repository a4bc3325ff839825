"""The volatility tests (``--measure volatility``), recomputed with loops over the formulas
of research/stats/volatility.py (Beaver 1968's variance ratio with the prediction-error
correction; its cross-sectional t; the cohort's mean squared standardized residual against
the estimation days' in time-series s.d. and by rank).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research.estimation.study import EventStudy


def _long_hand(ar, sd, sigma, df, resid, length):
    n = len(ar)
    vr = [float(np.mean([(ar[i][d] / sd[i][d]) ** 2 for d in range(length)])) for i in range(n)]
    u0 = [float(np.mean([(ar[i][d] / sigma[i]) ** 2 for d in range(length)])) for i in range(n)]
    excess = [vr[i] - df[i] / (df[i] - 2) for i in range(n)]
    mean = sum(excess) / n
    s = math.sqrt(sum((e - mean) ** 2 for e in excess) / (n - 1))
    t = mean / (s / math.sqrt(n))
    daily = []
    for t_day in range(resid.shape[1]):
        vals = [(resid[i][t_day] / sigma[i]) ** 2 for i in range(n) if np.isfinite(resid[i][t_day])]
        daily.append(sum(vals) / len(vals) if vals else np.nan)
    runs = []
    for a in range(len(daily) - length + 1):
        part = daily[a : a + length]
        if all(np.isfinite(part)):
            runs.append(sum(part) / length)
    obs = sum(u0) / n
    mu = sum(runs) / len(runs)
    sd_runs = math.sqrt(sum((r - mu) ** 2 for r in runs) / (len(runs) - 1))
    z = (obs - mu) / sd_runs
    up = (1 + sum(r >= obs for r in runs)) / (1 + len(runs))
    down = (1 + sum(r <= obs for r in runs)) / (1 + len(runs))
    return {
        "mean_vr": sum(vr) / n,
        "var_cs_t": t,
        "var_cs_t_p": 2 * stats.t.sf(abs(t), n - 1),
        "var_time_z": z,
        "var_time_z_p": 2 * stats.norm.sf(abs(z)),
        "var_rank_p": min(1.0, 2 * min(up, down)),
    }


def test_volatility_tests_long_hand():
    rng = np.random.default_rng(1968)
    idx = pd.bdate_range("2020-01-01", periods=400)
    m = rng.normal(0, 0.01, len(idx))
    rets = pd.DataFrame(
        {f"S{i}": 0.9 * m + rng.normal(0, 0.02, len(idx)) for i in range(8)}, index=idx
    )
    rets.iloc[300, :] *= 3  # a burst of volatility on day 0
    events = pd.DataFrame({"event": "e", "group": "g", "security": rets.columns, "day0": idx[300]})
    res = EventStudy(rets, events, pd.Series(m, index=idx, name="M")).fit()
    fit = res.model_fit
    table = res.volatility.set_index("level")
    days = list(res.days)
    for label, cols in (("day 0", [days.index(0)]), ("(-1,1)", [0, 1, 2])):
        want = _long_hand(
            res.ar[:, cols], res.sd[:, cols], fit.sigma, fit.df.astype(float), fit.resid, len(cols)
        )
        got = table.loc[label]
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-12), (label, key)
    assert table.at["day 0", "mean_vr"] > 3  # the burst shows
    assert table.at["day 0", "var_rank_p"] < 0.05
    ratios = res.variance_ratios
    one = ratios[(ratios["security"] == "S0") & (ratios["level"] == "day 0")]["variance_ratio"]
    j = days.index(0)
    assert one.iat[0] == pytest.approx((res.ar[0, j] / res.sd[0, j]) ** 2, rel=1e-12)


def test_cli_volatility_json_and_table(cli, market_store):
    out = cli(
        "run",
        "--measure",
        "volatility",
        "--event",
        "lpr-cut",
        "--group",
        "reit",
        "--format",
        "json",
    )
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    assert doc["settings"]["measure"] == "volatility"
    vol = pd.DataFrame(doc["volatility"])
    assert {"mean_vr", "var_time_z_p", "var_rank_p", "var_cs_t_p"} <= set(vol.columns)
    assert {"variance_ratio", "security"} <= set(pd.DataFrame(doc["variance_ratios"]).columns)
    text = cli("run", "--measure", "volatility", "--event", "lpr-cut", "--group", "reit").out
    said = " ".join(text.split())
    assert "volatility of the abnormal returns" in said and "rank p" in said
    assert "docs/validation.md, section 7" in said


def test_referee_cases(cli, market_store):
    """Cases a referee tried: one stock's time-series tests, trade-to-trade refused, and
    the GARCH variance change on a day a fit put omega near 0 stays a plausible share.
    """
    from research.analyses.analysis import run_study
    from research.errors import EventStudyError, OptionError
    from research.estimation.garch_tables import security_garch

    one = run_study(events="lpr-cut", tickers="0016.HK", measure="volatility")
    row = one.volatility.set_index("level").loc["day 0"]
    assert row["n"] == 1 and np.isfinite(row["var_time_z"]) and np.isfinite(row["var_rank_p"])
    assert np.isnan(row["var_cs_t"])  # a cross-sectional t needs two firm-events
    with pytest.raises(EventStudyError, match="trade-to-trade returns over several sessions"):
        run_study(
            events="lpr-cut", groups="reit", measure="volatility", thin_trading="trade-to-trade"
        )
    volume = run_study(events="lpr-cut", groups="reit", measure="volume")
    with pytest.raises(OptionError, match="this is a volume study"):
        volume.volatility  # noqa: B018
    res = run_study(dates="2022-09-14", groups="hk-developer", measure="volatility")
    fits = security_garch(res)
    assert fits["variance_change"].abs().max() < 10  # was 1.6e8 from omega ~ 1e-16


def test_csv_of_a_volatility_study_holds_its_tables(cli, market_store):
    """--format csv writes the volatility tests by default; --level picks the variance
    ratios or the GARCH table (it wrote the returns' ARs before)."""
    import io

    base = ("run", "--measure", "volatility", "--event", "lpr-cut", "--group", "reit")
    table = pd.read_csv(io.StringIO(cli(*base, "--format", "csv").out))
    assert {"mean_vr", "var_time_z_p", "var_rank_p"} <= set(table.columns)
    ratios = pd.read_csv(
        io.StringIO(cli(*base, "--format", "csv", "--level", "variance_ratios").out)
    )
    assert "variance_ratio" in ratios.columns
    garch = pd.read_csv(io.StringIO(cli(*base, "--format", "csv", "--level", "garch").out))
    assert "garch_cs_t_p" in garch.columns

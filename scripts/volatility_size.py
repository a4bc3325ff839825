"""Size and power of the volatility tests (research/stats/volatility.py) on the real Hong
Kong returns, with scattered and clustered event dates.

    python scripts/volatility_size.py                     # docs/results/volatility_size.csv
    python scripts/volatility_size.py --trials 100 --out /tmp/x   # a quick look (CI)

Reads the price store (``EVENTSTUDY_DATA_DIR``; import ``../shared/data/market`` first).
Market model on the HSI, estimation (-250,-11).  Scattered dates: 20 Hong Kong stocks of
the universe, each on its own random day 0 (2012-2025).  Clustered dates: every stock of a
property group on one random common day 0.  Power: each firm-event's day-0 return gets an
extra N(0, (m - 1) sigma_i^2), so its variance is m times the usual (event-induced
variance, the mean unchanged).  Rejection rates at 5% (two-sided); docs/validation.md
(section 7) quotes them, written by ``scripts/size_power.py``; the largest sizes go to
``research/stats/volatility_evidence.json``, which a study's notes quote.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MULTIPLIERS = (1.0, 2.0, 4.0)  # day-0 variance over the usual
GROUPS = ("reit", "hk-developer", "mainland-developer", "property")
LEVELS = ("day 0", "(-1,1)")
TESTS = ("var_cs_t_p", "var_time_z_p", "var_rank_p")


def shocked_returns(returns, events, sigma, seed, multipliers):
    """``(m, returns)`` for each variance multiplier ``m``: each firm-event's day-0 return
    plus ``sqrt(m - 1)`` times one N(0, sigma_i^2) draw (the same draws for every ``m``).
    """
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(events)) * sigma.reindex(events["security"]).to_numpy()
    rows = returns.index.get_indexer(events["day0"])
    cols = returns.columns.get_indexer(events["security"])
    for m in multipliers:
        arr = returns.to_numpy(copy=True)
        if m > 1:
            np.add.at(arr, (rows, cols), np.sqrt(m - 1) * noise)
        yield m, pd.DataFrame(arr, index=returns.index, columns=returns.columns)


def rates(returns, bench, events, sigma, seed, exclude) -> list[dict]:
    """Rejection rates of each volatility test for every variance multiplier."""
    from research.estimation.study import EventStudy

    out = []
    for m, shocked in shocked_returns(returns, events, sigma, seed, MULTIPLIERS):
        frames = []
        for _, part in events.groupby("batch", sort=True):
            res = EventStudy(
                shocked,
                part.drop(columns="batch"),
                bench,
                car_windows=[(-1, 1), (0, 0)],
                min_obs=120,
                exclude=exclude,
                other_events="keep",
                bootstrap=0,
            ).fit()
            frames.append(res.volatility)
        table = pd.concat(frames, ignore_index=True)
        for level in LEVELS:
            part = table[table["level"] == level]
            row = {"variance": f"x{m:g}", "level": level, "trials": len(part)}
            for name in TESTS:
                p = part[name].to_numpy(float)
                row[name.removesuffix("_p")] = round(float(np.mean(p[np.isfinite(p)] < 0.05)), 3)
            out.append(row)
    return out


def garch_rates(returns, bench, events, sigma, seed, exclude) -> list[dict]:
    """Rejection rates of the GARCH variance-dummy tests (x1 and x4 day-0 variance), and
    the share of fits usable (converged, with a standard error for the dummy).
    """
    from research.estimation.garch_tables import cohort_garch, security_garch
    from research.estimation.study import EventStudy

    out = []
    for m, shocked in shocked_returns(returns, events, sigma, seed, (1.0, 4.0)):
        frames, usable = [], []
        for _, part in events.groupby("batch", sort=True):
            res = EventStudy(
                shocked,
                part.drop(columns="batch"),
                bench,
                min_obs=120,
                exclude=exclude,
                other_events="keep",
                bootstrap=0,
            ).fit()
            fits = security_garch(res)
            ok = fits["converged"] & ~fits["at_floor"] & np.isfinite(fits["delta_t"])
            usable.append(float((ok & np.isfinite(fits["variance_change"])).mean()))
            table = cohort_garch(res, fits)
            groups = table["group"] != "all"  # per-group rows when there are groups
            frames.append(table[groups] if groups.any() else table)
        table = pd.concat(frames, ignore_index=True)
        row = {"variance": f"x{m:g}", "trials": len(table), "usable_fits": np.mean(usable)}
        for name in ("garch_cs_t", "garch_z"):
            p = table[f"{name}_p"].to_numpy(float)
            p = p[np.isfinite(p)]
            row[name] = round(float(np.mean(p < 0.05)), 3) if len(p) else np.nan
        row["usable_fits"] = round(float(row["usable_fits"]), 3)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1968)
    parser.add_argument("--garch-trials", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    evidence = ROOT / "research" / "stats" / "volatility_evidence.json"
    parser.add_argument("--evidence", type=Path, default=evidence)
    args = parser.parse_args(argv)

    from research.analyses.simulation import (
        draw_common_dates,
        draw_pseudo_events,
        market_model_sd,
    )
    from research.data.inputs import build_inputs
    from research.data.universe import group_tickers, load_universe

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = build_inputs(hk, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
    returns, bench = panel.returns, panel.benchmarks
    market = bench["^HSI"]
    sigma = market_model_sd(returns.where(~panel.exclude), market)
    rng = np.random.default_rng(args.seed)
    rows = []
    scattered = draw_pseudo_events(returns, args.trials, 20, (-1, 1), (-250, -11), 200, rng, market)
    # trials one study each batch: firm-events of one trial never share a window with
    # another's shock (scattered: one batch per 50 trials is enough, as draws rarely meet)
    trial = scattered["event"].str.slice(5).astype(int)
    scattered["batch"] = trial // 50
    rows += [
        {"dates": "scattered", "group": "20 HK stocks", **r}
        for r in rates(returns, bench, scattered, sigma, args.seed, panel.exclude)
    ]
    for g in GROUPS:
        members = [t for t in group_tickers(g, universe) if t in returns]
        events = draw_common_dates(
            returns, members, args.trials, (-1, 1), (-250, -11), 120, rng, market
        )
        rows += [
            {"dates": "clustered", "group": g, **r}
            for r in rates(returns, bench, events, sigma, args.seed, panel.exclude)
        ]
    table = pd.DataFrame(rows)
    # the GARCH fits are per firm-event and slower: fewer, smaller trials
    g_rows = []
    few = draw_pseudo_events(returns, args.garch_trials, 10, (-1, 1), (-250, -11), 200, rng, market)
    few["batch"] = few["event"].str.slice(5).astype(int) // 50
    g_rows += [
        {"dates": "scattered", "group": "10 HK stocks", **r}
        for r in garch_rates(returns, bench, few, sigma, args.seed, panel.exclude)
    ]
    members = [t for t in group_tickers("hk-developer", universe) if t in returns]
    common = draw_common_dates(
        returns, members, args.garch_trials, (-1, 1), (-250, -11), 120, rng, market
    )
    g_rows += [
        {"dates": "clustered", "group": "hk-developer", **r}
        for r in garch_rates(returns, bench, common, sigma, args.seed, panel.exclude)
    ]
    garch = pd.DataFrame(g_rows)
    args.out.mkdir(parents=True, exist_ok=True)
    garch.to_csv(args.out / "garch_size.csv", index=False, lineterminator="\n")
    table.to_csv(args.out / "volatility_size.csv", index=False, lineterminator="\n")
    size = table[table["variance"] == "x1"]
    worst = {
        dates: {t: float(part[t].max()) for t in ("var_cs_t", "var_time_z", "var_rank")}
        for dates, part in size.groupby("dates")
    }
    g_size = garch[garch["variance"] == "x1"]
    doc = {
        "source": "python scripts/volatility_size.py (docs/validation.md, section 7)",
        "trials": args.trials,
        "worst_size": worst,
        "garch_trials": args.garch_trials,
        "garch_size": {
            dates: {t: float(part[t].max()) for t in ("garch_cs_t", "garch_z")}
            for dates, part in g_size.groupby("dates")
        },
        "garch_usable_fits": float(garch["usable_fits"].min()),
    }
    args.evidence.write_text(json.dumps(doc, indent=1) + "\n")
    pd.set_option("display.width", 200)
    print(table.to_string(index=False))
    print(garch.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

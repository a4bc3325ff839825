"""Size and power of the test battery under the GARCH market model for returns
(``--model garch-market``), beside the plain market model, on the real Hong Kong data.

    python scripts/garch_market_size.py                  # docs/results/garch_market_size.csv
    python scripts/garch_market_size.py --trials 50 --out /tmp/x   # a quick look

Reads the price store (``EVENTSTUDY_DATA_DIR``).  Scattered dates: 20 Hong Kong stocks each
on its own random day 0 (2012-2025; research.analyses.simulation.size_power); clustered
dates: every stock of a property group on one random common day 0 (clustered_size_power).
Rejection rates at 5% (two-sided) with no abnormal return and with -1% on day 0;
docs/validation.md (section 8) quotes them, written by ``scripts/size_power.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TESTS = ("kp_cross_sectional_t", "corrado_rank_z", "permutation", "bmp_t", "patell_z")
GROUPS = ("hk-developer", "mainland-developer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2006)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    args = parser.parse_args(argv)

    from research.analyses.simulation import clustered_size_power, size_power
    from research.data.inputs import build_inputs
    from research.data.universe import group_tickers, load_universe

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = build_inputs(hk, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
    returns, market = panel.returns, panel.benchmarks["^HSI"]
    rows = []
    for model in ("market", "garch-market"):
        sp = size_power(
            returns,
            market,
            n_trials=args.trials,
            n_secs=20,
            shocks=(0.0, -0.01),
            seed=args.seed,
            exclude=panel.exclude,
            model=model,
        ).to_frame()
        for (level, test), r in sp.iterrows():
            if test in TESTS and level == "day 0":
                rows.append(
                    {
                        "model": model,
                        "dates": "scattered",
                        "group": "20 HK stocks",
                        "test": test,
                        "size": r["shock +0%"],
                        "power -1%": r["shock -1%"],
                    }
                )
        groups = {g: [t for t in group_tickers(g, universe) if t in returns] for g in GROUPS}
        sigma = returns.std()
        cl = clustered_size_power(
            returns,
            market,
            groups,
            sigma,
            n_trials=args.trials,
            seed=args.seed,
            exclude=panel.exclude,
            bootstrap=0,
            model=model,
            scenarios={"size": (0.0, False), "power -1%": (-0.01, False)},
        ).rates.reset_index()
        cl = cl[(cl["level"] == "day 0") & cl["test"].isin(TESTS)]
        for (g, test), part in cl.groupby(["group", "test"]):
            size = part.loc[part["scenario"] == "size", "reject_5"]
            power = part.loc[part["scenario"] == "power -1%", "reject_5"]
            rows.append(
                {
                    "model": model,
                    "dates": "clustered",
                    "group": g,
                    "test": test,
                    "size": float(size.iat[0]),
                    "power -1%": float(power.iat[0]),
                }
            )
    table = pd.DataFrame(rows)
    table["trials"] = args.trials
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "garch_market_size.csv", index=False, lineterminator="\n")
    pd.set_option("display.width", 200)
    print(
        table.pivot_table(
            index=["dates", "group", "test"], columns="model", values=["size", "power -1%"]
        )
        .round(3)
        .to_string()
    )

    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Size and power of the abnormal-volume tests on the real Hong Kong data, and the evidence
that chooses the headline tests of volume studies.

    python scripts/volume_size.py                       # docs/results/volume_size*.csv and
                                                        # research/stats/volume_evidence.json
    python scripts/volume_size.py --trials 100 --clustered-trials 50 \\
        --out /tmp/x --evidence /tmp/x/volume_evidence.json     # a quick look (CI runs this)

Reads the price store (``EVENTSTUDY_DATA_DIR``; import ``../shared/data/market`` first).
The measure is log volume (a day without trading has none), the model the mean-adjusted
one (Campbell & Wasley 1996): each stock's mean log volume over its estimation window.
Scattered dates: pseudo-events among the Hong Kong stocks of the universe, 2012-2025, each
on its own random day (Brown & Warner 1985). Clustered dates: every stock of a property
group on one random common day, the package's own setting.  A test leads a volume study
when its 5% size stayed within 3%-7% at day 0 and over CAR(-1,1) in every setting of its
kind.  docs/validation.md (section 6) quotes the tables; ``scripts/size_power.py`` writes
that page.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BAND = (0.03, 0.07)
GROUPS = ("reit", "hk-developer", "mainland-developer", "property")
SHOCKS = (0.0, 0.25, 0.5)  # log volume: +28% and +65% volume on day 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--clustered-trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1996)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    evidence = ROOT / "research" / "stats" / "volume_evidence.json"
    parser.add_argument("--evidence", type=Path, default=evidence)
    args = parser.parse_args(argv)

    from research.analyses.simulation import clustered_size_power, size_power
    from research.data.store import PriceStore
    from research.data.universe import group_tickers, load_universe
    from research.data.volume import MARKET_VOLUME, volume_inputs
    from research.stats.inference import TEST_NAMES

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = volume_inputs(hk, "HKEX", PriceStore(), universe)
    span = (panel.returns.index >= "2012-01-01") & (panel.returns.index <= "2025-10-30")
    logs = panel.returns.loc[span]
    market = panel.benchmarks[MARKET_VOLUME].loc[span]

    scattered = size_power(
        logs,
        market,
        n_trials=args.trials,
        n_secs=20,
        shocks=SHOCKS,
        model="constant-mean",
        seed=args.seed,
        min_obs=200,
        measure="volume",
    ).to_frame()
    prop = [t for t in group_tickers("property", universe) if t in logs]
    groups = {g: [t for t in group_tickers(g, universe) if t in logs] for g in GROUPS}
    sigma = logs[prop].std()
    clustered = clustered_size_power(
        logs[prop],
        market,
        groups,
        sigma,
        n_trials=args.clustered_trials,
        seed=args.seed,
        bootstrap=0,
        model="constant-mean",
        measure="volume",
        scenarios={"size": (0.0, False), "power +0.25": (0.25, False), "power +0.5": (0.5, False)},
    )
    args.out.mkdir(parents=True, exist_ok=True)
    scattered.reset_index().to_csv(args.out / "volume_size.csv", index=False, lineterminator="\n")
    rates = clustered.rates.reset_index()
    rates.to_csv(args.out / "volume_size_clustered.csv", index=False, lineterminator="\n")

    size_col = scattered.columns[0]
    held_scattered = [
        t
        for t in TEST_NAMES
        if all(
            BAND[0] <= scattered.loc[(lv, t), size_col] <= BAND[1]
            for lv in scattered.index.get_level_values(0).unique()
            if (lv, t) in scattered.index
        )
    ]
    size = rates[(rates["scenario"] == "size") & rates["level"].isin(["day 0", "CAR(-1,1)"])]
    worst = size.groupby("test")["reject_5"].max()
    held_clustered = [t for t in TEST_NAMES if t in worst and BAND[0] <= worst[t] <= BAND[1]]
    doc = {
        "source": "python scripts/volume_size.py (docs/validation.md, section 6)",
        "band": list(BAND),
        "scattered_headline": [
            t
            for t in ("corrado_rank_z", "generalized_sign_z", "bmp_t", "permutation")
            if t in held_scattered
        ]
        or ["corrado_rank_z", "permutation"],
        "clustered_headline": [
            t
            for t in ("kp_cross_sectional_t", "corrado_rank_z", "permutation")
            if t in held_clustered
        ]
        or ["corrado_rank_z", "permutation"],
        "worst_size": {t: round(float(v), 3) for t, v in worst.items()},
        "worst_size_scattered": {
            t: round(float(scattered[size_col].xs(t, level="test").max()), 3) for t in TEST_NAMES
        },
        "trials": {"scattered": args.trials, "clustered": args.clustered_trials},
    }
    args.evidence.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc, indent=1))
    print(scattered.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

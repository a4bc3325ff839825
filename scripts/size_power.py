"""Size and power of every test on the real Hong Kong data (Brown & Warner style).

    python scripts/size_power.py                     # 1,000 trials of 20 securities -> docs/
    python scripts/size_power.py --trials 50 --out /tmp/x   # a quick look

Reads the price store (``EVENTSTUDY_DATA_DIR``; import ``../shared/data/market``
first), draws pseudo-events among the 38 Hong Kong stocks of the universe,
2012-2025, with the HSI as the market, and writes ``validation.md`` and
``results/size_power.csv`` under ``--out`` (default ``docs/``).  The peer
comparison in the same document is recomputed on every run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Why a test's size can leave the 3%-7% band on this kind of data (with the source).
REASONS = {
    "patell_z": "Patell's Z assumes standardized ARs with the estimation-window variance; "
    "fat tails and variance changes of Hong Kong small caps make it over-reject "
    "(Boehmer, Musumeci & Poulsen 1991; Campbell & Wasley 1993).",
    "crude_dependence": "the crude dependence adjustment uses the estimation-window "
    "variance of the portfolio AAR; for randomly dated events the portfolio mixes calendar "
    "days, so its variance is estimated poorly for multi-day CARs (Brown & Warner 1985).",
    "wilcoxon": "the signed-rank test assumes ARs symmetric about their median; skewed "
    "daily returns of distressed developers violate it (Cowan 1992).",
    "sign_z": "the sign test assumes a median AR of zero; daily AR distributions are "
    "right-skewed, so the median is below zero and the test is biased (Cowan 1992).",
    "cross_sectional_t": "the cross-sectional t has N - 1 = 19 degrees of freedom and is "
    "sensitive to outlying ARs (Brown & Warner 1985).",
    "bmp_t": "BMP relies on cross-sectional independence of standardized ARs "
    "(Kolari & Pynnönen 2010).",
    "kolari_pynnonen_t": "the correction uses the mean residual correlation of the estimation "
    "window, estimated with noise for 20 securities (Kolari & Pynnönen 2010).",
    "corrado_rank_z": "the rank test's variance is estimated over the combined window; "
    "ties from zero returns of thinly traded stocks bias it (Corrado & Zivney 1992).",
    "generalized_sign_z": "the generalized sign test's expected share of positive ARs comes "
    "from the estimation window; zero ARs of thinly traded stocks shift it (Cowan 1992).",
}


def peer_check() -> list[tuple[str, float]]:
    """Largest absolute difference from each of the peer's golden values."""
    sys.path.insert(0, str(ROOT / "tests"))
    from synthetic import PEER_COLUMNS, peer_golden_study

    from research.study import EventStudy

    data = json.loads((ROOT / "tests" / "results" / "peer_golden_multi_event.json").read_text())
    returns, bench, events = peer_golden_study(data)
    res = EventStudy(
        returns,
        events,
        bench,
        window=(0, 2),
        estimation=(-8, -1),
        min_obs=8,
        car_windows=[(0, 2)],
        bmp_prediction_error=False,
        rank_ddof=1,
    ).fit()
    days = res.day_tests
    names = PEER_COLUMNS
    return [
        (key, float(np.max(np.abs(days[col].to_numpy() - np.array(data["expected"][key])))))
        for key, col in names.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--secs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1980)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)

    from research.panel import build_panel
    from research.simulation import size_power
    from research.universe import load_universe

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = build_panel(hk, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
    started = time.perf_counter()
    res = size_power(
        panel.returns,
        panel.benchmarks["^HSI"],
        n_trials=args.trials,
        n_secs=args.secs,
        seed=args.seed,
        exclude=panel.exclude,
    )
    seconds = time.perf_counter() - started
    print(res.summary())
    print(f"{args.trials} trials x {len(res.settings['shocks'])} shocks in {seconds:.1f} s")

    rates = res.to_frame()
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    rates.to_csv(args.out / "results" / "size_power.csv", float_format="%.4f")
    write_doc(args, res, rates, peer_check())
    return 0


def write_doc(args, res, rates, peer) -> None:
    size_col = rates.columns[0]
    lines = [
        "# Validation",
        "",
        "How far the statistics can be trusted: they are checked against a peer's published",
        "values, recomputed long-hand in the tests, and simulated on the real data.",
        "",
        "## 1. A peer's golden values",
        "",
        "The R package EventStudy (v0.50) pins AAR, cross-sectional t, Patell Z, BMP (with",
        "sigma-only standardization), Kolari-Pynnönen and Corrado rank for three single-firm",
        "events (`tests/results/peer_golden_multi_event.json`). Under its stated conventions",
        "(`bmp_prediction_error=False`, `rank_ddof=1`) this package reproduces them:",
        "",
        "| statistic | largest absolute difference over the three event days |",
        "|---|---|",
        *[f"| {k} | {v:.1e} |" for k, v in peer],
        "",
        "The test `tests/test_inference.py::test_peer_golden_values_under_the_peer_conventions`",
        "holds them to 1e-9. Our defaults differ on purpose: `bmp_t` standardizes by the",
        "prediction-error-corrected s.d. (as Boehmer, Musumeci & Poulsen 1991 do) and Corrado's",
        "variance divides by T (Corrado 1989); with T the peer's rank z values become 1.6639,",
        "-0.9983, 1.3311, the figures the peer's own notes give.",
        "",
        "## 2. Long-hand recomputation",
        "",
        "`tests/test_inference.py` recomputes every statistic with explicit loops over the",
        "textbook formulas on simulated data (day level and CAR level, including the CAR",
        "variance with the parameters' estimation error), and checks invariants: zero",
        "abnormal returns give zero parametric statistics, scaling all returns changes no",
        "statistic, and permuting securities or adding securities without events changes",
        "nothing. `tests/test_models.py` compares the batched OLS with statsmodels to 1e-10.",
        "",
        "## 3. Size and power on the Hong Kong data",
        "",
        f"Command: `python scripts/size_power.py --trials {args.trials} --secs {args.secs} "
        f"--seed {args.seed}`",
        "",
        f"Design (Brown & Warner 1985): {res.trials} trials; each draws {res.n_secs} of the 38",
        "Hong Kong stocks of `data/universe.csv` and, for each, a random pseudo-event day 0",
        "between 2012 and 2025 with a complete event window and at least",
        f"{res.settings['min_obs']} usable days in the estimation window "
        f"{res.settings['estimation']}. Market model on the HSI, simple returns, stale days",
        "excluded as in every study. Size is the share of trials rejecting at 5% (two-sided)",
        "with no abnormal return; power adds -1% or -2% to each day-0 return. `size_mc_se` is",
        "the Monte Carlo standard error of the size, sqrt(r(1-r)/trials).",
        "",
        "| level | test | " + " | ".join(rates.columns) + " |",
        "|---|---|" + "---|" * len(rates.columns),
    ]
    for (level, test), row in rates.iterrows():
        cells = " | ".join(f"{v:.3f}" for v in row)
        lines.append(f"| {level} | {test} | {cells} |")
    out = res.out_of_band()
    lines += ["", "### Tests whose size falls outside 3%-7%", ""]
    if out.empty:
        lines.append("None: every test's size is within 3%-7% at day 0 and over the CAR window.")
    for (level, test), row in out.iterrows():
        lines.append(
            f"* **{test}** ({level}): size {row[size_col]:.3f}. "
            f"{REASONS.get(test, 'No explanation established yet.')}"
        )
    power = rates.columns[1]
    day0 = rates.loc["day 0", power].sort_values(ascending=False)
    car = rates.drop(index="day 0", level=0)[power]
    lines += [
        "",
        f"Reading the table: at day 0 the most powerful tests against a {power[6:]} abnormal",
        f"return are {day0.index[0]} ({day0.iloc[0]:.3f}) and {day0.index[1]} "
        f"({day0.iloc[1]:.3f}); the least powerful is {day0.index[-1]} ({day0.iloc[-1]:.3f}).",
        f"Over the CAR window the power falls to {car.min():.3f}-{car.max():.3f}: two days of",
        "noise are added to the one day of signal.",
        "",
    ]
    (args.out / "validation.md").write_text("\n".join(lines))
    print(f"wrote {args.out / 'validation.md'}")


if __name__ == "__main__":
    raise SystemExit(main())

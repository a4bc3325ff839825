"""Size, power and interval coverage of every test on the real Hong Kong data.

    python scripts/size_power.py            # scattered and clustered dates -> docs/ and
                                            # research/stats/size_evidence.json
    python scripts/size_power.py --trials 50 --clustered-trials 50 \
        --out /tmp/x --evidence /tmp/x/evidence.json        # a quick look (what CI runs)

Reads the price store (``EVENTSTUDY_DATA_DIR``; import ``../shared/data/market``
first).  Scattered dates (Brown & Warner 1985): pseudo-events among the 38 Hong Kong
stocks of the universe, 2012-2025, each on its own random day.  Clustered dates: every
stock of a group on one random common day (the package's own setting), for the REITs,
the HK developers, the mainland developers, all property stocks and the thinly traded
ones.  Market model on the HSI.  Writes ``validation.md`` and ``results/*.csv`` under
``--out`` (default ``docs/``) and the evidence that chooses the headline tests of
clustered studies (``--evidence``, default ``research/stats/size_evidence.json``).  The peer
comparison in the same document is recomputed on every run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

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
    "skewness_corrected_t": "the correction terms use the sample skewness of 20 fat-tailed "
    "ARs, itself very noisy at that size, and Hall's (1992) expansion is derived for "
    "moderate skewness; the correction overshoots (likely cause, not established).",
    "grank_t": "the event window is collapsed into one CAR standardized with the "
    "estimation-window variance; volatility clustering of Hong Kong small caps makes a "
    "3-day CAR's standardized value heavier-tailed than the daily estimation residuals it "
    "is ranked among, and the cross-sectional re-standardization of Kolari & Pynnönen "
    "(2011) absorbs only a variance change shared by all firms (likely cause).",
    "grank_z": "as grank_t: the collapsed CAR is heavier-tailed than the daily residuals it "
    "is ranked among (likely cause).",
}


def peer_check() -> list[tuple[str, float]]:
    """Largest absolute difference from each of the peer's golden values."""
    sys.path.insert(0, str(ROOT / "tests"))
    from synthetic import PEER_COLUMNS, peer_golden_study

    from research.estimation.study import EventStudy

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
    parser.add_argument("--clustered-trials", type=int, default=1000)
    parser.add_argument("--clustered-seed", type=int, default=2023)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--evidence", type=Path, default=ROOT / "research" / "stats" / "size_evidence.json"
    )
    args = parser.parse_args(argv)

    from research.analyses.simulation import size_power
    from research.data.inputs import build_inputs
    from research.data.universe import load_universe

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = build_inputs(hk, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
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

    started = time.perf_counter()
    clustered, thin = run_clustered(args, universe)
    print(
        f"clustered dates: {args.clustered_trials} trials per group in "
        f"{time.perf_counter() - started:.1f} s"
    )
    clustered.rates.to_csv(args.out / "results" / "size_power_clustered.csv", float_format="%.4f")
    clustered.coverage.to_csv(args.out / "results" / "coverage_clustered.csv", float_format="%.4f")
    if clustered.power is not None:
        clustered.power.to_csv(
            args.out / "results" / "mde_power_clustered.csv", float_format="%.4f"
        )
    # the smallest cohort a trial can have: three quarters of the smallest group (at least
    # two), as research.analyses.simulation.draw_common_dates requires
    smallest = min(len(m) for m in clustered.groups.values())
    evidence = headline_evidence(clustered.rates, max(2, math.ceil(0.75 * smallest)))
    args.evidence.parent.mkdir(parents=True, exist_ok=True)
    args.evidence.write_text(json.dumps(evidence, indent=1) + "\n")
    print(f"headline tests for clustered studies: {', '.join(evidence['headline'])}")
    write_doc(args, res, rates, peer_check(), clustered, thin, evidence)
    return 0


# Groups of the clustered-date simulation, and the zero-return share that makes a
# property stock "thinly traded" (over the simulation span).
CLUSTER_GROUPS = ("reit", "hk-developer", "mainland-developer", "property")
THIN_SHARE = 0.10
# The band a headline test's 5% size must stay in, at day 0 and over CAR(-1,1), in every
# group (the criterion of the clustered-inference work); candidates in the order shown.
BAND = (0.03, 0.07)
HEADLINE_LEVELS = ("day 0", "CAR(-1,1)")
PREFERENCE = (
    "kolari_pynnonen_t",
    # the interval of the CAAR inverts this one: when it holds its size, the headline
    # test and the interval agree by construction
    "kp_cross_sectional_t",
    "corrado_rank_z",
    "permutation",
    "adjusted_rank_z",
    "adjusted_patell_z",
    "grank_t",
    "crude_dependence",
)


def run_clustered(args, universe):
    """The clustered-date simulation on the property stocks."""

    from research.analyses.simulation import clustered_size_power, market_model_sd
    from research.data.inputs import build_inputs
    from research.data.universe import group_tickers

    prop = group_tickers("property", universe)
    panel = build_inputs(prop, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
    returns, market = panel.returns, panel.benchmarks["^HSI"]
    clean = returns.where(~panel.exclude)
    zero = ((clean == 0) & clean.notna()).sum() / clean.notna().sum()
    thin = sorted(zero.index[zero >= THIN_SHARE])
    groups = {g: group_tickers(g, universe) for g in CLUSTER_GROUPS}
    groups[f"thin (>= {THIN_SHARE:.0%} zero returns)"] = thin
    # each stock's market-model residual s.d. over the whole span: the scale of the
    # event-induced variance scenarios
    sigma = market_model_sd(clean, market)
    common = {"n_trials": args.clustered_trials, "seed": args.clustered_seed}
    res = clustered_size_power(returns, market, groups, sigma, exclude=panel.exclude, **common)
    # the detectable rise (mde_80_up) checked as the fall is: trials of their own (the
    # bootstrap off, the draws after the first group's dates differ) with positive
    # shocks, their power predicted and simulated (section 4.5a)
    rises = clustered_size_power(
        returns,
        market,
        groups,
        sigma,
        exclude=panel.exclude,
        bootstrap=0,
        scenarios={"power +1%": (0.01, False), "power +2%": (0.02, False)},
        **common,
    )
    if res.power is not None and rises.power is not None:
        res.power = pd.concat([res.power, rises.power])
    return res, {t: float(zero[t]) for t in thin}


def headline_evidence(rates, min_n: int) -> dict:
    """The tests that held size in every group (``headline``), each test's largest 5% size
    over the groups and levels without event-induced variance (``worst_size``), and the
    smallest cohort of the trials (``min_n``), below which no cross-sectional test leads."""
    size = rates.xs("size", level="scenario")["reject_5"]
    at = size[size.index.get_level_values("level").isin(HEADLINE_LEVELS)]
    low, high = at.groupby("test").min(), at.groupby("test").max()
    held = [t for t in PREFERENCE if BAND[0] <= low[t] and high[t] <= BAND[1]]
    worst = size.groupby("test").max()
    return {
        "source": "python scripts/size_power.py (docs/validation.md, section 4)",
        "band": list(BAND),
        "levels": list(HEADLINE_LEVELS),
        "headline": held,
        "worst_size": {t: round(float(v), 4) for t, v in worst.items()},
        "min_n": int(min_n),
    }


def write_doc(args, res, rates, peer, clustered, thin, evidence) -> None:
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
        "## 3. Size and power with scattered dates",
        "",
        "Each firm-event on its own random date: the textbook design, where firm-events are",
        "independent. It is *not* this package's usual setting (many stocks of one sector",
        "reacting to one date): for that, see section 4, where most of these tests fail.",
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
    lines += clustered_section(args, clustered, thin, evidence)
    lines += thin_trading_section()
    lines += volume_section()
    lines += volatility_section()
    lines += garch_market_section()
    (args.out / "validation.md").write_text("\n".join(lines))
    print(f"wrote {args.out / 'validation.md'}")


def md_table(frame, fmt="{:.3f}") -> list[str]:
    """A markdown table of a frame (index as the first column(s))."""
    frame = frame.reset_index()
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(fmt.format(v) if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return [head, rule, *body]


def clustered_section(args, res, thin, evidence) -> list[str]:
    """Section 4 of validation.md: clustered dates."""
    import pandas as pd

    rates, cov = res.rates, res.coverage
    groups = list(res.groups)
    sizes = {g: len(m) for g, m in res.groups.items()}
    order = [t for t in rates.index.get_level_values("test").unique()]
    levels = ["day 0", "CAR(-1,1)", "CAR(0,1)"]

    def pivot(scenario, column="reject_5", tests=None):
        x = rates.xs(scenario, level="scenario")[column].unstack(["group", "level"])
        x = x.reindex(index=tests or order)
        x.columns = [f"{g} {lv}" for g, lv in x.columns]
        return x

    def by_level(scenario, level, column="reject_5"):
        x = rates.xs((scenario, level), level=("scenario", "level"))[column].unstack("group")
        return x.reindex(index=order, columns=groups)

    head = evidence["headline"]
    se = rates.xs("size", level="scenario")["mc_se_5"].max()
    lines = [
        "",
        "## 4. Size, power and intervals with clustered dates",
        "",
        f"Command: `python scripts/size_power.py --clustered-trials {args.clustered_trials} "
        f"--clustered-seed {args.clustered_seed}` (also writes "
        "`results/size_power_clustered.csv`, `results/coverage_clustered.csv` and the",
        "evidence file `research/stats/size_evidence.json` the package reads).",
        "",
        "The package's setting: every stock of one group reacts to one announcement, so all",
        f"firm-events of a cohort share day 0. Each of {args.clustered_trials} trials per group "
        "draws one random",
        "session (2012-2025, without replacement) on which at least three quarters of the group's",
        "stocks have a complete event window and 120 usable estimation days, and puts every such",
        "stock's day 0 there. Market model on the HSI, estimation (-250, -11), window (-1, 1).",
        "Trials run in batches whose sessions are at least 253 sessions apart, so a shock added",
        "in one trial never enters another trial's estimation or event window. Groups (members):",
        "",
        *[f"* {g}: {sizes[g]} stocks" for g in groups],
        "",
        "Thinly traded: the property stocks with at least "
        f"{THIN_SHARE:.0%} zero-return days 2012-2025 ("
        + ", ".join(f"{t} {v:.0%}" for t, v in thin.items())
        + ").",
        "",
        "Scenarios: *size*, no abnormal return; *power -1%* and *-2%*, added to every member's",
        "day-0 return; *eiv size* and *eiv power -1%*, event-induced variance: each member's",
        "day-0 shock drawn from N(mu, sigma_i^2), sigma_i its market-model residual s.d.",
        f"The Monte Carlo s.e. of a 5% rate is at most {se:.3f} here "
        "(sqrt(r(1-r)/trials); every rate's s.e. is in the CSV).",
        "",
        "### 4.1 Size at 5% (two-sided), no abnormal return",
        "",
    ]
    for level in levels:
        lines += [f"**{level}**", "", *md_table(by_level("size", level)), ""]
    lines += [
        "Tests that assume independent firm-events (cross-sectional t, Patell, BMP, sign,",
        "generalized sign, Wilcoxon, skewness-corrected t, GRANK-Z) reject a true null in a",
        "third to a half of the trials for the developers: the common day-0 shock is counted",
        "as N independent pieces of evidence. With four REITs the Wilcoxon test cannot reject",
        "at 5% at all (its smallest two-sided p-value with n = 4 is 0.125).",
        "",
        "GRANK-T also over-rejects with common dates, though it ranks each event observation",
        "among the firm's own estimation days. An independent check traced the cause to the",
        "cross-sectional re-standardization of the event observation (Kolari & Pynnönen",
        "2011 divide each SCAR by the cross-sectional s.d. of the SCARs), not to heavy tails:",
        "with a shared day 0 the common shock moves every SCAR together, the cross-sectional",
        "s.d. no longer measures their variance, and the re-standardized observations all",
        "land in the same tail of their estimation-day ranks, while the test's variance",
        "`S_Ubar` assumes them independent.",
        "",
        "### 4.2 Levels 1% and 10%, and each tail of the 5% test",
        "",
        "Every test, every group, day 0 and CAR(-1,1): `reject_1`, `reject_10`, and the share",
        "of trials rejecting at 5% with a negative (`lower_5`) or positive (`upper_5`)",
        "statistic (2.5% each for a well-specified test). Headline tests and BMP shown;",
        "all tests are in the CSV.",
        "",
    ]
    shown = [*head, "bmp_t"]
    cols = ["reject_1", "reject_5", "reject_10", "lower_5", "upper_5"]
    part = rates.xs("size", level="scenario")[cols]
    part = part[part.index.get_level_values("test").isin(shown)]
    part = part[part.index.get_level_values("level").isin(["day 0", "CAR(-1,1)"])]
    lines += [*md_table(part), ""]
    lines += ["### 4.3 Power", ""]
    for scenario in ("power -1%", "power -2%"):
        for level in ("day 0", "CAR(-1,1)"):
            lines += [f"**{scenario}, {level}**", "", *md_table(by_level(scenario, level)), ""]
    lines += [
        "The tests that over-reject under the null also 'reject' most often here; their power",
        "is not comparable. Among the tests that hold size, compare the rows of section 4.1's",
        "headline tests.",
        "",
        "### 4.4 Event-induced variance",
        "",
    ]
    for scenario in ("eiv size", "eiv power -1%"):
        for level in ("day 0", "CAR(-1,1)"):
            lines += [f"**{scenario}, {level}**", "", *md_table(by_level(scenario, level)), ""]
    lines += [
        "A day-0 variance twice the usual (shock s.d. = sigma_i) makes the tests that take",
        "their variance from the estimation window (Patell, adjusted Patell, crude dependence,",
        "permutation) over-reject, most for the REITs, and the cross-sectional ones",
        "(Kolari-Pynnönen, GRANK-T) conservative: they read the event-day dispersion.",
        "",
        "### 4.5 Coverage of the 95% CAAR interval",
        "",
        "Share of trials whose interval covers the true CAAR (0, or the shock's mean):",
        "`dependence_adjusted` (the default for clustered cohorts: the cross-sectional",
        "interval widened by Kolari & Pynnönen's factor sqrt((1 + (N-1) r)/(1 - r)), the",
        "interval that inverts the Kolari-Pynnönen-adjusted cross-sectional t),",
        "`time_series` (inverting crude_dependence: the estimation-window s.d. of the",
        "cohort's AAR), and `firm_bootstrap` (resampling firm-events, which assumes them",
        "independent; 200 replications).",
        "",
    ]
    c = cov[["dependence_adjusted", "time_series", "firm_bootstrap"]]
    c = c[c.index.get_level_values("scenario").isin(["size", "eiv size"])]
    c = c.unstack("scenario")
    c.columns = [f"{m} ({sc})" for m, sc in c.columns]
    c = c.reindex(
        columns=[
            f"{m} ({sc})"
            for sc in ("size", "eiv size")
            for m in ("dependence_adjusted", "time_series", "firm_bootstrap")
        ]
    )
    lines += [
        "An interval moves with the CAAR, so the power scenarios give the same coverage as",
        "the size scenarios (they are in the CSV).",
        "",
        *md_table(c.reindex(pd.MultiIndex.from_product([groups, levels]))),
        "",
    ]
    worst = cov.xs("size", level="scenario")["dependence_adjusted"].min()
    worst_ts = cov.xs("size", level="scenario")["time_series"].min()
    lines += [
        f"Without event-induced variance the default covers at least {worst:.1%} in every "
        f"group and window (the time-series interval {worst_ts:.1%}; the firm bootstrap",
        "about half). It is the interval in `caar_ci_low`/`caar_ci_high` with `ci_method`",
        "`kp_cross_sectional_t` (the test it inverts), and the band of every CAAR figure.",
        "",
    ]
    if res.power is not None:
        pw = res.power
        se = pw["mc_se"].clip(lower=1e-9)
        gap = (pw["predicted"] - pw["simulated"]).abs() / se
        normal_gap = (pw["normal_theory"] - pw["simulated"]).abs() / se
        lines += [
            "### 4.5a The minimum detectable CAAR against the simulation",
            "",
            "Each trial's study reports `mde_80`, the smallest CAAR its `kp_cross_sectional_t`",
            "detects with 80% power at 5%, from its own cohort's ordinary days: the test run on",
            "every stretch of the estimation window with each abnormal return shifted",
            "(docs/methodology.md). The same days give each trial's power against the shock it",
            "received; `predicted` is its mean over the trials, `simulated` the share that",
            "rejected (`results/mde_power_clustered.csv`), for falls (`mde_80_down`) and, in",
            "trials of their own, rises (`mde_80_up`). The largest gap is "
            f"{gap.max():.1f} Monte Carlo s.e.; {int((gap <= 2).sum())} of {len(gap)} rows are "
            f"within 2 s.e. and {int((gap <= 3).sum())} within 3 (tests/test_mde.py holds "
            "every row within 3.5).",
            "",
            "`normal_theory` is the power of the formula for normal, equicorrelated returns "
            "with the estimation-window s.d. (`research.stats.intervals.minimum_detectable`; "
            "exact on its own assumptions, tests/test_mde.py). On these data the test rejected "
            f"more often than it predicts in {int((pw['simulated'] > pw['normal_theory']).sum())}"
            f" of {len(pw)} rows, by up to {normal_gap.max():.1f} s.e.: daily returns are "
            "heavy-tailed and their volatility clusters, so most days are calmer than the "
            "window's s.d. says, and the test, which reads each day's own dispersion, finds "
            "a shift more often. The ordinary days carry that; the formula does not, and "
            "`mde_80` no longer uses it.",
            "",
            *md_table(pw[["predicted", "simulated", "mc_se", "normal_theory"]]),
            "",
        ]
    lines += [
        "### 4.6 What the package shows by default",
        "",
        f"A study whose cohort's event windows overlap in calendar time leads with the tests "
        f"whose 5% size stayed within {BAND[0]:.0%}-{BAND[1]:.0%} at day 0 and over CAR(-1,1) "
        "in every group above:",
        "",
        *[f"* `{t}`" for t in head],
        "",
        "Every other test is still computed (`--tests all`, JSON, CSV) and carries, in every",
        "output, the largest 5% size it showed here (`test_notes` in JSON, the notes of the",
        "table). Studies of scattered dates lead with the classic set of section 3.",
        "",
    ]
    return lines


def thin_trading_section() -> list[str]:
    """Section 5 from ``docs/results/thin_trading_size.csv`` (scripts/thin_trading_size.py)."""
    import pandas as pd

    path = ROOT / "docs" / "results" / "thin_trading_size.csv"
    lines = ["", "## 5. Thin trading: the return after a gap excluded or trade-to-trade", ""]
    if not path.exists():
        return [*lines, "Run `python scripts/thin_trading_size.py` to fill this section.", ""]
    t = pd.read_csv(path)
    trials, secs, seed = (int(t[c].iat[0]) for c in ("trials", "secs", "seed"))
    tests = [c for c in t.columns if c.endswith(("_t", "_z"))]
    lines += [
        f"Regenerated by `python scripts/thin_trading_size.py` (seed {seed}), then this page.",
        f"{trials:,} trials of {secs} Hong Kong stocks, each with its own random day 0; real",
        "returns made thin by removing each stock's price on a random share p of sessions",
        "(after adding the shock to the day-0 return, so a missing day-0 price carries the",
        "shock into the next traded return). The same pseudo-events run with the return after",
        "a gap excluded (the default) and kept trade to trade (`--thin-trading",
        "trade-to-trade`, Maynes & Rumsey 1993). `mean n`: firm-events per trial with a",
        "statistic at that level. Rejection rates at 5% (two-sided):",
        "",
        "| p | shock | returns | level | mean n | " + " | ".join(tests) + " |",
        "|---|---|---|---|---|" + "---|" * len(tests),
    ]
    for r in t.to_dict("records"):
        cells = [f"{r['p']:g}", r["shock"], r["returns"], r["level"], f"{r['mean n']:.1f}"]
        cells += [f"{r[c]:.3f}" for c in tests]
        lines.append("| " + " | ".join(cells) + " |")
    size = t[t["shock"] == "+0%"]
    worst = size.loc[size["p"] > 0, tests].max()
    heavy = size[(size["p"] == size["p"].max()) & (size["level"] == "day 0")]
    gain = t[(t["shock"] != "+0%") & (t["p"] == t["p"].max()) & (t["level"] == "day 0")]
    lines += [
        "",
        "Reading: with p = 0 both are the same study. With thinning, the default loses the",
        "firm-events whose day 0 or the session before it did not trade, and at high p most",
        "firm-events altogether: a return needs two consecutive traded sessions, so only",
        "about (1 - p)² of the estimation returns survive, too few for the 120 usable days",
        f"required (mean n {heavy['mean n'].iat[0]:.1f} of {secs} at day 0 for p = "
        f"{size['p'].max():g}, against {heavy['mean n'].iat[1]:.1f} trade to trade). With "
        f"them goes power: a -1% day-0 shock is found by kp_cross_sectional_t in "
        f"{gain['kp_cross_sectional_t'].iat[0]:.1%} of trials against "
        f"{gain['kp_cross_sectional_t'].iat[1]:.1%}. The parametric tests stay near 5% "
        "either way (largest size with thinning: "
        + ", ".join(f"{c} {worst[c]:.1%}" for c in tests if c != "corrado_rank_z")
        + "). The rank test's CAR version does not: "
        f"up to {worst['corrado_rank_z']:.1%}. Its variance comes from estimation days "
        "averaging more firm-events than the event window's complete CARs, whose mean rank "
        "then varies more than that variance allows; with heavily thin-traded stocks, read "
        "`corrado_rank_z` over windows with care (a study's notes say when its window's "
        "firm-events fall short of its estimation days').",
        "",
    ]
    return lines


def volume_section() -> list[str]:
    """Section 6 from ``docs/results/volume_size*.csv`` (scripts/volume_size.py)."""
    import pandas as pd

    scattered_path = ROOT / "docs" / "results" / "volume_size.csv"
    clustered_path = ROOT / "docs" / "results" / "volume_size_clustered.csv"
    lines = ["", "## 6. Abnormal trading volume", ""]
    if not scattered_path.exists() or not clustered_path.exists():
        return [*lines, "Run `python scripts/volume_size.py` to fill this section.", ""]
    evidence = json.loads((ROOT / "research" / "stats" / "volume_evidence.json").read_text())
    sc = pd.read_csv(scattered_path)
    cl = pd.read_csv(clustered_path)
    shocks = [c for c in sc.columns if c.startswith("shock ")]
    lines += [
        "Regenerated by `python scripts/volume_size.py`, then this page. The measure is log",
        "volume (a day without trading has none), the model the mean-adjusted one (Campbell &",
        "Wasley 1996). Scattered dates: "
        f"{evidence['trials']['scattered']:,} trials of 20 Hong Kong stocks, each on its own",
        "random day 0; the shocks are added to the day-0 log volume (+0.25: 28% more volume,",
        "+0.5: 65%). Rejection rates at 5% (two-sided):",
        "",
        "| level | test | " + " | ".join(shocks) + " |",
        "|---|---|" + "---|" * len(shocks),
    ]
    for r in sc.to_dict("records"):
        cells = [f"{r[c]:.3f}" for c in shocks]
        lines.append(f"| {r['level']} | {r['test']} | " + " | ".join(cells) + " |")
    size = cl[(cl["scenario"] == "size") & cl["level"].isin(["day 0", "CAR(-1,1)"])]
    table = size.pivot_table(index="test", columns=["group", "level"], values="reject_5")
    groups = list(dict.fromkeys(size["group"]))
    lines += [
        "",
        f"Clustered dates ({evidence['trials']['clustered']:,} trials per group, every stock "
        "of a group on one random common day 0): size at 5%, day 0 / CAR(-1,1):",
        "",
        "| test | " + " | ".join(groups) + " |",
        "|---|" + "---|" * len(groups),
    ]
    for test in table.index:
        cells = [
            f"{table.at[test, (g, 'day 0')]:.3f} / {table.at[test, (g, 'CAR(-1,1)')]:.3f}"
            for g in groups
        ]
        lines.append(f"| {test} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reading: log volume is autocorrelated, so the tests that scale a window's sum by",
        "the estimation window's one-day variance (crude dependence, Patell, Corrado's rank",
        "and their adjusted forms) over-reject over CAR(-1,1) even with scattered dates",
        f"(up to {evidence['worst_size_scattered']['corrado_rank_z']:.1%} for the rank test);",
        "the cross-sectional tests, which take the window's spread across stocks, hold. With",
        "clustered dates the abnormal volumes are also cross-correlated, and only "
        + ", ".join(f"`{t}`" for t in evidence["clustered_headline"])
        + " held its size in every group. Volume studies therefore lead with "
        + ", ".join(f"`{t}`" for t in evidence["clustered_headline"])
        + " (clustered dates) or "
        + ", ".join(f"`{t}`" for t in evidence["scattered_headline"])
        + " (scattered dates), read from `research/stats/volume_evidence.json`; every other",
        "test carries the size it showed here in a study's notes.",
        "",
    ]
    return lines


def volatility_section() -> list[str]:
    """Section 7 from ``docs/results/volatility_size.csv`` (scripts/volatility_size.py)."""
    import pandas as pd

    path = ROOT / "docs" / "results" / "volatility_size.csv"
    lines = ["", "## 7. Volatility: variance ratios and their tests", ""]
    if not path.exists():
        return [*lines, "Run `python scripts/volatility_size.py` to fill this section.", ""]
    t = pd.read_csv(path)
    trials = int(t["trials"].max())
    lines += [
        "Regenerated by `python scripts/volatility_size.py`, then this page. Market model on",
        f"the HSI; up to {trials:,} trials per setting: 20 Hong Kong stocks each on its own",
        "random day 0 (scattered), or every stock of a property group on one random common",
        "day 0 (clustered). Each day-0 return gets an extra N(0, (m - 1) sigma_i^2), so its",
        "variance is m times the usual and its mean unchanged. Rejection rates at 5%",
        "(two-sided) of the cross-sectional t of the variance ratios (`var_cs_t`), the",
        "time-series z (`var_time_z`) and rank (`var_rank`) of the cohort's mean squared",
        "standardized abnormal return against the estimation days':",
        "",
        "| dates | group | variance | level | var_cs_t | var_time_z | var_rank |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in t.to_dict("records"):
        lines.append(
            f"| {r['dates']} | {r['group']} | {r['variance']} | {r['level']} | "
            f"{r['var_cs_t']:.3f} | {r['var_time_z']:.3f} | {r['var_rank']:.3f} |"
        )
    size = t[t["variance"] == "x1"]
    worst = size[["var_cs_t", "var_time_z", "var_rank"]].max()
    lines += [
        "",
        "Reading: the variance ratio is skewed (an F(1, d) variable under normality) and, with",
        "clustered dates, cross-correlated, so a cross-sectional t of the ratios rejects a "
        f"true null in up to {worst['var_cs_t']:.1%} of cohorts: it is computed (`--tests "
        "all`) but never leads. The time-series z and the rank keep the cross-correlation "
        f"better (largest sizes {worst['var_time_z']:.1%} and {worst['var_rank']:.1%}, "
        "both over the three-day window of the four REITs, the smallest cohort; near 5% "
        "elsewhere); they lead the volatility tables, and the "
        "notes quote these sizes (`research/stats/volatility_evidence.json`).",
        "",
    ]
    garch_path = ROOT / "docs" / "results" / "garch_size.csv"
    if garch_path.exists():
        g = pd.read_csv(garch_path)
        ev = json.loads((ROOT / "research" / "stats" / "volatility_evidence.json").read_text())
        lines += [
            "GARCH(1,1) market model with an event dummy in the mean and the variance (one per",
            "firm-event, maximum likelihood over its estimation and event windows; "
            f"{ev['garch_trials']} trials",
            "per setting, the fits being slow): rejection rates at 5% of the cross-sectional",
            "t of the variance changes (`garch_cs_t`) and of `sum(delta_t)/sqrt(N)`",
            "(`garch_z`), and the share of fits usable (converged, with a standard error for",
            "the dummy):",
            "",
            "| dates | group | variance | cohorts | usable fits | garch_cs_t | garch_z |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in g.to_dict("records"):
            lines.append(
                f"| {r['dates']} | {r['group']} | {r['variance']} | {r['trials']} | "
                f"{r['usable_fits']:.2f} | {r['garch_cs_t']:.3f} | {r['garch_z']:.3f} |"
            )
        size = g[g["variance"] == "x1"]
        power = g[g["variance"] != "x1"]
        lines += [
            "",
            "Reading: with a three-day event window the variance dummy is weakly identified:",
            f"only {g['usable_fits'].min():.0%}-{g['usable_fits'].max():.0%} of the fits are "
            "usable (the rest put the dummy at its bound, a 90% cut of the usual variance, or on",
            "the edge of positive variances, or fail to converge). With no change the z rejects "
            "in up to "
            f"{size['garch_z'].max():.1%} of cohorts (it also assumes independent firm-events),",
            f"the CS t in {size['garch_cs_t'].min():.1%}-{size['garch_cs_t'].max():.1%}; a "
            "fourfold day-0 variance is found by the CS t in "
            f"{power['garch_cs_t'].min():.1%}-{power['garch_cs_t'].max():.1%} of cohorts. The",
            "package reports the GARCH dummies in the volatility output with the count of usable",
            "fits and these sizes in the notes; the variance-ratio tests above lead.",
            "",
        ]
    return lines


def garch_market_section() -> list[str]:
    """Section 8 from ``docs/results/garch_market_size.csv`` (scripts/garch_market_size.py)."""
    import pandas as pd

    path = ROOT / "docs" / "results" / "garch_market_size.csv"
    lines = ["", "## 8. The GARCH market model for returns", ""]
    if not path.exists():
        return [*lines, "Run `python scripts/garch_market_size.py` to fill this section.", ""]
    t = pd.read_csv(path)
    lines += [
        "Regenerated by `python scripts/garch_market_size.py`, then this page. "
        f"{int(t['trials'].iat[0])} trials per",
        "setting; day-0 rejection rates at 5% (two-sided) of the headline and classic tests",
        "under `--model garch-market` (each day weighted by its GARCH(1,1) conditional",
        "variance, feasible GLS) beside the plain market model, with no abnormal return",
        "(size) and -1% on day 0 (power):",
        "",
        "| dates | group | test | size, market | size, GARCH | power, market | power, GARCH |",
        "|---|---|---|---|---|---|---|",
    ]
    wide = t.pivot_table(
        index=["dates", "group", "test"], columns="model", values=["size", "power -1%"]
    )
    for (dates, group, test), r in wide.iterrows():
        lines.append(
            f"| {dates} | {group} | {test} | {r[('size', 'market')]:.3f} | "
            f"{r[('size', 'garch-market')]:.3f} | {r[('power -1%', 'market')]:.3f} | "
            f"{r[('power -1%', 'garch-market')]:.3f} |"
        )
    size = t.pivot_table(index=["dates", "group", "test"], columns="model", values="size")
    shift = (size["garch-market"] - size["market"]).abs().max()
    power = t.pivot_table(index=["dates", "group", "test"], columns="model", values="power -1%")
    perm = power.loc[("scattered", "20 HK stocks", "permutation")]
    lines += [
        "",
        "Reading: weighting by the conditional variance changes a test's size by at most "
        f"{shift:.1%} here; it",
        "does not repair the tests that assume independent firm-events with clustered dates",
        "(their size stays far above 5%), and the headline tests keep theirs. Power barely",
        "moves, except the permutation test's, which falls (scattered dates: "
        f"{perm['market']:.1%} -> {perm['garch-market']:.1%}), likely because its",
        "calendar-time null mixes days the weights treat unequally. The market model stays",
        "the default; the GARCH model is there for stocks whose volatility clusters around",
        "their events.",
        "",
    ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())

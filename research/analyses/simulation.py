"""Size and power of the tests by simulation on real returns (Brown & Warner 1980, 1985).

Each trial draws ``n_secs`` securities and, for each, a random pseudo-event
day 0 on which it has a complete event window and enough estimation data.
With no induced abnormal return the share of trials in which a test rejects
at level ``alpha`` estimates its size; adding ``shock`` to every day-0 return
estimates its power against that abnormal return.  All trials of one shock
run as one :class:`research.estimation.study.EventStudy` (trial = event cohort), so the
simulation uses exactly the code users run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from research.estimation.study import EventStudy
from research.stats import intervals
from research.stats.inference import TEST_NAMES


@dataclass
class SizePowerResults:
    """Rejection rates per test, shock and level (day 0 or a CAR window)."""

    rates: pd.DataFrame
    trials: int
    n_secs: int
    alpha: float
    settings: dict

    def to_frame(self) -> pd.DataFrame:
        """One row per (level, test): rejection rate for every shock, plus the MC s.e. of size."""
        return self.rates.copy()

    def out_of_band(self, low: float = 0.03, high: float = 0.07) -> pd.DataFrame:
        """Tests whose size (shock 0) falls outside ``[low, high]``."""
        size = self.rates[self.rates.columns[self.rates.columns.str.startswith("shock ")][0]]
        return self.rates.loc[(size < low) | (size > high)]

    def summary(self) -> str:
        """The rejection rates as a text table."""
        from research.output.report import table

        shown = self.rates.reset_index()
        return table(
            shown,
            f"Rejection rates at {self.alpha:.0%} (two-sided), {self.trials} trials of "
            f"{self.n_secs} securities",
        )


def market_model_sd(returns: pd.DataFrame, market: pd.Series) -> pd.Series:
    """Each security's market-model residual s.d. over its whole span (OLS, ddof 2): the
    scale of the simulations' event-induced variance scenarios.
    """
    x = np.column_stack([np.ones(len(market)), market.to_numpy()])
    sigma = {}
    for t in returns:
        ok = (returns[t].notna() & market.notna()).to_numpy()
        coef = np.linalg.lstsq(x[ok], returns[t].to_numpy()[ok], rcond=None)[0]
        sigma[t] = float(np.std(returns[t].to_numpy()[ok] - x[ok] @ coef, ddof=2))
    return pd.Series(sigma)


def valid_event_days(
    returns: pd.DataFrame,
    window: tuple[int, int],
    estimation: tuple[int, int],
    min_obs: int,
    benchmark: pd.Series | pd.DataFrame | None = None,
) -> np.ndarray:
    """(sessions, securities) True where a day 0 has a return on every event-window day and
    on at least ``min_obs`` estimation days (and so has every benchmark column).
    """
    values = returns.to_numpy(dtype=float)
    ok = np.isfinite(values)
    if benchmark is not None:
        bench = benchmark.reindex(returns.index).to_numpy(dtype=float)
        ok &= np.isfinite(bench.reshape(len(returns), -1)).all(axis=1)[:, None]
    csum = np.vstack([np.zeros((1, ok.shape[1])), np.cumsum(ok, axis=0)])
    n = len(returns)
    e0, e1 = estimation
    w0, w1 = window
    pos = np.arange(n)
    lo, hi = pos + e0, pos + w1
    inside = (lo >= 0) & (hi < n)
    est_count = csum[np.clip(pos + e1 + 1, 0, n)] - csum[np.clip(lo, 0, n)]
    win_count = csum[np.clip(hi + 1, 0, n)] - csum[np.clip(pos + w0, 0, n)]
    return inside[:, None] & (est_count >= min_obs) & (win_count == w1 - w0 + 1)


def draw_pseudo_events(
    returns: pd.DataFrame,
    n_trials: int,
    n_secs: int,
    window: tuple[int, int],
    estimation: tuple[int, int],
    min_obs: int,
    rng: np.random.Generator,
    benchmark: pd.Series | pd.DataFrame | None = None,
    blocked: np.ndarray | None = None,
) -> pd.DataFrame:
    """Random (trial, security, day0) rows with a full window and ``min_obs`` estimation days.

    A day qualifies when the security (and every benchmark column) has a return on each
    event-window day and on at least ``min_obs`` estimation days, and ``blocked`` (one
    boolean per session) is False there.
    """
    valid = valid_event_days(returns, window, estimation, min_obs, benchmark)
    if blocked is not None:
        valid &= ~np.asarray(blocked, dtype=bool)[:, None]
    pairs = np.argwhere(valid)  # (day position, security column)
    if len(pairs) < n_secs:
        raise ValueError("too few valid security-days to draw pseudo-events from")
    securities = np.unique(pairs[:, 1])
    days_of = {c: pairs[pairs[:, 1] == c, 0] for c in securities}  # computed once
    trial_ids, cols_drawn, days_drawn = [], [], []
    # the same random calls, in the same order, as one would write them by hand:
    # rng.choice(securities, n_secs, replace=False), then rng.choice(days_of[c]) for each
    # security drawn; a day is drawn as rng.integers(0, n), which is what rng.choice of an
    # array does (and 4x faster), and choosing the only security draws nothing
    only = [securities[0]] if len(securities) == 1 == n_secs else None
    for trial in range(n_trials):
        for c in only or rng.choice(securities, size=n_secs, replace=False):
            days = days_of[c]
            trial_ids.append(trial)
            cols_drawn.append(c)
            days_drawn.append(days[rng.integers(0, len(days))])
    return pd.DataFrame(
        {
            "event": [f"trial{t:05d}" for t in trial_ids],
            "security": returns.columns[np.array(cols_drawn, dtype=int)],
            "day0": returns.index[np.array(days_drawn, dtype=int)],
        }
    )


def size_power(
    returns: pd.DataFrame,
    benchmark: pd.Series,
    n_trials: int = 1000,
    n_secs: int = 20,
    shocks: tuple[float, ...] = (0.0, -0.01, -0.02),
    window: tuple[int, int] = (-1, 1),
    estimation: tuple[int, int] = (-250, -11),
    min_obs: int = 200,
    alpha: float = 0.05,
    seed: int = 1980,
    exclude: pd.DataFrame | None = None,
    model: str = "market",
    measure: str = "returns",
) -> SizePowerResults:
    r"""Rejection rates of every test at day 0 and over the event window.

    Parameters
    ----------
    returns, benchmark
        Security returns and the market return on one session grid.
    shocks
        Abnormal returns added to each security's day-0 return; 0 measures size.

    Notes
    -----
    The Monte Carlo standard error of a rejection rate ``r`` over ``T`` trials
    is :math:`\sqrt{r(1-r)/T}` (about 0.7 percentage points for r = 5%,
    T = 1,000); the table reports it for the size column.
    """
    rng = np.random.default_rng(seed)
    events = draw_pseudo_events(
        returns, n_trials, n_secs, window, estimation, min_obs, rng, benchmark
    )
    rel = {}
    for shock in shocks:
        shocked = returns.copy()
        if shock:
            arr = shocked.to_numpy(copy=True)
            rows = shocked.index.get_indexer(events["day0"])
            cols = shocked.columns.get_indexer(events["security"])
            np.add.at(arr, (rows, cols), shock)  # a security drawn twice on one day gets it twice
            shocked = pd.DataFrame(arr, index=returns.index, columns=returns.columns)
        res = EventStudy(
            shocked,
            events,
            benchmark.to_frame(),
            model=model,
            window=window,
            estimation=estimation,
            car_windows=[window, (0, 0)],
            min_obs=min_obs,
            exclude=exclude,
            bootstrap=0,
            other_events="keep",
            measure=measure,
        ).fit()
        day = res.day_tests
        day0 = day[day["day"] == 0]
        win = res.window_tests
        car = win[win["window"] == f"({window[0]},{window[1]})"]
        for level, frame in (("day 0", day0), (f"CAR{window}", car)):
            for name in TEST_NAMES:
                p = frame[f"{name}_p"].to_numpy()
                rel[(level, name, shock)] = float(np.mean(p[np.isfinite(p)] < alpha))
    index = pd.MultiIndex.from_tuples(
        sorted(
            {(lv, nm) for lv, nm, _ in rel}, key=lambda k: (k[0] != "day 0", TEST_NAMES.index(k[1]))
        ),
        names=["level", "test"],
    )
    rates = pd.DataFrame(index=index)
    for shock in shocks:
        rates[f"shock {100 * shock:+g}%"] = [rel[(lv, nm, shock)] for lv, nm in index]
    size = rates.iloc[:, 0]
    rates["size_mc_se"] = np.sqrt(size * (1 - size) / n_trials)
    settings = {
        "window": window,
        "estimation": estimation,
        "min_obs": min_obs,
        "seed": seed,
        "model": model,
        "shocks": shocks,
    }
    return SizePowerResults(rates, n_trials, n_secs, alpha, settings)


# ---------------------------------------------------------------------------------------
# Clustered event dates: every security of a group on one common day 0.


def draw_common_dates(
    returns: pd.DataFrame,
    members: list[str],
    n_trials: int,
    window: tuple[int, int],
    estimation: tuple[int, int],
    min_obs: int,
    rng: np.random.Generator,
    benchmark: pd.Series | pd.DataFrame | None = None,
    min_share: float = 0.75,
) -> pd.DataFrame:
    """One random common day 0 per trial for a whole group: (event, security, day0) rows.

    A session qualifies when at least ``min_share`` of ``members`` (and at least two) have
    a complete event window and ``min_obs`` estimation days there; every such member
    enters that trial.  Sessions are drawn without replacement while there are enough.
    """
    sub = returns[members]
    valid = valid_event_days(sub, window, estimation, min_obs, benchmark)
    need = max(2, int(np.ceil(min_share * len(members))))
    days = np.flatnonzero(valid.sum(axis=1) >= need)
    if len(days) == 0:
        raise ValueError(f"no session has {need} of the {len(members)} securities valid")
    chosen = rng.choice(days, size=n_trials, replace=n_trials > len(days))
    spacing = window[1] - estimation[0] + 1  # one trial's whole span of sessions
    batch = spaced_batches(chosen, spacing)
    rows = [
        (f"trial{t:05d}", members[c], returns.index[d], batch[t])
        for t, d in enumerate(chosen)
        for c in np.flatnonzero(valid[d])
    ]
    return pd.DataFrame(rows, columns=["event", "security", "day0", "batch"])


def spaced_batches(positions: np.ndarray, spacing: int) -> np.ndarray:
    """A batch number for each position such that positions of one batch are at least
    ``spacing`` apart (greedy colouring in sorted order: the fewest batches).

    Trials of one batch can share one study without one trial's shocked day 0 entering
    another's estimation or event window.
    """
    order = np.argsort(positions, kind="stable")
    last: list[int] = []  # last position of each batch
    out = np.empty(len(positions), dtype=int)
    for i in order:
        p = int(positions[i])
        for b, q in enumerate(last):
            if p - q >= spacing:
                last[b] = p
                out[i] = b
                break
        else:
            last.append(p)
            out[i] = len(last) - 1
    return out


@dataclass
class ClusteredResults:
    """Rejection rates and interval coverage with clustered event dates.

    ``rates``: one row per (group, scenario, level, test) with the rejection rates of
    two-sided tests at 1%, 5% and 10%, the lower and upper tails of the 5% test, and
    the Monte Carlo s.e. of the 5% rate.  ``coverage``: per (group, scenario, level) the
    share of trials whose 95% CAAR interval covers the true CAAR: the default
    dependence-adjusted interval, the time-series interval that inverts
    ``crude_dependence`` and the firm bootstrap.
    """

    rates: pd.DataFrame
    coverage: pd.DataFrame
    trials: int
    groups: dict[str, list[str]]
    settings: dict
    # kp_cross_sectional_t's power: predicted on each trial's ordinary days (as mde_80) and
    # by normal theory, against the share of trials that rejected
    power: pd.DataFrame | None = None


def _direction(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The sign of each trial's statistic (of the mean for tests whose statistic is not
    signed about zero).
    """
    if name in ("wilcoxon", "permutation"):
        return np.sign(frame["caar"].to_numpy(float))
    return np.sign(frame[name].to_numpy(float))


def clustered_size_power(
    returns: pd.DataFrame,
    benchmark: pd.Series,
    groups: dict[str, list[str]],
    sigma: pd.Series,
    n_trials: int = 1000,
    window: tuple[int, int] = (-1, 1),
    car_windows: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1)),
    estimation: tuple[int, int] = (-250, -11),
    min_obs: int = 120,
    seed: int = 2023,
    exclude: pd.DataFrame | None = None,
    bootstrap: int = 200,
    model: str = "market",
    scenarios: dict[str, tuple[float, bool]] | None = None,
    measure: str = "returns",
) -> ClusteredResults:
    r"""Size, power and interval coverage of every test when a group shares day 0.

    Parameters
    ----------
    returns, benchmark
        Security returns and the market return on one session grid.
    groups
        Name -> securities; each trial puts the group's valid members on one random
        common session (:func:`draw_common_dates`).
    sigma
        Each security's residual s.d., the scale of the event-induced variance.
    model, measure
        The normal-return model (``constant-mean`` for abnormal log volume) and what
        ``returns`` hold (``volume``: log volumes).
    scenarios
        Name -> (shock added to every member's day-0 value, event-induced variance);
        default the five below.

    Notes
    -----
    Scenarios: ``size`` (no abnormal return), ``power -1%`` and ``power -2%`` (added to
    every member's day-0 return), ``eiv size`` and ``eiv power -1%`` (each member's
    day-0 shock drawn from :math:`N(\mu, \sigma_i^2)`: event-induced variance, the
    shock's size random across stocks).  The true CAAR of every CAR window containing
    day 0 is :math:`\mu`.  Monte Carlo s.e. of a rate r: :math:`\sqrt{r(1-r)/T}`.
    """
    from research.stats.inference import TEST_NAMES
    from research.stats.intervals import bootstrap_mean_ci

    scenarios = scenarios or {
        "size": (0.0, False),
        "power -1%": (-0.01, False),
        "power -2%": (-0.02, False),
        "eiv size": (0.0, True),
        "eiv power -1%": (-0.01, True),
    }
    rng = np.random.default_rng(seed)
    rate_rows, cover_rows, power_rows = [], [], []
    labels = {w: ("day 0" if w == (0, 0) else f"CAR({w[0]},{w[1]})") for w in car_windows}
    from research.progress import steps

    for group, members in steps(groups.items(), "groups", total=len(groups)):
        events = draw_common_dates(
            returns, members, n_trials, window, estimation, min_obs, rng, benchmark
        )
        rows = returns.index.get_indexer(events["day0"])
        cols = returns.columns.get_indexer(events["security"])
        noise = rng.standard_normal(len(events)) * sigma.reindex(events["security"]).to_numpy()
        base = returns.to_numpy()
        for scenario, (mu, eiv) in scenarios.items():
            shock = mu + (noise if eiv else np.zeros(len(events)))
            wins, members_of, predicted = [], [], []
            for _, part in events.groupby("batch", sort=True):
                # only this batch's shocks: trials of one batch never reach into each
                # other's estimation or event windows, other batches' shocks would
                arr = base.copy()
                if mu or eiv:
                    idx = part.index.to_numpy()
                    arr[rows[idx], cols[idx]] += shock[idx]
                shocked = pd.DataFrame(arr, index=returns.index, columns=returns.columns)
                res = EventStudy(
                    shocked,
                    part.drop(columns="batch"),
                    benchmark.to_frame(),
                    window=window,
                    estimation=estimation,
                    car_windows=list(car_windows),
                    min_obs=min_obs,
                    exclude=exclude,
                    bootstrap=0,
                    other_events="keep",
                    model=model,
                    measure=measure,
                ).fit()
                wins.append(res.window_tests)
                members_of += [res.cars["car"][m] for *_, m in res.cohorts()]
                if mu and not eiv:  # the power the study's own mde_80 predicts
                    sig = res.estimation["sigma"].to_numpy(float)
                    wt = res.window_tests
                    shifted = res.detection_power(mu)["power"].to_numpy(float)
                    still = res.detection_power(0.0)["power"].to_numpy(float)
                    contains = ((wt["start"] <= 0) & (wt["end"] >= 0)).to_numpy()
                    on_days = np.where(contains, shifted, still)
                    for event, grp, m in res.cohorts():
                        at = np.flatnonzero((wt["event"] == event) & (wt["group"] == grp))
                        for i in at:
                            w = wt.iloc[i]
                            truth = mu if contains[i] else 0.0
                            normal = intervals.detection_power(
                                truth, sig[m], w["n"], w["r_bar"], w["end"] - w["start"] + 1
                            )
                            window_ = (int(w["start"]), int(w["end"]))
                            predicted.append((window_, float(on_days[i]), float(normal)))
            win = pd.concat(wins, ignore_index=True)
            for w in car_windows:
                frame = win[win["window"] == f"({w[0]},{w[1]})"]
                truth = mu if w[0] <= 0 <= w[1] else 0.0
                caar = frame["caar"].to_numpy(float)
                lo, hi = frame["caar_ci_low"].to_numpy(), frame["caar_ci_high"].to_numpy()
                covered = (lo <= truth) & (truth <= hi)  # the default: dependence-adjusted
                # for comparison, the interval that inverts crude_dependence (Brown & Warner
                # 1985): caar / crude_dependence is sqrt(L) S(AAR); a 240-day estimation
                # window gives 239 degrees of freedom
                half_ts = special.stdtrit(estimation[1] - estimation[0], 0.975) * np.abs(
                    caar / frame["crude_dependence"].to_numpy(float)
                )
                ts_cover = np.abs(caar - truth) <= half_ts
                for name in TEST_NAMES:
                    p = frame[f"{name}_p"].to_numpy(float)
                    ok = np.isfinite(p)
                    sign = _direction(frame, name)[ok]
                    p = p[ok]
                    r5 = float(np.mean(p < 0.05))
                    rate_rows.append(
                        {
                            "group": group,
                            "scenario": scenario,
                            "level": labels[w],
                            "test": name,
                            "reject_1": float(np.mean(p < 0.01)),
                            "reject_5": r5,
                            "reject_10": float(np.mean(p < 0.10)),
                            "lower_5": float(np.mean((p < 0.05) & (sign < 0))),
                            "upper_5": float(np.mean((p < 0.05) & (sign > 0))),
                            "mc_se_5": float(np.sqrt(r5 * (1 - r5) / max(len(p), 1))),
                            "trials": int(len(p)),
                        }
                    )
                k = list(car_windows).index(w)
                boot = np.array(
                    [
                        (lambda b: b[0][0] <= truth <= b[1][0])(
                            bootstrap_mean_ci(car[:, [k]], bootstrap, rng)
                        )
                        for car in members_of
                    ]
                )
                pred = [(v, f) for win_, v, f in predicted if win_ == w and np.isfinite(v)]
                if pred:
                    p = frame["kp_cross_sectional_t_p"].to_numpy(float)
                    p = p[np.isfinite(p)]
                    sim = float(np.mean(p < 0.05))
                    power_rows.append(
                        {
                            "group": group,
                            "scenario": scenario,
                            "level": labels[w],
                            "predicted": float(np.mean([v for v, _ in pred])),
                            "normal_theory": float(np.nanmean([f for _, f in pred])),
                            "simulated": sim,
                            "mc_se": float(np.sqrt(sim * (1 - sim) / max(len(p), 1))),
                            "trials": int(len(p)),
                        }
                    )
                cover_rows.append(
                    {
                        "group": group,
                        "scenario": scenario,
                        "level": labels[w],
                        "dependence_adjusted": float(np.mean(covered)),
                        "time_series": float(np.mean(ts_cover)),
                        "firm_bootstrap": float(np.mean(boot)),
                        "mean_width": float(np.mean(hi - lo)),
                        "mean_n": float(frame["n"].mean()),
                        "trials": int(len(frame)),
                    }
                )
    rates = pd.DataFrame(rate_rows).set_index(["group", "scenario", "level", "test"])
    power = (
        pd.DataFrame(power_rows).set_index(["group", "scenario", "level"]) if power_rows else None
    )
    coverage = pd.DataFrame(cover_rows).set_index(["group", "scenario", "level"])
    settings = {
        "window": window,
        "car_windows": car_windows,
        "estimation": estimation,
        "min_obs": min_obs,
        "seed": seed,
        "bootstrap": bootstrap,
        "scenarios": scenarios,
    }
    return ClusteredResults(rates, coverage, n_trials, groups, settings, power)

"""Size and power of the tests by simulation on real returns (Brown & Warner 1980, 1985).

Each trial draws ``n_secs`` securities and, for each, a random pseudo-event
day 0 on which it has a complete event window and enough estimation data.
With no induced abnormal return the share of trials in which a test rejects
at level ``alpha`` estimates its size; adding ``shock`` to every day-0 return
estimates its power against that abnormal return.  All trials of one shock
run as one :class:`research.study.EventStudy` (trial = event cohort), so the
simulation uses exactly the code users run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research.inference import TEST_NAMES
from research.study import EventStudy


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
        from research.report import table

        shown = self.rates.reset_index()
        return table(
            shown,
            f"Rejection rates at {self.alpha:.0%} (two-sided), {self.trials} trials of "
            f"{self.n_secs} securities",
        )


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
    valid = np.zeros_like(ok)
    est_count = csum[np.clip(pos + e1 + 1, 0, n)] - csum[np.clip(lo, 0, n)]
    win_count = csum[np.clip(hi + 1, 0, n)] - csum[np.clip(pos + w0, 0, n)]
    valid = inside[:, None] & (est_count >= min_obs) & (win_count == w1 - w0 + 1)
    if blocked is not None:
        valid &= ~np.asarray(blocked, dtype=bool)[:, None]
    pairs = np.argwhere(valid)  # (day position, security column)
    if len(pairs) < n_secs:
        raise ValueError("too few valid security-days to draw pseudo-events from")
    securities = np.unique(pairs[:, 1])
    days_of = {c: pairs[pairs[:, 1] == c, 0] for c in securities}  # computed once
    trial_ids, cols_drawn, days_drawn = [], [], []
    for trial in range(n_trials):  # the same random calls, in the same order, as one would
        for c in rng.choice(securities, size=n_secs, replace=False):  # write them by hand
            trial_ids.append(trial)
            cols_drawn.append(c)
            days_drawn.append(rng.choice(days_of[c]))
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
) -> SizePowerResults:
    """Rejection rates of every test at day 0 and over the event window.

    Parameters
    ----------
    returns, benchmark
        Security returns and the market return on one session grid.
    shocks
        Abnormal returns added to each security's day-0 return; 0 measures size.

    Notes
    -----
    The Monte Carlo standard error of a rejection rate ``r`` over ``T`` trials
    is :math:`\\sqrt{r(1-r)/T}` (about 0.7 percentage points for r = 5%,
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

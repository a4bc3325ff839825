"""How precisely a fitted study measured each cohort, for its day and window tables: the
band of the CAAR path (:func:`path_band`), the interval of each window's CAAR
(:func:`window_interval`), and what the study could have seen: the smallest AAR or CAAR
its adjusted cross-sectional t detects with 80% power at 5% (:func:`detectable`,
``mde_80``) and its power against any common shift (:func:`detection_power`), both from
the cohort's own ordinary days.  The formulas are in :mod:`research.stats.intervals`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.errors import OptionError
from research.estimation import cohorts
from research.stats import inference, intervals

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = [
    "column_lengths",
    "detectable",
    "detection_power",
    "ordinary_days",
    "path_band",
    "per_column",
    "stretch_columns",
    "stretch_sums",
    "window_interval",
]

LEVELS = ("day", "window")


def ordinary_days(res: EventStudyResults, r_bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cohorts, W, T) each cohort's ordinary stretches of every stretch length
    (:func:`research.estimation.cohorts.stretch_lengths`), over all its firm-events: their
    means and the reach of the adjusted t (:func:`research.stats.intervals.ordinary_days`),
    with the cohort's mean correlation ``r_bar`` (cohorts,).
    """
    sums = res.cohort_stretches
    return intervals.ordinary_days(
        *(sums[name] for name in ("stretch_sum", "stretch_sq", "stretch_n")), r_bar
    )


def stretch_columns(res: EventStudyResults, level: str) -> np.ndarray:
    """Which stretch length each column of ``level``'s table reads: one day for the day
    table, the window's length for the window table.
    """
    lengths = cohorts.stretch_lengths(res.settings.car_windows)
    if level == "day":
        return np.full(len(res.days), lengths.index(1), dtype=np.intp)
    return np.array([lengths.index(b - a + 1) for a, b in res.settings.car_windows], np.intp)


def column_lengths(res: EventStudyResults, level: str) -> np.ndarray:
    """Days per column of ``level``'s table (one per event day; each window's length)."""
    if level == "day":
        return np.ones(len(res.days), dtype=np.intp)
    return np.array([b - a + 1 for a, b in res.settings.car_windows], dtype=np.intp)


def per_column(res: EventStudyResults, level: str, r_bar: np.ndarray, measure) -> np.ndarray:
    """(cohorts, J) ``measure(mean, reach)`` of each cohort's ordinary days as each column
    of ``level``'s table sees them: over the firm-events with a value in that column (on
    the day, or a CAR over the window), the firm-events the test of that column counts.

    From the engine's sums where every firm-event of a cohort has a value in every
    column; from the cohort's residuals, column by column, where some have none (a
    suspension over the event days); none for a staggered cohort, whose adjusted t is not
    what it leads with (its event-time correlation misses the calendar days the
    firm-events share; docs/methodology.md).
    """
    mean, reach = ordinary_days(res, r_bar)
    out = measure(mean, reach)[:, stretch_columns(res, level)]
    present = np.isfinite(res.ar if level == "day" else res.cars["car"])
    staggered = res.cohort_clustering["staggered"].to_numpy()
    lengths = column_lengths(res, level)
    for k, (_, _, rows) in enumerate(res.cohorts()):
        if staggered[k]:
            out[k] = np.nan
        elif not present[rows].all():
            sums = stretch_sums(res.resid_of(rows), present[rows], lengths)
            out[k] = measure(*intervals.ordinary_days(*sums, r_bar[k]))
    return out


def stretch_sums(
    resid: np.ndarray, present: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(J, T) for each column, over the firm-events ``present`` (n, J) in it: the sums of
    their residuals' sums over each stretch of the column's length, of their squares, and
    how many (as :class:`research.estimation.cohorts.EstimationSums`, for chosen rows).
    """
    n, t = resid.shape
    finite = np.isfinite(resid)
    running = np.concatenate([np.zeros((n, 1)), np.cumsum(np.where(finite, resid, 0.0), 1)], 1)
    count = np.concatenate([np.zeros((n, 1)), np.cumsum(finite, axis=1)], axis=1)
    total, squares, counted = (np.zeros((len(lengths), t)) for _ in range(3))
    for j, length in enumerate(lengths):
        m = t - int(length) + 1
        if m < 1:
            continue
        sums = running[:, length:] - running[:, :m]
        take = present[:, j][:, None] & (count[:, length:] - count[:, :m] == length)
        sums = np.where(take, sums, 0.0)
        total[j, :m] = sums.sum(axis=0)
        squares[j, :m] = (sums * sums).sum(axis=0)
        counted[j, :m] = take.sum(axis=0)
    return total, squares, counted


def detectable(res: EventStudyResults, level: str, out: dict[str, np.ndarray]) -> dict:
    """The ``mde_80`` columns of a level's table, (cohorts, J) each: the smallest fall
    (``mde_80_down``, negative) and rise (``mde_80_up``) the adjusted t detects with 80%
    power at 5% on the cohort's own ordinary days (:func:`per_column`), and ``mde_80``,
    the one on the side of the estimate (:func:`research.stats.intervals.detectable_on_days`);
    none for a column with fewer than two firm-events (``out``: the level's pooled tests).
    """
    estimate = out["aar"] if "aar" in out else out["caar"]
    r_bar = np.asarray(out["_r_bar"])[:, 0]
    tested = np.asarray(out["n"]) > 1  # the adjusted t needs two firm-events on the day

    def side(direction: int) -> np.ndarray:
        found = per_column(
            res, level, r_bar, lambda m, c: intervals.detectable_on_days(m, c, direction)
        )
        return np.where(tested, direction * found, np.nan)

    down, up = side(-1), side(1)
    with np.errstate(invalid="ignore"):
        toward = np.where(np.asarray(estimate, dtype=float) < 0, down, up)
    return {"mde_80": toward, "mde_80_down": down, "mde_80_up": up}


def detection_power(res: EventStudyResults, shift: float, level: str = "window") -> pd.DataFrame:
    """The power of ``kp_cross_sectional_t`` at 5% against a common ``shift`` of every
    abnormal return on a day (``level="day"``) or of the CAAR of each window, from each
    cohort's own ordinary days (:func:`per_column`, :func:`research.stats.intervals.power_on_days`):
    one row per cohort and column, keyed as the day or window table.
    """
    if level not in LEVELS:
        raise OptionError(f"level must be 'day' or 'window', not {level!r}.")
    frame = res.day_tests if level == "day" else res.window_tests
    windows = res.window_tests
    r_bar = windows["r_bar"].to_numpy(float).reshape(len(res.cohorts()), -1)[:, 0]
    power = per_column(res, level, r_bar, lambda m, c: intervals.power_on_days(m, c, shift))
    keys = ["event", "group", "day" if level == "day" else "window"]
    out = frame[keys].copy()
    out["power"] = np.where(frame["n"].to_numpy(float) > 1, power.ravel(), np.nan)
    return out


def path_band(res: EventStudyResults, r_bar: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """(cohorts, L) half-width of the CAAR path's band: the dependence-adjusted interval
    of the mean CAR from the window's first day to each day (as :func:`window_interval`);
    none for a staggered cohort, whose event-time correlation misses shared days.
    """
    car = np.cumsum(res.ar, axis=1)
    spreads = [inference.cross_sectional(car[m]) for m in members]
    half = np.vstack(
        [
            intervals.dependence_adjusted_half_width(cs["sd"] / np.sqrt(cs["n"]), cs["n"], r_bar[k])
            for k, cs in enumerate(spreads)
        ]
    )
    return np.where(res.cohort_clustering["staggered"].to_numpy()[:, None], np.nan, half)


def window_interval(
    res: EventStudyResults, out: dict[str, np.ndarray], members: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cohorts, J) the 95% interval of each window's CAAR, and (cohorts,) the test each
    cohort's interval inverts (``ci_method``).

    Dependence-adjusted when the cohort's firm-events share calendar days (a firm
    bootstrap assumes them independent and covers the true CAAR in about half the trials
    there; docs/validation.md); the calendar-time permutation interval when they share
    days but not day 0 (obs - q97.5 .. obs - q2.5); else the firm bootstrap (or, with no
    bootstrap, the same adjusted interval).
    """
    half = intervals.dependence_adjusted_half_width(out["_se"], out["n"], out["_r_bar"])
    clustering = res.cohort_clustering
    clustered = clustering["clustered"].to_numpy()
    staggered = clustering["staggered"].to_numpy()[:, None]
    boot = ~clustered & (res.settings.bootstrap > 0)
    lo, hi = out["caar"] - half, out["caar"] + half
    lo = np.where(staggered, out["caar"] - out["_perm_hi"], lo)
    hi = np.where(staggered, out["caar"] - out["_perm_lo"], hi)
    rng = np.random.default_rng(res.settings.seed)
    for k in np.flatnonzero(boot):
        lo[k], hi[k] = intervals.bootstrap_mean_ci(
            res.cars["car"][members[k]], res.settings.bootstrap, rng
        )
    # named by what it inverts: the tables report that statistic beside it
    method = np.where(boot, "bootstrap", "kp_cross_sectional_t")
    return lo, hi, np.where(staggered[:, 0], "permutation", method)

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
    "detectable",
    "detection_power",
    "ordinary_days",
    "path_band",
    "per_column",
    "stretch_columns",
    "window_interval",
]

LEVELS = ("day", "window")


def ordinary_days(res: EventStudyResults, r_bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cohorts, W, T) each cohort's ordinary stretches of every stretch length
    (:func:`research.estimation.cohorts.stretch_lengths`), over its firm-events with an
    abnormal return in the event window: their means and the reach of the adjusted t
    (:func:`research.stats.intervals.ordinary_days`), with the cohort's mean correlation
    ``r_bar`` (cohorts,).
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


def per_column(res: EventStudyResults, level: str, r_bar: np.ndarray, *measures) -> list:
    """(cohorts, J) ``measure(mean, reach)`` of each cohort's ordinary days (over its
    firm-events with an abnormal return in the event window) for each column of
    ``level``'s table, for each of ``measures`` (the days computed once); none for a
    staggered cohort, whose adjusted t is not what it leads with (its event-time
    correlation misses the calendar days the firm-events share; docs/methodology.md).
    """
    mean, reach = ordinary_days(res, r_bar)
    columns = stretch_columns(res, level)
    staggered = res.cohort_clustering["staggered"].to_numpy()
    out = []
    for measure in measures:
        values = measure(mean, reach)[:, columns]
        values[staggered] = np.nan
        out.append(values)
    return out


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

    falls, rises = per_column(
        res,
        level,
        r_bar,
        lambda m, c: intervals.detectable_on_days(m, c, -1),
        lambda m, c: intervals.detectable_on_days(m, c, 1),
    )
    down, up = np.where(tested, -falls, np.nan), np.where(tested, rises, np.nan)
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
    (power,) = per_column(res, level, r_bar, lambda m, c: intervals.power_on_days(m, c, shift))
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

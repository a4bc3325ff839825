"""Diagnostics of a fitted study, read by its results object and its notes: the kept
firm-events whose CAR windows miss a day (:func:`incomplete_windows`) and whether each
cohort's firm-events share calendar days (:func:`cohort_clustering`, which decides the
headline tests and the interval).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.estimation import cars

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["RANK_COVERAGE", "cohort_clustering", "incomplete_windows", "thin_rank_windows"]

# A window's rank test is flagged when fewer firm-events are ranked on all its days than
# this share of those ranked on an average estimation day (thin_rank_windows).
RANK_COVERAGE = 0.9


def incomplete_windows(res: EventStudyResults) -> pd.DataFrame:
    """Kept firm-events with no abnormal return on some day of a CAR window: they have
    no CAR (nor BHAR) for that window and leave its tests; the day tests keep their
    other days.
    """
    rows = []
    for j, (a, b) in enumerate(res.settings.car_windows):
        sel = cars.window_columns(res.days, a, b)
        # a day inside a trade-to-trade return's span is covered: the window has a CAR
        gap = res.keep & ~np.isfinite(res.cars["car"][:, j])
        for i in np.flatnonzero(gap):
            missing = res.days[sel][~np.isfinite(res.ar[i, sel])]
            rows.append(
                (
                    res.events["event"].iat[i],
                    res.events["group"].iat[i],
                    res.events["security"].iat[i],
                    f"({a},{b})",
                    ", ".join(f"{d:+d}" for d in missing),
                )
            )
    return pd.DataFrame(rows, columns=["event", "group", "security", "window", "missing_days"])


def cohort_clustering(res: EventStudyResults) -> pd.DataFrame:
    """Per cohort: ``n`` firm-events, ``dates`` distinct day-0 sessions,
    ``overlapping`` firm-events whose event window overlaps another's in calendar
    time, and ``clustered`` (any such overlap: the cohort's abnormal returns are
    cross-correlated).
    """
    pos0, _ = res.positions
    span = res.settings.window[1] - res.settings.window[0]
    rows = []
    for event, group, members in res.cohorts():
        p = np.sort(pos0[members])
        near = np.diff(p) <= span
        touching = np.zeros(len(p), dtype=bool)
        touching[:-1] |= near
        touching[1:] |= near
        rows.append((event, group, len(p), len(np.unique(p)), int(touching.sum())))
    frame = pd.DataFrame(rows, columns=["event", "group", "n", "dates", "overlapping"])
    frame["clustered"] = frame["overlapping"] > 0
    # overlapping windows around different day-0 sessions: correlations measured in
    # event time (Kolari-Pynnönen, the adjusted interval) miss the shared calendar
    # days, so such cohorts lead with the permutation test and its interval
    frame["staggered"] = frame["clustered"] & (frame["dates"] > 1)
    return frame


def thin_rank_windows(out: dict, cohorts, car_windows) -> pd.DataFrame:
    """Cohort-windows whose rank test averages fewer firm-events than its variance
    assumes: ``n`` firm-events ranked on every day of the window against ``n_est`` on
    an average estimation day, below :data:`RANK_COVERAGE` of it.  Corrado's S_U is
    the spread of estimation days' mean ranks, so a window mean over fewer firm-events
    varies more than it allows: with thin trading the CAR version over-rejects
    (docs/validation.md, section 5).

    Parameters
    ----------
    out
        The pooled window tests' arrays (cohorts x windows), with ``_rank_n`` and
        ``_rank_n_est`` (:func:`research.stats.pooling.pooled_battery`).
    cohorts
        ``(event, group, kind, segment)`` per cohort, in the arrays' order.
    car_windows
        The CAR windows, in the arrays' column order.
    """
    labels = [f"({a},{b})" for a, b in car_windows]
    rows = []
    for k, (event, group, _, _) in enumerate(cohorts):
        for j, label in enumerate(labels):
            n, n_est = out["_rank_n"][k, j], out["_rank_n_est"][k, j]
            if n > 0 and n < RANK_COVERAGE * n_est:
                rows.append((event, group, label, int(n), float(n_est)))
    return pd.DataFrame(rows, columns=["event", "group", "window", "n", "n_est"])

"""A study's per-firm-event tables: each security's abnormal return on every event day
(:func:`abnormal_table`) and over every CAR window (:func:`window_table`), the kept
firm-events only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.errors import OptionError

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["abnormal_table", "record_table", "window_table"]


def abnormal_table(res: EventStudyResults) -> pd.DataFrame:
    """One row per firm-event and event day: return, normal return, AR, its s.d., t_single."""
    k, length = res.ar.shape
    rep = res.events.loc[np.repeat(np.arange(k), length), ["event", "group", "security"]]
    frame = rep.reset_index(drop=True)
    frame["day"] = np.tile(res.days, k)
    frame["date"] = pd.to_datetime(res.dates.ravel())
    frame["ret"] = res.r.ravel()
    frame["normal"] = res.normal.ravel()
    frame["ar"] = res.ar.ravel()
    # a CAR over a day without an abnormal return is missing, never carried forward
    frame["car"] = np.cumsum(res.ar, axis=1).ravel()
    frame["ar_sd"] = res.sd.ravel()
    frame["t_single"] = res.t_single.ravel()
    frame["t_single_p"] = res.p_single.ravel()
    kept = np.repeat(res.keep, length)
    return frame.loc[kept].reset_index(drop=True)


def window_table(res: EventStudyResults) -> pd.DataFrame:
    """One row per firm-event and CAR window: CAR, its s.d., t_single, BHAR."""
    rows = []
    c = res.cars
    for j, (a, b) in enumerate(res.settings.car_windows):
        part = res.events[["event", "group", "security"]].copy()
        part["window"] = f"({a},{b})"
        part["start"], part["end"] = a, b
        part["car"] = c["car"][:, j]
        part["car_sd"] = c["sd"][:, j]
        part["t_single"] = c["t"][:, j]
        part["t_single_p"] = c["p"][:, j]
        part["bhar"] = c["bhar"][:, j]
        rows.append(part.loc[res.keep])
    return pd.concat(rows, ignore_index=True)


def record_table(res: EventStudyResults, level: str = "day") -> pd.DataFrame:
    """The table of record.

    Parameters
    ----------
    level
        ``day``: one row per security and event day (``ar``, ``car``,
        ``t_single``) followed by the pooled rows (``security`` = ``*``,
        with ``aar``, ``caar`` and every test).  ``window``: the same per
        CAR window.
    """
    if level == "day":
        pooled = res.day_tests.assign(security="*")
        return pd.concat([res.abnormal, pooled], ignore_index=True)
    if level == "window":
        pooled = res.window_tests.assign(security="*")
        return pd.concat([res.security_windows, pooled], ignore_index=True)
    raise OptionError(f"level must be 'day' or 'window', not {level!r}.")

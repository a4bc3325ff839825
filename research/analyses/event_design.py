"""Event-day dummies of the event regressions and their sample.

One dummy per distinct event session; a session shared by two events' windows gets
one dummy standing for both (their effects are not separately identified there).  The
regression sample is the union of the events' estimation and event windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research.errors import EventStudyError
from research.estimation.windows import check_estimation, check_window

__all__ = ["EventDesign", "build_design"]


@dataclass
class EventDesign:
    """Event dummies on a session grid, one column per distinct session."""

    dummies: pd.DataFrame  # sample dates x columns
    labels: dict[str, list[tuple[str, int]]]  # column -> [(event, day), ...]
    sample: pd.DatetimeIndex
    event_dates: pd.DatetimeIndex

    @property
    def shared(self) -> list[str]:
        """Columns that stand for more than one event's day."""
        return [c for c, lab in self.labels.items() if len({e for e, _ in lab}) > 1]


def _label(event: str, day: int) -> str:
    return f"{event}[{day:+d}]" if day else f"{event}[0]"


def build_design(
    index: pd.DatetimeIndex,
    day0: dict[str, pd.Timestamp],
    window: tuple[int, int],
    estimation: tuple[int, int],
) -> EventDesign:
    """Dummies for every event day and the regression sample (estimation ∪ event windows)."""
    w0, w1 = check_window(window, "event window")
    e0, e1 = check_window(estimation, "estimation window")
    check_estimation((e0, e1), (w0, w1))
    n = len(index)
    in_sample = np.zeros(n, dtype=bool)
    by_date: dict[pd.Timestamp, list[tuple[str, int]]] = {}
    for event, d0 in day0.items():
        p0 = index.get_indexer([pd.Timestamp(d0)])[0]
        if p0 < 0:
            raise EventStudyError(f"Day 0 of {event} ({d0:%Y-%m-%d}) is not a session of the data.")
        if p0 + w1 >= n or p0 + w0 < 0:
            raise EventStudyError(f"The event window of {event} runs past the data.")
        in_sample[max(p0 + e0, 0) : p0 + e1 + 1] = True
        for d in range(w0, w1 + 1):
            in_sample[p0 + d] = True
            by_date.setdefault(index[p0 + d], []).append((event, d))
    sample = index[in_sample]
    dates = sorted(by_date)
    columns = {" = ".join(_label(e, d) for e, d in by_date[t]): t for t in dates}
    dummies = pd.DataFrame(
        {c: (sample == t).astype(float) for c, t in columns.items()}, index=sample
    )
    labels = {c: by_date[t] for c, t in columns.items()}
    return EventDesign(dummies, labels, sample, pd.DatetimeIndex(dates))

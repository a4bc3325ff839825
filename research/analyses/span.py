"""The dates a study's windows reach, bounded before any price is read, so that only the
store's years around them are read (:func:`research.data.inputs.build_inputs` with
``span``), and the check, once the study is laid out on its grid, that they do lie there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.analyses.requests import StudyRequest

__all__ = ["SpanTooShort", "check_inside", "study_span"]

# sessions added on each side of the windows (day 0 found one or two sessions off, say)
MARGIN_SESSIONS = 5


class SpanTooShort(Exception):
    """The study's windows reach outside the span its prices were read for."""


def study_span(request: StudyRequest, stamps: list[pd.Timestamp], market: str) -> tuple | None:
    """The first and last dates a study's windows can reach, on ``market``'s calendar.

    For the earliest event, the first session on or after the day before its UTC date;
    for the latest, the first session on or after the day after it plus one (an event after
    the close, a weekend or a holiday moves day 0 later, never past that); each moved by
    the windows' offsets in sessions and :data:`MARGIN_SESSIONS` more; and the windows
    given as dates.  None when the calendar does not cover them (the whole history is read).

    Parameters
    ----------
    stamps
        The events' timestamps (tz-aware).
    """
    from research.data.markets import market_sessions

    if not stamps:
        return None
    offsets, dates = [0], []
    for window in (request.window, request.estimation, *request.car_windows):
        for bound in window:
            if isinstance(bound, (int, np.integer)):
                offsets.append(int(bound))
            else:
                dates.append(pd.Timestamp(bound))
    utc = [pd.Timestamp(s).tz_convert("UTC").tz_localize(None).normalize() for s in stamps]
    first = min(utc) - pd.Timedelta(days=1)
    last = max(utc) + pd.Timedelta(days=2)
    reach = 2 * (max(map(abs, offsets)) + MARGIN_SESSIONS) + 60  # calendar days, a bound
    try:
        sessions = pd.DatetimeIndex(
            market_sessions(
                market, first - pd.Timedelta(days=reach), last + pd.Timedelta(days=reach)
            ).index
        )
    except Exception:  # no calendar for these years: the whole history is read
        return None
    a = int(sessions.searchsorted(first)) + min(offsets) - MARGIN_SESSIONS
    b = int(sessions.searchsorted(last)) + max(offsets) + MARGIN_SESSIONS
    if a < 0 or b >= len(sessions):
        return None
    return min([sessions[a], *dates]), max([sessions[b], *dates])


def check_inside(
    span: tuple,
    grid: pd.DatetimeIndex,
    day0s: pd.Series,
    window: tuple[int, int],
    estimation: tuple[int, int],
    car_windows: list | tuple = (),
) -> None:
    """Raise :class:`SpanTooShort` unless every firm-event's windows lie on ``grid`` inside
    ``span`` (then the years read give the study the whole history's numbers).
    """
    positions = grid.get_indexer(pd.DatetimeIndex(day0s))
    if not len(positions) or (positions < 0).any():
        raise SpanTooShort("a day 0 is not on the grid")
    ends = [*window, *estimation]
    ends += [int(x) for c in car_windows for x in c if isinstance(x, (int, np.integer))]
    lo = int(positions.min()) + min(ends)
    hi = int(positions.max()) + max(ends)
    if lo < 0 or hi >= len(grid) or grid[lo] < span[0] or grid[hi] > span[1]:
        raise SpanTooShort("the windows reach outside the span read")

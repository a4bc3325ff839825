"""Firm-events of one security that meet each other: which pairs' windows touch
(:func:`overlaps`, reported with every study) and which estimation days fall inside another
firm-event's event window (:func:`other_event_days`, masked by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from research.estimation.engine import EngineInputs

__all__ = ["firm_event_pairs", "other_event_days", "overlaps"]


def firm_event_pairs(n_sessions: int, pos0: np.ndarray, cols: np.ndarray, lo: int, hi: int):
    """Pairs (a, b), a != b, of one security's firm-events with lo <= pos0[b] - pos0[a] <= hi.

    Sorted keys and ``searchsorted``: O(K log K + pairs), no Python loop.
    """
    span = int(max(abs(lo), abs(hi))) + n_sessions + 1
    key = cols.astype(np.int64) * (3 * span) + pos0.astype(np.int64)
    order = np.argsort(key, kind="stable")
    skey = key[order]
    start = np.searchsorted(skey, skey + lo, side="left")
    end = np.searchsorted(skey, skey + hi, side="right")
    counts = end - start
    a_sorted = np.repeat(np.arange(len(skey)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b_sorted = np.repeat(start, counts) + offsets
    a, b = order[a_sorted], order[b_sorted]
    keep = a != b
    a, b = a[keep], b[keep]
    return a, b, pos0[b] - pos0[a]


def overlaps(
    inputs: EngineInputs, events: pd.DataFrame, pos0: np.ndarray, cols: np.ndarray
) -> pd.DataFrame:
    """Pairs of firm-events of one security whose windows touch each other."""
    ev = events
    e0, e1 = inputs.estimation
    w0, w1 = inputs.window
    a, b, d = firm_event_pairs(len(inputs.returns.index), pos0, cols, e0 - w1, w1 - w0)
    both = (np.abs(d) <= w1 - w0) & (a < b)
    inside = (d >= e0 - w1) & (d <= e1 - w0)
    sel = both | inside
    kind = np.where(
        both[sel], "event windows overlap", "other event window inside the estimation window"
    )
    return pd.DataFrame(
        {
            "security": ev["security"].to_numpy()[a[sel]],
            "event": ev["event"].to_numpy()[a[sel]],
            "other_event": ev["event"].to_numpy()[b[sel]],
            "kind": kind,
            "offset": d[sel].astype(int),
        }
    )


def other_event_days(
    inputs: EngineInputs, k: int, t: int, pos0: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """(K, T) True on days inside another firm-event window of the same security."""
    e0 = inputs.estimation[0]
    w0, w1 = inputs.window
    n = len(inputs.returns.index)
    a, b, d = firm_event_pairs(n, pos0, cols, e0 - w1, t + e0 - w0)
    first = np.clip(d + w0 - e0, 0, t)  # columns of a's row covered by b's window
    last = np.clip(d + w1 - e0 + 1, 0, t)
    # overlap counts never exceed a security's number of events: int16 when that is
    # safe (a quarter of int32's cumulative-sum time), else int32
    most = int(np.bincount(cols).max()) if len(cols) else 0
    marks = np.zeros((k, t + 1), dtype=np.int16 if most < 32_000 else np.int32)
    np.add.at(marks, (a, first), 1)
    np.add.at(marks, (a, last), -1)
    return np.cumsum(marks[:, :t], axis=1, dtype=marks.dtype) > 0

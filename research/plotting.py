"""Figures: pure functions that take results (and an optional Axes) and return a Figure.

Matplotlib is imported lazily inside each function; nothing here calls
``plt.show()`` or writes files.  Colours come from the Okabe-Ito palette,
which stays distinguishable under the common colour-vision deficiencies
(Okabe & Ito 2008).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    from research.study import EventStudyResults

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
GROUP_COLOURS = {
    "mainland-developer": "#D55E00",
    "hk-developer": "#0072B2",
    "reit": "#009E73",
    "property-services": "#CC79A7",
    "all": "#000000",
    "index": "#000000",
}


def _axes(ax: Any = None, figsize: tuple[float, float] = (7.0, 4.2)):
    import matplotlib

    if ax is not None:
        return ax.figure, ax
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def caar_paths(res: EventStudyResults, level: float = 0.95) -> list[dict[str, Any]]:
    """CAAR path and its cross-sectional confidence band per cohort.

    Notes
    -----
    At day ``t`` the band is :math:`CAAR_t \\pm t_{N-1,(1+level)/2}\\, s_t/\\sqrt{N}`,
    with :math:`s_t` the cross-sectional s.d. of :math:`CAR_i(w_0, t)`.
    """
    out = []
    car = np.nancumsum(res.ar, axis=1)
    car = np.where(np.isfinite(res.ar).cumsum(axis=1) > 0, car, np.nan)
    for event, group, rows in res.cohorts():
        c = car[rows]
        n = np.isfinite(c).sum(axis=0)
        mean = np.nanmean(c, axis=0) if len(rows) else np.full(len(res.days), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.nanstd(c, axis=0, ddof=1) if len(rows) > 1 else np.full(len(res.days), np.nan)
            half = stats.t.ppf((1 + level) / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        out.append(
            {
                "event": event,
                "group": group,
                "days": res.days,
                "caar": mean,
                "low": mean - half,
                "high": mean + half,
                "n": int(len(rows)),
            }
        )
    return out


def plot_caar(
    res: EventStudyResults,
    ax: Any = None,
    event: str | None = None,
    level: float = 0.95,
    title: str | None = None,
):
    """CAAR paths (percent) over the event window with their confidence bands.

    Parameters
    ----------
    res
        Fitted results.
    ax
        Axes to draw on; a new Figure when None.
    event
        Only this event's cohorts (default: all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    paths = [p for p in caar_paths(res, level) if event is None or p["event"] == event]
    several_events = len({p["event"] for p in paths}) > 1
    for i, p in enumerate(paths):
        colour = GROUP_COLOURS.get(p["group"], OKABE_ITO[i % len(OKABE_ITO)])
        label = f"{p['group']} (N={p['n']})"
        if several_events:
            label = f"{p['event']}: {label}"
        style = "-" if not several_events or p["event"] == paths[0]["event"] else "--"
        ax.plot(p["days"], 100 * p["caar"], style, color=colour, marker="o", ms=3.5, label=label)
        if np.isfinite(p["low"]).any():
            ax.fill_between(
                p["days"], 100 * p["low"], 100 * p["high"], color=colour, alpha=0.12, linewidth=0
            )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("event day (sessions relative to day 0)")
    ax.set_ylabel("CAAR (%)")
    ax.set_xticks(res.days)
    ax.set_title(
        title
        or f"Cumulative average abnormal return, {res.settings.model} model, "
        f"{int(level * 100)}% bands",
        fontsize=10,
    )
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.25)
    return fig

"""Figures: pure functions that take results (and an optional Axes) and return a Figure.

Matplotlib is imported lazily inside each function; nothing here calls
``plt.show()`` or writes files.  Colours come from the Okabe-Ito palette,
which stays distinguishable under the common colour-vision deficiencies
(Okabe & Ito 2008).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
GROUP_COLOURS = {
    "mainland-developer": "#D55E00",
    "hk-developer": "#0072B2",
    "reit": "#009E73",
    "property-services": "#CC79A7",
    "all": "#000000",
    "index": "#000000",
}


def new_figure(figsize: tuple[float, float]):
    """A new Figure with constrained layout, not attached to any GUI."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _axes(ax: Any = None, figsize: tuple[float, float] = (7.0, 4.2)):
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot()


def caar_paths(res: EventStudyResults, level: float = 0.95) -> list[dict[str, Any]]:
    r"""CAAR path and its confidence band per cohort, from ``res.day_tests``.

    Notes
    -----
    At day ``t`` the band is the study's CAAR interval of the window from the first
    event day to ``t`` (``caar_ci_low``/``caar_ci_high`` of
    :attr:`research.estimation.results.EventStudyResults.day_tests`):
    :math:`CAAR_t \pm t_{N-1,(1+level)/2}\,(s_t/\sqrt{N})
    \sqrt{(1+(N-1)\bar r)/(1-\bar r)}`, :math:`s_t` the cross-sectional s.d. of
    :math:`CAR_i(w_0, t)` and :math:`\bar r` the cohort's mean residual correlation,
    which keeps its coverage when the firm-events share calendar days
    (docs/validation.md, section 4.5).  ``level`` other than 0.95 is refused.
    """
    if level != 0.95:
        raise ValueError("the study's CAAR bands are 95% intervals")
    days = res.day_tests
    out = []
    for event, group, rows in res.cohorts():
        d = days[(days["event"] == event) & (days["group"] == group)]
        out.append(
            {
                "event": event,
                "group": group,
                "days": res.days,
                "caar": d["caar"].to_numpy(float),
                "low": d["caar_ci_low"].to_numpy(float),
                "high": d["caar_ci_high"].to_numpy(float),
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
        Only this event's cohorts (default: all; later events are drawn dashed).

    Returns
    -------
    matplotlib.figure.Figure
    """
    paths = [p for p in caar_paths(res, level) if event is None or p["event"] == event]
    events = list(dict.fromkeys(p["event"] for p in paths))
    if len(events) > 1:
        for p in paths:
            p["label"] = f"{p['event']}: {p['group']} (N={p['n']})"
            p["style"] = "-" if p["event"] == events[0] else "--"
    volume = res.settings.measure == "volume"
    what = "abnormal log volume" if volume else "average abnormal return"
    fig = plot_caar_paths(
        paths,
        ax=ax,
        title=title or f"Cumulative {what}, {res.settings.model} model, {int(level * 100)}% bands",
        xlabel="event day (sessions relative to day 0)",
        ylabel="CAAV (log volume x100)" if volume else "CAAR (%)",
    )
    axis = fig.axes[0] if ax is None else ax
    axis.set_xticks(res.days)
    axis.legend(fontsize=8, frameon=False)
    return fig


def plot_caar_panels(res: EventStudyResults, level: float = 0.95, width: float = 10.0):
    """Small multiples: one panel per event (shared axes), each with its groups' CAAR paths
    and 95% bands; the legend sits below the panels, outside the data, and each band has
    its group's colour and a dashed edge so that overlapping bands stay apart.

    Returns
    -------
    matplotlib.figure.Figure
    """
    paths = caar_paths(res, level)
    events = list(dict.fromkeys(p["event"] for p in paths))
    per_row = min(len(events), 3)
    rows = -(-len(events) // per_row)
    fig = new_figure((width, 2.9 * rows + 0.8))
    axes = fig.subplots(rows, per_row, sharex=True, sharey=True, squeeze=False).ravel()
    handles = {}
    for ax, event in zip(axes, events, strict=False):
        for i, p in enumerate(q for q in paths if q["event"] == event):
            colour = GROUP_COLOURS.get(p["group"], OKABE_ITO[i % len(OKABE_ITO)])
            label = f"{p['group']} (N={p['n']})"
            (line,) = ax.plot(
                p["days"],
                100 * p["caar"],
                "-" if p["n"] >= 5 else "--",
                color=colour,
                marker="o",
                ms=3,
                lw=1.5,
            )
            handles.setdefault(label, line)
            if p["n"] >= 5 and np.isfinite(p["low"]).any():
                ax.fill_between(
                    p["days"], 100 * p["low"], 100 * p["high"], color=colour, alpha=0.10, lw=0
                )
                for edge in (p["low"], p["high"]):
                    ax.plot(p["days"], 100 * edge, ls=":", lw=0.8, color=colour)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(0, color="0.4", lw=0.8, ls=":")
        ax.set_title(str(event), fontsize=10)
        ax.set_xticks(res.days)
        ax.grid(alpha=0.25)
    for ax in axes[len(events) :]:
        ax.set_visible(False)
    for ax in axes[::per_row]:
        ax.set_ylabel("CAAR (%)")
    for ax in axes[: len(events)][-per_row:]:
        ax.set_xlabel("event day (sessions relative to day 0)", fontsize=9)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncol=min(len(handles), 3),
        fontsize=8,
        frameon=False,
    )
    return fig


def plot_caar_paths(
    paths: list[dict[str, Any]],
    ax: Any = None,
    title: str = "",
    min_band_n: int = 5,
    xlabel: str = "event day (HKEX sessions relative to day 0)",
    ylabel: str = "cumulative abnormal return (%)",
):
    """CAAR paths (from :func:`caar_paths`) with their bands, one colour per group.

    Cohorts with fewer than ``min_band_n`` securities are drawn dashed without a band:
    a t interval on 2 or 3 degrees of freedom is too wide to read.  A path may carry its
    own ``label``, ``colour`` and line ``style``.
    """
    fig, ax = _axes(ax)
    for i, p in enumerate(paths):
        colour = p.get("colour") or GROUP_COLOURS.get(p["group"], OKABE_ITO[i % len(OKABE_ITO)])
        banded = p["n"] >= min_band_n
        small = 1 < p["n"] < min_band_n  # a cohort too small for a readable band
        label = p.get("label") or f"{p['group']} (N={p['n']}{', no band' if small else ''})"
        ax.plot(
            p["days"],
            100 * p["caar"],
            p.get("style") or ("--" if small else "-"),
            color=colour,
            marker="o",
            ms=3,
            lw=1.6,
            label=label,
        )
        if banded and np.isfinite(p["low"]).any():
            ax.fill_between(
                p["days"], 100 * p["low"], 100 * p["high"], color=colour, alpha=0.13, linewidth=0
            )
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.25)
    return fig


def plot_price_paths(
    levels: Any,
    events: Any,
    ax: Any = None,
    title: str = "",
    reference: str | None = None,
    reference_label: str | None = None,
):
    """Index levels (base 100) with catalogue events marked by number and listed in a key.

    Parameters
    ----------
    levels
        DataFrame, date x series, already rebased to 100.
    events
        DataFrame with ``session`` and ``label`` (one row per marked session).
    reference, reference_label
        The column drawn thicker in black (e.g. the market index) and its legend label.
    """
    import matplotlib.dates as mdates

    key_ax = None
    if ax is None:
        ax, key_ax = new_figure((11.0, 4.8)).subplots(1, 2, width_ratios=[3.1, 1])
        key_ax.axis("off")
    fig = ax.figure
    for i, col in enumerate(levels.columns):
        ref = col == reference
        colour = "#000000" if ref else GROUP_COLOURS.get(col, OKABE_ITO[i % 8])
        ax.plot(
            levels.index,
            levels[col],
            color=colour,
            lw=2.0 if ref else 1.4,
            label=(reference_label or col) if ref else col,
        )
    key = []
    for k, row in enumerate(events.itertuples(index=False), start=1):
        ax.axvline(row.session, color="0.6", lw=0.7, ls="--", zorder=0)
        ax.annotate(
            str(k),
            (row.session, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            ha="center",
            va="bottom",
            xytext=(0, 2 + 8 * (k % 2)),
            textcoords="offset points",
            color="0.15",
        )
        key.append(f"{k:>2}  {row.label}")
    target, x = (key_ax, 0.0) if key_ax is not None else (ax, 1.02)
    target.text(
        x,
        1.0,
        "HKEX day 0 of catalogue events\n\n" + "\n".join(key),
        transform=target.transAxes,
        fontsize=6.6,
        va="top",
        ha="left",
        family="DejaVu Sans Mono",
        wrap=True,
    )
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO, interval=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    ax.set_ylabel("index level (first session = 100)")
    ax.set_xlabel("HKEX session")
    if title:
        ax.set_title(title, fontsize=10, pad=18)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.grid(alpha=0.25)
    return fig


def plot_security_ars(frame: Any, ax: Any = None, title: str = "", alpha: float = 0.05):
    """Horizontal bars of one day's abnormal return per security, sorted, coloured by group.

    ``frame`` has ``security``, ``group``, ``ar`` and ``t_single_p``; bars with
    ``t_single_p < alpha`` are hatched and starred.
    """
    from matplotlib.patches import Patch

    data = frame.sort_values("ar").reset_index(drop=True)
    fig, ax = _axes(ax, figsize=(7.0, 0.22 * len(data) + 1.6))
    colours = [GROUP_COLOURS.get(g, "0.5") for g in data["group"]]
    significant = data["t_single_p"] < alpha
    bars = ax.barh(np.arange(len(data)), 100 * data["ar"], color=colours, height=0.75)
    for bar, sig in zip(bars, significant, strict=True):
        if sig:
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    ax.set_yticks(
        np.arange(len(data)),
        [f"{s}{' *' if sig else ''}" for s, sig in zip(data["security"], significant, strict=True)],
        fontsize=7,
    )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("abnormal return on day 0 (%)")
    groups = list(dict.fromkeys(data["group"]))
    handles = [Patch(color=GROUP_COLOURS.get(g, "0.5"), label=g) for g in groups]
    handles.append(
        Patch(facecolor="0.6", hatch="///", edgecolor="white", label=f"* p < {alpha:g} (t_single)")
    )
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.25)
    return fig


def plot_placebo(result: Any, ax: Any = None, title: str = ""):
    """Placebo distributions of a CAR with the observed value marked."""
    fig, ax = _axes(ax)
    random = 100 * result.random_dates[np.isfinite(result.random_dates)]
    window = 100 * result.in_window[np.isfinite(result.in_window)]
    bins = np.linspace(
        min(random.min(), window.min(), 100 * result.observed) - 0.5,
        max(random.max(), window.max(), 100 * result.observed) + 0.5,
        60,
    )
    ax.hist(
        random,
        bins=bins,
        density=True,
        color=OKABE_ITO[5],
        alpha=0.6,
        label=f"{random.size} random dates (p = {result.p_random_dates:.3f})",
    )
    ax.hist(
        window,
        bins=bins,
        density=True,
        histtype="step",
        color=OKABE_ITO[0],
        lw=1.4,
        label=f"{window.size} estimation-window days (p = {result.p_in_window:.3f})",
    )
    ax.axvline(
        100 * result.observed,
        color=OKABE_ITO[1],
        lw=2,
        label=f"observed {100 * result.observed:+.2f}%",
    )
    ax.axvline(-100 * result.observed, color=OKABE_ITO[1], lw=1, ls=":")
    ax.set_xlabel(f"abnormal return over {result.window} (%)")
    ax.set_ylabel("density")
    ax.set_title(title or f"Placebo distribution: {result.series}, {result.event}", fontsize=10)
    ax.legend(fontsize=7.5, frameon=False)
    ax.grid(alpha=0.25)
    return fig


def plot_coefficients(table: Any, ax: Any = None, title: str = ""):
    """Dot-and-whisker plot of coefficients across specifications.

    ``table`` has ``spec``, ``coef``, ``ci_low``, ``ci_high`` and optionally ``colour``.
    """
    fig, ax = _axes(ax, figsize=(7.0, 0.35 * len(table) + 1.4))
    y = np.arange(len(table))[::-1]
    for yi, row in zip(y, table.itertuples(index=False), strict=True):
        colour = getattr(row, "colour", OKABE_ITO[0])
        ax.plot([100 * row.ci_low, 100 * row.ci_high], [yi, yi], color=colour, lw=2)
        ax.plot(100 * row.coef, yi, "o", color=colour, ms=5)
    ax.set_yticks(y, list(table["spec"]), fontsize=7.5)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("coefficient of the event dummy (%), with 95% interval")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.25)
    return fig


def plot_rolling(
    corr: Any,
    beta: Any,
    events: Any,
    axes: Any = None,
    title: str = "",
    window: int = 60,
    benchmark_label: str = "the benchmark",
):
    """Rolling correlation (top) and beta (bottom) of each series against a benchmark
    (``benchmark_label`` in the axis labels), events marked.
    """
    import matplotlib.dates as mdates

    if axes is None:
        axes = new_figure((8.0, 5.6)).subplots(2, 1, sharex=True)
    fig = axes[0].figure
    for data, ax, label in ((corr, axes[0], "correlation"), (beta, axes[1], "beta")):
        for i, col in enumerate(data.columns):
            ax.plot(
                data.index, data[col], color=GROUP_COLOURS.get(col, OKABE_ITO[i]), lw=1.3, label=col
            )
        for row in events.itertuples(index=False):
            ax.axvline(row.session, color="0.55", lw=0.7, ls="--", zorder=0)
        ax.set_ylabel(f"{window}-session {label}\nwith {benchmark_label}")
        ax.grid(alpha=0.25)
    for k, row in enumerate(events.itertuples(index=False)):
        axes[0].annotate(
            row.label,
            (row.session, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            ha="left",
            va="bottom",
            xytext=(2, 2 + 9 * (k % 2)),
            textcoords="offset points",
        )
    axes[1].axhline(1, color="0.4", lw=0.7)
    axes[1].xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, fontsize=8, frameon=False, loc="outside lower center", ncol=len(labels)
    )
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_size_power(rates: Any, ax: Any = None, title: str = ""):
    """Rejection rate against the induced day-0 abnormal return, one line per test.

    ``rates`` is indexed by test with one column per shock (as fractions, e.g. -0.01).
    """
    fig, ax = _axes(ax)
    shocks = np.array([float(c) for c in rates.columns])
    for i, (test, row) in enumerate(rates.iterrows()):
        ax.plot(
            100 * shocks,
            row.to_numpy(),
            marker="o",
            ms=3,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            ls=("-", "--")[i // len(OKABE_ITO)],
            label=test,
        )
    ax.axhline(0.05, color="0.4", lw=0.8, ls=":")
    ax.set_xlabel("abnormal return induced on day 0 (%)")
    ax.set_ylabel("rejection rate at 5%")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax.grid(alpha=0.25)
    return fig

"""The compact results table: what a reader of a study sees first, in every format.

One table per event: a row per group and event day, and per group over the whole event
window; columns ``n``, the AAR (a day) or CAAR (a window) in percent with two
decimals, its 95% interval (the inversion of the test ``ci_method`` names), then each shown
test as ``statistic (p)`` with stars at 10/5/1% (statistics two decimals, p three).  The
terminal, LaTeX, Markdown, HTML, the notebook and the report all show this table
(:mod:`research.output.report`, :mod:`research.output.export`); the machine formats (CSV,
JSON, Parquet) keep the raw tables at full precision (``--level``).

Labels are never broken: in the terminal an id too long for its column is cut with an
ellipsis (:func:`cut`); the paper formats show it whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

# Short headers of the tests in the compact table (the legend gives the full names)
LABELS = {
    "t_single": "own t",
    "crude_dependence": "crude t",
    "cross_sectional_t": "CS t",
    "patell_z": "Patell z",
    "bmp_t": "BMP t",
    "kolari_pynnonen_t": "KP t",
    "kp_cross_sectional_t": "adj. t",
    "corrado_rank_z": "rank z",
    "sign_z": "sign z",
    "generalized_sign_z": "g-sign z",
    "wilcoxon": "Wilcoxon",
    "adjusted_patell_z": "adj. Patell",
    "adjusted_rank_z": "adj. rank",
    "grank_t": "GRANK t",
    "grank_z": "GRANK z",
    "skewness_corrected_t": "skew t",
    "permutation": "perm. z",
}
STARS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STAR_LEGEND = "* p < 0.10, ** p < 0.05, *** p < 0.01 (two-sided)"
LABEL_WIDTH = 18  # group labels longer than this are cut with an ellipsis


def stars(p: float) -> str:
    """``***``, ``**``, ``*`` or ``""`` for a two-sided p-value."""
    if p is None or not np.isfinite(p):
        return ""
    for level, mark in STARS:
        if p < level:
            return mark
    return ""


def stat_cell(stat: float, p: float) -> str:
    """``-1.99 (0.065)*``: the statistic with two decimals, its p-value with three, stars."""
    if stat is None or not np.isfinite(stat):
        return ""
    shown = "<0.001" if np.isfinite(p) and p < 0.001 else ("" if not np.isfinite(p) else f"{p:.3f}")
    return f"{stat:.2f} ({shown}){stars(p)}" if shown else f"{stat:.2f}"


def p_cell(p: float) -> str:
    """``0.033**``: a p-value on its own (a test whose statistic is its p-value), stars."""
    if p is None or not np.isfinite(p):
        return ""
    return ("<0.001" if p < 0.001 else f"{p:.3f}") + stars(p)


def percent(value: float) -> str:
    """``+1.23%`` (two decimals, signed); empty for a missing value."""
    return "" if value is None or not np.isfinite(value) else f"{100 * value:+.2f}%"


def interval(low: float, high: float, scale: float = 100.0) -> str:
    """``[-5.43, +3.35]`` in percent (``scale`` 1: in the values' own units); empty where
    either end is missing.
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return f"[{scale * low:+.2f}, {scale * high:+.2f}]"


def log_points(value: float) -> str:
    """``-0.27``: an abnormal log volume, two decimals, signed (``exp`` of it less 1 is the
    change in volume: -0.27 is 24% below normal); empty for a missing value.
    """
    return f"{value:+.2f}" if value is not None and np.isfinite(value) else ""


def cut(label: str, width: int = LABEL_WIDTH) -> str:
    """A label no longer than ``width``, cut with an ellipsis rather than broken."""
    label = str(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def day_label(day: int) -> str:
    """``day -1``, ``day 0``, ``day +1``."""
    return f"day {day:+d}" if day else "day 0"


def window_label(a: int, b: int, measure: str = "returns") -> str:
    """``CAR(-1,+1)`` (``CAV(-1,+1)``: cumulative abnormal log volume)."""
    cumulative = "CAV" if measure == "volume" else "CAR"
    return f"{cumulative}({a:+d},{b:+d})".replace("+0", "0")


@dataclass
class CompactTable:
    """One compact table: a title, its cells (text), the label columns and its notes."""

    title: str
    frame: pd.DataFrame
    keys: int = 2
    notes: list[str] = field(default_factory=list)


def _day_interval(row, method: str) -> tuple[float, float]:
    """The 95% interval of a day's AAR: the inversion of ``kp_cross_sectional_t`` (the
    cohort's interval when its ``ci_method`` is that test), else none.
    """
    from scipy import special

    if method != "kp_cross_sectional_t":
        return np.nan, np.nan
    t, n, aar = row.get("kp_cross_sectional_t"), row.get("n"), row.get("aar")
    if not (np.isfinite(t) and t != 0 and n > 1 and np.isfinite(aar)):
        return np.nan, np.nan
    half = special.stdtrit(n - 1, 0.975) * abs(aar / t)
    return aar - half, aar + half


def event_window_rows(res: EventStudyResults) -> pd.DataFrame:
    """The window tests over the whole event window when it is longer than a day (the
    sub-windows stay in ``window_tests``).
    """
    wins = res.window_tests
    w0, w1 = res.settings.window
    return wins[(wins["start"] == w0) & (wins["end"] == w1) & (w0 != w1)]


def compact_tables(res: EventStudyResults, tests: tuple[str, ...]) -> list[CompactTable]:
    """The compact tables of a study, one per event (see the module docstring)."""
    days = res.day_tests
    wins = res.window_tests
    multi = event_window_rows(res)  # the days, then the whole event window
    single_windows = wins[wins["start"] == wins["end"]].set_index(["event", "group", "start"])
    method = wins.groupby(["event", "group"], sort=False)["ci_method"].first()
    label_of = estimate_label(res.settings.measure)
    tables = []
    for event in pd.unique(days["event"]):
        rows = []
        part = days[days["event"] == event]
        for group in pd.unique(part["group"]):
            g_days = part[part["group"] == group]
            how = method.get((event, group), "")
            for row in g_days.to_dict("records"):
                day = int(row["day"])
                if (event, group, day) in single_windows.index:
                    w = single_windows.loc[(event, group, day)]
                    lo, hi = w["caar_ci_low"], w["caar_ci_high"]
                else:
                    lo, hi = _day_interval(row, how)
                rows.append(_row(group, day_label(day), row, row["aar"], lo, hi, tests, label_of))
            g_win = multi[(multi["event"] == event) & (multi["group"] == group)]
            for w in g_win.to_dict("records"):
                label = window_label(int(w["start"]), int(w["end"]), res.settings.measure)
                rows.append(
                    _row(
                        group,
                        label,
                        w,
                        w["caar"],
                        w["caar_ci_low"],
                        w["caar_ci_high"],
                        tests,
                        label_of,
                    )
                )
        frame = pd.DataFrame(rows)
        first, last = part["date"].min(), part["date_last"].max()
        zero = part[part["day"] == 0]
        if len(zero):
            a, b = zero["date"].min(), zero["date_last"].max()
            when = f"day 0 {a:%Y-%m-%d}" + (f"..{b:%Y-%m-%d}" if a != b else "")
        else:
            when = f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
        tables.append(CompactTable(f"{event}, {when}", frame))
    return tables


def other_tests_tables(
    res: EventStudyResults, tests: tuple[str, ...], focus: bool = True
) -> list[CompactTable]:
    """Every other test asked for, one table per event: a row per group and test (none for a
    test with no value there, such as a cross-sectional test of one stock).

    With ``focus`` (the summaries) the columns are day 0 and the whole event window, where
    a study is read; without it, every event day and the whole window.  Every day and window
    of every test is in ``day_tests`` and ``window_tests`` (``--level day|window``).
    """
    days = res.day_tests
    multi = event_window_rows(res)
    tables = []
    for event in pd.unique(days["event"]):
        rows = []
        part = days[days["event"] == event]
        if focus and (part["day"] == 0).any():
            part = part[part["day"] == 0]
        for group in pd.unique(part["group"]):
            g_days = part[part["group"] == group]
            g_win = multi[(multi["event"] == event) & (multi["group"] == group)]
            for name in tests:
                out = {"group": str(group), "test": LABELS.get(name, name)}
                for row in g_days.to_dict("records"):
                    out[day_label(int(row["day"]))] = stat_cell(
                        row.get(name, np.nan), row.get(f"{name}_p", np.nan)
                    )
                for w in g_win.to_dict("records"):
                    span = window_label(int(w["start"]), int(w["end"]), res.settings.measure)
                    out[span] = stat_cell(w.get(name, np.nan), w.get(f"{name}_p", np.nan))
                if any(v for k, v in out.items() if k not in ("group", "test")):
                    rows.append(out)
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        where = " and ".join(str(c) for c in frame.columns[2:])
        title = f"{event}: the other tests" + (f" ({where})" if focus else "")
        tables.append(CompactTable(title, frame))
    return tables


def _row(group, label, row, estimate, lo, hi, tests, estimate_name) -> dict[str, str]:
    volume = estimate_name == estimate_label("volume")
    out = {
        "group": str(group),
        "": label,
        "n": f"{int(row['n'])}" if np.isfinite(row["n"]) else "",
        estimate_name: log_points(estimate) if volume else percent(estimate),
        "95% CI": interval(lo, hi, 1.0 if volume else 100.0),
    }
    for name in tests:
        out[LABELS.get(name, name)] = stat_cell(row.get(name, np.nan), row.get(f"{name}_p", np.nan))
    return out


def estimate_label(measure: str = "returns") -> str:
    """The header of the estimate column: AAR/CAAR, or AAV/CAAV for volume."""
    return "AAV/CAAV" if measure == "volume" else "AAR/CAAR"


ESTIMATE_LABELS = ("AAR/CAAR", "AAV/CAAV")


def legend(tests: tuple[str, ...], measure: str = "returns") -> str:
    """What the cells mean and which test each header names."""
    names = "; ".join(f"{LABELS.get(t, t)} = {t}" for t in tests)
    what = (
        "AAV (average abnormal log volume; exp(AAV) - 1 is the change in volume, -0.27 about "
        "24% below normal) on a day, CAAV over a window, in log units"
        if measure == "volume"
        else "AAR on a day, CAAR over a window, in percent"
    )
    return (
        f"Cells: statistic (two-sided p-value); {STAR_LEGEND}. {what}; 95% CI: the interval "
        f"of the test ci_method names. {names}."
    )


def volatility_tables(res: EventStudyResults, every: bool = False) -> list[CompactTable]:
    """The volatility tests of a study, one table per event: a row per group and level
    (event day, CAR window) with ``n``, the mean variance ratio and the time-series tests
    (with ``every``, the cross-sectional t too; docs/validation.md, section 7, says why
    it does not lead).
    """
    vol = res.volatility
    tables = []
    for event in pd.unique(vol["event"]):
        rows = []
        for r in vol[vol["event"] == event].to_dict("records"):
            level = r["level"]
            if level.startswith("("):
                a, b = (int(x) for x in level.strip("()").split(","))
                level = f"VR({a:+d},{b:+d})".replace("+0", "0")
            row = {
                "group": str(r["group"]),
                "": level,
                "n": f"{int(r['n'])}",
                "VR": "" if not np.isfinite(r["mean_vr"]) else f"{r['mean_vr']:.2f}",
                "time z": stat_cell(r["var_time_z"], r["var_time_z_p"]),
                "rank p": p_cell(r["var_rank_p"]),
            }
            if every:
                row["CS t"] = stat_cell(r["var_cs_t"], r["var_cs_t_p"])
            rows.append(row)
        title = f"{event}: volatility (variance ratio AR^2/s^2)"
        tables.append(CompactTable(title, pd.DataFrame(rows)))
    return tables


def garch_tables(res: EventStudyResults) -> list[CompactTable]:
    """The GARCH(1,1) variance dummies of a study, one table per event: a row per group with
    the fits used (of all), the mean variance change and both tests
    (:mod:`research.estimation.garch_tables`).
    """
    from research.estimation.garch_tables import cohort_garch

    table = cohort_garch(res)
    tables = []
    for event in pd.unique(table["event"]):
        rows = [
            {
                "group": str(r["group"]),
                "fits": f"{int(r['n'])}/{int(r['n'] + r['not_used'])}",
                "var. change": percent(r["mean_variance_change"]),
                "CS t": stat_cell(r["garch_cs_t"], r["garch_cs_t_p"]),
            }
            for r in table[table["event"] == event].to_dict("records")
        ]
        title = f"{event}: GARCH(1,1) market model, event dummy in the variance"
        tables.append(CompactTable(title, pd.DataFrame(rows)))
    return tables

"""Text tables for results objects (statsmodels-style ``summary()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from research.study import EventStudyResults


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    if value is pd.NaT or value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def table(
    frame: pd.DataFrame,
    title: str = "",
    percent: tuple[str, ...] = (),
    percent_rows: np.ndarray | None = None,
) -> str:
    """A ruled fixed-width table; ``percent`` columns are shown as signed percentages (only
    on the rows where ``percent_rows`` is True, when given: e.g. returns, not betas)."""
    shown = frame.copy()
    rows = np.ones(len(shown), dtype=bool) if percent_rows is None else np.asarray(percent_rows)
    for col in percent:
        if col in shown:
            shown[col] = [
                ("" if pd.isna(v) else f"{100 * v:+.2f}%") if pct else _fmt(v)
                for v, pct in zip(shown[col], rows, strict=True)
            ]
    cells = [[_fmt(v) for v in row] for row in shown.itertuples(index=False)]
    header = [str(c) for c in shown.columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    left = [not pd.api.types.is_numeric_dtype(frame[c]) and c not in percent for c in frame.columns]

    def fmt_row(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if lft else v.rjust(w)
            for v, w, lft in zip(values, widths, left, strict=True)
        ).rstrip()

    line = fmt_row(header)
    rule = "=" * max(len(line), *(len(fmt_row(r)) for r in cells)) if cells else "=" * len(line)
    body = [fmt_row(r) for r in cells]
    out = [
        rule,
        title.center(len(rule)).rstrip() if title else "",
        rule if title else "",
        line,
        "-" * len(rule),
    ]
    return "\n".join([x for x in out if x] + body + [rule])


def summary_text(res: EventStudyResults, tests: tuple[str, ...] | None = None) -> str:
    """Settings, alignment, estimation, per-day and per-window tables of a study."""
    s = res.settings
    single = bool(len(res.day_tests)) and bool((res.day_tests["n"] <= 1).all())
    tests = ("t_single",) if single and not tests else (tests or res.headline_tests)
    parts = []
    head = pd.DataFrame(
        {
            "model": [s.model],
            "benchmarks": [", ".join(s.benchmarks) or "-"],
            "returns": [s.return_kind],
            "window": [str(s.window)],
            "estimation": [str(s.estimation)],
            "min_obs": [s.min_obs],
            "firm-events": [int(res.keep.sum())],
            "dropped": [len(res.dropped)],
        }
    )
    parts.append(table(head, "Event study"))
    if res.alignment is not None and len(res.alignment):
        al = res.alignment[["event", "timestamp", "session", "rule"]]
        parts.append(table(al, "Day 0 of each event (alignment rule applied)"))
    est = res.estimation
    if len(est) <= 60:
        cols = [
            c
            for c in ("event", "security", "n_obs", *res.study.model.coef_names, "sigma", "r2")
            if c in est
        ]
        parts.append(table(est.loc[est["kept"], cols], "Estimation (per firm-event)"))
    days = res.day_tests
    cols = ["event", "group", "day", "date", "n", "aar", "caar"]
    for name in tests:
        cols += [name, f"{name}_p"]
    parts.append(table(days[cols], "Abnormal returns by event day", percent=("aar", "caar")))
    win = res.window_tests
    cols = ["event", "group", "window", "n", "caar", "caar_ci_low", "caar_ci_high", "bhar"]
    for name in tests:
        cols += [name, f"{name}_p"]
    parts.append(
        table(
            win[cols],
            "Cumulative abnormal returns by window",
            percent=("caar", "caar_ci_low", "caar_ci_high", "bhar"),
        )
    )
    notes = [n for n in (res.data_note, res.market_note) if n]
    notes += [f"benchmark {t}: {how}" for t, how in (res.benchmark_alignment or {}).items()]
    for row in res.dropped.itertuples(index=False):
        notes.append(f"dropped {row.security} ({row.event}): {row.reason}")
    gaps = res.incomplete_windows
    for (event, security), part in gaps.groupby(["event", "security"], sort=False):
        notes.append(
            f"{security} ({event}) has no return on event day(s) "
            f"{', '.join(sorted(set(', '.join(part['missing_days']).split(', '))))}: "
            f"no CAR over {', '.join(part['window'])}"
        )
    for row in res.overlaps.itertuples(index=False):
        notes.append(
            f"{row.security}: {row.event} / {row.other_event}: {row.kind} (offset {row.offset})"
        )
    if res.quality is not None:
        for row in res.quality.itertuples(index=False):
            notes.append(
                f"{row.ticker}: {row.kind} {row.start:%Y-%m-%d}..{row.end:%Y-%m-%d} "
                f"({row.days} day(s)): {row.action}"
            )
    if res.clustered and not single:
        from research.headline import headline_reason, test_notes

        cl = res.cohort_clustering
        cl = cl[cl["clustered"]]
        marked = test_notes(True)
        flagged = [f"{name}: {marked[name]}" for name in tests if name in marked]
        notes[:0] = [
            "clustered dates ("
            + ", ".join(f"{r.event}/{r.group}: {r.overlapping} of {r.n}" for r in cl.itertuples())
            + " firm-events share event days): "
            + headline_reason(True)
            + "; the CAAR interval is widened for the mean residual correlation "
            "(ci_method dependence-adjusted).",
            *flagged,
        ]
    if notes:
        parts.append("Notes:\n" + "\n".join(f"  [{i + 1}] {n}" for i, n in enumerate(notes)))
    parts.append(
        "p-values are two-sided. t_single: one security, prediction-error corrected; "
        "bmp_t on prediction-error-corrected standardized ARs."
    )
    return "\n\n".join(parts)

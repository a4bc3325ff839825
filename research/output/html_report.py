"""One self-contained HTML page for one or more studies (``eventstudy report``).

The page needs no network to open: its CSS is inline and its figures are PNG images
embedded as data URIs.  It shows, per study, the alignment of each event, the estimation
summary, the headline tables (the tests the study leads with, and the CAAR interval), the
CAAR figure with its bands, each stock's abnormal returns, and the notes.  Every text
cell is escaped (:func:`research.output.export.to_html` rules).
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from research.output.export import html_table

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;
background:#fff}
header{background:#0b3d91;color:#fff;padding:1.2em 2em}
header h1{margin:0;font-size:1.5em}header p{margin:.3em 0 0;opacity:.85}
main{padding:1em 2em;max-width:1200px}
h2{border-bottom:2px solid #0b3d91;padding-bottom:.2em;margin-top:1.6em}
h3{margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.3em 0 1em;font-size:13px}
th,td{padding:3px 8px;border-bottom:1px solid #e1e4e8;white-space:nowrap}
th{background:#f6f8fa;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.sig{font-weight:600;color:#9a1d1d}
td.rule{white-space:normal;min-width:22em}
.notes li{margin:.25em 0}
.figure img{max-width:100%;border:1px solid #e1e4e8}
.lead{background:#f1f8ff;border-left:4px solid #0b3d91;padding:.6em 1em}
.reading{font-size:15px;margin:.4em 0 1em}
.scroll{overflow-x:auto;max-width:100%}
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
@page{size:auto;margin:12mm}
@media print{
header{background:none;color:#000;padding:0 0 .5em;border-bottom:2px solid #000}
main{padding:0;max-width:none}
table{font-size:7.5pt}th,td{padding:1px 4px}th{white-space:normal}
.scroll{overflow:visible}
section{break-before:page}section:first-child{break-before:auto}
tr,img{break-inside:avoid}
.figure img{max-width:100%;border:0}
}
"""


def _table(frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> str:
    return html_table(frame, percent, mark_significant=True, scroll=True)


def _figure_png(res) -> str:
    from research.output.plotting import plot_caar_panels

    fig = plot_caar_panels(res)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        '<div class="figure"><img alt="CAAR paths with their 95% bands, one panel per event" '
        f'src="data:image/png;base64,{data}"></div>'
    )


def _compact_html(frame: pd.DataFrame, right: tuple, cls: str = "") -> str:
    """A compact table (text cells) as escaped HTML; its significant cells in bold red."""
    head = "".join(
        f'<th class="{"num" if c in right else "txt"}">{html.escape(str(c))}</th>'
        for c in frame.columns
    )
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            kind = "num" if c in right else "txt"
            if kind == "num" and str(v).endswith("*") and "**" in str(v):
                kind += " sig"  # p < 0.05
            cells.append(f'<td class="{kind}">{html.escape(str(v))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    attr = f' class="{cls}"' if cls else ""
    return (
        f'<div class="scroll"><table{attr}><thead><tr>{head}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def findings(res, tests: tuple[str, ...], tables: list) -> tuple[pd.DataFrame, str]:
    """The findings table (day 0 and the whole event window of every event and group, from
    the study's compact ``tables``) and one sentence reading it.
    """
    from research.output.compact import LABELS, window_label

    w0, w1 = res.settings.window
    main = window_label(w0, w1)
    parts = []
    for ct in tables:
        event = ct.title.split(",")[0]
        rows = ct.frame[ct.frame[""].isin(("day 0", main))]
        parts.append(rows.assign(event=event))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return frame, ""
    frame = frame[["event", *[c for c in frame.columns if c != "event"]]]
    # what the study could have seen, beside each estimate
    detect = {}
    for _, d in res.day_tests[res.day_tests["day"] == 0].iterrows():
        detect[(d["event"], d["group"], "day 0")] = d.get("mde_80", np.nan)
    wins = res.window_tests
    for _, w in wins[(wins["start"] == w0) & (wins["end"] == w1)].iterrows():
        detect[(w["event"], w["group"], main)] = w.get("mde_80", np.nan)
    frame.insert(
        6,
        "detectable (80%)",
        [
            "" if not np.isfinite(v := detect.get((e, g, r), np.nan)) else f"{100 * v:+.2f}%"
            for e, g, r in zip(frame["event"], frame["group"], frame[""], strict=True)
        ],
    )
    lead = tests[0]
    label = LABELS.get(lead, lead)
    days = res.day_tests[res.day_tests["day"] == 0]
    p = days[f"{lead}_p"] if f"{lead}_p" in days else pd.Series(dtype=float)
    if not p.notna().any():
        return frame, ""

    def pv(value: float) -> str:
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"

    best = days.loc[p.idxmin()]
    others = [
        f"{LABELS.get(t, t)} {pv(best[f'{t}_p'])}"
        for t in tests[1:]
        if f"{t}_p" in best and pd.notna(best[f"{t}_p"])
    ]
    mde = best.get("mde_80", np.nan)
    against = f" against a detectable {100 * mde:+.2f}%" if np.isfinite(mde) else ""
    verdict = (
        "below 5%"
        if best[f"{lead}_p"] < 0.05
        else f"not significant at 5%{against}: too small to tell from an ordinary day"
    )
    reading = (
        f"Strongest day-0 evidence by {label}: {best['group']} on {best['event']}, AAR "
        f"{100 * best['aar']:+.2f}% ({pv(best[f'{lead}_p'])}, {verdict}"
        + (f"; {', '.join(others)}" if others else "")
        + f"). {int((p < 0.05).sum())} of {int(p.notna().sum())} cohorts' day-0 AARs reject "
        f"at 5% by {label}."
    )
    return frame, reading


def study_section(res, title: str) -> str:
    """The section of one study: what it found first, then the figure, then the details."""
    from research.output.compact import compact_tables, legend
    from research.output.notes import study_notes
    from research.stats.headline import headline_reason

    s = res.settings
    single = bool(len(res.day_tests)) and bool((res.day_tests["n"] <= 1).all())
    tests = ("t_single",) if single else tuple(res.headline_tests)
    right = (
        "n",
        "AAR/CAAR",
        "AAV/CAAV",
        "95% CI",
        "detectable (80%)",
        *(c for c in _labels(tests)),
    )
    parts = [f"<h2>{html.escape(title)}</h2>"]
    parts.append(
        '<p class="lead">'
        + html.escape(
            f"{s.model} model on {', '.join(s.benchmarks) or 'its own mean'}; window "
            f"{s.window}, estimation {s.estimation}; {int(res.keep.sum())} firm-events, "
            f"{len(res.dropped)} dropped. Shown: {', '.join(tests)}, because "
            + headline_reason(
                res.clustered, res.staggered, res.smallest_cohort, res.settings.measure
            )
            + "."
        )
        + "</p>"
    )
    compact = compact_tables(res, tests)
    table, reading = findings(res, tests, compact)
    parts += [
        "<h3>Findings: day 0 and the event window</h3>",
        _compact_html(table, right, "findings"),
    ]
    if reading:
        parts.append(f'<p class="reading">{html.escape(reading)}</p>')
    parts.append(f"<p>{html.escape(legend(tests))}</p>")
    parts += ["<h3>CAAR paths</h3>", _figure_png(res)]
    if res.alignment is not None and len(res.alignment):
        al = res.alignment[["event", "timestamp", "session", "rule"]].assign(
            session=lambda f: pd.to_datetime(f["session"]).dt.strftime("%Y-%m-%d")
        )
        parts += ["<h3>Day 0 of each event</h3>", _alignment_html(al)]
    days = "".join(
        f"<h4>{html.escape(ct.title)}</h4>" + _compact_html(ct.frame, right) for ct in compact
    )
    parts.append(f"<details><summary>Every event day</summary>{days}</details>")
    est = res.estimation.loc[res.estimation["kept"]]
    coef = [c for c in (*res.study.model.coef_names, "sigma", "r2") if c in est]
    parts.append(
        "<details><summary>Estimation (per firm-event)</summary>"
        + _table(est[["event", "group", "security", "n_obs", *coef]])
        + "</details>"
    )
    ab = res.abnormal[
        ["event", "group", "security", "day", "date", "ret", "ar", "car", "t_single", "t_single_p"]
    ]
    parts.append(
        "<details><summary>Each stock's abnormal returns</summary>"
        + _table(ab, percent=("ret", "ar", "car"))
        + "</details>"
    )
    notes = study_notes(res, tests)
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts += ["<h3>Notes</h3>", f'<ol class="notes">{items}</ol>']
    return "<section>" + "".join(parts) + "</section>"


def _labels(tests) -> list[str]:
    from research.output.compact import LABELS

    return [LABELS.get(t, t) for t in tests]


def _alignment_html(frame: pd.DataFrame) -> str:
    """The alignment table, its rule column allowed to wrap."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"rule" if c == "rule" else "txt"}">{html.escape(str(v))}</td>'
            for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def study_title(res, i: int) -> str:
    """A title that tells studies apart: number, model and benchmark, events, groups."""
    s = res.settings
    events = ", ".join(map(str, pd.unique(res.events["event"])))
    groups = [str(g) for g in pd.unique(res.events["group"]) if g != "all"]
    who = ", ".join(groups[:4]) + (" ..." if len(groups) > 4 else "")
    if not who:
        who = ", ".join(list(map(str, pd.unique(res.events["security"])))[:4])
    bench = ", ".join(s.benchmarks) or "own mean"
    return f"Study {i + 1}: {who} ({s.model} model, {bench}) around {events}"


def report_page(results, title: str = "Event study report") -> str:
    """The whole page for ``results`` (one or more fitted studies)."""
    from research.output.figures import deterministic_style

    with deterministic_style():
        sections = [study_section(res, study_title(res, i)) for i, res in enumerate(results)]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>Each statistic with its two-sided p-value; "
        "* p &lt; 0.10, ** p &lt; 0.05, *** p &lt; 0.01 (bold red: below 0.05). Generated by "
        "eventstudy report.</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )

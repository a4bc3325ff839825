"""One self-contained HTML page for one or more studies (``eventstudy report``).

The page needs no network to open: its CSS is inline and its figures are PNG images
embedded as data URIs.  It shows, per study, the alignment of each event, the estimation
summary, the headline tables (the tests the study leads with, and the CAAR interval), the
CAAR figure with its bands, each stock's abnormal returns, and the notes.  Every text
cell is escaped (:func:`research.export.to_html` rules).
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from research.export import html_table

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
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.sig{font-weight:600;color:#9a1d1d}
.notes li{margin:.25em 0}
.figure img{max-width:100%;border:1px solid #e1e4e8}
.lead{background:#f1f8ff;border-left:4px solid #0b3d91;padding:.6em 1em}
.scroll{overflow-x:auto;max-width:100%}
"""


def _table(frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> str:
    return html_table(frame, percent, mark_significant=True, scroll=True)


def _figure_png(res) -> str:
    fig = res.plot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        '<div class="figure"><img alt="CAAR paths with their 95% bands" '
        f'src="data:image/png;base64,{data}"></div>'
    )


def study_section(res, title: str) -> str:
    """The section of one study."""
    from research.headline import headline_reason
    from research.report import study_notes

    s = res.settings
    single = bool(len(res.day_tests)) and bool((res.day_tests["n"] <= 1).all())
    tests = ["t_single"] if single else list(res.headline_tests)
    cols = [c for t in tests for c in (t, f"{t}_p")]
    parts = [f"<h2>{html.escape(title)}</h2>"]
    parts.append(
        '<p class="lead">'
        + html.escape(
            f"{s.model} model on {', '.join(s.benchmarks) or 'its own mean'}; window "
            f"{s.window}, estimation {s.estimation}; {int(res.keep.sum())} firm-events, "
            f"{len(res.dropped)} dropped. Shown: {', '.join(tests)}, because "
            f"{headline_reason(res.clustered, res.staggered, res.smallest_cohort)}."
        )
        + "</p>"
    )
    if res.alignment is not None and len(res.alignment):
        parts += [
            "<h3>Day 0 of each event</h3>",
            _table(res.alignment[["event", "timestamp", "session", "rule"]]),
        ]
    est = res.estimation.loc[res.estimation["kept"]]
    coef = [c for c in (*res.study.model.coef_names, "sigma", "r2") if c in est]
    parts += ["<h3>Estimation</h3>", _table(est[["event", "group", "security", "n_obs", *coef]])]
    day = res.day_tests[
        ["event", "group", "day", "date", "n", "aar", "caar", "caar_ci_low", "caar_ci_high", *cols]
    ]
    parts += [
        "<h3>Abnormal returns by event day</h3>",
        _table(day, percent=("aar", "caar", "caar_ci_low", "caar_ci_high")),
    ]
    win = res.window_tests[
        [
            "event",
            "group",
            "window",
            "n",
            "caar",
            "caar_ci_low",
            "caar_ci_high",
            "ci_method",
            "bhar",
            *cols,
        ]
    ]
    parts += [
        "<h3>Cumulative abnormal returns by window</h3>",
        _table(win, percent=("caar", "caar_ci_low", "caar_ci_high", "bhar")),
        "<h3>CAAR paths</h3>",
        _figure_png(res),
    ]
    ab = res.abnormal[
        ["event", "group", "security", "day", "date", "ret", "ar", "car", "t_single", "t_single_p"]
    ]
    parts += [
        "<h3>Each stock's abnormal returns</h3>",
        _table(ab, percent=("ret", "ar", "car")),
    ]
    notes = study_notes(res, tests)
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts += ["<h3>Notes</h3>", f'<ol class="notes">{items}</ol>']
    return "<section>" + "".join(parts) + "</section>"


def report_page(results, title: str = "Event study report") -> str:
    """The whole page for ``results`` (one or more fitted studies)."""
    from research.figures import deterministic_style

    with deterministic_style():
        sections = [
            study_section(res, f"Study {i + 1}: {', '.join(res.events['event'].unique())}")
            for i, res in enumerate(results)
        ]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>p-values are two-sided; bold red: below "
        "0.05. Generated by eventstudy report.</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )

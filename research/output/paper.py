"""A study's compact tables for a paper: LaTeX (booktabs), Markdown and HTML.

What ``eventstudy run --format latex|markdown|html`` writes, and what
:meth:`research.output.report.Summary.as_latex` gives: the tables a reader sees in the terminal
(:mod:`research.output.compact`), each with the study's notes beside it (the legend, the
clustered-date caveat, the tests' notes, the alignment assumptions), every number already
rounded as shown.  Text from a user's files (an event title, a ticker) is escaped.  The raw
tables at full precision are the machine formats' (csv, json, parquet, ``--level``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from research.output.cells import cell_text, is_indented
from research.output.export import latex_float, latex_notes

if TYPE_CHECKING:
    from research.output.report import Summary, SummaryTable

MAX_LATEX_COLUMNS = 10
MAX_LATEX_ROWS = 36  # rows of one float: with its caption and notes, a page


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text the terminal shows (:func:`research.output.cells.cell_text`)."""
    return frame.map(cell_text) if len(frame) else frame.astype(str)


def _chunks(t: SummaryTable) -> list[pd.DataFrame]:
    """The table in pieces of at most :data:`MAX_LATEX_COLUMNS` columns, each repeating
    the label columns.
    """
    frame = _cells(t.frame)
    keys = list(frame.columns[: t.keys or 0])
    rest = [c for c in frame.columns if c not in keys]
    room = max(1, MAX_LATEX_COLUMNS - len(keys))
    return [frame[keys + rest[i : i + room]] for i in range(0, len(rest), room)] or [frame]


def _right(t: SummaryTable) -> set:
    """The columns to right-align: formatted numbers, and numeric columns."""
    numeric = {c for c in t.frame.columns if pd.api.types.is_numeric_dtype(t.frame[c])}
    return numeric | set(t.right)


def _is_result(t: SummaryTable) -> bool:
    """A compact results table (its notes travel with it into a paper)."""
    from research.output.compact import ESTIMATE_LABELS

    estimates = any(label in t.frame.columns for label in ESTIMATE_LABELS)
    return estimates or t.keys == 2 and "test" in t.frame.columns


def summary_latex(summary: Summary) -> str:
    """Every table of a summary as a booktabs ``tabular`` of at most ten columns in a
    ``table`` float, captioned, with the summary's notes in a table-notes block.
    """
    parts = []
    if summary.head:
        parts.append("% " + " ".join(summary.head.split()))  # one comment line
    # the study's notes once, under its last results table (as a paper prints them)
    results = [i for i, t in enumerate(summary.tables) if _is_result(t)]
    # the notes under the last results table; a report of other tables (regressions,
    # correlations) has them after its tables, where a page may break (a float cannot)
    last = results[-1] if results else -1
    for i, t in enumerate(summary.tables):
        notes = [*t.notes, *summary.notes] if i == last else t.notes
        if i in results and i != last:  # the legend, and where the other notes are
            notes = [
                *t.notes,
                *summary.notes[:1],
                f"The study's other notes are under {summary.tables[last].title}.",
            ]
        chunks = _chunks(t)
        for k, piece in enumerate(chunks):
            title = t.title + (f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else "")
            cells = piece.to_numpy().tolist()
            # a float never breaks across pages: a long table goes on in another one
            runs = range(0, max(len(cells), 1), MAX_LATEX_ROWS)
            for r, start in enumerate(runs):
                end = k == len(chunks) - 1 and r == len(runs) - 1
                parts.append(
                    latex_float(
                        cells[start : start + MAX_LATEX_ROWS],
                        list(piece.columns),
                        title + (" (continued)" if r else ""),
                        _right(t),
                        notes if end else None,
                    )
                )
    if not results and summary.notes:
        parts.append(
            "\\begin{flushleft}\\footnotesize\n" + latex_notes(summary.notes) + "\n\\end{flushleft}"
        )
    return "% needs \\usepackage{booktabs}\n" + "\n\n".join(parts) + "\n"


INDENT = "&nbsp;&nbsp;&nbsp;&nbsp;"  # a row under a heading row (Markdown and HTML)


def _md(text: str) -> str:
    # Markdown renderers pass raw HTML through: escape it too
    indent = INDENT if is_indented(str(text)) else ""
    text = html.escape(" ".join(str(text).split()), quote=False)
    # (stars escaped: '**' would open bold)
    return indent + text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")


def summary_markdown(summary: Summary) -> str:
    """The summary as Markdown: the settings, each table under a heading, the notes."""
    parts = [_md(summary.head)] if summary.head else []
    for t in summary.tables:
        frame = _cells(t.frame)
        head = "| " + " | ".join(_md(c) for c in frame.columns) + " |"
        right = _right(t)
        rule = "|" + "".join("---:|" if c in right else "---|" for c in frame.columns)
        body = ["| " + " | ".join(_md(v) for v in row) + " |" for row in frame.to_numpy()]
        parts.append("\n".join([f"## {_md(t.title)}", "", head, rule, *body]))
        parts += [_md(n) for n in t.notes]
    if summary.notes:
        parts.append("\n".join(f"{i + 1}. {_md(n)}" for i, n in enumerate(summary.notes)))
    return "\n\n".join(parts) + "\n"


NOTEBOOK_CSS = (
    ".es-summary{font-family:system-ui,-apple-system,sans-serif;font-size:13px;color:#222;"
    "max-width:100%}"
    ".es-summary h4{margin:14px 0 4px;font-size:14px}"
    ".es-summary table{border-collapse:collapse;margin:0 0 10px;max-width:100%}"
    ".es-summary th,.es-summary td{padding:2px 8px;border-bottom:1px solid #e3e3e3;"
    "white-space:nowrap;text-align:left}"
    ".es-summary th{background:#f5f5f5;font-weight:600}"
    ".es-summary td.num,.es-summary th.num{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".es-summary .es-wrap{overflow-x:auto}"
    ".es-summary ol,.es-summary p{text-align:left;margin:4px 0;line-height:1.35;"
    "white-space:normal}"
    ".es-summary img{max-width:520px;display:block;margin:6px 0}"
)


def _html_cell(text: str) -> str:
    """A cell escaped; one indented under a heading row keeps its indent."""
    if is_indented(text):
        return INDENT + html.escape(text.strip())
    return html.escape(text)


def table_html(t: SummaryTable) -> str:
    """One compact table as escaped HTML, numbers right-aligned."""
    frame = _cells(t.frame)
    right = _right(t)
    cls = ["num" if c in right else "txt" for c in frame.columns]
    head = "".join(
        f'<th class="{k}">{html.escape(str(c))}</th>'
        for c, k in zip(frame.columns, cls, strict=True)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{k}">{_html_cell(str(v))}</td>' for v, k in zip(row, cls, strict=True)
        )
        + "</tr>"
        for row in frame.to_numpy()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def figure_img(fig, alt: str, dpi: int = 90) -> str:
    """A matplotlib figure as an ``<img>`` with a PNG data URI (no file, no network); the
    figure is closed.
    """
    import base64
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def summary_html(summary: Summary, figure: str = "") -> str:
    """The summary as one HTML fragment with its own scoped style (a notebook cell, a
    page): settings, tables, notes, and ``figure`` (an ``<img>``) when given.
    """
    parts = [f"<style>{NOTEBOOK_CSS}</style>", '<div class="es-summary">']
    if summary.head:
        parts.append(f"<p>{html.escape(summary.head)}</p>")
    for t in summary.tables:
        parts.append(f"<h4>{html.escape(t.title)}</h4>")
        parts.append(f'<div class="es-wrap">{table_html(t)}</div>')
        parts += [f"<p>{html.escape(n)}</p>" for n in t.notes]
    if figure:
        parts.append(figure)
    if summary.notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in summary.notes)
        parts.append(f"<p><b>Notes</b></p><ol>{items}</ol>")
    parts.append("</div>")
    return "".join(parts)


def summaries_page(summaries: list[Summary], title: str = "Event study") -> str:
    """Several studies' summaries as one self-contained HTML page."""
    body = "".join(summary_html(s) for s in summaries)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def render_summaries(summaries: list[Summary], fmt: str, title: str = "Event study") -> str:
    """``latex``, ``markdown`` or ``html`` of several studies' summaries."""
    if fmt == "latex":
        return "\n".join(summary_latex(s) for s in summaries)
    if fmt == "markdown":
        return "\n".join(summary_markdown(s) for s in summaries)
    return summaries_page(summaries, title)


def notebook_html(res) -> str:
    """A notebook's view of a study: the one-line repr, the compact tables with their notes
    in a scoped style, and a small CAAR figure inline.
    """
    try:
        figure = figure_img(res.plot(), "CAAR paths with their 95% bands")
    except Exception:  # a figure is a nicety: the tables still show
        figure = ""
    head = f'<pre style="white-space:pre-wrap">{html.escape(repr(res))}</pre>'
    return head + summary_html(res.summary(), figure)

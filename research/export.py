"""Results tables in the formats a paper or a spreadsheet takes.

Every command that outputs data (``run``, ``regress``, ``correlate``) hands its tables here
as named frames.  Text formats (csv, json, markdown, latex, html) are returned as text;
binary formats (xlsx through openpyxl, parquet through pyarrow, both optional extras:
``pip install "research[export]"``) are written to a file.  csv and parquet hold one table
(the caller picks it: ``--level``); the others hold every table.

Whatever comes from a user's files (an event title, a ticker, a group name) is escaped
for the format it lands in: HTML entities, LaTeX specials, Markdown pipes, and cells that
a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` at the start of a text
cell) are prefixed with an apostrophe in csv and xlsx (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research.errors import EventStudyError, OptionError

TEXT_FORMATS = ("csv", "json", "markdown", "latex", "html")
BINARY_FORMATS = ("xlsx", "parquet")
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _cell(value: object) -> str:
    """A value as text for markdown, LaTeX and HTML: floats to 6 significant digits,
    dates as YYYY-MM-DD, missing values empty.
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def defuse(value: object) -> object:
    """A text cell a spreadsheet would evaluate (``=cmd()``, ``+1``, ``@SUM``) as plain text:
    prefixed with an apostrophe.  Numbers are left alone.
    """
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(defuse)
    out.columns = [defuse(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """One table as CSV (dates YYYY-MM-DD, full float precision, formulas defused)."""
    return _defused(frame).to_csv(index=False, date_format="%Y-%m-%d")


def to_markdown(tables: Mapping[str, pd.DataFrame]) -> str:
    """Every table as a GitHub-flavoured Markdown table under a heading."""

    def esc(text: str) -> str:
        # Markdown renderers pass raw HTML through: escape it too
        text = html.escape(" ".join(text.split()), quote=False)
        return text.replace("\\", "\\\\").replace("|", "\\|")

    parts = []
    for name, frame in tables.items():
        head = "| " + " | ".join(esc(str(c)) for c in frame.columns) + " |"
        rule = "|" + "---|" * len(frame.columns)
        body = [
            "| " + " | ".join(esc(_cell(v)) for v in row) + " |"
            for row in frame.itertuples(index=False)
        ]
        parts.append("\n".join([f"## {esc(name)}", "", head, rule, *body]))
    return "\n\n".join(parts) + "\n"


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(text.split()))  # no line breaks


def to_latex(tables: Mapping[str, pd.DataFrame]) -> str:
    """Every table as a ``tabular`` in a ``table`` float (booktabs rules), captioned with
    its name; numbers right-aligned, text left-aligned.
    """
    parts = []
    for name, frame in tables.items():
        align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame)
        head = " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\"
        body = [
            " & ".join(latex_escape(_cell(v)) for v in row) + r" \\"
            for row in frame.itertuples(index=False)
        ]
        parts.append(
            "\n".join(
                [
                    r"\begin{table}[htbp]",
                    r"\centering",
                    rf"\caption{{{latex_escape(name)}}}",
                    rf"\begin{{tabular}}{{{align}}}",
                    r"\toprule",
                    head,
                    r"\midrule",
                    *body,
                    r"\bottomrule",
                    r"\end{tabular}",
                    r"\end{table}",
                ]
            )
        )
    return "% needs \\usepackage{booktabs}\n" + "\n\n".join(parts) + "\n"


def html_table(
    frame: pd.DataFrame,
    percent: tuple[str, ...] = (),
    mark_significant: bool = False,
    scroll: bool = False,
) -> str:
    """One escaped HTML table: numbers right-aligned (class ``num``), ``percent`` columns
    as signed percentages, p-values below 0.05 of class ``sig`` when ``mark_significant``,
    wrapped in a horizontally scrolling ``div`` when ``scroll``.
    """

    def cell(col, value):
        numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        if col in percent and numeric:
            text = "" if pd.isna(value) else f"{100 * value:+.2f}%"
        else:
            text = _cell(value)
        sig = mark_significant and col.endswith("_p") and numeric and value < 0.05
        cls = "num sig" if sig else ("num" if numeric else "txt")
        return f'<td class="{cls}">{html.escape(text)}</td>'

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(cell(c, v) for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f'<div class="scroll">{out}</div>' if scroll else out


def to_html(tables: Mapping[str, pd.DataFrame], title: str = "Event study") -> str:
    """One self-contained HTML page with every table (escaped), no external resources."""
    sections = [
        f"<section><h2>{html.escape(name)}</h2>{html_table(frame)}</section>"
        for name, frame in tables.items()
    ]
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:0 0 2em;font-size:13px}"
        "th,td{padding:3px 8px;border-bottom:1px solid #ddd}"
        "th{background:#f3f3f3;text-align:left}td.num{text-align:right;"
        "font-variant-numeric:tabular-nums}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{''.join(sections)}</body></html>\n"
    )


def _need(module: str, fmt: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise EventStudyError(
            f'--format {fmt} needs the {module} package: pip install "research[export]" '
            f"(or pip install {module})."
        ) from None


def to_xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Every table on its own sheet (names cut to Excel's 31 characters), text cells that
    look like formulas defused.
    """
    _need("openpyxl", "xlsx")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        used: set[str] = set()
        for name, frame in tables.items():
            sheet = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
            while sheet in used:
                sheet = sheet[:29] + f"_{len(used)}"
            used.add(sheet)
            out = _defused(frame)
            for col in out.columns:  # Excel has no time zones
                if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                    out[col] = out[col].dt.tz_localize(None)
            out.to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def to_parquet(frame: pd.DataFrame) -> bytes:
    """One table as Parquet (pyarrow)."""
    _need("pyarrow", "parquet")
    buffer = io.BytesIO()
    out = frame.copy()
    for col in out.columns:  # mixed-type text columns as strings
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    out.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def render(
    tables: Mapping[str, pd.DataFrame],
    fmt: str,
    main: str,
    json_text: str | None = None,
    title: str = "Event study",
) -> str | bytes:
    """The tables in ``fmt``; ``main`` names the table csv and parquet hold."""
    if fmt == "json":
        if json_text is None:
            raise EventStudyError("No JSON form for this output.")
        return json_text
    if fmt in ("csv", "parquet"):
        if main not in tables:
            raise EventStudyError(
                f"No table {main!r} here; choose one of {', '.join(tables)} (--level)."
            )
        return to_csv(tables[main]) if fmt == "csv" else to_parquet(tables[main])
    if fmt == "markdown":
        return to_markdown(tables)
    if fmt == "latex":
        return to_latex(tables)
    if fmt == "html":
        return to_html(tables, title)
    if fmt == "xlsx":
        return to_xlsx(tables)
    raise OptionError(f"Unknown format {fmt!r}.")


def write_output(data: str | bytes, output: Path) -> None:
    """Write ``data`` to ``output`` atomically (a temp file in the same folder, then a
    rename), with the permissions a new file normally gets (0666 less the umask).
    """
    from research.store import atomic_write

    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # a replaced file keeps its permissions; a new one gets 0666 less the umask (the
        # temporary file a rename brings in is 0600)
        mode = output.stat().st_mode & 0o777 if output.exists() else None
        atomic_write(output, payload)
        if mode is None:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.chmod(output, mode)
    except OSError as exc:
        raise EventStudyError(f"Cannot write {output}: {exc.strerror}.") from None


def json_records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A frame as JSON-ready records: dates as ``YYYY-MM-DD``, NaN and infinities as
    ``None``, numpy scalars as Python ones (``[]`` for no frame).
    """
    if frame is None or frame.empty:
        return []
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    records = out.to_dict(orient="records")
    for rec in records:
        for k, v in rec.items():
            if isinstance(v, np.generic):
                rec[k] = v.item()
            if isinstance(v, float) and not np.isfinite(v):
                rec[k] = None
    return records

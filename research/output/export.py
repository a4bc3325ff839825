"""Results tables in the formats a paper or a spreadsheet takes.

Every command that outputs data (``run``, ``regress``, ``correlate``) hands its tables here
as named frames.  Text formats (csv, json, markdown, latex, html) are returned as text;
binary formats (xlsx through openpyxl, an optional extra: ``pip install
"market-event-study[export]"``; parquet through pyarrow) are written to a file.  csv and
parquet hold one table (the caller picks it: ``--level``); the others hold every table.

Whatever comes from a user's files (an event title, a ticker, a group name) is escaped
for the format it lands in: HTML entities, LaTeX specials, Markdown pipes, and cells that
a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` at the start of a text
cell) are prefixed with an apostrophe in csv and xlsx (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import datetime as dt
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
from research.output.cells import is_heading, is_indented

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
    "<": r"\textless{}",  # OT1 fonts print < and > as inverted punctuation
    ">": r"\textgreater{}",
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
    """``text`` with LaTeX's special characters escaped (and ``--`` kept two hyphens, not
    an en dash: an option name).
    """
    text = "".join(_LATEX.get(ch, ch) for ch in " ".join(text.split()))  # no line breaks
    return text.replace("--", "-{}-")


def _latex_cell(text: str) -> str:
    """A cell escaped; one indented under a heading row keeps its indent (a quad)."""
    if is_indented(text):
        return r"\quad " + latex_escape(text.strip())
    return latex_escape(text)


# Characters beyond which a LaTeX text column wraps (a p{} column): about half a text width
# of a table's small print.
LATEX_WRAP = 48


def latex_float(
    cells: list[list[str]],
    columns: list[str],
    title: str,
    right: set | frozenset = frozenset(),
    notes: list[str] | None = None,
) -> str:
    """One booktabs ``tabular`` in a captioned ``table`` float: ``right`` columns
    right-aligned, every cell and the notes (a table-notes block, numbered) escaped.
    """
    # a heading row spans the table, and is not what sizes its first column
    sized = [row for row in cells if not is_heading(row)]
    widest = [
        max([len(str(c)), *(len(str(row[j])) for row in sized)]) for j, c in enumerate(columns)
    ]
    # a text column whose cells run long (an alignment rule, a title) wraps in a
    # paragraph column instead of running off the page; the first column (the rows'
    # identifier) never does
    align = "".join(
        "r" if c in right else (r"p{0.45\linewidth}" if w > LATEX_WRAP and j else "l")
        for j, (c, w) in enumerate(zip(columns, widest, strict=True))
    )
    span = sum(min(w, LATEX_WRAP) for w in widest) + 2 * len(columns)  # about, in characters
    size = [r"\footnotesize"] if span > 85 else [r"\small"] if span > 70 else []

    def row_tex(row) -> str:
        if is_heading(row):
            return rf"\multicolumn{{{len(columns)}}}{{l}}{{{_latex_cell(str(row[0]))}}} \\"
        return " & ".join(_latex_cell(str(v)) for v in row) + r" \\"

    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        *size,
        rf"\caption{{{latex_escape(title)}}}",
        rf"\begin{{tabular}}{{{align}}}",
        r"\toprule",
        " & ".join(latex_escape(str(c)) for c in columns) + r" \\",
        r"\midrule",
        *(row_tex(row) for row in cells),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    if notes:
        lines += [
            r"\par\smallskip",
            r"\begin{minipage}{\linewidth}\footnotesize\raggedright",
            latex_notes(notes),
            r"\end{minipage}",
        ]
    lines.append(r"\end{table}")
    return "\n".join(lines)


def latex_notes(notes: list[str]) -> str:
    """``Notes: [1] ... [2] ...``, escaped, one per line."""
    text = r" \newline ".join(f"[{i + 1}] {latex_escape(n)}" for i, n in enumerate(notes))
    return r"\textit{Notes:} " + text


def to_latex(tables: Mapping[str, pd.DataFrame]) -> str:
    """Every table as a ``tabular`` in a ``table`` float (booktabs rules), captioned with
    its name; numbers right-aligned, text left-aligned.
    """
    parts = [
        latex_float(
            [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
            list(frame.columns),
            name,
            {c for c in frame if pd.api.types.is_numeric_dtype(frame[c])},
        )
        for name, frame in tables.items()
    ]
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


_PERCENT = frozenset(
    {
        "aar",
        "caar",
        "car",
        "ar",
        "ret",
        "normal",
        "bhar",
        "caar_ci_low",
        "caar_ci_high",
        "return",
        "abnormal_return",
    }
)
_XLSX_PERCENT = "0.00%"
_XLSX_PVALUE = "0.000"
_XLSX_STATISTIC = "0.0000"
_XLSX_INTEGER = "0"
_XLSX_DATE = "yyyy-mm-dd"
_XLSX_DATETIME = "yyyy-mm-dd hh:mm:ss"
_XLSX_WIDTH = (10, 50)  # column widths in characters, smallest and largest
_XLSX_NOTE_WIDTH = 120
_NUMBER = (int, float, np.number)


def _sheet_name(name: str, used: set[str]) -> str:
    r"""``name`` as a sheet name Excel takes: no ``[]:*?/\``, no apostrophe at either end,
    31 characters at most, unlike every name in ``used`` (Excel ignores case there).
    """
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "table"
    sheet, k = base, 1
    while sheet.lower() in used:
        sheet = f"{base[: 30 - len(str(k))]}_{k}"
        k += 1
    used.add(sheet.lower())
    return sheet


def _number_format(
    name: str, series: pd.Series, percent: tuple[str, ...], pvalues: tuple[str, ...]
) -> str | None:
    """The display format of a numeric column (``None``: not a number column)."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if name in percent:
        return _XLSX_PERCENT
    if name in pvalues:
        return _XLSX_PVALUE
    if name in _PERCENT:
        return _XLSX_PERCENT
    if name.endswith("_p") or name == "p":
        return _XLSX_PVALUE
    if pd.api.types.is_integer_dtype(series):
        return _XLSX_INTEGER
    return _XLSX_STATISTIC


def _shown_length(value: object, number_format: str | None) -> int:
    """About how many characters Excel shows for a cell holding ``value``."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, dt.datetime):
        return 10 if value.time() == dt.time() else 19
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, _NUMBER):
        if not np.isfinite(value):
            return 4
        if number_format == _XLSX_PERCENT:
            return len(f"{100 * value:.2f}%")
        if number_format in (_XLSX_PVALUE, _XLSX_STATISTIC):
            return len(f"{value:.{len(number_format) - 2}f}")
        if number_format == _XLSX_INTEGER:
            return len(f"{value:.0f}")
        return len(f"{value:.10g}")
    return max(len(line) for line in str(value).splitlines() or [""])


def _dress(sheet, formats: list[str | None] | None = None, widths: dict[int, float] | None = None):
    """Bold the header row of ``sheet``, freeze it, give each column its number format
    (``formats``: one per column, ``None`` for General; dates always as dates, with the time
    unless it is midnight) and a width that fits its content, or the one in ``widths``.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    lo, hi = _XLSX_WIDTH
    for j, column in enumerate(sheet.iter_cols(), start=1):
        fmt = formats[j - 1] if formats and j <= len(formats) else None
        longest = 0
        for i, cell in enumerate(column):
            if i == 0:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(horizontal="center", vertical="top")
                longest = _shown_length(cell.value, None)
                continue
            value = cell.value
            if isinstance(value, dt.datetime):
                cell.number_format = _XLSX_DATE if value.time() == dt.time() else _XLSX_DATETIME
            elif isinstance(value, dt.date):
                cell.number_format = _XLSX_DATE
            elif fmt is not None and isinstance(value, _NUMBER) and not isinstance(value, bool):
                cell.number_format = fmt
            longest = max(longest, _shown_length(value, fmt))
        width = (widths or {}).get(j, min(max(longest + 2, lo), hi))
        sheet.column_dimensions[get_column_letter(j)].width = width


def _setting_plain(value: object) -> object:
    """A setting as one cell, before defusing: numbers and booleans as they are, a sequence
    as text (``(-1, 1)`` for numbers, else its items separated by commas, ``none`` when
    empty), a date as ``YYYY-MM-DD``, nothing as an empty cell.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_setting_plain(v)}" for k, v in value.items())
    if isinstance(value, (tuple, list, set, frozenset)):
        items = list(value)
        if not items:
            return "none"
        if all(isinstance(v, (int, float, np.number)) for v in items):
            return "(" + ", ".join(str(v) for v in items) + ")"
        return ", ".join(str(_setting_plain(v)) for v in items)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return _cell(pd.Timestamp(value))
    return str(value)


def _setting_value(value: object) -> object:
    """A setting as one cell (:func:`_setting_plain`), text that looks like a formula
    defused.
    """
    return defuse(_setting_plain(value))


def _settings_frame(settings: Mapping[str, object] | pd.DataFrame) -> pd.DataFrame:
    """The settings as rows ``setting, value``: a mapping as it is; a frame with one row
    per study transposed (one value column per study, named by the frame's index; a single
    row gives the column ``value``); a frame that has a ``setting`` column as it is.
    """
    if isinstance(settings, pd.DataFrame):
        if "setting" in settings.columns:
            frame = settings.astype(object)
            for j in range(frame.shape[1]):
                frame.iloc[:, j] = [_setting_value(v) for v in frame.iloc[:, j]]
            frame.columns = [defuse(str(c)) for c in frame.columns]
            return frame
        labels = ["value"] if len(settings) == 1 else [str(k) for k in settings.index]
        rows = [
            [defuse(str(name)), *(_setting_value(v) for v in settings.iloc[:, j].tolist())]
            for j, name in enumerate(settings.columns)
        ]
        return pd.DataFrame(rows, columns=["setting", *map(defuse, labels)], dtype=object)
    rows = [[defuse(str(k)), _setting_value(v)] for k, v in settings.items()]
    return pd.DataFrame(rows, columns=["setting", "value"], dtype=object)


def to_xlsx(
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, object] | pd.DataFrame | None = None,
    notes: list[str] | tuple[str, ...] | None = None,
    percent: tuple[str, ...] = (),
    pvalues: tuple[str, ...] = (),
) -> bytes:
    """A workbook for a paper: the settings, every table on its own sheet, the notes.

    Parameters
    ----------
    tables
        The tables, each on a sheet of its name (cut to Excel's 31 characters).
    settings
        What produced the tables (model, benchmarks, windows, market, the command's
        options), on a first sheet ``settings`` with the columns ``setting`` and ``value``:
        a mapping, or a frame with one row per study (several rows give one value column
        per study, named by the frame's index).  ``None``: no settings sheet.
    notes
        One sentence each, on a last sheet ``notes`` (column ``note``, wrapped text).
        ``None``: no notes sheet.
    percent
        Further columns holding returns, shown as ``0.00%`` like ``aar``, ``caar``,
        ``car``, ``ar``, ``ret``, ``normal``, ``bhar`` and the CAAR interval.
    pvalues
        Further columns holding p-values, shown as ``0.000`` like the columns named ``p``
        or ending in ``_p``.

    Returns
    -------
    bytes
        The xlsx file.

    Notes
    -----
    Every sheet has its header row frozen and bold, and columns as wide as their content
    (10 to 50 characters).  Cells keep full precision; only their display changes: dates
    as ``yyyy-mm-dd`` (with the time when it is not midnight; time zones removed, Excel has
    none), returns as percentages, p-values to three decimals, other floats to four,
    integers without decimals.  Text cells that look like formulas are defused (prefixed
    with an apostrophe), the names of the sheets and columns too.
    """
    _need("openpyxl", "xlsx")
    from openpyxl.styles import Alignment

    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer, engine="openpyxl", date_format=_XLSX_DATE, datetime_format=_XLSX_DATETIME
    ) as writer:
        used = {n for n, given in (("settings", settings), ("notes", notes)) if given is not None}
        if settings is not None:
            _settings_frame(settings).to_excel(writer, sheet_name="settings", index=False)
            _dress(writer.sheets["settings"])
        for name, frame in tables.items():
            sheet = _sheet_name(str(name), used)
            out = _defused(frame)
            for col in out.columns:  # Excel has no time zones
                if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                    out[col] = out[col].dt.tz_localize(None)
            out.to_excel(writer, sheet_name=sheet, index=False)
            formats = [
                _number_format(str(c), frame.iloc[:, j], tuple(percent), tuple(pvalues))
                for j, c in enumerate(frame.columns)
            ]
            _dress(writer.sheets[sheet], formats)
        if notes is not None:
            frame = pd.DataFrame({"note": [defuse(str(n)) for n in notes]}, dtype=object)
            frame.to_excel(writer, sheet_name="notes", index=False)
            ws = writer.sheets["notes"]
            _dress(ws, widths={1: _XLSX_NOTE_WIDTH})
            for row in ws.iter_rows(min_row=2):
                row[0].alignment = Alignment(wrap_text=True, vertical="top")
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
    *,
    settings: Mapping[str, object] | pd.DataFrame | None = None,
    notes: list[str] | tuple[str, ...] | None = None,
) -> str | bytes:
    """The tables in ``fmt``; ``main`` names the table csv and parquet hold.

    ``settings`` and ``notes`` (what produced the tables, and the notes on them) go on
    the first and last sheets of xlsx (:func:`to_xlsx`); the other formats ignore them.
    """
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
        return to_xlsx(tables, settings=settings, notes=notes)
    raise OptionError(f"Unknown format {fmt!r}.")


def write_output(data: str | bytes, output: Path) -> None:
    """Write ``data`` to ``output`` atomically (a temp file in the same folder, then a
    rename), with the permissions a new file normally gets (0666 less the umask).
    """
    from research.files import atomic_write

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

"""A table cell as text: what the terminal, the paper formats and the report show for a
float, a date or a missing value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cell_text", "is_heading", "is_indented"]


def cell_text(value: object) -> str:
    """A cell as the text tables show: floats to four decimals (one above 1,000), dates as
    YYYY-MM-DD, missing values empty.
    """
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    if value is pd.NaT or value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def is_heading(row) -> bool:
    """A heading row: text in its first cell and nothing in the others (a session, a
    series); every form draws it across its table.
    """
    return len(row) > 1 and bool(str(row[0]).strip()) and not any(str(v) for v in row[1:])


def is_indented(text: str) -> bool:
    """A cell of a row under a heading row: it opens with two spaces."""
    return text.startswith("  ") and bool(text.strip())

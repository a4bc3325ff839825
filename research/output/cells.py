"""A table cell as text: what the terminal, the paper formats and the report show for a
float, a date or a missing value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cell_text"]


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

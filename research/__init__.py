"""Event studies of market reactions.

Did prices move abnormally when something happened, by how much, and how sure
can we be?  The package pairs a dated event catalogue with stored daily prices,
aligns every event to the first exchange session that could react, estimates a
return model on an estimation window and tests the abnormal returns.

The heavy modules are imported lazily: ``import research`` is cheap and the
public names below resolve on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"  # the version of pyproject.toml (a test holds the two equal)

_PUBLIC = {
    "EventStudy": "research.study",
    "EventStudyResults": "research.results",
    "PriceStore": "research.store",
    "load_pairs": "research.pairs",
    "read_price_csv": "research.prices",
    "load_catalogue": "research.events",
    "align_events": "research.events",
    "market_sessions": "research.markets",
    "compute_returns": "research.returns",
    "EventStudyError": "research.errors",
    "run_study": "research.analysis",
    "run_regressions": "research.analysis",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'research' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

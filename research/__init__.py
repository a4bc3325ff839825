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

from research import _moved

__version__ = "0.2.0"  # the version of pyproject.toml (a test holds the two equal)

_PUBLIC = {
    "EventStudy": "research.estimation.study",
    "EventStudyResults": "research.estimation.results",
    "PriceStore": "research.data.store",
    "load_pairs": "research.data.pairs",
    "read_price_csv": "research.data.prices",
    "load_catalogue": "research.data.events",
    "align_events": "research.data.events",
    "market_sessions": "research.data.markets",
    "compute_returns": "research.data.returns",
    "EventStudyError": "research.errors",
    "run_study": "research.analyses.analysis",
    "run_regressions": "research.analyses.regressions",
}

__all__ = [*_PUBLIC, "__version__"]

_moved.install()  # the modules' old flat paths, with a warning (research/_moved.py)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'research' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

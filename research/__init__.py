"""Event studies of market reactions.

Did prices move abnormally when something happened, by how much, and how sure
can we be?  The package pairs a dated event catalogue with stored daily prices,
aligns every event to the first exchange session that could react, estimates a
return model on an estimation window and tests the abnormal returns.

The public API is at the top, ``import research as rs``: ``rs.run_study(...)``,
``rs.EventStudy``, ``rs.PriceStore`` and the names in ``__all__``; the modules sit in one
subpackage per layer (``research.data``, ``research.stats``, ``research.estimation``,
``research.analyses``, ``research.output``, ``research.cli``, ``research.cases``; see
docs/architecture.md).  The heavy modules are imported lazily: ``import research`` is
cheap and the public names resolve on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from research import _moved

__version__ = "0.2.0"  # the version of pyproject.toml (a test holds the two equal)

_PUBLIC = {
    # a study: from what a user asks, or from returns directly
    "run_study": "research.analyses.analysis",
    "StudyRequest": "research.analyses.requests",
    "EventStudy": "research.estimation.study",
    "EventStudyResults": "research.estimation.results",
    # the studies built on it
    "run_regressions": "research.analyses.regressions",
    "correlate": "research.analyses.correlation",
    # data
    "PriceStore": "research.data.store",
    "read_price_csv": "research.data.prices",
    "build_inputs": "research.data.inputs",
    "load_pairs": "research.data.pairs",
    "load_catalogue": "research.data.events",
    "align_events": "research.data.events",
    "market_sessions": "research.data.markets",
    "compute_returns": "research.data.returns",
    "trade_to_trade_returns": "research.data.returns",
    # errors
    "EventStudyError": "research.errors",
}

__all__ = [*_PUBLIC, "__version__"]

_moved.install()  # the modules' old flat paths, with a warning (research/_moved.py)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'research' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""Results as plain data: the JSON payload of a study (``eventstudy run --format json``,
``res.to_dict()``), every table as records.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from research.output.export import json_records
from research.stats.headline import headline_reason, test_notes

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["study_record"]


def study_record(res: EventStudyResults) -> dict[str, Any]:
    """Everything a study holds as plain data: headline tests and why, settings, notes,
    and every table as records (NaN as None).
    """
    est = res.estimation

    return {
        "headline_tests": list(res.headline_tests),
        "headline_reason": headline_reason(res.clustered, res.staggered, res.smallest_cohort),
        "test_notes": test_notes(res.clustered),
        "cohorts": json_records(res.cohort_clustering),
        "settings": asdict(res.settings),
        "alignment": json_records(res.alignment),
        "market": res.market_note,
        "data": res.data_note,
        "benchmark_alignment": res.benchmark_alignment or {},
        "estimation": json_records(est),
        "dropped": json_records(res.dropped),
        "overlaps": json_records(res.overlaps),
        "incomplete_windows": json_records(res.incomplete_windows),
        "quality": json_records(res.quality),
        "days": json_records(res.day_tests),
        "windows": json_records(res.window_tests),
        "securities": json_records(res.abnormal),
        "security_windows": json_records(res.security_windows),
    }

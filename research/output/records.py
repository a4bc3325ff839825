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

__all__ = ["VOLUME_NAMES", "measure_columns", "study_record"]

# What the columns of an abnormal-volume study are called (the engine's are return names):
# abnormal log volume av, its average aav and cumulative caav; a buy-and-hold return has no
# meaning for volume and is left out.
VOLUME_NAMES = {
    "ret": "log_volume",
    "normal": "normal_log_volume",
    "ar": "av",
    "ar_sd": "av_sd",
    "car": "cav",
    "car_sd": "cav_sd",
    "aar": "aav",
    "caar": "caav",
    "caar_ci_low": "caav_ci_low",
    "caar_ci_high": "caav_ci_high",
}


def measure_columns(frame, measure: str):
    """``frame`` with its columns named for the study's measure (returns: as they are)."""
    if measure != "volume" or frame is None:
        return frame
    return frame.drop(columns=["bhar"], errors="ignore").rename(columns=VOLUME_NAMES)


def study_record(res: EventStudyResults) -> dict[str, Any]:
    """Everything a study holds as plain data: headline tests and why, settings, notes,
    and every table as records (NaN as None).
    """
    est = res.estimation
    m = res.settings.measure
    extra = {}
    if m == "volatility":
        from research.estimation.garch_tables import cohort_garch, security_garch

        fits = security_garch(res)
        extra = {
            "volatility": json_records(res.volatility),
            "variance_ratios": json_records(res.variance_ratios),
            "garch": json_records(cohort_garch(res, fits)),
            "garch_securities": json_records(fits),
        }

    return {
        "headline_tests": list(res.headline_tests),
        "headline_reason": headline_reason(
            res.clustered, res.staggered, res.smallest_cohort, res.settings.measure
        ),
        "test_notes": test_notes(res.clustered, res.settings.measure),
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
        "measure": m,
        "days": json_records(measure_columns(res.day_tests, m)),
        "windows": json_records(measure_columns(res.window_tests, m)),
        "securities": json_records(measure_columns(res.abnormal, m)),
        "security_windows": json_records(measure_columns(res.security_windows, m)),
        **extra,
    }

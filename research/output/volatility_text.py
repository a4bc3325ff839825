"""The words of a volatility study: what its table's cells mean, and how often its tests
rejected a true null in the simulation of docs/validation.md (section 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["volatility_legend", "volatility_notes"]


def volatility_notes(res: EventStudyResults) -> list[str]:
    """The volatility tests' size on this kind of dates
    (:func:`research.stats.volatility.size_evidence`).
    """
    from research.stats.volatility import size_evidence

    worst = size_evidence().get("worst_size")
    if not worst:
        return []
    kind = "clustered" if res.clustered else "scattered"
    w = worst.get(kind, {})
    notes = [
        f"{kind} dates: with no change in variance the time z rejected at 5% in up to "
        f"{w.get('var_time_z', float('nan')):.1%} of the simulated cohorts, the rank p in up "
        f"to {w.get('var_rank', float('nan')):.1%}, the cross-sectional t in up to "
        f"{w.get('var_cs_t', float('nan')):.1%} (docs/validation.md, section 7)"
    ]
    g = size_evidence().get("garch_size", {}).get(kind)
    if g:
        notes.append(
            "GARCH variance dummies: fitted by maximum likelihood per firm-event over its "
            "estimation and event windows; 'fits' counts those usable: converged, the dummy off "
            "its bound (a 90% cut of the usual variance) and not on the edge of positive "
            "variances, with a standard error. With "
            f"{kind} dates and no change their CS t rejected at 5% in up to "
            f"{g['garch_cs_t']:.1%} of simulated cohorts and their z in up to "
            f"{g['garch_z']:.1%} (docs/validation.md, section 7): read them with care"
        )
    return notes


def volatility_legend() -> str:
    """What a volatility table's cells mean."""
    from research.output.compact import STAR_LEGEND

    return (
        "VR: the mean variance ratio AR^2/s^2 of the cohort's firm-events (1: as usual; "
        "over a window, the mean of its days'). time z: the cohort's mean AR^2/sigma^2 "
        "against the estimation days' (runs of as many days'), in their time-series s.d.; "
        "rank p: where it ranks among them (two-sided). Both keep the firm-events' "
        "cross-correlation (docs/validation.md, section 7); the cross-sectional t of the "
        "ratios (--tests all) does not, and over-rejects. Cells: statistic (two-sided "
        f"p-value); {STAR_LEGEND}."
    )

"""Which tests a study leads with, chosen from the size evidence in docs/validation.md.

Firm-events that share calendar dates (one sector reacting to one announcement) have
cross-correlated abnormal returns.  Tests that assume independent firm-events then
reject a true null far too often (docs/validation.md, "Clustered event dates"), so a
study whose cohorts cluster in time leads with the tests that held their size in that
simulation; a study of scattered dates leads with the classic set, which holds there.
Every test is still computed and available (``--tests all``, JSON, CSV); in a clustered
study the ones that assume independence carry the size they showed.

The evidence is ``size_evidence.json`` beside this module, written by
``python scripts/size_power.py`` together with the tables of docs/validation.md.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from research.stats.inference import INDEPENDENCE_TESTS

EVIDENCE = Path(__file__).with_name("size_evidence.json")

# Scattered dates: every test held its size in the scattered-date simulation; these
# are the most used and the most powerful there.
SCATTERED_HEADLINE = (
    "bmp_t",
    "kolari_pynnonen_t",
    "crude_dependence",
    "corrado_rank_z",
    "generalized_sign_z",
)


VOLUME_EVIDENCE = Path(__file__).with_name("volume_evidence.json")
# When the volume evidence is missing: the rank and permutation tests, which assume
# neither normal nor independent abnormal log volumes.
VOLUME_FALLBACK = ("corrado_rank_z", "permutation")


@cache
def volume_evidence() -> dict:
    """The abnormal-volume tests' size evidence (``{}`` if the file is absent), written by
    ``python scripts/volume_size.py``.
    """
    if not VOLUME_EVIDENCE.exists():
        return {}
    return json.loads(VOLUME_EVIDENCE.read_text())


@cache
def size_evidence() -> dict:
    """The clustered-date rejection rates at 5% per test (``{}`` if the file is absent)."""
    if not EVIDENCE.exists():
        return {}
    return json.loads(EVIDENCE.read_text())


def clustered_headline() -> tuple[str, ...]:
    """Tests whose clustered-date size stayed within the band recorded with the evidence
    at day 0 and over every CAR window of every group simulated.
    """
    ev = size_evidence()
    return tuple(ev.get("headline", ()))


# When the evidence file is missing (a damaged install): the tests that held their size
# with clustered dates when this was written (docs/validation.md, section 4).
CLUSTERED_FALLBACK = ("kp_cross_sectional_t", "corrado_rank_z", "permutation")
# A cohort whose windows overlap around different day-0 sessions: the tests that measure
# correlation in event time miss the shared calendar days; the calendar-time permutation
# test compares like with like.
STAGGERED_HEADLINE = ("permutation",)
# A cohort of fewer stocks than the smallest the size evidence covers: cross-sectional
# statistics rest on a spread of one or two values (Kolari-Pynnönen's t on two stocks
# can reach -300), so the study leads with the time-series tests that hold for a few
# stocks: each stock's own t (one stock) and the crude-dependence t of their mean.
SMALL_HEADLINE = ("t_single", "crude_dependence")
# Used when the evidence file does not record it: the smallest cohort of the clustered
# trials (three quarters of the four REITs).
MIN_CROSS_SECTION_FALLBACK = 3


def min_cross_section() -> int:
    """The fewest firm-events in a cohort for the cross-sectional tests to lead: the
    smallest cohort of the clustered-date trials in which they held their size
    (``min_n`` of the evidence file).
    """
    return int(size_evidence().get("min_n", MIN_CROSS_SECTION_FALLBACK))


def headline_tests(
    clustered: bool,
    staggered: bool = False,
    smallest: int | None = None,
    measure: str = "returns",
) -> tuple[str, ...]:
    """The tests a study shows first: :data:`SMALL_HEADLINE` when its smallest cohort has
    fewer firm-events than :func:`min_cross_section`, :data:`STAGGERED_HEADLINE` when a
    clustered cohort has several day-0 sessions, :func:`clustered_headline` when any cohort
    clusters in time, else :data:`SCATTERED_HEADLINE`.
    """
    if smallest is not None and smallest < min_cross_section():
        return SMALL_HEADLINE
    if staggered:
        return STAGGERED_HEADLINE
    if measure == "volume":
        ev = volume_evidence()
        key = "clustered_headline" if clustered else "scattered_headline"
        return tuple(ev.get(key, ())) or VOLUME_FALLBACK
    if clustered:
        return clustered_headline() or CLUSTERED_FALLBACK
    return SCATTERED_HEADLINE


def headline_reason(
    clustered: bool,
    staggered: bool = False,
    smallest: int | None = None,
    measure: str = "returns",
) -> str:
    """One sentence saying why these tests lead."""
    if smallest is not None and smallest < min_cross_section():
        return (
            f"a cohort has {smallest} firm-event(s), fewer than the {min_cross_section()} "
            "of the smallest cohort in which the cross-sectional tests held their size "
            "(docs/validation.md): a cross-sectional spread of so few values is not evidence, "
            "so each stock's own t and the crude-dependence t lead"
        )
    if staggered:
        return (
            "a cohort's firm-events share calendar days around more than one day-0 session: "
            "correlations measured in event time (Kolari-Pynnönen, the adjusted interval and "
            "the detectable CAAR) miss the calendar days the firm-events share, so the "
            "calendar-time permutation test and its interval lead"
        )
    if measure == "volume":
        return (
            "abnormal log volume is autocorrelated and, when firm-events share calendar "
            "days, cross-correlated: these tests held their size for volume in "
            "docs/validation.md (section 6), with "
            + ("clustered" if clustered else "scattered")
            + " dates"
        )
    if clustered:
        return (
            "firm-events of a cohort share calendar days, so their abnormal returns are "
            "cross-correlated; these tests held their size with clustered dates in "
            "docs/validation.md, while tests assuming independence did not"
        )
    return (
        "the firm-events' event windows do not overlap in calendar time; every test held "
        "its size with scattered dates in docs/validation.md"
    )


def test_notes(clustered: bool, measure: str = "returns") -> dict[str, str]:
    """For a clustered study: each test that is not a headline test, with the largest
    rejection rate of a true null at 5% it showed with clustered dates (and whether it
    assumes independent firm-events).
    """
    kind, where = "clustered-date", "docs/validation.md"
    if measure == "volume":  # the volume evidence covers clustered and scattered dates
        ev = volume_evidence()
        worst = ev.get("worst_size" if clustered else "worst_size_scattered", {})
        key = "clustered_headline" if clustered else "scattered_headline"
        headline = set(ev.get(key, ()))
        kind = "clustered-date" if clustered else "scattered-date"
        where = "docs/validation.md, section 6: abnormal volume"
    elif not clustered:
        return {}
    else:
        ev = size_evidence()
        worst, headline = ev.get("worst_size", {}), set(ev.get("headline", ()))
    band = ev.get("band", [0.03, 0.07])
    notes = {}
    for name, rate in worst.items():
        if name in headline:
            if rate > band[1]:  # held at day 0 and CAR(-1,1), not at every window
                notes[name] = (
                    f"held its size at day 0 and over CAR(-1,1) with {kind.split('-')[0]} "
                    f"dates, but rejected a true null in up to {rate:.1%} of trials over "
                    f"another window ({where})"
                )
            continue
        why = "assumes independent firm-events; " if name in INDEPENDENCE_TESTS else ""
        notes[name] = (
            f"{why}rejected a true null in up to {rate:.1%} of {kind} trials at 5% ({where})"
        )
    return notes

"""The notes of a study's summary, one sentence each: where the data came from, the market
and the benchmarks' alignment, dropped firm-events, windows with a missing day, overlaps,
quality flags, clustered dates and the size of each shown test that did not hold it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["size_note", "study_notes"]


def size_note(tests: list[str], measure: str = "returns") -> str:
    """One note with the largest clustered-date size of each of ``tests`` (the evidence
    :func:`research.stats.headline.test_notes` words one test at a time).
    """
    from research.output.compact import LABELS
    from research.stats.headline import size_evidence, volume_evidence
    from research.stats.inference import INDEPENDENCE_TESTS

    ev = volume_evidence() if measure == "volume" else size_evidence()
    worst = ev.get("worst_size", {})
    cells = [
        f"{LABELS.get(t, t)} {worst[t]:.1%}" + (" (ind.)" if t in INDEPENDENCE_TESTS else "")
        for t in tests
        if t in worst
    ]
    return (
        "with clustered dates these tests rejected a true null at 5% in up to (largest "
        f"share of trials over the groups of docs/validation.md): {', '.join(cells)}; "
        "(ind.): assumes independent firm-events. Every day and window of every test: "
        "--level day or --level window"
    )


def study_notes(res: EventStudyResults, tests, single: bool = False) -> list[str]:
    """The notes of a study's summary, one sentence each: data source, market, benchmark
    alignment, dropped firm-events, windows with a missing day, overlaps, quality flags,
    clustered dates and the size of each shown test that did not hold it there.
    """
    notes = [n for n in (res.data_note, res.market_note) if n]
    notes += [f"benchmark {t}: {how}" for t, how in (res.benchmark_alignment or {}).items()]
    for row in res.dropped.itertuples(index=False):
        notes.append(f"dropped {row.security} ({row.event}): {row.reason}")
    gaps = res.incomplete_windows
    for (event, security), part in gaps.groupby(["event", "security"], sort=False):
        notes.append(
            f"{security} ({event}) has no return on event day(s) "
            f"{', '.join(sorted(set(', '.join(part['missing_days']).split(', '))))}: "
            f"no CAR over {', '.join(part['window'])}"
        )
    ov = res.overlaps
    for (event, other, kind), part in ov.groupby(["event", "other_event", "kind"], sort=False):
        offsets = sorted(set(part["offset"]))
        notes.append(
            f"{event} / {other}: {kind} for {part['security'].nunique()} stock(s) (offset "
            f"{', '.join(map(str, offsets))} sessions)"
        )
    if "corrado_rank_z" in tests and len(res.thin_rank_windows):
        thin = res.thin_rank_windows
        listed = [
            f"{r.event}/{r.group} {r.window}: {r.n} against {r.n_est:.1f}"
            for r in thin.head(4).itertuples()
        ]
        more = f" and {len(thin) - 4} more" if len(thin) > 4 else ""
        notes.append(
            "corrado_rank_z ranks fewer firm-events over a window than on an average "
            f"estimation day ({'; '.join(listed)}{more}): its variance assumes as many, so "
            "with thin trading it can reject a true null too often (docs/validation.md, "
            "section 5)"
        )
    if res.quality is not None:
        for row in res.quality.itertuples(index=False):
            span = f"{row.start:%Y-%m-%d}" + (
                f"..{row.end:%Y-%m-%d} ({row.days} sessions)" if row.days > 1 else ""
            )
            notes.append(f"{row.ticker}: {row.kind} {span}: {row.action}")
    from research.stats.headline import min_cross_section

    if not res.clustered and not single and res.smallest_cohort < min_cross_section():
        from research.stats.headline import headline_reason

        notes.insert(0, "few firm-events: " + headline_reason(False, False, res.smallest_cohort))
    m = res.settings.measure
    if m == "volume" and not single and not res.clustered:  # volume: scattered dates too
        from research.stats.headline import headline_reason, test_notes

        marked = test_notes(False, m)
        flagged = [f"{name}: {marked[name]}" for name in tests if name in marked]
        if len(flagged) > 3:
            flagged = [size_note([name for name in tests if name in marked], m)]
        notes[:0] = [
            "scattered dates: " + headline_reason(False, False, res.smallest_cohort, m),
            *flagged,
        ]
    if res.clustered and not single:
        from research.stats.headline import headline_reason, test_notes

        cl = res.cohort_clustering
        marked = test_notes(True, m)
        flagged = [f"{name}: {marked[name]}" for name in tests if name in marked]
        if len(flagged) > 3:  # every test asked for: one note, not one per test
            flagged = [size_note([name for name in tests if name in marked], m)]
        if cl["clustered"].all() and (cl["overlapping"] == cl["n"]).all():
            which = "in every cohort all firm-events share event days"
        else:
            cl = cl[cl["clustered"]]
            listed = [f"{r.event}/{r.group}: {r.overlapping} of {r.n}" for r in cl.itertuples()]
            more = f" and {len(listed) - 4} more cohorts" if len(listed) > 4 else ""
            which = ", ".join(listed[:4]) + more + " firm-events share event days"
        notes[:0] = [
            f"clustered dates ({which}): "
            + headline_reason(True, res.staggered, res.smallest_cohort, m)
            + (
                "; the CAAR interval comes from the permutation distribution (ci_method "
                "permutation)."
                if res.staggered
                else "; the CAAR interval is widened for the mean residual correlation "
                "(ci_method kp_cross_sectional_t: the interval inverts that test)."
            ),
            *flagged,
        ]
    return notes

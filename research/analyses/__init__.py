"""The analyses layer: from what a user asked to a fitted study, and the studies built on it.

:mod:`~research.analyses.requests` holds what a user asks for,
:mod:`~research.analyses.analysis` turns it into a fitted study (the data pipeline, then
the estimation), dummy regressions (:mod:`~research.analyses.regression`,
:mod:`~research.analyses.event_design`), correlation change
(:mod:`~research.analyses.correlation`), placebo inference
(:mod:`~research.analyses.placebo`), size and power (:mod:`~research.analyses.simulation`)
and the speed benchmark (:mod:`~research.analyses.speed`).
"""

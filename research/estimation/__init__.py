"""The estimation layer: a study's definition, its batched estimation and its results.

:class:`~research.estimation.study.EventStudy` defines and checks a study,
:mod:`~research.estimation.engine` fits every firm-event at once (with
:mod:`~research.estimation.models`, :mod:`~research.estimation.cars` and
:mod:`~research.estimation.cohorts`), and
:class:`~research.estimation.results.EventStudyResults` holds what came out, computing
the tests (:mod:`research.stats`) on first use.  Windows are checked in
:mod:`~research.estimation.windows`.  Presenters (:mod:`research.output`) are imported by
the results' methods when called, never at import time.
"""

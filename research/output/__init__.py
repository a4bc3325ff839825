"""The output layer: what a reader sees.

The compact results table (:mod:`~research.output.compact`), text summaries
(:mod:`~research.output.report`, :mod:`~research.output.regression_text`), paper formats
(:mod:`~research.output.paper`), every export format (:mod:`~research.output.export`), the
HTML report (:mod:`~research.output.html_report`), pure plotting functions
(:mod:`~research.output.plotting`) and deterministic figure files
(:mod:`~research.output.figures`).  Presenters take results objects; nothing below imports
them at import time.
"""

"""The statistics layer: tests on arrays, no data and no study.

Every test for one cohort (:mod:`~research.stats.inference`, the readable reference) and
for every cohort at once (:mod:`~research.stats.pooling`), the dependent-sample statistics
(:mod:`~research.stats.dependent`), ranks and guarded numerics (:mod:`~research.stats.ranks`,
:mod:`~research.stats.numerics`), which tests lead (:mod:`~research.stats.headline`, from
``size_evidence.json``), covariance estimators and OLS (:mod:`~research.stats.covariance`,
:mod:`~research.stats.ols`).
"""

"""The data layer: what a study is made of, from files to returns on one session grid.

Events and their day-0 alignment (:mod:`~research.data.events`), the universe of tickers
(:mod:`~research.data.universe`), exchanges and their calendars
(:mod:`~research.data.markets`), each series' recorded exchange
(:mod:`~research.data.identity`), reading, storing and downloading prices
(:mod:`~research.data.prices`, :mod:`~research.data.store`, :mod:`~research.data.yahoo`,
:mod:`~research.data.adjustment`, :mod:`~research.data.sample`), their quality
(:mod:`~research.data.quality`), returns (:mod:`~research.data.returns`), firm-event pairs
(:mod:`~research.data.pairs`) and, at the end of the pipeline, a study's inputs
(:mod:`~research.data.inputs`).  The package's data files (the event catalogue, the
universe, the exchanges, the embedded sample) sit here too.  Imports only the foundation
(``research.errors``, ``research.config``).
"""

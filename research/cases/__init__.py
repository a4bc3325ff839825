"""Case studies: clients of the library, as a notebook would be.

:mod:`~research.cases.hk2023` is Hong Kong in June 2023 (the Blinken visit and the
loan-prime-rate cut): its events, groups, headline study and the figures of docs/.
"""

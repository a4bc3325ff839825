"""Rolling correlations and betas between return series on one session grid.

For a window of ``n`` sessions ending at ``t``:

.. math::

   \\rho_t = \\frac{\\sum (y-\\bar y)(x-\\bar x)}
                  {\\sqrt{\\sum (y-\\bar y)^2 \\sum (x-\\bar x)^2}},
   \\qquad \\beta_t = \\frac{\\sum (y-\\bar y)(x-\\bar x)}{\\sum (x-\\bar x)^2}

over the sessions in the window on which both series have a return; a window
with fewer than ``min_periods`` such sessions gives NaN.  Series from markets
with other hours must first be aligned by session (:mod:`research.returns`).
"""

from __future__ import annotations

import pandas as pd


def rolling_correlation_beta(
    y: pd.DataFrame | pd.Series, x: pd.Series, window: int = 60, min_periods: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling correlation and OLS beta of each column of ``y`` on ``x``.

    Returns
    -------
    (correlation, beta)
        Frames shaped like ``y``.
    """
    if isinstance(y, pd.Series):
        y = y.to_frame()
    min_periods = min_periods or max(window * 2 // 3, 3)
    corr, beta = {}, {}
    for col in y.columns:
        both = pd.concat([y[col], x], axis=1, keys=["y", "x"]).dropna()
        cov = both["y"].rolling(window, min_periods=min_periods).cov(both["x"])
        var_x = both["x"].rolling(window, min_periods=min_periods).var()
        var_y = both["y"].rolling(window, min_periods=min_periods).var()
        corr[col] = (cov / (var_x * var_y) ** 0.5).reindex(y.index)
        beta[col] = (cov / var_x).reindex(y.index)
    return pd.DataFrame(corr), pd.DataFrame(beta)

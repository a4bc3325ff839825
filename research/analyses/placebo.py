r"""Randomisation (placebo) inference for one series' abnormal return or CAR.

The observed CAR over an event window is compared with the same statistic
where nothing happened:

``estimation-window``
    every window of the same length inside the estimation period, on the
    residuals of the model fitted there (overlapping windows; in-sample
    residuals understate prediction errors by a factor ``1 - h`` with ``h``
    about ``p/m``, under 1% for 250 days);
``random-dates``
    ``n_draws`` pseudo-event dates drawn across the whole sample (away from
    the real events' windows), each with its own estimation window and
    out-of-sample prediction: the full procedure repeated where no event is.

Empirical two-sided p-value (Phipson & Smyth 2010, never zero):
:math:`p = (1 + \#\{|CAR^{placebo}| \ge |CAR^{obs}|\}) / (1 + n)`.
It does not rely on normality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from research.analyses.simulation import draw_pseudo_events
from research.config import DEFAULT_SEED
from research.errors import EventStudyError
from research.estimation.study import EventStudy


def empirical_p(observed: float, placebo: np.ndarray) -> float:
    """Two-sided randomisation p-value, ``(1 + #{|x| >= |obs|}) / (1 + n)``."""
    placebo = placebo[np.isfinite(placebo)]
    return float((1 + np.sum(np.abs(placebo) >= abs(observed) - 1e-15)) / (1 + placebo.size))


@dataclass
class PlaceboResults:
    """Observed CAR and its placebo distributions."""

    series: str
    event: str
    window: tuple[int, int]
    observed: float
    t_single: float
    t_single_p: float
    in_window: np.ndarray
    random_dates: np.ndarray
    p_in_window: float
    p_random_dates: float
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """One row: observed CAR, placebo quantiles and p-values."""
        return pd.DataFrame(
            [
                {
                    "series": self.series,
                    "event": self.event,
                    "window": f"({self.window[0]},{self.window[1]})",
                    "car": self.observed,
                    "t_single_p": self.t_single_p,
                    "placebo_p_estimation_window": self.p_in_window,
                    "n_estimation_window": int(np.isfinite(self.in_window).sum()),
                    "placebo_p_random_dates": self.p_random_dates,
                    "n_random_dates": int(np.isfinite(self.random_dates).sum()),
                }
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return json_records(self.to_frame())[0]

    def summary(self) -> str:
        """The result as a text table."""
        from research.output.report import table

        return table(self.to_frame(), "Placebo (randomisation) inference", percent=("car",))


def placebo_test(
    y: pd.Series,
    benchmarks: pd.DataFrame | None,
    day0: pd.Timestamp,
    event: str = "event",
    window: tuple[int, int] = (0, 0),
    estimation: tuple[int, int] = (-250, -11),
    model: str = "market",
    n_draws: int = 1000,
    seed: int = DEFAULT_SEED,
    exclude: pd.Series | None = None,
    avoid: list[pd.Timestamp] | None = None,
    min_obs: int | None = None,
) -> PlaceboResults:
    """Placebo p-values for one series' CAR over ``window`` around ``day0``.

    Parameters
    ----------
    y
        Returns on a session grid.
    avoid
        Day-0 sessions of real events whose windows no random date may touch
        (``day0`` is always avoided).
    """
    name = str(y.name)
    returns = y.to_frame(name)
    ex = None if exclude is None else exclude.reindex(y.index, fill_value=False).to_frame(name)
    common = {
        "model": model,
        "window": window,
        "estimation": estimation,
        "exclude": ex,
        "bootstrap": 0,
        "min_obs": min_obs,
        "other_events": "keep",
    }
    real = EventStudy(
        returns,
        pd.DataFrame({"security": [name], "day0": [day0], "event": [event]}),
        benchmarks,
        car_windows=[window],
        **common,
    ).fit()
    if not real.keep[0]:
        raise EventStudyError(
            f"{name} cannot be estimated for {event}: {real.dropped['reason'].iat[0]}."
        )
    observed = float(real.cars["car"][0, 0])
    # (1) every same-length window inside the estimation period, on in-sample residuals
    resid = real.resid[0]
    length = window[1] - window[0] + 1
    sums = np.convolve(np.nan_to_num(resid), np.ones(length), mode="valid")
    present = np.convolve(np.isfinite(resid).astype(float), np.ones(length), mode="valid")
    in_window = np.where(present == length, sums, np.nan)
    # (2) random pseudo-event dates across the sample, full procedure each: only dates on
    # which the series and its benchmarks allow a complete estimation and event window
    rng = np.random.default_rng(seed)
    index = y.index
    n = len(index)
    span = window[1] - window[0]
    blocked = np.zeros(n, dtype=bool)
    for t in [day0, *(avoid or [])]:
        p = index.get_indexer([pd.Timestamp(t)])[0]
        if p >= 0:
            blocked[max(p - span, 0) : p + span + 1] = True
    need = min_obs if min_obs is not None else real.study.min_obs
    bench = None if benchmarks is None else benchmarks.reindex(index)
    masked = returns if ex is None else returns.where(~ex)
    try:
        pseudo = draw_pseudo_events(
            masked, n_draws, 1, window, estimation, need, rng, bench, blocked
        )
    except ValueError:
        raise EventStudyError(f"{name} has no session left for random placebo dates.") from None
    pseudo["event"] = [f"p{i}" for i in range(n_draws)]
    placebo = EventStudy(returns, pseudo, benchmarks, car_windows=[window], **common).fit(
        pooled=False  # only each draw's CAR is used
    )
    random_cars = np.where(placebo.keep, placebo.cars["car"][:, 0], np.nan)
    return PlaceboResults(
        series=name,
        event=event,
        window=window,
        observed=observed,
        t_single=float(real.cars["t"][0, 0]),
        t_single_p=float(real.cars["p"][0, 0]),
        in_window=in_window,
        random_dates=random_cars,
        p_in_window=empirical_p(observed, in_window),
        p_random_dates=empirical_p(observed, random_cars),
        seed=seed,
    )

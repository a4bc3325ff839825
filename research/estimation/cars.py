"""Each firm-event's cumulative and buy-and-hold abnormal returns over the CAR windows.

:func:`car_arrays` computes them chunk by chunk for the engine (:mod:`research.estimation.engine`);
:class:`CarTable` holds them in the results, with the p-values and Corrado's U summed over
each window computed on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from research.data.returns import to_simple
from research.estimation import models
from research.stats import inference

if TYPE_CHECKING:
    from research.estimation.engine import EngineInputs

__all__ = ["CarTable", "car_arrays", "window_u"]


def car_arrays(
    inputs: EngineInputs, fit, x_evt, ar, normal, r_evt, u_evt, spans=None, weights=None
) -> dict[str, np.ndarray]:
    """Per firm-event and CAR window: ``car``, its ``sd`` and ``t``, ``bhar``, ``length``
    and, with Corrado's U on the event days, ``u`` (:func:`window_u`).

    With trade-to-trade returns, ``spans`` (K, L) holds the sessions each event-day return
    spans and ``x_evt`` the regressors summed over them: a window is whole when its
    returns' spans tile it exactly (its last day has a return and the spans add up to its
    length), and the CAR's variance is ``sigma^2 (sum n_t + s'(X'X)^-1 s)``.  With GARCH
    errors ``weights`` holds each event day's conditional variance scale ``h_t``, and the
    variance is ``sigma^2 (sum h_t + s'(X'X)^-1 s)``.
    """
    kind = inputs.return_kind
    days = inputs.event_days
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("car", "sd", "t", "bhar", "length")}
    for a, b in inputs.car_windows:
        sel = window_columns(days, a, b)
        present = np.isfinite(ar[:, sel])
        # a CAR needs every day of its window (as a BHAR does): a sum over fewer days
        # is another window, and the crude-dependence and rank tests divide by L
        # (the firm-event is reported in `incomplete_windows`)
        if spans is None:
            whole = present.all(axis=1)
        else:  # a day inside a later return's span is covered by it
            covered = np.where(present, spans[:, sel], 0.0)
            whole = present[:, -1] & (covered.sum(axis=1) == sel.stop - sel.start)
        var_w = None if weights is None else np.where(present, weights[:, sel], 0.0)
        car = np.where(whole, np.nansum(ar[:, sel], axis=1), np.nan)
        var = fit.sigma**2 * models.car_variance_factor(fit, x_evt[:, sel], present, var_w)
        sd = np.where(whole, np.sqrt(var), np.nan)
        t = inference.single_t(car, sd)
        # a day inside a return's span has no return of its own: it adds nothing
        simple_r = np.where(present, to_simple(r_evt[:, sel], kind), 0.0)
        simple_n = np.where(present, to_simple(normal[:, sel], kind), 0.0)
        bhar = np.prod(1 + simple_r, axis=1) - np.prod(1 + simple_n, axis=1)
        bhar = np.where(whole, bhar, np.nan)
        for key, val in (
            ("car", car),
            ("sd", sd),
            ("t", t),
            ("bhar", bhar),
            ("length", np.full(len(car), sel.stop - sel.start)),
        ):
            out[key].append(val)
    if u_evt is not None:
        out["u"] = [window_u(u_evt, days, inputs.car_windows)]
    return {k: np.column_stack(v) for k, v in out.items()}


def window_columns(days: np.ndarray, a: int, b: int) -> slice:
    """The columns of the event days ``a..b`` among ``days`` (the event window's days,
    consecutive): a slice, so that a window's ARs are a view, not a copy.
    """
    lo, hi = np.searchsorted(days, [a, b + 1])
    return slice(int(lo), int(hi))


def window_u(u_evt: np.ndarray, days: np.ndarray, car_windows) -> np.ndarray:
    """Corrado's U summed over each CAR window (K, W); NaN where a window misses a day (as
    the CAR is).
    """
    out = []
    for a, b in car_windows:
        part = u_evt[:, window_columns(days, a, b)]
        out.append(np.where(np.isfinite(part).all(axis=1), part.sum(axis=1), np.nan))
    return np.column_stack(out)


class CarTable(dict):
    """Per firm-event and CAR window (K, W): ``car``, ``sd``, ``t``, ``bhar``,
    ``length``, and, computed on first use, ``p`` (the two-sided p-value of ``t`` on
    each firm-event's residual degrees of freedom) and ``u`` (Corrado's U summed over
    the window).
    """

    def __init__(self, arrays: dict[str, np.ndarray], lazy: dict[str, Any]) -> None:
        super().__init__(arrays)
        self.lazy = lazy

    def __missing__(self, key: str) -> np.ndarray:
        """Compute a lazy array on first use."""
        if key not in self.lazy:
            raise KeyError(key)
        self[key] = self.lazy[key]()
        return self[key]

"""Windows of relative days: the one definition of what a valid window is.

Every window in the package (event, estimation, CAR window, in the study and in the
regressions) is two whole numbers of days, inclusive, and the estimation window ends
before the event window starts; these checks refuse anything else with one sentence.
"""

from __future__ import annotations

from research.errors import WindowError
from research.stats.ranks import MAX_DOUBLED_RANK

Window = tuple[int, int]

__all__ = [
    "MAX_ESTIMATION_DAYS",
    "Window",
    "check_estimation",
    "check_window",
    "min_usable_days",
]


def check_window(window, what: str) -> Window:
    """``window`` as two whole numbers of days ``(a, b)`` with ``a <= b``.

    Raises
    ------
    WindowError
        When it is not two whole numbers or ends before it starts.
    """
    try:
        a, b = (int(v) for v in window)
    except (TypeError, ValueError):
        raise WindowError(
            f"The {what} must be two whole numbers of days, not {window!r}."
        ) from None
    if b < a:
        raise WindowError(f"The {what} ({a}, {b}) ends before it starts.")
    return a, b


MAX_ESTIMATION_DAYS = MAX_DOUBLED_RANK // 2  # the rank tests keep doubled ranks in 16 bits


def check_estimation(estimation: Window, window: Window) -> None:
    """Refuse an estimation window that does not end before the event window starts, or
    longer than :data:`MAX_ESTIMATION_DAYS` (about 130 years of sessions).
    """
    if estimation[1] >= window[0]:
        raise WindowError(
            f"The estimation window {tuple(estimation)} overlaps the event window "
            f"{tuple(window)}; end it before day {window[0]}."
        )
    if estimation[1] - estimation[0] + 1 > MAX_ESTIMATION_DAYS:
        raise WindowError(
            f"The estimation window {tuple(estimation)} is longer than "
            f"{MAX_ESTIMATION_DAYS:,} days, the most the rank tests hold."
        )


def min_usable_days(estimation: Window, n_params: int, min_obs: int | None = None) -> int:
    """The fewest usable estimation days a firm-event (``run``) or a regressed series
    (``regress``) needs: ``min_obs`` when given, else half the estimation window, and never
    fewer than the model's parameters plus three.  One rule for every command.

    Raises
    ------
    WindowError
        When the rule asks for more days than the estimation window has.
    """
    est_len = estimation[1] - estimation[0] + 1
    need = max(n_params + 3, min_obs if min_obs is not None else est_len // 2)
    if need > est_len:
        raise WindowError(
            f"The estimation window has {est_len} days, fewer than the {need} "
            "usable days required; lengthen it or lower min_obs (--min-obs)."
        )
    return need

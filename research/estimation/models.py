r"""Return models for the normal (expected) return, estimated for many series at once.

Every model writes the normal return of firm-event ``i`` on day ``t`` as

.. math::  E[R_{it}] = o_{it} + x_{it}' b_i

with an offset ``o`` and regressors ``x`` built from the benchmark returns,
and ``b_i`` estimated by OLS on the estimation window.  The abnormal return is
``AR_it = R_it - E[R_it]``.

=====================  ============================================  =========================
model                  normal return                                 reference
=====================  ============================================  =========================
``constant-mean``      :math:`\mu_i`                                  Brown & Warner (1980)
``market-adjusted``    :math:`R_{mt}` (nothing estimated)            Brown & Warner (1980)
``market``             :math:`\alpha_i + \beta_i R_{mt}`              MacKinlay (1997) eq. 7
``multi-index``        :math:`\alpha_i + \sum_j \beta_{ij} R_{jt}`     MacKinlay (1997), §4.3
``dimson``             :math:`\alpha_i + \sum_{l=-k}^{k} \beta_{il} R_{m,t+l}`  Dimson (1979)
=====================  ============================================  =========================

The estimation is closed form on stacked arrays (``K`` firm-events x ``T``
days x ``p`` regressors) with a mask for missing or excluded days, so all
securities are fitted at once; statsmodels' OLS is the reference the tests
compare with.

Notes
-----
With ``m_i`` usable estimation days and ``p`` estimated coefficients,
:math:`\hat\sigma_i^2 = \sum_t \hat e_{it}^2 / (m_i - p)`.  For the
market-adjusted model (``p = 0``) the residuals are demeaned and divided by
``m_i - 1``.  The prediction-error variance of an event-day AR is
:math:`\hat\sigma_i^2 (1 + x_{it}'(X_i'X_i)^{-1}x_{it})` and of a CAR over
``L`` days with summed regressors ``s = \sum_t x_{it}``,
:math:`\hat\sigma_i^2 (L + s'(X_i'X_i)^{-1}s)` (Campbell, Lo & MacKinlay
1997, eq. 4.4.9-4.4.14).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from research.errors import ModelError
from research.stats.numerics import row_counts


@dataclass(frozen=True)
class ReturnModel:
    """A normal-return model.

    Attributes
    ----------
    name
        Its name in outputs.
    intercept
        Whether ``x`` starts with a constant.
    regressors
        ``(benchmark position, shift)`` pairs: the benchmark return columns in
        ``x`` after the constant; shift ``l`` uses the benchmark on day
        ``t + l`` (Dimson lags are ``-1``, leads ``+1``).
    offset
        Benchmark position whose return is the offset ``o`` (market-adjusted),
        or None.
    """

    name: str
    intercept: bool = True
    regressors: tuple[tuple[int, int], ...] = ()
    offset: int | None = None
    coef_names: tuple[str, ...] = field(default=())

    @property
    def n_params(self) -> int:
        """Number of estimated coefficients ``p``."""
        return int(self.intercept) + len(self.regressors)

    @property
    def needs_benchmark(self) -> int:
        """How many benchmark series the model needs."""
        used = [b for b, _ in self.regressors] + ([self.offset] if self.offset is not None else [])
        return max(used) + 1 if used else 0

    @property
    def shifts(self) -> tuple[int, ...]:
        """The benchmark shifts the model uses (0 always included), in order."""
        return tuple(sorted({s for _, s in self.regressors} | {0}))


MODEL_NAMES = (
    "constant-mean",
    "market-adjusted",
    "market",
    "multi-index",
    "dimson",
    "garch-market",
)


def make_model(name: str, n_benchmarks: int = 1, dimson_lags: int = 1) -> ReturnModel:
    """Build a model by name.

    Parameters
    ----------
    name
        One of ``constant-mean``, ``market-adjusted``, ``market``,
        ``multi-index``, ``dimson``.
    n_benchmarks
        Benchmarks available (multi-index uses all of them).
    dimson_lags
        ``k`` for Dimson: regressors ``R_{m,t-k} .. R_{m,t+k}``.
    """
    if name == "constant-mean":
        return ReturnModel(name, True, (), None, ("alpha",))
    if name == "market-adjusted":
        return ReturnModel(name, False, (), 0, ())
    if name in ("market", "garch-market"):  # garch-market: weighted by the GARCH variance
        return ReturnModel(name, True, ((0, 0),), None, ("alpha", "beta"))
    if name == "multi-index":
        if n_benchmarks < 1:
            raise ModelError("The multi-index model needs at least one benchmark.")
        regs = tuple((j, 0) for j in range(n_benchmarks))
        names = ("alpha", "beta", *(f"beta_{j + 1}" for j in range(1, n_benchmarks)))
        return ReturnModel(name, True, regs, None, names)
    if name == "dimson":
        regs = tuple((0, s) for s in range(-dimson_lags, dimson_lags + 1))
        names = (
            "alpha",
            *(f"beta_{s:+d}" if s else "beta_0" for s in range(-dimson_lags, dimson_lags + 1)),
        )
        return ReturnModel(name, True, regs, None, names)
    raise ModelError(f"Unknown model {name!r}: use one of {', '.join(MODEL_NAMES)}.")


def design(model: ReturnModel, bench: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Regressors ``X`` (K, T, p) and offset ``o`` (K, T) from benchmark windows.

    Parameters
    ----------
    bench
        (K, T, q, S) benchmark returns: q benchmarks at the model's shifts
        (in the order of :attr:`ReturnModel.shifts`).
    """
    k, t = bench.shape[:2]
    shifts = model.shifts
    cols = []
    if model.intercept:
        cols.append(np.ones((k, t)))
    for b, s in model.regressors:
        cols.append(bench[:, :, b, shifts.index(s)])
    x = np.stack(cols, axis=2) if cols else np.zeros((k, t, 0))
    offset = (
        bench[:, :, model.offset, shifts.index(0)] if model.offset is not None else np.zeros((k, t))
    )
    return x, offset


@dataclass
class Fit:
    """Estimation-window fit of K firm-events (arrays, one row per firm-event)."""

    coef: np.ndarray  # (K, p)
    xtx_inv: np.ndarray  # (K, p, p)
    sigma: np.ndarray  # (K,)
    n_obs: np.ndarray  # (K,)
    df: np.ndarray  # (K,)
    resid: np.ndarray  # (K, T) NaN where not used
    r2: np.ndarray  # (K,)
    ok: np.ndarray  # (K,) bool: estimable


def fit_ols(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray, usable: np.ndarray, demean: bool = False
) -> Fit:
    r"""OLS of ``y - offset`` on ``x`` for every row at once.

    Parameters
    ----------
    y, offset
        (K, T) returns and offsets.
    x
        (K, T, p) regressors.
    usable
        (K, T) bool mask of days that enter the estimation.
    demean
        Demean residuals (used when ``p = 0``).

    Notes
    -----
    :math:`\hat b_i = (X_i'W_iX_i)^{-1}X_i'W_i(y_i - o_i)` with ``W_i`` the
    0/1 diagonal of usable days; rows whose ``X'WX`` is singular (or with too
    few days) are marked not ``ok`` and get NaN.
    """
    k, _, p = x.shape
    w = usable & np.isfinite(y) & np.isfinite(offset) & np.isfinite(x).all(axis=2)
    yo = np.where(w, y - offset, 0.0)
    xw = np.where(w[:, :, None], x, 0.0)
    n = w.sum(axis=1)
    if p:
        # X'X and X'y entry by entry: p(p+1)/2 + p passes, faster than einsum for small p
        xtx = np.empty((k, p, p))
        for a in range(p):
            for b in range(a, p):
                xtx[:, a, b] = xtx[:, b, a] = (xw[:, :, a] * xw[:, :, b]).sum(axis=1)
        xty = np.stack([(xw[:, :, a] * yo).sum(axis=1) for a in range(p)], axis=1)
        # singular when the determinant is negligible against the product of the diagonal
        # (Hadamard's bound): collinear or constant regressors
        scale = np.prod(np.maximum(np.diagonal(xtx, axis1=1, axis2=2), 1e-300), axis=1)
        ok = (np.abs(np.linalg.det(xtx)) > 1e-12 * scale) & (n > p + 1)
        safe = np.where(ok[:, None, None], xtx, np.eye(p))
        xtx_inv = np.linalg.inv(safe)
        coef = np.einsum("kpq,kq->kp", xtx_inv, xty)
        fitted = (xw * coef[:, None, :]).sum(axis=2)
    else:
        xtx_inv = np.zeros((k, 0, 0))
        coef = np.zeros((k, 0))
        fitted = np.zeros_like(yo)
        ok = n > 1
    safe_n = np.maximum(n, 1)[:, None]
    resid = np.where(w, yo - fitted, 0.0)
    if demean or not p:
        resid = np.where(w, resid - resid.sum(axis=1, keepdims=True) / safe_n, 0.0)
        df = n - 1
    else:
        df = n - p
    ss = (resid**2).sum(axis=1)
    resid = np.where(w, resid, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(ss / df)
        centred = np.where(w, yo - yo.sum(axis=1, keepdims=True) / safe_n, 0.0)
        r2 = 1.0 - ss / (centred**2).sum(axis=1) if p else np.full(k, np.nan)
    ok &= np.isfinite(sigma) & (sigma > 0)
    nan = ~ok
    coef[nan] = np.nan
    sigma = np.where(ok, sigma, np.nan)
    resid[nan] = np.nan
    return Fit(coef, xtx_inv, sigma, n, df, resid, r2, ok)


def residuals(
    fit: Fit,
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    usable: np.ndarray,
    demean: bool = False,
) -> np.ndarray:
    """Estimation residuals from fitted coefficients, as :func:`fit_ols` returns them.

    ``y - offset - x b`` on the days that entered the fit (NaN elsewhere and for rows
    not ``ok``), demeaned when ``demean`` or the model has no parameters; the same
    arguments as :func:`fit_ols` with the fit's ``coef`` and ``ok``.
    """
    w = usable & np.isfinite(y) & np.isfinite(offset) & np.isfinite(x).all(axis=2)
    p = x.shape[2]
    yo = np.where(w, y - offset, 0.0)
    fitted = (np.where(w[:, :, None], x, 0.0) * fit.coef[:, None, :]).sum(axis=2) if p else 0.0
    resid = np.where(w, yo - fitted, 0.0)
    if demean or not p:
        n = np.maximum(w.sum(axis=1), 1)[:, None]
        resid = np.where(w, resid - resid.sum(axis=1, keepdims=True) / n, 0.0)
    resid = np.where(w, resid, np.nan)
    resid[~fit.ok] = np.nan
    return resid


def predict(fit: Fit, x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Normal returns (K, L) on event days."""
    out = offset.copy()
    for a in range(x.shape[2]):  # p is small: a pass per coefficient beats einsum's loops
        out += x[:, :, a] * fit.coef[:, a, None]
    return out


def _quadratic_form(v: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``v' A v`` over the last axis of ``v`` (K, ..., p) with ``A`` (K, p, p) symmetric,
    a pass per pair of coefficients.
    """
    p = v.shape[-1]
    extra = (slice(None),) + (None,) * (v.ndim - 2)
    out = np.zeros(v.shape[:-1])
    for i in range(p):
        out += v[..., i] * v[..., i] * a[(*extra, i, i)]
        for j in range(i + 1, p):
            out += 2.0 * v[..., i] * v[..., j] * a[(*extra, i, j)]
    return out


def prediction_factor(fit: Fit, x: np.ndarray) -> np.ndarray:
    """``1 + x_t'(X'X)^{-1}x_t`` for every event day (K, L)."""
    return 1.0 + _quadratic_form(x, fit.xtx_inv)


def car_variance_factor(
    fit: Fit, x: np.ndarray, present: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """``L + s'(X'X)^{-1}s`` for a window of event days (K,), ``s`` summed over present days;
    with ``weights`` (the sessions each return spans, 0 where absent) ``L`` is their sum.
    """
    length = (present.sum(axis=1) if weights is None else weights.sum(axis=1)).astype(float)
    if x.shape[2] == 0:
        return length
    if not present.all():  # a day not present may hold NaN regressors
        x = np.where(present[:, :, None], x, 0.0)
    # the sum over the days as a product with the present days' weights: numpy's sum over
    # the middle axis of (K, L, p) is ten times slower
    s = np.matmul(present.astype(float)[:, None, :], x)[:, 0, :]
    return length + _quadratic_form(s, fit.xtx_inv)


def fast_fit(
    r_est: np.ndarray, m_est: np.ndarray | None, excl: np.ndarray | None
) -> tuple[Fit, np.ndarray]:
    r"""OLS of the constant-mean or market model in closed form, row by row.

    ``r_est`` and ``m_est`` are the gathered estimation windows (K, T) of the returns
    and the market (None for the constant mean), ``excl`` the excluded days.  With
    ``w`` the usable days, centred sums give
    :math:`\hat\beta = \sum_w (m_t-\bar m) R_t / \sum_w (m_t-\bar m)^2`,
    :math:`\hat\alpha = \bar R - \hat\beta\bar m` and
    :math:`(X'X)^{-1} = \begin{pmatrix}1/n + \bar m^2/S & -\bar m/S \\
    -\bar m/S & 1/S\end{pmatrix}`, :math:`S = \sum_w (m_t - \bar m)^2`: the OLS
    solution without (K, T, p) design arrays (the dense path,
    :func:`research.estimation.models.fit_ols`, is the reference the tests hold it to).
    """
    usable = np.isfinite(r_est)
    if m_est is not None:
        usable &= np.isfinite(m_est)
    if excl is not None:
        usable &= ~excl
    n = row_counts(usable)
    nf = np.maximum(n, 1).astype(float)
    complete = bool((n == usable.shape[1]).all())  # no day to mask: skip the masking

    def masked(a, fill):
        return a if complete else np.where(usable, a, fill)

    y0 = masked(r_est, 0.0)
    y_bar = y0.sum(axis=1) / nf
    with np.errstate(divide="ignore", invalid="ignore"):
        if m_est is None:  # constant mean
            p = 1
            ok = n > 2
            alpha = y_bar
            coef = alpha[:, None]
            xtx_inv = (1.0 / nf)[:, None, None]
            resid = masked(r_est - alpha[:, None], np.nan)
            bench_days = np.zeros(len(n), dtype=int)
        else:
            p = 2
            m_bar = masked(m_est, 0.0).sum(axis=1) / nf
            dm = masked(m_est - m_bar[:, None], 0.0)
            sxx = np.vecdot(dm, dm)
            ok = (sxx > 1e-12 * (sxx + n * m_bar**2)) & (n > 3)
            sxx = np.where(ok, sxx, 1.0)
            beta = np.vecdot(dm, y0) / sxx
            alpha = y_bar - beta * m_bar
            coef = np.stack([alpha, beta], axis=1)
            off = -m_bar / sxx
            xtx_inv = np.stack(
                [np.stack([1.0 / nf + m_bar**2 / sxx, off], 1), np.stack([off, 1.0 / sxx], 1)],
                1,
            )
            resid = r_est - alpha[:, None]
            resid -= beta[:, None] * m_est  # (r - alpha) - beta m, one temporary fewer
            resid = masked(resid, np.nan)
            # every day usable: the market has every day
            t = m_est.shape[1]
            bench_days = np.full(len(n), t) if complete else np.isfinite(m_est).sum(axis=1)
        e = masked(resid, 0.0)
        ss = np.vecdot(e, e)
        df = n - p
        sigma = np.sqrt(ss / df)
        if p == 2:  # total sum of squares about the mean
            r2 = 1.0 - ss / (np.vecdot(y0, y0) - n * y_bar**2)
        else:
            r2 = np.full(len(n), np.nan)
    ok &= np.isfinite(sigma) & (sigma > 0)
    coef = np.where(ok[:, None], coef, np.nan)
    sigma = np.where(ok, sigma, np.nan)
    resid[~ok] = np.nan
    return Fit(coef, xtx_inv, sigma, n, df, resid, r2, ok), bench_days

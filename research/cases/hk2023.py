"""The Hong Kong 2023 case: Blinken's visit to Beijing and the loan-prime-rate cut.

The package's first case study, and one client of the library: the events it leads
with, the markets it compares, the headline study and the eight figures of
docs/figures (:func:`build_all`, ``eventstudy figures``).  Everything specific to the
case lives here; the library modules know no case.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from research.config import DEFAULT_SEED
from research.output.figures import FigureSpec, write_figures

# the events the headline study and the figures lead with, and their HKEX day 0
HEADLINE_EVENTS = ("blinken-arrives", "lpr-cut")
DAY0 = {"blinken-arrives": pd.Timestamp("2023-06-19"), "lpr-cut": pd.Timestamp("2023-06-20")}
# the property groups of the figures, and the markets of `correlate --cross-market`
GROUPS = ("mainland-developer", "hk-developer", "reit", "property-services")
CROSS_MARKETS = ("^HSI", "^HSCE", "000001.SS", "000300.SS", "^N225", "^KS11", "^STI", "^GSPC")
# the spans the figures show, and the events the rolling figure marks
PRICE_PATH_SPAN = ("2023-05-02", "2023-07-31")
ROLLING_SPAN = ("2022-06-01", "2023-12-29")
ROLLING_EVENTS = ("pelosi-taiwan", "balloon-disclosed", "lpr-cut", "qin-removed", "apec-biden-xi")
HISTORY_SPAN = ("2012-01-01", "2025-10-30")  # the random dates of the size-power figure
SEED = DEFAULT_SEED


def headline_requests():
    """The headline study: property groups against the HSI, and the HSI itself, around
    the Blinken visit and the loan-prime-rate cut
    (:class:`research.analyses.requests.StudyRequest`).
    """
    from research.analyses.requests import StudyRequest

    return [
        StudyRequest(events=HEADLINE_EVENTS, groups=("property",), benchmarks=("^HSI",)),
        StudyRequest(
            events=HEADLINE_EVENTS, tickers=("^HSI",), benchmarks=(), model="constant-mean"
        ),
    ]


def _event_labels(
    sessions: pd.DatetimeIndex,
    start: str,
    end: str,
    only: tuple[str, ...] = (),
    short: bool = False,
):
    from research.data.events import align_events, load_catalogue

    table = align_events(load_catalogue(), "HKEX", sessions)
    table = table[(table["session"] >= start) & (table["session"] <= end)]
    if only:
        table = table[table["event"].isin(only)]
    rows = []
    for session, part in table.groupby("session", sort=True):
        ids = list(part["event"])
        label = ", ".join(ids) if short else f"{session:%d %b}: " + ",\n             ".join(ids)
        rows.append({"session": session, "label": label})
    return pd.DataFrame(rows)


class FigureData:
    """Loads once what several figures share (panel, studies)."""

    def __init__(self, store=None) -> None:
        from research.data.inputs import build_inputs
        from research.data.sample import choose_store
        from research.data.universe import group_tickers

        self.members = {g: group_tickers(g) for g in GROUPS}
        secs = [t for g in GROUPS for t in self.members[g]]
        self.store, self.data_note = choose_store(store, [*secs, "^HSI"])
        self.panel = build_inputs(secs, ["^HSI"], "HKEX", self.store)

    def portfolios(self) -> pd.DataFrame:
        """Equal-weighted daily returns of each property group (sessions x groups)."""
        from research.data.inputs import group_portfolio

        cols = {
            g: group_portfolio(self.panel.returns, self.members[g], self.panel.exclude)
            for g in GROUPS
        }
        return pd.DataFrame(cols)


def fig_price_paths(data: FigureData):
    """The HSI and the property groups rebased to 100, May-July 2023, events marked."""
    from research.output.plotting import plot_price_paths

    start, end = PRICE_PATH_SPAN
    rets = data.portfolios().assign(**{"^HSI": data.panel.benchmarks["^HSI"]})
    rets = rets.loc[start:end]
    levels = 100 * (1 + rets.fillna(0)).cumprod()
    levels = levels / levels.iloc[0] * 100
    levels = levels[["^HSI", *GROUPS]]
    events = _event_labels(data.panel.trading_days, start, end)
    return plot_price_paths(
        levels,
        events,
        title="Hang Seng Index and equal-weighted property "
        "groups, May-July 2023 (catalogue events by HKEX day 0)",
        reference="^HSI",
        reference_label="Hang Seng Index",
    )


EVENT_TITLES = {
    "blinken-arrives": "Blinken visit (day 0 = Mon 19 Jun 2023)",
    "lpr-cut": "Loan-prime-rate cut (day 0 = Tue 20 Jun 2023)",
}


def _event_panels(paths, suptitle: str, legend: str, ylabel: str | None = None):
    """The two headline events side by side, each panel the ``paths`` of its event with
    their bands; the legend in the first panel.
    """
    from research.output.plotting import new_figure, plot_caar_paths

    fig = new_figure((10.0, 4.4))
    axes = fig.subplots(1, 2, sharey=True)
    label = {} if ylabel is None else {"ylabel": ylabel}
    for ax, event in zip(axes, HEADLINE_EVENTS, strict=True):
        shown = [p for p in paths if p["event"] == event]
        plot_caar_paths(shown, ax=ax, title=EVENT_TITLES[event], **label)
    axes[1].set_ylabel("")
    axes[0].legend(fontsize=7.5, frameon=False, loc=legend)
    fig.suptitle(suptitle, fontsize=10)
    return fig


def fig_caar(data: FigureData):
    """CAAR paths with their bands around the visit and the rate cut."""
    from research.analyses.analysis import run_study
    from research.output.plotting import caar_paths

    window = (-5, 10)
    groups = run_study(
        events=HEADLINE_EVENTS,
        groups=("property",),
        benchmarks=("^HSI",),
        window=window,
        store=data.store,
        bootstrap=0,
    )
    hsi = run_study(
        events=HEADLINE_EVENTS,
        tickers=("^HSI",),
        benchmarks=(),
        model="constant-mean",
        window=window,
        store=data.store,
        bootstrap=0,
    )
    index = [
        {**p, "label": "Hang Seng Index (own mean)", "colour": "#000000"} for p in caar_paths(hsi)
    ]
    return _event_panels(
        [*(p for p in caar_paths(groups) if p["group"] != "all"), *index],
        "CAAR with 95% bands widened for the stocks' residual correlation (Kolari-Pynnönen); "
        "market model on the HSI, estimation days -250..-11",
        legend="lower left",
    )


def fig_volume(data: FigureData):
    """Cumulative abnormal log volume paths per property group around the two events."""
    from research.analyses.analysis import run_study
    from research.output.plotting import caar_paths

    window = (-5, 10)
    res = run_study(
        events=HEADLINE_EVENTS,
        groups=("property",),
        window=window,
        measure="volume",
        store=data.store,
        bootstrap=0,
    )
    return _event_panels(
        [p for p in caar_paths(res) if p["group"] != "all"],
        "Cumulative abnormal log volume with 95% bands (Kolari-Pynnönen); mean-adjusted "
        "log volume, estimation days -250..-11",
        legend="upper left",
        ylabel="cumulative abnormal log volume (x100)",
    )


def fig_day0(data: FigureData):
    """Every property stock's abnormal return on the rate-cut day."""
    from research.analyses.analysis import run_study
    from research.output.plotting import plot_security_ars

    res = run_study(
        events=("lpr-cut",),
        groups=("property",),
        benchmarks=("^HSI",),
        window=(0, 0),
        store=data.store,
        bootstrap=0,
    )
    ab = res.abnormal
    return plot_security_ars(
        ab[ab["day"] == 0],
        title="Abnormal return of each property stock "
        "on 20 Jun 2023 (LPR cut), market model on the HSI",
    )


def fig_placebo(data: FigureData):
    """The mainland developers' day-0 abnormal return against placebo dates."""
    from research.analyses.placebo import placebo_test
    from research.output.plotting import plot_placebo

    # the same series, draws and seed as `eventstudy regress` (and docs/findings.md)
    y = data.portfolios()["mainland-developer"].rename("mainland-developer (equal-weighted)")
    day0 = DAY0
    res = placebo_test(
        y,
        data.panel.benchmarks,
        day0["lpr-cut"],
        "lpr-cut",
        window=(0, 0),
        n_draws=1000,
        seed=SEED,
        avoid=list(day0.values()),
    )
    return plot_placebo(
        res, title="Mainland developers' abnormal return on 20 Jun 2023 against placebo dates"
    )


def fig_coefficients(data: FigureData):
    """The rate-cut dummy across benchmarks, estimation windows and standard errors."""
    from research.analyses.regressions import run_regressions
    from research.analyses.requests import RegressionRequest
    from research.output.plotting import OKABE_ITO, plot_coefficients

    rows = []
    colours = dict(zip(("^HSI", "^HSCE", "ACWI", "^N225"), OKABE_ITO, strict=False))
    for bench in colours:
        for est in ((-250, -11), (-120, -11)):
            for cov in ("classical", "hac"):
                reg = run_regressions(
                    RegressionRequest(
                        events=HEADLINE_EVENTS,
                        groups=("mainland-developer",),
                        benchmarks=(bench,),
                        window=(0, 0),
                        estimation=est,
                        cov_type=cov,
                        placebo_draws=0,
                    ),
                    store=data.store,
                ).regressions[0]
                ci = reg.conf_int().loc["lpr-cut[0]"]
                rows.append(
                    {
                        "spec": f"{bench}, est. {est[0]}..{est[1]}, {cov}",
                        "coef": reg.params["lpr-cut[0]"],
                        "ci_low": ci["lower"],
                        "ci_high": ci["upper"],
                        "colour": colours[bench],
                    }
                )
    return plot_coefficients(
        pd.DataFrame(rows),
        title="Mainland developers (equal-weighted): "
        "the LPR-cut day-0 dummy\nacross benchmarks, estimation windows "
        "and standard errors",
    )


def fig_rolling(data: FigureData):
    """Rolling correlation and beta of the property groups with the HSI."""
    from research.analyses.correlation import rolling_correlation_beta
    from research.output.plotting import plot_rolling

    rets = data.portfolios().loc[ROLLING_SPAN[0] : ROLLING_SPAN[1]]
    corr, beta = rolling_correlation_beta(rets, data.panel.benchmarks["^HSI"].loc[rets.index], 60)
    events = _event_labels(
        data.panel.trading_days,
        *ROLLING_SPAN,
        only=ROLLING_EVENTS,
        short=True,
    )
    return plot_rolling(
        corr,
        beta,
        events,
        title="Rolling 60-session correlation and beta of the property groups with the HSI",
        benchmark_label="the HSI",
    )


def fig_size_power(data: FigureData):
    """Size and power of every test at day 0 on HK stocks at random dates."""
    from research.analyses.simulation import size_power
    from research.data.inputs import build_inputs
    from research.data.universe import load_universe
    from research.output.plotting import plot_size_power

    hk = [t for t in load_universe().index if t.endswith(".HK")]
    start, end = HISTORY_SPAN
    panel = build_inputs(hk, ["^HSI"], "HKEX", data.store, start=start, end=end)
    shocks = (0.0, -0.005, -0.01, -0.015, -0.02)
    res = size_power(
        panel.returns,
        panel.benchmarks["^HSI"],
        n_trials=300,
        n_secs=20,
        shocks=shocks,
        seed=1980,
        exclude=panel.exclude,
    )
    rates = res.to_frame().loc["day 0"].drop(columns="size_mc_se")
    rates.columns = list(shocks)
    return plot_size_power(
        rates, title="Size and power at day 0: 300 trials of 20 HK stocks, random dates 2012-2025"
    )


def specs(data: FigureData) -> list[FigureSpec]:
    """Every figure of docs/figures, in the order of docs/README.md."""
    return [
        FigureSpec(
            "hsi_property_indices",
            "HSI and equal-weighted property groups, May-July 2023, catalogue events marked",
            lambda: fig_price_paths(data),
        ),
        FigureSpec(
            "caar_visit_and_cut",
            "CAAR paths with 95% bands around the visit and the rate cut, per group and the HSI",
            lambda: fig_caar(data),
        ),
        FigureSpec(
            "volume_visit_and_cut",
            "Cumulative abnormal log volume paths with 95% bands per property group",
            lambda: fig_volume(data),
        ),
        FigureSpec(
            "day0_ar_lpr_cut",
            "Day-0 abnormal return of every property stock on the "
            "rate-cut day, sorted, significance marked",
            lambda: fig_day0(data),
        ),
        FigureSpec(
            "placebo_mainland_lpr_cut",
            "Placebo distribution of the mainland developers' "
            "day-0 abnormal return, observed value marked",
            lambda: fig_placebo(data),
            needs_history=True,
        ),
        FigureSpec(
            "coefficients_across_specs",
            "The rate-cut dummy across benchmarks, estimation windows and standard errors",
            lambda: fig_coefficients(data),
        ),
        FigureSpec(
            "rolling_correlation_beta",
            "Rolling 60-session correlation and beta of the property groups with the HSI",
            lambda: fig_rolling(data),
        ),
        FigureSpec(
            "size_power",
            "Size and power of every test at day 0 on HK data",
            lambda: fig_size_power(data),
            needs_history=True,
        ),
    ]


def build_all(
    out: Path, store=None, only: list[str] | None = None, skipped: list[str] | None = None
) -> list[Path]:
    """Draw every figure (or those named in ``only``) into ``out``; returns the files written.

    On the embedded sample (an empty store) the figures that draw random dates over the
    whole 2012-2025 history are skipped, each with one sentence appended to ``skipped``.
    """
    data = FigureData(store)
    reason = (
        "it draws random dates over 2012-2025, longer than the embedded sample; import the "
        "market snapshot or run `eventstudy data fetch --all` first"
        if data.data_note
        else ""
    )
    return write_figures(specs(data), out, only, skipped, skip_history=reason)


FIGURE_NAMES = (
    "hsi_property_indices",
    "caar_visit_and_cut",
    "volume_visit_and_cut",
    "day0_ar_lpr_cut",
    "placebo_mainland_lpr_cut",
    "coefficients_across_specs",
    "rolling_correlation_beta",
    "size_power",
)

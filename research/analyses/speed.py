"""Speed benchmark at scale: the engine against a per-security statsmodels loop and the PyPI
peer (not the market "benchmark" of a study).

One synthetic panel per size (seeded): ``n_secs`` securities x ``n_days`` sessions,
``n_events`` event dates shared by every security (so ``firm_events = n_secs *
n_events``), 250-day estimation window (-250..-11), 21-day event window (-10..+10),
market model and every test statistic at the day and CAR level (bootstrap off; other
events' windows kept in estimation windows, as the references do, so the firm-events are
the same).

The references run in the same process on the same inputs, on a random subsample of
firm-events (their cost is linear in firm-events, so it is extrapolated to the full size):

* ``loop``: for each firm-event, statsmodels OLS on its estimation window and its ARs;
  the engine's ARs must agree to 1e-10 (checked; a mismatch is an error);
* ``peer``: the PyPI package ``eventstudy`` (``Single.market_model``), when installed;
  it computes market-model ARs and CARs only.

Each size prints one JSON line; ``speedup_vs_loop`` and ``speedup_vs_peer`` are the
figures that count, absolute seconds vary between machines.  They compare the engine's
full battery with the references' smaller task; ``ar_car_seconds`` times the engine on
that task alone (``fit(pooled=False)``: estimation, ARs and their s.d., CARs, BHARs), and
``speedup_vs_loop_ar_car`` / ``speedup_vs_peer_ar_car`` are the like-for-like ratios.
"""

from __future__ import annotations

import json
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SIZES = ((10, 10), (50, 20), (200, 50), (1000, 100))  # (securities, events): 100 .. 100,000


def synthetic_panel(n_secs: int, n_events: int, n_days: int = 3000, seed: int = 0):
    """Returns, market and events table of the benchmark."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2000-01-03", periods=n_days)
    rm = rng.normal(0.0003, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, n_secs)
    r = rm[:, None] * beta + rng.standard_t(5, (n_days, n_secs)) * 0.015
    returns = pd.DataFrame(r, index=dates, columns=[f"S{i:04d}" for i in range(n_secs)])
    market = pd.DataFrame({"M": rm}, index=dates)
    days = rng.choice(np.arange(260, n_days - 11), size=n_events, replace=False)
    events = pd.DataFrame(
        {
            "security": np.tile(returns.columns, n_events),
            "day0": np.repeat(dates[days], n_secs),
            "event": np.repeat([f"E{j:03d}" for j in range(n_events)], n_secs),
        }
    )
    return returns, market, events


def run_engine(returns, market, events, battery: bool = True):
    """The engine on the benchmark's inputs: every test (``battery``), or only what the
    references compute (estimation, ARs, CARs: ``fit(pooled=False)``).
    """
    from research.estimation.study import EventStudy

    study = EventStudy(
        returns,
        events,
        market,
        model="market",
        window=(-10, 10),
        estimation=(-250, -11),
        bootstrap=0,
        other_events="keep",
    )
    res = study.fit(pooled=battery)
    if battery:
        res.day_tests  # noqa: B018  (the full battery at day level ...)
        res.window_tests  # noqa: B018  (... and at CAR level)
    return res


def engine_seconds(n_secs: int, n_events: int, battery: bool, seed: int = 0) -> float:
    """Seconds of one engine run (the first in its process, as in :func:`bench_size`)."""
    import research.estimation.study  # noqa: F401  (imports are not part of the timing)

    returns, market, events = synthetic_panel(n_secs, n_events, seed=seed)
    start = time.perf_counter()
    run_engine(returns, market, events, battery)
    return time.perf_counter() - start


def loop_reference(returns, market, events, rows):
    """Statsmodels OLS per firm-event on its estimation window: ARs (rows x 21)."""
    import statsmodels.api as sm

    idx = returns.index
    out = np.empty((len(rows), 21))
    m = market["M"].to_numpy()
    for k, i in enumerate(rows):
        sec, day0 = events["security"].iat[i], events["day0"].iat[i]
        p0 = idx.get_loc(day0)
        y = returns[sec].to_numpy()
        fit = sm.OLS(y[p0 - 250 : p0 - 10], sm.add_constant(m[p0 - 250 : p0 - 10])).fit()
        out[k] = y[p0 - 10 : p0 + 11] - fit.params[0] - fit.params[1] * m[p0 - 10 : p0 + 11]
    return out


def peer_reference(returns, market, events, rows):
    """PyPI ``eventstudy`` market-model ARs (rows x 21), or None when not installed."""
    try:
        import eventstudy as peer
    except ImportError:
        return None
    data = {"date": returns.index.to_numpy().astype("datetime64[D]")}
    data.update({c: returns[c].to_numpy() for c in returns.columns})
    data["M"] = market["M"].to_numpy()
    peer.Single._save_parameter("returns", data)
    out = np.empty((len(rows), 21))
    for k, i in enumerate(rows):
        day0 = np.datetime64(events["day0"].iat[i].date())
        res = peer.Single.market_model(events["security"].iat[i], "M", day0, (-10, 10), 240, 0)
        out[k] = res.AR
    return out


def _timed(fn, *args):
    """Value, seconds, and peak traced allocation (MB) from a second, untimed run
    (tracemalloc slows Python allocations, so it never runs while timing).  One untimed
    firm-event first: imports and first-call set-up are not the reference's cost per
    firm-event, which is what gets extrapolated.
    """
    fn(*args[:-1], args[-1][:1])
    start = time.perf_counter()
    value = fn(*args)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    fn(*args[:-1], args[-1][: max(1, len(args[-1]) // 5)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return value, seconds, peak / 2**20


def bench_size(n_secs: int, n_events: int, sample: int = 300, seed: int = 0) -> dict[str, Any]:
    """One size: engine, loop and peer; raises if the loop's ARs disagree beyond 1e-10."""
    import research.estimation.study  # noqa: F401  (imports are not part of the timing)

    returns, market, events = synthetic_panel(n_secs, n_events, seed=seed)
    k = len(events)
    start = time.perf_counter()
    res = run_engine(returns, market, events)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = np.random.default_rng(seed + 1)
    rows = np.sort(rng.choice(k, size=min(k, sample), replace=False))
    loop, loop_s, loop_mb = _timed(loop_reference, returns, market, events, rows)
    diff = float(np.max(np.abs(loop - res.ar[rows])))
    if not diff <= 1e-10:
        raise AssertionError(f"engine and statsmodels loop disagree by {diff:g} (> 1e-10)")
    line: dict[str, Any] = {
        "firm_events": k,
        "securities": n_secs,
        "events": n_events,
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(rss, 1),
        "loop_seconds": round(loop_s * k / len(rows), 3),
        "loop_sampled": len(rows),
        "loop_peak_alloc_mb": round(loop_mb, 1),
        "loop_max_abs_diff": diff,
        "speedup_vs_loop": round(loop_s * k / len(rows) / seconds, 1),
    }
    peer_rows = rows[: min(len(rows), 100)]
    peer, peer_s, peer_mb = _timed(peer_reference, returns, market, events, peer_rows)
    if peer is not None:
        line.update(
            {
                "peer_seconds": round(peer_s * k / len(peer_rows), 3),
                "peer_sampled": len(peer_rows),
                "peer_peak_alloc_mb": round(peer_mb, 1),
                "peer_max_abs_diff": float(np.max(np.abs(peer - res.ar[peer_rows]))),
                "speedup_vs_peer": round(peer_s * k / len(peer_rows) / seconds, 1),
            }
        )
    return line


def bench_placebo(n_draws: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Placebo inference with ``n_draws`` random dates on one 3,000-session series."""
    from research.analyses.placebo import placebo_test

    returns, market, _ = synthetic_panel(1, 1, seed=seed)
    y = returns.iloc[:, 0]
    placebo_test(y, market, returns.index[2000], window=(-1, 1), n_draws=10, seed=seed)  # warm
    start = time.perf_counter()
    res = placebo_test(y, market, returns.index[2000], window=(-1, 1), n_draws=n_draws, seed=seed)
    seconds = time.perf_counter() - start
    return {
        "placebo_draws": n_draws,
        "seconds": round(seconds, 4),
        "valid_draws": int(np.isfinite(res.random_dates).sum()),
    }


# the commands a user types, timed against the imports such a run must pay for
COMMANDS = {
    "run": ["run", "--event", "lpr-cut", "--group", "mainland-developer", "--benchmark", "^HSI"],
    "regress": ["regress", "--group", "mainland-developer"],
    "correlate": ["correlate", "--a", "mainland-developer", "--b", "^HSI", "--event", "lpr-cut"],
    "events": ["events"],
}
FLOOR_IMPORTS = "import pandas, scipy.special, exchange_calendars, pyarrow.parquet"
COMMAND_RATIO_TARGET = 1.5
SECONDS_TARGETS = {"figures": 8.0, "data import": 3.0}


def _wall(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one fresh process (an error is raised with its last line)."""
    import subprocess

    start = time.perf_counter()
    out = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {(out.stderr or out.stdout).strip()[-300:]}")
    return seconds


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "seconds": round(float(np.median(values)), 3),
        "seconds_min": round(min(values), 3),
        "seconds_max": round(max(values), 3),
        "runs": len(values),
    }


def command_times(
    market_dir: str | None = None, repeats: int = 5, figure_repeats: int = 2
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each command of :data:`COMMANDS` against the import floor, side by side in fresh
    processes (rounds alternate floor and commands; the median and the spread of each),
    ``data import`` of the market snapshot (or the embedded sample) into an empty store,
    and ``figures`` (every figure of docs/figures).

    The store and its calendar cache are warm for the commands (one untimed run of each
    first), as they are for a user's second command.  Returns the figures and, for each
    command over its target, where its time goes (:func:`command_profile`).
    """
    import os
    import subprocess
    import sys
    import tempfile

    python = sys.executable
    cli = [python, "-m", "research"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "EVENTSTUDY_DATA_DIR": str(Path(tmp) / "store")}
        source = [market_dir] if market_dir else ["--sample"]
        imports = []
        for k in range(repeats):
            fresh = {**env, "EVENTSTUDY_DATA_DIR": str(Path(tmp) / f"import{k}")}
            imports.append(_wall([*cli, "data", "import", *source], fresh))
        subprocess.run([*cli, "data", "import", *source], env=env, capture_output=True, check=True)
        for args in COMMANDS.values():  # warm the store's calendar cache, untimed
            _wall([*cli, *args], env)
        floor: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(repeats):
            floor.append(_wall([python, "-c", FLOOR_IMPORTS], env))
            for name, args in COMMANDS.items():
                times[name].append(_wall([*cli, *args], env))
        figures = [
            _wall([*cli, "figures", "--out", str(Path(tmp) / f"figs{k}")], env)
            for k in range(figure_repeats)
        ]
        floor_s = float(np.median(floor))
        profiles = [
            row
            for name, values in times.items()
            if np.median(values) / floor_s > COMMAND_RATIO_TARGET
            for row in command_profile(name, env)
        ]
    lines = [{"figure": "import floor", "what": FLOOR_IMPORTS, **_spread(floor)}]
    for name, values in times.items():
        spread = _spread(values)
        ratio = spread["seconds"] / floor_s
        lines.append(
            {
                "figure": name,
                "command": "eventstudy " + " ".join(COMMANDS[name]),
                **spread,
                "floor_seconds": round(floor_s, 3),
                "ratio_to_floor": round(ratio, 2),
                "target_ratio": COMMAND_RATIO_TARGET,
                "met": bool(ratio <= COMMAND_RATIO_TARGET),
            }
        )
    for name, values in (("data import", imports), ("figures", figures)):
        spread = _spread(values)
        target = SECONDS_TARGETS[name]
        lines.append(
            {
                "figure": name,
                **spread,
                "target_seconds": target,
                "met": bool(spread["seconds"] <= target),
            }
        )
    return lines, profiles


_PROFILE_CODE = """
import cProfile, io, json, pstats, sys, time
start = time.perf_counter()
import research.cli.commands
sys.argv = ["eventstudy", *{args!r}]
profile = cProfile.Profile()
profile.enable()
try:
    research.cli.commands.main()
except SystemExit:
    pass
profile.disable()
total = time.perf_counter() - start
stats = pstats.Stats(profile, stream=io.StringIO())
rows = {{}}
for (path, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
    key = path.rsplit("/", 1)[-1].removesuffix(".py") + "." + name
    if key in {wanted!r}:
        rows[key] = max(rows.get(key, 0.0), ct)
print(json.dumps({{"total": total, "rows": rows}}), file=sys.__stderr__)
"""

# what a command's time is made of: the library's own steps (cProfile, cumulative)
PROFILED_STEPS = (
    "analysis.prepare",
    "inputs.build_inputs",
    "store.load",
    "quality.scan",
    "markets.market_sessions",
    "study.fit",
    "regressions.run_regressions",
    "correlation.correlate",
    "results.summary",
    "report.study_summary",
)


def command_profile(name: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Where one command of :data:`COMMANDS` spends its time, in a fresh process: its
    imports (``-X importtime``: the top-level modules, cumulative) and the library's
    steps (cProfile, cumulative); rows ``{"command", "part", "seconds"}``, largest first.
    """
    import os
    import subprocess
    import sys

    code = _PROFILE_CODE.format(args=COMMANDS[name], wanted=PROFILED_STEPS)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
    )
    lines = out.stderr.splitlines()
    payload = json.loads(next(ln for ln in reversed(lines) if ln.startswith("{")))
    packages = ("numpy", "pandas", "pyarrow", "scipy", "typer", "research")
    spent = dict.fromkeys(packages, 0.0)
    top = 0.0
    for ln in lines:
        if not ln.startswith("import time:") or "|" not in ln:
            continue
        self_us, cum_us, module = ln.removeprefix("import time:").split("|")
        if not cum_us.strip().isdigit():
            continue
        package = module.strip().split(".")[0]
        if package in spent:  # self times add up exactly
            spent[package] += int(self_us) / 1e6
        if module.startswith(" ") and not module.startswith("  "):  # top level
            top += int(cum_us) / 1e6
    rows = [{"command": name, "part": "imports, all", "seconds": round(top, 3)}]
    rows += [
        {"command": name, "part": f"  of which {package}", "seconds": round(v, 3)}
        for package, v in spent.items()
    ]
    rows += [
        {"command": name, "part": step, "seconds": round(v, 3)}
        for step, v in sorted(payload["rows"].items(), key=lambda kv: -kv[1])
    ]
    rows.append(
        {"command": name, "part": "total, in process", "seconds": round(payload["total"], 3)}
    )
    return rows


def startup_times() -> dict[str, Any]:
    """Wall time of `eventstudy --help` and which heavy modules the CLI imports at start."""
    import subprocess
    import sys

    code = (
        "import sys, time; t = time.perf_counter(); import research.cli.commands; "
        "heavy = [m for m in ('pandas', 'numpy', 'statsmodels', 'matplotlib', 'yfinance', "
        "'scipy', 'exchange_calendars') if m in sys.modules]; "
        "print(time.perf_counter() - t, ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.split(" ", 1)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "research", "--help"], capture_output=True, check=True)
    help_s = time.perf_counter() - start
    return {
        "import_cli_seconds": round(float(seconds), 3),
        "heavy_modules_at_import": heavy.strip() or "none",
        "help_seconds": round(help_s, 3),
    }


def _last_line_of_fresh_process(code: str) -> str:
    """Run ``code`` in a fresh Python process; its last printed line (errors raised)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    return out.stdout.strip().splitlines()[-1]


def _engine_in_process(n_secs: int, n_events: int, battery: bool) -> float:
    """:func:`engine_seconds` in a fresh Python process."""
    return float(
        _last_line_of_fresh_process(
            "from research.analyses.speed import engine_seconds; "
            f"print(engine_seconds({n_secs}, {n_events}, battery={battery}))"
        )
    )


def main_lines(sizes=SIZES, sample: int = 300, repeats: int = 3) -> list[dict[str, Any]]:
    """Run every size in its own process (clean peak RSS) and return the JSON lines."""
    lines = []
    for n_secs, n_events in sizes:
        code = (
            "import json; from research.analyses.speed import bench_size; "
            f"print(json.dumps(bench_size({n_secs}, {n_events}, {sample})))"
        )
        line = json.loads(_last_line_of_fresh_process(code))
        # engine times are the median of `repeats` fresh processes (this machine's timings
        # vary by a third between identical runs), for the full battery and for the
        # references' own work (estimation, ARs, CARs)
        full = [line["seconds"]] + [
            _engine_in_process(n_secs, n_events, True) for _ in range(repeats - 1)
        ]
        same = float(
            np.median([_engine_in_process(n_secs, n_events, False) for _ in range(repeats)])
        )
        line["seconds"] = round(float(np.median(full)), 4)
        line["engine_repeats"] = repeats
        line["speedup_vs_loop"] = round(line["loop_seconds"] / line["seconds"], 1)
        if "peer_seconds" in line:
            line["speedup_vs_peer"] = round(line["peer_seconds"] / line["seconds"], 1)
        line["ar_car_seconds"] = round(same, 4)
        line["speedup_vs_loop_ar_car"] = round(line["loop_seconds"] / same, 1)
        if "peer_seconds" in line:
            line["speedup_vs_peer_ar_car"] = round(line["peer_seconds"] / same, 1)
        print(json.dumps(line), flush=True)
        lines.append(line)
    return lines


def profile_engine(n_secs: int = 1000, n_events: int = 100, top: int = 14) -> list[dict[str, Any]]:
    """Where the full battery spends its time: the package's functions by cumulative
    seconds under cProfile (which slows the run; read the shares, not the totals).
    """
    import cProfile
    import pstats
    from pathlib import Path

    import research.estimation.study  # noqa: F401  (imports are not part of the profile)

    returns, market, events = synthetic_panel(n_secs, n_events)
    prof = cProfile.Profile()
    prof.enable()
    run_engine(returns, market, events, True)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _), (_, _, _, ct, _) in stats.items())
    rows = [
        {
            "function": f"{Path(file).stem}.{func}",
            "cumulative_seconds": round(ct, 3),
            "share": round(ct / total, 3),
        }
        for (file, _, func), (_, _, _, ct, _) in stats.items()
        if "/research/" in file and not func.startswith("<")
    ]
    return sorted(rows, key=lambda r: -r["cumulative_seconds"])[:top]

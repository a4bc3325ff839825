"""Whole-market studies end to end: a seeded synthetic market in Yahoo's CSV layout,
imported into a fresh store, then one four-event study over every ticker.

    python scripts/bench_market.py                      # 100, 500, 2,000 and 5,000 tickers
    python scripts/bench_market.py --sizes 100 500      # a quick look

Each size runs in fresh processes: ``eventstudy data import DIR`` (seconds, peak RSS), then
``run_study`` over all tickers and four dates (seconds, peak RSS), beside the engine's own
time on the same firm-events (the synthetic panel of research/analyses/speed.py) and the
Python import floor (``FLOOR_IMPORTS`` of research/analyses/speed.py, with what a columnar
read imports, as scripts/bench.py measures it); the study, the engine and the floor run
``--repeat`` times, alternating, and their medians are kept (this machine's timings of one
process vary by a third from run to run).  Prints one JSON line per size and writes
docs/results/market_scale.json, which scripts/bench.py puts in docs/performance.md.
The figure that counts is the ratio end-to-end / (engine + import floor): absolute seconds
depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 3600
DATES = ("2022-03-15", "2022-09-20", "2023-03-21", "2023-06-20")

WRITE = """
import numpy as np, pandas as pd, exchange_calendars as xcals, sys
out, n = sys.argv[1], int(sys.argv[2])
sessions = xcals.get_calendar("XHKG").sessions_in_range("2010-01-01", "2025-12-31")[-{sessions}:]
rng = np.random.default_rng(2027)
market = np.cumsum(rng.normal(0.0002, 0.012, len(sessions)))
def write(ticker, logp, vol):
    close = np.exp(logp)
    frame = pd.DataFrame({{"Close": close, "High": close * 1.01, "Low": close * 0.99,
                          "Open": close, "Volume": vol}}, index=sessions.strftime("%Y-%m-%d"))
    with open(f"{{out}}/{{ticker}}.csv", "w") as f:
        f.write("Price,Close,High,Low,Open,Volume\\n")
        f.write("Ticker," + ",".join([ticker] * 5) + "\\n")
        f.write("Date,,,,,\\n")
        frame.to_csv(f, header=False)
write("^HSI", 10 + market, np.full(len(sessions), 1e9))
for i in range(n):
    beta = rng.uniform(0.5, 1.5)
    logp = 3 + beta * market + np.cumsum(rng.normal(0, 0.02, len(sessions)))
    write(f"{{9000 + i:04d}}.HK", logp, rng.integers(1_000, 1_000_000, len(sessions)))
"""

STUDY = """
import json, resource, sys, time
start = time.perf_counter()
import research as rs
tickers = [p.stem for p in __import__("pathlib").Path(sys.argv[1]).glob("*.HK.csv")]
res = rs.run_study(tickers=tickers, dates={dates}, benchmarks=["^HSI"])
res.day_tests, res.window_tests
print(json.dumps({{"seconds": time.perf_counter() - start, "firm_events": int(res.keep.sum()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

# `eventstudy data import DIR` in a fresh process (run with the working directory at a
# source tree: scripts/bench_against.py times another revision's tree with it)
IMPORT = """
import json, resource, sys, time
sys.path.insert(0, '.')
start = time.perf_counter()
sys.argv = ["eventstudy", "--quiet", "data", "import", sys.argv[1]]
from research.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

ENGINE = """
import json, sys
from research.analyses.speed import engine_seconds
print(json.dumps({{"seconds": engine_seconds({secs}, {events}, True)}}))
"""


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    """Wall seconds of a fresh process and its standard output (the children report
    their own peak RSS: a parent's view of its children's peak is the largest so far).
    """
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, out.stdout


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench import compile_package

    from research.analyses.speed import FLOOR_IMPORTS

    compile_package()  # as an install does: see scripts/bench.py
    py = sys.executable
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            csvs, store = Path(tmp) / "csv", Path(tmp) / "store"
            csvs.mkdir()
            env = {**os.environ, "EVENTSTUDY_DATA_DIR": str(store)}
            subprocess.run(
                [py, "-c", WRITE.format(sessions=SESSIONS), str(csvs), str(n)], check=True
            )
            _, out = timed([py, "-c", IMPORT.format(), str(csvs)], env)
            imported = json.loads(out.strip().splitlines()[-1])
            imp, imp_mb = imported["seconds"], imported["peak_mb"]
            floors, studies, engines = [], [], []
            for _ in range(args.repeat):
                floors.append(timed([py, "-c", FLOOR_IMPORTS], env)[0])
                _, out = timed([py, "-c", STUDY.format(dates=list(DATES)), str(csvs)], env)
                studies.append(json.loads(out.strip().splitlines()[-1]))
                _, out = timed([py, "-c", ENGINE.format(secs=n, events=len(DATES))], env)
                engines.append(json.loads(out.strip().splitlines()[-1])["seconds"])
            floor = statistics.median(floors)
            engine = statistics.median(engines)
            study = {
                "seconds": statistics.median(x["seconds"] for x in studies),
                "peak_mb": max(x["peak_mb"] for x in studies),
                "firm_events": studies[0]["firm_events"],
            }
        row = {
            "tickers": n,
            "sessions": SESSIONS,
            "import_seconds": round(imp, 2),
            "import_peak_mb": round(imp_mb),
            "study_seconds": round(study["seconds"], 2),
            "study_peak_mb": round(study["peak_mb"]),
            "firm_events": study["firm_events"],
            "engine_seconds": round(engine, 3),
            "import_floor_seconds": round(floor, 2),
            "ratio": round(study["seconds"] / (engine + floor), 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "market_scale.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

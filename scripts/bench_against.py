"""The engine (or an import) now against another git revision, side by side in one run.

    python scripts/bench_against.py 2645b2f              # 100,000 firm-events, 3 rounds
    python scripts/bench_against.py 2645b2f --secs 200 --events 50 --rounds 5
    python scripts/bench_against.py 0f6d4a2 --import-files 2000 --rounds 1 \
        --out docs/results/import_against.json           # `data import` of 2,000 files

With ``--import-files N`` it writes the seeded synthetic market of scripts/bench_market.py
(N tickers x 3,600 sessions in Yahoo's CSV layout) once, then imports it with each tree
into a fresh store (``eventstudy data import DIR``), alternating.

Checks the revision out into a temporary git worktree, then alternates fresh processes of
the two trees (each timing its first run of the full battery, as scripts/bench.py does)
and prints one JSON line per process and a summary line with the median seconds, the
ratio now/then and the peak RSS of each.  The ratio is the figure that counts: absolute
seconds vary between machines and between runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = """
import json, resource, sys
sys.path.insert(0, '.')
try:  # imports are not part of the timing
    import research.estimation.study
except ImportError:  # revisions before the layered package (0.2)
    import research.study
try:
    from research.analyses.speed import engine_seconds
except ImportError:  # revisions before the layered package, or before the rename
    try:
        from research.speed import engine_seconds
    except ImportError:
        from research.benchmark import engine_seconds
seconds = engine_seconds({secs}, {events}, True)
print(json.dumps({{"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(tree: Path, secs: int, events: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(secs=secs, events=events)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_import(tree: Path, csvs: Path, store: Path) -> dict:
    import os
    import shutil

    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "EVENTSTUDY_DATA_DIR": str(store)}
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_market import IMPORT

    out = subprocess.run(
        [sys.executable, "-c", IMPORT.format(), str(csvs)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="git revision to compare with (e.g. a commit)")
    parser.add_argument("--secs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--import-files", type=int, default=0, metavar="N")
    parser.add_argument("--out", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        then = Path(tmp) / "then"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(then), args.revision],
            cwd=ROOT,
            check=True,
        )
        try:
            results: dict[str, list[dict]] = {"then": [], "now": []}
            if args.import_files:
                sys.path.insert(0, str(ROOT / "scripts"))
                from bench_market import SESSIONS, WRITE

                csvs = Path(tmp) / "csv"
                csvs.mkdir()
                subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        WRITE.format(sessions=SESSIONS),
                        str(csvs),
                        str(args.import_files),
                    ],
                    check=True,
                )
            for _ in range(args.rounds):
                for name, tree in (("then", then), ("now", ROOT)):
                    if args.import_files:
                        r = run_import(tree, csvs, Path(tmp) / "store")
                    else:
                        r = run(tree, args.secs, args.events)
                    results[name].append(r)
                    print(json.dumps({"tree": name, **r}), flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(then)], cwd=ROOT)
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    what = (
        {"import_files": args.import_files, "sessions": 3600}
        if args.import_files
        else {"firm_events": args.secs * args.events}
    )
    summary = json.dumps(
        {
            **what,
            "revision": args.revision,
            "seconds_then": round(med["then"], 3),
            "seconds_now": round(med["now"], 3),
            "ratio_now_then": round(med["now"] / med["then"], 3),
            "peak_mb_then": round(peak["then"]),
            "peak_mb_now": round(peak["now"]),
        }
    )
    print(summary)
    if args.out:
        args.out.write_text(summary + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Scale benchmark of the engine against a statsmodels loop and the PyPI peer.

    python scripts/bench.py                 # 100 .. 100,000 firm-events, writes docs/performance.md
    python scripts/bench.py --small         # 100 and 1,000 only (what CI runs), prints JSON lines

Prints one JSON line per size (see research/benchmark.py for what is measured).  The full run
writes docs/performance.md and docs/performance/time_vs_size.png; timings depend on the
machine, so that figure is not part of the docs reproduction check.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from research.benchmark import SIZES, bench_placebo, main_lines, startup_times

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only the two smallest sizes")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.small else SIZES
    lines = main_lines(sizes)
    placebo = bench_placebo(2000 if args.small else 10_000)
    print(json.dumps(placebo))
    startup = startup_times()
    print(json.dumps(startup))
    if not args.small:
        write_report(args.out, lines, placebo, startup)
    return 0


def write_report(out: Path, lines, placebo, startup) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    k = [ln["firm_events"] for ln in lines]
    for key, label, colour in (
        ("seconds", "this package (full battery)", "#0072B2"),
        ("loop_seconds", "statsmodels loop (ARs only)", "#D55E00"),
        ("peer_seconds", "PyPI eventstudy (ARs, CARs)", "#009E73"),
    ):
        if all(key in ln for ln in lines):
            ax.loglog(k, [ln[key] for ln in lines], "o-", color=colour, label=label)
    ax.axhline(2, color="0.5", ls=":", lw=0.8)
    ax.set_xlabel("firm-events")
    ax.set_ylabel("seconds (loop and peer extrapolated from samples)")
    ax.set_title(f"Time against size on {platform.machine()}, 2 cores", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    (out / "performance").mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "performance" / "time_vs_size.png", dpi=150, metadata={"Software": None})

    big = lines[-1]
    rows = [
        "| firm-events | seconds | peak RSS (MB) | loop seconds | speedup vs loop | "
        "peer seconds | speedup vs peer | max |AR diff| vs loop / peer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for ln in lines:
        rows.append(
            f"| {ln['firm_events']:,} | {ln['seconds']:.2f} | {ln['peak_rss_mb']:.0f} | "
            f"{ln['loop_seconds']:.1f} | {ln['speedup_vs_loop']:.0f}x | "
            f"{ln.get('peer_seconds', float('nan')):.1f} | {ln.get('speedup_vs_peer', 0):.0f}x | "
            f"{ln['loop_max_abs_diff']:.0e} / {ln.get('peer_max_abs_diff', float('nan')):.0e} |"
        )
    targets = [
        (
            "100,000 firm-events, full battery, at most 2 s",
            f"{big['seconds']:.2f} s",
            big["seconds"] <= 2,
        ),
        ("... under 1 GB peak memory", f"{big['peak_rss_mb']:.0f} MB", big["peak_rss_mb"] < 1024),
        (
            "at least 50x faster than the per-security loop",
            f"{big['speedup_vs_loop']:.0f}x",
            big["speedup_vs_loop"] >= 50,
        ),
        (
            "placebo inference, 10,000 draws on one series, under 1 s",
            f"{placebo['seconds']:.2f} s",
            placebo["seconds"] < 1,
        ),
        (
            "`eventstudy --help` imports no heavy library",
            f"{startup['heavy_modules_at_import']} ({startup['help_seconds']:.2f} s for --help)",
            startup["heavy_modules_at_import"] == "none",
        ),
    ]
    text = [
        "# Performance",
        "",
        "Written by `python scripts/bench.py` (machine: "
        f"{platform.machine()}, Python {platform.python_version()}, 2 cores).",
        "Synthetic seeded panels of 3,000 sessions; market model, estimation -250..-11, event",
        "window -10..+10, every test statistic at day and CAR level (bootstrap off). Loop and",
        "peer run in the same process on a random sample of the firm-events and are",
        "extrapolated linearly; their ARs are checked against the engine (1e-10).",
        "",
        *rows,
        "",
        "![time against size](performance/time_vs_size.png)",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in targets],
        "",
        "Ratios are the figures that count; absolute seconds vary between machines. On this",
        "shared virtual machine they also vary between identical runs: the statsmodels loop",
        "took 1.4-2.3 ms per firm-event across the runs of one session, which moves the",
        "speedup against it by up to a half. Compare runs made back to back.",
        "",
    ]
    (out / "performance.md").write_text("\n".join(text))
    print(f"wrote {out / 'performance.md'}")


if __name__ == "__main__":
    raise SystemExit(main())

"""Size and power with thinly traded stocks: the return after a gap excluded (the default)
or kept trade to trade (``--thin-trading trade-to-trade``, Maynes & Rumsey 1993).

    python scripts/thin_trading_size.py                 # 1,000 trials -> docs/results/
    python scripts/thin_trading_size.py --trials 100 --out /tmp/x   # a quick look

Real returns, made thin: the Hong Kong stocks of the universe on their HKEX sessions,
2012-2025 (the store; import ``../shared/data/market`` first), with every stock's prices
rebuilt from its returns and then removed on a random share ``p`` of sessions
(independently per stock and day: thin trading, not suspensions).  Each trial draws 20
stocks with their own random day 0 (pseudo-events with a full window before thinning),
and ``shock`` is added to the day-0 return before thinning, so a missing day-0 price moves
the shock into the next traded return, as in a thin market.  The same pseudo-events run
both ways; rejection rates at 5% (two-sided), day 0 and CAR(-1,+1).  Prints the table and
writes it to ``--out``/thin_trading_size.csv, which ``scripts/size_power.py`` puts in
docs/validation.md (section 5).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TESTS = ("kp_cross_sectional_t", "corrado_rank_z", "patell_z", "bmp_t", "cross_sectional_t")


def prices_from(returns: np.ndarray) -> np.ndarray:
    """Price levels whose session returns are ``returns``: a price on every session with a
    return and on the session before a run of returns starts (NaN elsewhere).
    """
    have = np.isfinite(returns)
    starts = np.zeros_like(have)
    starts[:-1] = have[1:] & ~have[:-1]
    levels = np.cumprod(1 + np.where(have, returns, 0.0), axis=0)
    return np.where(have | starts, levels, np.nan)


def across_real_gaps(spans: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Where a trade-to-trade return spans a session the real data has no return on (a
    suspension, the days before a listing): those returns are not thin trading's.
    """
    n = len(missing)
    count = np.vstack([np.zeros((1, missing.shape[1])), np.cumsum(missing, axis=0)])
    t = np.arange(n)[:, None]
    lo = np.clip(t + 1 - np.nan_to_num(spans, nan=1).astype(int), 0, n)
    return np.take_along_axis(count, t + 1 + 0 * lo, 0) - np.take_along_axis(count, lo, 0) > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--secs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1993)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results")
    args = parser.parse_args()

    from research.analyses.simulation import draw_pseudo_events
    from research.data.inputs import build_inputs
    from research.data.returns import compute_returns, trade_to_trade_returns
    from research.data.universe import load_universe
    from research.estimation.study import EventStudy

    universe = load_universe()
    hk = [t for t in universe.index if t.endswith(".HK")]
    panel = build_inputs(hk, ["^HSI"], "HKEX", start="2012-01-01", end="2025-10-30")
    base = panel.returns
    bench = panel.benchmarks
    rng = np.random.default_rng(args.seed)
    events = draw_pseudo_events(base, args.trials, args.secs, (-1, 1), (-250, -11), 200, rng)
    rows = base.index.get_indexer(events["day0"])
    cols = base.columns.get_indexer(events["security"])
    out = []
    for share in (0.0, 0.1, 0.3):
        draw = np.random.default_rng([args.seed, int(share * 100)])
        gone = draw.random(base.shape) < share
        for shock in (0.0, -0.01):
            arr = base.to_numpy(copy=True)
            np.add.at(arr, (rows, cols), shock)
            prices = pd.DataFrame(
                np.where(gone, np.nan, prices_from(arr)), index=base.index, columns=base.columns
            )
            for how in ("exclude", "trade-to-trade"):
                if how == "exclude":
                    returns, spans = compute_returns(prices, base.index), None
                else:
                    returns, spans = trade_to_trade_returns(prices, base.index)
                    real = across_real_gaps(spans.to_numpy(), ~np.isfinite(arr))
                    returns, spans = returns.mask(real), spans.mask(real)
                res = EventStudy(
                    returns,
                    events,
                    bench,
                    car_windows=[(-1, 1), (0, 0)],
                    min_obs=120,
                    exclude=panel.exclude,
                    other_events="keep",
                    spans=spans,
                ).fit()
                day = res.day_tests[res.day_tests["day"] == 0]
                car = res.window_tests[res.window_tests["window"] == "(-1,1)"]
                for level, frame in (("day 0", day), ("CAR(-1,+1)", car)):
                    row = {
                        "p": share,
                        "shock": f"{100 * shock:+g}%",
                        "returns": how,
                        "level": level,
                        "mean n": round(float(frame["n"].mean()), 1),
                    }
                    for name in TESTS:
                        p = frame[f"{name}_p"].to_numpy(float)
                        row[name] = round(float(np.mean(p[np.isfinite(p)] < 0.05)), 3)
                    out.append(row)
    table = pd.DataFrame(out)
    pd.set_option("display.width", 200)
    print(
        f"Rejection rates at 5%, {args.trials} trials of {args.secs} HK stocks, market model "
        f"on ^HSI, prices removed on a share p of sessions (seed {args.seed})"
    )
    print(table.to_string(index=False))
    args.out.mkdir(parents=True, exist_ok=True)
    table.assign(trials=args.trials, secs=args.secs, seed=args.seed).to_csv(
        args.out / "thin_trading_size.csv", index=False, lineterminator="\n"
    )


if __name__ == "__main__":
    main()

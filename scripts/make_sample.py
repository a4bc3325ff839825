"""Cut the embedded sample (package data) from the market snapshot.

    python scripts/make_sample.py                       # from ../shared/data/market

Reads every file of the universe (data/universe.csv) from the snapshot with the package's
own importer, keeps the columns a study uses (close, adjusted close where the file has
one, volume) from 2021-06-01 to 2023-12-31 (the estimation windows of every catalogue
event from mid-2022, the events of 2022-2023, and the spans of the case-study figures),
and writes ``research/data/hk2023.csv.gz`` with ``research/data/hk2023.json``, which
records what was taken: each source file's SHA-256, its rows, its adjustment and the
span.  Provenance of the snapshot itself: ``../shared/data/market/PROVENANCE.md`` (and
data/README.md).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START, END = "2021-06-01", "2023-12-31"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--market", type=Path, default=ROOT.parent / "shared" / "data" / "market")
    parser.add_argument("--out", type=Path, default=ROOT / "research" / "data")
    args = parser.parse_args(argv)

    import pandas as pd

    from research.data.prices import read_price_csv
    from research.data.universe import load_universe

    frames, manifest = [], {"span": [START, END], "source": str(args.market), "tickers": {}}
    for ticker in load_universe().index:
        path = args.market / f"{ticker}.csv"
        parsed = read_price_csv(path)
        cut = parsed.frame.loc[START:END, ["close", "adj_close", "volume"]]
        frames.append(cut.assign(ticker=ticker))
        manifest["tickers"][ticker] = {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "adjusted": parsed.adjusted,
            "rows": len(cut),
            "first": f"{cut.index[0]:%Y-%m-%d}",
            "last": f"{cut.index[-1]:%Y-%m-%d}",
        }
    table = pd.concat(frames).reset_index()[["ticker", "date", "close", "adj_close", "volume"]]
    text = table.to_csv(index=False, date_format="%Y-%m-%d")
    args.out.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes
    with gzip.GzipFile(args.out / "hk2023.csv.gz", "wb", mtime=0, compresslevel=9) as fh:
        fh.write(text.encode("utf-8"))
    manifest["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (args.out / "hk2023.json").write_text(json.dumps(manifest, indent=1) + "\n")
    size = (args.out / "hk2023.csv.gz").stat().st_size
    print(f"wrote {args.out / 'hk2023.csv.gz'} ({size / 1024:.0f} KiB, {len(table)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

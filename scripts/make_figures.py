"""Regenerate every figure of docs/figures (the same as `eventstudy figures`).

    python scripts/make_figures.py [--out docs/figures]

Reads the price store (``EVENTSTUDY_DATA_DIR``): import ``../shared/data/market`` first.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from research.cases.hk2023 import build_all

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    args = parser.parse_args(argv)
    for path in build_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

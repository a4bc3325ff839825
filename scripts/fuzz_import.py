"""Fuzz the CSV importer for a bounded time (hypothesis with a large budget).

    python scripts/fuzz_import.py --seconds 120

Feeds the importer (1) arbitrary text over a CSV-ish alphabet, (2) valid Yahoo-style files
with random corruptions (a deleted or doubled character, a swapped line, a truncated tail).
Any exception other than MalformedFileError, or a frame that breaks the validation rules
(unsorted or duplicate dates, non-positive or non-finite closes), is a finding: the script
prints the smallest failing input hypothesis finds and exits 1.  Warnings count as
findings too: the first run found rows with more fields than the header, which pandas
truncated with only a ParserWarning (now refused with a clear error).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALPHABET = list("Date,Open,High,Low,Close,Adj Volume PriceTicker0123456789-.:+eENaN\n\r\t\"'")
VALID = """Date,Open,High,Low,Close,Adj Close,Volume
2023-06-15,20.0,21.0,19.5,20.5,20.1,1000
2023-06-16,20.5,20.9,20.0,20.2,19.9,1500
2023-06-19,20.2,20.4,19.0,19.1,18.8,2500
"""


def check(text: str) -> None:
    import warnings

    import numpy as np

    from research.data.prices import parse_price_text
    from research.errors import MalformedFileError

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning (e.g. pandas dropping fields) is a finding
        try:
            parsed = parse_price_text(text, "FUZZ")
        except MalformedFileError:
            return
    frame = parsed.frame
    close = frame["close"].to_numpy()
    assert len(frame) > 0, "empty frame accepted"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique, "bad dates accepted"
    assert np.isfinite(close).all() and (close > 0).all(), "bad close accepted"


def main(argv: list[str] | None = None) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    counts = {"random": 0, "mutated": 0}

    @st.composite
    def mutated(draw):
        text = list(VALID)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(text) - 1))
            op = draw(st.sampled_from(["delete", "double", "replace", "truncate"]))
            if op == "delete":
                del text[i]
            elif op == "double":
                text.insert(i, text[i])
            elif op == "replace":
                text[i] = draw(st.sampled_from(ALPHABET))
            else:
                text = text[:i]
            if not text:
                break
        return "".join(text)

    def run(strategy, name, until):
        @settings(
            max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(strategy)
        def target(text):
            counts[name] += 1
            check(text)

        while time.monotonic() < until:  # fresh random rounds of 500 until time is up
            target()

    half = args.seconds / 2
    try:
        run(
            st.text(alphabet=st.sampled_from(ALPHABET), max_size=400),
            "random",
            time.monotonic() + half,
        )
        run(mutated(), "mutated", time.monotonic() + half)
    except Exception as exc:  # hypothesis re-raises the minimal failing example
        print(f"FINDING: {type(exc).__name__}: {exc}")
        return 1
    print(f"no findings: {counts['random']} random and {counts['mutated']} mutated inputs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Reproduction check: the committed figures are what the code makes from the stored prices.

Every figure of docs/figures is regenerated into a temporary folder and compared with the
committed PNG by matplotlib's image comparison (RMS difference of pixel values on 0-255).
A tolerance of 3 absorbs anti-aliasing differences between FreeType and library patch
versions, while a changed result (a moved line, a new bar, another number in a legend)
gives an RMS difference well above 3.  SVG files are also regenerated, and docs/README.md
must list every figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from research.cases.hk2023 import FIGURE_NAMES

DOCS = Path(__file__).resolve().parent.parent / "docs"
TOLERANCE = 3.0


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory, market_store_path):
    import os

    from research.cases.hk2023 import build_all
    from research.data.store import PriceStore

    out = tmp_path_factory.mktemp("figures")
    old = os.environ.get("EVENTSTUDY_DATA_DIR")
    os.environ["EVENTSTUDY_DATA_DIR"] = str(market_store_path)
    try:
        build_all(out, store=PriceStore(market_store_path))
    finally:
        if old is None:
            os.environ.pop("EVENTSTUDY_DATA_DIR", None)
        else:
            os.environ["EVENTSTUDY_DATA_DIR"] = old
    return out


# figures that draw random dates over 2012-2025: they need the full snapshot
LONG_HISTORY = ("placebo_mainland_lpr_cut", "size_power")


@pytest.mark.parametrize("name", FIGURE_NAMES)
def test_committed_figure_matches_the_code(regenerated, name, request):
    from matplotlib.testing.compare import compare_images

    if name in LONG_HISTORY:
        request.getfixturevalue("market_dir")  # skips, with the reason, without the snapshot

    committed = DOCS / "figures" / f"{name}.png"
    assert committed.is_file(), f"{committed} is missing: run `eventstudy figures`"
    assert (regenerated / f"{name}.svg").is_file()
    diff = compare_images(str(committed), str(regenerated / f"{name}.png"), tol=TOLERANCE)
    assert diff is None, f"{name}: {diff}. Regenerate with `eventstudy figures` and commit."


def test_docs_index_lists_every_figure():
    index = (DOCS / "README.md").read_text()
    for name in FIGURE_NAMES:
        assert f"figures/{name}.png" in index


def test_figures_are_deterministic(tmp_path, market_store):
    from research.cases.hk2023 import build_all

    a = build_all(tmp_path / "a", store=market_store, only=["day0_ar_lpr_cut"])
    b = build_all(tmp_path / "b", store=market_store, only=["day0_ar_lpr_cut"])
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name

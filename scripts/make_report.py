"""The example report of docs/ and its screenshot.

    python scripts/make_report.py        # docs/report/example.html and screenshot.png

Writes the headline study's page with ``eventstudy report`` (from the price store, or the
embedded sample when the store is empty) and, when Chromium is installed (Debian's
``chromium``), a screenshot of its top taken by the headless browser.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report")
    args = parser.parse_args(argv)
    from research.analyses.analysis import run_study
    from research.cases.hk2023 import headline_requests
    from research.output.export import write_output
    from research.output.html_report import report_page

    page = args.out / "example.html"
    results = [run_study(r) for r in headline_requests()]
    write_output(report_page(results, "Hong Kong, June 2023: the visit and the rate cut"), page)
    print(f"wrote {page}")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("Chromium is not installed: no screenshot (apt-get install chromium)")
        return 0
    shot = args.out / "screenshot.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1300,1400",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

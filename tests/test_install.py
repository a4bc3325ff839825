"""Installed anywhere: what a wheel carries, its name and its version (issue 23).

CI builds the wheel, installs it in a clean venv and runs the headline study from another
folder (.ci/run); these tests hold what that relies on in the source tree.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import research
from research import config

ROOT = Path(__file__).resolve().parent.parent


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_version_and_name(cli):
    meta = project()["project"]
    assert meta["name"] == config.DISTRIBUTION == "market-event-study"
    assert meta["version"] == research.__version__
    result = cli("--version")
    assert result.code == 0 and result.out.strip() == f"market-event-study {research.__version__}"


def test_catalogue_and_universe_are_package_data():
    shipped = project()["tool"]["setuptools"]["package-data"]["research.data"]
    for name in ("events.csv", "universe.csv", "markets.json", "hk2023.csv.gz"):
        assert name in shipped and (ROOT / "research" / "data" / name).is_file(), name
    evidence = project()["tool"]["setuptools"]["package-data"]["research.stats"]
    assert evidence == ["size_evidence.json", "volume_evidence.json", "volatility_evidence.json"]
    assert (ROOT / "research" / "stats" / "size_evidence.json").is_file()
    # the repository's data/ is the documented place: it holds the same files
    for name in ("events.csv", "universe.csv"):
        assert (ROOT / "data" / name).read_bytes() == (
            ROOT / "research" / "data" / name
        ).read_bytes()
    assert config.catalogue_path().parent == config.PACKAGE_DATA


def test_an_installed_package_keeps_its_store_in_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("EVENTSTUDY_DATA_DIR")
    monkeypatch.setattr(config, "source_checkout", lambda: False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.data_home() == tmp_path / "market-event-study"
    monkeypatch.setattr(config, "source_checkout", lambda: True)
    assert config.data_home() == ROOT / "data" / "cache"

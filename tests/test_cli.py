"""The command line: outputs users rely on, and bad input -> one sentence, exit 2, store intact."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from research.data.store import PriceStore


def store_state(root) -> dict[str, bytes]:
    prices = root / "prices"
    if not prices.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(prices.iterdir())}


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("events", "data", "run"):
        assert command in result.out


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "research", "--help"], capture_output=True, text=True, check=True
    )
    assert "events" in out.stdout


def test_events_table_and_json(cli):
    table = cli("events")
    assert table.code == 0
    assert "lpr-cut" in table.out and "2023-06-20" in table.out
    doc = json.loads(cli("events", "--format", "json").out)
    sessions = {row["event"]: row["session"] for row in doc}
    assert sessions["goldman-cut"] == "2023-06-19"
    assert sessions["blinken-arrives"] == "2023-06-19"
    assert sessions["lpr-cut"] == "2023-06-20"
    assert all(row["rule"] for row in doc)
    csv = cli("events", "--format", "csv").out
    assert csv.splitlines()[0].startswith("event,timestamp,session")


def test_import_list_and_the_issue_command(cli, market_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setenv("COLUMNS", "100")
    result = cli("data", "import", str(market_dir))
    assert result.code == 0, result.err
    assert "imported 48 file(s)" in result.err
    # the import's report fits the terminal (the store's path aside: pytest's tmp paths are
    # long, and longer under parallel workers)
    shown = (result.out + result.err).replace(str(tmp_path / "fresh"), "<store>")
    assert max(len(line) for line in shown.splitlines()) <= 100
    listing = json.loads(cli("data", "list", "--format", "json").out)
    assert len(listing) == 48
    run = cli(
        "run",
        "--event",
        "lpr-cut",
        "--group",
        "mainland-developer",
        "--benchmark",
        "^HSI",
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert len(doc["estimation"]) == 17 and len(doc["days"]) == 3 and len(doc["windows"]) == 4
    assert {r["security"] for r in doc["securities"]} == {
        e["security"] for e in doc["estimation"] if e["kept"]
    }


def test_headline_study_runs_with_no_arguments(cli, market_store):
    result = cli("run")
    assert result.code == 0, result.err
    assert "blinken-arrives" in result.out and "lpr-cut" in result.out
    assert "mainland-developer" in result.out and "^HSI" in result.out


def test_csv_output_to_a_file(cli, market_store, tmp_path):
    out = tmp_path / "res" / "out.csv"
    result = cli(
        "run",
        "--event",
        "lpr-cut",
        "--tickers",
        "0016.HK,0012.HK",
        "--format",
        "csv",
        "--output",
        str(out),
    )
    assert result.code == 0, result.err
    header = out.read_text().splitlines()[0]
    assert header.startswith("event,group,security,day,date,ret,normal,ar")


BAD = [
    (["run", "--event", "no-such-event", "--tickers", "0016.HK"], "Unknown event id"),
    (["run", "--event", "lpr-cut", "--tickers", "NOPE.HK"], "No stored prices for NOPE.HK"),
    (["run", "--date", "2031-02-30", "--tickers", "0016.HK"], "is not a valid date"),
    (["run", "--date", "tomorrow", "--tickers", "0016.HK"], "is not a date"),
    (["run", "--date", "2030-01-02", "--tickers", "0016.HK"], "after the last HKEX session"),
    (
        ["run", "--event", "lpr-cut", "--tickers", "0016.HK", "--window", "3,-3"],
        "ends before it starts",
    ),
    (["run", "--event", "lpr-cut", "--tickers", "0016.HK", "--estimation", "-30,0"], "overlaps"),
    (
        [
            "run",
            "--event",
            "lpr-cut",
            "--tickers",
            "0016.HK",
            "--estimation",
            "-40,-11",
            "--min-obs",
            "100",
        ],
        "The estimation window has 30 days, fewer than the 100 usable days",
    ),
    (
        ["run", "--event", "lpr-cut", "--tickers", "1918.HK"],
        "1918.HK (lpr-cut) has 35 usable estimation days, fewer than the 120 required",
    ),
    (["run", "--event", "lpr-cut", "--group", "no-such-group"], "Unknown group"),
    (["run", "--event", "lpr-cut", "--tickers", "0016.HK", "--window", "1"], "two values"),
    (
        [
            "run",
            "--event",
            "lpr-cut",
            "--tickers",
            "0016.HK",
            "--benchmark",
            "^KS11",
            "--estimation",
            "2023-09-01,2023-10-31",
            "--window",
            "2023-11-01,2023-11-03",
        ],
        "the benchmark ^KS11 has no returns in the estimation window",
    ),
    (
        [
            "run",
            "--event",
            "lpr-cut",
            "--tickers",
            "0016.HK",
            "--estimation",
            "2023-01-02,2023-06-19",
            "--window",
            "2023-06-19,2023-06-21",
        ],
        "overlaps the event window",
    ),
    (["events", "--market", "MARS"], "Unknown market"),
    (["run", "--event", "lpr-cut", "--tickers", "0016.HX"], "did you mean 0016.HK?"),
    (["run", "--event", "lpr-cut", "--tickers", "HSI"], "did you mean ^HSI?"),
    (["run", "--event", "lpr-cut", "--tickers", "0016.hk"], "did you mean 0016.HK?"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD, ids=[" ".join(a[:4]) for a, _ in BAD])
def test_bad_input_is_one_sentence_exit_2_and_changes_nothing(cli, market_store, args, fragment):
    before = store_state(market_store.root)
    result = cli(*args)
    assert result.code == 2, (result.out, result.err)
    assert fragment in result.err
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in result.err
    assert store_state(market_store.root) == before


def test_malformed_csv_import_changes_nothing(cli, tmp_path):
    good = tmp_path / "GOOD.csv"
    good.write_text("Date,Close\n2023-06-16,10\n2023-06-19,11\n")
    assert cli("data", "import", str(good), "--market", "HKEX").code == 0
    root = PriceStore().root
    before = store_state(root)
    bad_dir = tmp_path / "batch"
    bad_dir.mkdir()
    (bad_dir / "GOOD.csv").write_text("Date,Close\n2023-06-16,99\n")
    (bad_dir / "BAD.csv").write_text("Date,Close\n2023-06-16,abc\n")
    result = cli("data", "import", str(bad_dir))
    assert result.code == 2
    assert "BAD.csv: column Close has 'abc' on 2023-06-16, not a number." in result.err
    assert store_state(root) == before  # the good file of the batch was not written either


def test_empty_store_listing_says_what_to_do(cli):
    result = cli("data", "list")
    assert result.code == 0 and "eventstudy data import" in result.err


def test_click_usage_errors_exit_2(cli):
    result = cli("run", "--model", "capm")
    assert result.code == 2


def test_regress_the_issue_command(cli, market_store):
    result = cli(
        "regress",
        "--event",
        "blinken-arrives",
        "--event",
        "lpr-cut",
        "--group",
        "mainland-developer",
        "--benchmark",
        "^HSI",
        "--hac",
        "--placebo",
        "200",
    )
    assert result.code == 0, result.err
    assert "not separately identified" in " ".join(result.out.split())
    flat = " ".join(result.out.split())  # tables and titles wrap at the terminal width
    assert "Placebo" in flat and "prediction error, Newey-West components" in flat


def test_regress_json_with_long_short_and_panel(cli, market_store):
    result = cli(
        "regress",
        "--event",
        "lpr-cut",
        "--group",
        "mainland-developer",
        "--group",
        "hk-developer",
        "--long-short",
        "mainland-developer,hk-developer",
        "--panel",
        "--window",
        "0,0",
        "--placebo",
        "100",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    names = [r["series"] for r in doc["regressions"]]
    assert names == [
        "mainland-developer (equal-weighted)",
        "hk-developer (equal-weighted)",
        "mainland-developer - hk-developer",
    ]
    terms = {t["term"] for t in doc["panel"]["terms"]}
    assert "lpr-cut[0]: mainland-developer - hk-developer" in terms
    assert all(0 < p["placebo_p_random_dates"] <= 1 for p in doc["placebo"])
    # the long-short regression's day-0 coefficient equals the panel's difference term up to
    # the estimation sample (portfolio vs stock-level fit): same sign, same order of size
    ls = next(
        r
        for r in doc["regressions"]
        if r["series"].endswith("hk-developer") and " - " in r["series"]
    )
    coef = next(c["coef"] for c in ls["coefficients"] if c["term"] == "lpr-cut[0]")
    panel = next(
        t["coef"]
        for t in doc["panel"]["terms"]
        if t["term"] == "lpr-cut[0]: mainland-developer - hk-developer"
    )
    assert np.sign(coef) == np.sign(panel) and abs(coef - panel) < 0.01


def test_regress_bad_long_short(cli, market_store):
    result = cli("regress", "--event", "lpr-cut", "--long-short", "mainland-developer")
    assert result.code == 2 and "two groups" in result.err


def test_clustered_study_names_and_leads_with_its_headline_tests(cli, market_store):
    """The issue's command: a group sharing one date leads with the tests that held their
    size with clustered dates (research/stats/size_evidence.json), in JSON and in the table."""
    from research.stats.headline import clustered_headline

    doc = json.loads(
        cli("run", "--event", "lpr-cut", "--group", "mainland-developer", "--format", "json").out
    )
    assert doc["headline_tests"] == list(clustered_headline()) and doc["headline_tests"]
    assert "cross-correlated" in doc["headline_reason"]
    assert "bmp_t" in doc["test_notes"] and "kp_cross_sectional_t" not in doc["test_notes"]
    assert doc["cohorts"][0]["clustered"] is True
    assert {w["ci_method"] for w in doc["windows"]} == {"kp_cross_sectional_t"}
    table = cli("run", "--event", "lpr-cut", "--group", "mainland-developer").out
    # the compact table (in one or two parts to fit 100 columns): its tests in the order
    # shown, each under its label, and the legend naming them
    from research.output.compact import LABELS

    part = table[table.index("lpr-cut, day 0 2023-06-20") :]
    part = part[: part.index("Notes:")]
    heads = " ".join(ln for ln in part.splitlines() if ln.startswith("group "))
    positions = [heads.index(LABELS[t]) for t in doc["headline_tests"]]
    assert positions == sorted(positions)  # led by them, in their order
    assert "bmp_t" not in part and "BMP t" not in part  # and only them
    for name in doc["headline_tests"]:
        assert f"{LABELS[name]} = {name}" in table
    assert max(len(ln) for ln in table.splitlines()) <= 100
    everything = cli("run", "--event", "lpr-cut", "--group", "mainland-developer", "--tests", "all")
    # every test asked for: their clustered-date sizes in one note, bmp_t's marked as
    # assuming independence (research/stats/size_evidence.json)
    from research.stats.headline import size_evidence

    worst = size_evidence()["worst_size"]["bmp_t"]
    said = " ".join(everything.out.split())
    assert f"BMP t {worst:.1%} (ind.)" in said
    assert "(ind.): assumes independent firm-events" in said


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--other-events", "bogus"], "Invalid value for '--other-events'"),
        (["--bootstrap", "-5"], "Invalid value for '--bootstrap'"),
    ],
)
def test_option_values_outside_their_choices_exit_2_without_a_traceback(
    cli, market_store, args, fragment
):
    result = cli("run", "--event", "lpr-cut", "--group", "reit", *args)
    assert result.code == 2
    assert fragment in " ".join(result.err.split())  # the message may wrap in its box
    assert "Traceback" not in result.err + result.out


def test_semicolon_separated_csv_with_decimal_commas_imports(cli, tmp_path):
    """A spreadsheet export (';' between fields, ',' in numbers) is read, not reported as
    missing columns."""
    path = tmp_path / "EU.csv"
    path.write_text("Date;Open;Close;Volume\n2023-06-16;10,5;10,25;100\n2023-06-19;10,3;11,75;90\n")
    result = cli("data", "import", str(path), "--market", "XETRA")
    assert result.code == 0, result.err
    stored = PriceStore().load("EU")
    assert stored["close"].tolist() == [10.25, 11.75]


def test_python_api_takes_strings_where_a_user_types_them(market_store):
    """run_study(events="lpr-cut") is one event (not seven letters), window="-1,1" a window;
    errors name the Python argument, not only the CLI flag."""
    from research.analyses.analysis import run_study
    from research.analyses.requests import parse_window
    from research.errors import EventStudyError, WindowError

    a = run_study(events="lpr-cut", groups="reit", window="-1,1", bootstrap=0)
    b = run_study(events=["lpr-cut"], groups=["reit"], window=(-1, 1), bootstrap=0)
    assert list(a.events["event"].unique()) == ["lpr-cut"]
    np.testing.assert_array_equal(a.ar, b.ar)
    assert parse_window(" -2 , 3 ") == (-2, 3)
    with pytest.raises(WindowError, match="must be two values"):
        parse_window("-1,0,1")
    with pytest.raises(WindowError, match="ends before it starts"):
        parse_window((1, -1))
    with pytest.raises(EventStudyError, match="events= or dates= in Python"):
        run_study(groups="reit")


def test_market_comes_from_the_tickers_and_contradictions_are_refused(cli, market_store):
    """US securities against ^GSPC need no --market (they were aligned on HKEX sessions and
    the S&P 500 shifted as a foreign benchmark before); mixed or contradicting exchanges
    exit 2 with one sentence unless --mixed-markets makes the choice explicit."""
    base = ("run", "--event", "lpr-cut", "--tickers", "EEM", "--benchmark", "^GSPC")
    inferred = json.loads(cli(*base, "--format", "json").out)
    explicit = json.loads(cli(*base, "--market", "NYSE", "--format", "json").out)
    assert inferred["estimation"] == explicit["estimation"]
    assert inferred["market"] == "market NYSE: the exchange of the tickers"
    assert 0.4 < inferred["estimation"][0]["beta"] < 1.2  # EEM on the S&P 500, same sessions
    forced = json.loads(cli(*base, "--market", "HKEX", "--mixed-markets", "--format", "json").out)
    assert forced["estimation"][0]["beta"] != pytest.approx(inferred["estimation"][0]["beta"])
    for extra, fragment in (
        (("--market", "HKEX"), "disagrees with the tickers (EEM: NYSE)"),
        (("--tickers", "EEM,0016.HK"), "trade on different exchanges"),
    ):
        args = [*base[:4], "EEM", "--benchmark", "^GSPC", *extra]
        if extra[0] == "--tickers":
            args = ["run", "--event", "lpr-cut", *extra, "--benchmark", "^GSPC"]
        result = cli(*args)
        assert result.code == 2 and fragment in result.err
        assert len([ln for ln in result.err.splitlines() if ln.strip()]) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("run",),
        ("run", "--event", "lpr-cut", "--group", "mainland-developer"),
        ("run", "--event", "lpr-cut", "--group", "mainland-developer", "--tests", "all"),
        (
            "regress",
            "--event",
            "lpr-cut",
            "--group",
            "mainland-developer",
            "--group",
            "hk-developer",
            "--long-short",
            "mainland-developer,hk-developer",
            "--panel",
            "--window",
            "0,0",
            "--hac",
            "--placebo",
            "50",
        ),
        ("correlate", "--placebo", "50"),
        ("events",),
        ("data", "list"),
    ],
    ids=lambda a: " ".join(a[:3]),
)
@pytest.mark.parametrize("columns", ["100", "80"])
def test_output_fits_the_terminal(cli, market_store, monkeypatch, args, columns):
    """Issue 15: tables wrap or split into blocks, notes wrap, at COLUMNS characters;
    issue 24: no table in more than two parts (`data list` was in four at 80 columns,
    `correlate` in three), and an identifier is never broken across lines."""
    import re

    monkeypatch.setenv("COLUMNS", columns)
    result = cli(*args)
    assert result.code == 0, result.err
    widest = max(len(line) for line in result.out.splitlines())
    assert widest <= int(columns), next(ln for ln in result.out.splitlines() if len(ln) == widest)
    assert all(int(n) <= 2 for n in re.findall(r"\(\d+/(\d+)\)", result.out))
    if args == ("events",):  # the longest id, whole on its line (it broke after "mil-t")
        assert "china-suspends-mil-talks" in result.out


COMMANDS = [
    ("events",),
    ("run",),
    ("regress",),
    ("report",),
    ("figures",),
    ("correlate",),
    ("bench",),
    ("data", "import"),
    ("data", "fetch"),
    ("data", "list"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_teaches(cli, monkeypatch, command):
    """Issue 15, item 5: an example in every subcommand's help, plain metavars (no Python
    types, nothing after a flag), the default of options shown."""
    monkeypatch.setenv("COLUMNS", "100")
    text = cli(*command, "--help").out
    flat = " ".join(text.split())
    assert "Example:" in flat
    for python_type in ("<list[str]>", "<str>", "<bool>", "<int>", "<path>"):
        assert python_type not in text, python_type
    if command in (("run",), ("regress",), ("report",)):
        assert "two relative days" in flat and "or two dates" in flat
        assert "[default: -1,1]" in flat
    if command in (("run",), ("regress",), ("correlate",), ("events",)):
        assert "--catalogue" in text


def test_events_and_data_list_show_titles_names_and_groups(cli, market_store, tmp_path):
    events = cli("events", "--format", "csv").out
    assert events.splitlines()[0].endswith(",title")
    listing = cli("data", "list", "--format", "csv").out
    assert listing.splitlines()[0].startswith("ticker,name,group,")
    assert "0016.HK,Sun Hung Kai Properties,hk-developer" in listing
    # --catalogue on run: a catalogue of the user's own
    cat = tmp_path / "events.csv"
    cat.write_text("id,timestamp,timezone\nmy-event,2023-06-20T09:15+08:00,Asia/Shanghai\n")
    result = cli("run", "--event", "my-event", "--group", "reit", "--catalogue", str(cat))
    assert result.code == 0, result.err
    assert "my-event" in result.out


def test_progress_only_on_a_terminal_and_not_when_quiet(monkeypatch, capsys):
    """Issue 15, item 4: slow commands draw a bar on standard error when it is a terminal,
    and print nothing extra otherwise or under --quiet."""
    import sys

    from research import progress

    assert list(progress.steps(range(3), "work")) == [0, 1, 2]
    assert capsys.readouterr().err == ""  # not a terminal (pytest captures it)

    class Tty:
        def __init__(self):
            self.text = []

        def isatty(self):
            return True

        def write(self, s):
            self.text.append(s)
            return len(s)

        def flush(self):
            pass

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    assert list(progress.steps(range(3), "work")) == [0, 1, 2]
    assert "work" in "".join(fake.text)
    fake.text.clear()
    monkeypatch.setattr(progress, "QUIET", True)
    list(progress.steps(range(3), "work"))
    assert fake.text == []


def test_quiet_option_is_accepted(cli, market_store):
    result = cli("--quiet", "events")
    assert result.code == 0 and "lpr-cut" in result.out


def test_unknown_exchanges_are_refused_and_the_default_benchmark_is_the_market_index(
    cli, market_store
):
    from research.analyses.analysis import resolve_market
    from research.errors import EventStudyError

    with pytest.raises(EventStudyError, match=r"exchange of ZZZZ is not recorded"):
        resolve_market(["ZZZZ"])  # no suffix: no exchange is assumed (it was NYSE once)
    assert resolve_market(["VOD.L"])[0] == "LSE"
    doc = json.loads(cli("run", "--event", "lpr-cut", "--tickers", "EEM", "--format", "json").out)
    assert doc["settings"]["benchmarks"] == ["^GSPC"]  # not the Hang Seng for a US security

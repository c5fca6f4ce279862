"""What a new user and a breaker found on the command line, each fixed as a user expects.

Bad input: exit status 2, one line naming the file, the line and the field, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
MINIMAL = (REPO / "tests" / "data" / "minimal.yaml").read_text()


def cli(*args: str):
    """The command line in this process (click's runner), stderr apart."""
    from sim.cli.main import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """tests/data/minimal.yaml with one text replaced, written to ``tmp_path/name``."""
    assert old in MINIMAL
    p = tmp_path / name
    p.write_text(MINIMAL.replace(old, new, 1))
    return p


def one_line_error(result, file: Path | str, line: int | None, field: str) -> str:
    """The single line of a refused input; checks status 2, no traceback, file/line/field."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    where = f"{file}:{line}: {field}: " if line is not None else f"{file}: {field}: "
    assert lines[0].startswith(where), lines[0]
    return lines[0]


# 1. a cold compiled-code cache is announced before the compile ---------------------------------


def _python(code: str, **env: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_an_empty_compiled_cache_reads_as_cold_and_the_numpy_backend_never_does(tmp_path):
    code = "from sim.compiled_cache import compile_ahead; print(compile_ahead())"
    empty = str(tmp_path / "numba")
    os.mkdir(empty)
    assert _python(code, NUMBA_CACHE_DIR=empty, GREATPOWER_KERNEL="compiled") == "True"
    assert _python(code, NUMBA_CACHE_DIR=empty, GREATPOWER_KERNEL="numpy") == "False"
    assert not [f for _d, _s, files in os.walk(empty) for f in files]  # it compiled nothing, wrote nothing


def test_after_a_turn_nothing_reads_as_cold_in_another_process():
    # every compiled function that a turn does not call on its own is named among the
    # occasional or inner ones: else a warm cache reads as cold and every run announces a compile
    done = _python(
        "from sim.compiled_cache import functions_to_compile\n"
        "from sim.loader import load_scenario\n"
        "from sim.model import GreatPowerModel\n"
        "GreatPowerModel(load_scenario('scenarios/baseline_2021.yaml'), seed=0, turns=2).step()\n"
        "print(functions_to_compile())",
        GREATPOWER_KERNEL="compiled",
    )
    assert done == "[]"
    assert _python("from sim.compiled_cache import functions_to_compile; print(functions_to_compile())", GREATPOWER_KERNEL="compiled") == "[]"


def test_a_run_with_a_cold_cache_says_so_on_stderr_before_it_compiles(tmp_path):
    from sim.compiled_cache import NOTICE

    empty = tmp_path / "numba"
    empty.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(empty), "GREATPOWER_KERNEL": "compiled"}
    p = subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), "run", "--turns", "1", "--quiet"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = p.stderr.readline().strip()  # arrives before the compile, which is then cut short
    finally:
        p.kill()
        p.communicate()
    assert first == NOTICE + "."


def test_with_nothing_to_compile_a_run_prints_no_notice():
    env = {**os.environ, "GREATPOWER_KERNEL": "numpy"}
    r = subprocess.run(
        [sys.executable, str(REPO / "run.py"), "run", "--turns", "1", "--quiet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert "compiling" not in r.stderr and "compiling" not in r.stdout


# 2-4. scenario input ------------------------------------------------------------------------------


def test_a_yaml_merge_key_is_refused_naming_its_line_and_mapping(tmp_path):
    old = "  GBR:\n    name: United Kingdom\n"
    p = variant(tmp_path, "merge.yaml", old, "  GBR:\n    <<: &common {name: United Kingdom}\n")
    line = one_line_error(cli("validate", str(p)), p, 43, "actors.GBR")
    assert "merge key" in line and "YAML 1.2" in line


def test_anchors_and_aliases_without_a_merge_key_are_still_read(tmp_path):
    p = variant(tmp_path, "alias.yaml", "    salience: {nato_ukraine: 0.4, sanctions: 0.5}\n", "    salience: *s\n")
    p.write_text(p.read_text().replace("    salience: {nato_ukraine: 0.5, sanctions: 0.5}\n", "    salience: &s {nato_ukraine: 0.5, sanctions: 0.5}\n", 1))
    r = cli("validate", str(p))
    assert r.exit_code == 0, r.output


def test_a_calendar_beyond_year_9999_is_refused_at_turns(tmp_path):
    p = variant(tmp_path, "year.yaml", 'start: "2021-10"', 'start: "9999-10"')
    line = one_line_error(cli("validate", str(p)), p, 6, "turns")
    assert "10000-10" in line and "9999-12" in line


def test_a_start_year_of_five_digits_is_refused_at_start(tmp_path):
    p = variant(tmp_path, "year5.yaml", 'start: "2021-10"', 'start: "10000-01"')
    one_line_error(cli("validate", str(p)), p, 5, "start")


def test_turns_on_the_command_line_may_not_leave_the_calendar(tmp_path):
    p = variant(tmp_path, "late.yaml", 'start: "2021-10"', 'start: "9998-12"')
    for cmd in (["run", str(p), "--turns", "13"], ["run", str(p), "--set", "turns=13"]):
        r = cli(*cmd)
        assert r.exit_code == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "10000-01" in r.stderr, r.stderr
    assert cli("run", str(p), "--turns", "13").stderr.startswith(f"{p}: --turns: ")


@pytest.mark.parametrize("digits", [4301, 5000])
def test_a_whole_number_too_long_to_read_names_its_line_and_field(tmp_path, digits):
    p = variant(tmp_path, "big.yaml", "capability: 65.9", "capability: " + "9" * digits)
    line = one_line_error(cli("validate", str(p)), p, 28, "actors.RUS.capability")
    assert f"{digits:,} digits" in line and len(line) < 300  # the number itself is not echoed


# 5. schema --out says where it wrote ---------------------------------------------------------------


def test_schema_out_writes_the_file_and_says_so_in_one_line(tmp_path):
    out = tmp_path / "s.json"
    r = cli("schema", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"scenario JSON Schema written to {out} ({out.stat().st_size:,} bytes)"
    assert '"title": "Scenario"' in out.read_text()
    assert cli("schema", "--out", "-").stdout == cli("schema").stdout  # '-' is stdout, as usual


# 6. play --screenshot keeps an existing picture unless --force ----------------------------------------


def test_a_screenshot_never_replaces_an_existing_png_without_force(tmp_path, monkeypatch):
    pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    scenario = tmp_path / "minimal.yaml"
    scenario.write_text(MINIMAL)
    shot = tmp_path / "shot.png"
    first = cli("play", str(scenario), "--screenshot", str(shot), "--size", "640x400")
    assert first.exit_code == 0, first.output
    picture = shot.read_bytes()
    shot.write_bytes(picture + b"kept")  # still a PNG, marked so that a rewrite shows
    again = cli("play", str(scenario), "--screenshot", str(shot), "--size", "640x400")
    line = one_line_error(again, shot, None, "--screenshot")
    assert "--force" in line and shot.read_bytes() == picture + b"kept"
    forced = cli("play", str(scenario), "--screenshot", str(shot), "--size", "640x400", "--force")
    assert forced.exit_code == 0, forced.output
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not shot.read_bytes().endswith(b"kept")


# 7, 10, 12. the run's account: one word for a conflict in talks, counts in the right number, patrols


@pytest.fixture(scope="module")
def accounts():
    """The default and the verbose account of two turns of the baseline (seed 7)."""
    plain = cli("run", "--turns", "2")
    verbose = cli("run", "--turns", "2", "--verbose")
    assert plain.exit_code == 0 and verbose.exit_code == 0, (plain.output, verbose.output)
    return plain.stdout, verbose.stdout


def test_the_kernels_conflict_has_one_name_in_digest_verbose_and_counters(accounts):
    plain, verbose = accounts
    assert "conflicts" in plain.split("talks: ", 1)[1].splitlines()[0]  # the digest
    assert "talks without agreement" in plain and "(conflicts " in plain  # the counters
    assert ": [italic]" not in verbose and ": conflict (both expect to gain" in verbose
    for text in (plain, verbose):  # (a source may speak of territorial disputes)
        assert "dispute (" not in text and "disputes and stalemates" not in text


def test_a_count_of_one_takes_the_singular():
    from sim.cli.account import counted, talks_digest

    one = talks_digest([{"type": "proposal", "outcome": "conflict"}])
    assert "talks: 1 proposal - 1 conflict[" in one
    two = talks_digest([{"type": "proposal", "outcome": "rejected"}] * 2)
    assert "talks: 2 proposals - 2 rejections by a bloc" in two
    assert counted(1, "turn") == "1 turn" and counted(0, "turn") == "0 turns"
    r = cli("run", "--turns", "1", "--quiet")
    assert "up to 1 turn from" in r.stdout and "Issues after 1 turn (" in r.stdout


def test_joint_patrols_are_shown_turn_by_turn(accounts):
    plain, verbose = accounts
    patrols = [line for line in verbose.splitlines() if line.startswith("joint patrol of ")]
    assert patrols and all(" in " in p for p in patrols)
    digest = [line for line in plain.splitlines() if line.startswith(("joint patrols: ", "joint patrol: "))]
    assert len(digest) >= 1
    flown = sum(line.count(";") + 1 for line in digest)
    assert flown == len(patrols)  # the same patrols, one line each in --verbose


# 8, 9. analyse on a small design: our words for SALib's warning, intervals, "too small to be read"


@pytest.fixture(scope="module")
def small_lhs(tmp_path_factory):
    """A 16-point LHS sweep of the minimal scenario, 4 runs a point (64 runs of 12 turns, seconds)."""
    d = tmp_path_factory.mktemp("lhs")
    (d / "minimal.yaml").write_text(MINIMAL)
    out = d / "lhs"
    r = subprocess.run(
        [sys.executable, str(REPO / "run.py"), "sweep", str(d / "minimal.yaml"), "--sample", "lhs", "--points", "16", "--runs", "4",
         "--seed", "1", "--workers", "1", "--range", "ai.temperature=0.02:0.1", "--range", "dynamics.tension_decay=0.02:0.1",
         "--range", "dynamics.escalation=0.1:0.4", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "GREATPOWER_SWEEP_FAIL_RUNS": ""},
    )
    assert r.returncode == 0, r.stderr
    # two outcomes whose indices this small design cannot read (a bootstrap resample without spread, a negative S1)
    a = subprocess.run(
        [sys.executable, str(REPO / "run.py"), "analyse", str(out), "--outcome", "channels_open", "--outcome", "expulsions"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert a.returncode == 0, a.stderr
    return out, a, r


def test_analyse_on_a_small_design_says_so_in_its_own_words(small_lhs):
    out, a, _sweep = small_lhs
    assert "Warning" not in a.stderr and "SALib/" not in a.stderr and "RuntimeWarning" not in a.stdout + a.stderr
    notes = [line for line in a.stdout.splitlines() if line.startswith("note: ")]
    assert any("the design is too small for the indices of" in n and "16 design points" in n for n in notes), notes
    assert any("S1 estimate(s) outside [0, 1]" in n and "sampling noise" in n for n in notes), notes
    warned = [n for n in notes if n.startswith("note: SALib warned")]
    assert len(warned) == 1 and "one value everywhere" in warned[0]  # one line of ours, not one per outcome


def test_analyse_shows_every_index_with_its_interval(small_lhs):
    import pandas as pd

    out, a, _sweep = small_lhs
    rows = [line for line in a.stdout.splitlines() if line.startswith("  ") and ": " in line and "largest" not in line]
    assert rows and all(line.count("+-") == 3 for line in rows), rows
    table = pd.read_csv(out / "analysis" / "sobol.csv")
    assert table["S1_conf"].notna().all() and (table["S1_conf"] > 0).all()


def test_runs_needed_reads_as_a_number_of_runs_not_a_year(small_lhs):
    _out, a, _sweep = small_lhs
    needed = [line for line in a.stdout.splitlines() if "would resolve a tenth" in line]
    assert needed
    for line in needed:
        n = line.split("about ", 1)[1].split(" runs per point", 1)[0]
        assert n.replace(",", "").isdigit() and (int(n.replace(",", "")) < 1000 or "," in n), line


def test_readable_means_an_interval_that_excludes_zero():
    from sim.sweep.analysis import readable

    assert readable(0.4, 0.1) and readable(-0.4, 0.1)
    assert not readable(0.1, 0.4) and not readable(0.3, float("nan")) and not readable(float("nan"), 0.1)


# 10. validity tables: float noise shown as 0.00, raw values kept ------------------------------------------


def test_validity_shows_float_noise_as_zero_and_keeps_real_values():
    import numpy as np

    from sim.validity import Estimate, estimate, shown

    e = Estimate(value=-2.220446049250313e-16, low=-3e-16, high=1e-16, n=200, stat="mean", values=np.zeros(200))
    assert e.text() == "0.00 [0.00, 0.00] (n=200)"
    assert e.value == -2.220446049250313e-16  # the raw value stays for files
    share = Estimate(value=-1e-17, low=0.0, high=0.02, n=200, stat="share", values=np.zeros(200))
    assert share.text().startswith("0.0% [0.0, 2.0]")
    assert shown(-0.013, "+.3g") == "-0.013" and shown(0.42, ".3g") == "0.42"
    assert estimate(np.array([0.1, 0.2, 0.3]), "mean").text().startswith("0.2 [")


# 11. the README explains the words the account prints --------------------------------------------------


def test_the_readme_glossary_explains_the_words_the_account_prints(accounts):
    readme = (REPO / "README.md").read_text()
    glossary = readme.split("## Words in the output", 1)[1].split("\n## ", 1)[0]
    _plain, verbose = accounts
    for word in ("stake", "exploration", "caucus:", "via ", "conflict", "stalemate", "talks without agreement", "joint patrol"):
        assert word in verbose or word in _plain, word  # the account does print it
        assert word in glossary, word
    for suffix in ("-EMB", "-MIL", "-2P2", "-UN", "-SUMMIT", "-AIT", "RUS-NATO", "NATO-MOW"):
        assert suffix in glossary, suffix


def test_the_sweeps_summary_and_report_say_what_the_conflicts_column_counts(small_lhs):
    out, _a, sweep = small_lhs
    summary = sweep.stdout + sweep.stderr
    assert "conflicts: talks without agreement (conflicts, stalemates, blocs' rejections)" in summary
    r = subprocess.run([sys.executable, str(REPO / "run.py"), "report", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "`conflicts` counts the talks without agreement" in (out / "report" / "report.md").read_text()


def test_the_account_names_a_request_to_a_human_host():
    """A request to reopen a channel that a human team hosts is printed (it was silent)."""
    from sim.cli.account import describe

    line = describe({"type": "channel_request", "channel": "USA-RUS-EMB", "by": "USA", "host": "RUS"})
    assert line == "USA asks to reopen USA-RUS-EMB: RUS (a human team) answers next month"


def test_a_range_of_thousands_of_digits_is_cut_in_its_message(tmp_path):
    """``--range PATH=0:<5,000 digits>`` names the flag without repeating the whole value."""
    big = "9" * 5000
    r = cli("sweep", str(REPO / "scenarios" / "baseline_2021.yaml"), "--runs", "2", "--range", f"actors.USA.threat.CHN=0:{big}", "--sample", "lhs", "--points", "2", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert big not in r.output and "(5,024 characters)" in r.output and len(r.output) < 400

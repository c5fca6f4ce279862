"""The ``run`` command as a user calls it: reproducible logs, readable output, clean errors."""

import json
import subprocess
import sys

import pytest

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    d = tmp_path_factory.mktemp("logs")
    out = {}
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        p = d / f"{name}.jsonl"
        r = run("run", "scenarios/baseline_2021.yaml", "--seed", seed, "--turns", "8", "--log", str(p))
        assert r.returncode == 0, r.stderr
        out[name] = (p, r)
    return out


def test_same_seed_gives_a_byte_identical_log(logs):
    assert logs["a"][0].read_bytes() == logs["b"][0].read_bytes()


def test_another_seed_gives_another_log(logs):
    assert logs["a"][0].read_bytes() != logs["c"][0].read_bytes()


def test_log_is_json_lines_with_one_line_per_turn_and_the_start(logs):
    rows = [json.loads(line) for line in logs["a"][0].read_text().splitlines()]
    assert [r["turn"] for r in rows] == list(range(len(rows)))
    assert rows[0]["seed"] == 7 and rows[0]["events"] == []
    assert 2 <= len(rows) <= 9
    decisions = [e for r in rows for e in r["events"] if e["type"] == "decision"]
    assert decisions and all("terms" in e and "alternatives" in e for e in decisions)


def test_terminal_account_names_turns_talks_and_the_final_tables(logs):
    text = logs["a"][1].stdout
    assert "turn 1 (2021-11)" in text
    assert "talks: " in text and " proposals - " in text
    assert "Issues after" in text and "Great powers" in text and "end state:" in text
    assert "NATO membership for Ukraine" in text


def test_verbose_shows_each_decision_with_its_reason_and_source():
    r = run("run", "--turns", "2", "--verbose")
    assert r.returncode == 0, r.stderr
    assert "talks " in r.stdout and "(score " in r.stdout and "interview L" in r.stdout


def test_log_refuses_a_missing_folder_without_creating_it(tmp_path):
    target = tmp_path / "nowhere" / "x.jsonl"
    r = run("run", "--turns", "1", "--quiet", "--log", str(target))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not target.parent.exists()


def test_negative_seed_is_a_usage_error():
    r = run("run", "--seed", "-1", "--turns", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_without_a_scenario_it_runs_the_baseline(tmp_path):
    r = run("run", "--turns", "1", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Baseline, October 2021" in r.stdout


def test_a_bad_scenario_exits_2_with_a_located_message_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: x\nstart: 2021-13\nturns: 3\nissues: {}\nactors: {}\n")
    r = run("run", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    assert f"{bad}:3: start: must be a month written YYYY-MM" in r.stderr


def test_bad_flags_exit_2():
    r = run("run", "--turns", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_the_run_account_shows_a_small_move_of_an_issue_as_a_move():
    """A move under the third decimal read "0.500 -> 0.500": the account shows enough decimals."""
    from sim.cli.account import _moved

    assert _moved(0.5, 0.5003, 3) == "0.5000 -> 0.5003"
    assert _moved(0.5, 0.543, 3) == "0.500 -> 0.543"
    assert _moved(0.3, 0.3000001, 3) == "0.300000 -> 0.300000"  # at most six decimals

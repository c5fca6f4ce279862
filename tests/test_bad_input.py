"""Bad input through the command line: one located line, exit status 2, no traceback, and never
a line of a file that is not the user's scenario.

The cases that need files outside the corpus (a foreign file with a secret line, links to it,
``extends`` that climbs out of the folder, a save or a sweep that names such a file, scenarios
too large to run) are built in a temporary folder; ``tests/bad_scenarios`` holds the rest. All
command-line runs start at once in one module fixture and the tests read their results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.cli_batch import FOREIGN_MAPPING, PASSWD, SECRET
    from tests.cli_batch import LOCATED as PROBLEM
except ImportError:  # pragma: no cover - depends on how pytest was started
    from cli_batch import FOREIGN_MAPPING, PASSWD, SECRET
    from cli_batch import LOCATED as PROBLEM

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"

ESLINT_LIKE = f"extends: eslint:recommended\nrules:\n  {SECRET}-rule: error\nenv: {{node: true}}\n"


def _scenario_extending(base: str) -> str:
    return f"extends: {base}\nname: derived\n"


def _actors_scenario(n: int, issues: int = 2) -> str:
    """The minimal scenario with ``n`` extra actors (and ``issues`` issues in all)."""
    lines = MINIMAL.read_text(encoding="utf-8").splitlines()
    at = lines.index("blocs:")
    extra = [f"  X{k:06d}:\n    name: extra {k}\n    capability: 1" for k in range(n)]
    text = "\n".join(lines[:at] + extra + lines[at:]) + "\n"
    if issues > 2:
        more = "".join(f"  extra_issue_{k}:\n    label: extra\n    state: 0.5\n    decided_by: [USA]\n" for k in range(issues - 2))
        text = text.replace("actors:\n", more + "actors:\n", 1)
    return text


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, tuple[list[str], subprocess.CompletedProcess]]:
    """Build every file, then run every command line at once."""
    d = tmp_path_factory.mktemp("bad_input")
    (d / "passwd").write_text(PASSWD)
    (d / "foreign.yaml").write_text(FOREIGN_MAPPING)
    (d / "eslint.yaml").write_text(ESLINT_LIKE)
    (d / "link_to_passwd").symlink_to(d / "passwd")
    (d / "x").write_text(FOREIGN_MAPPING)
    deep = d / "a" / "b"
    deep.mkdir(parents=True)
    for name, base in (("ext_passwd", "passwd"), ("ext_link", "link_to_passwd"), ("ext_foreign", "foreign.yaml"), ("ext_eslint", "eslint.yaml"), ("ext_abs", str(d / "passwd"))):
        (d / f"{name}.yaml").write_text(_scenario_extending(base))
    (deep / "ext_up.yaml").write_text(_scenario_extending("../../x"))
    (d / "actors_12000.yaml").write_text(_actors_scenario(12_000))
    (d / "actors_100000.yaml").write_text(_actors_scenario(100_000))
    (d / "vote_cells.yaml").write_text(_actors_scenario(97, issues=61))  # 61 x 100^3 cells
    # a save and a sweep manifest whose scenario is the foreign file
    save = {"format": "greatpower-save", "save_version": 2, "scenario_hash": "0" * 64, "scenario_path": str(d / "passwd"), "scenario_name": "x", "humans": [], "model": {"turn": 0, "log": []}, "snapshots": [{"turn": 0, "actors": {}, "channels": {}, "issues": {}, "tension": {}}], "ui": {}}
    (d / "save.json").write_text(json.dumps(save))
    sweep = d / "sweep"
    sweep.mkdir()
    manifest = {"format": 1, "kind": "greatpower-sweep", "n_runs": 1, "n_points": 1, "runs_per_point": 1, "master_seed": 0, "turns": 2, "scenario": {"file": str(d / "passwd"), "data_sha256": "0" * 64}, "grid": {"points": [{"point": 0, "params": {}}]}}
    (sweep / "manifest.json").write_text(json.dumps(manifest))
    jobs = {
        "validate_passwd": ["validate", str(d / "passwd")],
        "validate_foreign": ["validate", str(d / "foreign.yaml")],
        "validate_eslint": ["validate", str(d / "eslint.yaml")],
        "validate_etc_passwd": ["validate", "/etc/passwd"],
        "ext_passwd": ["validate", str(d / "ext_passwd.yaml")],
        "ext_link": ["validate", str(d / "ext_link.yaml")],
        "ext_foreign": ["validate", str(d / "ext_foreign.yaml")],
        "ext_eslint": ["validate", str(d / "ext_eslint.yaml")],
        "ext_abs": ["validate", str(d / "ext_abs.yaml")],
        "ext_up": ["validate", str(deep / "ext_up.yaml")],
        "run_ext_link": ["run", str(d / "ext_link.yaml"), "--turns", "1"],
        "save_of_passwd": ["play", "--load", str(d / "save.json"), "--screenshot", str(d / "shot.png")],
        "sweep_of_passwd": ["run", "--from-sweep", str(sweep), "--run-id", "0"],
        "run_12000_actors": ["run", str(d / "actors_12000.yaml"), "--turns", "1"],
        "validate_100000_actors": ["validate", str(d / "actors_100000.yaml")],
        "validate_vote_cells": ["validate", str(d / "vote_cells.yaml")],
        "sweep_runs_abc": ["sweep", str(MINIMAL), "--runs", "abc", "--out", str(d / "never")],
        "run_turns_0": ["run", "--turns", "0"],
        "play_turns_0": ["play", "--turns", "0"],
        "run_unknown_option": ["run", "--colour", "red"],
        "validate_no_file": ["validate"],
        "unknown_command": ["simulate"],
    }
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}

    def go(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "run.py"), *args], cwd=d, capture_output=True, text=True, timeout=300, env=env)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(go, args) for name, args in jobs.items()}
        return {name: (jobs[name], f.result()) for name, f in futures.items()}


def one_line(res: subprocess.CompletedProcess) -> str:
    """The one line that a refused input prints (and the checks every refusal passes)."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr, res.stderr
    assert SECRET not in res.stdout + res.stderr, res.stderr
    assert "root:x:0" not in res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


NOT_A_SCENARIO = [
    ("validate_passwd", "passwd", "(root)", "not a scenario: it has no schema_version"),
    ("validate_foreign", "foreign.yaml", "(root)", "not a scenario: it has no schema_version"),
    ("validate_eslint", "eslint.yaml", "(root)", "not a scenario: it has no schema_version and keys that a scenario does not have"),
    ("validate_etc_passwd", "/etc/passwd", "(root)", "not a scenario"),
    ("ext_passwd", "ext_passwd.yaml", "extends", "'passwd' is not a scenario"),
    ("ext_link", "ext_link.yaml", "extends", "'link_to_passwd' is not a scenario"),
    ("ext_foreign", "ext_foreign.yaml", "extends", "'foreign.yaml' is not a scenario"),
    ("ext_eslint", "ext_eslint.yaml", "extends", "'eslint.yaml' is not a scenario"),
    ("ext_abs", "ext_abs.yaml", "extends", "passwd' is not a scenario"),
    ("ext_up", "ext_up.yaml", "extends", "'../../x' is not a scenario"),
    ("run_ext_link", "ext_link.yaml", "extends", "'link_to_passwd' is not a scenario"),
]


@pytest.mark.parametrize("name, file, path, words", NOT_A_SCENARIO, ids=[c[0] for c in NOT_A_SCENARIO])
def test_a_file_that_is_not_a_scenario_is_one_line_without_its_content(cases, name, file, path, words):
    if name == "validate_etc_passwd" and not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd here")
    line = one_line(cases[name][1])
    m = PROBLEM.match(line)
    assert m and m["file"].endswith(file) and m["path"] == path and words in m["msg"], line
    assert int(m["line"]) == 1  # the foreign file as a whole, or the derived file's extends line


def test_a_save_whose_scenario_is_a_foreign_file_is_one_line(cases):
    pytest.importorskip("pygame")
    line = one_line(cases["save_of_passwd"][1])
    assert line.startswith(str(Path(cases["save_of_passwd"][0][2]))) and "not a scenario" in line, line


def test_a_sweep_whose_scenario_is_a_foreign_file_is_one_line(cases):
    line = one_line(cases["sweep_of_passwd"][1])
    m = PROBLEM.match(line)
    assert m and m["file"].endswith("passwd") and "not a scenario" in m["msg"], line


@pytest.mark.parametrize(
    "name, words",
    [
        ("run_12000_actors", "actors: too large to run: more than 390 actors"),
        ("validate_100000_actors", "actors: too large to run: more than 390 actors"),
        ("validate_vote_cells", "actors: too large to run: issues x actors^3 = 61 x 100^3 = 61,000,000 cells, at most 60,000,000"),
    ],
)
def test_a_scenario_too_large_to_run_is_refused_naming_the_limit(cases, name, words):
    line = one_line(cases[name][1])
    m = PROBLEM.match(line)
    assert m and words in line, line
    if "more than 390" in words:  # located at the first actor beyond the limit
        text = Path(cases[name][0][1]).read_text().splitlines()
        assert text[int(m["line"]) - 1].strip() == "X000387:", line  # 3 actors + 387 extra = 390


@pytest.mark.parametrize(
    "name, words",
    [
        ("sweep_runs_abc", "run.py sweep: Invalid value for '--runs': 'abc'"),
        ("run_turns_0", "run.py run: Invalid value for '--turns': 0 is not in the range 1<=x<=600"),
        ("play_turns_0", "run.py play: Invalid value for '--turns'"),
        ("run_unknown_option", "run.py run: No such option '--colour'"),
        ("validate_no_file", "run.py validate: Missing argument 'SCENARIO'"),
        ("unknown_command", "run.py: No such command 'simulate'"),
    ],
)
def test_usage_errors_are_one_line(cases, name, words):
    line = one_line(cases[name][1])
    assert line.startswith(words), line
    assert "Usage:" not in cases[name][1].stderr

"""Bad input to the tools added with the backtest, the seminar game and the analyst's kit, through
the command line: one line naming the file (and line and field where there is one), exit status
2, no traceback, never a line of a file that is not the user's own, and no user file lost.

Covered: backtest records (wrong types, files that are not records, a record whose scenario is a
foreign file, ``--out`` over a folder of user files), scenario objectives and outcomes, sweep
design files (a foreign file, a malformed CSV), grids and sweeps too large to plan, analysis
conditions (never evaluated as Python), damaged saves given to ``debrief``, and outputs that
would overwrite a user's file (``run --log``, ``schema --out``, ``validity --doc``/``--out``,
``new NAME/``).

Every command line runs once, in one module fixture, through ``tests/cli_batch.py`` (the
command line imported once, one forked process per command line); the tests read the results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.cli_batch import FOREIGN_MAPPING, LOCATED, PASSWD, SECRET, first_problems_and_count, one_line
except ImportError:  # pragma: no cover - depends on how pytest was started
    from cli_batch import FOREIGN_MAPPING, LOCATED, PASSWD, SECRET, first_problems_and_count, one_line

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"

FOREIGN_DUPLICATE = f"password: {SECRET}-1\npassword: {SECRET}-2\n"
GOOD_OUTCOME = "  - id: a\n    question: q?\n    kind: binary\n    measure: {event: incident, actors: [USA, RUS], by: 2022-06}\n    observed: true\n    source: s\n"


def _record(outcome: str = GOOD_OUTCOME, scenario: str = "minimal.yaml") -> str:
    return f"scenario: {scenario}\noutcomes:\n{outcome}"


def _save(minimal, turns: int = 2) -> dict:
    """A save of an all-AI game of the minimal scenario, as ``run --save`` writes it."""
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    model = GreatPowerModel(minimal, seed=7, turns=turns)
    history = [json.loads(json.dumps(model.snapshot()))]
    while model.running:
        model.step()
        history.append(json.loads(json.dumps(model.snapshot())))
    return saves.make_save(scenario=minimal, scenario_path="minimal.yaml", model_state=model.to_state(), snapshots=history, humans=[], ui={"seed": 7})


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Build every file, then run every command line (sweeps and saves first, then the rest)."""
    from sim.loader import load_scenario

    d = tmp_path_factory.mktemp("bad_tools")
    (d / "minimal.yaml").write_text(MINIMAL.read_text())
    (d / "passwd").write_text(PASSWD)
    (d / "link_to_passwd").symlink_to(d / "passwd")
    (d / "notes.txt").write_text("my notes\n")
    users = d / "users"
    users.mkdir()
    (users / "backtest.md").write_text("my own backtest notes\n")
    files = {
        "rec_observed_text.yaml": _record(GOOD_OUTCOME.replace("observed: true", 'observed: "yes"')),
        "rec_observed_null.yaml": _record(GOOD_OUTCOME.replace("observed: true", "observed: null")),
        "rec_equals_list.yaml": _record("  - {id: b, question: q, kind: binary, measure: {column: issue.sanctions, at: 2022-06, equals: [1]}, observed: true, source: s}\n"),
        "rec_foreign.yaml": FOREIGN_MAPPING,
        "rec_foreign_dup.yaml": FOREIGN_DUPLICATE,
        "rec_scenario_passwd.yaml": _record(scenario="passwd"),
        "rec_scenario_link.yaml": _record(scenario="link_to_passwd"),
        "rec_yaml11.yaml": "%YAML 1.1\n---\n" + _record(),
        "rec_unknown_actor.yaml": _record(GOOD_OUTCOME.replace("[USA, RUS]", "[USA, XXX]")),
        "rec_month_outside.yaml": _record(GOOD_OUTCOME.replace("by: 2022-06", "by: 2030-01")),
        "rec_empty.yaml": "",
        "rec_good.yaml": _record(),
        "rec_many_bad.yaml": _record("".join(GOOD_OUTCOME.replace("id: a", f"id: a{k}").replace("kind: binary", "kind: yesno") for k in range(30))),
        "design_passwd.csv": PASSWD,
        "design_huge_field.csv": "dynamics.tension_decay\n\"" + "x" * 200_000 + "\"\n",
        "design_many_bad.csv": "dynamics.tension_decay\n" + "".join(f"hot{k}\n" for k in range(30)),
        "design_semicolons.csv": "dynamics.tension_decay;ai.temperature\n0.1;0.05\n",
    }
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "rec_binary.yaml").write_bytes(bytes(range(256)) * 8)
    with open(d / "rec_huge.yaml", "wb") as f:
        f.truncate(17 * 1024 * 1024)
    minimal = MINIMAL.read_text()
    objective = "objectives:\n  USA:\n    - {id: o, text: t, condition: {issue: sanctions, at_least: 0.5}, by: BY}\n"
    scenario_files = {
        "sc_by_month.yaml": minimal + objective.replace("BY", "2022-13"),
        "sc_by_zero.yaml": minimal + objective.replace("BY", "0"),
        "sc_outcome_never.yaml": minimal + "outcomes:\n  - {id: x, kind: threshold, column: issue.sanctions, above: 5}\n",
        "sc_outcome_always.yaml": minimal + "outcomes:\n  - {id: x, kind: time_to_event, column: incidents, above: -3}\n",
    }
    for name, text in scenario_files.items():
        (d / name).write_text(text)
    # saves for debrief: a good one, then damaged copies
    base = _save(load_scenario(d / "minimal.yaml"))
    (d / "s.json").write_text(json.dumps(base))

    def damaged(name: str, change) -> None:
        doc = json.loads(json.dumps(base))
        change(doc)
        (d / name).write_text(json.dumps(doc))

    damaged("s_horizon.json", lambda s: s["model"].__setitem__("horizon", 10**12))
    damaged("s_log.json", lambda s: s["model"].__setitem__("log", [1, 2]))
    damaged("s_history.json", lambda s: s["snapshots"][1].__setitem__("issues", {"sanctions": SECRET}))
    damaged("s_last_turn.json", lambda s: s["model"].__setitem__("arrays", SECRET))
    damaged("s_scenario_passwd.json", lambda s: s.__setitem__("scenario_path", str(d / "passwd")))
    far = d / "sweep_far"
    far.mkdir()
    manifest = {"format": 1, "kind": "greatpower-sweep", "n_runs": 1, "runs_per_point": 1, "n_points": 1, "master_seed": 0, "turns": 10**9, "scenario": {"file": "minimal.yaml", "data_sha256": "0" * 64}, "grid": {"points": [{"point": 0, "params": {}}]}}
    (far / "manifest.json").write_text(json.dumps(manifest))
    (d / "validity_user").mkdir()
    (d / "validity_user" / "photo.jpg").write_bytes(b"mine")

    S = ["sweep", "minimal.yaml", "--runs", "1", "--turns", "1", "--workers", "1", "--out"]
    grid_axis = ",".join(f"{k / 1e6:g}" for k in range(1, 1001))
    first = {  # phase 0: what later command lines read
        "make_sweep": ["sweep", "minimal.yaml", "--runs", "2", "--turns", "1", "--workers", "1", "--grid", "dynamics.tension_decay=0.05,0.1", "--out", "sweep"],
        "make_save_with_overrides": ["run", "minimal.yaml", "--turns", "2", "-q", "--set", "dynamics.tension_decay=0.1", "--save", "s_overrides.json"],
    }
    jobs = {
        **{f"backtest_{n[4:-5]}": ["backtest", "--record", n, "--runs", "1", "--workers", "1"] for n in files if n.startswith("rec_") and n != "rec_good.yaml"},
        "backtest_binary": ["backtest", "--record", "rec_binary.yaml", "--runs", "1", "--workers", "1"],
        "backtest_huge": ["backtest", "--record", "rec_huge.yaml", "--runs", "1", "--workers", "1"],
        "backtest_record_passwd": ["backtest", "--record", "passwd", "--runs", "1", "--workers", "1"],
        "backtest_record_link": ["backtest", "--record", "link_to_passwd", "--runs", "1", "--workers", "1"],
        "backtest_out_users": ["backtest", "--record", "rec_good.yaml", "--runs", "1", "--workers", "1", "--out", "users"],
        **{f"validate_{n[3:-5]}": ["validate", n] for n in scenario_files},
        "design_passwd": [*S, "o1", "--design", "design_passwd.csv"],
        "design_link": [*S, "o2", "--design", "link_to_passwd"],
        "design_huge_field": [*S, "o3", "--design", "design_huge_field.csv"],
        "design_semicolons": [*S, "o4", "--design", "design_semicolons.csv"],
        "design_many_bad": [*S, "o5", "--design", "design_many_bad.csv"],
        "grid_too_large": [*S, "o6", "--grid", f"dynamics.tension_decay={grid_axis}", "--grid", f"dynamics.clash={grid_axis}"],
        "runs_too_many": ["sweep", "minimal.yaml", "--runs", "100000000000000", "--out", "o7"],
        "condition_call": ["analyse", "sweep", "--method", "cart", "--condition", f"incidents.to_csv('{d / 'written_by_condition'}')", "--out", "a1"],
        "condition_power": ["analyse", "sweep", "--method", "cart", "--condition", "10**10**10 > incidents", "--out", "a2"],
        "condition_dunder": ["analyse", "sweep", "--method", "cart", "--condition", "end_state.__class__ == 1", "--out", "a3"],
        "condition_unknown_column": ["analyse", "sweep", "--method", "cart", "--condition", "nope > 1", "--out", "a4"],
        "condition_text_times": ["analyse", "sweep", "--method", "cart", "--condition", "end_state * 100000000 == 'x'", "--out", "a5"],
        "condition_with_sobol": ["analyse", "sweep", "--method", "sobol", "--condition", "incidents > 1", "--out", "a6"],
        "outcome_unknown_end_state": ["analyse", "sweep", "--outcome", "end_state=nope", "--out", "a7"],
        "resume_other_seed": ["sweep", "minimal.yaml", "--runs", "2", "--turns", "1", "--workers", "1", "--grid", "dynamics.tension_decay=0.05,0.1", "--out", "sweep", "--resume", "--seed", "5"],
        "from_sweep_far": ["run", "--from-sweep", "sweep_far", "--run-id", "0", "-q"],
        "play_history": ["play", "--load", "s_history.json", "--screenshot", "shot.png"],
        "debrief_horizon": ["debrief", "s_horizon.json", "--runs", "1", "--out", "d1"],
        "debrief_log": ["debrief", "s_log.json", "--runs", "1", "--out", "d2"],
        "debrief_history": ["debrief", "s_history.json", "--runs", "1", "--out", "d3"],
        "debrief_last_turn": ["debrief", "s_last_turn.json", "--runs", "1", "--out", "d4"],
        "debrief_scenario_passwd": ["debrief", "s_scenario_passwd.json", "--runs", "1", "--out", "d5"],
        "debrief_with_overrides": ["debrief", "s_overrides.json", "--runs", "1", "--out", "d6"],
        "log_over_user_file": ["run", "minimal.yaml", "--turns", "1", "-q", "--log", "notes.txt"],
        "save_and_log_same": ["run", "minimal.yaml", "--turns", "1", "-q", "--log", "same.json", "--save", "same.json"],
        "schema_over_user_file": ["schema", "--out", "notes.txt"],
        "validity_doc_user_file": ["validity", "--seeds", "2", "--no-backtest", "--doc", "notes.txt", "--out", "v1"],
        "validity_out_user_folder": ["validity", "--seeds", "2", "--no-backtest", "--doc", "v.md", "--out", "validity_user"],
        "new_folder": ["new", "users/"],
    }
    batch = [{"name": k, "cwd": str(d), "args": v, "phase": 0} for k, v in first.items()]
    batch += [{"name": k, "cwd": str(d), "args": v, "phase": 1} for k, v in jobs.items()]
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    results = json.loads((d / "results.json").read_text())
    for k in first:
        assert results[k]["code"] == 0, results[k]
    return d, results


def located(res: dict, file: str, path: str, words: str) -> None:
    line = one_line(res)
    m = LOCATED.match(line)
    assert m and m["file"].endswith(file) and m["path"] == path and words in m["msg"], line


# ---------------------------------------------------------------- backtest records
@pytest.mark.parametrize(
    "name, file, path, words",
    [
        ("backtest_observed_text", "rec_observed_text.yaml", "outcomes[0].observed", "must be true or false (binary) or a number (level), got str 'yes'"),
        ("backtest_observed_null", "rec_observed_null.yaml", "outcomes[0].observed", "got nothing (null)"),
        ("backtest_equals_list", "rec_equals_list.yaml", "outcomes[0].measure.equals", "must be a word or a number, got list [1]"),
        ("backtest_foreign", "rec_foreign.yaml", "(root)", "not a record: it has no outcomes"),
        ("backtest_foreign_dup", "rec_foreign_dup.yaml", "(root)", "not a record: it has no outcomes"),
        ("backtest_record_passwd", "passwd", "(root)", "not a record"),
        ("backtest_record_link", "link_to_passwd", "(root)", "not a record"),
        ("backtest_scenario_passwd", "rec_scenario_passwd.yaml", "scenario", "'passwd' is not a scenario"),
        ("backtest_scenario_link", "rec_scenario_link.yaml", "scenario", "'link_to_passwd' is not a scenario"),
        ("backtest_yaml11", "rec_yaml11.yaml", "(root)", "only YAML 1.2 is read"),
        ("backtest_unknown_actor", "rec_unknown_actor.yaml", "outcomes[0].measure.actors[1]", "unknown actor or bloc 'XXX'"),
        ("backtest_month_outside", "rec_month_outside.yaml", "outcomes[0].measure.by", "2030-01 is outside the run (2021-11 to 2022-10)"),
        ("backtest_empty", "rec_empty.yaml", "(root)", "the record is empty"),
        ("backtest_binary", "rec_binary.yaml", "(root)", "not UTF-8 text"),
        ("backtest_huge", "rec_huge.yaml", "(root)", "too large"),
    ],
)
def test_a_bad_record_is_one_located_line(cases, name, file, path, words):
    located(cases[1][name], file, path, words)


def test_many_problems_show_the_first_twenty_and_a_count(cases):
    lines = first_problems_and_count(cases[1]["backtest_many_bad"], 20)
    assert lines[0] == "rec_many_bad.yaml:5: outcomes[0].kind: must be 'binary' or 'level'"
    assert lines[-1] == "rec_many_bad.yaml: and 10 more problems"


def test_backtest_never_writes_into_a_folder_of_user_files(cases):
    d, res = cases
    assert "--out users: this folder is not empty and holds no earlier backtest" in one_line(res["backtest_out_users"])
    assert (d / "users" / "backtest.md").read_text() == "my own backtest notes\n"


# ---------------------------------------------------------------- scenario objectives and outcomes
@pytest.mark.parametrize(
    "name, path, words",
    [
        ("by_month", "objectives.USA[0].by", "must be a turn number (e.g. 6) or a month written YYYY-MM (e.g. \"2022-03\"), got '2022-13'"),
        ("by_zero", "objectives.USA[0].by", "a turn number is from 1 to 10000, got 0"),
        ("outcome_never", "outcomes[0].above", "issue.sanctions is in [0, 1]: it is never above 5, so the outcome cannot vary"),
        ("outcome_always", "outcomes[0].above", "incidents is 0 or more: it is always above -3, so the outcome cannot vary"),
    ],
)
def test_a_bad_objective_or_outcome_is_one_located_line(cases, name, path, words):
    located(cases[1][f"validate_{name}"], f"sc_{name}.yaml", path, words)


# ---------------------------------------------------------------- sweeps: design files and sizes
@pytest.mark.parametrize("name, file", [("design_passwd", "design_passwd.csv"), ("design_link", "link_to_passwd"), ("design_semicolons", "design_semicolons.csv")])
def test_a_file_that_is_not_a_design_is_refused_without_its_content(cases, name, file):
    line = one_line(cases[1][name])
    assert line.startswith(f"{file}:1: --design: not a design file: column 1 of the first line is not a dotted path"), line
    assert "dynamics.tension_decay;ai" not in line


def test_a_malformed_csv_is_one_line(cases):
    assert one_line(cases[1]["design_huge_field"]).startswith("design_huge_field.csv:2: --design: not a CSV file (field larger than field limit")


def test_many_bad_cells_show_the_first_ten_and_a_count(cases):
    lines = first_problems_and_count(cases[1]["design_many_bad"], 10)
    assert lines[0] == "design_many_bad.csv:2: column dynamics.tension_decay: must be a number, got 'hot0'"
    assert lines[-1] == "design_many_bad.csv: --design: and 20 more problems"


def test_grids_and_sweeps_too_large_to_plan_are_refused_at_once(cases):
    assert one_line(cases[1]["grid_too_large"]) == "--grid: 1000 x 1000 = 1,000,000 grid points is more than 100,000"
    assert one_line(cases[1]["runs_too_many"]).startswith("--runs 100000000000000: 1 point(s) x 100,000,000,000,000 runs = ")
    assert not (cases[0] / "o6").exists() and not (cases[0] / "o7").exists()


def test_a_sweep_that_cannot_be_resumed_or_remade_is_one_line(cases):
    assert one_line(cases[1]["resume_other_seed"]) == "--resume refused: sweep holds a different sweep: --seed: the sweep has 0, this command gives 5"
    assert one_line(cases[1]["from_sweep_far"]) == "sweep_far: --from-sweep: manifest.json is damaged (a field is missing or of the wrong type)"


# ---------------------------------------------------------------- analyse: conditions are not Python
@pytest.mark.parametrize(
    "name, out, words",
    [
        ("condition_call", "a1", "a function call is not allowed in a condition"),
        ("condition_power", "a2", "the operator ** is not allowed in a condition"),
        ("condition_dunder", "a3", "an attribute (a.b) is not allowed in a condition"),
        ("condition_unknown_column", "a4", "unknown column 'nope'"),
        ("condition_text_times", "a5", "arithmetic needs numbers"),
        ("condition_with_sobol", "a6", "--condition goes with --method cart or prim"),
        ("outcome_unknown_end_state", "a7", "--outcome end_state=nope: no such end state (end states: armed_clash, grand_bargain, horizon"),
    ],
)
def test_a_bad_condition_or_outcome_is_refused_before_anything_is_written(cases, name, out, words):
    d, res = cases
    line = one_line(res[name])
    assert words in line, line
    assert not (d / "written_by_condition").exists() and not (d / out).exists()


def test_conditions_evaluate_only_comparisons_of_columns():
    from sim.sweep.condition import ConditionError, evaluate

    runs = pd.DataFrame({"end_state": ["horizon", "armed_clash", "horizon"], "incidents": [0, 3, 5], "tension.RUS-USA": [0.5, 0.9, 0.7]})
    table = [
        ("end_state == 'armed_clash'", [False, True, False]),
        ("`tension.RUS-USA` > 0.6 and incidents >= 3", [False, True, True]),
        ("end_state in ['armed_clash', 'x'] or incidents * 2 > 8", [False, True, True]),
        ("not 0.6 < `tension.RUS-USA` < 0.8", [True, True, False]),
        ("~(incidents == 0) & (end_state != 'horizon')", [False, True, False]),
        ("incidents > -1", [True, True, True]),
    ]
    for text, want in table:
        assert evaluate(runs, text).tolist() == want, text
    for text in ("incidents", "__import__('os')", "incidents.sum() > 1", "incidents ** 2 > 1", "incidents[0] > 1", "end_state > 1", "`incidents > 1", "lambda: 1"):
        with pytest.raises(ConditionError):
            evaluate(runs, text)


# ---------------------------------------------------------------- debrief: damaged saves
@pytest.mark.parametrize(
    "name, words",
    [
        ("debrief_horizon", "s_horizon.json is not a usable save: the game's horizon is not a number of turns from 2 to 600"),
        ("debrief_log", "s_log.json is not a usable save: the turn log is damaged"),
        ("debrief_history", "the saved game is damaged: turn 1 has no usable issues"),
        ("debrief_last_turn", "the saved game is damaged: the model does not reproduce the saved last turn"),
        ("debrief_scenario_passwd", "the save's scenario does not load:"),
    ],
)
def test_a_damaged_save_is_refused_in_one_line_before_any_ai_game(cases, name, words):
    line = one_line(cases[1][name])
    save = f"s_{name.removeprefix('debrief_')}.json"
    assert line.startswith(save) and line.count(save) == 1 and words in line, line  # the file named once
    assert "playing" not in cases[1][name]["stderr"]


def test_play_refuses_a_save_with_a_damaged_turn(cases):
    pytest.importorskip("pygame")
    assert one_line(cases[1]["play_history"]) == "s_history.json: the saved game is damaged: turn 1 has no usable issues"
    assert not (cases[0] / "shot.png").exists()


def test_debrief_of_a_game_with_overrides(cases):
    d, res = cases
    assert res["debrief_with_overrides"]["code"] == 0, res["debrief_with_overrides"]["stderr"]
    assert (d / "d6" / "debrief.html").is_file()


# ---------------------------------------------------------------- outputs never replace a user's file
@pytest.mark.parametrize(
    "name, line",
    [
        ("log_over_user_file", "notes.txt: --log: exists and is not a turn log of this program; refusing to overwrite it"),
        ("save_and_log_same", "same.json: --save: is also the --log file; refusing to overwrite it"),
        ("schema_over_user_file", "notes.txt: --out: exists and is not a scenario schema written by this command; refusing to overwrite it"),
        ("validity_doc_user_file", "notes.txt: --doc: exists and is not a validity document written by this command; refusing to overwrite it"),
        ("validity_out_user_folder", "validity_user: --out: this folder holds files that validity does not write; choose an empty or new folder"),
        ("new_folder", "users/: names a folder; give the new scenario's name (e.g. users/my_scenario)"),
    ],
)
def test_an_output_never_replaces_a_users_file(cases, name, line):
    d, res = cases
    assert one_line(res[name]) == line
    assert (d / "notes.txt").read_text() == "my notes\n"
    assert (d / "validity_user" / "photo.jpg").read_bytes() == b"mine" and not (d / "v1").exists()

"""What a third round of bad input found: hand-edited saves of a game with requests awaiting a
human team's answer, and ``--set`` values of thousands of characters.

A save's pending proposals, reopening requests (``"reopen": true``, made when a state asks a
human host to reopen a channel), motions, rebuffs and peak tensions were taken as they were; an
edited one loaded, then ended the game with a traceback at the next End turn (a channel or issue
that is not the scenario's, a missing field, a position that is text). Now each is one line at
load, exit status 2. A ``--set`` value of 5,000 digits was repeated whole (twice), and a path
part of 5,000 digits showed Python's own message about integer conversion. A sweep folder whose
runs.parquet is another table (another tool's file saved in its place) ended ``analyse`` and
``report`` with a KeyError traceback, and ``sweep --resume`` advised ``--resume`` again, which
failed the same way; now analyse and report refuse it in one line and --resume makes its runs again.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.cli_batch import SECRET, one_line
except ImportError:  # pragma: no cover - depends on how pytest was started
    from cli_batch import SECRET, one_line

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = REPO / "scenarios" / "tutorial.yaml"
EMB = "USA-RUS-EMB"
"""The US embassy in Moscow: sent by the United States, hosted by Russia (tutorial.yaml)."""


def _reopen_save(d: Path) -> dict:
    """A hot-seat game of the tutorial (USA and RUS human) in which the United States closed its
    embassy in Moscow, then asked Russia to reopen it: Russia has a reopening request pending."""
    from sim.actions import Action
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    sc = load_scenario(d / "tutorial.yaml")
    m = GreatPowerModel(sc, seed=3, humans=["USA", "RUS"])
    history = [json.loads(json.dumps(m.snapshot()))]
    for act in ("close_channel", "open_channel"):
        m.submit("USA", [Action(act, "USA", channel=EMB)])
        m.submit("RUS", [])
        m.step()
        history.append(json.loads(json.dumps(m.snapshot())))
    doc = saves.make_save(scenario=sc, scenario_path="tutorial.yaml", model_state=m.to_state(), snapshots=history, humans=["USA", "RUS"], ui={"team_index": 0, "chosen": {}})
    return json.loads(json.dumps(doc))


def _pending(change):
    """An edit of the saved pending requests, made alike in the model state and the last turn's
    snapshot (so that only the restore's own checks can refuse it)."""

    def edit(doc: dict) -> None:
        change(doc["model"]["pending"])
        doc["snapshots"][-1]["pending"] = copy.deepcopy(doc["model"]["pending"])

    return edit


def _request(p: dict) -> dict:
    return next(x for x in p["RUS"] if x.get("reopen"))


def _proposal(p: dict) -> dict:
    return next(x for xs in p.values() for x in xs if not x.get("reopen"))


DAMAGED = {  # an edit -> the words of the one line that refuses it (before: a traceback at End turn)
    "channel_unknown": (_pending(lambda p: _request(p).update(channel="NOPE")), "pending['RUS'][0]: a request to reopen 'NOPE', which is not a channel of the scenario"),
    "channel_not_hosted": (_pending(lambda p: _request(p).update(channel="RUS-USA-EMB")), "a request to reopen RUS-USA-EMB, which RUS does not host"),
    "from_missing": (_pending(lambda p: _request(p).pop("from")), "pending['RUS'][0]: from is None, not another actor of the scenario"),
    "reopen_text": (_pending(lambda p: _request(p).update(reopen="yes")), "reopen is 'yes', not true or false"),
    "team_not_human": (_pending(lambda p: p.update(XXX=[])), "pending holds proposals to 'XXX', which is not a human team of the game"),
    "entry_number": (_pending(lambda p: p["RUS"].append(5)), "] is not an object"),
    "proposal_issue": (_pending(lambda p: p["RUS"].append({"from": "USA", "issue": "nope", "position": 0.5, "eu": 0.1, "eff": 1.0, "expected_win": True, "age": 1})), "issue is 'nope', not an issue of the scenario"),
    "proposal_position": (_pending(lambda p: p["RUS"].append({"from": "USA", "issue": "sanctions_russia", "position": "abc", "eu": 0.1, "eff": 1.0, "expected_win": True, "age": 1})), "position is 'abc', not a number from 0 to 1"),
    "peak_tension_text": (lambda doc: doc["model"]["peak_tension"].update({k: "x" for k in doc["model"]["peak_tension"]}), "peak_tension is not a finite number for each pair of great powers (RUS-USA)"),
    "motion_bloc": (lambda doc: doc["model"].__setitem__("motions", [{"bloc": 7, "candidate": 0, "issue": 0, "votes": {}, "turn": 1}]), "motions[0] is not an accession motion of the scenario"),
    "rebuff_text": (lambda doc: doc["model"].__setitem__("rebuffs", [["a", 0, 1]]), "rebuffs[0] is not [bloc, candidate, count] of the scenario"),
}

LONG = "9" * 5000
SETS = {  # --set ARG -> the one line (the value is cut to its start and its length)
    "long_number": (f"actors.USA.capability={LONG}", "--set actors.USA.capability=999999999999999999... (5,022 characters): must be a finite number, got '9999999999999999999999999999999999999999... (5,000 characters)'"),
    "long_whole": (f"turns={LONG}", "--set turns=9999999999999999999999999999999999... (5,006 characters): is far too large a number, got '9999999999999999999999999999999999999999... (5,000 characters)'"),
    "long_path": (f"{LONG}=1", "--set 9999999999999999999999999999999999999999... (5,002 characters): unknown path: the scenario has no '9999999999999999999999999999999999999999... (5,000 characters)'"),
    "long_word": (f"ai.risk_model={'x' * 5000}", "--set ai.risk_model=xxxxxxxxxxxxxxxxxxxxxxxxxx... (5,014 characters): must be 'endogenous' or 'scenario'"),
    "unicode_digit_index": ("actors.USA.red_lines.\u00b2=1", "--set actors.USA.red_lines.\u00b2=1: unknown path: actors.USA.red_lines is an empty list"),
}


PATHS_TOO_LONG = {  # a command line naming a file or folder whose name is too long (LONG)
    "log": ["run", "tutorial.yaml", "-q", "--turns", "1", "--log", "LONG.jsonl"],
    "save": ["run", "tutorial.yaml", "-q", "--turns", "1", "--save", "LONG/game.json"],
    "screenshot": ["play", "tutorial.yaml", "--screenshot", "LONG.png"],
    "schema": ["schema", "--out", "LONG.json"],
    "sweep": ["sweep", "tutorial.yaml", "--runs", "1", "--turns", "1", "--out", "LONG"],
    "report": ["report", "sweep", "--out", "LONG"],
    "briefing": ["briefing", "tutorial.yaml", "--out", "LONG"],
    "new": ["new", "LONG"],
}
"""Before: an OSError traceback (File name too long), exit status 1."""

SWEEP = ["tutorial.yaml", "--turns", "2", "--workers", "1", "--range", "ai.temperature=0.01:0.1", "--range", "dynamics.tension_decay=0.05:0.2", "--sample", "lhs", "--points", "2"]
"""A sampled sweep of 2 points that takes about a second."""
FOREIGN_RUNS = {  # runs.parquet replaced by -> the column the one line names
    "foreign": ("it has no column 'run_id'", lambda df: df[["turns"]].rename(columns={"turns": "a"})),
    "no_param": ("it has no column 'param.ai.temperature'", lambda df: df.drop(columns=["param.ai.temperature"])),
    "end_state_number": ("its column 'end_state' holds int64, not text", lambda df: df.assign(end_state=5)),
}

EDITED_MANIFESTS = {  # a hand edit of manifest.json -> the words of the one line (before: a traceback)
    "grid_text": ("its grid is not a mapping", lambda m: m.__setitem__("grid", "x")),
    "design_number": ("its design is not a mapping", lambda m: m.__setitem__("design", 5)),
    "outcome_without_id": ("an outcome has no id", lambda m: m.__setitem__("outcomes", [{"name": 5}])),
    "axis_without_path": ("an axis of its grid has no path", lambda m: m["grid"].__setitem__("axes", [{"path": 5}])),
}


def _sweep_cases(d: Path, jobs: dict) -> None:
    """A small sweep, copies of it whose runs.parquet is another table, and the command lines."""
    import pandas as pd

    subprocess.run([sys.executable, str(REPO / "run.py"), "sweep", *SWEEP, "--runs", "2", "--out", "sweep"], cwd=d, check=True, capture_output=True, timeout=300)
    runs = pd.read_parquet(d / "sweep" / "runs.parquet")
    for tag, (_words, change) in FOREIGN_RUNS.items():
        shutil.copytree(d / "sweep", d / f"sweep_{tag}")
        change(runs).to_parquet(d / f"sweep_{tag}" / "runs.parquet")
        jobs[f"analyse_{tag}"] = ["analyse", f"sweep_{tag}", "--method", "sobol", "--out", f"an_{tag}"]
        jobs[f"discover_{tag}"] = ["analyse", f"sweep_{tag}", "--method", "cart", "--condition", "agreements >= 1", "--out", f"cart_{tag}"]
        jobs[f"report_{tag}"] = ["report", f"sweep_{tag}", "--out", f"rep_{tag}"]
    for tag, (_words, change) in EDITED_MANIFESTS.items():
        shutil.copytree(d / "sweep", d / f"manifest_{tag}")
        m = json.loads((d / f"manifest_{tag}" / "manifest.json").read_text())
        change(m)
        (d / f"manifest_{tag}" / "manifest.json").write_text(json.dumps(m))
        jobs[f"manifest_analyse_{tag}"] = ["analyse", f"manifest_{tag}", "--method", "cart", "--condition", "agreements >= 1", "--out", f"man_{tag}"]
        jobs[f"manifest_report_{tag}"] = ["report", f"manifest_{tag}", "--out", f"mrep_{tag}"]
    jobs["long_outcome"] = ["analyse", "sweep", "--method", "sobol", "--outcome", "x" + LONG, "--out", "an_long"]
    shutil.copytree(d / "sweep_foreign", d / "resume_foreign")
    jobs["resume_foreign"] = ["sweep", *SWEEP, "--runs", "3", "--out", "resume_foreign", "--resume"]
    shutil.copytree(d / "sweep", d / "resume_garbage")
    (d / "resume_garbage" / "journal.jsonl").write_bytes(b"\x00\xff" + SECRET.encode() + b"\n{}\n")
    jobs["resume_garbage"] = ["sweep", *SWEEP, "--runs", "2", "--out", "resume_garbage", "--resume"]


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Build every save, then run every command line once (tests/cli_batch.py)."""
    d = tmp_path_factory.mktemp("bad_restore")
    shutil.copy(TUTORIAL, d / "tutorial.yaml")
    good = _reopen_save(d)
    (d / "good.json").write_text(json.dumps(good))
    jobs: dict[str, list[str]] = {"good": ["play", "--load", "good.json", "--screenshot", "good.png"]}
    for tag, (change, _words) in DAMAGED.items():
        doc = copy.deepcopy(good)
        change(doc)
        (d / f"{tag}.json").write_text(json.dumps(doc))
        jobs[f"damaged_{tag}"] = ["play", "--load", f"{tag}.json", "--screenshot", f"{tag}.png"]
    for tag, (arg, _line) in SETS.items():
        jobs[f"set_{tag}"] = ["run", "tutorial.yaml", "--turns", "1", "-q", "--set", arg]
    _sweep_cases(d, jobs)
    long = "a" * 300  # longer than a file name may be (255 bytes)
    for tag, args in PATHS_TOO_LONG.items():
        jobs[f"long_{tag}"] = [a.replace("LONG", long) for a in args]
    (d / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode())
    jobs["bom_save"] = ["play", "--load", "bom.json", "--screenshot", "bom.png"]
    (d / "far.json").write_text(json.dumps({**good, "scenario_path": long + ".yaml"}))
    jobs["far_scenario"] = ["play", "--load", "far.json", "--screenshot", "far.png"]
    jobs["long_turns"] = ["run", "tutorial.yaml", "-q", "--turns", LONG]
    batch = [{"name": k, "cwd": str(d), "args": v} for k, v in jobs.items()]
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    return d, good, json.loads((d / "results.json").read_text())


def test_a_save_with_a_pending_reopen_request_loads_and_the_host_answers_it(cases):
    from sim.actions import Action
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    d, good, res = cases
    assert res["good"]["code"] == 0 and (d / "good.png").is_file(), res["good"]
    assert [p for p in good["model"]["pending"]["RUS"] if p.get("reopen")] == [{"from": "USA", "channel": EMB, "issue": "", "reopen": True, "age": 1}]
    data = saves.read_save(d / "good.json")
    sc, _path = saves.scenario_of(data, d / "good.json")
    model, _snaps = saves.restore(data, sc, GreatPowerModel)
    accept = Action("answer", "RUS", target="USA", channel=EMB, choice="accept")
    assert accept in model.legal_actions("RUS")
    model.submit("USA", [])
    model.submit("RUS", [accept])
    model.step()
    assert model.snapshot()["channels"][EMB]["status"] == "open"


@pytest.mark.parametrize("tag", list(DAMAGED))
def test_an_edited_pending_request_or_motion_is_one_line_at_load(cases, tag):
    d, _good, res = cases
    line = one_line(res[f"damaged_{tag}"])
    assert line.startswith(f"{tag}.json: the saved game does not fit its scenario: "), line
    assert DAMAGED[tag][1] in line, line
    assert not (d / f"{tag}.png").exists()


@pytest.mark.parametrize("tag", list(SETS))
def test_a_set_value_of_thousands_of_characters_is_cut_in_the_message(cases, tag):
    _d, _good, res = cases
    line = one_line(res[f"set_{tag}"])
    assert line.startswith(SETS[tag][1]), line
    assert len(line) < 400 and "sys.set_int_max_str_digits" not in line, line


@pytest.mark.parametrize("tag", list(FOREIGN_RUNS))
def test_analyse_and_report_refuse_a_runs_table_that_is_not_the_sweeps_in_one_line(cases, tag):
    d, _good, res = cases
    for job, out in (("analyse", "an"), ("discover", "cart"), ("report", "rep")):
        line = one_line(res[f"{job}_{tag}"])
        assert line == f"sweep_{tag}/runs.parquet: not the runs table of this sweep ({FOREIGN_RUNS[tag][0]}); rerun the sweep, or resume it after removing this file", line
        assert not (d / f"{out}_{tag}").exists()


@pytest.mark.parametrize("tag", list(FOREIGN_RUNS))
def test_load_results_refuses_a_runs_table_that_is_not_the_sweeps(cases, tag):
    # the library's reader says what the command line says, for a notebook's user
    from sim.sweep.report import ReportError, load_results

    d, _good, _res = cases
    with pytest.raises(ReportError) as caught:
        load_results(d / f"sweep_{tag}")
    assert str(caught.value) == f"{d / f'sweep_{tag}' / 'runs.parquet'}: not the runs table of this sweep ({FOREIGN_RUNS[tag][0]}); rerun the sweep, or resume it after removing this file"


@pytest.mark.parametrize("tag", list(EDITED_MANIFESTS))
def test_load_results_refuses_a_hand_edited_manifest(cases, tag):
    from sim.sweep.report import ReportError, load_results

    d, _good, _res = cases
    with pytest.raises(ReportError, match=EDITED_MANIFESTS[tag][0]):
        load_results(d / f"manifest_{tag}")


def test_resume_makes_again_the_runs_of_a_runs_table_that_is_not_the_sweeps(cases):
    import pandas as pd

    d, _good, res = cases
    r = res["resume_foreign"]
    assert r["code"] == 0 and "Traceback" not in r["stderr"], r
    assert "cannot read this part file; its 4 runs will be made again" in r["stdout"] + r["stderr"]
    runs = pd.read_parquet(d / "resume_foreign" / "runs.parquet")
    assert sorted(runs["run_id"]) == list(range(6))
    fresh = pd.read_parquet(d / "sweep" / "runs.parquet").set_index("run_id")
    again = runs.set_index("run_id").loc[fresh.index, fresh.columns]
    pd.testing.assert_frame_equal(again, fresh)  # the same runs as the first time, to the bit


def test_resume_says_when_its_journal_cannot_be_read_and_makes_the_runs_again(cases):
    import pandas as pd

    d, _good, res = cases
    r = res["resume_garbage"]
    out = r["stdout"] + r["stderr"]
    assert r["code"] == 0 and "Traceback" not in out, r
    assert "journal.jsonl: 2 lines from line 1 on are not a batch this program committed (a torn or edited line); their runs will be made again" in out
    assert SECRET not in out
    fresh = pd.read_parquet(d / "sweep" / "runs.parquet").set_index("run_id")
    again = pd.read_parquet(d / "resume_garbage" / "runs.parquet").set_index("run_id").loc[fresh.index, fresh.columns]
    pd.testing.assert_frame_equal(again, fresh)


@pytest.mark.parametrize("tag", list(PATHS_TOO_LONG))
def test_a_path_whose_name_is_too_long_is_one_line(cases, tag):
    d, _good, res = cases
    line = one_line(res[f"long_{tag}"])
    assert line.endswith(": File name too long") and "aaaaaaaaaa... (" in line and len(line) < 200, line
    assert not any(p.name.startswith("a" * 100) for p in d.iterdir())


def test_a_save_with_a_utf8_byte_order_mark_loads(cases):
    d, _good, res = cases  # as a text editor may write it when the save was opened and saved
    assert res["bom_save"]["code"] == 0 and (d / "bom.png").is_file(), res["bom_save"]


def test_a_refused_option_value_of_thousands_of_characters_is_cut(cases):
    _d, _good, res = cases
    line = one_line(res["long_turns"])
    assert line.startswith("run.py run: Invalid value for '--turns': '9999") and "... (5,002 characters)" in line and len(line) < 300, line


def test_a_save_whose_scenario_path_is_too_long_says_the_scenario_was_not_found(cases):
    _d, _good, res = cases
    line = one_line(res["far_scenario"])
    assert line.startswith("far.json: the save's scenario aaaa") and line.endswith("... (305 characters) was not found; give it on the command line (play SCENARIO --load SAVE)"), line


def test_an_unknown_outcome_of_thousands_of_characters_is_cut(cases):
    _d, _good, res = cases
    line = one_line(res["long_outcome"])
    assert line.startswith("--outcome x9999") and "... (5,001 characters): no such column in runs.parquet" in line and len(line) < 300, line


@pytest.mark.parametrize("tag", list(EDITED_MANIFESTS))
def test_analyse_and_report_refuse_a_hand_edited_manifest_in_one_line(cases, tag):
    d, _good, res = cases
    for job in ("analyse", "report"):
        line = one_line(res[f"manifest_{job}_{tag}"])
        assert line == f"manifest_{tag}/manifest.json: not a sweep manifest this program wrote ({EDITED_MANIFESTS[tag][0]}); rerun the sweep", line
    assert not (d / f"man_{tag}").exists() and not (d / f"mrep_{tag}").exists()

"""What the first users found, through the command line: a newcomer with the README alone and a
tester giving bad input.

Each finding has a test of what a user now sees: a bad input is one located line (file, line,
field), exit status 2, no traceback; a tool that had nothing to say now says why. All command
lines run once, in one module fixture, through ``tests/cli_batch.py`` (the command line imported
once, one forked process per command line).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.cli_batch import one_line
except ImportError:  # pragma: no cover - depends on how pytest was started
    from cli_batch import one_line

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+): (?P<msg>.+)$")

BAD_MATCH = {  # outcome line -> (field path, words of the message)
    "{id: a, kind: event_count, event: incident, match: {severity: high}}": ("outcomes[0].match.severity", "'incident' events have no field 'severity' (fields: armed_clash, cause, crisis, deconfliction, theatre)"),
    "{id: a, kind: event_count, event: staff, match: {kind: expell}}": ("outcomes[0].match.kind", "'kind' of 'staff' events is one of expel, restore_staff, not str 'expell'"),
    "{id: a, kind: event_count, event: channel, match: {to: close}}": ("outcomes[0].match.to", "'to' of 'channel' events is one of open, suspended, closed, not str 'close'"),
    "{id: a, kind: event_count, event: channel, match: {by: USX}}": ("outcomes[0].match.by", "'by' of 'channel' events is an actor: unknown actor 'USX' (did you mean 'USA'?)"),
    "{id: a, kind: event_count, event: incident, match: {crisis: 'yes'}}": ("outcomes[0].match.crisis", "'crisis' of 'incident' events is true or false, not str 'yes'"),
    "{id: a, kind: event_count, event: incident, match: {actors: USA}}": ("outcomes[0].match.actors", "'actors' of 'incident' events is a list, which no single value equals; select by the actors involved with 'between'"),
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Build every file, then run every command line."""
    d = tmp_path_factory.mktemp("findings")
    minimal = MINIMAL.read_text()
    (d / "minimal.yaml").write_text(minimal)
    jobs: dict[str, list[str]] = {}
    for k, line in enumerate(BAD_MATCH):
        (d / f"match_{k}.yaml").write_text(minimal + f"outcomes:\n  - {line}\n")
        jobs[f"match_{k}"] = ["validate", f"match_{k}.yaml"]
    (d / "match_good.yaml").write_text(minimal + "outcomes:\n  - {id: a, kind: event_count, event: staff, match: {kind: expel, by: RUS}}\n")
    jobs["match_good"] = ["validate", "match_good.yaml"]
    _saves(d, jobs)
    (d / "a").mkdir()
    (d / "b").mkdir()
    (d / "a" / "base.yaml").write_text(minimal)
    (d / "a" / "derived.yaml").write_text("extends: base.yaml\nturns: 4\n")
    jobs["new_from_derived"] = ["new", "b/copy", "--from", "a/derived.yaml"]
    counted = "outcomes:\n  - {id: scheduled_expulsions, kind: event_count, event: event, match: {kind: expulsion}}\n  - {id: tense, kind: threshold, column: tension.RUS-USA, above: 0.01}\n"
    (d / "counted.yaml").write_text(minimal + counted)  # one scheduled expulsion a run: a count that is 1 in every run
    jobs["sweep_counted"] = ["sweep", "counted.yaml", "--runs", "3", "--turns", "4", "--workers", "1", "--out", "sw"]
    jobs["sweep_small_grid"] = ["sweep", "minimal.yaml", "--runs", "3", "--turns", "2", "--workers", "1", "--grid", "dynamics.tension_decay=0.05,0.1", "--out", "sw2"]
    M = str(2**64 - 1)
    record = str(REPO / "validation" / "record_2021_2024.yaml")
    seeded = {
        "run": ["run", "minimal.yaml", "-q", "--turns", "1"],
        "play": ["play", "minimal.yaml", "--screenshot", "seed_shot.png"],
        "sweep": ["sweep", "minimal.yaml", "--runs", "1", "--turns", "1", "--workers", "1", "--out", "SWEEP"],
        "validity": ["validity", "--seeds", "2", "--no-backtest", "--doc", "v.md", "--out", "v"],
        "backtest": ["backtest", "--record", record, "--runs", "1", "--workers", "1", "--out", "BT"],
        "debrief": ["debrief", "saves/good.json", "--runs", "1", "--out", "DB"],
    }
    for cmd, args in seeded.items():
        for tag, value in (("over", str(2**64)), ("negative", "-1"), ("text", "seven")):
            jobs[f"seed_{tag}_{cmd}"] = [*(a.replace("SWEEP", "s_" + tag).replace("BT", "b_" + tag).replace("DB", "d_" + tag) for a in args), "--seed", value]
        if cmd != "validity":  # the largest seed is accepted (validity: the same type, not run here for time)
            jobs[f"seed_max_{cmd}"] = [*(a.replace("SWEEP", "s_max").replace("BT", "b_max").replace("DB", "d_max") for a in args), "--seed", M]
    jobs["briefing_rus"] = ["briefing", str(REPO / "scenarios" / "baseline_2021.yaml"), "--team", "RUS", "--out", "br"]
    later = {
        "report_counted": ["report", "sw", "--out", "rep"],
        "cart_no_rule": ["analyse", "sw2", "--method", "cart", "--condition", "run == 0", "--out", "an"],
    }
    batch = [{"name": k, "cwd": str(d), "args": v, "phase": 0} for k, v in jobs.items()]
    batch += [{"name": k, "cwd": str(d), "args": v, "phase": 1} for k, v in later.items()]
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    return d, json.loads((d / "results.json").read_text())


def _saves(d: Path, jobs: dict[str, list[str]]) -> None:
    """Saves of the minimal scenario that no longer fit it, each for its own reason."""
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    sv = d / "saves"
    sv.mkdir()
    (sv / "minimal.yaml").write_text(MINIMAL.read_text())
    (sv / "old.yaml").write_text(MINIMAL.read_text())
    sc = load_scenario(sv / "minimal.yaml")
    model = GreatPowerModel(sc, seed=7, turns=2)
    history = [json.loads(json.dumps(model.snapshot()))]
    while model.running:
        model.step()
        history.append(json.loads(json.dumps(model.snapshot())))
    base = saves.make_save(scenario=sc, scenario_path="minimal.yaml", model_state=model.to_state(), snapshots=history, humans=[], ui={"seed": 7})

    def write(name: str, **change) -> None:
        doc = json.loads(json.dumps(base))
        for k, v in change.items():
            if v is None:
                del doc[k]
            else:
                doc[k] = v
        (sv / name).write_text(json.dumps(doc))

    write("good.json")
    # the user edited the scenario after saving (the file given on the command line differs)
    (sv / "edited.yaml").write_text(MINIMAL.read_text().replace("size: 0.1", "size: 0.2"))
    write("content.json")
    # the scenario is the same but the program's schema was another when saved (an older program)
    write("schema.json", scenario_hash="1" * 64, scenario_schema="2" * 64)
    # a save from before the two hashes, its scenario file untouched since (an older program)
    write("old.json", scenario_hash="1" * 64, scenario_schema=None, scenario_content=None, scenario_path="old.yaml")
    os.utime(sv / "old.yaml", (1_500_000_000, 1_500_000_000))
    write("v1.json", save_version=1)
    shot = ["--screenshot", "shot.png"]
    jobs["save_good"] = ["play", "saves/minimal.yaml", "--load", "saves/good.json", *shot]
    jobs["save_content"] = ["play", "saves/edited.yaml", "--load", "saves/content.json", *shot]
    jobs["save_schema"] = ["debrief", "saves/schema.json", "--runs", "1", "--out", "d1"]
    jobs["save_old"] = ["play", "--load", "saves/old.json", *shot]
    jobs["save_v1"] = ["debrief", "saves/v1.json", "--runs", "1", "--out", "d2"]



# ---------------------------------------------------------------- 1. outcomes' match
@pytest.mark.parametrize("k", range(len(BAD_MATCH)))
def test_a_match_naming_a_field_or_value_events_do_not_have_is_refused_with_its_line(cases, k):
    _, results = cases
    path, words = list(BAD_MATCH.values())[k]
    line = one_line(results[f"match_{k}"])
    m = LOCATED.match(line)
    assert m and m["file"].endswith(f"match_{k}.yaml") and m["line"] == str(MINIMAL.read_text().count("\n") + 2), line
    assert m["path"] == path and m["msg"] == words, line


def test_a_match_on_fields_events_have_is_accepted(cases):
    _, results = cases
    assert results["match_good"]["code"] == 0, results["match_good"]


def test_every_field_the_turn_log_writes_is_known_to_the_match_check():
    """The fields and values of real events (one baseline run) are those the check accepts."""
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel
    from sim.schema import LOG_EVENT_FIELDS

    model = GreatPowerModel(load_scenario(REPO / "scenarios" / "baseline_2021.yaml"), seed=1)
    while model.running:
        model.step()
    seen = 0
    for ev in (e for entry in model.log for e in entry["events"]):
        fields = LOG_EVENT_FIELDS.get(ev["type"])
        if fields is None:
            continue
        for key, value in ev.items():
            if key == "type":
                continue
            assert key in fields, (ev["type"], key)
            what = fields[key]
            if isinstance(what, tuple):
                assert value in what, (ev["type"], key, value)
            elif what == "bool":
                assert isinstance(value, bool), (ev["type"], key, value)
            seen += 1
    assert seen > 100


# ---------------------------------------------------------------- 2. a save that no longer fits
def test_a_save_that_fits_its_scenario_loads(cases):
    _, results = cases
    assert results["save_good"]["code"] == 0, results["save_good"]


@pytest.mark.parametrize(
    "name, words",
    [
        ("save_content", "the scenario 'Minimal' (saves/edited.yaml) is not the one this save was made with: its content differs (hash "),
        ("save_schema", "the scenario 'Minimal' is unchanged, but this program's scenario schema differs from the one the save was made with"),
        ("save_old", "the scenario file has not been modified since the save, so this program's scenario schema most likely changed"),
        ("save_v1", "is a save of version 1; this program reads version 2 (saves are not converted)"),
    ],
)
def test_a_save_that_no_longer_fits_says_what_changed_and_what_to_do(cases, name, words):
    _, results = cases
    line = one_line(results[name])
    assert words in line, line
    assert "(the scenario file was changed, or it is another scenario)" not in line, line
    assert "or start a new game" in line, line
    if name in ("save_schema", "save_old", "save_v1"):
        assert "program version that" in line, line


# ---------------------------------------------------------------- 3. new --from a derived scenario
def test_new_from_a_scenario_with_extends_into_another_folder_writes_a_scenario_that_loads(cases):
    from sim.loader import load_scenario

    d, results = cases
    res = results["new_from_derived"]
    assert res["code"] == 0, res
    assert "extends ../a/base.yaml" in res["stdout"], res["stdout"]
    written = d / "b" / "copy.yaml"
    sc = load_scenario(written)
    assert sc.name == "Copy" and sc.turns == 4  # its own name, the derived file's turns
    assert set(sc.actors) == set(load_scenario(d / "a" / "base.yaml").actors)  # and the base's world


# ---------------------------------------------------------------- 4. counts are counts, 0/1 outcomes shares
def test_a_count_outcome_is_a_mean_count_and_a_threshold_outcome_a_share_in_summary_and_report(cases):
    d, results = cases
    assert results["sweep_counted"]["code"] == 0, results["sweep_counted"]
    assert results["report_counted"]["code"] == 0, results["report_counted"]
    printed = {ln.split()[0]: ln.split(None, 1)[1] for ln in results["sweep_counted"]["stdout"].splitlines() if ln.startswith("  outcome.")}
    assert printed["outcome.scheduled_expulsions"] == "1.00 per run [1.00, 1.00]", printed  # was "100.0% [43.9, 100.0]"
    assert printed["outcome.tense"].startswith("100.0% ["), printed
    report = (d / "rep" / "report.md").read_text()
    assert "| outcome.scheduled_expulsions | 1.00 per run [1.00, 1.00] |" in report
    assert "| outcome.tense | 100.0% [" in report
    import pandas as pd

    summary = pd.read_csv(d / "rep" / "summary.csv").set_index("outcome")
    assert summary.loc["outcome.scheduled_expulsions", "kind"] == "count"
    assert summary.loc["outcome.tense", "kind"] == "frequency"


# ---------------------------------------------------------------- 5. scenario discovery without a rule
def test_cart_that_finds_no_rule_says_so_and_why(cases):
    d, results = cases
    res = results["cart_no_rule"]
    assert res["code"] == 0, res
    lines = res["stdout"].splitlines()
    assert lines[0] == "method: cart"
    assert lines[1].startswith("  no rule found: the tree has one leaf: no split of dynamics.tension_decay separates"), lines
    assert "6 runs are too few to split into two leaves" in lines[1]
    assert "note: 2 of 6 runs meet run == 0 (33.3%)" in lines
    assert "no rule found: the tree has one leaf" in (d / "an" / "notes.txt").read_text()


# ---------------------------------------------------------------- 6. one seed range for every command
SEEDED = ("run", "play", "sweep", "validity", "backtest", "debrief")


@pytest.mark.parametrize("cmd", SEEDED)
@pytest.mark.parametrize("tag, value", [("over", str(2**64)), ("negative", "-1"), ("text", "seven")])
def test_every_command_refuses_a_seed_outside_0_to_2_64_minus_1_with_the_same_message(cases, cmd, tag, value):
    _, results = cases
    line = one_line(results[f"seed_{tag}_{cmd}"])
    assert line == f"run.py {cmd}: Invalid value for '--seed': {value} is not a seed: a seed is a whole number from 0 to 2**64-1 (18446744073709551615) (see run.py {cmd} --help)"


@pytest.mark.parametrize("cmd", [c for c in SEEDED if c != "validity"])
def test_every_command_accepts_the_largest_seed(cases, cmd):
    _, results = cases
    res = results[f"seed_max_{cmd}"]
    assert res["code"] == 0, res


# ---------------------------------------------------------------- 7. each interest cites its own lines
def _cited(source: str) -> set[int]:
    return {int(n) for n in re.findall(r"\bL(\d+)\b", source)}


def test_the_russian_briefing_cites_for_each_interest_the_lines_behind_it(cases):
    from sim.briefing import briefing
    from sim.loader import load_scenario

    d, results = cases
    interests = {i["issue"]: i["source"] for i in briefing(load_scenario(REPO / "scenarios" / "baseline_2021.yaml"), "RUS")["interests"]}
    assert _cited(interests["nato_ukraine"]) == {21} and _cited(interests["nato_georgia"]) == {21}  # the red lines
    assert _cited(interests["embassy_staffing"]) == {35}  # the staff cuts
    assert _cited(interests["iran_sanctions"]) == {17, 31}  # Iran; the Security Council
    assert _cited(interests["indo_pacific_alignment"]) == {23, 29}  # AUKUS; siding with Beijing
    assert all(src.startswith("interview L") for src in interests.values())
    assert results["briefing_rus"]["code"] == 0, results["briefing_rus"]
    html = (d / "br" / "team_RUS.html").read_text()
    assert "interview L35 (staff on both sides needed for a real dialogue)" in html
    assert "interview L17 (Iran), L31 (tacit understanding with China in the Security Council)" in html


def test_no_team_in_a_built_in_scenario_cites_the_same_lines_for_every_interest():
    from sim.briefing import briefing
    from sim.loader import load_scenario
    from sim.schema import playable_ids

    checked = 0
    for f in sorted((REPO / "scenarios").glob("*.yaml")):
        sc = load_scenario(f)
        for team in playable_ids(sc):
            cited = [frozenset(_cited(i["source"])) for i in briefing(sc, team)["interests"]]
            with_lines = [c for c in cited if c]
            assert len(with_lines) < 3 or len(set(with_lines)) > 1, (f.name, team, sorted(with_lines[0]))
            checked += 1
    assert checked >= 10

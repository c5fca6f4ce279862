"""What a second round of bad input found, through the command line.

Each finding has a test of what a user now sees: a bad input is one located line, exit status 2,
no traceback; a valid input is accepted. All command lines run once, in one module fixture,
through ``tests/cli_batch.py`` (the command line imported once, one forked process per line).
"""

from __future__ import annotations

import json
import os
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

TEMPLATES = {  # new --from these valid scenarios (a name or an extends written over several lines)
    "folded_name": None,  # the minimal scenario with its name folded over two lines
    "literal_name": "extends: base.yaml\nname: |\n  Derived\n  over two lines\n",
    "name_next_line": 'extends: base.yaml\nname:\n  "Derived"\n',
    "extends_next_line": 'extends:\n  "base.yaml"  # the base\nturns: 4\n',
    "flow": "{extends: base.yaml, turns: 4}\n",
    "crlf": 'extends: base.yaml\r\nname: "Old"\r\nturns: 4\r\n',
}


DAMAGED = {  # a save edited by hand -> the words of the one line that refuses it
    "armed_empty": lambda doc: doc["model"].__setitem__("red_line_armed", []),  # IndexError in the first frame
    "injected_text": lambda doc: doc["model"].__setitem__("injected", ["x"]),  # pydantic's four-line message
    "log_turn_null": lambda doc: doc["model"]["log"][0].__setitem__("turn", None),  # TypeError in the scores
    "log_date_number": lambda doc: doc["model"]["log"][0].__setitem__("date", 5),  # AttributeError in the turn log
    "steps_text": lambda doc: doc["model"].__setitem__("steps", "x"),  # loaded; TypeError at the first End turn
    "no_totals": lambda doc: doc["model"].pop("totals"),  # said only: 'totals'
    "event_actor_list": lambda doc: doc["model"]["log"][0]["events"][0].__setitem__("actor", ["USA"]),  # TypeError: unhashable
    "event_from_null": lambda doc: next(e for e in doc["model"]["log"][0]["events"] if e["type"] == "proposal").__setitem__("from", None),  # AttributeError in the log panel
}
DAMAGED_WORDS = {
    "armed_empty": "the saved game does not fit its scenario: red_line_armed has 0 entries, expected 1 (one per red line)",
    "injected_text": "the saved game does not fit its scenario: EventSpec: Input should be a valid dictionary or instance of EventSpec",
    "log_turn_null": "is not a usable save: the turn log is damaged (an entry's turn is not a whole number or its date not text)",
    "log_date_number": "is not a usable save: the turn log is damaged (an entry's turn is not a whole number or its date not text)",
    "steps_text": "the saved game does not fit its scenario: steps is 'x', not a whole number of steps",
    "no_totals": "the saved game does not fit its scenario: its model state has no 'totals'",
    "event_actor_list": "is not a usable save: the turn log is damaged (turn 1: the 'decision' event's 'actor' is not text)",
    "event_from_null": "is not a usable save: the turn log is damaged (turn 1: the 'proposal' event's 'from' is not text)",
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Build every file, then run every command line."""
    d = tmp_path_factory.mktemp("hostile_input")
    minimal = MINIMAL.read_text()
    (d / "a").mkdir()
    (d / "b").mkdir()
    (d / "a" / "base.yaml").write_text(minimal)
    jobs: dict[str, list[str]] = {}
    for name, text in TEMPLATES.items():
        if text is None:
            text = minimal.replace('name: "Minimal"', "name: >\n  Minimal\n  folded", 1)
            assert text != minimal
        (d / "a" / f"{name}.yaml").write_bytes(text.encode())
        jobs[f"template_{name}"] = ["validate", f"a/{name}.yaml"]
        jobs[f"new_{name}"] = ["new", f"b/new_{name}", "--from", f"a/{name}.yaml"]
    (d / "minimal.yaml").write_text(minimal)
    _save(d, "inf_team.json", team_index=float("inf"))  # JSON's Infinity, as a hand edit may write
    jobs["load_inf_team"] = ["play", "--load", "inf_team.json", "--screenshot", "inf.png"]
    for tag, change in DAMAGED.items():
        _save(d, f"{tag}.json", change)
        jobs[f"damaged_{tag}"] = ["play", "--load", f"{tag}.json", "--screenshot", f"{tag}.png"]
    long_value = "x" * 5000
    (d / "long_match.yaml").write_text(minimal + f"outcomes:\n  - {{id: a, kind: event_count, event: incident, match: {{theatre: {long_value}}}}}\n")
    jobs["long_match"] = ["validate", "long_match.yaml"]
    for tag, master in (("over", 2**64), ("negative", -1)):
        (d / f"sweep_{tag}").mkdir()
        manifest = {"kind": "greatpower-sweep", "n_runs": 1, "n_points": 1, "master_seed": master, "turns": 1, "scenario": {"file": "minimal.yaml", "data_sha256": "0" * 64}, "grid": {"points": [{"point": 0, "params": {}}]}}
        (d / f"sweep_{tag}" / "manifest.json").write_text(json.dumps(manifest))
        jobs[f"from_sweep_{tag}"] = ["run", "--from-sweep", f"sweep_{tag}", "--run-id", "0", "-q"]
    jobs["text_scale_nan"] = ["play", "minimal.yaml", "--text-scale", "nan", "--screenshot", "nan.png"]
    batch = [{"name": k, "cwd": str(d), "args": v} for k, v in jobs.items()]
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    return d, json.loads((d / "results.json").read_text())


def _save(d: Path, name: str, change=None, **ui) -> None:
    """A save of one turn of the minimal scenario (in ``d``), with ``ui`` entries changed
    and ``change(doc)`` made to the save's JSON."""
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel
    from sim.ui import save as saves

    sc = load_scenario(d / "minimal.yaml")
    model = GreatPowerModel(sc, seed=7, turns=2, humans=["USA"])
    history = [json.loads(json.dumps(model.snapshot()))]
    model.step()
    history.append(json.loads(json.dumps(model.snapshot())))
    doc = saves.make_save(scenario=sc, scenario_path="minimal.yaml", model_state=model.to_state(), snapshots=history, humans=["USA"], ui={"team_index": 0, "chosen": {}})
    doc = json.loads(json.dumps(doc))
    doc["ui"].update(ui)
    if change is not None:
        change(doc)
    (d / name).write_text(json.dumps(doc))



def test_a_save_whose_team_index_is_infinity_is_refused_in_one_line(cases):
    d, res = cases  # int(Infinity) raised OverflowError: a traceback
    assert one_line(res["load_inf_team"]) == "inf_team.json is not a usable save: it holds Infinity, which is not a number a game can have (this program never writes one; the file was edited by hand or damaged)"
    assert not (d / "inf.png").exists()


@pytest.mark.parametrize("tag", sorted(DAMAGED))
def test_a_save_damaged_where_only_a_later_step_looked_is_refused_in_one_line(cases, tag):
    d, res = cases
    line = one_line(res[f"damaged_{tag}"])
    assert line.startswith(f"{tag}.json") and DAMAGED_WORDS[tag] in line, line
    assert not (d / f"{tag}.png").exists()


def test_a_match_value_kilobytes_long_is_shown_shortened(cases):
    _d, res = cases  # the whole 5,000-character value was printed in the one line
    line = one_line(res["long_match"])
    assert line.startswith("long_match.yaml:76: outcomes[0].match.theatre: 'theatre' of 'incident' events is a theatre: unknown theatre 'xxx")
    assert "..." in line and len(line) < 300, len(line)


@pytest.mark.parametrize("tag", ["over", "negative"])
def test_a_sweep_manifest_whose_master_seed_is_outside_the_seed_range_is_damaged(cases, tag):
    _d, res = cases  # 2**64 was accepted (every --seed refuses it)
    assert "manifest.json is damaged (a field is missing or of the wrong type)" in one_line(res[f"from_sweep_{tag}"])


def test_play_refuses_a_text_scale_of_nan(cases):
    d, res = cases  # nan passed the range check (every comparison with nan is false) and drew text at random sizes
    assert "--text-scale" in one_line(res["text_scale_nan"]) and "nan is not a number" in one_line(res["text_scale_nan"])
    assert not (d / "nan.png").exists()


def _ok(res: dict) -> str:
    assert res["code"] == 0, res
    assert "Traceback" not in res["stdout"] + res["stderr"], res["stderr"]
    return res["stdout"]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_new_from_a_scenario_whose_name_or_extends_spans_lines_writes_one_that_loads(cases, name):
    # a name folded over two lines, or on the line after 'name:', ended new in a traceback
    d, res = cases
    checked = _ok(res[f"template_{name}"])
    assert len(checked.splitlines()) == 1, checked  # a folded name's line break printed the OK line over two
    out = _ok(res[f"new_{name}"])
    assert out.startswith(f"wrote b/new_{name}.yaml"), out
    from sim.loader import load_scenario

    sc = load_scenario(d / "b" / f"new_{name}.yaml")
    assert sc.name == f"New {name.replace('_', ' ')}"
    if TEMPLATES[name] is not None:
        assert (d / "a" / f"{name}.yaml").read_bytes() == TEMPLATES[name].encode()  # the template untouched


def test_a_scenario_kept_by_a_study_is_read_again_when_its_extends_base_changes(tmp_path):
    # the per-process cache of studies was keyed by the derived file alone: an edited base
    # gave the old merged data in the same process (validity, backtest, a test session)
    from sim.sweep.ensemble import load_source

    base = tmp_path / "base.yaml"
    base.write_text(MINIMAL.read_text())
    derived = tmp_path / "derived.yaml"
    derived.write_text("extends: base.yaml\nturns: 4\n")
    first = load_source(derived)
    assert load_source(derived) is first  # kept while nothing changed
    assert first.validate().actors["RUS"].capability.value == 65.9
    base.write_text(MINIMAL.read_text().replace("capability: 65.9", "capability: 70.25", 1))  # another size too
    assert load_source(derived).validate().actors["RUS"].capability.value == 70.25


@pytest.mark.parametrize(
    ("text", "line", "size"),
    [
        ("schema_version: 1\n" + "k" * 1100 + ": 1\n", 2, 1100),  # a top-level key
        ("schema_version: 1\nmeta:\n  " + "k" * 2000 + ": 1\n  b: 2\n", 3, 2000),  # a nested mapping's first key
        ("schema_version: 1\nmeta:\n  b: 2\n  " + "k" * 2000 + ": 1\n", 4, 2000),  # a later key
    ],
)
def test_a_mapping_key_too_long_for_yaml_is_named_as_such(tmp_path, text, line, size):
    # YAML reads a plain key of at most 1024 characters; ruamel's own words ("could not find
    # expected ':'", "mapping values are not allowed here") do not say so
    from sim.loader import ScenarioError, load_scenario

    path = tmp_path / "long_key.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert problem.line == line
    assert f"a mapping key of {size:,} characters" in problem.message
    assert "at most 1,024" in problem.message


def test_a_key_just_under_yamls_limit_still_loads_as_far_as_the_schema(tmp_path):
    from sim.loader import ScenarioError, load_scenario

    path = tmp_path / "long_ok.yaml"
    path.write_text("schema_version: 1\n" + "k" * 1000 + ": 1\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert not any("mapping key of" in p.message for p in err.value.problems)  # the schema speaks

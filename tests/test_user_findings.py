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
    batch = [{"name": k, "cwd": str(d), "args": v, "phase": 0} for k, v in jobs.items()]
    (d / "cases.json").write_text(json.dumps(batch))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "COLUMNS": "200"}
    subprocess.run([sys.executable, str(REPO / "tests" / "cli_batch.py"), str(d / "cases.json"), str(d / "results.json")], check=True, timeout=600, env=env, cwd=d)
    return d, json.loads((d / "results.json").read_text())


def one_line(res: dict) -> str:
    """The one line that a refused input prints (and the checks every refusal passes)."""
    assert res["code"] == 2, res
    assert "Traceback" not in res["stdout"] + res["stderr"], res["stderr"]
    lines = [ln for ln in res["stderr"].splitlines() if ln.strip()]
    assert len(lines) == 1, res["stderr"]
    return lines[0]


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

"""Backtest (issue 8, item 5): the record format, its located errors, the scores, the command."""

import json
from itertools import product

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from sim.backtest import brier, check_record, crps_ensemble, measure_value, overall, parse_record, persistence_value, score_outcomes, skill
from sim.cli.main import main
from sim.loader import ScenarioError, load_scenario
from sim.model import GreatPowerModel
from sim.trace import Trace, columns, involved, scenario_info

RECORD = "validation/record_2021_2024.yaml"


@pytest.fixture(scope="module")
def baseline(repo_root):
    sc = load_scenario(repo_root / "scenarios" / "baseline_2021.yaml")
    return sc, scenario_info(sc), columns(GreatPowerModel(sc, seed=0, reasons=False))


def _record(text, tmp_path, name="rec.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- scores
def test_crps_of_a_two_member_ensemble_is_the_integral_by_hand():
    # F jumps 0.5 at 0 and at 1; CRPS at y = 0 is the integral over [0, 1] of (0.5 - 1)^2 = 0.25
    assert crps_ensemble([0.0, 1.0], 0.0) == pytest.approx(0.25)
    assert crps_ensemble([0.3], 0.8) == pytest.approx(0.5)  # one member: absolute error
    assert crps_ensemble([2.0, 2.0, 2.0], 2.0) == pytest.approx(0.0)


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=30), st.floats(-100, 100))
def test_crps_equals_the_double_sum_form(xs, y):
    x = np.array(xs)
    brute = np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean()
    assert crps_ensemble(x, y) == pytest.approx(brute, abs=1e-9)
    assert crps_ensemble(x, y) >= -1e-9


def test_brier_and_skill():
    assert brier(0.8, 1.0) == pytest.approx(0.04)
    assert brier(0.0, 1.0) == 1.0
    assert skill(0.25, 1.0) == pytest.approx(0.75)
    assert np.isnan(skill(0.1, 0.0))  # persistence exact: undefined


def test_overall_skill_per_kind_and_mean(tmp_path, baseline):
    _, info, start = baseline
    src = parse_record(
        """
outcomes:
  - {id: a, question: q, kind: binary, measure: {event: patrol, actors: [RUS, CHN], by: 2022-10}, observed: true, source: s}
  - {id: b, question: q, kind: level, measure: {column: issue.sanctions_russia, at: 2022-12}, observed: 0.8, source: s}
""",
        "r.yaml",
    )
    check_record(src, info, start)
    vals = np.array([[1.0, 0.7], [0.0, 0.9], [1.0, 0.8], [1.0, 0.8]])
    sc = score_outcomes(src.record, vals, start)
    assert sc[0].forecast == pytest.approx(0.75) and sc[0].score == pytest.approx(0.0625)
    assert sc[0].persistence == 0.0 and sc[0].score_persistence == 1.0  # persistence: no event
    assert sc[1].persistence == pytest.approx(0.5)  # the state at the start
    assert sc[1].score == pytest.approx(crps_ensemble([0.7, 0.9, 0.8, 0.8], 0.8))
    summ = overall(sc)
    assert summ["brier_skill"] == pytest.approx(1 - 0.0625)
    assert summ["crps_skill"] == pytest.approx(1 - sc[1].score / 0.3)
    assert summ["skill"] == pytest.approx((summ["brier_skill"] + summ["crps_skill"]) / 2)


# ---------------------------------------------------------------- measures on a scripted trace
def _trace(info, cols, events):
    return Trace(info, 0, cols, events, "horizon")


def test_column_and_event_measures_on_a_scripted_trace(baseline):
    _, info, start = baseline
    cols = [dict(start, **{"issue.sanctions_russia": 0.5 + 0.1 * t}) for t in range(4)]
    ev = [[], [{"type": "patrol", "actors": ["RUS", "CHN"], "theatre": "north_pacific"}], [{"type": "patrol", "actors": ["CHN", "RUS"], "theatre": "east_china_sea"}, {"type": "patrol", "actors": ["USA", "JPN"], "theatre": "north_pacific"}], [{"type": "staff", "channel": "RUS-DEU-EMB", "by": "DEU", "kind": "expel", "persons": 20, "staff": 60}]]
    tr = _trace(info, cols, ev)  # turns 0..3 = 2021-10 .. 2022-01
    src = parse_record(
        """
outcomes:
  - {id: lvl, question: q, kind: level, measure: {column: issue.sanctions_russia, at: 2021-12}, observed: 0.7, source: s}
  - {id: late, question: q, kind: level, measure: {column: issue.sanctions_russia, at: 2024-10}, observed: 0.7, source: s}
  - {id: thr, question: q, kind: binary, measure: {column: issue.sanctions_russia, at: 2021-12, at_least: 0.65}, observed: true, source: s}
  - {id: cnt, question: q, kind: level, measure: {event: patrol, actors: [RUS, CHN], count: true}, observed: 3, source: s}
  - {id: win, question: q, kind: level, measure: {event: patrol, actors: [CHN, RUS], from: 2021-12, to: 2021-12, count: true}, observed: 1, source: s}
  - {id: exp, question: q, kind: binary, measure: {event: expulsion, actors: [RUS, DEU], by: 2022-01}, observed: true, source: s}
  - {id: ch, question: q, kind: binary, measure: {column: channel.RUS-NATO, at: 2021-11, equals: closed}, observed: true, source: s}
""",
        "r.yaml",
    )
    check_record(src, info, start)
    got = {o.id: measure_value(o, tr) for o in src.record.outcomes}
    assert got["lvl"] == pytest.approx(0.7)
    assert got["late"] == pytest.approx(0.8)  # a run that ended keeps its last state
    assert got["thr"] == 1.0
    assert got["cnt"] == 2.0 and got["win"] == 1.0  # both directions count, the window bounds
    assert got["exp"] == 1.0  # a staff event involves its channel's endpoints
    assert got["ch"] == 1.0
    assert persistence_value(src.record.outcomes[6], start) == 1.0  # closed at the start


def test_involved_names_actors_blocs_and_channel_ends(baseline):
    _, info, _ = baseline
    assert involved({"type": "channel", "channel": "RUS-NATO", "by": "RUS", "from": "open", "to": "closed"}, info) == {"RUS", "NATO"}
    assert involved({"type": "vote", "bloc": "NATO", "candidate": "UKR", "yes": ["USA"]}, info) == {"NATO", "UKR"}
    assert involved({"type": "channel", "channel": "X", "by": ["USA", "RUS"]}, info) == {"USA", "RUS"}


# ---------------------------------------------------------------- the shipped record
def test_shipped_record_is_valid_and_sourced(repo_root, baseline):
    sc, info, start = baseline
    src = parse_record((repo_root / RECORD).read_text(), RECORD)
    check_record(src, info, start)
    outs = src.record.outcomes
    assert len(outs) >= 15
    assert {o.kind for o in outs} == {"binary", "level"}
    assert all(len(o.source) > 20 and any(ch.isdigit() for ch in o.source) for o in outs)  # an outlet and a date
    assert (repo_root / "validation" / src.record.scenario).resolve() == (repo_root / "scenarios" / "baseline_2021.yaml").resolve()


# ---------------------------------------------------------------- located errors
BAD = [
    ("measure: {column: issue.nope, at: 2022-01}", "unknown column 'issue.nope'"),
    ("measure: {event: invasion, actors: [RUS, UKR]}", "unknown event type 'invasion'"),
    ("measure: {event: patrol, actors: [RUS, XXX]}", "unknown actor or bloc 'XXX'"),
    ("measure: {event: armed_clash, actors: [RUS, RUS]}", "'RUS' is named twice: an event's actors are different states or blocs"),
    ("measure: {column: issue.eastern_flank, at: 2030-01}", "2030-01 is outside the run"),
    ("measure: {column: channel.RUS-NATO, at: 2022-01, equals: shut}", "a channel's status is one of open, suspended, closed"),
    ("measure: {event: patrol, colour: red}", "unknown field"),
]


@pytest.mark.parametrize("measure,message", BAD)
def test_bad_measure_is_a_located_error_exit_2(tmp_path, measure, message):
    kind = "level" if "count" in measure or "column" in measure and "equals" not in measure else "binary"
    obs = "0.5" if kind == "level" else "true"
    text = f"outcomes:\n  - id: a\n    question: q\n    kind: {kind}\n    {measure}\n    observed: {obs}\n    source: s\n"
    rec = _record(text, tmp_path)
    res = CliRunner().invoke(main, ["backtest", "scenarios/baseline_2021.yaml", "--record", str(rec), "--runs", "2", "--workers", "1"])
    assert res.exit_code == 2, res.output
    assert f"{rec}:5: outcomes[0].measure" in res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_record_yaml_rules(tmp_path):
    dup = _record("outcomes: []\noutcomes: []\n", tmp_path, "dup.yaml")
    with pytest.raises(ScenarioError, match="duplicate key"):
        parse_record(dup.read_text(), str(dup))
    # YAML 1.2: 'yes' is text, not a boolean, so it is not an answer to a yes/no question
    with pytest.raises(ScenarioError) as err:
        parse_record("outcomes:\n  - {id: a, question: q, kind: binary, measure: {event: patrol}, observed: yes, source: s}\n", "r.yaml")
    assert "r.yaml:2: outcomes[0]" in str(err.value)
    with pytest.raises(ScenarioError, match="needs count: true"):
        parse_record("outcomes:\n  - {id: a, question: q, kind: level, measure: {event: patrol}, observed: 2, source: s}\n", "r.yaml")
    with pytest.raises(ScenarioError, match="is used twice"):
        src = parse_record("outcomes:\n  - {id: a, question: q, kind: binary, measure: {event: patrol}, observed: true, source: s}\n  - {id: a, question: q, kind: binary, measure: {event: patrol}, observed: true, source: s}\n", "r.yaml")
        sc = load_scenario("scenarios/baseline_2021.yaml")
        check_record(src, scenario_info(sc), columns(GreatPowerModel(sc, seed=0)))


def test_missing_record_and_scenario_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["backtest", "--record", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2 and "no such file" in res.output and "Traceback" not in res.output
    rec = _record("outcomes:\n  - {id: a, question: q, kind: binary, measure: {event: patrol}, observed: true, source: s}\n", tmp_path)
    res = CliRunner().invoke(main, ["backtest", "--record", str(rec)])
    assert res.exit_code == 2 and "no scenario" in res.output


# ---------------------------------------------------------------- the command, end to end
def test_backtest_command_scores_and_writes(tmp_path, repo_root):
    rec = _record(
        f"""scenario: {(repo_root / 'scenarios' / 'baseline_2021.yaml').as_posix()}
outcomes:
  - {{id: patrols, question: q, kind: level, measure: {{event: patrol, actors: [RUS, CHN], to: 2022-01, count: true}}, observed: 1, source: s}}
  - {{id: mission, question: q, kind: binary, measure: {{column: channel.RUS-NATO, at: 2022-01, equals: closed}}, observed: true, source: s}}
""",
        tmp_path,
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["backtest", "--record", str(rec), "--runs", "3", "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Brier skill" in res.output
    data = json.loads((out / "backtest.json").read_text())
    assert data["runs"] == 3 and [o["id"] for o in data["outcomes"]] == ["patrols", "mission"]
    assert "| `mission`" in (out / "backtest.md").read_text()


def test_ensemble_results_do_not_depend_on_workers(repo_root):
    from functools import partial

    from sim.backtest import measure_all
    from sim.sweep.ensemble import Job, run_jobs
    from sim.sweep.plan import run_seeds

    sc = load_scenario(repo_root / "scenarios" / "baseline_2021.yaml")
    src = parse_record("outcomes:\n  - {id: a, question: q, kind: level, measure: {event: patrol, count: true}, observed: 1, source: s}\n  - {id: b, question: q, kind: level, measure: {column: issue.eastern_flank, at: 2022-01}, observed: 1, source: s}\n", "r.yaml")
    jobs = [Job(k, sc, tuple(run_seeds(5, 3)), partial(measure_all, list(src.record.outcomes)), turns=t) for k, t in product(["x"], [3])]
    one = run_jobs(jobs, workers=1)
    two = run_jobs(jobs, workers=2)
    assert one == two

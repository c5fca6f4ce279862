"""Tests of ``GreatPowerModel`` through its public interface (docs/model.md).

What is checked here: the model never imports pygame; lockstep reproducibility (PettingZoo
style) and a hypothesis test over seeds; every scenario runs; degenerate inputs never give NaN;
``legal_actions`` / ``submit`` / ``inject``; the reasons recorded with AI decisions; the AI
policy against a scripted human counterpart (Axelrod style) and ``policy.draw`` on hand-made
candidates; the DataCollector.
"""

from __future__ import annotations

import io
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from sim import policy
from sim.actions import KIND_CODE, Action
from sim.loader import load_scenario, parse_scenario
from sim.model import END_STATES, GreatPowerModel
from sim.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline_2021.yaml"
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


@cache
def _scenario(path: Path) -> Scenario:
    """Load a scenario once per test session (loading is the slow part)."""
    return load_scenario(path)


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return _scenario(BASELINE)


# --- helpers
def _non_finite(obj, path: str = "") -> list[str]:
    """Paths of every NaN or infinite number inside plain data (dicts, lists, numbers, arrays)."""
    bad: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            bad += _non_finite(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for k, v in enumerate(obj):
            bad += _non_finite(v, f"{path}[{k}]")
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and not np.isfinite(obj).all():
            bad.append(path)
    elif isinstance(obj, (float, np.floating)):
        if not math.isfinite(float(obj)):
            bad.append(path)
    return bad


STATE_ARRAYS = (
    "position",
    "salience",
    "issue_state",
    "posture",
    "tension",
    "alignment",
    "staff",
    "grievance",
    "goodwill",
)


def _assert_no_nan(m: GreatPowerModel) -> None:
    arrays = {name: getattr(m, name) for name in STATE_ARRAYS}
    bad = (
        _non_finite(arrays, "model")
        + _non_finite(m.snapshot(), "snapshot")
        + _non_finite(m.outcomes(), "outcomes")
    )
    bad += _non_finite(m.log, "log")
    assert not bad, f"non-finite values at {bad[:10]}"


def _run(m: GreatPowerModel, turns: int) -> GreatPowerModel:
    for _ in range(turns):
        if not m.running:
            break
        m.step()
    return m


def _events(m: GreatPowerModel, turn: int | None = None) -> list[dict]:
    """Events of one turn's log entry (the last one by default)."""
    entry = m.log[-1] if turn is None else next(e for e in m.log if e["turn"] == turn)
    return entry["events"]


# --- model and views apart
PYGAME_PROBE = """
import importlib.abc, pkgutil, importlib, sys
attempts = []
class Probe(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'pygame':
            attempts.append(name)
        return None
sys.meta_path.insert(0, Probe())
import sim
FRONT = ('sim.ui', 'sim.cli', 'sim.sweep')
for info in pkgutil.iter_modules(sim.__path__, 'sim.'):
    if not info.name.startswith(FRONT):
        importlib.import_module(info.name)
assert not [m for m in sys.modules if m.startswith(FRONT)], 'the model core imported the front end or sweeps'
from sim.model import GreatPowerModel
m = GreatPowerModel({path!r}, seed=3)
for _ in range(2):
    m.step()
m.snapshot()
assert 'pygame' not in sys.modules, 'pygame imported'
assert not attempts, f'pygame import attempted: {{attempts}}'
print('ok', len(m.log))
"""


def test_model_never_imports_pygame():
    code = PYGAME_PROBE.format(path=str(MINIMAL))
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["ok", "2"]


# --- reproducibility: one seed, lockstep
def test_lockstep_same_seed_same_snapshots_and_logs(baseline):
    a = GreatPowerModel(baseline, seed=11)
    b = GreatPowerModel(baseline, seed=11)
    assert a.snapshot() == b.snapshot()
    for turn in range(1, 13):
        a.step()
        b.step()
        assert a.snapshot() == b.snapshot(), f"snapshots differ after turn {turn}"
        assert a.log == b.log, f"logs differ after turn {turn}"
        assert a.outcomes() == b.outcomes()
        assert a.running == b.running
    assert len(a.log) == 12 or a.end_state != "running"


def test_different_seed_gives_a_different_log(baseline):
    a = GreatPowerModel(baseline, seed=11)
    b = GreatPowerModel(baseline, seed=12)
    for _ in range(12):
        a.step()
        b.step()
        if a.log != b.log:
            return
    pytest.fail("seeds 11 and 12 gave the same 12-turn log")


def test_model_leaves_global_random_state_alone(baseline):
    random.seed(5)
    np.random.seed(5)
    py_before, np_before = random.getstate(), np.random.get_state()[1].copy()
    _run(GreatPowerModel(baseline, seed=2), 3)
    assert random.getstate() == py_before
    assert (np.random.get_state()[1] == np_before).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_invariants_over_seeds(baseline, seed):
    m = _run(GreatPowerModel(baseline, seed=seed), 6)
    _assert_no_nan(m)
    assert ((m.position >= 0) & (m.position <= 1)).all()
    assert ((m.issue_state >= 0) & (m.issue_state <= 1)).all()
    assert ((m.tension >= 0) & (m.tension <= 1)).all()
    assert ((m.alignment >= -1) & (m.alignment <= 1)).all()
    assert ((m.posture >= 0) & (m.posture <= 1)).all()
    assert (m.staff >= 0).all()
    np.testing.assert_allclose(m.tension, m.tension.T, atol=1e-12)
    assert (np.diag(m.tension) == 0).all()
    assert m.end_state in END_STATES
    assert len(m.log) == 6 or m.end_state != "running"
    snap = m.snapshot()
    for a in snap["actors"].values():
        assert all(0 <= v <= 1 for v in a["position"].values())
    assert all(c["staff"] >= 0 for c in snap["channels"].values())
    assert all(0 <= c["effectiveness"] <= 1 for c in snap["channels"].values())


# --- every scenario is smoke-tested
@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.name for p in SCENARIO_FILES])
def test_every_scenario_runs_five_turns(path):
    m = _run(GreatPowerModel(_scenario(path), seed=4), 5)
    assert len(m.log) == 5 or (m.end_state != "running" and not m.running)
    assert [e["turn"] for e in m.log] == list(range(1, len(m.log) + 1))
    assert all(isinstance(e["events"], list) for e in m.log)
    _assert_no_nan(m)


def test_scenarios_directory_is_not_empty():
    assert any(p.name == "baseline_2021.yaml" for p in SCENARIO_FILES)


# --- degenerate inputs (docs/model.md 7.4)
def _yaml_text(data) -> str:
    y = YAML(typ="safe", pure=True)
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _minimal_data() -> dict:
    return YAML(typ="safe", pure=True).load(MINIMAL.read_text(encoding="utf-8"))


def _equal_positions(actors: dict) -> None:
    for spec in actors.values():
        spec["position"] = {x: 0.5 for x in spec.get("position", {})}


def _zero_capability(actors: dict, who: str) -> None:
    actors[who]["capability"] = 0


def _zero_saliences(actors: dict) -> None:
    for spec in actors.values():
        spec["salience"] = {x: 0 for x in spec.get("salience", {})}


def _zero_capabilities(actors: dict) -> None:
    for spec in actors.values():
        spec["capability"] = 0


DEGENERATE: dict[str, Callable[[dict], None]] = {
    "equal_positions": _equal_positions,
    "zero_capability_RUS": lambda a: _zero_capability(a, "RUS"),
    "zero_saliences": _zero_saliences,
    "all_capabilities_zero": _zero_capabilities,
    "all_degenerate_at_once": lambda a: (
        _equal_positions(a),
        _zero_saliences(a),
        _zero_capability(a, "RUS"),
    ),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_degenerate_minimal_scenario_never_nan(case):
    data = _minimal_data()
    DEGENERATE[case](data["actors"])
    sc = parse_scenario(_yaml_text(data), str(MINIMAL.parent / f"{case}.yaml"))
    for seed in (0, 1):
        m = GreatPowerModel(sc, seed=seed)
        _assert_no_nan(m)
        _run(m, 5)
        _assert_no_nan(m)
        assert len(m.log) == 5 or m.end_state != "running"


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_degenerate_baseline_never_nan(baseline, case):
    data = baseline.model_dump(by_alias=True, exclude_unset=True)
    DEGENERATE[case](data["actors"])
    sc = Scenario.model_validate(data)
    m = GreatPowerModel(sc, seed=5, humans=["RUS"])
    for _ in range(5):
        legal = m.legal_actions("RUS")
        assert Action("pass", "RUS") in legal
        m.submit("RUS", [Action("pass", "RUS")])
        m.step()
    _assert_no_nan(m)


# --- legal_actions and submit
def test_human_legal_actions_include_pass_and_propose(baseline):
    m = GreatPowerModel(baseline, seed=1, humans=["RUS"])
    legal = m.legal_actions("RUS")
    assert Action("pass", "RUS") in legal
    assert any(a.kind == "propose" for a in legal)
    assert all(a.actor == "RUS" for a in legal)
    assert len(set(legal)) == len(legal), "duplicate legal actions"
    with pytest.raises(KeyError):
        m.legal_actions("XXX")


def test_submit_rejects_illegal_actions_and_ai_actors(baseline):
    m = GreatPowerModel(baseline, seed=1, humans=["RUS"])
    legal = set(m.legal_actions("RUS"))
    # RUS is the sender, not the host, on its own embassy in Washington: it cannot expel there
    illegal = Action("expel", "RUS", target="USA", channel="RUS-USA-EMB", staff=10.0)
    assert illegal not in legal
    with pytest.raises(ValueError):
        m.submit("RUS", [illegal])
    with pytest.raises(ValueError):
        m.submit(
            "RUS",
            [Action("propose", "RUS", issue="nato_ukraine", target="RUS", channel="RUS-USA-EMB")],
        )
    with pytest.raises(ValueError):
        m.submit("RUS", [Action("pass", "USA")])  # someone else's action
    with pytest.raises(ValueError):
        m.submit("USA", [Action("pass", "USA")])  # USA is AI-controlled here
    with pytest.raises(ValueError):
        GreatPowerModel(baseline, seed=1, humans=["XXX"])


def test_submitted_actions_appear_in_next_turn_log(baseline):
    m = GreatPowerModel(baseline, seed=1, humans=["RUS"])
    legal = m.legal_actions("RUS")
    propose = next(a for a in legal if a.kind == "propose")
    posture = next(a for a in legal if a.kind == "set_posture")
    m.submit("RUS", [propose, posture.to_dict()])
    m.step()
    mine = [e for e in _events(m) if e["type"] == "decision" and e.get("actor") == "RUS"]
    assert all(e.get("human") for e in mine)
    assert {e["action"] for e in mine} == {str(propose), str(posture)}
    t = m.world.theatre_ids.index(posture.theatre)
    assert m.posture[m.world.actor_ids.index("RUS"), t] == pytest.approx(posture.level)
    # a submission lasts one turn: the next turn the human does nothing unless it submits again
    m.step()
    assert not [e for e in _events(m) if e["type"] == "decision" and e.get("actor") == "RUS"]


def test_every_legal_action_is_accepted_by_submit(baseline):
    m = GreatPowerModel(baseline, seed=2, humans=["RUS", "USA"])
    _run(m, 2)
    for h in ("RUS", "USA"):
        for a in m.legal_actions(h):
            m.submit(h, [a])  # must not raise
        m.submit(h, [])


def test_human_answer_to_a_pending_proposal_is_carried_out(baseline):
    m = GreatPowerModel(baseline, seed=1, humans=["USA"])
    m.submit("USA", [])
    m.step()
    assert m.pending["USA"], "no proposal reached the human USA"
    p = m.pending["USA"][0]
    answers = [
        a
        for a in m.legal_actions("USA")
        if a.kind == "answer" and a.target == p["from"] and a.issue == p["issue"]
    ]
    assert {a.choice for a in answers} == {"accept", "compromise", "reject"}
    accept = next(a for a in answers if a.choice == "accept")
    m.submit("USA", [accept])
    m.step()
    done = [
        e
        for e in _events(m)
        if e["type"] == "proposal"
        and e["from"] == p["from"]
        and e["to"] == "USA"
        and e["issue"] == p["issue"]
        and "moved" in e
    ]
    assert done and done[0]["moved"] == 1.0 and done[0]["outcome"] == "capitulation"
    assert done[0]["position"][1] == pytest.approx(p["position"], abs=1e-4)


def test_model_stops_at_its_horizon(baseline):
    m = GreatPowerModel(baseline, seed=9, turns=3)
    _run(m, 3)
    assert not m.running and m.end_state != "running"
    assert _events(m)[-1] == {"type": "end", "state": m.end_state}
    snap = m.snapshot()
    m.step()  # a no-op once the run has ended
    assert len(m.log) == 3 and m.snapshot() == snap
    assert len(m.datacollector.get_model_vars_dataframe()) == 4


# Regression tests: an actor could close and suspend the same channel in one turn (the AI drew
# both; a human may submit both, each legal at submission), and the suspend then turned the
# closed channel into a suspended one. Fixed in ``GreatPowerModel._do``.
def test_no_ai_action_moves_a_closed_channel_to_suspended(baseline):
    """``suspend`` pauses an open channel; it is only scored while the channel is open, so no
    action should ever turn a closed channel into a suspended one."""
    for seed in (0, 1, 2):
        m = _run(GreatPowerModel(baseline, seed=seed), 3)
        bad = [
            (entry["turn"], e)
            for entry in m.log
            for e in entry["events"]
            if e["type"] == "channel" and e["from"] == "closed" and e["to"] == "suspended"
        ]
        assert not bad, f"seed {seed}: {bad[0]}"


def test_human_close_then_suspend_leaves_the_channel_closed(baseline):
    m = GreatPowerModel(baseline, seed=1, humans=["RUS"])
    legal = m.legal_actions("RUS")
    close = Action("close_channel", "RUS", channel="RUS-USA-UN")
    suspend = Action("suspend_channel", "RUS", channel="RUS-USA-UN")
    assert close in legal and suspend in legal
    m.submit("RUS", [close, suspend])
    m.step()
    assert m.snapshot()["channels"]["RUS-USA-UN"]["status"] == "closed"
    done = {
        e["action"]: e["done"]
        for e in _events(m)
        if e["type"] == "decision" and e["actor"] == "RUS"
    }
    assert done == {str(close): True, str(suspend): False}


# --- inject
def test_injected_incident_is_logged_next_turn(baseline):
    m = GreatPowerModel(baseline, seed=3)
    m.inject({"kind": "incident", "theatre": "baltic", "actors": ["RUS", "LTU"]})
    m.step()
    incidents = [e for e in _events(m) if e["type"] == "incident"]
    assert any(e["theatre"] == "baltic" and e["actors"] == ["RUS", "LTU"] for e in incidents)
    assert any(
        e["type"] == "event" and e["kind"] == "incident" and e["source"] == "instructor"
        for e in _events(m)
    )
    assert m.totals["incidents"] >= 1


def test_inject_unknown_ids_raise_and_queue_nothing(baseline):
    m = GreatPowerModel(baseline, seed=3)
    with pytest.raises(ValueError):
        m.inject({"kind": "incident", "theatre": "atlantis", "actors": ["RUS", "LTU"]})
    with pytest.raises(ValueError):
        m.inject({"kind": "incident", "theatre": "baltic", "actors": ["RUS", "XXX"]})
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        m.inject({"kind": "incident", "theatre": "baltic"})
    m.step()
    assert not [e for e in _events(m) if e["type"] == "event" and e["source"] == "instructor"]


# --- reasons
def test_every_ai_decision_records_alternatives_and_sourced_terms(baseline):
    m = _run(GreatPowerModel(baseline, seed=6, humans=["USA"]), 4)
    ai = [
        e
        for entry in m.log
        for e in entry["events"]
        if e["type"] == "decision" and "human" not in e
    ]
    assert ai, "no AI decisions recorded"
    assert {e["action"].split()[0] for e in ai} >= {"propose"}
    for e in ai:
        assert e["actor"] != "USA"
        assert isinstance(e["alternatives"], list)
        assert isinstance(e["terms"], list)
        for term in e["terms"]:
            assert {"term", "value", "source"} <= set(term), term
            assert isinstance(term["term"], str) and term["term"]
            assert math.isfinite(term["value"])
            assert isinstance(term["source"], str)
    assert any(e["terms"] for e in ai)


def test_a_posture_decisions_appetite_names_its_source_or_the_default(baseline):
    """Russia's appetite for the Pacific theatres comes from the interview (L27); for the Black
    Sea the scenario sets none, so the term names the schema's default, not a missing source."""
    m = _run(GreatPowerModel(baseline, seed=3, turns=12), 12)
    seen = {}
    for entry in m.log:
        for e in entry["events"]:
            if e["type"] == "decision" and e["action"].startswith("set posture"):
                theatre = e["action"].split()[3]
                for t in e["terms"]:
                    if t["term"] == "appetite":
                        seen[(e["actor"], theatre)] = t["source"]
    assert seen, "no AI posture decision in 12 turns"
    given = {(a, t) for a, spec in baseline.actors.items() for t in spec.posture_appetite}
    for key, src in seen.items():
        if key in given:
            assert src == baseline.actors[key[0]].posture_appetite[key[1]].source, (key, src)
        else:
            assert src.startswith("the schema's default appetite 1"), (key, src)
    assert "no source given" not in seen.values()
    assert set(seen) & given and set(seen) - given  # both cases were met


def test_reasons_off_records_no_ai_decisions(baseline):
    m = _run(GreatPowerModel(baseline, seed=6, reasons=False), 2)
    assert not [
        e
        for entry in m.log
        for e in entry["events"]
        if e["type"] == "decision" and "human" not in e
    ]


# --- scripted counterparts
def _scripted_run(
    sc: Scenario, seed: int, script: Callable[[GreatPowerModel], list[Action]], turns: int = 6
) -> tuple[GreatPowerModel, list[dict]]:
    """USA is human and plays ``script`` each turn; everyone else is the AI policy."""
    m = GreatPowerModel(sc, seed=seed, humans=["USA"])
    events = []
    for _ in range(turns):
        if not m.running:
            break
        m.submit("USA", script(m))
        m.step()
        events += _events(m)
    return m, events


def _expel_russians(m: GreatPowerModel) -> list[Action]:
    """The scripted host: expel Russian staff wherever the USA hosts them, every turn it can."""
    return [a for a in m.legal_actions("USA") if a.kind == "expel" and a.target == "RUS"][:1]


def _do_nothing(m: GreatPowerModel) -> list[Action]:
    return []


SCRIPT_SEEDS = range(24)
"""Seeds of the scripted-counterpart tests. Over 100 seeds (measured 2026-12-03) the provoked
Russia retaliated (expelled US staff or shut its embassy) in 92 and shut the embassy in 62; the
calm one did neither in any. Eight seeds were too few to hold the shutting rate (3 of 8)."""


def test_scripted_expulsions_make_russia_shut_its_insulted_embassy(baseline):
    """F1 / F14: a channel whose staff is expelled costs its sender more (``policy.INSULT``).

    When the (scripted) USA expels Russian staff from Russia's embassy in Washington every turn,
    the Russian AI answers within six turns in most seeds: it expels US staff in return (tit
    for tat) or closes or suspends that embassy (at least three seeds in four; it shuts the
    embassy in at least one in four); against a USA that does nothing it almost never does either. Tension between them ends higher, Russia's
    grievance against the USA is positive, and Russia lets no more US staff back into Moscow.
    """

    def shut_embassy(events):
        return any(
            e["type"] == "channel"
            and e["by"] == "RUS"
            and e["channel"] == "RUS-USA-EMB"
            and e["to"] in ("closed", "suspended")
            for e in events
        )

    def restored_us_staff(events):
        """Persons of US staff in Moscow that Russia let back in."""
        return sum(
            e["persons"]
            for e in events
            if e["type"] == "staff"
            and e["by"] == "RUS"
            and e["kind"] == "restore_staff"
            and e["channel"] == "USA-RUS-EMB"
        )

    provoked = [_scripted_run(baseline, s, _expel_russians) for s in SCRIPT_SEEDS]
    calm = [_scripted_run(baseline, s, _do_nothing) for s in SCRIPT_SEEDS]
    n = len(SCRIPT_SEEDS)
    assert all(
        any(e["type"] == "staff" and e["by"] == "USA" and e["kind"] == "expel" for e in ev)
        for _, ev in provoked
    )
    def retaliates(events):
        return shut_embassy(events) or any(
            e["type"] == "staff" and e["by"] == "RUS" and e["kind"] == "expel" and e["channel"] == "USA-RUS-EMB"
            for e in events
        )

    shut_p = sum(shut_embassy(ev) for _, ev in provoked)
    shut_c = sum(shut_embassy(ev) for _, ev in calm)
    assert shut_p >= 0.25 * n and shut_c <= 0.1 * n, (shut_p, shut_c)
    back_p = sum(retaliates(ev) for _, ev in provoked)
    back_c = sum(retaliates(ev) for _, ev in calm)
    assert back_p >= 0.75 * n and back_c <= 0.1 * n, (back_p, back_c)
    # provocation never makes Russia more generous with US staff (weaker effect: no strict <)
    assert sum(restored_us_staff(ev) for _, ev in provoked) <= sum(
        restored_us_staff(ev) for _, ev in calm
    )
    ids = provoked[0][0].world.actor_ids
    rus, usa = ids.index("RUS"), ids.index("USA")
    assert (
        np.mean([m.tension[rus, usa] for m, _ in provoked])
        > np.mean([m.tension[rus, usa] for m, _ in calm]) + 0.1
    )
    assert all(m.grievance[rus, usa] > 0 for m, _ in provoked)
    assert all(m.grievance[rus, usa] == 0 for m, _ in calm)


def test_scripted_expulsion_raises_the_grievance_term_of_russian_expulsions(baseline):
    """Tit for tat in the scoring: after the USA expels, Russia's expel option carries
    ``reciprocity x grievance`` > 0 against the USA (it is 0 without the provocation)."""
    expel = KIND_CODE["expel"]

    def grievance_terms(script):
        m, _ = _scripted_run(baseline, 0, script, turns=1)
        m._perceive()
        cand = policy.concat([b for f in policy.SCORERS for b in f(m.policy_view())])
        rus, usa = m.world.actor_ids.index("RUS"), m.world.actor_ids.index("USA")
        rows = np.flatnonzero((cand.actor == rus) & (cand.kind == expel) & (cand.a2 == usa))
        assert len(rows), "Russia has no expel option against the USA"
        return cand.terms[rows, 0], m.dyn["reciprocity"] * m.grievance[rus, usa]

    provoked, expected = grievance_terms(_expel_russians)
    calm, _ = grievance_terms(_do_nothing)
    assert (provoked > 0).all() and np.allclose(provoked, expected)
    assert (calm == 0).all()


# --- the policy's draw, by hand
def _candidates(actor, kind, score) -> policy.Candidates:
    n = len(actor)
    return policy.Candidates(
        actor=np.asarray(actor, int),
        kind=np.asarray([KIND_CODE[k] for k in kind], int),
        a1=np.zeros(n, int),
        a2=np.zeros(n, int),
        value=np.zeros(n),
        score=np.asarray(score, float),
        terms=np.zeros((n, 3)),
    )


def test_draw_takes_the_best_action_first_and_stops_at_pass():
    cand = _candidates([0, 0, 0], ["pass", "set_posture", "expel"], [0.0, 5.0, -5.0])
    rng = np.random.default_rng(0)
    for _ in range(200):
        rows = policy.draw(cand, 3, 0.01, rng)
        assert len(rows) == 1
        # best first; the pass drawn second ends the list before the -5 action
        assert list(rows[0]) == [1]
        one = policy.draw(cand, 1, 0.01, rng)
        assert list(one[0]) == [1]


def test_draw_pass_first_draws_nothing_and_actors_are_separate():
    cand = _candidates(
        [0, 0, 1, 1, 1],
        ["pass", "expel", "pass", "set_posture", "joint_patrol"],
        [5.0, -5.0, -5.0, 3.0, 2.0],
    )
    rng = np.random.default_rng(1)
    for _ in range(100):
        rows = policy.draw(cand, 2, 0.01, rng)
        assert len(rows) == 2
        assert list(rows[0]) == []  # actor 0 draws its pass first: nothing
        assert list(rows[1]) == [3, 4]  # actor 1: two actions, best first, k caps the list
    assert [list(r) for r in policy.draw(cand, 0, 0.01, rng)] == [[], []]


def test_draw_at_high_temperature_explores():
    cand = _candidates([0, 0, 0], ["pass", "set_posture", "expel"], [0.0, 5.0, -5.0])
    rng = np.random.default_rng(2)
    firsts = {
        int(r[0][0]) if len(r[0]) else 0
        for r in (policy.draw(cand, 1, 100.0, rng) for _ in range(200))
    }
    assert firsts == {0, 1, 2}


# --- DataCollector
def test_datacollector_has_initial_row_plus_one_per_step(baseline):
    m = _run(GreatPowerModel(baseline, seed=8), 3)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 4
    assert [row["turn"] for row in df["outcomes"]] == [0, 1, 2, 3]


# --- a deliberate use of force (issue 8)
def test_a_human_state_may_choose_force_and_the_run_ends_in_a_deliberate_clash(baseline):
    m = GreatPowerModel(baseline, seed=3, humans=["RUS"])
    act = next(a for a in m.legal_actions("RUS") if a.kind == "use_force" and a.target == "UKR")
    m.submit("RUS", [act])
    m.step()
    rec = next(e for e in _events(m) if e["type"] == "force")
    assert rec["actors"] == ["RUS", "UKR"] and rec["armed_clash"] and rec["cause"] == "deliberate"
    assert m.end_state == "armed_clash" and not m.running
    assert m.outcomes()["end_cause"] == "deliberate" and m.outcomes()["force"] == 1
    assert _events(m)[-1] == {"type": "end", "state": "armed_clash", "cause": "deliberate"}


def test_no_use_of_force_when_switched_off(baseline):
    from sim.loader import read_file, read_source
    from sim.sweep.overrides import apply, parse_value, resolve

    src = read_source(read_file(BASELINE), str(BASELINE))
    t = resolve("dynamics.force.enabled", baseline.model_dump())
    sc = src.validate(apply(src.data, [(t, parse_value("false", t))]))
    m = GreatPowerModel(sc, seed=3, humans=["RUS"])
    assert not [a for a in m.legal_actions("RUS") if a.kind == "use_force"]
    for _ in range(12):
        m.step()
    assert not [e for entry in m.log for e in entry["events"] if e["type"] == "force"]

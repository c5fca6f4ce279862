"""The fast paths of actions and their log records give what the plain paths give.

- :func:`sim.phases.decide.words` writes every candidate row's action exactly as ``str`` of
  its :class:`~sim.actions.Action` does;
- :class:`~sim.actions.Action`'s own constructor keeps a frozen, ordered, hashable dataclass
  whose JSON form round-trips;
- :func:`sim.phases.decide.proposal_reasons` gives each proposal the record that it gets alone;
- a decision record's threat source names the state whose perceived threat times posture in
  the theatre is the largest.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from sim import policy
from sim.actions import ACTION_KINDS, Action
from sim.loader import load_scenario
from sim.model import GreatPowerModel
from sim.phases import decide

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def played():
    """Baseline models at turns 1, 4 and 9 (seed 3), with the policy view of each."""
    sc = load_scenario(ROOT / "scenarios" / "baseline_2021.yaml")
    out = []
    m = GreatPowerModel(sc, seed=3, turns=36, reasons=True)
    for t in range(1, 10):
        m.step()
        if t in (1, 4, 9) and m.running:
            out.append((m, m.challenges()))
    return out


def test_words_match_the_actions_text(played):
    """Every candidate's words are ``str`` of its Action (alternatives in a decision's record)."""
    seen = set()
    for m, ch in played:
        cand = policy.candidates(m.policy_view(ch))
        rows = policy.Candidates(*(getattr(cand, f).tolist() for f in ("actor", "kind", "a1", "a2", "value", "score", "terms")))
        for r in range(len(rows.actor)):
            text = decide.words(m.world, rows.kind[r], rows.actor[r], rows.a1[r], rows.a2[r], rows.value[r])
            assert text == str(decide.to_action(m.world, cand, r))
            seen.add(ACTION_KINDS[rows.kind[r]])
    assert {"pass", "set_posture", "joint_patrol"} <= seen


def test_words_of_every_kind_written_from_a_row(played):
    """Rows of each kind a candidate can have, with awkward values (a fraction of a person)."""
    w = played[0][0].world
    for kind in ACTION_KINDS:
        code = ACTION_KINDS.index(kind)
        for value in (0.0, 2.5, 1.0 / 3.0, 12.0):
            cand = policy.Candidates(np.array([1]), np.array([code]), np.array([0]), np.array([2]), np.array([value]), np.array([0.0]), np.zeros((1, 3)))
            assert decide.words(w, code, 1, 0, 2, value) == str(decide.to_action(w, cand, 0))


def test_action_is_a_frozen_ordered_value():
    a = Action("expel", "USA", target="RUS", channel="emb_USA_RUS", staff=2.0)
    b = Action(kind="expel", actor="USA", target="RUS", channel="emb_USA_RUS", staff=2.0)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert [f.name for f in dataclasses.fields(Action)] == list(vars(a))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.staff = 3.0
    assert Action.from_dict(a.to_dict()) == a
    assert a.to_dict() == {"kind": "expel", "actor": "USA", "target": "RUS", "channel": "emb_USA_RUS", "staff": 2.0}
    assert pickle.loads(pickle.dumps(a)) == a
    assert dataclasses.replace(a, staff=1.0).staff == 1.0 and a.staff == 2.0
    assert sorted([Action("vote", "B"), Action("pass", "A")])[0].kind == "pass"
    assert Action("set_posture", "CHN", theatre="scs", level=0.0).to_dict() == {"kind": "set_posture", "actor": "CHN", "theatre": "scs"}
    with pytest.raises(TypeError):
        Action("pass")


def test_proposal_records_at_once_equal_one_by_one(played):
    for m, ch in played:
        props = decide.ai_proposals(m.world, ch, m.ai_mask, m.scenario.ai.proposals_per_turn)
        assert props
        together = decide.proposal_reasons(m.world, m.state, m.perception, props, ch)
        alone = [decide.proposal_reason(m.world, m.state, m.perception, p, ch) for p in props]
        assert together == alone
        for rec, (i, k, j, _code, eu) in zip(together, props):
            assert rec["actor"] == m.world.actor_ids[i] and rec["spec"]["issue"] == m.world.issue_ids[k]
            assert rec["spec"]["target"] == m.world.actor_ids[j] and rec["terms"][0]["value"] == round(eu, 4)
            assert all(alt[1] > 0 for alt in rec["alternatives"])
    assert decide.proposal_reasons(m.world, m.state, m.perception, [], ch) == []


def test_threat_source_names_the_largest_exposure(played):
    for m, ch in played:
        view = m.policy_view(ch)
        cand = policy.candidates(view)
        why = decide.Reasons(m.world, m.state, m.perception, cand, view.sx.fixed)
        w = m.world
        for r in np.flatnonzero(cand.kind == ACTION_KINDS.index("set_posture"))[:20].tolist():
            i, t = int(cand.actor[r]), int(cand.a1[r])
            exposure = m.perception.threat_perc[i] * m.state.posture[:, t]
            top = max(zip(exposure.tolist(), w.actor_ids))[1]
            got = why.term_source("set_posture", "deterrence of threat exposure", r)
            assert got.startswith(f"threat from {top}: ")
            assert got == why.term_source("set_posture", "posture cost", r)
            rec = why.decision(r)
            assert rec["action"] == str(decide.to_action(w, cand, r)) and rec["spec"] == decide.to_action(w, cand, r).to_dict()


@pytest.mark.parametrize("path", ["baseline_2021.yaml", "tutorial.yaml", "nato_map_ukraine.yaml"])
def test_trace_columns_equal_the_snapshots(path):
    """A trace's columns read from the model's arrays equal those read from its snapshot, in
    the same order, every turn of a run."""
    from sim.trace import columns, snapshot_columns

    file = ROOT / "scenarios" / path
    if not file.exists():
        pytest.skip(f"no scenario {path}")
    m = GreatPowerModel(load_scenario(file), seed=5, turns=12, reasons=False)
    for _ in range(13):
        fast, slow = columns(m), snapshot_columns(m)
        assert list(fast) == list(slow) and fast == slow
        assert all(type(fast[k]) is type(slow[k]) for k in fast)
        m.step()


def test_decision_records_at_once_equal_one_by_one(played):
    """A turn's decision records built at once (what the turn logs) equal :meth:`Reasons.decision`
    row by row, alternatives, terms and sources included, also for a second turn's rows that
    reuse what the first kept, and for a row explored below ``pass``."""
    for m, ch in played:
        view = m.policy_view(ch)
        cand = policy.candidates(view)
        # every actor's best row and a row scored below pass (explored), of every kind present
        rows = sorted({int(np.flatnonzero(cand.actor == i)[np.argmax(cand.score[cand.actor == i])]) for i in np.unique(cand.actor).tolist()})
        below = np.flatnonzero(cand.score < 0)
        kinds = {}
        for r in below.tolist():
            kinds.setdefault(int(cand.kind[r]), r)
        rows += sorted(kinds.values())
        assert below.size and len(kinds) >= 2
        for _ in range(2):  # the second time the structure's store is warm
            at_once = decide.Reasons(m.world, m.state, m.perception, cand, view.sx.fixed).decisions(rows, 0.05)
            oracle = decide.Reasons(m.world, m.state, m.perception, cand, None)
            for r, rec in zip(rows, at_once):
                want = oracle.decision(r)
                if cand.score[r] < 0:
                    want["explored"] = {"temperature": 0.05, "p_ahead_of_pass": round(float(1.0 / (1.0 + np.exp(-cand.score[r] / 0.05))), 4)}
                assert rec == want
                assert json.dumps(rec) == json.dumps(want)
        assert decide.Reasons(m.world, m.state, m.perception, cand, None).decisions([], 0.05) == []


def test_rounded_is_pythons_round():
    """The log's numbers rounded at once are Python's ``round(x, 4)`` of each, on both backends,
    also beyond what the compiled rounding takes (large, inf, nan) and for halves and -0.0."""
    from sim import kernel

    rng = np.random.default_rng(7)
    x = np.concatenate((
        rng.normal(0, 1, 500), rng.normal(0, 1e6, 50), np.arange(-200, 201) / 2e4 + 5e-5,
        [0.0, -0.0, -0.00001, 0.00005, 0.00015, 1e11, -3e15, np.inf, -np.inf, np.nan, 12345.67885],
    ))  # fmt: skip
    want = [round(v, 4) for v in x.tolist()]
    for name in ("compiled", "numpy"):
        with kernel.using_backend(name):
            got = decide.rounded(x)
        assert json.dumps(got) == json.dumps(want)
        assert [np.copysign(1.0, v) for v in got] == [np.copysign(1.0, v) for v in want]


def test_the_worlds_store_of_rows_is_bounded(played, monkeypatch):
    """The store of rows' words and records starts again beyond ``ROW_MEMO`` rows (a long
    sweep's memory stays bounded), and the records stay the same."""
    monkeypatch.setattr(decide, "ROW_MEMO", 3)
    m, ch = played[-1]
    view = m.policy_view(ch)
    cand = policy.candidates(view)
    rows = list(range(0, len(cand.score), 7))
    store: dict = {}
    first = decide.Reasons(m.world, m.state, m.perception, cand, store).decisions(rows, 0.05)
    said = store["term_sources"]["row words"]
    assert len(said) > 3
    said[("a row", "of no turn")] = "kept before the bound"
    again = decide.Reasons(m.world, m.state, m.perception, cand, store).decisions(rows, 0.05)
    assert again == first
    assert ("a row", "of no turn") not in store["term_sources"]["row words"]  # started again


def test_rounding_falls_back_to_pythons_round_when_its_compiled_code_fails(monkeypatch):
    """A disk-cache failure of the compiled rounding costs a warning, never a run: Python's
    ``round`` from then on, the same numbers."""
    from sim import kernel
    from sim.phases import bargain_compiled

    def broken(x):
        raise OSError("cache file unreadable")

    monkeypatch.setattr(kernel, "_FAILED", set())
    monkeypatch.setattr(bargain_compiled, "round4_all", broken)
    x = np.array([0.12345, -2.00005, 1e12])
    with kernel.using_backend("compiled"), pytest.warns(RuntimeWarning, match="rounding failed on its disk cache"):
        assert decide.rounded(x) == [round(v, 4) for v in x.tolist()]
    with kernel.using_backend("compiled"):
        assert decide.rounded(x) == [round(v, 4) for v in x.tolist()]  # no second warning, no second try

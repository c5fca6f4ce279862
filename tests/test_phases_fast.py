"""The turn's fast paths against their plain forms (issue 11: results must not change).

The phases keep what they derive from the world, the structure or unchanged inputs, and settle
the few cells the kernel resolves on Python floats. Each fast path is checked here against the
numpy form it replaced (the oracle), on random inputs: identical numbers, counts and records.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim import kernel
from sim.channels import CLOSED, OPEN, SUSPENDED
from sim.loader import parse_scenario
from sim.phases import bargain, military, perceive, update
from sim.schema import Dynamics, flatten_dynamics
from sim.state import Turn
from sim.world import compile_world

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.test_phases import SMALL, fresh
except ImportError:  # pragma: no cover - depends on how pytest was started
    from test_phases import SMALL, fresh

DYN = flatten_dynamics(Dynamics())
WORLD = compile_world(parse_scenario(SMALL))
OUTCOMES = [kernel.OUTCOME_NONE, kernel.OUTCOME_CONFLICT, kernel.OUTCOME_COMPROMISE, kernel.OUTCOME_CAPITULATION, kernel.OUTCOME_STALEMATE]


def _numpy_steps(dyn, outcome, sal, ten, eff, before, x_chal, x_kernel):
    """The vectorised settlement of the bargain phase as it was before the speed work."""
    scale = bargain.step_scale(dyn, sal, ten)
    hard = (outcome == kernel.OUTCOME_CONFLICT) | (outcome == kernel.OUTCOME_CAPITULATION)
    scale = np.where(hard, scale * eff, scale)
    if dyn["talks.disputes_hold"] > 0:
        scale = np.where(outcome == kernel.OUTCOME_CONFLICT, 0.0, scale)
    moved = before + (x_kernel - before) * scale
    after = before + np.clip(moved - before, -dyn["talks.max_step"], dyn["talks.max_step"])
    gap = np.abs(x_chal - before)
    frac = np.where(gap > 0, np.abs(after - before) / np.maximum(gap, 1e-12), 0.0)
    return after, frac


@settings(max_examples=200, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.integers(1, 20), hst.booleans())
def test_settled_steps_equal_the_numpy_settlement(seed, r, hold):
    rng = np.random.default_rng(seed)
    dyn = dict(DYN, **{"talks.disputes_hold": float(hold), "talks.max_step": float(rng.choice([0.05, 0.2, 1.0]))})
    levels = np.array([0.0, 0.25, 0.5, 1.0])
    pick = lambda: np.where(rng.random(r) < 0.3, levels[rng.integers(0, 4, r)], rng.random(r))  # noqa: E731 (ties and ends common)
    outcome = rng.choice(OUTCOMES, r).astype(np.int8)
    sal, ten, eff, before, x_chal, x_kernel = (pick() for _ in range(6))
    ks, js, cs = rng.integers(0, 4, r), rng.integers(0, 5, r), rng.integers(0, 5, r)
    cells = bargain.settle_steps(dyn, ks, js, cs, outcome, sal, ten, eff, before, x_chal, x_kernel)
    after, frac = _numpy_steps(dyn, outcome, sal, ten, eff, before, x_chal, x_kernel)
    assert [c[6] for c in cells] == after.tolist()  # identical, not close
    assert [c[4] for c in cells] == frac.tolist()
    assert [c[:4] for c in cells] == list(zip(ks.tolist(), js.tolist(), cs.tolist(), outcome.tolist()))
    assert [c[5] for c in cells] == before.tolist()


@settings(max_examples=100, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.booleans())
def test_recorded_outcomes_equal_one_record_per_cell(seed, hold):
    """record_outcomes over a turn's cells = record_outcome called cell after cell."""
    w, rng = WORLD, np.random.default_rng(seed)
    dyn = dict(DYN, **{"talks.disputes_hold": float(hold)})
    st, turn, sx = fresh(w)
    st.totals["disputes"] = 0
    st.rebuff[...] = rng.choice([0.0, 0.5, 2.5, 3.0], st.rebuff.shape)
    turn.tension_delta[...] = rng.random((w.n, w.n)) * 0.1
    cells = []
    for k in range(w.m):  # each (issue, target) once, as the kernel resolves them
        for j in rng.permutation(w.n)[: rng.integers(0, w.n + 1)].tolist():
            i = int(rng.integers(0, w.n))
            before, after = float(rng.random()), float(rng.choice([rng.random(), 0.5]))
            cells.append((k, j, i, int(rng.choice(OUTCOMES)), float(rng.random()), before, after))
    st2, turn2 = copy.deepcopy(st), copy.deepcopy(turn)
    bargain.record_outcomes(w, st, turn, dyn, cells, sx.deciders)
    for k, j, i, oc, fr, before, after in cells:
        bargain.record_outcome(w, st2, turn2, dyn, i, j, k, oc, fr, before, after, sx.deciders)
    assert st.totals == st2.totals and all(type(v) is int for v in st.totals.values())
    assert np.array_equal(turn.tension_delta, turn2.tension_delta)
    assert np.array_equal(st.rebuff, st2.rebuff)
    assert turn.deals == turn2.deals
    assert turn.events == turn2.events


def _fresh_values(w, st, sx, dyn, e, expo, sal_eff):
    """channel_values with nothing kept (a new structure)."""
    return perceive.channel_values(w, st, perceive.structure(w, st.members), dyn, e, expo, sal_eff)


def test_channel_values_kept_only_while_the_channels_are_unchanged():
    """The values computed with what is kept from earlier turns equal a computation from
    scratch, after every change of status, staff or tension."""
    w = WORLD
    st, _, sx = fresh(w)
    rng = np.random.default_rng(3)
    for step in range(12):
        if step % 3 == 1:
            k = int(rng.integers(0, len(w.channel_ids)))
            st.status[k] = rng.choice([OPEN, SUSPENDED, CLOSED])
        elif step % 3 == 2:
            st.staff = st.staff * rng.choice([0.5, 1.0, 2.0])
        st.tension = np.clip(st.tension + rng.random(st.tension.shape) * 0.05, 0, 1)
        per = perceive.perceive(w, st, sx, DYN)
        again = _fresh_values(w, st, sx, DYN, per.effectiveness, per.exposure, per.salience_eff)
        got = (per.channel_value, per.channel_value_if_open, per.channel_cost, per.channel_tension, per.staff_cap)
        for a, b in zip(got, again):
            assert np.array_equal(a, b)


def test_deconfliction_kept_for_the_same_effectiveness_only():
    w = WORLD
    st, _, sx = fresh(w)
    e = perceive.channel_effectiveness(w, st.staff, st.status, ())
    first = military.deconfliction(w, sx, e)
    assert military.deconfliction(w, sx, e.copy()) is first  # kept
    e2 = e * 0.5
    changed = military.deconfliction(w, sx, e2)
    assert np.array_equal(changed, military.deconfliction(w, perceive.structure(w, st.members), e2))
    assert not np.array_equal(changed, first)


def test_relations_follow_a_change_of_salience():
    """The pairwise salience weights kept between turns are dropped when salience changes."""
    w = WORLD
    st, turn, _ = fresh(w)
    a, b = copy.deepcopy(st), copy.deepcopy(st)
    tp = np.minimum(w.threat * (0.5 + st.tension), 1.0)
    update.relations(w, a, Turn(events=[], tension_delta=turn.tension_delta.copy()), tp, DYN)
    b.salience = b.salience * np.linspace(0.2, 1.0, w.m)[None, :]
    update.relations(w, b, Turn(events=[], tension_delta=turn.tension_delta.copy()), tp, DYN)
    update._SALIENCE_WEIGHTS[0] = (b"", (), None)  # nothing kept: from scratch
    c = copy.deepcopy(st)
    c.salience = c.salience * np.linspace(0.2, 1.0, w.m)[None, :]
    update.relations(w, c, Turn(events=[], tension_delta=turn.tension_delta.copy()), tp, DYN)
    assert np.array_equal(b.alignment, c.alignment)
    assert not np.array_equal(a.alignment, b.alignment)


def test_collected_outcomes_are_plain_dicts_and_a_model_pickles():
    from sim.model import GreatPowerModel

    m = GreatPowerModel(parse_scenario(SMALL), seed=2, turns=3, reasons=False)
    m.step()
    rows = m.datacollector.model_vars["outcomes"]
    assert [type(r) for r in rows] == [dict, dict]
    assert rows[-1] == m.outcomes() and rows[-1] is not m.log[-1]["summary"]
    assert m.log[-1]["summary"] == rows[-1]
    clone = pickle.loads(pickle.dumps(m))
    m.step()
    clone.step()
    assert clone.datacollector.model_vars["outcomes"] == m.datacollector.model_vars["outcomes"]
    assert clone.log == m.log

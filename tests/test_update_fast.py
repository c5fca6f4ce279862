"""The compiled update and military phases against their numpy forms (issue 11: results must
not change, bit for bit).

:mod:`sim.phases.update_compiled` computes the relations, the issue states and the incident
draws in loops; the numpy forms in :mod:`sim.phases.update` and :mod:`sim.phases.military` are
the oracles: on random states of the baseline world (ties, zeros and ends common), the same
numbers (not close: equal), the same log records and the same draws.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim import kernel
from sim.loader import load_scenario
from sim.model import GreatPowerModel
from sim.phases import military, update
from sim.state import Turn, derived

ROOT = Path(__file__).resolve().parents[1]
MODEL = GreatPowerModel(load_scenario(ROOT / "scenarios" / "baseline_2021.yaml"), seed=0, turns=36)
W = MODEL.world

pytestmark = pytest.mark.skipif(kernel.backend() != "compiled", reason="the compiled backend is off")


def _levels(rng, shape, levels=(0.0, 0.25, 0.5, 1.0)):
    """Random values in [0, 1] with ties and ends common."""
    return np.where(rng.random(shape) < 0.3, np.array(levels)[rng.integers(0, len(levels), shape)], rng.random(shape))


def _state(seed):
    """A copy of the baseline state with random positions, salience, tension, alignment,
    posture and issue states."""
    rng = np.random.default_rng(seed)
    st = copy.deepcopy(MODEL.state)
    n, m = st.position.shape
    st.position = _levels(rng, (n, m))
    st.salience = np.where(rng.random((n, m)) < 0.2, 0.0, rng.random((n, m)))
    if rng.random() < 0.1:
        st.salience[: rng.integers(1, n)] = 0.0  # pairs with no salience at all
    st.tension = _levels(rng, (n, n))
    st.alignment = _levels(rng, (n, n)) * 2 - 1
    st.posture = _levels(rng, st.posture.shape)
    st.issue_state = _levels(rng, m)
    return st, rng


class _Numpy:
    """Inside the block, the phases run their numpy forms."""

    def __enter__(self):
        kernel._FAILED.add(update.COMPILED)  # one flag for both phases

    def __exit__(self, *exc):
        kernel._FAILED.discard(update.COMPILED)


@settings(max_examples=150, deadline=None)
@given(hst.integers(0, 2**32 - 1))
def test_relations_compiled_equal_numpy(seed):
    st, rng = _state(seed)
    n = W.n
    dyn = dict(MODEL.dyn, tension_decay=float(rng.choice([0.0, 0.05, 0.3])), alignment_pressure=float(rng.choice([0.0, 0.4, 2.0])), alignment_rate=float(rng.choice([0.1, 1.0])))
    delta = (rng.random((n, n)) - 0.3) * rng.choice([0.0, 0.2, 1.0])
    tp = _levels(rng, (n, n))
    dyn["anchor"] = float(rng.choice([0.0, 0.15, 1.0]))
    anchor = bool(rng.random() < 0.7)  # then the positions fall back toward the ideal points
    st.ideal = _levels(rng, st.position.shape)
    a, b = copy.deepcopy(st), copy.deepcopy(st)
    update.relations(W, a, Turn(events=[], tension_delta=delta.copy()), tp, dyn, anchor=anchor)
    with _Numpy():
        update.relations(W, b, Turn(events=[], tension_delta=delta.copy()), tp, dyn, anchor=anchor)
    assert np.array_equal(a.tension, b.tension)
    assert np.array_equal(a.alignment, b.alignment)
    assert np.array_equal(a.position, b.position)
    assert np.array_equal(np.signbit(a.position), np.signbit(b.position))
    assert anchor or np.array_equal(a.position, st.position)


@settings(max_examples=200, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.booleans(), hst.booleans(), hst.booleans())
def test_issue_states_compiled_equal_numpy(seed, deals, veto, rules):
    """Every decision rule (the rules drawn at random per bloc issue), deals on or off, the
    veto on or off: the same issue states, vetoes and log records."""
    st, rng = _state(seed)
    m, n = W.m, W.n
    deciders = rng.random((m, n)) < rng.choice([0.1, 0.5, 0.9])
    deciders[rng.random(m) < 0.15] = False  # issues nobody decides
    dyn = dict(MODEL.dyn, **{"talks.deals": float(deals), "collective.veto": float(veto)})
    turn = Turn(events=[], tension_delta=np.zeros((n, n)))
    turn.deals = set(rng.permutation(m)[: rng.integers(0, m + 1)].tolist())
    st.vetoed = np.where(rng.random(m) < 0.3, 0.9, 0.0)
    fx = update._fixed(W)
    kept = dict(fx)
    if rules:  # another rule per bloc-decided issue, in the numpy and the compiled forms alike
        rule = np.where(W.issue_bloc >= 0, rng.integers(0, 3, m), 0).astype(W.decider_rule.dtype)
        fx.update(
            rule=rule,
            ruled=np.flatnonzero(rule != 0).tolist(),
            rule64=rule.astype(np.int64),
            leader=np.array([W.bloc_leader[W.issue_bloc[k]] if rule[k] == 2 else -1 for k in range(m)], dtype=np.int64),
        )
        for key in ("rule", "rule64", "leader"):  # read only, as kept: the compiled signature of a run
            fx[key].flags.writeable = False
    try:
        a, b = copy.deepcopy(st), copy.deepcopy(st)
        ta, tb = copy.deepcopy(turn), copy.deepcopy(turn)
        update.issue_states(W, a, ta, deciders, dyn, a.vetoed)
        with _Numpy():
            update.issue_states(W, b, tb, deciders, dyn, b.vetoed)
    finally:
        derived(W)["update"] = kept
    assert np.array_equal(a.issue_state, b.issue_state)
    assert np.array_equal(a.vetoed, b.vetoed)
    assert a.totals == b.totals
    assert ta.events == tb.events


@settings(max_examples=150, deadline=None)
@given(hst.integers(0, 2**32 - 1))
def test_incident_draws_compiled_equal_numpy(seed):
    """The same incidents from the same draws (patrols, zero rates and high tension common),
    and the same escalations, tension changes and records."""
    st, rng = _state(seed)
    T = len(W.theatre_ids)
    st.posture = st.posture * (rng.random(st.posture.shape) < 0.7)
    patrols = [(int(rng.integers(0, T)), int(rng.integers(0, W.n)), int(rng.integers(0, W.n))) for _ in range(int(rng.integers(0, 4)))]
    draw = int(rng.integers(0, 2**32))
    sx = MODEL.structure
    e = MODEL.perception.effectiveness
    out = []
    for numpy_form in (False, True):
        s = copy.deepcopy(st)
        turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)), patrols=list(patrols))
        g = np.random.default_rng(draw)
        if numpy_form:
            with _Numpy():
                military.incidents(W, s, turn, sx, e, MODEL.dyn, g)
        else:
            military.incidents(W, s, turn, sx, e, MODEL.dyn, g)
        out.append((turn.events, turn.tension_delta, s.totals, g.random()))
    (ea, da, ca, ga), (eb, db, cb, gb) = out
    assert ea == eb and ca == cb and ga == gb
    assert np.array_equal(da, db)
    # and the hits themselves, from one set of draws
    u = np.random.default_rng(draw).random((T, W.n, W.n))
    from sim.phases import update_compiled as fast

    fx = military._fixed(W)
    hits = fast.incident_draws(u, W.incident_rate, st.posture, fx["present"], fx["hostility"], st.tension, np.array(patrols, dtype=np.int64).reshape(-1, 3))
    turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)), patrols=list(patrols))
    assert np.array_equal(hits, military._incident_hits_numpy(W, st, turn, u))


@settings(max_examples=50, deadline=None)
@given(hst.integers(0, 2**32 - 1))
def test_a_draw_at_its_probability_is_left_to_numpy(seed):
    """Where a draw equals its incident probability as numpy computes it (the one case in which
    the compiled exp could round to the other side), the compiled draw steps aside and the
    incidents are numpy's, with the same escalations and records."""
    from sim.phases import update_compiled as fast

    st, rng = _state(seed)
    T = len(W.theatre_ids)
    fx = military._fixed(W)
    turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)))
    u = rng.random((T, W.n, W.n))
    p = 1.0 - np.exp(-military._incident_rates_numpy(W, st, turn))
    cells = np.argwhere((p > 0) & military._pairs_once(W.n)[None])
    t, i, j = cells[rng.integers(0, len(cells))]
    u[t, i, j] = p[t, i, j]  # exactly at numpy's probability: no incident there for numpy
    assert fast.incident_draws(u, W.incident_rate, st.posture, fx["present"], fx["hostility"], st.tension, military._NO_PATROLS).tolist() == [[-1, -1, -1]]
    out = []
    for numpy_form in (False, True):
        s, g = copy.deepcopy(st), _Replay(u, seed)
        turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)))
        if numpy_form:
            with _Numpy():
                military.incidents(W, s, turn, MODEL.structure, MODEL.perception.effectiveness, MODEL.dyn, g)
        else:
            military.incidents(W, s, turn, MODEL.structure, MODEL.perception.effectiveness, MODEL.dyn, g)
        out.append((turn.events, s.totals))
    assert out[0] == out[1]
    assert not any(e["actors"] == [W.actor_ids[i], W.actor_ids[j]] and e["theatre"] == W.theatre_ids[t] for e in out[0][0])


class _Replay:
    """A generator whose first draw of incident cells is the given array ``u``; later draws
    come from a seeded generator."""

    def __init__(self, u, seed):
        self.u, self.rest = u, np.random.default_rng(seed)

    def random(self, size=None):
        if self.u is not None and size == self.u.shape:
            u, self.u = self.u, None
            return u.copy()
        return self.rest.random(size)


@settings(max_examples=100, deadline=None)
@given(hst.integers(0, 2**32 - 1))
def test_deconfliction_compiled_equal_numpy(seed):
    """The deconfliction table (several channels joining a pair, closed and partly staffed
    channels common) is the same number for number."""
    from sim.phases import perceive

    rng = np.random.default_rng(seed)
    e = np.where(rng.random(len(W.channel_ids)) < 0.3, rng.choice([0.0, 1.0], len(W.channel_ids)), rng.random(len(W.channel_ids)))
    members = MODEL.state.members.copy()
    members[rng.random(members.shape) < 0.2] ^= True  # other blocs' members: other channels join pairs
    tables = []
    for numpy_form in (False, True):
        sx = perceive.structure(W, members)
        if numpy_form:
            with _Numpy():
                tables.append(military.deconfliction(W, sx, e))
        else:
            tables.append(military.deconfliction(W, sx, e))
    assert np.array_equal(tables[0], tables[1])
    assert tables[0].any()


def test_a_disk_cache_failure_turns_both_phases_to_numpy(monkeypatch):
    """A compiled core failing on its disk cache (OSError) in the military phase warns and draws
    the same incidents with numpy; from then on the update phase runs numpy as well (one flag)."""
    from sim.phases import update_compiled

    st, rng = _state(7)
    draw = int(rng.integers(0, 2**32))
    want_turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)))
    want = copy.deepcopy(st)
    with _Numpy():
        military.incidents(W, want, want_turn, MODEL.structure, MODEL.perception.effectiveness, MODEL.dyn, np.random.default_rng(draw))

    def broken(*args):
        raise OSError("cache file unreadable")

    monkeypatch.setattr(kernel, "_FAILED", set())
    monkeypatch.setattr(update_compiled, "incident_draws", broken)
    turn = Turn(events=[], tension_delta=np.zeros((W.n, W.n)))
    with pytest.warns(RuntimeWarning, match="compiled update and military phases failed"):
        military.incidents(W, st, turn, MODEL.structure, MODEL.perception.effectiveness, MODEL.dyn, np.random.default_rng(draw))
    assert turn.events == want_turn.events and st.totals == want.totals
    assert np.array_equal(turn.tension_delta, want_turn.tension_delta)
    assert update.compiled() is None  # the update phase too, for the rest of the process

"""The compiled challenges and talks of a turn against their numpy forms (issue 11: results must
not change).

:func:`sim.phases.decide.challenges` and the talks of :func:`sim.phases.bargain.bargain` run in
one compiled call each with the kernel's compiled backend; their numpy forms (the kernel's
compiled expected utilities, then numpy and Python floats) are the oracles: identical numbers,
counts, rebuffs, deals and records on random inputs.
"""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim import kernel, kernel_compiled
from sim.channels import OPEN
from sim.phases import bargain, bargain_compiled, decide

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.test_phases import fresh
    from tests.test_phases_fast import DYN, WORLD
except ImportError:  # pragma: no cover - depends on how pytest was started
    from test_phases import fresh
    from test_phases_fast import DYN, WORLD

LEVELS = np.array([0.0, 0.25, 0.5, 1.0])


def _pick(rng, shape, share=0.3):
    """Random numbers in [0, 1], a share of them at a few exact levels (ties and ends)."""
    return np.where(rng.random(shape) < share, LEVELS[rng.integers(0, 4, shape)], rng.random(shape))


def _state(seed):
    w, rng = WORLD, np.random.default_rng(seed)
    st, turn, sx = fresh(w)
    st.position = _pick(rng, (w.n, w.m))
    st.tension = _pick(rng, (w.n, w.n))
    st.rebuff[...] = rng.choice([0.0, 0.5, 1.0, 2.5, 3.0], st.rebuff.shape)
    turn.tension_delta[...] = rng.random((w.n, w.n)) * 0.1
    per = types.SimpleNamespace(salience_eff=_pick(rng, (w.n, w.m)), effectiveness=_pick(rng, len(w.channel_ids)))
    return w, rng, st, turn, sx, per


def test_the_compiled_rebuff_cap_is_the_bargain_phases():
    assert kernel_compiled.REBUFF_CAP == bargain.REBUFF_CAP


@settings(max_examples=60, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.booleans(), hst.sampled_from([0.0, 0.001, 0.05]), hst.integers(0, 4))
def test_compiled_challenges_equal_the_numpy_challenges(seed, endogenous, cost, per_turn):
    w, rng, st, turn, sx, per = _state(seed)
    assert kernel.backend() == "compiled"
    args = (w, st, per, sx, 0.5, 0.5, endogenous, per_turn, cost)
    fast, slow = decide.challenges(*args), decide._numpy_challenges(*args)
    for name in ("eu", "forecast", "eff", "chan", "dec", "score", "flat", "ranked"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.shape == b.shape and np.array_equal(a, b), name  # identical, not close
    ai_mask = rng.random(w.n) < 0.8
    rows = decide.ai_proposals(w, fast, ai_mask, per_turn)
    with kernel.using_backend("numpy"):
        assert rows == decide.ai_proposals(w, slow, ai_mask, per_turn)
    assert all(type(v) is int for p in rows for v in p[:4]) and all(type(p[4]) is float for p in rows)


def _compiled_talks(w, st, turn, sx, per, dyn, rng, eu, offers, effm, clip):
    """The talks of the compiled bargain phase on given offers (``bargain_turn`` after its gate)."""
    tiebreak = rng.random((w.m, w.n, w.n))
    params = np.array([dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"], dyn["talks.disputes_hold"], -dyn["tension_agreement"], dyn["tension_conflict"], 1.0, float(clip)])
    pos, cells, numbers, counts = kernel_compiled.talks(st.position, eu, offers, effm, tiebreak, per.salience_eff, st.tension, params, turn.tension_delta, st.rebuff, sx.deciders, w.issue_bloc < 0)
    if len(cells):
        bargain._record_cells(w, st, turn, dyn, cells, numbers, *counts.tolist())
    return pos


@settings(max_examples=100, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.booleans(), hst.booleans(), hst.sampled_from([0.05, 0.2, 1.0]))
def test_compiled_talks_equal_the_numpy_talks(seed, hold, clip, max_step):
    w, rng, st, turn, sx, per = _state(seed)
    dyn = dict(DYN, **{"talks.disputes_hold": float(hold), "talks.max_step": max_step})
    m, n = w.m, w.n
    eu = np.where(rng.random((m, n, n)) < 0.2, rng.choice([0.0, 0.1, -0.1], (m, n, n)), rng.normal(0, 0.3, (m, n, n)))
    offers = rng.random((m, n, n)) < 0.5
    effm = np.where(offers, _pick(rng, (m, n, n)), 0.0)
    if rng.random() < 0.5:
        st.totals["disputes"] = 1
    st1, turn1, st2, turn2 = copy.deepcopy(st), copy.deepcopy(turn), copy.deepcopy(st), copy.deepcopy(turn)
    pos1 = _compiled_talks(w, st1, turn1, sx, per, dyn, np.random.default_rng(seed), eu, offers, effm, clip)
    pos2, old = bargain._numpy_talks(w, st2, turn2, sx, per, dyn, np.random.default_rng(seed).random((m, n, n)), eu, offers, effm)
    if clip:
        pos2 = np.minimum(np.maximum(pos2, 0.0), 1.0)
    assert np.array_equal(pos1, pos2) and np.array_equal(old, st.position.T)
    assert np.array_equal(turn1.tension_delta, turn2.tension_delta)
    assert np.array_equal(st1.rebuff, st2.rebuff)
    assert st1.totals == st2.totals and list(st1.totals) == list(st2.totals)
    assert all(type(v) is int for v in st1.totals.values())
    assert turn1.deals == turn2.deals
    assert turn1.events == turn2.events
    assert any(r["outcome"] != "none" for r in turn1.events) or not offers.any() or not (eu > 0).any()


@settings(max_examples=100, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.integers(0, 40), hst.booleans())
def test_compiled_gate_equals_the_python_gate(seed, count, with_humans):
    """Which proposals travel (offers, their effectiveness, the codes): compiled = Python."""
    w, rng, st, turn, sx, per = _state(seed)
    m, n, K = w.m, w.n, len(w.channel_ids)
    st.status = rng.choice([0, 0, 1, 2], K).astype(st.status.dtype)
    st.members = rng.random(st.members.shape) < 0.5
    eu = rng.normal(0, 0.3, (m, n, n))
    proposals = [(int(rng.integers(n)), int(rng.integers(m)), int(rng.integers(n)), int(rng.integers(-2, K)), 0.0) for _ in range(count)]
    humans = {w.actor_ids[h] for h in rng.permutation(n)[:2].tolist()} if with_humans else set()
    offers, effm, codes = bargain.gate(w, st, sx, per, eu, proposals, humans)
    human = np.array([a in humans for a in w.actor_ids])
    offers2, effm2 = np.zeros((m, n, n), bool), np.zeros((m, n, n))
    props = np.array(proposals, dtype=float).reshape(-1, 5)
    codes2 = kernel_compiled.gate(props, eu, st.status, sx.ch_pair, per.effectiveness, w.ch_bloc_end, st.members, sx.caucus, human, offers2, effm2)
    assert codes == codes2.tolist()
    assert np.array_equal(offers, offers2) and np.array_equal(effm, effm2)
    assert (kernel_compiled.OPEN, kernel_compiled.PROPOSAL_OFFER, kernel_compiled.PROPOSAL_NO_CHANNEL, kernel_compiled.PROPOSAL_BLOC, kernel_compiled.PROPOSAL_HUMAN) == (OPEN, bargain.PROPOSAL_OFFER, bargain.PROPOSAL_NO_CHANNEL, bargain.PROPOSAL_BLOC, bargain.PROPOSAL_HUMAN)


@settings(max_examples=60, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.integers(0, 40), hst.booleans(), hst.booleans())
def test_compiled_bargain_equals_the_numpy_bargain(seed, count, with_humans, hold):
    """A whole bargain phase (offers, blocs, humans and their answers): the compiled backend's
    one call = the numpy backend's phase, on the same expected utilities and draws."""
    w, rng, st, turn, sx, per = _state(seed)
    dyn = dict(DYN, **{"talks.disputes_hold": float(hold)})
    m, n, K = w.m, w.n, len(w.channel_ids)
    st.status = rng.choice([0, 0, 0, 1, 2], K).astype(st.status.dtype)
    eu = np.where(rng.random((m, n, n)) < 0.2, 0.0, rng.normal(0, 0.3, (m, n, n)))
    ch = decide.challenges(w, st, per, sx, 0.5, 0.5, True, 2)
    proposals = decide.ai_proposals(w, ch, np.ones(n, bool), 2)
    proposals += [(int(rng.integers(n)), int(rng.integers(m)), int(rng.integers(n)), int(rng.integers(-2, K)), 0.0) for _ in range(count)]
    humans = {w.actor_ids[h] for h in rng.permutation(n)[:2].tolist()} if with_humans else set()
    st.pending = {h: [] for h in sorted(humans)}
    for h in st.pending:  # last turn's proposals to the humans, answered
        for answer in ("accept", "compromise", "reject", None):
            p = {"from": w.actor_ids[int(rng.integers(n))], "issue": w.issue_ids[int(rng.integers(m))], "position": float(rng.random()), "eu": 0.1, "eff": float(rng.random()), "expected_win": bool(rng.random() < 0.5)}
            if answer:
                p["answer"] = answer
            st.pending[h].append(p)
    st1, turn1, st2, turn2 = copy.deepcopy(st), copy.deepcopy(turn), copy.deepcopy(st), copy.deepcopy(turn)
    bargain.bargain(w, st1, turn1, sx, per, dyn, np.random.default_rng(seed), eu, proposals, humans)
    with kernel.using_backend("numpy"):
        bargain.bargain(w, st2, turn2, sx, per, dyn, np.random.default_rng(seed), eu, proposals, humans)
    for name in ("position", "rebuff"):
        assert np.array_equal(getattr(st1, name), getattr(st2, name)), name
    assert np.array_equal(turn1.tension_delta, turn2.tension_delta)
    assert st1.totals == st2.totals and list(st1.totals) == list(st2.totals)
    assert st1.pending == st2.pending and turn1.deals == turn2.deals
    assert turn1.events == turn2.events


def test_a_failing_compiled_bargain_falls_back_to_the_numpy_phase_with_the_same_draws(monkeypatch):
    # a disk-cache failure of the compiled call never stops a run: a warning, then the numpy
    # phase on the same tie-breaking draws (one draw a phase, whichever form runs), so the
    # positions, records and the generator's state are those of a numpy run
    w, rng, st, turn, sx, per = _state(7)
    m, n = w.m, w.n
    eu = np.where(rng.random((m, n, n)) < 0.2, 0.0, rng.normal(0, 0.3, (m, n, n)))
    proposals = decide.ai_proposals(w, decide.challenges(w, st, per, sx, 0.5, 0.5, True, 2), np.ones(n, bool), 2)
    assert proposals
    st1, turn1, st2, turn2 = copy.deepcopy(st), copy.deepcopy(turn), copy.deepcopy(st), copy.deepcopy(turn)
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    with kernel.using_backend("numpy"):
        bargain.bargain(w, st2, turn2, sx, per, DYN, rng2, eu, proposals, set())

    def broken(*args, **kwargs):
        raise OSError("cache folder vanished")

    monkeypatch.setattr(bargain_compiled, "bargain_turn", broken)
    monkeypatch.setattr(kernel, "_FAILED", set())
    with kernel.using_backend("compiled"), pytest.warns(RuntimeWarning, match=r"^the compiled bargaining phase failed on its disk cache \(cache folder vanished\); using numpy$"):
        bargain.bargain(w, st1, turn1, sx, per, DYN, rng1, eu, proposals, set())
    assert np.array_equal(st1.position, st2.position) and np.array_equal(st1.rebuff, st2.rebuff)
    assert np.array_equal(turn1.tension_delta, turn2.tension_delta)
    assert turn1.events == turn2.events and st1.totals == st2.totals
    assert rng1.bit_generator.state == rng2.bit_generator.state
    assert not kernel.phase_compiled(bargain.COMPILED)  # for the rest of the process


@settings(max_examples=80, deadline=None)
@given(hst.integers(0, 2**32 - 1), hst.lists(hst.integers(0, 2), min_size=2, max_size=2), hst.booleans(), hst.booleans())
def test_compiled_bloc_answers_equal_the_numpy_bloc_answers(seed, rules, pending, hold):
    """Proposals to blocs under each rule (consensus, majority, leader), with odd and even
    memberships and repeated proposals to one bloc: the compiled phase's answers, moves,
    tensions, rebuffs, counts and records = the numpy backend's, with and without human
    answers to wait for (the positions clipped in the compiled call or after)."""
    w0, rng, st, turn, sx, per = _state(seed)
    B, n, m, K = len(w0.bloc_ids), w0.n, w0.m, len(w0.channel_ids)
    members = rng.random((B, n)) < 0.6
    members[np.arange(B), rng.integers(0, n, B)] = True  # no bloc without members
    leader = np.array([int(rng.choice(np.flatnonzero(members[b]))) for b in range(B)])
    w = copy.copy(w0)  # another world (the phase keeps what it derives from a world)
    w.bloc_rule, w.bloc_leader = np.array(rules), leader
    st.members = members
    sx = types.SimpleNamespace(**vars(sx))
    sx.ch_pair = rng.random(sx.ch_pair.shape) < 0.7
    st.status = rng.choice([0, 0, 0, 1], K).astype(st.status.dtype)
    per.effectiveness = np.where(rng.random(K) < 0.9, per.effectiveness, 0.0)
    dyn = dict(DYN, **{"talks.disputes_hold": float(hold)})
    eu = np.where(rng.random((m, n, n)) < 0.1, 0.0, rng.normal(0, 0.3, (m, n, n)))
    to_blocs = np.flatnonzero(w.ch_bloc_end >= 0)
    assert len(to_blocs)
    proposals = []
    for _ in range(int(rng.integers(1, 30))):  # to members of the blocs at the channels' ends
        ch = int(rng.choice(to_blocs))
        i, k, j = int(rng.integers(n)), int(rng.integers(m)), int(rng.choice(np.flatnonzero(members[w.ch_bloc_end[ch]])))
        if rng.random() < 0.8:  # mostly a route that carries it
            st.status[ch], sx.ch_pair[ch, i, j], eu[k, i, j] = OPEN, True, abs(eu[k, i, j]) + 0.01
            per.effectiveness[ch] = max(per.effectiveness[ch], 0.1)
        proposals.append((i, k, j, ch, 0.0))
    proposals += proposals[: int(rng.integers(0, 3))]  # the same proposer, issue and bloc again
    proposals += [(int(rng.integers(n)), int(rng.integers(m)), int(rng.integers(n)), int(rng.integers(-2, K)), 0.0) for _ in range(5)]
    st.position = np.where(rng.random(st.position.shape) < 0.1, rng.choice([0.0, 1.0], st.position.shape), st.position)
    if pending:
        h = w.actor_ids[int(rng.integers(n))]
        st.pending = {h: [{"from": w.actor_ids[0], "issue": w.issue_ids[0], "position": 1.2, "eu": 0.1, "eff": 0.5, "expected_win": False, "answer": "accept"}]}
    st1, turn1, st2, turn2 = copy.deepcopy(st), copy.deepcopy(turn), copy.deepcopy(st), copy.deepcopy(turn)
    bargain.bargain(w, st1, turn1, sx, per, dyn, np.random.default_rng(seed), eu, proposals, set())
    with kernel.using_backend("numpy"):
        bargain.bargain(w, st2, turn2, sx, per, dyn, np.random.default_rng(seed), eu, proposals, set())
    assert any(r["to"] in w.bloc_ids for r in turn2.events)
    for name in ("position", "rebuff"):
        a, b = getattr(st1, name), getattr(st2, name)
        assert np.array_equal(a, b), name
    assert np.array_equal(turn1.tension_delta, turn2.tension_delta)
    assert st1.totals == st2.totals and list(st1.totals) == list(st2.totals)
    assert st1.pending == st2.pending and turn1.deals == turn2.deals
    assert turn1.events == turn2.events


EDGES = [0.0, -0.0, 1.0, 0.03125, -0.03125, 0.00005, 0.00015, 0.99995, 0.49995, 1e-300, 5e-324, -5e-324, 99999999999.9]


@settings(max_examples=300, deadline=None)
@given(hst.one_of(hst.floats(-1.5, 1.5), hst.floats(allow_nan=False, allow_infinity=False), hst.integers(0, 20000).map(lambda h: h / 20000), hst.integers(0, 20000).map(lambda h: float(np.nextafter(h / 20000, 2.0))), hst.sampled_from(EDGES)))
def test_the_compiled_rounding_is_pythons(x):
    """The log's numbers rounded in the compiled phase are Python's ``round(x, 4)``, bit for bit
    (halves to even, the sign of zero kept); beyond its range it says so (nan)."""
    from sim.phases.bargain_compiled import ROUND_LIMIT, round4

    got = round4(x)
    if abs(x) < ROUND_LIMIT:
        assert got == round(x, 4) and np.signbit(got) == np.signbit(round(x, 4))
    else:
        assert np.isnan(got)


def test_the_compiled_rounding_on_a_dense_grid():
    """Every 4-decimal half (h + 1/2) / 10^4 in [0, 1], its neighbouring floats, and random
    numbers: Python's rounding."""
    from sim.phases.bargain_compiled import round4

    halves = (np.arange(0, 10001) + 0.5) / 10000
    xs = np.concatenate([halves, np.nextafter(halves, 2.0), np.nextafter(halves, -2.0), np.arange(0, 101) / 32, np.random.default_rng(5).random(20000)])
    xs = np.concatenate([xs, -xs])
    assert [round4(x) for x in xs.tolist()] == [round(x, 4) for x in xs.tolist()]

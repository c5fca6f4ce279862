"""Perception's compiled cores (sim/phases/perceive_compiled.py) against the numpy forms.

With the kernel's ``"compiled"`` backend, :func:`sim.phases.perceive.perceive` and
:func:`~sim.phases.perceive.channel_effectiveness` compute in compiled code (issue 11: the turn
made fast, results unchanged). The numpy forms, run under the ``"numpy"`` backend, are the
oracles: every field of the perception identical, not only close, on every scenario's states
perturbed at random (closed and suspended channels, expelled staff, empty postures, summits, the
venue switch), with what the structure keeps reused across calls.
"""

import copy
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from sim import kernel
from sim.channels import CLOSED, OPEN, SUSPENDED
from sim.loader import load_scenario
from sim.model import GreatPowerModel
from sim.phases import perceive

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
FIELDS = tuple(perceive.Perception.__dataclass_fields__)


@lru_cache(maxsize=None)
def _model(name: str) -> GreatPowerModel:
    """A scenario after three turns (cached: callers copy its state)."""
    m = GreatPowerModel(load_scenario(ROOT / "scenarios" / name), seed=5)
    for _ in range(3):
        if m.running:
            m.step()
    return m


def _perturbed(m: GreatPowerModel, rng: np.random.Generator):
    """A copy of the model's state with channels, staff, tension, posture, salience and issue
    states moved at random (zeros, ones and ties included)."""
    st = copy.deepcopy(m.state)
    K = len(st.staff)
    st.status = np.where(rng.random(K) < 0.25, rng.choice([OPEN, SUSPENDED, CLOSED], K), st.status).astype(st.status.dtype)
    st.staff = st.staff * rng.choice([0.0, 0.1, 0.5, 1.0, 1.5], K)
    st.tension = np.clip(st.tension + rng.choice([0.0, 0.3, 1.0], st.tension.shape) * rng.random(st.tension.shape), 0.0, 1.0)
    st.posture = st.posture * rng.choice([0.0, 1.0, 1.7], st.posture.shape)
    st.posture[rng.integers(0, len(st.posture))] = 0.0  # an actor with no posture anywhere
    st.salience = np.where(rng.random(st.salience.shape) < 0.3, rng.random(st.salience.shape), st.salience)
    st.issue_state = np.where(rng.random(len(st.issue_state)) < 0.5, rng.choice([0.0, 0.25, 1.0], len(st.issue_state)), st.issue_state)
    return st


def _compare(a: perceive.Perception, b: perceive.Perception) -> None:
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.shape == y.shape, f
        assert np.array_equal(x, y), f  # identical, not close


@pytest.mark.parametrize("name", SCENARIOS)
@settings(max_examples=15, deadline=None)
@given(seed=hst.integers(0, 2**32 - 1), venue=hst.booleans(), summit=hst.booleans())
def test_compiled_perception_equals_numpy(name, seed, venue, summit):
    if kernel.backend() != "compiled":
        pytest.skip("the numpy backend (or no numba): the numpy path is the only path")
    m = _model(name)
    w, rng = m.world, np.random.default_rng(seed)
    dyn = dict(m.dyn, **{"channels.venue": float(venue), "linkage": float(rng.choice([0.0, 0.3, 1.0]))})
    st = _perturbed(m, rng)
    events = np.flatnonzero(w.ch_event_only)
    summits = tuple(int(k) for k in events if rng.random() < 0.7) if summit else ()
    assert perceive.compiled()
    kept = m.structure  # what the structure keeps is reused from call to call
    got = perceive.perceive(w, st, kept, dyn, summits)
    again = perceive.perceive(w, st, kept, dyn, summits)
    with kernel.using_backend("numpy"):
        assert not perceive.compiled()
        want = perceive.perceive(w, st, perceive.structure(w, st.members), dyn, summits)
        e = perceive.channel_effectiveness(w, st.staff, st.status, summits)
    _compare(got, want)
    _compare(again, want)
    assert np.array_equal(perceive.channel_effectiveness(w, st.staff, st.status, summits), e)


def test_numpy_backend_still_perceives():
    """With GREATPOWER_KERNEL=numpy (no numba), perception runs on the numpy forms alone."""
    m = _model(SCENARIOS[0])
    with kernel.using_backend("numpy"):
        per = perceive.perceive(m.world, m.state, perceive.structure(m.world, m.state.members), m.dyn)
    assert per.channel_value.shape == (m.world.n, len(m.world.channel_ids))
    assert np.isfinite(per.channel_value).all() and (per.effectiveness >= 0).all() and (per.effectiveness <= 1).all()


@settings(max_examples=60, deadline=None)
@given(seed=hst.integers(0, 2**32 - 1), n=hst.integers(1, 30), T=hst.integers(1, 300))
def test_row_sum_is_numpys_sum(seed, n, T):
    """The compiled core sums a posture row as numpy's ``sum(axis=1)`` does (pairwise)."""
    from sim.phases.perceive_compiled import _row_sum

    rng = np.random.default_rng(seed)
    posture = rng.random((n, T)) * rng.choice([0.0, 1e-3, 1.0, 3e3], (n, T))
    rows = posture.sum(axis=1)
    assert all(rows[i] == _row_sum(np.ascontiguousarray(posture[i])) for i in range(n))


@settings(max_examples=60, deadline=None)
@given(seed=hst.integers(0, 2**32 - 1), n=hst.integers(1, 20), T=hst.integers(1, 8), share=hst.sampled_from([0.05, 0.5, 1.0]))
def test_exposure_sums_the_factions_threat_as_numpys_einsum(seed, n, T, share):
    """The compiled exposure sums the factions' threat x posture over the nonzero weights only,
    in numpy's einsum order: the same numbers as ``einsum("ijt,jt->it")`` on any weights."""
    if kernel.backend() != "compiled":
        pytest.skip("the numpy backend (or no numba): the numpy path is the only path")
    from sim.phases import perceive_compiled

    rng = np.random.default_rng(seed)
    threat = rng.random((n, n, T)) * (rng.random((n, n, T)) < share)
    posture = rng.random((n, T)) * rng.choice([0.0, 1.0, 3.7], (n, T))
    faction = perceive.faction_terms(threat)
    several = ((threat != 0).sum(axis=1) > 1).any()
    assert (faction is None) == (T == 1 and several)  # then the numpy form perceives
    if faction is None:
        return
    tpp, present, uncovered = rng.random((n, T)), np.ones((n, T)), np.ones((n, T))
    salience = rng.random((n, 2))
    exposure, uncovered_exposure, salience_eff = np.empty((n, T)), np.empty((n, T)), np.empty((n, 2))
    perceive_compiled.exposure_core(tpp, *faction, present, posture, np.zeros(T), np.zeros(2), salience, 0.0, uncovered, exposure, salience_eff, uncovered_exposure)
    want = tpp * present + np.einsum("ijt,jt->it", threat, posture)
    assert np.array_equal(exposure, want)


def test_a_disk_cache_failure_falls_back_to_numpy(monkeypatch):
    """A compiled core failing on its disk cache (OSError) warns once and perceives with numpy:
    the same perception, and numpy from then on."""
    if kernel.backend() != "compiled":
        pytest.skip("the numpy backend (or no numba): the numpy path is the only path")
    from sim.phases import perceive_compiled

    m = _model(SCENARIOS[0])
    w, st = m.world, m.state

    def broken(*args):
        raise OSError("cache file unreadable")

    monkeypatch.setattr(kernel, "_FAILED", set())
    monkeypatch.setattr(perceive_compiled, "values_core", broken)
    with pytest.warns(RuntimeWarning, match="compiled perception failed"):
        got = perceive.perceive(w, st, perceive.structure(w, st.members), m.dyn)
    assert not perceive.compiled()
    with kernel.using_backend("numpy"):
        want = perceive.perceive(w, st, perceive.structure(w, st.members), m.dyn)
    _compare(got, want)


@pytest.mark.parametrize("name", SCENARIOS)
def test_both_forms_multiply_by_the_same_float_copies_of_the_0_1_matrices(name):
    """numpy's product with a boolean matrix can differ in the last bit from its product with the
    matrix's float copy (e.g. one actor x 8 issues x 4 channels, where numpy takes another BLAS
    routine), so the numpy and the compiled form both multiply by the same cached float copies:
    one operand, equal to the boolean matrix entry for entry, whatever the numbers of actors,
    issues and channels."""
    m = _model(name)
    w, st = m.world, m.state
    sx = perceive.structure(w, st.members)
    for venues in (False, True):
        carries_t, served_t, theatre_t = perceive._products_fixed(w, sx, venues)
        assert carries_t.dtype == float and np.array_equal(carries_t, w.ch_issue.T)
        assert theatre_t.dtype == float and np.array_equal(theatre_t, w.ch_theatre.T)
        assert served_t is None or (served_t.dtype == float and served_t.shape == carries_t.shape)
        assert perceive._products_fixed(w, sx, venues)[0] is carries_t  # kept, not rebuilt
        if kernel.backend() == "compiled":
            assert perceive._compiled_fixed(w, sx, venues)[1][0] is carries_t


@pytest.mark.parametrize("name", SCENARIOS[:3])
def test_what_channels_decide_is_kept_only_while_it_holds(name):
    """_by_channels keeps its arrays (and the military lines' cover apart, by their
    effectiveness alone): after each of a sequence of changes to status, staff and
    effectiveness, political and military, what it gives is what a fresh computation gives."""
    m = _model(name)
    w, rng = m.world, np.random.default_rng(7)
    sx = copy.copy(m.structure)
    sx.fixed = dict(m.structure.fixed)
    fx = perceive._values_fixed(w, sx)
    st = copy.deepcopy(m.state)
    e = m.perception.effectiveness.copy()
    military = np.flatnonzero(~w.ch_political)
    for step in range(12):
        k = int(rng.integers(len(e)))
        if step % 3 == 0 and len(military):
            k = int(rng.choice(military))  # a military line's effectiveness: the cover changes
        e[k] = float(rng.choice([0.0, 0.3, 1.0]))
        st.staff[k] *= float(rng.choice([0.0, 0.5, 1.0]))
        st.status[k] = rng.choice([OPEN, SUSPENDED, CLOSED])
        got = perceive._by_channels(w, st, sx, fx, e)
        fresh = dict(m.structure.fixed)
        fresh.pop("by_channels", None), fresh.pop("uncovered", None)
        sx2 = copy.copy(sx)
        sx2.fixed = fresh
        want = perceive._by_channels(w, st, sx2, fx, e)
        for a, b in zip(got[1:], want[1:]):
            assert np.array_equal(a, b)
        reopen = np.minimum(np.maximum(st.staff, fx["reopen_staff"]) / w.ch_baseline, 1.0)
        e_open = np.where(st.status == OPEN, e, reopen * 1.25 / (reopen + 0.25))
        e_open[w.ch_event_only] = 0.5
        assert np.array_equal(got[1], e_open)  # channels.effectiveness of the reopened staff

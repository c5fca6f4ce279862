"""The AI policy's compiled cores (sim/phases/policy_compiled.py) against their numpy oracles.

The turn scores the AI's actions, evaluates the uses of force and draws the actions in compiled
code when the kernel's backend is ``"compiled"`` (issue 11: the turn made fast with one set of
rules). The numpy scorers of sim.policy, sim.phases.force.options and sim.policy.draw are the
oracles. Required: the same candidate rows in the same order (the Gumbel draw consumes one draw
per row, in row order) with identical numbers, the same force options, and the same draws,
on every scenario's states perturbed at random, random masks and the dynamics' switches.
"""

import copy
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import kernel, policy
from sim.actions import KIND_CODE
from sim.loader import load_scenario
from sim.model import GreatPowerModel
from sim.phases import decide, force, policy_compiled

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
FIELDS = ("actor", "kind", "a1", "a2", "value", "score", "terms")
SWITCHES = ("channels.consent", "staffing.reciprocity", "patrol.shared_adversary", "patrol.cooperation", "patrol.consent", "force.enabled")


@lru_cache(maxsize=None)
def _model(name: str, seed: int, turns: int) -> GreatPowerModel:
    """A scenario run ``turns`` turns (cached: callers copy what they change)."""
    m = GreatPowerModel(load_scenario(ROOT / "scenarios" / name), seed=seed)
    for _ in range(turns):
        if m.running:
            m.step()
    return m


def _view(name: str, seed: int, turns: int, rng: np.random.Generator) -> decide.PolicyView:
    """A view of a scenario's turn with its state and perception perturbed at random: tension,
    grievance, goodwill, alignment, posture, patrol memory, staff, channel status and values,
    the AI mask and the dynamics' switches (each on or off); values sometimes set to a few
    levels so that ties and boundaries (0, the thresholds) occur."""
    m = _model(name, seed, turns)
    w, n = m.world, m.world.n
    st_, per = copy.deepcopy(m.state), copy.deepcopy(m.perception)
    K = len(w.channel_ids)

    def some(shape, lo=0.0, hi=1.0):
        x = rng.uniform(lo, hi, shape)
        return np.where(rng.random(shape) < 0.2, rng.choice([lo, 0.0, 0.2, 0.3, hi], shape), x)

    if rng.random() < 0.8:
        st_.tension, st_.grievance, st_.goodwill, st_.patrolled = some((n, n)), some((n, n)), some((n, n)) * 0.1, some((n, n))
        st_.alignment = some((n, n), -1.0, 1.0)
        st_.posture = np.where(w.present, some(st_.posture.shape), 0.0)
        st_.staff = np.floor(w.ch_baseline * rng.uniform(0.0, 1.2, K))
        st_.status = rng.choice(np.array([0, 0, 0, 1, 2], np.int8), K)
        per.channel_value = some((n, K), -0.2, 0.5)
        per.channel_cost = some((n, K), 0.0, 0.3)
        per.exposure = some(per.exposure.shape)
    mask = rng.random(n) < 0.8
    dyn = dict(m.dyn)
    for key in SWITCHES:
        if rng.random() < 0.3:
            dyn[key] = 0.0
    ch = m.challenges()
    ch.misperception = 0.05 * rng.standard_normal((n, n))
    return decide.PolicyView(w, st_, per, m.structure, dyn, mask, ch)


def _assert_same_candidates(got: policy.Candidates, want: policy.Candidates) -> None:
    for f in FIELDS:
        a, b = getattr(got, f), getattr(want, f)
        assert a.dtype == b.dtype, f
        np.testing.assert_array_equal(a, b, err_msg=f)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SCENARIOS), st.integers(0, 1), st.sampled_from([0, 3]), st.integers(0, 2**32 - 1))
def test_candidates_compiled_equal_the_numpy_scorers(name, seed, turns, draw_seed):
    view = _view(name, seed, turns, np.random.default_rng(draw_seed))
    with kernel.using_backend("compiled"):
        assert policy.compiled()
        got = policy.candidates(view)
    want = policy.concat([b for fn in policy.SCORERS for b in fn(view)])  # the numpy scorers
    _assert_same_candidates(got, want)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SCENARIOS), st.integers(0, 1), st.sampled_from([0, 3]), st.integers(0, 2**32 - 1), st.booleans())
def test_force_options_compiled_equal_numpy(name, seed, turns, draw_seed, every):
    view = _view(name, seed, turns, np.random.default_rng(draw_seed))
    w, st_, ch = view.world, view.st, view.challenges
    bv = force.bargaining_value(w, st_, ch.score, w.m)
    args = (w, st_, view.sx.deciders, ch.forecast, view.per.salience_eff, bv, view.dyn, view.ai_mask, every, ch.misperception)
    with kernel.using_backend("compiled"):
        got = force.options(*args)
        kernel._FAILED.add(force.COMPILED)  # the numpy path around the same compiled force table
        try:
            want = force.options(*args)
        finally:
            kernel._FAILED.discard(force.COMPILED)
    with kernel.using_backend("numpy"):
        numpy = force.options(*args)
    for f in ("actor", "target", "theatre"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f))
        np.testing.assert_array_equal(getattr(got, f), getattr(numpy, f))
    for f in ("eu_force", "eu_bargain", "p", "gain", "loss", "cost", "p_true"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f), err_msg=f)
        np.testing.assert_allclose(getattr(got, f), getattr(numpy, f), rtol=0, atol=1e-12, err_msg=f)


@st.composite
def candidate_tables(draw):
    """Random candidates of up to 6 actors (some with none), kinds and objects from a few values,
    scores and Gumbel noise from a few levels so that keys tie (and some keys are -0.0, an
    infinity or not a number, which a sort puts last)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    N = draw(st.integers(0, 40))
    actor = rng.integers(0, 6, N)
    kinds = np.array([KIND_CODE[k] for k in ("pass", "set_posture", "close_channel", "suspend_channel", "expel", "restore_staff", "joint_patrol", "use_force")])
    kind = kinds[rng.integers(0, len(kinds), N)]
    a1 = rng.integers(0, 3, N)
    levels = np.array([-1.0, 0.0, 0.0, 0.5, 1.0, 2.0] + ([-0.0, np.inf, -np.inf, np.nan] if draw(st.booleans()) else []))
    score = np.where(rng.random(N) < 0.5, levels[rng.integers(0, len(levels), N)], rng.normal(size=N))
    gumbel = np.where(rng.random(N) < 0.5, levels[rng.integers(0, len(levels), N)], rng.gumbel(size=N))
    cand = policy.Candidates(actor.astype(np.int64), kind.astype(np.int64), a1.astype(np.int64), np.zeros(N, np.int64), np.zeros(N), score, np.zeros((N, 3)))
    return cand, gumbel, draw(st.integers(0, 4)), draw(st.sampled_from([0.05, 0.5, 1.0, 3.0]))


@settings(max_examples=300, deadline=None)
@given(candidate_tables())
def test_draw_compiled_equals_numpy(table):
    cand, gumbel, k, temperature = table
    rows, drawn, counts = policy_compiled.draw_core(cand.actor, cand.kind, cand.a1, cand.score, gumbel, k, temperature, KIND_CODE["pass"], decide.OBJECT_OF_KIND)
    with np.errstate(invalid="ignore"):  # an infinity plus its negative: a key that is nan
        want = policy.draw_from(cand, k, temperature, gumbel)
    assert counts.tolist() == [len(r) for r in want]
    assert drawn.tolist() == [int(r) for rr in want for r in rr]
    assert rows.tolist() == decide._dedup(want, cand)


def test_drawn_rows_consume_the_generator_alike():
    # the same candidates and generator state: the same rows and the same generator state after
    cand = policy.Candidates(
        np.array([0, 0, 0, 1, 1], np.int64),
        np.array([KIND_CODE[k] for k in ("pass", "set_posture", "set_posture", "pass", "expel")], np.int64),
        np.array([0, 1, 1, 0, 2], np.int64),
        np.zeros(5, np.int64),
        np.zeros(5),
        np.array([0.0, 3.0, 2.9, 0.0, 5.0]),
        np.zeros((5, 3)),
    )
    out = {}
    for name in kernel.BACKENDS:
        rng = np.random.default_rng(7)
        with kernel.using_backend(name):
            out[name] = (decide.drawn_rows(cand, 3, 0.01, rng).tolist(), rng.bit_generator.state)
    assert out["compiled"] == out["numpy"]
    # at a low temperature: actor 0 raises posture in theatre 1 once (the second draw on the same
    # theatre is dropped) and stops at its pass; actor 1 expels
    assert out["compiled"][0] == [1, 4]


@pytest.mark.parametrize("n", [*range(0, 40), 127, 128, 129, 130, 255, 256, 257, 1000])
def test_sum_in_numpy_order(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        a = rng.random(n) * 10.0 ** rng.uniform(-8, 8, n)
        assert policy_compiled._sum(a) == np.sum(a)
        assert policy_compiled._sum(a) == a.reshape(1, -1).sum(axis=1)[0]  # a row, as the scorers sum


def test_a_failing_compiled_cache_falls_back_to_the_numpy_scorers(monkeypatch):
    # a disk-cache failure of the compiled code never stops a run: a warning, then the numpy
    # scorers and draw, with the same candidates
    view = _view(SCENARIOS[0], 0, 0, np.random.default_rng(1))
    want = policy.concat([b for fn in policy.SCORERS for b in fn(view)])

    def broken(*args, **kwargs):
        raise OSError("cache folder vanished")

    monkeypatch.setattr(policy_compiled, "candidates", broken)
    monkeypatch.setattr(kernel, "_FAILED", set())
    with kernel.using_backend("compiled"), pytest.warns(RuntimeWarning, match="compiled policy failed"):
        got = policy.candidates(view)
    _assert_same_candidates(got, want)
    assert not policy.compiled()  # for the rest of the process


def test_a_compiled_module_that_fails_turns_to_numpy_every_phase_it_serves_and_no_other(monkeypatch):
    # one mechanism (sim.kernel.phase_failed), keyed by the compiled module: force's options
    # failing on policy_compiled's cache turns the policy to numpy too (the same module), with
    # force's own warning and the same options; perception and the update keep their compiled code
    from sim.phases import perceive, update

    view = _view(SCENARIOS[0], 0, 3, np.random.default_rng(2))
    w, st_, ch = view.world, view.st, view.challenges
    args = (w, st_, view.sx.deciders, ch.forecast, view.per.salience_eff, force.bargaining_value(w, st_, ch.score, w.m), view.dyn, view.ai_mask, True, ch.misperception)
    monkeypatch.setattr(kernel, "_FAILED", set())
    with kernel.using_backend("compiled"):
        want = force.options(*args)

    def broken(*args, **kwargs):
        raise OSError("cache folder vanished")

    monkeypatch.setattr(policy_compiled, "force_options", broken)
    with kernel.using_backend("compiled"):
        assert force._compiled() and policy.compiled() and perceive.compiled() and update.compiled() is not None
        with pytest.warns(RuntimeWarning, match=r"^compiled force options failed on its disk cache \(cache folder vanished\); using numpy$"):
            got = force.options(*args)
        assert not force._compiled() and not policy.compiled()
        assert perceive.compiled() and update.compiled() is not None
    for f in ("actor", "target", "theatre", "eu_force", "eu_bargain"):
        np.testing.assert_array_equal(getattr(got, f), getattr(want, f))
    assert len(want.actor) > 0


def test_a_scorer_added_to_the_registry_and_not_to_the_compiled_core_turns_it_off(monkeypatch):
    # the registry promises that a new action kind is one more entry in SCORERS: the compiled
    # core, which scores a fixed list, must then step aside rather than leave the new kind out
    view = _view(SCENARIOS[0], 0, 0, np.random.default_rng(1))

    def extra_candidates(ctx, mask=None):
        return policy.pass_candidates(ctx, mask)  # a stand-in kind: one more row per AI actor

    monkeypatch.setattr(policy, "SCORERS", policy.SCORERS + (extra_candidates,))
    with kernel.using_backend("compiled"):
        assert not policy.compiled()
        got = policy.candidates(view)
    want = policy.concat([b for fn in policy.SCORERS for b in fn(view)])
    _assert_same_candidates(got, want)
    assert len(got.actor) == len(want.actor) > 0

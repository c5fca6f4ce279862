"""Tests of the bargaining kernel (sim/kernel.py, docs/model.md 7.4).

Three kinds: small tables computed by hand (the arithmetic is in the comments), equality with
the plain-Python reference in tests/reference_kernel.py on random inputs, and invariants that
must hold for any input, degenerate ones included.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim import kernel
from sim.kernel import (
    OUTCOME_CAPITULATION,
    OUTCOME_COMPROMISE,
    OUTCOME_CONFLICT,
    OUTCOME_NONE,
    OUTCOME_STALEMATE,
    VOTE_CLIPPED,
    VOTE_RULES,
)

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests import reference_kernel as ref
except ImportError:  # pragma: no cover - depends on how pytest was started
    import reference_kernel as ref

RTOL = 1e-12
ATOL = 1e-12
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------------------------
# hand-checked tables

# Two actors, one issue: x = (0, 1), c = (3, 1), s = (1, 1).
TWO_X = np.array([[0.0, 1.0]])
TWO_C = np.array([3.0, 1.0])
TWO_S = np.array([[1.0, 1.0]])

# Three actors, one issue: x = (0, 0.5, 1), c = (1, 1, 1), s = (1, 1, 0.5).
THREE_X = np.array([[0.0, 0.5, 1.0]])
THREE_C = np.array([1.0, 1.0, 1.0])
THREE_S = np.array([[1.0, 1.0, 0.5]])


def test_win_probability_two_actors_by_hand():
    # 0 against 1: v_0 = 3 * 1 * (|0 - 1| - |0 - 0|) = 3, v_1 = 1 * 1 * (|1 - 1| - |1 - 0|) = -1;
    # P_01 = 3 / (3 + 1) = 0.75 and P_10 = 1 / 4 = 0.25.
    p = kernel.win_probability(TWO_X, TWO_C, TWO_S)
    assert p.shape == (1, 2, 2)
    assert p[0] == pytest.approx(np.array([[0.5, 0.75], [0.25, 0.5]]))


def test_win_probability_three_actors_by_hand():
    # w = c s = (1, 1, 0.5).
    # 0 vs 1: v = (1 (0.5 - 0), 1 (0 - 0.5), 0.5 (0.5 - 1)) = (0.5, -0.5, -0.25): P = 0.5/1.25 = 0.4
    # 0 vs 2: v = (1 (1 - 0), 1 (0.5 - 0.5), 0.5 (0 - 1)) = (1, 0, -0.5):         P = 1/1.5 = 2/3
    # 1 vs 2: v = (1 (1 - 0.5), 1 (0.5 - 0), 0.5 (0 - 0.5)) = (0.5, 0.5, -0.25):  P = 1/1.25 = 0.8
    p = kernel.win_probability(THREE_X, THREE_C, THREE_S)[0]
    expected = np.array([[0.5, 0.4, 2 / 3], [0.6, 0.5, 0.8], [1 / 3, 0.2, 0.5]])
    assert p == pytest.approx(expected)


def test_forecast_by_hand():
    # Two actors: weights (3, 1), total 4, half 2; sorted (0, 1), cumulative (3, 4) -> 0.
    # Three actors: weights (1, 1, 0.5), half 1.25; cumulative (1, 2, 2.5) -> 0.5.
    # Weights (1, 1) on (0.2, 0.8): cumulative (1, 2) reaches half (1) at 0.2, the lower median.
    # Weights (0, 0, 0): equal weights, so positions (0.9, 0.1, 0.5) give 0.5.
    assert kernel.forecast(TWO_X, TWO_C * TWO_S) == pytest.approx([0.0])
    assert kernel.forecast(THREE_X, THREE_C * THREE_S) == pytest.approx([0.5])
    x = np.array([[0.2, 0.8, 0.0], [0.9, 0.1, 0.5]])
    w = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert kernel.forecast(x, w) == pytest.approx([0.2, 0.5])


def test_forecast_ignores_the_order_of_tied_positions():
    # Positions (0.3, 0.3, 0.7) with weights (1, 2, 2): cumulative 3 >= 2.5 at 0.3 whichever 0.3
    # is counted first.
    x = np.array([[0.3, 0.3, 0.7], [0.3, 0.7, 0.3]])
    w = np.array([[1.0, 2.0, 2.0], [2.0, 2.0, 1.0]])
    assert kernel.forecast(x, w) == pytest.approx([0.3, 0.3])


def test_expected_utility_three_actors_risk_neutral_by_hand():
    # r = 1, q = t = 0.5, mu = 0.5: U_s = 2d, U_f = -2d, U_b = e, U_w = -e, U_sq = 0, so
    # EU = s_j 2d (2 P_ij - 1) + (1 - s_j) 2d  (the U_b and U_w terms cancel at t = 0.5).
    # EU_0(1): d = 0.5, s_1 = 1,   P = 0.4:  1 (2 0.4 - 1) = -0.2
    # EU_1(0): d = 0.5, s_0 = 1,   P = 0.6:  +0.2
    # EU_0(2): d = 1,   s_2 = 0.5, P = 2/3:  0.5 2 (1/3) + 0.5 2 = 4/3
    # EU_2(0): d = 1,   s_0 = 1,   P = 1/3:  2 (-1/3) = -2/3
    # EU_1(2): d = 0.5, s_2 = 0.5, P = 0.8:  0.5 (0.6) + 0.5 = 0.8
    # EU_2(1): d = 0.5, s_1 = 1,   P = 0.2:  -0.6
    eu = kernel.expected_utility(THREE_X, THREE_C, THREE_S, np.ones((1, 3)), np.array([0.5]))
    expected = np.array([[0.0, -0.2, 4 / 3], [0.2, 0.0, 0.8], [-2 / 3, -0.6, 0.0]])
    assert eu[0] == pytest.approx(expected)


def test_expected_utility_with_risk_exponent_by_hand():
    # EU_1(0) with r_1 = 2, mu = 0.5: d = 0.5, e = (0 + 0.5) = 0.5.
    # U_s = 2 - 4 (0.25)^2 = 1.75, U_f = 2 - 4 (0.75)^2 = -0.25, U_b = 2 - 4 (0.375)^2 = 1.4375,
    # U_w = 2 - 4 (0.625)^2 = 0.4375, U_sq = 2 - 4 (0.5)^2 = 1.
    # EU = 1 (0.6 1.75 + 0.4 (-0.25)) - (0.5 1 + 0.5 (0.5 1.4375 + 0.5 0.4375)) = 0.95 - 0.96875
    r = np.array([[1.0, 2.0, 1.0]])
    eu = kernel.expected_utility(THREE_X, THREE_C, THREE_S, r, np.array([0.5]))
    assert eu[0, 1, 0] == pytest.approx(-0.01875)


def test_risk_exponents_by_hand():
    # Three actors, EU table above: security_0 = EU_1(0) + EU_2(0) = 0.2 - 2/3 = -7/15,
    # security_1 = -0.2 - 0.6 = -12/15, security_2 = 4/3 + 0.8 = 32/15; max - min = 44/15.
    # R_0 = (-14 - 32 + 12) / 44 = -17/22, r_0 = (1 + 17/66) / (1 - 17/66) = 83/49;
    # R_1 = -1, r_1 = 2; R_2 = 1, r_2 = 0.5.
    r = kernel.risk_exponents(THREE_X, THREE_C, THREE_S, np.array([0.5]))
    assert r[0] == pytest.approx([83 / 49, 2.0, 0.5])
    # Two actors (mu = 0): EU_0(1) = 1 (0.75 2 + 0.25 (-2)) - 0.5 (0.5 1 + 0.5 (-1)) = 1,
    # EU_1(0) = 1 (0.25 2 + 0.75 (-2)) - 0.5 (0.5 2 + 0.5 (-2)) = -1 (e = 2 for actor 1).
    # security = (-1, 1): r = (2, 0.5).
    r = kernel.risk_exponents(TWO_X, TWO_C, TWO_S, np.array([0.0]))
    assert r[0] == pytest.approx([2.0, 0.5])


def test_bargaining_round_two_actors_by_hand():
    # mu = 0, r = (2, 0.5) (above).
    # EU_0(1), r = 2, d = 1, e = 1: U_s = 2, U_f = -2, U_b = 2 - 4 (0.25)^2 = 1.75,
    # U_w = 2 - 4 (0.75)^2 = -0.25, U_sq = 1: EU = (1.5 - 0.5) - (0.5 + 0.5 0.75) = 0.125.
    # EU_1(0), r = 0.5, d = 1, e = 2: U_s = 2, U_f = -2, U_b = 2, U_w = -2, U_sq = 2 - 2 sqrt(2):
    # EU = (0.5 - 1.5) - (0.5 (2 - 2 sqrt 2) + 0) = -2 + sqrt 2 = -0.586.
    # Only 0 challenges; 1 answers with |EU_1(0)| = 0.586 >= 0.125: it capitulates, 1 moves to 0.
    out = kernel.bargaining_round(TWO_X, TWO_C, TWO_S, np.random.default_rng(0))
    assert out["forecast"] == pytest.approx([0.0])
    assert out["risk"][0] == pytest.approx([2.0, 0.5])
    assert out["eu"][0, 0, 1] == pytest.approx(0.125)
    assert out["eu"][0, 1, 0] == pytest.approx(math.sqrt(2) - 2)
    assert out["challenger"].tolist() == [[-1, 0]]
    assert out["outcome"].tolist() == [[OUTCOME_NONE, OUTCOME_CAPITULATION]]
    assert out["fraction"].tolist() == [[0.0, 1.0]]
    assert out["x"].tolist() == [[0.0, 0.0]]


def test_resolve_three_actors_by_hand():
    # The risk-neutral EU table above. Offers: 1 -> 0 (0.2), 0 -> 2 (4/3), 1 -> 2 (0.8).
    # Target 0: only 1 offers; EU_0(1) = -0.2, |-0.2| >= 0.2: capitulation, 0 moves to 0.5.
    # Target 1: nobody offers (EU_0(1), EU_2(1) < 0): stays at 0.5.
    # Target 2: best offer 0 (4/3 > 0.8); EU_2(0) = -2/3, |-2/3| < 4/3: compromise of
    # (2/3) / (4/3) = 0.5, times the channel's effectiveness 0.5 = 0.25: 1 + 0.25 (0 - 1) = 0.75.
    eu = np.array([[[0.0, -0.2, 4 / 3], [0.2, 0.0, 0.8], [-2 / 3, -0.6, 0.0]]])
    effectiveness = np.ones((1, 3, 3))
    effectiveness[0, 0, 2] = 0.5
    new_x, challenger, outcome, fraction = kernel.resolve(
        THREE_X, eu, eu > 0, effectiveness, np.zeros((1, 3, 3))
    )
    assert challenger.tolist() == [[1, -1, 0]]
    assert outcome.tolist() == [[OUTCOME_CAPITULATION, OUTCOME_NONE, OUTCOME_COMPROMISE]]
    assert fraction[0] == pytest.approx([1.0, 0.0, 0.25])
    assert new_x[0] == pytest.approx([0.5, 0.5, 0.75])


@pytest.mark.parametrize(
    ("eu_challenger", "eu_target", "outcome", "fraction"),
    [
        (0.0, 1.0, OUTCOME_NONE, 0.0),
        (-1.0, -2.0, OUTCOME_NONE, 0.0),
        (1.0, 0.5, OUTCOME_CONFLICT, 1.0),
        (1.0, 1.0, OUTCOME_STALEMATE, 0.0),
        (1.0, 2.0, OUTCOME_STALEMATE, 0.0),
        (1.0, 0.0, OUTCOME_COMPROMISE, 0.0),
        (1.0, -0.25, OUTCOME_COMPROMISE, 0.25),
        (1.0, -1.0, OUTCOME_CAPITULATION, 1.0),
        (1.0, -3.0, OUTCOME_CAPITULATION, 1.0),
    ],
)
def test_respond_table(eu_challenger, eu_target, outcome, fraction):
    got_outcome, got_fraction = kernel.respond(np.array([eu_challenger]), np.array([eu_target]))
    assert got_outcome.dtype == np.int8
    assert got_outcome.tolist() == [outcome]
    assert got_fraction.tolist() == [fraction]
    assert ref.respond(eu_challenger, eu_target) == (outcome, fraction)


def test_respond_keeps_shape_including_scalars():
    outcome, fraction = kernel.respond(0.5, -0.25)
    assert outcome.shape == () and int(outcome) == OUTCOME_COMPROMISE and float(fraction) == 0.5
    outcome, fraction = kernel.respond(np.ones((2, 3)), np.full((2, 3), -2.0))
    assert outcome.shape == fraction.shape == (2, 3)
    assert (outcome == OUTCOME_CAPITULATION).all()


def test_effectiveness_scales_only_the_compromise_step():
    # Target 1 capitulates to 0 and target 2 compromises half-way to 0; with effectiveness 0
    # the capitulation still moves fully and the compromise not at all.
    x = np.array([[0.0, 0.4, 1.0]])
    eu = np.zeros((1, 3, 3))
    eu[0, 0, 1], eu[0, 1, 0] = 0.5, -0.7  # capitulation
    eu[0, 0, 2], eu[0, 2, 0] = 0.5, -0.25  # compromise, fraction 0.5
    new_x, _, outcome, fraction = kernel.resolve(
        x, eu, eu > 0, np.zeros((1, 3, 3)), np.zeros((1, 3, 3))
    )
    assert outcome.tolist() == [[OUTCOME_NONE, OUTCOME_CAPITULATION, OUTCOME_COMPROMISE]]
    assert fraction.tolist() == [[0.0, 1.0, 0.0]]
    assert new_x.tolist() == [[0.0, 0.0, 1.0]]


def test_only_marked_offers_with_positive_eu_count():
    x = np.array([[0.0, 1.0]])
    eu = np.array([[[0.0, 0.5], [-0.9, 0.0]]])
    offers = np.zeros((1, 2, 2), dtype=bool)
    _, challenger, _, _ = kernel.resolve(x, eu, offers, np.ones_like(eu), np.zeros_like(eu))
    assert challenger.tolist() == [[-1, -1]]
    offers[0, 1, 0] = True  # marked, but EU_1(0) < 0: still no challenge
    _, challenger, _, _ = kernel.resolve(x, eu, offers, np.ones_like(eu), np.zeros_like(eu))
    assert challenger.tolist() == [[-1, -1]]


# --------------------------------------------------------------------------------------------
# ties: by nearest position, then by the caller's draws, never by actor order


def _tied_offers():
    # Challengers 0 and 1 sit together at 0 and offer target 2 (at 1) the same EU 0.5; the
    # target compromises (EU_2(i) = -0.1), so it moves 0.2 of the way to the chosen one.
    x = np.array([[0.0, 0.0, 1.0]])
    eu = np.zeros((1, 3, 3))
    eu[0, 0, 2] = eu[0, 1, 2] = 0.5
    eu[0, 2, 0] = eu[0, 2, 1] = -0.1
    return x, eu


@pytest.mark.parametrize(("draw_0", "draw_1", "winner"), [(0.3, 0.7, 1), (0.7, 0.3, 0)])
def test_equal_offers_are_split_by_the_tiebreak_draw(draw_0, draw_1, winner):
    x, eu = _tied_offers()
    tiebreak = np.zeros((1, 3, 3))
    tiebreak[0, 0, 2], tiebreak[0, 1, 2] = draw_0, draw_1
    _, challenger, _, _ = kernel.resolve(x, eu, eu > 0, np.ones_like(eu), tiebreak)
    assert challenger[0, 2] == winner
    _, ref_challenger, _, _ = ref.resolve(
        x.tolist(), eu.tolist(), (eu > 0).tolist(), np.ones_like(eu).tolist(), tiebreak.tolist()
    )
    assert ref_challenger[0][2] == winner


def test_equal_offers_go_to_the_nearest_challenger_before_the_draw():
    # Same EU from 0 (at 0.0) and 1 (at 0.6) to 2 (at 1.0): 1 is nearer and wins although the
    # draw favours 0.
    x = np.array([[0.0, 0.6, 1.0]])
    _, eu = _tied_offers()
    tiebreak = np.zeros((1, 3, 3))
    tiebreak[0, 0, 2] = 0.9
    _, challenger, _, _ = kernel.resolve(x, eu, eu > 0, np.ones_like(eu), tiebreak)
    assert challenger[0, 2] == 1


class ScriptedGenerator:
    """Stands in for numpy.random.Generator and hands out prepared draws."""

    def __init__(self, draws):
        self.draws = draws

    def random(self, size):
        assert tuple(size) == self.draws.shape
        return self.draws


@pytest.mark.parametrize("winner", [0, 1])
def test_round_breaks_ties_between_identical_actors_by_the_generator(winner):
    # Actors 0 and 1 are identical (same position, capability and salience), so both make the
    # same offer to 2; whichever draws the higher number wins, whatever its index.
    x = np.array([[0.1, 0.1, 0.9]])
    c = np.array([2.0, 2.0, 1.0])
    s = np.array([[1.0, 1.0, 1.0]])
    draws = np.zeros((1, 3, 3))
    draws[0, winner, 2] = 0.9
    draws[0, 1 - winner, 2] = 0.1
    out = kernel.bargaining_round(x, c, s, ScriptedGenerator(draws))
    assert out["eu"][0, 0, 2] == out["eu"][0, 1, 2] > 0
    assert out["challenger"][0, 2] == winner


# --------------------------------------------------------------------------------------------
# equality with the plain-Python reference


@st.composite
def issues(draw, max_actors=8, max_issues=4):
    """Positions, capabilities and saliences with zeros, ones and duplicated values."""
    n = draw(st.integers(1, max_actors))
    m = draw(st.integers(1, max_issues))
    # No subnormal positions: two positions 5e-324 apart make the two vote rules' sums underflow
    # differently (hypothesis found x = [[5e-324, 0]]: clipped 1, positive 0.5), a difference no
    # scenario can hold (positions are read to a few decimals and moved in steps of 1e-3 or more).
    position = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False))
    capability = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-3, 1e3))
    salience = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(1e-3, 1.0))
    x = draw(hnp.arrays(float, (m, n), elements=position))
    c_shape = draw(st.sampled_from([(n,), (m, n)]))
    c = draw(hnp.arrays(float, c_shape, elements=capability))
    s = draw(hnp.arrays(float, (m, n), elements=salience))
    return x, c, s


def _weights(c, s):
    return np.broadcast_to(c, s.shape) * s


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues())
def test_win_probability_equals_reference(vote_rule, inputs):
    x, c, s = inputs
    assert close(
        kernel.win_probability(x, c, s, vote_rule=vote_rule),
        ref.win_probability(x.tolist(), c.tolist(), s.tolist(), vote_rule=vote_rule),
    )


@FAST
@given(issues())
def test_forecast_equals_reference(inputs):
    x, c, s = inputs
    w = _weights(c, s)
    assert kernel.forecast(x, w).tolist() == ref.forecast(x.tolist(), w.tolist())


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(
    issues(),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.sampled_from([1.0, 0.5, 2.0]),
    st.data(),
)
def test_expected_utility_equals_reference(vote_rule, inputs, q, t, scale_range, data):
    x, c, s = inputs
    m, n = x.shape
    r = data.draw(hnp.arrays(float, (m, n), elements=st.floats(0.5, 2.0)))
    mu = kernel.forecast(x, _weights(c, s))
    got = kernel.expected_utility(x, c, s, r, mu, q, t, scale_range, vote_rule=vote_rule)
    want = ref.expected_utility(
        x.tolist(), c.tolist(), s.tolist(), r.tolist(), mu.tolist(), q, t, scale_range,
        vote_rule=vote_rule,
    )
    assert close(got, want)


def _security_spread(x, c, s, mu, q=0.5, t=0.5, vote_rule=kernel.VOTE_POSITIVE):
    """Relative spread of the securities of each issue, from the reference (r = 1)."""
    ones = np.ones_like(x).tolist()
    eu = np.array(
        ref.expected_utility(
            x.tolist(), c.tolist(), s.tolist(), ones, mu.tolist(), q, t, vote_rule=vote_rule
        )
    )
    security = eu.sum(axis=1)
    spread = security.max(axis=1) - security.min(axis=1)
    return spread / np.maximum(1.0, np.abs(security).max(axis=1))


def _risk_well_conditioned(spread):
    # R = (2 security - max - min) / (max - min) magnifies rounding (~1e-15) by 1 / spread, and
    # spreads near SECURITY_TIE_TOLERANCE are ties for one implementation and not the other.
    # Away from both, the two implementations agree to 1e-9.
    return bool(((spread <= 1e-13) | (spread >= 1e-5)).all())


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_risk_exponents_equal_reference(vote_rule, inputs, q, t):
    x, c, s = inputs
    mu = kernel.forecast(x, _weights(c, s))
    assume(_risk_well_conditioned(_security_spread(x, c, s, mu, q, t, vote_rule)))
    got = kernel.risk_exponents(x, c, s, mu, q, t, vote_rule=vote_rule)
    want = ref.risk_exponents(
        x.tolist(), c.tolist(), s.tolist(), mu.tolist(), q, t, vote_rule=vote_rule
    )
    assert np.allclose(got, want, rtol=RTOL, atol=1e-9)


@FAST
@given(
    hnp.arrays(float, st.integers(1, 20), elements=st.floats(-3.0, 3.0)),
    st.data(),
)
def test_respond_equals_reference(eu_challenger, data):
    eu_target = data.draw(
        hnp.arrays(float, eu_challenger.shape, elements=st.floats(-3.0, 3.0))
        | st.just(-eu_challenger)
        | st.just(eu_challenger.copy())
    )
    outcome, fraction = kernel.respond(eu_challenger, eu_target)
    want = [
        ref.respond(a, b) for a, b in zip(eu_challenger.tolist(), eu_target.tolist(), strict=True)
    ]
    assert outcome.tolist() == [o for o, _ in want]
    assert close(fraction, [f for _, f in want])


@st.composite
def offer_tables(draw):
    """Positions with an EU table, offers, effectiveness and tiebreak draws, ties included."""
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 4))
    x = draw(
        hnp.arrays(float, (m, n), elements=st.sampled_from([0.0, 0.3, 0.5, 1.0]) | st.floats(0, 1))
    )
    eu = draw(
        hnp.arrays(float, (m, n, n), elements=st.sampled_from([-0.5, 0.0, 0.5]) | st.floats(-2, 2))
    )
    offers = draw(hnp.arrays(bool, (m, n, n)))
    effectiveness = draw(
        hnp.arrays(float, (m, n, n), elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
    )
    tiebreak = draw(hnp.arrays(float, (m, n, n), elements=st.floats(0.0, 1.0, exclude_max=True)))
    return x, eu, offers, effectiveness, tiebreak


@FAST
@given(offer_tables())
def test_resolve_equals_reference(tables):
    x, eu, offers, effectiveness, tiebreak = tables
    new_x, challenger, outcome, fraction = kernel.resolve(*tables)
    want = ref.resolve(*(a.tolist() for a in tables))
    assert challenger.tolist() == want[1]
    assert outcome.tolist() == want[2]
    assert close(fraction, want[3])
    assert close(new_x, want[0])


def _near(a, b, low, high):
    """True where a and b differ by more than low and less than high."""
    gap = np.abs(np.asarray(a) - np.asarray(b))
    return (gap > low) & (gap < high)


def _decisions_well_separated(eu):
    """False if a discrete choice of the round hangs on differences of rounding size.

    The checks: an expected utility near the EU_TOLERANCE cut to zero; two different offers
    to the same target within 1e-9 of each other (the best one is then chosen by rounding);
    a target's stake within rounding distance of the EU_TOLERANCE margin of respond.
    """
    if _near(np.abs(eu), kernel.EU_TOLERANCE, 0.0, 1e-13).any():
        return False
    ranked = np.sort(np.where(eu > 0.0, eu, 0.0), axis=1)  # offers to each target, ascending
    if eu.shape[1] > 1 and _near(ranked[:, -1, :], ranked[:, -2, :], 0.0, 1e-9).any():
        return False
    stake_gap = np.abs(np.abs(eu.transpose(0, 2, 1)) - eu)[eu > 0.0]
    return not _near(stake_gap, kernel.EU_TOLERANCE, 0.0, 1e-13).any()


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues(), st.integers(0, 2**32 - 1))
def test_bargaining_round_equals_reference(vote_rule, inputs, seed):
    x, c, s = inputs
    got = kernel.bargaining_round(x, c, s, np.random.default_rng(seed), vote_rule=vote_rule)
    want = ref.bargaining_round(
        x.tolist(), c.tolist(), s.tolist(), np.random.default_rng(seed), vote_rule=vote_rule
    )
    assume(
        _risk_well_conditioned(
            _security_spread(x, c, s, got["forecast"], vote_rule=vote_rule)
        )
    )
    assume(_decisions_well_separated(got["eu"]))
    assume(_decisions_well_separated(np.array(want["eu"])))
    assert set(got) == set(want)
    assert got["forecast"].tolist() == want["forecast"]
    for key in ("risk", "eu", "fraction", "x"):
        assert np.allclose(got[key], want[key], rtol=RTOL, atol=1e-9), key
    assert got["challenger"].tolist() == want["challenger"]
    assert got["outcome"].tolist() == want["outcome"]


def test_round_without_capability_moves_nobody():
    # With no capability every P is 0.5 and, at r = 1 and t = 0.5, every EU is 0 on paper; the
    # EU_TOLERANCE cut keeps rounding noise from making challenges.
    x = np.array([[0.0, 0.74775777, 0.3], [0.1, 0.2, 0.9]])
    out = kernel.bargaining_round(x, np.zeros(3), np.ones((2, 3)), np.random.default_rng(0))
    assert (out["eu"] == 0.0).all()
    assert (out["outcome"] == OUTCOME_NONE).all()
    assert np.array_equal(out["x"], x)


@pytest.mark.parametrize("wobble", [1 - 1e-15, 1.0, 1 + 1e-15])
def test_stakes_equal_up_to_rounding_are_a_standoff(wobble):
    # Both expect to win about equally: a stalemate, whichever way rounding went; a target
    # that expects to lose about as much as the challenger gains capitulates.
    outcome, fraction = kernel.respond(
        np.array([0.3, 0.3]), np.array([0.3 * wobble, -0.3 * wobble])
    )
    assert outcome.tolist() == [OUTCOME_STALEMATE, OUTCOME_CAPITULATION]
    assert fraction.tolist() == [0.0, 1.0]
    assert ref.respond(0.3, 0.3 * wobble) == (OUTCOME_STALEMATE, 0.0)
    assert ref.respond(0.3, -0.3 * wobble) == (OUTCOME_CAPITULATION, 1.0)


# --------------------------------------------------------------------------------------------
# invariants


@FAST
@given(issues())
def test_win_probability_is_a_probability_and_complementary(inputs):
    x, c, s = inputs
    p = kernel.win_probability(x, c, s)
    assert ((p >= 0.0) & (p <= 1.0)).all()
    assert np.allclose(p + p.transpose(0, 2, 1), 1.0, rtol=0.0, atol=1e-12)
    assert (np.diagonal(p, axis1=1, axis2=2) == 0.5).all()


@FAST
@given(issues())
def test_clipped_rule_is_the_clipped_margin_of_the_positive_rule(inputs):
    # P_clipped = max(0, net) / total = max(0, 2 P_positive - 1): only the side that wins the
    # net vote has a positive probability, the two never sum past 1, and the diagonal is 0.
    x, c, s = inputs
    p = kernel.win_probability(x, c, s)
    clipped = kernel.win_probability(x, c, s, vote_rule=VOTE_CLIPPED)
    assert ((clipped >= 0.0) & (clipped <= 1.0)).all()
    assert np.allclose(clipped, np.maximum(0.0, 2.0 * p - 1.0), rtol=0.0, atol=1e-12)
    assert (np.minimum(clipped, clipped.transpose(0, 2, 1)) == 0.0).all()
    assert (np.diagonal(clipped, axis1=1, axis2=2) == 0.0).all()


@FAST
@given(issues(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_risk_exponents_lie_in_their_range(inputs, q, t):
    x, c, s = inputs
    r = kernel.risk_exponents(x, c, s, kernel.forecast(x, _weights(c, s)), q, t)
    assert ((r >= 0.5) & (r <= 2.0)).all()


@FAST
@given(issues(), st.data())
def test_expected_utility_is_zero_between_equal_positions(inputs, data):
    x, c, s = inputs
    m, n = x.shape
    r = data.draw(hnp.arrays(float, (m, n), elements=st.floats(0.5, 2.0)))
    eu = kernel.expected_utility(x, c, s, r, kernel.forecast(x, _weights(c, s)))
    same = x[:, :, None] == x[:, None, :]
    assert (eu[same] == 0.0).all()


@FAST
@given(issues(), st.integers(0, 2**32 - 1))
def test_round_keeps_positions_within_the_old_range(inputs, seed):
    x, c, s = inputs
    out = kernel.bargaining_round(x, c, s, np.random.default_rng(seed))
    low = x.min(axis=1, keepdims=True)
    high = x.max(axis=1, keepdims=True)
    assert ((out["x"] >= low) & (out["x"] <= high)).all()
    moved = out["challenger"] >= 0
    assert (out["fraction"][~moved] == 0.0).all()
    assert (out["outcome"][~moved] == OUTCOME_NONE).all()


@FAST
@given(offer_tables())
def test_resolve_keeps_positions_between_target_and_challenger(tables):
    x, eu, offers, effectiveness, tiebreak = tables
    new_x, challenger, _, fraction = kernel.resolve(*tables)
    m, n = x.shape
    x_challenger = np.where(challenger >= 0, x[np.arange(m)[:, None], challenger], x)
    assert (new_x >= np.minimum(x, x_challenger)).all()
    assert (new_x <= np.maximum(x, x_challenger)).all()
    assert ((fraction >= 0.0) & (fraction <= 1.0)).all()


@st.composite
def degenerate_issues(draw):
    """Inputs at the edges: equal positions, zero or huge capabilities, zero saliences, n = 1."""
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["equal positions", "no capability", "no salience", "any"]))
    x = draw(hnp.arrays(float, (m, n), elements=st.floats(0.0, 1.0)))
    c = draw(hnp.arrays(float, (n,), elements=st.floats(0.0, 1e300)))
    s = draw(hnp.arrays(float, (m, n), elements=st.floats(0.0, 1.0)))
    if kind == "equal positions":
        x[:] = draw(st.floats(0.0, 1.0))
    elif kind == "no capability":
        c[:] = 0.0
    elif kind == "no salience":
        s[:] = 0.0
    return x, c, s


@FAST
@given(degenerate_issues(), st.integers(0, 2**32 - 1))
def test_degenerate_inputs_never_give_nan_or_inf(inputs, seed):
    x, c, s = inputs
    out = kernel.bargaining_round(x, c, s, np.random.default_rng(seed))
    for key, value in out.items():
        assert np.isfinite(value).all(), key
    assert ((out["risk"] >= 0.5) & (out["risk"] <= 2.0)).all()


@pytest.mark.parametrize(
    ("x", "c", "s", "undecided", "still"),
    [
        # all positions equal: no vote tells anyone apart, no EU, nobody moves
        ([[0.4, 0.4, 0.4]], [1.0, 2.0, 3.0], [[1.0, 1.0, 1.0]], True, True),
        # one actor without capability: an ordinary round
        ([[0.0, 0.5, 1.0]], [0.0, 1.0, 1.0], [[1.0, 1.0, 1.0]], False, False),
        # nobody has capability: P = 0.5 everywhere, and at s = 1, t = 0.5 every EU is 0
        ([[0.0, 0.5, 1.0]], [0.0, 0.0, 0.0], [[1.0, 1.0, 1.0]], True, True),
        # all saliences zero: no votes, but targets that do not care let challengers win
        ([[0.0, 0.5, 1.0]], [1.0, 1.0, 1.0], [[0.0, 0.0, 0.0]], True, False),
        # one actor, two issues
        ([[0.3], [0.9]], [1.0], [[1.0], [0.5]], True, True),
    ],
)
def test_named_degenerate_cases(x, c, s, undecided, still):
    x, c, s = np.array(x), np.array(c), np.array(s)
    out = kernel.bargaining_round(x, c, s, np.random.default_rng(1))
    for key, value in out.items():
        assert np.isfinite(value).all(), key
    p = kernel.win_probability(x, c, s)
    assert np.isfinite(p).all()
    if undecided:
        assert (p == 0.5).all()
    if still:
        assert (out["eu"] == 0.0).all()
        assert (out["risk"] == 1.0).all()
        assert (out["outcome"] == OUTCOME_NONE).all()
        assert np.array_equal(out["x"], x)
    else:
        assert (out["outcome"] != OUTCOME_NONE).any()


# --------------------------------------------------------------------------------------------
# reproducibility and shapes


def test_round_is_reproducible_and_leaves_global_random_state_alone():
    rng = np.random.default_rng(3)
    x = rng.random((3, 6))
    c = rng.random(6)
    s = rng.random((3, 6))
    state = np.random.get_state()[1].copy()
    first = kernel.bargaining_round(x, c, s, np.random.default_rng(42))
    second = kernel.bargaining_round(x, c, s, np.random.default_rng(42))
    for key in first:
        assert np.array_equal(first[key], second[key]), key
    assert np.array_equal(np.random.get_state()[1], state)


def test_capability_per_actor_equals_capability_per_issue():
    rng = np.random.default_rng(5)
    x = rng.random((3, 5))
    c = rng.random(5)
    s = rng.random((3, 5))
    assert np.array_equal(
        kernel.win_probability(x, c, s), kernel.win_probability(x, np.tile(c, (3, 1)), s)
    )


def test_scale_of_capability_does_not_matter():
    rng = np.random.default_rng(6)
    x = rng.random((2, 5))
    c = rng.random(5)
    s = rng.random((2, 5))
    assert np.allclose(
        kernel.win_probability(x, c, s), kernel.win_probability(x, 1e9 * c, s), atol=1e-14
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: kernel.win_probability(np.zeros(3), np.ones(3), np.ones(3)), "positions x"),
        (lambda: kernel.win_probability(np.zeros((1, 0)), np.ones(0), np.ones((1, 0))), "n >= 1"),
        (
            lambda: kernel.win_probability(np.zeros((2, 3)), np.ones(4), np.ones((2, 3))),
            "capability c",
        ),
        (
            lambda: kernel.win_probability(np.zeros((2, 3)), np.ones(3), np.ones((3, 2))),
            "salience s",
        ),
        (lambda: kernel.forecast(np.zeros((2, 3)), np.ones((2, 2))), "weights w"),
        (
            lambda: kernel.expected_utility(
                np.zeros((2, 3)), np.ones(3), np.ones((2, 3)), np.ones((2, 3)), np.zeros(3)
            ),
            "forecast mu",
        ),
        (
            lambda: kernel.expected_utility(
                np.zeros((2, 3)), np.ones(3), np.ones((2, 3)), np.ones(3), np.zeros(2)
            ),
            "risk exponents r",
        ),
        (
            lambda: kernel.risk_exponents(
                np.zeros((2, 3)), np.ones(3), np.ones((2, 3)), np.zeros(2), scale_range=0.0
            ),
            "scale_range",
        ),
        (lambda: kernel.respond(np.ones(2), np.ones(3)), "same shape"),
        (
            lambda: kernel.resolve(
                np.zeros((1, 2)),
                np.zeros((1, 2, 2)),
                np.ones((1, 2, 3), bool),
                np.ones((1, 2, 2)),
                np.zeros((1, 2, 2)),
            ),
            "offers",
        ),
    ],
)
def test_mismatched_shapes_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()

"""Docking the kernel on the published EU-emissions example (docs/kernel_docking.md).

Bueno de Mesquita's EC emissions-standard case (1994), as reproduced by Scholz, Calbert and Smith
(2011), ships as sim/data/eu_emissions_1994.yaml. These tests pin, for both vote rules of the
literature (``positive`` and ``clipped``, sim.kernel.VOTE_RULES): the round-0 weighted median,
every risk exponent, the round-1 challenges and outcomes, and the positions by round. The
figures are checked three ways: by hand where the arithmetic is short (in the comments), against
the plain-Python reference (tests/reference_kernel.py) over ten rounds, and, for the clipped rule,
against the figures printed in the notebooks of a public replication (Masad 2014,
dmasad/BDM_DecisionModel_Replication: Comparison with Original.ipynb, Testing.ipynb).
"""

import numpy as np
import pytest
from ruamel.yaml import YAML

from sim import kernel
from sim.kernel import (
    OUTCOME_CAPITULATION,
    OUTCOME_COMPROMISE,
    OUTCOME_CONFLICT,
    OUTCOME_STALEMATE,
    VOTE_CLIPPED,
    VOTE_POSITIVE,
)

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests import reference_kernel as ref
    from tests.eu_emissions import EXAMPLE, Example, load_example, run_rounds, weighted_mean
except ImportError:  # pragma: no cover - depends on how pytest was started
    import reference_kernel as ref
    from eu_emissions import EXAMPLE, Example, load_example, run_rounds, weighted_mean

NL, BE, LU, DE, FR, IT, UK, IE, DK, GR = range(10)
TOL = 1e-9


@pytest.fixture(scope="module")
def example() -> Example:
    return load_example()


def reference_rounds(example, rounds, vote_rule, q=0.5, t=0.5, seed=0):
    def round_function(x, c, s, rng, q, t, scale_range, vote_rule):
        out = ref.bargaining_round(
            np.asarray(x).tolist(), c.tolist(), s.tolist(), rng, q, t, scale_range,
            vote_rule=vote_rule,
        )
        return {key: np.asarray(value) for key, value in out.items()}

    return run_rounds(example, rounds, vote_rule, q, t, seed, round_function=round_function)


# --------------------------------------------------------------------------------------------
# the data


def test_example_holds_the_published_table(example):
    assert example.names == (
        "Netherlands", "Belgium", "Luxembourg", "Germany", "France",
        "Italy", "UK", "Ireland", "Denmark", "Greece",
    )
    assert example.c.tolist() == [0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08]
    assert example.x[0].tolist() == [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
    assert example.s[0] == pytest.approx([0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7])
    assert example.scale_range == 6.0
    data = YAML(typ="safe", pure=True).load(EXAMPLE.read_text(encoding="utf-8"))
    assert "Scholz" in data["source"] and "Bueno de Mesquita" in data["source"]
    assert "Netherlands" in data["source_note"] and "Belgium" in data["source_note"]


# --------------------------------------------------------------------------------------------
# round 0 by hand


def test_round0_weighted_median_is_7(example):
    # Weights c s: NL .064, BE .032, LU .006, DE .128, FR .096, IT .096, UK .144, IE .005,
    # DK .05, GR .056; total .677, half .3385. Cumulated in position order: at 4 (NL, LU, DE,
    # DK) .248; at 7 (BE, IE, GR) .341 >= .3385, so the median is 7. (The weighted mean, which
    # the replications also print, is 5.003 / .677 = 7.3900.)
    assert kernel.forecast(example.x, example.weights)[0] == 7.0
    assert weighted_mean(example, example.x) == pytest.approx(7.38995568685, abs=1e-10)


def test_win_probabilities_by_hand(example):
    # France (10) against Germany (4): every state at 4 votes -6 w, at 7 0, at 10 +6 w, with
    # the weight at 4 .248 and at 10 .336. Positive rule: 6 (.336) / 6 (.336 + .248) = .5753;
    # clipped rule: 6 (.336 - .248) / 6 (.584) = .1507, and Germany gets 0 against France.
    # Belgium (7) against France (10): the states at 4 and 7 vote +3 w (.341 in all), those at
    # 10 vote -3 w (.336). Positive: .341 / .677 = .5037; clipped: .005 / .677 = .0074.
    p = kernel.win_probability(example.x, example.c, example.s, vote_rule=VOTE_POSITIVE)[0]
    clipped = kernel.win_probability(example.x, example.c, example.s, vote_rule=VOTE_CLIPPED)[0]
    assert p[FR, DE] == pytest.approx(0.336 / 0.584)
    assert p[DE, FR] == pytest.approx(0.248 / 0.584)
    assert clipped[FR, DE] == pytest.approx(0.088 / 0.584)
    assert clipped[DE, FR] == 0.0
    assert p[BE, FR] == pytest.approx(0.341 / 0.677)
    assert clipped[BE, FR] == pytest.approx(0.005 / 0.677)


def test_risk_neutral_expected_utility_by_hand(example):
    # r = 1, t = 0.5: EU_i(j) = 2 d (1 - 2 s_j + 2 s_j P_ij). France against Germany: d = 1,
    # s_DE = .8: positive 2 (1 - 1.6 + 1.6 .5753) = .6411; clipped 2 (-.6 + 1.6 .1507) = -.7178.
    args = (example.x, example.c, example.s, np.ones((1, 10)), np.array([7.0]), 0.5, 0.5, 6.0)
    positive = kernel.expected_utility(*args, vote_rule=VOTE_POSITIVE)[0]
    clipped = kernel.expected_utility(*args, vote_rule=VOTE_CLIPPED)[0]
    assert positive[FR, DE] == pytest.approx(2 * (-0.6 + 1.6 * 0.336 / 0.584))
    assert clipped[FR, DE] == pytest.approx(2 * (-0.6 + 1.6 * 0.088 / 0.584))


# --------------------------------------------------------------------------------------------
# risk exponents and round 1

RISK = {
    VOTE_POSITIVE: [
        1.117181483635, 1.004406866845, 0.5, 1.117181483635, 1.017581619104,
        1.017581619104, 2.0, 0.648263917584, 1.453711559322, 1.556874778579,
    ],
    # Printed by Masad's replication (Comparison with Original.ipynb, Pass 0) to 12 digits.
    VOTE_CLIPPED: [
        1.1271980463, 0.780917839132, 0.5, 1.1271980463, 1.07789229892,
        1.07789229892, 2.0, 0.524782172174, 1.47169654498, 1.14047944802,
    ],
}


@pytest.mark.parametrize("vote_rule", [VOTE_POSITIVE, VOTE_CLIPPED])
@pytest.mark.parametrize("q", [0.5, 1.0])
def test_risk_exponents(example, vote_rule, q):
    # With every r = 1 and t = q (0.5 or 1), Q drops out of the securities: the same r for both.
    mu = kernel.forecast(example.x, example.weights)
    r = kernel.risk_exponents(
        example.x, example.c, example.s, mu, q, q, example.scale_range, vote_rule=vote_rule
    )
    assert r[0] == pytest.approx(RISK[vote_rule], abs=1e-10)
    # Luxembourg, the weakest state at 4, is the most exposed (r = 0.5); the UK the most secure.
    assert r[0, LU] == 0.5 and r[0, UK] == pytest.approx(2.0)


# Round 1 (Q = T = 0.5) by target: (outcome, position of the accepted challenger, fraction).
# France and Italy are identical, so which of them a target accepts is the tie-break draw's;
# the position and the outcome are not.
ROUND_1 = {
    VOTE_POSITIVE: {
        NL: (OUTCOME_CONFLICT, 10, 1.0), BE: (OUTCOME_CONFLICT, 10, 1.0),
        LU: (OUTCOME_CONFLICT, 10, 1.0), DE: (OUTCOME_CONFLICT, 10, 1.0),
        FR: (OUTCOME_STALEMATE, 4, 0.0), IT: (OUTCOME_STALEMATE, 4, 0.0),
        UK: (OUTCOME_STALEMATE, 4, 0.0), IE: (OUTCOME_CONFLICT, 10, 1.0),
        DK: (OUTCOME_STALEMATE, 7, 0.0), GR: (OUTCOME_CONFLICT, 10, 1.0),
    },
    VOTE_CLIPPED: {
        BE: (OUTCOME_STALEMATE, 4, 0.0), LU: (OUTCOME_CONFLICT, 10, 1.0),
        FR: (OUTCOME_STALEMATE, 4, 0.0), IT: (OUTCOME_STALEMATE, 4, 0.0),
        IE: (OUTCOME_COMPROMISE, 4, 0.057852660037),
    },
}


@pytest.mark.parametrize("vote_rule", [VOTE_POSITIVE, VOTE_CLIPPED])
def test_round1_challenges_and_outcomes(example, vote_rule):
    first = run_rounds(example, 1, vote_rule)[0]
    assert first["forecast"][0] == 7.0
    got = {}
    for j in range(10):
        i = int(first["challenger"][0, j])
        if i >= 0:
            got[j] = (int(first["outcome"][0, j]), example.x[0, i], first["fraction"][0, j])
    expected = ROUND_1[vote_rule]
    assert got.keys() == expected.keys()
    for j, (outcome, position, fraction) in expected.items():
        assert got[j][0] == outcome, example.names[j]
        assert got[j][1] == position, example.names[j]
        assert got[j][2] == pytest.approx(fraction, abs=TOL), example.names[j]
    # Nobody capitulates in round 1 under either rule.
    assert OUTCOME_CAPITULATION not in first["outcome"][0]


# --------------------------------------------------------------------------------------------
# positions by round (Q = T = 0.5, the kernel's defaults)

P = [4.0, 7.0, 4.0, 4.0, 10.0, 10.0, 10.0, 7.0, 4.0, 7.0]
POSITIONS = {
    # The model's rule collapses: everyone at 10 after three rounds.
    VOTE_POSITIVE: [
        [10, 10, 10, 10, 10, 10, 10, 10, 4, 10],
        [10, 10, 4, 10, 10, 10, 10, 4, 4, 10],
        [10] * 10,
        [10] * 10,
        [10] * 10,
    ],
    # The clipped rule does not: only Belgium, Luxembourg and Ireland move.
    VOTE_CLIPPED: [
        [4, 7, 10, 4, 10, 10, 10, 6.826442019888, 4, 7],
        [4, 7, 4, 4, 10, 10, 10, 7.207451683045, 4, 7],
        [4, 9.05966101591, 10, 4, 10, 10, 10, 6.992712636407, 4, 7],
        [4, 4, 4, 4, 10, 10, 10, 6.791002682948, 4, 7],
        [4, 4.645226071606, 10, 4, 10, 10, 10, 7.016675026062, 4, 7],
    ],
}


@pytest.mark.parametrize("vote_rule", [VOTE_POSITIVE, VOTE_CLIPPED])
def test_positions_by_round(example, vote_rule):
    history = run_rounds(example, 5, vote_rule)
    for k, expected in enumerate(POSITIONS[vote_rule], start=1):
        assert history[k - 1]["x"][0] == pytest.approx(expected, abs=TOL), f"round {k}"


@pytest.mark.parametrize("vote_rule", [VOTE_POSITIVE, VOTE_CLIPPED])
@pytest.mark.parametrize("seed", [1, 2021])
def test_positions_by_round_do_not_depend_on_the_tie_break_draws(example, vote_rule, seed):
    # Ties between challengers are only ever between identical states (France and Italy, or
    # states at the same position with the same risk exponent): the draw picks a name, not a
    # position.
    base = run_rounds(example, 10, vote_rule, seed=0)
    other = run_rounds(example, 10, vote_rule, seed=seed)
    for a, b in zip(base, other, strict=True):
        assert np.array_equal(a["x"], b["x"])
        assert np.array_equal(a["outcome"], b["outcome"])


@pytest.mark.parametrize("vote_rule", [VOTE_POSITIVE, VOTE_CLIPPED])
@pytest.mark.parametrize("q", [0.5, 1.0])
def test_ten_rounds_equal_the_reference(example, vote_rule, q):
    ours = run_rounds(example, 10, vote_rule, q, q)
    theirs = reference_rounds(example, 10, vote_rule, q, q)
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(a["challenger"], b["challenger"])
        assert np.array_equal(a["outcome"], b["outcome"])
        np.testing.assert_allclose(a["risk"], b["risk"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(a["eu"], b["eu"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(a["x"], b["x"], rtol=0, atol=1e-12)


def test_the_positive_rule_collapses_and_the_clipped_rule_does_not(example):
    # Kernel alone, no bound on the steps: the positive-vote rule ends with all ten states at
    # one end of the scale (10 with Q = T = 0.5 after 3 rounds; 4 with Q = T = 1 after 4).
    positive = run_rounds(example, 10, VOTE_POSITIVE)
    assert positive[2]["x"][0].tolist() == [10.0] * 10
    assert run_rounds(example, 10, VOTE_POSITIVE, 1.0, 1.0)[3]["x"][0].tolist() == [4.0] * 10
    # The clipped rule keeps both ends occupied and the weighted mean within 7.2-7.6, the band
    # that Scholz, Calbert and Smith report for their own run of the example.
    for q in (0.5, 1.0):
        for out in run_rounds(example, 10, VOTE_CLIPPED, q, q):
            assert out["x"].min() == 4.0 and out["x"].max() == 10.0
            assert 7.2 < out["mean"] < 7.6


def test_clipped_rule_reproduces_the_public_replication(example):
    # Masad's Testing.ipynb (Q = T = 1) prints "Luxembourg loses confrontation to France",
    # "Ireland compromises with France" and a weighted mean of 7.444520171019051 after round 1.
    first = run_rounds(example, 1, VOTE_CLIPPED, 1.0, 1.0)[0]
    assert first["mean"] == pytest.approx(7.444520171019051, abs=1e-12)
    assert first["outcome"][0, LU] == OUTCOME_CONFLICT and first["x"][0, LU] == 10.0
    assert first["outcome"][0, IE] == OUTCOME_COMPROMISE
    assert first["challenger"][0, IE] in (FR, IT)
    moved = np.flatnonzero(first["x"][0] != example.x[0])
    assert moved.tolist() == [LU, IE]


def test_swapped_netherlands_and_belgium_rows_only_exchange_names(example):
    # One public copy swaps position and salience between these two rows; as both have
    # capability .08 the swap is a relabelling: the same figures, the two names exchanged.
    order = [BE, NL, *range(2, 10)]
    swapped = Example(
        names=tuple(example.names[k] for k in order),
        x=example.x[:, order], c=example.c[order], s=example.s[:, order],
        scale_range=example.scale_range,
    )
    for vote_rule in (VOTE_POSITIVE, VOTE_CLIPPED):
        base = run_rounds(example, 6, vote_rule)
        other = run_rounds(swapped, 6, vote_rule)
        for a, b in zip(base, other, strict=True):
            # Equal up to the order of summation (the actors' order changes it).
            np.testing.assert_allclose(a["x"][:, order], b["x"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(a["risk"][:, order], b["risk"], rtol=0, atol=1e-12)
            assert a["forecast"][0] == b["forecast"][0]


def test_unknown_vote_rule_is_a_value_error(example):
    with pytest.raises(ValueError, match="vote_rule"):
        kernel.win_probability(example.x, example.c, example.s, vote_rule="net")
    with pytest.raises(ValueError, match="vote_rule"):
        kernel.bargaining_round(
            example.x, example.c, example.s, np.random.default_rng(0), vote_rule="net"
        )

"""The turn's compiled array work (sim/kernel_compiled.py) against its numpy cores (sim/kernel.py).

Besides the bargaining kernel, the turn hands some of its array work to compiled functions
(issue 11: the turn made fast with one set of rules). Each has a numpy core, the oracle:
required are identical discrete results (indices, codes, choices) and numbers within 1e-12 on
random inputs, ties included.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import kernel

TOL = 1e-12

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests.test_kernel_compiled import both
except ImportError:  # pragma: no cover - depends on how pytest was started
    from test_kernel_compiled import both


@st.composite
def route_inputs(draw):
    """Random route entries: m issues, n actors, K channels, distinct (channel, cell) entries,
    values drawn from a few levels so that ties between channels are common."""
    m, n, K = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    joined = rng.random((K, n, n)) < draw(st.floats(0.0, 1.0))
    channel, proposer, target = np.nonzero(joined)
    levels = np.array([0.0, 0.25, 0.5, 0.5, 1.0, rng.random()])
    value = levels[rng.integers(0, len(levels), len(channel))]
    carries = (rng.random((K, m)) < 0.6).astype(float)
    caucus = np.where(rng.random((m, n, n)) < 0.3, levels[rng.integers(0, len(levels), (m, n, n))], 0.0)
    return value, channel, proposer * n + target, carries, caucus


@settings(max_examples=150)
@given(route_inputs())
def test_route_table_compiled_equals_numpy(inputs):
    (eff_c, chan_c), (eff_n, chan_n) = both(lambda: kernel.route_table(*inputs))
    np.testing.assert_array_equal(chan_c, chan_n)
    assert chan_c.dtype == chan_n.dtype == np.int64
    np.testing.assert_allclose(eff_c, eff_n, rtol=0, atol=TOL)


def test_route_table_by_hand():
    # two channels join actor 0 to actor 1 on one issue; channel 1 is worth more, channel 0 and
    # channel 2 tie on the second issue (the lower index wins); the caucus beats a weak channel
    value = np.array([0.5, 0.8, 0.5])
    channel = np.array([0, 1, 2])
    cell = np.array([1, 1, 1])  # proposer 0, target 1, n = 2
    carries = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    caucus = np.zeros((2, 2, 2))
    caucus[1, 1, 0] = 0.6
    for name in kernel.BACKENDS:
        with kernel.using_backend(name):
            eff, chan = kernel.route_table(value, channel, cell, carries, caucus)
        assert chan[0, 0, 1] == 1 and eff[0, 0, 1] == 0.8
        assert chan[1, 0, 1] == 0 and eff[1, 0, 1] == 0.5
        assert chan[1, 1, 0] == -1 and eff[1, 1, 0] == 0.6
        assert chan[0, 1, 0] == -2 and eff[0, 1, 0] == 0.0


@st.composite
def kernel_inputs(draw):
    """Positions, capabilities, saliences and (or not) scenario risk exponents of m issues and
    n actors; positions on a coarse grid so that ties (equal positions, equal forecasts) occur."""
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(0, 5, (m, n)) / 4.0 if draw(st.booleans()) else rng.random((m, n))
    c = rng.random(n) * (rng.random(n) < 0.9)
    s = rng.random((m, n))
    r = None if draw(st.booleans()) else np.where(rng.random((m, n)) < 0.7, rng.uniform(0.5, 2.0, (m, n)), 1.0)
    return x, c, s, r, draw(st.sampled_from([0.0, 0.5, 1.0])), draw(st.sampled_from([0.0, 0.5, 1.0]))


@settings(max_examples=150)
@given(kernel_inputs())
def test_challenge_utilities_compiled_equals_numpy(inputs):
    got, want = both(lambda: kernel.challenge_utilities(*inputs))
    np.testing.assert_array_equal(got[0], want[0])  # the forecast is one of the positions
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


@settings(max_examples=100)
@given(kernel_inputs())
def test_challenge_utilities_equal_the_kernel_functions_called_in_turn(inputs):
    # what sim.phases.decide.challenges computed before the one call: the same numbers, exactly
    x, c, s, r, q, t = inputs
    for name in kernel.BACKENDS:
        with kernel.using_backend(name):
            mu, r_used, eu = kernel.challenge_utilities(x, c, s, r, q, t)
            mu0 = kernel.forecast(x, c[None, :] * s)
            p = kernel.win_probability(x, c, s)
            r0 = kernel.risk_exponents(x, c, s, mu0, q, t, p=p) if r is None else r
            eu0 = kernel.expected_utility(x, c, s, r0, mu0, q, t, p=p)
        np.testing.assert_array_equal(mu, mu0)
        np.testing.assert_array_equal(r_used, r0)
        np.testing.assert_array_equal(eu, eu0)


@st.composite
def force_inputs(draw):
    """A random theatre map: n states, T theatres, presence, strength, commitments, utility terms
    (gains sometimes zero or negative), alignment, tension and misperception."""
    n, T = draw(st.integers(1, 12)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    S = rng.random((n, T)) * (rng.random((n, T)) < 0.7)
    commit = np.where(rng.random((n, n)) < 0.3, 1.0, rng.random((n, n)) * (rng.random((n, n)) < 0.5))
    np.fill_diagonal(commit, 0.0)
    present = rng.random((n, T)) < 0.7
    mask = rng.random(n) < 0.8
    gain = np.where(rng.random((n, n)) < 0.2, 0.0, rng.random((n, n)) - 0.2)
    loss, bargain = rng.random((n, n)), rng.random((n, n)) * 0.3
    alignment, tension, capability = rng.uniform(-1, 1, (n, n)), rng.random((n, n)), rng.dirichlet(np.ones(n))
    misperception = rng.normal(size=(n, n)) * 0.2
    costs = rng.random(3) * 0.3
    return S, commit, present, mask, gain, loss, bargain, alignment, tension, capability, misperception, draw(st.booleans()), costs, draw(st.booleans())


@settings(max_examples=200)
@given(force_inputs())
def test_force_table_compiled_equals_numpy(inputs):
    got, want = both(lambda: kernel.force_table(*inputs))
    for a, b in zip(got[:3], want[:3]):  # the same triples, in the same order
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype == np.int64
    for a, b in zip(got[3:], want[3:]):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


def test_force_table_by_hand():
    # two states in one theatre, equal strength, no third parties: p = 0.5 each way; the
    # attacker keeps force only where eu = 0.5 gain - 0.5 loss - cost beats bargaining
    S = np.array([[1.0], [1.0]])
    commit = np.zeros((2, 2))
    present = np.ones((2, 1), bool)
    gain = np.array([[0.0, 1.0], [0.2, 0.0]])
    loss = np.array([[0.0, 0.2], [0.2, 0.0]])
    bargain = np.zeros((2, 2))
    zero = np.zeros((2, 2))
    costs = np.array([0.1, 0.0, 0.0])
    for name in kernel.BACKENDS:
        with kernel.using_backend(name):
            i, j, t, eu, bv, p, g, lo, cost, p_true = kernel.force_table(S, commit, present, np.ones(2, bool), gain, loss, bargain, zero, zero, np.array([0.5, 0.5]), zero, False, costs, False)
        assert i.tolist() == [0] and j.tolist() == [1] and t.tolist() == [0]
        assert p.tolist() == [0.5] and p_true.tolist() == [0.5]
        assert abs(eu[0] - (0.5 * 1.0 - 0.5 * 0.2 - 0.1)) < 1e-15

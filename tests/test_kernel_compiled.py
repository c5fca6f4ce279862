"""The compiled kernel (sim/kernel_compiled.py) against its oracles, and its disk cache.

The public functions of sim.kernel run on the compiled cores by default; the numpy cores and the
plain-Python reference (tests/reference_kernel.py) are the oracles. Required: identical discrete
outcomes (challengers, outcome codes, forecasts) and numbers within 1e-12, on random inputs and
on the baseline scenario's issues; and a cache that never fails a run: a cold cache compiles,
a read-only install with no writable cache folder still runs.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim import kernel, kernel_compiled
from sim.kernel import VOTE_RULES

try:  # tests/ as a package (rootdir on sys.path) or as a plain directory of test modules
    from tests import reference_kernel as ref
    from tests.test_kernel import (
        FAST,
        _decisions_well_separated,
        _risk_well_conditioned,
        _security_spread,
        _weights,
        issues,
        offer_tables,
    )
except ImportError:  # pragma: no cover - depends on how pytest was started
    import reference_kernel as ref
    from test_kernel import (
        FAST,
        _decisions_well_separated,
        _risk_well_conditioned,
        _security_spread,
        _weights,
        issues,
        offer_tables,
    )

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-12


def both(call):
    """``call()`` under the compiled backend and under the numpy backend."""
    with kernel.using_backend("compiled") as name:
        assert name == "compiled"
        compiled = call()
    with kernel.using_backend("numpy"):
        numpy = call()
    return compiled, numpy


def assert_close(a, b, tol=TOL):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# --------------------------------------------------------------------------------------------
# the backends


def test_compiled_backend_is_the_default_and_constants_agree():
    assert kernel.backend() == "compiled"
    assert kernel_compiled.EU_TOLERANCE == kernel.EU_TOLERANCE
    assert kernel_compiled.SECURITY_TIE_TOLERANCE == kernel.SECURITY_TIE_TOLERANCE
    assert kernel_compiled.SMALLEST == float(np.finfo(float).smallest_subnormal)
    for name in ("NONE", "CONFLICT", "COMPROMISE", "CAPITULATION", "STALEMATE"):
        assert getattr(kernel_compiled, f"OUTCOME_{name}") == getattr(kernel, f"OUTCOME_{name}")


def test_using_backend_restores_the_previous_one_and_rejects_unknown_names():
    before = kernel.backend()
    with kernel.using_backend("numpy") as name:
        assert name == "numpy" and kernel.backend() == "numpy"
    assert kernel.backend() == before
    with pytest.raises(ValueError, match="backend"):
        with kernel.using_backend("fortran"):
            pass
    assert kernel.backend() == before


def test_the_environment_picks_the_backend_and_a_typo_only_warns(monkeypatch):
    monkeypatch.setattr(kernel, "_active", None)
    monkeypatch.setattr(kernel, "_active_name", "")
    monkeypatch.setenv("GREATPOWER_KERNEL", "numpy")
    assert kernel.backend() == "numpy"
    monkeypatch.setattr(kernel, "_active", None)
    monkeypatch.setenv("GREATPOWER_KERNEL", "fast")
    with pytest.warns(RuntimeWarning, match="GREATPOWER_KERNEL"):
        assert kernel.backend() == "compiled"


def test_a_cache_failure_at_run_time_falls_back_to_numpy_with_a_warning(monkeypatch):
    # A disk error from numba's cache (raised as OSError while loading or saving compiled code)
    # must not stop a run: the numpy cores take over, and say so.
    x = np.array([[0.0, 0.5, 1.0]])
    w = np.array([[1.0, 2.0, 1.0]])
    with kernel.using_backend("numpy"):
        expected = kernel.forecast(x, w)

    def broken(*args):
        raise OSError(28, "No space left on device")

    failing = type("Cores", (), {"forecast": staticmethod(broken)})()
    with kernel.using_backend("compiled"):
        monkeypatch.setattr(kernel, "_active", failing)
        with pytest.warns(RuntimeWarning, match="numpy kernel"):
            got = kernel.forecast(x, w)
        assert kernel.backend() == "numpy"
    assert got.tolist() == expected.tolist()


# --------------------------------------------------------------------------------------------
# random inputs: compiled == numpy (and == the plain-Python reference for the round)


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues())
def test_win_probability(vote_rule, inputs):
    x, c, s = inputs
    got, want = both(lambda: kernel.win_probability(x, c, s, vote_rule=vote_rule))
    assert_close(got, want)


@FAST
@given(issues())
def test_forecast(inputs):
    x, c, s = inputs
    got, want = both(lambda: kernel.forecast(x, _weights(c, s)))
    assert got.tolist() == want.tolist()


@FAST
@given(
    issues(),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.sampled_from([1.0, 0.5, 2.0]),
    st.sampled_from(["drawn", "neutral"]),
    st.data(),
)
def test_expected_utility(inputs, q, t, scale_range, risk, data):
    x, c, s = inputs
    m, n = x.shape
    if risk == "neutral":
        r = np.ones((m, n))
    else:
        r = data.draw(hnp.arrays(float, (m, n), elements=st.floats(0.5, 2.0)))
    mu = kernel.forecast(x, _weights(c, s))
    got, want = both(lambda: kernel.expected_utility(x, c, s, r, mu, q, t, scale_range))
    assert_close(got, want)


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_risk_exponents(vote_rule, inputs, q, t):
    x, c, s = inputs
    mu = kernel.forecast(x, _weights(c, s))
    assume(_risk_well_conditioned(_security_spread(x, c, s, mu, q, t, vote_rule)))
    got, want = both(lambda: kernel.risk_exponents(x, c, s, mu, q, t, vote_rule=vote_rule))
    np.testing.assert_allclose(got, want, rtol=TOL, atol=1e-9)


@FAST
@given(
    hnp.arrays(float, st.integers(1, 20), elements=st.floats(-3.0, 3.0)),
    st.data(),
)
def test_respond(eu_challenger, data):
    eu_target = data.draw(
        hnp.arrays(float, eu_challenger.shape, elements=st.floats(-3.0, 3.0))
        | st.just(-eu_challenger)
        | st.just(eu_challenger.copy())
    )
    (o1, f1), (o2, f2) = both(lambda: kernel.respond(eu_challenger, eu_target))
    assert o1.dtype == o2.dtype == np.int8
    assert o1.tolist() == o2.tolist()
    assert_close(f1, f2)


@FAST
@given(offer_tables())
def test_resolve(tables):
    got, want = both(lambda: kernel.resolve(*tables))
    assert got[1].tolist() == want[1].tolist()  # challengers
    assert got[2].tolist() == want[2].tolist()  # outcomes
    assert got[2].dtype == want[2].dtype
    assert_close(got[3], want[3])
    assert_close(got[0], want[0])


@pytest.mark.parametrize("vote_rule", VOTE_RULES)
@FAST
@given(issues(), st.integers(0, 2**32 - 1), st.sampled_from([1.0, 6.0]))
def test_bargaining_round_against_numpy_and_reference(vote_rule, inputs, seed, scale_range):
    x, c, s = inputs
    x = x * scale_range

    def call():
        rng = np.random.default_rng(seed)
        return kernel.bargaining_round(
            x, c, s, rng, 0.5, 0.5, scale_range, vote_rule=vote_rule
        )

    got, want = both(call)
    reference = ref.bargaining_round(
        x.tolist(), c.tolist(), s.tolist(), np.random.default_rng(seed), 0.5, 0.5, scale_range,
        vote_rule=vote_rule,
    )
    mu = got["forecast"] / scale_range
    assume(_risk_well_conditioned(_security_spread(x / scale_range, c, s, mu, vote_rule=vote_rule)))
    for table in (got["eu"], want["eu"], np.array(reference["eu"])):
        assume(_decisions_well_separated(table))
    for other in (want, reference):
        assert got["forecast"].tolist() == list(other["forecast"])
        assert got["challenger"].tolist() == np.asarray(other["challenger"]).tolist()
        assert got["outcome"].tolist() == np.asarray(other["outcome"]).tolist()
        for key in ("risk", "eu", "fraction", "x"):
            np.testing.assert_allclose(got[key], other[key], rtol=TOL, atol=1e-9, err_msg=key)
    for key in ("eu", "fraction", "x"):
        assert_close(got[key], want[key])


def test_the_generator_advances_alike():
    # The round draws its tiebreaks from the caller's generator in both backends.
    x = np.random.default_rng(1).random((3, 5))
    rngs = []
    for name in ("compiled", "numpy"):
        rng = np.random.default_rng(9)
        with kernel.using_backend(name):
            kernel.bargaining_round(x, np.ones(5), np.ones((3, 5)), rng)
        rngs.append(rng.random())
    assert rngs[0] == rngs[1]


# --------------------------------------------------------------------------------------------
# the powers (log and exp written out for SIMD)


@given(
    hnp.arrays(
        float,
        st.integers(1, 64),
        elements=st.one_of(
            st.floats(2.2250738585072014e-308, 2.0),
            st.sampled_from([0.0, 2.2250738585072014e-308, 1e-300, 2.0**-54, 0.5, 1.0, 1.5]),
        ),
    ),
    st.data(),
)
def test_powers_match_the_c_library(base, data):
    # Bases are 0 or normal floats: in the kernel they are 0 or at least 2^-54.
    r = data.draw(hnp.arrays(float, base.shape, elements=st.floats(0.5, 2.0)))
    out = np.empty_like(base)
    kernel_compiled.powers_into(
        base, r, out, np.empty_like(base), np.empty_like(base), np.empty(base.size, np.int64)
    )
    with np.errstate(divide="ignore"):
        want = np.where(base > 0.0, np.exp(r * np.log(np.where(base > 0, base, 1.0))), 0.0)
    # results below the smallest normal float (2.2e-308) may come out as 0
    np.testing.assert_allclose(out, want, rtol=4e-15, atol=2.3e-308)


def _eu_every_cell(x, s, p, r, mu, q, t):
    """The compiled expected utilities (scale 1) with all four bases of every cell powered in
    one :func:`~sim.kernel_compiled.powers_into` call per issue, tied cells included: the
    plain form of what :func:`~sim.kernel_compiled.expected_utility` computes."""
    m, n = x.shape
    qt, qnt = (1.0 - q) * t, (1.0 - q) * (1.0 - t)
    eu = np.zeros((m, n, n))
    for a in range(m):
        d = np.abs(x[a][:, None] - x[a][None, :])
        e = np.abs(x[a] - mu[a])[:, None] + d
        base = np.concatenate([np.maximum(0.5 - d * 0.5, 0.0), np.maximum(0.5 - e * 0.25, 0.0), 0.5 + d * 0.5, 0.5 + e * 0.25], axis=None)
        power = np.empty_like(base)
        scratch = (np.empty_like(base), np.empty_like(base), np.empty(base.size, np.int64))
        kernel_compiled.powers_into(base, np.tile(np.repeat(r[a], n), 4), power, *scratch)
        success, better, failure, worse = power.reshape(4, n, n)
        for i in range(n):
            for j in range(n):
                value = kernel_compiled._combine(success[i, j], better[i, j], failure[i, j], worse[i, j], 0.5 ** r[a, i], p[a, i, j], s[a, j], q, qt, qnt)
                if x[a, i] != x[a, j] and abs(value) > kernel_compiled.EU_TOLERANCE:
                    eu[a, i, j] = value
    return eu


@FAST
@given(issues(max_actors=12), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.data())
def test_expected_utility_powers_each_cell_exactly_once_alike(inputs, q, t, data):
    # expected_utility powers each base once per actor and group of equal positions (none for
    # the actor's own group) and takes a success or failure base's logarithm once per pair of
    # groups: the numbers are those of powering every base of every cell
    x, c, s = inputs
    m, n = x.shape
    w = np.ascontiguousarray(_weights(c, s))
    r = data.draw(hnp.arrays(float, (m, n), elements=st.floats(0.5, 2.0)))
    mu = kernel_compiled.forecast(x, w)
    p = kernel_compiled.win_probability(x, w, False)
    got = kernel_compiled.expected_utility(x, s, p, r, mu, q, t, 1.0, False)
    assert np.array_equal(got, _eu_every_cell(x, s, p, r, mu, q, t))


@pytest.mark.parametrize("distinct", [18, 13, 12, 11, 6, 1])
def test_expected_utility_of_either_form_powers_every_cell_alike(distinct):
    # an issue with more than GROUPED_EU_MAX_SHARE of its actors at distinct positions powers
    # every cell (18, 13 and 12 distinct of 18); with fewer it groups equal positions (11, 6,
    # 1): both give the numbers of powering every base of every cell, to the last bit
    m, n = 7, 18
    rng = np.random.default_rng(distinct)
    x = np.empty((m, n))
    for a in range(m):
        values = rng.random(distinct)
        x[a] = rng.permutation(np.concatenate([values, rng.choice(values, n - distinct)]))
    s = rng.random((m, n))
    w = np.ascontiguousarray(rng.random(n)[None, :] * s)
    r = rng.uniform(0.5, 2.0, (m, n))
    every_cell = distinct > kernel_compiled.GROUPED_EU_MAX_SHARE * n
    assert every_cell == (distinct >= 12)
    assert all(kernel_compiled._distinct_positions(x[a]) == distinct for a in range(m))
    mu = kernel_compiled.forecast(x, w)
    p = kernel_compiled.win_probability(x, w, False)
    for q, t in ((0.5, 0.5), (0.0, 1.0), (1.0, 0.25)):
        got = kernel_compiled.expected_utility(x, s, p, r, mu, q, t, 1.0, False)
        assert np.array_equal(got, _eu_every_cell(x, s, p, r, mu, q, t))


@FAST
@given(hnp.arrays(float, st.integers(1, 20), elements=st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, np.nan, np.inf])))
def test_distinct_positions_counts_the_groups_of_equal_position(xa):
    # without sorting: each nan is one of its own; without nan, the number of groups the
    # grouped form makes (with nan the insertion sort cannot order them, and it makes more)
    nans = int(np.isnan(xa).sum())
    assert kernel_compiled._distinct_positions(xa) == len(set(xa[~np.isnan(xa)].tolist())) + nans
    if not nans:
        order, group, member = (np.empty(xa.size, np.int64) for _ in range(3))
        assert kernel_compiled._distinct_positions(xa) == kernel_compiled._position_groups(xa, order, group, member)


@pytest.mark.parametrize("clipped", [False, True])
@FAST
@given(issues(max_actors=12))
def test_win_probability_is_summed_once_per_pair_of_positions_alike(clipped, inputs):
    # the compiled win probabilities sum each support once per pair of groups of equal
    # positions: the numbers are those of every pair of actors, each sum in the order of k
    x, c, s = inputs
    m, n = x.shape
    w = np.ascontiguousarray(_weights(c, s))
    want = np.empty((m, n, n))
    for a in range(m):
        top = max(max(w[a].tolist(), default=0.0), kernel_compiled.SMALLEST)
        wn = w[a] / top
        d = np.abs(x[a][None, :] - x[a][:, None])  # d[k, j] = |x_j - x_k|
        support = np.zeros((n, n))
        for k in range(n):
            support += wn[k] * np.maximum(d[k][None, :] - d[k][:, None], 0.0)
        total = np.maximum(support + support.T, kernel_compiled.SMALLEST)
        if clipped:
            want[a] = np.maximum(support - support.T, 0.0) / total
        else:
            want[a] = (support - support.T) * 0.5 / total + 0.5
    assert np.array_equal(kernel_compiled.win_probability(x, w, clipped), want)


@FAST
@given(
    hnp.arrays(float, st.tuples(st.integers(1, 6), st.integers(1, 40)), elements=st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, 3.0])),
    st.integers(1, 45),
)
def test_ranking_is_a_stable_descending_sort_cut_at_its_width(flat, keep):
    width = min(keep, flat.shape[1])
    want = np.argsort(-flat, axis=1, kind="stable")[:, :width]
    assert np.array_equal(kernel_compiled._rank(flat, width, True), want)  # one pass
    assert np.array_equal(kernel_compiled._rank(flat, width, False), want)  # selection (nan)


# --------------------------------------------------------------------------------------------
# hostile numbers (outside the loader's contract, which rejects nan and inf): both backends alike


def assert_alike(a, b, tol=TOL):
    """nan in the same cells, equal infinities, the other numbers within ``tol``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(a) & np.isfinite(b)
    assert np.array_equal(a[~finite], b[~finite], equal_nan=True)
    np.testing.assert_allclose(a[finite], b[finite], rtol=tol, atol=tol)


def _hostile_issues(n, distinct, rng):
    """Three issues of n actors, ``distinct`` positions each (drawn, then repeated)."""
    x = np.empty((3, n))
    for a in range(3):
        values = rng.random(distinct)
        x[a] = rng.permutation(np.concatenate([values, rng.choice(values, n - distinct)]))
    return x, rng.uniform(0.1, 10.0, n), rng.random((3, n))


@np.errstate(all="ignore")  # numpy's overflow and nan warnings: expected here
def _every_public_function_alike(x, c, s, q=0.5, t=0.5):
    m, n = x.shape
    r = np.random.default_rng(3).choice([0.5, 1.0, 2.0], (m, n))
    w = np.broadcast_to(c, (m, n)) * s
    for rule in VOTE_RULES:
        assert_alike(*both(lambda: kernel.win_probability(x, c, s, vote_rule=rule)))
    got, want = both(lambda: kernel.forecast(x, w))
    assert np.array_equal(got, want, equal_nan=True)
    for scale in (1.0, 6.0):
        assert_alike(*both(lambda: kernel.expected_utility(x, c, s, r, got, q, t, scale)))
        assert_alike(*both(lambda: kernel.risk_exponents(x, c, s, got, q, t, scale)))
        rounds = both(lambda: kernel.bargaining_round(x, c, s, np.random.default_rng(1), q, t, scale))
        for key in ("x", "forecast", "risk", "eu", "fraction"):
            assert_alike(rounds[0][key], rounds[1][key])
        for key in ("challenger", "outcome"):
            assert rounds[0][key].tolist() == rounds[1][key].tolist()
    for risk in (None, r):
        for one, other in zip(*both(lambda: kernel.challenge_utilities(x, c, s, risk, q, t)), strict=True):
            assert_alike(one, other)


HOSTILE_POSITIONS = st.sampled_from([np.nan, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, -0.5, np.inf, -np.inf])


@FAST
@given(
    hnp.arrays(float, st.tuples(st.integers(1, 3), st.integers(1, 20)), elements=HOSTILE_POSITIONS),
    st.sampled_from([0.5, 1.0, 2.0, 0.25]),
    st.data(),
)
@np.errstate(all="ignore")
def test_hostile_positions_give_the_numbers_of_the_numpy_kernel(x, scale_range, data):
    # nan, signed zeros, infinities and positions off the scale, with risk exponents 0.5 to 2
    m, n = x.shape
    c = data.draw(hnp.arrays(float, (n,), elements=st.sampled_from([0.0, 1e-300, 1.0, 3.0, 1e300])))
    s = data.draw(hnp.arrays(float, (m, n), elements=st.sampled_from([0.0, 0.5, 1.0])))
    r = data.draw(hnp.arrays(float, (m, n), elements=st.sampled_from([0.5, 1.0, 2.0])))
    q, t = data.draw(st.sampled_from([(0.5, 0.5), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0)]))
    w = np.broadcast_to(c, (m, n)) * s
    for rule in VOTE_RULES:
        assert_alike(*both(lambda: kernel.win_probability(x, c, s, vote_rule=rule)))
    mu, want = both(lambda: kernel.forecast(x, w))
    assert np.array_equal(mu, want, equal_nan=True)
    assert_alike(*both(lambda: kernel.expected_utility(x, c, s, r, mu, q, t, scale_range)))


@pytest.mark.parametrize(
    "n, distinct, nans",
    [(2, 2, 1), (3, 3, 1), (3, 3, 2), (18, 18, 1), (18, 12, 1), (18, 11, 3), (40, 40, 5), (40, 10, 1)],
)
def test_nan_positions_give_the_numbers_of_the_numpy_kernel(n, distinct, nans):
    # the compiled kernel had three ways of its own with a nan position: every win probability
    # of the issue nan (max(nan vote, 0) is nan; numpy.fmax drops it), a finite expected
    # utility from the powers (log nan came out as about 710: EU -3.3e154 at r = 0.5 where
    # numpy has nan) and nan sorted in place in the forecast; numpy's resolve made every
    # target without an offer nan when actor 0's position was nan
    rng = np.random.default_rng(n * 100 + distinct)
    x, c, s = _hostile_issues(n, distinct, rng)
    x[0, rng.choice(n, nans, replace=False)] = np.nan
    x[2, -1] = np.nan
    for q, t in ((0.5, 0.5), (0.0, 1.0), (1.0, 0.0)):
        _every_public_function_alike(x, c, s, q, t)
    got, want = both(lambda: kernel.bargaining_round(x, c, s, np.random.default_rng(1)))
    moved = ~np.isnan(x)
    assert not np.isnan(got["x"][moved]).any()  # nobody but the nan actors becomes nan
    assert np.isnan(got["x"][~moved]).all()


def test_a_nan_position_is_sorted_last_in_the_forecast():
    # numpy's stable argsort puts nan last; the insertion sort kept it first, and the weighted
    # median of [nan, 0.9, 0.1, 0.5] with weights [3, 1, 1, 1] came out nan instead of 0.9
    x = np.array([[np.nan, 0.9, 0.1, 0.5]])
    w = np.array([[3.0, 1.0, 1.0, 1.0]])
    got, want = both(lambda: kernel.forecast(x, w))
    assert got.tolist() == want.tolist() == [0.9]


@pytest.mark.parametrize("n", [1, 2, 3, 18, 40])
def test_positions_far_off_the_scale_give_the_numbers_of_the_numpy_kernel(n):
    # |x_i - x_j| of 1.7e308 makes a base of 8.5e307, whose power exp(log base) overflowed at
    # y = 709 (numpy's at 709.78): the EU was nan or -inf where numpy has inf or 9.6e306, and
    # a round moved nobody where numpy records a conflict; an inf position (dist nan) was a
    # tie for the compiled kernel and the reference (x_i == x_j) but not for numpy
    rng = np.random.default_rng(n)
    x = rng.choice([1e300, -1e300, 0.0, 1e-300, 0.5, 1.7e308, -1.7e308], (3, n))
    x[0, :2] = (-1.7e308, 0.0)[: min(n, 2)]
    c = rng.uniform(0.1, 10.0, n)
    s = rng.random((3, n))
    _every_public_function_alike(x, c, s)
    x[1, 0] = np.inf
    x[2, -1] = -np.inf
    _every_public_function_alike(x, c, s)


@np.errstate(all="ignore")  # numpy's inf - inf warnings: expected here
def test_a_target_without_an_offer_keeps_its_position():
    # numpy's resolve moved every target without an offer to x + 0 * (x_0 - x), nan where
    # actor 0's position was nan or either was infinite; and it took actor 0, who made no
    # offer, as the challenger of a target at an infinite distance from its one offer
    x = np.array([[np.nan, 0.2, 0.7], [np.inf, 0.5, -np.inf]])
    eu = np.zeros((2, 3, 3))
    eu[:, 1, 2] = 0.3  # one offer, to actor 2, which capitulates
    eu[:, 2, 1] = -0.5
    offers = eu > 0.0
    ones = np.ones((2, 3, 3))
    for name in ("compiled", "numpy"):
        with kernel.using_backend(name):
            new_x, challenger, outcome, fraction = kernel.resolve(x, eu, offers, ones, ones * 0.5)
        assert challenger.tolist() == [[-1, -1, 1], [-1, -1, 1]]
        assert np.array_equal(new_x[:, :2], x[:, :2], equal_nan=True)  # no offer: unmoved
        assert new_x[:, 2].tolist() == [0.2, 0.5]


def test_exp_and_log_reach_the_ends_of_the_float_range():
    y = np.concatenate([np.linspace(-708.0, 709.78, 4001), [709.782712893384, 710.0, np.inf, -np.inf, np.nan]])
    out = np.empty_like(y)
    kernel_compiled._exp_into(y, out, np.empty_like(y))
    with np.errstate(over="ignore"):
        want = np.exp(y)
    np.testing.assert_allclose(out, want, rtol=4e-16, atol=0)  # inf and nan where numpy's
    base = np.array([np.inf, np.nan, 1.7976931348623157e308, 8.5e307, 0.5])
    logs = np.empty_like(base)
    kernel_compiled._log_into(base, logs, np.empty_like(base), np.empty(base.size, np.int64))
    np.testing.assert_allclose(logs, np.log(base), rtol=4e-16, atol=0)


# --------------------------------------------------------------------------------------------
# the baseline scenario: whole runs with either backend


def _plain(data):
    """Plain JSON data (numpy numbers as floats)."""
    return json.loads(json.dumps(data, default=float))


def _same(a, b, path="log"):
    """Equal plain data, floats within 1e-12."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), path
        for k, (u, v) in enumerate(zip(a, b, strict=True)):
            _same(u, v, f"{path}[{k}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert abs(a - b) <= TOL * max(1.0, abs(a)), (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("seed", [1])
def test_baseline_runs_identically_with_either_backend(seed):
    from sim.model import GreatPowerModel

    runs = {}
    for name in ("compiled", "numpy"):
        with kernel.using_backend(name):
            model = GreatPowerModel(str(ROOT / "scenarios" / "baseline_2021.yaml"), seed=seed)
            for _ in range(36):
                if not model.running:
                    break
                model.step()
            runs[name] = (_plain(model.log), model.snapshot(), np.array(model.position))
    (log_c, snap_c, pos_c), (log_n, snap_n, pos_n) = runs["compiled"], runs["numpy"]
    _same(log_c, log_n)
    _same(_plain(snap_c), _plain(snap_n), "snapshot")
    np.testing.assert_allclose(pos_c, pos_n, rtol=0, atol=TOL)


# --------------------------------------------------------------------------------------------
# the disk cache

CACHE_PROBE = """
import sys, json
import numpy as np
from sim import kernel, kernel_compiled
x = np.array([[0.0, 0.5, 1.0], [0.2, 0.2, 0.9]])
mu = kernel.forecast(x, np.ones((2, 3)))
outcome, fraction = kernel.respond(np.array([0.5, 0.2]), np.array([-0.1, 0.3]))
print(json.dumps({
    "backend": kernel.backend(),
    "cache": kernel_compiled.CACHE,
    "where": kernel_compiled.CACHE_WHERE,
    "mu": mu.tolist(),
    "outcome": outcome.tolist(),
    "hits": sum(kernel_compiled.forecast.stats.cache_hits.values()),
    "misses": sum(kernel_compiled.forecast.stats.cache_misses.values()),
}))
"""


def _probe(package_root: Path, env: dict) -> dict:
    """Run CACHE_PROBE with ``package_root`` first on sys.path; return its JSON line."""
    dropped = ("NUMBA_CACHE_DIR", "GREATPOWER_KERNEL")
    full = {k: v for k, v in os.environ.items() if k not in dropped}
    full.update(env)
    # the copy first; keep any other entries (where numba may live)
    full["PYTHONPATH"] = os.pathsep.join(
        [str(package_root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    done = subprocess.run(
        [sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, env=full,
        cwd=package_root, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def kernel_copy(tmp_path_factory) -> Path:
    """A copy of the package with only the kernel's modules (cheap to import)."""
    root = tmp_path_factory.mktemp("install")
    package = root / "sim"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("kernel.py", "kernel_compiled.py", "deferred.py", "files.py"):
        shutil.copy(ROOT / "sim" / name, package / name)
    return root


def test_read_only_install_without_a_writable_cache_folder_still_runs(kernel_copy, tmp_path):
    # Nothing can be written: the package's __pycache__ is a file, and NUMBA_CACHE_DIR and the
    # user cache folder lie under a file (this holds even for root, unlike file permissions).
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    pycache = kernel_copy / "sim" / "__pycache__"
    shutil.rmtree(pycache, ignore_errors=True)
    pycache.write_text("")
    try:
        out = _probe(
            kernel_copy,
            {
                "NUMBA_CACHE_DIR": str(blocker / "numba"),
                "XDG_CACHE_HOME": str(blocker / "cache"),
                "HOME": str(blocker),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
        )
    finally:
        pycache.unlink()
    assert out["backend"] == "compiled"
    assert out["cache"] is False and out["where"].startswith("none")
    assert out["mu"] == [0.5, 0.2]
    assert out["outcome"] == [2, 4]  # a compromise and a stalemate


def test_cold_cache_compiles_writes_and_is_then_reused(kernel_copy, tmp_path):
    cache = tmp_path / "numba cache"  # a fresh, empty folder (created on demand)
    env = {"NUMBA_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    cold = _probe(kernel_copy, env)
    assert cold["cache"] is True and cold["where"] == f"NUMBA_CACHE_DIR={cache}"
    assert cold["misses"] >= 1 and cold["hits"] == 0
    assert any(cache.rglob("*.nbi")) and any(cache.rglob("*.nbc"))
    warm = _probe(kernel_copy, env)
    assert warm["hits"] >= 1 and warm["misses"] == 0
    assert warm["mu"] == cold["mu"] == [0.5, 0.2]


def test_user_cache_folder_is_used_when_the_package_folder_is_not_writable(
    monkeypatch, tmp_path
):
    # choose_cache_dir's rule 3: the package folder is not writable and NUMBA_CACHE_DIR unset.
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(kernel_compiled, "__file__", str(blocker / "kernel_compiled.py"))
    cache, where = kernel_compiled.choose_cache_dir()
    try:
        assert cache is True
        assert where == f"user cache {tmp_path / 'xdg' / 'greatpower' / 'numba'}"
        assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "xdg" / "greatpower" / "numba")
    finally:
        os.environ.pop("NUMBA_CACHE_DIR", None)
    # and nothing at all: no cache, no error
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "xdg"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernel_compiled.choose_cache_dir() == (
            False, "none: no writable cache folder, compiled in memory"
        )

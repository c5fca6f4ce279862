"""Student's t quantiles come from scipy.special (no scipy.stats import): the same numbers."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.stats import t_half_width, t_interval, t_quantile, welch_difference


def test_t_quantile_is_scipy_stats_t_ppf():
    """Whole and fractional degrees of freedom, the usual levels: identical to scipy.stats.t.ppf."""
    dofs = [*range(1, 400), 999, 9999, 10**6, *np.random.default_rng(0).uniform(0.5, 300, 300)]
    for dof in dofs:
        for p in (0.95, 0.975, 0.995, 0.5 + 0.9 / 2):
            assert t_quantile(p, dof) == float(stats.t.ppf(p, dof))


def test_intervals_match_scipy_formulas():
    """Half-width, t interval and Welch's interval, against the formulas with scipy.stats."""
    rng = np.random.default_rng(1)
    for n in (2, 3, 10, 57, 1000):
        x = rng.normal(0.3, 0.1, n)
        sd = float(x.std(ddof=1))
        want = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        assert t_half_width(sd, n) == want
        m, lo, hi = t_interval(x)
        assert (lo, hi) == (m - want, m + want)
        y = rng.normal(0.5, 0.3, n + 3)
        va, vb = x.var(ddof=1) / n, y.var(ddof=1) / (n + 3)
        dof = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n + 2))
        d, lo, hi = welch_difference(x, y)
        half = float(stats.t.ppf(0.975, dof)) * math.sqrt(va + vb)
        assert (lo, hi) == (d - half, d + half)
    assert math.isnan(t_half_width(1.0, 1))

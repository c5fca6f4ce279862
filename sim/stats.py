"""Intervals for shares and means, and the difference of two means (validity, backtest, sweeps).

Pure functions over numbers; ``scipy.special.stdtrit`` gives Student's t quantiles (imported when
needed): it is what ``scipy.stats.t.ppf`` computes for a probability in (0, 1), without importing
``scipy.stats`` (about five times the import time of ``scipy.special``).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054
"""The 97.5% quantile of the standard normal distribution."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (both ends in [0, 1]; ``(0, 1)`` for n = 0).

    The lower end is exactly 0 when k = 0 and the upper end exactly 1 when k = n.

    Source: Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", JASA 22(158).
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, mid - half)
    hi = 1.0 if k == n else min(1.0, mid + half)
    return lo, hi


def t_quantile(p: float, dof: float) -> float:
    """The ``p`` quantile of Student's t distribution with ``dof`` degrees of freedom.

    Args:
        p: probability in (0, 1).
        dof: degrees of freedom (> 0; need not be whole, as in Welch's interval).

    Returns:
        The same number as ``scipy.stats.t.ppf(p, dof)``, which calls this function.
    """
    from scipy.special import stdtrit

    return float(stdtrit(dof, p))


def t_half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of a mean: ``t(1 - a/2, n - 1) sd / sqrt(n)``.

    Returns:
        NaN for n < 2.
    """
    if n < 2:
        return float("nan")
    return t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)


def t_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``x`` (shape (n,)) with the Student t interval of the mean.

    Returns:
        ``(mean, low, high)``; the interval is ``(mean, mean)`` for n < 2 and NaNs for n = 0.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if n < 2:
        return m, m, m
    half = t_quantile(0.5 + level / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return m, m - half, m + half


def welch_difference(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """``mean(a) - mean(b)`` with Welch's t interval (unequal variances; Welch 1947).

    Returns:
        ``(difference, low, high)``; with no spread in either sample the interval is the point.
        NaNs when a sample is empty.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan"), float("nan")
    d = float(a.mean() - b.mean())
    va = a.var(ddof=1) / a.size if a.size > 1 else 0.0
    vb = b.var(ddof=1) / b.size if b.size > 1 else 0.0
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / ((va**2 / (a.size - 1) if a.size > 1 else 0.0) + (vb**2 / (b.size - 1) if b.size > 1 else 0.0))
    half = t_quantile(0.5 + level / 2, dof) * se
    return d, d - half, d + half

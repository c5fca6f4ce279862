"""The bargaining kernel's numeric cores compiled with numba: the fast path of :mod:`sim.kernel`.

Nothing here is public API. :mod:`sim.kernel` checks shapes, converts its inputs to C-contiguous
float64 arrays and calls these cores, which compute exactly the formulas of its numpy cores
(Scholz, Calbert and Smith 2011, "Unravelling Bueno de Mesquita's group decision model",
Journal of Theoretical Politics 23(4); docs/model.md 7.4) with loops instead of array
expressions. The numpy cores and the plain-Python reference (``tests/reference_kernel.py``) are
their test oracles: identical discrete outcomes and values within 1e-12
(``tests/test_kernel_compiled.py``).

Compiled code is cached on disk (numba's ``cache=True``) so that a process starts in well under
a second once the cache is warm. Where the cache goes, decided once at import, before numba
compiles anything:

1. ``NUMBA_CACHE_DIR`` if the user set it (numba's own rule);
2. else the ``__pycache__`` folder beside this file, if it can be written (numba's default);
3. else a user cache folder, ``$XDG_CACHE_HOME/greatpower/numba`` (``~/.cache/greatpower/numba``
   when ``XDG_CACHE_HOME`` is unset), exported as ``NUMBA_CACHE_DIR`` so that worker processes
   use it too;
4. else no disk cache: every process compiles (seconds) but runs. A read-only install with no
   writable cache folder therefore still works.

A cold cache only costs the compile time (10-15 s of CPU); it never fails a run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------------------------------------
# where the compiled code is cached (decided before numba is imported)

CACHE_DIR_ENV = "NUMBA_CACHE_DIR"
"""Numba's environment variable for its cache folder (respected when set)."""


def _writable_dir(path: Path) -> bool:
    """True if ``path`` exists or can be made, and a file can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def user_cache_dir() -> Path | None:
    """The per-user folder for compiled code: ``$XDG_CACHE_HOME/greatpower/numba``.

    ``XDG_CACHE_HOME`` defaults to ``~/.cache`` (the XDG base-directory convention; a relative
    one is ignored). None when no absolute folder can be named (:func:`sim.files.user_cache_dir`).
    """
    from sim.files import user_cache_dir as folder

    return folder("numba")


def choose_cache_dir() -> tuple[bool, str]:
    """Decide whether and where numba caches this module's compiled code.

    Returns:
        ``(cache, where)``: whether to compile with ``cache=True``, and a one-line description
        of the location (``"NUMBA_CACHE_DIR=..."``, ``"package __pycache__"``, ``"user cache
        ..."`` or ``"none: ..."``). Sets ``NUMBA_CACHE_DIR`` in this process's environment
        when it chooses the user cache folder.
    """
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        if _writable_dir(Path(given)):
            return True, f"{CACHE_DIR_ENV}={given}"
    elif _writable_dir(Path(__file__).resolve().parent / "__pycache__"):
        return True, "package __pycache__"
    user = user_cache_dir()
    if user is not None and _writable_dir(user):
        os.environ[CACHE_DIR_ENV] = str(user)
        return True, f"user cache {user}"
    return False, "none: no writable cache folder, compiled in memory"


CACHE, CACHE_WHERE = choose_cache_dir()

from sim.deferred import defer, load_cached_code_without_registries  # noqa: E402

# numba checks for BLAS by importing scipy.linalg.cython_blas when it first loads code: that one
# module, not all of scipy.linalg (0.2 s), unless something else of scipy.linalg is used.
defer("scipy.linalg")
# numba imports PyYAML only in case a ``.numba_config.yaml`` exists in the working folder.
defer("yaml")

import numba  # noqa: E402  (after the cache folder is chosen)

if CACHE and os.environ.get(CACHE_DIR_ENV):
    # numba reads the variable when it is first imported; it may have been imported earlier.
    numba.config.CACHE_DIR = os.environ[CACHE_DIR_ENV]


def _jit(function=None, *, contract=False):
    """Compile ``function`` lazily with numba, cached on disk where possible.

    ``error_model="numpy"``: a division by zero gives inf or nan as in numpy, never an
    exception (the cores guard every denominator, so none occurs). No fastmath, so that the
    cores keep IEEE semantics and agree with numpy to 1e-12; only the polynomial loops of the
    powers allow ``contract`` (fused multiply-adds, which are at least as accurate).
    """
    if function is None:
        return lambda f: _jit(f, contract=contract)
    options = {"nogil": True, "error_model": "numpy"}
    if contract:
        options["fastmath"] = {"contract"}
    if CACHE:
        try:
            dispatcher = numba.njit(cache=True, **options)(function)
        except RuntimeError:  # numba found no cache locator after all
            pass
        else:
            # cached machine code is read back without numba's registry refresh (0.2-0.3 s of
            # every process's first turn); a cache miss compiles as before
            load_cached_code_without_registries((dispatcher,))
            return dispatcher
    return numba.njit(cache=False, **options)(function)


GROUPED_EU_MAX_SHARE = 0.65
"""Speed only, no effect on results: :func:`expected_utility` groups an issue's actors by equal
position when at most this share of them hold distinct positions; with more, powering every
cell's bases in plain loops is faster. Judgement (ours) from a measurement (2026-12-04, 7 issues
x 18 actors, CPU time of the EU at G distinct positions per issue): grouped 25-28 us at G = 4,
46-49 us at G = 12, 61-63 us at G = 18; every cell 45-47 us at any G. The crossing is at G = 12
of 18. Both forms give the same numbers to the last bit (tests/test_kernel_compiled.py)."""

# Constants shared with sim.kernel (kept equal there; tested).
EU_TOLERANCE = 1e-12
SECURITY_TIE_TOLERANCE = 1e-12
SMALLEST = 5e-324  # the smallest subnormal float, numpy.finfo(float).smallest_subnormal
OUTCOME_NONE = 0
OUTCOME_CONFLICT = 1
OUTCOME_COMPROMISE = 2
OUTCOME_CAPITULATION = 3
OUTCOME_STALEMATE = 4


# ---------------------------------------------------------------------------------------------
# powers base^r = exp(r log base), over whole arrays
#
# The expected utilities need four powers per pair of actors (about 9,000 a round at 18 actors
# and 7 issues). Calls to the C library's log and exp cannot be vectorised and cost most of a
# round, so log and exp are written out here with the textbook method (range reduction to a
# power of two and a short interval, then a polynomial; the power of two is put together in the
# float's exponent bits) in loops of plain arithmetic that the compiler turns into SIMD code.
# Both are accurate to a few units in the last place (relative error below 2e-15 over the
# bases and exponents of the kernel; tests/test_kernel_compiled.py checks them against math).

_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two so that e * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_ROUNDER = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer in the low bits
_SQRT2 = 1.4142135623730951
_EXP_LOW = -708.0  # below this exp is under the smallest normal float: taken as 0
_EXP_HIGH = 709.782712893384  # log of the largest float: above it exp overflows, to inf
_MAX_FLOAT = 1.7976931348623157e308  # the largest finite float


@_jit(contract=True)
def _log_into(v, out, exponent, mantissa_bits):
    """Write log(v) into out (1-D, C-contiguous; the other two are scratch).

    For v a normal positive float (>= 2.2e-308), inf (log inf = inf) or nan (log nan = nan);
    v = 0 gives a finite number that the caller discards. The kernel's bases are 0 or at least 2^-54: each is 0.5 minus a multiple of a
    number below 0.5, clipped at 0, so it is never subnormal.
    """
    n = v.size
    bits = v.view(np.int64)
    for k in range(n):  # v = 2^e * m with m in [1, 2), read off the bits
        b = bits[k]
        exponent[k] = float((b >> 52) - 1023)
        mantissa_bits[k] = (b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000
    mantissa = mantissa_bits.view(np.float64)
    for k in range(n):
        m = mantissa[k]
        big = m > _SQRT2  # m in [sqrt(1/2), sqrt(2)) after halving
        m = m * 0.5 if big else m
        e = exponent[k] + 1.0 if big else exponent[k]
        # log m = 2 atanh f = 2 (f + f^3/3 + f^5/5 + ...), f = (m - 1)/(m + 1), |f| < 0.172
        f = (m - 1.0) / (m + 1.0)
        f2 = f * f
        series = 1.0 / 21.0
        series = series * f2 + 1.0 / 19.0
        series = series * f2 + 1.0 / 17.0
        series = series * f2 + 1.0 / 15.0
        series = series * f2 + 1.0 / 13.0
        series = series * f2 + 1.0 / 11.0
        series = series * f2 + 1.0 / 9.0
        series = series * f2 + 1.0 / 7.0
        series = series * f2 + 1.0 / 5.0
        series = series * f2 + 1.0 / 3.0
        log_m = 2.0 * f + 2.0 * f * f2 * series
        value = e * _LN2_HI + (log_m + e * _LN2_LO)
        # log inf = inf and log nan = nan, as numpy.log (the bits above would give finite
        # numbers: a nan base, from a nan position, made a finite expected utility)
        out[k] = value if v[k] <= _MAX_FLOAT else v[k]


@_jit(contract=True)
def _exp_into(y, out, scale):
    """Write exp(y) into out (1-D, C-contiguous; scale is scratch); 0 below -708, inf above
    709.78 (where numpy's exp overflows too; it was 709, an inf where numpy has 8e307)."""
    n = y.size
    for k in range(n):
        # y = j ln 2 + z with j an integer and |z| <= ln 2 / 2; exp z by its Taylor polynomial
        yk = min(max(y[k], _EXP_LOW), _EXP_HIGH)
        rounded = yk * _INV_LN2 + _ROUNDER
        j = rounded - _ROUNDER
        z = (yk - j * _LN2_HI) - j * _LN2_LO
        poly = 1.0 / 6227020800.0
        poly = poly * z + 1.0 / 479001600.0
        poly = poly * z + 1.0 / 39916800.0
        poly = poly * z + 1.0 / 3628800.0
        poly = poly * z + 1.0 / 362880.0
        poly = poly * z + 1.0 / 40320.0
        poly = poly * z + 1.0 / 5040.0
        poly = poly * z + 1.0 / 720.0
        poly = poly * z + 1.0 / 120.0
        poly = poly * z + 1.0 / 24.0
        poly = poly * z + 1.0 / 6.0
        poly = poly * z + 0.5
        poly = poly * z + 1.0
        poly = poly * z + 1.0
        # 2^j overflows for j = 1024 (y above 709.09 rounds to it): 2 * 2^(j - 1) instead, the
        # same number (the factor 2 is exact); below j = 1000 nothing changes
        high = j > 1000.0
        out[k] = poly * 2.0 if high else poly
        scale[k] = rounded - 1.0 if high else rounded
    bits = scale.view(np.int64)
    for k in range(n):  # 2^j: j sits in the low bits of `rounded`; move it to the exponent
        bits[k] = (bits[k] + 1023) << 52
    for k in range(n):
        value = out[k] * scale[k]
        value = 0.0 if y[k] < _EXP_LOW else value
        value = np.inf if y[k] > _EXP_HIGH else value
        out[k] = value


@_jit(contract=True)
def powers_into(base, r, out, scratch_a, scratch_b, scratch_bits):
    """Write base^r into out, for r > 0 and base 0 or normal (0^r = 0); all 1-D of one size."""
    _log_into(base, scratch_a, scratch_b, scratch_bits)
    for k in range(base.size):
        scratch_a[k] *= r[k]
    _exp_into(scratch_a, out, scratch_b)
    for k in range(base.size):
        out[k] = 0.0 if base[k] == 0.0 else out[k]


# ---------------------------------------------------------------------------------------------
# the cores (same arguments and results as the numpy cores of sim.kernel)


@_jit
def _after(value, key):
    """Whether ``value`` sorts after ``key`` in numpy's order: ascending, every nan last (as
    ``numpy.argsort``), so that an insertion sort with it is numpy's stable sort."""
    return value > key or (value != value and key == key)


@_jit
def _sort_positions(xa, order):
    """Write into ``order`` (n,) the actor indices of one issue's positions ``xa`` (n,) in
    ascending position, numpy's stable order (every nan last): an insertion sort, fast for
    small n."""
    n = xa.shape[0]
    for k in range(n):
        order[k] = k
    for k in range(1, n):
        item = order[k]
        key = xa[item]
        h = k - 1
        while h >= 0 and _after(xa[order[h]], key):
            order[h + 1] = order[h]
            h -= 1
        order[h + 1] = item


@_jit
def _position_groups(xa, order, group, member):
    """Group the actors of one issue by equal position: ``group[k]`` the group of actor k,
    ``member[g]`` one actor of group g, groups in ascending position (an insertion sort into
    ``order``, numpy's order: every nan last). Returns the number of groups. (A nan is a group
    of its own.)"""
    n = xa.shape[0]
    _sort_positions(xa, order)
    groups = 0
    for k in range(n):
        i = order[k]
        if k == 0 or xa[i] != xa[order[k - 1]]:
            member[groups] = i
            groups += 1
        group[i] = groups - 1
    return groups


@_jit
def _distinct_positions(xa):
    """The number of distinct positions in ``xa`` (1-D), a nan counted as one of its own,
    without sorting: without nan, the number of groups that :func:`_position_groups` makes.
    (It chooses the EU's form, which changes no number.)"""
    n = xa.shape[0]
    distinct = 0
    for i in range(n):
        first = True
        for j in range(i):  # without a branch
            first = first & (xa[j] != xa[i])
        distinct += first
    return distinct


@_jit
def win_probability(x, w, clipped):
    """P (m, n, n) from positions x (m, n), weights w = c s (m, n); clipped: the vote rule."""
    m, n = x.shape
    p = np.empty((m, n, n))
    # The support of i against j depends on i and j only through their positions: it is summed
    # once per pair of groups of equal positions (every sum over all k in the order of k), in
    # rows padded to a multiple of 4 so that the inner loop has no scalar remainder (the
    # padding's columns are computed and never read).
    dist = np.zeros(n * ((n + 3) // 4 * 4))  # dist[k * width + h] = |x_h - x_k|, h a group
    support = np.empty(n * ((n + 3) // 4 * 4))  # support[g * width + h]: group g against group h
    chance = np.empty(n * ((n + 3) // 4 * 4))  # P of group g against group h
    wn = np.empty(n)
    order = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    member = np.empty(n, dtype=np.int64)
    for a in range(m):
        top = 0.0
        for k in range(n):
            top = max(top, w[a, k])
        top = max(top, SMALLEST)
        for k in range(n):
            wn[k] = w[a, k] / top
        groups = _position_groups(x[a], order, group, member)
        width = (groups + 3) // 4 * 4
        for k in range(n):
            for h in range(groups):
                dist[k * width + h] = abs(x[a, member[h]] - x[a, k])
        support[: groups * width] = 0.0
        for k in range(n):  # each sum over k in the order of k
            wk = wn[k]
            dk = k * width
            for g in range(groups):
                row = g * width
                dkg = dist[dk + g]
                for h in range(width):  # vectorised over h
                    vote = dist[dk + h] - dkg
                    # numpy.fmax(vote, 0): a nan vote (a nan position) counts as none
                    support[row + h] += wk * (vote if vote > 0.0 else 0.0)
        for g in range(groups):
            for h in range(groups):
                s_gh = support[g * width + h]
                s_hg = support[h * width + g]
                total = max(s_gh + s_hg, SMALLEST)
                if clipped:
                    net = s_gh - s_hg  # numpy.fmax(net, 0): nan (inf - inf) counts as 0
                    chance[g * width + h] = (net if net > 0.0 else 0.0) / total
                else:
                    chance[g * width + h] = (s_gh - s_hg) * 0.5 / total + 0.5
        for i in range(n):
            row = group[i] * width
            for j in range(n):
                p[a, i, j] = chance[row + group[j]]
    return p


@_jit
def forecast(x, w):
    """The weighted median of each issue, shape (m,) (stable order; equal weights if all 0)."""
    m, n = x.shape
    mu = np.empty(m)
    order = np.empty(n, dtype=np.int64)
    for a in range(m):
        _sort_positions(x[a], order)
        total = 0.0
        for k in range(n):
            total += w[a, order[k]]
        equal = not total > 0.0
        if equal:
            total = float(n)
        cumulative = 0.0
        mu[a] = x[a, order[n - 1]]
        for k in range(n):
            if equal:
                cumulative = k + 1.0
            else:
                cumulative += w[a, order[k]]
            if cumulative >= 0.5 * total:
                mu[a] = x[a, order[k]]
                break
    return mu


@_jit
def _distances(x, mu, scale_range):
    """(dist (m, n, n), offset (m, n), within): d = |x_i - x_j| / scale_range, the offset
    |x_i - mu| / scale_range, and whether every one of them is at most 1 (false with a nan)."""
    m, n = x.shape
    dist = np.empty((m, n, n))
    offset = np.empty((m, n))
    within = True
    for a in range(m):
        for i in range(n):
            offset[a, i] = abs(x[a, i] - mu[a])
            if scale_range != 1.0:
                offset[a, i] /= scale_range
            within = within & (offset[a, i] <= 1.0)
            for j in range(n):
                dist[a, i, j] = abs(x[a, i] - x[a, j])
                if scale_range != 1.0:
                    dist[a, i, j] /= scale_range
                within = within & (dist[a, i, j] <= 1.0)
    return dist, offset, within


@_jit
def expected_utility(x, s, p, r, mu, q, t, scale_range, risk_neutral):
    """EU (m, n, n); ``risk_neutral`` means every r = 1 (r is then ignored)."""
    dist, offset, within = _distances(x, mu, scale_range)
    return _expected_utility(x, s, p, r, q, t, risk_neutral, dist, offset, within)


@_jit
def _expected_utility(x, s, p, r, q, t, risk_neutral, dist, offset, within):
    """:func:`expected_utility` from the distances of :func:`_distances` (computed once for
    the risk exponents and the EU of a round)."""
    m, n = x.shape
    nn = n * n
    eu = np.empty((m, n, n))
    slope_e = (1.0 - q) * (1.0 - 2.0 * t)
    qt = (1.0 - q) * t
    qnt = (1.0 - q) * (1.0 - t)
    # As the numpy core: the reduced form where every r = 1 and no base is clipped on any issue.
    reduced = risk_neutral and within
    # The powered bases of one issue. The four bases of cell (i, j) depend on i and on the
    # position x_j alone, and its exponent is r_i: the actors of one position form a group,
    # and the powers are computed once per actor i and group h (not i's own: a pair of equal
    # positions has EU 0, below); the success and failure bases depend on the two positions
    # alone, so their logarithms are taken once per pair of groups. Each power is
    # exp(r_i log base), elementwise, as :func:`powers_into` computes it.
    size = 0 if risk_neutral else 4 * nn
    logged = np.empty(size)  # success, failure (group pairs) | better, worse (actor x group)
    logs = np.empty(size)
    power = np.empty(size)  # success | failure | better | worse, by actor x group
    scratch_a = np.empty(size)
    scratch_b = np.empty(size)
    scratch_bits = np.empty(size, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)  # the group of each actor
    member = np.empty(n, dtype=np.int64)  # one actor of each group
    pair_of = np.empty(nn, dtype=np.int64)  # the pair index of groups (g, h)
    entry = np.empty(nn, dtype=np.int64)  # the entry of actor i and group h: i * n + h
    status_quo = np.empty(n)
    for a in range(m):
        if reduced:
            # U_s = 2 d, U_f = -2 d, U_b = e, U_w = -e, U_sq = 0:
            # EU = 2 d (1 - 2 s_j + 2 s_j P_ij) + (1 - q)(1 - 2 t) e
            for i in range(n):
                for j in range(n):
                    two_s = 2.0 * s[a, j]
                    value = p[a, i, j] * two_s
                    value += 1.0 - two_s
                    value *= dist[a, i, j]
                    value *= 2.0
                    if slope_e != 0.0:
                        value += slope_e * (offset[a, i] + dist[a, i, j])
                    eu[a, i, j] = value
        elif risk_neutral:
            for i in range(n):
                for j in range(n):
                    d = dist[a, i, j]
                    half_d = d * 0.5
                    quarter_e = (offset[a, i] + d) * 0.25
                    success = max(0.5 - half_d, 0.0)
                    better = max(0.5 - quarter_e, 0.0)
                    failure = 0.5 + half_d
                    worse = 0.5 + quarter_e
                    eu[a, i, j] = _combine(
                        success, better, failure, worse, 0.5, p[a, i, j], s[a, j], q, qt, qnt
                    )
        else:
            if _distinct_positions(x[a]) > GROUPED_EU_MAX_SHARE * n:
                # few or no equal positions: every base of every cell powered in one pass
                # (plain loops that vectorise; grouping would cost more than it saves)
                _eu_every_cell(a, x, s, p, r, dist, offset, q, qt, qnt, eu, logged, logs, power, scratch_a, scratch_bits)
                continue
            groups = _position_groups(x[a], order, group, member)
            # logarithms: success and failure per pair of groups, better and worse per actor and
            # other group; d (and so each base) is the same for every actor of a group
            pairs = groups * (groups - 1) // 2
            h = 0
            for g in range(groups):
                pair_of[g * n + g] = 0  # read for the ties, whose EU is then 0
                for g2 in range(g + 1, groups):
                    half_d = dist[a, member[g], member[g2]] * 0.5
                    logged[h] = max(0.5 - half_d, 0.0)  # success
                    logged[pairs + h] = 0.5 + half_d  # failure
                    pair_of[g * n + g2] = h
                    pair_of[g2 * n + g] = h
                    h += 1
            entries = n * (groups - 1)
            c_ = 0
            for i in range(n):
                offset_i = offset[a, i]
                own = group[i]
                entry[i * n + own] = 0  # read for the ties, whose EU is then 0
                for g in range(groups):
                    if g == own:
                        continue
                    entry[i * n + g] = c_
                    quarter_e = (offset_i + dist[a, i, member[g]]) * 0.25
                    logged[2 * pairs + c_] = max(0.5 - quarter_e, 0.0)  # better
                    logged[2 * pairs + entries + c_] = 0.5 + quarter_e  # worse
                    c_ += 1
            size_log = 2 * pairs + 2 * entries
            _log_into(logged[:size_log], logs[:size_log], scratch_a[:size_log], scratch_bits[:size_log])
            c_ = 0
            for i in range(n):
                r_i = r[a, i]
                own = group[i]
                for g in range(groups):
                    if g == own:
                        continue
                    h = pair_of[own * n + g]
                    scratch_a[c_] = logs[h] * r_i
                    scratch_a[entries + c_] = logs[pairs + h] * r_i
                    scratch_a[2 * entries + c_] = logs[2 * pairs + c_] * r_i
                    scratch_a[3 * entries + c_] = logs[2 * pairs + entries + c_] * r_i
                    c_ += 1
            size_exp = 4 * entries
            _exp_into(scratch_a[:size_exp], power[:size_exp], scratch_b[:size_exp])
            for i in range(n):
                status_quo[i] = 0.5 ** r[a, i]
            # every cell without a branch: a cell of i's own group reads entry 0 (set above)
            # and is zeroed as a tie (or nan for a nan position, as the powers would give)
            for i in range(n):
                own = group[i]
                x_i = x[a, i]
                sq = status_quo[i]
                for j in range(n):
                    g = group[j]
                    c_ = entry[i * n + g]
                    h = pair_of[own * n + g]
                    success = 0.0 if logged[h] == 0.0 else power[c_]  # 0^r = 0
                    better = 0.0 if logged[2 * pairs + c_] == 0.0 else power[2 * entries + c_]
                    value = _combine(
                        success, better, power[entries + c_], power[3 * entries + c_],
                        sq, p[a, i, j], s[a, j], q, qt, qnt,
                    )
                    value = np.nan if g == own else value  # a tie, or a nan position
                    # no challenge between equal positions, and no EU made of rounding noise
                    eu[a, i, j] = 0.0 if (x_i == x[a, j]) | (abs(value) <= EU_TOLERANCE) else value
            continue
        # No challenge between equal positions, and no EU made of rounding noise.
        for i in range(n):
            x_i = x[a, i]
            for j in range(n):  # without a branch
                value = eu[a, i, j]
                eu[a, i, j] = 0.0 if (x_i == x[a, j]) | (abs(value) <= EU_TOLERANCE) else value
    return eu


@_jit
def _eu_every_cell(a, x, s, p, r, dist, offset, q, qt, qnt, eu, base, logs, power, scratch_a, scratch_bits):
    """Issue ``a``'s EU with the four bases of every cell powered (the arrays from ``base`` on
    are scratch of at least 4 n^2 entries).

    Each power is exp(r_i log base), elementwise, as :func:`powers_into` computes it (0 for a
    base of 0), in three passes over the issue's cells (logarithms, times r_i, exponentials).
    The same numbers as the grouped form of :func:`expected_utility`, cell by cell: a cell of
    equal positions is 0 (nan for a nan position, whose own cell the grouped form sets to nan).
    """
    n = x.shape[1]
    nn = n * n
    size = 4 * nn
    for i in range(n):  # success | better | failure | worse, by cell
        offset_i = offset[a, i]
        for j in range(n):
            d = dist[a, i, j]
            half_d = d * 0.5
            quarter_e = (offset_i + d) * 0.25
            at = i * n + j
            base[at] = max(0.5 - half_d, 0.0)
            base[nn + at] = max(0.5 - quarter_e, 0.0)
            base[2 * nn + at] = 0.5 + half_d
            base[3 * nn + at] = 0.5 + quarter_e
    _log_into(base[:size], logs[:size], scratch_a[:size], scratch_bits[:size])
    for i in range(n):
        r_i = r[a, i]
        for h in range(4):
            row = h * nn + i * n
            for j in range(n):
                logs[row + j] *= r_i
    _exp_into(logs[:size], power[:size], scratch_a[:size])
    for i in range(n):
        x_i = x[a, i]
        status_quo = 0.5 ** r[a, i]
        for j in range(n):
            at = i * n + j
            value = _combine(  # 0^r = 0
                0.0 if base[at] == 0.0 else power[at],
                0.0 if base[nn + at] == 0.0 else power[nn + at],
                0.0 if base[2 * nn + at] == 0.0 else power[2 * nn + at],
                0.0 if base[3 * nn + at] == 0.0 else power[3 * nn + at],
                status_quo, p[a, i, j], s[a, j], q, qt, qnt,
            )
            value = np.nan if i == j else value  # as the grouped form's own group
            eu[a, i, j] = 0.0 if (x_i == x[a, j]) | (abs(value) <= EU_TOLERANCE) else value


@_jit
def _combine(success, better, failure, worse, status_quo, p_ij, s_j, q, qt, qnt):
    """EU from the powered bases, in the numpy core's order of operations.

    With U = 2 - 4 base^r: EU = 4 (q sq + (1 - q) t better + (1 - q)(1 - t) worse - success
    + k (success - failure)), k = s_j (1 - P_ij).
    """
    k = (1.0 - p_ij) * s_j
    value = (success - failure) * k
    value -= success
    value += qt * better
    value += qnt * worse
    value += q * status_quo
    return value * 4.0


@_jit
def risk_exponents(x, s, p, mu, q, t, scale_range):
    """Risk exponents (m, n) from the securities, computed with every r = 1."""
    dist, offset, within = _distances(x, mu, scale_range)
    return _risk_exponents(x, s, p, q, t, dist, offset, within)


@_jit
def _risk_exponents(x, s, p, q, t, dist, offset, within):
    """:func:`risk_exponents` from the distances of :func:`_distances`."""
    m, n = x.shape
    eu = _expected_utility(x, s, p, np.ones((1, 1)), q, t, True, dist, offset, within)
    r = np.empty((m, n))
    security = np.empty(n)
    for a in range(m):
        for k in range(n):
            total = 0.0
            for j in range(n):
                total += eu[a, j, k]
            security[k] = total
        high = security.max()
        low = security.min()
        spread = high - low
        if spread <= SECURITY_TIE_TOLERANCE * max(1.0, max(high, -low)):
            r[a, :] = 1.0
            continue
        for k in range(n):
            big_r = 2.0 * security[k]
            big_r -= high + low
            big_r /= spread
            big_r = min(max(big_r, -1.0), 1.0)
            r[a, k] = (3.0 - big_r) / (3.0 + big_r)
    return r


@_jit
def _respond_one(a, b):
    """(outcome code, fraction) of a target with stake b against a challenger expecting a."""
    if not a > 0.0:
        return OUTCOME_NONE, 0.0
    stake = abs(b)
    weaker = stake < a - EU_TOLERANCE or b == 0.0
    if b > 0.0:
        if weaker:
            return OUTCOME_CONFLICT, 1.0
        return OUTCOME_STALEMATE, 0.0
    if weaker:
        return OUTCOME_COMPROMISE, stake / a
    return OUTCOME_CAPITULATION, 1.0


@_jit
def respond(a, b):
    """Outcome codes (int8) and fractions for flat arrays a (challenger) and b (target)."""
    outcome = np.empty(a.size, dtype=np.int8)
    fraction = np.empty(a.size)
    for k in range(a.size):
        code, share = _respond_one(a[k], b[k])
        outcome[k] = code
        fraction[k] = share
    return outcome, fraction


@_jit
def resolve(x, eu, offers, effectiveness, tiebreak):
    """Return new_x, challenger (int64, -1 for none), outcome (int8), fraction; all (m, n)."""
    return _resolve(x, eu, offers, effectiveness, tiebreak, False)


@_jit
def _resolve(x, eu, offers, effectiveness, tiebreak, classic):
    """Resolve the offers of every target.

    ``classic``: every positive EU is an offer at full effectiveness (the classic round);
    ``offers`` and ``effectiveness`` are then not read.
    """
    m, n = x.shape
    new_x = x.copy()
    challenger = np.full((m, n), -1, dtype=np.int64)
    outcome = np.zeros((m, n), dtype=np.int8)
    fraction = np.zeros((m, n))
    best_eu = np.empty(n)
    best_gap = np.empty(n)
    best_tie = np.empty(n)
    for a in range(m):
        best = challenger[a]  # -1 until a target has an offer
        # Each target j keeps its best offer so far: highest EU, then nearest, then highest
        # tiebreak draw; challengers in index order, so exact ties of all three keep the first.
        for i in range(n):
            xi = x[a, i]
            for j in range(n):
                value = eu[a, i, j]
                if not value > 0.0:
                    continue
                if not classic and not offers[a, i, j]:
                    continue
                gap = abs(xi - x[a, j])
                tie = tiebreak[a, i, j]
                if best[j] == -1 or value > best_eu[j] or (
                    value == best_eu[j]
                    and (gap < best_gap[j] or (gap == best_gap[j] and tie > best_tie[j]))
                ):
                    best[j] = i
                    best_eu[j] = value
                    best_gap[j] = gap
                    best_tie[j] = tie
        for j in range(n):
            i = best[j]
            if i == -1:
                continue
            code, share = _respond_one(best_eu[j], eu[a, j, i])
            if code == OUTCOME_COMPROMISE and not classic:
                share *= effectiveness[a, i, j]
            xi = x[a, i]
            xj = x[a, j]
            if share == 1.0:
                moved = xi
            else:
                moved = xj + share * (xi - xj)
                moved = min(max(moved, min(xj, xi)), max(xj, xi))
            new_x[a, j] = moved
            outcome[a, j] = code
            fraction[a, j] = share
    return new_x, challenger, outcome, fraction


@_jit
def bargaining_round(x, w, s, tiebreak, q, t, scale_range, clipped):
    """One classic round: (new_x, mu, r, eu, challenger, outcome, fraction)."""
    mu = forecast(x, w)
    p = win_probability(x, w, clipped)
    dist, offset, within = _distances(x, mu, scale_range)
    r = _risk_exponents(x, s, p, q, t, dist, offset, within)
    neutral = True
    for value in r.ravel():
        if value != 1.0:
            neutral = False
            break
    eu = _expected_utility(x, s, p, r, q, t, neutral, dist, offset, within)
    no_offers = np.empty((0, 0, 0), dtype=np.bool_)
    no_effectiveness = np.empty((0, 0, 0))
    new_x, challenger, outcome, fraction = _resolve(
        x, eu, no_offers, no_effectiveness, tiebreak, True
    )
    return new_x, mu, r, eu, challenger, outcome, fraction


# ---------------------------------------------------------------------------------------------
# the turn's array work around the kernel


@_jit
def route_table(value, channel, cell, carries, caucus):
    """(eff, chan), both (m, n, n): the best route of every cell; see sim.kernel.route_table."""
    m, n = caucus.shape[0], caucus.shape[1]
    size = m * n * n
    eff = np.zeros(size)
    best = np.zeros(size, np.int64)
    seen = np.zeros(size, np.bool_)
    for p in range(value.size):
        k = channel[p]
        for q in range(m):
            v = value[p] * carries[k, q]
            c = q * n * n + cell[p]
            if not seen[c] or v > eff[c] or (v == eff[c] and k < best[c]):
                seen[c] = True
                eff[c] = v
                best[c] = k
    chan = np.empty(size, np.int64)
    flat = caucus.ravel()
    for c in range(size):
        code = best[c] if eff[c] > 0.0 else -2
        if flat[c] > eff[c]:
            code = -1
            eff[c] = flat[c]
        chan[c] = code
    return eff.reshape(m, n, n), chan.reshape(m, n, n)


@_jit
def challenge_utilities(x, c, s, r, q, t, endogenous):
    """(mu (m,), r (m, n), eu (m, n, n)): forecast, risk exponents and expected utilities on a
    scale of length 1, the cores above called in turn; see sim.kernel.challenge_utilities."""
    m, n = x.shape
    w = np.empty((m, n))
    for a in range(m):
        for k in range(n):
            w[a, k] = c[k] * s[a, k]
    mu = forecast(x, w)
    p = win_probability(x, w, False)
    dist, offset, within = _distances(x, mu, 1.0)
    if endogenous:
        r = _risk_exponents(x, s, p, q, t, dist, offset, within)
    neutral = True
    for a in range(m):
        for k in range(n):
            if r[a, k] != 1.0:
                neutral = False
    eu = _expected_utility(x, s, p, r, q, t, neutral, dist, offset, within)
    return mu, r, eu


# ---------------------------------------------------------------------------------------------
# a turn's challenges and talks in one call each (sim.phases.decide.challenges,
# sim.phases.bargain.bargain); their numpy and plain-Python forms are the oracles
# (tests/test_bargain_fast.py)


@_jit
def challenge_scores(position, c, salience, risk, q, t, endogenous, dec, eff, rebuff, cost, keep):
    """The turn's challenges (:func:`sim.phases.decide.challenges`) in one call.

    Args:
        position, salience: (n, m) the state's positions and the effective saliences.
        c, risk: (n,) capabilities and the scenario's risk exponents (read unless
            ``endogenous``).
        dec, eff, rebuff: (m, n, n) decisiveness, route effectiveness and rebuffs.
        cost: ``ai.proposal_cost`` (scores not above it are 0 when it is positive).
        keep: how many of each proposer's best cells to rank.

    Returns:
        ``(mu (m,), eu (m, n, n), score (m, n, n), flat (n, m n), ranked (n, min(keep, m n)))``:
        the numbers of :func:`challenge_utilities` and of the scores, each product in the numpy
        form's order; ``ranked`` is the stable descending order of ``flat``, cut at ``keep``.
    """
    n, m = position.shape
    x = np.empty((m, n))
    s = np.empty((m, n))
    r = np.empty((m, n))
    for a in range(m):
        for k in range(n):
            x[a, k] = position[k, a]
            s[a, k] = salience[k, a]
            r[a, k] = 1.0 if endogenous else risk[k]
    mu, r, eu = challenge_utilities(x, c, s, r, q, t, endogenous)
    score = np.empty((m, n, n))
    flat = np.empty((n, m * n))
    finite = True  # no nan among the scores (nan only from nan inputs)
    for a in range(m):
        for i in range(n):
            s_ai = s[a, i]
            for j in range(n):
                e = eu[a, i, j]
                f = eff[a, i, j]
                value = 0.0
                if e > 0.0 and f > 0.0:
                    value = e * s_ai * dec[a, i, j] * f * (1.0 - min(rebuff[a, i, j], 1.0))
                    finite = finite and value == value
                score[a, i, j] = value
                if cost > 0.0 and not value > cost:
                    value = 0.0
                flat[i, a * n + j] = value
    return mu, eu, score, flat, _rank(flat, min(keep, m * n), finite)


@_jit
def _rank(flat, width, finite):
    """(n, width) int64: each row's cells best first, the lowest index first at a tie (a
    stable descending sort cut at ``width``). Without nan (``finite``), in one pass per row
    that keeps the best ``width`` so far in order; with nan, by repeated selection of the
    highest value not yet taken, nan never higher than anything."""
    n, size = flat.shape
    ranked = np.empty((n, width), dtype=np.int64)
    if width <= 0:
        return ranked
    if finite:
        for i in range(n):
            row = flat[i]
            kept = ranked[i]
            count = 0
            for c_ in range(size):
                v = row[c_]
                if count == width and not v > row[kept[width - 1]]:
                    continue  # not above the last kept: later cells lose ties
                h = count if count < width else width - 1
                while h > 0 and v > row[kept[h - 1]]:  # after every kept value >= v
                    kept[h] = kept[h - 1]
                    h -= 1
                kept[h] = c_
                if count < width:
                    count += 1
        return ranked
    taken = np.zeros(size, dtype=np.bool_)
    for i in range(n):
        row = flat[i]
        taken[:] = False
        for h in range(width):
            best = -1
            for c_ in range(size):  # the highest value not yet taken, the lowest index at a tie
                if not taken[c_] and (best < 0 or row[c_] > row[best]):
                    best = c_
            taken[best] = True
            ranked[i, h] = best
    return ranked


# indices into talks's ``params`` (float64) array
T_RESOLVE = 0  # dynamics talks.resolve
T_DISTRUST = 1  # dynamics talks.distrust
T_MAX_STEP = 2  # dynamics talks.max_step
T_HOLD = 3  # dynamics talks.disputes_hold (> 0: a dispute holds)
T_AGREE = 4  # the tension change of an agreement, -dynamics tension_agreement
T_CONFLICT = 5  # the tension change of a dispute or stalemate, dynamics tension_conflict
T_DEALS = 6  # > 0: agreements between deciders make deals
T_CLIP = 7  # > 0: the new positions clipped to [0, 1] here (nothing else moves them this turn)
T_SIZE = 8
REBUFF_CAP = 3.0  # sim.phases.bargain.REBUFF_CAP (kept equal there; tested)


OPEN = 0  # sim.channels.OPEN (kept equal there; tested)
PROPOSAL_SKIPPED = 0  # no positive EU, or no route: nothing happens
PROPOSAL_OFFER = 1  # an offer the kernel resolves
PROPOSAL_NO_CHANNEL = 2  # its channel is no longer open or effective: logged and rebuffed
PROPOSAL_BLOC = 3  # to a member of the bloc at the channel's end: the bloc answers
PROPOSAL_HUMAN = 4  # to a human actor: waits for an answer


@_jit
def gate(proposals, eu, status, ch_pair, ch_eff, bloc_end, members, caucus, human, offers, effm):
    """What becomes of each proposal (the ``PROPOSAL_*`` codes), in the order and by the tests of
    :func:`sim.phases.bargain.bargain`; the offers (bool) and the best effectiveness of each
    offered cell are written into ``offers`` and ``effm`` (m, n, n), which start at 0.

    Args:
        proposals: (P, 5) float ``(proposer, issue, target, channel code, EU)`` as
            :data:`sim.phases.decide.Proposal`.
        status, ch_eff, bloc_end: (K,) channel status codes, effectiveness and bloc endpoint.
        ch_pair: (K, n, n) bool; members: (B, n) bool; caucus: (m, n, n); human: (n,) bool.
    """
    codes = np.zeros(proposals.shape[0], dtype=np.int64)
    for p in range(proposals.shape[0]):
        i = int(proposals[p, 0])
        k = int(proposals[p, 1])
        j = int(proposals[p, 2])
        ch = int(proposals[p, 3])
        if eu[k, i, j] <= 0:
            continue
        if ch >= 0:
            if status[ch] != OPEN or not ch_pair[ch, i, j] or ch_eff[ch] <= 0:
                codes[p] = PROPOSAL_NO_CHANNEL
                continue
            e_ch = ch_eff[ch]
            b = bloc_end[ch]
            if b >= 0 and members[b, j]:
                codes[p] = PROPOSAL_BLOC
                continue
        else:
            e_ch = caucus[k, i, j] if ch == -1 else 0.0
            if e_ch <= 0:
                continue
        if human[j]:
            codes[p] = PROPOSAL_HUMAN
            continue
        codes[p] = PROPOSAL_OFFER
        offers[k, i, j] = True
        if e_ch > effm[k, i, j]:
            effm[k, i, j] = e_ch
    return codes


@_jit
def talks(position, eu, offers, effm, tiebreak, salience, tension, params, tension_delta, rebuff, deciders, listed):
    """The kernel's answers of a turn's talks, settled and counted (:func:`sim.phases.bargain.bargain`).

    :func:`resolve` on the offers, then per resolved target, by issue and then target (the
    order of ``numpy.nonzero``), :func:`sim.phases.bargain.settle_steps` and the numbers of
    :func:`sim.phases.bargain.record_outcomes` (tension changes into ``tension_delta``, rebuffs
    into ``rebuff``, both updated in place, in that order), on the same IEEE operations in the
    same order.

    Args:
        position, salience: (n, m) positions before the talks and effective saliences.
        eu, offers, effm, tiebreak: (m, n, n) as for :func:`resolve`.
        tension: (n, n) the state's tensions; tension_delta (n, n) the turn's changes.
        params: (T_SIZE,) float64, indexed by the ``T_*`` constants.
        rebuff: (m, n, n) rebuffs; deciders (m, n) bool; listed (m,) bool: decided by states.

    Returns:
        ``(pos, cells, numbers, counts)``: the new positions (n, m); per resolved cell
        ``(issue, target, challenger, outcome, deal)`` (r, 5) int64 and ``(share moved,
        position before, position after)`` (r, 3); ``(agreements, conflicts, disputes)``.
    """
    n, m = position.shape
    x = np.empty((m, n))
    for a in range(m):
        for k in range(n):
            x[a, k] = position[k, a]
    new_x, challenger, outcome, fraction = _resolve(x, eu, offers, effm, tiebreak, False)
    resolve_ = params[T_RESOLVE]
    distrust = params[T_DISTRUST]
    max_step = params[T_MAX_STEP]
    hold = params[T_HOLD] > 0.0
    d_agree = params[T_AGREE]
    d_conflict = params[T_CONFLICT]
    deals = params[T_DEALS] > 0.0
    r = 0
    for a in range(m):
        for j in range(n):
            if challenger[a, j] >= 0:
                r += 1
    cells = np.empty((r, 5), dtype=np.int64)
    numbers = np.empty((r, 3))
    counts = np.zeros(3, dtype=np.int64)
    h = 0
    for a in range(m):
        for j in range(n):
            i = challenger[a, j]
            if i < 0:
                continue
            oc = outcome[a, j]
            # settle_steps
            scale = (1.0 - resolve_ * salience[j, a]) * (1.0 - distrust * tension[i, j])
            if oc == OUTCOME_CONFLICT or oc == OUTCOME_CAPITULATION:
                scale = scale * effm[a, i, j]
            if hold and oc == OUTCOME_CONFLICT:
                scale = 0.0
            x_j = x[a, j]
            moved = x_j + (new_x[a, j] - x_j) * scale
            # Python's max(a, b) and min(a, b), which keep a unless b is strictly beyond it
            step = moved - x_j
            step = -max_step if -max_step > step else step
            step = max_step if max_step < step else step
            after = x_j + step
            gap = abs(x[a, i] - x_j)
            share = abs(after - x_j) / (1e-12 if 1e-12 > gap else gap) if gap > 0 else 0.0
            new_x[a, j] = after
            # record_outcomes
            deal = 0
            if oc == OUTCOME_COMPROMISE or oc == OUTCOME_CAPITULATION:
                counts[0] += 1
                tension_delta[i, j] += d_agree
                tension_delta[j, i] += d_agree
                if deals and listed[a] and deciders[a, i] and deciders[a, j] and abs(after - x_j) > 1e-9:
                    deal = 1
            elif oc == OUTCOME_CONFLICT or oc == OUTCOME_STALEMATE:
                counts[1] += 1
                if oc == OUTCOME_CONFLICT:
                    counts[2] += 1
                tension_delta[i, j] += d_conflict
                tension_delta[j, i] += d_conflict
                more = rebuff[a, i, j] + 1.0
                rebuff[a, i, j] = REBUFF_CAP if REBUFF_CAP < more else more
            cells[h, 0] = a
            cells[h, 1] = j
            cells[h, 2] = i
            cells[h, 3] = oc
            cells[h, 4] = deal
            numbers[h, 0] = share
            numbers[h, 1] = x_j
            numbers[h, 2] = after
            h += 1
    pos = np.empty((n, m))
    clip = params[T_CLIP] > 0.0
    for k in range(n):
        for a in range(m):
            v = new_x[a, k]
            if clip:  # numpy.maximum(v, 0.0), then numpy.minimum(v, 1.0)
                v = v if v > 0.0 else 0.0
                v = v if v < 1.0 else 1.0
            pos[k, a] = v
    return pos, cells, numbers, counts


@_jit
def proposal_rows(ranked, flat, ai_mask, per_turn, chan, eu):
    """The AI actors' challenges (:func:`sim.phases.decide.ai_proposals`): each AI actor's
    first ``per_turn`` ranked cells whose score is positive, by actor, best first.

    Args:
        ranked: (n, r) int cells ``issue * n + target`` best first; flat: (n, m n) scores.
        ai_mask: (n,) bool; chan: (m, n, n) int routes; eu: (m, n, n) expected utilities.

    Returns:
        ``(rows, eus)``: (P, 4) int64 ``(proposer, issue, target, channel code)`` and (P,) EU.
    """
    n = ranked.shape[0]
    nn = chan.shape[2]
    width = min(per_turn, ranked.shape[1])
    rows = np.empty((n * width, 4), dtype=np.int64)
    eus = np.empty(n * width)
    h = 0
    for i in range(n):
        if not ai_mask[i]:
            continue
        for q in range(width):
            cell = ranked[i, q]
            if flat[i, cell] > 0:
                k = cell // nn
                j = cell - k * nn
                rows[h, 0] = i
                rows[h, 1] = k
                rows[h, 2] = j
                rows[h, 3] = chan[k, i, j]
                eus[h] = eu[k, i, j]
                h += 1
    return rows[:h], eus[:h]

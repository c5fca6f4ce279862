"""The expected-utility bargaining kernel, vectorised over issues and actors (docs/model.md 7.4).

Bueno de Mesquita's expected-utility model of group decisions in the formulation of Scholz,
Calbert and Smith (2011), "Unravelling Bueno de Mesquita's group decision model", Journal of
Theoretical Politics 23(4) (cited below as *SCS 2011*), written as pure functions over numpy
arrays: no Mesa, no I/O, no global random state. The model draws every random number from its
own seeded generator and hands it in (:func:`bargaining_round` takes ``rng``; :func:`resolve`
takes the draws themselves).

Every array is batched over issues: the leading axis is the issue (``m`` of them), the next
one or two axes are actors (``n`` of them, in id order). A pair table ``T`` of shape
``(m, n, n)`` reads ``T[issue, i, j]`` = "i against j" (i challenges, j is challenged).

Units: positions are points on the issue scale (``[0, 1]`` in this project; ``scale_range`` is
the length of that scale), saliences are shares of attention in ``[0, 1]``, capabilities are
non-negative numbers on any common scale (only ratios matter), utilities are the dimensionless
values of SCS 2011 in ``[-2, 2]``, and expected utilities are differences of those.

Inputs are trusted to be finite and in range (the scenario loader validates them once, at the
edge); the functions here check shapes only and raise :class:`ValueError` on a mismatch.
Degenerate inputs (all positions equal, zero capabilities, zero saliences, one actor) give
finite numbers, never NaN or inf. Inputs outside that contract give the same results with
either backend (``tests/test_kernel_compiled.py``): a nan position casts no vote (its votes
count as 0), sorts last in the forecast, has nan expected utilities in its row and column and
makes every security and so every risk exponent of its issue nan (in a round nobody on that
issue makes an offer or moves); positions so far apart that a distance or a power overflows
give inf or nan where numpy's arithmetic does.

The public functions below check shapes and then hand their arrays to one of two
implementations of the same formulas (the *backend*): the numpy cores at the end of this module,
and the same cores compiled with numba (:mod:`sim.kernel_compiled`, several times faster and
the default). The two agree on every discrete outcome and to 1e-12 on every number
(``tests/test_kernel_compiled.py``); :func:`using_backend` picks one for a block of code and
the environment variable ``GREATPOWER_KERNEL`` (``compiled`` or ``numpy``) for a process. If
numba cannot be imported, or its disk cache fails at run time, the numpy cores are used and a
:class:`RuntimeWarning` says so.

:mod:`tests.reference_kernel` holds the same kernel in plain Python loops: it is the test
oracle, and ``benchmarks/bench_kernel.py`` reports the speed ratios between the three.
"""

from __future__ import annotations

import contextlib
import os
import types
import warnings
from collections.abc import Iterator

import numpy as np

__all__ = [
    "BACKENDS",
    "BACKEND_ENV",
    "OUTCOME_CAPITULATION",
    "OUTCOME_COMPROMISE",
    "OUTCOME_CONFLICT",
    "OUTCOME_NAMES",
    "OUTCOME_NONE",
    "OUTCOME_STALEMATE",
    "EU_TOLERANCE",
    "SECURITY_TIE_TOLERANCE",
    "VOTE_CLIPPED",
    "VOTE_POSITIVE",
    "VOTE_RULES",
    "backend",
    "bargaining_round",
    "challenge_utilities",
    "expected_utility",
    "force_table",
    "forecast",
    "resolve",
    "respond",
    "risk_exponents",
    "route_table",
    "using_backend",
    "win_probability",
]

OUTCOME_NONE = 0
"""No challenge reached the target (int8 code)."""
OUTCOME_CONFLICT = 1
"""Both expect to gain from a fight; the target, expecting less, loses and moves fully."""
OUTCOME_COMPROMISE = 2
"""The target expects to lose less than the challenger gains; it moves part of the way."""
OUTCOME_CAPITULATION = 3
"""The target expects to lose at least what the challenger gains; it moves fully."""
OUTCOME_STALEMATE = 4
"""Both expect to win and the target expects at least as much; nobody moves."""
OUTCOME_NAMES = ("none", "conflict", "compromise", "capitulation", "stalemate")
"""Names of the outcome codes, indexed by code."""

EU_TOLERANCE = 1e-12
"""Rounding allowance for expected utilities, which are sums of terms of size up to 4.

:func:`expected_utility` returns exactly 0 where ``|EU| <= EU_TOLERANCE`` (otherwise a
challenge, even a capitulation, could come from rounding alone: with no capability anywhere
every EU is 0 on paper), and :func:`respond` treats stakes closer than this as equal.
"""

SECURITY_TIE_TOLERANCE = 1e-12
"""Relative spread of securities below which all actors of an issue count as equally secure.

Securities are sums of floating-point expected utilities, so a configuration that is exactly
symmetric on paper can differ in the last bits; without a tolerance that rounding noise would
be stretched to the full range ``R = -1 .. 1`` and give ``r = 2`` and ``r = 0.5``.
"""

VOTE_POSITIVE = "positive"
"""The positive-vote rule (SCS 2011; docs/model.md 7.4), the default.

``P_ij = (sum of the positive votes v_k) / (sum of all |v_k|)``, so ``P_ij + P_ji = 1``:
a contest's two sides share the probability in proportion to the votes each receives.
"""
VOTE_CLIPPED = "clipped"
"""The clipped-sum rule of public replications (Masad 2014, ``GroupDecisionModel.py``).

``P_ij = max(0, sum of all v_k) / (sum of all |v_k|)``: the net vote, clipped at 0. Only the
side with the larger net support has a positive probability, ``P_ij + P_ji = |net| / total
<= 1``, and where the votes balance (or nobody votes) both sides get 0. Equal to
``max(0, 2 P_ij - 1)`` with ``P_ij`` from :data:`VOTE_POSITIVE`.
"""
VOTE_RULES = (VOTE_POSITIVE, VOTE_CLIPPED)
"""The vote rules that :func:`win_probability` accepts (its ``vote_rule`` argument)."""

# The smallest positive float, a floor for denominators that are 0 only with their numerators.
_SMALLEST = float(np.finfo(float).smallest_subnormal)
# Fraction of the way a target moves for each outcome code, before the compromise share.
_FULL_MOVE = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
# Outcome code by case = 2 * (target expects a gain) + (target's stake |EU_j(i)| < EU_i(j)).
_OUTCOME_BY_CASE = np.array(
    [OUTCOME_CAPITULATION, OUTCOME_COMPROMISE, OUTCOME_STALEMATE, OUTCOME_CONFLICT], dtype=np.int8
)


# --------------------------------------------------------------------------------------------
# backends: the numpy cores (end of this module) or the compiled ones (sim.kernel_compiled)

BACKENDS = ("compiled", "numpy")
"""Names of the implementations of the kernel's numeric cores, the default first."""
BACKEND_ENV = "GREATPOWER_KERNEL"
"""Environment variable naming the backend of a process (one of :data:`BACKENDS`)."""

_active: types.ModuleType | types.SimpleNamespace | None = None
_active_name = ""


def _numpy_cores() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        win_probability=_np_win_probability,
        forecast=_np_forecast,
        expected_utility=_np_expected_utility,
        risk_exponents=_np_risk_exponents,
        respond=_np_respond,
        resolve=_np_resolve,
        bargaining_round=_np_bargaining_round,
        route_table=_np_route_table,
        challenge_utilities=_np_challenge_utilities,
        force_table=_np_force_table,
    )


def _compiled_force_table(*args):
    """The force table's compiled core, :func:`sim.phases.policy_compiled.force_table` (kept
    beside the policy's compiled scoring, which calls it; numba's disk cache does not follow a
    compiled call into another file). Imported at the first call, so that the kernel imports
    and runs without the phases."""
    from sim.phases import policy_compiled

    return policy_compiled.force_table(*args)


def _select(name: str) -> None:
    """Make ``name`` the active backend; the compiled one falls back to numpy with a warning."""
    global _active, _active_name
    if name not in BACKENDS:
        raise ValueError(f"kernel backend must be one of {BACKENDS}; got {name!r}")
    if name == "compiled":
        try:
            from sim import kernel_compiled
        except ImportError as error:  # numba missing or broken: the numpy cores still work
            warnings.warn(
                f"compiled kernel unavailable ({error}); using the numpy kernel",
                RuntimeWarning,
                stacklevel=3,
            )
            name = "numpy"
        else:
            cores = {core: getattr(kernel_compiled, core) for core in vars(_numpy_cores()) if core != "force_table"}
            _active, _active_name = types.SimpleNamespace(**cores, force_table=_compiled_force_table), name
            return
    _active, _active_name = _numpy_cores(), name


def backend() -> str:
    """Name of the active backend, one of :data:`BACKENDS`.

    The first call (or the first kernel call) chooses it from ``GREATPOWER_KERNEL``, default
    ``"compiled"`` (an unknown value gives a :class:`RuntimeWarning` and the default);
    importing numba and loading the compiled code happen then, not when this module is
    imported.
    """
    if _active is None:
        name = os.environ.get(BACKEND_ENV) or BACKENDS[0]
        if name not in BACKENDS:
            warnings.warn(
                f"{BACKEND_ENV}={name!r} is not one of {BACKENDS}; using {BACKENDS[0]!r}",
                RuntimeWarning,
                stacklevel=2,
            )
            name = BACKENDS[0]
        _select(name)
    return _active_name


@contextlib.contextmanager
def using_backend(name: str) -> Iterator[str]:
    """Run the kernel with backend ``name`` inside a ``with`` block, then restore the previous.

    Args:
        name: one of :data:`BACKENDS`.

    Yields:
        The name of the backend in use (``"numpy"`` if ``"compiled"`` was asked for and numba
        is unavailable).

    Raises:
        ValueError: if ``name`` is not one of :data:`BACKENDS`.
    """
    global _active, _active_name
    backend()
    previous = (_active, _active_name)
    _select(name)
    try:
        yield _active_name
    finally:
        _active, _active_name = previous


def _run(core: str, *args):
    """Call the active backend's core ``core``.

    If the compiled core fails on disk I/O (its cache), switch to the numpy cores for the rest
    of the process, with a warning, so that a cache problem never stops a run.
    """
    if _active is None:
        backend()
    try:
        return getattr(_active, core)(*args)
    except OSError as error:
        if _active_name == "numpy":
            raise
        warnings.warn(
            f"compiled kernel failed on its disk cache ({error}); using the numpy kernel",
            RuntimeWarning,
            stacklevel=3,
        )
        _select("numpy")
        return getattr(_active, core)(*args)


_FAILED: set[str] = set()
"""The compiled phase modules that failed on their disk cache in this process (their names)."""


def phase_compiled(module: str) -> bool:
    """Whether the phase code of the compiled module ``module`` runs compiled.

    The phases' compiled modules (``sim.phases.perceive_compiled``,
    ``sim.phases.policy_compiled``, ``sim.phases.update_compiled``) run when the kernel's
    backend is ``"compiled"`` (:func:`backend`) and the module has not failed on its disk
    cache in this process (:func:`phase_failed`); the numpy forms give the same numbers.

    Args:
        module: the compiled module's full name, e.g. ``"sim.phases.update_compiled"``.
    """
    if _active is None:
        backend()
    return _active_name == "compiled" and module not in _FAILED


def phase_failed(module: str, message: str, error: OSError, stacklevel: int = 2) -> None:
    """The compiled module ``module`` failed on its disk cache: every phase that uses it runs
    its numpy form for the rest of the process (:func:`phase_compiled` is then false), and a
    :class:`RuntimeWarning` says so.

    Args:
        module: the compiled module's full name.
        message: the warning, with ``{error}`` where the error is named (e.g. ``"compiled
            perception failed on its disk cache ({error}); using numpy"``).
        error: the error raised by the compiled call.
        stacklevel: as :func:`warnings.warn`'s, counted from the caller of this function
            (2, the default: the warning names the line that called the caller).
    """
    _FAILED.add(module)
    warnings.warn(message.format(error=error), RuntimeWarning, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------------------------
# shape checks


def _positions(x: np.ndarray) -> np.ndarray:
    """Return ``x`` as a float array of shape (m, n) with n >= 1, or raise ValueError."""
    x = np.ascontiguousarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"positions x must have shape (issues m, actors n); got shape {x.shape}")
    if x.shape[1] < 1:
        raise ValueError("positions x must hold at least one actor (n >= 1); got n = 0")
    return x


def _per_actor(name: str, a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return ``a`` as a C-contiguous float array of ``shape`` (m, n), or raise ValueError."""
    a = np.ascontiguousarray(a, dtype=float)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape (m, n) = {shape} like x; got {a.shape}")
    return a


def _capability(c: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return capability ``c`` of shape (n,) or (m, n) as a (1, n) or (m, n) array.

    Either broadcasts against an (m, n) array (a (1, n) view is much cheaper to make than a
    broadcast (m, n) one). Raises ValueError for any other shape.
    """
    c = np.asarray(c, dtype=float)
    if c.shape == shape[1:]:
        return c.reshape(1, shape[1])
    if c.shape != shape:
        raise ValueError(
            f"capability c must have shape (n,) = {shape[1:]} or (m, n) = {shape} like x; "
            f"got {c.shape}"
        )
    return c


def _per_pair(name: str, a: np.ndarray, shape: tuple[int, int], dtype: type = float) -> np.ndarray:
    """Return ``a`` as a C-contiguous array of shape (m, n, n) for positions of ``shape``."""
    a = np.ascontiguousarray(a, dtype=dtype)
    m, n = shape
    if a.shape != (m, n, n):
        raise ValueError(f"{name} must have shape (m, n, n) = {(m, n, n)}; got {a.shape}")
    return a


def _per_issue(name: str, a: np.ndarray, m: int) -> np.ndarray:
    """Return ``a`` as a C-contiguous float array of shape (m,), or raise ValueError."""
    a = np.ascontiguousarray(a, dtype=float)
    if a.shape != (m,):
        raise ValueError(
            f"{name} must have shape (m,) = {(m,)}, one value per issue; got {a.shape}"
        )
    return a


def _check_scale_range(scale_range: float) -> float:
    """Return ``scale_range`` as a float, or raise ValueError if it is not positive."""
    scale_range = float(scale_range)
    if not scale_range > 0:
        raise ValueError(
            f"scale_range must be positive (length of the issue scale); got {scale_range}"
        )
    return scale_range


def _check_vote_rule(vote_rule: str) -> str:
    """Return ``vote_rule`` if it is one of VOTE_RULES, or raise ValueError."""
    if vote_rule not in VOTE_RULES:
        raise ValueError(f"vote_rule must be one of {VOTE_RULES}; got {vote_rule!r}")
    return vote_rule


def _normalised_weights(w: np.ndarray) -> np.ndarray:
    """Divide each issue's weights by their largest value; rows of zeros stay zeros."""
    return w / np.maximum(w.max(axis=1, keepdims=True), _SMALLEST)


# --------------------------------------------------------------------------------------------
# the model


def win_probability(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, *, vote_rule: str = VOTE_POSITIVE
) -> np.ndarray:
    """Probability that i prevails over j in a contest decided by everyone's votes.

    Every actor k casts the vote ``v_k = c_k s_k (|x_k - x_j| - |x_k - x_i|)`` (positive for i,
    the closer of the two to k). Two rules of the literature turn the votes into ``P_ij``:

    - :data:`VOTE_POSITIVE` (default): ``P_ij = sum of the positive v_k / sum of all |v_k|``
      (SCS 2011, the probability of success; docs/model.md 7.4). Hence ``P_ij + P_ji = 1``.
      Where every vote is zero (i and j at the same position, or nobody with weight
      ``c_k s_k > 0`` tells them apart) ``P_ij = 0.5``; in particular the diagonal is 0.5.
    - :data:`VOTE_CLIPPED`: ``P_ij = max(0, sum of all v_k) / sum of all |v_k|``, the net
      vote clipped at 0, as in the public replication of Masad (2014,
      ``GroupDecisionModel.py``, ``calculate_prob``). The side that loses the net vote gets
      0; where every vote is zero, or the votes balance, both sides get 0 (the diagonal is 0).

    Capabilities enter only through ratios, so their scale does not matter (they are divided
    by the largest weight of each issue, which keeps every sum finite).

    Args:
        x: positions, shape (m, n), on the issue scale (in [0, 1]).
        c: capabilities, shape (n,) (the same on every issue) or (m, n); >= 0, any scale.
        s: saliences, shape (m, n), in [0, 1].
        vote_rule: one of :data:`VOTE_RULES` (keyword only).

    Returns:
        P of shape (m, n, n), float in [0, 1]: ``P[issue, i, j]`` is the probability that i
        prevails over j.

    Raises:
        ValueError: if x is not 2-D with n >= 1, c or s do not match its shape, or the vote
            rule is unknown.
    """
    x = _positions(x)
    w = _capability(c, x.shape) * _per_actor("salience s", s, x.shape)
    return _run("win_probability", x, w, _check_vote_rule(vote_rule) == VOTE_CLIPPED)


def _np_win_probability(x: np.ndarray, w: np.ndarray, clipped: bool) -> np.ndarray:
    """P (m, n, n) from positions x (m, n) and vote weights w = c s (m, n); see win_probability."""
    m, n = x.shape
    # dist_t[a, (issue, k)] = |x_k - x_a|, voters on the last axis so that the n^3 table below
    # is built with long contiguous inner loops.
    dist_t = np.abs(x[None, :, :] - x.T[:, :, None]).reshape(n, m * n)
    # gain[i, j, (issue, k)] = |x_k - x_j| - |x_k - x_i|, the vote of k for i against j before
    # its weight, cut at 0: only the votes for i count in the numerator.
    gain = dist_t[None, :, :] - dist_t[:, None, :]
    np.fmax(gain, 0.0, out=gain)
    # No BLAS (matmul) here: threaded BLAS calls on arrays this small stall on busy cores.
    support = np.einsum("ijak,ak->aij", gain.reshape(n, n, m, n), _normalised_weights(w))
    # A vote for j against i is a vote against i for j, so the sum of all |v_k| of the pair is
    # total = support_ij + support_ji, and support_ij / total = 0.5 + margin / total with
    # margin = (support_ij - support_ji) / 2; total = 0 forces margin = 0, hence P = 0.5.
    against = support.transpose(0, 2, 1)
    total = support + against
    margin = support - against
    if clipped:
        # The net vote sum over k of v_k is support_ij - support_ji; clipped at 0, divided by
        # the total (0 / floor = 0 where nobody votes).
        np.fmax(margin, 0.0, out=margin)
        margin /= np.maximum(total, _SMALLEST, out=total)
        return margin
    margin *= 0.5
    margin /= np.maximum(total, _SMALLEST, out=total)
    margin += 0.5
    return margin


def forecast(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Forecast outcome of each issue: the weighted median of the positions.

    docs/model.md 7.4 (after SCS 2011, the forecast as the median voter position with weights
    capability x salience). The exact rule: sort the positions in ascending order (a stable
    sort, so tied positions stay in actor order), cumulate their weights in that order, and
    return the first position whose cumulative weight is >= half the total weight. This is
    the smallest position v with ``sum of w_k over x_k <= v >= total / 2``, so the order
    among tied positions does not change the result. If every weight of an issue is zero, all
    actors count equally.

    Args:
        x: positions, shape (m, n), on the issue scale.
        w: weights, shape (m, n), >= 0 with a finite sum per issue (normally capability x
            salience).

    Returns:
        mu of shape (m,): one of each issue's positions.

    Raises:
        ValueError: if x is not 2-D with n >= 1, or w does not have its shape.
    """
    x = _positions(x)
    w = _per_actor("weights w", w, x.shape)
    return _run("forecast", x, w)


def _np_forecast(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weighted median of each issue, shape (m,); see forecast."""
    m, n = x.shape
    issue = np.arange(m)
    order = np.argsort(x, axis=1, kind="stable")
    cumulative = np.cumsum(w[issue[:, None], order], axis=1)
    total = cumulative[:, -1:]
    if not np.all(total > 0.0):
        # An issue where nobody carries weight: every actor counts once.
        cumulative = np.where(total > 0.0, cumulative, np.arange(1.0, n + 1.0))
        total = cumulative[:, -1:]
    first = np.argmax(cumulative >= 0.5 * total, axis=1)
    return x[issue, order[issue, first]]


def expected_utility(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    r: np.ndarray,
    mu: np.ndarray,
    q: float = 0.5,
    t: float = 0.5,
    scale_range: float = 1.0,
    *,
    p: np.ndarray | None = None,
    vote_rule: str = VOTE_POSITIVE,
) -> np.ndarray:
    """Expected utility to i of challenging j, as i sees it.

    From SCS 2011 (the expected utility of a challenge; docs/model.md 7.4), with
    ``d = |x_i - x_j| / scale_range``, ``e = (|x_i - mu| + |x_i - x_j|) / scale_range`` and
    the risk exponent ``r = r_i`` of the challenger::

        U_s  = 2 - 4 (0.5 - 0.5 d)^r     (i wins, j moves to x_i)
        U_f  = 2 - 4 (0.5 + 0.5 d)^r     (i loses, i moves to x_j)
        U_b  = 2 - 4 (0.5 - 0.25 e)^r    (no challenge, things get better for i)
        U_w  = 2 - 4 (0.5 + 0.25 e)^r    (no challenge, things get worse for i)
        U_sq = 2 - 4 (0.5)^r             (no challenge, nothing changes)
        EU   = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s
               - (q U_sq + (1 - q) (t U_b + (1 - t) U_w))

    where ``s_j`` is the target's salience (a target that does not care lets i win
    unopposed) and ``P_ij`` is :func:`win_probability`. EU is exactly 0 on the diagonal and
    wherever ``x_i == x_j`` (nobody challenges an actor at its own position), and wherever
    ``|EU| <= EU_TOLERANCE`` (rounding noise). The bases of the powers are clipped at 0, so
    positions off the scale (``d > 1`` or ``e > 2``) cannot produce NaN. Powers are evaluated
    as ``exp(r log(base))`` (a zero base gives exactly 0); where every ``r = 1`` and no base
    is clipped, the formula is used in its reduced form
    ``EU = 2 d (1 - 2 s_j + 2 s_j P_ij) + (1 - q)(1 - 2 t) e``.

    Args:
        x: positions, shape (m, n), on a scale of length ``scale_range``.
        c: capabilities, shape (n,) or (m, n), >= 0, any scale.
        s: saliences, shape (m, n), in [0, 1].
        r: risk exponents of the challengers, shape (m, n), > 0 (in [0.5, 2] from
            :func:`risk_exponents`; 1 is risk neutral).
        mu: forecast position of each issue, shape (m,) (see :func:`forecast`).
        q: probability, in [0, 1], that nothing changes if i does not challenge (SCS 2011's
            Q; 0.5 by default as in the paper).
        t: probability, in [0, 1], that a change without a challenge is for the better
            (SCS 2011's T; 0.5 by default).
        scale_range: length of the issue scale (> 0), 1 for positions in [0, 1].
        p: optional precomputed ``win_probability(x, c, s, vote_rule=vote_rule)``, shape
            (m, n, n), to avoid computing it twice in a round; it is trusted, not recomputed.
        vote_rule: the rule of :func:`win_probability` used when ``p`` is not given, one of
            :data:`VOTE_RULES` (keyword only; checked even when ``p`` is given).

    Returns:
        EU of shape (m, n, n), float, within [-4, 4] when the positions lie on the scale
        (every U is then in [-2, 2]): ``EU[issue, i, j]`` is i's expected utility of
        challenging j.

    Raises:
        ValueError: on mismatched shapes, if ``scale_range`` is not positive, or if the vote
            rule is unknown.
    """
    x = _positions(x)
    r = _per_actor("risk exponents r", r, x.shape)
    s = _per_actor("salience s", s, x.shape)
    mu = _per_issue("forecast mu", mu, x.shape[0])
    scale_range = _check_scale_range(scale_range)
    vote_rule = _check_vote_rule(vote_rule)
    if p is None:
        w = _capability(c, x.shape) * s
        p = _run("win_probability", x, w, vote_rule == VOTE_CLIPPED)
    else:
        p = _per_pair("win probabilities p", p, x.shape)
    neutral = bool(np.all(r == 1.0))
    return _run("expected_utility", x, s, p, r, mu, float(q), float(t), scale_range, neutral)


def _np_expected_utility(
    x: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    r: np.ndarray,
    mu: np.ndarray,
    q: float,
    t: float,
    scale_range: float,
    risk_neutral: bool,
) -> np.ndarray:
    """EU (m, n, n) from checked arrays; ``risk_neutral``: every r = 1. See expected_utility."""
    if risk_neutral:
        r = None
    dist = np.abs(x[:, :, None] - x[:, None, :])  # |x_i - x_j|
    same = x[:, :, None] == x[:, None, :]  # (dist == 0 but for two equal infinities)
    offset = np.abs(x - mu[:, None])  # |x_i - mu|
    if scale_range != 1.0:
        dist /= scale_range
        offset /= scale_range
    # dist and offset are now d and |x_i - mu| / range; e = offset_i + d_ij.
    if r is None and dist.max() <= 1.0 and offset.max() <= 1.0:
        # Every r = 1 and no base is clipped (d <= 1, e <= 2), so U_s = 2 d, U_f = -2 d,
        # U_b = e, U_w = -e, U_sq = 0 and the formula of expected_utility reduces to
        # EU = 2 d (1 - 2 s_j + 2 s_j P_ij) + (1 - q)(1 - 2 t) e.
        two_s = 2.0 * s[:, None, :]
        eu = p * two_s
        eu += 1.0 - two_s
        eu *= dist
        eu *= 2.0
        slope_e = (1.0 - q) * (1.0 - 2.0 * t)
        if slope_e != 0.0:
            eu += slope_e * (offset[:, :, None] + dist)
    else:
        eu = _expected_utility_powers(dist, offset, s, p, r, q, t)
    # No challenge between equal positions, and no EU made of rounding noise.
    same |= np.abs(eu) <= EU_TOLERANCE
    np.putmask(eu, same, 0.0)
    return eu


def _expected_utility_powers(
    d: np.ndarray,
    offset: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    r: np.ndarray | None,
    q: float,
    t: float,
) -> np.ndarray:
    """EU (m, n, n) through the powers of the utility bases; d and offset already scaled."""
    m, n = offset.shape
    # power[0] = (0.5 - 0.5 d, 0.5 - 0.25 e), power[1] = (0.5 + 0.5 d, 0.5 + 0.25 e): the bases
    # of (U_s, U_b) and (U_f, U_w), clipped at 0, then raised to r_i.
    power = np.empty((2, 2, m, n, n))
    (success, better), (failure, worse) = power
    half_d = np.multiply(d, 0.5, out=worse)  # scratch
    np.subtract(0.5, half_d, out=success)
    np.add(0.5, half_d, out=failure)
    quarter_e = np.add(offset[:, :, None], d, out=worse)
    quarter_e *= 0.25
    np.subtract(0.5, quarter_e, out=better)
    np.add(0.5, quarter_e, out=worse)
    np.maximum(power[0], 0.0, out=power[0])
    if r is None:
        status_quo = 0.5
    else:
        # base^r = exp(r log base); a zero base has log -inf and power exp(-inf) = 0 (r > 0).
        with np.errstate(divide="ignore"):
            np.log(power, out=power)
        power *= r[:, :, None]
        np.exp(power, out=power)
        status_quo = (0.5**r)[:, :, None]
    # With U = 2 - 4 base^r the formula of expected_utility reads, with each name standing
    # for its base^r and k = s_j (1 - P_ij):
    # EU = 4 (q sq + (1 - q) t better + (1 - q)(1 - t) worse - success + k (success - failure)).
    k = 1.0 - p
    k *= s[:, None, :]
    eu = success - failure
    eu *= k
    eu -= success
    eu += ((1.0 - q) * t) * better
    eu += ((1.0 - q) * (1.0 - t)) * worse
    eu += q * status_quo
    eu *= 4.0
    return eu


def risk_exponents(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    mu: np.ndarray,
    q: float = 0.5,
    t: float = 0.5,
    scale_range: float = 1.0,
    *,
    p: np.ndarray | None = None,
    vote_rule: str = VOTE_POSITIVE,
) -> np.ndarray:
    """Risk exponent of every actor on every issue, from how secure its position is.

    SCS 2011 (risk propensity; docs/model.md 7.4): with every ``r = 1``, the
    security of actor k is what all the others expect from challenging it,
    ``security_k = sum over j != k of EU_j(k)`` (column sums of :func:`expected_utility`).
    Then ``R_i = (2 security_i - max - min) / (max - min)`` in [-1, 1] and
    ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [0.5, 2]: the most exposed actor (others
    expect most from challenging it) gets ``r = 0.5``, the most secure one ``r = 2``. Where
    all securities of an issue are equal, within ``SECURITY_TIE_TOLERANCE`` times
    ``max(1, |max|, |min|)`` (rounding noise), every actor gets ``r = 1``.

    Args:
        x: positions, shape (m, n).
        c: capabilities, shape (n,) or (m, n), >= 0.
        s: saliences, shape (m, n), in [0, 1].
        mu: forecast of each issue, shape (m,).
        q: SCS 2011's Q, in [0, 1] (see :func:`expected_utility`).
        t: SCS 2011's T, in [0, 1].
        scale_range: length of the issue scale, > 0.
        p: optional precomputed ``win_probability(x, c, s, vote_rule=vote_rule)``, shape
            (m, n, n).
        vote_rule: the rule of :func:`win_probability` used when ``p`` is not given, one of
            :data:`VOTE_RULES` (keyword only).

    Returns:
        r of shape (m, n), float in [0.5, 2].

    Raises:
        ValueError: on mismatched shapes, if ``scale_range`` is not positive, or if the vote
            rule is unknown.
    """
    x = _positions(x)
    s = _per_actor("salience s", s, x.shape)
    mu = _per_issue("forecast mu", mu, x.shape[0])
    scale_range = _check_scale_range(scale_range)
    vote_rule = _check_vote_rule(vote_rule)
    if p is None:
        w = _capability(c, x.shape) * s
        p = _run("win_probability", x, w, vote_rule == VOTE_CLIPPED)
    else:
        p = _per_pair("win probabilities p", p, x.shape)
    return _run("risk_exponents", x, s, p, mu, float(q), float(t), scale_range)


def _np_risk_exponents(
    x: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    mu: np.ndarray,
    q: float,
    t: float,
    scale_range: float,
) -> np.ndarray:
    """Risk exponents (m, n) from checked arrays; see risk_exponents."""
    eu = _np_expected_utility(x, s, p, x, mu, q, t, scale_range, True)
    security = eu.sum(axis=1)  # security[issue, k] = sum over j of EU_j(k); EU_k(k) = 0
    high = security.max(axis=1, keepdims=True)
    low = security.min(axis=1, keepdims=True)
    spread = high - low
    tied = spread <= SECURITY_TIE_TOLERANCE * np.maximum(1.0, np.maximum(high, -low))
    any_tied = tied.any()
    if any_tied:
        spread = np.where(tied, 1.0, spread)
    big_r = 2.0 * security
    big_r -= high + low
    big_r /= spread
    np.clip(big_r, -1.0, 1.0, out=big_r)
    r = (3.0 - big_r) / (3.0 + big_r)  # = (1 - R/3) / (1 + R/3)
    return np.where(tied, 1.0, r) if any_tied else r


def respond(eu_challenger: np.ndarray, eu_target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How a challenged actor answers, by comparing the two sides' expected utilities.

    The outcome table of SCS 2011 (docs/model.md 7.4), elementwise, with
    ``a = EU_i(j)`` (the challenger's) and ``b = EU_j(i)`` (the target's):

    - ``a <= 0``: ``OUTCOME_NONE``, fraction 0 (no challenge is made);
    - ``0 < b < a``: ``OUTCOME_CONFLICT``, fraction 1 (a fight that j expects to lose and does);
    - ``b >= a > 0``: ``OUTCOME_STALEMATE``, fraction 0 (a fight both expect to win; j holds);
    - ``b <= 0`` and ``|b| < a``: ``OUTCOME_COMPROMISE``, fraction ``|b / a|``;
    - ``b < 0`` and ``|b| >= a``: ``OUTCOME_CAPITULATION``, fraction 1.

    ``|b|`` and ``a`` closer than ``EU_TOLERANCE`` count as equal (a stalemate or a
    capitulation), so that a standoff that is symmetric on paper is not decided by rounding;
    ``b = 0`` with ``a > 0`` is always a compromise of fraction 0.

    Args:
        eu_challenger: ``EU_i(j)``, any shape, float.
        eu_target: ``EU_j(i)``, the same shape.

    Returns:
        ``(outcome, fraction)``: outcome codes (int8, the ``OUTCOME_*`` constants) and the
        fraction in [0, 1] of the distance to the challenger that the target moves, both of
        the inputs' shape.

    Raises:
        ValueError: if the two arrays differ in shape.
    """
    a = np.asarray(eu_challenger, dtype=float)
    b = np.asarray(eu_target, dtype=float)
    if a.shape != b.shape:
        raise ValueError(
            f"eu_challenger and eu_target must have the same shape; got {a.shape} and {b.shape}"
        )
    shape = a.shape
    outcome, fraction = _run(
        "respond", np.ascontiguousarray(a.reshape(-1)), np.ascontiguousarray(b.reshape(-1))
    )
    return outcome.reshape(shape), fraction.reshape(shape)


def _np_respond(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome codes (int8) and fractions for flat arrays a, b; see respond."""
    stake = np.abs(b)
    weaker = stake < a - EU_TOLERANCE  # the target's stake is clearly the smaller one
    weaker |= b == 0.0
    case = (b > 0.0) * 2
    case += weaker
    outcome = _OUTCOME_BY_CASE.take(case)
    outcome[a <= 0.0] = OUTCOME_NONE
    fraction = _FULL_MOVE.take(outcome)
    np.divide(stake, a, out=fraction, where=outcome == OUTCOME_COMPROMISE)
    return outcome, fraction


def resolve(
    x: np.ndarray,
    eu: np.ndarray,
    offers: np.ndarray,
    effectiveness: np.ndarray,
    tiebreak: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each challenged actor takes its best offer and answers it; all move at once.

    docs/model.md 7.4 (after SCS 2011): an offer of i to j counts where
    ``offers[issue, i, j]`` is true and ``eu[issue, i, j] > 0``. Each target j takes the
    best of its offers: the highest ``eu[issue, i, j]``; among exact ties, the challenger
    nearest to it (smallest ``|x_i - x_j|``); among exact ties again, the highest
    ``tiebreak[issue, i, j]``, never the actor order (only if the tiebreak values are
    themselves exactly equal, which independent ``rng.random`` draws practically never are,
    does the lower index win). The target answers by :func:`respond` with
    ``(eu[issue, i, j], eu[issue, j, i])`` and moves to
    ``x_j + fraction * (x_i - x_j)``, where a compromise's fraction is multiplied by
    ``effectiveness[issue, i, j]`` (the channel's effectiveness; conflict and capitulation
    move fully, to exactly ``x_i``). Every target moves from the old positions, at the same
    time, so new positions stay between the old minimum and maximum of each issue.

    Args:
        x: positions, shape (m, n).
        eu: expected utilities, shape (m, n, n), as from :func:`expected_utility`.
        offers: bool, shape (m, n, n): ``offers[issue, i, j]`` means i challenges j.
        effectiveness: shape (m, n, n), in [0, 1]: the effectiveness of the channel that
            carries the offer of i to j; it scales the compromise step only.
        tiebreak: shape (m, n, n), floats drawn by the caller from its seeded generator
            (for example ``rng.random((m, n, n))``); higher wins a tie.

    Returns:
        ``(new_x, challenger, outcome, fraction)``, each of shape (m, n) and indexed by the
        target: new positions (float); the index of the accepted challenger, or -1 where
        there was no offer (int); the outcome code (int8, ``OUTCOME_*``); the fraction of
        the way to the challenger that the target moved, after effectiveness (float in
        [0, 1]; 0 without an offer).

    Raises:
        ValueError: on mismatched shapes.
    """
    x = _positions(x)
    eu = _per_pair("eu", eu, x.shape)
    offers = _per_pair("offers", offers, x.shape, dtype=bool)
    effectiveness = _per_pair("effectiveness", effectiveness, x.shape)
    tiebreak = _per_pair("tiebreak", tiebreak, x.shape)
    return _run("resolve", x, eu, offers, effectiveness, tiebreak)


def _np_resolve(
    x: np.ndarray,
    eu: np.ndarray,
    offers: np.ndarray,
    effectiveness: np.ndarray,
    tiebreak: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(new_x, challenger, outcome, fraction) from checked arrays; see resolve."""
    m, n = x.shape
    issue = np.arange(m)[:, None]
    target = np.arange(n)[None, :]
    # Lexicographic choice over challengers i (axis 1) for every target j (axis 2).
    offered = np.where(offers & (eu > 0.0), eu, -np.inf)
    best = offered.max(axis=1)  # (m, n) by target; -inf where j has no offer
    dist = np.abs(x[:, :, None] - x[:, None, :])
    top = offered == best[:, None, :]
    nearest = np.where(top, dist, np.inf)
    closest = nearest.min(axis=1)
    # (only among the best offers: an infinite distance must not tie with the inf put in place
    # of the others)
    chosen = np.where(top & (nearest == closest[:, None, :]), tiebreak, -np.inf).argmax(axis=1)
    has_offer = best > -np.inf
    outcome, fraction = _np_respond(best.reshape(-1), eu[issue, target, chosen].reshape(-1))
    outcome = outcome.reshape(m, n)
    fraction = fraction.reshape(m, n)
    fraction *= np.where(outcome == OUTCOME_COMPROMISE, effectiveness[issue, chosen, target], 1.0)
    x_challenger = x[issue, chosen]
    new_x = x + fraction * (x_challenger - x)
    # Keep rounding from stepping past either end of the move; a full move lands exactly.
    np.clip(new_x, np.minimum(x, x_challenger), np.maximum(x, x_challenger), out=new_x)
    np.putmask(new_x, fraction == 1.0, x_challenger)
    # A target without an offer stays exactly where it is (``chosen`` is then 0, an arbitrary
    # actor: a nan position there, or an infinite one here, would make the sum above nan).
    np.copyto(new_x, x, where=~has_offer)
    return new_x, np.where(has_offer, chosen, -1), outcome, fraction


def bargaining_round(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    rng: np.random.Generator,
    q: float = 0.5,
    t: float = 0.5,
    scale_range: float = 1.0,
    *,
    vote_rule: str = VOTE_POSITIVE,
) -> dict[str, np.ndarray]:
    """One classic, unconstrained round of the expected-utility model.

    SCS 2011 (docs/model.md 7.4): ``mu = forecast(x, c s)``, risk exponents from
    :func:`risk_exponents`, ``eu = expected_utility(...)`` with those exponents; every
    positive ``EU_i(j)`` is an offer, every channel is fully effective, and ties are broken
    by ``rng.random((m, n, n))`` (drawn every round, whatever the ties, so the generator
    advances by the same amount each round). A composition of the public functions above.

    Args:
        x: positions, shape (m, n).
        c: capabilities, shape (n,) or (m, n), >= 0.
        s: saliences, shape (m, n), in [0, 1].
        rng: the model's seeded generator (``numpy.random.Generator``).
        q: SCS 2011's Q, in [0, 1].
        t: SCS 2011's T, in [0, 1].
        scale_range: length of the issue scale, > 0.
        vote_rule: the rule of :func:`win_probability`, one of :data:`VOTE_RULES` (keyword
            only; :data:`VOTE_POSITIVE` by default).

    Returns:
        A dict of arrays: ``"x"`` new positions (m, n); ``"forecast"`` mu (m,) before the
        round; ``"risk"`` r (m, n); ``"eu"`` (m, n, n); and, by target, ``"challenger"``
        (m, n) int (-1 for none), ``"outcome"`` (m, n) int8 and ``"fraction"`` (m, n), as
        returned by :func:`resolve`.

    Raises:
        ValueError: on mismatched shapes, if ``scale_range`` is not positive, or if the vote
            rule is unknown.
    """
    x = _positions(x)
    s = _per_actor("salience s", s, x.shape)
    w = _capability(c, x.shape) * s
    clipped = _check_vote_rule(vote_rule) == VOTE_CLIPPED
    scale_range = _check_scale_range(scale_range)
    m, n = x.shape
    tiebreak = rng.random((m, n, n))
    new_x, mu, r, eu, challenger, outcome, fraction = _run(
        "bargaining_round", x, w, s, tiebreak, float(q), float(t), scale_range, clipped
    )
    return {
        "x": new_x,
        "forecast": mu,
        "risk": r,
        "eu": eu,
        "challenger": challenger,
        "outcome": outcome,
        "fraction": fraction,
    }


def _np_bargaining_round(
    x: np.ndarray,
    w: np.ndarray,
    s: np.ndarray,
    tiebreak: np.ndarray,
    q: float,
    t: float,
    scale_range: float,
    clipped: bool,
) -> tuple[np.ndarray, ...]:
    """(new_x, mu, r, eu, challenger, outcome, fraction) from checked arrays and the draws."""
    mu = _np_forecast(x, w)
    p = _np_win_probability(x, w, clipped)
    r = _np_risk_exponents(x, s, p, mu, q, t, scale_range)
    eu = _np_expected_utility(x, s, p, r, mu, q, t, scale_range, bool(np.all(r == 1.0)))
    offers = eu > 0.0
    effectiveness = np.ones_like(eu)
    new_x, challenger, outcome, fraction = _np_resolve(x, eu, offers, effectiveness, tiebreak)
    return new_x, mu, r, eu, challenger, outcome, fraction


# --------------------------------------------------------------------------------------------
# the turn's array work around the kernel


def route_table(
    value: np.ndarray, channel: np.ndarray, cell: np.ndarray, carries: np.ndarray, caucus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Best route of every (issue, proposer, target): the most effective channel, or a caucus.

    A proposal travels over a channel that joins proposer and target and carries its issue
    (docs/model.md 7.4-7.5, :func:`sim.phases.perceive.routes`). For each cell the route is the
    pair entry of highest value on the issue (``value`` if the channel carries the issue, else
    0), ties going to the lowest channel index; a caucus of the bloc deciding the issue
    (``caucus`` > 0) is taken where it is worth strictly more.

    Args:
        value: (P,) worth of each route entry to its proposer: the channel's effectiveness x its
            usability (F5), in [0, 1].
        channel: (P,) int channel index k of each entry, in [0, K).
        cell: (P,) int ``proposer * n + target`` of each entry, in [0, n * n); no (channel,
            cell) twice.
        carries: (K, m) float 1.0 where channel k carries issue q, else 0.0.
        caucus: (m, n, n) effectiveness of a caucus, in [0, 1].

    Returns:
        ``(eff, chan)``: ``eff`` (m, n, n) float in [0, 1], the best route's effectiveness
        (``max(best channel value, caucus)``); ``chan`` (m, n, n) int64, the channel index,
        ``-1`` for a caucus and ``-2`` for no route (no channel worth more than 0).

    Raises:
        ValueError: shapes that do not fit together.
    """
    value = np.ascontiguousarray(value, dtype=float)
    channel = np.ascontiguousarray(channel, dtype=np.int64)
    cell = np.ascontiguousarray(cell, dtype=np.int64)
    carries = np.ascontiguousarray(carries, dtype=float)
    caucus = np.ascontiguousarray(caucus, dtype=float)
    if caucus.ndim != 3 or caucus.shape[1] != caucus.shape[2]:
        raise ValueError(f"caucus must have shape (m, n, n); got {caucus.shape}")
    if value.ndim != 1 or channel.shape != value.shape or cell.shape != value.shape:
        raise ValueError(f"value, channel and cell must have one shape (P,); got {value.shape}, {channel.shape}, {cell.shape}")
    if carries.ndim != 2 or carries.shape[1] != caucus.shape[0]:
        raise ValueError(f"carries must have shape (K, m) with m = {caucus.shape[0]}; got {carries.shape}")
    return _run("route_table", value, channel, cell, carries, caucus)


def _np_route_table(
    value: np.ndarray, channel: np.ndarray, cell: np.ndarray, carries: np.ndarray, caucus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(eff, chan) of every (issue, proposer, target); see route_table."""
    m, n = caucus.shape[0], caucus.shape[1]
    eff = np.zeros(m * n * n)
    best = np.zeros(m * n * n, np.int64)
    if len(channel):
        vals = (value[:, None] * carries[channel]).T.ravel()  # (m * P,)
        idx = (np.arange(m)[:, None] * (n * n) + cell[None, :]).ravel()
        kk = np.broadcast_to(channel[None, :], (m, len(channel))).ravel()
        order = np.lexsort((-kk, vals, idx))  # per cell: highest value, then lowest channel
        idx_s = idx[order]
        last = np.r_[idx_s[1:] != idx_s[:-1], True]
        cells = idx_s[last]
        eff[cells] = vals[order][last]
        best[cells] = kk[order][last]
    eff = eff.reshape(m, n, n)
    best = best.reshape(m, n, n)
    chan = np.where(eff > 0, best, -2)
    chan = np.where(caucus > eff, -1, chan)
    eff = np.maximum(eff, caucus)
    return eff, chan


def challenge_utilities(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, r: np.ndarray | None = None, q: float = 0.5, t: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecast, risk exponents and expected utility of every challenge, in one call.

    The same numbers as :func:`forecast` (weights ``c x s``), :func:`win_probability` (the
    positive-vote rule), :func:`risk_exponents` and :func:`expected_utility` called in turn on a
    scale of length 1 (SCS 2011; docs/model.md 7.4), without their separate checks and
    conversions: the turn asks for these every turn (:func:`sim.phases.decide.challenges`).

    Args:
        x: positions, shape (m, n), in [0, 1].
        c: capabilities, shape (n,), >= 0, any scale.
        s: saliences, shape (m, n), in [0, 1].
        r: risk exponents of the challengers, shape (m, n), > 0; ``None``: endogenous, from
            :func:`risk_exponents`.
        q, t: SCS 2011's Q and T, in [0, 1].

    Returns:
        ``(mu, r, eu)``: the forecast (m,), the risk exponents used (m, n) and the expected
        utilities (m, n, n), ``eu[issue, i, j]`` i's expected utility of challenging j.

    Raises:
        ValueError: on mismatched shapes.
    """
    x = _positions(x)
    shape = x.shape
    c = np.ascontiguousarray(c, dtype=float)
    if c.shape != shape[1:]:
        raise ValueError(f"capability c must have shape (n,) = {shape[1:]}; got {c.shape}")
    s = _per_actor("salience s", s, shape)
    endogenous = r is None
    r = np.ones(shape) if endogenous else _per_actor("risk exponents r", r, shape)
    return _run("challenge_utilities", x, c, s, r, float(q), float(t), endogenous)


def _np_challenge_utilities(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, r: np.ndarray, q: float, t: float, endogenous: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, r, eu) from checked arrays; see challenge_utilities."""
    w = c[None, :] * s
    mu = _np_forecast(x, w)
    p = _np_win_probability(x, w, False)
    if endogenous:
        r = _np_risk_exponents(x, s, p, mu, q, t, 1.0)
    eu = _np_expected_utility(x, s, p, r, mu, q, t, 1.0, bool(np.all(r == 1.0)))
    return mu, r, eu


def force_table(
    S: np.ndarray,
    commit: np.ndarray,
    present: np.ndarray,
    mask: np.ndarray,
    gain: np.ndarray,
    loss: np.ndarray,
    bargain: np.ndarray,
    alignment: np.ndarray,
    tension: np.ndarray,
    capability: np.ndarray,
    misperception: np.ndarray,
    misjudged: bool,
    costs: np.ndarray,
    every: bool,
) -> tuple[np.ndarray, ...]:
    """The terms of every use of force open this turn (docs/model.md 7.14; The War Trap).

    The array work of :func:`sim.phases.force.options`. Every (attacker i, theatre t, target
    j), in that order, with i in ``mask``, present in t with strength there (``S[i, t] > 0``),
    j another state present in t and ``gain[i, j] > 0``; each side's local strength is its own
    plus what third parties k bring to it (``commit[k, side] x S[k, t]``; the other side's own
    help to it not counted);
    ``p = side_i / (side_i + side_j)`` (0.5 if both are 0), the attacker's estimate ``p`` plus
    its misperception clipped to [0, 1]; ``cost = costs[0] x (1 - tension) + costs[1] x (1 - p)
    + costs[2] x reaction`` (reaction: capability of the states closer to j than to i);
    ``eu = p gain - (1 - p) loss - cost``. Kept: ``eu > bargain[i, j]``, or every one.

    Args:
        S: (n, T) own strength in each theatre, >= 0.
        commit: (n, n) share of its strength k brings to j's side, in [0, 1], 0 on the diagonal.
        present: (n, T) bool presence.
        mask: (n,) bool attackers to evaluate.
        gain, loss, bargain: (n, n) utility terms of i against j (``bargain`` >= 0).
        alignment: (n, n) in [-1, 1]; tension: (n, n) in [0, 1]; capability: (n,) shares.
        misperception: (n, n) the error of each attacker's estimate; used if ``misjudged``.
        costs: (3,) ``force.cost``, ``force.military_cost``, ``force.sanctions_cost``.
        every: keep every triple (a human's choice), not only those worth more than bargaining.

    Returns:
        ``(actor, target, theatre, eu_force, eu_bargain, p, gain, loss, cost, p_true)``, each
        (N,): int64 indices and float terms of the kept triples, in (i, t, j) order.
    """
    args = [np.ascontiguousarray(a, dtype=float) for a in (S, commit, gain, loss, bargain, alignment, tension, capability, misperception, costs)]
    S, commit, gain, loss, bargain, alignment, tension, capability, misperception, costs = args
    present = np.ascontiguousarray(present, dtype=bool)
    mask = np.ascontiguousarray(mask, dtype=bool)
    n = commit.shape[0]
    if commit.shape != (n, n) or S.shape[0] != n or present.shape != S.shape or mask.shape != (n,) or capability.shape != (n,) or costs.shape != (3,):
        raise ValueError("force_table: shapes do not fit (n actors, T theatres)")
    for name, a in (("gain", gain), ("loss", loss), ("bargain", bargain), ("alignment", alignment), ("tension", tension), ("misperception", misperception)):
        if a.shape != (n, n):
            raise ValueError(f"{name} must have shape (n, n) = {(n, n)}; got {a.shape}")
    return _run("force_table", S, commit, present, mask, gain, loss, bargain, alignment, tension, capability, misperception, bool(misjudged), costs, bool(every))


def _np_force_table(S, commit, present, mask, gain, loss, bargain, alignment, tension, capability, misperception, misjudged, costs, every):
    """The kept triples and their terms; see force_table."""
    n = commit.shape[0]
    help_ = commit[:, :, None] * S[:, None, :]  # help_[k, j, t]
    attacker = mask[:, None] & present & (S > 0)  # (i, t)
    stake = (gain > 0) & ~np.eye(n, dtype=bool)  # (i, j)
    i, t, j = np.nonzero(attacker[:, :, None] & present.T[None, :, :] & stake[:, None, :])
    if not len(i):
        z = np.zeros(0)
        zi = np.zeros(0, np.int64)
        return zi, zi, zi, z, z, z, z, z, z, z
    side_i = S[i, t] + help_[:, i, t].sum(axis=0) - help_[j, i, t]
    side_j = S[j, t] + help_[:, j, t].sum(axis=0) - help_[i, j, t]
    tot = side_i + side_j
    p_true = np.where(tot > 0, side_i / np.maximum(tot, 1e-12), 0.5)
    p = np.clip(p_true + misperception[i, j], 0.0, 1.0) if misjudged else p_true
    friends_j = np.maximum(alignment[:, j] - np.maximum(alignment[:, i], 0.0), 0.0)  # (n, N)
    friends_j[i, np.arange(len(i))] = 0.0
    friends_j[j, np.arange(len(i))] = 0.0
    reaction = (capability[:, None] * friends_j).sum(axis=0)
    cost = costs[0] * (1.0 - tension[i, j]) + costs[1] * (1.0 - p) + costs[2] * reaction
    eu = p * gain[i, j] - (1.0 - p) * loss[i, j] - cost
    keep = (eu > bargain[i, j]) | every
    return i[keep], j[keep], t[keep], eu[keep], bargain[i, j][keep], p[keep], gain[i, j][keep], loss[i, j][keep], cost[keep], p_true[keep]

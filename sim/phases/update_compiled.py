"""The array work of the update and military phases compiled with numba: their fast path.

Nothing here is public API. :func:`sim.phases.update.relations`,
:func:`sim.phases.update.issue_states`, :func:`sim.phases.military.incidents` and
:func:`sim.phases.military.deconfliction` call these cores when the kernel's backend is
``"compiled"`` (:func:`sim.kernel.backend`); their numpy forms (``_relations_numpy``,
``_issue_targets_numpy``, ``_incident_hits_numpy`` and the ``einsum`` of ``deconfliction``) are
the test oracles (``tests/test_update_fast.py``): the same numbers, bit for bit.

The formulas and their sources are those of the phases' docstrings. Every expression is
evaluated in the order numpy evaluates it: elementwise chains left to right, each sum over its
last axis left to right from its first term (numpy's reduction of fewer than 8 elements), the
three-operand ``einsum`` of the shared threat as ``sum over k of (a_ik a_jk) b_k`` from 0, and
``np.clip`` as ``minimum(maximum(x, lo), hi)``. The transcendental functions of the numbers kept
(the ``exp`` of the deconfliction table, the ``log`` of the channels' survival) stay with numpy
(whose vectorised exp and log may round differently from a compiled loop on some processors):
:func:`deconfliction_logs` gives the arguments and numpy takes the exp where it is not of 0. The
incident draws only compare a draw with ``1 - exp(-rate)``: :func:`incident_draws` takes that exp
itself and leaves the turn to numpy's form when a draw falls within :data:`EXP_MARGIN` of the
probability, the only case in which the two exps could decide differently.

Compiled code is cached on disk as for the kernel (:mod:`sim.kernel_compiled`: ``_jit``, no
fastmath, numpy's error model).
"""

from __future__ import annotations

import numpy as np

from sim.kernel_compiled import _jit, forecast

# indices into relations_core's ``params`` (float64) array
R_DECAY = 0  # dynamics.tension_decay
R_PRESSURE = 1  # dynamics.alignment_pressure
R_RATE = 2  # dynamics.alignment_rate
R_ANCHOR = 3  # dynamics.anchor
R_ANCHORED = 4  # 1.0: positions then fall back toward the ideal points (anchor_positions); 0.0: not
N_RELATIONS = 5


@_jit
def _max(a, b):
    """``np.maximum(a, b)`` for one pair of floats (``a`` when ``a >= b`` or ``a`` is nan)."""
    return a if (a >= b or a != a) else b


@_jit
def _min(a, b):
    """``np.minimum(a, b)`` for one pair of floats (``a`` when ``a <= b`` or ``a`` is nan)."""
    return a if (a <= b or a != a) else b


@_jit
def relations_core(tension, delta, floor, half_hostile, salience, position, posture, present, npres, threat_perc, alignment, params, ideal):
    """New (tension, alignment), each (n, n), of :func:`sim.phases.update.relations`; then, with
    ``params[R_ANCHORED]``, the positions fall back toward the ideal points in place
    (:func:`sim.phases.update.anchor_positions`: ``x += anchor (ideal - x)``).

    Args:
        tension, delta, floor, half_hostile, threat_perc, alignment: (n, n) float.
        salience, position, ideal: (n, m) float.
        posture: (n, T) float; present: (n, T) float (1.0 / 0.0); npres: (n,) int.
        params: (N_RELATIONS,) float, indexed by ``R_*``.
    """
    n, m = position.shape
    nt = posture.shape[1]
    decay = params[R_DECAY]
    pressure = params[R_PRESSURE]
    rate = params[R_RATE]
    t = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            v = tension[i, j] + delta[i, j]
            v = v - decay * (v - floor[i, j])
            t[i, j] = _min(_max(v, 0.0), 1.0)
        t[i, i] = 0.0
    burden = np.empty(n)
    for i in range(n):
        s = posture[i, 0] * present[i, 0]
        for h in range(1, nt):
            s += posture[i, h] * present[i, h]
        burden[i] = s / npres[i]
    # Row by row, every pair (i, j) at once: the same terms in the same order as one pair at a
    # time (each sum over k from its first term), in loops over j that need no reordering.
    sal_t = np.ascontiguousarray(salience.T)  # (m, n)
    pos_t = np.ascontiguousarray(position.T)  # (m, n)
    tp_t = np.ascontiguousarray(threat_perc.T)  # (n, n): tp_t[k, j] = threat_perc[j, k]
    wtot = np.empty(n)
    acc = np.empty(n)
    shared = np.empty(n)
    al = np.empty((n, n))
    for i in range(n):
        # similarity of salience-weighted positions
        s0 = salience[i, 0]
        x0 = position[i, 0]
        for j in range(n):
            ws = s0 + sal_t[0, j]
            wtot[j] = ws
            acc[j] = ws * abs(x0 - pos_t[0, j])
        for k in range(1, m):
            sk = salience[i, k]
            xk = position[i, k]
            for j in range(n):
                ws = sk + sal_t[k, j]
                wtot[j] += ws
                acc[j] += ws * abs(xk - pos_t[k, j])
        # shared perceived threat x burden
        for j in range(n):
            shared[j] = 0.0
        for k in range(n):
            a = threat_perc[i, k]
            b = burden[k]
            for j in range(n):
                shared[j] += a * tp_t[k, j] * b
        for j in range(n):
            q = acc[j] / _max(wtot[j], 1e-12) if wtot[j] > 0 else 0.5
            sim = 1.0 - 2.0 * q
            target = _min(_max(sim + pressure * shared[j] - half_hostile[i, j], -1.0), 1.0)
            a = alignment[i, j] + rate * (target - alignment[i, j])
            if i == j:
                a = 1.0
            al[i, j] = _min(_max(a, -1.0), 1.0)
    if params[R_ANCHORED] != 0.0:
        anchor = params[R_ANCHOR]
        for i in range(n):
            for k in range(m):
                position[i, k] = position[i, k] + anchor * (ideal[i, k] - position[i, k])
    return t, al


@_jit
def issue_core(position, autonomy, cur, deciders, rule, leader, capability, salience, allowed, inertia):
    """New issue states (m,) of :func:`sim.phases.update.issue_states` before any veto.

    Args:
        position: (n, m) float, the negotiating positions.
        autonomy: (r, 3) float rows ``(issue, autonomy, source actor)`` (F6), in their order.
        cur: (m,) float, the issue states.
        deciders: (m, n) bool.
        rule: (m,) int, 0 consensus, 1 majority, 2 leader (0 where no bloc decides).
        leader: (m,) int, the deciding bloc's leader, or -1.
        capability: (n,) float; salience: (n, m) float.
        allowed: (m,) bool, issues that may move this turn (not accession; with deals, bloc
            decided or dealt).
        inertia: (m,) float, the largest step.
    """
    n, m = position.shape
    x = position.copy()
    for r in range(autonomy.shape[0]):
        k = int(autonomy[r, 0])
        a = autonomy[r, 1]
        src = int(autonomy[r, 2])
        b = 1 - a
        for i in range(n):
            x[i, k] = a * x[i, k] + b * position[src, k]
    new = np.empty(m)
    dec = np.empty(n, dtype=np.int64)
    for k in range(m):
        c = cur[k]
        lo = np.inf
        hi = -np.inf
        nd = 0
        for i in range(n):
            if deciders[k, i]:
                v = x[i, k]
                lo = _min(lo, v)
                hi = _max(hi, v)
                dec[nd] = i
                nd += 1
        if lo > c:
            tgt = lo
        elif hi < c:
            tgt = hi
        else:
            tgt = c
        if rule[k] != 0:
            if rule[k] == 2 and leader[k] >= 0:
                tgt = x[leader[k], k]
            elif nd > 0:
                xs = np.empty((1, nd))
                ws = np.empty((1, nd))
                for h in range(nd):
                    xs[0, h] = x[dec[h], k]
                    ws[0, h] = capability[dec[h]] * salience[dec[h], k]
                tgt = forecast(xs, ws)[0]
        if nd > 0 and allowed[k]:
            step = _min(_max(tgt - c, -inertia[k]), inertia[k])
            new[k] = _min(_max(c + step, 0.0), 1.0)
        else:
            new[k] = c
    return new


EXP_MARGIN = 1e-12
"""How near an incident probability a draw must fall for :func:`incident_draws` to leave the
comparison to numpy: far above the difference between two exps of the same number (numpy's
vectorised exp and the C library's differ by a few units in the last place, about 1e-15)."""


@_jit
def incident_draws(u, rate, posture, present, hostility, tension, patrols):
    """This turn's incidents of :func:`sim.phases.military.incidents`, from its uniform draws.

    ``lam[t, i, j] = rate_t x P_it x P_jt x hostility_ij x (0.5 + tension_ij)``, P the posture
    where present; a joint patrol ``(t, i, j)`` multiplies the rates of actor i in theatre t by
    1.5 (once per patrol, in the order flown). Pair (i < j) has an incident in theatre t when
    ``u[t, i, j] < 1 - exp(-lam[t, i, j])``.

    Returns:
        (h, 3) int rows ``(theatre, i, j)`` in row-major order, as ``np.argwhere`` gives them;
        or one row ``(-1, -1, -1)`` when a draw falls within :data:`EXP_MARGIN` of its
        probability, where the exp taken here could round differently from numpy's: the caller
        then draws with the numpy form.

    Args:
        u: (T, n, n) float in [0, 1); rate: (T,) float; posture, present: (n, T) float;
        hostility, tension: (n, n) float; patrols: (p, 3) int rows ``(theatre, actor, partner)``.
    """
    n, nt = posture.shape
    hits = np.empty((nt * n * (n - 1) // 2, 3), dtype=np.int64)
    h = 0
    for t in range(nt):
        for i in range(n):
            ri = rate[t] * (posture[i, t] * present[i, t])
            for j in range(i + 1, n):
                v = ri * (posture[j, t] * present[j, t]) * (hostility[i, j] * (0.5 + tension[i, j]))
                for r in range(patrols.shape[0]):
                    if patrols[r, 0] == t and (patrols[r, 1] == i or patrols[r, 1] == j):
                        v *= 1.5
                if v > 0.0 or v != v:
                    p = 1.0 - np.exp(-v)
                    x = u[t, i, j]
                    if abs(x - p) <= EXP_MARGIN:
                        return np.full((1, 3), -1, dtype=np.int64)
                    if x < p:
                        hits[h, 0] = t
                        hits[h, 1] = i
                        hits[h, 2] = j
                        h += 1
    return hits[:h]


@_jit
def deconfliction_logs(ch_theatre, logs, ch_pair):
    """The log-survival sums of :func:`sim.phases.military.deconfliction` that are not 0.

    ``pair_log[t, i, j] = sum over channels k joining i and j (ch_pair) and covering theatre t
    (ch_theatre) of logs_k``, summed over k in order from 0 as numpy's ``einsum`` does.
    Returns ``(cells, sums)``: the flat indices into (T, n, n), in row-major order, of the sums
    that are not 0, and those sums (the caller takes numpy's exp of them).

    Args:
        ch_theatre: (K, T) bool; logs: (K,) float, ``log(max(1 - e_k x deconfliction_k,
        1e-9))``; ch_pair: (K, n, n) bool.
    """
    nk, nt = ch_theatre.shape
    n = ch_pair.shape[1]
    # channel by channel, each cell's terms added in the order of k from 0, as one cell at a time
    acc = np.zeros(nt * n * n)
    # A term of a theatre the channel does not cover is 0 x log = +-0, which leaves a sum as it
    # is (a sum from +0 is never -0): skipped, unless the log is not finite (0 x inf is nan).
    theatres = np.empty(nt, dtype=np.int64)
    for k in range(nk):
        lk = logs[k]
        nc = 0
        for t in range(nt):
            if ch_theatre[k, t] or not np.isfinite(lk):
                theatres[nc] = t
                nc += 1
        if nc == 0:
            continue
        for i in range(n):
            for j in range(n):
                if ch_pair[k, i, j]:
                    for h in range(nc):
                        t = theatres[h]
                        acc[(t * n + i) * n + j] += ch_theatre[k, t] * lk
    cells = np.empty(nt * n * n, dtype=np.int64)
    sums = np.empty(nt * n * n)
    c = 0
    for f in range(nt * n * n):
        s = acc[f]
        if s != 0.0:
            cells[c] = f
            sums[c] = s
            c += 1
    return cells[:c], sums[:c]

"""Perception compiled with numba: the fast path of :mod:`sim.phases.perceive`.

Nothing here is public API. :func:`sim.phases.perceive.perceive` and
:func:`sim.phases.perceive.channel_effectiveness` call these cores when the kernel's backend is
``"compiled"`` (:func:`sim.kernel.backend`); their numpy forms are the test oracles
(``tests/test_perceive_fast.py``): identical numbers, not only close.

The formulas, their constants and their sources are those of the numpy functions' docstrings
(F1-F5, F9, F11, F14; docs/model.md). Every expression is evaluated in numpy's order:

* elementwise products and sums as numpy writes them, left to right;
* a sum along a posture row as numpy's pairwise summation does it (:func:`_row_sum`);
* the einsum of the factions' threat as numpy's einsum sums it (in the order of the summed
  index, without fused multiply-adds; tests/test_perceive_fast.py compares the two);
* the matrix products (BLAS, whose order of additions and fused multiply-adds depend on the
  sizes and the machine), the logarithms and exponentials of the deconfliction cover stay in
  numpy, in the caller: two compiled calls, :func:`exposure_core` before the products and
  :func:`values_core` after them.

Compiled code is cached on disk as for the kernel (:mod:`sim.kernel_compiled`: ``_jit``, no
fastmath, numpy's error model).
"""

from __future__ import annotations

import numpy as np

from sim.kernel_compiled import _jit
from sim.phases.policy_compiled import _sum as _pairwise_sum


@_jit
def _min(a, b):
    """``np.minimum`` of two floats (nan if either is nan)."""
    if np.isnan(a) or np.isnan(b):
        return a + b
    return a if a <= b else b


@_jit
def _max(a, b):
    """``np.maximum`` of two floats (nan if either is nan)."""
    if np.isnan(a) or np.isnan(b):
        return a + b
    return a if a >= b else b


# numpy's pairwise sum of a contiguous 1-D float array (``np.add.reduce``), the policy's copy
_row_sum = _pairwise_sum


@_jit
def effectiveness_core(staff, baseline, status, event_only, event_on, summit, half, out):
    """:func:`sim.phases.perceive.channel_effectiveness` into ``out`` (K,).

    ``e = q (1 + h) / (q + h)``, ``q = min(staff / baseline, 1)``, for open channels (status 0),
    else 0 (:func:`sim.channels.effectiveness`); an event-only channel is 1 in a summit turn if
    it is open and ``event_on``, else 0. ``summit``: whether this turn has any summit.
    """
    grow = 1.0 + half
    for k in range(staff.shape[0]):
        if event_only[k]:
            if summit and event_on[k] and status[k] == 0:
                out[k] = 1.0
            else:
                out[k] = 0.0
        elif status[k] == 0:
            q = _min(staff[k] / baseline[k], 1.0)
            out[k] = q * grow / (q + half)
        else:
            out[k] = 0.0


@_jit
def threat_core(threat, tension, out):
    """Perceived threat ``min(threat x (0.5 + tension), 1)`` of :func:`sim.phases.perceive.perceive` into ``out`` (n, n)."""
    n = threat.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = _min(threat[i, j] * (0.5 + tension[i, j]), 1.0)


@_jit
def exposure_core(tpp, faction_terms, faction_weight, present, posture, pacific, europe, salience, linkage, uncovered, exposure, salience_eff, uncovered_exposure):
    """Exposure per theatre (F9) and effective salience (F11) of :func:`sim.phases.perceive.perceive`.

    The factions' threat x posture, ``numpy.einsum("ijt,jt->it", faction_threat, posture)``, is
    summed here as numpy's einsum sums it: for each (i, t), from 0, the products in the order of
    j, without fused multiply-adds; the zero weights are left out, which changes no sum (their
    products are +0 for the postures, which are finite and not negative).

    Args:
        tpp: (n, T) perceived threat x posture (numpy's matrix product).
        faction_terms: (Q, 3) int ``(i, j, t)`` of the nonzero faction threat weights, in the
            order of ``numpy.argwhere``; faction_weight: (Q,) those weights.
        present, posture: (n, T) presence (1.0 / 0.0) and posture per theatre.
        pacific: (T,) 1.0 for Pacific theatres; europe: (m,) 1.0 for European issues.
        salience: (n, m); linkage: the F11 linkage.
        uncovered: (n, T) the share of exposure open military lines leave uncovered.
        exposure, salience_eff, uncovered_exposure: (n, T), (n, m), (n, T) outputs, the last
            ``exposure x uncovered``.
    """
    n, T = posture.shape
    m = salience.shape[1]
    row = np.empty(T)
    faction = np.zeros((n, T))
    for h in range(faction_terms.shape[0]):
        i, j, t = faction_terms[h, 0], faction_terms[h, 1], faction_terms[h, 2]
        faction[i, t] += faction_weight[h] * posture[j, t]
    for i in range(n):
        for t in range(T):
            x = tpp[i, t] * present[i, t] + faction[i, t]
            exposure[i, t] = x
            uncovered_exposure[i, t] = x * uncovered[i, t]
        tot = _row_sum(posture[i])
        for t in range(T):
            row[t] = posture[i, t] * pacific[t]
        pac = _row_sum(row) / _max(tot, 1e-12) if tot > 0 else 0.0
        lp = linkage * pac
        for q in range(m):
            salience_eff[i, q] = salience[i, q] * (1.0 - lp * europe[q])


# rows of values_core's packed arguments (built once per structure by
# sim.phases.perceive._compiled_fixed)
NK_PREF, NK_USABLE, NK_SIDE, NK_SENDER = 0, 1, 2, 3  # per_actor (4, n, K)
K_VENUE, K_POLITICAL, K_MILITARY, K_DEC_W, K_BASELINE, K_REOPEN, K_EVENT_ONLY = 0, 1, 2, 3, 4, 5, 6  # per_channel (7, K)
V_VALUE, V_UPKEEP, V_INSULT, V_TENSION_COST, V_HALF_STAFF = 0, 1, 2, 3, 4  # values_core's params (5,)
P_BIN, P_I, P_J = 0, 1, 2  # pair_index (3, P)


@_jit
def values_core(stake, stake_venue, dec_need, need_left, per_actor, per_channel, pair_index, pair_count, cap_index, e, staff, status, tension, issue_state, params, values, cap):
    """Channel values and costs and staff caps of :func:`sim.phases.perceive.channel_values`
    (F1-F3, F5, F14), from numpy's matrix products, in numpy's order of operations.

    The arguments fixed by the world and the structure come packed in a few arrays (each
    argument of a compiled call costs time).

    Args:
        stake, stake_venue: (n, K) effective salience of the issues each channel carries, and
            of those it serves (taken for a channel to a venue).
        dec_need, need_left: (n, K) exposure, and exposure left uncovered by military lines,
            in each channel's theatres.
        per_actor: (4, n, K) preference, usability (F3, F5), side and the channel's sender
            (1.0 / 0.0), rows ``NK_*``.
        per_channel: (7, K) rows ``K_*``: 1.0 for channels to a venue (none with
            ``channels.venue`` off), 1.0 for political channels, 1.0 for military lines, the
            deconfliction weight x ``DECONFLICTION_VALUE``, the staff in normal times, the
            staff a reopened channel starts with, 1.0 for event-only channels.
        pair_index: (3, P) int rows ``P_*``: the channel pairs' bin ``k n + i`` and endpoints.
        pair_count: (K, n) int number of counterparts of each actor on each channel.
        cap_index: (2, C) int: the staffing issues and the channels they cap (F14).
        e: (K,) effectiveness now; staff: (K,) persons on post; status: (K,) int8 codes.
            The effectiveness if open and the share of own staff lost are computed here as
            :func:`sim.phases.perceive._by_channels` computes them (the same operations in the
            same order): ``e`` where open, ``sim.channels.effectiveness`` of
            ``max(staff, reopen staff)`` where shut, 0.5 for event-only channels; for the
            sender, ``1 - min(staff / baseline, 1)``.
        tension: (n, n); issue_state: (m,).
        params: (5,) ``channel_value``, ``channel_upkeep``, ``channels.insult``,
            ``channels.tension_cost``, ``sim.channels.HALF_STAFF`` (``V_*``).
        values: (4, n, K) output: value, value if open, cost, mean tension with counterparts.
        cap: (K,) output: most staff allowed.
    """
    n, K = stake.shape
    pref = per_actor[NK_PREF]
    usable = per_actor[NK_USABLE]
    side_t = per_actor[NK_SIDE]
    political = per_channel[K_POLITICAL]
    dec_w = per_channel[K_DEC_W]
    baseline = per_channel[K_BASELINE]
    sender = per_actor[NK_SENDER]
    # effectiveness if open and the sender's share of its staff lost (_by_channels)
    half = params[V_HALF_STAFF]
    e_open = np.empty(K)
    lost = np.empty(K)
    for k in range(K):
        if per_channel[K_EVENT_ONLY, k] != 0.0:
            e_open[k] = 0.5
        elif status[k] == 0:
            e_open[k] = e[k]
        else:
            q = _min(_max(staff[k], per_channel[K_REOPEN, k]) / baseline[k], 1.0)
            e_open[k] = q * (1.0 + half) / (q + half)
        lost[k] = 1.0 - _min(staff[k] / baseline[k], 1.0)
    # mean tension with a channel's counterparts (np.bincount: in the pairs' order, from 0)
    tsum = np.zeros(K * n)
    for p in range(pair_index.shape[1]):
        tsum[pair_index[P_BIN, p]] += tension[pair_index[P_I, p], pair_index[P_J, p]]
    cv, upkeep, insult, tcost = params[0], params[1], params[2], params[3]
    for i in range(n):
        for k in range(K):
            venue = per_channel[K_VENUE, k] != 0.0
            sk = stake_venue[i, k] if venue else stake[i, k]
            pol = cv * pref[i, k] * sk * usable[i, k] * political[k]
            need = dec_need[i, k] if per_channel[K_MILITARY, k] != 0.0 else need_left[i, k]
            worth = pol + need * dec_w[k]
            values[0, i, k] = worth * e[k] * side_t[i, k]
            values[1, i, k] = worth * e_open[k] * side_t[i, k]
            count = pair_count[k, i]
            other = tsum[k * n + i] / count if count > 0 else 0.0
            values[3, i, k] = other
            host = 0.0 if venue else other
            own_loss = lost[k] if sender[i, k] != 0.0 else 0.0
            values[2, i, k] = upkeep + political[k] * (insult * own_loss + tcost * host)
    # staff caps (F14)
    for k in range(K):
        cap[k] = baseline[k]
    for c in range(cap_index.shape[1]):
        k = cap_index[1, c]
        cap[k] = _min(cap[k], issue_state[cap_index[0, c]] * baseline[k])

"""The AI policy's scoring and drawing compiled with numba: the fast path of :mod:`sim.policy`.

Nothing here is public API. :func:`sim.policy.candidates` and :func:`sim.phases.decide.ai_actions`
call these cores when the kernel's backend is ``"compiled"`` (:func:`sim.kernel.backend`); the
numpy scorers of :mod:`sim.policy` (``SCORERS``) and :func:`sim.policy.draw` are their test
oracles (``tests/test_policy_compiled.py``): the same candidate rows in the same order, the same
numbers, the same draws.

Two entry points run every turn, so that a process start loads only two cached overloads (about
10-30 ms of CPU each):

* :func:`score_core`: every candidate of :data:`sim.policy.SCORERS`, in their row order
  (``pass``, then :func:`sim.policy.channel_candidates` (close, suspend, open),
  :func:`~sim.policy.staff_candidates` (expel, restore), :func:`~sim.policy.posture_candidates`
  (raise, lower), :func:`~sim.policy.patrol_candidates`, the applications for membership as
  :func:`~sim.policy.membership_rows` gives them, and :func:`~sim.policy.force_candidates`).
  The formulas, their constants and their sources are those of the numpy scorers' docstrings
  (docs/model.md 7.3, 7.14); every expression is evaluated in the same order, so that the
  numbers are identical, not only close. The one matrix product of the patrols (the shared
  pressure, a BLAS call whose rounding a loop does not reproduce) is computed by the caller
  with numpy. It is called through :func:`score_packed`, which takes the arrays that the world
  and the structure fix packed into three buffers (a compiled call costs per argument).
* :func:`draw_core`: the Gumbel-top-k draw of :func:`sim.policy.draw` (Kool, van Hoof and
  Welling 2019) from the caller's Gumbel noise, followed by the one-action-per-object rule of
  :func:`sim.phases.decide.ai_actions`.

A third, :func:`force_core`, serves :func:`sim.phases.force.options` where a use of force is
carried out or a human's legal actions are listed (loaded only when first used).

Compiled code is cached on disk as for the kernel (:mod:`sim.kernel_compiled`: ``_jit``, no
fastmath, numpy's error model).
"""

from __future__ import annotations

import numpy as np

from sim.kernel_compiled import _jit

SCORED = ("pass_candidates", "channel_candidates", "staff_candidates", "posture_candidates", "patrol_candidates", "membership_candidates", "force_candidates")
"""The scorers of :mod:`sim.policy` whose rows :func:`score_core` gives, in its row order
(:func:`sim.policy.compiled` checks them against ``sim.policy.SCORERS``)."""

# indices into score_core's ``params`` (float64) array
P_CONSENT = 0  # dynamics.channels.consent (> 0: on)
P_CLOSE_COST = 1  # sim.policy.CLOSE_COST
P_SUSPEND_COST = 2  # sim.policy.SUSPEND_COST
P_REOPEN_1 = 3  # sim.policy.REOPEN_COST[1] (suspended)
P_REOPEN_2 = 4  # sim.policy.REOPEN_COST[2] (closed)
P_EXPEL_SHARE = 5  # sim.policy.EXPEL_SHARE
P_EXPULSION_STAFF = 6  # dynamics.expulsion_staff
P_RECIPROCITY = 7  # dynamics.reciprocity
P_TENSION_COST = 8  # dynamics.channels.tension_cost
P_EXPEL_COST = 9  # sim.policy.EXPEL_COST
P_RESTORE_STAFF = 10  # dynamics.restore_staff
P_STAFFING_RECIPROCITY = 11  # dynamics.staffing.reciprocity (> 0: on)
P_RECIPROCITY_MIN = 12  # sim.policy.RECIPROCITY_MIN
P_GESTURE_TENSION = 13  # dynamics.staffing.gesture_tension
P_HALF_STAFF = 14  # sim.channels.HALF_STAFF
P_POSTURE_STEP = 15  # dynamics.posture_step
P_DETERRENCE = 16  # dynamics.deterrence
P_POSTURE_COST = 17  # dynamics.posture_cost
P_SHARED_ADVERSARY = 18  # dynamics.patrol.shared_adversary (> 0: on)
P_ADVERSARY_THREAT = 19  # dynamics.patrol.adversary_threat
P_COOPERATION = 20  # dynamics.patrol.cooperation (> 0: on)
P_PATROL_SCALE = 21  # sim.policy.PATROL_WEIGHT x dynamics.alignment_pressure (one Python product)
P_PATROL_CAUTION = 22  # sim.policy.PATROL_CAUTION
P_STEP_COST = 23  # dynamics.posture_cost x dynamics.posture_step (one Python product)
P_PATROL_COST = 24  # dynamics.patrol.cost
P_PATROL_CONSENT = 25  # dynamics.patrol.consent (> 0: on)
N_PARAMS = 26

# indices into score_core's ``codes`` (int64) array: sim.actions.KIND_CODE of each kind
C_PASS, C_CLOSE, C_SUSPEND, C_OPEN, C_EXPEL, C_RESTORE, C_POSTURE, C_PATROL, C_MEMBERSHIP, C_FORCE = range(10)
N_CODES = 10


@_jit
def _sum(a):
    """numpy's sum of a 1-d contiguous float array, in numpy's order (pairwise, 8 accumulators).

    ``np.add.reduce`` sums fewer than 8 items left to right from 0; up to 128 in 8 interleaved
    accumulators combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`` and the rest
    added in turn; longer arrays split in two at a multiple of 8 below half (numpy's
    ``pairwise_sum``). Checked against ``np.sum`` in tests/test_policy_compiled.py.
    """
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
        r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
        i = 8
        while i < n - n % 8:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _sum(a[:n2]) + _sum(a[n2:])


@_jit
def _effect(staff, base, half):
    """Effectiveness of an open channel at ``staff`` persons (:func:`sim.channels.effectiveness`)."""
    q = _minimum(staff / base, 1.0)
    return q * (1.0 + half) / (q + half)


@_jit
def _maximum(a, b):
    """``np.maximum`` of two floats (nan if either is nan)."""
    if np.isnan(a) or np.isnan(b):
        return a + b
    return a if a >= b else b


@_jit
def _minimum(a, b):
    """``np.minimum`` of two floats (nan if either is nan)."""
    if np.isnan(a) or np.isnan(b):
        return a + b
    return a if a <= b else b


@_jit
def score_core(
    mask,
    ch_acts,
    ch_kinds,
    ch_event_only,
    ch_sender,
    ch_host,
    ch_host_may_close,
    status,
    ch_value,
    ch_value_open,
    ch_cost,
    ch_tension,
    hosts,
    hchans,
    senders,
    ch_baseline,
    staff,
    effect,
    threat,
    tension,
    grievance,
    goodwill,
    staff_cap,
    capped,
    present,
    posture,
    cost_scale,
    exposure,
    appetite,
    pia,
    pib,
    pressure,
    members,
    bloc_military,
    ch_political,
    ch_pair,
    ch_theatre,
    patrolled,
    params,
    codes,
    membership,
    force_on,
    x,
    forecast,
    salience_eff,
    deciders,
    acc_issue,
    acc_cand,
    ch_score,
    rl_owner,
    rl_issue,
    rl_armed,
    capability,
    alignment,
    misperception,
    misjudged,
    costs,
    intervention,
):
    """Every AI candidate of the turn, in the numpy scorers' order (:data:`sim.policy.SCORERS`).

    Args:
        mask: (n,) bool, the actors to score.
        ch_acts, ch_kinds: (P,) int64 actor and channel of each (actor, channel it acts on)
            pair (``Structure.channel_actor_pairs``).
        ch_event_only, ch_host_may_close: (K,) bool; ch_sender, ch_host: (K,) int64 (World).
        status: (K,) int8 channel status (0 open, 1 suspended, 2 closed).
        ch_value, ch_value_open, ch_cost, ch_tension: (n, K) the channel terms of
            :func:`sim.phases.perceive.channel_values`, utility units.
        hosts, hchans, senders: (H,) int64 staffed channels between two states
            (``Structure.host_pairs``).
        ch_baseline: (K,) baseline staff, persons, > 0; staff: (K,) persons on post;
            effect: (K,) effectiveness now, in [0, 1]; staff_cap: (K,) most staff allowed.
        threat: (n, n) scenario threat weights, in [0, 1]; tension, grievance, goodwill: (n, n).
        capped: (K,) bool, the channel's ceiling is set by a staffing issue.
        present: (n, T) bool; posture: (n, T) in [0, 1]; cost_scale: (n,) > 0;
            exposure, appetite: (n, T).
        pia, pib: (Q,) int64 aligned pairs (alignment above 0.2, ``pia`` in ``mask``), row order.
        pressure: (Q, T) ``min(threat_perc[a], threat_perc[b]) @ posture`` (numpy's product).
        members: (B, n) bool; bloc_military: (B,) bool; ch_political: (K,) bool;
            ch_pair: (K, n, n) bool; ch_theatre: (K, T) bool; patrolled: (n, n) in [0, 1].
        params: (N_PARAMS,) float64 coefficients (the ``P_*`` indices above).
        codes: (N_CODES,) int64 action kind codes (the ``C_*`` indices above).
        membership: (M, 6) float64 the applications for membership
            (:func:`sim.policy.membership_rows`: candidate, bloc, issue, score, stake, -rebuff
            cost), copied in as they are.
        force_on: whether to add the uses of force (:func:`sim.policy.force_candidates`:
            ``force.enabled`` and the turn's challenges known).
        x, forecast, salience_eff, deciders, acc_issue, acc_cand, capability, alignment,
            misperception, misjudged, costs, intervention: as for :func:`force_core`.
        ch_score: (m, n, n) the challenge scores (``Challenges.score``); rl_owner, rl_issue:
            (R,) int64 each red line's owner and issue; rl_armed: (R,) bool (a disarmed red
            line, talks failed, counts no bargaining value: :func:`sim.phases.force.bargaining_value`).

    Returns:
        ``(actor, kind, a1, a2, value, score, terms)``: (N,) int64, int64, int64, int64,
        float64, float64 and (N, 3) float64, the fields of :class:`sim.policy.Candidates`.
    """
    n = mask.shape[0]
    P = ch_acts.shape[0]
    H = hosts.shape[0]
    T = present.shape[1]
    Q = pia.shape[0]
    B = members.shape[0]
    K = status.shape[0]
    M = membership.shape[0]
    cap = n + 2 * P + 2 * H + 2 * n * T + Q * T + M + n * n * T
    actor = np.empty(cap, np.int64)
    kind = np.empty(cap, np.int64)
    a1 = np.empty(cap, np.int64)
    a2 = np.empty(cap, np.int64)
    value = np.empty(cap, np.float64)
    score = np.empty(cap, np.float64)
    terms = np.empty((cap, 3), np.float64)
    N = 0

    # pass: every actor in the mask, score 0
    for i in range(n):
        if mask[i]:
            actor[N] = i
            kind[N] = codes[C_PASS]
            a1[N] = 0
            a2[N] = 0
            value[N] = 0.0
            score[N] = 0.0
            terms[N, 0] = 0.0
            terms[N, 1] = 0.0
            terms[N, 2] = 0.0
            N += 1

    # channels (sim.policy.channel_candidates): the kept pairs, then close and suspend on open
    # channels, open on shut ones
    keep = np.zeros(P, np.bool_)
    for p in range(P):
        a, k = ch_acts[p], ch_kinds[p]
        ok = mask[a] and not ch_event_only[k]
        if ok and params[P_CONSENT] > 0:
            sender = ch_sender[k] == a
            if status[k] == 0:
                ok = sender or (ch_host[k] == a and ch_host_may_close[k])
            else:
                ok = sender
        keep[p] = ok
    for block in range(3):  # 0 close, 1 suspend (open channels), 2 open (shut ones)
        for p in range(P):
            if not keep[p]:
                continue
            a, k = ch_acts[p], ch_kinds[p]
            is_open = status[k] == 0
            if is_open != (block < 2):
                continue
            actor[N] = a
            a1[N] = k
            a2[N] = 0
            value[N] = 0.0
            if block == 0:
                v, c, t = ch_value[a, k], ch_cost[a, k], ch_tension[a, k]
                kind[N] = codes[C_CLOSE]
                score[N] = c - v - params[P_CLOSE_COST]
                terms[N, 0] = c
                terms[N, 1] = -v
                terms[N, 2] = t
            elif block == 1:
                v, c = ch_value[a, k], ch_cost[a, k]
                kind[N] = codes[C_SUSPEND]
                score[N] = 0.8 * (c - v) - params[P_SUSPEND_COST]
                terms[N, 0] = 0.8 * c
                terms[N, 1] = -0.8 * v
                terms[N, 2] = 0.0 * v
            else:
                v, c = ch_value_open[a, k], ch_cost[a, k]
                reopen = params[P_REOPEN_1] if status[k] == 1 else params[P_REOPEN_2]
                kind[N] = codes[C_OPEN]
                score[N] = v - c - reopen
                terms[N, 0] = v
                terms[N, 1] = -c
                terms[N, 2] = -reopen
            N += 1

    # staff (sim.policy.staff_candidates): expel on every kept line, then restore
    half = params[P_HALF_STAFF]
    for block in range(2):
        for h in range(H):
            a, k, s = hosts[h], hchans[h], senders[h]
            if not mask[a] or status[k] != 0:
                continue
            base = ch_baseline[k]
            on_post = staff[k]
            hostility = _maximum(threat[a, s], threat[s, a])
            excess = _maximum(tension[a, s] - 0.5 * hostility, 0.0) * hostility
            if block == 0:
                size = np.floor(_minimum(params[P_EXPEL_SHARE] * on_post, params[P_EXPULSION_STAFF] * base))
                if not size > 0:
                    continue
                e_now = effect[k]
                e_after = _effect(on_post - size, base, half)
                if e_now > 0:
                    lost = ch_value[a, k] * (1 - e_after / _maximum(e_now, 1e-12))
                else:
                    lost = 0.0
                grv = params[P_RECIPROCITY] * grievance[a, s]
                ten = params[P_TENSION_COST] * excess
                kind[N] = codes[C_EXPEL]
                score[N] = grv + ten - lost - params[P_EXPEL_COST]
                terms[N, 0] = grv
                terms[N, 1] = ten
                terms[N, 2] = -lost
            else:
                size = _minimum(staff_cap[k] - on_post, params[P_RESTORE_STAFF] * base)
                if not size >= 1:
                    continue
                if params[P_STAFFING_RECIPROCITY] > 0:
                    if not (capped[k] or goodwill[a, s] > params[P_RECIPROCITY_MIN] or tension[a, s] < params[P_GESTURE_TENSION]):
                        continue
                e_now = effect[k]
                e_after = _effect(on_post + size, base, half)
                gain = ch_value_open[a, k] * (e_after - e_now) / _maximum(e_after, 1e-12)
                gw = params[P_RECIPROCITY] * (goodwill[a, s] - grievance[a, s])
                ten = params[P_TENSION_COST] * excess
                kind[N] = codes[C_RESTORE]
                score[N] = gain + gw - ten
                terms[N, 0] = gain
                terms[N, 1] = gw
                terms[N, 2] = -ten
            actor[N] = a
            a1[N] = k
            a2[N] = s
            value[N] = np.rint(size)
            N += 1

    # posture (sim.policy.posture_candidates): raise everywhere present, then lower
    total = np.empty(n)
    for i in range(n):
        total[i] = _sum(posture[i])
    step = params[P_POSTURE_STEP]
    for sign in (1.0, -1.0):
        for i in range(n):
            if not mask[i]:
                continue
            for t in range(T):
                if not present[i, t]:
                    continue
                cur = posture[i, t]
                new = min(max(cur + sign * step, 0.0), 1.0)
                dlt = new - cur
                if not abs(dlt) > 1e-9:
                    continue
                det = params[P_DETERRENCE] * exposure[i, t] * appetite[i, t] * dlt
                cost = params[P_POSTURE_COST] * ((total[i] + dlt) ** 2 - total[i] ** 2) / cost_scale[i]
                actor[N] = i
                kind[N] = codes[C_POSTURE]
                a1[N] = t
                a2[N] = 0
                value[N] = np.rint(new * 1e6) / 1e6
                score[N] = det - cost
                terms[N, 0] = det
                terms[N, 1] = -cost
                terms[N, 2] = appetite[i, t]
                N += 1

    # joint patrols (sim.policy.patrol_candidates): pairs in order, theatres in order
    there = np.empty((n, T), np.bool_)
    for k in range(n):
        for t in range(T):
            there[k, t] = posture[k, t] * (1.0 if present[k, t] else 0.0) > 0
    thr = params[P_ADVERSARY_THREAT]
    for q in range(Q):
        a, b = pia[q], pib[q]
        press = 0.0
        pressed = False  # press is computed on the pair's first kept theatre
        bloc = False
        if params[P_COOPERATION] > 0:
            for g in range(B):
                if bloc_military[g] and members[g, a] and members[g, b]:
                    bloc = True
                    break
        for t in range(T):
            if not (present[a, t] and present[b, t] and pressure[q, t] > 0):
                continue
            if params[P_SHARED_ADVERSARY] > 0:
                adv = False
                for k in range(n):
                    if k != a and k != b and threat[a, k] >= thr and threat[b, k] >= thr and there[k, t]:
                        adv = True
                        break
                if not adv:
                    continue
            if params[P_COOPERATION] > 0 and not bloc:
                line = False
                for k in range(K):
                    if not ch_political[k] and status[k] == 0 and ch_pair[k, a, b] and ch_theatre[k, t]:
                        line = True
                        break
                if not line:
                    continue
            if not pressed:
                pressed = True
                press = params[P_PATROL_SCALE] * _sum(pressure[q]) * (1.0 - patrolled[a, b])
            cost_a = params[P_PATROL_CAUTION] * (1 - appetite[a, t]) + params[P_STEP_COST] / cost_scale[a] + params[P_PATROL_COST]
            cost_b = params[P_PATROL_CAUTION] * (1 - appetite[b, t]) + params[P_STEP_COST] / cost_scale[b] + params[P_PATROL_COST]
            gain_b = press - cost_b
            if params[P_PATROL_CONSENT] > 0 and not gain_b > 0:
                continue
            actor[N] = a
            kind[N] = codes[C_PATROL]
            a1[N] = t
            a2[N] = b
            value[N] = 0.0
            score[N] = press - cost_a
            terms[N, 0] = press
            terms[N, 1] = -cost_a
            terms[N, 2] = gain_b
            N += 1

    # applications for membership (sim.policy.membership_candidates), as given
    for r in range(M):
        actor[N] = int(membership[r, 0])
        kind[N] = codes[C_MEMBERSHIP]
        a1[N] = int(membership[r, 1])
        a2[N] = int(membership[r, 2])
        value[N] = 0.0 * membership[r, 0]
        score[N] = membership[r, 3]
        terms[N, 0] = membership[r, 4]
        terms[N, 1] = membership[r, 5]
        terms[N, 2] = 0.0 * membership[r, 0]
        N += 1

    # uses of force (sim.policy.force_candidates)
    if force_on:
        bargain = _bargaining_value(ch_score, rl_owner, rl_issue, rl_armed)
        opt = _force_terms(x, forecast, salience_eff, deciders, acc_issue, acc_cand, bargain, capability, posture, present, members, bloc_military, alignment, tension, mask, misperception, misjudged, costs, intervention, False)
        fi, fj, ft, eu, eub, p = opt[0], opt[1], opt[2], opt[3], opt[4], opt[5]
        for r in range(fi.shape[0]):
            actor[N] = fi[r]
            kind[N] = codes[C_FORCE]
            a1[N] = ft[r]
            a2[N] = fj[r]
            value[N] = p[r]
            score[N] = eu[r] - eub[r]
            terms[N, 0] = eu[r]
            terms[N, 1] = -eub[r]
            terms[N, 2] = p[r]
            N += 1

    return actor[:N], kind[:N], a1[:N], a2[:N], value[:N], score[:N], terms[:N]


@_jit
def _bargaining_value(ch_score, rl_owner, rl_issue, rl_armed):
    """(n, m) :func:`sim.phases.force.bargaining_value`: each actor's best challenge score on
    each issue (at least 0), 0 on an issue whose red line the actor holds disarmed."""
    m, n = ch_score.shape[0], ch_score.shape[1]
    best = np.empty((n, m))
    for i in range(n):
        for k in range(m):
            top = ch_score[k, i, 0]
            for j in range(1, n):  # np.max: nan if any is nan
                v = ch_score[k, i, j]
                if np.isnan(v) or v > top:
                    top = v
            best[i, k] = _maximum(top, 0.0)
    for r in range(rl_owner.shape[0]):
        if not rl_armed[r]:
            best[rl_owner[r], rl_issue[r]] = 0.0
    return best


@_jit
def draw_core(actor, kind, a1, score, gumbel, k, temperature, pass_code, obj_of_kind):
    """Each actor's drawn actions (:func:`sim.policy.draw`), one per object, in draw order.

    The key of row r is ``score[r] / temperature + gumbel[r]``; each actor's rows are taken by
    decreasing key (ties: the lower row first, as ``np.lexsort``), at most ``k`` of them, up to
    its first ``pass`` (not included). Of these, a row whose object ``(obj_of_kind[kind], a1)``
    an earlier row of the same actor already acts on is dropped (one action per theatre,
    channel or staff line a turn: :data:`sim.phases.decide.ACTION_OBJECT`).

    Args:
        actor, kind, a1: (N,) int64 candidate fields; score, gumbel: (N,) float64.
        k: actions per actor, >= 0; temperature: > 0, utility units.
        pass_code: the kind code of ``pass``.
        obj_of_kind: (number of kinds,) int64 object class of each kind code.

    Returns:
        ``(rows, drawn, counts)``: ``rows`` (D,) int64 the kept rows, by actor then draw
        order; ``drawn`` (M,) int64 every row the draw kept before the one-per-object rule, same
        order (the lists :func:`sim.policy.draw` returns, joined); ``counts`` (A,) int64 the
        number of those per actor (A = largest actor + 1; 0 if there are no rows).
    """
    N = actor.shape[0]
    if N == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_act = 0
    for r in range(N):
        if actor[r] + 1 > n_act:
            n_act = actor[r] + 1
    neg = np.empty(N)
    for r in range(N):
        neg[r] = -(score[r] / temperature + gumbel[r])
    # rows grouped by actor in row order (a stable counting sort)
    start = np.zeros(n_act + 1, np.int64)
    for r in range(N):
        start[actor[r] + 1] += 1
    for a in range(n_act):
        start[a + 1] += start[a]
    fill = start[:-1].copy()
    grouped = np.empty(N, np.int64)
    for r in range(N):
        grouped[fill[actor[r]]] = r
        fill[actor[r]] += 1
    counts = np.zeros(n_act, np.int64)
    drawn = np.empty(N, np.int64)
    rows = np.empty(N, np.int64)
    D = 0
    M = 0
    objs = np.empty(max(k, 1), np.int64)
    args = np.empty(max(k, 1), np.int64)
    taken = np.zeros(N, np.bool_)
    for a in range(n_act):
        lo, hi = start[a], start[a + 1]
        used = 0
        for _ in range(min(k, hi - lo)):
            # the actor's next row by increasing key: the first untaken row (in row order) whose
            # key no other untaken row's is below, a nan key after every number: the order of a
            # stable sort of the keys (np.argsort, kind="mergesort"), taken a row at a time
            r = -1
            for g in range(lo, hi):
                c = grouped[g]
                if taken[c]:
                    continue
                if r < 0 or (not np.isnan(neg[c]) and (np.isnan(neg[r]) or neg[c] < neg[r])):
                    r = c
            taken[r] = True
            if kind[r] == pass_code:
                break
            drawn[M] = r
            M += 1
            counts[a] += 1
            o, x = obj_of_kind[kind[r]], a1[r]
            seen = False
            for u in range(used):
                if objs[u] == o and args[u] == x:
                    seen = True
                    break
            if seen:
                continue
            objs[used] = o
            args[used] = x
            used += 1
            rows[D] = r
            D += 1
    return rows[:D], drawn[:M], counts


# what the world and the structure fix, packed for score_packed: the header of ``fixed_i``
FI_ACTS, FI_HOSTS, FI_ACC, FI_RED = range(4)  # counts: channel-actor pairs, host pairs, accessions, red lines
N_FI_HEAD = 4
# the turn's flags and coefficients after the N_PARAMS of params(): force.cost,
# force.military_cost, force.sanctions_cost, force.intervention, force on, misjudged
P_COSTS = N_PARAMS
P_INTERVENTION = N_PARAMS + 3
P_FORCE_ON = N_PARAMS + 4
P_MISJUDGED = N_PARAMS + 5
N_TURN_PARAMS = N_PARAMS + 6


@_jit
def score_packed(fixed_i, fixed_f, fixed_b, mask, status, ch_value, ch_value_open, ch_cost, ch_tension, staff, effect, tension, grievance, goodwill, staff_cap, posture, cost_scale, exposure, pia, pib, pressure, members, patrolled, params, membership, x, forecast, salience_eff, ch_score, rl_armed, alignment, misperception):
    """:func:`score_core` with what the world and the structure fix in three buffers.

    A compiled function's call from Python costs about half a microsecond for each argument
    (its type is found and its value unboxed), so the 25 arrays that change only with the
    world or the structure go in packed once (:func:`pack_fixed`) and are cut out here, as views,
    in the order :func:`pack_fixed` wrote them; the force flags and coefficients follow the
    ``params`` (``P_COSTS`` ... ``P_MISJUDGED``).

    Args:
        fixed_i: int64 ``[counts (N_FI_HEAD,), ch_acts, ch_kinds, ch_sender, ch_host, hosts,
            hchans, senders, codes, acc_issue, acc_cand, rl_owner, rl_issue]``.
        fixed_f: float64 ``[ch_baseline (K,), threat (n, n), appetite (n, T), capability (n,)]``.
        fixed_b: bool ``[ch_event_only, ch_host_may_close, capped, ch_political (K,) each,
            present (n, T), bloc_military (B,), ch_pair (K, n, n), ch_theatre (K, T),
            deciders (m, n)]``.
        the rest: as :func:`score_core`; ``params`` is (N_TURN_PARAMS,).

    Returns:
        What :func:`score_core` returns.
    """
    n = mask.shape[0]
    K = status.shape[0]
    T = posture.shape[1]
    m = x.shape[1]
    B = members.shape[0]
    P1 = fixed_i[FI_ACTS]
    P2 = fixed_i[FI_HOSTS]
    A = fixed_i[FI_ACC]
    R = fixed_i[FI_RED]
    o = N_FI_HEAD
    ch_acts = fixed_i[o : o + P1]
    o += P1
    ch_kinds = fixed_i[o : o + P1]
    o += P1
    ch_sender = fixed_i[o : o + K]
    o += K
    ch_host = fixed_i[o : o + K]
    o += K
    hosts = fixed_i[o : o + P2]
    o += P2
    hchans = fixed_i[o : o + P2]
    o += P2
    senders = fixed_i[o : o + P2]
    o += P2
    codes = fixed_i[o : o + N_CODES]
    o += N_CODES
    acc_issue = fixed_i[o : o + A]
    o += A
    acc_cand = fixed_i[o : o + A]
    o += A
    rl_owner = fixed_i[o : o + R]
    o += R
    rl_issue = fixed_i[o : o + R]
    o = 0
    ch_baseline = fixed_f[o : o + K]
    o += K
    threat = fixed_f[o : o + n * n].reshape((n, n))
    o += n * n
    appetite = fixed_f[o : o + n * T].reshape((n, T))
    o += n * T
    capability = fixed_f[o : o + n]
    o = 0
    ch_event_only = fixed_b[o : o + K]
    o += K
    ch_host_may_close = fixed_b[o : o + K]
    o += K
    capped = fixed_b[o : o + K]
    o += K
    ch_political = fixed_b[o : o + K]
    o += K
    present = fixed_b[o : o + n * T].reshape((n, T))
    o += n * T
    bloc_military = fixed_b[o : o + B]
    o += B
    ch_pair = fixed_b[o : o + K * n * n].reshape((K, n, n))
    o += K * n * n
    ch_theatre = fixed_b[o : o + K * T].reshape((K, T))
    o += K * T
    deciders = fixed_b[o : o + m * n].reshape((m, n))
    costs = params[P_COSTS : P_COSTS + 3]
    intervention = params[P_INTERVENTION]
    force_on = params[P_FORCE_ON] > 0
    misjudged = params[P_MISJUDGED] > 0
    return score_core(
        mask, ch_acts, ch_kinds, ch_event_only, ch_sender, ch_host, ch_host_may_close, status,
        ch_value, ch_value_open, ch_cost, ch_tension,
        hosts, hchans, senders, ch_baseline, staff, effect, threat, tension, grievance, goodwill, staff_cap, capped,
        present, posture, cost_scale, exposure, appetite,
        pia, pib, pressure, members, bloc_military, ch_political, ch_pair, ch_theatre, patrolled,
        params, codes, membership,
        force_on, x, forecast, salience_eff, deciders, acc_issue, acc_cand,
        ch_score, rl_owner, rl_issue, rl_armed, capability, alignment,
        misperception, misjudged, costs, intervention,
    )  # fmt: skip


def pack_fixed(w, sx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three buffers of :func:`score_packed` (int64, float64, bool) for a world and a
    structure, in the order that :func:`score_packed` cuts them."""
    capped = np.zeros(len(w.channel_ids), np.bool_)
    capped[w.cap_channels] = True
    acts, kinds = sx.channel_actor_pairs
    hosts, chans, senders = sx.host_pairs
    acc = w.accession  # issue -> (bloc, candidate)
    acc_issue = np.array(list(acc), np.int64)
    acc_cand = np.array([c for _b, c in acc.values()], np.int64)
    rl_owner = np.array([r[0] for r in w.red_lines], np.int64)
    rl_issue = np.array([r[1] for r in w.red_lines], np.int64)
    head = np.array([len(acts), len(hosts), len(acc_issue), len(rl_owner)], np.int64)
    ints = [head, acts, kinds, w.ch_sender, w.ch_host, hosts, chans, senders, CODES, acc_issue, acc_cand, rl_owner, rl_issue]
    floats = [w.ch_baseline, w.threat, w.appetite, w.capability]
    bools = [w.ch_event_only, w.ch_host_may_close, capped, w.ch_political, w.present, w.bloc_military, sx.ch_pair, w.ch_theatre, sx.deciders]
    return (
        np.concatenate([np.asarray(a, np.int64).ravel() for a in ints]),
        np.concatenate([np.asarray(a, np.float64).ravel() for a in floats]),
        np.concatenate([np.asarray(a, np.bool_).ravel() for a in bools]),
    )


# ---------------------------------------------------------------------------------------------
# the callers' side: inputs gathered from a view of the turn


def _codes() -> np.ndarray:
    from sim.actions import KIND_CODE

    names = ("pass", "close_channel", "suspend_channel", "open_channel", "expel", "restore_staff", "set_posture", "joint_patrol", "apply_membership", "use_force")
    return np.array([KIND_CODE[k] for k in names], np.int64)


CODES = _codes()
"""(N_CODES,) the action kind codes score_core writes (sim.actions.KIND_CODE)."""


def params(dyn: dict[str, float], tail: tuple[float, ...] = ()) -> np.ndarray:
    """(N_PARAMS + len(tail),) float64 the coefficients of :func:`score_core`, from ``dyn`` and
    the named constants of :mod:`sim.policy` and :mod:`sim.channels` (their values and sources
    there), followed by ``tail`` (:func:`score_packed`'s force flags and coefficients)."""
    from sim import policy
    from sim.channels import HALF_STAFF

    d = dyn
    return np.array(
        [
            d["channels.consent"],
            policy.CLOSE_COST,
            policy.SUSPEND_COST,
            policy.REOPEN_COST[1],
            policy.REOPEN_COST[2],
            policy.EXPEL_SHARE,
            d["expulsion_staff"],
            d["reciprocity"],
            d["channels.tension_cost"],
            policy.EXPEL_COST,
            d["restore_staff"],
            d["staffing.reciprocity"],
            policy.RECIPROCITY_MIN,
            d["staffing.gesture_tension"],
            HALF_STAFF,
            d["posture_step"],
            d["deterrence"],
            d["posture_cost"],
            d["patrol.shared_adversary"],
            d["patrol.adversary_threat"],
            d["patrol.cooperation"],
            policy.PATROL_WEIGHT * d["alignment_pressure"],
            policy.PATROL_CAUTION,
            d["posture_cost"] * d["posture_step"],
            d["patrol.cost"],
            d["patrol.consent"],
            *tail,
        ],
        np.float64,
    )


_C = np.ascontiguousarray

_params_of: tuple = (None, {})
"""``[a copy of the dynamics, {(force on, misjudged): their turn parameters}]``, as
:func:`_turn_params` made them for the last dynamics it was given."""


def _turn_params(dyn: dict[str, float], force_on: bool, misjudged: bool) -> np.ndarray:
    """(N_TURN_PARAMS,) :func:`params` of ``dyn`` followed by the force coefficients and this
    turn's flags (``P_COSTS`` ... ``P_MISJUDGED``), made again only when the dynamics differ
    from those of the last call (the arrays are only read, by :func:`score_packed`)."""
    global _params_of
    seen, made = _params_of  # one tuple: the dynamics and their arrays read together
    if seen != dyn:
        made = {}
        _params_of = (dict(dyn), made)
    key = (bool(force_on), bool(misjudged))
    prm = made.get(key)
    if prm is None:
        prm = made[key] = params(dyn, (dyn["force.cost"], dyn["force.military_cost"], dyn["force.sanctions_cost"], float(dyn["force.intervention"]), 1.0 if force_on else 0.0, 1.0 if misjudged else 0.0))
    return prm


_POLICY: list = []
""":mod:`sim.policy` once imported (it imports this module lazily: no import cycle at load)."""


def _policy():
    from sim import policy

    _POLICY.append(policy)
    return policy


def candidates(ctx, mask: np.ndarray | None = None):
    """Every AI candidate of a view of the turn, from :func:`score_core`.

    Args:
        ctx: a :class:`sim.phases.decide.PolicyView`.
        mask: (n,) bool actors to score (default: ``ctx.ai_mask``).

    Returns:
        One :class:`sim.policy.Candidates` with the rows of the scorers of
        :data:`sim.policy.SCORERS`, in that order, with the same values.
    """
    policy = _POLICY[0] if _POLICY else _policy()
    w, st, per, sx, dyn = ctx.world, ctx.st, ctx.per, ctx.sx, ctx.dyn
    mask = _C(ctx.ai_mask if mask is None else mask, dtype=np.bool_)
    fixed = sx.fixed.get("policy_packed")
    if fixed is None:  # what the world and the structure fix (cached with the structure)
        fixed = sx.fixed["policy_packed"] = (*pack_fixed(w, sx), ~np.eye(w.n, dtype=bool))
    fixed_i, fixed_f, fixed_b, not_self = fixed
    # the patrols' aligned pairs and their shared pressure: numpy's matrix product (BLAS), as in
    # sim.policy.patrol_candidates
    ia, ib = np.nonzero((st.alignment > 0.2) & not_self & mask[:, None])
    tp = per.threat_perc
    pressure = np.minimum(tp[ia], tp[ib]) @ st.posture
    # (a view's salience, position, issue state, rebuffs and motions are its state's)
    membership = np.array(policy.membership_rows(ctx, mask, st), np.float64).reshape(-1, 6)
    ch = getattr(ctx, "challenges", None)
    force_on = dyn["force.enabled"] > 0 and ch is not None
    n = w.n
    misjudged = False
    if force_on:
        forecast, ch_score, misjudged = _C(ch.forecast, dtype=np.float64), _C(ch.score, dtype=np.float64), ch.misperception is not None
        mis = _C(ch.misperception, dtype=np.float64) if misjudged else np.zeros((n, n))
    else:
        forecast, ch_score, mis = np.zeros(w.m), np.zeros((w.m, n, n)), np.zeros((n, n))
    prm = _turn_params(dyn, force_on, misjudged)
    out = score_packed(
        fixed_i, fixed_f, fixed_b, mask, _C(st.status, dtype=np.int8),
        _C(per.channel_value), _C(per.channel_value_if_open), _C(per.channel_cost), _C(per.channel_tension),
        _C(st.staff), _C(per.effectiveness), _C(st.tension), _C(st.grievance), _C(st.goodwill), _C(per.staff_cap),
        _C(st.posture), per.cost_scale, _C(per.exposure),
        ia, ib, _C(pressure), _C(st.members), _C(st.patrolled),
        prm, membership,
        _C(st.position, dtype=np.float64), forecast, _C(per.salience_eff, dtype=np.float64),
        ch_score, _C(st.red_line_armed, dtype=np.bool_), _C(st.alignment, dtype=np.float64), mis,
    )  # fmt: skip
    return policy.Candidates(*out)


# ---------------------------------------------------------------------------------------------
# the uses of force open this turn (sim.phases.force.options)


@_jit
def force_core(x, forecast, salience_eff, deciders, acc_issue, acc_cand, bargain, capability, posture, present, members, bloc_military, alignment, tension, mask, misperception, misjudged, costs, intervention, every):
    """The terms of every use of force open this turn: :func:`sim.phases.force.options` in one call.

    The stakes (:func:`sim.phases.force.stakes`), the gain and loss of force and the value of
    bargaining on the same issues (sums over issues in issue order, as numpy's ``einsum`` of
    those terms and the oracle's sum), the local strength and third-party commitment
    (:func:`sim.phases.force.commitment`), then the kernel's force table
    (:func:`sim.phases.policy_compiled.force_table`, the kernel's force table with its sums hoisted).

    Args:
        x: (n, m) positions in [0, 1]; forecast: (m,) the kernel's forecast;
            salience_eff: (n, m) effective salience in [0, 1].
        deciders: (m, n) bool; acc_issue, acc_cand: (A,) int64 each accession issue and its
            candidate (weight 1 on that issue).
        bargain: (n, m) the best challenge score of each actor on each issue, >= 0.
        capability: (n,) shares; posture: (n, T) in [0, 1]; present: (n, T) bool.
        members: (B, n) bool; bloc_military: (B,) bool.
        alignment: (n, n) in [-1, 1]; tension: (n, n) in [0, 1]; mask: (n,) bool attackers.
        misperception: (n, n) each attacker's error, used if ``misjudged``.
        costs: (3,) ``force.cost``, ``force.military_cost``, ``force.sanctions_cost``;
            intervention: ``force.intervention``; every: keep every triple (a human's list).

    Returns:
        The ten arrays of :class:`sim.phases.force.ForceOptions`, in its field order.
    """
    return _force_terms(x, forecast, salience_eff, deciders, acc_issue, acc_cand, bargain, capability, posture, present, members, bloc_military, alignment, tension, mask, misperception, misjudged, costs, intervention, every)


@_jit
def _force_terms(x, forecast, salience_eff, deciders, acc_issue, acc_cand, bargain, capability, posture, present, members, bloc_military, alignment, tension, mask, misperception, misjudged, costs, intervention, every):
    """The body of :func:`force_core` (also called by :func:`score_core`). The loss and the
    value of bargaining of a pair are summed only for an attacker in ``mask`` and a positive
    gain, the only pairs :func:`force_table` reads them for (0 elsewhere)."""
    n, m = x.shape
    B = members.shape[0]
    T = posture.shape[1]
    wt = np.empty((n, m))
    for k in range(m):
        count = 0
        for j in range(n):
            if deciders[k, j]:
                count += 1
        count = max(count, 1)
        for j in range(n):
            wt[j, k] = (1.0 if deciders[k, j] else 0.0) / count
    for a in range(acc_issue.shape[0]):
        wt[acc_cand[a], acc_issue[a]] = 1.0
    dist_mu = np.empty((n, m))
    for i in range(n):
        for k in range(m):
            dist_mu[i, k] = abs(x[i, k] - forecast[k])
    gain = np.empty((n, n))
    loss = np.empty((n, n))
    bv = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            g = 0.0
            for k in range(m):
                g += wt[j, k] * salience_eff[i, k] * dist_mu[i, k]
            gain[i, j] = g
            lo = 0.0
            b = 0.0
            if mask[i] and g > 0:  # force_table reads the loss and the bargaining value only here
                for k in range(m):
                    worse = _maximum(abs(x[i, k] - x[j, k]) - dist_mu[i, k], 0.0)
                    lo += wt[j, k] * salience_eff[i, k] * worse
                    b += (1.0 if wt[j, k] > 0 else 0.0) * bargain[i, k]
            loss[i, j] = lo
            bv[i, j] = b
    S = np.empty((n, T))
    for i in range(n):
        for t in range(T):
            S[i, t] = capability[i] * posture[i, t] * (1.0 if present[i, t] else 0.0)
    commit = np.empty((n, n))
    for k in range(n):
        for j in range(n):
            allied = False
            if k != j:
                for g in range(B):
                    if bloc_military[g] and members[g, k] and members[g, j]:
                        allied = True
                        break
            commit[k, j] = 1.0 if allied else intervention * _maximum(alignment[k, j], 0.0)
        commit[k, k] = 0.0
    return force_table(S, commit, present, mask, gain, loss, bv, alignment, tension, capability, misperception, misjudged, costs, every)


@_jit
def force_table(S, commit, present, mask, gain, loss, bargain, alignment, tension, capability, misperception, misjudged, costs, every):
    """The compiled core of :func:`sim.kernel.force_table` (its numpy core is the oracle), with
    what does not depend on the target hoisted out of its loops: each side's help from
    third parties (``sum_k commit[k, side] x S[k, t]``, per side and theatre) and the reaction of
    the states closer to j than to i (per pair), each summed once in actor order, as there."""
    n, T = S.shape
    help_ = np.zeros((n, T))
    for x in range(n):
        for t in range(T):
            h = 0.0
            for k in range(n):
                h += commit[k, x] * S[k, t]
            help_[x, t] = h
    reaction = np.empty((n, n))
    known = np.zeros((n, n), np.bool_)
    cap = n * n * T
    ai = np.empty(cap, np.int64)
    aj = np.empty(cap, np.int64)
    at = np.empty(cap, np.int64)
    eu_out = np.empty(cap)
    bv_out = np.empty(cap)
    p_out = np.empty(cap)
    gain_out = np.empty(cap)
    loss_out = np.empty(cap)
    cost_out = np.empty(cap)
    true_out = np.empty(cap)
    count = 0
    for i in range(n):
        if not mask[i]:
            continue
        for t in range(T):
            if not (present[i, t] and S[i, t] > 0):
                continue
            for j in range(n):
                if j == i or not present[j, t] or not gain[i, j] > 0:
                    continue
                side_i = S[i, t] + help_[i, t] - commit[j, i] * S[j, t]
                side_j = S[j, t] + help_[j, t] - commit[i, j] * S[i, t]
                tot = side_i + side_j
                p_true = side_i / max(tot, 1e-12) if tot > 0 else 0.5
                p = p_true
                if misjudged:
                    p = min(max(p_true + misperception[i, j], 0.0), 1.0)
                if not known[i, j]:
                    r = 0.0
                    for k in range(n):
                        friend = 0.0
                        if k != i and k != j:
                            friend = max(alignment[k, j] - max(alignment[k, i], 0.0), 0.0)
                        r += capability[k] * friend
                    reaction[i, j] = r
                    known[i, j] = True
                cost = costs[0] * (1.0 - tension[i, j]) + costs[1] * (1.0 - p) + costs[2] * reaction[i, j]
                eu = p * gain[i, j] - (1.0 - p) * loss[i, j] - cost
                if eu > bargain[i, j] or every:
                    ai[count] = i
                    aj[count] = j
                    at[count] = t
                    eu_out[count] = eu
                    bv_out[count] = bargain[i, j]
                    p_out[count] = p
                    gain_out[count] = gain[i, j]
                    loss_out[count] = loss[i, j]
                    cost_out[count] = cost
                    true_out[count] = p_true
                    count += 1
    return (ai[:count], aj[:count], at[:count], eu_out[:count], bv_out[:count], p_out[:count], gain_out[:count], loss_out[:count], cost_out[:count], true_out[:count])


def force_options(w, st, deciders, forecast, salience_eff, bargain_value, dyn, mask, every, misperception):
    """The arrays of :func:`sim.phases.force.options` from :func:`force_core` (same arguments)."""
    acc = w.accession  # issue -> (bloc, candidate)
    acc_issue = np.array(list(acc), np.int64)
    acc_cand = np.array([c for _b, c in acc.values()], np.int64)
    n = w.n
    mis = np.zeros((n, n)) if misperception is None else _C(misperception, dtype=np.float64)
    costs = np.array([dyn["force.cost"], dyn["force.military_cost"], dyn["force.sanctions_cost"]])
    return force_core(
        _C(st.position, dtype=np.float64), _C(forecast, dtype=np.float64), _C(salience_eff, dtype=np.float64), _C(deciders, dtype=np.bool_),
        acc_issue, acc_cand, _C(bargain_value, dtype=np.float64), _C(w.capability, dtype=np.float64), _C(st.posture, dtype=np.float64),
        _C(w.present, dtype=np.bool_), _C(st.members, dtype=np.bool_), _C(w.bloc_military, dtype=np.bool_), _C(st.alignment, dtype=np.float64),
        _C(st.tension, dtype=np.float64), _C(mask, dtype=np.bool_), mis, misperception is not None, costs, float(dyn["force.intervention"]), bool(every),
    )  # fmt: skip

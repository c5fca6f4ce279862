"""The bargain phase's array work compiled with numba in one call: its fast path.

Nothing here is public API. :func:`sim.phases.bargain.bargain` calls :func:`bargain_turn` when
the kernel's backend is ``"compiled"`` (:func:`sim.kernel.backend`). The numpy backend's phase
(:func:`sim.phases.bargain.gate`, :func:`sim.phases.bargain.special_proposals`,
:func:`sim.phases.bargain._numpy_talks` and :func:`sim.phases.bargain._answer_blocs_and_humans`)
is the test oracle (``tests/test_bargain_fast.py``): the same numbers, bit for bit.

The formulas and their sources are those of the phase's docstrings. Every expression is
evaluated as the Python and numpy forms evaluate it: Python's ``min``/``max`` keep their first
argument unless the second is strictly beyond it, ``numpy.minimum``/``numpy.median`` and the
elementwise products and sums are the same IEEE operations in the same order, and the tension
changes are added in the order the Python form adds them (the talks' cells, then each bloc's
members in index order: first ``[i, member]``, then ``[member, i]``).

Compiled code is cached on disk as for the kernel (:mod:`sim.kernel_compiled`: ``_jit``, no
fastmath, numpy's error model). It calls the kernel's compiled :func:`sim.kernel_compiled.gate`
and :func:`sim.kernel_compiled.talks`, whose machine code numba's disk cache keeps with this
function's: a change to those two needs a change to this file (or a cleared cache) to be seen.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernel_compiled import (
    PROPOSAL_BLOC,
    PROPOSAL_HUMAN,
    PROPOSAL_NO_CHANNEL,
    PROPOSAL_OFFER,
    REBUFF_CAP,
    T_AGREE,
    T_CLIP,
    T_CONFLICT,
    T_DISTRUST,
    T_MAX_STEP,
    T_RESOLVE,
    _jit,
    _respond_one,
    gate,
    talks,
)

# entries of bargain_turn's ``counts`` (int64)
C_AGREEMENTS = 0  # agreements of the talks' cells
C_CONFLICTS = 1  # conflicts (disputes and stalemates) of the talks' cells
C_DISPUTES = 2  # disputes (the kernel's conflict) of the talks' cells
C_CLIPPED = 3  # 1: the positions were clipped to [0, 1] here (no human answers to wait for)
C_SPECIALS = 4  # proposals to log here: over a channel no longer open, or to a human
C_INVALID = 5  # 1: a bloc without members, or ruled by a leader who is not one (the loader forbids both)
C_UNROUNDED = 6  # 1: a number of the log beyond what :func:`round4` rounds (the caller rounds it)
C_SIZE = 7

ROUND_LIMIT = 1e11
""":func:`round4` rounds numbers of magnitude below this (``1e4 x`` then stays below 2^52, where
every float's integer and fractional parts are exact); the log's shares and positions are in
[0, 1]."""


@_jit
def round4(x):
    """Python's ``round(x, 4)``, bit for bit, for ``|x| < ROUND_LIMIT`` (nan beyond it).

    Python rounds the exact binary value of ``x`` to 4 decimals, half to even, and reads the
    decimal back to the nearest float. Here the exact product ``10^4 |x| = p + e`` is the
    rounded product ``p`` and its error ``e`` (Dekker's exact product, 1971: ``|x|`` split in
    two halves of 26 bits, Veltkamp's method; 10^4 has 14 bits), the integer ``N`` nearest to
    it (half to even) is decided exactly from ``p - floor(p)`` and ``e``, and ``N / 10^4`` (one
    IEEE division of two exact numbers) is the float nearest to the decimal, as Python's
    reading gives. The sign of ``x`` is kept (``round(-0.00001, 4)`` is ``-0.0``).
    """
    a = abs(x)
    if not a < ROUND_LIMIT:  # also nan and inf
        return np.nan
    p = a * 10000.0
    c = 134217729.0 * a  # 2^27 + 1: Veltkamp's split of a into hi + lo, each of 26 bits
    hi = c - (c - a)
    lo = a - hi
    e = (hi * 10000.0 - p) + lo * 10000.0  # the product's exact error (Dekker), 10^4 = its own hi
    f = np.floor(p)
    d = ((p - f) - 0.5) + e  # the sign of (exact fraction - 1/2); 0 only on an exact half
    if d > 0.0 or (d == 0.0 and f % 2.0 == 1.0):
        f += 1.0
    return math.copysign(f / 10000.0, x)


@_jit
def bargain_turn(proposals, eu, status, ch_pair, ch_eff, bloc_end, members, caucus, human, tiebreak, position, salience, tension, params, tension_delta, rebuff, deciders, listed, bloc_rule, bloc_leader):
    """The numbers of a whole bargain phase except the humans' answers (:func:`sim.phases.bargain.bargain`).

    In order: :func:`sim.kernel_compiled.gate`; the talks of the offers
    (:func:`sim.kernel_compiled.talks`, unclipped); the rebuffs of the proposals over channels
    no longer open (:func:`sim.phases.bargain.rebuffed`); the proposals to a bloc, one per
    proposer, issue and bloc (the first), each answered by the bloc's rule and moving its
    members (:func:`sim.phases.bargain._answer_blocs_and_humans`); and, if no human answer can
    move a position this turn (``params[T_CLIP] > 0`` and no proposal to a human), the
    positions clipped to [0, 1].

    Args:
        proposals: (P, 5) float ``(proposer, issue, target, channel code, EU)``.
        eu, caucus, tiebreak: (m, n, n); status, ch_eff, bloc_end: (K,); ch_pair: (K, n, n) bool;
            members: (B, n) bool; human: (n,) bool.
        position, salience: (n, m) positions before the talks, in [0, 1], and effective saliences.
        tension, tension_delta: (n, n) the state's tensions and the turn's changes (updated).
        params: (T_SIZE,) float64 as for :func:`sim.kernel_compiled.talks`.
        rebuff: (m, n, n) rebuffs (updated); deciders (m, n) bool; listed (m,) bool.
        bloc_rule, bloc_leader: (B,) int rule codes (0 consensus, 1 majority, 2 leader) and
            leader actor (-1: none).

    Returns:
        ``(pos, cells, numbers, rounded, counts, codes, blocs, shares)``: the new positions
        (n, m); the talks' cells (r, 5) int64 and numbers (r, 3) as for
        :func:`sim.kernel_compiled.talks`, and those numbers rounded for the log (:func:`round4`);
        ``counts`` (C_SIZE,) int64 indexed by the ``C_*`` constants; the gate's codes (P,); per
        proposal to a bloc ``(proposer, issue, bloc, channel)`` (Q, 4) int64, and the share in
        [0, 1] of the distance to the proposer its members were asked to move (> 0: an
        agreement; 0: rejected) and that share rounded (Q, 2).
    """
    n, m = position.shape
    offers = np.zeros((m, n, n), dtype=np.bool_)
    effm = np.zeros((m, n, n))
    codes = gate(proposals, eu, status, ch_pair, ch_eff, bloc_end, members, caucus, human, offers, effm)
    talk_params = params.copy()
    talk_params[T_CLIP] = 0.0
    pos, cells, numbers, talk_counts = talks(position, eu, offers, effm, tiebreak, salience, tension, talk_params, tension_delta, rebuff, deciders, listed)
    counts = np.zeros(C_SIZE, dtype=np.int64)
    counts[C_AGREEMENTS] = talk_counts[0]
    counts[C_CONFLICTS] = talk_counts[1]
    counts[C_DISPUTES] = talk_counts[2]
    rounded = np.empty_like(numbers)  # the log's numbers, round(x, 4)
    for h in range(numbers.shape[0]):
        for c in range(3):
            v = round4(numbers[h, c])
            if v != v:
                counts[C_UNROUNDED] = 1
            rounded[h, c] = v
    clip = params[T_CLIP] > 0.0
    P = codes.size
    blocs = np.empty((P, 4), dtype=np.int64)
    q = 0
    for p in range(P):
        code = codes[p]
        if code > PROPOSAL_OFFER:
            counts[C_SPECIALS] += 1
        i = int(proposals[p, 0])
        k = int(proposals[p, 1])
        if code == PROPOSAL_HUMAN:
            clip = False
        elif code == PROPOSAL_NO_CHANNEL:  # rebuffed (every rebuff is the same capped +1: order-free)
            j = int(proposals[p, 2])
            more = rebuff[k, i, j] + 1.0
            rebuff[k, i, j] = REBUFF_CAP if REBUFF_CAP < more else more
        elif code == PROPOSAL_BLOC:
            ch = int(proposals[p, 3])
            b = bloc_end[ch]
            seen = False
            for h in range(q):
                if blocs[h, 0] == i and blocs[h, 1] == k and blocs[h, 2] == b:
                    seen = True
                    break
            if not seen:
                blocs[q, 0] = i
                blocs[q, 1] = k
                blocs[q, 2] = b
                blocs[q, 3] = ch
                q += 1
    shares = np.zeros((q, 2))
    resolve_ = params[T_RESOLVE]
    distrust = params[T_DISTRUST]
    max_step = params[T_MAX_STEP]
    d_agree = params[T_AGREE]
    d_conflict = params[T_CONFLICT]
    mem = np.empty(n, dtype=np.int64)
    fr = np.empty(n)
    for h in range(q):
        i = blocs[h, 0]
        k = blocs[h, 1]
        b = blocs[h, 2]
        e_ch = ch_eff[blocs[h, 3]]
        size = 0
        for a in range(n):
            if members[b, a]:
                mem[size] = a
                size += 1
        if size == 0:  # the Python form raises (a maximum of nothing)
            counts[C_INVALID] = 1
            return pos, cells, numbers, rounded, counts, codes, blocs[:q], shares
        best = eu[k, i, mem[0]]  # numpy's max: the first of equal values, nan propagated
        for t in range(1, size):
            v = eu[k, i, mem[t]]
            if v > best or v != v:
                best = v
                if v != v:
                    break
        for t in range(size):
            _, share = _respond_one(best, eu[k, mem[t], i])
            fr[t] = share * e_ch
        rule = bloc_rule[b]
        if rule == 0:  # numpy's min
            f = fr[0]
            for t in range(1, size):
                if fr[t] < f or fr[t] != fr[t]:
                    f = fr[t]
                    if f != f:
                        break
        elif rule == 2 and bloc_leader[b] >= 0:
            f = 0.0
            found = False
            for t in range(size):
                if mem[t] == bloc_leader[b]:
                    f = fr[t]
                    found = True
                    break
            if not found:  # the Python form raises (the leader not among the members)
                counts[C_INVALID] = 1
                return pos, cells, numbers, rounded, counts, codes, blocs[:q], shares
        else:
            f = np.median(fr[:size])
        shares[h, 0] = f
        shares[h, 1] = round4(f)
        if shares[h, 1] != shares[h, 1]:
            counts[C_UNROUNDED] = 1
        target = position[i, k]
        for t in range(size):
            a = mem[t]
            sal = salience[a, k]
            ten = tension[i, a]
            p_ = pos[a, k]
            yield_ = (1.0 - resolve_ * sal) * (1.0 - distrust * ten)  # step_scale
            step = p_ + f * yield_ * (target - p_) - p_
            step = -max_step if -max_step > step else step  # Python's max(step, -max_step)
            step = max_step if max_step < step else step  # Python's min(step, max_step)
            pos[a, k] = p_ + step
        if f > 0:
            dv = d_agree
        else:
            dv = d_conflict / max(1, size) * 2
        for t in range(size):
            tension_delta[i, mem[t]] += dv
        for t in range(size):
            tension_delta[mem[t], i] += dv
        if not f > 0:
            for t in range(size):
                more = rebuff[k, i, mem[t]] + 1.0
                rebuff[k, i, mem[t]] = REBUFF_CAP if REBUFF_CAP < more else more  # numpy.minimum
    if clip:
        for a in range(n):
            for c in range(m):
                v = pos[a, c]
                v = v if v > 0.0 else 0.0  # numpy.maximum(v, 0.0), then numpy.minimum(v, 1.0)
                v = v if v < 1.0 else 1.0  # (as sim.kernel_compiled.talks clips)
                pos[a, c] = v
        counts[C_CLIPPED] = 1
    return pos, cells, numbers, rounded, counts, codes, blocs[:q], shares


@_jit
def round4_all(x):
    """:func:`round4` of each element of a 1-D float64 array, as a new array, and how many
    elements it could not round (``|x| >= ROUND_LIMIT``, nan or inf: nan there, for the caller
    to round with Python's ``round``). The log records of a turn's decisions round their
    numbers in one call (:func:`sim.phases.decide.rounded`)."""
    out = np.empty_like(x)
    bad = 0
    for k in range(x.shape[0]):
        v = x[k]
        if not abs(v) < ROUND_LIMIT:
            bad += 1
        out[k] = round4(v)
    return out, bad

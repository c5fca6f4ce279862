"""Phase 3, bargain: proposals resolved by the expected-utility kernel, gated by channels (docs/model.md section 3).

A proposal travels only over an open channel (or a caucus of the bloc deciding the issue); an
AI target answers by the kernel's cases (:func:`sim.kernel.resolve`), a bloc by its rule, a
human at its next decision.
"""

from __future__ import annotations

import numpy as np

from sim import kernel
from sim.channels import OPEN
from sim.phases.decide import Proposal, rnd
from sim.phases.perceive import Perception, Structure
from sim.state import State, Turn
from sim.world import World

AGREEMENTS = (kernel.OUTCOME_COMPROMISE, kernel.OUTCOME_CAPITULATION)
REBUFFS = (kernel.OUTCOME_CONFLICT, kernel.OUTCOME_STALEMATE)
REBUFF_CAP = 3.0
"""Most rebuffs a challenger remembers of one challenge; judgement (ours)."""


def rebuffed(st: State, k: int, i: int, j) -> None:
    """Remember that i's challenge to j (an index or an array of them) on issue k was rebuffed.

    Rebuffs accumulate (up to ``REBUFF_CAP``) and decay by ``talks.deadlock_memory`` a turn;
    the challenge's score is multiplied by ``1 - min(rebuff, 1)``: the more often a demarche
    fails, the longer it is left alone (interview L9, L15: deadlocked dialogue is abandoned).
    """
    if isinstance(j, (int, np.integer)):  # one target: plain floats, the same numbers
        st.rebuff[k, i, j] = min(float(st.rebuff[k, i, j]) + 1.0, REBUFF_CAP)
    else:
        st.rebuff[k, i, j] = np.minimum(st.rebuff[k, i, j] + 1.0, REBUFF_CAP)


def step_scale(dyn: dict[str, float], salience: np.ndarray, tension: np.ndarray) -> np.ndarray:
    """Share of the kernel's step a target takes: ``(1 - resolve x salience) x (1 - distrust x
    tension)``: a state yields least on what it cares most about (interview L21) and little to
    a rival it is in tension with; judgement (ours)."""
    return (1.0 - dyn["talks.resolve"] * salience) * (1.0 - dyn["talks.distrust"] * tension)


def bounded(old: np.ndarray, new: np.ndarray, max_step: float) -> np.ndarray:
    """``new`` moved back to within ``max_step`` of ``old`` (one turn of talks).

    ``np.minimum(np.maximum(d, -s), s)`` is ``np.clip(d, -s, s)`` value for value (numpy's clip
    is that composition), without ``np.clip``'s dispatch cost.
    """
    return old + np.minimum(np.maximum(new - old, -max_step), max_step)


def bargain(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], rng: np.random.Generator, eu: np.ndarray, proposals: list[Proposal], humans: set[str]) -> None:
    """Resolve this turn's proposals and last turn's human answers; positions move at once.

    Each AI target answers its best offer by the kernel's cases (:func:`sim.kernel.resolve`).
    The kernel's step is then scaled by :func:`step_scale` (and, for a capitulation, by the
    channel's effectiveness) and bounded by ``talks.max_step``; a "conflict" (both expect to
    gain from a fight) is a dispute in which the target holds (``talks.disputes_hold``). An
    agreement between two deciders of an issue decided by states (not a bloc) is a deal
    (``turn.deals``); a rebuffed challenge is remembered (``State.rebuff``).

    Args:
        eu: (m, n, n) expected utilities of the turn (:class:`sim.phases.decide.Challenges`).
        proposals: AI and human challenges of the turn.
        humans: ids of human actors (their incoming proposals wait for an answer).
    """
    m, n = w.m, w.n
    caucus = sx.caucus  # a caucus needs no channel: its effectiveness never changes
    offers = np.zeros((m, n, n), bool)
    effm = np.zeros((m, n, n))
    bloc_props = []
    if proposals:
        status, eff, bloc_end = st.status.tolist(), per.effectiveness.tolist(), w.ch_bloc_end.tolist()
    for i, k, j, ch, e in proposals:
        if eu[k, i, j] <= 0:
            continue
        if ch >= 0:
            if status[ch] != OPEN or not sx.ch_pair[ch, i, j] or eff[ch] <= 0:
                turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "no channel"})
                rebuffed(st, k, i, j)
                continue
            e_ch = eff[ch]
            b = bloc_end[ch]
            if b >= 0 and st.members[b, j]:
                if not any(bp[:3] == (i, k, b) for bp in bloc_props):  # one per bloc and issue
                    bloc_props.append((i, k, b, ch, e_ch))
                continue
        else:
            e_ch = caucus[k, i, j] if ch == -1 else 0.0
            if e_ch <= 0:
                continue
        if w.actor_ids[j] in humans:
            st.pending[w.actor_ids[j]].append({"from": w.actor_ids[i], "issue": w.issue_ids[k], "position": float(st.position[i, k]), "eu": float(eu[k, i, j]), "eff": float(e_ch), "expected_win": bool(eu[k, j, i] < eu[k, i, j])})
            turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "awaiting answer"})
            continue
        offers[k, i, j] = True
        if e_ch > effm[k, i, j]:
            effm[k, i, j] = e_ch
    old = st.position.T.copy()
    tiebreak = rng.random((m, n, n))
    new_x, chal, outcome, frac = kernel.resolve(old, eu, offers, effm, tiebreak)
    # How far a target moves (ours, on top of the kernel's effectiveness-scaled compromise):
    # a capitulation (or a lost conflict, when disputes do not hold) is scaled by the channel's
    # effectiveness too, so that a weak channel transmits little; every step by step_scale
    # (salience, tension: Russia yields least on Ukraine's membership, interview L21); and no
    # step exceeds talks.max_step in a turn.
    m_i, j_i = np.nonzero(chal >= 0)
    if len(m_i):
        c_i = chal[m_i, j_i]
        cells = settle_steps(dyn, m_i, j_i, c_i, outcome[m_i, j_i], per.salience_eff[j_i, m_i], st.tension[c_i, j_i], effm[m_i, c_i, j_i], old[m_i, j_i], old[m_i, c_i], new_x[m_i, j_i])
        new_x[m_i, j_i] = [c[6] for c in cells]
        record_outcomes(w, st, turn, dyn, cells, sx.deciders)
    pos = new_x.T.copy()
    # bloc counterparts answer by their rule (consensus: any member blocks)
    for i, k, b, ch, e_ch in bloc_props:
        mem = np.flatnonzero(st.members[b])
        out, fr = kernel.respond(np.full(len(mem), eu[k, i, mem].max()), eu[k, mem, i])
        fr = fr * e_ch
        rule = w.bloc_rule[b]
        if rule == 0:
            f = float(fr.min()) if len(fr) else 0.0
        elif rule == 2 and w.bloc_leader[b] >= 0:
            f = float(fr[list(mem).index(w.bloc_leader[b])])
        else:
            f = float(np.median(fr))
        target = float(old[k, i])
        r_, d_, s_ = dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"]
        moved = []
        for sal, ten, p in zip(per.salience_eff[mem, k].tolist(), st.tension[i, mem].tolist(), pos[mem, k].tolist()):
            yield_ = (1.0 - r_ * sal) * (1.0 - d_ * ten)  # step_scale, on Python floats
            moved.append(p + min(max(p + f * yield_ * (target - p) - p, -s_), s_))  # bounded
        pos[mem, k] = moved
        kind = "agreement" if f > 0 else "rejected"
        turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.bloc_ids[b], "issue": w.issue_ids[k], "outcome": kind, "moved": rnd(f), "channel": w.channel_ids[ch], "rule": ["consensus", "majority", "leader"][rule]})
        if f > 0:
            st.totals["agreements"] += 1
            turn.add_tension(i, mem, -dyn["tension_agreement"])
        else:
            st.totals["conflicts"] += 1
            turn.add_tension(i, mem, dyn["tension_conflict"] / max(1, len(mem)) * 2)
            rebuffed(st, k, i, mem)
    # human answers to last turn's proposals
    for h, plist in st.pending.items():
        j = w.actor_ids.index(h)
        keep = []
        for p in plist:
            if "answer" not in p:
                if p.get("age", 0) < 1:
                    p["age"] = p.get("age", 0) + 1
                    keep.append(p)
                continue
            i, k = w.actor_ids.index(p["from"]), w.issue_ids.index(p["issue"])
            f = {"accept": 1.0, "compromise": 0.5 * p["eff"], "reject": 0.0}[p["answer"]]
            before = pos[j, k]
            pos[j, k] = before + f * (p["position"] - before)
            oc = {"accept": kernel.OUTCOME_CAPITULATION, "compromise": kernel.OUTCOME_COMPROMISE, "reject": kernel.OUTCOME_STALEMATE if p["expected_win"] else kernel.OUTCOME_NONE}[p["answer"]]
            record_outcome(w, st, turn, dyn, i, j, k, oc, f, before, pos[j, k], sx.deciders)
        st.pending[h] = keep
    st.position = np.minimum(np.maximum(pos, 0.0), 1.0)  # np.clip(pos, 0, 1), value for value


def record_outcome(w: World, st: State, turn: Turn, dyn: dict[str, float], i: int, j: int, k: int, oc: int, frac: float, before: float, after: float, deciders: np.ndarray | None = None) -> None:
    """Count and log one round of talks between challenger i and target j on issue k (a human's
    answer, or one cell of the kernel's): :func:`record_outcomes` for that one cell.

    Without ``deciders`` no deal is made.
    """
    record_outcomes(w, st, turn, dyn, [(k, j, i, int(oc), float(frac), float(before), float(after))], deciders)


def settle_steps(
    dyn: dict[str, float],
    ks: np.ndarray,
    js: np.ndarray,
    cs: np.ndarray,
    outcome: np.ndarray,
    salience: np.ndarray,
    tension: np.ndarray,
    eff: np.ndarray,
    before: np.ndarray,
    x_challenger: np.ndarray,
    x_kernel: np.ndarray,
) -> list[tuple[int, int, int, int, float, float, float]]:
    """How far each resolved target moves: the kernel's step scaled and bounded.

    The step to ``x_kernel`` (:func:`sim.kernel.resolve`) is multiplied by :func:`step_scale`
    (and, for a conflict or a capitulation, by the channel's effectiveness), is 0 for a dispute
    that holds (``talks.disputes_hold``), and is bounded by ``talks.max_step`` (:func:`bounded`).
    The cells are few (a dozen of 126 a turn), so their arithmetic runs on Python floats: the
    same IEEE double operations, in the same order, as numpy's elementwise ones (the numpy form
    is the oracle of ``tests/test_phases_fast.py``).

    Args:
        ks, js, cs: (r,) int issue, target and challenger of each resolved cell.
        outcome: (r,) outcome codes (``kernel.OUTCOME_*``).
        salience, tension: (r,) the target's effective salience of the issue, in [0, 1], and
            its tension with the challenger, in [0, 1].
        eff: (r,) effectiveness in [0, 1] of the channel that carried the offer.
        before, x_challenger, x_kernel: (r,) positions in [0, 1] of the target, of the
            challenger, and where the kernel moved the target.

    Returns:
        ``(issue, target, challenger, outcome, share moved, position before, position after)``
        per cell: the share in [0, 1] of the distance to the challenger (0 at no distance).
    """
    resolve_, distrust, max_step = dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"]
    hold = dyn["talks.disputes_hold"] > 0
    cells = []
    rows = zip(ks.tolist(), js.tolist(), cs.tolist(), outcome.tolist(), salience.tolist(), tension.tolist(), eff.tolist(), before.tolist(), x_challenger.tolist(), x_kernel.tolist())
    for k, j, i, oc, sal, ten, e_ij, x_j, x_i, x_new in rows:
        scale = (1.0 - resolve_ * sal) * (1.0 - distrust * ten)  # step_scale
        if oc == kernel.OUTCOME_CONFLICT or oc == kernel.OUTCOME_CAPITULATION:
            scale = scale * e_ij
        if hold and oc == kernel.OUTCOME_CONFLICT:
            scale = 0.0
        moved = x_j + (x_new - x_j) * scale
        after = x_j + min(max(moved - x_j, -max_step), max_step)  # bounded
        gap = abs(x_i - x_j)
        cells.append((k, j, i, oc, abs(after - x_j) / max(gap, 1e-12) if gap > 0 else 0.0, x_j, after))
    return cells


def record_outcomes(w: World, st: State, turn: Turn, dyn: dict[str, float], cells: list[tuple[int, int, int, int, float, float, float]], deciders: np.ndarray | None) -> None:
    """Count and log the rounds of talks of every target the kernel resolved, cell after cell.

    Agreements (compromise, capitulation) lower their tension, and between two deciders of an
    issue decided by states (not a bloc) make a deal; disputes (the kernel's conflict) and
    stalemates raise it, count as conflicts and are remembered as rebuffs (:func:`rebuffed`).

    Args:
        cells: ``(issue, target, challenger, outcome code, share moved, position before,
            position after)`` of each resolved target, positions in [0, 1].
        deciders: (m, n) bool, who decides each issue now; None: no deal is made.
    """
    totals = st.totals
    d_agree, d_conflict = -dyn["tension_agreement"], dyn["tension_conflict"]
    holds = dyn.get("talks.disputes_hold", 0) > 0
    names, actors, issues, listed = kernel.OUTCOME_NAMES, w.actor_ids, w.issue_ids, w.issue_bloc < 0
    for k, j, i, oc, frac, before, after in cells:
        if oc in AGREEMENTS:
            totals["agreements"] += 1
            turn.add_tension(i, j, d_agree)
            if deciders is not None and listed[k] and deciders[k, i] and deciders[k, j] and abs(after - before) > 1e-9:
                turn.deals.add(k)
        elif oc in REBUFFS:
            totals["conflicts"] += 1
            if oc == kernel.OUTCOME_CONFLICT:
                totals["disputes"] = totals.get("disputes", 0) + 1
            turn.add_tension(i, j, d_conflict)
            rebuffed(st, k, i, j)
        rec = {"type": "proposal", "from": actors[i], "to": actors[j], "issue": issues[k], "outcome": names[oc], "moved": round(frac, 4), "position": [round(before, 4), round(after, 4)]}
        if oc == kernel.OUTCOME_CONFLICT and holds:
            rec["holds"] = True  # a dispute: both expect to gain from a fight; the target holds
        turn.log(rec)

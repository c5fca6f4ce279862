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

RESOLVE = 0.9
"""How much salience stiffens a target: it moves ``1 - RESOLVE x salience`` of the kernel's step
(ours; a state yields least on what it cares most about)."""


def bargain(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], rng: np.random.Generator, eu: np.ndarray, proposals: list[Proposal], humans: set[str]) -> None:
    """Resolve this turn's proposals and last turn's human answers; positions move at once.

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
    for i, k, j, ch, e in proposals:
        if eu[k, i, j] <= 0:
            continue
        if ch >= 0:
            if st.status[ch] != OPEN or not sx.ch_pair[ch, i, j] or per.effectiveness[ch] <= 0:
                turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "no channel"})
                continue
            e_ch = per.effectiveness[ch]
            b = w.ch_bloc_end[ch]
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
        effm[k, i, j] = max(effm[k, i, j], e_ch)
    old = st.position.T.copy()
    tiebreak = rng.random((m, n, n))
    new_x, chal, outcome, frac = kernel.resolve(old, eu, offers, effm, tiebreak)
    # How far a target moves (ours, on top of the kernel's effectiveness-scaled
    # compromise): a lost conflict or a capitulation is scaled by the channel's effectiveness
    # too, so that a weak channel transmits little; and every step by 1 - RESOLVE x the
    # target's salience, so that a state yields least on what it cares about most (Russia on
    # Ukraine's membership, interview L21).
    m_i, j_i = np.nonzero(chal >= 0)
    if len(m_i):
        c_i = chal[m_i, j_i]
        scale = 1.0 - RESOLVE * per.salience_eff[j_i, m_i]
        hard = (outcome[m_i, j_i] == kernel.OUTCOME_CONFLICT) | (outcome[m_i, j_i] == kernel.OUTCOME_CAPITULATION)
        scale = np.where(hard, scale * effm[m_i, c_i, j_i], scale)
        new_x[m_i, j_i] = old[m_i, j_i] + (new_x[m_i, j_i] - old[m_i, j_i]) * scale
        frac[m_i, j_i] = frac[m_i, j_i] * scale
    for k, j in zip(*np.nonzero(chal >= 0)):
        i = int(chal[k, j])
        record_outcome(w, st, turn, dyn, i, j, k, int(outcome[k, j]), float(frac[k, j]), float(old[k, j]), float(new_x[k, j]))
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
        target = old[k, i]
        yield_ = 1.0 - RESOLVE * per.salience_eff[mem, k]
        pos[mem, k] = pos[mem, k] + f * yield_ * (target - pos[mem, k])
        kind = "agreement" if f > 0 else "rejected"
        turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.bloc_ids[b], "issue": w.issue_ids[k], "outcome": kind, "moved": rnd(f), "channel": w.channel_ids[ch], "rule": ["consensus", "majority", "leader"][rule]})
        if f > 0:
            st.totals["agreements"] += 1
            turn.add_tension(i, mem, -dyn["tension_agreement"])
        else:
            st.totals["conflicts"] += 1
            turn.add_tension(i, mem, dyn["tension_conflict"] / max(1, len(mem)) * 2)
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
            record_outcome(w, st, turn, dyn, i, j, k, oc, f, before, pos[j, k])
        st.pending[h] = keep
    st.position = np.clip(pos, 0.0, 1.0)


def record_outcome(w: World, st: State, turn: Turn, dyn: dict[str, float], i: int, j: int, k: int, oc: int, frac: float, before: float, after: float) -> None:
    """Count and log one round of talks between challenger i and target j on issue k;
    agreements lower their tension, conflicts and stalemates raise it."""
    name = kernel.OUTCOME_NAMES[oc]
    if oc in (kernel.OUTCOME_COMPROMISE, kernel.OUTCOME_CAPITULATION):
        st.totals["agreements"] += 1
        turn.add_tension(i, j, -dyn["tension_agreement"])
    elif oc in (kernel.OUTCOME_CONFLICT, kernel.OUTCOME_STALEMATE):
        st.totals["conflicts"] += 1
        turn.add_tension(i, j, dyn["tension_conflict"])
    turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": name, "moved": rnd(frac), "position": [rnd(before), rnd(after)]})

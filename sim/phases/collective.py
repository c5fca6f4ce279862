"""Phase 5, decide collectively: accession motions by the bloc's rule, red lines and their responses (F7).
"""

from __future__ import annotations

import numpy as np

from sim.channels import OPEN, SUSPENDED
from sim.phases.decide import rnd
from sim.state import State, Turn
from sim.world import World

ACCESSION_LEVELS = (0.3, 0.6, 1.0)
"""Steps of an accession issue's scale: will join one day, Membership Action Plan, member (F7)."""


def vote_motions(w: World, st: State, turn: Turn, humans: set[str], turn_no: int) -> bool:
    """Members vote on last turn's applications, each for the next step of the accession scale.

    A member that cast no vote votes yes when its position reaches the next level. Consensus:
    all yes; leader: the leader's vote; majority: capability-weighted. Returns whether
    membership changed (an accession: the caller rebuilds the structure).
    """
    keep = []
    changed = False
    for mo in st.motions:
        if mo["turn"] >= turn_no:
            keep.append(mo)  # members vote in the turn after the application
            continue
        b, cand, issue = mo["bloc"], mo["candidate"], mo["issue"]
        mem = np.flatnonzero(st.members[b])
        cur = st.issue_state[issue]
        nxt = min((v for v in ACCESSION_LEVELS if v > cur + 1e-9), default=1.0)
        votes = {}
        for i in mem:
            if i in mo["votes"]:
                votes[i] = mo["votes"][i]
            else:
                votes[i] = bool(st.position[i, issue] >= nxt)
        yes = [i for i in mem if votes[i]]
        rule = w.bloc_rule[b]
        if rule == 0:
            passed = len(yes) == len(mem)
        elif rule == 2 and w.bloc_leader[b] >= 0:
            passed = votes[w.bloc_leader[b]]
        else:
            wts = w.capability[mem]
            passed = wts[[votes[i] for i in mem]].sum() > wts.sum() / 2
        rec = {"type": "vote", "bloc": w.bloc_ids[b], "candidate": w.actor_ids[cand], "issue": w.issue_ids[issue], "to_level": nxt, "yes": [w.actor_ids[i] for i in yes], "no": [w.actor_ids[i] for i in mem if not votes[i]], "passed": bool(passed)}
        turn.log(rec)
        if passed:
            st.issue_state[issue] = nxt
            if nxt >= 1.0:
                st.members[b, cand] = True
                changed = True
                turn.log({"type": "accession", "bloc": w.bloc_ids[b], "member": w.actor_ids[cand]})
        else:
            st.rebuffs[(b, cand)] = st.rebuffs.get((b, cand), 0) + 1
    st.motions = keep
    return changed


def check_red_lines(w: World, st: State, turn: Turn) -> None:
    """Fire every armed red line whose issue has crossed its threshold; re-arm those not crossed."""
    for r, (_owner, issue, thr, sign, _resp) in enumerate(w.red_lines):
        crossed = (st.issue_state[issue] >= thr) if sign > 0 else (st.issue_state[issue] <= thr)
        if crossed and st.red_line_armed[r]:
            red_line_response(w, st, turn, r)
        elif not crossed:
            st.red_line_armed[r] = True


def red_line_response(w: World, st: State, turn: Turn, r: int) -> None:
    """The owner's response to red line ``r``: posture, tension, suspended channels (F7)."""
    owner, issue, thr, _sign, resp = w.red_lines[r]
    st.red_line_armed[r] = False
    for t, dv in resp["posture"].items():
        if w.present[owner, t]:
            st.posture[owner, t] = float(np.clip(st.posture[owner, t] + dv, 0, 1))
    for j, dv in resp["tension"].items():
        turn.add_tension(owner, j, dv)
    for k in resp["suspend"]:
        if st.status[k] == OPEN:
            st.status[k] = SUSPENDED
    turn.log({"type": "red_line", "actor": w.actor_ids[owner], "issue": w.issue_ids[issue], "threshold": thr, "state": rnd(st.issue_state[issue]), "note": resp["note"], "source": resp["source"]})

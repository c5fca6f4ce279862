"""Phase 5, decide collectively: accession motions by the bloc's rule, red lines and their responses (F7).
"""

from __future__ import annotations

import numpy as np

from sim.channels import OPEN, SUSPENDED
from sim.phases.decide import rnd
from sim.state import State, Turn, derived
from sim.world import World

ACCESSION_LEVELS = (0.3, 0.6, 1.0)
"""Steps of an accession issue's scale: will join one day, Membership Action Plan, member (F7)."""


def vote_positions(w: World, st: State, members: np.ndarray) -> np.ndarray:
    """(n, m) the positions members vote on: own position moved toward coordinated partners
    who vote in the same bloc, ``x_i + sum_p c_ip (x_p - x_i)`` (F12, interview L31)."""
    c, csum = _vote_weights(w, members)
    x = st.position
    return x + c @ x - csum[:, None] * x


def _vote_weights(w: World, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weights ``c`` (n, n) of :func:`vote_positions` (coordination with partners who vote
    in the bloc, normalised where they sum above 1) and their row sums (n,), read only; kept per
    world and membership (:func:`sim.state.derived`)."""
    kept = derived(w).setdefault("vote_weights", {})
    key = (members.dtype.char, members.tobytes())
    out = kept.get(key)
    if out is None:
        c = w.coordination * members[None, :]  # partners who vote here
        total = c.sum(axis=1)
        c = np.where(total[:, None] > 1.0, c / np.maximum(total[:, None], 1e-12), c)
        out = (c, c.sum(axis=1))
        for a in out:
            a.flags.writeable = False
        kept[key] = out
    return out


def supports(v: np.ndarray | float, cur: float, new: float, proximity: bool) -> np.ndarray | bool:
    """Whether voters at positions ``v`` prefer ``new`` to ``cur``: nearer to it (spatial
    voting, ties keep the status quo), or, without proximity voting, at or beyond ``new``.

    ``v`` is an array (a bool array back) or one Python float (a bool back).
    """
    if proximity:
        return abs(new - v) < abs(cur - v) - 1e-12
    return v >= new if new >= cur else v <= new


def vote_motions(w: World, st: State, turn: Turn, humans: set[str], turn_no: int, dyn: dict[str, float] | None = None) -> bool:
    """Members vote on last turn's applications, each for the next step of the accession scale.

    A member that cast no vote votes yes when the next level is nearer its (vote) position than
    the current one (``collective.proximity_voting``; else when its position reaches the next
    level). Consensus: all yes; leader: the leader's vote; majority: capability-weighted, and
    no veto holder against. Returns whether membership changed (an accession: the caller
    rebuilds the structure).
    """
    proximity = dyn is None or dyn.get("collective.proximity_voting", 1.0) > 0
    keep = []
    changed = False
    for mo in st.motions:
        if mo["turn"] >= turn_no:
            keep.append(mo)  # members vote in the turn after the application
            continue
        b, cand, issue = mo["bloc"], mo["candidate"], mo["issue"]
        mem = np.flatnonzero(st.members[b]).tolist()
        cur = st.issue_state.item(issue)
        nxt = min((v for v in ACCESSION_LEVELS if v > cur + 1e-9), default=1.0)
        v = vote_positions(w, st, st.members[b])[:, issue].tolist()
        cast = mo["votes"]
        votes = {i: cast[i] if i in cast else supports(v[i], cur, nxt, proximity) for i in mem}
        yes = [i for i in mem if votes[i]]
        rule = w.bloc_rule[b]
        if rule == 0:
            passed = len(yes) == len(mem)
        elif rule == 2 and w.bloc_leader[b] >= 0:
            passed = votes[w.bloc_leader[b]]
        else:
            wts = w.capability[mem]
            passed = wts[[votes[i] for i in mem]].sum() > wts.sum() / 2
            passed = passed and not any(w.bloc_veto[b, i] and not votes[i] for i in mem)
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
    state = st.issue_state.tolist()  # a response changes no issue state
    for r, (_owner, issue, thr, sign, _resp) in enumerate(w.red_lines):
        crossed = (state[issue] >= thr) if sign > 0 else (state[issue] <= thr)
        if crossed and st.red_line_armed[r]:
            red_line_response(w, st, turn, r, "crossed")
        elif not crossed:
            st.red_line_armed[r] = True


def red_line_response(w: World, st: State, turn: Turn, r: int, trigger: str = "crossed") -> None:
    """The owner's response to red line ``r``: posture, tension, suspended channels (F7).

    The log record says what set it off (``trigger``: ``crossed`` by the issue's state, or
    ``event``: a scheduled or injected event), the threshold and its direction, and what the
    response changed (``response``: posture per theatre, tension per actor, channels
    suspended). Until the issue falls back, the owner's talks on it count as failed (its value
    of bargaining on it is 0 in :mod:`sim.phases.force`).
    """
    owner, issue, thr, sign, resp = w.red_lines[r]
    st.red_line_armed[r] = False
    done: dict[str, dict | list] = {"posture": {}, "tension": {}, "suspended": []}
    for t, dv in resp["posture"].items():
        if w.present[owner, t]:
            before = st.posture[owner, t]
            st.posture[owner, t] = float(np.clip(st.posture[owner, t] + dv, 0, 1))
            done["posture"][w.theatre_ids[t]] = [rnd(before), rnd(st.posture[owner, t])]
    for j, dv in resp["tension"].items():
        turn.add_tension(owner, j, dv)
        done["tension"][w.actor_ids[j]] = rnd(dv)
    for k in resp["suspend"]:
        if st.status[k] == OPEN:
            st.status[k] = SUSPENDED
            done["suspended"].append(w.channel_ids[k])
    st.totals["red_lines"] = st.totals.get("red_lines", 0) + 1
    turn.log({"type": "red_line", "actor": w.actor_ids[owner], "issue": w.issue_ids[issue], "trigger": trigger, "direction": "above" if sign > 0 else "below", "threshold": thr, "state": rnd(st.issue_state[issue]), "response": done, "note": resp["note"], "source": resp["source"]})

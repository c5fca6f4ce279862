"""Phase 2 (continued), act: the decided actions carried out, actors in a seeded shuffled order.

Channel status changes, expulsions and restorations of staff (F1, F14), posture changes, joint
patrols (F10), applications for membership and votes (F7), answers to proposals.
"""

from __future__ import annotations

import numpy as np

from sim import policy
from sim.actions import KIND_CODE, Action
from sim.channels import CLOSED, OPEN, STATUS_NAMES, SUSPENDED
from sim.phases import force
from sim.phases.decide import Challenges, Decision, Row, action_of, rnd
from sim.phases.perceive import Perception, Structure
from sim.state import State, Turn, derived
from sim.world import World


def carry_out(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], rng: np.random.Generator, decisions: list[Decision], turn_no: int, ch: Challenges | None = None, humans: frozenset[int] = frozenset()) -> None:
    """Carry out non-proposal actions in a seeded shuffled order of actors; log each AI decision
    (with ``done``: whether it could be carried out).

    A host's ``open_channel`` on a channel it hosts is its consent, this turn, to the sender's
    reopening it (collected before anything is carried out).
    """
    rank = np.argsort(rng.permutation(w.n)).tolist()  # each actor's place in the order (the inverse permutation)
    decisions = sorted(decisions, key=lambda t: rank[t[0]])
    ai = derived(w).get("actor_index")
    if ai is None:
        ai = derived(w)["actor_index"] = {a: i for i, a in enumerate(w.actor_ids)}
    for i, a, _reason in decisions:
        if type(a) is tuple:  # an AI action's candidate row (sim.phases.decide.Row)
            k = a[1] if a[0] == _OPEN else -1
        else:
            k = w.channel_ids.index(a.channel) if a.kind == "open_channel" else -1
        if k >= 0 and w.ch_host[k] == i and w.ch_sender[k] != i:
            turn.consents.add(k)
    for i, a, reason in decisions:
        if type(a) is tuple:
            done = do_row(w, st, turn, sx, per, dyn, i, a, ai, turn_no, ch, humans)
        else:
            done = do(w, st, turn, sx, per, dyn, i, a, ai, turn_no, ch, humans)
        if reason is not None and not reason.get("human"):
            reason["done"] = done
            turn.log(reason)
        elif reason is not None:
            turn.log({"type": "decision", "actor": a.actor, "action": str(a), "spec": a.to_dict(), "human": True, "done": done})


def host_consents(w: World, st: State, per: Perception, turn: Turn, k: int, humans: frozenset[int] = frozenset()) -> bool:
    """Whether the host of channel k consents to its reopening this turn.

    A human host consents by its own ``open_channel`` this turn; an AI host when the channel,
    open, is worth at least its cost to it; a bloc host without a leader when its members'
    capability-weighted mean of that net value is not negative.
    """
    if k in turn.consents:
        return True
    h = int(w.ch_host[k])
    net = per.channel_value_if_open[:, k] - per.channel_cost[:, k]  # (n,)
    if h >= 0:
        return h not in humans and bool(net[h] >= 0)
    b = int(w.ch_b[k]) - w.n
    mem = st.members[b]
    wts = w.capability[mem]
    return bool(wts.sum() > 0 and (wts * net[mem]).sum() >= 0)


_OPEN, _POSTURE, _PATROL = (KIND_CODE[k] for k in ("open_channel", "set_posture", "joint_patrol"))


def do_row(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], i: int, row: Row, ai: dict[str, int], turn_no: int, ch: Challenges | None = None, humans: frozenset[int] = frozenset()) -> bool:
    """:func:`do` of actor ``i``'s candidate :data:`~sim.phases.decide.Row` ``(kind code, a1,
    a2, value)``: the most frequent kinds (a posture, a joint patrol) from the row's indices,
    the others through their :class:`Action` (:func:`sim.phases.decide.action_of`)."""
    code = row[0]
    if code == _POSTURE:
        return set_posture(w, st, i, row[1], row[3])
    if code == _PATROL:
        return joint_patrol(w, st, turn, dyn, i, row[2], row[1])
    return do(w, st, turn, sx, per, dyn, i, action_of(w, i, row), ai, turn_no, ch, humans)


def set_posture(w: World, st: State, i: int, t: int, level: float) -> bool:
    """Actor ``i`` sets its posture in theatre ``t`` to ``level`` (clipped to [0, 1]) where it is
    present; return whether it could."""
    if not w.present[i, t]:
        return False
    st.posture[i, t] = min(1.0, max(0.0, level))
    return True


def joint_patrol(w: World, st: State, turn: Turn, dyn: dict[str, float], i: int, j: int, t: int) -> bool:
    """Actor ``i`` patrols theatre ``t`` jointly with ``j`` (F10): their alignment rises by
    ``alignment_patrol`` x the distance to +1, the patrol raises the theatre's incident rates this
    turn (:mod:`sim.phases.military`); one joint patrol per pair a turn. Return whether it flew."""
    for p in turn.patrols:
        if (p[1] == i and p[2] == j) or (p[1] == j and p[2] == i):
            return False  # one joint patrol per pair a turn
    al = st.alignment
    gain = dyn["alignment_patrol"] * (1.0 - al.item(i, j))  # saturating near +1
    al[i, j] = al[j, i] = min(1.0, al.item(i, j) + gain)
    turn.patrols.append((t, i, j))  # more incidents there this turn (sim.phases.military)
    st.patrolled[i, j] = st.patrolled[j, i] = 1.0
    st.totals["patrols"] = st.totals.get("patrols", 0) + 1
    turn.log({"type": "patrol", "actors": [w.actor_ids[i], w.actor_ids[j]], "theatre": w.theatre_ids[t]})
    return True


def do(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], i: int, a: Action, ai: dict[str, int], turn_no: int, ch: Challenges | None = None, humans: frozenset[int] = frozenset()) -> bool:
    """Carry out one action of actor ``i``; return whether it changed anything."""
    kind = a.kind
    if kind == "set_posture":  # the most frequent kinds first
        return set_posture(w, st, i, w.theatre_ids.index(a.theatre), a.level)
    if kind == "joint_patrol":
        return joint_patrol(w, st, turn, dyn, i, ai[a.target], w.theatre_ids.index(a.theatre))
    if kind in ("open_channel", "suspend_channel", "close_channel"):
        k = w.channel_ids.index(a.channel)
        new = {"open_channel": OPEN, "suspend_channel": SUSPENDED, "close_channel": CLOSED}[kind]
        if st.status[k] == new or (new == SUSPENDED and st.status[k] != OPEN):
            return False  # suspend pauses an open channel only
        consent = None
        if dyn["channels.consent"] > 0:
            sender, host = int(w.ch_sender[k]), int(w.ch_host[k])
            if new == OPEN:
                if i != sender:
                    return host == i  # the host's consent, counted before (carry_out)
                if not host_consents(w, st, per, turn, k, humans):
                    if int(w.ch_host[k]) in humans:  # a human host is asked; it answers next turn
                        return ask_host(w, st, turn, k, a)
                    turn.log({"type": "channel_refused", "channel": a.channel, "by": a.actor, "host": w.entity_name(int(w.ch_b[k]))})
                    return False
                consent = w.entity_name(int(w.ch_b[k]))
            elif i != sender and not (i == host and w.ch_host_may_close[k]):
                return False
        if new == OPEN and st.status[k] == CLOSED:
            st.staff[k] = max(st.staff[k], policy.REOPEN_STAFF * w.ch_baseline[k])
        if new == CLOSED:
            st.staff[k] = 0.0
            st.totals["closures"] += 1
        old = STATUS_NAMES[st.status[k]]
        st.status[k] = new
        others = np.flatnonzero(sx.ch_side[k] & ~(np.arange(w.n) == i))
        if new != OPEN:
            turn.add_tension(i, others, dyn["tension_closure"])
        rec = {"type": "channel", "channel": a.channel, "by": a.actor, "from": old, "to": STATUS_NAMES[new]}
        if w.ch_a[k] >= w.n and w.ch_sender[k] == i:
            rec["for"] = w.entity_name(int(w.ch_a[k]))  # the leader acts for a bloc sender
        if consent is not None:
            rec["consent"] = consent
        turn.log(rec)
        return True
    if kind in ("expel", "restore_staff"):
        k = w.channel_ids.index(a.channel)
        j = ai[a.target]
        if st.status[k] != OPEN:
            return False
        if kind == "expel":
            size = min(a.staff, st.staff[k])
            if size <= 0:
                return False
            st.grievance[j, i] += size / max(st.staff[k], 1.0)  # share of its staff lost
            st.staff[k] -= size
            turn.add_tension(i, j, dyn["tension_expulsion"])
            st.totals["expulsions"] += 1
        else:
            size = min(a.staff, max(0.0, per.staff_cap[k] - st.staff[k]))
            if size <= 0:
                return False
            st.staff[k] += size
            st.goodwill[j, i] += size / w.ch_baseline[k]
            turn.add_tension(i, j, -(dyn["tension_agreement"] * 0.5))
        turn.log({"type": "staff", "channel": a.channel, "by": a.actor, "kind": kind, "persons": rnd(size, 1), "staff": rnd(st.staff[k], 1)})
        return True
    if kind == "apply_membership":
        b = w.bloc_ids.index(a.bloc)
        for issue, (bb, cand) in w.accession.items():
            if bb == b and cand == i and not st.motion_pending(b, i):
                st.motions.append({"bloc": b, "candidate": i, "issue": issue, "votes": {}, "turn": turn_no})
                turn.log({"type": "motion", "bloc": a.bloc, "candidate": a.actor, "issue": w.issue_ids[issue]})
                return True
        return False
    if kind == "vote":
        for mo in st.motions:
            if w.bloc_ids[mo["bloc"]] == a.bloc and w.issue_ids[mo["issue"]] == a.issue:
                mo["votes"][i] = a.choice == "yes"
                return True
        return False
    if kind == "use_force":
        if ch is None or st.end_state != "running":
            return False
        t = w.theatre_ids.index(a.theatre)
        j = ai[a.target]
        mask = np.zeros(w.n, bool)
        mask[i] = True
        bv = force.bargaining_value(w, st, ch.score, w.m)
        opt = force.options(w, st, sx.deciders, ch.forecast, per.salience_eff, bv, dyn, mask, every=i in humans, misperception=None if i in humans else ch.misperception)
        hit = np.flatnonzero((opt.target == j) & (opt.theatre == t))
        if not len(hit):
            return False  # no longer worth it (or impossible) after this turn's other actions
        r = int(hit[0])
        terms = {"eu_force": float(opt.eu_force[r]), "eu_bargain": float(opt.eu_bargain[r]), "p": float(opt.p[r]), "p_true": float(opt.p_true[r])}
        return force.use_force(w, st, turn, sx.deciders, dyn, i, j, t, terms)
    if kind == "answer":
        for p in st.pending.get(a.actor, []):
            if p.get("reopen"):  # a request to reopen a channel this human team hosts
                if p["channel"] == a.channel and p["from"] == a.target:
                    return answer_reopen(w, st, turn, p, a)
                continue
            if p["issue"] == a.issue and p["from"] == a.target:
                p["answer"] = a.choice
                return True
        return False
    return kind == "pass"


def ask_host(w: World, st: State, turn: Turn, k: int, a: Action) -> bool:
    """A sender's request to reopen channel ``k``, whose host is a human team that has not
    consented this turn: put to that team as a proposal is (``st.pending``, answered next turn
    with ``accept`` or ``reject``; unanswered, it lapses as a proposal does). Returns False: the
    channel is not reopened this turn."""
    host = w.actor_ids[int(w.ch_host[k])]
    asks = st.pending.setdefault(host, [])
    if not any(p.get("reopen") and p["channel"] == a.channel and p["from"] == a.actor for p in asks):
        asks.append({"from": a.actor, "channel": a.channel, "issue": "", "reopen": True})
    turn.log({"type": "channel_request", "channel": a.channel, "by": a.actor, "host": host})
    return False


def answer_reopen(w: World, st: State, turn: Turn, p: dict, a: Action) -> bool:
    """A human host's answer to a request to reopen a channel it hosts (:func:`ask_host`):
    ``accept`` reopens it as the sender's consented ``open_channel`` does (a closed channel
    restarts with a skeleton staff); ``reject`` is logged as the host's refusal. Returns whether
    the answer was given (the request then leaves ``st.pending``)."""
    st.pending[a.actor].remove(p)
    k = w.channel_ids.index(p["channel"])
    if a.choice != "accept":
        turn.log({"type": "channel_refused", "channel": p["channel"], "by": p["from"], "host": a.actor})
        return True
    if st.status[k] == OPEN:
        return False  # opened meanwhile
    if st.status[k] == CLOSED:
        st.staff[k] = max(st.staff[k], policy.REOPEN_STAFF * w.ch_baseline[k])
    old = STATUS_NAMES[st.status[k]]
    st.status[k] = OPEN
    turn.log({"type": "channel", "channel": p["channel"], "by": p["from"], "from": old, "to": STATUS_NAMES[OPEN], "consent": a.actor})
    return True

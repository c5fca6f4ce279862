"""Phase 3, bargain: proposals resolved by the expected-utility kernel, gated by channels (docs/model.md section 3).

A proposal travels only over an open channel (or a caucus of the bloc deciding the issue); an
AI target answers by the kernel's cases (:func:`sim.kernel.resolve`), a bloc by its rule, a
human at its next decision.
"""

from __future__ import annotations

import struct
from itertools import chain

import numpy as np

from sim import kernel
from sim.channels import OPEN
from sim.phases.decide import BARGAIN_COMPILED, Proposal, rnd
from sim.phases.perceive import Perception, Structure
from sim.state import State, Turn, derived
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
    tiebreak = rng.random((w.m, w.n, w.n))  # the phase's one draw, whichever form runs
    if kernel.phase_compiled(COMPILED) and _compiled_bargain(w, st, turn, sx, per, dyn, tiebreak, eu, proposals, humans):
        return  # the same numbers in one compiled call
    offers, effm, codes = gate(w, st, sx, per, eu, proposals, humans)
    bloc_props = special_proposals(w, st, turn, sx, per, eu, proposals, codes)
    pos, old = _numpy_talks(w, st, turn, sx, per, dyn, tiebreak, eu, offers, effm)
    _answer_blocs_and_humans(w, st, turn, sx, per, dyn, eu, bloc_props, pos, old)


COMPILED = BARGAIN_COMPILED
"""The compiled module of :func:`bargain` (its failure on a disk cache turns the phase, and the
log's compiled rounding, to numpy for the rest of the process: :func:`sim.kernel.phase_failed`)."""


PROPOSAL_OFFER, PROPOSAL_NO_CHANNEL, PROPOSAL_BLOC, PROPOSAL_HUMAN = 1, 2, 3, 4
"""What becomes of a proposal (0: nothing, no positive EU or no route): an offer the kernel
resolves; its channel no longer open or effective; to a member of the bloc at the channel's end
(the bloc answers); to a human actor (waits for an answer)."""


def gate(w: World, st: State, sx: Structure, per: Perception, eu: np.ndarray, proposals: list[Proposal], humans: set[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Which proposals travel: a proposal with a positive EU travels over an open channel that
    joins the two actors and is effective, or a caucus of the bloc deciding the issue.

    Returns:
        ``(offers, effm, codes)``: (m, n, n) bool, the offers the kernel resolves, and the best
        effectiveness of each offered cell; per proposal its ``PROPOSAL_*`` code (0: nothing).
        The oracle of :func:`sim.kernel_compiled.gate`.
    """
    m, n = w.m, w.n
    caucus = sx.caucus  # a caucus needs no channel: its effectiveness never changes
    offers = np.zeros((m, n, n), bool)
    effm = np.zeros((m, n, n))
    codes = []
    if proposals:
        status, eff, bloc_end = st.status.tolist(), per.effectiveness.tolist(), w.ch_bloc_end.tolist()
    for i, k, j, ch, e in proposals:
        codes.append(0)
        if eu[k, i, j] <= 0:
            continue
        if ch >= 0:
            if status[ch] != OPEN or not sx.ch_pair[ch, i, j] or eff[ch] <= 0:
                codes[-1] = PROPOSAL_NO_CHANNEL
                continue
            e_ch = eff[ch]
            b = bloc_end[ch]
            if b >= 0 and st.members[b, j]:
                codes[-1] = PROPOSAL_BLOC
                continue
        else:
            e_ch = caucus[k, i, j] if ch == -1 else 0.0
            if e_ch <= 0:
                continue
        if w.actor_ids[j] in humans:
            codes[-1] = PROPOSAL_HUMAN
            continue
        codes[-1] = PROPOSAL_OFFER
        offers[k, i, j] = True
        if e_ch > effm[k, i, j]:
            effm[k, i, j] = e_ch
    return offers, effm, codes


def special_proposals(w: World, st: State, turn: Turn, sx: Structure, per: Perception, eu: np.ndarray, proposals: list[Proposal], codes: list[int]) -> list[tuple[int, int, int, int, float]]:
    """The proposals the kernel does not resolve, in their order: one over a channel no longer
    open or effective is logged and rebuffed; one to a human waits for an answer
    (``st.pending``); one to a bloc member becomes one proposal to the bloc per issue.

    Returns:
        ``(proposer, issue, bloc, channel, effectiveness)`` of each proposal to a bloc.
    """
    bloc_props = []
    for (i, k, j, ch, e), code in zip(proposals, codes):
        if code == PROPOSAL_NO_CHANNEL:
            turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "no channel"})
            rebuffed(st, k, i, j)
        elif code == PROPOSAL_BLOC:
            b = int(w.ch_bloc_end[ch])
            if not any(bp[:3] == (i, k, b) for bp in bloc_props):  # one per bloc and issue
                bloc_props.append((i, k, b, ch, float(per.effectiveness[ch])))
        elif code == PROPOSAL_HUMAN:
            e_ch = float(per.effectiveness[ch]) if ch >= 0 else float(sx.caucus[k, i, j])
            st.pending[w.actor_ids[j]].append({"from": w.actor_ids[i], "issue": w.issue_ids[k], "position": float(st.position[i, k]), "eu": float(eu[k, i, j]), "eff": e_ch, "expected_win": bool(eu[k, j, i] < eu[k, i, j])})
            turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "awaiting answer"})
    return bloc_props


def _compiled_bargain(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], tiebreak: np.ndarray, eu: np.ndarray, proposals: list[Proposal], humans: set[str]) -> bool:
    """:func:`bargain` by :func:`sim.phases.bargain_compiled.bargain_turn` (:func:`gate`,
    :func:`_numpy_talks`, :func:`special_proposals` and :func:`_answer_blocs_and_humans` are its
    oracles); only the log records, the totals and the humans' answers are made here.

    Returns:
        False, with nothing of the state changed, if the compiled call failed on its disk cache
        (:class:`OSError`, with a warning): the caller runs the numpy form with the same
        ``tiebreak``.
    """
    n = w.n
    key = _PARAM_KEY.pack(dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"], dyn["talks.disputes_hold"], dyn["tension_agreement"], dyn["tension_conflict"], not st.pending)
    params = _PARAMS.get(key)
    if params is None:  # the same array every turn of a run: made once per set of dynamics (read only)
        params = np.array([dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"], dyn["talks.disputes_hold"], -dyn["tension_agreement"], dyn["tension_conflict"], 1.0, 0.0 if st.pending else 1.0])
        params.flags.writeable = False
        _PARAMS[key] = params
    position, salience, tension, rebuff, e = st.position, per.salience_eff, st.tension, st.rebuff, per.effectiveness
    if not (position.flags.c_contiguous and salience.flags.c_contiguous and tension.flags.c_contiguous and eu.flags.c_contiguous and e.flags.c_contiguous):
        position, salience, tension, eu, e = (np.ascontiguousarray(a, dtype=float) for a in (position, salience, tension, eu, e))
    if not rebuff.flags.c_contiguous:  # updated in place: the state's own array, made contiguous
        st.rebuff = rebuff = np.ascontiguousarray(rebuff, dtype=float)
    fixed = derived(w).get("bargain")
    if fixed is None:  # what the world alone decides: no humans, issues decided by states, blocs' rules
        fixed = derived(w)["bargain"] = tuple(_read_only(a) for a in (np.zeros(n, bool), w.issue_bloc < 0, np.array(w.bloc_rule, dtype=np.int64), np.array(w.bloc_leader, dtype=np.int64)))
    no_human, listed, bloc_rule, bloc_leader = fixed
    human = _read_only(np.array([a in humans for a in w.actor_ids])) if humans else no_human  # read only as no_human: one compiled version
    props = np.fromiter(chain.from_iterable(proposals), float, 5 * len(proposals)).reshape(-1, 5)  # np.array(proposals, float), faster
    try:  # numba loads or compiles the code before it runs: a cache failure changes nothing
        pos, cells, numbers, rounded, counts, codes, blocs, shares = _compiled().bargain_turn(props, eu, st.status, sx.ch_pair, e, w.ch_bloc_end, st.members, sx.caucus, human, tiebreak, position, salience, tension, params, turn.tension_delta, rebuff, sx.deciders, listed, bloc_rule, bloc_leader)
    except OSError as error:
        kernel.phase_failed(COMPILED, "the compiled bargaining phase failed on its disk cache ({error}); using numpy", error, stacklevel=3)
        return False
    agreements, conflicts, disputes, clipped, specials, invalid, unrounded = counts.tolist()
    if invalid:
        raise ValueError("a proposal went to a bloc without members, or ruled by a leader who is not one of them")
    if unrounded:  # a number too large for the compiled rounding: Python's round
        rounded, shares = np.array([[round(v, 4) for v in row] for row in numbers.tolist()]).reshape(-1, 3), np.array([[f, round(f, 4)] for f, _ in shares.tolist()]).reshape(-1, 2)
    if specials:  # proposals over channels no longer open (already rebuffed) and to humans: logged
        _log_specials(w, st, turn, sx, per, eu, proposals, codes.tolist())
    if len(cells):
        _record_cells(w, st, turn, dyn, cells, rounded, agreements, conflicts, disputes, rounded=True)
    if len(blocs):
        _record_blocs(w, st, turn, blocs, shares)
    if clipped:
        st.position = pos
    else:
        _answer_blocs_and_humans(w, st, turn, sx, per, dyn, eu, [], pos, None)
    return True


_PARAM_KEY = struct.Struct("6d?")
"""The dynamics that :func:`_compiled_bargain`'s parameters hold, packed bit for bit (a key)."""
_PARAMS: dict[bytes, np.ndarray] = {}
_BC = None


def _compiled():
    """:mod:`sim.phases.bargain_compiled`, imported at the first compiled bargain (numba is loaded
    then, not when this module is imported)."""
    global _BC
    if _BC is None:
        from sim.phases import bargain_compiled

        _BC = bargain_compiled
    return _BC


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a``, marked read only (kept in :func:`sim.state.derived` for the world's life)."""
    a.flags.writeable = False
    return a


def _log_specials(w: World, st: State, turn: Turn, sx: Structure, per: Perception, eu: np.ndarray, proposals: list[Proposal], codes: list[int]) -> None:
    """:func:`special_proposals` without its rebuffs and its proposals to blocs (the compiled
    phase makes both): the records of proposals over channels no longer open, and the proposals
    to humans put to wait for their answer, in the proposals' order."""
    for (i, k, j, ch, e), code in zip(proposals, codes):
        if code == PROPOSAL_NO_CHANNEL:
            turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "no channel"})
        elif code == PROPOSAL_HUMAN:
            e_ch = float(per.effectiveness[ch]) if ch >= 0 else float(sx.caucus[k, i, j])
            st.pending[w.actor_ids[j]].append({"from": w.actor_ids[i], "issue": w.issue_ids[k], "position": float(st.position[i, k]), "eu": float(eu[k, i, j]), "eff": e_ch, "expected_win": bool(eu[k, j, i] < eu[k, i, j])})
            turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "awaiting answer"})


def _record_cells(w: World, st: State, turn: Turn, dyn: dict[str, float], cells: np.ndarray, numbers: np.ndarray, agreements: int, conflicts: int, disputes: int, rounded: bool = False) -> None:
    """The counts, deals and log records of :func:`record_outcomes` from the compiled talks'
    cells and numbers (its tensions and rebuffs are already applied); ``rounded``: the numbers
    are already ``round(x, 4)`` (:func:`sim.phases.bargain_compiled.round4`)."""
    totals = st.totals
    totals["agreements"] += agreements
    totals["conflicts"] += conflicts
    if disputes:
        totals["disputes"] = totals.get("disputes", 0) + disputes
    holds = dyn.get("talks.disputes_hold", 0) > 0
    if not rounded:
        numbers = [[round(v, 4) for v in row] for row in numbers.tolist()]
    else:
        numbers = numbers.tolist()
    names, actors, issues = kernel.OUTCOME_NAMES, w.actor_ids, w.issue_ids
    cells = cells.tolist()
    for k, j, i, oc, deal in cells:
        if deal:
            turn.deals.add(k)
    recs = [{"type": "proposal", "from": actors[i], "to": actors[j], "issue": issues[k], "outcome": names[oc], "moved": frac, "position": [before, after]} for (k, j, i, oc, deal), (frac, before, after) in zip(cells, numbers)]
    if holds:  # a dispute: both expect to gain from a fight; the target holds
        conflict = kernel.OUTCOME_CONFLICT
        for rec, cell in zip(recs, cells):
            if cell[3] == conflict:
                rec["holds"] = True
    turn.events.extend(recs)  # turn.log of each record, in order


def _record_blocs(w: World, st: State, turn: Turn, blocs: np.ndarray, shares: np.ndarray) -> None:
    """The counts and log records of the blocs' answers of :func:`_answer_blocs_and_humans`
    from the compiled phase's (its moves, tensions and rebuffs are already applied); ``shares``
    (Q, 2): each bloc's share and the share rounded for the log."""
    totals = st.totals
    for (i, k, b, ch), (f, f4) in zip(blocs.tolist(), shares.tolist()):
        turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.bloc_ids[b], "issue": w.issue_ids[k], "outcome": "agreement" if f > 0 else "rejected", "moved": f4, "channel": w.channel_ids[ch], "rule": _RULE_NAMES[w.bloc_rule[b]]})
        if f > 0:
            totals["agreements"] += 1
        else:
            totals["conflicts"] += 1


_RULE_NAMES = ("consensus", "majority", "leader")


def _numpy_talks(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], tiebreak: np.ndarray, eu: np.ndarray, offers: np.ndarray, effm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's answers (:func:`sim.kernel.resolve`, ties broken by ``tiebreak`` (m, n, n),
    the phase's draw) settled by :func:`settle_steps` and recorded by :func:`record_outcomes`:
    the oracle of :func:`sim.kernel_compiled.talks`. Returns the new positions (n, m) and the
    old ones (m, n)."""
    old = st.position.T.copy()
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
    return new_x.T.copy(), old


def _answer_blocs_and_humans(w: World, st: State, turn: Turn, sx: Structure, per: Perception, dyn: dict[str, float], eu: np.ndarray, bloc_props: list, pos: np.ndarray, old: np.ndarray | None) -> None:
    """Bloc counterparts' answers by their rule and humans' answers to last turn's proposals,
    moving ``pos`` (n, m); then the positions set, clipped to [0, 1]. ``old``: (m, n) the
    positions before the talks (None: ``st.position`` still holds them)."""
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
        target = float(old[k, i]) if old is not None else float(st.position[i, k])
        r_, d_, s_ = dyn["talks.resolve"], dyn["talks.distrust"], dyn["talks.max_step"]
        moved = []
        for sal, ten, p in zip(per.salience_eff[mem, k].tolist(), st.tension[i, mem].tolist(), pos[mem, k].tolist()):
            yield_ = (1.0 - r_ * sal) * (1.0 - d_ * ten)  # step_scale, on Python floats
            moved.append(p + min(max(p + f * yield_ * (target - p) - p, -s_), s_))  # bounded
        pos[mem, k] = moved
        kind = "agreement" if f > 0 else "rejected"
        turn.log({"type": "proposal", "from": w.actor_ids[i], "to": w.bloc_ids[b], "issue": w.issue_ids[k], "outcome": kind, "moved": rnd(f), "channel": w.channel_ids[ch], "rule": _RULE_NAMES[rule]})
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

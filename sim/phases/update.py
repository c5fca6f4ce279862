"""Phase 6, update: tension and alignment, positions back toward ideal points, issue states, staffing caps.
"""

from __future__ import annotations


import numpy as np

from sim import kernel
from sim.channels import OPEN
from sim.phases.collective import supports, vote_positions
from sim.phases.decide import rnd
from sim.state import State, Turn, derived
from sim.world import World

RETABLE = 0.5
"""A vetoed move of an issue state is put to the vote again once the memory of the veto (1 when
cast, decaying by ``talks.deadlock_memory`` a turn) falls below this; judgement (ours)."""

GRIEVANCE_MEMORY = 0.8
"""Per-turn persistence of grievance and goodwill (reciprocity memory); judgement (ours)."""


def _fixed(w: World) -> dict:
    """What the update derives from the world alone (kept per world, :func:`sim.state.derived`)."""
    fx = derived(w).get("update")
    if fx is None:
        hostile = np.maximum(w.threat, w.threat.T)
        rule = np.where(w.issue_bloc >= 0, w.decider_rule, 0)
        accession = np.zeros(w.m, bool)
        accession[list(w.accession)] = True
        fx = derived(w)["update"] = {
            "hostile": hostile,
            "floor": 0.5 * hostile,
            "half_hostile": 0.5 * hostile,
            "npres": np.maximum(w.present.sum(axis=1), 1),
            "present": w.present.astype(float),  # 1.0 / 0.0: the same products, no cast a turn
            # F6: sanctions of a bloc with autonomy below 1 lean toward another actor's position
            "autonomy": [
                (k, w.bloc_autonomy[b], int(w.bloc_autonomy_from[b]))
                for k in range(w.m)
                if (b := w.issue_bloc[k]) >= 0 and w.issue_kind[k] == "sanctions" and w.bloc_autonomy[b] < 1 and w.bloc_autonomy_from[b] >= 0
            ],
            "rule": rule,
            "ruled": np.flatnonzero(rule != 0).tolist(),
            "not_accession": ~accession,
            "bloc_decided": w.issue_bloc >= 0,
            "low_inertia": -w.issue_inertia,
            "veto_bloc": [bool(w.bloc_veto[b].any()) for b in range(len(w.bloc_ids))],
            "not_accession_bloc": ~accession & (w.issue_bloc >= 0),
        }
        # the compiled path's forms of the same: rule as int64, each issue's leader, F6 rows
        fx["rule64"] = rule.astype(np.int64)
        fx["leader"] = np.array([w.bloc_leader[w.issue_bloc[k]] if rule[k] == 2 else -1 for k in range(w.m)], dtype=np.int64)
        fx["autonomy_rows"] = np.array([(k, a, src) for k, a, src in fx["autonomy"]], dtype=float).reshape(-1, 3)
        for a in fx.values():
            if isinstance(a, np.ndarray):
                a.flags.writeable = False
    return fx


def _clip(x: np.ndarray, lo, hi) -> np.ndarray:
    """``np.clip(x, lo, hi)`` value for value (numpy's clip is this composition), without its
    dispatch cost."""
    return np.minimum(np.maximum(x, lo), hi)


COMPILED = "sim.phases.update_compiled"
"""The compiled module of the update and military phases: one failure turns both to numpy
(:func:`sim.kernel.phase_failed`)."""

_FAST: list = []
"""The compiled cores' module, once imported (an import statement a call costs about 1 us)."""


def compiled():
    """:mod:`sim.phases.update_compiled` when the update and military phases run compiled (the
    kernel's backend is ``"compiled"`` and the compiled code has not failed on its disk cache:
    :func:`sim.kernel.phase_compiled`), else ``None``; the numpy forms give the same numbers
    (tests/test_update_fast.py)."""
    if not kernel.phase_compiled(COMPILED):
        return None
    if not _FAST:
        from sim.phases import update_compiled

        _FAST.append(update_compiled)
    return _FAST[0]


def compiled_failed(error: OSError) -> None:
    """The compiled cores failed on their disk cache: the update and military phases use numpy
    from now on, with a warning."""
    kernel.phase_failed(COMPILED, "the compiled update and military phases failed on their disk cache ({error}); using numpy", error, stacklevel=3)


_PARAMS: dict = {}
"""relations_core's parameter arrays by their values (read only)."""


def relations(w: World, st: State, turn: Turn, threat_perc: np.ndarray, dyn: dict[str, float], anchor: bool = False) -> None:
    """Tension and alignment after the turn; with ``anchor``, then :func:`anchor_positions` (in
    the same compiled pass where compiled).

    Tension: the turn's changes added, then a decay of ``tension_decay`` toward a floor of half
    the pair's hostility (the larger threat weight), clipped to [0, 1]. Alignment moves by
    ``alignment_rate`` toward ``similarity of salience-weighted positions + alignment_pressure x
    shared perceived threat x mean posture burden - 0.5 x hostility`` (F11: shared US pressure
    brings Russia and China together, interview L29).
    """
    uc = compiled()
    if uc is not None:
        fx = _fixed(w)
        key = (dyn["tension_decay"], dyn["alignment_pressure"], dyn["alignment_rate"], dyn["anchor"] if anchor else 0.0, 1.0 if anchor else 0.0)
        params = _PARAMS.get(key)
        if params is None:
            params = _PARAMS[key] = np.array(key, dtype=float)
            params.flags.writeable = False
        try:
            st.tension, st.alignment = uc.relations_core(st.tension, turn.tension_delta, fx["floor"], fx["half_hostile"], st.salience, st.position, st.posture, fx["present"], fx["npres"], threat_perc, st.alignment, params, st.ideal)
            return
        except OSError as error:
            compiled_failed(error)
    _relations_numpy(w, st, turn, threat_perc, dyn)
    if anchor:
        anchor_positions(st, dyn)


def _relations_numpy(w: World, st: State, turn: Turn, threat_perc: np.ndarray, dyn: dict[str, float]) -> None:
    """:func:`relations` in numpy (the numpy backend, and the compiled core's oracle)."""
    d = dyn
    fx = _fixed(w)
    hostile = fx["hostile"]
    n = len(hostile)
    t = st.tension + turn.tension_delta
    t = t - d["tension_decay"] * (t - fx["floor"])
    t = _clip(t, 0.0, 1.0)
    t.flat[:: n + 1] = 0.0  # np.fill_diagonal
    st.tension = t
    wsum, wpos, wden = _salience_weights(st.salience)
    diff = np.abs(st.position[:, None, :] - st.position[None, :, :])
    sim = 1.0 - 2.0 * np.where(wpos, (wsum * diff).sum(2) / wden, 0.5)
    tp = threat_perc
    burden = (st.posture * fx["present"]).sum(axis=1) / fx["npres"]  # (n,) mean posture, in [0, 1]
    shared = np.einsum("ik,jk,k->ij", tp, tp, burden)
    target = _clip(sim + d["alignment_pressure"] * shared - fx["half_hostile"], -1.0, 1.0)
    al = st.alignment + d["alignment_rate"] * (target - st.alignment)
    al.flat[:: n + 1] = 1.0
    st.alignment = _clip(al, -1.0, 1.0)


_SALIENCE_WEIGHTS: list = [(b"", 0, None)]
"""The last salience seen by :func:`_salience_weights` and what it gave (one tuple, replaced
whole, so that threads running models side by side never mix two)."""


def _salience_weights(sal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(wsum, wtot > 0, max(wtot, 1e-12))`` of :func:`relations`: pairwise salience sums
    (n, n, m) and their totals over issues; kept while the salience is unchanged (byte for
    byte, same shape), as it is in most turns."""
    key = sal.tobytes()
    seen = _SALIENCE_WEIGHTS[0]
    if seen[0] == key and seen[1] == sal.shape:
        return seen[2]
    wsum = sal[:, None, :] + sal[None, :, :]
    wtot = wsum.sum(2)
    out = (wsum, wtot > 0, np.maximum(wtot, 1e-12))
    for a in out:  # shared by every model in the process: read only
        a.flags.writeable = False
    _SALIENCE_WEIGHTS[0] = (key, sal.shape, out)
    return out


def anchor_positions(st: State, dyn: dict[str, float]) -> None:
    """Negotiating positions fall back toward the ideal points by ``dynamics.anchor`` a turn."""
    st.position += dyn["anchor"] * (st.ideal - st.position)


def issue_states(w: World, st: State, turn: Turn, deciders: np.ndarray, dyn: dict[str, float] | None = None, vetoed: np.ndarray | None = None) -> None:
    """Issue states move toward what their deciders agree, by at most the issue's inertia.

    Consensus: the state moves only if every decider wants the move, to the most reluctant
    decider's position; majority: toward the capability x salience weighted median of the
    deciders; leader: toward the leader's position. Sanctions decided by a bloc with autonomy
    below 1 weight each member's position toward the US's (F6, interview L17). Accession issues
    move by motions only (F7). With ``talks.deals``, an issue decided by states (not a bloc)
    moves only in a turn with a deal between two of them (``turn.deals``). With
    ``collective.veto``, a move of an issue decided by a bloc with veto holders is put to the
    vote (logged) and blocked when a holder opposes it: when the new state is farther from its
    vote position (F12: coordinated partners vote together) than the current one; a vetoed
    move is tabled again only after ``RETABLE``.

    Args:
        vetoed: (m,) memory of vetoes per issue (updated in place), or ``None``.
    """
    d = dyn or {}
    fx = _fixed(w)
    cur = st.issue_state
    new = None
    uc = compiled()
    if uc is not None:
        if d.get("talks.deals", 0) > 0:
            allowed = fx["not_accession_bloc"]
            if turn.deals:
                allowed = allowed.copy()
                na = fx["not_accession"]
                for k in turn.deals:
                    allowed[k] = na[k]
                allowed.flags.writeable = False  # as the kept masks: one compiled signature
        else:
            allowed = fx["not_accession"]
        try:
            new = uc.issue_core(st.position, fx["autonomy_rows"], cur, deciders, fx["rule64"], fx["leader"], w.capability, st.salience, allowed, w.issue_inertia)
        except OSError as error:
            compiled_failed(error)
    if new is None:
        new = _issue_targets_numpy(w, st, turn, deciders, d)
    cur_l, new_l = cur.tolist(), new.tolist()
    if d.get("collective.veto", 0) > 0 and vetoed is not None:
        votes = {}  # vote positions of each bloc (the positions do not change here)
        for k in [k for k in range(w.m) if abs(new_l[k] - cur_l[k]) > 1e-9]:
            b = w.issue_bloc[k]
            if b < 0 or not fx["veto_bloc"][b]:
                continue
            if vetoed[k] >= RETABLE:
                new[k] = cur[k]  # not tabled again yet
                new_l[k] = cur_l[k]
                continue
            mem_l = np.flatnonzero(st.members[b]).tolist()
            if b not in votes:
                votes[b] = vote_positions(w, st, st.members[b])
            col = votes[b][:, k].tolist()
            v_l, holders, c, nk = [col[i] for i in mem_l], w.bloc_veto[b].tolist(), cur_l[k], new_l[k]
            yes = [supports(x, c, nk, True) for x in v_l]
            veto = [i for h, (i, y) in enumerate(zip(mem_l, yes)) if not y and holders[i] and abs(nk - v_l[h]) > abs(c - v_l[h])]
            passed = not veto
            turn.log({"type": "vote", "bloc": w.bloc_ids[b], "issue": w.issue_ids[k], "from": rnd(c), "to_level": rnd(nk), "yes": [w.actor_ids[i] for i, y in zip(mem_l, yes) if y], "no": [w.actor_ids[i] for i, y in zip(mem_l, yes) if not y], "veto": [w.actor_ids[i] for i in veto], "passed": passed})
            if not passed:
                new[k] = cur[k]
                new_l[k] = c
                vetoed[k] = 1.0
                st.totals["vetoes"] = st.totals.get("vetoes", 0) + 1
    st.issue_state = new
    for k, (was, now) in enumerate(zip(cur_l, new_l)):
        if abs(now - was) > 1e-9:
            turn.log({"type": "issue", "issue": w.issue_ids[k], "from": round(was, 4), "to": round(now, 4)})


def _issue_targets_numpy(w: World, st: State, turn: Turn, deciders: np.ndarray, d: dict[str, float]) -> np.ndarray:
    """(m,) the issue states of :func:`issue_states` before any veto, in numpy (the numpy
    backend, and the compiled core's oracle)."""
    fx = _fixed(w)
    x = st.position.copy()
    for k, a, src in fx["autonomy"]:
        x[:, k] = a * x[:, k] + (1 - a) * st.position[src, k]  # F6
    cur = st.issue_state
    xt = x.T  # (m, n)
    dmask = deciders  # (m, n)
    lows = np.where(dmask, xt, np.inf).min(axis=1)
    highs = np.where(dmask, xt, -np.inf).max(axis=1)
    # consensus: the state moves only if every decider wants the move, to the most reluctant
    tgt = np.where(lows > cur, lows, np.where(highs < cur, highs, cur))
    rule = fx["rule"]
    for k in fx["ruled"]:
        dec = np.flatnonzero(dmask[k])
        if rule[k] == 2 and w.bloc_leader[w.issue_bloc[k]] >= 0:
            tgt[k] = x[w.bloc_leader[w.issue_bloc[k]], k]
        elif len(dec):
            wts = w.capability[dec] * st.salience[dec, k]
            tgt[k] = float(kernel.forecast(x[dec, k][None, :], wts[None, :])[0])
    moves = dmask.any(axis=1) & fx["not_accession"]  # accession: motions only (F7)
    if d.get("talks.deals", 0) > 0:
        dealt = np.zeros(w.m, bool)
        dealt[sorted(turn.deals)] = True
        moves &= fx["bloc_decided"] | dealt
    step = _clip(tgt - cur, fx["low_inertia"], w.issue_inertia)
    return np.where(moves, _clip(cur + step, 0.0, 1.0), cur)


def late_tension(st: State, delta: np.ndarray) -> None:
    """Tension changes made after this turn's update of relations (a red line crossed by an
    issue that moved in the update), applied at once, within [0, 1]."""
    if np.any(delta):
        t = np.clip(st.tension + delta, 0.0, 1.0)
        np.fill_diagonal(t, 0.0)
        st.tension = t


def staffing_caps(w: World, st: State) -> None:
    """Staff above the ceiling set by a staffing issue (state x baseline) goes home (F14)."""
    pairs = derived(w).get("staffing")
    if pairs is None:  # (issue, channel, baseline staff) per world
        pairs = derived(w)["staffing"] = [(k, c, float(w.ch_baseline[c])) for k, chans in w.staffing.items() for c in chans]
    if not pairs:
        return
    state, staff, status = st.issue_state.tolist(), st.staff.tolist(), st.status.tolist()
    for k, c, base in pairs:
        cap = state[k] * base
        if staff[c] > cap + 1e-9 and status[c] == OPEN:
            st.staff[c] = staff[c] = cap


def decay_memory(st: State, dyn: dict[str, float] | None = None) -> None:
    """Grievance and goodwill fade by ``GRIEVANCE_MEMORY`` a turn; rebuffs and vetoes by
    ``talks.deadlock_memory``; the signal of joint patrols by ``patrol.memory``."""
    st.grievance *= GRIEVANCE_MEMORY
    st.goodwill *= GRIEVANCE_MEMORY
    if dyn is not None:
        st.rebuff *= dyn["talks.deadlock_memory"]
        st.vetoed *= dyn["talks.deadlock_memory"]
        st.patrolled *= dyn["patrol.memory"]

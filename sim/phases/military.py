"""Phase 4, military: incidents drawn per theatre and hostile pair; deconfliction cuts escalation (F2).

An incident raises tension; it escalates into a crisis with a probability that grows with
tension and falls with the open deconfliction channels between the pair in that theatre; a
crisis becomes an armed clash with a probability that grows with the square of tension.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.phases.decide import rnd
from sim.phases.perceive import Structure
from sim.phases.update import compiled, compiled_failed
from sim.state import State, Turn, derived
from sim.world import World


@lru_cache(maxsize=8)
def _pairs_once(n: int) -> np.ndarray:
    """(n, n) bool, read only: True above the diagonal (each unordered pair once)."""
    iu = np.triu(np.ones((n, n), bool), 1)
    iu.flags.writeable = False
    return iu


def deconfliction(w: World, sx: Structure, e: np.ndarray) -> np.ndarray:
    """(T, n, n) share in [0, 1] by which open channels cut escalation between a pair (F2).

    ``1 - prod over channels k joining the pair in theatre t of (1 - e_k x deconfliction_k)``.
    Kept in ``sx.fixed`` for the last effectiveness seen (read only).
    """
    seen = sx.fixed.get("deconfliction")
    key = e.tobytes()
    if seen is not None and seen[0] == key:
        return seen[1]  # the same effectiveness, byte for byte: the same shares
    ed = e * w.ch_deconfliction
    logs = np.log(np.maximum(1.0 - ed, 1e-9))  # (K,)
    out = None
    fast = compiled()
    if fast is not None and w.ch_theatre.dtype == bool and sx.ch_pair.dtype == bool:
        try:
            cells, sums = fast.deconfliction_logs(w.ch_theatre, logs, sx.ch_pair)
        except OSError as error:
            compiled_failed(error)
        else:  # 1 - exp(0) = 0 where no channel joins the pair in the theatre
            out = np.zeros((w.ch_theatre.shape[1], w.n, w.n))
            out.reshape(-1)[cells] = 1.0 - np.exp(sums)  # numpy's exp, as in the numpy form
    if out is None:
        # (T, n, n): sum over channels covering the theatre and joining the pair
        pair_log = np.einsum("kt,kij->tij", w.ch_theatre * logs[:, None], sx.ch_pair)
        out = 1.0 - np.exp(pair_log)
    out.flags.writeable = False
    sx.fixed["deconfliction"] = (key, out)
    return out


_NO_PATROLS = np.zeros((0, 3), dtype=np.int64)
"""No joint patrols (writable, like the arrays of patrols flown: one compiled signature)."""

def _fixed(w: World) -> dict:
    """Hostility (the larger threat weight of a pair) and presence as 1.0 / 0.0, per world."""
    d = derived(w)
    fx = d.get("military")
    if fx is None:
        hostility = d.get("hostility")
        if hostility is None:
            hostility = d["hostility"] = np.maximum(w.threat, w.threat.T)
        present = d.get("present")
        if present is None:  # 1.0 / 0.0: the same products, without a cast a turn
            present = d["present"] = w.present.astype(float)
        fx = d["military"] = {"hostility": hostility, "present": present}
    return fx


def _incident_rates_numpy(w: World, st: State, turn: Turn) -> np.ndarray:
    """(T, n, n) this turn's incident rates ``lam`` in numpy (see :func:`incidents`)."""
    fx = _fixed(w)
    hostile = fx["hostility"] * (0.5 + st.tension)
    P = st.posture * fx["present"]  # (n, T)
    lam = w.incident_rate[:, None, None] * P.T[:, :, None] * P.T[:, None, :] * hostile[None]
    for t, i, j in turn.patrols:
        lam[t, i, :] *= 1.5
        lam[t, :, i] *= 1.5
    return lam


def _incident_hits_numpy(w: World, st: State, turn: Turn, u: np.ndarray) -> np.ndarray:
    """(h, 3) ``(theatre, i, j)`` of this turn's incidents in numpy (the numpy backend, and
    the compiled cores' oracle), from the turn's (T, n, n) uniform draws ``u``."""
    p = 1.0 - np.exp(-_incident_rates_numpy(w, st, turn))
    return np.argwhere((u < p) & _pairs_once(w.n)[None])


def incidents(w: World, st: State, turn: Turn, sx: Structure, e: np.ndarray, dyn: dict[str, float], rng: np.random.Generator) -> None:
    """Draw this turn's incidents and their escalation.

    Rate for pair (i, j) in theatre t: ``incident_rate_t x P_it x P_jt x hostility_ij x
    (0.5 + tension_ij)``, with P the posture where present and hostility the larger of the two
    threat weights; a joint patrol multiplies the patrolling actor's rates there by 1.5.
    """
    u = rng.random((len(w.incident_rate), w.n, w.n))  # (T, n, n) the turn's uniform draws
    hits = None
    fast = compiled()
    if fast is not None:
        fx = _fixed(w)
        patrols = np.array(turn.patrols, dtype=np.int64).reshape(-1, 3) if turn.patrols else _NO_PATROLS
        try:
            hits = fast.incident_draws(u, w.incident_rate, st.posture, fx["present"], fx["hostility"], st.tension, patrols)
        except OSError as error:
            compiled_failed(error)
        else:
            if len(hits) and hits[0, 0] < 0:  # a draw at its probability: numpy's exp decides
                hits = None
    if hits is None:
        hits = _incident_hits_numpy(w, st, turn, u)
    if len(hits):
        turn.decon = deconfliction(w, sx, e)
        h = len(hits)
        draws = rng.random(2 * h).tolist()  # the escalation draws, then the clash draws
        for (t, i, j), ue, uc in zip(hits.tolist(), draws[:h], draws[h:]):
            incident(w, st, turn, sx, e, dyn, rng, t, i, j, ue=ue, uc=uc)
    turn.patrols = []


def incident(
    w: World,
    st: State,
    turn: Turn,
    sx: Structure,
    e: np.ndarray,
    dyn: dict[str, float],
    rng: np.random.Generator,
    t: int,
    i: int,
    j: int,
    ue: float | None = None,
    uc: float | None = None,
    forced: bool = False,
) -> None:
    """One incident between i and j in theatre t; ``ue``, ``uc`` are its uniform draws
    (drawn here when not given). Crisis: ``escalation x (0.5 + tension) x (1 - deconfliction x
    dec)``; armed clash after a crisis: ``clash x tension^2 x (1 - deconfliction x dec)``."""
    d = dyn
    if ue is None:
        ue, uc = rng.random(2)
    if turn.decon is None or forced:
        turn.decon = deconfliction(w, sx, e)
    st.totals["incidents"] += 1
    turn.add_tension(i, j, d["tension_incident"])
    dec = turn.decon.item(t, i, j)
    p_crisis = d["escalation"] * (0.5 + st.tension.item(i, j)) * (1.0 - d["deconfliction"] * dec)
    crisis = ue < p_crisis
    rec = {"type": "incident", "theatre": w.theatre_ids[t], "actors": [w.actor_ids[i], w.actor_ids[j]], "deconfliction": rnd(dec), "crisis": bool(crisis)}
    if crisis:
        st.totals["crises"] += 1
        turn.add_tension(i, j, d["tension_crisis"])
        p_clash = d["clash"] * st.tension[i, j] ** 2 * (1.0 - d["deconfliction"] * dec)
        if uc < p_clash:
            rec["armed_clash"] = True
            rec["cause"] = "escalated"
            st.end_state = "armed_clash"
            st.end_cause = "escalated"
    turn.log(rec)

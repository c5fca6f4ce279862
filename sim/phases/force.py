"""A deliberate use of force: when a state expects more from force than from bargaining (docs/model.md 7.14; the expected-utility tradition of war).

The expected-utility tradition of war (Bueno de Mesquita, *The War Trap*, 1981; the "war"
outcome of the expected-utility model, in which both sides expect to gain from fighting): a
state i weighs force against a state j in a theatre where both have forces. What is at stake is
j's say over issues: the issues on which j is the accession candidate (weight 1) and those it
decides (weight 1 / number of deciders). With ``x`` positions, ``s`` saliences and ``mu`` the
kernel's forecast (the path the issue takes if bargaining goes on)::

    gain  = sum_k w_k s_ik |x_ik - mu_k|                         (i imposes its position)
    loss  = sum_k w_k s_ik max(0, |x_ik - x_jk| - |x_ik - mu_k|)   (j imposes its position)
    p     = (S_i + A_i) / (S_i + A_i + S_j + A_j)                  (i prevails locally)
    cost  = force.cost x (1 - tension_ij) + force.military_cost x (1 - p)
            + force.sanctions_cost x sum_k max(0, alignment_kj - max(0, alignment_ki)) c_k
    EU_force = p gain - (1 - p) loss - cost

``S`` is capability share x posture in the theatre; ``A`` the help of third parties present
there: allies in a military bloc count fully, other states aligned with the side count
``force.intervention`` x alignment of their strength (War Trap's third parties). ``c_k`` are
capability shares. The expected utility of bargaining on the same issues is the best score of a
challenge i has on them (:mod:`sim.phases.decide`), after the deadlock memory, and 0 on an issue
whose red line i holds crossed (talks have failed). Force is an option only where ``EU_force``
exceeds it (never chosen below that, not even by exploration). The attacker does not know
``p`` exactly: each turn its estimate is ``p + force.misperception x z`` (z a standard normal
draw per pair, clipped to [0, 1]): wars begin when states misjudge the balance (Blainey, *The
Causes of War*, 1973; Fearon, "Rationalist explanations for war", 1995, on private
information). The target resists unless its true chance ``1 - p`` is below ``force.resist``;
then it yields (coercion). A resisted use of force is an armed clash: the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernel
from sim.state import State, Turn
from sim.world import World


@dataclass
class ForceOptions:
    """Every (attacker, target, theatre) where force is possible this turn, with its terms.

    Attributes:
        actor, target, theatre: (N,) indices.
        eu_force: (N,) expected utility of force, utility units.
        eu_bargain: (N,) expected utility of bargaining on the same issues, >= 0.
        p: (N,) the attacker's chance of prevailing locally, in [0, 1].
        gain, loss, cost: (N,) the terms of ``eu_force``.
        p_true: (N,) the true chance (``p`` is the attacker's estimate of it).
    """

    actor: np.ndarray
    target: np.ndarray
    theatre: np.ndarray
    eu_force: np.ndarray
    eu_bargain: np.ndarray
    p: np.ndarray
    gain: np.ndarray
    loss: np.ndarray
    cost: np.ndarray
    p_true: np.ndarray


def stakes(w: World, deciders: np.ndarray) -> np.ndarray:
    """(n, m) weight of j's say over each issue: 1 as its accession candidate, else 1 / number
    of deciders where j decides, else 0."""
    n_dec = np.maximum(deciders.sum(axis=1), 1)  # (m,)
    wt = (deciders / n_dec[:, None]).T.astype(float)  # (n, m)
    for k, (_b, cand) in w.accession.items():
        wt[cand, k] = 1.0
    return wt


def local_strength(w: World, st: State, dyn: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(S, help)``: S (n, T) own strength (capability share x posture where present);
    help (n, n, T) ``help[k, j, t]``: the strength third party k brings to j's side in t."""
    S, commit = commitment(w, st, dyn)
    return S, commit[:, :, None] * S[:, None, :]


def commitment(w: World, st: State, dyn: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(S, commit)``: S (n, T) as in :func:`local_strength`; commit (n, n) ``commit[k, j]``:
    the share of its strength third party k brings to j's side (1 for an ally in a military
    bloc, else ``force.intervention`` x positive alignment; 0 for itself)."""
    S = w.capability[:, None] * st.posture * w.present  # (n, T)
    military = w.bloc_military[:, None] & np.ones_like(st.members)
    allied = ((st.members & military)[:, :, None] & (st.members & military)[:, None, :]).any(axis=0)  # (n, n)
    np.fill_diagonal(allied, False)
    aligned = dyn["force.intervention"] * np.maximum(st.alignment, 0.0)
    commit = np.where(allied, 1.0, aligned)  # (k, j)
    np.fill_diagonal(commit, 0.0)
    return S, commit


COMPILED = "sim.phases.policy_compiled"
"""The compiled module of force's options, the policy's too (:data:`sim.policy.COMPILED`): one
failure turns both to numpy (:func:`sim.kernel.phase_failed`)."""


def _compiled() -> bool:
    """Whether :func:`options` runs compiled (:func:`sim.phases.policy_compiled.force_core`):
    the kernel's backend is ``"compiled"`` and the compiled module has not failed on its disk
    cache (:func:`sim.kernel.phase_compiled`)."""
    return kernel.phase_compiled(COMPILED)


def options(w: World, st: State, deciders: np.ndarray, forecast: np.ndarray, salience_eff: np.ndarray, bargain_value: np.ndarray, dyn: dict[str, float], mask: np.ndarray, every: bool = False, misperception: np.ndarray | None = None) -> ForceOptions:
    """Evaluate force for every ordered pair of states present together in a theatre.

    Args:
        deciders: (m, n) bool, who decides each issue now.
        forecast: (m,) the kernel's forecast of each issue.
        salience_eff: (n, m) effective salience.
        bargain_value: (n, m) the best challenge score each actor has on each issue (>= 0).
        mask: (n,) actors whose options to evaluate.
        every: keep every option with something at stake, not only those worth more than
            bargaining (a human's choice).
        misperception: (n, n) the error of i's estimate of its chance against j this turn
            (``force.misperception`` x a standard normal draw), or ``None`` for the true
            chance; the estimate is clipped to [0, 1].

    Returns:
        The :class:`ForceOptions` with ``eu_force > eu_bargain`` (possibly none).
    """
    if _compiled():
        from sim.phases import policy_compiled

        try:
            return ForceOptions(*policy_compiled.force_options(w, st, deciders, forecast, salience_eff, bargain_value, dyn, mask, every, misperception))
        except OSError as error:  # the compiled code's disk cache failed: numpy from now on
            kernel.phase_failed(COMPILED, "compiled force options failed on its disk cache ({error}); using numpy", error)
    n = w.n
    wt = stakes(w, deciders)  # (n_target, m)
    x = st.position
    dist_mu = np.abs(x - forecast[None, :])  # (n, m) |x_ik - mu_k|
    gain = np.einsum("jk,ik,ik->ij", wt, salience_eff, dist_mu)  # (i, j)
    dist_ij = np.abs(x[:, None, :] - x[None, :, :])  # (i, j, m)
    worse = np.maximum(dist_ij - dist_mu[:, None, :], 0.0)
    loss = np.einsum("jk,ik,ijk->ij", wt, salience_eff, worse)
    # bargaining on the same issues: summed in issue order (as the compiled core does)
    bv = np.zeros((n, n))
    for k in range(w.m):
        bv += bargain_value[:, k, None] * (wt[:, k] > 0)[None, :]
    S, commit = commitment(w, st, dyn)
    mis = np.zeros((n, n)) if misperception is None else misperception
    costs = np.array([dyn["force.cost"], dyn["force.military_cost"], dyn["force.sanctions_cost"]])
    table = kernel.force_table(S, commit, w.present, mask, gain, loss, bv, st.alignment, st.tension, w.capability, mis, misperception is not None, costs, every)
    return ForceOptions(*table)


def bargaining_value(w: World, st: State, score: np.ndarray, m: int) -> np.ndarray:
    """(n, m) the best challenge score each actor has on each issue (>= 0), and 0 on an issue
    whose red line the actor holds crossed (its talks on it have failed).

    Args:
        score: (m, n, n) challenge scores ``eu x salience x decisiveness x effectiveness`` after
            the deadlock memory (0 where no challenge is possible).
    """
    best = np.maximum(score.max(axis=2), 0.0).T  # (n, m)
    for r, (owner, issue, *_rest) in enumerate(w.red_lines):
        if not st.red_line_armed[r]:
            best[owner, issue] = 0.0
    return best


def use_force(w: World, st: State, turn: Turn, deciders: np.ndarray, dyn: dict[str, float], i: int, j: int, t: int, terms: dict[str, float]) -> bool:
    """Carry out i's use of force against j in theatre t.

    ``terms`` holds ``eu_force``, ``eu_bargain``, ``p`` (the attacker's estimate of its chance)
    and ``p_true`` (the true chance). The target resists unless its true chance ``1 - p_true``
    is below ``force.resist``: an armed clash
    (the run ends, cause ``deliberate``; tension between them goes to 1 and rises by
    ``tension_crisis`` with the target's allies and aligned states). Otherwise it yields: its
    positions on the issues at stake move toward i's by at most ``talks.max_step``.

    Returns:
        Whether anything happened (always true).
    """
    p = terms.get("p_true", terms["p"])
    rec = {"type": "force", "actors": [w.actor_ids[i], w.actor_ids[j]], "theatre": w.theatre_ids[t], "eu_force": round(terms["eu_force"], 4), "eu_bargain": round(terms["eu_bargain"], 4), "p_win": round(p, 4), "p_estimated": round(terms["p"], 4)}
    st.totals["force"] = st.totals.get("force", 0) + 1
    if 1.0 - p >= dyn["force.resist"]:
        rec.update(outcome="armed_clash", armed_clash=True, cause="deliberate")
        turn.add_tension(i, j, 1.0)
        friends = np.flatnonzero(st.alignment[:, j] > 0.2)
        for k in friends:
            if k not in (i, j):
                turn.add_tension(i, int(k), dyn["tension_crisis"])
        st.end_state = "armed_clash"
        st.end_cause = "deliberate"
    else:
        wt = stakes(w, deciders)[j] > 0
        max_step = dyn["talks.max_step"]
        step = np.clip(st.position[i] - st.position[j], -max_step, max_step)
        st.position[j] = np.where(wt, st.position[j] + step, st.position[j])
        turn.add_tension(i, j, dyn["tension_crisis"])
        rec.update(outcome="coerced")
    turn.log(rec)
    return True

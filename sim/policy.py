"""The AI policy: score every legal action by its one-turn expected utility gain.

Described in docs/model.md 7.3.

Scoring is vectorised per action kind over all actors at once; :func:`draw` then samples each
actor's actions from a softmax at ``ai.temperature`` without replacement (the Gumbel-top-k
construction: adding independent Gumbel noise to ``score / temperature`` and keeping the k
largest is an exact draw without replacement from the softmax; Kool, van Hoof and Welling 2019,
"Stochastic Beams and Where to Find Them", ICML). A drawn ``pass`` ends an actor's draw.

The utility terms are ours, stated in each scorer, and each cites the interview claim (F1-F14 of
docs/sources.md) that it encodes. All scores are in utility units comparable with ``pass`` = 0.

The turn calls :func:`candidates`, which runs the scorers below, or, with the kernel's compiled
backend, the same formulas compiled in one call (:mod:`sim.phases.policy_compiled`; these
scorers are its test oracle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import kernel
from sim.actions import KIND_CODE
from sim.phases import force

REOPEN_COST = {1: 0.03, 2: 0.12}
"""Cost of reopening a suspended (1) or closed (2) channel, utility units; judgement (ours)."""
REOPEN_STAFF = 0.2
"""Share of baseline staff a closed channel reopens with; judgement (ours)."""
REBUFF_COST = 0.1
"""Cost to a candidate of an application that its bloc turns down; judgement (ours)."""
PATROL_CAUTION = 0.3
"""Cost of a joint patrol per unit of missing appetite for the theatre (F10); ours."""
EXPEL_SHARE = 0.25
"""Most of a mission's current staff one expulsion sends home; judgement (ours)."""
EXPEL_COST = 0.06
"""Political cost of an expulsion (a hostile public act), utility units; ours."""
CLOSE_COST = 0.05
"""Political cost of closing a channel (a public break), utility units; ours."""
PATROL_WEIGHT = 0.3
"""Share of the pressure two states share that a joint patrol answers; ours."""
SUSPEND_COST = 0.02
"""Political cost of suspending a channel, utility units; ours."""
RECIPROCITY_MIN = 0.01
"""Least goodwill (share of baseline staff let in by the other side, decaying) that counts as
reciprocity for restoring its staff (interview L35: staff on both sides); ours."""


@dataclass
class Candidates:
    """Flat arrays of every scored candidate action this turn (one row per candidate).

    Attributes:
        actor: (N,) acting actor index.
        kind: (N,) action kind code (:data:`sim.actions.KIND_CODE`).
        a1, a2: (N,) integer parameters whose meaning depends on the kind (channel, theatre,
            target, issue, bloc index).
        value: (N,) float parameter (posture level, staff persons).
        score: (N,) one-turn expected utility gain; ``pass`` scores 0.
        terms: (N, 3) the score's named terms (see :data:`TERM_NAMES`), for the log.
    """

    actor: np.ndarray
    kind: np.ndarray
    a1: np.ndarray
    a2: np.ndarray
    value: np.ndarray
    score: np.ndarray
    terms: np.ndarray


TERM_NAMES = {
    "open_channel": ("channel value", "channel cost", "reopening cost"),
    "suspend_channel": ("channel cost", "channel value", "reversibility"),
    "close_channel": ("channel cost", "channel value", "tension"),
    "expel": ("grievance (reciprocity)", "tension", "channel value lost"),
    "restore_staff": ("channel value gained", "goodwill less grievance (reciprocity)", "tension"),
    "set_posture": ("deterrence of threat exposure", "posture cost", "appetite"),
    "joint_patrol": ("shared pressure", "caution and cost", "partner's gain"),
    "apply_membership": ("stake", "rebuff cost", "bloc position"),
    "use_force": ("expected utility of force", "expected utility of bargaining", "chance of prevailing"),
    "pass": ("", "", ""),
}


def _block(actor, kind, a1, a2, value, score, terms) -> Candidates:
    n = len(actor)
    return Candidates(
        np.asarray(actor, int),
        np.full(n, KIND_CODE[kind], int),
        np.asarray(a1, int),
        np.asarray(a2, int),
        np.asarray(value, float),
        np.asarray(score, float),
        np.asarray(terms, float).reshape(n, 3),
    )


def concat(blocks: list[Candidates]) -> Candidates:
    """Join candidate blocks into one."""
    return Candidates(
        *(np.concatenate([getattr(b, f) for b in blocks]) for f in ("actor", "kind", "a1", "a2", "value", "score")),
        np.concatenate([b.terms for b in blocks]),
    )


def channel_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Open, suspend and close actions on channels where the actor acts for an endpoint.

    Value and cost of channel k to actor a: :func:`sim.phases.perceive.channel_values` (F1-F3,
    F5, F14). Closing gains cost - value; suspending 0.8 of that; each less its political cost
    (``CLOSE_COST``, ``SUSPEND_COST``); reopening gains value - cost - ``REOPEN_COST``. Summit
    channels open and close by events only. With ``dynamics.channels.consent`` only the
    sending side (the first endpoint, or the leader acting for a bloc) scores reopening (the
    host's consent is checked when it is carried out), and the host of a UN mission cannot
    close or suspend it (docs/model.md 7.2).
    """
    mask = ctx.ai_mask if mask is None else mask
    w = ctx.world
    acts, kinds = ctx.channel_actor_pairs  # (P,) actor, (P,) channel
    keep = mask[acts] & ~w.ch_event_only[kinds]  # summits open and close by events only
    if ctx.dyn["channels.consent"] > 0:
        sender = w.ch_sender[kinds] == acts
        host_may_close = (w.ch_host[kinds] == acts) & w.ch_host_may_close[kinds]
        # an open channel: its sender or (except a UN mission) its host may shut it; a shut
        # channel: only its sender proposes to reopen it
        keep &= np.where(ctx.status[kinds] == 0, sender | host_may_close, sender)
    acts, kinds = acts[keep], kinds[keep]
    if len(acts) == 0:
        return []
    value = ctx.channel_value[acts, kinds]
    value_open = ctx.channel_value_if_open[acts, kinds]
    cost = ctx.channel_cost[acts, kinds]
    tension = ctx.channel_tension[acts, kinds]
    status = ctx.status[kinds]
    out = []
    is_open = status == 0
    if is_open.any():
        a, k = acts[is_open], kinds[is_open]
        v, c, t = value[is_open], cost[is_open], tension[is_open]
        out.append(_block(a, "close_channel", k, k * 0, k * 0, c - v - CLOSE_COST, np.column_stack((c, -v, t))))
        out.append(
            _block(a, "suspend_channel", k, k * 0, k * 0, 0.8 * (c - v) - SUSPEND_COST, np.column_stack((0.8 * c, -0.8 * v, 0 * v)))
        )
    shut = ~is_open
    if shut.any():
        a, k = acts[shut], kinds[shut]
        v, c = value_open[shut], cost[shut]
        reopen = np.where(status[shut] == 1, REOPEN_COST[1], REOPEN_COST[2])
        out.append(_block(a, "open_channel", k, k * 0, k * 0, v - c - reopen, np.column_stack((v, -c, -reopen))))
    return out


def staff_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Expel and restore actions of a host state on staffed channels (F14, interview L35).

    Expel (the smaller of ``dynamics.expulsion_staff`` x baseline and ``EXPEL_SHARE`` x the
    staff on post): gains ``reciprocity`` x the host's
    grievance against the sender (tit for tat) plus ``channels.tension_cost`` x excess tension
    x hostility (hostility: the larger of the two threat weights, so that allies do not expel
    each other for spite; excess tension: tension above the pair's normal level, half its
    hostility, to which tension decays: expulsions answer a deterioration, not a rivalry),
    and loses the host's value of the channel in proportion to the effectiveness lost. Restore
    (size ``dynamics.restore_staff`` x baseline, up to the cap set by a staffing issue): gains
    the channel value added and ``reciprocity`` x (goodwill - grievance) toward the sender, and
    loses ``channels.tension_cost`` x excess tension x hostility. With ``dynamics.staffing.reciprocity``
    a host restores only (a) under a deal: on a channel capped by a staffing issue, up to the
    cap (which rises only by a deal, ``talks.deals``); (b) in reciprocity: the sender let the
    host's staff in lately (goodwill above ``RECIPROCITY_MIN``); or (c) as a gesture between
    states whose tension is below ``staffing.gesture_tension`` (interview L35: staff must be
    deployed on both sides).
    """
    mask = ctx.ai_mask if mask is None else mask
    hosts, chans, senders = ctx.host_pairs
    sel = mask[hosts]
    hosts, chans, senders = hosts[sel], chans[sel], senders[sel]
    if len(hosts) == 0:
        return []
    out = []
    d = ctx.dyn
    base = ctx.world.ch_baseline[chans]
    staff = ctx.staff[chans]
    open_ = ctx.status[chans] == 0
    v = ctx.channel_value[hosts, chans]
    e_now = ctx.effectiveness[chans]
    hostility = np.maximum(ctx.world.threat[hosts, senders], ctx.world.threat[senders, hosts])
    # tension above the pair's normal level (the floor it decays to, half its hostility):
    # expulsions answer a deterioration, not a standing rivalry
    tension = np.maximum(ctx.tension[hosts, senders] - 0.5 * hostility, 0.0) * hostility
    # expel
    size = np.floor(np.minimum(EXPEL_SHARE * staff, d["expulsion_staff"] * base))
    ok = open_ & (size > 0)
    if ok.any():
        e_after = ctx.effect_of(chans[ok], staff[ok] - size[ok])
        lost = np.where(e_now[ok] > 0, v[ok] * (1 - e_after / np.maximum(e_now[ok], 1e-12)), 0.0)
        grv = d["reciprocity"] * ctx.grievance[hosts[ok], senders[ok]]
        ten = d["channels.tension_cost"] * tension[ok]
        out.append(
            _block(hosts[ok], "expel", chans[ok], senders[ok], np.round(size[ok]), grv + ten - lost - EXPEL_COST, np.column_stack((grv, ten, -lost)))
        )
    # restore
    cap = ctx.staff_cap[chans]
    size = np.minimum(cap - staff, d["restore_staff"] * base)
    ok = open_ & (size >= 1)
    if d["staffing.reciprocity"] > 0:
        capped = np.zeros(len(ctx.world.channel_ids), bool)
        capped[ctx.world.cap_channels] = True
        capped = capped[chans]  # a deal sets the ceiling (a)
        recip = ctx.goodwill[hosts, senders] > RECIPROCITY_MIN  # (b)
        gesture = ctx.tension[hosts, senders] < d["staffing.gesture_tension"]  # (c)
        ok &= capped | recip | gesture
    if ok.any():
        e_after = ctx.effect_of(chans[ok], staff[ok] + size[ok])
        value_open = ctx.channel_value_if_open[hosts[ok], chans[ok]]
        gain = value_open * (e_after - e_now[ok]) / np.maximum(e_after, 1e-12)
        gw = d["reciprocity"] * (ctx.goodwill[hosts[ok], senders[ok]] - ctx.grievance[hosts[ok], senders[ok]])
        ten = d["channels.tension_cost"] * tension[ok]
        out.append(
            _block(hosts[ok], "restore_staff", chans[ok], senders[ok], np.round(size[ok]), gain + gw - ten, np.column_stack((gain, gw, -ten)))
        )
    return out


def posture_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Raise or lower posture by ``dynamics.posture_step`` in a theatre where the actor is present.

    Gain of a change ``delta``: ``deterrence x exposure x appetite x delta`` (exposure: perceived
    threat from others times their posture there, plus faction threat, F9) minus
    ``posture_cost x ((P + delta)^2 - P^2) / c`` with P the actor's total posture and ``c`` its
    capability share relative to the largest (``sqrt``); a convex cost makes a state spend its
    posture where the threat is greatest (F11, F13: the US in the Pacific). F10's caution enters
    through ``appetite``.
    """
    d = ctx.dyn
    step = d["posture_step"]
    w = ctx.world
    mask = ctx.ai_mask if mask is None else mask
    pa, pt = np.nonzero(w.present & mask[:, None])
    if len(pa) == 0:
        return []
    cur = ctx.posture[pa, pt]
    total = ctx.posture.sum(axis=1)[pa]
    scale = ctx.cost_scale[pa]
    expo = ctx.exposure[pa, pt]
    app = w.appetite[pa, pt]
    out = []
    for sign in (1.0, -1.0):
        new = np.clip(cur + sign * step, 0.0, 1.0)
        delta = new - cur
        ok = np.abs(delta) > 1e-9
        if not ok.any():
            continue
        dlt = delta[ok]
        det = d["deterrence"] * expo[ok] * app[ok] * dlt
        cost = d["posture_cost"] * ((total[ok] + dlt) ** 2 - total[ok] ** 2) / scale[ok]
        out.append(
            _block(pa[ok], "set_posture", pt[ok], pt[ok] * 0, np.round(new[ok], 6), det - cost, np.column_stack((det, -cost, app[ok])))
        )
    return out


def patrol_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Joint patrols with an aligned partner in a theatre where both are present (F10, F11).

    A patrol is a temporary show of force: it raises the pair's alignment by
    ``alignment_patrol`` and, in its turn, the patrolling state's incident rates in the theatre
    (:mod:`sim.phases.military`), but not its standing posture. Its value to each partner: ``PATROL_WEIGHT x
    alignment_pressure x sum over third states k and all theatres of min(perceived threat_a k,
    threat_b k) x posture_k`` (the pressure the two share everywhere: a joint patrol signals
    alignment against the common adversary, to raise the cost of its policy, F11, interview
    L29), times ``1 - recent`` (the signal of a recent patrol together still holds,
    ``patrol.memory``). Its cost to each: ``PATROL_CAUTION x (1 -
    appetite)`` (F10), the posture cost of one step (the forces it sends) and ``patrol.cost``
    (a major joint operation). Partners need alignment above 0.2 and, under the switches of
    ``dynamics.patrol``: military cooperation (a common military bloc, or an open military line
    between them covering the theatre), a shared adversary present there (a third state both
    weigh at ``adversary_threat`` or more), and the partner's consent (its own gain positive).
    """
    d = ctx.dyn
    w = ctx.world
    mask = ctx.ai_mask if mask is None else mask
    aligned = (ctx.alignment > 0.2) & ~np.eye(w.n, dtype=bool) & mask[:, None]
    ia, ib = np.nonzero(aligned)
    if len(ia) == 0:
        return []
    tp = ctx.threat_perc
    shared = np.minimum(tp[ia], tp[ib])  # (P, n)
    pressure = shared @ ctx.posture  # (P, T)
    both = w.present[ia] & w.present[ib] & (pressure > 0)  # partners share an adversary there
    if d["patrol.shared_adversary"] > 0:
        thr = d["patrol.adversary_threat"]
        adv = (w.threat[ia] >= thr) & (w.threat[ib] >= thr)  # (P, n)
        adv[np.arange(len(ia)), ia] = False
        adv[np.arange(len(ia)), ib] = False
        there = (ctx.posture * w.present) > 0  # (n, T)
        both &= (adv.astype(float) @ there.astype(float)) > 0
    if d["patrol.cooperation"] > 0:
        mil_bloc = ctx.members & w.bloc_military[:, None]  # (B, n)
        bloc = (mil_bloc[:, ia] & mil_bloc[:, ib]).any(axis=0)  # (P,)
        lines = (~w.ch_political) & (ctx.status == 0)  # (K,) open military lines
        joined = ctx.ch_pair[:, ia, ib] & lines[:, None]  # (K, P)
        line = (joined.T.astype(float) @ w.ch_theatre.astype(float)) > 0  # (P, T)
        both &= bloc[:, None] | line
    pi, ti = np.nonzero(both)
    if len(pi) == 0:
        return []
    a, b = ia[pi], ib[pi]
    press = PATROL_WEIGHT * d["alignment_pressure"] * pressure[pi].sum(axis=1) * (1.0 - ctx.patrolled[a, b])
    step_cost = d["posture_cost"] * d["posture_step"]
    cost_a = PATROL_CAUTION * (1 - w.appetite[a, ti]) + step_cost / ctx.cost_scale[a] + d["patrol.cost"]
    cost_b = PATROL_CAUTION * (1 - w.appetite[b, ti]) + step_cost / ctx.cost_scale[b] + d["patrol.cost"]
    gain_b = press - cost_b
    ok = gain_b > 0 if d["patrol.consent"] > 0 else np.ones(len(a), bool)
    if not ok.any():
        return []
    a, b, ti, press, cost_a, gain_b = a[ok], b[ok], ti[ok], press[ok], cost_a[ok], gain_b[ok]
    return [_block(a, "joint_patrol", ti, b, 0 * a, press - cost_a, np.column_stack((press, -cost_a, gain_b)))]


def membership_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Applications for membership by a bloc's candidates (F7).

    Gain: ``salience x (position - state)`` on the accession issue, halved, minus
    ``REBUFF_COST`` times one plus the number of past rebuffs.
    """
    rows = membership_rows(ctx, mask)
    if not rows:
        return []
    r = np.array(rows)
    return [_block(r[:, 0], "apply_membership", r[:, 1], r[:, 2], 0 * r[:, 0], r[:, 3], np.column_stack((r[:, 4], r[:, 5], 0 * r[:, 0])))]


def membership_rows(ctx, mask: np.ndarray | None = None, state=None) -> list[tuple[int, int, int, float, float, float]]:
    """The applications of :func:`membership_candidates` as rows ``(candidate, bloc, issue,
    score, stake, -rebuff cost)``, in the order of ``World.accession``.

    ``state``: the object that holds ``salience``, ``position``, ``issue_state``, ``rebuffs``
    and ``motion_pending`` for the view (its :class:`sim.state.State`; default: the view itself).
    """
    w = ctx.world
    rows = []
    if not w.accession:
        return rows
    mask = ctx.ai_mask if mask is None else mask
    # the state's arrays read once (their elements as Python floats: the same doubles, the same
    # arithmetic, without a numpy scalar per operation)
    src = ctx if state is None else state
    members, salience, position, issue_state, rebuffs, pending = w.members, src.salience, src.position, src.issue_state, src.rebuffs, src.motion_pending
    for issue, (bloc, cand) in w.accession.items():
        if not mask[cand] or members[bloc, cand] or pending(bloc, cand):
            continue
        stake = salience.item(cand, issue) * max(0.0, position.item(cand, issue) - issue_state.item(issue)) * 0.5
        reb = REBUFF_COST * (1 + rebuffs.get((bloc, cand), 0))
        rows.append((cand, bloc, issue, stake - reb, stake, -reb))
    return rows


def force_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """Deliberate uses of force where their expected utility exceeds that of bargaining.

    :func:`sim.phases.force.options`: the score is ``EU_force - EU_bargain`` (positive only:
    a war is never started by the softmax's exploration). Needs the turn's challenges
    (``ctx.challenges``); off with ``dynamics.force.enabled: false``.
    """
    ch = getattr(ctx, "challenges", None)
    if ctx.dyn["force.enabled"] <= 0 or ch is None:
        return []
    mask = ctx.ai_mask if mask is None else mask
    w = ctx.world
    bv = force.bargaining_value(w, ctx.st, ch.score, w.m)
    opt = force.options(w, ctx.st, ctx.sx.deciders, ch.forecast, ctx.salience_eff, bv, ctx.dyn, mask, misperception=ch.misperception)
    if len(opt.actor) == 0:
        return []
    return [_block(opt.actor, "use_force", opt.theatre, opt.target, opt.p, opt.eu_force - opt.eu_bargain, np.column_stack((opt.eu_force, -opt.eu_bargain, opt.p)))]


def pass_candidates(ctx, mask: np.ndarray | None = None) -> list[Candidates]:
    """``pass`` for every AI actor, score 0: the reference every other action is measured from."""
    mask = ctx.ai_mask if mask is None else mask
    a = np.flatnonzero(mask)
    return [_block(a, "pass", a * 0, a * 0, a * 0, a * 0.0, np.zeros((len(a), 3)))]


# Every scorer takes a view of the turn (:class:`sim.phases.decide.PolicyView`: the world, the
# state, the perception, the structure, ``dyn`` and ``ai_mask``) and an optional (n,) bool mask
# of the actors to score (default: the AI actors); ``legal_actions`` scores one human actor with
# the same code.
SCORERS = (pass_candidates, channel_candidates, staff_candidates, posture_candidates, patrol_candidates, membership_candidates, force_candidates)
"""The registry of scorers: a new AI action kind is one more entry here."""


COMPILED = force.COMPILED
"""The compiled module of the policy, that of force's options too: one failure turns both to
numpy (:func:`sim.kernel.phase_failed`)."""


_COMPILED_MODULE: list = []
""":mod:`sim.phases.policy_compiled` once imported (an import statement in a call costs about 1 us)."""


def _policy_compiled():
    """:mod:`sim.phases.policy_compiled`, imported at its first use (numba loads then)."""
    if not _COMPILED_MODULE:
        from sim.phases import policy_compiled

        _COMPILED_MODULE.append(policy_compiled)
    return _COMPILED_MODULE[0]


def compiled() -> bool:
    """Whether the policy's compiled cores are in use: the kernel's backend is ``"compiled"``,
    the compiled code has not failed, and :data:`SCORERS` holds exactly the scorers that
    :func:`sim.phases.policy_compiled.score_core` computes
    (:data:`sim.phases.policy_compiled.SCORED`), in that order: a scorer added to the registry
    and not to the compiled core turns the compiled core off rather than being left out."""
    if not kernel.phase_compiled(COMPILED):
        return False
    checked = _scorers_checked
    if checked is not None and checked[0] is SCORERS:  # the registry is a tuple: checked once
        return checked[1]
    from sim.phases import policy_compiled

    same = SCORERS == tuple(globals()[name] for name in policy_compiled.SCORED)
    globals()["_scorers_checked"] = (SCORERS, same)
    return same


_scorers_checked: tuple[tuple, bool] | None = None
"""``(SCORERS, whether it holds the compiled core's scorers)`` as :func:`compiled` last found it."""


def compiled_failed(error: OSError) -> None:
    """Give up the compiled cores for the rest of the process after a disk-cache failure."""
    kernel.phase_failed(COMPILED, "compiled policy failed on its disk cache ({error}); using the numpy scorers", error, stacklevel=3)


def candidates(ctx, mask: np.ndarray | None = None) -> Candidates:
    """Every scorer's candidates (:data:`SCORERS`, in order), joined.

    With the kernel's compiled backend (:func:`sim.kernel.backend`) they come from one compiled
    call (:func:`sim.phases.policy_compiled.candidates`): the same rows, in the same order, with
    the same numbers (tests/test_policy_compiled.py). If the compiled code fails on its disk
    cache, the numpy scorers are used from then on, with a warning.

    Args:
        ctx: a view of the turn (:class:`sim.phases.decide.PolicyView`).
        mask: (n,) bool actors to score (default: ``ctx.ai_mask``).
    """
    if compiled():
        try:
            return _policy_compiled().candidates(ctx, mask)
        except OSError as error:
            compiled_failed(error)
    return concat([b for fn in SCORERS for b in fn(ctx, mask)])


def draw(cand: Candidates, k: int, temperature: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Draw up to ``k`` actions per actor from a softmax at ``temperature``, without replacement.

    Args:
        cand: all candidates (each AI actor has at least a ``pass``).
        k: actions per actor (``ai.actions_per_turn``).
        temperature: > 0, utility units.
        rng: the model's generator (one Gumbel draw per candidate, in candidate order).

    Returns:
        For each actor index present in ``cand``, the row indices of its drawn actions in draw
        order, as a list indexed by actor (empty arrays for actors with no candidates). A drawn
        ``pass`` ends the list.
    """
    return draw_from(cand, k, temperature, rng.gumbel(size=len(cand.score)))


def draw_from(cand: Candidates, k: int, temperature: float, g: np.ndarray) -> list[np.ndarray]:
    """:func:`draw` with its Gumbel noise given: ``g`` (N,), one standard Gumbel draw per row."""
    key = cand.score / temperature + g
    order = np.lexsort((-key, cand.actor))
    acts = cand.actor[order]
    if len(acts) == 0:
        return []
    n_act = int(acts.max()) + 1
    starts = np.searchsorted(acts, np.arange(n_act))
    rank = np.arange(len(order)) - starts[acts]  # place in the actor's draw order
    is_pass = cand.kind[order] == KIND_CODE["pass"]
    first_pass = np.full(n_act, len(order) + 1)
    np.minimum.at(first_pass, acts[is_pass], rank[is_pass])
    keep = (rank < k) & (rank < first_pass[acts])  # a drawn pass ends the actor's list
    counts = np.bincount(acts[keep], minlength=n_act)
    kept = order[keep]
    ends = np.cumsum(counts).tolist()
    return [kept[a:b] for a, b in zip([0] + ends[:-1], ends)]

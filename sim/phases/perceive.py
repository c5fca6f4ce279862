"""Phase 1, perceive: threat, exposure, effective salience and the value of channels (F1-F5, F9, F11, F14).

Plain functions over a :class:`~sim.world.World`, a :class:`~sim.state.State` and the
membership-derived :class:`Structure`; they draw no random numbers. With the kernel's compiled
backend the elementwise work runs in compiled code (:mod:`sim.phases.perceive_compiled`),
with the same numbers as the numpy forms here (tests/test_perceive_fast.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import kernel, policy
from sim.channels import HALF_STAFF, OPEN, effectiveness
from sim.state import State, derived
from sim.world import CAUCUS_EFFECTIVENESS, NON_DECIDER_WEIGHT, World

DECONFLICTION_VALUE = 0.5
"""Utility per unit of threat exposure that a fully effective deconfliction line protects; ours."""


@dataclass
class Structure:
    """What follows from bloc membership (recomputed after an accession).

    Attributes:
        caucus: (m, n, n) effectiveness of talks between members of the bloc deciding an issue
            (``CAUCUS_EFFECTIVENESS``), 0 elsewhere.
        deciders: (m, n) bool: who decides each issue now.
        ch_pair: (K, n, n) bool: channel k joins actors i and j.
        ch_side: (K, n) bool: the actor is, or is a member of, an endpoint.
        ch_actor: (K, n) bool: the actor may act on the channel (an actor endpoint, or the leader
            of a bloc endpoint).
        pairs: ``(k, i, j)`` index arrays of every pair a channel joins.
        pair_cnt: (K, n) number of counterparts of each actor on each channel.
        route_pairs: the pairs of political channels a proposal may travel.
        usable: (n, K) 1, or ``1 - leader_weight`` for a channel to a bloc that the actor
            believes follows its leader (F5: a discount of the channel's political value and of
            its worth as a route, not an erasure).
        channel_actor_pairs: ``(actors, channels)`` index arrays of ``ch_actor``.
        host_pairs: ``(hosts, channels, senders)`` of staffed channels between two states.
        carries: (K, m) float 1.0 where channel k carries issue q (``World.ch_issue``).
        decisive: (m, n, n) perceived decisiveness of each target (:func:`decisiveness`), which
            changes only with membership.
        fixed: what :func:`perceive` and :func:`channel_values` derive from the world and this
            structure alone (filled on first use).
    """

    caucus: np.ndarray
    deciders: np.ndarray
    ch_pair: np.ndarray
    ch_side: np.ndarray
    ch_actor: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    pair_cnt: np.ndarray
    route_pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    usable: np.ndarray
    channel_actor_pairs: tuple[np.ndarray, np.ndarray]
    host_pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    carries: np.ndarray
    decisive: np.ndarray
    fixed: dict = field(default_factory=dict)


def structure(w: World, members: np.ndarray) -> Structure:
    """The :class:`Structure` of a world with the given bloc membership ((B, n) bool)."""
    mem = members
    # a caucus: members of the bloc that decides an issue talk about it among themselves
    caucus = np.zeros((w.m, w.n, w.n))
    for k in range(w.m):
        b = w.issue_bloc[k]
        if b >= 0:
            caucus[k] = np.outer(mem[b], mem[b]) * CAUCUS_EFFECTIVENESS
            np.fill_diagonal(caucus[k], 0.0)
    deciders = w.deciders.copy()
    for k in range(w.m):
        if w.issue_bloc[k] >= 0:
            deciders[k] = mem[w.issue_bloc[k]]
    pair = w.ch_pair.copy()
    side = w.ch_side.copy()
    for k in range(len(w.channel_ids)):
        b = w.ch_bloc_end[k]
        if b < 0:
            continue
        side[k] = w.ch_actor_end[k] | mem[b]
        a_end = np.flatnonzero(w.ch_actor_end[k])
        pair[k] = False
        for i in a_end:
            pair[k, i, mem[b]] = True
            pair[k, mem[b], i] = True
        np.fill_diagonal(pair[k], False)
    # who may act on a channel: its actor endpoints; for a bloc endpoint, the bloc's leader
    act = w.ch_actor_end.copy()
    for k in range(len(w.channel_ids)):
        b = w.ch_bloc_end[k]
        if b >= 0 and w.bloc_leader[b] >= 0:
            act[k, w.bloc_leader[b]] = True
    K, n = len(w.channel_ids), w.n
    apk, api, apj = np.nonzero(pair)
    keep = w.ch_political[apk].copy()  # routes for proposals: political channels only
    usable = np.ones((n, K))
    for i, beliefs in w.leader_belief.items():
        for b in beliefs:
            usable[i, w.ch_bloc_end == b] = 1.0 - w.leader_weight[i]  # F5: talk to the leader instead
    return Structure(
        caucus=caucus,
        deciders=deciders,
        ch_pair=pair,
        ch_side=side,
        ch_actor=act,
        pairs=(apk, api, apj),
        pair_cnt=pair.sum(axis=2),
        route_pairs=(apk[keep], api[keep], apj[keep]),
        usable=usable,
        channel_actor_pairs=np.nonzero(act.T),
        host_pairs=(w.host_actors, w.host_channels, w.host_senders),
        carries=w.ch_issue.astype(float),
        decisive=decisiveness(w, deciders),
    )


def channel_effectiveness(w: World, staff: np.ndarray, status: np.ndarray, summits: tuple[int, ...]) -> np.ndarray:
    """(K,) effectiveness now: the staff curve of open channels; summit channels 1 in a summit turn, else 0."""
    if compiled():
        try:
            return _effectiveness_compiled(w, staff, status, summits)
        except OSError as error:
            compiled_failed(error)
    e = effectiveness(staff, w.ch_baseline, status)
    if not summits:  # no summit this turn: every event-only channel at 0
        e[w.ch_event_only] = 0.0
        return e
    event_on = np.zeros(len(e), bool)
    for k in summits:
        event_on[k] = True
    return np.where(w.ch_event_only, np.where(event_on & (status == OPEN), 1.0, 0.0), e)


@dataclass
class Perception:
    """What the actors perceive at the start of a turn.

    Attributes:
        threat_perc: (n, n) perceived threat ``min(threat x (0.5 + tension), 1)``.
        exposure: (n, T) threat exposure per theatre (others' posture weighted by perceived
            threat where present, plus faction threat, F9).
        salience_eff: (n, m) salience after the Pacific-Europe linkage (F11).
        cost_scale: (n,) ``sqrt`` of capability relative to the largest (posture cost divisor).
        effectiveness: (K,) channel effectiveness now.
        channel_value, channel_value_if_open: (n, K) value of each channel to each actor,
            now and if it were open (F1-F3, F5).
        channel_cost: (n, K) its cost (upkeep, lost own staff, tension).
        channel_tension: (n, K) mean tension with the channel's counterparts.
        staff_cap: (K,) most staff allowed on each channel (staffing issues, F14).
    """

    threat_perc: np.ndarray
    exposure: np.ndarray
    salience_eff: np.ndarray
    cost_scale: np.ndarray
    effectiveness: np.ndarray
    channel_value: np.ndarray
    channel_value_if_open: np.ndarray
    channel_cost: np.ndarray
    channel_tension: np.ndarray
    staff_cap: np.ndarray


def perceive(w: World, st: State, sx: Structure, dyn: dict[str, float], summits: tuple[int, ...] = ()) -> Perception:
    """Perceived threat, exposure per theatre, effective salience (F9, F11) and channel values.

    Threat: ``min(threat x (0.5 + tension), 1)``; exposure of i in theatre t: the sum over j
    of perceived threat x j's posture there, where i is present, plus the faction's threat
    weight x posture in its theatres (F9, interview L23). Effective salience of a European
    issue: ``salience x (1 - linkage x share of the actor's posture in the Pacific)`` (F11,
    interview L29). Channel values: see :func:`channel_values`.
    """
    tp = None
    if compiled():
        try:
            tp = np.empty(st.tension.shape)
            _cores().threat_core(w.threat, st.tension, tp)
        except OSError as error:
            compiled_failed(error)
            tp = None
    if tp is None:
        tp = np.minimum(w.threat * (0.5 + st.tension), 1.0)
    cost_scale = sx.fixed.get("cost_scale")
    if cost_scale is None:  # fixed by the world: computed once
        capmax = w.capability.max() if w.capability.max() > 0 else 1.0
        cost_scale = sx.fixed["cost_scale"] = np.sqrt(np.maximum(w.capability / capmax, 1e-3))
        cost_scale.flags.writeable = False
    e = channel_effectiveness(w, st.staff, st.status, summits)
    if compiled():
        try:
            got = _perceive_compiled(w, st, sx, dyn, e, tp)
        except OSError as error:
            compiled_failed(error)
        else:
            if got is not None:
                expo, salience_eff, value, value_open, cost, other_t, cap = got
                return Perception(tp, expo, salience_eff, cost_scale, e, value, value_open, cost, other_t, cap)
    posture = st.posture
    fw = _world_floats(w)
    expo = (tp @ posture) * fw["present"]
    expo += np.einsum("ijt,jt->it", w.faction_threat, posture)
    tot = posture.sum(axis=1)
    pac = np.where(tot > 0, (posture * w.pacific).sum(axis=1) / np.maximum(tot, 1e-12), 0.0)
    salience_eff = st.salience * (1.0 - dyn["linkage"] * pac[:, None] * fw["europe_issue"])
    value, value_open, cost, other_t, cap = channel_values(w, st, sx, dyn, e, expo, salience_eff)
    return Perception(tp, expo, salience_eff, cost_scale, e, value, value_open, cost, other_t, cap)


_compiled_module = None

COMPILED = "sim.phases.perceive_compiled"
"""The compiled module of perception (its failures are counted by :func:`sim.kernel.phase_failed`)."""


def _cores():
    """:mod:`sim.phases.perceive_compiled`, imported at its first use (numba loads then)."""
    global _compiled_module
    if _compiled_module is None:
        from sim.phases import perceive_compiled

        _compiled_module = perceive_compiled
    return _compiled_module


def compiled() -> bool:
    """Whether perception uses its compiled cores (:mod:`sim.phases.perceive_compiled`): the
    kernel's backend is ``"compiled"`` and the compiled code has not failed on its disk cache
    (:func:`sim.kernel.phase_compiled`). The numpy forms (:func:`channel_values` and the body
    of :func:`perceive`) give the same numbers (tests/test_perceive_fast.py)."""
    return kernel.phase_compiled(COMPILED)


def compiled_failed(error: OSError) -> None:
    """Give up the compiled cores for the rest of the process after a disk-cache failure."""
    kernel.phase_failed(COMPILED, "compiled perception failed on its disk cache ({error}); using numpy", error, stacklevel=3)


def _effectiveness_compiled(w: World, staff: np.ndarray, status: np.ndarray, summits: tuple[int, ...]) -> np.ndarray:
    """:func:`channel_effectiveness` in one compiled call."""
    K = len(w.ch_baseline)
    fw = _world_floats(w)
    if summits:
        event_on = np.zeros(K, bool)
        event_on[list(summits)] = True
    else:
        event_on = fw["no_event"]
    out = np.empty(K)
    _cores().effectiveness_core(staff, w.ch_baseline, status, w.ch_event_only, event_on, bool(summits), HALF_STAFF, out)
    return out


def _perceive_compiled(w: World, st: State, sx: Structure, dyn: dict[str, float], e: np.ndarray, tp: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Exposure, effective salience and :func:`channel_values` in two compiled calls
    (:func:`sim.phases.perceive_compiled.exposure_core` and
    :func:`~sim.phases.perceive_compiled.values_core`); the matrix products and what
    :func:`_by_channels` keeps come from numpy, as in the numpy form. None for a world whose
    factions' threat the compiled form does not sum as numpy does (:func:`faction_terms`)."""
    pc = _cores()
    venues = dyn["channels.venue"] > 0
    args = sx.fixed.get(("compiled", venues))
    if args is None:
        args = sx.fixed[("compiled", venues)] = _compiled_fixed(w, sx, venues)
    fx = _values_fixed(w, sx)
    uncovered = _uncovered(w, sx, fx, e)  # the rest of _by_channels: in values_core
    expo_fixed, (carries_t, served_t, theatre_t), packed = args
    if expo_fixed is None:  # the factions' sums are numpy's einsum's only in numpy
        return None
    posture, n, K = st.posture, w.n, len(e)
    exposure = np.empty(posture.shape)
    uncovered_exposure = np.empty(posture.shape)
    salience_eff = np.empty(st.salience.shape)
    terms, weight, present, pacific, europe = expo_fixed
    pc.exposure_core(tp @ posture, terms, weight, present, posture, pacific, europe, st.salience, dyn["linkage"], uncovered, exposure, salience_eff, uncovered_exposure)
    stake = salience_eff @ carries_t  # (n, K)
    stake_venue = stake if served_t is None else salience_eff @ served_t
    values = np.empty((4, n, K))
    cap = np.empty(K)
    key = (dyn["channel_value"], dyn["channel_upkeep"], dyn["channels.insult"], dyn["channels.tension_cost"])
    params = _VALUES_PARAMS.get(key)
    if params is None:  # the same array while the dynamics stay the same (read only)
        params = np.array([*key, HALF_STAFF])
        params.flags.writeable = False
        if len(_VALUES_PARAMS) > 64:
            _VALUES_PARAMS.clear()
        _VALUES_PARAMS[key] = params
    staff, status = st.staff, st.status
    if not (staff.flags.c_contiguous and status.flags.c_contiguous and staff.dtype == np.float64 and status.dtype == np.int8):
        staff, status = np.ascontiguousarray(staff, dtype=np.float64), np.ascontiguousarray(status, dtype=np.int8)
    pc.values_core(
        stake, stake_venue, exposure @ theatre_t, uncovered_exposure @ theatre_t, *packed, e, staff, status,
        st.tension, st.issue_state, params, values, cap,
    )  # fmt: skip
    return exposure, salience_eff, values[0], values[1], values[2], values[3], cap


_VALUES_PARAMS: dict[tuple[float, ...], np.ndarray] = {}
"""values_core's parameters by the dynamics' values (:func:`_perceive_compiled`)."""


def _products_fixed(w: World, sx: Structure, venues: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The right operands of perception's matrix products, shared by the numpy and the compiled
    form: ``w.ch_issue.T`` (m, K), the venues' served issues transposed (``None`` without
    venues) and ``w.ch_theatre.T`` (T, K), as float 1.0 / 0.0, laid out as numpy's cast of the
    boolean matrices. Kept in ``sx.fixed`` (they change only with the structure)."""
    key = ("products", venues)
    got = sx.fixed.get(key)
    if got is None:
        _venue, served, _pref, _usable = _channel_fixed(w, sx, venues)
        f = lambda a: np.ascontiguousarray(a, dtype=float)  # noqa: E731
        got = (f(w.ch_issue).T, None if served is None else f(served).T, f(w.ch_theatre).T)
        for a in got:
            if a is not None:
                a.flags.writeable = False
        sx.fixed[key] = got
    return got


def faction_terms(faction_threat: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The nonzero factions' threat weights as :func:`sim.phases.perceive_compiled.exposure_core`
    sums them, or None where that sum would not be numpy's.

    numpy's ``einsum("ijt,jt->it")`` adds the products in the order of j, without fused
    multiply-adds, when there are two theatres or more; with one theatre it sums along j in
    another order. The compiled sum (in the order of j) is therefore numpy's with two theatres or
    more, or where no (i, t) has more than one nonzero weight (one product, whatever the order).

    Args:
        faction_threat: (n, n, T) :attr:`sim.world.World.faction_threat`.

    Returns:
        ``(terms (Q, 3) int64 (i, j, t) in the order of numpy.argwhere, weights (Q,))``, or None.
    """
    nonzero = faction_threat != 0
    if faction_threat.shape[2] < 2 and nonzero.sum(axis=1).max(initial=0) > 1:
        return None
    terms = np.ascontiguousarray(np.argwhere(nonzero), dtype=np.int64)
    return terms, np.ascontiguousarray(faction_threat[tuple(terms.T)], dtype=float)


def _compiled_fixed(w: World, sx: Structure, venues: bool) -> tuple:
    """The arguments of :func:`sim.phases.perceive_compiled.exposure_core` and
    :func:`~sim.phases.perceive_compiled.values_core` fixed by the world and the structure,
    C-contiguous, the boolean masks that are multiplied as floats 1.0 / 0.0: ``(exposure's,
    products', values')``. The products' right operands are the transposed 0/1 matrices as
    floats, laid out as numpy's cast of the boolean ones (the same matrix product, without a
    cast a turn): ``w.ch_issue.T``, the venues' served issues (``None`` without venues) and
    ``w.ch_theatre.T``. The values' are packed in five arrays, fewer arguments to the compiled
    call: ``(per_actor (4, n, K), per_channel (7, K), pair_index (3, P), pair_count (K, n),
    cap_index (2, C))``, rows as the ``NK_*``, ``K_*`` and ``P_*`` constants of
    :mod:`sim.phases.perceive_compiled` say."""
    pc = _cores()
    fx = _values_fixed(w, sx)
    venue, _served, pref, usable = _channel_fixed(w, sx, venues)
    C = np.ascontiguousarray
    f = lambda a: C(a, dtype=float)  # noqa: E731
    faction = faction_terms(w.faction_threat)
    expo_fixed = None if faction is None else (*faction, f(w.present), f(w.pacific), f(w.europe_issue))
    products = _products_fixed(w, sx, venues)
    n, K = w.n, len(w.channel_ids)
    per_actor = np.empty((4, n, K))
    per_actor[pc.NK_PREF], per_actor[pc.NK_USABLE], per_actor[pc.NK_SIDE] = pref, usable, fx["side_t"]
    per_actor[pc.NK_SENDER] = 0.0
    per_actor[pc.NK_SENDER, w.sender_actors, w.sender_channels] = 1.0
    per_channel = np.empty((7, K))
    per_channel[pc.K_VENUE] = venue
    per_channel[pc.K_POLITICAL] = fx["political"][0]
    per_channel[pc.K_MILITARY] = fx["military"]
    per_channel[pc.K_DEC_W] = fx["dec_w"][0]
    per_channel[pc.K_BASELINE] = w.ch_baseline
    per_channel[pc.K_REOPEN] = fx["reopen_staff"]
    per_channel[pc.K_EVENT_ONLY] = w.ch_event_only
    _, api, apj = sx.pairs
    pair_index = np.empty((3, len(api)), dtype=np.int64)
    pair_index[pc.P_BIN], pair_index[pc.P_I], pair_index[pc.P_J] = fx["pair_bin"], api, apj
    cap_index = C(np.stack([w.cap_issues, w.cap_channels]), dtype=np.int64)
    packed = (per_actor, per_channel, pair_index, C(sx.pair_cnt, dtype=np.int64), cap_index)
    for a in packed:
        a.flags.writeable = False
    return expo_fixed, products, packed


def channel_values(
    w: World, st: State, sx: Structure, dyn: dict[str, float], e: np.ndarray, exposure: np.ndarray, salience_eff: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Value and cost of every channel to every actor on it (F1-F3, F5, F14).

    Value of channel k to actor a: ``channel_value x pref x usable x stake x e_k`` (political
    channels; ``stake`` the sum of a's effective salience over the issues k carries, ``pref``
    a's bilateral preference for bilateral kinds and one minus it otherwise, F3; ``usable``
    ``1 - leader_weight`` for a bloc a believes follows its leader, F5; for a channel with a
    ``venue``, ``stake`` also counts the issues the venue decides, and ``pref`` and ``usable``
    are 1) plus deconfliction: exposure in k's theatres x
    the kind's deconfliction weight x ``DECONFLICTION_VALUE`` x e_k (for a political channel,
    only the exposure that open military lines leave uncovered, F2, interview L9). Cost:
    ``channel_upkeep`` plus, for political channels, ``channels.insult`` x the share of own
    staff lost (F1, F14) and ``channels.tension_cost`` x mean tension with the counterparts
    (none for a venue's channel).

    Returns:
        ``(value, value_if_open, cost, tension, staff_cap)``: (n, K) x 4 and (K,).
    """
    n, K = w.n, len(w.channel_ids)
    fx = _values_fixed(w, sx)
    _, e_open, uncovered, own_loss = _by_channels(w, st, sx, fx, e)
    venues = dyn["channels.venue"] > 0
    # the 0/1 matrices as float copies, the very operands of the compiled form: numpy's product
    # with a boolean matrix can differ from its product with the float copy in the last bit
    # (e.g. one actor: another BLAS routine), so both forms multiply by the same copies
    carries_t, served_t, theatre_t = _products_fixed(w, sx, venues)
    stake = salience_eff @ carries_t  # (n, K)
    venue, served, pref, usable = _channel_fixed(w, sx, venues)
    if served is not None:
        stake = np.where(venue[None, :], salience_eff @ served_t, stake)
    pol = dyn["channel_value"] * pref * stake * usable * fx["political"]
    # deconfliction: exposure in the channel's theatres, weighted by the kind's role (F2)
    dec_need = exposure @ theatre_t  # (n, K)
    # Military lines are valued for the deconfliction they give on their own; a political
    # channel only for what the military lines do not already cover in its theatres (F2,
    # interview L9: military channels remain to maintain deconfliction).
    mil = fx["military"]
    need_left = (exposure * uncovered) @ theatre_t  # (n, K)
    dec_need = np.where(mil[None, :], dec_need, need_left)
    worth = pol + dec_need * fx["dec_w"]
    value = worth * e[None, :] * fx["side_t"]
    value_open = worth * e_open[None, :] * fx["side_t"]
    # cost: upkeep, lost own staff (insult, own_loss above), tension with the other side
    apk, api, apj = sx.pairs
    tsum = np.bincount(fx["pair_bin"], weights=st.tension[api, apj], minlength=K * n).reshape(K, n)
    other_t = np.where(fx["has_pair"], tsum / fx["pair_den"], 0.0).T
    # military lines carry no political cost: they survive political breaks (F2); a venue's
    # channel carries no cost of tension with its host
    political = fx["political"]
    host_t = np.where(venue[None, :], 0.0, other_t)
    cost = dyn["channel_upkeep"] + political * (dyn["channels.insult"] * own_loss + dyn["channels.tension_cost"] * host_t)
    cap = w.ch_baseline.copy()
    ci, ck = w.cap_issues, w.cap_channels
    if len(ck):
        np.minimum.at(cap, ck, st.issue_state[ci] * w.ch_baseline[ck])
    return value, value_open, cost, other_t, cap


def _by_channels(w: World, st: State, sx: Structure, fx: dict[str, np.ndarray], e: np.ndarray) -> tuple:
    """``(key, e_open, uncovered, own_loss)`` of :func:`channel_values`: what depends on the
    channels alone (status, staff, effectiveness), kept in ``sx.fixed`` while they stay the
    same, byte for byte (most turns change none of them). ``e_open`` (K,) effectiveness if
    open, ``uncovered`` (n, T) the share of exposure open military lines leave uncovered,
    ``own_loss`` (n, K) the share of own staff lost."""
    chan_key = st.status.tobytes() + st.staff.tobytes() + e.tobytes()
    by_channels = sx.fixed.get("by_channels")
    if by_channels is None or by_channels[0] != chan_key:
        n, K = w.n, len(w.channel_ids)
        # effectiveness if open: e where open; for a shut channel, channels.effectiveness of
        # max(staff, reopen staff) on Python floats (the same IEEE operations, in the same order,
        # as its numpy form; few channels are shut)
        e_open = e.copy()
        shut = np.flatnonzero(st.status != OPEN)
        if len(shut):
            reopen, base, staff = fx["reopen_staff"].tolist(), w.ch_baseline.tolist(), st.staff.tolist()
            for k in shut.tolist():
                q = min(max(staff[k], reopen[k]) / base[k], 1.0)
                e_open[k] = q * (1.0 + HALF_STAFF) / (q + HALF_STAFF)
        e_open[w.ch_event_only] = 0.5
        uncovered = _uncovered(w, sx, fx, e)
        own_loss = np.zeros((n, K))
        sk, sa = w.sender_channels, w.sender_actors
        own_loss[sa, sk] = 1.0 - np.minimum(st.staff[sk] / w.ch_baseline[sk], 1.0)
        for a in (e_open, uncovered, own_loss):
            a.flags.writeable = False
        by_channels = sx.fixed["by_channels"] = (chan_key, e_open, uncovered, own_loss)
    return by_channels


def _uncovered(w: World, sx: Structure, fx: dict[str, np.ndarray], e: np.ndarray) -> np.ndarray:
    """(n, T) the share of exposure that open military lines leave uncovered, in [0, 1]:
    ``exp(sum of log(1 - e_k) over the military lines k on the actor's side in the theatre)``.

    It depends on the military lines' effectiveness alone (a political channel's term is
    ``log(1 - e x 0) = 0`` exactly), which changes far less often than the rest of
    :func:`_by_channels`' key (staff moves on political channels most turns), so it is kept in
    ``sx.fixed`` by those lines' effectiveness, byte for byte: the same bytes give the same
    numbers.
    """
    mil_key = e[fx["military_index"]].tobytes()
    kept = sx.fixed.get("uncovered")
    if kept is None or kept[0] != mil_key:
        mil_log = np.log(np.maximum(1.0 - e * fx["military"], 1e-9))  # (K,): 0 for political channels
        uncovered = np.exp((sx.ch_side.T * mil_log[None, :]) @ w.ch_theatre)  # (n, T) in [0, 1]
        uncovered.flags.writeable = False
        kept = sx.fixed["uncovered"] = (mil_key, uncovered)
    return kept[1]


def _values_fixed(w: World, sx: Structure) -> dict[str, np.ndarray]:
    """What :func:`channel_values` derives from the world and the structure alone, kept in
    ``sx.fixed["values"]``: the staff a reopened channel starts with (K,), an all-open status
    (K,), the military lines (K,) bool, the deconfliction weights (1, K), and the pairs'
    bin index, count mask and divisor of the mean tension with a channel's counterparts."""
    fx = sx.fixed.get("values")
    if fx is None:
        K, n = len(w.channel_ids), w.n
        apk, api, _ = sx.pairs
        cnt = sx.pair_cnt
        fx = sx.fixed["values"] = {
            "reopen_staff": policy.REOPEN_STAFF * w.ch_baseline,
            "all_open": np.zeros(K, np.int8),
            "military": ~w.ch_political,
            "military_index": np.flatnonzero(~w.ch_political),
            "dec_w": w.ch_deconfliction[None, :] * DECONFLICTION_VALUE,
            "pair_bin": apk * n + api,
            "has_pair": cnt > 0,
            "pair_den": np.maximum(cnt, 1),
            # the boolean masks as floats (1.0 / 0.0: the same products, without a cast a turn)
            "political": w.ch_political.astype(float)[None, :],
            "side_t": sx.ch_side.astype(float).T,
        }
        for a in fx.values():
            a.flags.writeable = False
    return fx


def _world_floats(w: World) -> dict[str, np.ndarray]:
    """The world's boolean masks that perception multiplies by, as floats 1.0 / 0.0 (the same
    products, without a cast a turn), kept per world (:func:`sim.state.derived`)."""
    fw = derived(w).get("perceive")
    if fw is None:
        fw = derived(w)["perceive"] = {"present": w.present.astype(float), "europe_issue": w.europe_issue.astype(float)[None, :], "no_event": np.zeros(len(w.ch_baseline), bool)}
        for a in fw.values():
            a.flags.writeable = False
    return fw


def _channel_fixed(w: World, sx: Structure, venues: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """``(venue, served, pref, usable)`` of :func:`channel_values`, which change only with the
    structure: (K,) bool channels to a venue, (K, m) bool issues each serves (``None`` without
    venues), (n, K) preference and usability factors. Kept in ``sx.fixed``."""
    if venues in sx.fixed:
        return sx.fixed[venues]
    pref = np.where(w.ch_bilateral[None, :], w.bilateral[:, None], 1.0 - w.bilateral[:, None])
    usable = sx.usable
    venue = (w.ch_venue >= 0) & venues
    served = None
    if venue.any():
        # A mission to an international organisation is worth what the venue decides (a UN
        # mission keeps the value of the Security Council it serves), whatever the actor
        # thinks of bloc channels and whatever the state of its relation with the host.
        served = w.ch_issue.copy()
        for k in np.flatnonzero(venue):
            served[k] |= w.issue_bloc == w.ch_venue[k]
        pref = np.where(venue[None, :], 1.0, pref)
        usable = np.where(venue[None, :], 1.0, usable)
    for a in (venue, served, pref, usable):
        if a is not None and a is not sx.usable:
            a.flags.writeable = False
    sx.fixed[venues] = (venue, served, pref, usable)
    return sx.fixed[venues]


def routes(w: World, sx: Structure, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best route effectiveness and channel for every (issue, proposer, target).

    Args:
        w: the world.
        sx: its structure.
        e: (K,) channel effectiveness now; a route through a bloc channel that the proposer
            believes follows its leader counts ``1 - leader_weight`` of it (F5).

    Returns:
        ``(eff, chan)``: ``eff`` (m, n, n) in [0, 1]; ``chan`` (m, n, n) channel index,
        ``-1`` for a caucus (members of the bloc that decides the issue, at
        ``CAUCUS_EFFECTIVENESS``), ``-2`` for no route. Read-only: the same arrays are
        returned again for the same structure and the same ``e``.
    """
    # a pure function of the structure and e: kept while e stays the same, byte for byte (most
    # turns change no channel), read-only so that no caller changes what is kept
    key = (e.tobytes(), kernel.backend())
    kept = sx.fixed.get("routes")
    if kept is not None and kept[0] == key:
        return kept[1], kept[2]
    fixed = sx.fixed.get("route_fixed")
    if fixed is None:  # what the structure alone fixes: the entries' channel, cell and usability
        pk, pi, pj = sx.route_pairs
        fixed = sx.fixed["route_fixed"] = (pk, pi * w.n + pj, sx.usable[pi, pk])
    pk, cell, usable = fixed
    eff, chan = kernel.route_table(e[pk] * usable, pk, cell, sx.carries, sx.caucus)
    eff.flags.writeable = False
    chan.flags.writeable = False
    sx.fixed["routes"] = (key, eff, chan)
    return eff, chan


def decisiveness(w: World, deciders: np.ndarray) -> np.ndarray:
    """Perceived weight (m, n_proposer, n_target) of a target in deciding each issue (F5).

    1 for a decider, ``NON_DECIDER_WEIGHT`` for anyone else (it can still lobby). An actor who
    believes a bloc follows its leader (F5, interview L17) with weight ``lw`` sees the leader as
    a full decider of that bloc's issues and the other members at
    ``(1 - lw) + lw x NON_DECIDER_WEIGHT``.
    """
    base = np.where(deciders, 1.0, NON_DECIDER_WEIGHT)  # (m, n)
    dec = np.broadcast_to(base[:, None, :], (w.m, w.n, w.n)).copy()
    for i, beliefs in w.leader_belief.items():
        for b, lead in beliefs.items():
            ks = np.flatnonzero(w.issue_bloc == b)
            for k in ks:
                lw = w.leader_weight[i]
                dec[k, i, :] = np.where(deciders[k], (1.0 - lw) + lw * NON_DECIDER_WEIGHT, dec[k, i, :])
                dec[k, i, lead] = 1.0
    return dec

"""The scenario compiled into arrays: the static structure of a world (docs/model.md, section 2).

Every array is indexed in sorted-id order: actors, issues, blocs, channels and theatres by their
ids sorted as text, whatever order the scenario file lists them in (:func:`canonical`). So the
order of a file's entries never changes a result: the same scenario with its actors listed in
reverse gives a byte-identical turn log. A :class:`World` never changes during a run; the
changing state lives in :class:`sim.model.GreatPowerModel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.channels import CHANNEL_KINDS, KIND_NAMES, STATUS_CODES
from sim.schema import EventSpec, Quantity, Scenario, size_problem

CAUCUS_EFFECTIVENESS = 0.6
"""Effectiveness of talks between members of a common bloc (a caucus), in [0, 1]; judgement (ours)."""

NON_DECIDER_WEIGHT = 0.3
"""Weight of a proposal to an actor who does not decide the issue (it can still lobby); ours."""

RULE_CODES = {"consensus": 0, "majority": 1, "leader": 2}


@dataclass
class World:
    """Static arrays and id maps of a scenario.

    Shapes: n actors, m issues, B blocs, K channels, T theatres. Entities (channel endpoints)
    are coded ``0..n-1`` for actors and ``n..n+B-1`` for blocs.
    """

    scenario: Scenario
    actor_ids: list[str]
    issue_ids: list[str]
    bloc_ids: list[str]
    channel_ids: list[str]
    theatre_ids: list[str]
    capability_raw: np.ndarray  # (n,) scenario unit (USD bn)
    capability: np.ndarray  # (n,) shares, sum 1 (uniform if all zero)
    bilateral: np.ndarray  # (n,) in [0, 1]
    risk: np.ndarray  # (n,) in [0.5, 2]
    threat: np.ndarray  # (n, n) in [0, 1], faction-blended (F9)
    appetite: np.ndarray  # (n, T) in [0, 1]
    faction_threat: np.ndarray  # (n, n, T): extra threat weight of posture in faction theatres
    members: np.ndarray  # (B, n) bool
    bloc_rule: np.ndarray  # (B,) rule codes
    bloc_leader: np.ndarray  # (B,) actor index or -1
    bloc_autonomy: np.ndarray  # (B,) in [0, 1]
    bloc_autonomy_from: np.ndarray  # (B,) actor index or -1
    issue_inertia: np.ndarray  # (m,)
    issue_region: list[str]
    issue_kind: list[str]
    issue_bloc: np.ndarray  # (m,) deciding bloc index or -1
    deciders: np.ndarray  # (m, n) bool
    decider_rule: np.ndarray  # (m,) rule codes
    europe_issue: np.ndarray  # (m,) bool
    accession: dict[int, tuple[int, int]]  # issue -> (bloc, candidate)
    staffing: dict[int, list[int]]  # issue -> channel indices capped by its state
    ch_a: np.ndarray  # (K,) entity code
    ch_b: np.ndarray  # (K,) entity code
    ch_kind: np.ndarray  # (K,) kind codes (index into KIND_NAMES)
    ch_political: np.ndarray  # (K,) bool
    ch_deconfliction: np.ndarray  # (K,) in [0, 1]
    ch_bilateral: np.ndarray  # (K,) bool
    ch_event_only: np.ndarray  # (K,) bool
    ch_staffed: np.ndarray  # (K,) bool
    ch_issue: np.ndarray  # (K, m) bool
    ch_theatre: np.ndarray  # (K, T) bool
    ch_baseline: np.ndarray  # (K,) persons
    ch_pair: np.ndarray  # (K, n, n) bool: channel k joins actors i and j
    ch_side: np.ndarray  # (K, n) bool: actor is (or is a member of) an endpoint
    ch_actor_end: np.ndarray  # (K, n) bool: actor is itself an endpoint (may act on it)
    ch_bloc_end: np.ndarray  # (K,) bloc index of a bloc endpoint, or -1
    present: np.ndarray  # (n, T) bool
    incident_rate: np.ndarray  # (T,)
    theatre_region: list[str]
    pacific: np.ndarray  # (T,) bool
    great_powers: np.ndarray  # (g,) actor indices
    leader_belief: dict[int, dict[int, int]]  # actor -> {bloc: leader actor}
    red_lines: list[tuple[int, int, float, int, dict]]  # (actor, issue, threshold, +1/-1, response)
    sender_channels: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # staffed, actor sender
    sender_actors: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    host_actors: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # staffed, actor host
    host_channels: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    host_senders: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    cap_issues: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # staffing caps
    cap_channels: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    sources: dict[tuple, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of actors."""
        return len(self.actor_ids)

    @property
    def m(self) -> int:
        """Number of issues."""
        return len(self.issue_ids)

    def entity_name(self, code: int) -> str:
        """Id of an entity code (actor or bloc)."""
        n = self.n
        return self.actor_ids[code] if code < n else self.bloc_ids[code - n]


def _f(q: Quantity | None, default: float = 0.0) -> float:
    return default if q is None else float(q.value)


def _by_key(d: dict) -> dict:
    return {k: d[k] for k in sorted(d, key=str)}


def _dump(model) -> str:
    return model.model_dump_json()


EVENT_ORDER = {kind: k for k, kind in enumerate(EventSpec.model_fields["kind"].annotation.__args__)}
"""Order in which events of one turn apply: by kind, as the schema lists the kinds (summit,
incident, expulsion, restore_staff, red_line, channel_status, set_posture, set_position, note),
then by their fields; never by their order in the file."""


def pair_key(a: str, b: str) -> str:
    """``"A-B"`` with the two ids in sorted order: the one name of an unordered pair."""
    return f"{a}-{b}" if a <= b else f"{b}-{a}"


def canonical(sc: Scenario) -> Scenario:
    """The same scenario with every order that a file may choose fixed.

    Mappings keyed by id (actors, issues, blocs, channels, theatres, and every id-keyed mapping
    inside them) are sorted by id; lists that are sets (bloc members and veto holders, channel
    issues and theatres, theatre presence, deciders, staffing channels, suspended channels,
    faction theatres) are sorted; factions are ordered by name, red lines by issue, direction and
    threshold, events by turn, then :data:`EVENT_ORDER`, then their fields; relation pairs are
    written ``A-B`` with ``A < B``. Channel endpoints keep their order (the first is the sending
    side) and so does a theatre's ``area`` polygon; ``great_powers`` keeps the file's order (the
    front end shows the first one first), and :func:`compile_world` indexes them sorted.

    Args:
        sc: a validated scenario.

    Returns:
        A validated scenario equal to ``sc`` up to order (no field is revalidated).
    """

    def issue(x):
        upd = {"scale": {k: x.scale[k] for k in sorted(x.scale)}, "staffing_channels": sorted(x.staffing_channels)}
        if not isinstance(x.decided_by, str):
            upd["decided_by"] = sorted(x.decided_by)
        return x.model_copy(update=upd)

    def response(r):
        return r.model_copy(update={"posture": _by_key(r.posture), "tension": _by_key(r.tension), "suspend_channels": sorted(r.suspend_channels)})

    def actor(a):
        red = [rl.model_copy(update={"response": response(rl.response)}) for rl in a.red_lines]
        red.sort(key=lambda rl: (rl.issue, rl.direction, rl.threshold.value, _dump(rl)))
        fac = [f.model_copy(update={"threat": _by_key(f.threat), "theatres": sorted(f.theatres)}) for f in a.factions]
        fac.sort(key=lambda f: (f.name, _dump(f)))
        return a.model_copy(
            update={
                "position": _by_key(a.position),
                "salience": _by_key(a.salience),
                "threat": _by_key(a.threat),
                "posture_appetite": _by_key(a.posture_appetite),
                "red_lines": red,
                "factions": fac,
                "beliefs": a.beliefs.model_copy(update={"bloc_leader": _by_key(a.beliefs.bloc_leader)}),
            }
        )

    def bloc(b):
        return b.model_copy(update={"members": sorted(b.members), "veto": sorted(b.veto), "candidates": _by_key(b.candidates)})

    def channel(c):
        return c.model_copy(update={"issues": sorted(c.issues), "theatres": sorted(c.theatres)})

    def theatre(t):
        return t.model_copy(update={"present": sorted(t.present), "posture": _by_key(t.posture)})

    def pairs(d: dict) -> dict:
        out = {}
        for key, q in d.items():
            x, _, y = key.partition("-")
            out[pair_key(x, y)] = q
        return _by_key(out)

    rel = sc.relations
    events = sorted(sc.events, key=lambda e: (e.turn, EVENT_ORDER[e.kind], _dump(e)))
    return sc.model_copy(
        update={
            "sources": _by_key(sc.sources),
            "issues": {k: issue(v) for k, v in _by_key(sc.issues).items()},
            "actors": {k: actor(v) for k, v in _by_key(sc.actors).items()},
            "blocs": {k: bloc(v) for k, v in _by_key(sc.blocs).items()},
            "channels": {k: channel(v) for k, v in _by_key(sc.channels).items()},
            "theatres": {k: theatre(v) for k, v in _by_key(sc.theatres).items()},
            "relations": rel.model_copy(update={"tension": pairs(rel.tension), "alignment": pairs(rel.alignment)}),
            "events": events,
        }
    )


def compile_world(sc: Scenario) -> World:
    """Compile a validated scenario into a :class:`World`.

    Args:
        sc: a scenario that passed :func:`sim.loader.parse_scenario`.

    Returns:
        The world's static arrays, indexed in sorted-id order; ``World.scenario`` is
        :func:`canonical` of ``sc``. Sources of every preference term are kept in
        ``World.sources`` keyed like ``("salience", actor, issue)``.

    Raises:
        ValueError: the scenario exceeds a size limit of :mod:`sim.schema` (``MAX_ACTORS``,
            ``MAX_VOTE_CELLS``, ...); the loader refuses such files before this.
    """
    too_large = size_problem({"actors": len(sc.actors), "issues": len(sc.issues), "blocs": len(sc.blocs), "channels": len(sc.channels), "theatres": len(sc.theatres), "events": len(sc.events)})
    if too_large is not None:
        raise ValueError(f"{too_large[0]}: {too_large[1]}")
    sc = canonical(sc)
    A = list(sc.actors)
    I_ = list(sc.issues)
    Bl = list(sc.blocs)
    C = list(sc.channels)
    Th = list(sc.theatres)
    n, m, B, K, T = len(A), len(I_), len(Bl), len(C), len(Th)
    ai = {a: i for i, a in enumerate(A)}
    ii = {x: i for i, x in enumerate(I_)}
    bi = {b: i for i, b in enumerate(Bl)}
    ti = {t: i for i, t in enumerate(Th)}
    src: dict[tuple, str] = {}

    cap_raw = np.array([_f(sc.actors[a].capability) for a in A])
    total = cap_raw.sum()
    cap = cap_raw / total if total > 0 else np.full(n, 1.0 / n)
    for a in A:
        src[("capability", a)] = sc.actors[a].capability.source or ""

    members = np.zeros((B, n), bool)
    for b, spec in sc.blocs.items():
        for a in spec.members:
            members[bi[b], ai[a]] = True

    def expand(ref: str) -> list[int]:
        return [ai[ref]] if ref in ai else list(np.flatnonzero(members[bi[ref]]))

    threat = np.zeros((n, n))
    faction_threat = np.zeros((n, n, T))
    appetite = np.ones((n, T))
    bilateral = np.zeros(n)
    risk = np.zeros(n)
    leader_belief: dict[int, dict[int, int]] = {}
    red_lines = []
    for a, spec in sc.actors.items():
        i = ai[a]
        bilateral[i] = _f(spec.channel_preference.bilateral)
        src[("bilateral", a)] = spec.channel_preference.bilateral.source or ""
        risk[i] = _f(spec.risk)
        for o, q in spec.threat.items():
            for j in expand(o):
                if j != i:
                    threat[i, j] = max(threat[i, j], _f(q))
                    src[("threat", a, A[j])] = q.source or ""
        for f in spec.factions:
            w = _f(f.weight)
            for o, q in f.threat.items():
                for j in expand(o):
                    if j == i:
                        continue
                    threat[i, j] = (1 - w) * threat[i, j] + w * _f(q)
                    src[("threat", a, A[j])] = (
                        f"{src.get(('threat', a, A[j])) or 'none'}; faction {f.name}: {f.source or ''}"
                    )
                    for t in f.theatres:
                        faction_threat[i, j, ti[t]] = w * _f(q)
        for t, q in spec.posture_appetite.items():
            appetite[i, ti[t]] = _f(q)
            src[("appetite", a, t)] = q.source or ""
        for b, lead in spec.beliefs.bloc_leader.items():
            leader_belief.setdefault(i, {})[bi[b]] = ai[lead]
        for rl in spec.red_lines:
            resp = rl.response
            red_lines.append(
                (
                    i,
                    ii[rl.issue],
                    _f(rl.threshold),
                    1 if rl.direction == "above" else -1,
                    {
                        "posture": {ti[t]: _f(v) for t, v in resp.posture.items()},
                        "tension": {
                            j: _f(v) for o, v in resp.tension.items() for j in expand(o) if j != i
                        },
                        "suspend": [C.index(c) for c in resp.suspend_channels],
                        "note": resp.note,
                        "source": rl.source or "",
                    },
                )
            )

    rule = np.array([RULE_CODES[sc.blocs[b].rule] for b in Bl], dtype=np.int8)
    leader = np.array([ai.get(sc.blocs[b].leader or "", -1) for b in Bl], dtype=int)
    autonomy = np.array([_f(sc.blocs[b].autonomy, 1.0) for b in Bl])
    autonomy_from = np.array(
        [ai.get(sc.blocs[b].autonomy_from or sc.blocs[b].leader or "", -1) for b in Bl], dtype=int
    )
    for b in Bl:
        src[("autonomy", b)] = sc.blocs[b].autonomy.source or ""

    deciders = np.zeros((m, n), bool)
    decider_rule = np.zeros(m, dtype=np.int8)
    issue_bloc = np.full(m, -1)
    accession: dict[int, tuple[int, int]] = {}
    staffing: dict[int, list[int]] = {}
    for x, spec in sc.issues.items():
        k = ii[x]
        if isinstance(spec.decided_by, str) and spec.decided_by in bi:
            b = bi[spec.decided_by]
            issue_bloc[k] = b
            deciders[k] = members[b]
            decider_rule[k] = rule[b]
        else:
            refs = [spec.decided_by] if isinstance(spec.decided_by, str) else spec.decided_by
            for r in refs:
                deciders[k, ai[r]] = True
        if spec.staffing_channels:
            staffing[k] = [C.index(c) for c in spec.staffing_channels]
        src[("state", x)] = spec.state.source or ""
    for b, spec in sc.blocs.items():
        for cand, x in spec.candidates.items():
            accession[ii[x]] = (bi[b], ai[cand])

    for a, spec in sc.actors.items():
        for x, q in spec.position.items():
            src[("position", a, x)] = q.source or ""
        for x, q in spec.salience.items():
            src[("salience", a, x)] = q.source or ""

    def code(e: str) -> int:
        return ai[e] if e in ai else n + bi[e]

    ch_a = np.array([code(sc.channels[c].endpoints[0]) for c in C], dtype=int)
    ch_b = np.array([code(sc.channels[c].endpoints[1]) for c in C], dtype=int)
    kinds = [CHANNEL_KINDS[sc.channels[c].kind] for c in C]
    ch_issue = np.zeros((K, m), bool)
    ch_theatre = np.zeros((K, T), bool)
    ch_side = np.zeros((K, n), bool)
    ch_actor_end = np.zeros((K, n), bool)
    ch_bloc_end = np.full(K, -1)
    ch_pair = np.zeros((K, n, n), bool)
    for k, c in enumerate(C):
        spec = sc.channels[c]
        for x in spec.issues:
            ch_issue[k, ii[x]] = True
        for t in spec.theatres:
            ch_theatre[k, ti[t]] = True
        sides = []
        for e in spec.endpoints:
            idx = expand(e)
            sides.append(idx)
            ch_side[k, idx] = True
            if e in ai:
                ch_actor_end[k, ai[e]] = True
            else:
                ch_bloc_end[k] = bi[e]
        for i in sides[0]:
            for j in sides[1]:
                if i != j:
                    ch_pair[k, i, j] = ch_pair[k, j, i] = True
        src[("channel", c)] = spec.source or ""
        src[("staff", c)] = spec.staff.source or ""

    present = np.zeros((n, T), bool)
    rate = np.zeros(T)
    for t, spec in sc.theatres.items():
        for a in spec.present:
            present[ai[a], ti[t]] = True
        rate[ti[t]] = _f(spec.incident_rate)
        src[("theatre", t)] = spec.source or ""

    staffed = [k for k, c in enumerate(C) if CHANNEL_KINDS[sc.channels[c].kind].staffed]
    snd = [k for k in staffed if ch_a[k] < n]
    hst = [k for k in staffed if ch_a[k] < n and ch_b[k] < n]
    caps = [(i, k) for i, ks in staffing.items() for k in ks]
    return World(
        sender_channels=np.array(snd, int),
        sender_actors=np.array([ch_a[k] for k in snd], int),
        host_actors=np.array([ch_b[k] for k in hst], int),
        host_channels=np.array(hst, int),
        host_senders=np.array([ch_a[k] for k in hst], int),
        cap_issues=np.array([i for i, _ in caps], int),
        cap_channels=np.array([k for _, k in caps], int),
        scenario=sc,
        actor_ids=A,
        issue_ids=I_,
        bloc_ids=Bl,
        channel_ids=C,
        theatre_ids=Th,
        capability_raw=cap_raw,
        capability=cap,
        bilateral=bilateral,
        risk=risk,
        threat=threat,
        appetite=appetite,
        faction_threat=faction_threat,
        members=members,
        bloc_rule=rule,
        bloc_leader=leader,
        bloc_autonomy=autonomy,
        bloc_autonomy_from=autonomy_from,
        issue_inertia=np.array([_f(sc.issues[x].inertia) for x in I_]),
        issue_region=[sc.issues[x].region for x in I_],
        issue_kind=[sc.issues[x].kind for x in I_],
        issue_bloc=issue_bloc,
        deciders=deciders,
        decider_rule=decider_rule,
        europe_issue=np.array([sc.issues[x].region == "europe" for x in I_]),
        accession=accession,
        staffing=staffing,
        ch_a=ch_a,
        ch_b=ch_b,
        ch_kind=np.array([KIND_NAMES.index(k.name) for k in kinds], dtype=int),
        ch_political=np.array([k.political for k in kinds], bool),
        ch_deconfliction=np.array([k.deconfliction for k in kinds]),
        ch_bilateral=np.array([k.bilateral for k in kinds], bool),
        ch_event_only=np.array([k.event_only for k in kinds], bool),
        ch_staffed=np.array([k.staffed for k in kinds], bool),
        ch_issue=ch_issue,
        ch_theatre=ch_theatre,
        ch_baseline=np.array([_f(sc.channels[c].staff_baseline) for c in C]),
        ch_pair=ch_pair,
        ch_side=ch_side,
        ch_actor_end=ch_actor_end,
        ch_bloc_end=ch_bloc_end,
        present=present,
        incident_rate=rate,
        theatre_region=[sc.theatres[t].region for t in Th],
        pacific=np.array([sc.theatres[t].region == "indo_pacific" for t in Th], bool),
        great_powers=np.array(sorted(ai[g] for g in sc.great_powers), dtype=int),
        leader_belief=leader_belief,
        red_lines=red_lines,
        sources=src,
    )


def initial_arrays(w: World) -> dict[str, np.ndarray]:
    """Starting values of the changing state, from the scenario (positions, postures, ...)."""
    sc = w.scenario
    n, m = w.n, w.m
    ai = {a: i for i, a in enumerate(w.actor_ids)}
    pos = np.full((n, m), 0.5)
    sal = np.zeros((n, m))
    for a, spec in sc.actors.items():
        for x, q in spec.position.items():
            pos[ai[a], w.issue_ids.index(x)] = q.value
        for x, q in spec.salience.items():
            sal[ai[a], w.issue_ids.index(x)] = q.value
    state = np.array([sc.issues[x].state.value for x in w.issue_ids])
    posture = np.zeros((n, len(w.theatre_ids)))
    for t, spec in sc.theatres.items():
        k = w.theatre_ids.index(t)
        for a in spec.present:
            q = spec.posture.get(a)
            posture[ai[a], k] = q.value if q is not None else 0.2
    tension = np.full((n, n), sc.relations.default_tension.value)
    for pair, q in sc.relations.tension.items():
        x, y = pair.split("-")
        tension[ai[x], ai[y]] = tension[ai[y], ai[x]] = q.value
    np.fill_diagonal(tension, 0.0)
    alignment = np.zeros((n, n))
    for pair, q in sc.relations.alignment.items():
        x, y = pair.split("-")
        alignment[ai[x], ai[y]] = alignment[ai[y], ai[x]] = q.value
    np.fill_diagonal(alignment, 1.0)
    status = np.array([STATUS_CODES[sc.channels[c].status] for c in w.channel_ids], dtype=np.int8)
    staff = np.array([sc.channels[c].staff.value for c in w.channel_ids])
    return {
        "position": pos,
        "salience": sal,
        "issue_state": state,
        "posture": posture,
        "tension": tension,
        "alignment": alignment,
        "status": status,
        "staff": staff,
    }

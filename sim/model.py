"""``GreatPowerModel``: one turn in six phases (docs/model.md, section 3).

1. Perceive: threat from others' posture in shared theatres and tension; factions (F9); the US
   Pacific burden discounts the salience of European issues (F11).
2. Decide: AI actors propose where their expected utility of a challenge is positive, best first,
   and draw other actions from a softmax of their one-turn utility gain (:mod:`sim.policy`);
   human actors use what was submitted. Actions are carried out in a seeded shuffled order.
3. Bargain: proposals over open channels are resolved by the expected-utility kernel
   (:mod:`sim.kernel`), the compromise step scaled by the channel's effectiveness; a bloc answers
   by its rule.
4. Military: incidents drawn per theatre and hostile pair; open deconfliction channels cut the
   chance that an incident escalates into a crisis (F2); a crisis may become an armed clash.
5. Decide collectively: accession motions pass by the bloc's rule; red lines crossed trigger
   their owners' responses (F7).
6. Update: tension and alignment; issue states move toward what their deciders agree, by at most
   the issue's inertia; the turn is recorded; the end is checked.

The model is pure: no pygame, no printing, no files. All randomness comes from ``self.rng``,
seeded by the ``seed`` argument (Mesa's ``rng``).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim import kernel, policy
from sim.actions import ACTION_KINDS, ANSWERS, KIND_CODE, Action
from sim.agents import Bloc, StateActor
from sim.channels import CLOSED, OPEN, STATUS_CODES, STATUS_NAMES, SUSPENDED, effectiveness
from sim.schema import EventSpec, Scenario
from sim.world import CAUCUS_EFFECTIVENESS, NON_DECIDER_WEIGHT, compile_world, initial_arrays

END_STATES = ("running", "armed_clash", "grand_bargain", "horizon")
GRIEVANCE_MEMORY = 0.8
"""Per-turn persistence of grievance and goodwill (reciprocity memory); judgement (ours)."""
DECONFLICTION_VALUE = 0.5
"""Utility per unit of threat exposure that a fully effective deconfliction line protects; ours."""
ACTION_OBJECT = {
    KIND_CODE["set_posture"]: 0,
    KIND_CODE["open_channel"]: 1,
    KIND_CODE["suspend_channel"]: 1,
    KIND_CODE["close_channel"]: 1,
    KIND_CODE["expel"]: 2,
    KIND_CODE["restore_staff"]: 2,
}
"""What an AI action acts on (theatre 0, channel status 1, channel staff 2): one action per
object a turn."""
RESOLVE = 0.9
"""How much salience stiffens a target: it moves ``1 - RESOLVE x salience`` of the kernel's step
(ours; a state yields least on what it cares most about)."""


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


class GreatPowerModel(mesa.Model):
    """The great-power bargaining model (docs/model.md).

    Args:
        scenario: a validated :class:`~sim.schema.Scenario`, or a path to a scenario file.
        seed: integer seed of the model's generator (``None``: fresh entropy).
        turns: horizon override (default: the scenario's ``turns``).
        humans: ids of human-controlled actors (default: those with ``controller: human``).
        reasons: record each AI decision's alternatives and terms in the turn log.

    Raises:
        sim.loader.ScenarioError: ``scenario`` is a path to an invalid file.
        ValueError: an unknown id in ``humans``.
    """

    def __init__(
        self,
        scenario: Scenario | str = "scenarios/baseline_2021.yaml",
        seed: int | None = None,
        *,
        turns: int | None = None,
        humans: list[str] | tuple[str, ...] | None = None,
        reasons: bool = True,
    ):
        if isinstance(scenario, str):
            from sim.loader import load_scenario

            scenario = load_scenario(scenario)
        super().__init__(rng=seed)
        self.seed_value = seed
        self.scenario = scenario
        self.world = w = compile_world(scenario)
        self.horizon = int(turns if turns is not None else scenario.turns)
        self.reasons = reasons
        if humans is None:
            humans = [a for a, s in scenario.actors.items() if s.controller == "human"]
        unknown = [h for h in humans if h not in w.actor_ids]
        if unknown:
            raise ValueError(f"unknown actor id(s) for human control: {', '.join(unknown)}")
        self.humans = set(humans)
        self.ai_mask = np.array([a not in self.humans for a in w.actor_ids])
        self.dyn = {k: float(v.value) if hasattr(v, "value") else float(v) for k, v in scenario.dynamics}
        self.temperature = float(scenario.ai.temperature.value)
        self.q, self.t = float(scenario.ai.q.value), float(scenario.ai.t.value)

        arr = initial_arrays(w)
        self.position = arr["position"]
        self.ideal = arr["position"].copy()  # the scenario's ideal points (fixed)
        self.salience = arr["salience"]
        self.issue_state = arr["issue_state"]
        self.posture = arr["posture"]
        self.tension = arr["tension"]
        self.alignment = arr["alignment"]
        self.status = arr["status"]
        self.staff = arr["staff"]
        self.members = w.members.copy()
        self.grievance = np.zeros((w.n, w.n))
        self.goodwill = np.zeros((w.n, w.n))
        self.red_line_armed = [True] * len(w.red_lines)
        self.motions: list[dict] = []
        self.rebuffs: dict[tuple[int, int], int] = {}
        self.pending: dict[str, list[dict]] = {h: [] for h in self.humans}
        self.submitted: dict[str, list[Action]] = {}
        self.injected: list[EventSpec] = []
        self.turn = 0
        self.end_state = "running"
        self.calm_turns = 0
        self.totals = {"incidents": 0, "crises": 0, "agreements": 0, "conflicts": 0, "expulsions": 0, "closures": 0}
        self.peak_tension = self._gp_tension()
        self.log: list[dict] = []
        self._rebuild_membership()

        self.actors = [StateActor(self, a, scenario.actors[a].name, i) for i, a in enumerate(w.actor_ids)]
        self.blocs = [Bloc(self, b, k) for k, b in enumerate(w.bloc_ids)]
        self.datacollector = mesa.DataCollector(model_reporters={"outcomes": lambda m: m._outcomes_now})
        self.running = True
        self._perceive()
        self._outcomes_now = self.outcomes()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ structure
    def _rebuild_membership(self) -> None:
        """Recompute what depends on bloc membership (after an accession)."""
        w = self.world
        mem = self.members
        # a caucus: members of the bloc that decides an issue talk about it among themselves
        caucus = np.zeros((w.m, w.n, w.n))
        for k in range(w.m):
            b = w.issue_bloc[k]
            if b >= 0:
                caucus[k] = np.outer(mem[b], mem[b]) * CAUCUS_EFFECTIVENESS
                np.fill_diagonal(caucus[k], 0.0)
        self._caucus = caucus
        self.deciders = w.deciders.copy()
        for k in range(w.m):
            if w.issue_bloc[k] >= 0:
                self.deciders[k] = mem[w.issue_bloc[k]]
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
        self.ch_pair = pair
        self.ch_side = side
        # who may act on a channel: its actor endpoints; for a bloc endpoint, the bloc's leader
        act = w.ch_actor_end.copy()
        for k in range(len(w.channel_ids)):
            b = w.ch_bloc_end[k]
            if b >= 0 and w.bloc_leader[b] >= 0:
                act[k, w.bloc_leader[b]] = True
        self.ch_actor = act
        K, n = len(w.channel_ids), w.n
        # sparse pair lists: every (channel, i, j) the channel joins
        apk, api, apj = np.nonzero(pair)
        self._pairs = (apk, api, apj)
        self._pair_cnt = pair.sum(axis=2)  # (K, n)
        # routes for proposals: political channels only; F5: a believer skips a led bloc's channels
        keep = w.ch_political[apk].copy()
        for i, beliefs in w.leader_belief.items():
            for b in beliefs:
                keep &= ~((api == i) & (w.ch_bloc_end[apk] == b))
        self._route_pairs = (apk[keep], api[keep], apj[keep])
        usable = np.ones((n, K))
        for i, beliefs in w.leader_belief.items():
            for b in beliefs:
                usable[i, w.ch_bloc_end == b] = 0.0  # F5: talk to the leader instead
        self._usable = usable

    # ------------------------------------------------------------------ helpers
    def effect_of(self, chans: np.ndarray, staff: np.ndarray) -> np.ndarray:
        """Effectiveness the channels would have, open, at the given staff (persons)."""
        return effectiveness(staff, self.world.ch_baseline[chans], np.zeros(len(chans), np.int8))

    def _effectiveness(self) -> np.ndarray:
        w = self.world
        e = effectiveness(self.staff, w.ch_baseline, self.status)
        event_on = np.zeros(len(e), bool)
        for k in self._summit_channels:
            event_on[k] = True
        return np.where(w.ch_event_only, np.where(event_on & (self.status == OPEN), 1.0, 0.0), e)

    def _gp_tension(self) -> dict[str, float]:
        w = self.world
        gp = w.great_powers
        out = {}
        for x in range(len(gp)):
            for y in range(x + 1, len(gp)):
                i, j = gp[x], gp[y]
                out[f"{w.actor_ids[i]}-{w.actor_ids[j]}"] = float(self.tension[i, j])
        return out

    def motion_pending(self, bloc: int, cand: int) -> bool:
        """Whether an accession motion for ``cand`` in ``bloc`` awaits its vote."""
        return any(mo["bloc"] == bloc and mo["candidate"] == cand for mo in self.motions)

    def _src(self, *key) -> str:
        return self.world.sources.get(key) or "no source given"

    # ------------------------------------------------------------------ phase 1
    _summit_channels: tuple[int, ...] = ()

    def _perceive(self) -> None:
        """Perceived threat, exposure per theatre, effective salience (F9, F11), channel values."""
        w, d = self.world, self.dyn
        tp = np.minimum(w.threat * (0.5 + self.tension), 1.0)
        self.threat_perc = tp
        posture = self.posture
        expo = (tp @ posture) * w.present
        expo += np.einsum("ijt,jt->it", w.faction_threat, posture)
        self.exposure = expo
        tot = posture.sum(axis=1)
        pac = np.where(tot > 0, (posture * w.pacific).sum(axis=1) / np.maximum(tot, 1e-12), 0.0)
        self.salience_eff = self.salience * (1.0 - d["linkage"] * pac[:, None] * w.europe_issue[None, :])
        capmax = w.capability.max() if w.capability.max() > 0 else 1.0
        self.cost_scale = np.sqrt(np.maximum(w.capability / capmax, 1e-3))
        self._channel_values()

    def _channel_values(self) -> None:
        """Value and cost of every channel to every actor who may act on it (F1-F3, F5, F14)."""
        w, d = self.world, self.dyn
        n, K = w.n, len(w.channel_ids)
        e = self._effectiveness()
        self.effectiveness = e
        e_open = np.where(self.status == OPEN, e, effectiveness(np.maximum(self.staff, policy.REOPEN_STAFF * w.ch_baseline), w.ch_baseline, np.zeros(K, np.int8)))
        e_open = np.where(w.ch_event_only, 0.5, e_open)
        stake = self.salience_eff @ w.ch_issue.T  # (n, K)
        pref = np.where(w.ch_bilateral[None, :], w.bilateral[:, None], 1.0 - w.bilateral[:, None])
        usable = self._usable
        pol = d["channel_value"] * pref * stake * usable * w.ch_political[None, :]
        # deconfliction: exposure in the channel's theatres, weighted by the kind's role (F2)
        dec_need = self.exposure @ w.ch_theatre.T  # (n, K)
        # Military lines are valued for the deconfliction they give on their own; a political
        # channel only for what the military lines do not already cover in its theatres (F2,
        # interview L9: military channels remain to maintain deconfliction).
        side = self.ch_side  # (K, n)
        mil = ~w.ch_political
        mil_log = np.log(np.maximum(1.0 - e * mil, 1e-9))  # (K,): 0 for political channels
        uncovered = np.exp((side.T * mil_log[None, :]) @ w.ch_theatre)  # (n, T) in [0, 1]
        need_left = (self.exposure * uncovered) @ w.ch_theatre.T  # (n, K)
        dec_need = np.where(mil[None, :], dec_need, need_left)
        dec_w = w.ch_deconfliction[None, :] * DECONFLICTION_VALUE
        self.channel_value = (pol + dec_need * dec_w) * e[None, :] * side.T
        self.channel_value_if_open = (pol + dec_need * dec_w) * e_open[None, :] * side.T
        # cost: upkeep, lost own staff (insult), tension with the other side
        own_loss = np.zeros((n, K))
        sk, sa = w.sender_channels, w.sender_actors
        own_loss[sa, sk] = 1.0 - np.minimum(self.staff[sk] / w.ch_baseline[sk], 1.0)
        apk, api, apj = self._pairs
        tsum = np.bincount(apk * n + api, weights=self.tension[api, apj], minlength=K * n).reshape(K, n)
        cnt = self._pair_cnt
        other_t = np.where(cnt > 0, tsum / np.maximum(cnt, 1), 0.0).T
        self.channel_tension = other_t
        # military lines carry no political cost: they survive political breaks (F2)
        political = w.ch_political[None, :]
        self.channel_cost = d["channel_upkeep"] + political * (policy.INSULT * own_loss + policy.TENSION_COST * other_t)
        self.channel_actor_pairs = np.nonzero(self.ch_actor.T)  # (actors, channels), all actors
        self.host_pairs = (w.host_actors, w.host_channels, w.host_senders)
        cap = w.ch_baseline.copy()
        ci, ck = w.cap_issues, w.cap_channels
        if len(ck):
            np.minimum.at(cap, ck, self.issue_state[ci] * w.ch_baseline[ck])
        self.staff_cap = cap

    # ------------------------------------------------------------------ routes
    def _routes(self) -> tuple[np.ndarray, np.ndarray]:
        """Best route effectiveness and channel for every (issue, proposer, target).

        Returns:
            ``(eff, chan)``: ``eff`` (m, n, n) in [0, 1]; ``chan`` (m, n, n) channel index,
            ``-1`` for a caucus (members of the bloc that decides the issue, at
            ``CAUCUS_EFFECTIVENESS``), ``-2`` for no route.
        """
        w = self.world
        m, n = w.m, w.n
        e = self.effectiveness
        pk, pi, pj = self._route_pairs
        eff = np.zeros(m * n * n)
        best = np.zeros(m * n * n, int)
        if len(pk):
            vals = (e[pk][:, None] * w.ch_issue[pk]).T.ravel()  # (m * P,)
            idx = (np.arange(m)[:, None] * (n * n) + (pi * n + pj)[None, :]).ravel()
            kk = np.broadcast_to(pk[None, :], (m, len(pk))).ravel()
            order = np.lexsort((-kk, vals, idx))  # per cell: highest value, then lowest channel
            idx_s = idx[order]
            last = np.r_[idx_s[1:] != idx_s[:-1], True]
            cells = idx_s[last]
            eff[cells] = vals[order][last]
            best[cells] = kk[order][last]
        eff = eff.reshape(m, n, n)
        best = best.reshape(m, n, n)
        caucus = self._caucus
        chan = np.where(eff > 0, best, -2)
        chan = np.where(caucus > eff, -1, chan)
        eff = np.maximum(eff, caucus)
        return eff, chan

    def _decisiveness(self) -> np.ndarray:
        """Perceived weight (m, n_proposer, n_target) of a target in deciding each issue (F5)."""
        w = self.world
        base = np.where(self.deciders, 1.0, NON_DECIDER_WEIGHT)  # (m, n)
        dec = np.broadcast_to(base[:, None, :], (w.m, w.n, w.n)).copy()
        for i, beliefs in w.leader_belief.items():
            for b, lead in beliefs.items():
                ks = np.flatnonzero(w.issue_bloc == b)
                for k in ks:
                    dec[k, i, :] = np.where(self.deciders[k], NON_DECIDER_WEIGHT, dec[k, i, :])
                    dec[k, i, lead] = 1.0
        return dec

    # ------------------------------------------------------------------ interface
    def legal_actions(self, actor_id: str) -> list[Action]:
        """Every action ``actor_id`` may submit this turn.

        Raises:
            KeyError: unknown actor id.
        """
        w = self.world
        i = w.actor_ids.index(actor_id) if actor_id in w.actor_ids else None
        if i is None:
            raise KeyError(f"unknown actor {actor_id!r}")
        only = np.zeros(w.n, bool)
        only[i] = True
        cand = policy.concat([b for f in policy.SCORERS for b in f(self, only)])
        out = [self._to_action(cand, r) for r in range(len(cand.actor))]
        eff, chan = self._routes()
        for k in range(w.m):
            for j in range(w.n):
                if j != i and eff[k, i, j] > 0 and self.position[i, k] != self.position[j, k]:
                    out.append(Action("propose", actor_id, issue=w.issue_ids[k], target=w.actor_ids[j], channel=self._chan_name(chan[k, i, j], i, j, k)))
        for p in self.pending.get(actor_id, []):
            for c in ANSWERS:
                out.append(Action("answer", actor_id, issue=p["issue"], target=p["from"], choice=c))
        for mo in self.motions:
            if self.members[mo["bloc"], i]:
                for c in ("yes", "no"):
                    out.append(Action("vote", actor_id, bloc=w.bloc_ids[mo["bloc"]], issue=w.issue_ids[mo["issue"]], choice=c))
        return out

    def _chan_name(self, code: int, i: int, j: int, issue: int | None = None) -> str:
        w = self.world
        if code >= 0:
            return w.channel_ids[code]
        common = np.flatnonzero(self.members[:, i] & self.members[:, j])
        if issue is not None and w.issue_bloc[issue] >= 0:
            return "caucus:" + w.bloc_ids[w.issue_bloc[issue]]
        return "caucus:" + (w.bloc_ids[common[0]] if len(common) else "?")

    def _to_action(self, cand: policy.Candidates, r: int) -> Action:
        w = self.world
        kind = ACTION_KINDS[cand.kind[r]]
        a = w.actor_ids[cand.actor[r]]
        a1, a2, v = int(cand.a1[r]), int(cand.a2[r]), float(cand.value[r])
        if kind in ("open_channel", "suspend_channel", "close_channel"):
            return Action(kind, a, channel=w.channel_ids[a1])
        if kind in ("expel", "restore_staff"):
            return Action(kind, a, channel=w.channel_ids[a1], target=w.actor_ids[a2], staff=v)
        if kind == "set_posture":
            return Action(kind, a, theatre=w.theatre_ids[a1], level=v)
        if kind == "joint_patrol":
            return Action(kind, a, theatre=w.theatre_ids[a1], target=w.actor_ids[a2])
        if kind == "apply_membership":
            return Action(kind, a, bloc=w.bloc_ids[a1])
        return Action("pass", a)

    def submit(self, actor_id: str, actions: list[Action] | list[dict]) -> None:
        """Set a human actor's actions for the next :meth:`step`.

        Args:
            actor_id: a human-controlled actor.
            actions: :class:`Action` objects or their dicts; each must be in
                :meth:`legal_actions`; at most ``ai.actions_per_turn + ai.proposals_per_turn``
                plus one answer per pending proposal and one vote per motion.

        Raises:
            ValueError: not a human actor, an illegal action, or too many actions.
        """
        if actor_id not in self.humans:
            raise ValueError(f"{actor_id} is not human-controlled (humans: {', '.join(sorted(self.humans)) or 'none'})")
        acts = [a if isinstance(a, Action) else Action.from_dict(a) for a in actions]
        legal = set(self.legal_actions(actor_id))
        for a in acts:
            if a.actor != actor_id:
                raise ValueError(f"action {a} belongs to {a.actor}, not {actor_id}")
            if a not in legal:
                raise ValueError(f"illegal action for {actor_id} this turn: {a}")
        ai = self.scenario.ai
        core = [a for a in acts if a.kind not in ("answer", "vote", "pass")]
        if len(core) > ai.actions_per_turn + ai.proposals_per_turn:
            raise ValueError(f"at most {ai.actions_per_turn + ai.proposals_per_turn} actions a turn, got {len(core)}")
        self.submitted[actor_id] = acts

    def inject(self, event: EventSpec | dict) -> None:
        """Queue an event (instructor injection) for the next :meth:`step`.

        Raises:
            pydantic.ValidationError: the event is malformed.
            ValueError: it names an unknown actor, channel, theatre or issue.
        """
        ev = event if isinstance(event, EventSpec) else EventSpec.model_validate({"turn": self.turn + 1, **event})
        w = self.world
        for ref, pool in ((ev.actor, w.actor_ids), (ev.channel, w.channel_ids), (ev.theatre, w.theatre_ids), (ev.issue, w.issue_ids)):
            if ref is not None and ref not in pool:
                raise ValueError(f"unknown id {ref!r} in event")
        for a in ev.actors:
            if a not in w.actor_ids:
                raise ValueError(f"unknown actor {a!r} in event")
        self.injected.append(ev)

    # ------------------------------------------------------------------ the turn
    def step(self) -> None:
        """Run one turn (one month unless the scenario says otherwise)."""
        if not self.running:
            return
        self.turn += 1
        self._ev: list[dict] = []
        self._summit_channels = ()
        self._tension_delta = np.zeros_like(self.tension)
        self._patrols: list[tuple[int, int, int]] = []
        self._decon = None
        self._apply_events([e for e in self.scenario.events if e.turn == self.turn] + self.injected)
        self.injected = []
        self._perceive()
        decisions, proposals = self._decide()
        self._act(decisions)
        self.effectiveness = self._effectiveness()  # channels may have closed or lost staff
        self._bargain(proposals)
        self._military()
        self._collective()
        self._update()
        self._outcomes_now = self.outcomes()
        self.log.append({"turn": self.turn, "date": self.date(), "events": self._ev, "summary": self._outcomes_now})
        self.datacollector.collect(self)

    def date(self, turn: int | None = None) -> str:
        """Calendar month ``YYYY-MM`` of a turn (turn 0 is the start month)."""
        t = self.turn if turn is None else turn
        y, mth = map(int, self.scenario.start.split("-"))
        k = (mth - 1) + t * self.scenario.turn_months
        return f"{y + k // 12:04d}-{k % 12 + 1:02d}"

    # events
    def _apply_events(self, events: list[EventSpec]) -> None:
        w = self.world
        ai = {a: i for i, a in enumerate(w.actor_ids)}
        summits = []
        for ev in events:
            rec = {"type": "event", "kind": ev.kind, "text": ev.text, "source": ev.source or "instructor"}
            if ev.kind == "summit":
                i, j = ai[ev.actors[0]], ai[ev.actors[1]]
                if ev.channel is not None:
                    k = w.channel_ids.index(ev.channel)
                    if self.status[k] != OPEN:
                        self.status[k] = OPEN
                    summits.append(k)
                relief = ev.size.value if ev.size is not None else 0.1
                self.tension[i, j] = self.tension[j, i] = max(0.0, self.tension[i, j] - relief)
                rec.update(actors=ev.actors, channel=ev.channel)
            elif ev.kind == "incident":
                t = w.theatre_ids.index(ev.theatre)
                i, j = ai[ev.actors[0]], ai[ev.actors[1]]
                rec.update(actors=ev.actors, theatre=ev.theatre)
                self._incident(t, i, j, forced=True)
            elif ev.kind in ("expulsion", "restore_staff"):
                k = w.channel_ids.index(ev.channel)
                size = ev.size.value * w.ch_baseline[k]
                if ev.kind == "expulsion":
                    self.staff[k] = max(0.0, self.staff[k] - size)
                else:
                    self.staff[k] = min(w.ch_baseline[k], self.staff[k] + size)
                rec.update(channel=ev.channel, staff=_r(self.staff[k], 1))
            elif ev.kind == "red_line":
                i, k = ai[ev.actor], w.issue_ids.index(ev.issue)
                for r, (owner, issue, *_rest) in enumerate(w.red_lines):
                    if owner == i and issue == k:
                        self._red_line_response(r)
                rec.update(actor=ev.actor, issue=ev.issue)
            elif ev.kind == "channel_status":
                k = w.channel_ids.index(ev.channel)
                self.status[k] = STATUS_CODES[ev.status]
                if ev.status == "closed":
                    self.staff[k] = 0.0
                rec.update(channel=ev.channel, status=ev.status)
            elif ev.kind == "set_posture":
                i, t = ai[ev.actor], w.theatre_ids.index(ev.theatre)
                if w.present[i, t]:
                    self.posture[i, t] = ev.size.value
                rec.update(actor=ev.actor, theatre=ev.theatre, level=_r(ev.size.value))
            elif ev.kind == "set_position":
                i, k = ai[ev.actor], w.issue_ids.index(ev.issue)
                self.position[i, k] = ev.size.value
                rec.update(actor=ev.actor, issue=ev.issue, position=_r(ev.size.value))
            self._ev.append(rec)
        self._summit_channels = tuple(summits)

    # phase 2
    def _decide(self) -> tuple[list[tuple[int, Action, dict | None]], list[tuple[int, int, int, int, float]]]:
        w = self.world
        x = self.position.T  # (m, n)
        s = self.salience_eff.T
        c = w.capability
        mu = kernel.forecast(x, c[None, :] * s)
        if self.scenario.ai.risk_model == "endogenous":
            p_win = kernel.win_probability(x, c, s)  # computed once for both calls
            r = kernel.risk_exponents(x, c, s, mu, self.q, self.t, p=p_win)
        else:
            p_win = kernel.win_probability(x, c, s)
            r = np.broadcast_to(w.risk[None, :], x.shape)
        eu = kernel.expected_utility(x, c, s, r, mu, self.q, self.t, p=p_win)
        self._eu, self._forecast = eu, mu
        eff, chan = self._routes()
        dec = self._decisiveness()
        score = eu * self.salience_eff.T[:, :, None] * dec * eff
        score = np.where((eu > 0) & (eff > 0), score, 0.0)  # (m, i, j)
        P = self.scenario.ai.proposals_per_turn
        proposals: list[tuple[int, int, int, int, float]] = []
        # AI proposals: best first, up to P per actor
        flat = score.transpose(1, 0, 2).reshape(w.n, -1)  # (i, m*n)
        ranked = np.argsort(-flat, axis=1, kind="stable")[:, : max(P, 1) + 3]  # best first
        if P > 0:
            top = ranked[:, :P]
            for i in np.flatnonzero(self.ai_mask):
                for f in top[i]:
                    if flat[i, f] <= 0:
                        break
                    k, j = divmod(int(f), w.n)
                    proposals.append((i, k, j, int(chan[k, i, j]), float(eu[k, i, j])))
        cand = policy.concat([b for fn in policy.SCORERS for b in fn(self)])
        drawn = policy.draw(cand, self.scenario.ai.actions_per_turn, self.temperature, self.rng)
        self._best_rows = None
        decisions: list[tuple[int, Action, dict | None]] = []
        for i, rows in enumerate(drawn):
            seen = set()
            for r in rows:
                key = (ACTION_OBJECT.get(int(cand.kind[r]), 10 + int(cand.kind[r])), int(cand.a1[r]))
                if key in seen:
                    continue  # one action per theatre, channel or staff line in a turn
                seen.add(key)
                decisions.append((i, self._to_action(cand, r), self._reason(cand, r) if self.reasons else None))
        for i, k, j, ch, e in proposals:
            if self.reasons:
                self._ev.append(self._proposal_reason(i, k, j, ch, e, dec[k, i, j], eff[k, i, j], flat[i], ranked[i]))
        # human actors
        for h, acts in self.submitted.items():
            i = w.actor_ids.index(h)
            for a in acts:
                if a.kind == "propose":
                    k, j = w.issue_ids.index(a.issue), w.actor_ids.index(a.target)
                    proposals.append((i, k, j, int(chan[k, i, j]), float(eu[k, i, j])))
                    self._ev.append({"type": "decision", "actor": h, "action": str(a), "spec": a.to_dict(), "human": True})
                else:
                    decisions.append((i, a, {"human": True}))
        self.submitted = {}
        return decisions, proposals

    def _reason(self, cand: policy.Candidates, r: int) -> dict:
        """The log record of one AI decision: the choice, its top alternatives, its terms."""
        w = self.world
        i = cand.actor[r]
        if self._best_rows is None:  # every actor's candidates by score, once a turn
            order = np.lexsort((-cand.score, cand.actor))
            starts = np.searchsorted(cand.actor[order], np.arange(w.n + 1))
            self._best_rows = (order, starts)
        order, starts = self._best_rows
        top = order[starts[i] : min(starts[i + 1], starts[i] + 4)]
        alts = [[str(self._to_action(cand, q)), _r(cand.score[q])] for q in top if q != r][:3]
        kind = ACTION_KINDS[cand.kind[r]]
        names = policy.TERM_NAMES.get(kind, ("", "", ""))
        a = w.actor_ids[i]
        terms = []
        for name, val in zip(names, cand.terms[r]):
            if name:
                terms.append({"term": name, "value": _r(val), "source": self._term_source(kind, name, cand, r)})
        act = self._to_action(cand, r)
        return {"type": "decision", "actor": a, "action": str(act), "spec": act.to_dict(), "score": _r(cand.score[r]), "alternatives": alts, "terms": terms}

    def _term_source(self, kind: str, name: str, cand: policy.Candidates, r: int) -> str:
        w = self.world
        a = w.actor_ids[cand.actor[r]]
        a1 = int(cand.a1[r])
        if kind.endswith("_channel"):
            ch = w.channel_ids[a1]
            if "value" in name:
                top = [w.issue_ids[k] for k in np.flatnonzero(w.ch_issue[a1])]
                sal = "; ".join(f"salience {x}: {self._src('salience', a, x)}" for x in top[:2])
                bel = ""
                for b in w.leader_belief.get(int(cand.actor[r]), {}):
                    if w.ch_bloc_end[a1] == b:
                        bel = f"; belief {w.bloc_ids[b]} led by {w.actor_ids[w.leader_belief[int(cand.actor[r])][b]]}: interview L17"
                return f"bilateral preference: {self._src('bilateral', a)}; {sal}{bel}"
            if "cost" in name:
                return f"staff: {self._src('staff', ch)}"
            return f"channel: {self._src('channel', ch)}"
        if kind in ("expel", "restore_staff"):
            return f"staff: {self._src('staff', w.channel_ids[a1])}"
        if kind in ("set_posture", "joint_patrol"):
            t = w.theatre_ids[a1]
            if name in ("appetite", "caution"):
                return self._src("appetite", a, t) or "default appetite 1"
            threats = sorted(((self.threat_perc[cand.actor[r], j] * self.posture[j, a1], w.actor_ids[j]) for j in range(w.n)), reverse=True)
            who = threats[0][1]
            return f"threat from {who}: {self._src('threat', a, who)}; theatre: {self._src('theatre', t)}"
        if kind == "apply_membership":
            issue = w.issue_ids[int(cand.a2[r])]
            return f"position {issue}: {self._src('position', a, issue)}"
        return ""

    def _proposal_reason(self, i, k, j, ch, eu, dec, eff, flat_row, order) -> dict:
        w = self.world
        a, x, b = w.actor_ids[i], w.issue_ids[k], w.actor_ids[j]
        alts = []
        for f in order:
            kk, jj = divmod(int(f), w.n)
            if (kk, jj) != (k, j) and flat_row[f] > 0:
                alts.append([f"propose {w.issue_ids[kk]} to {w.actor_ids[jj]}", _r(flat_row[f])])
        terms = [
            {"term": "expected utility of the challenge", "value": _r(eu), "source": "Scholz, Calbert and Smith 2011 (docs/model.md 7.4)"},
            {"term": "salience", "value": _r(self.salience_eff[i, k]), "source": self._src("salience", a, x)},
            {"term": "decisiveness of the target", "value": _r(dec), "source": "interview L17 (bloc led by its leader)" if i in w.leader_belief else "decided_by of the issue"},
            {"term": "channel effectiveness", "value": _r(eff), "source": self._src("channel", w.channel_ids[ch]) if ch >= 0 else "caucus of a common bloc"},
        ]
        via = self._chan_name(ch, i, j, k)
        spec = Action("propose", a, issue=x, target=b, channel=via).to_dict()
        return {"type": "decision", "actor": a, "action": f"propose {x} to {b} via {via}", "spec": spec, "score": _r(eu * self.salience_eff[i, k] * dec * eff), "alternatives": alts[:3], "terms": terms}

    def _act(self, decisions: list[tuple[int, Action, dict | None]]) -> None:
        """Carry out non-proposal actions in a seeded shuffled order of actors."""
        w, d = self.world, self.dyn
        order = self.rng.permutation(w.n)
        rank = np.empty(w.n, int)
        rank[order] = np.arange(w.n)
        decisions = sorted(decisions, key=lambda t: rank[t[0]])
        ai = {a: i for i, a in enumerate(w.actor_ids)}
        for i, a, reason in decisions:
            done = self._do(i, a, ai, d)
            if reason is not None and not reason.get("human"):
                reason["done"] = done
                self._ev.append(reason)
            elif reason is not None:
                self._ev.append({"type": "decision", "actor": a.actor, "action": str(a), "spec": a.to_dict(), "human": True, "done": done})

    def _do(self, i: int, a: Action, ai: dict, d: dict) -> bool:
        w = self.world
        kind = a.kind
        if kind in ("open_channel", "suspend_channel", "close_channel"):
            k = w.channel_ids.index(a.channel)
            new = {"open_channel": OPEN, "suspend_channel": SUSPENDED, "close_channel": CLOSED}[kind]
            if self.status[k] == new or (new == SUSPENDED and self.status[k] != OPEN):
                return False  # suspend pauses an open channel only
            if new == OPEN and self.status[k] == CLOSED:
                self.staff[k] = max(self.staff[k], policy.REOPEN_STAFF * w.ch_baseline[k])
            if new == CLOSED:
                self.staff[k] = 0.0
                self.totals["closures"] += 1
            old = STATUS_NAMES[self.status[k]]
            self.status[k] = new
            others = np.flatnonzero(self.ch_side[k] & ~(np.arange(w.n) == i))
            if new != OPEN:
                self._tension_delta[i, others] += self.dyn["tension_closure"]
                self._tension_delta[others, i] += self.dyn["tension_closure"]
            self._ev.append({"type": "channel", "channel": a.channel, "by": a.actor, "from": old, "to": STATUS_NAMES[new]})
            return True
        if kind in ("expel", "restore_staff"):
            k = w.channel_ids.index(a.channel)
            j = ai[a.target]
            if self.status[k] != OPEN:
                return False
            if kind == "expel":
                size = min(a.staff, self.staff[k])
                if size <= 0:
                    return False
                self.grievance[j, i] += size / max(self.staff[k], 1.0)  # share of its staff lost
                self.staff[k] -= size
                self._tension_delta[i, j] += d["tension_expulsion"]
                self._tension_delta[j, i] += d["tension_expulsion"]
                self.totals["expulsions"] += 1
            else:
                size = min(a.staff, max(0.0, self.staff_cap[k] - self.staff[k]))
                if size <= 0:
                    return False
                self.staff[k] += size
                self.goodwill[j, i] += size / w.ch_baseline[k]
                self._tension_delta[i, j] -= d["tension_agreement"] * 0.5
                self._tension_delta[j, i] -= d["tension_agreement"] * 0.5
            self._ev.append({"type": "staff", "channel": a.channel, "by": a.actor, "kind": kind, "persons": _r(size, 1), "staff": _r(self.staff[k], 1)})
            return True
        if kind == "set_posture":
            t = w.theatre_ids.index(a.theatre)
            if not w.present[i, t]:
                return False
            self.posture[i, t] = min(1.0, max(0.0, a.level))
            return True
        if kind == "joint_patrol":
            t = w.theatre_ids.index(a.theatre)
            j = ai[a.target]
            gain = d["alignment_patrol"] * (1.0 - self.alignment[i, j])  # saturating near +1
            self.alignment[i, j] = self.alignment[j, i] = min(1.0, self.alignment[i, j] + gain)
            self._patrols.append((t, i, j))
            self.posture[i, t] = min(1.0, self.posture[i, t] + d["posture_step"] / 2)
            self._ev.append({"type": "patrol", "actors": [a.actor, a.target], "theatre": a.theatre})
            return True
        if kind == "apply_membership":
            b = w.bloc_ids.index(a.bloc)
            for issue, (bb, cand) in w.accession.items():
                if bb == b and cand == i and not self.motion_pending(b, i):
                    self.motions.append({"bloc": b, "candidate": i, "issue": issue, "votes": {}, "turn": self.turn})
                    self._ev.append({"type": "motion", "bloc": a.bloc, "candidate": a.actor, "issue": w.issue_ids[issue]})
                    return True
            return False
        if kind == "vote":
            for mo in self.motions:
                if w.bloc_ids[mo["bloc"]] == a.bloc and w.issue_ids[mo["issue"]] == a.issue:
                    mo["votes"][i] = a.choice == "yes"
                    return True
            return False
        if kind == "answer":
            for p in self.pending.get(a.actor, []):
                if p["issue"] == a.issue and p["from"] == a.target:
                    p["answer"] = a.choice
                    return True
            return False
        return kind == "pass"

    # phase 3
    def _bargain(self, proposals: list[tuple[int, int, int, int, float]]) -> None:
        """Resolve proposals with the kernel; channels gate them (docs/model.md 7.5)."""
        w, d = self.world, self.dyn
        m, n = w.m, w.n
        eu = self._eu
        caucus = self._caucus  # a caucus needs no channel: its effectiveness never changes
        offers = np.zeros((m, n, n), bool)
        effm = np.zeros((m, n, n))
        bloc_props = []
        for i, k, j, ch, e in proposals:
            if eu[k, i, j] <= 0:
                continue
            if ch >= 0:
                if self.status[ch] != OPEN or not self.ch_pair[ch, i, j] or self.effectiveness[ch] <= 0:
                    self._ev.append({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "no channel"})
                    continue
                e_ch = self.effectiveness[ch]
                b = w.ch_bloc_end[ch]
                if b >= 0 and self.members[b, j]:
                    if not any(bp[:3] == (i, k, b) for bp in bloc_props):  # one per bloc and issue
                        bloc_props.append((i, k, b, ch, e_ch))
                    continue
            else:
                e_ch = caucus[k, i, j] if ch == -1 else 0.0
                if e_ch <= 0:
                    continue
            if w.actor_ids[j] in self.humans:
                self.pending[w.actor_ids[j]].append({"from": w.actor_ids[i], "issue": w.issue_ids[k], "position": float(self.position[i, k]), "eu": float(eu[k, i, j]), "eff": float(e_ch), "expected_win": bool(eu[k, j, i] < eu[k, i, j])})
                self._ev.append({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": "awaiting answer"})
                continue
            offers[k, i, j] = True
            effm[k, i, j] = max(effm[k, i, j], e_ch)
        old = self.position.T.copy()
        tiebreak = self.rng.random((m, n, n))
        new_x, chal, outcome, frac = kernel.resolve(old, eu, offers, effm, tiebreak)
        # How far a target moves (ours, on top of the kernel's effectiveness-scaled
        # compromise): a lost conflict or a capitulation is scaled by the channel's effectiveness
        # too, so that a weak channel transmits little; and every step by 1 - RESOLVE x the
        # target's salience, so that a state yields least on what it cares about most (Russia on
        # Ukraine's membership, interview L21).
        m_i, j_i = np.nonzero(chal >= 0)
        if len(m_i):
            c_i = chal[m_i, j_i]
            scale = 1.0 - RESOLVE * self.salience_eff[j_i, m_i]
            hard = (outcome[m_i, j_i] == kernel.OUTCOME_CONFLICT) | (outcome[m_i, j_i] == kernel.OUTCOME_CAPITULATION)
            scale = np.where(hard, scale * effm[m_i, c_i, j_i], scale)
            new_x[m_i, j_i] = old[m_i, j_i] + (new_x[m_i, j_i] - old[m_i, j_i]) * scale
            frac[m_i, j_i] = frac[m_i, j_i] * scale
        for k, j in zip(*np.nonzero(chal >= 0)):
            i = int(chal[k, j])
            self._record_outcome(i, j, k, int(outcome[k, j]), float(frac[k, j]), float(old[k, j]), float(new_x[k, j]))
        pos = new_x.T.copy()
        # bloc counterparts answer by their rule (consensus: any member blocks)
        for i, k, b, ch, e_ch in bloc_props:
            mem = np.flatnonzero(self.members[b])
            out, fr = kernel.respond(np.full(len(mem), eu[k, i, mem].max()), eu[k, mem, i])
            fr = fr * e_ch
            rule = w.bloc_rule[b]
            if rule == 0:
                f = float(fr.min()) if len(fr) else 0.0
            elif rule == 2 and w.bloc_leader[b] >= 0:
                f = float(fr[list(mem).index(w.bloc_leader[b])])
            else:
                f = float(np.median(fr))
            target = old[k, i]
            yield_ = 1.0 - RESOLVE * self.salience_eff[mem, k]
            pos[mem, k] = pos[mem, k] + f * yield_ * (target - pos[mem, k])
            kind = "agreement" if f > 0 else "rejected"
            self._ev.append({"type": "proposal", "from": w.actor_ids[i], "to": w.bloc_ids[b], "issue": w.issue_ids[k], "outcome": kind, "moved": _r(f), "channel": w.channel_ids[ch], "rule": ["consensus", "majority", "leader"][rule]})
            if f > 0:
                self.totals["agreements"] += 1
                self._tension_delta[i, mem] -= d["tension_agreement"]
                self._tension_delta[mem, i] -= d["tension_agreement"]
            else:
                self.totals["conflicts"] += 1
                self._tension_delta[i, mem] += d["tension_conflict"] / max(1, len(mem)) * 2
                self._tension_delta[mem, i] += d["tension_conflict"] / max(1, len(mem)) * 2
        # human answers to last turn's proposals
        for h, plist in self.pending.items():
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
                self._record_outcome(i, j, k, oc, f, before, pos[j, k])
            self.pending[h] = keep
        self.position = np.clip(pos, 0.0, 1.0)

    def _record_outcome(self, i: int, j: int, k: int, oc: int, frac: float, before: float, after: float) -> None:
        w, d = self.world, self.dyn
        name = kernel.OUTCOME_NAMES[oc]
        if oc in (kernel.OUTCOME_COMPROMISE, kernel.OUTCOME_CAPITULATION):
            self.totals["agreements"] += 1
            self._tension_delta[i, j] -= d["tension_agreement"]
            self._tension_delta[j, i] -= d["tension_agreement"]
        elif oc in (kernel.OUTCOME_CONFLICT, kernel.OUTCOME_STALEMATE):
            self.totals["conflicts"] += 1
            self._tension_delta[i, j] += d["tension_conflict"]
            self._tension_delta[j, i] += d["tension_conflict"]
        self._ev.append({"type": "proposal", "from": w.actor_ids[i], "to": w.actor_ids[j], "issue": w.issue_ids[k], "outcome": name, "moved": _r(frac), "position": [_r(before), _r(after)]})

    # phase 4
    def _deconfliction(self) -> np.ndarray:
        """(T, n, n) share in [0, 1] by which open channels cut escalation between a pair (F2)."""
        w = self.world
        e = self.effectiveness * w.ch_deconfliction
        logs = np.log(np.maximum(1.0 - e, 1e-9))  # (K,)
        # (T, n, n): sum over channels covering the theatre and joining the pair
        pair_log = np.einsum("kt,kij->tij", w.ch_theatre * logs[:, None], self.ch_pair)
        return 1.0 - np.exp(pair_log)

    def _military(self) -> None:
        w, _d = self.world, self.dyn
        hostile = np.maximum(w.threat, w.threat.T) * (0.5 + self.tension)
        P = self.posture * w.present  # (n, T)
        lam = w.incident_rate[:, None, None] * P.T[:, :, None] * P.T[:, None, :] * hostile[None]
        for t, i, j in self._patrols:
            lam[t, i, :] *= 1.5
            lam[t, :, i] *= 1.5
        iu = np.triu(np.ones((w.n, w.n), bool), 1)
        p = 1.0 - np.exp(-lam)
        u = self.rng.random(lam.shape)
        hits = np.argwhere((u < p) & iu[None])
        if len(hits):
            self._decon = self._deconfliction()
            esc_u = self.rng.random(len(hits))
            clash_u = self.rng.random(len(hits))
            for (t, i, j), ue, uc in zip(hits, esc_u, clash_u):
                self._incident(int(t), int(i), int(j), ue=ue, uc=uc)
        self._patrols = []

    def _incident(self, t: int, i: int, j: int, ue: float | None = None, uc: float | None = None, forced: bool = False) -> None:
        w, d = self.world, self.dyn
        if ue is None:
            ue, uc = self.rng.random(2)
        if self._decon is None or forced:
            self._decon = self._deconfliction()
        self.totals["incidents"] += 1
        self._tension_delta[i, j] += d["tension_incident"]
        self._tension_delta[j, i] += d["tension_incident"]
        dec = float(self._decon[t, i, j])
        p_crisis = d["escalation"] * (0.5 + self.tension[i, j]) * (1.0 - d["deconfliction"] * dec)
        crisis = ue < p_crisis
        rec = {"type": "incident", "theatre": w.theatre_ids[t], "actors": [w.actor_ids[i], w.actor_ids[j]], "deconfliction": _r(dec), "crisis": bool(crisis)}
        if crisis:
            self.totals["crises"] += 1
            self._tension_delta[i, j] += d["tension_crisis"]
            self._tension_delta[j, i] += d["tension_crisis"]
            p_clash = d["clash"] * self.tension[i, j] ** 2 * (1.0 - d["deconfliction"] * dec)
            if uc < p_clash:
                rec["armed_clash"] = True
                self.end_state = "armed_clash"
        self._ev.append(rec)

    # phase 5
    def _collective(self) -> None:
        """Accession motions by bloc rule; red lines (F7)."""
        w = self.world
        keep = []
        for mo in self.motions:
            if mo["turn"] >= self.turn:
                keep.append(mo)  # members vote in the turn after the application
                continue
            b, cand, issue = mo["bloc"], mo["candidate"], mo["issue"]
            mem = np.flatnonzero(self.members[b])
            cur = self.issue_state[issue]
            nxt = min((v for v in (0.3, 0.6, 1.0) if v > cur + 1e-9), default=1.0)
            votes = {}
            for i in mem:
                if i in mo["votes"]:
                    votes[i] = mo["votes"][i]
                elif w.actor_ids[i] in self.humans:
                    votes[i] = bool(self.position[i, issue] >= nxt)
                else:
                    votes[i] = bool(self.position[i, issue] >= nxt)
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
            self._ev.append(rec)
            if passed:
                self.issue_state[issue] = nxt
                if nxt >= 1.0:
                    self.members[b, cand] = True
                    self._rebuild_membership()
                    self._ev.append({"type": "accession", "bloc": w.bloc_ids[b], "member": w.actor_ids[cand]})
            else:
                self.rebuffs[(b, cand)] = self.rebuffs.get((b, cand), 0) + 1
        self.motions = keep
        self._check_red_lines()

    def _check_red_lines(self) -> None:
        for r, (owner, issue, thr, sign, _resp) in enumerate(self.world.red_lines):
            crossed = (self.issue_state[issue] >= thr) if sign > 0 else (self.issue_state[issue] <= thr)
            if crossed and self.red_line_armed[r]:
                self._red_line_response(r)
            elif not crossed:
                self.red_line_armed[r] = True

    def _red_line_response(self, r: int) -> None:
        w = self.world
        owner, issue, thr, _sign, resp = w.red_lines[r]
        self.red_line_armed[r] = False
        for t, dv in resp["posture"].items():
            if w.present[owner, t]:
                self.posture[owner, t] = float(np.clip(self.posture[owner, t] + dv, 0, 1))
        for j, dv in resp["tension"].items():
            self._tension_delta[owner, j] += dv
            self._tension_delta[j, owner] += dv
        for k in resp["suspend"]:
            if self.status[k] == OPEN:
                self.status[k] = SUSPENDED
        self._ev.append({"type": "red_line", "actor": w.actor_ids[owner], "issue": w.issue_ids[issue], "threshold": thr, "state": _r(self.issue_state[issue]), "note": resp["note"], "source": resp["source"]})

    # phase 6
    def _update(self) -> None:
        w, d = self.world, self.dyn
        # tension
        hostile = np.maximum(w.threat, w.threat.T)
        floor = 0.5 * hostile
        t = self.tension + self._tension_delta
        t = t - d["tension_decay"] * (t - floor)
        t = np.clip(t, 0.0, 1.0)
        np.fill_diagonal(t, 0.0)
        self.tension = t
        # alignment: toward similarity of positions plus shared pressure (F11)
        sal = self.salience
        wsum = sal[:, None, :] + sal[None, :, :]
        diff = np.abs(self.position[:, None, :] - self.position[None, :, :])
        sim = 1.0 - 2.0 * np.where(wsum.sum(2) > 0, (wsum * diff).sum(2) / np.maximum(wsum.sum(2), 1e-12), 0.5)
        tp = self.threat_perc
        npres = np.maximum(w.present.sum(axis=1), 1)
        burden = (self.posture * w.present).sum(axis=1) / npres  # (n,) mean posture, in [0, 1]
        shared = np.einsum("ik,jk,k->ij", tp, tp, burden)
        target = np.clip(sim + d["alignment_pressure"] * shared - 0.5 * np.maximum(w.threat, w.threat.T), -1.0, 1.0)
        al = self.alignment + d["alignment_rate"] * (target - self.alignment)
        np.fill_diagonal(al, 1.0)
        self.alignment = np.clip(al, -1.0, 1.0)
        # negotiating positions fall back toward the ideal points (dynamics.anchor)
        self.position += d["anchor"] * (self.ideal - self.position)
        # issue states move toward what their deciders agree (consensus: all must want the move)
        x = self.position.copy()
        for k in range(w.m):
            b = w.issue_bloc[k]
            if b >= 0 and w.issue_kind[k] == "sanctions" and w.bloc_autonomy[b] < 1 and w.bloc_autonomy_from[b] >= 0:
                a = w.bloc_autonomy[b]
                x[:, k] = a * x[:, k] + (1 - a) * self.position[w.bloc_autonomy_from[b], k]  # F6
        before = self.issue_state.copy()
        cur = self.issue_state
        xt = x.T  # (m, n)
        dmask = self.deciders  # (m, n)
        lows = np.where(dmask, xt, np.inf).min(axis=1)
        highs = np.where(dmask, xt, -np.inf).max(axis=1)
        # consensus: the state moves only if every decider wants the move, to the most reluctant
        tgt = np.where(lows > cur, lows, np.where(highs < cur, highs, cur))
        rule = np.where(w.issue_bloc >= 0, w.decider_rule, 0)
        for k in np.flatnonzero(rule != 0):
            dec = np.flatnonzero(dmask[k])
            if rule[k] == 2 and w.bloc_leader[w.issue_bloc[k]] >= 0:
                tgt[k] = x[w.bloc_leader[w.issue_bloc[k]], k]
            elif len(dec):
                wts = w.capability[dec] * self.salience[dec, k]
                tgt[k] = float(kernel.forecast(x[dec, k][None, :], wts[None, :])[0])
        moves = dmask.any(axis=1) & ~np.isin(np.arange(w.m), list(w.accession))  # accession: motions only (F7)
        step = np.clip(tgt - cur, -w.issue_inertia, w.issue_inertia)
        self.issue_state = np.where(moves, np.clip(cur + step, 0.0, 1.0), cur)
        for k in np.flatnonzero(np.abs(self.issue_state - before) > 1e-9):
            self._ev.append({"type": "issue", "issue": w.issue_ids[k], "from": _r(before[k]), "to": _r(self.issue_state[k])})
        # staffing caps follow the staffing issue (F14)
        for k, chans in w.staffing.items():
            for c in chans:
                cap = self.issue_state[k] * w.ch_baseline[c]
                if self.staff[c] > cap + 1e-9 and self.status[c] == OPEN:
                    self.staff[c] = cap
        self._check_red_lines()
        self.grievance *= GRIEVANCE_MEMORY
        self.goodwill *= GRIEVANCE_MEMORY
        gp = self._gp_tension()
        for key, v in gp.items():
            self.peak_tension[key] = max(self.peak_tension.get(key, 0.0), v)
        if self.end_state == "running":
            if gp and max(gp.values()) < d["grand_bargain_tension"]:
                self.calm_turns += 1
            else:
                self.calm_turns = 0
            if self.calm_turns >= int(self.scenario.dynamics.grand_bargain_turns):
                self.end_state = "grand_bargain"
            elif self.turn >= self.horizon:
                self.end_state = "horizon"
        if self.end_state != "running":
            self.running = False
            self._ev.append({"type": "end", "state": self.end_state})
            # Mesa 3.3 keeps every model that made an agent in a class-level id counter
            # (mesa.Agent._ids; Mesa issue 3179): let a finished model be freed
            ids = getattr(mesa.Agent, "_ids", None)
            if isinstance(ids, dict):
                ids.pop(self, None)

    # ------------------------------------------------------------------ outputs
    def outcomes(self) -> dict[str, Any]:
        """Per-turn outcome figures (what the DataCollector records each turn)."""
        w = self.world
        rus = w.actor_ids.index("RUS") if "RUS" in w.actor_ids else None
        chn = w.actor_ids.index("CHN") if "CHN" in w.actor_ids else None
        out: dict[str, Any] = {
            "turn": self.turn,
            "end_state": self.end_state,
            "channels_open": int((self.status == OPEN).sum()),
            "incidents": self.totals["incidents"],
            "crises": self.totals["crises"],
            "agreements": self.totals["agreements"],
        }
        for x, v in zip(w.issue_ids, self.issue_state):
            out[f"issue.{x}"] = _r(v, 6)
        for key, v in self._gp_tension().items():
            out[f"tension.{key}"] = _r(v, 6)
        if rus is not None and chn is not None:
            out["alignment.CHN-RUS"] = _r(self.alignment[rus, chn], 6)
        return out

    def snapshot(self) -> dict[str, Any]:
        """The whole visible state as plain data (lists, dicts, floats, strings).

        Returns:
            ``turn``, ``date``, ``end_state``, ``actors`` (capability, position, salience,
            posture, controller), ``blocs``, ``issues`` (state), ``channels`` (status, staff,
            effectiveness), ``theatres``, ``tension`` and ``alignment`` (nested dicts by id),
            ``pending`` proposals and ``motions``.
        """
        w = self.world
        e = self._effectiveness()
        return {
            "scenario": self.scenario.name,
            "turn": self.turn,
            "date": self.date(),
            "end_state": self.end_state,
            "actors": {
                a: {
                    "name": self.actors[i].name,
                    "capability": _r(w.capability[i], 6),
                    "position": {x: _r(self.position[i, k], 6) for k, x in enumerate(w.issue_ids)},
                    "salience": {x: _r(self.salience[i, k], 6) for k, x in enumerate(w.issue_ids)},
                    "posture": {t: _r(self.posture[i, k], 6) for k, t in enumerate(w.theatre_ids) if w.present[i, k]},
                    "controller": "human" if a in self.humans else "ai",
                }
                for i, a in enumerate(w.actor_ids)
            },
            "blocs": {b: {"members": [a for i, a in enumerate(w.actor_ids) if self.members[k, i]], "rule": self.scenario.blocs[b].rule} for k, b in enumerate(w.bloc_ids)},
            "issues": {x: {"state": _r(self.issue_state[k], 6), "label": self.scenario.issues[x].label} for k, x in enumerate(w.issue_ids)},
            "channels": {
                c: {
                    "kind": self.scenario.channels[c].kind,
                    "endpoints": list(self.scenario.channels[c].endpoints),
                    "status": STATUS_NAMES[self.status[k]],
                    "staff": _r(self.staff[k], 3),
                    "staff_baseline": _r(w.ch_baseline[k], 3),
                    "effectiveness": _r(e[k], 6),
                    "event_only": bool(w.ch_event_only[k]),
                }
                for k, c in enumerate(w.channel_ids)
            },
            "theatres": {t: {"present": [a for i, a in enumerate(w.actor_ids) if w.present[i, k]]} for k, t in enumerate(w.theatre_ids)},
            "tension": {a: {b: _r(self.tension[i, j], 6) for j, b in enumerate(w.actor_ids) if j != i} for i, a in enumerate(w.actor_ids)},
            "alignment": {a: {b: _r(self.alignment[i, j], 6) for j, b in enumerate(w.actor_ids) if j != i} for i, a in enumerate(w.actor_ids)},
            "pending": {h: [dict(p) for p in ps] for h, ps in self.pending.items()},
            "motions": [{"bloc": w.bloc_ids[mo["bloc"]], "candidate": w.actor_ids[mo["candidate"]], "issue": w.issue_ids[mo["issue"]]} for mo in self.motions],
            "totals": dict(self.totals),
        }

    # ------------------------------------------------------------------ persistence
    STATE_VERSION = 1
    _ARRAYS = ("position", "salience", "issue_state", "posture", "tension", "alignment", "status", "staff", "members", "grievance", "goodwill")

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume this run exactly, as plain JSON-ready data.

        Returns:
            A dict with ``state_version``, the changing arrays (as nested lists), the turn log,
            pending proposals and motions, counters and the generator's state. Floats are kept
            exact (JSON round-trips Python floats without loss).
        """
        rnd = self.random.getstate()
        return {
            "state_version": self.STATE_VERSION,
            "scenario": self.scenario.name,
            "seed": self.seed_value,
            "turn": self.turn,
            "horizon": self.horizon,
            "humans": sorted(self.humans),
            "reasons": self.reasons,
            "end_state": self.end_state,
            "running": self.running,
            "calm_turns": self.calm_turns,
            "arrays": {k: getattr(self, k).tolist() for k in self._ARRAYS},
            "red_line_armed": list(self.red_line_armed),
            "motions": [{**mo, "votes": {str(k): v for k, v in mo["votes"].items()}} for mo in self.motions],
            "rebuffs": [[b, c, v] for (b, c), v in self.rebuffs.items()],
            "pending": self.pending,
            "injected": [e.model_dump(mode="json") for e in self.injected],
            "totals": dict(self.totals),
            "peak_tension": dict(self.peak_tension),
            "log": self.log,
            "collected": self.datacollector.model_vars.get("outcomes", []),
            "rng": self.rng.bit_generator.state,
            "random": [rnd[0], list(rnd[1]), rnd[2]],
            "steps": self.steps,
        }

    @classmethod
    def from_state(cls, scenario: Scenario, state: dict[str, Any]) -> GreatPowerModel:
        """Rebuild a model from :meth:`to_state` output; stepping it continues the run exactly.

        Raises:
            ValueError: a state of another version, of another scenario, or with arrays whose
                shapes do not fit the scenario.
        """
        if not isinstance(state, dict) or state.get("state_version") != cls.STATE_VERSION:
            raise ValueError(f"not a model state of version {cls.STATE_VERSION}")
        if state.get("scenario") != scenario.name:
            raise ValueError(f"the state is of scenario {state.get('scenario')!r}, not {scenario.name!r}")
        m = cls(scenario, seed=state["seed"], turns=state["horizon"], humans=state["humans"], reasons=state["reasons"])
        for k in cls._ARRAYS:
            cur = getattr(m, k)
            new = np.array(state["arrays"][k], dtype=cur.dtype)
            if new.shape != cur.shape:
                raise ValueError(f"array {k} has shape {new.shape}, expected {cur.shape}")
            setattr(m, k, new)
        m.turn = int(state["turn"])
        m.end_state = state["end_state"]
        m.running = bool(state["running"])
        m.calm_turns = int(state["calm_turns"])
        m.red_line_armed = [bool(x) for x in state["red_line_armed"]]
        m.motions = [{**mo, "votes": {int(k): v for k, v in mo["votes"].items()}} for mo in state["motions"]]
        m.rebuffs = {(int(b), int(c)): int(v) for b, c, v in state["rebuffs"]}
        m.pending = {h: [dict(p) for p in ps] for h, ps in state["pending"].items()}
        m.injected = [EventSpec.model_validate(e) for e in state["injected"]]
        m.totals = dict(state["totals"])
        m.peak_tension = dict(state["peak_tension"])
        m.log = list(state["log"])
        m.datacollector.model_vars["outcomes"] = list(state["collected"])
        m.rng.bit_generator.state = state["rng"]
        r = state["random"]
        m.random.setstate((r[0], tuple(r[1]), r[2]))
        m.steps = state["steps"]
        m._rebuild_membership()
        m._perceive()
        return m


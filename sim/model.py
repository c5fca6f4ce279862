"""``GreatPowerModel``: one turn in six phases (docs/model.md section 3).

The model owns the run's :class:`~sim.state.State` and orchestrates the phase functions of
:mod:`sim.phases`, each a module of plain functions over the world's arrays and the generator
handed in:

1. Perceive (:mod:`sim.phases.perceive`): threat from others' posture in shared theatres and
   tension; factions (F9); the US Pacific burden discounts the salience of European issues
   (F11); the value and cost of every channel.
2. Decide (:mod:`sim.phases.decide`, :mod:`sim.policy`): AI actors propose where their expected
   utility of a challenge is positive, best first, and draw other actions from a softmax of
   their one-turn utility gain; human actors use what was submitted. Actions are carried out
   in a seeded shuffled order (:mod:`sim.phases.act`).
3. Bargain (:mod:`sim.phases.bargain`): proposals over open channels are resolved by the
   expected-utility kernel (:mod:`sim.kernel`); a bloc answers by its rule.
4. Military (:mod:`sim.phases.military`): incidents drawn per theatre and hostile pair; open
   deconfliction channels cut the chance that an incident escalates into a crisis (F2); a
   crisis may become an armed clash.
5. Decide collectively (:mod:`sim.phases.collective`): accession motions pass by the bloc's
   rule; red lines crossed trigger their owners' responses (F7).
6. Update (:mod:`sim.phases.update`): tension and alignment; issue states move toward what
   their deciders agree, by at most the issue's inertia; the turn is recorded; the end is checked.
   Then what the next turn's choices see (channel values, effectiveness) is perceived again from
   the end-of-turn state, and a summit's fully effective channel ends with its turn.

Every array is indexed in sorted-id order (:func:`sim.world.canonical`), so the order of a
scenario file's entries never changes a result.

The model is pure: no pygame, no printing, no files. All randomness comes from ``self.rng``,
seeded by the ``seed`` argument (Mesa's ``rng``).
"""

from __future__ import annotations

import reprlib
import weakref
from typing import Any

import mesa
import numpy as np

from sim import policy
from sim.actions import ANSWERS, Action
from sim.agents import Bloc, StateActor
from sim.channels import OPEN, STATUS_NAMES
from sim.phases import act, bargain, collective, decide, events, force, military, perceive, update
from sim.phases.decide import rnd as _r
from sim.schema import EventSpec, Scenario, flatten_dynamics
from sim.state import END_STATES, State, Turn
from sim.world import World, compile_world, initial_arrays

__all__ = ["END_STATES", "TOTALS", "GreatPowerModel"]

TOTALS = ("incidents", "crises", "agreements", "conflicts", "disputes", "expulsions", "closures", "patrols", "vetoes", "force", "red_lines")
"""The run's counters (``totals`` of :meth:`GreatPowerModel.snapshot`, and per-turn outcomes):
``conflicts`` counts talks that ended without agreement (the kernel's conflicts, i.e. disputes,
its stalemates, and blocs' rejections); ``disputes`` the kernel's conflicts alone; ``force``
uses of force (deliberate); ``red_lines`` red lines crossed."""

_WORLDS: dict[int, tuple[weakref.ref, Any]] = {}
"""The compiled :class:`~sim.world.World` of each scenario object in use, by ``id`` (a sweep or a
benchmark builds many models of one scenario; a scenario, holding dicts, cannot be hashed); an
entry goes when its scenario is freed. The world's arrays are read only, so no model can change
another's."""


def world_of(scenario: Scenario):
    """:func:`sim.world.compile_world` of ``scenario``, compiled once per scenario object.

    The scenario is frozen, so its world never changes; the world's arrays are made read only.
    """
    key = id(scenario)
    entry = _WORLDS.get(key)
    if entry is not None and entry[0]() is scenario:
        return entry[1]
    w = compile_world(scenario)
    for value in vars(w).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    _WORLDS[key] = (weakref.ref(scenario, lambda _ref, key=key: _WORLDS.pop(key, None)), w)
    return w


class _Outcomes(dict):
    """A turn's outcome figures (:meth:`GreatPowerModel.outcomes`) as handed to Mesa's
    DataCollector, which deep-copies what a reporter names: its values are numbers, strings and
    ``None``, so a plain shallow copy is already a deep one (and skips a call per key)."""

    def __deepcopy__(self, memo) -> dict:
        # copy.deepcopy then keeps this object alive in ``memo[id(memo)]``: the list made here
        # spares it the KeyError (about 4 us a turn) of making it there
        memo.setdefault(id(memo), [])
        return dict(self)


def _forward(name: str) -> property:
    def get(self):
        return getattr(self.state, name)

    def put(self, value):
        setattr(self.state, name, value)

    return property(get, put, doc=f"The run's ``{name}`` (:class:`sim.state.State`).")


def as_seed(seed: Any) -> int | None:
    """A seed as the one Python ``int`` both generators are built from (``None`` stays ``None``).

    Mesa seeds ``model.rng`` with ``numpy.random.default_rng(seed)`` and ``model.random`` with
    ``random.Random(seed)``; the latter refuses a numpy integer and Mesa then draws another seed,
    so ``numpy.uint64(s)`` (as read from ``runs.parquet``) would give another run than ``s``.

    Raises:
        TypeError: not a whole number (a bool, a float, text).
        ValueError: a negative number.
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"a seed is a whole number, got {type(seed).__name__}")
    value = int(seed)
    if value < 0:
        raise ValueError(f"a seed is >= 0, got {value}")
    return value


class GreatPowerModel(mesa.Model):
    """The great-power bargaining model (docs/model.md, sections 2-7).

    Args:
        scenario: a validated :class:`~sim.schema.Scenario`, or a path to a scenario file.
        seed: whole-number seed >= 0 of the model's generators, a Python or numpy integer (a
            sweep writes seeds up to 2**64 - 1); ``None``: fresh entropy. See :func:`as_seed`.
        turns: horizon override (default: the scenario's ``turns``).
        humans: ids of human-controlled actors (default: those with ``controller: human``).
        reasons: record each AI decision's alternatives and terms in the turn log.

    Raises:
        sim.loader.ScenarioError: ``scenario`` is a path to an invalid file.
        ValueError: an unknown id in ``humans``, or a negative seed.
        TypeError: a seed that is not a whole number.
    """

    # Mesa 3.5 gives ``mesa.Model`` a ``scenario`` property for its own experimental Scenario
    # class (its setter writes ``scenario.model``); here ``scenario`` is the project's validated,
    # frozen Scenario, so this class keeps it as a plain attribute of its own.
    @property
    def scenario(self) -> Scenario:
        """The validated :class:`~sim.schema.Scenario` this model runs."""
        return self.__dict__["_gp_scenario"]

    @scenario.setter
    def scenario(self, value) -> None:
        self.__dict__["_gp_scenario"] = value

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
        seed = as_seed(seed)
        super().__init__(rng=seed)
        self.seed_value = seed
        self.world = w = world_of(scenario)
        self.scenario = scenario = w.scenario  # ids and lists in sorted order (sim.world.canonical)
        self.horizon = int(turns if turns is not None else scenario.turns)
        self.reasons = reasons
        if humans is None:
            humans = [a for a, s in scenario.actors.items() if s.controller == "human"]
        unknown = [h for h in humans if h not in w.actor_ids]
        if unknown:
            raise ValueError(f"unknown actor id(s) for human control: {', '.join(unknown)}")
        self.humans = set(humans)
        self.ai_mask = np.array([a not in self.humans for a in w.actor_ids])
        self.dyn = flatten_dynamics(scenario.dynamics)
        self.temperature = float(scenario.ai.temperature.value)
        self.q, self.t = float(scenario.ai.q.value), float(scenario.ai.t.value)

        arr = initial_arrays(w)
        self.state = State(
            position=arr["position"],
            ideal=arr["position"].copy(),  # the scenario's ideal points (fixed)
            salience=arr["salience"],
            issue_state=arr["issue_state"],
            posture=arr["posture"],
            tension=arr["tension"],
            alignment=arr["alignment"],
            status=arr["status"],
            staff=arr["staff"],
            members=w.members.copy(),
            grievance=np.zeros((w.n, w.n)),
            goodwill=np.zeros((w.n, w.n)),
            red_line_armed=[True] * len(w.red_lines),
            pending={h: [] for h in sorted(self.humans)},
            totals={k: 0 for k in TOTALS},
        )
        self.submitted: dict[str, list[Action]] = {}
        self.summits: tuple[int, ...] = ()  # this turn's summit channels (open only in their turn)
        self.injected: list[EventSpec] = []
        self.turn = 0
        self.calm_turns = 0
        self.peak_tension = self._gp_tension()
        self.log: list[dict] = []
        self.structure = perceive.structure(w, self.state.members)

        self.actors = [StateActor(self, a, scenario.actors[a].name, i) for i, a in enumerate(w.actor_ids)]
        self.blocs = [Bloc(self, b, k) for k, b in enumerate(w.bloc_ids)]
        self.datacollector = mesa.DataCollector(model_reporters={"outcomes": "_outcomes_now"})  # by name: a model pickles
        self.running = True
        self._perceive()
        self._outcomes_now = _Outcomes(self.outcomes())
        self.datacollector.collect(self)

    # the run's state, read and written through the model (the front end, tests, saves)
    position = _forward("position")
    ideal = _forward("ideal")
    salience = _forward("salience")
    issue_state = _forward("issue_state")
    posture = _forward("posture")
    tension = _forward("tension")
    alignment = _forward("alignment")
    status = _forward("status")
    staff = _forward("staff")
    members = _forward("members")
    grievance = _forward("grievance")
    goodwill = _forward("goodwill")
    red_line_armed = _forward("red_line_armed")
    motions = _forward("motions")
    rebuffs = _forward("rebuffs")
    pending = _forward("pending")
    totals = _forward("totals")
    end_state = _forward("end_state")
    rebuff = _forward("rebuff")
    patrolled = _forward("patrolled")
    vetoed = _forward("vetoed")

    # ------------------------------------------------------------------ helpers
    _PERCEIVED = ("tension", "posture", "salience", "staff", "status", "issue_state")
    """The state arrays that perception reads (:func:`sim.phases.perceive.perceive`)."""

    def _perceive(self, summits: tuple[int, ...] = ()) -> None:
        """Phase 1 (:func:`sim.phases.perceive.perceive`): store this turn's perception.

        Perception is a pure function of the world, the structure, ``dyn``, the summits and the
        state arrays in :data:`_PERCEIVED`; when none of them changed since the last perception
        (a turn without events starts from the state the last turn ended in), that perception
        is kept rather than computed again. "Not changed" is compared byte for byte: the same
        bytes are the same numbers, so a kept perception is the one a new computation gives.
        """
        st = self.state
        now = b"".join([getattr(st, k).tobytes() for k in self._PERCEIVED])
        seen = getattr(self, "_perceived", None)
        if (
            seen is not None
            and seen[0] is self.structure
            and seen[1] == summits
            and seen[2] == self.dyn
            and seen[3] == now
            and seen[4] == self.perception.effectiveness.tobytes()
        ):
            return
        self.perception = perceive.perceive(self.world, st, self.structure, self.dyn, summits)
        self._perceived = (self.structure, summits, dict(self.dyn), now, self.perception.effectiveness.tobytes())

    @property
    def effectiveness(self) -> np.ndarray:
        """(K,) channel effectiveness as last perceived, in [0, 1]."""
        return self.perception.effectiveness

    def policy_view(self, challenges: decide.Challenges | None = None) -> decide.PolicyView:
        """What the AI policy's scorers read now (:mod:`sim.policy`)."""
        return decide.PolicyView(self.world, self.state, self.perception, self.structure, self.dyn, self.ai_mask, challenges)

    def challenges(self) -> decide.Challenges:
        """The kernel's view of every challenge now (:func:`sim.phases.decide.challenges`)."""
        ai = self.scenario.ai
        return decide.challenges(self.world, self.state, self.perception, self.structure, self.q, self.t, ai.risk_model == "endogenous", ai.proposals_per_turn, float(ai.proposal_cost.value))

    def _gp_pairs(self) -> tuple[list[str], list[tuple[int, int]]]:
        """Keys ``"A-B"`` and indices ``(i, j)`` of every pair of great powers (fixed by the world)."""
        pairs = self.__dict__.get("_gp_pair_list_of")
        if pairs is None or pairs[0] is not self.world:
            w, gp = self.world, self.world.great_powers
            ij = [(int(gp[x]), int(gp[y])) for x in range(len(gp)) for y in range(x + 1, len(gp))]
            keys = [f"{w.actor_ids[i]}-{w.actor_ids[j]}" for i, j in ij]
            pairs = self.__dict__["_gp_pair_list_of"] = (self.world, keys, ij)
        return pairs[1], pairs[2]

    def _gp_tension(self) -> dict[str, float]:
        keys, ij = self._gp_pairs()
        t = self.state.tension
        return dict(zip(keys, [t.item(i, j) for i, j in ij]))

    def motion_pending(self, bloc: int, cand: int) -> bool:
        """Whether an accession motion for ``cand`` in ``bloc`` awaits its vote."""
        return self.state.motion_pending(bloc, cand)

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
        view = self.policy_view()  # no use_force from the scorers: listed below, all of them
        cand = policy.concat([b for f in policy.SCORERS for b in f(view, only)])
        out = [decide.to_action(w, cand, r) for r in range(len(cand.actor))]
        if self.dyn["channels.consent"] > 0:  # a host's consent to reopening a channel it hosts
            for k in np.flatnonzero((w.ch_host == i) & (w.ch_sender != i) & (self.state.status != OPEN) & ~w.ch_event_only):
                out.append(Action("open_channel", actor_id, channel=w.channel_ids[k]))
        if self.dyn["force.enabled"] > 0:  # against any state present with it that has a say it wants changed
            ch = self.challenges()
            bv = force.bargaining_value(w, self.state, ch.score, w.m)
            opt = force.options(w, self.state, self.structure.deciders, ch.forecast, self.perception.salience_eff, bv, self.dyn, only, every=True)
            for j, t in sorted(zip(opt.target.tolist(), opt.theatre.tolist())):
                out.append(Action("use_force", actor_id, target=w.actor_ids[j], theatre=w.theatre_ids[t]))
        eff, chan = perceive.routes(w, self.structure, self.perception.effectiveness)
        pos = self.state.position
        for k in range(w.m):
            for j in range(w.n):
                if j != i and eff[k, i, j] > 0 and pos[i, k] != pos[j, k]:
                    out.append(Action("propose", actor_id, issue=w.issue_ids[k], target=w.actor_ids[j], channel=decide.chan_name(w, self.state.members, chan[k, i, j], i, j, k)))
        for p in self.state.pending.get(actor_id, []):
            if p.get("reopen"):  # a request to reopen a channel this team hosts
                out += [Action("answer", actor_id, target=p["from"], channel=p["channel"], choice=c) for c in ("accept", "reject")]
                continue
            for c in ANSWERS:
                out.append(Action("answer", actor_id, issue=p["issue"], target=p["from"], choice=c))
        for mo in self.state.motions:
            if self.state.members[mo["bloc"], i]:
                for c in ("yes", "no"):
                    out.append(Action("vote", actor_id, bloc=w.bloc_ids[mo["bloc"]], issue=w.issue_ids[mo["issue"]], choice=c))
        return out

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
            ValueError: it names an unknown actor, channel, theatre or issue, or it is a summit
                over a channel that does not join its two states.
        """
        ev = event if isinstance(event, EventSpec) else EventSpec.model_validate({"turn": self.turn + 1, **event})
        w = self.world
        for ref, pool in ((ev.actor, w.actor_ids), (ev.channel, w.channel_ids), (ev.theatre, w.theatre_ids), (ev.issue, w.issue_ids)):
            if ref is not None and ref not in pool:
                raise ValueError(f"unknown id {ref!r} in event")
        for a in ev.actors:
            if a not in w.actor_ids:
                raise ValueError(f"unknown actor {a!r} in event")
        if ev.kind == "summit" and ev.channel is not None:
            ends = list(self.scenario.channels[ev.channel].endpoints)
            if set(ends) != set(ev.actors):
                raise ValueError(
                    f"a summit between {' and '.join(ev.actors) or 'no states'} cannot be held over channel "
                    f"{ev.channel!r}, which joins {' and '.join(ends)}: choose a channel joining the two states, or none"
                )
        self.injected.append(ev)

    # ------------------------------------------------------------------ the turn
    def step(self) -> None:
        """Run one turn (one month unless the scenario says otherwise)."""
        if not self.running:
            return
        self.turn += 1
        w, st, dyn, rng, ai = self.world, self.state, self.dyn, self.rng, self.scenario.ai
        turn = Turn(events=[], tension_delta=np.zeros(st.tension.shape))
        evs = [e for e in self.scenario.events if e.turn == self.turn] + self.injected
        self.injected = []
        turn.summits = events.apply_events(w, st, turn, self.structure, self.perception.effectiveness, dyn, rng, evs)
        # 1. perceive
        self._perceive(turn.summits)
        per = self.perception
        # 2. decide
        ch = self.challenges()
        if dyn["force.enabled"] > 0:  # this turn's misjudgements of the balance (sim.phases.force)
            ch.misperception = dyn["force.misperception"] * rng.standard_normal((w.n, w.n))
        proposals = decide.ai_proposals(w, ch, self.ai_mask, ai.proposals_per_turn)
        decisions = decide.ai_actions(self.policy_view(ch), ai.actions_per_turn, self.temperature, rng, self.reasons)
        if self.reasons:
            turn.events += decide.proposal_reasons(w, st, per, proposals, ch)
        h_dec, h_prop = decide.human_actions(w, ch, self.submitted, turn)
        decisions += h_dec
        proposals += h_prop
        self.submitted = {}
        humans = frozenset(w.actor_ids.index(h) for h in self.humans) if self.humans else frozenset()
        act.carry_out(w, st, turn, self.structure, per, dyn, rng, decisions, self.turn, ch, humans)
        per.effectiveness = perceive.channel_effectiveness(w, st.staff, st.status, turn.summits)  # channels may have closed or lost staff
        # 3. bargain
        bargain.bargain(w, st, turn, self.structure, per, dyn, rng, ch.eu, proposals, self.humans)
        # 4. military
        military.incidents(w, st, turn, self.structure, per.effectiveness, dyn, rng)
        # 5. decide collectively
        if collective.vote_motions(w, st, turn, self.humans, self.turn, dyn):
            self.structure = perceive.structure(w, st.members)
        collective.check_red_lines(w, st, turn)
        # 6. update
        update.relations(w, st, turn, per.threat_perc, dyn, anchor=True)  # then anchor_positions
        update.issue_states(w, st, turn, self.structure.deciders, dyn, st.vetoed)
        update.staffing_caps(w, st)
        applied, fired = turn.tension_delta.copy(), st.totals.get("red_lines", 0)
        collective.check_red_lines(w, st, turn)
        if st.totals.get("red_lines", 0) != fired:  # only a red line's response changes tension here
            update.late_tension(st, turn.tension_delta - applied)  # a red line crossed in this update
        update.decay_memory(st, dyn)
        self._check_end(turn)
        # Between turns the model shows the state at the end of this turn, derived from what
        # to_state saves and nothing else: a summit lasts its turn, and what the next choices
        # see (channel values, effectiveness) is recomputed, so a saved game loads and plays on
        # exactly as the unsaved one.
        self.summits = ()
        self._perceive()
        summary = self.outcomes()
        self._outcomes_now = _Outcomes(summary)
        self.log.append({"turn": self.turn, "date": self.date(), "events": turn.events, "summary": summary})
        # through Mesa's own collect, not by appending to model_vars: Mesa 3.5's batch_run finds
        # a step's record by the steps collect() notes (appending alone left it only turn 0)
        self.datacollector.collect(self)

    def _check_end(self, turn: Turn) -> None:
        """Peak tensions; the end (armed clash, grand bargain, horizon)."""
        st, d = self.state, self.dyn
        gp = self._gp_tension()
        for key, v in gp.items():
            self.peak_tension[key] = max(self.peak_tension.get(key, 0.0), v)
        if st.end_state == "running":
            if gp and max(gp.values()) < d["grand_bargain_tension"]:
                self.calm_turns += 1
            else:
                self.calm_turns = 0
            if self.calm_turns >= int(self.scenario.dynamics.grand_bargain_turns):
                st.end_state = "grand_bargain"
            elif self.turn >= self.horizon:
                st.end_state = "horizon"
        if st.end_state != "running":
            self.running = False
            turn.log({"type": "end", "state": st.end_state, **({"cause": st.end_cause} if st.end_cause else {})})
            # Mesa 3.3 keeps every model that made an agent in a class-level id counter
            # (mesa.Agent._ids; Mesa issue 3179): let a finished model be freed
            ids = getattr(mesa.Agent, "_ids", None)
            if isinstance(ids, dict):
                ids.pop(self, None)

    def date(self, turn: int | None = None) -> str:
        """Calendar month ``YYYY-MM`` of a turn (turn 0 is the start month)."""
        t = self.turn if turn is None else turn
        start = self.__dict__.get("_start_of")
        if start is None or start[0] is not self.scenario:  # the start month and step, read once
            y, mth = map(int, self.scenario.start.split("-"))
            start = self.__dict__["_start_of"] = (self.scenario, y, mth, self.scenario.turn_months)
        _sc, y, mth, months = start
        k = (mth - 1) + t * months
        return f"{y + k // 12:04d}-{k % 12 + 1:02d}"

    # ------------------------------------------------------------------ outputs
    def outcomes(self) -> dict[str, Any]:
        """Per-turn outcome figures (what the DataCollector records each turn)."""
        st = self.state
        keys, ij, ri, rj = self._outcome_keys()
        totals, t = st.totals, st.tension
        values = [self.turn, st.end_state, st.end_cause, st.status.tolist().count(OPEN)]
        values += [int(totals.get(k, 0)) for k in TOTALS]
        values += [round(v, 6) for v in st.issue_state.tolist()]
        values += [round(t.item(i, j), 6) for i, j in ij]
        if ri is not None:
            values.append(round(st.alignment.item(ri, rj), 6))
        return dict(zip(keys, values))

    def _outcome_keys(self) -> tuple:
        """The keys of :meth:`outcomes` in their order (``turn``, ``end_state``, ``end_cause``,
        ``channels_open``, :data:`TOTALS`, ``issue.X``, ``tension.A-B``, ``alignment.CHN-RUS``),
        the great-power pairs ``(i, j)``, and the indices of RUS and CHN (``None`` without
        either), fixed by the world."""
        keys = self.__dict__.get("_outcome_order_of")
        if keys is None or keys[0] is not self.world:
            w = self.world
            names, ij = self._gp_pairs()
            rus = w.actor_ids.index("RUS") if "RUS" in w.actor_ids else None
            chn = w.actor_ids.index("CHN") if "CHN" in w.actor_ids else None
            both = rus is not None and chn is not None
            order = ("turn", "end_state", "end_cause", "channels_open", *TOTALS, *(f"issue.{x}" for x in w.issue_ids), *(f"tension.{key}" for key in names))
            keys = self.__dict__["_outcome_order_of"] = (
                w,
                order + (("alignment.CHN-RUS",) if both else ()),
                ij,
                rus if both else None,
                chn if both else None,
            )
        return keys[1:]

    def snapshot(self) -> dict[str, Any]:
        """The whole visible state as plain data (lists, dicts, floats, strings).

        Returns:
            ``turn`` (months played), ``horizon`` (the last month), ``date``, ``end_state``,
            ``actors`` (capability, position, salience,
            posture, controller), ``blocs``, ``issues`` (state), ``channels`` (status, staff,
            effectiveness), ``theatres``, ``tension`` and ``alignment`` (nested dicts by id),
            ``pending`` proposals and ``motions``.
        """
        w = self.world
        e = perceive.channel_effectiveness(w, self.state.staff, self.state.status, self.summits)
        return {
            "scenario": self.scenario.name,
            "turn": self.turn,
            "horizon": self.horizon,
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
    STATE_VERSION = 2
    """2: arrays in sorted-id order (1: in the order of the scenario file)."""
    _ARRAYS = ("position", "salience", "issue_state", "posture", "tension", "alignment", "status", "staff", "members", "grievance", "goodwill", "rebuff", "patrolled", "vetoed")

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
            "end_cause": self.state.end_cause,
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
            if k not in state["arrays"]:
                continue  # a state saved before this array existed: it starts empty
            cur = getattr(m, k)
            new = np.array(state["arrays"][k], dtype=cur.dtype)
            if new.shape != cur.shape:
                raise ValueError(f"array {k} has shape {new.shape}, expected {cur.shape}")
            setattr(m, k, new)
        m.turn = int(state["turn"])
        m.end_state = state["end_state"]
        m.state.end_cause = state.get("end_cause", "")
        m.running = bool(state["running"])
        m.calm_turns = int(state["calm_turns"])
        armed = [bool(x) for x in state["red_line_armed"]]
        if len(armed) != len(m.red_line_armed):
            raise ValueError(f"red_line_armed has {len(armed)} entries, expected {len(m.red_line_armed)} (one per red line)")
        m.red_line_armed = armed
        m.motions = _restored_motions(m.world, state["motions"])
        m.rebuffs = _restored_rebuffs(m.world, state["rebuffs"])
        m.pending = _restored_pending(m.world, m.humans, state["pending"])
        m.injected = [EventSpec.model_validate(e) for e in state["injected"]]
        m.totals = dict(state["totals"])
        peak = state["peak_tension"]
        if not (isinstance(peak, dict) and set(peak) == set(m.peak_tension) and all(_number(v) for v in peak.values())):
            raise ValueError(f"peak_tension is not a finite number for each pair of great powers ({', '.join(m.peak_tension) or 'none'})")
        m.peak_tension = dict(peak)
        m.log = list(state["log"])
        m.datacollector.model_vars["outcomes"] = list(state["collected"])
        m.rng.bit_generator.state = state["rng"]
        r = state["random"]
        m.random.setstate((r[0], tuple(r[1]), r[2]))
        if type(state["steps"]) is not int or state["steps"] < 0:
            raise ValueError(f"steps is {reprlib.repr(state['steps'])}, not a whole number of steps")
        m.steps = state["steps"]
        m.structure = perceive.structure(m.world, m.state.members)
        m._perceive()
        return m


def _whole(x: Any) -> bool:
    return type(x) is int


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x))


def _restored_pending(w: World, humans: set[str], saved: Any) -> dict[str, list[dict]]:
    """The pending proposals and reopening requests of a saved state, checked against the world.

    Each human team's list holds proposals made to it (``from``, ``issue``, ``position`` in
    [0, 1], ``eu``, ``eff``, ``expected_win``, ``age``; ``answer`` if answered) and requests to
    reopen a channel it hosts (``from``, ``channel``, ``issue: ""``, ``reopen: true``, ``age``),
    as :mod:`sim.phases.bargain` and :func:`sim.phases.act.ask_host` make them.

    Returns:
        ``{human id: [entry, ...]}`` with every human team present (an empty list if none).

    Raises:
        ValueError: a team that is not human, an entry of another shape, or an id that is not
            the world's; the message names the team and the entry's index.
    """
    if not isinstance(saved, dict):
        raise ValueError("pending is not a mapping of human teams to their proposals")
    out: dict[str, list[dict]] = {h: [] for h in sorted(humans)}
    for h, entries in saved.items():
        if h not in humans:
            raise ValueError(f"pending holds proposals to {reprlib.repr(h)}, which is not a human team of the game")
        if not isinstance(entries, list):
            raise ValueError(f"pending[{h!r}] is not a list of proposals")
        for n, p in enumerate(entries):
            where = f"pending[{h!r}][{n}]"
            if not isinstance(p, dict):
                raise ValueError(f"{where} is not an object")
            if p.get("from") not in w.actor_ids or p["from"] == h:
                raise ValueError(f"{where}: from is {reprlib.repr(p.get('from'))}, not another actor of the scenario")
            if "age" in p and not (_whole(p["age"]) and p["age"] >= 0):
                raise ValueError(f"{where}: age is {reprlib.repr(p['age'])}, not a whole number of turns")
            reopen = p.get("reopen", False)
            if not isinstance(reopen, bool):
                raise ValueError(f"{where}: reopen is {reprlib.repr(reopen)}, not true or false")
            if reopen:
                ch = p.get("channel")
                if ch not in w.channel_ids:
                    raise ValueError(f"{where}: a request to reopen {reprlib.repr(ch)}, which is not a channel of the scenario")
                if w.ch_host[w.channel_ids.index(ch)] != w.actor_ids.index(h):
                    raise ValueError(f"{where}: a request to reopen {ch}, which {h} does not host")
                if p.get("issue", "") != "" or "answer" in p:
                    raise ValueError(f"{where}: a request to reopen a channel has no issue and no answer")
            else:
                if p.get("issue") not in w.issue_ids:
                    raise ValueError(f"{where}: issue is {reprlib.repr(p.get('issue'))}, not an issue of the scenario")
                pos = p.get("position")
                if not (_number(pos) and 0.0 <= pos <= 1.0):
                    raise ValueError(f"{where}: position is {reprlib.repr(pos)}, not a number from 0 to 1")
                for key in ("eu", "eff"):
                    if not _number(p.get(key)):
                        raise ValueError(f"{where}: {key} is {reprlib.repr(p.get(key))}, not a finite number")
                if not isinstance(p.get("expected_win"), bool):
                    raise ValueError(f"{where}: expected_win is {reprlib.repr(p.get('expected_win'))}, not true or false")
                if "answer" in p and p["answer"] not in ANSWERS:
                    raise ValueError(f"{where}: answer is {reprlib.repr(p['answer'])}, not one of {', '.join(ANSWERS)}")
            out[h].append(dict(p))
    return out


def _restored_motions(w: World, saved: Any) -> list[dict]:
    """The pending accession motions of a saved state (``bloc``, ``candidate``, ``issue`` as
    indices, ``votes`` by member index, ``turn``), checked against the world.

    Raises:
        ValueError: a motion of another shape or an index out of range (names the motion).
    """
    if not isinstance(saved, list):
        raise ValueError("motions is not a list")
    out = []
    for n, mo in enumerate(saved):
        ok = isinstance(mo, dict) and all(_whole(mo.get(k)) for k in ("bloc", "candidate", "issue", "turn")) and isinstance(mo.get("votes"), dict)
        ok = ok and mo["issue"] in w.accession and w.accession[mo["issue"]] == (mo["bloc"], mo["candidate"])
        if not ok:
            raise ValueError(f"motions[{n}] is not an accession motion of the scenario")
        votes = {}
        for k, v in mo["votes"].items():
            if not (isinstance(k, str) and k.isascii() and k.isdigit() and len(k) < 6 and int(k) < w.n and isinstance(v, bool)):
                raise ValueError(f"motions[{n}]: a vote is not a member's index with true or false")
            votes[int(k)] = v
        out.append({**mo, "votes": votes})
    return out


def _restored_rebuffs(w: World, saved: Any) -> dict[tuple[int, int], int]:
    """The rebuffed applications of a saved state, ``[[bloc, candidate, count], ...]``, checked.

    Raises:
        ValueError: an entry that is not three whole numbers in range.
    """
    if not isinstance(saved, list):
        raise ValueError("rebuffs is not a list")
    out = {}
    for n, r in enumerate(saved):
        if not (isinstance(r, list) and len(r) == 3 and all(_whole(x) for x in r) and 0 <= r[0] < len(w.bloc_ids) and 0 <= r[1] < w.n and r[2] >= 0):
            raise ValueError(f"rebuffs[{n}] is not [bloc, candidate, count] of the scenario")
        out[(r[0], r[1])] = r[2]
    return out

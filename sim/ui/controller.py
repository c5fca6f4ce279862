"""The game flow of the front end, without pygame: a pure, testable state machine.

Phases::

    start ──> handover ──> plan ──(End turn of the last team)──> animate ──> handover/plan ...
                 ^           │                                                     │
                 └───────────┘ (next hot-seat team)                         over (finished)
    any phase but start ──(R)──> replay ──(Esc)──> back

* ``start``: no humans chosen yet; the start screen picks the states that humans control.
* ``handover``: hot-seat only: a screen that hides everything until the next team is ready.
* ``plan``: the current human team (or, with no humans, the spectator) chooses actions from
  exactly :meth:`GreatPowerModel.legal_actions`; End turn passes to the next team, and after the
  last team every team's choice goes through :meth:`GreatPowerModel.submit` and the turn resolves.
* ``animate``: what changed is shown for ``anim_seconds`` (skippable).
* ``results``: the month's results in words; they stay until the instructor moves on
  (:meth:`GameController.dismiss_results`), before any hand-over.
* ``over``: the game has ended; replay is open.
* ``replay``: a cursor over the per-turn snapshots, forward and back.

The drawing code reads :meth:`GameController.shown_snapshot` (plain data) and the selection; it
never calls the model. Choices of a hot-seat team are kept here, not in the model, until the turn
resolves, so a save in the middle of a turn keeps them and no team sees another's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sim.actions import Action
from sim.describe import capital_first, channel_words
from sim.model import GreatPowerModel
from sim.ui import save as saves

PHASES = ("start", "handover", "plan", "animate", "results", "replay", "over")
AGREEMENT_OUTCOMES = ("compromise", "capitulation", "agreement")
ACTION_GROUPS = (
    ("answer", "Answers"),
    ("vote", "Votes"),
    ("propose", "Proposals"),
    ("channel", "Channels"),
    ("staff", "Staff"),
    ("set_posture", "Posture"),
    ("joint_patrol", "Patrols"),
    ("apply_membership", "Membership"),
    ("use_force", "Force"),
    ("pass", "Pass"),
)
"""Categories of the action menu, in menu order; every legal action falls in exactly one."""


def action_group(a: Action) -> str:
    """The menu category of an action (see :data:`ACTION_GROUPS`)."""
    if a.kind in ("open_channel", "suspend_channel", "close_channel"):
        return "channel"
    if a.kind in ("expel", "restore_staff"):
        return "staff"
    return a.kind


@dataclass(frozen=True)
class StaticView:
    """What the map needs from the scenario and never changes during a game (plain data)."""

    name: str
    actor_ids: tuple[str, ...]
    names: dict[str, str]
    capitals: dict[str, tuple[float, float, str]]
    bloc_ids: tuple[str, ...]
    bloc_names: dict[str, str]
    channel_labels: dict[str, str]
    """A channel's name as players read it: its label, or its kind and endpoints in words
    (:func:`sim.describe.channel_words`); never its code."""
    channel_endpoints: dict[str, tuple[str, str]]
    channel_kinds: dict[str, str]
    channel_issues: dict[str, tuple[str, ...]]
    channel_theatres: dict[str, tuple[str, ...]]
    theatre_names: dict[str, str]
    theatre_areas: dict[str, list[tuple[float, float]]]
    issue_labels: dict[str, str]
    issue_scales: dict[str, list[tuple[float, str]]]
    issue_staffing: dict[str, tuple[str, ...]]
    """The channels whose staff a staffing issue caps (its state x their normal staff, F14)."""
    red_lines: tuple[tuple[str, str, float], ...]
    great_powers: tuple[str, ...]
    horizon: int
    start: str

    @classmethod
    def of(cls, sc, horizon: int | None = None) -> StaticView:
        """Extract the static view of a validated scenario."""
        caps = {
            a: (s.capital.lat, s.capital.lon, s.capital.name)
            for a, s in sc.actors.items()
            if s.capital
        }
        return cls(
            name=sc.name,
            actor_ids=tuple(sc.actors),
            names={a: s.name for a, s in sc.actors.items()},
            capitals=caps,
            bloc_ids=tuple(sc.blocs),
            bloc_names={b: s.name for b, s in sc.blocs.items()},
            channel_labels={
                c: s.label or capital_first(channel_words(sc, c)) for c, s in sc.channels.items()
            },
            channel_endpoints={c: (s.endpoints[0], s.endpoints[1]) for c, s in sc.channels.items()},
            channel_kinds={c: s.kind for c, s in sc.channels.items()},
            channel_issues={c: tuple(s.issues) for c, s in sc.channels.items()},
            channel_theatres={c: tuple(s.theatres) for c, s in sc.channels.items()},
            theatre_names={t: s.name for t, s in sc.theatres.items()},
            theatre_areas={
                t: [(float(p[0]), float(p[1])) for p in s.area] for t, s in sc.theatres.items()
            },
            issue_labels={x: s.label for x, s in sc.issues.items()},
            issue_scales={
                x: sorted((float(k), v) for k, v in s.scale.items()) for x, s in sc.issues.items()
            },
            issue_staffing={x: tuple(s.staffing_channels or ()) for x, s in sc.issues.items() if s.staffing_channels},
            red_lines=tuple(
                (a, rl.issue, float(rl.threshold.value))
                for a, s in sc.actors.items()
                for rl in s.red_lines
            ),
            great_powers=tuple(sc.great_powers),
            horizon=int(horizon if horizon is not None else sc.turns),
            start=sc.start,
        )

    def level_name(self, issue: str, state: float) -> str:
        """The name of the highest scale level at or below ``state`` (``""`` if none)."""
        best = ""
        for v, name in self.issue_scales.get(issue, []):
            if v <= state + 1e-9:
                best = name
        return best


@dataclass
class TurnChanges:
    """What one turn changed, for the animation and the banner (plain data)."""

    turn: int
    incidents: list[dict] = field(default_factory=list)
    channels: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    agreements: list[dict] = field(default_factory=list)
    conflicts: int = 0
    issues: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the banner, e.g. ``Turn 3: 2 incidents (1 crisis), 1 channel closed``."""
        parts = []
        if self.incidents:
            crises = sum(1 for i in self.incidents if i.get("crisis"))
            parts.append(
                f"{len(self.incidents)} incident{'s' * (len(self.incidents) != 1)}"
                + (f" ({crises} crisis)" if crises else "")
            )
        for st in ("closed", "suspended", "open"):
            n = sum(1 for c in self.channels if c["to"] == st)
            if n:
                parts.append(f"{n} channel{'s' * (n != 1)} {'reopened' if st == 'open' else st}")
        if self.agreements:
            parts.append(f"{len(self.agreements)} agreement{'s' * (len(self.agreements) != 1)}")
        if self.staff:
            parts.append(f"{len(self.staff)} staff change{'s' * (len(self.staff) != 1)}")
        if self.issues:
            parts.append(f"{len(self.issues)} issue{'s' * (len(self.issues) != 1)} moved")
        parts.extend(self.notes)
        return f"Turn {self.turn}: " + (", ".join(parts) if parts else "a quiet month")


def changes_of(entry: dict | None, before: dict, after: dict) -> TurnChanges:
    """What changed between two snapshots, with the turn-log entry that explains it."""
    ch = TurnChanges(turn=after.get("turn", 0))
    events = entry.get("events", []) if entry else []
    for ev in events:
        t = ev.get("type")
        if t == "incident":
            ch.incidents.append(
                {
                    "theatre": ev["theatre"],
                    "actors": list(ev["actors"]),
                    "crisis": bool(ev.get("crisis")),
                    "clash": bool(ev.get("armed_clash")),
                }
            )
        elif t == "staff":
            ch.staff.append(
                {"channel": ev["channel"], "kind": ev["kind"], "persons": ev["persons"]}
            )
        elif t == "proposal" and ev.get("outcome") in AGREEMENT_OUTCOMES:
            ch.agreements.append(
                {
                    "from": ev["from"],
                    "to": ev["to"],
                    "issue": ev["issue"],
                    "channel": ev.get("channel"),
                }
            )
        elif t == "proposal" and ev.get("outcome") in ("conflict", "stalemate", "rejected"):
            ch.conflicts += 1
        elif t == "issue":
            ch.issues.append({"issue": ev["issue"], "from": ev["from"], "to": ev["to"]})
        elif t == "red_line":
            ch.notes.append(f"red line of {ev['actor']} crossed")
        elif t == "accession":
            ch.notes.append(f"{ev['member']} joins {ev['bloc']}")
        elif t == "end":
            ch.notes.append(f"game over: {ev['state'].replace('_', ' ')}")
    b, a = before.get("channels", {}), after.get("channels", {})
    for c, v in a.items():
        old = b.get(c, {}).get("status")
        if old is not None and old != v["status"]:
            by = next(
                (
                    ev.get("by")
                    for ev in events
                    if ev.get("type") == "channel" and ev.get("channel") == c
                ),
                None,
            )
            ch.channels.append({"channel": c, "from": old, "to": v["status"], "by": by})
    return ch


def _plain(x: Any) -> Any:
    """A JSON round trip, so that stored snapshots equal what a save reads back."""
    return json.loads(json.dumps(x))


class GameController:
    """Game flow, selection, hot-seat choices and the replay cursor of one game.

    Args:
        scenario: a validated scenario.
        scenario_path: where it was read from (stored in saves).
        seed: the model's seed.
        humans: ids of the human teams in hot-seat order; ``None`` opens the start screen.
        turns: horizon override.
        anim_seconds: how long the end-of-turn animation lasts.
        overrides: ``{dotted path: value}`` already applied to ``scenario`` (``play --set``);
            kept in saves so that loading applies them again.
    """

    def __init__(
        self,
        scenario,
        scenario_path: str,
        *,
        seed: int | None = 7,
        humans: list[str] | None = None,
        turns: int | None = None,
        anim_seconds: float = 1.6,
        overrides: dict | None = None,
    ):
        self.scenario = scenario
        self.overrides = dict(overrides or {})
        self.scenario_path = str(scenario_path)
        self.seed = seed
        self.turns = turns
        self.anim_seconds = anim_seconds
        self.static = StaticView.of(scenario, turns)
        self.humans: list[str] = []
        self.team_index = 0
        self.chosen: dict[str, list[Action]] = {}
        self.selection: tuple[str, str] | None = None
        self.hover: tuple[str, str] | None = None
        self.replay_cursor = 0
        self._phase_before_replay = "plan"
        self.overlay: TurnChanges | None = None
        self.overlay_t = 1.0
        self.message = ""
        self.last_resolve_s = 0.0
        self._legal_cache: tuple[tuple, list[Action]] | None = None
        self.version = 0
        """Counts changes of the game that widgets show (the selection and hover are not
        counted: the map and panels cache on them directly)."""
        self.unsaved = False
        """Whether the game has changed since it was started, saved or loaded (a turn played,
        a choice made, an instructor event queued): quitting or loading then asks first."""
        if humans is None:
            self.phase = "start"
            self.preselected = [a for a, s in scenario.actors.items() if s.controller == "human"]
            self.model = GreatPowerModel(scenario, seed=seed, turns=turns, humans=[])
            self.history = [_plain(self.model.snapshot())]
        else:
            self.preselected = list(humans)
            self.start(humans)

    # ------------------------------------------------------------------ flow
    def start(self, humans: list[str]) -> None:
        """Begin the game with these human teams (hot-seat order); ``[]`` watches the AI play.

        Raises:
            ValueError: an unknown actor id.
        """
        unknown = [h for h in humans if h not in self.static.actor_ids]
        if unknown:
            raise ValueError(
                f"unknown state(s): {', '.join(unknown)} (known: {', '.join(self.static.actor_ids)})"
            )
        self.humans = list(dict.fromkeys(humans))
        self.model = GreatPowerModel(
            self.scenario, seed=self.seed, turns=self.turns, humans=self.humans
        )
        self.history = [_plain(self.model.snapshot())]
        if self.humans:
            self.selection = ("actor", self.humans[0])
        else:
            self.selection = ("actor", (self.static.great_powers or self.static.actor_ids)[0])
        self._begin_turn()

    def _begin_turn(self) -> None:
        self.team_index = 0
        self.chosen = {h: [] for h in self.humans}
        # the legal-action cache is keyed by (turn, team): a list worked out while the month's
        # results showed (prepare_next_turn) is kept; any other is stale and replaced
        if not self.model.running:
            self.phase = "over"
        elif len(self.humans) > 1:
            self.phase = "handover"
        else:
            self.phase = "plan"
        if self.humans and self.phase in ("plan", "handover"):
            self.selection = ("actor", self.current_team)
        self.version += 1

    @property
    def current_team(self) -> str | None:
        """The human team whose turn it is (``None`` with no humans or outside a turn)."""
        if not self.humans or self.phase not in ("handover", "plan"):
            return None
        return self.humans[self.team_index]

    def team_ready(self) -> None:
        """The hand-over screen's button: the next team takes the keyboard."""
        if self.phase == "handover":
            self.phase = "plan"
            self.selection = ("actor", self.current_team)
            self.version += 1

    def _legal_of(self, team: str) -> list[Action]:
        """``model.legal_actions(team)``, cached by (turn, team): nothing a team does while
        planning changes what is legal, and a new turn or another team misses the cache."""
        key = (self.model.turn, team)
        if self._legal_cache is None or self._legal_cache[0] != key:
            self._legal_cache = (key, self.model.legal_actions(team))
        return self._legal_cache[1]

    def prepare_next_turn(self) -> list[Action]:
        """The legal actions of the team that plans next, worked out while the month's results
        or the hand-over screen show (the list :meth:`legal` then returns: nothing changes the
        model in between; loading a game drops it).

        Returns:
            That list (empty with no human team or when the game is over).
        """
        if not self.humans or not self.model.running:
            return []
        return self._legal_of(self.current_team if self.phase == "handover" else self.humans[0])

    def legal(self) -> list[Action]:
        """Exactly ``model.legal_actions`` of the current team (cached for the turn)."""
        team = self.current_team
        if team is None or self.phase != "plan":
            return []
        return self._legal_of(team)

    def menu(self) -> dict[str, list[Action]]:
        """The current team's legal actions by menu category (non-empty categories only)."""
        out: dict[str, list[Action]] = {}
        for a in self.legal():
            out.setdefault(action_group(a), []).append(a)
        return {g: out[g] for g, _ in ACTION_GROUPS if g in out}

    @property
    def action_limit(self) -> int:
        """Actions a team may choose per turn besides answers, votes and pass."""
        ai = self.scenario.ai
        return ai.actions_per_turn + ai.proposals_per_turn

    def unvoted_motions(self, team: str | None = None) -> list[Action]:
        """The votes a team's state will cast on motions the team has not voted on.

        A motion (an application to a bloc of which the team's state is a member) that the team
        leaves without a vote is cast by the rule every AI member follows
        (:func:`sim.phases.collective.vote_motions`): yes when the next accession level is
        nearer the state's vote position than the present level (``collective.proximity_voting``;
        without it, when its position reaches that level). This reads the positions as they
        stand now; talks earlier in the month can still move them before the vote.

        Returns:
            One ``vote`` :class:`Action` per motion the team has not voted on (its ``choice``
            the rule's, "yes" or "no"), in the menu's order; ``[]`` outside planning.
        """
        from sim.phases.collective import ACCESSION_LEVELS, supports, vote_positions

        team = team or self.current_team
        if team is None or self.phase != "plan" or team not in self.humans:
            return []
        voted = {(a.bloc, a.issue) for a in self.chosen.get(team, []) if a.kind == "vote"}
        m = self.model
        w, st = m.world, m.state
        i = w.actor_ids.index(team)
        proximity = m.dyn.get("collective.proximity_voting", 1.0) > 0
        out: list[Action] = []
        for mo in st.motions:
            b, x = mo["bloc"], mo["issue"]
            if not st.members[b, i] or (w.bloc_ids[b], w.issue_ids[x]) in voted:
                continue
            cur = float(st.issue_state[x])
            nxt = min((v for v in ACCESSION_LEVELS if v > cur + 1e-9), default=1.0)
            v = float(vote_positions(w, st, st.members[b])[i, x])
            yes = bool(supports(v, cur, nxt, proximity))
            out.append(Action("vote", team, bloc=w.bloc_ids[b], issue=w.issue_ids[x], choice="yes" if yes else "no"))
        return out

    def core_count(self, team: str | None = None) -> int:
        """How many counted actions (not answers, votes or pass) a team has chosen."""
        team = team or self.current_team
        return sum(1 for a in self.chosen.get(team, []) if a.kind not in ("answer", "vote", "pass"))

    def choose(self, action: Action) -> bool:
        """Add a legal action to the current team's choice.

        An answer or vote replaces an earlier one to the same proposal or motion, a posture
        replaces an earlier posture in the same theatre, and ``pass`` clears nothing but is only
        kept while nothing else is chosen.

        Returns:
            Whether it was added; otherwise :attr:`message` says why.
        """
        team = self.current_team
        if team is None or self.phase != "plan":
            self.message = "no human team is choosing now"
            return False
        if action not in self.legal():
            self.message = f"not a legal action for {team} now: {action}"
            return False
        mine = self.chosen.setdefault(team, [])
        if action in mine:
            return False

        def same_slot(b: Action) -> bool:
            if action.kind == "answer" and b.kind == "answer":
                return (b.issue, b.target, b.channel) == (action.issue, action.target, action.channel)
            if action.kind == "vote" and b.kind == "vote":
                return (b.bloc, b.issue) == (action.bloc, action.issue)
            if action.kind == "set_posture" and b.kind == "set_posture":
                return b.theatre == action.theatre
            return False

        replaced = [b for b in mine if same_slot(b)]
        counted = action.kind not in ("answer", "vote", "pass")
        if counted and not replaced and self.core_count(team) >= self.action_limit:
            self.message = f"at most {self.action_limit} actions a turn (remove one first)"
            return False
        mine[:] = [b for b in mine if b not in replaced and b.kind != "pass"]
        if action.kind == "pass" and any(b.kind not in ("answer", "vote") for b in mine):
            self.message = "pass only when nothing else is chosen"
            return False
        mine.append(action)
        self.message = f"{team}: {action}"
        self.version += 1
        self.unsaved = True
        return True

    def unchoose(self, action: Action) -> None:
        """Remove an action from the current team's choice."""
        team = self.current_team
        if team and action in self.chosen.get(team, []):
            self.chosen[team].remove(action)
            self.version += 1
            self.unsaved = True

    def end_turn(self) -> bool:
        """End the current team's turn: hand over to the next team, or resolve the turn.

        Returns:
            Whether the turn was resolved (the model stepped).
        """
        if self.phase != "plan":
            return False
        if self.humans and self.team_index + 1 < len(self.humans):
            self.team_index += 1
            self.phase = "handover"
            self.selection = None
            self.hover = None
            self.version += 1
            return False
        return self.resolve()

    def resolve(self) -> bool:
        """Submit every team's choice, step the model, and start the animation.

        Returns:
            ``True`` if the turn ran; ``False`` (with :attr:`message`) if the model refused a
            choice, in which case the phase goes back to that team.
        """
        for k, h in enumerate(self.humans):
            try:
                self.model.submit(h, list(self.chosen.get(h, [])))
            except ValueError as exc:
                self.message = f"{h}: {exc}"
                self.team_index = k
                self.phase = "plan"
                self.model.submitted = {}
                self.version += 1
                return False
        t0 = time.perf_counter()
        before = self.history[-1]
        self.model.step()
        snap = _plain(self.model.snapshot())
        self.last_resolve_s = time.perf_counter() - t0
        self.history.append(snap)
        self.overlay = changes_of(self.model.log[-1], before, snap)
        self.overlay_t = 0.0
        self.message = self.overlay.summary()
        self.phase = "animate"
        self.version += 1
        self.unsaved = True
        return True

    def tick(self, dt: float) -> None:
        """Advance the animation by ``dt`` seconds; the turn ends when it is done."""
        if self.overlay is not None and self.overlay_t < 1.0:
            self.overlay_t = min(1.0, self.overlay_t + dt / max(self.anim_seconds, 1e-6))
            if self.overlay_t >= 1.0 and self.phase == "animate":
                self.phase = "results"
                self.version += 1

    def dismiss_results(self) -> None:
        """The instructor moves on from the month's results: the next turn begins."""
        if self.phase == "results":
            self._begin_turn()

    def skip_animation(self) -> None:
        """Jump to the end of the animation."""
        if self.overlay is not None and self.overlay_t < 1.0:
            self.tick(self.anim_seconds + 1.0)

    @property
    def animating(self) -> bool:
        """Whether an animation (of a resolved turn, or of a replay step) is running."""
        return self.overlay is not None and self.overlay_t < 1.0

    # ------------------------------------------------------------------ instructor
    def inject(self, event: dict) -> bool:
        """Queue an instructor event for the next turn (``model.inject``).

        Returns:
            Whether it was queued; otherwise :attr:`message` says why.
        """
        if self.phase in ("start", "replay", "over"):
            self.message = "events can be injected only during a game"
            return False
        try:
            self.model.inject(event)
        except Exception as exc:  # pydantic.ValidationError or ValueError from the model
            first = str(exc).splitlines()
            msg = first[-1] if len(first) > 1 and "validation error" in first[0] else first[0]
            self.message = f"event refused: {msg.strip()}"
            return False
        ev = self.model.injected[-1]
        self.message = f"queued for turn {ev.turn}: {ev.kind}" + (
            f" ({ev.text})" if ev.text else ""
        )
        self.version += 1
        self.unsaved = True
        return True

    def withdraw_event(self, index: int) -> bool:
        """Remove the ``index``-th queued instructor event before the turn resolves.

        Returns:
            Whether an event was removed (``False`` for an index out of range or outside a game).
        """
        if self.phase in ("start", "replay", "over") or not 0 <= index < len(self.model.injected):
            return False
        ev = self.model.injected.pop(index)  # the model's queue of events for its next step
        self.message = f"withdrawn: {ev.kind}" + (f" ({ev.text})" if ev.text else "")
        self.version += 1
        self.unsaved = True
        return True

    @property
    def queued_events(self) -> list[dict]:
        """Instructor events waiting for the next turn (plain data)."""
        return [e.model_dump(mode="json", exclude_defaults=True) for e in self.model.injected]

    # ------------------------------------------------------------------ selection
    def select(self, kind: str | None, ident: str | None = None) -> None:
        """Pin the selection (``("actor", "RUS")``, ``("channel", "RUS-NATO")``) or clear it."""
        self.selection = (kind, ident) if kind else None  # drawn from the key, not `version`

    def set_hover(self, kind: str | None, ident: str | None = None) -> None:
        """What the mouse is over; the panel shows it while hovered."""
        self.hover = (kind, ident) if kind else None  # drawn from the key, not `version`

    @property
    def shown_item(self) -> tuple[str, str] | None:
        """What the selection panel shows: the hovered item, else the pinned selection."""
        return self.hover or self.selection

    def focus_actor(self) -> str:
        """The state whose tensions colour the capitals.

        The hovered or selected state, else the current team, the first human, or the first
        great power.
        """
        for item in (self.hover, self.selection):
            if item and item[0] == "actor":
                return item[1]
        if self.current_team:
            return self.current_team
        if self.humans:
            return self.humans[0]
        return (self.static.great_powers or self.static.actor_ids)[0]

    # ------------------------------------------------------------------ replay
    def enter_replay(self) -> None:
        """Open the replay at the last recorded turn."""
        if self.phase in ("start", "replay"):
            return
        self.skip_animation()
        self._phase_before_replay = self.phase
        self.phase = "replay"
        self.replay_cursor = len(self.history) - 1
        self.overlay = None
        self.version += 1

    def replay_step(self, delta: int) -> None:
        """Move the replay cursor by ``delta`` turns (clamped); a step forward animates."""
        if self.phase != "replay":
            return
        new = max(0, min(len(self.history) - 1, self.replay_cursor + delta))
        if new == self.replay_cursor:
            return
        if new == self.replay_cursor + 1:
            self.overlay = changes_of(
                self.model.log[new - 1], self.history[new - 1], self.history[new]
            )
            self.overlay_t = 0.0
        else:
            self.overlay = None
        self.replay_cursor = new
        self.version += 1

    def replay_to(self, turn: int) -> None:
        """Jump the replay cursor to a turn (clamped), without animation."""
        if self.phase == "replay":
            self.replay_cursor = max(0, min(len(self.history) - 1, turn))
            self.overlay = None
            self.version += 1

    def exit_replay(self) -> None:
        """Leave the replay, back to where the game was."""
        if self.phase == "replay":
            self.phase = self._phase_before_replay
            self.overlay = None
            self.version += 1

    # ------------------------------------------------------------------ what to draw
    def shown_turn(self) -> int:
        """The turn whose state is drawn."""
        return self.replay_cursor if self.phase == "replay" else len(self.history) - 1

    def shown_snapshot(self) -> dict:
        """The snapshot to draw (the replay cursor's in replay, else the latest)."""
        return self.history[self.shown_turn()]

    def shown_log(self) -> dict | None:
        """The turn-log entry of the shown turn (``None`` at turn 0)."""
        t = self.shown_turn()
        return self.model.log[t - 1] if t >= 1 and t - 1 < len(self.model.log) else None

    def issue_history(self, issue: str) -> list[float]:
        """The issue's state at turns 0..shown turn."""
        return [s["issues"][issue]["state"] for s in self.history[: self.shown_turn() + 1]]

    def turn_named(self) -> tuple[int, str]:
        """The turn (and its month) that the top bar and the hand-over screen name.

        While teams plan or hand over, the turn about to be played (``model.turn + 1``, dated
        as its log entry will be); otherwise the turn whose state is shown (its results, the
        replay's cursor, the last turn of a finished game).
        """
        if self.phase in ("plan", "handover"):
            t = self.model.turn + 1
            return t, self.model.date(t)
        snap = self.shown_snapshot()
        return int(snap["turn"]), snap["date"]

    def status_line(self) -> str:
        """The top bar's text: scenario, date, turn and what happens now."""
        t, date = self.turn_named()
        head = f"{date}  turn {t}/{self.model.horizon}"
        if self.phase == "start":
            what = "choose the states that humans play"
        elif self.phase == "handover":
            what = f"hand over to {self.static.names[self.current_team]}"
        elif self.phase == "plan" and self.current_team:
            what = f"{self.static.names[self.current_team]} plans: {self.core_count()} of {self.action_limit} actions"
        elif self.phase == "plan":
            what = "all states are AI: End turn to watch the next month"
        elif self.phase == "animate":
            what = "resolving the turn"
        elif self.phase == "results":
            what = "the month's results (Enter to go on)"
        elif self.phase == "replay":
            what = f"REPLAY turn {self.replay_cursor} of {len(self.history) - 1}"
        else:
            what = f"game over: {self.model.end_state.replace('_', ' ')} (R to replay)"
        q = len(self.model.injected)
        return f"{head}  |  {what}" + (
            f"  |  {q} instructor event{'s' * (q != 1)} queued" if q else ""
        )

    # ------------------------------------------------------------------ save and load
    def to_save(self) -> dict:
        """The save document of this game (see :mod:`ui.save`)."""
        ui = {
            "team_index": self.team_index,
            "chosen": {h: [a.to_dict() for a in acts] for h, acts in self.chosen.items()},
            "seed": self.seed,
        }
        return saves.make_save(
            scenario=self.scenario,
            scenario_path=self.scenario_path,
            model_state=self.model.to_state(),
            snapshots=self.history,
            humans=self.humans,
            ui=ui,
            overrides=self.overrides,
        )

    def record(self, upto: int | None = None):
        """The game so far as a :class:`sim.score.GameRecord` (turns 0..``upto``)."""
        from sim.score import GameRecord

        n = len(self.history) if upto is None else upto + 1
        return GameRecord(self.scenario, self.history[:n], self.model.log[: n - 1])

    @property
    def teams(self) -> list[str]:
        """The teams scored: the human teams, or in an all-AI game the playable states."""
        from sim.schema import playable_ids

        return list(self.humans) or playable_ids(self.scenario)

    def scores(self, turn: int | None = None) -> list[tuple[str, float, float]]:
        """``(team, total score, change since the previous turn)`` at a turn (default: the
        turn shown), best first (:func:`sim.score.scoreboard`)."""
        from sim.score import scoreboard

        t = self.shown_turn() if turn is None else turn
        key = (t, len(self.history))
        if getattr(self, "_score_cache", (None,))[0] != key:
            rec = self.record(t)
            now = scoreboard(rec, self.teams, t)
            before = {b.actor: b.total for b in scoreboard(rec, self.teams, t - 1)} if t > 0 else {}
            self._score_cache = (key, [(b.actor, b.total, b.total - before.get(b.actor, b.total)) for b in now], now)
        return self._score_cache[1]

    def scores_in_team_order(self, turn: int | None = None) -> list[tuple[str, float, float]]:
        """:meth:`scores` in the teams' own order (hot-seat order, or the scenario's order of the
        playable states), the same every month, so that a team finds its score where it was."""
        order = {team: k for k, team in enumerate(self.teams)}
        return sorted(self.scores(turn), key=lambda row: order.get(row[0], len(order)))

    def briefing_is_secret(self, team: str) -> bool:
        """Whether ``team``'s briefing (its objectives) must stay hidden now: in hot-seat, from
        every team but its own while the game runs (at the end the debrief shows everything)."""
        return (
            len(self.humans) > 1
            and self.model.running
            and team in self.humans
            and team != self.current_team
        )

    def objectives_shown(self) -> list[str]:
        """The teams whose objectives the month's results may show to the room: a team's
        objectives are secret from the other teams, so in hot-seat (two or more human teams)
        none; one human team: its own; an all-AI game: every playable state's."""
        return [] if len(self.humans) > 1 else list(self.teams)

    def save(self, path: str) -> str:
        """Write the game to ``path`` atomically.

        Raises:
            ui.save.SaveError: it cannot be written.
        """
        if self.phase == "start":
            raise saves.SaveError("nothing to save yet: start a game first")
        self.skip_animation()
        saves.write_save(path, self.to_save())
        self.message = f"saved turn {self.model.turn} to {path}"
        self.unsaved = False
        return path

    @classmethod
    def from_save(
        cls, data: dict, scenario, scenario_path: str, *, anim_seconds: float = 1.6
    ) -> GameController:
        """A controller that resumes a checked save exactly.

        Raises:
            ui.save.SaveError: the save does not fit the scenario or is damaged.
        """
        model, snaps = saves.restore(data, scenario, GreatPowerModel)
        humans = [h for h in data["humans"] if h in model.humans]
        if sorted(humans) != sorted(model.humans):
            raise saves.SaveError(
                "the saved game is damaged: its human teams do not match its model"
            )
        c = cls.__new__(cls)
        c.scenario, c.scenario_path, c.turns, c.anim_seconds = (
            scenario,
            str(scenario_path),
            model.horizon,
            anim_seconds,
        )
        ui = data.get("ui") or {}
        c.overrides = dict(data.get("overrides") or {})
        c.seed = model.seed_value
        c.static = StaticView.of(scenario, model.horizon)
        c.humans, c.model, c.history, c.preselected = (
            humans,
            model,
            [dict(s) for s in snaps],
            list(humans),
        )
        c.selection = c.hover = None
        c.replay_cursor, c._phase_before_replay = 0, "plan"
        c.overlay, c.overlay_t, c.message, c.last_resolve_s = None, 1.0, "", 0.0
        c._legal_cache, c.version, c.unsaved = None, 0, False
        c._begin_turn()
        try:
            chosen = {
                h: [Action.from_dict(d) for d in ui.get("chosen", {}).get(h, [])] for h in humans
            }
            ti = int(ui.get("team_index", 0))
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # Infinity: Overflow
            raise saves.SaveError(
                f"the saved game is damaged: its choices cannot be read ({exc})"
            ) from None
        if c.phase in ("plan", "handover") and 0 <= ti < max(1, len(humans)):
            c.chosen.update(chosen)
            c.team_index = ti
            if c.humans:
                c.selection = ("actor", c.current_team)
        c.message = f"loaded turn {model.turn} of '{scenario.name}'"
        return c

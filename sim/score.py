"""The seminar game's scorecard: a team's score each turn (pure functions over plain data).

A team's score at turn t is

    score = issue points + objective points - penalty points

* **Issue points** = ``ISSUE_POINTS x (closeness_t - closeness_0)``, where a state's closeness
  to the issues in force is the salience-weighted mean of ``1 - |state_k - x_k|`` over the issues
  it cares about (salience > 0); ``x_k`` is its ideal point and ``s_k`` its salience, both as the
  scenario gives them (the negotiating positions that move during play are not the yardstick).
  Closeness is in [0, 1]; issue points start at 0 and are in [-100, 100].
* **Objective points**: the points of each of the scenario's objectives for the team that is met
  (:class:`~sim.schema.Objective`). An objective without a deadline is judged at the turn shown
  (live); one with ``by`` is judged at that turn and the verdict is final from then on.
* **Penalty points**: ``CRISIS_PENALTY`` for every crisis the team was party to since the start
  and ``CLASH_PENALTY`` for every armed clash (an armed clash is also a crisis).

Everything is read from the game's record: the snapshot of every turn (``model.snapshot()``,
turn 0 first) and the turn log (``model.log``). Nothing here imports pygame or touches files.
The weights are judgement (ours), chosen so that one objective (10 points) weighs about as much as
moving every issue a team cares about a tenth of the way toward its ideal point, and an armed
clash (25) more than two objectives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sim.schema import Condition, Objective, Scenario, deadline_turn, playable_ids

ISSUE_POINTS = 100.0
"""Points for moving every issue a team cares about from 0 to full closeness; judgement (ours)."""
CRISIS_PENALTY = 5.0
"""Points lost for each crisis the team is party to; judgement (ours)."""
CLASH_PENALTY = 25.0
"""Points lost for each armed clash the team is party to; judgement (ours)."""
AGREEMENT_OUTCOMES = ("compromise", "capitulation", "agreement")
"""Outcomes of talks that count as an agreement (turn-log ``proposal`` events)."""

STATUS_WORDS = {
    "met": "met",
    "not met": "not met",
    "failed": "failed (deadline passed)",
    "on track": "on track (holds now)",
    "not yet": "not yet (does not hold now)",
}
"""Plain words for an objective's status."""


@dataclass(frozen=True)
class GameRecord:
    """What a score is computed from: the scenario, the per-turn snapshots and the turn log.

    Attributes:
        scenario: the validated scenario.
        history: ``model.snapshot()`` of turn 0, 1, ... (plain data; saves keep exactly this).
        log: ``model.log``: one entry per turn played, each with ``turn`` and ``events``.
    """

    scenario: Scenario
    history: list[dict]
    log: list[dict]
    _events: list | None = field(default=None, init=False, repr=False, compare=False)

    def events_by_turn(self) -> list[tuple[int, list[str], list[str]]]:
        """Every turn-log event as ``(turn, condition kinds, parties)``, in log order (cached)."""
        if self._events is None:
            rows = []
            for entry in self.log:
                t = int(entry.get("turn", 0))
                for ev in entry.get("events", []):
                    kinds = event_kinds(self.scenario, ev)
                    if kinds:
                        rows.append((t, kinds, _parties(self.scenario, ev)))
            object.__setattr__(self, "_events", rows)
        return self._events

    @classmethod
    def of_model(cls, model: Any, history: list[dict] | None = None) -> GameRecord:
        """The record of a running model.

        Args:
            model: a :class:`sim.model.GreatPowerModel`.
            history: its snapshots of turn 0 to now (the front end keeps them). Without it the
                record holds the start (from the scenario) and the current snapshot: enough for
                the score now; a deadline already passed is then judged on the current turn and
                the trend is the change since the start.
        """
        if history is None:
            now = model.snapshot()
            history = [now] if now["turn"] == 0 else [initial_snapshot(model.scenario), now]
        return cls(model.scenario, list(history), list(model.log))

    @classmethod
    def of_save(cls, data: dict, scenario: Scenario) -> GameRecord:
        """The record of a save document (see :mod:`sim.ui.save`); no check of the scenario."""
        return cls(scenario, list(data["snapshots"]), list(data["model"]["log"]))

    @property
    def turn(self) -> int:
        """The last turn recorded."""
        return int(self.history[-1]["turn"])

    def snapshot(self, turn: int) -> dict:
        """The snapshot of ``turn`` (the nearest recorded at or before it)."""
        best = self.history[0]
        for s in self.history:
            if s["turn"] <= turn:
                best = s
        return best


@dataclass(frozen=True)
class IssueTerm:
    """One issue's share of the closeness term.

    Attributes:
        issue: issue id.
        salience: the team's salience, in [0, 1].
        ideal: the team's ideal point, in [0, 1].
        state: the issue's state in force at the turn, in [0, 1].
        closeness: ``1 - |state - ideal|``, in [0, 1].
    """

    issue: str
    salience: float
    ideal: float
    state: float
    closeness: float


@dataclass(frozen=True)
class ObjectiveResult:
    """An objective's verdict at a turn.

    Attributes:
        id, text, points: as in the scenario.
        status: ``met``, ``not met`` (no deadline, does not hold now), ``on track`` / ``not yet``
            (deadline ahead; holds now or not), ``failed`` (deadline passed without it).
        due: the deadline turn, or ``None``.
        value: the measured quantity at the judged turn (issue state, tension, staff share,
            event count), or ``None`` for a channel status alone.
        earned: points counted now (``points`` when met, else 0).
    """

    id: str
    text: str
    points: float
    status: str
    due: int | None
    value: float | None
    earned: float


@dataclass(frozen=True)
class ScoreBreakdown:
    """A team's score at one turn and how it is made up (see the module docstring).

    Attributes:
        actor: the team's state id.
        turn: the turn scored.
        closeness: salience-weighted closeness to the issues in force, in [0, 1].
        closeness_start: the same at turn 0.
        issue_points: ``ISSUE_POINTS x (closeness - closeness_start)``.
        issues: per-issue terms, most salient first.
        objectives: each objective's verdict.
        objective_points: sum of the points of the objectives met.
        crises: crises the team was party to, turns 1..turn.
        clashes: armed clashes the team was party to, turns 1..turn.
        penalty_points: ``CRISIS_PENALTY x crises + CLASH_PENALTY x clashes``.
        total: ``issue_points + objective_points - penalty_points``.
    """

    actor: str
    turn: int
    closeness: float
    closeness_start: float
    issue_points: float
    issues: list[IssueTerm] = field(default_factory=list)
    objectives: list[ObjectiveResult] = field(default_factory=list)
    objective_points: float = 0.0
    crises: int = 0
    clashes: int = 0
    penalty_points: float = 0.0
    total: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


def initial_snapshot(sc: Scenario) -> dict:
    """The parts of the turn-0 snapshot that scores and briefings read, from the scenario alone.

    Returns:
        ``turn`` (0), ``issues`` (state), ``channels`` (status, staff, staff_baseline), ``blocs``
        (members), ``tension`` and ``alignment`` (nested by id), as ``model.snapshot()`` gives
        them at turn 0.
    """
    tension: dict[str, dict[str, float]] = {a: {} for a in sc.actors}
    alignment: dict[str, dict[str, float]] = {a: {} for a in sc.actors}
    d = float(sc.relations.default_tension.value)
    for a in sc.actors:
        for b in sc.actors:
            if a != b:
                tension[a][b] = d
                alignment[a][b] = 0.0
    for pair, q in sc.relations.tension.items():
        a, b = pair.split("-")
        tension[a][b] = tension[b][a] = float(q.value)
    for pair, q in sc.relations.alignment.items():
        a, b = pair.split("-")
        alignment[a][b] = alignment[b][a] = float(q.value)
    return {
        "turn": 0,
        "issues": {x: {"state": float(s.state.value)} for x, s in sc.issues.items()},
        "channels": {
            c: {"status": s.status, "staff": float(s.staff.value), "staff_baseline": float(s.staff_baseline.value)}
            for c, s in sc.channels.items()
        },
        "blocs": {b: {"members": list(s.members)} for b, s in sc.blocs.items()},
        "tension": tension,
        "alignment": alignment,
    }


# ---------------------------------------------------------------------------- closeness
def ideal_and_salience(sc: Scenario, actor_id: str) -> list[tuple[str, float, float]]:
    """``(issue, ideal point, salience)`` of an actor's issues with salience > 0, most salient first.

    Raises:
        KeyError: unknown actor.
    """
    spec = sc.actors[actor_id]
    out = []
    for x in sc.issues:
        s = float(spec.salience[x].value) if x in spec.salience else 0.0
        if s > 0:
            ideal = float(spec.position[x].value) if x in spec.position else 0.5
            out.append((x, ideal, s))
    out.sort(key=lambda t: -t[2])
    return out


def closeness(sc: Scenario, actor_id: str, snapshot: dict) -> tuple[float, list[IssueTerm]]:
    """Salience-weighted closeness of the issues in force to an actor's ideal points.

    Returns:
        ``(closeness in [0, 1], per-issue terms)``; closeness is 1 for an actor that cares about
        no issue (nothing can be lost).
    """
    terms = []
    num = den = 0.0
    for x, ideal, s in ideal_and_salience(sc, actor_id):
        state = float(snapshot["issues"][x]["state"])
        c = 1.0 - abs(state - ideal)
        terms.append(IssueTerm(x, s, ideal, state, c))
        num += s * c
        den += s
    return (num / den if den > 0 else 1.0), terms


# ---------------------------------------------------------------------------- events
def _members(sc: Scenario, ref: str) -> list[str]:
    return list(sc.blocs[ref].members) if ref in sc.blocs else [ref]


def event_parties(sc: Scenario, ev: dict) -> tuple[str | None, list[str]]:
    """The condition kind a turn-log event counts as, and the actors it involves.

    Returns:
        ``(kind, actors)``: ``kind`` is one of :data:`sim.schema.CONDITION_EVENTS` or ``None``
        for an event no condition counts (an armed clash reports ``armed_clash``; use
        :func:`event_kinds` for every kind an event counts as). A bloc party is expanded to its
        members.
    """
    kinds = event_kinds(sc, ev)
    return (kinds[0] if kinds else None), _parties(sc, ev)


def event_kinds(sc: Scenario, ev: dict) -> list[str]:
    """Every condition kind a turn-log event counts as (an armed clash is a crisis and an incident)."""
    t = ev.get("type")
    if t == "incident":
        out = ["incident"]
        if ev.get("crisis"):
            out.insert(0, "crisis")
        if ev.get("armed_clash"):
            out.insert(0, "armed_clash")
        return out
    if t == "force" and ev.get("armed_clash"):  # force resisted: a deliberate armed clash
        return ["armed_clash", "crisis"]
    if t == "proposal" and ev.get("outcome") in AGREEMENT_OUTCOMES:
        return ["agreement"]
    if t == "red_line":
        return ["red_line"]
    if t == "accession":
        return ["accession"]
    if t == "staff" and ev.get("kind") == "expel":
        return ["expulsion"]
    if t == "channel" and ev.get("to") == "closed":
        return ["closure"]
    if t == "event" and ev.get("kind") == "summit":
        return ["summit"]
    return []


def _parties(sc: Scenario, ev: dict) -> list[str]:
    refs: list[str] = []
    for key in ("actor", "from", "to", "by", "member", "bloc"):
        v = ev.get(key)
        if isinstance(v, str) and (v in sc.actors or v in sc.blocs):
            if key in ("from", "to") and ev.get("type") == "channel":
                continue  # a channel event's from/to are statuses
            refs.append(v)
    refs += [a for a in ev.get("actors") or [] if isinstance(a, str)]
    ch = ev.get("channel")
    if isinstance(ch, str) and ch in sc.channels:
        refs += list(sc.channels[ch].endpoints)
    out: list[str] = []
    for r in refs:
        if r in sc.blocs and ev.get("type") in ("accession",):
            continue  # the bloc of an accession is where it happens, not a party
        for a in _members(sc, r):
            if a not in out:
                out.append(a)
    return out


def count_events(rec: GameRecord, kind: str, actors: list[str] | tuple[str, ...] = (), turn: int | None = None) -> int:
    """Events of a condition kind in turns 1..``turn`` that involve every actor in ``actors``."""
    last = rec.turn if turn is None else turn
    n = 0
    for t, kinds, parties in rec.events_by_turn():
        if t > last:
            break
        if kind in kinds and all(a in parties for a in actors):
            n += 1
    return n


# ---------------------------------------------------------------------------- conditions
def measure(rec: GameRecord, cond: Condition, turn: int) -> tuple[bool, float | None]:
    """Whether a condition holds at ``turn``, and the quantity measured.

    Args:
        rec: the game record.
        cond: a validated condition.
        turn: the turn judged (its snapshot; events of turns 1..turn).

    Returns:
        ``(holds, value)``: the value is the issue state, the pair's tension or alignment, the
        channel's staff share of baseline, or the event count (``None`` for a channel judged by
        status alone).
    """
    snap = rec.snapshot(turn)

    def bounds(v: float) -> bool:
        if cond.at_least is not None and v < cond.at_least - 1e-9:
            return False
        if cond.at_most is not None and v > cond.at_most + 1e-9:
            return False
        return True

    if cond.issue is not None:
        v = float(snap["issues"][cond.issue]["state"])
        return bounds(v), v
    if cond.tension is not None or cond.alignment is not None:
        key = "tension" if cond.tension is not None else "alignment"
        a, b = cond.tension or cond.alignment
        v = float(snap[key][a][b])
        return bounds(v), v
    if cond.channel is not None:
        ch = snap["channels"][cond.channel]
        ok = cond.status is None or ch["status"] == cond.status
        v = None
        if cond.at_least is not None or cond.at_most is not None:
            v = float(ch["staff"]) / max(float(ch["staff_baseline"]), 1e-12)
            ok = ok and bounds(v)
        return ok, v
    n = count_events(rec, cond.event, cond.actors, turn)
    if cond.none:
        return n == 0, float(n)
    if cond.at_least is None and cond.at_most is None:
        return n >= 1, float(n)
    return bounds(float(n)), float(n)


def judge(rec: GameRecord, ob: Objective, turn: int) -> ObjectiveResult:
    """An objective's verdict at ``turn`` (see :class:`ObjectiveResult`)."""
    due = deadline_turn(rec.scenario, ob)
    if due is None:
        ok, v = measure(rec, ob.condition, turn)
        status = "met" if ok else "not met"
    elif turn >= due and rec.turn >= due:
        ok, v = measure(rec, ob.condition, due)
        status = "met" if ok else "failed"
    else:
        ok, v = measure(rec, ob.condition, turn)
        status = "on track" if ok else "not yet"
    earned = ob.points if status == "met" else 0.0
    return ObjectiveResult(ob.id, ob.text, ob.points, status, due, v, earned)


# ---------------------------------------------------------------------------- the score
def as_record(game: Any) -> GameRecord:
    """A :class:`GameRecord` as given, or the record of a model (:meth:`GameRecord.of_model`).

    A front end that scores every frame should build one record per turn (from its stored
    snapshots and ``model.log``) and reuse it: the record caches its turn log's events.
    """
    if isinstance(game, GameRecord):
        return game
    if hasattr(game, "snapshot") and hasattr(game, "step"):
        return GameRecord.of_model(game)
    raise TypeError(f"not a game record or a model: {type(game).__name__}")


def score(rec: GameRecord | Any, actor_id: str, turn: int | None = None) -> ScoreBreakdown:
    """A team's score at a turn (default: the last turn recorded).

    Args:
        rec: the game record (:class:`GameRecord`), or a model (its current turn; deadlines
            already passed are then judged on the current snapshot, see
            :meth:`GameRecord.of_model`).
        actor_id: the team's state.
        turn: a turn in 0..``rec.turn``.

    Returns:
        The :class:`ScoreBreakdown`.

    Raises:
        KeyError: unknown actor.
        ValueError: a turn outside the record.
    """
    rec = as_record(rec)
    sc = rec.scenario
    if actor_id not in sc.actors:
        raise KeyError(f"unknown actor {actor_id!r}")
    t = rec.turn if turn is None else int(turn)
    if not 0 <= t <= rec.turn:
        raise ValueError(f"turn {t} is outside the record (0 to {rec.turn})")
    c0, _ = closeness(sc, actor_id, rec.history[0])
    c, terms = closeness(sc, actor_id, rec.snapshot(t))
    results = [judge(rec, ob, t) for ob in sc.objectives.get(actor_id, [])]
    crises = count_events(rec, "crisis", (actor_id,), t)
    clashes = count_events(rec, "armed_clash", (actor_id,), t)
    issue_pts = ISSUE_POINTS * (c - c0)
    ob_pts = sum(r.earned for r in results)
    pen = CRISIS_PENALTY * crises + CLASH_PENALTY * clashes
    return ScoreBreakdown(
        actor=actor_id,
        turn=t,
        closeness=c,
        closeness_start=c0,
        issue_points=issue_pts,
        issues=terms,
        objectives=results,
        objective_points=ob_pts,
        crises=crises,
        clashes=clashes,
        penalty_points=pen,
        total=issue_pts + ob_pts - pen,
    )


def score_history(rec: GameRecord, actor_id: str) -> list[ScoreBreakdown]:
    """The team's score at every recorded turn, turn 0 first (for the trend and the debrief)."""
    rec = as_record(rec)
    return [score(rec, actor_id, s["turn"]) for s in rec.history]


def trend(rec: GameRecord, actor_id: str, turn: int | None = None) -> float:
    """Change of the team's total since the previous turn (0 at turn 0)."""
    rec = as_record(rec)
    t = rec.turn if turn is None else int(turn)
    if t <= 0:
        return 0.0
    return score(rec, actor_id, t).total - score(rec, actor_id, t - 1).total


def scoreboard(rec: GameRecord, actor_ids: list[str] | None = None, turn: int | None = None) -> list[ScoreBreakdown]:
    """Teams ranked by total score, best first (ties by id).

    Args:
        rec: the game record.
        actor_ids: the teams (default: the scenario's playable states).
        turn: the turn (default: the last recorded).
    """
    rec = as_record(rec)
    ids = list(actor_ids) if actor_ids is not None else playable_ids(rec.scenario)
    out = [score(rec, a, turn) for a in ids]
    return sorted(out, key=lambda b: (-round(b.total, 9), b.actor))

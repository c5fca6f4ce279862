"""The record of one run for measurement: per-turn columns and the turn log (validity, backtest).

A :class:`Trace` keeps, for every turn from 0 (the start) to the last turn played, a flat mapping
of *columns* and the turn log's events. It is built only from the model's public surface, so
it keeps working when the rules inside a turn change:

- the model's per-turn outcomes (:meth:`GreatPowerModel.outcomes`, what its DataCollector
  records: issue states ``issue.ID``, great-power tensions ``tension.A-B``, ``alignment.CHN-RUS``,
  counters, ``end_state``, and any column a later model adds);
- from :meth:`GreatPowerModel.snapshot`: each channel's status ``channel.ID`` (``open``,
  ``suspended``, ``closed``) and staff ``staff.ID`` (persons), each actor's posture
  ``posture.A.THEATRE`` in [0, 1] and position ``position.A.ISSUE`` in [0, 1];
- the events of :attr:`GreatPowerModel.log`, each with its ``type``.

Event types are the log's own (``incident``, ``patrol``, ``channel``, ``staff``, ``vote`` ...)
plus named views of them (:data:`DERIVED_EVENTS`: ``armed_clash``, ``crisis``, ``expulsion``,
``closure`` ...). An event is *between* named actors when every one of them is involved in it
(:func:`involved`). A run that ends early (an armed clash, a grand bargain) keeps its last state:
a column asked for after the end reads the last turn played.

The module is pure: no files, no printing; randomness only in the model it is handed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sim.channels import STATUS_NAMES

LOG_EVENT_TYPES = (
    "decision",
    "proposal",
    "incident",
    "channel",
    "staff",
    "issue",
    "vote",
    "motion",
    "accession",
    "red_line",
    "patrol",
    "event",
    "end",
)
"""Event types of the turn log as documented in the README ("The turn log"). A model that
defines ``sim.model.EVENT_TYPES`` adds its own to these (see :func:`event_types`)."""


def _is_clash(ev: dict) -> bool:
    return ev.get("type") == "armed_clash" or ev.get("armed_clash") is True


DERIVED_EVENTS: dict[str, tuple[str, Callable[[dict], bool]]] = {
    "armed_clash": ("an event that ends the run in an armed clash (an incident that escalated, or a deliberate use of force)", _is_clash),
    "crisis": ("an incident that escalated into a crisis", lambda ev: ev.get("type") == "incident" and bool(ev.get("crisis"))),
    "expulsion": ("staff expelled from a channel", lambda ev: ev.get("type") == "staff" and ev.get("kind") == "expel"),
    "restoration": ("staff restored on a channel", lambda ev: ev.get("type") == "staff" and ev.get("kind") == "restore_staff"),
    "closure": ("a channel closed", lambda ev: ev.get("type") == "channel" and ev.get("to") == "closed"),
    "suspension": ("a channel suspended", lambda ev: ev.get("type") == "channel" and ev.get("to") == "suspended"),
    "opening": ("a channel opened or reopened", lambda ev: ev.get("type") == "channel" and ev.get("to") == "open"),
    "summit": ("a summit (scheduled or injected event)", lambda ev: ev.get("type") == "event" and ev.get("kind") == "summit"),
    "application": ("an application for membership (a motion)", lambda ev: ev.get("type") == "motion"),
}
"""Named views of log events: ``name -> (description, predicate)``. One entry per view; the
backtest's record format and the validity measures pick them up."""

ACTOR_FIELDS = ("actors", "actor", "by", "from", "to", "candidate", "member", "bloc")
"""Event fields that may name an actor or a bloc (values that are not ids, such as a channel
status in ``to``, are ignored)."""

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def event_types() -> tuple[str, ...]:
    """Every event type a measure may name: the log's types, the model's own, and the views.

    Returns:
        Sorted names: :data:`LOG_EVENT_TYPES`, ``sim.model.EVENT_TYPES`` if the model defines it,
        and the keys of :data:`DERIVED_EVENTS`.
    """
    import sim.model as model_module

    extra = tuple(getattr(model_module, "EVENT_TYPES", ()) or ())
    return tuple(sorted(set(LOG_EVENT_TYPES) | set(extra) | set(DERIVED_EVENTS)))


def month_index(month: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` text.

    Raises:
        ValueError: not a month written ``YYYY-MM``.
    """
    m = _MONTH.match(month) if isinstance(month, str) else None
    if m is None:
        raise ValueError(f"not a month written YYYY-MM: {month!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_text(index: int) -> str:
    """``YYYY-MM`` of a month index (the inverse of :func:`month_index`)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class ScenarioInfo:
    """What measures need to know about a scenario's structure (plain data, picklable).

    Attributes:
        name: the scenario's name.
        start: its start month ``YYYY-MM`` (turn 0).
        turn_months: months per turn.
        horizon: turns of a full run.
        actor_ids: actor ids in scenario order.
        bloc_members: bloc id -> member ids at the start.
        bloc_leader: bloc id -> leader id (blocs with a leader only).
        channel_ends: channel id -> its two endpoints (the first is the sending side).
        channel_kind: channel id -> kind (``embassy``, ``bloc_mission``, ``un`` ...).
        issue_deciders: issue id -> a bloc id, or the ids of the actors who decide it.
        issue_region: issue id -> region (``europe``, ``indo_pacific``, ``global``).
        theatre_region: theatre id -> region.
        great_powers: ids of the great powers.
    """

    name: str
    start: str
    turn_months: int
    horizon: int
    actor_ids: tuple[str, ...]
    bloc_members: dict[str, tuple[str, ...]]
    bloc_leader: dict[str, str]
    channel_ends: dict[str, tuple[str, str]]
    channel_kind: dict[str, str]
    issue_deciders: dict[str, Any]
    issue_region: dict[str, str]
    theatre_region: dict[str, str]
    great_powers: tuple[str, ...]

    @property
    def ids(self) -> frozenset[str]:
        """Every actor and bloc id."""
        return frozenset(self.actor_ids) | frozenset(self.bloc_members)

    def turn_of(self, month: str) -> int:
        """The turn whose month is ``month`` (turn 0 is the start; a partial turn rounds down).

        Raises:
            ValueError: not a month written ``YYYY-MM``.
        """
        return (month_index(month) - month_index(self.start)) // self.turn_months

    def month_of(self, turn: int) -> str:
        """Calendar month ``YYYY-MM`` of a turn."""
        return month_text(month_index(self.start) + turn * self.turn_months)

    @property
    def end_month(self) -> str:
        """The month of the last turn of a full run."""
        return self.month_of(self.horizon)


def scenario_info(scenario, horizon: int | None = None) -> ScenarioInfo:
    """The :class:`ScenarioInfo` of a validated :class:`~sim.schema.Scenario`.

    Args:
        scenario: the scenario.
        horizon: turns of a run (default: the scenario's ``turns``).
    """
    deciders = {}
    for x, spec in scenario.issues.items():
        d = spec.decided_by
        deciders[x] = d if isinstance(d, str) else tuple(d)
    return ScenarioInfo(
        name=scenario.name,
        start=scenario.start,
        turn_months=int(scenario.turn_months),
        horizon=int(horizon if horizon is not None else scenario.turns),
        actor_ids=tuple(scenario.actors),
        bloc_members={b: tuple(s.members) for b, s in scenario.blocs.items()},
        bloc_leader={b: s.leader for b, s in scenario.blocs.items() if getattr(s, "leader", None)},
        channel_ends={c: (s.endpoints[0], s.endpoints[1]) for c, s in scenario.channels.items()},
        channel_kind={c: s.kind for c, s in scenario.channels.items()},
        issue_deciders=deciders,
        issue_region={x: s.region for x, s in scenario.issues.items()},
        theatre_region={t: s.region for t, s in scenario.theatres.items()},
        great_powers=tuple(scenario.great_powers),
    )


def columns(model) -> dict[str, Any]:
    """The model's columns now: its outcomes plus channel, staff, posture and position columns.

    Returns:
        A flat mapping: everything :meth:`GreatPowerModel.outcomes` returns, then
        ``channel.ID`` (status text), ``staff.ID`` (persons), ``posture.A.THEATRE`` and
        ``position.A.ISSUE`` (in [0, 1]) as :meth:`GreatPowerModel.snapshot` gives them
        (:func:`snapshot_columns`). A :class:`~sim.model.GreatPowerModel` gives them from its
        world and arrays (the snapshot's values, without the rest of the snapshot:
        tests/test_act_fast.py compares the two every turn).
    """
    from sim.model import GreatPowerModel

    if not isinstance(model, GreatPowerModel) or type(model).snapshot is not GreatPowerModel.snapshot:
        return snapshot_columns(model)
    out = dict(model.outcomes())
    w = model.world
    keys = _column_keys(w)
    for (status_key, staff_key), code, persons in zip(keys[0], model.status.tolist(), model.staff.tolist()):
        out[status_key] = STATUS_NAMES[code]
        out[staff_key] = round(persons, 3)
    posture, position = model.posture.tolist(), model.position.tolist()
    for i, (post, pos) in enumerate(keys[1]):
        row = posture[i]
        for t, key in post:
            out[key] = round(row[t], 6)
        row = position[i]
        for k, key in enumerate(pos):
            out[key] = round(row[k], 6)
    return out


def _column_keys(w) -> tuple:
    """The column names that a world fixes: ``((channel.ID, staff.ID) per channel, per actor
    ((theatre index, posture.A.T) where present, position.A.X per issue))``, kept per world."""
    from sim.state import derived

    got = derived(w).get("trace_columns")
    if got is None:
        chans = tuple((f"channel.{c}", f"staff.{c}") for c in w.channel_ids)
        actors = tuple(
            (
                tuple((k, f"posture.{a}.{t}") for k, t in enumerate(w.theatre_ids) if w.present[i, k]),
                tuple(f"position.{a}.{x}" for x in w.issue_ids),
            )
            for i, a in enumerate(w.actor_ids)
        )
        got = derived(w)["trace_columns"] = (chans, actors)
    return got


def snapshot_columns(model) -> dict[str, Any]:
    """:func:`columns` read from :meth:`GreatPowerModel.snapshot` (any model with ``outcomes``
    and ``snapshot``)."""
    out = dict(model.outcomes())
    snap = model.snapshot()
    for c, ch in snap["channels"].items():
        out[f"channel.{c}"] = ch["status"]
        out[f"staff.{c}"] = ch["staff"]
    for a, spec in snap["actors"].items():
        for t, v in spec.get("posture", {}).items():
            out[f"posture.{a}.{t}"] = v
        for x, v in spec.get("position", {}).items():
            out[f"position.{a}.{x}"] = v
    return out


@dataclass
class Trace:
    """One run, turn by turn.

    Attributes:
        info: the scenario's structure.
        seed: the run's seed.
        columns: per turn from 0 (the start) to the last turn played, the :func:`columns`.
        events: per turn from 0, that turn's log events (turn 0 has none).
        end_state: ``armed_clash``, ``grand_bargain`` or ``horizon`` (or what the model says).
    """

    info: ScenarioInfo
    seed: int | None
    columns: list[dict[str, Any]]
    events: list[list[dict]] = field(default_factory=list)
    end_state: str = "running"

    @property
    def turns(self) -> int:
        """Turns played."""
        return len(self.columns) - 1

    def at(self, column: str, turn: int) -> Any:
        """A column's value at a turn; after a run's early end, its value at the last turn played.

        Raises:
            KeyError: no such column.
        """
        row = self.columns[max(0, min(turn, self.turns))]
        return row[column]

    def series(self, column: str) -> list[Any]:
        """A column's values at turns 0..turns."""
        return [row[column] for row in self.columns]

    def events_of(self, kind: str, actors: Iterable[str] = (), first: int = 1, last: int | None = None) -> list[tuple[int, dict]]:
        """Events of a type (a log type or a :data:`DERIVED_EVENTS` view) in a window of turns.

        Args:
            kind: event type.
            actors: ids that must all be involved (:func:`involved`); empty: any event.
            first: first turn of the window (inclusive; turn 1 is the first month played).
            last: last turn (inclusive; ``None``: the end of the run).

        Returns:
            ``(turn, event)`` pairs in log order.
        """
        want = frozenset(actors)
        pred = DERIVED_EVENTS[kind][1] if kind in DERIVED_EVENTS else (lambda ev: ev.get("type") == kind)
        hi = self.turns if last is None else min(last, self.turns)
        out = []
        for t in range(max(first, 0), hi + 1):
            for ev in self.events[t]:
                if pred(ev) and (not want or want <= involved(ev, self.info)):
                    out.append((t, ev))
        return out


def involved(ev: dict, info: ScenarioInfo) -> frozenset[str]:
    """Actor and bloc ids an event concerns.

    The ids named in :data:`ACTOR_FIELDS` (``by`` may be one id or a list), and for a channel or
    staff event the channel's two endpoints. Texts that are not ids (a status, an issue) are
    left out.
    """
    ids = info.ids
    out: set[str] = set()
    for f in ACTOR_FIELDS:
        v = ev.get(f)
        if isinstance(v, str):
            if v in ids:
                out.add(v)
        elif isinstance(v, (list, tuple)):
            out.update(x for x in v if isinstance(x, str) and x in ids)
    ch = ev.get("channel")
    if isinstance(ch, str) and ch in info.channel_ends:
        out.update(info.channel_ends[ch])
    return frozenset(out)


def record(model, info: ScenarioInfo | None = None) -> Trace:
    """Run a model from where it stands to its end, keeping its columns and events every turn.

    Args:
        model: a :class:`~sim.model.GreatPowerModel` (usually fresh, at turn 0).
        info: its scenario's :class:`ScenarioInfo` (default: built from ``model.scenario``).

    Returns:
        The :class:`Trace`; the model is left finished.
    """
    info = info or scenario_info(model.scenario, model.horizon)
    tr = Trace(info, getattr(model, "seed_value", None), [columns(model)], [[]])
    while model.running:
        model.step()
        tr.columns.append(columns(model))
        tr.events.append(list(model.log[-1]["events"]) if model.log else [])
    tr.end_state = model.end_state
    return tr


def run_trace(scenario, seed: int, turns: int | None = None, reasons: bool = False, info: ScenarioInfo | None = None) -> Trace:
    """Make one run of a validated scenario and return its :class:`Trace`.

    Args:
        scenario: a :class:`~sim.schema.Scenario`.
        seed: the model's seed.
        turns: horizon override (default: the scenario's).
        reasons: log each AI decision's score and alternatives (slower; needed by measures of
            decisions).
        info: the scenario's :class:`ScenarioInfo` (default: built here).
    """
    from sim.model import GreatPowerModel

    m = GreatPowerModel(scenario, seed=seed, turns=turns, reasons=reasons)
    tr = record(m, info or scenario_info(scenario, m.horizon))
    _release(m)
    return tr


def _release(model) -> None:
    """Let a finished model be freed (Mesa 3.3 keeps models in ``mesa.Agent._ids``, issue 3179)."""
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)

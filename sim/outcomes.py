"""Outcomes a scenario defines for itself (its ``outcomes:`` list), followed turn by turn.

An :class:`OutcomeTracker` watches a running model from the outside: after turn 0 and after each
turn it reads the model's state arrays and that turn's log events, and at the end gives one
number per outcome. It changes nothing in the model, draws no random numbers and does no I/O,
so a run with and without outcomes is the same run. Sweeps put the values in ``runs.parquet`` as
``outcome.<id>`` columns.

The per-turn figures (:func:`column_value`) are those of the turn log's summary, extended to any
pair of actors: ``issue.<id>`` (state in [0, 1]), ``tension.<A>-<B>`` (in [0, 1]),
``alignment.<A>-<B>`` (in [-1, 1]), the running counters ``incidents``, ``crises``,
``agreements``, ``conflicts``, ``expulsions``, ``closures`` (events so far), and
``channels_open``/``_suspended``/``_closed`` (channels by status).
"""

from __future__ import annotations

import math
from typing import Any

from sim.channels import STATUS_CODES
from sim.schema import OutcomeSpec


def column_value(model: Any, column: str) -> float:
    """The current value of a per-turn figure (see the module docstring).

    Args:
        model: a :class:`~sim.model.GreatPowerModel`.
        column: e.g. ``tension.RUS-USA`` or ``issue.embassy_staffing`` (validated by the schema).

    Returns:
        A float (a counter as a whole number).

    Raises:
        KeyError: an id the model does not have (the schema's cross-reference check prevents it).
    """
    w = model.world
    head, _, rest = column.partition(".")
    if head == "issue":
        return float(model.issue_state[w.issue_ids.index(rest)])
    if head in ("tension", "alignment"):
        a, b = rest.split("-")
        i, j = w.actor_ids.index(a), w.actor_ids.index(b)
        return float((model.tension if head == "tension" else model.alignment)[i, j])
    if column.startswith("channels_"):
        code = STATUS_CODES[column.removeprefix("channels_")]
        return float(int((model.status == code).sum()))
    return float(model.totals.get(column, 0))


def event_parties(event: dict, endpoints: dict[str, tuple[str, ...]]) -> set[str]:
    """Ids of the actors and blocs a turn-log event involves.

    ``actor``, ``actors``, ``by`` and ``candidate`` name them directly; a proposal's ``from`` and
    ``to`` are its two sides; an event about a channel involves the channel's endpoints.

    Args:
        event: one event of a turn-log entry.
        endpoints: channel id -> its endpoint ids.
    """
    out: set[str] = set()
    for key in ("actor", "by", "candidate"):
        if isinstance(event.get(key), str):
            out.add(event[key])
    out.update(a for a in event.get("actors", []) if isinstance(a, str))
    if event.get("type") == "proposal":
        out.update(event[k] for k in ("from", "to") if isinstance(event.get(k), str))
    ch = event.get("channel")
    if isinstance(ch, str) and ch in endpoints:
        out.update(endpoints[ch])
    return out


def _crossed(value: float, spec: OutcomeSpec) -> bool:
    if spec.above is not None:
        return value > spec.above.value
    return value < spec.below.value


def event_matches(event: dict, spec: OutcomeSpec, endpoints: dict[str, tuple[str, ...]]) -> bool:
    """Whether a turn-log event counts for an ``event_count`` outcome."""
    if event.get("type") != spec.event:
        return False
    if any(event.get(k) != v for k, v in spec.match.items()):
        return False
    if spec.between:
        parties = event_parties(event, endpoints)
        return all(a in parties for a in spec.between)
    return True


class OutcomeTracker:
    """Follows a model's run and computes the scenario's outcomes.

    Call :meth:`observe` once after the model is built (turn 0) and once after every ``step()``;
    then :meth:`values`.

    Args:
        specs: the scenario's ``outcomes``.
        endpoints: channel id -> endpoint ids (``{c: tuple(spec.endpoints)}``).
    """

    def __init__(self, specs: list[OutcomeSpec], endpoints: dict[str, tuple[str, ...]]):
        self.specs = list(specs)
        self.endpoints = endpoints
        self.hit = {s.id: False for s in self.specs}
        self.first: dict[str, float] = {s.id: math.nan for s in self.specs}
        self.count = {s.id: 0 for s in self.specs}
        self.final: dict[str, float] = {}
        self.seen_turns: set[int] = set()

    @classmethod
    def for_model(cls, model: Any) -> OutcomeTracker:
        """A tracker of ``model.scenario.outcomes``."""
        sc = model.scenario
        return cls(sc.outcomes, {c: tuple(ch.endpoints) for c, ch in sc.channels.items()})

    def observe(self, model: Any) -> None:
        """Read the model after turn 0 or after a turn (each turn is read once)."""
        turn = int(model.turn)
        if turn in self.seen_turns:
            return
        self.seen_turns.add(turn)
        events = model.log[-1]["events"] if turn > 0 and model.log else []
        for s in self.specs:
            if s.kind == "event_count":
                self.count[s.id] += sum(1 for e in events if event_matches(e, s, self.endpoints))
                continue
            v = column_value(model, s.column)
            self.final[s.id] = v
            if _crossed(v, s):
                self.hit[s.id] = True
                if turn >= 1 and math.isnan(self.first[s.id]):
                    self.first[s.id] = float(turn)

    def values(self) -> dict[str, float]:
        """``{"outcome.<id>": value}``: 0/1 for a threshold, turns (NaN: never) for a time to
        event, a whole number for an event count.
        """
        out: dict[str, float] = {}
        for s in self.specs:
            if s.kind == "threshold":
                hit = self.hit[s.id] if s.when == "any" else _crossed(self.final.get(s.id, math.nan), s)
                out[f"outcome.{s.id}"] = 1.0 if hit else 0.0
            elif s.kind == "time_to_event":
                out[f"outcome.{s.id}"] = self.first[s.id]
            else:
                out[f"outcome.{s.id}"] = float(self.count[s.id])
        return out

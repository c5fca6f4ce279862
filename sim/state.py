"""The changing state of a run, and the scratch record of one turn (docs/model.md section 2).

A :class:`State` holds every quantity that a turn changes, as numpy arrays indexed like the
:class:`sim.world.World` they belong to (actors in id order, issues, channels and theatres in
scenario order). The phase functions of :mod:`sim.phases` read and write a ``State``; the
model (:class:`sim.model.GreatPowerModel`) owns one and hands it to them.

A :class:`Turn` is the scratch of one turn: the events it logs, the tension changes it collects
(applied once, in the update phase), the patrols flown and the summits held this turn.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_DERIVED: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def derived(world: Any) -> dict[str, Any]:
    """A scratch dict of what the phases derive from one world alone (index arrays, masks).

    A :class:`sim.world.World` is fixed for its life, so whatever a phase computes from it
    alone can be kept here, once per world object, instead of once a turn; an entry goes when
    its world is freed. The phases store read-only arrays and plain tuples in it.
    """
    key = id(world)
    entry = _DERIVED.get(key)
    if entry is not None and entry[0]() is world:
        return entry[1]
    out: dict[str, Any] = {}
    _DERIVED[key] = (weakref.ref(world, lambda _ref, key=key: _DERIVED.pop(key, None)), out)
    return out


END_STATES = ("running", "armed_clash", "grand_bargain", "horizon")
"""How a run stands: still running, ended by an armed clash (escalated or deliberate), by a
grand bargain (great-power tension low for several turns), or at its horizon."""


@dataclass
class State:
    """Everything a turn changes.

    Attributes:
        position: (n, m) negotiating positions in [0, 1].
        ideal: (n, m) the scenario's ideal points (fixed; positions fall back toward them).
        salience: (n, m) in [0, 1].
        issue_state: (m,) what is in force, in [0, 1].
        posture: (n, T) in [0, 1] (0 where absent).
        tension: (n, n) symmetric, in [0, 1], zero diagonal.
        alignment: (n, n) symmetric, in [-1, 1], unit diagonal.
        status: (K,) channel status codes (:mod:`sim.channels`).
        staff: (K,) persons on post.
        members: (B, n) bool bloc membership (accession adds members).
        grievance: (n, n) ``grievance[j, i]``: share of j's staff that i expelled, decaying.
        goodwill: (n, n) ``goodwill[j, i]``: share of j's baseline staff that i let back in.
        red_line_armed: one flag per red line: it fires when crossed while armed.
        motions: pending accession motions ``{bloc, candidate, issue, votes, turn}``.
        rebuffs: ``(bloc, candidate) -> number of applications turned down``.
        pending: proposals awaiting a human's answer, by human actor id.
        totals: run counters (incidents, crises, agreements, conflicts, expulsions, closures, ...).
        end_state: one of :data:`END_STATES`.
        end_cause: how an armed clash came: ``escalated`` (an incident) or ``deliberate``
            (a use of force); empty otherwise.
        rebuff: (m, n, n) ``rebuff[k, i, j]``: memory in [0, 1] of i's challenge to j on
            issue k being rebuffed (deadlock), decaying by ``talks.deadlock_memory``.
        patrolled: (n, n) memory in [0, 1] of a joint patrol of the pair, decaying by
            ``patrol.memory`` (the signal of a patrol lasts some months).
        vetoed: (m,) memory in [0, 1] of a vetoed move of each issue's state, decaying by
            ``talks.deadlock_memory``.
    """

    position: np.ndarray
    ideal: np.ndarray
    salience: np.ndarray
    issue_state: np.ndarray
    posture: np.ndarray
    tension: np.ndarray
    alignment: np.ndarray
    status: np.ndarray
    staff: np.ndarray
    members: np.ndarray
    grievance: np.ndarray
    goodwill: np.ndarray
    red_line_armed: list[bool]
    motions: list[dict] = field(default_factory=list)
    rebuffs: dict[tuple[int, int], int] = field(default_factory=dict)
    pending: dict[str, list[dict]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    end_state: str = "running"
    end_cause: str = ""
    rebuff: np.ndarray | None = None
    patrolled: np.ndarray | None = None
    vetoed: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, m = self.position.shape
        if self.rebuff is None:
            self.rebuff = np.zeros((m, n, n))
        if self.patrolled is None:
            self.patrolled = np.zeros((n, n))
        if self.vetoed is None:
            self.vetoed = np.zeros(m)

    def motion_pending(self, bloc: int, cand: int) -> bool:
        """Whether an accession motion for ``cand`` in ``bloc`` awaits its vote."""
        return any(mo["bloc"] == bloc and mo["candidate"] == cand for mo in self.motions)


@dataclass
class Turn:
    """Scratch of one turn.

    Attributes:
        events: the turn's log records, in the order they happened.
        tension_delta: (n, n) tension changes collected during the turn, applied in the update.
        patrols: ``(theatre, actor, partner)`` of the joint patrols flown this turn.
        summits: channel indices of this turn's summits (event-only channels open this turn).
        decon: (T, n, n) deconfliction shares, computed once when the first incident needs it.
        deals: issues on which two of their deciders reached an agreement in talks this turn.
        consents: channels whose host consented this turn to their reopening (a human host's
            ``open_channel``).
    """

    events: list[dict[str, Any]]
    tension_delta: np.ndarray
    patrols: list[tuple[int, int, int]] = field(default_factory=list)
    summits: tuple[int, ...] = ()
    decon: np.ndarray | None = None
    deals: set[int] = field(default_factory=set)
    consents: set[int] = field(default_factory=set)

    def log(self, rec: dict[str, Any]) -> None:
        """Append one record to the turn's log."""
        self.events.append(rec)

    def add_tension(self, i: int | np.ndarray, j: int | np.ndarray, dv: float | np.ndarray) -> None:
        """Raise (or, with ``dv < 0``, lower) tension between i and j symmetrically."""
        self.tension_delta[i, j] += dv
        self.tension_delta[j, i] += dv

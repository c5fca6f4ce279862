"""The changing state of a run, and the scratch record of one turn (docs/model.md section 2).

A :class:`State` holds every quantity that a turn changes, as numpy arrays indexed like the
:class:`sim.world.World` they belong to (actors in id order, issues, channels and theatres in
scenario order). The phase functions of :mod:`sim.phases` read and write a ``State``; the
model (:class:`sim.model.GreatPowerModel`) owns one and hands it to them.

A :class:`Turn` is the scratch of one turn: the events it logs, the tension changes it collects
(applied once, in the update phase), the patrols flown and the summits held this turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    """

    events: list[dict[str, Any]]
    tension_delta: np.ndarray
    patrols: list[tuple[int, int, int]] = field(default_factory=list)
    summits: tuple[int, ...] = ()
    decon: np.ndarray | None = None

    def log(self, rec: dict[str, Any]) -> None:
        """Append one record to the turn's log."""
        self.events.append(rec)

    def add_tension(self, i: int | np.ndarray, j: int | np.ndarray, dv: float | np.ndarray) -> None:
        """Raise (or, with ``dv < 0``, lower) tension between i and j symmetrically."""
        self.tension_delta[i, j] += dv
        self.tension_delta[j, i] += dv

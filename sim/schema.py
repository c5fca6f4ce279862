"""The scenario schema: pydantic v2 models of a scenario file (docs/model.md, section 6).

A scenario is a mapping with the top-level keys of :class:`Scenario`. Actors, blocs, issues,
channels and theatres are mappings keyed by their id, so a dotted path such as
``actors.USA.threat.CHN`` names one number. Any number may be written bare (``0.3``) or as a
quantity ``{value: 0.3, unit: share, source: "interview L21"}``; both validate to
:class:`Quantity`. Every model forbids unknown fields and non-finite numbers and checks ranges.

Cross-references (bloc members, channel endpoints, issue ids in positions, ...) are checked by
:func:`cross_reference_problems` after the field-level validation, so that each dangling
reference is reported with the exact path of the field that holds it.

This module does no I/O; :mod:`sim.loader` reads files and maps problems to file lines.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

CHANNEL_KINDS = (
    "embassy",
    "ministerial_2plus2",
    "bloc_mission",
    "military_hotline",
    "summit",
    "un",
)
"""Channel kinds (docs/model.md 2). ``military_hotline`` channels survive political closures (F2)."""

# Size limits: what one run can hold in memory. A turn builds arrays of issues x actors^3 (the
# kernel's table of votes, 8 bytes a cell, with temporaries about 9 bytes a cell measured), of
# channels x actors^2 (which channel joins which pair, 1 byte, three copies) and of theatres x
# actors^2 (incident rates per theatre and pair, 8 bytes, about six arrays). Measured on the
# development machine: a scenario at MAX_VOTE_CELLS takes about 0.7 GB per run (a sweep runs
# one per worker). Judgement (ours), chosen so that two workers fit in a few GB.
MAX_ACTORS = 390
"""Most actors in a scenario: 390^3 x 1 issue is just under :data:`MAX_VOTE_CELLS`."""
MAX_ISSUES = 1000
"""Most issues."""
MAX_BLOCS = 1000
"""Most blocs."""
MAX_CHANNELS = 10_000
"""Most channels."""
MAX_THEATRES = 1000
"""Most theatres."""
MAX_EVENTS = 10_000
"""Most scheduled events."""
MAX_VOTE_CELLS = 60_000_000
"""Most issues x actors^3 (the kernel's vote table: about 0.55 GB at the limit)."""
MAX_CHANNEL_PAIRS = 40_000_000
"""Most channels x actors^2 (the channel-pair tables: about 0.12 GB at the limit)."""
MAX_THEATRE_PAIRS = 4_000_000
"""Most theatres x actors^2 (the incident tables: about 0.2 GB at the limit)."""
SIZE_LIMITS = {
    "actors": MAX_ACTORS,
    "issues": MAX_ISSUES,
    "blocs": MAX_BLOCS,
    "channels": MAX_CHANNELS,
    "theatres": MAX_THEATRES,
    "events": MAX_EVENTS,
}
"""Most entries of each top-level section (checked while the file is read)."""


def size_problem(counts: dict[str, int]) -> tuple[str, str] | None:
    """The first size limit that a scenario of these sizes exceeds, or ``None``.

    Args:
        counts: entries per section (``actors``, ``issues``, ``blocs``, ``channels``,
            ``theatres``, ``events``); a missing section counts 0.

    Returns:
        ``(section, message)``: the section to point at and a one-line message naming the limit.
    """
    get = {k: int(counts.get(k, 0)) for k in SIZE_LIMITS}
    for name, cap in SIZE_LIMITS.items():
        if get[name] > cap:
            return name, f"too large to run: {get[name]} {name}, at most {cap}"
    n, m, k, t = get["actors"], get["issues"], get["channels"], get["theatres"]
    if m * n**3 > MAX_VOTE_CELLS:
        return "actors", f"too large to run: issues x actors^3 = {m} x {n}^3 = {m * n**3:,} cells, at most {MAX_VOTE_CELLS:,}"
    if k * n**2 > MAX_CHANNEL_PAIRS:
        return "channels", f"too large to run: channels x actors^2 = {k} x {n}^2 = {k * n**2:,}, at most {MAX_CHANNEL_PAIRS:,}"
    if t * n**2 > MAX_THEATRE_PAIRS:
        return "theatres", f"too large to run: theatres x actors^2 = {t} x {n}^2 = {t * n**2:,}, at most {MAX_THEATRE_PAIRS:,}"
    return None


ISSUE_KINDS = ("accession", "sanctions", "staffing", "posture", "alignment", "general")
REGIONS = ("europe", "indo_pacific", "global")
RULES = ("consensus", "majority", "leader")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Quantity(_Strict):
    """A number with its unit and source.

    Attributes:
        value: the number; finite. Ranges are checked by the field that holds the quantity.
        unit: free text, e.g. ``"USD bn (current)"``, ``"persons"``, ``"share"``.
        source: where the number comes from, e.g. ``"interview L35"`` or
            ``"SIPRI Military Expenditure Database 2022, 2021 figure"``.
    """

    value: FiniteFloat
    unit: str | None = None
    source: str | None = None

    def __float__(self) -> float:
        return self.value


def _as_quantity(raw: Any) -> Any:
    """Accept a bare number as a quantity without unit or source; leave anything else to pydantic."""
    if isinstance(raw, bool):
        return raw  # rejected by the strict float: YAML ``true`` is not a number
    if isinstance(raw, (int, float)):
        return {"value": raw}
    return raw


def _ranged(lo: float | None, hi: float | None, *, lo_open: bool = False):
    def check(q: Quantity) -> Quantity:
        v = q.value
        if lo is not None and (v < lo or (lo_open and v == lo)):
            bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
            raise ValueError(f"must be {bound}, got {v:g}")
        if hi is not None and v > hi:
            raise ValueError(f"must be <= {hi:g}, got {v:g}")
        return q

    return AfterValidator(check)


Num = Annotated[Quantity, BeforeValidator(_as_quantity)]
Unit01 = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.0, 1.0)]
Signed01 = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(-1.0, 1.0)]
NonNeg = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.0, None)]
Positive = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.0, None, lo_open=True)]
RiskExp = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.5, 2.0)]

_ID = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Ident = Annotated[str, Field(strict=True, pattern=_ID, max_length=40)]
_AGENT_ID = r"^[A-Za-z][A-Za-z0-9_]*$"
AgentId = Annotated[str, Field(strict=True, pattern=_AGENT_ID, max_length=40)]
"""Actor and bloc ids: no '-', which joins two ids in pair keys such as ``RUS-USA``."""
Text = Annotated[str, Field(strict=True)]
NAME_LIMIT = 200
"""The longest display name, in characters: a name is drawn on the map, in panels and in every
sentence of the log (the longest state name in use is under 60 characters; judgement (ours))."""
Name = Annotated[str, Field(strict=True, max_length=NAME_LIMIT)]


def _v(q: Quantity | float | None, default: float = 0.0) -> float:
    """Plain float of a quantity (or a default when absent)."""
    if q is None:
        return default
    return float(q.value) if isinstance(q, Quantity) else float(q)


class SourceRef(_Strict):
    """A source that the scenario cites: a document, a data set or the interview."""

    title: Text
    year: Annotated[int, Field(strict=True, ge=1900, le=2100)] | None = None
    path: Text | None = None
    url: Text | None = None
    note: Text | None = None


class IssueSpec(_Strict):
    """One bargaining issue on a [0, 1] scale (docs/model.md, section 2).

    Attributes:
        label: short human label.
        scale: named levels, e.g. ``{0: no prospect, 0.3: will join one day, 0.6: MAP, 1: member}``.
        state: what is in force now, in [0, 1].
        decided_by: a bloc id, or a list of actor ids who must all agree.
        inertia: the most the state moves in one turn, in (0, 1].
        region: ``europe``, ``indo_pacific`` or ``global``: the US Pacific burden discounts the
            salience of ``europe`` issues (F11).
        kind: ``sanctions`` issues decided by a bloc with autonomy < 1 weight the bloc leader (F6);
            ``staffing`` issues cap the staff of the channels in ``staffing_channels``.
        staffing_channels: channels whose staff ceiling is ``state x staff_baseline``.
    """

    label: Text
    description: Text = ""
    scale: dict[Annotated[float, Field(strict=True, ge=0.0, le=1.0)], Text] = Field(
        default_factory=dict
    )
    state: Unit01
    decided_by: Ident | list[Ident]
    inertia: Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.0, 1.0, lo_open=True)] = (
        Quantity(value=0.05)
    )
    region: Literal["europe", "indo_pacific", "global"] = "global"
    kind: Literal["accession", "sanctions", "staffing", "posture", "alignment", "general"] = "general"
    staffing_channels: list[Ident] = Field(default_factory=list)
    source: Text | None = None


class Response(_Strict):
    """What an actor does when its red line is crossed (F7).

    Attributes:
        posture: change of own posture per theatre, each in [-1, 1].
        tension: rise of tension toward each named actor or bloc (a bloc means all its members), in [0, 1].
        suspend_channels: channel ids the actor suspends.
    """

    posture: dict[Ident, Signed01] = Field(default_factory=dict)
    tension: dict[Ident, Unit01] = Field(default_factory=dict)
    suspend_channels: list[Ident] = Field(default_factory=list)
    note: Text = ""


class RedLine(_Strict):
    """A red line: when ``issue`` crosses ``threshold`` in ``direction``, the owner responds once."""

    issue: Ident
    threshold: Unit01
    direction: Literal["above", "below"] = "above"
    response: Response = Field(default_factory=Response)
    source: Text | None = None


class Faction(_Strict):
    """A faction inside an actor whose threat perception differs (F9).

    The actor's perceived threat from each listed actor is ``(1 - weight) x own + weight x faction``,
    and, where ``theatres`` are listed, the faction counts those actors' posture there as threat.
    """

    name: Name
    weight: Unit01
    threat: dict[Ident, Unit01] = Field(default_factory=dict)
    theatres: list[Ident] = Field(default_factory=list)
    source: Text | None = None


class ChannelPreference(_Strict):
    """How much an actor prefers bilateral to bloc channels (F3): ``bilateral`` in [0, 1]."""

    bilateral: Unit01 = Quantity(value=0.5)


class Beliefs(_Strict):
    """An actor's beliefs about others (F5).

    Attributes:
        bloc_leader: ``{bloc: actor}``: the actor perceives the bloc as following the leader:
            it sees the leader as the bloc's decider and routes the bloc's issues to channels
            with the leader.
        leader_weight: how strongly, in [0, 1]: the political value of a channel to such a bloc
            is discounted by ``1 - leader_weight`` (a discount, not an erasure, so that staff
            cuts and other costs still count), and the other members weigh
            ``1 - leader_weight`` as deciders; 0 switches the belief off.
    """

    bloc_leader: dict[Ident, Ident] = Field(default_factory=dict)
    leader_weight: Unit01 = Quantity(value=0.9)


class Capital(_Strict):
    """A capital city at its real coordinates (degrees, WGS84)."""

    name: Name
    lat: Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]


class ActorSpec(_Strict):
    """A state (docs/model.md, section 2).

    Attributes:
        name: display name.
        capability: input in a stated unit (e.g. military expenditure, USD bn); normalised to shares.
        position: ideal point per issue, in [0, 1].
        salience: salience per issue, in [0, 1].
        risk: risk exponent r in [0.5, 2], used when ``ai.risk_model`` is ``scenario``.
        channel_preference: bilateral preference (F3).
        threat: threat weight toward other actors, in [0, 1].
        posture_appetite: per theatre, how readily the actor raises posture there, in [0, 1]
            (default 1); F10's Russian caution in the Pacific.
        coordination: per partner, the weight in [0, 1] the actor gives to the partner's
            position when it votes in a bloc where both vote (F12: a tacit understanding in the
            Security Council): it votes on ``(1 - w) x own + w x partner's`` position.
        controller: ``ai`` or ``human``.
    """

    name: Name
    capability: NonNeg
    position: dict[Ident, Unit01] = Field(default_factory=dict)
    salience: dict[Ident, Unit01] = Field(default_factory=dict)
    risk: RiskExp = Quantity(value=1.0)
    channel_preference: ChannelPreference = Field(default_factory=ChannelPreference)
    threat: dict[Ident, Unit01] = Field(default_factory=dict)
    posture_appetite: dict[Ident, Unit01] = Field(default_factory=dict)
    red_lines: list[RedLine] = Field(default_factory=list)
    factions: list[Faction] = Field(default_factory=list)
    beliefs: Beliefs = Field(default_factory=Beliefs)
    coordination: dict[Ident, Unit01] = Field(default_factory=dict)
    capital: Capital | None = None
    controller: Literal["ai", "human"] = "ai"


class BlocSpec(_Strict):
    """An alliance or institution (docs/model.md, section 2).

    Attributes:
        members: actor ids, at least one.
        rule: ``consensus`` (any member blocks), ``majority`` (capability-weighted median),
            ``leader`` (the leader's position).
        leader: an actor id that must be a member; required for ``rule: leader``.
        autonomy: in [0, 1]; on ``sanctions`` issues each member's position counts as
            ``autonomy x own + (1 - autonomy) x autonomy_from's`` (F6).
        autonomy_from: the actor whose position weighs on the bloc's sanctions decisions
            (F6: the US); defaults to the leader.
        veto: members whose no blocks a motion or a move of an issue state under ``majority``
            (all members block under ``consensus``): the Security Council's permanent members.
        military: a defence alliance: its members count on each other in a use of force and
            may patrol jointly.
        candidates: actors that may apply for membership (accession, F7), each with the accession
            issue that tracks its candidature.
    """

    name: Name
    members: Annotated[list[Ident], Field(min_length=1)]
    rule: Literal["consensus", "majority", "leader"] = "consensus"
    leader: Ident | None = None
    autonomy: Unit01 = Quantity(value=1.0)
    autonomy_from: Ident | None = None
    veto: list[Ident] = Field(default_factory=list)
    military: Switch = False
    candidates: dict[Ident, Ident] = Field(default_factory=dict)
    source: Text | None = None

    @model_validator(mode="after")
    def _leader_rule(self) -> BlocSpec:
        if self.rule == "leader" and self.leader is None:
            raise ValueError("rule 'leader' needs a 'leader'")
        return self


class ChannelSpec(_Strict):
    """A channel of dialogue between two actors or an actor and a bloc (docs/model.md 2).

    Attributes:
        kind: one of :data:`CHANNEL_KINDS`.
        endpoints: two distinct ids (actors or blocs). For an embassy, the first is the sending
            state and the second the host, which may expel its staff.
        status: ``open``, ``suspended`` or ``closed``.
        staff: persons on post now (>= 0).
        staff_baseline: persons on post in normal times (> 0); effectiveness grows with
            staff / staff_baseline (see ``sim.channels.effectiveness``).
        issues: issue ids the channel carries.
        theatres: theatres where the channel serves deconfliction (F2).
        venue: a bloc id (the UN Security Council) whose forum the channel is: a mission to
            an international organisation is valued by what the venue decides, not by the
            relation with its host country.
    """

    kind: Literal[
        "embassy", "ministerial_2plus2", "bloc_mission", "military_hotline", "summit", "un"
    ]
    endpoints: Annotated[list[Ident], Field(min_length=2, max_length=2)]
    status: Literal["open", "suspended", "closed"] = "open"
    staff: NonNeg = Quantity(value=10.0)
    staff_baseline: Positive = Quantity(value=10.0)
    issues: list[Ident] = Field(default_factory=list)
    theatres: list[Ident] = Field(default_factory=list)
    venue: Ident | None = None
    label: Text = ""
    source: Text | None = None

    @field_validator("endpoints")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if v[0] == v[1]:
            raise ValueError("endpoints must be two different ids")
        return v


class TheatreSpec(_Strict):
    """A theatre of military posture (docs/model.md, section 2).

    Attributes:
        present: actor ids with forces there.
        posture: starting posture per present actor, in [0, 1] (missing means 0.2).
        incident_rate: base incidents per turn between two fully postured, fully tense actors (>= 0).
        region: ``europe`` or ``indo_pacific``: which burden the posture counts toward (F11).
        area: optional polygon ``[[lon, lat], ...]`` (degrees) for the map.
    """

    name: Name
    present: Annotated[list[Ident], Field(min_length=1)]
    posture: dict[Ident, Unit01] = Field(default_factory=dict)
    incident_rate: NonNeg = Quantity(value=0.05)
    region: Literal["europe", "indo_pacific", "global"] = "global"
    area: list[Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list
    )
    source: Text | None = None


Coefficient = Annotated[Quantity, BeforeValidator(_as_quantity), _ranged(0.0, 100.0)]
"""A non-negative model coefficient, at most 100 (utility units per unit of its input)."""


class AISpec(_Strict):
    """Settings of the AI policy and the kernel (docs/model.md 7.3 and 7.4).

    Attributes:
        actions_per_turn: actions (besides proposals) an AI actor draws per turn, 0..6.
        proposals_per_turn: challenges an AI actor sends per turn, best first, 0..6.
        temperature: softmax temperature of the action draw, > 0 (utility units).
        q, t: the kernel's status-quo probabilities Q and T, in [0, 1].
        risk_model: ``endogenous`` (Scholz et al. 2011 risk from security) or ``scenario``
            (each actor's ``risk``).
        proposal_cost: the least score (expected utility x salience x decisiveness x channel
            effectiveness) for which an AI actor makes a challenge (a demarche spends diplomatic
            capital), utility units; 0 proposes wherever the expected utility is positive.
    """

    actions_per_turn: Annotated[int, Field(strict=True, ge=0, le=6)] = 2
    proposals_per_turn: Annotated[int, Field(strict=True, ge=0, le=6)] = 2
    temperature: Positive = Quantity(value=0.05)
    q: Unit01 = Quantity(value=0.5)
    t: Unit01 = Quantity(value=0.5)
    risk_model: Literal["endogenous", "scenario"] = "endogenous"
    proposal_cost: Coefficient = Quantity(value=0.0)




Switch = Annotated[bool, Field(strict=True)]
"""A mechanism's on/off switch (``true``/``false``), for ablations by dotted override."""


class TalksRules(_Strict):
    """How talks move positions and issue states (docs/model.md 7.5; bounded, salience-stiffened steps).

    Attributes:
        resolve: how much salience stiffens a target: it moves ``1 - resolve x salience`` of the
            kernel's step (a state yields least on what it cares most about, interview L21).
        max_step: the most a target's position moves in one turn of talks, in [0, 1]; 1 leaves
            the kernel's step unbounded.
        distrust: a target's step is scaled by ``1 - distrust x tension`` with its challenger
            (rivals concede little to each other); 0 switches it off.
        disputes_hold: the kernel's "conflict" (both expect to gain from a fight) is a dispute
            in which the target holds its position this turn; ``false`` gives the kernel's full
            move to the challenger.
        deals: an issue decided by a list of states (not a bloc) moves only in a turn in which
            two of its deciders reach an agreement on it in talks (a deal).
        deadlock_memory: per-turn persistence in [0, 1] of a rebuffed challenge (a stalemate,
            dispute or rejection; rebuffs accumulate): the challenger's score for the same
            challenge is multiplied by ``1 - min(rebuff, 1)``; 0 switches the memory off
            (interview L9, L15: deadlocked dialogue is abandoned for other counterparts).
    """

    resolve: Unit01 = Quantity(value=0.9)
    max_step: Unit01 = Quantity(value=0.1)
    distrust: Unit01 = Quantity(value=1.0)
    disputes_hold: Switch = True
    deals: Switch = True
    deadlock_memory: Unit01 = Quantity(value=0.8)


class ChannelRules(_Strict):
    """Who may change a channel, and what it is worth (docs/model.md 7.2; F1, F14).

    Attributes:
        consent: a channel is opened or reopened only by its sending side (its first endpoint,
            or the leader acting for a bloc) with the host's consent, or by both; either side
            may suspend or close it, except that a host cannot close a UN mission.
        venue: a channel with a ``venue`` (a UN mission) is valued by the issues that venue
            decides, without the bilateral preference and without the tension with its host.
        insult: weight of the share of its own staff a sender has lost (expulsions) in the
            channel's cost to it (F1, F14).
        tension_cost: weight of tension with the counterpart in a channel's political cost.
    """

    consent: Switch = True
    venue: Switch = True
    insult: Coefficient = Quantity(value=0.25)
    tension_cost: Coefficient = Quantity(value=0.25)


class StaffingRules(_Strict):
    """When a host lets a sender's staff back in (interview L35: staff on both sides).

    Attributes:
        reciprocity: restoring staff needs reciprocity (the sender let the host's staff in
            within memory), or a deal (room under the ceiling of a staffing issue), or a
            gesture between states whose tension is below ``gesture_tension``.
        gesture_tension: tension below which a host may restore staff unilaterally.
    """

    reciprocity: Switch = True
    gesture_tension: Unit01 = Quantity(value=0.3)


class PatrolRules(_Strict):
    """Joint patrols (F10, F11; interview L27: Russia joins Chinese patrols since 2019).

    Attributes:
        cooperation: partners need military cooperation: common membership of a military bloc,
            or an open military line between them that covers the theatre.
        shared_adversary: partners need a third state present in the theatre that both
            perceive as a threat (threat weight at least ``adversary_threat``).
        adversary_threat: least threat weight, in [0, 1], for a shared adversary.
        consent: both partners must gain from the patrol.
        cost: cost of a patrol to each partner, utility units (a major joint operation).
        memory: per-turn persistence in [0, 1] of a patrol's signal: the value of another
            patrol with the same partner is multiplied by ``1 - recent`` (1 after a patrol).
    """

    cooperation: Switch = True
    shared_adversary: Switch = True
    adversary_threat: Unit01 = Quantity(value=0.3)
    consent: Switch = True
    cost: Coefficient = Quantity(value=0.02)
    memory: Unit01 = Quantity(value=0.85)


class CollectiveRules(_Strict):
    """How blocs decide (F7, F12).

    Attributes:
        proximity_voting: a member votes for a motion when the new level is nearer its position
            than the current one (spatial voting); ``false``: yes only at or above the new level.
        veto: under a bloc's ``veto`` list, a move of an issue state that a veto holder opposes
            (it takes the state away from its vote position) is blocked; each such vote is logged.
    """

    proximity_voting: Switch = True
    veto: Switch = True


class ForceRules(_Strict):
    """A deliberate use of force (docs/model.md 7.14; the expected-utility tradition of war).

    A state i weighs force against j in a theatre where both are present when its expected
    utility of force exceeds that of continued bargaining (Bueno de Mesquita, *The War Trap*,
    1981; the "war" outcome of the expected-utility model, where both sides expect to gain from
    fighting). See :mod:`sim.phases.force` for the formula.

    Attributes:
        enabled: the option exists.
        cost: the political cost of starting a war at zero tension, utility units; it falls
            with tension as ``cost x (1 - tension)`` (at high tension the step is smaller).
        military_cost: expected military losses, utility units, times the chance of defeat.
        sanctions_cost: cost of the world's reaction, utility units, times the capability share
            of the states aligned with the target.
        intervention: share of an aligned but uncommitted third party's local strength that the
            attacker expects to fight for the target (allies in a military bloc count fully).
        resist: the target resists (and the clash happens) unless its chance of holding out is
            below this, in [0, 1]; else it yields (coercion).
        misperception: standard deviation, in probability units, of the attacker's error in
            estimating its chance each turn (drawn per pair and turn); 0: perfect knowledge.
    """

    enabled: Switch = True
    cost: Coefficient = Quantity(value=0.7)
    military_cost: Coefficient = Quantity(value=0.5)
    sanctions_cost: Coefficient = Quantity(value=0.25)
    intervention: Unit01 = Quantity(value=0.1)
    resist: Unit01 = Quantity(value=0.05)
    misperception: Unit01 = Quantity(value=0.05)


class Dynamics(_Strict):
    """Coefficients and switches of the turn's rules; defaults are ours (docs/model.md lists each).

    All numbers are dimensionless per-turn rates unless said otherwise. ``anchor`` is the share
    of the way each actor's negotiating position returns toward its scenario ideal point every
    turn: the expected-utility kernel models one negotiation, in which positions converge; over
    months, states fall back toward their interests unless pressed again. The nested groups
    (``talks``, ``channels``, ``staffing``, ``patrol``, ``collective``, ``force``) hold each
    mechanism's constants and its switch. See ``sim.phases`` for where each enters. They are
    fields so that sweeps and ablations can override them by dotted path
    (``dynamics.tension_decay``, ``dynamics.force.enabled``).
    """

    tension_decay: Unit01 = Quantity(value=0.05)
    tension_incident: Unit01 = Quantity(value=0.04)
    tension_crisis: Unit01 = Quantity(value=0.12)
    tension_conflict: Unit01 = Quantity(value=0.01)
    tension_agreement: Unit01 = Quantity(value=0.03)
    tension_expulsion: Unit01 = Quantity(value=0.05)
    tension_closure: Unit01 = Quantity(value=0.04)
    alignment_rate: Unit01 = Quantity(value=0.05)
    alignment_pressure: Unit01 = Quantity(value=0.5)
    alignment_patrol: Unit01 = Quantity(value=0.01)
    escalation: Unit01 = Quantity(value=0.25)
    clash: Unit01 = Quantity(value=0.02)
    deconfliction: Unit01 = Quantity(value=0.8)
    posture_step: Unit01 = Quantity(value=0.1)
    posture_cost: Coefficient = Quantity(value=0.02)
    deterrence: Coefficient = Quantity(value=0.6)
    linkage: Unit01 = Quantity(value=0.5)
    channel_upkeep: Coefficient = Quantity(value=0.004)
    channel_value: Coefficient = Quantity(value=1.0)
    expulsion_staff: Coefficient = Quantity(value=0.1)
    restore_staff: Coefficient = Quantity(value=0.1)
    reciprocity: Unit01 = Quantity(value=0.6)
    anchor: Unit01 = Quantity(value=0.15)
    grand_bargain_tension: Unit01 = Quantity(value=0.15)
    grand_bargain_turns: Annotated[int, Field(strict=True, ge=1, le=60)] = 3
    talks: TalksRules = Field(default_factory=TalksRules)
    channels: ChannelRules = Field(default_factory=ChannelRules)
    staffing: StaffingRules = Field(default_factory=StaffingRules)
    patrol: PatrolRules = Field(default_factory=PatrolRules)
    collective: CollectiveRules = Field(default_factory=CollectiveRules)
    force: ForceRules = Field(default_factory=ForceRules)


def flatten_dynamics(d: Dynamics) -> dict[str, float]:
    """The dynamics as one flat mapping of floats: ``tension_decay``, ``talks.max_step``, ...

    Switches become 1.0 (on) or 0.0 (off); ``grand_bargain_turns`` a float.
    """
    out: dict[str, float] = {}
    for name, v in d:
        if isinstance(v, _Strict) and not isinstance(v, Quantity):
            for sub, x in v:
                out[f"{name}.{sub}"] = float(x.value) if isinstance(x, Quantity) else float(x)
        else:
            out[name] = float(v.value) if isinstance(v, Quantity) else float(v)
    return out


class Relations(_Strict):
    """Starting tension (in [0, 1]) and alignment (in [-1, 1]) by pair ``"A-B"`` (symmetric).

    Pairs not listed start at ``default_tension`` and alignment 0.
    """

    default_tension: Unit01 = Quantity(value=0.2)
    tension: dict[Annotated[str, Field(strict=True)], Unit01] = Field(default_factory=dict)
    alignment: dict[Annotated[str, Field(strict=True)], Signed01] = Field(default_factory=dict)


EventKind = Literal[
    "summit",
    "incident",
    "expulsion",
    "restore_staff",
    "red_line",
    "channel_status",
    "set_posture",
    "set_position",
    "note",
]


class EventSpec(_Strict):
    """A scheduled (or injected) event; which fields apply depends on ``kind``.

    Kinds and their fields:
        ``summit``: ``actors`` (two), optional ``channel``: opens it, lowers their tension by
            ``size`` and gives their proposals a fully effective channel this turn.
        ``incident``: ``theatre``, ``actors`` (two): an incident between them, escalation drawn.
        ``expulsion``: ``channel``, ``size`` (share of baseline staff expelled).
        ``restore_staff``: ``channel``, ``size`` (share of baseline staff restored).
        ``red_line``: ``actor``, ``issue``: the actor's red line on the issue counts as crossed.
        ``channel_status``: ``channel``, ``status``.
        ``set_posture``: ``actor``, ``theatre``, ``size`` (new level, in [0, 1]).
        ``set_position``: ``actor``, ``issue``, ``size`` (new position, in [0, 1]).
        ``note``: ``text`` only: written to the turn log.
    """

    turn: Annotated[int, Field(strict=True, ge=1, le=10000)]
    kind: EventKind
    actors: list[Ident] = Field(default_factory=list)
    actor: Ident | None = None
    channel: Ident | None = None
    theatre: Ident | None = None
    issue: Ident | None = None
    status: Literal["open", "suspended", "closed"] | None = None
    size: Unit01 | None = None
    text: Text = ""
    source: Text | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> EventSpec:
        need = {
            "summit": ("actors",),
            "incident": ("theatre", "actors"),
            "expulsion": ("channel", "size"),
            "restore_staff": ("channel", "size"),
            "red_line": ("actor", "issue"),
            "channel_status": ("channel", "status"),
            "set_posture": ("actor", "theatre", "size"),
            "set_position": ("actor", "issue", "size"),
            "note": ("text",),
        }[self.kind]
        missing = [f for f in need if not getattr(self, f)]
        if missing:
            raise ValueError(f"event kind '{self.kind}' needs {', '.join(missing)}")
        if self.kind in ("summit", "incident") and len(self.actors) != 2:
            raise ValueError(f"event kind '{self.kind}' needs exactly two actors")
        return self


OUTCOME_COUNTERS = ("incidents", "crises", "agreements", "conflicts", "expulsions", "closures", "channels_open", "channels_suspended", "channels_closed")
"""Per-turn counters an outcome's ``column`` may name (running totals, and channels by status)."""

LOG_EVENT_TYPES = ("decision", "proposal", "incident", "channel", "staff", "issue", "vote", "motion", "accession", "red_line", "patrol", "event")
"""Turn-log event types an ``event_count`` outcome may count (see the README's turn log table)."""

_STATUSES = ("open", "suspended", "closed")
LOG_EVENT_FIELDS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "decision": {"actor": "actor", "action": "text", "score": "number", "done": "bool", "human": "bool", "spec": "list", "alternatives": "list", "terms": "list", "explored": "list"},
    "proposal": {
        "from": "actor",
        "to": "actor or bloc",
        "issue": "issue",
        "outcome": ("compromise", "capitulation", "conflict", "stalemate", "agreement", "rejected", "no channel", "awaiting answer"),
        "moved": "number",
        "channel": "channel",
        "rule": ("consensus", "majority", "leader"),
        "holds": "bool",
        "position": "list",
    },
    "incident": {"theatre": "theatre", "deconfliction": "number", "crisis": "bool", "armed_clash": "bool", "cause": ("escalated",), "actors": "list"},
    "channel": {"channel": "channel", "by": "actor", "from": _STATUSES, "to": _STATUSES, "for": "bloc", "consent": "actor or bloc"},
    "staff": {"channel": "channel", "by": "actor", "kind": ("expel", "restore_staff"), "persons": "number", "staff": "number"},
    "issue": {"issue": "issue", "from": "number", "to": "number"},
    "vote": {"bloc": "bloc", "candidate": "actor", "issue": "issue", "from": "number", "to_level": "number", "passed": "bool", "yes": "list", "no": "list", "veto": "list"},
    "motion": {"bloc": "bloc", "candidate": "actor", "issue": "issue"},
    "accession": {"bloc": "bloc", "member": "actor"},
    "red_line": {
        "actor": "actor",
        "issue": "issue",
        "trigger": ("crossed", "event"),
        "direction": ("above", "below"),
        "threshold": "number",
        "state": "number",
        "note": "text",
        "source": "text",
        "response": "list",
    },
    "patrol": {"theatre": "theatre", "actors": "list"},
    "event": {
        "kind": tuple(EventKind.__args__),
        "text": "text",
        "source": "text",
        "actor": "actor",
        "channel": "channel",
        "theatre": "theatre",
        "issue": "issue",
        "status": _STATUSES,
        "staff": "number",
        "level": "number",
        "position": "number",
        "actors": "list",
    },
}
"""Fields of each turn-log event type that an ``event_count`` outcome's ``match`` may name, with
what each holds: an id (``actor``, ``bloc``, ``actor or bloc``, ``issue``, ``channel``,
``theatre``), ``bool``, ``number``, ``text``, the tuple of its possible values, or ``list`` (a
list or mapping, which a single value never equals: ``between`` selects by the actors involved).
Written from the records the phases log (``sim/phases/*.py``, the README's turn log table);
``tests/test_user_findings.py`` checks it against the events of real runs."""


class OutcomeSpec(_Strict):
    """An outcome of the scenario's own, computed for every run of a sweep (a ``runs.parquet`` column
    ``outcome.<id>``).

    Kinds:
        ``threshold``: 1 if ``column`` is above ``above`` (or below ``below``) at any turn from
            the start (``when: any``, the default) or at the end (``when: final``), else 0.
        ``time_to_event``: the first turn (from 1) at which ``column`` is above ``above`` (or
            below ``below``); empty (NaN) when it never is within the run. Unit: turns.
        ``event_count``: the number of turn-log events of type ``event`` over the run, counting
            only those that involve both actors of ``between`` (when given) and whose fields
            equal ``match`` (e.g. ``{crisis: true}`` for incidents, ``{kind: expel}`` for staff).

    Attributes:
        id: the outcome's name (column ``outcome.<id>``).
        kind: ``threshold``, ``time_to_event`` or ``event_count``.
        description: what it measures, for the report.
        column: a per-turn figure: ``issue.<issue>`` (state in [0, 1]), ``tension.<A>-<B>``
            (in [0, 1]), ``alignment.<A>-<B>`` (in [-1, 1]) for any two actors, or a counter of
            :data:`OUTCOME_COUNTERS`.
        above, below: the threshold (exactly one of them for ``threshold`` and ``time_to_event``);
            strictly above or strictly below.
        when: ``any`` or ``final`` (``threshold`` only).
        event: a turn-log event type of :data:`LOG_EVENT_TYPES` (``event_count`` only).
        between: two actor or bloc ids, or none.
        match: event fields and the values they must have; the cross-reference check refuses a
            field the event type does not have, a value it never takes, an unknown id and a
            list field (:data:`LOG_EVENT_FIELDS`).
    """

    id: Ident
    kind: Literal["threshold", "time_to_event", "event_count"]
    description: Text = ""
    column: Text | None = None
    above: Num | None = None
    below: Num | None = None
    when: Literal["any", "final"] = "any"
    event: Literal[LOG_EVENT_TYPES] | None = None  # type: ignore[valid-type]
    between: list[AgentId] = Field(default_factory=list)
    match: dict[Ident, str | bool | int | float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> OutcomeSpec:
        if self.kind in ("threshold", "time_to_event"):
            if not self.column:
                raise ValueError(f"outcome kind '{self.kind}' needs column")
            if (self.above is None) == (self.below is None):
                raise ValueError(f"outcome kind '{self.kind}' needs exactly one of above and below")
            if self.event is not None or self.between or self.match:
                raise ValueError(f"outcome kind '{self.kind}' takes no event, between or match")
        else:
            if self.event is None:
                raise ValueError("outcome kind 'event_count' needs event")
            if self.column is not None or self.above is not None or self.below is not None:
                raise ValueError("outcome kind 'event_count' takes no column, above or below")
        if self.kind != "threshold" and self.when != "any":
            raise ValueError("when applies to outcome kind 'threshold' only")
        if self.between and len(self.between) != 2:
            raise ValueError("between needs exactly two ids")
        return self


CONDITION_EVENTS = (
    "armed_clash",
    "crisis",
    "incident",
    "agreement",
    "red_line",
    "accession",
    "expulsion",
    "closure",
    "summit",
)
"""Turn-log events an objective may count (see :class:`Condition`)."""


class Condition(_Strict):
    """What an objective asks of the world: one subject with its bounds.

    The subject is exactly one of issue, channel, tension, alignment or event.

    Subjects and the bounds they take:
        ``issue``: the issue's state in force, ``at_least`` / ``at_most`` in [0, 1].
        ``channel``: its ``status`` (``open``, ``suspended``, ``closed``) and / or its staff as a
            share of its baseline staff, ``at_least`` / ``at_most`` in [0, 1].
        ``tension``: two actor ids; their tension, ``at_least`` / ``at_most`` in [0, 1].
        ``alignment``: two actor ids; their alignment, ``at_least`` / ``at_most`` in [-1, 1].
        ``event``: one of :data:`CONDITION_EVENTS`, counted in the turn log from the first turn
            to the turn judged; ``actors`` (optional) keeps the events that involve every listed
            actor; ``none: true`` asks for no such event, otherwise ``at_least`` (default 1) and /
            or ``at_most`` bound the count.

    Example: ``{issue: nato_ukraine, at_most: 0.3}``, ``{channel: RUS-USA-EMB, status: open}``,
    ``{tension: [RUS, USA], at_most: 0.6}``, ``{event: armed_clash, none: true}``.
    """

    issue: Ident | None = None
    channel: Ident | None = None
    tension: Annotated[list[Ident], Field(min_length=2, max_length=2)] | None = None
    alignment: Annotated[list[Ident], Field(min_length=2, max_length=2)] | None = None
    event: Literal[
        "armed_clash",
        "crisis",
        "incident",
        "agreement",
        "red_line",
        "accession",
        "expulsion",
        "closure",
        "summit",
    ] | None = None
    actors: list[Ident] = Field(default_factory=list)
    status: Literal["open", "suspended", "closed"] | None = None
    at_least: FiniteFloat | None = None
    at_most: FiniteFloat | None = None
    none: bool | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        subjects = [f for f in ("issue", "channel", "tension", "alignment", "event") if getattr(self, f) is not None]
        if len(subjects) != 1:
            raise ValueError(
                "a condition names exactly one of issue, channel, tension, alignment, event"
                + (f" (got {', '.join(subjects)})" if subjects else "")
            )
        subject = subjects[0]
        lo, hi = self.at_least, self.at_most
        bounded = lo is not None or hi is not None
        if subject != "event" and self.none is not None:
            raise ValueError("'none' applies to event conditions only")
        if subject != "event" and self.actors:
            raise ValueError("'actors' applies to event conditions only")
        if subject != "channel" and self.status is not None:
            raise ValueError("'status' applies to channel conditions only")
        if subject in ("issue", "tension", "alignment") and not bounded:
            raise ValueError(f"a {subject} condition needs at_least or at_most")
        if subject == "channel" and not bounded and self.status is None:
            raise ValueError("a channel condition needs status, at_least or at_most")
        pair = getattr(self, subject)
        if subject in ("tension", "alignment") and pair[0] == pair[1]:
            raise ValueError(f"a {subject} condition names two different actors")
        span = (-1.0, 1.0) if subject == "alignment" else (0.0, 1.0)
        if subject == "event":
            if self.none and bounded:
                raise ValueError("give either none: true or at_least / at_most, not both")
            span = (0.0, 10000.0)
        for name, v in (("at_least", lo), ("at_most", hi)):
            if v is not None and not span[0] <= v <= span[1]:
                raise ValueError(f"{name} must be in [{span[0]:g}, {span[1]:g}], got {v:g}")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"at_least ({lo:g}) is above at_most ({hi:g})")
        return self


_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def _turn_or_month(v: Any) -> Any:
    """An objective's ``by``: a turn number or a month, checked as one (one message, not one per type)."""
    if v is None:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        if not 1 <= v <= 10000:
            raise ValueError(f"a turn number is from 1 to 10000, got {v}")
        return v
    if isinstance(v, str) and _MONTH.match(v):
        return v
    shown = repr(v) if isinstance(v, str) and len(v) <= 40 else type(v).__name__
    raise ValueError(f"must be a turn number (e.g. 6) or a month written YYYY-MM (e.g. \"2022-03\"), got {shown}")


class Objective(_Strict):
    """One objective of a team in the seminar game (scored by :mod:`sim.score`).

    Attributes:
        id: short id, unique within the actor's objectives.
        text: the objective in plain words, as the team reads it in its briefing.
        condition: what must hold (:class:`Condition`).
        by: optional deadline, a turn number (``6``) or a month (``"2022-03"``): the objective is
            judged at that turn and the verdict then is final. Without it, the objective is judged
            at the turn shown (live), and at the end of the game for the final score.
        points: points it is worth when met, in [0, 100] (default 10).
        source: why this is the actor's objective (an interview line, a document).
    """

    id: Ident
    text: Text
    condition: Condition
    by: Annotated[
        int | str | None,
        BeforeValidator(_turn_or_month),
        WithJsonSchema({"anyOf": [{"maximum": 10000, "minimum": 1, "type": "integer"}, {"pattern": _MONTH.pattern, "type": "string"}, {"type": "null"}]}),
    ] = None
    points: Annotated[float, Field(strict=True, ge=0.0, le=100.0, allow_inf_nan=False)] = 10.0
    source: Text | None = None


class Scenario(_Strict):
    """A whole scenario file (docs/model.md, section 6)."""

    schema_version: Literal[1]
    name: Name
    description: Text = ""
    start: Annotated[str, Field(strict=True, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    turns: Annotated[int, Field(strict=True, ge=1, le=600)]
    turn_months: Annotated[int, Field(strict=True, ge=1, le=12)] = 1
    sources: dict[Ident, SourceRef] = Field(default_factory=dict)
    issues: Annotated[dict[Ident, IssueSpec], Field(min_length=1)]
    actors: Annotated[dict[AgentId, ActorSpec], Field(min_length=2)]
    blocs: dict[AgentId, BlocSpec] = Field(default_factory=dict)
    channels: dict[Ident, ChannelSpec] = Field(default_factory=dict)
    theatres: dict[Ident, TheatreSpec] = Field(default_factory=dict)
    relations: Relations = Field(default_factory=Relations)
    ai: AISpec = Field(default_factory=AISpec)
    dynamics: Dynamics = Field(default_factory=Dynamics)
    great_powers: list[Ident] = Field(default_factory=list)
    events: list[EventSpec] = Field(default_factory=list)
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    story: Text = ""
    """The scenario's story for the class, in plain words (the seminar game's opening brief)."""
    playable: list[Ident] = Field(default_factory=list)
    """States a class may play; empty means the great powers (see :func:`playable_ids`)."""
    briefings: dict[Ident, Text] = Field(default_factory=dict)
    """Per actor: a paragraph of its situation that opens its team's briefing."""
    objectives: dict[Ident, list[Objective]] = Field(default_factory=dict)
    """Per actor: its objectives in the seminar game (three for each playable state)."""
    debrief_questions: Annotated[list[Text], Field(max_length=5)] = Field(default_factory=list)
    """Three to five questions for the class's debrief."""


def playable_ids(sc: Scenario) -> list[str]:
    """The states a class may play: ``playable`` if given, else the great powers, else all actors."""
    return list(sc.playable or sc.great_powers or sc.actors)


def month_turn(sc: Scenario, month: str) -> int:
    """The turn at which the scenario reaches a calendar month ``YYYY-MM`` (turn 0 is ``start``).

    Months that fall inside a multi-month turn map to that turn (rounded up).
    """
    y0, m0 = map(int, sc.start.split("-"))
    y, m = map(int, month.split("-"))
    months = (y - y0) * 12 + (m - m0)
    return -(-months // sc.turn_months)


def deadline_turn(sc: Scenario, ob: Objective) -> int | None:
    """The turn at which an objective is judged for good (``None``: it has no deadline)."""
    if ob.by is None:
        return None
    return ob.by if isinstance(ob.by, int) else month_turn(sc, ob.by)


Path = tuple[str | int, ...]


LAST_MONTH = (9999, 12)
"""The calendar's last month: dates are written ``YYYY-MM`` with a four-digit year (the
scenario's ``start``, an objective's ``by``, every turn's date in logs, saves and results)."""


def calendar_end_problem(start: str, turns: int, turn_months: int) -> str | None:
    """Why a run of ``turns`` turns from ``start`` would leave the calendar, else None.

    Args:
        start: the first month, ``YYYY-MM`` (already checked against its pattern).
        turns: the horizon in turns, >= 1.
        turn_months: months per turn, in [1, 12].

    Returns:
        A one-line message naming the month the run would reach, or None when its last turn
        falls in or before :data:`LAST_MONTH` (9999-12).
    """
    y, m = map(int, start.split("-"))
    k = (m - 1) + turns * turn_months
    end_y, end_m = y + k // 12, k % 12 + 1
    if (end_y, end_m) <= LAST_MONTH:
        return None
    return (
        f"{turns} turns of {turn_months} month{'s' if turn_months != 1 else ''} from {start} end in "
        f"{end_y}-{end_m:02d}; dates stop at {LAST_MONTH[0]}-{LAST_MONTH[1]:02d} (four-digit years)"
    )


def cross_reference_problems(sc: Scenario) -> list[tuple[Path, str]]:
    """Every dangling or inconsistent reference in a field-valid scenario.

    Args:
        sc: a scenario that passed field validation.

    Returns:
        A list of ``(path, message)``; empty when the scenario is consistent. ``path`` is the
        field path as a tuple (``("blocs", "NATO", "members", 3)``).
    """
    out: list[tuple[Path, str]] = []
    beyond = calendar_end_problem(sc.start, sc.turns, sc.turn_months)
    if beyond is not None:
        out.append((("turns",), beyond))
    total = 0.0
    for aid, a in sc.actors.items():
        total += a.capability.value
        if not math.isfinite(total):
            out.append(
                (("actors", aid, "capability"), "the capabilities add up to more than the largest number (about 1.8e308); give them in a larger unit")
            )
            break
    actors, blocs, issues = set(sc.actors), set(sc.blocs), set(sc.issues)
    channels, theatres = set(sc.channels), set(sc.theatres)
    both = actors | blocs
    clash = actors & blocs
    for x in sorted(clash):
        out.append((("blocs", x), f"'{x}' is both an actor and a bloc id"))

    def need(path: Path, ref: str, pool: set[str], what: str) -> None:
        if ref not in pool:
            import difflib

            close = difflib.get_close_matches(ref, sorted(pool), n=1, cutoff=0.6)
            if close:
                hint = f"did you mean '{close[0]}'?"
            elif not pool:
                hint = "none defined"
            elif len(pool) <= 20:
                hint = "known: " + ", ".join(sorted(pool))
            else:
                hint = "known: " + ", ".join(sorted(pool)[:20]) + f", ... ({len(pool)} in all)"
            out.append((path, f"unknown {what} '{ref}' ({hint})"))

    for iid, iss in sc.issues.items():
        if isinstance(iss.decided_by, str):
            need(("issues", iid, "decided_by"), iss.decided_by, both, "actor or bloc")
        else:
            if not iss.decided_by:
                out.append((("issues", iid, "decided_by"), "needs at least one actor"))
            for k, a in enumerate(iss.decided_by):
                need(("issues", iid, "decided_by", k), a, actors, "actor")
                if a in iss.decided_by[:k]:
                    out.append((("issues", iid, "decided_by", k), f"'{a}' is listed twice"))
        for k, ch in enumerate(iss.staffing_channels):
            need(("issues", iid, "staffing_channels", k), ch, channels, "channel")
    for aid, a in sc.actors.items():
        for field in ("position", "salience"):
            for iid in getattr(a, field):
                need(("actors", aid, field, iid), iid, issues, "issue")
        for oid in a.threat:
            need(("actors", aid, "threat", oid), oid, both, "actor or bloc")
            if oid == aid:
                out.append((("actors", aid, "threat", oid), "an actor cannot threaten itself"))
        for tid in a.posture_appetite:
            need(("actors", aid, "posture_appetite", tid), tid, theatres, "theatre")
        for k, rl in enumerate(a.red_lines):
            p = ("actors", aid, "red_lines", k)
            need((*p, "issue"), rl.issue, issues, "issue")
            for tid in rl.response.posture:
                need((*p, "response", "posture", tid), tid, theatres, "theatre")
            for oid in rl.response.tension:
                need((*p, "response", "tension", oid), oid, both, "actor or bloc")
            for j, ch in enumerate(rl.response.suspend_channels):
                need((*p, "response", "suspend_channels", j), ch, channels, "channel")
        for k, f in enumerate(a.factions):
            for oid in f.threat:
                need(("actors", aid, "factions", k, "threat", oid), oid, both, "actor or bloc")
            for j, tid in enumerate(f.theatres):
                need(("actors", aid, "factions", k, "theatres", j), tid, theatres, "theatre")
        for oid in a.coordination:
            need(("actors", aid, "coordination", oid), oid, actors, "actor")
            if oid == aid:
                out.append((("actors", aid, "coordination", oid), "an actor cannot coordinate with itself"))
        for bid, lid in a.beliefs.bloc_leader.items():
            need(("actors", aid, "beliefs", "bloc_leader", bid), bid, blocs, "bloc")
            need(("actors", aid, "beliefs", "bloc_leader", bid), lid, actors, "actor")
    for bid, b in sc.blocs.items():
        seen: set[str] = set()
        for k, m in enumerate(b.members):
            need(("blocs", bid, "members", k), m, actors, "actor")
            if m in seen:
                out.append((("blocs", bid, "members", k), f"'{m}' is listed twice"))
            seen.add(m)
        if b.leader is not None and b.leader not in b.members:
            out.append((("blocs", bid, "leader"), f"leader '{b.leader}' is not a member"))
        if b.autonomy_from is not None:
            need(("blocs", bid, "autonomy_from"), b.autonomy_from, actors, "actor")
        for k, v in enumerate(b.veto):
            if v not in b.members:
                out.append((("blocs", bid, "veto", k), f"veto holder '{v}' is not a member"))
        for cid, iid in b.candidates.items():
            need(("blocs", bid, "candidates", cid), cid, actors, "actor")
            need(("blocs", bid, "candidates", cid), iid, issues, "issue")
            if cid in b.members:
                out.append((("blocs", bid, "candidates", cid), f"'{cid}' is already a member"))
    for cid, ch in sc.channels.items():
        for k, e in enumerate(ch.endpoints):
            need(("channels", cid, "endpoints", k), e, both, "actor or bloc")
        if all(e in blocs for e in ch.endpoints):
            out.append((("channels", cid, "endpoints"), "a channel needs at least one actor"))
        if ch.kind == "embassy" and all(e in both for e in ch.endpoints) and not all(e in actors for e in ch.endpoints):
            out.append((("channels", cid, "endpoints"), "an embassy joins two states"))
        if ch.venue is not None:
            need(("channels", cid, "venue"), ch.venue, blocs, "bloc")
        for k, iid in enumerate(ch.issues):
            need(("channels", cid, "issues", k), iid, issues, "issue")
        for k, tid in enumerate(ch.theatres):
            need(("channels", cid, "theatres", k), tid, theatres, "theatre")
    for tid, th in sc.theatres.items():
        for k, a in enumerate(th.present):
            need(("theatres", tid, "present", k), a, actors, "actor")
        for a in th.posture:
            if a not in th.present:
                out.append(
                    (("theatres", tid, "posture", a), f"'{a}' has posture but is not present")
                )
    for field in ("tension", "alignment"):
        seen_pairs: dict[frozenset[str], str] = {}
        for pair in getattr(sc.relations, field):
            parts = pair.split("-")
            if len(parts) != 2 or parts[0] == parts[1]:
                out.append((("relations", field, pair), "a pair is written 'A-B' with two ids"))
                continue
            same = seen_pairs.setdefault(frozenset(parts), pair)
            if same != pair:
                out.append((("relations", field, pair), f"the pair is already given as '{same}'"))
            for p in parts:
                need(("relations", field, pair), p, actors, "actor")
    for k, g in enumerate(sc.great_powers):
        need(("great_powers", k), g, actors, "actor")
        if g in sc.great_powers[:k]:
            out.append((("great_powers", k), f"'{g}' is listed twice"))
    for k, a in enumerate(sc.playable):
        need(("playable", k), a, actors, "actor")
        if a in sc.playable[:k]:
            out.append((("playable", k), f"'{a}' is listed twice"))
    for a in sc.briefings:
        need(("briefings", a), a, actors, "actor")
    for a, obs in sc.objectives.items():
        need(("objectives", a), a, actors, "actor")
        seen_ob: set[str] = set()
        for k, ob in enumerate(obs):
            p = ("objectives", a, k)
            if ob.id in seen_ob:
                out.append(((*p, "id"), f"objective id '{ob.id}' is used twice"))
            seen_ob.add(ob.id)
            c = ob.condition
            if c.issue is not None:
                need((*p, "condition", "issue"), c.issue, issues, "issue")
            if c.channel is not None:
                need((*p, "condition", "channel"), c.channel, channels, "channel")
            for field in ("tension", "alignment"):
                for j, x in enumerate(getattr(c, field) or []):
                    need((*p, "condition", field, j), x, actors, "actor")
            for j, x in enumerate(c.actors):
                need((*p, "condition", "actors", j), x, actors, "actor")
            due = deadline_turn(sc, ob)
            if due is not None and not 1 <= due <= sc.turns:
                when = f"turn {due}" if isinstance(ob.by, int) else f"{ob.by} (turn {due})"
                out.append(((*p, "by"), f"{when} is outside the game (turns 1 to {sc.turns})"))
    for k, ev in enumerate(sc.events):
        p = ("events", k)
        if ev.turn > sc.turns:
            out.append(((*p, "turn"), f"turn {ev.turn} is after the last turn ({sc.turns})"))
        for j, a in enumerate(ev.actors):
            need((*p, "actors", j), a, actors, "actor")
        if ev.actor is not None:
            need((*p, "actor"), ev.actor, actors, "actor")
        if ev.channel is not None:
            need((*p, "channel"), ev.channel, channels, "channel")
        if ev.theatre is not None:
            need((*p, "theatre"), ev.theatre, theatres, "theatre")
        if ev.issue is not None:
            need((*p, "issue"), ev.issue, issues, "issue")
    seen_outcomes: set[str] = set()
    for k, oc in enumerate(sc.outcomes):
        p = ("outcomes", k)
        if oc.id in seen_outcomes:
            out.append(((*p, "id"), f"'{oc.id}' is listed twice"))
        seen_outcomes.add(oc.id)
        if oc.column is not None:
            col_problems = _column_problems(oc.column, actors, issues)
            out += [((*p, "column"), m) for m in col_problems]
            if not col_problems:
                out += [((*p, side), m) for side, m in _threshold_problems(oc)]
        for j, a in enumerate(oc.between):
            need((*p, "between", j), a, both, "actor or bloc")
        if oc.event is not None:
            pools = {"actor": actors, "bloc": blocs, "actor or bloc": both, "issue": issues, "channel": channels, "theatre": theatres}
            fields = LOG_EVENT_FIELDS.get(oc.event, {})
            for key, value in oc.match.items():
                out += [((*p, "match", key), m) for m in _match_problems(oc.event, fields, key, value, pools)]
    return out


def _bounded(value: Any) -> str:
    """A repr of what the user wrote, at most about 60 characters (a value may be kilobytes)."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring = r.maxother = 60
    return r.repr(value)


def _match_problems(event: str, fields: dict[str, str | tuple[str, ...]], key: str, value: Any, pools: dict[str, set[str]]) -> list[str]:
    """Why ``match: {key: value}`` can never hold for a turn-log event of type ``event`` (empty when it can).

    Args:
        event: the outcome's event type.
        fields: :data:`LOG_EVENT_FIELDS` of that type.
        key: a field name of the outcome's ``match``.
        value: the value it asks for.
        pools: the scenario's ids by kind (``actor``, ``bloc``, ``actor or bloc``, ``issue``,
            ``channel``, ``theatre``).
    """
    what = fields.get(key)
    if key == "type":
        return ["the event type is given by 'event', not by match"]
    if what is None:
        return [f"'{event}' events have no field '{key}' (fields: {', '.join(sorted(k for k, v in fields.items() if v != 'list'))})"]
    if what == "list":
        return [f"'{key}' of '{event}' events is a list, which no single value equals; select by the actors involved with 'between'"]
    shown = f"{type(value).__name__} {_bounded(value)}"
    if isinstance(what, tuple):
        if value not in what:
            return [f"'{key}' of '{event}' events is one of {', '.join(what)}, not {shown}"]
        return []
    if what == "bool":
        return [] if isinstance(value, bool) else [f"'{key}' of '{event}' events is true or false, not {shown}"]
    if what == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"'{key}' of '{event}' events is a number, not {shown}"]
    if not isinstance(value, str):
        return [f"'{key}' of '{event}' events is {'a text' if what == 'text' else 'an id'}, not {shown}"]
    pool = pools.get(what)
    if pool is not None and value not in pool:
        import difflib

        close = difflib.get_close_matches(value, sorted(pool), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(sorted(pool)[:20]) + (f", ... ({len(pool)} in all)" if len(pool) > 20 else "")
        return [f"'{key}' of '{event}' events is {'an' if what[0] in 'aei' else 'a'} {what}: unknown {what} {_bounded(value)} ({hint})"]
    return []


def _threshold_problems(oc: OutcomeSpec) -> list[tuple[str, str]]:
    """Why an outcome's threshold can never be crossed, or is crossed from the start (empty when fine).

    ``issue.*`` and ``tension.*`` are in [0, 1], ``alignment.*`` in [-1, 1], counters >= 0; a
    threshold is crossed strictly (``above``: value > threshold).
    """
    head = oc.column.partition(".")[0] if oc.column else ""
    lo, hi = {"issue": (0.0, 1.0), "tension": (0.0, 1.0), "alignment": (-1.0, 1.0)}.get(head, (0.0, math.inf))
    span = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f"{lo:g} or more"
    if oc.above is not None:
        v = oc.above.value
        if v >= hi or v < lo:
            return [("above", f"{oc.column} is {span}: it is {'never' if v >= hi else 'always'} above {v:g}, so the outcome cannot vary")]
    if oc.below is not None:
        v = oc.below.value
        if v <= lo or v > hi:
            return [("below", f"{oc.column} is {span}: it is {'never' if v <= lo else 'always'} below {v:g}, so the outcome cannot vary")]
    return []


def _column_problems(column: str, actors: set[str], issues: set[str]) -> list[str]:
    """Why ``column`` is not a per-turn figure an outcome can follow (empty when it is)."""
    if column in OUTCOME_COUNTERS:
        return []
    head, dot, rest = column.partition(".")
    if head == "issue" and dot:
        return [] if rest in issues else [f"unknown issue '{rest}' in '{column}'"]
    if head in ("tension", "alignment") and dot:
        pair = rest.split("-")
        if len(pair) != 2 or pair[0] == pair[1]:
            return [f"'{column}': a pair is written {head}.A-B with two actor ids"]
        return [f"unknown actor '{a}' in '{column}'" for a in pair if a not in actors]
    return [f"'{column}' is not a per-turn figure: use issue.ID, tension.A-B, alignment.A-B or one of {', '.join(OUTCOME_COUNTERS)}"]


"""A team's briefing for the seminar game, as plain data (pure; no pygame, no files).

A briefing tells a team what its state wants and what it can use:

* **interests**: every issue the state cares about, most salient first, in plain words derived
  from its ideal point and salience as the scenario gives them, with the state of the issue now
  and the sources (interview lines) behind the numbers;
* **red lines**: its own (issue, threshold, response) and those of others on issues it cares about;
* **channels**: the channels it can talk through (status, staff, issues carried), and its
  **partners** (blocs it belongs to, best-aligned states) and **rivals** (highest threat);
* **objectives**: the scenario's objectives for the team (see :mod:`sim.score`);
* the scenario's **story** and the team's own **situation** paragraph.

The front end shows it at the start and on every hand-over; ``run.py briefing`` prints it as
HTML. With a model rather than a scenario, the issue states, channels and relations are those of
the current turn.
"""

from __future__ import annotations

from typing import Any

from sim.describe import actor_name, channel_words, issue_words, level_words, possessive
from sim.schema import Scenario, deadline_turn, playable_ids
from sim.score import initial_snapshot

SALIENCE_WORDS = ((0.8, "vital"), (0.5, "important"), (0.25, "secondary"), (0.0, "minor"))
"""Salience in words: the first band whose lower bound the salience reaches."""
HOLD = 0.05
"""An ideal point within this distance of the issue's state means "keep it where it is"."""
PARTNERS = 4
"""How many best-aligned states and highest-threat states a briefing names."""


def salience_word(s: float) -> str:
    """``vital`` (>= 0.8), ``important`` (>= 0.5), ``secondary`` (>= 0.25) or ``minor``."""
    for lo, word in SALIENCE_WORDS:
        if s >= lo:
            return word
    return "minor"


def _source(sc: Scenario, actor_id: str, issue: str) -> str:
    spec = sc.actors[actor_id]
    parts = []
    for q in (spec.position.get(issue), spec.salience.get(issue)):
        src = getattr(q, "source", None)
        if src and src not in parts:
            parts.append(src)
    return "; ".join(parts) or "no source given"


def interest_text(sc: Scenario, actor_id: str, issue: str, ideal: float, salience: float, state: float) -> str:
    """One interest in a sentence: what the state wants on an issue, and how much it matters."""
    label = issue_words(sc, issue)
    weight = salience_word(salience)
    want = level_words(sc, issue, ideal)
    now = level_words(sc, issue, state)
    if abs(ideal - state) <= HOLD:
        verb = f"keep {label} where it is, at {now}"
    elif ideal > state:
        verb = f"push {label} up from {now} toward {want}"
    else:
        verb = f"bring {label} down from {now} toward {want}"
    return f"{weight.capitalize()} ({salience:.2f}): {verb}."


def briefing(scenario_or_model: Any, actor_id: str) -> dict[str, Any]:
    """The briefing of one team, as plain data.

    Args:
        scenario_or_model: a validated :class:`~sim.schema.Scenario` (the start of the game) or a
            :class:`sim.model.GreatPowerModel` (the game as it stands).
        actor_id: the team's state.

    Returns:
        A dict with ``actor``, ``name``, ``scenario``, ``story``, ``situation``, ``turn``,
        ``date``, ``capability_share`` and ``capability_rank``, ``interests`` (list of dicts:
        ``issue``, ``label``, ``salience``, ``weight`` word, ``ideal``, ``state``, ``text``,
        ``source``), ``red_lines`` and ``others_red_lines`` (``actor``, ``issue``, ``threshold``,
        ``direction``, ``text``, ``source``), ``channels`` (``id``, ``label``, ``kind``,
        ``with``, ``status``, ``staff``, ``staff_baseline``, ``issues``, ``text``), ``blocs``
        (``id``, ``name``, ``rule``, ``members``), ``partners`` and ``rivals`` (``id``, ``name``,
        ``alignment``, ``tension``, ``threat``), and ``objectives`` (``id``, ``text``,
        ``points``, ``by`` turn or ``None``, ``source``).

    Raises:
        KeyError: unknown actor.
    """
    is_model = hasattr(scenario_or_model, "snapshot") and hasattr(scenario_or_model, "step")
    sc: Scenario = scenario_or_model.scenario if is_model else scenario_or_model
    if actor_id not in sc.actors:
        raise KeyError(f"unknown actor {actor_id!r} (known: {', '.join(sc.actors)})")
    snap = scenario_or_model.snapshot() if is_model else initial_snapshot(sc)
    spec = sc.actors[actor_id]

    interests = []
    for x in sc.issues:
        s = float(spec.salience[x].value) if x in spec.salience else 0.0
        if s <= 0:
            continue
        ideal = float(spec.position[x].value) if x in spec.position else 0.5
        state = float(snap["issues"][x]["state"])
        interests.append(
            {
                "issue": x,
                "label": sc.issues[x].label,
                "salience": s,
                "weight": salience_word(s),
                "ideal": ideal,
                "state": state,
                "text": interest_text(sc, actor_id, x, ideal, s, state),
                "source": _source(sc, actor_id, x),
            }
        )
    interests.sort(key=lambda d: (-d["salience"], d["issue"]))
    cares = {d["issue"] for d in interests}

    def red_line(owner: str, rl) -> dict:
        thr = float(rl.threshold.value)
        side = "reaches" if rl.direction == "above" else "falls to"
        who = "you" if owner == actor_id else actor_name(sc, owner)
        note = f" {rl.response.note}." if rl.response.note else ""
        return {
            "actor": owner,
            "issue": rl.issue,
            "threshold": thr,
            "direction": rl.direction,
            "text": (
                f"If {issue_words(sc, rl.issue)} {side} {level_words(sc, rl.issue, thr)}, "
                f"{who} {'respond' if owner == actor_id else 'responds'} (posture, tension"
                f"{', channels suspended' if rl.response.suspend_channels else ''}).{note}"
            ),
            "source": rl.source or rl.threshold.source or "no source given",
        }

    own_lines = [red_line(actor_id, rl) for rl in spec.red_lines]
    others = [
        red_line(a, rl)
        for a, s in sc.actors.items()
        if a != actor_id
        for rl in s.red_lines
        if rl.issue in cares
    ]

    my_blocs = [b for b, v in snap["blocs"].items() if actor_id in v["members"]]
    channels = []
    for c, ch in sc.channels.items():
        ends = list(ch.endpoints)
        mine = actor_id in ends or any(e in my_blocs for e in ends)
        if not mine:
            continue
        other = [e for e in ends if e != actor_id and e not in my_blocs]
        if not other:
            continue
        st = snap["channels"][c]
        carried = [issue_words(sc, x) for x in ch.issues]
        status = st["status"]
        staffing = f", {st['staff']:,.0f} of {st['staff_baseline']:,.0f} staff" if ch.kind in ("embassy", "bloc_mission", "un") else ""
        what = f"carries {', '.join(carried)}" if carried else "deconfliction only" if ch.kind == "military_hotline" else "no issue"
        channels.append(
            {
                "id": c,
                "label": channel_words(sc, c),
                "kind": ch.kind,
                "with": other[0],
                "status": status,
                "staff": float(st["staff"]),
                "staff_baseline": float(st["staff_baseline"]),
                "issues": list(ch.issues),
                "text": f"{channel_words(sc, c)[:1].upper()}{channel_words(sc, c)[1:]} ({status}{staffing}): {what}.",
            }
        )
    status_rank = {"open": 0, "suspended": 1, "closed": 2}
    channels.sort(key=lambda d: (status_rank[d["status"]], d["with"], d["id"]))

    blocs = [
        {"id": b, "name": sc.blocs[b].name, "rule": sc.blocs[b].rule, "members": list(snap["blocs"][b]["members"])}
        for b in my_blocs
    ]
    rel = []
    for b in sc.actors:
        if b == actor_id:
            continue
        threat = float(spec.threat[b].value) if b in spec.threat else 0.0
        rel.append(
            {
                "id": b,
                "name": sc.actors[b].name,
                "alignment": float(snap["alignment"][actor_id][b]),
                "tension": float(snap["tension"][actor_id][b]),
                "threat": threat,
            }
        )
    partners = sorted([r for r in rel if r["alignment"] > 0], key=lambda r: (-r["alignment"], r["id"]))[:PARTNERS]
    rivals = sorted([r for r in rel if r["threat"] > 0], key=lambda r: (-r["threat"], -r["tension"], r["id"]))[:PARTNERS]

    caps = sorted(((float(s.capability.value), a) for a, s in sc.actors.items()), reverse=True)
    total = sum(v for v, _ in caps) or 1.0
    rank = next(k for k, (_, a) in enumerate(caps, start=1) if a == actor_id)
    objectives = [
        {"id": ob.id, "text": ob.text, "points": ob.points, "by": deadline_turn(sc, ob), "source": ob.source or ""}
        for ob in sc.objectives.get(actor_id, [])
    ]
    turn = int(snap.get("turn", 0))
    return {
        "actor": actor_id,
        "name": spec.name,
        "scenario": sc.name,
        "story": sc.story or sc.description,
        "situation": sc.briefings.get(actor_id, ""),
        "turn": turn,
        "date": _date(sc, turn),
        "playable": actor_id in playable_ids(sc),
        "capability_share": float(spec.capability.value) / total,
        "capability_rank": rank,
        "capability_source": spec.capability.source or "",
        "interests": interests,
        "red_lines": own_lines,
        "others_red_lines": others,
        "channels": channels,
        "blocs": blocs,
        "partners": partners,
        "rivals": rivals,
        "objectives": objectives,
        "headline": _headline(sc, actor_id, interests),
    }


def _date(sc: Scenario, turn: int) -> str:
    y, m = map(int, sc.start.split("-"))
    k = (m - 1) + turn * sc.turn_months
    return f"{y + k // 12:04d}-{k % 12 + 1:02d}"


def _headline(sc: Scenario, actor_id: str, interests: list[dict]) -> str:
    """One sentence: what matters most to the state."""
    top = [d for d in interests if d["weight"] == "vital"] or interests[:1]
    if not top:
        return f"{possessive(sc.actors[actor_id].name)} stakes in this scenario are small."
    names = [issue_words(sc, d["issue"]) for d in top[:3]]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"What matters most to {actor_name(sc, actor_id)}: {listed}."


def class_briefing(sc: Scenario) -> dict[str, Any]:
    """The briefing for the whole class: the story, the playable states, the issues and the rules.

    Returns:
        ``scenario``, ``story``, ``start``, ``turns``, ``turn_months``, ``playable`` (ids and
        names, each with its headline), ``issues`` (``id``, ``label``, ``state`` and its words,
        ``decided_by``, ``scale``), ``blocs`` and ``debrief_questions``.
    """
    return {
        "scenario": sc.name,
        "story": sc.story or sc.description,
        "start": sc.start,
        "turns": sc.turns,
        "turn_months": sc.turn_months,
        "playable": [
            {"id": a, "name": sc.actors[a].name, "headline": briefing(sc, a)["headline"]} for a in playable_ids(sc)
        ],
        "issues": [
            {
                "id": x,
                "label": s.label,
                "state": float(s.state.value),
                "state_words": level_words(sc, x, float(s.state.value)),
                "decided_by": s.decided_by if isinstance(s.decided_by, str) else " and ".join(s.decided_by),
                "scale": sorted((float(k), v) for k, v in s.scale.items()),
                "source": s.source or "",
            }
            for x, s in sc.issues.items()
        ],
        "blocs": [{"id": b, "name": s.name, "rule": s.rule, "members": list(s.members)} for b, s in sc.blocs.items()],
        "debrief_questions": list(sc.debrief_questions),
    }

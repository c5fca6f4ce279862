"""Actions, proposals and a month's changes in plain words (pure functions, no pygame).

The front end shows these in its action menu, its answer menu and its month-results screen; the
command line and the debrief report use them too. Everything is read from the scenario and a
snapshot (``model.snapshot()``, plain data), so the same words describe a live game, a save
and a replay.

Example: ``Action("propose", "USA", issue="nato_ukraine", target="RUS", channel="USA-RUS-EMB")``
reads "Ask Russia, through the US embassy in Moscow, to accept NATO membership for Ukraine at
'Membership Action Plan' (0.60); Russia stands at 'no prospect' (0.00)".
"""

from __future__ import annotations

from typing import Any

from sim.actions import Action
from sim.schema import Scenario

_THE = ("United ", "Republic", "Kingdom", "Netherlands", "Philippines", "Czech Republic", "Holy See", "European")
"""Names read with "the" (the United States, the United Kingdom)."""
NEAR = 0.05
"""A position within this distance of a scale level is named by that level; otherwise "near"."""
TENSION_NOTE = 0.03
"""Smallest change of a pair's tension in a month that the month's summary reports."""

KIND_WORDS = {
    "embassy": "embassy",
    "ministerial_2plus2": "2+2 ministerial format",
    "bloc_mission": "mission",
    "military_hotline": "military line",
    "summit": "summit channel",
    "un": "UN mission",
}
_COMMON_FIRST = ("Military", "Embassy", "Mission", "Summit", "Hotline", "Channel", "Talks")
"""First words of channel labels that are not names (lower-cased after "the")."""
END_WORDS = {
    "horizon": "the last turn was reached",
    "armed_clash": "an armed clash (an incident that escalated, or a deliberate use of force)",
    "grand_bargain": "great-power tensions stayed low for several turns (a grand bargain)",
    "running": "still running",
}
"""How a game ended, in words."""
OUTCOME_WORDS = {
    "compromise": "a compromise",
    "capitulation": "agreement ({target} gave way)",
    "agreement": "agreement",
}
"""Agreements in words; ``{target}`` is the state that was asked (in a capitulation it gave
way: kernel outcome ``capitulation``, or a human team's "accept"), named so that the words are
true for every reader, the side that gave way included."""


def _is_model(x: Any) -> bool:
    return hasattr(x, "snapshot") and hasattr(x, "scenario") and hasattr(x, "step")


def the(name: str) -> str:
    """A state's name with the article it takes in a sentence ("the United States", "Russia")."""
    return f"the {name}" if name.startswith(_THE) else name


def possessive(name: str) -> str:
    """"Russia's", "the United States'"."""
    n = the(name)
    return n + ("'" if n.endswith("s") else "'s")


def capital_first(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:] if text else text


def actor_name(sc: Scenario, ref: str) -> str:
    """Display name of an actor or bloc id with its article ("the United States", "NATO")."""
    if ref in sc.actors:
        return the(sc.actors[ref].name)
    if ref in sc.blocs:
        return ref
    return ref


def level_words(sc: Scenario, issue: str, value: float) -> str:
    """A value on an issue's scale in words: ``'Membership Action Plan' (0.60)``.

    A value within :data:`NEAR` of a named level is named by it; one between two levels reads
    "0.45 (between 'A' and 'B')". An issue without a scale gives the number alone.
    """
    scale = sorted((float(k), v) for k, v in sc.issues[issue].scale.items())
    if not scale:
        return f"{value:.2f}"
    lv, name = min(scale, key=lambda kv: (abs(kv[0] - value), kv[0]))
    if abs(lv - value) <= NEAR:
        return f"'{name}' ({value:.2f})"
    below = [kv for kv in scale if kv[0] < value]
    above = [kv for kv in scale if kv[0] > value]
    if below and above:
        return f"{value:.2f} (between '{below[-1][1]}' and '{above[0][1]}')"
    return f"{value:.2f} ({'above' if below else 'below'} '{name}')"


def issue_words(sc: Scenario, issue: str) -> str:
    """An issue's label inside a sentence ("sanctions on Iran", "NATO membership for Ukraine")."""
    label = sc.issues[issue].label
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first[1:].islower():
        return label[:1].lower() + label[1:]
    return label


def channel_words(sc: Scenario, channel: str) -> str:
    """A channel in words: its label, or "the embassy between Russia and the United States"."""
    if channel.startswith("caucus:"):
        bloc = channel.split(":", 1)[1]
        return f"talks within {bloc}"
    spec = sc.channels.get(channel)
    if spec is None:
        return channel
    if spec.label:
        label = spec.label
        first = label.split(" ", 1)[0]
        if first.endswith(("'s", "'")) or first.lower() == "the":
            return label  # "Russia's mission to NATO"
        if first in _COMMON_FIRST:
            label = label[:1].lower() + label[1:]
        return "the " + label
    a, b = (actor_name(sc, e) for e in spec.endpoints)
    return f"the {KIND_WORDS.get(spec.kind, spec.kind)} between {a} and {b}"


def _snap(model_or_snapshot: Any) -> dict:
    return model_or_snapshot.snapshot() if _is_model(model_or_snapshot) else model_or_snapshot


def _position(snap: dict, actor: str, issue: str) -> float:
    return float(snap["actors"][actor]["position"][issue])


def describe_action(model: Any, action: Action, snapshot: dict | None = None) -> str:
    """What an action does, in plain words, with what it asks and the numbers behind it.

    Args:
        model: a :class:`sim.model.GreatPowerModel` (its scenario and current snapshot are read).
        action: one of ``model.legal_actions(actor)`` (or any well-formed action).
        snapshot: the model's current snapshot, if the caller has it (describing a whole menu
            then takes one snapshot, not one per action).

    Returns:
        One sentence, e.g. "Ask Russia, through the US embassy in Moscow, to accept NATO
        membership for Ukraine at 'Membership Action Plan' (0.60); Russia stands at 'no prospect'
        (0.00)".
    """
    snap = snapshot if snapshot is not None else model.snapshot()
    return describe_action_in(model.scenario, snap, action)


THIRD_PERSON = {
    "Ask": "asks",
    "Accept": "accepts",
    "Compromise": "compromises on",
    "Meet": "meets",
    "Reject": "rejects",
    "Reopen": "reopens",
    "Resume": "resumes",
    "Suspend": "suspends",
    "Close": "closes",
    "Expel": "expels",
    "Let": "lets",
    "Raise": "raises",
    "Lower": "lowers",
    "Keep": "keeps",
    "Patrol": "patrols",
    "Apply": "applies",
    "Use": "uses",
    "Vote": "votes",
    "Do": "does",
    "move": "moves",
    "keep": "keeps",
}
"""An order's verb (the team's menu: "Close the US embassy in Moscow") and its third person for
the record of what a state did (the turn log: "Russia closes the US embassy in Moscow")."""


def describe_action_in(sc: Scenario, snap: dict, a: Action, third_person: bool = False) -> str:
    """:func:`describe_action` on a scenario and a snapshot (no model needed).

    Args:
        sc: the scenario.
        snap: the snapshot the action is read in (positions, staff, postures, pending proposals).
        a: the action.
        third_person: ``False`` (default): an order to the team that chooses it ("Raise your
            military posture ..."), as the action menu shows it. ``True``: what the state did,
            as a record without its subject ("raises its military posture ..."), for the turn
            log, which writes the state's name before it.
    """
    if third_person:
        v = lambda verb: THIRD_PERSON.get(verb, verb)  # noqa: E731
        your = "its"
    else:
        v = lambda verb: verb  # noqa: E731
        your = "your"
    k = a.kind
    if k == "propose":
        mine = _position(snap, a.actor, a.issue)
        theirs = _position(snap, a.target, a.issue)
        who = actor_name(sc, a.target)
        return (
            f"{v('Ask')} {who}, through {channel_words(sc, a.channel)}, to accept "
            f"{issue_words(sc, a.issue)} at {level_words(sc, a.issue, mine)}; "
            f"{who} stands at {level_words(sc, a.issue, theirs)}"
        )
    if k == "answer" and a.channel:  # a request to reopen a channel this team hosts
        whose = possessive(sc.actors[a.target].name) if a.target in sc.actors else a.target
        ch = channel_words(sc, a.channel)
        if a.choice == "accept":
            return f"{v('Agree')} to {whose} request: {v('reopen')} {ch}"
        return f"{v('Refuse')} {whose} request to reopen {ch}"
    if k == "answer":
        p = next(
            (q for q in snap.get("pending", {}).get(a.actor, []) if q["from"] == a.target and q["issue"] == a.issue),
            None,
        )
        who = actor_name(sc, a.target)
        label = issue_words(sc, a.issue)
        mine = _position(snap, a.actor, a.issue)
        if p is None:
            verb = capital_first(a.choice)
            return f"{v(verb) if third_person else verb} {possessive(sc.actors[a.target].name) if a.target in sc.actors else who} proposal on {label}"
        asked = float(p["position"])
        if a.choice == "accept":
            return f"{v('Accept')} {possessive(sc.actors[a.target].name)} proposal: {v('move')} {your} position on {label} from {mine:.2f} to {level_words(sc, a.issue, asked)}"
        if a.choice == "compromise":
            f = 0.5 * float(p.get("eff", 1.0))
            to = mine + f * (asked - mine)
            return f"{v('Meet')} {who} part of the way on {label}: {v('move')} {your} position from {mine:.2f} to {to:.2f} (toward their {asked:.2f})"
        warn = "; they expected to win, so tension rises" if p.get("expected_win") else ""
        return f"{v('Reject')} {possessive(sc.actors[a.target].name)} proposal on {label}: {v('keep')} {your} position at {level_words(sc, a.issue, mine)}{warn}"
    if k in ("open_channel", "suspend_channel", "close_channel"):
        ch = channel_words(sc, a.channel)
        status = snap["channels"].get(a.channel, {}).get("status", "open")
        if k == "open_channel":
            agree = _host_must_agree(sc, a)
            if status == "closed":
                if agree:
                    return f"{v('Reopen')} {ch} ({agree} must agree; it then restarts with a skeleton staff)"
                return f"{v('Reopen')} {ch} (it restarts with a skeleton staff)"
            if agree:
                return f"{v('Resume')} talks through {ch} ({agree} must agree)"
            return f"{v('Resume')} talks through {ch}"
        military = getattr(sc.channels.get(a.channel), "kind", "") == "military_hotline"
        if k == "suspend_channel":
            if military:
                return f"{v('Suspend')} {ch} (incidents become likelier to escalate; it can be resumed later)"
            return f"{v('Suspend')} talks through {ch} (they can be resumed later; tension rises)"
        if military:
            return f"{v('Close')} {ch} (incidents become likelier to escalate)"
        return f"{v('Close')} {ch} (its staff leave; tension rises)"
    if k in ("expel", "restore_staff"):
        c = snap["channels"].get(a.channel, {})
        staff, base = float(c.get("staff", 0.0)), float(c.get("staff_baseline", 0.0))
        whose = possessive(sc.actors[a.target].name) if a.target in sc.actors else a.target
        ch = channel_words(sc, a.channel)
        if k == "expel":
            return f"{v('Expel')} {a.staff:,.0f} of {whose} {staff:,.0f} staff from {ch} (tension rises)"
        now = f"{staff:,.0f} of {base:,.0f} before" if third_person else f"now {staff:,.0f} of {base:,.0f}"
        return f"{v('Let')} {a.staff:,.0f} more of {whose} staff return to {ch} ({now})"
    if k == "set_posture":
        th = sc.theatres[a.theatre].name if a.theatre in sc.theatres else a.theatre
        now = float(snap["actors"][a.actor]["posture"].get(a.theatre, 0.0))
        verb = "Raise" if a.level > now + 1e-9 else "Lower" if a.level < now - 1e-9 else "Keep"
        return f"{v(verb)} {your} military posture in the {th} from {now:.2f} to {a.level:.2f}"
    if k == "joint_patrol":
        th = sc.theatres[a.theatre].name if a.theatre in sc.theatres else a.theatre
        return f"{v('Patrol')} the {th} together with {actor_name(sc, a.target)} (closer alignment; incidents there grow likelier)"
    if k == "apply_membership":
        # the members vote the month after; in the last month the game ends first (an older
        # snapshot, without its horizon, reads as not the last)
        last = snap.get("horizon") is not None and snap.get("turn", 0) + 1 >= snap["horizon"]
        return f"{v('Apply')} to join {a.bloc} ({'the game ends this month, before its members can vote' if last else 'its members vote next month'})"
    if k == "use_force":
        th = sc.theatres[a.theatre].name if a.theatre in sc.theatres else a.theatre
        return f"{v('Use')} force against {actor_name(sc, a.target)} in the {th} (if they resist, an armed clash ends the game)"
    if k == "vote":
        mo = next((m for m in snap.get("motions", []) if m["bloc"] == a.bloc and m["issue"] == a.issue), None)
        cand = actor_name(sc, mo["candidate"]) if mo else "the candidate"
        state = float(snap["issues"][a.issue]["state"])
        nxt = min((v_ for v_ in (0.3, 0.6, 1.0) if v_ > state + 1e-9), default=1.0)
        return f"{v('Vote')} {a.choice} on {possessive(cand.removeprefix('the ')) if mo else 'the'} application to {a.bloc} (to move {issue_words(sc, a.issue)} to {level_words(sc, a.issue, nxt)})"
    return f"{v('Do')} nothing more this month"


def describe_proposal(model: Any, actor_id: str, proposal: dict) -> str:
    """What an incoming proposal asks of a human team, in plain words.

    Args:
        model: the model (or a snapshot with the scenario given as ``model.scenario``).
        actor_id: the team that received it.
        proposal: one entry of ``snapshot()["pending"][actor_id]`` (``from``, ``issue``,
            ``position``, ``eff``, ``expected_win``).

    Returns:
        E.g. "The United States asks you to accept NATO membership for Ukraine at 'Membership
        Action Plan' (0.60); you stand at 'no prospect' (0.00). They expect to win this."
    """
    return describe_proposal_in(model.scenario, model.snapshot(), actor_id, proposal)


def proposal_heading(sc: Scenario, snap: dict, actor_id: str, issue: str) -> str:
    """The heading of a menu's proposals on one issue: what each of them asks.

    E.g. "NATO membership for Ukraine: ask for 'no prospect' (0.00), your position". The rows
    under it are :func:`proposal_row` (a proposal always asks for the proposer's position).
    """
    mine = _position(snap, actor_id, issue)
    return f"{capital_first(issue_words(sc, issue))}: ask for {level_words(sc, issue, mine)}, your position"


def proposal_row(sc: Scenario, snap: dict, a: Action) -> str:
    """A proposal under its :func:`proposal_heading`: whom it asks, where they stand, the channel.

    E.g. "Ask China (at 0.20), through the Russian embassy in Beijing". The whole sentence is
    :func:`describe_action_in`; this short form keeps a menu of forty proposals readable.
    """
    who = actor_name(sc, a.target)
    return f"Ask {who} (at {_position(snap, a.target, a.issue):.2f}), through {channel_words(sc, a.channel)}"


def describe_proposal_in(sc: Scenario, snap: dict, actor_id: str, p: dict) -> str:
    """:func:`describe_proposal` on a scenario and a snapshot (also a request to reopen a
    channel the team hosts: ``p`` with ``reopen`` and ``channel``)."""
    who = capital_first(actor_name(sc, p["from"]))
    if p.get("reopen"):
        status = snap.get("channels", {}).get(p["channel"], {}).get("status", "closed")
        return f"{who} asks you to reopen {channel_words(sc, p['channel'])} (now {status}), which you host."
    mine = _position(snap, actor_id, p["issue"])
    text = (
        f"{who} asks you to accept {issue_words(sc, p['issue'])} at "
        f"{level_words(sc, p['issue'], float(p['position']))}; you stand at {level_words(sc, p['issue'], mine)}."
    )
    if p.get("expected_win"):
        text += " They expect to win this: a rejection raises tension."
    return text


def _event_parts(sc: Scenario, ev: dict, before: dict | None) -> tuple[str, str]:
    """(what an event did, a detail such as "75 left") for :func:`event_words`."""
    kind = str(ev.get("kind", ""))
    name = lambda ref: actor_name(sc, ref)  # noqa: E731
    ch = channel_words(sc, ev["channel"]) if ev.get("channel") else ""
    th = ev.get("theatre")
    th = (sc.theatres[th].name if th in sc.theatres else th) if th else ""
    x = ev.get("issue")
    xw = (issue_words(sc, x) if x in sc.issues else x) if x else ""
    pair = " and ".join(name(a) for a in ev.get("actors") or [])
    whose = capital_first(possessive(sc.actors[ev["actor"]].name)) if ev.get("actor") in sc.actors else str(ev.get("actor", ""))
    if kind == "note":
        return "", ""
    if kind == "summit":
        return f"a summit between {pair}", (f"through {ch}" if ch else "")
    if kind == "incident":
        return f"an incident between {pair}" + (f" in the {th}" if th else ""), ""
    if kind in ("expulsion", "restore_staff") and ch:
        staff = ev.get("staff")
        persons = ""
        if before is not None and staff is not None and ev["channel"] in before.get("channels", {}):
            n = abs(float(before["channels"][ev["channel"]]["staff"]) - float(staff))
            persons = f"{n:,.0f} "
        if kind == "expulsion":
            return f"{persons}staff expelled from {ch}", (f"{float(staff):,.0f} left" if staff is not None else "")
        return f"{persons}staff returned to {ch}", (f"{float(staff):,.0f} now" if staff is not None else "")
    if kind == "red_line" and xw:
        return f"{whose} red line on {xw} declared crossed", ""
    if kind == "channel_status" and ch:
        status = ev.get("status")
        if status == "suspended":
            return f"talks through {ch} suspended", ""
        return f"{ch} {'opened' if status == 'open' else status}", ""
    if kind == "set_posture" and th:
        level = f" to {float(ev['level']):.2f}" if ev.get("level") is not None else ""
        return f"{whose} military posture in the {th} set{level}", ""
    if kind == "set_position" and xw:
        pos = ev.get("position")
        to = f" to {level_words(sc, x, float(pos))}" if pos is not None and x in sc.issues else ""
        return f"{whose} position on {xw} set{to}", ""
    return kind.replace("_", " "), ""


def deconfliction_words(sc: Scenario | None, dec: float) -> str:
    """What an incident's deconfliction did, in words true to the model's rule.

    The chance that an incident grows into a crisis (and a crisis into an armed clash) is
    multiplied by ``1 - dynamics.deconfliction x dec`` (phase 4, F2), where ``dec`` in [0, 1] is
    how much the pair's open channels in that theatre deconflict. At ``dec`` 1 with the default
    0.8 the risk is cut by 80 %, not removed: a crisis can still follow.

    Args:
        sc: the scenario (its ``dynamics.deconfliction``), or ``None`` for the default 0.8.
        dec: the incident's logged ``deconfliction``, in [0, 1].

    Returns:
        E.g. "open channels cut the risk of escalation by 80 %", or "no open channel between
        them deconflicts there".
    """
    weight = float(sc.dynamics.deconfliction.value) if sc is not None else 0.8
    cut = float(dec) * weight
    if cut <= 0.0:
        return "no open channel between them deconflicts there"
    return f"open channels cut the risk of escalation by {100 * cut:.0f} %"


def event_words(sc: Scenario, ev: dict, before: dict | None = None) -> str:
    """What a scheduled or instructor's event did, in words, without its note.

    Args:
        sc: the scenario.
        ev: a turn-log entry of type ``event`` (``kind`` and the fields of that kind:
            ``actors``, ``actor``, ``channel``, ``theatre``, ``issue``, ``status``, ``staff``
            (persons after the event), ``level``, ``position``).
        before: the snapshot at the start of the turn, if known: an expulsion then says how
            many persons left.

    Returns:
        E.g. "25 staff expelled from the Russian embassy in Washington (75 left)", "a summit
        between the United States and Russia (through the US-Russia summit)", "" for a note
        (its text says it all).
    """
    what, detail = _event_parts(sc, ev, before)
    return f"{what} ({detail})" if detail else what


def event_sentence(sc: Scenario, ev: dict, before: dict | None = None) -> str:
    """A scheduled or instructor's event as a line of the month's results.

    The note, if any, then what the event did (:func:`event_words`): "Event (instructor):
    Washington retaliates (25 staff expelled from the Russian embassy in Washington; 75 left)."
    or, without a note, "Event (instructor): 25 staff expelled from the Russian embassy in
    Washington (75 left)."
    """
    what, detail = _event_parts(sc, ev, before)
    text = str(ev.get("text") or "").strip().rstrip(".")
    head = "Event (instructor)" if ev.get("source") == "instructor" else "Event"
    if text and what:
        return f"{head}: {text} ({what}{'; ' + detail if detail else ''})."
    body = capital_first(text or what or str(ev.get("kind", "event")).replace("_", " "))
    return f"{head}: {body}{' (' + detail + ')' if detail and not text else ''}."


# ---------------------------------------------------------------------------- a month's changes
def _outcome_row(game: Any, turn: int) -> tuple[dict | None, dict | None, dict | None]:
    """(log entry, snapshot before, snapshot after) of a turn; snapshots may be ``None``."""
    log = game.log
    entry = next((e for e in log if e.get("turn") == turn), None)
    if _is_model(game):
        before = after = None
        if turn == game.turn:
            after = game.snapshot()
        return entry, before, after
    history = game.history
    before = next((s for s in history if s.get("turn") == turn - 1), None)
    after = next((s for s in history if s.get("turn") == turn), None)
    return entry, before, after


def month_summary(game: Any, turn: int | None = None, focus: list[str] | tuple[str, ...] = (), count_pending: bool = False) -> list[str]:
    """What changed in one month (turn), in plain sentences, most important first.

    Order: scheduled and instructor events, red lines, crises and armed clashes, accessions;
    then issue moves, votes and applications; then channel and staff changes, incidents
    contained, agreements and tension changes that involve the ``focus`` teams or a great power;
    then a count of the rest; then the end of the game.

    Args:
        game: a :class:`sim.score.GameRecord` (scenario, snapshots, log) or a model. With a model,
            tension changes come from its recorded outcomes (great-power pairs only).
        turn: the turn (default: the last played).
        focus: the human teams: their agreements and tension changes are always reported.
        count_pending: if True, the proposals left awaiting a team's answer are counted in one
            sentence per team instead of one sentence each (for a debrief, where they would
            crowd out what the teams did).

    Returns:
        Sentences such as "Russia closed the US embassy in Moscow." or "Tension between Russia
        and the United States rose from 0.60 to 0.66."; ``["A quiet month: nothing changed."]``
        when nothing did. Empty before the first turn.
    """
    sc: Scenario = game.scenario
    t = (game.turn if _is_model(game) else game.history[-1]["turn"]) if turn is None else int(turn)
    if t <= 0:
        return []
    entry, before, after = _outcome_row(game, t)
    events = entry.get("events", []) if entry else []
    watch = set(focus) | set(sc.great_powers)
    name = lambda ref: actor_name(sc, ref)  # noqa: E731

    def involved(*refs: str) -> bool:
        for r in refs:
            members = sc.blocs[r].members if r in sc.blocs else [r]
            if watch & set(members):
                return True
        return False

    teams = set(focus)

    def involved_team(*refs: str) -> bool:
        return any(r in teams for r in refs)

    first: list[str] = []
    own: list[str] = []
    issues: list[str] = []
    votes: list[str] = []
    moves: list[str] = []
    minor = 0
    over = any(ev.get("type") == "end" for ev in events)  # no next month: the game ended this one
    waiting: dict[str, int] = {}  # proposals awaiting each team's answer (count_pending)
    asked = {(ev.get("by"), ev.get("channel")) for ev in events if ev.get("type") == "channel_request"}
    for ev in events:
        ty = ev.get("type")
        if ty == "event":
            first.append(event_sentence(sc, ev, before))
        elif ty == "red_line":
            how = "was declared crossed" if ev.get("trigger") == "event" else f"was crossed (state {ev['state']:.2f}, threshold {ev['threshold']:.2f})"
            resp = ev.get("response") or {}
            did = [f"posture in the {sc.theatres[t].name if t in sc.theatres else t} {a:.2f} to {b:.2f}" for t, (a, b) in (resp.get("posture") or {}).items()]
            did += [f"tension with {name(j)} +{dv:.2f}" for j, dv in (resp.get("tension") or {}).items()]
            did += [f"{channel_words(sc, c)} suspended" for c in resp.get("suspended") or []]
            first.append(
                f"{capital_first(possessive(sc.actors[ev['actor']].name))} red line on {issue_words(sc, ev['issue'])} {how}"
                + (f"; its response: {', '.join(did)}" if did else "")
                + (f" ({ev['note']})." if ev.get("note") else ".")
            )
        elif ty == "force":
            a, b = (name(x) for x in ev["actors"])
            th = sc.theatres[ev["theatre"]].name if ev["theatre"] in sc.theatres else ev["theatre"]
            if ev.get("armed_clash"):
                first.append(f"{capital_first(a)} used force against {b} in the {th}, and {b} resisted: an armed clash.")
            else:
                first.append(f"{capital_first(a)} used force against {b} in the {th}; {b} gave way.")
        elif ty == "channel_refused" and focus and involved_team(ev["by"], ev["host"]):
            own.append(f"{capital_first(name(ev['host']))} refused {possessive(sc.actors[ev['by']].name) if ev['by'] in sc.actors else name(ev['by'])} request to reopen {channel_words(sc, ev['channel'])}.")
        elif ty == "channel_refused":
            minor += 1
        elif ty == "channel_request":
            if over:
                own.append(f"{capital_first(name(ev['by']))} asked {name(ev['host'])} to reopen {channel_words(sc, ev['channel'])}; the game ended before {name(ev['host'])} answered.")
            else:
                own.append(f"{capital_first(name(ev['by']))} asks {name(ev['host'])} to reopen {channel_words(sc, ev['channel'])}; {name(ev['host'])} answers next month.")
        elif ty == "accession":
            first.append(f"{capital_first(name(ev['member']))} joins {ev['bloc']}.")
        elif ty == "incident":
            th = sc.theatres[ev["theatre"]].name if ev["theatre"] in sc.theatres else ev["theatre"]
            a, b = (name(x) for x in ev["actors"])
            text = f"Incident in the {th} between {a} and {b}"
            dec = deconfliction_words(sc, ev.get("deconfliction", 0.0))
            despite = " all the same" if ev.get("deconfliction", 0.0) > 0 else ""
            if ev.get("armed_clash"):
                first.append(text + f" ({dec}): it escalated into an armed clash{despite}.")
            elif ev.get("crisis"):
                first.append(text + f" ({dec}): it became a crisis{despite}.")
            else:
                moves.append(text + f" (contained; {dec}).")
        elif ty == "issue":
            x = ev["issue"]
            if round(ev["to"], 3) == round(ev["from"], 3):
                continue  # moved less than the three decimals shown ("from 0.500 to 0.500")
            up = ev["to"] > ev["from"]
            ahead = [float(v) for v in sc.issues[x].scale if (float(v) > ev["to"] + 1e-9 if up else float(v) < ev["to"] - 1e-9)]
            toward = ""
            if ahead:
                nxt = min(ahead) if up else max(ahead)
                toward = f", toward '{sc.issues[x].scale[_key(sc, x, nxt)]}'"
            issues.append(f"{capital_first(issue_words(sc, x))} moved {'up' if up else 'down'} from {ev['from']:.3f} to {ev['to']:.3f}{toward}.")
        elif ty == "vote" and "candidate" not in ev:
            res = "passed" if ev["passed"] else ("was vetoed by " + ", ".join(name(a) for a in ev["veto"]) if ev.get("veto") else "failed")
            votes.append(f"{ev['bloc']} voted on moving {issue_words(sc, ev['issue'])} from {ev['from']:.2f} to {ev['to_level']:.2f}: it {res}.")
        elif ty == "vote":
            res = "passed" if ev["passed"] else "failed"
            no = ", ".join(name(a) for a in ev["no"]) or "nobody"
            votes.append(
                f"{ev['bloc']} voted on {possessive(sc.actors[ev['candidate']].name)} application "
                f"(to {level_words(sc, ev['issue'], float(ev['to_level']))}): it {res}; against: {no}."
            )
        elif ty == "motion":
            when = "the game ended before its members voted" if over else "its members vote next month"
            votes.append(f"{capital_first(name(ev['candidate']))} applied to join {ev['bloc']}; {when}.")
        elif ty in ("channel", "staff"):
            parties = [ev["by"], *(sc.channels[ev["channel"]].endpoints if ev["channel"] in sc.channels else [])]
            if not involved(*parties):
                minor += 1
                continue
            ch = channel_words(sc, ev["channel"])
            if ty == "channel":
                verb = {"closed": "closed", "suspended": "suspended talks through", "open": "reopened"}[ev["to"]]
                if ev["to"] == "open" and ev.get("from") == "suspended":
                    verb = "resumed talks through"
                moves.append(f"{capital_first(name(ev['by']))} {verb} {ch}.")
            elif ev["kind"] == "expel":
                moves.append(f"{capital_first(name(ev['by']))} expelled {ev['persons']:,.0f} staff from {ch} ({ev['staff']:,.0f} left).")
            else:
                moves.append(f"{capital_first(name(ev['by']))} let {ev['persons']:,.0f} staff return to {ch} ({ev['staff']:,.0f} now).")
        elif ty == "proposal" and ev.get("outcome") in OUTCOME_WORDS:
            if not involved(ev["from"], ev["to"]):
                minor += 1
                continue
            move = ""
            pos = ev.get("position")
            if pos and abs(pos[1] - pos[0]) > 1e-9:
                move = f": {name(ev['to'])} moved from {pos[0]:.2f} to {pos[1]:.2f}"
            elif ev.get("moved"):
                move = f": {ev['to']} members moved {ev['moved']:.0%} of the way"
            words = OUTCOME_WORDS[ev["outcome"]].format(target=name(ev["to"]))
            line = f"{capital_first(name(ev['from']))} and {name(ev['to'])} reached {words} on {issue_words(sc, ev['issue'])}{move}."
            (own if focus and involved_team(ev["from"], ev["to"]) else moves).append(line)
        elif ty == "proposal" and count_pending and ev.get("outcome") == "awaiting answer" and ev["to"] in teams:
            waiting[ev["to"]] = waiting.get(ev["to"], 0) + 1
        elif ty == "proposal" and focus and involved_team(ev["from"], ev["to"]):
            own.append(_proposal_sentence(sc, ev, over))
        elif ty == "decision" and ev.get("human") and ev.get("done") is False:
            spec = ev.get("spec") if isinstance(ev.get("spec"), dict) else {}
            if (ev.get("actor"), spec.get("channel")) in asked and spec.get("kind") == "open_channel":
                continue  # the order was a request to the host, said above ("asks ... to reopen")
            order = ev.get("action", "")
            if isinstance(ev.get("spec"), dict) and before is not None:
                try:
                    order = describe_action_in(sc, before, Action.from_dict(ev["spec"]))
                except (KeyError, TypeError, ValueError):
                    pass
            moves.append(f"{capital_first(name(ev['actor']))}: an order had no effect ({order}).")
    for team, n in waiting.items():
        what = f"{n} proposal{'s' * (n != 1)} to {name(team)}"
        own.append(f"{what} {'were' if n != 1 else 'was'} still unanswered when the game ended." if over else f"{what} await{'s' * (n == 1)} its answer next month.")
    out = first + own + issues + votes + moves + _tension_lines(game, sc, t, before, after, watch)
    if minor:
        out.append(f"{minor} more agreement{'s' * (minor != 1)}, channel or staff change{'s' * (minor != 1)} among other states.")
    end = next((ev for ev in events if ev.get("type") == "end"), None)
    if end is not None:
        out.append(f"The game is over: {END_WORDS.get(end['state'], end['state'])}.")
    return out or ["A quiet month: nothing changed."]


def _acts_for(sc: Scenario, actor: str, ref: str) -> bool:
    """Whether ``actor`` is ``ref`` or the leader acting for the bloc ``ref``."""
    return actor == ref or (ref in sc.blocs and sc.blocs[ref].leader == actor)


def _host_must_agree(sc: Scenario, a: Action) -> str:
    """The host's name when ``a`` (an ``open_channel``) reopens only with the host's consent.

    With ``dynamics.channels.consent`` on, the sending side (the channel's first endpoint, or
    the leader acting for a bloc) reopens a channel only if its host (the second endpoint)
    consents (:func:`sim.phases.act.host_consents`); otherwise "" (consent off, or the actor is
    not the sender).
    """
    spec = sc.channels.get(a.channel)
    if spec is None or not sc.dynamics.channels.consent or len(spec.endpoints) < 2:
        return ""
    sender, host = spec.endpoints[0], spec.endpoints[1]
    if not _acts_for(sc, a.actor, sender) or _acts_for(sc, a.actor, host):
        return ""
    return actor_name(sc, host)


def _proposal_sentence(sc: Scenario, ev: dict, over: bool = False) -> str:
    """A proposal that ended without agreement, in words (for the teams that made or got it).

    Outcomes (the turn log's ``proposal`` records): ``conflict`` (a dispute: both sides expected
    to gain from holding out; the target moved unless disputes hold), ``stalemate`` (the target
    refused; both expected to win), ``none`` (a human team refused a proposal its proposer did not
    expect to win), ``rejected`` (a bloc turned it down), ``no channel`` (the channel was no longer
    open when it was to be made), ``awaiting answer`` (to a human team, who answers next month,
    or, when ``over`` (the game ended that month), never).
    """
    a, b = actor_name(sc, ev["from"]), actor_name(sc, ev["to"])
    x = issue_words(sc, ev["issue"]) if ev["issue"] in sc.issues else ev["issue"]
    what = f"{possessive(sc.actors[ev['from']].name) if ev['from'] in sc.actors else a} proposal to {b} on {x}"
    oc = ev.get("outcome")
    pos = ev.get("position")
    moved = bool(pos) and abs(pos[1] - pos[0]) > 1e-9
    if oc == "conflict":
        how = f"{b} moved from {pos[0]:.2f} to {pos[1]:.2f}" if moved else f"{b} held its position"
        return capital_first(f"{what} ended in a dispute ({how}); tension rose.")
    if oc == "stalemate":
        return capital_first(f"{what} was refused: a stalemate, each side expecting to win; tension rose.")
    if oc == "none":
        return capital_first(f"{what} was refused.")
    if oc == "rejected":
        return capital_first(f"{what} was turned down by its members; tension rose.")
    if oc == "no channel":
        return capital_first(f"{what} could not be made: its channel was no longer open.")
    if oc == "awaiting answer" and over:
        return capital_first(f"{what} was still unanswered when the game ended.")
    if oc == "awaiting answer":
        return capital_first(f"{what} awaits the answer of {b} next month.")
    return capital_first(f"{what}: {str(oc).replace('_', ' ')}.")


def _key(sc: Scenario, issue: str, value: float) -> float:
    return min(sc.issues[issue].scale, key=lambda k: abs(float(k) - value))


def _tension_lines(game: Any, sc: Scenario, t: int, before: dict | None, after: dict | None, watch: set[str]) -> list[str]:
    pairs: list[tuple[str, str, float, float]] = []
    if before is not None and after is not None:
        ids = list(sc.actors)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if a in watch and b in watch or (a in watch and b in sc.great_powers) or (b in watch and a in sc.great_powers):
                    x, y = float(before["tension"][a][b]), float(after["tension"][a][b])
                    pairs.append((a, b, x, y))
    elif _is_model(game):
        rows = game.datacollector.model_vars.get("outcomes", [])
        if 0 < t < len(rows):
            for key, y in rows[t].items():
                if key.startswith("tension."):
                    a, b = key.split(".", 1)[1].split("-")
                    pairs.append((a, b, float(rows[t - 1][key]), float(y)))
    out = []
    for a, b, x, y in sorted(pairs, key=lambda p: -abs(p[3] - p[2])):
        if abs(y - x) >= TENSION_NOTE:
            verb = "rose" if y > x else "fell"
            out.append(f"Tension between {actor_name(sc, a)} and {actor_name(sc, b)} {verb} from {x:.2f} to {y:.2f}.")
    return out

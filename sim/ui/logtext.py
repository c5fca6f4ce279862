"""The turn log as text (no pygame; the markup is pygame_gui's HTML subset).

Every event of a turn in words, each AI decision with its reason and the source that reason
traces to.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any


def capital_first(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:] if text else text

FILTERS = ("All events", "Focus state", "Key events")
"""Log filters: everything; events that involve the focus state; all but AI talks and minor moves."""

DIM = "#A8B0C0"
FAINT = "#8890A0"
RED = "#FF7060"
AMBER = "#FFC040"
GREEN = "#70E890"
CYAN = "#70D0F0"
MAGENTA = "#E090F0"


def _c(colour: str, text: str) -> str:
    return f"<font color='{colour}'>{text}</font>"


class Words:
    """Names of a scenario's codes for the log: states, channels, issues and theatres in words.

    The words come from :mod:`sim.describe` (``actor_name``, ``channel_words``, ``issue_words``,
    ``describe_action_in``), so the log names a channel as the action menu and the month's
    results do ("the US embassy in Moscow", never ``USA-RUS-EMB``). Without a scenario every
    code stays as it is (a log read on its own).

    Args:
        sc: the validated scenario, or ``None``.
        before: the snapshot at the start of the logged turn (decisions are described as they
            read when they were taken), or ``None``.
    """

    def __init__(self, sc: Any = None, before: dict | None = None):
        self.sc, self.before = sc, before
        self.over = False
        """Whether the logged turn ended the game (nothing is answered "next month")."""
        self._codes: re.Pattern | None = None
        self._names: dict[str, str] = {}

    def actor(self, ref: str) -> str:
        """A state's (or bloc's) name inside a sentence ("the United States", "NATO")."""
        if self.sc is None:
            return ref
        from sim.describe import actor_name

        return actor_name(self.sc, ref)

    def who(self, ref: str) -> str:
        """A state's name at the start of a sentence ("The United States")."""
        from sim.describe import capital_first

        return capital_first(self.actor(ref))

    def channel(self, ch: str) -> str:
        """A channel in words ("the US embassy in Moscow", "talks within NATO")."""
        if self.sc is None:
            return ch
        from sim.describe import channel_words

        return channel_words(self.sc, ch)

    def issue(self, x: str) -> str:
        """An issue's label inside a sentence ("NATO membership for Ukraine")."""
        if self.sc is None or x not in self.sc.issues:
            return x
        from sim.describe import issue_words

        return issue_words(self.sc, x)

    def theatre(self, t: str) -> str:
        """A theatre's name ("Black Sea")."""
        if self.sc is None or t not in self.sc.theatres:
            return t
        return self.sc.theatres[t].name

    def level(self, issue: str, value: float) -> str:
        """A value on an issue's scale in words (``'Membership Action Plan' (0.60)``), or the number."""
        if self.sc is None or issue not in self.sc.issues:
            return f"{value:.2f}"
        from sim.describe import level_words

        return level_words(self.sc, issue, value)

    def codes(self, text: str) -> str:
        """``text`` with every channel, state, issue and theatre code replaced by its words.

        For the AI's alternatives, logged as action codes such as ``close RUS-JPN-EMB``.
        """
        if self.sc is None:
            return text
        if self._codes is None:
            sc = self.sc
            names = {c: self.channel(c) for c in sc.channels}
            names.update({a: self.actor(a) for a in sc.actors})
            names.update({x: self.issue(x) for x in sc.issues})
            names.update({t: self.theatre(t) for t in sc.theatres})
            names.update({f"caucus:{b}": self.channel(f"caucus:{b}") for b in sc.blocs})
            self._names = names
            alts = sorted(names, key=len, reverse=True)  # longest first: USA-RUS-EMB before USA
            self._codes = re.compile(r"(?<![\w:-])(" + "|".join(map(re.escape, alts)) + r")(?![\w-])")
        return self._codes.sub(lambda m: self._names[m.group(1)], text)

    def alternative(self, code: str) -> str:
        """An AI alternative in words, as what the state would have been doing.

        The log keeps an alternative as its action code (``str(Action)`` without the channel
        of a proposal, :mod:`sim.actions`): "propose nato_ukraine to POL" reads "asking Poland
        to accept NATO membership for Ukraine", "close USA-RUS-EMB" reads "closing the US
        embassy in Moscow". A code of another form keeps its order, with names for its codes
        (:meth:`codes`).
        """
        if self.sc is not None:
            for pattern, words in _ALTERNATIVES:
                m = pattern.fullmatch(code)
                if m is not None:
                    try:
                        return words(self, *m.groups())
                    except (KeyError, ValueError):
                        break
        return self.codes(code)

    def action(self, ev: dict) -> str:
        """A logged decision in plain words, as an order ("Raise your military posture ...").

        :func:`sim.describe.describe_action_in` on the snapshot it was taken in; its logged code
        with names when that cannot be read.
        """
        text, _record = self._action(ev, False)
        return text

    def record(self, ev: dict) -> tuple[str, bool]:
        """A logged decision as a third-person record, for the turn log.

        Returns:
            ``(text, True)`` with the predicate that follows the state's name ("closes the
            German embassy in Moscow (its staff leave; tension rises)"), or ``(code, False)``
            with the logged code in names when the decision cannot be read in words.
        """
        return self._action(ev, True)

    def _action(self, ev: dict, third_person: bool) -> tuple[str, bool]:
        spec = ev.get("spec")
        if self.sc is not None and self.before is not None and isinstance(spec, dict):
            from sim.actions import Action
            from sim.describe import describe_action_in

            try:
                return describe_action_in(self.sc, self.before, Action.from_dict(spec), third_person=third_person), True
            except (KeyError, TypeError, ValueError):
                pass
        return self.codes(str(ev.get("action", ""))), False

    def event(self, ev: dict) -> str:
        """What a scheduled or instructor's event did (:func:`sim.describe.event_words`)."""
        if self.sc is None:
            return ""
        from sim.describe import event_words

        try:
            return event_words(self.sc, ev, self.before)
        except (KeyError, TypeError, ValueError):
            return ""


_ALTERNATIVES: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"propose (\S+) to (\S+)(?: via \S+)?"), lambda w, x, b: f"asking {w.actor(b)} to accept {w.issue(x)}"),
    (re.compile(r"(open|suspend|close) (\S+)"), lambda w, verb, ch: f"{_GERUND[verb]} {w.channel(ch)}"),
    (re.compile(r"expel (\S+) \S+ staff from (\S+)"), lambda w, n, ch: f"expelling {n} staff from {w.channel(ch)}"),
    (re.compile(r"restore (\S+) \S+ staff on (\S+)"), lambda w, n, ch: f"letting {n} staff return to {w.channel(ch)}"),
    (re.compile(r"set posture in (\S+) to (\S+)"), lambda w, t, lv: f"setting its military posture in the {w.theatre(t)} to {float(lv):.2f}"),
    (re.compile(r"joint patrol with (\S+) in (\S+)"), lambda w, b, t: f"patrolling the {w.theatre(t)} with {w.actor(b)}"),
    (re.compile(r"apply for membership of (\S+)"), lambda w, b: f"applying to join {w.actor(b)}"),
    (re.compile(r"use force against (\S+) in (\S+)"), lambda w, b, t: f"using force against {w.actor(b)} in the {w.theatre(t)}"),
    (re.compile(r"pass"), lambda w: "doing nothing this month"),
]
"""The forms of an AI alternative's code (``str(Action)``) and their words (:meth:`Words.alternative`)."""
_GERUND = {"open": "reopening", "suspend": "suspending", "close": "closing"}


def reason_lines(ev: dict, n_terms: int = 2, words: Words | None = None) -> list[str]:
    """The reason of an AI decision, as plain text lines.

    Its weightiest terms with their sources, and the alternatives it was preferred to (named
    by ``words`` when given).
    """
    words = words or Words()
    out = []
    terms = sorted(ev.get("terms") or [], key=lambda t: -abs(t.get("value", 0.0)))[:n_terms]
    if terms:
        parts = []
        for t in terms:
            src = words.codes(t.get("source") or "no source recorded")
            parts.append(f"{t['term']} {t['value']:+.3f} [source: {src}]")
        out.append("why: " + "; ".join(parts))
    alts = ev.get("alternatives") or []
    if alts:
        out.append("over: " + ", ".join(f"{words.alternative(a)} ({s:+.3f})" for a, s in alts[:2]))
    return out


def involves(ev: dict, actor: str) -> bool:
    """Whether an event involves a state (as actor, party, endpoint or channel name)."""
    for key in ("actor", "from", "to", "by", "candidate", "member"):
        if ev.get(key) == actor:
            return True
    if actor in (ev.get("actors") or []):
        return True
    ch = ev.get("channel") or ""
    return actor in ch.split("-")


def is_key(ev: dict, humans: set[str], great_powers: set[str]) -> bool:
    """Whether an event belongs to the "Key events" filter."""
    t = ev.get("type")
    if t == "decision":
        return bool(ev.get("human")) or ev.get("actor") in great_powers
    if t == "proposal":
        return (
            ev.get("outcome") in ("compromise", "capitulation", "agreement", "awaiting answer")
            or ev.get("from") in humans
            or ev.get("to") in humans
        )
    return True


def event_html(ev: dict, humans: set[str], words: Words | None = None) -> str | None:
    """One event as markup (``None``: not shown, e.g. a pass or an action not carried out).

    States, channels, issues and theatres are named by ``words`` (codes without it).
    """
    w = words or Words()
    A, C, X, T = w.actor, w.channel, w.issue, w.theatre
    t = ev.get("type")
    if t == "decision":
        if ev.get("action", "") == "pass":
            return None
        text, record = w.record(ev)
        act = escape(text)
        who = escape(w.who(ev["actor"]))
        sep = " " if record else ": "  # "Russia closes ..." (a record); "Russia: close ..." (a code)
        if ev.get("human"):
            done = "" if ev.get("done", True) else _c(FAINT, " (had no effect)")
            return f"<b>{who}</b> {_c(ACCENT_HTML, '(team)')}{sep}{act}{done}"
        if ev.get("done") is False:
            return None
        lines = [f"<b>{who}</b>{sep}{act}"]
        if ev.get("explored"):
            lines[0] += _c(AMBER, f" (chosen below pass by exploration at temperature {ev['explored']['temperature']:g})")
        for line in reason_lines(ev, words=w):
            lines.append(
                _c(DIM if line.startswith("why") else FAINT, "&nbsp;&nbsp;&nbsp;" + escape(line))
            )
        return "<br>".join(lines)
    if t == "proposal":
        oc = ev.get("outcome", "")
        col = (
            GREEN
            if oc in ("compromise", "capitulation", "agreement")
            else AMBER
            if oc == "awaiting answer"
            else DIM
        )
        moved = f", moved {ev['moved']:.2f}" if ev.get("moved") else ""
        via = f" through {escape(C(ev['channel']))}" if ev.get("channel") else ""
        return _c(
            col,
            f"Talks from {escape(A(ev['from']))} to {escape(A(ev['to']))} on {escape(X(ev['issue']))}{via}: {escape(oc)}{moved}",
        )
    if t == "channel":
        col = RED if ev["to"] == "closed" else AMBER if ev["to"] == "suspended" else GREEN
        return _c(
            col,
            f"<b>{escape(w.who(C(ev['channel'])) if w.sc is not None else 'channel ' + ev['channel'])}</b>: from {ev['from']} to {ev['to']} (by {escape(A(ev['by']))})",
        )
    if t == "staff":
        if ev["kind"] == "expel":
            text = f"{w.who(ev['by'])} expels {ev['persons']:,.0f} staff from {C(ev['channel'])} ({ev['staff']:,.0f} left)"
        else:
            text = f"{w.who(ev['by'])} lets {ev['persons']:,.0f} staff return to {C(ev['channel'])} ({ev['staff']:,.0f} now)"
        return _c(AMBER, escape(text))
    if t == "incident":
        from sim.describe import deconfliction_words

        dec = float(ev.get("deconfliction", 0.0))
        despite = " all the same" if dec > 0 and (ev.get("crisis") or ev.get("armed_clash")) else ""
        extra = f": it grows into a <b>CRISIS</b>{despite}" if ev.get("crisis") else ""
        if ev.get("armed_clash"):
            extra += ", then an <b>ARMED CLASH</b>" if extra else f": <b>ARMED CLASH</b>{despite}"
        return _c(
            RED,
            f"Incident in the {escape(T(ev['theatre']))} between {' and '.join(escape(A(a)) for a in ev['actors'])} "
            f"(deconfliction {dec:.2f}: {escape(deconfliction_words(w.sc, dec))}){extra}",
        )
    if t == "patrol":
        pair = " and ".join(A(a) for a in ev["actors"])
        return escape(f"{capital_first(pair)} patrol the {T(ev['theatre'])} together")
    if t == "motion":
        return f"{escape(w.who(ev['candidate']))} applies to join {escape(A(ev['bloc']))}"
    if t == "vote":
        res = "passes" if ev["passed"] else "fails"
        no = escape(", ".join(A(a) for a in ev["no"]) or "-")
        if "candidate" not in ev:  # a move of an issue state put to the vote (veto holders)
            veto = f"; vetoed by {escape(', '.join(A(a) for a in ev['veto']))}" if ev.get("veto") else ""
            return f"{escape(capital_first(A(ev['bloc'])))} votes on moving {escape(X(ev['issue']))} from {ev['from']:.2f} to {ev['to_level']:.2f}: it {res}; no: {no}{veto}"
        step = f" ({escape(X(ev['issue']))} to {escape(w.level(ev['issue'], float(ev['to_level'])))})" if ev.get("issue") else ""
        return f"{escape(capital_first(A(ev['bloc'])))} votes on the accession of {escape(A(ev['candidate']))}{step}: it {res}; no: {no}"
    if t == "force":
        a, b = ev["actors"][0], ev["actors"][1]
        res = "<b>ARMED CLASH</b> (deliberate)" if ev.get("armed_clash") else f"{escape(w.who(b))} yields"
        return _c(
            RED,
            f"<b>{escape(w.who(a))} uses force against {escape(A(b))} in the {escape(T(ev['theatre']))}</b>: {res} (expected utility of force {ev['eu_force']:+.2f}, of bargaining {ev['eu_bargain']:+.2f}; chance {ev['p_win']:.2f})",
        )
    if t == "channel_refused":
        return _c(AMBER, f"{escape(w.who(ev['by']))} asks to reopen {escape(C(ev['channel']))}: {escape(A(ev['host']))} refuses")
    if t == "channel_request":  # the host is a human team: it answers next month
        if w.over:
            return _c(AMBER, f"{escape(w.who(ev['by']))} asked to reopen {escape(C(ev['channel']))}: the game ended before {escape(A(ev['host']))} (a team) answered")
        return _c(AMBER, f"{escape(w.who(ev['by']))} asks to reopen {escape(C(ev['channel']))}: {escape(A(ev['host']))} (a team) answers next month")
    if t == "issue":
        return _c(CYAN, f"{escape(capital_first(X(ev['issue'])))}: the state in force moves from {ev['from']:.3f} to {ev['to']:.3f}")
    if t == "red_line":
        resp = ev.get("response") or {}
        parts = [f"posture in the {T(t_)} from {a:.2f} to {b:.2f}" for t_, (a, b) in (resp.get("posture") or {}).items()]
        parts += [f"tension with {A(j)} +{dv:.2f}" for j, dv in (resp.get("tension") or {}).items()]
        parts += [f"suspends {C(c)}" for c in resp.get("suspended") or []]
        how = "declared crossed by an event" if ev.get("trigger") == "event" else f"crossed (state {ev['state']:.2f}, threshold {ev['threshold']:.2f})"
        return _c(
            RED,
            f"<b>red line of {escape(A(ev['actor']))} on {escape(X(ev['issue']))} {how}</b>; response: {escape(', '.join(parts) or 'none')} {escape(ev.get('note', ''))}",
        )
    if t == "event":
        note = escape(ev.get("text") or "")
        what = w.event(ev)
        if not what and w.sc is None:  # a log read on its own: the event's kind and its ids
            what = str(ev.get("kind", "")).replace("_", " ")
            extra = ", ".join(str(ev[k]) for k in ("theatre", "channel", "actor", "issue", "status") if ev.get(k))
            if ev.get("actors"):
                extra = " and ".join(A(a) for a in ev["actors"]) + (", " + extra if extra else "")
            what += f" ({extra})" if extra else ""
        who = "Instructor's event" if ev.get("source") == "instructor" else "Event"
        return _c(
            MAGENTA,
            f"<b>{who}</b>"
            + (f": {escape(capital_first(what))}" if what else "")
            + (f" - {note}" if what and note else f": {note}" if note else "")
            + f" [{escape(ev.get('source') or '')}]",
        )
    if t == "accession":
        return f"<b>{escape(w.who(ev['member']))} joins {escape(A(ev['bloc']))}</b>"
    if t == "end":
        from sim.describe import END_WORDS

        return f"<b>The game ends: {escape(END_WORDS.get(ev['state'], ev['state'].replace('_', ' ')))}</b>"
    return None


ACCENT_HTML = "#FFD666"


def turn_html(
    entry: dict | None,
    *,
    mode: str = FILTERS[0],
    focus: str = "",
    humans: set[str] | None = None,
    great_powers: set[str] | None = None,
    limit: int = 400,
    words: Words | None = None,
) -> str:
    """The markup of one turn's log entry under a filter.

    Args:
        entry: a ``model.log`` entry (``None`` before the first turn).
        mode: one of :data:`FILTERS`.
        focus: the state for the "Focus state" filter.
        humans: human teams (their decisions are marked and kept by "Key events").
        great_powers: the scenario's great powers (kept by "Key events").
        limit: at most this many events (the rest is counted).
        words: names of the scenario's codes (:class:`Words`); without it codes are shown.
    """
    words = words or Words()
    humans = humans or set()
    great_powers = great_powers or set()
    if entry is None:
        return _c(
            DIM,
            "No turn played yet. The log shows each turn's events here: every AI decision with its reason and the source it traces to.",
        )
    head = f"<b>Turn {entry['turn']} ({escape(entry.get('date', ''))})</b>"
    if mode == FILTERS[1] and focus:
        head += _c(DIM, f" - events of {escape(words.actor(focus))}")
    elif mode == FILTERS[2]:
        head += _c(DIM, " - key events")
    lines = [head]
    shown = 0
    evs = entry.get("events", [])
    words.over = any(e.get("type") == "end" for e in evs)
    # put incidents, channel changes and events first: what a seminar discusses
    order = {
        "event": 0,
        "end": 0,
        "red_line": 0,
        "accession": 0,
        "force": 0,
        "incident": 1,
        "channel": 2,
        "staff": 3,
        "vote": 4,
        "motion": 4,
        "issue": 5,
    }
    evs = sorted(evs, key=lambda e: order.get(e.get("type"), 6))
    hidden = 0
    for ev in evs:
        if mode == FILTERS[1] and focus and not involves(ev, focus):
            continue
        if mode == FILTERS[2] and not is_key(ev, humans, great_powers):
            continue
        h = event_html(ev, humans, words)
        if h is None:
            continue
        if shown >= limit:
            hidden += 1
            continue
        lines.append(h)
        shown += 1
    if hidden:
        lines.append(_c(FAINT, f"... and {hidden} more events (choose a filter)"))
    if shown == 0:
        lines.append(_c(DIM, "nothing under this filter"))
    return "<br>".join(lines)

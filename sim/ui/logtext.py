"""The turn log as text (no pygame; the markup is pygame_gui's HTML subset).

Every event of a turn in words, each AI decision with its reason and the source that reason
traces to.
"""

from __future__ import annotations

from html import escape

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


def reason_lines(ev: dict, n_terms: int = 2) -> list[str]:
    """The reason of an AI decision, as plain text lines.

    Its weightiest terms with their sources, and the alternatives it was preferred to.
    """
    out = []
    terms = sorted(ev.get("terms") or [], key=lambda t: -abs(t.get("value", 0.0)))[:n_terms]
    if terms:
        parts = []
        for t in terms:
            src = t.get("source") or "no source recorded"
            parts.append(f"{t['term']} {t['value']:+.3f} [source: {src}]")
        out.append("why: " + "; ".join(parts))
    alts = ev.get("alternatives") or []
    if alts:
        out.append("over: " + ", ".join(f"{a} ({s:+.3f})" for a, s in alts[:2]))
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


def event_html(ev: dict, humans: set[str]) -> str | None:
    """One event as markup (``None``: not shown, e.g. a pass or an action not carried out)."""
    t = ev.get("type")
    if t == "decision":
        act = escape(ev.get("action", ""))
        if act == "pass":
            return None
        who = escape(ev["actor"])
        if ev.get("human"):
            done = "" if ev.get("done", True) else _c(FAINT, " (had no effect)")
            return f"<b>{who}</b> {_c(ACCENT_HTML, '(team)')}: {act}{done}"
        if ev.get("done") is False:
            return None
        lines = [f"<b>{who}</b>: {act}"]
        if ev.get("explored"):
            lines[0] += _c(AMBER, f" (chosen below pass by exploration at temperature {ev['explored']['temperature']:g})")
        for line in reason_lines(ev):
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
        via = f" via {escape(ev['channel'])}" if ev.get("channel") else ""
        return _c(
            col,
            f"talks {escape(ev['from'])} &gt; {escape(ev['to'])} on {escape(ev['issue'])}{via}: {escape(oc)}{moved}",
        )
    if t == "channel":
        col = RED if ev["to"] == "closed" else AMBER if ev["to"] == "suspended" else GREEN
        return _c(
            col,
            f"<b>channel {escape(ev['channel'])}</b>: {ev['from']} &gt; {ev['to']} (by {escape(ev['by'])})",
        )
    if t == "staff":
        verb = "expels" if ev["kind"] == "expel" else "restores"
        return _c(
            AMBER,
            f"{escape(ev['by'])} {verb} {ev['persons']:g} staff on {escape(ev['channel'])} (now {ev['staff']:g})",
        )
    if t == "incident":
        extra = " &gt; <b>CRISIS</b>" if ev.get("crisis") else ""
        if ev.get("armed_clash"):
            extra += " &gt; <b>ARMED CLASH</b>"
        return _c(
            RED,
            f"incident in {escape(ev['theatre'])} between {' and '.join(map(escape, ev['actors']))} (deconfliction {ev['deconfliction']:.2f}){extra}",
        )
    if t == "patrol":
        return f"joint patrol {' + '.join(map(escape, ev['actors']))} in {escape(ev['theatre'])}"
    if t == "motion":
        return f"{escape(ev['candidate'])} applies to {escape(ev['bloc'])}"
    if t == "vote":
        res = "passes" if ev["passed"] else "fails"
        if "candidate" not in ev:  # a move of an issue state put to the vote (veto holders)
            veto = f"; vetoed by {escape(', '.join(ev['veto']))}" if ev.get("veto") else ""
            return f"{escape(ev['bloc'])} vote on {escape(ev['issue'])} {ev['from']:.2f} &gt; {ev['to_level']:.2f}: {res}; no: {escape(', '.join(ev['no']) or '-')}{veto}"
        return f"{escape(ev['bloc'])} vote on {escape(ev['candidate'])} (to {ev['to_level']}): {res}; no: {escape(', '.join(ev['no']) or '-')}"
    if t == "force":
        res = "<b>ARMED CLASH</b> (deliberate)" if ev.get("armed_clash") else f"{escape(ev['actors'][1])} yields"
        return _c(
            RED,
            f"<b>{escape(ev['actors'][0])} uses force against {escape(ev['actors'][1])} in {escape(ev['theatre'])}</b> &gt; {res} (expected utility of force {ev['eu_force']:+.2f}, of bargaining {ev['eu_bargain']:+.2f}; chance {ev['p_win']:.2f})",
        )
    if t == "channel_refused":
        return _c(AMBER, f"{escape(ev['by'])} asks to reopen {escape(ev['channel'])}: {escape(ev['host'])} refuses")
    if t == "issue":
        return _c(CYAN, f"issue {escape(ev['issue'])}: {ev['from']:.3f} &gt; {ev['to']:.3f}")
    if t == "red_line":
        resp = ev.get("response") or {}
        parts = [f"posture in {t_} {a:.2f} &gt; {b:.2f}" for t_, (a, b) in (resp.get("posture") or {}).items()]
        parts += [f"tension with {j} +{dv:.2f}" for j, dv in (resp.get("tension") or {}).items()]
        parts += [f"suspends {c}" for c in resp.get("suspended") or []]
        how = "declared crossed by an event" if ev.get("trigger") == "event" else f"crossed (state {ev['state']:.2f}, threshold {ev['threshold']:.2f})"
        return _c(
            RED,
            f"<b>red line of {escape(ev['actor'])} on {escape(ev['issue'])} {how}</b>; response: {escape(', '.join(parts) or 'none')} {escape(ev.get('note', ''))}",
        )
    if t == "event":
        what = escape(ev.get("text") or "")
        extra = ", ".join(
            escape(str(ev[k]))
            for k in ("theatre", "channel", "actor", "issue", "status")
            if ev.get(k)
        )
        if ev.get("actors"):
            extra = " and ".join(map(escape, ev["actors"])) + (", " + extra if extra else "")
        return _c(
            MAGENTA,
            f"<b>event {escape(ev['kind'])}</b>"
            + (f" ({extra})" if extra else "")
            + (f": {what}" if what else "")
            + f" [{escape(ev.get('source') or '')}]",
        )
    if t == "accession":
        return f"<b>{escape(ev['member'])} joins {escape(ev['bloc'])}</b>"
    if t == "end":
        return f"<b>end: {escape(ev['state'])}</b>"
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
) -> str:
    """The markup of one turn's log entry under a filter.

    Args:
        entry: a ``model.log`` entry (``None`` before the first turn).
        mode: one of :data:`FILTERS`.
        focus: the state for the "Focus state" filter.
        humans: human teams (their decisions are marked and kept by "Key events").
        great_powers: the scenario's great powers (kept by "Key events").
        limit: at most this many events (the rest is counted).
    """
    humans = humans or set()
    great_powers = great_powers or set()
    if entry is None:
        return _c(
            DIM,
            "No turn played yet. The log shows each turn's events here: every AI decision with its reason and the source it traces to.",
        )
    head = f"<b>Turn {entry['turn']} ({escape(entry.get('date', ''))})</b>"
    if mode == FILTERS[1] and focus:
        head += _c(DIM, f" - events of {escape(focus)}")
    elif mode == FILTERS[2]:
        head += _c(DIM, " - key events")
    lines = [head]
    shown = 0
    evs = entry.get("events", [])
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
        h = event_html(ev, humans)
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

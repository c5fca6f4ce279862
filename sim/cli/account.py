"""The readable turn-by-turn account that ``run.py run`` prints (rich markup).

Two levels: the default shows what changed the world (channel breaks, expulsions, applications,
votes, incidents, red lines, events, issue moves, great-power postures) and a one-line digest of
the talks; ``--verbose`` adds every decision with the term and source that decided it and every
round of talks.
"""

from __future__ import annotations

from rich.markup import escape

OUTCOME_WORDS = {
    "conflict": "conflict lost by the target",
    "stalemate": "stalemate (both expect to win)",
    "compromise": "compromise",
    "capitulation": "capitulation",
    "agreement": "agreement",
    "rejected": "rejected",
    "no channel": "no open channel",
    "awaiting answer": "awaiting the human's answer",
}
END_WORDS = {
    "horizon": "the last turn was reached",
    "armed_clash": "an incident escalated into an armed clash",
    "grand_bargain": "great-power tensions stayed low for several turns",
    "running": "still running",
}


def _reason(ev: dict) -> str:
    """``(score +0.23; channel cost +0.41 - interview L7)``: the score and its largest term."""
    terms = [t for t in ev.get("terms") or [] if t.get("term")]
    score = ev.get("score")
    head = f"score {score:+.3f}" if isinstance(score, (int, float)) else ""
    if terms:
        top = max(terms[:2], key=lambda x: x.get("value", 0))  # the largest additive term
        src = f" - {top['source']}" if top.get("source") else ""
        head += f"; {top['term']} {top['value']:+.3f}{src}"
    return f"  [dim]({escape(head)})[/]" if head else ""


def describe(ev: dict, verbose: bool = False, great_powers: frozenset[str] = frozenset()) -> str | None:
    """One readable line for a turn-log event, or ``None`` when it is not shown at this level."""
    t = ev.get("type")
    if t == "decision":
        action = ev.get("action", "")
        if action.startswith("pass") or ev.get("done") is False:
            return None
        quiet_kind = action.startswith(("propose", "set posture", "joint patrol"))
        if not verbose and quiet_kind:
            if not (action.startswith("set posture") and ev["actor"] in great_powers):
                return None
        who = ev["actor"] + (" (human)" if ev.get("human") else "")
        return f"[bold]{who}[/]: {escape(action)}{_reason(ev) if verbose or not quiet_kind else ''}"
    if t == "proposal":
        if not verbose:
            return None
        word = OUTCOME_WORDS.get(ev["outcome"], ev["outcome"])
        pos = ev.get("position")
        move = ""
        if pos and abs(pos[1] - pos[0]) > 1e-9:
            move = f"; {ev['to']} moves {pos[0]:.2f} -> {pos[1]:.2f}"
        elif ev.get("moved"):
            move = f"; {ev['to']} members move {ev['moved']:.0%} of the way"
        return f"  talks {ev['from']} -> {ev['to']} on {ev['issue']}: [italic]{word}[/]{move}"
    if t == "incident":
        line = (
            f"[red]incident[/] in {ev['theatre']} between {' and '.join(ev['actors'])}"
            f" (open channels cut escalation by {ev['deconfliction'] * 80:.0f}%)"
        )
        if ev.get("crisis"):
            line += " -> [bold red]crisis[/]"
        if ev.get("armed_clash"):
            line += " -> [bold red]armed clash[/]"
        return line
    if t == "vote":
        res = "passes" if ev["passed"] else "fails"
        no = ", ".join(ev["no"]) or "none"
        return f"{ev['bloc']} votes on {ev['candidate']}'s application (to level {ev['to_level']:g}): {res}; against: {no}"
    if t == "issue":
        return f"[cyan]issue {ev['issue']}: {ev['from']:.3f} -> {ev['to']:.3f}[/]"
    if t == "red_line":
        return (
            f"[bold red]red line of {ev['actor']} on {ev['issue']} crossed"
            f" ({ev['state']:.2f} >= {ev['threshold']:.2f})[/] {escape(ev.get('note', ''))}"
        )
    if t == "event":
        return f"[magenta]event: {ev['kind']}[/] {escape(ev.get('text') or '')} [dim]({escape(ev.get('source', ''))})[/]"
    if t == "accession":
        return f"[bold]{ev['member']} joins {ev['bloc']}[/]"
    return None


def talks_digest(events: list[dict]) -> str | None:
    """``talks: 30 proposals - 4 compromises, 2 capitulations, 20 stalemates, ...``."""
    props = [e for e in events if e.get("type") == "proposal"]
    if not props:
        return None
    counts: dict[str, int] = {}
    for e in props:
        counts[e["outcome"]] = counts.get(e["outcome"], 0) + 1
    parts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"[dim]talks: {len(props)} proposals - {parts}[/]"

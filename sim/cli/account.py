"""The readable turn-by-turn account that ``run.py run`` prints (rich markup).

Two levels: the default shows what changed the world (channel breaks, expulsions, applications,
votes, incidents, red lines, events, issue moves, great-power postures) and one-line digests of
the talks and of the joint patrols; ``--verbose`` adds every decision with the term and source
that decided it, every round of talks and every joint patrol.
"""

from __future__ import annotations

from rich.markup import escape

TALKS_TERM = "conflict"
"""The one word for the kernel's outcome in which both sides expect to gain from a fight: the
expected-utility model's own name (Bueno de Mesquita's four outcomes of a challenge: conflict,
compromise, capitulation, stalemate), the value of ``outcome`` in the turn log and of a
scenario's ``match: {outcome: conflict}``. It is talk, not violence: an armed clash is a use of
force or an incident that escalated. The run's counter ``conflicts`` (and the results' column of
that name) counts every talk that ended without agreement: conflicts, stalemates and blocs'
rejections; ``disputes`` counts the conflicts alone (names kept for results files)."""

OUTCOME_WORDS = {
    "conflict": "conflict (both expect to gain from a fight; the target holds)",
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
    "armed_clash": "an armed clash",
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
        line = f"[bold]{who}[/]: {escape(action)}{_reason(ev) if verbose or not quiet_kind else ''}"
        explored = ev.get("explored")
        if explored and (verbose or not quiet_kind):
            line += f" [yellow](chosen below pass by exploration at temperature {explored['temperature']:g})[/]"
        return line
    if t == "proposal":
        if not verbose:
            return None
        word = OUTCOME_WORDS.get(ev["outcome"], ev["outcome"])
        pos = ev.get("position")
        move = ""
        if pos and abs(pos[1] - pos[0]) > 1e-9:
            move = f"; {ev['to']} moves {_moved(pos[0], pos[1], 2)}"
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
            line += " -> [bold red]armed clash[/] (escalated)"
        return line
    if t == "force":
        head = f"[bold red]{ev['actors'][0]} uses force against {ev['actors'][1]} in {ev['theatre']}[/]"
        why = f"expected utility of force {ev['eu_force']:+.3f} against {ev['eu_bargain']:+.3f} for bargaining; chance of prevailing {ev['p_win']:.2f}"
        if ev.get("armed_clash"):
            return f"{head}: {ev['actors'][1]} resists -> [bold red]armed clash[/] (deliberate; {why})"
        return f"{head}: {ev['actors'][1]} yields ({why})"
    if t == "vote":
        res = "passes" if ev["passed"] else "fails"
        no = ", ".join(ev["no"]) or "none"
        if "candidate" not in ev:  # a move of an issue state put to a vote (veto holders)
            veto = f"; vetoed by {', '.join(ev['veto'])}" if ev.get("veto") else ""
            return f"{ev['bloc']} votes on {ev['issue']} {ev['from']:.2f} -> {ev['to_level']:.2f}: {res}; against: {no}{veto}"
        return f"{ev['bloc']} votes on {ev['candidate']}'s application (to level {ev['to_level']:g}): {res}; against: {no}"
    if t == "issue":
        return f"[cyan]issue {ev['issue']}: {_moved(ev['from'], ev['to'], 3)}[/]"
    if t == "red_line":
        return red_line_words(ev)
    if t == "channel_refused":
        return f"{ev['by']} asks to reopen {ev['channel']}: {ev['host']} refuses"
    if t == "channel_request":  # the host is a human team: it answers next month
        return f"{ev['by']} asks to reopen {ev['channel']}: {ev['host']} (a human team) answers next month"
    if t == "event":
        return f"[magenta]event: {ev['kind']}[/] {escape(ev.get('text') or '')} [dim]({escape(ev.get('source', ''))})[/]"
    if t == "accession":
        return f"[bold]{ev['member']} joins {ev['bloc']}[/]"
    if t == "patrol":
        if not verbose:
            return None  # the default account lists a turn's patrols in one line (patrols_digest)
        return f"[blue]joint patrol[/] of {' and '.join(ev['actors'])} in {ev['theatre']} (their alignment rises; more incidents there this turn)"
    return None


def patrols_digest(events: list[dict]) -> str | None:
    """``joint patrols: CHN and RUS in east_china_sea; POL and USA in baltic`` (None: no patrol).

    The default account's one line for a turn's joint patrols (``--verbose`` shows one line
    each, :func:`describe`); they are counted in the run's totals as ``joint patrols``.
    """
    flown = [f"{' and '.join(e['actors'])} in {e['theatre']}" for e in events if e.get("type") == "patrol"]
    if not flown:
        return None
    return f"[blue]{'joint patrol' if len(flown) == 1 else 'joint patrols'}[/]: {escape('; '.join(flown))}"


def red_line_words(ev: dict) -> str:
    """``red line of RUS on nato_ukraine crossed: state 0.60 reached 0.60 (above); response: ...``."""
    if ev.get("trigger") == "event":
        head = f"[bold red]red line of {ev['actor']} on {ev['issue']} declared crossed by an event[/] (state {ev['state']:.2f}, threshold {ev['threshold']:.2f})"
    else:
        rel = ">=" if ev.get("direction", "above") == "above" else "<="
        head = f"[bold red]red line of {ev['actor']} on {ev['issue']} crossed[/]: state {ev['state']:.2f} {rel} threshold {ev['threshold']:.2f}"
    resp = ev.get("response") or {}
    parts = [f"posture in {t} {a:.2f} -> {b:.2f}" for t, (a, b) in (resp.get("posture") or {}).items()]
    parts += [f"tension with {j} +{dv:.2f}" for j, dv in (resp.get("tension") or {}).items()]
    parts += [f"suspends {c}" for c in resp.get("suspended") or []]
    tail = f"; response: {', '.join(parts)}" if parts else "; no response in force"
    note = f" ({escape(ev['note'])})" if ev.get("note") else ""
    return head + escape(tail) + note


DIGEST_WORDS = {
    "conflict": ("conflict", "conflicts"),
    "stalemate": ("stalemate", "stalemates"),
    "compromise": ("compromise", "compromises"),
    "capitulation": ("capitulation", "capitulations"),
    "agreement": ("agreement with a bloc", "agreements with a bloc"),
    "rejected": ("rejection by a bloc", "rejections by a bloc"),
    "no channel": ("without an open channel", "without an open channel"),
    "awaiting answer": ("awaiting a human answer", "awaiting a human answer"),
}
"""How :func:`talks_digest` counts each outcome of talks (singular, plural)."""


def counted(n: int, one: str, many: str | None = None) -> str:
    """``1 proposal``, ``2 proposals``: a count with its noun in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def talks_digest(events: list[dict]) -> str | None:
    """``talks: 30 proposals - 20 stalemates, 4 compromises, 2 capitulations, 1 conflict, ...``."""
    props = [e for e in events if e.get("type") == "proposal"]
    if not props:
        return None
    counts: dict[str, int] = {}
    for e in props:
        counts[e["outcome"]] = counts.get(e["outcome"], 0) + 1
    parts = ", ".join(counted(v, *DIGEST_WORDS.get(k, (k, k))) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"[dim]talks: {counted(len(props), 'proposal')} - {escape(parts)}[/]"


def _moved(before: float, after: float, places: int) -> str:
    """``"before -> after"`` with ``places`` decimals, or as many more (up to 6) as it takes for a
    move to show: a move of 0.0004 read "0.500 -> 0.500"."""
    for d in range(places, 7):
        a, b = f"{before:.{d}f}", f"{after:.{d}f}"
        if a != b:
            break
    return f"{a} -> {b}"

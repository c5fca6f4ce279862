"""HTML bodies of the briefings (from :mod:`sim.briefing`'s plain data)."""

from __future__ import annotations

from sim.cli.html import esc
from sim.schema import Scenario
from sim.score import CLASH_PENALTY, CRISIS_PENALTY, ISSUE_POINTS


def _turn_words(sc: Scenario, turn: int | None) -> str:
    if turn is None:
        return "judged at the end (and live during the game)"
    y, m = map(int, sc.start.split("-"))
    k = (m - 1) + turn * sc.turn_months
    return f"judged at turn {turn} ({y + k // 12:04d}-{k % 12 + 1:02d}), final from then on"


def scoring_html() -> str:
    """How a team scores, in a paragraph (the formula of :mod:`sim.score`)."""
    return (
        "<p><b>How you score.</b> Each month your score is the sum of three parts: "
        f"<i>issue points</i>, {ISSUE_POINTS:g} times how much closer the issues in force have come to "
        "what you want since the start (weighted by how much each matters to you; negative if they "
        "moved away); the <i>points of your objectives</i> that are met; minus "
        f"{CRISIS_PENALTY:g} for every crisis and {CLASH_PENALTY:g} for every armed clash you are party to.</p>"
    )


def class_html(cb: dict, sc: Scenario) -> str:
    """The class page: story, teams, issues and their scales, blocs, scoring, debrief questions."""
    months = sc.turns * sc.turn_months
    out = [
        f"<h1>{esc(cb['scenario'])}</h1>",
        f"<p class='meta'>Starts {esc(cb['start'])}; {cb['turns']} turns of {cb['turn_months']} month"
        f"{'s' * (cb['turn_months'] != 1)} ({months} months).</p>",
        f"<p class='lead'>{esc(cb['story'])}</p>",
        "<h2>The teams</h2><ul>",
    ]
    for t in cb["playable"]:
        out.append(f"<li><b>{esc(t['name'])}</b> ({esc(t['id'])}): {esc(t['headline'])}</li>")
    out.append("</ul><p>The computer plays every other state. Each team receives its own briefing.</p>")
    out.append("<h2>What is at stake</h2><table><tr><th>issue</th><th>now</th><th>decided by</th><th>levels</th></tr>")
    for x in cb["issues"]:
        levels = "; ".join(f"{v:g} {esc(n)}" for v, n in x["scale"])
        out.append(
            f"<tr><td>{esc(x['label'])}</td><td>{esc(x['state_words'])}</td>"
            f"<td>{esc(x['decided_by'])}</td><td>{levels}</td></tr>"
        )
    out.append("</table>")
    if cb["blocs"]:
        out.append("<h2>Blocs</h2><ul>")
        rule = {"consensus": "by consensus: any member blocks", "majority": "by capability-weighted majority", "leader": "as its leader says"}
        for b in cb["blocs"]:
            names = ", ".join(sc.actors[m].name for m in b["members"])
            out.append(f"<li><b>{esc(b['name'])}</b> ({esc(b['id'])}) decides {rule[b['rule']]}; members: {esc(names)}</li>")
        out.append("</ul>")
    out.append("<h2>How a month runs</h2><ol>"
               "<li>Each team chooses its actions: proposals through open channels, opening or closing channels, "
               "expelling or restoring staff, military posture, joint patrols, applications and votes.</li>"
               "<li>Proposals are answered (the computer's states answer by expected utility; yours answer next month).</li>"
               "<li>Incidents may happen where forces meet; open channels make a crisis less likely.</li>"
               "<li>Blocs vote; red lines crossed bring their owners' responses; tension and the issues move.</li></ol>")
    out.append(scoring_html())
    if cb["debrief_questions"]:
        out.append("<h2>For the debrief</h2><ol>")
        out += [f"<li>{esc(q)}</li>" for q in cb["debrief_questions"]]
        out.append("</ol>")
    return "\n".join(out)


def team_html(b: dict, sc: Scenario) -> str:
    """One team's briefing page."""
    out = [
        f"<h1>Briefing: {esc(b['name'])}</h1>",
        f"<p class='meta'>{esc(b['scenario'])}; {esc(b['date'])}; your state is {_ordinal(b['capability_rank'])} of "
        f"{len(sc.actors)} by military expenditure ({b['capability_share']:.0%} of the states' total).</p>",
    ]
    if b["situation"]:
        out.append(f"<p class='lead'>{esc(b['situation'])}</p>")
    out.append(f"<p><b>{esc(b['headline'])}</b></p>")
    out.append("<h2>Your objectives</h2>")
    if b["objectives"]:
        for o in b["objectives"]:
            src = f" <span class='src'>({esc(o['source'])})</span>" if o["source"] else ""
            out.append(
                f"<div class='obj'><b>{esc(o['text'])}</b><br><span class='meta'>{o['points']:g} points; "
                f"{esc(_turn_words(sc, o['by']))}</span>{src}</div>"
            )
    else:
        out.append("<p>This scenario sets no objectives for your state: play for your interests below.</p>")
    out.append(scoring_html())
    out.append("<h2>Your interests</h2><table><tr><th>issue</th><th>what you want</th><th>source</th></tr>")
    for i in b["interests"]:
        out.append(f"<tr><td>{esc(i['label'])}</td><td>{esc(i['text'])}</td><td class='src'>{esc(i['source'])}</td></tr>")
    out.append("</table>")
    out.append("<h2>Red lines</h2>")
    if b["red_lines"]:
        out.append("<p>Yours:</p><ul>" + "".join(f"<li>{esc(r['text'])} <span class='src'>({esc(r['source'])})</span></li>" for r in b["red_lines"]) + "</ul>")
    else:
        out.append("<p>You have no declared red line.</p>")
    if b["others_red_lines"]:
        out.append("<p>Others' red lines on issues you care about:</p><ul>" + "".join(f"<li>{esc(r['text'])} <span class='src'>({esc(r['source'])})</span></li>" for r in b["others_red_lines"]) + "</ul>")
    out.append("<h2>Your channels</h2><p>Talks travel only over open channels; staff make a channel effective.</p>")
    out.append("<table><tr><th>channel</th><th>with</th><th>status</th><th>carries</th></tr>")
    for c in b["channels"]:
        staff = f"<br><span class='meta'>{c['staff']:,.0f} of {c['staff_baseline']:,.0f} staff</span>" if c["kind"] in ("embassy", "bloc_mission", "un") else ""
        carries = ", ".join(sc.issues[x].label for x in c["issues"]) or ("deconfliction of incidents" if c["kind"] == "military_hotline" else "-")
        who = sc.actors[c["with"]].name if c["with"] in sc.actors else c["with"]
        out.append(f"<tr><td>{esc(c['label'][:1].upper() + c['label'][1:])}</td><td>{esc(who)}</td><td>{esc(c['status'])}{staff}</td><td>{esc(carries)}</td></tr>")
    out.append("</table>")
    if b["blocs"]:
        out.append("<h2>Your blocs</h2><ul>")
        for bl in b["blocs"]:
            names = ", ".join(sc.actors[m].name for m in bl["members"])
            out.append(f"<li><b>{esc(bl['name'])}</b> (decides by {esc(bl['rule'])}): {esc(names)}</li>")
        out.append("</ul>")
    out.append("<h2>Partners and rivals</h2>")
    if b["partners"]:
        out.append("<p>Closest partners (alignment in [-1, 1]): " + ", ".join(f"{esc(p['name'])} ({p['alignment']:+.2f})" for p in b["partners"]) + ".</p>")
    if b["rivals"]:
        out.append("<p>Whom you see as a threat (in [0, 1]; tension now): " + ", ".join(f"{esc(p['name'])} ({p['threat']:.2f}; tension {p['tension']:.2f})" for p in b["rivals"]) + ".</p>")
    out.append(f"<h2>The story</h2><p>{esc(b['story'])}</p>")
    return "\n".join(out)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

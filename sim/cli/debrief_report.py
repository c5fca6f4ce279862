"""The debrief report: figures (matplotlib) and one HTML page from a :class:`sim.debrief.Debrief`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.cli.html import esc, page, save_figure
from sim.debrief import BAND, Debrief, outcome_label
from sim.describe import END_WORDS
from sim.score import STATUS_WORDS, GameRecord

CLASS_COLOUR = "#c0392b"
AI_COLOUR = "#34495e"


def _xlim(k: str, values: np.ndarray) -> tuple[float, float]:
    """The x range of an outcome's strip: [0, 1] for tensions and issues, padded for scores."""
    if not k.startswith("score."):
        return -0.02, 1.02
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max(5.0, 0.1 * (hi - lo))
    return lo - pad, hi + pad


def _grid(n: int, cols: int = 3):
    import matplotlib.pyplot as plt

    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(4.0 * cols, 7.0), 2.7 * rows + 0.4), squeeze=False)
    return fig, axes


def plot_bands(d: Debrief, keys: list[str], title: str, path: Path, last: int) -> None:
    """One panel per outcome: the AI games' median and 10-90% band by turn, the class's game on top."""
    fig, axes = _grid(len(keys))
    turns = np.arange(d.horizon + 1)
    for ax, k in zip(axes.flat, keys):
        b = d.bands[k]
        ax.fill_between(turns, b.low, b.high, color=AI_COLOUR, alpha=0.18, linewidth=0, label=f"AI alone, {BAND[0]:g}-{BAND[1]:g}%")
        ax.plot(turns[: last + 1], d.game[k][: last + 1], color=CLASS_COLOUR, linewidth=2.2, label="your game")
        ax.plot(turns, b.median, color=AI_COLOUR, linewidth=1.1, linestyle="--", label="AI alone, median")
        if not k.startswith("score."):
            ax.set_ylim(-0.02, 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(outcome_label(d.scenario, k), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("turn", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save_figure(fig, path)


def plot_finals(d: Debrief, keys: list[str], path: Path, last: int) -> None:
    """Where each final outcome falls: the AI games' finals as dots, the class's as a red diamond."""
    import matplotlib.pyplot as plt

    n = len(keys)
    fig, axes = plt.subplots(n, 1, figsize=(8.0, 0.55 * n + 0.8), squeeze=False)
    rng = np.random.default_rng(0)  # vertical jitter of the dots only (drawing, not the model)
    for ax, k in zip(axes.flat, keys):
        finals = d.bands[k].finals
        ax.scatter(finals, rng.uniform(-0.25, 0.25, len(finals)), s=10, color=AI_COLOUR, alpha=0.5)
        mine = d.game[k][last]
        ax.scatter([mine], [0], marker="D", s=50, color=CLASS_COLOUR, zorder=3)
        ax.set_xlim(*_xlim(k, np.append(finals, mine)))
        ax.set_yticks([])
        ax.set_ylim(-0.6, 0.6)
        ax.tick_params(labelsize=7)
        ax.set_ylabel(f"{outcome_label(d.scenario, k)}\n{d.percentiles[k]:.0f}th pct", rotation=0, ha="right", va="center", fontsize=7)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    fig.suptitle("Where your game ends among the AI's games (red: yours; dots: AI alone)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def _pct_words(p: float) -> str:
    if p <= 10:
        return "lower than almost every AI game"
    if p >= 90:
        return "higher than almost every AI game"
    if 35 <= p <= 65:
        return "about where the AI usually ends"
    return "lower than most AI games" if p < 50 else "higher than most AI games"


def write_debrief(d: Debrief, rec: GameRecord, dest: Path, *, save_name: str, master_seed: int) -> list[Path]:
    """Write ``debrief.html`` and its figures into ``dest``.

    Returns:
        The files written.

    Raises:
        OSError: the folder cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    from sim.files import write_text_atomic

    sc = d.scenario
    last = rec.turn
    keys = list(d.game)
    tension = [k for k in keys if k.startswith("tension.")]
    issues = [k for k in keys if k.startswith("issue.")]
    scores = [k for k in keys if k.startswith("score.")]
    written: list[Path] = []
    figs = []
    for name, ks, title, caption in (
        ("tension.png", tension, "Tension by turn", "Tension in [0, 1] between the great powers and between each team and each great power."),
        ("issues.png", issues, "Issue states by turn", "The state in force of each issue, in [0, 1]."),
        ("scores.png", scores, "Scores by turn", "Each team's score; in the AI games the computer plays the team's state."),
    ):
        if ks:
            plot_bands(d, ks, title, dest / name, last)
            written.append(dest / name)
            figs.append((name, title, caption))
    plot_finals(d, keys, dest / "finals.png", last)
    written.append(dest / "finals.png")

    teams = ", ".join(sc.actors[t].name for t in d.teams)
    humans = bool(rec.history[-1]["actors"]) and any(rec.history[-1]["actors"].get(t, {}).get("controller") == "human" for t in d.teams)
    who = f"Teams: {teams}." if humans else f"An all-AI game; the states scored: {teams}."
    ends = ", ".join(f"{END_WORDS.get(k, k)}: {v} of {d.runs}" for k, v in sorted(d.ai_end_states.items(), key=lambda kv: -kv[1]))
    out = [
        f"<h1>Debrief: {esc(sc.name)}</h1>",
        f"<p class='meta'>Game {esc(save_name)}: {last} turn{'s' * (last != 1)} played, to {esc(rec.history[-1].get('date', ''))}. {esc(who)} "
        f"Compared with {d.runs} games of the same scenario played by the AI alone (master seed {master_seed}; "
        f"each game's seed spawned from it), {d.horizon} turns each.</p>",
        f"<p class='lead'>{esc(sc.story or sc.description)}</p>",
        "<h2>How the game ended</h2>",
        f"<p>{'Your game' if humans else 'This game'}: <b>{esc(END_WORDS.get(d.end_state, d.end_state))}</b>"
        + (" (still running when saved)" if d.end_state == "running" else "")
        + f". The AI alone: {esc(ends)}.</p>",
        "<h2>The scorecard</h2><table><tr><th>rank</th><th>team</th><th class='num'>score</th><th class='num'>issue points</th>"
        "<th class='num'>objectives</th><th class='num'>penalties</th><th>objectives met</th><th class='num'>AI with this state (median)</th><th class='num'>percentile</th></tr>",
    ]
    for rank, b in enumerate(d.scorecards, start=1):
        obs = "<br>".join(
            f"<span class='{ 'met' if o.status == 'met' else 'pending' if o.status in ('on track', 'not yet') else 'notmet'}'>{esc(STATUS_WORDS[o.status])}</span>: {esc(o.text)}"
            for o in b.objectives
        ) or "-"
        k = f"score.{b.actor}"
        out.append(
            f"<tr><td>{rank}</td><td>{esc(sc.actors[b.actor].name)}</td><td class='num'>{b.total:+.1f}</td>"
            f"<td class='num'>{b.issue_points:+.1f}</td><td class='num'>{b.objective_points:g}</td>"
            f"<td class='num'>-{b.penalty_points:g} ({b.crises} crises, {b.clashes} clashes)</td><td>{obs}</td>"
            f"<td class='num'>{d.bands[k].median[last]:+.1f}</td><td class='num'>{d.percentiles[k]:.0f}</td></tr>"
        )
    out.append("</table>")
    out.append(
        "<h2>Where each outcome ends</h2><p>The percentile says how many of the AI's games ended lower "
        "(ties count half): 50 is the AI's usual result, 0 below all of them, 100 above all.</p>"
        "<table><tr><th>outcome</th><th class='num'>your game</th><th class='num'>AI median</th>"
        f"<th class='num'>AI {BAND[0]:g}-{BAND[1]:g}%</th><th class='num'>percentile</th><th>in words</th></tr>"
    )
    for k in keys:
        b = d.bands[k]
        fmt = "{:+.1f}" if k.startswith("score.") else "{:.3f}"
        out.append(
            f"<tr><td>{esc(outcome_label(sc, k))}</td><td class='num'>{fmt.format(d.game[k][last])}</td>"
            f"<td class='num'>{fmt.format(b.median[last])}</td><td class='num'>{fmt.format(b.low[last])} to {fmt.format(b.high[last])}</td>"
            f"<td class='num'>{d.percentiles[k]:.0f}</td><td>{esc(_pct_words(d.percentiles[k]))}</td></tr>"
        )
    out.append("</table><img src='finals.png' alt='final outcomes against the AI games'>")
    out.append("<h2>Turn by turn</h2><p>Red: your game. Grey: the median (line) and the 10-90% band of the AI's games at each turn; an AI game that ended early keeps its final values.</p>")
    for name, title, caption in figs:
        out.append(f"<h3>{esc(title)}</h3><p class='meta'>{esc(caption)}</p><img src='{esc(name)}' alt='{esc(title)}'>")
    out.append(
        "<h2>The decisions that moved outcomes most</h2><p>The months in which your game moved furthest away from "
        "the AI's usual path: each outcome's gap to the AI median is measured in widths of the AI's 10-90% band, "
        "and these months raised the mean gap most. Each lists the teams' decisions of that month and what changed.</p>"
    )
    if not d.turning_points:
        out.append("<p>Your game never moved away from the AI's usual path: it stayed within what the AI does alone.</p>")
    for p in d.turning_points:
        out.append(f"<h3>Turn {p.turn} ({esc(p.date)}): gap +{p.shift:.2f} band widths</h3>")
        if p.moved:
            out.append("<p>Moved away: " + "; ".join(f"{esc(outcome_label(sc, k))} {v:.2f} against the AI's {m:.2f}" for k, v, m in p.moved) + ".</p>")
        out.append(_decision_list(sc, p.decisions))
        if p.events:
            out.append("<p class='meta'>" + " ".join(esc(e) for e in p.events) + "</p>")
    out.append("<h2>Each team's biggest months</h2>")
    for team, months in d.team_months.items():
        out.append(f"<h3>{esc(sc.actors[team].name)}</h3>")
        if not months:
            out.append("<p>The score never changed.</p>")
        for p in months:
            out.append(f"<p><b>Turn {p.turn} ({esc(p.date)}): score {p.shift:+.1f}.</b></p>" + _decision_list(sc, p.decisions))
    if sc.debrief_questions:
        out.append("<h2>Questions for the debrief</h2><ol>" + "".join(f"<li>{esc(q)}</li>" for q in sc.debrief_questions) + "</ol>")
    write_text_atomic(dest / "debrief.html", page(f"Debrief: {sc.name}", "\n".join(out)))
    written.append(dest / "debrief.html")
    return written


def _decision_list(sc, decisions: list[tuple[str, str]]) -> str:
    if not decisions:
        return "<p class='meta'>No decision by the teams that month.</p>"
    from sim.describe import capital_first, the

    # a record of what each state did: "Russia closes the US embassy in Moscow."
    return "<ul>" + "".join(f"<li>{esc(capital_first(the(sc.actors[a].name)) + ' ' + text if a in sc.actors else capital_first(text))}.</li>" for a, text in decisions) + "</ul>"

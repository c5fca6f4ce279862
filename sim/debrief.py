"""The debrief: a class's game set against the same scenario played by the AI alone (pure).

Given the record of a game (:class:`sim.score.GameRecord`: per-turn snapshots and turn log) and
``N`` all-AI games of the same scenario and horizon, this module computes, turn by turn, the
distribution of the AI games (median and 10-90% band) for every outcome it tracks, where each of
the class's final outcomes falls in that distribution (a percentile), and the months in which the
class's game moved furthest away from what the AI usually does, with the teams' decisions of
those months.

Outcomes tracked (all per turn): tension of the great-power pairs and of each team with each
great power (in [0, 1]), every issue's state (in [0, 1]), and every team's score
(:mod:`sim.score`). An AI game that ended before the horizon keeps its final values.

No files, no pygame, no plotting: ``sim.cli.debrief_cmd`` draws and writes the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.score import GameRecord, score_history
from sim.schema import Scenario, playable_ids

BAND = (10.0, 90.0)
"""Percentiles of the AI games' band."""
GAP_FLOOR = {"tension": 0.05, "issue": 0.05, "score": 5.0}
"""Smallest band width used to scale a gap (so a band of width 0 does not blow it up); ours."""
TURNING_POINTS = 5
"""How many months the debrief lists as turning points."""
MAX_DECISIONS = 8
"""Decisions listed per month (channel, staff and posture actions before proposals)."""


def ai_seeds(master_seed: int, n: int) -> list[int]:
    """``n`` independent seeds from one master seed (``numpy.random.SeedSequence.spawn``)."""
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in np.random.SeedSequence(master_seed).spawn(n)]


def play_ai(scenario: Scenario, seed: int, turns: int | None = None) -> GameRecord:
    """One all-AI game of a scenario, recorded turn by turn.

    Args:
        scenario: a validated scenario.
        seed: the model's seed.
        turns: horizon (default: the scenario's).

    Returns:
        Its :class:`GameRecord` (snapshots of turn 0 to the end, and the turn log).
    """
    import json

    from sim.model import GreatPowerModel

    model = GreatPowerModel(scenario, seed=seed, turns=turns, humans=[], reasons=False)
    history = [json.loads(json.dumps(model.snapshot()))]
    while model.running:
        model.step()
        history.append(json.loads(json.dumps(model.snapshot())))
    return GameRecord(scenario, history, list(model.log))


def teams_of(scenario: Scenario, humans: list[str]) -> list[str]:
    """The teams a debrief scores: the human teams, or the playable states of an all-AI game."""
    return list(humans) if humans else playable_ids(scenario)


def tracked_pairs(scenario: Scenario, teams: list[str]) -> list[tuple[str, str]]:
    """Pairs whose tension the debrief follows: great-power pairs, then each team with each great power."""
    gp = list(scenario.great_powers)
    pairs: list[tuple[str, str]] = []
    for i, a in enumerate(gp):
        for b in gp[i + 1 :]:
            pairs.append((a, b))
    for t in teams:
        for g in gp:
            if t != g and (t, g) not in pairs and (g, t) not in pairs:
                pairs.append((t, g))
    return pairs


def series(rec: GameRecord, horizon: int, teams: list[str], pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Every tracked outcome of a game by turn, shape (horizon + 1,); padded with the last value.

    Keys: ``tension.A-B``, ``issue.X``, ``score.T``.
    """
    sc = rec.scenario
    out: dict[str, list[float]] = {}
    for a, b in pairs:
        out[f"tension.{a}-{b}"] = [float(s["tension"][a][b]) for s in rec.history]
    for x in sc.issues:
        out[f"issue.{x}"] = [float(s["issues"][x]["state"]) for s in rec.history]
    for t in teams:
        out[f"score.{t}"] = [b.total for b in score_history(rec, t)]
    padded = {}
    for k, v in out.items():
        arr = np.array(v[: horizon + 1], dtype=float)
        if len(arr) < horizon + 1:
            arr = np.concatenate([arr, np.full(horizon + 1 - len(arr), arr[-1])])
        padded[k] = arr
    return padded


def percentile_of(value: float, samples: np.ndarray) -> float:
    """Where ``value`` falls among ``samples``, in percent (mid-rank: ties count half).

    0 means below every AI game, 100 above every one, 50 at the median.
    """
    s = np.asarray(samples, dtype=float)
    if len(s) == 0:
        return float("nan")
    below = np.sum(s < value - 1e-12)
    ties = np.sum(np.abs(s - value) <= 1e-12)
    return float(100.0 * (below + 0.5 * ties) / len(s))


@dataclass
class Band:
    """The AI games' distribution of one outcome by turn (arrays of shape (horizon + 1,))."""

    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    finals: np.ndarray  # (N,) final values of the AI games


@dataclass
class TurningPoint:
    """A month in which the class's game moved away from the AI's usual path.

    Attributes:
        turn: the month (turn).
        date: its calendar month.
        shift: the rise of the mean scaled gap between the class's game and the AI median.
        moved: ``(outcome key, class value, AI median)`` of the outcomes whose gap grew most.
        decisions: the teams' decisions of that month, as ``(team, action text)``.
        events: what changed that month, in words (first lines of the month's summary).
    """

    turn: int
    date: str
    shift: float
    moved: list[tuple[str, float, float]] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


@dataclass
class Debrief:
    """Everything the debrief report shows (see :func:`debrief`)."""

    scenario: Scenario
    teams: list[str]
    horizon: int
    runs: int
    seeds: list[int]
    game: dict[str, np.ndarray]
    bands: dict[str, Band]
    percentiles: dict[str, float]
    end_state: str
    ai_end_states: dict[str, int]
    turning_points: list[TurningPoint]
    scorecards: list[Any]
    team_months: dict[str, list[TurningPoint]]


def _kind(key: str) -> str:
    return key.split(".", 1)[0]


def _gaps(game: dict[str, np.ndarray], bands: dict[str, Band]) -> dict[str, np.ndarray]:
    """Per outcome and turn: |class - AI median| / max(band width, floor)."""
    out = {}
    for k, v in game.items():
        b = bands[k]
        width = np.maximum(b.high - b.low, GAP_FLOOR[_kind(k)])
        out[k] = np.abs(v - b.median) / width
    return out


def decision_words(rec: GameRecord, turn: int, ev: dict) -> str:
    """A logged decision in plain words, as it read when it was taken (the previous turn's snapshot).

    A record in the third person without its subject, as the turn log writes it ("closes the US
    embassy in Moscow"); the report puts the state's name before it. Falls back to the logged
    code (``propose nato_ukraine to RUS via ...``) for logs written before decisions carried
    their ``spec``.
    """
    from sim.actions import Action
    from sim.describe import describe_action_in

    spec = ev.get("spec")
    if isinstance(spec, dict):
        try:
            return describe_action_in(rec.scenario, rec.snapshot(max(turn - 1, 0)), Action.from_dict(spec), third_person=True)
        except (KeyError, TypeError, ValueError):
            pass
    return str(ev.get("action", ""))


def team_decisions(rec: GameRecord, turn: int, teams: list[str], humans: bool = True) -> list[tuple[str, str]]:
    """What the teams decided in one turn, in words: ``(actor, record)`` pairs.

    Changes to channels, staff or posture come first, then proposals; at most
    :data:`MAX_DECISIONS`, then one line counting the rest (actor ``""``). With ``humans``,
    only the decisions a human team made (including those that had no effect, so marked).
    """
    return _decisions(rec, turn, teams, humans)


def _decisions(rec: GameRecord, turn: int, teams: list[str], humans: bool) -> list[tuple[str, str]]:
    entry = next((e for e in rec.log if e.get("turn") == turn), None)
    out = []
    for ev in (entry or {}).get("events", []):
        if ev.get("type") != "decision" or ev.get("actor") not in teams:
            continue
        if humans and not ev.get("human"):
            continue
        if ev.get("action") == "pass" or (ev.get("done") is False and not humans):
            continue
        note = "" if ev.get("done", True) else " (had no effect)"
        out.append((ev["actor"], decision_words(rec, turn, ev) + note, ev.get("action", "").startswith("propose")))
    # actions that change channels, staff or posture first, then proposals; at most MAX_DECISIONS
    out.sort(key=lambda d: d[2])
    shown = [(a, text) for a, text, _p in out[:MAX_DECISIONS]]
    if len(out) > MAX_DECISIONS:
        shown.append(("", f"and {len(out) - MAX_DECISIONS} more decisions (proposals, mostly)"))
    return shown


def debrief(rec: GameRecord, ai: list[GameRecord], humans: list[str], seeds: list[int] | None = None) -> Debrief:
    """Compare a game with all-AI games of the same scenario.

    Args:
        rec: the class's game (its horizon is the AI games' horizon).
        ai: the all-AI games (at least one), e.g. from :func:`play_ai`.
        humans: the class's human teams (empty for an all-AI game: its playable states are
            scored instead).
        seeds: the AI games' seeds, for the report.

    Returns:
        The :class:`Debrief`.

    Raises:
        ValueError: no AI games.
    """
    if not ai:
        raise ValueError("a debrief needs at least one AI game")
    from sim.describe import month_summary
    from sim.score import scoreboard

    sc = rec.scenario
    teams = teams_of(sc, humans)
    pairs = tracked_pairs(sc, teams)
    horizon = max(int(rec.history[-1]["turn"]), max(int(r.history[-1]["turn"]) for r in ai))
    horizon = max(horizon, int(rec.history[-1].get("turn", 0)))
    game = series(rec, horizon, teams, pairs)
    runs = [series(r, horizon, teams, pairs) for r in ai]
    bands: dict[str, Band] = {}
    pct: dict[str, float] = {}
    last = int(rec.history[-1]["turn"])
    for k in game:
        stack = np.stack([r[k] for r in runs])  # (N, horizon + 1)
        lo, med, hi = np.percentile(stack, [BAND[0], 50.0, BAND[1]], axis=0)
        finals = stack[:, last]
        bands[k] = Band(med, lo, hi, finals)
        pct[k] = percentile_of(float(game[k][last]), finals)
    gaps = _gaps(game, bands)
    keys = list(game)
    mean_gap = np.mean(np.stack([gaps[k] for k in keys]), axis=0)
    points = []
    for t in range(1, last + 1):
        shift = float(mean_gap[t] - mean_gap[t - 1])
        grew = sorted(keys, key=lambda k: -(gaps[k][t] - gaps[k][t - 1]))[:3]
        moved = [(k, float(game[k][t]), float(bands[k].median[t])) for k in grew if gaps[k][t] - gaps[k][t - 1] > 0]
        points.append(
            TurningPoint(
                turn=t,
                date=str(rec.history[min(t, len(rec.history) - 1)].get("date", "")),
                shift=shift,
                moved=moved,
                decisions=_decisions(rec, t, teams, bool(humans)),
                events=month_summary(rec, t, focus=teams, count_pending=True)[:4],
            )
        )
    top = sorted([p for p in points if p.shift > 0], key=lambda p: (-p.shift, p.turn))[:TURNING_POINTS]
    team_months: dict[str, list[TurningPoint]] = {}
    for team in teams:
        s = game[f"score.{team}"]
        best = sorted(range(1, last + 1), key=lambda t: (-abs(s[t] - s[t - 1]), t))[:3]
        team_months[team] = [
            TurningPoint(
                turn=t,
                date=points[t - 1].date,
                shift=float(s[t] - s[t - 1]),
                decisions=[d for d in _decisions(rec, t, [team], bool(humans))],
                events=points[t - 1].events,
            )
            for t in sorted(best)
            if abs(s[t] - s[t - 1]) > 1e-9
        ]
    ends: dict[str, int] = {}
    for r in ai:
        e = r.history[-1].get("end_state", "running")
        ends[e] = ends.get(e, 0) + 1
    return Debrief(
        scenario=sc,
        teams=teams,
        horizon=horizon,
        runs=len(ai),
        seeds=list(seeds or []),
        game=game,
        bands=bands,
        percentiles=pct,
        end_state=str(rec.history[-1].get("end_state", "running")),
        ai_end_states=ends,
        turning_points=sorted(top, key=lambda p: p.turn),
        scorecards=scoreboard(rec, teams),
        team_months=team_months,
    )


def outcome_label(sc: Scenario, key: str) -> str:
    """A tracked outcome's key in words ("Tension Russia-United States", an issue's label, "Score: Russia")."""
    kind, rest = key.split(".", 1)
    if kind == "tension":
        a, b = rest.split("-")
        return f"Tension {sc.actors[a].name}-{sc.actors[b].name}"
    if kind == "issue":
        return sc.issues[rest].label
    return f"Score: {sc.actors[rest].name}"

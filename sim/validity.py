"""The interview's claims F1-F14 as measured tendencies, each with its mechanism switched off.

:data:`CLAIMS` is the registry (one entry per claim; the command ``run.py validity`` and the
tests loop over it). Each :class:`Claim` names the interview lines it rests on, the scenario it
is measured in, a *measure* (a function of one run's :class:`~sim.trace.Trace` to a number),
the statistic (a share of runs with a Wilson interval, or a mean with a Student t interval),
an optional *criterion* the tendency must meet (the interval above or below a value), the
direction in which switching the mechanism off should move it, and the *ablation*: dotted
overrides (:mod:`sim.sweep.overrides`; ``path=null`` deletes a key) that switch the mechanism
off. :func:`verdict` turns the two measurements into one of

- **shown**: the tendency holds with and without the mechanism (then it does not rest on it);
- **shown only with its mechanism**: it holds with the mechanism and not without;
- **not shown**: it does not hold even with the mechanism;

and a claim whose tendency one hand-set parameter makes is also called **specified** (not
emergent; the project rule that every modelling change is measured).

:data:`FIGURES` are the further figures issue 8 asks for ("What it must show"), measured on
the baseline. Everything here is pure: measures read traces, and :func:`markdown` returns text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sim.stats import t_interval, welch_difference, wilson
from sim.trace import Trace

SCENARIOS = {"baseline": "scenarios/baseline_2021.yaml", "nato_mission": "scenarios/nato_mission_2021.yaml"}
"""Scenario keys of the registry and their files (relative to the repository root)."""

NAN = float("nan")


# ---------------------------------------------------------------- helpers over a trace
def _by(ev: dict) -> set[str]:
    b = ev.get("by")
    return {b} if isinstance(b, str) else set(b or ())


def _channels(tr: Trace, kind: str | None, ends: set[str]) -> list[str]:
    """Channels of a kind (``None``: any) whose two endpoints are exactly ``ends``."""
    return [c for c, e in tr.info.channel_ends.items() if set(e) == ends and (kind is None or tr.info.channel_kind[c] == kind)]


def _shut_by(tr: Trace, chans: list[str], actor: str) -> bool:
    """Whether ``actor`` closed or suspended any of ``chans`` during the run."""
    return any(ev.get("channel") in chans and actor in _by(ev) for _, ev in tr.events_of("channel") if ev.get("to") != "open")


def _proposals_from(tr: Trace, actor: str) -> list[dict]:
    """Proposals an actor made that reached their target (a channel or caucus carried them)."""
    return [ev for _, ev in tr.events_of("proposal") if ev.get("from") == actor and ev.get("outcome") not in ("no channel",)]


def _decided_by(tr: Trace, bloc: str) -> set[str]:
    return {x for x, d in tr.info.issue_deciders.items() if d == bloc}


def _posture(tr: Trace, actor: str, turn: int, pacific: bool | None) -> float:
    tot = 0.0
    for t, region in tr.info.theatre_region.items():
        if pacific is None or (region == "indo_pacific") == pacific:
            tot += float(tr.columns[turn].get(f"posture.{actor}.{t}", 0.0))
    return tot


def _month_turn(tr: Trace, month: str) -> int | None:
    t = tr.info.turn_of(month)
    return t if 0 <= t <= tr.info.horizon else None


# ---------------------------------------------------------------- claim measures
def f1_mission_minus_embassy(tr: Trace) -> float:
    """1 if Russia shut its NATO mission, minus 1 if it shut a US embassy channel (in [-1, 1])."""
    mission = _channels(tr, "bloc_mission", {"RUS", "NATO"})
    embassy = _channels(tr, "embassy", {"RUS", "USA"})
    return float(_shut_by(tr, mission, "RUS")) - float(_shut_by(tr, embassy, "RUS"))


def f2_crises_per_incident(tr: Trace) -> float:
    """Share of the run's incidents that escalated into a crisis (NaN without incidents)."""
    inc = tr.events_of("incident")
    return sum(bool(ev.get("crisis")) for _, ev in inc) / len(inc) if inc else NAN


def f3_bilateral_share(tr: Trace) -> float:
    """Share of Russia's proposals addressed to states rather than blocs (NaN without any)."""
    props = _proposals_from(tr, "RUS")
    if not props:
        return NAN
    return sum(ev.get("to") not in tr.info.bloc_members for ev in props) / len(props)


def f4_capitals_minus_eu(tr: Trace) -> float:
    """Russia's proposals on EU-decided issues to EU capitals, minus those to the EU (count)."""
    eu = _decided_by(tr, "EU")
    members = set(tr.info.bloc_members.get("EU", ()))
    props = [ev for ev in _proposals_from(tr, "RUS") if ev.get("issue") in eu]
    return float(sum(ev.get("to") in members for ev in props) - sum(ev.get("to") == "EU" for ev in props))


def f5_leader_share(tr: Trace) -> float:
    """Share of Russia's proposals on NATO-decided issues sent to NATO's leader (NaN without any)."""
    nato = _decided_by(tr, "NATO")
    leader = tr.info.bloc_leader.get("NATO")
    side = set(tr.info.bloc_members.get("NATO", ())) | {"NATO"}
    props = [ev for ev in _proposals_from(tr, "RUS") if ev.get("issue") in nato and ev.get("to") in side]
    return sum(ev.get("to") == leader for ev in props) / len(props) if props else NAN


def f6_eu_sanctions_change(tr: Trace) -> float:
    """Change of EU sanctions on Russia over the run (state units)."""
    return float(tr.at("issue.sanctions_russia", tr.turns)) - float(tr.at("issue.sanctions_russia", 0))


def f7_ukraine_below_map(tr: Trace) -> float:
    """1 if Ukraine's NATO membership stays below a Membership Action Plan (0.6) to the end."""
    return float(float(tr.at("issue.nato_ukraine", tr.turns)) < 0.6 - 1e-9)


def f8_russia_ukraine_incidents(tr: Trace) -> float:
    """Incidents between Russia and Ukraine per month of the run (count / turns played).

    Per month, not per run: a run that ends early in an armed clash has fewer months in which an
    incident can happen, so a count per run mixes the posture's effect with the run's length
    (measured 2026-12-03, baseline, 200 seeds: 1.01 incidents per run with Russia's Black Sea
    posture at 0.7 and 0.995 at 0.3, but 0.061 and 0.034 per month; the runs last 18.8 and 31.2
    months).
    """
    return float(len(tr.events_of("incident", ("RUS", "UKR")))) / tr.turns if tr.turns else NAN


def f9_russia_north_pacific_posture(tr: Trace) -> float:
    """Russia's posture in the North Pacific averaged over the run's turns, in [0, 1]."""
    return float(np.mean([float(c.get("posture.RUS.north_pacific", 0.0)) for c in tr.columns[1:]])) if tr.turns else NAN


def f10_russia_pacific_gain(tr: Trace) -> float:
    """Russia's posture summed over Indo-Pacific theatres, end minus start."""
    return _posture(tr, "RUS", tr.turns, True) - _posture(tr, "RUS", 0, True)


def f11_us_concession_europe(tr: Trace) -> float:
    """How far the US moves toward Russia's starting positions on European issues.

    Mean over the run's turns and the European issues of ``|x_US,0 - x_RUS,0| - |x_US,t -
    x_RUS,0|`` (position units; positive = toward Russia).
    """
    euro = [x for x, r in tr.info.issue_region.items() if r == "europe"]
    if not euro or not tr.turns:
        return NAN
    c0 = tr.columns[0]
    vals = []
    for c in tr.columns[1:]:
        for x in euro:
            r = float(c0[f"position.RUS.{x}"])
            vals.append(abs(float(c0[f"position.USA.{x}"]) - r) - abs(float(c[f"position.USA.{x}"]) - r))
    return float(np.mean(vals))


def f12_iran_change(tr: Trace) -> float:
    """Change of the UN-venue Iran sanctions over the run (state units)."""
    return float(tr.at("issue.iran_sanctions", tr.turns)) - float(tr.at("issue.iran_sanctions", 0))


def f13_us_pacific_minus_europe(tr: Trace) -> float:
    """US posture gained in Indo-Pacific theatres minus that gained in European ones."""
    pac = _posture(tr, "USA", tr.turns, True) - _posture(tr, "USA", 0, True)
    eur = _posture(tr, "USA", tr.turns, False) - _posture(tr, "USA", 0, False)
    return pac - eur


def f14_us_russia_agreements(tr: Trace) -> float:
    """US-Russian talks that ended in a compromise or capitulation (count)."""
    ok = ("compromise", "capitulation", "agreement")
    return float(sum(1 for _, ev in tr.events_of("proposal", ("USA", "RUS")) if ev.get("outcome") in ok))


# ---------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Claim:
    """One claim of the interview as a measured tendency (see the module docstring).

    Attributes:
        id: ``F1`` .. ``F14``.
        lines: interview lines it rests on.
        claim: the claim in our words.
        scenario: key of :data:`SCENARIOS`.
        measure: ``Trace -> float`` (NaN: undefined in that run, left out).
        what: what the measure is, in words.
        stat: ``share`` (0/1 per run; Wilson interval) or ``mean`` (Student t interval).
        criterion: ``("above", v)`` or ``("below", v)``: the tendency holds when the whole 95%
            interval is above / below ``v``; ``None``: the claim is only that the mechanism moves
            the measure (then it is judged by the difference on - off).
        direction: +1 if switching the mechanism off should lower the measure, -1 if raise it.
        ablation: dotted overrides that switch the mechanism off.
        mechanism: the mechanism, in words.
        specified: why one hand-set parameter makes the tendency ("" when it does not).
    """

    id: str
    lines: tuple[int, ...]
    claim: str
    scenario: str
    measure: Callable[[Trace], float]
    what: str
    stat: str
    criterion: tuple[str, float] | None
    direction: int
    ablation: tuple[str, ...]
    mechanism: str
    specified: str = ""


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "F1", (7, 9), "After expulsions cut its staff, Russia shut its mission to NATO; dialogue had been spiralling down since 2014.",
        "nato_mission", f1_mission_minus_embassy,
        "share of runs in which Russia closes or suspends its NATO mission minus the share in which it shuts a US embassy channel (paired per run)",
        "mean", ("above", 0.0), +1,
        ("channels.RUS-NATO.staff=20", "channels.NATO-MOW.staff=10"),
        "the expulsions' staff cuts (both missions restored to their normal staff)",
    ),
    Claim(
        "F2", (9,), "The mission served deconfliction in the Baltic and the Black Sea; military channels keep that going.",
        "baseline", f2_crises_per_incident, "share of incidents that escalate into a crisis (per run)",
        "mean", None, -1, ("dynamics.deconfliction=0",),
        "deconfliction by open channels (dynamics.deconfliction = 0)",
    ),
    Claim(
        "F3", (13,), "Moscow prefers bilateral dialogue with Alliance members (such as France's 2+2 format).",
        "baseline", f3_bilateral_share, "share of Russia's proposals addressed to states rather than blocs (per run)",
        "mean", ("above", 0.5), +1, ("actors.RUS.channel_preference.bilateral=0.5",),
        "Russia's bilateral channel preference (0.85 set to the neutral 0.5)",
    ),
    Claim(
        "F4", (15,), "Moscow no longer sees the EU relationship as worth keeping and addresses European capitals bilaterally.",
        "baseline", f4_capitals_minus_eu,
        "Russia's proposals on EU-decided issues to EU capitals minus those to the EU (count per run)",
        "mean", ("above", 0.0), +1, ("channels.RUS-EU.staff=10",),
        "the degraded EU channel (Russia's mission to the EU restored to its normal staff)",
    ),
    Claim(
        "F5", (17,), "Moscow sees NATO as subordinate to Washington and talks to the leader.",
        "nato_mission", f5_leader_share, "share of Russia's proposals on NATO-decided issues sent to the US (per run)",
        "mean", None, +1, ("actors.RUS.beliefs.bloc_leader.NATO=null",),
        "Russia's belief that the US leads NATO (removed); the belief discounts the bloc channel, it does not close it, so part of NATO business still goes to NATO",
    ),
    Claim(
        "F6", (17,), "Europeans lack sovereignty under US extraterritorial sanctions.",
        "baseline", f6_eu_sanctions_change, "change of EU sanctions on Russia over the run",
        "mean", None, +1, ("blocs.EU.autonomy=1",),
        "the weight of the US position in EU sanctions decisions (autonomy set to 1)",
        specified="one scenario number, the EU's autonomy (0.6), sets how far the US position pulls EU sanctions decisions",
    ),
    Claim(
        "F7", (21,), "Ukraine's and Georgia's candidatures are a Russian red line; NATO keeps the 2008 promise without giving Russia a veto.",
        "baseline", f7_ukraine_below_map, "share of runs in which Ukraine stays below a Membership Action Plan (0.6) to the end",
        "share", ("above", 0.5), +1, ("blocs.NATO.rule=majority",),
        "NATO's consensus rule (set to a capability-weighted majority)",
    ),
    Claim(
        "F8", (21,), "Russian soldiers are deployed around the Donbass.",
        "baseline", f8_russia_ukraine_incidents, "Russia-Ukraine incidents per month of the run",
        "mean", None, +1, ("theatres.black_sea.posture.RUS=0.3",),
        "Russia's high Black Sea posture at the start (0.7 set to 0.3)",
        specified="the scenario sets Russia's Black Sea posture at the start (interview L21)",
    ),
    Claim(
        "F9", (23,), "Part of Moscow's security establishment reads AUKUS as anti-Russian too; not all agree.",
        "baseline", f9_russia_north_pacific_posture, "Russia's North Pacific posture, mean over the run",
        "mean", None, +1, ("actors.RUS.factions[0].weight=0",),
        "the Security Council faction (weight 0.3 set to 0)",
    ),
    Claim(
        "F10", (27,), "Russia is cautious in the disputed Asia-Pacific, though it joins Chinese patrols.",
        "baseline", f10_russia_pacific_gain, "Russia's posture summed over Indo-Pacific theatres, end minus start",
        "mean", None, -1,
        ("actors.RUS.posture_appetite.north_pacific=1", "actors.RUS.posture_appetite.east_china_sea=1", "actors.RUS.posture_appetite.south_china_sea=1"),
        "Russia's low appetite for Pacific theatres (set to 1)",
    ),
    Claim(
        "F11", (29,), "Moscow aligns with Beijing to raise the cost of US policy and push Washington to negotiate in Europe.",
        "baseline", f11_us_concession_europe,
        "how far the US moves toward Russia's positions on European issues (position units, mean over turns and issues)",
        "mean", None, +1, ("dynamics.linkage=0",),
        "the linkage term: the US Pacific burden lowers its salience of European issues (dynamics.linkage = 0)",
    ),
    Claim(
        "F12", (31,), "A tacit Russia-China understanding in the UN Security Council.",
        "baseline", f12_iran_change, "change of UN-venue sanctions on Iran over the run",
        "mean", ("below", 0.05), -1, ("dynamics.collective.veto=false", "actors.RUS.coordination.CHN=0", "actors.CHN.coordination.RUS=0"),
        "the Council's veto and the tacit Russia-China coordination of votes (both off)",
    ),
    Claim(
        "F13", (31,), "The US wants to stop escalating with Russia because China is its main adversary.",
        "baseline", f13_us_pacific_minus_europe, "US posture gained in the Indo-Pacific minus in Europe",
        "mean", ("above", 0.0), +1, ("actors.USA.threat.CHN=0.6",),
        "the US threat weight of China above Russia's (0.9 set to Russia's 0.6)",
    ),
    Claim(
        "F14", (35,), "Both embassies run at about a tenth of their pre-2017 staff; dialogue needs staff back on both sides.",
        "baseline", f14_us_russia_agreements, "US-Russian talks ending in a compromise or capitulation, per run",
        "mean", None, -1,
        ("channels.USA-RUS-EMB.staff=1200", "channels.RUS-USA-EMB.staff=1200", "issues.embassy_staffing.state=1"),
        "the low staffing (both embassies and the staffing issue at their pre-2017 level)",
    ),
)
"""The registry of claims, F1-F14 in order."""


# ---------------------------------------------------------------- figures (issue 8, "What it must show")
def fig_un_mission_closed(tr: Trace) -> float:
    """1 if Russia closes its own UN mission (a ``un`` channel whose sending side is Russia)."""
    chans = [c for c, k in tr.info.channel_kind.items() if k == "un" and tr.info.channel_ends[c][0] == "RUS"]
    return float(any(ev.get("channel") in chans and "RUS" in _by(ev) for _, ev in tr.events_of("closure")))


def _sender_side(tr: Trace, channel: str) -> set[str]:
    first = tr.info.channel_ends[channel][0]
    return {first} | set(tr.info.bloc_members.get(first, ()))


def fig_wrong_openings(tr: Trace) -> float:
    """Channels opened or reopened by someone without the sending side among the openers (count)."""
    return float(sum(1 for _, ev in tr.events_of("opening") if ev.get("channel") in tr.info.channel_ends and not (_by(ev) & _sender_side(tr, ev["channel"]))))


def fig_staffing_2024_10(tr: Trace) -> float:
    """Embassy staffing (state of ``embassy_staffing``) in 2024-10 (NaN outside the run)."""
    t = _month_turn(tr, "2024-10")
    return NAN if t is None else float(tr.at("issue.embassy_staffing", t))


def fig_gp_big_moves(tr: Trace) -> float:
    """One-month moves of 0.2 or more in a great power's position on any issue (count)."""
    keys = [k for k in tr.columns[0] if k.startswith("position.") and k.split(".")[1] in tr.info.great_powers]
    n = 0
    for a, b in zip(tr.columns[:-1], tr.columns[1:]):
        n += sum(abs(float(b[k]) - float(a[k])) >= 0.2 - 1e-12 for k in keys)
    return float(n)


def fig_patrols_per_year(tr: Trace) -> float:
    """Russia-China joint patrols per year of the run."""
    if not tr.turns:
        return NAN
    years = tr.turns * tr.info.turn_months / 12
    return len(tr.events_of("patrol", ("RUS", "CHN"))) / years


def fig_aukus_2022_10(tr: Trace) -> float:
    """The AUKUS issue's state in 2022-10."""
    t = _month_turn(tr, "2022-10")
    return NAN if t is None else float(tr.at("issue.indo_pacific_alignment", t))


def fig_iran_change(tr: Trace) -> float:
    """Change of UN-venue Iran sanctions over the run."""
    return f12_iran_change(tr)


def fig_iran_rus_chn_position(tr: Trace) -> float:
    """The lower of Russia's and China's positions on Iran sanctions at the end."""
    return min(float(tr.at("position.RUS.iran_sanctions", tr.turns)), float(tr.at("position.CHN.iran_sanctions", tr.turns)))


def fig_iran_rise_without_agreement(tr: Trace) -> float:
    """1 if Iran sanctions ever rise in a turn that ends with Russia or China below the new level.

    A turn's columns hold the positions after that turn's talks and the issue state after its
    move, so a rise in a turn where Russia's or China's position stays more than 0.01 below the
    new state is a rise they did not agree to.
    """
    prev = float(tr.at("issue.iran_sanctions", 0))
    for c in tr.columns[1:]:
        now = float(c["issue.iran_sanctions"])
        low = min(float(c["position.RUS.iran_sanctions"]), float(c["position.CHN.iran_sanctions"]))
        if now > prev + 1e-9 and low < now - 0.01:
            return 1.0
        prev = now
    return 0.0


def fig_clash_rus_ukr_turn(tr: Trace) -> float:
    """Turn of the first Russia-Ukraine armed clash (NaN: none in the run)."""
    ev = tr.events_of("armed_clash", ("RUS", "UKR"))
    return float(ev[0][0]) if ev else NAN


def fig_below_pass_share(tr: Trace) -> float:
    """Share of AI decisions (other than proposals) chosen with a score below ``pass`` (0).

    Needs a run with decision reasons (``reasons=True``); NaN without scored decisions.
    """
    scored = [ev for _, ev in tr.events_of("decision") if not ev.get("human") and "score" in ev and not str(ev.get("action", "")).startswith(("propose", "pass"))]
    return sum(float(ev["score"]) < 0 for ev in scored) / len(scored) if scored else NAN


def fig_below_pass_shortfall(tr: Trace) -> float:
    """Mean of ``-score`` over the choices scored below ``pass`` (utility units; NaN: none)."""
    below = [-float(ev["score"]) for _, ev in tr.events_of("decision") if not ev.get("human") and "score" in ev and float(ev["score"]) < 0 and not str(ev.get("action", "")).startswith(("propose", "pass"))]
    return float(np.mean(below)) if below else NAN


@dataclass(frozen=True)
class Figure:
    """One further figure: a per-run measure on a scenario and what issue 8 asks of it.

    Attributes:
        id: a short name.
        text: what it is.
        scenario: key of :data:`SCENARIOS`.
        measure: ``Trace -> float``.
        stat: ``share``, ``mean`` or ``median``.
        target: ``("below", v)`` or ``("above", v)`` on the statistic's point value, or ``None``.
    """

    id: str
    text: str
    scenario: str
    measure: Callable[[Trace], float]
    stat: str
    target: tuple[str, float] | None = None


FIGURES: tuple[Figure, ...] = (
    Figure("un_mission", "Russia closes its own UN mission in New York (share of runs)", "baseline", fig_un_mission_closed, "share", ("below", 0.10)),
    Figure("wrong_openers", "channels opened or reopened by anyone but their sending side or both (per run)", "baseline", fig_wrong_openings, "mean", ("below", 1e-9)),
    Figure("staffing", "embassy staffing in 2024-10 (median)", "baseline", fig_staffing_2024_10, "median", ("below", 0.2)),
    Figure("gp_moves", "one-month moves of 0.2 or more in a great power's position (per run)", "baseline", fig_gp_big_moves, "mean", ("below", 2.0)),
    Figure("patrols", "Russia-China joint patrols per year", "baseline", fig_patrols_per_year, "mean", ("below", 4.0)),
    Figure("aukus", "AUKUS issue in 2022-10 (median)", "baseline", fig_aukus_2022_10, "median", ("below", 0.6)),
    Figure("iran_change", "change of UN-venue Iran sanctions over the run", "baseline", fig_iran_change, "mean"),
    Figure("iran_rus_chn", "the lower of Russia's and China's positions on Iran sanctions at the end (they start at 0.2 and 0.1)", "baseline", fig_iran_rus_chn_position, "mean"),
    Figure("iran_without_agreement", "Iran sanctions rise in a turn that leaves Russia or China below the new level (share of runs)", "baseline", fig_iran_rise_without_agreement, "share", ("below", 1e-9)),
    Figure("clash_turn", "turn of the first Russia-Ukraine armed clash", "baseline", fig_clash_rus_ukr_turn, "mean"),
)
"""The registry of further figures."""

TEMPERATURES = (0.005, 0.01, 0.02, 0.05, 0.1)
"""``ai.temperature`` values at which the share of below-pass choices is measured."""

MEASURES: dict[str, Callable[[Trace], float]] = {c.id: c.measure for c in CLAIMS} | {f.id: f.measure for f in FIGURES} | {"below_pass": fig_below_pass_share, "below_pass_shortfall": fig_below_pass_shortfall}
"""Every measure by name (what workers compute per run)."""


def measure_run(names: tuple[str, ...], tr: Trace) -> dict[str, float]:
    """The named measures of one run (a picklable reducer: ``functools.partial(measure_run, names)``)."""
    return {n: float(MEASURES[n](tr)) for n in names}


def measures_for(scenario: str) -> tuple[str, ...]:
    """Names of the claim and figure measures taken on a scenario's runs."""
    return tuple(c.id for c in CLAIMS if c.scenario == scenario) + tuple(f.id for f in FIGURES if f.scenario == scenario)


# ---------------------------------------------------------------- statistics and verdicts
@dataclass
class Estimate:
    """A statistic of one measure over runs.

    Attributes:
        value: the share, mean or median.
        low, high: its 95% interval (Wilson for a share, Student t for a mean; for a median the
            5th-95th percentile of the runs).
        n: runs where the measure was defined.
    """

    value: float
    low: float
    high: float
    n: int
    stat: str = "mean"
    values: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def text(self, digits: int = 3) -> str:
        """``0.42 [0.35, 0.49] (n=200)``; a share in percent; float noise shown as 0.00 (:func:`shown`)."""
        if self.n == 0 or math.isnan(self.value):
            return "undefined (n=0)"
        if self.stat == "share":
            return f"{shown(100 * self.value, '.1f')}% [{shown(100 * self.low, '.1f')}, {shown(100 * self.high, '.1f')}] (n={self.n})"
        g = f".{digits}g"
        return f"{shown(self.value, g)} [{shown(self.low, g)}, {shown(self.high, g)}] (n={self.n})"


FLOAT_NOISE = 1e-9
"""Largest magnitude shown as zero: a mean or difference of values that are exactly equal in
the runs can come out as a few units of 2**-52 (-2.22e-16) from rounding; the files keep the raw
value, the tables show 0.00. Every measure here is of order 0.01 or more when it is not zero."""


def shown(x: float, spec: str) -> str:
    """Format ``x`` by ``spec`` for display, float noise as zero.

    A value within :data:`FLOAT_NOISE` of 0 reads ``0.00`` (``0.0`` for a fixed-point spec such
    as ``.1f``), never ``-2.22e-16`` or ``-0.0``.
    """
    if math.isfinite(x) and abs(x) < FLOAT_NOISE:
        return "0.00" if spec.endswith("g") else format(0.0, spec.replace("+", ""))
    return format(x, spec)


def estimate(values, stat: str) -> Estimate:
    """The statistic of per-run values (NaNs left out).

    Args:
        values: per-run measure values, shape (runs,).
        stat: ``share`` (values in {0, 1}; Wilson 95%), ``mean`` (Student t 95%) or ``median``
            (with the 5th-95th percentile of the runs).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(NAN, NAN, NAN, 0, stat, x)
    if stat == "share":
        k = int(round(float(x.sum())))
        lo, hi = wilson(k, n)
        return Estimate(k / n, lo, hi, n, stat, x)
    if stat == "median":
        return Estimate(float(np.median(x)), float(np.percentile(x, 5)), float(np.percentile(x, 95)), n, stat, x)
    m, lo, hi = t_interval(x)
    return Estimate(m, lo, hi, n, stat, x)


def holds(e: Estimate, criterion: tuple[str, float]) -> bool:
    """Whether the whole interval of ``e`` is above / below the criterion's value."""
    side, v = criterion
    if e.n == 0 or math.isnan(e.low):
        return False
    return e.low > v if side == "above" else e.high < v


@dataclass
class ClaimResult:
    """A claim measured with and without its mechanism.

    Attributes:
        claim: the registry entry.
        on, off: estimates with the mechanism and with the ablation.
        diff: ``(on - off, low, high)``, Welch's 95% interval.
        verdict: see :func:`verdict`.
    """

    claim: Claim
    on: Estimate
    off: Estimate
    diff: tuple[float, float, float]
    verdict: str


def verdict(claim: Claim, on: Estimate, off: Estimate) -> ClaimResult:
    """Judge a claim from its two measurements (rules in the module docstring).

    With a criterion: not shown if it fails with the mechanism; shown only with its mechanism
    if it holds with it and fails without; shown if it holds both ways (noting whether the
    mechanism still moves it significantly in the expected direction). Without a criterion:
    shown only with its mechanism if switching it off moves the measure significantly (Welch
    95%) in the expected direction, else not shown. A specified claim says so.
    """
    d = welch_difference(on.values, off.values)
    moves = not math.isnan(d[1]) and (d[1] > 0 if claim.direction > 0 else d[2] < 0)
    if claim.criterion is not None:
        if not holds(on, claim.criterion):
            v = "not shown"
        elif not holds(off, claim.criterion):
            v = "shown only with its mechanism"
        else:
            v = "shown" + ("; its mechanism strengthens it" if moves else "; it does not rest on this mechanism")
    else:
        v = "shown only with its mechanism" if moves else "not shown"
    if claim.specified and v != "not shown":
        v += "; specified"
    return ClaimResult(claim, on, off, d, v)


# ---------------------------------------------------------------- the report
def _target_text(target: tuple[str, float] | None, e: Estimate) -> str:
    if target is None:
        return ""
    side, v = target
    ok = (e.value < v) if side == "below" else (e.value > v)
    shown = "0" if v < 1e-6 else (f"{100 * v:g}%" if e.stat == "share" else f"{v:g}")
    word = "under" if side == "below" else "over"
    if v < 1e-6 and side == "below":
        return f"none wanted: {'met' if ok else 'NOT met'}"
    return f"{word} {shown} wanted: {'met' if ok else 'NOT met'}"


def markdown(
    results: list[ClaimResult],
    figures: dict[str, Estimate],
    below_pass: dict[float, tuple[Estimate, Estimate]],
    clash_by: tuple[float, float, float, int],
    meta: dict,
    kernel_docking: str | None,
    backtest: str | None,
    plots: list[tuple[str, str]],
) -> str:
    """The text of ``docs/validity.md``.

    Args:
        results: one :class:`ClaimResult` per claim, in registry order.
        figures: :data:`FIGURES` id -> estimate (baseline).
        below_pass: temperature -> (share of below-pass choices, their mean shortfall below
            ``pass`` in units of the temperature).
        clash_by: ``(share, low, high, n)`` of runs with a Russia-Ukraine armed clash by 2022-06.
        meta: ``seeds``, ``master_seed``, ``turns_text``, ``commit``, ``command``, ``seconds``.
        kernel_docking: the text of ``docs/kernel_docking.md`` (``None``: missing).
        backtest: the backtest's Markdown section (``None``: not run).
        plots: ``(relative path, caption)`` of the PNGs written.
    """
    seeds = meta["seeds"]
    out = [
        "# Validity: the interview's claims, measured",
        "",
        f"Generated by `{meta['command']}` (do not edit by hand): {seeds} seeds per scenario variant "
        f"(children of `numpy.random.SeedSequence({meta['master_seed']})`), {meta['turns_text']}, "
        f"model at commit `{meta.get('commit', 'unknown')}`.",
        "",
        "Each claim of the interview (F1-F14; `docs/sources.md` states them with their lines) is a tendency "
        "the model should show across seeds, not a scripted event. For each, the table gives the measure "
        "with the mechanism that should cause it (**on**) and with that mechanism switched off by an "
        "ablation (**off**: dotted overrides, as `run.py sweep --set` takes them; `path=null` deletes a key), "
        "each with its 95% interval (Wilson for shares of runs, Student t for means), and the difference "
        "on - off with Welch's 95% interval. Verdicts: **shown** (holds with and without the mechanism), "
        "**shown only with its mechanism** (holds with it, not without), **not shown** (does not hold even "
        "with it); a claim that needs no criterion (only that its mechanism moves the measure) is shown only "
        "with its mechanism when switching it off moves the measure significantly the expected way. "
        "**Specified**: one hand-set scenario number makes it, so it is an input, not an emergent result.",
        "",
        "## Claims F1-F14",
        "",
        "| claim | interview | scenario | measure | criterion | on | off (ablation) | on - off | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        c = r.claim
        crit = "-" if c.criterion is None else f"interval {c.criterion[0]} {c.criterion[1]:g}"
        want = "off lower" if c.direction > 0 else "off higher"
        abl = "<br>".join(f"`{a}`" for a in c.ablation)
        d = r.diff
        dtext = "undefined" if math.isnan(d[0]) else f"{shown(d[0], '+.3g')} [{shown(d[1], '+.3g')}, {shown(d[2], '+.3g')}]"
        out.append(
            f"| **{c.id}** {c.claim} | L{', L'.join(str(x) for x in c.lines)} | {c.scenario} | {c.what} | {crit}; {want} expected | "
            f"{r.on.text()} | {r.off.text()}<br>{c.mechanism} off: {abl} | {dtext} | **{r.verdict}**{(' (' + c.specified + ')') if c.specified and 'specified' in r.verdict else ''} |"
        )
    out += ["", "## What issue 8 asks the baseline to show", "", f"{seeds} seeds of the baseline, {meta['turns_text']}.", "", "| figure | measured | target |", "| --- | --- | --- |"]
    for f in FIGURES:
        e = figures[f.id]
        out.append(f"| {f.text} | {e.text()} | {_target_text(f.target, e)} |")
    share, lo, hi, n = clash_by
    out.append(f"| a Russia-Ukraine armed clash by 2022-06 (share of runs) | {shown(100 * share, '.1f')}% [{shown(100 * lo, '.1f')}, {shown(100 * hi, '.1f')}] (n={n}) | some runs wanted: {'met' if share > 0 else 'NOT met'} |")
    f1 = next((r for r in results if r.claim.id == "F1"), None)
    if f1 is not None:
        out.append(f"| `nato_mission_2021`: Russia shuts the NATO mission more often than a US embassy channel (F1, paired difference) | {f1.on.text()}; with the staff restored {f1.off.text()} | above 0, staff cuts mattering: {f1.verdict} |")
    out += ["", "Below-pass choices (AI actions other than proposals chosen with a score below `pass`), baseline, up to 12 turns, by `ai.temperature`:", "", "| temperature | share of choices below pass | their mean shortfall below pass, in units of the temperature |", "| ---: | --- | --- |"]
    for t, (e, depth) in below_pass.items():
        out.append(f"| {t:g} | {e.text()} | {depth.text()} |")
    out += [
        "",
        "A softmax at temperature T picks an action scored s below `pass` with odds exp(s / T) against `pass`, "
        "so the share should fall toward 0 as T falls and the choices below pass should lie within a few "
        "T of it (a shortfall of 3 T has odds of about 1 in 20 against `pass`); the log records each choice's score.",
        "",
    ]
    if plots:
        out += ["## Figures", ""]
        for path, cap in plots:
            out += [f"![{cap}]({path})", "", f"*{cap}*", ""]
    out += ["## Kernel docking", ""]
    if kernel_docking is None:
        out += ["`docs/kernel_docking.md` is missing: the kernel has not been docked against the published example in this build.", ""]
    else:
        out += [kernel_docking.rstrip(), ""]
    out += ["## Backtest, October 2021 to October 2024", ""]
    out += [backtest.rstrip() if backtest else "Not run (`--no-backtest`).", ""]
    out += [
        "Not representable in the model (no actor, issue, column or event for them), so left out of the record: "
        "Finland's accession to NATO (April 2023) and Sweden's (March 2024), as neither is an actor; Ukraine's "
        "(June 2022) and Georgia's (December 2023) EU candidate status, as the model has no EU-enlargement issue; "
        "the UN Security Council vote of 25 February 2022 (Russia's veto, China abstaining), as the Council "
        "decides only Iran sanctions and the log has no veto event; the Vilnius decision (July 2023) that "
        "Ukraine needs no Membership Action Plan, which the issue's scale cannot express; NATO's withdrawal "
        "of accreditation from eight Russian mission staff (October 2021), which falls in the start month; "
        "France's expulsions of April 2022, as the model has no Russian embassy in Paris.",
        "",
    ]
    return "\n".join(out)

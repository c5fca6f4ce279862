"""Backtest: score the model's probabilistic forecasts against a record of what happened.

A *record* is a YAML 1.2 file (read like a scenario: ruamel.yaml's safe loader, duplicate keys
rejected, then pydantic): a mapping with an optional ``scenario`` (a path, relative to the record
file) and ``outcomes``, a list of::

    - id: war_2022                       # an id (letters, digits, '_'), unique in the record
      question: Does Russia go to war with Ukraine by February 2022?
      kind: binary                       # binary (yes/no) or level (a number)
      measure: {event: armed_clash, actors: [RUS, UKR], by: 2022-02}
      observed: true                     # true/false for binary, a number for level
      source: "outlet or institution, date"

A measure is either

- a per-turn **column** of the run at a month: ``{column: issue.sanctions_russia, at: 2022-12}``
  (a level), made binary by exactly one of ``equals`` (text or number), ``at_least``, ``at_most``
  (``{column: channel.RUS-NATO, at: 2024-10, equals: open}``); the columns are those of
  :func:`sim.trace.columns`; or
- an **event** of the turn log of any type (:func:`sim.trace.event_types`) between named actors
  (every one involved, :func:`sim.trace.involved`) within a window of months, ``from`` (default:
  the first month played) to ``to`` or ``by`` (default: the last month), both inclusive: binary
  when at least one happens, a count with ``count: true`` (a level).

Scores (one forecast per outcome from an ensemble of runs):

- binary: the **Brier score** ``(p - o)^2`` of the share ``p`` of runs in which the outcome
  happens, against ``o`` in {0, 1} (Brier 1950);
- level: the **continuous ranked probability score** of the ensemble's empirical distribution,
  ``CRPS = mean_i |x_i - y| - 1/(2 m^2) sum_ij |x_i - x_j|`` (Gneiting and Raftery 2007, JASA
  102(477), eq. 21, the kernel form; computed in O(m log m) from the sorted ensemble);
- each against **persistence**, the forecast that nothing changes from the start: a column keeps
  its value at turn 0; an event does not happen (a count of 0). The skill score is
  ``1 - score / score_persistence`` (1 perfect, 0 no better than persistence, negative worse;
  undefined where persistence is exact). Overall: the Brier skill over the binary outcomes,
  ``1 - mean Brier / mean Brier_persistence``, the CRPS skill over the level outcomes likewise,
  and their mean.

The module is pure: it reads text handed to it and returns data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sim.loader import _CONTENT, Problem, ScenarioError, _clean_loc, _line_of, _message, _read_yaml
from sim.trace import ScenarioInfo, Trace, event_types

Month = Annotated[str, Field(strict=True, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
OutcomeId = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=60)]
STATUS_WORDS = ("open", "suspended", "closed")
_RECORD_MARK = re.compile(r"""(^|[\s{,'"])outcomes['"]?[ \t]*:""", re.MULTILINE)
"""An ``outcomes:`` key somewhere in the text: a file without one is not read as YAML at all."""


def _one_of(kinds: tuple[type, ...], words: str, optional: bool = True):
    """A check run before a union of types, so that a value of none of them is one problem.

    Without it pydantic reports one error per branch of the union (``must be a number``,
    ``must be a whole number``, ``Input should be a valid boolean``), each on its own line.
    """

    def check(v: Any) -> Any:
        if not isinstance(v, kinds) and (v is not None or not optional):
            got = "nothing (null)" if v is None else f"{type(v).__name__} {_bounded(v)}"
            raise ValueError(f"must be {words}, got {got}")
        return v

    return BeforeValidator(check)


def _bounded(v: Any) -> str:
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel = 60, 60, 6, 6, 2
    return r.repr(v)


Number = Annotated[float | int | None, _one_of((int, float), "a number")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Measure(_Strict):
    """What is measured in each run: a column at a month, or events in a window.

    Exactly one of ``column`` and ``event``; ``at`` and at most one of ``equals``, ``at_least``,
    ``at_most`` go with a column; ``actors``, ``from``, ``to`` or ``by``, and ``count`` with an
    event.
    """

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    column: str | None = None
    at: Month | None = None
    equals: Annotated[str | float | int | bool | None, _one_of((str, int, float, bool), "a word or a number")] = None
    at_least: Number = None
    at_most: Number = None
    event: str | None = None
    actors: list[Annotated[str, Field(strict=True)]] = Field(default_factory=list)
    from_: Month | None = Field(default=None, alias="from")
    to: Month | None = None
    by: Month | None = None
    count: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Measure:
        if (self.column is None) == (self.event is None):
            raise ValueError("give either a column (with at) or an event, not both or neither")
        comparators = [k for k in ("equals", "at_least", "at_most") if getattr(self, k) is not None]
        if self.column is not None:
            if self.at is None:
                raise ValueError("a column measure needs 'at' (the month, YYYY-MM)")
            stray = [k for k, v in (("actors", self.actors), ("from", self.from_), ("to", self.to), ("by", self.by), ("count", self.count)) if v]
            if stray:
                raise ValueError(f"{', '.join(stray)} go with an event measure, not a column")
            if len(comparators) > 1:
                raise ValueError(f"at most one of equals, at_least, at_most (got {', '.join(comparators)})")
        else:
            if self.at is not None or comparators:
                raise ValueError("at, equals, at_least and at_most go with a column measure, not an event")
            if self.to is not None and self.by is not None:
                raise ValueError("give 'to' or 'by' (the same thing), not both")
        return self

    @property
    def comparator(self) -> tuple[str, Any] | None:
        """``(name, value)`` of the comparator that makes a column binary, or ``None``."""
        for k in ("equals", "at_least", "at_most"):
            v = getattr(self, k)
            if v is not None:
                return k, v
        return None

    @property
    def last(self) -> str | None:
        """The window's last month (``to`` or ``by``)."""
        return self.to if self.to is not None else self.by


class Outcome(_Strict):
    """One real outcome and how the model measures it."""

    id: OutcomeId
    question: Annotated[str, Field(strict=True, min_length=1)]
    kind: Literal["binary", "level"]
    measure: Measure
    observed: Annotated[bool | float | int, _one_of((bool, int, float), "true or false (binary) or a number (level)", optional=False)]
    source: Annotated[str, Field(strict=True, min_length=1)]

    @model_validator(mode="after")
    def _kinds(self) -> Outcome:
        m = self.measure
        if self.kind == "binary":
            if not isinstance(self.observed, bool):
                raise ValueError("a binary outcome's observed must be true or false")
            if m.column is not None and m.comparator is None:
                raise ValueError("a binary outcome on a column needs equals, at_least or at_most")
            if m.event is not None and m.count:
                raise ValueError("a binary outcome cannot count events (count: true makes a level)")
        else:
            if isinstance(self.observed, bool) or not math.isfinite(float(self.observed)):
                raise ValueError("a level outcome's observed must be a finite number")
            if m.column is not None and m.comparator is not None:
                raise ValueError("a level outcome reads the column's value: no equals, at_least or at_most")
            if m.event is not None and not m.count:
                raise ValueError("a level outcome on events needs count: true")
        return self


class Record(_Strict):
    """A record of what happened: an optional scenario path and the outcomes."""

    scenario: Annotated[str, Field(strict=True, min_length=1)] | None = None
    outcomes: Annotated[list[Outcome], Field(min_length=1)]


@dataclass
class RecordSource:
    """A validated record with what locates its fields.

    Attributes:
        file: the record file's name as given.
        record: the validated :class:`Record`.
        root: the YAML node tree (for line numbers).
    """

    file: str
    record: Record
    root: Any

    def problem(self, path: tuple, message: str) -> Problem:
        """A :class:`~sim.loader.Problem` located at a field path of the record."""
        from sim.loader import _dotted

        return Problem(self.file, _line_of(self.root, path), _dotted(path, self.root), message)


def parse_record(text: str, file: str = "<string>") -> RecordSource:
    """Read and validate record text (its fields; not yet against a scenario).

    Raises:
        ScenarioError: malformed YAML, duplicate keys, an empty document, or field errors, each
            located ``FILE:LINE: path: message``.
    """
    not_a_record = Problem(file, 1, "(root)", "not a record: it has no outcomes (a record is a mapping with 'outcomes:', a list of outcomes)")
    if _CONTENT.search(text) is not None and not _RECORD_MARK.search(text):
        raise ScenarioError([not_a_record])  # another kind of file: none of its content is shown
    try:
        data, root = _read_yaml(text, file, scenario=False)
    except ScenarioError as exc:
        probs = [Problem(p.file, p.line, p.path, p.message.replace("the file is empty", "the record is empty").replace("a scenario is a mapping", "a record is a mapping")) for p in exc.problems]
        raise ScenarioError(probs) from None
    if "outcomes" not in data:
        raise ScenarioError([not_a_record])
    try:
        rec = Record.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path, note = _clean_loc(tuple(err["loc"]))
            path = tuple("from" if p == "from_" else p for p in path)
            if err.get("type") == "extra_forbidden":
                msg = "unknown field" + _allowed(path)
            else:
                msg = _message(err)
            from sim.loader import _dotted

            problems.append(Problem(file, _line_of(root, path), _dotted(path, root), note + msg))
        raise ScenarioError(sorted(set(problems), key=lambda p: (p.line, p.path))) from None
    return RecordSource(file, rec, root)


def _allowed(path: tuple) -> str:
    where = {1: Record, 3: Outcome, 4: Measure}.get(len(path))
    if where is None:
        return ""
    names = [("from" if n == "from_" else n) for n in where.model_fields]
    import difflib

    close = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(names)})"


def check_record(src: RecordSource, info: ScenarioInfo, known_columns: dict[str, Any]) -> None:
    """Check a record against a scenario: columns, event types, actors, months, duplicate ids.

    Args:
        src: the parsed record.
        info: the scenario's structure (:func:`sim.trace.scenario_info`).
        known_columns: the model's columns at turn 0 (:func:`sim.trace.columns`), name -> value.

    Raises:
        ScenarioError: every problem, located in the record file.
    """
    probs: list[Problem] = []
    types = event_types()
    first, last = info.month_of(1), info.end_month
    seen: dict[str, int] = {}
    for i, o in enumerate(src.record.outcomes):
        here = ("outcomes", i)
        if o.id in seen:
            probs.append(src.problem((*here, "id"), f"id {o.id!r} is used twice (first in outcome {seen[o.id]})"))
        seen.setdefault(o.id, i)
        m = o.measure
        mp = (*here, "measure")
        if m.column is not None:
            if m.column not in known_columns:
                probs.append(src.problem((*mp, "column"), f"unknown column {m.column!r}{_near(m.column, known_columns)}"))
            else:
                v0 = known_columns[m.column]
                comp = m.comparator
                if isinstance(v0, str):
                    if comp is None:
                        probs.append(src.problem((*mp, "column"), f"{m.column} is text ({v0!r} at the start), not a level: compare it with equals"))
                    elif comp[0] != "equals" or not isinstance(comp[1], str):
                        probs.append(src.problem((*mp, comp[0]), f"{m.column} is text: use equals with a word"))
                    elif m.column.startswith("channel.") and comp[1] not in STATUS_WORDS:
                        probs.append(src.problem((*mp, "equals"), f"a channel's status is one of {', '.join(STATUS_WORDS)}, got {comp[1]!r}"))
                elif comp is not None and comp[0] == "equals" and isinstance(comp[1], str):
                    probs.append(src.problem((*mp, "equals"), f"{m.column} is a number: compare it with a number"))
            _check_month(src, probs, (*mp, "at"), m.at, info.start, last)
        else:
            if m.event not in types:
                probs.append(src.problem((*mp, "event"), f"unknown event type {m.event!r}{_near(m.event, types)} (known: {', '.join(types)})"))
            for k, a in enumerate(m.actors):
                if a not in info.ids:
                    probs.append(src.problem((*mp, "actors", k), f"unknown actor or bloc {a!r}{_near(a, info.ids)}"))
                elif a in m.actors[:k]:  # an event between a state and itself never happens
                    probs.append(src.problem((*mp, "actors", k), f"{a!r} is named twice: an event's actors are different states or blocs"))
            if m.from_ is not None:
                _check_month(src, probs, (*mp, "from"), m.from_, first, last)
            if m.last is not None:
                _check_month(src, probs, (*mp, "to" if m.to is not None else "by"), m.last, first, last)
            if m.from_ is not None and m.last is not None and m.from_ > m.last:
                probs.append(src.problem((*mp, "from"), f"the window starts ({m.from_}) after it ends ({m.last})"))
    if probs:
        raise ScenarioError(sorted(probs, key=lambda p: p.line))


def _check_month(src, probs, path, month, lo, hi) -> None:
    if month is not None and not lo <= month <= hi:
        probs.append(src.problem(path, f"{month} is outside the run ({lo} to {hi})"))


def _near(word: str, pool) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), [str(p) for p in pool], n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------- measuring
def measure_value(o: Outcome, tr: Trace) -> float:
    """The value of an outcome's measure in one run: 0 or 1 (binary) or a number (level).

    Raises:
        KeyError: the column does not exist (checked before runs by :func:`check_record`).
    """
    m = o.measure
    info = tr.info
    if m.column is not None:
        v = tr.at(m.column, info.turn_of(m.at))
        return _compare(v, m.comparator)
    lo = info.turn_of(m.from_) if m.from_ is not None else 1
    hi = info.turn_of(m.last) if m.last is not None else None
    n = len(tr.events_of(m.event, m.actors, lo, hi))
    return float(n) if m.count else float(n > 0)


def persistence_value(o: Outcome, start_columns: dict[str, Any]) -> float:
    """The persistence forecast of an outcome: the column's start value, or no event (0)."""
    m = o.measure
    if m.column is not None:
        return _compare(start_columns[m.column], m.comparator)
    return 0.0


def _compare(v: Any, comp: tuple[str, Any] | None) -> float:
    if comp is None:
        return float(v)
    name, ref = comp
    if name == "equals":
        if isinstance(ref, str) or isinstance(v, str):
            return float(v == ref)
        return float(abs(float(v) - float(ref)) <= 1e-9)
    if name == "at_least":
        return float(float(v) >= float(ref) - 1e-12)
    return float(float(v) <= float(ref) + 1e-12)


def brier(p: float, observed: float) -> float:
    """Brier score of a probability ``p`` in [0, 1] for an outcome ``observed`` in {0, 1} (Brier 1950)."""
    return float((p - observed) ** 2)


def crps_ensemble(x: np.ndarray | list[float], y: float) -> float:
    """CRPS of the empirical distribution of an ensemble ``x`` (shape (m,)) at observation ``y``.

    ``CRPS = mean_i |x_i - y| - (1 / 2 m^2) sum_i sum_j |x_i - x_j|`` (Gneiting and Raftery 2007,
    "Strictly proper scoring rules, prediction, and estimation", JASA 102(477), eq. 21), with
    the double sum from the sorted ensemble: ``sum_ij |x_i - x_j| = 2 sum_i (2 i - m - 1) x_(i)``
    (i = 1..m). In the units of ``x``; 0 for a perfect point forecast; for one member it is
    ``|x - y|``.

    Raises:
        ValueError: an empty ensemble.
    """
    a = np.sort(np.asarray(x, dtype=float))
    m = a.size
    if m == 0:
        raise ValueError("an empty ensemble has no CRPS")
    i = np.arange(1, m + 1)
    spread = float(np.dot(2 * i - m - 1, a)) / (m * m)
    return float(np.mean(np.abs(a - y)) - spread)


def skill(score: float, reference: float) -> float:
    """``1 - score / reference``; NaN where the reference is 0 (persistence exact)."""
    if reference <= 0:
        return float("nan")
    return 1.0 - score / reference


@dataclass
class OutcomeScore:
    """The scores of one outcome.

    Attributes:
        id, question, kind, source: from the record.
        observed: what happened (1/0 for binary).
        forecast: the share of runs (binary) or the ensemble's median (level).
        low, high: the 5th and 95th percentile of the ensemble (level), or the Wilson 95%
            interval of the share (binary).
        persistence: the persistence forecast.
        score, score_persistence: Brier or CRPS of the model and of persistence.
        skill: ``1 - score / score_persistence`` (NaN where persistence is exact).
    """

    id: str
    question: str
    kind: str
    source: str
    observed: float
    forecast: float
    low: float
    high: float
    persistence: float
    score: float
    score_persistence: float
    skill: float


def score_outcomes(record: Record, values: np.ndarray, start_columns: dict[str, Any]) -> list[OutcomeScore]:
    """Score every outcome from the per-run measure values.

    Args:
        record: the record.
        values: (runs, outcomes) measure values (:func:`measure_value` per run and outcome).
        start_columns: the model's columns at turn 0 (the persistence forecast).

    Returns:
        One :class:`OutcomeScore` per outcome, in record order.
    """
    from sim.stats import wilson

    out = []
    runs = values.shape[0]
    for k, o in enumerate(record.outcomes):
        x = values[:, k]
        obs = float(o.observed)
        pers = persistence_value(o, start_columns)
        if o.kind == "binary":
            p = float(x.mean())
            lo, hi = wilson(int(round(x.sum())), runs)
            s, s0 = brier(p, obs), brier(pers, obs)
            fc = p
        else:
            s, s0 = crps_ensemble(x, obs), abs(pers - obs)
            fc = float(np.median(x))
            lo, hi = (float(np.percentile(x, 5)), float(np.percentile(x, 95)))
        out.append(OutcomeScore(o.id, o.question, o.kind, o.source, obs, fc, lo, hi, pers, s, s0, skill(s, s0)))
    return out


def overall(scores: list[OutcomeScore]) -> dict[str, float]:
    """Overall skill: per kind ``1 - mean score / mean persistence score``, and their mean.

    Returns:
        ``brier``, ``brier_persistence``, ``brier_skill`` (binary outcomes), ``crps``,
        ``crps_persistence``, ``crps_skill`` (level outcomes), ``skill`` (the mean of the two
        skills that exist), and ``binary``/``level`` counts. Means are NaN for a kind with no
        outcomes.
    """
    res: dict[str, float] = {}
    for kind, name in (("binary", "brier"), ("level", "crps")):
        sel = [s for s in scores if s.kind == kind]
        res[kind] = float(len(sel))
        if sel:
            a = float(np.mean([s.score for s in sel]))
            b = float(np.mean([s.score_persistence for s in sel]))
            res[name], res[f"{name}_persistence"], res[f"{name}_skill"] = a, b, skill(a, b)
        else:
            res[name] = res[f"{name}_persistence"] = res[f"{name}_skill"] = float("nan")
    both = [v for v in (res["brier_skill"], res["crps_skill"]) if not math.isnan(v)]
    res["skill"] = float(np.mean(both)) if both else float("nan")
    return res


def measure_all(outcomes: list[Outcome], tr: Trace) -> list[float]:
    """Every outcome's measure value in one run (a picklable reducer for ensembles)."""
    return [measure_value(o, tr) for o in outcomes]


def describe_measure(m: Measure) -> str:
    """A short readable form of a measure (for reports)."""
    if m.column is not None:
        comp = m.comparator
        tail = ""
        if comp is not None:
            word = {"equals": "=", "at_least": ">=", "at_most": "<="}[comp[0]]
            tail = f" {word} {comp[1]}"
        return f"{m.column} at {m.at}{tail}"
    who = "-".join(m.actors) if m.actors else "any actors"
    win = f"{m.from_ or 'start'} to {m.last or 'end'}"
    return f"{'count of ' if m.count else ''}{m.event} ({who}), {win}"


def _fmt(v: float, digits: int = 3) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def markdown(scores: list[OutcomeScore], summary: dict[str, float], record: Record, runs: int) -> str:
    """The backtest as Markdown: one table row per outcome, then the overall skill.

    Args:
        scores: from :func:`score_outcomes`.
        summary: from :func:`overall`.
        record: the record (for the measures).
        runs: ensemble size.
    """
    meas = {o.id: describe_measure(o.measure) for o in record.outcomes}
    lines = [
        f"Ensemble of {runs} runs. Binary outcomes: forecast = share of runs [Wilson 95%], scored by Brier; "
        "levels: forecast = median [5th-95th percentile of runs], scored by the ensemble CRPS "
        "(Gneiting and Raftery 2007, eq. 21). Persistence: nothing changes from the start (a column keeps "
        "its start value, no event happens). Skill = 1 - score / persistence score (n/a where persistence is exact).",
        "",
        "| outcome | measure | observed | forecast | persistence | score | persistence score | skill |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        if s.kind == "binary":
            obs = "yes" if s.observed else "no"
            fc = f"{100 * s.forecast:.0f}% [{100 * s.low:.0f}, {100 * s.high:.0f}]"
            pers = "yes" if s.persistence else "no"
        else:
            obs = f"{s.observed:g}"
            fc = f"{s.forecast:.3g} [{s.low:.3g}, {s.high:.3g}]"
            pers = f"{s.persistence:.3g}"
        name = "Brier" if s.kind == "binary" else "CRPS"
        lines.append(f"| `{s.id}`: {s.question} | {meas[s.id]} | {obs} | {fc} | {pers} | {name} {_fmt(s.score)} | {_fmt(s.score_persistence)} | {_fmt(s.skill, 2)} |")
    lines += [
        "",
        "| overall | model | persistence | skill |",
        "| --- | ---: | ---: | ---: |",
        f"| mean Brier score, {int(summary['binary'])} binary outcomes | {_fmt(summary['brier'])} | {_fmt(summary['brier_persistence'])} | {_fmt(summary['brier_skill'], 2)} |",
        f"| mean CRPS, {int(summary['level'])} level outcomes | {_fmt(summary['crps'])} | {_fmt(summary['crps_persistence'])} | {_fmt(summary['crps_skill'], 2)} |",
        f"| overall (mean of the two skill scores) | | | {_fmt(summary['skill'], 2)} |",
    ]
    return "\n".join(lines) + "\n"

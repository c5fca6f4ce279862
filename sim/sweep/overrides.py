"""Parameter overrides by dotted path: ``--set actors.USA.threat.CHN=0.5`` and ``--grid``.

A path names one number (or one word, such as ``ai.risk_model``) in the scenario *as validated*:
what the file says plus the schema's defaults, so ``dynamics.tension_decay`` works even when the
file has no ``dynamics`` section. Keys of id-keyed mappings (actors, issues, channels, threat
weights, ...) must already exist: ``actors.XXX.threat.CHN`` is an error, not a new actor. List
items are addressed by index, ``actors.RUS.red_lines[0].threshold`` or ``...red_lines.0...``.

A quantity ``{value: ..., source: ...}`` keeps its unit and source; the sweep appends
``[sweep override: OLD -> NEW]`` to the source so that the change is never silent.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sim.loader import ScenarioError, ScenarioSource

Part = str | int

_INDEX = re.compile(r"\[(\d+)\]")
MAX_POINTS = 100_000
"""More design points than this (a grid's product of axes, a sampled or file design) are refused:
a typo, not a sweep, and each point is validated before any run starts."""
MAX_RUNS = 10_000_000
"""More runs in one sweep (points x runs per point) than this are refused (a typo in ``--runs``)."""


SHOWN_CHARS = 60
"""Most characters of a flag's text that a message repeats (a longer one is cut, with its length):
a value of thousands of digits must not fill the terminal."""


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` as a message repeats it: whole if at most ``limit`` characters, else its start,
    ``...`` and its length (``9999...999... (5,028 characters)``)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}... ({len(text):,} characters)"


class OverrideError(Exception):
    """Bad ``--set``/``--grid`` input; ``messages`` holds one line per problem (at least one)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


def parse_path(text: str) -> tuple[Part, ...]:
    """Split a dotted path into keys and list indices.

    ``actors.RUS.red_lines[0].threshold`` and ``actors.RUS.red_lines.0.threshold`` both give
    ``("actors", "RUS", "red_lines", 0, "threshold")``. A part of digits only becomes an int; it
    is used as a list index where the scenario holds a list and as a key otherwise.

    Raises:
        ValueError: an empty path or an empty part (``a..b``).
    """
    if not text or not text.strip():
        raise ValueError("empty path")
    parts: list[Part] = []
    for raw in _INDEX.sub(lambda m: "." + m.group(1), text.strip()).split("."):
        if raw == "":
            raise ValueError(f"empty part in path '{shown(text)}'")
        # an index is a few ASCII digits ('²' is a digit to isdigit, and int() refuses 4,300 digits)
        parts.append(int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else raw)
    return tuple(parts)


def dotted(parts: tuple[Part, ...], tree: Any) -> str:
    """Canonical text of a path: keys joined by ``.``, list indices as ``[i]`` (the loader's form)."""
    out = ""
    node = tree
    for p in parts:
        if isinstance(node, list):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
        node = _get(node, p)
    return out


def _child(node: dict, part: Part) -> Any:
    if part in node:
        return node[part]
    for k, v in node.items():
        if str(k) == str(part):
            return v
    return None


def _get(node: Any, part: Part) -> Any:
    """The child of a mapping or list, or ``None``."""
    if isinstance(node, dict):
        return _child(node, part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _key(node: dict, part: Part) -> Any:
    """The actual key of ``node`` that ``part`` names (ids are text even when they look like numbers)."""
    if part in node:
        return part
    for k in node:
        if str(k) == str(part):
            return k
    return None


def _is_quantity(x: Any) -> bool:
    return isinstance(x, dict) and "value" in x and set(x) <= {"value", "unit", "source"}


@dataclass(frozen=True)
class Target:
    """Where an override goes and what kind of value it takes.

    Attributes:
        parts: the path as keys and indices.
        path: its canonical text (``actors.RUS.red_lines[0].threshold``).
        kind: ``quantity`` (a number that may carry a unit and source), ``float``, ``int``,
            ``bool`` or ``str``.
        current: the value the scenario has now (a float, int, bool or str).
    """

    parts: tuple[Part, ...]
    path: str
    kind: str
    current: Any


def resolve(text: str, validated: dict) -> Target:
    """Find the field a dotted path names in a validated scenario's ``model_dump()``.

    Args:
        text: the dotted path as the user wrote it.
        validated: ``Scenario.model_dump()`` of the base scenario (defaults filled in).

    Returns:
        The :class:`Target`.

    Raises:
        ValueError: a message naming the first part that does not exist (with the keys that do),
            or a path that ends on a group of fields, a list or an unset optional field.
    """
    parts = parse_path(text)
    if len(parts) >= 2 and parts[-1] == "value":
        parent: Any = validated
        for p in parts[:-1]:
            parent = _get(parent, p)
        if _is_quantity(parent):
            parts = parts[:-1]  # ``...CHN.value`` names the same number as ``...CHN``
    node: Any = validated
    walked: list[Part] = []
    for p in parts:
        here = dotted(tuple(walked), validated) or "the scenario"
        if isinstance(node, dict):
            k = _key(node, p)
            if k is None:
                known = ", ".join(str(x) for x in list(node)[:15]) or "none"
                more = ", ..." if len(node) > 15 else ""
                raise ValueError(f"unknown path: {here} has no '{shown(p)}' (known: {known}{more})")
            walked.append(k)
            node = node[k]
        elif isinstance(node, list):
            if not isinstance(p, int) or not 0 <= p < len(node):
                raise ValueError(f"unknown path: {here} is a list of {len(node)} item(s); index it with [0]..[{len(node) - 1}]" if node else f"unknown path: {here} is an empty list")
            walked.append(p)
            node = node[p]
        else:
            raise ValueError(f"unknown path: {here} is a single value and has no '{shown(p)}'")
    path = dotted(tuple(walked), validated)
    if _is_quantity(node):
        return Target(tuple(walked), path, "quantity", node["value"])
    if isinstance(node, bool):
        return Target(tuple(walked), path, "bool", node)
    if isinstance(node, int):
        return Target(tuple(walked), path, "int", node)
    if isinstance(node, float):
        return Target(tuple(walked), path, "float", node)
    if isinstance(node, str):
        return Target(tuple(walked), path, "str", node)
    if node is None:
        raise ValueError(f"{path} is not set in this scenario (an optional field); there is nothing to override")
    if isinstance(node, dict):
        first = next(iter(node), None)
        hint = f" such as {dotted((*walked, first), validated)}" if first is not None else ""
        raise ValueError(f"{path} is a group of fields, not a number; name one of its numbers{hint}")
    raise ValueError(f"{path} is a list, not a number; name one of its items")


def parse_value(text: str, target: Target) -> Any:
    """Turn the text of a value into what ``target`` takes.

    Quantities and floats take any finite number (``0.5``, ``1e-3``); ints take whole numbers;
    bools take ``true``/``false``; words are taken as written (the schema checks them).

    Raises:
        ValueError: not a number, not finite, or not whole where a whole number is needed.
    """
    s = text.strip()
    if target.kind in ("quantity", "float"):
        try:
            v = float(s)
        except ValueError:
            raise ValueError(f"must be a number, got '{shown(text)}'") from None
        if not math.isfinite(v):
            raise ValueError(f"must be a finite number, got '{shown(text)}'")
        return v
    if target.kind == "int":
        try:
            return int(s)
        except ValueError:
            if re.fullmatch(r"[+-]?[0-9]+", s):  # more digits than int() converts (4,300)
                raise ValueError(f"is far too large a number, got '{shown(text)}'") from None
            raise ValueError(f"must be a whole number, got '{shown(text)}'") from None
    if target.kind == "bool":
        low = s.lower()
        if low in ("true", "false"):
            return low == "true"
        raise ValueError(f"must be true or false, got '{shown(text)}'")
    if s == "":
        raise ValueError("must not be empty")
    return s


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def apply(data: dict, assignments: list[tuple[Target, Any]], label: str = "sweep override") -> dict:
    """A deep copy of raw scenario data with the assignments made.

    Intermediate mappings that the file left to the schema's defaults (``dynamics``) are created.
    A quantity written as a mapping keeps its unit and source, and ``[sweep override: OLD -> NEW]``
    is appended to the source; a bare number (or a default) becomes
    ``{value: NEW, source: "sweep override: OLD -> NEW"}``. The note only tells a reader where a
    value came from: it never changes a result.

    Args:
        data: :attr:`sim.loader.ScenarioSource.data` (not modified).
        assignments: ``(target, value)`` pairs from :func:`resolve` and :func:`parse_value`.
        label: the note's first words (``run --set`` writes ``override``).

    Returns:
        The new data, ready for ``ScenarioSource.validate`` or ``Scenario.model_validate``.
    """
    out = copy.deepcopy(data)
    for target, value in assignments:
        node: Any = out
        for p in target.parts[:-1]:
            if isinstance(node, list):
                node = node[p]
                continue
            k = _key(node, p)
            if k is None:
                node[p] = {}
                k = p
            node = node[k]
        last = target.parts[-1]
        if isinstance(node, dict):
            k = _key(node, last)
            last = k if k is not None else last
            old = node.get(last)
        else:
            old = node[last]
        if target.kind == "quantity":
            note = f"{label}: {_fmt(target.current)} -> {_fmt(value)}"
            if isinstance(old, dict):
                new = dict(old)
                new["value"] = value
                new["source"] = f"{old['source']} [{note}]" if old.get("source") else note
            else:
                new = {"value": value, "source": note}
        else:
            new = value
        node[last] = new
    return out


@dataclass(frozen=True)
class Override:
    """One ``--set`` or ``--grid`` flag, parsed.

    Attributes:
        flag: ``--set`` or ``--grid``.
        text: the flag's argument as written (for messages).
        target: the field it sets.
        values: one value for ``--set``; the axis values, in the given order, for ``--grid``.
    """

    flag: str
    text: str
    target: Target
    values: tuple[Any, ...]

    @property
    def label(self) -> str:
        """``--set actors.USA.threat.CHN=0.5``: how messages name the flag."""
        return f"{self.flag} {shown(self.text)}"


def parse_flags(sets: list[str], grids: list[str], validated: dict) -> list[Override]:
    """Parse ``--set path=value`` and ``--grid path=v1,v2,...`` against the base scenario.

    Returns:
        The ``--set`` overrides first, then the grid axes, each in the order given.

    Raises:
        OverrideError: every malformed flag, unknown path, unparsable value, empty or repeated
            axis value, and path given twice, one message per line.
    """
    msgs: list[str] = []
    out: list[Override] = []
    seen: dict[str, str] = {}
    for flag, items in (("--set", sets), ("--grid", grids)):
        for text in items:
            label = f"{flag} {shown(text)}"
            if "=" not in text:
                example = "path=value" if flag == "--set" else "path=v1,v2,..."
                msgs.append(f"{label}: expected {example}")
                continue
            path_text, _, raw = text.partition("=")
            try:
                target = resolve(path_text, validated)
            except ValueError as exc:
                msgs.append(f"{label}: {exc}")
                continue
            raws = [raw] if flag == "--set" else raw.split(",")
            if flag == "--grid" and (raw.strip() == "" or any(r.strip() == "" for r in raws)):
                msgs.append(f"{label}: empty value in the list")
                continue
            vals = []
            bad = False
            for r in raws:
                try:
                    vals.append(parse_value(r, target))
                except ValueError as exc:
                    msgs.append(f"{label}: {exc}")
                    bad = True
            if bad:
                continue
            if len(set(vals)) != len(vals):
                msgs.append(f"{label}: a value is listed twice")
                continue
            if target.path in seen:
                msgs.append(f"{label}: {target.path} is already set by {seen[target.path]}")
                continue
            seen[target.path] = label
            out.append(Override(flag, text, target, tuple(vals)))
    if msgs:
        raise OverrideError(msgs)
    return out


def _strip_value(path: str) -> str:
    return path[: -len(".value")] if path.endswith(".value") else path


@dataclass
class Grid:
    """The grid of a sweep: the constant ``--set`` assignments and the product of the axes.

    Attributes:
        sets: ``--set`` overrides (one value each).
        axes: ``--grid`` overrides; the grid is their Cartesian product, the last axis fastest.
        points: per grid point, ``[(target, value), ...]``: the sets, then one value per axis.
    """

    sets: list[Override] = field(default_factory=list)
    axes: list[Override] = field(default_factory=list)
    points: list[list[tuple[Target, Any]]] = field(default_factory=list)

    def params(self, point: int) -> dict[str, Any]:
        """``{path: value}`` of every overridden parameter at a grid point (sets, then axes)."""
        return {t.path: v for t, v in self.points[point]}

    def axis_params(self, point: int) -> dict[str, Any]:
        """``{path: value}`` of the grid axes only at a grid point."""
        axis_paths = {a.target.path for a in self.axes}
        return {t.path: v for t, v in self.points[point] if t.path in axis_paths}


def build_grid(overrides: list[Override]) -> Grid:
    """Expand the overrides into grid points (one point when there are no axes).

    Raises:
        OverrideError: more than :data:`MAX_POINTS` points.
    """
    import itertools

    sets = [o for o in overrides if o.flag == "--set"]
    axes = [o for o in overrides if o.flag == "--grid"]
    size = math.prod(len(a.values) for a in axes)
    if size > MAX_POINTS:
        shape = " x ".join(str(len(a.values)) for a in axes)
        raise OverrideError([f"--grid: {shape} = {size:,} grid points is more than {MAX_POINTS:,}"])
    base = [(o.target, o.values[0]) for o in sets]
    points = [base + [(a.target, v) for a, v in zip(axes, combo)] for combo in itertools.product(*(a.values for a in axes))]
    return Grid(sets, axes, points)


def check_grid(source: ScenarioSource, grid: Grid, max_points_checked: int | None = None) -> None:
    """Validate every override on its own, then every grid point, before any run starts.

    Args:
        source: the base scenario's source (its ``validate`` locates problems).
        grid: from :func:`build_grid`.
        max_points_checked: validate at most this many grid points (``None``: all). Every axis
            value is always checked on its own.

    Raises:
        OverrideError: one line per problem, ``--set PATH=VALUE: message``; a problem in another
            field that a combination causes names the grid point and the field.
    """
    msgs: list[str] = []
    for o in grid.sets + grid.axes:
        for v in o.values:
            try:
                source.validate(apply(source.data, [(o.target, v)]))
            except ScenarioError as exc:
                for p in exc.problems:
                    where = _strip_value(p.path)
                    flag = o.label if o.flag == "--set" else f"{o.flag} {o.target.path}={shown(_fmt(v))}"
                    msgs.append(f"{flag}: {p.message}" if where == o.target.path else f"{flag}: {where}: {p.message}")
    if msgs:
        raise OverrideError(list(dict.fromkeys(msgs)))
    n = len(grid.points) if max_points_checked is None else min(len(grid.points), max_points_checked)
    for k in range(n):
        try:
            source.validate(apply(source.data, grid.points[k]))
        except ScenarioError as exc:
            desc = ", ".join(f"{t.path}={shown(_fmt(v))}" for t, v in grid.points[k])
            for p in exc.problems:
                msgs.append(f"grid point {k} ({desc}): {_strip_value(p.path)}: {p.message}")
    if msgs:
        raise OverrideError(list(dict.fromkeys(msgs)))

"""Experimental designs beyond the grid: sampled designs (SALib) and designs read from a file.

``--range PATH=LO:HI`` and ``--choice PATH=A,B,...`` name the variables;
``--sample lhs|sobol|morris --points K`` draws the points with SALib, seeded from the sweep's
master seed (:func:`sim.sweep.plan.design_seed`):

- ``lhs``: K points of a Latin hypercube (``SALib.sample.latin``, McKay, Beckman and Conover 1979).
- ``sobol``: Saltelli's scheme for first- and total-order Sobol indices (``SALib.sample.sobol``,
  Saltelli et al. 2010), K base points (a power of 2) giving K x (D + 2) points for D variables.
- ``morris``: K elementary-effect trajectories on a 4-level grid (``SALib.sample.morris``,
  Morris 1991, Campolongo et al. 2007), K x (D + 1) points.

``--design FILE.csv`` gives the points directly: one row per point, one column per dotted path.

A range over a whole-number field is rounded to whole numbers; a choice among k values is a
variable on [0, k) whose integer part picks the value. The sampled matrix (before rounding)
is kept in the manifest, so that ``run.py analyse`` can compute indices from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.sweep.overrides import MAX_POINTS, Grid, Override, OverrideError, Target, parse_value, resolve, shown

SAMPLERS = ("lhs", "sobol", "morris")
MAX_MESSAGES = 10
"""Problems of a design file shown one per line (then how many more)."""
_PATH_SHAPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_][A-Za-z0-9_\-]*|\[[0-9]+\])*$")
"""What a column name of a design file looks like: a dotted path (``actors.RUS-X.threat.CHN``, ``events[0].size``)."""
MORRIS_LEVELS = 4
"""Levels of the Morris grid (SALib's default; Morris 1991 used 4 to 8)."""


@dataclass(frozen=True)
class Variable:
    """One sampled variable.

    Attributes:
        flag: ``--range`` or ``--choice``.
        text: the flag's argument as written.
        target: the field it sets.
        lo, hi: bounds of a range (``None`` for a choice).
        choices: the values of a choice (empty for a range).
    """

    flag: str
    text: str
    target: Target
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] = ()

    @property
    def bounds(self) -> list[float]:
        """The variable's interval for SALib: ``[lo, hi]``, or ``[0, k]`` for k choices."""
        return [float(self.lo), float(self.hi)] if not self.choices else [0.0, float(len(self.choices))]

    def value(self, x: float) -> Any:
        """The parameter value of a sampled coordinate ``x`` (rounded or mapped to a choice)."""
        if self.choices:
            return self.choices[min(max(int(math.floor(x)), 0), len(self.choices) - 1)]
        if self.target.kind == "int":
            return int(round(x))
        return float(x)

    def describe(self) -> dict[str, Any]:
        """Plain data for the manifest."""
        if self.choices:
            return {"path": self.target.path, "kind": "choice", "choices": list(self.choices)}
        return {"path": self.target.path, "kind": "range", "bounds": [self.lo, self.hi], "integer": self.target.kind == "int"}


def parse_variables(ranges: list[str], choices: list[str], validated: dict) -> list[Variable]:
    """Parse ``--range PATH=LO:HI`` and ``--choice PATH=A,B,...`` against the base scenario.

    Raises:
        OverrideError: one message per malformed flag, unknown path, bad value, empty range or
            repeated path.
    """
    msgs: list[str] = []
    out: list[Variable] = []
    seen: set[str] = set()
    for flag, items in (("--range", ranges), ("--choice", choices)):
        for text in items:
            label = f"{flag} {shown(text)}"
            if "=" not in text:
                msgs.append(f"{label}: expected {'PATH=LO:HI' if flag == '--range' else 'PATH=A,B,...'}")
                continue
            path_text, _, raw = text.partition("=")
            try:
                target = resolve(path_text, validated)
            except ValueError as exc:
                msgs.append(f"{label}: {exc}")
                continue
            if target.path in seen:
                msgs.append(f"{label}: {target.path} is already a variable")
                continue
            try:
                if flag == "--range":
                    if target.kind not in ("quantity", "float", "int"):
                        raise ValueError(f"{target.path} is not a number; use --choice")
                    lo_t, colon, hi_t = raw.partition(":")
                    if not colon:
                        raise ValueError(f"expected LO:HI, got '{raw}'")
                    lo, hi = parse_value(lo_t, target), parse_value(hi_t, target)
                    if not lo < hi:
                        raise ValueError(f"LO must be below HI, got {lo}:{hi}")
                    var = Variable(flag, text, target, lo=lo, hi=hi)
                else:
                    vals = tuple(parse_value(v, target) for v in raw.split(","))
                    if len(vals) < 2 or len(set(vals)) != len(vals):
                        raise ValueError("needs two or more different values")
                    var = Variable(flag, text, target, choices=vals)
            except ValueError as exc:
                msgs.append(f"{label}: {exc}")
                continue
            seen.add(target.path)
            out.append(var)
    if msgs:
        raise OverrideError(msgs)
    return out


def sample_matrix(method: str, variables: list[Variable], points: int, seed: int) -> np.ndarray:
    """The design matrix drawn by SALib, shape (n points, D variables), before rounding.

    Args:
        method: ``lhs``, ``sobol`` or ``morris``.
        variables: at least one (two for ``morris`` and ``sobol``).
        points: K: points (``lhs``), base points, a power of 2 (``sobol``), or trajectories (``morris``).
        seed: the sampler's seed.

    Raises:
        OverrideError: a design that cannot be drawn as asked (one line).
    """
    problem = {"num_vars": len(variables), "names": [v.target.path for v in variables], "bounds": [v.bounds for v in variables]}
    if method in ("sobol", "morris") and len(variables) < 2:
        raise OverrideError([f"--sample {method} needs two or more variables (--range or --choice)"])
    if method == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, points, seed=seed), dtype=float)
    if method == "sobol":
        if points < 2 or points & (points - 1):
            raise OverrideError([f"--sample sobol --points {points}: the number of base points must be a power of 2 (e.g. 16, 32, 64)"])
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, points, calc_second_order=False, scramble=True, seed=seed), dtype=float)
    if method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, points, num_levels=MORRIS_LEVELS, seed=seed), dtype=float)
    raise OverrideError([f"--sample {method}: expected one of {', '.join(SAMPLERS)}"])


def points_size(method: str, points: int, n_vars: int) -> int:
    """Design points that ``--sample METHOD --points K`` makes for D variables."""
    return {"lhs": points, "sobol": points * (n_vars + 2), "morris": points * (n_vars + 1)}[method]


def sampled_grid(sets: list[Override], variables: list[Variable], method: str, points: int, seed: int) -> tuple[Grid, dict]:
    """The design points of a sampled design and its description for the manifest.

    Returns:
        ``(grid, design)``: the grid's ``axes`` hold one override per variable (flag ``--range`` or
        ``--choice``, values: the range's ends or the choices, which are checked on their own);
        ``design`` holds ``method``, ``points`` (K), ``seed``, ``variables``, the SALib
        ``problem`` and ``samples`` (the matrix before rounding).

    Raises:
        OverrideError: see :func:`sample_matrix`, or too many points.
    """
    if not variables:
        raise OverrideError([f"--sample {method} needs variables: add --range PATH=LO:HI or --choice PATH=A,B"])
    if points_size(method, points, len(variables)) > MAX_POINTS:
        raise OverrideError([f"--sample {method} --points {points}: {points_size(method, points, len(variables))} design points is more than {MAX_POINTS}"])
    x = sample_matrix(method, variables, points, seed)
    base = [(o.target, o.values[0]) for o in sets]
    pts = [base + [(v.target, v.value(xi)) for v, xi in zip(variables, row)] for row in x]
    axes = [Override(v.flag, v.text, v.target, (v.lo, v.hi) if not v.choices else v.choices) for v in variables]
    design = {
        "method": method,
        "points": points,
        "seed": seed,
        "variables": [v.describe() for v in variables],
        "problem": {"num_vars": len(variables), "names": [v.target.path for v in variables], "bounds": [v.bounds for v in variables]},
        "samples": x.tolist(),
    }
    if method == "morris":
        design["num_levels"] = MORRIS_LEVELS
    if method == "sobol":
        design["second_order"] = False
    return Grid(sets, axes, pts), design


def file_grid(path: str, sets: list[Override], validated: dict) -> tuple[Grid, dict]:
    """The design points of ``--design FILE.csv``: one row per point, one column per dotted path.

    Returns:
        ``(grid, design)`` as :func:`sampled_grid`; ``design`` has ``method: file``, the file
        name and the SHA-256 of its text, and ``samples`` (numbers as given; a word column as
        the index of its value among the column's sorted values).

    Raises:
        OverrideError: an unreadable file, no rows, an unknown path, a path also in ``--set``,
            or a bad value, as ``FILE:LINE: column PATH: message``.
    """
    p = Path(path)
    try:
        if not p.is_file():
            raise OSError("no such file" if not p.exists() else "not a regular file")
        with open(p, "rb") as f:
            raw = f.read(20_000_001)
        if len(raw) > 20_000_000:
            raise OSError("larger than 20 MB")
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OverrideError([f"{path}: --design: cannot read ({reason})"]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        rows = [(reader.line_num, r) for r in reader]
    except csv.Error as exc:
        raise OverrideError([f"{path}:{reader.line_num}: --design: not a CSV file ({exc})"]) from None
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise OverrideError([f"{path}:1: --design: expected a header of dotted paths and at least one row of values"])
    header_line, header = rows[0]
    odd = next((j for j, name in enumerate(header) if name.strip() and not _PATH_SHAPE.match(name.strip())), None)
    if odd is not None:  # a file that is not a design (its content is never shown)
        raise OverrideError(
            [f"{path}:{header_line}: --design: not a design file: column {odd + 1} of the first line is not a dotted path "
             "(the first line names a parameter per column, separated by commas, e.g. ai.temperature,dynamics.tension_decay)"]
        )
    msgs: list[str] = []
    targets: list[Target] = []
    set_paths = {o.target.path for o in sets}
    for j, name in enumerate(header):
        try:
            t = resolve(name, validated)
        except ValueError as exc:
            msgs.append(f"{path}:1: column {name.strip() or j + 1}: {exc}")
            continue
        if t.path in set_paths or t.path in {x.path for x in targets}:
            msgs.append(f"{path}:1: column {t.path}: set twice")
            continue
        targets.append(t)
    if msgs:
        raise OverrideError(msgs)
    if len(rows) - 1 > MAX_POINTS:
        raise OverrideError([f"{path}: --design: {len(rows) - 1} rows is more than {MAX_POINTS} points"])
    base = [(o.target, o.values[0]) for o in sets]
    pts: list[list[tuple[Target, Any]]] = []
    for i, r in rows[1:]:
        if len(r) != len(targets):
            msgs.append(f"{path}:{i}: --design: {len(r)} values for {len(targets)} columns")
            continue
        vals = []
        for t, cell in zip(targets, r):
            try:
                vals.append(parse_value(cell, t))
            except ValueError as exc:
                msgs.append(f"{path}:{i}: column {t.path}: {exc}")
        if len(vals) == len(targets):
            pts.append(base + list(zip(targets, vals)))
    if msgs:
        more = [f"{path}: --design: and {len(msgs) - MAX_MESSAGES} more problems"] if len(msgs) > MAX_MESSAGES else []
        raise OverrideError(msgs[:MAX_MESSAGES] + more)
    samples = []
    levels = {t.path: sorted({v for pt in pts for tt, v in pt if tt.path == t.path}, key=str) for t in targets if t.kind in ("str", "bool")}
    for pt in pts:
        row = dict((tt.path, v) for tt, v in pt)
        samples.append([float(levels[t.path].index(row[t.path])) if t.path in levels else float(row[t.path]) for t in targets])
    axes = [Override("--design", f"{path}:{t.path}", t, ()) for t in targets]
    design = {
        "method": "file",
        "file": str(path),
        "file_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "variables": [{"path": t.path, "kind": "file"} for t in targets],
        "problem": {"num_vars": len(targets), "names": [t.path for t in targets], "bounds": [[min(c), max(c) if max(c) > min(c) else min(c) + 1] for c in zip(*samples)]},
        "samples": samples,
    }
    return Grid(sets, axes, pts), design

"""One run of a sweep, made again: what ``run --from-sweep DIR --run-id K`` needs from a sweep.

A sweep's ``manifest.json`` records everything that decides a run (see :mod:`sim.sweep.plan`):
the scenario (its file and the hash of its merged data), the ``--set`` overrides and the
parameters of every design point, the number of points, the master seed (and whether points
share seeds, ``common_seeds``), ``--turns`` and the hash of the code. Run ``K`` of a sweep of
``P`` points is run ``K // P`` of point ``K % P``, and its seed is
``run_seed(master_seed, point, run, common_seeds)``.

This module reads only the manifest (no pandas, no pyarrow), so that ``run`` and ``play`` need
nothing of the ``sweep`` extra.
"""

from __future__ import annotations

import json
import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.sweep.plan import run_seed

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""Largest manifest read (64 MiB; a grid of 100,000 points takes a few MiB)."""
MAX_TURNS = 600
"""Most turns a run may have (the scenario's and ``--turns``' limit): a manifest asking for more is damaged."""


class RerunError(Exception):
    """A sweep directory or run id that cannot be replayed; ``str(exc)`` is one line for the user."""


@dataclass(frozen=True)
class SweptRun:
    """What decides one run of a sweep.

    Attributes:
        directory: the sweep directory as given.
        run_id: the global run id ``K``.
        point: its design point.
        run: its index within the point.
        seed: its seed, in [0, 2**64 - 1].
        turns: the sweep's ``--turns`` (``None``: the scenario's).
        scenario_file: the scenario path the sweep was given.
        scenario_hash: SHA-256 of the scenario's merged data (:func:`sim.sweep.plan.data_hash`).
        params: ``{dotted path: value}`` of every override at the run's point.
        code_hash: the hash of the code that made the sweep (``None`` if not recorded).
    """

    directory: str
    run_id: int
    point: int
    run: int
    seed: int
    turns: int | None
    scenario_file: str
    scenario_hash: str
    params: dict[str, Any]
    code_hash: str | None = None

    def set_flags(self) -> list[str]:
        """The overrides as ``--set PATH=VALUE`` texts that parse back to the same values."""
        return [f"{path}={value_text(v)}" for path, v in self.params.items()]


def value_text(v: Any) -> str:
    """Text of an override value that :func:`sim.sweep.overrides.parse_value` reads back exactly."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(float(v))
    return str(v)


def _bad(directory: str, what: str) -> RerunError:
    return RerunError(f"{directory}: --from-sweep: {what}")


def read_swept_run(directory: str, run_id: int) -> SweptRun:
    """Read a sweep's manifest and describe run ``run_id``.

    Args:
        directory: a sweep directory (holding ``manifest.json``).
        run_id: a global run id, ``0 <= run_id < n_runs``.

    Returns:
        The :class:`SweptRun`.

    Raises:
        RerunError: no such directory or manifest, a manifest that is not a sweep's or is
            damaged, or a run id out of range.
    """
    d = Path(directory)
    path = d / MANIFEST
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _bad(directory, "no sweep here (no manifest.json)") from None
    except OSError as exc:
        raise _bad(directory, f"cannot read the manifest: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise _bad(directory, "manifest.json is not a regular file")
    if st.st_size > MAX_MANIFEST_BYTES:
        raise _bad(directory, f"manifest.json is too large ({st.st_size} bytes)")
    try:
        with open(path, "rb") as f:
            m = json.loads(f.read(MAX_MANIFEST_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise _bad(directory, "manifest.json is not a readable sweep manifest") from None
    if not isinstance(m, dict) or m.get("kind") != "greatpower-sweep":
        raise _bad(directory, "manifest.json is not a sweep manifest")
    try:
        n_runs, n_points = m["n_runs"], m["n_points"]
        master, turns = m["master_seed"], m["turns"]
        common = m.get("common_seeds", False)
        scenario = m["scenario"]
        points = m["grid"]["points"]
        file, digest = scenario["file"], scenario["data_sha256"]
        code = m.get("code_sha256")
        ok = (
            all(isinstance(x, int) and not isinstance(x, bool) for x in (n_runs, n_points, master))
            and n_points > 0
            and 0 <= master <= 2**64 - 1  # the --seed range of every command
            and isinstance(common, bool)
            and (code is None or isinstance(code, str))
            and (turns is None or (isinstance(turns, int) and not isinstance(turns, bool) and 1 <= turns <= MAX_TURNS))
            and isinstance(file, str)
            and isinstance(digest, str)
            and isinstance(points, list)
        )
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise _bad(directory, "manifest.json is damaged (a field is missing or of the wrong type)")
    if not 0 <= run_id < n_runs:
        raise _bad(directory, f"--run-id {run_id} is not a run of this sweep (run ids 0 to {n_runs - 1})")
    point, run = run_id % n_points, run_id // n_points
    entry = points[point] if point < len(points) else None
    params = entry.get("params") if isinstance(entry, dict) and entry.get("point") == point else None
    if not isinstance(params, dict) or not all(_plain(v) for v in params.values()):
        raise _bad(directory, f"manifest.json is damaged (no parameters for point {point})")
    return SweptRun(directory, run_id, point, run, run_seed(master, point, run, common), turns, file, digest, dict(params), code)


def _plain(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return isinstance(v, (bool, int, str))

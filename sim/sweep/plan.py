"""What a sweep runs: the scenario, the grid, the runs per grid point and their seeds.

Run ``r`` of grid point ``p`` has the global run id ``p * runs + r``; its seed is the
``run_id``-th child of ``numpy.random.SeedSequence(master_seed).spawn(points * runs)``, so the
seed of every run is fixed before any run starts and does not depend on the worker count, the
executor or the order in which runs finish (README, Sweeps).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from sim.sweep.overrides import Grid, Target


def seed_int(child: np.random.SeedSequence) -> int:
    """A 64-bit seed from a spawned ``SeedSequence``: two 32-bit words, low word first.

    Returns:
        An int in ``[0, 2**64)``, passed to the model as its ``seed`` and stored with the run.
    """
    lo, hi = child.generate_state(2, np.uint32)
    return int(lo) | (int(hi) << 32)


def run_seeds(master_seed: int, n_runs: int) -> list[int]:
    """Seeds of runs ``0 .. n_runs - 1`` (global run ids): ``SeedSequence(master_seed).spawn(n_runs)``.

    This is the definition; :func:`run_seed` computes one of them without spawning the others.

    Raises:
        ValueError: a negative master seed.
    """
    return [seed_int(c) for c in np.random.SeedSequence(master_seed).spawn(n_runs)]


def run_seed(master_seed: int, run_id: int) -> int:
    """The seed of one run: the ``run_id``-th child of ``SeedSequence(master_seed)``.

    A spawned child is ``SeedSequence(entropy, spawn_key=(index,))``, so it can be built directly;
    the result equals ``run_seeds(master_seed, n)[run_id]`` for any ``n > run_id``, and a sweep of
    any size needs no list of all its seeds in memory.
    """
    return seed_int(np.random.SeedSequence(master_seed, spawn_key=(run_id,)))


def _canonical(x: Any) -> Any:
    """JSON-ready data with text keys (YAML allows numeric keys such as an issue's scale)."""
    if isinstance(x, dict):
        return {str(k): _canonical(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_canonical(v) for v in x]
    return x


def data_hash(data: dict) -> str:
    """SHA-256 of scenario data as canonical JSON (sorted keys): the same data, the same hash.

    Hashing the merged data rather than the file's text covers an ``extends`` base and ignores
    comments and layout, which do not change a run.
    """
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunSpec:
    """One run to make.

    Attributes:
        run_id: global index, ``point * runs_per_point + run``.
        point: grid point index.
        run: index of the run within its grid point.
        seed: the model's seed (64-bit, from the master seed's ``SeedSequence``).
    """

    run_id: int
    point: int
    run: int
    seed: int


@dataclass
class SweepPlan:
    """Everything that decides a sweep's results (and nothing that does not, such as workers).

    Attributes:
        scenario_file: the scenario's path as given.
        scenario_name: its ``name``.
        base_data: the merged raw scenario data (``extends`` resolved), before overrides.
        scenario_hash: :func:`data_hash` of ``base_data``.
        text_hash: SHA-256 of the file's text (recorded, not compared).
        grid: the overrides and grid points.
        runs_per_point: N, runs at each grid point.
        master_seed: S.
        turns: horizon override (``None``: each grid point's scenario ``turns``).
        per_turn: whether a per-turn table is written.
        fail_runs: run ids that raise on purpose (the test hook, see :mod:`sweep.worker`).
    """

    scenario_file: str
    scenario_name: str
    base_data: dict
    scenario_hash: str
    text_hash: str
    grid: Grid
    runs_per_point: int
    master_seed: int
    turns: int | None
    per_turn: bool
    fail_runs: frozenset[int] = field(default_factory=frozenset)

    @property
    def n_points(self) -> int:
        """Number of grid points (1 without ``--grid``)."""
        return len(self.grid.points)

    @property
    def n_runs(self) -> int:
        """Total runs: points x runs per point."""
        return self.n_points * self.runs_per_point

    def runs(self, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[RunSpec]:
        """The runs in (grid point, run index) order, leaving out the run ids in ``skip`` (lazily)."""
        n = self.runs_per_point
        for rid in range(self.n_runs):
            if rid not in skip:
                yield RunSpec(rid, rid // n, rid % n, run_seed(self.master_seed, rid))

    def point_assignments(self) -> list[list[tuple[Target, Any]]]:
        """Per grid point, the ``(target, value)`` assignments to apply to ``base_data``."""
        return self.grid.points

    def identity(self) -> dict[str, Any]:
        """What a ``--resume`` must match: scenario data, overrides, grid, runs, seed, turns.

        Returns:
            Plain JSON-ready data.
        """
        return {
            "scenario_hash": self.scenario_hash,
            "sets": [{"path": o.target.path, "value": o.values[0]} for o in self.grid.sets],
            "grid": [{"path": a.target.path, "values": list(a.values)} for a in self.grid.axes],
            "runs_per_point": self.runs_per_point,
            "master_seed": self.master_seed,
            "turns": self.turns,
            "per_turn": self.per_turn,
        }

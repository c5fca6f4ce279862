"""What a sweep runs: the scenario, the design points, the runs per point and their seeds.

Run ``r`` of point ``p`` (of ``P`` points) has the global run id ``r * P + p``, so the ids of
the runs a sweep already has never change when ``--resume --runs M`` adds runs. Its seed is made
from ``numpy.random.SeedSequence(master_seed, spawn_key=(p, r))``: it depends on the master seed,
the point and the run index alone, never on the number of runs, the worker count, the executor
or the order in which runs finish. With common random numbers (``--common-seeds``) every point
uses the seeds of point 0: ``spawn_key=(0, r)``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from sim.sweep.overrides import Grid, Target

SEEDING = (
    "run_id = run * n_points + point; seed = lo | hi << 32 where (lo, hi) = "
    "SeedSequence(master_seed, spawn_key=(point, run)).generate_state(2, uint32); "
    "with common_seeds, every point uses spawn_key=(0, run)"
)
"""How run ids and seeds are made (recorded in the manifest)."""


def seed_int(child: np.random.SeedSequence) -> int:
    """A 64-bit seed from a ``SeedSequence``: two 32-bit words, low word first.

    Returns:
        An int in ``[0, 2**64)``, passed to the model as its ``seed`` and stored with the run.
    """
    lo, hi = child.generate_state(2, np.uint32)
    return int(lo) | (int(hi) << 32)


def run_seeds(master_seed: int, n_runs: int) -> list[int]:
    """Seeds of ``n_runs`` independent runs of one configuration (validity, backtest ensembles).

    They are the runs of point 0 of a sweep with master seed ``master_seed``:
    ``run_seed(master_seed, 0, r)`` for ``r`` in ``0 .. n_runs - 1``; so adding runs never changes
    the seeds of the first ones.

    Raises:
        ValueError: a negative master seed.
    """
    return [run_seed(master_seed, 0, r) for r in range(n_runs)]


def run_seed(master_seed: int, point: int, run: int, common: bool = False) -> int:
    """The seed of run ``run`` of point ``point``: ``SeedSequence(master_seed, spawn_key=(point, run))``.

    It equals the ``run``-th child spawned by the ``point``-th child of ``SeedSequence(master_seed)``.

    Args:
        master_seed: the sweep's ``--seed`` (>= 0).
        point: the design point (>= 0).
        run: the run index within the point (>= 0).
        common: common random numbers: the seed of point 0 for every point.

    Raises:
        ValueError: a negative master seed.
    """
    return seed_int(np.random.SeedSequence(master_seed, spawn_key=(0 if common else point, run)))


def design_seed(master_seed: int) -> int:
    """The seed of a sampled design (LHS, Sobol, Morris), made from the sweep's master seed.

    It is the 32-bit state of ``SeedSequence(master_seed, spawn_key=(2**32 - 1,))``, a child that
    no run uses (run seeds have two-part spawn keys).
    """
    return int(np.random.SeedSequence(master_seed, spawn_key=(2**32 - 1,)).generate_state(1, np.uint32)[0])


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
        run_id: global index, ``run * n_points + point``.
        point: design point index.
        run: index of the run within its point.
        seed: the model's seed (64-bit, see :func:`run_seed`).
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
        grid: the overrides and design points.
        runs_per_point: N, runs at each point.
        master_seed: S.
        turns: horizon override (``None``: each point's scenario ``turns``).
        per_turn: whether a per-turn table is written.
        fail_runs: run ids that raise on purpose (the test hook, see :mod:`sweep.worker`).
        design: a sampled or file design (:meth:`sim.sweep.design.Design.describe`), or ``None``
            for a grid.
        common_seeds: every point uses the same seeds (common random numbers).
        units: ``{path: unit}`` of the overridden parameters, from the scenario (for reports).
        outcome_specs: the scenario's own outcomes (``outcomes:``), as plain data (for reports).
        turn_months: months per turn (for reports).
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
    design: dict | None = None
    common_seeds: bool = False
    units: dict[str, str] = field(default_factory=dict)
    outcome_specs: list[dict] = field(default_factory=list)
    turn_months: int = 1

    @property
    def n_points(self) -> int:
        """Number of design points (1 without ``--grid`` or a design)."""
        return len(self.grid.points)

    @property
    def n_runs(self) -> int:
        """Total runs: points x runs per point."""
        return self.n_points * self.runs_per_point

    def spec(self, run_id: int) -> RunSpec:
        """The run with this id."""
        run, point = divmod(run_id, self.n_points)
        return RunSpec(run_id, point, run, run_seed(self.master_seed, point, run, self.common_seeds))

    def runs(self, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[RunSpec]:
        """The runs in run id order (run index, then point), leaving out the ids in ``skip`` (lazily).

        In this order every point gets its first runs before any point gets more, so a sweep
        stopped part-way has about as many runs at each point.
        """
        for rid in range(self.n_runs):
            if rid not in skip:
                yield self.spec(rid)

    def point_assignments(self) -> list[list[tuple[Target, Any]]]:
        """Per point, the ``(target, value)`` assignments to apply to ``base_data``."""
        return self.grid.points

    def identity(self) -> dict[str, Any]:
        """What a ``--resume`` must match: scenario data, overrides, design, runs, seed, turns.

        Returns:
            Plain JSON-ready data. ``runs_per_point`` may grow on a resume (more runs per point).
        """
        return {
            "scenario_hash": self.scenario_hash,
            "sets": [{"path": o.target.path, "value": o.values[0]} for o in self.grid.sets],
            "grid": [{"path": a.target.path, "values": list(a.values)} for a in self.grid.axes if a.flag == "--grid"],
            "design": None if self.design is None else {k: v for k, v in self.design.items() if k != "samples"} | {"points_sha256": data_hash({"p": [self.grid.params(k) for k in range(self.n_points)]})},
            "runs_per_point": self.runs_per_point,
            "master_seed": self.master_seed,
            "common_seeds": self.common_seeds,
            "turns": self.turns,
            "per_turn": self.per_turn,
        }

"""One turn of the baseline, against the kernel's own time (issue 2's goals: >= 1,000 turns/s
on one core, and a turn at most 3x the kernel round)."""

import gc
from pathlib import Path

import numpy as np
import pytest

from sim import kernel
from sim.loader import load_scenario
from sim.model import GreatPowerModel
from sim.sweep.worker import blas_limit, discard_model

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline_2021.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


WARM_RUNS = 5
"""Whole runs made before timing, so that no timed turn pays for loading compiled code or a
module that a run needs only on its first turn or its first event (the first turn of a process
costs about 0.25 s; start-up is measured by bench_startup.py)."""

ROUNDS = 1000
"""Turns timed per benchmark (about 28 baseline runs: many end before the horizon)."""


def _bench(benchmark, scenario, reasons):
    """Time turns of baseline runs of the scenario's own horizon (36 turns), one after another.

    A run that ends is discarded as a sweep's worker discards it and replaced by a new one (the
    next seed) in pytest-benchmark's untimed set-up, so a timed round is one turn and nothing
    else. Runs keep their horizon: one run of
    thousands of turns would time Python's garbage collector walking a log no game or sweep
    keeps (a full collection every ~210 turns, 45-100 ms once the log held 600 turns).
    """
    # numpy's BLAS held at the sweep workers' thread count (sim.sweep.worker.BLAS_THREADS), so
    # that a timed turn is a sweep's turn
    with blas_limit():
        _bench_turns(benchmark, scenario, reasons)


def _bench_turns(benchmark, scenario, reasons):
    """:func:`_bench`'s body, with numpy's BLAS held."""
    for seed in range(WARM_RUNS):
        warm = GreatPowerModel(scenario, seed=10_000 + seed, reasons=reasons)
        while warm.running:
            warm.step()
    # Freeze what is loaded by now, as a sweep's fork server does for its workers
    # (sim/sweep/warm.py): a full garbage collection walking numba's and numpy's objects (about
    # 40 ms once in 1,500 turns) is the process's cost, not the turn's.
    gc.freeze()
    state = {"m": GreatPowerModel(scenario, seed=1, reasons=reasons), "seed": 1}

    def setup():
        if not state["m"].running:
            discard_model(state["m"])  # as a sweep's worker does after each run
            state["seed"] += 1
            state["m"] = GreatPowerModel(scenario, seed=state["seed"], reasons=reasons)

    try:
        benchmark.pedantic(lambda: state["m"].step(), setup=setup, rounds=ROUNDS, iterations=1)
    finally:
        gc.unfreeze()


def test_turn_baseline_with_reasons(benchmark, scenario):
    _bench(benchmark, scenario, True)


def test_turn_baseline_without_reasons(benchmark, scenario):
    _bench(benchmark, scenario, False)


def test_kernel_round_baseline_shape(benchmark, scenario):
    m = GreatPowerModel(scenario, seed=1)
    x = m.position.T.copy()
    s = m.salience.T.copy()
    c = m.world.capability
    rng = np.random.default_rng(0)
    benchmark(kernel.bargaining_round, x, c, s, rng)

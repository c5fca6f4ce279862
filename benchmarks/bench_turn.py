"""One turn of the baseline, against the kernel's own time (issue 2's goals: >= 1,000 turns/s
on one core, and a turn at most 3x the kernel round)."""

from pathlib import Path

import numpy as np
import pytest

from sim import kernel
from sim.loader import load_scenario
from sim.model import GreatPowerModel

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline_2021.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE)


def _stepper(scenario, reasons):
    state = {"m": GreatPowerModel(scenario, seed=1, turns=10_000, reasons=reasons)}

    def step():
        m = state["m"]
        if not m.running:
            state["m"] = m = GreatPowerModel(scenario, seed=m.turn, turns=10_000, reasons=reasons)
        m.step()

    return step


def test_turn_baseline_with_reasons(benchmark, scenario):
    benchmark(_stepper(scenario, True))


def test_turn_baseline_without_reasons(benchmark, scenario):
    benchmark(_stepper(scenario, False))


def test_kernel_round_baseline_shape(benchmark, scenario):
    m = GreatPowerModel(scenario, seed=1)
    x = m.position.T.copy()
    s = m.salience.T.copy()
    c = m.world.capability
    rng = np.random.default_rng(0)
    benchmark(kernel.bargaining_round, x, c, s, rng)

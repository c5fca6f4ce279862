"""The baseline turn pinned: a short run's turn log and state, recorded before the turn was made fast.

The turn's numeric work may be rewritten for speed (fused, vectorised, compiled), but the rules
are one set: the same scenario and seed give the same run. ``tests/data/pinned_turns.json.gz``
holds the turn log and the final state arrays of the baseline, seeds 0 and 1, 12 turns, with
reasons on, recorded before any speed work (issue 11). Required: an identical turn log (every
event, every rounded number in it), state arrays within 1e-9, the same generator state; and a
run with reasons off gives the same events less the AI's decision records (reasons change what
is written, never what happens).

Regenerate the file only for a deliberate change of the rules:
``python tests/test_turn_pinned.py`` (writes the file).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
PINNED = REPO / "tests" / "data" / "pinned_turns.json.gz"
SEEDS = (0, 1)
TURNS = 12


def run(seed: int, reasons: bool) -> dict:
    """One baseline run of ``TURNS`` turns: its log, final arrays and generator state."""
    from sim.loader import load_scenario
    from sim.model import GreatPowerModel

    m = GreatPowerModel(load_scenario(REPO / "scenarios" / "baseline_2021.yaml"), seed=seed, turns=TURNS, reasons=reasons)
    for _ in range(TURNS):
        m.step()
    s = m.to_state()
    return {"log": s["log"], "arrays": s["arrays"], "totals": s["totals"], "rng": s["rng"]}


def without_reasons(log: list[dict]) -> list[list[dict]]:
    """Each turn's events less the AI's decision records."""
    return [[e for e in t["events"] if e.get("type") != "decision" or e.get("human")] for t in log]


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads(gzip.decompress(PINNED.read_bytes()))


@pytest.mark.parametrize("seed", SEEDS)
def test_baseline_run_equals_the_run_pinned_before_the_speed_work(pinned, seed):
    want, got = pinned[str(seed)], json.loads(json.dumps(run(seed, True)))
    assert got["log"] == want["log"]
    assert got["totals"] == want["totals"]
    assert got["rng"] == want["rng"]
    for name, arr in want["arrays"].items():
        np.testing.assert_allclose(np.array(got["arrays"][name], dtype=float), np.array(arr, dtype=float), rtol=0, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("seed", SEEDS)
def test_reasons_off_gives_the_same_events_without_decision_records(pinned, seed):
    got = json.loads(json.dumps(run(seed, False)))
    assert without_reasons(got["log"]) == without_reasons(pinned[str(seed)]["log"])
    assert not any(e.get("type") == "decision" and not e.get("human") for t in got["log"] for e in t["events"])
    assert got["rng"] == pinned[str(seed)]["rng"]


if __name__ == "__main__":  # regenerate (a deliberate change of the rules only)
    sys.path.insert(0, str(REPO))
    PINNED.write_bytes(gzip.compress(json.dumps({str(s): run(s, True) for s in SEEDS}).encode(), mtime=0))

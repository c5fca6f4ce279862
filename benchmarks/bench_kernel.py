"""Benchmarks of the bargaining kernel (sim/kernel.py, docs/model.md 7.4).

One classic round at the model's size, 18 actors x 7 issues, with the numpy kernel and with the
plain-Python reference of tests/reference_kernel.py, and the ratio of the two.

Run from the project root::

    python -m pytest benchmarks/ --benchmark-only
"""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim import kernel

try:
    from tests import reference_kernel as ref
except ImportError:  # the project root is not on sys.path: import the module from its folder
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import reference_kernel as ref

ISSUES = 7
ACTORS = 18
SEED = 2021
# A regression guard only: the numpy round must stay at least this many times faster than the
# reference. The goal is 200; see test_kernel_round_speedup for what is measured.
MIN_SPEEDUP = 10.0


@pytest.fixture(scope="module")
def round_inputs():
    rng = np.random.default_rng(SEED)
    x = rng.random((ISSUES, ACTORS))
    c = rng.random(ACTORS)
    s = rng.random((ISSUES, ACTORS))
    return x, c, s


def test_kernel_round_numpy(benchmark, round_inputs):
    x, c, s = round_inputs
    rng = np.random.default_rng(0)
    out = benchmark(kernel.bargaining_round, x, c, s, rng)
    assert out["x"].shape == (ISSUES, ACTORS)


def test_kernel_round_reference(benchmark, round_inputs):
    x, c, s = (a.tolist() for a in round_inputs)
    rng = np.random.default_rng(0)
    out = benchmark(ref.bargaining_round, x, c, s, rng)
    assert len(out["x"]) == ISSUES


def _best_seconds(call, number, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def test_kernel_round_speedup(benchmark, round_inputs):
    """How many times faster the numpy round is than the reference, recorded in extra_info.

    Both are timed here, alternately and in the same process, and the best times are compared
    (the machine's load changes both alike); the benchmark itself times the numpy round.
    """
    x, c, s = round_inputs
    lists = [a.tolist() for a in round_inputs]
    rng = np.random.default_rng(0)
    numpy_best = reference_best = float("inf")
    for _ in range(5):
        numpy_best = min(
            numpy_best, _best_seconds(lambda: kernel.bargaining_round(x, c, s, rng), 50, 3)
        )
        reference_best = min(
            reference_best, _best_seconds(lambda: ref.bargaining_round(*lists, rng), 1, 3)
        )
    speedup = reference_best / numpy_best
    benchmark.extra_info["numpy_round_us"] = round(numpy_best * 1e6, 1)
    benchmark.extra_info["reference_round_ms"] = round(reference_best * 1e3, 2)
    benchmark.extra_info["speedup"] = round(speedup, 1)
    print(
        f"\nkernel round {ISSUES} issues x {ACTORS} actors: numpy {numpy_best * 1e6:.0f} us, "
        f"reference {reference_best * 1e3:.1f} ms, speedup {speedup:.0f}x"
    )
    benchmark(kernel.bargaining_round, x, c, s, rng)
    assert speedup >= MIN_SPEEDUP

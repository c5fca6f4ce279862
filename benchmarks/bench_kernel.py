"""Benchmarks of the bargaining kernel (sim/kernel.py, docs/model.md 7.4).

One classic round at the model's size, 18 actors x 7 issues, with the compiled kernel (the
default backend, sim/kernel_compiled.py), the numpy kernel and the plain-Python reference of
tests/reference_kernel.py; their ratios measured in one run; and what compiling costs: a cold
compile, and the time that importing numba and loading the compiled code from a warm cache adds
to a process start.

Run from the project root::

    python -m pytest benchmarks/bench_kernel.py --benchmark-only -s
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
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

ROOT = Path(__file__).resolve().parent.parent
ISSUES = 7
ACTORS = 18
SEED = 2021
# Regression guards only (the machine is shared, so the goals are reported, not asserted):
# the numpy round at least 10x the reference, the compiled round at least 50x. The goal for
# the compiled round is 200x; test_kernel_round_speedup measures it.
MIN_SPEEDUP_NUMPY = 10.0
MIN_SPEEDUP_COMPILED = 50.0


@pytest.fixture(scope="module")
def round_inputs():
    rng = np.random.default_rng(SEED)
    x = rng.random((ISSUES, ACTORS))
    c = rng.random(ACTORS)
    s = rng.random((ISSUES, ACTORS))
    return x, c, s


def test_kernel_round_compiled(benchmark, round_inputs):
    x, c, s = round_inputs
    rng = np.random.default_rng(0)
    with kernel.using_backend("compiled") as name:
        assert name == "compiled"
        kernel.bargaining_round(x, c, s, rng)  # compile or load from the cache first
        out = benchmark(kernel.bargaining_round, x, c, s, rng)
    assert out["x"].shape == (ISSUES, ACTORS)


def test_kernel_round_numpy(benchmark, round_inputs):
    x, c, s = round_inputs
    rng = np.random.default_rng(0)
    with kernel.using_backend("numpy"):
        out = benchmark(kernel.bargaining_round, x, c, s, rng)
    assert out["x"].shape == (ISSUES, ACTORS)


def test_kernel_round_reference(benchmark, round_inputs):
    x, c, s = (a.tolist() for a in round_inputs)
    rng = np.random.default_rng(0)
    out = benchmark(ref.bargaining_round, x, c, s, rng)
    assert len(out["x"]) == ISSUES


def _per_call_times(call, number, repeat):
    """``repeat`` timings of ``number`` calls each, in seconds per call (CPU time of this
    process, so that time spent waiting for a core on a shared machine is not counted)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            call()
        times.append((time.process_time() - start) / number)
    return times


def test_kernel_round_speedup(benchmark, round_inputs):
    """Compiled, numpy and reference rounds timed alternately in one process.

    Each is timed in 7 passes of blocks of calls (CPU time per call); min and median are kept
    per implementation, and the ratios are min/min and median/median. The results go to
    ``extra_info`` and are printed with the machine's load average. The benchmark itself times
    the compiled round.
    """
    x, c, s = round_inputs
    lists = [a.tolist() for a in round_inputs]
    rng = np.random.default_rng(0)
    times = {"compiled": [], "numpy": [], "reference": []}
    load_before = os.getloadavg()
    with kernel.using_backend("compiled"):
        kernel.bargaining_round(x, c, s, rng)
    def round_call():
        return kernel.bargaining_round(x, c, s, rng)

    for _ in range(7):
        with kernel.using_backend("compiled"):
            times["compiled"] += _per_call_times(round_call, 200, 1)
        with kernel.using_backend("numpy"):
            times["numpy"] += _per_call_times(round_call, 30, 1)
        times["reference"] += _per_call_times(lambda: ref.bargaining_round(*lists, rng), 2, 1)
    load_after = os.getloadavg()
    low = {k: min(v) for k, v in times.items()}
    mid = {k: statistics.median(v) for k, v in times.items()}
    info = benchmark.extra_info
    for key in times:
        info[f"{key}_min_us"] = round(low[key] * 1e6, 1)
        info[f"{key}_median_us"] = round(mid[key] * 1e6, 1)
    info["compiled_speedup_min"] = round(low["reference"] / low["compiled"], 1)
    info["compiled_speedup_median"] = round(mid["reference"] / mid["compiled"], 1)
    info["numpy_speedup_min"] = round(low["reference"] / low["numpy"], 1)
    info["numpy_speedup_median"] = round(mid["reference"] / mid["numpy"], 1)
    info["compiled_over_numpy_min"] = round(low["numpy"] / low["compiled"], 1)
    info["load_average_1_5_15"] = [round(v, 2) for v in load_after]
    print(
        f"\nkernel round {ISSUES} issues x {ACTORS} actors, CPU time per round (min / median):"
        f"\n  compiled  {low['compiled'] * 1e6:8.1f} / {mid['compiled'] * 1e6:8.1f} us"
        f"\n  numpy     {low['numpy'] * 1e6:8.1f} / {mid['numpy'] * 1e6:8.1f} us"
        f"\n  reference {low['reference'] * 1e6:8.1f} / {mid['reference'] * 1e6:8.1f} us"
        f"\n  compiled vs reference {info['compiled_speedup_min']}x (min) "
        f"{info['compiled_speedup_median']}x (median); numpy vs reference "
        f"{info['numpy_speedup_min']}x / {info['numpy_speedup_median']}x; compiled vs numpy "
        f"{info['compiled_over_numpy_min']}x"
        f"\n  load average before {tuple(round(v, 2) for v in load_before)}, "
        f"after {tuple(round(v, 2) for v in load_after)} (1, 5, 15 min; 2 cores)"
    )
    with kernel.using_backend("compiled"):
        benchmark(kernel.bargaining_round, x, c, s, rng)
    assert info["numpy_speedup_min"] >= MIN_SPEEDUP_NUMPY
    assert info["compiled_speedup_min"] >= MIN_SPEEDUP_COMPILED


START_PROBE = """
import time
start = time.perf_counter()
import numpy as np
from sim import kernel
numpy_done = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.random((7, 18))
kernel.bargaining_round(x, rng.random(18), rng.random((7, 18)), rng)
done = time.perf_counter()
print(kernel.backend(), numpy_done - start, done - numpy_done, time.process_time())
"""


def _start(env: dict) -> tuple[str, float, float, float]:
    """Start a fresh Python, import the kernel and run one round; return (backend, import s,
    first round s, total CPU s)."""
    dropped = ("NUMBA_CACHE_DIR", "GREATPOWER_KERNEL")
    full = {k: v for k, v in os.environ.items() if k not in dropped}
    full.update(env)
    full["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", START_PROBE], capture_output=True, text=True, env=full, cwd=ROOT,
        timeout=900, check=True,
    )
    name, imported, first, cpu = done.stdout.split()
    return name, float(imported), float(first), float(cpu)


def test_kernel_compile_and_start(benchmark):
    """Cold compile, warm start and the start without numba, each in a fresh process.

    The cold start compiles every core into an empty cache folder; the warm starts (3, median)
    load them from it; the numpy starts (3, median) never import numba. The added start time
    of the compiled kernel is warm minus numpy (import plus first round).
    """
    with tempfile.TemporaryDirectory() as folder:
        env = {"NUMBA_CACHE_DIR": folder}
        cold = benchmark.pedantic(_start, args=(env,), rounds=1, iterations=1)
        warm = [_start(env) for _ in range(3)]
    plain = [_start({"GREATPOWER_KERNEL": "numpy"}) for _ in range(3)]
    assert cold[0] == "compiled" and plain[0][0] == "numpy"
    warm_total = statistics.median(w[1] + w[2] for w in warm)
    plain_total = statistics.median(p[1] + p[2] for p in plain)
    info = benchmark.extra_info
    info["cold_compile_s"] = round(cold[2], 2)
    info["cold_compile_cpu_s"] = round(cold[3], 2)
    info["warm_first_round_s"] = round(statistics.median(w[2] for w in warm), 3)
    info["numpy_first_round_s"] = round(statistics.median(p[2] for p in plain), 3)
    info["added_start_s"] = round(warm_total - plain_total, 3)
    info["added_start_cpu_s"] = round(
        statistics.median(w[3] for w in warm) - statistics.median(p[3] for p in plain), 3
    )
    info["load_average_1_5_15"] = [round(v, 2) for v in os.getloadavg()]
    print(
        f"\ncold compile (first round, empty cache): {cold[2]:.1f} s wall, process CPU "
        f"{cold[3]:.1f} s; warm start adds {info['added_start_s']:.2f} s wall, "
        f"{info['added_start_cpu_s']:.2f} s CPU, to a process that imports the kernel and "
        f"runs one round (first round {info['warm_first_round_s']:.3f} s "
        f"warm, {info['numpy_first_round_s']:.3f} s numpy); load average "
        f"{info['load_average_1_5_15']}"
    )
    print(json.dumps(info))

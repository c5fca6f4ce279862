"""Start-up: ``python run.py run scenarios/baseline_2021.yaml --turns 1 --quiet`` as a user runs it.

Each round is a fresh interpreter (a subprocess), so the figure is the whole wall time a user
waits: imports, reading the scenario, loading the compiled kernel from numba's cache, one turn and
the tables. Issue 11's goal is at most 1 s on a quiet machine with the caches warm; the benchmark
warms them first (one untimed run), and also reports the CPU time of the rounds (user + system),
which varies less than the wall time on a shared machine. The same command with a cold parse
cache (an unwritable cache folder, so the YAML is read every time) shows what the parse cache saves.
``run.py --help`` and ``run.py validate scenarios/baseline_2021.yaml`` are timed too: neither loads
the model (nor numba), and help loads no scenario reader either.

Run from the project root (it spawns about 24 processes; on a shared machine run it alone)::

    python -m pytest benchmarks/bench_startup.py --benchmark-only
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "run.py", "run", "scenarios/baseline_2021.yaml", "--turns", "1", "--quiet"]
HELP = [sys.executable, "run.py", "--help"]
VALIDATE = [sys.executable, "run.py", "validate", "scenarios/baseline_2021.yaml"]


def _run(env: dict[str, str], command: list[str] = COMMAND) -> None:
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _measure(benchmark, env: dict[str, str], rounds: int = 5, command: list[str] = COMMAND) -> None:
    _run(env, command)  # warm numba's cache and the parse cache (if it can be written)
    before = _cpu()
    benchmark.pedantic(_run, args=(env, command), rounds=rounds, iterations=1)
    benchmark.extra_info["cpu_seconds_per_run"] = round((_cpu() - before) / rounds, 3)
    benchmark.extra_info["load_average"] = os.getloadavg()[0]


def test_one_turn_run_warm_caches(benchmark):
    _measure(benchmark, {**os.environ, "PYTHONPATH": str(ROOT)})


def test_one_turn_run_without_the_parse_cache(benchmark, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(blocker / "cache")}
    _measure(benchmark, env)  # numba's cache stays where it was (the package's __pycache__)


def test_help(benchmark):
    _measure(benchmark, {**os.environ, "PYTHONPATH": str(ROOT)}, command=HELP)


def test_validate_baseline_warm_parse_cache(benchmark):
    _measure(benchmark, {**os.environ, "PYTHONPATH": str(ROOT)}, command=VALIDATE)


if __name__ == "__main__":  # pragma: no cover - a quick look without pytest
    sys.exit(pytest.main([__file__, "--benchmark-only"]))

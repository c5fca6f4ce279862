"""Sweep benchmarks (issue: Monte Carlo sweeps). A script, not a test: it takes minutes.

    python benchmarks/sweep_bench.py throughput --runs 100 --turns 36
    python benchmarks/sweep_bench.py memory --runs 1000 --turns 36
    python benchmarks/sweep_bench.py batchrun --runs 40 --turns 36
    python benchmarks/sweep_bench.py all

- throughput: runs per second of the baseline with 1 worker (in process) and 2 worker processes
  (and the Dask LocalCluster with 2 workers), wall time from start to compacted results; parallel
  efficiency = rate(2) / (2 x rate(1)).
- memory: peak resident memory of the whole process tree (the command and its workers, summed,
  sampled every 0.25 s with psutil) of ``run.py sweep --per-turn --workers 2``, its wall time,
  and the CPU time of all its processes and of the command's own (parent) process.
- batchrun: the same sweep through ``mesa.batch_run`` (as a user would call it on the plain model
  with a scenario path, and with :class:`sweep.mesa_compat.SweepModel`, which reads the scenario
  once per process and skips the decision log) against ``run.py sweep``, 2 processes each.

Each prints one line per measurement and a closing table; the machine's load average is printed
too, because other work on a 2-core machine changes every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BASELINE = str(REPO / "scenarios" / "baseline_2021.yaml")
GRID = "actors.USA.threat.CHN=0.5,0.9"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class CpuMeter:
    """CPU seconds (user + system) of this process and all its descendants, sampled every 0.1 s.

    Workers forked by a forkserver are grandchildren, hence the recursive walk; a process's last
    sample before it exits is kept, so at most ~0.1 s per process goes uncounted.
    """

    def __init__(self) -> None:
        import threading

        import psutil

        self.me = psutil.Process()
        self.seen: dict[int, float] = {}
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        import psutil

        for q in self.me.children(recursive=True):
            try:
                t = q.cpu_times()
                self.seen[q.pid] = max(self.seen.get(q.pid, 0.0), t.user + t.system)
            except psutil.Error:
                pass

    def _loop(self) -> None:
        while not self.stop_flag.wait(0.1):
            self._sample()

    def __enter__(self) -> CpuMeter:
        t = self.me.cpu_times()
        self.own0 = t.user + t.system
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_flag.set()
        self.thread.join()
        t = self.me.cpu_times()
        self.own = t.user + t.system - self.own0
        self.children = sum(self.seen.values())

    @property
    def total(self) -> float:
        return self.own + self.children


def _sweep(runs: int, turns: int, workers: int, executor: str = "local", per_turn: bool = False, pool: bool = False) -> tuple[float, float, float]:
    """Run a sweep of ``runs`` runs (2 grid points) through the Python API.

    Args:
        pool: with one worker, use one worker process (as with two) instead of this process.

    Returns:
        ``(wall seconds, runs per wall second, CPU seconds of all processes)``.
    """
    import sim.sweep.runner
    from sim.sweep.executors import LocalExecutor, make_executor
    from sim.sweep.runner import SweepOptions, plan_sweep, run_sweep

    sim.sweep.runner.make_executor = (lambda kind, bundle, w, sch=None, sm=None: LocalExecutor(bundle, w, sm)) if pool else make_executor

    out = Path(tempfile.mkdtemp(prefix="sweepbench-")) / "out"
    try:
        plan = plan_sweep(BASELINE, runs // 2, seed=1, grids=[GRID], turns=turns, per_turn=per_turn)
        with CpuMeter() as cpu:
            t0 = time.perf_counter()
            res = run_sweep(plan, SweepOptions(out=out, workers=workers, executor=executor))
            dt = time.perf_counter() - t0
        assert res.status == "complete", res
        return dt, res.done / dt, cpu.total
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def throughput(runs: int, turns: int, dask: bool = True) -> dict:
    """Wall-clock rates at 1 and 2 workers, and the CPU each needs (to see overhead apart from load)."""
    print(f"# throughput: {runs} runs of {turns} turns (load average {_load()})", flush=True)
    out = {}
    dt0, r0, c0 = _sweep(runs, turns, 1)
    print(f"1 worker (in this process, the --workers 1 default): {dt0:.1f} s, {r0:.2f} runs/s; CPU {c0:.1f} s ({c0 / runs * 1000:.0f} ms/run)", flush=True)
    dt1, r1, c1 = _sweep(runs, turns, 1, pool=True)
    print(f"1 worker process: {dt1:.1f} s, {r1:.2f} runs/s; CPU {c1:.1f} s ({c1 / runs * 1000:.0f} ms/run, all processes)", flush=True)
    dt2, r2, c2 = _sweep(runs, turns, 2)
    print(f"2 worker processes: {dt2:.1f} s, {r2:.2f} runs/s; CPU {c2:.1f} s ({c2 / runs * 1000:.0f} ms/run, all processes)", flush=True)
    out.update({"rate_in_process": r0, "rate_1": r1, "rate_2": r2, "efficiency": r2 / (2 * r1), "cpu_efficiency": c1 / c2})
    print(f"parallel efficiency, wall clock, 2 processes against 1: {out['efficiency']:.3f} (load average now {_load()})", flush=True)
    print(f"parallel efficiency, CPU (CPU of 1 worker process / CPU of 2 and the parent): {out['cpu_efficiency']:.3f}", flush=True)
    if dask:
        dtd, rd, cd = _sweep(runs, turns, 2, "dask")
        print(f"Dask LocalCluster, 2 workers: {dtd:.1f} s, {rd:.2f} runs/s (includes cluster start); CPU {cd:.1f} s", flush=True)
        out["rate_dask"] = rd
    print(f"10,000 runs at the 2-worker rate: {10000 / r2 / 60:.1f} min (extrapolated); at 2 x the 1-worker rate: {10000 / (2 * r1) / 60:.1f} min", flush=True)
    return out


def memory(runs: int, turns: int) -> tuple[float, float]:
    """Peak memory of ``run.py sweep --per-turn --workers 2`` and all its processes, in MiB.

    Returns:
        ``(peak of summed RSS, peak of summed PSS)``. RSS counts pages that forked workers share
        with their forkserver once per process; PSS (proportional set size) splits them, so its
        sum is what the sweep really occupies.
    """
    import psutil

    out = Path(tempfile.mkdtemp(prefix="sweepbench-")) / "out"
    err = out.parent / "stderr.txt"
    cmd = [sys.executable, "run.py", "sweep", BASELINE, "--runs", str(runs // 2), "--grid", GRID, "--turns", str(turns), "--per-turn", "--workers", "2", "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    t0 = time.perf_counter()
    with open(err, "w") as ferr:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=ferr)
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}  # last CPU seconds seen of each process of the tree
    try:
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                tree = [p, *p.children(recursive=True)]
            except psutil.Error:
                tree = []
            rss = pss = 0
            for q in tree:
                try:
                    mi = q.memory_full_info()
                    rss += mi.rss
                    pss += mi.pss
                    t = q.cpu_times()
                    cpu[q.pid] = max(cpu.get(q.pid, 0.0), t.user + t.system)
                except psutil.Error:
                    pass
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.25)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            print(err.read_text()[-2000:])
            raise SystemExit(f"the sweep exited with status {proc.returncode}")
        size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(out.parent, ignore_errors=True)
    rss_mib, pss_mib = peak_rss / 2**20, peak_pss / 2**20
    total_cpu, parent_cpu = sum(cpu.values()), cpu.get(proc.pid, 0.0)
    print(f"memory: {runs} runs of {turns} turns with --per-turn, 2 workers: peak {pss_mib:.0f} MiB PSS ({rss_mib:.0f} MiB summed RSS) over all processes; {dt:.0f} s; results {size / 2**20:.1f} MiB (load average {_load()})", flush=True)
    print(f"CPU of all processes (sampled every 0.25 s): {total_cpu:.1f} s ({total_cpu / runs * 1000:.0f} ms/run), of which the command's own process {parent_cpu:.1f} s", flush=True)
    return rss_mib, pss_mib


def _batch_run_plain(runs: int, turns: int) -> float:
    import mesa

    from sim.model import GreatPowerModel

    t0 = time.perf_counter()
    rows = mesa.batch_run(GreatPowerModel, {"scenario": BASELINE, "seed": range(runs), "turns": turns}, number_processes=2, display_progress=False)
    dt = time.perf_counter() - t0
    assert len(rows) == runs
    return dt


def _batch_run_cached(runs: int, turns: int) -> float:
    import mesa

    from sim.sweep.mesa_compat import SweepModel

    t0 = time.perf_counter()
    rows = mesa.batch_run(SweepModel, {"scenario": BASELINE, "actors.USA.threat.CHN": [0.5, 0.9], "seed": range(runs // 2), "turns": turns}, number_processes=2, display_progress=False)
    dt = time.perf_counter() - t0
    assert len(rows) == runs
    return dt


def batchrun(runs: int, turns: int) -> dict:
    print(f"# mesa.batch_run against run.py sweep: {runs} runs of {turns} turns, 2 processes each (load average {_load()})", flush=True)
    ours, _, _ = _sweep(runs, turns, 2)
    print(f"run.py sweep --workers 2: {ours:.1f} s", flush=True)
    plain = _batch_run_plain(runs, turns)
    print(f"mesa.batch_run(GreatPowerModel, scenario path): {plain:.1f} s ({plain / ours:.1f}x ours)", flush=True)
    cached = _batch_run_cached(runs, turns)
    print(f"mesa.batch_run(SweepModel, scenario read once per process, reasons off): {cached:.1f} s ({cached / ours:.2f}x ours)", flush=True)
    return {"ours": ours, "plain": plain, "cached": cached}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["throughput", "memory", "batchrun", "all"])
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--turns", type=int, default=36)
    ap.add_argument("--no-dask", action="store_true")
    a = ap.parse_args()
    if a.what in ("throughput", "all"):
        throughput(a.runs or 100, a.turns, dask=not a.no_dask)
    if a.what in ("memory", "all"):
        if a.runs:
            memory(a.runs, a.turns)
        else:
            memory(1000, 36)
            memory(10000, 3)
    if a.what in ("batchrun", "all"):
        batchrun(a.runs or 40, a.turns)


if __name__ == "__main__":
    main()

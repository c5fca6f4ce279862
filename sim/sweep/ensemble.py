"""Ensembles of traced runs reduced to numbers: the engine of ``run.py validity`` and ``backtest``.

A :class:`Job` is one scenario variant (a validated scenario, with its overrides applied), its
seeds, a horizon, and a *reducer*: a picklable function (a module-level function or a
``functools.partial`` of one) from a run's :class:`~sim.trace.Trace` to plain data. Runs go to
local worker processes (``concurrent.futures.ProcessPoolExecutor``, started with ``forkserver``
where available, as the sweep's local executor does) or, with one worker, run in this process.
Seeds are fixed before any run starts (:func:`sim.sweep.plan.run_seeds`: children of
``numpy.random.SeedSequence(master)``), so results depend only on the jobs, never on the
worker count or the order in which runs finish.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

CHUNK = 8
"""Runs per task sent to a worker."""


@dataclass(frozen=True)
class Job:
    """One scenario variant to run over several seeds.

    Attributes:
        key: a name for the job (a variant such as ``baseline`` or ``F9 off``).
        scenario: the validated :class:`~sim.schema.Scenario`.
        seeds: the runs' seeds, in order.
        reducer: ``Trace -> data`` (picklable).
        turns: horizon override (``None``: the scenario's).
        reasons: log AI decisions' scores (slower; for measures of decisions).
    """

    key: str
    scenario: Any
    seeds: tuple[int, ...]
    reducer: Callable
    turns: int | None = None
    reasons: bool = False


_JOBS: list[Job] = []


def _init(jobs: list[Job], main_pid: int) -> None:
    """Worker initializer: keep the jobs, leave Ctrl-C to the main process, end with it.

    Under ``forkserver`` a worker's parent is the fork server, which may outlive the main
    process, so each worker watches the main process itself (as the sweep's workers do,
    :func:`sim.sweep.worker._watch_main`), even when it is killed with SIGKILL.
    """
    global _JOBS
    import signal
    import threading

    from sim.sweep.worker import _watch_main

    _JOBS = jobs
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    threading.Thread(target=_watch_main, args=(main_pid,), daemon=True, name="watch-main").start()


def _run_task(task: tuple[int, int, int]) -> tuple[int, int, list]:
    j, lo, hi = task
    return j, lo, _run_slice(_JOBS[j], lo, hi)


def _run_slice(job: Job, lo: int, hi: int) -> list:
    from sim.trace import run_trace, scenario_info

    info = scenario_info(job.scenario, job.turns)
    return [job.reducer(run_trace(job.scenario, seed, job.turns, job.reasons, info)) for seed in job.seeds[lo:hi]]


def run_jobs(jobs: list[Job], workers: int = 1, progress: Callable[[int], None] | None = None) -> dict[str, list]:
    """Run every job's seeds and reduce each run.

    Args:
        jobs: the jobs (distinct keys).
        workers: worker processes; 1 runs everything in this process.
        progress: called with the number of runs just finished.

    Returns:
        ``{job.key: [reduced run, ...]}``, runs in seed order.

    Raises:
        ValueError: two jobs share a key.
        Exception: whatever a run or a reducer raises (the pool is shut down first).
    """
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("jobs need distinct keys")
    out: dict[str, list] = {j.key: [None] * len(j.seeds) for j in jobs}
    tasks = [(k, lo, min(lo + CHUNK, len(j.seeds))) for k, j in enumerate(jobs) for lo in range(0, len(j.seeds), CHUNK)]
    if workers <= 1:
        for k, lo, hi in tasks:
            out[jobs[k].key][lo:hi] = _run_slice(jobs[k], lo, hi)
            if progress:
                progress(hi - lo)
        return out
    for k, lo, res in _pool_results(jobs, tasks, workers):
        out[jobs[k].key][lo : lo + len(res)] = res
        if progress:
            progress(len(res))
    return out


def _pool_results(jobs: list[Job], tasks: list, workers: int) -> Iterator[tuple[int, int, list]]:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["sim.model", "sim.trace", "sim.sweep.warm"])  # warm: the compiled code loaded once for all workers
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init, initargs=(jobs, os.getpid()))
    try:
        it = iter(tasks)
        inflight: set = set()

        def fill() -> None:
            while len(inflight) < 4 * workers:
                t = next(it, None)
                if t is None:
                    return
                inflight.add(pool.submit(_run_task, t))

        fill()
        while inflight:
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for f in done:
                inflight.discard(f)
                yield f.result()
            fill()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


_SOURCES: dict[str, tuple[tuple, Any]] = {}


def _stamps(files: list[str]) -> tuple | None:
    """``(path, size, modification time)`` of each file, or None if one cannot be examined."""
    out = []
    for f in files:
        try:
            st = Path(f).stat()
        except (OSError, ValueError):
            return None
        out.append((str(Path(f).resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def load_source(path: str | Path):
    """A scenario file's :class:`~sim.loader.ScenarioSource`, parsed once per process.

    The pure-Python YAML reader takes seconds on a large scenario; a study (and a test session)
    reads the same files many times. A kept source is used again only while the file and every
    file of its ``extends`` chain have the path, size and modification time they had when read,
    so an edited file, or an edited base of an unedited file, is read again.

    Raises:
        sim.loader.ScenarioError: the file is unreadable or malformed.
    """
    from sim.loader import read_file, read_source

    key = str(Path(path).resolve())
    kept = _SOURCES.get(key)
    if kept is not None and kept[0] is not None and _stamps([d.file for d in kept[1].documents]) == kept[0]:
        return kept[1]
    before = _stamps([str(path)])
    src = read_source(read_file(path), str(path))
    stamps = _stamps([d.file for d in src.documents])
    if before is not None and stamps is not None and stamps[0] == before[0]:
        _SOURCES[key] = (stamps, src)  # (a base edited while reading is read again next time)
    return src


def variant(source, assignments: list[str], base: dict | None = None):
    """A validated scenario with dotted-path assignments made (``path=value``; ``path=null`` deletes).

    ``path=value`` goes through :mod:`sim.sweep.overrides` (the path must name a value in the
    scenario, the value is checked by the schema); ``path=null`` deletes a mapping key, as
    ``null`` does in a scenario's ``extends`` (e.g. ``actors.RUS.beliefs.bloc_leader.NATO=null``).

    Args:
        source: the scenario's :class:`~sim.loader.ScenarioSource`.
        assignments: the assignments.
        base: ``source.validate().model_dump()`` if already at hand (saves validating again).

    Returns:
        The validated :class:`~sim.schema.Scenario`.

    Raises:
        sim.sweep.overrides.OverrideError: an unknown path, a bad value, or a scenario the
            assignments make invalid (one message per problem).
    """
    import copy

    from sim.loader import ScenarioError
    from sim.sweep.overrides import OverrideError, apply, parse_value, resolve

    base = base if base is not None else source.validate().model_dump()
    data = copy.deepcopy(source.data)
    sets, msgs = [], []
    for text in assignments:
        path, eq, raw = text.partition("=")
        if not eq:
            msgs.append(f"{text}: expected path=value")
            continue
        try:
            target = resolve(path, base)
        except ValueError as exc:
            msgs.append(f"{text}: {exc}")
            continue
        if raw.strip() == "null":
            node = data
            parts = target.parts
            for p in parts[:-1]:
                node = node[p] if isinstance(node, list) else next(v for k, v in node.items() if str(k) == str(p))
            if isinstance(node, dict):
                for k in list(node):
                    if str(k) == str(parts[-1]):
                        del node[k]
            else:
                msgs.append(f"{text}: only a mapping key can be deleted")
            continue
        try:
            sets.append((target, parse_value(raw, target)))
        except ValueError as exc:
            msgs.append(f"{text}: {exc}")
    if msgs:
        raise OverrideError(msgs)
    data = apply(data, sets)
    try:
        return source.validate(data)
    except ScenarioError as exc:
        raise OverrideError([f"{', '.join(assignments)}: {p.path}: {p.message}" for p in exc.problems]) from None

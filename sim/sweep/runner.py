"""Run a sweep: plan it, check it, execute it in batches, keep every result, summarise it.

Python use (the command line is a thin layer over this)::

    from sim.sweep.runner import SweepOptions, plan_sweep, run_sweep

    plan = plan_sweep("scenarios/baseline_2021.yaml", runs=100, seed=1, turns=36,
                      grids=["actors.USA.threat.CHN=0.5,0.9"])
    result = run_sweep(plan, SweepOptions(out="results/usa_chn", workers=2))
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from sim.loader import content_hash, read_file, read_source
from sim.sweep.code import code_hash, short
from sim.sweep.executors import NO_WORKER_GRACE, ExecutorError, default_workers, make_executor, prestart
from sim.sweep.overrides import MAX_RUNS, OverrideError, build_grid, check_grid, parse_flags
from sim.sweep.plan import SEEDING, RunSpec, SweepPlan, data_hash, design_seed
from sim.sweep.store import MANIFEST, Store, StoreError
from sim.sweep.worker import FAIL_ENV, Bundle

ROOT = Path(__file__).resolve().parents[2]
RESULT_AFFECTING = ("python", "greatpower", "git_commit", "numpy", "mesa", "pydantic")
"""Versions whose change may change a run's result (a ``--resume`` warns about them)."""
VERSIONED = ("greatpower", "numpy", "mesa", "pydantic", "ruamel.yaml", "pandas", "pyarrow", "click", "rich", "dask", "distributed", "matplotlib")


class SweepUsageError(Exception):
    """A sweep that cannot start as asked; ``messages`` are lines for the user (exit status 2)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


def fail_runs_from_env(env: dict | None = None) -> frozenset[int]:
    """Run ids of the failure-injection test hook (``GREATPOWER_SWEEP_FAIL_RUNS="3,5"``).

    Raises:
        SweepUsageError: the variable is set but is not a list of whole numbers.
    """
    raw = (env if env is not None else os.environ).get(FAIL_ENV, "").strip()
    if not raw:
        return frozenset()
    try:
        return frozenset(int(x) for x in raw.split(",") if x.strip())
    except ValueError:
        raise SweepUsageError([f"{FAIL_ENV}={raw}: expected run ids such as 3,5"]) from None


def plan_sweep(
    scenario: str,
    runs: int,
    seed: int = 0,
    sets: list[str] | tuple[str, ...] = (),
    grids: list[str] | tuple[str, ...] = (),
    turns: int | None = None,
    per_turn: bool = False,
    fail_runs: frozenset[int] = frozenset(),
    *,
    ranges: list[str] | tuple[str, ...] = (),
    choices: list[str] | tuple[str, ...] = (),
    sample: str | None = None,
    points: int | None = None,
    design_file: str | None = None,
    common_seeds: bool = False,
) -> SweepPlan:
    """Read the scenario once, parse and check every override and design point.

    Args:
        scenario: path of a scenario file.
        runs: runs per point (>= 1).
        seed: master seed (>= 0).
        sets: ``path=value`` overrides.
        grids: ``path=v1,v2,...`` axes (a grid: the product of the axes).
        turns: horizon override (``None``: the scenario's ``turns``).
        per_turn: also keep one row per turn.
        fail_runs: run ids that raise on purpose (test hook).
        ranges: ``path=lo:hi`` variables of a sampled design.
        choices: ``path=a,b,...`` variables of a sampled design.
        sample: ``lhs``, ``sobol`` or ``morris`` (with ``ranges``/``choices`` and ``points``).
        points: K (see :mod:`sim.sweep.design`).
        design_file: a CSV file of design points (one row per point, one column per path).
        common_seeds: every point gets the same seeds (common random numbers).

    Returns:
        The :class:`~sweep.plan.SweepPlan`.

    Raises:
        sim.loader.ScenarioError: the scenario file is unreadable or invalid.
        sweep.overrides.OverrideError: a bad ``--set``/``--grid``/``--range``/``--choice``/
            ``--design``, flags that do not go together, or more than
            :data:`~sim.sweep.overrides.MAX_POINTS` points or :data:`~sim.sweep.overrides.MAX_RUNS`
            runs (one message per problem).
    """
    from sim.sweep.design import file_grid, parse_variables, sampled_grid

    text = read_file(scenario)
    source = read_source(text, scenario)
    base = source.validate()
    dump = base.model_dump()
    kinds = [name for name, given in (("--grid", grids), ("--sample", sample), ("--design", design_file)) if given]
    if len(kinds) > 1:
        raise OverrideError([f"{' and '.join(kinds)} do not go together: a sweep has one design"])
    if (ranges or choices) and not sample:
        raise OverrideError(["--range and --choice need --sample lhs|sobol|morris (and --points K)"])
    if sample and not points:
        raise OverrideError([f"--sample {sample} needs --points K"])
    if points and not sample:
        raise OverrideError(["--points needs --sample lhs|sobol|morris"])
    design = None
    if sample:
        overrides = parse_flags(list(sets), [], dump)
        variables = parse_variables(list(ranges), list(choices), dump)
        clash = {o.target.path for o in overrides} & {v.target.path for v in variables}
        if clash:
            raise OverrideError([f"{p}: both --set and a sampled variable" for p in sorted(clash)])
        grid, design = sampled_grid(overrides, variables, sample, int(points), design_seed(seed))
    elif design_file:
        grid, design = file_grid(design_file, parse_flags(list(sets), [], dump), dump)
    else:
        grid = build_grid(parse_flags(list(sets), list(grids), dump))
    if len(grid.points) * runs > MAX_RUNS:
        raise OverrideError([f"--runs {runs}: {len(grid.points):,} point(s) x {runs:,} runs = {len(grid.points) * runs:,} runs is more than {MAX_RUNS:,}"])
    check_grid(source, grid)
    units = {o.target.path: u for o in grid.sets + grid.axes if (u := unit_of(dump, o.target.parts))}
    return SweepPlan(
        scenario_file=scenario,
        scenario_name=base.name,
        base_data=source.data,
        scenario_hash=data_hash(source.data),
        text_hash=content_hash(text),
        grid=grid,
        runs_per_point=runs,
        master_seed=seed,
        turns=turns,
        per_turn=per_turn,
        fail_runs=frozenset(fail_runs),
        design=design,
        common_seeds=common_seeds,
        units=units,
        outcome_specs=[o.model_dump(mode="json", exclude_defaults=True) for o in base.outcomes],
        turn_months=int(base.turn_months),
    )


def unit_of(validated: dict, parts: tuple) -> str | None:
    """The ``unit`` the scenario gives the quantity at ``parts`` (``None`` if it gives none)."""
    node: Any = validated
    for p in parts:
        if isinstance(node, dict):
            node = node.get(p, node.get(str(p)))
        elif isinstance(node, list) and isinstance(p, int) and p < len(node):
            node = node[p]
        else:
            return None
    return node.get("unit") if isinstance(node, dict) else None


@dataclass
class SweepOptions:
    """How to run a sweep (none of this changes its results).

    Attributes:
        out: the sweep directory.
        workers: worker processes (``None``: the CPUs available).
        executor: ``local`` or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``); ``None`` starts a LocalCluster.
        resume: continue the sweep already in ``out``.
        batch_size: commit to disk after this many runs ...
        flush_seconds: ... or after this many seconds with results waiting, whichever is first.
        chunk_size: runs per task (``None``: chosen from the sweep size and worker count).
        start_method: local worker start method (``forkserver`` or ``spawn``; ``None``: the default).
        dask_grace: seconds a Dask sweep waits for a worker when the cluster has none left.
        write_csv: also write ``runs.csv`` (and ``turns.csv``) in tidy long format at the end.
    """

    out: str | Path
    workers: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    resume: bool = False
    batch_size: int = 500
    flush_seconds: float = 10.0
    chunk_size: int | None = None
    start_method: str | None = None
    dask_grace: float = NO_WORKER_GRACE
    write_csv: bool = False


@dataclass
class SweepResult:
    """What a sweep command did.

    Attributes:
        status: ``complete``, ``complete_with_failures``, ``interrupted`` or ``error``.
        n_runs: runs in the sweep.
        done: runs with a result (all sessions).
        failed: runs whose last attempt failed.
        ran: runs attempted in this session.
        seconds: wall time of this session.
        message: for ``error``, what went wrong.
    """

    status: str
    n_runs: int
    done: int
    failed: int
    ran: int
    seconds: float
    out: Path
    message: str = ""
    failures: list[dict] = field(default_factory=list)

    @property
    def runs_per_second(self) -> float:
        """Runs made per second of wall time in this session."""
        return self.ran / self.seconds if self.seconds > 0 else 0.0


class Progress:
    """What the runner reports while it works (the command line shows a bar; the default is silent)."""

    def start(self, total: int, completed: int) -> None:
        """``total`` runs, ``completed`` of them already done in an earlier session."""

    def advance(self, ok: int, failed: int) -> None:
        """``ok`` more runs finished and ``failed`` more failed."""

    def stop(self) -> None:
        """The sweep is over (or interrupted)."""


def versions() -> dict[str, Any]:
    """Versions of Python, the project and its main libraries, and the project's git commit."""
    import importlib.metadata as md

    out: dict[str, Any] = {"python": platform.python_version()}
    for pkg in VERSIONED:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        if commit.returncode == 0:
            out["git_commit"] = commit.stdout.strip()
            out["git_dirty"] = bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _jsonable(x: Any) -> Any:
    return json.loads(json.dumps(x))


def _identity_differences(old: dict, new: dict) -> list[str]:
    """What differs between a sweep's identity and a command's (``--runs`` may grow)."""
    names = {
        "scenario_hash": "the scenario's content",
        "sets": "the --set overrides",
        "grid": "the --grid axes",
        "design": "the design (--sample, --range, --choice, --points, --design)",
        "runs_per_point": "--runs",
        "master_seed": "--seed",
        "common_seeds": "--common-seeds",
        "turns": "--turns",
        "per_turn": "--per-turn",
    }
    out = []
    for k, label in names.items():
        a, b = old.get(k), new.get(k)
        if k in ("design", "common_seeds") and a is None and not b:
            continue  # a sweep made before designs existed
        if k == "runs_per_point" and isinstance(a, int) and isinstance(b, int) and b >= a:
            continue  # more runs per point: the old runs keep their ids and seeds
        if a != b:
            if k == "runs_per_point":
                out.append(f"--runs: the sweep has {a} runs per point; --resume can add runs (--runs {a} or more), not remove them")
            else:
                out.append(f"{label}: the sweep has {json.dumps(a)}, this command gives {json.dumps(b)}")
    return out


def _chunks(specs: Iterator[RunSpec], size: int) -> Iterator[list[RunSpec]]:
    chunk: list[RunSpec] = []
    for s in specs:
        chunk.append(s)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bundle(plan: SweepPlan) -> Bundle:
    key = data_hash({"identity": plan.identity(), "fail": sorted(plan.fail_runs)})
    return Bundle(key=key, base_data=plan.base_data, points=plan.point_assignments(), turns=plan.turns, per_turn=plan.per_turn, fail_runs=plan.fail_runs, code=code_hash())


def _manifest(plan: SweepPlan) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": "greatpower-sweep",
        "identity": _jsonable(plan.identity()),
        "scenario": {"file": plan.scenario_file, "name": plan.scenario_name, "data_sha256": plan.scenario_hash, "text_sha256": plan.text_hash},
        "code_sha256": code_hash(),
        "code_hashed": "SHA-256 over the sim package's .py files in sorted order of their relative paths (path, length, bytes of each)",
        "grid": {
            "sets": [{"path": o.target.path, "value": o.values[0]} for o in plan.grid.sets],
            "axes": [{"path": a.target.path, "values": list(a.values), "kind": a.flag.lstrip("-"), "unit": plan.units.get(a.target.path)} for a in plan.grid.axes],
            "points": [{"point": k, "params": plan.grid.params(k)} for k in range(plan.n_points)],
        },
        "design": None if plan.design is None else _jsonable(plan.design),
        "units": dict(plan.units),
        "outcomes": _jsonable(plan.outcome_specs),
        "turn_months": plan.turn_months,
        "runs_per_point": plan.runs_per_point,
        "n_points": plan.n_points,
        "n_runs": plan.n_runs,
        "master_seed": plan.master_seed,
        "common_seeds": plan.common_seeds,
        "seeding": SEEDING,
        "turns": plan.turns,
        "per_turn": plan.per_turn,
        "versions": versions(),
        "started": _now(),
        "finished": None,
        "status": "running",
        "done": 0,
        "failed": 0,
        "sessions": [],
    }


def run_sweep(plan: SweepPlan, opts: SweepOptions, progress: Progress | None = None, note: Callable[[str], None] | None = None) -> SweepResult:
    """Run (or resume) a sweep and write its directory (see :mod:`sweep.store`).

    Args:
        plan: from :func:`plan_sweep`.
        opts: where and how.
        progress: receives progress (default: none).
        note: receives one-line notes for the user (default: dropped).

    Returns:
        The :class:`SweepResult`. A run that raises does not stop the sweep; it is counted in
        ``failed`` and recorded in ``failures.jsonl``. Ctrl-C or SIGTERM stops the sweep after
        saving every finished run (status ``interrupted``).

    Raises:
        SweepUsageError: ``out`` holds another sweep (or other files), or ``--resume`` does not
            match the sweep in ``out``, or ``out`` is in use by another sweep.
    """
    progress = progress or Progress()
    note = note or (lambda _m: None)
    prestart(opts.executor, opts.workers, opts.start_method)  # workers load the model meanwhile
    store = Store(opts.out)
    if store.has_sweep() and not opts.resume:
        raise SweepUsageError([f"--out {opts.out}: this directory already holds a sweep; add --resume to continue it, or choose another --out"])
    for parent in Path(opts.out).resolve().parents:
        if (parent / MANIFEST).exists():
            raise SweepUsageError([f"--out {opts.out}: this is inside the sweep in {parent}; choose a directory outside it"])
    if store.is_foreign():
        raise SweepUsageError([f"--out {opts.out}: this directory is not empty and holds no sweep; choose an empty or new directory"])
    if opts.resume and store.has_sweep():
        try:
            manifest = store.read_manifest()
        except StoreError as exc:
            raise SweepUsageError([f"--resume: {exc}"]) from None
        diffs = _identity_differences(manifest.get("identity", {}), _jsonable(plan.identity()))
        if len(diffs) == 1:
            raise SweepUsageError([f"--resume refused: {opts.out} holds a different sweep: {diffs[0]}"])
        if diffs:
            raise SweepUsageError([f"--resume refused: {opts.out} holds a different sweep"] + [f"  {d}" for d in diffs])
        recorded = manifest.get("code_sha256")
        if recorded is not None and recorded != code_hash():
            raise SweepUsageError([f"--resume refused: the sweep in {opts.out} was made by code {short(recorded)}, this is code {short(code_hash())} (a hash of the sim package's sources); finish it with the code that started it, or start a new sweep"])
        if recorded is None:
            note("warning: this sweep did not record its code's hash; resumed runs may come from other code")
        if manifest.get("runs_per_point") != plan.runs_per_point:  # --resume --runs M adds runs
            note(f"--resume: {manifest.get('runs_per_point')} -> {plan.runs_per_point} runs per point; the runs made so far are kept as they are")
            manifest.update({"identity": _jsonable(plan.identity()), "runs_per_point": plan.runs_per_point, "n_runs": plan.n_runs, "finished": None})
        now = versions()
        changed = [k for k in RESULT_AFFECTING if manifest.get("versions", {}).get(k) != now.get(k)]
        if changed:
            was = manifest.get("versions", {})
            diff = ", ".join(f"{k} {was.get(k)} -> {now.get(k)}" for k in changed)
            note(f"warning: {diff} since this sweep started; resumed runs may not match bit for bit")
    else:
        if opts.resume:
            note(f"--resume: no sweep in {opts.out} yet; starting a new one")
        manifest = _manifest(plan)
    try:
        store.lock()
    except StoreError as exc:
        raise SweepUsageError([str(exc)]) from None
    try:
        return _execute(plan, opts, store, manifest, progress, note)
    except BaseException:
        if manifest.get("status") == "running" and store.has_sweep():  # never leave it "running" for good
            manifest["status"] = "interrupted" if isinstance(sys.exc_info()[1], KeyboardInterrupt) else "error"
            try:
                store.write_manifest(manifest)
            except OSError:
                pass
        raise
    finally:
        store.unlock()


def _execute(plan: SweepPlan, opts: SweepOptions, store: Store, manifest: dict, progress: Progress, note: Callable[[str], None]) -> SweepResult:
    fresh = not store.has_sweep()
    st = store.load_journal()
    first, n = st.unread
    if n:
        note(f"{store.journal_path}: {n} line{'s' if n != 1 else ''} from line {first} on {'are' if n != 1 else 'is'} not a batch this program committed (a torn or edited line); {'their' if n != 1 else 'its'} runs will be made again")
    for name, runs in st.damaged:
        note(f"{store.dir / name}: cannot read this part file; its {runs} run{'s' if runs != 1 else ''} will be made again")
    done_before = len(st.done)
    todo = plan.n_runs - done_before
    workers = opts.workers or default_workers()
    session: dict[str, Any] = {"started": _now(), "executor": opts.executor, "workers": workers, "scheduler": opts.scheduler, "resumed_from": done_before}
    executor = None
    if todo > 0:
        try:
            executor = make_executor(opts.executor, _bundle(plan), workers, opts.scheduler, opts.start_method)
        except ExecutorError as exc:
            if fresh:
                store.discard_empty()
            return SweepResult("error", plan.n_runs, done_before, len(st.failures), 0, 0.0, Path(opts.out), str(exc))
        session["workers"] = executor.workers
        if hasattr(executor, "grace"):
            executor.grace = opts.dask_grace
        if getattr(executor, "worker_versions", None):
            session["worker_versions"] = executor.worker_versions
    manifest["status"] = "running"
    manifest["sessions"] = manifest.get("sessions", []) + [session]
    store.write_manifest(manifest)

    size = opts.chunk_size or max(1, min(16 if opts.executor == "dask" else 8, todo // (workers * 8) if workers > 1 else 1))
    rows: list[dict] = []
    turn_rows: list[dict] = []
    fails: list[dict] = []
    last_flush = time.monotonic()
    ran = 0
    t0 = time.perf_counter()
    status, message = "complete", ""

    def flush() -> None:
        nonlocal rows, turn_rows, fails, last_flush
        if rows or fails:
            store.commit(rows, turn_rows, fails)
        rows, turn_rows, fails = [], [], []
        last_flush = time.monotonic()

    def on_term(signum, frame):  # SIGTERM behaves like Ctrl-C: save and stop
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, on_term) if _main_thread() else None
    progress.start(plan.n_runs, done_before)
    try:
        if executor is not None:
            for res in executor.results(_chunks(plan.runs(skip=st.done), size)):
                rows.extend(res["rows"])
                turn_rows.extend(res["turns"])
                fails.extend(res["failures"])
                ran += len(res["rows"]) + len(res["failures"])
                progress.advance(len(res["rows"]), len(res["failures"]))
                if len(rows) + len(fails) >= opts.batch_size or time.monotonic() - last_flush >= opts.flush_seconds:
                    flush()
        flush()
    except KeyboardInterrupt:
        status = "interrupted"
        if executor is not None:
            executor.close(abort=True)
            executor = None
        flush()
    except ExecutorError as exc:
        status, message = "error", str(exc)
        if executor is not None:
            executor.close(abort=True)
            executor = None
        flush()
    finally:
        progress.stop()
        if executor is not None:
            executor.close()
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    seconds = time.perf_counter() - t0
    st = store.state
    if status == "complete":
        try:
            store.compact(plan.per_turn)
            if opts.write_csv:
                store.write_long_csv(plan.per_turn)
        except StoreError as exc:
            status, message = "error", str(exc)
        else:
            if st.failures:
                status = "complete_with_failures"
    session.update({"ended": _now(), "ran": ran, "seconds": round(seconds, 3), "status": status})
    manifest.update({"status": status, "done": len(st.done), "failed": len(st.failures)})
    if status.startswith("complete"):
        manifest["finished"] = _now()
    store.write_manifest(manifest)
    return SweepResult(status, plan.n_runs, len(st.done), len(st.failures), ran, seconds, Path(opts.out), message, sorted(st.failures.values(), key=lambda r: r["run_id"]))


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()

"""Where runs execute: in this process, in local worker processes, or on a Dask cluster.

Each executor takes chunks of :class:`~sweep.plan.RunSpec` and yields the result of each chunk
(see :func:`sweep.worker.run_chunk`) as it finishes, in any order. Only a bounded number of
chunks is in flight at once, so memory does not grow with the number of runs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterable, Iterator

from sim.sweep.worker import Bundle, init_local_worker, run_chunk, run_chunk_local, run_chunk_remote

IN_FLIGHT_PER_WORKER = 2
"""Chunks queued per worker: one running, one waiting, so a worker never idles between chunks."""
NO_WORKER_GRACE = 30.0
"""Seconds a Dask sweep waits for a worker to come back when the cluster has none left."""
POLL_SECONDS = 2.0
"""How often a Dask sweep checks that its cluster still has workers while it waits for results."""


FORKSERVER_PRELOAD = ["sim.sweep.worker", "sim.model", "sim.sweep.warm"]
"""What the fork server of local workers imports before it forks any: the model, and
:mod:`sim.sweep.warm`, which loads the compiled code once for every worker."""


def start_method_for(start_method: str | None) -> str:
    """``start_method``, or the default: ``forkserver`` where the platform has it, else ``spawn``."""
    if start_method is None:
        return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return start_method


def prestart(executor: str = "local", workers: int | None = None, start_method: str | None = None) -> bool:
    """Start the fork server of local worker processes now, if the sweep will use one.

    The fork server imports the model and loads its compiled code (:data:`FORKSERVER_PRELOAD`,
    1-2 s of CPU) while this process goes on reading and checking the scenario; the workers
    fork from it later. A fork server is started once per process and serves every later pool.

    Args:
        executor: ``local`` or ``dask`` (nothing is started for Dask).
        workers: worker processes (``None``: :func:`default_workers`); nothing is started for one.
        start_method: as for :class:`LocalExecutor`.

    Returns:
        Whether a fork server is (now) running.
    """
    if executor != "local" or (workers or default_workers()) <= 1 or start_method_for(start_method) != "forkserver":
        return False
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()
    return True


class ExecutorError(Exception):
    """The executor cannot run (a worker died, the cluster is unreachable, ...): a message for the user."""


class SerialExecutor:
    """Runs every chunk in this process (``--workers 1`` with the local executor)."""

    name = "local"
    workers = 1

    def __init__(self, bundle: Bundle):
        self.bundle = bundle

    def results(self, chunks: Iterable[list]) -> Iterator[dict]:
        """Yield each chunk's result in order."""
        for c in chunks:
            yield run_chunk(self.bundle, c)

    def close(self, abort: bool = False) -> None:
        """Nothing to release."""


class LocalExecutor:
    """Worker processes on this machine (``concurrent.futures.ProcessPoolExecutor``).

    Args:
        bundle: sent once to each worker by the pool's initializer.
        workers: number of processes (>= 1).
        start_method: ``forkserver`` (default on Linux: workers fork from a clean server that has
            imported the model and loaded its compiled code once, see :func:`prestart`) or
            ``spawn``; never ``fork``, which is unsafe with threads.
    """

    name = "local"

    def __init__(self, bundle: Bundle, workers: int, start_method: str | None = None):
        start_method = start_method_for(start_method)
        ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_local_worker, initargs=(bundle, os.getpid()))

    def results(self, chunks: Iterable[list]) -> Iterator[dict]:
        """Yield chunk results as they finish.

        Raises:
            ExecutorError: a worker process died (killed, out of memory).
        """
        from concurrent.futures.process import BrokenProcessPool

        it = iter(chunks)
        inflight: set = set()

        def fill() -> None:
            while len(inflight) < IN_FLIGHT_PER_WORKER * self.workers:
                c = next(it, None)
                if c is None:
                    return
                inflight.add(self.pool.submit(run_chunk_local, c))

        fill()
        while inflight:
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for f in done:
                inflight.discard(f)
                try:
                    res = f.result()
                except BrokenProcessPool:
                    raise ExecutorError("a worker process died (killed or out of memory); finished runs are saved, continue with --resume") from None
                yield res
            fill()

    def close(self, abort: bool = False) -> None:
        """Shut the pool down; with ``abort``, cancel queued chunks and stop running ones now."""
        if abort:
            procs = list(getattr(self.pool, "_processes", {}).values())  # no public API before 3.14
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)
        else:
            self.pool.shutdown(wait=True)


def _worker_versions() -> dict:
    """Run on each Dask worker: can it import the model, and with which library versions?"""
    import importlib.metadata as md
    import platform

    import sim.model  # noqa: F401
    import sim.sweep.worker  # noqa: F401
    from sim.sweep.code import code_hash

    out = {"python": platform.python_version(), "code_sha256": code_hash()}
    for pkg in ("greatpower", "numpy", "mesa", "pydantic"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


class DaskExecutor:
    """Tasks on a Dask distributed cluster: an existing one (``scheduler``) or a new ``LocalCluster``.

    The bundle is scattered to every worker once; each task makes one chunk of runs.

    Args:
        bundle: the sweep's :class:`~sweep.worker.Bundle`.
        workers: worker processes of a new ``LocalCluster`` (ignored with ``scheduler``).
        scheduler: address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.

    Raises:
        ExecutorError: Dask is not installed, the scheduler cannot be reached, or the workers
            cannot import the project.
    """

    name = "dask"

    def __init__(self, bundle: Bundle, workers: int, scheduler: str | None = None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--executor dask needs dask[distributed]: pip install -e '.[dask]'") from None
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="20s")
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: an address Dask cannot read
            self._shutdown()
            raise ExecutorError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        try:
            if scheduler:
                self.client.wait_for_workers(1, timeout=60)
            self.worker_versions = self.client.run(_worker_versions)
        except Exception as exc:  # noqa: BLE001 - any failure here means the cluster cannot run us
            self._shutdown()
            raise ExecutorError(f"the Dask workers cannot run the model ({type(exc).__name__}: {exc}); install the project on every worker: pip install -e '.[dask]'") from None
        if bundle.code is not None:
            other = {addr: v.get("code_sha256") for addr, v in self.worker_versions.items() if v.get("code_sha256") != bundle.code}
            if other:
                from sim.sweep.code import short

                addr, theirs = sorted(other.items())[0]
                more = f" (and {len(other) - 1} more worker(s))" if len(other) > 1 else ""
                self._shutdown()
                raise ExecutorError(
                    f"refused: the Dask worker {addr}{more} runs code {short(theirs)}, this command runs code {short(bundle.code)} "
                    "(a hash of the sim package's sources); install the same version of the project on every worker"
                )
        self.scheduler = scheduler or "the LocalCluster"
        self.grace = NO_WORKER_GRACE
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.bundle_future = self.client.scatter([bundle], broadcast=True)[0]

    @property
    def dashboard(self) -> str | None:
        """The dashboard's address, if the cluster has one."""
        return getattr(self.client, "dashboard_link", None)

    def results(self, chunks: Iterable[list]) -> Iterator[dict]:
        """Yield chunk results as they finish.

        While it waits, it checks every :data:`POLL_SECONDS` that the cluster still has workers;
        with none for :data:`NO_WORKER_GRACE` seconds it gives up (finished runs are kept).

        Raises:
            ExecutorError: every worker is gone, the scheduler is gone, a worker runs other code
                (:class:`~sim.sweep.code.CodeMismatch`), or a task failed outside the model (e.g.
                a worker died three times).
        """
        from dask.distributed import wait

        it = iter(chunks)
        inflight: set = set()

        def fill() -> None:
            while len(inflight) < IN_FLIGHT_PER_WORKER * self.workers:
                c = next(it, None)
                if c is None:
                    return
                inflight.add(self.client.submit(run_chunk_remote, self.bundle_future, c, pure=False))

        fill()
        no_workers_since: float | None = None
        while inflight:
            try:
                done = wait(list(inflight), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except Exception as exc:  # noqa: BLE001 - tasks cancelled (their data was lost) or the scheduler is gone
                raise ExecutorError(self._task_failure(exc)) from None
            if not done:
                no_workers_since = self._check_workers(no_workers_since)
                continue
            no_workers_since = None
            for fut in done:
                inflight.discard(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001
                    raise ExecutorError(self._task_failure(exc)) from None
                fut.release()
                yield res
            fill()

    def _check_workers(self, since: float | None) -> float | None:
        """``None`` while the cluster has workers; else when it lost the last one.

        Raises:
            ExecutorError: no worker for :attr:`grace` seconds, or the scheduler is unreachable.
        """
        import time

        try:
            n = len(self.client.nthreads())
        except Exception as exc:  # noqa: BLE001
            raise ExecutorError(f"lost the Dask scheduler {self.scheduler} ({type(exc).__name__}); finished runs are saved, continue with --resume") from None
        if n:
            return None
        now = time.monotonic()
        if since is None:
            return now
        if now - since >= self.grace:
            raise ExecutorError(self._gone().replace("has no worker left", f"has had no worker for {self.grace:.0f} s"))
        return since

    def _gone(self) -> str:
        return f"every Dask worker is gone: the scheduler {self.scheduler} has no worker left; finished runs are saved; start workers again and continue with --resume"

    def _task_failure(self, exc: BaseException) -> str:
        """A one-line message for a task that failed outside the model (or was cancelled because
        the worker that held its data died).
        """
        from sim.sweep.code import CodeMismatch

        if isinstance(exc, CodeMismatch):
            return f"refused: {exc}; finished runs are saved"
        try:
            if not self.client.nthreads():
                return self._gone()
        except Exception:  # noqa: BLE001
            return f"lost the Dask scheduler {self.scheduler} ({type(exc).__name__}); finished runs are saved, continue with --resume"
        name = type(exc).__name__
        if "Cancelled" in name:
            return f"Dask cancelled the sweep's tasks ({name}: a worker that held their data died); finished runs are saved, continue with --resume"
        if name == "KilledWorker":
            return "a Dask worker died while running runs, three times in a row (killed or out of memory); finished runs are saved, continue with --resume"
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"a Dask task failed ({name}: {first}); finished runs are saved, continue with --resume"

    def _shutdown(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception:  # noqa: BLE001
                pass

    def close(self, abort: bool = False) -> None:
        """Disconnect (outstanding tasks are dropped); a LocalCluster is shut down."""
        self._shutdown()  # the scheduler forgets tasks that no client wants any more


def make_executor(kind: str, bundle: Bundle, workers: int, scheduler: str | None = None, start_method: str | None = None):
    """The executor for ``--executor``/``--workers``/``--scheduler``.

    ``local`` with one worker runs in this process; with more it starts worker processes.

    Raises:
        ExecutorError: see :class:`DaskExecutor`.
        ValueError: an unknown kind.
    """
    if kind == "local":
        return SerialExecutor(bundle) if workers == 1 else LocalExecutor(bundle, workers, start_method)
    if kind == "dask":
        return DaskExecutor(bundle, workers, scheduler)
    raise ValueError(f"unknown executor {kind!r}")


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)

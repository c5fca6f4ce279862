"""A sweep's local workers start with the compiled code already loaded by their fork server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _python(code: str, **env: str) -> str:
    e = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=e, capture_output=True, text=True, check=True).stdout.strip()


def test_importing_warm_loads_the_compiled_backend_and_nothing_with_numpy():
    """Compiled backend: every cached version is loaded at import (as many as are then in memory);
    numpy backend: nothing is loaded and numba is not even imported."""
    code = "import sys, sim.sweep.warm as w; print(w.LOADED, w.loaded_versions(), 'numba' in sys.modules)"
    loaded, held, numba = _python(code, GREATPOWER_KERNEL="compiled").split()
    assert int(loaded) > 0 and int(held) == int(loaded) and numba == "True"
    assert _python(code, GREATPOWER_KERNEL="numpy").split() == ["0", "0", "False"]


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is the default start method on Linux")
def test_a_sweep_worker_holds_the_compiled_code_before_its_first_run():
    """A worker of the local executor, before it has made any run, already holds the code (its
    fork server loaded it), so no worker spends its first run reading it."""
    code = (
        "from sim.sweep.executors import LocalExecutor, prestart\n"
        "from sim.sweep.worker import Bundle\n"
        "from sim.sweep import warm\n"
        "prestart('local', 2)\n"
        "ex = LocalExecutor(Bundle('k', {}, [[]], 1, False, frozenset()), 1)\n"
        "try:\n"
        "    print(ex.pool.submit(warm.loaded_versions).result(timeout=120))\n"
        "finally:\n"
        "    ex.close()\n"
    )
    assert int(_python(code, GREATPOWER_KERNEL="compiled")) > 0


def test_every_compiled_function_is_loaded_and_counted_once():
    """The turn's compiled modules are all warmed, and a function that one imports from another
    by name (``gate``, ``talks``) is one function, counted once."""
    code = (
        "import sim.sweep.warm as w\n"
        "from sim.phases import bargain_compiled as b\n"
        "from sim import kernel_compiled as k\n"
        "d = list(w.dispatchers())\n"
        "print(len(d), len({id(x) for x in d}), b.bargain_turn in d, sum(x is k.talks for x in d),"
        " w.loaded_versions() == sum(len(x.overloads) for x in d))\n"
    )
    total, unique, has_turn, talks, counted = _python(code, GREATPOWER_KERNEL="compiled").split()
    assert total == unique and has_turn == "True" and talks == "1" and counted == "True"

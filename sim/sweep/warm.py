"""Load the compiled code once in a sweep's fork server, so that its workers start with it.

Local workers fork from a fork server that imports the model first (see
:class:`sim.sweep.executors.LocalExecutor`). numba loads each compiled function's machine code
from its disk cache at the function's first call, so without this every worker read and linked
all of it during its first run (about 1 s of CPU per worker, measured with py-spy). Importing
this module in the fork server loads every cached version of every compiled function of the
active backend (:func:`load_compiled`) once, before any worker forks; a worker then starts
with the code in memory, as a process that has already made a run.

Nothing a run computes changes: the machine code is the same bytes numba would load at the
first call, and a run never depended on whether an earlier run had loaded it (a worker makes
many runs in turn). Loading never compiles: a version whose cache entry is stale or missing is
left for numba to deal with at its first call, as before.
"""

from __future__ import annotations

import gc

from sim.compiled_cache import COMPILED_MODULES, cached_signatures, dispatchers


def loaded_versions() -> int:
    """How many compiled versions of the compiled backend's functions this process holds in
    memory (0 before any is loaded, and with the numpy backend)."""
    import sys

    if not all(name in sys.modules for name in COMPILED_MODULES):
        return 0
    return sum(len(d.overloads) for d in dispatchers())


def load_compiled() -> int:
    """Load every cached version of the active backend's compiled functions into this process.

    Does nothing with the numpy backend (``GREATPOWER_KERNEL=numpy``). Never raises: a
    failure leaves the rest to numba's usual loading at each function's first call.

    Returns:
        How many versions were loaded.
    """
    try:
        from sim import kernel

        if kernel.backend() != "compiled":
            return 0
        loaded = 0
        for obj in dispatchers():
            for sig in cached_signatures(obj):
                if tuple(sig) not in obj.overloads:
                    obj.compile(sig)
                    loaded += 1
        return loaded
    except Exception:  # noqa: BLE001 - warming is an optimisation; the first call loads instead
        return 0


LOADED = load_compiled()
"""Versions loaded when this module was imported (it is imported for that)."""

gc.freeze()
# Everything loaded so far (numpy, numba, the compiled code, the model's modules: about 90,000
# objects) lives as long as the worker: frozen, Python's full garbage collections skip it, and a
# worker forked from here inherits that. A full collection that walked it cost about 40 ms and
# came about once in 1,500 turns (measured on the baseline, Python 3.11); frozen, it costs well
# under 1 ms. No result changes: the objects frozen are never garbage.

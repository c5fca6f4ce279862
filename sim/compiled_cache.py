"""Whether the compiled code's disk cache is cold, told without compiling anything.

The compiled backend (:mod:`sim.kernel_compiled` and the phases' ``*_compiled`` modules) keeps
numba's machine code on disk (``cache=True``, see :func:`sim.kernel_compiled._jit`). When that
cache is empty or stale (a first run, a new install, changed code, a new numba), the first turn
of a process compiles every function: 10-15 s of CPU on an idle machine, one to four minutes on
a busy one. A front end or a command line can then tell its user before the wait starts.

The check only reads numba's cache index files (one small pickle per compiled function): it
imports the compiled modules (and so numba, which the run imports anyway), never compiles, and
never loads machine code. A function's index counts as empty when its file is missing, was
written by another numba version, or records another timestamp or size of the module's source
(numba's own staleness rule, :meth:`numba.core.caching.IndexDataCacheFile._load_index`).
It does not compare the CPU the code was compiled for: a cache copied from another kind of
machine reads as warm, and its first run compiles anyway (rare; the notice is then missing, the
run is the same).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from typing import Any

COMPILED_MODULES = (
    "sim.kernel_compiled",
    "sim.phases.bargain_compiled",
    "sim.phases.perceive_compiled",
    "sim.phases.policy_compiled",
    "sim.phases.update_compiled",
)
"""Modules whose numba functions a run of the compiled backend calls."""

BACKEND_ENV = "GREATPOWER_KERNEL"
"""Environment variable naming the kernel backend (:data:`sim.kernel.BACKEND_ENV`)."""

COLD_NOTICE = (
    "compiling the simulation's kernel once (about a minute, longer on a busy machine); "
    "later runs start in about a second"
)
"""The one line a command prints before a run that will compile (our wording)."""


def _dispatchers(name: str) -> Iterator[Any]:
    """The numba dispatchers defined in module ``name`` (imported here)."""
    module = importlib.import_module(name)
    for obj in vars(module).values():
        if hasattr(obj, "py_func") and hasattr(obj, "overloads") and getattr(obj, "__module__", None) == name:
            yield obj


def _has_cached_code(dispatcher: Any) -> bool:
    """Whether ``dispatcher``'s disk cache holds at least one version for its present source."""
    if dispatcher.overloads:  # compiled or loaded in this process already
        return True
    cache = getattr(dispatcher, "_cache", None)
    index_file = getattr(cache, "_cache_file", None)
    load_index = getattr(index_file, "_load_index", None)
    if not callable(load_index):  # no disk cache (cache=False): every process compiles
        return False
    return bool(load_index())


def cache_is_cold() -> bool:
    """Whether the next run in this process will compile the compiled backend's code.

    False with the numpy backend (``GREATPOWER_KERNEL=numpy``) and when numba cannot be
    imported (the kernel then falls back to numpy). True when any of :data:`COMPILED_MODULES`
    has no function with a cached version for its present source (the module was never
    compiled here, or its source or numba changed since: numba then recompiles all of it), or
    when the compiled code has no disk cache at all (a read-only install with no writable cache
    folder: every process compiles). A module counts as warm as soon as one of its functions is
    cached, because a run never compiles some of them (six of the 47, such as the kernel's
    classic bargaining round, stay uncached after a run); a function added to a warm module
    compiles in seconds, without a notice.

    Cost: importing the compiled modules (numba included, about 0.3 s, which the run then
    does not pay again) and reading at most 47 small index files. Never compiles, never raises.

    Returns:
        True when the first turn will compile (seconds to minutes), else False.
    """
    if os.environ.get(BACKEND_ENV, "compiled") == "numpy":
        return False
    try:
        return not all(any(_has_cached_code(d) for d in _dispatchers(name)) for name in COMPILED_MODULES)
    except ImportError:  # numba missing or broken: the numpy kernel runs, nothing compiles
        return False
    except Exception:  # noqa: BLE001 - a notice is a courtesy; an unreadable index means a compile
        return True

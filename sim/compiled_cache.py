"""Whether this process's first turn will compile the model's numba code (a cheap check).

The compiled backend (:mod:`sim.kernel_compiled` and the ``*_compiled`` phase modules) keeps
its machine code in numba's disk cache. With a warm cache a process loads it in well under a
second; with a cold one (a fresh install, a changed source file, a new numba or CPU) the first
turn compiles every function, about a minute of CPU (60-80 s measured in a play-test window;
minutes on a busy machine). A front end or a command line can then say so before it starts,
rather than appear frozen.

:func:`compile_ahead` answers without compiling anything: it imports the compiled modules
(which only creates their dispatchers; numba compiles at a function's first call) and reads each
dispatcher's cache index, as numba itself does before it decides to compile. It is pure: no
printing, no files written, no randomness; the model's results never depend on it.

Use::

    from sim.compiled_cache import NOTICE, compile_ahead

    if compile_ahead():
        show(NOTICE)          # before the first turn
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

COMPILED_MODULES = (
    "sim.kernel_compiled",
    "sim.phases.policy_compiled",
    "sim.phases.perceive_compiled",
    "sim.phases.update_compiled",
    "sim.phases.bargain_compiled",
)
"""Modules whose numba functions a turn of the compiled backend calls (every one of their
dispatchers has a cache entry after one played game of the baseline; checked in the tests), and
that a sweep's fork server loads (:mod:`sim.sweep.warm`). A module that imports another's
compiled function by name (``bargain_compiled`` imports ``gate`` and ``talks``) holds the same
dispatcher: :func:`dispatchers` gives it once."""

OCCASIONAL = (
    "sim.kernel_compiled.bargaining_round",
    "sim.kernel_compiled.expected_utility",
    "sim.kernel_compiled.risk_exponents",
    "sim.kernel_compiled.powers_into",
    "sim.kernel_compiled.resolve",
    "sim.kernel_compiled.respond",
    "sim.phases.update_compiled.deconfliction_logs",
    "sim.phases.bargain_compiled.round4_all",
)
"""Functions that a turn compiles only when it needs them (the kernel's public cores, which
the turn's fused entry points do not call; a bloc's answer; a theatre's deconfliction logs;
the rounding of the decisions' records, which runs with reasons on only):
seconds each, not the minute of a cold start, so their absence alone asks for no notice.
Judgement (ours), from the cache of a played baseline game, where none of them had an entry."""

INNER = (
    "sim.kernel_compiled.gate",
    "sim.kernel_compiled.talks",
    "sim.kernel_compiled._respond_one",
    "sim.kernel_compiled._resolve",
)
"""Functions that a turn calls only from inside another compiled function
(:func:`sim.phases.bargain_compiled.bargain_turn`), whose cached machine code holds theirs: the
turn never compiles them on their own, whatever their own cache entries say (an entry goes stale
when their file changes while the caller's cache stays valid)."""

NOTICE = "Preparing the simulation: compiling once, about a minute; later starts are fast"
"""What a front end or command line shows before a turn that compiles (one line, no period)."""


def dispatchers() -> list[Any]:
    """The numba dispatchers of :data:`COMPILED_MODULES`, each once even where several modules
    hold it by name (the modules are imported if need be: importing compiles nothing)."""
    out, seen = [], set()
    for name in COMPILED_MODULES:
        module = importlib.import_module(name)
        for obj in list(vars(module).values()):
            if hasattr(obj, "py_func") and hasattr(obj, "overloads") and callable(getattr(obj, "compile", None)) and id(obj) not in seen:
                seen.add(id(obj))
                out.append(obj)
    return out


def cached_signatures(dispatcher: Any) -> list[tuple]:
    """Argument types of the versions of ``dispatcher`` that numba's disk cache holds and would
    load now: its index entries whose key is the one numba computes for this source, this numba
    and this machine (numba's ``_index_key``). A stale index (the source file changed) reads as
    empty, as numba reads it; so does a dispatcher without a disk cache (``cache=False``)."""
    cache = getattr(dispatcher, "_cache", None)
    index_file = getattr(cache, "_cache_file", None)
    if cache is None or index_file is None or not hasattr(index_file, "_load_index") or not hasattr(cache, "_index_key"):
        return []
    codegen = dispatcher.targetctx.codegen()
    out = []
    for key in index_file._load_index():
        sig = key[0]
        if isinstance(sig, tuple) and cache._index_key(sig, codegen) == key:
            out.append(sig)
    return out


def functions_to_compile() -> list[str]:
    """The compiled backend's functions that the next turn of this process would compile.

    Those neither in memory nor in numba's disk cache, named ``module.function`` (the
    :data:`OCCASIONAL` and :data:`INNER` ones aside).

    Returns:
        An empty list with a warm cache, after a turn has run in this process, or with the numpy
        backend (``GREATPOWER_KERNEL=numpy``, which compiles nothing).
    """
    if (os.environ.get("GREATPOWER_KERNEL") or "compiled") == "numpy":
        return []
    kernel = sys.modules.get("sim.kernel")
    if kernel is not None and getattr(kernel, "_active", None) is not None and kernel.backend() != "compiled":
        return []
    try:
        found = dispatchers()
    except ImportError:  # numba missing: the kernel falls back or fails by itself, never here
        return []
    return [
        f"{d.py_func.__module__}.{d.py_func.__name__}"
        for d in found
        if not d.overloads
        and f"{d.py_func.__module__}.{d.py_func.__name__}" not in OCCASIONAL + INNER
        and not cached_signatures(d)
    ]


def compile_ahead() -> bool:
    """Whether the next turn of this process will compile (a cold numba cache).

    Show :data:`NOTICE` first when it does. Takes well under a second (it imports the compiled
    modules and reads numba's cache indexes); never compiles; never raises: a damaged cache
    reads as ``True`` (numba will compile).
    """
    try:
        return bool(functions_to_compile())
    except Exception:  # noqa: BLE001 - a damaged index makes numba compile; so say so
        return True


def compile_now(scenario: Any) -> float:
    """Compile (or load) the compiled backend's functions: one all-AI turn of ``scenario``.

    The turn is played in a throwaway model that is then dropped, with every state played by
    the AI (one call of ``legal_actions`` first, for the action menu's code paths).

    The throwaway model has its own seeded generators (seed 0): no game's model, generator or
    result is touched, and a game played afterwards gives what it gives without this call (numba's
    machine code is the same whether compiled now or at the game's first turn).

    Args:
        scenario: a validated :class:`sim.schema.Scenario`.

    Returns:
        Seconds taken (about a minute of CPU with a cold cache, a few milliseconds with a warm one).
    """
    import time

    from sim.model import GreatPowerModel

    t0 = time.perf_counter()
    model = GreatPowerModel(scenario, seed=0, turns=1, humans=[])
    for actor in scenario.actors:
        model.legal_actions(actor)  # the action menu's code paths (compiled policy scores)
        break
    model.step()
    return time.perf_counter() - t0

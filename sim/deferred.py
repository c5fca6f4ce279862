"""Packages whose ``__init__`` runs only when something beyond a few of their modules is used.

Importing a package runs its ``__init__``, and some import all their modules there. Two cost a
one-turn run most of its start (``python -X importtime``, Mesa 3.3, scipy 1.17, numpy 2.4):

* ``mesa``: its ``__init__`` imports the continuous space (scipy), the batch runner (tqdm,
  multiprocessing) and the data collector with pandas (and pyarrow): 0.7-0.9 s, none of it used
  by a run. The model subclasses ``mesa.Model`` and ``mesa.Agent`` and keeps a
  ``mesa.DataCollector``, whose ``collect`` needs no pandas (pandas only builds the data frames
  that its ``get_*_dataframe`` methods return).
* ``scipy.linalg``: numba checks for BLAS the first time it compiles or loads code, by importing
  ``scipy.linalg.cython_blas``; the package's ``__init__`` around that one extension module
  imports all of scipy.linalg and, through scipy's array-API layer, ``numpy.f2py`` and
  ``numpy.testing``: about 0.2 s, for a module that itself loads in 0.02 s.

:func:`defer` registers such a package as a module whose ``__init__`` has not run yet. Its
submodules import as usual (``import mesa.model``, ``import scipy.linalg.cython_blas``), a few
names can be served from the submodule that defines them (``mesa.Model`` from ``mesa.model``),
and reading any other name (``mesa.batch_run``, ``mesa.__version__``, ``scipy.linalg.solve``,
``from scipy.linalg import *``) runs the package's own ``__init__`` first, after which the
package is exactly what a plain import gives; another thread that reads a name meanwhile waits
until the ``__init__`` has run. The objects are the package's own, defined once, so nothing
behaves differently, only later. Nothing is changed for a package that is already
imported or cannot be found (its ordinary import then fails as usual).

Two more things are put off the same way, each the same result later or never needed:
Mesa 3.3's logging names a module and a class at import from the call stack, given here without
reading every frame's source (:class:`_FramesWithoutSource`); and numba's dispatchers load their
cached machine code without first refreshing all of numba's typing and lowering registries,
which only a compile needs (:func:`load_cached_code_without_registries`).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import threading
import types
from collections.abc import Callable
from typing import Any


class _DeferredPandas(types.ModuleType):
    """Stands for pandas in the Mesa modules imported by :data:`MESA_SERVED` until pandas is used.

    Any use loads the real pandas and hands it to those modules. While a Mesa module is being
    imported the stand-in is ``sys.modules["pandas"]``, where code that scans all modules
    (``inspect.getmodule``, which Mesa's logger calls) asks it for ``__file__``: it has none.
    """

    _SCANNED = frozenset({"__file__", "__wrapped__"})

    def __getattr__(self, name: str):
        if sys.modules.get("pandas") is self:  # inside the import of a Mesa module
            if name in self._SCANNED:
                raise AttributeError(name)
            del sys.modules["pandas"]  # pandas is used at import after all: the real one, now
        real = importlib.import_module("pandas")
        for key, module in list(sys.modules.items()):  # from now on Mesa's code uses pandas itself
            if key.partition(".")[0] == "mesa" and getattr(module, "__dict__", {}).get("pd") is self:
                module.pd = real
        return getattr(real, name)


class _FramesWithoutSource(types.ModuleType):
    """:mod:`inspect` for Mesa's logging module while a Mesa module is imported.

    Mesa 3.3's ``mesa.model`` names its logger and the class of a logged method at import by
    ``inspect.stack()`` and ``inspect.getouterframes(...)``, which read the source lines of
    every frame on the stack (the command line's, click's, the import system's): 0.05-0.1 s of
    a one-turn run, for a module name and a function name. Here both give the same frames,
    file names, line numbers and function names with no source lines (``code_context`` None,
    as ``context=0`` gives), and the module of a frame is found from the frame's globals;
    everything else is the real :mod:`inspect`.
    """

    @staticmethod
    def _outer(frame: types.FrameType | None) -> list[tuple]:
        records = []
        while frame is not None:
            code = frame.f_code
            records.append((frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
            frame = frame.f_back
        return records

    def stack(self, context: int = 1) -> list[tuple]:  # noqa: ARG002 - inspect's signature
        """The caller's frame and its outer frames, as ``inspect.stack`` without source lines."""
        return self._outer(sys._getframe(1))

    def getouterframes(self, frame: types.FrameType, context: int = 1) -> list[tuple]:  # noqa: ARG002
        """``frame`` and its outer frames, as ``inspect.getouterframes`` without source lines."""
        return self._outer(frame)

    def getmodule(self, obj: Any, _filename: str | None = None) -> types.ModuleType | None:
        """The module of a frame by its globals, as ``inspect.getmodule`` finds it by its file.

        ``inspect.getmodule`` maps the file names of all loaded modules the first time (0.03 s);
        a frame's ``__name__`` names the same module when that module's file is the frame's.
        """
        if isinstance(obj, types.FrameType):
            module = sys.modules.get(obj.f_globals.get("__name__", ""))
            if module is not None and getattr(module, "__file__", None) == obj.f_code.co_filename:
                return module
        return inspect.getmodule(obj, _filename)

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


def _mesa_module(name: str) -> types.ModuleType:
    """Mesa module ``name``, imported with a stand-in for pandas if pandas is not loaded yet.

    Mesa's data collector (and, in Mesa 3.5, its agent module) imports pandas at the top but
    uses it only to build data frames on request. Mesa's logging module meanwhile sees
    :class:`_FramesWithoutSource` as :mod:`inspect`.
    """
    if name in sys.modules:
        return sys.modules[name]
    try:
        logging_module = importlib.import_module("mesa.mesa_logging")
    except ImportError:  # a Mesa without it
        logging_module = None
    quick = None
    if logging_module is not None and getattr(logging_module, "inspect", None) is inspect:
        quick = logging_module.inspect = _FramesWithoutSource("inspect", inspect.__doc__)
    stand_in = None
    if "pandas" not in sys.modules:
        stand_in = _DeferredPandas("pandas", "pandas, imported at its first use by Mesa")
        sys.modules["pandas"] = stand_in
    try:
        return importlib.import_module(name)
    finally:
        if stand_in is not None and sys.modules.get("pandas") is stand_in:
            del sys.modules["pandas"]  # everyone else imports the real pandas
        if quick is not None and logging_module.inspect is quick:
            logging_module.inspect = inspect


MESA_SERVED: dict[str, Callable[[], Any]] = {
    "Model": lambda: _mesa_module("mesa.model").Model,
    "Agent": lambda: _mesa_module("mesa.agent").Agent,
    "DataCollector": lambda: _mesa_module("mesa.datacollection").DataCollector,
}
"""Names of ``mesa`` served without its ``__init__``: the classes the model uses."""


def defer(name: str, served: dict[str, Callable[[], Any]] | None = None) -> bool:
    """Register package ``name`` with its ``__init__`` deferred to the first use beyond ``served``.

    Args:
        name: a package's import name (``"mesa"``, ``"scipy.linalg"``); a dotted name imports
            its parent package.
        served: names of the package read without its ``__init__``, each with the function
            that returns its value (imports only what defines it).

    Returns:
        Whether the package was registered (False if it was already imported, is being
        imported, or cannot be found).
    """
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)
    served = dict(served or {})
    lock = threading.RLock()  # one thread runs the __init__; others reading a name wait for it
    running: list[int] = []  # the thread running the __init__, while it runs

    def __getattr__(attr: str):  # noqa: N807 - the module-level __getattr__ of PEP 562
        if attr in served and package.__dict__.get("__getattr__") is __getattr__:
            value = served[attr]()
            setattr(package, attr, value)  # the same object the package's __init__ binds
            return value
        with lock:
            if running:  # inside the __init__ (only its own thread gets the lock): not bound yet
                raise AttributeError(f"partially initialized module {name!r} has no attribute {attr!r}")
            if package.__dict__.get("__getattr__") is __getattr__:  # run its own __init__, once
                running.append(threading.get_ident())
                try:
                    spec.loader.exec_module(package)
                finally:
                    running.clear()
                if package.__dict__.get("__getattr__") is __getattr__:
                    del package.__dict__["__getattr__"]
        return getattr(package, attr)

    package.__getattr__ = __getattr__
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)
    return True


def _load_cached_code(cache: Any, sig: Any, target_context: Any) -> Any:
    """The ``Cache.load_overload`` of numba without the refresh of the target context's registries.

    numba refreshes its typing and lowering registries before it looks in the disk cache:
    that imports and registers every implementation it has (numpy, typed containers,
    jitclass, random generators: 0.3-0.5 s, the largest part of a one-turn run), none of which
    machine code read back from the cache uses. What that code does need is numba's runtime
    (memory management for arrays), initialised here as the refresh would; the registries are
    refreshed anyway as soon as anything is compiled (numba's compiler does it first), and the
    code loaded is byte for byte what numba's own load gives.
    """
    from numba.core.runtime import rtsys

    rtsys.initialize(target_context)
    with cache._guard_against_spurious_io_errors():
        return cache._load_overload(sig, target_context)
    return None  # an I/O error the guard swallowed: numba compiles instead, as it would


def load_cached_code_without_registries(objects: Any) -> int:
    """Let numba dispatchers load their cached code without refreshing numba's registries.

    For each numba dispatcher (``numba.njit(cache=True)``) among ``objects`` (for example a
    module's ``vars().values()``), its disk cache's load skips numba's registry refresh
    (:func:`_load_cached_code`). Results are unchanged (the same machine code runs); a
    function not in the cache is compiled exactly as before. Dispatchers of a numba whose cache
    lacks the methods relied on are left as they are.

    Args:
        objects: any objects; those that are not dispatchers with a disk cache are ignored.

    Returns:
        How many dispatchers were changed (already changed ones are counted again).
    """
    changed = 0
    for obj in objects:
        cache = getattr(obj, "_cache", None)
        if not (hasattr(obj, "py_func") and callable(getattr(cache, "_load_overload", None))
                and callable(getattr(cache, "_guard_against_spurious_io_errors", None))):
            continue
        cache.load_overload = types.MethodType(_load_cached_code, cache)
        changed += 1
    return changed

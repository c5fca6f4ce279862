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
"""

from __future__ import annotations

import importlib
import importlib.util
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


def _mesa_module(name: str) -> types.ModuleType:
    """Mesa module ``name``, imported with a stand-in for pandas if pandas is not loaded yet.

    Mesa's data collector (and, in Mesa 3.5, its agent module) imports pandas at the top but
    uses it only to build data frames on request.
    """
    if "pandas" in sys.modules or name in sys.modules:
        return importlib.import_module(name)
    stand_in = _DeferredPandas("pandas", "pandas, imported at its first use by Mesa")
    sys.modules["pandas"] = stand_in
    try:
        return importlib.import_module(name)
    finally:
        if sys.modules.get("pandas") is stand_in:
            del sys.modules["pandas"]  # everyone else imports the real pandas


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

"""Mesa's model, agent and data collector without the rest of Mesa until something else is used.

``import mesa`` runs Mesa's package ``__init__``, which imports every Mesa module: the continuous
space (scipy), the batch runner (tqdm, multiprocessing) and the data collector with pandas (and
pyarrow through it). That took 0.7-0.9 s of the 1.9 s that ``run.py run --turns 1`` took to start
and finish (``python -X importtime``, Mesa 3.3), and a run uses none of it: the model subclasses
``mesa.Model`` and ``mesa.Agent`` and keeps a ``mesa.DataCollector``, whose ``collect`` needs no
pandas (pandas only builds the data frames that its ``get_*_dataframe`` methods return).

:func:`install`, called when :mod:`sim` is imported, registers ``mesa`` as a package whose
``__init__`` has not run yet. Reading ``mesa.Model``, ``mesa.Agent`` or ``mesa.DataCollector``
imports only the Mesa module that defines it (``mesa.model``, ``mesa.agent``,
``mesa.datacollection``); reading any other name of the package (``mesa.batch_run``,
``mesa.__version__``, ``mesa.space``, ...) runs Mesa's own ``__init__`` first, so from then on
``mesa`` is exactly what ``import mesa`` gives. The classes are Mesa's own, defined once, so the
model behaves the same either way. ``mesa.datacollection`` is imported with pandas deferred: its
``pd`` stands for pandas and imports it at the first use (a data frame asked for), then hands over
to the real module.

Nothing is changed if Mesa was imported before :mod:`sim`, or if Mesa cannot be found (the
ordinary ``import mesa`` then raises as usual).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

CORE = {"Model": "mesa.model", "Agent": "mesa.agent", "DataCollector": "mesa.datacollection"}
"""Names of the ``mesa`` package served without its ``__init__``, and the module of each."""


class _DeferredPandas(types.ModuleType):
    """Stands for pandas in ``mesa.datacollection`` until pandas is first used there."""

    def __getattr__(self, name: str):
        real = importlib.import_module("pandas")
        datacollection = sys.modules.get("mesa.datacollection")
        if datacollection is not None and getattr(datacollection, "pd", None) is self:
            datacollection.pd = real  # from now on Mesa's code uses pandas itself
        return getattr(real, name)


def _import_datacollection() -> types.ModuleType:
    """``mesa.datacollection``, imported with a stand-in for pandas if pandas is not loaded yet."""
    if "pandas" in sys.modules or "mesa.datacollection" in sys.modules:
        return importlib.import_module("mesa.datacollection")
    stand_in = _DeferredPandas("pandas", "pandas, imported at its first use by mesa.datacollection")
    sys.modules["pandas"] = stand_in
    try:
        return importlib.import_module("mesa.datacollection")
    finally:
        if sys.modules.get("pandas") is stand_in:
            del sys.modules["pandas"]  # everyone else imports the real pandas


def install() -> None:
    """Register ``mesa`` as a package whose ``__init__`` runs at the first use beyond :data:`CORE`.

    Does nothing if ``mesa`` is already imported (or being imported) or cannot be found.
    """
    if "mesa" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("mesa")
    except (ImportError, ValueError):
        return
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str):  # noqa: N807 - the module-level __getattr__ of PEP 562
        if name in CORE:
            module = _import_datacollection() if name == "DataCollector" else importlib.import_module(CORE[name])
            value = getattr(module, name)
            setattr(package, name, value)  # the same object Mesa's __init__ would bind
            return value
        # anything else of Mesa's: run its own __init__ (once), then answer as Mesa does
        if package.__dict__.get("__getattr__") is __getattr__:
            del package.__dict__["__getattr__"]
            spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = __getattr__
    sys.modules["mesa"] = package

"""Great-power bargaining: the model package (no pygame, no printing, no files in the core)."""

from sim import mesa_core as _mesa_core

_mesa_core.install()  # Mesa's Model, Agent and DataCollector without the rest of Mesa until used

"""Great-power bargaining: the model package (no pygame, no printing, no files in the core)."""

from sim import deferred as _deferred

_deferred.defer("mesa", _deferred.MESA_SERVED)  # Model, Agent, DataCollector without the rest of Mesa
_deferred.defer("mesa.experimental")  # Mesa 3.5's model imports some of it, not its continuous space

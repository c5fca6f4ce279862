"""The model under ``mesa.batch_run``, with dotted-path overrides as constructor keywords.

``GreatPowerModel`` works under ``mesa.batch_run``: its constructor takes keywords (``scenario``,
``seed``, ``turns``, ``reasons``), it has a ``datacollector`` whose ``outcomes`` reporter records
turn 0 and every turn after, and ``running`` goes False at the end. Things to know:

- ``batch_run`` with ``number_processes`` > 1 starts its processes with ``spawn``, which imports
  the calling script again in each process: a script must call it under
  ``if __name__ == "__main__":``;
- a pydantic ``Scenario`` is iterable, so ``batch_run`` would iterate over a bare one: pass
  ``{"scenario": [sc]}`` (a list), or a path;
- Mesa 3.3's ``batch_run`` reports the record at index ``model.steps - 1`` as the last one, so
  with this model (which also records turn 0) it stops one turn short of the end (Mesa issue
  #2514, fixed in Mesa 3.5). :class:`SweepModel` closes the gap on Mesa < 3.5;
- Mesa 3.5's ``batch_run`` takes seeds as ``rng=[...]`` and overwrites a ``seed`` parameter of a
  model whose constructor names ``seed``; :class:`SweepModel` accepts seeds either way.

:class:`SweepModel` adds what a grid needs: any keyword with a dot in it is a scenario override
(``{"actors.USA.threat.CHN": [0.5, 0.9]}``), applied as ``run.py sweep --set`` applies it, and the
scenario file is read once per process, not once per run::

    import mesa
    from sim.sweep.mesa_compat import SweepModel

    if __name__ == "__main__":
        rows = mesa.batch_run(SweepModel, {"scenario": "scenarios/baseline_2021.yaml",
                                           "actors.USA.threat.CHN": [0.5, 0.9], "seed": range(10),
                                           "turns": 36}, number_processes=2, data_collection_period=1)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.loader import ScenarioSource, read_file, read_source
from sim.model import GreatPowerModel
from sim.schema import Scenario
from sim.sweep.overrides import apply, parse_value, resolve
from sim.sweep.rerun import value_text

BASELINE = str(Path(__file__).resolve().parents[2] / "scenarios" / "baseline_2021.yaml")


@lru_cache(maxsize=8)
def _source(path: str) -> tuple[ScenarioSource, dict]:
    source = read_source(read_file(path), path)
    return source, source.validate().model_dump()


@lru_cache(maxsize=256)
def scenario_with(path: str, overrides: tuple[tuple[str, Any], ...] = ()) -> Scenario:
    """The scenario at ``path`` with ``(dotted path, value)`` overrides, validated (cached per process).

    Raises:
        sim.loader.ScenarioError: the file is invalid, or an override puts a value out of range.
        ValueError: an unknown path, or a value of the wrong kind.
    """
    source, dump = _source(path)
    assignments = []
    for text, value in overrides:
        target = resolve(text, dump)
        assignments.append((target, parse_value(value_text(value), target)))
    return source.validate(apply(source.data, assignments))


def _mesa_before_3_5() -> bool:
    import mesa

    try:
        major, minor = (int(x) for x in mesa.__version__.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < (3, 5)


class SweepModel(GreatPowerModel):
    """:class:`~sim.model.GreatPowerModel` for ``mesa.batch_run``: dotted keywords are overrides.

    Args:
        scenario: a scenario file path (read once per process) or a validated ``Scenario``
            (then no overrides are allowed).
        seed: the model's seed (a keyword; ``rng`` is taken as the same when ``seed`` is not
            given, which is how Mesa 3.5's ``batch_run(..., rng=[...])`` passes seeds).
        turns: horizon override.
        reasons: record the AI's alternatives in the turn log (off: much faster).
        **overrides: ``{"actors.USA.threat.CHN": 0.5, ...}``: a keyword with a dot names a
            scenario value, as in ``run.py sweep --set``.

    The constructor names neither ``seed`` nor ``rng`` in its signature, so that Mesa 3.5's
    ``batch_run`` keeps a ``seed`` parameter as given (it overwrites the one the signature names).
    On Mesa < 3.5 a finished model takes one more ``step()`` call that does nothing, so that
    ``batch_run`` reports the last turn too (Mesa issue #2514).

    Raises:
        TypeError: an unknown keyword without a dot, or overrides with a ``Scenario`` object.
        ValueError, sim.loader.ScenarioError: see :func:`scenario_with`.
    """

    def __init__(self, scenario: str | Scenario = BASELINE, *, turns: int | None = None, reasons: bool = False, **overrides: Any):
        seed = overrides.pop("seed", None)
        rng = overrides.pop("rng", None)
        if seed is None:
            seed = rng
        plain = [k for k in overrides if "." not in k]
        if plain:
            raise TypeError(f"unknown keyword(s) {', '.join(plain)}: an override is a dotted path such as actors.USA.threat.CHN")
        if isinstance(scenario, Scenario):
            if overrides:
                raise TypeError("overrides need the scenario as a file path")
            sc = scenario
        else:
            sc = scenario_with(str(scenario), tuple(sorted(overrides.items())))
        self.overrides = dict(overrides)
        self._linger = _mesa_before_3_5()
        super().__init__(sc, seed=None if seed is None else int(seed), turns=turns, reasons=reasons)

    def step(self) -> None:
        """One turn; at the end, release the model from Mesa 3.3's agent-id registry (see
        :func:`sweep.worker.release_model`) so that ``batch_run`` does not keep every run alive.
        """
        if self.end_state != "running":
            self.running = False  # the extra call on Mesa < 3.5: nothing happens
            return
        super().step()
        if not self.running:
            from sim.sweep.worker import release_model

            release_model(self)
            if self._linger:
                self.running = True  # one more (empty) step call, so that batch_run reads the last turn

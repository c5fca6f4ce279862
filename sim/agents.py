"""Mesa agents: states and blocs (docs/model.md, section 2).

The model keeps every changing quantity in numpy arrays (indexed by actor in id order) so that a
turn is vectorised; agents are thin views onto those arrays, which is what Mesa's tools
(``model.agents``, ``AgentSet`` selection, the ``DataCollector``) see.
"""

from __future__ import annotations

import mesa


class StateActor(mesa.Agent):
    """A state: one row of the model's arrays.

    Attributes:
        id: short code such as ``"RUS"`` (always a string).
        name: display name.
        index: row in every actor-indexed array.
    """

    def __init__(self, model: mesa.Model, code: str, name: str, index: int):
        super().__init__(model)
        self.id = code
        self.name = name
        self.index = index

    @property
    def capability(self) -> float:
        """Capability share in [0, 1] (shares of all actors sum to 1)."""
        return float(self.model.world.capability[self.index])

    @property
    def position(self) -> dict[str, float]:
        """Ideal point per issue, in [0, 1]."""
        w = self.model.world
        return {x: float(self.model.position[self.index, k]) for k, x in enumerate(w.issue_ids)}

    @property
    def salience(self) -> dict[str, float]:
        """Salience per issue, in [0, 1] (before the Pacific-Europe linkage, F11)."""
        w = self.model.world
        return {x: float(self.model.salience[self.index, k]) for k, x in enumerate(w.issue_ids)}

    @property
    def posture(self) -> dict[str, float]:
        """Posture per theatre where present, in [0, 1]."""
        w = self.model.world
        return {
            t: float(self.model.posture[self.index, k])
            for k, t in enumerate(w.theatre_ids)
            if w.present[self.index, k]
        }

    @property
    def controller(self) -> str:
        """``ai`` or ``human``."""
        return "human" if self.id in self.model.humans else "ai"


class Bloc(mesa.Agent):
    """An alliance or institution that holds a member list (docs/model.md, section 2).

    Attributes:
        id: short code such as ``"NATO"``.
        name: display name.
        index: row in bloc-indexed arrays.
        members: member actor ids.
        rule: ``consensus``, ``majority`` or ``leader``.
        leader: leader's id or ``None``.
    """

    def __init__(self, model: mesa.Model, code: str, index: int):
        super().__init__(model)
        spec = model.scenario.blocs[code]
        self.id = code
        self.name = spec.name
        self.index = index
        self.rule = spec.rule
        self.leader = spec.leader

    @property
    def members(self) -> list[str]:
        """Current member ids (accession adds members during a run)."""
        w = self.model.world
        return [a for i, a in enumerate(w.actor_ids) if self.model.members[self.index, i]]

"""Actions an actor can take in a turn (docs/model.md, section 3).

An :class:`Action` is plain, hashable data; ``str(action)`` is its readable form and
:meth:`Action.to_dict` / :meth:`Action.from_dict` its JSON form (saves, logs, the front end).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

ACTION_KINDS = (
    "pass",
    "propose",
    "answer",
    "open_channel",
    "suspend_channel",
    "close_channel",
    "expel",
    "restore_staff",
    "set_posture",
    "joint_patrol",
    "apply_membership",
    "vote",
    "use_force",
)
"""Every action kind, in a fixed order (the codes of :data:`KIND_CODE`)."""
KIND_CODE = {k: i for i, k in enumerate(ACTION_KINDS)}

ANSWERS = ("accept", "compromise", "reject")


@dataclass(frozen=True, order=True, init=False)
class Action:
    """One action of one actor.

    Attributes:
        kind: one of :data:`ACTION_KINDS`.
        actor: the acting state's id.
        issue: issue id (``propose``, ``answer``).
        target: counterpart actor id (``propose``, ``expel``, ``restore_staff``,
            ``joint_patrol`` partner, ``use_force`` target), or the challenger for ``answer``.
        channel: channel id (``propose`` route, channel actions, ``expel``, ``restore_staff``).
        theatre: theatre id (``set_posture``, ``joint_patrol``, ``use_force``).
        bloc: bloc id (``apply_membership``, ``vote``).
        level: new posture level in [0, 1] (``set_posture``).
        staff: persons expelled or restored (``expel``, ``restore_staff``).
        choice: ``yes``/``no`` (``vote``) or one of :data:`ANSWERS` (``answer``).
    """

    kind: str
    actor: str
    issue: str = ""
    target: str = ""
    channel: str = ""
    theatre: str = ""
    bloc: str = ""
    level: float = 0.0
    staff: float = 0.0
    choice: str = ""

    def __init__(self, kind: str, actor: str, issue: str = "", target: str = "", channel: str = "", theatre: str = "", bloc: str = "", level: float = 0.0, staff: float = 0.0, choice: str = ""):
        # the dataclass's own __init__ for a frozen class sets the ten fields one by one through
        # object.__setattr__; a turn makes some twenty actions, so the fields go in as one dict
        object.__setattr__(self, "__dict__", {"kind": kind, "actor": actor, "issue": issue, "target": target, "channel": channel, "theatre": theatre, "bloc": bloc, "level": level, "staff": staff, "choice": choice})

    def __str__(self) -> str:
        k = self.kind
        if k == "propose":
            return f"propose {self.issue} to {self.target} via {self.channel}"
        if k == "answer":
            return f"answer {self.target} on {self.issue}: {self.choice}"
        if k in ("open_channel", "suspend_channel", "close_channel"):
            return f"{k.split('_')[0]} {self.channel}"
        if k == "expel":
            return f"expel {self.staff:g} {self.target} staff from {self.channel}"
        if k == "restore_staff":
            return f"restore {self.staff:g} {self.target} staff on {self.channel}"
        if k == "set_posture":
            return f"set posture in {self.theatre} to {self.level:.2f}"
        if k == "joint_patrol":
            return f"joint patrol with {self.target} in {self.theatre}"
        if k == "apply_membership":
            return f"apply for membership of {self.bloc}"
        if k == "vote":
            return f"vote {self.choice} in {self.bloc} on {self.issue}"
        if k == "use_force":
            return f"use force against {self.target} in {self.theatre}"
        return "pass"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict without empty fields (JSON-ready)."""
        # the fields in their order (what dataclasses.asdict gives: every value is a str or a
        # float, so there is nothing to copy), read from the instance's dict, which __init__
        # fills in field order: a decision's log record makes one
        return {k: v for k, v in self.__dict__.items() if v not in ("", 0.0) or k in ("kind", "actor")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: unknown keys, or an unknown kind.
        """
        names = {f.name for f in fields(cls)}
        extra = set(d) - names
        if extra:
            raise ValueError(f"unknown action field(s): {', '.join(sorted(extra))}")
        if d.get("kind") not in ACTION_KINDS:
            raise ValueError(f"unknown action kind {d.get('kind')!r}")
        vals = dict(d)
        for f in ("level", "staff"):
            if f in vals:
                vals[f] = float(vals[f])
        return cls(**vals)

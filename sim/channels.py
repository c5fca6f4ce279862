"""Channel kinds and the effectiveness curve (docs/model.md, sections 2 and 7.2; F1, F2, F14).

A registry: a new channel kind is one entry in :data:`CHANNEL_KINDS`, and the tests loop over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPEN, SUSPENDED, CLOSED = 0, 1, 2
STATUS_NAMES = ("open", "suspended", "closed")
STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}

HALF_STAFF = 0.25
"""Staff ratio at which the effectiveness curve is ~0.56; see :func:`effectiveness`."""


@dataclass(frozen=True)
class ChannelKind:
    """What a kind of channel does.

    Attributes:
        name: the kind's id in scenarios.
        political: political dialogue (closed by a political break); ``False`` for military
            lines, which survive political closures (F2, interview L9).
        deconfliction: weight in [0, 1] of the channel in cutting incident escalation in its
            theatres (F2): military lines 1, missions 0.6 (interview L9 calls the mission an
            organ of deconfliction), others 0.2. Weights: judgement (ours).
        bilateral: counts as a bilateral channel for ``channel_preference.bilateral`` (F3).
        event_only: effective only in a turn with a scheduled or injected event (summits).
        staffed: staff can be expelled and restored (F14).
    """

    name: str
    political: bool
    deconfliction: float
    bilateral: bool
    event_only: bool = False
    staffed: bool = False


CHANNEL_KINDS: dict[str, ChannelKind] = {
    k.name: k
    for k in (
        ChannelKind("embassy", True, 0.2, True, staffed=True),
        ChannelKind("ministerial_2plus2", True, 0.2, True),
        ChannelKind("bloc_mission", True, 0.6, False, staffed=True),
        ChannelKind("military_hotline", False, 1.0, True),
        ChannelKind("summit", True, 0.2, True, event_only=True),
        ChannelKind("un", True, 0.1, False, staffed=True),
    )
}
KIND_NAMES = tuple(CHANNEL_KINDS)


def effectiveness(staff: np.ndarray, baseline: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Effectiveness of channels, in [0, 1].

    ``e = 0`` unless the channel is open; otherwise, with ``q = min(staff / baseline, 1)``,
    ``e = q (1 + h) / (q + h)`` with ``h = HALF_STAFF = 0.25``: a saturating curve, 0 at no
    staff, 1 at full staff, and already 0.31 at the 100-of-1,200 staffing of interview L35
    (a skeleton staff keeps the core of a mission's work). The curve is ours (judgement).

    Args:
        staff: persons on post, shape (K,), >= 0.
        baseline: persons in normal times, shape (K,), > 0.
        status: codes ``OPEN``, ``SUSPENDED``, ``CLOSED``, shape (K,).

    Returns:
        Effectiveness, shape (K,), in [0, 1].
    """
    q = np.minimum(staff / baseline, 1.0)
    e = q * (1.0 + HALF_STAFF) / (q + HALF_STAFF)
    return np.where(status == OPEN, e, 0.0)

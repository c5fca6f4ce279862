"""Scheduled and injected events, applied at the start of a turn (docs/model.md section 3; the instructor's injections)."""

from __future__ import annotations

import numpy as np

from sim.channels import OPEN, STATUS_CODES
from sim.phases import collective, military
from sim.phases.decide import rnd
from sim.phases.perceive import Structure
from sim.schema import EventSpec
from sim.state import State, Turn
from sim.world import World

SUMMIT_RELIEF = 0.1
"""Tension relief of a summit whose event gives no ``size``; judgement (ours)."""


def apply_events(w: World, st: State, turn: Turn, sx: Structure, e: np.ndarray, dyn: dict[str, float], rng: np.random.Generator, events: list[EventSpec]) -> tuple[int, ...]:
    """Apply events in order; return the channel indices of this turn's summits.

    Args:
        e: (K,) channel effectiveness as last perceived (an injected incident's deconfliction).
    """
    if not events:
        return ()
    ai = {a: i for i, a in enumerate(w.actor_ids)}
    summits = []
    for ev in events:
        rec = {"type": "event", "kind": ev.kind, "text": ev.text, "source": ev.source or "instructor"}
        if ev.kind == "summit":
            i, j = ai[ev.actors[0]], ai[ev.actors[1]]
            if ev.channel is not None:
                k = w.channel_ids.index(ev.channel)
                if st.status[k] != OPEN:
                    st.status[k] = OPEN
                summits.append(k)
            relief = ev.size.value if ev.size is not None else SUMMIT_RELIEF
            st.tension[i, j] = st.tension[j, i] = max(0.0, st.tension[i, j] - relief)
            rec.update(actors=ev.actors, channel=ev.channel)
        elif ev.kind == "incident":
            t = w.theatre_ids.index(ev.theatre)
            i, j = ai[ev.actors[0]], ai[ev.actors[1]]
            rec.update(actors=ev.actors, theatre=ev.theatre)
            military.incident(w, st, turn, sx, e, dyn, rng, t, i, j, forced=True)
        elif ev.kind in ("expulsion", "restore_staff"):
            k = w.channel_ids.index(ev.channel)
            size = ev.size.value * w.ch_baseline[k]
            if ev.kind == "expulsion":
                st.staff[k] = max(0.0, st.staff[k] - size)
            else:
                st.staff[k] = min(w.ch_baseline[k], st.staff[k] + size)
            rec.update(channel=ev.channel, staff=rnd(st.staff[k], 1))
        elif ev.kind == "red_line":
            i, k = ai[ev.actor], w.issue_ids.index(ev.issue)
            for r, (owner, issue, *_rest) in enumerate(w.red_lines):
                if owner == i and issue == k:
                    collective.red_line_response(w, st, turn, r, "event")
            rec.update(actor=ev.actor, issue=ev.issue)
        elif ev.kind == "channel_status":
            k = w.channel_ids.index(ev.channel)
            st.status[k] = STATUS_CODES[ev.status]
            if ev.status == "closed":
                st.staff[k] = 0.0
            rec.update(channel=ev.channel, status=ev.status)
        elif ev.kind == "set_posture":
            i, t = ai[ev.actor], w.theatre_ids.index(ev.theatre)
            if w.present[i, t]:
                st.posture[i, t] = ev.size.value
            rec.update(actor=ev.actor, theatre=ev.theatre, level=rnd(ev.size.value))
        elif ev.kind == "set_position":
            i, k = ai[ev.actor], w.issue_ids.index(ev.issue)
            st.position[i, k] = ev.size.value
            rec.update(actor=ev.actor, issue=ev.issue, position=rnd(ev.size.value))
        turn.log(rec)
    return tuple(summits)

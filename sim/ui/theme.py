"""Colours, channel styles and font sizes of the front end (plain data, no pygame).

Channel lines: the *style* says the kind, the *colour* says the status and, for an open
channel, its effectiveness (dim grey-green at 0, bright green at 1); suspended is amber, closed
is red and thin with a cross at its midpoint, so a closure reads without colour vision too.
"""

from __future__ import annotations

Colour = tuple[int, int, int]

BG: Colour = (18, 22, 30)
PANEL: Colour = (28, 33, 44)
PANEL_EDGE: Colour = (62, 70, 88)
TEXT: Colour = (232, 236, 242)
TEXT_DIM: Colour = (160, 168, 184)
ACCENT: Colour = (255, 214, 102)
OCEAN: Colour = (22, 44, 68)
GRATICULE: Colour = (30, 56, 84)
LAND: Colour = (58, 64, 72)
LAND_ACTOR: Colour = (84, 92, 104)
BORDER: Colour = (30, 34, 40)
THEATRE: Colour = (255, 140, 40)
INCIDENT: Colour = (255, 70, 50)
AGREEMENT: Colour = (90, 230, 130)
SELECT: Colour = (255, 255, 255)

OPEN_LOW: Colour = (104, 122, 116)
OPEN_HIGH: Colour = (70, 235, 120)
SUSPENDED: Colour = (250, 176, 40)
CLOSED: Colour = (235, 50, 50)

TENSION_LOW: Colour = (235, 240, 245)
TENSION_HIGH: Colour = (230, 40, 40)

BLOC_COLOURS: dict[str, Colour] = {
    "NATO": (70, 130, 220),
    "EU": (240, 200, 60),
    "AUKUS": (40, 190, 190),
    "UNSC": (170, 120, 220),
}
BLOC_FALLBACK: list[Colour] = [(200, 120, 200), (120, 200, 120), (220, 150, 90)]

CHANNEL_STYLES: dict[str, dict] = {
    "embassy": {"pattern": "solid", "width": 2, "label": "embassy"},
    "ministerial_2plus2": {"pattern": "double", "width": 2, "label": "2+2 ministerial"},
    "bloc_mission": {"pattern": "dashed", "width": 3, "label": "mission to a bloc"},
    "military_hotline": {"pattern": "dotted", "width": 3, "label": "military hotline"},
    "summit": {"pattern": "solid", "width": 5, "label": "summit"},
    "un": {"pattern": "dashdot", "width": 2, "label": "UN mission"},
}
"""Line style per channel kind (a registry: a new kind is one entry)."""
DEFAULT_STYLE = {"pattern": "solid", "width": 2, "label": "other"}


def lerp(a: Colour, b: Colour, t: float) -> Colour:
    """Linear blend of two colours, ``t`` in [0, 1] (clipped)."""
    t = 0.0 if t < 0 else 1.0 if t > 1 else t
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def channel_colour(status: str, effectiveness: float) -> Colour:
    """Colour of a channel line from its status and effectiveness in [0, 1]."""
    if status == "closed":
        return CLOSED
    if status == "suspended":
        return SUSPENDED
    return lerp(OPEN_LOW, OPEN_HIGH, effectiveness**0.5)


def tension_colour(t: float) -> Colour:
    """Fill of a capital marker for a tension in [0, 1] with the focus state."""
    return lerp(TENSION_LOW, TENSION_HIGH, t)


def bloc_colour(bloc: str, order: list[str]) -> Colour:
    """Colour of a bloc (known blocs have fixed colours; others by their order)."""
    if bloc in BLOC_COLOURS:
        return BLOC_COLOURS[bloc]
    k = order.index(bloc) if bloc in order else 0
    return BLOC_FALLBACK[k % len(BLOC_FALLBACK)]

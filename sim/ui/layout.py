"""Screen layout in fractions of the window, so that a resize scales everything.

At the reference size 1280x800::

    +---------------------------------------------------------------+
    | top bar: status, End turn, Instructor, Save, Load, Replay, Help |
    +------------------------------------------+--------------------+
    | map (theatres, capitals, channels, legend) | selected state or  |
    |                                            | channel            |
    +--------------------+---------------------+--------------------+
    | action menu /      | turn log            | issues and their   |
    | replay controls    |                     | history            |
    +--------------------+---------------------+--------------------+
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[int, int, int, int]

TOP = 0.065
MAP_W = 0.64
MAP_H = 0.62
MENU_W = 0.29
SEL_H = 0.615
MIN_SIZE = (800, 500)


def _r(x: float, y: float, w: float, h: float, W: int, H: int) -> Rect:
    x0, y0 = round(x * W), round(y * H)
    return x0, y0, round((x + w) * W) - x0, round((y + h) * H) - y0


@dataclass(frozen=True)
class Layout:
    """Pixel rectangles ``(x, y, w, h)`` of every region for one window size."""

    size: tuple[int, int]
    top: Rect
    map: Rect
    menu: Rect
    log: Rect
    selected: Rect
    issues: Rect

    @classmethod
    def for_size(cls, w: int, h: int) -> Layout:
        """The layout of a ``w`` x ``h`` window (clamped to :data:`MIN_SIZE`)."""
        W, H = max(w, MIN_SIZE[0]), max(h, MIN_SIZE[1])
        body = 1.0 - TOP
        return cls(
            size=(W, H),
            top=_r(0, 0, 1, TOP, W, H),
            map=_r(0, TOP, MAP_W, MAP_H, W, H),
            menu=_r(0, TOP + MAP_H, MENU_W, body - MAP_H, W, H),
            log=_r(MENU_W, TOP + MAP_H, MAP_W - MENU_W, body - MAP_H, W, H),
            selected=_r(MAP_W, TOP, 1 - MAP_W, SEL_H - TOP, W, H),
            issues=_r(MAP_W, SEL_H, 1 - MAP_W, 1 - SEL_H, W, H),
        )

    @property
    def scale(self) -> float:
        """Size relative to the reference height of 800 pixels."""
        return self.size[1] / 800


def inset(r: Rect, d: int) -> Rect:
    """A rectangle shrunk by ``d`` pixels on every side."""
    x, y, w, h = r
    return x + d, y + d, max(1, w - 2 * d), max(1, h - 2 * d)

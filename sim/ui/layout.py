"""Screen layout: the body text size and the regions of the window.

At 1280x800 and text scale 1::

    +---------------------------------------------------------------+
    | top bar: status and scores            End turn ... Help buttons |
    +------------------------------------------+--------------------+
    | map (theatres, capitals, channels, legend) | selected state or  |
    |                                            | channel            |
    +--------------------+---------------------+--------------------+
    | action menu /      | turn log            | issues and their   |
    | replay controls    |                     | history            |
    +--------------------+---------------------+--------------------+

The body text is 16 px at 1280x800 and grows with the window (its smaller ratio to 1280x800)
and with the text scale; it is never under :data:`MIN_TEXT_PX`. The larger the text scale, the
less room the map takes, so the panels get the room their text needs; the top bar is as tall as
its text and buttons need (the app measures it). Every region lies inside the window, whatever
its size: a small window gets smaller regions, never ones beyond its edge.
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[int, int, int, int]

BODY_PX = 16
"""Body text size in pixels at 1280x800 and text scale 1 (readable from the back of a seminar
room on a projector: judgement (ours), after the issue's 4 % of screen height for slides)."""
MIN_TEXT_PX = 11
"""The smallest body text, in tiny windows."""
TEXT_SCALES = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5)
"""The text scales that Ctrl+= and Ctrl+- step through."""
REFERENCE = (1280, 800)

MAP_W = 0.64
MAP_H = 0.62
MENU_W = 0.29
SHRINK = 0.12
"""How much of the window's width the map gives up per unit of text scale above 1."""
SHRINK_H = 0.20
"""How much of the body's height the map gives up per unit of text scale above 1 (the band
under it, the action menu and the turn log, needs the room most: at 2x a wrapped action takes
four lines)."""
MENU_SHARE = 0.45
"""The action menu's share of the band under the map at text scale 1 (the turn log has the rest)."""
MENU_SHARE_GROW = 0.15
"""How much the menu's share grows per unit of text scale above 1 (at most up to 2x)."""


def body_px(w: int, h: int, text_scale: float = 1.0) -> int:
    """The body text size in pixels for a window of ``w`` x ``h`` at ``text_scale``."""
    k = min(w / REFERENCE[0], h / REFERENCE[1])
    return max(MIN_TEXT_PX, round(BODY_PX * k * text_scale))


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
    text_scale: float = 1.0

    @classmethod
    def for_size(cls, w: int, h: int, top_h: int | None = None, text_scale: float = 1.0) -> Layout:
        """The layout of a ``w`` x ``h`` window.

        Args:
            w: window width in pixels.
            h: window height in pixels.
            top_h: the top bar's height in pixels (default 6.5 % of the height).
            text_scale: the text scale (a larger one gives the panels more room).
        """
        W, H = max(w, 1), max(h, 1)
        top = top_h if top_h is not None else round(0.065 * H)
        top = min(top, H // 2)
        up = max(0.0, text_scale - 1.0)
        map_w = max(0.44, MAP_W - up * SHRINK)
        map_h = max(0.40, MAP_H - up * SHRINK_H)
        menu_w = map_w * (MENU_SHARE + MENU_SHARE_GROW * min(1.0, up))  # the menu and the log share the band
        body_h = H - top
        map_hp = round(body_h * map_h)
        lower = body_h - map_hp
        mw = round(W * map_w)
        menu_wp = round(W * menu_w)
        sel_h = round(body_h * (map_h - 0.005))
        return cls(
            size=(W, H),
            top=(0, 0, W, top),
            map=(0, top, mw, map_hp),
            menu=(0, top + map_hp, menu_wp, lower),
            log=(menu_wp, top + map_hp, mw - menu_wp, lower),
            selected=(mw, top, W - mw, sel_h),
            issues=(mw, top + sel_h, W - mw, body_h - sel_h),
            text_scale=text_scale,
        )

    @property
    def scale(self) -> float:
        """Size relative to the reference window (its smaller ratio to 1280x800)."""
        return min(self.size[0] / REFERENCE[0], self.size[1] / REFERENCE[1])


def inset(r: Rect, d: int) -> Rect:
    """A rectangle shrunk by ``d`` pixels on every side."""
    x, y, w, h = r
    return x + d, y + d, max(1, w - 2 * d), max(1, h - 2 * d)

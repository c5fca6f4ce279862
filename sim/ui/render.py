"""Drawing with pygame: the map, the panels, the legend and the end-of-turn animation.

Everything here reads plain data only: a snapshot (``GreatPowerModel.snapshot()``), the
:class:`~ui.controller.StaticView` of the scenario, and what the controller says is selected.
Nothing here calls the model.

Caching: the base map (ocean, graticule, countries tinted by bloc) is drawn once per window size
and bloc membership; the scene (theatres, channels, capitals, labels, legend) once per change of
what is drawn (the controller's ``version``); a frame blits the scene, the panels and the moving
parts of an animation.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import pygame

from sim.ui import geo, theme
from sim.ui.controller import StaticView, TurnChanges
from sim.ui.layout import Rect

try:
    import pygame_gui

    FONT_DIR = Path(pygame_gui.__file__).resolve().parent / "data"
except ImportError:  # pragma: no cover - pygame_gui is a dependency of the ui extra
    FONT_DIR = None


class Fonts:
    """Noto Sans (pygame_gui's bundled face) at any size, and a cache of rendered strings."""

    def __init__(self, max_items: int = 3000):
        self._fonts: dict[tuple[int, bool, bool], pygame.font.Font] = {}
        self._cache: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self._max = max_items
        self._fit: dict[tuple, str] = {}

    def font(self, size: int, bold: bool = False, italic: bool = False) -> pygame.font.Font:
        """A font object (cached)."""
        key = (size, bold, italic)
        f = self._fonts.get(key)
        if f is None:
            name = (
                "NotoSans-Bold.ttf"
                if bold
                else "NotoSans-Italic.ttf"
                if italic
                else "NotoSans-Regular.ttf"
            )
            path = FONT_DIR / name if FONT_DIR else None
            f = pygame.font.Font(str(path) if path and path.exists() else None, size)
            self._fonts[key] = f
        return f

    def text(
        self, s: str, size: int, colour: tuple, bold: bool = False, italic: bool = False
    ) -> pygame.Surface:
        """A rendered string (antialiased, transparent background), cached."""
        key = (s, size, colour, bold, italic)
        surf = self._cache.get(key)
        if surf is None:
            surf = self.font(size, bold, italic).render(s, True, colour)
            self._cache[key] = surf
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return surf

    def wrap(self, s: str, size: int, width: int, bold: bool = False) -> list[str]:
        """``s`` broken into lines of at most ``width`` pixels (at spaces)."""
        f = self.font(size, bold)
        lines, cur = [], ""
        for word in s.split(" "):
            cand = f"{cur} {word}" if cur else word
            if f.size(cand)[0] <= width or not cur:
                cur = cand
            else:
                lines.append(cur)
                cur = word
        if cur:
            lines.append(cur)
        return lines

    def fit(self, s: str, size: int, width: int, bold: bool = False) -> str:
        """``s`` shortened with an ellipsis to fit ``width`` pixels (memoised)."""
        key = (s, size, width, bold)
        out = self._fit.get(key)
        if out is not None:
            return out
        f = self.font(size, bold)
        out = s
        if f.size(s)[0] > width:
            while out and f.size(out + "…")[0] > width:
                out = out[:-1]
            out += "…"
        if len(self._fit) > 5000:
            self._fit.clear()
        self._fit[key] = out
        return out


# ---------------------------------------------------------------------- line patterns
PATTERNS = {"dashed": (12, 7), "dashdot": (12, 5, 3, 5)}


def _walk(pts: list[tuple[float, float]]):
    for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
        L = math.hypot(x2 - x1, y2 - y1)
        if L > 0:
            yield x1, y1, x2, y2, L


def offset_polyline(pts: list[tuple[float, float]], d: float) -> list[tuple[float, float]]:
    """The polyline shifted ``d`` pixels along its left normal (for double lines)."""
    out = []
    n = len(pts)
    for i in range(n):
        a = pts[max(0, i - 1)]
        b = pts[min(n - 1, i + 1)]
        dx, dy = b[0] - a[0], b[1] - a[1]
        L = math.hypot(dx, dy) or 1.0
        out.append((pts[i][0] - dy / L * d, pts[i][1] + dx / L * d))
    return out


_PRIMS: dict[tuple, list] = {}


def _styled_prims(pts: tuple, pattern: str, width: int) -> list[tuple]:
    """The drawing primitives of a patterned polyline (geometry only; cached)."""
    key = (pts, pattern, width)
    out = _PRIMS.get(key)
    if out is not None:
        return out
    out = []
    if pattern == "solid":
        out.append(("lines", list(pts), width))
    elif pattern == "double":
        gap = max(2.0, width * 1.1)
        out.append(("lines", offset_polyline(list(pts), gap), max(1, width - 1)))
        out.append(("lines", offset_polyline(list(pts), -gap), max(1, width - 1)))
    elif pattern == "dotted":
        step = max(6.0, width * 2.6)
        d = max(2, round(width * 1.3))
        h = d / 2
        rects = []
        carry = 0.0
        for x1, y1, x2, y2, L in _walk(pts):
            s = carry
            while s <= L:
                t = s / L
                rects.append((int(x1 + (x2 - x1) * t - h), int(y1 + (y2 - y1) * t - h), d, d))
                s += step
            carry = s - L
        out.append(("rects", rects, 0))
    else:
        seq = PATTERNS.get(pattern, (10, 6))
        k, left, on = 0, seq[0], True
        segs = []
        for x1, y1, x2, y2, L in _walk(pts):
            s = 0.0
            while s < L:
                d = min(left, L - s)
                if on:
                    t0, t1 = s / L, (s + d) / L
                    segs.append(
                        (
                            (x1 + (x2 - x1) * t0, y1 + (y2 - y1) * t0),
                            (x1 + (x2 - x1) * t1, y1 + (y2 - y1) * t1),
                        )
                    )
                s += d
                left -= d
                if left <= 1e-9:
                    k = (k + 1) % len(seq)
                    left, on = seq[k], not on
        out.append(("segs", segs, width))
    if len(_PRIMS) > 4000:
        _PRIMS.clear()
    _PRIMS[key] = out
    return out


def draw_styled(
    surf: pygame.Surface, colour, pts: list[tuple[float, float]], pattern: str, width: int
) -> None:
    """Draw a polyline in a pattern: ``solid``, ``double``, ``dashed``, ``dashdot``, ``dotted``.

    The pattern's geometry is computed once per polyline, pattern and width, and cached.
    """
    if len(pts) < 2:
        return
    for kind, data, w in _styled_prims(tuple(pts), pattern, width):
        if kind == "lines":
            pygame.draw.lines(surf, colour, False, data, w)
        elif kind == "rects":
            fill = surf.fill
            for r in data:
                fill(colour, r)
        else:
            line = pygame.draw.line
            for a, b in data:
                line(surf, colour, a, b, w)


def draw_cross(
    surf: pygame.Surface, colour, c: tuple[float, float], r: float, width: int = 3
) -> None:
    """An ``×`` centred at ``c`` (marks a closed channel)."""
    x, y = c
    pygame.draw.line(surf, colour, (x - r, y - r), (x + r, y + r), width)
    pygame.draw.line(surf, colour, (x - r, y + r), (x + r, y - r), width)


# ---------------------------------------------------------------------- the map
class MapRenderer:
    """The world map with theatres, capitals, bloc seats, channels and the legend.

    Args:
        static: the scenario's static view.
        fonts: shared :class:`Fonts`.
        world: the base-map data (default: :func:`ui.geo.load_world`).
    """

    def __init__(self, static: StaticView, fonts: Fonts, world: dict | None = None):
        self.static = static
        self.fonts = fonts
        self.world = world or geo.load_world()
        self.rect: Rect = (0, 0, 1, 1)
        self.proj = geo.Projection(self.rect)
        self._base: tuple | None = None
        self._scene: tuple | None = None
        self.show_legend = True
        self.capital_px: dict[str, tuple[int, int]] = {}
        self.seat_px: dict[str, tuple[int, int]] = {}
        self.arcs: dict[str, list[tuple[float, float]]] = {}
        self.country_px: dict[str, list[list[tuple[int, int]]]] = {}
        self.theatre_px: dict[str, list[tuple[int, int]]] = {}
        self.label_rects: dict[str, pygame.Rect] = {}
        self._members_sig: tuple = ()
        self.s = 1.0
        self._scene_surf: pygame.Surface | None = None
        self._legend_cache: tuple | None = None

    # geometry ----------------------------------------------------------
    def set_rect(self, rect: Rect, members: dict[str, list[str]]) -> None:
        """Fit the map into ``rect`` (pixels) and recompute all geometry."""
        sig = tuple(sorted((b, tuple(m)) for b, m in members.items()))
        if rect == self.rect and sig == self._members_sig and self.arcs:
            return
        self.rect = rect
        self._members_sig = sig
        self.s = max(0.6, rect[3] / 496)
        self.proj = geo.Projection(rect)
        st = self.static
        self.capital_px = {}
        for a, (lat, lon, _city) in st.capitals.items():
            x, y = self.proj.to_px(lon, lat)
            self.capital_px[a] = (round(x), round(y))
        self.seat_px = {}
        caps = {a: (lat, lon) for a, (lat, lon, _c) in st.capitals.items()}
        taken: list[tuple[int, int]] = []
        ends = {e for ep in st.channel_endpoints.values() for e in ep}
        for b in st.bloc_ids:
            if b not in ends:
                continue  # a bloc without channels has no place on the map (its members show chips)
            lat, lon = geo.bloc_seat(b, members.get(b, []), caps)
            x, y = self.proj.to_px(lon, lat)
            p = (round(x), round(y))
            while any(
                abs(p[0] - q[0]) < 12 * self.s and abs(p[1] - q[1]) < 12 * self.s for q in taken
            ):
                p = (p[0] - round(4 * self.s), p[1] + round(13 * self.s))
            taken.append(p)
            self.seat_px[b] = p
        self.country_px = {}
        for c in self.world["countries"]:
            key = c["iso3"] or c["name"]
            self.country_px.setdefault(key, []).extend(self.proj.ring_px(r) for r in c["rings"])
        self.theatre_px = {
            t: self.proj.ring_px([list(p) for p in area])
            for t, area in st.theatre_areas.items()
            if len(area) >= 3
        }
        # channel arcs, fanned per pair of endpoints
        groups: dict[tuple[str, str], list[str]] = {}
        for c, (a, b) in st.channel_endpoints.items():
            groups.setdefault(tuple(sorted((a, b))), []).append(c)
        self.arcs = {}
        for (a, b), chans in groups.items():
            pa, pb = self.node_px(a), self.node_px(b)
            if pa is None or pb is None:
                continue
            L = math.hypot(pb[0] - pa[0], pb[1] - pa[1])
            for c, bulge in zip(chans, geo.fan_bulges(len(chans), L), strict=True):
                self.arcs[c] = geo.arc_points(pa, pb, bulge)
        self._place_labels()
        self._base = None
        self._scene = None

    def node_px(self, ident: str) -> tuple[int, int] | None:
        """Pixel position of a state's capital or a bloc's seat."""
        return self.capital_px.get(ident) or self.seat_px.get(ident)

    def channel_mid(self, channel: str) -> tuple[int, int]:
        """Pixel midpoint of a channel's arc (where its closed-mark is drawn)."""
        pts = self.arcs[channel]
        x, y = pts[len(pts) // 2]
        return round(x), round(y)

    def _place_labels(self) -> None:
        """Greedy placement of capital labels away from markers and other labels."""
        f = self.fonts.font(self._fs(13), bold=True)
        placed: list[pygame.Rect] = []
        markers = [
            pygame.Rect(x - 5, y - 5, 10, 10)
            for x, y in list(self.capital_px.values()) + list(self.seat_px.values())
        ]
        self.label_rects = {}
        ids = sorted(
            self.capital_px,
            key=lambda a: (a not in self.static.great_powers, self.capital_px[a][1]),
        )
        for a in ids:
            x, y = self.capital_px[a]
            w, h = f.size(a)
            w += round(4 * self.s * len(self._blocs_of(a)) * 2)
            best = None
            for ring in (1.0, 1.9, 2.9, 4.0):
                for ang in (0, 180, -35, 35, 145, -145, -90, 90):
                    d = (9 + 6 * (ring - 1)) * self.s
                    cx = x + math.cos(math.radians(ang)) * d
                    cy = y - math.sin(math.radians(ang)) * d
                    if -90 < ang < 90:
                        r = pygame.Rect(round(cx), round(cy - h / 2), w, h)
                    elif ang in (90, -90):
                        r = pygame.Rect(
                            round(cx - w / 2), round(cy - (h if ang == 90 else 0)), w, h
                        )
                    else:
                        r = pygame.Rect(round(cx - w), round(cy - h / 2), w, h)
                    if (
                        r.collidelist(placed) < 0
                        and r.collidelist(markers) < 0
                        and pygame.Rect(self.rect).contains(r)
                    ):
                        best = r
                        break
                if best:
                    break
            if best is None:
                best = pygame.Rect(x + 6, y - h // 2, w, h)
            placed.append(best)
            self.label_rects[a] = best

    def _fs(self, base: int) -> int:
        return max(9, round(base * self.s))

    def _blocs_of(self, actor: str) -> list[str]:
        return [b for b, m in self._members_sig if actor in m]

    # hit testing -------------------------------------------------------
    def hit_test(self, pos: tuple[int, int]) -> tuple[str, str] | None:
        """What is under the mouse: ``("actor", id)``, ``("channel", id)`` or ``None``.

        Capitals and their labels come first, then bloc seats, channels (within 5 pixels), and
        last the country polygons of the scenario's states.
        """
        if not pygame.Rect(self.rect).collidepoint(pos):
            return None
        best, bd = None, 11 * self.s
        for a, p in self.capital_px.items():
            d = math.hypot(pos[0] - p[0], pos[1] - p[1])
            if d < bd:
                best, bd = a, d
        if best:
            return ("actor", best)
        for a, r in self.label_rects.items():
            if r.collidepoint(pos):
                return ("actor", a)
        best, bd = None, 6.0 * max(1.0, self.s)
        for c, pts in self.arcs.items():
            d = geo.polyline_distance(pos, pts)
            if d < bd:
                best, bd = c, d
        if best:
            return ("channel", best)
        for a in self.static.actor_ids:
            for ring in self.country_px.get(a, []):
                if len(ring) >= 3 and geo.point_in_ring(pos, ring):
                    return ("actor", a)
        return None

    # drawing -----------------------------------------------------------
    def base(self, members: dict[str, list[str]]) -> pygame.Surface:
        """The static base map for the current rect and bloc membership (cached)."""
        key = (self.rect, self._members_sig)
        if self._base and self._base[0] == key:
            return self._base[1]
        x0, y0, w, h = self.rect
        surf = pygame.Surface((w, h))
        surf.fill(theme.OCEAN)
        off = (-x0, -y0)
        for lon in range(-180, 181, 30):
            a = self.proj.to_px(lon, -80)
            b = self.proj.to_px(lon, 85)
            pygame.draw.line(
                surf,
                theme.GRATICULE,
                (a[0] + off[0], a[1] + off[1]),
                (b[0] + off[0], b[1] + off[1]),
                1,
            )
        for lat in range(-60, 90, 30):
            a = self.proj.to_px(-180, lat)
            b = self.proj.to_px(180, lat)
            pygame.draw.line(
                surf,
                theme.GRATICULE,
                (a[0] + off[0], a[1] + off[1]),
                (b[0] + off[0], b[1] + off[1]),
                1,
            )
        fills = self.actor_fills()
        for key_, rings in self.country_px.items():
            col = fills.get(key_, theme.LAND)
            for ring in rings:
                if len(ring) >= 3:
                    pts = [(px + off[0], py + off[1]) for px, py in ring]
                    pygame.draw.polygon(surf, col, pts)
                    pygame.draw.lines(surf, theme.BORDER, True, pts, 1)
        self._base = (key, surf)
        return surf

    def actor_fills(self) -> dict[str, tuple[int, int, int]]:
        """Fill colour of each scenario state's country: tinted by its first alliance."""
        out = {}
        order = list(self.static.bloc_ids)
        for a in self.static.actor_ids:
            blocs = [b for b in self._blocs_of(a) if b not in ("UNSC", "UN")]
            out[a] = (
                theme.lerp(theme.LAND_ACTOR, theme.bloc_colour(blocs[0], order), 0.42)
                if blocs
                else theme.LAND_ACTOR
            )
        return out

    def draw(
        self,
        surf: pygame.Surface,
        snap: dict,
        *,
        focus: str,
        selected: tuple | None,
        hover: tuple | None,
        humans: list[str],
        key,
    ) -> None:
        """Draw the whole map for a snapshot (the scene is cached on ``key``)."""
        members = {b: v["members"] for b, v in snap["blocs"].items()}
        self.set_rect(self.rect, members)
        full_key = (key, self.rect, self.show_legend)
        if self._scene is None or self._scene[0] != full_key:
            base = self.base(members)
            scene = (
                self._scene_surf
                if self._scene_surf is not None and self._scene_surf.get_size() == base.get_size()
                else pygame.Surface(base.get_size())
            )
            self._scene_surf = scene
            scene.blit(base, (0, 0))
            self._draw_scene(
                scene, snap, focus=focus, selected=selected, hover=hover, humans=humans
            )
            self._scene = (full_key, scene)
        surf.blit(self._scene[1], self.rect[:2])

    def _local(self, p):
        return (p[0] - self.rect[0], p[1] - self.rect[1])

    def _draw_scene(
        self, surf: pygame.Surface, snap: dict, *, focus: str, selected, hover, humans
    ) -> None:
        st, F, s = self.static, self.fonts, self.s
        ox, oy = -self.rect[0], -self.rect[1]
        # theatres: shaded by the highest posture present
        post = {t: 0.0 for t in self.theatre_px}
        for v in snap["actors"].values():
            for t, p in v.get("posture", {}).items():
                if t in post:
                    post[t] = max(post[t], p)
        bw = max(1, round(2 * s))
        for t, ring in self.theatre_px.items():
            xs = [x for x, _ in ring]
            ys = [y for _, y in ring]
            bx, by = min(xs) - bw, min(ys) - bw
            layer = pygame.Surface((max(xs) - bx + bw + 1, max(ys) - by + bw + 1), pygame.SRCALPHA)
            pts = [(x - bx, y - by) for x, y in ring]
            alpha = round(40 + 110 * post[t])
            pygame.draw.polygon(layer, (*theme.THEATRE, alpha), pts)
            pygame.draw.lines(layer, (*theme.THEATRE, 220), True, pts, bw)
            surf.blit(layer, (bx + ox, by + oy))
        for t, ring in self.theatre_px.items():
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            lab = F.text(st.theatre_names.get(t, t), self._fs(12), (255, 226, 190), italic=True)
            lx = min(xs) + ox + 3
            ly = max(ys) + oy + 1
            if ly + lab.get_height() > surf.get_height():
                ly = min(ys) + oy - lab.get_height() - 1
            surf.blit(lab, (lx, ly))
        # channels: thin first, selected last
        sel_ch = {x[1] for x in (selected, hover) if x and x[0] == "channel"}
        sel_act = {x[1] for x in (selected, hover) if x and x[0] == "actor"}
        chans = snap["channels"]
        order = sorted(
            self.arcs,
            key=lambda c: (
                c in sel_ch,
                any(e in sel_act for e in st.channel_endpoints[c]),
                chans[c]["status"] == "closed",
            ),
        )
        dim = bool(sel_act)
        for c in order:
            v = chans[c]
            pts = [(x + ox, y + oy) for x, y in self.arcs[c]]
            style = theme.CHANNEL_STYLES.get(v["kind"], theme.DEFAULT_STYLE)
            width = max(1, round(style["width"] * s))
            col = theme.channel_colour(v["status"], v["effectiveness"])
            involved = any(e in sel_act for e in st.channel_endpoints[c])
            if dim and not involved and c not in sel_ch:
                col = theme.lerp(col, theme.OCEAN, 0.55)
            if c in sel_ch:
                pygame.draw.lines(surf, theme.SELECT, False, pts, width + round(5 * s))
            draw_styled(surf, col, pts, style["pattern"], width)
            if v["status"] == "closed":
                mx, my = pts[len(pts) // 2]
                draw_cross(surf, theme.CLOSED, (mx, my), 5 * s, max(2, round(2.5 * s)))
        # bloc seats
        for b, p in self.seat_px.items():
            x, y = p[0] + ox, p[1] + oy
            r = round(7 * s)
            col = theme.bloc_colour(b, list(st.bloc_ids))
            poly = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            pygame.draw.polygon(surf, col, poly)
            pygame.draw.polygon(surf, (15, 15, 20), poly, 1)
            lab = F.text(b, self._fs(11), col, bold=True)
            surf.blit(lab, (x - r - lab.get_width() - 2, y - lab.get_height() // 2))
        # capitals: fill = tension with the focus state
        ten = snap["tension"].get(focus, {})
        for a, p in self.capital_px.items():
            x, y = p[0] + ox, p[1] + oy
            gp = a in st.great_powers
            r = round((7.5 if gp else 5.5) * s)
            if a == focus:
                fill = theme.ACCENT
            else:
                fill = theme.tension_colour(ten.get(a, 0.0))
            pygame.draw.circle(surf, (10, 10, 14), (x, y), r + 2)
            pygame.draw.circle(surf, fill, (x, y), r)
            if a in humans:
                pygame.draw.circle(
                    surf, theme.ACCENT, (x, y), r + round(4 * s), max(2, round(2 * s))
                )
            if a in sel_act:
                pygame.draw.circle(surf, theme.SELECT, (x, y), r + round(7 * s), 2)
            lr = self.label_rects.get(a)
            if lr:
                lab = F.text(a, self._fs(13), theme.TEXT if a != focus else theme.ACCENT, bold=True)
                lx, ly = lr.x + ox, lr.y + oy
                if math.hypot(lr.centerx - p[0], lr.centery - p[1]) > 26 * s:
                    pygame.draw.line(
                        surf, (150, 156, 170), (x, y), (lr.centerx + ox, lr.centery + oy), 1
                    )
                bg = pygame.Rect(lx - 2, ly, lr.w + 4, lr.h)
                pygame.draw.rect(surf, (16, 20, 28), bg, border_radius=3)
                surf.blit(lab, (lx, ly))
                cx = lx + lab.get_width() + round(3 * s)
                for b in self._blocs_of(a):
                    chip = round(6 * s)
                    pygame.draw.rect(
                        surf,
                        theme.bloc_colour(b, list(st.bloc_ids)),
                        (cx, ly + (lr.h - chip) // 2, chip, chip),
                    )
                    cx += chip + round(2 * s)
        if self.show_legend:
            key = (focus, surf.get_size(), s)
            if self._legend_cache is None or self._legend_cache[0] != key:
                self._legend_cache = (key, self._legend(focus))
            leg = self._legend_cache[1]
            surf.blit(leg, (round(8 * s), surf.get_height() - leg.get_height() - round(8 * s)))

    def _legend(self, focus: str) -> pygame.Surface:
        """The legend box (line style = kind, colour = status, capitals, theatres, blocs)."""
        F, s = self.fonts, self.s
        fs = self._fs(12)
        lh = round(17 * s)
        col_w = round(182 * s)
        kinds = list(theme.CHANNEL_STYLES.items())
        rows = max(len(kinds), 5) + 2
        w, h = col_w * 2 + round(16 * s), lh * rows + round(12 * s)
        x0, y0 = 0, 0
        surf = pygame.Surface((w, h), pygame.SRCALPHA)
        surf.fill((12, 16, 24, 225))
        pygame.draw.rect(surf, theme.PANEL_EDGE, (x0, y0, w, h), 1)
        x, y = x0 + round(6 * s), y0 + round(5 * s)
        surf.blit(F.text("Channel kind (line style)", fs, theme.TEXT_DIM, bold=True), (x, y))
        for k, (_kind, st) in enumerate(kinds):
            yy = y + lh * (k + 1) + lh // 2
            draw_styled(
                surf,
                (225, 230, 235),
                [(x, yy), (x + 20 * s, yy - 2 * s), (x + 40 * s, yy)],
                st["pattern"],
                max(1, round(st["width"] * s)),
            )
            surf.blit(F.text(st["label"], fs, theme.TEXT), (x + 46 * s, yy - lh // 2))
        x2 = x + col_w + round(4 * s)
        surf.blit(F.text("Status (colour)", fs, theme.TEXT_DIM, bold=True), (x2, y))
        samples = [
            ("open, effective", theme.channel_colour("open", 1.0), False),
            ("open, weak", theme.channel_colour("open", 0.1), False),
            ("suspended", theme.SUSPENDED, False),
            ("closed", theme.CLOSED, True),
        ]
        for k, (lab, col, cross) in enumerate(samples):
            yy = y + lh * (k + 1) + lh // 2
            pygame.draw.line(surf, col, (x2, yy), (x2 + 34 * s, yy), max(2, round(3 * s)))
            if cross:
                draw_cross(surf, theme.CLOSED, (x2 + 17 * s, yy), 4 * s, 2)
            surf.blit(F.text(lab, fs, theme.TEXT), (x2 + 40 * s, yy - lh // 2))
        yy = y + lh * 5 + lh // 2
        gw = round(34 * s)
        for i in range(gw):
            pygame.draw.line(
                surf,
                theme.tension_colour(i / max(1, gw - 1)),
                (x2 + i, yy - 5 * s),
                (x2 + i, yy + 5 * s),
            )
        surf.blit(F.text(f"tension with {focus} 0..1", fs, theme.TEXT), (x2 + 40 * s, yy - lh // 2))
        yy = y + lh * 6 + lh // 2
        pygame.draw.rect(
            surf, theme.lerp(theme.OCEAN, theme.THEATRE, 0.6), (x2, yy - 5 * s, gw, 10 * s)
        )
        surf.blit(F.text("theatre (deeper: posture)", fs, theme.TEXT), (x2 + 40 * s, yy - lh // 2))
        yy = y + lh * 7 + lh // 2
        cx = x
        for b in self.static.bloc_ids:
            c = theme.bloc_colour(b, list(self.static.bloc_ids))
            pygame.draw.rect(surf, c, (cx, yy - 5 * s, 10 * s, 10 * s))
            t = F.text(b, fs, theme.TEXT)
            surf.blit(t, (cx + 13 * s, yy - lh // 2))
            cx += 13 * s + t.get_width() + 10 * s
        t = F.text("bloc (chips, country tint)", fs, theme.TEXT_DIM)
        if cx + t.get_width() < x0 + w:
            surf.blit(t, (cx, yy - lh // 2))
        return surf

    # animation ---------------------------------------------------------
    def draw_overlay(
        self, surf: pygame.Surface, snap: dict, ch: TurnChanges, t: float, prev: dict | None
    ) -> None:
        """The moving parts of a turn's animation at progress ``t`` in [0, 1]."""
        s = self.s
        clip = surf.get_clip()
        surf.set_clip(pygame.Rect(self.rect))
        # incidents: expanding rings in the theatre
        seen: dict[str, int] = {}
        for inc in ch.incidents:
            ring = self.theatre_px.get(inc["theatre"])
            if not ring:
                continue
            k = seen.get(inc["theatre"], 0)
            seen[inc["theatre"]] = k + 1
            cx, cy = geo.centroid(ring)
            cx += (k % 3 - 1) * 10 * s
            cy += (k // 3) * 10 * s
            for wave in range(3 if inc["crisis"] else 2):
                tt = (t * 2.2 - wave * 0.25) % 1.0
                r = round((6 + 46 * tt) * s * (1.4 if inc["crisis"] else 1.0))
                pygame.draw.circle(
                    surf, theme.INCIDENT, (round(cx), round(cy)), r, max(2, round((4 - 3 * tt) * s))
                )
            pygame.draw.circle(surf, theme.INCIDENT, (round(cx), round(cy)), round(5 * s))
        # channel changes: blink between the old and new colour, then a halo
        for c in ch.channels:
            if c["channel"] not in self.arcs:
                continue
            pts = self.arcs[c["channel"]]
            blink = int(t * 10) % 2 == 0 and t < 0.7
            v = snap["channels"][c["channel"]]
            col = (
                theme.channel_colour(c["from"], v["effectiveness"])
                if blink
                else theme.channel_colour(v["status"], v["effectiveness"])
            )
            style = theme.CHANNEL_STYLES.get(v["kind"], theme.DEFAULT_STYLE)
            w = max(2, round((style["width"] + 3) * s))
            pygame.draw.lines(surf, col, False, pts, w)
            mx, my = self.channel_mid(c["channel"])
            pygame.draw.circle(surf, col, (mx, my), round((10 + 12 * (1 - t)) * s), 2)
            if v["status"] == "closed":
                draw_cross(surf, theme.CLOSED, (mx, my), 7 * s, 3)
        # staff changes: a number rising from the channel
        for st in ch.staff:
            if st["channel"] not in self.arcs:
                continue
            mx, my = self.channel_mid(st["channel"])
            sign = "-" if st["kind"] == "expel" else "+"
            col = theme.SUSPENDED if st["kind"] == "expel" else theme.AGREEMENT
            lab = self.fonts.text(f"{sign}{st['persons']:g} staff", self._fs(12), col, bold=True)
            surf.blit(
                lab, (mx - lab.get_width() // 2, my - round((8 + 26 * t) * s) - lab.get_height())
            )
        # agreements: a green pulse travelling along the channel (or straight between capitals)
        for ag in ch.agreements:
            pts = self.arcs.get(ag.get("channel") or "")
            if pts is None:
                a, b = self.node_px(ag["from"]), self.node_px(ag["to"])
                if a is None or b is None:
                    continue
                pts = [a, b]
            u = min(1.0, t * 1.4)
            idx = u * (len(pts) - 1)
            i = min(len(pts) - 2, int(idx))
            f = idx - i
            x = pts[i][0] + (pts[i + 1][0] - pts[i][0]) * f
            y = pts[i][1] + (pts[i + 1][1] - pts[i][1]) * f
            pygame.draw.circle(surf, theme.AGREEMENT, (round(x), round(y)), round(6 * s))
            if u >= 1.0:
                end = pts[-1]
                pygame.draw.circle(
                    surf,
                    theme.AGREEMENT,
                    (round(end[0]), round(end[1])),
                    round((8 + 10 * (t - 0.7) / 0.3) * s),
                    2,
                )
        surf.set_clip(clip)


# ---------------------------------------------------------------------- panels
def draw_panel_frame(surf: pygame.Surface, rect: Rect, fonts: Fonts, title: str, s: float) -> int:
    """Panel background, border and title; returns the y below the title."""
    pygame.draw.rect(surf, theme.PANEL, rect)
    pygame.draw.rect(surf, theme.PANEL_EDGE, rect, 1)
    lab = fonts.text(title, max(10, round(15 * s)), theme.ACCENT, bold=True)
    surf.blit(lab, (rect[0] + round(8 * s), rect[1] + round(4 * s)))
    return rect[1] + round(6 * s) + lab.get_height()


def bar(surf, rect, value: float, colour, track=(52, 58, 72)) -> None:
    """A horizontal bar filled to ``value`` in [0, 1]."""
    x, y, w, h = rect
    pygame.draw.rect(surf, track, (x, y, w, h), border_radius=2)
    fw = round(w * max(0.0, min(1.0, value)))
    if fw > 0:
        pygame.draw.rect(surf, colour, (x, y, fw, h), border_radius=2)


class PanelRenderer:
    """The selected state or channel panel, and the issues panel with their history."""

    def __init__(self, static: StaticView, fonts: Fonts):
        self.static = static
        self.fonts = fonts
        self._cache: dict[str, tuple] = {}
        self.chan_offset = 0
        """First channel shown in the selected state's channel list (the mouse wheel scrolls)."""

    def scroll_channels(self, rows: int) -> None:
        """Scroll the channel list by ``rows`` rows (two channels a row)."""
        self.chan_offset = max(0, self.chan_offset + 2 * rows)
        self._cache.pop("sel", None)

    def draw_selected(
        self,
        surf: pygame.Surface,
        rect: Rect,
        snap: dict,
        item: tuple | None,
        *,
        humans: list[str],
        pending_hidden: bool,
        key,
    ) -> None:
        """The panel of the selected (or hovered) state or channel (cached on ``key``)."""
        ck = (key, rect, item)
        c = self._cache.get("sel")
        if c is None or c[0] != ck:
            p = pygame.Surface(rect[2:])
            local = (0, 0, rect[2], rect[3])
            if item and item[0] == "channel" and item[1] in snap["channels"]:
                self._channel(p, local, snap, item[1])
            elif item and item[0] == "actor" and item[1] in snap["actors"]:
                self._actor(p, local, snap, item[1], humans, pending_hidden)
            else:
                y = draw_panel_frame(p, local, self.fonts, "Selected: nothing", rect[3] / 440)
                s = rect[3] / 440
                for k, line in enumerate(
                    (
                        "Hover over or click a capital, a country or a channel",
                        "on the map to see it here. Tab cycles the states.",
                    )
                ):
                    p.blit(
                        self.fonts.text(line, max(10, round(13 * s)), theme.TEXT_DIM),
                        (round(8 * s), y + k * round(18 * s)),
                    )
            c = (ck, p)
            self._cache["sel"] = c
        surf.blit(c[1], rect[:2])

    def _actor(
        self,
        p: pygame.Surface,
        rect: Rect,
        snap: dict,
        a: str,
        humans: list[str],
        pending_hidden: bool,
    ) -> None:
        st, F = self.static, self.fonts
        s = rect[3] / 440
        fs, fsm = max(10, round(13 * s)), max(9, round(12 * s))
        lh = round(18 * s)
        v = snap["actors"][a]
        who = "human team" if v["controller"] == "human" else "AI"
        y = draw_panel_frame(p, rect, F, f"{v['name']} ({a}) - {who}", s)
        x0, W = round(8 * s), rect[2] - round(16 * s)
        blocs = [b for b, bv in snap["blocs"].items() if a in bv["members"]]
        p.blit(
            F.text(
                f"capability {100 * v['capability']:.1f} % of all states   blocs: {', '.join(blocs) or 'none'}",
                fs,
                theme.TEXT,
            ),
            (x0, y),
        )
        y += lh + round(4 * s)
        # issues: position vs state
        hx = x0
        for part, icon in (
            ("Issues:", None),
            ("position (size = salience)", "dot"),
            ("state in force", "tri"),
        ):
            if icon == "dot":
                pygame.draw.circle(
                    p, (120, 200, 255), (hx + round(5 * s), y + lh // 2), round(5 * s)
                )
                hx += round(14 * s)
            elif icon == "tri":
                cx, cy = hx + round(5 * s), y + lh // 2
                pygame.draw.polygon(
                    p,
                    theme.ACCENT,
                    [(cx, cy - 5 * s), (cx - 5 * s, cy + 5 * s), (cx + 5 * s, cy + 5 * s)],
                )
                hx += round(14 * s)
            lab = F.text(part, fsm, theme.TEXT_DIM, bold=True)
            p.blit(lab, (hx, y))
            hx += lab.get_width() + round(12 * s)
        y += lh
        lab_w = round(W * 0.42)
        bx, bw = x0 + lab_w + round(6 * s), W - lab_w - round(64 * s)
        for x_id, iv in snap["issues"].items():
            p.blit(F.text(F.fit(iv["label"], fsm, lab_w), fsm, theme.TEXT), (x0, y))
            cy = y + lh // 2
            pygame.draw.line(p, (70, 78, 96), (bx, cy), (bx + bw, cy), max(2, round(3 * s)))
            for lv, _name in st.issue_scales.get(x_id, []):
                tx = bx + round(bw * lv)
                pygame.draw.line(p, (110, 118, 136), (tx, cy - 4 * s), (tx, cy + 4 * s), 1)
            sx = bx + round(bw * iv["state"])
            pygame.draw.polygon(
                p,
                theme.ACCENT,
                [(sx, cy - 2 * s), (sx - 5 * s, cy + 7 * s), (sx + 5 * s, cy + 7 * s)],
            )
            pos, sal = v["position"][x_id], v["salience"][x_id]
            px = bx + round(bw * pos)
            pygame.draw.circle(
                p, (120, 200, 255), (px, cy - round(2 * s)), max(2, round((2.5 + 5 * sal) * s))
            )
            p.blit(
                F.text(f"{pos:.2f} / {sal:.2f}", max(9, round(11 * s)), theme.TEXT_DIM),
                (bx + bw + round(6 * s), y + round(1 * s)),
            )
            y += lh
        y += round(4 * s)
        # tension / alignment and postures side by side
        half = W // 2
        p.blit(F.text("Tension / alignment (highest)", fsm, theme.TEXT_DIM, bold=True), (x0, y))
        p.blit(F.text("Posture by theatre", fsm, theme.TEXT_DIM, bold=True), (x0 + half, y))
        y += lh
        tens = sorted(snap["tension"][a].items(), key=lambda kv: -kv[1])[:4]
        for k, (b, t) in enumerate(tens):
            yy = y + k * round(16 * s)
            p.blit(F.text(b, fsm, theme.TEXT), (x0, yy))
            bar(
                p,
                (x0 + round(34 * s), yy + round(4 * s), round(half * 0.38), round(8 * s)),
                t,
                theme.tension_colour(t),
            )
            al = snap["alignment"][a][b]
            p.blit(
                F.text(f"{t:.2f} / {al:+.2f}", max(9, round(11 * s)), theme.TEXT_DIM),
                (x0 + round(38 * s) + round(half * 0.38), yy),
            )
        posts = list(v["posture"].items())
        for k, (t, val) in enumerate(posts[:4]):
            if k == 3 and len(posts) > 4:
                extra = ", ".join(
                    f"{st.theatre_names.get(tt, tt)} {vv:.2f}" for tt, vv in posts[3:]
                )
                p.blit(
                    F.text(
                        F.fit(extra, max(9, round(11 * s)), half), max(9, round(11 * s)), theme.TEXT
                    ),
                    (x0 + half, y + k * round(16 * s)),
                )
                break
            yy = y + k * round(16 * s)
            p.blit(
                F.text(F.fit(st.theatre_names.get(t, t), fsm, round(half * 0.45)), fsm, theme.TEXT),
                (x0 + half, yy),
            )
            bar(
                p,
                (
                    x0 + half + round(half * 0.48),
                    yy + round(4 * s),
                    round(half * 0.3),
                    round(8 * s),
                ),
                val,
                theme.THEATRE,
            )
            p.blit(
                F.text(f"{val:.2f}", max(9, round(11 * s)), theme.TEXT_DIM),
                (x0 + half + round(half * 0.8), yy),
            )
        y += max(len(tens), min(4, len(posts)), 1) * round(16 * s) + round(4 * s)
        # channels with staff
        chans = [
            (c, cv) for c, cv in snap["channels"].items() if a in st.channel_endpoints.get(c, ())
        ]
        head_y = y
        y += lh
        pend = snap.get("pending", {}).get(a, []) if not pending_hidden else []
        rh = round(16 * s)
        bottom = rect[3] - round(4 * s) - (lh if pend else 0)
        cols = 2
        cw = W // cols
        rows = max(1, (bottom - y) // rh)
        per = rows * cols
        off = min(self.chan_offset, max(0, len(chans) - per))
        off -= off % cols if off % cols else 0
        self.chan_offset = off
        shown = chans[off : off + per]
        for k, (c, cv) in enumerate(shown):
            cx = x0 + (k % cols) * cw
            yy = y + (k // cols) * rh
            col = theme.channel_colour(cv["status"], cv["effectiveness"])
            pygame.draw.circle(p, col, (cx + round(5 * s), yy + round(8 * s)), round(4 * s))
            if cv["status"] == "closed":
                draw_cross(p, theme.CLOSED, (cx + round(5 * s), yy + round(8 * s)), 4 * s, 2)
            txt = f"{c} {cv['staff']:g}/{cv['staff_baseline']:g} e{cv['effectiveness']:.2f}"
            p.blit(
                F.text(
                    F.fit(txt, max(9, round(11 * s)), cw - round(14 * s)),
                    max(9, round(11 * s)),
                    theme.TEXT,
                ),
                (cx + round(12 * s), yy + round(1 * s)),
            )
        rng = (
            f" {off + 1}-{off + len(shown)} of {len(chans)} (wheel scrolls)"
            if len(chans) > per
            else f" ({len(chans)})"
        )
        p.blit(
            F.text(
                F.fit(f"Channels{rng}: staff / normal, effectiveness", fsm, W, bold=True),
                fsm,
                theme.TEXT_DIM,
                bold=True,
            ),
            (x0, head_y),
        )
        if pend:
            yy = bottom + round(1 * s)
            who = ", ".join(sorted({pr["from"] for pr in pend}))
            p.blit(
                F.text(
                    F.fit(
                        f"{len(pend)} proposals await {a}'s answer (from {who})", fsm, W, bold=True
                    ),
                    fsm,
                    theme.SUSPENDED,
                    bold=True,
                ),
                (x0, yy),
            )

    def _channel(self, p: pygame.Surface, rect: Rect, snap: dict, c: str) -> None:
        st, F = self.static, self.fonts
        s = rect[3] / 440
        fs = max(10, round(13 * s))
        lh = round(20 * s)
        v = snap["channels"][c]
        y = draw_panel_frame(p, rect, F, f"Channel {c}", s)
        x0, W = round(8 * s), rect[2] - round(16 * s)
        style = theme.CHANNEL_STYLES.get(v["kind"], theme.DEFAULT_STYLE)
        col = theme.channel_colour(v["status"], v["effectiveness"])
        lines = [
            (st.channel_labels.get(c, c), theme.TEXT),
            (f"kind: {style['label']} ({v['kind']})", theme.TEXT),
            (f"between {' and '.join(v['endpoints'])}", theme.TEXT),
            (f"status: {v['status']}", col),
            (
                f"staff: {v['staff']:g} of {v['staff_baseline']:g} persons in normal times",
                theme.TEXT,
            ),
        ]
        for text, colr in lines:
            p.blit(F.text(F.fit(text, fs, W), fs, colr, bold=colr is col), (x0, y))
            y += lh
        p.blit(F.text(f"effectiveness {v['effectiveness']:.2f}", fs, theme.TEXT), (x0, y))
        bar(
            p,
            (x0 + round(150 * s), y + round(5 * s), round(W * 0.5), round(10 * s)),
            v["effectiveness"],
            col,
        )
        y += lh
        draw_styled(
            p,
            col,
            [(x0, y + lh // 2), (x0 + round(W * 0.5), y + lh // 2)],
            style["pattern"],
            max(1, round(style["width"] * s)),
        )
        if v["status"] == "closed":
            draw_cross(p, theme.CLOSED, (x0 + round(W * 0.25), y + lh // 2), 5 * s, 3)
        y += lh
        issues = st.channel_issues.get(c, ())
        th = st.channel_theatres.get(c, ())
        text = "carries: " + (
            ", ".join(issues) if issues else "no bargaining issue (deconfliction only)"
        )
        if th:
            text += ". Deconfliction in: " + ", ".join(st.theatre_names.get(t, t) for t in th)
        fsm = max(9, round(12 * s))
        for line in F.wrap(text, fsm, W):
            p.blit(F.text(line, fsm, theme.TEXT_DIM), (x0, y))
            y += round(16 * s)

    def draw_issues(
        self,
        surf: pygame.Surface,
        rect: Rect,
        snap: dict,
        history: dict[str, list[float]],
        moved: dict[str, tuple[float, float]],
        t: float,
        key,
    ) -> None:
        """The issues: state in force with its scale and its history over the turns.

        ``moved`` maps an issue to ``(from, to)`` while the turn's animation runs (``t`` < 1):
        the marker slides from the old state to the new.
        """
        st, F = self.static, self.fonts
        s = rect[3] / 308
        animating = bool(moved) and t < 1.0
        ck = (key, rect)
        c = self._cache.get("iss")
        if c is None or c[0] != ck or animating:
            p = pygame.Surface(rect[2:])
            local = (0, 0, rect[2], rect[3])
            y = draw_panel_frame(p, local, F, "Issues: state in force and its history", s)
            x0, W = round(8 * s), rect[2] - round(16 * s)
            n = max(1, len(snap["issues"]))
            row = (rect[3] - y - round(4 * s)) // n
            fs, fsm = max(10, round(13 * s)), max(9, round(11 * s))
            for k, (x_id, iv) in enumerate(snap["issues"].items()):
                yy = y + k * row
                state = iv["state"]
                if animating and x_id in moved:
                    a0, a1 = moved[x_id]
                    state = a0 + (a1 - a0) * min(1.0, t * 1.5)
                    pygame.draw.rect(p, (52, 60, 40), (2, yy, rect[2] - 4, row - 1))
                gx, gw = x0 + round(W * 0.78), round(W * 0.22)
                val = F.text(f"{iv['state']:.2f}", fs, theme.ACCENT, bold=True)
                lab_w = gx - x0 - val.get_width() - round(12 * s)
                p.blit(
                    F.text(F.fit(iv["label"], fs, lab_w, bold=True), fs, theme.TEXT, bold=True),
                    (x0, yy),
                )
                p.blit(val, (gx - val.get_width() - round(6 * s), yy))
                lvl = st.level_name(x_id, iv["state"])
                bw = round(W * 0.42)
                by = yy + round(row * 0.62)
                pygame.draw.line(p, (70, 78, 96), (x0, by), (x0 + bw, by), max(2, round(3 * s)))
                for lv, _ in st.issue_scales.get(x_id, []):
                    tx = x0 + round(bw * lv)
                    pygame.draw.line(p, (120, 128, 146), (tx, by - 4 * s), (tx, by + 4 * s), 1)
                sx = x0 + round(bw * state)
                pygame.draw.polygon(
                    p,
                    theme.ACCENT,
                    [(sx, by - 3 * s), (sx - 5 * s, by + 6 * s), (sx + 5 * s, by + 6 * s)],
                )
                if lvl:
                    p.blit(
                        F.text(F.fit(lvl, fsm, gx - x0 - bw - round(16 * s)), fsm, theme.TEXT_DIM),
                        (x0 + bw + round(8 * s), by - round(8 * s)),
                    )
                # history sparkline
                hist = history.get(x_id, [])
                gy, gh = yy + round(2 * s), row - round(6 * s)
                pygame.draw.rect(p, (36, 42, 56), (gx, gy, gw, gh))
                if len(hist) >= 2:
                    N = max(len(hist) - 1, 1)
                    pts = [(gx + gw * i / N, gy + gh - gh * hv) for i, hv in enumerate(hist)]
                    pygame.draw.lines(p, (130, 200, 255), False, pts, max(1, round(2 * s)))
                elif hist:
                    hy = gy + gh - gh * hist[0]
                    pygame.draw.line(p, (130, 200, 255), (gx, hy), (gx + gw, hy), 1)
            c = (ck, p)
            if not animating:
                self._cache["iss"] = c
        surf.blit(c[1], rect[:2])


def draw_top(surf: pygame.Surface, rect: Rect) -> None:
    """The top bar's background."""
    pygame.draw.rect(surf, (24, 28, 38), rect)
    pygame.draw.line(
        surf,
        theme.PANEL_EDGE,
        (rect[0], rect[1] + rect[3] - 1),
        (rect[0] + rect[2], rect[1] + rect[3] - 1),
    )


def draw_banner(
    surf: pygame.Surface, fonts: Fonts, map_rect: Rect, text: str, t: float, s: float
) -> None:
    """The turn's summary over the top of the map while it animates."""
    lab = fonts.text(text, max(11, round(17 * s)), theme.TEXT, bold=True)
    w, h = lab.get_width() + round(24 * s), lab.get_height() + round(10 * s)
    x = map_rect[0] + (map_rect[2] - w) // 2
    y = map_rect[1] + round(8 * s)
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((10, 12, 18, round(225 * min(1.0, (1.0 - t) * 4 + 0.2))))
    surf.blit(box, (x, y))
    pygame.draw.rect(surf, theme.ACCENT, (x, y, w, h), 2)
    surf.blit(lab, (x + round(12 * s), y + round(5 * s)))


TOAST_BG = (22, 70, 40)


def draw_toast(surf: pygame.Surface, fonts: Fonts, area: Rect, text: str, size: int) -> pygame.Rect:
    """A short message centred at the top of ``area`` (e.g. "Saved turn 3 to ..."); its rect."""
    W = area[2] - 2 * size
    lines = fonts.wrap(text, size, W, bold=True)
    labs = [fonts.text(line, size, theme.TEXT, bold=True) for line in lines]
    w = max(lab.get_width() for lab in labs) + 2 * size
    h = sum(lab.get_height() for lab in labs) + size
    r = pygame.Rect(area[0] + (area[2] - w) // 2, area[1] + size, w, h)
    pygame.draw.rect(surf, TOAST_BG, r, border_radius=6)
    pygame.draw.rect(surf, theme.AGREEMENT, r, 2, border_radius=6)
    y = r.y + size // 2
    for lab in labs:
        surf.blit(lab, (r.x + size, y))
        y += lab.get_height()
    return r


def draw_screen_message(
    surf: pygame.Surface, fonts: Fonts, lines: list[tuple[str, int, tuple, bool]], s: float
) -> None:
    """A full-window screen (hand-over, start) background with centred lines of text.

    Args:
        surf: the window surface.
        fonts: shared fonts.
        lines: ``(text, base size, colour, bold)`` from the top.
        s: the layout's scale (window height / 800).
    """
    surf.fill(theme.BG)
    W, H = surf.get_size()
    y = round(H * 0.14)
    for text, size, colour, bold in lines:
        lab = fonts.text(text, max(10, round(size * s)), colour, bold=bold)
        surf.blit(lab, ((W - lab.get_width()) // 2, y))
        y += lab.get_height() + round(10 * s)

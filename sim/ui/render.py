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

import pygame

from sim.ui import geo, theme
from sim.ui.controller import StaticView, TurnChanges
from sim.ui.fonts import Fonts
from sim.ui.layout import Rect

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
UNDER_KEPT = 8
"""Pictures of the map under the capitals kept (one per look: the hovered and selected states)."""


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
        self.legend_fits = True
        """Whether the legend takes at most 30 % of the map (else it shows only when asked)."""
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
        self._under: dict[tuple, pygame.Surface] = {}
        self._label_layer: tuple | None = None

    # geometry ----------------------------------------------------------
    def set_rect(
        self, rect: Rect, members: dict[str, list[str]], label_px: int | None = None
    ) -> None:
        """Fit the map into ``rect`` (pixels) and recompute all geometry.

        Args:
            rect: the map's region in window pixels.
            members: each bloc's members (their chips sit beside the labels).
            label_px: the size of the state labels (default: scaled with the map's height).
        """
        sig = tuple(sorted((b, tuple(m)) for b, m in members.items()))
        if label_px is None:
            label_px = self.label_px if self.arcs else max(11, round(14 * rect[3] / 496))
        if rect == self.rect and sig == self._members_sig and self.arcs and label_px == self.label_px:
            return
        self.rect = rect
        self._members_sig = sig
        self.label_px = label_px
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

    def _fs(self, base: int) -> int:
        """A map text size: ``base`` at the default label size of 13 (state labels)."""
        return max(10, round(base * self.label_px / 13))

    def marker_r(self, actor: str) -> int:
        """Radius in pixels of a capital's marker."""
        return round((7.5 if actor in self.static.great_powers else 5.5) * self.s)

    def label_size(self, a: str) -> tuple[int, int]:
        """Width and height of a state's label box: its id, then one chip per bloc."""
        f = self.fonts.font(self._fs(13), bold=True)
        w, h = f.size(a)
        chips = len(self._blocs_of(a))
        return w + 6 + chips * (round(h * 0.42) + 2), h

    @staticmethod
    def _around(x: float, y: float, w: int, h: int, gap: float, step: float, rings: int):
        """Boxes of ``w`` x ``h`` around ``(x, y)``, nearest first: on rings ``gap + k * step``
        away, at 16 directions (right and left first)."""
        angles = [0, 180, 30, -30, 150, -150, 60, -60, 120, -120, 90, -90, 15, -15, 165, -165]
        for k in range(rings):
            d = gap + k * step
            for ang in angles:
                c, s_ = math.cos(math.radians(ang)), math.sin(math.radians(ang))
                cx = x + c * (d + w / 2)
                cy = y - s_ * (d + h / 2)
                yield pygame.Rect(round(cx - w / 2), round(cy - h / 2), w, h)

    def _place_labels(self) -> None:
        """Place the theatre names, then every label, where none overlaps another.

        Greedy placement over candidate positions: theatre names first (below, above or
        inside their area), then state labels from the most crowded capital outwards, then
        bloc seats; each takes the nearest box around its marker that stays in the map and
        overlaps no placed label, theatre name, other marker or the legend; a label placed
        away from its marker gets a leader line.
        """
        area = pygame.Rect(self.rect).inflate(-4, -4)
        self.legend_rect = None
        lw, lh = self.legend_size()
        self.legend_fits = lw * lh <= 0.3 * self.rect[2] * self.rect[3] and lw <= self.rect[2] * 0.6
        if self.show_legend and self.legend_fits:
            m = round(8 * self.s)
            self.legend_rect = pygame.Rect(
                self.rect[0] + m, self.rect[1] + self.rect[3] - lh - m, lw, lh
            )
        blocked = [self.legend_rect] if self.legend_rect else []
        markers = {
            a: pygame.Rect(x, y, 0, 0).inflate(2 * self.marker_r(a) + 6, 2 * self.marker_r(a) + 6)
            for a, (x, y) in self.capital_px.items()
        }
        seat_r = round(7 * self.s)
        for b, (x, y) in self.seat_px.items():
            markers[b] = pygame.Rect(x - seat_r - 2, y - seat_r - 2, 2 * seat_r + 4, 2 * seat_r + 4)
        # theatre names
        self.theatre_label_rects = {}
        tf = self.fonts.font(self._fs(12), italic=True)
        placed: list[pygame.Rect] = []
        for t, ring in self.theatre_px.items():
            tw, th = tf.size(self.static.theatre_names.get(t, t))
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            cands = [
                pygame.Rect(x0 + 3, y1 + 1, tw, th),
                pygame.Rect(x0 + 3, y0 - th - 1, tw, th),
                pygame.Rect(x0 + 3, y0 + 3, tw, th),
                pygame.Rect((x0 + x1 - tw) // 2, (y0 + y1 - th) // 2, tw, th),
                pygame.Rect(x1 - tw - 3, y1 + 1, tw, th),
                pygame.Rect(x1 + 3, y0, tw, th),
                pygame.Rect(x0 - tw - 3, y0, tw, th),
            ]
            best = None
            for r in cands:
                if area.contains(r) and r.collidelist(placed + blocked) < 0 and r.collidelist(list(markers.values())) < 0:
                    best = r
                    break
            if best is None:
                best = next((r for r in cands if area.contains(r) and r.collidelist(placed + blocked) < 0), cands[0])
            self.theatre_label_rects[t] = best
            placed.append(best)
        # state labels, most crowded first; bloc seats last
        caps = self.capital_px
        h0 = self.fonts.font(self._fs(13), bold=True).get_height()

        def crowd(a):
            x, y = caps[a]
            return sum(1 for b, (u, v) in caps.items() if b != a and abs(u - x) < 5 * h0 and abs(v - y) < 3 * h0)

        order = sorted(caps, key=lambda a: (-crowd(a), a not in self.static.great_powers, a))
        self.label_rects, self.seat_label_rects = {}, {}
        self.leaders: set[str] = set()
        jobs = [(a, caps[a], self.label_size(a), self.marker_r(a), "actor") for a in order]
        sf = self.fonts.font(self._fs(11), bold=True)
        for b, p in self.seat_px.items():
            jobs.append((b, p, (sf.size(b)[0] + 4, sf.size(b)[1]), seat_r, "seat"))
        for ident, (x, y), (w, h), r, kind in jobs:
            others = [m for k, m in markers.items() if k != ident]
            best = None
            for cand in self._around(x, y, w, h, r + 3, max(4, h * 0.55), 24):
                if (
                    area.contains(cand)
                    and cand.inflate(2, 2).collidelist(placed) < 0
                    and cand.collidelist(others) < 0
                    and cand.collidelist(blocked) < 0
                ):
                    best = cand
                    break
            if best is None:  # a crowded corner: any free place in the map, nearest first
                best = next(
                    (
                        c
                        for c in self._around(x, y, w, h, r + 3, max(4, h * 0.55), 80)
                        if area.contains(c) and c.inflate(2, 2).collidelist(placed) < 0
                    ),
                    pygame.Rect(x + r + 3, y - h // 2, w, h),
                )
            placed.append(best)
            gapd = math.hypot(
                max(best.left - x, 0, x - best.right), max(best.top - y, 0, y - best.bottom)
            )
            if gapd > r + 8:
                self.leaders.add(ident)
            (self.label_rects if kind == "actor" else self.seat_label_rects)[ident] = best

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
        alphas = tuple((t, round(40 + 110 * post[t])) for t in self.theatre_px)
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
        looks = []  # how each channel is drawn, in drawing order
        for c in order:
            v = chans[c]
            style = theme.CHANNEL_STYLES.get(v["kind"], theme.DEFAULT_STYLE)
            width = max(1, round(style["width"] * s))
            col = theme.channel_colour(v["status"], v["effectiveness"])
            involved = any(e in sel_act for e in st.channel_endpoints[c])
            if dim and not involved and c not in sel_ch:
                col = theme.lerp(col, theme.OCEAN, 0.55)
            looks.append((c, col, style["pattern"], width, c in sel_ch, v["status"] == "closed"))
        # the map under the capitals (base, theatres, channels, bloc seats) is kept while it looks
        # the same: a full redraw of an unchanged month, or after a hover back, blits it whole.
        # It is drawn as it always was, in the same order, so the picture is the same.
        uk = (id(self._base[1]) if self._base else None, alphas, tuple(looks), surf.get_size(), (ox, oy), s)
        under = self._under.get(uk)
        if under is None:
            under = surf.copy()  # the base map, blitted by draw()
            self._draw_under(under, alphas, looks, ox, oy)
            self._under[uk] = under
            if len(self._under) > UNDER_KEPT:
                del self._under[next(iter(self._under))]
        surf.blit(under, (0, 0))
        # capitals: fill = tension with the focus state
        ten = snap["tension"].get(focus, {})
        for a, p in self.capital_px.items():
            x, y = p[0] + ox, p[1] + oy
            r = self.marker_r(a)
            fill = theme.ACCENT if a == focus else theme.tension_colour(ten.get(a, 0.0))
            pygame.draw.circle(surf, (10, 10, 14), (x, y), r + 2)
            pygame.draw.circle(surf, fill, (x, y), r)
            if a in humans:
                pygame.draw.circle(surf, theme.ACCENT, (x, y), r + round(4 * s), max(2, round(2 * s)))
            if a in sel_act:
                pygame.draw.circle(surf, theme.SELECT, (x, y), r + round(7 * s), 2)
        # labels last, so that no line covers them: leader lines, then the boxes
        for ident, lr in list(self.label_rects.items()) + list(self.seat_label_rects.items()):
            if ident in self.leaders:
                p = self.node_px(ident)
                q = (min(max(p[0], lr.left), lr.right), min(max(p[1], lr.top), lr.bottom))
                a, b = (p[0] + ox, p[1] + oy), (q[0] + ox, q[1] + oy)
                pygame.draw.line(surf, (12, 14, 20), a, b, 4)
                pygame.draw.line(surf, (225, 230, 240), a, b, 2)
        for t, lr in self.theatre_label_rects.items():
            lab = F.text(st.theatre_names.get(t, t), self._fs(12), (255, 226, 190), italic=True)
            surf.blit(lab, (lr.x + ox, lr.y + oy))
        # the boxed labels of blocs and states as one layer, kept while the focus state and the
        # blocs stay (text on an opaque box: the layer's pixels are those drawn directly)
        lk = (
            focus,
            self._members_sig,
            self.label_px,
            surf.get_size(),
            (ox, oy),
            tuple((a, tuple(r)) for a, r in self.label_rects.items()),
            tuple((b, tuple(r)) for b, r in self.seat_label_rects.items()),
        )
        if self._label_layer is None or self._label_layer[0] != lk:
            layer = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
            self._boxed_labels(layer, focus, ox, oy)
            boxes = [r.move(ox, oy) for r in (*self.label_rects.values(), *self.seat_label_rects.values())]
            self._label_layer = (lk, layer, boxes)
        layer = self._label_layer[1]
        surf.blits([(layer, r.topleft, r) for r in self._label_layer[2]], doreturn=False)  # the boxes only
        if self.show_legend and self.legend_fits:
            key = (surf.get_size(), s, self.label_px)
            if self._legend_cache is None or self._legend_cache[0] != key:
                self._legend_cache = (key, {})
            leg = self._legend_cache[1].get(focus)
            if leg is None:
                leg = self._legend_cache[1][focus] = self._legend(focus)
            surf.blit(leg, (round(8 * s), surf.get_height() - leg.get_height() - round(8 * s)))

    def _draw_under(self, surf: pygame.Surface, alphas: tuple, looks: list, ox: int, oy: int) -> None:
        """Theatres (shaded by ``alphas``), channels (drawn as ``looks``) and bloc seats onto the
        base map ``surf``."""
        st, s = self.static, self.s
        bw = max(1, round(2 * s))
        for (t, alpha) in alphas:
            ring = self.theatre_px[t]
            xs = [x for x, _ in ring]
            ys = [y for _, y in ring]
            bx, by = min(xs) - bw, min(ys) - bw
            layer = pygame.Surface((max(xs) - bx + bw + 1, max(ys) - by + bw + 1), pygame.SRCALPHA)
            pts = [(x - bx, y - by) for x, y in ring]
            pygame.draw.polygon(layer, (*theme.THEATRE, alpha), pts)
            pygame.draw.lines(layer, (*theme.THEATRE, 220), True, pts, bw)
            surf.blit(layer, (bx + ox, by + oy))
        for c, col, pattern, width, sel, closed in looks:
            pts = [(x + ox, y + oy) for x, y in self.arcs[c]]
            if sel:
                pygame.draw.lines(surf, theme.SELECT, False, pts, width + round(5 * s))
            draw_styled(surf, col, pts, pattern, width)
            if closed:
                mx, my = pts[len(pts) // 2]
                draw_cross(surf, theme.CLOSED, (mx, my), 5 * s, max(2, round(2.5 * s)))
        for b, p in self.seat_px.items():
            x, y = p[0] + ox, p[1] + oy
            r = round(7 * s)
            col = theme.bloc_colour(b, list(st.bloc_ids))
            poly = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            pygame.draw.polygon(surf, col, poly)
            pygame.draw.polygon(surf, (15, 15, 20), poly, 1)

    def _boxed_labels(self, surf: pygame.Surface, focus: str, ox: int, oy: int) -> None:
        """The bloc seats' and the states' labels (boxes, names, bloc chips) onto ``surf``."""
        st, F = self.static, self.fonts
        for b, lr in self.seat_label_rects.items():
            col = theme.bloc_colour(b, list(st.bloc_ids))
            pygame.draw.rect(surf, (16, 20, 28), lr.move(ox, oy), border_radius=3)
            surf.blit(F.text(b, self._fs(11), col, bold=True), (lr.x + ox + 2, lr.y + oy))
        for a, lr in self.label_rects.items():
            lab = F.text(a, self._fs(13), theme.TEXT if a != focus else theme.ACCENT, bold=True)
            box = lr.move(ox, oy)
            pygame.draw.rect(surf, (16, 20, 28), box, border_radius=3)
            surf.blit(lab, (box.x + 3, box.y))
            cx = box.x + 3 + lab.get_width() + 2
            chip = round(lr.h * 0.42)
            for b in self._blocs_of(a):
                pygame.draw.rect(
                    surf, theme.bloc_colour(b, list(st.bloc_ids)), (cx, box.y + (lr.h - chip) // 2, chip, chip)
                )
                cx += chip + 2

    def toggle_legend(self) -> None:
        """Show or hide the legend (the labels move out of its way or into its room)."""
        self.show_legend = not self.show_legend
        self._place_labels()
        self._scene = None

    def legend_size(self) -> tuple[int, int]:
        """Width and height of the legend box in pixels."""
        return self._legend(self.static.great_powers[0] if self.static.great_powers else "").get_size()

    def _legend(self, focus: str) -> pygame.Surface:
        """The legend box (line style = kind, colour = status, capitals, theatres, blocs)."""
        F, s = self.fonts, self.s
        fs = self._fs(12)
        lh = F.font(fs).get_linesize()
        kinds = list(theme.CHANNEL_STYLES.items())
        col_w = round(
            max(
                F.width("Channel kind (line style)", fs, True),
                F.width("Status (colour)", fs, True) ,
                max(F.width(st["label"], fs) for _k, st in kinds) + 46 * s,
                F.width(f"tension with {focus or 'XXX'} 0..1", fs) + 40 * s,
                F.width("theatre (deeper: posture)", fs) + 40 * s,
            )
            + 10 * s
        )
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
    surf: pygame.Surface,
    fonts: Fonts,
    map_rect: Rect,
    text: str,
    t: float,
    size: int,
    bottom: bool = False,
    avoid: list[pygame.Rect] | None = None,
) -> pygame.Rect:
    """A banner over the map, wrapped to it; returns its rect.

    The turn's summary while it animates sits at the top of the map (``bottom=False``). The
    replay's banner stays on screen while the user reads the map, so it sits at the bottom
    (``bottom=True``), centred in the room right of the first rect of ``avoid`` (the legend),
    and moved up past any other rect of ``avoid`` (labels) that it would cover.
    """
    pad = max(4, size // 2)
    lines = fonts.wrap(text, size, map_rect[2] - 4 * pad, bold=True)
    labs = [fonts.text(line, size, theme.TEXT, bold=True) for line in lines]
    w = max(lab.get_width() for lab in labs) + 2 * pad
    h = sum(lab.get_height() for lab in labs) + pad
    x = map_rect[0] + (map_rect[2] - w) // 2
    y = map_rect[1] + pad
    if bottom:
        avoid = [r for r in (avoid or []) if r is not None]
        left = map_rect[0]
        if avoid and avoid[0].right + pad + w <= map_rect[0] + map_rect[2]:
            left = avoid[0].right + pad
        x = left + (map_rect[0] + map_rect[2] - left - w) // 2
        y = map_rect[1] + map_rect[3] - h - pad
        while y > map_rect[1] + pad and pygame.Rect(x, y, w, h).collidelist(avoid) >= 0:
            y -= max(2, h // 4)
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((10, 12, 18, round(225 * min(1.0, (1.0 - t) * 4 + 0.2))))
    surf.blit(box, (x, y))
    pygame.draw.rect(surf, theme.ACCENT, (x, y, w, h), 2)
    yy = y + pad // 2
    for lab in labs:
        surf.blit(lab, (x + pad, yy))
        yy += lab.get_height()
    return pygame.Rect(x, y, w, h)


TOAST_BG = (22, 70, 40)


def draw_toast(surf: pygame.Surface, fonts: Fonts, area: Rect, text: str, size: int) -> pygame.Rect:
    """A short message centred at the top of ``area`` (e.g. "Saved after turn 2 (2021-09); play resumes at turn 3 to ..."); its rect."""
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


def screen_message_height(fonts: Fonts, lines: list[tuple[str, int, tuple, bool]], fs: int, width: int) -> int:
    """Height in pixels of the lines of :func:`draw_screen_message` in a window ``width`` wide."""
    return sum(
        fonts.font(size, bold).get_linesize() * len(fonts.wrap(t, size, width - 2 * fs, bold)) + fs // 2
        for t, size, _c, bold in lines
    )


def draw_screen_message(
    surf: pygame.Surface,
    fonts: Fonts,
    lines: list[tuple[str, int, tuple, bool]],
    fs: int,
    bottom: int | None = None,
) -> None:
    """A full-window screen (hand-over, start) background with centred, wrapped lines of text.

    Args:
        surf: the window surface.
        fonts: shared fonts.
        lines: ``(text, size in pixels, colour, bold)`` from the top.
        fs: the body text size (sets the spacing).
        bottom: the text stops above this y (the screen's widgets start there).
    """
    surf.fill(theme.BG)
    W, H = surf.get_size()
    bottom = H if bottom is None else bottom
    total = screen_message_height(fonts, lines, fs, W)
    y = max(fs // 2, min(round(H * 0.1), bottom - total - fs))
    for text, size, colour, bold in lines:
        for line in fonts.wrap(text, size, W - 2 * fs, bold):
            lab = fonts.text(line, size, colour, bold=bold)
            surf.blit(lab, ((W - lab.get_width()) // 2, y))
            y += fonts.font(size, bold).get_linesize()
        y += fs // 2

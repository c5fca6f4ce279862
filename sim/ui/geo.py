"""Map geometry without pygame: the base map asset, the projection, channel arcs, hit tests.

The base map is ``assets/world_110m.json`` (Natural Earth 1:110m countries, public domain;
see ``assets/README.md``). The projection is equirectangular with a standard parallel
(``x = lon * cos(phi0)``, ``y = lat``), scaled to fit a view box in degrees into a pixel
rectangle without distortion between the axes; the default view, longitude -98..158 and
latitude -40..66, shows Washington, Europe, East Asia and Canberra at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
WORLD_FILE = ASSETS / "world_110m.json"

VIEW_LON = (-98.0, 158.0)
VIEW_LAT = (-40.0, 66.0)
STANDARD_PARALLEL = 35.0
"""Degrees; the parallel where the projection keeps distances true (mid-latitude of the view)."""

BLOC_SEATS: dict[str, tuple[float, float, str]] = {
    "NATO": (50.88, 4.42, "Brussels"),
    "EU": (50.84, 4.38, "Brussels"),
    "UNSC": (40.75, -73.97, "New York"),
    "UN": (40.75, -73.97, "New York"),
    "OSCE": (48.21, 16.37, "Vienna"),
}
"""Where a bloc's channels end on the map: its seat (lat, lon, city). A bloc not listed here is
placed at the mean of its members' capitals."""


@lru_cache(maxsize=2)
def load_world(path: str | None = None) -> dict:
    """The base map: ``{"countries": [{"iso3", "name", "bbox", "rings"}], ...}``.

    Args:
        path: another file of the same shape (default :data:`WORLD_FILE`).

    Raises:
        FileNotFoundError: the asset is missing (``python assets/make_world.py`` makes it).
    """
    with open(path or WORLD_FILE, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of a lon/lat view box onto a pixel rectangle.

    Attributes:
        rect: ``(x, y, w, h)`` in pixels.
        lon: ``(west, east)`` of the view in degrees.
        lat: ``(south, north)`` of the view in degrees.
    """

    rect: tuple[int, int, int, int]
    lon: tuple[float, float] = VIEW_LON
    lat: tuple[float, float] = VIEW_LAT

    @property
    def _k(self) -> float:
        return math.cos(math.radians(STANDARD_PARALLEL))

    @property
    def scale(self) -> float:
        """Pixels per projected degree (the view box fits inside ``rect``)."""
        x, y, w, h = self.rect
        span_x = (self.lon[1] - self.lon[0]) * self._k
        span_y = self.lat[1] - self.lat[0]
        return min(w / span_x, h / span_y)

    @property
    def _origin(self) -> tuple[float, float]:
        x, y, w, h = self.rect
        s = self.scale
        cx = (self.lon[0] + self.lon[1]) / 2 * self._k
        cy = (self.lat[0] + self.lat[1]) / 2
        return x + w / 2 - cx * s, y + h / 2 + cy * s

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel position of a point given in degrees."""
        ox, oy = self._origin
        s = self.scale
        return ox + lon * self._k * s, oy - lat * s

    def to_lonlat(self, px: float, py: float) -> tuple[float, float]:
        """Inverse of :meth:`to_px`."""
        ox, oy = self._origin
        s = self.scale
        return (px - ox) / (self._k * s), (oy - py) / s

    def ring_px(self, ring: list[list[float]]) -> list[tuple[int, int]]:
        """A ring of ``[lon, lat]`` as integer pixel points (consecutive duplicates dropped)."""
        ox, oy = self._origin
        s = self.scale
        ks = self._k * s
        out: list[tuple[int, int]] = []
        for lon, lat in ring:
            p = (round(ox + lon * ks), round(oy - lat * s))
            if not out or p != out[-1]:
                out.append(p)
        return out


def bloc_seat(
    bloc: str, members: list[str], capitals: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    """``(lat, lon)`` where a bloc's channels end: its seat, else its members' mean capital."""
    if bloc in BLOC_SEATS:
        lat, lon, _ = BLOC_SEATS[bloc]
        return lat, lon
    pts = [capitals[m] for m in members if m in capitals]
    if not pts:
        return 0.0, 0.0
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def arc_points(
    a: tuple[float, float], b: tuple[float, float], bulge: float, n: int = 24
) -> list[tuple[float, float]]:
    """A quadratic Bezier arc from ``a`` to ``b`` (pixels) bowed ``bulge`` pixels to the left.

    Args:
        a: start point in pixels.
        b: end point in pixels.
        bulge: how far the arc's midpoint lies from the chord's midpoint (pixels), along the
            chord's left normal; negative bows to the right.
        n: number of segments.

    Returns:
        ``n + 1`` points; the middle one is the arc's midpoint.
    """
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    L = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / L, dx / L
    cx, cy = (x1 + x2) / 2 + nx * bulge * 2, (y1 + y2) / 2 + ny * bulge * 2
    pts = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        pts.append(
            (u * u * x1 + 2 * u * t * cx + t * t * x2, u * u * y1 + 2 * u * t * cy + t * t * y2)
        )
    return pts


def fan_bulges(count: int, length: float) -> list[float]:
    """Bulges (pixels) for ``count`` channels between one pair, so their arcs fan apart.

    Every arc bows a little (10 % of the chord) so that none hides under a straight line, and
    neighbours are at least 7 pixels apart at their midpoints.
    """
    base = 0.10 * length
    gap = max(7.0, 0.045 * length)
    return [base + (k - (count - 1) / 2) * gap for k in range(count)]


def polyline_distance(p: tuple[float, float], pts: list[tuple[float, float]]) -> float:
    """Shortest distance in pixels from point ``p`` to a polyline."""
    px, py = p
    best = math.inf
    for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
        dx, dy = x2 - x1, y2 - y1
        L2 = dx * dx + dy * dy
        t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / L2))
        qx, qy = x1 + t * dx, y1 + t * dy
        best = min(best, math.hypot(px - qx, py - qy))
    return best


def point_in_ring(p: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    """Even-odd point-in-polygon test (pixels)."""
    x, y = p
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


def centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean of a ring's points (good enough to place a theatre's label)."""
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)

"""Make ``assets/world_110m.json``, the front end's base map, from Natural Earth via npm.

Natural Earth's 1:110m countries (public domain) come as TopoJSON in the npm package
``world-atlas`` (ISC licence for the packaging); ISO 3166-1 alpha-3 codes come from the npm
package ``i18n-iso-countries`` (MIT). Both are installed into a temporary directory, read once,
and only the converted file is kept in the repository.

Run from the repository root (needs ``npm`` on the PATH and the npm registry)::

    python assets/make_world.py            # writes assets/world_110m.json
    python assets/make_world.py --from DIR # use an existing npm install in DIR instead

What the conversion does:

1. decode the TopoJSON arcs: each arc is a list of quantized points, the first absolute and the
   others deltas from the previous one; ``lon = x * scale[0] + translate[0]`` (same for lat);
2. assemble each country's rings from its arc indices (a negative index ``~i`` is arc ``i``
   reversed; consecutive arcs share their joining point, which is dropped once);
3. simplify each ring with Douglas-Peucker at ``TOLERANCE`` degrees and round to
   ``DECIMALS`` decimals, dropping rings that collapse below 4 points;
4. write ``{"countries": [{"id", "iso3", "name", "bbox", "rings"}]}`` with rings as
   ``[[lon, lat], ...]`` (the first ring of each polygon is its exterior), countries sorted by
   bounding-box area, largest first, so that an enclave is drawn over its host.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

WORLD_ATLAS = "world-atlas@2.0.2"
ISO_CODES = "i18n-iso-countries@7.14.0"
TOLERANCE = 0.08
"""Douglas-Peucker tolerance in degrees (about 9 km at the equator); the map is drawn at
roughly 3-6 pixels per degree, so this is below one pixel."""
DECIMALS = 2
OUT = Path(__file__).resolve().parent / "world_110m.json"


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Absolute ``(lon, lat)`` points of every arc of a quantized TopoJSON topology."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def ring_points(
    indices: list[int], arcs: list[list[tuple[float, float]]]
) -> list[tuple[float, float]]:
    """One ring from its arc indices (``~i`` means arc ``i`` reversed)."""
    pts: list[tuple[float, float]] = []
    for i in indices:
        seg = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(seg if not pts else seg[1:])
    return pts


def simplify(pts: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker simplification of a closed or open polyline (iterative)."""
    if len(pts) < 4:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = pts[a], pts[b]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy)
        best, idx = -1.0, -1
        for k in range(a + 1, b):
            px, py = pts[k]
            if norm == 0:
                d = math.hypot(px - x1, py - y1)
            else:
                d = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
            if d > best:
                best, idx = d, k
        if idx >= 0 and best > tol:
            keep[idx] = True
            stack.append((a, idx))
            stack.append((idx, b))
    return [p for p, k in zip(pts, keep, strict=True) if k]


def convert(topo: dict, codes: list[list[str]]) -> dict:
    """The compact base map from a world-atlas topology and the ISO code table."""
    arcs = decode_arcs(topo)
    iso3 = {num: a3 for _a2, a3, num, *_ in codes}
    countries = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g.get("type") == "Polygon":
            polys = [g["arcs"]]
        elif g.get("type") == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        rings = []
        for poly in polys:
            for k, ring in enumerate(poly):
                if k > 0:
                    continue  # holes: an enclave is drawn over its host instead
                pts = simplify(ring_points(ring, arcs), TOLERANCE)
                pts = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in pts]
                dedup = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
                if len(dedup) >= 4:
                    rings.append([list(p) for p in dedup])
        if not rings:
            continue
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        cid = str(g.get("id", ""))
        countries.append(
            {
                "id": cid,
                "iso3": iso3.get(cid, ""),
                "name": g.get("properties", {}).get("name", ""),
                "bbox": [min(xs), min(ys), max(xs), max(ys)],
                "rings": rings,
            }
        )
    countries.sort(key=lambda c: -(c["bbox"][2] - c["bbox"][0]) * (c["bbox"][3] - c["bbox"][1]))
    return {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries, via the npm package "
        f"{WORLD_ATLAS} (TopoJSON); ISO alpha-3 codes from {ISO_CODES}",
        "licence": "Natural Earth: public domain (https://www.naturalearthdata.com/about/terms-of-use/)",
        "made_by": "python assets/make_world.py",
        "simplify_tolerance_deg": TOLERANCE,
        "countries": countries,
    }


def main(argv: list[str] | None = None) -> int:
    """Install the two npm packages in a temporary directory, convert, write :data:`OUT`."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", help="a directory with node_modules/ already installed")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.src) if args.src else Path(tmp)
        if not args.src:
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(root),
                    WORLD_ATLAS,
                    ISO_CODES,
                ],
                check=True,
            )
        topo = json.loads(
            (root / "node_modules/world-atlas/countries-110m.json").read_text("utf-8")
        )
        codes = json.loads((root / "node_modules/i18n-iso-countries/codes.json").read_text("utf-8"))
    data = convert(topo, codes)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    npts = sum(len(r) for c in data["countries"] for r in c["rings"])
    print(
        f"wrote {args.out}: {len(data['countries'])} countries, {npts} points, {len(text) // 1024} KB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

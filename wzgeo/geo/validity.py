"""Invalid polygons: the one repair every plot check uses, and what was wrong, for messages.

The single-plot import (:func:`wzgeo.plots.io.read_plots`, behind ``wzgeo check-plot``,
``wzgeo import-plots`` and the app) and the bulk check (``wzgeo check-plots``,
:mod:`wzgeo.analysis._bulkcheck`) repair invalid geometry with the same function,
:func:`repair_polygonal`: GEOS ``make_valid`` with the *structure* method, which keeps the
union of a polygon's shells minus its holes. Parts of a multipolygon that overlap are merged
(their union); the *linework* method would instead cut the overlap out, as if it were a hole
(even-odd), and the two ways would disagree.

:func:`ring_crossings` finds where a ring crosses itself (a bow-tie or figure-eight), so that
a refusal can say where, and :func:`parts_overlap_m2` how much the parts of a multipolygon
overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "RingCrossing",
    "parts_only_overlap",
    "parts_overlap_m2",
    "polygon_parts",
    "repair_polygonal",
    "ring_crossings",
]


def polygon_parts(g: BaseGeometry) -> list[BaseGeometry]:
    """The non-empty polygons in ``g`` (a polygon, multipolygon or collection)."""
    if g.geom_type == "Polygon":
        return [g] if not g.is_empty else []
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[BaseGeometry] = []
        for q in g.geoms:
            out.extend(polygon_parts(q))
        return out
    return []


def repair_polygonal(geoms: Any) -> Any:
    """Repair invalid polygonal geometry the way every wzgeo check does.

    Parameters
    ----------
    geoms
        One shapely geometry or an array of them.

    Returns
    -------
    shapely geometry or numpy.ndarray
        ``make_valid(method="structure", keep_collapsed=False)``: shells unioned, holes
        subtracted, collapsed parts dropped. Overlapping parts are merged (union).
    """
    return shapely.make_valid(geoms, method="structure", keep_collapsed=False)


def parts_only_overlap(g: BaseGeometry) -> bool:
    """True if ``g`` is a multipolygon whose parts are each valid but touch or overlap.

    Such a geometry is invalid only because its parts meet; the repair merges them.
    """
    if g.geom_type != "MultiPolygon":
        return False
    parts = list(g.geoms)
    return len(parts) > 1 and all(p.is_valid for p in parts) and not g.is_valid


def parts_overlap_m2(g: BaseGeometry) -> float:
    """How much the parts of a multipolygon overlap: sum of their areas minus their union.

    In the units of ``g`` (m² for EPSG:4545); 0 for parts that only touch.
    """
    parts = polygon_parts(g)
    if len(parts) < 2:
        return 0.0
    return max(0.0, float(sum(p.area for p in parts) - shapely.union_all(parts).area))


@dataclass(frozen=True)
class RingCrossing:
    """Where a ring crosses (or touches) itself.

    Attributes
    ----------
    part
        Index of the polygon part (0 for a polygon).
    ring
        0 for the outer ring, 1.. for the holes.
    x, y
        The crossing point (the geometry's coordinates).
    edges
        The two crossing edges as pairs of 1-based point numbers along the ring, e.g.
        ``((1, 2), (3, 4))`` for the edges from point 1 to 2 and from point 3 to 4.
    """

    part: int
    ring: int
    x: float
    y: float
    edges: tuple[tuple[int, int], tuple[int, int]]


def ring_crossings(g: BaseGeometry, *, limit: int = 3) -> list[RingCrossing]:
    """Points where a ring of ``g`` crosses or touches itself (at most ``limit``).

    Parameters
    ----------
    g
        A polygon or multipolygon.
    limit
        Stop after this many crossings.

    Returns
    -------
    list of RingCrossing
        Empty when every ring is simple.
    """
    out: list[RingCrossing] = []
    for k, poly in enumerate(polygon_parts(g)):
        rings = [poly.exterior, *poly.interiors]
        for r, ring in enumerate(rings):
            if shapely.is_simple(ring):
                continue
            coords = np.asarray(ring.coords)[:, :2]
            n = len(coords) - 1  # the last point repeats the first
            if n < 3:
                continue
            segs = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
            a, b = shapely.STRtree(segs).query(segs, predicate="intersects")
            keep = (a < b) & ~((b - a == 1) | ((a == 0) & (b == n - 1)))
            for i, j in zip(a[keep], b[keep], strict=True):
                p = shapely.intersection(segs[i], segs[j])
                pt = shapely.get_coordinates(p)
                if not len(pt):
                    continue
                edges = ((int(i) + 1, (int(i) + 1) % n + 1), (int(j) + 1, (int(j) + 1) % n + 1))
                out.append(RingCrossing(k, r, float(pt[0, 0]), float(pt[0, 1]), edges))
                if len(out) >= limit:
                    return out
    return out

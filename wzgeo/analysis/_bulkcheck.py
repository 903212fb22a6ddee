"""Fast measuring of many plots for :func:`wzgeo.analysis.plotcheck.check_plots` (private).

The straightforward way to check a parcel layer decodes every geometry, validates it with
GEOS, projects every vertex to EPSG:4545 by rebuilding the geometries, and measures. Most real
parcels are simple polygons with one ring, and for those the same numbers come out of plain
arrays of coordinates:

- the ring's coordinates are read straight from the WKB (or from the geometries), grouped by
  vertex count so that each group is a regular ``(plots, vertices)`` array;
- validity: a ring whose every turn goes the same way (cross products of consecutive edges
  all strictly positive or all strictly negative, with a relative margin far above rounding
  error) and which turns round exactly once is strictly convex, hence simple, hence valid
  (for such a ring GEOS ``is_valid`` is true). A ring of up to ten edges whose edges are
  shown pairwise apart (:func:`_simple_t`) is simple too. Rings that pass neither test are
  *not* declared invalid: they go to GEOS ``is_valid`` / ``make_valid`` like before;
- area: the vertices are projected with the same pyproj transformation
  ``GeoSeries.to_crs`` uses (none for EPSG:4545; a shift of the false easting for EPSG:4524)
  and the ring's area is the shoelace sum, which is what GEOS computes for a polygon with
  one ring (differences are rounding, ~1e-15 relative);
- zones: only plots whose EPSG:4545 bounding box meets a zone's bounding box can overlap it;
  those few are decoded and projected, a plot lying wholly inside a zone gets its own area as
  the overlap (the intersection *is* the plot), and only plots crossing a zone boundary get
  an intersection computed.

Everything else (several rings, multipolygons, Z coordinates, other WKB variants, rings that
are not strictly convex, tiny groups) goes the straightforward way, row by row in bulk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from wzgeo.geo.validity import repair_polygonal

__all__ = ["MeasuredPlots", "PlotGeometries", "measure_plots", "zone_overlaps"]

logger = logging.getLogger(__name__)

_MEASURE_EPSG = 4545
_GK36_PREFIXED_EPSG = 4524
_ZONE36_PREFIX_M = 36_000_000.0
# Groups of rings with the same vertex count smaller than this go the general way (the
# per-group overhead of the array path would cost more than it saves).
_MIN_GROUP = 64
# A turn counts as strictly left/right only if |cross| > _TURN_TOL * |e1| * |e2| (sine of the
# turning angle); rounding error of the cross product is ~1e-16 of that product.
_TURN_TOL = 1e-10
# Largest difference (m) allowed between PROJ's approximate and exact Transverse Mercator.
_APPROX_TOL_M = 1e-6
# Rings measured at a time (temporary arrays of a few MB are reused rather than faulted in).
_BATCH = 16_384
# Rings of at most this many edges that are not convex get the (quadratic) simplicity test.
_MAX_SIMPLE_EDGES = 10
# Bounding-box margin (m) of the zone candidate test; candidates are then checked exactly.
_BOX_MARGIN_M = 0.001


@dataclass(frozen=True)
class _Rings:
    """Single-ring 2D polygons with ``k`` coordinates: row numbers and ``(m, k)`` x / y."""

    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray


class PlotGeometries:
    """Plot geometries, as shapely objects or as WKB (decoded only where needed).

    Parameters
    ----------
    geoms
        A numpy array of shapely geometries, or a pyarrow (chunked) binary array of WKB.
    """

    def __init__(self, geoms: Any) -> None:
        self._geoms: np.ndarray | None = None
        self._wkb: Any = None
        if isinstance(geoms, np.ndarray):
            self._geoms = geoms
            self.n = len(geoms)
        else:
            import pyarrow as pa

            arr = geoms
            if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
                raise TypeError(f"WKB must be a binary array, got {arr.type}")
            self._wkb = arr
            self.n = len(arr)

    def decode(self, rows: np.ndarray) -> np.ndarray:
        """Shapely geometries of ``rows`` (``None`` where missing)."""
        if self._geoms is not None:
            return self._geoms[rows]
        if len(rows) == 0:
            return np.empty(0, dtype=object)
        import pyarrow as pa

        sub = self._wkb.take(pa.array(rows, type=pa.int64()))
        return np.asarray(shapely.from_wkb(sub.to_numpy(zero_copy_only=False)), dtype=object)

    def rings(self) -> Iterator[_Rings]:
        """Polygons with exactly one ring (2D), in batches of the same number of coordinates."""
        if self._geoms is not None:
            return _rings_from_geoms(self._geoms)
        return _rings_from_wkb(self._wkb)


def _groups(rows: np.ndarray, counts: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """``(k, rows with k coordinates, their positions in rows)`` for k with enough rows."""
    out: list[tuple[int, np.ndarray, np.ndarray]] = []
    if len(rows) == 0:
        return out
    ks, inverse, sizes = np.unique(counts, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    for j, k in enumerate(ks):
        if sizes[j] < _MIN_GROUP or k < 4:
            continue
        pos = order[bounds[j] : bounds[j + 1]]
        out.append((int(k), rows[pos], pos))
    return out


def _batches(rows: np.ndarray) -> Iterator[np.ndarray]:
    """``rows`` in slices of at most :data:`_BATCH` (small arrays are reused, not faulted in)."""
    for lo in range(0, len(rows), _BATCH):
        yield rows[lo : lo + _BATCH]


def _rings_from_geoms(geoms: np.ndarray) -> Iterator[_Rings]:
    simple = (
        (shapely.get_type_id(geoms) == 3)
        & (shapely.get_num_interior_rings(geoms) == 0)
        & ~shapely.has_z(geoms)
    )
    rows = np.flatnonzero(simple)
    counts = shapely.get_num_coordinates(geoms[rows])
    for k, grows, _pos in _groups(rows, counts):
        for sub in _batches(grows):
            xy = shapely.get_coordinates(geoms[sub]).reshape(len(sub), k, 2)
            yield _Rings(sub, xy[..., 0], xy[..., 1])


def _rings_from_wkb(col: Any) -> Iterator[_Rings]:
    """Single-ring polygons of a WKB column, chunk by chunk (row numbers over all chunks)."""
    import pyarrow as pa

    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    base = 0
    for chunk in chunks:
        for r in _rings_from_wkb_chunk(chunk):
            yield _Rings(r.rows + base, r.x, r.y)
        base += len(chunk)


def _rings_from_wkb_chunk(arr: Any) -> Iterator[_Rings]:
    """Read little-endian 2D WKB polygons with one ring straight from the Arrow buffers."""
    import pyarrow as pa

    n = len(arr)
    bufs = arr.buffers()
    if n == 0 or bufs[2] is None:
        return
    odt = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
    off = np.frombuffer(bufs[1], dtype=odt)[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    start, length = off[:-1], off[1:] - off[:-1]
    ok = length >= 13
    if arr.null_count:
        ok &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if len(data) < 13:
        return
    s = np.minimum(np.where(ok, start, 0), len(data) - 13)
    # header: byte order, then little-endian uint32 type, number of rings, number of points
    head = np.lib.stride_tricks.sliding_window_view(data, 13)[s]
    words = np.ascontiguousarray(head[:, 1:]).view("<u4")
    npts = words[:, 2].astype(np.int64)
    # byte order 1 (little endian), type 3 (Polygon, 2D), one ring, the length adds up
    simple = ok & (head[:, 0] == 1) & (words[:, 0] == 3) & (words[:, 1] == 1)
    simple &= length == 13 + 16 * npts
    rows = np.flatnonzero(simple)
    for k, grows, _pos in _groups(rows, npts[rows]):
        # each ring's coordinates are 16 k contiguous bytes after its 13-byte header
        window = np.lib.stride_tricks.sliding_window_view(data, 16 * k)
        for sub in _batches(grows):
            xy = window[start[sub] + 13].view("<f8")
            yield _Rings(sub, xy[:, 0::2], xy[:, 1::2])


def _strictly_convex(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rings (rows of closed ``x``, ``y``) that are strictly convex, hence valid polygons."""
    return _convex_t(np.ascontiguousarray(x.T), np.ascontiguousarray(y.T))


def _convex_t(xt: np.ndarray, yt: np.ndarray) -> np.ndarray:
    """:func:`_strictly_convex` for rings as columns of ``(k, m)`` arrays (one vertex a row).

    Every turn (cross product of an edge and the next, cyclically) must be strictly left,
    or every turn strictly right, by more than :data:`_TURN_TOL` of the edges' lengths; and
    the ring must turn round exactly once. With every turn between 0° and 180° the edges'
    direction passes the angle 0 (pointing +x; mirrored for clockwise rings) once per full
    turn, i.e. where an edge going down (dy < 0) is followed by one that does not.
    """
    ex, ey = np.diff(xt, axis=0), np.diff(yt, axis=0)  # k - 1 edges, the last closes
    n = len(ex)
    length = np.abs(ex) + np.abs(ey)  # ≥ the Euclidean length
    left = np.ones(xt.shape[1], dtype=bool)
    right = np.ones(xt.shape[1], dtype=bool)
    for j in range(n):
        i = (j + 1) % n
        cross = ex[j] * ey[i] - ey[j] * ex[i]
        tol = _TURN_TOL * (length[j] * length[i])
        left &= cross > tol
        right &= cross < -tol
    down = np.where(right, ey > 0, ey < 0)
    turns = np.zeros(xt.shape[1], dtype=np.int64)
    for j in range(n):
        turns += down[j] & ~down[(j + 1) % n]
    return (left | right) & (turns == 1)


def _simple_t(xt: np.ndarray, yt: np.ndarray) -> np.ndarray:
    """Rings (columns of closed ``(k, m)`` arrays) that are certainly simple, hence valid.

    No edge is degenerate, consecutive edges do not fold back onto each other, and every two
    edges that are not consecutive lie strictly apart: both ends of one strictly on the same
    side of the other's line, by more than :data:`_TURN_TOL` of the lengths involved. A ring
    for which that cannot be shown (touching, crossing, collinear, …) is *not* declared
    invalid; it goes to GEOS. The cost grows with the square of the vertex count, so this is
    used for rings of at most :data:`_MAX_SIMPLE_EDGES` edges.
    """
    ex, ey = np.diff(xt, axis=0), np.diff(yt, axis=0)
    n = len(ex)
    length = np.abs(ex) + np.abs(ey)
    ok = np.ones(xt.shape[1], dtype=bool)
    for j in range(n):
        ok &= length[j] > 0
        i = (j + 1) % n
        cross = ex[j] * ey[i] - ey[j] * ex[i]
        folds = (np.abs(cross) <= _TURN_TOL * length[j] * length[i]) & (
            ex[j] * ex[i] + ey[j] * ey[i] <= 0
        )
        ok &= ~folds

    def side(j: int, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Orientation of point p to edge j, and the margin it must exceed."""
        dx, dy = px - xt[j], py - yt[j]
        d = ex[j] * dy - ey[j] * dx
        return d, _TURN_TOL * length[j] * (np.abs(dx) + np.abs(dy))

    for j in range(n):
        for i in range(j + 2, n):
            if j == 0 and i == n - 1:
                continue  # consecutive through the closing vertex
            d1, t1 = side(j, xt[i], yt[i])
            d2, t2 = side(j, xt[i + 1], yt[i + 1])
            d3, t3 = side(i, xt[j], yt[j])
            d4, t4 = side(i, xt[j + 1], yt[j + 1])
            ok &= (
                ((d1 > t1) & (d2 > t2))
                | ((d1 < -t1) & (d2 < -t2))
                | ((d3 > t3) & (d4 > t4))
                | ((d3 < -t3) & (d4 < -t4))
            )
    return ok


def _shoelace_t(xt: np.ndarray, yt: np.ndarray) -> np.ndarray:
    """Absolute area of closed rings, columns of ``(k, m)`` arrays, about their first vertex."""
    x0, y0 = xt[0], yt[0]
    acc = np.zeros(xt.shape[1])
    for j in range(1, len(xt) - 2):
        acc += (xt[j] - x0) * (yt[j + 1] - y0) - (xt[j + 1] - x0) * (yt[j] - y0)
    return np.abs(acc) / 2.0


def _planar_shift(crs: CRS) -> float | None:
    """x shift that takes ``crs`` to EPSG:4545 when it is 4545 or 4524, else ``None``."""
    if crs.equals(CRS.from_epsg(_MEASURE_EPSG), ignore_axis_order=True):
        return 0.0
    if crs.equals(CRS.from_epsg(_GK36_PREFIXED_EPSG), ignore_axis_order=True):
        return -_ZONE36_PREFIX_M
    return None


class _Projector:
    """Projects vertex arrays to EPSG:4545 like ``GeoSeries.to_crs`` does, but faster.

    When pyproj's transformation is a Transverse Mercator pipeline (as from lon/lat), the same
    pipeline with PROJ's ``approx`` (Evenden/Snyder) algorithm is 2× faster and, near the
    central meridian, agrees with the exact one to nanometres (1.5° from it: < 0.1 µm). It is
    used only for a group of rings whose bounding-box corners, extreme vertices and a sample
    of vertices agree with the exact transformation to :data:`_APPROX_TOL_M`; otherwise the
    exact transformation is used.
    """

    def __init__(self, src: CRS) -> None:
        self.exact = Transformer.from_crs(src, CRS.from_epsg(_MEASURE_EPSG), always_xy=True)
        self.fast: Transformer | None = None
        definition = self.exact.definition
        if "proj=tmerc " in definition and "approx" not in definition:
            try:
                self.fast = Transformer.from_pipeline(
                    definition.replace("proj=tmerc ", "proj=tmerc approx ")
                )
            except ProjError:  # no fast variant: the exact one is used
                self.fast = None

    def _fast_agrees(self, x: np.ndarray, y: np.ndarray) -> bool:
        assert self.fast is not None
        pick = np.unique(
            np.r_[x.argmin(), x.argmax(), y.argmin(), y.argmax(), np.linspace(0, len(x) - 1, 256)]
        ).astype(np.int64)
        x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
        px = np.r_[x[pick], x0, x0, x1, x1]
        py = np.r_[y[pick], y0, y1, y0, y1]
        ex, ey = self.exact.transform(px, py, errcheck=False)
        fx, fy = self.fast.transform(px, py, errcheck=False)
        diff = np.hypot(np.asarray(ex) - fx, np.asarray(ey) - fy)
        return bool(np.isfinite(diff).all() and diff.max() <= _APPROX_TOL_M)

    def transform(self, x: np.ndarray, y: np.ndarray) -> None:
        """Project the flat, contiguous arrays ``x``, ``y`` in place."""
        if not len(x):
            return
        use = self.fast if self.fast is not None and self._fast_agrees(x, y) else self.exact
        use.transform(x, y, inplace=True, errcheck=False)


@dataclass(frozen=True)
class MeasuredPlots:
    """Result of :func:`measure_plots`.

    Attributes
    ----------
    area_m2
        Area of each plot (EPSG:4545).
    near
        Plots whose EPSG:4545 bounding box meets one of the ``near_boxes`` given to
        :func:`measure_plots` (all plots when none were given).
    repaired
        Plots found invalid and repaired with ``make_valid``.
    missing
        Plots without geometry (missing or empty).
    projected
        ``projected(rows)`` → the (repaired) geometries of ``rows`` in EPSG:4545.
    n_fast
        How many plots were measured from coordinate arrays.
    """

    area_m2: np.ndarray
    near: np.ndarray
    repaired: np.ndarray
    missing: np.ndarray
    projected: Callable[[np.ndarray], np.ndarray]
    n_fast: int


def measure_plots(
    plots: PlotGeometries,
    crs: Any,
    *,
    validate: bool = True,
    near_boxes: np.ndarray | None = None,
) -> MeasuredPlots:
    """Validate (and repair) plots, measure their area in EPSG:4545, find those near boxes.

    Gives the numbers of the straightforward way (``is_valid`` / ``make_valid`` on every
    geometry, ``GeoSeries.to_crs(4545)``, ``shapely.area``) up to rounding.

    Parameters
    ----------
    plots
        The plot geometries.
    crs
        Their CRS (anything pyproj accepts).
    validate
        Check validity and repair invalid geometries.
    near_boxes
        ``(z, 4)`` boxes (minx, miny, maxx, maxy) in EPSG:4545, e.g. the zones' bounds.

    Returns
    -------
    MeasuredPlots
    """
    import geopandas as gpd

    src = CRS.from_user_input(crs)
    n = plots.n
    area = np.full(n, np.nan)
    near = np.zeros(n, dtype=bool) if near_boxes is not None else np.ones(n, dtype=bool)
    boxes = (
        np.empty((0, 4))
        if near_boxes is None
        else np.asarray(near_boxes, dtype=float) + np.array([-1, -1, 1, 1]) * _BOX_MARGIN_M
    )

    def meets(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        hit = np.zeros(len(x0), dtype=bool)
        for b in boxes:
            hit |= (x0 <= b[2]) & (x1 >= b[0]) & (y0 <= b[3]) & (y1 >= b[1])
        return hit

    repaired = np.zeros(n, dtype=bool)
    fast = np.zeros(n, dtype=bool)
    shift = _planar_shift(src)
    transformer = None if shift is not None else _Projector(src)
    for ring in plots.rings():
        # one vertex a row, one ring a column: every step below is a pass over whole rows
        xt, yt = np.ascontiguousarray(ring.x.T), np.ascontiguousarray(ring.y.T)
        ok = (xt[0] == xt[-1]) & (yt[0] == yt[-1])
        ok &= np.isfinite(xt.sum(axis=0)) & np.isfinite(yt.sum(axis=0))
        if validate:
            valid = _convex_t(xt, yt)
            if len(xt) - 1 <= _MAX_SIMPLE_EDGES and not valid.all():
                other = np.flatnonzero(~valid)
                valid[other] = _simple_t(xt[:, other], yt[:, other])
            ok &= valid
        rows = ring.rows
        if not ok.all():
            xt, yt = np.ascontiguousarray(xt[:, ok]), np.ascontiguousarray(yt[:, ok])
            rows = rows[ok]
        if not len(rows):
            continue
        if shift:
            xt = xt + shift
        elif transformer is not None:
            # the closing vertex equals the first: project k - 1 vertices per ring, in place
            # (xt, yt are C-contiguous, so these are views)
            xo, yo = xt[:-1].reshape(-1), yt[:-1].reshape(-1)
            transformer.transform(xo, yo)
            xt[:-1], yt[:-1] = xo.reshape(-1, xt.shape[1]), yo.reshape(-1, yt.shape[1])
            xt[-1], yt[-1] = xt[0], yt[0]
            good = np.isfinite(xt.sum(axis=0)) & np.isfinite(yt.sum(axis=0))
            if not good.all():  # outside the projection's domain: the general way
                xt, yt, rows = xt[:, good], yt[:, good], rows[good]
        area[rows] = _shoelace_t(xt, yt)
        if near_boxes is not None:
            near[rows] = meets(xt.min(axis=0), yt.min(axis=0), xt.max(axis=0), yt.max(axis=0))
        fast[rows] = True

    rest = np.flatnonzero(~fast)
    geoms = plots.decode(rest)
    missing = np.zeros(n, dtype=bool)
    missing[rest] = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if validate and len(rest):
        bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        if bad.any():
            geoms = geoms.copy()
            geoms[bad] = repair_polygonal(geoms[bad])  # the repair of the single-plot import
            repaired[rest[bad]] = True
            missing[rest] = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if shift == 0.0 or not len(rest):  # already in EPSG:4545, or nothing to project
        rest_m = np.asarray(geoms, dtype=object)
    else:
        rest_m = np.asarray(gpd.GeoSeries(geoms, crs=src).to_crs(epsg=_MEASURE_EPSG).to_numpy())
    if len(rest):
        area[rest] = shapely.area(rest_m)
        if near_boxes is not None:
            b = shapely.bounds(rest_m)
            near[rest] = meets(b[:, 0], b[:, 1], b[:, 2], b[:, 3])

    def projected(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=object)
        j = np.minimum(np.searchsorted(rest, rows), max(len(rest) - 1, 0))
        slow = rest[j] == rows if len(rest) else np.zeros(len(rows), dtype=bool)
        out[slow] = rest_m[j[slow]]
        quick = np.flatnonzero(~slow)
        if len(quick) and shift == 0.0:  # already in EPSG:4545
            out[quick] = plots.decode(rows[quick])
        elif len(quick):
            g = gpd.GeoSeries(plots.decode(rows[quick]), crs=src)
            out[quick] = g.to_crs(epsg=_MEASURE_EPSG).to_numpy()
        return out

    logger.debug("measured %d plots, %d from coordinate arrays", n, int(fast.sum()))
    return MeasuredPlots(area, near, repaired, missing, projected, int(fast.sum()))


def zone_overlaps(
    measured: MeasuredPlots, zone_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plot / zone pairs whose interiors may meet, and the overlap area of each (m²).

    Parameters
    ----------
    measured
        From :func:`measure_plots` with ``near_boxes`` = the bounds of ``zone_m``.
    zone_m
        Zone polygons in EPSG:4545.

    Returns
    -------
    plot index, zone index, overlap area
        Pairs that intersect (GEOS ``intersects``), as the straightforward STRtree query of
        every plot would give them; the overlap is the plot's own area when the zone contains
        it, else the area of the intersection.
    """
    n = len(measured.area_m2)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if n == 0 or len(zone_m) == 0:
        return empty
    rows = np.flatnonzero(measured.near)
    if not len(rows):
        return empty
    geoms = measured.projected(rows)
    tree = shapely.STRtree(zone_m)
    ci, zi = tree.query(geoms, predicate="intersects")
    pi = rows[ci]
    inter = np.empty(len(pi))
    if len(pi):
        zones = shapely.from_wkb(shapely.to_wkb(zone_m))  # prepared copies
        shapely.prepare(zones)
        inside = shapely.contains(zones[zi], geoms[ci])
        inter[inside] = measured.area_m2[pi[inside]]
        cut = ~inside
        inter[cut] = shapely.area(shapely.intersection(geoms[ci[cut]], zone_m[zi[cut]]))
    return pi, zi, inter

"""Plot geometry checks: rings to polygons, unclosed rings, validity repair, extent.

Rings must have three distinct points and be closed (a gap under :data:`CLOSE_TOL_M` is
closed with a warning); invalid polygons are repaired with ``make_valid`` only when the area
changes by less than 1 %; every plot must land in China and, by default, in Wanzhou. All
checks work in metres (EPSG:4545) except the extent, checked in lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from wzgeo.errors import WzgeoTypeError
from wzgeo.geo import crs as wcrs
from wzgeo.geo.units import fmt_sig
from wzgeo.geo.validity import (
    RingCrossing,
    parts_only_overlap,
    parts_overlap_m2,
    polygon_parts,
    repair_polygonal,
    ring_crossings,
)
from wzgeo.plots._crs import CHINA_LONLAT
from wzgeo.plots._raw import FileContext, ParsedFile, RawPlot

__all__ = [
    "CLOSE_TOL_M",
    "WANZHOU_BBOX",
    "assemble_rings",
    "check_lonlat_extent",
    "plot_geometries",
    "require_geometry",
    "validate_polygon",
]

WANZHOU_BBOX = (107.8, 30.35, 108.95, 31.1)
"""Default extent (lon/lat, W S E N) a plot must lie in when no district polygon is given."""
CLOSE_TOL_M = 1.0
"""Largest gap (metres) between a ring's first and last points that is closed silently."""
_REPAIR_MAX_CHANGE = 0.01


def require_geometry(parsed: ParsedFile, ctx: FileContext) -> None:
    """Refuse a plot without coordinates (a null or empty geometry).

    Raises
    ------
    InputFileError
        Names the first such plot.
    """
    for p in parsed.plots:
        if p.rings is None and (p.geometry is None or p.geometry.is_empty):
            raise ctx.err(
                f"{p.where_zh} 没有几何图形（空）。请删除该要素或补全边界。",
                f"{p.where_en} has no geometry (empty). Remove it or complete its boundary.",
            )


def plot_geometries(
    parsed: ParsedFile, ctx: FileContext, fwd: Callable[[np.ndarray], np.ndarray]
) -> list[BaseGeometry]:
    """Build each plot's (multi)polygon in metres, checking rings and geometry types.

    Parameters
    ----------
    parsed
        The plots as read.
    ctx
        The file's message context.
    fwd
        Converts ``(n, 2)`` file coordinates to EPSG:4545 metres (swap, datum shift, CRS).

    Returns
    -------
    list of shapely geometry
        One polygonal geometry per plot, in EPSG:4545; not yet checked for validity.

    Raises
    ------
    InputFileError
        Fewer than three distinct points, a ring not closed by more than
        :data:`CLOSE_TOL_M`, or points/lines where a polygon is expected.
    """
    geoms_m: list[BaseGeometry] = []
    for p in parsed.plots:
        if p.rings is not None:
            geoms_m.append(_rings_to_polygon(p, ctx, fwd))
        else:
            assert p.geometry is not None
            g = shapely.force_2d(p.geometry)
            _require_polygonal(g, p, ctx)
            g = shapely.transform(g, fwd)
            if p.ring_closure == "reclosed":
                _check_reclosed_gap(g, p, ctx)
            geoms_m.append(g)
    return geoms_m


def _rings_to_polygon(
    p: RawPlot, ctx: FileContext, fwd: Callable[[np.ndarray], np.ndarray]
) -> BaseGeometry:
    assert p.rings is not None and p.ring_where is not None
    rings_m: list[np.ndarray] = []
    for ring, (wzh, wen) in zip(p.rings, p.ring_where, strict=True):
        r = fwd(ring)
        distinct = np.unique(np.round(r, 3), axis=0)
        if len(distinct) < 3:
            raise ctx.err(
                f"{wzh} 只有 {len(distinct)} 个不同的点，构成面至少需要 3 个。请补全界址点。",
                f"{wen} has only {len(distinct)} distinct points; a polygon needs at least 3. "
                "Add the missing boundary points.",
            )
        gap = float(np.hypot(*(r[0] - r[-1])))
        if gap > 0:
            if p.ring_closure == "strict":
                if gap > CLOSE_TOL_M:
                    raise ctx.err(
                        f"{wzh} 未闭合：首末点相距 {gap:.2f} 米（末点应重复首点）。"
                        "可能缺少点或文件被截断，请补全后重新导入。",
                        f"{wen} is not closed: first and last points are {gap:.2f} m apart "
                        "(the last point must repeat the first). Points may be missing or "
                        "the file truncated; complete it and import again.",
                    )
                ctx.warn(
                    f"{wzh} 首末点相距 {gap:.3f} 米，已自动闭合",
                    f"{wen}: first and last points {gap:.3f} m apart; ring closed",
                )
            r = np.vstack([r, r[:1]])
        rings_m.append(r)
    return assemble_rings(rings_m)


def assemble_rings(rings: list[np.ndarray]) -> BaseGeometry:
    """Build a (multi)polygon from rings given in any order, finding which rings are holes.

    A ring lying inside another ring is a hole of the smallest ring that contains it, and a
    ring inside a hole is again a part (an island), whatever order the file lists them in
    (部标 TXT and point tables number the rings of a plot but do not say which are holes).
    Rings that overlap without one containing the other are separate parts; the validity
    check then merges them (their union).

    Parameters
    ----------
    rings
        Closed rings, ``(n, 2)`` arrays in metres.

    Returns
    -------
    shapely geometry
        A polygon, or a multipolygon when there are several parts; not yet checked for
        validity.
    """
    polys = [shapely.Polygon(r) for r in rings]
    if len(polys) == 1:
        return polys[0]
    areas = [abs(p.area) for p in polys]
    containers: list[list[int]] = []
    for i, inner in enumerate(polys):
        inside = [
            j
            for j, outer in enumerate(polys)
            if j != i
            and (areas[j] > areas[i] or (areas[j] == areas[i] and j < i))
            and _covers(outer, inner)
        ]
        containers.append(inside)
    shells: dict[int, list[np.ndarray]] = {}
    for i, inside in enumerate(containers):
        if len(inside) % 2 == 0:
            shells.setdefault(i, [])
    for i, inside in enumerate(containers):
        if len(inside) % 2 == 1:
            parent = min(inside, key=lambda j: (areas[j], j))
            if parent in shells:
                shells[parent].append(rings[i])
            else:  # improperly nested (rings cross): keep it as a part, the check decides
                shells[i] = []
    parts = [shapely.Polygon(rings[i], holes) for i, holes in sorted(shells.items())]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _covers(outer: BaseGeometry, inner: BaseGeometry) -> bool:
    """``outer`` covers ``inner``; for rings GEOS cannot relate (they cross themselves),
    whether every vertex of ``inner`` lies in or on ``outer``."""
    try:
        return bool(outer.covers(inner))
    except shapely.errors.GEOSException:
        xy = shapely.get_coordinates(inner)
        return bool(shapely.intersects_xy(outer, xy[:, 0], xy[:, 1]).all())


def _check_reclosed_gap(g: BaseGeometry, p: RawPlot, ctx: FileContext) -> None:
    """A ring closed on reading: refuse a large gap, warn about a tiny one (metres)."""
    rings = [r for poly in polygon_parts(g) for r in (poly.exterior, *poly.interiors)]
    gaps = [float(np.hypot(*np.diff(np.asarray(r.coords)[-2:], axis=0)[0])) for r in rings]
    gap = max(gaps) if gaps else 0.0
    if gap > CLOSE_TOL_M:
        raise ctx.err(
            f"{p.where_zh} 的边界环未闭合（末点应重复首点），首末点最多相距 {gap:.2f} 米。"
            "可能缺少点或文件被截断，请补全后重新导入。",
            f"{p.where_en} has a ring that is not closed (the last point must repeat the "
            f"first); first and last points up to {gap:.2f} m apart. Points may be missing "
            "or the file truncated; complete it and import again.",
        )
    ctx.warn(
        f"{p.where_zh} 的边界环未闭合（首末点相距 {gap:.3f} 米），已自动闭合",
        f"{p.where_en}: ring not closed (first and last points {gap:.3f} m apart); closed",
    )


def _require_polygonal(g: BaseGeometry, p: RawPlot, ctx: FileContext) -> None:
    types = {t for t in _leaf_types(g)}
    if types - {"Polygon"}:
        raise ctx.err(
            f"{p.where_zh} 是 {'/'.join(sorted(types))}，这里只接受面（Polygon）。"
            "请只导入地块面，或把点/线转换为面后再导入。",
            f"{p.where_en} is a {'/'.join(sorted(types))}; only polygons are accepted here. "
            "Import plot polygons only, or convert points/lines to polygons first.",
        )


def _leaf_types(g: BaseGeometry) -> list[str]:
    if g.geom_type in ("GeometryCollection", "MultiPolygon", "MultiLineString", "MultiPoint"):
        out: list[str] = []
        for part in getattr(g, "geoms", []):
            out.extend(_leaf_types(part))
        return out
    return [g.geom_type]


def validate_polygon(g: BaseGeometry, p: RawPlot, ctx: FileContext) -> tuple[BaseGeometry, bool]:
    """Return the plot's polygon, repaired if it is invalid, and whether it was repaired.

    The repair is :func:`wzgeo.geo.validity.repair_polygonal`, the one the bulk check
    (``wzgeo check-plots``) uses, so both give the same area:

    - parts of a multipolygon that overlap or touch are merged (their union), with a note
      giving the overlap in m²;
    - a ring that crosses itself (a bow-tie) is repaired only when that changes the area by
      less than 1 % (a small loop); otherwise it is refused, saying where it crosses;
    - any other invalid geometry (a hole outside its shell, …) is repaired when the area
      changes by less than 1 %, else refused.

    Parameters
    ----------
    g
        The plot's geometry in metres (EPSG:4545).
    p
        The plot as read (for messages).
    ctx
        The file's message context.

    Returns
    -------
    geometry : shapely geometry
        ``g`` (polygon parts only), or its repair.
    repaired : bool
        True when ``g`` was invalid and has been repaired.

    Raises
    ------
    InputFileError
        A ring crosses itself so that the area is undefined (e.g. a bow-tie), or the repair
        would change the area by 1 % or more.
    """
    if g.geom_type == "GeometryCollection":
        g = shapely.MultiPolygon([q for q in g.geoms if q.geom_type == "Polygon"])
    if g.is_valid:
        return g, False
    polys = polygon_parts(repair_polygonal(g))
    repaired = shapely.union_all(polys) if polys else shapely.Polygon()
    if parts_only_overlap(g) and not repaired.is_empty:
        n = len(polygon_parts(g))
        overlap = parts_overlap_m2(g)
        ctx.warn(
            f"{p.where_zh} 的 {n} 个部分相互重叠或相接，已合并为其并集"
            f"（重叠面积 {fmt_sig(overlap)} m²，只计一次）",
            f"{p.where_en}: its {n} parts overlap or touch and were merged into their union "
            f"(overlap {fmt_sig(overlap)} m², counted once)",
        )
        return repaired, True
    reason = shapely.is_valid_reason(g)
    a0 = abs(g.area)
    a1 = repaired.area
    change = abs(a1 - a0) / a0 if a0 > 0 else math.inf
    if repaired.is_empty or change >= _REPAIR_MAX_CHANGE:
        crossings = ring_crossings(g)
        if crossings:
            where_zh, where_en = _crossing_text(crossings, multipart=len(polygon_parts(g)) > 1)
            raise ctx.err(
                f"{p.where_zh} 边界自相交（“8”字形/蝴蝶结）：{where_zh}。这样的边界围成的范围"
                "无法确定，因此拒绝。请在原软件中检查这些点的顺序后重新导出。",
                f"{p.where_en} is self-intersecting (a figure-eight / bow-tie): {where_en}. "
                "The area such a boundary encloses is undefined, so it is refused. Check the "
                "order of these points in the source software and export again.",
            )
        raise ctx.err(
            f"{p.where_zh} 边界无效（{reason}），自动修复会使面积变化 "
            f"{_pct(change)}，超过 1%，因此拒绝。请在原软件中检查点的顺序后重新导出。",
            f"{p.where_en} is invalid ({reason}); repairing it would "
            f"change its area by {_pct(change)} (over 1%), so it is refused. Check the point "
            "order in the source software and export again.",
        )
    ctx.warn(
        f"{p.where_zh} 边界无效（{reason}），已自动修复，面积变化 {_pct(change)}",
        f"{p.where_en} was invalid ({reason}) and has been repaired; area change {_pct(change)}",
    )
    return repaired, True


def _crossing_text(crossings: list[RingCrossing], *, multipart: bool) -> tuple[str, str]:
    """Where the rings cross, in lon/lat and EPSG:4545 (X = northing), with the edges."""
    to_ll = Transformer.from_crs(wcrs.MEASURE_CRS, wcrs.WGS84, always_xy=True)
    zh, en = [], []
    for c in crossings:
        lon, lat = to_ll.transform(c.x, c.y)
        ring_zh = "外边界" if c.ring == 0 else f"第 {c.ring} 个内环（洞）"
        ring_en = "outer ring" if c.ring == 0 else f"hole {c.ring}"
        if multipart:
            ring_zh = f"第 {c.part + 1} 部分{ring_zh}"
            ring_en = f"part {c.part + 1}, {ring_en}"
        (a1, a2), (b1, b2) = c.edges
        zh.append(
            f"{ring_zh}第 {a1}→{a2} 点与第 {b1}→{b2} 点之间的边在 {lon:.6f}°E, {lat:.6f}°N"
            f"（CGCS2000 3 度带 36 带 X={c.y:.2f}, Y={c.x:.2f}）处交叉"
        )
        en.append(
            f"{ring_en}: the edges from point {a1} to {a2} and from point {b1} to {b2} cross "
            f"at {lon:.6f}°E, {lat:.6f}°N (CGCS2000 GK zone 36 X={c.y:.2f}, Y={c.x:.2f})"
        )
    return "；".join(zh), "; ".join(en)


def _pct(v: float) -> str:
    return "无法计算/undefined" if not math.isfinite(v) else f"{100 * v:.2f}%"


def check_lonlat_extent(
    parsed: ParsedFile,
    geoms_m: list[BaseGeometry],
    ctx: FileContext,
    *,
    district: Any,
    check_extent: bool,
) -> None:
    """Refuse plots outside China or (with ``check_extent``) outside the district.

    Parameters
    ----------
    parsed
        The plots as read (for messages).
    geoms_m
        Their geometries in EPSG:4545.
    ctx
        The file's message context.
    district
        Shapely geometry in lon/lat, GeoSeries/GeoDataFrame with a CRS, or None for
        :data:`WANZHOU_BBOX`.
    check_extent
        Also refuse plots outside the district (and warn about plots partly outside).

    Raises
    ------
    InputFileError
        A plot that cannot be converted, lands outside China, or outside the district.
    WzgeoTypeError
        ``district`` is of the wrong type.
    """
    gs = gpd.GeoSeries(geoms_m, crs=wcrs.MEASURE_CRS).to_crs(wcrs.WGS84)
    area = _district_geom(district, ctx)
    w, s, e, n = CHINA_LONLAT
    for p, g in zip(parsed.plots, gs, strict=True):
        minx, miny, maxx, maxy = g.bounds
        if not (np.isfinite([minx, miny, maxx, maxy]).all()):
            raise ctx.err(
                f"{p.where_zh} 的坐标无法换算（坐标系不对？）。请指定正确的坐标系。",
                f"{p.where_en}: coordinates cannot be converted (wrong CRS?). Pass the right CRS.",
            )
        where = f"{(minx + maxx) / 2:.4f}°E, {(miny + maxy) / 2:.4f}°N"
        if minx < w or maxx > e or miny < s or maxy > n:
            raise ctx.err(
                f"{p.where_zh} 换算后位于 {where}，在中国境外。坐标系可能不对（X/Y 颠倒、带号或"
                "单位错误），请用 --crs 指定正确的坐标系。",
                f"{p.where_en} lands at {where}, outside China. The CRS is probably wrong "
                "(X/Y swapped, wrong zone or unit); pass the right one with --crs.",
            )
        if not check_extent:
            continue
        if not g.intersects(area):
            raise ctx.err(
                f"{p.where_zh} 换算后位于 {where}，不在万州区范围内。请检查坐标系（带号、是否含带号"
                "前缀、X/Y 顺序），必要时用 --crs 指定。",
                f"{p.where_en} lands at {where}, outside Wanzhou district. Check the CRS "
                "(zone, zone prefix, X/Y order) and pass it with --crs if needed.",
            )
        if not g.within(area):
            ctx.warn(
                f"{p.where_zh} 部分位于万州区范围之外", f"{p.where_en} lies partly outside Wanzhou"
            )


def _district_geom(district: Any, ctx: FileContext) -> BaseGeometry:
    if district is None:
        return shapely.box(*WANZHOU_BBOX)
    if isinstance(district, gpd.GeoSeries | gpd.GeoDataFrame):
        wcrs.require_crs(district, what="district")
        return shapely.union_all(district.to_crs(wcrs.WGS84).geometry.values)
    if isinstance(district, BaseGeometry):
        return district
    raise WzgeoTypeError(
        f"district 必须是 shapely 面或 GeoSeries/GeoDataFrame，收到 {type(district).__name__}。",
        f"district must be a shapely polygon or GeoSeries/GeoDataFrame, got "
        f"{type(district).__name__}.",
    )

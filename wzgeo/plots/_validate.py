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
from shapely.geometry.base import BaseGeometry

from wzgeo.errors import WzgeoTypeError
from wzgeo.geo import crs as wcrs
from wzgeo.plots._crs import CHINA_LONLAT
from wzgeo.plots._raw import FileContext, ParsedFile, RawPlot

__all__ = [
    "CLOSE_TOL_M",
    "WANZHOU_BBOX",
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
    outer = shapely.Polygon(rings_m[0])
    holes: list[np.ndarray] = []
    parts: list[shapely.Polygon] = [outer]
    for r in rings_m[1:]:
        ring_poly = shapely.Polygon(r)
        if outer.contains(ring_poly.representative_point()):
            holes.append(r)
        else:
            parts.append(ring_poly)
    parts[0] = shapely.Polygon(rings_m[0], holes)
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _check_reclosed_gap(g: BaseGeometry, p: RawPlot, ctx: FileContext) -> None:
    """A ring closed on reading: refuse a large gap, warn about a tiny one (metres)."""
    rings = [r for poly in _polygon_parts(g) for r in (poly.exterior, *poly.interiors)]
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


def validate_polygon(g: BaseGeometry, p: RawPlot, ctx: FileContext) -> BaseGeometry:
    """Return the plot's polygon, repaired with ``make_valid`` if it is invalid.

    Parameters
    ----------
    g
        The plot's geometry in metres.
    p
        The plot as read (for messages).
    ctx
        The file's message context.

    Returns
    -------
    shapely geometry
        ``g`` (polygon parts only), or its repair, with a warning giving the area change.

    Raises
    ------
    InputFileError
        The repair would change the area by 1 % or more (e.g. a bow-tie).
    """
    if g.geom_type == "GeometryCollection":
        g = shapely.MultiPolygon([q for q in g.geoms if q.geom_type == "Polygon"])
    if g.is_valid:
        return g
    reason = shapely.is_valid_reason(g)
    fixed = shapely.make_valid(g)
    polys = [q for q in _polygon_parts(fixed)]
    repaired = shapely.union_all(polys) if polys else shapely.Polygon()
    a0 = abs(g.area)
    a1 = repaired.area
    change = abs(a1 - a0) / a0 if a0 > 0 else math.inf
    if repaired.is_empty or change >= _REPAIR_MAX_CHANGE:
        raise ctx.err(
            f"{p.where_zh} 边界自相交或无效（{reason}），自动修复会使面积变化 "
            f"{_pct(change)}，超过 1%，因此拒绝。请在原软件中检查点的顺序后重新导出。",
            f"{p.where_en} is self-intersecting or invalid ({reason}); repairing it would "
            f"change its area by {_pct(change)} (over 1%), so it is refused. Check the point "
            "order in the source software and export again.",
        )
    ctx.warn(
        f"{p.where_zh} 边界无效（{reason}），已自动修复，面积变化 {_pct(change)}",
        f"{p.where_en} was invalid ({reason}) and has been repaired; area change {_pct(change)}",
    )
    return repaired


def _pct(v: float) -> str:
    return "无法计算/undefined" if not math.isfinite(v) else f"{100 * v:.2f}%"


def _polygon_parts(g: BaseGeometry) -> list[BaseGeometry]:
    if g.geom_type == "Polygon":
        return [g] if not g.is_empty else []
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[BaseGeometry] = []
        for q in g.geoms:
            out.extend(_polygon_parts(q))
        return out
    return []


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

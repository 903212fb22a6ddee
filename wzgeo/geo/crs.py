"""Every coordinate-reference-system fact of wzgeo, the GCJ-02/BD-09 shifts, and measuring.

Conventions
-----------
- Geometry is stored and displayed in WGS84 (EPSG:4326, lon/lat). CGCS2000 (EPSG:4490)
  agrees with WGS84 to well under a metre for web maps.
- Areas and lengths are measured in 3-degree Gauss-Krüger zone 36 on CGCS2000
  (EPSG:4545, central meridian 108°E, false easting 500 000 m), which covers all of
  Wanzhou (about 107.9–108.9°E). :data:`GK36_PREFIXED` (EPSG:4524) is the same projection
  with the zone number prefixed to the easting (36 500 000 m).
- GCJ-02 (Gaode/Amap, Tencent) and BD-09 (Baidu) are obfuscation formulas, not PROJ CRSs.
  They are applied here and nowhere else. Shifted data keeps the EPSG:4326 label (its
  coordinates are still lon/lat degrees) and carries ``.attrs["datum"] = "GCJ-02"`` (or
  ``"BD-09"``) so it is not mistaken for true WGS84.

The shift is applied only to points inside the usual rectangular "mainland China" test
(lon 72.004–137.8347°E, lat 0.8293–55.8271°N). That box is coarse: it includes Taiwan,
Hong Kong, Macau and parts of neighbouring countries (where real GCJ-02 services do not
shift), and it is a rectangle, not the border. For Wanzhou data it is exact enough.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from wzgeo.errors import CRSError, WzgeoTypeError

__all__ = [
    "CGCS2000",
    "GK36",
    "GK36_PREFIXED",
    "GK36_VALID_LON",
    "MEASURE_CRS",
    "UTM49N",
    "WGS84",
    "area_m2",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_bd09",
    "from_gcj02",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "length_m",
    "out_of_china",
    "require_crs",
    "to_bd09",
    "to_gcj02",
    "to_measure_crs",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
"""WGS84 geographic lon/lat: storage and display CRS."""
CGCS2000 = "EPSG:4490"
"""China Geodetic Coordinate System 2000, geographic (official land data)."""
GK36 = "EPSG:4545"
"""CGCS2000 / 3-degree Gauss-Krüger CM 108E (zone 36), false easting 500 000 m."""
GK36_PREFIXED = "EPSG:4524"
"""CGCS2000 / 3-degree Gauss-Krüger zone 36, easting prefixed with the zone: 36 500 000 m."""
UTM49N = "EPSG:32649"
"""WGS 84 / UTM zone 49N (CM 111E)."""
MEASURE_CRS = GK36
"""The CRS every area and length is computed in."""
GK36_VALID_LON = (105.5, 110.5)
"""Longitude range (°E) in which measuring in EPSG:4545 is accepted without a warning.

The zone itself spans 106.5–109.5°E; one degree beyond its edges the area scale error of
Gauss-Krüger is still below about 0.15 % at Wanzhou's latitude.
"""

GeoT = TypeVar("GeoT", gpd.GeoSeries, gpd.GeoDataFrame)

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30


# ---------------------------------------------------------------------------------------------
# CRS checks
# ---------------------------------------------------------------------------------------------


def require_crs(geo: Any, *, what: str = "数据 / data") -> CRS:
    """Return the CRS of ``geo``; refuse a GeoSeries/GeoDataFrame without one.

    Parameters
    ----------
    geo
        A GeoSeries or GeoDataFrame.
    what
        How to name the data in the message.

    Returns
    -------
    pyproj.CRS
        The CRS.

    Raises
    ------
    WzgeoTypeError
        If ``geo`` is not a GeoSeries or GeoDataFrame.
    CRSError
        If it has no CRS.
    """
    if not isinstance(geo, gpd.GeoSeries | gpd.GeoDataFrame):
        raise WzgeoTypeError(
            f"{what} 必须是 GeoSeries 或 GeoDataFrame，收到的是 {type(geo).__name__}。",
            f"{what} must be a GeoSeries or GeoDataFrame, got {type(geo).__name__}.",
        )
    if geo.crs is None:
        raise CRSError(
            f"{what} 没有坐标系（CRS），无法换算或量算。请先设置坐标系，例如 "
            "gdf.set_crs(4545)（2000 国家大地坐标系 3 度带 36 带）或 gdf.set_crs(4326)"
            "（经纬度），或在界面上选择坐标系。",
            f"{what} has no coordinate reference system (CRS), so it cannot be converted or "
            "measured. Set one first, e.g. gdf.set_crs(4545) (CGCS2000 3-degree GK zone 36) "
            "or gdf.set_crs(4326) (lon/lat), or choose the CRS in the app.",
        )
    return CRS.from_user_input(geo.crs)


# ---------------------------------------------------------------------------------------------
# Scalar / array formulas
# ---------------------------------------------------------------------------------------------


def _as_arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    scalar = lon_a.ndim == 0 and lat_a.ndim == 0
    lon_a, lat_a = np.broadcast_arrays(np.atleast_1d(lon_a), np.atleast_1d(lat_a))
    return lon_a, lat_a, scalar


def _shift_lonlat(shift: Any, lon: Any, lat: Any) -> tuple[Any, Any]:
    """Apply an array shift to scalar or array-like lon/lat; floats back for scalars."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    out_lon, out_lat = shift(lon_a, lat_a)
    if scalar:
        return float(out_lon[0]), float(out_lat[0])
    return out_lon, out_lat


def out_of_china(lon: Any, lat: Any) -> Any:
    """True where a WGS84/GCJ-02 point lies outside the rectangular China test box.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays.

    Returns
    -------
    bool or numpy.ndarray of bool
        Outside the box (no shift applied there). See the module docstring for the box and
        its limits.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    w, s, e, n = _CHINA_BBOX
    res = ~((lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n))
    return bool(res) if res.ndim == 0 else res


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees) of WGS84 points, published formula, no China test."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = ~np.asarray(out_of_china(lon, lat), dtype=bool)
    dlon, dlat = _gcj_delta(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _invert(forward: Any, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(w) = target by fixed-point iteration w ← w − (forward(w) − target)."""
    w_lon = lon.copy()
    w_lat = lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = forward(w_lon, w_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        err = float(np.max(np.abs(np.nan_to_num(np.concatenate([e_lon, e_lat]))), initial=0.0))
        if err <= _INVERSE_TOL_DEG:
            break
    return w_lon, w_lat


def _gcj_to_wgs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = ~np.asarray(out_of_china(lon, lat), dtype=bool)
    w_lon, w_lat = _invert(_wgs_to_gcj, lon, lat)
    return np.where(inside, w_lon, lon), np.where(inside, w_lat, lat)


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The published closed-form inverse is approximate (~1 m); refine it by iteration.
    return _invert(_gcj_to_bd, lon, lat)


def _wgs_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inside = ~np.asarray(out_of_china(lon, lat), dtype=bool)
    g_lon, g_lat = _wgs_to_gcj(lon, lat)
    b_lon, b_lat = _gcj_to_bd(g_lon, g_lat)
    return np.where(inside, b_lon, lon), np.where(inside, b_lat, lat)


def _bd_to_wgs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g_lon, g_lat = _bd_to_gcj(lon, lat)
    inside = ~np.asarray(out_of_china(g_lon, g_lat), dtype=bool)
    w_lon, w_lat = _gcj_to_wgs(g_lon, g_lat)
    return np.where(inside, w_lon, lon), np.where(inside, w_lat, lat)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift WGS84 lon/lat to GCJ-02 (Gaode/Amap); unchanged outside China.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or array-likes of the same shape.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02: floats for scalar input, else numpy arrays.
    """
    return _shift_lonlat(_wgs_to_gcj, lon, lat)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift GCJ-02 lon/lat back to WGS84 (iterative inverse, error far below 0.5 m)."""
    return _shift_lonlat(_gcj_to_wgs, lon, lat)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift GCJ-02 lon/lat to BD-09 (Baidu)."""
    return _shift_lonlat(_gcj_to_bd, lon, lat)


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift BD-09 lon/lat back to GCJ-02 (iterative inverse)."""
    return _shift_lonlat(_bd_to_gcj, lon, lat)


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift WGS84 lon/lat to BD-09 (via GCJ-02); unchanged outside China."""
    return _shift_lonlat(_wgs_to_bd, lon, lat)


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Shift BD-09 lon/lat back to WGS84 (via GCJ-02); unchanged outside China."""
    return _shift_lonlat(_bd_to_wgs, lon, lat)


# ---------------------------------------------------------------------------------------------
# GeoSeries / GeoDataFrame
# ---------------------------------------------------------------------------------------------


def _shift_geo(geo: GeoT, func: Any, *, datum_in: str | None, datum_out: str) -> GeoT:
    require_crs(geo)
    current = geo.attrs.get("datum")
    if datum_in is None and current in ("GCJ-02", "BD-09"):
        raise CRSError(
            f"数据已经是 {current} 偏移坐标，不能再次偏移。如需转换，请先用 from_gcj02/"
            "from_bd09 转回 WGS84。",
            f"The data is already in {current} (shifted) coordinates and must not be shifted "
            "again. Convert it back to WGS84 with from_gcj02/from_bd09 first.",
        )
    if datum_in is not None and current is not None and current != datum_in:
        raise CRSError(
            f"数据标记为 {current}，而不是 {datum_in}，请使用对应的转换函数。",
            f"The data is marked as {current}, not {datum_in}; use the matching function.",
        )
    src = geo.to_crs(WGS84) if not CRS.from_user_input(geo.crs).equals(WGS84) else geo

    def _apply(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        out[:, 0], out[:, 1] = func(coords[:, 0], coords[:, 1])
        return out

    geoms = src.geometry.values
    shifted = shapely.transform(np.asarray(geoms), _apply, include_z=None)
    new_geom = gpd.GeoSeries(shifted, index=src.index, crs=WGS84, name=src.geometry.name)
    if isinstance(src, gpd.GeoDataFrame):
        out_gdf = src.copy()
        out_gdf[src.geometry.name] = new_geom
        out_gdf = out_gdf.set_geometry(src.geometry.name, crs=WGS84)
        out_gdf.attrs = {**geo.attrs, "datum": datum_out}
        return out_gdf
    new_geom.attrs = {**geo.attrs, "datum": datum_out}
    return new_geom


def to_gcj02(geo: GeoT) -> GeoT:
    """Shift geometries to GCJ-02 for drawing on Gaode/Amap (or Tencent) tiles.

    Parameters
    ----------
    geo
        GeoSeries or GeoDataFrame in any CRS (converted to WGS84 first). Any geometry type;
        all coordinates are shifted at once with :func:`shapely.transform`.

    Returns
    -------
    GeoSeries or GeoDataFrame
        A new object of the same type, CRS labelled EPSG:4326, ``.attrs["datum"] ==
        "GCJ-02"``. Points outside the China test box are left unchanged.

    Raises
    ------
    CRSError
        If ``geo`` has no CRS or is already marked as shifted.
    """
    return _shift_geo(geo, _wgs_to_gcj, datum_in=None, datum_out="GCJ-02")


def from_gcj02(geo: GeoT) -> GeoT:
    """Shift GCJ-02 geometries (e.g. data taken from Gaode/Amap) back to WGS84.

    Parameters
    ----------
    geo
        GeoSeries or GeoDataFrame whose lon/lat are GCJ-02 (usually labelled EPSG:4326).

    Returns
    -------
    GeoSeries or GeoDataFrame
        A new object in true WGS84 (EPSG:4326), ``.attrs["datum"] == "WGS84"``. The inverse
        is solved by fixed-point iteration; round-trip error is well below 0.5 m.
    """
    return _shift_geo(geo, _gcj_to_wgs, datum_in="GCJ-02", datum_out="WGS84")


def to_bd09(geo: GeoT) -> GeoT:
    """Shift geometries to BD-09 (Baidu maps); see :func:`to_gcj02`."""
    return _shift_geo(geo, _wgs_to_bd, datum_in=None, datum_out="BD-09")


def from_bd09(geo: GeoT) -> GeoT:
    """Shift BD-09 geometries (Baidu) back to WGS84; see :func:`from_gcj02`."""
    return _shift_geo(geo, _bd_to_wgs, datum_in="BD-09", datum_out="WGS84")


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def _geoseries(geo: gpd.GeoSeries | gpd.GeoDataFrame) -> gpd.GeoSeries:
    require_crs(geo)
    if geo.attrs.get("datum") in ("GCJ-02", "BD-09"):
        raise CRSError(
            f"数据是 {geo.attrs['datum']} 偏移坐标，量算前请先转回 WGS84（from_gcj02/from_bd09）。",
            f"The data is in {geo.attrs['datum']} (shifted) coordinates; convert it back to "
            "WGS84 (from_gcj02/from_bd09) before measuring.",
        )
    return geo.geometry if isinstance(geo, gpd.GeoDataFrame) else geo


def _lon_range(gs: gpd.GeoSeries) -> tuple[float, float, float, float]:
    valid = gs[~(gs.is_empty | gs.isna())]
    if valid.empty:
        return (108.0, 30.8, 108.0, 30.8)
    b = valid.to_crs(WGS84).total_bounds
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _measure_crs_for(gs: gpd.GeoSeries, *, for_area: bool) -> str | CRS:
    w, s, e, n = _lon_range(gs)
    lo, hi = GK36_VALID_LON
    if w >= lo and e <= hi:
        return MEASURE_CRS
    lon0 = (w + e) / 2.0
    lat0 = (s + n) / 2.0
    if for_area:
        local: str | CRS = CRS.from_proj4(
            f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
        )
        how = "a local Lambert azimuthal equal-area projection"
    else:
        zone = int((lon0 + 180.0) // 6.0) + 1
        local = f"EPSG:{(32600 if lat0 >= 0 else 32700) + zone}"
        how = f"the local UTM zone ({local})"
    warnings.warn(
        f"Data spans {w:.3f}–{e:.3f}°E, far outside Gauss-Krüger zone 36 (106.5–109.5°E, "
        f"{MEASURE_CRS}); measuring in {how} instead. "
        f"数据经度范围 {w:.3f}–{e:.3f}°E 远离 3 度带 36 带，改用当地投影量算。",
        UserWarning,
        stacklevel=3,
    )
    return local


def to_measure_crs(geo: GeoT) -> GeoT:
    """Return a copy of ``geo`` in the measuring CRS EPSG:4545 (CGCS2000 GK zone 36).

    Raises
    ------
    CRSError
        If ``geo`` has no CRS or is GCJ-02/BD-09 shifted.
    """
    _geoseries(geo)
    return geo.to_crs(MEASURE_CRS)


def area_m2(geo: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Area of each geometry in square metres, computed in EPSG:4545.

    Parameters
    ----------
    geo
        GeoSeries or GeoDataFrame with a CRS (any; degrees are never used for measuring).

    Returns
    -------
    pandas.Series
        Float areas named ``area_m2``, aligned with ``geo``'s index.

    Raises
    ------
    CRSError
        If there is no CRS, or the coordinates are GCJ-02/BD-09 shifted.

    Warns
    -----
    UserWarning
        If the data lies outside 105.5–110.5°E (far outside GK zone 36); the areas are then
        computed in a local Lambert azimuthal equal-area projection centred on the data.
    """
    gs = _geoseries(geo)
    target = _measure_crs_for(gs, for_area=True)
    return pd.Series(gs.to_crs(target).area.to_numpy(), index=gs.index, name="area_m2")


def length_m(geo: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Length (perimeter for polygons) of each geometry in metres, computed in EPSG:4545.

    Outside 105.5–110.5°E a :class:`UserWarning` is issued and the local UTM zone is used.

    Returns
    -------
    pandas.Series
        Float lengths named ``length_m``, aligned with ``geo``'s index.
    """
    gs = _geoseries(geo)
    target = _measure_crs_for(gs, for_area=False)
    return pd.Series(gs.to_crs(target).length.to_numpy(), index=gs.index, name="length_m")

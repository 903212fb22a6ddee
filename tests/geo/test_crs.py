"""Tests for wzgeo.geo.crs: GCJ-02/BD-09 against an independent scalar implementation, round
trips in metres, the GK zone 36 check point, and measuring in EPSG:4545."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from wzgeo.errors import CRSError, WzgeoTypeError
from wzgeo.geo import crs

GEOD = Geod(ellps="WGS84")


# --- independent reference: the published GCJ-02 formula, plain Python math, one point --------
def _ref_wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    a = 6378245.0
    ee = 0.00669342162296594323
    pi = math.pi
    x, y = lon - 105.0, lat - 35.0
    tlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    tlat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    tlat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    tlat += (160.0 * math.sin(y / 12.0 * pi) + 320 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    tlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    tlon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    tlon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    tlon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1 - ee * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (tlat * 180.0) / ((a * (1 - ee)) / (magic * sqrtmagic) * pi)
    dlon = (tlon * 180.0) / (a / sqrtmagic * math.cos(radlat) * pi)
    return lon + dlon, lat + dlat


def _ref_gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.abs(np.asarray(d))


WANZHOU_GRID = np.meshgrid(np.linspace(107.8, 108.95, 12), np.linspace(30.35, 31.1, 9))
CHINA_GRID = np.meshgrid(np.linspace(74.0, 134.0, 25), np.linspace(18.0, 53.0, 15))


@pytest.mark.parametrize(
    ("lon", "lat"), [(108.38, 30.81), (116.397, 39.909), (121.47, 31.23), (87.6, 43.8)]
)
def test_gcj02_matches_independent_formula(lon, lat):
    got = crs.wgs84_to_gcj02(lon, lat)
    ref = _ref_wgs_to_gcj(lon, lat)
    assert got == pytest.approx(ref, abs=1e-12)


def test_gcj02_offset_near_wanzhou_matches_domain_notes():
    glon, glat = crs.wgs84_to_gcj02(108.38, 30.81)
    assert glon - 108.38 == pytest.approx(0.0046, abs=0.0003)
    assert glat - 30.81 == pytest.approx(-0.0023, abs=0.0003)
    assert 300 < _dist_m(108.38, 30.81, glon, glat) < 700


def test_bd09_matches_independent_formula():
    ref = _ref_gcj_to_bd(*_ref_wgs_to_gcj(108.38, 30.81))
    assert crs.wgs84_to_bd09(108.38, 30.81) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("grid", [WANZHOU_GRID, CHINA_GRID], ids=["wanzhou", "china"])
def test_round_trip_error_below_half_metre(grid):
    lon, lat = (g.ravel() for g in grid)
    inside = ~crs.out_of_china(lon, lat)
    assert inside.all()
    g = crs.wgs84_to_gcj02(lon, lat)
    # the forward shift is real (hundreds of metres), so the round trip test can fail
    assert _dist_m(lon, lat, *g).min() > 50
    back = crs.gcj02_to_wgs84(*g)
    assert _dist_m(lon, lat, *back).max() < 0.5
    b = crs.wgs84_to_bd09(lon, lat)
    back = crs.bd09_to_wgs84(*b)
    assert _dist_m(lon, lat, *back).max() < 0.5
    back = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(*g))
    assert _dist_m(*g, *back).max() < 0.5


def test_outside_china_is_unchanged():
    assert crs.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert crs.gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)
    assert crs.out_of_china(2.35, 48.85)
    assert not crs.out_of_china(108.38, 30.81)


def _geoms():
    sq = shapely.box(108.30, 30.70, 108.31, 30.71)
    hole = shapely.Polygon(
        sq.exterior.coords, [[(108.302, 30.702), (108.304, 30.702), (108.304, 30.704)]]
    )
    return [
        shapely.Point(108.38, 30.81),
        shapely.LineString([(108.3, 30.7), (108.4, 30.8), (108.5, 30.75)]),
        hole,
        shapely.MultiPolygon([sq, shapely.box(108.5, 30.8, 108.52, 30.83)]),
    ]


def test_geoseries_round_trip_all_geometry_types():
    gdf = gpd.GeoDataFrame({"name": list("abcd")}, geometry=_geoms(), crs=crs.WGS84)
    before = gdf.copy()
    shifted = crs.to_gcj02(gdf)
    assert isinstance(shifted, gpd.GeoDataFrame)
    assert shifted.attrs["datum"] == "GCJ-02"
    assert shifted.crs == crs.WGS84
    assert list(shifted["name"]) == list("abcd")
    # input untouched (pure function)
    assert gdf.geom_equals_exact(before, tolerance=0).all()
    assert "datum" not in gdf.attrs
    # every vertex moved by the reference offset
    for g0, g1 in zip(gdf.geometry, shifted.geometry, strict=True):
        c0 = shapely.get_coordinates(g0)
        c1 = shapely.get_coordinates(g1)
        ref = np.array([_ref_wgs_to_gcj(x, y) for x, y in c0])
        np.testing.assert_allclose(c1, ref, atol=1e-12)
        assert shapely.get_num_interior_rings(g0) == shapely.get_num_interior_rings(g1)
    back = crs.from_gcj02(shifted)
    assert back.attrs["datum"] == "WGS84"
    gk_a = back.to_crs(crs.GK36).geometry
    gk_b = gdf.to_crs(crs.GK36).geometry
    assert gk_a.geom_equals_exact(gk_b, tolerance=0.5).all()
    # BD-09 as well, on a GeoSeries
    bd = crs.to_bd09(gdf.geometry)
    assert isinstance(bd, gpd.GeoSeries)
    assert bd.attrs["datum"] == "BD-09"
    assert crs.from_bd09(bd).to_crs(crs.GK36).geom_equals_exact(gk_b, tolerance=0.5).all()


def test_shift_from_projected_input_goes_through_wgs84():
    gs = gpd.GeoSeries([shapely.Point(108.38, 30.81)], crs=crs.WGS84)
    gk = gs.to_crs(crs.GK36)
    a = crs.to_gcj02(gk).iloc[0]
    b = crs.to_gcj02(gs).iloc[0]
    assert a.distance(b) < 1e-8


def test_double_shift_refused():
    gs = crs.to_gcj02(gpd.GeoSeries([shapely.Point(108.38, 30.81)], crs=crs.WGS84))
    with pytest.raises(CRSError, match="already in GCJ-02"):
        crs.to_gcj02(gs)
    with pytest.raises(CRSError, match="GCJ-02"):
        crs.area_m2(gs)


def test_gk36_prefixed_check_point():
    # DOMAIN.md: 108.38°E, 30.81°N → X ≈ 3 409 971, Y ≈ 36 536 364 (EPSG:4524)
    gs = gpd.GeoSeries([shapely.Point(108.38, 30.81)], crs=crs.CGCS2000).to_crs(crs.GK36_PREFIXED)
    assert gs.iloc[0].y == pytest.approx(3_409_971, abs=1.5)
    assert gs.iloc[0].x == pytest.approx(36_536_364, abs=1.5)
    t = Transformer.from_crs(crs.GK36, crs.GK36_PREFIXED, always_xy=True)
    assert t.transform(536_364.0, 3_409_971.0)[0] == pytest.approx(36_536_364.0, abs=1e-6)


def test_100m_square_is_15_mu():
    sq = gpd.GeoSeries([shapely.box(536_000, 3_409_000, 536_100, 3_409_100)], crs=crs.GK36)
    area = crs.area_m2(sq)
    assert area.name == "area_m2"
    assert area.iloc[0] / (10000.0 / 15.0) == pytest.approx(15.0, rel=1e-4)
    # the same square stored in lon/lat (how wzgeo keeps geometry) still measures 15 亩
    ll = sq.to_crs(crs.WGS84)
    assert crs.area_m2(ll).iloc[0] / (10000.0 / 15.0) == pytest.approx(15.0, rel=1e-4)
    assert crs.length_m(ll).iloc[0] == pytest.approx(400.0, rel=1e-4)


def test_area_in_degrees_never_used():
    gs = gpd.GeoSeries([shapely.box(108.0, 30.0, 108.01, 30.01)], crs=crs.WGS84)
    a = crs.area_m2(gs).iloc[0]
    # geodesic area (independent, pyproj.Geod) of the same box
    geod_area = abs(GEOD.geometry_area_perimeter(gs.iloc[0])[0])
    assert a == pytest.approx(geod_area, rel=2e-3)
    assert a > 1e6


def test_measuring_far_outside_zone_warns_and_uses_local_projection():
    gs = gpd.GeoSeries([shapely.box(116.0, 39.9, 116.01, 39.91)], crs=crs.WGS84)
    geod_area = abs(GEOD.geometry_area_perimeter(gs.iloc[0])[0])
    with pytest.warns(UserWarning, match="far outside Gauss-Krüger zone 36"):
        a = crs.area_m2(gs).iloc[0]
    assert a == pytest.approx(geod_area, rel=1e-4)
    with pytest.warns(UserWarning, match="UTM"):
        crs.length_m(gs)


def test_require_crs_refuses_missing_crs():
    gs = gpd.GeoSeries([shapely.Point(1, 2)])
    with pytest.raises(CRSError, match=r"set_crs\(4545\)") as ei:
        crs.area_m2(gs)
    assert "坐标系" in ei.value.zh
    with pytest.raises(CRSError, match="no coordinate reference system"):
        crs.to_gcj02(gpd.GeoDataFrame(geometry=gs))
    with pytest.raises(CRSError):
        crs.length_m(gs)
    with pytest.raises(CRSError):
        crs.to_measure_crs(gs)
    with pytest.raises(WzgeoTypeError, match="GeoSeries"):
        crs.require_crs([shapely.Point(1, 2)])


def test_to_measure_crs():
    gs = gpd.GeoSeries([shapely.Point(108.0, 30.8)], crs=crs.WGS84)
    out = crs.to_measure_crs(gs)
    assert out.crs == crs.MEASURE_CRS == "EPSG:4545"
    assert out.iloc[0].x == pytest.approx(500_000.0, abs=1e-3)


def test_nan_none_z_and_empty_are_handled():
    lon, lat = crs.gcj02_to_wgs84(np.array([np.nan, 108.38]), np.array([np.nan, 30.81]))
    assert np.isnan(lon[0]) and np.isfinite(lon[1])
    assert np.isnan(lat[0]) and lat[1] == pytest.approx(30.81, abs=0.01)
    gs = gpd.GeoSeries(
        [None, shapely.Point(108.38, 30.81, 100.0), shapely.Polygon()], crs=crs.WGS84
    )
    out = crs.to_gcj02(gs)
    assert out.iloc[0] is None
    assert out.iloc[1].has_z and out.iloc[1].z == 100.0
    assert out.iloc[2].is_empty
    assert len(crs.to_gcj02(gpd.GeoSeries([], crs=crs.WGS84))) == 0

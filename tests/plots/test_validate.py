"""Tests for plot geometry checks: rings, repair, geometry types, extent (wzgeo.plots._validate)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from tests._plotio_helpers import SQ_PTS, gj_ring, ref_gdf, txt, wkt_in
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


def test_unclosed_ring_tiny_gap_is_closed_with_warning():
    pts = [*SQ_PTS, ("J1", "1", "3409971.000", "536364.200")]
    res = read_plots(txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")
    assert any("0.200 m apart; ring closed" in w for w in res.warnings)
    assert res.plots.geometry.iloc[0].is_valid


def test_unclosed_ring_large_gap_refused():
    with pytest.raises(
        InputFileError, match=r"plot T1, ring 1 \(from line 3\) is not closed.*100\.00 m"
    ):
        read_plots(txt(SQ_PTS, header="4,1.0,T1,x,面,,,,@"), filename="t.txt")


def test_geojson_unclosed_ring_tiny_gap_closed_large_refused():
    tiny = [
        [108.38, 30.81],
        [108.381, 30.81],
        [108.381, 30.811],
        [108.38, 30.811],
        [108.38, 30.810001],
    ]
    res = read_plots(gj_ring(tiny), filename="tiny.geojson")
    assert any("0.111 m apart); closed" in w for w in res.warnings)
    assert res.plots.geometry.iloc[0].is_valid
    big = [[108.38, 30.81], [108.381, 30.81], [108.381, 30.811]]
    with pytest.raises(
        InputFileError, match=r"feature 1 has a ring that is not closed.*146\.\d\d m"
    ):
        read_plots(gj_ring(big), filename="big.geojson")


def test_null_geometry():
    gj = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": None}],
    }
    with pytest.raises(InputFileError, match=r"feature 1 has no geometry \(empty\)"):
        read_plots(json.dumps(gj).encode(), filename="n.geojson")


def test_fewer_than_three_points():
    pts = [SQ_PTS[0], SQ_PTS[1], SQ_PTS[0]]
    with pytest.raises(InputFileError, match=r"plot T1, ring 1 .*only 2 distinct points"):
        read_plots(txt(pts, header="3,1.0,T1,x,面,,,,@"), filename="t.txt")
    csv = b"X,Y\n3409971,536364\n3409971,536464\n"
    with pytest.raises(InputFileError, match=r"only 2 distinct points"):
        read_plots(csv, filename="p.csv")


def test_small_self_intersection_is_repaired_and_reported():
    # a 100 m square whose last edge overshoots and crosses the first edge: a tiny loop
    pts = [*SQ_PTS, ("J5", "1", "3409970.000", "536365.000"), ("J1", "1", "3409971", "536364")]
    res = read_plots(txt(pts, header="6,1.0,T1,x,面,,,,@"), filename="t.txt")
    assert res.plots.geometry.iloc[0].is_valid
    assert any("repaired" in w and "Self-intersection" in w for w in res.warnings)
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(15.0, rel=0.01)


def test_bowtie_is_refused():
    pts = [
        ("J1", "1", "3409971", "536364"),
        ("J2", "1", "3410071", "536464"),
        ("J3", "1", "3409971", "536464"),
        ("J4", "1", "3410071", "536364"),
        ("J1", "1", "3409971", "536364"),
    ]
    with pytest.raises(InputFileError, match=r"plot T1 \(line 2\) is self-intersecting.*refused"):
        read_plots(txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")


def test_mixed_geometry_types():
    ll = ref_gdf().geometry
    gj = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(ll.iloc[0])},
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [108.38, 30.81]},
            },
        ],
    }
    with pytest.raises(InputFileError, match=r"feature 2 is a Point; only polygons"):
        read_plots(json.dumps(gj).encode(), filename="m.geojson")
    with pytest.raises(InputFileError, match=r"plot T1 has type '线'"):
        read_plots(txt(SQ_PTS, header="4,1.0,T1,x,线,,,,@"), filename="t.txt")


def test_outside_china(tmp_path):
    g = gpd.GeoDataFrame(geometry=[shapely.box(2.35, 48.85, 2.36, 48.86)], crs=4326)
    p = tmp_path / "paris.gpkg"
    g.to_file(p)
    with pytest.raises(
        InputFileError, match=r"feature 1 lands at 2\.3550°E, 48\.8550°N, outside China"
    ):
        read_plots(p)


def test_outside_wanzhou():
    beijing = shapely.box(116.39, 39.90, 116.40, 39.91).wkt.encode()
    with pytest.raises(InputFileError, match=r"line 1 lands at 116\.3950°E.*outside Wanzhou") as ei:
        read_plots(beijing, filename="bj.wkt")
    assert "不在万州区范围内" in ei.value.zh
    # accepted with an explicit district that contains it, or with the check off
    district = shapely.box(116, 39.5, 117, 40.5)
    assert len(read_plots(beijing, filename="bj.wkt", district=district).plots) == 1
    assert len(read_plots(beijing, filename="bj.wkt", check_extent=False).plots) == 1
    # a district given as a GeoSeries in another CRS
    wz = gpd.GeoSeries([shapely.box(108.3, 30.7, 108.5, 30.9)], crs=4326).to_crs(4545)
    ok = read_plots(wkt_in("EPSG:4545"), filename="x.wkt", district=wz)
    assert len(ok.plots) == 1
    far = gpd.GeoSeries([shapely.box(108.0, 30.4, 108.1, 30.5)], crs=4326)
    with pytest.raises(InputFileError, match="outside Wanzhou"):
        read_plots(wkt_in("EPSG:4545"), filename="x.wkt", district=far)

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


# ---------------------------------------------------------------------------------------
# issue 13: holes in any part, overlapping parts, bow-ties (regressions)
# ---------------------------------------------------------------------------------------


def _square(ring: str, e: float, n: float, size: float) -> list[tuple[str, str, str, str]]:
    """A closed square ring of 部标 points (X = northing first), corner at easting e."""
    corners = [(n, e), (n, e + size), (n + size, e + size), (n + size, e), (n, e)]
    return [(f"P{i}", ring, f"{x:.3f}", f"{y:.3f}") for i, (x, y) in enumerate(corners)]


# ring 1: a 100 m square; ring 2: another one 300 m east; ring 3: a 50 m hole in ring 2
_PART_A = ("1", 536_364.0, 3_409_971.0, 100.0)
_PART_B = ("2", 536_664.0, 3_409_971.0, 100.0)
_HOLE_B = ("3", 536_689.0, 3_409_996.0, 50.0)


@pytest.mark.parametrize(
    "order",
    [(_PART_A, _PART_B, _HOLE_B), (_PART_B, _HOLE_B, _PART_A), (_HOLE_B, _PART_A, _PART_B)],
    ids=["hole-in-second-part", "part-with-hole-first", "hole-listed-first"],
)
def test_hole_belongs_to_the_part_that_contains_it_in_any_order(order):
    pts = [p for ring, e, n, size in order for p in _square(ring, e, n, size)]
    res = read_plots(txt(pts, header=f"{len(pts)},1.75,T1,x,面,,,,@"), filename="t.txt")
    got = res.plots.to_crs(4545).geometry.iloc[0]
    # by hand: two 100 m squares minus a 50 m hole
    assert got.area == pytest.approx(100 * 100 * 2 - 50 * 50, rel=1e-9)
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(17_500 / (10000 / 15))
    assert got.geom_type == "MultiPolygon" and not res.plots["geometry_repaired"].iloc[0]
    holed = [p for p in got.geoms if len(p.interiors)]
    assert len(holed) == 1 and holed[0].bounds[0] == pytest.approx(536_664.0, abs=0.01)
    assert not res.warnings


def test_hole_in_second_part_of_a_csv_point_list():
    rows = ["点号,圈号,X,Y"]
    for ring, e, n, size in (_PART_A, _PART_B, _HOLE_B):
        rows += [",".join(p) for p in _square(ring, e, n, size)]
    res = read_plots("\n".join(rows).encode(), filename="p.csv")
    assert res.plots.to_crs(4545).area.iloc[0] == pytest.approx(17_500, rel=1e-9)


def test_island_inside_a_hole_is_a_part_again():
    island = ("4", 536_704.0, 3_410_011.0, 10.0)  # inside the hole of part B
    pts = [p for r in (_HOLE_B, island, _PART_B) for p in _square(*r)]
    res = read_plots(txt(pts, header=f"{len(pts)},1.0,T1,x,面,,,,@"), filename="t.txt")
    assert res.plots.to_crs(4545).area.iloc[0] == pytest.approx(10_000 - 2_500 + 100, rel=1e-9)


def _overlapping_squares():
    """Two 100 m squares rotated 30°, the second shifted so that they overlap by a sliver."""
    from shapely import affinity

    e0, n0 = 536_364.0, 3_409_971.0
    a = affinity.rotate(shapely.box(e0, n0, e0 + 100, n0 + 100), 30, origin=(e0, n0))
    b = affinity.translate(a, 99.7 * 0.866, 99.7 * 0.5)
    return shapely.MultiPolygon([a, b])


def test_overlapping_parts_are_merged_and_the_note_says_how_much(tmp_path):
    mp = _overlapping_squares()
    union_m2 = shapely.union_all(list(mp.geoms)).area  # the reference: plain shapely
    overlap_m2 = sum(p.area for p in mp.geoms) - union_m2
    assert 25 < overlap_m2 < 35  # a sliver (the case of the issue)
    gdf = gpd.GeoDataFrame({"plot_id": ["M1"]}, geometry=[mp], crs=4545)
    data = gdf.to_crs(4326).to_json().encode()
    res = read_plots(data, filename="m.geojson")
    got = float(res.plots.to_crs(4545).area.iloc[0])
    assert got == pytest.approx(union_m2, rel=1e-9)  # the union, not even-odd
    assert bool(res.plots["geometry_repaired"].iloc[0])
    note = " ".join(res.warnings)
    assert "merged into their union" in note and f"overlap {overlap_m2:,.2f} m²" in note
    assert "已合并" in note
    # the bulk check of the same layer gives the same area and the same flag
    from wzgeo.analysis.plotcheck import check_plots

    bulk = check_plots(gdf, plot_overlaps=False, nearest=False)
    assert float(bulk.table["area_m2"].iloc[0]) == pytest.approx(got, rel=1e-9)
    assert bool(bulk.table["geometry_repaired"].iloc[0])
    single = check_plots(res.plots, plot_overlaps=False, nearest=False)
    assert bool(single.table["geometry_repaired"].iloc[0])


def test_overlapping_rings_of_a_txt_plot_are_merged_too():
    # ring 2 overlaps ring 1 by 20 m x 100 m without lying inside it: a part, not a hole
    pts = [*_square("1", 536_364.0, 3_409_971.0, 100.0), *_square("2", 536_444.0, 3_409_971.0, 100)]
    res = read_plots(txt(pts, header=f"{len(pts)},1.0,T1,x,面,,,,@"), filename="t.txt")
    assert res.plots.to_crs(4545).area.iloc[0] == pytest.approx(18_000, rel=1e-9)
    assert any("overlap 2,000.00 m²" in w for w in res.warnings)


def test_bowtie_refusal_says_where_it_crosses_not_an_area_change():
    pts = [
        ("J1", "1", "3409971", "536364"),
        ("J2", "1", "3410071", "536464"),
        ("J3", "1", "3409971", "536464"),
        ("J4", "1", "3410071", "536364"),
        ("J1", "1", "3409971", "536364"),
    ]
    with pytest.raises(InputFileError) as info:
        read_plots(txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")
    msg = str(info.value)
    assert "面积变化" not in msg and "area change" not in msg
    assert "自相交" in msg and "from point 1 to 2 and from point 3 to 4 cross" in msg
    # the crossing point by hand: the middle of the square, X = 3410021, Y = 536414
    assert "X=3410021.00, Y=536414.00" in msg
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(4545, 4326, always_xy=True).transform(536_414, 3_410_021)
    assert f"{lon:.6f}°E, {lat:.6f}°N" in msg

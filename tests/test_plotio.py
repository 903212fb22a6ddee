"""Tests for wzgeo.plotio: a round trip per format, CRS declaration/inference, every bad input.

Reference geometries are built directly in the projected CRS with shapely and converted with
pyproj, independently of the reader's own coordinate handling.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from wzgeo._errors import InputFileError
from wzgeo.plotio import PlotImport, read_plots

DATA = Path(__file__).parent / "data" / "plotio"
M2_PER_MU = 10000.0 / 15.0

# Two plots near 高峰/五桥 built in EPSG:4545 (GK zone 36, CM 108E): a 100 m square (15 亩)
# and a 200 m x 150 m rectangle with a 50 m x 50 m hole (41.25 亩).
E0, N0 = 536_364.0, 3_409_971.0
SQUARE = shapely.box(E0, N0, E0 + 100, N0 + 100)
HOLED = shapely.Polygon(
    shapely.box(E0 + 636, N0 - 471, E0 + 836, N0 - 321).exterior.coords,
    [shapely.box(E0 + 686, N0 - 421, E0 + 736, N0 - 371).exterior.coords],
)


def _ref_gdf(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        {"plot_id": ["A1", "A2"], "name": ["甲地块", "乙地块"], "use": ["工业", "仓储"]},
        geometry=[SQUARE, HOLED],
        crs="EPSG:4545",
    )
    return g.to_crs(crs)


def _assert_same_geoms(res: PlotImport, ref: gpd.GeoDataFrame, tol_m: float = 0.01) -> None:
    got = res.plots.to_crs(4545).geometry.reset_index(drop=True)
    exp = ref.to_crs(4545).geometry.reset_index(drop=True)
    assert len(got) == len(exp)
    for a, b in zip(got, exp, strict=True):
        _assert_geom_close(a, b, tol_m)


def _assert_geom_close(a, b, tol_m: float) -> None:
    """Same shape within tol_m metres: vertex counts, rings, Hausdorff distance."""
    assert a.geom_type == b.geom_type
    assert shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)
    assert shapely.get_num_interior_rings(a) == shapely.get_num_interior_rings(b)
    assert a.hausdorff_distance(b) < tol_m, (a.wkt, b.wkt)


def _assert_areas(res: PlotImport) -> None:
    np.testing.assert_allclose(res.plots["measured_area_mu"], [15.0, 41.25], rtol=1e-4)


# --------------------------------------------------------------------------------------------
# Round trips per format
# --------------------------------------------------------------------------------------------


def test_geojson_round_trip(tmp_path):
    ref = _ref_gdf()
    p = tmp_path / "plots.geojson"
    ref.to_file(p, driver="GeoJSON")
    res = read_plots(p)
    assert res.format == "GeoJSON"
    assert res.plots.crs == "EPSG:4326"
    assert list(res.plots["plot_id"]) == ["A1", "A2"]
    assert list(res.plots["name"]) == ["甲地块", "乙地块"]
    assert list(res.plots["use"]) == ["工业", "仓储"]
    assert res.source_crs == "EPSG:4326"
    assert not res.crs_inferred  # geopandas writes a "crs" member (CRS84)
    _assert_same_geoms(res, ref)
    _assert_areas(res)
    assert res.plots["declared_area_mu"].isna().all()


def test_geojson_bytes_projected_without_crs_member_is_inferred():
    feats = [
        {
            "type": "Feature",
            "properties": {"编号": f"P{i}"},
            "geometry": shapely.geometry.mapping(g),
        }
        for i, g in enumerate((SQUARE, HOLED), start=1)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": feats}).encode("utf-8")
    res = read_plots(data, filename="upload.geojson")
    assert res.source_crs == "EPSG:4545"
    assert res.crs_inferred
    assert "zone 36" in res.crs_reason_en
    assert list(res.plots["plot_id"]) == ["P1", "P2"]
    _assert_same_geoms(res, _ref_gdf())


def test_geopackage_round_trip_declared_crs(tmp_path):
    ref = _ref_gdf("EPSG:4545")
    ref["declared_area_mu"] = [15.0, 50.0]
    p = tmp_path / "plots.gpkg"
    ref.to_file(p, driver="GPKG")
    res = read_plots(p.read_bytes(), filename="plots.gpkg")
    assert res.source_crs == "EPSG:4545"
    assert not res.crs_inferred
    _assert_same_geoms(res, ref)
    _assert_areas(res)
    assert list(res.plots["declared_area_mu"]) == [15.0, 50.0]
    # 41.25 measured vs 50 declared → a mismatch warning naming the plot
    assert any("A2" in w and "-17.5%" in w for w in res.warnings)
    assert not any("A1" in w for w in res.warnings)


def test_geopackage_two_layers_without_srs_is_inferred(tmp_path):
    p = tmp_path / "layers.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame({"地块编号": ["Q1"]}, geometry=[SQUARE]).to_file(p, layer="one")
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame({"地块编号": ["Q2"]}, geometry=[HOLED]).to_file(p, layer="two")
    res = read_plots(p)
    assert res.crs_inferred and res.source_crs == "EPSG:4545"
    assert list(res.plots["plot_id"]) == ["Q1", "Q2"]
    assert list(res.plots["layer"]) == ["one", "two"]
    _assert_same_geoms(res, _ref_gdf())


def _shp_zip(tmp_path: Path, gdf: gpd.GeoDataFrame, *, prj: bool) -> bytes:
    d = tmp_path / "shp"
    d.mkdir()
    gdf.to_file(d / "地块.shp", encoding="UTF-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(d.iterdir()):
            if f.suffix == ".prj" and not prj:
                continue
            zf.write(f, f"export/{f.name}")
    return buf.getvalue()


def test_zipped_shapefile_with_prj(tmp_path):
    ref = _ref_gdf("EPSG:4524")
    res = read_plots(_shp_zip(tmp_path, ref, prj=True), filename="plots.zip")
    assert res.format == "Shapefile"
    assert res.source_crs == "EPSG:4524"
    assert not res.crs_inferred
    assert list(res.plots["name"]) == ["甲地块", "乙地块"]
    _assert_same_geoms(res, ref)
    _assert_areas(res)


def test_zipped_shapefile_without_prj_is_inferred(tmp_path):
    ref = _ref_gdf("EPSG:4524")
    res = read_plots(_shp_zip(tmp_path, ref, prj=False), filename="plots.zip")
    assert res.source_crs == "EPSG:4524"
    assert res.crs_inferred
    assert "zone prefix 36" in res.crs_reason_en
    assert any(".prj" in w for w in res.warnings)
    _assert_same_geoms(res, ref)


def _kml_bytes(tmp_path: Path) -> bytes:
    import pyogrio

    p = tmp_path / "plots.kml"
    driver = "LIBKML" if "LIBKML" in pyogrio.list_drivers() else "KML"
    _ref_gdf().to_file(p, driver=driver)
    return p.read_bytes()


def test_kml_round_trip(tmp_path):
    res = read_plots(_kml_bytes(tmp_path), filename="plots.kml")
    assert res.format == "KML"
    assert res.source_crs == "EPSG:4326"
    assert list(res.plots["name"]) == ["甲地块", "乙地块"]
    assert list(res.plots["plot_id"]) == ["A1", "A2"]
    _assert_same_geoms(res, _ref_gdf(), tol_m=0.05)  # KML stores ~1e-7° decimals
    _assert_areas(res)


def test_kmz_round_trip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", _kml_bytes(tmp_path))
    res = read_plots(buf.getvalue(), filename="plots.kmz")
    assert res.format == "KMZ"
    _assert_same_geoms(res, _ref_gdf(), tol_m=0.05)


def test_kml_handwritten_placemark():
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>手绘</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
108.38,30.81,0 108.381,30.81,0 108.381,30.811,0 108.38,30.811,0 108.38,30.81,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"""
    res = read_plots(kml.encode("utf-8"), filename="x.kml")
    assert res.plots["name"].iloc[0] == "手绘"
    exp = shapely.box(108.38, 30.81, 108.381, 30.811)
    assert res.plots.geometry.iloc[0].normalize().equals_exact(exp.normalize(), 1e-12)


def test_bubiao_txt_gbk_crlf_two_plots_with_hole_prefixed():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes()
    assert b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is GBK
    res = read_plots(DATA / "two_plots_gbk_crlf.txt")
    assert res.format == "部标TXT"
    assert res.source_crs == "EPSG:4524"
    assert not res.crs_inferred
    assert "带号 36" in res.crs_reason_zh
    assert list(res.plots["plot_id"]) == ["WZ-001", "WZ-002"]
    assert list(res.plots["name"]) == ["高峰园示例地块", "带天井地块"]
    assert list(res.plots["land_use"]) == ["工业用地", "工业用地"]
    # independent reference: the fixture's X (northing) / Y (prefixed easting) pairs
    ref = gpd.GeoSeries(
        [
            shapely.box(36536364, 3409971, 36536464, 3410071),
            shapely.Polygon(
                shapely.box(36537000, 3409500, 36537200, 3409650).exterior.coords,
                [shapely.box(36537050, 3409550, 36537100, 3409600).exterior.coords],
            ),
        ],
        crs="EPSG:4524",
    )
    for a, b in zip(res.plots.to_crs(4524).geometry, ref, strict=True):
        _assert_geom_close(a, b, 0.001)
    assert len(res.plots.geometry.iloc[1].interiors) == 1
    np.testing.assert_allclose(res.plots["declared_area_mu"], [15.0, 41.25])
    np.testing.assert_allclose(res.plots["measured_area_mu"], [15.0, 41.25], rtol=1e-5)
    assert res.warnings == []
    # DOMAIN.md check point: X 3 409 971, Y 36 536 364 ≈ 108.38°E, 30.81°N
    x0, y0 = res.plots.geometry.iloc[0].exterior.coords[0]
    assert abs(x0 - 108.38) < 2e-5 and abs(y0 - 30.81) < 2e-5


def test_bubiao_txt_without_prefix_and_header_spaces_is_inferred():
    res = read_plots(DATA / "no_prefix_utf8.txt")
    assert res.source_crs == "EPSG:4545"
    assert res.crs_inferred
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(6.0, rel=1e-5)
    assert res.plots["declared_area_mu"].iloc[0] == pytest.approx(6.0)
    exp = gpd.GeoSeries([shapely.box(536364, 3409971, 536464, 3410011)], crs=4545)
    _assert_geom_close(res.plots.to_crs(4545).geometry.iloc[0], exp.iloc[0], 0.001)


def _txt(points: list[tuple[str, str, str, str]], *, header: str = "4,0.0600,T1,测试,面,,,,@"):
    body = "\n".join(",".join(p) for p in points)
    return f"[地块坐标]\n{header}\n{body}\n".encode()


def test_txt_xian80_header_is_used_with_a_warning():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes().decode("gbk")
    raw = raw.replace("2000国家大地坐标系", "1980西安坐标系")
    res = read_plots(raw.encode("gbk"), filename="xian80.txt")
    assert res.source_crs == "EPSG:2360"
    assert not res.crs_inferred
    assert any("Xian 1980" in w and "tens of metres" in w for w in res.warnings)


def test_txt_header_without_zone_infers_from_prefix():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes().decode("gbk")
    raw = raw.replace("带号=36\r\n", "")
    res = read_plots(raw.encode("gbk"), filename="nozone.txt")
    assert res.source_crs == "EPSG:4524"
    assert "→ EPSG:4524" in res.crs_reason_en


def test_txt_header_zone_differs_from_prefix():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes().replace(b"=36", b"=35")
    res = read_plots(raw, filename="z.txt")
    assert res.source_crs == "EPSG:4524"
    assert any("header zone 35 differs" in w for w in res.warnings)


def test_far_outside_zone_measured_locally_with_warning():
    beijing = shapely.box(116.39, 39.90, 116.40, 39.91)
    res = read_plots(beijing.wkt.encode(), filename="bj.wkt", check_extent=False)
    geod_m2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(beijing)[0])
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(geod_m2 / M2_PER_MU, rel=1e-4)
    assert any("far outside Gauss-Krüger zone 36" in w for w in res.warnings)


def test_txt_area_mismatch_is_warned():
    pts = [
        ("J1", "1", "3409971", "536364"),
        ("J2", "1", "3409971", "536464"),
        ("J3", "1", "3410071", "536464"),
        ("J1", "1", "3409971", "536364"),
    ]
    res = read_plots(_txt(pts, header="4,0.2000,T1,三角,面,,,,@"), filename="t.txt")
    # triangle of 5000 m² = 0.5 ha = 7.5 亩 against 0.2 ha declared
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert any("T1" in w and "+150.0%" in w for w in res.warnings)


def test_csv_point_list_survey_xy_swapped_and_grouped():
    rows = ["地块编号,界址点号,X,Y"]
    for pid, geom in (("A1", SQUARE), ("A2", shapely.box(E0 + 200, N0, E0 + 300, N0 + 50))):
        for i, (e, n) in enumerate(list(geom.exterior.coords)[:-1], start=1):
            rows.append(f"{pid},J{i},{n + 36_000_000 * 0:.3f},{e:.3f}")  # X = northing
    res = read_plots("\n".join(rows).encode("utf-8"), filename="pts.csv")
    assert res.format == "CSV"
    assert res.source_crs == "EPSG:4545"
    assert res.crs_inferred
    assert "swapping X/Y" in res.crs_reason_en
    assert list(res.plots["plot_id"]) == ["A1", "A2"]
    np.testing.assert_allclose(res.plots["measured_area_mu"], [15.0, 7.5], rtol=1e-5)


def test_csv_lonlat_chinese_headers_gbk():
    text = (
        "点号,经度,纬度\nJ1,108.38,30.81\nJ2,108.381,30.81\nJ3,108.381,30.811\nJ4,108.38,30.811\n"
    )
    res = read_plots(text.encode("gbk"), filename="点.csv")
    assert res.source_crs == "EPSG:4326"
    exp = shapely.box(108.38, 30.81, 108.381, 30.811)
    assert res.plots.geometry.iloc[0].normalize().equals_exact(exp.normalize(), 1e-12)


def test_csv_northing_easting_headers_prefixed():
    text = "点号,纵坐标,横坐标\n1,3409971,36536364\n2,3409971,36536464\n3,3410071,36536464\n"
    res = read_plots(text.encode("utf-8"), filename="p.csv")
    assert res.source_crs == "EPSG:4524"
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert "swapp" not in res.crs_reason_en


def test_excel_round_trip(tmp_path):
    rows = []
    for pid, geom in (("A1", SQUARE),):
        for i, (e, n) in enumerate(list(geom.exterior.coords)[:-1], start=1):
            rows.append({"plot_id": pid, "点号": f"J{i}", "x": e, "y": n, "面积（亩）": 15})
    p = tmp_path / "pts.xlsx"
    pd.DataFrame(rows).to_excel(p, index=False)
    res = read_plots(p)
    assert res.format == "Excel"
    assert res.source_crs == "EPSG:4545"
    assert res.plots["plot_id"].iloc[0] == "A1"
    assert res.plots["declared_area_mu"].iloc[0] == pytest.approx(15.0)
    _assert_same_geoms_one(res, SQUARE)


def test_excel_with_title_row(tmp_path):
    p = tmp_path / "界址点.xlsx"
    rows = [["界址点坐标表", None, None], ["界址点号", "纵坐标", "横坐标"]]
    rows += [[f"J{i}", n, e] for i, (e, n) in enumerate(list(SQUARE.exterior.coords), start=1)]
    pd.DataFrame(rows).to_excel(p, index=False, header=False)
    res = read_plots(p)
    _assert_same_geoms_one(res, SQUARE)
    bad = [["界址点坐标表", None, None], ["界址点号", "纵坐标", "横坐标"], ["J1", "x", "1"]]
    pd.DataFrame(bad).to_excel(p, index=False, header=False)
    with pytest.raises(InputFileError, match=r"row 3 \(plot 1, point J1\): coordinates are not"):
        read_plots(p)


def _assert_same_geoms_one(res: PlotImport, geom_4545) -> None:
    got = res.plots.to_crs(4545).geometry.iloc[0]
    _assert_geom_close(got, geom_4545, 0.01)


def test_wkt_single_and_per_line():
    ref = _ref_gdf("EPSG:4545")
    one = read_plots(SQUARE.wkt.encode(), filename="a.wkt")
    assert one.source_crs == "EPSG:4545" and one.crs_inferred
    _assert_same_geoms_one(one, SQUARE)
    many = read_plots("\n".join(g.wkt for g in ref.geometry).encode(), filename="b.wkt")
    assert len(many.plots) == 2
    _assert_same_geoms(many, ref)
    ll = ref.to_crs(4326)
    ewkt = read_plots(f"SRID=4326;{ll.geometry.iloc[0].wkt}".encode(), filename="c.txt")
    assert ewkt.source_crs == "EPSG:4326" and not ewkt.crs_inferred
    _assert_same_geoms_one(ewkt, SQUARE)


# --------------------------------------------------------------------------------------------
# CRS inference and override
# --------------------------------------------------------------------------------------------


def _wkt_in(crs: str, *, swap: bool = False) -> bytes:
    g = gpd.GeoSeries([SQUARE], crs=4545).to_crs(crs).iloc[0]
    if swap:
        g = shapely.transform(g, lambda c: c[:, ::-1])
    return g.wkt.encode()


@pytest.mark.parametrize(
    ("crs", "swap", "expected", "reason"),
    [
        ("EPSG:4326", False, "EPSG:4326", "lon/lat"),
        ("EPSG:4326", True, "EPSG:4326", "swapping"),
        ("EPSG:4545", False, "EPSG:4545", "without a zone prefix"),
        ("EPSG:4545", True, "EPSG:4545", "swapping"),
        ("EPSG:4524", False, "EPSG:4524", "zone prefix 36"),
        ("EPSG:4524", True, "EPSG:4524", "swapping"),
    ],
    ids=["lonlat", "latlon", "gk", "gk-swapped", "gk-prefixed", "gk-prefixed-swapped"],
)
def test_crs_inference(crs, swap, expected, reason):
    res = read_plots(_wkt_in(crs, swap=swap), filename="x.wkt")
    assert res.source_crs == expected
    assert res.crs_inferred
    assert reason in res.crs_reason_en
    assert res.crs_reason_zh.startswith("推断")
    _assert_same_geoms_one(res, SQUARE)


def test_crs_override_wins():
    # the same numbers read as UTM 49N land somewhere else; compare with pyproj directly
    data = _wkt_in("EPSG:4545")
    res = read_plots(data, filename="x.wkt", crs="EPSG:32649", check_extent=False)
    assert res.source_crs == "EPSG:32649" and not res.crs_inferred
    assert "user" in res.crs_reason_en
    t = Transformer.from_crs(32649, 4326, always_xy=True)
    lon, lat = t.transform(E0, N0)
    coords = np.array(res.plots.geometry.iloc[0].exterior.coords)
    assert np.min(np.hypot(coords[:, 0] - lon, coords[:, 1] - lat)) < 1e-7
    # an override that matches the data gives the same geometry
    same = read_plots(data, filename="x.wkt", crs=4545)
    _assert_same_geoms_one(same, SQUARE)


def test_crs_override_with_survey_order_is_swapped():
    res = read_plots(_wkt_in("EPSG:4545", swap=True), filename="x.wkt", crs="4545")
    assert "swapped" in res.crs_reason_en
    _assert_same_geoms_one(res, SQUARE)


def test_gcj02_lonlat_shifted_back():
    # corners of a plot in true WGS84, shifted with the independent reference formula
    from test_crs import _ref_wgs_to_gcj

    box = shapely.box(108.38, 30.81, 108.381, 30.811)
    shifted = shapely.Polygon([_ref_wgs_to_gcj(x, y) for x, y in box.exterior.coords])
    res = read_plots(shifted.wkt.encode(), filename="amap.wkt", datum="GCJ-02")
    assert "GCJ-02" in res.crs_reason_en
    got = gpd.GeoSeries([res.plots.geometry.iloc[0]], crs=4326).to_crs(4545).iloc[0]
    exp = gpd.GeoSeries([box], crs=4326).to_crs(4545).iloc[0]
    assert got.hausdorff_distance(exp) < 0.5
    plain = read_plots(shifted.wkt.encode(), filename="amap.wkt")
    moved = gpd.GeoSeries([plain.plots.geometry.iloc[0]], crs=4326).to_crs(4545).iloc[0]
    assert moved.hausdorff_distance(exp) > 300  # without datum= the ~500 m offset stays
    with pytest.raises(InputFileError, match="not lon/lat"):
        read_plots(_wkt_in("EPSG:4545"), filename="x.wkt", datum="GCJ-02")
    with pytest.raises(InputFileError, match="datum must be one of"):
        read_plots(_wkt_in("EPSG:4545"), filename="x.wkt", datum="gcj")


def test_crs_unknown_override():
    with pytest.raises(InputFileError, match="Unknown CRS 'EPSG:99999999'"):
        read_plots(_wkt_in("EPSG:4545"), filename="x.wkt", crs="EPSG:99999999")


def test_crs_cannot_be_inferred():
    with pytest.raises(InputFileError, match=r"cannot infer the CRS.*--crs 4545"):
        read_plots(b"POLYGON ((1 1, 2 1, 2 2, 1 1))", filename="x.wkt")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n \n"], ids=["empty", "blank"])
def test_empty_file(data):
    with pytest.raises(InputFileError, match=r"File e\.txt: the file is empty") as ei:
        read_plots(data, filename="e.txt")
    assert "文件为空" in ei.value.zh


def test_truncated_txt():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes()
    cut = raw[: raw.index(b"K2,2")]
    with pytest.raises(
        InputFileError, match=r"plot WZ-002 .*declares 10 points but only 6.*truncated"
    ):
        read_plots(cut, filename="cut.txt")


def test_truncated_geojson(tmp_path):
    p = tmp_path / "plots.geojson"
    _ref_gdf().to_file(p, driver="GeoJSON")
    data = p.read_bytes()
    with pytest.raises(InputFileError, match=r"invalid or truncated GeoJSON \(line"):
        read_plots(data[: len(data) // 2], filename="plots.geojson")


def test_truncated_zip(tmp_path):
    data = _shp_zip(tmp_path, _ref_gdf("EPSG:4524"), prj=True)
    with pytest.raises(InputFileError, match="damaged or truncated"):
        read_plots(data[: len(data) // 2], filename="plots.zip")


def test_truncated_gpkg(tmp_path):
    p = tmp_path / "x.gpkg"
    _ref_gdf().to_file(p, driver="GPKG")
    with pytest.raises(InputFileError, match=r"cannot read it as GeoPackage") as ei:
        read_plots(p.read_bytes()[:2000], filename="x.gpkg")
    assert "Traceback" not in str(ei.value)


def test_undetectable_encoding():
    data = "[地块坐标]\n".encode() + b"4,0.06,\xff\xfe\xfa,x,\xe9,,,,@\n"
    with pytest.raises(InputFileError, match=r"cannot detect the text encoding \(line 2"):
        read_plots(data, filename="bad.txt")


def test_utf16_without_bom():
    data = "点号,X,Y\n1,3409971,536364\n".encode("utf-16-le")
    with pytest.raises(InputFileError, match=r"NUL bytes.*UTF-8 or GBK"):
        read_plots(data, filename="u16.csv")


SQ_PTS = [
    ("J1", "1", "3409971.000", "536364.000"),
    ("J2", "1", "3409971.000", "536464.000"),
    ("J3", "1", "3410071.000", "536464.000"),
    ("J4", "1", "3410071.000", "536364.000"),
]


def test_unclosed_ring_tiny_gap_is_closed_with_warning():
    pts = [*SQ_PTS, ("J1", "1", "3409971.000", "536364.200")]
    res = read_plots(_txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")
    assert any("0.200 m apart; ring closed" in w for w in res.warnings)
    assert res.plots.geometry.iloc[0].is_valid


def test_unclosed_ring_large_gap_refused():
    with pytest.raises(
        InputFileError, match=r"plot T1, ring 1 \(from line 3\) is not closed.*100\.00 m"
    ):
        read_plots(_txt(SQ_PTS, header="4,1.0,T1,x,面,,,,@"), filename="t.txt")


def _gj_ring(coords) -> bytes:
    feat = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feat]}).encode()


def test_geojson_unclosed_ring_tiny_gap_closed_large_refused():
    tiny = [
        [108.38, 30.81],
        [108.381, 30.81],
        [108.381, 30.811],
        [108.38, 30.811],
        [108.38, 30.810001],
    ]
    res = read_plots(_gj_ring(tiny), filename="tiny.geojson")
    assert any("0.111 m apart); closed" in w for w in res.warnings)
    assert res.plots.geometry.iloc[0].is_valid
    big = [[108.38, 30.81], [108.381, 30.81], [108.381, 30.811]]
    with pytest.raises(
        InputFileError, match=r"feature 1 has a ring that is not closed.*146\.\d\d m"
    ):
        read_plots(_gj_ring(big), filename="big.geojson")


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
        read_plots(_txt(pts, header="3,1.0,T1,x,面,,,,@"), filename="t.txt")
    csv = b"X,Y\n3409971,536364\n3409971,536464\n"
    with pytest.raises(InputFileError, match=r"only 2 distinct points"):
        read_plots(csv, filename="p.csv")


def test_small_self_intersection_is_repaired_and_reported():
    # a 100 m square whose last edge overshoots and crosses the first edge: a tiny loop
    pts = [*SQ_PTS, ("J5", "1", "3409970.000", "536365.000"), ("J1", "1", "3409971", "536364")]
    res = read_plots(_txt(pts, header="6,1.0,T1,x,面,,,,@"), filename="t.txt")
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
        read_plots(_txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")


def test_mixed_geometry_types():
    ll = _ref_gdf().geometry
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
        read_plots(_txt(SQ_PTS, header="4,1.0,T1,x,线,,,,@"), filename="t.txt")


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
    ok = read_plots(_wkt_in("EPSG:4545"), filename="x.wkt", district=wz)
    assert len(ok.plots) == 1
    far = gpd.GeoSeries([shapely.box(108.0, 30.4, 108.1, 30.5)], crs=4326)
    with pytest.raises(InputFileError, match="outside Wanzhou"):
        read_plots(_wkt_in("EPSG:4545"), filename="x.wkt", district=far)


def test_non_numeric_coordinates():
    pts = [*SQ_PTS[:2], ("J3", "1", "34100７1.OOO", "536464"), *SQ_PTS[3:], SQ_PTS[0]]
    with pytest.raises(InputFileError, match=r"line 5 \(plot T1, point J3\): coordinates are not"):
        read_plots(_txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")
    csv = "点号,X,Y\nJ1,3409971,536364\nJ2,abc,536464\nJ3,3410071,536464\n".encode()
    with pytest.raises(InputFileError, match=r"row 3 \(plot 1, point J2\): coordinates are not"):
        read_plots(csv, filename="p.csv")


def test_duplicate_plot_ids():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes().replace(b"WZ-002", b"WZ-001")
    with pytest.raises(
        InputFileError, match=r"duplicate plot id 'WZ-001' \(plot WZ-001 \(line 13\)"
    ):
        read_plots(raw, filename="dup.txt")
    g = _ref_gdf()
    g["plot_id"] = ["X", "X"]
    with pytest.raises(InputFileError, match=r"duplicate plot id 'X' \(feature 1 and feature 2\)"):
        read_plots(g.to_json().encode(), filename="dup.geojson")


def test_file_over_size_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 2000)
    with pytest.raises(InputFileError, match=r"File big\.txt is 0\.0 MB, over the 0\.0 MB limit"):
        read_plots(p, max_bytes=1000)
    with pytest.raises(InputFileError, match="over the"):
        read_plots(b"x" * 2000, filename="big.txt", max_bytes=1000)


@pytest.mark.parametrize("member", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:/x.shp"])
def test_zip_path_traversal(member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, b"x")
    with pytest.raises(InputFileError, match="unsafe path"):
        read_plots(buf.getvalue(), filename="evil.zip")


def test_zip_bomb_ratio():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("plots.shp", b"\0" * 3_000_000)
    assert len(buf.getvalue()) < 30_000
    with pytest.raises(InputFileError, match=r"possible zip bomb"):
        read_plots(buf.getvalue(), filename="bomb.zip")


def test_zip_total_size_limit(monkeypatch):
    import wzgeo._safezip as safezip  # where the limit is read since plotio was split

    monkeypatch.setattr(safezip, "MAX_ZIP_UNCOMPRESSED_BYTES", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("plots.shp", os.urandom(2000))
    with pytest.raises(InputFileError, match=r"expands to 0 MB.*over the limits"):
        read_plots(buf.getvalue(), filename="big.zip")


@pytest.mark.parametrize(
    ("name", "data", "pattern"),
    [
        ("report.docx", b"PK\x03\x04x", r"unsupported file format \(\.docx\).*KML/KMZ"),
        ("plots.kmz", b"PKx", "not a valid zip"),
        ("plan.pdf", b"%PDF-1.4", r"unsupported file format \(\.pdf\).*GeoJSON"),
        ("old.xls", b"\xd0\xcf\x11\xe0", r"\.xls.*save as \.xlsx"),
        ("lonely.shp", b"\x00\x00\x27\x0a", r"zip it together with its \.shx"),
        ("x.zip", b"PK\x03\x04garbage", "damaged or truncated"),
    ],
)
def test_unsupported_or_broken_formats(name, data, pattern):
    with pytest.raises(InputFileError, match=pattern):
        read_plots(data, filename=name)


def test_zip_without_shapefile():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", b"hello")
    with pytest.raises(InputFileError, match=r"no \.shp or \.kml"):
        read_plots(buf.getvalue(), filename="x.zip")


def test_kml_with_entities_refused():
    data = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY e "x">]><kml></kml>'
    with pytest.raises(InputFileError, match="DOCTYPE/ENTITY"):
        read_plots(data, filename="x.kml")


def test_inputs_not_mutated_and_ids_unique(tmp_path):
    res = read_plots(DATA / "two_plots_gbk_crlf.txt")
    assert res.plots["plot_id"].is_unique
    assert str(res.plots["plot_id"].dtype) in ("str", "string", "object")
    assert not math.isnan(res.plots["measured_area_mu"].sum())

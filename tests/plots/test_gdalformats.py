"""Tests for reading GeoJSON, GeoPackage, zipped Shapefile and KML/KMZ plots (_gdalformats)."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely

from tests._plotio_helpers import (
    HOLED,
    SQUARE,
    assert_areas,
    assert_same_geoms,
    kml_bytes,
    ref_gdf,
    shp_zip,
)
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


def test_geojson_round_trip(tmp_path):
    ref = ref_gdf()
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
    assert_same_geoms(res, ref)
    assert_areas(res)
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
    assert_same_geoms(res, ref_gdf())


def test_geopackage_round_trip_declared_crs(tmp_path):
    ref = ref_gdf("EPSG:4545")
    ref["declared_area_mu"] = [15.0, 50.0]
    p = tmp_path / "plots.gpkg"
    ref.to_file(p, driver="GPKG")
    res = read_plots(p.read_bytes(), filename="plots.gpkg")
    assert res.source_crs == "EPSG:4545"
    assert not res.crs_inferred
    assert_same_geoms(res, ref)
    assert_areas(res)
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
    assert_same_geoms(res, ref_gdf())


def test_zipped_shapefile_with_prj(tmp_path):
    ref = ref_gdf("EPSG:4524")
    res = read_plots(shp_zip(tmp_path, ref, prj=True), filename="plots.zip")
    assert res.format == "Shapefile"
    assert res.source_crs == "EPSG:4524"
    assert not res.crs_inferred
    assert list(res.plots["name"]) == ["甲地块", "乙地块"]
    assert_same_geoms(res, ref)
    assert_areas(res)


def test_zipped_shapefile_without_prj_is_inferred(tmp_path):
    ref = ref_gdf("EPSG:4524")
    res = read_plots(shp_zip(tmp_path, ref, prj=False), filename="plots.zip")
    assert res.source_crs == "EPSG:4524"
    assert res.crs_inferred
    assert "zone prefix 36" in res.crs_reason_en
    assert any(".prj" in w for w in res.warnings)
    assert_same_geoms(res, ref)


def test_kml_round_trip(tmp_path):
    res = read_plots(kml_bytes(tmp_path), filename="plots.kml")
    assert res.format == "KML"
    assert res.source_crs == "EPSG:4326"
    assert list(res.plots["name"]) == ["甲地块", "乙地块"]
    assert list(res.plots["plot_id"]) == ["A1", "A2"]
    assert_same_geoms(res, ref_gdf(), tol_m=0.05)  # KML stores ~1e-7° decimals
    assert_areas(res)


def test_kmz_round_trip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml_bytes(tmp_path))
    res = read_plots(buf.getvalue(), filename="plots.kmz")
    assert res.format == "KMZ"
    assert_same_geoms(res, ref_gdf(), tol_m=0.05)


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


def test_truncated_geojson(tmp_path):
    p = tmp_path / "plots.geojson"
    ref_gdf().to_file(p, driver="GeoJSON")
    data = p.read_bytes()
    with pytest.raises(InputFileError, match=r"invalid or truncated GeoJSON \(line"):
        read_plots(data[: len(data) // 2], filename="plots.geojson")


def test_truncated_zip(tmp_path):
    data = shp_zip(tmp_path, ref_gdf("EPSG:4524"), prj=True)
    with pytest.raises(InputFileError, match="damaged or truncated"):
        read_plots(data[: len(data) // 2], filename="plots.zip")


def test_truncated_gpkg(tmp_path):
    p = tmp_path / "x.gpkg"
    ref_gdf().to_file(p, driver="GPKG")
    with pytest.raises(InputFileError, match=r"cannot read it as GeoPackage") as ei:
        read_plots(p.read_bytes()[:2000], filename="x.gpkg")
    assert "Traceback" not in str(ei.value)


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

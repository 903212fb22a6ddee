"""Tests for reading whole land-use / red-line layers (wzgeo.plots.layers) in every format."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from shapely.geometry import box

from tests._landuse_helpers import (
    X0,
    Y0,
    cell,
    grid_layer,
    polygon_layer,
    ref_area_m2,
    to_lonlat,
    write_gdb_zip,
    write_geojson,
    write_gpkg,
    write_shp_zip,
)
from wzgeo.errors import InputFileError
from wzgeo.plots.layers import read_layer

CODES = [["0101", "0601", "1001"], ["0103", "0602", "9999"]]  # 三调 (DLBM)


def _sandiao():
    gdf = grid_layer(CODES, field="DLBM")
    gdf["DLMC"] = ["水田", "工业用地", "铁路用地", "旱地", "采矿用地", "示例未知"]
    return gdf


@pytest.mark.parametrize("cpg", [False, True], ids=["gbk-no-cpg", "gbk-with-cpg"])
def test_gbk_shapefile_zip(tmp_path, cpg):
    src = tmp_path / "src"
    src.mkdir()
    z = write_shp_zip(_sandiao(), tmp_path / "dltb.zip", encoding="GBK", cpg=cpg, folder=src)
    with zipfile.ZipFile(z) as zf:
        dbf = zf.read("dltb.dbf")
    assert "水田".encode("gbk") in dbf  # really GBK on disk
    res = read_layer(z)
    assert res.fmt == "Shapefile"
    assert list(res.frame["DLMC"]) == [
        "水田",
        "工业用地",
        "铁路用地",
        "旱地",
        "采矿用地",
        "示例未知",
    ]
    assert list(res.frame["DLBM"]) == [c for line in CODES for c in line]
    assert res.frame.crs.to_epsg() == 4545
    assert res.encoding == (None if cpg else "GB18030")


def test_utf8_shapefile_zip_and_areas(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    gdf = _sandiao()
    z = write_shp_zip(gdf, tmp_path / "u.zip", encoding="UTF-8", cpg=False, folder=src)
    res = read_layer(z)
    assert res.encoding == "UTF-8"
    assert res.frame["DLMC"].iloc[0] == "水田"
    # areas in EPSG:4545 agree with an independent pyproj projection of the same vertices
    ref = np.array([ref_area_m2(g) for g in gdf.geometry])
    assert np.allclose(res.frame.geometry.area.to_numpy(), ref, atol=0.01)


def test_filegdb_zip(tmp_path):
    gdf = grid_layer([["M1", "M2"], ["M3", "R2"]], field="YDDM", RJL=[1.0, 1.5, 2.0, 3.0])
    z = write_gdb_zip(gdf, tmp_path / "kg.zip", folder=tmp_path)
    res = read_layer(z)
    assert res.fmt == "FileGDB"
    assert res.layer == "KGYD"
    assert list(res.frame["YDDM"]) == ["M1", "M2", "M3", "R2"]
    assert res.frame["RJL"].tolist() == [1.0, 1.5, 2.0, 3.0]


def test_unzipped_gdb_folder_and_layer_choice(tmp_path):
    gdf = grid_layer([["M1"]], field="YDDM")
    gdb = tmp_path / "two.gdb"
    gdf.to_file(gdb, driver="OpenFileGDB", layer="A", engine="pyogrio")
    gdf.to_file(gdb, driver="OpenFileGDB", layer="B", engine="pyogrio", mode="a")
    with pytest.raises(InputFileError, match="--layer") as e:
        read_layer(gdb)
    assert "several layers" in e.value.en
    assert read_layer(gdb, layer="B").layer == "B"
    with pytest.raises(InputFileError, match="没有图层“C”"):
        read_layer(gdb, layer="C")


def test_gpkg_geojson_and_crs_inference(tmp_path):
    gdf = grid_layer([["100101"]], lonlat=False)
    res = read_layer(write_gpkg(gdf, tmp_path / "a.gpkg"))
    assert res.fmt == "GeoPackage" and res.frame.crs.to_epsg() == 4545
    assert res.frame.geometry.iloc[0].equals_exact(cell(0, 0), 1e-6)
    # GeoJSON in EPSG:4545 coordinates without a CRS member: inferred from the ranges
    p = tmp_path / "b.geojson"
    write_geojson(gdf, p)
    p.write_text(p.read_text(encoding="utf-8").replace('"crs"', '"no_crs"'), encoding="utf-8")
    res = read_layer(p)
    assert "inferred" in res.crs_note
    assert abs(res.frame.geometry.iloc[0].area - 10_000.0) < 1e-6


def test_invalid_geometry_repaired_and_counted(tmp_path):
    bow = to_lonlat(box(X0, Y0, X0 + 100, Y0 + 100))
    x = list(bow.exterior.coords)
    from shapely.geometry import Polygon

    bowtie = Polygon([x[0], x[2], x[1], x[3]])
    gdf = polygon_layer([cell(0, 0)])
    gdf.loc[1] = ["示例（虚构）", bowtie]
    res = read_layer(write_gpkg(gdf, tmp_path / "r.gpkg"))
    assert res.n_repaired == 1
    assert res.frame.geometry.is_valid.all()
    assert any("repaired" in n for n in res.notes)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("a.txt", b"x", "不支持的图层格式"),
        ("a.zip", b"not a zip", "zip"),
        ("a.gpkg", b"not a gpkg", "无法读取"),
    ],
    ids=["format", "bad-zip", "bad-gpkg"],
)
def test_bad_files_refused_bilingually(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputFileError, match=match) as e:
        read_layer(p)
    assert e.value.en and e.value.zh != e.value.en


def test_zip_without_layer_refused(tmp_path):
    p = tmp_path / "empty.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(InputFileError, match=r"\.gdb") as e:
        read_layer(p)
    assert "neither a .shp file nor a .gdb folder" in e.value.en

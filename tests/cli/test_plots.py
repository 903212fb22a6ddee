"""CLI tests for ``wzgeo import-plots`` (exit codes, summary text, JSON, output files)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest

from wzgeo.cli.entry import main

DATA = Path(__file__).parents[1] / "data" / "plotio"
TXT = DATA / "two_plots_gbk_crlf.txt"


def test_import_plots_summary(capsys):
    assert main(["import-plots", str(TXT)]) == 0
    out = capsys.readouterr().out
    assert "EPSG:4524" in out
    assert "WZ-001 高峰园示例地块: 10,000.00 m² = 15.00 亩 = 1.00 公顷/ha" in out
    assert "WZ-002" in out and "41.25 亩" in out
    assert "合计 / total: 56.25 亩" in out
    assert "declared in the TXT header" in out


def test_import_plots_json(capsys):
    assert main(["import-plots", str(DATA / "no_prefix_utf8.txt"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source_crs"] == "EPSG:4545"
    assert summary["crs_inferred"] is True
    assert summary["n_plots"] == 1
    assert summary["plots"][0]["area_m2"] == pytest.approx(4000.0, abs=0.1)
    assert summary["plots"][0]["area_ha"] == pytest.approx(0.4, abs=1e-4)


@pytest.mark.parametrize("ext", [".geojson", ".gpkg"])
def test_import_plots_writes_output(tmp_path, capsys, ext):
    out = tmp_path / f"plots{ext}"
    assert main(["import-plots", str(TXT), "--out", str(out)]) == 0
    gdf = gpd.read_file(out)
    assert gdf.crs == "EPSG:4326"
    assert list(gdf["plot_id"]) == ["WZ-001", "WZ-002"]
    assert gdf.to_crs(4545).area.round(1).tolist() == [10000.0, 27500.0]


def test_import_plots_crs_override(tmp_path, capsys):
    wkt = tmp_path / "p.wkt"
    wkt.write_text(
        "POLYGON ((536364 3409971, 536464 3409971, 536464 3410071, 536364 3409971))",
        encoding="utf-8",
    )
    assert main(["import-plots", str(wkt), "--crs", "4545"]) == 0
    out = capsys.readouterr().out
    assert "EPSG:4545 (用户指定 / given by the user)" in out
    assert "CRS given by the user" in out


@pytest.mark.parametrize(
    ("content", "args", "pattern"),
    [
        (b"", [], "the file is empty"),
        (b"POLYGON ((1 1, 2 1, 2 2, 1 1))", [], "cannot infer the CRS"),
        (b"POLYGON ((1 1, 2 1, 2 2, 1 1))", ["--crs", "EPSG:nope"], "Unknown CRS"),
        (b"x" * 5000, ["--max-mb", "0.001"], "over the 0.0 MB limit"),
    ],
    ids=["empty", "no-crs", "bad-crs", "too-big"],
)
def test_import_plots_bad_input_exit_2(tmp_path, capsys, content, args, pattern):
    f = tmp_path / "bad.wkt"
    f.write_bytes(content)
    assert main(["import-plots", str(f), *args]) == 2
    err = capsys.readouterr().err
    assert pattern in err
    assert "错误 / Error" in err
    assert "Traceback" not in err


def test_import_plots_missing_file_and_bad_out(tmp_path, capsys):
    assert main(["import-plots", str(tmp_path / "nope.txt")]) == 2
    assert "File not found" in capsys.readouterr().err
    assert main(["import-plots", str(TXT), "--out", str(tmp_path / "x.csv")]) == 2
    assert "use .geojson or .gpkg" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["keep;v2.geojson", "a|b.gpkg", "x?.geojson", "tab\there.gpkg"])
def test_output_name_gdal_would_misread_is_refused_before_writing(tmp_path, capsys, name):
    # GDAL cut 'keep;v2.geojson' at the ';' and overwrote the hidden file '.keep' (issue 14)
    out_dir = tmp_path / "dir"
    out_dir.mkdir()
    (out_dir / ".keep").write_text("mine", encoding="utf-8")
    code = main(["import-plots", str(TXT), "--out", str(out_dir / name)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "cannot be used in a file name" in err and "不能用于文件名" in err
    assert (out_dir / ".keep").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out_dir.iterdir()) == [".keep"]  # nothing else written


def test_import_plots_kml_to_gpkg(tmp_path):
    # found by the property tests: KML's "Name" beside "name" could not be written to a
    # GeoPackage (field names ignore case there)
    import geopandas as gpd
    import shapely

    kml = tmp_path / "p.kml"
    gpd.GeoDataFrame(
        {"plot_id": ["P1"], "name": ["甲"]},
        geometry=[shapely.box(108.34, 30.71, 108.341, 30.711)],
        crs=4326,
    ).to_file(kml, driver="KML")
    out = tmp_path / "p.gpkg"
    assert main(["import-plots", str(kml), "--out", str(out)]) == 0
    back = gpd.read_file(out)
    assert back["name"].tolist() == ["甲"] and "Name" not in back.columns

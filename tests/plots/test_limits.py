"""Hostile plot files (issue 14): limits counted while reading, for every format.

Each file is generated here, small; each was a denial of service, a traceback or an
unreadable message before the limits (the numbers in the comments are the review's).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plots import _hostile as h
from wzgeo.errors import InputFileError
from wzgeo.plots import _limits
from wzgeo.plots.io import read_plots

REPO = Path(__file__).resolve().parents[2]


def _read(data: bytes, name: str) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        read_plots(data, filename=name)
    err = info.value
    assert re.search(r"[\u4e00-\u9fff]", err.zh) and name in err.zh and name in err.en
    return err


# --- Excel: it had none of the zip checks ---------------------------------------------


def test_xlsx_one_huge_shared_string_is_refused_before_it_expands() -> None:
    # the review's 1.5 MB file held a 1.5 GB string (0.3 → 3.3 GB); 20 MB here, 20 KB file
    data = h.xlsx_shared_string(20_000_000)
    assert len(data) < 40_000
    err = _read(data, "bomb.xlsx")
    assert "possible zip bomb" in err.en and "20 MB" in err.en


def test_xlsx_cells_are_counted_while_the_sheet_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    # the review's 1.7 MB file of 20 M cells took 293 s; the reading now stops at the limit
    monkeypatch.setattr(_limits, "MAX_TABLE_CELLS", 1_000)
    err = _read(h.xlsx_cells(2_000), "cells.xlsx")
    stopped = int(re.search(r"reading stopped at ([\d,]+)", err.en)[1].replace(",", ""))
    assert "more than 1,000 cells" in err.en and 1_000 < stopped <= 1_004  # one row past


def test_xlsx_row_as_wide_as_excel_allows_is_refused() -> None:
    err = _read(h.xlsx_wide_row(), "wide.xlsx")
    assert "16,384 columns, over the limit of 500" in err.en


def test_csv_columns_and_cells_are_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "600 columns, over the limit of 500" in _read(h.csv_wide(600), "wide.csv").en
    monkeypatch.setattr(_limits, "MAX_TABLE_CELLS", 3_000)
    assert "more than 3,000 cells" in _read(h.csv_rows(5_000), "rows.csv").en


# --- plots and vertices: counted while reading, in every format ------------------------


@pytest.fixture
def few_plots(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_limits, "MAX_PLOTS", 100)
    return 100


def test_txt_plots_are_counted_line_by_line(few_plots: int) -> None:
    # a 1.6 MB 部标 TXT of 10k plots took 90 s in the app: the count stops at the limit
    err = _read(h.bubiao_plots(150), "many.txt")
    assert "more than 100 plots (reading stopped at plot 101)" in err.en


def test_zipped_shapefile_features_are_counted_before_the_layer_is_read(few_plots: int) -> None:
    # an 18 MB zip of 800k squares passed the zip checks and took 190 s and 2.9 GB
    err = _read(h.shp_zip_squares(300), "many.zip")
    assert "more than 100 plots" in err.en


def test_geojson_features_are_counted(few_plots: int) -> None:
    assert "more than 100 plots" in _read(h.geojson_features(250), "many.geojson").en


def test_wkt_plots_are_counted(few_plots: int) -> None:
    line = "POLYGON ((536000 3409000, 536050 3409000, 536050 3409050, 536000 3409000))\n"
    err = _read((line * 150).encode(), "many.wkt")
    assert "more than 100 plots (reading stopped at plot 101)" in err.en


def test_vertices_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_limits, "MAX_VERTICES", 1_000)
    err = _read(h.geojson_vertices(5_000), "fine.geojson")
    assert "more than 1,000 points" in err.en


def test_a_file_under_the_limits_reads(few_plots: int) -> None:
    res = read_plots(h.bubiao_plots(100), filename="ok.txt")
    assert len(res.plots) == 100
    assert res.plots["measured_area_mu"].round(3).eq(round(2500 / (10000 / 15), 3)).all()


# --- GeoPackage: views and non-table layers refused before GDAL opens the file ---------


def test_geopackage_layer_as_an_endless_recursive_view_is_refused_quickly() -> None:
    # it never returned (and the app's worker stayed at 100 % CPU): run it in a process
    # of its own with a deadline, so this test fails on such code instead of hanging
    code = (
        "import sys; from tests.plots import _hostile as h; from wzgeo.plots.io import read_plots\n"
        "try:\n    read_plots(h.gpkg_recursive_view(), filename='view.gpkg')\n"
        "except Exception as e:\n    print(type(e).__name__, e.en)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert res.stdout.startswith("InputFileError"), res.stdout + res.stderr
    assert "contains views (plots)" in res.stdout


def test_geopackage_with_a_view_beside_its_layer_is_refused() -> None:
    assert "contains views (notes)" in _read(h.gpkg_attributes_view(), "side.gpkg").en


def test_sqlite_database_that_is_not_a_geopackage_is_refused() -> None:
    assert "not a GeoPackage" in _read(h.sqlite_not_gpkg(), "plain.gpkg").en


# --- JSON depth, XML declarations, zip members -----------------------------------------


def test_geojson_nested_5000_deep_is_a_bilingual_error_not_a_recursion_error() -> None:
    err = _read(h.geojson_deep(5_000), "deep.geojson")
    assert "nested 5,004 levels deep, over the limit of 64" in err.en


def test_geojson_nesting_under_the_limit_reads() -> None:
    assert len(read_plots(h.geojson_deep(40), filename="ok.geojson").plots) == 1


def test_kml_entity_declaration_after_a_long_comment_is_refused() -> None:
    # only the first 4 KB were searched for DOCTYPE/ENTITY
    err = _read(h.kml_entities(padding=10_000), "laughs.kml")
    assert "DOCTYPE/ENTITY" in err.en


def test_zip_with_many_members_is_refused_from_its_end_record() -> None:
    # a 200k-member zip gave an error listing every name (MBs of text)
    err = _read(h.zip_members(20_000), "members.zip")
    assert "holds 20,000 files, over the limit of 1,000" in err.en
    assert len(str(err)) < 1_000


def test_several_shapefiles_are_listed_ten_and_a_count() -> None:
    err = _read(h.zip_members(300, suffix=".shp"), "several.zip")
    assert "layer0.shp, layer1.shp" in err.en and "and 290 more" in err.en
    assert "layer299.shp" not in str(err) and len(str(err)) < 1_000


def test_process_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_PARSE_MEMORY_MB", "300")
    monkeypatch.setenv("WZGEO_PARSE_WALL_S", "abc")  # ignored (logged), default kept
    limits = _limits.current_limits(max_zip_bytes=1, max_zip_ratio=1)
    assert limits.memory_mb == 300 and limits.wall_s == _limits.PARSE_WALL_S


def test_wall_clock_limit_stops_a_slow_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_PARSE_WALL_S", "0.05")
    err = _read(h.bubiao_plots(5_000), "slow.txt")
    assert "did not finish within 0.05 s" in err.en and "server is unaffected" in err.en


def test_memory_limit_stops_a_file_that_needs_more(monkeypatch: pytest.MonkeyPatch) -> None:
    # 300,000 vertices (≈ 7 MB of text): the JSON parser's objects need far more than 8 MB,
    # while the file is within every count limit. (A 12-million-character name was flaky:
    # GDAL's JSON tokenizer sometimes refused it as a token over 10 M characters first.)
    data = h.geojson_vertices(300_000)
    monkeypatch.setenv("WZGEO_PARSE_MEMORY_MB", "8")
    err = _read(data, "big.geojson")
    assert "needs more than 8 MB of memory" in err.en and "server is unaffected" in err.en
    monkeypatch.delenv("WZGEO_PARSE_MEMORY_MB")  # the default budget reads the same file
    assert len(read_plots(data, filename="big.geojson").plots) == 1


def test_land_layer_geopackage_with_a_recursive_view_is_refused() -> None:
    # the land-use layer import (plots.layers, an editor's upload in the app) reads GPKG too
    from wzgeo.plots.layers import read_layer

    with pytest.raises(InputFileError, match="contains views"):
        read_layer(h.gpkg_recursive_view(), filename="land.gpkg")

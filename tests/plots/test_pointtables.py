"""Tests for reading CSV/Excel boundary point tables (wzgeo.plots._pointtables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from tests._plotio_helpers import E0, N0, SQUARE, assert_same_geoms_one
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


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
    assert_same_geoms_one(res, SQUARE)


def test_excel_with_title_row(tmp_path):
    p = tmp_path / "界址点.xlsx"
    rows = [["界址点坐标表", None, None], ["界址点号", "纵坐标", "横坐标"]]
    rows += [[f"J{i}", n, e] for i, (e, n) in enumerate(list(SQUARE.exterior.coords), start=1)]
    pd.DataFrame(rows).to_excel(p, index=False, header=False)
    res = read_plots(p)
    assert_same_geoms_one(res, SQUARE)
    bad = [["界址点坐标表", None, None], ["界址点号", "纵坐标", "横坐标"], ["J1", "x", "1"]]
    pd.DataFrame(bad).to_excel(p, index=False, header=False)
    with pytest.raises(InputFileError, match=r"row 3 \(plot 1, point J1\): coordinates are not"):
        read_plots(p)


def test_rows_longer_than_the_header_are_refused_not_shifted():
    # found by the property tests: pandas took the first values as a row index
    with pytest.raises(InputFileError, match=r"2 more value\(s\) than the header"):
        read_plots(b"X,Y\nJ1,1,3409971,536364\n", filename="p.csv")

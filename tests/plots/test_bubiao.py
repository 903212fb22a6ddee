"""Tests for reading 部标 TXT plot files (wzgeo.plots._bubiao)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests._plotio_helpers import DATA, SQ_PTS, assert_geom_close, txt
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


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
        assert_geom_close(a, b, 0.001)
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
    assert_geom_close(res.plots.to_crs(4545).geometry.iloc[0], exp.iloc[0], 0.001)


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


def test_truncated_txt():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes()
    cut = raw[: raw.index(b"K2,2")]
    with pytest.raises(
        InputFileError, match=r"plot WZ-002 .*declares 10 points but only 6.*truncated"
    ):
        read_plots(cut, filename="cut.txt")


def test_non_numeric_coordinates():
    pts = [*SQ_PTS[:2], ("J3", "1", "34100７1.OOO", "536464"), *SQ_PTS[3:], SQ_PTS[0]]
    with pytest.raises(InputFileError, match=r"line 5 \(plot T1, point J3\): coordinates are not"):
        read_plots(txt(pts, header="5,1.0,T1,x,面,,,,@"), filename="t.txt")
    csv = "点号,X,Y\nJ1,3409971,536364\nJ2,abc,536464\nJ3,3410071,536464\n".encode()
    with pytest.raises(InputFileError, match=r"row 3 \(plot 1, point J2\): coordinates are not"):
        read_plots(csv, filename="p.csv")


def test_declared_zone_prefixed_txt_with_easting_first_is_read():
    # found by the property tests: the zone prefix was looked for in the first column only,
    # so a swapped, prefixed file with a declared header was refused as "outside China"
    text = (
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=36\n[地块坐标]\n"
        "5,,P1,x,面,,,,@\n"
        "J1,1,36536364.000,3409971.000\nJ2,1,36536464.000,3409971.000\n"
        "J3,1,36536464.000,3410071.000\nJ4,1,36536364.000,3410071.000\n"
        "J1,1,36536364.000,3409971.000\n"
    )
    res = read_plots(text.encode("utf-8"), filename="t.txt")
    assert res.source_crs == "EPSG:4524"
    assert any("X/Y 已交换" in w for w in res.warnings)
    assert res.plots.to_crs(4545).area.iloc[0] == pytest.approx(10_000, rel=1e-9)

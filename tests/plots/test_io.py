"""Tests for wzgeo.plots.io: the entry point (source, size limit, encoding, format dispatch) and
the result (plot ids, measured and declared areas).
"""

from __future__ import annotations

import math

import pytest
import shapely
from pyproj import Geod

from tests._plotio_helpers import DATA, M2_PER_MU, ref_gdf, txt
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


@pytest.mark.parametrize("data", [b"", b"  \r\n \n"], ids=["empty", "blank"])
def test_empty_file(data):
    with pytest.raises(InputFileError, match=r"File e\.txt: the file is empty") as ei:
        read_plots(data, filename="e.txt")
    assert "文件为空" in ei.value.zh


def test_file_over_size_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 2000)
    with pytest.raises(InputFileError, match=r"File big\.txt is 0\.0 MB, over the 0\.0 MB limit"):
        read_plots(p, max_bytes=1000)
    with pytest.raises(InputFileError, match="over the"):
        read_plots(b"x" * 2000, filename="big.txt", max_bytes=1000)


def test_undetectable_encoding():
    data = "[地块坐标]\n".encode() + b"4,0.06,\xff\xfe\xfa,x,\xe9,,,,@\n"
    with pytest.raises(InputFileError, match=r"cannot detect the text encoding \(line 2"):
        read_plots(data, filename="bad.txt")


def test_utf16_without_bom():
    data = "点号,X,Y\n1,3409971,536364\n".encode("utf-16-le")
    with pytest.raises(InputFileError, match=r"NUL bytes.*UTF-8 or GBK"):
        read_plots(data, filename="u16.csv")


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


def test_duplicate_plot_ids():
    raw = (DATA / "two_plots_gbk_crlf.txt").read_bytes().replace(b"WZ-002", b"WZ-001")
    with pytest.raises(
        InputFileError, match=r"duplicate plot id 'WZ-001' \(plot WZ-001 \(line 13\)"
    ):
        read_plots(raw, filename="dup.txt")
    g = ref_gdf()
    g["plot_id"] = ["X", "X"]
    with pytest.raises(InputFileError, match=r"duplicate plot id 'X' \(feature 1 and feature 2\)"):
        read_plots(g.to_json().encode(), filename="dup.geojson")


def test_txt_area_mismatch_is_warned():
    pts = [
        ("J1", "1", "3409971", "536364"),
        ("J2", "1", "3409971", "536464"),
        ("J3", "1", "3410071", "536464"),
        ("J1", "1", "3409971", "536364"),
    ]
    res = read_plots(txt(pts, header="4,0.2000,T1,三角,面,,,,@"), filename="t.txt")
    # triangle of 5000 m² = 0.5 ha = 7.5 亩 against 0.2 ha declared
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert any("T1" in w and "+150.0%" in w for w in res.warnings)


def test_far_outside_zone_measured_locally_with_warning():
    beijing = shapely.box(116.39, 39.90, 116.40, 39.91)
    res = read_plots(beijing.wkt.encode(), filename="bj.wkt", check_extent=False)
    geod_m2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(beijing)[0])
    assert res.plots["measured_area_mu"].iloc[0] == pytest.approx(geod_m2 / M2_PER_MU, rel=1e-4)
    assert any("far outside Gauss-Krüger zone 36" in w for w in res.warnings)


def test_inputs_not_mutated_and_ids_unique(tmp_path):
    res = read_plots(DATA / "two_plots_gbk_crlf.txt")
    assert res.plots["plot_id"].is_unique
    assert str(res.plots["plot_id"].dtype) in ("str", "string", "object")
    assert not math.isnan(res.plots["measured_area_mu"].sum())

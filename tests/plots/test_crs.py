"""Tests for the CRS of imported plots: inference, override, X/Y swap, datum (wzgeo.plots._crs)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from tests._plotio_helpers import E0, N0, SQUARE, assert_same_geoms_one, wkt_in
from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


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
    res = read_plots(wkt_in(crs, swap=swap), filename="x.wkt")
    assert res.source_crs == expected
    assert res.crs_inferred
    assert reason in res.crs_reason_en
    assert res.crs_reason_zh.startswith("推断")
    assert_same_geoms_one(res, SQUARE)


def test_crs_override_wins():
    # the same numbers read as UTM 49N land somewhere else; compare with pyproj directly
    data = wkt_in("EPSG:4545")
    res = read_plots(data, filename="x.wkt", crs="EPSG:32649", check_extent=False)
    assert res.source_crs == "EPSG:32649" and not res.crs_inferred
    assert "user" in res.crs_reason_en
    t = Transformer.from_crs(32649, 4326, always_xy=True)
    lon, lat = t.transform(E0, N0)
    coords = np.array(res.plots.geometry.iloc[0].exterior.coords)
    assert np.min(np.hypot(coords[:, 0] - lon, coords[:, 1] - lat)) < 1e-7
    # an override that matches the data gives the same geometry
    same = read_plots(data, filename="x.wkt", crs=4545)
    assert_same_geoms_one(same, SQUARE)


def test_crs_override_with_survey_order_is_swapped():
    res = read_plots(wkt_in("EPSG:4545", swap=True), filename="x.wkt", crs="4545")
    assert "swapped" in res.crs_reason_en
    assert_same_geoms_one(res, SQUARE)


def test_gcj02_lonlat_shifted_back():
    # corners of a plot in true WGS84, shifted with the independent reference formula
    from tests.geo.test_crs import _ref_wgs_to_gcj

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
        read_plots(wkt_in("EPSG:4545"), filename="x.wkt", datum="GCJ-02")
    with pytest.raises(InputFileError, match="datum must be one of"):
        read_plots(wkt_in("EPSG:4545"), filename="x.wkt", datum="gcj")


def test_crs_unknown_override():
    with pytest.raises(InputFileError, match="Unknown CRS 'EPSG:99999999'"):
        read_plots(wkt_in("EPSG:4545"), filename="x.wkt", crs="EPSG:99999999")


def test_crs_cannot_be_inferred():
    with pytest.raises(InputFileError, match=r"cannot infer the CRS.*--crs 4545"):
        read_plots(b"POLYGON ((1 1, 2 1, 2 2, 1 1))", filename="x.wkt")

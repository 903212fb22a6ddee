"""Tests for reading WKT/EWKT plots (wzgeo.plots._wkt)."""

from __future__ import annotations

from tests._plotio_helpers import SQUARE, assert_same_geoms, assert_same_geoms_one, ref_gdf
from wzgeo.plots.io import read_plots


def test_wkt_single_and_per_line():
    ref = ref_gdf("EPSG:4545")
    one = read_plots(SQUARE.wkt.encode(), filename="a.wkt")
    assert one.source_crs == "EPSG:4545" and one.crs_inferred
    assert_same_geoms_one(one, SQUARE)
    many = read_plots("\n".join(g.wkt for g in ref.geometry).encode(), filename="b.wkt")
    assert len(many.plots) == 2
    assert_same_geoms(many, ref)
    ll = ref.to_crs(4326)
    ewkt = read_plots(f"SRID=4326;{ll.geometry.iloc[0].wkt}".encode(), filename="c.txt")
    assert ewkt.source_crs == "EPSG:4326" and not ewkt.crs_inferred
    assert_same_geoms_one(ewkt, SQUARE)

"""Shared fixtures and checks for the plot import tests (test_plotio, test_gdalformats, ...).

Reference geometries are built directly in the projected CRS with shapely and converted with
pyproj, independently of the reader's own coordinate handling.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from wzgeo.plots.io import PlotImport

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


def ref_gdf(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        {"plot_id": ["A1", "A2"], "name": ["甲地块", "乙地块"], "use": ["工业", "仓储"]},
        geometry=[SQUARE, HOLED],
        crs="EPSG:4545",
    )
    return g.to_crs(crs)


def assert_same_geoms(res: PlotImport, ref: gpd.GeoDataFrame, tol_m: float = 0.01) -> None:
    got = res.plots.to_crs(4545).geometry.reset_index(drop=True)
    exp = ref.to_crs(4545).geometry.reset_index(drop=True)
    assert len(got) == len(exp)
    for a, b in zip(got, exp, strict=True):
        assert_geom_close(a, b, tol_m)


def assert_geom_close(a, b, tol_m: float) -> None:
    """Same shape within tol_m metres: vertex counts, rings, Hausdorff distance."""
    assert a.geom_type == b.geom_type
    assert shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)
    assert shapely.get_num_interior_rings(a) == shapely.get_num_interior_rings(b)
    assert a.hausdorff_distance(b) < tol_m, (a.wkt, b.wkt)


def assert_areas(res: PlotImport) -> None:
    np.testing.assert_allclose(res.plots["measured_area_mu"], [15.0, 41.25], rtol=1e-4)


def shp_zip(tmp_path: Path, gdf: gpd.GeoDataFrame, *, prj: bool) -> bytes:
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


def kml_bytes(tmp_path: Path) -> bytes:
    import pyogrio

    p = tmp_path / "plots.kml"
    driver = "LIBKML" if "LIBKML" in pyogrio.list_drivers() else "KML"
    ref_gdf().to_file(p, driver=driver)
    return p.read_bytes()


def txt(points: list[tuple[str, str, str, str]], *, header: str = "4,0.0600,T1,测试,面,,,,@"):
    body = "\n".join(",".join(p) for p in points)
    return f"[地块坐标]\n{header}\n{body}\n".encode()


def assert_same_geoms_one(res: PlotImport, geom_4545) -> None:
    got = res.plots.to_crs(4545).geometry.iloc[0]
    assert_geom_close(got, geom_4545, 0.01)


def wkt_in(crs: str, *, swap: bool = False) -> bytes:
    g = gpd.GeoSeries([SQUARE], crs=4545).to_crs(crs).iloc[0]
    if swap:
        g = shapely.transform(g, lambda c: c[:, ::-1])
    return g.wkt.encode()


def gj_ring(coords) -> bytes:
    feat = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feat]}).encode()


SQ_PTS = [
    ("J1", "1", "3409971.000", "536364.000"),
    ("J2", "1", "3409971.000", "536464.000"),
    ("J3", "1", "3410071.000", "536464.000"),
    ("J4", "1", "3410071.000", "536364.000"),
]

"""Fictional land-use and red-line layers for tests (示例（虚构）; not real data).

Layers are built on a 6 × 6 grid of 100 m cells in EPSG:4545 near the 五桥园 township point
and written with their vertices transformed to lon/lat (EPSG:4326) or kept in EPSG:4545, in
every format the layer import reads. The reference areas of the tests are computed from the
same vertices with plain pyproj + shapely (:func:`ref_area_m2`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box

X0, Y0 = 543_600.0, 3_406_000.0  # EPSG:4545, near 五桥街道
CELL_M = 100.0
_TO_LL = Transformer.from_crs(4545, 4326, always_xy=True)
_TO_M = Transformer.from_crs(4326, 4545, always_xy=True)


def cell(i: int, j: int) -> Polygon:
    """Grid cell (column i, row j) in EPSG:4545."""
    return box(X0 + i * CELL_M, Y0 + j * CELL_M, X0 + (i + 1) * CELL_M, Y0 + (j + 1) * CELL_M)


def transform(func: Any, g: Any) -> Any:
    """Apply a pyproj ``transform`` to every vertex (x, y arrays → x, y arrays)."""
    return shapely.transform(g, lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1])))


def to_lonlat(g: Any) -> Any:
    """EPSG:4545 → EPSG:4326 vertex by vertex (pyproj)."""
    return transform(_TO_LL.transform, g)


def ref_area_m2(a_ll: Any, b_ll: Any | None = None) -> float:
    """Area (m²) of ``a`` (∩ ``b``), both lon/lat, measured after projecting with pyproj."""
    a = transform(_TO_M.transform, a_ll)
    if b_ll is None:
        return float(a.area)
    return float(a.intersection(transform(_TO_M.transform, b_ll)).area)


def grid_layer(
    codes: list[list[str]], *, field: str = "YDYHFLDM", lonlat: bool = True, **extra: list[Any]
) -> gpd.GeoDataFrame:
    """One feature per cell; ``codes[j][i]`` is the code of cell (i, j)."""
    rows: list[dict[str, Any]] = []
    geoms = []
    k = 0
    for j, line in enumerate(codes):
        for i, code in enumerate(line):
            row = {field: code, "MC": "示例（虚构）"}
            for name, values in extra.items():
                row[name] = values[k]
            rows.append(row)
            geoms.append(to_lonlat(cell(i, j)) if lonlat else cell(i, j))
            k += 1
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326 if lonlat else 4545)


def polygon_layer(geoms_m: list[Polygon], *, lonlat: bool = True) -> gpd.GeoDataFrame:
    """A red-line layer from EPSG:4545 polygons."""
    gs = [to_lonlat(g) for g in geoms_m] if lonlat else geoms_m
    return gpd.GeoDataFrame(
        {"MC": ["示例（虚构）"] * len(gs)}, geometry=gs, crs=4326 if lonlat else 4545
    )


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def write_shp_zip(
    gdf: gpd.GeoDataFrame, path: Path, *, encoding: str, cpg: bool, folder: Path
) -> Path:
    """A zipped Shapefile whose .dbf is in ``encoding``; ``cpg`` decides whether a .cpg says so."""
    shp = folder / "dltb.shp"
    gdf.to_file(shp, driver="ESRI Shapefile", engine="pyogrio", encoding=encoding)
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(folder.glob("dltb.*")):
            if p.suffix.lower() == ".cpg" and not cpg:
                continue
            zf.write(p, p.name)
    return path


def write_gdb_zip(gdf: gpd.GeoDataFrame, path: Path, *, folder: Path, layer: str = "KGYD") -> Path:
    """A zipped FileGDB (``kg.gdb`` folder) with one feature class."""
    gdb = folder / "kg.gdb"
    gdf.to_file(gdb, driver="OpenFileGDB", engine="pyogrio", layer=layer)
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(gdb.rglob("*")):
            if p.is_file():
                zf.write(p, str(p.relative_to(folder)))
    return path


def union_area_m2(polys_ll: list[Any], plot_ll: Any) -> float:
    """Reference: plot ∩ union(polys), projected with pyproj."""
    u = shapely.union_all([transform(_TO_M.transform, p) for p in polys_ll])
    return float(transform(_TO_M.transform, plot_ll).intersection(u).area)

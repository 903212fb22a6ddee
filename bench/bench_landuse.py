"""Benchmark: a district-size land-use layer (synthetic 三调 DLTB) — import, single plot check,
check-plots of many parcels against it.

Usage (from the repository root)::

    python bench/bench_landuse.py                       # 500 000 polygons, 1 000 000 parcels
    python bench/bench_landuse.py --polygons 50000 --parcels 100000

Everything is synthetic and fictional: a jittered grid of ≈ 84 m quadrilaterals in EPSG:4545
over a 60 km × 60 km square of Wanzhou with 三调 codes (``DLBM``) drawn from a fixed mix, written
as a GeoPackage. Measured, in one process (best of ``--repeat``):

- **read floor** = ``pyogrio.read_dataframe(file, use_arrow=True)``
- **import** = ``LayerStore.import_layer("landuse", file)``: read, CRS decision, validity check
  and repair, codes recognised, GeoParquet written, change recorded
- **single check** = ``check_plots`` of one 6 ha plot against the imported layer, cold (layers
  loaded from the store, STRtree built) and warm (the server's state after the first check)
- **bulk floor** = read the parcels' GeoParquet + ``STRtree(layer).query(parcels,
  predicate="intersects")`` + ``shapely.area(shapely.intersection(...))`` of every pair
- **check-plots** = ``check_plot_layer`` of the parcels' WKB column with the land layers
  (zones, fit, land use, land class)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

X0, Y0 = 500_000.0, 3_380_000.0  # EPSG:4545, south-west corner (Wanzhou lies about here)
SIZE_M = 60_000.0
CODES = ["0101", "0103", "0301", "0305", "0601", "0602", "0701", "0702", "1003", "1101", "1104",
         "1006", "05H1", "0404"]  # fmt: skip
WEIGHTS = [0.12, 0.22, 0.2, 0.06, 0.05, 0.01, 0.04, 0.1, 0.03, 0.03, 0.04, 0.06, 0.02, 0.02]


def _grid(n: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    import shapely

    k = int(np.ceil(np.sqrt(n)))
    cell = SIZE_M / k
    i, j = np.divmod(np.arange(n), k)
    x0 = X0 + i * cell
    y0 = Y0 + j * cell
    jit = rng.uniform(0, cell * 0.15, size=(n, 4))
    coords = np.stack(
        [
            np.stack([x0 + jit[:, 0], y0], axis=1),
            np.stack([x0 + cell, y0 + jit[:, 1]], axis=1),
            np.stack([x0 + cell - jit[:, 2], y0 + cell], axis=1),
            np.stack([x0, y0 + cell - jit[:, 3]], axis=1),
            np.stack([x0 + jit[:, 0], y0], axis=1),
        ],
        axis=1,
    )
    return shapely.polygons(coords), cell


def make_layer(n: int, path: Path) -> None:
    import geopandas as gpd

    rng = np.random.default_rng(12)
    geoms, _cell = _grid(n, rng)
    codes = rng.choice(CODES, size=n, p=np.array(WEIGHTS) / sum(WEIGHTS))
    gdf = gpd.GeoDataFrame(
        {"DLBM": codes, "BSM": np.arange(n), "BZ": "示例（虚构）"}, geometry=geoms, crs=4545
    )
    gdf.to_file(path, driver="GPKG", engine="pyogrio", layer="DLTB")


def make_parcels(n: int, path: Path) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(7)
    k = int(np.ceil(np.sqrt(n)))
    cell = SIZE_M / k
    i, j = np.divmod(np.arange(n), k)
    cx = X0 + (i + 0.5) * cell + rng.uniform(-0.1, 0.1, n) * cell
    cy = Y0 + (j + 0.5) * cell + rng.uniform(-0.1, 0.1, n) * cell
    h = cell * 0.4
    geoms = shapely.box(cx - h, cy - h, cx + h, cy + h)
    gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=geoms, crs=4545).to_parquet(path)


def best(fn, repeat: int) -> tuple[float, object]:
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=500_000)
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--import-only", action="store_true", help="stop after the import timing")
    args = ap.parse_args()

    import geopandas as gpd
    import pyarrow.parquet as pq
    import pyogrio
    import shapely

    from wzgeo.analysis.plotcheck import check_plot_layer, check_plots
    from wzgeo.store.layers import LayerStore

    tmp = Path(tempfile.mkdtemp(prefix="wzgeo_bench_landuse_"))
    layer = tmp / "dltb.gpkg"
    t = time.perf_counter()
    make_layer(args.polygons, layer)
    print(f"made {args.polygons:,} polygons in {time.perf_counter() - t:.1f} s → {layer}")

    floor, _ = best(lambda: pyogrio.read_dataframe(layer, use_arrow=True), args.repeat)
    n = 0

    def do_import() -> object:
        nonlocal n
        n += 1
        return LayerStore(tmp / f"store{n}.layers").import_layer(
            "landuse", layer, by="bench", why="bench"
        )

    imp, res = best(do_import, args.repeat)
    print(f"read floor {floor:.2f} s; import {imp:.2f} s; ratio {imp / floor:.2f}")
    print("\n".join(res.lines()[3:]))  # type: ignore[attr-defined]
    if args.import_only:
        return

    ls = LayerStore(tmp / f"store{n}.layers")
    plot = gpd.GeoDataFrame(
        {"plot_id": ["P"]},
        geometry=[shapely.box(X0 + 30_000, Y0 + 30_000, X0 + 30_300, Y0 + 30_200)],
        crs=4545,
    ).to_crs(4326)
    t = time.perf_counter()
    layers = LayerStore(ls.folder).land_layers()
    check_plots(plot, sector_id="food", land_layers=layers)
    cold = time.perf_counter() - t
    warm, chk = best(lambda: check_plots(plot, sector_id="food", land_layers=layers), 5)
    from wzgeo.analysis.landuse import check_land

    plot_m = np.asarray(plot.to_crs(4545).geometry.to_numpy(), dtype=object)
    area = shapely.area(plot_m)
    land_only, _ = best(lambda: check_land(plot_m, area, layers, sector_id="food"), 5)
    print(
        f"single plot check: cold {cold:.2f} s (load + STRtree), warm {warm:.3f} s "
        f"(of which the land part {land_only:.3f} s)"
    )
    print(chk.answers(lang="zh")[0])  # type: ignore[attr-defined]

    parcels = tmp / "parcels.parquet"
    make_parcels(args.parcels, parcels)
    lu = layers.get("landuse")
    assert lu is not None
    tree = lu.tree

    def floor_bulk() -> float:
        g = gpd.read_parquet(parcels).geometry.to_numpy()
        pi, fi = tree.query(g, predicate="intersects")
        return float(shapely.area(shapely.intersection(g[pi], lu.geoms[fi])).sum())

    bfloor, _ = best(floor_bulk, args.repeat)

    def bulk() -> object:
        table = pq.read_table(parcels)
        return check_plot_layer(
            table.column("geometry"), crs="EPSG:4545", sector_id="food", land_layers=layers
        )

    bcheck, res2 = best(bulk, args.repeat)
    print(
        f"{args.parcels:,} parcels: floor {bfloor:.2f} s; check-plots {bcheck:.2f} s; "
        f"ratio {bcheck / bfloor:.2f}"
    )
    print(res2.table["land_class_status"].value_counts().to_dict())  # type: ignore[attr-defined]
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

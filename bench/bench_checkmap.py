"""The plot check's result map with a district-size land-use layer: cutting the layer to the
plots' neighbourhood (bounds + 1 km) and building its map groups, versus building the groups
of the whole layer (what drawing it uncut would cost before any browser work).

    python bench/bench_checkmap.py --polygons 500000 --repeat 3

The layer is synthetic and fictional: square parcels of 8 land-use codes on a grid in
EPSG:4545 (the size of a district's 三调 DLTB). Prints best-of-N seconds per step.
"""

from __future__ import annotations

import argparse
import math

import geopandas as gpd
import numpy as np
import shapely
from bench_landuse import best  # this folder is on sys.path when run as a script

from wzgeo.maps.landlayers import clip_layers, land_groups

CODES = ["100101", "100102", "0103", "0701", "1101", "0301", "1401", "1701"]


def layer(n: int) -> gpd.GeoDataFrame:
    side = math.ceil(math.sqrt(n))
    i = np.arange(n)
    x0 = 560_000.0 + (i % side) * 40.0
    y0 = 3_400_000.0 + (i // side) * 40.0
    geoms = shapely.box(x0, y0, x0 + 38.0, y0 + 38.0)
    codes = np.array(CODES)[i % len(CODES)]
    return gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=4545)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--whole", action="store_true", help="also time the whole layer's groups")
    a = ap.parse_args()
    lu = layer(a.polygons)
    frames = {"landuse": lu}
    t_index, _ = best(lambda: lu.sindex, 1)  # built once per layer file in the app (cached)
    cx, cy = lu.total_bounds[[0, 1]] + (lu.total_bounds[[2, 3]] - lu.total_bounds[[0, 1]]) / 2
    plot = (cx, cy, cx + 200.0, cy + 100.0)
    colours = {c: "#bb9674" for c in CODES}
    t_clip, cut = best(lambda: clip_layers(frames, plot, margin_m=1000.0), a.repeat)
    t_groups, _ = best(lambda: land_groups(cut, colours=colours, names={}), a.repeat)
    print(f"layer: {len(lu):,} polygons; spatial index {t_index:.2f} s (once per layer)")
    print(f"cut to bounds + 1 km: {len(cut['landuse']):,} polygons in {t_clip:.3f} s")
    print(f"map groups of the cut layer: {t_groups:.3f} s")
    if a.whole:
        t_whole, _ = best(lambda: land_groups(frames, colours=colours, names={}), 1)
        print(f"map groups of the whole layer: {t_whole:.2f} s")


if __name__ == "__main__":
    main()

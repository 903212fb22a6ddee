"""Hostile plot files and the cost of reading in a limited child process (issue 14).

    python bench/bench_hostile.py            # every hostile file once + the overhead table
    python bench/bench_hostile.py --repeat 5 # best of 5 for the overhead table

For each hostile file of tests/plots/_hostile.py (at the sizes the review reported where
they fit the 20 MB upload limit) it prints the file size, the time read_plots takes to
refuse it and the English message.
The overhead table compares reading ordinary files in this process (the reader's own code,
``wzgeo.plots.io._read_here``) with read_plots (forked, limited child).

Run it from the repository root (it imports tests.plots._hostile).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.plots import _hostile as h  # noqa: E402
from wzgeo.errors import WzgeoError  # noqa: E402
from wzgeo.plots import io  # noqa: E402
from wzgeo.plots._limits import Limits  # noqa: E402

HOSTILE = [
    ("Excel, one shared string of 200 MB", "bomb.xlsx", lambda: h.xlsx_shared_string(200_000_000)),
    ("Excel, one row 16,384 cells wide", "wide.xlsx", h.xlsx_wide_row),
    ("Excel, 600,000 cells", "cells.xlsx", lambda: h.xlsx_cells(150_000)),
    ("GeoPackage, layer = endless recursive view", "view.gpkg", h.gpkg_recursive_view),
    ("部标 TXT, 20,001 plots", "many.txt", lambda: h.bubiao_plots(20_001)),
    ("zipped Shapefile, 30,000 squares", "many.zip", lambda: h.shp_zip_squares(30_000)),
    ("GeoJSON, 20,001 plots", "many.geojson", lambda: h.geojson_features(20_001)),
    ("GeoJSON nested 5,000 deep", "deep.geojson", lambda: h.geojson_deep(5_000)),
    ("zip of 100,000 members", "members.zip", lambda: h.zip_members(100_000)),
    ("KML, entities after 10 KB of comment", "laughs.kml", h.kml_entities),
    ("KMZ expanding to 200 MB", "bomb.kmz", lambda: h.kmz_bomb(200_000_000)),
    ("CSV, 600 columns", "wide.csv", lambda: h.csv_wide(600)),
]


def hostile() -> None:
    print("| file | size | refused in s | message |")
    print("|---|---:|---:|---|")
    for label, name, make in HOSTILE:
        data = make()
        t0 = time.perf_counter()
        try:
            io.read_plots(data, filename=name)
            msg = "read (not refused)"
        except WzgeoError as e:
            msg = e.en.split(": ", 1)[-1][:110]
        dt = time.perf_counter() - t0
        print(
            f"| {label} | {len(data) / 1e6:.2f} MB | {dt:.2f} | {msg} |",
            flush=True,
        )


def overhead(repeat: int) -> None:
    files = [
        ("GeoJSON, 1 plot", "one.geojson", h.geojson_features(1)),
        ("GeoJSON, 2,000 plots", "k2.geojson", h.geojson_features(2_000)),
        ("部标 TXT, 10,000 plots", "k10.txt", h.bubiao_plots(10_000)),
    ]
    print("\n| file | in this process s | limited child s | difference s |")
    print("|---|---:|---:|---:|")
    for label, name, data in files:
        here, child = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            io._read_here(data, name, None, 20_000_000, None, True, "WGS84", Limits())
            here.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            io.read_plots(data, filename=name)
            child.append(time.perf_counter() - t0)
        print(f"| {label} | {min(here):.3f} | {min(child):.3f} | {min(child) - min(here):+.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    io._warm_up()  # as a server does at start: imports and GDAL/PROJ set-up done once
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}\n")
    hostile()
    overhead(args.repeat)


if __name__ == "__main__":
    main()

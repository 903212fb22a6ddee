"""Benchmark ``wzgeo check-plots`` against the floor, at 10k / 100k / 1M synthetic parcels.

Not a test: run by hand (it takes a few minutes and most of a core)::

    python bench/bench_check_plots.py                 # 10k, 100k, 1M
    python bench/bench_check_plots.py --sizes 10000   # just one size

Parcels: a jittered grid of non-overlapping squares covering the Wanzhou district's bounding
box, stored as GeoParquet in EPSG:4545 (CGCS2000 Gauss-Krüger zone 36, the CRS of land-office
parcel layers) and, as a second run, the same parcels in EPSG:4326 (lon/lat); 0.1 % of them
are shifted to overlap a neighbour, so the overlap search has something to find.

Each measurement runs in its own Python process (imports done before the clock starts) and
reports wall time and peak resident memory (``VmHWM``); each is run ``--repeat`` times
(default 3) and the fastest time is kept, because the machine is shared:

- floor: ``geopandas.read_parquet`` + ``shapely.STRtree(zones).query(parcels,
  predicate="intersects")``, the zones in the layer's CRS (projected before the clock starts);
- check-plots: ``wzgeo check-plots PARCELS --out OUT.parquet --sector nm_building`` (read,
  validate geometries, measure areas in EPSG:4545, zone shares and sector fit per parcel,
  write GeoParquet); also timed with ``--assume-valid`` (no validation) and with
  ``--overlaps --distance`` (the opt-in overlap search and nearest-zone distances).

Target (issue #4): check-plots ≤ 1.3 × floor at 1M parcels, peak memory ≤ 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("bench_check_plots")


def _peak_mb() -> float:
    """Peak resident memory of this process in MiB.

    ``VmHWM`` from ``/proc/self/status`` where there is one: ``ru_maxrss`` of a child started
    with fork + exec also counts the parent's peak (here, generating the parcels).
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_parcels(n: int, path: Path, *, crs: str = "EPSG:4545", seed: int = 0) -> None:
    """Write ``n`` synthetic parcels over the district's bounding box to ``path`` in ``crs``."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from wzgeo.geo.basedata import load_district

    district = load_district().to_crs("EPSG:4545")
    minx, miny, maxx, maxy = district.total_bounds
    cols = int(np.ceil(np.sqrt(n * (maxx - minx) / (maxy - miny))))
    rows = int(np.ceil(n / cols))
    cell = min((maxx - minx) / cols, (maxy - miny) / rows)
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    x0 = minx + (idx % cols) * cell
    y0 = miny + (idx // cols) * cell
    size = cell * rng.uniform(0.6, 0.9, n)
    jx = rng.uniform(0, cell - size)
    jy = rng.uniform(0, cell - size)
    shift = rng.random(n) < 0.001
    jx = np.where(shift, jx + cell * 0.5, jx)
    geoms = shapely.box(x0 + jx, y0 + jy, x0 + jx + size, y0 + jy + size)
    gdf = gpd.GeoDataFrame(
        {"plot_id": [f"P{i:07d}" for i in range(n)]}, geometry=geoms, crs="EPSG:4545"
    ).to_crs(crs)
    gdf.to_parquet(path)


def run_floor(path: Path) -> dict[str, float]:
    """Floor: read the GeoParquet and query its parcels against the zones' STRtree."""
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    from wzgeo.geo.zonegeom import load_zone_geometry

    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    crs = geo["columns"][geo["primary_column"]].get("crs", "OGC:CRS84")
    zg = load_zone_geometry()
    zones = zg.loc[zg.geometry.notna()].to_crs(crs).geometry.to_numpy()
    t0 = time.perf_counter()
    parcels = gpd.read_parquet(path)
    tree = shapely.STRtree(zones)
    pairs = tree.query(parcels.geometry.to_numpy(), predicate="intersects")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(), "pairs": float(pairs.shape[1])}


_EXTRA = {"check": [], "fast": ["--assume-valid"], "full": ["--overlaps", "--distance"]}


def run_check(path: Path, out: Path, *, mode: str = "check") -> dict[str, float]:
    """``wzgeo check-plots PATH --out OUT --sector nm_building`` (+ flags) in this process.

    ``mode``: ``check`` (defaults), ``fast`` (``--assume-valid``) or ``full``
    (``--overlaps --distance``).
    """
    import wzgeo.analysis.plotcheck  # noqa: F401  (import before the clock)
    from wzgeo.cli.entry import main
    from wzgeo.geo.zonegeom import load_zone_geometry

    load_zone_geometry()  # warm the file cache like the floor does
    t0 = time.perf_counter()
    extra = _EXTRA[mode]
    code = main(["check-plots", str(path), "--out", str(out), "--sector", "nm_building", *extra])
    seconds = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(code)
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def _child(mode: str, path: Path, out: Path, *, repeat: int) -> dict[str, float]:
    """Best (minimum) time of ``repeat`` fresh processes, and the largest peak memory."""
    runs = []
    for _ in range(repeat):
        cmd = [sys.executable, __file__, "--child", mode, str(path), str(out)]
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        runs.append(dict(json.loads(res.stdout.strip().splitlines()[-1])))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def main() -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (min time)")
    parser.add_argument(
        "--crs", nargs="+", default=["EPSG:4545", "EPSG:4326"], help="CRSs of the layers"
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PARCELS", "OUT"), default=None)
    args = parser.parse_args()
    if args.child:
        mode, path, out = args.child
        if mode == "floor":
            result = run_floor(Path(path))
        else:
            result = run_check(Path(path), Path(out), mode=mode)
        print(json.dumps(result))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    lines = [
        "| parcels | layer CRS | floor s | check-plots s | ratio | --assume-valid s | ratio "
        "| --overlaps --distance s | ratio | peak MiB floor / check / full |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for crs in args.crs:
                tag = crs.replace(":", "")
                src = Path(tmp) / f"parcels_{n}_{tag}.parquet"
                out = Path(tmp) / f"out_{n}_{tag}.parquet"
                t0 = time.perf_counter()
                make_parcels(n, src, crs=crs)
                logger.info("generated %d parcels (%s) in %.1f s", n, crs, time.perf_counter() - t0)
                r = {m: _child(m, src, out, repeat=args.repeat) for m in ("floor", *_EXTRA)}
                base = r["floor"]["seconds"]
                logger.info(
                    "%d %s: floor %.2f s, check-plots %.2f s, ratio %.2f",
                    n,
                    crs,
                    base,
                    r["check"]["seconds"],
                    r["check"]["seconds"] / base,
                )
                cells = [f"{n:,}", crs, f"{base:.2f}"]
                for m in _EXTRA:
                    cells += [f"{r[m]['seconds']:.2f}", f"{r[m]['seconds'] / base:.2f}"]
                peaks = " / ".join(f"{r[m]['peak_mb']:.0f}" for m in ("floor", "check", "full"))
                lines.append("| " + " | ".join([*cells, peaks]) + " |")
                src.unlink()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark ``wzgeo check-plots`` on a partitioned dataset: one process vs a dask cluster.

Not a test: run by hand (a few minutes)::

    python bench/bench_distributed.py                          # 3 000 000 parcels, 40 partitions
    python bench/bench_distributed.py --parcels 300000 --partitions 8

Parcels: a jittered grid of non-overlapping squares over the district's bounding box
(EPSG:4545, like bench_check_plots.py), cut into row bands, one GeoParquet file per band (like
one file per township). Each run checks the whole dataset with ``--sector nm_building`` and
writes one result file per partition:

- **one process**: ``wzgeo check-plots DIR --out OUT --sector nm_building`` (no cluster:
  partition by partition in this process);
- **cluster**: the same on a ``LocalCluster`` of ``--workers`` worker processes (one thread
  each) with ``memory_limit`` ``--memory`` per worker (default 1.2GB; dask's nanny restarts a
  worker that goes above 95 % of it), i.e. ``--workers 2 --worker-memory 1.2GB``.

Both runs go through :func:`wzgeo.analysis.distributed.check_partitioned`, the function the
command calls; the cluster run also records, per worker, the peak resident memory (``VmHWM``
from ``/proc/<pid>/status``, read on the worker when the run ends) and whether the worker
process is still the one that started (no restart). The cluster's start-up is timed apart.
Both have imported the check before the clock starts (the workers by ``Client.run``).
The results of the two runs are compared (same rows, zones and areas).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("bench_distributed")


def make_dataset(n: int, parts: int, folder: Path, *, seed: int = 0) -> None:
    """Write ``n`` parcels over the district's bounding box as ``parts`` GeoParquet files."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from wzgeo.geo.basedata import load_district

    district = load_district().to_crs("EPSG:4545")
    minx, miny, maxx, maxy = district.total_bounds
    cols = int(np.ceil(np.sqrt(n * (maxx - minx) / (maxy - miny))))
    rows = int(np.ceil(n / cols))
    cell = min((maxx - minx) / cols, (maxy - miny) / rows)
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(parts):
        rng = np.random.default_rng(seed + k)
        idx = np.arange(bounds[k], bounds[k + 1])
        x0 = minx + (idx % cols) * cell
        y0 = miny + (idx // cols) * cell
        size = cell * rng.uniform(0.6, 0.9, len(idx))
        jx = rng.uniform(0, cell - size)
        jy = rng.uniform(0, cell - size)
        geoms = shapely.box(x0 + jx, y0 + jy, x0 + jx + size, y0 + jy + size)
        gpd.GeoDataFrame(
            {"plot_id": [f"P{i:08d}" for i in idx]}, geometry=geoms, crs="EPSG:4545"
        ).to_parquet(folder / f"township_{k:02d}.parquet")


def _vmhwm_mb() -> float:
    """Peak resident memory (MiB) of the calling process (runs on a worker)."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


def _run(src: Path, out: Path, *, workers: int | None, memory: str | None) -> dict[str, object]:
    """Check the dataset once (in this process, or on a new LocalCluster); timings and peaks."""
    import wzgeo.analysis.plotcheck  # noqa: F401  (imported before the clock, as on the workers)
    from wzgeo.analysis.distributed import check_partitioned, list_partitions, open_cluster
    from wzgeo.cli.analysis import _PARCEL_COLUMNS
    from wzgeo.store.workspace import load_workspace

    ws = load_workspace(use_store=False)
    columns = [
        c
        for c in _PARCEL_COLUMNS
        if c not in ("nearest_fitting_zone_id", "distance_to_fitting_zone_m", "n_overlapping_plots")
    ]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open_cluster(workers=workers, memory_limit=memory) as client:
        if client is not None:  # the workers import the check (as this process has) first
            client.run(importlib.import_module, "wzgeo.analysis.plotcheck")
            client.run(importlib.import_module, "wzgeo.analysis.distributed")
        started = time.perf_counter() - t0
        pids = client.run(os.getpid) if client is not None else {}
        t1 = time.perf_counter()
        res = check_partitioned(
            list_partitions(src),
            out,
            columns=columns,
            client=client,
            zones_geo=ws.zones_geo,
            zones=ws.zones,
            fit=ws.fit,
            sector_id="nm_building",
        )
        seconds = time.perf_counter() - t1
        peaks = client.run(_vmhwm_mb) if client is not None else {}
        after = client.run(os.getpid) if client is not None else {}
    if res.failed:
        raise SystemExit(f"failed partitions: {[n for n, _e in res.failed]}")
    return {
        "seconds": seconds,
        "startup_seconds": started,
        "n_plots": res.n_plots,
        "n_inside": res.n_inside,
        "client_peak_mb": _vmhwm_mb(),
        "worker_peak_mb": sorted(peaks.values()),
        "restarted": sorted(pids.values()) != sorted(after.values()),
    }


def _compare(a: Path, b: Path) -> int:
    """Rows whose zone, share or area differ between two result folders (0 expected)."""
    import numpy as np
    import pyarrow.parquet as pq

    bad = 0
    for fa in sorted(a.glob("*.parquet")):
        ta = pq.read_table(fa, columns=["plot_id", "zone_id", "zone_share_pct", "area_m2"])
        tb = pq.read_table(b / fa.name, columns=["plot_id", "zone_id", "zone_share_pct", "area_m2"])
        da, db = ta.to_pandas(), tb.to_pandas()
        bad += int((da["plot_id"] != db["plot_id"]).sum())
        bad += int((da["zone_id"].fillna("") != db["zone_id"].fillna("")).sum())
        for c in ("zone_share_pct", "area_m2"):
            x, y = da[c].to_numpy(), db[c].to_numpy()
            bad += int((~np.isclose(x, y, rtol=1e-9, equal_nan=True)).sum())
    return bad


def main() -> int:
    """Run the benchmark and print the numbers (JSON lines) and a Markdown table row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=3_000_000)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="1.2GB", help="memory_limit per worker")
    parser.add_argument("--child", nargs=3, metavar=("WORKERS", "SRC", "OUT"), default=None)
    args = parser.parse_args()
    if args.child:
        w, src, out = args.child
        workers = int(w) or None
        res = _run(Path(src), Path(out), workers=workers, memory=args.memory if workers else None)
        print(json.dumps(res))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "parcels"
        t0 = time.perf_counter()
        make_dataset(args.parcels, args.partitions, src)
        size_mb = sum(p.stat().st_size for p in src.iterdir()) / 2**20
        logger.info(
            "generated %d parcels in %d files (%.0f MiB) in %.1f s",
            args.parcels,
            args.partitions,
            size_mb,
            time.perf_counter() - t0,
        )
        results = {}
        for label, w in (("one process", 0), ("cluster", args.workers)):
            out = Path(tmp) / f"out_{w}"
            cmd = [sys.executable, __file__, "--memory", args.memory, "--child", str(w), str(src)]
            res = subprocess.run([*cmd, str(out)], check=True, capture_output=True, text=True)
            results[label] = json.loads(res.stdout.strip().splitlines()[-1])
            logger.info("%s: %s", label, json.dumps(results[label]))
        diff = _compare(Path(tmp) / "out_0", Path(tmp) / f"out_{args.workers}")
    one, cl = results["one process"], results["cluster"]
    speed = one["seconds"] / cl["seconds"]
    print(
        f"| {args.parcels:,} | {args.partitions} | {size_mb:.0f} | {one['seconds']:.1f} | "
        f"{one['client_peak_mb']:.0f} | {args.workers} × {args.memory} | {cl['seconds']:.1f} | "
        f"{cl['startup_seconds']:.1f} | {speed:.2f}× | "
        f"{' / '.join(f'{m:.0f}' for m in cl['worker_peak_mb'])} | "
        f"{'yes' if cl['restarted'] else 'no'} | {diff} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the print map (A4 PNG at 300 dpi) and the one-plot PDF report.

Run from the repository root::

    python bench/bench_print.py            # 5 repeats each, fresh font cache for the cold run

Each case runs in a fresh process (``--case``), so "cold" includes the imports and the first
font set-up a user's first click pays; "warm" repeats in the same process (the app's case
after the first click). The CJK font cache (the TrueType subset of Noto Sans CJK for PDFs) is
pointed at an empty temporary folder for the cold run (``XDG_CACHE_HOME``).

Targets (issue 15): A4 PNG at 300 dpi of the default map ≤ 5 s; one-plot PDF report ≤ 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLOT = REPO / "tests" / "data" / "plotio" / "no_prefix_utf8.txt"


def _case_map(repeats: int) -> dict[str, object]:
    t0 = time.perf_counter()
    from wzgeo.cli.maps import load_map_inputs
    from wzgeo.maps.printmap import render_print_map

    kwargs = load_map_inputs(use_store=False)
    t_load = time.perf_counter() - t0
    times, cpu, size = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        result = render_print_map(format="png", **kwargs)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if size is None:
            import io

            from PIL import Image

            size = Image.open(io.BytesIO(result.data)).size
    return {
        "load_s": t_load,
        "render_s": times,
        "cpu_s": cpu,
        "png_px": size,
        "bytes": len(result.data),
    }


def _case_report(repeats: int) -> dict[str, object]:
    t0 = time.perf_counter()
    from wzgeo.analysis.plotcheck import check_plots
    from wzgeo.geo import basedata
    from wzgeo.plots.io import read_plots
    from wzgeo.reports.plotreport import build_plot_report, render_report
    from wzgeo.store.workspace import load_workspace

    ws = load_workspace(use_store=False)
    district = basedata.load_district()
    t_load = time.perf_counter() - t0
    data = PLOT.read_bytes()
    times, cpu, pages = [], [], 0
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        imported = read_plots(data, filename=PLOT.name)
        check = check_plots(
            imported.plots,
            project_id="NM-BM-01",
            zones_geo=ws.zones_geo,
            zones=ws.zones,
            projects=ws.projects,
            rules=ws.rules,
            fit=ws.fit,
            sectors=ws.sectors,
        )
        report = build_plot_report(
            check, imported, data=data, zones=ws.zones, zones_geo=ws.zones_geo, district=district
        )
        pdf = render_report(report, "pdf")
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    return {
        "load_s": t_load,
        "render_s": times,
        "cpu_s": cpu,
        "pdf_bytes": len(pdf),
        "pages": pages,
    }


def _run(case: str, repeats: int, cache: str) -> dict[str, object]:
    env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, __file__, "--case", case, "--repeats", str(repeats)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["map", "report"])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.case:
        fn = _case_map if args.case == "map" else _case_report
        print(json.dumps(fn(args.repeats)))
        return
    with tempfile.TemporaryDirectory() as cache:
        for case in ("map", "report"):
            r = _run(case, args.repeats, cache)
            times, cpu = r["render_s"], r["cpu_s"]
            assert isinstance(times, list) and isinstance(cpu, list)
            rest = {k: v for k, v in r.items() if k not in ("render_s", "cpu_s", "load_s")}
            print(
                f"{case}: wall cold {times[0]:.2f} s, warm median "
                f"{statistics.median(times[1:]):.2f} s (min {min(times[1:]):.2f}); CPU cold "
                f"{cpu[0]:.2f} s, warm median {statistics.median(cpu[1:]):.2f} s; data load "
                f"{r['load_s']:.2f} s; {json.dumps(rest)}"
            )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()

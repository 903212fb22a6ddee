"""Benchmark: a land-use layer on the web map in Chromium — page load and pan/zoom step times.

Usage (from the repository root)::

    python bench/bench_landuse_map.py --polygons 50000

A synthetic, fictional land-use layer (the grid of ``bench_landuse.py``, 2023 codes) is drawn by
:func:`wzgeo.maps.landlayers.land_groups` (simplified, merged per class, canvas past 20 000
vertices) on an offline folium map without tiles, saved as HTML and opened in Debian chromium
(headless, 1400×900). Measured: HTML size, time to the ``load`` event, and for 12 alternating
zoom and pan steps the time from the call to two animation frames later (the frame after the
redraw), median and maximum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

_STEPS_JS = """async () => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k].setView);
  const m = window[key];
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const times = [];
  const c = m.getCenter();
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    if (i % 2 === 0) { m.setZoom(m.getZoom() + (i % 4 === 0 ? 1 : -1), {animate: false}); }
    else { m.panBy([150 * (i % 3 - 1), 100], {animate: false}); }
    await frame();
    times.push(performance.now() - t);
  }
  m.setView(c, m.getZoom(), {animate: false});
  return times;
}"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=50_000)
    args = ap.parse_args()

    import folium
    import geopandas as gpd
    from bench_landuse import _grid

    from tests._browser import browser
    from wzgeo.analysis.landuse import code_colours, load_landuse_codes
    from wzgeo.maps.landlayers import land_groups
    from wzgeo.maps.offline import use_offline_assets

    rng = np.random.default_rng(3)
    geoms, _cell = _grid(args.polygons, rng)
    codes = rng.choice(["0101", "0103", "0301", "100101", "100102", "0701", "1701", "1401"],
                       size=args.polygons)  # fmt: skip
    frame = gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=4545)
    table = load_landuse_codes()
    names = dict(zip(table["code"], table["name_zh"], strict=True))
    t = time.perf_counter()
    groups = land_groups({"landuse": frame}, colours=code_colours(table), names=names)
    build_s = time.perf_counter() - t
    b = frame.to_crs(4326).total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=11, tiles=None)
    for g in groups:
        g.add_to(m)
    use_offline_assets(m)
    out = Path(tempfile.mkdtemp(prefix="wzgeo_landmap_")) / "map.html"
    m.save(str(out))
    size_mb = out.stat().st_size / 1e6
    with browser() as br:
        page = br.new_page(viewport={"width": 1400, "height": 900})
        t = time.perf_counter()
        page.goto(out.as_uri(), wait_until="load", timeout=600_000)
        load_s = time.perf_counter() - t
        steps = page.evaluate(_STEPS_JS)
    print(
        f"{args.polygons:,} polygons: build {build_s:.2f} s, HTML {size_mb:.1f} MB, "
        f"page load {load_s:.2f} s, pan/zoom step median {statistics.median(steps):.0f} ms, "
        f"max {max(steps):.0f} ms"
    )


if __name__ == "__main__":
    main()

"""Benchmark: a land-use layer on the web map in Chromium — page load and pan/zoom step times.

Usage (from the repository root)::

    python bench/bench_landuse_map.py --polygons 50000            # vectors (GeoJSON)
    python bench/bench_landuse_map.py --polygons 500000 --tiles   # server-rendered tiles

A synthetic, fictional land-use layer (the grid of ``bench_landuse.py``, 2023 codes) is drawn by
:func:`wzgeo.maps.landlayers.land_groups` (simplified, merged per class, canvas past 20 000
vertices) on an offline folium map without tiles, saved as HTML and opened in Debian chromium
(headless, 1400×900). Measured: HTML size, time to the ``load`` event, and for 12 alternating
zoom and pan steps the time from the call to two animation frames later (the frame after the
redraw), median and maximum.

With ``--tiles`` the layer is drawn as the app draws a layer past
:data:`wzgeo.maps.landtiles.TILE_MIN_FEATURES` polygons: a tile layer whose PNG tiles come from
the app's tile route (:func:`wzgeo.app.tiles.routes`, same token check, worker threads and
caches), here served with the map page by uvicorn on 127.0.0.1 (no Streamlit session: the
script measures the map, not the app around it). Measured: preparing the layer
(:class:`~wzgeo.maps.landtiles.LandTiles`: rings projected, STRtree) and its overview raster,
in Python; the **first view** (page open → the tile layer's ``load`` event, i.e. every visible
tile drawn and shown, with a cold tile cache; the layer already prepared, as the map page
prepares it when it draws the map); and the 12 steps at each ``--zoom`` (a step ends at the
tile layer's ``load`` event, or at once when it needs no new tile, plus two animation frames).
Each step asks for tiles not drawn before (the pans move on), so steps measure rendering, not
the cache. ``--app`` runs the whole app (``streamlit run app.py``) on a store with the layer
imported: first view on a cold server, the steps, a reload, then the first view after a server
restart (the prepared layer then comes from ``<store>.layers/tiles/``).
"""

from __future__ import annotations

import argparse
import os
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


_TILE_STEPS_JS = """async ([zoom, lat, lon]) => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k].setView);
  const m = window[key];
  let tl = null;
  m.eachLayer(l => { if (l instanceof L.TileLayer) tl = l; });
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const loaded = () => new Promise(r => {
    if (!tl.isLoading()) { r(); return; }
    tl.once('load', r);
  });
  m.setView([lat, lon], zoom, {animate: false});
  await frame(); await loaded();
  const times = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    if (i % 2 === 0) { m.setZoom(m.getZoom() + (i % 4 === 0 ? 1 : -1), {animate: false}); }
    else { m.panBy([700, 300 * (i % 3 - 1)], {animate: false}); }
    await frame();
    await loaded();
    await frame();
    times.push(performance.now() - t);
  }
  return times;
}"""

_FIRST_VIEW_JS = """() => new Promise(r => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k].setView);
  const m = window[key];
  let tl = null;
  m.eachLayer(l => { if (l instanceof L.TileLayer) tl = l; });
  if (!tl.isLoading() && Object.keys(tl._tiles).length) { r(performance.now()); return; }
  tl.once('load', () => r(performance.now()));
})"""


def _steps(frame, zooms: list[int], centre: tuple[float, float]) -> None:
    for z in zooms:
        steps = frame.evaluate(_TILE_STEPS_JS, [z, *centre])
        print(
            f"  zoom {z}↔{z + 1}: pan/zoom step median {statistics.median(steps):.0f} ms,"
            f" max {max(steps):.0f} ms"
        )


def _app_run(n: int, zooms: list[int]) -> None:
    """The whole app: import the layer into a store, `streamlit run app.py`, open the map page."""
    from bench_landuse import make_layer

    from tests._browser import browser, streamlit_server
    from wzgeo.store.layers import layer_store_for

    tmp = Path(tempfile.mkdtemp(prefix="wzgeo_landmap_app_"))
    layer = tmp / "dltb.gpkg"
    make_layer(n, layer)
    store = tmp / "store.sqlite"
    t = time.perf_counter()
    layer_store_for(store).import_layer("landuse", layer, by="bench", why="bench")
    print(f"{n:,} polygons imported in {time.perf_counter() - t:.1f} s")
    frame_gdf = layer_store_for(store).frame("landuse")
    assert frame_gdf is not None
    b = frame_gdf.to_crs(4326).total_bounds
    env = {"WZGEO_STORE": str(store), "WZGEO_USERS": str(tmp / "users.toml")}
    root = Path(__file__).resolve().parents[1]
    for run in ("cold server, nothing prepared", "server restarted, prepared layer on disk"):
        with streamlit_server(root / "app.py", env=env, timeout_s=120) as url, browser() as br:
            pg = br.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            pg.goto(url + "/?basemap=none", timeout=600_000)
            fr = _tiles_frame(pg)
            print(f"app, {run}: map page open → land-use tiles shown "
                  f"{time.perf_counter() - t:.2f} s")  # fmt: skip
            if run.startswith("cold"):
                _steps(fr, zooms, ((b[1] + b[3]) / 2, (b[0] + b[2]) / 2))
                pg.reload()
                t = time.perf_counter()
                _tiles_frame(pg)
                print(
                    f"app, reload (layer prepared): → tiles shown {time.perf_counter() - t:.2f} s"
                )


def _tiles_frame(pg):
    """The map iframe once its land-use tiles are shown."""
    pg.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=600_000)
    fr = next(f for f in pg.frames if "streamlit_folium" in f.url)
    fr.wait_for_selector(".wz-land-tiles", state="attached", timeout=600_000)
    fr.evaluate(_FIRST_VIEW_JS)
    return fr


def _tiles_run(frame, table, names, zooms: list[int]) -> None:
    """Serve the map page and the tile route with uvicorn; measure in Chromium."""
    import threading

    import folium
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from tests._browser import browser, free_port
    from wzgeo.analysis.landuse import code_colours
    from wzgeo.app import tiles
    from wzgeo.maps.landlayers import NO_COLOUR, land_groups
    from wzgeo.maps.landtiles import LandTiles
    from wzgeo.maps.offline import use_offline_assets

    colours = code_colours(table)
    t = time.perf_counter()
    lt = LandTiles.from_codes(
        frame.geometry.to_numpy(), frame["code"].to_numpy(), colours, default=NO_COLOUR
    )
    prep_s = time.perf_counter() - t
    t = time.perf_counter()
    lt.overview()
    overview_s = time.perf_counter() - t
    token = tiles.grant(tiles.TileGrant(key=("bench", len(frame)), build=lambda: lt), warm=False)
    url = f"/wzgeo-tiles/{token}/{{z}}/{{x}}/{{y}}.png"
    b = frame.to_crs(4326).total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=11, tiles=None)
    for g in land_groups({"landuse": frame}, colours=colours, names=names,
                         tile_urls={"landuse": url}):  # fmt: skip
        g.add_to(m)
    use_offline_assets(m)
    html = m.get_root().render()

    async def page(_request):
        return HTMLResponse(html)

    app = Starlette(routes=[Route("/map.html", page), *tiles.routes()])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with browser() as br:
            pg = br.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            pg.goto(f"http://127.0.0.1:{port}/map.html", wait_until="load", timeout=600_000)
            load_s = time.perf_counter() - t
            pg.evaluate(_FIRST_VIEW_JS)
            first_s = time.perf_counter() - t
            n_tiles = pg.evaluate(
                "() => document.querySelectorAll('img.leaflet-tile-loaded').length"
            )
            print(
                f"{len(frame):,} polygons, tiles: prepare {prep_s:.2f} s, overview "
                f"{overview_s:.2f} s ({lt.overview().size[0]}×{lt.overview().size[1]} px, "
                f"zoom {lt.overview_zoom}), HTML {len(html) / 1e6:.2f} MB, page load "
                f"{load_s:.2f} s, first view (all {n_tiles} tiles shown) {first_s:.2f} s"
            )
            _steps(pg, zooms, ((b[1] + b[3]) / 2, (b[0] + b[2]) / 2))
    finally:
        server.should_exit = True
        th.join(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polygons", type=int, default=50_000)
    ap.add_argument("--tiles", action="store_true", help="draw the layer as server tiles")
    ap.add_argument("--zoom", type=int, action="append", help="start zoom of the tile steps")
    ap.add_argument("--app", action="store_true", help="tiles in the whole app (streamlit run)")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    import folium
    import geopandas as gpd
    from bench_landuse import _grid

    from tests._browser import browser
    from wzgeo.analysis.landuse import code_colours, load_landuse_codes
    from wzgeo.maps.landlayers import land_groups
    from wzgeo.maps.offline import use_offline_assets

    if args.app:
        _app_run(args.polygons, args.zoom or [11, 13, 15])
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return
    rng = np.random.default_rng(3)
    geoms, _cell = _grid(args.polygons, rng)
    codes = rng.choice(["0101", "0103", "0301", "100101", "100102", "0701", "1701", "1401"],
                       size=args.polygons)  # fmt: skip
    frame = gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=4545)
    table = load_landuse_codes()
    names = dict(zip(table["code"], table["name_zh"], strict=True))
    if args.tiles:
        _tiles_run(frame, table, names, args.zoom or [11, 13, 15])
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return
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
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

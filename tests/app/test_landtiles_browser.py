"""A large land-use layer on the map in a real browser: drawn as server-rendered tiles.

A fictional 20 000-polygon land-use layer (示例（虚构）, 30 m cells around 高峰园) is imported
into the server's store through the library; the map page then draws it as a tile layer:
Leaflet (inside streamlit-folium's component iframe) loads PNG tiles from the app's own
server, their pixels carry the standard colour of 一类工业用地 (187,150,116 at 75 % opacity,
from the test's own copy of the colour), the legend lists the class, and the tile URL with
another token answers 404.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests._browser import BROWSER_MARKS, MAP_FRAME, browser, save_screenshot, streamlit_server

pytestmark = BROWSER_MARKS

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 90_000
N_SIDE = 142  # 142² = 20 164 polygons
INDUSTRIAL = (187, 150, 116)  # 工业用地, 《市级国土空间总体规划制图规范》附录B as in the brief


def store_centre(_store: Path) -> tuple[float, float]:
    """The centre of the test layer (the centroid of 高峰园, EPSG:4545): the corner of cell
    (71, 71), an industrial one."""
    from wzgeo.geo.zonegeom import load_zone_geometry

    c = load_zone_geometry().to_crs(4545).set_index("zone_id").loc["gaofeng", "geometry"].centroid
    return c.x, c.y


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wzgeo.geo.zonegeom import load_zone_geometry
    from wzgeo.store.layers import layer_store_for

    root = tmp_path_factory.mktemp("landtiles_app")
    z = load_zone_geometry().to_crs(4545).set_index("zone_id")
    c = z.loc["gaofeng", "geometry"].centroid
    cell = 30.0
    i, j = np.divmod(np.arange(N_SIDE * N_SIDE), N_SIDE)
    x0 = c.x - N_SIDE * cell / 2 + i * cell
    y0 = c.y - N_SIDE * cell / 2 + j * cell
    geoms = shapely.box(x0, y0, x0 + cell, y0 + cell)
    codes = np.where((i + j) % 4 == 0, "0103", "100101")  # ¾ industrial, ¼ dry farmland
    gdf = gpd.GeoDataFrame({"YDYHFLDM": codes, "BZ": "示例（虚构）"}, geometry=geoms, crs=4545)
    path = root / "用地用海示例（虚构）.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    s = root / "store.sqlite"
    layer_store_for(s).import_layer("landuse", path, by="test", why="示例（虚构）")
    return s


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    env = {"WZGEO_STORE": str(store), "WZGEO_USERS": str(store.parent / "users.toml")}
    with streamlit_server(REPO / "app.py", env=env) as url:
        yield url


def test_tiles_under_a_base_url_path(store: Path) -> None:
    """Served under ``server.baseUrlPath``: the iframe's relative tile URL resolves under it."""
    env = {"WZGEO_STORE": str(store), "WZGEO_USERS": str(store.parent / "users.toml")}
    with streamlit_server(REPO / "app.py", env=env, base_url_path="wz/gis") as url:
        assert url.endswith("/wz/gis")
        with browser() as b:
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/?basemap=none")
            page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
            tile = page.frame_locator(MAP_FRAME).first.locator(
                '.wz-land-tiles img.leaflet-tile-loaded[src*="wzgeo-tiles"]'
            )
            tile.first.wait_for(state="attached", timeout=TIMEOUT_MS)
            src = tile.first.evaluate("e => e.src")
            assert src.startswith(url + "/wzgeo-tiles/"), src
            assert page.request.get(src).status == 200


def test_large_layer_drawn_as_tiles(server: str, store: Path) -> None:
    from PIL import Image

    with browser() as b:
        ctx = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        try:
            page.goto(server + "/?basemap=none")
            page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
            frame = page.frame_locator(MAP_FRAME).first
            tile = frame.locator('.wz-land-tiles img.leaflet-tile-loaded[src*="wzgeo-tiles"]')
            tile.first.wait_for(state="attached", timeout=TIMEOUT_MS)
            frame.get_by_text("100101 一类工业用地").first.wait_for(timeout=TIMEOUT_MS)
            assert frame.locator('path[fill="#bb9674"]').count() == 0  # not as vectors
            srcs = tile.evaluate_all("els => els.map(e => e.src)")
            assert srcs and all(s.startswith(server + "/wzgeo-tiles/") for s in srcs), srcs
            found = 0
            for src in srcs:
                r = page.request.get(src)
                assert r.status == 200 and r.headers["content-type"] == "image/png"
                px = np.asarray(Image.open(io.BytesIO(r.body())).convert("RGBA"))
                assert px.shape == (256, 256, 4)
                hit = (px[..., :3] == INDUSTRIAL).all(axis=-1) & (px[..., 3] == 191)
                found += int(hit.sum())
            assert found > 0, "no pixel of the 工业用地 colour in the loaded tiles"
            # another token shows nothing
            token = srcs[0].split("/wzgeo-tiles/")[1].split("/")[0]
            forged = srcs[0].replace(token, "x" * len(token))
            assert page.request.get(forged).status == 404
            # a click on the map names the class there (the tile server's info route)
            from pyproj import Transformer

            lon, lat = Transformer.from_crs(4545, 4326, always_xy=True).transform(
                *(v + 15 for v in store_centre(store))
            )
            frame.locator(".leaflet-container").first.evaluate(
                "(el, ll) => { const k = Object.keys(window).find(k => k.startsWith('map_')"
                " && window[k].setView); window[k].fire('click', {latlng: L.latLng(ll[0], ll[1])});"
                " }",
                [lat, lon],
            )
            frame.locator(".wz-land-info").get_by_text("100101 一类工业用地").wait_for(
                timeout=TIMEOUT_MS
            )
            save_screenshot(page, "landtiles_map")
            # the prepared layer is kept beside the store (a restart loads it)
            assert list((store.parent / "store.sqlite.layers" / "tiles").glob("*.npz"))

            # on the Gaode basemap (GCJ-02) the tiles come from another token: shifted tiles
            page.goto(server + "/?basemap=gaode")
            page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
            frame = page.frame_locator(MAP_FRAME).first
            tile = frame.locator('.wz-land-tiles img.leaflet-tile-loaded[src*="wzgeo-tiles"]')
            tile.first.wait_for(state="attached", timeout=TIMEOUT_MS)
            gsrcs = tile.evaluate_all("els => els.map(e => e.src)")
            assert token not in gsrcs[0]
            assert page.request.get(gsrcs[0]).status == 200
        except Exception:
            save_screenshot(page, "landtiles_failure")
            raise
        finally:
            ctx.close()

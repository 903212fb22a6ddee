"""Tests for wzgeo.maps.offline: no CDN URL survives; assets come from installed packages."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, ClassVar

import folium
import pytest
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.plugins import Draw, MarkerCluster

from wzgeo.maps.offline import (
    ASSETS,
    OfflineAssetError,
    asset_data_uri,
    asset_text,
    external_asset_urls,
    offline_html,
    use_offline_assets,
)


def _map() -> folium.Map:
    m = folium.Map(location=[30.8, 108.4], tiles=None)
    MarkerCluster().add_to(m)
    Draw().add_to(m)
    folium.Marker([30.8, 108.4]).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def _links(m: folium.Map) -> list[str]:
    """What streamlit-folium's frontend would load: every element's default_js/css URL."""
    urls: list[str] = []

    def walk(el: object) -> None:
        if isinstance(el, JSCSSMixin):
            urls.extend(u for _, u in el.default_js)
            urls.extend(u for _, u in el.default_css)
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return urls


def test_plain_folium_map_uses_cdns() -> None:
    # the problem this module solves: without it, a map loads from CDNs
    html = _map().get_root().render()
    assert any("cdn.jsdelivr.net" in u for u in external_asset_urls(html))


def test_use_offline_assets_gives_data_uris_only() -> None:
    m = use_offline_assets(_map())
    links = _links(m)
    assert links and all(u.startswith("data:") for u in links)
    decoded = [base64.b64decode(u.split(",", 1)[1]).decode() for u in links]
    assert any("Leaflet 1.9.3" in d for d in decoded)
    assert any("MarkerClusterGroup" in d for d in decoded)
    assert any("Leaflet.draw 1.0.4" in d for d in decoded)
    assert not any("jQuery" in d[:500] or "Bootstrap" in d[:500] for d in decoded)
    # idempotent: a second pass keeps the data: URIs
    assert _links(use_offline_assets(m)) == links


def test_css_images_inlined() -> None:
    css = asset_text("leaflet_css")
    assert "url(images/" not in css and "data:image/png;base64," in css
    draw_css = asset_text("draw_css")
    assert "images/spritesheet" not in draw_css and "data:image/svg+xml;base64," in draw_css
    assert "sourceMappingURL" not in asset_text("leaflet_js")
    assert asset_data_uri("leaflet_css").startswith("data:text/css;base64,")


def test_every_asset_readable() -> None:
    for name in ASSETS:
        assert len(asset_text(name)) > 100, name
    with pytest.raises(OfflineAssetError, match="Unknown offline asset"):
        asset_text("jquery")


def test_offline_html_inlines_and_has_no_external_assets() -> None:
    html = offline_html(_map())
    assert external_asset_urls(html) == []
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "D.imagePath=''" in html  # default marker icon from inlined images


class _Unknown(JSCSSMixin, folium.MacroElement):
    default_js: ClassVar = [("x", "https://cdn.example.com/x/1.0/unknown-plugin.js")]


def test_unknown_external_asset_refused() -> None:
    m = folium.Map(tiles=None)
    _Unknown().add_to(m)
    with pytest.raises(OfflineAssetError, match=r"unknown-plugin\.js"):
        use_offline_assets(m)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="https://a.example/b.js"></script>', ["https://a.example/b.js"]),
        ("<link rel='stylesheet' href='//cdn.example/x.css'/>", ["//cdn.example/x.css"]),
        ("<style>.a{background:url(http://x.example/y.png)}</style>", ["http://x.example/y.png"]),
        ('<img src="data:image/png;base64,AAAA">', []),
        ('<script>L.tileLayer("https://tile.example/{z}/{x}/{y}.png")</script>', []),
    ],
    ids=["script", "link", "css-url", "data-uri", "tile-template"],
)
def test_external_asset_urls(html: str, expected: list[str]) -> None:
    assert external_asset_urls(html) == expected


def test_figure_root_is_fine() -> None:
    fig = Figure()
    m = folium.Map(tiles=None)
    fig.add_child(m)
    assert external_asset_urls(offline_html(m)) == []


_ST_APP = """
import sys
sys.path.insert(0, {tests!r})
from streamlit_folium import st_folium
from tests.maps.test_webmap import sample_frames
from wzgeo.maps.webmap import build_map
st_folium(build_map(**sample_frames(), basemap="none"), key="m", height=500, returned_objects=[])
"""


@pytest.mark.browser
# tests/_browser.streamlit_server leaves the server's stdout pipe open (reported to its owner)
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_streamlit_folium_path_is_offline(tmp_path: Path) -> None:
    """st_folium loads each element's default_js/css itself: they must not leave the app."""
    from tests._browser import browser, save_screenshot, streamlit_server

    app = tmp_path / "app.py"
    app.write_text(_ST_APP.format(tests=str(Path(__file__).parent)), encoding="utf-8")
    blocked: list[str] = []
    errors: list[str] = []
    with streamlit_server(app) as url, browser() as b:
        host = url.split("/")[2]
        page = b.new_page(viewport={"width": 1000, "height": 800})  # type: ignore[attr-defined]

        def route(r: Any) -> None:
            u = r.request.url
            if u.startswith(("data:", "blob:")) or u.split("/")[2] == host:
                r.continue_()
            else:
                blocked.append(u)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        frame = page.frame_locator("iframe[title*='st_folium']").first
        try:
            frame.locator("path.wz-zone").first.wait_for(timeout=30_000)
            assert frame.locator("path.wz-zone").count() == 2
            assert frame.locator(".marker-cluster").count() == 1
            legend = frame.locator(".wz-legend").inner_text()
            # the legend lists the layers that are on: the intensity layer starts hidden
            assert "重点项目" in legend and "目标: 50" not in legend
            frame.get_by_text("地均产出", exact=False).first.click()  # tick it in the control
            frame.locator(".wz-legend").get_by_text("目标: 50", exact=False).wait_for(
                timeout=10_000
            )
            assert blocked == [] and errors == []
        except BaseException:
            save_screenshot(page, "streamlit_folium_offline")
            raise


@pytest.mark.browser
def test_draw_plugin_works_offline(tmp_path: Path) -> None:
    """Leaflet.draw (vendored) loads from the file with the network blocked; icons inlined."""
    from tests._browser import browser, save_screenshot

    m = folium.Map(location=[30.8, 108.4], zoom_start=10, tiles=None)
    Draw(draw_options={"polyline": False, "circle": False}).add_to(m)
    path = tmp_path / "draw.html"
    path.write_text(offline_html(m), encoding="utf-8")
    blocked: list[str] = []
    errors: list[str] = []
    with browser() as b:
        page = b.new_page()  # type: ignore[attr-defined]

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        try:
            page.wait_for_function("() => window.L && L.Control.Draw")
            button = page.locator("a.leaflet-draw-draw-polygon")
            assert button.count() == 1
            image = button.evaluate("e => getComputedStyle(e).backgroundImage")
            assert 'url("data:image/' in image and "http" not in image.split("base64")[0]
            button.click()  # start drawing: the draw handler runs without errors
            for x, y in ((300, 200), (400, 200), (350, 300), (300, 200)):
                page.mouse.move(x, y, steps=3)
                page.mouse.down()
                page.mouse.up()
                page.wait_for_timeout(400)  # slower than a double click
            assert page.locator("path.leaflet-interactive").count() == 1
            assert blocked == [] and errors == []
        except BaseException:
            save_screenshot(page, "draw_offline")
            raise

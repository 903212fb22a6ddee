"""The app in a real browser: ``streamlit run app.py`` driven by Playwright + Debian chromium.

One server per module, on a copy of ``geodata/`` in which a zone and a project carry a hostile
name (HTML, a backtick and ``${...}``): every test runs against that data, so any test that
renders the names also checks that they show as text.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests._browser import BROWSER_MARKS, MAP_FRAME, save_screenshot, streamlit_server

pytestmark = BROWSER_MARKS

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<img src=x onerror=alert(1)>`${alert(2)}`"
HOSTILE_ZONE = "gaofeng"
TIMEOUT_MS = 45_000


@pytest.fixture(scope="module")
def geodata_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """geodata/ with a hostile zone name and a hostile project name placed in that zone."""
    root = tmp_path_factory.mktemp("geodata") / "geodata"
    shutil.copytree(REPO / "geodata", root)
    zones_csv = root / "plan" / "zones.csv"
    zones = pd.read_csv(zones_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    zones.loc[zones["zone_id"] == HOSTILE_ZONE, "name_zh"] = HOSTILE
    zones.loc[zones["zone_id"] == HOSTILE_ZONE, "name_en"] = HOSTILE
    zones.to_csv(zones_csv, index=False, encoding="utf-8")
    projects_csv = root / "plan" / "projects.csv"
    projects = pd.read_csv(projects_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    in_zone = projects.index[projects["zone_id"] == HOSTILE_ZONE]
    assert len(in_zone), "the plan places at least one project in 高峰园"
    projects.loc[in_zone[0], "name_zh"] = HOSTILE
    projects.to_csv(projects_csv, index=False, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(geodata_copy: Path) -> Iterator[str]:
    env = {
        "WZGEO_GEODATA": str(geodata_copy),
        "WZGEO_STORE": str(geodata_copy.parent / "store.sqlite"),
    }
    with streamlit_server(REPO / "app.py", env=env) as url:
        yield url


class Session:
    """A page that records requests and dialogs, and screenshots itself on failure."""

    def __init__(self, b: Any, url: str, name: str, *, block_external: bool = True) -> None:
        self.url = url
        self.name = name
        self.context = b.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        if block_external:
            host = url.split("//", 1)[1]

            def route(r: Any) -> None:
                u = r.request.url
                if u.startswith(("data:", "blob:")) or u.split("//", 1)[-1].startswith(host):
                    r.continue_()
                else:
                    r.abort()

            self.context.route("**/*", route)

    def goto(self, path: str) -> Any:
        self.page.goto(self.url + path)
        self.page.wait_for_selector("h1", timeout=TIMEOUT_MS)
        return self.page

    def map_frame(self) -> Any:
        """The st_folium iframe once Leaflet has drawn into it."""
        self.page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
        frame = self.page.frame_locator(MAP_FRAME).first
        frame.locator(".leaflet-overlay-pane path").first.wait_for(timeout=TIMEOUT_MS)
        handle = self.page.query_selector(MAP_FRAME)
        assert handle is not None
        content = handle.content_frame()
        assert content is not None
        content.wait_for_function("() => window.map !== undefined", timeout=TIMEOUT_MS)
        return content

    def external_requests(self) -> list[str]:
        host = self.url.split("//", 1)[1]
        return [
            u
            for u in self.requests
            if not u.startswith(("data:", "blob:", "about:"))
            and not u.split("//", 1)[-1].startswith(host)
        ]


@pytest.fixture
def session(request: pytest.FixtureRequest, chromium: Any, server: str) -> Iterator[Session]:
    failed_before = request.session.testsfailed
    s = Session(chromium, server, request.node.name)
    yield s
    if request.session.testsfailed > failed_before:  # the call phase failed: keep a picture
        save_screenshot(s.page, f"app_{request.node.name}")
    s.context.close()


_LAYERS_JS = """() => {
  const zones = {}; let markers = 0;
  window.map.eachLayer(l => {
    if (l.feature && l.feature.properties && l.feature.properties.zone_id
        && l.getBounds && l.options && String(l.options.className || '').includes('wz-zone')) {
      const c = l.getBounds().getCenter();
      zones[l.feature.properties.zone_id] = [c.lng, c.lat];
    }
    if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) {
      markers += l.getLayers().length;          // every marker the cluster group manages
    } else if (l instanceof L.Marker && !(L.MarkerCluster && l instanceof L.MarkerCluster)
               && l.__parent === undefined) {
      markers += 1;                             // a marker outside any cluster (highlighted)
    }
  });
  return {zones: zones, markers: markers};
}"""


def _layers(frame: Any) -> dict[str, Any]:
    result: dict[str, Any] = frame.evaluate(_LAYERS_JS)
    return result


def _located_zone_ids() -> set[str]:
    from wzgeo.geo.zonegeom import load_zone_geometry

    geo = load_zone_geometry()
    return set(geo.loc[geo["geometry_quality"] != "not_located", "zone_id"])


def _unplaced_count(page: Any) -> int:
    pattern = re.compile(r"未绘制的项目.*?[：:]\s*(\d+)", re.S)
    text = page.get_by_text(pattern).first.inner_text()
    return int(pattern.search(text).group(1))  # type: ignore[union-attr]


# ------------------------------------------------------------------------------- tests


def test_map_draws_located_zones_and_project_markers(session: Session) -> None:
    page = session.goto("/?basemap=none")
    frame = session.map_frame()
    frame.wait_for_function(f"({_LAYERS_JS})().markers > 0", timeout=TIMEOUT_MS)
    layers = _layers(frame)
    assert set(layers["zones"]) == _located_zone_ids()
    unplaced = _unplaced_count(page)
    assert layers["markers"] == 135 - unplaced
    assert layers["markers"] > 0
    # the schematic caveat is visible above the map
    assert page.get_by_text("园区边界为示意图").first.is_visible()
    assert not session.dialogs


def test_gaode_shifts_features_by_the_gcj02_offset(session: Session) -> None:
    page = session.goto("/?basemap=osm")
    frame = session.map_frame()
    before = _layers(frame)["zones"]["tianzi"]
    page.get_by_text("高德地图（GCJ-02）").first.click()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    after = before
    while time.monotonic() < deadline:
        try:
            frame = session.map_frame()
            after = _layers(frame)["zones"].get("tianzi", before)
        except Exception:  # the iframe is being replaced while the app reruns
            after = before
        if after != before:
            break
        time.sleep(0.3)
    dlon, dlat = after[0] - before[0], after[1] - before[1]
    # GCJ-02 near Wanzhou: about +0.0046° lon, -0.0023° lat (DOMAIN.md), never zero
    assert 0.0035 < dlon < 0.0060, (dlon, dlat)
    assert -0.0035 < dlat < -0.0012, (dlon, dlat)
    assert "basemap=gaode" in page.url


def test_uploaded_plot_yields_a_report(session: Session, tmp_path: Path) -> None:
    plot = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "试验地块"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [108.340, 30.711],
                            [108.344, 30.711],
                            [108.344, 30.714],
                            [108.340, 30.714],
                            [108.340, 30.711],
                        ]
                    ],
                },
            }
        ],
    }
    path = tmp_path / "plot.geojson"
    path.write_text(json.dumps(plot, ensure_ascii=False), encoding="utf-8")
    page = session.goto("/plot-check")
    page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
    page.set_input_files('input[type="file"]', str(path))
    page.get_by_text("核查报告").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("下载报告 JSON").first.wait_for(timeout=TIMEOUT_MS)
    assert not page.get_by_text("Traceback").count()


def test_bad_upload_shows_a_bilingual_error(session: Session, tmp_path: Path) -> None:
    # a hostile file name too: it is echoed in the error message
    path = tmp_path / "<img src=x onerror=alert(1)>.geojson"
    path.write_text("{ not json", encoding="utf-8")
    page = session.goto("/plot-check")
    page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
    page.set_input_files('input[type="file"]', str(path))
    alert = page.locator('[data-testid="stAlertContentError"]').first
    alert.wait_for(timeout=TIMEOUT_MS)
    text = alert.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{4,} [a-z]{2,}", text)
    assert not page.get_by_text("Traceback").count()
    assert page.query_selector('img[src="x"]') is None
    assert not session.dialogs


def test_hostile_names_show_as_text(session: Session) -> None:
    session.goto("/?basemap=none")
    frame = session.map_frame()
    # open the hostile zone's popup: its name goes through Leaflet's innerHTML
    frame.evaluate(
        """() => { window.map.eachLayer(l => {
             if (!(l.getPopup && l.getPopup() && l.getLayers)) return;
             const hit = l.getLayers().find(c => c.feature && c.feature.properties
                                           && c.feature.properties.zone_id === 'gaofeng');
             if (hit) l.openPopup(hit.getBounds().getCenter());
           }); }"""
    )
    frame.wait_for_selector(".leaflet-popup-content", timeout=TIMEOUT_MS)
    popup = frame.inner_text(".leaflet-popup-content")
    assert "<img src=x onerror=alert(1)>" in popup
    assert "${alert(2)}" in popup
    # the hostile project's popup and tooltip content, as handed to Leaflet, is escaped
    contents = frame.evaluate(
        """() => { const out = []; window.map.eachLayer(l => {
             if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) {
               l.getLayers().forEach(m => {
                 for (const b of [m.getPopup && m.getPopup(), m.getTooltip && m.getTooltip()]) {
                   if (b) { const c = b.getContent();
                            out.push(typeof c === 'string' ? c : c.innerHTML); }
                 }
               });
             }
           }); return out; }"""
    )
    hostile = [c for c in contents if "alert(1)" in c]
    assert hostile, "the hostile project is drawn"
    assert all("<img" not in c and "&lt;img" in c for c in hostile), hostile[:1]
    assert frame.query_selector('img[src="x"]') is None
    for path in ("/zones", "/projects", "/data"):
        session.goto(path)
        time.sleep(1.5)
        assert session.page.query_selector('img[src="x"]') is None
    assert not session.dialogs, session.dialogs


def test_no_request_leaves_the_app(chromium: Any, server: str) -> None:
    s = Session(chromium, server, "no_external", block_external=False)
    try:
        s.goto("/?basemap=none")
        s.map_frame()
        for path in ("/zones", "/projects", "/plot-check", "/targets", "/data"):
            s.goto(path)
            time.sleep(1.5)
        assert s.external_requests() == [], s.external_requests()
        assert len(s.requests) > 5
    except AssertionError:
        save_screenshot(s.page, "app_no_external")
        raise
    finally:
        s.context.close()


def test_filter_in_url_drives_map_and_is_shareable(session: Session) -> None:
    page = session.goto("/?basemap=none&sector=auto")
    frame = session.map_frame()
    auto = _layers(frame)["markers"]
    assert 0 < auto < 135
    assert "sector=auto" in page.url
    page.get_by_text("English").first.click()
    page.get_by_role("heading", name="Map").wait_for(timeout=TIMEOUT_MS)
    assert "lang=en" in page.url


def test_drawn_polygon_yields_a_report(session: Session) -> None:
    page = session.goto("/plot-check")
    page.get_by_text("在地图上绘制").first.click()
    frame = session.map_frame()
    assert frame.query_selector(".leaflet-draw") is not None, "the draw toolbar is there"
    # what Leaflet.draw fires when the user finishes a rectangle
    frame.evaluate(
        """() => { const r = L.rectangle(L.latLngBounds([30.711, 108.340], [30.714, 108.344]));
                   window.map.fire('draw:created', {layer: r, layerType: 'rectangle'}); }"""
    )
    page.get_by_text("核查报告").first.wait_for(timeout=TIMEOUT_MS)
    assert session.external_requests() == []


def test_choosing_a_table_row_highlights_it_on_the_map(session: Session) -> None:
    # only projects placed in a located zone are drawn: filter to one (高峰园)
    page = session.goto("/?basemap=none&zone=gaofeng")
    frame = session.map_frame()
    assert frame.query_selector(".wz-hl") is None
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    # the selection checkbox of the first data row (header row ~35 px, rows ~35 px)
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    page.wait_for_url(re.compile(r"sel="), timeout=TIMEOUT_MS)
    sel = re.search(r"sel=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        try:
            hl = session.map_frame().query_selector(".wz-hl")
        except Exception:
            hl = None
        if hl is not None:
            break
        time.sleep(0.3)
    assert hl is not None, f"project {sel} is highlighted on the map"


def test_filter_change_swaps_layers_without_remounting_the_map(session: Session) -> None:
    """A filter change keeps the st_folium iframe (and its Leaflet map); only the dynamic
    layers (projects, zones, legend) are replaced."""
    page = session.goto("/?basemap=none")
    frame = session.map_frame()
    frame.wait_for_function(f"({_LAYERS_JS})().markers > 0", timeout=TIMEOUT_MS)
    before = _layers(frame)["markers"]
    frame.evaluate("() => { window.__wz_mark = 'still here'; window.map.__wz_mark = 1; }")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    box.locator("input").click()
    page.get_by_role("option", name="汽车", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"sector=auto"), timeout=TIMEOUT_MS)
    frame.wait_for_function(
        f"() => {{ const n = ({_LAYERS_JS})().markers; return n > 0 && n !== {before}; }}",
        timeout=TIMEOUT_MS,
    )
    after = _layers(frame)
    assert 0 < after["markers"] < before
    # the same window and the same Leaflet map: the iframe was not re-created
    assert frame.evaluate("() => window.__wz_mark") == "still here"
    assert frame.evaluate("() => window.map.__wz_mark") == 1
    assert len(page.query_selector_all(MAP_FRAME)) == 1
    # the swapped layers are complete: zones, one legend, the layer control lists them all
    assert set(after["zones"]) == _located_zone_ids()
    assert frame.evaluate("() => document.querySelectorAll('.wz-legend').length") == 1
    overlays = frame.evaluate(
        """() => [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
                 .map(l => [l.innerText.trim(), l.querySelector('input').checked])"""
    )
    assert len(overlays) == 5, overlays
    assert [checked for _, checked in overlays] == [True, True, True, False, True], overlays
    assert frame.evaluate("() => document.querySelectorAll('path.wz-intensity').length") == 0
    # only this view's layer groups are kept (earlier swaps are forgotten, not piled up)
    assert frame.evaluate("() => window.feature_group.length") == 4
    assert not session.dialogs

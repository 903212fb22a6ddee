"""Real-browser tests of exported HTML maps (Debian chromium via Playwright).

The exported file is opened from ``file://`` with every request that is not ``file:`` or
``data:`` aborted and recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import browser, save_screenshot
from tests.maps.test_webmap import HOSTILE, sample_frames
from wzgeo.maps.webmap import export_map_html

pytestmark = pytest.mark.browser

# Leaflet layer state of the zone `zone_id`: centre of its bounds, [lat, lng]
_ZONE_CENTRE_JS = """(zoneId) => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  let found = null;
  window[key].eachLayer(l => {
    if (!found && l.feature && l.feature.properties && l.feature.properties.zone_id === zoneId
        && l.getBounds) { const c = l.getBounds().getCenter(); found = [c.lat, c.lng]; }
  });
  return found;
}"""

_FIT_ZONE_JS = """(zoneId) => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  window[key].eachLayer(l => {
    if (l.feature && l.feature.properties && l.feature.properties.zone_id === zoneId
        && l.getBounds) { window[key].fitBounds(l.getBounds(), {animate: false}); }
  });
}"""

_ZOOM_JS = """() => window[Object.keys(window).find(k => k.startsWith('map_')
    && window[k] instanceof L.Map)].getZoom()"""

_OPEN_ALL_POPUPS_JS = """() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const texts = [];
  const visit = l => {
    if (l.getPopup && l.getPopup()) {
      const p = l.getPopup(); const c = p.getContent();
      const div = document.createElement('div'); div.innerHTML = c; document.body.appendChild(div);
      texts.push(div.textContent); div.remove();
    }
    if (l.getLayers) l.getLayers().forEach(visit);
  };
  window[key].eachLayer(visit);
  return texts;
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


@contextlib.contextmanager
def opened(b: Any, path: Path, name: str) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """Open an exported map offline; yield the page and what it tried to do."""
    seen: dict[str, list[str]] = {"blocked": [], "dialogs": [], "errors": []}

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen["blocked"].append(url)
            r.abort()

    page = b.new_page(viewport={"width": 1200, "height": 800})
    try:
        page.route("**/*", route)
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("() => window.L && document.querySelector('.wz-legend')")
        page.wait_for_timeout(300)
        yield page, seen
    except BaseException:
        save_screenshot(page, name)
        raise
    finally:
        page.close()


def _export(tmp_path: Path, basemap: str, **extra: object) -> Path:
    out = tmp_path / f"map_{basemap}.html"
    export_map_html(out, **{**sample_frames(), **extra}, basemap=basemap)
    return out


def test_export_renders_offline(chromium: Any, tmp_path: Path) -> None:
    path = _export(tmp_path, "none")
    with opened(chromium, path, "export_none") as (page, seen):
        assert page.evaluate("typeof window.L") == "object"
        assert page.evaluate("L.version") == "1.9.3"
        assert page.locator("path.wz-zone.leaflet-interactive").count() == 2
        assert page.locator("path.wz-q-schematic").count() == 1
        assert page.locator("path.wz-q-schematic").get_attribute("stroke-dasharray") == "8 6"
        # gaofeng's two projects sit at one point: one cluster; wuqiao's marker alone
        assert page.locator(".marker-cluster").count() == 1
        assert page.locator(".wz-proj").count() == 1
        legend = page.locator(".wz-legend").inner_text()
        # the legend lists the layers that are on: the intensity layer is off at first
        assert "九龙园A区" in legend and "目标: 50" not in legend
        page.get_by_text("地均产出", exact=False).first.click()  # tick it in the control
        page.locator(".wz-legend").get_by_text("目标: 50 亿元/km²").wait_for(timeout=10_000)
        assert "示意图" in page.locator(".wz-banner").inner_text()
        assert seen == {"blocked": [], "dialogs": [], "errors": []}


def test_hostile_name_shows_as_text(chromium: Any, tmp_path: Path) -> None:
    path = _export(tmp_path, "none")
    with opened(chromium, path, "export_hostile") as (page, seen):
        texts = page.evaluate(_OPEN_ALL_POPUPS_JS)
        assert any(HOSTILE in t for t in texts), texts
        page.evaluate(_FIT_ZONE_JS, "wuqiao")
        page.wait_for_timeout(300)
        page.locator("path.wz-q-official").hover(
            position={"x": 5, "y": 5}
        )  # the zone with the hostile name
        page.wait_for_timeout(200)
        assert HOSTILE in page.locator(".leaflet-tooltip").inner_text()
        page.evaluate(_FIT_ZONE_JS, "gaofeng")
        page.wait_for_timeout(300)
        zoom = page.evaluate(_ZOOM_JS)
        page.locator(".marker-cluster").click()  # zooms in and lists both projects
        listing = page.locator(".wz-cluster-list")
        listing.wait_for(timeout=5_000)
        assert HOSTILE in listing.inner_text() and "NM-CU-01" in listing.inner_text()
        assert page.locator(".leaflet-cluster-spider-leg").count() == 0
        assert page.evaluate(_ZOOM_JS) > zoom
        assert page.locator("img[src=x]").count() == 0
        assert seen["dialogs"] == [] and seen["errors"] == [] and seen["blocked"] == []


def test_gaode_moves_features_by_gcj02_offset(chromium: Any, tmp_path: Path) -> None:
    centres = {}
    for basemap in ("osm", "gaode"):
        path = _export(tmp_path, basemap)
        with opened(chromium, path, f"export_{basemap}") as (page, seen):
            centres[basemap] = page.evaluate(_ZONE_CENTRE_JS, "wuqiao")
            hosts = {u.split("/")[2] for u in seen["blocked"]}
            expected = "tile.openstreetmap.org" if basemap == "osm" else "autonavi.com"
            # the only requests leaving the file are basemap tiles
            assert all(h.endswith(expected) for h in hosts), hosts
            assert seen["dialogs"] == [] and seen["errors"] == []
    dlat = centres["gaode"][0] - centres["osm"][0]
    dlon = centres["gaode"][1] - centres["osm"][1]
    # DOMAIN.md: near Wanzhou GCJ-02 is about +0.0046° lon, -0.0023° lat (≈ 500 m)
    assert dlon == pytest.approx(0.0046, abs=0.001)
    assert dlat == pytest.approx(-0.0023, abs=0.001)


def test_screenshot_for_review(chromium: Any, tmp_path: Path) -> None:
    """Keep a screenshot of an English sector-styled export for a human to look at."""
    path = _export(tmp_path, "none", style="sector", lang="en")
    with opened(chromium, path, "export_en_sector") as (page, seen):
        assert "New materials" in page.locator(".wz-legend").inner_text()
        shot = save_screenshot(page, "export_en_sector")
        assert shot.stat().st_size > 10_000
        assert seen["blocked"] == []


_CENTRE_JS = """() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
  const c = window[key].getCenter(); return [c.lat, c.lng];
}"""


def test_highlighted_project_stays_out_of_the_cluster(chromium: Any, tmp_path: Path) -> None:
    from shapely.geometry import box

    from tests.maps.test_webmap import GAOFENG_BOX

    # AU-01 (hostile name) shares its point with NM-CU-01: highlighted, it is drawn on its own
    path = _export(tmp_path, "none", highlight=["AU-01"])
    with opened(chromium, path, "export_highlight") as (page, seen):
        assert page.locator(".wz-proj.wz-hl").count() == 1
        assert page.locator(".marker-cluster").count() == 0  # NM-CU-01 alone: no cluster
        # NM-CU-01 and AU-01 side by side (EI-01 in wuqiao is out of view)
        assert page.locator(".wz-proj").count() == 2
        # the view is fitted to the highlighted project
        lat, lng = page.evaluate(_CENTRE_JS)
        rp = box(*GAOFENG_BOX).representative_point()
        assert lat == pytest.approx(rp.y, abs=0.005) and lng == pytest.approx(rp.x, abs=0.005)
        page.locator(".wz-proj.wz-hl").hover(force=True)  # drawn above NM-CU-01
        page.wait_for_timeout(200)
        assert HOSTILE in page.locator(".leaflet-tooltip").last.inner_text()
        assert page.locator("img[src=x]").count() == 0
        assert seen == {"blocked": [], "dialogs": [], "errors": []}

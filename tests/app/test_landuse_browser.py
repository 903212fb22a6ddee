"""Land layers in a real browser: import a land-use layer on the saved-work page, see it drawn in
its standard colour on the map, check a plot and read the red-line finding first.

All layers are fictional (示例（虚构）). The farmland layer is imported beforehand through the
library (the same store the server reads); the land-use layer through the page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box

from tests._browser import BROWSER_MARKS, MAP_FRAME, browser, save_screenshot, streamlit_server

pytestmark = BROWSER_MARKS

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000


def _site() -> tuple[float, float]:
    """A point inside 高峰园 (schematic) in EPSG:4545."""
    from wzgeo.geo.zonegeom import load_zone_geometry

    z = load_zone_geometry().to_crs(4545).set_index("zone_id")
    c = z.loc["gaofeng", "geometry"].centroid
    return c.x, c.y


_RESULT_MAP = """() => [...document.querySelectorAll('[data-testid="stMain"] iframe')].filter(
    f => f.contentDocument && f.contentDocument.querySelector('.leaflet-overlay-pane path')
).pop()"""


def _result_map_frame(page: Any) -> Any:
    """The plot check's result map (the last map iframe on the page)."""
    return page.evaluate_handle(_RESULT_MAP).as_element()


def _result_map_layers(page: Any, legend: str = "永久基本农田") -> dict[str, Any]:
    """Screen boxes of the result map's industrial-land, farmland and plot paths, and its
    legend text, once the map has drawn ``legend``."""
    page.wait_for_function(
        f"() => {{ const f = ({_RESULT_MAP})(); return f && "
        "f.contentDocument.querySelector('path[fill=\"#bb9674\"]') && "
        f"f.contentDocument.body.innerText.includes({json.dumps(legend)}); }}",
        timeout=TIMEOUT_MS,
    )
    _result_map_frame(page).scroll_into_view_if_needed()
    # laid out: the plot has a height on screen (not a map fitted while its frame had none)
    page.wait_for_function(
        f"() => {{ const p = ({_RESULT_MAP})().contentDocument.querySelector("
        "'path[stroke=\"#d00\"]'); return p && p.getBoundingClientRect().height > 2; }",
        timeout=TIMEOUT_MS,
    )
    return dict(
        page.evaluate(
            f"""() => {{
            const d = ({_RESULT_MAP})().contentDocument;
            const boxes = sel => [...d.querySelectorAll(sel)].map(p => {{
                const r = p.getBoundingClientRect();
                return {{left: r.left, right: r.right, top: r.top, bottom: r.bottom}};
            }});
            return {{
                industrial: boxes('path[fill="#bb9674"]'),
                farmland: boxes('path[fill="#ffff00"][stroke="#b3a100"]'),
                plot: boxes('path[stroke="#d00"]'),
                legend: [...d.querySelectorAll('.wz-land-legend')].map(e => e.innerText)
                    .join("\\n"),
            }};
        }}"""
        )
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from wzgeo.store.layers import layer_store_for

    root = tmp_path_factory.mktemp("landuse_app")
    x, y = _site()
    cells = [box(x + i * 200, y, x + (i + 1) * 200, y + 200) for i in range(2)]
    lu = gpd.GeoDataFrame(
        {"YDYHFLDM": ["100101", "0103"], "BZ": ["示例（虚构）"] * 2}, geometry=cells, crs=4545
    ).to_crs(4326)
    lu_path = root / "用地用海示例（虚构）.gpkg"
    lu.to_file(lu_path, driver="GPKG")
    farm = gpd.GeoDataFrame(
        {"BZ": ["示例（虚构）"]}, geometry=[box(x + 150, y + 50, x + 300, y + 150)], crs=4545
    )
    farm_path = root / "farm.gpkg"
    farm.to_file(farm_path, driver="GPKG")
    store = root / "store.sqlite"
    layer_store_for(store).import_layer(
        "basic_farmland", farm_path, by="test", why="示例（虚构）", name="永久基本农田示例（虚构）"
    )
    plot = gpd.GeoDataFrame(
        {"name": ["试验地块"]}, geometry=[box(x + 20, y + 20, x + 220, y + 120)], crs=4545
    ).to_crs(4326)
    plot_path = root / "plot.geojson"
    plot_path.write_text(plot.to_json(), encoding="utf-8")
    # the expected finding, measured independently (shapely in EPSG:4545)
    taken_mu = box(x + 20, y + 20, x + 220, y + 120).intersection(farm.geometry.iloc[0]).area / (
        10000 / 15
    )
    return {
        "store": store,
        "users": root / "users.toml",
        "landuse": lu_path,
        "plot": plot_path,
        "taken_mu": taken_mu,
    }


@pytest.fixture(scope="module")
def server(env: dict[str, Any]) -> Iterator[str]:
    with streamlit_server(
        REPO / "app.py",
        env={"WZGEO_STORE": str(env["store"]), "WZGEO_USERS": str(env["users"])},
    ) as url:
        yield url


def test_import_draw_check_reads_red_line_first(server: str, env: dict[str, Any]) -> None:
    with browser() as b:
        ctx = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        try:
            # 1. import the land-use layer on the saved-work page
            page.goto(server + "/saved")
            page.wait_for_selector("h1, h2", timeout=TIMEOUT_MS)
            up = page.locator(".st-key-sw_layer_file input[type=file]")
            up.wait_for(state="attached", timeout=TIMEOUT_MS)
            up.set_input_files(str(env["landuse"]))
            page.locator(".st-key-sw_layer_why input").fill("示例（虚构）导入")
            page.get_by_role("button", name="导入图层").click()
            page.get_by_text("已导入 / imported").first.wait_for(timeout=TIMEOUT_MS)
            assert page.get_by_text("recognised").count()
            save_screenshot(page, "landuse_saved_work_import")

            # 2. the map draws it in the standard colour of 工业用地 (187,150,116 = #bb9674)
            page.goto(server + "/?basemap=none")
            page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT_MS)
            frame = page.frame_locator(MAP_FRAME).first
            # (at the district's zoom the 400 m test layer is a few pixels: attached, drawn)
            frame.locator('path[fill="#bb9674"]').first.wait_for(
                state="attached", timeout=TIMEOUT_MS
            )
            assert frame.locator('path[fill="#f5f8dc"]').count() >= 1  # 耕地 colour for 0103
            frame.get_by_text("100101 一类工业用地").first.wait_for(timeout=TIMEOUT_MS)  # legend
            save_screenshot(page, "landuse_map")

            # 3. check a plot: the red-line finding leads the answer
            page.goto(server + "/plot-check")
            page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
            page.set_input_files('input[type="file"]', str(env["plot"]))
            page.get_by_text("核查报告").first.wait_for(timeout=TIMEOUT_MS)
            answer = page.locator("strong", has_text="占用永久基本农田").first
            answer.wait_for(timeout=TIMEOUT_MS)
            text = answer.inner_text()
            head = text.split("：", 1)[1]
            assert head.startswith(f"占用永久基本农田 {env['taken_mu']:.1f} 亩"), text
            save_screenshot(page, "landuse_plot_check")
            assert not page.get_by_text("Traceback").count()
            # the JSON report carries the same finding
            assert json.dumps(text, ensure_ascii=False)

            # 4. the page's own result map draws the land layers around the plot, with legends
            drawn = _result_map_layers(page)
            assert drawn["industrial"], drawn  # 工业用地 #bb9674
            assert drawn["farmland"], drawn  # 永久基本农田: yellow fill, dark-yellow outline
            plot = drawn["plot"]
            assert plot, drawn
            # the farmland overlaps the plot (x + 150 … 220): its drawn box meets the plot's
            far = drawn["farmland"][0]
            assert far["left"] < plot[0]["right"] and far["right"] > plot[0]["left"], drawn
            assert far["top"] < plot[0]["bottom"] and far["bottom"] > plot[0]["top"], drawn
            assert "100101 一类工业用地" in drawn["legend"], drawn["legend"]
            assert "永久基本农田" in drawn["legend"], drawn["legend"]
            _result_map_frame(page).scroll_into_view_if_needed()
            save_screenshot(page, "landuse_plot_check_map_zh")

            # 5. the same in English: legends in English, no traceback
            page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
            page.get_by_role("heading", name="Plot check").wait_for(timeout=TIMEOUT_MS)
            page.locator("strong", has_text="Permanent basic farmland").first.wait_for(
                timeout=TIMEOUT_MS
            )
            drawn = _result_map_layers(page, legend="Permanent basic farmland")
            assert drawn["industrial"] and drawn["farmland"], drawn
            assert "100101 Industrial land, class 1" in drawn["legend"], drawn["legend"]
            assert not page.get_by_text("Traceback").count()
            # the HTML report in English: the land tables in words, no Chinese but the plot's
            # own name (试验地块, from the file)
            with page.expect_download() as download:
                page.get_by_role("button", name="Download report (HTML)").click()
            report = Path(download.value.path()).read_text(encoding="utf-8")
            text = re.sub(r"<[^>]+>", " ", html.unescape(report)).replace("试验地块", "")
            assert not re.findall(r"[\u3400-\u9fff]+", text), re.findall(r"[\u3400-\u9fff]+", text)
            for words in ("Red lines", "Permanent basic farmland", "Fail", "Land-use composition"):
                assert words in text, words
            assert "basic_farmland" not in text and "non_industrial" not in text
            page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo(0, 0)")
            save_screenshot(page, "landuse_plot_check_en")
            _result_map_frame(page).scroll_into_view_if_needed()
            save_screenshot(page, "landuse_plot_check_map_en")
        except Exception:
            save_screenshot(page, "landuse_failure")
            raise
        finally:
            ctx.close()

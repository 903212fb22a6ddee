"""Tests for wzgeo.maps.printmap: render each format and look inside the files.

The PDF's text is extracted with pypdf (Chinese text is only extractable when the font is
embedded with its character map); the scale bar and the north arrow are checked against
pyproj's geodesic and against points taken along a meridian, not against wzgeo's own numbers.
"""

from __future__ import annotations

import http.server
import io
import math
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from pyproj import Geod, Transformer

from wzgeo.errors import WzgeoError
from wzgeo.maps import _fonts
from wzgeo.maps._scalebar import nice_scale, scale_bar, true_north_deg
from wzgeo.maps.printmap import page_frame, render_print_map

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid (same a, f to 0.1 mm)
TO_LL = Transformer.from_crs(4545, 4326, always_xy=True)


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    """The shipped data, as the map page and ``export-map`` draw it."""
    from wzgeo.geo import basedata, zonegeom
    from wzgeo.plan import data

    return {
        "district": basedata.load_district(),
        "river": basedata.load_river(),
        "zones_geo": zonegeom.load_zone_geometry(),
        "zones": data.load_zones(),
        "projects": data.load_projects(),
        "sectors": data.load_sectors(),
    }


@pytest.fixture(scope="module")
def pdf(inputs: dict[str, Any]) -> Any:
    return render_print_map(format="pdf", title="测试图名 Test title", **inputs)


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_every_cartographic_element_as_searchable_text(pdf: Any) -> None:
    text = _pdf_text(pdf.data)
    assert "测试图名 Test title" in text  # 图名
    assert "图例" in text
    assert pdf.scale_label in text and pdf.scale_label.endswith(" km")  # scale bar label
    assert f"1:{pdf.scale:,}".replace(",", " ") in text  # numeric scale
    assert "\nN\n" in f"\n{text}\n"  # north arrow letter
    assert "示意" in text  # the shipped zones are schematic
    assert "高峰园" in text and "五桥园" in text  # zone names
    assert "数据来源" in text and "制图日期" in text and "制图单位" in text
    assert "EPSG:4545" in text


def test_pdf_embeds_a_truetype_cjk_font(pdf: Any) -> None:
    reader = PdfReader(io.BytesIO(pdf.data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts, "no fonts"
    for ref in fonts.values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object()
        assert desc["/Subtype"] == "/CIDFontType2"
        file2 = desc["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        # TrueType outlines (not CFF 'OTTO' mislabelled as TrueType)
        assert file2[:4] == b"\x00\x01\x00\x00"
        assert "NotoSansCJK" in str(font["/BaseFont"])


def test_png_a4_300_dpi_is_at_least_2400_px(inputs: dict[str, Any]) -> None:
    result = render_print_map(format="png", **inputs)
    img = Image.open(io.BytesIO(result.data))  # in memory: nothing to close
    # A4 landscape at 300 dpi: 297 mm × 210 mm
    assert img.size == (int(297 / 25.4 * 300), int(210 / 25.4 * 300))
    assert max(img.size) >= 2400
    px = np.asarray(img.convert("L"))
    assert (px < 128).mean() > 0.005, "the page looks blank"


def test_svg_is_vector_with_title(inputs: dict[str, Any]) -> None:
    result = render_print_map(format="svg", paper="A3", orientation="portrait", lang="en", **inputs)
    root = ET.fromstring(result.data)
    assert root.tag.endswith("svg")
    assert root.get("width", "").startswith("841")  # A3 portrait: 297 × 420 mm = 841.9 pt wide
    assert b"<dc:title>Wanzhou industrial zones</dc:title>" in result.data
    assert b"<image" not in result.data  # nothing rasterised
    assert "Legend" in result.texts and "Schematic" in " ".join(result.texts)


def test_text_from_files_is_drawn_as_written(inputs: dict[str, Any]) -> None:
    zones = inputs["zones"].copy()
    zones.loc[zones["zone_id"] == "gaofeng", "name_zh"] = "$\\alpha$<b>&园"
    result = render_print_map(format="pdf", **{**inputs, "zones": zones})
    assert "$\\alpha$<b>&园" in _pdf_text(result.data)


@pytest.mark.parametrize(
    ("x", "y"),
    [(536364.0, 3409971.0), (590000.0, 3390000.0), (430000.0, 3440000.0)],
    ids=["near-central-meridian", "east-edge", "west-edge"],
)
def test_scale_bar_length_matches_the_geodesic(x: float, y: float) -> None:
    xlim, ylim = (x, x + 120_000.0), (y, y + 90_000.0)
    bar = scale_bar(xlim, ylim, crs=4545)
    lon0, lat0 = TO_LL.transform(bar.x0, bar.y0)
    lon1, lat1 = TO_LL.transform(bar.x1, bar.y0)
    _az, _baz, dist = GEOD.inv(lon0, lat0, lon1, lat1)
    assert dist == pytest.approx(bar.length_m, rel=2e-4)
    assert bar.length_m in (10_000.0, 20_000.0, 50_000.0, 5_000.0)
    assert bar.label == f"{bar.length_m / 1000:g} km"


@pytest.mark.parametrize("lon", [107.9, 108.0, 108.45, 108.9])
def test_north_arrow_points_to_true_north(lon: float) -> None:
    to_grid = Transformer.from_crs(4326, 4545, always_xy=True)
    x0, y0 = to_grid.transform(lon, 30.8)
    x1, y1 = to_grid.transform(lon, 30.81)  # 1.1 km north along the meridian
    expected = math.degrees(math.atan2(-(x1 - x0), y1 - y0))  # counter-clockwise from grid up
    assert true_north_deg(x0, y0, crs=4545) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(
    ("ratio", "scale"),
    [(1.0, 1), (412_345.0, 500_000), (599_999.0, 600_000), (600_001.0, 800_000), (81.0, 100)],
)
def test_round_scales(ratio: float, scale: int) -> None:
    assert nice_scale(ratio) == scale


def test_page_layout_keeps_inside_the_paper() -> None:
    for paper in ("A4", "A3"):
        for orientation in ("landscape", "portrait"):
            page = page_frame(paper, orientation)
            for x, y, w, h in (page.map_box, page.legend_box):
                assert x > 0 and y > 0 and x + w < 1 and y + h < 1
    with pytest.raises(WzgeoError, match="paper"):
        page_frame("B5")


def test_highlighted_zone_is_drawn_at_a_larger_scale(inputs: dict[str, Any], pdf: Any) -> None:
    zoomed = render_print_map(format="png", dpi=50, highlight="wuqiao", **inputs)
    assert zoomed.scale < pdf.scale / 4
    # the legend lists what the frame shows: 五桥园 (a national ETDZ park) and the river,
    # not the district boundary or the SME clusters, which lie outside this view
    assert "国家级经开区园区" in zoomed.texts and "长江（中心线，示意）" in zoomed.texts
    assert "万州区界" not in zoomed.texts and "中小企业集聚区" not in zoomed.texts
    assert "万州区界" in pdf.texts and "中小企业集聚区" in pdf.texts


def test_unreachable_tiles_give_a_map_without_tiles_and_a_note(inputs: dict[str, Any]) -> None:
    # port 9 (discard) on the loopback interface: refused at once, as an offline machine would
    result = render_print_map(
        format="pdf", basemap="osm", tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png", **inputs
    )
    assert result.tiles_note
    text = _pdf_text(result.data)
    assert "底图瓦片无法获取" in text and "高峰园" in text


class _TileHandler(http.server.BaseHTTPRequestHandler):
    """Serves the same 256 × 256 green tile for every path."""

    tile = b""
    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.tile)))
        self.end_headers()
        self.wfile.write(self.tile)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (20, 200, 40)).save(buf, format="PNG")
    _TileHandler.tile = buf.getvalue()
    _TileHandler.requests = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        server.server_close()


def test_reachable_tiles_are_drawn_under_the_map(inputs: dict[str, Any], tile_server: str) -> None:
    result = render_print_map(format="png", basemap="osm", tile_url=tile_server, dpi=72, **inputs)
    assert not result.tiles_note
    assert _TileHandler.requests > 0
    px = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB")).reshape(-1, 3)
    green = (np.abs(px.astype(int) - (20, 200, 40)).sum(axis=1) < 10).mean()
    assert green > 0.2, f"tiles not drawn ({green:.1%} green)"


def test_missing_font_is_a_clear_bilingual_error(
    inputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("WZGEO_CJK_FONT", str(tmp_path / "none.ttc"))
    with pytest.raises(_fonts.MissingFontError, match="fonts-noto-cjk") as e:
        render_print_map(format="png", dpi=50, **inputs)
    assert "找不到中文字体" in str(e.value.args[0]) or "找不到中文字体" in str(e.value)


def test_bad_format_and_dpi_are_refused(inputs: dict[str, Any]) -> None:
    with pytest.raises(WzgeoError, match="output format"):
        render_print_map(format="tif", **inputs)
    with pytest.raises(WzgeoError, match="dpi"):
        render_print_map(format="png", dpi=10, **inputs)

"""Tests for wzgeo.reports.plotreport: the plot-check report in PDF, DOCX and HTML.

The plot is built here in EPSG:4545 (a 300 m × 300 m square = 90 000 m² = 135 亩 = 9 公顷, by
hand) inside 高峰园's schematic outline; the report's numbers are compared with those values
and with the JSON report of the same check, in every format.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from docx import Document
from pypdf import PdfReader
from shapely.geometry import box

from wzgeo.analysis.plotcheck import check_plots
from wzgeo.errors import WzgeoError
from wzgeo.plots.io import read_plots
from wzgeo.reports.plotreport import build_plot_report, fmt_number, render_report

HOSTILE = "<script>alert(1)</script>&$x$"


@pytest.fixture(scope="module")
def ws() -> Any:
    from wzgeo.store.workspace import load_workspace

    return load_workspace(use_store=False)


@pytest.fixture(scope="module")
def plot_file(ws: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two plots as GeoJSON (EPSG:4326): a 300 m square inside 高峰园, and one far outside
    every zone with a hostile name."""
    gaofeng = ws.zones_geo.loc[ws.zones_geo["zone_id"] == "gaofeng"].to_crs(4545)
    c = gaofeng.geometry.iloc[0].representative_point()
    inside = box(c.x - 150, c.y - 150, c.x + 150, c.y + 150)
    far = box(c.x + 30_000, c.y - 40_000, c.x + 30_100, c.y - 39_900)  # 100 m × 100 m
    gdf = gpd.GeoDataFrame(
        {"plot_id": ["P1", "P2"], "name": ["高峰园内地块", HOSTILE]},
        geometry=[inside, far],
        crs=4545,
    ).to_crs(4326)
    path = tmp_path_factory.mktemp("plots") / "两个地块.geojson"
    path.write_text(gdf.to_json(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def checked(ws: Any, plot_file: Path) -> tuple[Any, Any]:
    imported = read_plots(plot_file)
    check = check_plots(
        imported.plots,
        sector_id="nm_building",
        zones_geo=ws.zones_geo,
        zones=ws.zones,
        projects=ws.projects,
        rules=ws.rules,
        fit=ws.fit,
        sectors=ws.sectors,
    )
    return check, imported


def _report(ws: Any, plot_file: Path, checked: tuple[Any, Any], lang: str, **kw: Any) -> Any:
    check, imported = checked
    from wzgeo.geo import basedata

    return build_plot_report(
        check,
        imported,
        data=plot_file.read_bytes(),
        zones=ws.zones,
        zones_geo=ws.zones_geo,
        district=basedata.load_district(),
        lang=lang,
        **kw,
    )


@pytest.fixture(scope="module")
def zh(ws: Any, plot_file: Path, checked: tuple[Any, Any]) -> Any:
    return _report(ws, plot_file, checked, "zh")


@pytest.fixture(scope="module")
def texts(zh: Any) -> dict[str, str]:
    """The report's text in each format."""
    pdf = render_report(zh, "pdf")
    docx = Document(io.BytesIO(render_report(zh, "docx")))
    docx_text = "\n".join(
        [p.text for p in docx.paragraphs]
        + [c.text for t in docx.tables for row in t.rows for c in row.cells]
    )
    return {
        "pdf": "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages),
        "docx": docx_text,
        "html": render_report(zh, "html").decode("utf-8"),
    }


def test_areas_are_the_hand_computed_ones(zh: Any) -> None:
    p1 = zh.json["plots"][0]
    assert p1["area_m2"] == pytest.approx(90_000, abs=0.5)  # 300 m × 300 m
    assert p1["area_mu"] == pytest.approx(135.0, abs=0.001)  # ÷ 666.667
    assert p1["area_ha"] == pytest.approx(9.0, abs=0.0001)
    assert p1["zone_id"] == "gaofeng" and p1["zone_share_pct"] == pytest.approx(100.0)


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_every_format_shows_the_json_reports_numbers(
    zh: Any, texts: dict[str, str], fmt: str, checked: tuple[Any, Any]
) -> None:
    text = texts[fmt]
    # the JSON report of the same check, as `check-plot --json` prints it
    report = json.loads(json.dumps(checked[0].to_dict(), default=str))
    for plot in report["plots"]:
        for key in ("area_m2", "area_mu", "area_ha"):
            assert fmt_number(plot[key], key) in text, (fmt, key)
        for z in plot["zones"]:
            assert fmt_number(z["share_pct"], "share_pct") in text
    assert "90,000.00" in text or "89,999.99" in text or "90,000.01" in text
    assert "135.00" in text and "9.0000" in text
    assert "100.00" in text  # P1's share of 高峰园


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_every_format_has_the_required_parts(
    zh: Any, texts: dict[str, str], plot_file: Path, fmt: str
) -> None:
    text = texts[fmt]
    flat = re.sub(r"\s+", "", text)
    answer = re.sub(r"\s+", "", zh.json["answer_zh"][0])
    assert answer in flat  # the answer sentence …
    assert flat.index(answer) < flat.index("基本信息")  # … comes first
    assert "地块核查报告" in text
    assert hashlib.sha256(plot_file.read_bytes()).hexdigest() in flat
    assert "两个地块.geojson" in text
    assert "EPSG:4326" in text
    assert "高峰园" in text  # the zone by name
    assert "示意" in text  # the zones are schematic
    for label in ("核查人", "审核人", "日期"):
        assert label in text
    assert "未导入红线图层" in text  # the red-line hook says it was not checked


def test_text_from_the_file_is_escaped(texts: dict[str, str]) -> None:
    assert "<script>" not in texts["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;$x$" in texts["html"]
    assert HOSTILE in texts["docx"]
    assert HOSTILE in re.sub(r"\n", "", texts["pdf"])


def test_pdf_embeds_the_cjk_font(zh: Any) -> None:
    reader = PdfReader(io.BytesIO(render_report(zh, "pdf")))
    embedded = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                embedded.append(str(font["/BaseFont"]))
    assert any("NotoSansCJK" in name for name in embedded), embedded


def test_english_template(ws: Any, plot_file: Path, checked: tuple[Any, Any]) -> None:
    en = _report(ws, plot_file, checked, "en", with_map=False)
    html = render_report(en, "html").decode("utf-8")
    assert "Plot check report" in html and "Checked by:" in html
    assert "地块核查报告" not in html
    assert en.json["answer_en"][0] in html


def test_red_lines_when_imported(ws: Any, plot_file: Path, checked: tuple[Any, Any]) -> None:
    """A (fictional) 永久基本农田 layer over half of P1: drawn on the map, its overlap in the
    report — 150 m × 300 m = 45 000 m² = 67.5 亩, by hand."""
    from wzgeo.analysis.landuse import LandLayers, prepare_redline
    from wzgeo.maps.plotmap import render_plot_map

    _check, imported = checked
    p1 = imported.plots.to_crs(4545).geometry.iloc[0]
    x0, y0, x1, y1 = p1.bounds
    farmland = gpd.GeoDataFrame(
        {"name": ["示例（虚构）农田"]},
        geometry=[box(x0 - 500, y0 - 500, (x0 + x1) / 2, y1 + 500)],
        crs=4545,
    )
    land = LandLayers(
        {"basic_farmland": prepare_redline(farmland, "basic_farmland", name="demo", fictional=True)}
    )
    check = check_plots(
        imported.plots,
        sector_id="nm_building",
        zones_geo=ws.zones_geo,
        zones=ws.zones,
        fit=ws.fit,
        sectors=ws.sectors,
        land_layers=land,
    )
    rep = build_plot_report(
        check,
        imported,
        data=plot_file.read_bytes(),
        zones=ws.zones,
        zones_geo=ws.zones_geo,
        land_layers=land,
        lang="zh",
    )
    html = render_report(rep, "html").decode("utf-8")
    assert "未导入红线图层" not in html
    assert "三区三线" in html and "永久基本农田" in html
    assert "45,000.00" in html and "67.50" in html
    assert "永久基本农田" in rep.json["answer_zh"][0]  # the finding leads the answer
    pm = render_plot_map(
        imported.plots,
        zones_geo=ws.zones_geo,
        redlines=gpd.GeoDataFrame(
            {"layer": ["永久基本农田（示例（虚构））"]},
            geometry=[farmland.geometry.iloc[0]],
            crs=4545,
        ),
    )
    assert "永久基本农田（示例（虚构））" in pm.texts


def test_unknown_format_and_language_are_refused(zh: Any, ws: Any, plot_file: Path) -> None:
    with pytest.raises(WzgeoError, match="pdf, docx or html"):
        render_report(zh, "odt")
    with pytest.raises(WzgeoError, match="Unsupported language"):
        build_plot_report(None, None, data=b"", lang="fr")


def test_pdfs_with_different_characters_in_one_process(zh: Any) -> None:
    """Each PDF's font subset has a name of its own (reportlab keeps faces by name: two
    subsets with one name gave the second PDF the first one's glyphs, extracted as NULs)."""
    from dataclasses import replace

    from wzgeo.reports.plotreport import Block

    texts = []
    for words in ("甲乙丙丁戊己庚辛", "子丑寅卯辰巳午未"):
        rep = replace(zh, blocks=(Block("para", words),))
        pdf = render_report(rep, "pdf")
        texts.append("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "甲乙丙丁戊己庚辛" in texts[0] and "子丑寅卯辰巳午未" in texts[1]
    assert "\x00" not in texts[1]

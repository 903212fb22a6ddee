"""The pages' print downloads (headless AppTest): print map on the map page, PDF/DOCX report on
the plot-check page."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))


def _downloads(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def test_map_page_exports_the_print_map() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["basemap"] = "none"
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="print_map_title").set_value("测试打印 <图>")
    at.button(key="print_map_prepare").click().run()
    assert not at.exception, at.exception
    assert "下载打印地图" in _downloads(at)
    _view, data, tiles_note = at.session_state["print_map_file"]
    assert not tiles_note  # no basemap chosen: nothing fetched, nothing to explain
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for part in ("测试打印 <图>", "图例", "示意", "高峰园", "比例尺"):
        assert part in text, part


def test_plot_check_page_prepares_pdf_and_word_reports() -> None:
    ring = [[108.340, 30.711], [108.344, 30.711], [108.344, 30.714], [108.340, 30.714]]
    plot = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "测试地块"},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("wzgeo/app/pages/plot_check.py").run()
    data = json.dumps(plot).encode("utf-8")
    at.file_uploader(key="plot_upload").set_value(
        ("plot.geojson", data, "application/geo+json")
    ).run()
    assert not at.exception, at.exception
    at.button(key="plot_report_prepare").click().run()
    assert not at.exception, at.exception
    labels = _downloads(at)
    assert "下载报告 PDF（存档）" in labels and "下载报告 Word（可编辑）" in labels
    files = at.session_state["plot_report_files"][1]
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "地块核查报告" in pdf_text and "高峰园" in pdf_text and "plot.geojson" in pdf_text
    doc = Document(io.BytesIO(files["docx"]))
    assert any("核查人" in c.text for t in doc.tables for r in t.rows for c in r.cells)

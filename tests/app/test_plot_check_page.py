"""The plot check page, headless (``AppTest``): answer first, state kept across languages,
uploads read and checked once, tables in words. The real browser: test_plot_check_browser.py.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests._plotcheck_helpers import bubiao_txt
from wzgeo.app.pages.plot_check import rule_text

REPO = Path(__file__).resolve().parents[2]
PAGE = "wzgeo/app/pages/plot_check.py"
RAW = (
    "plot_ratio",
    "building_coverage_pct",
    "wan_per_mu",
    "yi_per_km2",
    "plan_2025",
    "plan_2035",
    "*: >=",
    "site_area_mu",
    "indicators_fail",
    "DOMAIN.md",
    "gaofeng",
    "jiulong_a",
)


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))


def _page() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    return at


def _upload(at: AppTest, data: bytes, name: str = "gaofeng.txt") -> None:
    at.file_uploader(key="plot_upload").set_value((name, data, "text/plain")).run()
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _tables(at: AppTest) -> str:
    out = []
    for df in at.dataframe:
        value = df.value
        out.append(" | ".join(map(str, value.columns)))
        out.append(value.astype(str).to_string())
    return "\n".join(out)


def _lang(at: AppTest, lang: str) -> None:
    at.sidebar.radio(key="lang").set_value(lang).run()
    assert not at.exception, at.exception


def _unique_txt(**kw: Any) -> bytes:
    """A TXT no other test uploaded (the page's caches are per file content)."""
    return bubiao_txt(name=f"地块{uuid.uuid4().hex[:6]}", **kw)


def test_answer_first_and_choices_survive_zh_en_zh() -> None:
    at = _page()
    at.selectbox(key="plot_sector_zh").set_value("food").run()
    _upload(at, bubiao_txt())
    answer = "地块 1（高峰试验地块，60.0 亩）位于高峰园内（100 %），产业适配：主导产业。"
    assert answer in _texts(at).replace("\\", "")
    # the answer comes before the tables, as page text
    assert "核查结论" in [h.value for h in at.subheader]
    _lang(at, "en")
    assert at.radio(key="plot_mode_en").value == "sector"
    assert at.selectbox(key="plot_sector_en").value == "food"
    assert at.selectbox(key="plot_crs_en").value == ""
    assert at.radio(key="plot_source_en").value == "upload"
    assert "Plot 1 (高峰试验地块, 60.0 mu) lies in Gaofeng Park (100 %); sector fit: a focus" in (
        _texts(at).replace("\\", "")
    )
    _lang(at, "zh")
    assert at.radio(key="plot_mode_zh").value == "sector"
    assert at.selectbox(key="plot_sector_zh").value == "food"
    assert answer in _texts(at).replace("\\", "")
    assert at.dataframe, "the report table is back"


def test_a_language_switch_neither_rereads_nor_rechecks(monkeypatch: pytest.MonkeyPatch) -> None:
    from wzgeo.analysis import plotcheck
    from wzgeo.plots import io as plotio

    calls = {"read": 0, "check": 0}
    read, check = plotio.read_plots, plotcheck.check_plots

    def counting_read(*a: Any, **k: Any) -> Any:
        calls["read"] += 1
        return read(*a, **k)

    def counting_check(*a: Any, **k: Any) -> Any:
        calls["check"] += 1
        return check(*a, **k)

    monkeypatch.setattr(plotio, "read_plots", counting_read)
    monkeypatch.setattr(plotcheck, "check_plots", counting_check)
    at = _page()
    _upload(at, _unique_txt())
    assert calls == {"read": 1, "check": 1}
    _lang(at, "en")
    _lang(at, "zh")
    assert calls == {"read": 1, "check": 1}
    # another sector: checked again, the file is not read again; back: neither
    at.selectbox(key="plot_sector_zh").set_value("auto").run()
    assert calls == {"read": 1, "check": 2}
    at.selectbox(key="plot_sector_zh").set_value("new_materials").run()
    assert calls == {"read": 1, "check": 2}


def test_project_check_tables_are_in_words_and_notices_once() -> None:
    at = _page()
    at.radio(key="plot_mode_zh").set_value("project").run()
    _upload(at, bubiao_txt(n=2))
    for lang in ("zh", "en"):
        if lang == "en":
            _lang(at, "en")
            assert at.radio(key="plot_mode_en").value == "project"
        infos = [i.value for i in at.info]
        text = _tables(at) + "\n" + _texts(at) + "\n" + "\n".join(infos)
        for raw in RAW:
            assert raw not in text, (lang, raw)
        for missing in ("None", "<NA>", "nan", "NaN"):
            assert not re.search(rf"(?<![A-Za-z]){re.escape(missing)}(?![A-Za-z])", text), (
                lang,
                missing,
            )
        # one notice for the whole check: the schematic and unknown-location notes once
        assert len(infos) == 1, infos
        if lang == "zh":
            assert "容积率" in text and "规划 2025 年目标" in text and "≥ 50" in text
            assert infos[0].count("园区范围为示意") == 1 and infos[0].count("位置未知的园区") == 1
        else:
            assert "Plot ratio" in text and "Plan target for 2025" in text
            assert not re.search(r"[\u4e00-\u9fff]", _tables(at).split("\n")[0])  # headers
            assert infos[0].count("zone boundary is schematic") == 1


def test_upload_is_kept_after_visiting_another_page() -> None:
    at = _page()
    _upload(at, bubiao_txt())
    at.switch_page("wzgeo/app/pages/zones.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "位于高峰园内" in _texts(at)


@pytest.mark.parametrize(
    ("rules", "lang", "expected"),
    [
        ("*: >= 30", "zh", "≥ 30"),
        ("13: >= 1", "zh", "≥ 1（行业代码 13）"),
        ("29: >= 0.8; 29: >= 1", "en", "≥ 0.8 (industry code 29); ≥ 1 (industry code 29)"),
        ("*: >= 0.6; 33: >= 0.7", "zh", "≥ 0.6（所有行业）；≥ 0.7（行业代码 33）"),
        ("*: <= 7", "en", "≤ 7"),
        ("*: >= 333.333", "zh", "≥ 333.33"),
        ("", "zh", ""),
    ],
)
def test_rule_text(rules: str, lang: str, expected: str) -> None:
    assert rule_text(rules, lang) == expected


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _two_plots_geojson() -> bytes:
    """Plot "A" inside 高峰园 and plot "B" 25 km north of it (outside every zone), as
    GeoJSON lon/lat built with pyproj and shapely (not with wzgeo)."""
    import json

    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely.geometry import box, mapping

    from tests._plotcheck_helpers import zone_point

    n, e = zone_point("gaofeng")  # EPSG:4524: northing, zone-prefixed easting
    to_lonlat = Transformer.from_crs(4524, 4326, always_xy=True)

    def project(xy: Any) -> Any:
        return np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1]))

    features = []
    for name, dn in (("A", 0.0), ("B", 25_000.0)):
        square = box(e - 100, n + dn - 100, e + 100, n + dn + 100)
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f"{name}{uuid.uuid4().hex[:4]}"},
                "geometry": mapping(shapely.transform(square, project)),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _report_frame(at: AppTest) -> Any:
    """The plot table (the page's first table; AppTest does not expose the key)."""
    return at.dataframe[0].value


@pytest.mark.parametrize("sector", ["auto", "food", "nm_building"])
def test_fit_reasons_follow_the_page_language(sector: str) -> None:
    at = _page()
    at.selectbox(key="plot_sector_zh").set_value(sector).run()
    at.file_uploader(key="plot_upload").set_value(
        ("two.geojson", _two_plots_geojson(), "application/geo+json")
    ).run()
    assert not at.exception, at.exception
    zh = _report_frame(at)
    reasons_zh = zh["适配说明"].tolist()
    # the Chinese table as before: the reason quotes 专栏12 in Chinese
    assert "专栏12" in reasons_zh[0] and "高峰园" in reasons_zh[0], reasons_zh
    assert "地块不在任何" in reasons_zh[1], reasons_zh
    _lang(at, "en")
    en = _report_frame(at)
    reasons_en = en["Fit reason"].tolist()
    assert all(r and not _CJK.search(r) for r in reasons_en), reasons_en
    assert "Gaofeng Park" in reasons_en[0] and "Plan Box 12" in reasons_en[0], reasons_en
    assert reasons_en[1].startswith("outside every located zone"), reasons_en
    # no Chinese anywhere in the English table (plot names are ASCII here), nor in the
    # answer and the notice
    cells = [str(v) for v in en.to_numpy().ravel()] + [str(c) for c in en.columns]
    assert not [c for c in cells if _CJK.search(c)], [c for c in cells if _CJK.search(c)]
    page_text = _texts(at) + "\n".join(i.value for i in at.info)
    assert not _CJK.search(page_text), _CJK.findall(page_text)

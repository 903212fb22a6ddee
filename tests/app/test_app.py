"""The Streamlit app, headless (``streamlit.testing.v1.AppTest``): every page, language, filters.

Real-browser tests are in ``test_app_browser.py``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from wzgeo.app.pages import _common
from wzgeo.app.state import Filters, apply_filters

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
TIMEOUT_S = 60

#: page file → (Chinese title, English title)
PAGES = {
    "wzgeo/app/pages/map.py": ("地图", "Map"),
    "wzgeo/app/pages/zones.py": ("园区", "Zones"),
    "wzgeo/app/pages/projects.py": ("项目库", "Projects"),
    "wzgeo/app/pages/plot_check.py": ("地块核查", "Plot check"),
    "wzgeo/app/pages/targets.py": ("目标", "Targets"),
    "wzgeo/app/pages/data_quality.py": ("数据说明", "Data & quality"),
    "wzgeo/app/pages/saved_work.py": ("", ""),  # owned by the store page; titles its own way
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own (empty) store instead of the user's."""
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_STORE", str(path))
    return path


def _app(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


# ------------------------------------------------------------------------------- pure parts


def test_filters_round_trip_through_query_params() -> None:
    f = Filters(
        sectors=("auto", "new_materials"),
        subsectors=("nm_copper",),
        stages=("building", "signed"),
        zones=("gaofeng",),
        years=(2022, 2024),
    )
    params = f.to_params()
    assert params == {
        "sector": "auto,new_materials",
        "subsector": "nm_copper",
        "stage": "building,signed",
        "zone": "gaofeng",
        "years": "2022-2024",
    }
    assert Filters.from_params(params) == f
    assert Filters().to_params() == {}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"years": "2025-2021"}, Filters(years=(2021, 2025))),
        ({"years": "abc"}, Filters()),
        ({"stage": "building,flying"}, Filters(stages=("building",))),
        ({"sector": " auto , ,"}, Filters(sectors=("auto",))),
    ],
    ids=["years-reversed", "years-garbage", "unknown-stage", "blanks"],
)
def test_filters_from_malformed_params(params: dict[str, str], expected: Filters) -> None:
    assert Filters.from_params(params) == expected


def _toy_projects() -> tuple[pd.DataFrame, pd.DataFrame]:
    projects = pd.DataFrame(
        {
            "project_id": ["NM-CU-01", "NM-AL-01", "AU-01", "AU-02"],
            "sector_id": ["nm_copper", "nm_aluminium", "auto", "auto"],
            "stage": ["building", "signed", "planning", "building"],
            "start_year": [2021, 2023, 2024, 2022],
            "end_year": [2022, 2025, 2025, pd.NA],
            "zone_id": ["gaofeng", "", "jiulong_a", pd.NA],
        }
    )
    sectors = pd.DataFrame(
        {
            "sector_id": ["new_materials", "nm_copper", "nm_aluminium", "auto"],
            "parent_id": ["", "new_materials", "new_materials", ""],
        }
    )
    return projects, sectors


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (Filters(), ["NM-CU-01", "NM-AL-01", "AU-01", "AU-02"]),
        (Filters(sectors=("new_materials",)), ["NM-CU-01", "NM-AL-01"]),
        (Filters(subsectors=("nm_aluminium",)), ["NM-AL-01"]),
        (Filters(stages=("building",)), ["NM-CU-01", "AU-02"]),
        (Filters(zones=("gaofeng", "jiulong_a")), ["NM-CU-01", "AU-01"]),
        (Filters(years=(2023, 2023)), ["NM-AL-01"]),
        (Filters(years=(2022, 2022)), ["NM-CU-01", "AU-02"]),
        (Filters(sectors=("auto",), stages=("building",)), ["AU-02"]),
    ],
    ids=["none", "top-sector", "subsector", "stage", "zones", "years", "years-open-end", "and"],
)
def test_apply_filters(filters: Filters, ids: list[str]) -> None:
    projects, sectors = _toy_projects()
    before = projects.copy()
    out = apply_filters(projects, filters, sectors=sectors)
    assert out["project_id"].tolist() == ids
    pd.testing.assert_frame_equal(projects, before)  # input untouched


def test_csv_download_opens_in_excel_with_chinese_headers() -> None:
    df = pd.DataFrame({"名称": ["高峰园"], "规划用地（km²）": [11.7]})
    csv = _common.table_bytes(df, fmt="csv")
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM: Excel detects UTF-8
    assert "高峰园" in csv.decode("utf-8-sig")
    wb = openpyxl.load_workbook(io.BytesIO(_common.table_bytes(df, fmt="xlsx")))
    ws = wb.active
    assert ws is not None
    assert [c.value for c in ws[1]] == ["名称", "规划用地（km²）"]
    assert ws["A2"].value == "高峰园"


# ------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: Path(p).stem)
def test_every_page_runs_in_chinese_and_english(page: str) -> None:
    at = _app(page)
    assert not at.exception, at.exception
    zh, en = PAGES[page]
    assert not zh or zh in _titles(at)
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert not en or en in _titles(at)
    assert at.query_params["lang"] == "en"


def test_language_comes_from_url() -> None:
    at = _app("wzgeo/app/pages/zones.py", lang="en")
    assert "Zones" in _titles(at)


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: Path(p).stem)
def test_pages_without_data_show_a_notice(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WZGEO_GEODATA", str(tmp_path))
    at = _app(page)
    assert not at.exception, at.exception
    notices = [e.value for e in [*at.info, *at.warning]]
    assert notices or page.endswith("saved_work.py"), "a page without data must say so"


def test_projects_page_lists_all_projects_then_filters_by_url() -> None:
    at = _app("wzgeo/app/pages/projects.py")
    assert not at.exception, at.exception
    full = at.dataframe[0].value
    assert len(full) == 135
    at = _app("wzgeo/app/pages/projects.py", stage="building")
    assert at.sidebar.multiselect(key="flt_stage").value == ["building"]
    building = at.dataframe[0].value
    assert 0 < len(building) < 135


def test_filter_change_updates_url_and_tables() -> None:
    at = _app("wzgeo/app/pages/projects.py")
    at.sidebar.multiselect(key="flt_sector").set_value(["auto"]).run()
    assert not at.exception, at.exception
    assert at.query_params["sector"] == "auto"
    shown = at.dataframe[0].value
    assert 0 < len(shown) < 135
    at.sidebar.multiselect(key="flt_sector").set_value([]).run()
    assert "sector" not in at.query_params


def test_assigning_a_project_to_a_zone() -> None:
    at = _app("wzgeo/app/pages/projects.py")
    pid = at.selectbox(key="assign_project").value
    at.selectbox(key="assign_zone").set_value("tianzi")
    at.button(key="assign_submit").click().run()
    assert not at.exception, at.exception
    assert at.session_state["assignments"] == {pid: "tianzi"}
    at.sidebar.multiselect(key="flt_zone").set_value(["tianzi"]).run()
    ids = at.dataframe[0].value.iloc[:, 0].tolist()
    assert pid in ids


def test_zones_page_table() -> None:
    at = _app("wzgeo/app/pages/zones.py")
    assert not at.exception, at.exception
    zones = at.dataframe[0].value
    assert len(zones) == 13
    assert any("规划用地" in str(c) for c in zones.columns)


def test_bad_upload_gives_a_bilingual_error() -> None:
    at = _app("wzgeo/app/pages/plot_check.py")
    at.file_uploader(key="plot_upload").set_value(
        ("broken.geojson", b"{ this is not json", "application/geo+json")
    ).run()
    assert not at.exception, at.exception
    assert at.error, "a broken upload must give an error message"
    text = at.error[0].value
    assert CJK.search(text), text
    assert re.search(r"[A-Za-z]{4,} [A-Za-z]{2,}", text), text


def test_uploaded_plot_yields_a_report() -> None:
    plot = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "test plot"},
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
    at = _app("wzgeo/app/pages/plot_check.py")
    at.file_uploader(key="plot_upload").set_value(
        ("plot.geojson", json.dumps(plot).encode("utf-8"), "application/geo+json")
    ).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "核查报告" in [h.value for h in at.subheader]
    report = at.dataframe[0].value
    assert len(report) == 1
    # the plot lies at 高峰园's schematic location: the report names the zone by its name,
    # in Chinese, with labelled headers and coded values as words (no raw ids or codes)
    assert report["园区"].tolist() == ["高峰园"]
    assert report["产业适配"].tolist() == ["未列出"]
    text = report.astype(str).to_string() + " ".join(i.value for i in at.info)
    for raw in ("gaofeng", "jiulong_a", "not_listed", "schematic", "fit_grade", "area_mu"):
        assert raw not in text, raw
    assert "zone boundary is schematic" not in text  # the English half of a library note
    assert "九龙园A区" in " ".join(i.value for i in at.info)


def test_saved_assignment_from_the_store_places_the_project(_own_store: Path) -> None:
    from wzgeo.store.core import open_store

    open_store(_own_store).assign("NM-CU-02", "longsha", by="tester", why="test")
    at = _app("wzgeo/app/pages/projects.py", zone="longsha")
    assert not at.exception, at.exception
    ids = at.dataframe[0].value.iloc[:, 0].tolist()
    assert "NM-CU-02" in ids


def test_map_page_elements() -> None:
    at = _app(basemap="none", style="sector", target="70")
    assert not at.exception, at.exception
    assert at.radio(key="map_style").value == "sector"
    assert at.radio(key="map_target").value == 70
    assert at.radio(key="map_basemap").value == "none"
    # schematic banner above the map; zones not located listed beside it
    assert any("示意" in w.value for w in at.warning)
    assert any("九龙园A区" in w.value for w in at.warning)
    assert at.button(key="map_export_prepare")
    at.button(key="map_export_prepare").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button"), "the prepared export can be downloaded"


def test_tianditu_without_a_key_is_explained() -> None:
    at = _app(basemap="tianditu")
    assert not at.exception, at.exception
    assert any("密钥" in w.value for w in at.warning)


def test_highlight_from_url_reaches_the_map_state() -> None:
    at = _app(basemap="none", sel="AU-01")
    assert not at.exception, at.exception
    assert at.session_state["highlight"] == "AU-01"
    assert at.query_params["sel"] == "AU-01"
    at.button(key="map_clear_highlight").click().run()
    assert not at.exception, at.exception
    assert "highlight" not in at.session_state
    assert "sel" not in at.query_params


def test_targets_page_sections() -> None:
    at = _app("wzgeo/app/pages/targets.py")
    assert not at.exception, at.exception
    headers = " ".join(h.value for h in at.header)
    for part in ("专栏1", "产业规模目标", "用地目标", "地均产出"):
        assert part in headers
    indicators = at.dataframe[0].value
    assert len(indicators) == 13


def _tooltips(spec: object) -> list[dict[str, object]]:
    """Every tooltip entry of a Vega-Lite spec (any layer)."""
    found: list[dict[str, object]] = []
    if isinstance(spec, dict):
        tips = spec.get("tooltip")
        if isinstance(tips, list):
            found += [t for t in tips if isinstance(t, dict)]
        for value in spec.values():
            found += _tooltips(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _tooltips(value)
    return found


def test_targets_charts_speak_chinese_and_label_the_target_lines() -> None:
    at = _app("wzgeo/app/pages/targets.py")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 4
    tips = [t for spec in specs for t in _tooltips(spec)]
    assert tips and all(CJK.search(str(t.get("title", ""))) for t in tips), tips
    text = json.dumps(specs, ensure_ascii=False)
    assert '"type": "text"' in text  # the 50 / 70 lines carry their label on the chart


def test_data_page_shows_quality_report_and_caveat() -> None:
    at = _app("wzgeo/app/pages/data_quality.py")
    assert not at.exception, at.exception
    assert any("示意" in w.value for w in at.warning)
    text = " ".join(m.value for m in at.markdown)
    assert "C01" in text or "质量" in text
    # the documents shown are mostly English: the Chinese page says so
    assert any("英文" in c.value for c in at.caption)
    assert any("英文" in e.label for e in at.expander)


def test_report_html_escapes_plot_names_and_file_name() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from wzgeo.analysis.plotcheck import check_plots
    from wzgeo.app.pages.plot_check import report_html

    hostile = "<img src=x onerror=alert(1)>`${alert(2)}`"
    plots = gpd.GeoDataFrame(
        {"plot_id": [hostile], "name": [hostile]},
        geometry=[box(108.340, 30.711, 108.344, 30.714)],
        crs="EPSG:4326",
    )
    page = report_html(check_plots(plots, sector_id="food"), title="t", filename=hostile)
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page


def test_report_html_reads_as_a_report_not_as_data() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from wzgeo.analysis.plotcheck import check_plots
    from wzgeo.app.pages.plot_check import report_html
    from wzgeo.geo.zonegeom import load_zone_geometry
    from wzgeo.plan.data import load_zones

    plots = gpd.GeoDataFrame(
        {"plot_id": ["p1"]}, geometry=[box(108.340, 30.711, 108.344, 30.714)], crs="EPSG:4326"
    )
    check = check_plots(
        plots, zones_geo=load_zone_geometry(), zones=load_zones(), sector_id="new_materials"
    )
    page = report_html(check, title="t", filename="p.geojson")
    text = re.sub(r"<[^>]+>", " ", page)
    assert "产业: 新材料" in text and "new_materials" not in text
    assert "高峰园" in text and "gaofeng" not in text and "jiulong_a" not in text
    for raw in ("None", "nan", "False", "True", "191.159"):
        assert f" {raw} " not in text, raw
    assert "191.16" in text  # area in 亩, two decimals
    # the answer leads the report, right after the title
    first = re.search(r"</h1>\s*<p[^>]*>(.*?)</p>", page)
    assert first is not None
    assert re.sub(r"<[^>]+>", "", first.group(1)).startswith("地块 p1（191.2 亩）位于高峰园内")


def test_map_settings_survive_a_visit_to_another_page() -> None:
    at = _app(basemap="none")
    at.radio(key="map_style").set_value("sector").run()
    at.switch_page("wzgeo/app/pages/zones.py").run()
    at.switch_page("wzgeo/app/pages/map.py").run()
    assert not at.exception, at.exception
    assert at.radio(key="map_style").value == "sector"
    assert at.radio(key="map_basemap").value == "none"


def test_tianditu_with_a_key_is_used() -> None:
    at = _app(basemap="tianditu")
    at.text_input(key="tianditu_key").set_value("0123456789abcdef").run()
    assert not at.exception, at.exception
    assert not any("密钥" in w.value for w in at.warning)
    assert "tianditu_key" not in at.query_params


def test_malformed_tianditu_key_gives_a_bilingual_error() -> None:
    at = _app(basemap="tianditu")
    at.text_input(key="tianditu_key").set_value("<script>").run()
    assert not at.exception, at.exception
    text = at.error[0].value
    assert CJK.search(text) and "Tianditu key" in text
    # the map is still drawn (without a basemap): a typo in the key must not hide it
    assert at.button(key="map_export_prepare")


def test_assignment_to_an_unknown_zone_is_reported_not_a_crash() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["assignments"] = {"AU-01": "atlantis"}
    at.run()
    at.switch_page("wzgeo/app/pages/zones.py").run()
    assert not at.exception, at.exception
    assert at.error and "atlantis" in at.error[0].value


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: Path(p).stem)
def test_pages_with_filters_matching_nothing(page: str) -> None:
    # no project of the plan is in 化工 (chemicals): every table and the map come out empty
    at = _app(page, sector="chemicals", basemap="none")
    assert not at.exception, at.exception
    assert at.sidebar.multiselect(key="flt_sector").value == ["chemicals"]


@pytest.mark.parametrize("page", ["wzgeo/app/pages/zones.py", "wzgeo/app/pages/projects.py"])
def test_every_table_column_has_a_chinese_header(page: str) -> None:
    at = _app(page)
    headers = [str(c) for c in at.dataframe[0].value.columns]
    ascii_only = [h for h in headers if not CJK.search(h)]
    assert ascii_only == [], ascii_only


# ------------------------------------------------------------------------ saved work overlay


def test_saved_work_reaches_the_pages(_own_store: Path) -> None:
    """An official boundary and a fit edit saved in the store change what the pages show."""
    import geopandas as gpd
    from shapely.geometry import box

    from wzgeo.geo import crs
    from wzgeo.store.core import open_store

    store = open_store(_own_store)
    square = gpd.GeoSeries([box(520_000, 3_405_000, 521_000, 3_407_000)], crs=crs.GK36)
    store.set_zone_boundary(
        "wuqiao", square.to_crs(crs.WGS84).iloc[0], source="t.geojson", by="t", why="t"
    )
    at = _app("wzgeo/app/pages/data_quality.py")
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe if "边界精度" in d.value.columns]
    assert tables, [list(d.value.columns) for d in at.dataframe]
    table = tables[0].set_index("园区编号")
    assert table.loc["wuqiao", "边界精度"] == "官方边界"
    # shown as text (a zone not drawn reads "—（未绘制）", not None)
    assert float(table.loc["wuqiao", "图上量算面积（km²）"]) == pytest.approx(2.0, rel=1e-3)
    assert table.loc["gaofeng", "边界精度"] != "官方边界"

    from wzgeo.app.state import fit_table

    store.set_sector_fit("apparel", "wuqiao", "primary", by="t", why="t")
    at = _app("wzgeo/app/pages/zones.py")
    assert not at.exception, at.exception
    fit = fit_table().set_index(["sector_id", "zone_id"])
    assert fit.loc[("apparel", "wuqiao"), "grade"] == "primary"


# --------------------------------------------------------------- what users read in tables

RAW_CODES = re.compile(
    r"\b(placed|no_fitting_zone|no_capacity|need_unknown|uses_existing_land|place_not_zone|"
    r"zone_ambiguous|zone_not_located|no_zone|gaofeng|jiulong_[ab]|yudong)\b"
)


def test_projects_table_shows_names_and_words_not_ids_or_codes() -> None:
    at = _app("wzgeo/app/pages/projects.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    # sector and zone columns hold names: their headers do not say "编号" (id)
    assert "产业" in table.columns and "产业编号" not in table.columns
    assert "园区" in table.columns and "园区编号" not in table.columns
    cells = table.drop(columns=["项目编号"]).astype("string").fillna("")
    hits = sorted({m for col in cells for v in cells[col] for m in RAW_CODES.findall(v)})
    assert not hits, hits
    assert "使用已有土地或厂房" in " ".join(cells["数据质量标记"])


def test_projects_table_in_english_has_no_chinese_codes_labels() -> None:
    at = _app("wzgeo/app/pages/projects.py", lang="en")
    table = at.dataframe[0].value
    assert "Sector" in table.columns and "Zone" in table.columns
    status = table["Siting suggestion status"].dropna().unique().tolist()
    assert status and not any(CJK.search(s) for s in status), status


def test_map_unplaced_list_names_zones_and_reasons_in_words() -> None:
    at = _app()
    tables = [df.value for df in at.dataframe if "理由说明" in df.value.columns]
    assert tables, "the projects not drawn are listed beside the map"
    unplaced = tables[0]
    assert "理由" not in unplaced.columns  # the code column is not shown, its text is
    assert not RAW_CODES.search(unplaced.astype(str).to_string())
    assert "九龙园B区" in unplaced["园区"].tolist()


def test_assignment_message_names_the_zone_in_english() -> None:
    at = _app("wzgeo/app/pages/projects.py", lang="en")
    at.selectbox(key="assign_zone").set_value("tianzi")
    at.button(key="assign_submit").click().run()
    assert not at.exception, at.exception
    assert "Tianzi Park" in at.success[0].value
    listing = [df.value for df in at.dataframe if "Name (Chinese)" in df.value.columns][-1]
    assert listing["Zone"].tolist() == ["Tianzi Park"]


def test_missing_values_show_as_a_dash_not_none() -> None:
    df = pd.DataFrame({"land_mu": [150.0, None], "flag": ["a", pd.NA], "year": [2022, 2023]})
    html = _common.styled(df).to_html()
    assert html.count(_common.MISSING) == 2
    assert "None" not in html and "nan" not in html and "&lt;NA&gt;" not in html
    assert ">150<" in html and ">2022<" in html  # no trailing zeros, years as written


def test_bilingual_library_text_is_shown_in_the_current_language() -> None:
    assert _common.in_lang("gaofeng / x") == "gaofeng / x"  # not a bilingual text
    at = _app("wzgeo/app/pages/zones.py")
    zh = at.dataframe[0].value["面积量算说明"].dropna().tolist()
    assert zh and all(" / " not in v and CJK.search(v) for v in zh), zh
    at = _app("wzgeo/app/pages/zones.py", lang="en")
    en = at.dataframe[0].value["Area measurement note"].dropna().tolist()
    assert en and all(" / " not in v and not CJK.search(v) for v in en), en


def test_downloads_say_yes_or_no_in_the_current_language() -> None:
    df = pd.DataFrame({"zone_id": ["gaofeng", "tianzi"], "overflow": [False, True]})
    at = _app("wzgeo/app/pages/zones.py")  # a script run, so that the language is known
    assert not at.exception, at.exception
    shown = _common.download_frame(df)
    assert shown["超出供地"].tolist() == ["否", "是"]
    assert df["overflow"].tolist() == [False, True]  # the input is not changed


@pytest.mark.parametrize(
    ("sel", "shown"),
    [("gaofeng", "取消高亮：高峰园"), ("NM-CU-02", "取消高亮：NM-CU-02 年产2万吨")],
)
def test_clear_highlight_button_names_what_is_highlighted(sel: str, shown: str) -> None:
    at = _app(basemap="none", sel=sel)
    assert not at.exception, at.exception
    assert at.button(key="map_clear_highlight").label.startswith(shown)


def test_export_with_tianditu_warns_that_the_file_carries_the_key() -> None:
    at = _app(basemap="tianditu")
    assert not any("导出的文件中包含" in c.value for c in at.caption)
    at.text_input(key="tianditu_key").set_value("0123456789abcdef").run()
    assert any("导出的文件中包含你的天地图密钥" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("query", "column", "expected"),
    [
        ("九龙园B区", "园区", "九龙园B区"),
        ("签约", "项目阶段", "签约"),
        ("AU-0", "项目编号", "AU-0"),
    ],
)
def test_project_search_finds_what_the_table_shows(query: str, column: str, expected: str) -> None:
    at = _app("wzgeo/app/pages/projects.py")
    at.text_input(key="projects_search").set_value(query).run()
    shown = at.dataframe[0].value
    assert len(shown) > 0
    assert shown[column].astype(str).str.contains(expected).any()


def test_zone_search_finds_zone_level_as_shown() -> None:
    at = _app("wzgeo/app/pages/zones.py")
    at.text_input(key="zones_search").set_value("市级园区").run()
    assert at.dataframe[0].value["园区编号"].tolist() == ["yudong"]


def test_plot_check_says_xy_swapped_and_takes_a_gcj02_datum() -> None:
    # issue 13: the swap is said on the page; the lon/lat source is one choice (an id)
    # passed to the same import as check-plot --datum
    n, e = 3_409_971, 536_364  # X = northing first (survey order)
    swapped = f"X,Y\n{n},{e}\n{n},{e + 100}\n{n + 100},{e + 100}\n{n + 100},{e}\n".encode()
    at = _app("wzgeo/app/pages/plot_check.py")
    at.file_uploader(key="plot_upload").set_value(("sw.csv", swapped, "text/csv")).run()
    assert not at.exception, at.exception
    assert any("X/Y 已交换" in w.value for w in at.warning), [w.value for w in at.warning]
    lonlat = b"lon,lat\n108.38,30.81\n108.381,30.81\n108.381,30.811\n108.38,30.811\n"
    at.file_uploader(key="plot_upload").set_value(("g.csv", lonlat, "text/csv")).run()
    assert at.selectbox(key="plot_datum").value == "wgs84"
    info = " ".join(i.value for i in at.info)
    assert "GCJ-02" in info  # the caveat of an inferred lon/lat
    at.selectbox(key="plot_datum").set_value("gcj02").run()
    assert not at.exception, at.exception
    info = " ".join(i.value for i in at.info)
    assert "GCJ-02 偏移经纬度，已转回 WGS84" in info


def test_filter_widgets_can_follow() -> None:
    """``render_sidebar(filter_widgets=False)`` (a browser session's first map view): no
    filter boxes, yet the filters from the URL apply; the session's next run draws the boxes
    holding those choices."""

    def sidebar() -> None:
        import streamlit as st

        from wzgeo.app import state as appstate

        tables = appstate.plan_tables()
        appstate.load_query(tables)
        runs = st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        filters = appstate.render_sidebar(tables, filter_widgets=runs > 1)
        st.write(repr(filters))

    at = AppTest.from_function(sidebar, default_timeout=60)
    at.query_params["sector"] = "auto"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert len(at.sidebar.multiselect) == 0 and len(at.sidebar.slider) == 0
    assert "The filters follow" in " ".join(c.value for c in at.sidebar.caption)
    assert "sectors=('auto',)" in at.markdown[-1].value
    assert at.sidebar.radio[0].value == "en"

    at.run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["auto"]
    assert len(at.sidebar.slider) == 1
    assert "sectors=('auto',)" in at.markdown[-1].value
    assert "The filters follow" not in " ".join(c.value for c in at.sidebar.caption)


def test_a_drawn_filter_box_stays_when_a_later_run_asks_to_wait() -> None:
    def sidebar() -> None:
        import streamlit as st

        from wzgeo.app import state as appstate

        tables = appstate.plan_tables()
        appstate.load_query(tables)
        runs = st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        appstate.render_sidebar(tables, filter_widgets=runs == 1)

    at = AppTest.from_function(sidebar, default_timeout=60)
    at.run()
    assert len(at.sidebar.multiselect) == 4
    at.sidebar.multiselect[0].select("auto").run()  # the second run asks to wait
    assert not at.exception
    assert len(at.sidebar.multiselect) == 4
    assert at.sidebar.multiselect[0].value == ["auto"]

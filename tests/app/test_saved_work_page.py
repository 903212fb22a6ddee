"""The saved-work page: permissions, assign, boundaries, plots, conflicts, history, revert."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping
from streamlit.testing.v1 import AppTest

from tests._browser import browser, save_screenshot, streamlit_server
from wzgeo.geo.zonegeom import load_zone_geometry
from wzgeo.store import auth
from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    IdCatalog,
    apply_zone_boundaries,
    open_store,
)
from wzgeo.store.savededits import GRADE_LABELS
from wzgeo.store.transfer import import_store

APP = Path(__file__).resolve().parents[1] / "data" / "store" / "saved_work_app.py"
IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS, frozenset({"AU-12", "EI-10", "NM-CU-01"}), DOCUMENTED_SECTOR_IDS
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "users.toml"))
    # the page shows one language at a time; these tests read its English texts (the
    # Chinese page is checked by test_chinese_page_has_no_english_labels)
    monkeypatch.setenv("WZGEO_TEST_LANG", "en")
    return tmp_path


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, text: str):  # type: ignore[no-untyped-def]
    matches = [b for b in at.button if text in b.label]
    assert matches, [b.label for b in at.button]
    return matches[0]


def _assign(at: AppTest, zone: str, why: str) -> None:
    at.selectbox(key="sw_zone").select(zone)
    at.text_input(key="sw_why").input(why)
    _button(at, "Save assignment").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _history(at: AppTest):  # type: ignore[no-untyped-def]
    """The history table (the page's last dataframe), as displayed (newest first)."""
    return at.dataframe[-1].value


def _text(at: AppTest) -> str:
    parts = [e.value for kind in ("success", "error", "warning", "info", "caption")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def test_without_users_single_local_user_edits_and_sees_history(env: Path) -> None:
    at = _app()
    assert "single local user, read-write" in _text(at)
    at.text_input(key="sw_local_name").input("planner1")
    _assign(at, "tianzi", "靠近港口")
    assert "Saved: change 1" in _text(at)
    store = open_store(env / "store.sqlite", ids=IDS)
    assert store.assignments()[["project_id", "zone_id", "by_user", "why"]].values.tolist() == [
        ["AU-12", "tianzi", "planner1", "靠近港口"]
    ]
    history = _history(at)
    assert history.iloc[0, 2:8].tolist() == [
        "planner1", "靠近港口", "Assignment", "AU-12", "Set", "tianzi"
    ]  # fmt: skip
    assert "靠近港口" in history.to_string()


@pytest.mark.parametrize("configured", [False, True], ids=["no-users", "users"])
def test_sidebar_status_next_to_the_page(env: Path, configured: bool) -> None:
    if configured:
        auth.add_user("alice", "alice-pass")
    at = AppTest.from_file(str(APP.with_name("status_and_page_app.py")), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    sidebar = "\n".join(str(e.value) for e in [*at.sidebar.info, *at.sidebar.warning])
    assert ("本机单用户模式" in sidebar) != configured  # the status app is in Chinese
    assert ("只读浏览" in sidebar) == configured
    assert not at.sidebar.text_input and not at.sidebar.button  # no widgets in the badge


def test_page_runs_inside_the_app_navigation(env: Path, repo_root: Path) -> None:
    app = repo_root / "app.py"
    if not app.exists():  # pragma: no cover - the app is built by a colleague
        pytest.skip("app.py not present")
    open_store(env / "store.sqlite").assign("AU-01", "gaofeng", by="amy", why="in the app")
    at = AppTest.from_file(str(app), default_timeout=120)
    at.run()
    at.switch_page("wzgeo/app/pages/saved_work.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "保存的工作" for h in at.header)  # the app's language: Chinese
    assert "in the app" in at.dataframe[0].value.to_string()


def test_chinese_page_has_no_english_labels(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinese UI: one language (no "中文 / English" labels), codes shown as words."""
    store = open_store(env / "store.sqlite", ids=IDS)
    store.assign("AU-12", "tianzi", by="amy", why="靠近港口")
    monkeypatch.setenv("WZGEO_TEST_LANG", "zh")
    at = _app()
    assert [h.value for h in at.header] == ["保存的工作"]
    labels = [w.label for w in [*at.button, *at.selectbox, *at.text_input, *at.checkbox]]
    texts = [e.value for e in [*at.subheader, *at.caption, *at.info, *at.markdown]]
    english = re.compile(r"\b(Save|Saved|Remove|Zone|Project|Now|None yet|Shipped|History|"
                         r"Reason|Export|Import|Current|Revert|Record)\b")  # fmt: skip
    leaks = [x for x in labels + texts if english.search(str(x))]
    assert not leaks, leaks
    assignments = at.dataframe[0].value
    assert list(assignments.columns[:2]) == ["项目", "园区"]
    assert assignments.iloc[0, :2].tolist() == ["AU-12", "天子园"]  # the zone by its name
    history = at.dataframe[-1].value
    assert history["类型"].tolist() == ["项目安排"] and history["操作"].tolist() == ["设置"]


def test_restart_keeps_changes(env: Path) -> None:
    at = _app()
    _assign(at, "wuqiao", "保存后重启")
    restarted = _app()  # a new session on a fresh script run: nothing kept in memory
    shown = restarted.dataframe[0].value.to_string()
    assert "wuqiao" in shown and "保存后重启" in shown
    assert "1 changes in total" in _text(restarted)


def test_with_users_viewing_open_editing_needs_login(env: Path) -> None:
    auth.add_user("alice", "alice-pass")
    store = open_store(env / "store.sqlite", ids=IDS)
    store.assign("AU-12", "gaofeng", by="bob", why="earlier work")
    at = _app()
    assert "Read-only" in _text(at)
    assert _button(at, "Save assignment").disabled
    assert _button(at, "Import").disabled
    assert "earlier work" in _history(at).to_string()  # can view
    at.text_input(key="sw_login_name").input("alice")
    at.text_input(key="sw_login_password").input("wrong")
    _button(at, "Log in").click()
    at.run()
    assert "Wrong user name or password" in _text(at)
    assert _button(at, "Save assignment").disabled
    at.text_input(key="sw_login_password").input("alice-pass")
    _button(at, "Log in").click()
    at.run()
    assert "Logged in as alice" in _text(at)
    assert not _button(at, "Save assignment").disabled
    _assign(at, "lihe", "official decision")
    assert store.assignments()["by_user"].tolist() == ["alice"]
    assert store.history("AU-12")["by_user"].tolist() == ["bob", "alice"]
    _button(at, "Log out").click()
    at.run()
    assert _button(at, "Save assignment").disabled


def test_two_sessions_second_gets_conflict_with_current_value(env: Path) -> None:
    first, second = _app(), _app()  # both display AU-12 at version 0
    second.text_input(key="sw_local_name").input("bob")
    _assign(second, "tianzi", "B was first")
    first.text_input(key="sw_local_name").input("amy")
    _assign(first, "lihe", "A too late")
    text = _text(first)
    assert "Conflict" in text and "tianzi" in text and "bob" in text
    assert "not saved" in text
    store = open_store(env / "store.sqlite", ids=IDS)
    assert store.assignments()["zone_id"].tolist() == ["tianzi"]  # nothing overwritten
    # after loading the latest version the first session may save deliberately
    _button(first, "Load latest").click()
    first.run()
    _assign(first, "lihe", "A after review")
    assert store.assignments()["zone_id"].tolist() == ["lihe"]
    assert store.history("AU-12")["by_user"].tolist() == ["bob", "amy"]


def test_revert_from_the_page(env: Path) -> None:
    store = open_store(env / "store.sqlite", ids=IDS)
    store.assign("AU-12", "gaofeng", by="x", why="first")
    second = store.assign("AU-12", "tianzi", by="y", why="second")
    at = _app()
    at.selectbox(key="sw_revert_id").select(second.change_id)
    at.text_input(key="sw_revert_why").input("wrong zone")
    _button(at, "Revert").click()
    at.run()
    assert not at.exception
    assert f"Reverted change {second.change_id}" in _text(at)
    assert store.assignments()["zone_id"].tolist() == ["gaofeng"]
    history = _history(at)
    assert len(history) == 3 and "wrong zone" in history.to_string()


def test_export_button_offers_geopackage(env: Path) -> None:
    open_store(env / "store.sqlite", ids=IDS).assign("EI-10", "lihe", by="x", why="w")
    at = _app()
    _button(at, "Prepare export").click()
    at.run()
    assert not at.exception
    data = at.session_state["sw_export_bytes"]
    assert data[:16] == b"SQLite format 3\x00"  # a GeoPackage is an SQLite file
    out = env / "exported.gpkg"
    out.write_bytes(data)
    other = open_store(env / "other.sqlite", ids=IDS)
    import_store(other, out)
    assert other.assignments()["zone_id"].tolist() == ["lihe"]


@pytest.mark.browser
# tests/_browser.streamlit_server leaves the server's stdout pipe open (reported to its owner);
# only that ResourceWarning is ignored here.
@pytest.mark.filterwarnings("ignore:unclosed file <_io.TextIOWrapper:ResourceWarning")
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
)
def test_browser_login_assign_and_see_history(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    auth.add_user("alice", "alice-pass", path=users)
    env = {"WZGEO_STORE": str(tmp_path / "store.sqlite"), "WZGEO_USERS": str(users)}
    with streamlit_server(APP, env=env) as url, browser() as b:
        page = b.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("只读浏览").wait_for(timeout=30000)
            save = page.get_by_role("button", name=re.compile("保存安排"))
            assert save.is_disabled()
            page.get_by_label("用户名").fill("alice")
            page.get_by_label("密码").fill("alice-pass")
            page.get_by_role("button", name="登录").click()
            page.get_by_text("已登录：alice").wait_for(timeout=30000)
            page.get_by_label(re.compile("原因")).first.fill("浏览器测试 browser test")
            page.get_by_role("button", name=re.compile("保存安排")).click()
            page.get_by_text(re.compile("已保存：修改 1")).wait_for(timeout=30000)
            store = open_store(tmp_path / "store.sqlite", ids=IDS)
            assert store.history("AU-12")["by_user"].tolist() == ["alice"]
            # the history grid (the last table) lists who and why
            page.wait_for_function(
                """() => {
                    const grids = document.querySelectorAll('[data-testid=stDataFrame]');
                    if (grids.length === 0) return false;
                    const cells = [...grids[grids.length - 1].querySelectorAll('[role=gridcell]')]
                        .map(c => c.textContent);
                    return cells.includes('alice') && cells.includes('浏览器测试 browser test');
                }""",
                timeout=30000,
            )
        except Exception:
            save_screenshot(page, "saved_work_browser")
            raise


# ----------------------------------------------------------------- official boundaries, plots

GAOFENG_BOX = box(108.40, 30.80, 108.41, 30.81)


def _geojson(path: Path, geom: object, **props: object) -> Path:
    feature = {"type": "Feature", "properties": props, "geometry": mapping(geom)}
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    return path


def _upload_boundary(at: AppTest, zone: str, file: Path) -> None:
    at.selectbox(key="sw_boundary_zone").select(zone)
    at.file_uploader(key="sw_boundary_file").set_value(
        (file.name, file.read_bytes(), "application/geo+json")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _table_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    tables = [d.value for d in at.dataframe if column in d.value.columns]
    assert tables, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def test_upload_official_boundary_measures_saves_and_overlays(env: Path) -> None:
    file = _geojson(env / "高峰园红线.geojson", GAOFENG_BOX, name="高峰园")
    expected_km2 = float(gpd.GeoSeries([GAOFENG_BOX], crs=4326).to_crs(4545).area.iloc[0]) / 1e6
    at = _app()
    at.text_input(key="sw_local_name").input("planner1")
    assert _button(at, "Save official boundary").disabled  # nothing uploaded yet
    _upload_boundary(at, "gaofeng", file)
    text = _text(at)
    assert f"measured {expected_km2:.3f} km²" in text
    assert "planned 11.70 km²" in text  # the plan's area for 高峰园 (docs/ARCHITECTURE.md)
    assert "differs from the planned 11.70 km²" in text  # ~1 km² of 11.7: flagged
    at.text_input(key="sw_boundary_why").input("红线批复")
    _button(at, "Save official boundary").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "gaofeng official boundary, version 1" in _text(at)
    store = open_store(env / "store.sqlite", ids=IDS)
    saved = store.zone_boundaries()
    assert saved[["zone_id", "source", "by_user", "why"]].values.tolist() == [
        ["gaofeng", file.name, "planner1", "红线批复"]
    ]
    assert saved.geometry.iloc[0].symmetric_difference(GAOFENG_BOX).area < 1e-12
    assert file.name in _table_with(at, "Source").to_string()
    zones = apply_zone_boundaries(load_zone_geometry(), saved).set_index("zone_id")
    assert zones.loc["gaofeng", "geometry_quality"] == "official"
    assert zones.loc["gaofeng", "area_km2_measured"] == pytest.approx(expected_km2, rel=1e-4)
    assert "official" not in set(zones.drop(index="gaofeng")["geometry_quality"])


def test_boundary_history_and_revert_from_the_page(env: Path) -> None:
    store = open_store(env / "store.sqlite", ids=IDS)
    store.set_zone_boundary("lihe", GAOFENG_BOX, source="v1.geojson", by="x", why="first")
    second = store.set_zone_boundary(
        "lihe", box(108.40, 30.80, 108.42, 30.82), source="v2.geojson", by="y", why="redrawn"
    )
    at = _app()
    at.text_input(key="sw_history_id").input("lihe")
    at.run()
    history = _history(at)
    assert history["Type"].tolist() == ["Zone boundary", "Zone boundary"]
    assert "v2.geojson" in history.iloc[0].to_string()
    at.selectbox(key="sw_revert_id").select(second.change_id)
    at.text_input(key="sw_revert_why").input("wrong file")
    _button(at, "Revert").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"Reverted change {second.change_id}" in _text(at)
    assert store.zone_boundaries()["source"].tolist() == ["v1.geojson"]
    assert len(_history(at)) == 3


@pytest.mark.parametrize(
    ("name", "content", "en", "zh"),
    [
        ("broken.geojson", b"{not json", "broken.geojson", "broken.geojson"),
        ("other_zone.geojson", None, "no feature for 'gaofeng'", "没有 'gaofeng' 的要素"),
        ("line.wkt", b"LINESTRING (108.40 30.80, 108.41 30.81)", "line.wkt", "line.wkt"),
    ],
    ids=["unreadable", "zone-id-column-without-the-zone", "not-a-polygon"],
)
def test_bad_boundary_file_shows_bilingual_error_and_saves_nothing(
    env: Path, name: str, content: bytes | None, en: str, zh: str
) -> None:
    file = env / name
    if content is None:
        _geojson(file, GAOFENG_BOX, zone_id="tianzi")
    else:
        file.write_bytes(content)
    at = _app()
    _upload_boundary(at, "gaofeng", file)
    errors = [str(e.value) for e in at.error]
    assert len(errors) == 1 and en in errors[0] and zh in errors[0]
    assert en in errors[0].split("\n\n")[0]  # the page's language (English) first
    assert _button(at, "Save official boundary").disabled
    assert open_store(env / "store.sqlite", ids=IDS).zone_boundaries().empty


def test_boundary_saved_meanwhile_by_someone_else_is_not_overwritten(env: Path) -> None:
    file = _geojson(env / "mine.geojson", GAOFENG_BOX)
    at = _app()  # displays gaofeng: no boundary (version 0)
    _upload_boundary(at, "gaofeng", file)
    store = open_store(env / "store.sqlite", ids=IDS)
    other = box(108.40, 30.80, 108.42, 30.82)
    store.set_zone_boundary("gaofeng", other, source="bob.shp", by="bob", why="first")
    at.text_input(key="sw_boundary_why").input("mine")
    _button(at, "Save official boundary").click()
    at.run()
    text = _text(at)
    assert "Conflict" in text and "bob" in text and "bob.shp" in text and "not saved" in text
    assert store.zone_boundaries()["source"].tolist() == ["bob.shp"]


def test_saved_plots_table_shows_check_summary(env: Path) -> None:
    store = open_store(env / "store.sqlite", ids=IDS)
    report = {
        "project_id": "AU-12",
        "notes": ["园区范围为示意 / zone boundary is schematic"],
        "plots": [
            {"plot_id": "other", "fit_grade": "not_listed", "indicators_fail": 0},
            {"plot_id": "p1", "zone_id": "gaofeng", "fit_grade": "primary",
             "indicators_pass": 3, "indicators_fail": 1, "indicators_unknown": 2},
        ],
    }  # fmt: skip
    store.save_plot("p1", GAOFENG_BOX, report, by="amy", why="checked")
    store.save_plot("p2", box(108.40, 30.80, 108.401, 30.801), by="amy", why="unchecked")
    at = _app()
    table = _table_with(at, "Plot").set_index("Plot")
    assert table.loc["p1", "Sector fit"] == "primary (named in plan Box 12)"
    assert table.loc["p1", "Indicators failed"] == 1
    assert table.loc["p1", "Check result"] == "Fail"
    assert table.loc["p1", "Project"] == "AU-12"
    assert table.loc["p2", "Check result"] == "not checked"
    mu = float(gpd.GeoSeries([GAOFENG_BOX], crs=4326).to_crs(4545).area.iloc[0]) * 15 / 10_000
    assert table.loc["p1", "Measured area (mu)"] == pytest.approx(mu, abs=0.01)
    assert table.loc["p1", "By"] == "amy"


# ----------------------------------------------------------------- sector-fit and land-rule edits


def _shipped_fit_row(sector: str, zone: str) -> dict[str, str]:
    path = Path(__file__).resolve().parents[2] / "geodata" / "sector_fit.csv"
    with open(path, encoding="utf-8") as f:
        return next(
            r for r in csv.DictReader(f) if (r["sector_id"], r["zone_id"]) == (sector, zone)
        )


def _shipped_rule_rows(indicator: str, code: str, edition: str) -> list[dict[str, str]]:
    path = Path(__file__).resolve().parents[2] / "geodata" / "land_rules.csv"
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = (indicator, code, edition)
    return [r for r in rows if (r["indicator"], r["gbt4754_code"], r["edition"]) == key]


def _run(at: AppTest) -> None:
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _pick_fit(at: AppTest, sector: str, zone: str) -> None:
    at.selectbox(key="sw_fit_sector").select(sector)
    at.selectbox(key="sw_fit_zone").select(zone)
    _run(at)


def _save_fit(at: AppTest, grade: str, why: str) -> None:
    at.selectbox(key="sw_fit_grade").select(grade)
    at.text_input(key="sw_fit_why").input(why)
    _button(at, "Save sector fit").click()
    _run(at)


def _pick_rule(at: AppTest, rule_id: str) -> None:
    at.selectbox(key="sw_rule_id").select(rule_id)
    _run(at)


def _save_rule(at: AppTest, threshold: float, why: str, note: str = "") -> None:
    at.number_input(key="sw_rule_threshold").set_value(threshold)
    at.text_input(key="sw_rule_note").input(note)
    at.text_input(key="sw_rule_why").input(why)
    _button(at, "Save land rule").click()
    _run(at)


def _markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_sector_fit_edit_from_the_page_reaches_the_workspace(env: Path) -> None:
    from wzgeo.store.workspace import load_workspace

    shipped = _shipped_fit_row("auto", "gaofeng")
    assert shipped["grade"] != "primary"  # the edit below must change something
    at = _app()
    at.text_input(key="sw_local_name").input("planner1")
    _pick_fit(at, "auto", "gaofeng")
    assert f"Shipped grade**: {GRADE_LABELS[shipped['grade']][1]}" in _markdown(at)
    assert shipped["reason_zh"] in _text(at)  # its quoted reason
    assert "not edited (the shipped grade applies)" in _text(at)
    _save_fit(at, "primary", "港口物流配套")
    assert "Saved: change 1 (auto × gaofeng, version 1)" in _text(at)
    store = open_store(env / "store.sqlite", ids=IDS)
    assert store.sector_fit_edits()[["sector_id", "zone_id", "grade", "by_user", "why"]
                                    ].values.tolist() == [
        ["auto", "gaofeng", "primary", "planner1", "港口物流配套"]
    ]  # fmt: skip
    assert "edited to primary (named in plan Box 12)" in _text(at) and "港口物流配套" in _text(at)
    table = _table_with(at, "Edited grade")
    assert table.iloc[0].tolist()[:4] == [
        "auto", "gaofeng", GRADE_LABELS[shipped["grade"]][1], "primary (named in plan Box 12)"
    ]  # fmt: skip
    fit = load_workspace(store_path=env / "store.sqlite").fit.set_index(["sector_id", "zone_id"])
    cell = fit.loc[("auto", "gaofeng")]
    assert (cell["grade"], cell["grade_source"], cell["plan_grade"]) == (
        "primary", "user edit", shipped["grade"]
    )  # fmt: skip
    assert cell["edited_by"] == "planner1"
    assert (fit.drop(index=("auto", "gaofeng"))["grade_source"] == "plan").all()


def test_land_rule_edit_from_the_page_reaches_the_workspace(env: Path) -> None:
    from wzgeo.store.workspace import load_workspace

    [shipped] = _shipped_rule_rows("plot_ratio", "13", "2008")
    at = _app()
    at.text_input(key="sw_local_name").input("planner1")
    _pick_rule(at, "plot_ratio|13|2008")
    shown = _markdown(at)
    assert f"{shipped['comparator']} {float(shipped['threshold']):g}" in shown
    assert shipped["source"] in _text(at)
    assert at.number_input(key="sw_rule_threshold").value == float(shipped["threshold"])
    _save_rule(at, 1.35, "新出台地方标准", note="地方标准")
    # the id is shown as text: Markdown characters escaped in the source (issue 14)
    assert r"Saved: change 1 (plot\_ratio\|13\|2008, version 1)" in _text(at)
    store = open_store(env / "store.sqlite", ids=IDS)
    edits = store.land_rule_edits()
    assert edits[["rule_id", "threshold", "note", "by_user", "why"]].values.tolist() == [
        ["plot_ratio|13|2008", 1.35, "地方标准", "planner1", "新出台地方标准"]
    ]
    assert "source" not in edits  # blank source: the shipped one is kept
    table = _table_with(at, "Threshold in effect")
    assert table.iloc[0, :3].tolist() == ["plot_ratio|13|2008", f"{float(shipped['threshold']):g}",
                                          1.35]  # fmt: skip
    rules = load_workspace(store_path=env / "store.sqlite").rules
    key = ["indicator", "gbt4754_code", "edition"]
    row = rules.loc[(rules[key] == ["plot_ratio", "13", "2008"]).all(axis=1)]
    assert row[["threshold", "rule_source", "note", "source"]].values.tolist() == [
        [1.35, "user edit", "地方标准", shipped["source"]]
    ]
    assert (rules.drop(index=row.index)["rule_source"] == "shipped").all()


def test_parallel_rule_rows_are_shown_and_warned(env: Path) -> None:
    rows = _shipped_rule_rows("plot_ratio", "29", "2008")
    assert len(rows) == 2
    at = _app()
    _pick_rule(at, "plot_ratio|29|2008")
    shown = _markdown(at)
    assert all(f"{float(r['threshold']):g}" in shown for r in rows)
    assert "2 parallel rows" in _text(at)


def test_edits_need_login_when_users_are_configured(env: Path) -> None:
    auth.add_user("alice", "alice-pass")
    at = _app()
    assert _button(at, "Save sector fit").disabled
    assert _button(at, "Save land rule").disabled
    at.text_input(key="sw_login_name").input("alice")
    at.text_input(key="sw_login_password").input("alice-pass")
    _button(at, "Log in").click()
    _run(at)
    assert not _button(at, "Save sector fit").disabled
    _pick_fit(at, "food", "lihe")
    _save_fit(at, "compatible", "logged in")
    store = open_store(env / "store.sqlite", ids=IDS)
    assert store.sector_fit_edits()["by_user"].tolist() == ["alice"]


@pytest.mark.parametrize("kind", ["sector_fit", "land_rule"])
def test_edit_saved_meanwhile_by_someone_else_gives_conflict(env: Path, kind: str) -> None:
    at = _app()  # displays the item at version 0
    store = open_store(env / "store.sqlite", ids=IDS)
    if kind == "sector_fit":
        _pick_fit(at, "auto", "lihe")
        store.set_sector_fit("auto", "lihe", "compatible", by="bob", why="bob first")
        _save_fit(at, "primary", "mine")
        current = store.sector_fit_edits()["grade"].tolist()
        assert current == ["compatible"]
    else:
        _pick_rule(at, "green_ratio_pct|*|2008")
        store.set_land_rule("green_ratio_pct|*|2008", {"threshold": 12.0}, by="bob",
                            why="bob first")  # fmt: skip
        _save_rule(at, 18.0, "mine")
        assert store.land_rule_edits()["threshold"].tolist() == [12.0]
    text = _text(at)
    assert "Conflict" in text and "bob" in text and "not saved" in text
    assert "保存冲突" in text  # Chinese first
    # after "Load latest" the user may save deliberately
    _button(at, "Load latest").click()
    _run(at)
    if kind == "sector_fit":
        _save_fit(at, "primary", "after review")
        assert store.sector_fit_edits()["grade"].tolist() == ["primary"]
    else:
        _save_rule(at, 18.0, "after review")
        assert store.land_rule_edits()["threshold"].tolist() == [18.0]


def test_revert_fit_and_rule_edits_from_the_history_restores_shipped(env: Path) -> None:
    from wzgeo.store.workspace import load_workspace

    shipped_grade = _shipped_fit_row("auto", "gaofeng")["grade"]
    [shipped_rule] = _shipped_rule_rows("plot_ratio", "13", "2008")
    store = open_store(env / "store.sqlite", ids=IDS)
    fit_change = store.set_sector_fit("auto", "gaofeng", "primary", by="x", why="fit edit")
    rule_change = store.set_land_rule("plot_ratio|13|2008", {"threshold": 2.5}, by="y",
                                      why="rule edit")  # fmt: skip
    at = _app()
    _pick_fit(at, "auto", "gaofeng")
    _button(at, "Show its history").click()  # the fit section's button
    _run(at)
    assert at.text_input(key="sw_history_id").value == "auto|gaofeng"
    history = _history(at)
    assert history["Item"].tolist() == ["auto|gaofeng"]
    at.selectbox(key="sw_revert_id").select(fit_change.change_id)
    at.text_input(key="sw_revert_why").input("fit was right")
    _button(at, "Revert").click()
    _run(at)
    assert f"Reverted change {fit_change.change_id}" in _text(at)
    assert store.sector_fit_edits().empty
    # a land rule by its id typed in the history field
    at.text_input(key="sw_history_id").input("plot_ratio|13|2008")
    _run(at)
    history = _history(at)
    assert history["Item"].tolist() == ["plot_ratio|13|2008"]
    at.selectbox(key="sw_revert_id").select(rule_change.change_id)
    at.text_input(key="sw_revert_why").input("rule was right")
    _button(at, "Revert").click()
    _run(at)
    assert f"Reverted change {rule_change.change_id}" in _text(at)
    assert store.land_rule_edits().empty
    assert len(store.history()) == 4  # nothing deleted: two edits, two reverts
    ws = load_workspace(store_path=env / "store.sqlite")
    fit = ws.fit.set_index(["sector_id", "zone_id"])
    assert fit.loc[("auto", "gaofeng"), "grade"] == shipped_grade
    assert "grade_source" not in fit or (fit["grade_source"] != "user edit").all()
    key = ["indicator", "gbt4754_code", "edition"]
    row = ws.rules.loc[(ws.rules[key] == ["plot_ratio", "13", "2008"]).all(axis=1)]
    assert row["threshold"].tolist() == [float(shipped_rule["threshold"])]


def test_choosing_another_item_shows_its_values_in_the_forms(env: Path) -> None:
    tianzi = _shipped_fit_row("auto", "tianzi")["grade"]
    gaofeng = _shipped_fit_row("auto", "gaofeng")["grade"]
    assert tianzi != gaofeng
    at = _app()
    _pick_fit(at, "auto", "tianzi")
    assert at.selectbox(key="sw_fit_grade").value == tianzi
    _pick_fit(at, "auto", "gaofeng")
    assert at.selectbox(key="sw_fit_grade").value == gaofeng
    [first] = _shipped_rule_rows("plot_ratio", "26", "2008")
    [second] = _shipped_rule_rows("plot_ratio", "13", "2008")
    assert first["threshold"] != second["threshold"]
    _pick_rule(at, "plot_ratio|26|2008")
    assert at.number_input(key="sw_rule_threshold").value == float(first["threshold"])
    _pick_rule(at, "plot_ratio|13|2008")
    assert at.number_input(key="sw_rule_threshold").value == float(second["threshold"])


def test_boundary_upload_is_read_once_not_on_every_rerun(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # reading is the slow part (for a hostile file it ends only at the reader's limits);
    # a click elsewhere on the page reran it every time (issue 14)
    from wzgeo.store import savedwork

    calls: list[str] = []
    real = savedwork.read_zone_boundary

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("filename", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(savedwork, "read_zone_boundary", counting)
    at = _app()
    _upload_boundary(at, "gaofeng", _geojson(env / "b.geojson", GAOFENG_BOX, name="高峰园"))
    assert calls == ["b.geojson"]
    at.text_input(key="sw_boundary_why").input("红线批复").run()
    at.text_input(key="sw_boundary_why").input("红线批复（修订）").run()
    assert calls == ["b.geojson"]  # the same file and options: not read again
    bad = env / "bad.geojson"
    bad.write_text("{ not json", encoding="utf-8")
    _upload_boundary(at, "gaofeng", bad)
    at.text_input(key="sw_boundary_why").input("again").run()
    assert calls == ["b.geojson", "bad.geojson"]  # a failed read is kept too


def test_land_class_edit_from_the_page_reaches_the_plot_check(env: Path) -> None:
    """Edit the class food needs on the page; the store, the workspace and the land check
    (as the plot-check page prepares it) use it; history and read-only mode work."""
    from wzgeo.analysis.landuse import LandLayers, check_land, prepare_landuse
    from wzgeo.store.workspace import effective_landclass

    at = _app()
    at.text_input(key="sw_local_name").input("planner1")
    _run(at)
    at.selectbox(key="sw_class_sector").select("food")
    _run(at)
    assert "Shipped class**: class 2" in _markdown(at)
    assert "not edited (the shipped class applies)" in _text(at)
    at.selectbox(key="sw_class_value").select("3")
    at.text_input(key="sw_class_why").input("环评：发酵异味")
    _button(at, "Save land class").click()
    _run(at)
    assert "Saved: change 1 (food, version 1)" in _text(at)
    assert "edited to class 3" in _text(at) and "环评：发酵异味" in _text(at)
    table = _table_with(at, "Edited land class")
    assert table.iloc[0].tolist()[:3] == ["food", "2", "3"]
    store = open_store(env / "store.sqlite", ids=IDS)
    assert store.sector_landclass_edits()[["sector_id", "required_class", "by_user", "why"]
                                          ].values.tolist() == [
        ["food", 3, "planner1", "环评：发酵异味"]
    ]  # fmt: skip
    # a plot wholly on 二类工业用地 (fictional square in EPSG:4545): pass before, fail now
    square = box(543_600, 3_406_000, 543_700, 3_406_100)
    layer = prepare_landuse(
        gpd.GeoDataFrame({"YDYHFLDM": ["100102"]}, geometry=[square], crs=4545), name="t"
    )
    plot = [box(543_610, 3_406_010, 543_690, 3_406_090)]
    status = {}
    for label, table_ in (("shipped", None), ("edited", effective_landclass(store))):
        lc = check_land(
            plot, [6400.0], LandLayers({"landuse": layer}, landclass=table_), sector_id="food"
        )
        status[label] = lc.columns["land_class_status"].iloc[0]
    assert status == {"shipped": "pass", "edited": "fail"}
    # history of the edit on the page, and revert from there
    at.button(key="sw_class_history").click()
    _run(at)
    assert at.text_input(key="sw_history_id").value == "food"
    history = _history(at)
    assert history["Item"].tolist() == ["food"]
    at.selectbox(key="sw_revert_id").select(1)
    at.text_input(key="sw_revert_why").input("环评结论改回")
    _button(at, "Revert").click()
    _run(at)
    assert "Reverted change 1" in _text(at)
    assert store.sector_landclass_edits().empty
    assert effective_landclass(store).set_index("sector_id").loc["food", "required_class"] == "2"


def test_land_class_save_disabled_without_login(env: Path) -> None:
    auth.add_user("alice", "alice-pass")
    at = _app()
    assert "Read-only" in _text(at)
    assert _button(at, "Save land class").disabled

"""The saved-work page: permissions, assign, conflicts, history, revert (AppTest + a browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests._browser import browser, save_screenshot, streamlit_server
from wzgeo import auth
from wzgeo.store import DOCUMENTED_SECTOR_IDS, DOCUMENTED_ZONE_IDS, IdCatalog, open_store

APP = Path(__file__).resolve().parent / "data" / "store" / "saved_work_app.py"
IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS, frozenset({"AU-12", "EI-10", "NM-CU-01"}), DOCUMENTED_SECTOR_IDS
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "users.toml"))
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
        "planner1", "靠近港口", "assignment", "AU-12", "set", "tianzi"
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
    assert ("single local user" in sidebar) != configured
    assert ("Read-only" in sidebar) == configured
    assert not at.sidebar.text_input and not at.sidebar.button  # no widgets in the badge


def test_page_runs_inside_the_app_navigation(env: Path, repo_root: Path) -> None:
    app = repo_root / "app.py"
    if not app.exists():  # pragma: no cover - the app is built by a colleague
        pytest.skip("app.py not present")
    open_store(env / "store.sqlite").assign("AU-01", "gaofeng", by="amy", why="in the app")
    at = AppTest.from_file(str(app), default_timeout=120)
    at.run()
    at.switch_page("wzgeo/pages/saved_work.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved work" in h.value for h in at.header)
    assert "in the app" in at.dataframe[0].value.to_string()


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
    other.import_file(out)
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
            save = page.get_by_role("button", name=re.compile("Save assignment"))
            assert save.is_disabled()
            page.get_by_label(re.compile("User name")).fill("alice")
            page.get_by_label(re.compile("Password")).fill("alice-pass")
            page.get_by_role("button", name=re.compile("Log in")).click()
            page.get_by_text("Logged in as alice").wait_for(timeout=30000)
            page.get_by_label(re.compile("Reason")).first.fill("浏览器测试 browser test")
            page.get_by_role("button", name=re.compile("Save assignment")).click()
            page.get_by_text(re.compile("Saved: change 1")).wait_for(timeout=30000)
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

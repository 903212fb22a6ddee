"""The saved-work page with hostile stored text (issue 14): shown as text, never as Markdown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_saved_work_page import IDS, _app, _pick_fit, _text, env  # noqa: F401
from wzgeo.store.core import open_store


def test_sector_fit_reason_with_image_and_link_is_shown_as_text(env: Path) -> None:  # noqa: F811
    store = open_store(env / "store.sqlite", ids=IDS)
    why = "见 ![m](http://host/x.png) 和 [登录](http://evil.example/login)"
    store.set_sector_fit("auto", "gaofeng", "primary", by="m_a_l", why=why)
    at = _app()
    _pick_fit(at, "auto", "gaofeng")
    shown = _text(at)
    # the reason is there, escaped: Streamlit's Markdown shows it as these characters
    j = "\u2060"  # the word joiner that keeps a bare URL from becoming a link
    assert rf"见 !\[m\](http:{j}//host/x.png) 和 \[登录\](http:{j}//evil.example/login)" in shown
    assert "](http://" not in shown and "m_a_l" not in shown and r"m\_a\_l" in shown


def test_page_survives_a_bad_stored_value_and_can_revert_it(env: Path) -> None:  # noqa: F811
    from tests.store.test_transfer_hardening import _raw_current

    store = open_store(env / "store.sqlite", ids=IDS)
    _raw_current(store, "zone_boundary", "gaofeng",
                 {"zone_id": "gaofeng", "geometry": "garbage", "source": "x"})  # fmt: skip
    at = _app()  # no exception
    assert any("invalid" in e.value for e in at.error), [e.value for e in at.error]
    bad = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    assert bad.iloc[0].tolist()[:2] == ["Zone boundary", "gaofeng"]
    at.checkbox(key="sw_history_all").check().run()
    at.text_input(key="sw_local_name").input("planner1")
    at.selectbox(key="sw_revert_id").select(1)
    at.text_input(key="sw_revert_why").input("修复")
    next(b for b in at.button if "Revert" in b.label).click()
    at.run()
    assert not at.exception
    assert store.invalid_values().empty and store.state("zone_boundary", "gaofeng").version == 2


@pytest.fixture
def on_network() -> Iterator[None]:
    from streamlit import config

    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")  # the one documented setting
    try:
        yield
    finally:
        config.set_option("server.address", old)


def test_on_a_network_without_users_the_page_is_view_only(
    env: Path,  # noqa: F811
    on_network: None,
) -> None:
    at = _app()
    assert any("View-only" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not [t for t in at.text_input if t.key == "sw_local_name"]  # no "record as" name
    save = next(b for b in at.button if "Save assignment" in b.label)
    assert save.disabled
    assert open_store(env / "store.sqlite", ids=IDS).counts()["changes"] == 0


def test_on_a_network_every_page_says_view_only(env: Path, on_network: None) -> None:  # noqa: F811
    def sidebar_only() -> None:
        from wzgeo.app import state as appstate

        appstate.render_sidebar(appstate.plan_tables())

    at = AppTest.from_function(sidebar_only, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("View-only" in w.value or "只读" in w.value for w in at.sidebar.warning)


def test_on_localhost_without_users_the_local_user_edits(env: Path) -> None:  # noqa: F811
    from wzgeo.app import state as appstate

    assert not appstate.serving_on_network("127.0.0.1")
    assert appstate.serving_on_network("0.0.0.0") and appstate.serving_on_network(None or "")


def test_damaged_store_page_says_so_and_shows_the_recovery_command(env: Path) -> None:  # noqa: F811
    from tests.store.test_damaged_store import _flip_a_log_page, _store_with_history

    _store_with_history(env / "store.sqlite", n=40)
    _flip_a_log_page(env / "store.sqlite")
    at = _app()  # no exception
    errors = "\n".join(e.value for e in at.error)
    assert "damaged" in errors and "store recover" in errors, errors
    assert all(b.disabled for b in at.button if "Save" in b.label)


def test_zone_and_data_pages_inputs_survive_bad_stored_values(env: Path) -> None:  # noqa: F811
    """The Zones, Map and Data pages read the store through these loaders."""
    import streamlit as st

    from tests.store.test_transfer_hardening import _raw_current
    from wzgeo.app import state as appstate

    store = open_store(env / "store.sqlite", ids=IDS)
    _raw_current(store, "zone_boundary", "gaofeng",
                 {"zone_id": "gaofeng", "geometry": "garbage", "source": "x"})  # fmt: skip
    _raw_current(store, "sector_fit", "auto|gaofeng",
                 {"sector_id": "auto", "zone_id": "gaofeng", "grade": "excellent"})  # fmt: skip
    st.cache_data.clear()
    geo = appstate.geometry()  # raised AttributeError before
    assert geo.zones_geo is not None and "gaofeng" in set(geo.zones_geo["zone_id"])
    fit = appstate.fit_table()
    assert "excellent" not in set(fit["grade"])


@pytest.mark.browser
def test_browser_shows_a_hostile_name_as_text(env: Path) -> None:  # noqa: F811
    """Streamlit's real Markdown renderer (GFM autolinks included) gets the escaped text."""
    from tests._browser import browser, save_screenshot, streamlit_server
    from tests.app.test_saved_work_page import APP

    hostile = "![m](http://host.invalid/i.png)http://host.invalid/a"
    store = open_store(env / "store.sqlite", ids=IDS)
    store.assign("AU-12", "gaofeng", by=hostile, why="w")
    run_env = {"WZGEO_STORE": str(env / "store.sqlite"), "WZGEO_USERS": str(env / "users.toml")}
    with streamlit_server(APP, env=run_env) as url, browser() as b:
        page = b.new_page()  # type: ignore[attr-defined]
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        try:
            page.goto(url, wait_until="domcontentloaded")
            # the name is shown (as text; word joiners are invisible) in the "now" caption
            page.wait_for_function(
                """h => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
                    .some(c => c.innerText.replaceAll('\\u2060', '').includes(h))""",
                arg=hostile,
                timeout=30000,
            )
            found = page.evaluate(
                """() => ({
                    imgs: [...document.querySelectorAll('img')].map(i => i.src)
                        .filter(s => s.includes('host.invalid')),
                    links: [...document.querySelectorAll('a')].map(a => a.href)
                        .filter(h => h.includes('host.invalid')),
                })"""
            )
            assert found == {"imgs": [], "links": []}, found
            assert not [u for u in requested if "host.invalid" in u], requested
        except Exception:
            save_screenshot(page, "saved_work_hostile_text")
            raise

"""The saved-work page with hostile stored text (issue 14): shown as text, never as Markdown."""

from __future__ import annotations

from pathlib import Path

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
    assert r"见 !\[m\](http\://host/x.png) 和 \[登录\](http\://evil.example/login)" in shown
    assert "](http://" not in shown and "m_a_l" not in shown and r"m\_a\_l" in shown

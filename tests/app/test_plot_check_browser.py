"""The plot check page in a real browser (Playwright + Debian chromium, offline).

A 部标 TXT inside 高峰园 is uploaded; the answer naming 高峰园 must be page text (not only in a
data grid), the result map taller than 150 px, and both must hold after 中文 → English → 中文
with the choices and the upload kept. Any exception box fails the test; screenshots at
1400×900 in both languages go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import ARTIFACTS, BROWSER_MARKS, browser, streamlit_server
from tests._plotcheck_helpers import bubiao_txt

pytestmark = BROWSER_MARKS

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 45_000
ANSWER = {
    "zh": "地块 1（高峰试验地块，60.0 亩）位于高峰园内（100 %），产业适配：主导产业。",
    "en": "Plot 1 (高峰试验地块, 60.0 mu) lies in Gaofeng Park (100 %); sector fit: a focus "
    "sector of the zone.",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("store") / "store.sqlite"
    with streamlit_server(REPO / "app.py", env={"WZGEO_STORE": str(store)}) as url:
        yield url


@pytest.fixture()
def page(server: str) -> Iterator[Any]:
    with browser() as b:
        context = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        host = server.split("//", 1)[1]
        outside: list[str] = []

        def route(r: Any) -> None:
            u = r.request.url
            if u.startswith(("data:", "blob:")) or u.split("//", 1)[-1].startswith(host):
                r.continue_()
            else:
                outside.append(u)
                r.abort()

        context.route("**/*", route)
        p = context.new_page()
        p.goto(server + "/plot-check")
        p.wait_for_selector("h1", timeout=TIMEOUT_MS)
        yield p
        assert outside == [], outside
        context.close()


def _no_exception(page: Any, where: str) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, f"{where}: {boxes.first.inner_text()}"
    assert "Traceback" not in page.inner_text("body"), where


def _visible_text(page: Any) -> str:
    return str(page.inner_text('[data-testid="stMain"]'))


def _settle(page: Any) -> None:
    """Wait until the script run is over (Streamlit shows a status widget while running)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


def _answer_is_page_text(page: Any, lang: str) -> None:
    answer = page.locator('[data-testid="stMarkdown"]', has_text=ANSWER[lang]).first
    answer.wait_for(timeout=TIMEOUT_MS)
    assert "高峰园" in answer.inner_text() or "Gaofeng Park" in answer.inner_text()


_RESULT_MAP = """() => [...document.querySelectorAll('[data-testid="stMain"] iframe')].filter(
    f => f.contentDocument && f.contentDocument.querySelector('.leaflet-overlay-pane path')
).pop()"""


def _map_height(page: Any) -> float:
    """Height of the result map's iframe (the last map on the page) once Leaflet has drawn
    the zones and plots in it."""
    _settle(page)
    page.wait_for_function(
        f"() => {{ const f = ({_RESULT_MAP})();"
        " return f && f.getBoundingClientRect().height > 150; }",
        timeout=TIMEOUT_MS,
    )
    return float(page.evaluate(f"() => ({_RESULT_MAP})().getBoundingClientRect().height"))


def _no_missing_words(page: Any, where: str) -> None:
    text = _visible_text(page)
    for word in ("<NA>", "None", "nan", "NaN"):
        assert not re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text), (where, word)


def _choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` (exact text) in the selectbox labelled ``label``."""
    box = page.locator('[data-testid="stMain"]').get_by_role("combobox", name=label, exact=True)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    _settle(page)


def _switch(page: Any, lang: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text(
        "English" if lang == "en" else "中文", exact=True
    ).click()
    page.get_by_role("heading", name="Plot check" if lang == "en" else "地块核查").wait_for(
        timeout=TIMEOUT_MS
    )
    _settle(page)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_answer_and_map_through_zh_en_zh(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "高峰园地块.txt"
    path.write_bytes(bubiao_txt())
    page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
    _choose(page, "产业", "食品")
    page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
    page.set_input_files('input[type="file"]', str(path))
    _answer_is_page_text(page, "zh")
    _settle(page)
    _no_exception(page, "zh, after the upload")
    assert _map_height(page) > 150
    _no_missing_words(page, "zh")
    page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo(0, 0)")
    _shot(page, "plot_check_zh")

    _switch(page, "en")
    _answer_is_page_text(page, "en")
    _no_exception(page, "en")
    text = _visible_text(page)
    crs = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="CRS")
    assert crs.input_value() == "Detect automatically"
    assert "自动识别" not in text
    assert "高峰园地块.txt" in text, "the upload is kept"
    assert page.get_by_role("radio", name="A sector").is_checked()
    assert page.get_by_role("radio", name="Upload a file").is_checked()
    assert _map_height(page) > 150
    _no_missing_words(page, "en")
    page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo(0, 0)")
    _shot(page, "plot_check_en")

    _switch(page, "zh")
    _answer_is_page_text(page, "zh")
    _no_exception(page, "zh again")
    assert page.get_by_role("radio", name="产业").is_checked()
    sector = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="产业")
    assert sector.input_value() == "食品"
    assert _map_height(page) > 150
    _no_missing_words(page, "zh again")


def test_project_check_walks_zh_en_zh_without_errors(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "two.txt"
    path.write_bytes(bubiao_txt(n=2))
    page.wait_for_selector('input[type="file"]', state="attached", timeout=TIMEOUT_MS)
    page.locator('[data-testid="stRadio"]', has_text="核查依据").get_by_text("项目").click()
    _settle(page)
    page.set_input_files('input[type="file"]', str(path))
    page.get_by_text("控制指标", exact=True).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    for lang in ("en", "zh"):
        _switch(page, lang)
        _no_exception(page, lang)
        page.get_by_text(
            "Control indicators" if lang == "en" else "控制指标", exact=True
        ).first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_role("radio", name="A project" if lang == "en" else "项目").is_checked()
        _no_missing_words(page, lang)
    _shot(page, "plot_check_project_zh")

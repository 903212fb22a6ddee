"""Fixtures shared by the app's browser tests: one Chromium and one app server per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._browser import browser, streamlit_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, shared by the tests of one module."""
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` with an empty store and users file of its own (per module);
    a module that needs other data defines its own ``server``."""
    home = tmp_path_factory.mktemp("app")
    env = {"WZGEO_STORE": str(home / "store.sqlite"), "WZGEO_USERS": str(home / "users.toml")}
    with streamlit_server(REPO / "app.py", env=env) as url:
        yield url

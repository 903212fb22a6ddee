"""Shared pytest configuration. Area-specific fixtures live in the test modules themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _private_user_files(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep every test away from the developer's own saved work, users file and caches.

    Tests that need a store or users set ``WZGEO_STORE`` / ``WZGEO_USERS`` themselves; the
    rest see an empty private folder (the default store then does not exist).
    """
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("WZGEO_STORE", str(home / "store.sqlite"))
    monkeypatch.setenv("WZGEO_USERS", str(home / "users.toml"))
    monkeypatch.setenv("WZGEO_EXPORT_KEY", str(home / "export-key"))
    # drawn map views kept across restarts (wzgeo.app.viewcache): per test, not ~/.cache
    monkeypatch.setenv("WZGEO_CACHE_DIR", str(home / "views"))
    # scrypt at the shipped cost (N = 2**17) takes ≈ 1 s per hash here; tests of logins use
    # a cheaper one (tests/store/test_auth_hardening.py checks the shipped cost itself)
    import wzgeo.store.auth

    monkeypatch.setattr(wzgeo.store.auth, "SCRYPT_N", 2**14)
    yield


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA

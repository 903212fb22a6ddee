"""Shared pytest configuration. Area-specific fixtures live in the test modules themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA

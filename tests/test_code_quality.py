"""The code base stays ruff- and mypy-clean (the project's own rule; these tests can fail)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)


_NO_RUFF = shutil.which("ruff") is None


@pytest.mark.skipif(_NO_RUFF, reason="ruff not installed (pip install -e .[test])")
def test_ruff_check_is_clean() -> None:
    r = _run(["ruff", "check", "wzgeo", "tests", "app.py", "bench"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy")
    r = _run([sys.executable, "-m", "mypy", "wzgeo"])
    assert r.returncode == 0, r.stdout + r.stderr

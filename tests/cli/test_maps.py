"""``wzgeo export-map`` reads the shipped data with the saved work overlaid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wzgeo.cli.entry import main
from wzgeo.store.core import open_store


def _exported(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "map.html"
    assert main(["export-map", "--out", str(out), "--basemap", "none", *args]) == 0
    return out.read_text(encoding="utf-8")


def test_assignment_in_the_store_places_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_file = tmp_path / "store.sqlite"
    monkeypatch.setenv("WZGEO_STORE", str(store_file))
    before = _exported(tmp_path, "--sector", "electronics")
    assert "用户指定园区" not in before  # no assignment yet: plan or suggested locations only

    open_store(store_file).assign("EI-03", "tailong", by="tester", why="test")
    after = _exported(tmp_path, "--sector", "electronics")
    assert "用户指定园区" in after
    # the shipped data alone, on request
    shipped = _exported(tmp_path, "--sector", "electronics", "--no-store")
    assert "用户指定园区" not in shipped


def test_missing_explicit_store_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["export-map", "--out", str(tmp_path / "m.html"), "--store", str(tmp_path / "x")])
    assert rc == 2
    err = capsys.readouterr().err
    assert re.search(r"No saved-work store at .*x", err) and "找不到保存的工作文件" in err

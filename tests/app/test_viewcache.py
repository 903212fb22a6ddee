"""Tests for wzgeo.app.viewcache: drawn map views kept on disk, keyed by their inputs.

The key must be the same in another Python process for the same inputs (that is the point:
a restarted server finds the view) and differ as soon as any input, the code or a library
version differs (a kept view must never stand in for another). Unsafe or broken files are
never read.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box

from tests.maps.test_webmap import sample_frames
from wzgeo.app import viewcache

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "views"
    monkeypatch.setenv(viewcache.CACHE_ENV, str(path))
    return path


def _inputs() -> dict[str, Any]:
    return {**sample_frames(), "lang": "zh", "style": "level", "basemap": "none"}


def test_the_same_inputs_give_the_same_key_in_another_process(folder: Path) -> None:
    """A restart: another interpreter (another string-hash seed) computes the same key for
    the same inputs and reads back what this one kept."""
    key = viewcache.content_key(_inputs())
    assert key is not None and len(key) == 64
    assert viewcache.save(key, {"drawn": "in this process"})
    code = (
        f"import json, sys; sys.path.insert(0, {str(REPO)!r});"
        "from tests.maps.test_webmap import sample_frames;"
        "from wzgeo.app import viewcache;"
        "key = viewcache.content_key({**sample_frames(), 'lang': 'zh', 'style': 'level',"
        " 'basemap': 'none'});"
        "print(json.dumps([key, viewcache.load(key)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", viewcache.CACHE_ENV: str(folder)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    other_key, value = json.loads(out.stdout.strip().splitlines()[-1])
    assert other_key == key
    assert value == {"drawn": "in this process"}


def test_any_change_of_an_input_changes_the_key() -> None:
    base = viewcache.content_key(_inputs())
    assert viewcache.content_key(_inputs()) == base  # rebuilt, equal: the same key

    renamed = _inputs()
    renamed["zones"].loc[0, "name_zh"] = "高峰园（改）"
    moved = _inputs()
    moved["zones_geo"].loc[0, "geometry"] = box(108.30, 30.80, 108.36, 30.86)
    output = _inputs()
    output["projects"].loc[1, "output_yi"] = 5.5
    english = {**_inputs(), "lang": "en"}
    extra = {**_inputs(), "highlight": "AU-01"}
    keys = [viewcache.content_key(x) for x in (renamed, moved, output, english, extra)]
    assert None not in keys
    assert len({base, *keys}) == 6


def test_a_library_version_changes_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    before = viewcache.content_key(_inputs())
    real = metadata.version

    def newer_folium(name: str) -> str:
        return "99.0" if name == "folium" else real(name)

    monkeypatch.setattr(metadata, "version", newer_folium)
    viewcache._code_fingerprint.cache_clear()
    try:
        assert viewcache.content_key(_inputs()) != before
    finally:
        viewcache._code_fingerprint.cache_clear()


def test_inputs_that_cannot_be_pickled_are_not_kept(folder: Path) -> None:
    assert viewcache.content_key({**_inputs(), "format": lambda v: v}) is None
    assert viewcache.save(None, {"x": 1}) is False
    assert viewcache.load(None) is None
    assert not folder.exists() or not any(folder.iterdir())


def test_off_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(viewcache.CACHE_ENV, "off")
    assert viewcache.cache_dir() is None
    key = viewcache.content_key(_inputs())
    assert viewcache.save(key, 1) is False
    assert viewcache.load(key) is None


def test_a_folder_others_may_write_to_is_not_used(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = viewcache.content_key(_inputs())
    assert viewcache.save(key, {"ok": 1})
    assert viewcache.load(key) == {"ok": 1}
    assert (folder.stat().st_mode & 0o777) == 0o700  # created private
    folder.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="wzgeo.app.viewcache"):
        assert viewcache.load(key) is None
        assert viewcache.save(key, {"ok": 2}) is False
    assert "chmod 700" in caplog.text


def test_an_unreadable_file_is_removed_and_the_view_drawn(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = viewcache.content_key(_inputs())
    assert key is not None
    assert viewcache.save(key, {"ok": 1})
    (path,) = folder.glob("*.view.pickle")
    path.write_bytes(b"\x80\x05truncated")
    with caplog.at_level(logging.WARNING, logger="wzgeo.app.viewcache"):
        assert viewcache.load(key) is None
    assert not path.exists()
    assert "unreadable" in caplog.text


def test_a_folder_that_cannot_be_created_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(viewcache.CACHE_ENV, str(blocker / "views"))
    assert viewcache.cache_dir() is None
    assert viewcache.save(viewcache.content_key(_inputs()), 1) is False


def test_only_the_most_recently_used_views_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(viewcache, "MAX_FILES", 3)
    keys = [viewcache.content_key({**_inputs(), "n": n}) for n in range(5)]
    for i, key in enumerate(keys):
        assert viewcache.save(key, i)
        path = folder / f"{key}.view.pickle"
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # distinct ages, oldest first
    assert sorted(p.name for p in folder.glob("*.view.pickle")) == sorted(
        f"{k}.view.pickle" for k in keys[2:]
    )
    # reading a view makes it the most recent: the next save prunes another one
    assert viewcache.load(keys[2]) == 2
    assert viewcache.save(keys[0], 0)
    kept = {p.name for p in folder.glob("*.view.pickle")}
    assert f"{keys[2]}.view.pickle" in kept and f"{keys[3]}.view.pickle" not in kept

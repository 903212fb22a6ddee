"""Tests for wzgeo.paths: where data and per-user files live."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from wzgeo import paths


def test_user_file_env_var_wins_and_expands_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WZGEO_TEST_FILE", "~/elsewhere/x.sqlite")
    got = paths.user_file("WZGEO_TEST_FILE", "ignored.sqlite", folder="data")
    assert got == tmp_path / "elsewhere" / "x.sqlite"


@pytest.mark.parametrize(
    ("folder", "base"),
    [("config", platformdirs.user_config_dir), ("data", platformdirs.user_data_dir)],
    ids=["config", "data"],
)
def test_user_file_defaults_to_the_platformdirs_folder(
    monkeypatch: pytest.MonkeyPatch, folder: str, base: object
) -> None:
    monkeypatch.setenv("WZGEO_TEST_FILE", "")  # empty counts as unset
    got = paths.user_file("WZGEO_TEST_FILE", "f.toml", folder=folder)  # type: ignore[arg-type]
    assert got == Path(base("wzgeo")) / "f.toml"  # type: ignore[operator]
    assert not got.resolve().is_relative_to(paths.repo_root())

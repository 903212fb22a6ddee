"""Tests for the ``wzgeo build-data`` command (through wzgeo.cli.entry.main)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wzgeo.cli.entry import main
from wzgeo.paths import plan_dir, seed_plan_path


def test_help_lists_build_data(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "build-data" in capsys.readouterr().out


def test_build_data_writes_the_committed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["build-data", "--plan", str(seed_plan_path()), "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "135 projects" in out and "quality.md" in out
    for name in ("zones.csv", "projects.csv", "indicators.csv", "targets.csv", "quality.json"):
        assert (tmp_path / name).read_bytes() == (plan_dir() / name).read_bytes()


def test_build_data_default_plan(tmp_path: Path) -> None:
    assert main(["build-data", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "projects.csv").exists()


def test_bad_plan_path_exits_2_with_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no_such_plan.txt"
    rc = main(["build-data", "--plan", str(missing), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "no_such_plan.txt" in err
    assert "找不到规划文本" in err and "Plan text not found" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_text_that_is_not_the_plan_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("一份别的文件。\nSomething else.\n", encoding="utf-8")
    rc = main(["build-data", "--plan", str(other), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "附件" in err and "appendix" in err


def test_non_utf8_plan_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gbk = tmp_path / "plan_gbk.txt"
    gbk.write_bytes(seed_plan_path().read_text(encoding="utf-8")[:2000].encode("gbk"))
    rc = main(["build-data", "--plan", str(gbk), "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "UTF-8" in capsys.readouterr().err


def test_out_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.csv"
    target.write_text("x", encoding="utf-8")
    assert main(["build-data", "--out", str(target)]) == 2
    assert "--out" in capsys.readouterr().err

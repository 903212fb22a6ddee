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


def test_export_print_map_png_pdf_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The print formats: written, replaced by a re-run, other files kept without --overwrite."""
    import io

    from PIL import Image
    from pypdf import PdfReader

    png = tmp_path / "map.png"
    args = ["export-map", "--no-store", "--dpi", "60", "--title", "打印 <测试>"]
    assert main([*args, "--out", str(png), "--orientation", "portrait"]) == 0
    with Image.open(png) as img:
        w, h = img.size
    assert h > w and h == int(297 / 25.4 * 60)  # A4 portrait at 60 dpi
    assert main([*args, "--out", str(png)]) == 0  # a print map written earlier is replaced
    with Image.open(png) as img:
        assert img.size[0] > img.size[1]
    pdf = tmp_path / "map.pdf"
    assert main(["export-map", "--no-store", "--out", str(pdf), "--paper", "A3"]) == 0
    text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "万州区产业园区分布图" in text and "图例" in text and "A3" in text
    other = tmp_path / "notes.svg"
    other.write_text("<svg>mine</svg>", encoding="utf-8")
    capsys.readouterr()
    assert main(["export-map", "--no-store", "--out", str(other)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert other.read_text(encoding="utf-8") == "<svg>mine</svg>"


def test_export_map_refuses_other_formats_and_bad_dpi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-map", "--out", str(tmp_path / "m.tif")]) == 2
    assert ".png, .pdf, .svg" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["export-map", "--out", str(tmp_path / "m.png"), "--dpi", "5"])
    assert e.value.code == 2
    assert "dpi" in capsys.readouterr().err

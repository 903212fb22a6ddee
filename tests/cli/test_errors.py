"""Every bad input to ``wzgeo`` exits 2 with a Chinese and English message, never a traceback,
and never loses data (existing outputs and inputs are left as they were)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from wzgeo.cli.entry import build_parser, main

DATA = Path(__file__).parents[1] / "data" / "plotio"
TXT = DATA / "two_plots_gbk_crlf.txt"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{3,}")
PROC = Path("/proc")


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; argparse's own exits count as return codes."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Hostile and ordinary input files, in a folder whose name has Chinese and a space."""
    d = tmp_path_factory.mktemp("cli") / "输入 文件"
    d.mkdir()
    f = {"dir": d}
    (d / "empty.txt").write_bytes(b"")
    f["empty"] = d / "empty.txt"
    (d / "binary.geojson").write_bytes(bytes(range(256)) * 8)
    f["binary"] = d / "binary.geojson"
    (d / "binary.parquet").write_bytes(bytes(range(256)) * 8)
    f["binary_parquet"] = d / "binary.parquet"
    (d / "folder.gpkg").mkdir()
    f["folder"] = d / "folder.gpkg"
    plots = gpd.GeoDataFrame(
        {"plot_id": ["A"]}, geometry=[box(536000, 3409000, 536100, 3409100)], crs="EPSG:4545"
    )
    plots.to_file(d / "地块 layer.gpkg", layer="plots")
    f["gpkg"] = d / "地块 layer.gpkg"
    f["truncated_gpkg"] = d / "truncated.gpkg"
    f["truncated_gpkg"].write_bytes(f["gpkg"].read_bytes()[:30000])
    (d / "no_columns.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    f["no_columns"] = d / "no_columns.csv"
    (d / "gbk_names.csv").write_bytes("project_id,zone_id\nNM-CU-01,高峰园\n".encode("gbk"))
    f["gbk_names"] = d / "gbk_names.csv"
    (d / "own.html").write_text("<p>my own notes</p>", encoding="utf-8")
    f["own_html"] = d / "own.html"
    (d / "own.xlsx").write_bytes(b"my spreadsheet")
    f["own_xlsx"] = d / "own.xlsx"
    (d / "own.parquet").write_bytes(b"not a result")
    f["own_parquet"] = d / "own.parquet"
    return f


# each case: id, argv from the files; the message must contain ``expect`` (if given)
Case = tuple[str, Callable[[dict[str, Path]], list[str]], str]
CASES: list[Case] = [
    ("import-missing", lambda f: ["import-plots", str(f["dir"] / "nope.txt")], "not found"),
    ("import-empty", lambda f: ["import-plots", str(f["empty"])], "empty"),
    ("import-folder", lambda f: ["import-plots", str(f["folder"])], "folder"),
    ("import-binary", lambda f: ["import-plots", str(f["binary"])], "NUL"),
    ("import-crs-abc", lambda f: ["import-plots", str(TXT), "--crs", "abc"], "Unknown CRS"),
    ("import-crs-999999", lambda f: ["import-plots", str(TXT), "--crs", "999999"], "CRS"),
    ("import-out-ext", lambda f: ["import-plots", str(TXT), "--out", "x.txt"], "extension"),
    (
        "import-out-no-folder",
        lambda f: ["import-plots", str(TXT), "--out", str(f["dir"] / "no" / "x.geojson")],
        "does not exist",
    ),
    (
        "import-out-is-folder",
        lambda f: ["import-plots", str(TXT), "--out", str(f["folder"])],
        "is a folder",
    ),
    (
        "import-out-is-input",
        lambda f: ["import-plots", str(f["gpkg"]), "--out", str(f["gpkg"]), "--overwrite"],
        "is the input",
    ),
    ("import-max-mb-0", lambda f: ["import-plots", str(TXT), "--max-mb", "0"], "> 0"),
    (
        "export-map-target-inf",
        lambda f: ["export-map", "--out", "m.html", "--target", "inf"],
        "> 0",
    ),
    (
        "export-map-target-nan",
        lambda f: ["export-map", "--out", "m.html", "--target", "nan"],
        "> 0",
    ),
    ("check-plot-max-mb", lambda f: ["check-plot", str(TXT), "--max-mb", "0.0001"], "limit"),
    ("check-plot-crs", lambda f: ["check-plot", str(TXT), "--crs", "abc"], "Unknown CRS"),
    ("check-plot-sector", lambda f: ["check-plot", str(TXT), "--sector", "nope"], "sector"),
    ("check-plot-project", lambda f: ["check-plot", str(TXT), "--project", "NO-1"], "project"),
    (
        "check-plots-crs-abc",
        lambda f: [
            "check-plots",
            str(f["gpkg"]),
            "--out",
            str(f["dir"] / "r.parquet"),
            "--crs",
            "abc",
        ],
        "Unknown CRS",
    ),
    (
        "check-plots-crs-999999",
        lambda f: [
            "check-plots",
            str(f["gpkg"]),
            "--out",
            str(f["dir"] / "r.parquet"),
            "--crs",
            "999999",
        ],
        "Unknown CRS",
    ),
    (
        "check-plots-out-is-input",
        lambda f: ["check-plots", str(f["gpkg"]), "--out", str(f["gpkg"]), "--overwrite"],
        "is the input",
    ),
    (
        "check-plots-out-exists",
        lambda f: ["check-plots", str(f["gpkg"]), "--out", str(f["own_parquet"])],
        "--overwrite",
    ),
    (
        "check-plots-binary",
        lambda f: ["check-plots", str(f["binary_parquet"]), "--out", str(f["dir"] / "r.parquet")],
        "parcel layer",
    ),
    (
        "check-plots-truncated",
        lambda f: ["check-plots", str(f["truncated_gpkg"]), "--out", str(f["dir"] / "r.gpkg")],
        "parcel layer",
    ),
    (
        "summary-assignments-binary",
        lambda f: ["summary", "--assignments", str(f["binary"])],
        "not a text file",
    ),
    ("summary-assignments-empty", lambda f: ["summary", "--assignments", str(f["empty"])], "empty"),
    (
        "summary-assignments-columns",
        lambda f: ["summary", "--assignments", str(f["no_columns"])],
        "project_id",
    ),
    (
        "summary-assignments-gbk-zone-name",
        lambda f: ["summary", "--assignments", str(f["gbk_names"])],
        "'高峰园'",
    ),
    (
        "summary-out-exists",
        lambda f: ["summary", "--format", "xlsx", "--out", str(f["own_xlsx"])],
        "--overwrite",
    ),
    (
        "summary-out-is-assignments",
        lambda f: [
            "summary",
            "--assignments",
            str(f["no_columns"]),
            "--out",
            str(f["no_columns"]),
            "--overwrite",
        ],
        "is the input",
    ),
    ("export-map-ext", lambda f: ["export-map", "--out", str(f["dir"] / "m.docx")], ".html"),
    (
        "export-map-own-file",
        lambda f: ["export-map", "--out", str(f["own_html"])],
        "--overwrite",
    ),
    (
        "history-missing-store",
        lambda f: ["history", "--store", str(f["dir"] / "typo.sqlite")],
        "No saved-work store",
    ),
    (
        "store-check-missing-store",
        lambda f: ["store", "check", "--store", str(f["dir"] / "nodir" / "typo.sqlite")],
        "No saved-work store",
    ),
    (
        "store-export-missing-store",
        lambda f: [
            "store",
            "export",
            str(f["dir"] / "e.gpkg"),
            "--store",
            str(f["dir"] / "typo.sqlite"),
        ],
        "No saved-work store",
    ),
    (
        "store-export-to-folder",
        lambda f: ["store", "export", str(f["folder"]), "--force"],
        "is a folder",
    ),
    ("store-import-folder", lambda f: ["store", "import", str(f["folder"])], "is a folder"),
    ("store-import-binary", lambda f: ["store", "import", str(f["binary"])], "Nothing was"),
    (
        "store-boundary-binary",
        lambda f: ["store", "boundary", "gaofeng", str(f["binary"]), "--by", "a", "--why", "b"],
        "boundary file",
    ),
    (
        "zone-geometry-missing-dir",
        lambda f: ["zone-geometry", "--official-dir", str(f["dir"] / "none")],
        "does not exist",
    ),
    ("build-data-plan-folder", lambda f: ["build-data", "--plan", str(f["dir"])], "is a folder"),
    ("revert-not-a-number", lambda f: ["revert", "abc", "--by", "a", "--why", "b"], "invalid"),
    # a change id past SQLite's 64-bit integers was an OverflowError traceback
    ("revert-huge-id", lambda f: ["revert", "9" * 30, "--by", "a", "--why", "b"], "invalid"),
    ("unknown-command", lambda f: ["bogus"], "invalid choice"),
    ("missing-argument", lambda f: ["check-plot"], "required"),
]
if PROC.is_dir():
    CASES += [
        (
            "import-out-unwritable",
            lambda f: ["import-plots", str(TXT), "--out", "/proc/x.geojson"],
            "Cannot write",
        ),
        (
            "check-plots-out-unwritable-parquet",
            lambda f: ["check-plots", str(f["gpkg"]), "--out", "/proc/x.parquet"],
            "Cannot write",
        ),
        (
            "check-plots-out-unwritable-gpkg",
            lambda f: ["check-plots", str(f["gpkg"]), "--out", "/proc/x.gpkg"],
            "Cannot write",
        ),
        (
            "summary-out-unwritable",
            lambda f: ["summary", "--format", "xlsx", "--out", "/proc/x.xlsx"],
            "Cannot write",
        ),
        ("export-map-unwritable", lambda f: ["export-map", "--out", "/proc/x.html"], "Cannot"),
        ("store-export-unwritable", lambda f: ["store", "export", "/proc/x.gpkg"], "/proc/x.gpkg"),
    ]


def _snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("argv_of", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_bilingual_no_traceback_nothing_changed(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    argv_of: Callable[[dict[str, Path]], list[str]],
    expect: str,
) -> None:
    before = _snapshot(files["dir"])
    code, out, err = run(capsys, argv_of(files))
    assert code == 2, (out, err)
    assert "Traceback" not in err
    message = err.split("错误 / Error:", 1)[-1]
    assert CJK.search(message), err
    assert ENGLISH.search(message), err
    assert expect in err, err
    assert _snapshot(files["dir"]) == before  # no input or existing file touched, no leftovers


def test_python_dash_m_wzgeo_runs_the_cli() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "wzgeo", "import-plots", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: wzgeo import-plots")


def _all_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(f"{name} {sub_name}".strip(), sub)

    walk("", build_parser())
    return found


PARSERS = _all_parsers()


@pytest.mark.parametrize(("name", "parser"), PARSERS, ids=[n or "wzgeo" for n, _ in PARSERS])
def test_every_option_has_bilingual_help(name: str, parser: argparse.ArgumentParser) -> None:
    missing = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction)
        and not (a.help and CJK.search(a.help) and ENGLISH.search(a.help))
    ]
    assert missing == [], f"wzgeo {name}: options without Chinese and English help: {missing}"


def test_import_plots_keeps_an_existing_output_unless_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "地块 输出.gpkg"
    out.write_bytes(b"precious")
    assert run(capsys, ["import-plots", str(TXT), "--out", str(out)])[0] == 2
    assert out.read_bytes() == b"precious"
    assert run(capsys, ["import-plots", str(TXT), "--out", str(out), "--overwrite"])[0] == 0
    assert gpd.read_file(out)["plot_id"].tolist() == ["WZ-001", "WZ-002"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_check_plots_replaces_its_own_result_but_not_other_files(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "结果.gpkg"
    for _ in range(2):  # the second run replaces the first run's result
        code, _, err = run(capsys, ["check-plots", str(files["gpkg"]), "--out", str(out)])
        assert code == 0, err
    assert gpd.read_file(out)["plot_id"].tolist() == ["A"]
    other = tmp_path / "other.gpkg"
    gpd.read_file(files["gpkg"]).to_file(other)  # a parcel layer, not a result
    assert run(capsys, ["check-plots", str(files["gpkg"]), "--out", str(other)])[0] == 2
    assert "zone_id" not in gpd.read_file(other).columns
    assert (
        run(capsys, ["check-plots", str(files["gpkg"]), "--out", str(other), "--overwrite"])[0] == 0
    )


def test_summary_reads_gbk_assignments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "安排.csv"
    csv.write_bytes("project_id,zone_id\r\nNM-CU-01,tianzi\r\n".encode("gbk"))
    code, out, err = run(capsys, ["summary", "--format", "csv", "--assignments", str(csv)])
    assert code == 0, err
    locations = out.split("# locations", 1)[1]
    row = next(line for line in locations.splitlines() if line.startswith("NM-CU-01,"))
    assert "tianzi" in row


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, OSError], ids=["ctrl-c", "disk-error"])
def test_interrupted_write_leaves_the_old_output_and_no_partial_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    interrupt: type[BaseException],
) -> None:
    out = tmp_path / "plots.geojson"
    out.write_text("old", encoding="utf-8")
    real = gpd.GeoDataFrame.to_file

    def half_then_fail(self: gpd.GeoDataFrame, path: object, *a: object, **k: object) -> None:
        real(self.iloc[:1], path, *a, **k)  # a complete-looking but partial file
        raise interrupt(28, "No space left on device") if interrupt is OSError else interrupt()

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", half_then_fail)
    code, _, err = run(capsys, ["import-plots", str(TXT), "--out", str(out), "--overwrite"])
    assert code == (130 if interrupt is KeyboardInterrupt else 2), err
    assert "Traceback" not in err and CJK.search(err) and ENGLISH.search(err)
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plots.geojson"]


def test_export_map_replaces_an_earlier_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "地图 map.html"
    for _ in range(2):
        code, _, err = run(capsys, ["export-map", "--out", str(out), "--basemap", "none"])
        assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_interrupted_build_data_keeps_the_old_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import wzgeo.plan.data

    out = tmp_path / "plan"
    out.mkdir()
    (out / "zones.csv").write_text("old zones", encoding="utf-8")

    def half_then_interrupt(plan: object, out_dir: Path, **kwargs: object) -> None:
        (Path(out_dir) / "zones.csv").write_text("zone_id,na", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(wzgeo.plan.data, "build_data", half_then_interrupt)
    code, _, err = run(capsys, ["build-data", "--out", str(out)])
    assert code == 130, err
    assert [p.name for p in out.iterdir()] == ["zones.csv"]  # no temporary folder left
    assert (out / "zones.csv").read_text(encoding="utf-8") == "old zones"


def test_build_data_output_folder_unwritable_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, ["build-data", "--out", str(blocker / "plan")])
    assert code == 2 and "Cannot write" in err and CJK.search(err)
    assert blocker.read_text(encoding="utf-8") == "x"


def test_json_output_is_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    from wzgeo.cli._common import print_json

    print_json({"a": float("nan"), "b": [float("inf"), 1.5], "名": "高峰园"})
    out = capsys.readouterr().out

    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    assert json.loads(out, parse_constant=refuse) == {"a": None, "b": [None, 1.5], "名": "高峰园"}


def test_check_plot_json_is_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ["check-plot", str(TXT), "--project", "NM-BM-01", "--json"])
    assert code == 0, err

    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    report = json.loads(out, parse_constant=refuse)
    assert [p["plot_id"] for p in report["plots"]] == ["WZ-001", "WZ-002"]


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_gbk_console_gets_output_not_a_traceback(json_out: bool) -> None:
    import os

    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    argv = [sys.executable, "-m", "wzgeo", "import-plots", str(TXT)] + (["--json"] * json_out)
    res = subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
    text = res.stdout.decode("gbk")
    if json_out:
        assert json.loads(text)["plots"][0]["name"] == "高峰园示例地块"
    else:
        assert "高峰园示例地块: 10,000.00 m? = 15.00 亩" in text  # ² is not in GBK


def test_closed_pipe_stops_quietly() -> None:
    """``wzgeo summary | head -1``: the reader leaves early; no traceback, no error message."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wzgeo", "summary", "--no-store", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command has written anything
    with proc.stderr:
        err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=120) == 141, err
    assert err == ""


def test_read_only_output_folder_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    import wzgeo.plots.io

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was read before the output was checked")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    monkeypatch.setattr(wzgeo.plots.io, "read_plots", must_not_run)
    code, _, err = run(capsys, ["import-plots", str(TXT), "--out", str(tmp_path / "x.geojson")])
    assert code == 2 and "Permission denied" in err and "无法写出" in err, err

"""CLI: wzgeo assign / unassign / history / revert / store export|import|check / users."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from wzgeo.cli.entry import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("WZGEO_USERS", str(tmp_path / "users.toml"))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_assign_history_revert(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "近港口")[0] == 0
    code, out, _ = run(capsys, "assign", "AU-12", "tianzi", "--by", "bob", "--why", "用地")
    assert code == 0 and "change 2" in out
    code, out, _ = run(capsys, "history", "AU-12")
    assert code == 0
    assert "alice" in out and "bob" in out and "近港口" in out and "tianzi" in out
    assert run(capsys, "revert", "2", "--by", "carol", "--why", "撤销")[0] == 0
    code, out, _ = run(capsys, "history", "AU-12", "--json")
    records = json.loads(out)
    assert [r["by_user"] for r in records] == ["alice", "bob", "carol"]
    assert records[-1]["reverts_change_id"] == 2 and records[-1]["value"] == "gaofeng"
    code, out, _ = run(capsys, "history", "gaofeng")  # zone history finds the assignment
    assert "AU-12" in out


def test_conflict_and_bad_input_exit_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w")
    code, _, err = run(
        capsys, "assign", "AU-12", "lihe", "--by", "bob", "--why", "w", "--expected-version", "0"
    )
    assert code == 2 and "Conflict" in err and "gaofeng" in err and "alice" in err
    assert "保存冲突" in err and "Traceback" not in err
    code, _, err = run(capsys, "assign", "AU-12", "atlantis", "--by", "a", "--why", "w")
    assert code == 2 and "Unknown zone id" in err
    code, _, err = run(capsys, "revert", "99", "--by", "a", "--why", "w")
    assert code == 2 and "no change 99" in err


def test_export_import_roundtrip_and_refusals(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w")
    run(capsys, "assign", "EI-10", "lihe", "--by", "bob", "--why", "w")
    out_file = env / "work.gpkg"
    code, out, _ = run(capsys, "store", "export", str(out_file))
    assert code == 0 and "changes=2" in out
    code, _, err = run(capsys, "store", "export", str(out_file))
    assert code == 2 and "already exists" in err
    other = env / "other.sqlite"
    code, out, _ = run(capsys, "store", "import", str(out_file), "--store", str(other))
    assert code == 0 and "assignment=2" in out
    code, out, _ = run(capsys, "history", "--store", str(other), "--json")
    assert [r["entity_id"] for r in json.loads(out)] == ["AU-12", "EI-10"]
    code, out, _ = run(capsys, "store", "check", "--store", str(other))
    assert code == 0 and "integrity_check: ok" in out
    # refusing a non-empty store without --replace, and a foreign file
    code, _, err = run(capsys, "store", "import", str(out_file), "--store", str(other))
    assert code == 2 and "--replace" in err
    junk = env / "junk.gpkg"
    junk.write_bytes(b"\x00not a geopackage")
    code, _, err = run(capsys, "store", "import", str(junk), "--store", str(env / "e.sqlite"))
    assert code == 2 and "Cannot import" in err and "Nothing was imported" in err


def test_users_and_password_required_for_edits(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "users", "list")
    assert "single local user" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert run(capsys, "users", "add", "alice", "--password-stdin")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong-pass\n"))
    code, _, err = run(
        capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w", "--password-stdin"
    )
    assert code == 2 and "Wrong user name or password" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    code, _, err = run(
        capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w", "--password-stdin"
    )
    assert code == 0, err
    code, out, _ = run(capsys, "history", "AU-12")  # viewing needs no login
    assert code == 0 and "alice" in out


def test_password_without_terminal_or_not_utf8_exits_2(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert run(capsys, "users", "add", "alice", "--password-stdin")[0] == 0

    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", no_terminal)
    for argv in (
        ["assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w"],
        ["users", "add", "bob"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "--password-stdin" in err and "没有读到密码" in err, err
    # bytes that are not UTF-8 arrive as surrogates on a text stdin
    monkeypatch.setattr(sys, "stdin", io.StringIO("\udcff\udcfe\n"))
    code, _, err = run(
        capsys, "assign", "AU-12", "gaofeng", "--by", "alice", "--why", "w", "--password-stdin"
    )
    assert code == 2 and "not valid UTF-8" in err and "UTF-8 文本" in err, err
    assert run(capsys, "history", "AU-12")[1].startswith("没有修改记录")


def test_console_script_runs(env: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "wzgeo", "assign", "AU-12", "wuqiao", "--by", "x", "--why", "y"],
        capture_output=True, text=True, encoding="utf-8", timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "version 1" in r.stdout


def test_store_boundary_from_gis_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from wzgeo.store.core import open_store

    official = box(108.40, 30.80, 108.42, 30.82)
    src = env / "园区红线.gpkg"
    gpd.GeoDataFrame(
        {"zone_id": ["gaofeng", "lihe"]}, geometry=[official, box(108.1, 30.6, 108.2, 30.7)],
        crs=4326,
    ).to_crs(4545).to_file(src)  # fmt: skip
    code, _, err = run(
        capsys, "store", "boundary", "gaofeng", str(src), "--by", "amy", "--why", "红线批复"
    )
    assert code == 0, err
    b = open_store(env / "store.sqlite").zone_boundaries()
    assert b["source"].tolist() == ["园区红线.gpkg"]
    assert b.geometry.iloc[0].symmetric_difference(official).area < 1e-12
    code, _, err = run(capsys, "store", "boundary", "tianzi", str(src), "--by", "a", "--why", "w")
    assert code == 2 and "no feature for 'tianzi'" in err
    nocrs = env / "nocrs.geojson"
    nocrs.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
        ' "geometry": {"type": "Point", "coordinates": [500000, 3400000]}}]}',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "store", "boundary", "tianzi", str(nocrs), "--by", "a", "--why", "w")
    assert code == 2 and "Error" in err and "Traceback" not in err


def test_two_processes_same_project_one_conflicts(env: Path) -> None:
    def start(zone: str, user: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "wzgeo.cli.entry", "assign", "EI-10", zone, "--by", user,
             "--why", "parallel", "--expected-version", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip

    procs = [start("lihe", "amy"), start("tianzi", "bob")]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    loser_err = next(r[2] for r in results if r[0] == 2)
    from wzgeo.store.core import open_store

    winner = open_store(env / "store.sqlite").assignments().iloc[0]
    assert "Conflict" in loser_err
    assert winner["zone_id"] in loser_err and winner["by_user"] in loser_err


# ----------------------------------------------------------------------------- land classes


def _landclass_case(tmp_path: Path) -> tuple[Path, Path]:
    """A fictional 二类工业用地 (100102) layer and a plot wholly inside it (示例（虚构）)."""
    import geopandas as gpd
    from shapely.geometry import box

    from tests._landuse_helpers import X0, Y0, grid_layer, to_lonlat, write_gpkg

    layer = write_gpkg(grid_layer([["100102", "100102"]]), tmp_path / "lu.gpkg")
    plot = tmp_path / "plot.geojson"
    plot_m = box(X0 + 20, Y0 + 20, X0 + 180, Y0 + 80)
    gpd.GeoDataFrame({"plot_id": ["A"]}, geometry=[to_lonlat(plot_m)], crs=4326).to_file(plot)
    return layer, plot


def _land_class(capsys: pytest.CaptureFixture[str], layer: Path, plot: Path) -> dict:
    code, out, err = run(
        capsys, "check-plot", str(plot), "--sector", "food", "--land-layer",
        f"landuse={layer}", "--json",
    )  # fmt: skip
    assert code == 0, err
    return dict(json.loads(out)["plots"][0]["land_class"])


def test_landclass_edit_changes_the_check_history_and_revert(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layer, plot = _landclass_case(env)
    # shipped: food needs 二类 (GBJ 137-90 example); the plot is 二类 land → pass
    before = _land_class(capsys, layer, plot)
    assert (before["required"], before["found"], before["status"]) == (2, "2", "pass")
    code, out, err = run(
        capsys, "landclass", "set", "food", "三类", "--by", "alice", "--why", "环评：发酵异味"
    )
    assert code == 0 and "change 1" in out and "sector_landclass food" in out, err
    # food now needs 三类: 二类 land tolerates less → fail
    after = _land_class(capsys, layer, plot)
    assert (after["required"], after["found"], after["status"]) == (3, "2", "fail")
    # the HTML report says the same (its land-class table: required 三类, result 未达标)
    report = env / "r.html"
    code, _, err = run(
        capsys, "check-plot", str(plot), "--sector", "food", "--land-layer",
        f"landuse={layer}", "--report", str(report),
    )  # fmt: skip
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    row = html[html.index("三类工业用地") :][:400]
    assert "未达标" in row
    code, out, _ = run(capsys, "landclass", "list", "--json")
    row = next(r for r in json.loads(out) if r["sector_id"] == "food")
    assert (row["required_class"], row["plan_required_class"], row["class_source"]) == (
        "3", "2", "user edit"
    )  # fmt: skip
    assert row["edited_by"] == "alice" and row["edited_why"] == "环评：发酵异味"
    code, out, _ = run(capsys, "history", "food", "--type", "sector_landclass", "--json")
    [rec] = json.loads(out)
    assert (rec["change_id"], rec["by_user"], rec["why"], rec["value"]) == (
        1, "alice", "环评：发酵异味", "三类 (3)"
    )  # fmt: skip
    assert run(capsys, "revert", "1", "--by", "bob", "--why", "环评结论改回")[0] == 0
    restored = _land_class(capsys, layer, plot)
    assert (restored["required"], restored["status"]) == (2, "pass")
    code, out, _ = run(capsys, "history", "food", "--type", "sector_landclass", "--json")
    assert [r["reverts_change_id"] for r in json.loads(out)] == [None, 1]
    # --no-store: the shipped classes (and no store layers)
    run(capsys, "landclass", "set", "food", "1", "--by", "alice", "--why", "w")
    code, out, _ = run(capsys, "landclass", "list", "--no-store", "--json")
    assert next(r for r in json.loads(out) if r["sector_id"] == "food")["required_class"] == "2"


@pytest.mark.parametrize(
    ("sector", "value", "zh", "en"),
    [
        ("food", "四类", "工业用地类别“四类”无效", "Industrial land class '四类' is invalid"),
        ("food", "0", "工业用地类别“0”无效", "Industrial land class '0' is invalid"),
        ("atlantis", "2", "未知产业编号 'atlantis'", "Unknown sector id 'atlantis'"),
    ],
)
def test_landclass_bad_edit_refused_bilingually(
    env: Path, capsys: pytest.CaptureFixture[str], sector: str, value: str, zh: str, en: str
) -> None:
    code, _, err = run(capsys, "landclass", "set", sector, value, "--by", "a", "--why", "w")
    assert code == 2 and zh in err and en in err and "Traceback" not in err
    assert (
        not (env / "store.sqlite").exists()
        or run(capsys, "history", "--type", "sector_landclass", "--json")[1].strip() == "[]"
    )


def test_landclass_edit_needs_the_password_when_users_exist(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    assert run(capsys, "users", "add", "alice", "--password-stdin")[0] == 0
    args = ("landclass", "set", "food", "3", "--why", "w", "--password-stdin")
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong-pass\n"))
    code, _, err = run(capsys, *args, "--by", "alice")
    assert code == 2 and "密码" in err and "password" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    code, _, err = run(capsys, *args, "--by", "mallory")
    assert code == 2
    code, out, _ = run(capsys, "history", "--type", "sector_landclass", "--json")
    assert json.loads(out) == []
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-pass\n"))
    code, out, err = run(capsys, *args, "--by", "alice")
    assert code == 0, err
    code, out, _ = run(capsys, "history", "--type", "sector_landclass", "--json")
    assert [r["by_user"] for r in json.loads(out)] == ["alice"]

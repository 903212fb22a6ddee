"""Tests for wzgeo.analysis.sitingcache: the stored siting of the shipped tables and when it is
used."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from wzgeo.analysis import siting, sitingcache
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.cli.entry import main
from wzgeo.paths import geodata_dir
from wzgeo.plan import data as plandata


@pytest.fixture(scope="module")
def shipped() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return plandata.load_projects(), plandata.load_zones(), load_sector_fit()


def _no_solving(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make wzgeo.analysis.siting.suggest_locations count its calls (it still solves)."""
    calls: list[int] = []
    real = siting.suggest_locations

    def counting(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(siting, "suggest_locations", counting)
    return calls


def _quality(table: pd.DataFrame, fit: pd.DataFrame) -> tuple[int, int]:
    """(projects placed, of them in a zone where their sector is primary) — the ILP's aims."""
    placed = table.loc[table["location_label"] == "suggested"]
    grades = fit.set_index(["sector_id", "zone_id"])["grade"]
    projects = plandata.load_projects().set_index("project_id")["sector_id"]
    primary = sum(
        grades.get((projects[p], z)) == "primary"
        for p, z in zip(placed["project_id"], placed["zone_id"], strict=True)
    )
    return len(placed), int(primary)


def test_shipped_file_is_current(shipped: tuple[pd.DataFrame, ...]) -> None:
    """geodata/plan/siting.json matches the shipped tables and code.

    With the library versions it was built with, it must equal a fresh build byte for byte.
    With another scipy or pandas (another of several optimal answers; other column types),
    the inputs and code must still match, and the stored answer must be as good as a fresh
    one.
    """
    projects, zones, fit = shipped
    stored = sitingcache.read_siting()
    assert stored is not None, "run `wzgeo build-siting` and commit geodata/plan/siting.json"
    header, table = stored
    key_then = sitingcache.fingerprint(projects, zones, fit, versions=header["versions"])
    assert header["fingerprint"] == key_then, (
        "geodata/plan/siting.json is stale: run `wzgeo build-siting` and commit it"
    )
    fresh = siting.suggest_locations(projects, zones, fit)
    if header["versions"] == sitingcache.library_versions():
        assert main(["build-siting", "--check"]) == 0
        pd.testing.assert_frame_equal(table, fresh)
    else:  # pragma: no cover - only with another scipy than the file was built with
        assert _quality(table, fit) == _quality(fresh, fit)


def test_stored_answer_is_used_without_solving(
    shipped: tuple[pd.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    projects, zones, fit = shipped
    stored = sitingcache.read_siting()
    assert stored is not None
    if stored[0]["versions"] != sitingcache.library_versions():  # pragma: no cover
        pytest.skip("the stored siting was built with another scipy; it is solved instead")
    calls = _no_solving(monkeypatch)
    got = sitingcache.suggest_locations(projects, zones, fit)
    assert calls == []
    pd.testing.assert_frame_equal(got, stored[1])
    assert set(got["location_label"]) == {"plan", "suggested"}


def test_changed_inputs_are_solved(
    shipped: tuple[pd.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    projects, zones, fit = shipped
    calls = _no_solving(monkeypatch)
    # a sector-fit edit: the electronics sector no longer fits 高峰园
    edited = fit.loc[~((fit["sector_id"] == "electronics") & (fit["zone_id"] == "gaofeng"))]
    edited = edited.reset_index(drop=True)
    got = sitingcache.suggest_locations(projects, zones, edited)
    assert calls == [1]
    placed = got.loc[got["location_label"] == "suggested"]
    assert not (
        (placed["project_id"].str.startswith("EI-")) & (placed["zone_id"] == "gaofeng")
    ).any()


def test_assignments_are_solved(
    shipped: tuple[pd.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    projects, zones, fit = shipped
    calls = _no_solving(monkeypatch)
    assigned = pd.DataFrame({"project_id": ["NM-CU-01"], "zone_id": ["longsha"]}, dtype="string")
    got = sitingcache.suggest_locations(projects, zones, fit, assignments=assigned)
    assert calls == [1]
    row = got.set_index("project_id").loc["NM-CU-01"]
    assert (row["zone_id"], row["location_label"]) == ("longsha", "assigned")


def test_other_method_is_solved(
    shipped: tuple[pd.DataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    projects, zones, fit = shipped
    calls = _no_solving(monkeypatch)
    sitingcache.suggest_locations(projects, zones, fit, method="greedy")
    assert calls == [1]


def test_fingerprint_follows_inputs_code_and_versions(shipped: tuple[pd.DataFrame, ...]) -> None:
    projects, zones, fit = shipped
    base = sitingcache.fingerprint(projects, zones, fit)
    assert base == sitingcache.fingerprint(projects.copy(), zones.copy(), fit.copy())
    changed = projects.copy()
    changed.loc[0, "name_zh"] = str(changed.loc[0, "name_zh"]) + "（改）"
    assert sitingcache.fingerprint(changed, zones, fit) != base
    assert sitingcache.fingerprint(projects, zones, fit, versions="scipy 0.0, pandas 0.0") != base
    assert "scipy" in sitingcache.library_versions() and "pandas" in sitingcache.library_versions()
    assert sitingcache.fingerprint(projects, zones, fit, method="greedy") != base


def test_fingerprint_ignores_line_ends_of_the_code(
    shipped: tuple[pd.DataFrame, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Windows checkout (CRLF line ends) must still match the stored fingerprint."""
    projects, zones, fit = shipped
    base = sitingcache.fingerprint(projects, zones, fit)
    pkg = tmp_path / "wzgeo"
    pkg.mkdir()
    real = Path(sitingcache.__file__).resolve().parent
    for name in ("siting.py", "balance.py", "_common.py", "sitingcache.py"):
        text = (real / name).read_bytes().replace(b"\r\n", b"\n")
        (pkg / name).write_bytes(text.replace(b"\n", b"\r\n"))
    monkeypatch.setattr(sitingcache, "__file__", str(pkg / "sitingcache.py"))
    assert sitingcache.fingerprint(projects, zones, fit) == base
    (pkg / "siting.py").write_bytes((pkg / "siting.py").read_bytes() + b"# changed\r\n")
    assert sitingcache.fingerprint(projects, zones, fit) != base


@pytest.mark.parametrize(
    "content",
    ["", "{not json", json.dumps({"format": "other"}), json.dumps({"format": sitingcache._FORMAT})],
    ids=["empty", "not-json", "other-format", "no-rows"],
)
def test_unusable_file_falls_back_to_solving(
    content: str,
    tmp_path: Path,
    shipped: tuple[pd.DataFrame, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    projects, zones, fit = shipped
    path = tmp_path / "siting.json"
    path.write_text(content, encoding="utf-8")
    assert sitingcache.read_siting(path) is None
    calls = _no_solving(monkeypatch)
    got = sitingcache.suggest_locations(projects, zones, fit, path=path)
    assert calls == [1] and len(got) == len(projects)
    assert (
        sitingcache.suggest_locations(projects, zones, fit, path=tmp_path / "none.json") is not None
    )


def test_write_read_round_trip_keeps_types_and_missing_values(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "project_id": pd.array(["A-1", "A-2"], dtype="string"),
            "plan_zone_id": pd.Series([None, "gaofeng"], dtype=object).astype("str"),
            "zone_id": pd.array([pd.NA, "lihe"], dtype="string"),
        }
    )
    path = tmp_path / "s.json"
    sitingcache.write_siting(path, df, key="k")
    stored = sitingcache.read_siting(path)
    assert stored is not None
    header, back = stored
    assert header["fingerprint"] == "k"
    pd.testing.assert_frame_equal(back, df)
    assert not list(tmp_path.glob(".siting.*"))  # no temporary file left behind


def test_check_reports_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "geodata"
    shutil.copytree(geodata_dir(), copy)
    monkeypatch.setenv("WZGEO_GEODATA", str(copy))
    target = copy / "plan" / sitingcache.SITING_FILE
    target.write_text(target.read_text(encoding="utf-8").replace("jiulong_b", "lihe", 1))
    assert main(["build-siting", "--check"]) == 1
    assert "build-siting" in capsys.readouterr().err
    assert main(["build-siting"]) == 0
    assert main(["build-siting", "--check"]) == 0
    assert "jiulong_b" in target.read_text(encoding="utf-8")  # the edit was replaced


def test_reading_the_stored_answer_imports_no_scipy() -> None:
    """The point of the file: the shipped siting without importing scipy.optimize."""
    code = (
        "import sys\n"
        "from wzgeo.analysis import sitingcache\nfrom wzgeo.plan import data as plandata\n"
        "from wzgeo.analysis.sectorfit import load_sector_fit\n"
        "stored = sitingcache.read_siting()\n"
        "same = stored[0]['versions'] == sitingcache.library_versions()\n"
        "sitingcache.suggest_locations(plandata.load_projects(), plandata.load_zones(),"
        " load_sector_fit())\n"
        "print(same, 'scipy.optimize' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] == "True":
        assert out[1] == "False"
    else:  # pragma: no cover - another scipy: solved, so scipy is imported
        assert out[1] == "True"

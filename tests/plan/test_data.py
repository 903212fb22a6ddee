"""Tests for wzgeo.plan.data: rebuild = committed bytes, typed loading, validation errors,
the sector taxonomy's coverage of the plan."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from wzgeo import DataFileError
from wzgeo.paths import geodata_dir, plan_dir, repo_root, seed_plan_path
from wzgeo.plan.data import (
    build_data,
    load_indicators,
    load_projects,
    load_sectors,
    load_targets,
    load_zones,
)
from wzgeo.plan.parse import parse_plan

BUILT = ("zones.csv", "projects.csv", "indicators.csv", "targets.csv", "quality.json", "quality.md")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    build_data(seed_plan_path(), out)
    return out


@pytest.fixture(scope="module")
def parsed():  # type: ignore[no-untyped-def]
    return parse_plan(seed_plan_path().read_text(encoding="utf-8"))


# ---- build ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILT)
def test_rebuild_reproduces_committed_files_byte_for_byte(rebuilt: Path, name: str) -> None:
    committed = (plan_dir() / name).read_bytes()
    assert (rebuilt / name).read_bytes() == committed, (
        f"{name} differs from a rebuild: run 'wzgeo build-data' and commit geodata/plan/"
    )


def test_written_files_are_utf8_with_unix_line_ends(rebuilt: Path) -> None:
    for name in BUILT:
        raw = (rebuilt / name).read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw
        assert raw.endswith(b"\n")


def test_build_twice_is_identical(tmp_path: Path, rebuilt: Path) -> None:
    build_data(seed_plan_path(), tmp_path)
    for name in BUILT:
        assert (tmp_path / name).read_bytes() == (rebuilt / name).read_bytes()


def test_build_rejects_non_utf8_plan(tmp_path: Path) -> None:
    bad = tmp_path / "plan.txt"
    bad.write_bytes("规划".encode("gbk"))
    with pytest.raises(DataFileError, match="UTF-8"):
        build_data(bad, tmp_path / "out")


# ---- loaders --------------------------------------------------------------------------


def test_loaders_return_typed_frames() -> None:
    sectors = load_sectors()
    zones = load_zones(sectors=sectors)
    projects = load_projects(zones=zones, sectors=sectors)
    indicators = load_indicators()
    targets = load_targets(sectors=sectors)
    assert str(projects["investment_yi"].dtype) == "Float64"
    assert str(projects["start_year"].dtype) == "Int64"
    assert str(projects["name_zh"].dtype) == "string"
    assert str(zones["planned_land_km2"].dtype) == "Float64"
    assert str(indicators["value_2020"].dtype) == "Float64"
    assert str(targets["year"].dtype) == "Int64"
    assert len(zones) == 13 and len(projects) == 135 and len(indicators) == 13
    # empty cells are missing values, not empty strings
    assert projects["zone_id"].isna().sum() == 134


def test_loading_everything_is_fast() -> None:
    load_projects()  # warm up imports
    t0 = time.perf_counter()
    sectors = load_sectors()
    zones = load_zones(sectors=sectors)
    load_projects(zones=zones, sectors=sectors)
    load_indicators()
    load_targets(sectors=sectors)
    assert time.perf_counter() - t0 < 0.3


def test_zones_match_architecture_doc() -> None:
    doc = (repo_root() / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| ([a-z_]+) \| (\S+) \| (national_etdz|municipal|sme_cluster) \| ([\d.]+) \|$",
        doc,
        flags=re.M,
    )
    assert len(rows) == 13
    zones = load_zones()
    got = [
        (z.zone_id, z.name_zh, z.level, float(z.planned_land_km2))
        for z in zones.itertuples(index=False)
    ]
    assert got == [(a, b, c, float(d)) for a, b, c, d in rows]


def test_zone_host_townships() -> None:
    zones = load_zones().set_index("zone_id")
    assert zones.loc["gaofeng", "host_township_zh"] == "高峰街道"
    assert zones.loc["tianzi", "host_township_zh"] == "天城街道"
    assert "presumed" in zones.loc["tianzi", "host_township_note"]
    for unknown in ("jiulong_a", "jiulong_b", "yudong"):
        assert pd.isna(zones.loc[unknown, "host_township_zh"])
        assert "unknown" in zones.loc[unknown, "host_township_note"]
    assert zones.loc["fenshui", "name_en"] == "Fenshui SME Cluster"


def test_indicators_keep_text_and_kind() -> None:
    ind = load_indicators().set_index("seq")
    assert (ind.loc[2, "value_2023"], ind.loc[2, "value_2023_kind"]) == (180, "cumulative")
    assert ind.loc[6, "value_2025_kind"] == "lower_bound"
    assert ind.loc[3, "value_2020_kind"] == "provisional"
    assert ind.loc[3, "value_2023_kind"] == "not_applicable"
    assert pd.isna(ind.loc[3, "value_2023"])
    assert ind.loc[8, "value_2020_text"] == "预计 1.5"
    assert ind.loc[1, "growth_pct"] == 16.2


def test_targets_have_sections_and_sector_ids() -> None:
    t = load_targets()
    assert t["section"].notna().all()
    scale = t[t["metric"] == "sector_output_yi"].set_index("sector_id")["value"].to_dict()
    assert scale == {
        "new_materials": 300,
        "food_pharma": 200,
        "auto": 100,
        "lighting": 50,
        "equipment": 50,
        "electronics": 50,
    }
    land = t[t["metric"] == "industrial_land_km2"].set_index("year")["value"].to_dict()
    assert land == {2025: 20, 2035: 35}


# ---- sectors.csv ----------------------------------------------------------------------


def test_sector_ids_match_architecture_doc() -> None:
    doc = (repo_root() / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = doc[doc.index("Sector ids") : doc.index("Project ids")]
    ids = re.findall(r"^\| ([a-z_]+) \| [^|]+ \| ([a-z_]*) ?\|$", section, flags=re.M)
    ids = [(i, p) for i, p in ids if i != "sector_id"]  # skip the header row
    sectors = load_sectors()
    assert list(sectors["sector_id"]) == [i for i, _ in ids]
    parents = sectors["parent_id"].fillna("").tolist()
    assert parents == [p for _, p in ids]


def test_every_plan_sector_subsector_and_zone_phrase_has_a_sector_id(parsed) -> None:  # type: ignore[no-untyped-def]
    sectors = load_sectors()

    def items(col: str) -> set[str]:
        return {p for v in sectors[col].dropna() for p in str(v).split(";")}

    plan_sectors = {
        re.sub(r"产业$", "", it.heading.name) for it in parsed.appendix if it.kind == "sector"
    }
    plan_subs = {it.heading.name for it in parsed.appendix if it.kind == "subsector"}
    phrases = {p for z in parsed.zones for p in z.focus_phrases}
    assert len(plan_sectors) == 6 and len(plan_subs) == 6 and len(phrases) >= 20
    assert plan_sectors <= items("plan_sectors")
    assert plan_subs <= items("plan_subsectors")
    assert phrases <= items("zone_phrases")
    # the targets' industry names too
    target_subjects = {t.subject_zh for t in parsed.targets if t.metric == "sector_output_yi"}
    assert target_subjects <= items("plan_sectors")


def test_gbt4754_codes() -> None:
    s = load_sectors().set_index("sector_id")["gbt4754_codes"]
    assert set(s["nm_copper"].split(";")) == {"32", "33"}
    assert s["pharma"] == "27"
    assert s["auto"] == "36"
    assert s["electronics"] == "39"
    assert set(s["printing_packaging"].split(";")) == {"22", "23"}


def test_projects_sector_ids_are_finest(parsed) -> None:  # type: ignore[no-untyped-def]
    p = load_projects()
    assert set(p["sector_id"]) == {
        "nm_copper",
        "nm_aluminium",
        "nm_building",
        "nm_synthetic",
        "food",
        "pharma",
        "auto",
        "lighting",
        "equipment",
        "electronics",
    }
    assert p["project_id"].str.fullmatch(r"(NM-(CU|AL|BM|SY)|FP-(FD|PH)|AU|GL|EQ|EI)-\d\d").all()


# ---- broken files ---------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of geodata/sectors.csv and geodata/plan/*.csv in tmp_path (same layout)."""
    (tmp_path / "plan").mkdir()
    shutil.copy(geodata_dir() / "sectors.csv", tmp_path / "sectors.csv")
    for name in ("zones.csv", "projects.csv", "indicators.csv", "targets.csv"):
        shutil.copy(plan_dir() / name, tmp_path / "plan" / name)
    return tmp_path


def _edit(path: Path, row: int, column: str, value: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df.loc[row - 1, column] = value
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


_LOADERS: dict[str, Callable[[Path], object]] = {
    "projects.csv": lambda p: load_projects(p),
    "zones.csv": lambda p: load_zones(p),
    "indicators.csv": lambda p: load_indicators(p),
    "targets.csv": lambda p: load_targets(p),
}


@pytest.mark.parametrize(
    ("name", "row", "column", "value", "message"),
    [
        ("projects.csv", 3, "investment_yi", "-1.00", "range"),
        ("projects.csv", 4, "output_yi", "12亿", "not a number"),
        ("projects.csv", 5, "start_year", "2040", "range"),
        ("projects.csv", 6, "start_year", "2025", "start_year is after end_year"),
        ("projects.csv", 7, "stage", "finished", "not an allowed value"),
        ("projects.csv", 8, "project_id", "NM-CU-01", "more than once"),
        ("projects.csv", 9, "zone_id", "nowhere", "zones.csv"),
        ("projects.csv", 10, "sector_id", "toys", "sectors.csv"),
        ("projects.csv", 11, "name_zh", "", "must not be empty"),
        ("projects.csv", 12, "quality_flags", "looks_odd", "not an allowed value"),
        ("projects.csv", 13, "zone_candidates", "gaofeng;", "empty item"),
        ("projects.csv", 14, "land_mu", "-5", "range"),
        ("projects.csv", 15, "seq", "1.5", "whole number"),
        ("zones.csv", 2, "level", "provincial", "not an allowed value"),
        ("zones.csv", 3, "sector_ids", "auto;spaceships", "sectors.csv"),
        ("zones.csv", 4, "planned_land_km2", "", "must not be empty"),
        ("indicators.csv", 5, "value_2025_kind", "guess", "not an allowed value"),
        ("targets.csv", 2, "year", "1999", "range"),
        ("targets.csv", 8, "sector_id", "toys", "sectors.csv"),
    ],
    ids=lambda v: str(v) if not isinstance(v, str) or len(v) < 20 else v[:20],
)
def test_broken_file_names_file_row_column(
    data_copy: Path, name: str, row: int, column: str, value: str, message: str
) -> None:
    path = data_copy / "plan" / name
    _edit(path, row, column, value)
    with pytest.raises(DataFileError, match=message) as exc:
        _LOADERS[name](path)
    err = exc.value
    assert err.path == str(path)
    assert err.column == column
    assert err.row == row
    text = str(err)
    assert name in text and f"row {row}" in text and column in text
    assert f"第 {row} 行" in text  # the Chinese half names it too


def test_missing_column(data_copy: Path) -> None:
    path = data_copy / "plan" / "projects.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.drop(columns=["stage"]).to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataFileError, match=r"missing column.*stage.*build-data") as exc:
        load_projects(path)
    assert exc.value.column == "stage"


def test_missing_file_and_bad_encoding(data_copy: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        load_indicators(data_copy / "plan" / "nope.csv")
    path = data_copy / "plan" / "indicators.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(DataFileError, match="not UTF-8"):
        load_indicators(path)


def test_sectors_parent_and_duplicate_claims(data_copy: Path) -> None:
    path = data_copy / "sectors.csv"
    _edit(path, 2, "parent_id", "metals")
    with pytest.raises(DataFileError, match="metals") as exc:
        load_sectors(path)
    assert (exc.value.row, exc.value.column) == (2, "parent_id")
    shutil.copy(geodata_dir() / "sectors.csv", path)
    _edit(path, 3, "plan_subsectors", "铜材料")
    with pytest.raises(DataFileError, match="already claimed") as exc:
        load_sectors(path)
    assert (exc.value.row, exc.value.column) == (3, "plan_subsectors")
    shutil.copy(geodata_dir() / "sectors.csv", path)
    _edit(path, 4, "gbt4754_codes", "30;A1")
    with pytest.raises(DataFileError, match="A1"):
        load_sectors(path)


def test_build_data_rejects_sectors_missing_a_zone_phrase(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / "sectors.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(df.index[df["sector_id"] == "stone_processing"][0]) + 1
    _edit(path, row, "zone_phrases", "")
    with pytest.raises(DataFileError, match="石材加工"):
        build_data(seed_plan_path(), tmp_path / "out", sectors_path=path)

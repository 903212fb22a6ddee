"""Tests for wzgeo.analysis.sectorfit: the fit table is derived from 专栏12 and checked against the
text."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from wzgeo.analysis.sectorfit import (
    FIT_COLUMNS,
    derive_sector_fit,
    fit_for_sector,
    fit_grade,
    load_sector_fit,
    parse_zone_focus,
    write_sector_fit,
)
from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.paths import seed_plan_path
from wzgeo.plan import data as plandata

PLAN = seed_plan_path().read_text(encoding="utf-8")


ZONES = plandata.load_zones()
SECTORS = plandata.load_sectors()


def _zones_listing(word: str) -> set[str]:
    """Zones whose 专栏12 sentence contains ``word`` (read from the raw text, not the parser)."""
    start = PLAN.index("专栏 12")
    block = PLAN[start : PLAN.index("专栏 13")]
    names = dict(zip(ZONES["name_zh"], ZONES["zone_id"], strict=True))
    out = set()
    for para in re.findall(r"<p>([^<]*)</p>", block):
        name = re.sub(r"\s+", "", para.split("：")[0])
        if name in names and word in para.split("：", 1)[1]:
            out.add(names[name])
    return out


@pytest.fixture(scope="module")
def derived() -> pd.DataFrame:
    return derive_sector_fit(PLAN, zones=ZONES, sectors=SECTORS)


def _primary(fit: pd.DataFrame, sector: str) -> set[str]:
    rows = fit.loc[(fit["sector_id"] == sector) & (fit["grade"] == "primary")]
    return set(rows["zone_id"])


def test_parse_finds_13_zones_with_areas_of_the_text() -> None:
    focus = parse_zone_focus(PLAN)
    assert [f.name_zh for f in focus] == list(ZONES["name_zh"])
    areas = [float(x) for x in re.findall(r"规划面积\s*([\d.]+)\s*平方公里", PLAN)]
    assert [f.planned_land_km2 for f in focus] == areas


def test_synthetic_materials_fit_the_zones_that_list_chemicals(derived: pd.DataFrame) -> None:
    chem = _zones_listing("化工")
    assert chem == {"jiulong_a", "jiulong_b"}
    assert _primary(derived, "nm_synthetic") == chem
    assert _primary(derived, "chemicals") == chem


def test_green_building_materials_fit_xintian_b_and_lihe(derived: pd.DataFrame) -> None:
    building = _zones_listing("建材")
    assert building == {"xintian_b", "lihe"}
    assert _primary(derived, "nm_building") == building


def test_generic_new_materials_is_compatible_not_primary(derived: pd.DataFrame) -> None:
    zones = _zones_listing("新材料")
    assert _primary(derived, "new_materials") == zones
    copper = derived.loc[derived["sector_id"] == "nm_copper"].set_index("zone_id")["grade"]
    assert set(copper[copper == "compatible"].index) == zones
    assert (copper[~copper.index.isin(zones)] == "not_listed").all()


@pytest.mark.parametrize(
    ("sector", "word"),
    [("auto", "汽车"), ("lighting", "绿色照明"), ("electronics", "电子信息"), ("pharma", "医药")],
    ids=["auto", "lighting", "electronics", "pharma"],
)
def test_named_sectors_are_primary_where_named(
    derived: pd.DataFrame, sector: str, word: str
) -> None:
    assert _zones_listing(word) <= _primary(derived, sector)


def test_every_pair_present_and_reason_quotes_plan(derived: pd.DataFrame) -> None:
    assert len(derived) == len(ZONES) * len(SECTORS)
    assert not derived.duplicated(["sector_id", "zone_id"]).any()
    listed = derived.loc[derived["grade"] != "not_listed"]
    for phrase, reason in zip(listed["phrase_zh"], listed["reason_zh"], strict=True):
        assert phrase in reason
        quoted = re.search(r"“(.+?)”", reason)
        assert quoted is not None
        assert quoted.group(1) in re.sub(r"\s+", "", PLAN)


def test_shipped_csv_matches_the_documented_rule(derived: pd.DataFrame) -> None:
    shipped = load_sector_fit()
    merged = derived.merge(shipped, on=["sector_id", "zone_id"], suffixes=("", "_shipped"))
    assert len(merged) == len(derived)
    diff = merged.loc[merged["grade"] != merged["grade_shipped"]]
    assert diff.empty, diff[["sector_id", "zone_id", "grade", "grade_shipped"]]


def test_fit_grade_and_unknown_sector() -> None:
    fit = load_sector_fit()
    assert fit_grade("nm_synthetic", "jiulong_a", fit=fit) == "primary"
    assert fit_grade("nm_synthetic", "gaofeng", fit=fit) == "not_listed"
    with pytest.raises(WzgeoError, match="unknown sector 'steel'"):
        fit_for_sector(fit, "steel")


def test_broken_fit_file_names_row_and_column(tmp_path: Path, derived: pd.DataFrame) -> None:
    bad = derived.copy()
    bad.loc[3, "grade"] = "good"
    path = write_sector_fit(bad, tmp_path / "fit.csv")
    with pytest.raises(DataFileError, match=r"row 4, column 'grade'"):
        load_sector_fit(path)
    dup = pd.concat([derived, derived.iloc[[0]]], ignore_index=True)
    path = write_sector_fit(dup, tmp_path / "dup.csv")
    with pytest.raises(DataFileError, match="appears twice"):
        load_sector_fit(path)
    missing = derived.drop(columns=["grade"])
    missing.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(DataFileError, match="missing column grade"):
        load_sector_fit(tmp_path / "m.csv")


def test_unmapped_phrase_is_an_error() -> None:
    text = PLAN.replace("重点发展石材加工", "重点发展航天")
    with pytest.raises(WzgeoError, match="no sector mapping"):
        derive_sector_fit(text, zones=ZONES, sectors=SECTORS)


def test_columns() -> None:
    assert tuple(load_sector_fit().columns) == FIT_COLUMNS


def test_agrees_with_the_phrase_column_of_sectors_csv(derived: pd.DataFrame) -> None:
    """Every focus phrase sectors.csv assigns to a sector makes it primary in that zone."""
    focus = {f.name_zh: f.phrases for f in parse_zone_focus(PLAN)}
    names = dict(zip(ZONES["name_zh"], ZONES["zone_id"], strict=True))
    grade = derived.set_index(["sector_id", "zone_id"])["grade"]
    checked = 0
    for sector, phrases in zip(
        SECTORS["sector_id"], SECTORS["zone_phrases"].fillna(""), strict=True
    ):
        for phrase in [p for p in str(phrases).split(";") if p]:
            for name, listed in focus.items():
                if phrase in listed:
                    assert grade[(sector, names[name])] == "primary", (sector, name, phrase)
                    checked += 1
    assert checked >= 30


def test_edited_csv_is_the_source_of_truth(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from wzgeo.analysis.plotcheck import check_plots

    fit = load_sector_fit()
    edited = fit.copy()
    mask = (edited["sector_id"] == "nm_copper") & (edited["zone_id"] == "gaofeng")
    assert (edited.loc[mask, "grade"] == "not_listed").all()
    edited.loc[mask, "grade"] = "primary"
    path = write_sector_fit(edited, tmp_path / "fit.csv")
    reloaded = load_sector_fit(path)
    assert fit_grade("nm_copper", "gaofeng", fit=reloaded) == "primary"
    zones_geo = gpd.GeoDataFrame(
        {"zone_id": ["gaofeng"], "geometry_quality": ["schematic"]},
        geometry=[box(0, 0, 1000, 1000)],
        crs="EPSG:4545",
    )
    plot = gpd.GeoDataFrame({"plot_id": ["a"]}, geometry=[box(10, 10, 20, 20)], crs="EPSG:4545")
    before = check_plots(plot, zones_geo=zones_geo, sector_id="nm_copper", fit=fit)
    after = check_plots(plot, zones_geo=zones_geo, sector_id="nm_copper", fit=reloaded)
    assert before.table["fit_grade"].iloc[0] == "not_listed"
    assert after.table["fit_grade"].iloc[0] == "primary"


def test_english_reasons_have_no_chinese_and_name_the_zone_in_english(
    derived: pd.DataFrame,
) -> None:
    cjk = re.compile(r"[\u3400-\u9fff]")
    assert not [r for r in derived["reason_en"] if cjk.search(r)]
    english = dict(zip(ZONES["zone_id"], ZONES["name_en"], strict=True))
    for zone, reason in zip(derived["zone_id"], derived["reason_en"], strict=True):
        assert english[zone] in reason
    row = derived.set_index(["sector_id", "zone_id"]).loc[("chemicals", "jiulong_a")]
    assert (
        row["reason_en"] == "Plan Box 12 lists 'chemicals' for Jiulong Park Area A: names chemicals"
    )
    # the shipped table carries the same English reasons (it is the derived table)
    shipped = load_sector_fit()
    assert shipped["reason_en"].tolist() == derived["reason_en"].tolist()

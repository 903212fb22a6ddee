"""Tests for wzgeo.analysis.intensity on small frames (whole-plan tests at the end use the
loaders)."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest

from wzgeo.analysis.intensity import (
    IntensityTargets,
    district_intensity,
    land_basis,
    project_intensity,
    sector_intensity,
    summarise_intensity,
    zone_intensity,
)

PROJECTS = pd.DataFrame(
    {
        "project_id": ["A", "B", "C", "D", "E"],
        "sector_id": ["nm_copper", "nm_aluminium", "auto", "auto", "food"],
        "output_yi": [30.0, 10.0, 5.0, 2.0, 1.0],
        "land_mu": [150.0, 300.0, None, 0.0, None],
        "floor_m2": [None, None, 5000.0, None, None],
        "zone_id": ["gaofeng", "tianzi", "tianzi", "", None],
    }
)
ZONES = pd.DataFrame(
    {
        "zone_id": ["gaofeng", "tianzi"],
        "name_zh": ["高峰园", "天子园"],
        "planned_land_km2": [11.7, 2.6],
    }
)
SECTORS = pd.DataFrame(
    {
        "sector_id": ["new_materials", "nm_copper", "nm_aluminium", "auto", "food_pharma", "food"],
        "parent_id": ["", "new_materials", "new_materials", "", "", "food_pharma"],
    }
)


def test_land_basis_keeps_floor_space_and_no_new_land_apart() -> None:
    assert list(land_basis(PROJECTS)) == ["land", "land", "floor_space", "no_new_land", "unknown"]


def test_project_intensity_units_and_gaps() -> None:
    before = PROJECTS.copy()
    pi = project_intensity(PROJECTS).set_index("project_id")
    pd.testing.assert_frame_equal(PROJECTS, before)  # input not mutated
    # A: 30 亿 on 150 亩 = 0.1 km² -> 300 亿/km² = 2000 万元/亩
    assert pi.loc["A", "intensity_yi_per_km2"] == pytest.approx(30 / (150 / 1500))
    assert pi.loc["A", "intensity_wan_per_mu"] == pytest.approx(30 * 10000 / 150)
    # B: 10 亿 on 0.2 km² = 50 exactly: meets 2025, below 2035 by 20; needs 14-10 = 4 亿 more
    assert not pi.loc["B", "below_2025"]
    assert bool(pi.loc["B", "below_2035"])
    assert pi.loc["B", "gap_2035_yi_per_km2"] == pytest.approx(20.0)
    assert pi.loc["B", "extra_output_2035_yi"] == pytest.approx(70 * 0.2 - 10)
    for pid in ("C", "D", "E"):
        assert math.isnan(pi.loc[pid, "intensity_yi_per_km2"])
        assert pd.isna(pi.loc[pid, "below_2025"])


def test_summary_never_mixes_floor_space_into_land_intensity() -> None:
    s = summarise_intensity(PROJECTS).iloc[0]
    assert s["land_km2"] == pytest.approx(450 / 1500)
    assert s["output_land_yi"] == pytest.approx(40.0)
    assert s["intensity_yi_per_km2"] == pytest.approx(40.0 / 0.3)
    assert s["output_floor_space_yi"] == pytest.approx(5.0)
    assert s["floor_m2"] == pytest.approx(5000.0)
    assert s["output_no_new_land_yi"] == pytest.approx(2.0)
    assert s["n_unknown"] == 1


def test_zone_intensity_over_planned_land_with_baseline() -> None:
    z = zone_intensity(PROJECTS, ZONES).set_index("zone_id")
    assert z.loc["tianzi", "output_land_yi"] == pytest.approx(10.0)  # C is floor space
    assert z.loc["tianzi", "output_floor_space_yi"] == pytest.approx(5.0)
    assert z.loc["tianzi", "intensity_yi_per_km2"] == pytest.approx(10.0 / 2.6)
    assert z.loc["gaofeng", "extra_output_2025_yi"] == pytest.approx(50 * 11.7 - 30)
    assert z.loc["gaofeng", "baseline_2020_yi_per_km2"] == pytest.approx(260.5 / 25.5)
    assert z["area_km2_measured"].isna().all()


def test_zone_intensity_measured_only_for_official_geometry() -> None:
    geo = gpd.GeoDataFrame(
        {
            "zone_id": ["gaofeng", "tianzi"],
            "geometry_quality": ["official", "schematic"],
            "area_km2_measured": [10.0, 2.6],
        },
        geometry=[None, None],
        crs="EPSG:4326",
    )
    z = zone_intensity(PROJECTS, ZONES, zones_geo=geo).set_index("zone_id")
    assert z.loc["gaofeng", "intensity_measured_yi_per_km2"] == pytest.approx(3.0)
    assert math.isnan(z.loc["tianzi", "intensity_measured_yi_per_km2"])
    assert "schematic" in z.loc["tianzi", "measured_note"]


def test_zone_intensity_uses_given_locations() -> None:
    loc = pd.DataFrame(
        {"project_id": ["A", "B"], "zone_id": ["tianzi", "tianzi"], "location_label": ["plan"] * 2}
    )
    z = zone_intensity(PROJECTS, ZONES, locations=loc).set_index("zone_id")
    assert z.loc["tianzi", "output_land_yi"] == pytest.approx(40.0)
    assert z.loc["gaofeng", "output_land_yi"] == 0


def test_district_rows() -> None:
    d = district_intensity(PROJECTS, zones=ZONES).set_index("basis")
    assert d.loc["land_need", "intensity_yi_per_km2"] == pytest.approx(40 / 0.3)
    assert d.loc["planned_zones", "area_km2"] == pytest.approx(14.3)
    assert d.loc["target_land_2025", "extra_output_2025_yi"] == pytest.approx(50 * 20 - 40)
    assert d.loc["baseline_2020", "intensity_yi_per_km2"] == pytest.approx(260.5 / 25.5)


def test_district_rows_with_no_projects() -> None:
    # a filter that matches nothing must give zero output and no intensity, not an error
    d = district_intensity(PROJECTS.iloc[0:0], zones=ZONES).set_index("basis")
    assert d.loc["land_need", "output_yi"] == 0
    assert math.isnan(d.loc["land_need", "intensity_yi_per_km2"])
    assert d.loc["target_land_2025", "extra_output_2025_yi"] == pytest.approx(50 * 20)


def test_sector_rollup_to_parent() -> None:
    s = sector_intensity(PROJECTS, sectors=SECTORS)
    top = s.loc[s["level"] == "sector"].set_index("sector_id")
    assert top.loc["new_materials", "output_land_yi"] == pytest.approx(40.0)
    sub = s.loc[s["level"] == "subsector"].set_index("sector_id")
    assert sub.loc["nm_copper", "intensity_yi_per_km2"] == pytest.approx(300.0)


def test_targets_from_table() -> None:
    t = pd.DataFrame(
        {
            "metric": [
                "land_intensity_yi_per_km2",
                "land_intensity_yi_per_km2",
                "etdz_output_yi",
                "etdz_builtup_km2",
                "etdz_builtup_km2",
                "industrial_land_km2",
                "industrial_land_km2",
            ],
            "year": [2025, 2035, 2020, 2015, 2020, 2025, 2035],
            "value": [50, 70, 260.5, 12.0, 25.5, 20, 35],
            "kind": ["target", "target", "baseline", "baseline", "baseline", "target", "target"],
        }
    )
    got = IntensityTargets.from_table(t)
    assert got == IntensityTargets()
    with pytest.raises(ValueError, match="lacks etdz_output_yi"):
        IntensityTargets.from_table(t.iloc[[0, 1]])


# --------------------------------------------------------------------------------------------
# whole plan: facts computed here from the plan text, independently of the extraction
# --------------------------------------------------------------------------------------------


def _appendix_pairs() -> list[tuple[float, float]]:
    """(output 亿元, land 亩) of every project row of the appendix that states land in 亩.

    Read straight from the text: rows whose first cell is a sequence number; the output is
    the 6th cell, the land the 8th. A merged row holds two values per cell; they pair up.
    """
    import re

    from wzgeo.paths import seed_plan_path

    text = seed_plan_path().read_text(encoding="utf-8")
    start = text.index("重点产业项目库\n")
    pairs = []
    for line in text[start:].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 9 or not cells[0].isdigit():
            continue
        outputs = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", cells[5])]
        lands = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)亩", cells[7])]
        if lands:
            assert len(outputs) == len(lands), line
            pairs.extend(zip(outputs, lands, strict=True))
    return pairs


@pytest.fixture(scope="module")
def plan_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from wzgeo.plan import data as plandata

    return (
        plandata.load_projects(),
        plandata.load_zones(),
        plandata.load_targets(),
        plandata.load_sectors(),
    )


def test_plan_total_land_need_in_km2(plan_tables: tuple[pd.DataFrame, ...]) -> None:
    projects, zones, targets, _ = plan_tables
    expected_mu = sum(land for _, land in _appendix_pairs())
    d = district_intensity(
        projects, zones=zones, targets=IntensityTargets.from_table(targets)
    ).set_index("basis")
    assert d.loc["land_need", "area_km2"] == pytest.approx(expected_mu / 1500)
    assert d.loc["planned_zones", "area_km2"] == pytest.approx(
        sum(float(v) for v in zones["planned_land_km2"])
    )


def test_plan_projects_below_50(plan_tables: tuple[pd.DataFrame, ...]) -> None:
    projects = plan_tables[0]
    expected = sorted((o, m) for o, m in _appendix_pairs() if o / (m / 1500) < 50)
    assert expected  # the plan has some
    pi = project_intensity(projects)
    below = pi.loc[pi["below_2025"].fillna(False).astype(bool)]
    assert sorted(zip(below["output_yi"], below["land_mu"], strict=True)) == expected


def test_plan_sector_and_zone_tables_are_consistent(plan_tables: tuple[pd.DataFrame, ...]) -> None:
    projects, zones, targets, sectors = plan_tables
    t = IntensityTargets.from_table(targets)
    s = sector_intensity(projects, sectors=sectors, targets=t)
    top = s.loc[s["level"] == "sector"]
    assert top["n_projects"].sum() == len(projects)
    assert top["output_land_yi"].sum() == pytest.approx(
        summarise_intensity(projects).iloc[0]["output_land_yi"]
    )
    z = zone_intensity(projects, zones, targets=t)
    assert len(z) == len(zones)
    assert list(z["baseline_2020_yi_per_km2"]) == pytest.approx([260.5 / 25.5] * len(z))

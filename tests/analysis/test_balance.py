"""Tests for wzgeo.analysis.balance: locations with labels, zone and sector balance."""

from __future__ import annotations

import pandas as pd
import pytest

from wzgeo.analysis.balance import locate_projects, project_fits, sector_balance, zone_balance
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.errors import WzgeoError

ZONES = pd.DataFrame(
    {
        "zone_id": ["xintian_b", "lihe", "gaofeng"],
        "name_zh": ["新田园B区", "李河中小企业集聚区", "高峰园"],
        "planned_land_km2": [1.2, 1.7, 11.7],
    }
)
PROJECTS = pd.DataFrame(
    {
        "project_id": ["BM1", "BM2", "F1", "F2"],
        "sector_id": ["nm_building", "nm_building", "food", "food"],
        "land_mu": [3000.0, 800.0, None, 100.0],
        "floor_m2": [None, None, 5000.0, None],
        "zone_id": ["xintian_b", None, None, "gaofeng"],
    }
)


def test_3000_mu_project_cannot_fit_a_1_2_km2_zone() -> None:
    f = project_fits(PROJECTS, ZONES).set_index("project_id")
    assert 1.2 * 1500 < 3000  # 1.2 km² is 1800 亩
    assert "xintian_b" not in f.loc["BM1", "zones_large_enough"].split(";")
    b = zone_balance(PROJECTS, ZONES).set_index("zone_id")
    assert b.loc["xintian_b", "supply_mu"] == pytest.approx(1800.0)
    assert bool(b.loc["xintian_b", "overflow"])
    assert b.loc["xintian_b", "oversize_projects"] == "BM1"
    assert b.loc["xintian_b", "utilisation_pct"] == pytest.approx(100 * 3000 / 1800)
    assert not bool(b.loc["gaofeng", "overflow"])


def test_floor_space_is_not_land_need() -> None:
    loc = locate_projects(
        PROJECTS,
        zones=ZONES,
        assignments=pd.DataFrame({"project_id": ["F1"], "zone_id": ["gaofeng"]}),
    )
    b = zone_balance(PROJECTS, ZONES, locations=loc).set_index("zone_id")
    assert b.loc["gaofeng", "need_mu"] == pytest.approx(100.0)
    assert b.loc["gaofeng", "floor_m2"] == pytest.approx(5000.0)
    assert b.loc["gaofeng", "n_projects"] == 2


def test_labels_and_precedence() -> None:
    sug = pd.DataFrame({"project_id": ["BM1", "BM2"], "zone_id": ["lihe", "lihe"]})
    asg = pd.DataFrame({"project_id": ["F2"], "zone_id": ["lihe"]})
    loc = locate_projects(PROJECTS, zones=ZONES, assignments=asg, suggestions=sug)
    loc = loc.set_index("project_id")
    assert loc.loc["BM1", "location_label"] == "plan"  # suggestion never overrides the plan
    assert loc.loc["BM1", "zone_id"] == "xintian_b"
    assert loc.loc["BM2", "location_label"] == "suggested"
    assert loc.loc["F2", "location_label"] == "assigned"
    assert loc.loc["F2", "plan_zone_id"] == "gaofeng"
    assert loc.loc["F1", "location_label"] == "unlocated"
    b = zone_balance(PROJECTS, ZONES, locations=loc.reset_index()).set_index("zone_id")
    assert b.loc["lihe", "need_suggested_mu"] == pytest.approx(800.0)
    assert b.loc["lihe", "need_assigned_mu"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"project_id": ["XX-01"], "zone_id": ["lihe"]}), "does not exist"),
        (pd.DataFrame({"project_id": ["BM1"], "zone_id": ["mars"]}), "zone 'mars'"),
        (
            pd.DataFrame({"project_id": ["BM1", "BM1"], "zone_id": ["lihe", "gaofeng"]}),
            "more than once",
        ),
        (pd.DataFrame({"project": ["BM1"]}), "lack column project_id"),
    ],
    ids=["unknown-project", "unknown-zone", "duplicate", "no-column"],
)
def test_bad_assignments(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(WzgeoError, match=message):
        locate_projects(PROJECTS, zones=ZONES, assignments=table)


def test_sector_balance_supply_is_fitting_zones() -> None:
    fit = load_sector_fit()
    s = sector_balance(PROJECTS, ZONES, fit).set_index("sector_id")
    # nm_building is primary in xintian_b and lihe (专栏12), both in ZONES
    assert s.loc["nm_building", "supply_primary_km2"] == pytest.approx(1.2 + 1.7)
    assert s.loc["nm_building", "need_km2"] == pytest.approx(3800 / 1500)
    assert not bool(s.loc["nm_building", "overflow"])
    assert s.loc["food", "floor_m2"] == pytest.approx(5000.0)


def test_whole_plan_3000_mu_building_materials_project() -> None:
    from wzgeo.plan import data as plandata

    projects, zones = plandata.load_projects(), plandata.load_zones()
    big = projects.loc[pd.to_numeric(projects["land_mu"]) >= 3000]
    assert len(big) == 1 and big["sector_id"].iloc[0] == "nm_building"
    f = project_fits(projects, zones).set_index("project_id").loc[big["project_id"].iloc[0]]
    small = zones.loc[pd.to_numeric(zones["planned_land_km2"]) * 1500 < 3000, "zone_id"]
    assert "xintian_b" in set(small)
    assert not set(f["zones_large_enough"].split(";")) & set(small)
    s = sector_balance(projects, zones, load_sector_fit(), sectors=plandata.load_sectors())
    assert s.loc[s["level"] == "sector", "n_projects"].sum() == len(projects)

"""Tests for wzgeo.analysis.siting: ranking and a capacity-respecting assignment."""

from __future__ import annotations

import pandas as pd
import pytest

from wzgeo.analysis.balance import locate_projects, zone_balance
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.analysis.siting import assign_projects, rank_candidates, suggest_locations
from wzgeo.errors import WzgeoError

FIT = load_sector_fit()
ZONES = pd.DataFrame(
    {
        "zone_id": ["xintian_b", "lihe", "gaofeng"],
        "name_zh": ["新田园B区", "李河中小企业集聚区", "高峰园"],
        "planned_land_km2": [1.2, 1.7, 11.7],
    }
)


def _projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_id": ["BM1", "BM2", "BM3", "BM4", "F1", "X1"],
            "sector_id": ["nm_building"] * 4 + ["food", "nm_building"],
            "land_mu": [3000.0, 1500.0, 1500.0, 1000.0, None, None],
            "floor_m2": [None, None, None, None, 5000.0, None],
            "zone_id": [None] * 6,
        }
    )


def test_ranking_puts_fitting_zone_with_room_first() -> None:
    r = rank_candidates(_projects(), ZONES, FIT)
    first = r.loc[r["rank"] == 1].set_index("project_id")
    assert first.loc["BM4", "zone_id"] == "lihe"  # primary, most room left
    assert first.loc["BM4", "grade"] == "primary"
    assert first.loc["F1", "zone_id"] == "gaofeng"
    assert pd.isna(first.loc["X1", "fits_remaining"])  # need unknown


@pytest.mark.parametrize("method", ["ilp", "greedy"])
def test_assignment_respects_every_capacity(method: str) -> None:
    p = _projects()
    a = assign_projects(p, ZONES, FIT, method=method).set_index("project_id")
    assert a.loc["BM1", "status"] == "no_capacity"  # 3000 亩 > 1800 and > 2550
    assert a.loc["X1", "status"] == "need_unknown"
    loc = suggest_locations(p, ZONES, FIT, method=method)
    b = zone_balance(p, ZONES, locations=loc)
    assert (b["need_mu"] <= b["supply_mu"] + 1e-9).all()
    placed = a.loc[a["status"] == "placed"]
    assert set(placed["grade"]) <= {"primary", "compatible"}


def test_ilp_places_at_least_as_many_as_greedy() -> None:
    p = _projects()
    ilp = assign_projects(p, ZONES, FIT, method="ilp")
    greedy = assign_projects(p, ZONES, FIT, method="greedy")
    assert (ilp["status"] == "placed").sum() >= (greedy["status"] == "placed").sum()
    # 1500+1000 fit lihe (2550), 1500 fits xintian_b (1800): all three can be placed
    assert set(ilp.loc[ilp["status"] == "placed", "project_id"]) >= {"BM2", "BM3", "BM4"}


def test_plan_and_assigned_projects_are_never_moved() -> None:
    p = _projects()
    p.loc[p["project_id"] == "BM2", "zone_id"] = "xintian_b"
    asg = pd.DataFrame({"project_id": ["BM3"], "zone_id": ["lihe"]})
    loc = suggest_locations(p, ZONES, FIT, assignments=asg).set_index("project_id")
    assert loc.loc["BM2", ["zone_id", "location_label"]].tolist() == ["xintian_b", "plan"]
    assert loc.loc["BM3", ["zone_id", "location_label"]].tolist() == ["lihe", "assigned"]
    # remaining: xintian_b 300, lihe 1050 -> BM4 (1000) can only go to lihe
    assert loc.loc["BM4", ["zone_id", "location_label"]].tolist() == ["lihe", "suggested"]
    base = locate_projects(p, zones=ZONES, assignments=asg)
    ranked = rank_candidates(p, ZONES, FIT, locations=base)
    assert not ranked["project_id"].isin(["BM2", "BM3"]).any()


def test_unknown_method() -> None:
    with pytest.raises(WzgeoError, match="unknown method"):
        assign_projects(_projects(), ZONES, FIT, method="magic")


def test_whole_plan_assignment() -> None:
    from wzgeo.plan import data as plandata

    projects, zones = plandata.load_projects(), plandata.load_zones()
    loc = suggest_locations(projects, zones, FIT)
    assert set(loc["location_label"]) <= {"plan", "suggested", "unlocated"}
    # the plan's own locations are kept
    planned = projects.loc[projects["zone_id"].notna(), ["project_id", "zone_id"]]
    kept = loc.set_index("project_id").loc[planned["project_id"], "zone_id"]
    assert list(kept) == list(planned["zone_id"])
    b = zone_balance(projects, zones, locations=loc)
    assert (b["need_mu"] <= b["supply_mu"] + 1e-6).all()
    # total land need of the pipeline (~21 000 亩) is below the zones' 37.5 km² (56 250 亩):
    # every project with a land need and a fitting zone is placed
    status = loc.set_index("project_id")["suggestion_status"].dropna()
    assert (status != "no_capacity").all()


def test_suggest_zones_adds_columns_without_touching_the_plan_zone() -> None:
    from wzgeo.analysis.siting import suggest_zones

    p = _projects()
    p.loc[p["project_id"] == "BM2", "zone_id"] = "xintian_b"
    out = suggest_zones(p, ZONES, fit=FIT).set_index("project_id")
    assert out.loc["BM2", "zone_id"] == "xintian_b"
    assert out.loc["BM2", "location_label"] == "plan"
    assert pd.isna(out.loc["BM2", "suggested_zone_ids"])
    assert out.loc["BM4", "suggested_zone_ids"].split(";")[0] == "lihe"
    assert out.loc["BM4", "location_label"] == "suggested"


def test_plan_candidates_narrow_the_choice() -> None:
    p = _projects().assign(zone_candidates=[None, None, None, "xintian_b;gaofeng", None, None])
    r = rank_candidates(p, ZONES, FIT)
    assert set(r.loc[r["project_id"] == "BM4", "zone_id"]) == {"xintian_b", "gaofeng"}
    alone = p.loc[p["project_id"] == "BM4"]
    a = assign_projects(alone, ZONES, FIT).set_index("project_id")
    assert a.loc["BM4", "zone_id"] == "xintian_b"  # lihe ranks first without the narrowing

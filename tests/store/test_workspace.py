"""The workspace: shipped tables with the saved work overlaid (what every analysis reads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import box

from wzgeo.geo import crs
from wzgeo.store.core import StoreError, open_store
from wzgeo.store.overlays import land_rule_id
from wzgeo.store.workspace import load_workspace, store_for_reading


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


def test_shipped_data_only_when_no_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "absent.sqlite"))
    ws = load_workspace()
    assert ws.store_path is None
    assert not (tmp_path / "absent.sqlite").exists()  # reading never creates a store
    assert len(ws.projects) == 135 and len(ws.zones) == 13
    assert ws.assignments.empty
    assert "official" not in set(ws.zones_geo["geometry_quality"])


def test_explicit_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No saved-work store at"):
        store_for_reading(tmp_path / "nope.sqlite")


def test_saved_work_is_overlaid(store_path: Path) -> None:
    store = open_store(store_path)
    store.assign("NM-CU-01", "gaofeng", by="tester", why="negotiated")
    # a 1 km x 2 km official boundary for 五桥园, given in CGCS2000 GK zone 36
    square = box(520_000, 3_405_000, 521_000, 3_407_000)
    import geopandas as gpd

    official = gpd.GeoSeries([square], crs=crs.GK36).to_crs(crs.WGS84).iloc[0]
    store.set_zone_boundary("wuqiao", official, source="test.geojson", by="tester", why="official")
    store.set_sector_fit("auto", "wuqiao", "primary", by="tester", why="decision")
    rid = land_rule_id("building_coverage_pct", "*", "2008")
    store.set_land_rule(rid, {"threshold": 40.0}, by="tester", why="local rule")

    ws = load_workspace(store_path=store_path)
    assert ws.store_path == store_path
    assert ws.assignments.set_index("project_id").loc["NM-CU-01", "zone_id"] == "gaofeng"
    wuqiao = ws.zones_geo.set_index("zone_id").loc["wuqiao"]
    assert wuqiao["geometry_quality"] == "official"
    assert wuqiao["area_km2_measured"] == pytest.approx(2.0, rel=1e-3)
    fit = ws.fit.set_index(["sector_id", "zone_id"]).loc[("auto", "wuqiao")]
    assert fit["grade"] == "primary" and fit["grade_source"] == "user edit"
    rule = ws.rules.set_index(["indicator", "gbt4754_code", "edition"]).loc[
        ("building_coverage_pct", "*", "2008")
    ]
    assert float(rule["threshold"]) == 40.0
    assert "1 assignments" in ws.describe("en")

    shipped = load_workspace(use_store=False)
    assert shipped.store_path is None
    assert shipped.zones_geo.set_index("zone_id").loc["wuqiao", "geometry_quality"] == "schematic"


def test_landclass_edits_are_overlaid_with_the_shipped_value_kept(store_path: Path) -> None:
    from wzgeo.analysis.landuse import load_landclass
    from wzgeo.store.workspace import effective_landclass

    shipped = load_landclass().set_index("sector_id")["required_class"]
    assert shipped["food"] == "2" and shipped["lighting"] == ""  # as written in the csv
    store = open_store(store_path)
    store.set_sector_landclass("food", 3, by="alice", why="环评")
    store.set_sector_landclass("lighting", "一类", by="bob", why="组装")
    store.set_sector_landclass("pharma", "none", by="bob", why="待定")
    table = load_workspace(store_path=store_path).landclass.set_index("sector_id")
    assert table.loc["food", ["required_class", "plan_required_class", "class_source"]
                     ].tolist() == ["3", "2", "user edit"]  # fmt: skip
    assert table.loc["lighting", "required_class"] == "1"
    assert table.loc["pharma", "required_class"] == ""
    assert (table.loc["food", "edited_by"], table.loc["food", "edited_why"]) == ("alice", "环评")
    others = table.drop(index=["food", "lighting", "pharma"])
    assert (others["class_source"] == "shipped").all()
    assert (others["required_class"] == shipped.drop(["food", "lighting", "pharma"])).all()
    assert "3 land-class edits" in load_workspace(store_path=store_path).describe("en")
    assert len(effective_landclass(None)) == len(shipped)
    assert load_workspace(use_store=False).landclass["required_class"].tolist() == list(shipped)

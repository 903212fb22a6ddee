"""Tests for wzgeo.analysis.plotcheck on hand-made zones (metres in EPSG:4545) and the shipped
zones."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from wzgeo.analysis.plotcheck import SCHEMATIC_NOTE, check_plots
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.errors import CRSError, WzgeoError

FIT = load_sector_fit()
SECTORS = pd.DataFrame({"sector_id": ["nm_synthetic"], "gbt4754_codes": ["26;29"]})
ZONES_GEO = gpd.GeoDataFrame(
    {
        "zone_id": ["jiulong_a", "gaofeng", "longju"],
        "geometry_quality": ["schematic", "official", "not_located"],
    },
    geometry=[box(530000, 3400000, 532000, 3402000), box(540000, 3400000, 541000, 3401000), None],
    crs="EPSG:4545",
).to_crs("EPSG:4326")
PROJECTS = pd.DataFrame(
    {
        "project_id": ["NM-SY-01"],
        "sector_id": ["nm_synthetic"],
        "output_yi": [75.0],
        "investment_yi": [50.0],
        "tax_yi": [3.5],
        "land_mu": [300.0],
    }
)


def _plots(crs: str = "EPSG:4545") -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(
        {"plot_id": ["p1", "p2", "p3", "p4", "p5"]},
        geometry=[
            box(531000, 3401000, 531100, 3401100),  # inside jiulong_a
            box(531050, 3401050, 531150, 3401150),  # overlaps p1
            box(531950, 3400500, 532050, 3400600),  # half in jiulong_a
            box(535000, 3400000, 535100, 3400100),  # outside, 3 km east of jiulong_a
            box(540100, 3400100, 540200, 3400200),  # inside gaofeng (official)
        ],
        crs="EPSG:4545",
    )
    return g.to_crs(crs)


@pytest.mark.parametrize(
    "crs", ["EPSG:4545", "EPSG:4326", "EPSG:4524"], ids=["gk", "wgs", "gk-zone"]
)
def test_areas_in_all_units_whatever_the_crs(crs: str) -> None:
    t = check_plots(_plots(crs), zones_geo=ZONES_GEO).table.set_index("plot_id")
    assert t.loc["p1", "area_m2"] == pytest.approx(10_000, rel=1e-6)
    assert t.loc["p1", "area_mu"] == pytest.approx(15.0, rel=1e-6)
    assert t.loc["p1", "area_ha"] == pytest.approx(1.0, rel=1e-6)
    assert t.loc["p1", "area_km2"] == pytest.approx(0.01, rel=1e-6)


def test_zones_shares_fit_and_distance() -> None:
    before = _plots()
    check = check_plots(before, zones_geo=ZONES_GEO, sector_id="nm_synthetic", fit=FIT)
    t = check.table.set_index("plot_id")
    assert t.loc["p1", "zone_id"] == "jiulong_a"
    assert "zone_name_zh" not in t.columns
    assert t.loc["p1", "fit_grade"] == "primary"
    assert "化工" in t.loc["p1", "fit_reason_zh"]
    assert t.loc["p3", "zone_share_pct"] == pytest.approx(50.0, rel=1e-6)
    assert t.loc["p5", "fit_grade"] == "not_listed"
    assert t.loc["p4", "fit_grade"] == "unknown"  # longju has no known location
    assert "longju" in t.loc["p4", "fit_reason_zh"]
    # nearest zone that fits nm_synthetic is jiulong_a (gaofeng is nearer but does not fit)
    assert t.loc["p4", "nearest_fitting_zone_id"] == "jiulong_a"
    assert t.loc["p4", "distance_to_fitting_zone_m"] == pytest.approx(3000.0, abs=0.5)
    assert pd.isna(t.loc["p1", "distance_to_fitting_zone_m"])
    assert t.loc["p1", "overlapping_plots"] == "p2"
    assert t.loc["p2", "overlapping_plots"] == "p1"
    assert t.loc["p3", "n_overlapping_plots"] == 0
    # schematic zones are said to be schematic; official ones are not
    assert t.loc["p1", "geometry_note"] == SCHEMATIC_NOTE
    assert t.loc["p5", "geometry_note"] == ""
    assert any("longju" in n for n in check.notes)
    pd.testing.assert_frame_equal(before, _plots())


def test_notes_come_in_each_language() -> None:
    """Each note as "中文 / English" and separately per language (report JSON too)."""
    import re

    check = check_plots(_plots(), zones_geo=ZONES_GEO, sector_id="nm_synthetic", fit=FIT)
    assert len(check.notes) >= 2  # longju not located, schematic zones
    pairs = zip(check.notes_zh, check.notes_en, strict=True)
    assert check.notes == [f"{z} / {e}" for z, e in pairs]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert all(cjk.search(z) for z in check.notes_zh)
    assert not any(cjk.search(e) for e in check.notes_en)
    report = check.to_dict()
    assert (report["notes_zh"], report["notes_en"]) == (check.notes_zh, check.notes_en)
    assert any("longju" in z for z in report["notes_zh"])


def test_outside_when_every_zone_is_located() -> None:
    located = ZONES_GEO.iloc[:2]
    t = check_plots(_plots(), zones_geo=located, sector_id="nm_synthetic", fit=FIT).table
    assert t.set_index("plot_id").loc["p4", "fit_grade"] == "outside"


def test_project_intensity_and_indicators() -> None:
    plots = _plots().iloc[[0]]
    check = check_plots(
        plots,
        zones_geo=ZONES_GEO,
        project_id="NM-SY-01",
        projects=PROJECTS,
        fit=FIT,
        sectors=SECTORS,
    )
    t = check.table.iloc[0]
    assert check.sector_id == "nm_synthetic"
    assert t["intensity_yi_per_km2"] == pytest.approx(75.0 / 0.01, rel=1e-6)
    ind = check.indicators.set_index(["indicator", "edition"])["result"]
    assert ind[("output_intensity_yi_per_km2", "plan_2025")] == "pass"
    assert ind[("plot_ratio", "2008")] == "unknown"  # no value given
    assert ind[("investment_intensity_wan_per_mu", "")] == "unknown"  # no rule
    report = check.to_dict()
    json.dumps(report)
    assert report["plots"][0]["zones"][0]["zone_id"] == "jiulong_a"


def test_plot_ratio_column_feeds_the_indicator() -> None:
    plots = _plots().iloc[[0]].assign(plot_ratio=1.2)
    check = check_plots(
        plots,
        zones_geo=ZONES_GEO,
        project_id="NM-SY-01",
        projects=PROJECTS,
        fit=FIT,
        sectors=SECTORS,
    )
    ind = check.indicators.set_index(["indicator", "edition"])["result"]
    assert ind[("plot_ratio", "2008")] == "pass"  # >= 0.6, 0.8 and 1.0


def test_errors() -> None:
    with pytest.raises(CRSError):
        check_plots(_plots().set_crs(None, allow_override=True), zones_geo=ZONES_GEO)
    with pytest.raises(WzgeoError, match="unknown sector"):
        check_plots(_plots(), zones_geo=ZONES_GEO, sector_id="steel", fit=FIT)
    with pytest.raises(WzgeoError, match="unknown project id"):
        check_plots(_plots(), zones_geo=ZONES_GEO, project_id="XX-01", projects=PROJECTS, fit=FIT)
    dup = _plots().assign(plot_id="same")
    with pytest.raises(WzgeoError, match="not unique"):
        check_plots(dup, zones_geo=ZONES_GEO)


def test_shipped_zones_plot_in_lihe_fits_building_materials() -> None:
    from wzgeo.geo.zonegeom import load_zone_geometry

    zg = load_zone_geometry()
    lihe = zg.loc[zg["zone_id"] == "lihe"]
    centre = lihe.to_crs("EPSG:4545").geometry.iloc[0].representative_point()
    plot = gpd.GeoDataFrame(
        {"plot_id": ["x"]},
        geometry=[box(centre.x - 50, centre.y - 50, centre.x + 50, centre.y + 50)],
        crs="EPSG:4545",
    )
    from wzgeo.plan.data import load_zones

    t = check_plots(plot, zones_geo=zg, zones=load_zones(), sector_id="nm_building").table.iloc[0]
    assert t["zone_id"] == "lihe"
    assert t["zone_name_zh"] == "李河中小企业集聚区"
    assert t["fit_grade"] == "primary"
    assert t["zone_geometry_quality"] == lihe["geometry_quality"].iloc[0]


def test_pruned_nearest_equals_brute_force() -> None:
    import numpy as np
    import shapely

    from wzgeo.analysis.plotcheck import _nearest

    rng = np.random.default_rng(1)
    zones = np.array(
        [
            shapely.Point(0, 0).buffer(1000),
            box(5000, 0, 9000, 300),  # long thin zone: centre far from its ends
            shapely.Point(3000, 6000).buffer(400),
        ]
    )
    x, y = rng.uniform(-8000, 15000, 500), rng.uniform(-8000, 12000, 500)
    geoms = shapely.box(x, y, x + 50, y + 80)
    k, d = _nearest(geoms, zones)
    brute = np.stack([shapely.distance(geoms, z) for z in zones], axis=1)
    assert np.allclose(d, brute.min(axis=1))
    assert (brute[np.arange(len(geoms)), k] == brute.min(axis=1)).all()


def test_invalid_geometry_is_repaired_and_said() -> None:
    from shapely.geometry import Polygon

    bowtie = Polygon([(531000, 3401000), (531100, 3401100), (531100, 3401000), (531000, 3401100)])
    plots = gpd.GeoDataFrame({"plot_id": ["bow"]}, geometry=[bowtie], crs="EPSG:4545")
    check = check_plots(plots, zones_geo=ZONES_GEO)
    t = check.table.iloc[0]
    assert bool(t["geometry_repaired"])
    assert t["area_m2"] == pytest.approx(5000.0, rel=1e-6)  # two triangles, not 0
    assert any("repaired" in n for n in check.notes)
    empty = gpd.GeoDataFrame({"plot_id": ["e"]}, geometry=[None], crs="EPSG:4545")
    with pytest.raises(WzgeoError, match="no geometry"):
        check_plots(empty, zones_geo=ZONES_GEO)


def test_plot_names_from_the_file_are_kept_beside_the_ids() -> None:
    plots = _plots().assign(name=["东地块", None, "c", "d", "e"])
    check = check_plots(plots, zones_geo=ZONES_GEO)
    assert list(check.table.columns[:2]) == ["plot_id", "plot_name"]
    assert check.table["plot_name"].tolist() == ["东地块", "", "c", "d", "e"]
    assert check.to_dict()["plots"][0]["plot_name"] == "东地块"
    assert "plot_name" not in check_plots(_plots(), zones_geo=ZONES_GEO).table.columns

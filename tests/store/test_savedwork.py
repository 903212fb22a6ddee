"""wzgeo.store.savedwork: official boundary uploads (read, merge, measure) and saved-plot
summaries."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping

from wzgeo.errors import InputFileError
from wzgeo.store.savedwork import planned_zone_areas_km2, read_zone_boundary, saved_plots_table

WEST = box(108.40, 30.80, 108.41, 30.81)
EAST = box(108.41, 30.80, 108.42, 30.81)


def _collection(*features: tuple[object, dict[str, object]]) -> bytes:
    feats = [{"type": "Feature", "properties": p, "geometry": mapping(g)} for g, p in features]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode("utf-8")


def _km2(*geoms: object) -> float:
    return float(gpd.GeoSeries(list(geoms), crs=4326).to_crs(4545).area.sum()) / 1e6


def test_parcels_of_the_zone_are_merged_and_measured() -> None:
    elsewhere = box(108.5, 30.9, 108.51, 30.91)
    data = _collection(
        (WEST, {"zone_id": "lihe"}), (EAST, {"zone_id": "lihe"}), (elsewhere, {"zone_id": "tianzi"})
    )
    found = read_zone_boundary(data, zone_id="lihe", filename="redlines.geojson", planned_km2=1.7)
    assert found.n_polygons == 2 and found.source == "redlines.geojson"
    assert found.boundary.crs == "EPSG:4326"
    assert found.boundary.geometry.iloc[0].symmetric_difference(WEST.union(EAST)).area < 1e-12
    assert found.area_km2_measured == pytest.approx(_km2(WEST, EAST), rel=1e-6)
    assert found.area_pct_of_planned == pytest.approx(100 * _km2(WEST, EAST) / 1.7)
    assert not found.warnings  # ~2.1 km² against 1.7 km²: plausible
    assert "planned 1.70 km²" in found.describe("en") and "规划 1.70 km²" in found.describe("zh")


def test_projected_coordinates_with_a_given_crs() -> None:
    projected = gpd.GeoSeries([WEST], crs=4326).to_crs(4545).iloc[0]
    data = _collection((projected, {}))
    found = read_zone_boundary(data, zone_id="gaofeng", filename="b.geojson", crs="EPSG:4545")
    assert found.source_crs == "EPSG:4545"
    assert found.boundary.geometry.iloc[0].symmetric_difference(WEST).area < 1e-10
    assert found.area_km2_planned is None and found.area_pct_of_planned is None
    assert "planned area unknown" in found.describe("en")


def test_area_far_from_plan_is_flagged_and_missing_zone_refused() -> None:
    data = _collection((WEST, {}))
    found = read_zone_boundary(data, zone_id="gaofeng", filename="b.geojson", planned_km2=11.7)
    assert len(found.warnings) == 1 and "differs from the planned 11.70 km²" in found.warnings[0]
    with pytest.raises(InputFileError, match="no feature for 'tianzi'"):
        read_zone_boundary(
            _collection((WEST, {"zone_id": "lihe"})), zone_id="tianzi", filename="b.geojson"
        )


def test_saved_plots_table_empty_and_planned_areas() -> None:
    empty = gpd.GeoDataFrame(
        {"plot_id": [], "report": [], "by_user": [], "at": [], "why": [], "version": []},
        geometry=[],
        crs=4326,
    )
    table = saved_plots_table(empty)
    assert table.empty and {"plot_id", "check_result", "area_mu_measured"} <= set(table.columns)
    areas = planned_zone_areas_km2()
    assert areas["gaofeng"] == 11.7 and areas["fenshui"] == 0.5  # docs/ARCHITECTURE.md

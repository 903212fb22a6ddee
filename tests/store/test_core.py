"""wzgeo.store.core: history, versions and conflicts, revert, export/import round trip, overlays."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    ConflictError,
    IdCatalog,
    NotFoundError,
    Store,
    StoreError,
    StoreImportError,
    apply_assignments,
    apply_land_rule_edits,
    apply_sector_fit_edits,
    apply_zone_boundaries,
    default_store_path,
    land_rule_id,
    open_store,
)
from wzgeo.store.transfer import export_store, import_store

IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS,
    frozenset({"NM-CU-01", "AU-12", "EI-10"}),
    DOCUMENTED_SECTOR_IDS,
    source="test ids",
)
BOX = box(108.30, 30.70, 108.32, 30.72)


@pytest.fixture
def store(store_location: str) -> Store:
    """A new store on each backend (SQLite file, PostgreSQL database: tests/store/conftest.py)."""
    return open_store(store_location, ids=IDS)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    """A new SQLite store, for tests that open its file with sqlite3."""
    return open_store(tmp_path / "store.sqlite", ids=IDS)


def test_assign_records_who_when_why_and_survives_reopen(store: Store, tmp_path: Path) -> None:
    c1 = store.assign("AU-12", "gaofeng", by="alice", why="近港口")
    c2 = store.assign("AU-12", "tianzi", by="bob", why="用地更充足")
    assert (c1.version, c2.version) == (1, 2)
    reopened = open_store(store.path, ids=IDS)  # a "restart"
    a = reopened.assignments()
    assert a[["project_id", "zone_id", "by_user", "why", "version"]].values.tolist() == [
        ["AU-12", "tianzi", "bob", "用地更充足", 2]
    ]
    h = reopened.history("AU-12")
    assert h["by_user"].tolist() == ["alice", "bob"]
    assert h["value"].tolist() == ["gaofeng", "tianzi"]
    assert pd.to_datetime(h["at"]).dt.tz is not None  # UTC timestamps


def test_zone_history_includes_assignments_to_that_zone(store: Store) -> None:
    store.assign("AU-12", "gaofeng", by="a", why="w")
    store.assign("EI-10", "wuqiao", by="a", why="w")
    store.set_zone_boundary("gaofeng", BOX, source="gaofeng.shp", by="a", why="official")
    store.set_sector_fit("auto", "gaofeng", "primary", by="a", why="w")
    h = store.history("gaofeng")
    assert set(h["entity_type"]) == {"assignment", "zone_boundary", "sector_fit"}
    assert "EI-10" not in set(h["entity_id"])


@pytest.mark.parametrize(
    ("project", "zone", "match"),
    [
        ("XX-99", "gaofeng", "Unknown project id"),
        ("AU-12", "atlantis", "Unknown zone id"),
    ],
    ids=["bad-project", "bad-zone"],
)
def test_unknown_ids_refused(store: Store, project: str, zone: str, match: str) -> None:
    with pytest.raises(StoreError, match=match):
        store.assign(project, zone, by="a", why="w")
    assert store.counts()["changes"] == 0


def test_documented_pattern_used_without_plan_project_table(tmp_path: Path) -> None:
    s = open_store(tmp_path / "s.sqlite", ids=IdCatalog(DOCUMENTED_ZONE_IDS, None, frozenset()))
    s.assign("NM-CU-07", "lihe", by="a", why="w")
    with pytest.raises(StoreError, match="Unknown project id 'nm-cu-07'"):
        s.assign("nm-cu-07", "lihe", by="a", why="w")


@pytest.mark.parametrize("field", ["by", "why"])
def test_who_and_why_are_required(store: Store, field: str) -> None:
    kwargs = {"by": "alice", "why": "reason", field: "  "}
    with pytest.raises(StoreError, match="must not be empty"):
        store.assign("AU-12", "gaofeng", **kwargs)


def test_stale_expected_version_conflict_shows_current_value(store_location: str) -> None:
    path = store_location
    first, second = open_store(path, ids=IDS), open_store(path, ids=IDS)
    seen1 = first.state("assignment", "AU-12").version
    seen2 = second.state("assignment", "AU-12").version
    assert seen1 == seen2 == 0
    first.assign("AU-12", "gaofeng", by="alice", why="a", expected_version=seen1)
    with pytest.raises(ConflictError) as info:
        second.assign("AU-12", "tianzi", by="bob", why="b", expected_version=seen2)
    err = info.value
    assert (err.current_value, err.by_user, err.current_version) == ("gaofeng", "alice", 1)
    assert "gaofeng" in err.zh and "alice" in err.zh and "Conflict" in err.en
    assert first.assignments()["zone_id"].tolist() == ["gaofeng"]  # not overwritten
    assert len(first.history("AU-12")) == 1


def test_concurrent_writers_exactly_one_wins(store_location: str) -> None:
    path = store_location
    open_store(path, ids=IDS)
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def writer(i: int) -> None:
        s = open_store(path, ids=IDS)
        barrier.wait()
        try:
            s.assign("EI-10", "lihe", by=f"user{i}", why="race", expected_version=0)
            outcome = "ok"
        except ConflictError:
            outcome = "conflict"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    assert open_store(path, ids=IDS).verify().ok


def test_sessions_creating_the_same_new_store_all_succeed(tmp_path: Path) -> None:
    # two commands on a machine without a store yet both create it: neither may take the
    # half-created file for "another SQLite database" (seen as a flaky CLI conflict test)
    failures: list[str] = []
    for attempt in range(15):
        path = tmp_path / f"fresh{attempt}" / "store.sqlite"
        barrier = threading.Barrier(4)

        def opener(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                open_store(path, ids=IDS)
            except StoreError as e:
                failures.append(e.en)

        threads = [threading.Thread(target=opener) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert open_store(path, ids=IDS).verify().ok
    assert failures == []


def test_revert_appends_and_restores(store: Store) -> None:
    store.assign("AU-12", "gaofeng", by="a", why="first")
    c2 = store.assign("AU-12", "tianzi", by="b", why="second")
    r = store.revert(c2.change_id, by="c", why="mistake")
    assert r.reverts_change_id == c2.change_id and r.version == 3
    assert store.assignments()["zone_id"].tolist() == ["gaofeng"]
    assert len(store.history("AU-12")) == 3  # nothing deleted
    # reverting the very first assignment removes it
    c4 = store.assign("EI-10", "lihe", by="a", why="w")
    store.revert(c4.change_id, by="a", why="undo")
    assert "EI-10" not in store.assignments()["project_id"].tolist()
    assert store.state("assignment", "EI-10").version == 2
    assert store.verify().ok


def test_revert_of_older_change_needs_force(store: Store) -> None:
    c1 = store.assign("AU-12", "gaofeng", by="a", why="1")
    store.assign("AU-12", "tianzi", by="b", why="2")
    with pytest.raises(ConflictError, match="changed again after change"):
        store.revert(c1.change_id, by="c", why="x")
    store.revert(c1.change_id, by="c", why="x", force=True)
    assert store.assignments().empty
    with pytest.raises(NotFoundError):
        store.revert(999, by="c", why="x")


def test_changes_log_is_append_only(sqlite_store: Store) -> None:
    store = sqlite_store
    store.assign("AU-12", "gaofeng", by="a", why="w")
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE changes SET by_user = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM changes")
    con.close()


def test_verify_detects_derived_state_tampering(sqlite_store: Store) -> None:
    store = sqlite_store
    store.assign("AU-12", "gaofeng", by="a", why="w")
    assert store.verify().ok
    with sqlite3.connect(store.path) as con:
        con.execute('UPDATE current SET payload = \'{"zone_id": "lihe"}\'')
    check = store.verify()
    assert not check.ok and "differs from the log" in check.problems[0]


def test_verify_detects_log_row_naming_another_entity(sqlite_store: Store) -> None:
    store = sqlite_store
    store.assign("AU-12", "gaofeng", by="a", why="w")
    with sqlite3.connect(store.path) as con:
        con.execute("DROP TRIGGER changes_no_update")
        con.execute("UPDATE changes SET payload = json_set(payload, '$.project_id', 'EI-10')")
    problems = store.verify().problems
    assert any("payload names 'EI-10', not 'AU-12'" in p for p in problems)


def test_plots_boundaries_fit_and_rules_roundtrip_values(store: Store) -> None:
    store.save_plot("地块-1", BOX, {"ok": True, "area_mu": 12.5}, by="a", why="checked")
    gdf = gpd.GeoDataFrame({"x": [1]}, geometry=[BOX], crs=4326).to_crs(4545)
    store.set_zone_boundary("lihe", gdf, source="lihe_official.gpkg", by="a", why="official")
    store.set_sector_fit("auto", "lihe", "compatible", by="a", why="w")
    store.set_land_rule("far_industrial", {"far_min": 1.2, "note": "市规"}, by="a", why="w")
    plots = store.plots()
    assert plots.crs == "EPSG:4326" and plots.loc[0, "report"]["area_mu"] == 12.5
    assert plots.geometry.iloc[0].equals(BOX)
    b = store.zone_boundaries()
    assert b.loc[0, "source"] == "lihe_official.gpkg"
    assert b.geometry.iloc[0].symmetric_difference(BOX).area < 1e-12  # reprojected back
    assert store.sector_fit_edits()["grade"].tolist() == ["compatible"]
    rules = store.land_rule_edits()
    assert rules.loc[0, "far_min"] == 1.2 and rules.loc[0, "note"] == "市规"


@pytest.mark.parametrize(
    ("geometry", "match"),
    [
        (box(500000, 3400000, 500100, 3400100), "look projected"),
        (Point(108.3, 30.7).buffer(0).difference(Point(108.3, 30.7).buffer(1)), "empty"),
        ("POLYGON ((0 0, 1 1))", "must be a shapely geometry"),
        (Point(108.3, 30.7), "must be a Polygon or MultiPolygon"),
    ],
    ids=["projected", "empty", "wkt-string", "point"],
)
def test_bad_geometry_refused(store: Store, geometry: object, match: str) -> None:
    with pytest.raises(StoreError.__mro__[1], match=match):
        store.set_zone_boundary("lihe", geometry, source="x", by="a", why="w")


def test_store_path_env_and_code_tree_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, repo_root: Path
) -> None:
    monkeypatch.setenv("WZGEO_STORE", str(tmp_path / "x.sqlite"))
    assert default_store_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("WZGEO_STORE")
    assert not default_store_path().resolve().is_relative_to(repo_root)
    with pytest.raises(StoreError, match="read-only"):
        open_store(repo_root / "geodata" / "store.sqlite", ids=IDS)


def test_foreign_files_are_not_taken_over_as_stores(tmp_path: Path) -> None:
    gpkg = tmp_path / "parcels.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[BOX], crs=4326).to_file(gpkg)
    before = gpkg.read_bytes()
    with pytest.raises(StoreError, match="another SQLite database"):
        open_store(gpkg, ids=IDS)
    assert gpkg.read_bytes() == before
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, just some text " * 50, encoding="utf-8")
    with pytest.raises(StoreError, match="may not be a wzgeo store"):
        open_store(text, ids=IDS)


def _filled(store: Store) -> None:
    store.assign("AU-12", "gaofeng", by="alice", why="港口")
    c = store.assign("AU-12", "tianzi", by="bob", why="改")
    store.revert(c.change_id, by="alice", why="撤销")
    store.assign("EI-10", "lihe", by="bob", why="w")
    store.save_plot("p1", BOX, {"ok": False, "issues": ["too small"]}, by="a", why="w")
    store.set_zone_boundary("gaofeng", BOX, source="gf.shp", by="a", why="w")
    store.set_sector_fit("auto", "gaofeng", "primary", by="a", why="w")
    store.set_land_rule("r1", {"far_min": 1.0}, by="a", why="w")


def test_export_import_keeps_land_class_edits(store: Store, tmp_path: Path) -> None:
    store.set_sector_landclass("food", 3, by="a", why="环评")
    out = tmp_path / "work.gpkg"
    manifest = export_store(store, out)
    assert manifest["counts"]["sector_landclass"] == 1
    other = open_store(tmp_path / "other.sqlite", ids=IDS)
    import_store(other, out)
    assert other.verify().ok
    assert other.sector_landclass_edits()[["sector_id", "required_class", "why"]
                                          ].values.tolist() == [["food", 3, "环评"]]  # fmt: skip
    edits = pyogrio.read_dataframe(out, layer="sector_landclass_edits")
    assert edits["sector_id"].tolist() == ["food"]


def test_export_import_roundtrip(store: Store, tmp_path: Path) -> None:
    _filled(store)
    out = tmp_path / "work.gpkg"
    manifest = export_store(store, out)
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"zone_boundaries", "plots", "changes", "wzgeo_manifest"} <= layers
    assert manifest["counts"]["changes"] == 8
    other = open_store(tmp_path / "other.sqlite", ids=IDS)
    import_store(other, out)
    assert other.verify().ok
    cols = ["change_id", "entity_type", "entity_id", "version", "op", "payload", "by_user"]
    pd.testing.assert_frame_equal(other.history()[cols], store.history()[cols])
    assert other.zone_boundaries().geometry.iloc[0].equals(BOX)
    pd.testing.assert_frame_equal(other.assignments(), store.assignments())
    # after import the versions continue: a stale write still conflicts
    with pytest.raises(ConflictError):
        other.assign("AU-12", "wuqiao", by="c", why="w", expected_version=1)


def test_import_into_nonempty_store_needs_replace_and_backs_up(
    store: Store, tmp_path: Path
) -> None:
    _filled(store)
    out = tmp_path / "work.gpkg"
    export_store(store, out)
    other = open_store(tmp_path / "other.sqlite", ids=IDS)
    other.assign("EI-10", "wuqiao", by="z", why="local work")
    with pytest.raises(StoreError, match="--replace"):
        import_store(other, out)
    result = import_store(other, out, replace=True)
    backup = Path(result["backup"])
    assert backup.exists()
    kept = sqlite3.connect(backup)
    assert kept.execute("SELECT by_user FROM changes").fetchall() == [("z",)]
    kept.close()
    assert other.counts() == store.counts()
    assert other.verify().ok


def test_import_refuses_foreign_and_broken_files(store: Store, tmp_path: Path) -> None:
    _filled(store)
    target = open_store(tmp_path / "t.sqlite", ids=IDS)
    text = tmp_path / "notes.gpkg"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(StoreImportError, match="not a readable GeoPackage"):
        import_store(target, text)
    foreign = tmp_path / "foreign.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[BOX], crs=4326).to_file(foreign, layer="parcels")
    with pytest.raises(StoreImportError, match="no wzgeo manifest"):
        import_store(target, foreign)
    with pytest.raises(StoreImportError, match="does not exist"):
        import_store(target, tmp_path / "missing.gpkg")
    assert target.counts()["changes"] == 0


def _rewrite_layer(path: Path, layer: str, df: pd.DataFrame) -> None:
    pyogrio.write_dataframe(df, path, layer=layer, driver="GPKG")


@pytest.mark.parametrize(
    "damage",
    ["drop-row", "edit-payload", "newer-format", "bad-zone"],
)
def test_import_refuses_altered_export(store: Store, tmp_path: Path, damage: str) -> None:
    _filled(store)
    out = tmp_path / "work.gpkg"
    export_store(store, out)
    changes = pyogrio.read_dataframe(out, layer="changes")
    manifest = json.loads(pyogrio.read_dataframe(out, layer="wzgeo_manifest").iloc[0, 0])
    if damage == "drop-row":
        _rewrite_layer(out, "changes", changes.iloc[:-1])
        match = "manifest lists 8 changes"
    elif damage == "edit-payload":
        changes.loc[0, "payload"] = changes.loc[0, "payload"].replace("gaofeng", "wuqiao")
        _rewrite_layer(out, "changes", changes)
        match = "checksum"
    elif damage == "newer-format":
        manifest["format_version"] = 99
        _rewrite_layer(
            out, "wzgeo_manifest", pd.DataFrame({"manifest_json": [json.dumps(manifest)]})
        )
        match = "format version 99"
    else:
        restricted = IdCatalog(frozenset({"lihe", "tianzi"}), IDS.project_ids, IDS.sector_ids)
        target = open_store(tmp_path / "t.sqlite", ids=restricted)
        with pytest.raises(StoreImportError, match="Unknown zone id 'gaofeng'"):
            import_store(target, out)
        return
    target = open_store(tmp_path / "t.sqlite", ids=IDS)
    with pytest.raises(StoreImportError, match=match):
        import_store(target, out)
    assert target.counts()["changes"] == 0


def test_apply_assignments_keeps_plan_zone_and_flags_difference() -> None:
    projects = pd.DataFrame(
        {"project_id": ["AU-12", "EI-10", "NM-CU-01"], "zone_id": ["gaofeng", None, "lihe"]}
    )
    assigned = pd.DataFrame(
        {"project_id": ["AU-12", "EI-10"], "zone_id": ["tianzi", "wuqiao"], "by_user": ["a", "b"],
         "at": ["t1", "t2"], "why": ["w1", "w2"]}
    )  # fmt: skip
    before = projects.copy()
    out = apply_assignments(projects, assigned)
    pd.testing.assert_frame_equal(projects, before)  # input untouched
    row = out.set_index("project_id")
    assert row.loc["AU-12", ["zone_id", "plan_zone_id", "differs_from_plan"]].tolist() == [
        "tianzi", "gaofeng", True
    ]  # fmt: skip
    assert row.loc["EI-10", "location_label"] == "assigned"
    assert not row.loc["EI-10", "differs_from_plan"]
    assert row.loc["NM-CU-01", "zone_id"] == "lihe"
    assert row["location_source"].tolist() == ["assigned", "assigned", "plan"]
    # a plain mapping works too
    out2 = apply_assignments(projects, {"NM-CU-01": "lihe"})
    assert not out2.set_index("project_id").loc["NM-CU-01", "differs_from_plan"]


def _shipped(module: str, loader: str) -> Any:
    """A shipped table (``wzgeo.<module>.<loader>()``), or skip when it is not built."""
    mod = pytest.importorskip(module)
    try:
        return getattr(mod, loader)()
    except (OSError, ValueError) as e:  # pragma: no cover - shipped data not built
        pytest.skip(f"{module}.{loader}: shipped data not available: {e}")


def test_apply_assignments_on_the_plan_project_table(tmp_path: Path) -> None:
    projects = _shipped("wzgeo.plan.data", "load_projects")
    located = projects.loc[projects["zone_id"].notna()].iloc[0]
    unlocated = projects.loc[projects["zone_id"].isna()].iloc[0]
    other_zone = "lihe" if located["zone_id"] != "lihe" else "tianzi"
    store = open_store(tmp_path / "s.sqlite")  # ids from the plan tables
    assert store.ids.source == "plan tables"
    store.assign(located["project_id"], other_zone, by="amy", why="moved")
    store.assign(unlocated["project_id"], "wuqiao", by="amy", why="placed")
    out = apply_assignments(projects, store.assignments()).set_index("project_id")
    moved = out.loc[located["project_id"]]
    assert (moved["zone_id"], moved["plan_zone_id"]) == (other_zone, located["zone_id"])
    assert moved["differs_from_plan"] and moved["zone_source"] == "assigned"
    assert moved["plan_zone_source"] == located["zone_source"]
    placed = out.loc[unlocated["project_id"]]
    assert placed["zone_id"] == "wuqiao" and not placed["differs_from_plan"]
    assert len(out) == len(projects)
    untouched = apply_assignments(projects, {})  # nothing assigned: plan zones unchanged
    assert untouched["zone_id"].equals(projects["zone_id"])
    assert not untouched["differs_from_plan"].any()
    with pytest.raises(StoreError, match="Unknown project id"):
        store.assign("AU-99", "lihe", by="amy", why="not in the plan")


def test_apply_zone_boundaries_replaces_only_official(store: Store) -> None:
    schematic = gpd.GeoDataFrame(
        {"zone_id": ["gaofeng", "lihe"]}, geometry=[Point(0, 0).buffer(1), BOX], crs=4326
    ).to_crs(4545)
    official = box(108.40, 30.80, 108.41, 30.81)
    store.set_zone_boundary("gaofeng", official, source="gf.shp", by="a", why="w")
    out = apply_zone_boundaries(schematic, store.zone_boundaries())
    assert out.crs == schematic.crs
    assert out["geometry_source"].tolist() == ["official", "schematic"]
    assert out["boundary_source"].tolist() == ["gf.shp", None]
    assert out.to_crs(4326).geometry.iloc[0].symmetric_difference(official).area < 1e-12
    assert out.geometry.iloc[1].equals(schematic.geometry.iloc[1])


def test_sector_fit_grade_validated_and_overlaid(store: Store) -> None:
    with pytest.raises(StoreError, match="not one of primary, compatible, not_listed"):
        store.set_sector_fit("auto", "lihe", "A+", by="a", why="w")
    fit = pd.DataFrame(
        {"sector_id": ["auto", "auto"], "zone_id": ["tianzi", "lihe"],
         "grade": ["primary", "not_listed"]}
    )  # fmt: skip
    store.set_sector_fit("auto", "lihe", "compatible", by="amy", why="new road")
    store.set_sector_fit("food", "lihe", "primary", by="amy", why="cold chain")
    out = apply_sector_fit_edits(fit, store.sector_fit_edits())
    rows = out.set_index(["sector_id", "zone_id"])
    assert rows.loc[("auto", "tianzi"), ["grade", "grade_source"]].tolist() == ["primary", "plan"]
    edited = rows.loc[("auto", "lihe"), ["grade", "plan_grade", "grade_source", "edited_by"]]
    assert edited.tolist() == ["compatible", "not_listed", "user edit", "amy"]
    assert rows.loc[("food", "lihe"), "grade"] == "primary"  # absent pair appended
    assert fit["grade"].tolist() == ["primary", "not_listed"]  # input untouched


def test_land_rule_edits_overlaid_by_key(store: Store) -> None:
    rules = pd.DataFrame(
        {"indicator": ["plot_ratio", "plot_ratio"], "gbt4754_code": ["13", "14"],
         "threshold": [1.0, 1.0], "edition": ["2008", "2008"], "note": ["", ""]}
    )  # fmt: skip
    store.set_land_rule(
        land_rule_id("plot_ratio", "14", "2008"), {"threshold": 1.2, "note": "市里提高"},
        by="amy", why="2026 notice",
    )  # fmt: skip
    out = apply_land_rule_edits(rules, store.land_rule_edits())
    assert out["threshold"].tolist() == [1.0, 1.2]
    assert out["rule_source"].tolist() == ["shipped", "user edit"]
    assert out.loc[1, "note"] == "市里提高" and out.loc[1, "edited_by"] == "amy"
    assert rules["threshold"].tolist() == [1.0, 1.0]


def test_apply_zone_boundaries_on_zonegeom_layer(store: Store) -> None:
    zones = _shipped("wzgeo.geo.zonegeom", "load_zone_geometry")
    official = box(108.40, 30.80, 108.42, 30.82)
    store.set_zone_boundary("gaofeng", official, source="高峰园红线.shp", by="amy", why="w")
    store.set_zone_boundary("lihe", BOX, source="lihe.shp", by="amy", why="w")
    out = apply_zone_boundaries(zones.loc[zones["zone_id"] != "lihe"], store.zone_boundaries())
    row = out.set_index("zone_id").loc["gaofeng"]
    assert row["geometry_quality"] == "official"
    assert row["boundary_source"] == "高峰园红线.shp" and row["boundary_by"] == "amy"
    assert row.geometry.equals(official)
    assert "lihe" not in set(out["zone_id"])  # not in the input: left out, not invented
    others = out.loc[out["zone_id"] != "gaofeng", "geometry_quality"]
    assert "official" not in set(others)


@pytest.mark.parametrize(
    "url", ["mysql://planner@db.example/wzgeo", "postgis://h/db", "sqlite:///x.sqlite"]
)
def test_a_store_path_that_looks_like_a_url_is_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (postgresql:// URIs name a PostgreSQL store: tests/store/test_backends.py)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=r"looks like a database URL.*SQLite file"):
        open_store(url)
    with pytest.raises(StoreError, match="数据库网址"):
        Store(Path(url))  # Path() collapses "//": still a URL
    with pytest.raises(StoreError, match="数据库网址"):
        Store(Path("postgresql://planner@db.example/wzgeo"))  # collapsed: not a URI any more
    monkeypatch.setenv("WZGEO_STORE", url)
    with pytest.raises(StoreError, match="looks like a database URL"):
        default_store_path()
    assert list(tmp_path.iterdir()) == []  # no folder 'postgresql:' created
    # a Windows drive letter is a path, not a URL scheme
    from wzgeo.store.core import store_path

    assert store_path("C:/data/store.sqlite") == Path("C:/data/store.sqlite")


# ----------------------------------------------------------------------------- land classes


def test_sector_landclass_edit_accepts_the_ways_a_class_is_written(store: Store) -> None:
    """On both backends (the PostgreSQL log's CHECK comes from migration 3)."""
    for value, stored in (("三类", 3), ("M1", 1), (2, 2), ("none", None), ("1", 1)):
        store.set_sector_landclass("food", value, by="a", why="w")
        assert store.state("sector_landclass", "food").value == {
            "sector_id": "food", "required_class": stored
        }  # fmt: skip
    edits = store.sector_landclass_edits()
    assert edits[["sector_id", "required_class", "version"]].values.tolist() == [["food", 1, 5]]
    with pytest.raises(ConflictError):
        store.set_sector_landclass("food", 2, by="b", why="w", expected_version=4)
    for bad in ("四类", 4, 0, "2.5", True):
        with pytest.raises(StoreError) as e:
            store.set_sector_landclass("food", bad, by="a", why="w")
        assert "工业用地类别" in e.value.zh and "Industrial land class" in e.value.en
    with pytest.raises(StoreError, match="Unknown sector id 'atlantis'"):
        store.set_sector_landclass("atlantis", 1, by="a", why="w")
    assert store.verify().ok


def test_store_made_before_landclass_edits_accepts_them(tmp_path: Path) -> None:
    """A store whose log CHECK lists only the older kinds is widened on open, log kept."""
    from wzgeo.store import _schema

    path = tmp_path / "old.sqlite"
    old_schema = _schema._SCHEMA.replace(",\n         'sector_landclass')", ")")
    assert "sector_landclass" not in old_schema
    con = sqlite3.connect(path)
    con.executescript(old_schema)
    for k, v in {"format": "wzgeo-store", "schema_version": "1", "created_at": "x",
                 "store_id": "0123456789abcdef"}.items():  # fmt: skip
        con.execute("INSERT INTO meta VALUES (?, ?)", (k, v))
    con.commit()
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute(
            "INSERT INTO changes (entity_type, entity_id, version, op, payload, by_user, at, why)"
            " VALUES ('sector_landclass', 'food', 1, 'set', '{}', 'a', 'now', 'w')"
        )
    con.execute(
        "INSERT INTO changes (entity_type, entity_id, version, op, payload, by_user, at, why)"
        " VALUES ('assignment', 'AU-12', 1, 'set', '{\"project_id\": \"AU-12\", \"zone_id\":"
        " \"gaofeng\"}', 'a', '2026-01-01T00:00:00+00:00', 'w')"
    )
    con.execute(
        "INSERT INTO current VALUES ('assignment', 'AU-12', 1, 1, '{\"project_id\": \"AU-12\","
        ' "zone_id": "gaofeng"}\')'
    )
    con.commit()
    con.close()
    store = open_store(path, ids=IDS)
    store.set_sector_landclass("food", 3, by="a", why="w")
    assert store.assignments()["zone_id"].tolist() == ["gaofeng"]
    assert store.history()["entity_type"].tolist() == ["assignment", "sector_landclass"]
    check = store.verify()
    assert check.ok and check.integrity == "ok", check.problems
    with (
        pytest.raises(sqlite3.IntegrityError, match="append-only"),  # still append-only
        store.write_connection() as c,
    ):
        c.execute("DELETE FROM changes")

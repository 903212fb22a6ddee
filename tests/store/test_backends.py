"""The store on both backends (SQLite file, PostgreSQL/PostGIS database), same behaviour:
history, revert, optimistic versions across processes, export/import (also from one backend to
the other), the kill test; and what only PostgreSQL has: PostGIS geometry, the versioned
schema, credentials kept out of the URI and the logs."""

from __future__ import annotations

import json
import logging
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import box

from tests._postgres import Postgres
from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    ConflictError,
    IdCatalog,
    NotFoundError,
    StoreError,
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
REPO = Path(__file__).resolve().parents[2]
WRITER = REPO / "tests" / "data" / "store" / "kill_writer.py"


def _filled(location: str) -> None:
    store = open_store(location, ids=IDS)
    store.assign("AU-12", "gaofeng", by="alice", why="港口")
    c = store.assign("AU-12", "tianzi", by="bob", why="改", expected_version=1)
    store.revert(c.change_id, by="alice", why="撤销")
    store.assign("EI-10", "lihe", by="bob", why="w")
    store.save_plot("p1", BOX, {"ok": False, "issues": ["too small"]}, by="a", why="w")
    store.set_zone_boundary("gaofeng", BOX, source="gf.shp", by="a", why="w")
    store.set_sector_fit("auto", "gaofeng", "primary", by="a", why="w")
    store.set_land_rule("r1", {"far_min": 1.0}, by="a", why="w")


def test_history_versions_and_revert(store_location: str) -> None:
    store = open_store(store_location, ids=IDS)
    c1 = store.assign("AU-12", "gaofeng", by="alice", why="first")
    c2 = store.assign("AU-12", "tianzi", by="bob", why="second", expected_version=1)
    assert (c1.version, c2.version, c2.change_id) == (1, 2, c1.change_id + 1)
    with pytest.raises(ConflictError) as info:  # a stale version: not overwritten
        store.assign("AU-12", "wuqiao", by="carol", why="stale", expected_version=1)
    assert (info.value.current_value, info.value.by_user) == ("tianzi", "bob")
    r = store.revert(c2.change_id, by="carol", why="mistake")
    assert r.reverts_change_id == c2.change_id and r.version == 3
    assert store.assignments()["zone_id"].tolist() == ["gaofeng"]
    hist = store.history("AU-12")
    assert hist["version"].tolist() == [1, 2, 3]  # nothing deleted
    assert hist["by_user"].tolist() == ["alice", "bob", "carol"]
    assert hist["reverts_change_id"].tolist()[-1] == c2.change_id
    # a zone's history includes the assignments to it (json_extract on both backends)
    assert store.history("tianzi")["change_id"].tolist() == [c2.change_id]
    with pytest.raises(ConflictError, match="changed again after change"):
        store.revert(c1.change_id, by="c", why="x")
    store.revert(c1.change_id, by="c", why="x", force=True)
    assert store.assignments().empty
    with pytest.raises(NotFoundError):
        store.revert(999, by="c", why="x")
    store.save_plot("p1", BOX, {"area_mu": 1.5}, by="a", why="w")
    got = store.plots()
    assert got.geometry.iloc[0].equals(BOX) and got["report"].iloc[0] == {"area_mu": 1.5}
    check = store.verify()
    assert check.ok and check.n_changes == 5
    # a new handle (another session, a restart) sees the same store
    assert open_store(store_location, ids=IDS).counts() == store.counts()


_RACER = """
import sys
from wzgeo.store.core import ConflictError, IdCatalog, open_store
ids = IdCatalog(frozenset({"lihe"}), frozenset({"EI-10"}), frozenset())
store = open_store(sys.argv[1], ids=ids)
print("ready", flush=True)
sys.stdin.readline()  # all start together
try:
    store.assign("EI-10", "lihe", by="user" + sys.argv[2], why="race", expected_version=0)
    print("ok")
except ConflictError:
    print("conflict")
"""


def test_optimistic_versions_across_processes(store_location: str) -> None:
    """Six processes write version 1 of the same entity at once: exactly one wins."""
    open_store(store_location, ids=IDS)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, store_location, str(i)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(6)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        outcomes.append(out.strip())
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    store = open_store(store_location, ids=IDS)
    assert store.state("assignment", "EI-10").version == 1
    assert store.verify().ok


def test_export_import_across_backends(
    store_location: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Export from one backend, import into the other: the same log, byte for byte."""
    _filled(store_location)
    store = open_store(store_location, ids=IDS)
    out = tmp_path / "work.gpkg"
    manifest = export_store(store, out)
    assert manifest["counts"]["changes"] == 8
    if store_location.startswith("postgresql://"):
        other_location = str(tmp_path / "other.sqlite")
    else:
        other_location = str(request.getfixturevalue("pg_dsn"))
    other = open_store(other_location, ids=IDS)
    other.assign("EI-10", "wuqiao", by="z", why="local work")
    with pytest.raises(StoreError, match="--replace"):
        import_store(other, out)
    result = import_store(other, out, replace=True)
    assert result["backup"]  # the replaced work was kept
    assert other.verify().ok
    cols = ["change_id", "entity_type", "entity_id", "version", "op", "payload", "by_user", "at"]
    pd.testing.assert_frame_equal(other.history()[cols], store.history()[cols])
    assert other.zone_boundaries().geometry.iloc[0].equals(BOX)
    pd.testing.assert_frame_equal(other.assignments(), store.assignments())
    # after the import the versions and change ids continue
    with pytest.raises(ConflictError):
        other.assign("AU-12", "wuqiao", by="c", why="w", expected_version=1)
    nxt = other.assign("AU-12", "wuqiao", by="c", why="w", expected_version=3)
    assert nxt.change_id == 9 and nxt.version == 4
    # and the export of the import is the same data (checksum of the log)
    again = export_store(other, tmp_path / "again.gpkg")
    assert again["counts"]["changes"] == 9


def _acknowledged(ack: Path) -> list[tuple[int, str, str, int]]:
    out = []
    for line in ack.read_text(encoding="utf-8").split("\n")[:-1]:
        change_id, etype, eid, version = line.split(" ")
        out.append((int(change_id), etype, eid, int(version)))
    return out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_during_writes_leaves_consistent_store(store_location: str, tmp_path: Path) -> None:
    """Writers SIGKILLed at random moments: no half-written change, nothing acknowledged lost."""
    rounds = 8
    ack = tmp_path / "ack.log"
    ack.touch()
    open_store(store_location, ids=IDS)
    rng = random.Random(20261205)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for round_no in range(rounds):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), store_location, str(ack), str(round_no)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "writer did not start within 60 s"
            line = proc.stdout.readline()
            assert line == "ready\n", proc.stderr.read() if proc.stderr else line
            # kill while it is writing: after its first acknowledged write (a loaded machine
            # may take longer than the random delay for one), then at a random moment
            size = ack.stat().st_size
            deadline = time.monotonic() + 60
            while ack.stat().st_size == size and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.randint(10, 300) / 1000)
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
            for f in (proc.stdout, proc.stderr):
                if f:
                    f.close()
    # the writer's id catalogue (any project id), as verify checks the values too
    store = open_store(
        store_location, ids=IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS)
    )
    check = store.verify()
    hist = store.history()
    rows = {
        int(c): (t, i, int(v))
        for c, t, i, v in zip(
            hist["change_id"], hist["entity_type"], hist["entity_id"], hist["version"], strict=True
        )
    }
    acknowledged = _acknowledged(ack)
    missing = [a for a in acknowledged if rows.get(a[0]) != a[1:]]
    assert check.integrity == "ok" and check.problems == ()
    assert all(isinstance(json.loads(p), dict) for p in hist["payload"])
    assert missing == []
    assert len(acknowledged) >= rounds
    store.assign("AU-12", "gaofeng", by="after", why="store still works")
    assert store.verify().ok


# ------------------------------------------------------------------ PostgreSQL only


def test_postgis_geometry_columns(pg_dsn: str) -> None:
    import psycopg

    store = open_store(pg_dsn, ids=IDS)
    store.save_plot("p1", BOX, {"ok": True}, by="a", why="w")
    store.set_zone_boundary("gaofeng", BOX, source="gf.shp", by="a", why="w")
    area_m2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(BOX)[0])  # independent
    with psycopg.connect(pg_dsn) as con:
        (srid,) = con.execute("SELECT Find_SRID('wzgeo', 'current', 'geom')").fetchone()
        plots = con.execute(
            "SELECT plot_id, ST_Area(geom::geography, true), ST_GeometryType(geom) FROM wzgeo.plots"
        ).fetchall()
        zones = con.execute("SELECT zone_id, source FROM wzgeo.zone_boundaries").fetchall()
        (kind,) = con.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'current_geom_gist'"
        ).fetchone()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            con.execute("UPDATE wzgeo.changes SET by_user = 'mallory'")
        con.rollback()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            con.execute("DELETE FROM wzgeo.changes")
    assert srid == 4326 and "gist" in kind
    assert plots[0][0] == "p1" and plots[0][2] == "ST_Polygon"
    assert plots[0][1] == pytest.approx(area_m2, rel=1e-6)
    assert zones == [("gaofeng", "gf.shp")]
    store.delete_plot("p1", by="a", why="gone")
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("SELECT count(*) FROM wzgeo.plots").fetchone() == (0,)


def test_schema_is_versioned_and_migrated(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    from wzgeo.store import _pg

    # a database made by a wzgeo that knew only the first step …
    with monkeypatch.context() as m:
        m.setattr(_pg, "MIGRATIONS", _pg.MIGRATIONS[:1])
        old = open_store(pg_dsn, ids=IDS)
        old.save_plot("p1", BOX, None, by="a", why="w")
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("SELECT to_regclass('wzgeo.plots')").fetchone() == (None,)
    # … is migrated when opened by this one, its data kept and given geometry
    with caplog.at_level(logging.INFO, logger="wzgeo.store._pg"):
        store = open_store(pg_dsn, ids=IDS)
    assert "migrated to version 2" in caplog.text
    with psycopg.connect(pg_dsn) as con:
        meta = dict(con.execute("SELECT key, value FROM wzgeo.meta").fetchall())
        assert con.execute("SELECT plot_id FROM wzgeo.plots").fetchall() == [("p1",)]
    assert meta["schema_version"] == str(_pg.PG_SCHEMA_VERSION) == "3"
    assert store.verify().ok and len(store.history()) == 1
    # a database from a newer wzgeo is refused, not changed
    with psycopg.connect(pg_dsn) as con:
        con.execute("UPDATE wzgeo.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer wzgeo"):
        open_store(pg_dsn, ids=IDS)


def test_credentials_stay_out_of_uri_and_logs(
    pg_dsn: str,
    postgres_server: Postgres,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password = postgres_server.passfile.read_text(encoding="utf-8").strip().split(":")[-1]
    with caplog.at_level(logging.DEBUG):
        store = open_store(pg_dsn, ids=IDS)  # the password comes from PGPASSFILE
        store.assign("AU-12", "gaofeng", by="a", why="w")
        store.history()
    assert password not in caplog.text
    # a password in the URI is refused (it would show in logs and process lists)
    with pytest.raises(StoreError, match="PGPASSFILE") as info:
        open_store(pg_dsn.replace("wzgeo_test@", f"wzgeo_test:{password}@"), ids=IDS)
    assert password not in str(info.value)
    # without the password file the server refuses, and the message says where it goes
    from wzgeo.store import _pg

    _pg.close_idle()  # a new connection must authenticate
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreError, match="PGPASSFILE") as info:
        open_store(pg_dsn, ids=IDS)
    assert password not in caplog.text + str(info.value) + repr(info.value.__cause__)


def test_wzgeo_store_env_selects_postgresql(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wzgeo.cli.entry import main
    from wzgeo.store.core import PgLocation, default_store_path

    monkeypatch.setenv("WZGEO_STORE", pg_dsn)
    assert default_store_path() == PgLocation(pg_dsn)
    assert main(["assign", "EI-01", "lihe", "--by", "alice", "--why", "cli"]) == 0
    assert main(["history", "EI-01"]) == 0
    assert "alice" in capsys.readouterr().out
    assert open_store(pg_dsn, ids=IDS).assignments()["project_id"].tolist() == ["EI-01"]

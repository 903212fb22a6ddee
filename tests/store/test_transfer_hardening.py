"""Issue 14, finding 3: an export file is untrusted input.

Each test writes a real export, rewrites it the way an attacker (or a broken tool) would —
with the manifest's unkeyed checksum recomputed, so the old code accepted it — and imports it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box

from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    IdCatalog,
    Store,
    StoreError,
    open_store,
)
from wzgeo.store.transfer import export_store, import_store

IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS, frozenset({"AU-12", "EI-10"}), DOCUMENTED_SECTOR_IDS, source="test ids"
)
COLS = ["change_id", "entity_type", "entity_id", "version", "op", "payload", "by_user", "at",
        "why", "reverts_change_id"]  # fmt: skip


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    src = open_store(tmp_path / "src.sqlite", ids=IDS)
    src.assign("AU-12", "gaofeng", by="alice", why="近港口")
    src.set_sector_fit("auto", "gaofeng", "primary", by="alice", why="配套")
    src.set_zone_boundary(
        "gaofeng", box(108.30, 30.70, 108.32, 30.72), source="红线.geojson", by="bob", why="官方"
    )
    src.assign("AU-12", "lihe", by="carol", why="改址")
    out = tmp_path / "export.gpkg"
    export_store(src, out)
    return out


def _rewrite(
    file: Path, change: Callable[[list[dict[str, Any]]], None], *, keep_signature: bool = False
) -> None:
    """Rewrite the log inside ``file`` and recompute the manifest's counts and SHA-256."""
    con = sqlite3.connect(file)
    with con:
        rows = [
            dict(zip(COLS, r, strict=True))
            for r in con.execute(f"SELECT {', '.join(COLS)} FROM changes ORDER BY change_id")
        ]
        change(rows)
        con.execute("DELETE FROM changes")
        for r in rows:
            con.execute(
                f"INSERT INTO changes ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})",
                [r[c] for c in COLS],
            )
        manifest = json.loads(con.execute("SELECT manifest_json FROM wzgeo_manifest").fetchone()[0])
        h = hashlib.sha256()
        for r in rows:
            h.update(json.dumps([r[c] for c in COLS], ensure_ascii=False, sort_keys=True,
                                allow_nan=False).encode())  # fmt: skip
            h.update(b"\n")
        manifest["changes_sha256"] = h.hexdigest()
        manifest["counts"]["changes"] = len(rows)
        if not keep_signature:
            manifest.pop("signature", None)
        con.execute(
            "UPDATE wzgeo_manifest SET manifest_json = ?",
            (json.dumps(manifest, ensure_ascii=False, sort_keys=True),),
        )
    con.close()


@pytest.fixture
def target(tmp_path: Path) -> Store:
    return open_store(tmp_path / "target.sqlite", ids=IDS)


def _payload(rows: list[dict[str, Any]], etype: str, **new: Any) -> None:
    for r in rows:
        if r["entity_type"] == etype:
            r["payload"] = json.dumps({**json.loads(r["payload"]), **new})


BAD_FILES = {
    "grade": (lambda rows: _payload(rows, "sector_fit", grade="excellent"), "grade"),
    "point-boundary": (
        lambda rows: _payload(
            rows, "zone_boundary", geometry={"type": "Point", "coordinates": [108.3, 30.7]}
        ),
        "Point",
    ),
    "garbage-boundary": (
        lambda rows: _payload(
            rows, "zone_boundary", geometry={"type": "Polygon", "coordinates": "zz"}
        ),
        "zone gaofeng",
    ),
    "null-version": (lambda rows: rows[0].update(version=None), "version"),
    "control-chars": (lambda rows: rows[1].update(by_user="eve\x1b[2J"), "control character"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_import_refuses_a_change_a_save_would_refuse(
    exported: Path, target: Store, name: str
) -> None:
    change, words = BAD_FILES[name]
    _rewrite(exported, change)
    with pytest.raises(StoreError, match=words) as info:
        import_store(target, exported)
    assert "change " in info.value.en and "Nothing was imported" in info.value.en
    assert target.counts()["changes"] == 0


def test_tampered_history_is_detected_by_the_installation_key(
    exported: Path, target: Store
) -> None:
    def forge(rows: list[dict[str, Any]]) -> None:
        rows[-1]["by_user"] = "alice"  # carol's change now claims to be alice's
        rows[-1]["at"] = "2020-01-01T00:00:00+00:00"

    _rewrite(exported, forge, keep_signature=True)
    with pytest.raises(StoreError, match="signature does not match"):
        import_store(target, exported)
    assert target.counts()["changes"] == 0


def test_deleted_history_is_detected_too(exported: Path, target: Store) -> None:
    _rewrite(exported, lambda rows: rows.pop(), keep_signature=True)  # the last change
    with pytest.raises(StoreError, match="signature does not match"):
        import_store(target, exported)


def test_unsigned_file_imports_only_without_require_signature(
    exported: Path, target: Store
) -> None:
    _rewrite(exported, lambda rows: None)  # signature removed
    with pytest.raises(StoreError, match="not signed"):
        import_store(target, exported, require_signature=True)
    result = import_store(target, exported, by="dave")
    assert result["provenance"]["signature"] == "unsigned"


def test_imported_history_says_imported_by_whom_from_which_file(
    exported: Path, target: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from wzgeo.cli.entry import main

    result = import_store(target, exported, by="dave")
    assert result["provenance"]["signature"] == "verified"
    h = target.history()
    assert h["by_user"].tolist() == ["alice", "alice", "bob", "carol"]  # as recorded
    assert all("by dave from export.gpkg (verified)" in o for o in h["origin"])
    target.assign("EI-10", "lihe", by="erin", why="本机修改")
    assert target.history()["origin"].tolist()[-1] == ""  # made here, not imported
    assert main(["history", "--store", str(target.path)]) == 0
    out = capsys.readouterr().out
    assert "imported" in out and "by dave from export.gpkg" in out and "as recorded" in out


def _raw_current(store: Store, etype: str, eid: str, payload: dict[str, Any]) -> None:
    """A bad value written past the checks (an old import, a hand edit)."""
    con = sqlite3.connect(store.path)
    with con:
        version = 1 + (con.execute(
            "SELECT coalesce(max(version), 0) FROM changes WHERE entity_type = ? "
            "AND entity_id = ?", (etype, eid)).fetchone()[0])  # fmt: skip
        cid = con.execute(
            "INSERT INTO changes (entity_type, entity_id, version, op, payload, by_user, at, "
            "why) VALUES (?, ?, ?, 'set', ?, 'eve', '2026-01-01T00:00:00+00:00', 'x')",
            (etype, eid, version, json.dumps(payload)),
        ).lastrowid
        con.execute(
            "INSERT INTO current VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "version = excluded.version, change_id = excluded.change_id, "
            "payload = excluded.payload",
            (etype, eid, version, cid, json.dumps(payload)),
        )
    con.close()


def test_store_check_revalidates_and_reads_survive_bad_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wzgeo.cli.entry import main

    store = open_store(tmp_path / "s.sqlite", ids=IDS)
    store.set_zone_boundary("gaofeng", box(108.30, 30.70, 108.32, 30.72), source="a",
                           by="bob", why="ok")  # fmt: skip
    _raw_current(store, "zone_boundary", "gaofeng",
                 {"zone_id": "gaofeng", "geometry": {"type": "Point", "coordinates": [108, 30]},
                  "source": "x", "crs": "EPSG:4326"})  # fmt: skip
    _raw_current(store, "zone_boundary", "tianzi",
                 {"zone_id": "tianzi", "geometry": "garbage", "source": "x"})  # fmt: skip
    _raw_current(store, "sector_fit", "auto|gaofeng",
                 {"sector_id": "auto", "zone_id": "gaofeng", "grade": "excellent"})  # fmt: skip
    assert main(["store", "check", "--store", str(store.path)]) == 1
    out = capsys.readouterr().out
    assert "INCONSISTENT" in out and "Point" in out and "excellent" in out and "tianzi" in out
    assert store.zone_boundaries().empty and store.sector_fit_edits().empty
    assert sorted(store.invalid_values()["entity_id"]) == ["auto|gaofeng", "gaofeng", "tianzi"]
    assert len(store.history()) == 4  # history readable; the bad change can be reverted
    bad = int(store.state("zone_boundary", "gaofeng").change_id or 0)
    store.revert(bad, by="bob", why="修复")
    assert store.zone_boundaries()["zone_id"].tolist() == ["gaofeng"]
    # the analyses run on the valid saved work (they exited 2 or crashed before)
    assert main(["summary", "--store", str(store.path)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err

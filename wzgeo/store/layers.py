"""Imported land-use and red-line layers as saved work, with history and revert.

A layer may hold hundreds of thousands of polygons, too large for the JSON payloads of the
main store's change log (:mod:`wzgeo.store.core`). It is therefore kept beside the store:

``<store>.layers/``
    ``layers.sqlite``: an append-only change log (SQL triggers refuse ``UPDATE`` and
    ``DELETE``) with one entity per kind (``landuse``, ``basic_farmland``, ``eco_redline``,
    ``dev_boundary``): ``change_id, kind, version, op (set/delete), payload, by_user, at, why,
    reverts_change_id``. The payload names the data file and keeps the import report.
    ``data/<sha256>.parquet``: the layer's features (EPSG:4545 GeoParquet, the code, name and
    控规 indicator fields only), named by content and never deleted, so every version in the
    history can be restored by :meth:`LayerStore.revert`.

Rights are checked by the caller (CLI ``--by`` / app login, :mod:`wzgeo.store.auth`), as for the
other saved work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from wzgeo.analysis.landuse import (
    CODE_FIELDS,
    KIND_LABELS,
    KINDS,
    PLANNED_FIELDS,
    LandLayer,
    LandLayers,
    LandUseReport,
    prepare_landuse,
    prepare_redline,
)
from wzgeo.errors import WzgeoError
from wzgeo.paths import user_file
from wzgeo.plots.layers import LayerRead, read_layer
from wzgeo.store._records import NotFoundError, StoreError, now
from wzgeo.store._validate import check_text

__all__ = ["DEMO_MARK", "LayerImport", "LayerStore", "check_kind", "layer_store_for"]

logger = logging.getLogger(__name__)

DEMO_MARK = "示例（虚构）"
"""Every demo layer's name contains this mark."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS layer_changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('landuse', 'basic_farmland', 'eco_redline',
        'dev_boundary')),
    version INTEGER NOT NULL CHECK (version >= 1),
    op TEXT NOT NULL CHECK (op IN ('set', 'delete')),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    by_user TEXT NOT NULL CHECK (length(by_user) > 0),
    at TEXT NOT NULL,
    why TEXT NOT NULL CHECK (length(why) > 0),
    reverts_change_id INTEGER REFERENCES layer_changes(change_id),
    UNIQUE (kind, version)
);
CREATE TRIGGER IF NOT EXISTS layer_changes_no_update BEFORE UPDATE ON layer_changes
BEGIN SELECT RAISE(ABORT, 'layer_changes is append-only'); END;
CREATE TRIGGER IF NOT EXISTS layer_changes_no_delete BEFORE DELETE ON layer_changes
BEGIN SELECT RAISE(ABORT, 'layer_changes is append-only'); END;
"""


def check_kind(kind: str) -> str:
    """Refuse an unknown layer kind with the known ones."""
    if kind not in KINDS:
        raise WzgeoError(
            f"未知图层类型“{kind}”；应为 {'、'.join(KINDS)}（用地用海、永久基本农田、"
            "生态保护红线、城镇开发边界）。",
            f"unknown layer kind '{kind}'; use one of {', '.join(KINDS)}.",
        )
    return kind


@dataclass(frozen=True)
class LayerImport:
    """What an import did: the change recorded and the report to show."""

    change_id: int
    kind: str
    version: int
    name: str
    read: LayerRead
    report: LandUseReport | None

    def lines(self) -> list[str]:
        """The import report as bilingual lines."""
        zh, en = KIND_LABELS[self.kind]
        r = self.read
        out = [
            f"已导入 / imported: {zh} / {en} “{self.name}” — 修改 change {self.change_id}, "
            f"版本 version {self.version}",
            f"格式 / format: {r.fmt}, 图层 / layer: {r.layer}",
            f"坐标系 / CRS: {r.crs_note}",
            f"读取要素 / features read: {r.n_read}",
            f"修复无效几何 / invalid geometries repaired: {r.n_repaired}",
        ]
        out += [f"注 / note: {n}" for n in r.notes]
        if self.report is not None:
            out += self.report.lines()
        return out


def layer_store_for(store_path: object = None) -> LayerStore:
    """The layer store beside the saved-work store (default: the default store).

    With a PostgreSQL store (``postgresql://…``) the layers stay local: ``layers`` in the
    user data folder (``$WZGEO_LAYERS`` if set).
    """
    from wzgeo.store.core import default_store_path, is_database_uri

    loc = store_path if store_path is not None else default_store_path()
    if is_database_uri(loc):
        return LayerStore(user_file("WZGEO_LAYERS", "layers", folder="data"))
    p = Path(os.fspath(loc))  # type: ignore[call-overload]
    return LayerStore(p.with_name(p.name + ".layers"))


class LayerStore:
    """Imported layers kept in ``folder`` (see the module docstring).

    Parameters
    ----------
    folder
        The ``<store>.layers`` folder (created on first write).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, tuple[str, LandLayer]] = {}

    def __repr__(self) -> str:
        return f"LayerStore({str(self.folder)!r})"

    @property
    def db(self) -> Path:
        """The change log."""
        return self.folder / "layers.sqlite"

    @contextmanager
    def _con(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if write:
            self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.db, timeout=30.0, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            con.executescript(_SCHEMA)
            if write:
                con.execute("BEGIN IMMEDIATE")
            yield con
            if write:
                con.execute("COMMIT")
        except BaseException:
            if write and con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # -- reads

    def _current(self, con: sqlite3.Connection, kind: str) -> tuple[int, str | None, dict | None]:
        row = con.execute(
            "SELECT version, op, payload FROM layer_changes WHERE kind = ? "
            "ORDER BY version DESC LIMIT 1",
            (kind,),
        ).fetchone()
        if row is None:
            return 0, None, None
        return int(row[0]), str(row[1]), json.loads(row[2]) if row[1] == "set" else None

    def current(self) -> dict[str, dict[str, Any]]:
        """The payload of every kind that has a layer now."""
        if not self.db.exists():
            return {}
        out: dict[str, dict[str, Any]] = {}
        with self._con(write=False) as con:
            for kind in KINDS:
                _v, _op, payload = self._current(con, kind)
                if payload is not None:
                    out[kind] = payload
        return out

    def list(self) -> pd.DataFrame:
        """One row per imported layer: kind, name, features, source file, who, when, change."""
        cols = ["kind", "name_zh", "name", "n_features", "source_file", "fmt", "fictional",
                "by_user", "at", "change_id", "version"]  # fmt: skip
        if not self.db.exists():
            return pd.DataFrame(columns=cols)
        rows = []
        with self._con(write=False) as con:
            for kind in KINDS:
                r = con.execute(
                    "SELECT change_id, version, op, payload, by_user, at FROM layer_changes "
                    "WHERE kind = ? ORDER BY version DESC LIMIT 1",
                    (kind,),
                ).fetchone()
                if r is None or r[2] != "set":
                    continue
                p = json.loads(r[3])
                rows.append(
                    {
                        "kind": kind,
                        "name_zh": KIND_LABELS[kind][0],
                        "name": p["name"],
                        "n_features": p["n_features"],
                        "source_file": p["source_file"],
                        "fmt": p["fmt"],
                        "fictional": bool(p.get("fictional")),
                        "by_user": r[4],
                        "at": r[5],
                        "change_id": r[0],
                        "version": r[1],
                    }
                )
        return pd.DataFrame(rows, columns=cols)

    def history(self, kind: str | None = None) -> pd.DataFrame:
        """Every change (newest last): change_id, kind, version, op, name, by_user, at, why."""
        cols = ["change_id", "kind", "version", "op", "name", "by_user", "at", "why",
                "reverts_change_id"]  # fmt: skip
        if not self.db.exists():
            return pd.DataFrame(columns=cols)
        sql = "SELECT change_id, kind, version, op, payload, by_user, at, why, reverts_change_id "
        sql += "FROM layer_changes"
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            params.append(check_kind(kind))
        with self._con(write=False) as con:
            rows = con.execute(sql + " ORDER BY change_id", params).fetchall()
        return pd.DataFrame(
            [(r[0], r[1], r[2], r[3], json.loads(r[4]).get("name"), *r[5:]) for r in rows],
            columns=cols,
        )

    def frame(self, kind: str) -> gpd.GeoDataFrame | None:
        """The current layer's features (EPSG:4545), or None."""
        payload = self.current().get(check_kind(kind))
        if payload is None:
            return None
        return self._read_data(payload["file"])

    def land_layers(self) -> LandLayers:
        """The current layers, prepared for :func:`wzgeo.analysis.landuse.check_land` (kept
        in memory while their file is unchanged)."""
        out: dict[str, LandLayer] = {}
        for kind, payload in self.current().items():
            hit = self._cache.get(kind)
            if hit is not None and hit[0] == payload["file"]:
                out[kind] = hit[1]
                continue
            gdf = self._read_data(payload["file"])
            fictional = bool(payload.get("fictional"))
            layer = (
                prepare_landuse(gdf, name=payload["name"], fictional=fictional)
                if kind == "landuse"
                else prepare_redline(gdf, kind, name=payload["name"], fictional=fictional)
            )
            self._cache[kind] = (payload["file"], layer)
            out[kind] = layer
        return LandLayers(out)

    # -- writes

    def _write_data(self, gdf: gpd.GeoDataFrame, wkb: Any = None) -> str:
        """Write the features (attributes + WKB ``geometry``, EPSG:4545, uncompressed
        Parquet: fast to write and to read back) under a name made of their content."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        import shapely

        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        if wkb is None:
            wkb = pa.array(shapely.to_wkb(gdf.geometry.to_numpy()), type=pa.binary())
        table = pa.table({"geometry": wkb})
        attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]))
        if len(attrs.columns):
            cols = pa.Table.from_pandas(attrs, preserve_index=False)
            for name in cols.column_names:
                table = table.append_column(name, cols.column(name))
        fd, tmp = tempfile.mkstemp(dir=data, suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp, compression="none")
            h = hashlib.sha256()
            with open(tmp, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            name = f"{h.hexdigest()}.parquet"
            os.replace(tmp, data / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return name

    def _read_data(self, file: str) -> gpd.GeoDataFrame:
        import pyarrow.parquet as pq
        import shapely

        table = pq.read_table(self.folder / "data" / file)
        geoms = shapely.from_wkb(table.column("geometry").to_numpy())
        attrs = table.drop_columns(["geometry"]).to_pandas()
        return gpd.GeoDataFrame(attrs, geometry=geoms, crs="EPSG:4545")

    def _append(
        self,
        con: sqlite3.Connection,
        kind: str,
        op: str,
        payload: dict[str, Any],
        *,
        by: str,
        why: str,
        reverts: int | None = None,
    ) -> tuple[int, int]:
        version, _op, _p = self._current(con, kind)
        cur = con.execute(
            "INSERT INTO layer_changes (kind, version, op, payload, by_user, at, why, "
            "reverts_change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, version + 1, op, json.dumps(payload, ensure_ascii=False, sort_keys=True),
             by, now(), why, reverts),
        )  # fmt: skip
        assert cur.lastrowid is not None
        logger.info("layers: %s %s v%d by %s", op, kind, version + 1, by)
        return int(cur.lastrowid), version + 1

    def import_layer(
        self,
        kind: str,
        source: str | Path | bytes,
        *,
        by: str,
        why: str,
        filename: str | None = None,
        layer: str | None = None,
        crs: Any = None,
        name: str | None = None,
    ) -> LayerImport:
        """Read, check and save a layer (replacing the kind's current one; history keeps it).

        Raises
        ------
        InputFileError
            Unreadable file, no polygons, or (land use) no recognisable code field.
        """
        kind = check_kind(kind)
        by = check_text(by, "修改人 by", max_len=64)
        why = check_text(why, "原因 why", max_len=2000)
        read = read_layer(source, filename=filename, layer=layer, crs=crs)
        source_file = filename or (
            Path(str(source)).name if not isinstance(source, bytes | bytearray) else ""
        )
        label = name or source_file
        label = check_text(label or kind, "名称 name", max_len=200)
        fictional = DEMO_MARK in label
        frame = read.frame
        report = None
        if kind == "landuse":
            report = prepare_landuse(frame, name=label).report  # refuses a layer without codes
            frame = _keep_land_fields(frame)
        else:
            frame = frame.loc[:, [frame.geometry.name]]
        file = self._write_data(frame, read.wkb)
        payload = {
            "kind": kind,
            "name": label,
            "file": file,
            "source_file": filename
            or (Path(str(source)).name if not isinstance(source, bytes) else ""),
            "fmt": read.fmt,
            "layer": read.layer,
            "crs_note": read.crs_note,
            "n_read": read.n_read,
            "n_features": len(frame),
            "n_repaired": read.n_repaired,
            "report": report.to_dict() if report is not None else None,
            "fictional": fictional,
        }
        with self._con(write=True) as con:
            change_id, version = self._append(con, kind, "set", payload, by=by, why=why)
        return LayerImport(change_id, kind, version, label, read, report)

    def remove(self, kind: str, *, by: str, why: str) -> int:
        """Remove the kind's layer (recorded; revert brings it back). Returns the change id."""
        kind = check_kind(kind)
        by = check_text(by, "修改人 by", max_len=64)
        why = check_text(why, "原因 why", max_len=2000)
        with self._con(write=True) as con:
            _v, _op, payload = self._current(con, kind)
            if payload is None:
                raise NotFoundError(
                    f"没有已导入的{KIND_LABELS[kind][0]}图层，无需删除。",
                    f"no {KIND_LABELS[kind][1]} layer is imported; nothing to remove.",
                )
            return self._append(con, kind, "delete", payload, by=by, why=why)[0]

    def revert(self, change_id: int, *, by: str, why: str) -> int:
        """Restore the state from before ``change_id`` (a new change; nothing is deleted)."""
        by = check_text(by, "修改人 by", max_len=64)
        why = check_text(why, "原因 why", max_len=2000)
        if not self.db.exists():
            raise NotFoundError(
                f"没有图层修改 {change_id}。", f"there is no layer change {change_id}."
            )
        with self._con(write=True) as con:
            row = con.execute(
                "SELECT kind, version FROM layer_changes WHERE change_id = ?", (int(change_id),)
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    f"没有图层修改 {change_id}；请用 wzgeo layers history 查看编号。",
                    f"there is no layer change {change_id}; see wzgeo layers history.",
                )
            kind, version = str(row[0]), int(row[1])
            cur_version, _op, cur_payload = self._current(con, kind)
            if cur_version != version:
                raise StoreError(
                    f"修改 {change_id} 之后 {kind} 图层又被修改过；请撤销最近的修改。",
                    f"the {kind} layer changed again after change {change_id}; revert the "
                    "latest change instead.",
                )
            prev = con.execute(
                "SELECT op, payload FROM layer_changes WHERE kind = ? AND version = ?",
                (kind, version - 1),
            ).fetchone()
            if prev is not None and prev[0] == "set":
                return self._append(
                    con, kind, "set", json.loads(prev[1]), by=by, why=why, reverts=int(change_id)
                )[0]
            assert cur_payload is not None
            return self._append(
                con, kind, "delete", cur_payload, by=by, why=why, reverts=int(change_id)
            )[0]


def _keep_land_fields(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the code/name and 控规 indicator fields (other attributes are not stored)."""
    wanted = {n.upper() for n, _s, _r in CODE_FIELDS}
    wanted |= {n.upper() for names in PLANNED_FIELDS.values() for n in names}
    keep = [c for c in frame.columns if str(c).strip().upper() in wanted]
    out = frame.loc[:, [*keep, frame.geometry.name]].copy()
    for c in keep:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return out

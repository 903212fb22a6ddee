"""Persistent user work: a local SQLite store with history and optimistic concurrency.

Planning staff assign projects to zones, save checked plots, load official zone boundaries and
edit ``sector_fit`` cells and ``land_rules`` rows. The shipped ``geodata/`` stays read-only;
this module keeps the users' work in one SQLite file outside the code tree and lets analyses
overlay it on the shipped tables (:func:`apply_assignments`, :func:`apply_zone_boundaries`).

Design
------
* ``changes`` is an append-only log (SQL triggers refuse ``UPDATE`` and ``DELETE``). Every
  write appends one row: ``entity_type``, ``entity_id``, ``version``, ``op`` (``set`` or
  ``delete``), ``payload`` (JSON: the new state, or for ``delete`` the state removed),
  ``by_user``, ``at`` (UTC, ISO 8601), ``why`` and ``reverts_change_id``.
* ``current`` holds the state derived from the log (one row per entity, ``payload`` NULL when
  deleted). The log row and the ``current`` row are written in one transaction
  (``BEGIN IMMEDIATE`` … ``COMMIT``) in WAL mode with ``synchronous=FULL``: a process killed at
  any moment leaves either the old or the new state. :meth:`Store.verify` replays the log and
  checks that ``current`` agrees with it.
* Every entity has a version (0 before its first change). A write that passes
  ``expected_version`` fails with :class:`ConflictError` when someone else changed the entity
  in between; the message shows the current value, who changed it and when.
* A :class:`Store` holds only its path and the id catalogue; each call opens its own
  connection, so one ``Store`` can be shared by the sessions of a Streamlit server.
* Geometry is stored as GeoJSON in EPSG:4326 (lon, lat) inside the payload.

pandas, geopandas, shapely and pyogrio are imported inside the functions that need them so
that opening the store and writing stays fast (the CLI and the crash test start many
processes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wzgeo._errors import InputFileError, WzgeoError, WzgeoTypeError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "DOCUMENTED_SECTOR_IDS",
    "DOCUMENTED_ZONE_IDS",
    "ENTITY_TYPES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LAND_RULE_KEY",
    "SECTOR_FIT_GRADES",
    "Change",
    "ConflictError",
    "EntityState",
    "IdCatalog",
    "NotFoundError",
    "Store",
    "StoreCheck",
    "StoreError",
    "StoreImportError",
    "apply_assignments",
    "apply_land_rule_edits",
    "apply_sector_fit_edits",
    "apply_zone_boundaries",
    "default_store_path",
    "land_rule_id",
    "load_id_catalog",
    "open_store",
]

logger = logging.getLogger(__name__)

ENTITY_TYPES = ("assignment", "plot", "zone_boundary", "sector_fit", "land_rule")
OPS = ("set", "delete")
SECTOR_FIT_GRADES = ("primary", "compatible", "not_listed")
LAND_RULE_KEY = ("indicator", "gbt4754_code", "edition")
FORMAT_NAME = "wzgeo-store"
FORMAT_VERSION = 1
SCHEMA_VERSION = 1
MANIFEST_LAYER = "wzgeo_manifest"

DOCUMENTED_ZONE_IDS = frozenset(
    {
        "gaofeng", "tianzi", "wuqiao", "jiulong_a", "jiulong_b", "xintian_a", "xintian_b",
        "yudong", "fenshui", "lihe", "longsha", "longju", "tailong",
    }
)  # fmt: skip
DOCUMENTED_SECTOR_IDS = frozenset(
    {
        "new_materials", "nm_copper", "nm_aluminium", "nm_building", "nm_synthetic",
        "food_pharma", "food", "pharma", "auto", "lighting", "equipment", "electronics",
        "chemicals", "stone_processing", "printing_packaging", "apparel", "consumer_goods",
        "agri_processing",
    }
)  # fmt: skip
_PROJECT_ID_RE = re.compile(r"^(NM-(CU|AL|BM|SY)|FP-(FD|PH)|AU|GL|EQ|EI)-\d{2}$")
_FREE_ID_RE = re.compile(r"^[^\x00-\x1f]{1,100}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL CHECK (entity_type IN
        ('assignment', 'plot', 'zone_boundary', 'sector_fit', 'land_rule')),
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    op TEXT NOT NULL CHECK (op IN ('set', 'delete')),
    payload TEXT NOT NULL CHECK (json_valid(payload)),
    by_user TEXT NOT NULL CHECK (length(by_user) > 0),
    at TEXT NOT NULL,
    why TEXT NOT NULL CHECK (length(why) > 0),
    reverts_change_id INTEGER REFERENCES changes(change_id),
    UNIQUE (entity_type, entity_id, version)
);
CREATE TABLE IF NOT EXISTS current (
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    change_id INTEGER NOT NULL REFERENCES changes(change_id),
    payload TEXT CHECK (payload IS NULL OR json_valid(payload)),
    PRIMARY KEY (entity_type, entity_id)
);
CREATE TRIGGER IF NOT EXISTS changes_no_update BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
CREATE TRIGGER IF NOT EXISTS changes_no_delete BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
"""

_CHANGE_COLUMNS = (
    "change_id", "entity_type", "entity_id", "version", "op", "payload", "by_user", "at",
    "why", "reverts_change_id",
)  # fmt: skip


# ----------------------------------------------------------------------------- errors


class StoreError(WzgeoError):
    """A request the store cannot carry out (bad id, missing reason, unusable path)."""


class NotFoundError(StoreError):
    """The change or entity asked for does not exist."""


class StoreImportError(StoreError):
    """An import file is broken, foreign or inconsistent; nothing was imported."""


class ConflictError(StoreError):
    """Someone else changed the entity since the caller read it.

    Attributes
    ----------
    entity_type, entity_id
        What was being changed.
    expected_version, current_version
        The version the caller saw and the version now in the store.
    current_value
        The current value in words (e.g. the zone a project is assigned to).
    by_user, at
        Who made the latest change and when (UTC).
    """

    def __init__(
        self,
        *,
        entity_type: str,
        entity_id: str,
        expected_version: int | None,
        current_version: int,
        current_value: str,
        by_user: str | None,
        at: str | None,
        reason_zh: str = "",
        reason_en: str = "",
    ) -> None:
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.current_value = current_value
        self.by_user = by_user
        self.at = at
        when = (at or "")[:19].replace("T", " ")
        who_zh = f"，由 {by_user} 于 {when} (UTC) 修改" if by_user else ""
        who_en = f", changed by {by_user} at {when} UTC" if by_user else ""
        zh = reason_zh or (
            f"保存冲突：{entity_type} '{entity_id}' 在您读取（版本 {expected_version}）之后"
            f"已被他人修改。"
        )
        en = reason_en or (
            f"Conflict: {entity_type} '{entity_id}' was changed by someone else after you read "
            f"it (version {expected_version})."
        )
        super().__init__(
            f"{zh}当前值：{current_value}（版本 {current_version}{who_zh}）。"
            f"请查看当前值后重新决定是否保存。",
            f"{en} Current value: {current_value} (version {current_version}{who_en}). "
            f"Review the current value, then save again if you still want your change.",
        )


# ----------------------------------------------------------------------------- records


@dataclasses.dataclass(frozen=True)
class Change:
    """One appended change (what a write returns)."""

    change_id: int
    entity_type: str
    entity_id: str
    version: int
    op: str
    by_user: str
    at: str
    why: str
    reverts_change_id: int | None = None


@dataclasses.dataclass(frozen=True)
class EntityState:
    """The current state of one entity; ``version`` is 0 and ``value`` None if never set."""

    entity_type: str
    entity_id: str
    version: int
    value: dict[str, Any] | None
    by_user: str | None
    at: str | None
    why: str | None
    change_id: int | None

    @property
    def exists(self) -> bool:
        """True when the entity currently has a value (set and not deleted)."""
        return self.value is not None


@dataclasses.dataclass(frozen=True)
class StoreCheck:
    """Result of :meth:`Store.verify`."""

    integrity: str
    n_changes: int
    n_entities: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when SQLite's integrity check passed and the log agrees with the state."""
        return self.integrity == "ok" and not self.problems


@dataclasses.dataclass(frozen=True)
class IdCatalog:
    """Known ids used to validate writes and imports.

    Parameters
    ----------
    zone_ids
        Valid ``zone_id`` values.
    project_ids
        Valid ``project_id`` values, or None to accept any id of the documented pattern
        (``NM-CU-01``, ``AU-12``, ...) when the plan tables are not available.
    sector_ids
        Valid ``sector_id`` values.
    source
        Where the ids came from (shown in messages).
    """

    zone_ids: frozenset[str]
    project_ids: frozenset[str] | None
    sector_ids: frozenset[str]
    source: str = "documented ids"

    def check_project(self, project_id: str) -> None:
        """Raise :class:`StoreError` unless ``project_id`` is known."""
        ok = (
            project_id in self.project_ids
            if self.project_ids is not None
            else bool(_PROJECT_ID_RE.match(project_id))
        )
        if not ok:
            raise StoreError(
                f"未知项目编号 '{project_id}'（依据：{self.source}）。"
                f"请使用规划项目表中的编号，如 NM-CU-01、AU-12。",
                f"Unknown project id '{project_id}' (checked against {self.source}). "
                f"Use an id from the plan's project table, e.g. NM-CU-01, AU-12.",
            )

    def check_zone(self, zone_id: str) -> None:
        """Raise :class:`StoreError` unless ``zone_id`` is known."""
        if zone_id not in self.zone_ids:
            raise StoreError(
                f"未知园区编号 '{zone_id}'。可用：{', '.join(sorted(self.zone_ids))}。",
                f"Unknown zone id '{zone_id}'. Valid: {', '.join(sorted(self.zone_ids))}.",
            )

    def check_sector(self, sector_id: str) -> None:
        """Raise :class:`StoreError` unless ``sector_id`` is known."""
        if sector_id not in self.sector_ids:
            raise StoreError(
                f"未知产业编号 '{sector_id}'。可用：{', '.join(sorted(self.sector_ids))}。",
                f"Unknown sector id '{sector_id}'. Valid: {', '.join(sorted(self.sector_ids))}.",
            )


def load_id_catalog() -> IdCatalog:
    """Ids from the plan tables (``wzgeo.plandata``), or the documented ids if unavailable.

    Returns
    -------
    IdCatalog
        With ``project_ids`` None (pattern check only) when the plan tables cannot be loaded.
    """
    try:
        from wzgeo import plandata  # type: ignore[attr-defined,unused-ignore]

        zones = plandata.load_zones()
        projects = plandata.load_projects()
        zone_ids = frozenset(str(z) for z in zones["zone_id"])
        project_ids = frozenset(str(p) for p in projects["project_id"])
    except (ImportError, AttributeError, KeyError, OSError, ValueError) as e:
        logger.info("plan tables not available (%s); using documented ids", e)
        return IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS)
    sector_ids = DOCUMENTED_SECTOR_IDS
    with contextlib.suppress(ImportError, AttributeError, KeyError, OSError, ValueError):
        sector_ids = frozenset(str(s) for s in plandata.load_sectors()["sector_id"])
    return IdCatalog(zone_ids, project_ids, sector_ids, source="plan tables")


# ----------------------------------------------------------------------------- paths


def default_store_path() -> Path:
    """``$WZGEO_STORE`` if set, else ``store.sqlite`` in the user data dir (platformdirs)."""
    env = os.environ.get("WZGEO_STORE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("wzgeo")) / "store.sqlite"


def _refuse_code_tree(path: Path) -> None:
    from wzgeo.paths import geodata_dir, repo_root

    resolved = path.resolve()
    for forbidden in (repo_root() / "wzgeo", repo_root() / "geodata", geodata_dir()):
        if resolved.is_relative_to(forbidden.resolve()):
            raise StoreError(
                f"存储文件 {path} 位于代码或随附数据目录 {forbidden} 内，该目录只读。"
                f"请设置环境变量 WZGEO_STORE 指向其他位置。",
                f"Store file {path} is inside the code or shipped-data folder {forbidden}, "
                f"which stays read-only. Set WZGEO_STORE to a path elsewhere.",
            )


def open_store(
    path: str | os.PathLike[str] | None = None, *, ids: IdCatalog | None = None
) -> Store:
    """Open (creating if needed) the store at ``path``.

    Parameters
    ----------
    path
        The SQLite file; default :func:`default_store_path`.
    ids
        Known ids to validate against; default: loaded lazily with :func:`load_id_catalog`.

    Returns
    -------
    Store
    """
    return Store(Path(path) if path is not None else default_store_path(), ids=ids)


# ----------------------------------------------------------------------------- helpers


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _check_text(value: object, name: str, *, max_len: int) -> str:
    if not isinstance(value, str):
        raise WzgeoTypeError(
            f"{name} 必须是文字，收到 {type(value).__name__}。",
            f"{name} must be text, got {type(value).__name__}.",
        )
    text = value.strip()
    if not text:
        raise StoreError(
            f"{name} 不能为空：每次修改都要写明修改人（--by）和原因（--why）。",
            f"{name} must not be empty: every change records who (--by) and why (--why).",
        )
    if len(text) > max_len:
        raise StoreError(
            f"{name} 太长（{len(text)} 字，最多 {max_len}）。",
            f"{name} is too long ({len(text)} characters, at most {max_len}).",
        )
    return text


def _check_free_id(value: object, name: str) -> str:
    text = _check_text(value, name, max_len=100)
    if not _FREE_ID_RE.match(text):
        raise StoreError(
            f"{name} '{text}' 含有控制字符（如换行），请去掉。",
            f"{name} '{text}' contains control characters (e.g. a line break); remove them.",
        )
    return text


def _geometry_to_geojson(geometry: object, *, what: str) -> dict[str, Any]:
    """Turn a shapely geometry (EPSG:4326), GeoSeries/GeoDataFrame or GeoJSON into GeoJSON."""
    import shapely
    from shapely.geometry import mapping, shape
    from shapely.geometry.base import BaseGeometry

    geom: Any
    if isinstance(geometry, BaseGeometry):
        geom = geometry
    elif isinstance(geometry, Mapping) and "type" in geometry:
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise InputFileError(
                f"{what} 的 GeoJSON 几何无法解析：{e}。",
                f"The GeoJSON geometry of {what} cannot be read: {e}.",
            ) from e
    elif hasattr(geometry, "to_crs") and hasattr(geometry, "crs"):
        if geometry.crs is None:
            from wzgeo._errors import CRSError

            raise CRSError(
                f"{what} 没有坐标参考系（CRS），无法确定坐标含义。请先设置 CRS。",
                f"{what} has no coordinate reference system; set its CRS first.",
            )
        series = geometry.to_crs(4326)
        if hasattr(series, "geometry"):
            series = series.geometry
        geom = series.union_all()
    else:
        raise WzgeoTypeError(
            f"{what} 必须是 shapely 几何（EPSG:4326）、GeoSeries/GeoDataFrame 或 GeoJSON，"
            f"收到 {type(geometry).__name__}。",
            f"{what} must be a shapely geometry (EPSG:4326), a GeoSeries/GeoDataFrame or "
            f"GeoJSON, got {type(geometry).__name__}.",
        )
    if geom is None or geom.is_empty:
        raise InputFileError(f"{what} 的几何为空。", f"The geometry of {what} is empty.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputFileError(
            f"{what} 的坐标范围 ({minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}) 不是经纬度；"
            f"像是投影坐标。请传入 EPSG:4326（经度, 纬度）或带 CRS 的 GeoDataFrame。",
            f"The coordinates of {what} ({minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}) are "
            f"not lon/lat; they look projected. Give EPSG:4326 (lon, lat) or a GeoDataFrame "
            f"with its CRS.",
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InputFileError(
            f"{what} 的几何无效（{reason}）。请在 GIS 软件中修复（如 QGIS“修复几何”）。",
            f"The geometry of {what} is invalid ({reason}). Repair it in GIS software "
            f"(e.g. QGIS 'Fix geometries').",
        )
    return dict(json.loads(json.dumps(mapping(geom))))


def _describe(entity_type: str, payload: Mapping[str, Any] | None) -> str:
    """The value of an entity in a few words (for history tables and conflict messages)."""
    if payload is None:
        return "（无 / none）"
    if entity_type == "assignment":
        return str(payload.get("zone_id"))
    if entity_type == "sector_fit":
        return str(payload.get("grade"))
    if entity_type == "zone_boundary":
        return f"{payload.get('geometry', {}).get('type')} ← {payload.get('source')}"
    if entity_type == "plot":
        return f"{payload.get('geometry', {}).get('type')}"
    if entity_type == "land_rule":
        return _dumps(payload.get("values", {}))
    return _dumps(payload)


def _payload_id(entity_type: str, payload: Mapping[str, Any]) -> str | None:
    """The entity id a payload describes (must equal the change's ``entity_id``)."""
    if entity_type == "sector_fit":
        return f"{payload.get('sector_id')}|{payload.get('zone_id')}"
    field = {"assignment": "project_id", "plot": "plot_id", "zone_boundary": "zone_id",
             "land_rule": "rule_id"}.get(entity_type)  # fmt: skip
    value = payload.get(field) if field else None
    return None if value is None else str(value)


def _replay(
    rows: list[tuple[Any, ...]],
) -> tuple[dict[tuple[str, str], tuple[int, int, str | None]], list[str]]:
    """Replay change rows (in change_id order) into the derived state; list problems found."""
    state: dict[tuple[str, str], tuple[int, int, str | None]] = {}
    problems: list[str] = []
    by_id: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        change_id, etype, eid, version, op, payload, by_user, at, why, reverts = row
        by_id[change_id] = row
        where = f"change {change_id}"
        if etype not in ENTITY_TYPES:
            problems.append(f"{where}: unknown entity_type {etype!r}")
        if op not in OPS:
            problems.append(f"{where}: unknown op {op!r}")
        try:
            parsed = json.loads(payload)
            if not isinstance(parsed, dict):
                problems.append(f"{where}: payload is not a JSON object")
            elif _payload_id(etype, parsed) != eid:
                problems.append(
                    f"{where}: payload names {_payload_id(etype, parsed)!r}, not {eid!r}"
                )
        except (TypeError, ValueError) as e:
            problems.append(f"{where}: payload does not parse ({e})")
        if not by_user or not why or not at:
            problems.append(f"{where}: missing by_user, at or why")
        prev_version = state.get((etype, eid), (0, 0, None))[0]
        if version != prev_version + 1:
            problems.append(f"{where}: version {version} of {etype} {eid!r} follows {prev_version}")
        if reverts is not None and reverts not in by_id:
            problems.append(f"{where}: reverts unknown or later change {reverts}")
        state[(etype, eid)] = (version, change_id, payload if op == "set" else None)
    return state, problems


# ----------------------------------------------------------------------------- the store


class Store:
    """A handle on one store file; each method opens its own SQLite connection.

    Use :func:`open_store` to create one. Writes take the user (``by``) and the reason
    (``why``); pass ``expected_version`` (the version you displayed) to be protected against
    overwriting someone else's change.

    Parameters
    ----------
    path
        The SQLite file (created with its folder if missing).
    ids
        Known ids; default loaded lazily with :func:`load_id_catalog`.
    """

    def __init__(self, path: Path, *, ids: IdCatalog | None = None) -> None:
        _refuse_code_tree(path)
        self.path = path
        self._ids = ids
        path.parent.mkdir(parents=True, exist_ok=True)
        self._init_schema()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def ids(self) -> IdCatalog:
        """The id catalogue used for validation (loaded on first use)."""
        if self._ids is None:
            self._ids = load_id_catalog()
        return self._ids

    # -- connections

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            con.execute("PRAGMA busy_timeout = 30000")
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"无法打开存储文件 {self.path}：{e}。它可能不是 wzgeo 存储或已损坏。",
                f"Cannot open the store file {self.path}: {e}. It may not be a wzgeo store "
                f"or may be damaged.",
            ) from e
        return con

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _init_schema(self) -> None:
        with self._read() as con:
            try:
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
                fmt = (
                    con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                    if "meta" in tables
                    else None
                )
            except sqlite3.DatabaseError as e:
                raise StoreError(
                    f"{self.path} 不是可用的 SQLite 存储文件：{e}。",
                    f"{self.path} is not a usable SQLite store: {e}.",
                ) from e
            if tables and (fmt is None or fmt[0] != FORMAT_NAME):
                raise StoreError(
                    f"{self.path} 是别的 SQLite 数据库（不是 wzgeo 存储），不会改动它。"
                    f"请为 WZGEO_STORE 选择新的文件名。",
                    f"{self.path} is another SQLite database, not a wzgeo store; it was left "
                    f"untouched. Choose a new file name for WZGEO_STORE.",
                )
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        with self._write() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                con.executemany(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", FORMAT_NAME),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("created_at", _now()),
                        ("store_id", hashlib.sha256(os.urandom(16)).hexdigest()[:16]),
                    ],
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"存储文件 {self.path} 由更新版本的 wzgeo 创建（结构版本 {row[0]}）。"
                    f"请升级 wzgeo。",
                    f"The store {self.path} was made by a newer wzgeo (schema {row[0]}). "
                    f"Upgrade wzgeo.",
                )

    # -- core write

    def _state(self, con: sqlite3.Connection, etype: str, eid: str) -> EntityState:
        row = con.execute(
            "SELECT c.version, c.payload, ch.by_user, ch.at, ch.why, c.change_id "
            "FROM current c JOIN changes ch ON ch.change_id = c.change_id "
            "WHERE c.entity_type = ? AND c.entity_id = ?",
            (etype, eid),
        ).fetchone()
        if row is None:
            return EntityState(etype, eid, 0, None, None, None, None, None)
        version, payload, by_user, at, why, change_id = row
        value = json.loads(payload) if payload is not None else None
        return EntityState(etype, eid, version, value, by_user, at, why, change_id)

    def _append(
        self,
        con: sqlite3.Connection,
        etype: str,
        eid: str,
        op: str,
        payload: Mapping[str, Any] | None,
        *,
        by: str,
        why: str,
        expected_version: int | None,
        reverts: int | None = None,
    ) -> Change:
        by = _check_text(by, "修改人 by", max_len=64)
        why = _check_text(why, "原因 why", max_len=2000)
        cur = self._state(con, etype, eid)
        if expected_version is not None and expected_version != cur.version:
            raise ConflictError(
                entity_type=etype,
                entity_id=eid,
                expected_version=expected_version,
                current_version=cur.version,
                current_value=_describe(etype, cur.value),
                by_user=cur.by_user,
                at=cur.at,
            )
        if op == "delete":
            if cur.value is None:
                raise NotFoundError(
                    f"{etype} '{eid}' 当前没有值，无需删除。",
                    f"{etype} '{eid}' has no current value; nothing to remove.",
                )
            payload = cur.value
        text = _dumps(payload)
        version = cur.version + 1
        at = _now()
        change_id = con.execute(
            "INSERT INTO changes (entity_type, entity_id, version, op, payload, by_user, at, "
            "why, reverts_change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (etype, eid, version, op, text, by, at, why, reverts),
        ).lastrowid
        assert change_id is not None
        con.execute(
            "INSERT INTO current (entity_type, entity_id, version, change_id, payload) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity_type, entity_id) DO UPDATE SET "
            "version = excluded.version, change_id = excluded.change_id, "
            "payload = excluded.payload",
            (etype, eid, version, change_id, text if op == "set" else None),
        )
        logger.info("store: %s %s %s v%d by %s (change %d)", op, etype, eid, version, by, change_id)
        return Change(change_id, etype, eid, version, op, by, at, why, reverts)

    def _set(
        self,
        etype: str,
        eid: str,
        payload: Mapping[str, Any] | None,
        *,
        op: str = "set",
        by: str,
        why: str,
        expected_version: int | None,
    ) -> Change:
        if expected_version is not None and (
            not isinstance(expected_version, int) or expected_version < 0
        ):
            raise WzgeoTypeError(
                f"expected_version 必须是非负整数，收到 {expected_version!r}。",
                f"expected_version must be a non-negative integer, got {expected_version!r}.",
            )
        with self._write() as con:
            return self._append(
                con, etype, eid, op, payload, by=by, why=why, expected_version=expected_version
            )

    # -- public writes

    def assign(
        self,
        project_id: str,
        zone_id: str,
        *,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Assign a project to a zone.

        Parameters
        ----------
        project_id, zone_id
            Ids from the plan tables.
        by, why
            Who makes the change and why (both required).
        expected_version
            The assignment version the caller displayed (0 = never assigned); a different
            current version raises :class:`ConflictError`. None skips the check.

        Returns
        -------
        Change
        """
        project_id = _check_text(project_id, "project_id", max_len=50)
        zone_id = _check_text(zone_id, "zone_id", max_len=50)
        self.ids.check_project(project_id)
        self.ids.check_zone(zone_id)
        payload = {"project_id": project_id, "zone_id": zone_id}
        return self._set(
            "assignment", project_id, payload, by=by, why=why, expected_version=expected_version
        )

    def unassign(
        self, project_id: str, *, by: str, why: str, expected_version: int | None = None
    ) -> Change:
        """Remove a project's assignment (recorded as a ``delete`` change)."""
        project_id = _check_text(project_id, "project_id", max_len=50)
        return self._set(
            "assignment", project_id, None, op="delete", by=by, why=why,
            expected_version=expected_version,
        )  # fmt: skip

    def save_plot(
        self,
        plot_id: str,
        geometry: object,
        report: Mapping[str, Any] | None = None,
        *,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Save a plot's geometry (EPSG:4326) with its check report (JSON-able mapping).

        Parameters
        ----------
        plot_id
            Any short name (at most 100 characters, no control characters).
        geometry
            shapely geometry in EPSG:4326, GeoSeries/GeoDataFrame with a CRS, or GeoJSON.
        report
            The check report, e.g. ``PlotCheck.to_dict()``; anything with ``to_dict()`` works.
        by, why, expected_version
            As for :meth:`assign`.
        """
        plot_id = _check_free_id(plot_id, "plot_id")
        if report is not None and not isinstance(report, Mapping) and hasattr(report, "to_dict"):
            report = report.to_dict()
        if report is not None and not isinstance(report, Mapping):
            raise WzgeoTypeError(
                f"检查报告必须是字典（或有 to_dict()），收到 {type(report).__name__}。",
                f"The check report must be a mapping (or have to_dict()), "
                f"got {type(report).__name__}.",
            )
        try:
            report_json = json.loads(_dumps(dict(report or {})))
        except (TypeError, ValueError) as e:
            raise WzgeoTypeError(
                f"检查报告无法保存为 JSON：{e}。", f"The check report is not JSON-able: {e}."
            ) from e
        payload = {
            "plot_id": plot_id,
            "geometry": _geometry_to_geojson(geometry, what=f"plot {plot_id}"),
            "report": report_json,
        }
        return self._set(
            "plot", plot_id, payload, by=by, why=why, expected_version=expected_version
        )

    def delete_plot(
        self, plot_id: str, *, by: str, why: str, expected_version: int | None = None
    ) -> Change:
        """Remove a saved plot (recorded as a ``delete`` change; history keeps it)."""
        plot_id = _check_free_id(plot_id, "plot_id")
        return self._set(
            "plot", plot_id, None, op="delete", by=by, why=why, expected_version=expected_version
        )

    def set_zone_boundary(
        self,
        zone_id: str,
        geometry: object,
        *,
        source: str,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Record an official boundary for a zone (replaces the schematic polygon).

        Parameters
        ----------
        zone_id
            A known zone id.
        geometry
            shapely geometry in EPSG:4326, GeoSeries/GeoDataFrame with a CRS, or GeoJSON.
        source
            The file name or document the boundary came from.
        by, why, expected_version
            As for :meth:`assign`.
        """
        zone_id = _check_text(zone_id, "zone_id", max_len=50)
        self.ids.check_zone(zone_id)
        source = _check_text(source, "来源 source", max_len=500)
        geojson = _geometry_to_geojson(geometry, what=f"zone {zone_id}")
        if geojson["type"] not in ("Polygon", "MultiPolygon"):
            raise InputFileError(
                f"园区 {zone_id} 的边界是 {geojson['type']}，应为面（Polygon/MultiPolygon）。",
                f"The boundary of zone {zone_id} is a {geojson['type']}; it must be a "
                f"Polygon or MultiPolygon.",
            )
        payload = {
            "zone_id": zone_id,
            "geometry": geojson,
            "source": source,
            "crs": "EPSG:4326",
        }
        return self._set(
            "zone_boundary", zone_id, payload, by=by, why=why, expected_version=expected_version
        )

    def set_sector_fit(
        self,
        sector_id: str,
        zone_id: str,
        grade: str,
        *,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Override one cell of the sector × zone fit matrix with ``grade``."""
        sector_id = _check_text(sector_id, "sector_id", max_len=50)
        zone_id = _check_text(zone_id, "zone_id", max_len=50)
        grade = _check_text(grade, "grade", max_len=50)
        if grade not in SECTOR_FIT_GRADES:
            raise StoreError(
                f"适配等级 '{grade}' 无效，应为 {', '.join(SECTOR_FIT_GRADES)} 之一。",
                f"Fit grade '{grade}' is not one of {', '.join(SECTOR_FIT_GRADES)}.",
            )
        self.ids.check_sector(sector_id)
        self.ids.check_zone(zone_id)
        payload = {"sector_id": sector_id, "zone_id": zone_id, "grade": grade}
        return self._set(
            "sector_fit", f"{sector_id}|{zone_id}", payload, by=by, why=why,
            expected_version=expected_version,
        )  # fmt: skip

    def set_land_rule(
        self,
        rule_id: str,
        values: Mapping[str, str | int | float | bool | None],
        *,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Override one row of ``land_rules`` (``values``: column → new value).

        ``rule_id`` names the row; for ``geodata/land_rules.csv`` use :func:`land_rule_id`
        (``indicator|gbt4754_code|edition``) so :func:`apply_land_rule_edits` finds it.
        """
        rule_id = _check_free_id(rule_id, "rule_id")
        if not isinstance(values, Mapping) or not values:
            raise WzgeoTypeError(
                "land_rule 的值必须是非空字典（列名 → 值）。",
                "land_rule values must be a non-empty mapping (column → value).",
            )
        clean: dict[str, Any] = {}
        for key, val in values.items():
            if val is not None and not isinstance(val, str | int | float | bool):
                raise WzgeoTypeError(
                    f"land_rule 列 '{key}' 的值类型 {type(val).__name__} 不支持。",
                    f"land_rule column '{key}' has unsupported type {type(val).__name__}.",
                )
            if isinstance(val, float) and not math.isfinite(val):
                val = None
            clean[str(key)] = val
        payload = {"rule_id": rule_id, "values": clean}
        return self._set(
            "land_rule", rule_id, payload, by=by, why=why, expected_version=expected_version
        )

    def revert(self, change_id: int, *, by: str, why: str, force: bool = False) -> Change:
        """Append a change that restores the state from before ``change_id``.

        Nothing is deleted: the reverted change stays in the history and the new change
        points to it (``reverts_change_id``).

        Parameters
        ----------
        change_id
            The change to undo.
        by, why
            Who reverts and why.
        force
            Revert even if the entity changed again after ``change_id`` (those later changes
            are undone too). Without it such a revert raises :class:`ConflictError`.

        Returns
        -------
        Change
        """
        with self._write() as con:
            row = con.execute(
                "SELECT entity_type, entity_id, version FROM changes WHERE change_id = ?",
                (int(change_id),),
            ).fetchone()
            if row is None:
                raise NotFoundError(
                    f"没有编号为 {change_id} 的修改记录。请用 history 查看编号。",
                    f"There is no change {change_id}. Use history to see change ids.",
                )
            etype, eid, version = row
            cur = self._state(con, etype, eid)
            if cur.version != version and not force:
                raise ConflictError(
                    entity_type=etype,
                    entity_id=eid,
                    expected_version=version,
                    current_version=cur.version,
                    current_value=_describe(etype, cur.value),
                    by_user=cur.by_user,
                    at=cur.at,
                    reason_zh=f"修改 {change_id} 之后 {etype} '{eid}' 又被修改过，"
                    f"撤销它会一并撤销之后的修改（可用 --force 强制）。",
                    reason_en=f"{etype} '{eid}' changed again after change {change_id}; "
                    f"reverting it would also undo the later changes (use --force to do so).",
                )
            prev = con.execute(
                "SELECT op, payload FROM changes WHERE entity_type = ? AND entity_id = ? "
                "AND version = ?",
                (etype, eid, version - 1),
            ).fetchone()
            target = json.loads(prev[1]) if prev is not None and prev[0] == "set" else None
            if target == cur.value:
                raise StoreError(
                    f"{etype} '{eid}' 已经是修改 {change_id} 之前的状态，无需撤销。",
                    f"{etype} '{eid}' is already in the state from before change "
                    f"{change_id}; nothing to revert.",
                )
            return self._append(
                con, etype, eid, "set" if target is not None else "delete", target,
                by=by, why=why, expected_version=cur.version, reverts=int(change_id),
            )  # fmt: skip

    # -- reads

    def state(self, entity_type: str, entity_id: str) -> EntityState:
        """The current state and version of one entity (version 0 if never written)."""
        with self._read() as con:
            return self._state(con, entity_type, entity_id)

    def history(
        self, entity_id: str | None = None, *, entity_type: str | None = None
    ) -> pd.DataFrame:
        """The change log, oldest first.

        Parameters
        ----------
        entity_id
            Only changes of this entity *or mentioning it*: a zone id also finds the
            assignments to that zone and its ``sector_fit`` cells. None: every change.
        entity_type
            Only changes of this type.

        Returns
        -------
        pandas.DataFrame
            Columns ``change_id, at, by_user, entity_type, entity_id, op, version, value, why,
            reverts_change_id, payload`` (``value`` summarises the payload in words).
        """
        import pandas as pd

        sql = f"SELECT {', '.join(_CHANGE_COLUMNS)} FROM changes WHERE 1 = 1"
        params: list[object] = []
        if entity_id is not None:
            sql += (
                " AND (entity_id = ? OR json_extract(payload, '$.zone_id') = ?"
                " OR json_extract(payload, '$.project_id') = ?"
                " OR json_extract(payload, '$.sector_id') = ?)"
            )
            params += [entity_id] * 4
        if entity_type is not None:
            sql += " AND entity_type = ?"
            params.append(entity_type)
        with self._read() as con:
            rows = con.execute(sql + " ORDER BY change_id", params).fetchall()
        df = pd.DataFrame(rows, columns=list(_CHANGE_COLUMNS))
        df["value"] = [
            _describe(t, json.loads(p))
            if op == "set"
            else f"（删除 / removed）{_describe(t, json.loads(p))}"
            for t, p, op in zip(df["entity_type"], df["payload"], df["op"], strict=True)
        ]
        df["reverts_change_id"] = df["reverts_change_id"].astype("Int64")
        order = ["change_id", "at", "by_user", "entity_type", "entity_id", "op", "version",
                 "value", "why", "reverts_change_id", "payload"]  # fmt: skip
        return df[order]

    def _current_rows(self, etype: str) -> list[tuple[Any, ...]]:
        with self._read() as con:
            return con.execute(
                "SELECT c.entity_id, c.version, c.payload, ch.by_user, ch.at, ch.why, "
                "c.change_id FROM current c JOIN changes ch ON ch.change_id = c.change_id "
                "WHERE c.entity_type = ? AND c.payload IS NOT NULL ORDER BY c.entity_id",
                (etype,),
            ).fetchall()

    def _frame(self, etype: str, fields: list[str]) -> pd.DataFrame:
        import pandas as pd

        records = []
        for _eid, version, payload, by_user, at, why, change_id in self._current_rows(etype):
            value = json.loads(payload)
            rec = {f: value.get(f) for f in fields}
            rec.update(by_user=by_user, at=at, why=why, version=version, change_id=change_id)
            records.append(rec)
        cols = [*fields, "by_user", "at", "why", "version", "change_id"]
        return pd.DataFrame.from_records(records, columns=cols)

    def assignments(self) -> pd.DataFrame:
        """Current assignments: ``project_id, zone_id, by_user, at, why, version, change_id``."""
        return self._frame("assignment", ["project_id", "zone_id"])

    def sector_fit_edits(self) -> pd.DataFrame:
        """Current fit overrides: ``sector_id, zone_id, grade, by_user, at, why, version, ...``."""
        return self._frame("sector_fit", ["sector_id", "zone_id", "grade"])

    def land_rule_edits(self) -> pd.DataFrame:
        """Current land-rule overrides: ``rule_id``, one column per edited field, then who/when.

        The edited values keep their JSON types; ``values_json`` holds them as one string.
        """
        import pandas as pd

        df = self._frame("land_rule", ["rule_id", "values"])
        values = pd.DataFrame.from_records(list(df["values"]), index=df.index)
        df["values_json"] = [_dumps(v) for v in df["values"]]
        return pd.concat([df[["rule_id"]], values, df.drop(columns=["rule_id", "values"])], axis=1)

    def _geo_frame(self, etype: str, fields: list[str]) -> gpd.GeoDataFrame:
        import geopandas as gpd
        from shapely.geometry import shape

        df = self._frame(etype, [*fields, "geometry"])
        geoms = [shape(g) for g in df["geometry"]]
        return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326")

    def zone_boundaries(self) -> gpd.GeoDataFrame:
        """Official boundaries: ``zone_id, source, by_user, at, why, version, change_id,
        geometry`` in EPSG:4326."""
        return self._geo_frame("zone_boundary", ["zone_id", "source"])

    def plots(self) -> gpd.GeoDataFrame:
        """Saved plots: ``plot_id, report`` (dict), who/when/why/version, geometry (EPSG:4326)."""
        return self._geo_frame("plot", ["plot_id", "report"])

    # -- checks

    def _all_changes(self, con: sqlite3.Connection) -> list[tuple[Any, ...]]:
        return con.execute(
            f"SELECT {', '.join(_CHANGE_COLUMNS)} FROM changes ORDER BY change_id"
        ).fetchall()

    def verify(self) -> StoreCheck:
        """Check the file (``PRAGMA integrity_check``) and that ``current`` matches the log.

        Returns
        -------
        StoreCheck
            ``ok`` is True when nothing is wrong; ``problems`` lists every disagreement.
        """
        with self._read() as con:
            integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
            rows = self._all_changes(con)
            current = {
                (t, i): (v, c, p)
                for t, i, v, c, p in con.execute(
                    "SELECT entity_type, entity_id, version, change_id, payload FROM current"
                )
            }
        state, problems = _replay(rows)
        for key in sorted(set(state) | set(current)):
            if state.get(key) != current.get(key):
                problems.append(
                    f"{key[0]} {key[1]!r}: derived state {current.get(key)!r:.120} "
                    f"differs from the log {state.get(key)!r:.120}"
                )
        return StoreCheck(integrity, len(rows), len(state), tuple(problems))

    def counts(self) -> dict[str, int]:
        """Number of changes and of current (non-deleted) entities per type."""
        with self._read() as con:
            out = {"changes": con.execute("SELECT count(*) FROM changes").fetchone()[0]}
            for etype in ENTITY_TYPES:
                out[etype] = con.execute(
                    "SELECT count(*) FROM current WHERE entity_type = ? AND payload IS NOT NULL",
                    (etype,),
                ).fetchone()[0]
        return out

    # -- export / import

    def export(self, out: str | os.PathLike[str], *, overwrite: bool = False) -> dict[str, Any]:
        """Write the whole store to a GeoPackage (with an embedded JSON manifest).

        Layers: ``zone_boundaries`` and ``plots`` (EPSG:4326), ``assignments``,
        ``sector_fit_edits``, ``land_rule_edits``, ``changes`` (the full log; the source of
        truth for import) and ``wzgeo_manifest`` (one row, column ``manifest_json``).

        Parameters
        ----------
        out
            The ``.gpkg`` file to write (written to a temporary file, then moved in place).
        overwrite
            Replace ``out`` if it exists; otherwise an existing file is an error.

        Returns
        -------
        dict
            The manifest (format, version, counts, checksum of the log).
        """
        import pandas as pd
        import pyogrio

        out = Path(out)
        if out.exists() and not overwrite:
            raise StoreError(
                f"{out} 已存在。请换一个文件名，或使用 --force 覆盖。",
                f"{out} already exists. Choose another name or use --force to overwrite.",
            )
        with self._read() as con:
            rows = self._all_changes(con)
            store_id = con.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
        changes = pd.DataFrame(rows, columns=list(_CHANGE_COLUMNS))
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "exported_at": _now(),
            "store_id": store_id,
            "counts": self.counts(),
            "changes_sha256": _changes_digest(rows),
            "crs": "EPSG:4326",
        }
        boundaries = self.zone_boundaries()
        plots = self.plots()
        plots["report_json"] = [_dumps(r) for r in plots["report"]]
        plots = plots.drop(columns="report")
        land = self.land_rule_edits()[["rule_id", "values_json", "by_user", "at", "why",
                                       "version", "change_id"]]  # fmt: skip
        tmp = Path(tempfile.mkstemp(suffix=".gpkg", dir=out.parent or None)[1])
        try:
            tmp.unlink()
            for name, gdf in (("zone_boundaries", boundaries), ("plots", plots)):
                pyogrio.write_dataframe(
                    gdf, tmp, layer=name, driver="GPKG", geometry_type="Unknown",
                    promote_to_multi=False,
                )  # fmt: skip
            for name, df in (
                ("assignments", self.assignments()),
                ("sector_fit_edits", self.sector_fit_edits()),
                ("land_rule_edits", land),
                ("changes", changes),
                (MANIFEST_LAYER, pd.DataFrame({"manifest_json": [_dumps(manifest)]})),
            ):
                pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        logger.info("exported %d changes to %s", len(rows), out)
        return manifest

    def import_file(self, file: str | os.PathLike[str], *, replace: bool = False) -> dict[str, Any]:
        """Load a file written by :meth:`export`, after validating it completely.

        The imported change log becomes this store's log. An empty store takes it directly;
        a store with changes needs ``replace=True``, which first copies the current store to
        ``<store>.before-import-<time>.sqlite`` and then swaps the content in one transaction.

        Parameters
        ----------
        file
            A ``.gpkg`` made by ``wzgeo store export``.
        replace
            Allow replacing a non-empty store (after the backup).

        Returns
        -------
        dict
            The file's manifest, plus ``backup`` (path or None).

        Raises
        ------
        StoreImportError
            If the file is not a wzgeo export, was made by a newer format, or is broken or
            inconsistent (counts, checksum, versions, ids, JSON). Nothing is imported then.
        """
        file = Path(file)
        manifest, rows = _read_export(file, self.ids)
        backup: Path | None = None
        with self._read() as con:
            n_existing = con.execute("SELECT count(*) FROM changes").fetchone()[0]
        if n_existing and not replace:
            raise StoreError(
                f"当前存储已有 {n_existing} 条修改记录；导入会替换它们。"
                f"确认后请使用 --replace（会先自动备份）。",
                f"The store already holds {n_existing} changes; importing replaces them. "
                f"Use --replace to confirm (a backup is made first).",
            )
        if n_existing:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            backup = self.path.with_name(f"{self.path.stem}.before-import-{stamp}.sqlite")
            with self._read() as src, contextlib.closing(sqlite3.connect(backup)) as dst:
                src.backup(dst)
            logger.info("backed up %s to %s", self.path, backup)
        state, _ = _replay(rows)
        with self._write() as con:
            n_now = con.execute("SELECT count(*) FROM changes").fetchone()[0]
            if n_now != n_existing:
                raise StoreError(
                    f"导入期间有人修改了存储（{n_existing} → {n_now} 条记录），未导入。请重试。",
                    f"Someone changed the store during the import ({n_existing} → {n_now} "
                    f"changes); nothing was imported. Try again.",
                )
            con.execute("DROP TRIGGER changes_no_delete")
            con.execute("DELETE FROM current")
            con.execute("DELETE FROM changes")
            con.execute("DELETE FROM sqlite_sequence WHERE name = 'changes'")
            con.executemany(
                f"INSERT INTO changes ({', '.join(_CHANGE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_CHANGE_COLUMNS))})",
                rows,
            )
            con.executemany(
                "INSERT INTO current (entity_type, entity_id, version, change_id, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                [(t, i, v, c, p) for (t, i), (v, c, p) in state.items()],
            )
            con.execute(
                "CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes "
                "BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END"
            )
        logger.info("imported %d changes from %s", len(rows), file)
        return {**manifest, "backup": str(backup) if backup else None}


def _changes_digest(rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(_dumps(list(row)).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _bad_file(file: Path, zh: str, en: str) -> StoreImportError:
    return StoreImportError(
        f"无法导入 {file}：{zh}未导入任何内容。",
        f"Cannot import {file}: {en} Nothing was imported.",
    )


def _read_export(file: Path, ids: IdCatalog) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Read and fully validate an export file; return its manifest and change rows."""
    import pandas as pd
    import pyogrio
    import pyogrio.errors

    if not file.is_file():
        raise _bad_file(file, "文件不存在。", "the file does not exist.")
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(file)}
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as e:
        raise _bad_file(
            file, "不是可读的 GeoPackage 文件。", f"it is not a readable GeoPackage ({e})."
        ) from e
    if MANIFEST_LAYER not in layers:
        raise _bad_file(
            file,
            "没有 wzgeo 清单（wzgeo_manifest），不是 wzgeo store export 导出的文件。",
            "it has no wzgeo manifest (wzgeo_manifest); it was not made by wzgeo store export.",
        )
    try:
        mdf = pyogrio.read_dataframe(file, layer=MANIFEST_LAYER)
        manifest = json.loads(str(mdf["manifest_json"].iloc[0]))
        if not isinstance(manifest, dict):
            raise ValueError("manifest is not an object")
    except (KeyError, IndexError, ValueError, pyogrio.errors.DataLayerError) as e:
        raise _bad_file(
            file, f"清单无法解析（{e}）。", f"its manifest cannot be read ({e})."
        ) from e
    if manifest.get("format") != FORMAT_NAME:
        raise _bad_file(
            file,
            f"文件格式是 {manifest.get('format')!r}，不是 {FORMAT_NAME}。",
            f"its format is {manifest.get('format')!r}, not {FORMAT_NAME}.",
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise _bad_file(
            file,
            f"格式版本 {version!r} 不受支持（本程序支持 1–{FORMAT_VERSION}），请升级 wzgeo。",
            f"format version {version!r} is not supported (this wzgeo reads 1–{FORMAT_VERSION}); "
            f"upgrade wzgeo.",
        )
    if "changes" not in layers:
        raise _bad_file(file, "缺少 changes 表。", "the changes table is missing.")
    try:
        df = pyogrio.read_dataframe(file, layer="changes")
    except pyogrio.errors.DataLayerError as e:
        raise _bad_file(file, f"changes 表无法读取（{e}）。", f"cannot read changes ({e}).") from e
    missing = [c for c in _CHANGE_COLUMNS if c not in df.columns]
    if missing:
        raise _bad_file(
            file, f"changes 表缺少列 {missing}。", f"the changes table lacks columns {missing}."
        )
    rows: list[tuple[Any, ...]] = []
    for rec in df[list(_CHANGE_COLUMNS)].itertuples(index=False):
        rev = rec.reverts_change_id
        rows.append(
            (
                int(rec.change_id), str(rec.entity_type), str(rec.entity_id), int(rec.version),
                str(rec.op), str(rec.payload), str(rec.by_user), str(rec.at), str(rec.why),
                None if rev is None or pd.isna(rev) else int(rev),
            )
        )  # fmt: skip
    rows.sort(key=lambda r: r[0])
    expected = manifest.get("counts", {}).get("changes")
    if expected != len(rows):
        raise _bad_file(
            file,
            f"清单记录 {expected} 条修改，文件中有 {len(rows)} 条（文件不完整或被改动）。",
            f"the manifest lists {expected} changes, the file holds {len(rows)} "
            f"(incomplete or altered file).",
        )
    if manifest.get("changes_sha256") != _changes_digest(rows):
        raise _bad_file(
            file,
            "修改记录的校验值与清单不符（文件被改动或损坏）。",
            "the checksum of the change log does not match the manifest (altered or damaged).",
        )
    state, problems = _replay(rows)
    for (etype, _eid), (_v, _c, payload) in state.items():
        if payload is None:
            continue
        value = json.loads(payload)
        try:
            if etype == "assignment":
                ids.check_project(str(value.get("project_id")))
                ids.check_zone(str(value.get("zone_id")))
            elif etype in ("zone_boundary", "sector_fit"):
                ids.check_zone(str(value.get("zone_id")))
            if etype == "sector_fit":
                ids.check_sector(str(value.get("sector_id")))
        except StoreError as e:
            problems.append(e.en)
    if problems:
        raise _bad_file(
            file,
            f"发现 {len(problems)} 处不一致：{'; '.join(problems[:5])}。",
            f"{len(problems)} inconsistencies: {'; '.join(problems[:5])}.",
        )
    counts = manifest.get("counts", {})
    for etype in ENTITY_TYPES:
        n = sum(1 for (t, _), (_, _, p) in state.items() if t == etype and p is not None)
        if counts.get(etype) != n:
            raise _bad_file(
                file,
                f"清单中 {etype} 数量 {counts.get(etype)} 与记录重放结果 {n} 不符。",
                f"the manifest counts {counts.get(etype)} {etype} but the log gives {n}.",
            )
    return manifest, rows


# ----------------------------------------------------------------------------- overlays


def apply_assignments(
    projects: pd.DataFrame, assignments: pd.DataFrame | Mapping[str, str]
) -> pd.DataFrame:
    """Overlay the store's assignments on the plan's project table.

    Plan zones are never overwritten silently: the plan's zone stays in ``plan_zone_id``,
    the user's in ``assigned_zone_id``; ``zone_id`` becomes the assigned zone where there is
    one. Projects the plan already located in a *different* zone are flagged
    (``differs_from_plan``) and logged.

    Parameters
    ----------
    projects
        The plan table; needs ``project_id`` and ``zone_id`` (may be empty for unlocated
        projects). ``location_label`` is kept where present.
    assignments
        :meth:`Store.assignments` (``project_id``, ``zone_id``, ``by_user``, ``at``, ``why``),
        or a plain mapping ``{project_id: zone_id}`` (e.g. a session's unsaved choices).

    Returns
    -------
    pandas.DataFrame
        A new frame: the input columns plus ``plan_zone_id``, ``assigned_zone_id``,
        ``assigned_by``, ``assigned_at``, ``assigned_why``, ``differs_from_plan``;
        ``location_label`` is ``"assigned"`` where an assignment applies, and
        ``location_source`` is ``"assigned"``, ``"plan"`` (the plan names the zone) or ``""``.
        If the table has ``zone_source`` it becomes ``"assigned"`` there too, the plan's
        value kept in ``plan_zone_source``.
    """
    import pandas as pd

    if isinstance(assignments, Mapping):
        assignments = pd.DataFrame(
            {"project_id": list(assignments), "zone_id": list(assignments.values())},
            dtype="object",
        )

    for col in ("project_id", "zone_id"):
        if col not in projects.columns or col not in assignments.columns:
            raise WzgeoTypeError(
                f"apply_assignments 需要两张表都有列 '{col}'。",
                f"apply_assignments needs column '{col}' in both tables.",
            )
    out = projects.copy()
    by_project = assignments.drop_duplicates("project_id", keep="last").set_index("project_id")
    by_project.index = by_project.index.astype(str)

    def _clean(value: object) -> str | None:
        return None if value is None or pd.isna(value) or str(value) == "" else str(value)  # type: ignore[call-overload]

    pids = [str(p) for p in out["project_id"]]
    plan = [_clean(v) for v in out["zone_id"]]
    zone_of = {k: _clean(v) for k, v in by_project["zone_id"].items()}
    assigned = [zone_of.get(pid) for pid in pids]
    has = pd.Series([a is not None for a in assigned], index=out.index, dtype=bool)
    zone_dtype = out["zone_id"].dtype if pd.api.types.is_string_dtype(out["zone_id"]) else object
    out["plan_zone_id"] = out["zone_id"]
    out["assigned_zone_id"] = pd.Series(assigned, index=out.index, dtype=zone_dtype)
    for src, dst in (("by_user", "assigned_by"), ("at", "assigned_at"), ("why", "assigned_why")):
        values = by_project[src].to_dict() if src in by_project else {}
        out[dst] = pd.Series([values.get(pid) for pid in pids], index=out.index, dtype=object)
    out["differs_from_plan"] = pd.Series(
        [a is not None and p is not None and a != p for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=bool,
    )
    out["zone_id"] = pd.Series(
        [a if a is not None else p for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=zone_dtype,
    )
    label = out["location_label"] if "location_label" in out else pd.Series(pd.NA, index=out.index)
    out["location_label"] = label.astype("object").where(~has, "assigned")
    out["location_source"] = pd.Series(
        ["assigned" if a is not None else ("plan" if p is not None else "")
         for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=object,
    )  # fmt: skip
    if "zone_source" in out:
        out["plan_zone_source"] = out["zone_source"]
        out["zone_source"] = out["zone_source"].astype("object").where(~has, "assigned")
    unknown = set(by_project.index) - set(out["project_id"])
    if unknown:
        logger.warning("assignments for projects not in the table: %s", sorted(unknown))
    for pid in out.loc[out["differs_from_plan"], "project_id"]:
        logger.warning("project %s: assigned zone differs from the plan's zone", pid)
    return out


def apply_zone_boundaries(
    zone_geoms: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Replace schematic zone polygons by the official boundaries saved in the store.

    When ``zone_geoms`` is the zone layer of :mod:`wzgeo.zonegeom` (it has
    ``geometry_quality``), :func:`wzgeo.zonegeom.replace_zone_geometry` does the replacement,
    so measured areas and labels follow that module's rules.

    Parameters
    ----------
    zone_geoms
        Zones with ``zone_id`` and geometry (any CRS).
    boundaries
        :meth:`Store.zone_boundaries` (``zone_id``, ``source``, ``by_user``, ``at``, geometry).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in ``zone_geoms``' CRS. Replaced rows: ``geometry_quality`` (zonegeom
        layer) or ``geometry_source`` (other tables) is ``"official"``; ``boundary_source``,
        ``boundary_by``, ``boundary_at`` say where the boundary came from, who saved it, when.
        Boundaries of zones not in ``zone_geoms`` are left out (logged).
    """
    import pandas as pd

    from wzgeo._errors import CRSError

    if zone_geoms.crs is None or (len(boundaries) and boundaries.crs is None):
        raise CRSError(
            "园区几何或官方边界缺少 CRS。", "Zone geometry or official boundaries lack a CRS."
        )
    known = boundaries["zone_id"].isin(zone_geoms["zone_id"])
    if not known.all():
        missing = sorted(set(boundaries.loc[~known, "zone_id"]))
        logger.warning("official boundaries for zones not in the table: %s", missing)
        boundaries = boundaries.loc[known]
    official = boundaries.drop_duplicates("zone_id", keep="last").set_index("zone_id")
    zonegeom_layer = "geometry_quality" in zone_geoms.columns
    if len(official) == 0:
        out = zone_geoms.copy()
    elif zonegeom_layer:
        from wzgeo import zonegeom

        replaced = zonegeom.replace_zone_geometry(
            zone_geoms, official.reset_index()[["zone_id", "source", "geometry"]]
        )
        out = replaced.to_crs(zone_geoms.crs)
    else:
        out = zone_geoms.copy()
        hit = out["zone_id"].isin(official.index)
        geom_col = out.geometry.name
        new = official.to_crs(out.crs).geometry.reindex(out.loc[hit, "zone_id"])
        out.loc[hit, geom_col] = new.to_numpy()
        if "geometry_source" not in out:
            out["geometry_source"] = "schematic"
        out.loc[hit, "geometry_source"] = "official"
    if not zonegeom_layer and "geometry_source" not in out:
        out["geometry_source"] = "schematic"
    for col, src in (("boundary_source", "source"), ("boundary_by", "by_user"),
                     ("boundary_at", "at")):  # fmt: skip
        values = official[src] if src in official else pd.Series(dtype="object")
        mapped = out["zone_id"].map(values).astype("object")
        out[col] = mapped.where(mapped.notna(), None)
    return out


def land_rule_id(indicator: str, gbt4754_code: str, edition: str) -> str:
    """The ``rule_id`` of a ``land_rules`` row: ``indicator|gbt4754_code|edition``."""
    return f"{indicator}|{gbt4754_code}|{edition}"


def apply_sector_fit_edits(fit: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """Overlay the store's ``sector_fit`` edits on the shipped fit table.

    Parameters
    ----------
    fit
        ``sector_id, zone_id, grade, ...`` (e.g. ``wzgeo.sectorfit.load_sector_fit()``).
    edits
        :meth:`Store.sector_fit_edits`.

    Returns
    -------
    pandas.DataFrame
        A new table: edited cells get the user's ``grade``; the shipped grade stays in
        ``plan_grade``; ``grade_source`` is ``"plan"`` or ``"user edit"``; ``edited_by``,
        ``edited_at``, ``edited_why`` say who, when and why. Pairs absent from ``fit`` are
        appended.
    """
    import pandas as pd

    out = fit.copy()
    out["plan_grade"] = out["grade"]
    out["grade_source"] = "plan"
    for col in ("edited_by", "edited_at", "edited_why"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["grade"] = out["grade"].astype("object")
    key = out["sector_id"].astype(str) + "|" + out["zone_id"].astype(str)
    extra = []
    for e in edits.to_dict("records"):
        hit = key == f"{e['sector_id']}|{e['zone_id']}"
        values: dict[str, Any] = {
            "grade": e["grade"],
            "grade_source": "user edit",
            "edited_by": e["by_user"],
            "edited_at": e["at"],
            "edited_why": e["why"],
        }
        if hit.any():
            for col, val in values.items():
                out.loc[hit, col] = val
        else:
            extra.append(
                {
                    "sector_id": e["sector_id"],
                    "zone_id": e["zone_id"],
                    "plan_grade": pd.NA,
                    **values,
                }
            )
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


def apply_land_rule_edits(
    rules: pd.DataFrame, edits: pd.DataFrame, *, key: tuple[str, ...] = LAND_RULE_KEY
) -> pd.DataFrame:
    """Overlay the store's ``land_rules`` edits on the shipped rules table.

    Parameters
    ----------
    rules
        The shipped rules (e.g. ``wzgeo.rules.load_rules()``).
    edits
        :meth:`Store.land_rule_edits` (``rule_id`` = :func:`land_rule_id` of the row).
    key
        The columns joined by ``|`` to form ``rule_id``.

    Returns
    -------
    pandas.DataFrame
        A new table with the edited values, ``rule_source`` (``"shipped"`` or
        ``"user edit"``) and ``edited_by``, ``edited_at``, ``edited_why``. Edits matching no
        row are appended as new rows (their key columns split from ``rule_id``).
    """
    import pandas as pd

    out = rules.copy()
    out["rule_source"] = "shipped"
    for col in ("edited_by", "edited_at", "edited_why"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
    ids = out[list(key)].astype(str).agg("|".join, axis=1)
    extra = []
    for e in edits.to_dict("records"):
        values = json.loads(str(e["values_json"]))
        meta = {
            "rule_source": "user edit",
            "edited_by": e["by_user"],
            "edited_at": e["at"],
            "edited_why": e["why"],
        }
        hit = ids == e["rule_id"]
        if hit.sum() > 1:
            logger.warning("land rule edit %s matches %d rows; all edited", e["rule_id"], hit.sum())
        if hit.any():
            for col, val in {**values, **meta}.items():
                if col in out and out[col].dtype != object:
                    out[col] = out[col].astype("object")
                out.loc[hit, col] = val
        else:
            parts = str(e["rule_id"]).split("|")
            row = dict(zip(key, parts, strict=False)) if len(parts) == len(key) else {}
            extra.append({**row, **values, **meta})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out

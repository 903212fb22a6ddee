"""Persistent user work: a local SQLite store with history and optimistic concurrency.

Planning staff assign projects to zones, save checked plots, load official zone boundaries and
edit ``sector_fit`` cells, ``land_rules`` rows and ``sector_landclass`` rows (the industrial
land class a sector needs). The shipped ``geodata/`` stays read-only;
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

Layout
------
This module holds :class:`Store` (the writes, revert) and :func:`open_store`; it re-exports the
public names of its helpers: ``wzgeo.store._records`` (errors, :class:`Change`,
:class:`EntityState`, :class:`StoreCheck`), ``wzgeo.store._validate`` (:class:`IdCatalog`,
value checks), ``wzgeo.store._schema`` (SQL schema, triggers, connections, log replay),
``wzgeo.store._reads`` (the read methods) and :mod:`wzgeo.store.overlays` (``apply_*``: saved work
laid over the plan tables).
Export and import take a store: :mod:`wzgeo.store.transfer`.

pandas, geopandas, shapely and pyogrio are imported inside the functions that need them so
that opening the store and writing stays fast (the CLI and the crash test start many
processes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wzgeo.errors import WzgeoTypeError
from wzgeo.paths import user_file
from wzgeo.store._pg import PgLocation, is_dsn
from wzgeo.store._reads import StoreReads, entity_state
from wzgeo.store._records import (
    Change,
    ConflictError,
    EntityState,
    NotFoundError,
    StoreCheck,
    StoreDamagedError,
    StoreError,
    StoreImportError,
    StoreReadOnlyError,
    dumps,
    now,
)
from wzgeo.store._schema import (
    ENTITY_TYPES,
    FORMAT_NAME,
    FORMAT_VERSION,
    Location,
    check_format,
    create_private,
    damage_message,
    health,
    init_schema,
    is_sqlite_file,
    writable,
    writing,
)
from wzgeo.store._validate import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    SECTOR_FIT_GRADES,
    IdCatalog,
    check_boundary_type,
    check_free_id,
    check_grade,
    check_land_class,
    check_text,
    geometry_to_geojson,
    land_rule_values,
    load_id_catalog,
    report_json,
    validate_payload,
)
from wzgeo.store.overlays import (
    LAND_RULE_KEY,
    apply_assignments,
    apply_land_rule_edits,
    apply_sector_fit_edits,
    apply_sector_landclass_edits,
    apply_zone_boundaries,
    land_rule_id,
)

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
    "Location",
    "NotFoundError",
    "PgLocation",
    "Store",
    "StoreCheck",
    "StoreDamagedError",
    "StoreError",
    "StoreImportError",
    "StoreReadOnlyError",
    "apply_assignments",
    "apply_land_rule_edits",
    "apply_sector_fit_edits",
    "apply_sector_landclass_edits",
    "apply_zone_boundaries",
    "default_store_path",
    "is_database_uri",
    "land_rule_id",
    "load_id_catalog",
    "open_store",
    "store_path",
]

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- paths


def default_store_path() -> Location:
    """``$WZGEO_STORE`` if set, else ``store.sqlite`` in the user data dir (platformdirs).

    ``WZGEO_STORE=postgresql://user@host:port/db`` names a PostgreSQL/PostGIS database
    instead of a file (see :mod:`wzgeo.store._pg`).

    Raises
    ------
    StoreError
        ``$WZGEO_STORE`` looks like another URL (see :func:`store_path`).
    """
    env = os.environ.get("WZGEO_STORE")
    if env and is_database_uri(env):
        return PgLocation(env)
    if env:
        store_path(env)  # refuse a URL before it becomes a file name
    return user_file("WZGEO_STORE", "store.sqlite", folder="data")


def is_database_uri(location: object) -> bool:
    """Whether a store location is a PostgreSQL URI (``postgresql://…``), not a file."""
    return is_dsn(location)


# a URL scheme of two letters or more ("C:/..." is a Windows drive, not a URL); "//" may
# have been collapsed to "/" by Path()
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):/")


def store_path(path: str | os.PathLike[str]) -> Path:
    """The store file named by ``path``, refusing a URL that is not a PostgreSQL URI.

    The store is a local SQLite file or a PostgreSQL database (``postgresql://…``, see
    :func:`open_store`). Any other URL (or a PostgreSQL URI whose ``//`` ``Path()`` has
    collapsed) would otherwise be taken as a file name (creating a folder ``mysql:``).

    Raises
    ------
    StoreError
        ``path`` looks like a URL (``scheme://…``).
    """
    text = os.fspath(path)
    m = _URL.match(text)
    if m:
        scheme = m.group(1)
        raise StoreError(
            f"存储路径 {text!r} 看起来是数据库网址（{scheme}://），不是文件。支持本地 SQLite "
            "文件或 PostgreSQL 数据库（postgresql://用户@主机:端口/数据库）：例如 "
            "--store ~/wzgeo/store.sqlite 或 WZGEO_STORE=postgresql://planner@db:5432/wzgeo。",
            f"the store path {text!r} looks like a database URL ({scheme}://), not a file. "
            "A local SQLite file or a PostgreSQL database (postgresql://user@host:port/db) "
            "is supported: e.g. --store ~/wzgeo/store.sqlite or "
            "WZGEO_STORE=postgresql://planner@db:5432/wzgeo.",
        )
    return Path(path)


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
    path: str | os.PathLike[str] | PgLocation | None = None, *, ids: IdCatalog | None = None
) -> Store:
    """Open (creating if needed) the store at ``path``.

    Parameters
    ----------
    path
        The SQLite file, or a PostgreSQL URI ``postgresql://user@host:port/db`` (password in
        ``PGPASSFILE`` / ``~/.pgpass``); default :func:`default_store_path`.
    ids
        Known ids to validate against; default: loaded lazily with :func:`load_id_catalog`.

    Returns
    -------
    Store
    """
    if path is None:
        return Store(default_store_path(), ids=ids)
    if isinstance(path, PgLocation):
        return Store(path, ids=ids)
    if is_database_uri(path):
        return Store(PgLocation(str(path)), ids=ids)
    return Store(store_path(path), ids=ids)


# ----------------------------------------------------------------------------- the store


class Store(StoreReads):
    """A handle on one store file; each method opens its own SQLite connection.

    Use :func:`open_store` to create one. Writes take the user (``by``) and the reason
    (``why``); pass ``expected_version`` (the version you displayed) to be protected against
    overwriting someone else's change.

    Parameters
    ----------
    path
        The SQLite file (created with its folder if missing), or a PostgreSQL database
        (:class:`PgLocation`; schema created or migrated if needed).
    ids
        Known ids; default loaded lazily with :func:`load_id_catalog`.
    """

    def __init__(self, path: Location, *, ids: IdCatalog | None = None) -> None:
        self.path = path
        self._ids = ids
        self.read_only = False
        self.damage: str | None = None
        if isinstance(path, Path):  # a PostgreSQL store (PgLocation) has no file
            store_path(path)  # refuse a URL (also when Path() has collapsed its "//")
            _refuse_code_tree(path)
            self._open_file(path)
        else:
            init_schema(path)

    def _open_file(self, path: Path) -> None:
        """Open a SQLite store: create it (0600), or find it read-only or damaged."""
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                create_private(path)
            except OSError as e:
                raise StoreError(
                    f"无法在 {path} 创建存储文件（{e.strerror or e}）。"
                    f"请把 WZGEO_STORE 指向可写的位置。",
                    f"Cannot create the store file {path} ({e.strerror or e}). Point "
                    f"WZGEO_STORE at a writable place.",
                ) from e
        if not writable(path):
            # a read-only file or medium: serve reading, refuse writes with a clear message
            self.read_only = True
            logger.info("store %s is read-only", path)
        if is_sqlite_file(path):
            problem = health(path, read_only=self.read_only)
            if problem is not None:
                self.read_only = True
                self.damage = problem
                logger.warning("store %s is damaged: %s", path, problem)
                return
        if self.read_only:
            check_format(path)
        else:
            init_schema(path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def status(self) -> tuple[str, str] | None:
        """Why this store cannot be written (Chinese, English), or None when it can."""
        if self.damage is not None:
            return damage_message(self.path, self.damage)
        if self.read_only:
            return (
                f"存储文件 {self.path} 只读（只读文件或只读介质），可以浏览，不能保存修改。",
                f"The store file {self.path} is read-only (a read-only file or medium): it "
                f"can be viewed, changes cannot be saved.",
            )
        return None

    def write_connection(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction (see :func:`wzgeo.store._schema.writing`); refused with
        :class:`StoreReadOnlyError` / :class:`StoreDamagedError` when the store cannot be
        written."""
        status = self.status()
        if status is not None:
            cls = StoreDamagedError if self.damage is not None else StoreReadOnlyError
            raise cls(*status)
        return writing(self.path)

    @property
    def ids(self) -> IdCatalog:
        """The id catalogue used for validation (loaded on first use)."""
        if self._ids is None:
            self._ids = load_id_catalog()
        return self._ids

    # -- core write

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
        by = check_text(by, "修改人 by", max_len=64)
        why = check_text(why, "原因 why", max_len=2000, multiline=True)
        cur = entity_state(con, etype, eid)
        if expected_version is not None and expected_version != cur.version:
            raise ConflictError.from_state(cur, expected_version=expected_version)
        if op == "delete":
            if cur.value is None:
                raise NotFoundError(
                    f"{etype} '{eid}' 当前没有值，无需删除。",
                    f"{etype} '{eid}' has no current value; nothing to remove.",
                )
            payload = cur.value
        else:
            # the one definition of a valid value: the same check an import and
            # ``store check`` apply (wzgeo.store._validate.validate_payload)
            payload = validate_payload(etype, payload, ids=self.ids)
        text = dumps(payload)
        version = cur.version + 1
        at = now()
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
        with self.write_connection() as con:
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
        project_id = check_text(project_id, "project_id", max_len=50)
        zone_id = check_text(zone_id, "zone_id", max_len=50)
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
        project_id = check_text(project_id, "project_id", max_len=50)
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
        plot_id = check_free_id(plot_id, "plot_id")
        report_data = report_json(report)
        payload = {
            "plot_id": plot_id,
            "geometry": geometry_to_geojson(geometry, what=f"plot {plot_id}"),
            "report": report_data,
        }
        return self._set(
            "plot", plot_id, payload, by=by, why=why, expected_version=expected_version
        )

    def delete_plot(
        self, plot_id: str, *, by: str, why: str, expected_version: int | None = None
    ) -> Change:
        """Remove a saved plot (recorded as a ``delete`` change; history keeps it)."""
        plot_id = check_free_id(plot_id, "plot_id")
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
        zone_id = check_text(zone_id, "zone_id", max_len=50)
        self.ids.check_zone(zone_id)
        source = check_text(source, "来源 source", max_len=500)
        geojson = geometry_to_geojson(geometry, what=f"zone {zone_id}")
        check_boundary_type(zone_id, geojson)
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
        sector_id = check_text(sector_id, "sector_id", max_len=50)
        zone_id = check_text(zone_id, "zone_id", max_len=50)
        grade = check_grade(grade)
        self.ids.check_sector(sector_id)
        self.ids.check_zone(zone_id)
        payload = {"sector_id": sector_id, "zone_id": zone_id, "grade": grade}
        return self._set(
            "sector_fit", f"{sector_id}|{zone_id}", payload, by=by, why=why,
            expected_version=expected_version,
        )  # fmt: skip

    def set_sector_landclass(
        self,
        sector_id: str,
        required_class: object,
        *,
        by: str,
        why: str,
        expected_version: int | None = None,
    ) -> Change:
        """Override the industrial land class a sector needs (``geodata/sector_landclass.csv``).

        ``required_class``: 1 (一类), 2 (二类), 3 (三类), their text (``"二类"``, ``"M2"``) or
        None / ``"none"`` (no class: the plot check's ``land_class`` is then ``unknown``).
        """
        sector_id = check_text(sector_id, "sector_id", max_len=50)
        self.ids.check_sector(sector_id)
        payload = {"sector_id": sector_id, "required_class": check_land_class(required_class)}
        return self._set(
            "sector_landclass", sector_id, payload, by=by, why=why,
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
        rule_id = check_free_id(rule_id, "rule_id")
        payload = {"rule_id": rule_id, "values": land_rule_values(values)}
        return self._set(
            "land_rule", rule_id, payload, by=by, why=why, expected_version=expected_version
        )

    def record_users_file(self, users_file: str | os.PathLike[str]) -> None:
        """Record the users file this store requires logins from (see :meth:`users_file`).

        The caller checks that the user may do this (a login against the file recorded so
        far, if any); the path is stored absolute.
        """
        path = str(Path(users_file).expanduser().resolve())
        with self.write_connection() as con:
            con.execute(
                "INSERT INTO meta (key, value) VALUES ('users_file', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (path,),
            )
        logger.info("store %s: logins from %s", self.path, path)

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
        with self.write_connection() as con:
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
            cur = entity_state(con, etype, eid)
            if cur.version != version and not force:
                raise ConflictError.from_state(
                    cur,
                    expected_version=version,
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

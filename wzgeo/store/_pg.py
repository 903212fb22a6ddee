"""The saved-work store in PostgreSQL/PostGIS (private to :mod:`wzgeo.store`).

``WZGEO_STORE=postgresql://user@host:port/db`` (or ``--store`` with such a DSN) keeps the
store in that database instead of a SQLite file. The store's code is the same for both: the
statements of :mod:`wzgeo.store.core`, :mod:`wzgeo.store._reads` and
:mod:`wzgeo.store.transfer` run on a :class:`PgConnection`, which takes SQLite's dialect
(``?`` parameters, ``json_extract``, ``lastrowid``) to PostgreSQL's. What differs lives here:

* the schema, in its own PostgreSQL schema ``wzgeo`` (``search_path`` ``wzgeo, public``),
  created and migrated by wzgeo in numbered steps (:data:`MIGRATIONS`; ``meta.schema_version``
  says which are applied; a newer database is refused);
* the same tables as the SQLite store (``meta``, the append-only ``changes`` log enforced by
  triggers, ``current``), the payload kept as JSON text so that exports and their checksums
  are byte for byte the same; ``current.geom`` is a PostGIS ``geometry(Geometry, 4326)``
  column generated from the payload's GeoJSON, with a GiST index, and the views
  ``wzgeo.plots`` and ``wzgeo.zone_boundaries`` show the saved work to GIS tools (QGIS);
* a write is one transaction that first takes a transaction-level advisory lock, so writers
  are serialised as in SQLite (``BEGIN IMMEDIATE``): the version check and the append see
  the latest committed state. A killed client's transaction is rolled back by the server.

Credentials: the DSN names user, host, port and database; the password comes from
``PGPASSFILE`` / ``~/.pgpass`` (or another libpq mechanism). A DSN *with* a password is
refused, so that it can show up in no log, process list or error message. Editing rights stay
in wzgeo (:mod:`wzgeo.store.auth`); the database user needs rights on its schema only.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from wzgeo.store._records import StoreError, now

__all__ = [
    "MIGRATIONS",
    "PG_SCHEMA",
    "PG_SCHEMA_VERSION",
    "PgConnection",
    "PgLocation",
    "backup_log",
    "close_idle",
    "init_schema",
    "is_dsn",
    "reading",
    "replace_log",
    "writing",
]

logger = logging.getLogger(__name__)

PG_SCHEMA = "wzgeo"
# one lock for all writers of a database's store (pg_advisory_xact_lock key, "wzgeo" in hex)
_WRITE_LOCK = 0x777A67656F
_DSN_PREFIXES = ("postgresql://", "postgres://")

_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'changes is append-only'; END $$;
CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_append_only();
CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_append_only();
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "the change log, the derived state and meta (as in the SQLite store)",
        """
CREATE TABLE changes (
    change_id BIGSERIAL PRIMARY KEY,
    entity_type TEXT NOT NULL CHECK (entity_type IN
        ('assignment', 'plot', 'zone_boundary', 'sector_fit', 'land_rule')),
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    op TEXT NOT NULL CHECK (op IN ('set', 'delete')),
    payload TEXT NOT NULL CHECK (payload::jsonb IS NOT NULL),
    by_user TEXT NOT NULL CHECK (length(by_user) > 0),
    at TEXT NOT NULL,
    why TEXT NOT NULL CHECK (length(why) > 0),
    reverts_change_id BIGINT REFERENCES changes(change_id),
    UNIQUE (entity_type, entity_id, version)
);
CREATE TABLE current (
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    change_id BIGINT NOT NULL REFERENCES changes(change_id),
    payload TEXT CHECK (payload IS NULL OR payload::jsonb IS NOT NULL),
    PRIMARY KEY (entity_type, entity_id)
);
"""
        + _APPEND_ONLY,
    ),
    (
        2,
        "PostGIS: current.geom generated from the payload's GeoJSON, GiST index, views",
        """
ALTER TABLE current ADD COLUMN geom geometry(Geometry, 4326) GENERATED ALWAYS AS (
    CASE WHEN payload IS NOT NULL AND (payload::jsonb ? 'geometry')
    THEN ST_SetSRID(ST_GeomFromGeoJSON((payload::jsonb -> 'geometry')::text), 4326) END
) STORED;
CREATE INDEX current_geom_gist ON current USING gist (geom);
CREATE VIEW plots AS
    SELECT entity_id AS plot_id, version, change_id, geom FROM current
    WHERE entity_type = 'plot' AND payload IS NOT NULL;
CREATE VIEW zone_boundaries AS
    SELECT entity_id AS zone_id, payload::jsonb ->> 'source' AS source, version, change_id,
           geom
    FROM current WHERE entity_type = 'zone_boundary' AND payload IS NOT NULL;
""",
    ),
    (
        3,
        "the change log also holds sector_landclass edits (the industrial land class)",
        """
ALTER TABLE changes DROP CONSTRAINT changes_entity_type_check;
ALTER TABLE changes ADD CONSTRAINT changes_entity_type_check CHECK (entity_type IN
    ('assignment', 'plot', 'zone_boundary', 'sector_fit', 'land_rule', 'sector_landclass'));
""",
    ),
)
"""``(version, what it does, SQL)``: the schema's migration steps, applied in order."""

PG_SCHEMA_VERSION = MIGRATIONS[-1][0]


def is_dsn(location: object) -> bool:
    """Whether ``location`` is a PostgreSQL connection URI (``postgresql://…``)."""
    return isinstance(location, str | PgLocation) and str(location).startswith(_DSN_PREFIXES)


class PgLocation:
    """Where a PostgreSQL store is: a connection URI without a password.

    Stands where the SQLite store has its file path (``Store.path``); ``str()`` gives the
    URI, which holds no secret.

    Parameters
    ----------
    dsn
        ``postgresql://user@host:port/dbname`` (libpq URI; query parameters such as
        ``sslmode`` allowed, ``password`` not).

    Raises
    ------
    StoreError
        The URI holds a password or cannot be parsed.
    """

    def __init__(self, dsn: str) -> None:
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(dsn)
        except Exception as e:  # psycopg.ProgrammingError; the text may quote the URI
            raise StoreError(
                "WZGEO_STORE / --store 不是有效的 PostgreSQL 地址；格式："
                "postgresql://用户@主机:端口/数据库。",
                "WZGEO_STORE / --store is not a valid PostgreSQL URI; use "
                "postgresql://user@host:port/dbname.",
            ) from _scrubbed(e)
        if params.get("password"):
            raise StoreError(
                "存储地址中含有密码；为免密码出现在日志和进程列表中，请去掉它，"
                "改用 PGPASSFILE 或 ~/.pgpass（权限 0600）保存密码。",
                "the store URI contains a password; remove it and keep the password in "
                "PGPASSFILE or ~/.pgpass (mode 0600) instead, so that it never shows in logs "
                "or process lists.",
            )
        self.dsn = dsn
        self.params = params

    def __str__(self) -> str:
        return self.dsn

    def __repr__(self) -> str:
        return f"PgLocation({self.dsn!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PgLocation) and other.dsn == self.dsn

    def __hash__(self) -> int:
        return hash(self.dsn)

    def exists(self) -> bool:
        """Whether the database is reachable and holds a wzgeo store."""
        try:
            with _connect(self) as con:
                row = con.execute("SELECT to_regclass(%s)", (f"{PG_SCHEMA}.meta",)).fetchone()
        except StoreError:
            return False
        return row is not None and row[0] is not None


def _scrubbed(e: BaseException) -> Exception:
    """A copy of a driver error without its text (which may quote connection parameters)."""
    return RuntimeError(type(e).__name__)


def _connect(loc: PgLocation, *, autocommit: bool = True) -> Any:
    import psycopg

    try:
        con = psycopg.connect(loc.dsn, autocommit=autocommit, connect_timeout=30)
    except psycopg.OperationalError as e:
        reason = _reason(e)
        raise StoreError(
            f"无法连接存储数据库 {loc}（{reason}）。请检查地址、服务器是否运行，"
            "以及 PGPASSFILE / ~/.pgpass 中的密码。",
            f"cannot connect to the store database {loc} ({reason}). Check the URI, that "
            "the server runs, and the password in PGPASSFILE / ~/.pgpass.",
        ) from _scrubbed(e)
    con.execute(f"SET search_path TO {PG_SCHEMA}, public")
    return con


def _reason(e: BaseException) -> str:
    """The server's reason, without connection strings (libpq messages quote host and user)."""
    text = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    return re.sub(r"password=\S+", "password=***", text)[:300]


class _Cursor:
    """The part of ``sqlite3.Cursor`` the store uses: fetchone/fetchall/iteration/lastrowid."""

    def __init__(self, cur: Any, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


_JSON_EXTRACT = re.compile(r"json_extract\((\w+), '\$\.(\w+)'\)")


@functools.lru_cache(maxsize=256)
def _translate(sql: str) -> tuple[str, bool]:
    """SQLite's dialect as the store writes it → PostgreSQL's; and whether it returns an id."""
    if sql.strip().upper() == "PRAGMA INTEGRITY_CHECK":
        # PostgreSQL keeps its own files consistent (WAL); nothing file-level to check here
        return "SELECT 'ok'", False
    out = _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", sql)
    if "%" in out:
        out = out.replace("%", "%%")
    out = out.replace("?", "%s")
    returning = out.lstrip().upper().startswith("INSERT INTO CHANGES (ENTITY_TYPE")
    if returning:
        out += " RETURNING change_id"
    return out, returning


class PgConnection:
    """A psycopg connection that runs the store's SQLite-dialect statements."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        text, returning = _translate(sql)
        cur = self._con.cursor()
        cur.execute(text, tuple(params) if params else None)
        if returning:
            row = cur.fetchone()
            return _Cursor(cur, int(row[0]))
        return _Cursor(cur)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        text, _ = _translate(sql)
        with self._con.cursor() as cur:
            cur.executemany(text, [tuple(r) for r in rows])


def _store_errors(loc: PgLocation) -> Any:
    """Turn driver errors inside a store operation into a bilingual :class:`StoreError`."""
    import psycopg

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except psycopg.errors.UndefinedTable as e:
            raise StoreError(
                f"数据库 {loc} 中还没有 wzgeo 存储。",
                f"the database {loc} holds no wzgeo store yet.",
            ) from _scrubbed(e)
        except psycopg.OperationalError as e:
            raise StoreError(
                f"与存储数据库 {loc} 的连接中断（{_reason(e)}）；未保存。请重试。",
                f"the connection to the store database {loc} failed ({_reason(e)}); nothing "
                "was saved. Try again.",
            ) from _scrubbed(e)

    return guard()


_POOL_LOCK = threading.Lock()
_POOL: dict[tuple[int, str], list[Any]] = {}  # (pid, dsn) → idle connections
_POOL_IDLE_MAX = 4


def _take(loc: PgLocation) -> Any:
    """An idle open connection to ``loc``, or a new one.

    Connecting costs a round trip and the password exchange (scram-sha-256), more than a
    store operation, so a few idle connections per process are kept (a forked child makes
    its own). Each store operation holds one connection for its duration only.
    """
    key = (os.getpid(), loc.dsn)
    with _POOL_LOCK:
        idle = _POOL.get(key, [])
        while idle:
            con = idle.pop()
            if not (con.closed or con.broken):
                return con
    return _connect(loc)


def _give_back(loc: PgLocation, con: Any) -> None:
    if con.closed or con.broken or con.info.transaction_status != 0:  # 0: idle
        with contextlib.suppress(Exception):
            con.close()
        return
    with _POOL_LOCK:
        idle = _POOL.setdefault((os.getpid(), loc.dsn), [])
        if len(idle) < _POOL_IDLE_MAX:
            idle.append(con)
            return
    con.close()


@atexit.register
def close_idle() -> None:
    """Close this process's idle connections (at exit; tests call it too)."""
    with _POOL_LOCK:
        cons = [c for (pid, _dsn), idle in _POOL.items() if pid == os.getpid() for c in idle]
        _POOL.clear()
    for con in cons:
        with contextlib.suppress(Exception):
            con.close()


@contextlib.contextmanager
def _using(loc: PgLocation) -> Iterator[Any]:
    con = _take(loc)
    try:
        with _store_errors(loc):
            yield con
    finally:
        _give_back(loc, con)


@contextlib.contextmanager
def reading(loc: PgLocation) -> Iterator[PgConnection]:
    """A connection for reads (autocommit)."""
    with _using(loc) as con:
        yield PgConnection(con)


@contextlib.contextmanager
def writing(loc: PgLocation) -> Iterator[PgConnection]:
    """One write transaction, writers serialised by an advisory lock; rolled back on error."""
    with _using(loc) as con, con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        yield PgConnection(con)


def init_schema(loc: PgLocation) -> None:
    """Create the store's schema or migrate it to :data:`PG_SCHEMA_VERSION`.

    Runs in one transaction under the writers' lock: concurrent first openings wait for each
    other, and a failed step leaves the database as it was.

    Raises
    ------
    StoreError
        The database cannot be reached, lacks PostGIS (and the user may not create it), its
        ``wzgeo`` schema belongs to something else, or it was made by a newer wzgeo.
    """
    import psycopg

    with _using(loc) as con:
        try:
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                _migrate(con, loc)
        except psycopg.errors.InsufficientPrivilege as e:
            raise StoreError(
                f"数据库用户无权在 {loc} 中创建 wzgeo 存储（{_reason(e)}）。请数据库管理员执行 "
                f"CREATE EXTENSION postgis; 并授予该用户 CREATE 权限。",
                f"the database user may not create the wzgeo store in {loc} ({_reason(e)}). "
                "Ask the database administrator to run CREATE EXTENSION postgis; and to grant "
                "the user CREATE on the database.",
            ) from _scrubbed(e)
        except psycopg.errors.FeatureNotSupported as e:
            raise StoreError(
                f"数据库 {loc} 不支持所需功能（{_reason(e)}）；"
                "需要 PostgreSQL 12 以上和 PostGIS 3。",
                f"the database {loc} lacks a needed feature ({_reason(e)}); PostgreSQL 12+ and "
                "PostGIS 3 are needed.",
            ) from _scrubbed(e)


def _migrate(con: Any, loc: PgLocation) -> None:
    con.execute("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public")
    exists = con.execute("SELECT to_regclass(%s)", (f"{PG_SCHEMA}.meta",)).fetchone()[0]
    other = con.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (PG_SCHEMA,)
    ).fetchone()[0]
    if exists is None and other:
        raise StoreError(
            f"数据库 {loc} 的 {PG_SCHEMA} 模式中已有别的表（不是 wzgeo 存储），不会改动它。",
            f"the schema {PG_SCHEMA} in {loc} holds other tables, not a wzgeo store; it was "
            "left untouched.",
        )
    if exists is None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = {
            "format": "wzgeo-store",
            "schema_version": "0",
            "created_at": now(),
            "store_id": hashlib.sha256(os.urandom(16)).hexdigest()[:16],
            "backend": "postgresql",
        }
        for k, v in meta.items():
            con.execute("INSERT INTO meta (key, value) VALUES (%s, %s)", (k, v))
    fmt = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    if fmt is None or fmt[0] != "wzgeo-store":
        raise StoreError(
            f"数据库 {loc} 的 {PG_SCHEMA}.meta 不是 wzgeo 存储的，不会改动它。",
            f"{PG_SCHEMA}.meta in {loc} is not a wzgeo store's; it was left untouched.",
        )
    version = int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    if version > PG_SCHEMA_VERSION:
        raise StoreError(
            f"存储数据库 {loc} 由更新版本的 wzgeo 创建（结构版本 {version}）。请升级 wzgeo。",
            f"the store database {loc} was made by a newer wzgeo (schema {version}). Upgrade "
            "wzgeo.",
        )
    for step, what, sql in MIGRATIONS:
        if step <= version:
            continue
        con.execute(sql)
        con.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(step),))
        logger.info("store %s: schema migrated to version %d (%s)", loc, step, what)


def replace_log(
    con: PgConnection,
    rows: list[tuple[Any, ...]],
    state: dict[Any, Any],
    columns: Sequence[str],
) -> None:
    """:func:`wzgeo.store._schema.replace_log` for PostgreSQL (inside :func:`writing`).

    ``columns``: the log's columns (``CHANGE_COLUMNS``), in the order of ``rows``.
    """
    raw = con._con
    raw.execute("ALTER TABLE changes DISABLE TRIGGER changes_no_delete")
    raw.execute("DELETE FROM current")
    raw.execute("DELETE FROM changes")
    con.executemany(
        f"INSERT INTO changes ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        rows,
    )
    con.executemany(
        "INSERT INTO current (entity_type, entity_id, version, change_id, payload) "
        "VALUES (?, ?, ?, ?, ?)",
        [(t, i, v, c, p) for (t, i), (v, c, p) in state.items()],
    )
    # the next change continues after the imported ones
    raw.execute(
        "SELECT setval(pg_get_serial_sequence('changes', 'change_id'), "
        "coalesce((SELECT max(change_id) FROM changes), 0) + 1, false)"
    )
    raw.execute("ALTER TABLE changes ENABLE TRIGGER changes_no_delete")


def backup_log(loc: PgLocation, stamp: str) -> str:
    """Copy the log and derived state to tables ``wzgeo.backup_<stamp>_*``; their names."""
    name = f"backup_{re.sub(r'[^0-9A-Za-z]', '', stamp).lower()}"
    with writing(loc) as con:
        raw = con._con
        raw.execute(f"CREATE TABLE {name}_changes AS TABLE changes")
        raw.execute(f"CREATE TABLE {name}_current AS SELECT * FROM current")
    return f"{loc} {PG_SCHEMA}.{name}_changes, {PG_SCHEMA}.{name}_current"

"""The saved-work store on disk: SQL schema, triggers, connections, migrations, log replay.

Private helpers of :mod:`wzgeo.store.core` and :mod:`wzgeo.store.transfer`.

* ``changes`` is the append-only log (triggers refuse ``UPDATE`` and ``DELETE``); ``current``
  holds the state derived from it; ``meta`` names the format, the schema version and the
  store's random id.
* Connections use WAL, ``synchronous=FULL`` and a 30 s busy timeout; a write is one
  ``BEGIN IMMEDIATE`` … ``COMMIT`` transaction, rolled back on any error.
* :func:`replay` rebuilds ``current`` from the log and lists every inconsistency; it is the
  single definition of what a consistent log is (used by ``verify`` and by import).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from wzgeo.store import _pg
from wzgeo.store._records import StoreDamagedError, StoreError, now

logger = logging.getLogger(__name__)

__all__ = [
    "CHANGE_COLUMNS",
    "ENTITY_TYPES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_LAYER",
    "OPS",
    "PRIVATE_MODE",
    "SCHEMA_VERSION",
    "Location",
    "LogState",
    "all_changes",
    "check_format",
    "connect",
    "create_private",
    "damage_message",
    "health",
    "init_schema",
    "is_sqlite_file",
    "payload_id",
    "reading",
    "replace_log",
    "replay",
    "writable",
    "writing",
]

ENTITY_TYPES = (
    "assignment", "plot", "zone_boundary", "sector_fit", "land_rule", "sector_landclass",
)  # fmt: skip
OPS = ("set", "delete")
FORMAT_NAME = "wzgeo-store"
FORMAT_VERSION = 1
SCHEMA_VERSION = 1
MANIFEST_LAYER = "wzgeo_manifest"

CHANGE_COLUMNS = (
    "change_id", "entity_type", "entity_id", "version", "op", "payload", "by_user", "at",
    "why", "reverts_change_id",
)  # fmt: skip

_NO_DELETE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS changes_no_delete BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
"""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL CHECK (entity_type IN
        ('assignment', 'plot', 'zone_boundary', 'sector_fit', 'land_rule',
         'sector_landclass')),
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
"""
    + _NO_DELETE_TRIGGER
)

#: files the store writes (the store, its backups, exports) are readable by their owner only;
#: SQLite gives the store's ``-wal`` and ``-shm`` files the mode of the store file
PRIVATE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an empty file is an empty
    SQLite database); another process creating it first is fine."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, PRIVATE_MODE)  # whatever the umask


#: ``(entity_type, entity_id)`` → ``(version, change_id, payload or None if deleted)``.
LogState = dict[tuple[str, str], tuple[int, int, str | None]]


def is_sqlite_file(path: Path) -> bool:
    """True when ``path`` starts with the SQLite header (whatever state its pages are in)."""
    try:
        with path.open("rb") as f:
            return f.read(16) == SQLITE_HEADER
    except OSError:
        return False


SQLITE_HEADER = b"SQLite format 3\x00"


def writable(path: Path) -> bool:
    """Whether the store at ``path`` can be written: the file and its folder (SQLite makes
    its ``-wal`` and ``-shm`` files there). False on a read-only medium or for a read-only
    file (for root too: a read-only mount answers ``EROFS``)."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(folder, os.W_OK)


def damage_message(path: object, detail: str) -> tuple[str, str]:
    """What to tell a user whose store is damaged: what, and the recovery command."""
    detail = detail.strip().replace("\n", "; ")[:300]
    return (
        f"存储文件 {path} 已损坏（{detail}），只能以只读方式查看，不能保存修改。"
        f"请用 `wzgeo store recover 新文件.sqlite --store {path}` 从修改日志重建到新文件，"
        f"再把 WZGEO_STORE 指向新文件。",
        f"The store file {path} is damaged ({detail}); it is open read-only and no change "
        f"can be saved. Rebuild it from its change log with `wzgeo store recover NEW.sqlite "
        f"--store {path}`, then point WZGEO_STORE at the new file.",
    )


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode with the store's pragmas.

    Parameters
    ----------
    path
        The SQLite file.
    read_only
        Open without writing anything (``mode=ro``; ``immutable=1`` on a read-only medium
        where SQLite cannot make the WAL index).

    Returns
    -------
    sqlite3.Connection
        The caller closes it.
    """
    try:
        if read_only:
            return _connect_read_only(path)
        con = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        con.execute("PRAGMA busy_timeout = 30000")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as e:
        raise StoreError(
            f"无法打开存储文件 {path}：{e}。它可能不是 wzgeo 存储或已损坏。",
            f"Cannot open the store file {path}: {e}. It may not be a wzgeo store "
            f"or may be damaged.",
        ) from e
    return con


#: Where a store is: its SQLite file, or a PostgreSQL database (:mod:`wzgeo.store._pg`).
Location = Path | _pg.PgLocation


def _connect_read_only(path: Path) -> sqlite3.Connection:
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # a WAL store on a read-only medium: SQLite cannot make its ``-shm`` index there;
        # nobody can write such a file, so reading it as immutable is safe
        con.close()
        con = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
    return con


def health(path: Path, *, read_only: bool = False) -> str | None:
    """``PRAGMA quick_check`` of ``path``: None when it is sound, else what SQLite reports."""
    try:
        with contextlib.closing(connect(path, read_only=read_only)) as con:
            rows = con.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e)
    report = "; ".join(str(r[0]) for r in rows)
    return None if report == "ok" else report


@contextlib.contextmanager
def reading(path: Location, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection for reads (autocommit), closed on exit; a damaged page read on it
    becomes :class:`StoreDamagedError` (with the recovery command), not a traceback."""
    if isinstance(path, _pg.PgLocation):
        # the PostgreSQL connection runs the same statements (the subset of sqlite3 used)
        with _pg.reading(path) as pg:
            yield cast("sqlite3.Connection", pg)
        return
    con = connect(path, read_only=read_only)
    try:
        yield con
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError) and "malformed" not in str(e):
            raise StoreError(
                f"无法读取存储文件 {path}：{e}。", f"Cannot read the store file {path}: {e}."
            ) from e
        raise StoreDamagedError(*damage_message(path, str(e))) from e
    finally:
        con.close()


@contextlib.contextmanager
def writing(path: Location) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error).

    ``PRAGMA quick_check`` runs first, inside the transaction: nothing is ever written into
    a damaged file (:class:`StoreDamagedError` instead).
    """
    if isinstance(path, _pg.PgLocation):
        with _pg.writing(path) as pg:
            yield cast("sqlite3.Connection", pg)
        return
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            try:
                report = "; ".join(str(r[0]) for r in con.execute("PRAGMA quick_check"))
            except sqlite3.DatabaseError as e:
                report = str(e)
            if report != "ok":
                raise StoreDamagedError(*damage_message(path, report))
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    except sqlite3.DatabaseError as e:
        if "malformed" in str(e) or "not a database" in str(e):
            raise StoreDamagedError(*damage_message(path, str(e))) from e
        raise
    finally:
        con.close()


def check_format(path: Path) -> None:
    """Refuse a read-only file that is not a wzgeo store (or one of a newer schema)."""
    with reading(path, read_only=True) as con:
        try:
            fmt = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            ver = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError as e:
            fmt, ver = None, None
            if "no such table" not in str(e):
                raise StoreError(
                    f"{path} 不是可用的 SQLite 存储文件：{e}。",
                    f"{path} is not a usable SQLite store: {e}.",
                ) from e
    if fmt is None or fmt[0] != FORMAT_NAME:
        raise StoreError(
            f"{path} 不是 wzgeo 存储（且只读，无法创建）。请检查 WZGEO_STORE。",
            f"{path} is not a wzgeo store (and is read-only, so none can be made there). "
            f"Check WZGEO_STORE.",
        )
    if ver is not None and int(ver[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"存储文件 {path} 由更新版本的 wzgeo 创建（结构版本 {ver[0]}）。请升级 wzgeo。",
            f"The store {path} was made by a newer wzgeo (schema {ver[0]}). Upgrade wzgeo.",
        )


def init_schema(path: Location) -> None:
    """Create the tables and ``meta`` rows if missing; refuse foreign or newer files.

    Parameters
    ----------
    path
        The SQLite file (created if missing).

    Raises
    ------
    StoreError
        If the file is not SQLite, is another application's database or was made by a newer
        schema version.
    """
    if isinstance(path, _pg.PgLocation):
        _pg.init_schema(path)
        return
    with reading(path) as con:
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            fmt = (
                con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                if "meta" in tables
                else None
            )
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"{path} 不是可用的 SQLite 存储文件：{e}。",
                f"{path} is not a usable SQLite store: {e}.",
            ) from e
        if tables and (fmt is None or fmt[0] != FORMAT_NAME):
            raise StoreError(
                f"{path} 是别的 SQLite 数据库（不是 wzgeo 存储），不会改动它。"
                f"请为 WZGEO_STORE 选择新的文件名。",
                f"{path} is another SQLite database, not a wzgeo store; it was left "
                f"untouched. Choose a new file name for WZGEO_STORE.",
            )
        _enable_wal(con, path)
        # tables and meta rows in one transaction: another process opening the same new
        # file sees either nothing or a complete store, never tables without ``meta``
        meta = {
            "format": FORMAT_NAME,
            "schema_version": str(SCHEMA_VERSION),
            "created_at": now(),
            "store_id": hashlib.sha256(os.urandom(16)).hexdigest()[:16],
        }
        inserts = "".join(
            f"INSERT OR IGNORE INTO meta (key, value) VALUES ({_literal(k)}, {_literal(v)});"
            for k, v in meta.items()
        )
        con.executescript("BEGIN IMMEDIATE;" + _SCHEMA + inserts + "COMMIT;")
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if int(row[0]) <= SCHEMA_VERSION:
            _widen_entity_types(con)
    if int(row[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"存储文件 {path} 由更新版本的 wzgeo 创建（结构版本 {row[0]}）。请升级 wzgeo。",
            f"The store {path} was made by a newer wzgeo (schema {row[0]}). Upgrade wzgeo.",
        )


def _widen_entity_types(con: sqlite3.Connection) -> None:
    """Let a store made before ``sector_landclass`` existed hold it (in one transaction).

    The log's ``CHECK (entity_type IN (...))`` of such a store lacks the new type. Widening a
    CHECK changes no stored row, so the table definition is rewritten in place
    (``PRAGMA writable_schema``, the procedure SQLite documents for changing constraints);
    the log and its append-only triggers stay as they are.
    """
    con.execute("BEGIN IMMEDIATE")
    try:
        (sql,) = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'changes'"
        ).fetchone()
        old = "'sector_fit', 'land_rule')"
        if "'sector_landclass'" in sql or old not in sql:
            con.execute("COMMIT")
            return
        (version,) = con.execute("PRAGMA schema_version").fetchone()
        con.execute("PRAGMA writable_schema = ON")
        con.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'changes'",
            (sql.replace(old, "'sector_fit', 'land_rule', 'sector_landclass')"),),
        )
        con.execute(f"PRAGMA schema_version = {int(version) + 1}")
        con.execute("PRAGMA writable_schema = OFF")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    logger.info("store: the change log now accepts sector_landclass edits")


def _enable_wal(con: sqlite3.Connection, path: Path, *, timeout_s: float = 30.0) -> None:
    """Switch ``path`` to WAL (persistent); wait while another process creates the file.

    Changing the journal mode needs the file to itself and SQLite does not wait for that
    (``database is locked`` at once), so several processes opening a new store retry here.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            con.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise StoreError(
                    f"存储文件 {path} 正被其他程序占用（{e}），请稍后重试。",
                    f"The store file {path} is busy in another program ({e}); try again later.",
                ) from e
            time.sleep(0.02)


def _literal(text: str) -> str:
    """``text`` as an SQL string literal (for the ``executescript`` above, which takes none)."""
    return "'" + text.replace("'", "''") + "'"


def all_changes(con: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every row of the log (:data:`CHANGE_COLUMNS`), oldest first."""
    return con.execute(
        f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes ORDER BY change_id"
    ).fetchall()


def replace_log(con: sqlite3.Connection, rows: list[tuple[Any, ...]], state: LogState) -> None:
    """Swap the whole log and derived state for ``rows`` (inside the caller's transaction).

    The only place that deletes from ``changes``: the delete trigger is dropped and re-created
    within the same transaction, so a crash leaves the old log with its trigger.

    Parameters
    ----------
    con
        A connection inside :func:`writing`.
    rows
        The new log (validated, ``change_id`` order).
    state
        ``replay(rows)[0]``.
    """
    if isinstance(con, _pg.PgConnection):
        _pg.replace_log(con, rows, state, CHANGE_COLUMNS)
        return
    con.execute("DROP TRIGGER changes_no_delete")
    con.execute("DELETE FROM current")
    con.execute("DELETE FROM changes")
    con.execute("DELETE FROM sqlite_sequence WHERE name = 'changes'")
    con.executemany(
        f"INSERT INTO changes ({', '.join(CHANGE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})",
        rows,
    )
    con.executemany(
        "INSERT INTO current (entity_type, entity_id, version, change_id, payload) "
        "VALUES (?, ?, ?, ?, ?)",
        [(t, i, v, c, p) for (t, i), (v, c, p) in state.items()],
    )
    con.execute(_NO_DELETE_TRIGGER)


def payload_id(entity_type: str, payload: Mapping[str, Any]) -> str | None:
    """The entity id a payload describes (must equal the change's ``entity_id``)."""
    if entity_type == "sector_fit":
        return f"{payload.get('sector_id')}|{payload.get('zone_id')}"
    field = {"assignment": "project_id", "plot": "plot_id", "zone_boundary": "zone_id",
             "land_rule": "rule_id", "sector_landclass": "sector_id"}.get(entity_type)  # fmt: skip
    value = payload.get(field) if field else None
    return None if value is None else str(value)


def replay(rows: list[tuple[Any, ...]]) -> tuple[LogState, list[str]]:
    """Replay change rows (in ``change_id`` order) into the derived state; list problems found.

    Parameters
    ----------
    rows
        Log rows with the columns :data:`CHANGE_COLUMNS`.

    Returns
    -------
    state : LogState
        What ``current`` must hold.
    problems : list of str
        Unknown types or ops, unreadable or mismatched payloads, missing who/when/why,
        version gaps, reverts of unknown or later changes (English, one per problem).
    """
    state: LogState = {}
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
            elif payload_id(etype, parsed) != eid:
                problems.append(
                    f"{where}: payload names {payload_id(etype, parsed)!r}, not {eid!r}"
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

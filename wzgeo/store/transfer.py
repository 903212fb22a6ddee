"""Move the saved-work store between machines: export to a GeoPackage, validated import.

An export is one GeoPackage: the current work as readable layers (``zone_boundaries`` and
``plots`` in EPSG:4326, ``assignments``, ``sector_fit_edits``, ``land_rule_edits``), the full
change log (``changes``, the source of truth) and a JSON manifest (``wzgeo_manifest``) with the
format version, counts and a SHA-256 of the log. An import validates everything before
touching the store and refuses broken, altered or foreign files with a bilingual message.

:meth:`wzgeo.store.core.Store.export` and :meth:`wzgeo.store.core.Store.import_file` call these.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wzgeo.store._pg import PgLocation, backup_log
from wzgeo.store._records import StoreError, StoreImportError, dumps, now
from wzgeo.store._schema import (
    CHANGE_COLUMNS,
    ENTITY_TYPES,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_LAYER,
    PRIVATE_MODE,
    all_changes,
    create_private,
    replace_log,
    replay,
)
from wzgeo.store._validate import validate_change

if TYPE_CHECKING:  # pragma: no cover
    from wzgeo.store._validate import IdCatalog
    from wzgeo.store.core import Store

__all__ = [
    "SIGNATURE_ALG",
    "export_key_path",
    "export_store",
    "import_store",
    "installation_key_id",
    "read_export",
    "recover_store",
]

SIGNATURE_ALG = "HMAC-SHA256"

logger = logging.getLogger(__name__)


def export_key_path() -> Path:
    """The installation key that signs exports: ``$WZGEO_EXPORT_KEY`` if set, else
    ``export-key`` in the user config dir. Copy it (mode 0600) to the other installations
    whose exports should be verified here."""
    from wzgeo.paths import user_file

    return user_file("WZGEO_EXPORT_KEY", "export-key", folder="config")


def _installation_key(*, create: bool) -> bytes | None:
    """The key's 32 bytes (hex in the file), made on first use when ``create``."""
    path = export_key_path()
    if path.exists():
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (ValueError, UnicodeDecodeError) as e:
            raise StoreError(
                f"导出签名密钥 {path} 无法读取（应为十六进制文本）。请删除后重新导出以生成新密钥。",
                f"The export signing key {path} cannot be read (hex text expected). Delete "
                f"it and export again to make a new one.",
            ) from e
        if len(key) < 16:
            raise StoreError(
                f"导出签名密钥 {path} 太短。", f"The export signing key {path} is too short."
            )
        return key
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    logger.info("made the export signing key %s", path)
    return key


def installation_key_id(key: bytes) -> str:
    """A short public name of a key (to tell which installation signed an export)."""
    return hashlib.sha256(b"wzgeo-export-key\0" + key).hexdigest()[:16]


def _mac(key: bytes, manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return hmac.new(key, dumps(body).encode("utf-8"), hashlib.sha256).hexdigest()


def export_store(
    store: Store, out: str | os.PathLike[str], *, overwrite: bool = False, sign: bool = True
) -> dict[str, Any]:
    """Write the whole store to a GeoPackage (with an embedded JSON manifest).

    Layers: ``zone_boundaries`` and ``plots`` (EPSG:4326), ``assignments``,
    ``sector_fit_edits``, ``land_rule_edits``, ``changes`` (the full log; the source of
    truth for import) and ``wzgeo_manifest`` (one row, column ``manifest_json``).

    Parameters
    ----------
    store
        The store to export.
    out
        The ``.gpkg`` file to write (written to a temporary file, then moved in place).
    overwrite
        Replace ``out`` if it exists; otherwise an existing file is an error.
    sign
        Sign the manifest (which holds the log's SHA-256) with this installation's key
        (:func:`export_key_path`, made on first use): an import on an installation with the
        same key detects any change to the file.

    Returns
    -------
    dict
        The manifest (format, version, counts, checksum of the log, signature).
    """
    import pandas as pd
    import pyogrio

    out = Path(out)
    if out.exists() and not overwrite:
        raise StoreError(
            f"{out} 已存在。请换一个文件名，或使用 --force 覆盖。",
            f"{out} already exists. Choose another name or use --force to overwrite.",
        )
    with store.read_connection() as con:
        rows = all_changes(con)
        store_id = con.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
    changes = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "exported_at": now(),
        "store_id": store_id,
        "counts": store.counts(),
        "changes_sha256": _changes_digest(rows),
        "crs": "EPSG:4326",
    }
    if sign:
        key = _installation_key(create=True)
        assert key is not None
        manifest["signature"] = {
            "alg": SIGNATURE_ALG,
            "key_id": installation_key_id(key),
            "mac": _mac(key, manifest),
        }
    boundaries = store.zone_boundaries()
    plots = store.plots()
    plots["report_json"] = [dumps(r) for r in plots["report"]]
    plots = plots.drop(columns="report")
    land = store.land_rule_edits()[["rule_id", "values_json", "by_user", "at", "why",
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
            ("assignments", store.assignments()),
            ("sector_fit_edits", store.sector_fit_edits()),
            ("land_rule_edits", land),
            ("sector_landclass_edits", store.sector_landclass_edits()),
            ("changes", changes),
            (MANIFEST_LAYER, pd.DataFrame({"manifest_json": [dumps(manifest)]})),
        ):
            pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG")
        os.chmod(tmp, PRIVATE_MODE)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("exported %d changes to %s", len(rows), out)
    return manifest


def import_store(
    store: Store,
    file: str | os.PathLike[str],
    *,
    replace: bool = False,
    by: str | None = None,
    require_signature: bool = False,
) -> dict[str, Any]:
    """Load a file written by :func:`export_store`, after validating it completely.

    The imported change log becomes this store's log. An empty store takes it directly;
    a store with changes needs ``replace=True``, which first copies the current store to
    ``<store>.before-import-<time>.sqlite`` (PostgreSQL: to the tables
    ``wzgeo.backup_<time>_changes`` and ``_current``) and then swaps the content in one
    transaction.

    Parameters
    ----------
    store
        The store to load into.
    file
        A ``.gpkg`` made by ``wzgeo store export``.
    replace
        Allow replacing a non-empty store (after the backup).
    by
        Who imports (recorded with the import; the changes keep their recorded authors).
    require_signature
        Refuse a file not signed with this installation's key (:func:`export_key_path`).

    Returns
    -------
    dict
        The file's manifest, plus ``backup`` (path or None) and ``provenance`` (the record
        kept in the store: who imported which file when, and whether its signature was
        verified; :meth:`~wzgeo.store.core.Store.last_import`).

    Raises
    ------
    StoreImportError
        If the file is not a wzgeo export, was made by a newer format, or is broken or
        inconsistent (counts, checksum, versions, ids, JSON). Nothing is imported then.
    """
    from wzgeo.store._validate import check_text

    file = Path(file)
    by = check_text(by or "(unnamed)", "导入人 by", max_len=64)
    manifest, rows = read_export(file, store.ids)
    signature = _check_signature(file, manifest, require=require_signature)
    backup: str | None = None
    with store.read_connection() as con:
        n_existing = con.execute("SELECT count(*) FROM changes").fetchone()[0]
    if n_existing and not replace:
        raise StoreError(
            f"当前存储已有 {n_existing} 条修改记录；导入会替换它们。"
            f"确认后请使用 --replace（会先自动备份）。",
            f"The store already holds {n_existing} changes; importing replaces them. "
            f"Use --replace to confirm (a backup is made first).",
        )
    if n_existing and isinstance(store.path, PgLocation):
        # in the database itself: tables wzgeo.backup_<time>_changes / _current
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = backup_log(store.path, stamp)
        logger.info("backed up %s to %s", store.path, backup)
    elif n_existing:
        assert isinstance(store.path, Path)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_file = store.path.with_name(f"{store.path.stem}.before-import-{stamp}.sqlite")
        create_private(backup_file)
        with (
            store.read_connection() as src,
            contextlib.closing(sqlite3.connect(backup_file)) as dst,
        ):
            src.backup(dst)
        backup = str(backup_file)
        logger.info("backed up %s to %s", store.path, backup)
    state, _ = replay(rows)
    with store.write_connection() as con:
        n_now = con.execute("SELECT count(*) FROM changes").fetchone()[0]
        if n_now != n_existing:
            raise StoreError(
                f"导入期间有人修改了存储（{n_existing} → {n_now} 条记录），未导入。请重试。",
                f"Someone changed the store during the import ({n_existing} → {n_now} "
                f"changes); nothing was imported. Try again.",
            )
        replace_log(con, rows, state)
        provenance = {
            "by": by,
            "at": now(),
            "file": file.name,
            "file_sha256": _file_digest(file),
            "n_changes": len(rows),
            "last_change_id": max((r[0] for r in rows), default=0),
            "source_store_id": manifest.get("store_id"),
            "exported_at": manifest.get("exported_at"),
            "signature": signature,
        }
        con.execute(
            "INSERT INTO meta (key, value) VALUES ('last_import', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (dumps(provenance),),
        )
    logger.info("imported %d changes from %s", len(rows), file)
    return {**manifest, "backup": backup, "provenance": provenance}


def _file_digest(file: Path) -> str:
    h = hashlib.sha256()
    with file.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_signature(file: Path, manifest: dict[str, Any], *, require: bool) -> str:
    """``verified``, ``unsigned`` or ``other installation <key id>``; refuse a bad MAC.

    A file signed with this installation's key must verify: any change after the export
    (authors, times, reasons, deleted history) changes the log's SHA-256 in the manifest or
    the manifest itself, and the MAC no longer matches. A file from an installation with
    another key cannot be verified here; it is imported (unless ``require``) and recorded
    as such.
    """
    sig = manifest.get("signature")
    key = _installation_key(create=False)
    if sig is None:
        status = "unsigned"
    elif not isinstance(sig, dict) or sig.get("alg") != SIGNATURE_ALG:
        raise _bad_file(
            file, "签名格式无法识别。", f"its signature is not {SIGNATURE_ALG} as wzgeo writes it."
        )
    elif key is not None and sig.get("key_id") == installation_key_id(key):
        if not hmac.compare_digest(str(sig.get("mac")), _mac(key, manifest)):
            raise _bad_file(
                file,
                "签名不符：文件在导出后被改动过（作者、时间、原因或历史）。",
                "the signature does not match: the file was changed after it was exported "
                "(authors, times, reasons or history).",
            )
        status = "verified"
    else:
        status = f"other installation {sig.get('key_id')}"
    if require and status != "verified":
        raise _bad_file(
            file,
            f"文件未用本机的导出密钥签名（{status}），而要求了签名。"
            f"请从使用同一密钥（{export_key_path()}）的安装导出。",
            f"it is not signed with this installation's export key ({status}) and a "
            f"signature was required. Export it from an installation that shares the key "
            f"({export_key_path()}).",
        )
    return status


def _plain_value(value: Any) -> Any:
    """A cell read by pyogrio as a plain Python value: NaN/None → None, whole floats → int."""
    import math

    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _changes_digest(rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(dumps(list(row)).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _bad_file(file: Path, zh: str, en: str) -> StoreImportError:
    return StoreImportError(
        f"无法导入 {file}：{zh}未导入任何内容。",
        f"Cannot import {file}: {en} Nothing was imported.",
    )


def read_export(file: Path, ids: IdCatalog) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Read and fully validate an export file; return its manifest and change rows.

    Parameters
    ----------
    file
        The ``.gpkg`` to check.
    ids
        Known ids: every assignment, boundary and fit edit in the file must use them.

    Returns
    -------
    manifest : dict
        The file's manifest.
    rows : list of tuple
        The change log (:data:`~wzgeo.store._schema.CHANGE_COLUMNS`), ``change_id`` order.

    Raises
    ------
    StoreImportError
        Not a readable GeoPackage, no or foreign manifest, newer format, missing columns,
        counts or checksum that do not match, an inconsistent log or unknown ids.
    """
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
    missing = [c for c in CHANGE_COLUMNS if c not in df.columns]
    if missing:
        raise _bad_file(
            file, f"changes 表缺少列 {missing}。", f"the changes table lacks columns {missing}."
        )
    rows: list[tuple[Any, ...]] = []
    for n, rec in enumerate(df[list(CHANGE_COLUMNS)].to_dict(orient="records"), start=1):
        fields = {k: _plain_value(v) for k, v in rec.items()}
        try:
            # every change passes the checks a normal save applies (ids, texts, grades,
            # geometry type and validity, versions); the first failure refuses the file
            checked = validate_change(fields, ids=ids)
        except StoreError as e:
            raise _bad_file(file, f"第 {n} 行 {e.zh}", f"row {n}, {e.en}") from e
        rows.append(tuple(checked[c] for c in CHANGE_COLUMNS))
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
    state, problems = replay(rows)  # versions in sequence, reverts of earlier changes
    if problems:
        raise _bad_file(
            file,
            f"发现 {len(problems)} 处不一致：{'; '.join(problems[:5])}。",
            f"{len(problems)} inconsistencies: {'; '.join(problems[:5])}.",
        )
    counts = manifest.get("counts", {})
    for etype in ENTITY_TYPES:
        n = sum(1 for (t, _), (_, _, p) in state.items() if t == etype and p is not None)
        if counts.get(etype) != n and not (etype not in counts and n == 0):
            # (files written before a type existed do not count it)
            raise _bad_file(
                file,
                f"清单中 {etype} 数量 {counts.get(etype)} 与记录重放结果 {n} 不符。",
                f"the manifest counts {counts.get(etype)} {etype} but the log gives {n}.",
            )
    return manifest, rows


def recover_store(
    damaged: str | os.PathLike[str], out: str | os.PathLike[str], *, ids: IdCatalog
) -> dict[str, Any]:
    """Rebuild a store from the change log of a damaged one, into a new file.

    The damaged file is only read. Every change SQLite can still read is checked as an
    import checks it (:func:`wzgeo.store._validate.validate_change`); per entity the changes
    are kept up to the first one that is missing or unreadable (a later version without its
    predecessor would be a history with a hole), and ``current`` is derived from the kept log.

    Parameters
    ----------
    damaged
        The damaged store file.
    out
        The new store file (must not exist).
    ids
        Known ids (as for an import).

    Returns
    -------
    dict
        ``recovered`` (changes kept), ``lost`` (change ids not recovered, with the reason),
        ``entities`` (current entities), ``out``.
    """
    from wzgeo.store._schema import connect, replace_log
    from wzgeo.store._validate import validate_change
    from wzgeo.store.core import open_store

    damaged, out = Path(damaged), Path(out)
    if out.exists():
        raise StoreError(
            f"{out} 已存在；恢复只写入新文件。请换一个文件名。",
            f"{out} already exists; recovery writes a new file only. Choose another name.",
        )
    raw, lost = _salvage_rows(damaged, connect)
    rows: list[tuple[Any, ...]] = []
    versions: dict[tuple[str, str], int] = {}
    broken: set[tuple[str, str]] = set()
    for row in raw:
        fields = dict(zip(CHANGE_COLUMNS, row, strict=True))
        key = (str(fields["entity_type"]), str(fields["entity_id"]))
        try:
            validate_change(fields, ids=ids)
        except StoreError as e:
            lost.append((fields.get("change_id"), e.en))
            broken.add(key)
            continue
        if key in broken or fields["version"] != versions.get(key, 0) + 1:
            lost.append((fields["change_id"], f"follows a missing version of {key[0]} {key[1]}"))
            broken.add(key)
            continue
        versions[key] = int(fields["version"])
        rows.append(row)
    kept_ids = {r[0] for r in rows}
    rows = [r if r[9] is None or r[9] in kept_ids else (*r[:9], None) for r in rows]
    state, problems = replay(rows)
    if problems:  # pragma: no cover - the filtering above keeps a consistent log
        listed = "; ".join(problems[:3])
        raise StoreError(
            f"恢复的日志不一致：{listed}", f"The recovered log is inconsistent: {listed}"
        )
    new = open_store(out, ids=ids)
    with new.write_connection() as con:
        replace_log(con, rows, state)
        con.execute(
            "INSERT INTO meta (key, value) VALUES ('recovered_from', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (dumps({"file": str(damaged), "at": now(), "kept": len(rows), "lost": len(lost)}),),
        )
    logger.info(
        "recovered %d changes from %s into %s (%d lost)", len(rows), damaged, out, len(lost)
    )
    return {
        "recovered": len(rows),
        "lost": sorted(lost, key=lambda x: (x[0] is None, x[0] or 0)),
        "entities": sum(1 for v in state.values() if v[2] is not None),
        "out": str(out),
    }


def _salvage_rows(path: Path, connect: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, str]]]:
    """Every change row SQLite can still read from ``path`` (all at once, else one by one)."""
    lost: list[tuple[Any, str]] = []
    cols = ", ".join(CHANGE_COLUMNS)
    with contextlib.closing(connect(path, read_only=True)) as con:
        try:
            rows = con.execute(f"SELECT {cols} FROM changes ORDER BY change_id").fetchall()
            return [tuple(r) for r in rows], lost
        except sqlite3.DatabaseError as e:
            logger.info("reading the whole log failed (%s); reading change by change", e)
        top = 0
        for sql in (
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
            "SELECT max(change_id) FROM changes",
        ):
            with contextlib.suppress(sqlite3.DatabaseError, TypeError):
                top = max(top, int(con.execute(sql).fetchone()[0]))
        rows = []
        for cid in range(1, top + 1):
            try:
                row = con.execute(f"SELECT {cols} FROM changes WHERE change_id = ?", (cid,))
                found = row.fetchone()
            except sqlite3.DatabaseError as e:
                lost.append((cid, f"unreadable ({e})"))
                continue
            if found is None:
                lost.append((cid, "missing"))
            else:
                rows.append(tuple(found))
    return rows, lost

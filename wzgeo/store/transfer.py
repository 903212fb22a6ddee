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
import json
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    reading,
    replace_log,
    replay,
    writing,
)

if TYPE_CHECKING:  # pragma: no cover
    from wzgeo.store._validate import IdCatalog
    from wzgeo.store.core import Store

__all__ = ["export_store", "import_store", "read_export"]

logger = logging.getLogger(__name__)


def export_store(
    store: Store, out: str | os.PathLike[str], *, overwrite: bool = False
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
    with reading(store.path) as con:
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
    store: Store, file: str | os.PathLike[str], *, replace: bool = False
) -> dict[str, Any]:
    """Load a file written by :func:`export_store`, after validating it completely.

    The imported change log becomes this store's log. An empty store takes it directly;
    a store with changes needs ``replace=True``, which first copies the current store to
    ``<store>.before-import-<time>.sqlite`` and then swaps the content in one transaction.

    Parameters
    ----------
    store
        The store to load into.
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
    manifest, rows = read_export(file, store.ids)
    backup: Path | None = None
    with reading(store.path) as con:
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
        backup = store.path.with_name(f"{store.path.stem}.before-import-{stamp}.sqlite")
        create_private(backup)
        with reading(store.path) as src, contextlib.closing(sqlite3.connect(backup)) as dst:
            src.backup(dst)
        logger.info("backed up %s to %s", store.path, backup)
    state, _ = replay(rows)
    with writing(store.path) as con:
        n_now = con.execute("SELECT count(*) FROM changes").fetchone()[0]
        if n_now != n_existing:
            raise StoreError(
                f"导入期间有人修改了存储（{n_existing} → {n_now} 条记录），未导入。请重试。",
                f"Someone changed the store during the import ({n_existing} → {n_now} "
                f"changes); nothing was imported. Try again.",
            )
        replace_log(con, rows, state)
    logger.info("imported %d changes from %s", len(rows), file)
    return {**manifest, "backup": str(backup) if backup else None}


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
    missing = [c for c in CHANGE_COLUMNS if c not in df.columns]
    if missing:
        raise _bad_file(
            file, f"changes 表缺少列 {missing}。", f"the changes table lacks columns {missing}."
        )
    rows: list[tuple[Any, ...]] = []
    for rec in df[list(CHANGE_COLUMNS)].itertuples(index=False):
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
    state, problems = replay(rows)
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

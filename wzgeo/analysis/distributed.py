"""Bulk plot check of a partitioned parcel layer, one partition at a time or on dask.distributed.

A municipal parcel layer (tens of millions of 图斑) does not fit one process; a partitioned
GeoParquet dataset (a folder or glob of ``.parquet`` files, e.g. one per township) does, one
file at a time. :func:`check_partitioned` checks each partition with
:func:`wzgeo.analysis.plotcheck.check_plot_layer` — the single-machine engine, so the numbers
are the same — and writes one result file per partition:

- without a cluster, partition by partition in this process;
- with a ``distributed.Client`` (a ``LocalCluster`` from :func:`open_cluster`, or an existing
  scheduler): one task per partition. The zones, the fit table and the options are sent to
  every worker once (``Client.scatter(..., broadcast=True)``); each worker reads its
  partition from the shared file system, checks it and writes its result file; only a few
  numbers per partition come back to the client, never the layer.

Memory is bounded by the largest partition, not by the layer. Overlaps *between* parcels need
the whole layer and are not offered here. Parcels without a ``plot_id`` column get their row
number in the dataset (partitions in name order), as the single-machine check of the
concatenated layer gives them.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from wzgeo.errors import InputFileError, WzgeoError

if TYPE_CHECKING:  # pragma: no cover
    from wzgeo.analysis.landuse import LandLayers

__all__ = [
    "SCHEDULER_ENV",
    "Partition",
    "PartitionError",
    "PartitionedCheck",
    "check_partitioned",
    "geoparquet_geometry",
    "list_partitions",
    "open_cluster",
]

logger = logging.getLogger(__name__)

SCHEDULER_ENV = "WZGEO_DASK_SCHEDULER"
"""Environment variable naming a dask.distributed scheduler (``tcp://HOST:PORT``)."""

_SUFFIXES = (".parquet", ".geoparquet")


class PartitionError(WzgeoError):
    """A partition could not be checked; names the partition (survives pickling to the client).

    Parameters
    ----------
    name
        The partition (its path inside the dataset).
    zh, en
        What went wrong, in Chinese and English.
    """

    def __init__(self, name: str, zh: str, en: str) -> None:
        self.name = name
        super().__init__(zh, en)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.zh, self.en))


@dataclass(frozen=True)
class Partition:
    """One file of a partitioned dataset.

    Attributes
    ----------
    name
        Path relative to the dataset's folder (how results and errors name it).
    path
        Absolute path of the file.
    first_row
        Row number (in the whole dataset) of its first row.
    n_rows
        Its number of rows (from the Parquet footer).
    """

    name: str
    path: str
    first_row: int
    n_rows: int


@dataclass(frozen=True)
class PartitionedCheck:
    """Result of :func:`check_partitioned`.

    Attributes
    ----------
    n_plots, n_inside
        Parcels checked, and those inside at least one zone (over all partitions done).
    written
        Result file of each partition done, by partition name.
    failed
        ``(partition name, error)`` of each partition that failed.
    notes, notes_zh, notes_en
        The notes of the check (as in :class:`wzgeo.analysis.plotcheck.PlotCheck`), once each.
    """

    n_plots: int
    n_inside: int
    written: dict[str, str]
    failed: list[tuple[str, PartitionError]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)
    notes_en: list[str] = field(default_factory=list)


def _bad_source(source: str, zh: str, en: str) -> InputFileError:
    return InputFileError(f"分区数据集 {source}：{zh}", f"partitioned dataset {source}: {en}")


def list_partitions(source: str | os.PathLike[str]) -> list[Partition]:
    """The files of a partitioned GeoParquet dataset, in name order, with their row counts.

    Parameters
    ----------
    source
        A folder (every ``.parquet`` / ``.geoparquet`` file below it, e.g. hive-style
        ``township=…/part.0.parquet``) or a glob pattern (``parcels/*.parquet``).

    Raises
    ------
    InputFileError
        Nothing matches, or a file is not Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = os.fspath(source)
    root = Path(text)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        base = root
    elif glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        base = Path(os.path.commonpath([p.parent.resolve() for p in files])) if files else root
    else:
        raise _bad_source(
            text,
            "不是文件夹也不是通配符（如 parcels/*.parquet）。",
            "is neither a folder nor a glob pattern (e.g. parcels/*.parquet).",
        )
    if not files:
        raise _bad_source(
            text,
            "没有找到 .parquet 文件；请给出包含分区文件的文件夹或通配符。",
            "no .parquet files found; give the folder holding the partitions, or a glob.",
        )
    out: list[Partition] = []
    row = 0
    for p in files:
        try:
            n = pq.ParquetFile(p).metadata.num_rows
        except (OSError, pa.ArrowException) as e:
            raise _bad_source(
                text,
                f"{p} 不是可读的 Parquet 文件（{e}）。",
                f"{p} is not a readable Parquet file ({e}).",
            ) from e
        name = p.resolve().relative_to(base.resolve()).as_posix()
        out.append(Partition(name, str(p.resolve()), row, int(n)))
        row += int(n)
    return out


@contextlib.contextmanager
def open_cluster(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | float | None = None,
    connect_timeout_s: float = 20.0,
) -> Iterator[Any]:
    """A ``distributed.Client`` for the check, or ``None`` (run in this process).

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://HOST:PORT``); default the
        :data:`SCHEDULER_ENV` environment variable. Its workers must see the input and output
        paths (shared file system) and have wzgeo installed.
    workers
        Start a ``LocalCluster`` of this many worker processes (one thread each) instead.
    memory_limit
        Memory limit per local worker (``"1.2GB"``; dask's default: the machine's memory
        divided among the workers). A worker above it is restarted by its nanny.
    connect_timeout_s
        How long to try to reach ``scheduler``.

    Raises
    ------
    WzgeoError
        dask.distributed is not installed, both or neither a valid scheduler, or it cannot
        be reached.
    """
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler is None and workers is None:
        yield None
        return
    if scheduler is not None and workers is not None:
        raise WzgeoError(
            "--scheduler（或 WZGEO_DASK_SCHEDULER）与 --workers 只能选一个。",
            "give either --scheduler (or WZGEO_DASK_SCHEDULER) or --workers, not both.",
        )
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise WzgeoError(
            "需要 dask.distributed：pip install 'wzgeo[scale]'。",
            "dask.distributed is needed: pip install 'wzgeo[scale]'.",
        ) from e
    # dask's scheduler and nannies log every start and stop at INFO: keep the terminal for
    # wzgeo's progress and errors
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if workers is not None:
        if workers < 1:
            raise WzgeoError(
                f"--workers 应为正整数，而不是 {workers}。",
                f"--workers must be a positive whole number, not {workers}.",
            )
        kwargs: dict[str, Any] = {
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": ":0",  # a free port on 127.0.0.1, not a fixed 8787
            "silence_logs": logging.WARNING,
        }
        if memory_limit is not None:
            kwargs["memory_limit"] = memory_limit
        try:
            cluster = LocalCluster(**kwargs)
        except (OSError, RuntimeError, TimeoutError) as e:
            raise WzgeoError(
                f"无法在本机启动 {workers} 个 dask 工作进程（{e}）；请减少 --workers 或检查内存。",
                f"cannot start {workers} local dask worker processes ({e}); use fewer "
                "--workers or check the free memory.",
            ) from e
        with cluster, Client(cluster) as client:
            yield client
        return
    assert scheduler is not None
    try:
        client = Client(scheduler, timeout=f"{connect_timeout_s}s")
    except (OSError, TimeoutError) as e:
        raise WzgeoError(
            f"无法连接 dask 调度器 {scheduler}（{e}）；请确认地址（tcp://主机:端口）且调度器在运行。",
            f"cannot reach the dask scheduler {scheduler} ({e}); check the address "
            "(tcp://HOST:PORT) and that the scheduler is running.",
        ) from e
    with client:
        yield client


# ------------------------------------------------------------------------------------------
# one partition (runs on a worker, or in this process)
# ------------------------------------------------------------------------------------------


def geoparquet_geometry(table: Any) -> tuple[str, Any] | None:
    """``(column, crs)`` of a WKB-encoded single-geometry GeoParquet table, else ``None``."""
    raw = (table.schema.metadata or {}).get(b"geo")
    if raw is None:
        return None
    meta = json.loads(raw)
    col = meta.get("primary_column")
    info = meta.get("columns", {}).get(col, {})
    if col not in table.column_names or info.get("encoding", "WKB").upper() != "WKB":
        return None
    if len(meta.get("columns", {})) != 1:
        return None
    return col, info.get("crs", "OGC:CRS84")


def _plain_index(table: Any) -> bool:
    """Whether the file stores no pandas index other than 0, 1, … (row numbers are the ids)."""
    pmeta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}"))
    index = pmeta.get("index_columns", [])
    return not index or (
        len(index) == 1
        and isinstance(index[0], dict)
        and index[0].get("kind") == "range"
        and index[0].get("start", 0) == 0
        and index[0].get("step", 1) == 1
    )


def _write_with(table: Any, columns: pd.DataFrame, out: Path) -> None:
    """Write ``table`` (geometry kept as stored WKB) plus ``columns`` to ``out`` atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name in columns.columns:
        if name in table.column_names:
            table = table.remove_column(table.column_names.index(name))
    extra = pa.Table.from_pandas(columns.reset_index(drop=True), preserve_index=False)
    for name in extra.column_names:
        table = table.append_column(name, extra.column(name))
    metadata = dict(table.schema.metadata or {})
    metadata.pop(b"pandas", None)
    tmp = out.with_name(f".{out.name}.part")
    pq.write_table(table.replace_schema_metadata(metadata), tmp)
    os.replace(tmp, out)


def _check_one(
    part: Partition, out_dir: str, inputs: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """Check one partition and write its result; a small summary comes back."""
    try:
        return _check_one_inner(part, Path(out_dir), inputs, options)
    except WzgeoError as e:
        raise PartitionError(
            part.name, f"分区 {part.name}：{e.zh}", f"partition {part.name}: {e.en}"
        ) from None
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as e:
        raise PartitionError(
            part.name,
            f"分区 {part.name} 核查失败（{type(e).__name__}: {e}）。",
            f"partition {part.name} failed ({type(e).__name__}: {e}).",
        ) from None


def _check_one_inner(
    part: Partition, out_dir: Path, inputs: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    import geopandas as gpd
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from wzgeo.analysis.plotcheck import check_plot_layer, check_plots

    columns: Sequence[str] = options["columns"]
    crs_override = options.get("crs")
    check_opts = {
        "zones_geo": inputs["zones_geo"],
        "zones": inputs["zones"],
        "fit": inputs["fit"],
        "sector_id": options.get("sector_id"),
        "nearest": options.get("nearest", False),
        "validate": options.get("validate", True),
        "land_layers": inputs.get("land_layers"),
    }
    out = out_dir / part.name
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pq.read_table(part.path)
    geo = geoparquet_geometry(table) if crs_override is None else None
    if geo is not None and ("plot_id" in table.column_names or _plain_index(table)):
        col, crs = geo
        if "plot_id" in table.column_names:
            ids = table.column("plot_id").to_pandas()
        else:  # row numbers in the whole dataset, as the single-machine check numbers them
            ids = pd.Series(
                pd.array(
                    pa.array(np.arange(part.first_row, part.first_row + part.n_rows)).cast(
                        pa.large_string()
                    ),
                    dtype="string",
                )
            )
        check = check_plot_layer(table.column(col), crs=crs, plot_ids=ids, **check_opts)
        cols = [c for c in columns if c in check.table.columns]
        _write_with(table, check.table.loc[:, cols], out)
    else:
        del table
        gdf = gpd.read_parquet(part.path)
        if crs_override is not None:
            gdf = gdf.set_crs(crs_override, allow_override=True)
        if gdf.crs is None:
            raise InputFileError(
                "没有坐标系，请用 --crs 指定（如 --crs 4545）。",
                "it has no CRS; give one with --crs (e.g. --crs 4545).",
            )
        if "plot_id" not in gdf.columns and _plain_index_frame(gdf):
            gdf.index = pd.RangeIndex(part.first_row, part.first_row + len(gdf))
        check = check_plots(gdf, **check_opts)
        cols = [c for c in columns if c in check.table.columns]
        result = gdf.loc[:, [c for c in gdf.columns if c not in cols]].copy()
        for c in cols:
            result[c] = check.table[c].to_numpy()
        tmp = out.with_name(f".{out.name}.part")
        result.to_parquet(tmp)
        os.replace(tmp, out)
    return {
        "name": part.name,
        "out": str(out),
        "n": len(check.table),
        "inside": int((check.table["n_zones"] > 0).sum()),
        "repaired": int(check.table["geometry_repaired"].sum()),
        "notes": list(check.notes),
        "notes_zh": list(check.notes_zh),
        "notes_en": list(check.notes_en),
    }


def _plain_index_frame(gdf: Any) -> bool:
    idx = gdf.index
    return isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1


# ------------------------------------------------------------------------------------------
# the dataset
# ------------------------------------------------------------------------------------------


def check_partitioned(
    partitions: Sequence[Partition],
    out_dir: str | os.PathLike[str],
    *,
    columns: Sequence[str],
    client: Any = None,
    zones_geo: Any = None,
    zones: pd.DataFrame | None = None,
    fit: pd.DataFrame | None = None,
    sector_id: str | None = None,
    nearest: bool = False,
    validate: bool = True,
    crs: Any = None,
    land_layers: LandLayers | None = None,
    progress: Callable[[int, int, str, PartitionError | None], None] | None = None,
) -> PartitionedCheck:
    """Check every partition and write one result file per partition under ``out_dir``.

    Parameters
    ----------
    partitions
        From :func:`list_partitions`.
    out_dir
        Folder for the results (``out_dir/<partition name>``); must exist and, with a
        cluster, be visible to the workers.
    columns
        The check's columns to add to each parcel (e.g. ``zone_id``, ``zone_share_pct``,
        ``area_m2``), in this order.
    client
        A ``distributed.Client``; ``None`` checks the partitions one after the other here.
    zones_geo, zones, fit, sector_id, nearest, validate
        As in :func:`wzgeo.analysis.plotcheck.check_plots` (``zones_geo`` is loaded here
        when not given, so the workers need not read the shipped data).
    crs
        The layer's CRS, overriding the files'.
    land_layers
        Land-use and red-line layers (:class:`wzgeo.analysis.landuse.LandLayers`, with the
        land-class table in effect): each parcel then gets the same land columns as the
        single-machine check (``landuse_main_code``, the red-line overlaps, ``land_class_status``
        …). Sent to every worker once with the other reference tables.
    progress
        Called after each partition: ``(done, total, name, error or None)``.

    Returns
    -------
    PartitionedCheck
        A failed partition does not stop the others; see ``failed``.
    """
    if zones_geo is None:
        from wzgeo.geo.zonegeom import load_zone_geometry

        zones_geo = load_zone_geometry()
    if fit is None and sector_id is not None:
        from wzgeo.analysis.sectorfit import load_sector_fit

        fit = load_sector_fit()
    inputs = {"zones_geo": zones_geo, "zones": zones, "fit": fit, "land_layers": land_layers}
    options = {
        "columns": list(columns),
        "sector_id": sector_id,
        "nearest": nearest,
        "validate": validate,
        "crs": crs,
    }
    out = os.fspath(out_dir)
    total = len(partitions)
    done: list[dict[str, Any]] = []
    failed: list[tuple[str, PartitionError]] = []

    def record(name: str, res: dict[str, Any] | None, err: PartitionError | None) -> None:
        if err is not None:
            failed.append((name, err))
            logger.warning("partition %s failed: %s", name, err.en)
        else:
            assert res is not None
            done.append(res)
        if progress is not None:
            progress(len(done) + len(failed), total, name, err)

    if client is None:
        for part in partitions:
            try:
                record(part.name, _check_one(part, out, inputs, options), None)
            except PartitionError as e:
                record(part.name, None, e)
    else:
        from distributed import as_completed

        # the reference tables go to every worker once, not with every task
        [shared] = client.scatter([inputs], broadcast=True)
        futures = {
            client.submit(_check_one, p, out, shared, options, key=f"wzgeo-check-{i}-{p.name}"): p
            for i, p in enumerate(partitions)
        }
        for fut in as_completed(futures):
            part = futures[fut]
            if fut.status == "error":
                exc = fut.exception()
                err = (
                    exc
                    if isinstance(exc, PartitionError)
                    else PartitionError(
                        part.name,
                        f"分区 {part.name} 核查失败（{type(exc).__name__}: {exc}）。",
                        f"partition {part.name} failed ({type(exc).__name__}: {exc}).",
                    )
                )
                record(part.name, None, err)
            else:
                record(part.name, fut.result(), None)
            fut.release()
    notes_zh, notes_en = _merge_notes(done)
    return PartitionedCheck(
        n_plots=sum(r["n"] for r in done),
        n_inside=sum(r["inside"] for r in done),
        written={r["name"]: r["out"] for r in sorted(done, key=lambda r: r["name"])},
        failed=sorted(failed, key=lambda f: f[0]),
        notes=[f"{zh} / {en}" for zh, en in zip(notes_zh, notes_en, strict=True)],
        notes_zh=notes_zh,
        notes_en=notes_en,
    )


def _merge_notes(done: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The partitions' notes once each; the repair note counts the repairs of all partitions."""
    total = sum(r["repaired"] for r in done)
    zh_out: list[str] = []
    en_out: list[str] = []
    first = 0  # the repair note comes first, as in a single check
    for res in sorted(done, key=lambda r: r["name"]):
        for zh, en in zip(res["notes_zh"], res["notes_en"], strict=True):
            rep = res["repaired"]
            if rep and zh.startswith(f"{rep} 个地块") and en.startswith(f"{rep} invalid"):
                # "N invalid plot geometries … repaired": N over the whole dataset
                zh = f"{total}{zh[len(str(rep)) :]}"
                en = f"{total}{en[len(str(rep)) :]}"
                if zh not in zh_out:
                    zh_out.insert(first, zh)
                    en_out.insert(first, en)
                    first += 1
            elif zh not in zh_out:
                zh_out.append(zh)
                en_out.append(en)
    return zh_out, en_out

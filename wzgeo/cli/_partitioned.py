"""``wzgeo check-plots`` on a partitioned dataset, here or on dask.distributed (private).

The engine is :mod:`wzgeo.analysis.distributed`; this module reads the options, shows
progress on stderr, and puts the result folder in place only when every partition is done.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wzgeo.cli._common import OutputFileError
from wzgeo.errors import WzgeoError

if TYPE_CHECKING:
    from wzgeo.analysis.distributed import PartitionError
    from wzgeo.analysis.landuse import LandLayers

__all__ = [
    "RESULT_MARKER",
    "add_cluster_arguments",
    "check_plots_partitioned",
    "is_partitioned",
    "refuse_cluster_for_single_file",
]

logger = logging.getLogger(__name__)

RESULT_MARKER = "_wzgeo_check.json"
"""File in a partitioned result folder: marks it as check-plots output (replaceable)."""


def add_cluster_arguments(p: argparse.ArgumentParser) -> None:
    """``--scheduler``, ``--workers``, ``--worker-memory``."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--scheduler",
        default=None,
        help="在已有的 dask.distributed 集群上运行（分区数据集），如 tcp://10.0.0.5:8786；默认读 "
        "WZGEO_DASK_SCHEDULER / run on an existing dask.distributed cluster (partitioned "
        "datasets), e.g. tcp://10.0.0.5:8786; default $WZGEO_DASK_SCHEDULER",
    )
    g.add_argument(
        "--workers",
        type=_whole_number,
        default=None,
        help="在本机启动 N 个工作进程（分区数据集）/ start a local cluster of N worker "
        "processes (partitioned datasets)",
    )
    p.add_argument(
        "--worker-memory",
        default=None,
        help="每个本地工作进程的内存上限，如 1.2GB（配合 --workers）/ memory limit per local "
        "worker, e.g. 1.2GB (with --workers)",
    )


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"需要正整数 / a positive whole number is needed, got {text!r}"
        )
    return value


def is_partitioned(path: Path) -> bool:
    """Whether the parcels argument names a partitioned dataset (a folder or a glob)."""
    return path.is_dir() or (not path.exists() and glob.has_magic(str(path)))


def refuse_cluster_for_single_file(args: argparse.Namespace) -> None:
    """``--scheduler`` / ``--workers`` need a partitioned dataset (the env variable is ignored)."""
    if args.scheduler is not None or args.workers is not None:
        raise WzgeoError(
            f"--scheduler / --workers 用于分区数据集（文件夹或通配符），{args.parcels} 是单个文件；"
            "请去掉该选项，或把图层分成多个 GeoParquet 文件（如每个乡镇一个）。",
            f"--scheduler / --workers work on a partitioned dataset (folder or glob), and "
            f"{args.parcels} is one file; drop the option, or split the layer into several "
            "GeoParquet files (e.g. one per township).",
        )


def _check_out_folder(out: Path, source: Path, *, overwrite: bool) -> None:
    if out.suffix.lower() in (".gpkg", ".parquet", ".geoparquet") and not out.is_dir():
        raise OutputFileError(
            f"分区数据集的结果是一个文件夹（每个分区一个文件）；--out {out} 请给文件夹名。",
            f"a partitioned dataset's result is a folder (one file per partition); give "
            f"--out {out} as a folder name.",
        )
    if out.exists() and not out.is_dir():
        raise OutputFileError(
            f"输出位置 {out} 是一个文件，不是文件夹。", f"the output {out} is a file, not a folder."
        )
    if not out.parent.is_dir():
        raise OutputFileError(
            f"输出文件夹的上级 {out.parent} 不存在；请先创建它。",
            f"the output folder's parent {out.parent} does not exist; create it first.",
        )
    base = source if source.is_dir() else Path(os.path.dirname(str(source)) or ".")
    o, b = out.resolve(), base.resolve()
    if o == b or b in o.parents or o in b.parents:
        raise OutputFileError(
            f"输出文件夹 {out} 不能是输入 {source} 所在的文件夹，也不能在其中或包含它。",
            f"the output folder {out} must not be, be inside, or contain the input {source}.",
        )
    earlier = (out / RESULT_MARKER).is_file()
    if out.is_dir() and any(out.iterdir()) and not overwrite and not earlier:
        raise OutputFileError(
            f"输出文件夹 {out} 已存在且不是以前的核查结果；换一个文件夹，或加 --overwrite 替换它。",
            f"the output folder {out} exists and is not an earlier check result; choose "
            "another folder, or add --overwrite to replace it.",
        )


def check_plots_partitioned(
    args: argparse.Namespace, *, columns: list[str], land_layers: LandLayers | None = None
) -> int:
    """Run ``check-plots`` on a partitioned dataset (``args`` as parsed by the CLI).

    ``land_layers``: the imported / given land-use and red-line layers (None: none); the
    land columns among ``columns`` are then added as by the single-file check.
    """
    from wzgeo.analysis.distributed import check_partitioned, list_partitions, open_cluster
    from wzgeo.store.workspace import load_workspace

    if args.overlaps:
        raise WzgeoError(
            "--overlaps 需要整个图层，分区数据集不支持；请对单个文件运行，或去掉 --overlaps。",
            "--overlaps needs the whole layer and is not available for a partitioned dataset; "
            "run it on a single file, or drop --overlaps.",
        )
    if args.worker_memory is not None and args.workers is None:
        raise WzgeoError(
            "--worker-memory 只用于 --workers 启动的本地集群。",
            "--worker-memory applies only to a local cluster started with --workers.",
        )
    out: Path = args.out
    source: Path = args.parcels
    _check_out_folder(out, source, overwrite=args.overwrite)
    crs = None
    if args.crs is not None:
        from wzgeo.plots import parse_crs_arg

        crs = parse_crs_arg(args.crs)
    parts = list_partitions(source)
    ws = load_workspace(use_store=not args.no_store, store_path=args.store)
    logger.info(ws.describe("en"))
    total_rows = sum(p.n_rows for p in parts)
    sys.stderr.write(
        f"{len(parts)} 个分区，{total_rows} 个地块 / {len(parts)} partitions, "
        f"{total_rows} parcels\n"
    )

    def progress(done: int, total: int, name: str, err: PartitionError | None) -> None:
        if err is None:
            sys.stderr.write(f"分区 / partitions {done}/{total}: {name}\n")
        else:
            sys.stderr.write(f"分区 / partitions {done}/{total}: {name} 失败 / failed\n")
        sys.stderr.flush()

    stage = Path(tempfile.mkdtemp(prefix=f".{out.name[:40]}.wzgeo-build-", dir=out.parent))
    try:
        with open_cluster(
            scheduler=args.scheduler, workers=args.workers, memory_limit=args.worker_memory
        ) as client:
            if client is not None:
                sys.stderr.write(f"dask: {_describe(client)}\n")
            result = check_partitioned(
                parts,
                stage,
                columns=columns,
                client=client,
                zones_geo=ws.zones_geo,
                zones=ws.zones,
                fit=ws.fit,
                sector_id=args.sector,
                nearest=args.distance,
                validate=not args.assume_valid,
                crs=crs,
                land_layers=land_layers,
                progress=progress,
            )
        if result.failed:
            raise WzgeoError(
                f"{len(result.failed)} 个分区失败，未写出结果：\n"
                + "\n".join(e.zh for _n, e in result.failed),
                f"{len(result.failed)} partitions failed; nothing was written:\n"
                + "\n".join(e.en for _n, e in result.failed),
            )
        marker = {
            "format": "wzgeo-check-plots-partitioned/1",
            "source": str(source),
            "partitions": list(result.written),
            "n_plots": result.n_plots,
            "n_inside": result.n_inside,
            "sector_id": args.sector,
            "notes_zh": result.notes_zh,
            "notes_en": result.notes_en,
        }
        (stage / RESULT_MARKER).write_text(
            json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        _swap_in(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    n, inside = result.n_plots, result.n_inside
    sys.stdout.write(
        f"{n} 个地块（{len(parts)} 个分区），{inside} 个位于园区内 / {n} parcels "
        f"({len(parts)} partitions), {inside} inside a zone → {out}\n"
    )
    for note in result.notes:
        sys.stdout.write(f"注 / note: {note}\n")
    return 0


def _describe(client: Any) -> str:
    info = client.scheduler_info()
    return f"{client.scheduler.address}, {len(info.get('workers', {}))} workers"


def _swap_in(stage: Path, out: Path) -> None:
    """Replace ``out`` by the complete ``stage`` folder (the old folder removed after)."""
    old = None
    try:
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name[:40]}.old-", dir=out.parent))
            os.replace(out, old / "out")
        os.replace(stage, out)
    except OSError as e:
        if old is not None and not out.exists():
            with contextlib.suppress(OSError):
                os.replace(old / "out", out)
        raise OutputFileError(
            f"无法写出 {out}（{e.strerror or e}）。", f"cannot write {out} ({e.strerror or e})."
        ) from e
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

"""CLI commands: analysis (``wzgeo check-plot``, ``wzgeo check-plots``, ``wzgeo summary``).

All numbers come from the library functions the app and the notebook use
(:func:`wzgeo.analysis.plotcheck.check_plots`, :func:`wzgeo.analysis.intensity.summary_tables`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from wzgeo.cli._common import (
    add_datum_argument,
    add_overwrite_argument,
    add_store_arguments,
    atomic_output,
    check_output_path,
    positive_number,
    print_json,
)
from wzgeo.cli._partitioned import (
    add_cluster_arguments,
    check_plots_partitioned,
    is_partitioned,
    refuse_cluster_for_single_file,
)
from wzgeo.cli.layers import (
    LAND_PARCEL_COLUMNS,
    add_land_layer_arguments,
    land_layers_from_args,
    land_lines,
)
from wzgeo.errors import InputFileError, WzgeoError

if TYPE_CHECKING:
    from wzgeo.store.workspace import Workspace

__all__ = [
    "load_summary_tables",
    "read_assignments",
    "read_parcels",
    "register",
    "to_markdown",
]

logger = logging.getLogger(__name__)

_SUMMARY_TABLES = ("district", "zones", "sectors", "locations")
"""The tables ``summary`` writes (one CSV each), known before they are computed."""
_PARCEL_OUT = {".parquet": "parquet", ".geoparquet": "parquet", ".gpkg": "GPKG"}
_PARCEL_COLUMNS = (
    "zone_id",
    "zone_share_pct",
    "in_zones_pct",
    "n_zones",
    "zone_geometry_quality",
    "fit_grade",
    "nearest_fitting_zone_id",
    "distance_to_fitting_zone_m",
    "n_overlapping_plots",
    "geometry_repaired",
    "area_m2",
    "area_mu",
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser(
        "check-plot",
        help="核查地块 / check plots against zones, sector fit and control indicators",
        description=(
            "读取地块文件并核查：面积、所在园区及占比、行业匹配、与其他地块重叠、距最近匹配园区距离、"
            "强度与控制指标。 / Check plots: area, zones and shares, sector fit, overlaps, "
            "distance to the nearest fitting zone, intensity and control indicators."
        ),
    )
    p.add_argument("file", type=Path, help="地块文件 / plot file (GeoJSON, GPKG, SHP zip, TXT …)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sector", default=None, help="行业编号，如 nm_building / sector id")
    g.add_argument("--project", default=None, help="项目编号，如 NM-BM-01 / project id")
    p.add_argument("--crs", default=None, help="坐标系，如 4545 / override the CRS")
    add_datum_argument(p)
    p.add_argument("--json", action="store_true", help="输出 JSON / print the JSON report")
    p.add_argument(
        "--max-mb",
        type=positive_number,
        default=20.0,
        help="文件大小上限 MB（默认 20；整个宗地图层请用 check-plots）/ size limit in MB "
        "(default 20; use check-plots for a whole parcel layer)",
    )
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        help="另写核查报告 .pdf（存档）、.docx（可编辑）或 .html；已存在时需 --overwrite / also "
        "write the check report as .pdf (archiving), .docx (editable) or .html; an existing "
        "file needs --overwrite",
    )
    p.add_argument(
        "--report-lang",
        choices=("zh", "en"),
        default="zh",
        help="报告语言（默认中文）/ report language (default Chinese)",
    )
    add_overwrite_argument(p)
    add_store_arguments(p)
    add_land_layer_arguments(p)
    p.set_defaults(func=_check_plot)

    q = sub.add_parser(
        "check-plots",
        help="批量核查地块图层 / check a whole parcel layer",
        description=(
            "读取整个地块图层（GeoParquet、GPKG、SHP …），写出每个地块的园区、占比和行业匹配。"
            " / Check a whole parcel layer and write the zone, share and fit per parcel."
        ),
    )
    q.add_argument(
        "parcels",
        type=Path,
        help="地块图层，或分区 GeoParquet 数据集（文件夹或通配符，如 'parcels/*.parquet'）/ "
        "parcel layer, or a partitioned GeoParquet dataset (folder or glob)",
    )
    q.add_argument(
        "--out",
        type=Path,
        required=True,
        help="输出 .parquet 或 .gpkg（分区数据集：输出文件夹，每个分区一个文件；不能是输入；以前的"
        "核查结果可直接替换，其他已有文件需 --overwrite）/ output .parquet or .gpkg (partitioned "
        "dataset: an output folder, one file per partition; never the input; an earlier "
        "check-plots result is replaced, anything else existing needs --overwrite)",
    )
    add_overwrite_argument(q)
    q.add_argument("--sector", default=None, help="行业编号 / sector id for the fit verdict")
    q.add_argument(
        "--crs",
        default=None,
        help="图层的坐标系（覆盖文件中的），如 4545 / the layer's CRS (overrides the file's), "
        "e.g. 4545",
    )
    q.add_argument(
        "--overlaps",
        action="store_true",
        help="检查地块之间的重叠 / also look for overlaps between parcels",
    )
    q.add_argument(
        "--distance",
        action="store_true",
        help="计算园区外地块到最近匹配园区的距离 / distance to the nearest fitting zone",
    )
    q.add_argument(
        "--assume-valid",
        action="store_true",
        help="跳过几何有效性检查（仅用于已知有效的图层）/ skip geometry validation",
    )
    add_cluster_arguments(q)
    add_store_arguments(q)
    add_land_layer_arguments(q)
    q.set_defaults(func=_check_plots)

    s = sub.add_parser(
        "summary",
        help="全区、园区、行业汇总表 / district, zone and sector tables",
        description=(
            "全区、园区、行业汇总（地均产出、用地平衡、选址建议），输出 Markdown、CSV 或 Excel。"
            " / District, zone and sector tables (output per km², land balance, siting) as "
            "Markdown, CSV or Excel."
        ),
    )
    s.add_argument(
        "--format",
        choices=["csv", "xlsx", "md"],
        default="md",
        help="输出格式（默认 md）/ output format (default md)",
    )
    s.add_argument(
        "--out",
        type=Path,
        default=None,
        help="输出文件（csv 时为前缀，每表一个文件；已存在时需 --overwrite；默认打印）/ output "
        "file (csv: name prefix, one file per table; existing files need --overwrite; "
        "default: print)",
    )
    add_overwrite_argument(s)
    s.add_argument(
        "--assignments",
        type=Path,
        default=None,
        help="用户安排 CSV（列 project_id,zone_id；UTF-8 或 GBK）/ user assignments CSV "
        "(columns project_id,zone_id; UTF-8 or GBK)",
    )
    s.add_argument(
        "--no-suggest", action="store_true", help="不自动建议选址 / no siting suggestions"
    )
    s.add_argument(
        "--headers",
        choices=["ids", "zh", "en"],
        default="ids",
        help="表头：列名、中文或英文（含单位）/ column headers: ids, Chinese or English labels",
    )
    add_store_arguments(s)
    s.set_defaults(func=_summary)


# ------------------------------------------------------------------------------------------
# check-plot
# ------------------------------------------------------------------------------------------


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _check_plot(args: argparse.Namespace) -> int:
    from wzgeo.analysis.plotcheck import check_plots
    from wzgeo.geo.units import fmt_sig
    from wzgeo.plots.io import read_plots

    if args.report is not None:
        _check_report_path(args.report, args.file, overwrite=args.overwrite)
    imported = read_plots(
        args.file, crs=args.crs, max_bytes=int(args.max_mb * 1_000_000), datum=args.datum
    )
    ws = _workspace(args)
    land = land_layers_from_args(args)
    check = check_plots(
        imported.plots,
        sector_id=args.sector,
        project_id=args.project,
        land_layers=land,
        **_check_inputs(ws),
    )
    if args.report is not None:
        _write_report(args, check, imported, ws, land)
    report = check.to_dict()
    report["source_crs"] = imported.source_crs
    report["crs_inferred"] = imported.crs_inferred
    report["crs_reason_zh"] = imported.crs_reason_zh
    report["crs_reason_en"] = imported.crs_reason_en
    report["datum"] = args.datum
    report["import_warnings"] = [str(w) for w in imported.warnings]
    if args.json:
        print_json(report)
        return 0
    out = sys.stdout
    how = "推断 / inferred" if imported.crs_inferred else "声明或指定 / declared or given"
    out.write(f"坐标系 / CRS: {imported.source_crs} ({how})\n")
    out.write(f"  {imported.crs_reason_zh}\n  {imported.crs_reason_en}\n")
    if imported.warnings:
        out.write("导入说明 / import notes:\n")
        out.write("".join(f"  - {w}\n" for w in imported.warnings))
    for plot in report["plots"]:
        out.write(f"\n{plot['answer_zh']}\n{plot['answer_en']}\n")
        out.write(
            f"  面积 / area: {fmt_sig(plot['area_m2'])} m² = {fmt_sig(plot['area_mu'])} 亩 = "
            f"{fmt_sig(plot['area_ha'])} 公顷 = {fmt_sig(plot['area_km2'], sig=3)} km²\n"
        )
        if plot.get("geometry_repaired"):
            out.write("  几何已修复（见导入说明）/ geometry repaired (see the import notes)\n")
        for z in plot["zones"]:
            out.write(
                f"  园区 / zone: {z['zone_id']} {_fmt(z['share_pct'])}% ({z['geometry_quality']})\n"
            )
        if not plot["zones"]:
            out.write("  不在任何园区内 / outside every zone\n")
        if plot.get("fit_grade") is not None:
            out.write(f"  行业匹配 / fit: {plot['fit_grade']} — {plot['fit_reason_zh']}\n")
            reason_en = plot.get("fit_reason_en")
            if reason_en and reason_en not in str(plot["fit_reason_zh"]):
                out.write(f"    {reason_en}\n")
        if plot.get("nearest_fitting_zone_id"):
            out.write(
                f"  最近匹配园区 / nearest fitting zone: {plot['nearest_fitting_zone_id']} "
                f"{_fmt(plot['distance_to_fitting_zone_m'])} m\n"
            )
        if plot["overlapping_plots"]:
            out.write(f"  与地块重叠 / overlaps plots: {', '.join(plot['overlapping_plots'])}\n")
        out.writelines(f"  {line}\n" for line in land_lines(plot))
        if plot.get("intensity_yi_per_km2") is not None:
            out.write(
                f"  地均产出 / output per km²: {_fmt(plot['intensity_yi_per_km2'])} 亿元/km² "
                f"({_fmt(plot['intensity_wan_per_mu'])} 万元/亩)\n"
            )
        if plot.get("geometry_note"):
            out.write(f"  注 / note: {plot['geometry_note']}\n")
    if report["indicators"]:
        out.write("\n控制指标 / control indicators\n")
        for r in report["indicators"]:
            out.write(
                f"  {r['name_zh']} ({r['indicator']}, {r['edition'] or '-'}): {r['result']} — "
                f"{r['reason_zh']}\n"
            )
    for note in report["notes"]:
        out.write(f"\n注 / note: {note}\n")
    return 0


_REPORT_SUFFIXES = (".pdf", ".docx", ".html", ".htm")


def _check_report_path(out: Path, source: Path, *, overwrite: bool) -> None:
    if out.suffix.lower() not in _REPORT_SUFFIXES:
        raise WzgeoError(
            f"报告文件 {out} 应以 .pdf、.docx 或 .html 结尾。",
            f"The report file {out} must end in .pdf, .docx or .html.",
        )
    check_output_path(out, overwrite=overwrite, inputs=[source])


def _write_report(
    args: argparse.Namespace, check: Any, imported: Any, ws: Workspace, land: Any
) -> None:
    """``check-plot --report OUT``: the report of :mod:`wzgeo.reports.plotreport`."""
    from wzgeo.geo import basedata
    from wzgeo.reports.plotreport import build_plot_report, render_report

    out: Path = args.report
    fmt = {".htm": "html"}.get(out.suffix.lower(), out.suffix.lower().lstrip("."))
    basis = None
    if args.project:
        names = ws.projects.loc[ws.projects["project_id"] == args.project, "name_zh"]
        basis = f"{args.project} {names.iloc[0] if len(names) else ''}".strip()
    report = build_plot_report(
        check,
        imported,
        data=Path(args.file).read_bytes(),
        zones=ws.zones,
        zones_geo=ws.zones_geo,
        district=basedata.load_district(),
        land_layers=land,
        lang=args.report_lang,
        basis=basis,
    )
    data = render_report(report, fmt)
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    print(f"{out}  {len(data) / 1024:.0f} KiB", file=sys.stderr)


# ------------------------------------------------------------------------------------------
# check-plots
# ------------------------------------------------------------------------------------------


def read_parcels(path: Path, *, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a parcel layer (GeoParquet, or any format pyogrio reads).

    Raises
    ------
    InputFileError
        Unreadable file, or no CRS and none given.
    """
    gdf = _read_parcels(path, crs=crs)[0]
    assert gdf is not None
    return gdf


@dataclass(frozen=True)
class _GeoParquet:
    """A WKB-encoded GeoParquet file read with pyarrow, geometries not decoded."""

    table: Any
    column: str
    crs: Any


def _open_geoparquet(path: Path) -> _GeoParquet | None:
    """Read a WKB-encoded GeoParquet file once with pyarrow; ``None`` if it is not one."""
    import pyarrow.parquet as pq

    from wzgeo.analysis.distributed import geoparquet_geometry

    table = pq.read_table(path)
    geo = geoparquet_geometry(table)
    return None if geo is None else _GeoParquet(table, *geo)


def _to_frame(gp: _GeoParquet) -> gpd.GeoDataFrame:
    import shapely

    geoms = shapely.from_wkb(gp.table.column(gp.column).to_numpy(zero_copy_only=False))
    attrs = gp.table.drop_columns([gp.column]).to_pandas()
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=gp.crs), crs=gp.crs)
    return gdf.rename_geometry(gp.column) if gp.column != "geometry" else gdf


def _plot_ids_of(gp: _GeoParquet) -> tuple[bool, pd.Series | None]:
    """``(usable, ids)``: the ``plot_id`` column, or ``None`` for row numbers as ids.

    Not usable when the file stores a pandas index other than 0, 1, … (its values would be
    the ids, as in :func:`check_plots` on the GeoDataFrame).
    """
    if "plot_id" in gp.table.column_names:
        return True, gp.table.column("plot_id").to_pandas()
    pmeta = json.loads((gp.table.schema.metadata or {}).get(b"pandas", b"{}"))
    index = pmeta.get("index_columns", [])
    plain = not index or (
        len(index) == 1
        and isinstance(index[0], dict)
        and index[0].get("kind") == "range"
        and index[0].get("start", 0) == 0
        and index[0].get("step", 1) == 1
    )
    return plain, None


def _read_parcels(
    path: Path, *, crs: str | None = None, decode: bool = True
) -> tuple[gpd.GeoDataFrame | None, _GeoParquet | None]:
    """The layer as a GeoDataFrame (if ``decode`` or not GeoParquet) and as GeoParquet."""
    if not path.exists():
        raise FileNotFoundError(2, "not found", str(path))
    gp = None
    gdf = None
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gp = _open_geoparquet(path)
            if gp is None:
                gdf = gpd.read_parquet(path)
            elif decode or crs is not None:
                gdf = _to_frame(gp)
        else:
            gdf = gpd.read_file(path)
    except (ValueError, OSError, RuntimeError) as e:
        raise InputFileError(
            f"无法读取地块图层 {path}（{e}）。支持 GeoParquet、GPKG、SHP、GeoJSON。",
            f"cannot read the parcel layer {path} ({e}); use GeoParquet, GPKG, SHP or GeoJSON.",
        ) from e
    if crs is not None:
        from wzgeo.plots import parse_crs_arg

        assert gdf is not None
        gdf = gdf.set_crs(parse_crs_arg(crs), allow_override=True)
        gp = None
    layer_crs = gdf.crs if gdf is not None else (gp.crs if gp is not None else None)
    if layer_crs is None:
        raise InputFileError(
            f"地块图层 {path} 没有坐标系，请用 --crs 指定（如 --crs 4545）。",
            f"the parcel layer {path} has no CRS; give one with --crs (e.g. --crs 4545).",
        )
    return gdf, gp


def _append_parquet(table: Any, out: Path, columns: pd.DataFrame) -> None:
    """Write the input GeoParquet ``table`` plus ``columns`` to ``out``.

    The geometry column is copied as stored (WKB) with the file's GeoParquet metadata, so it
    is not decoded and re-encoded.
    """
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
    pq.write_table(table.replace_schema_metadata(metadata), out)


_RESULT_MARK = ("zone_id", "zone_share_pct", "n_zones", "fit_grade", "area_mu")
"""Columns every ``check-plots`` output has: such a file may be replaced without
``--overwrite`` (it is a result, rebuilt by running the command again)."""


def _is_check_result(path: Path, driver: str) -> bool:
    """Whether ``path`` is an earlier output of ``check-plots`` (not the user's own data)."""
    if not path.is_file():
        return False
    try:
        if driver == "parquet":
            import pyarrow.parquet as pq

            names = set(pq.read_schema(path).names)
        else:
            import pyogrio

            layers = pyogrio.list_layers(path)
            if len(layers) != 1:
                return False
            names = set(pyogrio.read_info(path, layer=layers[0][0])["fields"])
    except (OSError, ValueError, RuntimeError):
        return False
    return set(_RESULT_MARK) <= names


def _parcel_columns(args: argparse.Namespace) -> list[str]:
    """The check's columns ``check-plots`` adds to each parcel, for these options."""
    cols = list(_PARCEL_COLUMNS)
    if not args.distance:
        cols = [
            c for c in cols if c not in ("nearest_fitting_zone_id", "distance_to_fitting_zone_m")
        ]
    if not args.overlaps:
        cols = [c for c in cols if c != "n_overlapping_plots"]
    return cols


def _check_plots(args: argparse.Namespace) -> int:
    from wzgeo.analysis.plotcheck import check_plot_layer, check_plots

    # land columns only when a land-use or red-line layer is imported or given
    land = land_layers_from_args(args)
    if is_partitioned(args.parcels):
        return check_plots_partitioned(
            args,
            columns=[*_parcel_columns(args), *LAND_PARCEL_COLUMNS],
            land_layers=land if land.layers else None,
        )
    refuse_cluster_for_single_file(args)

    out: Path = args.out
    driver = _PARCEL_OUT.get(out.suffix.lower())
    if driver is None:
        raise WzgeoError(
            f"输出文件 {out} 应以 .parquet 或 .gpkg 结尾。",
            f"the output {out} must end in .parquet or .gpkg.",
        )
    check_output_path(
        out,
        overwrite=args.overwrite or _is_check_result(out, driver),
        inputs=[args.parcels],
    )
    if args.crs is not None:
        from wzgeo.plots import parse_crs_arg

        parse_crs_arg(args.crs)  # refuse a bad --crs before reading a large layer
    gdf, gp = _read_parcels(args.parcels, crs=args.crs, decode=driver != "parquet")
    usable, ids = _plot_ids_of(gp) if gp is not None else (False, None)
    ws = _workspace(args)
    options: dict[str, Any] = {
        "zones_geo": ws.zones_geo,
        "zones": ws.zones,
        "fit": ws.fit,
        "sector_id": args.sector,
        "plot_overlaps": args.overlaps,
        "nearest": args.distance,
        "validate": not args.assume_valid,
        "land_layers": land if land.layers else None,
    }
    if gp is not None and usable:
        # geometries stay WKB: decoded only where the check needs them
        check = check_plot_layer(gp.table.column(gp.column), crs=gp.crs, plot_ids=ids, **options)
    else:
        if gdf is None:
            assert gp is not None
            gdf = _to_frame(gp)
        check = check_plots(gdf, **options)
    cols = [c for c in (*_parcel_columns(args), *LAND_PARCEL_COLUMNS) if c in check.table.columns]
    n = len(check.table)
    with atomic_output(out) as tmp:
        if driver == "parquet" and gp is not None:
            _append_parquet(gp.table, tmp, check.table.loc[:, cols])
        else:
            if gdf is None:
                assert gp is not None
                gdf = _to_frame(gp)
            result = gdf.loc[:, [c for c in gdf.columns if c not in cols]].copy()
            for c in cols:
                result[c] = check.table[c].to_numpy()
            if driver == "parquet":
                result.to_parquet(tmp)
            else:
                result.to_file(tmp, driver="GPKG", engine="pyogrio", layer=out.stem)
    inside = int((check.table["n_zones"] > 0).sum())
    logger.info("checked %d parcels, %d inside a zone", n, inside)
    sys.stdout.write(
        f"{n} 个地块，{inside} 个位于园区内 / {n} parcels, {inside} inside a zone → {out}\n"
    )
    for note in check.notes:
        sys.stdout.write(f"注 / note: {note}\n")
    return 0


# ------------------------------------------------------------------------------------------
# summary
# ------------------------------------------------------------------------------------------


def load_summary_tables(
    *,
    assignments: pd.DataFrame | None = None,
    suggest: bool = True,
    workspace: Workspace | None = None,
) -> dict[str, pd.DataFrame]:
    """The summary tables (what ``wzgeo summary`` prints).

    Parameters
    ----------
    assignments
        Extra ``project_id, zone_id`` assignments; they take precedence over the store's.
    suggest
        Fill the projects without a location with siting suggestions.
    workspace
        The data to summarise; default :func:`wzgeo.store.workspace.load_workspace` (the shipped
        data with the saved work overlaid).
    """
    from wzgeo.analysis.intensity import IntensityTargets, summary_tables
    from wzgeo.store.workspace import load_workspace

    ws = workspace if workspace is not None else load_workspace()
    merged = _merge_assignments(ws.assignments, assignments)
    return summary_tables(
        ws.projects,
        ws.zones,
        fit=ws.fit,
        sectors=ws.sectors,
        targets=IntensityTargets.from_table(ws.targets),
        zones_geo=ws.zones_geo,
        assignments=merged,
        suggest=suggest,
    )


def _merge_assignments(stored: pd.DataFrame, given: pd.DataFrame | None) -> pd.DataFrame | None:
    """The store's assignments overridden by the ones given on the command line."""
    parts = [
        df.loc[:, ["project_id", "zone_id"]].astype("string")
        for df in (stored, given)
        if df is not None and len(df)
    ]
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True).drop_duplicates("project_id", keep="last")


def _workspace(args: argparse.Namespace) -> Workspace:
    from wzgeo.store.workspace import load_workspace

    ws = load_workspace(use_store=not args.no_store, store_path=args.store)
    logger.info(ws.describe("en"))
    return ws


def _check_inputs(ws: Workspace) -> dict[str, Any]:
    """The reference tables :func:`wzgeo.analysis.plotcheck.check_plots` checks against."""
    return {
        "zones_geo": ws.zones_geo,
        "zones": ws.zones,
        "projects": ws.projects,
        "rules": ws.rules,
        "fit": ws.fit,
        "sectors": ws.sectors,
    }


def to_markdown(df: pd.DataFrame, *, digits: int = 2) -> str:
    """A GitHub-flavoured Markdown table (floats rounded to ``digits``)."""

    def cell(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.{digits}f}"
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def read_assignments(path: Path) -> pd.DataFrame:
    """Read a ``project_id,zone_id`` CSV (UTF-8, UTF-8 with BOM or GBK).

    Raises
    ------
    InputFileError
        Not a file, empty, not text in either encoding, malformed, or without the two columns.
    """
    if not path.is_file():
        raise InputFileError(
            f"找不到安排表 {path}（{'是文件夹' if path.is_dir() else '不存在'}）；请检查路径。",
            f"assignments file {path} not found ({'a folder' if path.is_dir() else 'missing'}); "
            "check the path.",
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputFileError(
            f"安排表 {path} 不是文本文件（含空字节）；请另存为 UTF-8 或 GBK 编码的 CSV。",
            f"assignments file {path} is not a text file (NUL bytes); save it as a UTF-8 or "
            "GBK CSV.",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any bytes
        raise InputFileError(
            f"安排表 {path} 的编码无法识别；请另存为 UTF-8 编码的 CSV。",
            f"assignments file {path}: unknown text encoding; save it as a UTF-8 CSV.",
        )
    import io

    try:
        df = pd.read_csv(io.StringIO(text), dtype="string")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise InputFileError(
            f"安排表 {path} 为空或不是有效的 CSV（{e}）；需要表头 project_id,zone_id。",
            f"assignments file {path} is empty or not a valid CSV ({e}); it needs the header "
            "project_id,zone_id.",
        ) from e
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in ("project_id", "zone_id") if c not in df.columns]
    if missing:
        raise InputFileError(
            f"安排表 {path} 缺少列 {', '.join(missing)}（现有：{', '.join(df.columns)}）；"
            "表头应为 project_id,zone_id。",
            f"assignments file {path} lacks the column(s) {', '.join(missing)} (found: "
            f"{', '.join(df.columns)}); the header must be project_id,zone_id.",
        )
    return df


def _summary(args: argparse.Namespace) -> int:
    fmt = args.format
    out: Path | None = args.out
    if fmt == "xlsx" and out is None:
        raise WzgeoError("xlsx 格式需要 --out 文件名。", "the xlsx format needs --out FILE.xlsx.")
    targets: dict[str, Path] = {}
    stem = Path()
    if out is not None:
        inputs = [args.assignments]
        if fmt == "csv":
            stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
            for name in _SUMMARY_TABLES:
                targets[name] = stem.parent / f"{stem.name}_{name}.csv"
        else:
            targets[""] = out
        for path in targets.values():
            check_output_path(path, overwrite=args.overwrite, inputs=inputs)
    assignments = None
    if args.assignments is not None:
        assignments = read_assignments(args.assignments)
    tables = load_summary_tables(
        assignments=assignments, suggest=not args.no_suggest, workspace=_workspace(args)
    )
    if args.headers != "ids":
        from wzgeo.labels import column_labels

        tables = {
            name: df.rename(columns=column_labels(df.columns, args.headers))
            for name, df in tables.items()
        }
    if fmt == "xlsx":
        assert out is not None
        with atomic_output(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in tables.items():
                df.to_excel(xw, sheet_name=name, index=False)
        sys.stdout.write(f"{out}\n")
        return 0
    if fmt == "csv":
        if out is None:
            for name, df in tables.items():
                sys.stdout.write(f"# {name}\n")
                df.to_csv(sys.stdout, index=False, lineterminator="\n")
            return 0
        # every file is written to a temporary file first and all of them replace their
        # targets only when all were written: a failure leaves the old set as it was
        written: list[Path] = []
        with contextlib.ExitStack() as all_or_nothing:
            for name, df in tables.items():
                known = targets.get(name)
                if known is None:  # a table this command did not know in advance
                    known = stem.parent / f"{stem.name}_{name}.csv"
                    check_output_path(known, overwrite=args.overwrite)
                path = known
                tmp = all_or_nothing.enter_context(atomic_output(path))
                df.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
                written.append(path)
        sys.stdout.write("".join(f"{path}\n" for path in written))
        return 0
    text = "\n\n".join(f"## {name}\n\n{to_markdown(df)}" for name, df in tables.items()) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with atomic_output(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
        sys.stdout.write(f"{out}\n")
    return 0

"""CLI commands: plots (``wzgeo import-plots``)."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import Any

from wzgeo.cli._common import (
    add_datum_argument,
    add_overwrite_argument,
    atomic_output,
    check_output_path,
    positive_number,
    print_json,
)
from wzgeo.errors import InputFileError
from wzgeo.geo.units import M2_PER_MU, MU_PER_HA, fmt_sig
from wzgeo.plots.io import PlotImport, read_plots

__all__ = ["register"]

logger = logging.getLogger(__name__)

_OUT_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser(
        "import-plots",
        help="导入地块边界 / import plot boundaries",
        description=(
            "读取地块边界文件（GeoJSON、GeoPackage、Shapefile zip、KML/KMZ、部标 TXT、"
            "CSV/Excel 界址点表、WKT），报告地块、面积、坐标系及警告。 / Read a plot boundary "
            "file and report plots, areas, the CRS (declared or inferred, and why) and warnings."
        ),
    )
    p.add_argument("file", type=Path, help="输入文件 / input file")
    p.add_argument(
        "--crs",
        default=None,
        help="指定坐标系，如 4545、EPSG:4524（默认用文件声明的或推断）/ override the CRS, "
        "e.g. 4545 or EPSG:4524 (default: declared in the file, else inferred)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="写出地块 .geojson 或 .gpkg（WGS84；已存在时需 --overwrite）/ write the plots "
        "as .geojson or .gpkg in WGS84 (an existing file needs --overwrite)",
    )
    add_overwrite_argument(p)
    add_datum_argument(p)
    p.add_argument("--json", action="store_true", help="输出 JSON 摘要 / print a JSON summary")
    p.add_argument(
        "--max-mb",
        type=positive_number,
        default=20.0,
        help="文件大小上限 MB（默认 20）/ size limit in MB (default 20)",
    )
    p.set_defaults(func=_import_plots)


def _round(v: float, decimals: int, *, sig: int = 4) -> float:
    """``v`` rounded to ``decimals``, or more so that ``sig`` significant digits remain."""
    if v == 0 or not math.isfinite(v):
        return v
    return round(v, max(decimals, sig - 1 - math.floor(math.log10(abs(v)))))


def _plot_rows(res: PlotImport) -> list[dict[str, Any]]:
    rows = []
    for _, r in res.plots.iterrows():
        mu = float(r["measured_area_mu"])
        declared = float(r["declared_area_mu"])
        rows.append(
            {
                "plot_id": r["plot_id"],
                "name": r["name"],
                "area_m2": _round(mu * M2_PER_MU, 2),
                "area_mu": _round(mu, 3),
                "area_ha": _round(mu / MU_PER_HA, 4),
                "declared_area_mu": None if math.isnan(declared) else _round(declared, 3),
                "geometry_repaired": bool(r.get("geometry_repaired", False)),
            }
        )
    return rows


def _summary(res: PlotImport) -> dict[str, Any]:
    return {
        "file": res.filename,
        "format": res.format,
        "n_plots": len(res.plots),
        "source_crs": res.source_crs,
        "crs_inferred": res.crs_inferred,
        "crs_reason_zh": res.crs_reason_zh,
        "crs_reason_en": res.crs_reason_en,
        "total_area_mu": _round(float(res.plots["measured_area_mu"].sum()), 3),
        "plots": _plot_rows(res),
        "warnings": list(res.warnings),
    }


def _import_plots(args: argparse.Namespace) -> int:
    out: Path | None = args.out
    if out is not None and out.suffix.lower() not in _OUT_DRIVERS:
        raise InputFileError(
            f"输出文件 {out} 的扩展名不受支持，请使用 .geojson 或 .gpkg。",
            f"output file {out}: unsupported extension; use .geojson or .gpkg.",
        )
    if out is not None:
        check_output_path(out, overwrite=args.overwrite, inputs=[args.file])
    res = read_plots(
        args.file, crs=args.crs, max_bytes=int(args.max_mb * 1_000_000), datum=args.datum
    )
    if out is not None:
        with atomic_output(out) as tmp:
            driver = _OUT_DRIVERS[out.suffix.lower()]
            layer = {"layer": out.stem} if driver == "GPKG" else {}
            res.plots.to_file(tmp, driver=driver, **layer)
        logger.info("wrote %s", out)
    summary = _summary(res)
    if args.json:
        print_json(summary)
        return 0
    if res.crs_inferred:
        how = "推断 / inferred"
    elif args.crs is not None:
        how = "用户指定 / given by the user"
    else:
        how = "文件声明 / declared in the file"
    lines = [
        f"文件 / file: {res.filename}  格式 / format: {res.format}",
        f"坐标系 / CRS: {res.source_crs} ({how})",
        f"  {res.crs_reason_zh}",
        f"  {res.crs_reason_en}",
        f"地块 / plots: {len(res.plots)}",
    ]
    for r in _plot_rows(res):
        declared = r["declared_area_mu"]
        dtxt = f"  声明/declared {fmt_sig(declared)} 亩" if declared is not None else ""
        fixed = "  （几何已修复 / geometry repaired）" if r["geometry_repaired"] else ""
        lines.append(
            f"  {r['plot_id']} {r['name']}: {fmt_sig(r['area_m2'])} m² = "
            f"{fmt_sig(r['area_mu'])} 亩 = {fmt_sig(r['area_ha'])} 公顷/ha{dtxt}{fixed}"
        )
    lines.append(f"合计 / total: {fmt_sig(summary['total_area_mu'])} 亩")
    if res.warnings:
        lines.append("警告 / warnings:")
        lines.extend(f"  - {w}" for w in res.warnings)
    if out is not None:
        lines.append(f"已写出 / written: {out}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0

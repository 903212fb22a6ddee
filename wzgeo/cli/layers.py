"""CLI: land-use and red-line layers as saved work (``wzgeo layers …``), and the layer options
of the plot check (``--land-layer KIND=FILE``).

``wzgeo layers import KIND FILE`` reads a GeoPackage, GeoJSON, zipped Shapefile or zipped
FileGDB, prints the import report (features, codes recognised per system, unknown codes,
repairs) and records it in the layer history beside the store; ``list``, ``history``,
``remove``, ``revert`` and ``demo`` (fictional layers, 示例（虚构）) complete the group. Who may
change them is checked like the other saved work (``--by`` and, when users are configured,
the password).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from wzgeo.analysis.landuse import KINDS, LandLayers
from wzgeo.cli._common import print_json

__all__ = [
    "LAND_PARCEL_COLUMNS",
    "add_land_layer_arguments",
    "land_layers_from_args",
    "land_lines",
    "register",
]

LAND_PARCEL_COLUMNS = (
    "landuse_main_code",
    "landuse_main_share_pct",
    "land_class_required",
    "land_class_status",
    "basic_farmland_overlap_m2",
    "basic_farmland_status",
    "eco_redline_overlap_m2",
    "eco_redline_status",
    "dev_boundary_outside_m2",
    "dev_boundary_status",
    "planned_far_max",
    "planned_far_status",
)
"""Columns ``check-plots`` adds to each parcel (those the check produced)."""

_STATUS = {"pass": "通过 pass", "fail": "不通过 FAIL", "unknown": "未知 unknown"}


def _f(v: Any, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def land_lines(plot: dict[str, Any]) -> list[str]:
    """The land-use, red-line and land-class findings of one plot of the JSON report."""
    from wzgeo.analysis.landuse import KIND_LABELS

    if "constraints" not in plot:
        return []
    out = []
    for part in plot["land_use"]:
        out.append(
            f"用地 / land use: {part['code'] or '?'} {part['name_zh']} {_f(part['area_m2'])} m² "
            f"({_f(part['area_mu'], 2)} 亩) {_f(part['share_pct'])}%"
        )
    for c in plot["constraints"]:
        zh, en = KIND_LABELS[c["kind"]]
        extra = (
            f", 界外 / outside {_f(c.get('outside_m2'))} m²" if c["kind"] == "dev_boundary" else ""
        )
        out.append(
            f"{zh} / {en}: {_STATUS[c['status']]} — 重叠 / overlap {_f(c['overlap_m2'])} m² "
            f"({_f(c['overlap_mu'], 2)} 亩){extra}"
        )
    lc = plot["land_class"]
    out.append(
        f"工业用地类别 / industrial land class: {_STATUS[lc['status']]} — 需要 / required "
        f"{lc['required'] or '-'}, 现状 / found {lc['found'] or '-'}: {lc['reason']}"
    )
    if plot.get("planned_far_max") is not None:
        out.append(
            f"控规容积率上限 / planned FAR ceiling {plot['planned_far_max']}: "
            f"{_STATUS[plot.get('planned_far_status') or 'unknown']}"
        )
    return out


def add_land_layer_arguments(p: argparse.ArgumentParser) -> None:
    """``--land-layer KIND=FILE`` (repeatable): use a layer file for this check only."""
    p.add_argument(
        "--land-layer",
        action="append",
        default=[],
        metavar="KIND=FILE",
        help="本次核查使用的图层文件（可重复；KIND 为 landuse、basic_farmland、eco_redline、"
        "dev_boundary）；默认使用已导入的图层 / a layer file for this check (repeatable); by "
        "default the imported layers (wzgeo layers import) are used",
    )


def land_layers_from_args(args: argparse.Namespace) -> LandLayers:
    """The store's imported layers (unless ``--no-store``) with ``--land-layer`` files on top."""
    from wzgeo.analysis.landuse import prepare_landuse, prepare_redline
    from wzgeo.plots.layers import read_layer
    from wzgeo.store.layers import check_kind, layer_store_for

    layers = LandLayers()
    if not getattr(args, "no_store", False):
        from wzgeo.store.workspace import effective_landclass, store_for_reading

        layers = layer_store_for(getattr(args, "store", None)).land_layers()
        # the land class each sector needs, with the saved-work edits (wzgeo landclass set)
        layers.landclass = effective_landclass(store_for_reading(getattr(args, "store", None)))
    for spec in getattr(args, "land_layer", []) or []:
        kind, sep, file = str(spec).partition("=")
        if not sep or not file:
            from wzgeo.errors import WzgeoError

            raise WzgeoError(
                f"--land-layer 应写成 KIND=FILE，收到“{spec}”。",
                f"--land-layer must be KIND=FILE, got '{spec}'.",
            )
        check_kind(kind)
        frame = read_layer(Path(file)).frame
        name = Path(file).name
        layers.layers[kind] = (
            prepare_landuse(frame, name=name)
            if kind == "landuse"
            else prepare_redline(frame, kind, name=name)
        )
    return layers


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store",
        type=Path,
        default=None,
        help="保存的工作文件（图层保存在其旁边的 .layers 文件夹）/ store file (layers are kept "
        "in the .layers folder beside it)",
    )


def _who(p: argparse.ArgumentParser, *, why_default: str | None = None) -> None:
    p.add_argument("--by", required=True, help="修改人 / who makes the change")
    p.add_argument(
        "--why",
        required=why_default is None,
        default=why_default,
        help="修改原因（记入历史）/ why (recorded in the history)",
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读密码（已配置用户时）/ read the password from standard input",
    )


def _editor(args: argparse.Namespace) -> str:
    from wzgeo.cli.store import _editor as store_editor

    return store_editor(args)


def _ls(args: argparse.Namespace) -> Any:
    from wzgeo.store.layers import layer_store_for

    return layer_store_for(args.store)


def _cmd_import(args: argparse.Namespace) -> int:
    by = _editor(args)
    why = args.why or f"导入图层 {args.file.name} / import layer {args.file.name}"
    res = _ls(args).import_layer(
        args.kind, args.file, by=by, why=why, layer=args.layer, crs=args.crs, name=args.name
    )
    if args.json:
        print_json(
            {
                "change_id": res.change_id,
                "kind": res.kind,
                "version": res.version,
                "name": res.name,
                "format": res.read.fmt,
                "layer": res.read.layer,
                "crs_note": res.read.crs_note,
                "features_read": res.read.n_read,
                "repaired": res.read.n_repaired,
                "notes": res.read.notes,
                "codes": res.report.to_dict() if res.report is not None else None,
            }
        )
        return 0
    sys.stdout.write("\n".join(res.lines()) + "\n")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    df = _ls(args).list()
    if args.json:
        print_json(df.to_dict("records"))
        return 0
    if df.empty:
        sys.stdout.write("尚未导入图层 / no layers imported (wzgeo layers import KIND FILE)\n")
        return 0
    for r in df.to_dict("records"):
        demo = " [示例（虚构）/ demo]" if r["fictional"] else ""
        sys.stdout.write(
            f"{r['kind']} ({r['name_zh']}): {r['name']}{demo} — {r['n_features']} 要素/features, "
            f"{r['fmt']} {r['source_file']}; 修改 change {r['change_id']} by {r['by_user']} "
            f"at {r['at']}\n"
        )
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    df = _ls(args).history(args.kind)
    if args.json:
        print_json(df.to_dict("records"))
        return 0
    for r in df.to_dict("records"):
        rev = f" (撤销 reverts {int(r['reverts_change_id'])})" if r["reverts_change_id"] else ""
        sys.stdout.write(
            f"{r['change_id']}: {r['kind']} v{r['version']} {r['op']} “{r['name']}” by "
            f"{r['by_user']} at {r['at']} — {r['why']}{rev}\n"
        )
    if df.empty:
        sys.stdout.write("没有图层修改记录 / no layer changes\n")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    by = _editor(args)
    cid = _ls(args).remove(args.kind, by=by, why=args.why)
    sys.stdout.write(f"已删除 / removed: {args.kind} — 修改 change {cid}（可撤销 / revertible）\n")
    return 0


def _cmd_revert(args: argparse.Namespace) -> int:
    by = _editor(args)
    cid = _ls(args).revert(args.change_id, by=by, why=args.why)
    sys.stdout.write(f"已撤销 / reverted: 修改 change {args.change_id} → 新修改 new change {cid}\n")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from wzgeo.analysis.landdemo import DEMO_NAMES, demo_layers

    by = _editor(args)
    ls = _ls(args)
    with tempfile.TemporaryDirectory(prefix="wzgeo_demo_") as tmp:
        for kind, gdf in demo_layers().items():
            path = Path(tmp) / f"{kind}.gpkg"
            gdf.to_file(path, driver="GPKG", engine="pyogrio")
            res = ls.import_layer(kind, path, by=by, why=args.why, name=DEMO_NAMES[kind])
            sys.stdout.write(
                f"{kind}: {res.name} — {res.read.n_read} 要素/features, 修改 change "
                f"{res.change_id}\n"
            )
    sys.stdout.write(
        "以上为示例（虚构）数据，仅供学习；用 wzgeo layers remove 删除 / these layers are "
        "fictional demo data for learning; remove them with wzgeo layers remove\n"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wzgeo layers …``."""
    p = sub.add_parser(
        "layers",
        help="用地用海与三区三线图层 / land-use and red-line layers",
        description=(
            "导入、查看、删除、撤销用地用海与三区三线图层（永久基本农田、生态保护红线、城镇开发边界），"
            "地块核查时使用。 / Import, list, remove and revert the land-use and red-line layers "
            "the plot check uses."
        ),
    )
    lsub = p.add_subparsers(dest="layers_command", metavar="ACTION", required=True)
    q = lsub.add_parser(
        "import",
        help="导入图层 / import a layer (GPKG, GeoJSON, SHP zip, FileGDB zip)",
    )
    q.add_argument("kind", choices=KINDS, help="图层类型 / layer kind")
    q.add_argument("file", type=Path, help="图层文件 / layer file")
    q.add_argument("--layer", default=None, help="文件中的图层名 / layer inside the file")
    q.add_argument("--name", default=None, help="显示名称 / display name (default: file name)")
    q.add_argument("--crs", default=None, help="坐标系，如 4545 / override the CRS")
    q.add_argument("--json", action="store_true", help="输出 JSON / print the report as JSON")
    _who(q, why_default="")
    _store_arg(q)
    q.set_defaults(func=_cmd_import)

    q = lsub.add_parser("list", help="已导入的图层 / imported layers")
    q.add_argument("--json", action="store_true", help="输出 JSON / JSON output")
    _store_arg(q)
    q.set_defaults(func=_cmd_list)

    q = lsub.add_parser("history", help="图层修改历史 / layer history")
    q.add_argument("kind", nargs="?", choices=KINDS, default=None, help="图层类型 / kind")
    q.add_argument("--json", action="store_true", help="输出 JSON / JSON output")
    _store_arg(q)
    q.set_defaults(func=_cmd_history)

    q = lsub.add_parser("remove", help="删除图层（可撤销）/ remove a layer (revertible)")
    q.add_argument("kind", choices=KINDS, help="图层类型 / layer kind")
    _who(q)
    _store_arg(q)
    q.set_defaults(func=_cmd_remove)

    q = lsub.add_parser("revert", help="撤销一次图层修改 / revert a layer change")
    q.add_argument("change_id", type=int, help="修改编号（见 history）/ change id")
    _who(q)
    _store_arg(q)
    q.set_defaults(func=_cmd_revert)

    q = lsub.add_parser(
        "demo",
        help="载入示例（虚构）图层 / load the fictional demo layers (示例（虚构）)",
    )
    _who(q, why_default="载入示例（虚构）图层 / load the fictional demo layers")
    _store_arg(q)
    q.set_defaults(func=_cmd_demo)

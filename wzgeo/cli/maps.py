"""CLI commands: maps (``wzgeo export-map``)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from wzgeo.cli._common import (
    add_overwrite_argument,
    add_store_arguments,
    atomic_output,
    check_output_path,
    positive_number,
    require_known,
)
from wzgeo.errors import WzgeoError

__all__ = ["load_map_inputs", "register"]

logger = logging.getLogger(__name__)


def load_map_inputs(
    *,
    sector: str | None = None,
    stage: str | None = None,
    zone: str | None = None,
    use_store: bool = True,
    store_path: str | None = None,
) -> dict[str, Any]:
    """Load the working data and return the keyword arguments of
    :func:`wzgeo.maps.webmap.build_map`.

    The data is the shipped tables with the saved work overlaid
    (:func:`wzgeo.store.workspace.load_workspace`): official boundaries, fit edits and the users'
    assignments. Projects are placed where a user assigned them, else in the zone the plan
    states, else in the suggested one (:func:`wzgeo.analysis.siting.suggest_locations`); zone
    intensity follows those locations.
    """
    from wzgeo.analysis import intensity, sitingcache
    from wzgeo.geo import basedata
    from wzgeo.maps import webmap as maps
    from wzgeo.store.workspace import load_workspace

    ws = load_workspace(use_store=use_store, store_path=store_path)
    require_known(zone, ws.zones["zone_id"], what_zh="园区", what_en="zone")
    require_known(sector, ws.sectors["sector_id"], what_zh="产业", what_en="sector")
    assignments = ws.assignments[["project_id", "zone_id"]] if len(ws.assignments) else None
    locations = sitingcache.suggest_locations(
        ws.projects, ws.zones, ws.fit, assignments=assignments
    )
    loc = locations[["project_id", "zone_id", "location_label"]]
    placed = ws.projects.drop(columns=["zone_id", "location_label"], errors="ignore").merge(
        loc, on="project_id", how="left"
    )
    zone_int = intensity.zone_intensity(
        ws.projects, ws.zones, locations=loc, zones_geo=ws.zones_geo
    )
    shown = maps.filter_projects(placed, sector=sector, stage=stage, zone=zone, sectors=ws.sectors)
    logger.info(ws.describe("en"))
    return {
        "district": basedata.load_district(),
        "river": basedata.load_river(),
        "zones_geo": ws.zones_geo,
        "zones": ws.zones,
        "projects": shown,
        "sectors": ws.sectors,
        "intensity": zone_int,
        "highlight": zone,
    }


_MAP_MARKER = "<title>万州区产业园区地图 / Wanzhou industrial zones map</title>"
"""The default title of :func:`wzgeo.maps.webmap.export_map_html`, near the start of every map
``export-map`` writes: such a file may be replaced without ``--overwrite``."""


def _is_wzgeo_map(path: Path) -> bool:
    """Whether ``path`` is an HTML map written by ``export-map`` (replacing it loses nothing)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return _MAP_MARKER in head


_PRINT_SUFFIXES = (".png", ".pdf", ".svg")
_PRINT_MARKER = b"wzgeo-printmap"
"""Written into every print map's metadata (PNG text chunk, PDF info, SVG creator): such a
file may be replaced without ``--overwrite``."""


def _is_wzgeo_print(path: Path) -> bool:
    """Whether ``path`` is a print map written by ``export-map`` (replacing it loses nothing)."""
    try:
        with path.open("rb") as f:
            head = f.read(65536)
            f.seek(max(0, path.stat().st_size - 8192))
            tail = f.read()
    except OSError:
        return False
    return _PRINT_MARKER in head or _PRINT_MARKER in tail


def _export_map(args: argparse.Namespace) -> int:
    from wzgeo.maps import webmap as maps

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix in _PRINT_SUFFIXES:
        return _export_print_map(args, out)
    if suffix not in (".html", ".htm"):
        raise WzgeoError(
            f"输出文件 {out} 应以 .html（网页地图）或 .png、.pdf、.svg（打印地图）结尾。",
            f"The output {out} must end in .html (web map) or .png, .pdf, .svg (print map).",
        )
    check_output_path(out, overwrite=args.overwrite or (out.is_file() and _is_wzgeo_map(out)))
    kwargs = _map_inputs(args)
    m = maps.build_map(
        **kwargs,
        basemap=args.basemap or "osm",
        tianditu_key=args.tianditu_key,
        style=args.style,
        target_yi_per_km2=args.target,
        lang=args.lang,
        show_intensity=args.show_intensity,
    )
    page = maps.export_map_html(m=m)
    with atomic_output(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    size = len(page.encode("utf-8"))
    print(f"{out}  {size / 1024:.0f} KiB")
    for _kind, text in m.notes.texts(args.lang):
        print(text)
    return 0


def _map_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The map's data as the command's filters and store options choose it."""
    return load_map_inputs(
        sector=args.sector,
        stage=args.stage,
        zone=args.zone,
        use_store=not args.no_store,
        store_path=args.store,
    )


def _export_print_map(args: argparse.Namespace, out: Path) -> int:
    """``export-map --out FILE.png|.pdf|.svg``: the print map (:mod:`wzgeo.maps.printmap`)."""
    from wzgeo.maps import printmap

    check_output_path(out, overwrite=args.overwrite or (out.is_file() and _is_wzgeo_print(out)))
    kwargs = _map_inputs(args)
    result = printmap.render_print_map(
        **kwargs,
        format=out.suffix.lower().lstrip("."),
        title=args.title,
        paper=args.paper,
        orientation=args.orientation,
        dpi=args.dpi,
        maker=args.maker,
        tile_url=args.tile_url,
        basemap=args.basemap or "none",
        tianditu_key=args.tianditu_key,
        style=args.style,
        target_yi_per_km2=args.target,
        lang=args.lang,
    )
    with atomic_output(out) as tmp:
        tmp.write_bytes(result.data)
    print(f"{out}  {len(result.data) / 1024:.0f} KiB  1:{result.scale:,}")
    for _kind, text in result.notes.texts(args.lang):
        print(text)
    if result.tiles_note:
        print(result.tiles_note)
    return 0


def _dpi(value: str) -> int:
    try:
        dpi = int(value)
    except ValueError:
        dpi = 0
    if not 50 <= dpi <= 1200:
        raise argparse.ArgumentTypeError(
            f"分辨率应为 50–1200 的整数，收到 {value!r} / dpi must be a whole number from 50 "
            f"to 1200, got {value!r}"
        )
    return dpi


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser(
        "export-map",
        help="导出离线 HTML 地图或打印地图（PNG/PDF/SVG）/ write an HTML map or a print map",
        description=(
            "写出一个独立的 HTML 地图文件（JS/CSS 全部内联，离线可打开，底图瓦片除外），或带图名、"
            "图例、比例尺、指北针、数据来源的打印地图（.png/.pdf/.svg）。\n"
            "Write a self-contained HTML map (all JS/CSS inlined; opens offline, tiles aside), "
            "or a print map (.png/.pdf/.svg) with title, legend, scale bar, north arrow and "
            "sources."
        ),
    )
    p.add_argument(
        "--out",
        required=True,
        help="输出 .html（网页地图）或 .png/.pdf/.svg（打印地图）；以前导出的地图可直接替换，"
        "其他已有文件需 --overwrite / output .html (web map) or .png/.pdf/.svg (print map); a "
        "map exported earlier is replaced, any other existing file needs --overwrite",
    )
    add_overwrite_argument(p)
    p.add_argument(
        "--basemap",
        default=None,
        metavar="ID",
        help="底图：osm、gaode、tianditu、none 或 basemaps.toml 中配置的编号"
        "（HTML 默认 osm，打印地图默认 none；打印时瓦片取不到则不加底图并注明）/ "
        "basemap: osm, gaode, tianditu, none or an id "
        "configured in basemaps.toml (default osm for HTML, none for print maps; a print map "
        "whose tiles cannot be fetched is drawn without them, with a note)",
    )
    p.add_argument("--title", default=None, help="图名（打印地图）/ map title (print maps)")
    p.add_argument(
        "--paper", choices=("A4", "A3"), default="A4", help="纸张（默认 A4）/ paper (default A4)"
    )
    p.add_argument(
        "--orientation",
        choices=("landscape", "portrait"),
        default="landscape",
        help="方向（默认横向）/ orientation (default landscape)",
    )
    p.add_argument(
        "--dpi", type=_dpi, default=300, help="PNG 分辨率（默认 300）/ PNG resolution (default 300)"
    )
    p.add_argument(
        "--maker", default="wzgeo", help="制图单位（打印地图）/ who made the map (print maps)"
    )
    p.add_argument(
        "--tile-url",
        default=None,
        help="瓦片地址模板 {z}/{x}/{y}（如内网瓦片服务，打印地图）/ XYZ tile URL template, e.g. "
        "an intranet tile server (print maps)",
    )
    p.add_argument("--tianditu-key", default=None, help="天地图 tk / Tianditu key")
    p.add_argument(
        "--style",
        choices=("level", "sector"),
        default="level",
        help="园区着色：级别或主导产业 / colour zones by level or by sector",
    )
    p.add_argument(
        "--target",
        type=positive_number,
        default=50.0,
        help="目标地均产出 亿元/km²（50 或 70）/ target output per km² in 亿元 (50 or 70)",
    )
    p.add_argument("--sector", default=None, help="sector_id, e.g. new_materials / 产业")
    p.add_argument(
        "--stage",
        default=None,
        help="项目阶段 / project stage: planning, tracking, negotiating, signed, building, "
        "operating",
    )
    p.add_argument("--zone", default=None, help="zone_id, e.g. gaofeng / 园区")
    p.add_argument(
        "--show-intensity",
        action="store_true",
        help="open with the output-per-km² layer shown / 打开时显示地均产出图层",
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="语言 / language")
    add_store_arguments(p)
    p.set_defaults(func=_export_map)

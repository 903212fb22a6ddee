"""部标 TXT: the land-office exchange format for plot boundaries (see ``DOMAIN.md``).

A ``[属性描述]`` section with ``key=value`` header lines (坐标系, 几度分带, 带号, 计量单位), then
a ``[地块坐标]`` section: for each plot a header line ``点数,面积(公顷),地块编号,地块名称,面,
图幅号,用途,地类编码,@`` and its points ``点号,圈号,X,Y`` with X = northing (survey order).
"""

from __future__ import annotations

import math
import re

import numpy as np
from pyproj import CRS

from wzgeo.geo.units import MU_PER_HA
from wzgeo.plots._crs import gk_epsg
from wzgeo.plots._raw import FileContext, ParsedFile, RawPlot, group_rings

__all__ = ["is_bubiao", "parse_bubiao"]


def is_bubiao(text: str) -> bool:
    """True if the text has a 部标 section header or a plot header line ending in ``@``."""
    return bool("[地块坐标]" in text or "[属性描述]" in text or re.search(r",\s*@\s*$", text, re.M))


def _num(s: str) -> float:
    v = float(s.strip())
    if not math.isfinite(v):
        raise ValueError(s)
    return v


def parse_bubiao(text: str, ctx: FileContext) -> ParsedFile:
    """Read a 部标 TXT file (``[属性描述]`` header, then plot headers and their points).

    One plot per header, rings in easting/northing order; the CRS comes from the header
    (``坐标系``, ``几度分带``, ``带号``, zone prefix) when it names one. The parser contract is
    described in :mod:`wzgeo.plots._raw`.

    Raises
    ------
    InputFileError
        A truncated plot, non-numeric counts or coordinates, a point/line plot, coordinates
        before any plot header, a unit other than metres (each names the line); more plots
        or points than the limits (counted line by line, reading stops there).
    """
    lines = text.splitlines()
    header: dict[str, str] = {}
    plots: list[RawPlot] = []
    section = ""
    cur: RawPlot | None = None
    cur_count = 0
    cur_line = 0
    pts: list[tuple[str, str, float, float, int]] = []

    def close_plot() -> None:
        if cur is None:
            return
        if len(pts) < cur_count:
            raise ctx.err(
                f"地块 {cur.plot_id}（第 {cur_line} 行）声明 {cur_count} 个点，"
                f"只读到 {len(pts)} 个，"
                "文件可能不完整（被截断）。请重新导出。",
                f"plot {cur.plot_id} (line {cur_line}) declares {cur_count} points but only "
                f"{len(pts)} were read; the file looks truncated. Export it again.",
            )
        if len(pts) > cur_count:
            ctx.warn(
                f"地块 {cur.plot_id} 声明 {cur_count} 个点，实际 {len(pts)} 个",
                f"plot {cur.plot_id} declares {cur_count} points, has {len(pts)}",
            )
        xy = np.array([(y_e, x_n) for _, _, x_n, y_e, _ in pts], dtype=float).reshape(-1, 2)
        cur.rings, cur.ring_where = group_rings(  # easting first (shapely x)
            [ring for _, ring, _, _, _ in pts],
            xy,
            [ln for *_, ln in pts],
            plot_id=cur.plot_id,
            line_en="line",
        )
        plots.append(cur)

    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述" and "=" in line:
            k, _, v = line.partition("=")
            header[k.strip()] = v.strip()
            continue
        fields = [f.strip() for f in line.split(",")]
        if fields[-1] == "@":
            close_plot()
            ctx.count.add_plots()
            pts = []
            try:
                cur_count = int(float(fields[0]))
            except (ValueError, OverflowError) as e:
                raise ctx.err(
                    f"第 {n} 行地块头的点数 {fields[0]!r} 不是数字。"
                    "格式：点数,面积,地块编号,地块名称,"
                    "类型,图幅号,用途,地类编码,@",
                    f"line {n}: the plot header's point count {fields[0]!r} is not a number. "
                    "Format: count,area,plot no,name,type,sheet,use,class code,@",
                ) from e
            cur_line = n
            pid = fields[2] if len(fields) > 2 and fields[2] else str(len(plots) + 1)
            name = fields[3] if len(fields) > 3 else ""
            kind = fields[4] if len(fields) > 4 else "面"
            if kind and kind not in ("面", "polygon", "Polygon"):
                raise ctx.err(
                    f"第 {n} 行地块 {pid} 的类型是“{kind}”，这里只接受“面”（地块边界）。"
                    "请只导出面状地块。",
                    f"line {n}: plot {pid} has type {kind!r} (point/line); only polygons (面) "
                    "are accepted here. Export polygon plots only.",
                )
            area_mu = math.nan
            if len(fields) > 1 and fields[1]:
                try:
                    area_mu = _num(fields[1]) * MU_PER_HA
                except ValueError:
                    ctx.warn(
                        f"第 {n} 行面积 {fields[1]!r} 不是数字，已忽略",
                        f"line {n}: area {fields[1]!r} is not a number; ignored",
                    )
            attrs = {
                "map_sheet": fields[5] if len(fields) > 6 else "",
                "land_use": fields[6] if len(fields) > 7 else "",
                "land_class_code": fields[7] if len(fields) > 8 else "",
            }
            cur = RawPlot(
                where_zh=f"地块 {pid}（第 {n} 行）",
                where_en=f"plot {pid} (line {n})",
                plot_id=pid,
                name=name,
                attrs=attrs,
                declared_area_mu=area_mu,
                ring_closure="strict",
            )
            continue
        if cur is None:
            if section in ("地块坐标", "") and len(fields) >= 4:
                raise ctx.err(
                    f"第 {n} 行：坐标行之前缺少地块头（点数,面积,地块编号,地块名称,面,...,@）。",
                    f"line {n}: coordinate line before any plot header "
                    "(count,area,plot no,name,面,...,@).",
                )
            continue
        if len(fields) < 4:
            raise ctx.err(
                f"第 {n} 行格式错误：应为“点号,圈号,X,Y”，实际为 {line!r}。",
                f"line {n} is malformed: expected 'point,ring,X,Y', got {line!r}.",
            )
        try:
            x_n = _num(fields[2])
            y_e = _num(fields[3])
        except ValueError as e:
            raise ctx.err(
                f"第 {n} 行（地块 {cur.plot_id} 点 {fields[0]}）坐标不是数字：{fields[2]!r}, "
                f"{fields[3]!r}。请修正该行。",
                f"line {n} (plot {cur.plot_id}, point {fields[0]}): coordinates are not "
                f"numbers: {fields[2]!r}, {fields[3]!r}. Fix that line.",
            ) from e
        ctx.count.add_vertices(1)
        pts.append((fields[0], fields[1] or "1", x_n, y_e, n))
    close_plot()

    parsed = ParsedFile(fmt="部标TXT", plots=plots)
    _txt_crs(header, parsed, ctx)
    return parsed


def _txt_crs(header: dict[str, str], parsed: ParsedFile, ctx: FileContext) -> None:
    """Set ``parsed.crs`` from the TXT header, if it names a known GK zone."""
    system = header.get("坐标系", "")
    width = header.get("几度分带", "3").strip() or "3"
    if width not in ("3", "6"):
        raise ctx.err(
            f"头部“几度分带={width[:40]}”无效，只能是 3 或 6。请修正头部。",
            f"header '几度分带={width[:40]}' (zone width) is invalid; it must be 3 or 6. Fix "
            "the header.",
        )
    zone_s = header.get("带号", "").strip()
    unit = header.get("计量单位", "米")
    if unit and unit not in ("米", "m", "M", "metre", "meter"):
        raise ctx.err(
            f"计量单位为“{unit}”，只支持米。", f"unit {unit!r} is not supported; only metres."
        )
    # the zone prefix is looked for in both columns: a file may list the easting first
    # (X/Y swapped; the swap itself is found later, when the CRS is decided)
    eastings = [r[:, 0] for p in parsed.plots for r in (p.rings or []) if len(r)]
    northings = [r[:, 1] for p in parsed.plots for r in (p.rings or []) if len(r)]
    for column in (eastings, northings):
        if column and float(np.nanmedian(np.concatenate(column))) > 1e7:
            eastings = column
            break
    prefixed = bool(eastings) and float(np.nanmedian(np.concatenate(eastings))) > 1e7
    if zone_s:
        try:
            zone: int | None = int(float(zone_s))
        except (ValueError, OverflowError):
            zone = None
    else:
        zone = None
    if prefixed:
        prefix_zone = int(float(np.nanmedian(np.concatenate(eastings))) // 1_000_000)
        if zone is not None and zone != prefix_zone:
            ctx.warn(
                f"头部带号 {zone} 与坐标的带号前缀 {prefix_zone} 不一致，"
                f"按坐标前缀 {prefix_zone} 处理",
                f"header zone {zone} differs from the coordinates' zone prefix {prefix_zone}; "
                f"using {prefix_zone}",
            )
        zone = prefix_zone
    if not system or zone is None:
        return  # infer from coordinates
    if "2000" in system or "CGCS" in system.upper():
        family = "CGCS2000"
    elif "80" in system or "西安" in system:
        family = "Xian 1980"
    elif "54" in system or "北京" in system:
        family = "Beijing 1954"
    else:
        ctx.warn(
            f"无法识别头部坐标系“{system}”，改为根据坐标推断",
            f"unknown header CRS {system!r}; inferring from the coordinates",
        )
        return
    code = gk_epsg(family, zone, width=int(width), prefixed=prefixed)
    if code is None:
        raise ctx.err(
            f"头部坐标系“{system}”{width} 度带 {zone} 带没有对应的 EPSG 代码。请用 --crs 指定。",
            f"no EPSG code for header CRS {system!r}, {width}-degree zone {zone}; pass crs=.",
        )
    parsed.crs = CRS.from_epsg(code)
    parsed.crs_reason_zh = (
        f"部标 TXT 头部声明：{system}，{width} 度带，带号 {zone}"
        f"（坐标{'含' if prefixed else '不含'}带号前缀）→ EPSG:{code}"
    )
    parsed.crs_reason_en = (
        f"declared in the TXT header: {system}, {width}-degree zone {zone} "
        f"({'with' if prefixed else 'without'} zone prefix) → EPSG:{code}"
    )
    if family != "CGCS2000":
        ctx.warn(
            f"{family} 坐标换算到 WGS84 可能有数十米误差（缺少当地转换参数），"
            "请以 CGCS2000 成果为准",
            f"{family} coordinates converted to WGS84 may be off by tens of metres (no local "
            "transformation parameters); prefer CGCS2000 data",
        )

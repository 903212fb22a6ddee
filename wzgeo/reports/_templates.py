"""The plot-check report's template, one per language: section titles, labels, fixed texts.

Only these texts differ between the Chinese and the English report; the numbers and their
formatting are the same (``wzgeo.reports.plotreport``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["TEMPLATES"]

TEMPLATES: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "title": "地块核查报告",
        "answer": "核查结论",
        "basics": "基本信息",
        "file": "地块文件",
        "sha256": "文件 SHA-256",
        "format": "文件格式",
        "crs": "坐标系",
        "crs_how": "坐标系判定",
        "crs_inferred": "（由坐标范围推断）",
        "basis": "核查依据",
        "no_basis": "未指定产业或项目",
        "date": "核查日期",
        "software": "核查工具",
        "map": "位置图",
        "map_caption": "图 1  核查地块与周边园区（比例尺 1:{scale}，按 {width} mm 图宽）",
        "schematic": (
            "示意：园区边界为示意位置（依据镇街位置推算），不是官方规划边界；重叠与距离仅供参考。"
        ),
        "redlines_none": (
            "未导入红线图层（永久基本农田、生态保护红线、城镇开发边界），未作红线核查。"
        ),
        "areas": "面积",
        "plot": "地块编号",
        "plot_name": "名称",
        "area_m2": "面积（m²）",
        "area_mu": "面积（亩）",
        "area_ha": "面积（公顷）",
        "declared_mu": "申报面积（亩）",
        "total": "合计",
        "shares": "所在园区及占比",
        "zone": "园区",
        "overlap_m2": "重叠面积（m²）",
        "share_pct": "占地块面积（%）",
        "quality": "园区边界",
        "outside": "不在任何已定位园区内",
        "fit": "产业适配",
        "fit_grade": "适配等级",
        "reason": "说明",
        "nearest": "最近适配园区",
        "distance_m": "距离（m）",
        "land_class": "用地分类适配",
        "indicators": "控制指标",
        "indicator": "指标",
        "edition": "版本",
        "value": "数值",
        "requirement": "要求",
        "result": "结果",
        "intensity": "地均产出（亿元/km²）",
        "conflicts": "冲突与问题",
        "overlaps_plots": "与地块 {others} 重叠",
        "no_conflicts": "未发现地块之间的重叠或其他冲突。",
        "notes": "说明",
        "warnings": "导入提示",
        "signature": "签字",
        "checker": "核查人：",
        "reviewer": "审核人：",
        "sign_date": "日期：",
        "footer": "本报告由 wzgeo 生成；数值与同一核查的 JSON 报告一致。",
        "none": "无",
        "sep": "；",
    },
    "en": {
        "title": "Plot check report",
        "answer": "Answer",
        "basics": "About this check",
        "file": "Plot file",
        "sha256": "File SHA-256",
        "format": "File format",
        "crs": "Coordinate reference system",
        "crs_how": "How the CRS was decided",
        "crs_inferred": " (inferred from the coordinate ranges)",
        "basis": "Checked against",
        "no_basis": "no sector or project given",
        "date": "Date of check",
        "software": "Tool",
        "map": "Location map",
        "map_caption": (
            "Figure 1  Checked plots and nearby zones (scale 1:{scale} at {width} mm width)"
        ),
        "schematic": (
            "Schematic (示意): zone outlines are placed from township locations and are not "
            "official plan boundaries; overlaps and distances are indicative only."
        ),
        "redlines_none": (
            "No red-line layers imported (permanent basic farmland, ecological red line, urban "
            "development boundary): red lines not checked."
        ),
        "areas": "Areas",
        "plot": "Plot",
        "plot_name": "Name",
        "area_m2": "Area (m²)",
        "area_mu": "Area (mu)",
        "area_ha": "Area (ha)",
        "declared_mu": "Declared area (mu)",
        "total": "Total",
        "shares": "Zones and shares",
        "zone": "Zone",
        "overlap_m2": "Overlap (m²)",
        "share_pct": "Share of the plot (%)",
        "quality": "Zone boundary",
        "outside": "outside every located zone",
        "fit": "Sector fit",
        "fit_grade": "Fit",
        "reason": "Reason",
        "nearest": "Nearest fitting zone",
        "distance_m": "Distance (m)",
        "land_class": "Land-use class fit",
        "indicators": "Control indicators",
        "indicator": "Indicator",
        "edition": "Edition",
        "value": "Value",
        "requirement": "Requirement",
        "result": "Result",
        "intensity": "Output per km² (100 M CNY/km²)",
        "conflicts": "Conflicts and issues",
        "overlaps_plots": "overlaps plots {others}",
        "no_conflicts": "No overlaps between plots and no other conflicts found.",
        "notes": "Notes",
        "warnings": "Import notes",
        "signature": "Signatures",
        "checker": "Checked by:",
        "reviewer": "Reviewed by:",
        "sign_date": "Date:",
        "footer": "Made by wzgeo; the numbers are those of the JSON report of the same check.",
        "none": "none",
        "sep": "; ",
    },
}

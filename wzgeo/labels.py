"""Display labels (Chinese and English) for columns and coded values.

One mapping, used by the app, the maps and the exports, so a column or a value is called
the same everywhere. Keys are the ASCII column names (``"output_yi"``) or ``"<group>.<value>"``
for coded values (``"stage.signed"``, ``"level.sme_cluster"``, ``"sector.auto"``,
``"geometry_quality.schematic"``, ``"location_label.suggested"``) and ``"ui.<name>"`` for
interface texts shared by maps and pages.

Labels for columns carry their unit, so numbers shown under them always have one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Final

import pandas as pd

from wzgeo.errors import WzgeoError

__all__ = [
    "GROUPS",
    "LANGS",
    "column_labels",
    "label",
    "label_keys",
    "value_label",
]

logger = logging.getLogger(__name__)

LANGS: Final = ("zh", "en")

# key -> (zh, en)
_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "zone_id": ("园区编号", "Zone id"),
    "zone": ("园区", "Zone"),
    "name_zh": ("名称", "Name (Chinese)"),
    "name_en": ("英文名称", "Name (English)"),
    "name": ("名称", "Name"),
    "level": ("园区级别", "Zone level"),
    "planned_land_km2": ("规划用地（km²）", "Planned land (km²)"),
    "area_km2": ("面积（km²）", "Area (km²)"),
    "area_km2_measured": ("图上量算面积（km²）", "Measured map area (km²)"),
    "sectors_zh": ("主导产业", "Focus sectors (as written)"),
    "sector_ids": ("主导产业编号", "Focus sector ids"),
    "project_id": ("项目编号", "Project id"),
    "sector": ("产业", "Sector"),
    "sector_id": ("产业编号", "Sector id"),
    "subsector": ("细分产业", "Sub-sector"),
    "parent_id": ("上级产业", "Parent sector"),
    "seq": ("序号", "No."),
    "content_zh": ("建设内容", "Content"),
    "start_year": ("开工年份", "Start year"),
    "end_year": ("建成年份", "End year"),
    "investment_yi": ("总投资（亿元）", "Investment (100 M CNY)"),
    "output_yi": ("预计产值（亿元）", "Expected output (100 M CNY)"),
    "tax_yi": ("预计税收（亿元）", "Expected tax (100 M CNY)"),
    "land_mu": ("用地需求（亩）", "Land need (mu)"),
    "floor_m2": ("标准厂房需求（m²）", "Standard-factory floor need (m²)"),
    "land_raw": ("用地（原文）", "Land (as written)"),
    "status_zh": ("项目状态（原文）", "Status (as written)"),
    "stage": ("项目阶段", "Stage"),
    "zone_source": ("园区来源", "Zone source"),
    "quality_flags": ("数据质量标记", "Quality flags"),
    "geometry_quality": ("边界精度", "Boundary quality"),
    "intensity_yi_per_km2": ("地均产出（亿元/km²）", "Output per km² (100 M CNY/km²)"),
    "target_yi_per_km2": ("目标地均产出（亿元/km²）", "Target output per km² (100 M CNY/km²)"),
    "location_label": ("位置依据", "Location basis"),
    "land_km2": ("用地（km²）", "Land (km²)"),
    "need_land_km2": ("项目用地需求（km²）", "Projects' land need (km²)"),
    "remaining_land_km2": ("剩余用地（km²）", "Remaining land (km²)"),
    "count": ("数量", "Count"),
    "n_projects": ("项目数", "Projects"),
    "need_plan_mu": ("规划已定位项目用地（亩）", "Land need, sited by the plan (mu)"),
    "need_assigned_mu": ("人工指定项目用地（亩）", "Land need, assigned by users (mu)"),
    "need_suggested_mu": ("建议落位项目用地（亩）", "Land need, suggested siting (mu)"),
    "need_mu": ("项目用地需求（亩）", "Projects' land need (mu)"),
    "need_km2": ("项目用地需求（km²）", "Projects' land need (km²)"),
    "remaining_mu": ("剩余用地（亩）", "Remaining land (mu)"),
    "remaining_km2": ("剩余用地（km²）", "Remaining land (km²)"),
    "supply_mu": ("规划供地（亩）", "Planned supply (mu)"),
    "supply_km2": ("规划供地（km²）", "Planned supply (km²)"),
    "utilisation_pct": ("用地占用率（%）", "Land utilisation (%)"),
    "overflow": ("超出供地", "Over capacity"),
    "output_land_yi": (
        "用地项目预计产值（亿元）",
        "Expected output of land-using projects (100 M CNY)",
    ),
    "gap_2025_yi_per_km2": (
        "距2025目标差距（亿元/km²）",
        "Gap to the 2025 target (100 M CNY/km²)",
    ),
    "gap_2035_yi_per_km2": (
        "距2035目标差距（亿元/km²）",
        "Gap to the 2035 target (100 M CNY/km²)",
    ),
    "extra_output_2025_yi": (
        "达到2025目标需新增产值（亿元）",
        "Extra output to reach the 2025 target (100 M CNY)",
    ),
    "extra_output_2035_yi": (
        "达到2035目标需新增产值（亿元）",
        "Extra output to reach the 2035 target (100 M CNY)",
    ),
    "measured_note": ("面积量算说明", "Area measurement note"),
    "plan_zone_id": ("规划所定园区", "Zone stated in the plan"),
    "suggestion_status": ("建议落位状态", "Siting suggestion status"),
    "plot_id": ("地块编号", "Plot id"),
    "plot_name": ("地块名称", "Plot name"),
    "reason": ("理由", "Reason"),
    "reason_text": ("理由说明", "Reason (text)"),
    # plot check report (wzgeo.analysis.plotcheck) and control indicators (wzgeo.analysis.rules)
    "geometry_repaired": ("几何已修复", "Geometry repaired"),
    "area_m2": ("面积（m²）", "Area (m²)"),
    "area_mu": ("面积（亩）", "Area (mu)"),
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "zone_name_zh": ("园区名称", "Zone name"),
    "zone_share_pct": ("在所属园区内的比例（%）", "Share inside its zone (%)"),
    "in_zones_pct": ("在园区内的比例（%）", "Share inside any zone (%)"),
    "n_zones": ("涉及园区数（个）", "Zones overlapped (count)"),
    "zones_overlapped": ("涉及园区", "Zones overlapped"),
    "zone_geometry_quality": ("园区边界精度", "Zone boundary quality"),
    "fit_grade": ("产业适配", "Sector fit"),
    "fit_reason_zh": ("适配说明", "Fit reason (Chinese)"),
    "fit_reason_en": ("适配说明（英文）", "Fit reason"),
    "nearest_fitting_zone_id": ("最近的适配园区", "Nearest fitting zone"),
    "distance_to_fitting_zone_m": ("距最近适配园区（m）", "Distance to a fitting zone (m)"),
    "kind": ("图层类型", "Layer kind"),
    "status": ("核查结果", "Result"),
    "code": ("用地用海代码", "Land-use code"),
    "landuse_name": ("用地用海类别", "Land-use class"),
    "overlap_mu": ("重叠面积（亩）", "Overlap (mu)"),
    "outside_m2": ("界外面积（m²）", "Outside (m²)"),
    "landuse_main_code": ("主要用地用海代码", "Main land-use code"),
    "landuse_main_name_zh": ("主要用地用海类别", "Main land-use class"),
    "landuse_main_share_pct": ("主要类别占比（%）", "Main class share (%)"),
    "landuse_covered_pct": ("用地图层覆盖（%）", "Covered by the land-use layer (%)"),
    "land_class_required": ("所需工业用地类别", "Industrial land class needed"),
    "land_class_found": ("现状工业用地类别", "Industrial land class found"),
    "land_class_found_code": ("决定类别的用地代码", "Deciding land-use code"),
    "land_class_status": ("工业用地类别核查", "Industrial land class check"),
    "land_class_reason": ("类别核查说明", "Land class reason"),
    "basic_farmland_overlap_m2": ("占用永久基本农田（m²）", "Permanent basic farmland taken (m²)"),
    "basic_farmland_overlap_mu": ("占用永久基本农田（亩）", "Permanent basic farmland taken (mu)"),
    "basic_farmland_status": ("永久基本农田核查", "Basic farmland check"),
    "eco_redline_overlap_m2": ("占用生态保护红线（m²）", "Ecological red line taken (m²)"),
    "eco_redline_overlap_mu": ("占用生态保护红线（亩）", "Ecological red line taken (mu)"),
    "eco_redline_status": ("生态保护红线核查", "Ecological red line check"),
    "dev_boundary_overlap_m2": ("城镇开发边界内（m²）", "Inside the development boundary (m²)"),
    "dev_boundary_overlap_mu": ("城镇开发边界内（亩）", "Inside the development boundary (mu)"),
    "dev_boundary_outside_m2": ("城镇开发边界外（m²）", "Outside the development boundary (m²)"),
    "dev_boundary_status": ("城镇开发边界核查", "Development boundary check"),
    "planned_far_max": ("控规容积率上限", "Planned FAR ceiling"),
    "planned_far_min": ("控规容积率下限", "Planned FAR floor"),
    "planned_coverage_max_pct": ("控规建筑密度上限（%）", "Planned coverage ceiling (%)"),
    "planned_coverage_min_pct": ("控规建筑密度下限（%）", "Planned coverage floor (%)"),
    "planned_green_min_pct": ("控规绿地率下限（%）", "Planned green ratio floor (%)"),
    "planned_green_max_pct": ("控规绿地率上限（%）", "Planned green ratio ceiling (%)"),
    "planned_height_max_m": ("控规建筑限高（m）", "Planned height limit (m)"),
    "planned_far_status": ("控规容积率核查", "Planned FAR check"),
    "n_overlapping_plots": ("重叠地块数（个）", "Overlapping plots (count)"),
    "overlapping_plots": ("重叠地块", "Overlapping plots"),
    "geometry_note": ("几何说明", "Geometry note"),
    "overlap_m2": ("重叠面积（m²）", "Overlap (m²)"),
    "share_pct": ("占地块比例（%）", "Share of the plot (%)"),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "comparator": ("比较", "Comparator"),
    "threshold": ("阈值", "Threshold"),
    "thresholds": ("阈值（全部）", "Thresholds (all)"),
    "edition": ("版本", "Edition"),
    "result": ("结论", "Result"),
    "reason_zh": ("说明", "Reason (Chinese)"),
    "reason_en": ("说明（英文）", "Reason"),
    "source": ("来源", "Source"),
    "requirement": ("要求", "Requirement"),
    "site_area_mu": ("项目用地合计（亩）", "Project site, all plots (mu)"),
    "project_land_need_mu": ("项目用地需求（亩）", "Project's land need (mu)"),
    "site_vs_need_pct": ("用地合计占需求比例（%）", "Site as share of the need (%)"),
    "intensity_wan_per_mu": ("亩均产出（万元/亩）", "Output per mu (10k CNY/mu)"),
    "indicators_pass": ("控制指标达标（项）", "Control indicators met (count)"),
    "indicators_fail": ("控制指标未达标（项）", "Control indicators not met (count)"),
    "indicators_unknown": ("控制指标无法判断（项）", "Control indicators unknown (count)"),
}

_VALUES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    # 专栏1 (Box 1) of the plan: its categories, the indicators' attribute and names
    "indicator_category": {
        "总量速度": ("总量速度", "Scale and growth"),
        "质量效益": ("质量效益", "Quality and returns"),
        "创新能力": ("创新能力", "Innovation"),
        "两化融合": ("两化融合", "Digitalisation"),
        "绿色发展": ("绿色发展", "Green development"),
    },
    "indicator_attribute": {
        "预期性": ("预期性", "Expected (guidance)"),
        "约束性": ("约束性", "Binding"),
    },
    "box1_indicator": {
        "IND-01": ("规模以上工业总产值(亿元)", "Gross output of industry above scale (100 M CNY)"),
        "IND-02": ("工业固定资产投资(亿元)", "Industrial fixed-asset investment (100 M CNY)"),
        "IND-03": (
            "战略性新兴产业产值增速(%)",
            "Growth of strategic emerging industries' output (%)",
        ),
        "IND-04": (
            "全口径工业增加值占地区生产总值的占比(%)",
            "Industry's value added as share of GDP (%)",
        ),
        "IND-05": (
            "规模以上工业全员劳动生产率(万元/人)",
            "Labour productivity, industry above scale (10k CNY/person)",
        ),
        "IND-06": (
            "规模以上工业营业收入利润率(%)",
            "Profit margin on revenue, industry above scale (%)",
        ),
        "IND-07": (
            "有研发机构的规模以上工业企业数量占全部规模以上工业企业比重(%)",
            "Share of firms above scale with an R&D unit (%)",
        ),
        "IND-08": (
            "规模以上工业研发投入占营业收入比重(%)",
            "R&D spending as share of revenue, industry above scale (%)",
        ),
        "IND-09": (
            "市级及以上企业技术中心(个)",
            "Enterprise technology centres, municipal level and up (number)",
        ),
        "IND-10": (
            "规模以上工业企业数字化研发设计工具普及率(%)",
            "Use of digital R&D and design tools, firms above scale (%)",
        ),
        "IND-11": (
            "规模以上工业企业关键工序数控化率(%)",
            "Numerically controlled key processes, firms above scale (%)",
        ),
        "IND-12": ("市级以上绿色工厂", "Green factories, municipal level and up (number)"),
        "IND-13": ("大宗工业固废利用率(%)", "Utilisation of bulk industrial solid waste (%)"),
    },
    "level": {
        "national_etdz": ("国家级经开区园区", "National ETDZ park"),
        "municipal": ("市级园区", "Municipal zone"),
        "sme_cluster": ("中小企业集聚区", "SME cluster"),
    },
    "stage": {
        "planning": ("谋划", "Planning"),
        "tracking": ("跟踪", "Tracking"),
        "negotiating": ("洽谈", "Negotiating"),
        "signed": ("签约", "Signed"),
        "building": ("在建", "Under construction"),
        "operating": ("投产", "Operating"),
    },
    "sector": {
        "new_materials": ("新材料", "New materials"),
        "nm_copper": ("铜材料", "Copper materials"),
        "nm_aluminium": ("铝材料", "Aluminium materials"),
        "nm_building": ("绿色建筑材料", "Green building materials"),
        "nm_synthetic": ("高性能合成材料", "High-performance synthetics"),
        "food_pharma": ("食品医药", "Food and pharmaceuticals"),
        "food": ("食品", "Food"),
        "pharma": ("医药", "Pharmaceuticals"),
        "auto": ("汽车", "Automotive"),
        "lighting": ("绿色照明", "Green lighting"),
        "equipment": ("智能装备", "Intelligent equipment"),
        "electronics": ("电子信息", "Electronics and IT"),
        "chemicals": ("化工", "Chemicals"),
        "stone_processing": ("石材加工", "Stone processing"),
        "printing_packaging": ("印刷包装", "Printing and packaging"),
        "apparel": ("服装", "Apparel"),
        "consumer_goods": ("消费品", "Consumer goods"),
        "agri_processing": ("农副产品加工", "Agri-food processing"),
    },
    "geometry_quality": {
        "official": ("官方边界", "Official boundary"),
        "schematic": ("示意位置（非官方边界）", "Schematic (not an official boundary)"),
        "not_located": ("位置未知", "Location unknown"),
    },
    "location_label": {
        "plan": ("规划文本所述园区", "Zone stated in the plan"),
        "suggested": ("建议园区（推算）", "Suggested zone (derived)"),
        "assigned": ("用户指定园区", "Zone assigned by user"),
        "unplaced": ("未落位", "Not placed"),
    },
    "suggestion_status": {
        "placed": ("已建议园区", "Zone suggested"),
        "no_fitting_zone": ("无适配园区", "No fitting zone"),
        "no_capacity": ("适配园区用地不足", "Fitting zones are full"),
        "need_unknown": ("用地需求未知", "Land need unknown"),
    },
    "quality_flag": {
        "uses_existing_land": ("使用已有土地或厂房", "uses existing land or buildings"),
        "split_from_merged_row": ("由合并行拆分", "split from a merged row"),
        "name_missing": ("名称缺失", "name missing"),
        "content_missing": ("建设内容缺失", "content missing"),
        "content_shifted_repaired": ("建设内容错行已修复", "shifted content repaired"),
        "content_candidate_in_neighbour": (
            "相邻行可能含本行内容",
            "a neighbour may hold this row's content",
        ),
        "name_content_mismatch": ("名称与内容不符", "name and content disagree"),
        "tax_output_implausible": ("税收占产值比例异常", "tax implausible for the output"),
        "ends_after_plan_period": ("建成年份晚于规划期", "ends after the plan period"),
        "year_order": ("年份顺序异常", "years out of order"),
        "stage_unknown": ("阶段未知", "stage unknown"),
        "duplicated_text": ("原文文字重复", "text written twice"),
        "zone_ambiguous": ("园区不明确（多个候选）", "zone ambiguous (several candidates)"),
        "place_not_zone": ("所述地点不是专栏12园区", "place named is not a 专栏12 zone"),
    },
    "fit_grade": {
        # also wzgeo.store.savededits.GRADE_LABELS and the saved-work page's tables
        "primary": ("主导产业（专栏12 点名）", "primary (named in plan Box 12)"),
        "compatible": ("兼容", "compatible"),
        "not_listed": ("未列出", "not listed"),
        "outside": ("不在任何园区内", "Outside every zone"),
        "unknown": ("无法判断", "Cannot tell"),
    },
    "result": {
        "pass": ("达标", "Pass"),
        "fail": ("未达标", "Fail"),
        "unknown": ("无法判断", "Unknown"),
    },
    "indicator": {
        # control indicators (wzgeo.analysis.rules; geodata/land_rules.csv)
        "plot_ratio": ("容积率", "Plot ratio (floor area ratio)"),
        "building_coverage_pct": ("建筑系数", "Building coverage"),
        "admin_facility_share_pct": (
            "行政办公及生活服务设施用地比例",
            "Admin and living facilities share",
        ),
        "green_ratio_pct": ("绿地率", "Green space ratio"),
        "investment_intensity_wan_per_mu": ("投资强度", "Investment per mu"),
        "tax_per_mu_wan": ("亩均税收", "Tax per mu"),
        "output_intensity_yi_per_km2": ("地均产出", "Output per km²"),
        "output_intensity_wan_per_mu": ("亩均产出", "Output per mu"),
    },
    "edition": {
        "2008": ("2008 年国家标准", "2008 national standard"),
        "2023": ("2023 年修订", "2023 revision"),
        "plan_2025": ("规划 2025 年目标", "Plan target for 2025"),
        "plan_2035": ("规划 2035 年目标", "Plan target for 2035"),
    },
    "unit": {
        "ratio": ("比值", "ratio"),
        "pct": ("%", "%"),
        "wan_per_mu": ("万元/亩", "10k CNY/mu"),
        "yi_per_km2": ("亿元/km²", "100 M CNY/km²"),
        "yi": ("亿元", "100 M CNY"),
        "mu": ("亩", "mu"),
        "m2": ("m²", "m²"),
        "km2": ("km²", "km²"),
    },
    "basemap": {
        "osm": ("OpenStreetMap 地图", "OpenStreetMap"),
        "gaode": ("高德地图（GCJ-02）", "Gaode (GCJ-02)"),
        "tianditu": ("天地图", "Tianditu"),
        "none": ("无底图", "No basemap"),
    },
    "style": {
        "level": ("按园区级别", "By zone level"),
        "sector": ("按主导产业", "By focus sector"),
        "intensity": ("按地均产出", "By output per km²"),
    },
    "ui": {
        "district": ("万州区界", "Wanzhou district boundary"),
        "river": ("长江", "Yangtze River"),
        "zones": ("园区", "Zones"),
        "projects": ("重点项目", "Key projects"),
        "intensity": ("地均产出", "Output per km²"),
        "target": ("目标", "target"),
        "below_target": ("低于目标", "below target"),
        "above_target": ("高于目标", "above target"),
        "no_data": ("无数据", "no data"),
        "schematic_note": (
            "虚线：示意位置，非官方边界，面积与形状仅供参考",
            "Dashed: schematic location, not an official boundary; shape and area are indicative",
        ),
        "schematic_banner": (
            "注意：园区边界为示意图（依据镇街位置推算），不是官方规划边界。",
            "Note: zone outlines are schematic (placed from township locations), "
            "not official plan boundaries.",
        ),
        "not_located": ("位置未知、未绘制的园区", "Zones not drawn (location unknown)"),
        "projects_unplaced": (
            "未绘制的项目（无园区或园区位置未知）",
            "Projects not drawn (no zone, or zone not located)",
        ),
        "gcj02_note": (
            "高德底图：所有矢量数据已偏移至 GCJ-02 显示",
            "Gaode basemap: all vector data shifted to GCJ-02 for display",
        ),
        "tianditu_no_key": (
            "天地图需要密钥（tk），未提供，未加载天地图底图。",
            "Tianditu needs a key (tk); none given, so the Tianditu basemap is not loaded.",
        ),
        "size_by_output": ("点大小：预计产值", "Marker size: expected output"),
        "colour_by_sector": ("颜色：产业", "Colour: sector"),
        "unit_yi_per_km2": ("亿元/km²", "100 M CNY/km²"),
        "unit_yi": ("亿元", "100 M CNY"),
        "unit_mu": ("亩", "mu"),
        "unit_m2": ("m²", "m²"),
        "unit_km2": ("km²", "km²"),
        "all_industries": ("所有行业", "all industries"),
        "checked_plots": ("核查地块", "Checked plots"),
        "other": ("其他", "Other"),
        "unknown": ("未知", "unknown"),
    },
}

GROUPS: Final = tuple(_VALUES)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise WzgeoError(
            f"不支持的语言 {lang!r}：请用 'zh' 或 'en'。",
            f"Unsupported language {lang!r}: use 'zh' or 'en'.",
        )


def _lookup(key: str) -> tuple[str, str] | None:
    if key in _COLUMNS:
        return _COLUMNS[key]
    group, sep, value = key.partition(".")
    if sep and group in _VALUES:
        return _VALUES[group].get(value)
    return None


def label(key: str, lang: str = "zh", *, default: str | None = None) -> str:
    """Return the display label of a column name or a ``"<group>.<value>"`` key.

    Parameters
    ----------
    key
        A column name (``"output_yi"``) or a coded value (``"stage.signed"``).
    lang
        ``"zh"`` (default) or ``"en"``.
    default
        Returned when the key is unknown; when ``None``, the key itself is returned (so an
        unforeseen column still shows, under its ASCII name).

    Returns
    -------
    str
        The label.

    Raises
    ------
    WzgeoError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    _check_lang(lang)
    pair = _lookup(key)
    if pair is None:
        logger.debug("no display label for %r", key)
        return key if default is None else default
    return pair[0] if lang == "zh" else pair[1]


def value_label(group: str, value: object, lang: str = "zh") -> str:
    """Return the label of a coded value, e.g. ``value_label("stage", "signed")``.

    Missing values (``None``, NaN, empty) give the label of "unknown"; unknown codes are
    returned as text, unchanged.
    """
    if _is_missing(value):
        return label("ui.unknown", lang)
    return label(f"{group}.{value}", lang, default=str(value))


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def column_labels(columns: Iterable[object], lang: str = "zh") -> dict[str, str]:
    """Map column names to display labels, for ``df.rename(columns=...)``.

    Columns without a label keep their name.
    """
    _check_lang(lang)
    return {str(c): label(str(c), lang) for c in columns}


def label_keys(group: str | None = None) -> tuple[str, ...]:
    """All known keys: column names when ``group`` is None, else ``"<group>.<value>"`` keys."""
    if group is None:
        return tuple(_COLUMNS)
    if group not in _VALUES:
        raise WzgeoError(
            f"未知的标签组 {group!r}，可用：{', '.join(GROUPS)}。",
            f"Unknown label group {group!r}; known: {', '.join(GROUPS)}.",
        )
    return tuple(f"{group}.{v}" for v in _VALUES[group])

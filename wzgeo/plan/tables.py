"""Build the zones, indicators and targets tables from the parsed plan.

The projects table is built by :func:`wzgeo.plan.reconcile.reconcile`; writing and loading the
tables is :mod:`wzgeo.plan.data`'s job.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from wzgeo import paths
from wzgeo.errors import DataFileError
from wzgeo.plan.parse import ParsedPlan, PlanParseError, normalize_text, parse_numbers
from wzgeo.plan.schema import INDICATOR_COLUMNS, LEVELS, TARGET_COLUMNS, ZONE_COLUMNS
from wzgeo.plan.validate import split_list

__all__ = [
    "build_indicators",
    "build_targets",
    "build_zones",
    "check_zone_phrases",
    "sector_ids_by",
]

# zone name as written in 专栏12 → (zone_id, name_en, host township, note on the township)
_BY_NAME = "by name: the zone is named after this township"
_ZONE_INFO: dict[str, tuple[str, str, str, str]] = {
    "高峰园": ("gaofeng", "Gaofeng Park", "高峰街道", _BY_NAME),
    "天子园": (
        "tianzi",
        "Tianzi Park",
        "天城街道",
        "presumed: no source states the township; 天城街道 is assumed (unverified)",
    ),
    "五桥园": ("wuqiao", "Wuqiao Park", "五桥街道", _BY_NAME),
    "九龙园A区": ("jiulong_a", "Jiulong Park Area A", "", "unknown: no source found"),
    "九龙园B区": ("jiulong_b", "Jiulong Park Area B", "", "unknown: no source found"),
    "新田园A区": ("xintian_a", "Xintian Park Area A", "新田镇", _BY_NAME),
    "新田园B区": ("xintian_b", "Xintian Park Area B", "新田镇", _BY_NAME),
    "渝东新区": ("yudong", "Yudong New Area", "", "unknown: no source found"),
    "分水中小企业集聚区": ("fenshui", "Fenshui SME Cluster", "分水镇", _BY_NAME),
    "李河中小企业集聚区": ("lihe", "Lihe SME Cluster", "李河镇", _BY_NAME),
    "龙沙中小企业集聚区": ("longsha", "Longsha SME Cluster", "龙沙镇", _BY_NAME),
    "龙驹中小企业集聚区": ("longju", "Longju SME Cluster", "龙驹镇", _BY_NAME),
    "太龙中小企业集聚区": ("tailong", "Tailong SME Cluster", "太龙镇", _BY_NAME),
}


def sector_ids_by(sectors: pd.DataFrame, column: str) -> dict[str, list[str]]:
    """Map each item of a list column of the taxonomy to the sector ids that claim it.

    Parameters
    ----------
    sectors
        The sector taxonomy.
    column
        ``plan_sectors``, ``plan_subsectors`` or ``zone_phrases``.

    Returns
    -------
    dict of str to list of str
        Item → sector ids, in table order.
    """
    out: dict[str, list[str]] = {}
    for _, r in sectors.iterrows():
        for p in split_list(r[column]):
            out.setdefault(p, []).append(str(r["sector_id"]))
    return out


def build_zones(parsed: ParsedPlan, *, sectors: pd.DataFrame) -> pd.DataFrame:
    """The zones table from 专栏12.

    Parameters
    ----------
    parsed
        The parsed plan.
    sectors
        The sector taxonomy; its ``zone_phrases`` map the focus phrases to ``sector_ids``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ZONE_COLUMNS`, one row per zone in the plan's order.

    Raises
    ------
    wzgeo.plan.parse.PlanParseError
        When a zone name or group is unknown.
    """
    phrase_ids = sector_ids_by(sectors, "zone_phrases")
    rows = []
    for z in parsed.zones:
        if z.name_zh not in _ZONE_INFO:
            raise PlanParseError(
                f"专栏12 中的园区名称“{z.name_zh}”（第 {z.line} 行）不在已知的 13 个园区中。",
                f"Zone name '{z.name_zh}' (line {z.line}) in 专栏12 is not one of the 13 known "
                "zones (docs/ARCHITECTURE.md); update wzgeo.plan.tables._ZONE_INFO if the plan "
                "changed.",
            )
        if z.level_zh not in LEVELS:
            raise PlanParseError(
                f"专栏12 中的分组“{z.level_zh}”（第 {z.line} 行）未知。",
                f"Unknown zone group '{z.level_zh}' (line {z.line}) in 专栏12.",
            )
        zid, name_en, town, note = _ZONE_INFO[z.name_zh]
        ids: list[str] = []
        for p in z.focus_phrases:
            ids.extend(i for i in phrase_ids.get(p, []) if i not in ids)
        rows.append(
            {
                "zone_id": zid,
                "name_zh": z.name_zh,
                "name_en": name_en,
                "level": LEVELS[z.level_zh],
                "level_zh": z.level_zh,
                "planned_land_km2": z.land_km2,
                "land_label_zh": z.land_label_zh,
                "sectors_zh": ";".join(z.focus_phrases),
                "sector_ids": ";".join(ids),
                "host_township_zh": town,
                "host_township_note": note,
                "plan_text_zh": z.text,
                "source_line": z.line,
            }
        )
    return pd.DataFrame(rows, columns=list(ZONE_COLUMNS))


def _value_kind(text: str) -> tuple[float | None, str]:
    s = normalize_text(text)
    if not s:
        return None, "empty"
    if s in ("/", "-", "—", "／"):
        return None, "not_applicable"
    nums = parse_numbers(s)
    if re.fullmatch(r"\d+(?:\.\d+)?%?", s):
        return nums[0], "value"
    if re.fullmatch(r"\[\d+(?:\.\d+)?\]", s):
        return nums[0], "cumulative"
    if re.fullmatch(r"[>＞≥]\s*\d+(?:\.\d+)?%?", s):
        return nums[0], "lower_bound"
    if re.fullmatch(r"预计\s*\d+(?:\.\d+)?%?", s):
        return nums[0], "estimate"
    if re.fullmatch(r"\d+(?:\.\d+)?[（(][^)）]*[)）]", s):
        return nums[0], "provisional"
    return None, "text"


def build_indicators(parsed: ParsedPlan) -> pd.DataFrame:
    """The indicators table from 专栏1 (numbers where they are numbers, text kept).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`.
    """
    text = "\n".join(parsed.lines)
    rows = []
    for r in parsed.indicators:
        m = re.search(r"[（(]([^()（）]+)[)）]$", r.name_zh)
        unit = m.group(1) if m else ""
        notes: list[str] = []
        if not unit:
            short = re.sub(r"[（(].*$", "", r.name_zh)
            hit = re.search(re.escape(short) + r"\s*(\d+(?:\.\d+)?)\s*(个|家|户)", text)
            if hit:
                unit = hit.group(2)
                line = text.count("\n", 0, hit.start()) + 1
                notes.append(
                    f"unit not stated in 专栏1; '{unit}' from the text (line {line}: "
                    f"'{normalize_text(hit.group(0))}')"
                )
        rec: dict[str, Any] = {
            "indicator_id": f"IND-{r.seq:02d}",
            "seq": r.seq,
            "category_zh": r.category_zh,
            "name_zh": r.name_zh,
            "unit": unit,
            "attribute_zh": r.attribute_zh,
        }
        for year, cell in (("2020", r.v2020), ("2023", r.v2023), ("2025", r.v2025)):
            v, kind = _value_kind(cell)
            rec[f"value_{year}"] = v
            rec[f"value_{year}_text"] = cell
            rec[f"value_{year}_kind"] = kind
        g, gkind = _value_kind(r.growth)
        rec["growth_pct"] = g if gkind == "value" else None
        rec["growth_text"] = r.growth
        if unit in ("%",) and "增速" in r.name_zh:
            notes.append("the values are themselves growth rates (%)")
        rec["note"] = "; ".join(notes)
        rec["source_line"] = r.line
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def build_targets(parsed: ParsedPlan, *, sectors: pd.DataFrame) -> pd.DataFrame:
    """The targets and baselines stated in the text, each with its section.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`.
    """
    by_sector = {p: ids[-1] for p, ids in sector_ids_by(sectors, "plan_sectors").items()}
    rows = []
    for i, t in enumerate(parsed.targets, start=1):
        rows.append(
            {
                "target_id": f"T{i:02d}",
                "metric": t.metric,
                "kind": t.kind,
                "subject_zh": t.subject_zh,
                "sector_id": by_sector.get(t.subject_zh, "")
                if t.metric == "sector_output_yi"
                else "",
                "year": t.year,
                "comparator": t.comparator,
                "value": t.value,
                "unit": t.unit,
                "section": t.section,
                "quote_zh": t.quote_zh,
                "source_line": t.line,
            }
        )
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


def check_zone_phrases(zones: pd.DataFrame, sectors: pd.DataFrame) -> None:
    """Check that every focus phrase of 专栏12 maps to a sector id.

    Parameters
    ----------
    zones
        From :func:`build_zones`.
    sectors
        The sector taxonomy.

    Raises
    ------
    wzgeo.DataFileError
        Naming ``geodata/sectors.csv`` and the phrase to add to a row's ``zone_phrases``.
    """
    known = sector_ids_by(sectors, "zone_phrases")
    for _, z in zones.iterrows():
        for p in split_list(z["sectors_zh"]):
            if p not in known:
                raise DataFileError(
                    paths.geodata_dir() / "sectors.csv",
                    f"专栏12 的重点产业“{p}”（{z['name_zh']}）没有对应的 sector_id；请在 "
                    "zone_phrases 列中添加它。",
                    f"the 专栏12 focus phrase '{p}' ({z['name_zh']}) maps to no sector_id; add it "
                    "to a row's zone_phrases.",
                    column="zone_phrases",
                )

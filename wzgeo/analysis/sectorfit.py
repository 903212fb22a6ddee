"""Sector × zone fit: which zones the plan designates for which industries.

The source of truth at run time is the editable table ``geodata/sector_fit.csv`` (one row per
``sector_id`` × ``zone_id``, grade ``primary`` | ``compatible`` | ``not_listed`` and the reason
quoted from 专栏12 of the plan). :func:`derive_sector_fit` rebuilds that table from the plan's
text by a documented rule, so the shipped file can be checked against the plan:

1. Each zone's focus list is read from 专栏12 (the text after "重点发展", up to "等产业"/"。",
   split on "、"), e.g. 九龙园A区 → 化工, 装备制造, 新材料.
2. Each focus phrase is mapped to sector ids by :data:`PHRASE_SECTORS`. A phrase is
   ``primary`` for the sectors it *names* (its own words, e.g. "化工" → chemicals; "新型绿色建材"
   → nm_building; "食品医药" names both 食品 and 医药), and ``compatible`` for sectors it
   names only as a wider or neighbouring category (e.g. the generic "新材料" is compatible for
   each of its four sub-sectors, because the plan splits 新材料 into very different industries
   and the zone does not say which). Each mapping carries its evidence.
3. A parent sector is at least ``compatible`` where one of its sub-sectors is primary; a
   sub-sector is at least ``compatible`` where its parent is primary. The best grade wins.
4. Every other pair is ``not_listed`` (the plan does not name the sector for the zone).

A phrase that has no mapping is an error (nothing is silently dropped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.paths import geodata_dir
from wzgeo.plan.validate import read_string_table

__all__ = [
    "EVIDENCE_EN",
    "FIT_COLUMNS",
    "GRADES",
    "PHRASE_EN",
    "PHRASE_SECTORS",
    "ZoneFocus",
    "derive_sector_fit",
    "fit_for_sector",
    "fit_grade",
    "load_sector_fit",
    "parse_zone_focus",
    "sector_fit_path",
    "write_sector_fit",
]

logger = logging.getLogger(__name__)

#: Grades, best first.
GRADES: tuple[str, ...] = ("primary", "compatible", "not_listed")
_GRADE_RANK = {g: i for i, g in enumerate(GRADES)}

FIT_COLUMNS: tuple[str, ...] = (
    "sector_id",
    "zone_id",
    "grade",
    "phrase_zh",
    "reason_zh",
    "reason_en",
)

#: Focus phrase of 专栏12 → ((sector_id, grade, evidence), ...). ``primary``: the phrase
#: names the sector; ``compatible``: a wider or neighbouring category (evidence given).
PHRASE_SECTORS: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "食品医药": (
        ("food_pharma", "primary", "names 食品医药"),
        ("food", "primary", "names 食品"),
        ("pharma", "primary", "names 医药"),
    ),
    "智能装备": (("equipment", "primary", "names 智能装备"),),
    "装备制造": (("equipment", "primary", "names 装备制造"),),
    "电子信息": (("electronics", "primary", "names 电子信息"),),
    "汽车": (("auto", "primary", "names 汽车"),),
    "汽车零部件": (("auto", "primary", "names 汽车 (parts are part of the 汽车 sector)"),),
    "绿色照明": (("lighting", "primary", "names 绿色照明"),),
    "医药": (("pharma", "primary", "names 医药"),),
    "化工": (
        ("chemicals", "primary", "names 化工"),
        (
            "nm_synthetic",
            "primary",
            "高性能合成材料 are chemical materials: 专栏5 lists 精细化工 and the text "
            "says 化工新材料",
        ),
    ),
    "新材料": (
        ("new_materials", "primary", "names 新材料"),
        ("nm_copper", "compatible", "generic 新材料 covers 铜材料"),
        ("nm_aluminium", "compatible", "generic 新材料 covers 铝材料"),
        ("nm_building", "compatible", "generic 新材料 covers 绿色建筑材料"),
        ("nm_synthetic", "compatible", "generic 新材料 covers 高性能合成材料"),
    ),
    "粮油储备加工": (
        ("food", "primary", "grain and oil processing is 食品 (食品产业: 粮油精深加工)"),
        ("agri_processing", "compatible", "grain and oil processing is also 农副食品加工"),
    ),
    "新型绿色建材": (("nm_building", "primary", "names 绿色建筑材料 (新型绿色建材)"),),
    "装配式建筑材料": (("nm_building", "primary", "专栏4 lists 装配式建筑 under 绿色建筑材料"),),
    "新型建材": (("nm_building", "primary", "names 新型建筑材料 (专栏4)"),),
    "石材加工": (
        ("stone_processing", "primary", "names 石材加工"),
        ("nm_building", "compatible", "stone is a building material (GB/T 4754 30)"),
    ),
    "印包": (("printing_packaging", "primary", "names 印包"),),
    "服装": (
        ("apparel", "primary", "names 服装"),
        ("consumer_goods", "compatible", "clothing is a consumer good"),
    ),
    "服装加工": (
        ("apparel", "primary", "names 服装"),
        ("consumer_goods", "compatible", "clothing is a consumer good"),
    ),
    "消费品": (
        ("consumer_goods", "primary", "names 消费品"),
        ("apparel", "compatible", "clothing is a consumer good"),
    ),
    "农产品深加工": (
        ("agri_processing", "primary", "names 农产品加工"),
        ("food", "compatible", "deep processing of farm products overlaps 食品"),
    ),
    "食品加工": (("food", "primary", "names 食品"),),
    "中药材加工": (("pharma", "primary", "专栏7 lists 中药产业 under 医药"),),
    "肉制品加工": (
        ("food", "primary", "食品产业 text names 肉制品"),
        ("agri_processing", "compatible", "meat processing is also 农副食品加工"),
    ),
    "农副产品加工": (
        ("agri_processing", "primary", "names 农副产品加工"),
        ("food", "compatible", "农副产品加工 overlaps 食品"),
    ),
}

#: Focus phrase of 专栏12 → its English (for the English reasons: no Chinese in them).
PHRASE_EN: Mapping[str, str] = {
    "食品医药": "food and pharmaceuticals",
    "智能装备": "intelligent equipment",
    "装备制造": "equipment manufacturing",
    "电子信息": "electronic information",
    "汽车": "automotive",
    "汽车零部件": "auto parts",
    "绿色照明": "green lighting",
    "医药": "pharmaceuticals",
    "化工": "chemicals",
    "新材料": "new materials",
    "粮油储备加工": "grain and oil storage and processing",
    "新型绿色建材": "new green building materials",
    "装配式建筑材料": "prefabricated building materials",
    "新型建材": "new building materials",
    "石材加工": "stone processing",
    "印包": "printing and packaging",
    "服装": "apparel",
    "服装加工": "apparel processing",
    "消费品": "consumer goods",
    "农产品深加工": "deep processing of farm products",
    "食品加工": "food processing",
    "中药材加工": "processing of Chinese medicinal herbs",
    "肉制品加工": "meat processing",
    "农副产品加工": "agricultural product processing",
}

#: The evidence of :data:`PHRASE_SECTORS` in plain English (evidence without Chinese is used
#: as it is).
EVIDENCE_EN: Mapping[str, str] = {
    "names 食品医药": "names food and pharmaceuticals",
    "names 食品": "names food",
    "names 医药": "names pharmaceuticals",
    "names 智能装备": "names intelligent equipment",
    "names 装备制造": "names equipment manufacturing",
    "names 电子信息": "names electronic information",
    "names 汽车": "names automotive",
    "names 汽车 (parts are part of the 汽车 sector)": (
        "names automotive (parts belong to the automotive sector)"
    ),
    "names 绿色照明": "names green lighting",
    "names 化工": "names chemicals",
    "高性能合成材料 are chemical materials: 专栏5 lists 精细化工 and the text says 化工新材料": (
        "high-performance synthetic materials are chemical materials: plan Box 5 lists fine "
        "chemicals and the text says 'new chemical materials'"
    ),
    "names 新材料": "names new materials",
    "generic 新材料 covers 铜材料": "the generic 'new materials' covers copper materials",
    "generic 新材料 covers 铝材料": "the generic 'new materials' covers aluminium materials",
    "generic 新材料 covers 绿色建筑材料": (
        "the generic 'new materials' covers green building materials"
    ),
    "generic 新材料 covers 高性能合成材料": (
        "the generic 'new materials' covers high-performance synthetic materials"
    ),
    "grain and oil processing is 食品 (食品产业: 粮油精深加工)": (
        "grain and oil processing is food (the plan's food industry includes deep "
        "processing of grain and oil)"
    ),
    "grain and oil processing is also 农副食品加工": (
        "grain and oil processing is also agricultural food processing"
    ),
    "names 绿色建筑材料 (新型绿色建材)": (
        "names green building materials (new green building materials)"
    ),
    "专栏4 lists 装配式建筑 under 绿色建筑材料": (
        "plan Box 4 lists prefabricated buildings under green building materials"
    ),
    "names 新型建筑材料 (专栏4)": "names new building materials (plan Box 4)",
    "names 石材加工": "names stone processing",
    "names 印包": "names printing and packaging",
    "names 服装": "names apparel",
    "names 消费品": "names consumer goods",
    "names 农产品加工": "names farm product processing",
    "deep processing of farm products overlaps 食品": (
        "deep processing of farm products overlaps food"
    ),
    "专栏7 lists 中药产业 under 医药": (
        "plan Box 7 lists traditional Chinese medicine under pharmaceuticals"
    ),
    "食品产业 text names 肉制品": "the plan's food industry text names meat products",
    "meat processing is also 农副食品加工": (
        "meat processing is also agricultural food processing"
    ),
    "names 农副产品加工": "names agricultural product processing",
    "农副产品加工 overlaps 食品": "agricultural product processing overlaps food",
}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _evidence_en(evidence: str) -> str:
    if not _CJK.search(evidence):
        return evidence
    if evidence not in EVIDENCE_EN:
        raise WzgeoError(
            f"依据“{evidence}”没有英文说明，请在 EVIDENCE_EN 中补充。",
            f"evidence '{evidence}' has no English text; add it to EVIDENCE_EN.",
        )
    return EVIDENCE_EN[evidence]


def _phrase_en(phrase: str) -> str:
    if phrase not in PHRASE_EN:
        raise WzgeoError(
            f"专栏12 的重点产业“{phrase}”没有英文名称，请在 PHRASE_EN 中补充。",
            f"focus phrase '{phrase}' of 专栏12 has no English name; add it to PHRASE_EN.",
        )
    return PHRASE_EN[phrase]


_ZONE_RE = re.compile(
    r"<p>(?P<name>[^<：]+?)：(?:工业用地)?规划面积\s*(?P<km2>[\d.]+)\s*平方公里，"
    r"(?:重点发展)?(?P<focus>[^<]*?)(?:等产业)?[，。](?P<rest>[^<]*)</p>"
)


@dataclass(frozen=True)
class ZoneFocus:
    """One zone's entry of 专栏12."""

    name_zh: str
    planned_land_km2: float
    phrases: tuple[str, ...]
    sentence_zh: str


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name)


def parse_zone_focus(plan_text: str) -> list[ZoneFocus]:
    """Read the 13 zone entries of 专栏12 from the plan text.

    Parameters
    ----------
    plan_text
        The whole plan text.

    Returns
    -------
    list of ZoneFocus
        In the plan's order; names with spaces removed (``九龙园A区``).
    """
    start = plan_text.find("专栏 12")
    if start < 0:
        start = plan_text.find("专栏12")
    end = plan_text.find("专栏 13", start)
    if start < 0 or end < 0:
        raise WzgeoError(
            "规划文本中找不到“专栏12”，请检查所给文件是否为万州区制造业“十四五”规划。",
            "专栏12 not found in the plan text; check that the file is the Wanzhou plan.",
        )
    out: list[ZoneFocus] = []
    for m in _ZONE_RE.finditer(plan_text[start:end]):
        phrases = tuple(p.strip() for p in m.group("focus").split("、") if p.strip())
        sentence = _norm(m.group(0).removeprefix("<p>").removesuffix("</p>"))
        out.append(ZoneFocus(_norm(m.group("name")), float(m.group("km2")), phrases, sentence))
    return out


def derive_sector_fit(
    plan_text: str, *, zones: pd.DataFrame, sectors: pd.DataFrame
) -> pd.DataFrame:
    """Derive the sector × zone fit table from 专栏12 by the module's documented rule.

    Parameters
    ----------
    plan_text
        The plan text.
    zones
        Zones table with ``zone_id`` and ``name_zh`` (``name_en``, when given, names the
        zone in the English reason).
    sectors
        Sectors table with ``sector_id`` and ``parent_id`` (empty for top-level sectors;
        ``name_en``, when given, names sectors in the English reason).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FIT_COLUMNS`, one row per sector × zone, sorted by sector then zone
        in the order of the input tables.
    """
    focus = parse_zone_focus(plan_text)
    by_name = {
        _norm(str(n)): str(z) for z, n in zip(zones["zone_id"], zones["name_zh"], strict=True)
    }
    sector_ids = [str(s) for s in sectors["sector_id"]]
    zone_en = _names_en(zones, "zone_id")
    sector_en = _names_en(sectors, "sector_id")
    parent = {
        str(s): (str(p) if isinstance(p, str) and p else None)
        for s, p in zip(sectors["sector_id"], sectors["parent_id"].fillna(""), strict=True)
    }
    children: dict[str, list[str]] = {}
    for s, p in parent.items():
        if p:
            children.setdefault(p, []).append(s)

    # best[(sector, zone)] = (grade, phrase, evidence)
    best: dict[tuple[str, str], tuple[str, str, str]] = {}

    def offer(sector: str, zone: str, grade: str, phrase: str, evidence: str) -> None:
        if sector not in parent:
            raise WzgeoError(
                f"映射中的行业 {sector} 不在行业表中。",
                f"sector {sector} used by the phrase map is missing from the sectors table.",
            )
        old = best.get((sector, zone))
        if old is None or _GRADE_RANK[grade] < _GRADE_RANK[old[0]]:
            best[(sector, zone)] = (grade, phrase, evidence)

    sentences: dict[str, str] = {}
    for zf in focus:
        zone = by_name.get(zf.name_zh)
        if zone is None:
            raise WzgeoError(
                f"专栏12 的园区“{zf.name_zh}”不在园区表中。",
                f"zone '{zf.name_zh}' of 专栏12 is missing from the zones table.",
            )
        sentences[zone] = zf.sentence_zh
        for phrase in zf.phrases:
            if phrase not in PHRASE_SECTORS:
                raise WzgeoError(
                    f"专栏12 的重点产业“{phrase}”没有对应行业，请在 PHRASE_SECTORS 中补充。",
                    f"focus phrase '{phrase}' of 专栏12 has no sector mapping; add it to "
                    "PHRASE_SECTORS.",
                )
            for sector, grade, evidence in PHRASE_SECTORS[phrase]:
                offer(sector, zone, grade, phrase, evidence)
    # propagation along the hierarchy (rule 3)
    for (sector, zone), (grade, phrase, _ev) in list(best.items()):
        if grade != "primary":
            continue
        p = parent.get(sector)
        if p:
            offer(p, zone, "compatible", phrase, f"sub-sector {sector} is primary here")
        for c in children.get(sector, []):
            offer(c, zone, "compatible", phrase, f"parent sector {sector} is primary here")

    def evidence_en(evidence: str) -> str:
        for words, en in (("sub-sector ", "its sub-sector "), ("parent sector ", "its parent ")):
            if evidence.startswith(words) and evidence.endswith(" is primary here"):
                sid = evidence.removeprefix(words).removesuffix(" is primary here")
                name = sector_en.get(sid, sid)
                return f"{en}{name[:1].lower()}{name[1:]} is a focus industry here"
        return _evidence_en(evidence)

    focus_en = {
        by_name[zf.name_zh]: ", ".join(_phrase_en(p) for p in zf.phrases)
        for zf in focus
        if zf.name_zh in by_name
    }

    rows = []
    for sector in sector_ids:
        for zone in [str(z) for z in zones["zone_id"]]:
            sentence = sentences.get(zone, "")
            hit = best.get((sector, zone))
            if hit is None:
                rows.append(
                    (
                        sector,
                        zone,
                        "not_listed",
                        "",
                        f"专栏12 未列出该行业：“{sentence}”",
                        f"Plan Box 12 does not name this sector for {zone_en.get(zone, zone)} "
                        f"(its focus: {focus_en.get(zone) or 'none given'})",
                    )
                )
            else:
                grade, phrase, evidence = hit
                rows.append(
                    (
                        sector,
                        zone,
                        grade,
                        phrase,
                        f"专栏12：“{sentence}”（“{phrase}”）",
                        f"Plan Box 12 lists '{_phrase_en(phrase)}' for "
                        f"{zone_en.get(zone, zone)}: {evidence_en(evidence)}",
                    )
                )
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS)).astype("string")


def _names_en(table: pd.DataFrame, id_column: str) -> dict[str, str]:
    """``id → English name`` of a zones or sectors table (the id where none is given)."""
    if "name_en" not in table.columns:
        return {}
    return {
        str(i): str(n)
        for i, n in zip(table[id_column], table["name_en"], strict=True)
        if isinstance(n, str) and n.strip()
    }


def sector_fit_path() -> Path:
    """Path of the shipped fit table, ``geodata/sector_fit.csv``."""
    return geodata_dir() / "sector_fit.csv"


def write_sector_fit(fit: pd.DataFrame, path: str | Path) -> Path:
    """Write a fit table as UTF-8 CSV (the format :func:`load_sector_fit` reads)."""
    out = Path(path)
    fit.loc[:, list(FIT_COLUMNS)].to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    return out


def load_sector_fit(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the sector × zone fit table.

    Parameters
    ----------
    path
        CSV file; default ``geodata/sector_fit.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FIT_COLUMNS` as strings.

    Raises
    ------
    DataFileError
        Missing column, unknown grade, empty id or duplicate sector × zone pair.
    """
    p = Path(path) if path is not None else sector_fit_path()
    df = read_string_table(p, FIT_COLUMNS)
    for i, (s, z, g) in enumerate(zip(df["sector_id"], df["zone_id"], df["grade"], strict=True)):
        if not s or not z:
            raise DataFileError(
                p,
                "sector_id 和 zone_id 不能为空。",
                "sector_id and zone_id must not be empty.",
                row=i + 1,
                column="sector_id" if not s else "zone_id",
            )
        if g not in _GRADE_RANK:
            raise DataFileError(
                p,
                f"等级“{g}”无效，应为 primary、compatible 或 not_listed。",
                f"grade '{g}' is not one of primary, compatible, not_listed.",
                row=i + 1,
                column="grade",
            )
    dup = df.duplicated(["sector_id", "zone_id"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise DataFileError(
            p,
            f"行业 {df['sector_id'].iat[i]} × 园区 {df['zone_id'].iat[i]} 重复出现，请删除重复行。",
            f"sector {df['sector_id'].iat[i]} × zone {df['zone_id'].iat[i]} appears twice; "
            "delete the duplicate.",
            row=i + 1,
        )
    return df.loc[:, list(FIT_COLUMNS)].reset_index(drop=True)


def fit_for_sector(fit: pd.DataFrame, sector_id: str) -> pd.DataFrame:
    """Rows of ``fit`` for one sector, one per zone.

    Raises
    ------
    WzgeoError
        When the sector is not in the table.
    """
    rows = fit.loc[fit["sector_id"] == sector_id]
    if rows.empty:
        known = ", ".join(sorted(set(fit["sector_id"].astype(str))))
        raise WzgeoError(
            f"未知行业“{sector_id}”。可用：{known}",
            f"unknown sector '{sector_id}'. Known sectors: {known}",
        )
    return rows.reset_index(drop=True)


def fit_grade(sector_id: str, zone_id: str, *, fit: pd.DataFrame | None = None) -> str:
    """The grade of one sector in one zone (``not_listed`` when the pair is absent).

    Parameters
    ----------
    sector_id, zone_id
        Ids.
    fit
        Fit table; default :func:`load_sector_fit`.
    """
    table = fit if fit is not None else load_sector_fit()
    rows = fit_for_sector(table, sector_id)
    hit = rows.loc[rows["zone_id"] == zone_id, "grade"]
    return str(hit.iat[0]) if len(hit) else "not_listed"

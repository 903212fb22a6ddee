"""Targets and baselines stated in the plan's running text, with their sections.

The prose states numbers (2025 output targets per industry, the 2020 baseline, land and
investment figures); :func:`parse_targets` finds them as written, each with the section it
stands in (:func:`line_sections`). Nothing is corrected here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wzgeo.plan.text import CN_NUMERALS, normalize_text

__all__ = ["TargetStatement", "line_sections", "parse_targets"]


# --------------------------------------------------------------------------------------
# targets and baselines stated in the text
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetStatement:
    """A number stated in the running text, with where it was found.

    Attributes
    ----------
    metric
        ASCII key of what is measured (``output_total_yi``, ``sector_output_yi``, ...).
    year
        The year it refers to, or ``None``.
    value
        The number, in ``unit``.
    unit
        ``亿元``, ``km2``, ``亿元/km2``, ``m2`` or ``个``.
    comparator
        ``=``, ``>=`` (以上) or ``>`` (超过).
    kind
        ``target`` or ``baseline``.
    subject_zh
        What the number is about, as written (``新材料``, ``经开区``, ``全区``).
    quote_zh
        The phrase as written.
    section
        The plan section the phrase is in.
    line
        1-based line number.
    """

    metric: str
    year: int | None
    value: float
    unit: str
    comparator: str
    kind: str
    subject_zh: str
    quote_zh: str
    section: str
    line: int


_CHAPTER = re.compile(rf"^[{CN_NUMERALS}]+、\S")
_SECTION = re.compile(rf"^[（(][{CN_NUMERALS}]+[)）]\s*\S")
_SUBSECTION = re.compile(r"^\d+\s*[.．]\s*\S")


def line_sections(lines: Sequence[str]) -> list[str]:
    """For each line, the plan section it belongs to (``chapter > section > subsection``).

    Parameters
    ----------
    lines
        The text's lines.

    Returns
    -------
    list of str
        One entry per line (``""`` before the first chapter heading).
    """
    chapter = section = subsection = ""
    out: list[str] = []
    for raw in lines:
        s = raw.strip()
        if s and not s.startswith("|") and len(s) <= 40:
            if _CHAPTER.match(s):
                chapter, section, subsection = normalize_text(s), "", ""
            elif _SECTION.match(s):
                section, subsection = normalize_text(s), ""
            elif _SUBSECTION.match(s):
                subsection = normalize_text(s)
            elif re.match(r"^专栏\s*\d+", s):
                pass
        out.append(" > ".join(p for p in (chapter, section, subsection) if p))
    return out


# (metric, kind, unit, regex, groups) — groups name which capture holds year/value/subject
_TARGET_PATTERNS: tuple[tuple[str, str, str, str], ...] = (
    (
        "output_total_yi",
        "target",
        "亿元",
        r"到\s*(?P<year>20\d\d)\s*年实现规上工业产值\s*(?P<value>\d+(?:\.\d+)?)\s*亿元",
    ),
    (
        "output_total_yi",
        "target",
        "亿元",
        r"展望至\s*(?P<year>20\d\d)\s*年规模以上工业产值达到\s*(?P<value>\d+(?:\.\d+)?)\s*亿元",
    ),
    (
        "fixed_investment_cum_yi",
        "target",
        "亿元",
        r"累计完成工业固定资产投资\s*(?P<value>\d+(?:\.\d+)?)\s*亿元",
    ),
    (
        "sector_output_yi",
        "target",
        "亿元",
        r"到\s*(?P<year>20\d\d)\s*年\s*[，,]\s*(?P<subject>[\u4e00-\u9fff]+?)产业产值达到\s*"
        r"(?P<value>\d+(?:\.\d+)?)\s*亿元(?P<ge>以上)?",
    ),
    (
        "output_total_yi",
        "baseline",
        "亿元",
        r"(?P<year>20\d\d)\s*年\s*[，,]\s*(?P<subject>全区)完成规上工业产值\s*"
        r"(?P<value>\d+(?:\.\d+)?)\s*亿元",
    ),
    (
        "etdz_output_yi",
        "baseline",
        "亿元",
        r"(?P<subject>经开区)[^。]*?。\s*(?P<year>20\d\d)\s*年\s*[，,]\s*规上工业企业完成产值\s*"
        r"(?P<value>\d+(?:\.\d+)?)\s*亿元",
    ),
    (
        "etdz_builtup_km2",
        "baseline",
        "km2",
        r"建成区面积由\s*(?P<value0>\d+(?:\.\d+)?)\s*平方公里增加至\s*(?P<value>\d+(?:\.\d+)?)\s*平方公里",
    ),
    (
        "standard_factory_floor_m2",
        "target",
        "m2",
        r"标准厂房约\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<wan>万)?平方米",
    ),
    (
        "project_count",
        "target",
        "个",
        r"策划重点项目\s*(?P<value>\d+)\s*个[，,]\s*计划总投资\s*(?P<inv>\d+(?:\.\d+)?)\s*亿元[，,]\s*"
        r"预计实现产值超过\s*(?P<out>\d+(?:\.\d+)?)\s*亿元",
    ),
)
_LAND_TARGET = re.compile(
    r"(?:到|展望到)\s*(?P<year>20\d\d)\s*年\s*[，,]\s*全区工业用地达到\s*(?P<land>\d+(?:\.\d+)?)\s*"
    r"(?:km²|km2|平方公里)\s*[，,]\s*地均产出达到\s*(?P<int>\d+(?:\.\d+)?)\s*亿(?:元)?\s*/\s*(?:km²|km2)"
)


def parse_targets(lines: Sequence[str]) -> list[TargetStatement]:
    """Find the targets and baselines stated in the running text.

    The phrases searched for are the plan's own wording (e.g. ``到 2025 年，新材料产业产值达到
    300 亿元``); the numbers are read from the text, never assumed.

    Returns
    -------
    list of TargetStatement
        In text order (then pattern order).
    """
    secs = line_sections(lines)
    found: list[TargetStatement] = []
    for i, text in enumerate(lines):
        if text.lstrip().startswith("|"):
            continue

        def add(
            metric: str,
            year: int | None,
            value: float,
            unit: str,
            comparator: str,
            kind: str,
            subject: str,
            quote: str,
            i: int = i,
        ) -> None:
            found.append(
                TargetStatement(
                    metric, year, value, unit, comparator, kind, subject, quote, secs[i], i + 1
                )
            )

        for metric, kind, unit, pattern in _TARGET_PATTERNS:
            for m in re.finditer(pattern, text):
                g = m.groupdict()
                year = int(g["year"]) if g.get("year") else None
                value = float(g["value"])
                subject = g.get("subject") or "全区"
                comparator = ">=" if g.get("ge") else "="
                quote = normalize_text(m.group(0))
                if metric == "standard_factory_floor_m2" and g.get("wan"):
                    value *= 10000.0
                if metric == "fixed_investment_cum_yi":
                    year = 2025
                if metric == "etdz_builtup_km2":
                    # "由 20 平方公里增加至 25.5 平方公里" during 十三五: 2015 → 2020
                    add(metric, 2015, float(g["value0"]), unit, "=", kind, "经开区", quote)
                    year, subject = 2020, "经开区"
                if metric == "project_count":
                    subject, year = "重点项目库", 2025
                    inv, out = float(g["inv"]), float(g["out"])
                    add("project_investment_yi", year, inv, "亿元", "=", kind, subject, quote)
                    add("project_output_yi", year, out, "亿元", ">", kind, subject, quote)
                add(metric, year, value, unit, comparator, kind, subject, quote)
        for m in _LAND_TARGET.finditer(text):
            year = int(m.group("year"))
            quote = normalize_text(m.group(0))
            land, intensity = float(m.group("land")), float(m.group("int"))
            add("industrial_land_km2", year, land, "km2", "=", "target", "全区", quote)
            add(
                "land_intensity_yi_per_km2",
                year,
                intensity,
                "亿元/km2",
                "=",
                "target",
                "全区",
                quote,
            )
    return found

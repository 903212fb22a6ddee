"""Rows of the projects table: the working row, its id, and its record with flags.

A :class:`ProjectRow` holds one project's cells as written (after any repair); the
repairs in :mod:`wzgeo.plan.repairs` change rows, :func:`assign_ids` gives them their ids and
:func:`project_record` parses the cells into the typed values of ``projects.csv``, flagging
(never guessing) what does not parse or is implausible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wzgeo.plan.placenames import find_places, zone_patterns
from wzgeo.plan.quality import Findings, Flag
from wzgeo.plan.schema import PROJECT_CODES
from wzgeo.plan.text import parse_land, parse_numbers, parse_year_ranges

__all__ = [
    "MISSING_NAME",
    "MONEY_FIELDS",
    "PLAN_END_YEAR",
    "STATUS_TO_STAGE",
    "TAX_OUTPUT_MAX",
    "ProjectRow",
    "assign_ids",
    "project_record",
    "status_stage",
]

#: Placeholder for a project name lost in the conversion (never invented).
MISSING_NAME = "（原文缺失）"
#: The plan period ends in this year.
PLAN_END_YEAR = 2025
#: Tax above this share of output is implausible for a manufacturing project (the appendix's
#: median is about 0.05, its next-highest value 0.25).
TAX_OUTPUT_MAX = 0.30
#: 项目进展情况 as written → stage.
STATUS_TO_STAGE: dict[str, str] = {
    "策划": "planning",
    "跟踪": "tracking",
    "在谈": "negotiating",
    "签约": "signed",
    "已签约": "signed",
    "在建": "building",
    "投产": "operating",
}
#: The money cells of a project (亿元), in appendix column order.
MONEY_FIELDS: tuple[str, ...] = ("investment", "output", "tax")


@dataclass
class ProjectRow:
    """One project as written in the appendix (cells as text), during reconciliation.

    Attributes
    ----------
    sector, subsector, sector_id
        The headings the row stands under, and the finest sector id they map to.
    seq
        Sequence number within its block.
    name, content, years, investment, output, tax, land, status, remark
        The cells (name and content normalized).
    line
        1-based source line.
    flags
        Quality flag codes gathered so far.
    project_id
        Set by :func:`assign_ids`.
    """

    sector: str
    subsector: str
    sector_id: str
    seq: int
    name: str
    content: str
    years: str
    investment: str
    output: str
    tax: str
    land: str
    status: str
    remark: str
    line: int
    flags: list[str] = field(default_factory=list)
    project_id: str = ""


def status_stage(status: str) -> str:
    """The stage (:data:`wzgeo.plan.schema.STAGES`) of a status cell, ``""`` if unknown."""
    return STATUS_TO_STAGE.get(status.strip(), "")


def assign_ids(rows: Sequence[ProjectRow]) -> None:
    """Set each row's ``project_id``: its sector code and sequence number (``NM-CU-01``).

    Parameters
    ----------
    rows
        Changed in place (they are the reconciliation's working rows).
    """
    for r in rows:
        code = PROJECT_CODES.get(r.sector_id, r.sector_id.upper() or "XX")
        r.project_id = f"{code}-{r.seq:02d}"


def _parse_years(r: ProjectRow, flag: Callable[[str, str], None]) -> tuple[int | None, int | None]:
    yrs = parse_year_ranges(r.years)
    if len(yrs) != 1:
        flag("years_unparsed", f"years cell '{r.years}'")
        return None, None
    start, end = yrs[0]
    if start > end:
        flag("year_order", f"start {start} after end {end}")
    if end > PLAN_END_YEAR:
        flag(
            "ends_after_plan_period",
            f"planned years '{r.years}' end after the plan period (2021–"
            f"{PLAN_END_YEAR}); kept as written",
        )
    return start, end


def _parse_money(r: ProjectRow, flag: Callable[[str, str], None]) -> dict[str, float | None]:
    money: dict[str, float | None] = {}
    for m in MONEY_FIELDS:
        nums = parse_numbers(getattr(r, m))
        money[m] = nums[0] if len(nums) == 1 else None
        if len(nums) != 1:
            flag(f"{m}_unparsed", f"cell '{getattr(r, m)}'")
    out_v, tax_v = money["output"], money["tax"]
    if out_v and tax_v is not None and tax_v / out_v > TAX_OUTPUT_MAX:
        flag(
            "tax_output_implausible",
            f"tax {tax_v:.2f} is {tax_v / out_v:.0%} of output {out_v:.2f} 亿元 (above "
            f"{TAX_OUTPUT_MAX:.0%}; the appendix's median is about 5%); kept as written, "
            "unverified",
        )
    return money


def _parse_land(
    r: ProjectRow, flags: list[str], flag: Callable[[str, str], None]
) -> tuple[float | None, float | None]:
    lands = parse_land(r.land)
    if len(lands) == 1:
        lv = lands[0]
        if lv.kind == "mu":
            return lv.value, None
        if lv.kind == "m2":
            return None, lv.value
        flags.append("uses_existing_land")
        return 0.0, None
    if r.land.strip():
        flag("land_unparsed", f"land cell '{r.land}'")
    return None, None


#: Flags set by the repairs that are reported as well (code → detail).
_REPAIR_FLAG_DETAILS: dict[str, str] = {
    "content_missing": "the content of this row is lost in the text",
    "content_candidate_in_neighbour": (
        "a sentence of a neighbouring row fits this name better; see the notes; not moved"
    ),
    "name_missing": f"the name is lost in the text; shown as {MISSING_NAME}",
    "name_content_mismatch": (
        "the content shares no words with the name but fits a neighbouring row; "
        "not repaired (no run of shifted rows)"
    ),
}


def project_record(r: ProjectRow, findings: Findings, zones: pd.DataFrame | None) -> dict[str, Any]:
    """Parse one row into its ``projects.csv`` record, flagging what is wrong.

    Parameters
    ----------
    r
        The row, with its ``project_id``.
    findings
        Each flag is also added here, with its detail.
    zones
        The zones table, to recognise the zone a text names; ``None``: no zone assigned.

    Returns
    -------
    dict
        Keys :data:`wzgeo.plan.schema.PROJECT_COLUMNS`; values as Python objects.
    """
    flags = list(r.flags)
    pid = r.project_id

    def report(code: str, detail: str) -> None:
        findings.flags.append(Flag(pid, code, detail, r.line))

    def flag(code: str, detail: str) -> None:
        flags.append(code)
        report(code, detail)

    start, end = _parse_years(r, flag)
    money = _parse_money(r, flag)
    land_mu, floor_m2 = _parse_land(r, flags, flag)
    stage = status_stage(r.status)
    if not stage:
        flag("stage_unknown", f"status '{r.status}'")
    for what, text in (("name", r.name), ("content", r.content)):
        for dup in re.finditer(r"([\u4e00-\u9fff]{2,4})\1", text):
            flag(
                "duplicated_text",
                f"'{dup.group(0)}' in the {what} (a word written twice; kept as written)",
            )
    for code, detail in _REPAIR_FLAG_DETAILS.items():
        if code in flags:
            report(code, detail)
    zone_id = zone_source = ""
    candidates: list[str] = []
    text = "\n".join((r.name, r.content, r.remark))
    zids, cands, others = find_places(text, zone_patterns(zones))
    if len(zids) == 1 and not cands:
        zone_id, zone_source = zids[0], "plan_text"
    elif zids or cands:
        candidates = sorted(set(zids) | set(cands))
        zone_source = "plan_text_ambiguous"
        flag(
            "zone_ambiguous",
            f"the text names a place that fits several zones ({';'.join(candidates)}); "
            "zone_id left empty",
        )
    if others:
        flag(
            "place_not_zone",
            "the text names " + "、".join(others) + ", which is not one of the 13 zones of "
            "专栏12; not mapped to a zone",
        )
    return {
        "project_id": pid,
        "sector": r.sector,
        "subsector": r.subsector,
        "sector_id": r.sector_id,
        "seq": r.seq,
        "name_zh": r.name,
        "content_zh": r.content,
        "start_year": start,
        "end_year": end,
        "investment_yi": money["investment"],
        "output_yi": money["output"],
        "tax_yi": money["tax"],
        "land_mu": land_mu,
        "floor_m2": floor_m2,
        "land_raw": r.land,
        "status_zh": r.status,
        "stage": stage,
        "zone_id": zone_id,
        "zone_candidates": ";".join(candidates),
        "zone_source": zone_source,
        "place_mentions": ";".join(others),
        "quality_flags": ";".join(dict.fromkeys(flags)),
        "source_line": r.line,
    }

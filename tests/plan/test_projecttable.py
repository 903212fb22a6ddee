"""Tests for wzgeo.plan.projecttable (ids, records and their quality flags)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from wzgeo.plan.projecttable import ProjectRow, assign_ids, project_record, status_stage
from wzgeo.plan.quality import Findings
from wzgeo.plan.schema import FLAG_CODES, PROJECT_COLUMNS

ROW = ProjectRow(
    sector="汽车",
    subsector="",
    sector_id="auto",
    seq=3,
    name="年产10万套汽车座椅项目",
    content="建设汽车座椅生产线。",
    years="2021-2023",
    investment="5.00",
    output="10.00",
    tax="0.50",
    land="100亩",
    status="在建",
    remark="",
    line=42,
)


def _record(**changes: object) -> tuple[dict[str, object], Findings]:
    row = replace(ROW, **changes)  # type: ignore[arg-type]
    assign_ids([row])
    findings = Findings()
    return project_record(row, findings, None), findings


def test_clean_row_has_no_flags() -> None:
    rec, findings = _record()
    assert list(rec) == list(PROJECT_COLUMNS)
    assert rec["project_id"] == "AU-03"
    assert (rec["start_year"], rec["end_year"], rec["land_mu"], rec["stage"]) == (
        2021,
        2023,
        100.0,
        "building",
    )
    assert rec["quality_flags"] == "" and findings.flags == []


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"years": "2023-2021"}, "year_order"),
        ({"years": "2024-2026"}, "ends_after_plan_period"),
        ({"years": "近期"}, "years_unparsed"),
        ({"tax": "5.00"}, "tax_output_implausible"),
        ({"output": "10 12"}, "output_unparsed"),
        ({"land": "若干"}, "land_unparsed"),
        ({"status": "完成"}, "stage_unknown"),
        ({"name": "汽车座椅座椅项目"}, "duplicated_text"),
        ({"flags": ["name_missing"]}, "name_missing"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_problem_is_flagged_on_the_row_and_reported(
    changes: dict[str, object], flag: str
) -> None:
    rec, findings = _record(**changes)
    assert flag in FLAG_CODES
    assert flag in str(rec["quality_flags"]).split(";")
    assert [(f.project_id, f.flag, f.line) for f in findings.flags] == [("AU-03", flag, 42)]


def test_existing_land_is_zero_and_flagged_but_not_reported() -> None:
    rec, findings = _record(land="0")  # 0: uses land it already has
    assert rec["land_mu"] == 0.0 and rec["quality_flags"] == "uses_existing_land"
    assert findings.flags == []


def test_unknown_sector_code_and_stage() -> None:
    row = replace(ROW, sector_id="")
    assign_ids([row])
    assert row.project_id == "XX-03"
    assert status_stage(" 已签约 ") == "signed" and status_stage("?") == ""

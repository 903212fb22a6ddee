"""Tests for wzgeo.plan.reconcile: fixtures with each kind of damage, the whole plan, and damage
planted elsewhere in the plan (the checks must be generic).

The repairs (wzgeo.plan.repairs, wzgeo.plan.appendix) and cross-checks (wzgeo.plan.crosschecks) are
tested
here through :func:`reconcile`, on the fixtures they are meant for."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wzgeo.paths import seed_plan_path
from wzgeo.plan.data import build_zones, load_sectors
from wzgeo.plan.parse import ParsedPlan, parse_appendix, parse_plan
from wzgeo.plan.reconcile import (
    MISSING_NAME,
    PROJECT_COLUMNS,
    STAGES,
    QualityReport,
    reconcile,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "planparse"


@pytest.fixture(scope="module")
def sectors() -> pd.DataFrame:
    return load_sectors()


@pytest.fixture(scope="module")
def seed_text() -> str:
    return seed_plan_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def zones(seed_text: str, sectors: pd.DataFrame) -> pd.DataFrame:
    return build_zones(parse_plan(seed_text), sectors=sectors)


@pytest.fixture(scope="module")
def whole(seed_text: str, sectors: pd.DataFrame, zones: pd.DataFrame):  # type: ignore[no-untyped-def]
    return reconcile(parse_plan(seed_text), sectors=sectors, zones=zones)


def _fixture(
    name: str, sectors: pd.DataFrame, zones: pd.DataFrame
) -> tuple[pd.DataFrame, QualityReport]:
    lines = tuple((FIXTURES / name).read_text(encoding="utf-8").split("\n"))
    parsed = ParsedPlan(lines, (), (), tuple(parse_appendix(lines)), ())
    return reconcile(parsed, sectors=sectors, zones=zones)


def _kinds(report: QualityReport) -> list[str]:
    return [c.kind for c in report.corrections]


def _row(projects: pd.DataFrame, pid: str) -> pd.Series:
    hit = projects[projects["project_id"] == pid]
    assert len(hit) == 1, pid
    return hit.iloc[0]


# ---- fixtures -------------------------------------------------------------------------


def test_normal_table_needs_no_repair(sectors: pd.DataFrame, zones: pd.DataFrame) -> None:
    projects, report = _fixture("normal_table.txt", sectors, zones)
    assert list(projects.columns) == list(PROJECT_COLUMNS)
    assert list(projects["project_id"]) == ["NM-CU-01", "NM-CU-02", "GL-01"]
    assert report.corrections == []
    assert report.mismatches == []
    first = _row(projects, "NM-CU-01")
    assert first["name_zh"] == "年产2万吨高精度铜带项目"
    assert (first["land_mu"], first["stage"]) == (100.0, "negotiating")
    assert pd.isna(first["floor_m2"])
    second = _row(projects, "NM-CU-02")
    assert second["land_mu"] == 0.0 and "uses_existing_land" in second["quality_flags"]
    assert second["stage"] == "signed"  # 已签约
    lamp = _row(projects, "GL-01")
    assert lamp["floor_m2"] == 10000.0 and pd.isna(lamp["land_mu"])
    assert (lamp["zone_id"], lamp["zone_source"]) == ("wuqiao", "plan_text")


def test_merged_row_is_split_and_lost_name_not_invented(
    sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    projects, report = _fixture("merged_row.txt", sectors, zones)
    assert list(projects["project_id"]) == ["FP-FD-01", "FP-FD-02", "FP-FD-03"]
    a, b = _row(projects, "FP-FD-02"), _row(projects, "FP-FD-03")
    assert (a["start_year"], a["end_year"], a["investment_yi"], a["land_mu"]) == (
        2023,
        2024,
        1.6,
        30.0,
    )
    assert (b["start_year"], b["end_year"], b["investment_yi"], b["land_mu"]) == (
        2023,
        2025,
        12.0,
        200.0,
    )
    assert (a["stage"], b["stage"]) == ("tracking", "planning")
    assert a["name_zh"] == "年产5万吨健康休闲食品项目"
    assert b["name_zh"] == MISSING_NAME
    assert "name_missing" in b["quality_flags"]
    assert a["content_zh"].startswith("建设各种食品生产线8条")
    assert b["content_zh"].startswith("建设6条饮料生产线")
    assert "merged_row_split" in _kinds(report)
    assert "subtotal_label_detached" in _kinds(report)
    counts = {(c.scope, c.stage): c for c in report.checks if c.field == "count"}
    assert counts[("食品医药/食品", "as_printed")].status == "mismatch"
    assert counts[("食品医药/食品", "as_printed")].computed == 2
    assert counts[("食品医药/食品", "after_repair")].status == "ok"
    sums = [c for c in report.checks if c.stage == "after_repair" and c.field.endswith("_yi")]
    assert sums and all(c.status == "ok" for c in sums)


def test_shifted_contents_move_down_with_evidence(
    sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    projects, report = _fixture("shifted_row.txt", sectors, zones)
    content = dict(zip(projects["project_id"], projects["content_zh"], strict=True))
    assert "智能家居" in content["EI-01"]  # untouched
    assert content["EI-02"] == ""  # its own content is lost
    assert "智能小家电" in content["EI-03"]
    assert "被动元件" in content["EI-04"]
    assert "机顶盒" in content["EI-05"]
    flags = dict(zip(projects["project_id"], projects["quality_flags"], strict=True))
    assert "content_missing" in flags["EI-02"]
    assert "tax_output_implausible" in flags["EI-02"]  # 1.30 of 3.00
    assert all("content_shifted_repaired" in flags[p] for p in ("EI-03", "EI-04", "EI-05"))
    shift = [c for c in report.corrections if c.kind == "content_shift"]
    assert len(shift) == 1
    assert shift[0].project_ids == ("EI-02", "EI-03", "EI-04", "EI-05")
    assert any("better than its own name" in e for e in shift[0].evidence)
    # numbers stay with their names
    assert _row(projects, "EI-05")["investment_yi"] == 2.0
    # detached label after the table
    assert "subtotal_label_detached" in _kinds(report)


def test_shifted_subtotal_is_realigned_and_rounding_difference_reported(
    sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    projects, report = _fixture("shifted_subtotal.txt", sectors, zones)
    fix = [c for c in report.corrections if c.kind == "subtotal_columns_shifted"]
    assert len(fix) == 1
    assert fix[0].before == {"investment": None, "output": 1.3, "tax": 3.5}
    assert fix[0].after == {"investment": 1.3, "output": 3.5, "tax": 0.41}
    after = {c.field: c for c in report.checks if c.stage == "after_repair"}
    assert after["investment_yi"].status == "ok"
    assert after["tax_yi"].status == "mismatch"
    assert (after["tax_yi"].stated, after["tax_yi"].computed) == (0.41, 0.4)
    printed = {c.field: c for c in report.checks if c.stage == "as_printed"}
    assert printed["investment_yi"].status == "missing"
    flags = dict(zip(projects["project_id"], projects["quality_flags"], strict=True))
    assert "ends_after_plan_period" in flags["EQ-02"]
    assert "uses_existing_land" in flags["EQ-01"]


# ---- the whole plan -------------------------------------------------------------------


def test_whole_plan_counts(whole) -> None:  # type: ignore[no-untyped-def]
    projects, report = whole
    assert len(projects) == 135
    per_sector = projects.groupby("sector", sort=False).size().to_dict()
    assert per_sector == {
        "新材料": 33,
        "食品医药": 33,
        "汽车制造": 22,
        "绿色照明": 14,
        "装备制造": 23,
        "电子信息": 10,
    }
    per_sub = projects[projects["subsector"] != ""].groupby("subsector", sort=False).size()
    assert per_sub.to_dict() == {
        "铜材料": 14,
        "铝材料": 8,
        "绿色建筑材料": 6,
        "高性能合成材料": 5,
        "食品": 18,
        "医药": 15,
    }
    assert projects["project_id"].is_unique
    assert set(projects["stage"]) <= set(STAGES)
    counts = [c for c in report.checks if c.field == "count" and c.stage == "after_repair"]
    assert len(counts) >= 13 and all(c.status == "ok" for c in counts)


def test_whole_plan_subtotals_and_total(whole) -> None:  # type: ignore[no-untyped-def]
    projects, report = whole
    after = {
        (c.scope, c.field): c
        for c in report.checks
        if c.stage == "after_repair" and c.field.endswith("_yi")
    }
    total_inv = after[("合计", "investment_yi")]
    assert (total_inv.stated, total_inv.computed, total_inv.status) == (1175.5, 1175.5, "ok")
    total_tax = after[("合计", "tax_yi")]
    assert total_tax.stated == 146.52 and total_tax.status == "mismatch"
    assert total_tax.computed == pytest.approx(float(projects["tax_yi"].sum()), abs=0.001)
    eq_inv = next(
        c for (s, f), c in after.items() if s.startswith("装备制造") and f == "investment_yi"
    )
    assert (eq_inv.stated, eq_inv.status) == (131.65, "ok")
    # every sector has a subtotal check
    scopes = {s.split("（")[0] for s, _ in after}
    assert {"新材料", "食品医药", "汽车制造", "绿色照明", "装备制造", "电子信息"} <= scopes


def test_whole_plan_corrections(whole) -> None:  # type: ignore[no-untyped-def]
    projects, report = whole
    kinds = _kinds(report)
    assert kinds.count("subtotal_label_detached") == 3
    assert kinds.count("subtotal_columns_shifted") == 1
    assert kinds.count("merged_row_split") == 1
    assert kinds.count("content_shift") == 1
    assert all(c.evidence for c in report.corrections)
    fd18 = _row(projects, "FP-FD-18")
    assert fd18["name_zh"] == MISSING_NAME and fd18["investment_yi"] == 12.0
    content = dict(zip(projects["project_id"], projects["content_zh"], strict=True))
    # row 5's own sentence stood at the end of row 4's cell, where the shift begins
    laser = "建设窄线宽波长可调激光器和窄线长扫描激光器核心技术产品为主的自动化生产项目。"
    assert content["EI-05"] == laser
    assert laser not in content["EI-04"]
    assert "智能小家电" in content["EI-06"]
    assert "被动元件" in content["EI-07"]
    assert "芯片" in content["EI-08"]
    assert "机顶盒" in content["EI-09"]
    assert "PCB" in content["EI-10"]
    assert "高纯金属" in content["EI-04"]  # row 4 keeps its own text
    ei05 = _row(projects, "EI-05")["quality_flags"]
    assert "content_missing" not in ei05 and "tax_output_implausible" in ei05
    assert "content_candidate_in_neighbour" not in ei05
    shift = next(c for c in report.corrections if c.kind == "content_shift")
    assert shift.project_ids[:2] == ("EI-04", "EI-05")
    assert shift.after["EI-05"] == laser and laser not in shift.after["EI-04"]
    assert laser in shift.before["4"]  # the text as printed, kept in the record
    assert any("last sentence of row 4" in e and "0.67" in e for e in shift.evidence)


def test_whole_plan_zones_only_where_stated(whole) -> None:  # type: ignore[no-untyped-def]
    projects, _ = whole
    placed = projects[projects["zone_id"] != ""]
    assert list(placed["project_id"]) == ["FP-FD-04"]  # 位于高峰园
    assert _row(projects, "FP-FD-04")["zone_id"] == "gaofeng"
    al = _row(projects, "NM-AL-01")  # 位于九龙园 (A or B not said)
    assert al["zone_id"] == "" and al["zone_candidates"] == "jiulong_a;jiulong_b"
    assert "zone_ambiguous" in al["quality_flags"]
    eq3 = _row(projects, "EQ-03")
    assert eq3["zone_id"] == "" and "光电园" in eq3["place_mentions"]
    assert "place_not_zone" in eq3["quality_flags"]


def test_whole_plan_other_flags(whole) -> None:  # type: ignore[no-untyped-def]
    projects, report = whole
    flags = dict(zip(projects["project_id"], projects["quality_flags"], strict=True))
    assert "ends_after_plan_period" in flags["FP-PH-05"]  # 2022-2026
    assert "duplicated_text" in flags["NM-BM-04"]  # 年产年产
    assert _row(projects, "NM-BM-04")["content_zh"].count("年产年产") == 1  # kept as written
    zero = projects[projects["land_raw"] == "0"]
    assert len(zero) > 0
    assert (zero["land_mu"] == 0.0).all()
    assert zero["quality_flags"].str.contains("uses_existing_land").all()
    text_check = next(c for c in report.checks if c.field == "output_total_yi_2020")
    assert (text_check.stated, text_check.computed, text_check.status) == (332.2, 332.3, "mismatch")


def test_report_serialises_and_lists_every_difference(whole) -> None:  # type: ignore[no-untyped-def]
    _, report = whole
    data = json.loads(report.to_json())
    assert set(data) == {"source", "summary", "checks", "corrections", "flags", "notes"}
    assert len(data["checks"]) == len(report.checks)
    md = report.to_markdown()
    for c in report.corrections:
        assert c.correction_id in md
    for f in report.flags:
        assert f"| {f.project_id} | {f.flag} |" in md
    for c in report.mismatches:
        assert f"| {c.scope} | {c.field} | {c.stage} |" in md
    assert "146.52" in md and "146.54" in md


# ---- damage planted elsewhere: the checks are generic --------------------------------


def _replace_line(text: str, startswith: str, new: str) -> str:
    lines = text.split("\n")
    i = next(k for k, ln in enumerate(lines) if ln.startswith(startswith))
    lines[i] = new
    return "\n".join(lines)


def test_planted_content_shift_in_copper_is_found(
    seed_text: str, sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    # contents of copper rows 10, 11 and 12 slip one row up (row 9's own text is lost, row 12
    # is left empty): the repair moves them back down and leaves row 9 empty
    lines = seed_text.split("\n")
    idx = {
        int(ln.split("|")[1]): k
        for k, ln in enumerate(lines)
        if ln.startswith("| ")
        and ln.split("|")[1].strip() in ("9", "10", "11", "12")
        and k < lines.index(next(x for x in lines if x.startswith("| (二) 铝材料")))
        and k > lines.index(next(x for x in lines if x.startswith("| (一) 铜材料")))
    }
    cells = {s: lines[k].split("|") for s, k in idx.items()}
    originals = {s: c[3] for s, c in cells.items()}
    for s in (9, 10, 11):
        cells[s][3] = originals[s + 1]
    cells[12][3] = " "
    for s, k in idx.items():
        lines[k] = "|".join(cells[s])
    projects, report = reconcile(parse_plan("\n".join(lines)), sectors=sectors, zones=zones)
    shift = [c for c in report.corrections if c.kind == "content_shift"]
    assert any(c.project_ids[0] == "NM-CU-09" for c in shift)
    content = dict(zip(projects["project_id"], projects["content_zh"], strict=True))
    assert content["NM-CU-09"] == ""
    assert "磷铜" in content["NM-CU-10"]
    assert "覆铜板" in content["NM-CU-11"]
    assert "铜水管" in content["NM-CU-12"]


def test_planted_merged_row_in_auto_is_split(
    seed_text: str, sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    merged = (
        "| 21 | 汽车电动空调生产线项目 | 建设年产30万台汽车电动空调和压缩机生产线。 "
        "建设年产30万台汽车电动助力转向系统生产线。 | 2023-2025 2023-2025 | 2.00 5.00 | "
        "3.50 6.00 | 0.18 0.30 | 150亩 150亩 | 策划 策划 | |"
    )
    text = _replace_line(seed_text, "| 21 | 汽车电动空调", merged)
    text = _replace_line(text, "| 22 | 汽车电动助力", "")
    projects, report = reconcile(parse_plan(text), sectors=sectors, zones=zones)
    assert (projects["sector"] == "汽车制造").sum() == 22
    au22 = _row(projects, "AU-22")
    assert au22["name_zh"] == MISSING_NAME and au22["investment_yi"] == 5.0
    assert any(
        c.kind == "merged_row_split" and "AU-22" in c.project_ids for c in report.corrections
    )


def test_planted_subtotal_shift_in_lighting_is_realigned(
    seed_text: str, sectors: pd.DataFrame, zones: pd.DataFrame
) -> None:
    text = _replace_line(
        seed_text, "| 绿色照明小计", "| 绿色照明小计 | | | | | 38.30 | 69.00 | 3.14 | | |"
    )
    _, report = reconcile(parse_plan(text), sectors=sectors, zones=zones)
    fix = [c for c in report.corrections if c.kind == "subtotal_columns_shifted"]
    assert len(fix) == 2
    gl = [c for c in report.checks if c.scope.startswith("绿色照明") and c.stage == "after_repair"]
    assert gl and all(c.status == "ok" for c in gl)

"""Tests for wzgeo.plan.targets (targets and baselines stated in the running text)."""

from __future__ import annotations

import pytest

from wzgeo.paths import seed_plan_path
from wzgeo.plan.targets import TargetStatement, line_sections, parse_targets


@pytest.fixture(scope="module")
def targets() -> list[TargetStatement]:
    lines = seed_plan_path().read_text(encoding="utf-8").split("\n")
    return parse_targets(lines)


def test_line_sections_nest_and_reset() -> None:
    lines = [
        "前言",
        "一、发展基础",
        "（一）产业规模",
        "1. 新材料",
        "正文",
        "| 表格 | 行 |",
        "二、总体要求",
    ]
    assert line_sections(lines) == [
        "",
        "一、发展基础",
        "一、发展基础 > （一）产业规模",
        "一、发展基础 > （一）产业规模 > 1.新材料",
        "一、发展基础 > （一）产业规模 > 1.新材料",
        "一、发展基础 > （一）产业规模 > 1.新材料",
        "二、总体要求",
    ]


def test_whole_plan_targets(targets: list[TargetStatement]) -> None:
    got = {(t.metric, t.year, t.subject_zh): t.value for t in targets}
    assert got[("output_total_yi", 2020, "全区")] == 332.2
    assert got[("output_total_yi", 2025, "全区")] == 700
    assert got[("output_total_yi", 2035, "全区")] == 1800
    assert got[("etdz_output_yi", 2020, "经开区")] == 260.5
    assert got[("etdz_builtup_km2", 2020, "经开区")] == 25.5
    assert got[("etdz_builtup_km2", 2015, "经开区")] == 20
    assert got[("industrial_land_km2", 2025, "全区")] == 20
    assert got[("land_intensity_yi_per_km2", 2035, "全区")] == 70
    assert got[("standard_factory_floor_m2", None, "全区")] == 480000
    sector = {t.subject_zh: t.value for t in targets if t.metric == "sector_output_yi"}
    assert sector == {
        "新材料": 300,
        "食品医药": 200,
        "汽车": 100,
        "绿色照明": 50,
        "智能装备": 50,
        "电子信息": 50,
    }
    assert all(t.section and t.quote_zh for t in targets)

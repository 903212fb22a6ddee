"""Tests for wzgeo.plan.parse: headings, appendix fixtures, and the whole plan text.

Cell helpers: tests/test_plantext.py; text statements: tests/test_plantargets.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wzgeo.paths import seed_plan_path
from wzgeo.plan.parse import PlanParseError, parse_appendix, parse_heading, parse_plan

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "planparse"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return seed_plan_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(seed_text: str):  # type: ignore[no-untyped-def]
    return parse_plan(seed_text)


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").split("\n")


def test_parse_heading_levels() -> None:
    total = parse_heading("合计项目135个")
    assert total is not None and (total.level, total.count) == ("total", 135)
    sector = parse_heading("一、新材料产业 (33个)")
    assert sector is not None and (sector.level, sector.name, sector.count) == (
        "sector",
        "新材料产业",
        33,
    )
    sector2 = parse_heading("四、绿色照明(14个)")
    assert sector2 is not None and sector2.name == "绿色照明"
    sub = parse_heading("(一) 铜材料 (14个)")
    assert sub is not None and (sub.level, sub.name, sub.count) == ("subsector", "铜材料", 14)
    assert parse_heading("1") is None
    assert parse_heading("新材料产业小计") is None


# ---- fixtures -------------------------------------------------------------------------


def test_parse_appendix_normal_table() -> None:
    items = parse_appendix(_lines("normal_table.txt"))
    kinds = [it.kind for it in items]
    assert kinds == [
        "total",
        "sector",
        "subsector",
        "project",
        "project",
        "subtotal",
        "sector",
        "project",
        "subtotal",
    ]
    first = items[3]
    assert first.cell("name") == "年产2万吨高精度 铜带项目"
    assert first.cell("land") == "100亩"
    assert first.line == 9  # 1-based line in the fixture


def test_parse_appendix_numbers_row_and_label_outside_table() -> None:
    items = parse_appendix(_lines("shifted_row.txt"))
    assert [it.kind for it in items][-2:] == ["numbers", "label"]
    assert items[-1].cells == ("电子信息产业小计",)


def test_parse_appendix_keeps_merged_row_as_written() -> None:
    items = parse_appendix(_lines("merged_row.txt"))
    merged = [it for it in items if it.kind == "project"][1]
    assert merged.cell("years") == "2023-2024 2023-2025"
    assert merged.cell("investment") == "1.60 12.00"


# ---- the whole plan -------------------------------------------------------------------


def test_whole_plan_appendix_rows(parsed) -> None:  # type: ignore[no-untyped-def]
    projects = [it for it in parsed.appendix if it.kind == "project"]
    # 135 projects, one row of which holds two (see test_reconcile)
    assert len(projects) == 134
    headings = [it.heading for it in parsed.appendix if it.kind == "sector"]
    assert [(h.name, h.count) for h in headings] == [
        ("新材料产业", 33),
        ("食品医药", 33),
        ("汽车制造", 22),
        ("绿色照明", 14),
        ("装备制造", 23),
        ("电子信息产业", 10),
    ]


def test_whole_plan_zones_match_text(parsed, seed_text: str) -> None:  # type: ignore[no-untyped-def]
    # an independent reading of 专栏12: "<name>：…规划面积 X 平方公里"
    block = seed_text[seed_text.index("专栏 12") : seed_text.index("图 5")]
    expected = [
        (re.sub(r"\s+", "", n), float(a))
        for n, a in re.findall(r"<p>([^<：]+)：[^<]*?规划面积\s*([\d.]+)\s*平方公里", block)
    ]
    assert len(expected) == 13
    assert [(z.name_zh, z.land_km2) for z in parsed.zones] == expected
    gaofeng = parsed.zones[0]
    assert gaofeng.focus_phrases == ("食品医药", "智能装备", "电子信息")
    tailong = parsed.zones[-1]
    assert tailong.focus_phrases == ("肉制品加工", "农副产品加工")
    assert {z.level_zh for z in parsed.zones} == {"国家级经开区", "市级开发区", "中小企业集聚区"}


def test_whole_plan_indicators(parsed) -> None:  # type: ignore[no-untyped-def]
    rows = parsed.indicators
    assert [r.seq for r in rows] == list(range(1, 14))
    assert rows[0].v2020 == "332.3"
    assert rows[1].v2023 == "[180]"
    assert rows[2].v2020 == "13.1(未正式反馈)"
    assert rows[7].v2020 == "预计 1.5"
    assert rows[12].category_zh == "绿色发展"  # filled down


def test_parse_plan_rejects_other_text() -> None:
    with pytest.raises(PlanParseError, match="附件"):
        parse_plan("这不是规划。\nNot the plan.\n")


def test_parse_plan_needs_zone_table(seed_text: str) -> None:
    broken = seed_text.replace("专栏 12", "专栏 十二")
    with pytest.raises(PlanParseError, match="专栏 12"):
        parse_plan(broken)

"""Tests for wzgeo.plan.text (cell-level reading: wrap spaces, rows, numbers, years, land)."""

from __future__ import annotations

import pytest

from wzgeo.plan.text import (
    LandValue,
    normalize_text,
    parse_land,
    parse_numbers,
    parse_year_ranges,
    split_row,
)


def test_split_row_strips_outer_pipes_and_cells() -> None:
    assert split_row("| 1 | 铜带 项目 |  | 2022-2024 |") == ("1", "铜带 项目", "", "2022-2024")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("年产2万吨高精度 铜带项目", "年产2万吨高精度铜带项目"),
        ("九龙园 A 区", "九龙园A区"),
        ("新建MiniLED显示屏", "新建MiniLED显示屏"),
        ("二期建设Mini LED显示屏生产线", "二期建设Mini LED显示屏生产线"),
        ("电子膨胀阀 、成套管组件", "电子膨胀阀、成套管组件"),
    ],
    ids=["wrap-space", "zone-name", "no-space", "latin-words-kept", "before-punct"],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("4.00", [4.0]), ("1.60 12.00", [1.6, 12.0]), ("", []), ("约10万", [10.0])],
)
def test_parse_numbers(cell: str, expected: list[float]) -> None:
    assert parse_numbers(cell) == expected


def test_parse_year_ranges() -> None:
    assert parse_year_ranges("2022-2024") == [(2022, 2024)]
    assert parse_year_ranges("2023-2024 2023-2025") == [(2023, 2024), (2023, 2025)]
    assert parse_year_ranges("") == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("150亩", [LandValue("mu", 150.0, "150亩")]),
        ("50000m²", [LandValue("m2", 50000.0, "50000m²")]),
        ("16000m ²", [LandValue("m2", 16000.0, "16000m ²")]),
        ("0", [LandValue("existing", 0.0, "0")]),
        ("30亩 200亩", [LandValue("mu", 30.0, "30亩"), LandValue("mu", 200.0, "200亩")]),
        ("", []),
        ("待定", []),
    ],
    ids=["mu", "m2", "m2-spaced", "zero-existing", "two-values", "empty", "unknown"],
)
def test_parse_land(cell: str, expected: list[LandValue]) -> None:
    assert parse_land(cell) == expected

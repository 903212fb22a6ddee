"""Tests for wzgeo.plan.placenames (zones and other parks named in project texts)."""

from __future__ import annotations

import pandas as pd
import pytest

from wzgeo.plan.placenames import find_places, zone_patterns

BY_NAME = "by name: the zone is named after this township"


@pytest.fixture
def zones() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zone_id": ["jiulong_a", "jiulong_b", "tianzi", "lihe"],
            "name_zh": ["九龙园A区", "九龙园B区", "天子园", "李河中小企业集聚区"],
            "host_township_zh": ["", "", "天城街道", "李河镇"],
            "host_township_note": ["", "", "presumed: unverified", BY_NAME],
        }
    )


def test_patterns_longest_first_and_presumed_townships_left_out(zones: pd.DataFrame) -> None:
    pats = dict(zone_patterns(zones))
    assert pats["九龙园"] == ["jiulong_a", "jiulong_b"]
    assert pats["李河"] == ["lihe"] and pats["李河镇"] == ["lihe"]
    assert "天城街道" not in pats  # presumed, never searched
    lengths = [len(p) for p, _ in zone_patterns(zones)]
    assert lengths == sorted(lengths, reverse=True)
    assert zone_patterns(None) == [] and zone_patterns(zones.iloc[0:0]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("位于九龙园A区", (["jiulong_a"], [], [])),
        ("入驻九龙园", ([], ["jiulong_a", "jiulong_b"], [])),
        ("落户李河中小企业集聚区", (["lihe"], [], [])),
        ("位于天城街道", ([], [], [])),
        ("租用盐气化工园标准厂房", ([], [], ["盐气化工园"])),
        ("建设产业园", ([], [], [])),
    ],
    ids=["zone", "parent-park", "sme-cluster", "presumed-town", "other-park", "generic"],
)
def test_find_places(zones: pd.DataFrame, text: str, expected: tuple[list[str], ...]) -> None:
    assert find_places(text, zone_patterns(zones)) == expected

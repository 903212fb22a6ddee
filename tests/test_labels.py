"""Tests for wzgeo.labels."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from wzgeo import labels
from wzgeo.errors import WzgeoError

STAGES = ("planning", "tracking", "negotiating", "signed", "building", "operating")
LEVELS = ("national_etdz", "municipal", "sme_cluster")
SECTORS = [
    "new_materials",
    "nm_copper",
    "nm_aluminium",
    "nm_building",
    "nm_synthetic",
    "food_pharma",
    "food",
    "pharma",
    "auto",
    "lighting",
    "equipment",
    "electronics",
    "chemicals",
    "stone_processing",
    "printing_packaging",
    "apparel",
    "consumer_goods",
    "agri_processing",
]


@pytest.mark.parametrize(
    ("group", "values"),
    [
        ("stage", STAGES),
        ("level", LEVELS),
        ("sector", SECTORS),
        ("geometry_quality", ("official", "schematic", "not_located")),
        ("location_label", ("plan", "suggested", "assigned")),
    ],
    ids=["stage", "level", "sector", "geometry_quality", "location_label"],
)
def test_every_shared_id_has_distinct_zh_and_en(group: str, values: tuple[str, ...]) -> None:
    for v in values:
        zh = labels.label(f"{group}.{v}", "zh")
        en = labels.label(f"{group}.{v}", "en")
        assert zh != f"{group}.{v}" and en != f"{group}.{v}", v
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh
        assert en.isascii(), en


def test_numeric_columns_carry_units() -> None:
    for col in labels.label_keys():
        for suffix, unit_zh in (("_yi", "亿元"), ("_mu", "亩"), ("_m2", "m²"), ("_km2", "km²")):
            if col.endswith(suffix):
                assert unit_zh in labels.label(col, "zh"), col
    assert "km²" in labels.label("intensity_yi_per_km2", "en")


def test_column_labels_keeps_unknown_columns() -> None:
    out = labels.column_labels(["zone_id", "output_yi", "mystery"], "en")
    assert out == {
        "zone_id": "Zone id",
        "output_yi": "Expected output (100 M CNY)",
        "mystery": "mystery",
    }


def test_value_label_missing_and_unknown() -> None:
    assert labels.value_label("stage", math.nan, "en") == "unknown"
    assert labels.value_label("stage", None, "zh") == "未知"
    assert labels.value_label("stage", pd.NA, "zh") == "未知"
    assert labels.value_label("stage", "weird", "zh") == "weird"
    assert labels.value_label("stage", "signed", "zh") == "签约"


def test_bad_language_and_group() -> None:
    with pytest.raises(WzgeoError, match="Unsupported language"):
        labels.label("zone_id", "fr")
    with pytest.raises(WzgeoError, match="Unknown label group"):
        labels.label_keys("nope")


def test_default_for_unknown_key() -> None:
    assert labels.label("ui.nope", "zh", default="?") == "?"

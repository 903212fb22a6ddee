"""Tests for wzgeo.analysis.rules: pass / fail / unknown, never pass by default."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from wzgeo.analysis.rules import (
    INDICATORS,
    RULE_COLUMNS,
    check_indicators,
    load_rules,
    sector_codes,
)
from wzgeo.errors import DataFileError, WzgeoError

DOMAIN = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"


def _result(df: pd.DataFrame, indicator: str, edition: str | None = None) -> str:
    rows = df.loc[df["indicator"] == indicator]
    if edition is not None:
        rows = rows.loc[rows["edition"] == edition]
    assert len(rows) == 1
    return str(rows["result"].iloc[0])


def test_shipped_rules_load_and_carry_a_source() -> None:
    rules = load_rules()
    assert tuple(rules.columns) == RULE_COLUMNS
    assert (rules["source"].str.len() > 0).all()
    # 投资强度 and 亩均税收 have no verified source: no rows
    assert not rules["indicator"].isin(["investment_intensity_wan_per_mu", "tax_per_mu_wan"]).any()


def test_plan_intensity_thresholds_are_the_plans() -> None:
    rules = load_rules()
    r = rules.loc[rules["indicator"] == "output_intensity_yi_per_km2"].set_index("edition")
    assert r.loc["plan_2025", "threshold"] == 50
    assert r.loc["plan_2035", "threshold"] == 70
    mu = rules.loc[rules["indicator"] == "output_intensity_wan_per_mu"].set_index("edition")
    assert mu.loc["plan_2025", "threshold"] == pytest.approx(50 * 10000 / 1500)
    assert mu.loc["plan_2035", "threshold"] == pytest.approx(70 * 10000 / 1500)


@pytest.mark.skipif(not DOMAIN.exists(), reason="shared DOMAIN.md not present")
def test_plot_ratio_minimums_match_domain_notes() -> None:
    text = DOMAIN.read_text(encoding="utf-8")
    para = text[text.index("- 容积率 minimums") :]
    line = " ".join(para[: para.index("\n- ")].split())
    expected: dict[str, set[float]] = {}
    for codes, lo, hi in re.findall(r"([\d/]+) ≥ (\d+(?:\.\d+)?)(?:–(\d+(?:\.\d+)?))?", line):
        for c in codes.split("/"):
            expected[c] = {float(lo)} | ({float(hi)} if hi else set())
    rules = load_rules()
    pr = rules.loc[rules["indicator"] == "plot_ratio"]
    got: dict[str, set[float]] = {}
    for c, t in zip(pr["gbt4754_code"], pr["threshold"], strict=True):
        got.setdefault(c, set()).add(float(t))
    assert got == expected


def test_pass_fail_unknown() -> None:
    res = check_indicators(
        {"building_coverage_pct": 35.0, "green_ratio_pct": 25.0, "plot_ratio": 1.2},
        gbt4754_codes=["13"],
    )
    assert _result(res, "building_coverage_pct") == "pass"
    assert _result(res, "green_ratio_pct") == "fail"
    assert _result(res, "plot_ratio") == "pass"
    assert _result(res, "admin_facility_share_pct") == "unknown"  # no value
    assert _result(res, "investment_intensity_wan_per_mu") == "unknown"  # no rule
    assert _result(res, "output_intensity_yi_per_km2", "plan_2025") == "unknown"


def test_nothing_passes_without_data() -> None:
    res = check_indicators({})
    assert set(res["result"]) == {"unknown"}


def test_code_specific_rule_needs_a_code() -> None:
    res = check_indicators({"plot_ratio": 2.0})
    assert _result(res, "plot_ratio") == "unknown"
    res = check_indicators({"plot_ratio": 2.0}, gbt4754_codes=["17", "18"])  # 17 has no rule
    assert _result(res, "plot_ratio") == "unknown"


def test_codes_with_different_thresholds_agree_or_unknown() -> None:
    codes = ["26", "29"]  # 0.6; 0.8 and 1.0
    assert (
        _result(check_indicators({"plot_ratio": 1.1}, gbt4754_codes=codes), "plot_ratio") == "pass"
    )
    assert (
        _result(check_indicators({"plot_ratio": 0.5}, gbt4754_codes=codes), "plot_ratio") == "fail"
    )
    assert (
        _result(check_indicators({"plot_ratio": 0.9}, gbt4754_codes=codes), "plot_ratio")
        == "unknown"
    )


def test_70_yi_per_km2_meets_its_mu_equivalent() -> None:
    v = 70.0
    res = check_indicators(
        {"output_intensity_yi_per_km2": v, "output_intensity_wan_per_mu": v * 10000 / 1500}
    )
    assert _result(res, "output_intensity_wan_per_mu", "plan_2035") == "pass"
    res = check_indicators({"output_intensity_yi_per_km2": 49.9})
    assert _result(res, "output_intensity_yi_per_km2", "plan_2025") == "fail"


def test_unknown_indicator_and_sector() -> None:
    with pytest.raises(WzgeoError, match="unknown indicators: height"):
        check_indicators({"height": 3.0})
    sectors = pd.DataFrame({"sector_id": ["food"], "gbt4754_codes": ["13;14"]})
    assert sector_codes(sectors, "food") == ["13", "14"]
    with pytest.raises(WzgeoError, match="unknown sector"):
        sector_codes(sectors, "steel")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("indicator", "height", "unknown indicator"),
        ("comparator", "==", "comparator"),
        ("threshold", "abc", "not a number"),
        ("gbt4754_code", "3", "two-digit"),
    ],
)
def test_broken_rules_file(tmp_path: Path, column: str, value: str, message: str) -> None:
    rules = pd.read_csv(Path(__file__).parents[2] / "geodata" / "land_rules.csv", dtype=str)
    rules.loc[2, column] = value
    path = tmp_path / "rules.csv"
    rules.to_csv(path, index=False)
    with pytest.raises(DataFileError, match=rf"row 3, column '{column}'.*{message}"):
        load_rules(path)


def test_indicator_table_covers_all() -> None:
    assert set(check_indicators({})["indicator"]) == set(INDICATORS)

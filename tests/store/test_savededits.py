"""wzgeo.store.savededits: choice lists, shipped + edited views, tables of edits, threshold
check."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from wzgeo.analysis.rules import land_rules_path, load_rules
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.errors import WzgeoError, WzgeoTypeError
from wzgeo.store import savededits
from wzgeo.store.core import open_store
from wzgeo.store.overlays import land_rule_id

FIT = pd.DataFrame(
    {
        "sector_id": ["auto", "auto", "food", "food"],
        "zone_id": ["gaofeng", "tianzi", "gaofeng", "tianzi"],
        "grade": ["not_listed", "primary", "compatible", "not_listed"],
        "reason_zh": ["未列出", "“汽车”", "兼容理由", ""],
        "reason_en": ["not named", "names 汽车", "compatible because", ""],
    },
    dtype="string",
)
RULES = pd.DataFrame(
    {
        "indicator": ["plot_ratio", "plot_ratio", "plot_ratio", "green_ratio_pct"],
        "gbt4754_code": ["13", "29", "29", "*"],
        "threshold": [1.0, 0.8, 1.0, 20.0],
        "comparator": [">=", ">=", ">=", "<="],
        "unit": ["ratio", "ratio", "ratio", "pct"],
        "edition": ["2008", "2008", "2008", "2008"],
        "source": ["doc A", "doc A", "doc A", "doc B"],
        "note": ["", "two rows", "two rows", ""],
    }
)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_store(tmp_path / "store.sqlite")


def test_choices_keep_table_order_restricted_to_known_ids() -> None:
    assert savededits.sector_choices(FIT) == ["auto", "food"]
    assert savededits.zone_choices(FIT) == ["gaofeng", "tianzi"]
    # the store refuses unknown ids: leave them out; known ids missing from the table follow
    assert savededits.sector_choices(FIT, known={"food", "pharma"}) == ["food", "pharma"]
    assert savededits.zone_choices(FIT, known={"tianzi"}) == ["tianzi"]


def test_choices_of_the_shipped_fit_cover_the_documented_ids() -> None:
    fit = load_sector_fit()
    sectors = savededits.sector_choices(fit)
    assert len(sectors) == 18 and sectors[:2] == ["new_materials", "nm_copper"]  # ARCHITECTURE
    assert len(savededits.zone_choices(fit)) == 13


def test_fit_cell_without_and_with_an_edit(store) -> None:  # type: ignore[no-untyped-def]
    cell = savededits.fit_cell(FIT, store.sector_fit_edits(), "auto", "tianzi")
    assert (cell.shipped_grade, cell.edited_grade, cell.grade) == ("primary", None, "primary")
    assert (cell.reason_zh, cell.reason_en) == ("“汽车”", "names 汽车")
    store.set_sector_fit("auto", "tianzi", "compatible", by="amy", why="port moved")
    cell = savededits.fit_cell(FIT, store.sector_fit_edits(), "auto", "tianzi")
    assert (cell.shipped_grade, cell.edited_grade, cell.grade) == ("primary", "compatible",
                                                                   "compatible")  # fmt: skip
    assert (cell.edited_by, cell.edited_why) == ("amy", "port moved")
    assert cell.entity_id == "auto|tianzi"
    assert store.state("sector_fit", cell.entity_id).value["grade"] == "compatible"
    other = savededits.fit_cell(FIT, store.sector_fit_edits(), "food", "tianzi")
    assert other.edited_grade is None and other.grade == "not_listed"


def test_fit_cell_for_a_pair_the_file_lacks() -> None:
    cell = savededits.fit_cell(FIT, pd.DataFrame(), "pharma", "gaofeng")
    assert cell.shipped_grade is None and cell.grade is None and cell.reason_zh == ""


def test_fit_cell_quotes_the_shipped_reason() -> None:
    with open(Path(__file__).parents[2] / "geodata" / "sector_fit.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["sector_id"] == "auto"
                   and r["zone_id"] == "tianzi")  # fmt: skip
    cell = savededits.fit_cell(load_sector_fit(), pd.DataFrame(), "auto", "tianzi")
    assert cell.shipped_grade == row["grade"]
    assert cell.reason_zh == row["reason_zh"] and "专栏12" in cell.reason_zh


def test_fit_edits_table_shows_shipped_beside_edited(store) -> None:  # type: ignore[no-untyped-def]
    assert savededits.fit_edits_table(FIT, store.sector_fit_edits()).empty
    store.set_sector_fit("food", "tianzi", "primary", by="amy", why="w1")
    store.set_sector_fit("auto", "gaofeng", "compatible", by="bob", why="w2")
    store.set_sector_fit("auto", "gaofeng", "primary", by="cy", why="w3")
    table = savededits.fit_edits_table(FIT, store.sector_fit_edits())
    assert table[["sector_id", "zone_id", "plan_grade", "grade", "by_user", "why",
                  "version"]].values.tolist() == [
        ["auto", "gaofeng", "not_listed", "primary", "cy", "w3", 2],
        ["food", "tianzi", "not_listed", "primary", "amy", "w1", 1],
    ]  # fmt: skip


def test_rule_choices_one_row_per_id_with_parallel_rows_counted() -> None:
    choices = savededits.rule_choices(RULES)
    assert choices["rule_id"].tolist() == [
        land_rule_id("plot_ratio", "13", "2008"),
        land_rule_id("plot_ratio", "29", "2008"),
        land_rule_id("green_ratio_pct", "*", "2008"),
    ]
    assert choices["n_rows"].tolist() == [1, 2, 1]


def test_rule_choices_of_the_shipped_file_match_its_rows() -> None:
    with open(land_rules_path(), encoding="utf-8") as f:
        ids = [land_rule_id(r["indicator"], r["gbt4754_code"], r["edition"])
               for r in csv.DictReader(f)]  # fmt: skip
    choices = savededits.rule_choices(load_rules())
    assert choices["rule_id"].tolist() == list(dict.fromkeys(ids))
    assert choices["n_rows"].sum() == len(ids)


def test_rule_view_shipped_rows_and_edit(store) -> None:  # type: ignore[no-untyped-def]
    rid = land_rule_id("plot_ratio", "29", "2008")
    view = savededits.rule_view(RULES, store.land_rule_edits(), rid)
    assert [r["threshold"] for r in view.shipped] == [0.8, 1.0]
    assert view.shipped[0]["source"] == "doc A" and view.edited is None
    assert view.threshold == 0.8
    store.set_land_rule(rid, {"threshold": 0.9, "note": "merged"}, by="amy", why="new doc")
    view = savededits.rule_view(RULES, store.land_rule_edits(), rid)
    assert view.edited == {"threshold": 0.9, "note": "merged"}
    assert (view.threshold, view.edited_by, view.edited_why) == (0.9, "amy", "new doc")
    assert savededits.rule_view(RULES, store.land_rule_edits(), "x|y|z").shipped == ()


def test_rule_edits_table(store) -> None:  # type: ignore[no-untyped-def]
    assert savededits.rule_edits_table(RULES, store.land_rule_edits()).empty
    store.set_land_rule(land_rule_id("plot_ratio", "29", "2008"), {"threshold": 0.9},
                        by="amy", why="w")  # fmt: skip
    store.set_land_rule(land_rule_id("green_ratio_pct", "*", "2008"),
                        {"threshold": 15, "source": "doc C"}, by="bob", why="v")  # fmt: skip
    table = savededits.rule_edits_table(RULES, store.land_rule_edits()).set_index("rule_id")
    row = table.loc["plot_ratio|29|2008"]
    assert (row["shipped_threshold"], row["threshold"], row["source"]) == ("0.8 / 1", 0.9,
                                                                           "doc A")  # fmt: skip
    row = table.loc["green_ratio_pct|*|2008"]
    assert (row["shipped_threshold"], row["threshold"], row["comparator"], row["source"],
            row["by_user"]) == ("20", 15, "<=", "doc C", "bob")  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"threshold": 1.25}, {"threshold": 1.25}),
        ({"threshold": 2}, {"threshold": 2.0}),
        ({"threshold": 0.5, "note": "  n ", "source": ""}, {"threshold": 0.5, "note": "n"}),
        ({"threshold": 0.5, "note": " ", "source": "doc"}, {"threshold": 0.5, "source": "doc"}),
    ],
    ids=["float", "int", "note-only", "source-only"],
)
def test_rule_edit_values(kwargs: dict[str, object], expected: dict[str, object]) -> None:
    assert savededits.rule_edit_values(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("1.2", WzgeoTypeError, "must be a number"),
        (True, WzgeoTypeError, "must be a number"),
        (None, WzgeoTypeError, "must be a number"),
        (math.nan, WzgeoError, "not a finite number"),
        (math.inf, WzgeoError, "not a finite number"),
    ],
    ids=["text", "bool", "none", "nan", "inf"],
)
def test_rule_edit_values_refuses_non_numbers(value: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match) as info:
        savededits.rule_edit_values(value)
    assert "阈值" in info.value.zh


@pytest.mark.parametrize(
    ("grade", "lang", "expected"),
    [("primary", "en", "primary (named in plan Box 12)"),
     ("not_listed", "zh", "未列出 (not_listed)"), (None, "en", "(none)"), ("odd", "en", "odd")],
)  # fmt: skip
def test_grade_label(grade: str | None, lang: str, expected: str) -> None:
    assert savededits.grade_label(grade, lang) == expected


def test_landclass_edits_table_and_labels(tmp_path: Path) -> None:
    from wzgeo.analysis.landuse import load_landclass

    table = load_landclass()
    store = open_store(tmp_path / "s.sqlite")
    assert savededits.landclass_edits_table(table, store.sector_landclass_edits()).empty
    store.set_sector_landclass("food", 3, by="alice", why="环评")
    store.set_sector_landclass("food", 1, by="bob", why="只做包装")
    out = savededits.landclass_edits_table(table, store.sector_landclass_edits())
    assert out[["sector_id", "plan_required_class", "required_class", "by_user", "version"]
               ].values.tolist() == [["food", "2", "1", "bob", 2]]  # fmt: skip
    assert savededits.class_label("3") == "三类工业用地"
    assert savededits.class_label(2, "en").startswith("class 2")
    assert savededits.class_label("", "en").startswith("none")
    choices = savededits.landclass_sector_choices(table, known={"food", "auto", "zz_new"})
    assert choices[-1] == "zz_new" and set(choices) == {"food", "auto", "zz_new"}

"""Tests for wzgeo.plan.validate (column rules on tables read as text; broken hand-edited
tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wzgeo import DataFileError
from wzgeo.analysis.rules import load_rules
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.plan.validate import ColumnRule, parse_csv_text, split_list, validate_table

SCHEMA = (
    ColumnRule("thing_id", "str", True, pattern=r"[a-z]+"),
    ColumnRule("n", "int", min=0),
    ColumnRule("x", "float", max=10.0),
    ColumnRule("tags", "str", enum=("a", "b"), is_list=True),
)


def _frame(**cols: list[str]) -> pd.DataFrame:
    base = {"thing_id": ["p", "q"], "n": ["1", ""], "x": ["2.5", ""], "tags": ["a;b", ""]}
    base.update(cols)
    return pd.DataFrame(base)


def test_typed_result_keeps_extra_columns_and_input() -> None:
    df = _frame(extra=["u", "v"])
    before = df.copy()
    out = validate_table(df, SCHEMA, Path("things.csv"))
    assert str(out["n"].dtype) == "Int64" and str(out["x"].dtype) == "Float64"
    assert str(out["thing_id"].dtype) == "string" and str(out["extra"].dtype) == "string"
    assert out["n"].isna().tolist() == [False, True] and out["tags"].isna().tolist()[1]
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("cols", "column", "row", "message"),
    [
        ({"thing_id": ["p", ""]}, "thing_id", 2, "must not be empty"),
        ({"thing_id": ["p", "p"]}, "thing_id", 2, "more than once"),
        ({"thing_id": ["p", "Q"]}, "thing_id", 2, "wrong form"),
        ({"n": ["1", "-1"]}, "n", 2, "range"),
        ({"n": ["1.5", ""]}, "n", 1, "whole number"),
        ({"x": ["abc", ""]}, "x", 1, "not a number"),
        ({"x": ["10.5", ""]}, "x", 1, r"range -∞–10"),
        ({"tags": ["a;", ""]}, "tags", 1, "empty item"),
        ({"tags": ["a;c", ""]}, "tags", 1, "'c' is not an allowed value"),
    ],
    ids=["empty", "dup-id", "pattern", "min", "int", "number", "max", "list", "enum"],
)
def test_first_problem_named_with_row_and_column(
    cols: dict[str, list[str]], column: str, row: int, message: str
) -> None:
    with pytest.raises(DataFileError, match=message) as exc:
        validate_table(_frame(**cols), SCHEMA, Path("any-name.csv"))
    assert (exc.value.row, exc.value.column) == (row, column)


def test_missing_column_and_bad_csv() -> None:
    with pytest.raises(DataFileError, match="missing column") as exc:
        validate_table(_frame().drop(columns=["x"]), SCHEMA, Path("t.csv"))
    assert exc.value.column == "x"
    with pytest.raises(DataFileError, match="not valid CSV"):
        parse_csv_text(Path("t.csv"), "a,b\n1,2\n1,2,3,4\n")


@pytest.mark.parametrize(
    ("value", "items"),
    [("a;b", ["a", "b"]), ("", []), (None, []), (float("nan"), []), (pd.NA, [])],
    ids=["two", "empty", "none", "nan", "na"],
)
def test_split_list(value: object, items: list[str]) -> None:
    assert split_list(value) == items


@pytest.mark.parametrize("loader", [load_sector_fit, load_rules], ids=["sector_fit", "rules"])
@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b'sector_id,zone_id,grade\n"auto,gaofeng,primary\n', "not valid CSV"),
        (b"\xb2\xfa\xd2\xb5,zone_id\n", "not UTF-8"),
        (b"", "empty"),
    ],
    ids=["unterminated-quote", "gbk", "empty"],
)
def test_broken_file_names_the_problem(
    tmp_path: Path, loader: object, content: bytes, match: str
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=match) as info:
        loader(path)  # type: ignore[operator]
    assert str(path) in str(info.value) and "文件" in str(info.value)

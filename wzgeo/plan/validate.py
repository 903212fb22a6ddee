"""Validation helpers for the plan's CSV tables (private).

A table is read with every cell as text, checked against its column rules
(:class:`ColumnRule`) and returned typed. Every problem raises :class:`wzgeo.DataFileError`
naming the file, the row (1-based, header excluded) and the column, in Chinese and English,
and saying how to fix it: the files are hand-editable, so the message must lead a person to
the cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from wzgeo.errors import DataFileError

__all__ = [
    "ColumnRule",
    "check_foreign_keys",
    "fail",
    "format_compact",
    "parse_csv_text",
    "read_csv_file",
    "read_string_table",
    "split_list",
    "validate_table",
]


@dataclass(frozen=True)
class ColumnRule:
    """What one column of a table may hold.

    Attributes
    ----------
    name
        Column name.
    kind
        ``"str"``, ``"int"`` or ``"float"``.
    required
        Whether an empty cell is an error.
    min, max
        Allowed range of a number (inclusive).
    enum
        Allowed values of a text (each item of a list).
    pattern
        Regular expression a text (each item of a list) must match in full.
    is_list
        The cell holds ``;``-separated items.
    """

    name: str
    kind: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    is_list: bool = False


def fail(
    path: Path, zh: str, en: str, *, row: int | None = None, col: str | None = None
) -> NoReturn:
    """Raise :class:`wzgeo.DataFileError` for a cell, a column or the file.

    Parameters
    ----------
    path
        The file.
    zh, en
        What is wrong and how to fix it, in Chinese and English.
    row, col
        Where (1-based data row, column name), when known.

    Raises
    ------
    wzgeo.DataFileError
        Always.
    """
    raise DataFileError(path, zh, en, row=row, column=col)


def format_compact(x: float) -> str:
    """A number with up to six decimals and no trailing zeros (``2.5``, ``11.7``, ``3``)."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def split_list(value: object) -> list[str]:
    """The items of a ``;``-separated cell (none for an empty or missing cell)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return []
    return [p for p in str(value).split(";") if p]


def _check_number(c: ColumnRule, v: str, path: Path, i: int) -> None:
    try:
        x = float(v)
    except ValueError:
        fail(
            path,
            f"“{v}”不是数字；请填写数字（小数点用 .，不带单位）或留空。",
            f"'{v}' is not a number; write a plain number (decimal point '.', no "
            "unit) or leave it empty.",
            row=i,
            col=c.name,
        )
    if c.kind == "int" and x != int(x):
        fail(
            path,
            f"“{v}”不是整数；请填写整数。",
            f"'{v}' is not a whole number; write a whole number.",
            row=i,
            col=c.name,
        )
    if (c.min is not None and x < c.min) or (c.max is not None and x > c.max):
        rng = f"{format_compact(c.min) if c.min is not None else '-∞'}–"
        rng += f"{format_compact(c.max) if c.max is not None else '∞'}"
        fail(
            path,
            f"值 {v} 超出允许范围 {rng}；请改正。",
            f"value {v} is outside the allowed range {rng}; correct it.",
            row=i,
            col=c.name,
        )


def _check_text(c: ColumnRule, v: str, path: Path, i: int) -> None:
    for p in v.split(";") if c.is_list else [v]:
        if c.is_list and p == "":
            fail(
                path,
                f"列表“{v}”中有空项；用单个 ; 分隔各项，首尾不加 ;。",
                f"the list '{v}' has an empty item; separate items with one ';' "
                "and none at the ends.",
                row=i,
                col=c.name,
            )
        if c.enum is not None and p not in c.enum:
            fail(
                path,
                f"“{p}”不是允许的取值；可用：{', '.join(c.enum)}。",
                f"'{p}' is not an allowed value; use one of: {', '.join(c.enum)}.",
                row=i,
                col=c.name,
            )
        if c.pattern is not None and not re.fullmatch(c.pattern, p):
            fail(
                path,
                f"“{p}”格式不对（应匹配 {c.pattern}）；请改正。",
                f"'{p}' has the wrong form (expected to match {c.pattern}); correct it.",
                row=i,
                col=c.name,
            )


def _first_bad_row(mask: pd.Series) -> int | None:
    """1-based position of the first true value of a boolean mask, or ``None``."""
    hits = mask.to_numpy().nonzero()[0]
    return int(hits[0]) + 1 if len(hits) else None


def validate_table(df: pd.DataFrame, schema: Sequence[Any], path: Path) -> pd.DataFrame:
    """Check a table read as text and return it typed.

    Parameters
    ----------
    df
        The file read with every cell as a string (empty string = missing).
    schema
        The file's column rules (:class:`ColumnRule`, see :data:`wzgeo.plan.schema.SCHEMAS`).
        The first column whose name ends in ``_id`` must be unique.
    path
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        A new frame: ``string``, ``Int64`` and ``Float64`` columns, empty cells as ``<NA>``.

    Raises
    ------
    wzgeo.DataFileError
        On the first problem, naming the row (1-based, header excluded) and the column.
    """
    cols: Sequence[ColumnRule] = schema
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        fail(
            path,
            f"缺少列 {', '.join(missing)}；请用 wzgeo build-data 重新生成，或补上这些列。",
            f"missing column(s) {', '.join(missing)}; rebuild with 'wzgeo build-data' or add them.",
            col=missing[0],
        )
    out: dict[str, pd.Series] = {}
    for c in cols:
        s = df[c.name].astype(str)
        for i, v in enumerate(s.tolist(), start=1):
            if v == "":
                if c.required:
                    fail(
                        path,
                        "此列不能为空；请填写。",
                        "this column must not be empty; fill it in.",
                        row=i,
                        col=c.name,
                    )
            elif c.kind in ("int", "float"):
                _check_number(c, v, path, i)
            else:
                _check_text(c, v, path, i)
        blank = s == ""
        if c.kind == "int":
            out[c.name] = pd.to_numeric(s.mask(blank), errors="raise").astype("Int64")
        elif c.kind == "float":
            out[c.name] = pd.to_numeric(s.mask(blank), errors="raise").astype("Float64")
        else:
            out[c.name] = s.astype("string").mask(blank)
    for name in [c for c in df.columns if c not in out]:
        out[name] = df[name].astype("string")
    typed = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    idcol = next((c.name for c in cols if c.name.endswith("_id")), None)
    if idcol is not None:
        dup = _first_bad_row(typed[idcol].duplicated(keep="first"))
        if dup is not None:
            fail(
                path,
                f"编号“{typed[idcol].iloc[dup - 1]}”重复；每个编号只能出现一次。",
                f"id '{typed[idcol].iloc[dup - 1]}' occurs more than once; ids must be unique.",
                row=dup,
                col=idcol,
            )
    if {"start_year", "end_year"} <= set(typed.columns):
        late = _first_bad_row((typed["start_year"] > typed["end_year"]).fillna(False))
        if late is not None:
            fail(
                path,
                "开始年份晚于结束年份；请交换或改正。",
                "start_year is after end_year; swap or correct them.",
                row=late,
                col="start_year",
            )
    return typed


def parse_csv_text(path: Path, text: str) -> pd.DataFrame:
    """Read CSV text with every cell as a string (empty cells as ``""``).

    Parameters
    ----------
    path
        The file the text comes from (or is about to be written to), for messages.
    text
        The CSV text.

    Returns
    -------
    pandas.DataFrame
        Untyped; see :func:`validate_table`.

    Raises
    ------
    wzgeo.DataFileError
        The text is not valid CSV.
    """
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as e:
        raise DataFileError(
            path,
            f"不是有效的 CSV：{e}；请检查引号和分隔符。",
            f"is not valid CSV: {e}; check quotes and commas.",
        ) from e


def read_csv_file(path: Path) -> pd.DataFrame:
    """Read a UTF-8 CSV file with every cell as a string.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame
        Untyped; see :func:`validate_table`.

    Raises
    ------
    wzgeo.DataFileError
        The file is missing, not UTF-8, empty or not valid CSV.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise DataFileError(
            path,
            "文件不存在；请运行 wzgeo build-data 生成，或检查路径。",
            "the file does not exist; run 'wzgeo build-data' or check the path.",
        ) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataFileError(
            path,
            "不是 UTF-8 编码；请以 UTF-8 保存。",
            "is not UTF-8 encoded; save it as UTF-8.",
        ) from e
    if not text.strip():
        raise DataFileError(path, "文件为空。", "the file is empty.")
    return parse_csv_text(path, text)


def read_string_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a UTF-8 CSV with pandas ``string`` cells and refuse it if a column is missing.

    Used by the hand-edited analysis tables (``land_rules.csv``, ``sector_fit.csv``), whose
    loaders check their values themselves.

    Parameters
    ----------
    path
        The file.
    columns
        The required columns, in header order (named in the message).

    Returns
    -------
    pandas.DataFrame
        Every column as ``string`` dtype, empty cells as ``""``.

    Raises
    ------
    wzgeo.DataFileError
        The file is missing, not UTF-8, empty or not valid CSV; or a column is missing
        (naming the first one and the expected header).
    """
    df = read_csv_file(Path(path)).astype("string")
    for col in columns:
        if col not in df.columns:
            fail(
                path,
                f"缺少列 {col}；表头应为 {','.join(columns)}。",
                f"missing column {col}; the header must be {','.join(columns)}.",
                col=col,
            )
    return df


def check_foreign_keys(
    df: pd.DataFrame,
    column: str,
    allowed: set[str],
    path: Path,
    target: str,
    *,
    is_list: bool = False,
) -> None:
    """Check that every value of a column is an id of another table.

    Parameters
    ----------
    df
        The typed table.
    column
        The column holding the references.
    allowed
        The ids of the other table.
    path
        The file of ``df``, for messages.
    target
        The other table, as named in messages (``sectors.csv``).
    is_list
        The cells hold ``;``-separated ids.

    Raises
    ------
    wzgeo.DataFileError
        At the first value that is not in ``allowed``.
    """
    for i, v in enumerate(df[column].tolist(), start=1):
        if v is pd.NA or v is None:
            continue
        for p in str(v).split(";") if is_list else [str(v)]:
            if p not in allowed:
                fail(
                    path,
                    f"“{p}”不在 {target} 中；请改为 {target} 中已有的编号，"
                    f"或先在 {target} 中添加它。",
                    f"'{p}' is not an id in {target}; use an id that exists there or add it "
                    f"to {target} first.",
                    row=i,
                    col=column,
                )

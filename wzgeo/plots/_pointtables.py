"""Plots given as CSV or Excel tables of boundary points (界址点坐标表).

Columns are recognised by name in Chinese or English (点号, 圈号, 地块编号, X/Y, 纵坐标/横坐标,
经度/纬度, 面积...), also below a title row; rows are grouped into plots by plot id (carried
down from merged cells) and into rings by ring number.

Untrusted input: cells and columns are counted while the table is read (a CSV is read no
further than the cell limit allows; a workbook is streamed row by row), and a workbook is
an archive checked like any zip (members, expansion, XML declarations) before it is opened.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wzgeo.errors import InputFileError
from wzgeo.geo.units import MU_PER_HA
from wzgeo.plots._attrs import NAME_KEYS, PLOT_ID_NAMES_ZH, norm_key
from wzgeo.plots._limits import short_list
from wzgeo.plots._raw import (
    SUPPORTED_TEXT,
    FileContext,
    ParsedFile,
    RawPlot,
    group_rings,
    is_blank,
    to_python,
    try_float,
)
from wzgeo.plots._safezip import check_xml_members, open_zip, safe_members

__all__ = ["parse_csv", "parse_excel"]

_COLS: dict[str, tuple[str, ...]] = {
    "plot_id": ("plotid", "plot", *PLOT_ID_NAMES_ZH, "parcelid", "编号"),
    "name": (*NAME_KEYS, "plotname"),
    "point": ("点号", "界址点号", "点名", "point", "pointid", "pt", "界址点"),
    "ring": ("圈号", "环号", "ring", "ringno", "part"),
    "north": ("纵坐标", "北坐标", "northing", "x坐标纵", "纵坐标x", "x纵坐标"),
    "east": ("横坐标", "东坐标", "easting", "y坐标横", "横坐标y", "y横坐标"),
    "x": ("x", "x坐标", "xcoord"),
    "y": ("y", "y坐标", "ycoord"),
    "lon": ("lon", "lng", "long", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "area_ha": ("面积公顷", "公顷", "areaha"),
    "area_mu": ("面积亩", "亩", "areamu", "declaredareamu"),
}


def _has_coords(cols: dict[str, Any]) -> bool:
    return any(a in cols and b in cols for a, b in (("lon", "lat"), ("east", "north"), ("x", "y")))


def _map_columns(columns: Sequence[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for col in columns:
        n = norm_key(col)
        for key, names in _COLS.items():
            if n in names and key not in found:
                found[key] = col
                break
    return found


def _parse_table(df: pd.DataFrame, ctx: FileContext, *, fmt: str, first_line: int) -> ParsedFile:
    """Group a point table's rows into plots and rings (``first_line``: row of ``df.index[0]``)."""
    df = df.dropna(how="all")
    if df.empty:
        raise ctx.err("表格中没有数据行。", "the table has no data rows.")
    cols = _map_columns(list(df.columns))
    if not _has_coords(cols):
        # tables often start with a title row (e.g. "界址点坐标表"): look for the header below
        for i in range(min(10, len(df))):
            cand = [
                str(v).strip() if not is_blank(v) else f"column{j + 1}"
                for j, v in enumerate(df.iloc[i])
            ]
            if _has_coords(_map_columns(cand)) and len(set(cand)) == len(cand):
                df = df.iloc[i + 1 :].set_axis(cand, axis=1).dropna(how="all")
                cols = _map_columns(cand)
                break
    if "lon" in cols and "lat" in cols:
        xcol, ycol = cols["lon"], cols["lat"]
    elif "east" in cols and "north" in cols:
        xcol, ycol = cols["east"], cols["north"]
    elif "x" in cols and "y" in cols:
        xcol, ycol = cols["x"], cols["y"]  # order resolved by the CRS inference (swap test)
    else:
        cols_zh, cols_en = short_list(df.columns)
        raise ctx.err(
            f"找不到坐标列（现有列：{cols_zh}）。请使用列名 X/Y、"
            "纵坐标/横坐标 或 经度/纬度（lon/lat），可加 点号、地块编号 列。",
            f"no coordinate columns found (columns: {cols_en}). Use "
            "X/Y, 纵坐标/横坐标 (northing/easting) or lon/lat (经度/纬度), optionally 点号 "
            "(point) and 地块编号/plot_id columns.",
        )
    used = {xcol, ycol, *(cols.get(k) for k in ("plot_id", "point", "ring"))}
    extra = [c for c in df.columns if c not in used]
    row_no = pd.Series(df.index.to_numpy() + first_line, index=df.index)

    def numbers(col: Any) -> pd.Series:
        text = df[col].astype("string").str.strip().str.replace("，", ".", regex=False)
        return pd.to_numeric(text, errors="coerce").astype(float)

    xs, ys = numbers(xcol), numbers(ycol)
    # plot ids given only on a group's first row (merged Excel cells) apply to the rows below
    if "plot_id" in cols:
        pids = df[cols["plot_id"]].astype("string").str.strip().replace("", pd.NA).ffill()
        pids = pids.fillna("1")
    else:
        pids = pd.Series("1", index=df.index, dtype="string")
    points = (
        df[cols["point"]].astype("string").fillna("")
        if "point" in cols
        else pd.Series("", index=df.index, dtype="string")
    )
    bad = ~(np.isfinite(xs) & np.isfinite(ys))
    if bad.any():
        i = bad[bad].index[0]
        pid, pt, n = pids[i], points[i], row_no[i]
        xv, yv = df.at[i, xcol], df.at[i, ycol]
        raise ctx.err(
            f"第 {n} 行（地块 {pid}{' 点 ' + str(pt) if pt else ''}）坐标不是数字：{xv!r}, {yv!r}。"
            "请修正该行。",
            f"row {n} (plot {pid}{', point ' + str(pt) if pt else ''}): coordinates are not "
            f"numbers: {xv!r}, {yv!r}. Fix that row.",
        )
    rings_col = (
        df[cols["ring"]].astype("string").str.strip().fillna("1")
        if "ring" in cols
        else pd.Series("1", index=df.index, dtype="string")
    )
    x_a, y_a = xs.to_numpy(), ys.to_numpy()
    pid_a = pids.to_numpy(dtype=object)
    ring_a = rings_col.to_numpy(dtype=object)
    row_a = row_no.to_numpy()
    groups: dict[Any, list[int]] = {}
    for pos, pid in enumerate(pid_a):
        groups.setdefault(pid, []).append(pos)
    plots: list[RawPlot] = []
    for pid, positions in groups.items():
        ctx.count.add_plots()
        ctx.count.add_vertices(len(positions))
        pos_a = np.asarray(positions)
        rings, ring_where = group_rings(
            ring_a[pos_a],
            np.column_stack([x_a[pos_a], y_a[pos_a]]),
            row_a[pos_a],
            plot_id=pid,
            line_en="row",
        )
        sub = df.iloc[pos_a]
        attrs: dict[str, Any] = {}
        for c in extra:
            vals = sub[c].dropna().unique()
            if len(vals) == 1:
                attrs[str(c)] = to_python(vals[0])
        declared = math.nan
        first = sub.iloc[0]
        if "area_mu" in cols and not is_blank(first[cols["area_mu"]]):
            declared = try_float(first[cols["area_mu"]])
        elif "area_ha" in cols and not is_blank(first[cols["area_ha"]]):
            declared = try_float(first[cols["area_ha"]]) * MU_PER_HA
        name = attrs.pop(str(cols["name"]), None) if "name" in cols else None
        n0 = int(row_a[positions[0]])
        plots.append(
            RawPlot(
                where_zh=f"地块 {pid}（第 {n0} 行起）",
                where_en=f"plot {pid} (from row {n0})",
                plot_id=str(pid),
                name=None if name is None else str(name),
                attrs=attrs,
                rings=rings,
                ring_where=ring_where,
                declared_area_mu=declared,
                ring_closure="auto",
            )
        )
    return ParsedFile(fmt=fmt, plots=plots)


def parse_csv(text: str, ctx: FileContext) -> ParsedFile:
    """Read a CSV point table (separator ``,``, tab, ``;`` or ``，``, whichever is most common).

    One plot per plot id; the CRS is left to the inference (parser contract: see
    :mod:`wzgeo.plots._raw`).

    Raises
    ------
    InputFileError
        An unreadable table, no coordinate columns, or a row with non-numeric coordinates.
    """
    sample = text[:4096]
    sep = max([",", "\t", ";", "，"], key=sample.count)
    # the header (or a title row above it) is in the first lines; longer rows are refused
    # by the CSV parser, so their width bounds every row's
    n_cols = max((line.count(sep) + 1 for line in text.split("\n", 11)[:11]), default=1)
    ctx.count.check_columns(n_cols)
    max_rows = max(1, ctx.limits.max_cells // n_cols)
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True, nrows=max_rows + 1
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise ctx.err(
            f"无法读取 CSV 表格（{e}）。也可能是不支持的格式。支持：{SUPPORTED_TEXT}。",
            f"cannot read the CSV table ({e}); or the format is unsupported. "
            f"Supported: {SUPPORTED_TEXT}.",
        ) from e
    ctx.count.add_cells(max(len(df), 1) * n_cols)  # over the limit if nrows stopped it
    if not isinstance(df.index, pd.RangeIndex):
        # rows with more values than the header has names: pandas takes the first columns
        # as the row index, and the values would no longer be under their names
        raise ctx.err(
            f"CSV 表格的数据行比表头多 {df.index.nlevels} 列"
            f"（表头：{', '.join(map(str, df.columns))}）。请检查分隔符，或为每一列写上列名。",
            f"the CSV rows have {df.index.nlevels} more value(s) than the header has names "
            f"(header: {', '.join(map(str, df.columns))}); check the separator or name every "
            "column.",
        )
    return _parse_table(df, ctx, fmt="CSV", first_line=2)


def _cell(cell: Any) -> Any:
    """A cell's value as pandas' Excel reader gives it (empty "", error NaN, whole numbers int)."""
    from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC

    if cell.value is None:
        return ""
    if cell.data_type == TYPE_ERROR:
        return np.nan
    if cell.data_type == TYPE_NUMERIC:
        whole = int(cell.value)
        return whole if whole == cell.value else float(cell.value)
    return cell.value


def _sheet_rows(sheet: Any, ctx: FileContext) -> Iterator[list[Any]]:
    """A worksheet's rows, trailing empty cells removed, counted against the limits."""
    sheet.reset_dimensions()  # the declared size may be wrong (or hostile): stream instead
    for row in sheet.rows:
        ctx.count.add_cells(max(1, len(row)))
        values = [_cell(c) for c in row]
        while values and values[-1] == "":
            values.pop()
        ctx.count.check_columns(len(values))
        yield values


def _sheet_frame(sheet: Any, ctx: FileContext, *, rows_with_data: int | None = None) -> Any:
    """A worksheet as ``pd.read_excel(dtype=str)`` reads it (first row = header).

    ``rows_with_data`` stops the reading after that many non-empty rows (enough to tell
    whether a sheet holds data).
    """
    from pandas.io.parsers import TextParser  # type: ignore[attr-defined]  # (not in the stubs)

    data: list[list[Any]] = []
    last, seen = -1, 0
    for i, values in enumerate(_sheet_rows(sheet, ctx)):
        data.append(values)
        if values:
            last, seen = i, seen + 1
            if rows_with_data is not None and seen >= rows_with_data:
                break
    data = data[: last + 1]
    if not data:
        return pd.DataFrame()
    width = max(len(r) for r in data)
    data = [r + [""] * (width - len(r)) for r in data]
    try:
        return TextParser(data, header=0, dtype=str, skip_blank_lines=False).read()
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _read_workbook(data: bytes, ctx: FileContext) -> tuple[tuple[str, Any] | None, int]:
    """The workbook's first sheet holding data (name, frame) or None; how many others do.

    The archive is checked first (:mod:`wzgeo.plots._safezip`): members, expansion,
    XML declarations. Then the sheets are streamed, every cell counted.
    """
    import openpyxl

    with open_zip(data, ctx) as zf:
        infos = safe_members(zf, ctx)
        check_xml_members(zf, infos, ctx)
    book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True, keep_links=False
    )
    try:
        first = None
        others = 0
        for ws in book.worksheets:
            if first is None:
                df = _sheet_frame(ws, ctx)
                if not df.dropna(how="all").empty:
                    first = (ws.title, df)
            elif not _sheet_frame(ws, ctx, rows_with_data=2).dropna(how="all").empty:
                others += 1
    finally:
        book.close()
    return first, others


def parse_excel(data: bytes, ctx: FileContext) -> ParsedFile:
    """Read the first non-empty sheet of an Excel (.xlsx/.xlsm) point table.

    As :func:`parse_csv`, from the workbook's bytes; a note says when other sheets were
    ignored. The workbook is streamed: cells are counted as they are read and reading stops
    at the first limit passed (:mod:`wzgeo.plots._limits`).

    Raises
    ------
    InputFileError
        A damaged, truncated or encrypted workbook, an unsafe archive, too many cells or
        columns, no data, or a bad table (see :func:`parse_csv`).
    """
    try:
        first, others = _read_workbook(data, ctx)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, TypeError) as e:
        if isinstance(e, InputFileError):
            raise
        raise ctx.err(
            f"无法读取 Excel 文件（损坏、不完整或加密）：{str(e)[:300]}。"
            "请另存为 .xlsx 或 .csv 后重试。",
            f"cannot read the Excel file (damaged, truncated or encrypted): {str(e)[:300]}. "
            "Save it again as .xlsx or .csv.",
        ) from e
    if first is None:
        raise ctx.err("Excel 文件中没有数据。", "the Excel file holds no data.")
    sheet, df = first
    parsed = _parse_table(df, ctx, fmt="Excel", first_line=2)
    if others:
        parsed.notes.append(
            f"只读取了第一个工作表“{sheet}”，其余 {others} 个被忽略 / "
            f"only the first sheet {sheet!r} was read; {others} other(s) ignored"
        )
    return parsed

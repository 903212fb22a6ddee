"""Plots written as WKT or EWKT: one geometry in the file, or one per line."""

from __future__ import annotations

import re

import numpy as np
import shapely

from wzgeo.plots._crs import parse_crs_arg
from wzgeo.plots._limits import short_list
from wzgeo.plots._raw import FileContext, ParsedFile, RawPlot

__all__ = ["WKT_RE", "parse_wkt"]

WKT_RE = re.compile(
    r"^\s*(SRID=\d+;\s*)?(MULTI)?(POLYGON|POINT|LINESTRING|GEOMETRYCOLLECTION)\b", re.I
)
"""How a WKT/EWKT text starts (used to recognise the format)."""


def _from_wkt(text: str) -> shapely.Geometry:
    """``shapely.from_wkt``; a number too large for a float (``1e999``) becomes inf without
    a numpy overflow warning (infinite coordinates are refused with the others later)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return shapely.from_wkt(text)


def parse_wkt(text: str, ctx: FileContext) -> ParsedFile:
    """Read one WKT geometry, or one per line (``#`` comments allowed).

    One plot per geometry; the CRS is the EWKT ``SRID=`` if given (parser contract: see
    :mod:`wzgeo.plots._raw`).

    Raises
    ------
    InputFileError
        Malformed or truncated WKT, an unclosed ring (names the line), or differing SRIDs.
    """
    chunks: list[tuple[int, str]] = []
    try:
        _from_wkt(re.sub(r"^\s*SRID=\d+;", "", text.strip()))
        chunks = [(1, text.strip())]
    except shapely.errors.GEOSException:
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                chunks.append((n, line.strip()))
    plots: list[RawPlot] = []
    srids: set[int] = set()
    for n, chunk in chunks:
        m = re.match(r"^SRID=(\d{1,9});\s*", chunk, re.I)
        if m:
            srids.add(int(m.group(1)))
            chunk = chunk[m.end() :]
        try:
            geom = _from_wkt(chunk)
        except shapely.errors.GEOSException as e:
            msg = str(e)
            if "closed" in msg.lower():
                zh = "环未闭合（最后一个点应与第一个点相同）"
                en = "a ring is not closed (the last point must repeat the first)"
            elif "ParseException" in msg and ("Unexpected EOF" in msg or "Expected" in msg):
                zh = "WKT 不完整或格式错误（可能被截断）"
                en = "incomplete or malformed WKT (truncated?)"
            else:
                zh = "WKT 格式错误"
                en = "malformed WKT"
            raise ctx.err(
                f"第 {n} 行：{zh}（{msg}）。请修正后重新导入。",
                f"line {n}: {en} ({msg}). Fix it and import again.",
            ) from e
        ctx.count.add_plots()
        ctx.count.add_vertices(int(shapely.get_num_coordinates(geom)))
        plots.append(RawPlot(where_zh=f"第 {n} 行", where_en=f"line {n}", geometry=geom))
    parsed = ParsedFile(fmt="WKT", plots=plots)
    if len(srids) > 1:
        zh, en = short_list(sorted(srids))
        raise ctx.err(f"WKT 中的 SRID 不一致（{zh}）。", f"inconsistent SRIDs ({en}).")
    if srids:
        srid = srids.pop()
        parsed.crs = parse_crs_arg(srid)
        parsed.crs_reason_zh = f"EWKT 中声明 SRID={srid}"
        parsed.crs_reason_en = f"SRID={srid} declared in the EWKT"
    return parsed

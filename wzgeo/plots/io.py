"""Import plot (land parcel) boundaries from the files planning staff use.

Formats: GeoJSON, GeoPackage, zipped Shapefile (with or without ``.prj``), KML/KMZ,
部标 TXT (the land-office exchange format, see ``DOMAIN.md``), CSV/Excel point lists and WKT.
The app's upload and the ``wzgeo import-plots`` command both call :func:`read_plots`.

The coordinate reference system is taken, in this order, from the ``crs=`` override, from
the file (``.prj``, GeoPackage SRS, GeoJSON ``crs`` member, KML = WGS84, 部标 TXT header
``坐标系``/``带号``, EWKT ``SRID=``), or else inferred from the coordinate ranges (lon/lat, GK
zone 36 with or without the zone prefix, X/Y swapped); the result says which and why.

Every problem a user can cause raises :class:`wzgeo.InputFileError` with a Chinese and an
English message naming the file, the plot/line and the fix; GDAL errors are wrapped.

Files are untrusted: each is read in a child process with memory, CPU-time and wall-clock
limits (``_isolate``), and the readers count plots, vertices, table cells, zip expansion and
JSON depth as they read, stopping at the first limit passed (``_limits``).

This module holds the entry point, the format dispatch and the assembly of the result; the
work is done by private modules, one per concern: ``_plotsource`` (bytes, size limit,
encoding), ``_gdalformats`` (GeoJSON, GeoPackage, Shapefile zip, KML/KMZ) with ``_safezip``,
``_bubiao`` (部标 TXT), ``_pointtables`` (CSV/Excel point lists), ``_wkt``, ``_plotcrs`` (CRS
override, declaration, inference), ``_plotvalidate`` (rings, repair, extent) and
``_plotattrs`` (plot ids, names, declared areas), all sharing ``_plotraw`` (the plots as read).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from wzgeo.errors import InputFileError
from wzgeo.geo import crs as wcrs
from wzgeo.geo.units import M2_PER_MU, MU_PER_HA
from wzgeo.plots import _safezip
from wzgeo.plots._attrs import declared_from_attrs, pick_name, plot_ids
from wzgeo.plots._bubiao import is_bubiao, parse_bubiao
from wzgeo.plots._crs import LONLAT_DATUM_CAVEAT, crs_label, decide_crs, parse_crs_arg
from wzgeo.plots._gdalformats import parse_geojson, parse_kml, parse_ogr, parse_zip
from wzgeo.plots._isolate import run_limited, start_zygote
from wzgeo.plots._limits import Counter, Limits, current_limits
from wzgeo.plots._pointtables import parse_csv, parse_excel
from wzgeo.plots._raw import SUPPORTED_FORMATS, SUPPORTED_TEXT, FileContext, ParsedFile
from wzgeo.plots._safezip import MAX_ZIP_RATIO, MAX_ZIP_UNCOMPRESSED_BYTES
from wzgeo.plots._source import check_source, decode_text, load_source
from wzgeo.plots._validate import (
    WANZHOU_BBOX,
    check_lonlat_extent,
    plot_geometries,
    require_geometry,
    validate_polygon,
)
from wzgeo.plots._wkt import WKT_RE, parse_wkt

__all__ = [
    "DATUMS",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
    "SUPPORTED_FORMATS",
    "WANZHOU_BBOX",
    "PlotImport",
    "normalize_datum",
    "read_plots",
    "start_reader",
]

_AREA_MISMATCH = 0.01


@dataclass
class PlotImport:
    """The result of :func:`read_plots`.

    Attributes
    ----------
    plots
        One row per plot in EPSG:4326: ``plot_id`` (unique str), ``name``, the file's other
        attributes, ``declared_area_mu`` (NaN if the file states none), ``measured_area_mu``
        (computed in EPSG:4545), ``geometry_repaired`` (True when the geometry was invalid
        and has been repaired on import; :func:`wzgeo.analysis.plotcheck.check_plots` keeps
        the flag).
    source_crs
        The CRS the coordinates were read in, e.g. ``"EPSG:4524"``.
    crs_inferred
        True when the CRS was guessed from the coordinate ranges.
    crs_reason_zh, crs_reason_en
        Where the CRS came from, or why it was guessed.
    warnings
        Bilingual notes (``"中文 / English"``): repaired geometry, area mismatch, closed
        rings, swapped axes, etc.
    format
        Detected format name.
    filename
        The file name used in messages.
    """

    plots: gpd.GeoDataFrame
    source_crs: str
    crs_inferred: bool
    crs_reason_zh: str
    crs_reason_en: str
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    filename: str = ""


def read_plots(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    crs: Any = None,
    max_bytes: int = 20_000_000,
    district: Any = None,
    check_extent: bool = True,
    datum: str = "WGS84",
) -> PlotImport:
    """Read plot boundaries from a file or uploaded bytes.

    Parameters
    ----------
    source
        Path of the file, or its content (the app passes uploaded bytes).
    filename
        Name of the upload (its extension selects the format); defaults to the path's name.
    crs
        Override the CRS of the coordinates (anything pyproj accepts, e.g. ``4545`` or
        ``"EPSG:4524"``). Wins over the file's declaration and the inference.
    max_bytes
        Refuse larger files.
    district
        Polygon the plots must lie in (shapely geometry in lon/lat, or a GeoSeries/
        GeoDataFrame with a CRS). Defaults to the :data:`WANZHOU_BBOX` rectangle.
    check_extent
        Refuse plots outside the district (default True).
    datum
        ``"wgs84"`` (default), or ``"gcj02"`` / ``"bd09"`` for lon/lat taken from Gaode/
        Tencent or Baidu maps; those are shifted back to WGS84 with :mod:`wzgeo.geo.crs`.
        The labels ``"WGS84"``, ``"GCJ-02"``, ``"BD-09"`` are accepted too.

    Returns
    -------
    PlotImport
        The plots in EPSG:4326 with CRS provenance and warnings.

    Raises
    ------
    InputFileError
        For every problem with the file; the message names the file, the plot/line and the
        fix, in Chinese and English. Also for a file over the limits of
        :mod:`wzgeo.plots._limits` (plots, vertices, table cells, zip expansion, JSON depth)
        or over the reading process's memory, CPU-time or wall-clock limit.

    Notes
    -----
    The file is read in a separate process with memory, CPU-time and wall-clock limits
    (:mod:`wzgeo.plots._isolate`): a hostile or broken file ends that process, never the
    caller's (the app's server stays up and keeps its memory).
    """
    check_source(source, filename=filename, max_bytes=max_bytes)
    limits = current_limits(
        max_zip_bytes=_safezip.MAX_ZIP_UNCOMPRESSED_BYTES, max_zip_ratio=_safezip.MAX_ZIP_RATIO
    )
    name = filename or (Path(source).name if isinstance(source, str | os.PathLike) else "")
    return run_limited(
        _read_here,
        source,
        filename,
        crs,
        max_bytes,
        district,
        check_extent,
        datum,
        limits,
        limits=limits,
        name=name or "上传文件/upload",
        prepare=_PREPARE,
    )


def start_reader() -> None:
    """Start the helper that reads files in a server, before the first upload needs it.

    A process with several threads (the Streamlit server) reads each file in a child of a
    helper process (:mod:`wzgeo.plots._isolate`), which imports the readers once; started
    here, it does that while the server starts instead of during the first upload.
    """
    start_zygote(_PREPARE)


_PREPARE = "wzgeo.plots.io:_warm_up"

_WARM_UP_PLOT = (
    b'{"type": "Feature", "properties": {"name": "warm-up"}, "geometry": {"type": "Polygon", '
    b'"coordinates": [[[108.38, 30.80], [108.381, 30.80], [108.381, 30.801], [108.38, 30.80]]]}}'
)


def _warm_up() -> None:
    """Read a tiny built-in plot once, in the process the reading children are forked from.

    Imports the readers' libraries and sets up GDAL and PROJ once, so a child reading a
    file does not spend about 0.3 s doing it again.
    """
    import openpyxl  # noqa: F401  (the Excel reader; imported lazily by pandas otherwise)
    import pyogrio.raw  # noqa: F401

    _read_here(_WARM_UP_PLOT, "warm-up.geojson", None, 10_000, None, True, "WGS84", Limits())


def _read_here(
    source: str | os.PathLike[str] | bytes,
    filename: str | None,
    crs: Any,
    max_bytes: int,
    district: Any,
    check_extent: bool,
    datum: str,
    limits: Limits,
) -> PlotImport:
    """:func:`read_plots` in the process that reads the file (see :mod:`wzgeo.plots._isolate`)."""
    data, name, path = load_source(source, filename=filename, max_bytes=max_bytes)
    ctx = FileContext(name, limits)
    if not data.strip():
        raise ctx.err(
            "文件为空，请检查是否导出/上传了正确的文件。",
            "the file is empty; check that the right file was exported/uploaded.",
        )
    override = parse_crs_arg(crs) if crs is not None else None
    parsed = _parse(data, ctx, path=path)
    _check_totals(parsed, ctx)
    for note in parsed.notes:
        ctx.warnings.append(note)
    if not parsed.plots:
        raise ctx.err(
            "文件中没有找到任何地块（面）。请检查文件内容和格式。",
            "no plots (polygons) were found in the file; check its content and format.",
        )
    datum = normalize_datum(datum)
    return _finish(
        parsed,
        ctx,
        override=override,
        district=district,
        check_extent=check_extent,
        datum=datum,
    )


def _check_totals(parsed: ParsedFile, ctx: FileContext) -> None:
    """Hold the plot and vertex limits for the whole file, whatever the parser counted."""
    total = Counter(ctx.name, ctx.limits)
    total.add_plots(len(parsed.plots))
    for p in parsed.plots:
        if p.rings is not None:
            total.add_vertices(sum(len(r) for r in p.rings))
        elif p.geometry is not None:
            total.add_vertices(int(shapely.get_num_coordinates(p.geometry)))


_DATUM_SHIFT: dict[str, Callable[[Any, Any], tuple[Any, Any]] | None] = {
    "WGS84": None,
    "GCJ-02": wcrs.gcj02_to_wgs84,
    "BD-09": wcrs.bd09_to_wgs84,
}

DATUMS = ("wgs84", "gcj02", "bd09")
"""The datum choices (ids) of :func:`read_plots`, ``--datum`` and the app."""
_DATUM_LABEL = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}


def normalize_datum(datum: str) -> str:
    """The datum's label (``"WGS84"``, ``"GCJ-02"``, ``"BD-09"``) from an id or a label.

    ``"gcj02"``, ``"GCJ-02"``, ``"gcj_02"`` … are all accepted.

    Raises
    ------
    InputFileError
        Not one of the three.
    """
    key = "".join(ch for ch in str(datum).lower() if ch.isalnum())
    if key not in _DATUM_LABEL:
        raise InputFileError(
            f"datum 只能是 {'、'.join(DATUMS)}（WGS84、高德/腾讯 GCJ-02、百度 BD-09），"
            f"收到 {datum!r}。",
            f"datum must be one of {', '.join(DATUMS)} (WGS84, Gaode/Tencent GCJ-02, Baidu "
            f"BD-09), got {datum!r}.",
        )
    return _DATUM_LABEL[key]


_KNOWN_EXT = frozenset(
    {".zip", ".kmz", ".gpkg", ".shp", ".xlsx", ".xlsm", ".xls", ".geojson", ".json", ".kml"}
    | {".txt", ".csv", ".wkt", ".dat"}
)


def _parse(data: bytes, ctx: FileContext, *, path: Path | None) -> ParsedFile:
    """Pick the parser by extension and content (zip/SQLite magic, XML, JSON, 部标, WKT)."""
    ext = Path(ctx.name).suffix.lower()
    head = data[:4096]
    if ext and ext not in _KNOWN_EXT:
        raise _unsupported(ctx, ext)
    if ext in (".xlsx", ".xlsm"):
        return parse_excel(data, ctx)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return parse_zip(data, ctx)
    if ext in (".zip", ".kmz"):
        raise ctx.err(
            "文件不是有效的 zip 压缩包（可能损坏或未传完整）。请重新压缩/上传。",
            "the file is not a valid zip archive (damaged or truncated); re-zip and upload again.",
        )
    if head.startswith(b"SQLite format 3") or ext == ".gpkg":
        return parse_ogr(data, ctx, fmt="GeoPackage")
    if ext == ".shp":
        if path is not None:
            return parse_ogr(path, ctx, fmt="Shapefile")
        raise ctx.err(
            "单独的 .shp 文件不完整。请把 .shp、.shx、.dbf、.prj 一起打包成 zip 上传。",
            "a .shp file alone is incomplete; zip it together with its .shx, .dbf and .prj.",
        )
    if ext == ".xls":
        raise ctx.err(
            "不支持旧版 Excel（.xls）。请在 Excel 中另存为 .xlsx 或 .csv。",
            "old Excel files (.xls) are not supported; save as .xlsx or .csv in Excel.",
        )
    text = decode_text(data, ctx)
    stripped = text.lstrip()
    if ext == ".kml" or stripped.startswith("<"):
        return parse_kml(data, ctx)
    if ext in (".geojson", ".json") or stripped.startswith("{"):
        return parse_geojson(text, ctx)
    if is_bubiao(text):
        return parse_bubiao(text, ctx)
    if WKT_RE.match(stripped):
        return parse_wkt(text, ctx)
    if ext in (".csv", ".txt", ".dat", ""):
        return parse_csv(text, ctx)
    raise _unsupported(ctx, ext)  # pragma: no cover - every listed extension is handled


def _without_case_clashes(table: pd.DataFrame, own: tuple[str, ...]) -> pd.DataFrame:
    """The file's attributes whose names differ from the result's own columns only in case
    (KML's ``Name`` beside ``name``) dropped when they hold the same values, else renamed
    ``<name>_attr``: GeoPackage and Shapefile field names ignore case, so the plots could
    not be written out (``import-plots --out x.gpkg``) otherwise."""
    lower = {c.lower() for c in own} | {"geometry"}
    for c in [c for c in table.columns if str(c) not in own and str(c).lower() in lower]:
        mine = next(o for o in (*own, "geometry") if o == str(c).lower())
        if mine in table.columns and table[c].astype(str).equals(table[mine].astype(str)):
            table = table.drop(columns=c)
        else:
            table = table.rename(columns={c: f"{c}_attr"})
    return table


def _unsupported(ctx: FileContext, ext: str) -> InputFileError:
    return ctx.err(
        f"不支持的文件格式（{ext or '无扩展名'}）。支持：{SUPPORTED_TEXT}。",
        f"unsupported file format ({ext or 'no extension'}). Supported: {SUPPORTED_TEXT}.",
    )


def _finish(
    parsed: ParsedFile,
    ctx: FileContext,
    *,
    override: CRS | None,
    district: Any,
    check_extent: bool,
    datum: str,
) -> PlotImport:
    """Decide the CRS, build and check the geometries, measure areas, assemble the table."""
    require_geometry(parsed, ctx)
    src_crs, inferred, swap, reason_zh, reason_en = decide_crs(parsed, ctx, override)
    if swap:
        ctx.warn(
            "X/Y 已交换（文件中 X 为北坐标在前，测量习惯；已按东坐标在前读取）",
            "X/Y swapped (the file lists X = northing first, the survey convention; read as "
            "easting first)",
        )
    to_measure = Transformer.from_crs(src_crs, wcrs.MEASURE_CRS, always_xy=True)

    shift = _DATUM_SHIFT[datum]
    if shift is not None:
        if not src_crs.is_geographic:
            raise ctx.err(
                f"指定了 {datum} 偏移坐标，但坐标系 {crs_label(src_crs)} 不是经纬度。"
                f"{datum} 只适用于从高德/百度等地图取得的经纬度。",
                f"{datum} was given but the CRS {crs_label(src_crs)} is not lon/lat; "
                f"{datum} applies only to lon/lat taken from Gaode/Baidu-type maps.",
            )
        reason_zh += f"；坐标为 {datum} 偏移经纬度，已转回 WGS84"
        reason_en += f"; coordinates are {datum}-shifted lon/lat, converted back to WGS84"
    elif inferred and src_crs.is_geographic:
        reason_zh += "。" + LONLAT_DATUM_CAVEAT[0]
        reason_en += ". " + LONLAT_DATUM_CAVEAT[1]

    def fwd(c: np.ndarray) -> np.ndarray:
        if swap:
            c = c[:, ::-1]
        x, y = c[:, 0], c[:, 1]
        if shift is not None:
            x, y = shift(x, y)
        xx, yy = to_measure.transform(x, y)
        return np.column_stack([xx, yy])

    geoms_m = plot_geometries(parsed, ctx, fwd)
    check_lonlat_extent(parsed, geoms_m, ctx, district=district, check_extent=check_extent)
    checked = [validate_polygon(g, p, ctx) for g, p in zip(geoms_m, parsed.plots, strict=True)]
    final_m = [g for g, _ in checked]
    repaired = np.array([r for _, r in checked], dtype=bool)

    ids = plot_ids(parsed, ctx)
    names = [p.name if p.name is not None else pick_name(p.attrs) for p in parsed.plots]
    gs_m = gpd.GeoSeries(final_m, crs=wcrs.MEASURE_CRS)
    gs_ll = gs_m.to_crs(wcrs.WGS84)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        measured_mu = wcrs.area_m2(gs_ll).to_numpy() / M2_PER_MU
    for w in caught:
        ctx.warn(f"面积量算：{w.message}", f"area: {w.message}")
    declared = np.array(
        [
            p.declared_area_mu
            if not math.isnan(p.declared_area_mu)
            else declared_from_attrs(p.attrs)
            for p in parsed.plots
        ],
        dtype=float,
    )
    for pid, d, m in zip(ids, declared, measured_mu, strict=True):
        if math.isfinite(d) and d > 0 and abs(m - d) / d > _AREA_MISMATCH:
            ctx.warn(
                f"地块 {pid} 声明面积 {d:.2f} 亩（{d / MU_PER_HA:.4f} 公顷），实测 {m:.2f} 亩，"
                f"相差 {100 * (m - d) / d:+.1f}%，请核对",
                f"plot {pid}: declared {d:.2f} mu ({d / MU_PER_HA:.4f} ha), measured {m:.2f} mu, "
                f"{100 * (m - d) / d:+.1f}% difference; please check",
            )
    attr_rows = [dict(p.attrs) for p in parsed.plots]
    table = pd.DataFrame(attr_rows, index=range(len(parsed.plots)))
    own = ("plot_id", "name", "declared_area_mu", "measured_area_mu", "geometry_repaired")
    table = table.drop(columns=[c for c in (*own, "geometry") if c in table.columns])
    table.insert(0, "plot_id", pd.Series(ids, dtype="str"))
    table.insert(1, "name", pd.Series([n or "" for n in names], dtype="str"))
    table["declared_area_mu"] = declared
    table["measured_area_mu"] = measured_mu
    table["geometry_repaired"] = repaired
    table = _without_case_clashes(table, own)
    plots = gpd.GeoDataFrame(table, geometry=gs_ll.values, crs=wcrs.WGS84)
    return PlotImport(
        plots=plots,
        source_crs=crs_label(src_crs),
        crs_inferred=inferred,
        crs_reason_zh=reason_zh,
        crs_reason_en=reason_en,
        warnings=ctx.warnings,
        format=parsed.fmt,
        filename=ctx.name,
    )

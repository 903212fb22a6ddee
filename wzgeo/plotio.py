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
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry.base import BaseGeometry

from wzgeo import crs as wcrs
from wzgeo._errors import InputFileError, WzgeoTypeError
from wzgeo.units import M2_PER_MU, MU_PER_HA

__all__ = [
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
    "SUPPORTED_FORMATS",
    "WANZHOU_BBOX",
    "PlotImport",
    "read_plots",
]

logger = logging.getLogger(__name__)

WANZHOU_BBOX = (107.8, 30.35, 108.95, 31.1)
"""Default extent (lon/lat, W S E N) a plot must lie in when no district polygon is given."""
MAX_ZIP_UNCOMPRESSED_BYTES = 200_000_000
"""Refuse archives that expand to more than this."""
MAX_ZIP_RATIO = 100.0
"""Refuse archives (over 1 MB expanded) that expand more than this many times."""
SUPPORTED_FORMATS = (
    "GeoJSON (.geojson/.json)",
    "GeoPackage (.gpkg)",
    "Shapefile 压缩包 / zipped Shapefile (.zip)",
    "KML/KMZ (.kml/.kmz)",
    "部标坐标 TXT (.txt)",
    "CSV/Excel 界址点表 / point lists (.csv/.xlsx)",
    "WKT (.wkt/.txt)",
)
_SUPPORTED_TEXT = "；".join(SUPPORTED_FORMATS)
_CHINA_LONLAT = (73.4, 3.8, 135.1, 53.6)
_CLOSE_TOL_M = 1.0
_REPAIR_MAX_CHANGE = 0.01
_AREA_MISMATCH = 0.01


@dataclass
class PlotImport:
    """The result of :func:`read_plots`.

    Attributes
    ----------
    plots
        One row per plot in EPSG:4326: ``plot_id`` (unique str), ``name``, the file's other
        attributes, ``declared_area_mu`` (NaN if the file states none), ``measured_area_mu``
        (computed in EPSG:4545).
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


# ---------------------------------------------------------------------------------------------
# Intermediate representation
# ---------------------------------------------------------------------------------------------


@dataclass
class _RawPlot:
    """A plot as read: either rings of raw coordinates or a ready geometry."""

    where_zh: str
    where_en: str
    plot_id: str | None = None
    name: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    rings: list[np.ndarray] | None = None  # (n, 2) x/y in file order, x = easting/lon
    ring_where: list[tuple[str, str]] | None = None
    geometry: BaseGeometry | None = None
    declared_area_mu: float = math.nan
    # "strict" (TXT, must be closed), "auto" (CSV point lists, closed silently),
    # "reclosed" (a GDAL-read ring closed on reading: check the gap)
    ring_closure: str = "strict"


@dataclass
class _Parsed:
    fmt: str
    plots: list[_RawPlot]
    crs: CRS | None = None
    crs_reason_zh: str = ""
    crs_reason_en: str = ""
    notes: list[str] = field(default_factory=list)


class _Ctx:
    """File name and message helpers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.warnings: list[str] = []

    def err(self, zh: str, en: str) -> InputFileError:
        return InputFileError(f"文件 {self.name}：{zh}", f"File {self.name}: {en}")

    def warn(self, zh: str, en: str) -> None:
        logger.info("%s: %s", self.name, en)
        self.warnings.append(f"{zh} / {en}")


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


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
        ``"WGS84"`` (default), or ``"GCJ-02"`` / ``"BD-09"`` for lon/lat taken from Gaode/
        Tencent or Baidu maps; those are shifted back to WGS84 with :mod:`wzgeo.crs`.

    Returns
    -------
    PlotImport
        The plots in EPSG:4326 with CRS provenance and warnings.

    Raises
    ------
    InputFileError
        For every problem with the file; the message names the file, the plot/line and the
        fix, in Chinese and English.
    """
    data, name, path = _load_source(source, filename=filename, max_bytes=max_bytes)
    ctx = _Ctx(name)
    if not data.strip():
        raise ctx.err(
            "文件为空，请检查是否导出/上传了正确的文件。",
            "the file is empty; check that the right file was exported/uploaded.",
        )
    override = _parse_crs_arg(crs) if crs is not None else None
    parsed = _parse(data, ctx, path=path)
    for note in parsed.notes:
        ctx.warnings.append(note)
    if not parsed.plots:
        raise ctx.err(
            "文件中没有找到任何地块（面）。请检查文件内容和格式。",
            "no plots (polygons) were found in the file; check its content and format.",
        )
    if datum not in _DATUM_SHIFT:
        raise InputFileError(
            f"datum 只能是 {'、'.join(_DATUM_SHIFT)}，收到 {datum!r}。",
            f"datum must be one of {', '.join(_DATUM_SHIFT)}, got {datum!r}.",
        )
    return _finish(
        parsed,
        ctx,
        override=override,
        district=district,
        check_extent=check_extent,
        datum=datum,
    )


_DATUM_SHIFT: dict[str, Callable[[Any, Any], tuple[Any, Any]] | None] = {
    "WGS84": None,
    "GCJ-02": wcrs.gcj02_to_wgs84,
    "BD-09": wcrs.bd09_to_wgs84,
}


def _load_source(
    source: Any, *, filename: str | None, max_bytes: int
) -> tuple[bytes, str, Path | None]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = filename or "上传文件/upload"
        path = None
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        name = filename or path.name
        if not path.exists():
            raise InputFileError(
                f"找不到文件 {path}，请检查路径。", f"File not found: {path}; check the path."
            )
        if path.is_dir():
            raise InputFileError(
                f"{path} 是文件夹，请选择一个文件（Shapefile 请打包成 zip）。",
                f"{path} is a folder; choose a file (zip a Shapefile with its parts).",
            )
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_big(name, size, max_bytes)
        data = path.read_bytes()
    else:
        raise WzgeoTypeError(
            f"source 必须是文件路径或字节内容，收到 {type(source).__name__}。",
            f"source must be a file path or bytes, got {type(source).__name__}.",
        )
    if len(data) > max_bytes:
        raise _too_big(name, len(data), max_bytes)
    return data, name, path


def _too_big(name: str, size: int, max_bytes: int) -> InputFileError:
    return InputFileError(
        f"文件 {name} 大小 {size / 1e6:.1f} MB，超过上限 {max_bytes / 1e6:.1f} MB。"
        "请只导出需要检查的地块，或压缩后上传。",
        f"File {name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit. "
        "Export only the plots to check, or upload a zipped file.",
    )


def _parse_crs_arg(value: Any) -> CRS:
    try:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        return CRS.from_user_input(value)
    except ProjCRSError as e:
        raise InputFileError(
            f"无法识别坐标系 {value!r}。请填写 EPSG 代码，例如 4545（CGCS2000 3 度带 36 带）、"
            "4524（带号前缀）或 4326（经纬度）。",
            f"Unknown CRS {value!r}. Give an EPSG code, e.g. 4545 (CGCS2000 GK zone 36), "
            "4524 (zone-prefixed) or 4326 (lon/lat).",
        ) from e


# ---------------------------------------------------------------------------------------------
# Format detection and parsers
# ---------------------------------------------------------------------------------------------

_WKT_RE = re.compile(
    r"^\s*(SRID=\d+;\s*)?(MULTI)?(POLYGON|POINT|LINESTRING|GEOMETRYCOLLECTION)\b", re.I
)


_KNOWN_EXT = frozenset(
    {".zip", ".kmz", ".gpkg", ".shp", ".xlsx", ".xlsm", ".xls", ".geojson", ".json", ".kml"}
    | {".txt", ".csv", ".wkt", ".dat"}
)


def _parse(data: bytes, ctx: _Ctx, *, path: Path | None) -> _Parsed:
    ext = Path(ctx.name).suffix.lower()
    head = data[:4096]
    if ext and ext not in _KNOWN_EXT:
        raise _unsupported(ctx, ext)
    if ext in (".xlsx", ".xlsm"):
        return _parse_excel(data, ctx)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _parse_zip(data, ctx)
    if ext in (".zip", ".kmz"):
        raise ctx.err(
            "文件不是有效的 zip 压缩包（可能损坏或未传完整）。请重新压缩/上传。",
            "the file is not a valid zip archive (damaged or truncated); re-zip and upload again.",
        )
    if head.startswith(b"SQLite format 3") or ext == ".gpkg":
        return _parse_ogr(data, ctx, fmt="GeoPackage")
    if ext == ".shp":
        if path is not None:
            return _parse_ogr_path(path, ctx, fmt="Shapefile")
        raise ctx.err(
            "单独的 .shp 文件不完整。请把 .shp、.shx、.dbf、.prj 一起打包成 zip 上传。",
            "a .shp file alone is incomplete; zip it together with its .shx, .dbf and .prj.",
        )
    if ext == ".xls":
        raise ctx.err(
            "不支持旧版 Excel（.xls）。请在 Excel 中另存为 .xlsx 或 .csv。",
            "old Excel files (.xls) are not supported; save as .xlsx or .csv in Excel.",
        )
    text = _decode(data, ctx)
    stripped = text.lstrip()
    if ext == ".kml" or stripped.startswith("<"):
        return _parse_kml(data, ctx)
    if ext in (".geojson", ".json") or stripped.startswith("{"):
        return _parse_geojson(data, text, ctx)
    if "[地块坐标]" in text or "[属性描述]" in text or re.search(r",\s*@\s*$", text, re.M):
        return _parse_txt(text, ctx)
    if _WKT_RE.match(stripped):
        return _parse_wkt(text, ctx)
    if ext in (".csv", ".txt", ".dat", ""):
        return _parse_csv(text, ctx)
    raise _unsupported(ctx, ext)  # pragma: no cover - every listed extension is handled


def _unsupported(ctx: _Ctx, ext: str) -> InputFileError:
    return ctx.err(
        f"不支持的文件格式（{ext or '无扩展名'}）。支持：{_SUPPORTED_TEXT}。",
        f"unsupported file format ({ext or 'no extension'}). Supported: {_SUPPORTED_TEXT}.",
    )


def _decode(data: bytes, ctx: _Ctx) -> str:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:4096]:
        raise ctx.err(
            "文件含有空字节，不是 UTF-8/GBK 文本（可能是无 BOM 的 UTF-16 或二进制文件）。"
            "请另存为 UTF-8 或 GBK 编码的文本。",
            "the file contains NUL bytes and is not UTF-8/GBK text (UTF-16 without BOM or a "
            "binary file?). Save it as UTF-8 or GBK text.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ctx.err(
            f"无法识别文件编码（第 {line} 行既不是 UTF-8 也不是 GBK）。"
            "请用记事本/WPS 另存为 UTF-8 或 GBK 编码。",
            f"cannot detect the text encoding (line {line} is neither UTF-8 nor GBK). "
            "Save the file as UTF-8 or GBK.",
        ) from e


# --- zip (Shapefile, KMZ) ---------------------------------------------------------------------


def _safe_members(zf: zipfile.ZipFile, ctx: _Ctx) -> list[zipfile.ZipInfo]:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    total = 0
    total_c = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ctx.err(
                f"压缩包内的文件名 {info.filename!r} 含有不安全路径（绝对路径或 ../），已拒绝。"
                "请只打包需要的文件重新压缩。",
                f"archive member {info.filename!r} has an unsafe path (absolute or ../); "
                "refused. Re-zip only the needed files.",
            )
        total += info.file_size
        total_c += info.compress_size
    ratio = total / max(total_c, 1)
    if total > MAX_ZIP_UNCOMPRESSED_BYTES or (total > 1_000_000 and ratio > MAX_ZIP_RATIO):
        raise ctx.err(
            f"压缩包解压后为 {total / 1e6:.0f} MB（压缩比 {ratio:.0f}），超出上限"
            f"（{MAX_ZIP_UNCOMPRESSED_BYTES / 1e6:.0f} MB、压缩比 {MAX_ZIP_RATIO:.0f}），"
            "疑似压缩炸弹，已拒绝。",
            f"the archive expands to {total / 1e6:.0f} MB (ratio {ratio:.0f}), over the limits "
            f"({MAX_ZIP_UNCOMPRESSED_BYTES / 1e6:.0f} MB, ratio {MAX_ZIP_RATIO:.0f}); "
            "refused as a possible zip bomb.",
        )
    return infos


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: _Ctx) -> bytes:
    limit = info.file_size
    try:
        with zf.open(info) as fh:
            out = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
        raise ctx.err(
            f"压缩包中的 {info.filename} 无法解压（损坏、加密或不完整）。请重新压缩。",
            f"cannot extract {info.filename} from the archive (damaged, encrypted or "
            "truncated); re-zip it.",
        ) from e
    if len(out) > limit:
        raise ctx.err(
            f"压缩包中的 {info.filename} 实际大小与声明不符，已拒绝。",
            f"{info.filename} in the archive is larger than declared; refused.",
        )
    return out


def _parse_zip(data: bytes, ctx: _Ctx) -> _Parsed:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as e:
        raise ctx.err(
            "zip 压缩包损坏或未传完整。请重新压缩/上传。",
            "the zip archive is damaged or truncated; re-zip and upload again.",
        ) from e
    with zf:
        infos = _safe_members(zf, ctx)
        by_ext: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if base.startswith(".") or "__MACOSX" in info.filename:
                continue
            by_ext.setdefault(PurePosixPath(base).suffix.lower(), []).append(info)
        if ".kml" in by_ext:
            kml = by_ext[".kml"]
            doc = [i for i in kml if i.filename.lower().endswith("doc.kml")] or kml
            parsed = _parse_kml(_read_member(zf, doc[0], ctx), ctx)
            parsed.fmt = "KMZ"
            return parsed
        shps = by_ext.get(".shp", [])
        if not shps:
            raise ctx.err(
                "压缩包中没有 .shp 或 .kml 文件。请把 Shapefile 的 .shp/.shx/.dbf/.prj 打包上传。",
                "the archive holds no .shp or .kml file; zip a Shapefile's "
                ".shp/.shx/.dbf/.prj together.",
            )
        if len(shps) > 1:
            names = ", ".join(i.filename for i in shps)
            raise ctx.err(
                f"压缩包中有多个 Shapefile（{names}），请每次只上传一个。",
                f"the archive holds several Shapefiles ({names}); upload one at a time.",
            )
        stem = PurePosixPath(shps[0].filename.replace("\\", "/")).stem
        with tempfile.TemporaryDirectory(prefix="wzgeo_shp_") as tmp:
            present = set()
            for info in infos:
                p = PurePosixPath(info.filename.replace("\\", "/"))
                if p.stem != stem:
                    continue
                ext = p.suffix.lower()
                present.add(ext)
                (Path(tmp) / f"plots{ext}").write_bytes(_read_member(zf, info, ctx))
            missing = [e for e in (".shx", ".dbf") if e not in present]
            if missing:
                raise ctx.err(
                    f"Shapefile 缺少 {'、'.join(missing)} 文件，请与 .shp 一起打包。",
                    f"the Shapefile lacks its {', '.join(missing)} file(s); "
                    "zip them with the .shp.",
                )
            encoding = None
            if ".cpg" not in present:
                dbf = (Path(tmp) / "plots.dbf").read_bytes()
                try:
                    dbf.decode("utf-8")
                    encoding = "UTF-8"
                except UnicodeDecodeError:
                    encoding = "GB18030"
            parsed = _parse_ogr_path(Path(tmp) / "plots.shp", ctx, fmt="Shapefile", enc=encoding)
        if ".prj" not in present:
            parsed.crs = None
            parsed.notes.append(
                "Shapefile 没有 .prj 文件，坐标系根据坐标范围推断 / "
                "the Shapefile has no .prj file; the CRS is inferred from the coordinates"
            )
        return parsed


# --- GDAL-readable formats ----------------------------------------------------------------------


def _ogr_error(ctx: _Ctx, fmt: str, e: Exception) -> InputFileError:
    return ctx.err(
        f"无法读取 {fmt} 文件（文件损坏、不完整或不是 {fmt}）：{e}。请重新导出。",
        f"cannot read it as {fmt} (damaged, truncated or not {fmt}): {e}. Export it again.",
    )


def _read_layers(src: Any, ctx: _Ctx, fmt: str, **kw: Any) -> list[gpd.GeoDataFrame]:
    """Read every vector layer of ``src`` (bytes or a path) with pyogrio; wrap GDAL errors."""
    if isinstance(src, bytes):
        suffix = {"GeoJSON": ".geojson", "GeoPackage": ".gpkg", "KML": ".kml"}.get(fmt, "")
        with tempfile.TemporaryDirectory(prefix="wzgeo_read_") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(src)
            return _read_layers(str(path), ctx, fmt, **kw)

    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    errors = (DataSourceError, DataLayerError, GeometryError, FieldError, OSError, ValueError)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layers = pyogrio.list_layers(src)
            frames = []
            for layer_name, geom_type in layers:
                if geom_type is None:  # attribute-only table (e.g. GeoPackage metadata)
                    continue
                gdf = pyogrio.read_dataframe(src, layer=layer_name, on_invalid="ignore", **kw)
                gdf = _refix_unclosed(gdf, src, layer_name, **kw)
                if len(layers) > 1:
                    gdf["layer"] = layer_name
                frames.append(gdf)
    except errors as e:
        raise _ogr_error(ctx, fmt, e) from e
    for w in caught:
        msg = str(w.message)
        if "closed ring" not in msg.lower():
            ctx.warn(f"GDAL 提示：{msg}", f"GDAL: {msg}")
    return frames


_UNCLOSED = "_wzgeo_unclosed"


def _refix_unclosed(gdf: gpd.GeoDataFrame, src: Any, layer: Any, **kw: Any) -> gpd.GeoDataFrame:
    """Recover geometries GEOS refused (unclosed rings) and flag them for the gap check."""
    missing = gdf.geometry.isna().to_numpy()
    if not missing.any():
        return gdf
    import pyogrio.raw

    _, _, wkb, _ = pyogrio.raw.read(src, layer=layer, columns=[], **kw)
    geoms = list(gdf.geometry.values)
    flags = np.zeros(len(gdf), dtype=bool)
    for i in np.flatnonzero(missing):
        if wkb[i] is None:
            continue
        fixed = shapely.from_wkb(wkb[i], on_invalid="fix")
        if fixed is not None:
            geoms[i] = fixed
            flags[i] = True
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    out[_UNCLOSED] = flags
    return out


def _frames_to_parsed(
    frames: list[gpd.GeoDataFrame], ctx: _Ctx, fmt: str, *, declared: bool = True
) -> _Parsed:
    crs_set = {CRS.from_user_input(f.crs).to_string() for f in frames if f.crs is not None}
    if len(crs_set) > 1:
        raise ctx.err(
            f"文件中的图层坐标系不一致（{'、'.join(sorted(crs_set))}），请统一后再导入。",
            f"the layers use different CRSs ({', '.join(sorted(crs_set))}); unify them first.",
        )
    crs = next((CRS.from_user_input(f.crs) for f in frames if f.crs is not None), None)
    plots: list[_RawPlot] = []
    for f in frames:
        geom_name = f.geometry.name
        for i, (_, row) in enumerate(f.iterrows(), start=1):
            attrs = {k: _py(v) for k, v in row.items() if k != geom_name}
            unclosed = bool(attrs.pop(_UNCLOSED, False))
            layer = attrs.get("layer")
            where_zh = f"第 {i} 个要素" + (f"（图层 {layer}）" if layer else "")
            where_en = f"feature {i}" + (f" (layer {layer})" if layer else "")
            plots.append(
                _RawPlot(
                    where_zh=where_zh,
                    where_en=where_en,
                    attrs=attrs,
                    geometry=row[geom_name],
                    ring_closure="reclosed" if unclosed else "strict",
                )
            )
    parsed = _Parsed(fmt=fmt, plots=plots, crs=crs if declared else None)
    if parsed.crs is not None:
        parsed.crs_reason_zh = f"{fmt} 文件中声明的坐标系"
        parsed.crs_reason_en = f"CRS declared in the {fmt} file"
    return parsed


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _parse_ogr(data: bytes, ctx: _Ctx, *, fmt: str) -> _Parsed:
    return _frames_to_parsed(_read_layers(data, ctx, fmt), ctx, fmt)


def _parse_ogr_path(path: Path, ctx: _Ctx, *, fmt: str, enc: str | None = None) -> _Parsed:
    kw = {"encoding": enc} if enc else {}
    return _frames_to_parsed(_read_layers(str(path), ctx, fmt, **kw), ctx, fmt)


def _parse_geojson(data: bytes, text: str, ctx: _Ctx) -> _Parsed:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ctx.err(
            f"GeoJSON 格式错误或文件不完整（第 {e.lineno} 行第 {e.colno} 列：{e.msg}）。"
            "请重新导出。",
            f"invalid or truncated GeoJSON (line {e.lineno}, column {e.colno}: {e.msg}). "
            "Export it again.",
        ) from e
    if not isinstance(obj, dict) or "type" not in obj:
        raise ctx.err(
            "JSON 文件不是 GeoJSON（缺少 type 字段）。",
            "the JSON file is not GeoJSON (no 'type' member).",
        )
    declared = isinstance(obj.get("crs"), dict)
    parsed = _frames_to_parsed(
        _read_layers(text.encode("utf-8"), ctx, "GeoJSON"), ctx, "GeoJSON", declared=declared
    )
    return parsed


def _parse_kml(data: bytes, ctx: _Ctx) -> _Parsed:
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:4096], re.I):
        raise ctx.err(
            "KML 文件含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝读取。请从原软件重新导出。",
            "the KML contains a DOCTYPE/ENTITY declaration and is refused for safety; "
            "export it again from the original software.",
        )
    if b"<kml" not in data[:4096].lower() and b"opengis.net/kml" not in data[:4096]:
        raise ctx.err(
            f"XML 文件不是 KML。支持：{_SUPPORTED_TEXT}。",
            f"the XML file is not KML. Supported: {_SUPPORTED_TEXT}.",
        )
    frames = _read_layers(data, ctx, "KML")
    frames = [f.set_geometry(shapely.force_2d(f.geometry.values), crs=f.crs) for f in frames]
    parsed = _frames_to_parsed(frames, ctx, "KML")
    parsed.crs = CRS.from_user_input(wcrs.WGS84)
    parsed.crs_reason_zh = "KML 规定使用 WGS84 经纬度"
    parsed.crs_reason_en = "KML is always WGS84 lon/lat"
    for p in parsed.plots:
        # LIBKML adds many empty styling columns; keep only those with content
        p.attrs = {k: v for k, v in p.attrs.items() if not _is_blank(v) and k != "id"}
    return parsed


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _parse_wkt(text: str, ctx: _Ctx) -> _Parsed:
    chunks: list[tuple[int, str]] = []
    try:
        shapely.from_wkt(re.sub(r"^\s*SRID=\d+;", "", text.strip()))
        chunks = [(1, text.strip())]
    except shapely.errors.GEOSException:
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                chunks.append((n, line.strip()))
    plots: list[_RawPlot] = []
    srids: set[int] = set()
    for n, chunk in chunks:
        m = re.match(r"^SRID=(\d+);\s*", chunk, re.I)
        if m:
            srids.add(int(m.group(1)))
            chunk = chunk[m.end() :]
        try:
            geom = shapely.from_wkt(chunk)
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
        plots.append(_RawPlot(where_zh=f"第 {n} 行", where_en=f"line {n}", geometry=geom))
    parsed = _Parsed(fmt="WKT", plots=plots)
    if len(srids) > 1:
        raise ctx.err(
            f"WKT 中的 SRID 不一致（{sorted(srids)}）。", f"inconsistent SRIDs {sorted(srids)}."
        )
    if srids:
        srid = srids.pop()
        parsed.crs = _parse_crs_arg(srid)
        parsed.crs_reason_zh = f"EWKT 中声明 SRID={srid}"
        parsed.crs_reason_en = f"SRID={srid} declared in the EWKT"
    return parsed


# --- 部标 TXT -----------------------------------------------------------------------------------


def _num(s: str) -> float:
    v = float(s.strip())
    if not math.isfinite(v):
        raise ValueError(s)
    return v


def _parse_txt(text: str, ctx: _Ctx) -> _Parsed:
    lines = text.splitlines()
    header: dict[str, str] = {}
    plots: list[_RawPlot] = []
    section = ""
    cur: _RawPlot | None = None
    cur_count = 0
    cur_line = 0
    pts: list[tuple[str, str, float, float, int]] = []

    def close_plot() -> None:
        if cur is None:
            return
        if len(pts) < cur_count:
            raise ctx.err(
                f"地块 {cur.plot_id}（第 {cur_line} 行）声明 {cur_count} 个点，"
                f"只读到 {len(pts)} 个，"
                "文件可能不完整（被截断）。请重新导出。",
                f"plot {cur.plot_id} (line {cur_line}) declares {cur_count} points but only "
                f"{len(pts)} were read; the file looks truncated. Export it again.",
            )
        if len(pts) > cur_count:
            ctx.warn(
                f"地块 {cur.plot_id} 声明 {cur_count} 个点，实际 {len(pts)} 个",
                f"plot {cur.plot_id} declares {cur_count} points, has {len(pts)}",
            )
        rings: dict[str, list[tuple[float, float]]] = {}
        first_line: dict[str, int] = {}
        for _, ring, x_n, y_e, ln in pts:
            rings.setdefault(ring, []).append((y_e, x_n))  # easting first (shapely x)
            first_line.setdefault(ring, ln)
        cur.rings = [np.array(v, dtype=float) for v in rings.values()]
        cur.ring_where = [
            (
                f"地块 {cur.plot_id} 第 {r} 圈（第 {first_line[r]} 行起）",
                f"plot {cur.plot_id}, ring {r} (from line {first_line[r]})",
            )
            for r in rings
        ]
        plots.append(cur)

    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "属性描述" and "=" in line:
            k, _, v = line.partition("=")
            header[k.strip()] = v.strip()
            continue
        fields = [f.strip() for f in line.split(",")]
        if fields[-1] == "@":
            close_plot()
            pts = []
            try:
                cur_count = int(float(fields[0]))
            except ValueError as e:
                raise ctx.err(
                    f"第 {n} 行地块头的点数 {fields[0]!r} 不是数字。"
                    "格式：点数,面积,地块编号,地块名称,"
                    "类型,图幅号,用途,地类编码,@",
                    f"line {n}: the plot header's point count {fields[0]!r} is not a number. "
                    "Format: count,area,plot no,name,type,sheet,use,class code,@",
                ) from e
            cur_line = n
            pid = fields[2] if len(fields) > 2 and fields[2] else str(len(plots) + 1)
            name = fields[3] if len(fields) > 3 else ""
            kind = fields[4] if len(fields) > 4 else "面"
            if kind and kind not in ("面", "polygon", "Polygon"):
                raise ctx.err(
                    f"第 {n} 行地块 {pid} 的类型是“{kind}”，这里只接受“面”（地块边界）。"
                    "请只导出面状地块。",
                    f"line {n}: plot {pid} has type {kind!r} (point/line); only polygons (面) "
                    "are accepted here. Export polygon plots only.",
                )
            area_mu = math.nan
            if len(fields) > 1 and fields[1]:
                try:
                    area_mu = _num(fields[1]) * MU_PER_HA
                except ValueError:
                    ctx.warn(
                        f"第 {n} 行面积 {fields[1]!r} 不是数字，已忽略",
                        f"line {n}: area {fields[1]!r} is not a number; ignored",
                    )
            attrs = {
                "map_sheet": fields[5] if len(fields) > 6 else "",
                "land_use": fields[6] if len(fields) > 7 else "",
                "land_class_code": fields[7] if len(fields) > 8 else "",
            }
            cur = _RawPlot(
                where_zh=f"地块 {pid}（第 {n} 行）",
                where_en=f"plot {pid} (line {n})",
                plot_id=pid,
                name=name,
                attrs=attrs,
                declared_area_mu=area_mu,
                ring_closure="strict",
            )
            continue
        if cur is None:
            if section in ("地块坐标", "") and len(fields) >= 4:
                raise ctx.err(
                    f"第 {n} 行：坐标行之前缺少地块头（点数,面积,地块编号,地块名称,面,...,@）。",
                    f"line {n}: coordinate line before any plot header "
                    "(count,area,plot no,name,面,...,@).",
                )
            continue
        if len(fields) < 4:
            raise ctx.err(
                f"第 {n} 行格式错误：应为“点号,圈号,X,Y”，实际为 {line!r}。",
                f"line {n} is malformed: expected 'point,ring,X,Y', got {line!r}.",
            )
        try:
            x_n = _num(fields[2])
            y_e = _num(fields[3])
        except ValueError as e:
            raise ctx.err(
                f"第 {n} 行（地块 {cur.plot_id} 点 {fields[0]}）坐标不是数字：{fields[2]!r}, "
                f"{fields[3]!r}。请修正该行。",
                f"line {n} (plot {cur.plot_id}, point {fields[0]}): coordinates are not "
                f"numbers: {fields[2]!r}, {fields[3]!r}. Fix that line.",
            ) from e
        pts.append((fields[0], fields[1] or "1", x_n, y_e, n))
    close_plot()

    parsed = _Parsed(fmt="部标TXT", plots=plots)
    _txt_crs(header, parsed, ctx)
    return parsed


def _txt_crs(header: dict[str, str], parsed: _Parsed, ctx: _Ctx) -> None:
    system = header.get("坐标系", "")
    width = header.get("几度分带", "3").strip() or "3"
    zone_s = header.get("带号", "").strip()
    unit = header.get("计量单位", "米")
    if unit and unit not in ("米", "m", "M", "metre", "meter"):
        raise ctx.err(
            f"计量单位为“{unit}”，只支持米。", f"unit {unit!r} is not supported; only metres."
        )
    eastings = [r[:, 0] for p in parsed.plots for r in (p.rings or []) if len(r)]
    prefixed = bool(eastings) and float(np.nanmedian(np.concatenate(eastings))) > 1e7
    if zone_s:
        try:
            zone: int | None = int(float(zone_s))
        except ValueError:
            zone = None
    else:
        zone = None
    if prefixed:
        prefix_zone = int(float(np.nanmedian(np.concatenate(eastings))) // 1_000_000)
        if zone is not None and zone != prefix_zone:
            ctx.warn(
                f"头部带号 {zone} 与坐标的带号前缀 {prefix_zone} 不一致，"
                f"按坐标前缀 {prefix_zone} 处理",
                f"header zone {zone} differs from the coordinates' zone prefix {prefix_zone}; "
                f"using {prefix_zone}",
            )
        zone = prefix_zone
    if not system or zone is None:
        return  # infer from coordinates
    if "2000" in system or "CGCS" in system.upper():
        family = "CGCS2000"
    elif "80" in system or "西安" in system:
        family = "Xian 1980"
    elif "54" in system or "北京" in system:
        family = "Beijing 1954"
    else:
        ctx.warn(
            f"无法识别头部坐标系“{system}”，改为根据坐标推断",
            f"unknown header CRS {system!r}; inferring from the coordinates",
        )
        return
    code = _gk_epsg(family, zone, int(width), prefixed)
    if code is None:
        raise ctx.err(
            f"头部坐标系“{system}”{width} 度带 {zone} 带没有对应的 EPSG 代码。请用 --crs 指定。",
            f"no EPSG code for header CRS {system!r}, {width}-degree zone {zone}; pass crs=.",
        )
    parsed.crs = CRS.from_epsg(code)
    parsed.crs_reason_zh = (
        f"部标 TXT 头部声明：{system}，{width} 度带，带号 {zone}"
        f"（坐标{'含' if prefixed else '不含'}带号前缀）→ EPSG:{code}"
    )
    parsed.crs_reason_en = (
        f"declared in the TXT header: {system}, {width}-degree zone {zone} "
        f"({'with' if prefixed else 'without'} zone prefix) → EPSG:{code}"
    )
    if family != "CGCS2000":
        ctx.warn(
            f"{family} 坐标换算到 WGS84 可能有数十米误差（缺少当地转换参数），"
            "请以 CGCS2000 成果为准",
            f"{family} coordinates converted to WGS84 may be off by tens of metres (no local "
            "transformation parameters); prefer CGCS2000 data",
        )


def _gk_epsg(family: str, zone: int, width: int, prefixed: bool) -> int | None:
    """EPSG code of a Gauss-Krüger zone (CGCS2000 / Xian 1980 / Beijing 1954)."""
    if width == 3 and 25 <= zone <= 45:
        k = zone - 25
        table = {
            "CGCS2000": (4513, 4534),
            "Xian 1980": (2349, 2370),
            "Beijing 1954": (2401, 2422),
        }
    elif width == 6 and 13 <= zone <= 23:
        k = zone - 13
        table = {
            "CGCS2000": (4491, 4502),
            "Xian 1980": (2327, 2338),
            "Beijing 1954": (21413, 21453),
        }
    else:
        return None
    pre, cm = table[family]
    return pre + k if prefixed else cm + k


# --- CSV / Excel point lists --------------------------------------------------------------------

_COLS: dict[str, tuple[str, ...]] = {
    "plot_id": (
        "plotid",
        "plot",
        "地块编号",
        "地块号",
        "宗地号",
        "宗地编号",
        "图斑编号",
        "parcelid",
        "编号",
    ),
    "name": ("name", "名称", "地块名称", "宗地名称", "plotname"),
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


def _norm(col: str) -> str:
    c = str(col).strip().lower()
    c = re.sub(r"[\s_\-()（）\[\]【】:：/]", "", c)
    return c.removesuffix("m") if c in ("xm", "ym") else c


def _has_coords(cols: dict[str, Any]) -> bool:
    return any(a in cols and b in cols for a, b in (("lon", "lat"), ("east", "north"), ("x", "y")))


def _map_columns(columns: Sequence[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for col in columns:
        n = _norm(col)
        for key, names in _COLS.items():
            if n in names and key not in found:
                found[key] = col
                break
    return found


def _parse_table(df: pd.DataFrame, ctx: _Ctx, *, fmt: str, first_line: int) -> _Parsed:
    df = df.dropna(how="all")
    if df.empty:
        raise ctx.err("表格中没有数据行。", "the table has no data rows.")
    cols = _map_columns(list(df.columns))
    if not _has_coords(cols):
        # tables often start with a title row (e.g. "界址点坐标表"): look for the header below
        for i in range(min(10, len(df))):
            cand = [
                str(v).strip() if not _is_blank(v) else f"column{j + 1}"
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
        raise ctx.err(
            f"找不到坐标列（现有列：{', '.join(map(str, df.columns))}）。请使用列名 X/Y、"
            "纵坐标/横坐标 或 经度/纬度（lon/lat），可加 点号、地块编号 列。",
            f"no coordinate columns found (columns: {', '.join(map(str, df.columns))}). Use "
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
    plots: list[_RawPlot] = []
    for pid, positions in groups.items():
        pos_a = np.asarray(positions)
        ring_pos: dict[Any, list[int]] = {}
        for pos in positions:
            ring_pos.setdefault(ring_a[pos], []).append(pos)
        rings = [np.column_stack([x_a[rp], y_a[rp]]) for rp in ring_pos.values()]
        ring_where = [
            (
                f"地块 {pid} 第 {r} 圈（第 {row_a[rp[0]]} 行起）",
                f"plot {pid}, ring {r} (from row {row_a[rp[0]]})",
            )
            for r, rp in ring_pos.items()
        ]
        sub = df.iloc[pos_a]
        attrs: dict[str, Any] = {}
        for c in extra:
            vals = sub[c].dropna().unique()
            if len(vals) == 1:
                attrs[str(c)] = _py(vals[0])
        declared = math.nan
        first = sub.iloc[0]
        if "area_mu" in cols and not _is_blank(first[cols["area_mu"]]):
            declared = _try_float(first[cols["area_mu"]])
        elif "area_ha" in cols and not _is_blank(first[cols["area_ha"]]):
            declared = _try_float(first[cols["area_ha"]]) * MU_PER_HA
        name = attrs.pop(str(cols["name"]), None) if "name" in cols else None
        n0 = int(row_a[positions[0]])
        plots.append(
            _RawPlot(
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
    return _Parsed(fmt=fmt, plots=plots)


def _try_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _parse_csv(text: str, ctx: _Ctx) -> _Parsed:
    sample = text[:4096]
    sep = max([",", "\t", ";", "，"], key=sample.count)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise ctx.err(
            f"无法读取 CSV 表格（{e}）。也可能是不支持的格式。支持：{_SUPPORTED_TEXT}。",
            f"cannot read the CSV table ({e}); or the format is unsupported. "
            f"Supported: {_SUPPORTED_TEXT}.",
        ) from e
    return _parse_table(df, ctx, fmt="CSV", first_line=2)


def _parse_excel(data: bytes, ctx: _Ctx) -> _Parsed:
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
        raise ctx.err(
            f"无法读取 Excel 文件（损坏、不完整或加密）：{e}。请另存为 .xlsx 或 .csv 后重试。",
            f"cannot read the Excel file (damaged, truncated or encrypted): {e}. Save it again "
            "as .xlsx or .csv.",
        ) from e
    non_empty = [(k, v) for k, v in sheets.items() if not v.dropna(how="all").empty]
    if not non_empty:
        raise ctx.err("Excel 文件中没有数据。", "the Excel file holds no data.")
    sheet, df = non_empty[0]
    parsed = _parse_table(df, ctx, fmt="Excel", first_line=2)
    if len(non_empty) > 1:
        parsed.notes.append(
            f"只读取了第一个工作表“{sheet}”，其余 {len(non_empty) - 1} 个被忽略 / "
            f"only the first sheet {sheet!r} was read; {len(non_empty) - 1} other(s) ignored"
        )
    return parsed


# ---------------------------------------------------------------------------------------------
# CRS decision
# ---------------------------------------------------------------------------------------------


def _all_xy(parsed: _Parsed) -> np.ndarray:
    parts = []
    for p in parsed.plots:
        if p.rings is not None:
            parts.extend(p.rings)
        elif p.geometry is not None and not p.geometry.is_empty:
            parts.append(shapely.get_coordinates(p.geometry))
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _classify(x: np.ndarray, y: np.ndarray) -> tuple[str, int, str, str] | None:
    """Guess a CRS from coordinate ranges with x = first (shapely) coordinate."""
    lo_x, hi_x, lo_y, hi_y = x.min(), x.max(), y.min(), y.max()
    if lo_x >= 73 and hi_x <= 136 and lo_y >= 3 and hi_y <= 54:
        return ("lonlat", 4326, "坐标在中国范围内的经纬度（度）", "lon/lat degrees within China")
    zone = int(lo_x // 1_000_000)
    if lo_x >= 1e7 and zone == int(hi_x // 1_000_000):
        rem_lo, rem_hi = lo_x - zone * 1e6, hi_x - zone * 1e6
        if 25 <= zone <= 45 and rem_lo >= 150_000 and rem_hi <= 850_000 and 1.9e6 <= lo_y <= 6e6:
            code = 4513 + zone - 25
            return (
                "gk_prefixed",
                code,
                f"东坐标含带号前缀 {zone}（{lo_x:.0f}–{hi_x:.0f}），北坐标 {lo_y:.0f}–{hi_y:.0f}"
                f" → CGCS2000 3 度带 {zone} 带（带号前缀）",
                f"eastings carry zone prefix {zone} ({lo_x:.0f}–{hi_x:.0f}), northings "
                f"{lo_y:.0f}–{hi_y:.0f} → CGCS2000 3-degree GK zone {zone}, zone-prefixed",
            )
    if lo_x >= 150_000 and hi_x <= 850_000 and lo_y >= 1.9e6 and hi_y <= 6e6:
        return (
            "gk",
            4545,
            f"东坐标 {lo_x:.0f}–{hi_x:.0f}、北坐标 {lo_y:.0f}–{hi_y:.0f} 米，无带号前缀 → "
            "按万州所在的 CGCS2000 3 度带 36 带（中央经线 108°E）处理；"
            "若实为其他带或 UTM，请指定坐标系",
            f"eastings {lo_x:.0f}–{hi_x:.0f}, northings {lo_y:.0f}–{hi_y:.0f} m without a zone "
            "prefix → assumed CGCS2000 3-degree GK zone 36 (CM 108°E, Wanzhou); if it is "
            "another zone or UTM, pass crs=",
        )
    return None


def _decide_crs(
    parsed: _Parsed, ctx: _Ctx, override: CRS | None
) -> tuple[CRS, bool, bool, str, str]:
    """Return (crs, inferred, swap_xy, reason_zh, reason_en)."""
    xy = _all_xy(parsed)
    if xy.size and not np.isfinite(xy).all():
        raise ctx.err(
            "文件中有无效坐标（NaN/无穷大）。请修正后重新导入。",
            "the file contains invalid coordinates (NaN/inf); fix them and import again.",
        )
    if not xy.size:
        raise ctx.err("文件中没有坐标。", "the file contains no coordinates.")
    x, y = xy[:, 0], xy[:, 1]
    if override is not None or parsed.crs is not None:
        crs = override if override is not None else parsed.crs
        assert crs is not None
        if override is not None:
            zh, en = (
                f"用户指定坐标系 {_crs_label(crs)}",
                f"CRS given by the user: {_crs_label(crs)}",
            )
        else:
            zh, en = parsed.crs_reason_zh, parsed.crs_reason_en
        swap = False
        if not _in_china(crs, x, y) and _in_china(crs, y, x):
            swap = True
            zh += "；坐标按 X=北坐标在前（测量习惯）交换了 X/Y"
            en += "; X/Y swapped (X = northing first, survey convention)"
        return crs, False, swap, zh, en
    guess = _classify(x, y)
    swap = False
    if guess is None:
        guess = _classify(y, x)
        swap = guess is not None
    if guess is None:
        raise ctx.err(
            f"无法根据坐标范围推断坐标系（X {x.min():.3f}–{x.max():.3f}，Y {y.min():.3f}–"
            f"{y.max():.3f}）。请指定坐标系，例如 --crs 4545、4524 或 4326。",
            f"cannot infer the CRS from the coordinate ranges (X {x.min():.3f}–{x.max():.3f}, "
            f"Y {y.min():.3f}–{y.max():.3f}). Pass the CRS, e.g. --crs 4545, 4524 or 4326.",
        )
    _, code, zh, en = guess
    if swap:
        zh = "X/Y 交换后（X 为北坐标，测量习惯）：" + zh
        en = "after swapping X/Y (X = northing, survey convention): " + en
    zh = "推断：" + zh
    en = "inferred: " + en
    return CRS.from_epsg(code), True, swap, zh, en


def _crs_label(c: CRS) -> str:
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.to_string()


def _in_china(c: CRS, x: np.ndarray, y: np.ndarray) -> bool:
    """True if (x, y) in CRS ``c`` lands in China and in the CRS's area of use (±1°)."""
    try:
        t = Transformer.from_crs(c, wcrs.WGS84, always_xy=True)
        lon, lat = t.transform(x, y, errcheck=False)
    except ProjCRSError:
        return False
    lon = np.asarray(lon)
    lat = np.asarray(lat)
    w, s, e, n = _CHINA_LONLAT
    aou = c.area_of_use
    if aou is not None:  # e.g. EPSG:4545 is defined for 106.5–109.5°E only
        w, s = max(w, aou.west - 1.0), max(s, aou.south - 1.0)
        e, n = min(e, aou.east + 1.0), min(n, aou.north + 1.0)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return bool(
        ok.all() and (lon >= w).all() and (lon <= e).all() and (lat >= s).all() and (lat <= n).all()
    )


# ---------------------------------------------------------------------------------------------
# Geometry building and checks
# ---------------------------------------------------------------------------------------------


def _finish(
    parsed: _Parsed,
    ctx: _Ctx,
    *,
    override: CRS | None,
    district: Any,
    check_extent: bool,
    datum: str,
) -> PlotImport:
    for p in parsed.plots:
        if p.rings is None and (p.geometry is None or p.geometry.is_empty):
            raise ctx.err(
                f"{p.where_zh} 没有几何图形（空）。请删除该要素或补全边界。",
                f"{p.where_en} has no geometry (empty). Remove it or complete its boundary.",
            )
    src_crs, inferred, swap, reason_zh, reason_en = _decide_crs(parsed, ctx, override)
    if swap:
        ctx.warn("已交换 X/Y 坐标顺序", "X/Y coordinates were swapped")
    to_measure = Transformer.from_crs(src_crs, wcrs.MEASURE_CRS, always_xy=True)

    shift = _DATUM_SHIFT[datum]
    if shift is not None:
        if not src_crs.is_geographic:
            raise ctx.err(
                f"指定了 {datum} 偏移坐标，但坐标系 {_crs_label(src_crs)} 不是经纬度。"
                f"{datum} 只适用于从高德/百度等地图取得的经纬度。",
                f"{datum} was given but the CRS {_crs_label(src_crs)} is not lon/lat; "
                f"{datum} applies only to lon/lat taken from Gaode/Baidu-type maps.",
            )
        reason_zh += f"；坐标为 {datum} 偏移经纬度，已转回 WGS84"
        reason_en += f"; coordinates are {datum}-shifted lon/lat, converted back to WGS84"

    def fwd(c: np.ndarray) -> np.ndarray:
        if swap:
            c = c[:, ::-1]
        x, y = c[:, 0], c[:, 1]
        if shift is not None:
            x, y = shift(x, y)
        xx, yy = to_measure.transform(x, y)
        return np.column_stack([xx, yy])

    geoms_m: list[BaseGeometry] = []
    for p in parsed.plots:
        if p.rings is not None:
            geoms_m.append(_rings_to_polygon(p, ctx, fwd))
        else:
            assert p.geometry is not None
            g = shapely.force_2d(p.geometry)
            _require_polygonal(g, p, ctx)
            g = shapely.transform(g, fwd)
            if p.ring_closure == "reclosed":
                _check_reclosed_gap(g, p, ctx)
            geoms_m.append(g)
    _check_lonlat_extent(parsed, geoms_m, ctx, district=district, check_extent=check_extent)
    final_m = [_validate_polygon(g, p, ctx) for g, p in zip(geoms_m, parsed.plots, strict=True)]

    ids = _plot_ids(parsed, ctx)
    names = [p.name if p.name is not None else _pick_name(p.attrs) for p in parsed.plots]
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
            else _declared_from_attrs(p.attrs)
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
    for c in ("plot_id", "name", "declared_area_mu", "measured_area_mu", "geometry"):
        if c in table.columns:
            table = table.drop(columns=c)
    table.insert(0, "plot_id", pd.Series(ids, dtype="str"))
    table.insert(1, "name", pd.Series([n or "" for n in names], dtype="str"))
    table["declared_area_mu"] = declared
    table["measured_area_mu"] = measured_mu
    plots = gpd.GeoDataFrame(table, geometry=gs_ll.values, crs=wcrs.WGS84)
    return PlotImport(
        plots=plots,
        source_crs=_crs_label(src_crs),
        crs_inferred=inferred,
        crs_reason_zh=reason_zh,
        crs_reason_en=reason_en,
        warnings=ctx.warnings,
        format=parsed.fmt,
        filename=ctx.name,
    )


def _rings_to_polygon(
    p: _RawPlot, ctx: _Ctx, fwd: Callable[[np.ndarray], np.ndarray]
) -> BaseGeometry:
    assert p.rings is not None and p.ring_where is not None
    rings_m: list[np.ndarray] = []
    for ring, (wzh, wen) in zip(p.rings, p.ring_where, strict=True):
        r = fwd(ring)
        distinct = np.unique(np.round(r, 3), axis=0)
        if len(distinct) < 3:
            raise ctx.err(
                f"{wzh} 只有 {len(distinct)} 个不同的点，构成面至少需要 3 个。请补全界址点。",
                f"{wen} has only {len(distinct)} distinct points; a polygon needs at least 3. "
                "Add the missing boundary points.",
            )
        gap = float(np.hypot(*(r[0] - r[-1])))
        if gap > 0:
            if p.ring_closure == "strict":
                if gap > _CLOSE_TOL_M:
                    raise ctx.err(
                        f"{wzh} 未闭合：首末点相距 {gap:.2f} 米（末点应重复首点）。"
                        "可能缺少点或文件被截断，请补全后重新导入。",
                        f"{wen} is not closed: first and last points are {gap:.2f} m apart "
                        "(the last point must repeat the first). Points may be missing or "
                        "the file truncated; complete it and import again.",
                    )
                ctx.warn(
                    f"{wzh} 首末点相距 {gap:.3f} 米，已自动闭合",
                    f"{wen}: first and last points {gap:.3f} m apart; ring closed",
                )
            r = np.vstack([r, r[:1]])
        rings_m.append(r)
    outer = shapely.Polygon(rings_m[0])
    holes: list[np.ndarray] = []
    parts: list[shapely.Polygon] = [outer]
    for r in rings_m[1:]:
        ring_poly = shapely.Polygon(r)
        if outer.contains(ring_poly.representative_point()):
            holes.append(r)
        else:
            parts.append(ring_poly)
    parts[0] = shapely.Polygon(rings_m[0], holes)
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _check_reclosed_gap(g: BaseGeometry, p: _RawPlot, ctx: _Ctx) -> None:
    """A ring closed on reading: refuse a large gap, warn about a tiny one (metres)."""
    rings = [r for poly in _polygon_parts(g) for r in (poly.exterior, *poly.interiors)]
    gaps = [float(np.hypot(*np.diff(np.asarray(r.coords)[-2:], axis=0)[0])) for r in rings]
    gap = max(gaps) if gaps else 0.0
    if gap > _CLOSE_TOL_M:
        raise ctx.err(
            f"{p.where_zh} 的边界环未闭合（末点应重复首点），首末点最多相距 {gap:.2f} 米。"
            "可能缺少点或文件被截断，请补全后重新导入。",
            f"{p.where_en} has a ring that is not closed (the last point must repeat the "
            f"first); first and last points up to {gap:.2f} m apart. Points may be missing "
            "or the file truncated; complete it and import again.",
        )
    ctx.warn(
        f"{p.where_zh} 的边界环未闭合（首末点相距 {gap:.3f} 米），已自动闭合",
        f"{p.where_en}: ring not closed (first and last points {gap:.3f} m apart); closed",
    )


def _require_polygonal(g: BaseGeometry, p: _RawPlot, ctx: _Ctx) -> None:
    types = {t for t in _leaf_types(g)}
    if types - {"Polygon"}:
        raise ctx.err(
            f"{p.where_zh} 是 {'/'.join(sorted(types))}，这里只接受面（Polygon）。"
            "请只导入地块面，或把点/线转换为面后再导入。",
            f"{p.where_en} is a {'/'.join(sorted(types))}; only polygons are accepted here. "
            "Import plot polygons only, or convert points/lines to polygons first.",
        )


def _leaf_types(g: BaseGeometry) -> list[str]:
    if g.geom_type in ("GeometryCollection", "MultiPolygon", "MultiLineString", "MultiPoint"):
        out: list[str] = []
        for part in getattr(g, "geoms", []):
            out.extend(_leaf_types(part))
        return out
    return [g.geom_type]


def _validate_polygon(g: BaseGeometry, p: _RawPlot, ctx: _Ctx) -> BaseGeometry:
    if g.geom_type == "GeometryCollection":
        g = shapely.MultiPolygon([q for q in g.geoms if q.geom_type == "Polygon"])
    if g.is_valid:
        return g
    reason = shapely.is_valid_reason(g)
    fixed = shapely.make_valid(g)
    polys = [q for q in _polygon_parts(fixed)]
    repaired = shapely.union_all(polys) if polys else shapely.Polygon()
    a0 = abs(g.area)
    a1 = repaired.area
    change = abs(a1 - a0) / a0 if a0 > 0 else math.inf
    if repaired.is_empty or change >= _REPAIR_MAX_CHANGE:
        raise ctx.err(
            f"{p.where_zh} 边界自相交或无效（{reason}），自动修复会使面积变化 "
            f"{_pct(change)}，超过 1%，因此拒绝。请在原软件中检查点的顺序后重新导出。",
            f"{p.where_en} is self-intersecting or invalid ({reason}); repairing it would "
            f"change its area by {_pct(change)} (over 1%), so it is refused. Check the point "
            "order in the source software and export again.",
        )
    ctx.warn(
        f"{p.where_zh} 边界无效（{reason}），已自动修复，面积变化 {_pct(change)}",
        f"{p.where_en} was invalid ({reason}) and has been repaired; area change {_pct(change)}",
    )
    return repaired


def _pct(v: float) -> str:
    return "无法计算/undefined" if not math.isfinite(v) else f"{100 * v:.2f}%"


def _polygon_parts(g: BaseGeometry) -> list[BaseGeometry]:
    if g.geom_type == "Polygon":
        return [g] if not g.is_empty else []
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[BaseGeometry] = []
        for q in g.geoms:
            out.extend(_polygon_parts(q))
        return out
    return []


def _check_lonlat_extent(
    parsed: _Parsed,
    geoms_m: list[BaseGeometry],
    ctx: _Ctx,
    *,
    district: Any,
    check_extent: bool,
) -> None:
    gs = gpd.GeoSeries(geoms_m, crs=wcrs.MEASURE_CRS).to_crs(wcrs.WGS84)
    area = _district_geom(district, ctx)
    w, s, e, n = _CHINA_LONLAT
    for p, g in zip(parsed.plots, gs, strict=True):
        minx, miny, maxx, maxy = g.bounds
        if not (np.isfinite([minx, miny, maxx, maxy]).all()):
            raise ctx.err(
                f"{p.where_zh} 的坐标无法换算（坐标系不对？）。请指定正确的坐标系。",
                f"{p.where_en}: coordinates cannot be converted (wrong CRS?). Pass the right CRS.",
            )
        where = f"{(minx + maxx) / 2:.4f}°E, {(miny + maxy) / 2:.4f}°N"
        if minx < w or maxx > e or miny < s or maxy > n:
            raise ctx.err(
                f"{p.where_zh} 换算后位于 {where}，在中国境外。坐标系可能不对（X/Y 颠倒、带号或"
                "单位错误），请用 --crs 指定正确的坐标系。",
                f"{p.where_en} lands at {where}, outside China. The CRS is probably wrong "
                "(X/Y swapped, wrong zone or unit); pass the right one with --crs.",
            )
        if not check_extent:
            continue
        if not g.intersects(area):
            raise ctx.err(
                f"{p.where_zh} 换算后位于 {where}，不在万州区范围内。请检查坐标系（带号、是否含带号"
                "前缀、X/Y 顺序），必要时用 --crs 指定。",
                f"{p.where_en} lands at {where}, outside Wanzhou district. Check the CRS "
                "(zone, zone prefix, X/Y order) and pass it with --crs if needed.",
            )
        if not g.within(area):
            ctx.warn(
                f"{p.where_zh} 部分位于万州区范围之外", f"{p.where_en} lies partly outside Wanzhou"
            )


def _district_geom(district: Any, ctx: _Ctx) -> BaseGeometry:
    if district is None:
        return shapely.box(*WANZHOU_BBOX)
    if isinstance(district, gpd.GeoSeries | gpd.GeoDataFrame):
        wcrs.require_crs(district, what="district")
        return shapely.union_all(district.to_crs(wcrs.WGS84).geometry.values)
    if isinstance(district, BaseGeometry):
        return district
    raise WzgeoTypeError(
        f"district 必须是 shapely 面或 GeoSeries/GeoDataFrame，收到 {type(district).__name__}。",
        f"district must be a shapely polygon or GeoSeries/GeoDataFrame, got "
        f"{type(district).__name__}.",
    )


_ID_KEYS = (
    "plot_id",
    "plotid",
    "地块编号",
    "地块号",
    "宗地号",
    "宗地编号",
    "图斑编号",
    "parcel_id",
    "id",
    "编号",
)
_NAME_KEYS = ("name", "名称", "地块名称", "宗地名称", "Name", "NAME")


def _plot_ids(parsed: _Parsed, ctx: _Ctx) -> list[str]:
    ids: list[str] = []
    key = None
    if parsed.plots and parsed.plots[0].plot_id is None:
        keys = {_norm(k): k for k in parsed.plots[0].attrs}
        key = next((keys[_norm(k)] for k in _ID_KEYS if _norm(k) in keys), None)
    for i, p in enumerate(parsed.plots, start=1):
        if p.plot_id is not None:
            ids.append(p.plot_id)
        elif key is not None and not _is_blank(p.attrs.get(key)):
            v = p.attrs[key]
            ids.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
        else:
            ids.append(str(i))
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            p0, p1 = parsed.plots[seen[pid]], parsed.plots[i]
            raise ctx.err(
                f"地块编号 {pid!r} 重复（{p0.where_zh} 和 {p1.where_zh}）。每个地块编号必须唯一，"
                "请修改其中一个。",
                f"duplicate plot id {pid!r} ({p0.where_en} and {p1.where_en}). Plot ids must "
                "be unique; rename one of them.",
            )
        seen[pid] = i
    return ids


def _pick_name(attrs: dict[str, Any]) -> str:
    keys = {_norm(k): k for k in attrs}
    for k in _NAME_KEYS:
        if _norm(k) in keys and not _is_blank(attrs[keys[_norm(k)]]):
            return str(attrs[keys[_norm(k)]])
    return ""


def _declared_from_attrs(attrs: dict[str, Any]) -> float:
    factors = {
        "declaredareamu": 1.0,
        "areamu": 1.0,
        "面积亩": 1.0,
        "landmu": 1.0,
        "areaha": MU_PER_HA,
        "面积公顷": MU_PER_HA,
        "aream2": 1.0 / M2_PER_MU,
        "面积平方米": 1.0 / M2_PER_MU,
    }
    for k, v in attrs.items():
        f = factors.get(_norm(k))
        if f is not None and not _is_blank(v):
            val = _try_float(v)
            if math.isfinite(val):
                return val * f
    return math.nan

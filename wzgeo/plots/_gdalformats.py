"""Plot files GDAL reads (through pyogrio): GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ.

GDAL errors and warnings are turned into bilingual messages; rings GEOS refuses because
they are not closed are recovered and flagged so the caller can check the gap.
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from wzgeo.errors import InputFileError
from wzgeo.geo import crs as wcrs
from wzgeo.plots._raw import SUPPORTED_TEXT, FileContext, ParsedFile, RawPlot, is_blank, to_python
from wzgeo.plots._safezip import member_path, open_zip, read_member, safe_members

__all__ = ["parse_geojson", "parse_kml", "parse_ogr", "parse_zip"]

_UNCLOSED = "_wzgeo_unclosed"


def parse_zip(data: bytes, ctx: FileContext) -> ParsedFile:
    """Read a KMZ or a zipped Shapefile (one per archive, ``.prj`` optional).

    Without a ``.prj`` the CRS is left to the inference, with a note (parser contract: see
    :mod:`wzgeo.plots._raw`).

    Raises
    ------
    InputFileError
        An unsafe or damaged archive, no or several Shapefiles, missing ``.shx``/``.dbf``.
    """
    with open_zip(data, ctx) as zf:
        infos = safe_members(zf, ctx)
        by_ext: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            member = member_path(info)
            if member.name.startswith(".") or "__MACOSX" in info.filename:
                continue
            by_ext.setdefault(member.suffix.lower(), []).append(info)
        if ".kml" in by_ext:
            kml = by_ext[".kml"]
            doc = [i for i in kml if i.filename.lower().endswith("doc.kml")] or kml
            parsed = parse_kml(read_member(zf, doc[0], ctx), ctx)
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
        stem = member_path(shps[0]).stem
        with tempfile.TemporaryDirectory(prefix="wzgeo_shp_") as tmp:
            present = set()
            for info in infos:
                p = member_path(info)
                if p.stem != stem:
                    continue
                ext = p.suffix.lower()
                present.add(ext)
                (Path(tmp) / f"plots{ext}").write_bytes(read_member(zf, info, ctx))
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
            parsed = parse_ogr(Path(tmp) / "plots.shp", ctx, fmt="Shapefile", encoding=encoding)
        if ".prj" not in present:
            parsed.crs = None
            parsed.notes.append(
                "Shapefile 没有 .prj 文件，坐标系根据坐标范围推断 / "
                "the Shapefile has no .prj file; the CRS is inferred from the coordinates"
            )
        return parsed


def _ogr_error(ctx: FileContext, fmt: str, e: Exception) -> InputFileError:
    return ctx.err(
        f"无法读取 {fmt} 文件（文件损坏、不完整或不是 {fmt}）：{e}。请重新导出。",
        f"cannot read it as {fmt} (damaged, truncated or not {fmt}): {e}. Export it again.",
    )


def _read_layers(src: Any, ctx: FileContext, fmt: str, **kw: Any) -> list[gpd.GeoDataFrame]:
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
    frames: list[gpd.GeoDataFrame], ctx: FileContext, fmt: str, *, declared: bool = True
) -> ParsedFile:
    crs_set = {CRS.from_user_input(f.crs).to_string() for f in frames if f.crs is not None}
    if len(crs_set) > 1:
        raise ctx.err(
            f"文件中的图层坐标系不一致（{'、'.join(sorted(crs_set))}），请统一后再导入。",
            f"the layers use different CRSs ({', '.join(sorted(crs_set))}); unify them first.",
        )
    crs = next((CRS.from_user_input(f.crs) for f in frames if f.crs is not None), None)
    plots: list[RawPlot] = []
    for f in frames:
        geom_name = f.geometry.name
        for i, (_, row) in enumerate(f.iterrows(), start=1):
            attrs = {k: to_python(v) for k, v in row.items() if k != geom_name}
            unclosed = bool(attrs.pop(_UNCLOSED, False))
            layer = attrs.get("layer")
            where_zh = f"第 {i} 个要素" + (f"（图层 {layer}）" if layer else "")
            where_en = f"feature {i}" + (f" (layer {layer})" if layer else "")
            plots.append(
                RawPlot(
                    where_zh=where_zh,
                    where_en=where_en,
                    attrs=attrs,
                    geometry=row[geom_name],
                    ring_closure="reclosed" if unclosed else "strict",
                )
            )
    parsed = ParsedFile(fmt=fmt, plots=plots, crs=crs if declared else None)
    if parsed.crs is not None:
        parsed.crs_reason_zh = f"{fmt} 文件中声明的坐标系"
        parsed.crs_reason_en = f"CRS declared in the {fmt} file"
    return parsed


def parse_ogr(
    src: bytes | Path, ctx: FileContext, *, fmt: str, encoding: str | None = None
) -> ParsedFile:
    """Read every layer of a file GDAL understands (GeoPackage, Shapefile).

    Parameters
    ----------
    src
        The file's bytes or its path.
    ctx
        The file's message context.
    fmt
        Format name for messages and the result (``"GeoPackage"``, ``"Shapefile"``).
    encoding
        Attribute encoding to pass to GDAL (a Shapefile without ``.cpg``).

    Returns
    -------
    ParsedFile
        One plot per feature, with the CRS the file declares.
    """
    kw = {"encoding": encoding} if encoding else {}
    layers_src = src if isinstance(src, bytes) else str(src)
    return _frames_to_parsed(_read_layers(layers_src, ctx, fmt, **kw), ctx, fmt)


def parse_geojson(text: str, ctx: FileContext) -> ParsedFile:
    """Read GeoJSON; its CRS counts as declared only with a ``crs`` member.

    Raises
    ------
    InputFileError
        Invalid or truncated JSON (names line and column), or JSON that is not GeoJSON.
    """
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
    return _frames_to_parsed(
        _read_layers(text.encode("utf-8"), ctx, "GeoJSON"), ctx, "GeoJSON", declared=declared
    )


def parse_kml(data: bytes, ctx: FileContext) -> ParsedFile:
    """Read KML (always WGS84 lon/lat), keeping only attributes with content.

    Raises
    ------
    InputFileError
        A DOCTYPE/ENTITY declaration (refused for safety), or XML that is not KML.
    """
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:4096], re.I):
        raise ctx.err(
            "KML 文件含有 DOCTYPE/ENTITY 声明，出于安全原因拒绝读取。请从原软件重新导出。",
            "the KML contains a DOCTYPE/ENTITY declaration and is refused for safety; "
            "export it again from the original software.",
        )
    if b"<kml" not in data[:4096].lower() and b"opengis.net/kml" not in data[:4096]:
        raise ctx.err(
            f"XML 文件不是 KML。支持：{SUPPORTED_TEXT}。",
            f"the XML file is not KML. Supported: {SUPPORTED_TEXT}.",
        )
    frames = _read_layers(data, ctx, "KML")
    frames = [f.set_geometry(shapely.force_2d(f.geometry.values), crs=f.crs) for f in frames]
    parsed = _frames_to_parsed(frames, ctx, "KML")
    parsed.crs = CRS.from_user_input(wcrs.WGS84)
    parsed.crs_reason_zh = "KML 规定使用 WGS84 经纬度"
    parsed.crs_reason_en = "KML is always WGS84 lon/lat"
    for p in parsed.plots:
        # LIBKML adds many empty styling columns; keep only those with content
        p.attrs = {k: v for k, v in p.attrs.items() if not is_blank(v) and k != "id"}
    return parsed

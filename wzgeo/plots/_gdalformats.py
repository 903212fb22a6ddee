"""Plot files GDAL reads (through pyogrio): GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ.

GDAL errors and warnings are turned into bilingual messages; rings GEOS refuses because
they are not closed are recovered and flagged so the caller can check the gap.

Untrusted input: each layer's features and vertices are counted in a first, geometry-only
streaming pass that stops at the first limit passed (:mod:`wzgeo.plots._limits`), before
the layer is read whole; a GeoPackage is checked with SQLite itself before GDAL opens it
(no views, feature layers must be plain tables), and GeoJSON nesting depth is checked
before the text is parsed.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
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
from wzgeo.plots._limits import short_list
from wzgeo.plots._raw import SUPPORTED_TEXT, FileContext, ParsedFile, RawPlot, is_blank, to_python
from wzgeo.plots._safezip import (
    check_xml_head,
    member_path,
    open_zip,
    read_member,
    safe_members,
)

__all__ = [
    "gpkg_feature_tables",
    "json_depth",
    "parse_geojson",
    "parse_kml",
    "parse_ogr",
    "parse_zip",
]

_UNCLOSED = "_wzgeo_unclosed"
_MAX_LAYERS = 100
_MAX_GDAL_NOTES = 20
_COUNT_BATCH = 2_000


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
            names_zh, names_en = short_list(i.filename for i in shps)
            raise ctx.err(
                f"压缩包中有多个 Shapefile（{names_zh}），请每次只上传一个。",
                f"the archive holds several Shapefiles ({names_en}); upload one at a time.",
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
    msg = str(e)
    if "out of memory" in msg.lower() or "cannot allocate" in msg.lower():
        raise MemoryError(msg) from e  # reported as the memory limit
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return ctx.err(
        f"无法读取 {fmt} 文件（文件损坏、不完整或不是 {fmt}）：{msg}。请重新导出。",
        f"cannot read it as {fmt} (damaged, truncated or not {fmt}): {msg}. Export it again.",
    )


def gpkg_feature_tables(path: str, ctx: FileContext) -> list[str]:
    """The feature tables of a GeoPackage, checked with SQLite before GDAL opens it.

    A GeoPackage is an SQLite database: its "layers" could be views running any query
    (a recursive one never ends) or other objects GDAL would read. Only plain tables
    registered as features are accepted.

    Raises
    ------
    InputFileError
        Not a GeoPackage, a damaged database, a view anywhere in it, a feature layer that
        is not a plain table, or more than 100 layers.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as e:
        raise _ogr_error(ctx, "GeoPackage", e) from e
    steps = 0

    def budget() -> int:  # stop any query of ours that runs away (10^8 SQLite steps)
        nonlocal steps
        steps += 1
        return int(steps > 10_000)

    con.set_progress_handler(budget, 10_000)
    try:
        schema = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        kinds = {str(name): (str(kind), str(sql or "")) for kind, name, sql in schema}
        views = [name for name, (kind, _) in kinds.items() if kind == "view"]
        if views:
            zh, en = short_list(views)
            raise ctx.err(
                f"GeoPackage 中含有视图（view：{zh}）。视图是查询而不是数据，出于安全原因不读取。"
                "请在 GIS 软件中把图层另存为普通表（如 QGIS“导出 → 另存为”）后上传。",
                f"the GeoPackage contains views ({en}). A view is a query, not data, and is "
                "not read for safety. Save the layers as plain tables in GIS software (e.g. "
                "QGIS Export → Save Features As) and upload that file.",
            )
        if kinds.get("gpkg_contents", ("", ""))[0] != "table":
            raise ctx.err(
                "这是 SQLite 数据库，但不是 GeoPackage（没有 gpkg_contents 表）。"
                "请从 GIS 软件导出为 GeoPackage（.gpkg）。",
                "this is an SQLite database but not a GeoPackage (no gpkg_contents table). "
                "Export it as a GeoPackage (.gpkg) from GIS software.",
            )
        rows = con.execute(
            "SELECT table_name, data_type FROM gpkg_contents LIMIT ?", (_MAX_LAYERS + 1,)
        ).fetchall()
    except sqlite3.Error as e:
        raise _ogr_error(ctx, "GeoPackage", e) from e
    finally:
        con.close()
    if len(rows) > _MAX_LAYERS:
        raise ctx.err(
            f"GeoPackage 中的图层超过 {_MAX_LAYERS} 个。请只导出需要检查的图层。",
            f"the GeoPackage has more than {_MAX_LAYERS} layers. Export only the layers to check.",
        )
    layers = []
    for table, data_type in rows:
        if str(data_type).lower() != "features":
            continue  # attribute tables, tiles: not plots, not read
        kind, sql = kinds.get(str(table), ("", ""))
        if kind != "table" or sql.lstrip().upper().startswith("CREATE VIRTUAL"):
            raise ctx.err(
                f"GeoPackage 图层 {str(table)[:80]!r} 不是普通数据表（{kind or '不存在'}），"
                "出于安全原因不读取。请在 GIS 软件中另存为普通图层后上传。",
                f"GeoPackage layer {str(table)[:80]!r} is not a plain table "
                f"({kind or 'missing'}) and is not read for safety. Save it as a plain layer "
                "in GIS software and upload that file.",
            )
        layers.append(str(table))
    return layers


def _count_layer(src: str, layer: Any, ctx: FileContext, **kw: Any) -> None:
    """Count a layer's features and vertices in a geometry-only stream, stopping at a limit."""
    import pyogrio.raw

    with pyogrio.raw.open_arrow(
        src,
        layer=layer,
        columns=[],
        batch_size=_COUNT_BATCH,
        use_pyarrow=True,
        **kw,
    ) as (meta, reader):
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        for batch in reader:
            ctx.count.add_plots(batch.num_rows)
            if geom_col not in batch.schema.names:
                continue
            wkb = batch.column(geom_col).to_numpy(zero_copy_only=False)
            geoms = shapely.from_wkb(wkb, on_invalid="fix")
            ctx.count.add_vertices(int(shapely.get_num_coordinates(geoms).sum()))


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
            if fmt == "GeoPackage":
                names = gpkg_feature_tables(src, ctx)
                kw = {**kw, "LIST_ALL_TABLES": "NO"}
            else:
                names = [name for name, geom_type in pyogrio.list_layers(src) if geom_type]
                # (a layer without geometry type is an attribute-only table)
            for layer_name in names:
                _count_layer(src, layer_name, ctx, **kw)
            frames = []
            for layer_name in names:
                gdf = pyogrio.read_dataframe(src, layer=layer_name, on_invalid="ignore", **kw)
                gdf = _refix_unclosed(gdf, src, layer_name, **kw)
                if len(names) > 1:
                    gdf["layer"] = layer_name
                frames.append(gdf)
    except InputFileError:  # ours (a limit, a refused GeoPackage): not a GDAL error
        raise
    except errors as e:
        raise _ogr_error(ctx, fmt, e) from e
    notes = [str(w.message) for w in caught if "closed ring" not in str(w.message).lower()]
    for msg in notes[:_MAX_GDAL_NOTES]:
        ctx.warn(f"GDAL 提示：{msg[:300]}", f"GDAL: {msg[:300]}")
    if len(notes) > _MAX_GDAL_NOTES:
        more = len(notes) - _MAX_GDAL_NOTES
        ctx.warn(f"另有 {more:,} 条 GDAL 提示未列出", f"{more:,} more GDAL notes not listed")
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
        crs_zh, crs_en = short_list(sorted(crs_set))
        raise ctx.err(
            f"文件中的图层坐标系不一致（{crs_zh}），请统一后再导入。",
            f"the layers use different CRSs ({crs_en}); unify them first.",
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


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (brackets inside strings ignored).

    Done with a regular expression and numpy, without building the JSON objects, so that
    text nested 100,000 deep costs no more than any other text of its size.
    """
    code = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    arr = np.frombuffer(code, dtype=np.uint8)
    step = np.isin(arr, (ord("["), ord("{"))).astype(np.int32)
    step -= np.isin(arr, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


def parse_geojson(text: str, ctx: FileContext) -> ParsedFile:
    """Read GeoJSON; its CRS counts as declared only with a ``crs`` member.

    Raises
    ------
    InputFileError
        Invalid or truncated JSON (names line and column), JSON nested deeper than
        :attr:`~wzgeo.plots._limits.Limits.max_json_depth`, or JSON that is not GeoJSON.
    """
    depth = json_depth(text)
    if depth > ctx.limits.max_json_depth:
        raise ctx.err(
            f"JSON 嵌套深度为 {depth:,} 层，超过上限 {ctx.limits.max_json_depth} 层"
            "（GeoJSON 通常不到 10 层），已拒绝。请从 GIS 软件重新导出。",
            f"the JSON is nested {depth:,} levels deep, over the limit of "
            f"{ctx.limits.max_json_depth} (GeoJSON needs fewer than 10); refused. Export it "
            "again from GIS software.",
        )
    try:
        obj = json.loads(text)
    except RecursionError as e:  # pragma: no cover - the depth check comes first
        raise ctx.err("JSON 嵌套过深。", "the JSON is nested too deeply.") from e
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
    check_xml_head(io.BytesIO(data).read, ctx, what_zh="KML 文件", what_en="the KML")
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

"""Reading a user's whole GIS layer (land use, red lines) with all its attributes.

Unlike :func:`wzgeo.plots.io.read_plots`, which checks a handful of plots one by one, a land-use
layer may hold hundreds of thousands of polygons: it is read in one go with pyogrio (Arrow),
its CRS decided like the plot import's (override, declaration, inference from the coordinate
ranges, X/Y swap), invalid geometries repaired with ``shapely.make_valid`` and the result
projected to EPSG:4545, where every area is measured.

Formats: GeoPackage (``.gpkg``), GeoJSON (``.geojson``/``.json``), a zipped Shapefile (GBK or
UTF-8 ``.dbf``; a ``.cpg`` is honoured, without one UTF-8 is tried and GB18030 used if the bytes
are not UTF-8), a zipped FileGDB (a ``.gdb`` folder inside the zip) and, from the command
line, an unzipped ``.gdb`` folder or ``.shp``.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from wzgeo.errors import InputFileError
from wzgeo.geo import crs as wcrs
from wzgeo.plots._crs import crs_label, decide_crs, parse_crs_arg
from wzgeo.plots._gdalformats import gpkg_feature_tables
from wzgeo.plots._raw import FileContext, ParsedFile, RawPlot
from wzgeo.plots._safezip import member_path, open_zip, read_member, safe_members

__all__ = ["LAYER_FORMATS_TEXT", "MAX_LAYER_BYTES", "LayerRead", "read_layer"]

logger = logging.getLogger(__name__)

MAX_LAYER_BYTES = 2_000_000_000
"""Refuse layer files larger than this (2 GB)."""

LAYER_FORMATS_TEXT = (
    "GeoPackage (.gpkg)、GeoJSON、Shapefile（zip）、FileGDB（.gdb 文件夹打包为 zip）"
)


@dataclass
class LayerRead:
    """Result of :func:`read_layer`.

    Attributes
    ----------
    frame
        The features in EPSG:4545 with every attribute of the file (empty and missing
        geometries dropped, invalid ones repaired).
    fmt
        ``GeoPackage``, ``GeoJSON``, ``Shapefile`` or ``FileGDB``.
    layer
        The layer read (files with several layers need ``layer=``).
    source_crs
        The CRS the coordinates were in.
    crs_note
        Why that CRS (``"中文 / English"``).
    n_read
        Features in the file.
    n_dropped
        Features without geometry (or not polygons) that were left out.
    n_repaired
        Invalid polygons repaired with ``make_valid``.
    encoding
        The attribute encoding used for a Shapefile, else ``None``.
    notes
        Further notes (``"中文 / English"``).
    wkb
        The features' WKB as read (pyarrow binary array aligned with ``frame``) when the
        geometries were kept as they are (EPSG:4545, 2D, valid), else ``None``.
    """

    frame: gpd.GeoDataFrame
    fmt: str
    layer: str
    source_crs: CRS
    crs_note: str
    n_read: int
    n_dropped: int
    n_repaired: int
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    wkb: Any = None


def _layers_of(path: str, ctx: FileContext, fmt: str) -> list[str]:
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, OSError, ValueError) as e:
        raise ctx.err(
            f"无法读取 {fmt} 文件（损坏、不完整或不是 {fmt}）：{e}。请重新导出。",
            f"cannot read it as {fmt} (damaged, truncated or not {fmt}): {e}. Export it again.",
        ) from e
    return [str(name) for name, geom_type in listed if geom_type is not None]


def _pick_layer(names: list[str], layer: str | None, ctx: FileContext) -> str:
    if not names:
        raise ctx.err("文件中没有含几何的图层。", "the file holds no layer with geometry.")
    if layer is not None:
        if layer not in names:
            raise ctx.err(
                f"文件中没有图层“{layer}”；现有图层：{'、'.join(names)}。",
                f"the file has no layer '{layer}'; its layers: {', '.join(names)}.",
            )
        return layer
    if len(names) > 1:
        raise ctx.err(
            f"文件中有多个图层（{'、'.join(names)}），请用 --layer 指定一个。",
            f"the file holds several layers ({', '.join(names)}); choose one with --layer.",
        )
    return names[0]


def _read(
    path: str, layer: str, ctx: FileContext, fmt: str, **kw: Any
) -> tuple[gpd.GeoDataFrame, Any]:
    """The layer's features and their WKB as read (a pyarrow binary array)."""
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    errors = (DataSourceError, DataLayerError, GeometryError, FieldError, OSError, ValueError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, table = pyogrio.read_arrow(path, layer=layer, **kw)
    except errors as e:
        raise ctx.err(
            f"无法读取 {fmt} 图层 {layer}：{e}。请重新导出。",
            f"cannot read {fmt} layer {layer}: {e}. Export it again.",
        ) from e
    gcol = meta.get("geometry_name") or "wkb_geometry"
    wkb = table.column(gcol).combine_chunks()
    attrs = table.drop_columns([gcol]).to_pandas()
    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="fix")
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs=meta.get("crs")), wkb


def _shp_encoding(folder: Path, stem: str) -> str | None:
    """``None`` when a ``.cpg`` names the encoding (GDAL reads it), else UTF-8 or GB18030."""
    if any(p.suffix.lower() == ".cpg" for p in folder.glob(f"{stem}.*")):
        return None
    dbf = next((p for p in folder.glob(f"{stem}.*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        return None
    raw = dbf.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) >= 32 else 0
    # the text of the file: field names (11 bytes per 32-byte descriptor) and the records
    names = b"".join(raw[k : k + 11].rstrip(b"\0") for k in range(32, max(header_len - 1, 32), 32))
    try:
        names.decode("utf-8")
        raw[header_len:].decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _unzip(data: bytes, ctx: FileContext, tmp: Path) -> tuple[Path, str]:
    """Extract a zipped Shapefile or FileGDB into ``tmp``; return the path to open and format."""
    with open_zip(data, ctx) as zf:
        infos = [
            i
            for i in safe_members(zf, ctx)
            if "__MACOSX" not in i.filename and not member_path(i).name.startswith(".")
        ]
        gdbs = sorted(
            {
                "/".join(member_path(i).parts[: k + 1])
                for i in infos
                for k, part in enumerate(member_path(i).parts[:-1])
                if part.lower().endswith(".gdb")
            }
        )
        shps = [i for i in infos if member_path(i).suffix.lower() == ".shp"]
        if gdbs:
            if len(gdbs) > 1:
                raise ctx.err(
                    f"压缩包中有多个 .gdb 文件夹（{'、'.join(gdbs)}），请每次只上传一个。",
                    f"the archive holds several .gdb folders ({', '.join(gdbs)}); "
                    "upload one at a time.",
                )
            for info in infos:
                if "/".join(member_path(info).parts).startswith(gdbs[0] + "/"):
                    out = tmp / Path(*member_path(info).parts)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(read_member(zf, info, ctx))
            return tmp / Path(*gdbs[0].split("/")), "FileGDB"
        if not shps:
            raise ctx.err(
                "压缩包中既没有 .shp 文件，也没有 .gdb 文件夹。",
                "the archive holds neither a .shp file nor a .gdb folder.",
            )
        if len(shps) > 1:
            names = "、".join(i.filename for i in shps)
            raise ctx.err(
                f"压缩包中有多个 Shapefile（{names}），请每次只上传一个。",
                f"the archive holds several Shapefiles ({names}); upload one at a time.",
            )
        stem = member_path(shps[0]).stem
        present = set()
        for info in infos:
            p = member_path(info)
            if p.stem == stem:
                present.add(p.suffix.lower())
                (tmp / f"layer{p.suffix.lower()}").write_bytes(read_member(zf, info, ctx))
        missing = [e for e in (".shx", ".dbf") if e not in present]
        if missing:
            raise ctx.err(
                f"Shapefile 缺少 {'、'.join(missing)} 文件，请与 .shp 一起打包。",
                f"the Shapefile lacks its {', '.join(missing)} file(s); zip them with the .shp.",
            )
        return tmp / "layer.shp", "Shapefile"


def _format_of(name: str) -> str | None:
    low = name.lower()
    for suffix, fmt in (
        (".gpkg", "GeoPackage"),
        (".geojson", "GeoJSON"),
        (".json", "GeoJSON"),
        (".zip", "zip"),
        (".gdb", "FileGDB"),
        (".shp", "Shapefile"),
    ):
        if low.endswith(suffix):
            return fmt
    return None


def read_layer(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    layer: str | None = None,
    crs: Any = None,
) -> LayerRead:
    """Read a polygon layer (any attributes) into EPSG:4545.

    Parameters
    ----------
    source
        A path (file, or ``.gdb`` folder) or the uploaded file's bytes.
    filename
        The upload's name (decides the format); defaults to the path's name.
    layer
        The layer to read when the file holds several.
    crs
        Override the CRS (EPSG code, ``"EPSG:4545"``, WKT …).

    Returns
    -------
    LayerRead

    Raises
    ------
    InputFileError
        Unknown format, unreadable file, several layers without ``layer``, no polygons,
        no CRS that fits the coordinates.
    """
    if isinstance(source, bytes | bytearray):
        name = filename or "上传文件/upload"
        path: Path | None = None
        data: bytes | None = bytes(source)
    else:
        path = Path(source)
        name = filename or path.name
        data = None
        if not path.exists():
            raise InputFileError(
                f"找不到文件 {path}，请检查路径。", f"File not found: {path}; check the path."
            )
        if path.is_file() and path.stat().st_size > MAX_LAYER_BYTES:
            raise InputFileError(
                f"文件 {name} 超过 {MAX_LAYER_BYTES // 1_000_000} MB。",
                f"File {name} is larger than {MAX_LAYER_BYTES // 1_000_000} MB.",
            )
    ctx = FileContext(name)
    fmt = _format_of(name)
    if fmt is None or (path is not None and path.is_dir() and fmt != "FileGDB"):
        raise ctx.err(
            f"不支持的图层格式。支持：{LAYER_FORMATS_TEXT}。",
            "unsupported layer format. Supported: GeoPackage (.gpkg), GeoJSON, zipped "
            "Shapefile, zipped FileGDB (.gdb folder).",
        )
    override = parse_crs_arg(crs) if crs is not None else None
    with tempfile.TemporaryDirectory(prefix="wzgeo_layer_") as tmpdir:
        tmp = Path(tmpdir)
        if fmt == "zip":
            if data is None:
                assert path is not None
                data = path.read_bytes()
            open_path, fmt = _unzip(data, ctx, tmp)
        elif data is not None:
            suffix = {"GeoPackage": ".gpkg", "GeoJSON": ".geojson"}.get(fmt, "")
            if not suffix:
                raise ctx.err(
                    "Shapefile 和 FileGDB 请打包成 zip 上传。",
                    "upload a Shapefile or FileGDB as a zip archive.",
                )
            open_path = tmp / f"upload{suffix}"
            open_path.write_bytes(data)
        else:
            assert path is not None
            open_path = path
        kw: dict[str, Any] = {}
        encoding = None
        if fmt == "Shapefile":
            encoding = _shp_encoding(open_path.parent, open_path.stem)
            if encoding:
                kw["encoding"] = encoding
        if fmt == "GeoPackage":  # views (a recursive one never returns) refused before GDAL
            gpkg_feature_tables(str(open_path), ctx)
        chosen = _pick_layer(_layers_of(str(open_path), ctx, fmt), layer, ctx)
        gdf, wkb = _read(str(open_path), chosen, ctx, fmt, **kw)
        if fmt == "GeoJSON":
            # GDAL reports WGS84 for every GeoJSON; only a "crs" member declares one
            with open(open_path, "rb") as fh:
                head = fh.read(1 << 16)
            if b'"crs"' not in head:
                gdf = gdf.set_crs(None, allow_override=True)
    return _finish(gdf, ctx, fmt=fmt, layer=chosen, override=override, encoding=encoding, wkb=wkb)


def _finish(
    gdf: gpd.GeoDataFrame,
    ctx: FileContext,
    *,
    fmt: str,
    layer: str,
    override: CRS | None,
    encoding: str | None,
    wkb: Any = None,
) -> LayerRead:
    n_read = len(gdf)
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    # the WKB as read can be stored as it is unless the geometries change below
    same = wkb is not None
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        same = False
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keep &= np.isin(shapely.get_type_id(geoms), [3, 6, 7])
    notes: list[str] = []
    if not keep.any():
        raise ctx.err(
            f"图层 {layer} 中没有面要素（{n_read} 个要素均无几何或不是面）。",
            f"layer {layer} holds no polygons ({n_read} features, none a polygon).",
        )
    n_dropped = int((~keep).sum())
    if n_dropped:
        notes.append(
            f"{n_dropped} 个要素无几何或不是面，已忽略 / "
            f"{n_dropped} features without geometry or not polygons were left out"
        )
    gdf = gdf.loc[keep].reset_index(drop=True)
    geoms = geoms[keep]
    if same and not keep.all():
        import pyarrow as pa

        wkb = wkb.filter(pa.array(keep))
    # CRS: override, declaration or inference from the coordinate ranges (as the plot import)
    b = shapely.total_bounds(geoms)
    corners = shapely.multipoints([[b[0], b[1]], [b[2], b[3]]])
    parsed = ParsedFile(
        fmt=fmt,
        plots=[RawPlot(where_zh="范围", where_en="extent", geometry=corners)],
        crs=CRS.from_user_input(gdf.crs) if gdf.crs is not None else None,
        crs_reason_zh=f"{fmt} 文件中声明的坐标系",
        crs_reason_en=f"CRS declared in the {fmt} file",
    )
    src, _inferred, swap, zh, en = decide_crs(parsed, ctx, override)
    if swap:
        geoms = shapely.transform(geoms, lambda xy: xy[:, ::-1])
        same = False
    # repair
    bad = ~shapely.is_valid(geoms)
    n_repaired = int(bad.sum())
    if n_repaired:
        same = False
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        notes.append(
            f"{n_repaired} 个无效几何（如自相交）已修复 / "
            f"{n_repaired} invalid geometries (e.g. self-intersections) were repaired"
        )
    geo = gpd.GeoSeries(geoms, crs=src)
    if src.to_epsg() != 4545:
        same = False
    measured = wcrs.to_measure_crs(geo)  # refuses GCJ-02 / BD-09 shifted data
    frame = gpd.GeoDataFrame(
        gdf.drop(columns=[gdf.geometry.name]), geometry=measured.to_numpy(), crs="EPSG:4545"
    )
    return LayerRead(
        frame=frame,
        fmt=fmt,
        layer=layer,
        source_crs=src,
        crs_note=f"{zh}（{crs_label(src)}） / {en} ({crs_label(src)})",
        n_read=n_read,
        n_dropped=n_dropped,
        n_repaired=n_repaired,
        encoding=encoding,
        notes=notes,
        wkb=wkb if same else None,
    )

"""Land-use and red-line layers in the app: the saved-work section (import with rights, list,
remove, revert, demo), the layers for the plot check and the map's land groups.

The layers live beside the saved-work store (:mod:`wzgeo.store.layers`); one
:class:`~wzgeo.store.layers.LayerStore` per store folder is shared by the server's sessions
(it keeps the prepared layers in memory while their files are unchanged).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from wzgeo.analysis.landuse import KIND_LABELS, KINDS, LandLayers
from wzgeo.app._text import plain
from wzgeo.app.pages._saved_work_ui import show_error, t
from wzgeo.errors import WzgeoError
from wzgeo.store.core import Store
from wzgeo.store.layers import LayerStore, layer_store_for

__all__ = [
    "land_layers",
    "land_layers_or_none",
    "land_tables",
    "layers_section",
    "map_land_groups",
    "revision",
    "show_land_tables",
    "too_many_near",
    "without_land",
]

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _layer_store(folder: str) -> LayerStore:
    return LayerStore(Path(folder))


def _ls(store: Store | None = None) -> LayerStore:
    from wzgeo.app import state as appstate

    s = store if store is not None else appstate.get_store()
    return _layer_store(str(layer_store_for(s.path).folder))


def land_layers(store: Store | None = None) -> LandLayers:
    """The imported layers, prepared for the plot check (empty when none), with the land
    class each sector needs as edited in the saved work (``landclass``)."""
    from wzgeo.app import state as appstate
    from wzgeo.store.workspace import effective_landclass

    s = store if store is not None else appstate.get_store()
    layers = _ls(s).land_layers()
    try:
        layers.landclass = effective_landclass(s)
    except WzgeoError as e:  # an unreadable store: the shipped classes, said in the log
        logger.warning("land-class edits not readable, shipped classes used: %s", e.en)
        layers.landclass = effective_landclass(None)
    return layers


def revision(store: Store | None = None) -> tuple[tuple[str, str], ...]:
    """The imported layers' files (a cache key: changes with every import, removal, revert)."""
    return tuple(sorted((k, str(p["file"])) for k, p in _ls(store).current().items()))


def land_layers_or_none(store: Store | None = None) -> LandLayers | None:
    """The imported layers, or None when none is imported (the check then adds no land
    columns, as ``check-plots`` does)."""
    layers = land_layers(store)
    return layers if layers.layers else None


def without_land(table: Any) -> Any:
    """The plot table without the land columns (shown in their own tables)."""
    from wzgeo.analysis.landuse import PLANNED_FIELDS, REDLINE_KINDS

    prefixes = ("landuse_", "land_class_", *(f"{k}_" for k in REDLINE_KINDS))
    drop = [
        c
        for c in table.columns
        if str(c).startswith(prefixes) or c in PLANNED_FIELDS or c == "planned_far_status"
    ]
    return table.drop(columns=drop)


@st.cache_resource(show_spinner=False, max_entries=4)
def _display_frames(folder: str, files: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``kind → GeoDataFrame`` (land use with its 2023 ``code``), per set of layer files."""
    import geopandas as gpd

    ls = _layer_store(folder)
    out: dict[str, Any] = {}
    prepared = ls.land_layers()
    for kind, _file in files:
        layer = prepared.get(kind)
        if layer is None:
            continue
        frame = gpd.GeoDataFrame(geometry=layer.geoms, crs="EPSG:4545")
        if layer.codes is not None:
            frame["code"] = [c or "" for c in layer.codes]
        out[kind] = frame
    return out


def _tile_grant(
    ls: LayerStore, kind: str, file: str, colours: dict[str, str], gcj02: bool,
    names: dict[str, str],
) -> Any:  # fmt: skip
    """What a tile token for the layer ``file`` of ``kind`` may show (:mod:`wzgeo.app.tiles`)."""
    from wzgeo.app.tiles import TileGrant
    from wzgeo.maps.landlayers import NO_COLOUR, REDLINE_STYLES
    from wzgeo.maps.landtiles import LandTiles

    style_key = tuple(sorted(colours.items())) if kind == "landuse" else ()
    key = (str(ls.folder), kind, file, gcj02, style_key)
    # the prepared layer is kept beside the layer files: a server restart loads it
    digest = hashlib.sha256(repr(key[1:]).encode("utf-8")).hexdigest()[:32]
    cached = ls.folder / "tiles" / f"{digest}.npz"

    def prepare(layer: Any) -> LandTiles:
        if kind == "landuse":
            assert layer.codes is not None
            return LandTiles.from_codes(
                layer.geoms, layer.codes, colours, default=NO_COLOUR, gcj02=gcj02,
                tree=layer.tree,
            )  # fmt: skip
        style = REDLINE_STYLES[kind]
        return LandTiles.from_style(
            layer.geoms,
            fill=style.get("fillColor") if style.get("fill", True) else None,
            fill_opacity=float(style.get("fillOpacity", 0.0)),
            outline=style["color"],
            outline_px=max(1, round(float(style["weight"]))),
            gcj02=gcj02,
            tree=layer.tree,
        )

    def build() -> LandTiles:
        payload = ls.current().get(kind)
        if payload is None or str(payload["file"]) != file:
            raise LookupError(f"the {kind} layer was replaced or removed")
        layer = ls.land_layers().get(kind)
        assert layer is not None
        if cached.exists():
            try:
                return LandTiles.load(cached, tree=layer.tree)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                logger.warning("wzgeo tiles: %s unreadable, preparing the layer again", cached)
        lt = prepare(layer)
        try:
            lt.save(cached)
        except OSError:
            logger.warning("wzgeo tiles: could not keep the prepared layer in %s", cached)
        return lt

    def current() -> bool:
        payload = ls.current().get(kind)
        return payload is not None and str(payload["file"]) == file

    return TileGrant(
        key=key, build=build, names=names if kind == "landuse" else {}, current=current
    )


def _tile_urls(
    ls: LayerStore,
    frames: dict[str, Any],
    colours: dict[str, str],
    gcj02: bool,
    files: tuple[tuple[str, str], ...],
    names: dict[str, str],
) -> dict[str, str]:
    """``kind → URL`` of the layers drawn as tiles: land use past ``TILE_MIN_FEATURES``
    features, a red-line layer past ``TILE_MIN_VERTICES`` vertices.

    The tokens are this session's (kept in ``st.session_state``) and renewed on every run.
    """
    import shapely

    from wzgeo.app import tiles
    from wzgeo.maps.landtiles import TILE_MIN_FEATURES, TILE_MIN_VERTICES

    out: dict[str, str] = {}
    tokens: dict[Any, str] = st.session_state.setdefault("_wz_tile_tokens", {})
    for kind, file in files:
        frame = frames.get(kind)
        if frame is None:
            continue
        if kind == "landuse":
            big = len(frame) > TILE_MIN_FEATURES
        else:
            big = int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()) > (
                TILE_MIN_VERTICES
            )
        if not big:
            continue
        g = _tile_grant(ls, kind, file, colours, gcj02, names)
        old = tokens.get(g.key)
        tokens[g.key] = tiles.grant(g, token=old, warm=old is None)
        out[kind] = tiles.tile_url(tokens[g.key])
    return out


def map_land_groups(
    *,
    lang: str,
    gcj02: bool,
    near: tuple[float, float, float, float] | None = None,
    margin_m: float = 0.0,
) -> list[Any]:
    """Folium groups of the imported layers (empty list when none was imported); a large
    land-use layer as server-rendered tiles (:mod:`wzgeo.app.tiles`).

    ``near``: only the neighbourhood of these EPSG:4545 bounds (grown by ``margin_m``) is
    drawn (the plot check's map: a plot's surroundings, not the district's layer), as
    shapes, never as tiles (that map is kept as one HTML page for all sessions, and tile
    addresses are per session); a layer with more than ``TILE_MIN_FEATURES`` features
    there is left out (:func:`too_many_near` says so).
    """
    from wzgeo.analysis.landuse import code_colours, code_names, load_landuse_codes
    from wzgeo.maps.landlayers import clip_layers, land_groups

    ls = _ls()
    files = revision()
    if not files:
        return []
    frames = _display_frames(str(ls.folder), files)
    if near is not None:
        from wzgeo.maps.landtiles import TILE_MIN_FEATURES

        frames = clip_layers(frames, near, margin_m=margin_m, limit=TILE_MIN_FEATURES)
        if not frames:
            return []
    codes = load_landuse_codes()
    names = code_names(lang, codes)
    colours = code_colours(codes)
    return land_groups(
        frames, colours=colours, names=names, lang=lang, gcj02=gcj02,
        tile_urls={} if near is not None else _tile_urls(ls, frames, colours, gcj02, files, names),
    )  # fmt: skip


def too_many_near(near: tuple[float, float, float, float], margin_m: float) -> list[str]:
    """The imported layers with too many features near ``near`` (EPSG:4545 bounds grown by
    ``margin_m``) to be drawn on the plot check's map (see :func:`map_land_groups`)."""
    import shapely

    from wzgeo.maps.landtiles import TILE_MIN_FEATURES

    files = revision()
    if not files:
        return []
    x0, y0, x1, y1 = near
    rect = shapely.box(x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)
    return [
        kind
        for kind, frame in _display_frames(str(_ls().folder), files).items()
        if len(frame.sindex.query(rect, predicate="intersects")) > TILE_MIN_FEATURES
    ]


def _kind_label(kind: str, lang: str) -> str:
    zh, en = KIND_LABELS[kind]
    return f"{t(zh, en, lang)} ({kind})"


def layers_section(store: Store, editor: str | None, lang: str) -> None:
    """Saved-work page: import, list, remove and revert the land-use and red-line layers.

    Parameters
    ----------
    store
        The saved-work store (the layers are kept beside it).
    editor
        Who may edit in this session; None = read-only (buttons disabled).
    lang
        ``"zh"`` or ``"en"``.
    """
    ls = _ls(store)
    st.subheader(t("用地用海与三区三线图层", "Land-use and red-line layers", lang))
    st.caption(
        t(
            "用户自己的图层（不公开）：用地用海（YDYHFLDM）、三调地类图斑（DLBM）或控规（YDDM）；"
            "永久基本农田、生态保护红线、城镇开发边界。地块核查会用到它们。",
            "Your own layers (not public): land use (YDYHFLDM), 三调 DLTB (DLBM) or 控规 (YDDM); "
            "permanent basic farmland, ecological red line, urban development boundary. The "
            "plot check uses them.",
            lang,
        )
    )
    listed = ls.list()
    if listed.empty:
        st.caption(t("尚未导入图层。", "No layers imported yet.", lang))
    else:
        st.dataframe(listed, hide_index=True, key="sw_layers_table")
    with st.form("sw_layer_form"):
        c1, c2 = st.columns([1, 2])
        kind = c1.selectbox(
            t("图层类型", "Layer kind", lang),
            list(KINDS),
            format_func=lambda k: _kind_label(k, lang),
            key="sw_layer_kind",
        )
        upload = c2.file_uploader(
            t("图层文件", "Layer file", lang),
            type=["gpkg", "geojson", "json", "zip"],
            help=t(
                "GeoPackage、GeoJSON、Shapefile（zip，GBK 或 UTF-8）、"
                "FileGDB（.gdb 文件夹打包为 zip）",
                "GeoPackage, GeoJSON, Shapefile (zip, GBK or UTF-8), FileGDB (.gdb folder zipped)",
                lang,
            ),
            key="sw_layer_file",
        )
        c3, c4, c5 = st.columns(3)
        layer_name = c3.text_input(t("文件中的图层名（可选）", "Layer in the file", lang))
        crs = c4.text_input(t("坐标系（文件未声明时）", "CRS (if none)", lang), placeholder="4545")
        why = c5.text_input(t("原因（必填）", "Reason (required)", lang), key="sw_layer_why")
        go = st.form_submit_button(t("导入图层", "Import layer", lang), disabled=editor is None)
    if go and editor is not None:
        if upload is None:
            st.warning(t("请选择文件。", "Choose a file.", lang), icon=":material/warning:")
        else:
            try:
                res = ls.import_layer(
                    kind,
                    upload.getvalue(),
                    filename=upload.name,
                    layer=layer_name.strip() or None,
                    crs=crs.strip() or None,
                    by=editor,
                    why=why,
                )
            except WzgeoError as e:
                show_error(e, lang)
            else:
                st.success(plain("\n\n".join(res.lines())), icon=":material/check_circle:")
    c1, c2 = st.columns(2)
    with c1.form("sw_layer_remove"):
        rk = st.selectbox(
            t("删除图层", "Remove layer", lang),
            list(listed["kind"]) if not listed.empty else [],
            format_func=lambda k: _kind_label(k, lang),
            key="sw_layer_remove_kind",
        )
        rwhy = st.text_input(t("原因（必填）", "Reason (required)", lang), key="sw_layer_rwhy")
        rm = st.form_submit_button(
            t("删除（可撤销）", "Remove (revertible)", lang),
            disabled=editor is None or listed.empty,
        )
    if rm and editor is not None and rk:
        try:
            ls.remove(rk, by=editor, why=rwhy)
            st.rerun()
        except WzgeoError as e:
            show_error(e, lang)
    with c2.form("sw_layer_demo"):
        st.caption(
            t(
                "示例（虚构）图层：围绕示意园区生成，仅供学习，不是真实数据。",
                "Demo layers (示例（虚构）): fictional, generated around the schematic zones, "
                "for learning only.",
                lang,
            )
        )
        demo = st.form_submit_button(
            t("载入示例（虚构）图层", "Load the demo layers (fictional)", lang),
            disabled=editor is None,
        )
    if demo and editor is not None:
        _load_demo(ls, editor, lang)
    hist = ls.history()
    if not hist.empty:
        with st.expander(t("图层修改历史与撤销", "Layer history and revert", lang)):
            st.dataframe(hist, hide_index=True, key="sw_layer_history")
            with st.form("sw_layer_revert"):
                cid = st.selectbox(
                    t("撤销修改", "Revert change", lang),
                    list(hist["change_id"])[::-1],
                    key="sw_layer_revert_id",
                )
                vwhy = st.text_input(t("原因（必填）", "Reason (required)", lang))
                rv = st.form_submit_button(t("撤销", "Revert", lang), disabled=editor is None)
            if rv and editor is not None:
                try:
                    ls.revert(int(cid), by=editor, why=vwhy)
                    st.rerun()
                except WzgeoError as e:
                    show_error(e, lang)


def _load_demo(ls: LayerStore, editor: str, lang: str) -> None:
    from wzgeo.analysis.landdemo import DEMO_NAMES, demo_layers

    why = t("载入示例（虚构）图层", "load the demo layers (fictional)", lang)
    with tempfile.TemporaryDirectory(prefix="wzgeo_demo_") as tmp:
        for kind, gdf in demo_layers().items():
            path = Path(tmp) / f"{kind}.gpkg"
            gdf.to_file(path, driver="GPKG", engine="pyogrio")
            ls.import_layer(kind, path, by=editor, why=why, name=DEMO_NAMES[kind])
    st.rerun()


def _one_lang(text: Any, lang: str) -> str:
    """The part of a ``"中文 / English"`` text in ``lang`` (the text itself without " / ")."""
    s = "" if text is None or text is pd.NA else str(text)
    if " / " not in s:
        return s
    zh, en = s.split(" / ", 1)
    return en if lang == "en" else zh


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _class_label(value: Any, lang: str) -> str | None:
    """An industrial land class (1, 2, 3 or ``non_industrial``) in words."""
    from wzgeo.analysis.landuse import CLASS_ZH

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if str(value) == "non_industrial":
        return t("非工业用地", "non-industrial land", lang)
    try:
        k = int(str(value))
    except ValueError:
        return str(value)
    return t(f"{CLASS_ZH.get(k, k)}工业用地", f"class {k} industrial land", lang)


def land_tables(check: Any, lang: str) -> dict[str, pd.DataFrame]:
    """The red-line, land-class and land-use composition tables of a check in words, in
    ``lang``: layer kinds, results, land classes and land-use names (no ``basic_farmland``,
    ``fail``, ``non_industrial``, nor the other language's half of a reason). Ids and numbers
    stay in their columns; headers are labelled by the caller."""
    from wzgeo import labels
    from wzgeo.analysis.landuse import KIND_LABELS, code_names

    out: dict[str, pd.DataFrame] = {}
    if len(check.constraints):
        red = pd.DataFrame(check.constraints).copy()
        if "kind" in red.columns:
            red["kind"] = [
                _capital(t(*KIND_LABELS[k], lang)) if k in KIND_LABELS else k for k in red["kind"]
            ]
        if "status" in red.columns:
            red["status"] = [labels.value_label("result", v, lang) for v in red["status"]]
        out["red"] = red
        table = check.table
        cols = [c for c in table.columns if str(c).startswith(("plot_id", "land_class_"))]
        classes = table.loc[:, cols].copy()
        for c in ("land_class_required", "land_class_found"):
            if c in classes.columns:
                classes[c] = pd.array(
                    [_class_label(v, lang) for v in classes[c].astype(object)], dtype="string"
                )
        if "land_class_status" in classes.columns:
            classes["land_class_status"] = pd.array(
                [
                    None if v is None or v is pd.NA else labels.value_label("result", v, lang)
                    for v in classes["land_class_status"].astype(object)
                ],
                dtype="string",
            )
        if "land_class_reason" in classes.columns:
            classes["land_class_reason"] = pd.array(
                [_one_lang(v, lang) or None for v in classes["land_class_reason"].astype(object)],
                dtype="string",
            )
        out["classes"] = classes
    if len(check.land_use):
        comp = pd.DataFrame(check.land_use).copy()
        if "code" in comp.columns:
            names = code_names(lang)
            comp["landuse_name"] = [
                names.get(str(c), t("未识别代码", "unknown code", lang)) for c in comp["code"]
            ]
            comp = comp.drop(columns=["name_zh"], errors="ignore")
            first = [c for c in ("plot_id", "code", "landuse_name") if c in comp.columns]
            comp = comp[first + [c for c in comp.columns if c not in first]]
        out["composition"] = comp
    return out


def show_land_tables(check: Any, report_table: Any) -> None:
    """The land-use composition and the red-line findings, when land layers were checked."""
    from wzgeo.app.pages import _common
    from wzgeo.app.state import lang, tr

    tables = land_tables(check, lang())
    if "red" in tables:
        st.markdown("**" + tr("三区三线", "Red lines") + "**")
        _common.show_table(
            _common.as_text(report_table(tables["red"])), hide_index=True, key="plot_red"
        )
        _common.show_table(
            _common.as_text(report_table(tables["classes"])),
            hide_index=True,
            key="plot_landclass",
        )
    if "composition" in tables:
        st.markdown("**" + tr("用地用海构成", "Land-use composition") + "**")
        _common.show_table(
            _common.as_text(report_table(tables["composition"])),
            hide_index=True,
            key="plot_landuse",
        )

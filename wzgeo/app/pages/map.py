"""地图 Map: district, zones, projects; style/target/basemap switches; HTML export."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from wzgeo.analysis import intensity
from wzgeo.app import state as appstate
from wzgeo.app.pages import _common, _print_downloads
from wzgeo.app.state import tr
from wzgeo.errors import WzgeoError
from wzgeo.maps import webmap as maps

STYLES = ("level", "sector")
TARGETS = (50, 70)
BASEMAPS = ("osm", "gaode", "tianditu", "none")
_PARAMS = {"style": "map_style", "target": "map_target", "basemap": "map_basemap"}


def _init_from_query() -> None:
    """Page widgets start from the URL query (once per session)."""
    ss = st.session_state
    if ss.get("_map_query_loaded"):
        return
    ss["_map_query_loaded"] = True
    qp = st.query_params
    if qp.get("style") in STYLES:
        ss["map_style"] = qp.get("style")
    if qp.get("target", "").isdigit() and int(qp.get("target", "0")) in TARGETS:
        ss["map_target"] = int(qp.get("target", "50"))
    if qp.get("basemap") in BASEMAPS:
        ss["map_basemap"] = qp.get("basemap")


_KEPT = ("map_style", "map_target", "map_basemap", "tianditu_key")


def controls() -> dict[str, Any]:
    """Style, target and basemap widgets; their values, also written to the URL.

    Streamlit forgets a widget's value while another page is shown; the values are kept
    under separate session keys so they survive a visit to another page.
    """
    _init_from_query()
    ss = st.session_state
    for kept in _KEPT:
        if kept not in ss and f"_kept_{kept}" in ss:
            ss[kept] = ss[f"_kept_{kept}"]
    # ids only (never a label, whatever a URL or an older session holds)
    for kept, options in (
        ("map_style", STYLES),
        ("map_target", TARGETS),
        ("map_basemap", BASEMAPS),
    ):
        if kept in ss and ss[kept] not in options:
            ss[kept] = appstate.valid_choice(ss[kept], options, options[0])
    c1, c2, c3, c4 = st.columns([1, 1, 1.4, 1.4])
    style = c1.radio(
        tr("园区着色", "Zone colours"),
        STYLES,
        format_func=appstate.fmt(STYLES, lambda v: appstate.value_label("style", v)),
        key=appstate.choice_key("map_style"),
    )
    target = c2.radio(
        tr("地均产出目标", "Output target"),
        TARGETS,
        format_func=appstate.fmt(
            TARGETS,
            lambda v: tr(
                f"{v} 亿元/km²（{2025 if v == 50 else 2035}）",
                f"{v} (100 M CNY)/km² ({2025 if v == 50 else 2035})",
            ),
        ),
        key=appstate.choice_key("map_target"),
    )
    basemap = c3.radio(
        tr("底图", "Basemap"),
        BASEMAPS,
        format_func=appstate.fmt(BASEMAPS, lambda v: appstate.value_label("basemap", v)),
        key=appstate.choice_key("map_basemap"),
    )
    key = c4.text_input(
        tr("天地图密钥 tk", "Tianditu key (tk)"),
        type="password",
        key="tianditu_key",
        help=tr(
            "天地图底图需要个人密钥（tk），在 console.tianditu.gov.cn 申请；不保存、不写入网址。",
            "The Tianditu basemap needs a personal key (tk) from console.tianditu.gov.cn; "
            "it is not stored and never put in the URL.",
        ),
    )
    style = appstate.valid_choice(style, STYLES, STYLES[0])
    target = appstate.valid_choice(target, TARGETS, TARGETS[0])
    basemap = chosen_basemap = appstate.valid_choice(basemap, BASEMAPS, BASEMAPS[0])
    if basemap == "tianditu" and not key:
        c4.warning(appstate.lbl("ui.tianditu_no_key"), icon=":material/warning:")
        basemap = "none"
    for kept in _KEPT:
        ss[f"_kept_{kept}"] = ss.get(kept)
    appstate.sync_query(
        {
            "style": str(style),
            "target": str(target),
            "basemap": str(chosen_basemap),
        },
        owned=_PARAMS,
    )
    return {
        "style": str(style),
        "target_yi_per_km2": int(target),
        "basemap": str(basemap),
        "tianditu_key": key or None,
    }


@st.cache_data(show_spinner=False, max_entries=256)
def zone_intensity(zones: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """Per-zone output per km² (``wzgeo.analysis.intensity``).

    Cached on the two tables' contents: changing the zone style, the target, the basemap or
    the highlight (same projects) does not recompute it.
    """
    return intensity.zone_intensity(projects, zones)


def map_table(projects: pd.DataFrame) -> pd.DataFrame:
    cols = ["project_id", "name_zh", "sector_id", "stage", "output_yi", "land_mu", "zone_id"]
    return projects[[c for c in cols if c in projects.columns]].reset_index(drop=True)


def _selected_highlight(table: pd.DataFrame) -> str | None:
    """The highlighted project or zone: the row chosen in the table under the map (read
    before the map is drawn), else one chosen on the Zones/Projects pages or in the URL."""
    ss = st.session_state
    state = ss.get("map_table")
    rows: list[int] = []
    if state is not None:
        try:
            rows = list(state["selection"]["rows"])
        except (KeyError, TypeError):
            rows = []
    if rows and rows[0] < len(table):
        ss["highlight"] = str(table.iloc[rows[0]]["project_id"])
        ss["_map_rows"] = True
    elif ss.pop("_map_rows", False):
        ss.pop("highlight", None)  # the user cleared the row selection
    value = ss.get("highlight")
    return str(value) if value else None


def _highlight_name(highlight: str, tables: appstate.PlanTables) -> str:
    """A highlighted project as "id name", a zone by its name."""
    projects = tables.projects
    if projects is not None:
        names = projects.loc[projects["project_id"] == highlight, "name_zh"]
        if len(names):
            return f"{highlight} {names.iloc[0]}"
    return _common.zone_name(highlight, tables)


def _clear_highlight() -> None:
    st.session_state.pop("highlight", None)
    st.session_state.pop("_map_rows", None)
    st.session_state.pop("map_table", None)


def render() -> None:
    st.title(tr("地图", "Map"))
    tables = _common.require_tables("zones", "projects")
    if tables is None:
        return
    assert tables.zones is not None and tables.projects is not None
    geo = appstate.geometry()
    filters = appstate.current_filters()
    options = controls()
    projects = appstate.filtered_projects(tables.projects, filters, sectors=tables.sectors)
    zones = appstate.filter_zones(tables.zones, filters)
    table = map_table(projects)
    highlight = _selected_highlight(table)
    if highlight:
        st.query_params["sel"] = highlight
        shown = _highlight_name(highlight, tables)
        st.button(
            tr(f"取消高亮：{shown}", f"Clear highlight: {shown}"),
            key="map_clear_highlight",
            on_click=_clear_highlight,
        )
    elif "sel" in st.query_params:
        del st.query_params["sel"]

    zones_geo = geo.zones_geo
    parts: maps.MapParts | None = None
    if geo.district is None or zones_geo is None:
        _common.show_load_errors(geo.errors)
        appstate.notice_missing("地图（边界数据）", "the map (boundary data)")
    else:
        kwargs: dict[str, Any] = {
            "district": geo.district,
            "zones_geo": zones_geo,
            "zones": zones,
            "projects": projects,
            "intensity": zone_intensity(tables.zones, projects),
            "river": geo.river,
            "sectors": tables.sectors,
            "lang": appstate.lang(),
            "highlight": highlight,
            **options,
        }
        try:
            parts = maps.build_map_parts(**kwargs)
        except WzgeoError as e:  # e.g. a malformed Tianditu key typed by the user
            appstate.show_error(e)
            if kwargs["basemap"] == "tianditu":  # a typo in the key must not hide the map
                kwargs = {**kwargs, "basemap": "none", "tianditu_key": None}
                parts = maps.build_map_parts(**kwargs)
    fmap = None if parts is None else parts.base
    notes = getattr(fmap, "notes", None)
    if notes is not None and notes.schematic:
        st.warning(appstate.lbl("ui.schematic_banner"), icon=":material/warning:")
    left, right = st.columns([3, 1])
    if parts is not None:
        from streamlit_folium import st_folium

        _prepare_export(kwargs)
        with left:
            # The iframe is keyed on the base map's script only (tiles, district, river):
            # a change of filters, style, target or highlight swaps the dynamic layers in the
            # same iframe instead of re-creating the map.
            st_folium(
                parts.base,
                key="main_map",
                height=640,  # room for the legend without hiding the zones
                use_container_width=True,
                returned_objects=["last_object_clicked_tooltip"],
                feature_group_to_add=list(parts.layers),
                layer_control=parts.layer_control,
            )
            _export_button(kwargs)
            _print_downloads.print_map_section(kwargs)
    with right:
        _side_panel(notes)
    st.subheader(tr("项目（选中一行在地图上高亮）", "Projects (select a row to highlight it)"))
    _common.show_table(
        appstate.col_labels(_common.present(table, tables)),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="map_table",
        height=280,
    )


def _export_view(kwargs: dict[str, Any]) -> str:
    """A key of what the map shows (settings, filters, assignments, highlight)."""
    return repr(
        (
            sorted((k, v) for k, v in kwargs.items() if isinstance(v, str | int | float)),
            appstate.current_filters(),
            sorted(appstate.assignments().items()),
            kwargs.get("highlight"),
        )
    )


def _prepare_export(kwargs: dict[str, Any]) -> None:
    """On a click of "prepare", export the whole map (``build_map`` with the same arguments
    as the map shown) and keep it for this view in session state."""
    if st.session_state.get("map_export_prepare"):
        html = maps.export_map_html(**kwargs).encode("utf-8")
        st.session_state["map_export"] = (_export_view(kwargs), html)


def _export_button(kwargs: dict[str, Any]) -> None:
    """ "Prepare" button, then the download of the prepared export while the view is the same.

    Changing a filter does not pay for an export nobody asked for.
    """
    st.button(tr("生成 HTML 地图", "Prepare HTML map"), key="map_export_prepare")
    if kwargs.get("basemap") == "tianditu" and kwargs.get("tianditu_key"):
        # the tiles need the key, so the file carries it: say so before it is shared
        st.caption(
            "⚠️ "
            + tr(
                "导出的文件中包含你的天地图密钥（tk）；如需转发，请改用其他底图后再导出。",
                "The exported file contains your Tianditu key (tk); to share it, export with "
                "another basemap.",
            )
        )
    stored = st.session_state.get("map_export")
    if stored is not None and stored[0] == _export_view(kwargs):
        st.download_button(
            tr("下载 HTML 地图（离线可用）", "Download HTML map (works offline)"),
            data=stored[1],
            file_name="wzgeo_map.html",
            mime="text/html",
            key="map_export_download",
        )
        st.caption(
            tr(
                f"{len(stored[1]) / 1e6:.2f} MB，所有脚本与样式已内嵌，"
                "可离线打开（底图瓦片除外）。",
                f"{len(stored[1]) / 1e6:.2f} MB, all scripts and styles inlined; opens offline "
                "(basemap tiles aside).",
            )
        )


def _side_panel(notes: Any) -> None:
    """What the map could not draw and why (the map's notes), beside the map."""
    if notes is None:
        return
    banner = appstate.lbl("ui.schematic_banner")
    for kind, text in notes.texts(appstate.lang()):
        if text == banner:
            continue  # shown full width above the map
        if kind == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
    if len(notes.projects_unplaced):
        with st.expander(appstate.lbl("ui.projects_unplaced")):
            unplaced = notes.projects_unplaced.drop(columns=["reason"], errors="ignore")
            _common.show_table(
                appstate.col_labels(_common.present(unplaced)),
                hide_index=True,
                key="unplaced",
            )
    if notes.schematic:
        st.caption(appstate.lbl("ui.schematic_note"))


if __name__ == "__main__":
    render()

"""地图 Map: district, zones, projects; style/target/basemap switches; HTML export."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from wzgeo.app import state as appstate
from wzgeo.app.pages import _common, _land_layers, _map_view, _print_downloads
from wzgeo.app.pages._map_view import STYLES, TARGETS
from wzgeo.app.state import tr
from wzgeo.errors import WzgeoError
from wzgeo.maps import webmap as maps
from wzgeo.paths import geodata_dir

BASEMAPS = ("osm", "gaode", "tianditu", "none")  # without a basemaps.toml


def _basemaps() -> tuple[tuple[str, ...], str, dict[str, str]]:
    """The basemap ids offered (``basemaps.toml``, :mod:`wzgeo.maps.basemaps`), the default
    and the names in the page's language; the built-ins (and the error) when the file is
    broken."""
    from wzgeo.maps import basemaps

    try:
        config = basemaps.load_basemaps()
    except WzgeoError as e:
        appstate.show_error(e)
        config = basemaps.BasemapConfig(sources=dict(basemaps.BUILTIN), default="osm")
    lang = appstate.lang()
    names = {i: s.name(lang) for i, s in config.sources.items()}
    names["none"] = appstate.value_label("basemap", "none")
    return config.ids(), config.default, names


_PARAMS = {"style": "map_style", "target": "map_target", "basemap": "map_basemap"}


def _init_from_query(basemap_ids: tuple[str, ...], default_basemap: str) -> None:
    """Page widgets start from the URL query (once per session); the basemap from the
    configuration's default when the URL names none."""
    ss = st.session_state
    if ss.get("_map_query_loaded"):
        return
    ss["_map_query_loaded"] = True
    ss["map_basemap"] = default_basemap
    qp = st.query_params
    if qp.get("style") in STYLES:
        ss["map_style"] = qp.get("style")
    if qp.get("target", "").isdigit() and int(qp.get("target", "0")) in TARGETS:
        ss["map_target"] = int(qp.get("target", "50"))
    if qp.get("basemap") in basemap_ids:
        ss["map_basemap"] = qp.get("basemap")


_KEPT = ("map_style", "map_target", "map_basemap", "tianditu_key")


def controls() -> dict[str, Any]:
    """Style, target and basemap widgets; their values, also written to the URL.

    Streamlit forgets a widget's value while another page is shown; the values are kept
    under separate session keys so they survive a visit to another page.
    """
    basemap_ids, default_basemap, basemap_names = _basemaps()
    _init_from_query(basemap_ids, default_basemap)
    ss = st.session_state
    for kept in _KEPT:
        if kept not in ss and f"_kept_{kept}" in ss:
            ss[kept] = ss[f"_kept_{kept}"]
    # ids only (never a label, whatever a URL or an older session holds)
    for kept, options in (
        ("map_style", STYLES),
        ("map_target", TARGETS),
        ("map_basemap", basemap_ids),
    ):
        if kept in ss and ss[kept] not in options:
            ss[kept] = appstate.valid_choice(ss[kept], options, options[0])
    c1, c2, c3 = st.columns([1, 1.3, 2.2])
    style = c1.radio(
        tr("园区着色", "Zone colours"),
        STYLES,
        format_func=appstate.fmt(STYLES, lambda v: appstate.value_label("style", v)),
        key=appstate.choice_key("map_style"),
        horizontal=True,
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
        horizontal=True,
    )
    basemap = c3.radio(
        tr("底图", "Basemap"),
        basemap_ids,
        format_func=appstate.fmt(basemap_ids, lambda v: basemap_names.get(v, v)),
        key=appstate.choice_key("map_basemap"),
        horizontal=True,
    )
    key = ""
    from wzgeo.maps.basemaps import find_source

    chosen = find_source(str(basemap))
    if chosen is not None and chosen.needs_key:  # the key box only when needed (room for the map)
        key = c3.text_input(
            tr("天地图密钥 tk", "Tianditu key (tk)"),
            type="password",
            key="tianditu_key",
            help=tr(
                "天地图底图需要个人密钥（tk），在 console.tianditu.gov.cn 申请；"
                "不保存、不写入网址。",
                "The Tianditu basemap needs a personal key (tk) from console.tianditu.gov.cn; "
                "it is not stored and never put in the URL.",
            ),
        )
    style = appstate.valid_choice(style, STYLES, STYLES[0])
    target = appstate.valid_choice(target, TARGETS, TARGETS[0])
    # Tianditu without a key: the map falls back to no basemap and its notes say why
    basemap = chosen_basemap = appstate.valid_choice(basemap, basemap_ids, default_basemap)
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


def _rendered(kwargs: dict[str, Any], filters: appstate.Filters) -> _map_view.RenderedMap:
    """The map for ``kwargs``: drawn once per view and shared by the sessions
    (:mod:`wzgeo.app.pages._map_view`); the imported land-use layers, and a Tianditu key
    (a user's secret), are drawn for this run only."""
    groups = _land_layers.map_land_groups(
        lang=appstate.lang(), gcj02=kwargs.get("basemap") == "gaode"
    )
    key = None
    if not kwargs.get("tianditu_key"):
        key = _map_view.view_key(
            kwargs,
            filters=tuple(sorted(filters.to_params().items())),
            assigned=appstate.all_assignments(),
            data=(str(geodata_dir()), appstate.store_revision()),
        )
    return _map_view.rendered_map(kwargs, key=key, groups=groups)


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
    # less empty space above the title: the whole map fits above the fold at 1400×900
    st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")
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
    elif "sel" in st.query_params:
        del st.query_params["sel"]

    zones_geo = geo.zones_geo
    rendered: _map_view.RenderedMap | None = None
    if geo.district is None or zones_geo is None:
        _common.show_load_errors(geo.errors)
        appstate.notice_missing("地图（边界数据）", "the map (boundary data)")
    else:
        kwargs: dict[str, Any] = {
            "district": geo.district,
            "zones_geo": zones_geo,
            "zones": zones,
            "zones_all": tables.zones,  # the intensity is computed on all zones
            "projects": projects,
            "intensity": None,  # computed with the map (zone_intensity), kept with it
            "river": geo.river,
            "sectors": tables.sectors,
            "lang": appstate.lang(),
            "highlight": highlight,
            **options,
        }
        try:
            rendered = _rendered(kwargs, filters)
        except WzgeoError as e:  # e.g. a malformed Tianditu key typed by the user
            appstate.show_error(e)
            if kwargs["basemap"] == "tianditu":  # a typo in the key must not hide the map
                kwargs = {**kwargs, "basemap": "none", "tianditu_key": None}
                rendered = _rendered(kwargs, filters)
        kwargs.pop("zones_all")
        kwargs["intensity"] = None if rendered is None else rendered.intensity
    notes = None if rendered is None else rendered.notes
    # a browser session's first view: the map first, the rest by a rerun a moment later
    now = not appstate.first_view("map")
    left, right = st.columns([4, 1])
    if rendered is not None:
        _prepare_export(kwargs)
        with left:
            _map_view.show(rendered)
            if now:  # below the map (and the fold at 1400×900)
                _export_button(kwargs)
                _print_downloads.print_map_section(kwargs)
    with right:
        if highlight:
            shown = _highlight_name(highlight, tables)
            st.button(
                tr(f"取消高亮：{shown}", f"Clear highlight: {shown}"),
                key="map_clear_highlight",
                on_click=_clear_highlight,
            )
        if highlight and notes is not None:
            _highlight_not_drawn(highlight, notes, table, tables)
        _side_panel(notes, tables=now)
    st.subheader(tr("项目（选中一行在地图上高亮）", "Projects (select a row to highlight it)"))
    if not now:
        st.caption(tr("项目表随后显示……", "The project table follows…"))
        return  # app.py reruns the page in a moment (state.finish_first_view)
    _common.show_table(
        appstate.col_labels(_common.present(table, tables)),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="map_table",
        height=280,
    )


def _highlight_not_drawn(
    highlight: str, notes: Any, table: pd.DataFrame, tables: appstate.PlanTables
) -> None:
    """Say, next to the map, when the selected project cannot be drawn, and why."""
    projects = tables.projects
    if projects is None or highlight not in set(projects["project_id"].astype(str)):
        return  # a zone, or nothing known
    shown = _highlight_name(highlight, tables)
    unplaced = notes.projects_unplaced
    if len(unplaced) and highlight in set(unplaced["project_id"].astype(str)):
        row = unplaced.loc[unplaced["project_id"].astype(str) == highlight].iloc[0]
        reason = str(row.get("reason_text", ""))  # in the map's (the page's) language
        st.warning(
            tr(
                f"所选项目 {shown} 无法在地图上绘制：{reason}。",
                f"The selected project {shown} cannot be drawn on the map: {reason}.",
            ),
            icon=":material/location_off:",
        )
    elif highlight not in set(table["project_id"].astype(str)):
        st.warning(
            tr(
                f"所选项目 {shown} 不在当前筛选结果中，地图上未显示。",
                f"The selected project {shown} is not in the current filter, so the map "
                "does not show it.",
            ),
            icon=":material/filter_alt_off:",
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


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def export_file_name(
    *, style: str, lang: str, zone_names: list[str] | tuple[str, ...] = (), day: date
) -> str:
    """The export's file name: what it is, the date and the view.

    E.g. ``万州园区地图_2026-12-04_按主导产业.html``, or with a zone filter
    ``万州园区地图_2026-12-04_按园区级别_高峰园.html``; in English
    ``Wanzhou-zones-map_2026-12-04_by-focus-sector.html``. Characters that file systems
    refuse (``/ \\ : * ? " < > |``) and spaces become ``-``.
    """
    from wzgeo.labels import value_label

    view = [str(value_label("style", style, lang))]
    if zone_names:
        if len(zone_names) <= 2:
            view.extend(zone_names)
        else:
            view.append(f"{len(zone_names)} 个园区" if lang == "zh" else f"{len(zone_names)} zones")
    stem = "万州园区地图" if lang == "zh" else "Wanzhou-zones-map"
    parts = [stem, day.isoformat(), *view]
    clean = [_UNSAFE.sub("-", p).strip("-") for p in parts]
    name = "_".join(c for c in clean if c)
    return (name if lang == "zh" else name.lower().replace("wanzhou", "Wanzhou", 1)) + ".html"


def _prepare_export(kwargs: dict[str, Any]) -> None:
    """On a click of "prepare", export the whole map (``build_map`` with the same arguments
    as the map shown) and keep it, with its file name, in session state (until the next
    "prepare": a later change of settings does not take the download away)."""
    if st.session_state.get("map_export_prepare"):
        html = maps.export_map_html(**kwargs).encode("utf-8")
        zones = appstate.current_filters().zones
        tables = appstate.plan_tables()
        name = export_file_name(
            style=str(kwargs.get("style", "level")),
            lang=appstate.lang(),
            zone_names=[_common.zone_name(z, tables) for z in zones],
            day=date.today(),
        )
        st.session_state["map_export"] = (_export_view(kwargs), html, name)


def _export_button(kwargs: dict[str, Any]) -> None:
    """ "Prepare" button, then the download of the last prepared export.

    Changing a filter does not pay for an export nobody asked for, nor takes the prepared
    one away: when the settings changed since, a note says the file shows the earlier view.
    """
    c1, c2 = st.columns([1, 2])
    c1.button(tr("生成 HTML 地图", "Prepare HTML map"), key="map_export_prepare")
    if kwargs.get("basemap") == "tianditu" and kwargs.get("tianditu_key"):
        # the tiles need the key, so the file carries it: say so before it is shared
        st.caption(
            tr(
                "注意：导出的文件中包含你的天地图密钥（tk）；如需转发，请改用其他底图后再导出。",
                "Note: the exported file contains your Tianditu key (tk); to share it, export "
                "with another basemap.",
            )
        )
    stored = st.session_state.get("map_export")
    if stored is None or len(stored) != 3:
        return
    view, data, name = stored
    c2.download_button(
        tr(f"下载 {name}", f"Download {name}"),
        data=data,
        file_name=name,
        mime="text/html",
        key="map_export_download",
    )
    size = f"{len(data) / 1e6:.2f} MB"
    if view == _export_view(kwargs):
        st.caption(
            tr(
                f"{size}，所有脚本与样式已内嵌，可离线打开（底图瓦片除外）。",
                f"{size}, all scripts and styles inlined; opens offline (basemap tiles aside).",
            )
        )
    else:
        st.caption(
            tr(
                f"{size}；此文件是之前设置下的地图，点“生成 HTML 地图”可按当前设置更新。",
                f"{size}; this file shows the map as it was set before; click "
                "“Prepare HTML map” to update it to the current settings.",
            )
        )


def _side_panel(notes: Any, *, tables: bool = True) -> None:
    """What the map could not draw and why (the map's notes), once each, beside the map.

    The map itself carries only its legend; the projects not drawn are one folded list
    whose title gives their number.
    """
    if notes is None:
        return
    unplaced_key = appstate.lbl("ui.projects_unplaced")
    for kind, text in notes.texts(appstate.lang()):
        if text.startswith(unplaced_key):
            continue  # the folded list below carries the count
        if kind == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/info:")
    if len(notes.projects_unplaced):
        title = tr(
            f"{unplaced_key}：{len(notes.projects_unplaced)} 个",
            f"{unplaced_key}: {len(notes.projects_unplaced)}",
        )
        with st.expander(title):
            if not tables:
                st.caption(tr("列表随后显示……", "The list follows…"))
                return
            unplaced = notes.projects_unplaced.drop(columns=["reason"], errors="ignore")
            _common.show_table(
                appstate.col_labels(_common.present(unplaced)),
                hide_index=True,
                key="unplaced",
            )


if __name__ == "__main__":
    render()

"""地块核查 Plot check: upload or draw a plot, choose a sector or project, read the report."""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd
import streamlit as st

from wzgeo.analysis import plotcheck
from wzgeo.app import state as appstate
from wzgeo.app._text import plain
from wzgeo.app.pages import _common
from wzgeo.app.state import tr
from wzgeo.errors import WzgeoError
from wzgeo.maps import offline
from wzgeo.maps import webmap as maps
from wzgeo.plots import io as plotio

UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz", "txt", "csv", "xlsx", "wkt"]
CRS_CHOICES = ("", "EPSG:4326", "EPSG:4490", "EPSG:4545", "EPSG:4524")
DATUM_CHOICES = ("wgs84", "gcj02", "bd09")  # the ids read_plots (and --datum) take


def _datum_label(value: str) -> str:
    names = {
        "wgs84": tr("WGS84 / CGCS2000（GPS、天地图）", "WGS84 / CGCS2000 (GPS, Tianditu)"),
        "gcj02": tr("GCJ-02（高德、腾讯地图）", "GCJ-02 (Gaode, Tencent maps)"),
        "bd09": tr("BD-09（百度地图）", "BD-09 (Baidu maps)"),
    }
    return names[value]


def _crs_label(value: str) -> str:
    names = {
        "": tr("自动识别", "Detect automatically"),
        "EPSG:4326": "WGS84 (EPSG:4326)",
        "EPSG:4490": "CGCS2000 (EPSG:4490)",
        "EPSG:4545": tr("CGCS2000 3度带 36带 (EPSG:4545)", "CGCS2000 3° GK zone 36 (EPSG:4545)"),
        "EPSG:4524": tr(
            "CGCS2000 3度带 36带 带号 (EPSG:4524)", "CGCS2000 3° GK zone 36 prefixed (EPSG:4524)"
        ),
    }
    return names[value]


def _zones_map(geo: appstate.Geometry) -> Any:
    """The district and zones on no basemap (the base of this page's maps); ``None`` when
    the geometry or the zones table could not be loaded."""
    tables = appstate.plan_tables()
    if geo.district is None or geo.zones_geo is None or tables.zones is None:
        return None
    return maps.build_map(
        district=geo.district,
        zones_geo=geo.zones_geo,
        zones=tables.zones,
        river=geo.river,
        basemap="none",
        lang=appstate.lang(),
    )


def _drawn_map(geo: appstate.Geometry) -> dict[str, Any] | None:
    """A map with the Leaflet.draw toolbar; the drawn features (GeoJSON) or ``None``."""
    fmap = _zones_map(geo)
    if fmap is None:
        appstate.notice_missing("地图（边界数据）", "the map (boundary data)")
        return None
    import folium.plugins
    from streamlit_folium import st_folium

    folium.plugins.Draw(
        export=False,
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": True,
            "polygon": True,
        },
    ).add_to(fmap)
    out = st_folium(
        offline.use_offline_assets(fmap),
        key="draw_map",
        height=450,
        use_container_width=True,
        returned_objects=["all_drawings"],
    )
    drawings = (out or {}).get("all_drawings") or []
    polygons = [
        d for d in drawings if d.get("geometry", {}).get("type") in ("Polygon", "MultiPolygon")
    ]
    if not polygons:
        return None
    return {"type": "FeatureCollection", "features": polygons}


def _import() -> Any:
    """The plots from the upload or the drawing (``PlotImport``), or ``None``."""
    source = st.radio(
        tr("地块来源", "Plot source"),
        ("upload", "draw"),
        format_func=appstate.fmt(
            ("upload", "draw"),
            lambda v: (
                tr("上传文件", "Upload a file")
                if v == "upload"
                else tr("在地图上绘制", "Draw on the map")
            ),
        ),
        horizontal=True,
        key="plot_source",
    )
    if source == "upload":
        c1, c2 = st.columns([2, 1])
        upload = c1.file_uploader(
            tr(
                "地块文件（GeoJSON、GPKG、SHP 压缩包、KML/KMZ、部标 TXT、CSV/XLSX 坐标点、WKT）",
                "Plot file (GeoJSON, GPKG, zipped SHP, KML/KMZ, land-office TXT, "
                "CSV/XLSX points, WKT)",
            ),
            type=UPLOAD_TYPES,
            key="plot_upload",
        )
        crs = c2.selectbox(
            tr("坐标系", "CRS"),
            CRS_CHOICES,
            format_func=appstate.fmt(CRS_CHOICES, _crs_label),
            key="plot_crs",
        )
        datum = c2.selectbox(
            tr("经纬度来源", "Lon/lat source"),
            DATUM_CHOICES,
            format_func=appstate.fmt(DATUM_CHOICES, _datum_label),
            key=appstate.choice_key("plot_datum"),
        )
        if upload is None:
            return None
        data, filename = upload.getvalue(), upload.name
    else:
        drawn = _drawn_map(appstate.geometry())
        if drawn is None:
            st.caption(
                tr("用左侧工具栏绘制多边形。", "Draw a polygon with the toolbar on the left.")
            )
            return None
        data, filename, crs = json.dumps(drawn).encode("utf-8"), "drawn.geojson", "EPSG:4326"
        datum = "wgs84"
    try:
        return plotio.read_plots(data, filename=filename, crs=crs or None, datum=datum)
    except WzgeoError as e:
        appstate.show_error(e)
        return None


def _choose_target(tables: appstate.PlanTables) -> dict[str, str | None]:
    id_names = appstate.names(tables)
    mode = st.radio(
        tr("核查依据", "Check against"),
        ("sector", "project"),
        format_func=appstate.fmt(
            ("sector", "project"),
            lambda v: tr("产业", "A sector") if v == "sector" else tr("项目", "A project"),
        ),
        horizontal=True,
        key="plot_mode",
    )
    if mode == "sector":
        options = tables.sectors["sector_id"].tolist() if tables.sectors is not None else []
        sid = st.selectbox(
            tr("产业", "Sector"),
            options,
            format_func=lambda v: id_names.get(v, v),
            key="plot_sector",
        )
        return {"sector_id": sid, "project_id": None}
    assert tables.projects is not None
    pnames = dict(zip(tables.projects["project_id"], tables.projects["name_zh"], strict=True))
    pid = st.selectbox(
        tr("项目", "Project"),
        list(pnames),
        format_func=lambda p: f"{p} {pnames.get(p, '')}",
        key="plot_project",
    )
    return {"sector_id": None, "project_id": pid}


#: report columns not shown (the same fact is shown in another column or language)
_HIDDEN = {
    "zh": ("zone_name_zh", "reason_en", "area_m2"),
    "en": ("zone_name_zh", "fit_reason_zh", "reason_zh", "area_m2"),
}


def report_table(df: Any) -> Any:
    """A report table as users read it: zone names, labels, one language, labelled headers."""
    frame = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
    if "zone_id" in frame.columns:
        frame = frame.assign(zone_id=frame["zone_id"].map(_common.zone_name))
        frame = frame.rename(columns={"zone_id": "zone"})
    frame = frame.drop(columns=list(_HIDDEN[appstate.lang()]), errors="ignore")
    return appstate.col_labels(_common.present(frame))


def report_html(check: Any, *, title: str, filename: str, project_name: str | None = None) -> str:
    """A standalone HTML report (no scripts, no external resources); every value escaped."""
    to_html = getattr(check, "to_html", None)
    if callable(to_html):
        return str(to_html(lang=appstate.lang()))

    def table(df: Any) -> str:
        return str(_common.as_text(report_table(df)).to_html(index=False, escape=True))

    parts = [
        "<!doctype html>",
        '<html><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(
            f'<p class="answer"><strong>{html.escape(s)}</strong></p>'
            for s in check.answers(lang=appstate.lang())
        ),
        f"<p>{html.escape(tr('文件', 'File'))}: {html.escape(filename)}</p>",
    ]
    if check.project_id:
        what = f"{check.project_id} {project_name or ''}".strip()
        parts.append(f"<p>{html.escape(tr('项目', 'Project'))}: {html.escape(what)}</p>")
    elif check.sector_id:
        what = appstate.value_label("sector", check.sector_id)
        parts.append(f"<p>{html.escape(tr('产业', 'Sector'))}: {html.escape(what)}</p>")
    parts += [
        f"<p>{html.escape(_common.with_zone_names(tr(zh, en)))}</p>"
        for zh, en in zip(check.notes_zh, check.notes_en, strict=True)
    ]
    parts += [f"<h2>{html.escape(tr('地块', 'Plots'))}</h2>", table(check.table)]
    if len(check.zone_overlaps):
        parts += [f"<h2>{html.escape(tr('与园区的重叠', 'Overlap with zones'))}</h2>"]
        parts.append(table(check.zone_overlaps))
    if len(check.indicators):
        parts += [f"<h2>{html.escape(tr('控制指标', 'Control indicators'))}</h2>"]
        parts.append(table(check.indicators))
    parts.append("</body></html>")
    return "\n".join(parts)


def render() -> None:
    st.title(tr("地块核查", "Plot check"))
    tables = _common.require_tables("zones", "projects", "sectors")
    if tables is None:
        return
    target = _choose_target(tables)
    imported = _import()
    if imported is None:
        return
    # a drawn plot is in WGS84 by construction: no CRS notice ("specified by the user") then
    if getattr(imported, "crs_reason_zh", None) and st.session_state.get("plot_source") != "draw":
        st.info(
            plain(
                tr(
                    f"坐标系：{imported.source_crs}（{imported.crs_reason_zh}）",
                    f"CRS: {imported.source_crs} ({imported.crs_reason_en})",
                )
            ),
            icon=":material/info:",
        )
    for warning in getattr(imported, "warnings", ()) or ():
        st.warning(plain(warning), icon=":material/warning:")
    geo = appstate.geometry()
    try:
        check = plotcheck.check_plots(
            imported.plots,
            zones_geo=geo.zones_geo,
            zones=tables.zones,
            projects=tables.projects,
            sectors=tables.sectors,
            fit=appstate.fit_table(),
            rules=appstate.rules_table(),
            sector_id=target["sector_id"],
            project_id=target["project_id"],
        )
    except WzgeoError as e:
        appstate.show_error(e)
        return
    st.subheader(tr("核查报告", "Report"))
    for zh, en in zip(check.notes_zh, check.notes_en, strict=True):
        st.info(plain(_common.with_zone_names(tr(zh, en))), icon=":material/info:")
    _common.show_table(report_table(check.table), hide_index=True, key="plot_report")
    if len(check.zone_overlaps):
        st.markdown("**" + tr("与园区的重叠", "Overlap with zones") + "**")
        _common.show_table(report_table(check.zone_overlaps), hide_index=True, key="plot_overlaps")
    if len(check.indicators):
        st.markdown("**" + tr("控制指标", "Control indicators") + "**")
        _common.show_table(report_table(check.indicators), hide_index=True, key="plot_indicators")
    _plot_on_map(imported.plots)
    title = tr("地块核查报告", "Plot check report")
    c1, c2 = st.columns(2)
    c1.download_button(
        tr("下载报告 HTML", "Download report (HTML)"),
        data=report_html(
            check,
            title=title,
            filename=getattr(imported, "filename", "") or "",
            project_name=_project_name(tables, target.get("project_id")),
        ).encode("utf-8"),
        file_name="wzgeo_plot_check.html",
        mime="text/html",
        key="plot_dl_html",
    )
    c2.download_button(
        tr("下载报告 JSON", "Download report (JSON)"),
        data=json.dumps(check.to_dict(), ensure_ascii=False, indent=2, default=str).encode("utf-8"),
        file_name="wzgeo_plot_check.json",
        mime="application/json",
        key="plot_dl_json",
    )


def _project_name(tables: appstate.PlanTables, project_id: str | None) -> str | None:
    if project_id is None or tables.projects is None:
        return None
    rows = tables.projects.loc[tables.projects["project_id"] == project_id, "name_zh"]
    return str(rows.iloc[0]) if len(rows) else None


def _plot_on_map(plots: Any) -> None:
    fmap = _zones_map(appstate.geometry())
    if fmap is None:
        return
    import folium
    from streamlit_folium import st_folium

    shapes = plots[["geometry"]].to_crs("EPSG:4326")
    folium.GeoJson(
        shapes.__geo_interface__,
        name=tr("核查地块", "Checked plot"),
        style_function=lambda _f: {"color": "#d00", "weight": 3, "fillOpacity": 0.3},
    ).add_to(fmap)
    bounds = shapes.total_bounds
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    st_folium(
        offline.use_offline_assets(fmap),
        key="plot_map",
        height=420,
        use_container_width=True,
        returned_objects=[],
    )


if __name__ == "__main__":
    render()

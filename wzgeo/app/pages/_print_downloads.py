"""Print downloads for the pages: the print map (map page) and the plot-check report (PDF/DOCX).

Each section is self-contained: options, a "prepare" button (rendering takes a second or two,
so nothing is drawn until asked for), then the download of what was prepared while the view
is unchanged. The work is done by :mod:`wzgeo.maps.printmap` and :mod:`wzgeo.reports`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from wzgeo.app import state as appstate
from wzgeo.app.state import tr
from wzgeo.errors import WzgeoError

__all__ = ["print_map_section", "report_section"]

_FORMATS = ("pdf", "png", "svg")
_MIME = {
    "pdf": "application/pdf",
    "png": "image/png",
    "svg": "image/svg+xml",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _view_key(kwargs: dict[str, Any]) -> str:
    """What the map shows (settings and the shown projects' ids), for the prepared file."""
    projects = kwargs.get("projects")
    ids = () if projects is None else tuple(sorted(map(str, projects["project_id"])))
    zones = kwargs.get("zones")
    zone_ids = () if zones is None else tuple(sorted(map(str, zones["zone_id"])))
    simple = sorted((k, v) for k, v in kwargs.items() if isinstance(v, str | int | float))
    return repr((simple, ids, zone_ids, kwargs.get("highlight")))


def print_map_section(kwargs: dict[str, Any]) -> None:
    """ "导出打印地图": the map shown (same data, filters, style and basemap) as a print map
    with title, legend, scale bar, north arrow and sources."""
    with st.expander(tr("导出打印地图（PDF / PNG / SVG）", "Export print map (PDF / PNG / SVG)")):
        c1, c2, c3 = st.columns(3)
        fmt = c1.selectbox(
            tr("格式", "Format"),
            _FORMATS,
            format_func=lambda v: {"pdf": "PDF", "png": "PNG 300 dpi", "svg": "SVG"}[v],
            key=appstate.choice_key("print_map_format"),
        )
        paper = c2.selectbox(tr("纸张", "Paper"), ("A4", "A3"), key="print_map_paper")
        orientation = c3.selectbox(
            tr("方向", "Orientation"),
            ("landscape", "portrait"),
            # labels fixed now (AppTest formats values outside the run); the id is kept
            # across a language switch (appstate.choice_key)
            format_func=appstate.fmt(
                ("landscape", "portrait"),
                lambda v: tr("横向", "Landscape") if v == "landscape" else tr("纵向", "Portrait"),
            ),
            key=appstate.choice_key("print_map_orientation"),
        )
        title = st.text_input(
            tr("图名", "Title"),
            value="",
            placeholder=tr("万州区产业园区分布图", "Wanzhou industrial zones"),
            key="print_map_title",
        )
        options = (fmt, paper, orientation, title)
        view = (_view_key(kwargs), options)
        if st.button(tr("生成打印地图", "Prepare print map"), key="print_map_prepare"):
            from wzgeo.maps import printmap

            args = {k: v for k, v in kwargs.items() if k not in ("show_intensity", "height")}
            try:
                with st.spinner(tr("正在绘制…", "Drawing…")):
                    result = printmap.render_print_map(
                        format=fmt,
                        paper=paper,
                        orientation=orientation,
                        title=title.strip() or None,
                        **args,
                    )
            except WzgeoError as e:
                appstate.show_error(e)
                return
            st.session_state["print_map_file"] = (view, result.data, result.tiles_note)
        stored = st.session_state.get("print_map_file")
        if stored is None or stored[0] != view:
            return
        if stored[2]:
            st.caption(stored[2])
        st.download_button(
            tr("下载打印地图", "Download print map"),
            data=stored[1],
            file_name=f"wzgeo_map_{paper}.{fmt}",
            mime=_MIME[fmt],
            key="print_map_download",
            on_click="ignore",
        )


def report_section(
    check: Any,
    imported: Any,
    *,
    data: bytes,
    key: tuple[Any, ...],
    basis: str | None = None,
    land_layers: Any = None,
) -> None:
    """PDF (archiving) and DOCX (editable) downloads of the plot-check report, in the page's
    language, prepared on a click."""
    lang = appstate.lang()
    view = (*key, lang)
    if st.button(
        tr("生成打印报告（PDF / Word）", "Prepare printable report (PDF / Word)"),
        key="plot_report_prepare",
    ):
        from wzgeo.reports import plotreport

        geo = appstate.geometry()
        tables = appstate.plan_tables()
        try:
            with st.spinner(tr("正在生成报告…", "Writing the report…")):
                report = plotreport.build_plot_report(
                    check,
                    imported,
                    data=data,
                    zones=tables.zones,
                    zones_geo=geo.zones_geo,
                    district=geo.district,
                    land_layers=land_layers,
                    lang=lang,
                    basis=basis,
                )
                files = {f: plotreport.render_report(report, f) for f in ("pdf", "docx")}
        except WzgeoError as e:
            appstate.show_error(e)
            return
        st.session_state["plot_report_files"] = (view, files)
    stored = st.session_state.get("plot_report_files")
    if stored is None or stored[0] != view:
        return
    name = tr("地块核查报告", "plot_check_report")
    c1, c2 = st.columns(2)
    c1.download_button(
        tr("下载报告 PDF（存档）", "Download report (PDF, for archiving)"),
        data=stored[1]["pdf"],
        file_name=f"{name}.pdf",
        mime=_MIME["pdf"],
        key="plot_dl_pdf",
        on_click="ignore",
    )
    c2.download_button(
        tr("下载报告 Word（可编辑）", "Download report (Word, editable)"),
        data=stored[1]["docx"],
        file_name=f"{name}.docx",
        mime=_MIME["docx"],
        key="plot_dl_docx",
        on_click="ignore",
    )

"""地块核查 Plot check: upload or draw a plot, choose a sector or project, read the answer.

The page shows, in this order: the answer (one sentence per plot, page text), one notice with
what applies to the whole check (CRS, zones of unknown location, schematic boundaries — each
once), the plot table, the control indicators, the plot on a map, and the report downloads.

State: every choice is kept as an id (``plot_keep_*`` in the session) and survives language
switches; the widgets themselves are keyed per language (their labels change), and are set
from the kept ids. The upload is kept too, parsed once and checked once per file hash and
options (:func:`_parsed`, :func:`_checked`): a widget change that does not change the check
(language, another page and back) reuses the result.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from wzgeo import labels
from wzgeo.analysis import plotcheck
from wzgeo.analysis.answer import summary_sentence
from wzgeo.app import state as appstate
from wzgeo.app._text import plain
from wzgeo.app.pages import _common, _land_layers, _print_downloads
from wzgeo.app.state import tr
from wzgeo.errors import WzgeoError
from wzgeo.maps import offline
from wzgeo.maps import webmap as maps
from wzgeo.paths import geodata_dir
from wzgeo.plots import io as plotio

UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz", "txt", "csv", "xlsx", "wkt"]
CRS_CHOICES = ("", "EPSG:4326", "EPSG:4490", "EPSG:4545", "EPSG:4524")
DATUM_CHOICES = ("wgs84", "gcj02", "bd09")  # the ids read_plots (and --datum) take
#: answer sentences shown on the page (all of them are in the reports)
SHOWN_ANSWERS = 20
#: plot rows shown in the page's table (all of them are in the reports)
SHOWN_ROWS = 1000
#: up to this many plots the reports are built with the page; above, on request
EAGER_REPORT_PLOTS = 1000
#: plots drawn on the result map (a map of 10,000 polygons takes seconds to send and draw)
MAP_PLOTS = 1000
#: height of the result map (px)
MAP_HEIGHT = 420
#: height of the result map with land layers (px)
MAP_HEIGHT_LAND = 520
#: the imported land layers are drawn on the result map this far around the plots (m)
LAND_MARGIN_M = 1000.0


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


# --------------------------------------------------------------------------------------------
# choices kept as ids across language switches


def _kept(name: str, options: Sequence[Any], default: Any) -> tuple[str, Callable[[], None]]:
    """The widget key for choice ``name`` in the current language, set to the kept id, and
    the ``on_change`` callback that keeps the widget's new value.

    Labels change with the language, so each language has its own widget; the choice itself
    lives in ``plot_keep_<name>`` (an id, never a label).
    """
    ss = st.session_state
    keep = f"plot_keep_{name}"
    key = f"plot_{name}_{appstate.lang()}"
    value = ss.get(keep, default)
    if value not in options:
        value = default
    ss[keep] = value
    if key not in ss or ss[key] != value:
        ss[key] = value

    def remember() -> None:
        ss[keep] = ss.get(key)

    return key, remember


def _choice(widget: Any, label: str, options: Sequence[Any], *, name: str, **kw: Any) -> Any:
    """``widget(label, options, ...)`` whose value is kept as an id across languages."""
    if not options:
        return None
    key, remember = _kept(name, options, options[0])
    value = widget(label, list(options), key=key, on_change=remember, **kw)
    st.session_state[f"plot_keep_{name}"] = value
    return value


def _language_switched() -> bool:
    """Whether the language changed since this page's previous run."""
    ss = st.session_state
    switched = ss.get("plot_last_lang", appstate.lang()) != appstate.lang()
    ss["plot_last_lang"] = appstate.lang()
    return switched


# --------------------------------------------------------------------------------------------
# input: the upload or the drawing, kept; parsed and checked once


@dataclass(frozen=True)
class _Input:
    """A plot file as bytes, with what identifies it (hash, name, CRS choice)."""

    data: bytes
    filename: str
    crs: str
    digest: str
    drawn: bool = False
    datum: str = "wgs84"

    @classmethod
    def of(cls, data: bytes, filename: str, crs: str, *, drawn: bool = False) -> _Input:
        return cls(data, filename, crs, hashlib.sha256(data).hexdigest(), drawn)


@st.cache_resource(show_spinner=False, max_entries=8)
def _base_map(lang: str, data_dir: str, revision: tuple[str, int]) -> Any:
    """The district and zones on no basemap, never rendered (copied before use: rendering a
    folium map for streamlit-folium changes it); ``None`` without geometry or zones."""
    geo = appstate.geometry()
    tables = appstate.plan_tables()
    if geo.district is None or geo.zones_geo is None or tables.zones is None:
        return None
    return maps.build_map(
        district=geo.district,
        zones_geo=geo.zones_geo,
        zones=tables.zones,
        river=geo.river,
        basemap="none",
        lang=lang,
    )


def _zones_map(lang: str | None = None) -> Any:
    """A fresh copy of the zones map in ``lang`` (default: the page's; building one takes
    ≈ 0.7 s, copying the built one ≈ 0.01 s); ``None`` when the geometry or zones are
    missing."""
    base = _base_map(lang or appstate.lang(), str(geodata_dir()), appstate.store_revision())
    return None if base is None else copy.deepcopy(base)


def _add_before_controls(fmap: Any, layer: Any) -> None:
    """Add ``layer`` to ``fmap`` ahead of its layer control.

    folium renders children in order, and the layer control's script refers to every layer
    by its variable: a layer added after the control is used before it is defined, the map
    script stops ("Cannot read properties of undefined") and streamlit-folium never sizes its
    iframe (it stayed 0 px tall).
    """
    import folium

    controls = [(k, c) for k, c in fmap._children.items() if isinstance(c, folium.LayerControl)]
    for k, _c in controls:
        del fmap._children[k]
    layer.add_to(fmap)
    for _k, c in controls:
        fmap.add_child(c)


def _stable_ids(fmap: Any) -> Any:
    """``fmap`` with its elements numbered in tree order instead of random ids.

    streamlit-folium keys its iframe on the map's script, and folium names every element by
    a random id: a map rebuilt on a rerun would be a new iframe (drawn shapes lost, the map
    reloaded). The same map built again now gives the same script. (A built map cannot be
    cached and reused instead: rendering it for streamlit-folium changes it.)
    """
    n = 0
    stack = [fmap]
    while stack:
        element = stack.pop()
        if hasattr(element, "_id"):
            element._id = f"{n:032x}"
            n += 1
        stack.extend(reversed(list(getattr(element, "_children", {}).values())))
    return fmap


def _drawn_map() -> dict[str, Any] | None:
    """A map with the Leaflet.draw toolbar; the drawn features (GeoJSON) or ``None``."""
    fmap = _zones_map()
    if fmap is None:
        appstate.notice_missing("地图（边界数据）", "the map (boundary data)")
        return None
    import folium.plugins
    from streamlit_folium import st_folium

    draw = folium.plugins.Draw(
        export=False,
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": True,
            "polygon": True,
        },
    )
    _add_before_controls(fmap, draw)
    out = st_folium(
        _stable_ids(offline.use_offline_assets(fmap)),
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


def _input(switched: bool) -> _Input | None:
    """The plot file from the upload or the drawing, kept across language switches."""
    ss = st.session_state
    source = _choice(
        st.radio,
        tr("地块来源", "Plot source"),
        ("upload", "draw"),
        name="source",
        format_func=appstate.fmt(
            ("upload", "draw"),
            lambda v: (
                tr("上传文件", "Upload a file")
                if v == "upload"
                else tr("在地图上绘制", "Draw on the map")
            ),
        ),
        horizontal=True,
    )
    if source == "upload":
        # the uploader's state exists when it was on the page in the previous run: then an
        # empty uploader means the user removed the file; a new (empty) uploader after a
        # visit to another page or the drawing tab does not lose the kept file
        alive = "plot_upload" in ss
        c1, c2 = st.columns([2, 1])
        with c1:
            upload = st.file_uploader(
                tr(
                    "地块文件（GeoJSON、GPKG、SHP 压缩包、KML/KMZ、部标 TXT、"
                    "CSV/XLSX 坐标点、WKT）",
                    "Plot file (GeoJSON, GPKG, zipped SHP, KML/KMZ, land-office TXT, "
                    "CSV/XLSX points, WKT)",
                ),
                type=UPLOAD_TYPES,
                key="plot_upload",
            )
        with c2:
            crs = _choice(
                st.selectbox,
                tr("坐标系", "CRS"),
                CRS_CHOICES,
                name="crs",
                format_func=appstate.fmt(CRS_CHOICES, _crs_label),
            )
            # the lon/lat source: an id, kept across languages by appstate.keep_choices
            datum = st.selectbox(
                tr("经纬度来源", "Lon/lat source"),
                DATUM_CHOICES,
                format_func=appstate.fmt(DATUM_CHOICES, _datum_label),
                key=appstate.choice_key("plot_datum"),
            )
        # kept as plain values: this page's classes are defined anew on every run
        if upload is not None:
            data = upload.getvalue()
            old = ss.get("plot_file")
            if not (isinstance(old, tuple) and old[0] == upload.name and old[1] == data):
                ss["plot_file"] = (upload.name, data, hashlib.sha256(data).hexdigest())
        elif alive and not switched:
            ss.pop("plot_file", None)  # removed by the user
        stored = ss.get("plot_file")
        if not isinstance(stored, tuple):
            return None
        kept = _Input(stored[1], stored[0], crs or "", stored[2], datum=datum or "wgs84")
        if upload is None:
            c1.caption(plain(tr(f"已载入：{kept.filename}", f"Loaded: {kept.filename}")))
            if c1.button(tr("清除", "Clear"), key="plot_clear"):
                ss.pop("plot_file", None)
                st.rerun()
        return kept
    drawn = _drawn_map()
    if drawn is not None:
        ss["plot_drawn"] = json.dumps(drawn, sort_keys=True).encode("utf-8")
    elif not switched:
        ss.pop("plot_drawn", None)
    stored = ss.get("plot_drawn")
    if not isinstance(stored, bytes):
        st.caption(tr("用左侧工具栏绘制多边形。", "Draw a polygon with the toolbar on the left."))
        return None
    return _Input.of(stored, "drawn.geojson", "EPSG:4326", drawn=True)


@st.cache_resource(show_spinner=False, max_entries=16)
def _parsed(digest: str, filename: str, crs: str, datum: str, _data: bytes) -> Any:
    """The plots of a file (``PlotImport``), or the ``WzgeoError`` that reading gave; read
    once per file content (``digest``), name, CRS and lon/lat-source choice (shared,
    read-only)."""
    try:
        return plotio.read_plots(_data, filename=filename, crs=crs or None, datum=datum)
    except WzgeoError as e:
        return e.with_traceback(None)  # its frames would keep the file's bytes in the cache


@st.cache_resource(show_spinner=False, max_entries=16)
def _checked(
    digest: str,
    filename: str,
    crs: str,
    datum: str,
    sector_id: str | None,
    project_id: str | None,
    data_dir: str,
    revision: tuple[str, int],
    land_revision: tuple[tuple[str, str], ...],
    _imported: Any,
) -> Any:
    """The check of parsed plots (``PlotCheck``) or the ``WzgeoError`` it gave; once per file,
    CRS, target and data (folder and saved-work revision)."""
    tables = appstate.plan_tables()
    try:
        return plotcheck.check_plots(
            _imported.plots,
            zones_geo=appstate.geometry().zones_geo,
            zones=tables.zones,
            projects=tables.projects,
            sectors=tables.sectors,
            fit=appstate.fit_table(),
            rules=appstate.rules_table(),
            sector_id=sector_id,
            project_id=project_id,
            land_layers=_land_layers.land_layers_or_none(),
        )
    except WzgeoError as e:
        return e


def _choose_target(tables: appstate.PlanTables) -> dict[str, str | None]:
    id_names = appstate.names(tables)
    c1, c2 = st.columns([1, 2])
    with c1:
        mode = _choice(
            st.radio,
            tr("核查依据", "Check against"),
            ("sector", "project"),
            name="mode",
            format_func=appstate.fmt(
                ("sector", "project"),
                lambda v: tr("产业", "A sector") if v == "sector" else tr("项目", "A project"),
            ),
            horizontal=True,
        )
    if mode == "sector":
        options = tables.sectors["sector_id"].tolist() if tables.sectors is not None else []
        with c2:
            sid = _choice(
                st.selectbox,
                tr("产业", "Sector"),
                options,
                name="sector",
                format_func=appstate.fmt(options, lambda v: id_names.get(v, v)),
            )
        return {"sector_id": sid, "project_id": None}
    assert tables.projects is not None
    pnames = dict(zip(tables.projects["project_id"], tables.projects["name_zh"], strict=True))
    pids = list(pnames)
    with c2:
        pid = _choice(
            st.selectbox,
            tr("项目", "Project"),
            pids,
            name="project",
            format_func=appstate.fmt(pids, lambda p: f"{p} {pnames.get(p, '')}"),
        )
    return {"sector_id": None, "project_id": pid}


# --------------------------------------------------------------------------------------------
# tables as users read them


#: plot table columns in the order shown (others are not shown: the same fact is in another
#: column, in the answer or in the notice above the table)
_PLOT_COLUMNS = (
    "plot_id",
    "plot_name",
    "area_mu",
    "area_ha",
    "zone",
    "zone_share_pct",
    "in_zones_pct",
    "zones_overlapped",
    "fit_grade",
    "fit_reason_zh",
    "fit_reason_en",
    "nearest_fitting_zone_id",
    "distance_to_fitting_zone_m",
    "zone_geometry_quality",
    "n_overlapping_plots",
    "overlapping_plots",
    "geometry_repaired",
    "site_area_mu",
    "project_land_need_mu",
    "site_vs_need_pct",
    "intensity_yi_per_km2",
    "intensity_wan_per_mu",
    "indicators_pass",
    "indicators_fail",
    "indicators_unknown",
)
#: report columns not shown in a language (each language shows its own reasons)
_HIDDEN = {
    "zh": ("zone_name_zh", "fit_reason_en", "reason_en", "area_m2", "geometry_note"),
    "en": ("zone_name_zh", "fit_reason_zh", "reason_zh", "area_m2", "geometry_note"),
}


def report_table(df: Any) -> Any:
    """A report table as users read it: zone names, labels, one language, labelled headers."""
    frame = pd.DataFrame(df).drop(columns=["geometry"], errors="ignore")
    if "zone_id" in frame.columns:
        names = appstate.names(appstate.plan_tables())  # once: not per row (10,000 plots)
        zone = frame["zone_id"].astype("string")
        frame = frame.assign(zone_id=zone.map(names).fillna(zone).astype(object))
        frame = frame.rename(columns={"zone_id": "zone"})
    frame = frame.drop(columns=list(_HIDDEN[appstate.lang()]), errors="ignore")
    if "in_zones_pct" in frame.columns:  # the plot table (not the land-use composition)
        frame = frame[[c for c in _PLOT_COLUMNS if c in frame.columns]]
    return appstate.col_labels(_present(frame))


def _present(frame: pd.DataFrame) -> pd.DataFrame:
    """``_common.present(frame)``, computed on each column's distinct values only (the same
    labels; 10,000 plots have a handful of zones, grades and notes, and presenting cell by
    cell takes seconds)."""
    out: dict[str, Any] = {}
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[str(c)] = col
            continue
        values = col.astype(object)
        present = values.notna()
        distinct = pd.unique(values[present])
        shown = _common.present(pd.DataFrame({c: pd.Series(distinct, dtype=object)}))
        mapping = dict(zip(distinct, shown.iloc[:, 0], strict=True))
        out[str(shown.columns[0])] = values.where(~present, values.map(mapping))
    return pd.DataFrame(out, index=frame.index)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """``_common.as_text(df)`` column by column ("—" for missing values, numbers to 0.01,
    yes/no in the page's language), without a session lookup per cell."""
    missing = _common.MISSING
    yes, no = tr("是", "yes"), tr("否", "no")

    def number(v: Any) -> str:
        if v is None or v is pd.NA or v != v:
            return missing
        if isinstance(v, float):
            return f"{v:,.2f}".rstrip("0").rstrip(".")
        return str(v)

    out: dict[str, Any] = {}
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_bool_dtype(col):
            out[str(c)] = [yes if bool(v) else no for v in col]
        elif pd.api.types.is_numeric_dtype(col):
            out[str(c)] = [number(v) for v in col.astype(object)]
        else:
            out[str(c)] = [
                missing
                if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                else (yes if v is True else no if v is False else str(v))
                for v in col.astype(object)
            ]
    return pd.DataFrame(out, index=df.index)


_RULE = re.compile(r"\s*([^:;]+):\s*(>=|<=|>|<|==)\s*([-0-9.eE]+)\s*")
_CMP = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def _number(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def rule_text(thresholds: str, lang: str) -> str:
    """A rule string of :mod:`wzgeo.analysis.rules` as people write it:
    ``"*: >= 0.6; 33: >= 0.7"`` → ``"≥ 0.6（所有行业）；≥ 0.7（行业代码 33）"``."""
    rules = [m.groups() for part in str(thresholds).split(";") if (m := _RULE.fullmatch(part))]
    if not rules:
        return str(thresholds or "")
    out = []
    for code, cmp, value in rules:
        text = f"{_CMP[cmp]} {_number(float(value))}"
        if len(rules) > 1 or code.strip() != "*":
            which = (
                labels.label("ui.all_industries", lang)
                if code.strip() == "*"
                else (
                    f"行业代码 {code.strip()}" if lang == "zh" else f"industry code {code.strip()}"
                )
            )
            text += f"（{which}）" if lang == "zh" else f" ({which})"
        out.append(text)
    return ("；" if lang == "zh" else "; ").join(out)


def indicator_table(ind: pd.DataFrame) -> pd.DataFrame:
    """The control indicators as users read them: names, editions, units and rules in words
    (no ``plot_ratio``, ``plan_2025``, ``wan_per_mu`` or ``*: >= 0.6``)."""
    lang = appstate.lang()
    out = pd.DataFrame()
    if ind.empty:
        return out
    out["indicator"] = [labels.value_label("indicator", v, lang) for v in ind["indicator"]]
    out["edition"] = [
        labels.value_label("edition", v, lang) if str(v) else "—" for v in ind["edition"]
    ]
    out["value"] = pd.to_numeric(ind["value"], errors="coerce").to_numpy()
    out["unit"] = [labels.value_label("unit", v, lang) for v in ind["unit"]]
    req = [rule_text(t, lang) if str(t) else "—" for t in ind["thresholds"]]
    out["requirement"] = req
    out["result"] = [labels.value_label("result", v, lang) for v in ind["result"]]
    reasons = ind["reason_en" if lang == "en" else "reason_zh"].astype(str).tolist()
    out["reason"] = [
        r.replace(str(t), q) if str(t) else r
        for r, t, q in zip(reasons, ind["thresholds"], req, strict=True)
    ]
    out["source"] = ind["source"].astype(str).replace("", "—").to_numpy()
    return appstate.col_labels(out)


# --------------------------------------------------------------------------------------------
# reports


def report_html(check: Any, *, title: str, filename: str, project_name: str | None = None) -> str:
    """A standalone HTML report (no scripts, no external resources); every value escaped.

    The answer (one sentence per plot) leads it, then the notes, then the tables.
    """

    def table(df: Any) -> str:
        return str(_as_text(df).to_html(index=False, escape=True))

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
    parts += [f"<h2>{html.escape(tr('地块', 'Plots'))}</h2>", table(report_table(check.table))]
    if len(check.zone_overlaps):
        parts += [f"<h2>{html.escape(tr('与园区的重叠', 'Overlap with zones'))}</h2>"]
        parts.append(table(report_table(check.zone_overlaps)))
    if len(check.indicators):
        parts += [f"<h2>{html.escape(tr('控制指标', 'Control indicators'))}</h2>"]
        parts.append(table(indicator_table(check.indicators)))
    land = _land_layers.land_tables(check, appstate.lang())
    if "red" in land:
        parts += [f"<h2>{html.escape(tr('三区三线', 'Red lines'))}</h2>"]
        parts += [table(report_table(land["red"])), table(report_table(land["classes"]))]
    if "composition" in land:
        parts += [f"<h2>{html.escape(tr('用地用海构成', 'Land-use composition'))}</h2>"]
        parts.append(table(report_table(land["composition"])))
    parts.append("</body></html>")
    return "\n".join(parts)


def report_json(check: Any, imported: Any) -> str:
    """The JSON report (led by the answers), with how the file was read."""
    report = check.to_dict()
    report["source_crs"] = str(getattr(imported, "source_crs", "") or "")
    report["import_warnings"] = [str(w) for w in getattr(imported, "warnings", ()) or ()]
    return json.dumps(report, ensure_ascii=False, indent=2, default=str)


# --------------------------------------------------------------------------------------------
# the page


def _notice(imported: Any, check: Any, drawn: bool) -> None:
    """One notice with what applies to the whole check; import warnings in one box."""
    lines = []
    # a drawn plot is in WGS84 by construction: no CRS line ("specified by the user") then
    if getattr(imported, "crs_reason_zh", None) and not drawn:
        lines.append(
            tr(
                f"坐标系：{imported.source_crs}（{imported.crs_reason_zh}）",
                f"CRS: {imported.source_crs} ({imported.crs_reason_en})",
            )
        )
    for zh, en in zip(check.notes_zh, check.notes_en, strict=True):
        lines.append(_common.with_zone_names(tr(zh, en)))
    if lines:
        st.info("\n".join(f"- {plain(line)}" for line in lines), icon=":material/info:")
    warnings = list(dict.fromkeys(str(w) for w in getattr(imported, "warnings", ()) or ()))
    if warnings:
        st.warning("\n".join(f"- {plain(w)}" for w in warnings), icon=":material/warning:")


def _answer(check: Any) -> None:
    """The answer: one sentence per plot (the first ones), as page text."""
    lang = appstate.lang()
    n = len(check.table)
    if n > 1:
        st.markdown(f"**{plain(summary_sentence(check, lang=lang))}**")
    for sentence in check.answers(lang=lang, limit=SHOWN_ANSWERS):
        st.markdown(plain(sentence) if n > 1 else f"**{plain(sentence)}**")
    if n > SHOWN_ANSWERS:
        st.caption(
            tr(
                f"其余 {n - SHOWN_ANSWERS:,} 个地块的结论见下表和下载的报告。",
                f"The other {n - SHOWN_ANSWERS:,} plots: see the table below and the report.",
            )
        )


def _table(df: pd.DataFrame, *, key: str) -> None:
    """A table as text ("—" for missing values, numbers to 0.01): ``st.dataframe`` of the
    text itself, not a Styler (whose per-cell styles take seconds for 10,000 plots)."""
    st.dataframe(_as_text(df), hide_index=True, key=key)


def _plot_table(check: Any, run: tuple[Any, ...]) -> None:
    """The plot table (first :data:`SHOWN_ROWS` rows) as text, made once per check and
    language and kept in the session (≈ 1 s for 1,000 rows on a busy machine)."""
    ss = st.session_state
    key = (*run, appstate.lang())
    kept = ss.get("plot_table_text")
    if not isinstance(kept, dict):
        kept = {}
    if key not in kept:
        if len(kept) >= 4:
            kept.pop(next(iter(kept)))
        table = _land_layers.without_land(check.table.iloc[:SHOWN_ROWS])
        kept[key] = _as_text(report_table(table))
        ss["plot_table_text"] = kept
    st.dataframe(kept[key], hide_index=True, key="plot_report")


def render() -> None:
    st.title(tr("地块核查", "Plot check"))
    switched = _language_switched()
    tables = _common.require_tables("zones", "projects", "sectors")
    if tables is None:
        return
    target = _choose_target(tables)
    given = _input(switched)
    if given is None:
        return
    imported = _parsed(given.digest, given.filename, given.crs, given.datum, given.data)
    if isinstance(imported, WzgeoError):
        appstate.show_error(imported)
        return
    run = (
        given.digest,
        given.filename,
        given.crs,
        given.datum,
        target["sector_id"],
        target["project_id"],
        str(geodata_dir()),
        appstate.store_revision(),
        _land_layers.revision(),
    )
    check = _checked(*run, imported)
    if isinstance(check, WzgeoError):
        appstate.show_error(check)
        return
    st.subheader(tr("核查结论", "Answer"))
    _answer(check)
    _notice(imported, check, given.drawn)
    st.subheader(tr("核查报告", "Report"))
    n = len(check.table)
    _plot_table(check, run)
    if n > SHOWN_ROWS:
        st.caption(
            tr(
                f"表中为前 {SHOWN_ROWS:,} 个地块（共 {n:,} 个）；全部地块见下载的报告。",
                f"The first {SHOWN_ROWS:,} of {n:,} plots; the report has all of them.",
            )
        )
    if len(check.indicators):
        st.markdown("**" + tr("控制指标", "Control indicators") + "**")
        _table(indicator_table(check.indicators), key="plot_indicators")
    _land_layers.show_land_tables(check, report_table)
    if len(check.zone_overlaps) and (check.table["n_zones"] > 1).any():
        with st.expander(tr("与园区的重叠（明细）", "Overlap with zones (detail)")):
            _table(report_table(check.zone_overlaps.iloc[:SHOWN_ROWS]), key="plot_overlaps")
    _plot_on_map(given, imported.plots)
    _downloads(check, imported, given, _project_name(tables, target.get("project_id")), run)
    pid = target.get("project_id")
    basis = f"{pid} {_project_name(tables, pid) or ''}".strip() if pid else None
    _print_downloads.report_section(check, imported, data=given.data, key=run, basis=basis)
    # the map in the other language, made now (once per file) so that a language switch
    # finds it ready: rendering a map is the slowest part of this page
    other = "en" if appstate.lang() == "zh" else "zh"
    _result_map_html(
        given.digest,
        given.crs,
        given.datum,
        other,
        str(geodata_dir()),
        appstate.store_revision(),
        _land_layers.revision(),
        imported.plots,
    )


def _downloads(
    check: Any, imported: Any, given: _Input, project_name: str | None, run: tuple[Any, ...]
) -> None:
    """HTML and JSON report downloads (built once per check and language, kept in the
    session: a rerun does not rebuild them)."""
    title = tr("地块核查报告", "Plot check report")
    ss = st.session_state
    key = (*run, appstate.lang())
    cached = ss.get("plot_reports")
    if not (isinstance(cached, tuple) and cached[0] == key):
        n = len(check.table)
        if n > EAGER_REPORT_PLOTS and not st.button(
            tr(f"生成报告（{n:,} 个地块）", f"Prepare the report ({n:,} plots)"),
            key="plot_prepare_report",
        ):
            return
        html_bytes = report_html(
            check, title=title, filename=given.filename, project_name=project_name
        ).encode("utf-8")
        cached = (key, html_bytes, report_json(check, imported).encode("utf-8"))
        ss["plot_reports"] = cached
    stem = re.sub(r"[^\w.-]+", "_", given.filename.rsplit(".", 1)[0]) or "plot"
    name = tr("地块核查", "plot_check")
    c1, c2 = st.columns(2)
    c1.download_button(
        tr("下载报告 HTML", "Download report (HTML)"),
        data=cached[1],
        file_name=f"{name}_{stem}.html",
        mime="text/html",
        key="plot_dl_html",
        on_click="ignore",
    )
    c2.download_button(
        tr("下载报告 JSON", "Download report (JSON)"),
        data=cached[2],
        file_name=f"{name}_{stem}.json",
        mime="application/json",
        key="plot_dl_json",
        on_click="ignore",
    )


def _project_name(tables: appstate.PlanTables, project_id: str | None) -> str | None:
    if project_id is None or tables.projects is None:
        return None
    rows = tables.projects.loc[tables.projects["project_id"] == project_id, "name_zh"]
    return str(rows.iloc[0]) if len(rows) else None


@st.cache_resource(show_spinner=False, max_entries=16)
def _near_of(digest: str, crs: str, datum: str, _plots: Any) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in _plots.geometry.to_crs("EPSG:4545").total_bounds)
    return x0, y0, x1, y1


def _near(given: _Input, plots: Any) -> tuple[float, float, float, float]:
    """The plots' bounds in EPSG:4545 (the neighbourhood the land layers are drawn in), once
    per file and options (projecting 10,000 plots on every rerun would cost ≈ 0.1 s)."""
    return _near_of(given.digest, given.crs, given.datum, plots)


@st.cache_resource(show_spinner=False, max_entries=16)
def _result_map_html(
    digest: str,
    crs: str,
    datum: str,
    lang: str,
    data_dir: str,
    revision: tuple[str, int],
    land_revision: tuple[tuple[str, str], ...],
    _plots: Any,
) -> str | None:
    """The zones with the checked plots on top, zoomed to the plots, as one self-contained
    HTML page (no request leaves it); built once per file, options, language and data.

    The imported land-use and red-line layers are drawn beneath the plots in their standard
    colours and symbols, with their legends, cut to the plots' bounds plus
    :data:`LAND_MARGIN_M` (a district-size layer is not sent whole); nothing when none is
    imported.

    A display-only map: rendering a folium map costs ≈ 1 s (branca compiles a template per
    element on every render), so the page keeps the rendered HTML instead of handing a new
    map to streamlit-folium on every rerun.
    """
    import folium

    fmap = _zones_map(lang)
    if fmap is None:
        return None
    # the map's own notice box says what the page's notice above already says: once is enough
    # and an empty layer (the projects, not drawn here) would only be a stray layer switch
    for key, child in list(fmap._children.items()):
        if "wz-banner" in str(getattr(child, "css_class", "")) or (
            isinstance(child, folium.FeatureGroup) and not child._children
        ):
            del fmap._children[key]
    if land_revision:
        for group in _land_layers.map_land_groups(
            lang=lang,
            gcj02=False,
            near=_near_of(digest, crs, datum, _plots),
            margin_m=LAND_MARGIN_M,
        ):
            _add_before_controls(fmap, group)
    shapes = _plots[["geometry"]].iloc[:MAP_PLOTS].to_crs("EPSG:4326")
    layer = folium.GeoJson(
        shapes.__geo_interface__,
        name=labels.label("ui.checked_plots", lang),
        style_function=lambda _f: {"color": "#d00", "weight": 3, "fillOpacity": 0.3},
    )
    _add_before_controls(fmap, layer)
    bounds = _plots.geometry.to_crs("EPSG:4326").total_bounds
    if len(_plots) > MAP_PLOTS:  # where all the plots are, when only some are drawn
        folium.Rectangle(
            [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
            color="#d00",
            weight=1,
            dash_array="4 4",
            fill=False,
        ).add_to(fmap)
    # zoom 14 at most: a small plot with the outline of the zone it lies in around it; with
    # land layers drawn, zoom 16: what the plot overlaps (farmland, classes) must be legible
    max_zoom = 16 if land_revision else 14
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], max_zoom=max_zoom)
    return offline.offline_html(fmap)


def _plot_on_map(given: _Input, plots: Any) -> None:
    st.markdown("**" + tr("地块位置", "Where the plots are") + "**")
    land_revision = _land_layers.revision()
    if land_revision:
        km = f"{LAND_MARGIN_M / 1000:g}"
        st.caption(
            tr(
                f"已导入的用地用海与三区三线图层只显示地块周边 {km} km 范围内的部分。",
                f"The imported land-use and red-line layers are shown within {km} km of the "
                "plots only.",
            )
        )
        crowded = _land_layers.too_many_near(_near(given, plots), LAND_MARGIN_M)
        if crowded:
            from wzgeo.analysis.landuse import KIND_LABELS

            which = [KIND_LABELS[k][1 if appstate.lang() == "en" else 0] for k in crowded]
            st.caption(
                tr(
                    f"地块周边的{'、'.join(which)}图斑过多，此图未绘制；请在“地图”页查看。",
                    f"Too many {', '.join(which)} features around the plots to draw them "
                    "here; see them on the Map page.",
                )
            )
    if len(plots) > MAP_PLOTS:
        st.caption(
            tr(
                f"地图显示前 {MAP_PLOTS:,} 个地块（共 {len(plots):,} 个），"
                "虚线框为全部地块的范围。",
                f"The map shows the first {MAP_PLOTS:,} of {len(plots):,} plots; the dashed "
                "box is the extent of all of them.",
            )
        )
    page = _result_map_html(
        given.digest,
        given.crs,
        given.datum,
        appstate.lang(),
        str(geodata_dir()),
        appstate.store_revision(),
        land_revision,
        plots,
    )
    if page is None:
        appstate.notice_missing("地图（边界数据）", "the map (boundary data)")
        return
    import streamlit.components.v1 as components

    # taller with the land layers: their legends need the room beside the zoom buttons
    components.html(page, height=MAP_HEIGHT_LAND if land_revision else MAP_HEIGHT)


if __name__ == "__main__":
    render()

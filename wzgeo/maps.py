"""Folium maps of the zones and key projects, with offline (inlined) Leaflet assets.

:func:`build_map` takes the plan tables and geometries as parameters (it loads nothing) and
returns a :class:`WzgeoMap` — a ``folium.Map`` that also carries :class:`MapNotes`: what could
not be drawn (zones without a location, projects without a zone) and explanations for the
user (schematic geometry, GCJ-02 shift, a missing Tianditu key).

Coordinates stay (lon, lat) in EPSG:4326 until the very edge, where folium needs [lat, lon].
With the Gaode basemap every vector layer is shifted to GCJ-02 by :func:`wzgeo.crs.to_gcj02`.

Every text that comes from data is HTML-escaped and then embedded in JavaScript as a JSON
string literal with ``<``, ``>`` and ``&`` escaped, so a name such as
``<img src=x onerror=alert(1)>``, a backtick or ``${...}`` shows as text.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template
from shapely.geometry import Point

from wzgeo._errors import CRSError, WzgeoError
from wzgeo.labels import label, value_label
from wzgeo.offline import offline_html, use_offline_assets

__all__ = [
    "BASEMAPS",
    "LEVEL_COLOURS",
    "SECTOR_COLOURS",
    "STAGE_ORDER",
    "MapNotes",
    "WzgeoMap",
    "build_map",
    "export_map_html",
    "filter_projects",
    "intensity_bins",
    "top_sector",
]

logger = logging.getLogger(__name__)

BASEMAPS: Final = ("osm", "gaode", "tianditu", "none")
STYLES: Final = ("level", "sector")
STAGE_ORDER: Final = ("planning", "tracking", "negotiating", "signed", "building", "operating")

LEVEL_COLOURS: Final[dict[str, str]] = {
    "national_etdz": "#3182bd",
    "municipal": "#e6550d",
    "sme_cluster": "#31a354",
}
SECTOR_COLOURS: Final[dict[str, str]] = {
    "new_materials": "#1f77b4",
    "food_pharma": "#2ca02c",
    "auto": "#d62728",
    "lighting": "#bcbd22",
    "equipment": "#9467bd",
    "electronics": "#17becf",
    "chemicals": "#8c564b",
    "stone_processing": "#7f7f7f",
    "printing_packaging": "#e377c2",
    "apparel": "#ff7f0e",
    "consumer_goods": "#c49c94",
    "agri_processing": "#98df8a",
}
_OTHER_COLOUR: Final = "#999999"
_DEFAULT_PARENTS: Final[dict[str, str]] = {
    "nm_copper": "new_materials",
    "nm_aluminium": "new_materials",
    "nm_building": "new_materials",
    "nm_synthetic": "new_materials",
    "food": "food_pharma",
    "pharma": "food_pharma",
}
# diverging (ColorBrewer RdBu 6): below target red, above target blue
_INTENSITY_COLOURS: Final = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
_INTENSITY_RATIOS: Final = (0.5, 0.8, 1.0, 1.25, 2.0)
# one character per stage, shown inside the project marker
_STAGE_MARK: Final[dict[str, tuple[str, str]]] = {
    "planning": ("谋", "P"),
    "tracking": ("跟", "T"),
    "negotiating": ("洽", "N"),
    "signed": ("签", "S"),
    "building": ("建", "B"),
    "operating": ("产", "O"),
}
_SCHEMATIC_DASH: Final = "8 6"
_QUALITIES: Final = ("official", "schematic")
_HIGHLIGHT_COLOUR: Final = "#ff00ff"
_TIANDITU_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class MapNotes:
    """What a map could not draw and what the user must be told.

    Attributes
    ----------
    basemap
        The basemap actually shown (``"none"`` when Tianditu was asked for without a key).
    messages
        ``(kind, zh, en)`` tuples, kind ``"warning"`` or ``"info"``; show them beside the map.
    zones_not_located
        ``zone_id``, ``name`` of zones without geometry (not drawn).
    projects_unplaced
        ``project_id``, ``name``, ``zone_id``, ``reason`` of projects not drawn.
    schematic
        True when at least one drawn zone is schematic.
    gcj02
        True when vector data were shifted to GCJ-02.
    """

    basemap: str
    messages: tuple[tuple[str, str, str], ...] = ()
    zones_not_located: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects_unplaced: pd.DataFrame = field(default_factory=pd.DataFrame)
    schematic: bool = False
    gcj02: bool = False

    def texts(self, lang: str = "zh") -> list[tuple[str, str]]:
        """Messages as ``(kind, text)`` in one language."""
        return [(kind, en if lang == "en" else zh) for kind, zh, en in self.messages]


class WzgeoMap(folium.Map):
    """A ``folium.Map`` that also carries the :class:`MapNotes` of how it was built."""

    notes: MapNotes


# --------------------------------------------------------------------------------------------
# small helpers


def _js(value: str) -> str:
    """A JSON string literal safe inside ``<script>`` (no ``<``, ``>``, ``&`` characters)."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _num(value: object, unit_key: str, lang: str, *, digits: int = 2) -> str:
    if _missing(value):
        return label("ui.unknown", lang)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _esc(value)
    text = f"{number:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{number:,.0f}"
    return f"{text} {label(unit_key, lang)}"


class _BindContent(MacroElement):
    """Bind an escaped HTML tooltip or popup to the parent layer."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bind{{ this.kind }}({{ this.content }}, "
        "{{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str, *, kind: str, options: Mapping[str, Any] | None = None):
        super().__init__()
        self._name = "BindContent"
        self.kind = kind
        self.content = _js(html_text)
        self.options = json.dumps(dict(options or {}))


class _Control(MacroElement):
    """A Leaflet control showing a block of (already escaped) HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var c=L.control({position:{{ this.position }}});"
        "c.onAdd=function(){var d=L.DomUtil.create('div',{{ this.css_class }});"
        "d.innerHTML={{ this.content }};L.DomEvent.disableClickPropagation(d);"
        "L.DomEvent.disableScrollPropagation(d);return d;};"
        "c.addTo({{ this._parent.get_name() }});})();"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str, *, position: str, css_class: str):
        super().__init__()
        self._name = "Control"
        self.position = _js(position)
        self.css_class = _js(css_class)
        self.content = _js(html_text)


class _Css(MacroElement):
    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
    )

    def __init__(self, css: str):
        super().__init__()
        self._name = "Css"
        self.css = css


_CSS: Final = """
.wz-box{background:rgba(255,255,255,.93);padding:6px 9px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC",sans-serif;max-width:300px;max-height:70vh;overflow:auto;color:#222}
.wz-box summary{cursor:pointer;font-weight:bold}
.wz-box h4{margin:4px 0 2px;font-size:12px}
.wz-sw{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;
 border:1px solid #555}
.wz-dash{border:2px dashed #333;background:transparent}
.wz-banner{background:#fff4ce;border:1px solid #d9a400;max-width:45vw}
.wz-banner div{margin:2px 0}
.wz-target{font-weight:bold;border-top:2px solid #000;border-bottom:2px solid #000;
 margin:2px 0;padding:1px 0}
.wz-proj{border-radius:50%;border:2px solid #fff;box-shadow:0 0 2px #000;color:#fff;
 font:bold 11px/1 "Noto Sans CJK SC",sans-serif;display:flex;align-items:center;
 justify-content:center;box-sizing:border-box}
.wz-proj.wz-hl{border:3px solid #ff00ff}
.leaflet-div-icon.wz-proj-icon{background:transparent;border:none}
"""


# --------------------------------------------------------------------------------------------
# inputs


def _require_gdf(gdf: object, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise WzgeoError(
            f"参数 {name} 应为 GeoDataFrame，实际为 {type(gdf).__name__}。",
            f"Argument {name} must be a GeoDataFrame, got {type(gdf).__name__}.",
        )
    if gdf.crs is None:
        raise CRSError(
            f"{name} 没有坐标系（CRS）；请设置为 EPSG:4326 后再绘图。",
            f"{name} has no CRS; set it (EPSG:4326) before mapping.",
        )
    if gdf.crs.to_epsg() != 4326:
        logger.info("reprojecting %s from %s to EPSG:4326", name, gdf.crs)
        return gdf.to_crs(4326)
    return gdf


def _require_columns(df: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise WzgeoError(
            f"{name} 缺少列：{', '.join(missing)}。",
            f"{name} lacks columns: {', '.join(missing)}.",
        )


def top_sector(sector_id: object, parents: Mapping[str, str] | None = None) -> str | None:
    """The top-level sector of a sector id (``nm_copper`` → ``new_materials``)."""
    if _missing(sector_id):
        return None
    sid = str(sector_id)
    table = dict(_DEFAULT_PARENTS) if parents is None else dict(parents)
    seen = set()
    while sid in table and table[sid] and sid not in seen:
        seen.add(sid)
        sid = table[sid]
    return sid


def _parents(sectors: pd.DataFrame | None) -> dict[str, str]:
    if sectors is None:
        return dict(_DEFAULT_PARENTS)
    _require_columns(sectors, "sectors", ("sector_id", "parent_id"))
    return {
        str(r.sector_id): str(r.parent_id)
        for r in sectors.itertuples()
        if not _missing(r.parent_id)
    }


def filter_projects(
    projects: pd.DataFrame,
    *,
    sector: str | None = None,
    stage: str | None = None,
    zone: str | None = None,
    sectors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Projects of a sector (or any of its sub-sectors), a stage and/or a zone.

    Parameters
    ----------
    projects
        Table with ``sector_id``, ``stage``, ``zone_id``.
    sector, stage, zone
        Filters; ``None`` keeps all.
    sectors
        Sector table with ``sector_id``, ``parent_id`` (defaults to the built-in hierarchy).

    Returns
    -------
    pandas.DataFrame
        A filtered copy.
    """
    mask = pd.Series(True, index=projects.index)
    if sector:
        parents = _parents(sectors)

        def in_sector(sid: object) -> bool:
            s = None if _missing(sid) else str(sid)
            seen: set[str] = set()
            while s is not None and s not in seen:
                if s == sector:
                    return True
                seen.add(s)
                s = parents.get(s)
            return False

        mask &= projects["sector_id"].map(in_sector).astype(bool)
    if stage:
        if stage not in STAGE_ORDER:
            raise WzgeoError(
                f"未知的项目阶段 {stage!r}，可用：{', '.join(STAGE_ORDER)}。",
                f"Unknown stage {stage!r}; use one of {', '.join(STAGE_ORDER)}.",
            )
        mask &= projects["stage"] == stage
    if zone:
        mask &= projects["zone_id"].astype("string").fillna("") == zone
    return projects.loc[mask].copy()


def intensity_bins(target_yi_per_km2: float) -> list[tuple[float, float, str]]:
    """Class limits and colours of the output-per-km² choropleth, diverging at the target.

    Returns
    -------
    list of (low, high, colour)
        Six classes; the target is the boundary between the third and the fourth.
    """
    if not target_yi_per_km2 > 0:
        raise WzgeoError(
            f"目标地均产出必须为正数，实际为 {target_yi_per_km2!r}。",
            f"The target output per km² must be positive, got {target_yi_per_km2!r}.",
        )
    edges = [0.0, *(r * target_yi_per_km2 for r in _INTENSITY_RATIOS), math.inf]
    return [(edges[i], edges[i + 1], _INTENSITY_COLOURS[i]) for i in range(6)]


def _intensity_colour(value: object, bins: list[tuple[float, float, str]]) -> str | None:
    if _missing(value):
        return None
    v = float(value)  # type: ignore[arg-type]
    for low, high, colour in bins:
        if low <= v < high:
            return colour
    return bins[-1][2]


# --------------------------------------------------------------------------------------------
# the map


def _to_display(gdf: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    if not gcj02 or gdf.empty:
        return gdf
    from wzgeo import crs  # the one place that knows GCJ-02

    return crs.to_gcj02(gdf)


def _zone_name(row: Mapping[str, Any], lang: str) -> str:
    if lang == "en" and not _missing(row.get("name_en")):
        return str(row["name_en"])
    if not _missing(row.get("name_zh")):
        return str(row["name_zh"])
    return str(row["zone_id"])


def _basemap(m: folium.Map, basemap: str, tianditu_key: str | None) -> None:
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=label("basemap.osm", "zh"), control=False).add_to(m)
    elif basemap == "gaode":
        import xyzservices.providers as xyz

        provider = xyz.Gaode.Normal
        folium.TileLayer(
            tiles=provider.build_url(),
            attr=provider.html_attribution,
            name="Gaode",
            max_zoom=provider.get("max_zoom", 18),
            control=False,
        ).add_to(m)
    elif basemap == "tianditu":
        for layer in ("vec", "cva"):
            url = (
                f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tianditu_key}"
            )
            folium.TileLayer(
                tiles=url,
                attr="&copy; 天地图 Tianditu",
                name=f"Tianditu {layer}",
                subdomains="01234567",
                max_zoom=18,
                control=False,
            ).add_to(m)


def build_map(
    *,
    district: gpd.GeoDataFrame,
    zones_geo: gpd.GeoDataFrame,
    zones: pd.DataFrame,
    projects: pd.DataFrame | None = None,
    intensity: pd.DataFrame | None = None,
    river: gpd.GeoDataFrame | None = None,
    sectors: pd.DataFrame | None = None,
    style: str = "level",
    target_yi_per_km2: float = 50.0,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    lang: str = "zh",
    highlight: str | Iterable[str] | None = None,
    show_intensity: bool = False,
    height: str | int = "100%",
) -> WzgeoMap:
    """Build the zones-and-projects map.

    Parameters
    ----------
    district
        District boundary (polygon), any CRS.
    zones_geo
        Zone geometry with ``zone_id``, ``geometry_quality`` (schematic|official|not_located);
        ``None`` geometry where a zone is not located.
    zones
        Zone table with ``zone_id``, ``name_zh``, ``level``; optional ``name_en``,
        ``planned_land_km2``, ``sector_ids`` (``;``-separated), ``sectors_zh``.
    projects
        Project table with ``project_id``, ``name_zh``, ``sector_id``, ``stage``,
        ``output_yi``, ``zone_id`` (the zone to place the project in: from the plan, suggested
        or assigned); optional ``location_label`` (plan|suggested|assigned), ``land_mu``,
        ``floor_m2``, ``investment_yi``. A GeoDataFrame's point geometries, where present, are
        used as they are.
    intensity
        Optional ``zone_id``, ``intensity_yi_per_km2``: drawn as a choropleth diverging at the
        target.
    river
        Optional river lines.
    sectors
        Optional sector table (``sector_id``, ``parent_id``) for colouring by top-level sector.
    style
        Zone fill: ``"level"`` or ``"sector"`` (first focus sector).
    target_yi_per_km2
        Output-per-km² target (50 for 2025, 70 for 2035), marked in the legend.
    basemap
        ``"osm"``, ``"gaode"`` (vector data shifted to GCJ-02), ``"tianditu"`` (needs
        ``tianditu_key``; without one no basemap is added and a message says why) or ``"none"``.
    tianditu_key
        Tianditu ``tk`` key.
    lang
        ``"zh"`` or ``"en"``.
    highlight
        Zone ids and/or project ids to emphasise (outlined in magenta, not clustered).
    show_intensity
        Show the choropleth (instead of the zone styling) when the map opens.
    height
        Map height (CSS), passed to folium.

    Returns
    -------
    WzgeoMap
        The map with offline assets; ``.notes`` tells what was not drawn and why.
    """
    if style not in STYLES:
        raise WzgeoError(
            f"未知的园区样式 {style!r}，可用：{', '.join(STYLES)}。",
            f"Unknown zone style {style!r}; use one of {', '.join(STYLES)}.",
        )
    if basemap not in BASEMAPS:
        raise WzgeoError(
            f"未知的底图 {basemap!r}，可用：{', '.join(BASEMAPS)}。",
            f"Unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}.",
        )
    label("zone_id", lang)  # validates lang
    bins = intensity_bins(target_yi_per_km2)
    district = _require_gdf(district, "district")
    zones_geo = _require_gdf(zones_geo, "zones_geo")
    _require_columns(zones_geo, "zones_geo", ("zone_id",))
    _require_columns(zones, "zones", ("zone_id", "name_zh", "level"))
    if projects is None:
        projects = pd.DataFrame(columns=["project_id", "name_zh", "sector_id", "zone_id"])
    _require_columns(projects, "projects", ("project_id", "name_zh", "sector_id", "zone_id"))
    if river is not None:
        river = _require_gdf(river, "river")
    parents = _parents(sectors)
    hl = {highlight} if isinstance(highlight, str) else set(highlight or ())

    messages: list[tuple[str, str, str]] = []
    if basemap == "tianditu":
        if not tianditu_key:
            messages.append(
                ("warning", label("ui.tianditu_no_key", "zh"), label("ui.tianditu_no_key", "en"))
            )
            basemap = "none"
        elif not _TIANDITU_KEY.match(tianditu_key):
            raise WzgeoError(
                "天地图密钥格式不对：应为 8–64 位字母或数字。",
                "The Tianditu key looks wrong: it must be 8–64 letters or digits.",
            )
    gcj02 = basemap == "gaode"
    if gcj02:
        messages.append(("info", label("ui.gcj02_note", "zh"), label("ui.gcj02_note", "en")))

    merged, located, not_located = _split_zones(zones, zones_geo, lang)
    schematic = bool((located["geometry_quality"] == "schematic").any())
    if schematic:
        messages.append(
            ("warning", label("ui.schematic_banner", "zh"), label("ui.schematic_banner", "en"))
        )
    if not not_located.empty:
        unlocated = merged[~merged["zone_id"].isin(located["zone_id"])]
        names_zh = "、".join(_zone_name(r, "zh") for _, r in unlocated.iterrows())
        names_en = ", ".join(_zone_name(r, "en") for _, r in unlocated.iterrows())
        messages.append(
            (
                "warning",
                f"{label('ui.not_located', 'zh')}：{names_zh}",
                f"{label('ui.not_located', 'en')}: {names_en}",
            )
        )
    placed, unplaced = _place_projects(projects, located, lang)
    if not unplaced.empty:
        messages.append(
            (
                "info",
                f"{label('ui.projects_unplaced', 'zh')}：{len(unplaced)} 个",
                f"{label('ui.projects_unplaced', 'en')}: {len(unplaced)}",
            )
        )

    # display coordinates: GCJ-02 on Gaode tiles
    district_d = _to_display(district, gcj02)
    located_d = _to_display(located, gcj02)
    placed_d = _to_display(placed, gcj02)
    river_d = _to_display(river, gcj02) if river is not None else None

    m = WzgeoMap(tiles=None, control_scale=True, height=height, maxZoom=18, minZoom=6)
    m.add_child(_Css(_CSS))
    _basemap(m, basemap, tianditu_key)
    _fit_view(m, district_d, located_d, placed_d, hl)
    _add_outline(m, district_d, label("ui.district", lang), colour="#333", weight=2.5)
    if river_d is not None and not river_d.empty:
        _add_outline(m, river_d, label("ui.river", lang), colour="#4a90d9", weight=3)
    used_zone_keys = _add_zone_layers(
        m,
        located_d,
        merged,
        intensity=intensity,
        style=style,
        parents=parents,
        bins=bins,
        target=target_yi_per_km2,
        highlight=hl,
        show_intensity=show_intensity,
        lang=lang,
    )
    used_proj_sectors = _add_project_layer(m, placed_d, parents=parents, highlight=hl, lang=lang)
    folium.LayerControl(collapsed=False).add_to(m)

    legend = _legend_html(
        style=style,
        used_zone_keys=used_zone_keys,
        used_proj_sectors=used_proj_sectors,
        bins=bins if intensity is not None else None,
        target=target_yi_per_km2,
        schematic=schematic,
        not_located=not_located,
        unplaced=unplaced,
        lang=lang,
    )
    m.add_child(_Control(legend, position="bottomright", css_class="wz-box wz-legend"))
    notes = MapNotes(
        basemap=basemap,
        messages=tuple(messages),
        zones_not_located=not_located,
        projects_unplaced=unplaced,
        schematic=schematic,
        gcj02=gcj02,
    )
    if notes.messages:
        banner = "".join(f"<div>{_esc(t)}</div>" for _kind, t in notes.texts(lang))
        m.add_child(_Control(banner, position="bottomleft", css_class="wz-box wz-banner"))
    m.notes = notes
    use_offline_assets(m)
    return m


def _split_zones(
    zones: pd.DataFrame, zones_geo: gpd.GeoDataFrame, lang: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Join the zone table (the master list) with geometry; split located / not located."""
    geo = zones_geo[
        ["zone_id", "geometry"]
        + [c for c in ("geometry_quality", "area_km2_measured") if c in zones_geo.columns]
    ]
    extra = sorted(set(geo["zone_id"]) - set(zones["zone_id"]))
    if extra:
        logger.debug("zone geometry without a (selected) zone row, not drawn: %s", extra)
    merged = gpd.GeoDataFrame(
        zones.merge(geo, on="zone_id", how="left"), geometry="geometry", crs=4326
    )
    if "geometry_quality" not in merged.columns:
        merged["geometry_quality"] = "official"
    mask = merged.geometry.notna() & ~merged.geometry.is_empty
    mask &= merged["geometry_quality"].astype("string").fillna("") != "not_located"
    not_located = pd.DataFrame(
        {
            "zone_id": merged.loc[~mask, "zone_id"].astype(str).tolist(),
            "name": [_zone_name(r, lang) for _, r in merged.loc[~mask].iterrows()],
        }
    )
    return merged, merged.loc[mask].copy(), not_located


def _place_projects(
    projects: pd.DataFrame, located: gpd.GeoDataFrame, lang: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Where each project is drawn: its own geometry, else its zone's representative point.

    Projects with neither are returned in the second frame with the reason, never drawn at an
    invented place.
    """
    rep_points = {str(r.zone_id): r.geometry.representative_point() for r in located.itertuples()}
    proj = projects.copy()
    if isinstance(proj, gpd.GeoDataFrame):
        proj = _require_gdf(proj, "projects")
        own_geom = proj.geometry
    else:
        own_geom = pd.Series([None] * len(proj), index=proj.index, dtype=object)
    points: list[Point | None] = []
    basis: list[str] = []
    unplaced_rows: list[dict[str, object]] = []
    for idx, r in proj.iterrows():
        zid = None if _missing(r["zone_id"]) else str(r["zone_id"])
        lab = None if _missing(r.get("location_label")) else str(r.get("location_label"))
        g = own_geom.get(idx)
        if g is not None and not getattr(g, "is_empty", True):
            points.append(g.representative_point())
            basis.append(lab or "plan")
        elif zid is not None and zid in rep_points:
            points.append(rep_points[zid])
            basis.append(lab or "plan")
        else:
            points.append(None)
            basis.append("unplaced")
            reason = (
                ("zone_not_located", "园区位置未知", "zone not located")
                if zid
                else ("no_zone", "无园区", "no zone")
            )
            unplaced_rows.append(
                {
                    "project_id": r["project_id"],
                    "name": r["name_zh"],
                    "zone_id": zid,
                    "reason": reason[0],
                    "reason_text": reason[1] if lang == "zh" else reason[2],
                }
            )
    placed = gpd.GeoDataFrame(
        pd.DataFrame(proj.drop(columns="geometry", errors="ignore")).assign(location_basis=basis),
        geometry=gpd.GeoSeries(points, index=proj.index, crs=4326),
    )
    unplaced = pd.DataFrame(
        unplaced_rows, columns=["project_id", "name", "zone_id", "reason", "reason_text"]
    )
    return placed.loc[placed.geometry.notna()], unplaced


def _fit_view(
    m: folium.Map,
    district: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    highlight: set[str],
) -> None:
    """Fit the view to the highlighted features, else to the district."""
    focus = pd.concat(
        [
            zones.loc[zones["zone_id"].astype(str).isin(highlight)].geometry,
            projects.loc[projects["project_id"].astype(str).isin(highlight)].geometry,
        ]
    )
    view = focus if len(focus) else district.geometry
    minx, miny, maxx, maxy = view.total_bounds
    if all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        pad = 0.01 if len(focus) else 0.0  # about 1 km around a highlighted feature
        m.fit_bounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]])  # [lat, lon]


def _add_outline(
    m: folium.Map, gdf: gpd.GeoDataFrame, name: str, *, colour: str, weight: float
) -> None:
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        gdf[["geometry"]].to_json(),
        style_function=lambda _f: {"color": colour, "weight": weight, "fill": False},
        interactive=False,
    ).add_to(group)
    group.add_to(m)


def _intensity_lookup(intensity: pd.DataFrame | None) -> dict[str, float | None]:
    if intensity is None:
        return {}
    _require_columns(intensity, "intensity", ("zone_id", "intensity_yi_per_km2"))
    values = intensity["intensity_yi_per_km2"].astype("Float64")
    if "n_land" in intensity.columns:
        # no project with land sited in the zone: no measurement, not an intensity of 0
        values = values.mask(intensity["n_land"].astype("Float64").fillna(0) == 0)
    return {
        str(z): (None if pd.isna(v) else float(v))
        for z, v in zip(intensity["zone_id"], values, strict=True)
    }


def _add_zone_layers(
    m: folium.Map,
    located: gpd.GeoDataFrame,
    merged: pd.DataFrame,
    *,
    intensity: pd.DataFrame | None,
    style: str,
    parents: Mapping[str, str],
    bins: list[tuple[float, float, str]],
    target: float,
    highlight: set[str],
    show_intensity: bool,
    lang: str,
) -> list[str]:
    """Zones styled by level or sector, and the intensity choropleth; return legend keys."""
    by_zone = _intensity_lookup(intensity)
    style_name = label(f"style.{style}", lang)
    title = (
        f"{label('ui.zones', lang)}（{style_name}）"
        if lang == "zh"
        else f"{label('ui.zones', lang)} ({style_name})"
    )
    fg_zones = folium.FeatureGroup(name=title, show=not show_intensity)
    fg_int = None
    if intensity is not None:
        unit = label("ui.unit_yi_per_km2", lang)
        fg_int = folium.FeatureGroup(
            name=f"{label('ui.intensity', lang)} ({unit})", show=show_intensity
        )
    used: list[str] = []
    for r in located.itertuples():
        zid = str(r.zone_id)
        row = {str(k): v for k, v in merged.loc[merged["zone_id"] == zid].iloc[0].items()}
        quality = str(r.geometry_quality)
        if quality not in _QUALITIES:  # never let an unexpected value into class names
            logger.warning("zone %s: unknown geometry_quality %r", zid, quality)
            quality = "unknown"
        sector_ids = (
            []
            if _missing(row.get("sector_ids"))
            else [s.strip() for s in str(row["sector_ids"]).split(";") if s.strip()]
        )
        tops = list(dict.fromkeys(t for t in (top_sector(s, parents) for s in sector_ids) if t))
        if style == "level":
            key = str(row.get("level"))
            fill = LEVEL_COLOURS.get(key, _OTHER_COLOUR)
        else:
            key = tops[0] if tops and tops[0] in SECTOR_COLOURS else "other"
            fill = SECTOR_COLOURS.get(key, _OTHER_COLOUR)
        if key not in used:
            used.append(key)
        is_hl = zid in highlight
        line = {
            "color": _HIGHLIGHT_COLOUR if is_hl else "#222",
            "weight": 5 if is_hl else 2,
            "dashArray": _SCHEMATIC_DASH if quality == "schematic" else None,
        }
        feature = {
            "type": "Feature",
            "properties": {"zone_id": zid, "geometry_quality": quality},
            "geometry": r.geometry.__geo_interface__,
        }
        tip = _zone_tooltip(row, quality, tops, by_zone.get(zid), target, lang)
        zstyle = {
            **line,
            "fillColor": fill,
            "fillOpacity": 0.35,
            "className": f"wz-zone wz-q-{quality}",
        }
        gj = folium.GeoJson(feature, style_function=lambda _f, s=zstyle: s)
        gj.add_child(_BindContent(tip, kind="Tooltip", options={"sticky": True}))
        gj.add_child(_BindContent(tip, kind="Popup", options={"maxWidth": 360}))
        gj.add_to(fg_zones)
        if fg_int is not None:
            colour = _intensity_colour(by_zone.get(zid), bins)
            istyle = {
                **line,
                "fillColor": colour or "#ffffff",
                "fillOpacity": 0.75 if colour else 0.1,
                "className": f"wz-intensity wz-q-{quality}",
            }
            ig = folium.GeoJson(feature, style_function=lambda _f, s=istyle: s)
            ig.add_child(_BindContent(tip, kind="Tooltip", options={"sticky": True}))
            ig.add_to(fg_int)
    fg_zones.add_to(m)
    if fg_int is not None:
        fg_int.add_to(m)
    return used


def _add_project_layer(
    m: folium.Map,
    placed: gpd.GeoDataFrame,
    *,
    parents: Mapping[str, str],
    highlight: set[str],
    lang: str,
) -> list[str]:
    """Clustered project markers (colour: sector; size: output; letter: stage)."""
    group = folium.FeatureGroup(name=label("ui.projects", lang), show=True)
    cluster = MarkerCluster(options={"maxClusterRadius": 40, "spiderfyOnMaxZoom": True})
    cluster.add_to(group)
    used: list[str] = []
    for r in placed.itertuples():
        rec = r._asdict()
        top = top_sector(rec.get("sector_id"), parents)
        key = top if top in SECTOR_COLOURS else "other"
        colour = SECTOR_COLOURS.get(key, _OTHER_COLOUR)
        if key not in used:
            used.append(key)
        is_hl = str(rec["project_id"]) in highlight
        size = _marker_px(rec.get("output_yi"))
        mark = _STAGE_MARK.get(str(rec.get("stage")), ("?", "?"))[0 if lang == "zh" else 1]
        icon = folium.DivIcon(
            html=(
                f'<div class="wz-proj{" wz-hl" if is_hl else ""}" style="width:{size}px;'
                f'height:{size}px;background:{colour}">{mark}</div>'
            ),
            icon_size=(size, size),
            icon_anchor=(size // 2, size // 2),
            class_name="wz-proj-icon",
        )
        marker = folium.Marker(
            location=[r.geometry.y, r.geometry.x],  # folium: [lat, lon]
            icon=icon,
            z_index_offset=1000 if is_hl else 0,
        )
        text = _project_popup(rec, lang)
        marker.add_child(_BindContent(text, kind="Tooltip", options={}))
        marker.add_child(_BindContent(text, kind="Popup", options={"maxWidth": 360}))
        marker.add_to(group if is_hl else cluster)  # a highlighted project is never hidden
    group.add_to(m)
    return used


def _marker_px(output_yi: object) -> int:
    """Marker diameter in pixels, growing with the square root of output (亿元): 14–44 px."""
    if _missing(output_yi):
        return 14
    try:
        v = max(float(output_yi), 0.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 14
    return int(min(44, 14 + 4 * math.sqrt(v)))


def _zone_tooltip(
    row: Mapping[str, Any],
    quality: str,
    tops: list[str],
    intensity_value: object,
    target: float,
    lang: str,
) -> str:
    name = _zone_name(row, lang)
    lines = [f"<b>{_esc(name)}</b>"]
    lines.append(
        f"{_esc(label('level', lang))}: {_esc(value_label('level', row.get('level'), lang))}"
    )
    if "planned_land_km2" in row:
        lines.append(
            f"{_esc(label('planned_land_km2', lang))}: "
            f"{_esc(_num(row.get('planned_land_km2'), 'ui.unit_km2', lang))}"
        )
    if not _missing(row.get("area_km2_measured")):
        lines.append(
            f"{_esc(label('area_km2_measured', lang))}: "
            f"{_esc(_num(row.get('area_km2_measured'), 'ui.unit_km2', lang))}"
        )
    if tops:
        names = "、".join(value_label("sector", t, lang) for t in tops)
        lines.append(f"{_esc(label('sectors_zh', lang))}: {_esc(names)}")
    if not _missing(intensity_value):
        lines.append(
            f"{_esc(label('intensity_yi_per_km2', lang))}: "
            f"{_esc(_num(intensity_value, 'ui.unit_yi_per_km2', lang, digits=1))} "
            f"({_esc(label('ui.target', lang))} {_esc(_num(target, 'ui.unit_yi_per_km2', lang))})"
        )
    lines.append(
        f"{_esc(label('geometry_quality', lang))}: "
        f"{_esc(value_label('geometry_quality', quality, lang))}"
    )
    return "<br>".join(lines)


def _project_popup(rec: Mapping[str, Any], lang: str) -> str:
    name = (
        rec.get("name_en")
        if lang == "en" and not _missing(rec.get("name_en"))
        else rec.get("name_zh")
    )
    sector = value_label("sector", rec.get("sector_id"), lang)
    lines = [f"<b>{_esc(rec.get('project_id'))} {_esc(name)}</b>"]
    lines.append(f"{_esc(label('sector', lang))}: {_esc(sector)}")
    lines.append(
        f"{_esc(label('stage', lang))}: {_esc(value_label('stage', rec.get('stage'), lang))}"
    )
    for col, unit in (
        ("investment_yi", "ui.unit_yi"),
        ("output_yi", "ui.unit_yi"),
        ("land_mu", "ui.unit_mu"),
        ("floor_m2", "ui.unit_m2"),
    ):
        if col in rec and not _missing(rec.get(col)):
            lines.append(f"{_esc(label(col, lang))}: {_esc(_num(rec.get(col), unit, lang))}")
    zone = rec.get("zone_id")
    basis = value_label("location_label", rec.get("location_basis"), lang)
    lines.append(
        f"{_esc(label('zone', lang))}: {_esc(zone)} — "
        f"{_esc(label('location_label', lang))}: {_esc(basis)}"
    )
    return "<br>".join(lines)


def _legend_html(
    *,
    style: str,
    used_zone_keys: list[str],
    used_proj_sectors: list[str],
    bins: list[tuple[float, float, str]] | None,
    target: float,
    schematic: bool,
    not_located: pd.DataFrame,
    unplaced: pd.DataFrame,
    lang: str,
) -> str:
    parts = [f"<h4>{_esc(label('ui.zones', lang))} — {_esc(label(f'style.{style}', lang))}</h4>"]
    if style == "level":
        for lv in used_zone_keys:
            parts.append(
                f'<div><span class="wz-sw" style="background:'
                f'{LEVEL_COLOURS.get(lv, _OTHER_COLOUR)}"></span>'
                f"{_esc(value_label('level', lv, lang))}</div>"
            )
    else:
        for s in used_zone_keys:
            name = label("ui.other", lang) if s == "other" else value_label("sector", s, lang)
            parts.append(
                f'<div><span class="wz-sw" style="background:'
                f'{SECTOR_COLOURS.get(s, _OTHER_COLOUR)}"></span>{_esc(name)}</div>'
            )
    if schematic:
        parts.append(
            f'<div class="wz-schematic-note"><span class="wz-sw wz-dash"></span>'
            f"{_esc(label('ui.schematic_note', lang))}</div>"
        )
    if bins is not None:
        unit = label("ui.unit_yi_per_km2", lang)
        parts.append(f"<h4>{_esc(label('ui.intensity', lang))} ({_esc(unit)})</h4>")
        parts.append(
            '<div><span class="wz-sw" style="background:#fff;opacity:.6"></span>'
            f"{_esc(label('ui.no_data', lang))}</div>"
        )
        target_text = (
            f"{label('ui.target', lang)}: {target:g} {unit}"
            if lang == "zh"
            else f"{label('ui.target', lang)}: {target:g} ({unit})"
        )
        for i, (low, high, colour) in enumerate(bins):
            if i == 3:  # the diverging point: the target line
                parts.append(
                    f'<div class="wz-target">▼ {_esc(label("ui.below_target", lang))}'
                    f" — {_esc(target_text)} — ▲ "
                    f"{_esc(label('ui.above_target', lang))}</div>"
                )
            rng = f"≥ {low:g}" if math.isinf(high) else f"{low:g} – {high:g}"
            parts.append(
                f'<div><span class="wz-sw" style="background:{colour}"></span>{_esc(rng)}</div>'
            )
    if used_proj_sectors:
        parts.append(f"<h4>{_esc(label('ui.projects', lang))}</h4>")
        for s in used_proj_sectors:
            name = label("ui.other", lang) if s == "other" else value_label("sector", s, lang)
            parts.append(
                f'<div><span class="wz-sw" style="border-radius:50%;background:'
                f'{SECTOR_COLOURS.get(s, _OTHER_COLOUR)}"></span>{_esc(name)}</div>'
            )
        marks = " ".join(
            f"{_STAGE_MARK[s][0 if lang == 'zh' else 1]}={value_label('stage', s, lang)}"
            for s in STAGE_ORDER
        )
        parts.append(f"<div>{_esc(label('ui.size_by_output', lang))}</div>")
        parts.append(f"<div>{_esc(label('stage', lang))}: {_esc(marks)}</div>")
    if not not_located.empty:
        parts.append(f"<h4>{_esc(label('ui.not_located', lang))}</h4>")
        parts.append(
            "<div class='wz-not-located'>"
            + "、".join(_esc(n) for n in not_located["name"])
            + "</div>"
        )
    if not unplaced.empty:
        parts.append(f"<h4>{_esc(label('ui.projects_unplaced', lang))} ({len(unplaced)})</h4>")
        items = [
            f"{_esc(r.project_id)} {_esc(r.name)} ({_esc(r.reason_text)})"
            for r in unplaced.head(12).itertuples()
        ]
        if len(unplaced) > 12:
            items.append("…")
        parts.append("<div class='wz-unplaced'>" + "<br>".join(items) + "</div>")
    title = "图例" if lang == "zh" else "Legend"
    return f"<details open><summary>{title}</summary>{''.join(parts)}</details>"


def export_map_html(
    path: str | Path | None = None,
    *,
    m: folium.Map | None = None,
    title: str | None = None,
    **build_kwargs: Any,
) -> str:
    """Render a map as one self-contained HTML page (all JavaScript and CSS inlined).

    Either pass a built map as ``m``, or the keyword arguments of :func:`build_map`.

    Parameters
    ----------
    path
        If given, the page is also written there (UTF-8).
    m
        A map, e.g. from :func:`build_map`.
    title
        ``<title>`` of the page (default: a bilingual title).
    **build_kwargs
        Arguments for :func:`build_map` when ``m`` is not given.

    Returns
    -------
    str
        The HTML page; opened from disk it requests nothing but basemap tiles.
    """
    if m is None:
        m = build_map(**build_kwargs)
    elif build_kwargs:
        raise WzgeoError(
            "请只提供地图 m 或 build_map 的参数之一。",
            "Pass either a map m or build_map arguments, not both.",
        )
    page = offline_html(m)
    title = title or "万州区产业园区地图 / Wanzhou industrial zones map"
    page = page.replace("<head>", f"<head>\n<title>{_esc(title)}</title>", 1)
    if path is not None:
        data = page.encode("utf-8")
        Path(path).write_bytes(data)
        logger.info("wrote %s (%d bytes)", path, len(data))
    return page

"""Folium maps of the zones and key projects, with offline (inlined) Leaflet assets.

:func:`build_map` takes the plan tables and geometries as parameters (it loads nothing) and
returns a :class:`WzgeoMap` — a ``folium.Map`` that also carries :class:`MapNotes`: what could
not be drawn (zones without a location, projects without a zone) and explanations for the
user (schematic geometry, GCJ-02 shift, a missing Tianditu key).

Coordinates stay (lon, lat) in EPSG:4326 until the very edge, where folium needs [lat, lon].
With the Gaode basemap every vector layer is shifted to GCJ-02 by :func:`wzgeo.geo.crs.to_gcj02`.

Every text that comes from data is HTML-escaped and then embedded in JavaScript as a JSON
string literal with ``<``, ``>`` and ``&`` escaped, so a name such as
``<img src=x onerror=alert(1)>``, a backtick or ``${...}`` shows as text.

The work is shared with private helpers, one concern each: :mod:`wzgeo.maps._inputs` (checks,
zone and project locations, GCJ-02 display), :mod:`wzgeo.maps._style` (colours, marker sizes,
CSS), :mod:`wzgeo.maps._html` (escaping, Leaflet elements), :mod:`wzgeo.maps._layers` (basemap,
zones, projects) and :mod:`wzgeo.maps._legend` (legend, banner). The project markers are one
GeoJSON layer drawn by a single element (:class:`wzgeo.maps._html.ProjectMarkers`), not a folium
element per project, so rendering the map (e.g. by ``st_folium`` on every app rerun) stays
fast.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd

from wzgeo.errors import WzgeoError
from wzgeo.labels import label
from wzgeo.maps._html import Control, Css, FitOnAdd, KeepView, LayerSwitcher, esc
from wzgeo.maps._inputs import (
    is_missing,
    place_projects,
    require_choice,
    require_columns,
    require_gdf,
    split_zones,
    to_display,
    zone_name,
)
from wzgeo.maps._layers import (
    add_basemap,
    add_outline,
    fit_view,
    project_layer,
    view_bounds,
    zone_layers,
)
from wzgeo.maps._legend import banner_html, legend_html
from wzgeo.maps._style import (
    CSS,
    LEVEL_COLOURS,
    SECTOR_COLOURS,
    STAGE_ORDER,
    intensity_bins,
    sector_parents,
    top_sector,
)
from wzgeo.maps.offline import offline_html, use_offline_assets

__all__ = [
    "BASEMAPS",
    "LEVEL_COLOURS",
    "SECTOR_COLOURS",
    "STAGE_ORDER",
    "STYLES",
    "MapNotes",
    "MapParts",
    "WzgeoMap",
    "build_map",
    "build_map_parts",
    "export_map_html",
    "filter_projects",
    "intensity_bins",
    "top_sector",
]

logger = logging.getLogger(__name__)

BASEMAPS: Final = ("osm", "gaode", "tianditu", "none")
STYLES: Final = ("level", "sector")
_TIANDITU_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


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
        parents = sector_parents(sectors)

        def in_sector(sid: object) -> bool:
            s = None if is_missing(sid) else str(sid)
            seen: set[str] = set()
            while s is not None and s not in seen:
                if s == sector:
                    return True
                seen.add(s)
                s = parents.get(s)
            return False

        mask &= projects["sector_id"].map(in_sector).astype(bool)
    if stage:
        require_choice(stage, STAGE_ORDER, what_zh="项目阶段", what_en="stage")
        mask &= projects["stage"] == stage
    if zone:
        mask &= projects["zone_id"].astype("string").fillna("") == zone
    return projects.loc[mask].copy()


def _message(kind: str, key: str, zh_tail: str = "", en_tail: str = "") -> tuple[str, str, str]:
    """A :attr:`MapNotes.messages` entry: the label ``key`` in both languages, plus tails."""
    return (kind, label(key, "zh") + zh_tail, label(key, "en") + en_tail)


@dataclass(frozen=True)
class MapParts:
    """A map split for ``st_folium(..., feature_group_to_add=...)`` (see :func:`build_map_parts`).

    Attributes
    ----------
    base
        The part that does not depend on the projects, intensity or highlight: offline assets,
        stylesheet, basemap tiles, district and river, view fitted to the district; carries
        the :class:`MapNotes`.
    layers
        The feature groups that do, in drawing order: zones, the intensity choropleth (when
        given; hidden unless ``show_intensity``), projects, and an unlisted group that brings
        the legend, the message banner and, with a highlight, the view fitted to it.
    layer_control
        The layer control listing the base and the dynamic layers; it also hides the groups
        created hidden (``st_folium`` adds every dynamic group to the map).
    """

    base: WzgeoMap
    layers: tuple[folium.FeatureGroup, ...]
    layer_control: folium.LayerControl


@dataclass(frozen=True)
class _Prepared:
    """Checked inputs in display coordinates, and the notes, shared by both builders."""

    style: str
    target: float
    basemap: str
    tianditu_key: str | None
    lang: str
    bins: list[tuple[float, float, str]]
    parents: dict[str, str]
    highlight: set[str]
    focus: set[str]
    extent: gpd.GeoDataFrame
    intensity: pd.DataFrame | None
    merged: pd.DataFrame
    district: gpd.GeoDataFrame
    located: gpd.GeoDataFrame
    placed: gpd.GeoDataFrame
    river: gpd.GeoDataFrame | None
    notes: MapNotes
    show_intensity: bool
    height: str | int


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
    prep = _prepare(
        district=district,
        zones_geo=zones_geo,
        zones=zones,
        projects=projects,
        intensity=intensity,
        river=river,
        sectors=sectors,
        style=style,
        target_yi_per_km2=target_yi_per_km2,
        basemap=basemap,
        tianditu_key=tianditu_key,
        lang=lang,
        highlight=highlight,
        show_intensity=show_intensity,
        height=height,
    )
    m = _base_map(prep, fit_highlight=True)
    zones_fg, intensity_fg, used_zone_keys = _zone_groups(prep)
    zones_fg.add_to(m)
    if intensity_fg is not None:
        intensity_fg.add_to(m)
    projects_fg, used_proj_sectors = _project_group(prep)
    projects_fg.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    sections = {"zones": zones_fg, "intensity": intensity_fg, "projects": projects_fg}
    legend_layers = {k: g for k, g in sections.items() if g is not None}
    for control in _boxes(
        prep, used_zone_keys, used_proj_sectors, with_layer=False, layers=legend_layers
    ):
        m.add_child(control)
    m.notes = prep.notes
    use_offline_assets(m)
    return m


def build_map_parts(**build_kwargs: Any) -> MapParts:
    """The map of :func:`build_map` split into a fixed base and the layers that change.

    For the app: ``st_folium(parts.base, feature_group_to_add=list(parts.layers),
    layer_control=parts.layer_control, ...)`` keys the map iframe on the base's script only,
    so changing a filter, the zone style, the target or the highlight swaps the layers inside
    the same iframe instead of re-creating the whole map. The base changes only with the
    basemap, the language, the height and the district/river data. Every element uses the
    offline assets. :func:`build_map` still draws the same content as one map (for exports).

    Parameters
    ----------
    **build_kwargs
        The keyword arguments of :func:`build_map`.

    Returns
    -------
    MapParts
        Base map (with ``.notes``), dynamic layers and layer control.
    """
    prep = _prepare(**build_kwargs)
    base = _base_map(prep, fit_highlight=False)
    base.add_child(KeepView())  # a new basemap or language keeps the user's view
    base.notes = prep.notes
    zones_fg, intensity_fg, used_zone_keys = _zone_groups(prep)
    projects_fg, used_proj_sectors = _project_group(prep)
    overlay = folium.FeatureGroup(name="wz-overlay", control=False, show=True)
    sections = {"zones": zones_fg, "intensity": intensity_fg, "projects": projects_fg}
    legend_layers = {k: g for k, g in sections.items() if g is not None}
    for control in _boxes(
        prep, used_zone_keys, used_proj_sectors, with_layer=True, layers=legend_layers
    ):
        overlay.add_child(control)
    bounds, focused = view_bounds(
        prep.district, prep.located, prep.placed, prep.focus, extent=prep.extent
    )
    if bounds is not None and focused:
        overlay.add_child(FitOnAdd(bounds))
    layers = tuple(g for g in (zones_fg, intensity_fg, projects_fg, overlay) if g is not None)
    # point the layers' assets (e.g. the marker cluster's) at the offline ones too: attach
    # them to the base for the rewrite, then detach them (st_folium adds them itself)
    for group in layers:
        base.add_child(group)
    use_offline_assets(base)
    for group in layers:
        del base._children[group.get_name()]
        group._parent = None
    return MapParts(base=base, layers=layers, layer_control=LayerSwitcher(collapsed=False))


def _prepare(
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
) -> _Prepared:
    """Check the inputs, place zones and projects, shift to display coordinates, notes."""
    require_choice(style, STYLES, what_zh="园区样式", what_en="zone style")
    from wzgeo.maps import basemaps

    require_choice(basemap, basemaps.allowed_ids(), what_zh="底图", what_en="basemap")
    source = basemaps.find_source(basemap)
    label("zone_id", lang)  # validates lang
    bins = intensity_bins(target_yi_per_km2)
    district = require_gdf(district, "district")
    zones_geo = require_gdf(zones_geo, "zones_geo")
    require_columns(zones_geo, "zones_geo", ("zone_id",))
    require_columns(zones, "zones", ("zone_id", "name_zh", "level"))
    if projects is None:
        projects = pd.DataFrame(columns=["project_id", "name_zh", "sector_id", "zone_id"])
    require_columns(projects, "projects", ("project_id", "name_zh", "sector_id", "zone_id"))
    if river is not None:
        river = require_gdf(river, "river")
    parents = sector_parents(sectors)
    hl = {highlight} if isinstance(highlight, str) else set(highlight or ())

    messages: list[tuple[str, str, str]] = []
    if source is not None and source.needs_key:
        if not tianditu_key:
            messages.append(_message("warning", "ui.tianditu_no_key"))
            basemap = "none"
        elif not _TIANDITU_KEY.match(tianditu_key):
            raise WzgeoError(
                "天地图密钥格式不对：应为 8–64 位字母或数字。",
                "The Tianditu key looks wrong: it must be 8–64 letters or digits.",
            )
    gcj02 = basemap != "none" and source is not None and source.gcj02
    if gcj02:
        messages.append(_message("info", "ui.gcj02_note"))

    merged, located, not_located = split_zones(zones, zones_geo, lang)
    # the default view: every zone that can be drawn (not only the selected ones, so the
    # base map stays the same across filters); a zone filter focuses on its zones
    drawable = zones_geo.geometry.notna() & ~zones_geo.geometry.is_empty
    if "geometry_quality" in zones_geo.columns:
        quality = zones_geo["geometry_quality"].astype("string").fillna("")
        drawable &= quality != "not_located"
    extent = gpd.GeoDataFrame(zones_geo.loc[drawable, ["geometry"]], geometry="geometry")
    focus = set(hl)
    if 0 < len(located) < int(drawable.sum()):
        focus |= set(located["zone_id"].astype(str))
    schematic = bool((located["geometry_quality"] == "schematic").any())
    if schematic:
        messages.append(_message("warning", "ui.schematic_banner"))
    if not not_located.empty:
        unlocated = merged[~merged["zone_id"].isin(located["zone_id"])]
        names_zh = "、".join(zone_name(r, "zh") for _, r in unlocated.iterrows())
        names_en = ", ".join(zone_name(r, "en") for _, r in unlocated.iterrows())
        messages.append(_message("warning", "ui.not_located", f"：{names_zh}", f": {names_en}"))
    placed, unplaced = place_projects(projects, located, lang)
    if not unplaced.empty:
        n = len(unplaced)
        messages.append(_message("info", "ui.projects_unplaced", f"：{n} 个", f": {n}"))

    # display coordinates: GCJ-02 on Gaode tiles
    district_d = to_display(district, gcj02)
    located_d = to_display(located, gcj02)
    placed_d = to_display(placed, gcj02)
    river_d = to_display(river, gcj02) if river is not None else None
    extent_d = to_display(extent, gcj02) if len(extent) else district_d

    notes = MapNotes(
        basemap=basemap,
        messages=tuple(messages),
        zones_not_located=not_located,
        projects_unplaced=unplaced,
        schematic=schematic,
        gcj02=gcj02,
    )
    return _Prepared(
        style=style,
        target=target_yi_per_km2,
        basemap=basemap,
        tianditu_key=tianditu_key,
        lang=lang,
        bins=bins,
        parents=dict(parents),
        highlight=hl,
        focus=focus,
        extent=extent_d,
        intensity=intensity,
        merged=merged,
        district=district_d,
        located=located_d,
        placed=placed_d,
        river=river_d,
        notes=notes,
        show_intensity=show_intensity,
        height=height,
    )


def _base_map(prep: _Prepared, *, fit_highlight: bool) -> WzgeoMap:
    """Stylesheet, basemap, view, district and river."""
    # quarter zoom steps: the zones' extent fills the map instead of the next smaller
    # whole zoom level (where the largest zone would be under 40 px wide)
    m = WzgeoMap(
        tiles=None,
        control_scale=True,
        height=prep.height,
        maxZoom=18,
        minZoom=6,
        zoomSnap=0.25,
        zoomDelta=0.5,
    )
    m.add_child(Css(CSS))
    add_basemap(m, prep.basemap, prep.tianditu_key)
    fit_view(
        m,
        prep.district,
        prep.located,
        prep.placed,
        prep.focus if fit_highlight else set(),
        extent=prep.extent,
    )
    add_outline(m, prep.district, label("ui.district", prep.lang), colour="#333", weight=2.5)
    if prep.river is not None and not prep.river.empty:
        add_outline(m, prep.river, label("ui.river", prep.lang), colour="#4a90d9", weight=3)
    return m


def _zone_groups(
    prep: _Prepared,
) -> tuple[folium.FeatureGroup, folium.FeatureGroup | None, list[str]]:
    return zone_layers(
        prep.located,
        prep.merged,
        intensity=prep.intensity,
        style=prep.style,
        parents=prep.parents,
        bins=prep.bins,
        target=prep.target,
        highlight=prep.highlight,
        show_intensity=prep.show_intensity,
        lang=prep.lang,
    )


def _project_group(prep: _Prepared) -> tuple[folium.FeatureGroup, list[str]]:
    return project_layer(
        prep.placed, parents=prep.parents, highlight=prep.highlight, lang=prep.lang
    )


def _boxes(
    prep: _Prepared,
    used_zone_keys: list[str],
    used_proj_sectors: list[str],
    *,
    with_layer: bool,
    layers: dict[str, folium.FeatureGroup] | None = None,
) -> list[Control]:
    """The legend and, in an exported map (``with_layer`` False), the message banner.

    In the app (``with_layer``) the page shows the messages and what was not drawn once,
    beside the map, so the map carries only the legend. ``layers`` (legend section →
    feature group) lets the legend list only the layers that are on.
    """
    notes = prep.notes
    legend = legend_html(
        style=prep.style,
        used_zone_keys=used_zone_keys,
        used_proj_sectors=used_proj_sectors,
        bins=prep.bins if prep.intensity is not None else None,
        target=prep.target,
        schematic=notes.schematic,
        not_located=pd.DataFrame() if with_layer else notes.zones_not_located,
        unplaced=pd.DataFrame() if with_layer else notes.projects_unplaced,
        lang=prep.lang,
        folded=with_layer,
    )
    boxes = [
        Control(
            legend,
            position="bottomright",
            css_class="wz-box wz-legend",
            with_layer=with_layer,
            legend_layers=layers or {},
        )
    ]
    if notes.messages and not with_layer:
        banner = banner_html(text for _kind, text in notes.texts(prep.lang))
        boxes.append(
            Control(
                banner, position="bottomleft", css_class="wz-box wz-banner", with_layer=with_layer
            )
        )
    return boxes


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
    page = page.replace("<head>", f"<head>\n<title>{esc(title)}</title>", 1)
    if path is not None:
        data = page.encode("utf-8")
        Path(path).write_bytes(data)
        logger.info("wrote %s (%d bytes)", path, len(data))
    return page

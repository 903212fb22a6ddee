"""The map's layers: basemap tiles, outlines, zones, the intensity choropleth, project markers.

Each ``add_*`` function adds folium layers to a map and returns what the legend needs. The
geometries are already in display coordinates (GCJ-02 on Gaode tiles); folium's [lat, lon]
order appears only here, at the edge. Tooltip and popup texts are escaped HTML
(:mod:`wzgeo.maps._html`). The project markers are one GeoJSON layer (not a folium element per
project), which keeps rendering the map fast.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import MarkerCluster

from wzgeo.labels import label, value_label
from wzgeo.maps._html import ProjectMarkers, ZoneMinSize, bind_text, esc, field, num_text
from wzgeo.maps._inputs import intensity_by_zone, is_missing, zone_name
from wzgeo.maps._style import (
    HIGHLIGHT_COLOUR,
    LEVEL_COLOURS,
    OTHER_COLOUR,
    SCHEMATIC_DASH,
    SECTOR_COLOURS,
    intensity_colour,
    marker_px,
    sector_key,
    stage_mark,
    top_sector,
)

__all__ = [
    "CLUSTER_OPTIONS",
    "add_basemap",
    "add_outline",
    "add_project_layer",
    "add_zone_layers",
    "fit_view",
    "project_features",
    "project_icon_html",
    "project_layer",
    "project_popup",
    "view_bounds",
    "zone_layers",
    "zone_tooltip",
]

logger = logging.getLogger(__name__)

_QUALITIES: Final = ("official", "schematic")
#: Leaflet.markercluster options of each zone's cluster: no spiderfy of dozens of markers; a
#: click zooms in and lists the projects (:class:`wzgeo.maps._html.ProjectMarkers`)
CLUSTER_OPTIONS: Final[dict[str, Any]] = {
    "maxClusterRadius": 50,
    "spiderfyOnMaxZoom": False,
    "zoomToBoundsOnClick": False,
    "showCoverageOnHover": False,
}
#: room kept free when fitting the view: the layer control (top right) covers no zone
FIT_PADDING: Final[dict[str, tuple[int, int]]] = {
    "padding_top_left": (10, 120),
    "padding_bottom_right": (10, 40),
}
#: the smallest on-screen size of a zone (px): smaller zones also get a dot this size
ZONE_MIN_PX: Final = 22
#: a cluster bubble: smaller than a zone's smallest size (:data:`ZONE_MIN_PX`), so a ring
#: of the zone stays visible around it
CLUSTER_ICON_JS: Final = (
    "function(c){return L.divIcon({html:'<div><span>'+c.getChildCount()+'</span></div>',"
    "className:'marker-cluster wz-cluster',iconSize:L.point(16,16)});}"
)


def add_basemap(m: folium.Map, basemap: str, tianditu_key: str | None) -> None:
    """Add the basemap tiles (none for ``"none"``).

    Parameters
    ----------
    m
        The map.
    basemap
        A source id of :mod:`wzgeo.maps.basemaps` (configured or built-in) or ``"none"``.
    tianditu_key
        Tianditu ``tk`` key, for a source whose URL has ``{tk}`` (checked by the caller).
    """
    from wzgeo.maps.basemaps import find_source

    source = find_source(basemap)
    if source is None or basemap == "none":
        return
    urls = [source.url]
    if source.id == "tianditu":  # the vector map and its label layer
        urls.append(source.url.replace("/vec_w/", "/cva_w/").replace("LAYER=vec", "LAYER=cva"))
    for n, url in enumerate(urls):
        folium.TileLayer(
            tiles=url.replace("{tk}", tianditu_key or ""),
            attr=esc(source.attribution) or "&nbsp;",
            name=f"{source.id} {n}",
            max_zoom=source.max_zoom,
            subdomains=source.subdomains or "abc",
            control=False,
        ).add_to(m)


def view_bounds(
    district: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    highlight: set[str],
    *,
    extent: gpd.GeoDataFrame | None = None,
) -> tuple[list[list[float]] | None, bool]:
    """The view: the highlighted features (padded by about 1 km), else ``extent`` (the
    located zones), else the district.

    Parameters
    ----------
    district, zones, projects
        Display geometries; zones with ``zone_id``, projects with ``project_id``.
    highlight
        Zone and project ids to focus on.
    extent
        The default view's geometries (the zones that can be drawn): the map opens on them
        rather than on the whole district, where the zones are specks.

    Returns
    -------
    bounds : list or None
        ``[[south, west], [north, east]]`` ([lat, lon]), ``None`` when nothing has a finite
        extent.
    focused : bool
        True when the bounds are those of highlighted features.
    """
    focus = pd.concat(
        [
            zones.loc[zones["zone_id"].astype(str).isin(highlight)].geometry,
            projects.loc[projects["project_id"].astype(str).isin(highlight)].geometry,
        ]
    )
    if len(focus):
        view = focus
    elif extent is not None and len(extent) and not extent.geometry.is_empty.all():
        view = extent.geometry
    else:
        view = district.geometry
    minx, miny, maxx, maxy = view.total_bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        return None, False
    pad = 0.01 if len(focus) else 0.0  # about 1 km around a highlighted feature
    return [[miny - pad, minx - pad], [maxy + pad, maxx + pad]], bool(len(focus))


def fit_view(
    m: folium.Map,
    district: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    highlight: set[str],
    *,
    extent: gpd.GeoDataFrame | None = None,
) -> None:
    """Fit the view to the highlighted features, else to ``extent``, else to the district
    (:func:`view_bounds`).

    Parameters
    ----------
    m
        The map.
    district, zones, projects
        Display geometries; zones with ``zone_id``, projects with ``project_id``.
    highlight
        Zone and project ids to focus on.
    extent
        The default view's geometries (the located zones).
    """
    bounds, _focused = view_bounds(district, zones, projects, highlight, extent=extent)
    if bounds is not None:
        m.fit_bounds(
            bounds,  # [lat, lon]
            padding_top_left=FIT_PADDING["padding_top_left"],
            padding_bottom_right=FIT_PADDING["padding_bottom_right"],
        )


def add_outline(
    m: folium.Map, gdf: gpd.GeoDataFrame, name: str, *, colour: str, weight: float
) -> None:
    """Add unfilled, non-interactive lines (district boundary, river) as a layer.

    Parameters
    ----------
    m
        The map.
    gdf
        Display geometries.
    name
        Layer name.
    colour, weight
        Line colour and width (px).
    """
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(
        gdf[["geometry"]].to_json(),
        style_function=lambda _f: {"color": colour, "weight": weight, "fill": False},
        interactive=False,
    ).add_to(group)
    group.add_to(m)


def _zone_geojson(
    feature: dict[str, Any], style: dict[str, Any], tip: str, *, popup: bool
) -> folium.GeoJson:
    """One zone polygon with a fixed style, a sticky tooltip and optionally a popup."""
    gj = folium.GeoJson(feature, style_function=lambda _f, s=style: s)
    bind_text(gj, tip, sticky=True, popup=popup)
    return gj


def add_zone_layers(
    m: folium.Map, located: gpd.GeoDataFrame, *args: Any, **kwargs: Any
) -> list[str]:
    """Add the layers of :func:`zone_layers` to the map; return the legend keys."""
    fg_zones, fg_int, used = zone_layers(located, *args, **kwargs)
    fg_zones.add_to(m)
    if fg_int is not None:
        fg_int.add_to(m)
    return used


def zone_layers(
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
) -> tuple[folium.FeatureGroup, folium.FeatureGroup | None, list[str]]:
    """Zones styled by level or sector, and the intensity choropleth, as feature groups.

    Parameters
    ----------
    located
        Display geometries of the zones that can be drawn.
    merged
        The zone table joined with geometry (for names, level, sectors).
    intensity
        ``zone_id``, ``intensity_yi_per_km2``: adds the choropleth layer; or ``None``.
    style
        ``"level"`` or ``"sector"``.
    parents
        Sector hierarchy, ``sector_id`` → ``parent_id``.
    bins
        Output-per-km² classes.
    target
        Output-per-km² target (亿元/km²), shown in the tooltip.
    highlight
        Zone ids outlined in magenta.
    show_intensity
        Show the choropleth, not the zone styling, when the map opens.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    zones : folium.FeatureGroup
        The zones (shown unless ``show_intensity``).
    intensity : folium.FeatureGroup or None
        The choropleth (shown if ``show_intensity``); ``None`` without ``intensity``.
    used : list of str
        Levels or sector colour keys used, in order of use.
    """
    by_zone = intensity_by_zone(intensity)
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
    rows: dict[str, dict[str, Any]] = {}  # the first row of each zone, as the tooltip's record
    for rec in pd.DataFrame(merged).to_dict("records"):
        rows.setdefault(str(rec["zone_id"]), {str(k): v for k, v in rec.items()})
    for r in located.itertuples():
        zid = str(r.zone_id)
        row = rows[zid]
        quality = str(r.geometry_quality)
        if quality not in _QUALITIES:  # never let an unexpected value into class names
            logger.warning("zone %s: unknown geometry_quality %r", zid, quality)
            quality = "unknown"
        sector_ids = (
            []
            if is_missing(row.get("sector_ids"))
            else [s.strip() for s in str(row["sector_ids"]).split(";") if s.strip()]
        )
        tops = list(dict.fromkeys(t for t in (top_sector(s, parents) for s in sector_ids) if t))
        if style == "level":
            key = str(row.get("level"))
            fill = LEVEL_COLOURS.get(key, OTHER_COLOUR)
        else:
            key = sector_key(tops[0] if tops else None)
            fill = SECTOR_COLOURS.get(key, OTHER_COLOUR)
        if key not in used:
            used.append(key)
        is_hl = zid in highlight
        line = {
            "color": HIGHLIGHT_COLOUR if is_hl else "#222",
            "weight": 5 if is_hl else 2,
            "dashArray": SCHEMATIC_DASH if quality == "schematic" else None,
        }
        feature = {
            "type": "Feature",
            "properties": {"zone_id": zid, "geometry_quality": quality},
            "geometry": r.geometry.__geo_interface__,
        }
        tip = zone_tooltip(row, quality, tops, by_zone.get(zid), target, lang)
        zstyle = {
            **line,
            "fillColor": fill,
            "fillOpacity": 0.35,
            "className": f"wz-zone wz-q-{quality}",
        }
        _zone_geojson(feature, zstyle, tip, popup=True).add_to(fg_zones)
        if fg_int is not None:
            colour = intensity_colour(by_zone.get(zid), bins)
            istyle = {
                **line,
                "fillColor": colour or "#ffffff",
                "fillOpacity": 0.75 if colour else 0.1,
                "className": f"wz-intensity wz-q-{quality}",
            }
            _zone_geojson(feature, istyle, tip, popup=False).add_to(fg_int)
    fg_zones.add_child(ZoneMinSize(ZONE_MIN_PX))  # no zone is a speck at any zoom
    return fg_zones, fg_int, used


def project_icon_html(*, colour: str, size_px: int, mark: str, highlighted: bool) -> str:
    """The HTML of a project marker's icon: a disc of the sector colour with the stage mark.

    Parameters
    ----------
    colour
        CSS colour of the sector.
    size_px
        Diameter in pixels.
    mark
        The stage character.
    highlighted
        Outline the disc in magenta (class ``wz-hl``).

    Returns
    -------
    str
        Escaped HTML.
    """
    css_class = "wz-proj wz-hl" if highlighted else "wz-proj"
    style = f"width:{int(size_px)}px;height:{int(size_px)}px;background:{colour}"
    return f'<div class="{css_class}" style="{esc(style)}">{esc(mark)}</div>'


def project_features(
    placed: gpd.GeoDataFrame,
    *,
    parents: Mapping[str, str],
    highlight: set[str],
    lang: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoJSON point features of the projects for :class:`wzgeo.maps._html.ProjectMarkers`.

    Parameters
    ----------
    placed
        Display points of the projects, from :func:`wzgeo.maps._inputs.place_projects`.
    parents
        Sector hierarchy, ``sector_id`` → ``parent_id``.
    highlight
        Project ids to outline in magenta.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    features : list of dict
        One feature per project, in table order: [lon, lat] point; properties
        ``project_id``, ``html`` (escaped tooltip and popup), ``icon`` (escaped icon HTML),
        ``size`` (px) and ``hl`` (highlighted).
    used : list of str
        Sector colour keys used, in order of use.
    """
    features: list[dict[str, Any]] = []
    used: list[str] = []
    for r in placed.itertuples():
        rec = r._asdict()
        key = sector_key(top_sector(rec.get("sector_id"), parents))
        if key not in used:
            used.append(key)
        pid = str(rec["project_id"])
        is_hl = pid in highlight
        size = marker_px(rec.get("output_yi"))
        icon = project_icon_html(
            colour=SECTOR_COLOURS.get(key, OTHER_COLOUR),
            size_px=size,
            mark=stage_mark(rec.get("stage"), lang),
            highlighted=is_hl,
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.geometry.x, r.geometry.y]},
                "properties": {
                    "project_id": pid,
                    "zone_id": "" if is_missing(rec.get("zone_id")) else str(rec["zone_id"]),
                    "html": project_popup(rec, lang),
                    "icon": icon,
                    "size": size,
                    "hl": is_hl,
                },
            }
        )
    return features, used


def add_project_layer(m: folium.Map, placed: gpd.GeoDataFrame, **kwargs: Any) -> list[str]:
    """Add the layer of :func:`project_layer` to the map; return the sector colour keys."""
    group, used = project_layer(placed, **kwargs)
    group.add_to(m)
    return used


def project_layer(
    placed: gpd.GeoDataFrame,
    *,
    parents: Mapping[str, str],
    highlight: set[str],
    lang: str,
) -> tuple[folium.FeatureGroup, list[str]]:
    """Project markers clustered per zone (colour: sector; size: output; letter: stage).

    The projects of each zone are one GeoJSON layer (:class:`wzgeo.maps._html.ProjectMarkers`)
    whose markers go into that zone's marker cluster (:data:`CLUSTER_OPTIONS`), so a bubble
    never gathers several zones' projects; highlighted projects are a further such layer
    outside any cluster, so they are never hidden in a cluster.

    Parameters
    ----------
    placed
        Display points of the projects, from :func:`wzgeo.maps._inputs.place_projects`.
    parents
        Sector hierarchy, ``sector_id`` → ``parent_id``.
    highlight
        Project ids outlined in magenta and never clustered.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    group : folium.FeatureGroup
        The projects layer.
    used : list of str
        Sector colour keys used, in order of use.
    """
    group = folium.FeatureGroup(name=label("ui.projects", lang), show=True)
    features, used = project_features(placed, parents=parents, highlight=highlight, lang=lang)
    by_zone: dict[str, list[dict[str, Any]]] = {}
    for f in features:
        if not f["properties"]["hl"]:
            by_zone.setdefault(str(f["properties"].get("zone_id") or ""), []).append(f)
    highlighted = [f for f in features if f["properties"]["hl"]]
    # one cluster per zone: a bubble never gathers the projects of several zones (and so
    # never sits on a zone it does not belong to); a click zooms in, never spiders out
    for zone_features in by_zone.values():
        cluster = MarkerCluster(options=CLUSTER_OPTIONS, icon_create_function=CLUSTER_ICON_JS)
        cluster.add_to(group)
        cluster.add_child(
            ProjectMarkers(zone_features, clustered=True, list_title=label("ui.projects", lang))
        )
    if highlighted:  # a highlighted project is never hidden in a cluster
        group.add_child(ProjectMarkers(highlighted, clustered=False))
    return group, used


def zone_tooltip(
    row: Mapping[str, Any],
    quality: str,
    tops: list[str],
    intensity_value: object,
    target: float,
    lang: str,
) -> str:
    """Tooltip of a zone: name, level, land, sectors, intensity vs target, geometry quality.

    Parameters
    ----------
    row
        Zone record (``zone_id``, ``name_zh``, ``level``, optional others).
    quality
        Geometry quality, ``"official"``, ``"schematic"`` or ``"unknown"``.
    tops
        Top-level focus sectors.
    intensity_value
        Output per km² (亿元/km²), or missing.
    target
        Output-per-km² target (亿元/km²).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        Escaped HTML.
    """
    lines = [f"<b>{esc(zone_name(row, lang))}</b>"]
    lines.append(field("level", value_label("level", row.get("level"), lang), lang))
    if "planned_land_km2" in row:
        km2 = num_text(row.get("planned_land_km2"), "ui.unit_km2", lang)
        lines.append(field("planned_land_km2", km2, lang))
    if not is_missing(row.get("area_km2_measured")):
        km2 = num_text(row.get("area_km2_measured"), "ui.unit_km2", lang)
        lines.append(field("area_km2_measured", km2, lang))
    if tops:
        names = ("、" if lang == "zh" else ", ").join(value_label("sector", t, lang) for t in tops)
        lines.append(field("sectors_zh", names, lang))
    if not is_missing(intensity_value):
        value = num_text(intensity_value, "ui.unit_yi_per_km2", lang, digits=1)
        goal = num_text(target, "ui.unit_yi_per_km2", lang)
        lines.append(
            f"{field('intensity_yi_per_km2', value, lang)} "
            f"({esc(label('ui.target', lang))} {esc(goal)})"
        )
    lines.append(field("geometry_quality", value_label("geometry_quality", quality, lang), lang))
    return "<br>".join(lines)


def project_popup(rec: Mapping[str, Any], lang: str) -> str:
    """Tooltip and popup of a project: id, name, sector, stage, figures, zone and its basis.

    Parameters
    ----------
    rec
        Project record from :func:`wzgeo.maps._inputs.place_projects`.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        Escaped HTML.
    """
    name = (
        rec.get("name_en")
        if lang == "en" and not is_missing(rec.get("name_en"))
        else rec.get("name_zh")
    )
    lines = [f"<b>{esc(rec.get('project_id'))} {esc(name)}</b>"]
    lines.append(field("sector", value_label("sector", rec.get("sector_id"), lang), lang))
    lines.append(field("stage", value_label("stage", rec.get("stage"), lang), lang))
    for col, unit in (
        ("investment_yi", "ui.unit_yi"),
        ("output_yi", "ui.unit_yi"),
        ("land_mu", "ui.unit_mu"),
        ("floor_m2", "ui.unit_m2"),
    ):
        if col in rec and not is_missing(rec.get(col)):
            lines.append(field(col, num_text(rec.get(col), unit, lang), lang))
    basis = value_label("location_label", rec.get("location_basis"), lang)
    lines.append(
        f"{field('zone', rec.get('zone_id'), lang)} — {field('location_label', basis, lang)}"
    )
    return "<br>".join(lines)

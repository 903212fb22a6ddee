"""Imported land-use (用地用海) and red-line (三区三线) layers on the web map.

The land-use layer is drawn in the standard colours (the caller passes ``code → #rrggbb``
from ``geodata/landuse_codes.csv``, :func:`wzgeo.analysis.landuse.code_colours`), with a legend
of the classes present; the red lines in their usual symbols: 永久基本农田 yellow fill with a
dark-yellow outline, 生态保护红线 green fill with a red outline, 城镇开发边界 a dashed purple line
without fill (these are the common conventions of 三区三线 maps, not taken from a standard text
here), each with a one-row legend in that symbol. Nothing is drawn for a kind that was not
imported. :func:`clip_layers` cuts the layers to a neighbourhood (the plot check's map).

Large layers stay fluid: features are simplified in EPSG:4545 (Douglas-Peucker, tolerance
:data:`SIMPLIFY_M`) and merged per code, so the browser draws one multipolygon per class
(tens of features instead of hundreds of thousands); past :data:`CANVAS_VERTICES` vertices on
Leaflet's canvas renderer instead of SVG. That stops being fluid past a few tens of thousands of
polygons (bench/RESULTS.md): a layer given a ``tile_urls`` entry is drawn instead as a tile
layer of server-rendered PNG tiles (:mod:`wzgeo.maps.landtiles`, served by
:mod:`wzgeo.app.tiles`), with the same legend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement, Template

from wzgeo.geo import crs as wcrs
from wzgeo.maps._html import esc

__all__ = [
    "CANVAS_VERTICES",
    "NO_COLOUR",
    "REDLINE_STYLES",
    "SIMPLIFY_M",
    "clip_layers",
    "land_groups",
    "land_legend_html",
    "redline_legend_html",
]

CANVAS_VERTICES = 20_000
"""Layers with more vertices than this are drawn on a canvas instead of as SVG paths."""
SIMPLIFY_M = 2.0
"""Simplification tolerance (m) before drawing; well below a pixel at the zoom levels used."""
NO_COLOUR = "#c8c8c8"
"""Fill of a class without a known standard colour (labelled so in the legend)."""

REDLINE_STYLES: dict[str, dict[str, Any]] = {
    "basic_farmland": {"color": "#b3a100", "weight": 1.5, "fillColor": "#ffff00",
                       "fillOpacity": 0.45},
    "eco_redline": {"color": "#e60000", "weight": 2, "fillColor": "#38a800", "fillOpacity": 0.35},
    "dev_boundary": {"color": "#9c27b0", "weight": 2.5, "dashArray": "8 5", "fill": False},
}  # fmt: skip
_NAMES = {
    "landuse": ("用地用海", "Land use"),
    "basic_farmland": ("永久基本农田", "Permanent basic farmland"),
    "eco_redline": ("生态保护红线", "Ecological protection red line"),
    "dev_boundary": ("城镇开发边界", "Urban development boundary"),
}


class _Canvas(MacroElement):
    """Make the parent GeoJSON layer's paths draw on a shared canvas (no SVG node per shape)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.wzCanvas = window.wzCanvas || L.canvas({padding: 0.5});"
        "{{ this._parent.get_name() }}.eachLayer(function(l){"
        "l.options.renderer = window.wzCanvas;"
        "if (l._map) { var m = l._map; m.removeLayer(l); m.addLayer(l); }});"
        "{% endmacro %}"
    )


class _TileInfo(MacroElement):
    """On a click on the map, ask the tile server which classes lie there (``…/info``) and
    show them in a popup (text only, no HTML from the server)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var layer = {{ this._parent.get_name() }};"
        "var url = {{ this.url|tojson }};"
        "function onClick(e){"
        "fetch(url + '?lat=' + e.latlng.lat + '&lon=' + e.latlng.lng)"
        ".then(function(r){return r.ok ? r.json() : null;})"
        ".then(function(d){if (!d || !d.features.length || !layer._map) return;"
        "var div = document.createElement('div'); div.className = 'wz-land-info';"
        "d.features.forEach(function(f){var p = document.createElement('div');"
        "p.textContent = (f.code || '?') + ' ' + f.name; div.appendChild(p);});"
        "L.popup().setLatLng(e.latlng).setContent(div).openOn(layer._map);})"
        ".catch(function(){});}"
        "layer.on('add', function(){ this._map.on('click', onClick); });"
        "layer.on('remove', function(){ if (this._map) this._map.off('click', onClick); });"
        "if (layer._map) layer._map.on('click', onClick);})();"
        "{% endmacro %}"
    )

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


def _tile_layer(url: str, name: str, *, info: bool = True) -> folium.TileLayer:
    """A transparent overlay of server-rendered tiles (no attribution: the user's own data);
    a click asks for the classes there when the URL has the tile server's shape."""
    layer = folium.TileLayer(
        tiles=url, attr=" ", name=name, overlay=True, control=False, max_zoom=22,
        max_native_zoom=22, tile_size=256, opacity=1.0, class_name="wz-land-tiles",
    )  # fmt: skip
    tail = "/{z}/{x}/{y}.png"
    if info and url.endswith(tail):
        layer.add_child(_TileInfo(url[: -len(tail)] + "/info"))
    return layer


def _to_display(gdf: gpd.GeoDataFrame, *, gcj02: bool) -> gpd.GeoDataFrame:
    out = gdf.to_crs(epsg=4326)
    return wcrs.to_gcj02(out) if gcj02 else out


def _merge_by_code(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = gdf.to_crs(epsg=4545)
    geoms = shapely.simplify(g.geometry.to_numpy(), SIMPLIFY_M, preserve_topology=True)
    frame = gpd.GeoDataFrame(
        {"code": g["code"].astype("string").fillna("").to_numpy()}, geometry=geoms, crs=4545
    )
    return frame.dissolve(by="code", as_index=False)


def land_legend_html(
    codes: list[str], colours: Mapping[str, str], names: Mapping[str, str], lang: str
) -> str:
    """Legend rows (escaped HTML) for the land-use classes present."""
    title = "用地用海（已导入）" if lang != "en" else "Land use (imported)"
    rows = [f"<h4>{esc(title)}</h4>"]
    for code in codes:
        colour = colours.get(code)
        name = names.get(code, "未识别代码" if lang != "en" else "unknown code")
        # the class without its explanation ("Industrial land, class 1 (little interference
        # or pollution)" → "Industrial land, class 1"): the tooltip has the whole name
        name = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", name) or name
        text = f"{code or '?'} {name}"
        if colour is None:
            text += " — 无标准色" if lang != "en" else " — no standard colour known"
        rows.append(
            f'<div><span class="wz-sw" style="background:{esc(colour or NO_COLOUR)};'
            f'display:inline-block;width:12px;height:12px;margin-right:4px"></span>'
            f"{esc(text)}</div>"
        )
    return "".join(rows)


def land_groups(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    colours: Mapping[str, str],
    names: Mapping[str, str],
    lang: str = "zh",
    gcj02: bool = False,
    tile_urls: Mapping[str, str] | None = None,
) -> list[folium.FeatureGroup]:
    """Feature groups for the imported layers (none for kinds not imported).

    Parameters
    ----------
    layers
        ``kind → GeoDataFrame`` with a CRS; the land-use frame has a ``code`` column (2023
        code, empty where unknown).
    colours
        ``code → #rrggbb`` (standard colours; missing codes are drawn grey and labelled).
    names
        ``code → name`` in ``lang``.
    lang
        ``"zh"`` or ``"en"``.
    gcj02
        Shift to GCJ-02 (drawing on Gaode tiles).
    tile_urls
        ``kind → URL template`` (``…/{z}/{x}/{y}.png``) of layers drawn as raster tiles
        instead of vectors (the tiles must be shifted to GCJ-02 already when ``gcj02``; the
        feature info on click is asked for the land-use tiles only).

    Returns
    -------
    list of folium.FeatureGroup
        Land use first, then 永久基本农田, 生态保护红线, 城镇开发边界; each hidden from the start
        only when not imported (then it is not returned at all).
    """
    groups: list[folium.FeatureGroup] = []
    k = 1 if lang == "en" else 0
    urls = tile_urls or {}
    lu = layers.get("landuse")
    if lu is not None and len(lu):
        fg = folium.FeatureGroup(name=_NAMES["landuse"][k], show=True)
        if "landuse" in urls:
            _tile_layer(urls["landuse"], _NAMES["landuse"][k]).add_to(fg)
            codes = set(lu["code"].astype("string").fillna("").to_numpy())
            present = sorted(c for c in codes if c) + ([""] if "" in codes else [])
        else:
            merged = _to_display(_merge_by_code(lu), gcj02=gcj02)
            merged["name"] = [names.get(c, c) for c in merged["code"]]
            merged["fill"] = [colours.get(c, NO_COLOUR) for c in merged["code"]]
            gj = folium.GeoJson(
                merged[["code", "name", "fill", "geometry"]].__geo_interface__,
                name=_NAMES["landuse"][k],
                style_function=lambda f: {
                    "fillColor": f["properties"]["fill"],
                    "color": "#666666",
                    "weight": 0.5,
                    "fillOpacity": 0.75,
                },
                tooltip=folium.GeoJsonTooltip(fields=["code", "name"], labels=False),
            )
            if shapely.get_num_coordinates(merged.geometry.to_numpy()).sum() > CANVAS_VERTICES:
                gj.add_child(_Canvas())
            gj.add_to(fg)
            present = [c for c in merged["code"] if c]
            if (merged["code"] == "").any():
                present.append("")
        from wzgeo.maps._html import Control

        fg.add_child(
            Control(
                land_legend_html(present, colours, names, lang),
                position="bottomleft",
                css_class="wz-box wz-legend wz-land-legend",
                with_layer=True,
            )
        )
        groups.append(fg)
    for kind in ("basic_farmland", "eco_redline", "dev_boundary"):
        gdf = layers.get(kind)
        if gdf is None or not len(gdf):
            continue
        if kind in urls:
            fg = folium.FeatureGroup(name=_NAMES[kind][k], show=True)
            _tile_layer(urls[kind], _NAMES[kind][k], info=False).add_to(fg)
            fg.add_child(_legend_control(redline_legend_html(kind, lang), position="topleft"))
            groups.append(fg)
            continue
        g = gdf.to_crs(epsg=4545)
        one = shapely.simplify(shapely.union_all(g.geometry.to_numpy()), SIMPLIFY_M)
        shown = _to_display(gpd.GeoDataFrame(geometry=[one], crs=4545), gcj02=gcj02)
        style = REDLINE_STYLES[kind]
        fg = folium.FeatureGroup(name=_NAMES[kind][k], show=True)
        gj = folium.GeoJson(
            shown.__geo_interface__,
            name=_NAMES[kind][k],
            style_function=lambda _f, s=style: dict(s),
            tooltip=_NAMES[kind][k],
        )
        if shapely.get_num_coordinates(one) > CANVAS_VERTICES:
            gj.add_child(_Canvas())
        gj.add_to(fg)
        # top left, under the zoom buttons: the land-use legend and the scale are bottom left
        fg.add_child(_legend_control(redline_legend_html(kind, lang), position="topleft"))
        groups.append(fg)
    return groups


def _legend_control(html_text: str, *, position: str) -> Any:
    from wzgeo.maps._html import Control

    return Control(
        html_text,
        position=position,
        css_class="wz-box wz-legend wz-land-legend",
        with_layer=True,
    )


def redline_legend_html(kind: str, lang: str) -> str:
    """One legend row (escaped HTML) for a red-line layer, in the symbol it is drawn with."""
    style = REDLINE_STYLES[kind]
    name = _NAMES[kind][1 if lang == "en" else 0]
    if style.get("fill", True):
        swatch = f"background:{esc(style['fillColor'])};border:2px solid {esc(style['color'])}"
    else:
        swatch = f"background:transparent;border:2px dashed {esc(style['color'])}"
    return (
        f'<div class="wz-redline" data-kind="{esc(kind)}"><span class="wz-sw" '
        f'style="{swatch}"></span>{esc(name)}</div>'
    )


def clip_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    bounds: tuple[float, float, float, float],
    *,
    margin_m: float,
    limit: int | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The layers cut to a neighbourhood: ``bounds`` (EPSG:4545 ``minx, miny, maxx, maxy``)
    grown by ``margin_m`` on each side.

    Only the features whose envelope meets the box are cut (spatial index), so a plot's
    neighbourhood in a district-size layer is drawn in a fraction of a second. Layers with
    nothing in the box — or, with ``limit``, more than ``limit`` features in it (too many to
    send as shapes) — are left out. The result is in EPSG:4545, with the layer's other
    columns (the land-use ``code``) kept.
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    rect = (x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, gdf in layers.items():
        g = gdf if gdf.crs is not None and gdf.crs.to_epsg() == 4545 else gdf.to_crs(4545)
        hits = g.sindex.query(shapely.box(*rect), predicate="intersects")
        if not len(hits) or (limit is not None and len(hits) > limit):
            continue
        part = g.iloc[sorted(hits)]
        cut = shapely.clip_by_rect(part.geometry.to_numpy(), *rect)
        keep = ~shapely.is_empty(cut)
        if not keep.any():
            continue
        out[kind] = gpd.GeoDataFrame(
            part.drop(columns=part.geometry.name).iloc[keep].reset_index(drop=True),
            geometry=cut[keep],
            crs=4545,
        )
    return out

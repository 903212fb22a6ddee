"""Safe HTML and JavaScript text in the map, and the Leaflet elements that carry it.

Every text that comes from data is HTML-escaped (:func:`esc`) and then embedded in
JavaScript as a JSON string literal with ``<``, ``>`` and ``&`` escaped (:func:`js_string`),
so a name such as ``<img src=x onerror=alert(1)>``, a backtick or ``${...}`` shows as text.
:class:`BindContent` binds such HTML as a tooltip or popup, :class:`Control` shows it in a
corner of the map, :class:`Css` adds a stylesheet, :class:`ProjectMarkers` draws many project
points as one GeoJSON layer whose tooltips, popups and icons are such pre-escaped HTML
(:func:`js_json` embeds the data).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template as FoliumTemplate
from jinja2 import Template

from wzgeo.labels import label
from wzgeo.maps._inputs import is_missing

__all__ = [
    "BindContent",
    "Control",
    "Css",
    "FitOnAdd",
    "KeepView",
    "LayerSwitcher",
    "ProjectMarkers",
    "ZoneMinSize",
    "bind_text",
    "esc",
    "field",
    "js_json",
    "js_string",
    "num_text",
]


def js_json(value: object) -> str:
    """A JSON value as a JavaScript literal safe inside ``<script>`` (no ``<``, ``>``, ``&``).

    Parameters
    ----------
    value
        Anything :func:`json.dumps` accepts (strings, numbers, lists, dicts).

    Returns
    -------
    str
        Compact JSON in which ``<``, ``>``, ``&``, U+2028 and U+2029 are ``\\u`` escapes
        (they can occur only inside string literals, so the value is unchanged).
    """
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def js_string(value: str) -> str:
    """A JSON string literal safe inside ``<script>`` (no ``<``, ``>``, ``&`` characters).

    Parameters
    ----------
    value
        Any text.

    Returns
    -------
    str
        The literal, quotes included.
    """
    return js_json(value)


def esc(value: object) -> str:
    """HTML-escaped text of a value (quotes too; ``None`` gives ``""``).

    Parameters
    ----------
    value
        Any value.

    Returns
    -------
    str
        Escaped text.
    """
    return html.escape("" if value is None else str(value), quote=True)


def num_text(value: object, unit_key: str, lang: str, *, digits: int = 2) -> str:
    """A number with thousands separators, trailing zeros dropped, and its unit label.

    Parameters
    ----------
    value
        The number; missing gives the "unknown" label, non-numeric text comes back escaped.
    unit_key
        Label key of the unit (e.g. ``"ui.unit_km2"``).
    lang
        ``"zh"`` or ``"en"``.
    digits
        Decimal places at most.

    Returns
    -------
    str
        E.g. ``"1,234.5 亩"``.
    """
    if is_missing(value):
        return label("ui.unknown", lang)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value)
    text = f"{number:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{number:,.0f}"
    return f"{text} {label(unit_key, lang)}"


def field(key: str, text: object, lang: str) -> str:
    """One ``label: value`` line of a tooltip, both parts escaped.

    Parameters
    ----------
    key
        Label key of the field.
    text
        The value's text.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        Escaped HTML.
    """
    return f"{esc(label(key, lang))}: {esc(text)}"


class BindContent(MacroElement):
    """Bind an escaped HTML tooltip or popup to the parent layer.

    Parameters
    ----------
    html_text
        Escaped HTML.
    kind
        ``"Tooltip"`` or ``"Popup"``.
    options
        Leaflet options of the tooltip or popup.
    """

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
        self.content = js_string(html_text)
        self.options = json.dumps(dict(options or {}))


def bind_text(layer: Element, html_text: str, *, sticky: bool, popup: bool) -> None:
    """Show the same escaped HTML as the layer's tooltip and, optionally, its popup.

    Parameters
    ----------
    layer
        A folium layer (GeoJson, Marker).
    html_text
        Escaped HTML.
    sticky
        The tooltip follows the mouse.
    popup
        Also bind it as a popup (up to 360 px wide).
    """
    tooltip_options = {"sticky": True} if sticky else {}
    layer.add_child(BindContent(html_text, kind="Tooltip", options=tooltip_options))
    if popup:
        layer.add_child(BindContent(html_text, kind="Popup", options={"maxWidth": 360}))


class Control(MacroElement):
    """A Leaflet control showing a block of (already escaped) HTML.

    Parameters
    ----------
    html_text
        Escaped HTML.
    position
        Leaflet position, e.g. ``"bottomright"``.
    css_class
        Class names of the control's ``div``.
    with_layer
        The parent is a layer (e.g. a ``folium.FeatureGroup``), not the map: the control is
        shown while that layer is on the map and removed with it (so a layer swapped by
        ``st_folium(feature_group_to_add=...)`` brings and takes away its own legend).
    legend_layers
        For a legend (a ``<details>`` block): section name → feature group. Each element
        of the HTML with ``data-layer="<section>"`` is shown only while that group is on the
        map; the legend's open/closed state is remembered in the browser (``localStorage``,
        key ``wz-legend-open``) across reruns and pages; the legend hides while a popup is
        open, so it never covers one.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var c=L.control({position:{{ this.position }}});"
        "c.onAdd=function(map){var d=L.DomUtil.create('div',{{ this.css_class }});"
        "d.innerHTML={{ this.content }};L.DomEvent.disableClickPropagation(d);"
        "L.DomEvent.disableScrollPropagation(d);"
        "{% if this.legend_layers %}"
        "var det=d.querySelector('details');"
        "try{var k='wz-legend-open',v=window.localStorage.getItem(k);"
        "if(det&&v!==null){det.open=(v==='1');}"
        "if(det){det.addEventListener('toggle',function(){"
        "window.localStorage.setItem(k,det.open?'1':'0');});}}catch(e){}"
        "var g={ {%- for key, group in this.legend_layers.items() %}"
        "{{ key|tojson }}:function(){try{return {{ group.get_name() }};}catch(e){return null;}},"
        "{%- endfor %} };"
        "var sync=function(){d.querySelectorAll('[data-layer]').forEach(function(s){"
        "var f=g[s.getAttribute('data-layer')],l=f&&f();"
        "s.style.display=(l&&map.hasLayer(l))?'':'none';});};"
        "var hide=function(){d.style.visibility='hidden';},"
        "show=function(){d.style.visibility='';};"
        "c._wzOn={overlayadd:sync,overlayremove:sync,popupopen:hide,popupclose:show};"
        "map.on(c._wzOn);setTimeout(sync,0);"
        "{% endif %}"
        "return d;};"
        "c.onRemove=function(map){if(c._wzOn){map.off(c._wzOn);}};"
        "{% if this.with_layer %}var p={{ this._parent.get_name() }};"
        "p.on('add',function(){c.addTo(p._map);});p.on('remove',function(){c.remove();});"
        "{% else %}c.addTo({{ this._parent.get_name() }});{% endif %}})();"
        "{% endmacro %}"
    )

    def __init__(
        self,
        html_text: str,
        *,
        position: str,
        css_class: str,
        with_layer: bool = False,
        legend_layers: Mapping[str, Element] | None = None,
    ):
        super().__init__()
        self._name = "Control"
        self.with_layer = with_layer
        self.position = js_string(position)
        self.css_class = js_string(css_class)
        self.content = js_string(html_text)
        self.legend_layers = dict(legend_layers or {})


class Css(MacroElement):
    """A ``<style>`` block in the page header.

    Parameters
    ----------
    css
        The stylesheet (trusted text, not from data).
    """

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
    )

    def __init__(self, css: str):
        super().__init__()
        self._name = "Css"
        self.css = css


class ProjectMarkers(MacroElement):
    """Project points as one Leaflet GeoJSON layer of ``L.divIcon`` markers.

    One element (one template) draws any number of projects, instead of a folium ``Marker``,
    ``DivIcon``, tooltip and popup per project. Each feature's ``properties`` carry:

    ``html``
        Escaped HTML, bound as the marker's tooltip and popup (up to 360 px wide).
    ``icon``
        Escaped HTML of the marker's icon (class ``wz-proj``).
    ``size``
        Icon diameter in pixels; the icon is anchored at its centre.
    ``hl``
        Highlighted: drawn above the other markers.

    The data are embedded with :func:`js_json`, so no text of them can end the script.

    Parameters
    ----------
    features
        GeoJSON point features ([lon, lat]) with the properties above.
    clustered
        The parent is a ``MarkerCluster``: its ``addLayers`` receives the markers (so they are
        clustered), and a click on a bubble zooms in and lists the bubble's projects in a
        popup (the projects of a zone share its point: zooming alone cannot part them, and
        a spiderfy of dozens of markers covered the district); otherwise the GeoJSON layer
        is added to the parent as it is.
    list_title
        Title of that list (escaped text), e.g. "重点项目".
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {pointToLayer: function(f, ll) {"
        "var p = f.properties, s = p.size, h = Math.floor(s / 2);"
        "var m = L.marker(ll, {icon: L.divIcon({html: p.icon, iconSize: [s, s], "
        "iconAnchor: [h, h], className: 'wz-proj-icon'}), zIndexOffset: p.hl ? 1000 : 0});"
        "m.bindTooltip(p.html, {});m.bindPopup(p.html, {maxWidth: 360});return m;}});"
        "{% if this.clustered %}"
        "{{ this._parent.get_name() }}.addLayers({{ this.get_name() }}.getLayers());"
        "{{ this._parent.get_name() }}.on('clusterclick',function(e){var c=e.layer,"
        "m=c._map||e.target._map;if(!m){return;}var ks=c.getAllChildMarkers(),"
        "items=ks.map(function(k){return '<li>'+k.feature.properties.html.split('<br>')[0]"
        "+'</li>';});m.setView(c.getLatLng(),Math.min(Math.max(m.getZoom()+2,14),"
        "m.getMaxZoom()),{animate:false});L.popup({maxWidth:360,maxHeight:260})"
        ".setLatLng(c.getLatLng()).setContent('<div class=\"wz-cluster-list\"><b>'"
        "+{{ this.list_title }}+' ('+ks.length+')</b><ol>'+items.join('')+'</ol></div>')"
        ".openOn(m);});"
        "{% else %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}"
        "{% endmacro %}"
    )

    def __init__(self, features: list[dict[str, Any]], *, clustered: bool, list_title: str = ""):
        super().__init__()
        self._name = "ProjectMarkers"
        self.clustered = clustered
        self.list_title = js_string(esc(list_title))
        self.data = js_json({"type": "FeatureCollection", "features": features})


class FitOnAdd(MacroElement):
    """Fit the map's view to bounds when the parent layer is added to the map.

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` in degrees ([lat, lon]).
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var p={{ this._parent.get_name() }};"
        "p.on('add',function(){p._map.fitBounds({{ this.bounds }},"
        "{paddingTopLeft:[10,120],paddingBottomRight:[10,40]});});})();"
        "{% endmacro %}"
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "FitOnAdd"
        self.bounds = js_json([[float(v) for v in corner] for corner in bounds])


class ZoneMinSize(MacroElement):
    """Zones drawn smaller than ``min_px`` on screen also get a dot of that size.

    Added to the zones' feature group: at every zoom, each zone polygon narrower and lower
    than ``min_px`` pixels gets a circle of ``min_px`` diameter (its fill and outline style,
    its tooltip) at its centre, so no zone is a speck; the dots go when the zone is large
    enough, or with the group.

    Parameters
    ----------
    min_px
        The smallest on-screen size, in pixels.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var g={{ this._parent.get_name() }},px={{ this.min_px }},"
        "dots=L.layerGroup(),on=null;"
        "function each(f){g.eachLayer(function(gj){if(gj.eachLayer){gj.eachLayer("
        "function(l){f(l,gj);});}else{f(gj,gj);}});}"
        "function upd(){var m=g._map;dots.clearLayers();if(!m){return;}"
        "each(function(l,gj){if(!l.getBounds){return;}var b=l.getBounds(),"
        "a=m.latLngToContainerPoint(b.getSouthWest()),c=m.latLngToContainerPoint("
        "b.getNorthEast());if(Math.max(c.x-a.x,a.y-c.y)>=px){return;}var o=l.options,"
        "d=L.circleMarker(b.getCenter(),{radius:px/2,color:o.color,weight:2,"
        "dashArray:o.dashArray,fillColor:o.fillColor,fillOpacity:0.6,"
        "className:'wz-zone-dot'});var t=gj.getTooltip&&gj.getTooltip();"
        "if(t){d.bindTooltip(t.getContent(),{sticky:true});}dots.addLayer(d);});}"
        "function add(){var m=g._map;if(!m){return;}on=m;dots.addTo(m);m.on('zoomend',upd);"
        "upd();}"
        "g.on('add',add);g.on('remove',function(){if(on){on.off('zoomend',upd);"
        "on.removeLayer(dots);on=null;}});if(g._map){add();}})();"
        "{% endmacro %}"
    )

    def __init__(self, min_px: int = 14):
        super().__init__()
        self._name = "ZoneMinSize"
        self.min_px = int(min_px)


class KeepView(MacroElement):
    """Remember the map's view in the browser tab (``sessionStorage``) and reopen on it.

    For the app's map, which is re-created when the basemap or the language changes or
    after a visit to another page: the view the user had comes back instead of the default
    one. A fresh tab opens on the default view. (A later focus, e.g. on a filtered zone,
    still wins: it is fitted after the map is created.)

    Parameters
    ----------
    key
        The ``sessionStorage`` key.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var m={{ this._parent.get_name() }},k={{ this.key }};"
        "try{var v=JSON.parse(window.sessionStorage.getItem(k)||'null');"
        "if(v&&isFinite(v.lat)&&isFinite(v.lng)&&isFinite(v.zoom)){"
        "m.setView([v.lat,v.lng],v.zoom,{animate:false});}}catch(e){}"
        "m.on('moveend',function(){try{var c=m.getCenter();window.sessionStorage.setItem(k,"
        "JSON.stringify({lat:c.lat,lng:c.lng,zoom:m.getZoom()}));}catch(e){}});})();"
        "{% endmacro %}"
    )

    def __init__(self, key: str = "wz-view"):
        super().__init__()
        self._name = "KeepView"
        self.key = js_string(key)


class LayerSwitcher(folium.LayerControl):
    """``folium.LayerControl`` that also hides the overlays created with ``show=False``.

    ``st_folium(feature_group_to_add=...)`` adds every dynamic feature group to the map; its
    ``layer_control`` script runs after them, so this control takes the hidden ones off again
    (they stay listed, unticked, in the control). It also forgets the groups of earlier
    swaps, which ``st_folium``'s frontend keeps in ``window.feature_group`` after taking them
    off the map (so a long session does not keep every earlier layer in memory): when this
    script runs, the groups on the map are exactly the ones just added.
    """

    _template = FoliumTemplate(
        "{% macro script(this, kwargs) %}"
        "if (Array.isArray(window.feature_group)) {window.feature_group = "
        "window.feature_group.filter(function(l){"
        "return {{ this._parent.get_name() }}.hasLayer(l);});}"
        "var {{ this.get_name() }}_layers = {base_layers: { "
        "{%- for key, val in this.base_layers.items() %}{{ key|tojson }}: {{ val }},"
        "{%- endfor %} }, overlays: { "
        "{%- for key, val in this.overlays.items() %}{{ key|tojson }}: {{ val }},"
        "{%- endfor %} }};"
        "var {{ this.get_name() }} = L.control.layers("
        "{{ this.get_name() }}_layers.base_layers, {{ this.get_name() }}_layers.overlays, "
        "{{ this.options|tojavascript }}).addTo({{ this._parent.get_name() }});"
        "{%- for val in this.hidden %}{{ this._parent.get_name() }}.removeLayer({{ val }});"
        "{%- endfor %}"
        "{% endmacro %}"
    )

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Render, recording the overlays to hide."""
        parent = self._parent
        assert parent is not None, "add the control to a map first"
        self.hidden = [
            item.get_name()
            for item in parent._children.values()
            if isinstance(item, folium.map.Layer) and item.control and not item.show
        ]
        super().render(**kwargs)

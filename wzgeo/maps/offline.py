"""Make folium maps work without internet: Leaflet and plugin assets from installed packages.

folium points every element's ``default_js`` / ``default_css`` at public CDNs (the jsDelivr,
cdnjs, jQuery and Bootstrap hosts). No CDN is reachable where wzgeo runs, so
:func:`use_offline_assets` rewrites them on a map's elements:

* Leaflet 1.9.3 (PyPI ``xstatic-leaflet``), Leaflet.markercluster 1.4.1 (PyPI
  ``xstatic-leaflet-markercluster``) and Leaflet.draw 1.0.4 (npm ``leaflet-draw``, vendored in
  ``wzgeo/assets/leaflet-draw``) become ``data:`` URIs; images referenced from their CSS are
  inlined as ``data:`` URIs too;
* jQuery, Bootstrap, Font Awesome, glyphicons and awesome-markers, which wzgeo maps do not use,
  are dropped (so ``folium.Icon`` is not available; use circle markers or ``DivIcon``);
* any other external URL raises :class:`OfflineAssetError` rather than leaving a request to a
  host in the page.

``data:`` URIs are what streamlit-folium needs: its frontend (``streamlit_folium/frontend``)
bundles no Leaflet; it loads each element's ``default_js`` URL with a ``<script src>`` and
each ``default_css`` URL with a ``<link>``, and drops ``<script src>``/``<link>`` tags from the
header. So ``st_folium(use_offline_assets(m), ...)`` runs with no request leaving the app.

:func:`offline_html` renders a self-contained HTML file in which the assets are inlined as
``<script>``/``<style>`` blocks.
"""

from __future__ import annotations

import base64
import functools
import importlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import folium

from wzgeo.errors import WzgeoError

__all__ = [
    "ASSETS",
    "OfflineAssetError",
    "asset_data_uri",
    "asset_text",
    "external_asset_urls",
    "offline_html",
    "use_offline_assets",
]

logger = logging.getLogger(__name__)

_ASSET_DIR: Final = Path(__file__).resolve().parents[1] / "assets"


class OfflineAssetError(WzgeoError):
    """A map element needs a browser asset that wzgeo cannot provide offline."""


@dataclass(frozen=True)
class _Asset:
    kind: str  # "js" or "css"
    source: str  # "xstatic:<module>" or "wzgeo"
    relpath: str


ASSETS: Final[dict[str, _Asset]] = {
    "leaflet_js": _Asset("js", "xstatic:xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet_css": _Asset("css", "xstatic:xstatic.pkg.leaflet", "leaflet.css"),
    "markercluster_js": _Asset(
        "js", "xstatic:xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"
    ),
    "markercluster_css": _Asset(
        "css", "xstatic:xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"
    ),
    "markercluster_default_css": _Asset(
        "css", "xstatic:xstatic.pkg.leaflet_markercluster", "MarkerCluster.Default.css"
    ),
    "draw_js": _Asset("js", "wzgeo", "leaflet-draw/leaflet.draw.js"),
    "draw_css": _Asset("css", "wzgeo", "leaflet-draw/leaflet.draw.css"),
}

# basename of a CDN URL -> local asset name, or None to drop it
_URL_MAP: Final[dict[str, str | None]] = {
    "leaflet.js": "leaflet_js",
    "leaflet.css": "leaflet_css",
    "leaflet.markercluster.js": "markercluster_js",
    "MarkerCluster.css": "markercluster_css",
    "MarkerCluster.Default.css": "markercluster_default_css",
    "leaflet.draw.js": "draw_js",
    "leaflet.draw.css": "draw_css",
    # not used by wzgeo maps: dropped
    "jquery-3.7.1.min.js": None,
    "bootstrap.bundle.min.js": None,
    "bootstrap.min.css": None,
    "bootstrap-glyphicons.css": None,
    "all.min.css": None,
    "leaflet.awesome-markers.js": None,
    "leaflet.awesome-markers.css": None,
    "leaflet.awesome.rotate.min.css": None,
}

_MIME: Final = {
    "js": "text/javascript",
    "css": "text/css",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def _asset_path(asset: _Asset) -> Path:
    if asset.source == "wzgeo":
        return _ASSET_DIR / asset.relpath
    module = importlib.import_module(asset.source.removeprefix("xstatic:"))
    return Path(module.BASE_DIR) / asset.relpath


def _file_data_uri(path: Path) -> str:
    mime = _MIME[path.suffix.lstrip(".")]
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


_CSS_URL = re.compile(r"""url\(\s*['"]?(images/[^'")]+)['"]?\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)

# Leaflet's default marker icon normally loads marker-icon.png next to leaflet.css; point it
# at inlined images instead (imagePath "" + a data: URI).
_ICON_PATCH: Final = (
    "\n;(function(){{var D=L.Icon.Default;D.imagePath='';D.mergeOptions({{"
    "iconUrl:'{icon}',iconRetinaUrl:'{icon2x}',shadowUrl:'{shadow}'}});}})();\n"
)


@functools.cache
def asset_text(name: str) -> str:
    """Return the text of a browser asset, ready to inline.

    CSS ``url(images/...)`` references become ``data:`` URIs, source-map comments are
    removed, and Leaflet's default marker icon is pointed at inlined images.

    Parameters
    ----------
    name
        A key of :data:`ASSETS`.
    """
    if name not in ASSETS:
        raise OfflineAssetError(
            f"未知的离线资源 {name!r}，可用：{', '.join(ASSETS)}。",
            f"Unknown offline asset {name!r}; known: {', '.join(ASSETS)}.",
        )
    asset = ASSETS[name]
    path = _asset_path(asset)
    text = path.read_text(encoding="utf-8")
    text = _SOURCE_MAP.sub("", text)
    if asset.kind == "css":
        base = path.parent

        def inline(match: re.Match[str]) -> str:
            return f"url('{_file_data_uri(base / match.group(1))}')"

        text = _CSS_URL.sub(inline, text)
    if name == "leaflet_js":
        images = path.parent / "images"
        text += _ICON_PATCH.format(
            icon=_file_data_uri(images / "marker-icon.png"),
            icon2x=_file_data_uri(images / "marker-icon-2x.png"),
            shadow=_file_data_uri(images / "marker-shadow.png"),
        )
    if "</script" in text.lower() or "</style" in text.lower():  # pragma: no cover - guard
        raise OfflineAssetError(
            f"资源 {name} 含有不能内联的结束标签。",
            f"Asset {name} contains a closing tag and cannot be inlined.",
        )
    return text


@functools.cache
def asset_data_uri(name: str) -> str:
    """Return an asset as a base64 ``data:`` URI (see :func:`asset_text`)."""
    mime = _MIME[ASSETS[name].kind] if name in ASSETS else "text/plain"
    return f"data:{mime};base64," + base64.b64encode(asset_text(name).encode("utf-8")).decode(
        "ascii"
    )


def _localise(links: list[tuple[str, str]], element: object) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, url in links:
        if url.startswith("data:"):
            out.append((key, url))
            continue
        base = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if base not in _URL_MAP:
            raise OfflineAssetError(
                f"地图元素 {type(element).__name__} 需要外部资源 {url}，无法离线提供；"
                "请不要使用该插件，或把资源加入 wzgeo/assets。",
                f"Map element {type(element).__name__} needs the external asset {url}, which "
                "cannot be provided offline; do not use that plugin or add the asset to "
                "wzgeo/assets.",
            )
        local = _URL_MAP[base]
        if local is None:
            logger.debug("dropping unused asset %s of %s", url, type(element).__name__)
            continue
        out.append((key, asset_data_uri(local)))
    return out


def _walk(element: object) -> list[object]:
    found = [element]
    for child in getattr(element, "_children", {}).values():
        found.extend(_walk(child))
    return found


def use_offline_assets(m: folium.Map) -> folium.Map:
    """Point every element of a map at inlined assets instead of CDNs (in place).

    Works for folium's own rendering and for ``streamlit_folium.st_folium``.

    Parameters
    ----------
    m
        The map; its elements' ``default_js``/``default_css`` are replaced on the instances.

    Returns
    -------
    folium.Map
        The same map, for chaining.

    Raises
    ------
    OfflineAssetError
        If an element needs an external asset that wzgeo cannot provide.
    """
    for element in _walk(m):
        if isinstance(element, folium.elements.JSCSSMixin):
            element.default_js = _localise(list(element.default_js), element)
            element.default_css = _localise(list(element.default_css), element)
    return m


_DATA_SCRIPT = re.compile(r'<script src="data:text/javascript;base64,([A-Za-z0-9+/=]+)"></script>')
_DATA_LINK = re.compile(r'<link rel="stylesheet" href="data:text/css;base64,([A-Za-z0-9+/=]+)"/>')
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)"""
    r"""|url\(\s*["']?((?:https?:)?//[^"')]+)""",
    re.IGNORECASE,
)


def external_asset_urls(html: str) -> list[str]:
    """Return every external URL the page would load as an asset (script, style, image).

    Tile URL templates inside JavaScript strings are not assets and are not returned.
    """
    return [a or b for a, b in _EXTERNAL.findall(html)]


def offline_html(m: folium.Map) -> str:
    """Render a map as one self-contained HTML document (all JS and CSS inlined).

    Calls :func:`use_offline_assets` on the map first (in place).

    Returns
    -------
    str
        The HTML; opened from disk it requests nothing but the basemap tiles.

    Raises
    ------
    OfflineAssetError
        If any external asset would remain.
    """
    use_offline_assets(m)
    html = m.get_root().render()

    def script(match: re.Match[str]) -> str:
        return "<script>" + base64.b64decode(match.group(1)).decode("utf-8") + "</script>"

    def style(match: re.Match[str]) -> str:
        return "<style>" + base64.b64decode(match.group(1)).decode("utf-8") + "</style>"

    html = _DATA_LINK.sub(style, _DATA_SCRIPT.sub(script, html))
    left = external_asset_urls(html)
    if left:
        raise OfflineAssetError(
            f"地图仍引用外部资源：{', '.join(left)}",
            f"The map still references external assets: {', '.join(left)}",
        )
    return html

"""Maps: the folium map of district, zones and projects, its styles and legend, the
self-contained HTML export and the offline front-end assets; the print map (PNG/PDF/SVG with
title, legend, scale bar, north arrow and sources). Imports geo, plan and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.maps import basemaps, landlayers, landtiles, offline, plotmap, printmap, webmap
    from wzgeo.maps.printmap import export_print_map, render_print_map
    from wzgeo.maps.webmap import build_map, export_map_html

__all__ = [
    "basemaps",
    "build_map",
    "export_map_html",
    "export_print_map",
    "landlayers",
    "landtiles",
    "offline",
    "plotmap",
    "printmap",
    "render_print_map",
    "webmap",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=["basemaps", "landlayers", "landtiles", "offline", "plotmap", "printmap", "webmap"],
    names={
        "build_map": "webmap",
        "export_map_html": "webmap",
        "export_print_map": "printmap",
        "render_print_map": "printmap",
    },
)

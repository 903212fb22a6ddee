"""Web maps: the folium map of district, zones and projects, its styles and legend, the
self-contained HTML export and the offline front-end assets. Imports geo, plan and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.maps import offline, webmap
    from wzgeo.maps.webmap import build_map, export_map_html

__all__ = ["build_map", "export_map_html", "offline", "webmap"]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=["offline", "webmap"],
    names={"build_map": "webmap", "export_map_html": "webmap"},
)

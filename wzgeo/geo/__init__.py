"""Geometry facts: CRSs and the GCJ-02 shift, units, the base layers (district, river,
townships) and the zones' geometry (schematic or official). Imports plan and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.geo import basedata, crs, units, validity, zonegeom
    from wzgeo.geo.basedata import load_district, load_river, load_townships
    from wzgeo.geo.zonegeom import load_zone_geometry

__all__ = [
    "basedata",
    "crs",
    "load_district",
    "load_river",
    "load_townships",
    "load_zone_geometry",
    "units",
    "validity",
    "zonegeom",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=["basedata", "crs", "units", "validity", "zonegeom"],
    names={
        "load_district": "basedata",
        "load_river": "basedata",
        "load_townships": "basedata",
        "load_zone_geometry": "zonegeom",
    },
)

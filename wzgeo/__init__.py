"""wzgeo — Wanzhou (万州区) industrial park and land-use explorer.

Data sources → domain tables → analysis → maps and reports → app and CLI. Each public module
is imported here explicitly (see ``docs/ARCHITECTURE.md`` for the layers); the Streamlit
pieces (:mod:`wzgeo.appstate`, :mod:`wzgeo.pages`) are not, so the library imports without
Streamlit running.
"""

from importlib.metadata import PackageNotFoundError, version

from wzgeo import (
    auth,
    balance,
    basedata,
    crs,
    intensity,
    labels,
    maps,
    offline,
    overlays,
    paths,
    plandata,
    planparse,
    plotcheck,
    plotio,
    quality,
    reconcile,
    rules,
    savededits,
    savedwork,
    sectorfit,
    siting,
    store,
    storetransfer,
    units,
    workspace,
    zonegeom,
)
from wzgeo._errors import CRSError, DataFileError, InputFileError, WzgeoError, WzgeoTypeError

try:
    __version__ = version("wzgeo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "CRSError",
    "DataFileError",
    "InputFileError",
    "WzgeoError",
    "WzgeoTypeError",
    "__version__",
    "auth",
    "balance",
    "basedata",
    "crs",
    "intensity",
    "labels",
    "maps",
    "offline",
    "overlays",
    "paths",
    "plandata",
    "planparse",
    "plotcheck",
    "plotio",
    "quality",
    "reconcile",
    "rules",
    "savededits",
    "savedwork",
    "sectorfit",
    "siting",
    "store",
    "storetransfer",
    "units",
    "workspace",
    "zonegeom",
]

"""wzgeo — Wanzhou (万州区) industrial park and land-use explorer.

Data sources → domain tables → analysis → maps and reports → app and CLI. Each public module
is listed here (see ``docs/ARCHITECTURE.md`` for the layers) and imported on first use; the
Streamlit pieces (:mod:`wzgeo.appstate`, :mod:`wzgeo.pages`) are not listed, so the library
works without Streamlit running.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from wzgeo._errors import CRSError, DataFileError, InputFileError, WzgeoError, WzgeoTypeError

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
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
        sitingcache,
        store,
        storetransfer,
        units,
        workspace,
        zonegeom,
    )


def __getattr__(name: str) -> Any:
    """The public modules (lower-case names in ``__all__``) are imported on first use
    (``wzgeo.maps`` or ``from wzgeo import maps``): ``import wzgeo`` stays cheap, so a command
    or the app server pays only for what it uses."""
    if name in _MODULES:
        return importlib.import_module(f"wzgeo.{name}")
    raise AttributeError(f"module 'wzgeo' has no attribute {name!r}")


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
    "sitingcache",
    "store",
    "storetransfer",
    "units",
    "workspace",
    "zonegeom",
]

_MODULES = frozenset(n for n in __all__ if n.islower() and not n.startswith("_"))

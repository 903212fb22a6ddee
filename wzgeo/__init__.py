"""wzgeo — Wanzhou (万州区) industrial park and land-use explorer.

Subpackages by layer, lowest first: ``plan`` (plan text → tables), ``geo`` (CRS, units, base
layers, zone geometry), then ``plots`` / ``analysis`` / ``maps``, then ``store`` (saved work),
then ``app`` and ``cli`` (see ``docs/ARCHITECTURE.md``). The library's subpackages are listed
here and imported on first use; the Streamlit app (:mod:`wzgeo.app`) and the command line
(:mod:`wzgeo.cli`) are not listed, so the library works without Streamlit running.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from wzgeo.errors import CRSError, DataFileError, InputFileError, WzgeoError, WzgeoTypeError

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo import analysis, geo, labels, maps, paths, plan, plots, store


def __getattr__(name: str) -> Any:
    """The public modules (lower-case names in ``__all__``) are imported on first use
    (``wzgeo.maps.webmap`` or ``from wzgeo import maps``): ``import wzgeo`` stays cheap, so a
    command
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
    "analysis",
    "geo",
    "labels",
    "maps",
    "paths",
    "plan",
    "plots",
    "store",
]

_MODULES = frozenset(n for n in __all__ if n.islower() and not n.startswith("_"))

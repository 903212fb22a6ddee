"""wzgeo — Wanzhou (万州区) industrial park and land-use explorer.

Data sources → domain model → analysis → maps and reports → app and CLI. Each public module
is imported here explicitly.
"""

from importlib.metadata import PackageNotFoundError, version

from wzgeo import paths, units
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
    "paths",
    "units",
]

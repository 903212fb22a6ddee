"""Plot import: every supported file format, CRS decision, validation and repair; one
``read_plots`` for the app, the CLI and the notebooks. Imports geo, plan and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.plots import io, layers
    from wzgeo.plots._crs import parse_crs_arg
    from wzgeo.plots.io import SUPPORTED_FORMATS, PlotImport, read_plots

__all__ = ["SUPPORTED_FORMATS", "PlotImport", "io", "layers", "parse_crs_arg", "read_plots"]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=["io", "layers"],
    names={
        "PlotImport": "io",
        "parse_crs_arg": "_crs",
        "SUPPORTED_FORMATS": "io",
        "read_plots": "io",
    },
)

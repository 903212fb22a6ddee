"""Reports: documents built from the analyses and the maps — the plot-check report as PDF
(archiving), DOCX (editable) and HTML. Imports maps, analysis, plots, geo, plan and the top
level; a sibling of store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.reports import plotreport
    from wzgeo.reports.plotreport import build_plot_report, render_report

__all__ = ["build_plot_report", "plotreport", "render_report"]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=["plotreport"],
    names={"build_plot_report": "plotreport", "render_report": "plotreport"},
)

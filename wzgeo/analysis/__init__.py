"""Analyses on the plan's tables and the zones' geometry: output intensity, sector fit, land
balance, siting, control rules, the plot check and its one-sentence answer. Imports geo, plan
and the top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.analysis import (
        answer,
        balance,
        distributed,
        intensity,
        landdemo,
        landuse,
        plotcheck,
        rules,
        sectorfit,
        siting,
        sitingcache,
    )
    from wzgeo.analysis.plotcheck import PlotCheck, check_plot_layer, check_plots

__all__ = [
    "PlotCheck",
    "answer",
    "balance",
    "check_plot_layer",
    "check_plots",
    "distributed",
    "intensity",
    "landdemo",
    "landuse",
    "plotcheck",
    "rules",
    "sectorfit",
    "siting",
    "sitingcache",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=[
        "answer",
        "balance",
        "distributed",
        "intensity",
        "landdemo",
        "landuse",
        "plotcheck",
        "rules",
        "sectorfit",
        "siting",
        "sitingcache",
    ],
    names={"PlotCheck": "plotcheck", "check_plot_layer": "plotcheck", "check_plots": "plotcheck"},
)

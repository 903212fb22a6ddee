"""Plan text → tables: the plan's zones, projects, indicators and targets, with the
extraction's quality report. Imports only the top-level vocabulary (errors, paths, labels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wzgeo._lazy import lazy_face

if TYPE_CHECKING:  # for type checkers and readers; at run time they load on first use
    from wzgeo.plan import (
        appendix,
        crosschecks,
        data,
        parse,
        placenames,
        projecttable,
        quality,
        reconcile,
        repairs,
        schema,
        similarity,
        tables,
        targets,
        text,
        validate,
    )
    from wzgeo.plan.data import (
        build_data,
        load_indicators,
        load_projects,
        load_sectors,
        load_targets,
        load_zones,
    )
    from wzgeo.plan.parse import parse_plan

__all__ = [
    "appendix",
    "build_data",
    "crosschecks",
    "data",
    "load_indicators",
    "load_projects",
    "load_sectors",
    "load_targets",
    "load_zones",
    "parse",
    "parse_plan",
    "placenames",
    "projecttable",
    "quality",
    "reconcile",
    "repairs",
    "schema",
    "similarity",
    "tables",
    "targets",
    "text",
    "validate",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    modules=[
        "appendix",
        "crosschecks",
        "data",
        "parse",
        "placenames",
        "projecttable",
        "quality",
        "reconcile",
        "repairs",
        "schema",
        "similarity",
        "tables",
        "targets",
        "text",
        "validate",
    ],
    names={
        "build_data": "data",
        "load_indicators": "data",
        "load_projects": "data",
        "load_sectors": "data",
        "load_targets": "data",
        "load_zones": "data",
        "parse_plan": "parse",
    },
)

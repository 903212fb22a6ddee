"""Overlay the saved work on the shipped plan tables (pure functions: new tables out).

Analyses read the shipped ``geodata/`` tables and lay the users' saved work over them: the
plan's value stays beside the user's in its own column, and every overlaid row says who
changed it, when and why. The store's read methods (``Store.assignments()``,
``Store.zone_boundaries()``, ``Store.sector_fit_edits()``, ``Store.land_rule_edits()``,
``Store.sector_landclass_edits()``) give
the second argument of each function.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wzgeo.errors import WzgeoTypeError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "LAND_RULE_KEY",
    "apply_assignments",
    "apply_land_rule_edits",
    "apply_sector_fit_edits",
    "apply_sector_landclass_edits",
    "apply_zone_boundaries",
    "land_rule_id",
]

logger = logging.getLogger(__name__)

LAND_RULE_KEY = ("indicator", "gbt4754_code", "edition")
_EDITED = ("edited_by", "edited_at", "edited_why")


def _with_edit_columns(table: pd.DataFrame, source_col: str, source: str) -> pd.DataFrame:
    """A copy of ``table`` with ``source_col`` = ``source`` and empty ``edited_*`` columns."""
    import pandas as pd

    out = table.copy()
    out[source_col] = source
    for col in _EDITED:
        out[col] = pd.Series(pd.NA, index=out.index, dtype="object")
    return out


def _edit_meta(edit: Mapping[Any, Any], source_col: str) -> dict[str, Any]:
    """The provenance columns of one overlaid edit (a row of a ``Store.*_edits()`` table)."""
    return {
        source_col: "user edit",
        "edited_by": edit["by_user"],
        "edited_at": edit["at"],
        "edited_why": edit["why"],
    }


def apply_assignments(
    projects: pd.DataFrame, assignments: pd.DataFrame | Mapping[str, str]
) -> pd.DataFrame:
    """Overlay the store's assignments on the plan's project table.

    Plan zones are never overwritten silently: the plan's zone stays in ``plan_zone_id``,
    the user's in ``assigned_zone_id``; ``zone_id`` becomes the assigned zone where there is
    one. Projects the plan already located in a *different* zone are flagged
    (``differs_from_plan``) and logged.

    Parameters
    ----------
    projects
        The plan table; needs ``project_id`` and ``zone_id`` (may be empty for unlocated
        projects). ``location_label`` is kept where present.
    assignments
        :meth:`Store.assignments` (``project_id``, ``zone_id``, ``by_user``, ``at``, ``why``),
        or a plain mapping ``{project_id: zone_id}`` (e.g. a session's unsaved choices).

    Returns
    -------
    pandas.DataFrame
        A new frame: the input columns plus ``plan_zone_id``, ``assigned_zone_id``,
        ``assigned_by``, ``assigned_at``, ``assigned_why``, ``differs_from_plan``;
        ``location_label`` is ``"assigned"`` where an assignment applies, and
        ``location_source`` is ``"assigned"``, ``"plan"`` (the plan names the zone) or ``""``.
        If the table has ``zone_source`` it becomes ``"assigned"`` there too, the plan's
        value kept in ``plan_zone_source``.
    """
    import pandas as pd

    if isinstance(assignments, Mapping):
        assignments = pd.DataFrame(
            {"project_id": list(assignments), "zone_id": list(assignments.values())},
            dtype="object",
        )

    for col in ("project_id", "zone_id"):
        if col not in projects.columns or col not in assignments.columns:
            raise WzgeoTypeError(
                f"apply_assignments 需要两张表都有列 '{col}'。",
                f"apply_assignments needs column '{col}' in both tables.",
            )
    out = projects.copy()
    by_project = assignments.drop_duplicates("project_id", keep="last").set_index("project_id")
    by_project.index = by_project.index.astype(str)

    def _clean(value: object) -> str | None:
        return None if value is None or pd.isna(value) or str(value) == "" else str(value)  # type: ignore[call-overload]

    pids = [str(p) for p in out["project_id"]]
    plan = [_clean(v) for v in out["zone_id"]]
    zone_of = {k: _clean(v) for k, v in by_project["zone_id"].items()}
    assigned = [zone_of.get(pid) for pid in pids]
    has = pd.Series([a is not None for a in assigned], index=out.index, dtype=bool)
    zone_dtype = out["zone_id"].dtype if pd.api.types.is_string_dtype(out["zone_id"]) else object
    out["plan_zone_id"] = out["zone_id"]
    out["assigned_zone_id"] = pd.Series(assigned, index=out.index, dtype=zone_dtype)
    for src, dst in (("by_user", "assigned_by"), ("at", "assigned_at"), ("why", "assigned_why")):
        values = by_project[src].to_dict() if src in by_project else {}
        out[dst] = pd.Series([values.get(pid) for pid in pids], index=out.index, dtype=object)
    out["differs_from_plan"] = pd.Series(
        [a is not None and p is not None and a != p for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=bool,
    )
    out["zone_id"] = pd.Series(
        [a if a is not None else p for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=zone_dtype,
    )
    label = out["location_label"] if "location_label" in out else pd.Series(pd.NA, index=out.index)
    out["location_label"] = label.astype("object").where(~has, "assigned")
    out["location_source"] = pd.Series(
        ["assigned" if a is not None else ("plan" if p is not None else "")
         for a, p in zip(assigned, plan, strict=True)],
        index=out.index,
        dtype=object,
    )  # fmt: skip
    if "zone_source" in out:
        out["plan_zone_source"] = out["zone_source"]
        out["zone_source"] = out["zone_source"].astype("object").where(~has, "assigned")
    unknown = set(by_project.index) - set(out["project_id"])
    if unknown:
        logger.warning("assignments for projects not in the table: %s", sorted(unknown))
    for pid in out.loc[out["differs_from_plan"], "project_id"]:
        logger.warning("project %s: assigned zone differs from the plan's zone", pid)
    return out


def apply_zone_boundaries(
    zone_geoms: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Replace schematic zone polygons by the official boundaries saved in the store.

    When ``zone_geoms`` is the zone layer of :mod:`wzgeo.geo.zonegeom` (it has
    ``geometry_quality``), :func:`wzgeo.geo.zonegeom.replace_zone_geometry` does the replacement,
    so measured areas and labels follow that module's rules.

    Parameters
    ----------
    zone_geoms
        Zones with ``zone_id`` and geometry (any CRS).
    boundaries
        :meth:`Store.zone_boundaries` (``zone_id``, ``source``, ``by_user``, ``at``, geometry).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in ``zone_geoms``' CRS. Replaced rows: ``geometry_quality`` (zonegeom
        layer) or ``geometry_source`` (other tables) is ``"official"``; ``boundary_source``,
        ``boundary_by``, ``boundary_at`` say where the boundary came from, who saved it, when.
        Boundaries of zones not in ``zone_geoms`` are left out (logged).
    """
    import pandas as pd

    from wzgeo.errors import CRSError

    if zone_geoms.crs is None or (len(boundaries) and boundaries.crs is None):
        raise CRSError(
            "园区几何或官方边界缺少 CRS。", "Zone geometry or official boundaries lack a CRS."
        )
    known = boundaries["zone_id"].isin(zone_geoms["zone_id"])
    if not known.all():
        missing = sorted(set(boundaries.loc[~known, "zone_id"]))
        logger.warning("official boundaries for zones not in the table: %s", missing)
        boundaries = boundaries.loc[known]
    official = boundaries.drop_duplicates("zone_id", keep="last").set_index("zone_id")
    zonegeom_layer = "geometry_quality" in zone_geoms.columns
    if len(official) == 0:
        out = zone_geoms.copy()
    elif zonegeom_layer:
        from wzgeo.geo import zonegeom

        replaced = zonegeom.replace_zone_geometry(
            zone_geoms, official.reset_index()[["zone_id", "source", "geometry"]]
        )
        out = replaced.to_crs(zone_geoms.crs)
    else:
        out = zone_geoms.copy()
        hit = out["zone_id"].isin(official.index)
        geom_col = out.geometry.name
        new = official.to_crs(out.crs).geometry.reindex(out.loc[hit, "zone_id"])
        out.loc[hit, geom_col] = new.to_numpy()
        if "geometry_source" not in out:
            out["geometry_source"] = "schematic"
        out.loc[hit, "geometry_source"] = "official"
    if not zonegeom_layer and "geometry_source" not in out:
        out["geometry_source"] = "schematic"
    for col, src in (("boundary_source", "source"), ("boundary_by", "by_user"),
                     ("boundary_at", "at")):  # fmt: skip
        values = official[src] if src in official else pd.Series(dtype="object")
        mapped = out["zone_id"].map(values).astype("object")
        out[col] = mapped.where(mapped.notna(), None)
    return out


def land_rule_id(indicator: str, gbt4754_code: str, edition: str) -> str:
    """The ``rule_id`` of a ``land_rules`` row: ``indicator|gbt4754_code|edition``."""
    return f"{indicator}|{gbt4754_code}|{edition}"


def apply_sector_fit_edits(fit: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """Overlay the store's ``sector_fit`` edits on the shipped fit table.

    Parameters
    ----------
    fit
        ``sector_id, zone_id, grade, ...`` (e.g. ``wzgeo.analysis.sectorfit.load_sector_fit()``).
    edits
        :meth:`Store.sector_fit_edits`.

    Returns
    -------
    pandas.DataFrame
        A new table: edited cells get the user's ``grade``; the shipped grade stays in
        ``plan_grade``; ``grade_source`` is ``"plan"`` or ``"user edit"``; ``edited_by``,
        ``edited_at``, ``edited_why`` say who, when and why. Pairs absent from ``fit`` are
        appended.
    """
    import pandas as pd

    out = _with_edit_columns(fit.assign(plan_grade=fit["grade"]), "grade_source", "plan")
    out["grade"] = out["grade"].astype("object")
    key = out["sector_id"].astype(str) + "|" + out["zone_id"].astype(str)
    extra = []
    for e in edits.to_dict("records"):
        hit = key == f"{e['sector_id']}|{e['zone_id']}"
        values: dict[str, Any] = {"grade": e["grade"], **_edit_meta(e, "grade_source")}
        if hit.any():
            for col, val in values.items():
                out.loc[hit, col] = val
        else:
            extra.append(
                {
                    "sector_id": e["sector_id"],
                    "zone_id": e["zone_id"],
                    "plan_grade": pd.NA,
                    **values,
                }
            )
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


def apply_land_rule_edits(
    rules: pd.DataFrame, edits: pd.DataFrame, *, key: tuple[str, ...] = LAND_RULE_KEY
) -> pd.DataFrame:
    """Overlay the store's ``land_rules`` edits on the shipped rules table.

    Parameters
    ----------
    rules
        The shipped rules (e.g. ``wzgeo.analysis.rules.load_rules()``).
    edits
        :meth:`Store.land_rule_edits` (``rule_id`` = :func:`land_rule_id` of the row).
    key
        The columns joined by ``|`` to form ``rule_id``.

    Returns
    -------
    pandas.DataFrame
        A new table with the edited values, ``rule_source`` (``"shipped"`` or
        ``"user edit"``) and ``edited_by``, ``edited_at``, ``edited_why``. Edits matching no
        row are appended as new rows (their key columns split from ``rule_id``).
    """
    import pandas as pd

    out = _with_edit_columns(rules, "rule_source", "shipped")
    ids = out[list(key)].astype(str).agg("|".join, axis=1)
    extra = []
    for e in edits.to_dict("records"):
        values = json.loads(str(e["values_json"]))
        meta = _edit_meta(e, "rule_source")
        hit = ids == e["rule_id"]
        if hit.sum() > 1:
            logger.warning("land rule edit %s matches %d rows; all edited", e["rule_id"], hit.sum())
        if hit.any():
            for col, val in {**values, **meta}.items():
                if col in out and out[col].dtype != object:
                    out[col] = out[col].astype("object")
                out.loc[hit, col] = val
        else:
            parts = str(e["rule_id"]).split("|")
            row = dict(zip(key, parts, strict=False)) if len(parts) == len(key) else {}
            extra.append({**row, **values, **meta})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


def _class_text(value: object) -> str:
    """A stored class (1–3, None/NaN = none) as the table writes it: ``"1"``…``"3"`` or ``""``."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(int(value))  # type: ignore[call-overload]


def apply_sector_landclass_edits(table: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """Overlay the store's ``sector_landclass`` edits on the shipped land-class table.

    Parameters
    ----------
    table
        ``sector_id, required_class, ...`` (``wzgeo.analysis.landuse.load_landclass()``;
        ``required_class`` is ``"1"``, ``"2"``, ``"3"`` or ``""``).
    edits
        :meth:`Store.sector_landclass_edits` (``required_class`` 1–3 or None).

    Returns
    -------
    pandas.DataFrame
        A new table: edited sectors get the user's ``required_class`` (as text, ``""`` for
        none); the shipped value stays in ``plan_required_class``; ``class_source`` is
        ``"shipped"`` or ``"user edit"``; ``edited_by``, ``edited_at``, ``edited_why`` say who,
        when and why. Sectors absent from ``table`` are appended.
    """
    import pandas as pd

    out = _with_edit_columns(
        table.assign(plan_required_class=table["required_class"]), "class_source", "shipped"
    )
    out["required_class"] = out["required_class"].astype("object")
    extra = []
    for e in edits.to_dict("records"):
        hit = out["sector_id"].astype(str) == str(e["sector_id"])
        values: dict[str, Any] = {
            "required_class": _class_text(e["required_class"]),
            **_edit_meta(e, "class_source"),
        }
        if hit.any():
            for col, val in values.items():
                out.loc[hit, col] = val
        else:
            extra.append({"sector_id": e["sector_id"], "plan_required_class": "", **values})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out

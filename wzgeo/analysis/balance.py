"""Land balance: planned supply of each zone and sector against the land the projects need.

Every project has one location with a label (:data:`LOCATION_LABELS`):

- ``assigned``: placed in a zone by a user (an ``assignments`` table: project_id, zone_id);
- ``plan``: the zone stated in the plan's text (``projects.zone_id``);
- ``suggested``: proposed by :func:`wzgeo.analysis.siting.assign_projects`;
- ``unlocated``: none of these.

Precedence: ``assigned`` > ``plan`` > ``suggested``. A user assignment is a deliberate decision
and wins (the plan's zone stays visible in ``plan_zone_id``); a suggestion never overrides a
plan or user location.

Land need (``land_mu``) and standard-factory floor space (``floor_m2``) are kept apart; only
land need is set against the zones' planned land (1 km² = 1500 亩).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from wzgeo.analysis._common import sector_parent_map, to_float
from wzgeo.errors import WzgeoError
from wzgeo.geo.units import MU_PER_KM2

__all__ = [
    "LOCATION_LABELS",
    "locate_projects",
    "project_fits",
    "sector_balance",
    "validate_assignments",
    "zone_balance",
]

logger = logging.getLogger(__name__)

LOCATION_LABELS: tuple[str, ...] = ("assigned", "plan", "suggested", "unlocated")


def _zone_or_na(s: pd.Series) -> pd.Series:
    out = s.astype("string")
    return out.mask(out.str.strip() == "")


def validate_assignments(
    assignments: pd.DataFrame, *, projects: pd.DataFrame, zones: pd.DataFrame
) -> pd.DataFrame:
    """Check a user ``assignments`` table (project_id, zone_id) and return a clean copy.

    Raises
    ------
    WzgeoError
        Missing columns, unknown project or zone, or a project assigned twice.
    """
    for col in ("project_id", "zone_id"):
        if col not in assignments.columns:
            raise WzgeoError(
                f"指派表缺少列 {col}；需要 project_id 和 zone_id 两列。",
                f"assignments lack column {col}; they need project_id and zone_id.",
            )
    a = assignments.loc[:, ["project_id", "zone_id"]].astype("string")
    a = a.loc[a["zone_id"].notna() & (a["zone_id"].str.strip() != "")]
    known_p = set(projects["project_id"].astype(str))
    known_z = set(zones["zone_id"].astype(str))
    for pid, zid in zip(a["project_id"], a["zone_id"], strict=True):
        if pid not in known_p:
            raise WzgeoError(
                f"指派表中的项目“{pid}”不存在，请检查项目编号（如 NM-CU-01）。",
                f"assigned project '{pid}' does not exist; check the id (e.g. NM-CU-01).",
            )
        if zid not in known_z:
            raise WzgeoError(
                f"项目 {pid} 指派的园区“{zid}”不存在。可用：{', '.join(sorted(known_z))}",
                f"zone '{zid}' assigned to {pid} does not exist. "
                f"Known: {', '.join(sorted(known_z))}",
            )
    dup = a["project_id"].duplicated()
    if dup.any():
        pid = a["project_id"][dup].iloc[0]
        raise WzgeoError(
            f"项目 {pid} 被指派了多次，请只保留一个园区。",
            f"project {pid} is assigned more than once; keep one zone.",
        )
    return a.reset_index(drop=True)


def locate_projects(
    projects: pd.DataFrame,
    *,
    zones: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    suggestions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One location per project with its label (assigned > plan > suggested).

    Parameters
    ----------
    projects
        ``project_id`` and the plan's ``zone_id`` (empty where the plan states none).
    zones
        Zones table, needed to validate ``assignments``.
    assignments
        User decisions: ``project_id``, ``zone_id``.
    suggestions
        ``project_id``, ``zone_id`` from :func:`wzgeo.analysis.siting.assign_projects`.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``plan_zone_id``, ``zone_id``, ``location_label``.
    """
    out = pd.DataFrame({"project_id": projects["project_id"].astype("string")})
    plan = (
        _zone_or_na(projects["zone_id"])
        if "zone_id" in projects
        else pd.Series(pd.NA, index=projects.index, dtype="string")
    )
    out["plan_zone_id"] = plan.to_numpy()
    zone = out["plan_zone_id"].copy()
    label = pd.Series(np.where(zone.notna(), "plan", "unlocated"), index=out.index, dtype="string")
    if suggestions is not None and len(suggestions):
        s = suggestions.loc[:, ["project_id", "zone_id"]].astype("string")
        s = s.loc[s["zone_id"].notna()].drop_duplicates("project_id").set_index("project_id")
        sug = out["project_id"].map(s["zone_id"])
        use = zone.isna() & sug.notna()
        zone = zone.mask(use, sug)
        label = label.mask(use, "suggested")
    if assignments is not None and len(assignments):
        if zones is None:
            raise WzgeoError(
                "校验指派表需要园区表（zones）。",
                "zones are needed to validate assignments.",
            )
        a = validate_assignments(assignments, projects=projects, zones=zones).set_index(
            "project_id"
        )
        asg = out["project_id"].map(a["zone_id"])
        use = asg.notna()
        zone = zone.mask(use, asg)
        label = label.mask(use, "assigned")
    out["zone_id"] = zone.astype("string")
    out["location_label"] = label
    return out


def project_fits(projects: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """Whether each project's land need fits at all in any single zone.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``land_mu``, ``land_km2``, ``largest_zone_mu``, ``fits_any_zone``
        (NA when the need is unknown or not land), ``zones_large_enough`` (``;``-separated).
    """
    supply_mu = to_float(zones["planned_land_km2"]) * MU_PER_KM2
    zone_ids = zones["zone_id"].astype(str).to_numpy()
    land = to_float(projects["land_mu"])
    out = pd.DataFrame({"project_id": projects["project_id"].astype("string")})
    out["land_mu"] = land.to_numpy()
    out["land_km2"] = out["land_mu"] / MU_PER_KM2
    out["largest_zone_mu"] = float(supply_mu.max())
    known = out["land_mu"].notna()
    out["fits_any_zone"] = (out["land_mu"] <= out["largest_zone_mu"]).astype("boolean").where(known)
    out["zones_large_enough"] = [
        ";".join(zone_ids[supply_mu.to_numpy() >= need]) if pd.notna(need) else pd.NA
        for need in out["land_mu"]
    ]
    out["zones_large_enough"] = out["zones_large_enough"].astype("string")
    return out


def zone_balance(
    projects: pd.DataFrame, zones: pd.DataFrame, *, locations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Planned supply against land need per zone.

    Parameters
    ----------
    projects
        ``project_id``, ``land_mu``, ``floor_m2`` (and ``zone_id`` if ``locations`` is None).
    zones
        ``zone_id``, ``name_zh``, ``planned_land_km2``.
    locations
        From :func:`locate_projects`; default the plan's own zones.

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``supply_km2``, ``supply_mu``, ``need_plan_mu``,
        ``need_assigned_mu``, ``need_suggested_mu``, ``need_mu``, ``need_km2``,
        ``remaining_mu``, ``remaining_km2``, ``utilisation_pct``, ``overflow`` (need > supply),
        ``n_projects``, ``n_unknown_need`` (projects there whose need is unknown),
        ``floor_m2`` (standard-factory floor, separate), ``oversize_projects`` (projects whose
        own need exceeds the zone's whole supply).
    """
    loc = locations if locations is not None else locate_projects(projects)
    p = pd.DataFrame(
        {
            "project_id": projects["project_id"].astype("string"),
            "land_mu": to_float(projects["land_mu"]).to_numpy(),
            "floor_m2": (
                to_float(projects["floor_m2"]).to_numpy() if "floor_m2" in projects else np.nan
            ),
        }
    ).merge(loc.loc[:, ["project_id", "zone_id", "location_label"]], on="project_id", how="left")
    p = p.loc[p["zone_id"].notna()]
    land = p["land_mu"].fillna(0.0)
    p = p.assign(
        need_plan_mu=land.where(p["location_label"] == "plan", 0.0),
        need_assigned_mu=land.where(p["location_label"] == "assigned", 0.0),
        need_suggested_mu=land.where(p["location_label"] == "suggested", 0.0),
        unknown=(p["land_mu"].isna() & p["floor_m2"].isna()).astype(int),
        one=1,
        floor=p["floor_m2"].fillna(0.0),
    )
    g = p.groupby("zone_id").agg(
        need_plan_mu=("need_plan_mu", "sum"),
        need_assigned_mu=("need_assigned_mu", "sum"),
        need_suggested_mu=("need_suggested_mu", "sum"),
        n_projects=("one", "sum"),
        n_unknown_need=("unknown", "sum"),
        floor_m2=("floor", "sum"),
    )
    out = zones.loc[:, ["zone_id", "name_zh"]].copy()
    out["supply_km2"] = to_float(zones["planned_land_km2"]).to_numpy()
    out["supply_mu"] = out["supply_km2"] * MU_PER_KM2
    gz = g.reindex(out["zone_id"].astype(str))
    for col in ("need_plan_mu", "need_assigned_mu", "need_suggested_mu", "floor_m2"):
        out[col] = gz[col].fillna(0.0).to_numpy()
    for col in ("n_projects", "n_unknown_need"):
        out[col] = gz[col].fillna(0).astype(int).to_numpy()
    out["need_mu"] = out["need_plan_mu"] + out["need_assigned_mu"] + out["need_suggested_mu"]
    out["need_km2"] = out["need_mu"] / MU_PER_KM2
    out["remaining_mu"] = out["supply_mu"] - out["need_mu"]
    out["remaining_km2"] = out["remaining_mu"] / MU_PER_KM2
    out["utilisation_pct"] = 100.0 * out["need_mu"] / out["supply_mu"].where(out["supply_mu"] > 0)
    out["overflow"] = out["need_mu"] > out["supply_mu"]
    oversize = []
    for zid, supply in zip(out["zone_id"], out["supply_mu"], strict=True):
        here = p.loc[(p["zone_id"] == zid) & (p["land_mu"] > supply), "project_id"]
        oversize.append(";".join(here.astype(str)))
    out["oversize_projects"] = pd.Series(oversize, index=out.index, dtype="string")
    cols = [c for c in out.columns if c != "floor_m2"] + ["floor_m2"]
    return out.loc[:, cols].reset_index(drop=True)


def sector_balance(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    fit: pd.DataFrame,
    *,
    sectors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Land need of each sector against the planned land of the zones that fit it.

    The supply of a sector is the planned land of the zones where it is ``primary``
    (``supply_primary_km2``) or ``primary`` / ``compatible`` (``supply_fitting_km2``). Zones
    are shared between sectors, so this is the land *open* to the sector, not a quota.

    Parameters
    ----------
    projects
        ``project_id``, ``sector_id``, ``land_mu``, ``floor_m2``.
    zones
        ``zone_id``, ``planned_land_km2``.
    fit
        The sector × zone fit table (:func:`wzgeo.analysis.sectorfit.load_sector_fit`).
    sectors
        ``sector_id``, ``parent_id``; sub-sector needs also count in their parent.

    Returns
    -------
    pandas.DataFrame
        ``sector_id``, ``level``, ``n_projects``, ``need_mu``, ``need_km2``, ``floor_m2``,
        ``supply_primary_km2``, ``supply_fitting_km2``, ``utilisation_primary_pct``,
        ``utilisation_fitting_pct``, ``overflow`` (need > fitting supply).
    """
    parent = sector_parent_map(sectors)
    supply = dict(
        zip(zones["zone_id"].astype(str), to_float(zones["planned_land_km2"]), strict=True)
    )
    sid = projects["sector_id"].astype(str)
    land = to_float(projects["land_mu"]).fillna(0.0)
    floor = to_float(projects["floor_m2"]).fillna(0.0) if "floor_m2" in projects else land * 0
    rows = []
    groups: list[tuple[str, str, pd.Series]] = []
    tops = sid.map(lambda s: parent.get(s, s))
    for top in sorted(set(tops)):
        groups.append((top, "sector", tops == top))
    for sub in sorted(set(sid) & set(parent)):
        groups.append((sub, "subsector", sid == sub))
    for sector, level, mask in groups:
        f = fit.loc[fit["sector_id"] == sector]
        prim = f.loc[f["grade"] == "primary", "zone_id"].astype(str)
        fitting = f.loc[f["grade"].isin(["primary", "compatible"]), "zone_id"].astype(str)
        need_mu = float(land[mask].sum())
        sp = float(sum(supply.get(z, 0.0) for z in prim))
        sf = float(sum(supply.get(z, 0.0) for z in fitting))
        rows.append(
            {
                "sector_id": sector,
                "level": level,
                "n_projects": int(mask.sum()),
                "need_mu": need_mu,
                "need_km2": need_mu / MU_PER_KM2,
                "floor_m2": float(floor[mask].sum()),
                "supply_primary_km2": sp,
                "supply_fitting_km2": sf,
                "utilisation_primary_pct": (
                    100.0 * need_mu / MU_PER_KM2 / sp if sp > 0 else np.nan
                ),
                "utilisation_fitting_pct": (
                    100.0 * need_mu / MU_PER_KM2 / sf if sf > 0 else np.nan
                ),
                "overflow": need_mu / MU_PER_KM2 > sf,
            }
        )
    return pd.DataFrame(rows)

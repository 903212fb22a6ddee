"""Siting suggestions for projects the plan does not place.

:func:`rank_candidates` lists, for every project without a plan or user location, each zone
with its sector-fit grade, the land left there (supply minus the needs of plan and assigned
projects) and whether the project fits in it, ranked by

1. sector fit at all (``primary`` / ``compatible`` before ``not_listed``),
2. fit in the remaining land (yes before no),
3. sector-fit grade (``primary`` before ``compatible`` before ``not_listed``),
4. scale: the zone's remaining land after the project, largest first (big projects go where
   there is room; ties by zone id).

:func:`assign_projects` then makes one district-wide assignment that respects every zone's
remaining capacity, by an exact integer linear programme (``scipy.optimize.milp``, HiGHS):

- variables x[p, z] ∈ {0, 1} for pairs with grade ``primary`` or ``compatible``;
- each project in at most one zone: Σ_z x[p, z] ≤ 1;
- capacity: Σ_p land_mu[p] · x[p, z] ≤ remaining_mu[z] for every zone;
- objective (maximise): Σ x[p, z] · (1000 + 100·[primary] + land_mu[p] / Σ land_mu),
  i.e. place as many projects as possible, then prefer primary fit, then more land placed.

Where the plan's text narrows a project to some zones (``projects.zone_candidates``, e.g.
特铝新材料 "位于九龙园" → ``jiulong_a;jiulong_b``) only those zones are candidates.

Projects whose land need is unknown are not assigned (capacity cannot be checked). Projects
in standard-factory floor space or needing no new land use no zone land; they get the best
fitting zone by rank. ``method="greedy"`` is the documented fallback: projects by land need
descending, each to its best-ranked zone with room left.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from wzgeo.analysis._common import to_float
from wzgeo.analysis.balance import locate_projects, zone_balance
from wzgeo.errors import WzgeoError

__all__ = ["assign_projects", "rank_candidates", "suggest_locations", "suggest_zones"]

logger = logging.getLogger(__name__)

_GRADE_POINTS = {"primary": 2, "compatible": 1, "not_listed": 0}
#: Columns of :func:`rank_candidates`' result, in order.
_RANK_COLUMNS = (
    "project_id",
    "sector_id",
    "rank",
    "zone_id",
    "grade",
    "need_mu",
    "remaining_mu",
    "fits_remaining",
    "remaining_after_mu",
    "reason_zh",
)


def _open_projects(projects: pd.DataFrame, locations: pd.DataFrame) -> pd.DataFrame:
    fixed = set(locations.loc[locations["location_label"].isin(["plan", "assigned"]), "project_id"])
    p = projects.loc[~projects["project_id"].astype(str).isin(fixed)]
    out = pd.DataFrame(
        {
            "project_id": p["project_id"].astype("string"),
            "sector_id": p["sector_id"].astype("string"),
            "land_mu": to_float(p["land_mu"]),
            "floor_m2": to_float(p["floor_m2"]) if "floor_m2" in p else np.nan,
        }
    )
    out["need_mu"] = out["land_mu"].where(out["land_mu"].notna(), np.nan)
    # floor-space projects use no new land: need 0
    out.loc[out["land_mu"].isna() & (out["floor_m2"] > 0), "need_mu"] = 0.0
    return out.reset_index(drop=True)


def rank_candidates(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    fit: pd.DataFrame,
    *,
    locations: pd.DataFrame | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Ranked candidate zones for every project without a plan or user location.

    Parameters
    ----------
    projects
        ``project_id``, ``sector_id``, ``land_mu``, ``floor_m2``, ``zone_id`` (plan).
    zones
        ``zone_id``, ``name_zh``, ``planned_land_km2``.
    fit
        Sector × zone fit table.
    locations
        From :func:`wzgeo.analysis.balance.locate_projects` (user assignments included); default the
        plan's own zones. Suggested locations in it are ignored (they are recomputed).
    top
        Keep only the best ``top`` zones per project.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``sector_id``, ``rank``, ``zone_id``, ``grade``, ``need_mu``,
        ``remaining_mu`` (before this project), ``fits_remaining`` (NA when need unknown),
        ``remaining_after_mu``, ``reason_zh``.
    """
    loc = locations if locations is not None else locate_projects(projects)
    fixed_loc = loc.assign(
        zone_id=loc["zone_id"].where(loc["location_label"].isin(["plan", "assigned"]))
    )
    bal = zone_balance(projects, zones, locations=fixed_loc)
    remaining = dict(zip(bal["zone_id"].astype(str), bal["remaining_mu"], strict=True))
    open_p = _open_projects(projects, loc)
    grades = {
        (str(s), str(z)): str(g)
        for s, z, g in zip(fit["sector_id"], fit["zone_id"], fit["grade"], strict=True)
    }
    reasons = {
        (str(s), str(z)): str(r)
        for s, z, r in zip(fit["sector_id"], fit["zone_id"], fit["reason_zh"], strict=True)
    }
    allowed: dict[str, set[str]] = {}
    if "zone_candidates" in projects.columns:
        for pid, cand in zip(projects["project_id"], projects["zone_candidates"], strict=True):
            if isinstance(cand, str) and cand.strip():
                allowed[str(pid)] = {c.strip() for c in cand.split(";") if c.strip()}
    rows = []
    for pid, sid, need in zip(
        open_p["project_id"], open_p["sector_id"], open_p["need_mu"], strict=True
    ):
        for zid in zones["zone_id"].astype(str):
            if str(pid) in allowed and zid not in allowed[str(pid)]:
                continue
            grade = grades.get((str(sid), zid), "not_listed")
            rem = float(remaining[zid])
            fits = pd.NA if pd.isna(need) else bool(need <= rem)
            rows.append(
                {
                    "project_id": pid,
                    "sector_id": sid,
                    "zone_id": zid,
                    "grade": grade,
                    "need_mu": need,
                    "remaining_mu": rem,
                    "fits_remaining": fits,
                    "remaining_after_mu": rem - need if pd.notna(need) else np.nan,
                    "reason_zh": reasons.get((str(sid), zid), "专栏12 未列出该行业"),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=list(_RANK_COLUMNS))
    out["fits_remaining"] = out["fits_remaining"].astype("boolean")
    out["_elig"] = (out["grade"] != "not_listed").astype(int)
    out["_fit"] = out["fits_remaining"].fillna(False).astype(int)
    out["_grade"] = out["grade"].map(_GRADE_POINTS).fillna(0)
    out["_room"] = out["remaining_after_mu"].fillna(out["remaining_mu"])
    out = out.sort_values(
        ["project_id", "_elig", "_fit", "_grade", "_room", "zone_id"],
        ascending=[True, False, False, False, False, True],
        kind="mergesort",
    )
    out["rank"] = out.groupby("project_id").cumcount() + 1
    out = out.drop(columns=["_elig", "_fit", "_grade", "_room"])
    if top is not None:
        out = out.loc[out["rank"] <= top]
    return out.loc[:, list(_RANK_COLUMNS)].reset_index(drop=True)


def assign_projects(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    fit: pd.DataFrame,
    *,
    locations: pd.DataFrame | None = None,
    method: str = "ilp",
) -> pd.DataFrame:
    """One capacity-respecting assignment of the projects without a plan or user location.

    Parameters
    ----------
    projects, zones, fit, locations
        As for :func:`rank_candidates`.
    method
        ``"ilp"`` (exact, scipy.optimize.milp) or ``"greedy"`` (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``zone_id`` (NA when not placed), ``grade``, ``need_mu``,
        ``status`` (``placed`` | ``no_fitting_zone`` | ``no_capacity`` | ``need_unknown``).
    """
    if method not in ("ilp", "greedy"):
        raise WzgeoError(
            f"未知分配方法“{method}”，可用 ilp 或 greedy。",
            f"unknown method '{method}'; use ilp or greedy.",
        )
    ranked = rank_candidates(projects, zones, fit, locations=locations)
    if ranked.empty:
        return pd.DataFrame(columns=["project_id", "zone_id", "grade", "need_mu", "status"])
    eligible = ranked.loc[ranked["grade"].isin(["primary", "compatible"])]
    remaining = ranked.drop_duplicates("zone_id").set_index("zone_id")["remaining_mu"].clip(lower=0)
    pids = list(dict.fromkeys(ranked["project_id"]))
    need = ranked.drop_duplicates("project_id").set_index("project_id")["need_mu"]
    chosen: dict[str, str] = {}
    # zero-need projects (floor space / no new land): best-ranked fitting zone
    zero = [p for p in pids if need[p] == 0]
    for p in zero:
        cand = eligible.loc[eligible["project_id"] == p]
        if len(cand):
            chosen[p] = str(cand["zone_id"].iloc[0])
    land_p = [p for p in pids if pd.notna(need[p]) and need[p] > 0]
    pairs = eligible.loc[
        eligible["project_id"].isin(land_p)
        & (eligible["need_mu"] <= eligible["zone_id"].map(remaining))
    ].reset_index(drop=True)
    if len(pairs):
        if method == "ilp":
            chosen.update(_solve_ilp(pairs, remaining))
        else:
            chosen.update(_greedy(pairs, remaining))
    rows = []
    for p in pids:
        z = chosen.get(p)
        has_fit = bool((eligible["project_id"] == p).any())
        grade: str | None
        if z is not None:
            grade = str(
                eligible.loc[
                    (eligible["project_id"] == p) & (eligible["zone_id"] == z), "grade"
                ].iloc[0]
            )
            status = "placed"
        else:
            grade = None
            if pd.isna(need[p]):
                status = "need_unknown"
            elif not has_fit:
                status = "no_fitting_zone"
            else:
                status = "no_capacity"
        rows.append(
            {"project_id": p, "zone_id": z, "grade": grade, "need_mu": need[p], "status": status}
        )
    out = pd.DataFrame(rows)
    out["zone_id"] = out["zone_id"].astype("string")
    out["grade"] = out["grade"].astype("string")
    logger.info("assigned %d of %d open projects (%s)", len(chosen), len(pids), method)
    return out


def _solve_ilp(pairs: pd.DataFrame, remaining: pd.Series) -> dict[str, str]:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    n = len(pairs)
    need = pairs["need_mu"].to_numpy(dtype=float)
    total = float(pairs.drop_duplicates("project_id")["need_mu"].sum()) or 1.0
    weight = 1000.0 + 100.0 * (pairs["grade"] == "primary").to_numpy() + need / total
    projects = list(dict.fromkeys(pairs["project_id"]))
    zones = list(dict.fromkeys(pairs["zone_id"]))
    a = lil_matrix((len(projects) + len(zones), n))
    pi = {p: i for i, p in enumerate(projects)}
    zi = {z: len(projects) + i for i, z in enumerate(zones)}
    for j, (p, z) in enumerate(zip(pairs["project_id"], pairs["zone_id"], strict=True)):
        a[pi[p], j] = 1.0
        a[zi[z], j] = need[j]
    ub = np.concatenate([np.ones(len(projects)), [float(remaining[z]) for z in zones]])
    res = milp(
        c=-weight,
        constraints=LinearConstraint(a.tocsr(), -np.inf, ub),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # pragma: no cover - HiGHS always finds x = 0 feasible
        raise WzgeoError("分配求解失败。", f"assignment solver failed: {res.message}")
    take = res.x > 0.5
    return dict(
        zip(
            pairs.loc[take, "project_id"].astype(str),
            pairs.loc[take, "zone_id"].astype(str),
            strict=True,
        )
    )


def _greedy(pairs: pd.DataFrame, remaining: pd.Series) -> dict[str, str]:
    left = remaining.astype(float).to_dict()
    out: dict[str, str] = {}
    order = pairs.drop_duplicates("project_id").sort_values(
        ["need_mu", "project_id"], ascending=[False, True]
    )["project_id"]
    for p in order:
        for z, need in zip(
            pairs.loc[pairs["project_id"] == p, "zone_id"],
            pairs.loc[pairs["project_id"] == p, "need_mu"],
            strict=True,
        ):
            if need <= left[z]:
                out[str(p)] = str(z)
                left[z] -= need
                break
    return out


def suggest_locations(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    fit: pd.DataFrame,
    *,
    assignments: pd.DataFrame | None = None,
    method: str = "ilp",
) -> pd.DataFrame:
    """Locations of all projects: plan and user ones kept, the rest filled by suggestions.

    Returns
    -------
    pandas.DataFrame
        As :func:`wzgeo.analysis.balance.locate_projects`, plus ``suggestion_status`` from
        :func:`assign_projects` for the projects that were open.
    """
    base = locate_projects(projects, zones=zones, assignments=assignments)
    sug = assign_projects(projects, zones, fit, locations=base, method=method)
    out = locate_projects(
        projects,
        zones=zones,
        assignments=assignments,
        suggestions=sug.loc[sug["zone_id"].notna(), ["project_id", "zone_id"]],
    )
    status = sug.set_index("project_id")["status"] if len(sug) else pd.Series(dtype="string")
    out["suggestion_status"] = out["project_id"].map(status).astype("string")
    return out


def suggest_zones(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    *,
    fit: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """The projects table with siting columns added (for tables in the app).

    Returns
    -------
    pandas.DataFrame
        A copy of ``projects`` plus ``location_zone_id`` and ``location_label`` (from
        :func:`suggest_locations`), ``suggested_zone_ids`` (the ``top`` ranked fitting zones,
        ``;``-separated, for projects without a plan or user location) and
        ``suggestion_status``. The plan's ``zone_id`` column is left as it is.
    """
    if fit is None:
        from wzgeo.analysis.sectorfit import load_sector_fit

        fit = load_sector_fit()
    loc = suggest_locations(projects, zones, fit, assignments=assignments)
    base = locate_projects(projects, zones=zones, assignments=assignments)
    ranked = rank_candidates(projects, zones, fit, locations=base)
    ranked = ranked.loc[ranked["grade"] != "not_listed"]
    ranked = ranked.loc[ranked["rank"] <= top]
    joined = ranked.groupby("project_id")["zone_id"].agg(";".join)
    out = projects.copy()
    pid = out["project_id"].astype("string")
    by = loc.set_index("project_id")
    out["location_zone_id"] = pid.map(by["zone_id"]).to_numpy()
    out["location_label"] = pid.map(by["location_label"]).to_numpy()
    out["suggested_zone_ids"] = pid.map(joined).astype("string").to_numpy()
    out["suggestion_status"] = pid.map(by["suggestion_status"]).to_numpy()
    return out

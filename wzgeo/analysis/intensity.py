"""Output intensity (地均产出) per project, zone, district and sector.

Intensity is expected annual output over land: 亿元/km² (``intensity_yi_per_km2``) and
万元/亩 (``intensity_wan_per_mu``). Only projects that need new land enter it. Projects housed
in standard-factory floor space (``floor_m2``; building floor, not land) and projects needing
no new land (``land_mu == 0``) are reported separately and never mixed in (DOMAIN: never add
floor space to land). A project whose need is unknown counts as ``unknown``.

Every intensity is compared with the plan's targets — 50 亿元/km² in 2025 and 70 in 2035 —
giving the gap (target − intensity, positive when below target) and the extra annual output
that would close it (target × land − output, zero when already at target).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wzgeo.analysis._common import sector_parent_map, to_float
from wzgeo.errors import WzgeoError
from wzgeo.geo.units import MU_PER_KM2, yi_per_km2_to_wan_per_mu

__all__ = [
    "LAND_BASES",
    "IntensityTargets",
    "district_intensity",
    "land_basis",
    "project_intensity",
    "sector_intensity",
    "summarise_intensity",
    "summary_tables",
    "zone_intensity",
]

logger = logging.getLogger(__name__)

#: How a project's space need is stated.
LAND_BASES: tuple[str, ...] = ("land", "floor_space", "no_new_land", "unknown")


@dataclass(frozen=True)
class IntensityTargets:
    """The plan's intensity targets and the 2020 development-zone baseline.

    Defaults are the plan's own numbers (第四章（一）: 到2025年…地均产出达到50亿/km²；
    展望到2035年…70亿/km²; 第一章: 经开区 2020 年规上工业企业完成产值 260.5 亿元, 建成区
    25.5 平方公里). :meth:`from_table` reads them from ``targets.csv`` instead.
    """

    target_2025_yi_per_km2: float = 50.0
    target_2035_yi_per_km2: float = 70.0
    baseline_output_yi: float = 260.5
    baseline_area_km2: float = 25.5
    baseline_year: int = 2020
    land_2025_km2: float = 20.0
    land_2035_km2: float = 35.0

    @property
    def baseline_yi_per_km2(self) -> float:
        """2020 development-zone output over its built-up area (≈ 10.2 亿元/km²)."""
        return self.baseline_output_yi / self.baseline_area_km2

    @classmethod
    def from_table(cls, targets: pd.DataFrame) -> IntensityTargets:
        """Read the targets from a ``targets.csv`` table (columns metric, year, value, kind).

        Raises
        ------
        WzgeoError
            When one of the needed statements is missing.
        """

        def pick(metric: str, year: int, kind: str) -> float:
            rows = targets.loc[
                (targets["metric"] == metric)
                & (pd.to_numeric(targets["year"], errors="coerce") == year)
                & (targets["kind"] == kind)
            ]
            if rows.empty:
                raise WzgeoError(
                    f"目标表缺少 {metric}（{year} 年，{kind}），请重新生成 targets.csv。",
                    f"targets table lacks {metric} ({year}, {kind}); rebuild targets.csv.",
                )
            return float(rows["value"].iloc[0])

        return cls(
            target_2025_yi_per_km2=pick("land_intensity_yi_per_km2", 2025, "target"),
            target_2035_yi_per_km2=pick("land_intensity_yi_per_km2", 2035, "target"),
            baseline_output_yi=pick("etdz_output_yi", 2020, "baseline"),
            baseline_area_km2=_builtup_2020(targets),
            baseline_year=2020,
            land_2025_km2=pick("industrial_land_km2", 2025, "target"),
            land_2035_km2=pick("industrial_land_km2", 2035, "target"),
        )


def _builtup_2020(targets: pd.DataFrame) -> float:
    rows = targets.loc[targets["metric"] == "etdz_builtup_km2"]
    years = pd.to_numeric(rows["year"], errors="coerce")
    hit = rows.loc[years == 2020]
    if hit.empty:
        # the sentence gives "由 X 平方公里增加至 Y 平方公里"; Y is the latest (2020) value
        hit = rows.loc[years != 2015]
    if hit.empty:
        raise WzgeoError(
            "目标表缺少经开区建成区面积（2020 年），请重新生成 targets.csv。",
            "targets table lacks the 2020 development-zone built-up area; rebuild targets.csv.",
        )
    return float(hit["value"].iloc[0])


def land_basis(projects: pd.DataFrame) -> pd.Series:
    """How each project's space need is stated: one of :data:`LAND_BASES`.

    ``land`` when ``land_mu > 0``; ``floor_space`` when only ``floor_m2 > 0``; ``no_new_land``
    when ``land_mu == 0`` (existing land or buildings); ``unknown`` otherwise.
    """
    land = to_float(projects["land_mu"])
    floor = (
        to_float(projects["floor_m2"])
        if "floor_m2" in projects
        else pd.Series(np.nan, index=projects.index)
    )
    out = np.select(
        [land > 0, floor > 0, land == 0],
        ["land", "floor_space", "no_new_land"],
        default="unknown",
    )
    return pd.Series(out, index=projects.index, name="land_basis", dtype="string")


def _gap_columns(
    out: pd.DataFrame, output: pd.Series, area_km2: pd.Series, targets: IntensityTargets
) -> None:
    intensity = out["intensity_yi_per_km2"]
    for year, target in (
        (2025, targets.target_2025_yi_per_km2),
        (2035, targets.target_2035_yi_per_km2),
    ):
        out[f"gap_{year}_yi_per_km2"] = target - intensity
        out[f"extra_output_{year}_yi"] = (
            (target * area_km2 - output).clip(lower=0).where(intensity.notna())
        )
        below = (intensity < target).astype("boolean")
        out[f"below_{year}"] = below.mask(intensity.isna())


def _intensity_columns(
    out: pd.DataFrame, output_yi: pd.Series, area_km2: pd.Series, targets: IntensityTargets
) -> None:
    """Add intensity (亿元/km² and 万元/亩, none where the area is not positive) and gaps."""
    out["intensity_yi_per_km2"] = output_yi / area_km2.where(area_km2 > 0)
    out["intensity_wan_per_mu"] = out["intensity_yi_per_km2"].map(
        yi_per_km2_to_wan_per_mu, na_action="ignore"
    )
    _gap_columns(out, output_yi, area_km2, targets)


def project_intensity(
    projects: pd.DataFrame, *, targets: IntensityTargets | None = None
) -> pd.DataFrame:
    """Intensity of every project over its own land need.

    Parameters
    ----------
    projects
        Columns ``project_id``, ``sector_id``, ``output_yi``, ``land_mu``, ``floor_m2``.
    targets
        Targets; default :class:`IntensityTargets`.

    Returns
    -------
    pandas.DataFrame
        One row per project: ``land_basis``, ``land_km2``, ``intensity_yi_per_km2``,
        ``intensity_wan_per_mu``, ``gap_2025_yi_per_km2``, ``extra_output_2025_yi``,
        ``below_2025`` and the same for 2035. Intensity is empty (NA) for projects that are not
        on new land; see :func:`summarise_intensity` for the separate floor-space figures.
    """
    t = targets or IntensityTargets()
    keep = [
        c
        for c in ("project_id", "name_zh", "sector_id", "zone_id", "stage")
        if c in projects.columns
    ]
    out = projects.loc[:, keep].copy()
    output = to_float(projects["output_yi"])
    land_mu = to_float(projects["land_mu"])
    out["output_yi"] = output
    out["land_mu"] = land_mu
    out["floor_m2"] = to_float(projects["floor_m2"]) if "floor_m2" in projects else np.nan
    basis = land_basis(projects)
    out["land_basis"] = basis
    on_land = basis == "land"
    out["land_km2"] = (land_mu / MU_PER_KM2).where(on_land)
    out["intensity_yi_per_km2"] = (output / out["land_km2"]).where(on_land)
    out["intensity_wan_per_mu"] = out["intensity_yi_per_km2"].map(
        yi_per_km2_to_wan_per_mu, na_action="ignore"
    )
    _gap_columns(out, output, out["land_km2"], t)
    return out.reset_index(drop=True)


def summarise_intensity(
    projects: pd.DataFrame,
    *,
    by: str | None = None,
    targets: IntensityTargets | None = None,
) -> pd.DataFrame:
    """Aggregate project figures, keeping land, floor-space and no-new-land projects apart.

    Parameters
    ----------
    projects
        As for :func:`project_intensity`.
    by
        Column to group by (e.g. ``sector_id``); ``None`` for one total row.
    targets
        Targets; default :class:`IntensityTargets`.

    Returns
    -------
    pandas.DataFrame
        ``n_projects``, ``n_land``, ``land_mu``, ``land_km2``, ``output_land_yi``,
        ``intensity_yi_per_km2``, ``intensity_wan_per_mu``, gaps and extra output for 2025 and
        2035, then the separate ``n_floor_space``, ``floor_m2``, ``output_floor_space_yi``,
        ``n_no_new_land``, ``output_no_new_land_yi``, ``n_unknown``.
    """
    t = targets or IntensityTargets()
    pi = project_intensity(projects, targets=t)
    if by is not None:
        pi[by] = projects[by].to_numpy()
        key = pi[by].astype("string").fillna("")
    else:
        key = pd.Series("all", index=pi.index, dtype="string")
    basis = pi["land_basis"]
    frame = pd.DataFrame(
        {
            "key": key,
            "one": 1,
            "is_land": (basis == "land").astype(int),
            "land_mu": pi["land_mu"].where(basis == "land", 0.0),
            "output_land_yi": pi["output_yi"].where(basis == "land", 0.0),
            "is_floor": (basis == "floor_space").astype(int),
            "floor_m2": pi["floor_m2"].where(basis == "floor_space", 0.0),
            "output_floor_space_yi": pi["output_yi"].where(basis == "floor_space", 0.0),
            "is_none": (basis == "no_new_land").astype(int),
            "output_no_new_land_yi": pi["output_yi"].where(basis == "no_new_land", 0.0),
            "is_unknown": (basis == "unknown").astype(int),
        }
    )
    g = frame.groupby("key", sort=True).sum(numeric_only=True)
    if by is None:  # one total row, also when no project is given (all counts 0)
        g = g.reindex(pd.Index(["all"], name="key"), fill_value=0)
    out = pd.DataFrame(index=g.index)
    out["n_projects"] = g["one"]
    out["n_land"] = g["is_land"]
    out["land_mu"] = g["land_mu"]
    out["land_km2"] = g["land_mu"] / MU_PER_KM2
    out["output_land_yi"] = g["output_land_yi"]
    _intensity_columns(out, out["output_land_yi"], out["land_km2"], t)
    out["n_floor_space"] = g["is_floor"]
    out["floor_m2"] = g["floor_m2"]
    out["output_floor_space_yi"] = g["output_floor_space_yi"]
    out["n_no_new_land"] = g["is_none"]
    out["output_no_new_land_yi"] = g["output_no_new_land_yi"]
    out["n_unknown"] = g["is_unknown"]
    out.index.name = by or "scope"
    return out.reset_index()


def district_intensity(
    projects: pd.DataFrame,
    *,
    zones: pd.DataFrame | None = None,
    targets: IntensityTargets | None = None,
) -> pd.DataFrame:
    """District-wide intensity of the project pipeline on several area bases.

    Rows (column ``basis``): ``land_need`` (the land-using projects' own need);
    ``planned_zones`` (sum of the zones' planned land, if ``zones`` given);
    ``target_land_2025`` / ``target_land_2035`` (the plan's 20 and 35 km²); and
    ``baseline_2020`` (the development zone's 260.5 亿元 on 25.5 km², for comparison).
    ``output_yi`` is the output of the land-using projects (floor-space and no-new-land
    projects are counted in ``output_other_yi``, not in the intensity).
    """
    t = targets or IntensityTargets()
    s = summarise_intensity(projects, targets=t).iloc[0]
    output = float(s["output_land_yi"])
    other = float(s["output_floor_space_yi"] + s["output_no_new_land_yi"])
    rows: list[tuple[str, float, float]] = [("land_need", output, float(s["land_km2"]))]
    if zones is not None:
        rows.append(("planned_zones", output, float(to_float(zones["planned_land_km2"]).sum())))
    rows.append(("target_land_2025", output, t.land_2025_km2))
    rows.append(("target_land_2035", output, t.land_2035_km2))
    rows.append(("baseline_2020", t.baseline_output_yi, t.baseline_area_km2))
    out = pd.DataFrame(rows, columns=["basis", "output_yi", "area_km2"])
    out["output_other_yi"] = [other if b != "baseline_2020" else math.nan for b in out["basis"]]
    out["intensity_yi_per_km2"] = out["output_yi"] / out["area_km2"]
    out["intensity_wan_per_mu"] = out["intensity_yi_per_km2"].map(yi_per_km2_to_wan_per_mu)
    _gap_columns(out, out["output_yi"], out["area_km2"], t)
    return out


def zone_intensity(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    *,
    locations: pd.DataFrame | None = None,
    zones_geo: pd.DataFrame | None = None,
    targets: IntensityTargets | None = None,
) -> pd.DataFrame:
    """Intensity per zone: output of the projects sited there over the zone's land.

    Parameters
    ----------
    projects
        As for :func:`project_intensity`.
    zones
        ``zone_id``, ``name_zh``, ``planned_land_km2``.
    locations
        ``project_id``, ``zone_id``, ``location_label`` (see
        :func:`wzgeo.analysis.balance.locate_projects`);
        default: the plan's own ``projects.zone_id`` (label ``plan``).
    zones_geo
        Zone geometry table with ``zone_id``, ``geometry_quality`` and ``area_km2_measured``;
        the measured intensity is given only where the quality is ``official``.
    targets
        Targets; default :class:`IntensityTargets`.

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``n_land``, ``output_land_yi``, ``land_need_mu``,
        ``planned_land_km2``, ``intensity_yi_per_km2`` (over planned land),
        ``intensity_wan_per_mu``, gaps and extra output for 2025/2035,
        ``area_km2_measured`` and ``intensity_measured_yi_per_km2`` (official geometry only),
        ``measured_note``, ``baseline_2020_yi_per_km2``, and the separate floor-space figures.
    """
    t = targets or IntensityTargets()
    if locations is None:
        loc = projects.loc[:, ["project_id", "zone_id"]]
    else:
        loc = locations.loc[:, ["project_id", "zone_id"]]
    merged = projects.drop(columns=["zone_id"], errors="ignore").merge(
        loc, on="project_id", how="left"
    )
    merged = merged.loc[merged["zone_id"].notna() & (merged["zone_id"].astype(str) != "")]
    summ = summarise_intensity(merged, by="zone_id", targets=t).set_index("zone_id")
    z = zones.loc[:, ["zone_id", "name_zh", "planned_land_km2"]].copy()
    z["planned_land_km2"] = to_float(z["planned_land_km2"])
    out = z.set_index("zone_id")
    for col, fill in (
        ("n_land", 0),
        ("output_land_yi", 0.0),
        ("land_mu", 0.0),
        ("n_floor_space", 0),
        ("floor_m2", 0.0),
        ("output_floor_space_yi", 0.0),
        ("n_no_new_land", 0),
        ("output_no_new_land_yi", 0.0),
    ):
        out[col] = summ[col].reindex(out.index).fillna(fill) if len(summ) else fill
    for col in ("n_land", "n_floor_space", "n_no_new_land"):
        out[col] = out[col].astype("int64")
    out = out.rename(columns={"land_mu": "land_need_mu"})
    _intensity_columns(out, out["output_land_yi"], out["planned_land_km2"], t)
    out["area_km2_measured"] = np.nan
    out["measured_note"] = "no geometry / 无几何"
    if zones_geo is not None:
        g = pd.DataFrame(zones_geo.drop(columns="geometry", errors="ignore")).set_index("zone_id")
        quality = g["geometry_quality"].reindex(out.index).astype("string")
        official = quality == "official"
        measured = to_float(g["area_km2_measured"]).reindex(out.index)
        out["area_km2_measured"] = measured.where(official.fillna(False))
        out["measured_note"] = quality.map(
            {
                "official": "official geometry / 官方边界",
                "schematic": "schematic geometry, not measured / 示意范围，不作量算",
                "not_located": "location unknown / 位置未知",
            }
        ).fillna("no geometry / 无几何")
    out["intensity_measured_yi_per_km2"] = out["output_land_yi"] / out["area_km2_measured"].where(
        out["area_km2_measured"] > 0
    )
    out["baseline_2020_yi_per_km2"] = t.baseline_yi_per_km2
    return out.reset_index()


def sector_intensity(
    projects: pd.DataFrame,
    *,
    sectors: pd.DataFrame | None = None,
    targets: IntensityTargets | None = None,
) -> pd.DataFrame:
    """Intensity per sector (``level`` = ``sector``) and sub-sector (``level`` = ``subsector``).

    Parameters
    ----------
    projects
        As for :func:`project_intensity`; ``sector_id`` is the finest sector.
    sectors
        ``sector_id``, ``parent_id``: projects of a sub-sector also count in its parent.
        Without it, only the projects' own sector ids are reported.
    targets
        Targets; default :class:`IntensityTargets`.
    """
    t = targets or IntensityTargets()
    parent = sector_parent_map(sectors)
    own = projects.assign(top=projects["sector_id"].astype(str).map(lambda s: parent.get(s, s)))
    parts = []
    top = summarise_intensity(own, by="top", targets=t).rename(columns={"top": "sector_id"})
    top.insert(1, "level", "sector")
    parts.append(top)
    subs = own.loc[own["sector_id"].astype(str).isin(parent.keys())]
    if len(subs):
        sub = summarise_intensity(subs, by="sector_id", targets=t)
        sub.insert(1, "level", "subsector")
        parts.append(sub)
    return pd.concat(parts, ignore_index=True)


def summary_tables(
    projects: pd.DataFrame,
    zones: pd.DataFrame,
    *,
    fit: pd.DataFrame,
    sectors: pd.DataFrame,
    targets: IntensityTargets | None = None,
    zones_geo: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    suggest: bool = True,
) -> dict[str, pd.DataFrame]:
    """The district, zone and sector tables used by ``wzgeo summary``, the app and notebook.

    Projects are located by :func:`wzgeo.analysis.siting.suggest_locations` (plan and user locations
    kept; the rest suggested; read from ``geodata/plan/siting.json`` when the inputs are the
    shipped ones, :mod:`wzgeo.analysis.sitingcache`) when ``suggest`` is true, else by
    :func:`wzgeo.analysis.balance.locate_projects` (plan and user locations only).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``district`` (:func:`district_intensity`), ``zones`` (:func:`zone_intensity`
        joined with :func:`wzgeo.analysis.balance.zone_balance`), ``sectors``
        (:func:`sector_intensity` joined with :func:`wzgeo.analysis.balance.sector_balance`)
        and ``locations``.
    """
    from wzgeo.analysis.balance import locate_projects, sector_balance, zone_balance
    from wzgeo.analysis.sitingcache import suggest_locations  # stored answer for the shipped tables

    t = targets or IntensityTargets()
    if suggest:
        loc = suggest_locations(projects, zones, fit, assignments=assignments)
    else:
        loc = locate_projects(projects, zones=zones, assignments=assignments)
    zi = zone_intensity(projects, zones, locations=loc, zones_geo=zones_geo, targets=t)
    zb = zone_balance(projects, zones, locations=loc)
    zt = zi.merge(zb.drop(columns=["name_zh", "floor_m2"]), on="zone_id", how="left")
    si = sector_intensity(projects, sectors=sectors, targets=t)
    sb = sector_balance(projects, zones, fit, sectors=sectors).drop(columns=["n_projects"])
    st = si.merge(
        sb.rename(columns={"floor_m2": "floor_m2_all"}), on=["sector_id", "level"], how="left"
    )
    return {
        "district": district_intensity(projects, zones=zones, targets=t),
        "zones": zt,
        "sectors": st,
        "locations": loc,
    }

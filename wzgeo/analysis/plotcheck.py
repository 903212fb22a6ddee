"""Plot check: where plots lie relative to the zones, whether the sector fits, and the numbers.

:func:`check_plots` takes plots (a GeoDataFrame in any CRS) and optionally a sector or a
project, and reports per plot:

- area in m², 亩, 公顷 and km², measured in EPSG:4545;
- the zones it overlaps and the share of the plot in each (``zone_id`` = largest share);
- the sector-fit grade of that zone with the reason quoted from 专栏12; ``outside`` when the
  plot lies in no zone, or ``unknown`` when it lies in no *located* zone while some zones have
  no known location (it might lie in one of them);
- the other plots it overlaps (interiors intersect; touching edges do not count);
- when outside every zone: the nearest zone that fits the sector (``primary`` or
  ``compatible``; any located zone when no sector is given) and the distance to it;
- when a project is given: the project's output over the plots' total area (地均产出), and the
  control indicators of :mod:`wzgeo.analysis.rules` (pass / fail / unknown).

Zone geometry is schematic until official boundaries are supplied; every result that depends
on a schematic zone says so (``geometry_note``), and zones with no known location are listed in
``PlotCheck.notes`` (their overlaps and distances cannot be known).

Measuring many plots is done by :mod:`wzgeo.analysis._bulkcheck` (coordinate arrays instead of one
GEOS
call per plot where that gives the same numbers); :func:`check_plot_layer` takes a whole layer
as WKB (e.g. a GeoParquet column) and decodes only the plots it has to.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wzgeo.analysis._bulkcheck import PlotGeometries, measure_plots, zone_overlaps
from wzgeo.analysis.answer import Finding, answer_sentences
from wzgeo.analysis.landuse import LandLayers, check_land, land_findings
from wzgeo.analysis.rules import check_indicators, sector_codes
from wzgeo.errors import CRSError, WzgeoError
from wzgeo.geo import crs as wzcrs
from wzgeo.geo.units import M2_PER_HA, M2_PER_KM2, M2_PER_MU, WAN_PER_YI, yi_per_km2_to_wan_per_mu

__all__ = ["SCHEMATIC_NOTE", "PlotCheck", "check_plot_layer", "check_plots"]

logger = logging.getLogger(__name__)

_SCHEMATIC_ZH = "园区范围为示意（非官方边界），重叠与距离仅供参考"
_SCHEMATIC_EN = (
    "zone boundary is schematic (not official): overlap and distance are indicative only"
)
SCHEMATIC_NOTE = f"{_SCHEMATIC_ZH} / {_SCHEMATIC_EN}"
_MIN_OVERLAP_M2 = 0.01
_INDICATOR_COLUMNS = (
    "plot_ratio",
    "building_coverage_pct",
    "admin_facility_share_pct",
    "green_ratio_pct",
)


@dataclass(frozen=True)
class PlotCheck:
    """Result of :func:`check_plots`.

    Attributes
    ----------
    table
        One row per plot (no geometry), in the input's order.
    zone_overlaps
        Long table: ``plot_id``, ``zone_id``, ``overlap_m2``, ``share_pct``,
        ``geometry_quality``.
    indicators
        Control-indicator results (:func:`wzgeo.analysis.rules.check_indicators`) for the project's
        site, empty when no project is given.
    sector_id, project_id
        What was checked.
    notes
        Notes that apply to the whole check, each ``"中文 / English"``.
    notes_zh, notes_en
        The same notes in one language each (same order).
    zones_not_located
        Zones with no known location (their overlaps and distances cannot be known).
    zone_names
        zone id → (Chinese name, English name), from the zones table when one was given
        (answers and notes then name zones in words, not by id).
    findings
        plot id → further findings about that plot, most serious first; they lead its
        answer sentence (:mod:`wzgeo.analysis.answer`). Empty unless a later check adds some
        (``dataclasses.replace(check, findings=...)``).
    land_use
        The plots' land-use composition (``plot_id``, ``code``, ``name_zh``, ``area_m2``,
        ``area_mu``, ``share_pct``); empty unless land layers were given.
    constraints
        Red-line findings (``plot_id``, ``kind``, ``overlap_m2``, ``overlap_mu``,
        ``outside_m2``, ``status``); empty unless land layers were given.
    """

    table: pd.DataFrame
    zone_overlaps: pd.DataFrame
    indicators: pd.DataFrame
    sector_id: str | None = None
    project_id: str | None = None
    notes: list[str] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)
    notes_en: list[str] = field(default_factory=list)
    zones_not_located: tuple[str, ...] = ()
    zone_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    land_use: pd.DataFrame = field(default_factory=pd.DataFrame)
    constraints: pd.DataFrame = field(default_factory=pd.DataFrame)

    def answers(self, *, lang: str, limit: int | None = None) -> list[str]:
        """One answer sentence per plot in ``lang``
        (:func:`wzgeo.analysis.answer.answer_sentences`)."""
        return answer_sentences(self, lang=lang, limit=limit)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable report (NaN/NA become ``None``), led by the answer sentences
        (``answer_zh``, ``answer_en``: one per plot, also on each plot)."""
        answer_zh = self.answers(lang="zh")
        answer_en = self.answers(lang="en")
        by_plot: dict[str, list[dict[str, Any]]] = {}
        for rec in _records(self.zone_overlaps):
            by_plot.setdefault(str(rec["plot_id"]), []).append(
                {k: v for k, v in rec.items() if k != "plot_id"}
            )
        land: dict[str, list[dict[str, Any]]] = {}
        for rec in _records(self.land_use):
            land.setdefault(str(rec.pop("plot_id")), []).append(rec)
        cons: dict[str, list[dict[str, Any]]] = {}
        for rec in _records(self.constraints):
            pid = str(rec.pop("plot_id"))
            if rec["kind"] != "dev_boundary":
                rec.pop("outside_m2", None)
            cons.setdefault(pid, []).append(rec)
        plots = []
        for rec, zh, en in zip(_records(self.table), answer_zh, answer_en, strict=True):
            rec = {"answer_zh": zh, "answer_en": en, **rec}
            rec["zones"] = by_plot.get(str(rec["plot_id"]), [])
            ov = rec.get("overlapping_plots")
            rec["overlapping_plots"] = ov.split(";") if isinstance(ov, str) and ov else []
            if not self.constraints.empty:
                pid = str(rec["plot_id"])
                rec["land_use"] = land.get(pid, [])
                rec["constraints"] = cons.get(pid, [])
                rec["land_class"] = {
                    "required": rec.get("land_class_required"),
                    "found": rec.get("land_class_found"),
                    "found_code": rec.get("land_class_found_code"),
                    "status": rec.get("land_class_status"),
                    "reason": rec.get("land_class_reason"),
                }
            plots.append(rec)
        return {
            "answer_zh": answer_zh,
            "answer_en": answer_en,
            "sector_id": self.sector_id,
            "project_id": self.project_id,
            "notes": list(self.notes),
            "notes_zh": list(self.notes_zh),
            "notes_en": list(self.notes_en),
            "zones_not_located": list(self.zones_not_located),
            "findings": {
                pid: [{"kind": f.kind, "zh": f.zh, "en": f.en} for f in fs]
                for pid, fs in self.findings.items()
            },
            "plots": plots,
            "indicators": _records(self.indicators),
        }


def _py(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _py(v) for k, v in r.items()} for r in df.to_dict("records")]


def _plot_ids(plots: gpd.GeoDataFrame) -> pd.Series:
    if "plot_id" in plots.columns:
        ids = plots["plot_id"].astype("string").fillna("").reset_index(drop=True)
    else:
        ids = pd.Series([str(i) for i in plots.index], dtype="string")
    if not ids.is_unique:
        raise WzgeoError(
            "地块编号（plot_id）有重复，请保证每个地块编号唯一。",
            "plot ids (plot_id) are not unique; give every plot its own id.",
        )
    return ids


def _project_row(projects: pd.DataFrame, project_id: str) -> pd.Series:
    hit = projects.loc[projects["project_id"].astype(str) == project_id]
    if hit.empty:
        raise WzgeoError(
            f"未知项目编号“{project_id}”，请使用项目库中的编号（如 NM-CU-01）。",
            f"unknown project id '{project_id}'; use an id of the project library (e.g. NM-CU-01).",
        )
    return hit.iloc[0]


def _take(labels: list[Any], idx: np.ndarray, missing: Any) -> Any:
    """``labels[idx]`` as a string array, ``missing`` where ``idx == -1``."""
    import pyarrow as pa

    table = pa.array([*labels, missing], type=pa.large_string())
    pos = np.where(idx < 0, len(labels), idx).astype(np.int64)
    return pd.array(table.take(pa.array(pos)), dtype="string")


def _categorical(labels: list[str], idx: np.ndarray, missing: str) -> Any:
    """Like :func:`_take` but categorical (for long repeated texts)."""
    cats = list(dict.fromkeys([*labels, missing]))
    codes_of = np.array([cats.index(x) for x in [*labels, missing]], dtype=np.int64)
    return pd.Categorical.from_codes(
        codes_of[np.where(idx < 0, len(labels), idx)], categories=pd.Index(cats)
    )


def _empty_strings(n: int) -> pd.Series:
    return pd.Series(_take([], np.full(n, -1, dtype=np.int64), ""))


def _nearest(geoms: np.ndarray, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest zone and the exact distance, for each geometry.

    Exact distances are computed only for zones that can be nearest: each zone lies in a
    disc (centre = a point inside it, radius R); for a geometry with bounding-box centre c and
    half-diagonal r, distance ≥ |c − centre| − R − r and ≤ |c − centre| + r.
    """
    b = shapely.bounds(geoms)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    r = np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / 2
    centres = shapely.point_on_surface(zones)
    px, py = shapely.get_x(centres), shapely.get_y(centres)
    radius = np.array(
        [
            np.hypot(*(shapely.get_coordinates(z) - [x, y]).T).max()
            for z, x, y in zip(zones, px, py, strict=True)
        ]
    )
    d_centre = np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :])
    lower = np.maximum(d_centre - radius[None, :] - r[:, None], 0.0)
    upper = (d_centre + r[:, None]).min(axis=1)
    dist = np.full(lower.shape, np.inf)
    for k, zone in enumerate(zones):
        cand = np.flatnonzero(lower[:, k] <= upper)
        if len(cand):
            dist[cand, k] = shapely.distance(geoms[cand], zone)
    best = dist.argmin(axis=1)
    return best, dist[np.arange(len(geoms)), best]


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def check_plots(
    plots: gpd.GeoDataFrame,
    *,
    zones_geo: gpd.GeoDataFrame | None = None,
    zones: pd.DataFrame | None = None,
    sector_id: str | None = None,
    project_id: str | None = None,
    projects: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
    fit: pd.DataFrame | None = None,
    sectors: pd.DataFrame | None = None,
    plot_overlaps: bool = True,
    nearest: bool = True,
    validate: bool = True,
    land_layers: LandLayers | None = None,
) -> PlotCheck:
    """Check plots against the zones, the sector fit and the control indicators.

    Parameters
    ----------
    plots
        Polygons with a CRS (any). ``plot_id`` is used if present, else the index. Optional
        columns ``plot_ratio``, ``building_coverage_pct``, ``admin_facility_share_pct``,
        ``green_ratio_pct`` feed the control indicators. A ``geometry_repaired`` column (as
        :func:`wzgeo.plots.io.read_plots` gives) marks plots whose geometry was repaired
        before; they stay flagged.
    zones_geo
        Zone polygons with ``zone_id`` and ``geometry_quality``; default
        :func:`wzgeo.geo.zonegeom.load_zone_geometry`.
    zones
        Zones table (``zone_id``, ``name_zh``); when given, ``zone_name_zh`` is added.
    sector_id
        Sector to check the fit for.
    project_id
        Project whose sector and figures to use (``sector_id`` is then taken from it).
    projects
        Projects table; default :func:`wzgeo.plan.data.load_projects` when ``project_id`` is
        given.
    rules
        Rules table; default :func:`wzgeo.analysis.rules.load_rules`.
    fit
        Fit table; default :func:`wzgeo.analysis.sectorfit.load_sector_fit`.
    sectors
        Sectors table (for GB/T 4754 codes); default :func:`wzgeo.plan.data.load_sectors`.
    plot_overlaps
        Look for overlaps between the plots (on by default).
    nearest
        Find the nearest fitting zone of plots outside every zone (on by default; the bulk
        ``wzgeo check-plots`` turns it on with ``--distance``).
    validate
        Check every geometry and repair invalid ones (self-intersections, …) with
        ``shapely.make_valid`` before measuring; repaired plots are flagged in
        ``geometry_repaired`` and counted in the notes. Strictly convex single-ring plots are
        valid by construction and are recognised from their coordinates; only the others go
        to GEOS ``is_valid``. Turn off only for layers known to be valid.
    land_layers
        Imported land-use and red-line layers (:class:`wzgeo.analysis.landuse.LandLayers`):
        adds the land-use composition, the red-line constraints, the industrial land class
        and the planned 控规 indicators (:func:`wzgeo.analysis.landuse.check_land`). ``None``
        (default) leaves them out; an empty ``LandLayers()`` reports them as unknown.

    Returns
    -------
    PlotCheck

    Raises
    ------
    CRSError
        Plots without a CRS.
    WzgeoError
        Unknown sector or project, both given and contradicting, or duplicate plot ids.
    """
    if not isinstance(plots, gpd.GeoDataFrame):
        raise WzgeoError(
            f"地块应为 GeoDataFrame，收到 {type(plots).__name__}。",
            f"plots must be a GeoDataFrame, got {type(plots).__name__}.",
        )
    wzcrs.require_crs(plots, what="地块 / plots")
    wzcrs.to_measure_crs(plots.geometry.iloc[:0])  # refuses GCJ-02 / BD-09 shifted data
    result = _check(
        _plot_ids(plots),
        PlotGeometries(np.asarray(plots.geometry.to_numpy(), dtype=object)),
        plots.crs,
        plots,
        zones_geo=zones_geo,
        zones=zones,
        sector_id=sector_id,
        project_id=project_id,
        projects=projects,
        rules=rules,
        fit=fit,
        sectors=sectors,
        plot_overlaps=plot_overlaps,
        nearest=nearest,
        validate=validate,
        land_layers=land_layers,
    )
    if "name" not in plots.columns:
        return result
    # the plot's own name from the file (名称, name …), beside its id, for reports
    table = result.table.copy()
    names = plots["name"].astype("string").fillna("").reset_index(drop=True)
    table.insert(1, "plot_name", names.to_numpy())
    return replace(result, table=table)


def check_plot_layer(
    wkb: Any,
    *,
    crs: Any,
    plot_ids: pd.Series | None = None,
    zones_geo: gpd.GeoDataFrame | None = None,
    zones: pd.DataFrame | None = None,
    sector_id: str | None = None,
    fit: pd.DataFrame | None = None,
    plot_overlaps: bool = False,
    nearest: bool = False,
    validate: bool = True,
    land_layers: LandLayers | None = None,
) -> PlotCheck:
    """:func:`check_plots` for a whole parcel layer given as WKB (e.g. a GeoParquet column).

    Geometries are decoded only where needed (see :mod:`wzgeo.analysis._bulkcheck`); the results are
    those of :func:`check_plots` on the decoded layer.

    Parameters
    ----------
    wkb
        pyarrow binary array (or chunked array) of WKB geometries.
    crs
        Their CRS (anything pyproj accepts); required.
    plot_ids
        Plot ids (strings), default ``"0"``, ``"1"``, … (the row numbers).
    zones_geo, zones, sector_id, fit, plot_overlaps, nearest, validate, land_layers
        As in :func:`check_plots` (overlaps and distances are off by default here).

    Returns
    -------
    PlotCheck
    """
    import pyarrow as pa

    if crs is None:
        raise CRSError(
            "地块图层没有坐标系，请指定（如 EPSG:4545）。",
            "the parcel layer has no CRS; give one (e.g. EPSG:4545).",
        )
    geoms = PlotGeometries(wkb)
    if plot_ids is None:
        ids = pd.Series(
            pd.array(pa.array(np.arange(geoms.n)).cast(pa.large_string()), dtype="string")
        )
    else:
        ids = _plot_ids(pd.DataFrame({"plot_id": plot_ids}))
    return _check(
        ids,
        geoms,
        crs,
        None,
        zones_geo=zones_geo,
        zones=zones,
        sector_id=sector_id,
        fit=fit,
        plot_overlaps=plot_overlaps,
        nearest=nearest,
        validate=validate,
        land_layers=land_layers,
    )


def _check(
    ids: pd.Series,
    geoms: PlotGeometries,
    crs: Any,
    plots: pd.DataFrame | None,
    *,
    zones_geo: gpd.GeoDataFrame | None,
    zones: pd.DataFrame | None,
    sector_id: str | None,
    project_id: str | None = None,
    projects: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
    fit: pd.DataFrame | None,
    sectors: pd.DataFrame | None = None,
    plot_overlaps: bool,
    nearest: bool,
    validate: bool,
    land_layers: LandLayers | None = None,
) -> PlotCheck:
    if zones_geo is None:
        from wzgeo.geo.zonegeom import load_zone_geometry

        zones_geo = load_zone_geometry()
    if fit is None and (sector_id or project_id):
        from wzgeo.analysis.sectorfit import load_sector_fit

        fit = load_sector_fit()
    project = None
    if project_id is not None:
        if projects is None:
            from wzgeo.plan.data import load_projects

            projects = load_projects()
        project = _project_row(projects, project_id)
        own = str(project["sector_id"])
        if sector_id is not None and sector_id != own:
            raise WzgeoError(
                f"项目 {project_id} 属于行业 {own}，与指定的 {sector_id} 不一致；只给其一即可。",
                f"project {project_id} is in sector {own}, not {sector_id}; give only one.",
            )
        sector_id = own
    fit_rows = None
    if sector_id is not None:
        assert fit is not None
        from wzgeo.analysis.sectorfit import fit_for_sector

        fit_rows = fit_for_sector(fit, sector_id).set_index("zone_id")

    n = geoms.n
    zg = zones_geo.loc[zones_geo.geometry.notna() & ~zones_geo.geometry.is_empty]
    zone_m = np.asarray(wzcrs.to_measure_crs(zg.geometry).to_numpy(), dtype=object)
    measured = measure_plots(
        geoms, crs, validate=validate, near_boxes=shapely.bounds(zone_m).reshape(-1, 4)
    )
    if measured.missing.any():
        raise WzgeoError(
            "有地块没有几何（空或缺失），请删除这些行或补上边界。",
            "some plots have no geometry (empty or missing); remove those rows or add boundaries.",
        )
    repaired = measured.repaired.copy()
    if plots is not None and "geometry_repaired" in plots.columns:
        # repaired on import (wzgeo.plots.io.read_plots): the geometry is valid now, but the
        # file's was not
        flag = plots["geometry_repaired"].eq(True).fillna(False)
        repaired |= flag.to_numpy(dtype=bool)
    area = measured.area_m2
    table = pd.DataFrame({"plot_id": ids})
    table["geometry_repaired"] = repaired
    table["area_m2"] = area
    table["area_mu"] = area / M2_PER_MU
    table["area_ha"] = area / M2_PER_HA
    table["area_km2"] = area / M2_PER_KM2

    # zones
    not_located = sorted(set(zones_geo["zone_id"].astype(str)) - set(zg["zone_id"].astype(str)))
    zone_names = _zone_names(zones)
    not_located_zh = "、".join(zone_names.get(z, (z, z))[0] for z in not_located)
    not_located_en = ", ".join(zone_names.get(z, (z, z))[1] for z in not_located)
    zone_ids = zg["zone_id"].astype(str).to_numpy()
    quality = zg["geometry_quality"].astype(str).to_numpy()
    pi, zi, inter = zone_overlaps(measured, zone_m)
    keep = inter > _MIN_OVERLAP_M2
    pi, zi, inter = pi[keep], zi[keep], inter[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area[pi] > 0, 100.0 * inter / area[pi], np.nan)
    overlaps = pd.DataFrame(
        {
            "plot_id": ids.iloc[pi].to_numpy(),
            "zone_id": pd.array(zone_ids[zi], dtype="string"),
            "overlap_m2": inter,
            "share_pct": share,
            "geometry_quality": pd.array(quality[zi], dtype="string"),
        }
    )
    # main zone = largest share per plot
    order = np.lexsort((-inter, pi))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pi[order][1:] != pi[order][:-1]
    main_p = pi[order][first]
    main_z = zi[order][first]
    main_share = np.full(n, np.nan)
    main_share[main_p] = share[order][first]
    in_zones_pct = np.bincount(pi, weights=share, minlength=n) if n else np.array([])
    n_zones = np.bincount(pi, minlength=n) if n else np.array([], dtype=int)
    main_idx = np.full(n, -1, dtype=np.int64)
    main_idx[main_p] = main_z
    table["zone_id"] = _take(list(zone_ids), main_idx, None)
    if zones is not None:
        names = dict(zip(zones["zone_id"].astype(str), zones["name_zh"].astype(str), strict=True))
        table["zone_name_zh"] = _take([names.get(z) for z in zone_ids], main_idx, None)
    table["zone_share_pct"] = main_share
    table["in_zones_pct"] = in_zones_pct
    table["n_zones"] = n_zones
    multi = np.flatnonzero(n_zones > 1)
    zones_text = table["zone_id"].copy()
    if len(multi):
        sub = overlaps.loc[np.isin(pi, multi)]
        joined = (
            sub.assign(t=sub["zone_id"] + ":" + sub["share_pct"].round(1).astype(str) + "%")
            .groupby("plot_id", sort=False)["t"]
            .agg(";".join)
        )
        zones_text.iloc[multi] = ids.iloc[multi].map(joined).to_numpy()
    table["zones_overlapped"] = zones_text
    table["zone_geometry_quality"] = _take(list(quality), main_idx, None)
    schematic_hit = np.zeros(n, dtype=bool)
    if len(pi):
        schematic_hit |= np.bincount(pi, weights=(quality[zi] == "schematic"), minlength=n) > 0

    # sector fit
    if fit_rows is not None:
        grade_of = fit_rows["grade"].astype(str).to_dict()
        reason_of = fit_rows["reason_zh"].astype(str).to_dict()
        reason_en_of = fit_rows["reason_en"].astype(str).to_dict()
        # outside every located zone: "outside" only if every zone is located, else unknown
        out_grade = "unknown" if not_located else "outside"
        out_reason = (
            f"地块不在任何已定位园区内；{not_located_zh} 位置未知，无法判断 / outside "
            f"every located zone; {not_located_en} have no known location, so unknown"
            if not_located
            else "地块不在任何园区内 / outside every zone"
        )
        out_reason_en = out_reason.split(" / ", 1)[1]
        table["fit_grade"] = _take(
            [grade_of.get(z, "not_listed") for z in zone_ids], main_idx, out_grade
        )
        table["fit_reason_zh"] = _categorical(
            [reason_of.get(z, "") for z in zone_ids], main_idx, out_reason
        )
        table["fit_reason_en"] = _categorical(
            [reason_en_of.get(z, "") for z in zone_ids], main_idx, out_reason_en
        )
        fitting = {z for z, g in grade_of.items() if g in ("primary", "compatible")}
    else:
        table["fit_grade"] = pd.array([pd.NA] * n, dtype="string")
        table["fit_reason_zh"] = _categorical(
            [], np.full(n, -1), "未指定行业或项目 / no sector or project given"
        )
        table["fit_reason_en"] = _categorical([], np.full(n, -1), "no sector or project given")
        fitting = set(zone_ids)

    # nearest fitting zone for plots outside every zone
    near_idx = np.full(n, -1, dtype=np.int64)
    near_dist = np.full(n, np.nan)
    if nearest:
        outside = np.flatnonzero(n_zones == 0)
        fit_idx = np.flatnonzero(np.isin(zone_ids, sorted(fitting)))
        if len(outside) and len(fit_idx):
            k, dist = _nearest(measured.projected(outside), zone_m[fit_idx])
            near_idx[outside] = fit_idx[k]
            near_dist[outside] = dist
            schematic_hit[outside] |= quality[fit_idx[k]] == "schematic"
    table["nearest_fitting_zone_id"] = _take(list(zone_ids), near_idx, None)
    table["distance_to_fitting_zone_m"] = near_dist

    # overlaps between plots (interiors intersect; touching edges do not count)
    n_ov = np.zeros(n, dtype=np.int64)
    txt = _empty_strings(n)
    if plot_overlaps and n > 1:
        geoms_m = measured.projected(np.arange(n))
        a, b = shapely.STRtree(geoms_m).query(geoms_m)
        m = a < b
        a, b = a[m], b[m]
        hit = shapely.relate_pattern(geoms_m[a], geoms_m[b], "T********")
        a, b = np.concatenate([a[hit], b[hit]]), np.concatenate([b[hit], a[hit]])
        n_ov = np.bincount(a, minlength=n)
        if len(a):
            pairs = pd.DataFrame({"a": a, "b": b}).sort_values(["a", "b"])
            pairs["bid"] = ids.iloc[pairs["b"].to_numpy()].to_numpy()
            joined = pairs.groupby("a")["bid"].agg(";".join)
            txt.iloc[joined.index.to_numpy()] = joined.to_numpy()
    table["n_overlapping_plots"] = n_ov
    table["overlapping_plots"] = txt.array

    table["geometry_note"] = pd.Categorical.from_codes(
        schematic_hit.astype(np.int64), categories=pd.Index(["", SCHEMATIC_NOTE])
    )

    # land use and red lines
    land_use = pd.DataFrame()
    constraints = pd.DataFrame()
    if land_layers is not None:
        # plots are projected only when there is a layer to check them against
        geoms_m = (
            measured.projected(np.arange(n)) if land_layers.layers else np.full(n, None, object)
        )
        lc = check_land(
            geoms_m, area, land_layers, sector_id=sector_id, sectors=sectors, rules=rules
        )
        for col in lc.columns.columns:
            table[col] = lc.columns[col].to_numpy()
        land_use = lc.composition.assign(plot_id=ids.iloc[lc.composition["row"]].to_numpy())
        land_use = land_use.drop(columns="row").loc[:, ["plot_id", *land_use.columns[1:-1]]]
        constraints = lc.constraints.assign(plot_id=ids.iloc[lc.constraints["row"]].to_numpy())
        constraints = constraints.drop(columns="row").loc[
            :, ["plot_id", *[c for c in constraints.columns if c not in ("row", "plot_id")]]
        ]

    # project figures
    indicators = pd.DataFrame()
    notes: list[tuple[str, str]] = []  # (中文, English)
    if land_layers is not None and land_layers.fictional:
        notes.append(
            (
                "用地用海/红线图层为示例（虚构）数据，结论仅供学习",
                "the land-use / red-line layers are demo data (fictional): findings are for "
                "learning only",
            )
        )
    if repaired.any():
        notes.append(
            (
                f"{int(repaired.sum())} 个地块几何无效（如自相交），已按结构修复后计算",
                f"{int(repaired.sum())} invalid plot geometries (e.g. self-intersections) were "
                "repaired (make_valid) before measuring",
            )
        )
    if not_located:
        notes.append(
            (
                f"位置未知的园区（无法判断重叠和距离）：{not_located_zh}",
                "zones with no known location (overlap and distance cannot be known): "
                f"{not_located_en}",
            )
        )
    if schematic_hit.any():
        notes.append((_SCHEMATIC_ZH, _SCHEMATIC_EN))
    if project is not None:
        total_km2 = float(area.sum()) / M2_PER_KM2
        total_mu = float(area.sum()) / M2_PER_MU
        output = _num(project.get("output_yi"))
        invest = _num(project.get("investment_yi"))
        tax = _num(project.get("tax_yi"))
        need_mu = _num(project.get("land_mu"))
        intensity = output / total_km2 if total_km2 > 0 else math.nan
        table["project_id"] = project_id
        table["site_area_mu"] = total_mu
        table["project_land_need_mu"] = need_mu
        table["intensity_yi_per_km2"] = intensity
        table["intensity_wan_per_mu"] = yi_per_km2_to_wan_per_mu(intensity)
        values: dict[str, float | None] = {
            "output_intensity_yi_per_km2": intensity,
            "output_intensity_wan_per_mu": yi_per_km2_to_wan_per_mu(intensity),
            "investment_intensity_wan_per_mu": invest * WAN_PER_YI / total_mu
            if total_mu > 0
            else math.nan,
            "tax_per_mu_wan": tax * WAN_PER_YI / total_mu if total_mu > 0 else math.nan,
        }
        for col in _INDICATOR_COLUMNS:
            if plots is not None and col in plots.columns:
                vals = pd.to_numeric(plots[col], errors="coerce")
                # one site: a value applies only if all plots state the same one
                uniq = vals.dropna().unique()
                values[col] = float(uniq[0]) if len(uniq) == 1 and vals.notna().all() else None
        codes: list[str] = []
        if sectors is None:
            from wzgeo.plan.data import load_sectors

            sectors = load_sectors()
        assert sector_id is not None
        codes = sector_codes(sectors, sector_id)
        indicators = check_indicators(values, gbt4754_codes=codes, rules=rules)
        counts = indicators["result"].value_counts()
        for r in ("pass", "fail", "unknown"):
            table[f"indicators_{r}"] = int(counts.get(r, 0))
        if n > 1:
            notes.append(
                (
                    "多个地块合为该项目的一个用地计算强度",
                    "the plots together are taken as the project's site for intensity and "
                    "indicators",
                )
            )
        if not math.isnan(need_mu) and total_mu > 0:
            table["site_vs_need_pct"] = 100.0 * total_mu / need_mu if need_mu > 0 else math.nan
    return PlotCheck(
        table=table,
        zone_overlaps=overlaps,
        indicators=indicators,
        sector_id=sector_id,
        project_id=project_id,
        notes=[f"{zh} / {en}" for zh, en in notes],
        notes_zh=[zh for zh, _en in notes],
        notes_en=[en for _zh, en in notes],
        zones_not_located=tuple(not_located),
        zone_names=zone_names,
        land_use=land_use,
        constraints=constraints,
        findings=land_findings(table) if land_layers is not None else {},
    )


def _zone_names(zones: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """zone id → (Chinese name, English name) from the zones table (empty without one)."""
    if zones is None or "zone_id" not in zones.columns or "name_zh" not in zones.columns:
        return {}
    zh = zones["name_zh"].astype("string").fillna("")
    en = zones["name_en"].astype("string").fillna("") if "name_en" in zones.columns else zh
    return {
        str(z): (str(a) or str(z), str(b) or str(a) or str(z))
        for z, a, b in zip(zones["zone_id"].astype(str), zh, en, strict=True)
    }

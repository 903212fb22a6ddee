"""Check and prepare what the map draws: inputs, zone and project locations, display CRS.

Validation of the map's inputs (GeoDataFrames with a CRS, required columns, choices), the
join of the zone table with zone geometry, where each project is drawn (its own geometry,
else its zone's representative point, never an invented place) and the GCJ-02 shift for the
Gaode basemap (done by :func:`wzgeo.geo.crs.to_gcj02`, the one place that knows GCJ-02).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from wzgeo.errors import CRSError, WzgeoError

__all__ = [
    "intensity_by_zone",
    "is_missing",
    "place_projects",
    "require_choice",
    "require_columns",
    "require_gdf",
    "split_zones",
    "to_display",
    "zone_name",
]

logger = logging.getLogger(__name__)


def is_missing(value: object) -> bool:
    """True for ``None``, ``pd.NA``, ``pd.NaT``, NaN and blank text.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    bool
        Whether the value counts as missing.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def require_gdf(gdf: object, name: str) -> gpd.GeoDataFrame:
    """The GeoDataFrame in EPSG:4326; refuse other types and data without a CRS.

    Parameters
    ----------
    gdf
        The argument to check.
    name
        Its name, for the message.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself if already in EPSG:4326, else a reprojected copy.

    Raises
    ------
    WzgeoError
        If ``gdf`` is not a GeoDataFrame.
    CRSError
        If it has no CRS.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise WzgeoError(
            f"参数 {name} 应为 GeoDataFrame，实际为 {type(gdf).__name__}。",
            f"Argument {name} must be a GeoDataFrame, got {type(gdf).__name__}.",
        )
    if gdf.crs is None:
        raise CRSError(
            f"{name} 没有坐标系（CRS）；请设置为 EPSG:4326 后再绘图。",
            f"{name} has no CRS; set it (EPSG:4326) before mapping.",
        )
    if gdf.crs.to_epsg() != 4326:
        logger.info("reprojecting %s from %s to EPSG:4326", name, gdf.crs)
        return gdf.to_crs(4326)
    return gdf


def require_columns(df: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    """Refuse a table that lacks any of ``columns``.

    Parameters
    ----------
    df
        The table.
    name
        Its name, for the message.
    columns
        Required column names.

    Raises
    ------
    WzgeoError
        Naming the missing columns.
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise WzgeoError(
            f"{name} 缺少列：{', '.join(missing)}。",
            f"{name} lacks columns: {', '.join(missing)}.",
        )


def require_choice(value: str, choices: Sequence[str], *, what_zh: str, what_en: str) -> None:
    """Refuse a value that is not one of ``choices``.

    Parameters
    ----------
    value
        The value given.
    choices
        The allowed values, listed in the message.
    what_zh, what_en
        What the value is (e.g. ``"底图"``, ``"basemap"``), for the message.

    Raises
    ------
    WzgeoError
        Showing the value and the choices.
    """
    if value not in choices:
        raise WzgeoError(
            f"未知的{what_zh} {value!r}，可用：{', '.join(choices)}。",
            f"Unknown {what_en} {value!r}; use one of {', '.join(choices)}.",
        )


def zone_name(row: Mapping[str, Any], lang: str) -> str:
    """Display name of a zone: English or Chinese name, else its id.

    Parameters
    ----------
    row
        Zone record with ``zone_id`` and optional ``name_zh``, ``name_en``.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        The name.
    """
    if lang == "en" and not is_missing(row.get("name_en")):
        return str(row["name_en"])
    if not is_missing(row.get("name_zh")):
        return str(row["name_zh"])
    return str(row["zone_id"])


def to_display(gdf: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    """Display coordinates: the data as they are, or shifted to GCJ-02 for Gaode tiles.

    Parameters
    ----------
    gdf
        Data in EPSG:4326.
    gcj02
        Shift to GCJ-02.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself, or a shifted copy.
    """
    if not gcj02 or gdf.empty:
        return gdf
    from wzgeo.geo import crs  # the one place that knows GCJ-02

    return crs.to_gcj02(gdf)


def split_zones(
    zones: pd.DataFrame, zones_geo: gpd.GeoDataFrame, lang: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Join the zone table (the master list) with geometry; split located / not located.

    Parameters
    ----------
    zones
        Zone table with ``zone_id``.
    zones_geo
        Zone geometry with ``zone_id``; optional ``geometry_quality``, ``area_km2_measured``.
    lang
        Language of the names of zones not located.

    Returns
    -------
    merged : geopandas.GeoDataFrame
        Every zone row with its geometry (``None`` where unknown).
    located : geopandas.GeoDataFrame
        The zones that can be drawn.
    not_located : pandas.DataFrame
        ``zone_id``, ``name`` of the zones that cannot.
    """
    geo = zones_geo[
        ["zone_id", "geometry"]
        + [c for c in ("geometry_quality", "area_km2_measured") if c in zones_geo.columns]
    ]
    extra = sorted(set(geo["zone_id"]) - set(zones["zone_id"]))
    if extra:
        logger.debug("zone geometry without a (selected) zone row, not drawn: %s", extra)
    merged = gpd.GeoDataFrame(
        zones.merge(geo, on="zone_id", how="left"), geometry="geometry", crs=4326
    )
    if "geometry_quality" not in merged.columns:
        merged["geometry_quality"] = "official"
    mask = merged.geometry.notna() & ~merged.geometry.is_empty
    mask &= merged["geometry_quality"].astype("string").fillna("") != "not_located"
    not_located = pd.DataFrame(
        {
            "zone_id": merged.loc[~mask, "zone_id"].astype(str).tolist(),
            "name": [zone_name(r, lang) for _, r in merged.loc[~mask].iterrows()],
        }
    )
    return merged, merged.loc[mask].copy(), not_located


def place_projects(
    projects: pd.DataFrame, located: gpd.GeoDataFrame, lang: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Where each project is drawn: its own geometry, else its zone's representative point.

    Projects with neither are returned in the second frame with the reason, never drawn at an
    invented place.

    Parameters
    ----------
    projects
        Project table (a GeoDataFrame's geometries are used where present).
    located
        Zones that can be drawn, from :func:`split_zones`.
    lang
        Language of the reasons.

    Returns
    -------
    placed : geopandas.GeoDataFrame
        Projects with a point and ``location_basis``.
    unplaced : pandas.DataFrame
        ``project_id``, ``name``, ``zone_id``, ``reason``, ``reason_text``.
    """
    rep_points = {str(r.zone_id): r.geometry.representative_point() for r in located.itertuples()}
    proj = projects.copy()
    if isinstance(proj, gpd.GeoDataFrame):
        proj = require_gdf(proj, "projects")
        own_geom = proj.geometry
    else:
        own_geom = pd.Series([None] * len(proj), index=proj.index, dtype=object)
    points: list[Point | None] = []
    basis: list[str] = []
    unplaced_rows: list[dict[str, object]] = []
    records = pd.DataFrame(proj.drop(columns="geometry", errors="ignore")).to_dict("records")
    for idx, r in zip(proj.index, records, strict=True):  # dicts: much faster than iterrows
        zid = None if is_missing(r["zone_id"]) else str(r["zone_id"])
        lab = None if is_missing(r.get("location_label")) else str(r.get("location_label"))
        g = own_geom.get(idx)
        if g is not None and not getattr(g, "is_empty", True):
            points.append(g.representative_point())
            basis.append(lab or "plan")
        elif zid is not None and zid in rep_points:
            points.append(rep_points[zid])
            basis.append(lab or "plan")
        else:
            points.append(None)
            basis.append("unplaced")
            reason = (
                ("zone_not_located", "园区位置未知", "zone not located")
                if zid
                else ("no_zone", "无园区", "no zone")
            )
            unplaced_rows.append(
                {
                    "project_id": r["project_id"],
                    "name": r["name_zh"],
                    "zone_id": zid,
                    "reason": reason[0],
                    "reason_text": reason[1] if lang == "zh" else reason[2],
                }
            )
    placed = gpd.GeoDataFrame(
        pd.DataFrame(proj.drop(columns="geometry", errors="ignore")).assign(location_basis=basis),
        geometry=gpd.GeoSeries(points, index=proj.index, crs=4326),
    )
    unplaced = pd.DataFrame(
        unplaced_rows, columns=["project_id", "name", "zone_id", "reason", "reason_text"]
    )
    return placed.loc[placed.geometry.notna()], unplaced


def intensity_by_zone(intensity: pd.DataFrame | None) -> dict[str, float | None]:
    """``zone_id`` → output per km²; ``None`` where no project with land is sited there.

    Parameters
    ----------
    intensity
        ``zone_id``, ``intensity_yi_per_km2``, optional ``n_land``; or ``None``.

    Returns
    -------
    dict
        Zone id to value (empty without a table).
    """
    if intensity is None:
        return {}
    require_columns(intensity, "intensity", ("zone_id", "intensity_yi_per_km2"))
    values = intensity["intensity_yi_per_km2"].astype("Float64")
    if "n_land" in intensity.columns:
        # no project with land sited in the zone: no measurement, not an intensity of 0
        values = values.mask(intensity["n_land"].astype("Float64").fillna(0) == 0)
    return {
        str(z): (None if pd.isna(v) else float(v))
        for z, v in zip(intensity["zone_id"], values, strict=True)
    }

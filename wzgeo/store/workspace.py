"""The working data set: the shipped tables overlaid with the user's saved work.

Every analysis reads the same thing, whether it runs in the app, the CLI or a notebook: the
plan tables and rules shipped in ``geodata/``, with the store's edits on top (official zone
boundaries, sector-fit and land-rule edits, project → zone assignments). The shipped files
are never changed; the overlay happens in memory (:mod:`wzgeo.store.overlays`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wzgeo.analysis.landuse import load_landclass
from wzgeo.analysis.rules import load_rules
from wzgeo.analysis.sectorfit import load_sector_fit
from wzgeo.geo.zonegeom import load_zone_geometry
from wzgeo.plan import data as plandata
from wzgeo.store import overlays

if TYPE_CHECKING:
    import geopandas as gpd

    from wzgeo.store.core import PgLocation, Store

__all__ = ["Workspace", "effective_landclass", "load_workspace", "store_for_reading"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    """The tables an analysis needs, with the saved work applied.

    Attributes
    ----------
    zones, projects, sectors, targets, indicators
        The plan tables (:mod:`wzgeo.plan.data`); ``projects`` keeps the plan's own zones.
    zones_geo
        Zone geometry; zones with an official boundary in the store are ``official``.
    fit
        Sector × zone fit with the store's edits (``grade_source`` says which are edits).
    rules
        Land-use control rules with the store's edits.
    assignments
        The store's project → zone assignments (``project_id``, ``zone_id``, who, when, why);
        analyses give them precedence over the plan and over suggestions.
    store_path
        The store that was read, or ``None`` when no store was used.
    landclass
        The industrial land class each sector needs, with the store's edits
        (``class_source`` says which are edits); None only for a hand-made Workspace.
    """

    zones: pd.DataFrame
    projects: pd.DataFrame
    sectors: pd.DataFrame
    targets: pd.DataFrame
    indicators: pd.DataFrame
    zones_geo: gpd.GeoDataFrame
    fit: pd.DataFrame
    rules: pd.DataFrame
    assignments: pd.DataFrame
    store_path: Path | PgLocation | None
    landclass: pd.DataFrame | None = None

    def describe(self, lang: str = "zh") -> str:
        """One line saying which saved work is included."""
        if self.store_path is None:
            return "未使用保存的工作（仅随附数据）" if lang == "zh" else "shipped data only"
        n_official = int((self.zones_geo["geometry_quality"] == "official").sum())
        n_fit = int((self.fit.get("grade_source", pd.Series(dtype=object)) == "user edit").sum())
        lc = self.landclass if self.landclass is not None else pd.DataFrame()
        n_class = int((lc.get("class_source", pd.Series(dtype=object)) == "user edit").sum())
        if lang == "zh":
            return (
                f"已叠加保存的工作 {self.store_path}：{len(self.assignments)} 个项目安排，"
                f"{n_official} 个官方边界，{n_fit} 处产业匹配修改，{n_class} 处工业用地类别修改"
            )
        return (
            f"saved work from {self.store_path}: {len(self.assignments)} assignments, "
            f"{n_official} official boundaries, {n_fit} sector-fit edits, {n_class} land-class "
            "edits"
        )


def store_for_reading(path: str | os.PathLike[str] | None = None) -> Store | None:
    """The store to overlay, or ``None`` when there is none yet.

    Reading never creates a store: with ``path=None`` the default store
    (:func:`wzgeo.store.core.default_store_path`) is used only if its file exists. An explicit
    ``path`` must exist.

    Raises
    ------
    wzgeo.store.core.StoreError
        ``path`` is given and does not exist, or the file is not a wzgeo store.
    """
    from wzgeo.store.core import (
        PgLocation,
        StoreError,
        default_store_path,
        is_database_uri,
        open_store,
        store_path,
    )

    if path is None:
        default = default_store_path()
        return open_store(default) if default.exists() else None
    if is_database_uri(path):
        location = PgLocation(str(path))
        if not location.exists():
            raise StoreError(
                f"数据库 {location} 不可用或其中没有 wzgeo 存储。",
                f"the database {location} is not reachable or holds no wzgeo store.",
            )
        return open_store(location)
    p = store_path(path).expanduser()
    if not p.exists():
        raise StoreError(
            f"找不到保存的工作文件 {p}。请检查路径，或不加 --store 使用默认位置。",
            f"No saved-work store at {p}. Check the path, or leave out --store to use "
            "the default location.",
        )
    return open_store(p)


def effective_landclass(store: Store | None) -> pd.DataFrame:
    """``geodata/sector_landclass.csv`` with the store's ``sector_landclass`` edits laid over it
    (the shipped table when ``store`` is None or holds no edit)."""
    table = load_landclass()
    if store is not None:
        edits = store.sector_landclass_edits()
        if not edits.empty:
            table = overlays.apply_sector_landclass_edits(table, edits)
    return table


def load_workspace(
    *,
    store: Store | None = None,
    use_store: bool = True,
    store_path: str | os.PathLike[str] | None = None,
) -> Workspace:
    """Load the shipped tables and overlay the saved work.

    Parameters
    ----------
    store
        An open store to overlay; default: :func:`store_for_reading` (``store_path``).
    use_store
        ``False`` reads the shipped data only.
    store_path
        Store file to read when ``store`` is not given.

    Returns
    -------
    Workspace
    """
    sectors = plandata.load_sectors()
    zones = plandata.load_zones(sectors=sectors)
    projects = plandata.load_projects(zones=zones, sectors=sectors)
    targets = plandata.load_targets(sectors=sectors)
    indicators = plandata.load_indicators()
    zones_geo = load_zone_geometry()  # the committed schematic file (+ official drop-ins)
    fit = load_sector_fit()
    rules = load_rules()
    landclass = load_landclass()
    assignments = pd.DataFrame({"project_id": [], "zone_id": []}, dtype="string")
    used: Path | PgLocation | None = None
    if use_store:
        if store is None:
            store = store_for_reading(store_path)
        if store is not None:
            used = store.path
            invalid = store.invalid_values()
            for rec in invalid.itertuples(index=False):
                logger.warning(
                    "saved work: %s %r (change %s) is invalid and left out: %s; run "
                    "`wzgeo store check`, then revert that change",
                    rec.entity_type, rec.entity_id, rec.change_id, rec.problem,
                )  # fmt: skip
            boundaries = store.zone_boundaries()
            if not boundaries.empty:
                zones_geo = overlays.apply_zone_boundaries(zones_geo, boundaries)
            fit_edits = store.sector_fit_edits()
            if not fit_edits.empty:
                fit = overlays.apply_sector_fit_edits(fit, fit_edits)
            landclass = effective_landclass(store)
            rule_edits = store.land_rule_edits()
            if not rule_edits.empty:
                rules = overlays.apply_land_rule_edits(rules, rule_edits)
            stored = store.assignments()
            if not stored.empty:
                assignments = stored
            logger.info("overlaid saved work from %s", used)
    return Workspace(
        zones=zones,
        projects=projects,
        sectors=sectors,
        targets=targets,
        indicators=indicators,
        zones_geo=zones_geo,
        fit=fit,
        rules=rules,
        assignments=assignments,
        store_path=used,
        landclass=landclass,
    )

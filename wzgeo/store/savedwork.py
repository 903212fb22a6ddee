"""Saved work as the app shows it: official boundary uploads and saved-plot summaries.

The saved-work page (:mod:`wzgeo.app.pages.saved_work`) stays thin by calling these:

* :func:`read_zone_boundary` reads an official boundary file for one zone (any format
  :func:`wzgeo.plots.io.read_plots` reads), merges its polygons and measures the area in
  EPSG:4545, beside the plan's area for the zone. Saving it is
  :meth:`wzgeo.store.core.Store.set_zone_boundary`.
* :func:`saved_plots_table` turns :meth:`wzgeo.store.core.Store.plots` into one row per plot with
  the summary of its saved check report (zone, fit grade, indicator counts).
* :func:`planned_zone_areas_km2` gives the plan's land area per zone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wzgeo.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "AREA_MISMATCH_RATIO",
    "BoundaryUpload",
    "features_of_zone",
    "planned_zone_areas_km2",
    "read_zone_boundary",
    "saved_plots_table",
]

logger = logging.getLogger(__name__)

#: A measured area below planned / ratio or above planned × ratio gets a warning: a hint to
#: check the zone and the file's units, not a rule from the plan.
AREA_MISMATCH_RATIO = 2.0


@dataclass(frozen=True)
class BoundaryUpload:
    """An official boundary read from a file for one zone (not yet saved).

    Attributes
    ----------
    zone_id
        The zone the boundary is for.
    boundary
        One row (``zone_id``, ``source``, geometry: the file's polygons merged) in EPSG:4326;
        pass it to :meth:`wzgeo.store.core.Store.set_zone_boundary`.
    source
        The file name (recorded as the boundary's source).
    area_km2_measured
        Area of the merged polygons, measured in EPSG:4545.
    area_km2_planned
        The plan's land area for the zone, or None if unknown.
    n_polygons
        How many polygons of the file make up the boundary.
    source_crs, crs_inferred, crs_reason_zh, crs_reason_en
        The CRS the coordinates were read in and where it came from (see
        :class:`wzgeo.plots.io.PlotImport`).
    warnings
        Bilingual notes (``"中文 / English"``) from reading the file and on the area.
    """

    zone_id: str
    boundary: gpd.GeoDataFrame
    source: str
    area_km2_measured: float
    area_km2_planned: float | None
    n_polygons: int
    source_crs: str
    crs_inferred: bool
    crs_reason_zh: str
    crs_reason_en: str
    warnings: list[str] = field(default_factory=list)

    @property
    def area_pct_of_planned(self) -> float | None:
        """Measured area as a percentage of the planned area (None without a plan area)."""
        if not self.area_km2_planned:
            return None
        return 100.0 * self.area_km2_measured / self.area_km2_planned

    def describe(self, lang: str = "zh") -> str:
        """Measured vs planned area and the CRS, in one line (``"zh"`` or ``"en"``)."""
        pct = self.area_pct_of_planned
        if lang == "en":
            planned = (
                f"planned {self.area_km2_planned:.2f} km² (measured = {pct:.0f}% of planned)"
                if pct is not None
                else "planned area unknown"
            )
            return (
                f"{self.zone_id}: {self.n_polygons} polygon(s) from {self.source}, measured "
                f"{self.area_km2_measured:.3f} km² (EPSG:4545); {planned}. "
                f"CRS {self.source_crs} ({self.crs_reason_en})."
            )
        planned_zh = (
            f"规划 {self.area_km2_planned:.2f} km²（实测为规划的 {pct:.0f}%）"
            if pct is not None
            else "规划面积未知"
        )
        return (
            f"{self.zone_id}：{self.source} 中 {self.n_polygons} 个面，实测 "
            f"{self.area_km2_measured:.3f} km²（EPSG:4545）；{planned_zh}。"
            f"坐标系 {self.source_crs}（{self.crs_reason_zh}）。"
        )


def read_zone_boundary(
    source: str | os.PathLike[str] | bytes,
    *,
    zone_id: str,
    filename: str | None = None,
    crs: Any = None,
    planned_km2: float | None = None,
) -> BoundaryUpload:
    """Read an official boundary for ``zone_id`` from a GIS file and measure it.

    Parameters
    ----------
    source
        Path of the file or its content (an upload's bytes).
    zone_id
        The zone the boundary belongs to. If the file has a ``zone_id`` column, only its
        features for this zone are used.
    filename
        The upload's name (its extension selects the format).
    crs
        The coordinates' CRS when the file does not declare it (e.g. ``"EPSG:4545"``).
    planned_km2
        The plan's land area for the zone, to compare with (e.g. from
        :func:`planned_zone_areas_km2`).

    Returns
    -------
    BoundaryUpload

    Raises
    ------
    InputFileError
        The file cannot be read, has no polygon, or has a ``zone_id`` column without this
        zone (messages in Chinese and English).
    """
    import geopandas as gpd
    import shapely

    from wzgeo.geo import crs as wcrs
    from wzgeo.plots.io import read_plots

    imported = read_plots(source, filename=filename, crs=crs)
    name = imported.filename or (filename or str(source))
    plots = features_of_zone(imported.plots, zone_id, name=name)
    merged = shapely.union_all(list(plots.geometry))
    boundary = gpd.GeoDataFrame(
        {"zone_id": [zone_id], "source": [name]}, geometry=[merged], crs=plots.crs
    ).to_crs("EPSG:4326")
    area_km2 = float(wcrs.area_m2(boundary).iloc[0]) / 1e6
    warnings = list(imported.warnings)
    if planned_km2 and not (
        planned_km2 / AREA_MISMATCH_RATIO <= area_km2 <= planned_km2 * AREA_MISMATCH_RATIO
    ):
        warnings.append(
            f"实测面积 {area_km2:.3f} km² 与规划面积 {planned_km2:.2f} km² 相差超过 "
            f"{AREA_MISMATCH_RATIO:g} 倍：请核对所选园区和文件的坐标单位 / measured area "
            f"{area_km2:.3f} km² differs from the planned {planned_km2:.2f} km² by more than "
            f"{AREA_MISMATCH_RATIO:g}×: check the zone chosen and the file's coordinate units"
        )
    logger.info("boundary for %s from %s: %.4f km²", zone_id, name, area_km2)
    return BoundaryUpload(
        zone_id=zone_id,
        boundary=boundary,
        source=name,
        area_km2_measured=area_km2,
        area_km2_planned=planned_km2,
        n_polygons=len(plots),
        source_crs=imported.source_crs,
        crs_inferred=imported.crs_inferred,
        crs_reason_zh=imported.crs_reason_zh,
        crs_reason_en=imported.crs_reason_en,
        warnings=warnings,
    )


def features_of_zone(features: gpd.GeoDataFrame, zone_id: str, *, name: str) -> gpd.GeoDataFrame:
    """The features of ``zone_id`` if the file has a ``zone_id`` column, else all of them.

    Parameters
    ----------
    features
        The features read from a boundary file.
    zone_id
        The zone wanted.
    name
        The file's name, for the message.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame (rows of ``features``).

    Raises
    ------
    InputFileError
        The file has a ``zone_id`` column but no feature for ``zone_id``.
    """
    if "zone_id" not in features.columns:
        return features.copy()
    out = features.loc[features["zone_id"].astype(str).str.strip() == zone_id].copy()
    if out.empty:
        raise InputFileError(
            f"{name} 有 zone_id 列，但没有 '{zone_id}' 的要素。请选对园区或文件。",
            f"{name} has a zone_id column but no feature for '{zone_id}'. "
            f"Choose the right zone or file.",
        )
    return out


def planned_zone_areas_km2() -> dict[str, float]:
    """The plan's land area per zone (``planned_land_km2``); empty if the plan is unavailable."""
    try:
        from wzgeo.plan import data as plandata

        zones = plandata.load_zones()
        areas = zones.set_index("zone_id")["planned_land_km2"].dropna()
        return {str(z): float(a) for z, a in areas.items()}
    except (ImportError, KeyError, OSError, ValueError) as e:
        logger.info("planned zone areas not available (%s)", e)
        return {}


_SUMMARY_FIELDS = (
    "zone_id", "fit_grade", "indicators_pass", "indicators_fail", "indicators_unknown",
)  # fmt: skip


def _plot_entry(report: Mapping[str, Any], plot_id: str) -> Mapping[str, Any] | None:
    """The report's row for ``plot_id`` (or its only row); None if the report has none."""
    rows = [r for r in report.get("plots") or [] if isinstance(r, Mapping)]
    for row in rows:
        if str(row.get("plot_id")) == plot_id:
            return row
    return rows[0] if len(rows) == 1 else None


def _check_result(entry: Mapping[str, Any] | None) -> str:
    """``fail`` if an indicator failed, ``pass`` if all passed, else ``unknown``/``not checked``."""
    if entry is None:
        return "not checked"
    fail, ok, unknown = (entry.get(f"indicators_{k}") or 0 for k in ("fail", "pass", "unknown"))
    if fail:
        return "fail"
    if ok and not unknown:
        return "pass"
    return "unknown"


def saved_plots_table(plots: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per saved plot with the summary of its saved check report.

    Parameters
    ----------
    plots
        :meth:`wzgeo.store.core.Store.plots` (``plot_id``, ``report``, who/when, geometry).

    Returns
    -------
    pandas.DataFrame
        ``plot_id, area_mu_measured`` (EPSG:4545, from the saved geometry), ``project_id``,
        ``zone_id``, ``fit_grade``, ``indicators_pass``, ``indicators_fail``,
        ``indicators_unknown`` (from the report; empty where it has none), ``check_result``
        (``fail`` / ``pass`` / ``unknown`` / ``not checked``), ``n_notes``, ``by_user``,
        ``at``, ``why``, ``version``. A new table; ``plots`` is not changed.
    """
    import pandas as pd

    from wzgeo.geo import crs as wcrs
    from wzgeo.geo.units import m2_to_mu

    columns = ["plot_id", "area_mu_measured", "project_id", *_SUMMARY_FIELDS, "check_result",
               "n_notes", "by_user", "at", "why", "version"]  # fmt: skip
    if len(plots) == 0:
        return pd.DataFrame(columns=columns)
    area_mu = [m2_to_mu(float(a)) for a in wcrs.area_m2(plots)]
    records = []
    for (_, row), mu in zip(plots.iterrows(), area_mu, strict=True):
        report = row["report"] if isinstance(row["report"], Mapping) else {}
        entry = _plot_entry(report, str(row["plot_id"]))
        rec: dict[str, Any] = {
            "plot_id": row["plot_id"],
            "area_mu_measured": round(mu, 2),
            "project_id": (entry or {}).get("project_id") or report.get("project_id"),
            **{f: (entry or {}).get(f) for f in _SUMMARY_FIELDS},
            "check_result": _check_result(entry),
            "n_notes": len(report.get("notes") or []),
        }
        rec.update({c: row[c] for c in ("by_user", "at", "why", "version")})
        records.append(rec)
    out = pd.DataFrame.from_records(records, columns=columns)
    for col in ("indicators_pass", "indicators_fail", "indicators_unknown"):
        out[col] = out[col].astype("Int64")
    return out

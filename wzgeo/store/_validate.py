"""Validation of what goes into the saved-work store: known ids, texts, geometry, reports.

Private helpers of :mod:`wzgeo.store.core`; :class:`IdCatalog`, :func:`load_id_catalog` and the
documented id sets are re-exported there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from wzgeo.errors import InputFileError, WzgeoTypeError
from wzgeo.store._records import StoreError, dumps

__all__ = [
    "DOCUMENTED_SECTOR_IDS",
    "DOCUMENTED_ZONE_IDS",
    "SECTOR_FIT_GRADES",
    "IdCatalog",
    "check_free_id",
    "check_grade",
    "check_text",
    "geometry_to_geojson",
    "land_rule_values",
    "load_id_catalog",
    "report_json",
]

logger = logging.getLogger(__name__)

SECTOR_FIT_GRADES = ("primary", "compatible", "not_listed")

DOCUMENTED_ZONE_IDS = frozenset(
    {
        "gaofeng", "tianzi", "wuqiao", "jiulong_a", "jiulong_b", "xintian_a", "xintian_b",
        "yudong", "fenshui", "lihe", "longsha", "longju", "tailong",
    }
)  # fmt: skip
DOCUMENTED_SECTOR_IDS = frozenset(
    {
        "new_materials", "nm_copper", "nm_aluminium", "nm_building", "nm_synthetic",
        "food_pharma", "food", "pharma", "auto", "lighting", "equipment", "electronics",
        "chemicals", "stone_processing", "printing_packaging", "apparel", "consumer_goods",
        "agri_processing",
    }
)  # fmt: skip
_PROJECT_ID_RE = re.compile(r"^(NM-(CU|AL|BM|SY)|FP-(FD|PH)|AU|GL|EQ|EI)-\d{2}$")
#: control characters (C0, DEL, C1) and bidirectional overrides; a reason may hold line breaks
#: and tabs, nothing else of these (a terminal would obey an escape sequence in ``history``)
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclasses.dataclass(frozen=True)
class IdCatalog:
    """Known ids used to validate writes and imports.

    Parameters
    ----------
    zone_ids
        Valid ``zone_id`` values.
    project_ids
        Valid ``project_id`` values, or None to accept any id of the documented pattern
        (``NM-CU-01``, ``AU-12``, ...) when the plan tables are not available.
    sector_ids
        Valid ``sector_id`` values.
    source
        Where the ids came from (shown in messages).
    """

    zone_ids: frozenset[str]
    project_ids: frozenset[str] | None
    sector_ids: frozenset[str]
    source: str = "documented ids"

    def check_project(self, project_id: str) -> None:
        """Raise :class:`StoreError` unless ``project_id`` is known."""
        ok = (
            project_id in self.project_ids
            if self.project_ids is not None
            else bool(_PROJECT_ID_RE.match(project_id))
        )
        if not ok:
            raise StoreError(
                f"未知项目编号 '{project_id}'（依据：{self.source}）。"
                f"请使用规划项目表中的编号，如 NM-CU-01、AU-12。",
                f"Unknown project id '{project_id}' (checked against {self.source}). "
                f"Use an id from the plan's project table, e.g. NM-CU-01, AU-12.",
            )

    def check_zone(self, zone_id: str) -> None:
        """Raise :class:`StoreError` unless ``zone_id`` is known."""
        _require_known(zone_id, self.zone_ids, "园区", "zone")

    def check_sector(self, sector_id: str) -> None:
        """Raise :class:`StoreError` unless ``sector_id`` is known."""
        _require_known(sector_id, self.sector_ids, "产业", "sector")


def _require_known(value: str, valid: frozenset[str], kind_zh: str, kind_en: str) -> None:
    if value not in valid:
        listed = ", ".join(sorted(valid))
        raise StoreError(
            f"未知{kind_zh}编号 '{value}'。可用：{listed}。",
            f"Unknown {kind_en} id '{value}'. Valid: {listed}.",
        )


def load_id_catalog() -> IdCatalog:
    """Ids from the plan tables (``wzgeo.plan.data``), or the documented ids if unavailable.

    Returns
    -------
    IdCatalog
        With ``project_ids`` None (pattern check only) when the plan tables cannot be loaded.
    """
    try:
        from wzgeo.plan import data as plandata  # type: ignore[attr-defined,unused-ignore]

        zones = plandata.load_zones()
        projects = plandata.load_projects()
        zone_ids = frozenset(str(z) for z in zones["zone_id"])
        project_ids = frozenset(str(p) for p in projects["project_id"])
    except (ImportError, AttributeError, KeyError, OSError, ValueError) as e:
        logger.info("plan tables not available (%s); using documented ids", e)
        return IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS)
    sector_ids = DOCUMENTED_SECTOR_IDS
    with contextlib.suppress(ImportError, AttributeError, KeyError, OSError, ValueError):
        sector_ids = frozenset(str(s) for s in plandata.load_sectors()["sector_id"])
    return IdCatalog(zone_ids, project_ids, sector_ids, source="plan tables")


def check_text(value: object, name: str, *, max_len: int, multiline: bool = False) -> str:
    """``value`` stripped; refuse non-text, empty, too long, or with control characters.

    Parameters
    ----------
    value
        The text to check (a user name, a reason, an id).
    name
        How the field is named in messages.
    max_len
        Longest allowed length.
    multiline
        Allow line breaks and tabs (a reason); other control characters (escape sequences
        a terminal would obey, bidirectional overrides) are always refused.

    Returns
    -------
    str
    """
    if not isinstance(value, str):
        raise WzgeoTypeError(
            f"{name} 必须是文字，收到 {type(value).__name__}。",
            f"{name} must be text, got {type(value).__name__}.",
        )
    text = value.strip()
    if not text:
        raise StoreError(
            f"{name} 不能为空：每次修改都要写明修改人（--by）和原因（--why）。",
            f"{name} must not be empty: every change records who (--by) and why (--why).",
        )
    if len(text) > max_len:
        raise StoreError(
            f"{name} 太长（{len(text)} 字，最多 {max_len}）。",
            f"{name} is too long ({len(text)} characters, at most {max_len}).",
        )
    bad = (_CONTROL_MULTILINE_RE if multiline else _CONTROL_RE).search(text)
    if bad is not None:
        code = f"U+{ord(bad.group()):04X}"
        raise StoreError(
            f"{name} 含有控制字符 {code}（如换行、终端转义序列），请去掉。",
            f"{name} contains the control character {code} (e.g. a line break or a terminal "
            f"escape sequence); remove it.",
        )
    return text


def check_free_id(value: object, name: str) -> str:
    """A user-chosen id (plot, land rule): :func:`check_text` (no control characters)."""
    return check_text(value, name, max_len=100)


def geometry_to_geojson(geometry: object, *, what: str) -> dict[str, Any]:
    """Turn a shapely geometry (EPSG:4326), GeoSeries/GeoDataFrame or GeoJSON into GeoJSON."""
    import shapely
    from shapely.geometry import mapping, shape
    from shapely.geometry.base import BaseGeometry

    geom: Any
    if isinstance(geometry, BaseGeometry):
        geom = geometry
    elif isinstance(geometry, Mapping) and "type" in geometry:
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise InputFileError(
                f"{what} 的 GeoJSON 几何无法解析：{e}。",
                f"The GeoJSON geometry of {what} cannot be read: {e}.",
            ) from e
    elif hasattr(geometry, "to_crs") and hasattr(geometry, "crs"):
        if geometry.crs is None:
            from wzgeo.errors import CRSError

            raise CRSError(
                f"{what} 没有坐标参考系（CRS），无法确定坐标含义。请先设置 CRS。",
                f"{what} has no coordinate reference system; set its CRS first.",
            )
        series = geometry.to_crs(4326)
        if hasattr(series, "geometry"):
            series = series.geometry
        geom = series.union_all()
    else:
        raise WzgeoTypeError(
            f"{what} 必须是 shapely 几何（EPSG:4326）、GeoSeries/GeoDataFrame 或 GeoJSON，"
            f"收到 {type(geometry).__name__}。",
            f"{what} must be a shapely geometry (EPSG:4326), a GeoSeries/GeoDataFrame or "
            f"GeoJSON, got {type(geometry).__name__}.",
        )
    if geom is None or geom.is_empty:
        raise InputFileError(f"{what} 的几何为空。", f"The geometry of {what} is empty.")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputFileError(
            f"{what} 的坐标范围 ({minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}) 不是经纬度；"
            f"像是投影坐标。请传入 EPSG:4326（经度, 纬度）或带 CRS 的 GeoDataFrame。",
            f"The coordinates of {what} ({minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}) are "
            f"not lon/lat; they look projected. Give EPSG:4326 (lon, lat) or a GeoDataFrame "
            f"with its CRS.",
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InputFileError(
            f"{what} 的几何无效（{reason}）。请在 GIS 软件中修复（如 QGIS“修复几何”）。",
            f"The geometry of {what} is invalid ({reason}). Repair it in GIS software "
            f"(e.g. QGIS 'Fix geometries').",
        )
    return dict(json.loads(json.dumps(mapping(geom))))


def check_grade(grade: object) -> str:
    """A ``sector_fit`` grade: one of :data:`SECTOR_FIT_GRADES`."""
    text = check_text(grade, "grade", max_len=50)
    if text not in SECTOR_FIT_GRADES:
        raise StoreError(
            f"适配等级 '{text}' 无效，应为 {', '.join(SECTOR_FIT_GRADES)} 之一。",
            f"Fit grade '{text}' is not one of {', '.join(SECTOR_FIT_GRADES)}.",
        )
    return text


def report_json(report: object) -> dict[str, Any]:
    """A plot's check report as a JSON-able dict (``None`` → ``{}``; ``to_dict()`` is used).

    Parameters
    ----------
    report
        A mapping, an object with ``to_dict()`` (e.g. ``PlotCheck``) or None.

    Returns
    -------
    dict
        The report as it round-trips through JSON.
    """
    if report is not None and not isinstance(report, Mapping) and hasattr(report, "to_dict"):
        report = report.to_dict()
    if report is not None and not isinstance(report, Mapping):
        raise WzgeoTypeError(
            f"检查报告必须是字典（或有 to_dict()），收到 {type(report).__name__}。",
            f"The check report must be a mapping (or have to_dict()), got {type(report).__name__}.",
        )
    try:
        return dict(json.loads(dumps(dict(report or {}))))
    except (TypeError, ValueError) as e:
        raise WzgeoTypeError(
            f"检查报告无法保存为 JSON：{e}。", f"The check report is not JSON-able: {e}."
        ) from e


def land_rule_values(values: object) -> dict[str, Any]:
    """The edited columns of a ``land_rules`` row; non-finite floats become None.

    Parameters
    ----------
    values
        A non-empty mapping column → str, int, float, bool or None.

    Returns
    -------
    dict
    """
    if not isinstance(values, Mapping) or not values:
        raise WzgeoTypeError(
            "land_rule 的值必须是非空字典（列名 → 值）。",
            "land_rule values must be a non-empty mapping (column → value).",
        )
    clean: dict[str, Any] = {}
    for key, val in values.items():
        if val is not None and not isinstance(val, str | int | float | bool):
            raise WzgeoTypeError(
                f"land_rule 列 '{key}' 的值类型 {type(val).__name__} 不支持。",
                f"land_rule column '{key}' has unsupported type {type(val).__name__}.",
            )
        if isinstance(val, float) and not math.isfinite(val):
            val = None
        clean[str(key)] = val
    return clean

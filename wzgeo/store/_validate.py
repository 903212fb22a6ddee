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
    "check_boundary_type",
    "check_free_id",
    "check_grade",
    "check_land_class",
    "check_text",
    "check_timestamp",
    "geometry_to_geojson",
    "land_rule_values",
    "load_id_catalog",
    "report_json",
    "validate_change",
    "validate_payload",
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


#: How an industrial land class may be written → the stored value (1–3, None = no class).
_LAND_CLASSES: dict[str, int | None] = {
    "1": 1, "2": 2, "3": 3, "一类": 1, "二类": 2, "三类": 3, "m1": 1, "m2": 2, "m3": 3,
    "none": None, "无": None, "": None,
}  # fmt: skip


def check_land_class(value: object) -> int | None:
    """An industrial land class: 1 (一类), 2 (二类), 3 (三类) or None (no class).

    Accepts the numbers, their text, 一类/二类/三类, M1/M2/M3 and ``none``/无/empty.
    """
    if isinstance(value, bool):
        value = str(value)
    if value is None:
        return None
    if isinstance(value, int) and value in (1, 2, 3):
        return value
    text = str(value).strip().lower()
    if text in _LAND_CLASSES:
        return _LAND_CLASSES[text]
    raise StoreError(
        f"工业用地类别“{str(value)[:40]}”无效，应为 1（一类）、2（二类）、3（三类）或 none（无）。",
        f"Industrial land class '{str(value)[:40]}' is invalid; use 1 (一类), 2 (二类), "
        f"3 (三类) or none.",
    )


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


# ----------------------------------------------------------------------------- whole values
#
# One definition of a valid stored value per entity type, used by every way a value enters
# or is read back: the writes of ``Store`` (through the helpers above), an import (each change
# of the file), ``Store.verify`` (``store check``: each current value) and the reads (a bad
# stored value is left out of the tables and listed by ``Store.invalid_values``). Backend-
# neutral: it sees payload dicts and change fields, never a database.


def _field(payload: Mapping[str, Any], key: str) -> Any:
    if key not in payload:
        raise StoreError(f"缺少字段 {key}。", f"the field {key} is missing.")
    return payload[key]


def _geojson(payload: Mapping[str, Any], what: str) -> dict[str, Any]:
    geometry = _field(payload, "geometry")
    if not isinstance(geometry, Mapping) or "type" not in geometry:
        raise InputFileError(
            f"{what} 的几何不是 GeoJSON 对象。", f"the geometry of {what} is not a GeoJSON object."
        )
    return geometry_to_geojson(geometry, what=what)


def validate_payload(
    entity_type: str, payload: object, *, ids: IdCatalog | None = None
) -> dict[str, Any]:
    """Check one stored value exactly as a normal save does; return it normalised.

    Parameters
    ----------
    entity_type
        ``assignment``, ``plot``, ``zone_boundary``, ``sector_fit``, ``land_rule`` or
        ``sector_landclass``.
    payload
        The value (a JSON object as stored).
    ids
        Known ids to check against; None checks the structure only (ids, texts, grades,
        geometry type and validity) and not whether the ids exist.

    Returns
    -------
    dict
        The value as a save would store it.

    Raises
    ------
    StoreError, InputFileError, WzgeoTypeError
        Saying what is wrong (the caller adds where).
    """
    if not isinstance(payload, Mapping):
        raise StoreError(
            f"值不是 JSON 对象（{type(payload).__name__}）。",
            f"the value is not a JSON object ({type(payload).__name__}).",
        )
    if entity_type == "assignment":
        project_id = check_text(_field(payload, "project_id"), "project_id", max_len=50)
        zone_id = check_text(_field(payload, "zone_id"), "zone_id", max_len=50)
        if ids is not None:
            ids.check_project(project_id)
            ids.check_zone(zone_id)
        return {"project_id": project_id, "zone_id": zone_id}
    if entity_type == "plot":
        plot_id = check_free_id(_field(payload, "plot_id"), "plot_id")
        return {
            "plot_id": plot_id,
            "geometry": _geojson(payload, f"plot {plot_id}"),
            "report": report_json(payload.get("report")),
        }
    if entity_type == "zone_boundary":
        zone_id = check_text(_field(payload, "zone_id"), "zone_id", max_len=50)
        if ids is not None:
            ids.check_zone(zone_id)
        geojson = _geojson(payload, f"zone {zone_id}")
        check_boundary_type(zone_id, geojson)
        crs = payload.get("crs", "EPSG:4326")
        if crs != "EPSG:4326":
            raise StoreError(
                f"边界的坐标系是 {crs!r}，应为 EPSG:4326。",
                f"the boundary's CRS is {crs!r}, not EPSG:4326.",
            )
        return {
            "zone_id": zone_id,
            "geometry": geojson,
            "source": check_text(_field(payload, "source"), "来源 source", max_len=500),
            "crs": "EPSG:4326",
        }
    if entity_type == "sector_fit":
        sector_id = check_text(_field(payload, "sector_id"), "sector_id", max_len=50)
        zone_id = check_text(_field(payload, "zone_id"), "zone_id", max_len=50)
        grade = check_grade(_field(payload, "grade"))
        if ids is not None:
            ids.check_sector(sector_id)
            ids.check_zone(zone_id)
        return {"sector_id": sector_id, "zone_id": zone_id, "grade": grade}
    if entity_type == "sector_landclass":
        sector_id = check_text(_field(payload, "sector_id"), "sector_id", max_len=50)
        if ids is not None:
            ids.check_sector(sector_id)
        return {
            "sector_id": sector_id,
            "required_class": check_land_class(_field(payload, "required_class")),
        }
    if entity_type == "land_rule":
        rule_id = check_free_id(_field(payload, "rule_id"), "rule_id")
        return {"rule_id": rule_id, "values": land_rule_values(_field(payload, "values"))}
    raise StoreError(f"未知的类型 {entity_type!r}。", f"unknown entity type {entity_type!r}.")


def check_boundary_type(zone_id: str, geojson: Mapping[str, Any]) -> None:
    """Refuse a zone boundary that is not a polygon (a point or line has no area)."""
    if geojson["type"] not in ("Polygon", "MultiPolygon"):
        raise InputFileError(
            f"园区 {zone_id} 的边界是 {geojson['type']}，应为面（Polygon/MultiPolygon）。",
            f"The boundary of zone {zone_id} is a {geojson['type']}; it must be a "
            f"Polygon or MultiPolygon.",
        )


def check_timestamp(value: object) -> str:
    """The ``at`` of a change: an ISO 8601 time with a time zone."""
    import datetime as dt

    if not isinstance(value, str):
        raise StoreError(f"时间 at 不是文字：{value!r}。", f"the time 'at' is not text: {value!r}.")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as e:
        raise StoreError(
            f"时间 at {value!r} 不是 ISO 8601 时间。", f"the time 'at' {value!r} is not ISO 8601."
        ) from e
    if parsed.tzinfo is None:
        raise StoreError(
            f"时间 at {value!r} 缺少时区。", f"the time 'at' {value!r} has no time zone."
        )
    return value


def validate_change(fields: Mapping[str, Any], *, ids: IdCatalog | None = None) -> dict[str, Any]:
    """Check one change of a log (an import, a recovery) as a normal save would make it.

    Parameters
    ----------
    fields
        ``change_id, entity_type, entity_id, version, op, payload`` (JSON text), ``by_user,
        at, why, reverts_change_id``.
    ids
        Known ids (None: structure only).

    Returns
    -------
    dict
        The fields, unchanged (the log keeps what was recorded).

    Raises
    ------
    StoreError
        Naming the change (id, entity, version) and what is wrong.
    """
    cid = fields.get("change_id")
    etype = fields.get("entity_type")
    eid = fields.get("entity_id")
    version = fields.get("version")
    where_zh = f"修改 {cid}（{etype} {eid!r}，版本 {version}）"
    where_en = f"change {cid} ({etype} {eid!r}, version {version})"
    try:
        for name in ("change_id", "version"):
            value = fields.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise StoreError(
                    f"{name} 应为正整数，收到 {value!r}。",
                    f"{name} must be a positive integer, got {value!r}.",
                )
        reverts = fields.get("reverts_change_id")
        if reverts is not None and (not isinstance(reverts, int) or reverts < 1):
            raise StoreError(
                f"reverts_change_id 应为正整数或空，收到 {reverts!r}。",
                f"reverts_change_id must be a positive integer or empty, got {reverts!r}.",
            )
        if fields.get("op") not in ("set", "delete"):
            raise StoreError(
                f"op 应为 set 或 delete，收到 {fields.get('op')!r}。",
                f"op must be set or delete, got {fields.get('op')!r}.",
            )
        check_text(fields.get("by_user"), "修改人 by", max_len=64)
        check_text(fields.get("why"), "原因 why", max_len=2000, multiline=True)
        check_timestamp(fields.get("at"))
        text = fields.get("payload")
        try:
            payload = json.loads(text) if isinstance(text, str) else None
        except ValueError as e:
            raise StoreError(
                f"值不是有效的 JSON（{e}）。", f"the value is not valid JSON ({e})."
            ) from e
        value = validate_payload(str(etype), payload, ids=ids)
        named = _payload_id(str(etype), value)
        if named != eid:
            raise StoreError(
                f"值描述的是 {named!r}，不是 {eid!r}。", f"the value names {named!r}, not {eid!r}."
            )
    except (StoreError, InputFileError, WzgeoTypeError) as e:
        raise StoreError(f"{where_zh}：{e.zh}", f"{where_en}: {e.en}") from e
    return dict(fields)


def _payload_id(entity_type: str, payload: Mapping[str, Any]) -> str:
    if entity_type == "sector_fit":
        return f"{payload['sector_id']}|{payload['zone_id']}"
    key = {"assignment": "project_id", "plot": "plot_id", "zone_boundary": "zone_id",
           "land_rule": "rule_id", "sector_landclass": "sector_id"}[entity_type]  # fmt: skip
    return str(payload[key])

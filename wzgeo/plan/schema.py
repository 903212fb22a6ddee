"""What the plan tables look like: columns, allowed values and id forms.

One schema per file (:data:`SCHEMAS`, a tuple of :class:`wzgeo.plan.validate.ColumnRule` per file
name); the column-order tuples (:data:`ZONE_COLUMNS`, :data:`PROJECT_COLUMNS`, ...) are read
from it, so the order written by ``wzgeo build-data`` and the rules checked on loading are
stated once. See ``geodata/README.md`` for the meaning of every column.
"""

from __future__ import annotations

from wzgeo.plan.validate import ColumnRule as _Col

__all__ = [
    "FLAG_CODES",
    "INDICATOR_COLUMNS",
    "LEVELS",
    "PROJECT_CODES",
    "PROJECT_COLUMNS",
    "SCHEMAS",
    "SECTOR_COLUMNS",
    "STAGES",
    "TARGET_COLUMNS",
    "VALUE_KINDS",
    "ZONE_COLUMNS",
]


#: Zone levels, as in 专栏12's three groups.
LEVELS: dict[str, str] = {
    "国家级经开区": "national_etdz",
    "市级开发区": "municipal",
    "中小企业集聚区": "sme_cluster",
}

#: Ordered project stages.
STAGES: tuple[str, ...] = (
    "planning",
    "tracking",
    "negotiating",
    "signed",
    "building",
    "operating",
)
#: Project-id prefix per finest sector id (docs/ARCHITECTURE.md).
PROJECT_CODES: dict[str, str] = {
    "nm_copper": "NM-CU",
    "nm_aluminium": "NM-AL",
    "nm_building": "NM-BM",
    "nm_synthetic": "NM-SY",
    "food": "FP-FD",
    "pharma": "FP-PH",
    "auto": "AU",
    "lighting": "GL",
    "equipment": "EQ",
    "electronics": "EI",
}

#: Every code that may appear in projects.csv ``quality_flags``.
FLAG_CODES: frozenset[str] = frozenset(
    {
        "uses_existing_land",
        "split_from_merged_row",
        "name_missing",
        "content_missing",
        "content_candidate_in_neighbour",
        "content_shifted_repaired",
        "name_content_mismatch",
        "tax_output_implausible",
        "ends_after_plan_period",
        "year_order",
        "years_unparsed",
        "investment_unparsed",
        "output_unparsed",
        "tax_unparsed",
        "land_unparsed",
        "stage_unknown",
        "duplicated_text",
        "zone_ambiguous",
        "place_not_zone",
    }
)
#: How an indicator cell is to be read (``indicators.csv`` ``value_*_kind``).
VALUE_KINDS = (
    "value",
    "cumulative",
    "lower_bound",
    "estimate",
    "provisional",
    "not_applicable",
    "empty",
    "text",
)

#: Plausible range of a project year.
_YEAR_MIN, _YEAR_MAX = 2015.0, 2035.0
#: Form of an ASCII id (``zone_id``, ``sector_id``, metric names).
_SLUG = r"[a-z][a-z0-9_]*"

#: Column rules per file name (``zones.csv``, ``projects.csv``, ...), in column order.
SCHEMAS: dict[str, tuple[_Col, ...]] = {
    "zones.csv": (
        _Col("zone_id", "str", True, pattern=_SLUG),
        _Col("name_zh", "str", True),
        _Col("name_en", "str", True),
        _Col("level", "str", True, enum=tuple(LEVELS.values())),
        _Col("level_zh", "str"),
        _Col("planned_land_km2", "float", True, min=0.0, max=1000.0),
        _Col("land_label_zh", "str"),
        _Col("sectors_zh", "str", True, is_list=True),
        _Col("sector_ids", "str", True, pattern=_SLUG, is_list=True),
        _Col("host_township_zh", "str"),
        _Col("host_township_note", "str"),
        _Col("plan_text_zh", "str"),
        _Col("source_line", "int", min=1),
    ),
    "projects.csv": (
        _Col("project_id", "str", True, pattern=r"[A-Z]{2}(-[A-Z]{2})?-\d{2}"),
        _Col("sector", "str", True),
        _Col("subsector", "str"),
        _Col("sector_id", "str", True, pattern=_SLUG),
        _Col("seq", "int", True, min=1),
        _Col("name_zh", "str", True),
        _Col("content_zh", "str"),
        _Col("start_year", "int", min=_YEAR_MIN, max=_YEAR_MAX),
        _Col("end_year", "int", min=_YEAR_MIN, max=_YEAR_MAX),
        _Col("investment_yi", "float", min=0.0),
        _Col("output_yi", "float", min=0.0),
        _Col("tax_yi", "float", min=0.0),
        _Col("land_mu", "float", min=0.0),
        _Col("floor_m2", "float", min=0.0),
        _Col("land_raw", "str"),
        _Col("status_zh", "str"),
        _Col("stage", "str", enum=STAGES),
        _Col("zone_id", "str", pattern=_SLUG),
        _Col("zone_candidates", "str", pattern=_SLUG, is_list=True),
        _Col("zone_source", "str", enum=("plan_text", "plan_text_ambiguous")),
        _Col("place_mentions", "str", is_list=True),
        _Col("quality_flags", "str", enum=tuple(sorted(FLAG_CODES)), is_list=True),
        _Col("source_line", "int", min=1),
    ),
    "indicators.csv": (
        _Col("indicator_id", "str", True, pattern=r"IND-\d{2}"),
        _Col("seq", "int", True, min=1),
        _Col("category_zh", "str", True),
        _Col("name_zh", "str", True),
        _Col("unit", "str"),
        _Col("attribute_zh", "str"),
        _Col("value_2020", "float"),
        _Col("value_2020_text", "str"),
        _Col("value_2020_kind", "str", True, enum=VALUE_KINDS),
        _Col("value_2023", "float"),
        _Col("value_2023_text", "str"),
        _Col("value_2023_kind", "str", True, enum=VALUE_KINDS),
        _Col("value_2025", "float"),
        _Col("value_2025_text", "str"),
        _Col("value_2025_kind", "str", True, enum=VALUE_KINDS),
        _Col("growth_pct", "float"),
        _Col("growth_text", "str"),
        _Col("note", "str"),
        _Col("source_line", "int", min=1),
    ),
    "targets.csv": (
        _Col("target_id", "str", True, pattern=r"T\d{2}"),
        _Col("metric", "str", True, pattern=_SLUG),
        _Col("kind", "str", True, enum=("target", "baseline")),
        _Col("subject_zh", "str"),
        _Col("sector_id", "str", pattern=_SLUG),
        _Col("year", "int", min=_YEAR_MIN, max=_YEAR_MAX),
        _Col("comparator", "str", True, enum=("=", ">=", ">")),
        _Col("value", "float", True, min=0.0),
        _Col("unit", "str", True),
        _Col("section", "str", True),
        _Col("quote_zh", "str", True),
        _Col("source_line", "int", min=1),
    ),
    "sectors.csv": (
        _Col("sector_id", "str", True, pattern=_SLUG),
        _Col("name_zh", "str", True),
        _Col("name_en", "str", True),
        _Col("parent_id", "str", pattern=_SLUG),
        _Col("plan_sectors", "str", is_list=True),
        _Col("plan_subsectors", "str", is_list=True),
        _Col("zone_phrases", "str", is_list=True),
        _Col("gbt4754_codes", "str", True, pattern=r"1[3-9]|[2-3]\d|4[0-3]", is_list=True),
    ),
}


def _names(file_name: str) -> tuple[str, ...]:
    return tuple(c.name for c in SCHEMAS[file_name])


#: Column order of zones.csv.
ZONE_COLUMNS: tuple[str, ...] = _names("zones.csv")
#: Column order of projects.csv.
PROJECT_COLUMNS: tuple[str, ...] = _names("projects.csv")
#: Column order of indicators.csv.
INDICATOR_COLUMNS: tuple[str, ...] = _names("indicators.csv")
#: Column order of targets.csv.
TARGET_COLUMNS: tuple[str, ...] = _names("targets.csv")
#: Column order of geodata/sectors.csv.
SECTOR_COLUMNS: tuple[str, ...] = _names("sectors.csv")

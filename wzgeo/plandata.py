"""The plan's tables: build them from the plan text, load and validate the committed files.

Files (in ``geodata/plan/`` unless noted; see ``geodata/README.md`` for every column):

- ``zones.csv`` — the 13 zones of 专栏12;
- ``projects.csv`` — the 135 projects of the appendix (reconciled, see :mod:`wzgeo.reconcile`);
- ``indicators.csv`` — the 13 indicators of 专栏1;
- ``targets.csv`` — targets and baselines stated in the text;
- ``quality.json`` / ``quality.md`` — the reconciliation report;
- ``geodata/sectors.csv`` — the sector taxonomy (hand-curated, validated here).

Loaders return typed DataFrames (nullable ``Int64`` / ``Float64`` / ``string``) and raise
:class:`wzgeo.DataFileError` naming the file, row and column and saying how to fix it. They do
not cache: callers cache (e.g. ``st.cache_data``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from wzgeo import paths
from wzgeo._errors import DataFileError
from wzgeo.planparse import ParsedPlan, normalize_text, parse_numbers, parse_plan
from wzgeo.reconcile import PROJECT_COLUMNS, STAGES, QualityReport, reconcile

__all__ = [
    "FLAG_CODES",
    "INDICATOR_COLUMNS",
    "LEVELS",
    "SECTOR_COLUMNS",
    "TARGET_COLUMNS",
    "ZONE_COLUMNS",
    "build_data",
    "build_indicators",
    "build_targets",
    "build_zones",
    "load_indicators",
    "load_projects",
    "load_sectors",
    "load_targets",
    "load_zones",
    "validate_table",
]

logger = logging.getLogger(__name__)

#: Zone levels, as in 专栏12's three groups.
LEVELS: dict[str, str] = {
    "国家级经开区": "national_etdz",
    "市级开发区": "municipal",
    "中小企业集聚区": "sme_cluster",
}

# zone name as written in 专栏12 → (zone_id, name_en, host township, note on the township)
_BY_NAME = "by name: the zone is named after this township"
_ZONE_INFO: dict[str, tuple[str, str, str, str]] = {
    "高峰园": ("gaofeng", "Gaofeng Park", "高峰街道", _BY_NAME),
    "天子园": (
        "tianzi",
        "Tianzi Park",
        "天城街道",
        "presumed: no source states the township; 天城街道 is assumed (unverified)",
    ),
    "五桥园": ("wuqiao", "Wuqiao Park", "五桥街道", _BY_NAME),
    "九龙园A区": ("jiulong_a", "Jiulong Park Area A", "", "unknown: no source found"),
    "九龙园B区": ("jiulong_b", "Jiulong Park Area B", "", "unknown: no source found"),
    "新田园A区": ("xintian_a", "Xintian Park Area A", "新田镇", _BY_NAME),
    "新田园B区": ("xintian_b", "Xintian Park Area B", "新田镇", _BY_NAME),
    "渝东新区": ("yudong", "Yudong New Area", "", "unknown: no source found"),
    "分水中小企业集聚区": ("fenshui", "Fenshui SME Cluster", "分水镇", _BY_NAME),
    "李河中小企业集聚区": ("lihe", "Lihe SME Cluster", "李河镇", _BY_NAME),
    "龙沙中小企业集聚区": ("longsha", "Longsha SME Cluster", "龙沙镇", _BY_NAME),
    "龙驹中小企业集聚区": ("longju", "Longju SME Cluster", "龙驹镇", _BY_NAME),
    "太龙中小企业集聚区": ("tailong", "Tailong SME Cluster", "太龙镇", _BY_NAME),
}

ZONE_COLUMNS: tuple[str, ...] = (
    "zone_id",
    "name_zh",
    "name_en",
    "level",
    "level_zh",
    "planned_land_km2",
    "land_label_zh",
    "sectors_zh",
    "sector_ids",
    "host_township_zh",
    "host_township_note",
    "plan_text_zh",
    "source_line",
)
INDICATOR_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "seq",
    "category_zh",
    "name_zh",
    "unit",
    "attribute_zh",
    "value_2020",
    "value_2020_text",
    "value_2020_kind",
    "value_2023",
    "value_2023_text",
    "value_2023_kind",
    "value_2025",
    "value_2025_text",
    "value_2025_kind",
    "growth_pct",
    "growth_text",
    "note",
    "source_line",
)
TARGET_COLUMNS: tuple[str, ...] = (
    "target_id",
    "metric",
    "kind",
    "subject_zh",
    "sector_id",
    "year",
    "comparator",
    "value",
    "unit",
    "section",
    "quote_zh",
    "source_line",
)
SECTOR_COLUMNS: tuple[str, ...] = (
    "sector_id",
    "name_zh",
    "name_en",
    "parent_id",
    "plan_sectors",
    "plan_subsectors",
    "zone_phrases",
    "gbt4754_codes",
)
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

# --------------------------------------------------------------------------------------
# building the tables from the parsed plan
# --------------------------------------------------------------------------------------


def _phrase_ids(sectors: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, r in sectors.iterrows():
        for p in _split_list(r["zone_phrases"]):
            out.setdefault(p, []).append(str(r["sector_id"]))
    return out


def _split_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return []
    return [p for p in str(value).split(";") if p]


def build_zones(parsed: ParsedPlan, *, sectors: pd.DataFrame) -> pd.DataFrame:
    """The zones table from 专栏12.

    Parameters
    ----------
    parsed
        The parsed plan.
    sectors
        The sector taxonomy; its ``zone_phrases`` map the focus phrases to ``sector_ids``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ZONE_COLUMNS`, one row per zone in the plan's order.

    Raises
    ------
    wzgeo.planparse.PlanParseError
        When a zone name or group is unknown.
    """
    from wzgeo.planparse import PlanParseError

    phrase_ids = _phrase_ids(sectors)
    rows = []
    for z in parsed.zones:
        if z.name_zh not in _ZONE_INFO:
            raise PlanParseError(
                f"专栏12 中的园区名称“{z.name_zh}”（第 {z.line} 行）不在已知的 13 个园区中。",
                f"Zone name '{z.name_zh}' (line {z.line}) in 专栏12 is not one of the 13 known "
                "zones (docs/ARCHITECTURE.md); update wzgeo.plandata._ZONE_INFO if the plan "
                "changed.",
            )
        if z.level_zh not in LEVELS:
            raise PlanParseError(
                f"专栏12 中的分组“{z.level_zh}”（第 {z.line} 行）未知。",
                f"Unknown zone group '{z.level_zh}' (line {z.line}) in 专栏12.",
            )
        zid, name_en, town, note = _ZONE_INFO[z.name_zh]
        ids: list[str] = []
        for p in z.focus_phrases:
            ids.extend(i for i in phrase_ids.get(p, []) if i not in ids)
        rows.append(
            {
                "zone_id": zid,
                "name_zh": z.name_zh,
                "name_en": name_en,
                "level": LEVELS[z.level_zh],
                "level_zh": z.level_zh,
                "planned_land_km2": z.land_km2,
                "land_label_zh": z.land_label_zh,
                "sectors_zh": ";".join(z.focus_phrases),
                "sector_ids": ";".join(ids),
                "host_township_zh": town,
                "host_township_note": note,
                "plan_text_zh": z.text,
                "source_line": z.line,
            }
        )
    return pd.DataFrame(rows, columns=list(ZONE_COLUMNS))


def _value_kind(text: str) -> tuple[float | None, str]:
    s = normalize_text(text)
    if not s:
        return None, "empty"
    if s in ("/", "-", "—", "／"):
        return None, "not_applicable"
    nums = parse_numbers(s)
    if re.fullmatch(r"\d+(?:\.\d+)?%?", s):
        return nums[0], "value"
    if re.fullmatch(r"\[\d+(?:\.\d+)?\]", s):
        return nums[0], "cumulative"
    if re.fullmatch(r"[>＞≥]\s*\d+(?:\.\d+)?%?", s):
        return nums[0], "lower_bound"
    if re.fullmatch(r"预计\s*\d+(?:\.\d+)?%?", s):
        return nums[0], "estimate"
    if re.fullmatch(r"\d+(?:\.\d+)?[（(][^)）]*[)）]", s):
        return nums[0], "provisional"
    return None, "text"


def build_indicators(parsed: ParsedPlan) -> pd.DataFrame:
    """The indicators table from 专栏1 (numbers where they are numbers, text kept).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`.
    """
    text = "\n".join(parsed.lines)
    rows = []
    for r in parsed.indicators:
        m = re.search(r"[（(]([^()（）]+)[)）]$", r.name_zh)
        unit = m.group(1) if m else ""
        notes: list[str] = []
        if not unit:
            short = re.sub(r"[（(].*$", "", r.name_zh)
            hit = re.search(re.escape(short) + r"\s*(\d+(?:\.\d+)?)\s*(个|家|户)", text)
            if hit:
                unit = hit.group(2)
                line = text.count("\n", 0, hit.start()) + 1
                notes.append(
                    f"unit not stated in 专栏1; '{unit}' from the text (line {line}: "
                    f"'{normalize_text(hit.group(0))}')"
                )
        rec: dict[str, Any] = {
            "indicator_id": f"IND-{r.seq:02d}",
            "seq": r.seq,
            "category_zh": r.category_zh,
            "name_zh": r.name_zh,
            "unit": unit,
            "attribute_zh": r.attribute_zh,
        }
        for year, cell in (("2020", r.v2020), ("2023", r.v2023), ("2025", r.v2025)):
            v, kind = _value_kind(cell)
            rec[f"value_{year}"] = v
            rec[f"value_{year}_text"] = cell
            rec[f"value_{year}_kind"] = kind
        g, gkind = _value_kind(r.growth)
        rec["growth_pct"] = g if gkind == "value" else None
        rec["growth_text"] = r.growth
        if unit in ("%",) and "增速" in r.name_zh:
            notes.append("the values are themselves growth rates (%)")
        rec["note"] = "; ".join(notes)
        rec["source_line"] = r.line
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def build_targets(parsed: ParsedPlan, *, sectors: pd.DataFrame) -> pd.DataFrame:
    """The targets and baselines stated in the text, each with its section.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`.
    """
    by_sector: dict[str, str] = {}
    for _, r in sectors.iterrows():
        for p in _split_list(r["plan_sectors"]):
            by_sector[p] = str(r["sector_id"])
    rows = []
    for i, t in enumerate(parsed.targets, start=1):
        rows.append(
            {
                "target_id": f"T{i:02d}",
                "metric": t.metric,
                "kind": t.kind,
                "subject_zh": t.subject_zh,
                "sector_id": by_sector.get(t.subject_zh, "")
                if t.metric == "sector_output_yi"
                else "",
                "year": t.year,
                "comparator": t.comparator,
                "value": t.value,
                "unit": t.unit,
                "section": t.section,
                "quote_zh": t.quote_zh,
                "source_line": t.line,
            }
        )
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


# --------------------------------------------------------------------------------------
# writing (deterministic bytes)
# --------------------------------------------------------------------------------------


def _compact(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _money(x: float) -> str:
    return f"{x:.2f}"


_FORMATS: dict[str, Callable[[float], str]] = {
    "investment_yi": _money,
    "output_yi": _money,
    "tax_yi": _money,
}


def _cell(value: object, column: str) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        return _FORMATS.get(column, _compact)(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_csv(df: pd.DataFrame, columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for rec in df[list(columns)].itertuples(index=False, name=None):
        w.writerow([_cell(v, c) for v, c in zip(rec, columns, strict=True)])
    return buf.getvalue()


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def build_data(
    plan_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    sectors_path: str | Path | None = None,
) -> QualityReport:
    """Parse the plan, reconcile it and write the plan tables and the quality report.

    Parameters
    ----------
    plan_path
        The plan text (UTF-8); default :func:`wzgeo.paths.seed_plan_path`.
    out_dir
        Where to write; default :func:`wzgeo.paths.plan_dir`. Created if missing.
    sectors_path
        The sector taxonomy; default ``geodata/sectors.csv``. It is validated, not written.

    Returns
    -------
    QualityReport
        The reconciliation report (also written as ``quality.json`` and ``quality.md``).

    Raises
    ------
    wzgeo.planparse.PlanParseError
        The text is not the plan or lacks a part.
    wzgeo.DataFileError
        The plan file is not UTF-8 text, or sectors.csv is broken.
    FileNotFoundError
        The plan file does not exist.
    """
    plan = Path(plan_path) if plan_path is not None else paths.seed_plan_path()
    out = Path(out_dir) if out_dir is not None else paths.plan_dir()
    raw = plan.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataFileError(
            plan,
            "不是 UTF-8 文本；请提供规划全文的 UTF-8 文本文件。",
            "is not UTF-8 text; give the plan's full text as a UTF-8 text file.",
        ) from e
    sectors = load_sectors(sectors_path)
    parsed = parse_plan(text)
    zones = build_zones(parsed, sectors=sectors)
    projects, report = reconcile(parsed, sectors=sectors, zones=zones)
    report.source_name = plan.name
    indicators = build_indicators(parsed)
    targets = build_targets(parsed, sectors=sectors)
    _check_phrases(zones, sectors)

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "zones.csv": _to_csv(zones, ZONE_COLUMNS),
        "projects.csv": _to_csv(projects, PROJECT_COLUMNS),
        "indicators.csv": _to_csv(indicators, INDICATOR_COLUMNS),
        "targets.csv": _to_csv(targets, TARGET_COLUMNS),
    }
    # validate what is about to be written, through the same code that loads it
    for name, content in files.items():
        _validate_text(out / name, content)
    for name, content in files.items():
        _write(out / name, content)
    _write(out / "quality.json", report.to_json())
    _write(out / "quality.md", report.to_markdown())
    # foreign keys across the written files
    z = load_zones(out / "zones.csv", sectors=sectors)
    load_projects(out / "projects.csv", zones=z, sectors=sectors)
    load_targets(out / "targets.csv", sectors=sectors)
    logger.info("wrote %d projects, %d zones to %s", len(projects), len(zones), out)
    return report


def _check_phrases(zones: pd.DataFrame, sectors: pd.DataFrame) -> None:
    known = _phrase_ids(sectors)
    for _, z in zones.iterrows():
        for p in _split_list(z["sectors_zh"]):
            if p not in known:
                raise DataFileError(
                    paths.geodata_dir() / "sectors.csv",
                    f"专栏12 的重点产业“{p}”（{z['name_zh']}）没有对应的 sector_id；请在 "
                    "zone_phrases 列中添加它。",
                    f"the 专栏12 focus phrase '{p}' ({z['name_zh']}) maps to no sector_id; add it "
                    "to a row's zone_phrases.",
                    column="zone_phrases",
                )


def _validate_text(path: Path, content: str) -> None:
    kind = path.name
    df = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    validate_table(df, _SCHEMAS[kind], path)


# --------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Col:
    name: str
    kind: str  # "str", "int", "float"
    required: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    is_list: bool = False


_YEAR_MIN, _YEAR_MAX = 2015.0, 2035.0
_SLUG = r"[a-z][a-z0-9_]*"

_SCHEMAS: dict[str, tuple[_Col, ...]] = {
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
_ID_COLUMN = {
    "zones.csv": "zone_id",
    "projects.csv": "project_id",
    "indicators.csv": "indicator_id",
    "targets.csv": "target_id",
    "sectors.csv": "sector_id",
}


def _err(path: Path, zh: str, en: str, *, row: int | None = None, col: str | None = None) -> None:
    raise DataFileError(path, zh, en, row=row, column=col)


def validate_table(df: pd.DataFrame, schema: Sequence[Any], path: Path) -> pd.DataFrame:
    """Check a table read as text and return it typed.

    Parameters
    ----------
    df
        The file read with every cell as a string (empty string = missing).
    schema
        The file's column rules (internal).
    path
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        A new frame: ``string``, ``Int64`` and ``Float64`` columns, empty cells as ``<NA>``.

    Raises
    ------
    wzgeo.DataFileError
        On the first problem, naming the row (1-based, header excluded) and the column.
    """
    cols: Sequence[_Col] = schema
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        _err(
            path,
            f"缺少列 {', '.join(missing)}；请用 wzgeo build-data 重新生成，或补上这些列。",
            f"missing column(s) {', '.join(missing)}; rebuild with 'wzgeo build-data' or add them.",
            col=missing[0],
        )
    out: dict[str, pd.Series] = {}
    for c in cols:
        s = df[c.name].astype(str)
        values = s.tolist()
        for i, v in enumerate(values, start=1):
            if v == "":
                if c.required:
                    _err(
                        path,
                        "此列不能为空；请填写。",
                        "this column must not be empty; fill it in.",
                        row=i,
                        col=c.name,
                    )
                continue
            if c.kind in ("int", "float"):
                try:
                    x = float(v)
                except ValueError:
                    _err(
                        path,
                        f"“{v}”不是数字；请填写数字（小数点用 .，不带单位）或留空。",
                        f"'{v}' is not a number; write a plain number (decimal point '.', no "
                        "unit) or leave it empty.",
                        row=i,
                        col=c.name,
                    )
                if c.kind == "int" and x != int(x):
                    _err(
                        path,
                        f"“{v}”不是整数；请填写整数。",
                        f"'{v}' is not a whole number; write a whole number.",
                        row=i,
                        col=c.name,
                    )
                if (c.min is not None and x < c.min) or (c.max is not None and x > c.max):
                    rng = f"{_compact(c.min) if c.min is not None else '-∞'}–"
                    rng += f"{_compact(c.max) if c.max is not None else '∞'}"
                    _err(
                        path,
                        f"值 {v} 超出允许范围 {rng}；请改正。",
                        f"value {v} is outside the allowed range {rng}; correct it.",
                        row=i,
                        col=c.name,
                    )
            else:
                parts = v.split(";") if c.is_list else [v]
                for p in parts:
                    if c.is_list and p == "":
                        _err(
                            path,
                            f"列表“{v}”中有空项；用单个 ; 分隔各项，首尾不加 ;。",
                            f"the list '{v}' has an empty item; separate items with one ';' "
                            "and none at the ends.",
                            row=i,
                            col=c.name,
                        )
                    if c.enum is not None and p not in c.enum:
                        _err(
                            path,
                            f"“{p}”不是允许的取值；可用：{', '.join(c.enum)}。",
                            f"'{p}' is not an allowed value; use one of: {', '.join(c.enum)}.",
                            row=i,
                            col=c.name,
                        )
                    if c.pattern is not None and not re.fullmatch(c.pattern, p):
                        _err(
                            path,
                            f"“{p}”格式不对（应匹配 {c.pattern}）；请改正。",
                            f"'{p}' has the wrong form (expected to match {c.pattern}); "
                            "correct it.",
                            row=i,
                            col=c.name,
                        )
        blank = s == ""
        if c.kind == "int":
            out[c.name] = pd.to_numeric(s.mask(blank), errors="raise").astype("Int64")
        elif c.kind == "float":
            out[c.name] = pd.to_numeric(s.mask(blank), errors="raise").astype("Float64")
        else:
            out[c.name] = s.astype("string").mask(blank)
    extra = [c for c in df.columns if c not in out]
    for name in extra:
        out[name] = df[name].astype("string")
    typed = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    idcol = _ID_COLUMN.get(path.name) or next(
        (k for k in (c.name for c in cols) if k.endswith("_id")), None
    )
    if idcol is not None and idcol in typed.columns:
        dup = typed[idcol].duplicated(keep="first")
        if dup.any():
            i = int(dup.to_numpy().nonzero()[0][0]) + 1
            _err(
                path,
                f"编号“{typed[idcol].iloc[i - 1]}”重复；每个编号只能出现一次。",
                f"id '{typed[idcol].iloc[i - 1]}' occurs more than once; ids must be unique.",
                row=i,
                col=idcol,
            )
    if {"start_year", "end_year"} <= set(typed.columns):
        bad = (typed["start_year"] > typed["end_year"]).fillna(False)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0]) + 1
            _err(
                path,
                "开始年份晚于结束年份；请交换或改正。",
                "start_year is after end_year; swap or correct them.",
                row=i,
                col="start_year",
            )
    return typed


def _read(path: Path) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise DataFileError(
            path,
            "文件不存在；请运行 wzgeo build-data 生成，或检查路径。",
            "the file does not exist; run 'wzgeo build-data' or check the path.",
        ) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataFileError(
            path,
            "不是 UTF-8 编码；请以 UTF-8 保存。",
            "is not UTF-8 encoded; save it as UTF-8.",
        ) from e
    if not text.strip():
        raise DataFileError(path, "文件为空。", "the file is empty.")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as e:
        raise DataFileError(
            path,
            f"不是有效的 CSV：{e}；请检查引号和分隔符。",
            f"is not valid CSV: {e}; check quotes and commas.",
        ) from e


def _load(path: Path) -> pd.DataFrame:
    return validate_table(_read(path), _SCHEMAS[_schema_name(path)], path)


def _schema_name(path: Path) -> str:
    return path.name if path.name in _SCHEMAS else path.stem.split(".")[0] + ".csv"


def _sibling(path: Path | None, name: str, default: Path) -> Path:
    if path is not None:
        for cand in (path.parent / name, path.parent.parent / name):
            if cand.exists():
                return cand
    return default


def _check_fk(
    df: pd.DataFrame,
    column: str,
    allowed: set[str],
    path: Path,
    target: str,
    *,
    is_list: bool = False,
) -> None:
    for i, v in enumerate(df[column].tolist(), start=1):
        if v is pd.NA or v is None:
            continue
        for p in str(v).split(";") if is_list else [str(v)]:
            if p not in allowed:
                _err(
                    path,
                    f"“{p}”不在 {target} 中；请改为 {target} 中已有的编号，"
                    f"或先在 {target} 中添加它。",
                    f"'{p}' is not an id in {target}; use an id that exists there or add it "
                    f"to {target} first.",
                    row=i,
                    col=column,
                )


def load_sectors(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate ``geodata/sectors.csv``.

    Parameters
    ----------
    path
        Default ``geodata/sectors.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SECTOR_COLUMNS`, typed.

    Raises
    ------
    wzgeo.DataFileError
        Broken file (also: a ``parent_id`` that is not a ``sector_id``, a plan sector or
        phrase claimed by two rows).
    """
    p = Path(path) if path is not None else paths.geodata_dir() / "sectors.csv"
    df = validate_table(_read(p), _SCHEMAS["sectors.csv"], p)
    ids = set(df["sector_id"].dropna())
    _check_fk(df, "parent_id", ids, p, "sectors.csv sector_id")
    for col in ("plan_sectors", "plan_subsectors"):
        seen: dict[str, int] = {}
        for i, v in enumerate(df[col].tolist(), start=1):
            for item in _split_list(v):
                if item in seen:
                    _err(
                        p,
                        f"“{item}”已在第 {seen[item]} 行出现；每个规划产业只能对应一个 sector_id。",
                        f"'{item}' is already claimed by row {seen[item]}; each plan sector maps "
                        "to exactly one sector_id.",
                        row=i,
                        col=col,
                    )
                seen[item] = i
    return df


def load_zones(
    path: str | Path | None = None, *, sectors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load and validate ``zones.csv``.

    Parameters
    ----------
    path
        Default ``geodata/plan/zones.csv``.
    sectors
        The taxonomy to check ``sector_ids`` against; default: ``sectors.csv`` next to the
        file or its parent folder, else ``geodata/sectors.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ZONE_COLUMNS`, typed.
    """
    p = Path(path) if path is not None else paths.plan_dir() / "zones.csv"
    df = _load(p)
    if sectors is None:
        sectors = load_sectors(
            _sibling(
                Path(path) if path else None, "sectors.csv", paths.geodata_dir() / "sectors.csv"
            )
        )
    _check_fk(df, "sector_ids", set(sectors["sector_id"].dropna()), p, "sectors.csv", is_list=True)
    return df


def load_projects(
    path: str | Path | None = None,
    *,
    zones: pd.DataFrame | None = None,
    sectors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load and validate ``projects.csv``.

    Parameters
    ----------
    path
        Default ``geodata/plan/projects.csv``.
    zones, sectors
        Tables for the foreign-key checks (``zone_id``, ``zone_candidates`` and
        ``sector_id``); default: the files next to ``path`` (or its parent), else the shipped
        ones.

    Returns
    -------
    pandas.DataFrame
        Columns of ``projects.csv`` (see ``wzgeo.reconcile.PROJECT_COLUMNS``), typed.
    """
    p = Path(path) if path is not None else paths.plan_dir() / "projects.csv"
    df = _load(p)
    given = Path(path) if path is not None else None
    if sectors is None:
        sectors = load_sectors(_sibling(given, "sectors.csv", paths.geodata_dir() / "sectors.csv"))
    if zones is None:
        zones = load_zones(
            _sibling(given, "zones.csv", paths.plan_dir() / "zones.csv"), sectors=sectors
        )
    zone_ids = set(zones["zone_id"].dropna())
    _check_fk(df, "sector_id", set(sectors["sector_id"].dropna()), p, "sectors.csv")
    _check_fk(df, "zone_id", zone_ids, p, "zones.csv")
    _check_fk(df, "zone_candidates", zone_ids, p, "zones.csv", is_list=True)
    return df


def load_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate ``indicators.csv`` (专栏1).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`, typed.
    """
    p = Path(path) if path is not None else paths.plan_dir() / "indicators.csv"
    return _load(p)


def load_targets(
    path: str | Path | None = None, *, sectors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load and validate ``targets.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`, typed.
    """
    p = Path(path) if path is not None else paths.plan_dir() / "targets.csv"
    df = _load(p)
    if sectors is None:
        sectors = load_sectors(
            _sibling(
                Path(path) if path else None, "sectors.csv", paths.geodata_dir() / "sectors.csv"
            )
        )
    _check_fk(df, "sector_id", set(sectors["sector_id"].dropna()), p, "sectors.csv")
    return df

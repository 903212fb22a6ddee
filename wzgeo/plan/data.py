"""The plan's tables: build them from the plan text, load and validate the committed files.

Files (in ``geodata/plan/`` unless noted; see ``geodata/README.md`` for every column):

- ``zones.csv`` — the 13 zones of 专栏12;
- ``projects.csv`` — the 135 projects of the appendix (reconciled, see :mod:`wzgeo.plan.reconcile`);
- ``indicators.csv`` — the 13 indicators of 专栏1;
- ``targets.csv`` — targets and baselines stated in the text;
- ``quality.json`` / ``quality.md`` — the reconciliation report;
- ``geodata/sectors.csv`` — the sector taxonomy (hand-curated, validated here).

Loaders return typed DataFrames (nullable ``Int64`` / ``Float64`` / ``string``) and raise
:class:`wzgeo.DataFileError` naming the file, row and column and saying how to fix it. They do
not cache: callers cache (e.g. ``st.cache_data``).

The tables are built by :mod:`wzgeo.plan.tables` and :mod:`wzgeo.plan.reconcile`, their columns are
defined in :mod:`wzgeo.plan.schema` and checked by :mod:`wzgeo.plan.validate`; the names that used
to be defined here (``build_zones``, ``ZONE_COLUMNS``, ``validate_table``, ...) are re-exported.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from wzgeo import paths
from wzgeo.errors import DataFileError
from wzgeo.plan.parse import parse_plan
from wzgeo.plan.quality import QualityReport
from wzgeo.plan.reconcile import reconcile
from wzgeo.plan.schema import (
    FLAG_CODES,
    INDICATOR_COLUMNS,
    LEVELS,
    PROJECT_COLUMNS,
    SCHEMAS,
    SECTOR_COLUMNS,
    TARGET_COLUMNS,
    ZONE_COLUMNS,
)
from wzgeo.plan.tables import build_indicators, build_targets, build_zones, check_zone_phrases
from wzgeo.plan.validate import (
    check_foreign_keys,
    fail,
    format_compact,
    parse_csv_text,
    read_csv_file,
    split_list,
    validate_table,
)

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


logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# writing (deterministic bytes)
# --------------------------------------------------------------------------------------


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
        return _FORMATS.get(column, format_compact)(value)
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
    wzgeo.plan.parse.PlanParseError
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
    check_zone_phrases(zones, sectors)

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


def _validate_text(path: Path, content: str) -> None:
    validate_table(parse_csv_text(path, content), SCHEMAS[path.name], path)


# --------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------


def _load(path: str | Path | None, name: str) -> tuple[Path, pd.DataFrame]:
    """The file (``path``, default ``geodata/plan/<name>``) and its validated table."""
    p = Path(path) if path is not None else paths.plan_dir() / name
    return p, validate_table(read_csv_file(p), SCHEMAS[_schema_name(p)], p)


def _schema_name(path: Path) -> str:
    return path.name if path.name in SCHEMAS else path.stem.split(".")[0] + ".csv"


def _sibling(path: Path | None, name: str, default: Path) -> Path:
    if path is not None:
        for cand in (path.parent / name, path.parent.parent / name):
            if cand.exists():
                return cand
    return default


def _sectors_for(path: str | Path | None, sectors: pd.DataFrame | None) -> pd.DataFrame:
    """The given taxonomy, else ``sectors.csv`` next to ``path`` (or its parent), else shipped."""
    if sectors is not None:
        return sectors
    given = Path(path) if path else None
    return load_sectors(_sibling(given, "sectors.csv", paths.geodata_dir() / "sectors.csv"))


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
    df = validate_table(read_csv_file(p), SCHEMAS["sectors.csv"], p)
    ids = set(df["sector_id"].dropna())
    check_foreign_keys(df, "parent_id", ids, p, "sectors.csv sector_id")
    for col in ("plan_sectors", "plan_subsectors"):
        seen: dict[str, int] = {}
        for i, v in enumerate(df[col].tolist(), start=1):
            for item in split_list(v):
                if item in seen:
                    fail(
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
    p, df = _load(path, "zones.csv")
    sector_ids = set(_sectors_for(path, sectors)["sector_id"].dropna())
    check_foreign_keys(df, "sector_ids", sector_ids, p, "sectors.csv", is_list=True)
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
        Columns of ``projects.csv`` (see ``wzgeo.plan.reconcile.PROJECT_COLUMNS``), typed.
    """
    p, df = _load(path, "projects.csv")
    given = Path(path) if path is not None else None
    sectors = _sectors_for(path, sectors)
    if zones is None:
        zones = load_zones(
            _sibling(given, "zones.csv", paths.plan_dir() / "zones.csv"), sectors=sectors
        )
    zone_ids = set(zones["zone_id"].dropna())
    check_foreign_keys(df, "sector_id", set(sectors["sector_id"].dropna()), p, "sectors.csv")
    check_foreign_keys(df, "zone_id", zone_ids, p, "zones.csv")
    check_foreign_keys(df, "zone_candidates", zone_ids, p, "zones.csv", is_list=True)
    return df


def load_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate ``indicators.csv`` (专栏1).

    Parameters
    ----------
    path
        Default ``geodata/plan/indicators.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`, typed.
    """
    return _load(path, "indicators.csv")[1]


def load_targets(
    path: str | Path | None = None, *, sectors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Load and validate ``targets.csv``.

    Parameters
    ----------
    path
        Default ``geodata/plan/targets.csv``.
    sectors
        The taxonomy to check ``sector_id`` against; default as for :func:`load_zones`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`, typed.
    """
    p, df = _load(path, "targets.csv")
    sector_ids = set(_sectors_for(path, sectors)["sector_id"].dropna())
    check_foreign_keys(df, "sector_id", sector_ids, p, "sectors.csv")
    return df

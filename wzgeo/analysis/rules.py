"""Land-use control indicators (工业项目建设用地控制指标) from ``geodata/land_rules.csv``.

Each rule row: ``indicator``, ``gbt4754_code`` (two-digit GB/T 4754-2017 code, or ``*`` for
all industries), ``threshold``, ``comparator`` (``>=`` or ``<=``), ``unit``, ``edition``,
``source``, ``note``. The thresholds live in the editable file, never in code.

:func:`check_indicators` answers ``pass`` / ``fail`` / ``unknown`` for each indicator:

- ``unknown`` when the file has no rule for the indicator (e.g. 投资强度 and 亩均税收: no
  verified source, so no row), when the rule is code-specific and the industry code is not
  known, or when the value is missing;
- when a sector spans several industry codes with different thresholds, the check is
  evaluated under each; it is ``pass`` or ``fail`` only if all agree, else ``unknown``.

Nothing passes by default.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from wzgeo.errors import DataFileError, WzgeoError
from wzgeo.paths import geodata_dir
from wzgeo.plan.validate import read_string_table

__all__ = [
    "INDICATORS",
    "RESULTS",
    "RULE_COLUMNS",
    "check_indicators",
    "land_rules_path",
    "load_rules",
    "sector_codes",
]

logger = logging.getLogger(__name__)

RULE_COLUMNS: tuple[str, ...] = (
    "indicator",
    "gbt4754_code",
    "threshold",
    "comparator",
    "unit",
    "edition",
    "source",
    "note",
)
RESULTS: tuple[str, ...] = ("pass", "fail", "unknown")

#: Indicator key → (Chinese name, English name, unit). Checked even when no rule exists.
INDICATORS: Mapping[str, tuple[str, str, str]] = {
    "plot_ratio": ("容积率", "plot ratio (floor area ratio)", "ratio"),
    "building_coverage_pct": ("建筑系数", "building coverage", "pct"),
    "admin_facility_share_pct": (
        "行政办公及生活服务设施用地比例",
        "admin and living facilities share",
        "pct",
    ),
    "green_ratio_pct": ("绿地率", "green space ratio", "pct"),
    "investment_intensity_wan_per_mu": ("投资强度", "investment intensity", "wan_per_mu"),
    "tax_per_mu_wan": ("亩均税收", "tax per mu", "wan_per_mu"),
    "output_intensity_yi_per_km2": ("地均产出", "output per km²", "yi_per_km2"),
    "output_intensity_wan_per_mu": ("亩均产出", "output per mu", "wan_per_mu"),
}
_COMPARATORS = (">=", "<=")
_REL_TOL = 1e-9


def land_rules_path() -> Path:
    """Path of the shipped rules, ``geodata/land_rules.csv``."""
    return geodata_dir() / "land_rules.csv"


def load_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate a rules file.

    Raises
    ------
    DataFileError
        Missing column, unknown indicator or comparator, or a threshold that is not a number.
    """
    p = Path(path) if path is not None else land_rules_path()
    df = read_string_table(p, RULE_COLUMNS)
    thresholds = []
    for i, r in enumerate(df.to_dict("records")):
        if r["indicator"] not in INDICATORS:
            raise DataFileError(
                p,
                f"未知指标“{r['indicator']}”。可用：{', '.join(INDICATORS)}",
                f"unknown indicator '{r['indicator']}'. Known: {', '.join(INDICATORS)}",
                row=i + 1,
                column="indicator",
            )
        if r["comparator"] not in _COMPARATORS:
            raise DataFileError(
                p,
                f"比较符“{r['comparator']}”无效，应为 >= 或 <=。",
                f"comparator '{r['comparator']}' must be >= or <=.",
                row=i + 1,
                column="comparator",
            )
        try:
            value = float(r["threshold"])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DataFileError(
                p,
                f"阈值“{r['threshold']}”不是数字。",
                f"threshold '{r['threshold']}' is not a number.",
                row=i + 1,
                column="threshold",
            )
        code = r["gbt4754_code"].strip()
        if code != "*" and not (code.isdigit() and len(code) == 2):
            raise DataFileError(
                p,
                f"行业代码“{code}”应为两位 GB/T 4754 代码或 *。",
                f"industry code '{code}' must be a two-digit GB/T 4754 code or *.",
                row=i + 1,
                column="gbt4754_code",
            )
        thresholds.append(value)
    out = df.loc[:, list(RULE_COLUMNS)].copy()
    out["threshold"] = pd.Series(thresholds, index=out.index, dtype="float64")
    out["gbt4754_code"] = out["gbt4754_code"].str.strip()
    return out.reset_index(drop=True)


def sector_codes(sectors: pd.DataFrame, sector_id: str) -> list[str]:
    """The GB/T 4754 codes of a sector (``gbt4754_codes`` column of ``sectors.csv``).

    Raises
    ------
    WzgeoError
        When the sector is unknown.
    """
    hit = sectors.loc[sectors["sector_id"] == sector_id]
    if hit.empty:
        raise WzgeoError(
            f"未知行业“{sector_id}”。",
            f"unknown sector '{sector_id}'.",
        )
    raw = hit["gbt4754_codes"].iloc[0]
    if not isinstance(raw, str) or not raw.strip():
        return []
    return [c.strip() for c in raw.split(";") if c.strip()]


def _passes(value: float, comparator: str, threshold: float) -> bool:
    tol = _REL_TOL * max(abs(threshold), 1.0)
    if comparator == ">=":
        return value >= threshold - tol
    return value <= threshold + tol


def check_indicators(
    values: Mapping[str, float | None],
    *,
    gbt4754_codes: Sequence[str] | None = None,
    rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Check indicator values against the rules.

    Parameters
    ----------
    values
        Indicator key (see :data:`INDICATORS`) → value; missing or NaN means not known.
    gbt4754_codes
        The project's industry codes; ``None`` or empty when not known.
    rules
        Rules table; default :func:`load_rules`.

    Returns
    -------
    pandas.DataFrame
        One row per indicator and edition: ``indicator``, ``name_zh``, ``edition``, ``value``,
        ``unit``, ``comparator``, ``threshold`` (NA if several differ), ``thresholds``
        (text), ``result`` (pass | fail | unknown), ``reason_zh``, ``reason_en``, ``source``.
    """
    table = rules if rules is not None else load_rules()
    unknown_keys = set(values) - set(INDICATORS)
    if unknown_keys:
        raise WzgeoError(
            f"未知指标：{', '.join(sorted(unknown_keys))}",
            f"unknown indicators: {', '.join(sorted(unknown_keys))}",
        )
    codes = [str(c) for c in (gbt4754_codes or [])]
    rows = []
    for key, (name_zh, name_en, unit) in INDICATORS.items():
        raw = values.get(key)
        value = float(raw) if raw is not None and not pd.isna(raw) else math.nan
        mine = table.loc[table["indicator"] == key]
        base = {"indicator": key, "name_zh": name_zh, "value": value, "unit": unit}
        if mine.empty:
            rows.append(
                base
                | {
                    "edition": "",
                    "comparator": "",
                    "threshold": math.nan,
                    "thresholds": "",
                    "result": "unknown",
                    "reason_zh": f"规则文件中没有“{name_zh}”的阈值（无可靠来源），结论未知",
                    "reason_en": f"no rule for {name_en} in the rules file (no verified "
                    "source); unknown",
                    "source": "",
                }
            )
            continue
        for edition, ed_rules in mine.groupby("edition", sort=False):
            general = ed_rules.loc[ed_rules["gbt4754_code"] == "*"]
            specific = ed_rules.loc[ed_rules["gbt4754_code"].isin(codes)]
            applicable = pd.concat([general, specific])
            text = "; ".join(
                f"{c}: {cmp} {t:g}"
                for c, cmp, t in zip(
                    applicable["gbt4754_code"],
                    applicable["comparator"],
                    applicable["threshold"],
                    strict=True,
                )
            )
            thresholds = set(zip(applicable["comparator"], applicable["threshold"], strict=True))
            row = base | {
                "edition": str(edition),
                "comparator": applicable["comparator"].iloc[0] if len(thresholds) == 1 else "",
                "threshold": applicable["threshold"].iloc[0] if len(thresholds) == 1 else math.nan,
                "thresholds": text,
                "source": "; ".join(dict.fromkeys(applicable["source"].astype(str))),
            }
            if applicable.empty:
                if not codes:
                    zh = f"“{name_zh}”的阈值按行业代码区分，但行业代码未知"
                    en = f"{name_en} thresholds depend on the industry code, which is not known"
                else:
                    zh = f"规则文件中没有行业代码 {'/'.join(codes)} 的“{name_zh}”阈值"
                    en = f"no {name_en} rule for industry code(s) {'/'.join(codes)}"
                rows.append(row | {"result": "unknown", "reason_zh": zh, "reason_en": en})
                continue
            uncovered = [c for c in codes if c not in set(specific["gbt4754_code"])]
            if general.empty and uncovered:
                rows.append(
                    row
                    | {
                        "result": "unknown",
                        "reason_zh": f"行业代码 {'/'.join(uncovered)} 没有“{name_zh}”阈值",
                        "reason_en": f"no {name_en} rule for industry code(s) "
                        f"{'/'.join(uncovered)}",
                    }
                )
                continue
            if math.isnan(value):
                rows.append(
                    row
                    | {
                        "result": "unknown",
                        "reason_zh": f"未提供“{name_zh}”的数值",
                        "reason_en": f"no value given for {name_en}",
                    }
                )
                continue
            verdicts = {_passes(value, cmp, thr) for cmp, thr in thresholds}
            if len(verdicts) > 1:
                rows.append(
                    row
                    | {
                        "result": "unknown",
                        "reason_zh": f"该行业涉及的代码阈值不一致（{text}），结论不一",
                        "reason_en": f"the sector's industry codes give different thresholds "
                        f"({text}); the verdict differs",
                    }
                )
                continue
            ok = verdicts.pop()
            rows.append(
                row
                | {
                    "result": "pass" if ok else "fail",
                    "reason_zh": f"{value:g} {'符合' if ok else '不符合'} {text}",
                    "reason_en": f"{value:g} {'meets' if ok else 'does not meet'} {text}",
                }
            )
    out = pd.DataFrame(rows)
    cols = [
        "indicator",
        "name_zh",
        "edition",
        "value",
        "unit",
        "comparator",
        "threshold",
        "thresholds",
        "result",
        "reason_zh",
        "reason_en",
        "source",
    ]
    return out.loc[:, cols]

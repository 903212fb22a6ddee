"""Land use (用地用海) and red lines (三区三线) for the plot check.

The question a planner must answer before land is supplied is "may this project use this
plot": is it planned as industrial land of a class the project needs, does it touch
永久基本农田 or 生态保护红线, does it lie inside 城镇开发边界, and do the 控规 indicators allow
the project. Those layers are never public: users import their own (see
:mod:`wzgeo.store.layers`); this module recognises their codes and checks plots against them.

Codes
-----
Every land-use layer is translated to the codes of 《国土空间调查、规划、用途管制用地用海分类
指南》(2023, ``geodata/landuse_codes.csv``). Layers may arrive in three systems, told apart by
the code field (:data:`CODE_FIELDS`):

- ``ydyh2023``: ``YDYHFLDM`` / ``YDYHFLMC`` (用地用海分类代码/名称);
- ``sandiao``: 三调 working classification, ``DLBM`` / ``DLMC`` (地类编码/名称), translated by
  ``geodata/landuse_map_sandiao.csv``;
- ``gb50137``: 控规 codes of GB 50137-2011 (``M2``, ``W1`` …) in ``YDDM`` / ``YDXZ`` / 用地代码,
  translated by ``geodata/landuse_map_gb50137.csv``.

The mapping tables hold only correspondences with a source; a code they do not hold is
*unknown* and listed with its count in the import report, never guessed. Note that the same
digits mean different things in different systems (三调 ``1001`` is 铁路用地, 2023 ``1001`` is
工业用地): the field decides the system.

Checks (per plot)
-----------------
- ``land_use``: the plot's composition by 2023 code (area, 亩, share of the plot).
- ``constraints``: overlap with each red-line layer; any overlap with ``basic_farmland`` or
  ``eco_redline`` is ``fail``; any part outside ``dev_boundary`` is ``fail`` (``outside_m2``);
  no layer imported → ``unknown``. Overlapping features of one layer are counted once.
- ``land_class``: the industrial class the sector needs (``geodata/sector_landclass.csv``)
  against the classes found. Parts covering at least :data:`LAND_CLASS_MIN_SHARE_PCT` of the
  plot count: any non-industrial part → ``fail``; a class lower than required (三类 ≥ 二类 ≥
  一类) → ``fail``; an industrial part of unknown class, an unknown code or uncovered land →
  ``unknown``; no class required (sector unknown) → ``unknown``; else ``pass``.
- 控规 indicators of the land-use feature covering most of the plot (:data:`PLANNED_FIELDS`):
  a planned 容积率 ceiling below the sector's minimum 容积率 (``geodata/land_rules.csv``) is
  ``fail``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wzgeo.errors import DataFileError, InputFileError
from wzgeo.geo.units import M2_PER_MU
from wzgeo.paths import geodata_dir
from wzgeo.plan.validate import read_string_table

__all__ = [
    "CODE_FIELDS",
    "KINDS",
    "KIND_LABELS",
    "LAND_CLASS_MIN_SHARE_PCT",
    "PLANNED_FIELDS",
    "REDLINE_KINDS",
    "SYSTEMS",
    "LandCheck",
    "LandLayer",
    "LandLayers",
    "LandUseReport",
    "check_land",
    "class_of_code",
    "code_colours",
    "code_names",
    "land_findings",
    "load_landclass",
    "load_landuse_codes",
    "load_mapping",
    "prepare_landuse",
    "prepare_redline",
    "recognise_codes",
    "required_class",
]

logger = logging.getLogger(__name__)

KINDS = ("landuse", "basic_farmland", "eco_redline", "dev_boundary")
REDLINE_KINDS = ("basic_farmland", "eco_redline", "dev_boundary")
KIND_LABELS: dict[str, tuple[str, str]] = {
    "landuse": ("用地用海（土地利用）", "land use"),
    "basic_farmland": ("永久基本农田", "permanent basic farmland"),
    "eco_redline": ("生态保护红线", "ecological protection red line"),
    "dev_boundary": ("城镇开发边界", "urban development boundary"),
}
SYSTEMS: dict[str, tuple[str, str]] = {
    "ydyh2023": ("用地用海分类（2023）", "land and sea use classification (2023)"),
    "sandiao": ("三调工作分类（GB/T 21010-2017）", "third land survey classification"),
    "gb50137": ("城市用地分类（GB 50137-2011）", "urban land classification GB 50137-2011"),
}
CLASS_ZH = {1: "一类", 2: "二类", 3: "三类"}

#: Code fields looked for, in order: (field name, system, role). ``auto`` = decided by value
#: (letters → GB 50137, digits → 2023).
CODE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("YDYHFLDM", "ydyh2023", "code"),
    ("用地用海分类代码", "ydyh2023", "code"),
    ("DLBM", "sandiao", "code"),
    ("地类编码", "sandiao", "code"),
    ("YDDM", "auto", "code"),
    ("用地代码", "auto", "code"),
    ("YDXZDM", "auto", "code"),
    ("用地性质代码", "auto", "code"),
    ("YDXZ", "auto", "code"),
    ("YDYHFLMC", "ydyh2023", "name"),
    ("用地用海分类名称", "ydyh2023", "name"),
    ("DLMC", "sandiao", "name"),
    ("地类名称", "sandiao", "name"),
    ("用地性质", "auto", "name"),
    ("用地名称", "auto", "name"),
)

#: 控规 indicator fields (first present wins). 容积率 and 建筑密度 without 上限/下限 are read as
#: ceilings and 绿地率 as a floor (the usual 控规 convention).
PLANNED_FIELDS: dict[str, tuple[str, ...]] = {
    "planned_far_max": ("RJLSX", "DSRJLSX", "RJL", "容积率上限", "容积率"),
    "planned_far_min": ("RJLXX", "DSRJLXX", "容积率下限"),
    "planned_coverage_max_pct": ("JZMDSX", "JZMD", "建筑密度上限", "建筑密度"),
    "planned_coverage_min_pct": ("JZMDXX", "建筑密度下限"),
    "planned_green_min_pct": ("LDLXX", "LDL", "绿地率下限", "绿地率"),
    "planned_green_max_pct": ("LDLSX", "绿地率上限"),
    "planned_height_max_m": ("JZXG", "建筑限高", "限高"),
}
_PCT = {"planned_coverage_max_pct", "planned_coverage_min_pct", "planned_green_min_pct",
        "planned_green_max_pct"}  # fmt: skip

LAND_CLASS_MIN_SHARE_PCT = 1.0
"""Parts of a plot smaller than this share (%) do not decide its land class (edge slivers)."""
_MIN_OVERLAP_M2 = 0.01

_CODE_COLUMNS = ("code", "level", "parent", "name_zh", "name_en", "color_rgb", "color_source",
                 "source", "checked")  # fmt: skip
_MAP_COLUMNS = ("from_code", "from_name_zh", "to_code", "to_name_zh", "basis", "source")
_CLASS_COLUMNS = ("sector_id", "required_class", "basis", "gbj_example_zh", "source", "note")


# ----------------------------------------------------------------------------- tables


@lru_cache(maxsize=16)
def _cached(kind: str, path: str, mtime_ns: int) -> pd.DataFrame:
    if kind == "codes":
        return _load_codes(Path(path))
    if kind == "landclass":
        return _load_landclass(Path(path))
    return _load_mapping(kind, Path(path))


def _table(kind: str, path: str | Path | None, default: str) -> pd.DataFrame:
    """A checked table, read once per file version (path and modification time)."""
    p = Path(path) if path is not None else geodata_dir() / default
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        mtime = -1  # the loader reports the missing file
    return _cached(kind, str(p), mtime).copy()


def load_landuse_codes(path: str | Path | None = None) -> pd.DataFrame:
    """The 2023 code table (``geodata/landuse_codes.csv``), checked.

    Raises
    ------
    DataFileError
        Missing column, duplicate code, a parent that is not in the table, a bad colour.
    """
    return _table("codes", path, "landuse_codes.csv")


def _load_codes(p: Path) -> pd.DataFrame:
    df = read_string_table(p, _CODE_COLUMNS)
    seen: set[str] = set()
    for i, r in enumerate(df.to_dict("records"), start=1):
        code = str(r["code"]).strip()
        if not re.fullmatch(r"\d{2}(\d{2}){0,2}", code) or code in seen:
            raise DataFileError(
                p, f"代码“{code}”无效或重复。", f"code '{code}' is invalid or repeated.",
                row=i, column="code",
            )  # fmt: skip
        seen.add(code)
        if r["parent"] and r["parent"] not in seen:
            raise DataFileError(
                p, f"上级代码“{r['parent']}”不在前面的行中。",
                f"parent code '{r['parent']}' is not listed above.", row=i, column="parent",
            )  # fmt: skip
        rgb = str(r["color_rgb"])
        if rgb and not (
            re.fullmatch(r"\d{1,3},\d{1,3},\d{1,3}", rgb)
            and all(int(x) <= 255 for x in rgb.split(","))
        ):
            raise DataFileError(
                p, f"颜色“{rgb}”应为 R,G,B（0–255）。", f"colour '{rgb}' must be R,G,B (0–255).",
                row=i, column="color_rgb",
            )  # fmt: skip
    return df


def load_mapping(system: str, path: str | Path | None = None) -> pd.DataFrame:
    """A mapping table to the 2023 codes (``sandiao`` or ``gb50137``), checked against the codes."""
    if system not in ("sandiao", "gb50137"):
        raise ValueError(f"no mapping table for system {system!r}")
    return _table(system, path, f"landuse_map_{system}.csv")


def _load_mapping(system: str, p: Path) -> pd.DataFrame:
    df = read_string_table(p, _MAP_COLUMNS)
    known = set(load_landuse_codes()["code"].astype(str))
    for i, r in enumerate(df.to_dict("records"), start=1):
        if r["to_code"] not in known:
            raise DataFileError(
                p, f"目标代码“{r['to_code']}”不在 landuse_codes.csv 中。",
                f"target code '{r['to_code']}' is not in landuse_codes.csv.",
                row=i, column="to_code",
            )  # fmt: skip
    if df["from_code"].duplicated().any():
        dup = df.loc[df["from_code"].duplicated(), "from_code"].iloc[0]
        raise DataFileError(
            p, f"代码“{dup}”重复。", f"code '{dup}' is repeated.", column="from_code"
        )
    return df


def load_landclass(path: str | Path | None = None) -> pd.DataFrame:
    """The industrial land class each sector needs (``geodata/sector_landclass.csv``)."""
    return _table("landclass", path, "sector_landclass.csv")


def _load_landclass(p: Path) -> pd.DataFrame:
    df = read_string_table(p, _CLASS_COLUMNS)
    for i, v in enumerate(df["required_class"], start=1):
        if v not in ("", "1", "2", "3"):
            raise DataFileError(
                p, f"工业用地类别“{v}”应为 1、2、3 或空。",
                f"industrial land class '{v}' must be 1, 2, 3 or empty.",
                row=i, column="required_class",
            )  # fmt: skip
    return df


def required_class(sector_id: str | None, table: pd.DataFrame | None = None) -> int | None:
    """The industrial land class (1–3) a sector needs, ``None`` when not known."""
    if sector_id is None:
        return None
    t = load_landclass() if table is None else table
    hit = t.loc[t["sector_id"] == sector_id, "required_class"]
    return int(hit.iloc[0]) if len(hit) and hit.iloc[0] else None


def class_of_code(code: str | None) -> int:
    """Industrial class of a 2023 code: 1–3; 0 = industrial, class not given; −1 = not
    industrial; −2 = unknown code."""
    if not isinstance(code, str) or code == "":
        return -2
    if code in ("100101", "100102", "100103"):
        return int(code[-1])
    if code == "1001":
        return 0
    return -1


def code_colours(codes: pd.DataFrame | None = None) -> dict[str, str]:
    """``code → #rrggbb``: the standard colour, else the nearest ancestor's; codes with none are
    left out (drawn grey and labelled so)."""
    t = load_landuse_codes() if codes is None else codes
    own = {str(c): str(v) for c, v in zip(t["code"], t["color_rgb"], strict=True) if v}
    parent = dict(zip(t["code"].astype(str), t["parent"].astype(str), strict=True))
    out: dict[str, str] = {}
    for code in parent:
        c: str | None = code
        while c and c not in own:
            c = parent.get(c) or None
        if c:
            r, g, b = (int(x) for x in own[c].split(","))
            out[code] = f"#{r:02x}{g:02x}{b:02x}"
    return out


def code_names(lang: str, codes: pd.DataFrame | None = None) -> dict[str, str]:
    """``code → name`` in ``lang`` (``"zh"`` or ``"en"``) from the 2023 code table."""
    t = load_landuse_codes() if codes is None else codes
    col = "name_en" if lang == "en" else "name_zh"
    return dict(zip(t["code"].astype(str), t[col].astype(str), strict=True))


# ----------------------------------------------------------------------------- recognition


@dataclass
class LandUseReport:
    """What :func:`recognise_codes` found in a layer.

    Attributes
    ----------
    code_field
        The field the codes were read from.
    role
        ``code`` or ``name`` (names are looked up in the same tables).
    system
        The field's system (``ydyh2023``, ``sandiao``, ``gb50137`` or ``auto``).
    n_features
        Features in the layer.
    recognised
        Features recognised, per system.
    unknown
        Unknown codes (as written in the file) → number of features.
    n_blank
        Features with an empty code.
    """

    code_field: str
    role: str
    system: str
    n_features: int
    recognised: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    n_blank: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "code_field": self.code_field,
            "role": self.role,
            "system": self.system,
            "n_features": self.n_features,
            "recognised": dict(self.recognised),
            "unknown": dict(self.unknown),
            "n_blank": self.n_blank,
        }

    def lines(self) -> list[str]:
        """The report as bilingual lines."""
        out = [
            f"代码字段 / code field: {self.code_field} ({self.role}, {self.system})",
            f"要素 / features: {self.n_features}",
        ]
        for s, n in self.recognised.items():
            zh, en = SYSTEMS.get(s, (s, s))
            out.append(f"识别 / recognised {zh} / {en}: {n}")
        if self.n_blank:
            out.append(f"代码为空 / empty code: {self.n_blank}")
        if self.unknown:
            txt = ", ".join(f"{k} ×{v}" for k, v in sorted(self.unknown.items()))
            out.append(f"未识别的代码（未猜测）/ unknown codes (not guessed): {txt}")
        return out


def _find_field(columns: list[str]) -> tuple[str, str, str] | None:
    upper = {str(c).strip().upper(): str(c) for c in columns}
    for name, system, role in CODE_FIELDS:
        if name.upper() in upper:
            return upper[name.upper()], system, role
    return None


def _normalise(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip().upper().replace(" ", "")
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    if re.fullmatch(r"\d+", s) and len(s) % 2 == 1:
        s = "0" + s  # a numeric field dropped the leading zero (101 → 0101)
    return s


def _lookups() -> dict[str, dict[str, str]]:
    codes = load_landuse_codes()
    sd = load_mapping("sandiao")
    gb = load_mapping("gb50137")
    return {
        "ydyh2023_code": {c: c for c in codes["code"].astype(str)},
        "ydyh2023_name": dict(zip(codes["name_zh"], codes["code"], strict=True)),
        "sandiao_code": dict(zip(sd["from_code"], sd["to_code"], strict=True)),
        "sandiao_name": dict(zip(sd["from_name_zh"], sd["to_code"], strict=True)),
        "gb50137_code": dict(zip(gb["from_code"], gb["to_code"], strict=True)),
        "gb50137_name": dict(zip(gb["from_name_zh"], gb["to_code"], strict=True)),
    }


def _translate(
    value: str, system: str, role: str, look: Mapping[str, dict[str, str]]
) -> tuple[str | None, str]:
    """(2023 code or None, the system that recognised it or was tried)."""
    if role == "name":
        order = [system] if system != "auto" else ["ydyh2023", "gb50137"]
        for s in order:
            hit = look[f"{s}_name"].get(value)
            if hit:
                return hit, s
        return None, order[0]
    if re.fullmatch(r"[A-Z]{1,2}\d{0,3}", value):
        s = "gb50137"
    elif system == "auto":
        s = "ydyh2023"
    else:
        s = system
    return look[f"{s}_code"].get(value), s


def recognise_codes(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, LandUseReport]:
    """Translate a layer's land-use codes to the 2023 codes.

    Parameters
    ----------
    frame
        The layer's attributes.

    Returns
    -------
    code : pandas.Series
        The 2023 code of each feature (``<NA>`` when unknown or empty).
    raw : pandas.Series
        The code as written (normalised: trimmed, upper case).
    report : LandUseReport

    Raises
    ------
    InputFileError
        No recognisable code field; the message names the fields looked for.
    """
    found = _find_field([str(c) for c in frame.columns])
    if found is None:
        looked = "、".join(dict.fromkeys(n for n, _s, _r in CODE_FIELDS))
        have = "、".join(str(c) for c in frame.columns if c != "geometry") or "（无）"
        raise InputFileError(
            f"图层中没有可识别的用地代码字段。查找的字段：{looked}；图层中的字段：{have}。"
            "请把代码字段改名为其中之一（如 YDYHFLDM、DLBM 或 YDDM）后重新导入。",
            f"the layer has no recognisable land-use code field. Fields looked for: {looked}; "
            f"fields in the layer: {have}. Rename the code field to one of them (e.g. "
            "YDYHFLDM, DLBM or YDDM) and import again.",
        )
    col, system, role = found
    values = frame[col]
    uniques_idx, uniques = pd.factorize(values, use_na_sentinel=True)
    look = _lookups()
    norm = [_normalise(u) for u in uniques]
    out_codes: list[str | None] = []
    out_sys: list[str] = []
    for v in norm:
        if not v:
            out_codes.append(None)
            out_sys.append("")
            continue
        if role == "name":
            v = str(v)
        c, s = _translate(v, system, role, look)
        out_codes.append(c)
        out_sys.append(s)
    idx = np.asarray(uniques_idx)
    codes_arr = np.array([*out_codes, None], dtype=object)[np.where(idx < 0, len(out_codes), idx)]
    raw_arr = np.array([*norm, ""], dtype=object)[np.where(idx < 0, len(norm), idx)]
    counts = np.bincount(idx[idx >= 0], minlength=len(norm)) if len(norm) else np.array([])
    report = LandUseReport(col, role, system, len(frame))
    report.n_blank = int((idx < 0).sum()) + sum(int(counts[k]) for k, v in enumerate(norm) if not v)
    for k, v in enumerate(norm):
        if not v:
            continue
        if out_codes[k] is not None:
            report.recognised[out_sys[k]] = report.recognised.get(out_sys[k], 0) + int(counts[k])
        else:
            report.unknown[v] = report.unknown.get(v, 0) + int(counts[k])
    code = pd.Series(codes_arr, index=frame.index, dtype="string")
    raw = pd.Series(raw_arr, index=frame.index, dtype="string")
    return code, raw, report


def _number(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, int | float | np.integer | np.floating):
        return float(v)
    m = re.search(r"-?\d+(?:\.\d+)?", str(v))
    return float(m.group()) if m else math.nan


def _planned(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    upper = {str(c).strip().upper(): c for c in frame.columns}
    out: dict[str, np.ndarray] = {}
    for key, names in PLANNED_FIELDS.items():
        col = next((upper[n.upper()] for n in names if n.upper() in upper), None)
        if col is None:
            continue
        s = frame[col]
        vals = (
            pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, copy=True)
            if pd.api.types.is_numeric_dtype(s)
            else np.array([_number(v) for v in s], dtype=float)
        )
        if key in _PCT:
            vals = np.where(vals <= 1.0, vals * 100.0, vals)  # 0.3 → 30 %
        vals[vals <= 0] = np.nan  # 0 means "not set" in most exports
        out[key] = vals
    return out


# ----------------------------------------------------------------------------- layers


@dataclass
class LandLayer:
    """One imported layer, ready for checking (EPSG:4545).

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    name
        Its label (file and layer name, or the saved name).
    geoms
        Polygons in EPSG:4545.
    codes
        2023 code of each feature (land use only).
    planned
        控规 indicator arrays by :data:`PLANNED_FIELDS` key (land use only).
    report
        The code report (land use only).
    fictional
        Demo data (名称含“示例（虚构）”).
    """

    kind: str
    name: str
    geoms: np.ndarray
    codes: np.ndarray | None = None
    planned: dict[str, np.ndarray] = field(default_factory=dict)
    report: LandUseReport | None = None
    fictional: bool = False

    @cached_property
    def tree(self) -> shapely.STRtree:
        """STRtree over the features (built on first use)."""
        return shapely.STRtree(self.geoms)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (e.g. sent to dask workers) without the tree: rebuilt where used."""
        state = dict(self.__dict__)
        state.pop("tree", None)
        return state


def _geoms_4545(frame: gpd.GeoDataFrame) -> np.ndarray:
    if frame.crs is None:
        raise InputFileError("图层没有坐标系。", "the layer has no CRS.")
    g = frame.geometry if frame.crs.to_epsg() == 4545 else frame.geometry.to_crs(epsg=4545)
    return np.asarray(g.to_numpy(), dtype=object)


def prepare_landuse(frame: gpd.GeoDataFrame, *, name: str, fictional: bool = False) -> LandLayer:
    """A land-use layer with its codes translated (see :func:`recognise_codes`)."""
    code, _raw, report = recognise_codes(frame)
    codes = np.asarray(code.astype(object).where(code.notna(), None).to_numpy(), dtype=object)
    return LandLayer(
        "landuse", name, _geoms_4545(frame), codes=codes, planned=_planned(frame),
        report=report, fictional=fictional,
    )  # fmt: skip


def prepare_redline(
    frame: gpd.GeoDataFrame, kind: str, *, name: str, fictional: bool = False
) -> LandLayer:
    """A red-line layer (only the polygons count)."""
    if kind not in REDLINE_KINDS:
        raise ValueError(f"kind must be one of {REDLINE_KINDS}, got {kind!r}")
    # dissolved into disjoint parts: an overlap is then a plain sum (features that overlap
    # each other in the file are counted once)
    parts = shapely.get_parts(shapely.union_all(_geoms_4545(frame)))
    parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
    return LandLayer(kind, name, np.asarray(parts, dtype=object), fictional=fictional)


@dataclass
class LandLayers:
    """The imported layers by kind (any may be missing).

    ``landclass``: the land-class table the check uses (``sector_id, required_class``), e.g.
    the shipped one with the saved-work edits laid over it
    (:func:`wzgeo.store.overlays.apply_sector_landclass_edits`); None = the shipped
    ``geodata/sector_landclass.csv``.
    """

    layers: dict[str, LandLayer] = field(default_factory=dict)
    landclass: pd.DataFrame | None = None

    def get(self, kind: str) -> LandLayer | None:
        """The layer of ``kind`` or None."""
        return self.layers.get(kind)

    @property
    def fictional(self) -> bool:
        """True when any layer is demo data."""
        return any(layer.fictional for layer in self.layers.values())


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class LandCheck:
    """Result of :func:`check_land` (rows aligned with the plots given).

    Attributes
    ----------
    columns
        Per plot: ``landuse_main_code``, ``landuse_main_name_zh``, ``landuse_main_share_pct``,
        ``landuse_covered_pct``, ``land_class_required``, ``land_class_found``,
        ``land_class_found_code``, ``land_class_status``, ``land_class_reason``; per red-line
        kind ``<kind>_overlap_m2``, ``<kind>_overlap_mu``, ``<kind>_status`` (and
        ``dev_boundary_outside_m2``); the planned indicators and ``planned_far_status``.
    composition
        Long table: ``row``, ``code``, ``name_zh``, ``area_m2``, ``area_mu``, ``share_pct``.
    constraints
        Long table: ``row``, ``kind``, ``overlap_m2``, ``overlap_mu``, ``outside_m2``,
        ``status``.
    """

    columns: pd.DataFrame
    composition: pd.DataFrame
    constraints: pd.DataFrame


def _pair_areas(
    layer: LandLayer, geoms: np.ndarray, area: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plot/feature pairs that may overlap, their overlap area and whether the feature holds
    the whole plot."""
    pi, fi = layer.tree.query(geoms, predicate="intersects")
    inter = np.zeros(len(pi))
    inside = np.zeros(len(pi), dtype=bool)
    if len(pi):
        # prepare only the features met (in place, kept for later checks)
        shapely.prepare(layer.geoms[np.unique(fi)])
        inside = shapely.contains(layer.geoms[fi], geoms[pi])
        inter[inside] = area[pi[inside]]
        cut = ~inside
        inter[cut] = shapely.area(shapely.intersection(geoms[pi[cut]], layer.geoms[fi[cut]]))
    return pi, fi, inter, inside


def _redline_overlap(layer: LandLayer, geoms: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Area of each plot inside the layer (its parts are disjoint: see :func:`prepare_redline`)."""
    pi, _fi, inter, _inside = _pair_areas(layer, geoms, area)
    out = np.bincount(pi, weights=inter, minlength=len(geoms)) if len(pi) else np.zeros(len(geoms))
    return np.minimum(out, area)


def _sector_far_min(
    sector_id: str | None, sectors: pd.DataFrame | None, rules: pd.DataFrame | None
) -> tuple[float, float] | None:
    """(lowest, highest) minimum 容积率 over the sector's industry codes; None if any code
    has no rule."""
    if sector_id is None:
        return None
    from wzgeo.analysis.rules import load_rules, sector_codes

    if sectors is None:
        from wzgeo.plan.data import load_sectors

        sectors = load_sectors()
    rules = load_rules() if rules is None else rules
    codes = sector_codes(sectors, sector_id)
    far = rules.loc[(rules["indicator"] == "plot_ratio") & (rules["comparator"] == ">=")]
    vals: list[float] = []
    for c in codes:
        hit = far.loc[far["gbt4754_code"].isin([c, "*"]), "threshold"]
        if hit.empty:
            return None
        vals.extend(float(x) for x in hit)
    return (min(vals), max(vals)) if vals else None


def check_land(
    geoms: np.ndarray,
    area_m2: np.ndarray,
    layers: LandLayers,
    *,
    sector_id: str | None = None,
    landclass: pd.DataFrame | None = None,
    sectors: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
) -> LandCheck:
    """Check plots (EPSG:4545 polygons) against the land-use and red-line layers.

    Parameters
    ----------
    geoms
        Plot polygons in EPSG:4545 (valid).
    area_m2
        Their areas.
    layers
        The imported layers.
    sector_id
        The project's sector (for the land class and the 容积率 minimum).
    landclass, sectors, rules
        Tables; defaults are ``layers.landclass`` (the effective land classes), else the
        shipped ones.

    Returns
    -------
    LandCheck
    """
    geoms = np.asarray(geoms, dtype=object)
    area = np.asarray(area_m2, dtype=float)
    n = len(geoms)
    cols = pd.DataFrame(index=pd.RangeIndex(n))
    comp = pd.DataFrame(columns=["row", "code", "name_zh", "area_m2", "area_mu", "share_pct"])
    codes_t = load_landuse_codes()
    names = code_names("zh", codes_t)
    names_en = code_names("en", codes_t)
    req = required_class(sector_id, landclass if landclass is not None else layers.landclass)

    # land use: composition, main code, land class, planned indicators
    lu = layers.get("landuse")
    main_code = np.full(n, None, dtype=object)
    main_share = np.full(n, np.nan)
    covered = np.full(n, np.nan)
    status = np.full(n, "unknown", dtype=object)
    found = np.full(n, None, dtype=object)
    found_code = np.full(n, None, dtype=object)
    reason = np.full(n, "未导入用地用海图层 / no land-use layer imported", dtype=object)
    planned: dict[str, np.ndarray] = {}
    if lu is not None and lu.codes is not None and n:
        pi, fi, inter, _inside = _pair_areas(lu, geoms, area)
        keep = inter > _MIN_OVERLAP_M2
        pi, fi, inter = pi[keep], fi[keep], inter[keep]
        code_of = np.array([c if c is not None else "" for c in lu.codes[fi]], dtype=object)
        df = pd.DataFrame({"row": pi, "code": code_of, "area_m2": inter})
        g = df.groupby(["row", "code"], sort=True)["area_m2"].sum().reset_index()
        g["share_pct"] = 100.0 * g["area_m2"].to_numpy() / area[g["row"].to_numpy()]
        g["area_mu"] = g["area_m2"] / M2_PER_MU
        g["name_zh"] = [names.get(c, "未识别代码 / unknown code") for c in g["code"]]
        g["code"] = g["code"].replace("", None)
        comp = g.loc[:, ["row", "code", "name_zh", "area_m2", "area_mu", "share_pct"]].sort_values(
            ["row", "area_m2"], ascending=[True, False], kind="stable"
        )
        covered = np.minimum(np.bincount(g["row"], weights=g["share_pct"], minlength=n), 100.0)
        first = ~comp["row"].duplicated().to_numpy()
        rows_first = comp["row"].to_numpy()[first]
        main_code[rows_first] = comp["code"].to_numpy()[first]
        main_share[rows_first] = comp["share_pct"].to_numpy()[first]
        # planned indicators of the feature covering most of each plot
        if lu.planned and len(pi):
            order = np.lexsort((-inter, pi))
            f1 = np.ones(len(order), dtype=bool)
            f1[1:] = pi[order][1:] != pi[order][:-1]
            for key, vals in lu.planned.items():
                arr = np.full(n, np.nan)
                arr[pi[order][f1]] = vals[fi[order][f1]]
                planned[key] = arr
        # land class (vectorised: one pass over the composition rows)
        big = comp.loc[comp["share_pct"] >= LAND_CLASS_MIN_SHARE_PCT]
        b_row = big["row"].to_numpy(dtype=np.int64)
        b_code = np.array(
            [c if isinstance(c, str) and c else None for c in big["code"]], dtype=object
        )
        b_cls = np.array([class_of_code(c) for c in b_code], dtype=np.int64)
        # non-industrial: the largest such part decides (composition is sorted by area)
        non = b_cls == -1
        nr, first_non = np.unique(b_row[non], return_index=True)
        has_non = np.zeros(n, dtype=bool)
        has_non[nr] = True
        non_code = np.full(n, None, dtype=object)
        non_code[nr] = b_code[non][first_non]
        unk = np.zeros(n, dtype=bool)
        unk[b_row[(b_cls == 0) | (b_cls == -2)]] = True
        low = np.full(n, 99, dtype=np.int64)
        ind = b_cls >= 1
        np.minimum.at(low, b_row[ind], b_cls[ind])
        low_code = np.full(n, None, dtype=object)
        # the code of the lowest class (100101/2/3 ↔ 1/2/3)
        has_low = low < 99
        low_code[has_low] = np.array([f"10010{k}" for k in low[has_low]], dtype=object)
        found[has_low] = low[has_low]
        found_code[has_low] = low_code[has_low]
        uncovered = (100.0 - np.nan_to_num(covered)) >= LAND_CLASS_MIN_SHARE_PCT
        if req is None:
            status[:] = "unknown"
            reason[:] = "行业所需工业用地类别未知 / the sector's required class is not known"
        else:
            below = has_low & (low < req)
            vague = ~below & (unk | ~has_low | uncovered)
            ok = ~below & ~vague
            status[below] = "fail"
            status[vague] = "unknown"
            status[ok] = "pass"
            for k in (1, 2, 3):
                sel = below & (low == k)
                reason[sel] = (
                    f"{CLASS_ZH[k]}工业用地低于所需的{CLASS_ZH[req]} / class {k} industrial "
                    f"land, class {req} needed"
                )
                sel = ok & (low == k)
                reason[sel] = (
                    f"{CLASS_ZH[k]}工业用地满足所需的{CLASS_ZH[req]} / class {k} industrial "
                    f"land meets class {req}"
                )
            reason[vague] = (
                "部分用地类别未知或未被图层覆盖 / part of the plot has an unknown class or is "
                "not covered by the layer"
            )
        # any non-industrial part fails, whatever the sector
        status[has_non] = "fail"
        found[has_non] = "non_industrial"
        found_code[has_non] = non_code[has_non]
        for code in {c for c in non_code[has_non]}:
            sel = has_non & (non_code == code)
            reason[sel] = (
                f"含非工业用地 {code} {names.get(str(code), '')} / non-industrial land "
                f"{code} {names_en.get(str(code), '')}"
            ).rstrip()
    cols["landuse_main_code"] = pd.array(main_code, dtype="string")
    cols["landuse_main_name_zh"] = pd.array(
        [names.get(c) if c else None for c in main_code], dtype="string"
    )
    cols["landuse_main_share_pct"] = main_share
    cols["landuse_covered_pct"] = covered
    cols["land_class_required"] = pd.array([req] * n, dtype="Int64")
    cols["land_class_found"] = pd.array(
        [str(f) if f is not None else None for f in found], dtype="string"
    )
    cols["land_class_found_code"] = pd.array(found_code, dtype="string")
    cols["land_class_status"] = pd.array(status, dtype="string")
    cols["land_class_reason"] = pd.array(reason, dtype="string")

    # red lines
    cons_rows = []
    for kind in REDLINE_KINDS:
        layer = layers.get(kind)
        if layer is None or n == 0:
            cols[f"{kind}_overlap_m2"] = np.nan
            cols[f"{kind}_overlap_mu"] = np.nan
            st = np.full(n, "unknown", dtype=object)
            outside = np.full(n, np.nan)
            ov = np.full(n, np.nan)
        else:
            ov = _redline_overlap(layer, geoms, area)
            cols[f"{kind}_overlap_m2"] = ov
            cols[f"{kind}_overlap_mu"] = ov / M2_PER_MU
            if kind == "dev_boundary":
                outside = np.maximum(area - ov, 0.0)
                st = np.where(outside > _MIN_OVERLAP_M2, "fail", "pass").astype(object)
            else:
                outside = np.full(n, np.nan)
                st = np.where(ov > _MIN_OVERLAP_M2, "fail", "pass").astype(object)
        if kind == "dev_boundary":
            cols["dev_boundary_outside_m2"] = outside
        cols[f"{kind}_status"] = pd.array(st, dtype="string")
        cons_rows.append(
            pd.DataFrame(
                {
                    "row": np.arange(n),
                    "kind": kind,
                    "overlap_m2": ov,
                    "overlap_mu": ov / M2_PER_MU,
                    "outside_m2": outside,
                    "status": st,
                }
            )
        )
    constraints = (
        pd.concat(cons_rows, ignore_index=True).sort_values(["row"], kind="stable")
        if cons_rows
        else pd.DataFrame()
    )

    # 控规 indicators
    for key in PLANNED_FIELDS:
        if key in planned:
            cols[key] = planned[key]
    far_status = np.full(n, "unknown", dtype=object)
    if "planned_far_max" in planned:
        bounds = _sector_far_min(sector_id, sectors, rules)
        if bounds is not None:
            lo, hi = bounds
            ceiling = planned["planned_far_max"]
            far_status[ceiling < lo] = "fail"
            far_status[ceiling >= hi] = "pass"
            far_status[np.isnan(ceiling)] = "unknown"
        cols["planned_far_status"] = pd.array(far_status, dtype="string")
    return LandCheck(cols, comp.reset_index(drop=True), constraints.reset_index(drop=True))


def _mu(v: float) -> str:
    return f"{v / M2_PER_MU:,.1f}"


def land_findings(table: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    """Plot id → the land findings that lead its answer sentence, most serious first.

    Order: 永久基本农田, 生态保护红线, outside 城镇开发边界, a land class that does not fit, a
    planned 容积率 ceiling below the sector's minimum. Only failures are findings.

    Parameters
    ----------
    table
        The plot check's table with the :class:`LandCheck` columns.
    """
    from wzgeo.analysis.answer import Finding

    out: dict[str, tuple[Any, ...]] = {}

    def col(name: str) -> list[Any]:
        if name not in table.columns:
            return [None] * len(table)
        return [None if pd.isna(v) else v for v in table[name]]

    rows = zip(
        table["plot_id"].astype(str),
        col("basic_farmland_status"),
        col("basic_farmland_overlap_m2"),
        col("eco_redline_status"),
        col("eco_redline_overlap_m2"),
        col("dev_boundary_status"),
        col("dev_boundary_outside_m2"),
        col("land_class_status"),
        col("land_class_found"),
        col("land_class_found_code"),
        col("land_class_required"),
        col("planned_far_status"),
        col("planned_far_max"),
        strict=True,
    )
    for pid, bf, bf_m2, eco, eco_m2, dev, out_m2, lc, found, fcode, req, far, far_max in rows:
        fs: list[Any] = []
        if bf == "fail":
            fs.append(
                Finding(
                    f"占用永久基本农田 {_mu(bf_m2)} 亩",
                    f"takes {_mu(bf_m2)} mu of permanent basic farmland",
                    "basic_farmland",
                )
            )
        if eco == "fail":
            fs.append(
                Finding(
                    f"占用生态保护红线 {_mu(eco_m2)} 亩",
                    f"takes {_mu(eco_m2)} mu of the ecological protection red line",
                    "eco_redline",
                )
            )
        if dev == "fail":
            fs.append(
                Finding(
                    f"{_mu(out_m2)} 亩在城镇开发边界外",
                    f"{_mu(out_m2)} mu lie outside the urban development boundary",
                    "dev_boundary",
                )
            )
        if lc == "fail":
            if found == "non_industrial":
                fs.append(
                    Finding(
                        f"含非工业用地（{fcode}）",
                        f"includes land not planned for industry ({fcode})",
                        "land_class",
                    )
                )
            else:
                fs.append(
                    Finding(
                        f"{CLASS_ZH.get(int(found), found)}工业用地，项目需要"
                        f"{CLASS_ZH.get(int(req), req)}",
                        f"class {found} industrial land, the project needs class {req}",
                        "land_class",
                    )
                )
        if far == "fail":
            fs.append(
                Finding(
                    f"控规容积率上限 {far_max:g} 低于行业最低要求",
                    f"planned FAR ceiling {far_max:g} is below the sector's minimum",
                    "planned_far",
                )
            )
        if fs:
            out[pid] = tuple(fs)
    return out
